/* A small open-addressing map from borrowed C strings to indexes, for
 * grouping one batch's events by incident and lookup.  Keys are not copied:
 * they must outlive the map's use (the batch). */
#ifndef IMPACTD_STRMAP_H
#define IMPACTD_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap_slot {
        const char *key;
        uint64_t hash;
        size_t value;
} strmap_slot_t;

typedef struct strmap {
        strmap_slot_t *slots;
        size_t cap, cnt;
} strmap_t;

/* Looks `key` up; when absent inserts it with `value`.  Returns the value
 * stored for key (the existing one, or `value`), or (size_t)-1 on ENOMEM. */
size_t strmap_get_or_put(strmap_t *m, const char *key, size_t value);
/* The value for key, or (size_t)-1. */
size_t strmap_get(const strmap_t *m, const char *key);
/* Removes `key`: returns its value, or (size_t)-1 when it was absent.
 * Maps that live long (an owner's incidents) forget what they drop. */
size_t strmap_del(strmap_t *m, const char *key);
void strmap_clear(strmap_t *m); /* keeps the storage */
void strmap_free(strmap_t *m);

#endif
