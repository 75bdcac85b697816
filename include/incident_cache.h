/* The owner's incidents in memory, bounded by state.max_bytes
 * (docs/architecture.md, "The owner"): the least recently used incident
 * that is stored (clean) goes when the bound is passed, to be loaded from
 * Redis again on its next touch.  An incident changed since its last
 * partition write (dirty) is never evicted: its changes exist nowhere
 * else.  Not thread-safe: one owner loop. */
#ifndef IMPACTD_INCIDENT_CACHE_H
#define IMPACTD_INCIDENT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"

typedef struct incident_cache incident_cache_t;

incident_cache_t *incident_cache_new(size_t max_bytes);
/* Destroys every incident it holds. */
void incident_cache_destroy(incident_cache_t *c);

/* The incident `id` of routed partition `partition`, now the most
 * recently used; NULL when not held. */
aggregate_t *incident_cache_get(incident_cache_t *c, int32_t partition,
                                const char *id);

/* Holds `a` (taking it: the cache destroys it), clean.  -1 when out of
 * memory or when an incident of that id is held already (`a` is then the
 * caller's still). */
int incident_cache_put(incident_cache_t *c, int32_t partition, aggregate_t *a);

/* The incident changed: not to be evicted until incident_cache_saved().
 * -1 when out of memory (then save the partition before evicting). */
int incident_cache_dirty(incident_cache_t *c, int32_t partition,
                         const char *id);
/* Every dirty incident of `partition` is stored now. */
void incident_cache_saved(incident_cache_t *c, int32_t partition);

/* Evicts clean incidents, least recently used first, until the bound
 * holds again or only dirty ones are left.  Returns how many went. */
size_t incident_cache_evict(incident_cache_t *c);

/* Forgets one incident (expired), or every incident of a partition this
 * worker lost (its new owner loads them). */
void incident_cache_drop(incident_cache_t *c, int32_t partition, const char *id);
size_t incident_cache_drop_partition(incident_cache_t *c, int32_t partition);

size_t incident_cache_bytes(const incident_cache_t *c);
size_t incident_cache_count(const incident_cache_t *c);

#endif
