/* The router's binding cache: bounded, least recently used out first, and
 * never serving an entry past its time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"

#define T0 1765000000000LL

static void test_the_least_recently_used_goes_when_full(void **state) {
        (void)state;
        char key[32], value[32];
        lru_t *c = lru_new(100);
        for (int i = 0; i < 150; i++) {
                snprintf(key, sizeof(key), "t:T-%d", i);
                snprintf(value, sizeof(value), "g:svc-%d", i % 7);
                assert_int_equal(lru_put(c, key, value, T0 + 1000), 0);
                if (i == 99)
                        assert_string_equal(lru_get(c, "t:T-0", T0), "g:svc-0");
        }
        assert_int_equal(lru_count(c), 100);
        /* T-0 was used again once the cache was full: it
         * outlived T-1 .. T-50, all used less lately. */
        assert_string_equal(lru_get(c, "t:T-0", T0), "g:svc-0");
        assert_null(lru_get(c, "t:T-1", T0));
        assert_null(lru_get(c, "t:T-50", T0));
        assert_string_equal(lru_get(c, "t:T-51", T0), "g:svc-2");
        assert_string_equal(lru_get(c, "t:T-149", T0), "g:svc-2");
        lru_destroy(c);
}

static void test_an_entry_is_never_served_past_its_time(void **state) {
        (void)state;
        lru_t *c = lru_new(4);
        assert_int_equal(lru_put(c, "k:INC-1", "g:payments", T0 + 1000), 0);
        assert_string_equal(lru_get(c, "k:INC-1", T0 + 999), "g:payments");
        assert_null(lru_get(c, "k:INC-1", T0 + 1000));
        assert_int_equal(lru_count(c), 0);
        /* Asked Redis again: the answer replaces the entry and its time. */
        assert_int_equal(lru_put(c, "k:INC-1", "g:payments", T0 + 5000), 0);
        assert_int_equal(lru_put(c, "k:INC-1", "k:INC-1", T0 + 9000), 0);
        assert_string_equal(lru_get(c, "k:INC-1", T0 + 8999), "k:INC-1");
        assert_int_equal(lru_count(c), 1);
        lru_del(c, "k:INC-1");
        assert_null(lru_get(c, "k:INC-1", T0));
        lru_destroy(c);
}

static void test_a_long_run_stays_within_its_bound(void **state) {
        (void)state;
        char key[32];
        lru_t *c = lru_new(1000);
        for (int i = 0; i < 500000; i++) {
                snprintf(key, sizeof(key), "t:%d", i);
                assert_int_equal(lru_put(c, key, "g:x", T0 + (i % 3 ? 1 << 30 : 0)), 0);
                if (i % 5 == 0)
                        (void)lru_get(c, key, T0 + 1);
        }
        assert_true(lru_count(c) <= 1000);
        assert_string_equal(lru_get(c, "t:499999", T0), "g:x");
        lru_destroy(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_least_recently_used_goes_when_full),
                cmocka_unit_test(test_an_entry_is_never_served_past_its_time),
                cmocka_unit_test(test_a_long_run_stays_within_its_bound),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
