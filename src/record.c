/* The compact binary encoding: varints, zigzag, doubles, strings. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

void record_buf_reset(record_buf_t *b) {
        b->len = 0;
        b->failed = false;
}

void record_buf_free(record_buf_t *b) {
        free(b->p);
        memset(b, 0, sizeof(*b));
}

static char *room(record_buf_t *b, size_t n) {
        if (b->failed)
                return NULL;
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 256;
                while (cap < b->len + n)
                        cap *= 2;
                char *p = realloc(b->p, cap);
                if (!p) {
                        b->failed = true;
                        return NULL;
                }
                b->p = p;
                b->cap = cap;
        }
        char *at = b->p + b->len;
        b->len += n;
        return at;
}

void record_put_u64(record_buf_t *b, uint64_t v) {
        uint8_t tmp[10];
        size_t n = 0;
        do {
                tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                v >>= 7;
        } while (v);
        char *at = room(b, n);
        if (at)
                memcpy(at, tmp, n);
}

void record_put_i64(record_buf_t *b, int64_t v) {
        /* Zigzag: small magnitudes of either sign stay short. */
        record_put_u64(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void record_put_f64(record_buf_t *b, double v) {
        uint64_t bits;
        memcpy(&bits, &v, sizeof(bits));
        char *at = room(b, 8);
        for (size_t i = 0; at && i < 8; i++)
                at[i] = (char)(bits >> (8 * i));
}

void record_put_str(record_buf_t *b, const char *s, size_t len) {
        /* 0 is absent; n + 1 is n bytes. */
        record_put_u64(b, s ? (uint64_t)len + 1 : 0);
        char *at = s && len ? room(b, len) : NULL;
        if (at)
                memcpy(at, s, len);
}

void record_put_cstr(record_buf_t *b, const char *s) {
        record_put_str(b, s, s ? strlen(s) : 0);
}

void record_reader_init(record_reader_t *r, const void *data, size_t len) {
        r->p = data;
        r->end = r->p + len;
        r->failed = false;
}

uint64_t record_get_u64(record_reader_t *r) {
        uint64_t v = 0;
        for (unsigned shift = 0; !r->failed; shift += 7) {
                if (r->p == r->end || shift > 63) {
                        r->failed = true;
                        break;
                }
                uint8_t byte = *r->p++;
                if (shift == 63 && byte > 1) {
                        r->failed = true; /* more than 64 bits */
                        break;
                }
                v |= (uint64_t)(byte & 0x7f) << shift;
                if (!(byte & 0x80))
                        return v;
        }
        return 0;
}

int64_t record_get_i64(record_reader_t *r) {
        uint64_t u = record_get_u64(r);
        return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

double record_get_f64(record_reader_t *r) {
        uint64_t bits = 0;
        double v;
        if (r->failed || r->end - r->p < 8) {
                r->failed = true;
                return 0;
        }
        for (size_t i = 0; i < 8; i++)
                bits |= (uint64_t)r->p[i] << (8 * i);
        r->p += 8;
        memcpy(&v, &bits, sizeof(v));
        return v;
}

const char *record_get_str(record_reader_t *r, size_t *len) {
        uint64_t n = record_get_u64(r);
        *len = 0;
        if (r->failed || n == 0)
                return NULL;
        if (n - 1 > (uint64_t)(r->end - r->p)) {
                r->failed = true;
                return NULL;
        }
        const char *s = (const char *)r->p;
        *len = (size_t)(n - 1);
        r->p += n - 1;
        return s;
}

bool record_reader_done(const record_reader_t *r) {
        return !r->failed && r->p == r->end;
}
