/* A payments incident through Kafka and Redis, one event at a time, with
 * every scored revision and escalation checked against values computed by
 * hand from docs/impact-model.md.  Catalog: payments 20,000 users, three
 * services; acme ENTERPRISE strategic ARR 500k, globex ENTERPRISE 300k. */
#include "scenario_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct step {
        const char *topic;
        const char *json;
        /* Expected scored revision after this event. */
        const char *status;
        double score;
        int level;
        const char *impact_class;
        int64_t users, accounts;
        double arr;
        const char *confidence;
} step_t;

#define A(...) "{\"event_id\":" __VA_ARGS__ "}"

static const step_t steps[] = {
        /* users 1000/20000 x 0.7 = 3.5; blast radius: payments alone (no
         * dependents), 20000 of the catalog's 80000 users = 25.0:
         * 0.25*3.5 + 0.10*25 = 3.375 -> 3.4 */
        {"alerts", A("\"a1\",\"service\":\"payments\",\"status\":\"FIRING\","
                     "\"disruption\":\"DEGRADED\",\"affected_users\":1000,"
                     "\"declared_severity\":4,\"occurred_at\":1795000000000"),
         "OPEN", 3.4, 5, "PARTIAL", 1000, 0, 0, "MEDIUM"},
        /* users 60, revenue 100k/1M = 10, slo 100, blast 25, duration
         * 1/240 min = 0.4: 15 + 2.5 + 20 + 2.5 + 0.04 = 40.0 */
        {"alerts", A("\"a2\",\"service\":\"payments\",\"status\":\"FIRING\","
                     "\"disruption\":\"OUTAGE\",\"affected_users\":12000,"
                     "\"slo_burn_rate\":14.4,\"revenue_loss_per_hour\":100000,"
                     "\"occurred_at\":1795000060000"),
         "OPEN", 40.0, 3, "COMPLETE", 12000, 0, 0, "HIGH"},
        /* acme: revenue (500k + 100k)/1M = 60, tier 100 (strategic):
         * 15 + 15 + 20 + 2.5 + 10 + 0.08 = 62.6.  Its ENTERPRISE SLA:
         * triaged at T0 (declared severity), 2 of 240 min: not at risk */
        {"tickets", A("\"t1\",\"ticket_id\":\"T-1\",\"account_id\":\"acme\","
                      "\"service\":\"payments\",\"status\":\"OPEN\","
                      "\"region\":\"eu-central\",\"platform\":\"web\","
                      "\"occurred_at\":1795000120000"),
         "OPEN", 62.6, 2, "COMPLETE", 12000, 1, 500000, "HIGH"},
        /* acme again: counted once, ARR once; duration 3 min = 1.25 ->
         * 1.3: 62.63 -> 62.6 */
        {"tickets", A("\"t2\",\"ticket_id\":\"T-2\",\"account_id\":\"acme\","
                      "\"service\":\"payments\",\"status\":\"OPEN\","
                      "\"region\":\"eu-south\",\"platform\":\"ios\","
                      "\"occurred_at\":1795000180000"),
         "OPEN", 62.6, 2, "COMPLETE", 12000, 1, 500000, "HIGH"},
        /* globex: revenue (800k + 100k)/1M = 90: 15 + 22.5 + 20 + 2.5 +
         * 10 + 0.17 = 70.17 -> 70.2 */
        {"tickets", A("\"t3\",\"ticket_id\":\"T-3\",\"account_id\":\"globex\","
                      "\"service\":\"payments\",\"status\":\"OPEN\","
                      "\"region\":\"eu-central\",\"platform\":\"web\","
                      "\"occurred_at\":1795000240000"),
         "OPEN", 70.2, 2, "COMPLETE", 12000, 2, 800000, "HIGH"},
        /* joins through its ticket: lift 10 x 1.0 x 1/10 = 1.0; duration
         * 5 min = 2.1: 70.21 -> 70.2 + 1.0 */
        {"sentiment", A("\"s1\",\"account_id\":\"acme\",\"ticket_id\":\"T-1\","
                        "\"score\":-0.8,\"channel\":\"chat\","
                        "\"occurred_at\":1795000300000"),
         "OPEN", 71.2, 2, "COMPLETE", 12000, 2, 800000, "HIGH"},
        /* resolved after 12 min (quiet time 0 in the test catalog):
         * duration 5.0 -> 70.5 + 1.0 */
        {"alerts", A("\"a3\",\"service\":\"payments\",\"status\":\"RESOLVED\","
                     "\"occurred_at\":1795000720000"),
         "RESOLVED", 71.5, 2, "COMPLETE", 12000, 2, 800000, "HIGH"},
};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static void check_revision(json_t *s, const step_t *st, int64_t rev) {
        if (jint(s, "revision") != rev || fabs(jnum(s, "score") - st->score) > 0.051)
                fprintf(stderr, "revision %lld: got %s\n", (long long)rev,
                        json_dumps(s, JSON_COMPACT));
        assert_int_equal(jint(s, "revision"), rev);
        assert_string_equal(jstr(s, "status"), st->status);
        assert_near(jnum(s, "score"), st->score);
        assert_int_equal(jint(s, "level"), st->level);
        assert_string_equal(jstr(s, "impact_class"), st->impact_class);
        assert_int_equal(jint(s, "affected_users"), st->users);
        assert_int_equal(jint(s, "affected_accounts"), st->accounts);
        assert_near(jnum(s, "arr_at_risk"), st->arr);
        assert_string_equal(jstr(s, "confidence"), st->confidence);
        assert_string_equal(jstr(s, "root_service"), "payments");
}

/* Every key of the incident expires, with the TTL of its aggregate hash
 * (give or take the seconds the test takes): a key an apply creates after
 * the first one must not outlive the incident.  The keys and their TTLs
 * are read in one script, so one snapshot: the worker may still be
 * finishing the batch (impactd_done deletes `:unbound`), and a key listed
 * before it was deleted would read TTL -2. */
static void assert_keys_expire_together(harness_t *h, const char *incident) {
        redisReply *r = harness_redis(
                h,
                "EVAL %s 0 impact:{%s}",
                "local out = {redis.call('TTL', ARGV[1])} "
                "for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do "
                "out[#out + 1] = k; out[#out + 1] = redis.call('TTL', k) end "
                "return out",
                incident);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        long long agg = r->element[0]->integer;
        assert_true(agg > 0);
        /* the aggregate itself and at least one key beside it */
        assert_true(r->elements >= 5);
        for (size_t k = 1; k + 1 < r->elements; k += 2) {
                long long ttl = r->element[k + 1]->integer;
                /* a second more: TTL rounds, and a decision copies it */
                if (ttl <= agg - 60 || ttl > agg + 1)
                        fail_msg("%s: TTL %lld, its aggregate's %lld",
                                 r->element[k]->str, ttl, agg);
        }
        freeReplyObject(r);
}

static void run_steps(harness_t *h, bool avro) {
        for (size_t i = 0; i < NSTEPS; i++) {
                harness_produce(h, steps[i].topic, steps[i].json, avro);
                harness_flush(h);
                json_t *scored = harness_wait_for(h, "impact.scored", i + 1, 30000);
                assert_int_equal(json_array_size(scored), i + 1);
                check_revision(json_array_get(scored, i), &steps[i], (int64_t)i + 1);
                assert_keys_expire_together(
                        h, jstr(json_array_get(scored, i), "incident_id"));
                json_decref(scored);
        }
}

static void test_scenario_scores_and_escalates_exactly(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "scenario", 1, 3, TEST_CATALOG);
        harness_worker_start(&h, 0);
        run_steps(&h, false);

        /* Consumed: every output of the last event is out (the worker
         * commits once its outputs are acknowledged), so exact counts. */
        assert_true(harness_wait_consumed(&h, 30000));
        /* The commit comes after the confirm, which empties the outbox of
         * what Kafka acknowledged: an output left there is produced again
         * by the recovery pass once it looks orphaned (a second page). */
        assert_int_equal(outboxes_left(&h), 0);
        json_t *scored = expect_exactly(&h, "impact.scored", NSTEPS);
        json_t *last = json_array_get(scored, NSTEPS - 1);
        json_t *segs = json_object_get(last, "segments");
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(segs, "region"), "eu-central")), 2);
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(segs, "region"), "eu-south")), 1);
        assert_int_equal(jint(json_object_get(last, "sentiment"), "count"), 1);
        assert_int_equal(jint(last, "declared_severity"), 4);
        assert_int_equal(jint(last, "detected_at"), T0);
        assert_int_equal(jint(last, "resolved_at"), T0 + 12 * MIN);
        /* declared 4 vs computed 2: severity deflation */
        assert_true(json_is_true(json_object_get(last, "severity_mismatch")));
        /* Resolved: kept for lifecycle.retention_s (1 day), not the open
         * incident's 7 days. */
        redisReply *ttl = harness_redis(&h, "TTL impact:{%s}",
                                        jstr(last, "incident_id"));
        assert_true(ttl->integer > 86000 && ttl->integer <= 86400);
        freeReplyObject(ttl);

        /* The policy (docs/escalation-policy.md, no debounce here): level
         * 5 pages nobody; 3 then 2 page their roles; acme and globex are
         * key accounts; declared 4 against computed 2 is a mismatch. */
        json_t *esc = expect_exactly(&h, "impact.escalations", 5);
        static const struct {
                int revision, to_level;
                const char *reason, *target, *key;
        } want[] = {
                {2, 3, "level", "on_call_engineer", "3"},
                {3, 2, "level", "incident_commander", "2"},
                {3, 2, "key_account", "account_manager", "acme"},
                {3, 2, "severity_mismatch", "incident_commander", "-"},
                {5, 2, "key_account", "account_manager", "globex"},
        };
        const char *inc = jstr(last, "incident_id");
        for (size_t i = 0; i < 5; i++) {
                json_t *e = json_array_get(esc, i);
                char id[256];
                snprintf(id, sizeof(id), "%s:%s:%s:%s:1", inc, want[i].reason,
                         want[i].key, want[i].target);
                assert_string_equal(jstr(e, "escalation_id"), id);
                assert_int_equal(jint(e, "revision"), want[i].revision);
                assert_int_equal(jint(e, "to_level"), want[i].to_level);
                assert_string_equal(jstr(e, "reason"), want[i].reason);
                assert_string_equal(jstr(e, "target"), want[i].target);
        }
        /* A level page says where it came from. */
        assert_int_equal(jint(json_array_get(esc, 0), "from_level"), 5);
        assert_int_equal(jint(json_array_get(esc, 1), "from_level"), 3);
        json_decref(scored);
        json_decref(esc);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* The Redis state without the read positions (the aggregate's '@'
 * fields, impact:state's marks), which move on with every message read,
 * replayed or not, and without the outbox index, which a recovery pass
 * empties on the wall clock, 35 s after a decision (caller frees). */
static char *state_of(harness_t *h) {
        char *dump = harness_redis_dump(h, "*");
        char *out = calloc(1, strlen(dump) + 1), *o = out;
        bool marker = false, outbox = false;
        for (char *line = strtok(dump, "\n"); line; line = strtok(NULL, "\n")) {
                if (line[0] != ' ') {
                        marker = strncmp(line, "impact:state ", 13) == 0;
                        outbox = strncmp(line, "impact:outbox ", 14) == 0;
                }
                if (!outbox && strncmp(line, "  @", 3) != 0 &&
                    !(marker && strncmp(line, "  o", 3) == 0))
                        o += sprintf(o, "%s\n", line);
        }
        free(dump);
        return out;
}

/* After a replay: the outputs of the first pass and nothing more, and
 * the Redis state as `before` (which it frees).  Stops the harness. */
static void expect_nothing_new(harness_t *h, char *before, size_t n_notes) {
        assert_true(harness_wait_consumed(h, 20000));
        json_decref(expect_exactly(h, "impact.scored", NSTEPS));
        json_decref(expect_exactly(h, "impact.escalations", 5));
        json_decref(expect_exactly(h, "impact.notifications", n_notes));
        char *after = state_of(h);
        assert_string_equal(before, after);
        free(before);
        free(after);
        assert_int_equal(harness_worker_stop(h, 0, SIGTERM), 0);
        harness_stop(h);
}

/* Every event delivered a second time: no new revision, no new page or
 * notification, and the Redis state byte for byte as before. */
static void test_redelivered_events_change_nothing(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "redeliver", 2, 3, TEST_CATALOG);
        harness_worker_start(&h, 0);
        run_steps(&h, true); /* Avro this time */
        assert_true(harness_wait_consumed(&h, 20000));
        json_t *notes = harness_read_all(&h, "impact.notifications");
        size_t n_notes = json_array_size(notes);
        json_decref(notes);
        assert_true(n_notes > 0);
        char *before = state_of(&h);
        for (size_t i = 0; i < NSTEPS; i++)
                harness_produce(&h, steps[i].topic, steps[i].json, false);
        harness_flush(&h);
        expect_nothing_new(&h, before, n_notes);
}

/* The same messages read again from the same offsets, with the event ids
 * applied forgotten (say, a seen-set lost with a Redis failover): the
 * offsets each incident recorded still keep every replay out. */
static void test_replayed_offsets_change_nothing_without_event_ids(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "replay-offsets", 3, 3, TEST_CATALOG);
        harness_worker_start(&h, 0);
        run_steps(&h, false);
        assert_true(harness_wait_consumed(&h, 20000));
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        json_t *notes = harness_read_all(&h, "impact.notifications");
        size_t n_notes = json_array_size(notes);
        json_decref(notes);

        redisReply *keys = harness_redis(&h, "KEYS *:seen");
        assert_true(keys->elements > 0);
        for (size_t i = 0; i < keys->elements; i++)
                freeReplyObject(harness_redis(&h, "DEL %s", keys->element[i]->str));
        freeReplyObject(keys);
        char *before = state_of(&h);
        harness_rewind(&h);
        harness_worker_start(&h, 0);
        expect_nothing_new(&h, before, n_notes);
}

/* The key-account index of incident `id` holds exactly the `n` accounts
 * named. */
static void expect_key_accounts(harness_t *h, const char *id,
                                const char *const *names, long long n) {
        redisReply *r = harness_redis(h, "HLEN impact:{%s}:kaccts", id);
        assert_int_equal(r->integer, n);
        freeReplyObject(r);
        for (long long i = 0; i < n; i++) {
                r = harness_redis(h, "HEXISTS impact:{%s}:kaccts %s", id, names[i]);
                if (r->integer != 1)
                        fprintf(stderr, "key account %s not indexed\n", names[i]);
                assert_int_equal(r->integer, 1);
                freeReplyObject(r);
        }
}

/* Key accounts are read from an index of their own while an incident is
 * open.  An incident stored before the index existed (an upgrade with
 * incidents open) gets it built on its next change, from every account
 * so far, and keeps naming acme after globex files. */
static void test_incidents_from_before_the_key_account_index(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "kaccts", 1, 3, TEST_CATALOG);
        harness_worker_start(&h, 0);
        json_t *scored = NULL;
        for (size_t i = 0; i < 3; i++) { /* a1, a2, acme's T-1 */
                harness_produce(&h, steps[i].topic, steps[i].json, false);
                harness_flush(&h);
                json_decref(scored);
                scored = harness_wait_for(&h, "impact.scored", i + 1, 30000);
                assert_int_equal(json_array_size(scored), i + 1);
        }
        char id[128];
        snprintf(id, sizeof(id), "%s", jstr(json_array_get(scored, 2), "incident_id"));
        json_decref(scored);
        static const char *const key_accounts[] = {"acme", "globex"};
        expect_key_accounts(&h, id, key_accounts, 1);

        freeReplyObject(harness_redis(&h, "DEL impact:{%s}:kaccts", id));
        freeReplyObject(harness_redis(&h, "HDEL impact:{%s} ka", id));
        harness_produce(&h, steps[4].topic, steps[4].json, false); /* globex */
        harness_flush(&h);
        scored = harness_wait_for(&h, "impact.scored", 4, 30000);
        assert_int_equal(json_array_size(scored), 4);
        assert_int_equal(jint(json_array_get(scored, 3), "affected_accounts"), 2);
        json_decref(scored);
        expect_key_accounts(&h, id, key_accounts, 2);
        redisReply *v = harness_redis(&h, "HGET impact:{%s} ka", id);
        assert_string_equal(v->str, "1");
        freeReplyObject(v);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_scenario_scores_and_escalates_exactly, harness_teardown),
                cmocka_unit_test_teardown(test_redelivered_events_change_nothing, harness_teardown),
                cmocka_unit_test_teardown(test_replayed_offsets_change_nothing_without_event_ids, harness_teardown),
                cmocka_unit_test_teardown(test_incidents_from_before_the_key_account_index, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
