#include "strmap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STRMAP_NONE ((size_t)-1)

static uint64_t hash_str(const char *s) {
        uint64_t h = 1469598103934665603ull;
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 1099511628211ull;
        return h;
}

static strmap_slot_t *find(const strmap_t *m, const char *key, uint64_t h) {
        size_t mask = m->cap - 1;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
                strmap_slot_t *s = &m->slots[i];
                if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
                        return s;
        }
}

static int grow(strmap_t *m) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        strmap_t bigger = {calloc(cap, sizeof(strmap_slot_t)), cap, 0};
        if (!bigger.slots)
                return -1;
        for (size_t i = 0; i < m->cap; i++) {
                if (!m->slots[i].key)
                        continue;
                *find(&bigger, m->slots[i].key, m->slots[i].hash) = m->slots[i];
                bigger.cnt++;
        }
        free(m->slots);
        *m = bigger;
        return 0;
}

size_t strmap_get_or_put(strmap_t *m, const char *key, size_t value) {
        /* Keep the load under 1/2 so probes stay short. */
        if ((m->cnt + 1) * 2 > m->cap && grow(m) == -1)
                return STRMAP_NONE;
        uint64_t h = hash_str(key);
        strmap_slot_t *s = find(m, key, h);
        if (s->key)
                return s->value;
        s->key = key;
        s->hash = h;
        s->value = value;
        m->cnt++;
        return value;
}

size_t strmap_get(const strmap_t *m, const char *key) {
        if (!m->cap)
                return STRMAP_NONE;
        strmap_slot_t *s = find(m, key, hash_str(key));
        return s->key ? s->value : STRMAP_NONE;
}

size_t strmap_del(strmap_t *m, const char *key) {
        if (!m->cap)
                return STRMAP_NONE;
        size_t mask = m->cap - 1;
        strmap_slot_t *s = find(m, key, hash_str(key));
        if (!s->key)
                return STRMAP_NONE;
        size_t value = s->value, i = (size_t)(s - m->slots);
        /* Backward shift (linear probing has no tombstones): every key
         * after the hole that could have lived in it moves up, so each
         * stays reachable from its home slot. */
        for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
                size_t home = m->slots[j].hash & mask;
                bool between = i <= j ? (home <= i || home > j)
                                      : (home <= i && home > j);
                if (between) {
                        m->slots[i] = m->slots[j];
                        i = j;
                }
        }
        memset(&m->slots[i], 0, sizeof(m->slots[i]));
        m->cnt--;
        return value;
}

void strmap_clear(strmap_t *m) {
        if (m->cnt)
                memset(m->slots, 0, m->cap * sizeof(*m->slots));
        m->cnt = 0;
}

void strmap_free(strmap_t *m) {
        free(m->slots);
        m->slots = NULL;
        m->cap = m->cnt = 0;
}
