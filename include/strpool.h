/* Strings that live until the pool is reset: one batch's incident ids,
 * copied once and then shared by its items, lookups and groups.  Blocks
 * are never moved, so a string keeps its address; reset keeps the first
 * block for the next batch. */
#ifndef IMPACTD_STRPOOL_H
#define IMPACTD_STRPOOL_H

#include <stddef.h>

typedef struct strpool_block strpool_block_t;

typedef struct strpool {
        strpool_block_t *head; /* newest first */
} strpool_t;

/* Room for a string of `len` bytes, its NUL already in place at [len];
 * NULL when out of memory. */
char *strpool_alloc(strpool_t *p, size_t len);
/* A NUL-terminated copy of `len` bytes of `s`; NULL when out of memory. */
const char *strpool_dup(strpool_t *p, const char *s, size_t len);
const char *strpool_str(strpool_t *p, const char *s); /* strlen(s) bytes */
/* `a` then `b`, as one string. */
const char *strpool_cat(strpool_t *p, const char *a, size_t alen,
                        const char *b, size_t blen);
void strpool_reset(strpool_t *p);
void strpool_free(strpool_t *p);

#endif
