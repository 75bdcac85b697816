/* A worker stopped with SIGTERM mid-stream and restarted ends in the same
 * Redis state as one that ran uninterrupted. */
#include "scenario_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define INCIDENTS 20
#define PER_INCIDENT 16 /* 1 alert, 10 tickets, 5 sentiment */
#define EVENTS (INCIDENTS * PER_INCIDENT)

static const char *const services[] = {"payments", "search", "payments-db"};
static const char *const accounts[] = {"acme", "globex", "initech", "free-1"};

/* Event `n` of the fixed stream, as its topic kind and JSON. */
static const char *event_json(int n, char *buf, size_t size) {
        int inc = n % INCIDENTS, k = n / INCIDENTS;
        long long t = T0 + (long long)n * 1000;
        if (k == 0) {
                snprintf(buf, size,
                         "{\"event_id\":\"a-%d\",\"incident_key\":\"INC-%d\","
                         "\"service\":\"%s\",\"status\":\"FIRING\","
                         "\"affected_users\":%d,\"slo_burn_rate\":%d.5,"
                         "\"occurred_at\":%lld}", inc, inc, services[inc % 3],
                         500 * (inc + 1), inc % 15, t);
                return "alerts";
        }
        if (k <= 10) {
                snprintf(buf, size,
                         "{\"event_id\":\"t-%d-%d\",\"incident_key\":\"INC-%d\","
                         "\"ticket_id\":\"T-%d-%d\",\"account_id\":\"%s\","
                         "\"status\":\"%s\",\"region\":\"eu-%d\","
                         "\"occurred_at\":%lld}", inc, k, inc, inc, k,
                         accounts[(inc + k) % 4], k == 10 ? "SOLVED" : "OPEN",
                         k % 3, t);
                return "tickets";
        }
        snprintf(buf, size,
                 "{\"event_id\":\"s-%d-%d\",\"incident_key\":\"INC-%d\","
                 "\"account_id\":\"%s\",\"score\":%s0.%d,"
                 "\"occurred_at\":%lld}", inc, k, inc, accounts[k % 4],
                 k % 2 ? "-" : "", k, t);
        return "sentiment";
}

static void produce_range(harness_t *h, int from, int to, int pause_ms) {
        char json[512];
        for (int n = from; n < to; n++) {
                const char *kind = event_json(n, json, sizeof(json));
                harness_produce(h, kind, json, n % 2 == 0);
                if (pause_ms) {
                        harness_flush(h);
                        struct timespec ts = {0, pause_ms * 1000000L};
                        nanosleep(&ts, NULL);
                }
        }
        harness_flush(h);
}

static void test_sigterm_restart_ends_in_same_state(void **state) {
        static harness_t a, b;
        (void)state;
        /* Uninterrupted. */
        harness_start(&a, "straight", 8, 3, TEST_CATALOG);
        produce_range(&a, 0, EVENTS, 0);
        harness_worker_start(&a, 0);
        assert_true(harness_wait_consumed(&a, 60000));
        char *expected = comparable_state(&a);
        assert_int_equal(harness_worker_stop(&a, 0, SIGTERM), 0);
        harness_stop(&a);

        /* Stopped half-way through a paced stream, then restarted.  The
         * first worker must have applied some of it before the stop:
         * harness_worker_start returns when it has connected, not when it
         * has joined its group, so wait for its first commit before the
         * rest of the first half. */
        setenv("IMPACTD_TEST_BATCH_MAX", "7", 1);
        harness_start(&b, "restarted", 9, 3, TEST_CATALOG);
        harness_worker_start(&b, 0);
        produce_range(&b, 0, EVENTS / 8, 3);
        assert_true(harness_wait_committed(&b, 1, 60000));
        produce_range(&b, EVENTS / 8, EVENTS / 2, 3);
        assert_int_equal(harness_worker_stop(&b, 0, SIGTERM), 0);
        int64_t applied = harness_committed(&b);
        fprintf(stderr, "restart: the first worker applied %lld of %d events\n",
                (long long)applied, EVENTS);
        assert_true(applied > 0 && applied <= EVENTS / 2);
        produce_range(&b, EVENTS / 2, EVENTS, 0);
        harness_worker_start(&b, 0);
        assert_true(harness_wait_consumed(&b, 60000));
        char *actual = comparable_state(&b);
        assert_int_equal(harness_worker_stop(&b, 0, SIGTERM), 0);
        unsetenv("IMPACTD_TEST_BATCH_MAX");

        assert_true(strlen(expected) > 1000);
        if (strcmp(actual, expected) != 0) {
                /* Both states, for diff(1): cmocka prints neither whole. */
                FILE *fp = fopen("restart-expected.txt", "w");
                fputs(expected, fp);
                fclose(fp);
                fp = fopen("restart-actual.txt", "w");
                fputs(actual, fp);
                fclose(fp);
                fail_msg("state after restart differs: diff restart-expected.txt "
                         "restart-actual.txt");
        }
        /* Every incident was scored. */
        json_t *scored = harness_read_all(&b, "impact.scored");
        int seen[INCIDENTS] = {0};
        for (size_t i = 0; i < json_array_size(scored); i++) {
                int inc = atoi(jstr(json_array_get(scored, i), "incident_id") + 4);
                assert_true(inc >= 0 && inc < INCIDENTS);
                seen[inc]++;
        }
        for (int i = 0; i < INCIDENTS; i++)
                assert_true(seen[i] > 0);
        json_decref(scored);
        harness_stop(&b);
        free(expected);
        free(actual);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_sigterm_restart_ends_in_same_state, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
