/* A worker killed between storing a decision and producing it: its
 * replayed events are duplicates and decide nothing again, so only the
 * outbox can still deliver those pages.  Another worker finds the outbox
 * orphaned and produces what it holds, with the same ids. */
#include "scenario_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "impactd.h"

static const char *const events[][2] = {
        {"alerts", "{\"event_id\":\"a1\",\"service\":\"payments\","
                   "\"status\":\"FIRING\",\"disruption\":\"OUTAGE\","
                   "\"affected_users\":12000,\"slo_burn_rate\":14.4,"
                   "\"revenue_loss_per_hour\":100000,\"occurred_at\":1795000000000}"},
        {"tickets", "{\"event_id\":\"t1\",\"ticket_id\":\"T-1\",\"account_id\":\"acme\","
                    "\"service\":\"payments\",\"status\":\"OPEN\","
                    "\"occurred_at\":1795000060000}"},
        {"tickets", "{\"event_id\":\"t2\",\"ticket_id\":\"T-2\",\"account_id\":\"globex\","
                    "\"service\":\"payments\",\"status\":\"OPEN\","
                    "\"occurred_at\":1795000120000}"},
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

/* The incident the alert a1 opens: its service and the FNV-1a of its
 * event id, spelled out so a change of the scheme fails here. */
#define INCIDENT "payments-1c24b8a7"

/* A worker restarted after SIGKILL takes about 12 s to rejoin the mock
 * cluster's group, more under AddressSanitizer and load. */
#define AFTER_KILL_MS 60000

/* Escalations and notifications on Kafka match the decisions exactly. */
static bool all_delivered(harness_t *h, json_t *decided) {
        json_t *esc = ids_on(h, "impact.escalations", "escalation_id", NULL);
        json_t *notes = ids_on(h, "impact.notifications", "notification_id", NULL);
        bool ok = json_object_size(esc) + json_object_size(notes) ==
                  json_object_size(decided);
        const char *id;
        json_t *v;
        json_object_foreach(decided, id, v) {
                if (!json_object_get(esc, id) && !json_object_get(notes, id))
                        ok = false;
        }
        json_decref(esc);
        json_decref(notes);
        return ok;
}

/* Every outbox empty and every output it held on Kafka. */
static bool outbox_delivered(harness_t *h, const void *arg) {
        (void)arg;
        json_t *decided = decided_ids(h);
        bool done = outboxes_left(h) == 0 && all_delivered(h, decided);
        json_decref(decided);
        return done;
}

static void test_outputs_of_a_killed_worker_are_produced_again(void **state) {
        static harness_t h;
        (void)state;
        setenv("IMPACTD_TEST_DELIVERY_TIMEOUT_MS", "2000", 1);
        harness_start(&h, "outbox", 4, 3, TEST_CATALOG);
        harness_worker_start_with(&h, 0, "decide.kill");
        for (size_t i = 0; i < NEVENTS; i++)
                harness_produce(&h, events[i][0], events[i][1], false);
        harness_flush(&h);
        assert_int_equal(harness_worker_stop(&h, 0, 0), 128 + SIGKILL);

        /* Decided, kept in the outbox, never produced. */
        json_t *decided = decided_ids(&h);
        assert_true(json_object_size(decided) > 0);
        assert_int_equal(outboxes_left(&h), 1);
        assert_false(all_delivered(&h, decided));
        json_decref(decided);

        harness_worker_start(&h, 0);
        assert_true(harness_wait_consumed(&h, AFTER_KILL_MS));
        /* The orphan time is the delivery timeout and 5 s: up to 7 s after
         * the worker looks, with margin for a loaded machine. */
        assert_true(harness_until(&h, outbox_delivered, NULL, 60000));
        /* The revision it scored but never saw acknowledged is published
         * by the replay. */
        assert_true(latest_revisions_scored(&h));
        /* Whatever the batching, the stream reaches level 2 (the incident
         * commander) and pages both key accounts' managers; nothing twice. */
        json_t *esc = harness_read_all(&h, "impact.escalations");
        json_t *unique = ids_on(&h, "impact.escalations", "escalation_id", NULL);
        assert_int_equal(json_array_size(esc), json_object_size(unique));
        const char *inc = jstr(json_array_get(esc, 0), "incident_id");
        assert_string_equal(inc, INCIDENT);
        static const char *const want[] = {
                "level:2:incident_commander", "key_account:acme:account_manager",
                "key_account:globex:account_manager"};
        for (size_t i = 0; i < 3; i++) {
                char id[256];
                snprintf(id, sizeof(id), "%s:%s:1", inc, want[i]);
                if (!json_object_get(unique, id))
                        fail_msg("escalation %s missing", id);
        }
        json_decref(esc);
        json_decref(unique);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        unsetenv("IMPACTD_TEST_DELIVERY_TIMEOUT_MS");
        harness_stop(&h);
}

/* What a worker that replays a revision its predecessor applied and died
 * on must have done: scored it, decided it, bound its tickets and
 * scheduled its deadline. */
static void check_followed_up(harness_t *h) {
        json_t *scored = harness_read_all(h, "impact.scored");
        assert_true(json_array_size(scored) >= 1);
        json_t *last = json_array_get(scored, json_array_size(scored) - 1);
        const char *inc = jstr(last, "incident_id");
        assert_string_equal(inc, INCIDENT);
        assert_int_equal(jint(last, "tickets_total"), 2);
        redisReply *r = harness_redis(h, "MGET impact:tkt:{T-1} impact:tkt:{T-2}");
        for (size_t i = 0; i < 2; i++) {
                if (r->element[i]->type != REDIS_REPLY_STRING)
                        fail_msg("ticket T-%zu was never bound", i + 1);
                assert_string_equal(r->element[i]->str, inc);
        }
        freeReplyObject(r);
        r = harness_redis(h, "ZSCORE impact:deadlines %s", inc);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        freeReplyObject(r);
        /* Published at last: nothing is left to bind again. */
        r = harness_redis(h, "EXISTS impact:{%s}:unbound", inc);
        assert_int_equal(r->integer, 0);
        freeReplyObject(r);
        json_t *esc = ids_on(h, "impact.escalations", "escalation_id", NULL);
        char id[256];
        snprintf(id, sizeof(id), "%s:key_account:globex:account_manager:1", inc);
        assert_non_null(json_object_get(esc, id));
        json_decref(esc);
        json_decref(scored);
}

static void expect_applied_not_bound(harness_t *h) {
        assert_int_equal(harness_worker_stop(h, 0, 0), 128 + SIGKILL);
        /* Applied: the incident is in Redis... */
        redisReply *r = harness_redis(h, "EXISTS impact:{%s}", INCIDENT);
        assert_int_equal(r->integer, 1);
        freeReplyObject(r);
        /* ...but nothing that follows the apply was done: no ticket bound,
         * nothing scored, so what check_followed_up finds is the replay's. */
        r = harness_redis(h, "KEYS impact:tkt:*");
        assert_int_equal(r->elements, 0);
        freeReplyObject(r);
        json_t *scored = harness_read_all(h, "impact.scored");
        assert_int_equal(json_array_size(scored), 0);
        json_decref(scored);
}

/* Killed after the apply, before anything that follows it: the replayed
 * events are duplicates, yet the revision is scored, decided, its tickets
 * bound and its deadline scheduled, by the worker that replays them. */
static void test_follow_ups_of_a_killed_worker_are_run_again(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "redo", 5, 3, TEST_CATALOG);
        harness_worker_start_with(&h, 0, "apply.kill");
        for (size_t i = 0; i < NEVENTS; i++)
                harness_produce(&h, events[i][0], events[i][1], false);
        harness_flush(&h);
        expect_applied_not_bound(&h);
        harness_worker_start(&h, 0);
        assert_true(harness_wait_consumed(&h, AFTER_KILL_MS));
        check_followed_up(&h);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* The same when the tickets came first and waited for the incident: they
 * were held and their offsets committed, so the replay brings back only
 * the alert, and their binds must come from the incident itself. */
static void test_binds_of_released_tickets_are_run_again(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "redo_held", 6, 3, TEST_CATALOG);
        harness_worker_start_with(&h, 0, "apply.kill");
        for (size_t i = 1; i < NEVENTS; i++)
                harness_produce(&h, events[i][0], events[i][1], false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 30000));
        redisReply *r = harness_redis(&h, "LLEN impact:svc:{payments}:held");
        assert_int_equal(r->integer, 2);
        freeReplyObject(r);
        harness_produce(&h, events[0][0], events[0][1], false);
        harness_flush(&h);
        expect_applied_not_bound(&h);
        r = harness_redis(&h, "LLEN impact:svc:{payments}:held");
        assert_int_equal(r->integer, 0); /* released into the apply */
        freeReplyObject(r);
        harness_worker_start(&h, 0);
        assert_true(harness_wait_consumed(&h, AFTER_KILL_MS));
        check_followed_up(&h);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_outputs_of_a_killed_worker_are_produced_again, harness_teardown),
                cmocka_unit_test_teardown(test_follow_ups_of_a_killed_worker_are_run_again, harness_teardown),
                cmocka_unit_test_teardown(test_binds_of_released_tickets_are_run_again, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
