/* The per-incident notify state as a short string for a Redis hash value:
 *
 *   r=12;o=3f;l=2;c=1;s=10;b=0;x=0;f=0;k=9e3779b97f4a7c15,0123456789abcdef
 *
 * r last revision evaluated (decimal), o audiences told OPENED (hex bits
 * of audience_t), l level last notified (0 = none), c its impact class,
 * s / b SLA tiers notified at risk / breached (hex bits of
 * customer_tier_t), x audiences told RESOLVED, f follow-ups sent (0/1),
 * k key accounts told OPENED (FNV-1a 64 of their ids, 16 hex digits
 * each).  Keys in this order, each once; anything else is rejected, so a
 * value written by something else never passes for a state. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "notify.h"

const char *notify_state_format(const notify_state_t *st, char *buf,
                                size_t size) {
        size_t len;
        int n;

        if (!size)
                return buf;
        buf[0] = '\0';
        if (!st->revision && !st->opened && !st->level && !st->impact_class &&
            !st->sla_at_risk && !st->sla_breached && !st->resolved &&
            !st->follow_ups && !st->accounts_cnt)
                return buf; /* fresh */
        n = snprintf(buf, size,
                     "r=%" PRId64 ";o=%x;l=%d;c=%d;s=%x;b=%x;x=%x;f=%d;k=",
                     st->revision, st->opened, st->level, (int)st->impact_class,
                     st->sla_at_risk, st->sla_breached, st->resolved,
                     st->follow_ups ? 1 : 0);
        len = n > 0 ? (size_t)n : 0;
        for (size_t i = 0; i < st->accounts_cnt && len < size; i++) {
                n = snprintf(buf + len, size - len, "%s%016" PRIx64,
                             i ? "," : "", st->accounts[i]);
                len += n > 0 ? (size_t)n : 0;
        }
        return buf;
}

/* "<key>=<number>;" in base 10 or 16 (lowercase), at most `max`. */
static int number(const char **p, char key, int base, uint64_t max,
                  uint64_t *out) {
        const char *s = *p;
        uint64_t v = 0;
        int digits = 0;

        if (s[0] != key || s[1] != '=')
                return -1;
        for (s += 2;; s++, digits++) {
                int d;

                if (*s >= '0' && *s <= '9')
                        d = *s - '0';
                else if (base == 16 && *s >= 'a' && *s <= 'f')
                        d = *s - 'a' + 10;
                else
                        break;
                if (digits >= (base == 16 ? 16 : 18))
                        return -1;
                v = v * (uint64_t)base + (uint64_t)d;
        }
        if (!digits || v > max || *s != ';')
                return -1;
        *p = s + 1;
        *out = v;
        return 0;
}

impactd_err_t notify_state_parse(const char *s, notify_state_t *st,
                                 char *errstr, size_t errstr_size) {
        static const char *const names[] = {
                "revision",    "opened",       "level",    "impact class",
                "SLA at risk", "SLA breached", "resolved", "follow-ups"};
        const unsigned audiences = (1u << AUDIENCE_COUNT) - 1,
                       tiers = (1u << TIER_COUNT) - 1;
        const struct {
                char key;
                int base;
                uint64_t max;
        } keys[] = {{'r', 10, INT64_MAX}, {'o', 16, audiences},
                    {'l', 10, 5},         {'c', 10, CLASS_COMPLETE},
                    {'s', 16, tiers},     {'b', 16, tiers},
                    {'x', 16, audiences}, {'f', 10, 1}};
        notify_state_t out = {0};
        const char *p = s, *what = "accounts";
        uint64_t v[8];

        if (!s || !*s) {
                *st = out;
                return IMPACTD_OK;
        }
        for (size_t i = 0; i < 8; i++) {
                what = names[i];
                if (number(&p, keys[i].key, keys[i].base, keys[i].max, &v[i]))
                        goto bad;
        }
        what = "accounts";
        if (strncmp(p, "k=", 2))
                goto bad;
        /* Hashes of 16 hex digits, separated by commas. */
        for (p += 2; *p; p += *p == ',') {
                size_t n = strspn(p, "0123456789abcdef");
                uint64_t h = 0;

                if (n != 16 || out.accounts_cnt == NOTIFY_STATE_ACCOUNTS_MAX ||
                    (p[n] != ',' && p[n]) || (p[n] == ',' && !p[n + 1]))
                        goto bad;
                for (size_t i = 0; i < n; i++)
                        h = h * 16 + (uint64_t)(p[i] <= '9' ? p[i] - '0'
                                                            : p[i] - 'a' + 10);
                out.accounts[out.accounts_cnt++] = h;
                p += n;
        }
        out.revision = (int64_t)v[0];
        out.opened = (unsigned)v[1];
        out.level = (int)v[2];
        out.impact_class = (impact_class_t)v[3];
        out.sla_at_risk = (unsigned)v[4];
        out.sla_breached = (unsigned)v[5];
        out.resolved = (unsigned)v[6];
        out.follow_ups = v[7] != 0;
        *st = out;
        return IMPACTD_OK;
bad:
        snprintf(errstr, errstr_size, "bad notify state '%.60s': %s", s, what);
        return IMPACTD_ERR_INVALID;
}
