/* Percent-encoding for the one-line Redis values of silences and policy
 * state: the bytes outside [A-Za-z0-9_.@-] become %XX, so a value holds no
 * space, separator or control byte and reads back exactly.  Internal to
 * src/. */
#ifndef IMPACTD_PCT_H
#define IMPACTD_PCT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool pct_safe(unsigned char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
               (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
               ch == '@' || ch == '-';
}

/* Encodes `in` into `out`; the length written, or -1 when it does not fit
 * in `size` (NUL included). */
static inline int pct_encode(const char *in, char *out, size_t size) {
        static const char hex[] = "0123456789ABCDEF";
        size_t n = 0;

        for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
                size_t need = pct_safe(*p) ? 1 : 3;

                if (n + need >= size)
                        return -1;
                if (need == 1) {
                        out[n++] = (char)*p;
                        continue;
                }
                out[n++] = '%';
                out[n++] = hex[*p >> 4];
                out[n++] = hex[*p & 15];
        }
        if (size == 0)
                return -1;
        out[n] = '\0';
        return (int)n;
}

static inline int pct_hexval(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        return -1;
}

/* Decodes `len` bytes of `in`; -1 on a byte that should have been encoded,
 * a bad %XX, an encoded NUL, or a result longer than `size` - 1. */
static inline int pct_decode(const char *in, size_t len, char *out,
                             size_t size) {
        size_t n = 0;

        for (size_t i = 0; i < len; i++) {
                int ch = (unsigned char)in[i];

                if (ch == '%') {
                        int hi = i + 2 < len ? pct_hexval(in[i + 1]) : -1;
                        int lo = i + 2 < len ? pct_hexval(in[i + 2]) : -1;

                        if (hi < 0 || lo < 0 || (ch = hi * 16 + lo) == 0)
                                return -1;
                        i += 2;
                } else if (!pct_safe((unsigned char)ch)) {
                        return -1;
                }
                if (n + 1 >= size)
                        return -1;
                out[n++] = (char)ch;
        }
        if (size == 0)
                return -1;
        out[n] = '\0';
        return (int)n;
}

#endif
