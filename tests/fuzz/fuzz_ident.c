/* libFuzzer: identifiers through key building.  The input is two ids
 * separated by a NUL byte (an id holds none).  Every key the worker makes
 * of one id (an incident's, a service's, a ticket's) must fall in one
 * cluster slot, carry the whole id back (its tag decodes to it), and
 * differ from the same key of any other id; notification id parts must
 * decode back too.  A failure aborts, which libFuzzer reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "redis_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every suffix and kind the worker builds keys with (redis_state.c). */
static const char *const suffixes[] = {
        "", ":seen", ":alerts", ":accts", ":tix", ":segs", ":tpm", ":esc",
        ":imp", ":spm", ":offs", ":unbound", ":kaccts", ":outbox", ":held",
        ":ev"};
static const char *const kinds[] = {"", "svc:", "tkt:"};
#define NSUF (sizeof(suffixes) / sizeof(suffixes[0]))
#define NKIND (sizeof(kinds) / sizeof(kinds[0]))

static void check(int ok, const char *what, const char *id) {
        if (!ok) {
                fprintf(stderr, "fuzz_ident: %s for id of %zu bytes\n", what,
                        strlen(id));
                abort();
        }
}

/* The tag of `key` (between its first '{' and the '}' after it), decoded. */
static void tag_decodes_to(const char *key, size_t len, const char *id) {
        const char *open = memchr(key, '{', len);
        check(open != NULL, "no tag", id);
        const char *close = memchr(open, '}', len - (size_t)(open - key));
        check(close != NULL, "tag not closed", id);
        char *out = malloc((size_t)(close - open));
        long n = ident_decode(open + 1, (size_t)(close - open - 1), IDENT_KEY,
                              out);
        check(n >= 0 && (size_t)n == strlen(id) && !memcmp(out, id, (size_t)n),
              "tag does not decode to the id", id);
        free(out);
}

static void keys_of(const char *id, redis_args_t *a) {
        redis_args_reset(a);
        for (size_t k = 0; k < NKIND; k++)
                for (size_t s = 0; s < NSUF; s++)
                        check(redis_args_add_key(a, "impact", kinds[k], id,
                                                 suffixes[s]) == 0,
                              "out of memory", id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static redis_args_t a, b;
        const uint8_t *nul = memchr(data, 0, size);
        size_t la = nul ? (size_t)(nul - data) : size;
        if (!la || (nul && la + 1 == size))
                return 0;
        char *ida = strndup((const char *)data, la);
        char *idb = nul ? strndup((const char *)nul + 1, size - la - 1)
                        : strdup("x");
        if (!idb[0]) {
                free(ida);
                free(idb);
                return 0;
        }
        keys_of(ida, &a);
        keys_of(idb, &b);
        for (size_t k = 0; k < NKIND; k++) {
                size_t first = k * NSUF;
                unsigned slot = ident_key_slot(a.argv[first], a.argvlen[first]);
                for (size_t s = 0; s < NSUF; s++) {
                        size_t i = first + s;
                        check(ident_key_slot(a.argv[i], a.argvlen[i]) == slot,
                              "keys of one id in two slots", ida);
                        tag_decodes_to(a.argv[i], a.argvlen[i], ida);
                        bool same = a.argvlen[i] == b.argvlen[i] &&
                                    !memcmp(a.argv[i], b.argv[i], a.argvlen[i]);
                        check(same == !strcmp(ida, idb),
                              "two ids share a key", ida);
                }
        }
        /* An account as a part of a notification id: no ':' left in it,
         * and it decodes back. */
        char *part = malloc(ident_encoded_len(ida, IDENT_PART) + 1);
        size_t n = ident_encode(ida, IDENT_PART, part);
        check(!memchr(part, ':', n), "':' in an id part", ida);
        char *back = malloc(n + 1);
        check(ident_decode(part, n, IDENT_PART, back) == (long)la &&
                      !memcmp(back, ida, la),
              "id part does not decode", ida);
        free(back);
        free(part);
        free(ida);
        free(idb);
        return 0;
}
