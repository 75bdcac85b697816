/* A bounded string map: slots, an LRU list and an index. */
#include "lru.h"

#include <stdlib.h>
#include <string.h>

#include "strmap.h"

#define NIL ((size_t)-1)

typedef struct slot {
        char *key, *value;
        int64_t expires_at;
        size_t prev, next; /* LRU list, head most recent; free list via next */
} slot_t;

struct lru {
        slot_t *v;
        size_t max, used, count;
        size_t head, tail, free_head;
        strmap_t idx;
};

lru_t *lru_new(size_t max_entries) {
        lru_t *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->max = max_entries ? max_entries : 1;
        c->v = calloc(c->max, sizeof(*c->v));
        if (!c->v) {
                free(c);
                return NULL;
        }
        c->head = c->tail = c->free_head = NIL;
        return c;
}

static void unlink_slot(lru_t *c, size_t i) {
        slot_t *s = &c->v[i];
        if (s->prev != NIL)
                c->v[s->prev].next = s->next;
        else
                c->head = s->next;
        if (s->next != NIL)
                c->v[s->next].prev = s->prev;
        else
                c->tail = s->prev;
}

static void push_front(lru_t *c, size_t i) {
        c->v[i].prev = NIL;
        c->v[i].next = c->head;
        if (c->head != NIL)
                c->v[c->head].prev = i;
        c->head = i;
        if (c->tail == NIL)
                c->tail = i;
}

static void remove_slot(lru_t *c, size_t i) {
        slot_t *s = &c->v[i];
        unlink_slot(c, i);
        strmap_del(&c->idx, s->key);
        free(s->key);
        free(s->value);
        memset(s, 0, sizeof(*s));
        s->next = c->free_head;
        c->free_head = i;
        c->count--;
}

void lru_destroy(lru_t *c) {
        if (!c)
                return;
        while (c->head != NIL)
                remove_slot(c, c->head);
        free(c->v);
        strmap_free(&c->idx);
        free(c);
}

const char *lru_get(lru_t *c, const char *key, int64_t now) {
        size_t i = strmap_get(&c->idx, key);
        if (i == NIL)
                return NULL;
        if (c->v[i].expires_at <= now) {
                remove_slot(c, i);
                return NULL;
        }
        unlink_slot(c, i);
        push_front(c, i);
        return c->v[i].value;
}

int lru_put(lru_t *c, const char *key, const char *value, int64_t expires_at) {
        char *v = strdup(value);
        if (!v)
                return -1;
        size_t i = strmap_get(&c->idx, key);
        if (i != NIL) {
                free(c->v[i].value);
                c->v[i].value = v;
                c->v[i].expires_at = expires_at;
                unlink_slot(c, i);
                push_front(c, i);
                return 0;
        }
        char *k = strdup(key);
        if (!k) {
                free(v);
                return -1;
        }
        if (c->count == c->max)
                remove_slot(c, c->tail);
        if (c->free_head != NIL) {
                i = c->free_head;
                c->free_head = c->v[i].next;
        } else {
                i = c->used++;
        }
        if (strmap_get_or_put(&c->idx, k, i) == NIL) {
                c->v[i].next = c->free_head;
                c->free_head = i;
                free(k);
                free(v);
                return -1;
        }
        c->v[i] = (slot_t){.key = k, .value = v, .expires_at = expires_at};
        push_front(c, i);
        c->count++;
        return 0;
}

void lru_del(lru_t *c, const char *key) {
        size_t i = strmap_get(&c->idx, key);
        if (i != NIL)
                remove_slot(c, i);
}

size_t lru_count(const lru_t *c) {
        return c->count;
}
