/* A bounded map of strings to strings, least recently used out first, each
 * entry good until a time: the router's cache of key and ticket bindings
 * (docs/architecture.md, "Owner keys").  A binding lives in Redis only as
 * long as it is used, so the cache keeps an entry a fraction of that and
 * then asks Redis again, which keeps the binding alive. */
#ifndef IMPACTD_LRU_H
#define IMPACTD_LRU_H

#include <stddef.h>
#include <stdint.h>

typedef struct lru lru_t;

lru_t *lru_new(size_t max_entries);
void lru_destroy(lru_t *c);

/* The value of `key` at `now`, now the most recently used; NULL when
 * absent or expired (an expired entry is dropped).  Valid until the next
 * put or del. */
const char *lru_get(lru_t *c, const char *key, int64_t now);

/* Sets `key` to `value` (both copied) until `expires_at`, evicting the
 * least recently used entry when full.  -1 when out of memory (the cache
 * is as it was). */
int lru_put(lru_t *c, const char *key, const char *value, int64_t expires_at);

void lru_del(lru_t *c, const char *key);
size_t lru_count(const lru_t *c);

#endif
