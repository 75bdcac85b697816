/* Silences: validation, matching, the one-line Redis format and RFC 3339
 * times.  See include/silence.h. */
#include "silence.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pct.h"

#define DAY_MS 86400000LL

impactd_err_t silence_validate(const silence_t *s, char *errstr,
                               size_t errstr_size) {
        const char *why = NULL;

        if (!s->id[0])
                why = "id must not be empty";
        else if (!s->service[0])
                why = "service must not be empty";
        else if (!s->label_key[0] != !s->label_value[0])
                why = "label needs both a key and a value (key=value)";
        else if (s->starts_at < 0)
                why = "starts_at must not be before 1970";
        else if (s->ends_at <= s->starts_at)
                why = "ends_at must be after starts_at";
        if (!why)
                return IMPACTD_OK;
        snprintf(errstr, errstr_size, "silence '%s': %s", s->id, why);
        return IMPACTD_ERR_INVALID;
}

bool silence_active(const silence_t *s, int64_t now) {
        return now >= s->starts_at && now < s->ends_at;
}

bool silence_matches(const silence_t *s, const char *service,
                     const silence_label_t *labels, size_t labels_cnt,
                     int64_t now) {
        if (!silence_active(s, now) || !service ||
            (strcmp(s->service, "*") && strcmp(s->service, service)))
                return false;
        if (!s->label_key[0])
                return true;
        for (size_t i = 0; i < labels_cnt; i++)
                if (labels[i].key && labels[i].value &&
                    !strcmp(labels[i].key, s->label_key) &&
                    !strcmp(labels[i].value, s->label_value))
                        return true;
        return false;
}

/* ---- the one-line format ---- */

/* Appends "&name=" and the encoded value; false when it does not fit. */
static bool put_field(char *buf, size_t size, size_t *len, const char *name,
                      const char *value) {
        int n = snprintf(buf + *len, size - *len, "%s%s=", *len ? "&" : "",
                         name);

        if (n < 0 || (size_t)n >= size - *len)
                return false;
        *len += (size_t)n;
        if ((n = pct_encode(value, buf + *len, size - *len)) < 0)
                return false;
        *len += (size_t)n;
        return true;
}

int silence_format(const silence_t *s, char *buf, size_t size) {
        char label[2 * SILENCE_LABEL_MAX + 1], starts[24], ends[24];
        size_t len = 0;
        bool ok;

        if (size == 0)
                return -1;
        buf[0] = '\0';
        snprintf(label, sizeof(label), "%s=%s", s->label_key, s->label_value);
        snprintf(starts, sizeof(starts), "%" PRId64, s->starts_at);
        snprintf(ends, sizeof(ends), "%" PRId64, s->ends_at);
        ok = put_field(buf, size, &len, "id", s->id) &&
             put_field(buf, size, &len, "service", s->service) &&
             (!s->label_key[0] || put_field(buf, size, &len, "label", label)) &&
             put_field(buf, size, &len, "starts_at", starts) &&
             put_field(buf, size, &len, "ends_at", ends) &&
             put_field(buf, size, &len, "comment", s->comment) &&
             put_field(buf, size, &len, "created_by", s->created_by);
        return ok ? (int)len : -1;
}

/* Epoch ms with nothing else around it. */
static int parse_ms(const char *str, int64_t *ms) {
        char *end;

        if (!isdigit((unsigned char)*str))
                return -1;
        errno = 0;
        *ms = strtoll(str, &end, 10);
        return *end || errno ? -1 : 0;
}

/* One "name=value" field (value still encoded) into `s`. */
static const char *parse_field(const char *name, size_t nlen, const char *val,
                               size_t vlen, silence_t *s) {
        char tmp[2 * SILENCE_LABEL_MAX + 1], *eq;
        struct {
                const char *name;
                char *dst;
                size_t size;
        } text[] = {
                {"id", s->id, sizeof(s->id)},
                {"service", s->service, sizeof(s->service)},
                {"comment", s->comment, sizeof(s->comment)},
                {"created_by", s->created_by, sizeof(s->created_by)},
        };

        for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
                if (strlen(text[i].name) == nlen &&
                    !memcmp(text[i].name, name, nlen))
                        return pct_decode(val, vlen, text[i].dst,
                                          text[i].size) < 0
                                       ? "bad or too long value"
                                       : NULL;
        if (pct_decode(val, vlen, tmp, sizeof(tmp)) < 0)
                return "bad or too long value";
        if (nlen == 5 && !memcmp(name, "label", 5)) {
                if (!(eq = strchr(tmp, '=')) || eq == tmp || !eq[1] ||
                    (size_t)(eq - tmp) >= sizeof(s->label_key) ||
                    strlen(eq + 1) >= sizeof(s->label_value))
                        return "label must be key=value";
                *eq = '\0';
                strcpy(s->label_key, tmp);
                strcpy(s->label_value, eq + 1);
        } else if (nlen == 9 && !memcmp(name, "starts_at", 9)) {
                if (parse_ms(tmp, &s->starts_at))
                        return "starts_at must be epoch ms";
        } else if (nlen == 7 && !memcmp(name, "ends_at", 7)) {
                if (parse_ms(tmp, &s->ends_at))
                        return "ends_at must be epoch ms";
        }
        return NULL; /* unknown fields: a newer writer's */
}

impactd_err_t silence_parse(const char *line, silence_t *s, char *errstr,
                            size_t errstr_size) {
        const char *p = line, *why = NULL;
        bool have_starts = false, have_ends = false;

        memset(s, 0, sizeof(*s));
        while (*p && !why) {
                size_t len = strcspn(p, "&"), nlen = strcspn(p, "=&");

                if (nlen >= len) {
                        why = "expected name=value";
                        break;
                }
                have_starts |= nlen == 9 && !memcmp(p, "starts_at", 9);
                have_ends |= nlen == 7 && !memcmp(p, "ends_at", 7);
                if ((why = parse_field(p, nlen, p + nlen + 1, len - nlen - 1,
                                       s)))
                        break;
                p += len + (p[len] == '&');
        }
        if (!why && (!have_starts || !have_ends))
                why = "starts_at and ends_at are required";
        if (why) {
                snprintf(errstr, errstr_size, "bad silence '%.80s': %s", line,
                         why);
                return IMPACTD_ERR_INVALID;
        }
        return silence_validate(s, errstr, errstr_size);
}

/* ---- RFC 3339 UTC ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): no timegm(), no TZ, the same on every worker. */
static int64_t days_from_civil(int64_t y, int m, int d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

        return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
        static const int dim[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return m == 2 && leap ? 29 : dim[m - 1];
}

/* `n` digits at `*p` as a number; -1 if any is not a digit. */
static int digits(const char **p, int n) {
        int v = 0;

        for (int i = 0; i < n; i++, (*p)++) {
                if (!isdigit((unsigned char)**p))
                        return -1;
                v = v * 10 + (**p - '0');
        }
        return v;
}

static bool sep(const char **p, const char *any) {
        if (!**p || !strchr(any, **p))
                return false;
        (*p)++;
        return true;
}

int silence_time_parse(const char *str, int64_t *ms) {
        const char *p = str;
        int y, mo, d, h, mi, s, frac = 0;

        if (parse_ms(str, ms) == 0)
                return 0;
        if ((y = digits(&p, 4)) < 1970 || !sep(&p, "-") ||
            (mo = digits(&p, 2)) < 1 || mo > 12 || !sep(&p, "-") ||
            (d = digits(&p, 2)) < 1 || d > days_in_month(y, mo) ||
            !sep(&p, "Tt") || (h = digits(&p, 2)) < 0 || h > 23 ||
            !sep(&p, ":") || (mi = digits(&p, 2)) < 0 || mi > 59 ||
            !sep(&p, ":") || (s = digits(&p, 2)) < 0 || s > 59)
                return -1;
        if (sep(&p, ".")) {
                int n = 0;

                if (!isdigit((unsigned char)*p))
                        return -1;
                for (; isdigit((unsigned char)*p); p++, n++)
                        if (n < 3)
                                frac = frac * 10 + (*p - '0');
                for (; n < 3; n++)
                        frac *= 10;
        }
        if (!sep(&p, "Zz") || *p)
                return -1;
        *ms = days_from_civil(y, mo, d) * DAY_MS +
              ((int64_t)h * 3600 + mi * 60 + s) * 1000 + frac;
        return 0;
}

const char *silence_time_format(int64_t ms, char *buf, size_t size) {
        int64_t days = ms >= 0 ? ms / DAY_MS : (ms - DAY_MS + 1) / DAY_MS;
        int64_t rest = ms - days * DAY_MS;
        /* civil_from_days, the inverse of days_from_civil. */
        int64_t z = days + 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        int d = (int)(doy - (153 * mp + 2) / 5 + 1);
        int m = (int)(mp < 10 ? mp + 3 : mp - 9);
        int64_t y = yoe + era * 400 + (m <= 2);
        int sec = (int)(rest / 1000), msec = (int)(rest % 1000);

        if (msec)
                snprintf(buf, size,
                         "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m,
                         d, sec / 3600, sec / 60 % 60, sec % 60, msec);
        else
                snprintf(buf, size, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ",
                         y, m, d, sec / 3600, sec / 60 % 60, sec % 60);
        return buf;
}
