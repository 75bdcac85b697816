#include "strpool.h"

#include <stdlib.h>
#include <string.h>

/* Big enough that a batch of thousands of incident ids takes a block or
 * two; a longer string gets a block of its own size. */
#define BLOCK_MIN 16384

struct strpool_block {
        strpool_block_t *next;
        size_t used, cap;
        char data[];
};

char *strpool_alloc(strpool_t *p, size_t len) {
        strpool_block_t *blk = p->head;
        if (!blk || blk->cap - blk->used < len + 1) {
                size_t cap = len + 1 > BLOCK_MIN ? len + 1 : BLOCK_MIN;
                if (!(blk = malloc(sizeof(*blk) + cap)))
                        return NULL;
                blk->next = p->head;
                blk->used = 0;
                blk->cap = cap;
                p->head = blk;
        }
        char *out = blk->data + blk->used;
        out[len] = '\0';
        blk->used += len + 1;
        return out;
}

const char *strpool_cat(strpool_t *p, const char *a, size_t alen,
                        const char *b, size_t blen) {
        char *out = strpool_alloc(p, alen + blen);
        if (out) {
                memcpy(out, a, alen);
                memcpy(out + alen, b, blen);
        }
        return out;
}

const char *strpool_dup(strpool_t *p, const char *s, size_t len) {
        return strpool_cat(p, s, len, "", 0);
}

const char *strpool_str(strpool_t *p, const char *s) {
        return strpool_dup(p, s, strlen(s));
}

void strpool_reset(strpool_t *p) {
        strpool_block_t *b = p->head;
        if (!b)
                return;
        /* Keeps the oldest block, which a steady stream fills every batch. */
        while (b->next) {
                strpool_block_t *next = b->next;
                free(b);
                b = next;
        }
        b->used = 0;
        p->head = b;
}

void strpool_free(strpool_t *p) {
        while (p->head) {
                strpool_block_t *next = p->head->next;
                free(p->head);
                p->head = next;
        }
}
