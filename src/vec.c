/* Growable arrays. */
#include "vec.h"

#include <stdlib.h>
#include <string.h>

int vec_reserve(void *slot, size_t *cap, size_t need, size_t size) {
        if (need <= *cap)
                return 0;
        size_t n = *cap ? *cap * 2 : 8;
        while (n < need)
                n *= 2;
        /* The pointer is read and written as bytes: `slot` may point at
         * any T *. */
        void *old;
        memcpy(&old, slot, sizeof(old));
        void *p = realloc(old, n * size);
        if (!p)
                return -1;
        memcpy(slot, &p, sizeof(p));
        *cap = n;
        return 0;
}
