/* Growable arrays: a struct with a pointer `v`, a count `cnt` and a
 * capacity `cap`, grown by doubling. */
#ifndef IMPACTD_VEC_H
#define IMPACTD_VEC_H

#include <stddef.h>

/* Makes room for `need` elements of `size` bytes in the array whose
 * pointer is at `slot` (any T **).  0, or -1 when out of memory (the array
 * is as it was). */
int vec_reserve(void *slot, size_t *cap, size_t need, size_t size);

/* Room for one more element of `vec` (its v, cnt, cap). */
#define VEC_GROW(vec) vec_reserve(&(vec).v, &(vec).cap, (vec).cnt + 1, sizeof(*(vec).v))

#endif
