/* A compact binary encoding for what impactd stores and passes to itself:
 * incidents in Redis, events on the routed topic.  Integers are varints
 * (signed ones zigzag), doubles their 8 IEEE bytes little-endian, strings
 * a length then their bytes.  Records start with a version byte of their
 * own kind, so a newer reader can still read an older record.
 *
 * Writers never fail half-way: an allocation failure sets `failed` and
 * later puts do nothing; check it once at the end.  Readers likewise set
 * `failed` on a truncated or malformed record and return zeros after. */
#ifndef IMPACTD_RECORD_H
#define IMPACTD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct record_buf {
        char *p;
        size_t len, cap;
        bool failed;
} record_buf_t;

void record_buf_reset(record_buf_t *b); /* keeps the storage */
void record_buf_free(record_buf_t *b);

void record_put_u64(record_buf_t *b, uint64_t v);
void record_put_i64(record_buf_t *b, int64_t v);
void record_put_f64(record_buf_t *b, double v);
/* `len` bytes of `s`; NULL (absent) and "" (empty) stay distinct. */
void record_put_str(record_buf_t *b, const char *s, size_t len);
void record_put_cstr(record_buf_t *b, const char *s);

typedef struct record_reader {
        const uint8_t *p, *end;
        bool failed;
} record_reader_t;

void record_reader_init(record_reader_t *r, const void *data, size_t len);
uint64_t record_get_u64(record_reader_t *r);
int64_t record_get_i64(record_reader_t *r);
double record_get_f64(record_reader_t *r);
/* A view of the string's bytes (not NUL-terminated), NULL when it was
 * absent or the record is malformed (then `failed`). */
const char *record_get_str(record_reader_t *r, size_t *len);
/* True when every byte was read and nothing failed. */
bool record_reader_done(const record_reader_t *r);

#endif
