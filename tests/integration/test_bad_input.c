/* Bad input lands in impact.dlq with its reason and source coordinates;
 * the worker keeps going and the next good message is processed. */
#include "scenario_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct bad {
        const char *topic;
        const char *bytes;
        size_t len;
        const char *reason; /* expected substring of dlq.reason */
} bad_t;

#define B(topic, lit, reason) {topic, lit, sizeof(lit) - 1, reason}

static const bad_t bad[] = {
        B("impact.alerts", "{\"event_id\": \"x\",", "invalid JSON"),
        B("impact.alerts", "[1, 2, 3]", "JSON is not an object"),
        B("impact.alerts", "{\"event_id\":\"b1\",\"status\":\"FIRING\","
          "\"occurred_at\":1795000000000}", "missing required field 'service'"),
        B("impact.alerts", "{\"event_id\":\"b2\",\"service\":\"search\","
          "\"status\":\"BURNING\",\"occurred_at\":1795000000000}",
          "unknown value 'BURNING'"),
        B("impact.alerts", "{\"event_id\":\"b3\",\"service\":\"search\","
          "\"status\":\"FIRING\",\"affected_users\":\"many\","
          "\"occurred_at\":1795000000000}", "affected_users"),
        B("impact.tickets", "{\"event_id\":\"b4\",\"ticket_id\":\"T\","
          "\"account_id\":\"acme\",\"status\":\"OPEN\","
          "\"occurred_at\":1795000000}", "looks like seconds"),
        B("impact.sentiment", "\x00\x00\x00\x00\x63\x02\x61", "unknown Avro schema id 99"),
        B("impact.sentiment", "garbage", "neither Avro"),
        B("impact.tickets", "{\"event_id\":\"b5\",\"ticket_id\":\"T\","
          "\"account_id\":\"acme\",\"status\":\"OPEN\","
          "\"occurred_at\":1795000000000}", "cannot be correlated"),
};
#define NBAD (sizeof(bad) / sizeof(bad[0]))

static void test_bad_messages_go_to_dlq_with_reason(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "bad-input", 7, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        for (size_t i = 0; i < NBAD; i++)
                harness_produce_raw(&h, bad[i].topic, bad[i].bytes, bad[i].len);
        /* a tombstone: a null value */
        harness_produce_raw(&h, "impact.alerts", NULL, 0);
        harness_produce(&h, "alerts",
                        "{\"event_id\":\"good\",\"service\":\"search\","
                        "\"status\":\"FIRING\",\"affected_users\":400,"
                        "\"occurred_at\":1795000000000}", false);
        harness_flush(&h);

        json_t *scored = harness_wait_for(&h, "impact.scored", 1, 30000);
        assert_int_equal(json_array_size(scored), 1);
        json_decref(scored);
        assert_true(harness_wait_consumed(&h, 20000));
        json_t *dlq = expect_exactly(&h, "impact.dlq", NBAD + 1);
        for (size_t i = 0; i < NBAD + 1; i++) {
                json_t *hdrs = json_object_get(json_array_get(dlq, i), "headers");
                const char *topic = jstr(hdrs, "dlq.source.topic");
                const char *reason = jstr(hdrs, "dlq.reason");
                /* One partition per topic: per-topic offsets count up. */
                size_t expect_offset = 0;
                const bad_t *b = NULL;
                for (size_t k = 0; k < NBAD && !b; k++) {
                        if (strcmp(bad[k].topic, topic))
                                continue;
                        if (strstr(reason, bad[k].reason))
                                b = &bad[k];
                        else
                                expect_offset++;
                }
                if (!b) {
                        assert_string_equal(topic, "impact.alerts");
                        assert_string_equal(reason, "tombstone (null value)");
                        continue;
                }
                char off[24];
                snprintf(off, sizeof(off), "%zu", expect_offset);
                assert_string_equal(jstr(hdrs, "dlq.source.offset"), off);
                assert_string_equal(jstr(hdrs, "dlq.source.partition"), "0");
                /* the original bytes, untouched */
                json_t *v = json_object_get(json_array_get(dlq, i), "value");
                assert_int_equal(json_string_length(v), b->len);
                assert_memory_equal(json_string_value(v), b->bytes, b->len);
        }
        json_decref(dlq);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_bad_messages_go_to_dlq_with_reason, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
