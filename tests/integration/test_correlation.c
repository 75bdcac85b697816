/* Correlation: events find their incident whatever order the topics are
 * read in, by incident key, by service, and through their ticket. */
#include "scenario_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static const char *search_alert =
        "{\"event_id\":\"a1\",\"service\":\"search\",\"status\":\"FIRING\","
        "\"disruption\":\"OUTAGE\",\"affected_users\":4000,"
        "\"occurred_at\":1795000000000}";
static const char *search_ticket =
        "{\"event_id\":\"t1\",\"ticket_id\":\"T-1\",\"account_id\":\"initech\","
        "\"service\":\"search\",\"status\":\"OPEN\",\"occurred_at\":1795000060000}";
/* A second ticket of the same account, ten seconds on, in the same minute. */
static const char *search_ticket2 =
        "{\"event_id\":\"t2\",\"ticket_id\":\"T-2\",\"account_id\":\"initech\","
        "\"service\":\"search\",\"status\":\"OPEN\",\"occurred_at\":1795000070000}";

/* The last scored revision after `first` then `second`. */
static json_t *final_scored(harness_t *h, const char *name, int db,
                            const char *first_kind, const char *first,
                            const char *second_kind, const char *second,
                            size_t expected_revisions) {
        harness_start(h, name, db, 2, TEST_CATALOG);
        harness_worker_start(h, 0);
        harness_produce(h, first_kind, first, false);
        harness_flush(h);
        assert_true(harness_wait_consumed(h, 20000));
        harness_produce(h, second_kind, second, false);
        harness_flush(h);
        assert_true(harness_wait_consumed(h, 20000));
        json_t *all = expect_exactly(h, "impact.scored", expected_revisions);
        json_t *last = json_incref(json_array_get(all, expected_revisions - 1));
        json_decref(all);
        assert_int_equal(harness_worker_stop(h, 0, SIGTERM), 0);
        harness_stop(h);
        return last;
}

/* A ticket read before the alert that opens its service's incident is
 * held, and joins the incident when it opens: same result either way. */
static void test_ticket_before_alert_gives_same_result(void **state) {
        static harness_t h;
        (void)state;
        json_t *late = final_scored(&h, "ticket-first", 21, "tickets",
                                    search_ticket, "alerts", search_alert, 1);
        json_t *early = final_scored(&h, "alert-first", 22, "alerts",
                                     search_alert, "tickets", search_ticket, 2);
        assert_int_equal(jint(late, "affected_accounts"), 1);
        assert_near(jnum(late, "arr_at_risk"), 50000);
        const char *fields[] = {"score", "level", "affected_users",
                                "affected_accounts", "arr_at_risk"};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                assert_near(jnum(late, fields[i]), jnum(early, fields[i]));
        assert_string_equal(jstr(late, "incident_id"), jstr(early, "incident_id"));
        json_decref(late);
        json_decref(early);
}

/* Sentiment naming a ticket that is not known yet waits for that ticket,
 * then joins its incident. */
static void test_sentiment_before_its_ticket_joins_through_it(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "sentiment-first", 23, 2, TEST_CATALOG);
        harness_worker_start(&h, 0);
        harness_produce(&h, "alerts", search_alert, false);
        harness_produce(&h, "sentiment",
                        "{\"event_id\":\"s1\",\"account_id\":\"initech\","
                        "\"ticket_id\":\"T-1\",\"score\":-0.5,"
                        "\"occurred_at\":1795000050000}", false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        harness_produce(&h, "tickets", search_ticket, false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        /* alert; ticket; the sentiment released by the ticket */
        json_t *all = expect_exactly(&h, "impact.scored", 3);
        json_t *last = json_array_get(all, 2);
        json_t *sent = json_object_get(last, "sentiment");
        assert_int_equal(jint(sent, "count"), 1);
        assert_near(jnum(sent, "mean"), -0.5);
        assert_int_equal(jint(last, "affected_accounts"), 1);
        json_decref(all);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* An incident key groups alerts of several services into one incident. */
static void test_incident_key_groups_services(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "incident-key", 24, 2, TEST_CATALOG);
        harness_worker_start(&h, 0);
        harness_produce(&h, "alerts",
                        "{\"event_id\":\"k1\",\"incident_key\":\"INC-42\","
                        "\"service\":\"payments-db\",\"status\":\"FIRING\","
                        "\"occurred_at\":1795000000000}", false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        harness_produce(&h, "alerts",
                        "{\"event_id\":\"k2\",\"incident_key\":\"INC-42\","
                        "\"service\":\"payments\",\"status\":\"FIRING\","
                        "\"occurred_at\":1795000010000}", false);
        /* an unkeyed ticket for payments joins through the service */
        harness_produce(&h, "tickets",
                        "{\"event_id\":\"k3\",\"ticket_id\":\"T-7\","
                        "\"account_id\":\"globex\",\"service\":\"payments\","
                        "\"status\":\"OPEN\",\"occurred_at\":1795000020000}",
                        false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        json_t *all = harness_consume(&h, "impact.scored", 10, 2000);
        json_t *last = json_array_get(all, json_array_size(all) - 1);
        assert_string_equal(jstr(last, "incident_id"), "INC-42");
        assert_string_equal(jstr(last, "root_service"), "payments-db");
        assert_int_equal(json_array_size(json_object_get(last, "impacted_services")), 2);
        assert_int_equal(jint(last, "affected_accounts"), 1);
        for (size_t i = 0; i < json_array_size(all); i++)
                assert_string_equal(jstr(json_array_get(all, i), "incident_id"),
                                    "INC-42");
        json_decref(all);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* Accounts kept in Redis hashes by another system (impact:account:<id>)
 * win over the YAML catalog; fields of the event win over both. */
static void test_account_hashes_in_redis(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "account-hashes", 25, 2, TEST_CATALOG);
        /* umbrella is in no YAML; initech's YAML ARR is 50000 */
        freeReplyObject(harness_redis(&h, "HSET impact:account:umbrella tier "
                                          "ENTERPRISE arr 250000 strategic true"));
        freeReplyObject(harness_redis(&h, "HSET impact:account:initech arr 90000"));
        harness_worker_start(&h, 0);
        harness_produce(&h, "alerts", search_alert, false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        harness_produce(&h, "tickets",
                        "{\"event_id\":\"u1\",\"ticket_id\":\"T-U\","
                        "\"account_id\":\"umbrella\",\"service\":\"search\","
                        "\"status\":\"OPEN\",\"occurred_at\":1795000060000}",
                        false);
        harness_produce(&h, "tickets",
                        "{\"event_id\":\"i1\",\"ticket_id\":\"T-I\","
                        "\"account_id\":\"initech\",\"service\":\"search\","
                        "\"arr\":70000,\"status\":\"OPEN\","
                        "\"occurred_at\":1795000070000}", false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        json_t *all = harness_read_all(&h, "impact.scored");
        json_t *last = json_array_get(all, json_array_size(all) - 1);
        assert_int_equal(jint(last, "affected_accounts"), 2);
        /* umbrella 250000 from its hash + initech 70000 from the event */
        assert_near(jnum(last, "arr_at_risk"), 320000);
        /* umbrella is strategic in its hash: the tier dimension tops out */
        assert_near(jnum(json_object_get(last, "dimensions"), "customer_tier"), 100);
        json_decref(all);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

extern const char impactd_lua_impactd_tag[];

/* Decisions of the escalation policy are stored by compare and set: of
 * two workers deciding from the same version, only the first stores. */
static void test_decide_is_compare_and_set(void **state) {
        static harness_t h;
        char fn[64];
        (void)state;
        harness_start(&h, "decide", 26, 1, TEST_CATALOG);
        harness_worker_start(&h, 0); /* loads the function library */
        snprintf(fn, sizeof(fn), "impactd_%s_decide", impactd_lua_impactd_tag);
        redisReply *r = harness_redis(&h, "FCALL %s 3 impact:{I} impact:{I}:esc "
                                          "impact:{I}:outbox 0 p1 n1 1795000000000 "
                                          "1 3 I:level:2 e page "
                                          "I:OPENED:CUSTOMER_LIAISON:3 n note "
                                          "I:FOLLOW_UP:ACCOUNT_MANAGER:a-1:3 %s %s",
                                          fn, "", "");
        assert_int_equal(r->element[0]->integer, 1);
        freeReplyObject(r);
        /* a second worker that also read version 0 */
        r = harness_redis(&h, "FCALL %s 3 impact:{I} impact:{I}:esc "
                              "impact:{I}:outbox 0 p2 n2 1795000000001 1 4 "
                              "I:level:2 e page", fn);
        assert_int_equal(r->elements, 4);
        assert_int_equal(r->element[0]->integer, 0);
        assert_string_equal(r->element[1]->str, "p1");
        assert_string_equal(r->element[2]->str, "n1");
        assert_string_equal(r->element[3]->str, "1");
        freeReplyObject(r);
        r = harness_redis(&h, "HMGET impact:{I} policy notify decide_v triaged_at");
        assert_string_equal(r->element[0]->str, "p1");
        assert_string_equal(r->element[2]->str, "1");
        assert_string_equal(r->element[3]->str, "1795000000000");
        freeReplyObject(r);
        /* recorded without the incident id its key names, with the revision
         * that decided it */
        r = harness_redis(&h, "HGET impact:{I}:esc level:2");
        assert_string_equal(r->str, "3");
        freeReplyObject(r);
        /* a notification's kind and audience as one letter each; muted
         * (no topic) is recorded too */
        r = harness_redis(&h, "HMGET impact:{I}:esc OL:3 FA:a-1:3");
        assert_string_equal(r->element[0]->str, "3");
        assert_string_equal(r->element[1]->str, "3");
        freeReplyObject(r);
        r = harness_redis(&h, "HLEN impact:{I}:esc");
        assert_int_equal(r->integer, 3);
        freeReplyObject(r);
        /* Kept for Kafka, topic first, until the worker clears it. */
        r = harness_redis(&h, "HGET impact:{I}:outbox I:level:2");
        assert_string_equal(r->str, "epage");
        freeReplyObject(r);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

static void assert_str_reply(redisReply *r, const char *want) {
        assert_true(r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
        assert_string_equal(r->str, want);
        freeReplyObject(r);
}

/* A policy state longer than Redis's hash-max-listpack-value (64) must not
 * turn the incident's aggregate hash into a hash table (two to three times
 * the memory): it is stored in pieces, and a worker that lost the compare
 * and set reads it back whole.  A shorter state later drops the pieces. */
static void test_long_states_keep_the_hash_compact(void **state) {
        static harness_t h;
        char fn[64], policy[200], notify[80];
        (void)state;
        harness_start(&h, "pieces", 26, 1, TEST_CATALOG);
        harness_worker_start(&h, 0); /* loads the function library */
        snprintf(fn, sizeof(fn), "impactd_%s_decide", impactd_lua_impactd_tag);
        for (size_t i = 0; i < sizeof(policy) - 1; i++)
                policy[i] = (char)('a' + i % 26);
        policy[sizeof(policy) - 1] = '\0';
        memset(notify, 'n', sizeof(notify) - 1);
        notify[sizeof(notify) - 1] = '\0';
        redisReply *r = harness_redis(&h, "FCALL %s 3 impact:{L} impact:{L}:esc "
                                          "impact:{L}:outbox 0 %s %s 1795000000000 "
                                          "0 1", fn, policy, notify);
        assert_int_equal(r->element[0]->integer, 1);
        freeReplyObject(r);
        assert_str_reply(harness_redis(&h, "OBJECT ENCODING impact:{L}"), "listpack");
        /* a worker that also read version 0 gets the states whole */
        r = harness_redis(&h, "FCALL %s 3 impact:{L} impact:{L}:esc "
                              "impact:{L}:outbox 0 p n 1795000000001 0 2", fn);
        assert_int_equal(r->elements, 4);
        assert_int_equal(r->element[0]->integer, 0);
        assert_string_equal(r->element[1]->str, policy);
        assert_string_equal(r->element[2]->str, notify);
        freeReplyObject(r);
        /* a short state replaces every piece */
        r = harness_redis(&h, "FCALL %s 3 impact:{L} impact:{L}:esc "
                              "impact:{L}:outbox 1 short n2 1795000000002 0 3", fn);
        assert_int_equal(r->element[0]->integer, 1);
        freeReplyObject(r);
        r = harness_redis(&h, "FCALL %s 3 impact:{L} impact:{L}:esc "
                              "impact:{L}:outbox 1 p n 1795000000003 0 4", fn);
        assert_int_equal(r->element[0]->integer, 0);
        assert_string_equal(r->element[1]->str, "short");
        assert_string_equal(r->element[2]->str, "n2");
        freeReplyObject(r);
        r = harness_redis(&h, "HEXISTS impact:{L} policy.2");
        assert_int_equal(r->integer, 0);
        freeReplyObject(r);
        assert_str_reply(harness_redis(&h, "OBJECT ENCODING impact:{L}"), "listpack");
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* The event ids and the blast radius are hashes of empty values, so a
 * small incident keeps them in listpacks.  An incident an older version
 * stored has them as sets: those still count each event once and still
 * give the blast radius. */
static void test_old_sets_still_count_once(void **state) {
        static harness_t h;
        char key[128];
        (void)state;
        harness_start(&h, "old-sets", 26, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        harness_produce(&h, "alerts", search_alert, false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        json_t *first = expect_exactly(&h, "impact.scored", 1);
        json_t *rev1 = json_array_get(first, 0);
        const char *inc = jstr(rev1, "incident_id");
        size_t impacted = json_array_size(json_object_get(rev1, "impacted_services"));
        assert_true(impacted >= 1);
        snprintf(key, sizeof(key), "impact:{%s}", inc);
        assert_str_reply(harness_redis(&h, "OBJECT ENCODING %s:seen", key), "listpack");
        assert_str_reply(harness_redis(&h, "OBJECT ENCODING %s:imp", key), "listpack");

        /* As an older version left them: sets.  t1 counts as applied. */
        redisReply *members = harness_redis(&h, "HKEYS %s:imp", key);
        assert_int_equal(members->elements, impacted);
        freeReplyObject(harness_redis(&h, "DEL %s:imp %s:seen", key, key));
        for (size_t i = 0; i < members->elements; i++)
                freeReplyObject(harness_redis(&h, "SADD %s:imp %s", key,
                                              members->element[i]->str));
        freeReplyObject(members);
        freeReplyObject(harness_redis(&h, "SADD %s:seen a1 t1", key));

        harness_produce(&h, "tickets", search_ticket, false); /* t1 */
        harness_produce(&h, "tickets", search_ticket2, false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        json_t *all = expect_exactly(&h, "impact.scored", 2);
        json_t *rev2 = json_array_get(all, 1);
        assert_int_equal(jint(rev2, "revision"), 2);
        assert_int_equal(jint(rev2, "tickets_total"), 1); /* t2 only */
        assert_int_equal(json_array_size(json_object_get(rev2, "impacted_services")),
                         impacted);
        assert_str_reply(harness_redis(&h, "TYPE %s:seen", key), "set");
        redisReply *r = harness_redis(&h, "SISMEMBER %s:seen t2", key);
        assert_int_equal(r->integer, 1);
        freeReplyObject(r);
        json_decref(all);
        json_decref(first);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* Moves the hash fields of `from` that start with `prefix` to `to`, less
 * the prefix (all of it if `keep_bare` and the field is the prefix alone). */
static void move_fields(harness_t *h, const char *from, const char *to,
                        char prefix, bool keep_bare) {
        redisReply *r = harness_redis(h, "HGETALL %s", from);
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
                const char *f = r->element[i]->str;
                if (f[0] != prefix)
                        continue;
                const char *name = keep_bare && f[1] == '\0' ? f : f + 1;
                freeReplyObject(harness_redis(h, "HSET %s %s %s", to, name,
                                              r->element[i + 1]->str));
                freeReplyObject(harness_redis(h, "HDEL %s %s", from, f));
        }
        freeReplyObject(r);
}

/* An incident stored before layout 2 keeps its tickets per minute in
 * :tpm and its offsets in :offs.  It goes on with them: its offsets still
 * keep a replay out (its event ids forgotten), and a new ticket counts in
 * the same minute as the old ones. */
static void test_layout1_incident_keeps_its_keys(void **state) {
        static harness_t h;
        char key[128];
        (void)state;
        harness_start(&h, "layout1", 26, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        /* The alert first: a ticket read before it would be held, and a held
         * event comes back without its offset. */
        harness_produce(&h, "alerts", search_alert, false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        harness_produce(&h, "tickets", search_ticket, false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        json_t *first = harness_read_all(&h, "impact.scored");
        size_t n = json_array_size(first);
        assert_true(n >= 1);
        snprintf(key, sizeof(key), "impact:{%s}",
                 jstr(json_array_get(first, 0), "incident_id"));
        json_decref(first);
        assert_str_reply(harness_redis(&h, "HGET %s layout", key), "2");
        assert_str_reply(harness_redis(&h, "HGET %s:spm t29916667", key), "1");
        assert_str_reply(harness_redis(&h, "HGET %s @t0", key), "0");

        /* As layout 1 left it, without the event ids. */
        char to[160];
        snprintf(to, sizeof(to), "%s:offs", key);
        move_fields(&h, key, to, '@', true);
        snprintf(to, sizeof(to), "%s:tpm", key);
        char spm[160];
        snprintf(spm, sizeof(spm), "%s:spm", key);
        move_fields(&h, spm, to, 't', false);
        freeReplyObject(harness_redis(&h, "HDEL %s layout", key));
        freeReplyObject(harness_redis(&h, "DEL %s:seen", key));

        harness_rewind(&h);
        harness_worker_start(&h, 0);
        assert_true(harness_wait_consumed(&h, 20000));
        json_decref(expect_exactly(&h, "impact.scored", n)); /* all fenced */
        harness_produce(&h, "tickets", search_ticket2, false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        json_t *all = expect_exactly(&h, "impact.scored", n + 1);
        assert_int_equal(jint(json_array_get(all, n), "tickets_total"), 2);
        json_decref(all);
        assert_str_reply(harness_redis(&h, "HGET %s layout", key), "1");
        assert_str_reply(harness_redis(&h, "HGET %s:tpm 29916667", key), "2");
        redisReply *r = harness_redis(&h, "HLEN %s:spm", key);
        assert_int_equal(r->integer, 0);
        freeReplyObject(r);
        r = harness_redis(&h, "HEXISTS %s @", key);
        assert_int_equal(r->integer, 0);
        freeReplyObject(r);
        assert_str_reply(harness_redis(&h, "HGET %s:offs t0", key), "1");
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* A backlog held for a service whose alert comes late is released a slice
 * per batch, not decoded into one: with batches of 10 messages a call
 * releases 16 (the least it may), and the worker comes back for the rest
 * in batches of no message at all.  Every held ticket is applied once. */
static void test_held_backlog_is_released_in_slices(void **state) {
        static harness_t h;
        char ticket[256];
        (void)state;
        harness_start(&h, "held-slices", 26, 1, TEST_CATALOG);
        setenv("IMPACTD_TEST_BATCH_MAX", "10", 1);
        harness_worker_start(&h, 0);
        unsetenv("IMPACTD_TEST_BATCH_MAX");
        for (int i = 1; i <= 40; i++) {
                snprintf(ticket, sizeof(ticket),
                         "{\"event_id\":\"t%d\",\"ticket_id\":\"T-%d\","
                         "\"account_id\":\"acct-%d\",\"service\":\"search\","
                         "\"status\":\"OPEN\",\"occurred_at\":%lld}",
                         i, i, i, 1795000000000LL + i * 1000);
                harness_produce(&h, "tickets", ticket, false);
        }
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        redisReply *r = harness_redis(&h, "LLEN impact:svc:{search}:held");
        assert_int_equal(r->integer, 40);
        freeReplyObject(r);

        harness_produce(&h, "alerts", search_alert, false);
        harness_flush(&h);
        json_t *all = expect_exactly(&h, "impact.scored", 3);
        const long long accounts[] = {16, 32, 40};
        for (size_t i = 0; i < 3; i++) {
                json_t *rev = json_array_get(all, i);
                assert_int_equal(jint(rev, "revision"), (long long)i + 1);
                assert_int_equal(jint(rev, "affected_accounts"), accounts[i]);
                assert_int_equal(jint(rev, "tickets_total"), accounts[i]);
        }
        json_decref(all);
        r = harness_redis(&h, "EXISTS impact:svc:{search}:held");
        assert_int_equal(r->integer, 0);
        freeReplyObject(r);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_ticket_before_alert_gives_same_result, harness_teardown),
                cmocka_unit_test_teardown(test_sentiment_before_its_ticket_joins_through_it, harness_teardown),
                cmocka_unit_test_teardown(test_incident_key_groups_services, harness_teardown),
                cmocka_unit_test_teardown(test_account_hashes_in_redis, harness_teardown),
                cmocka_unit_test_teardown(test_decide_is_compare_and_set, harness_teardown),
                cmocka_unit_test_teardown(test_long_states_keep_the_hash_compact, harness_teardown),
                cmocka_unit_test_teardown(test_old_sets_still_count_once, harness_teardown),
                cmocka_unit_test_teardown(test_layout1_incident_keeps_its_keys, harness_teardown),
                cmocka_unit_test_teardown(test_held_backlog_is_released_in_slices, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
