/* The string map: after any mix of puts and deletes, every key present
 * is found with its value and no key removed is, as a plain list says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

#define KEYS 3000

static void test_puts_and_deletes_agree_with_a_plain_list(void **state) {
        static char names[KEYS][16];
        static size_t want[KEYS]; /* value, or -1 when absent */
        strmap_t m = {0};
        uint32_t seed = 12345;
        (void)state;
        for (size_t k = 0; k < KEYS; k++) {
                snprintf(names[k], sizeof(names[k]), "inc-%zu", k);
                want[k] = (size_t)-1;
        }
        for (int op = 0; op < 200000; op++) {
                seed = seed * 1103515245u + 12345u;
                size_t k = (seed >> 8) % KEYS;
                if ((seed >> 4) & 1) {
                        size_t v = (size_t)op;
                        size_t got = strmap_get_or_put(&m, names[k], v);
                        if (want[k] == (size_t)-1)
                                want[k] = v;
                        assert_int_equal(got, want[k]);
                } else {
                        assert_int_equal(strmap_del(&m, names[k]), want[k]);
                        want[k] = (size_t)-1;
                }
                if (op % 10007 == 0) {
                        size_t present = 0;
                        for (size_t j = 0; j < KEYS; j++) {
                                assert_int_equal(strmap_get(&m, names[j]), want[j]);
                                present += want[j] != (size_t)-1;
                        }
                        assert_int_equal(m.cnt, present);
                }
        }
        strmap_free(&m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_puts_and_deletes_agree_with_a_plain_list),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
