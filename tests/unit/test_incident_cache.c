/* The owner's bounded memory: the least recently used stored incident
 * goes first, a changed one never goes before it is stored, and a lost
 * partition's incidents go at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incident_cache.h"

static aggregate_t *incident(int n) {
        char id[32];
        snprintf(id, sizeof(id), "inc-%07d", n);
        return aggregate_new(id);
}

static bool held(incident_cache_t *c, int32_t partition, int n) {
        char id[32];
        snprintf(id, sizeof(id), "inc-%07d", n);
        return incident_cache_get(c, partition, id) != NULL;
}

static void test_the_least_recently_used_goes_first(void **state) {
        (void)state;
        aggregate_t *probe = incident(0);
        size_t one = aggregate_bytes(probe);
        aggregate_destroy(probe);
        incident_cache_t *c = incident_cache_new(10 * one);
        for (int n = 0; n < 30; n++)
                assert_int_equal(incident_cache_put(c, 0, incident(n)), 0);
        assert_int_equal(incident_cache_count(c), 30);
        /* inc-3 is touched again: it outlives younger ones. */
        assert_true(held(c, 0, 3));
        assert_int_equal(incident_cache_evict(c), 20);
        assert_int_equal(incident_cache_count(c), 10);
        assert_true(incident_cache_bytes(c) <= 10 * one);
        assert_true(held(c, 0, 3));
        for (int n = 21; n < 30; n++)
                assert_true(held(c, 0, n));
        assert_false(held(c, 0, 20));
        assert_false(held(c, 0, 0));
        incident_cache_destroy(c);
}

static void test_a_changed_incident_stays_until_stored(void **state) {
        (void)state;
        incident_cache_t *c = incident_cache_new(1);
        for (int n = 0; n < 5; n++)
                assert_int_equal(incident_cache_put(c, n % 2, incident(n)), 0);
        assert_int_equal(incident_cache_dirty(c, 0, "inc-0000000"), 0);
        assert_int_equal(incident_cache_dirty(c, 1, "inc-0000001"), 0);
        assert_int_equal(incident_cache_evict(c), 3);
        assert_true(held(c, 0, 0) && held(c, 1, 1));
        /* Partition 0 written: its incident may go, partition 1's not. */
        incident_cache_saved(c, 0);
        assert_int_equal(incident_cache_evict(c), 1);
        assert_false(held(c, 0, 0));
        assert_true(held(c, 1, 1));
        incident_cache_destroy(c);
}

static void test_the_bytes_follow_what_an_incident_holds(void **state) {
        (void)state;
        incident_cache_t *c = incident_cache_new(1 << 20);
        aggregate_t *a = incident(1);
        event_t ev;
        char id[32];
        memset(&ev, 0, sizeof(ev));
        assert_int_equal(incident_cache_put(c, 0, a), 0);
        size_t before = incident_cache_bytes(c);
        aggregate_begin(a);
        for (int i = 0; i < 500; i++) {
                snprintf(id, sizeof(id), "sentiment-%d", i);
                event_reset(&ev, EVENT_SENTIMENT);
                ev.event_id = id;
                ev.occurred_at = 1765000000000LL + i;
                ev.u.sentiment.account_id = "acme";
                assert_int_equal(aggregate_apply_sentiment(a, &ev, false), AGG_APPLIED);
        }
        aggregate_end(a, 1765000001000LL, 0, 1, &(aggregate_change_t){0});
        incident_cache_dirty(c, 0, "inc-0000001");
        incident_cache_saved(c, 0);
        assert_int_equal(incident_cache_bytes(c), aggregate_bytes(a));
        assert_true(incident_cache_bytes(c) > before + 500 * 12);
        event_free_spill(&ev);
        incident_cache_destroy(c);
}

static void test_a_lost_partition_goes_whole_and_only_it(void **state) {
        (void)state;
        incident_cache_t *c = incident_cache_new(1 << 20);
        /* The same id in two partitions: two incidents. */
        assert_int_equal(incident_cache_put(c, 0, incident(7)), 0);
        assert_int_equal(incident_cache_put(c, 1, incident(7)), 0);
        aggregate_t *dup = incident(7);
        assert_int_equal(incident_cache_put(c, 1, dup), -1);
        aggregate_destroy(dup);
        assert_int_equal(incident_cache_put(c, 1, incident(8)), 0);
        assert_int_equal(incident_cache_dirty(c, 1, "inc-0000008"), 0);
        assert_int_equal(incident_cache_drop_partition(c, 1), 2);
        assert_int_equal(incident_cache_count(c), 1);
        assert_true(held(c, 0, 7));
        assert_false(held(c, 1, 7));
        /* Dropped while dirty: a stale mark does nothing later. */
        assert_int_equal(incident_cache_put(c, 1, incident(9)), 0);
        incident_cache_saved(c, 1);
        incident_cache_drop(c, 0, "inc-0000007");
        assert_int_equal(incident_cache_count(c), 1);
        incident_cache_destroy(c);
}

static void test_a_million_incidents_pass_through_a_bounded_cache(void **state) {
        (void)state;
        aggregate_t *probe = incident(0);
        size_t one = aggregate_bytes(probe);
        aggregate_destroy(probe);
        incident_cache_t *c = incident_cache_new(1000 * one);
        for (int n = 0; n < 1000000; n++) {
                assert_int_equal(incident_cache_put(c, n % 12, incident(n)), 0);
                if (n % 500 == 0)
                        incident_cache_evict(c);
        }
        incident_cache_evict(c);
        assert_true(incident_cache_count(c) <= 1000);
        assert_true(incident_cache_bytes(c) <= 1000 * one);
        assert_true(held(c, 999999 % 12, 999999));
        incident_cache_destroy(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_least_recently_used_goes_first),
                cmocka_unit_test(test_a_changed_incident_stays_until_stored),
                cmocka_unit_test(test_the_bytes_follow_what_an_incident_holds),
                cmocka_unit_test(test_a_lost_partition_goes_whole_and_only_it),
                cmocka_unit_test(test_a_million_incidents_pass_through_a_bounded_cache),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
