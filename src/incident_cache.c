/* The owner's incidents: a map and an LRU list, bounded in bytes. */
#include "incident_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

#define NIL ((size_t)-1)

typedef struct entry {
        char *key; /* "<partition>:<id>": ids of two partitions never meet */
        aggregate_t *a;
        int32_t partition;
        bool dirty;
        size_t bytes;      /* aggregate_bytes() when last counted */
        size_t prev, next; /* LRU list: head most recent */
} entry_t;

struct incident_cache {
        size_t max_bytes, bytes, count;
        entry_t *v;
        size_t cap, used;
        size_t free_head; /* slots freed, chained through `next` */
        size_t head, tail;
        strmap_t idx; /* key -> slot */
        /* Slots made dirty since their partition's last write.  A slot
         * freed and reused meanwhile is checked again when saved: an
         * index here is a hint, never trusted alone. */
        size_t *dirty;
        size_t dirty_cnt, dirty_cap;
};

incident_cache_t *incident_cache_new(size_t max_bytes) {
        incident_cache_t *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->max_bytes = max_bytes;
        c->free_head = c->head = c->tail = NIL;
        return c;
}

static void unlink_lru(incident_cache_t *c, size_t i) {
        entry_t *e = &c->v[i];
        if (e->prev != NIL)
                c->v[e->prev].next = e->next;
        else
                c->head = e->next;
        if (e->next != NIL)
                c->v[e->next].prev = e->prev;
        else
                c->tail = e->prev;
        e->prev = e->next = NIL;
}

static void push_front(incident_cache_t *c, size_t i) {
        entry_t *e = &c->v[i];
        e->prev = NIL;
        e->next = c->head;
        if (c->head != NIL)
                c->v[c->head].prev = i;
        c->head = i;
        if (c->tail == NIL)
                c->tail = i;
}

/* Frees slot `i`, its incident and its key. */
static void remove_slot(incident_cache_t *c, size_t i) {
        entry_t *e = &c->v[i];
        unlink_lru(c, i);
        strmap_del(&c->idx, e->key);
        c->bytes -= e->bytes;
        c->count--;
        aggregate_destroy(e->a);
        free(e->key);
        memset(e, 0, sizeof(*e));
        e->prev = NIL;
        e->next = c->free_head;
        c->free_head = i;
}

void incident_cache_destroy(incident_cache_t *c) {
        if (!c)
                return;
        while (c->head != NIL)
                remove_slot(c, c->head);
        free(c->v);
        free(c->dirty);
        strmap_free(&c->idx);
        free(c);
}

/* The slot of (partition, id), or NIL. */
static size_t slot_of(const incident_cache_t *c, int32_t partition,
                      const char *id) {
        char small[256], *key = small;
        size_t n = (size_t)snprintf(NULL, 0, "%d:", (int)partition) + strlen(id) + 1;
        if (n > sizeof(small) && !(key = malloc(n)))
                return NIL;
        snprintf(key, n, "%d:%s", (int)partition, id);
        size_t i = strmap_get(&c->idx, key);
        if (key != small)
                free(key);
        return i;
}

aggregate_t *incident_cache_get(incident_cache_t *c, int32_t partition,
                                const char *id) {
        size_t i = slot_of(c, partition, id);
        if (i == NIL)
                return NULL;
        unlink_lru(c, i);
        push_front(c, i);
        return c->v[i].a;
}

int incident_cache_put(incident_cache_t *c, int32_t partition, aggregate_t *a) {
        const char *id = aggregate_id(a);
        size_t n = (size_t)snprintf(NULL, 0, "%d:", (int)partition) + strlen(id) + 1;
        char *key = malloc(n);
        size_t i;
        if (!key)
                return -1;
        snprintf(key, n, "%d:%s", (int)partition, id);
        if (strmap_get(&c->idx, key) != NIL) {
                free(key);
                return -1;
        }
        if (c->free_head != NIL) {
                i = c->free_head;
                c->free_head = c->v[i].next;
        } else {
                if (c->used == c->cap) {
                        size_t cap = c->cap ? c->cap * 2 : 64;
                        entry_t *v = realloc(c->v, cap * sizeof(*v));
                        if (!v) {
                                free(key);
                                return -1;
                        }
                        c->v = v;
                        c->cap = cap;
                }
                i = c->used++;
        }
        if (strmap_get_or_put(&c->idx, key, i) == NIL) {
                c->v[i].next = c->free_head;
                c->free_head = i;
                free(key);
                return -1;
        }
        c->v[i] = (entry_t){.key = key, .a = a, .partition = partition,
                            .bytes = aggregate_bytes(a), .prev = NIL, .next = NIL};
        c->bytes += c->v[i].bytes;
        c->count++;
        push_front(c, i);
        return 0;
}

int incident_cache_dirty(incident_cache_t *c, int32_t partition,
                         const char *id) {
        size_t i = slot_of(c, partition, id);
        if (i == NIL || c->v[i].dirty)
                return 0;
        if (c->dirty_cnt == c->dirty_cap) {
                size_t cap = c->dirty_cap ? c->dirty_cap * 2 : 64;
                size_t *d = realloc(c->dirty, cap * sizeof(*d));
                if (!d)
                        return -1;
                c->dirty = d;
                c->dirty_cap = cap;
        }
        c->dirty[c->dirty_cnt++] = i;
        c->v[i].dirty = true;
        return 0;
}

void incident_cache_saved(incident_cache_t *c, int32_t partition) {
        size_t keep = 0;
        for (size_t k = 0; k < c->dirty_cnt; k++) {
                entry_t *e = &c->v[c->dirty[k]];
                if (!e->a || !e->dirty)
                        continue; /* dropped, or its slot reused clean */
                if (e->partition != partition) {
                        c->dirty[keep++] = c->dirty[k];
                        continue;
                }
                /* What it holds grew with what it applied. */
                e->dirty = false;
                c->bytes -= e->bytes;
                e->bytes = aggregate_bytes(e->a);
                c->bytes += e->bytes;
        }
        c->dirty_cnt = keep;
}

size_t incident_cache_evict(incident_cache_t *c) {
        size_t n = 0;
        for (size_t i = c->tail; i != NIL && c->bytes > c->max_bytes;) {
                size_t prev = c->v[i].prev;
                if (!c->v[i].dirty) {
                        remove_slot(c, i);
                        n++;
                }
                i = prev;
        }
        return n;
}

void incident_cache_drop(incident_cache_t *c, int32_t partition, const char *id) {
        size_t i = slot_of(c, partition, id);
        if (i != NIL)
                remove_slot(c, i);
}

size_t incident_cache_drop_partition(incident_cache_t *c, int32_t partition) {
        size_t n = 0;
        for (size_t i = c->head; i != NIL;) {
                size_t next = c->v[i].next;
                if (c->v[i].partition == partition) {
                        remove_slot(c, i);
                        n++;
                }
                i = next;
        }
        return n;
}

size_t incident_cache_bytes(const incident_cache_t *c) {
        return c->bytes;
}

size_t incident_cache_count(const incident_cache_t *c) {
        return c->count;
}
