/* Parsing and masking redis.url (include/redis_url.h). */
#include "redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pct.h"

#define MASK "*****"

void redis_url_clear(redis_url_t *u) {
        free(u->host);
        free(u->path);
        free(u->user);
        if (u->password) /* not left in freed memory either */
                memset(u->password, 0, strlen(u->password));
        free(u->password);
        memset(u, 0, sizeof(*u));
}

/* The user information ends at the last '@': a password may hold a raw
 * '@' or '/', where host, port and database hold neither. */
static const char *userinfo_end(const char *rest) {
        return strrchr(rest, '@');
}

char *redis_url_mask(const char *url) {
        /* Whatever the scheme, even one refused: the text after "://" (or
         * all of it) up to its last '@' may be a password. */
        const char *scheme = strstr(url, "://");
        const char *rest = scheme ? scheme + 3 : url;
        const char *at = userinfo_end(rest);
        if (!at)
                return strdup(url);
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        size_t keep = colon ? (size_t)(colon + 1 - url) : (size_t)(rest - url);
        size_t len = keep + sizeof(MASK) - 1 + strlen(at);
        char *out = malloc(len + 1);
        if (!out)
                return NULL;
        memcpy(out, url, keep);
        memcpy(out + keep, MASK, sizeof(MASK) - 1);
        strcpy(out + keep + sizeof(MASK) - 1, at);
        return out;
}

/* Percent-decodes [s, s + n) into a new string: %XX where XX is hex, any
 * other byte as it is (a '%' not followed by two hex digits stays, and so
 * does %00: a password cannot hold a NUL). */
static char *decode_dup(const char *s, size_t n) {
        char *out = malloc(n + 1);
        size_t o = 0;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                int hi = s[i] == '%' && i + 2 < n ? pct_hexval(s[i + 1]) : -1;
                int lo = hi >= 0 ? pct_hexval(s[i + 2]) : -1;
                if (hi >= 0 && lo >= 0 && (hi | lo)) {
                        out[o++] = (char)(hi * 16 + lo);
                        i += 2;
                } else {
                        out[o++] = s[i];
                }
        }
        out[o] = '\0';
        return out;
}

/* A decimal number in [lo, hi] spanning all of [s, s + n); -1 otherwise. */
static long number_in(const char *s, size_t n, long lo, long hi) {
        long v = 0;
        if (n == 0 || n > 9)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v >= lo && v <= hi ? v : -1;
}

/* The URL itself is never quoted: a malformed one may hold its password
 * anywhere (a space for an '@', a query string), where no mask finds it.
 * The key, file and line the caller adds say where it is. */
static impactd_err_t fail(const char *url, char *errstr, size_t errstr_size,
                          const char *why) {
        (void)url;
        snprintf(errstr, errstr_size, "redis.url: %s", why);
        return IMPACTD_ERR_CONFIG;
}

impactd_err_t redis_url_parse(const char *url, redis_url_t *u, char *errstr,
                              size_t errstr_size) {
        memset(u, 0, sizeof(*u));
        u->port = 6379;
        if (strncmp(url, "unix://", 7) == 0) {
                if (!url[7])
                        return fail(url, errstr, errstr_size,
                                    "no socket path");
                u->path = strdup(url + 7);
                u->host = strdup("");
                u->user = strdup("");
                u->password = strdup("");
                goto out;
        }
        if (strncmp(url, "redis://", 8) != 0)
                return fail(url, errstr, errstr_size,
                            "expected redis://[[user]:password@]host[:port]"
                            "[/db] or unix:///path");
        const char *rest = url + 8, *at = userinfo_end(rest);
        if (at) {
                const char *colon = memchr(rest, ':', (size_t)(at - rest));
                const char *pw = colon ? colon + 1 : rest;
                /* "redis://secret@host" has always meant a password. */
                u->user = colon ? decode_dup(rest, (size_t)(colon - rest))
                                : strdup("");
                u->password = decode_dup(pw, (size_t)(at - pw));
                rest = at + 1;
        } else {
                u->user = strdup("");
                u->password = strdup("");
        }
        size_t hl;
        if (*rest == '[') { /* [IPv6] */
                const char *close = strchr(rest, ']');
                if (!close)
                        return fail(url, errstr, errstr_size,
                                    "unclosed '[' in the host");
                u->host = strndup(rest + 1, (size_t)(close - rest - 1));
                rest = close + 1;
        } else {
                hl = strcspn(rest, ":/");
                u->host = strndup(rest, hl);
                rest += hl;
        }
        if (!u->host || !u->host[0])
                return fail(url, errstr, errstr_size, "no host");
        if (*rest == ':') {
                size_t pl = strcspn(rest + 1, "/");
                long port = number_in(rest + 1, pl, 1, 65535);
                if (port < 0)
                        return fail(url, errstr, errstr_size,
                                    "the port must be a number from 1 to "
                                    "65535");
                u->port = (int)port;
                rest += 1 + pl;
        }
        if (*rest == '/' && rest[1]) {
                long db = number_in(rest + 1, strlen(rest + 1), 0, 100000000);
                if (db < 0)
                        return fail(url, errstr, errstr_size,
                                    "the database must be a number");
                u->db = (int)db;
        } else if (*rest && strcmp(rest, "/") != 0) {
                return fail(url, errstr, errstr_size,
                            "unexpected text after the host");
        }
        u->path = strdup("");
out:
        if (!u->host || !u->path || !u->user || !u->password) {
                snprintf(errstr, errstr_size, "out of memory");
                return IMPACTD_ERR_NOMEM;
        }
        return IMPACTD_OK;
}
