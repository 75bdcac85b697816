#!/usr/bin/env python3
"""Compares, incident by incident, what an older function library and this
tree's answer for the same stored state (scripts/upgrade-check.sh).

Database 0 holds the state an older worker left, database 1 a copy.  Each
incident is re-scored once (a deadline tick at its last event's time, so
its minute windows hold its events): in database 0 by the older library,
in database 1 by this tree's, which upgrades the incident first.  The two
replies must be the same but for the spelling of segment kinds.

    upgrade-compare.py PORT OLD_TAG NEW_TAG
Exit status 1 when any reply differs."""
import socket
import sys

SUFFIXES = [b'', b':seen', b':alerts', b':accts', b':tix', b':segs', b':tpm',
            b':esc', b':imp', b':spm', b':offs', b':unbound', b':kaccts']
KINDS = {b'region': b'r', b'product_version': b'v', b'platform': b'p',
         b'feature': b'f', b'account_prefix': b'a'}
NOW_N = 22  # the reply's tickets in the current trend window
# The reply's fixed fields, then lists whose lengths they give (summarize()
# in impactd.lua): services, segments, new tickets, blast radius, regions,
# hand-overs, accounts, as (count index, fields per item).
HEAD = 46
LISTS = [(35, 1), (36, 2), (37, 1), (38, 1), (39, 2), (40, 6), (45, 5)]


class Redis:
    """Just enough RESP2 for FCALL and HGET."""

    def __init__(self, port, db):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.rd = self.sock.makefile('rb')
        self.call('SELECT', db)

    def call(self, *args):
        out = [b'*%d\r\n' % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b'$%d\r\n%s\r\n' % (len(a), a))
        self.sock.sendall(b''.join(out))
        return self.reply()

    def reply(self):
        line = self.rd.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b'+':
            return rest
        if kind == b'-':
            raise RuntimeError(rest.decode(errors='replace'))
        if kind == b':':
            return int(rest)
        if kind == b'$':
            n = int(rest)
            return None if n < 0 else self.rd.read(n + 2)[:-2]
        if kind == b'*':
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError('unexpected reply %r' % line)


def fields(reply):
    """The apply's reply, its segment kinds as layout 3 spells them.  Before
    b88b81f it was an array, not one NUL-separated string."""
    out = []
    for f in reply if isinstance(reply, list) else reply.split(b'\0'):
        f = f if isinstance(f, bytes) else str(f).encode()
        kind, sep, value = f.partition(b'\x1f')
        out.append(KINDS[kind] + value if sep and kind in KINDS else f)
    return out


def sections(f):
    """The fixed fields, then each list as a sorted list of items: a list
    comes from a hash in its iteration order, which a copied hash table
    need not keep."""
    out, at = [f[:HEAD]], HEAD
    for count, width in LISTS:
        n = int(f[count])
        items = [tuple(f[at + i * width:at + (i + 1) * width]) for i in range(n)]
        out.append(sorted(items))
        at += n * width
    out.append(f[at:])
    return out


def main():
    port, old_tag, new_tag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    old, new = Redis(port, 0), Redis(port, 1)
    incidents = old.call('KEYS', 'impact:{*}')
    differ = windowed = 0
    for key in incidents:
        keys = [key + s for s in SUFFIXES]
        # An older layout names it last_event_at; the 0 fallback never
        # matches a real state, so a missing field shows as a difference.
        at = old.call('HGET', key, 'last_event_at') or b'0'
        cluster = old.call('HGET', key, '@') or b''
        args = ['86400', '30', key[8:-1], at, at, '300000', '10', '604800',
                cluster]
        a = fields(old.call('FCALL', 'impactd_%s_apply' % old_tag, 13, *keys, *args))
        b = fields(new.call('FCALL', 'impactd_%s_apply' % new_tag, 13, *keys, *args))
        windowed += b[NOW_N] != b'0'
        if sections(a) != sections(b):
            differ += 1
            if differ <= 3:
                for i, (x, y) in enumerate(zip(a[:HEAD], b[:HEAD])):
                    if x != y:
                        print('%s field %d: %r != %r' % (key.decode(), i, x[:60], y[:60]))
                print('%s: %d and %d fields' % (key.decode(), len(a), len(b)))
    # Left behind: aggregates in the old names, keys only layout 1 had,
    # sets the oldest versions kept, segment kinds spelled out.
    left = sum(1 for k in incidents if new.call('HEXISTS', k, 'status'))
    left += sum(new.call('EXISTS', k + b':tpm', k + b':offs') for k in incidents)
    left += sum(1 for k in incidents for s in (b':seen', b':imp')
                if new.call('TYPE', k + s) == b'set')
    left += sum(1 for k in incidents for f in new.call('HKEYS', k + b':segs')
                if b'\x1f' in f)
    print('%d incidents, %d with tickets in the trend window: %d replies differ, '
          '%d keys or fields of an older layout left' % (len(incidents), windowed, differ, left))
    return 1 if differ or left or not incidents else 0


if __name__ == '__main__':
    sys.exit(main())
