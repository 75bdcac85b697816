/* Shared assertions and catalog of the integration tests. */
#ifndef IMPACTD_TEST_SCENARIO_UTIL_H
#define IMPACTD_TEST_SCENARIO_UTIL_H

#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "harness.h"

/* 1795000000000 = 2026-11-18T11:06:40Z; every scenario starts there. */
#define T0 1795000000000LL
#define MIN 60000LL

/* Three services, four accounts: small enough to score by hand.  An
 * incident resolves as soon as its alerts do (no quiet time). */
#define TEST_CATALOG                                                           \
        "services:\n"                                                          \
        "  payments: {users: 20000, team: payments, depends_on: [payments-db]}\n" \
        "  payments-db: {users: 20000, team: storage}\n"                       \
        "  search: {users: 40000, team: search}\n"                             \
        "accounts:\n"                                                          \
        "  acme: {tier: ENTERPRISE, arr: 500000, strategic: true, sla: ENTERPRISE}\n" \
        "  globex: {tier: ENTERPRISE, arr: 300000, sla: ENTERPRISE}\n"               \
        "  initech: {tier: BUSINESS, arr: 50000, sla: BUSINESS}\n"               \
        "  free-1: {tier: FREE, arr: 0}\n"                                   \
        "policy:\n"                                                          \
        "  group_wait_s: 0\n"                                                \
        "lifecycle:\n"                                                       \
        "  quiet_time_s: 0\n"

static inline const char *jstr(json_t *o, const char *k) {
        const char *s = json_string_value(json_object_get(o, k));
        return s ? s : "(null)";
}

static inline double jnum(json_t *o, const char *k) {
        return json_number_value(json_object_get(o, k));
}

static inline int64_t jint(json_t *o, const char *k) {
        return (int64_t)json_integer_value(json_object_get(o, k));
}

#define assert_near(a, b) assert_true(fabs((double)(a) - (double)(b)) < 0.051)

/* Waits for `n` messages on topic, then checks there are no more.  The
 * caller has waited for the worker to consume its input
 * (harness_wait_consumed), so nothing else is on its way. */
static inline json_t *expect_exactly(harness_t *h, const char *topic, size_t n) {
        json_t *all = harness_wait_for(h, topic, n, 30000);
        assert_int_equal(json_array_size(all), n);
        json_decref(all);
        all = harness_read_all(h, topic);
        if (json_array_size(all) != n)
                harness_print_logs(h);
        assert_int_equal(json_array_size(all), n);
        return all;
}

/* Produces one well-formed FIRING alert of `search` and waits for the
 * scored revision it makes: the worker is alive and past what came before. */
static inline void alert_scored(harness_t *h, const char *event_id) {
        char alert[256];
        snprintf(alert, sizeof(alert),
                 "{\"event_id\":\"%s\",\"service\":\"search\","
                 "\"status\":\"FIRING\",\"affected_users\":400,"
                 "\"occurred_at\":1795000000000}", event_id);
        harness_produce(h, "alerts", alert, false);
        harness_flush(h);
        json_t *scored = harness_wait_for(h, "impact.scored", 1, 30000);
        assert_int_equal(json_array_size(scored), 1);
        json_decref(scored);
}

/* How many incident outboxes still hold outputs. */
static inline size_t outboxes_left(harness_t *h) {
        redisReply *r = harness_redis(h, "KEYS *}:outbox");
        size_t n = r->elements;
        freeReplyObject(r);
        return n;
}

/* An :esc field as the output id it stands for, less "<incident>:": a
 * notification's kind and audience are one letter each there (IL:4 is
 * IMPACT_CHANGED:CUSTOMER_LIAISON:4).  Spelled out here rather than taken
 * from the worker, so a change of the letters shows as a failing test. */
static inline void esc_field_expand(const char *field, char *out, size_t size) {
        static const char *const kinds[][2] = {
                {"O", "OPENED"}, {"I", "IMPACT_CHANGED"}, {"S", "SLA_AT_RISK"},
                {"R", "RESOLVED"}, {"F", "FOLLOW_UP"}};
        static const char *const audiences[][2] = {
                {"X", "EXECUTIVE"},        {"E", "ENGINEERING"},
                {"C", "CUSTOMER"},         {"A", "ACCOUNT_MANAGER"},
                {"L", "CUSTOMER_LIAISON"}, {"P", "COMPLIANCE"}};
        const char *kind = NULL, *audience = NULL;
        if (field[0] && field[1] && field[2] == ':') {
                for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
                        if (field[0] == kinds[i][0][0])
                                kind = kinds[i][1];
                for (size_t i = 0; i < sizeof(audiences) / sizeof(*audiences); i++)
                        if (field[1] == audiences[i][0][0])
                                audience = audiences[i][1];
        }
        if (kind && audience)
                snprintf(out, size, "%s:%s:%s", kind, audience, field + 3);
        else
                snprintf(out, size, "%s", field);
}

/* Every output id a stored decision recorded, as a set (a JSON object).
 * :esc keeps them without the "<incident>:" its key names: put it back. */
static inline json_t *decided_ids(harness_t *h) {
        json_t *ids = json_object();
        redisReply *keys = harness_redis(h, "KEYS *:esc");
        for (size_t k = 0; k < keys->elements; k++) {
                const char *key = keys->element[k]->str;
                const char *open = strchr(key, '{'), *close = strrchr(key, '}');
                assert_non_null(open);
                assert_non_null(close);
                redisReply *r = harness_redis(h, "HKEYS %s", key);
                for (size_t i = 0; i < r->elements; i++) {
                        char field[512], id[600];
                        esc_field_expand(r->element[i]->str, field, sizeof(field));
                        snprintf(id, sizeof(id), "%.*s:%s", (int)(close - open - 1),
                                 open + 1, field);
                        json_object_set_new(ids, id, json_true());
                }
                freeReplyObject(r);
        }
        freeReplyObject(keys);
        return ids;
}

/* Whether the scored topic holds, for every incident, the revision Redis
 * is at: the latest state is published even when the worker that applied
 * it died before Kafka had it.  (Earlier revisions may be skipped: a
 * replay that also brings new events makes a newer revision instead.)
 * Names the first incident missing. */
static inline bool latest_revisions_scored(harness_t *h) {
        json_t *scored = harness_read_all(h, "impact.scored");
        redisReply *keys = harness_redis(h, "KEYS impact:{*}");
        /* No incident at all is no evidence: say so. */
        bool ok = keys->elements > 0;
        if (!ok)
                print_message("no incident in Redis\n");
        for (size_t k = 0; k < keys->elements && ok; k++) {
                /* impact:{<incident>} */
                char inc[256];
                snprintf(inc, sizeof(inc), "%.*s",
                         (int)strlen(keys->element[k]->str) - 9,
                         keys->element[k]->str + 8);
                redisReply *r = harness_redis(h, "HGET %s rev", keys->element[k]->str);
                long long rev = r->str ? atoll(r->str) : 0;
                bool seen = !rev;
                for (size_t i = 0; i < json_array_size(scored) && !seen; i++) {
                        json_t *m = json_array_get(scored, i);
                        seen = !strcmp(jstr(m, "incident_id"), inc) &&
                               jint(m, "revision") == rev;
                }
                if (!seen) {
                        print_message("incident %s: revision %lld never scored "
                                      "on Kafka\n", inc, rev);
                        ok = false;
                }
                freeReplyObject(r);
        }
        freeReplyObject(keys);
        json_decref(scored);
        return ok;
}

/* The values of `field` on `topic`, as a set; *copies (may be NULL)
 * counts the messages. */
static inline json_t *ids_on(harness_t *h, const char *topic, const char *field,
                             size_t *copies) {
        json_t *msgs = harness_read_all(h, topic), *ids = json_object();
        for (size_t i = 0; i < json_array_size(msgs); i++)
                json_object_set_new(ids, jstr(json_array_get(msgs, i), field),
                                    json_true());
        if (copies)
                *copies = json_array_size(msgs);
        json_decref(msgs);
        return ids;
}

/* The end state of a run, for comparing runs that processed the same
 * stream differently (caller frees). */
/* Revisions (rev, and done: the last revision published) count
 * coalesced batches and the policy and notify states
 * follow the levels seen at batch boundaries, so both depend on timing.  So does which of
 * several keyed incidents open at once on one service holds that
 * service's open-incident pointer (first come).  Every aggregate must
 * match exactly. */
static inline char *comparable_state(harness_t *h) {
        char *dump = harness_redis_dump(h, "*");
        char *out = calloc(1, strlen(dump) + 1), *o = out;
        int skip_key = 0;
        for (char *line = strtok(dump, "\n"); line; line = strtok(NULL, "\n")) {
                if (line[0] != ' ')
                        skip_key = strstr(line, ":esc (") != NULL ||
                                   strstr(line, "}:outbox (") != NULL ||
                                   strstr(line, "impact:outbox (") == line ||
                                   strstr(line, "impact:svc:") == line;
                if (skip_key || strstr(line, "  @") == line || /* offsets */
                    strstr(line, "  cluster=") == line || /* impact:state's */
                    strstr(line, "  rev=") == line ||
                    strstr(line, "  done=") == line ||
                    strstr(line, "  tri=") == line ||
                    strstr(line, "  p=") == line ||
                    strstr(line, "  p.") == line || /* its pieces */
                    strstr(line, "  n=") == line ||
                    strstr(line, "  n.") == line ||
                    strstr(line, "  dv=") == line ||
                    strstr(line, "  dr=") == line)
                        continue;
                o += sprintf(o, "%s\n", line);
        }
        free(dump);
        return out;
}

#endif
