/* Ticket segments -> one line of words (include/segments.h). */
#include "segments.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
        char *buf;
        size_t size, len;
        bool cut; /* full: nothing more goes after a cut */
} out_t;

/* Appends, cutting at the buffer's end; len never passes size - 1. */
static void put(out_t *o, const char *fmt, ...) {
        va_list ap;
        if (o->cut || o->len + 1 >= o->size)
                return;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n < o->size - o->len)
                o->len += (size_t)n;
        else { /* cut: not inside a character */
                o->len = impactd_utf8_trim(o->buf);
                o->cut = true;
        }
}

static int by_count_then_name(const void *a, const void *b) {
        const segment_count_t *x = *(const segment_count_t *const *)a;
        const segment_count_t *y = *(const segment_count_t *const *)b;
        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        return strcmp(x->value, y->value);
}

static bool has_region(const segment_count_t *segs, size_t n, const char *r) {
        for (size_t i = 0; i < n; i++)
                if (segs[i].kind == SEGMENT_REGION && segs[i].count > 0 &&
                    segs[i].value && !strcmp(segs[i].value, r))
                        return true;
        return false;
}

static void regions(out_t *o, const segment_count_t *segs, size_t n) {
        const segment_count_t **top = calloc(n + 1, sizeof(*top));
        size_t cnt = 0;
        long long total = 0, acc = 0;
        if (!top)
                return;
        for (size_t i = 0; i < n; i++)
                if (segs[i].kind == SEGMENT_REGION && segs[i].count > 0 &&
                    segs[i].value) {
                        top[cnt++] = &segs[i];
                        total += segs[i].count;
                }
        if (cnt) {
                qsort(top, cnt, sizeof(*top), by_count_then_name);
                size_t k = 0;
                while (k < cnt && acc < SEGMENTS_CONCENTRATION * (double)total)
                        acc += top[k++]->count;
                if (k > SEGMENTS_MAX_NAMED) {
                        put(o, "tickets spread over %zu regions", cnt);
                } else {
                        put(o, "tickets concentrated in ");
                        for (size_t i = 0; i < k; i++)
                                put(o, "%s%s", i ? ", " : "", top[i]->value);
                }
        }
        free(top);
}

static void mostly(out_t *o, const segment_count_t *segs, size_t n,
                   segment_kind_t kind, const char *word) {
        const segment_count_t *best = NULL;
        long long total = 0;
        for (size_t i = 0; i < n; i++) {
                if (segs[i].kind != kind || segs[i].count <= 0 || !segs[i].value)
                        continue;
                total += segs[i].count;
                if (!best || segs[i].count > best->count ||
                    (segs[i].count == best->count &&
                     strcmp(segs[i].value, best->value) < 0))
                        best = &segs[i];
        }
        if (best && total >= 2 &&
            (double)best->count >= SEGMENTS_CONCENTRATION * (double)total)
                put(o, "%smostly %s %s", o->len ? "; " : "", word, best->value);
}

size_t segments_summary(const segment_count_t *segs, size_t n,
                        const char *const *known_regions, size_t known_cnt,
                        char *buf, size_t size) {
        out_t o = {buf, size, 0, false};
        if (!size)
                return 0;
        buf[0] = '\0';
        regions(&o, segs, n);
        if (o.len) {
                bool first = true;
                for (size_t i = 0; i < known_cnt; i++) {
                        if (has_region(segs, n, known_regions[i]))
                                continue;
                        put(&o, "%s%s", first ? "; none in " : ", ",
                            known_regions[i]);
                        first = false;
                }
        }
        mostly(&o, segs, n, SEGMENT_PRODUCT_VERSION, "version");
        mostly(&o, segs, n, SEGMENT_PLATFORM, "platform");
        mostly(&o, segs, n, SEGMENT_FEATURE, "feature");
        return o.len;
}
