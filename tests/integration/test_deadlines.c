/* Time-driven re-scoring with two workers: every deadline is re-scored
 * exactly once, whichever worker claims it, and the triage clock raises
 * a blind incident one level. */
#include "scenario_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INCIDENTS 6
#define ROUNDS 10

/* Six blind incidents on search (40000 of the catalog's 80000 users):
 * blast 50.0 -> 5.0, level 5.  Sixty seconds on, the triage clock makes
 * each level 4; then every 60 s each is re-scored once more. */
static void test_two_workers_rescore_each_deadline_once(void **state) {
        static harness_t h;
        char json[256];
        (void)state;
        harness_start(&h, "deadlines", 12, 4,
                      TEST_CATALOG "  rescore_interval_s: 60\n");
        /* rescore.note: each worker says when it found nothing more due
         * at a time, so "nothing more" is known, not waited for. */
        harness_worker_start_with(&h, 0, "rescore.note");
        harness_worker_start_with(&h, 1, "rescore.note");
        assert_true(harness_wait_assigned(&h, 2, 4 * 3, 30000));
        for (int i = 0; i < INCIDENTS; i++) {
                snprintf(json, sizeof(json),
                         "{\"event_id\":\"b%d\",\"incident_key\":\"BLIND-%d\","
                         "\"service\":\"search\",\"status\":\"FIRING\","
                         "\"occurred_at\":%lld}", i, i, T0);
                harness_produce(&h, "alerts", json, false);
        }
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 30000));
        json_decref(expect_exactly(&h, "impact.scored", INCIDENTS));

        /* Round r moves the clock past every incident's r-th deadline:
         * T0 + 60 s (triage), then 60 s after each re-score. */
        for (int r = 1; r <= ROUNDS; r++) {
                int64_t now = T0 + r * 60 * 1000LL;
                harness_set_clock(&h, now);
                size_t want = (size_t)INCIDENTS * (r + 1);
                json_t *all = harness_wait_for(&h, "impact.scored", want, 30000);
                json_decref(all);
                /* Both workers have found nothing more due at this time:
                 * a duplicate re-score would be on Kafka by now. */
                assert_true(harness_wait_rescored(&h, 0, now, 30000));
                assert_true(harness_wait_rescored(&h, 1, now, 30000));
                all = expect_exactly(&h, "impact.scored", want);
                size_t this_round = 0;
                for (size_t m = 0; m < want; m++) {
                        json_t *s = json_array_get(all, m);
                        if (jint(s, "revision") != r + 1)
                                continue;
                        this_round++;
                        assert_int_equal(jint(s, "level"), 4);
                        assert_int_equal(jint(s, "computed_level"), 5);
                }
                assert_int_equal(this_round, INCIDENTS);
                json_decref(all);
        }
        /* Two pages each at triage: level 4 (its service owner) and the
         * triage timeout (the on-call engineer); level 5 pages nobody. */
        json_t *esc = expect_exactly(&h, "impact.escalations", 2 * INCIDENTS);
        for (int i = 0; i < INCIDENTS; i++) {
                char inc[32];
                int level = 0, triage = 0;
                snprintf(inc, sizeof(inc), "BLIND-%d", i);
                for (size_t m = 0; m < json_array_size(esc); m++) {
                        json_t *e = json_array_get(esc, m);
                        if (strcmp(jstr(e, "incident_id"), inc) != 0)
                                continue;
                        level += !strcmp(jstr(e, "reason"), "level") &&
                                 jint(e, "to_level") == 4 &&
                                 !strcmp(jstr(e, "target"), "service_owner");
                        triage += !strcmp(jstr(e, "reason"), "triage_timeout") &&
                                  !strcmp(jstr(e, "target"), "on_call_engineer");
                }
                if (level != 1 || triage != 1)
                        fail_msg("%s: %d level-4 pages of its service owner, %d "
                                 "triage timeouts to the on-call engineer; "
                                 "expected one each", inc, level, triage);
        }
        json_decref(esc);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        assert_int_equal(harness_worker_stop(&h, 1, SIGTERM), 0);
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_two_workers_rescore_each_deadline_once,
                                          harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
