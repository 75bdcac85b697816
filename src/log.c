#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

log_level_t log_min_level = LOG_LVL_INFO;

static const char *level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

/* A thread that batches its lines (the worker: in a broad outage it logs
 * some 30,000 scored, escalation and notification lines a second) collects
 * whole lines here and writes at most PIPE_BUF bytes at once.  Such a write
 * to a pipe is atomic, so the lines of threads that write at once stay
 * whole; one write per line had cost the worker a fifth of its CPU. */
static _Thread_local struct {
        int on;
        size_t len;
        char buf[PIPE_BUF];
} pending;

/* The date and time to the second, formatted once per second per thread. */
static _Thread_local struct {
        time_t sec;
        size_t len;
        char text[32];
} stamp;

int log_level_parse(const char *name, log_level_t *out) {
        static const char *lower[] = {"debug", "info", "warn", "error"};
        for (int i = 0; i < 4; i++) {
                if (strcmp(name, lower[i]) == 0) {
                        *out = (log_level_t)i;
                        return 0;
                }
        }
        return -1;
}

static void write_all(const char *p, size_t len) {
        while (len > 0) {
                ssize_t w = write(STDERR_FILENO, p, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return; /* nowhere left to tell */
                p += w;
                len -= (size_t)w;
        }
}

void log_flush(void) {
        if (pending.len) {
                write_all(pending.buf, pending.len);
                pending.len = 0;
        }
}

void log_batch(int on) {
        if (!on)
                log_flush();
        pending.on = on;
}

/* Copies `n` bytes of `in` to `out` (room for `size`), escaping what could
 * forge or hide a log line: ASCII control bytes and DEL as \n, \r, \t or
 * \xNN, and the Unicode line breaks a viewer may honour (U+0085, U+2028,
 * U+2029) as \u0085 and so on.  A backslash is doubled, so an escape in
 * the log always came from here.  Stops before a sequence that does not
 * fit; returns the bytes written, and *consumed the bytes of `in` read. */
/* The bytes escape_copy() looks at twice: control bytes, DEL, '\\', and
 * the lead bytes of U+0085 (0xc2) and U+2028/9 (0xe2). */
static const bool special[256] = {
        [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1,
        [0x05] = 1, [0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1,
        [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1,
        [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1,
        [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1,
        [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
        [0x1e] = 1, [0x1f] = 1, ['\\'] = 1, [0x7f] = 1, [0xc2] = 1,
        [0xe2] = 1,
};

static size_t escape_copy(char *out, size_t size, const char *in, size_t n,
                          size_t *consumed) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *)in;
        size_t o = 0, i;

        for (i = 0; i < n; i++) {
                /* Most bytes need nothing: copy them a run at a time. */
                size_t run = i;
                while (run < n && !special[p[run]])
                        run++;
                if (run > i) {
                        size_t room = size - o < run - i ? size - o : run - i;
                        memcpy(out + o, p + i, room);
                        o += room;
                        if (room < run - i) {
                                i += room;
                                break;
                        }
                        i = run;
                        if (i == n)
                                break;
                }
                unsigned char ch = p[i];
                char esc[8];
                size_t len = 0, skip = 0;

                if (ch == '\\') {
                        esc[len++] = '\\';
                        esc[len++] = '\\';
                } else if (ch == '\n' || ch == '\r' || ch == '\t') {
                        esc[len++] = '\\';
                        esc[len++] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
                } else if (ch < 0x20 || ch == 0x7f) {
                        esc[len++] = '\\';
                        esc[len++] = 'x';
                        esc[len++] = hex[ch >> 4];
                        esc[len++] = hex[ch & 15];
                } else if (ch == 0xc2 && i + 1 < n && p[i + 1] == 0x85) {
                        memcpy(esc, "\\u0085", 6);
                        len = 6;
                        skip = 1;
                } else if (ch == 0xe2 && i + 2 < n && p[i + 1] == 0x80 &&
                           (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
                        memcpy(esc, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                        len = 6;
                        skip = 2;
                } else {
                        if (o + 1 > size)
                                break;
                        out[o++] = (char)ch;
                        continue;
                }
                if (o + len > size)
                        break;
                memcpy(out + o, esc, len);
                o += len;
                i += skip;
        }
        *consumed = i;
        return o;
}

/* A line is kept whole up to this many bytes, escaped: identifiers run to
 * limits.max_string_bytes, and a line that quotes one must still say what
 * happened after it. */
#define LINE_MAX_BYTES (64 * 1024)

/* "2026-11-22T10:15:00.123Z LEVEL " into `line`; its length. */
static size_t stamp_line(char *line, size_t size, log_level_t level) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (stamp.len == 0 || ts.tv_sec != stamp.sec) {
                struct tm tm;
                gmtime_r(&ts.tv_sec, &tm);
                stamp.len = strftime(stamp.text, sizeof(stamp.text),
                                     "%Y-%m-%dT%H:%M:%S", &tm);
                stamp.sec = ts.tv_sec;
        }
        memcpy(line, stamp.text, stamp.len);
        return stamp.len +
               (size_t)snprintf(line + stamp.len, size - stamp.len,
                                ".%03dZ %s ", (int)(ts.tv_nsec / 1000000),
                                level_names[level]);
}

void log_raw(log_level_t level, const char *fmt, ...) {
        char stack_line[2048], msg[2048], *line = stack_line, *big = NULL;
        size_t off, len = 0, used = 0;
        va_list ap;

        /* Messages carry values from the input (ids, services, reasons):
         * one line per call, whatever they hold. */
        va_start(ap, fmt);
        int n = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (n > 0)
                len = (size_t)n;
        off = stamp_line(line, sizeof(stack_line), level);
        if (len < sizeof(msg))
                off += escape_copy(line + off, sizeof(stack_line) - off - 1,
                                   msg, len, &used);
        /* Most lines fit the stack's buffer escaped.  One that does not (a
         * long id; an escape takes up to 6 bytes for 1 to 3) gets a buffer
         * of its size, up to LINE_MAX_BYTES of message. */
        if (used < len) {
                size_t want = len < LINE_MAX_BYTES ? len : LINE_MAX_BYTES;
                size_t size = 6 * want + 128;
                if ((big = malloc(want + 1 + size))) {
                        if (len < sizeof(msg)) {
                                memcpy(big, msg, len + 1);
                        } else {
                                va_start(ap, fmt);
                                vsnprintf(big, want + 1, fmt, ap);
                                va_end(ap);
                        }
                        line = big + want + 1;
                        off = stamp_line(line, size, level);
                        off += escape_copy(line + off, size - off - 1, big,
                                           want, &used);
                } else if (len >= sizeof(msg)) {
                        /* No memory: the head of it, as it was. */
                        off += escape_copy(line + off,
                                           sizeof(stack_line) - off - 1, msg,
                                           sizeof(msg) - 1, &used);
                }
        }
        line[off++] = '\n';

        /* Errors go out at once, after what came before them; so does a
         * line longer than the batch buffer. */
        if (!pending.on || level >= LOG_LVL_ERROR || off > sizeof(pending.buf)) {
                log_flush();
                write_all(line, off);
        } else {
                if (pending.len + off > sizeof(pending.buf))
                        log_flush();
                memcpy(pending.buf + pending.len, line, off);
                pending.len += off;
        }
        free(big);
}
