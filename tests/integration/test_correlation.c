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
        /* k1 made one revision; k2 and k3 one or two, as they are
         * batched: all of them are there once the input is consumed. */
        json_t *all = harness_read_all(&h, "impact.scored");
        assert_true(json_array_size(all) >= 2);
        json_t *last = json_array_get(all, json_array_size(all) - 1);
        assert_string_equal(jstr(last, "incident_id"), "INC-42");
        assert_string_equal(jstr(last, "root_service"), "payments-db");
        assert_int_equal(json_array_size(json_object_get(last, "impacted_services")), 2);
        assert_int_equal(jint(last, "affected_accounts"), 1);
        for (size_t i = 0; i < json_array_size(all); i++)
                assert_string_equal(jstr(json_array_get(all, i), "incident_id"),
                                    "INC-42");
        json_decref(all);
        /* payments is impacted through its dependency on payments-db
         * anyway: that its own alert joined the incident by the key shows
         * in the incident's alerts, kept per service. */
        redisReply *r = harness_redis(&h, "HEXISTS impact:{INC-42}:alerts payments");
        assert_int_equal(r->integer, 1);
        freeReplyObject(r);
        r = harness_redis(&h, "HLEN impact:{INC-42}:alerts");
        assert_int_equal(r->integer, 2);
        freeReplyObject(r);
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
        /* the first worker's states are kept, not the second's */
        r = harness_redis(&h, "HMGET impact:{I} p n dv tri");
        assert_string_equal(r->element[0]->str, "p1");
        assert_string_equal(r->element[1]->str, "n1");
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
        r = harness_redis(&h, "HEXISTS impact:{L} p.2");
        assert_int_equal(r->integer, 0);
        freeReplyObject(r);
        assert_str_reply(harness_redis(&h, "OBJECT ENCODING impact:{L}"), "listpack");
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* Tickets of one account on one platform, in one minute. */
#define UPGRADE_TICKET(n, sec)                                                 \
        "{\"event_id\":\"t" #n "\",\"ticket_id\":\"T-" #n "\","               \
        "\"account_id\":\"initech\",\"service\":\"search\","                  \
        "\"platform\":\"ios\",\"status\":\"OPEN\","                           \
        "\"occurred_at\":17950000" #sec "000}"

/* The aggregate's field names before layout 3 (OLD_NAMES in impactd.lua),
 * spelled out, so that a renamed field fails here. */
static const char *const old_names[][2] = {
        {"status", "st"}, {"revision", "rev"}, {"root_service", "root"},
        {"detected_at", "det"}, {"last_event_at", "last"},
        {"resolved_at", "res"}, {"triaged_at", "tri"},
        {"quiet_since", "quiet"}, {"declared_severity", "sev"},
        {"affected_accounts", "accts"}, {"arr_at_risk", "arr"},
        {"max_tier", "tier"}, {"strategic", "strat"},
        {"tickets_total", "tix"}, {"tickets_open", "open"},
        {"personal_data", "pd"}, {"personal_data_at", "pd_at"},
        {"kaccts", "ka"}, {"sentiment_count", "sc"},
        {"sentiment_negative", "sn"}, {"sentiment_sum", "ss"},
        {"last_tick", "tick"}, {"policy", "p"}, {"notify", "n"},
        {"decide_v", "dv"}, {"decide_rev", "dr"}, {"after_rev", "done"}};

static const char *old_name(const char *f, char *buf, size_t size) {
        for (size_t k = 0; k < sizeof(old_names) / sizeof(*old_names); k++)
                if (!strcmp(f, old_names[k][1]))
                        return old_names[k][0];
        if ((f[0] == 'p' || f[0] == 'n') && f[1] == '.') { /* p.2: a piece */
                snprintf(buf, size, "%s.%s", f[0] == 'p' ? "policy" : "notify", f + 2);
                return buf;
        }
        return NULL;
}

static void rename_field(harness_t *h, const char *key, const char *from,
                         const char *to_key, const char *to, const char *value) {
        freeReplyObject(harness_redis(h, "HSET %s %s %s", to_key, to, value));
        freeReplyObject(harness_redis(h, "HDEL %s %s", key, from));
}

/* A hash as a set of its fields, its values dropped. */
static void hash_to_set(harness_t *h, const char *key) {
        redisReply *r = harness_redis(h, "HKEYS %s", key);
        assert_true(r->elements > 0);
        freeReplyObject(harness_redis(h, "DEL %s", key));
        for (size_t i = 0; i < r->elements; i++)
                freeReplyObject(harness_redis(h, "SADD %s %s", key, r->element[i]->str));
        freeReplyObject(r);
}

/* Turns an incident of layout 3 into what layout 1 or 2 stored: the
 * aggregate's long field names, incident_id, segment kinds spelled out;
 * layout 2 said so in `layout`; layout 1 kept its offsets in :offs, its
 * tickets per minute in :tpm, and its blast radius in a set. */
static void downgrade(harness_t *h, const char *key, const char *inc, int layout) {
        static const char *const kinds[] = {"region", "product_version", "platform",
                                            "feature", "account_prefix"};
        static const char letters[] = "rvpfa";
        char other[160], piece[64], name[160];
        redisReply *r = harness_redis(h, "HGETALL %s", key);
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
                const char *f = r->element[i]->str, *v = r->element[i + 1]->str;
                const char *to = old_name(f, piece, sizeof(piece));
                snprintf(other, sizeof(other), "%s:offs", key);
                if (layout == 1 && f[0] == '@')
                        rename_field(h, key, f, other, f[1] ? f + 1 : f, v);
                else if (to)
                        rename_field(h, key, f, key, to, v);
        }
        freeReplyObject(r);
        freeReplyObject(harness_redis(h, "HSET %s incident_id %s", key, inc));
        if (layout == 2)
                freeReplyObject(harness_redis(h, "HSET %s layout 2", key));

        snprintf(other, sizeof(other), "%s:segs", key);
        r = harness_redis(h, "HGETALL %s", other);
        assert_true(r->elements > 0);
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
                const char *f = r->element[i]->str;
                const char *at = f[0] ? strchr(letters, f[0]) : NULL;
                assert_non_null(at);
                snprintf(name, sizeof(name), "%s\x1f%s", kinds[at - letters], f + 1);
                rename_field(h, other, f, other, name, r->element[i + 1]->str);
        }
        freeReplyObject(r);
        if (layout != 1)
                return;
        snprintf(other, sizeof(other), "%s:spm", key);
        r = harness_redis(h, "HGETALL %s", other);
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
                const char *f = r->element[i]->str;
                snprintf(name, sizeof(name), "%s:tpm", key);
                if (f[0] == 't')
                        rename_field(h, other, f, name, f + 1, r->element[i + 1]->str);
        }
        freeReplyObject(r);
        snprintf(other, sizeof(other), "%s:imp", key);
        hash_to_set(h, other);
}

/* An incident an older version stored is brought to layout 3 by its next
 * apply and goes on from where it was: its offsets keep a replay out, its
 * event ids a duplicate (layout 1: from the sets it kept), its tickets per
 * minute and segments count on. */
static void upgrade_case(int layout) {
        static harness_t h;
        char key[128], inc[96];
        harness_start(&h, layout == 1 ? "layout1" : "layout2", 26, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        /* The alert first: a ticket read before it would be held, and a held
         * event comes back without its offset. */
        harness_produce(&h, "alerts", search_alert, false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        harness_produce(&h, "tickets", UPGRADE_TICKET(1, 60), false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        json_t *first = harness_read_all(&h, "impact.scored");
        size_t n = json_array_size(first);
        assert_true(n >= 1);
        json_t *last = json_array_get(first, n - 1);
        size_t impacted = json_array_size(json_object_get(last, "impacted_services"));
        assert_true(impacted >= 1);
        snprintf(inc, sizeof(inc), "%s", jstr(last, "incident_id"));
        snprintf(key, sizeof(key), "impact:{%s}", inc);
        json_decref(first);
        assert_str_reply(harness_redis(&h, "HGET %s st", key), "OPEN");
        assert_str_reply(harness_redis(&h, "HGET %s @t0", key), "0");
        assert_str_reply(harness_redis(&h, "HGET %s:spm t29916667", key), "1");
        assert_str_reply(harness_redis(&h, "HGET %s:segs pios", key), "1");

        downgrade(&h, key, inc, layout);
        /* t1 forgotten: only its offset keeps its replay out.  t3 counts as
         * applied already. */
        freeReplyObject(harness_redis(&h, "DEL %s:seen", key));
        if (layout == 1)
                freeReplyObject(harness_redis(&h, "SADD %s:seen a1 t3", key));
        else
                freeReplyObject(harness_redis(&h, "HSET %s:seen a1 %s t3 %s", key, "", ""));
        if (layout == 2) /* a field a newer version wrote since: it stays */
                freeReplyObject(harness_redis(&h, "HSET %s declared_severity 2 sev 3", key));
        harness_rewind(&h);
        harness_worker_start(&h, 0);
        assert_true(harness_wait_consumed(&h, 20000));
        json_decref(expect_exactly(&h, "impact.scored", n)); /* all fenced */
        harness_produce(&h, "tickets", UPGRADE_TICKET(2, 70), false);
        harness_produce(&h, "tickets", UPGRADE_TICKET(3, 75), false);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        json_t *all = harness_read_all(&h, "impact.scored");
        last = json_array_get(all, json_array_size(all) - 1);
        assert_true(json_array_size(all) > n);
        assert_int_equal(jint(last, "tickets_total"), 2); /* t1 and t2 */
        assert_int_equal(json_array_size(json_object_get(last, "impacted_services")),
                         impacted);
        json_decref(all);

        assert_str_reply(harness_redis(&h, "HGET %s st", key), "OPEN");
        assert_str_reply(harness_redis(&h, "HGET %s tix", key), "2");
        assert_str_reply(harness_redis(&h, "HGET %s @t0", key), "2");
        assert_str_reply(harness_redis(&h, "HGET %s:spm t29916667", key), "2");
        assert_str_reply(harness_redis(&h, "HGET %s:segs pios", key), "2");
        assert_str_reply(harness_redis(&h, "TYPE %s:seen", key), "hash");
        assert_str_reply(harness_redis(&h, "TYPE %s:imp", key), "hash");
        redisReply *r = harness_redis(&h, "EXISTS %s:tpm %s:offs", key, key);
        assert_int_equal(r->integer, 0);
        freeReplyObject(r);
        if (layout == 2)
                assert_str_reply(harness_redis(&h, "HGET %s sev", key), "3");
        r = harness_redis(&h, "HMGET %s status layout incident_id tickets_total "
                              "declared_severity", key);
        for (size_t i = 0; i < r->elements; i++)
                assert_int_equal(r->element[i]->type, REDIS_REPLY_NIL);
        freeReplyObject(r);
        /* Its keys still expire together. */
        r = harness_redis(&h, "TTL %s:imp", key);
        assert_true(r->integer > 0);
        freeReplyObject(r);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

static void test_layout1_incident_is_upgraded(void **state) {
        (void)state;
        upgrade_case(1);
}

static void test_layout2_incident_is_upgraded(void **state) {
        (void)state;
        upgrade_case(2);
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
        /* The alert is committed with the first slice; the rest come in
         * batches of no message, which nothing commits.  So: the last
         * slice on Kafka, then a message the worker turns away: consumed
         * after any slice still left would have been released. */
        json_t *all = harness_wait_for(&h, "impact.scored", 3, 30000);
        assert_int_equal(json_array_size(all), 3);
        json_decref(all);
        harness_produce_raw(&h, "impact.alerts", "not an event", 12);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 20000));
        all = expect_exactly(&h, "impact.scored", 3);
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
                cmocka_unit_test_teardown(test_layout1_incident_is_upgraded, harness_teardown),
                cmocka_unit_test_teardown(test_layout2_incident_is_upgraded, harness_teardown),
                cmocka_unit_test_teardown(test_held_backlog_is_released_in_slices, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
