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

/* An alert, a ticket or a sentiment event, from its event id on. */
#define AL(x) "{\"event_id\":\"" x

/* Every kind of bad input the worker must turn away, with the reason it
 * gives: malformed and truncated JSON or Avro, wrong types, missing or
 * unknown values, out-of-range and absurd numbers, bad text. */
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
        B("impact.alerts", AL("c1\",\"service\":\"search\",\"status\":\"FIR"), "premature end of input"),
        B("impact.alerts", "", "empty message"),
        B("impact.alerts", AL("c3\",\"service\":\"sea\0rch\",\"status\":\"FIRING\",\"occurred_at\":1795000000000}"), "control character 0x0"),
        B("impact.alerts", AL("c4\",\"service\":\"sea\xffrch\",\"status\":\"FIRING\",\"occurred_at\":1795000000000}"), "unable to decode byte 0xff"),
        B("impact.alerts", AL("c5\",\"service\":\"search\",\"status\":\"FIRING\",\"affected_users\":NaN,\"occurred_at\":1795000000000}"), "invalid token near 'NaN'"),
        B("impact.alerts", AL("c6\",\"service\":\"search\",\"status\":\"FIRING\",\"slo_burn_rate\":Infinity,\"occurred_at\":1795000000000}"), "invalid token near 'Infinity'"),
        B("impact.alerts", AL("c7\",\"service\":\"search\",\"status\":\"FIRING\",\"slo_burn_rate\":1e400,\"occurred_at\":1795000000000}"), "real number overflow"),
        B("impact.alerts", AL("c8\",\"service\":\"search\",\"status\":\"FIRING\",\"affected_users\":-5,\"occurred_at\":1795000000000}"), "field 'affected_users': -5 is out of range"),
        B("impact.alerts", AL("c9\",\"service\":\"search\",\"status\":\"FIRING\",\"affected_users\":1000000000000000,\"occurred_at\":1795000000000}"), "field 'affected_users': 1000000000000000 is absurd"),
        B("impact.alerts", AL("c12\",\"service\":5,\"status\":\"FIRING\",\"occurred_at\":1795000000000}"), "field 'service': expected a string"),
        B("impact.alerts", "{\"service\":\"search\",\"status\":\"FIRING\",\"occurred_at\":1795000000000}", "missing required field 'event_id'"),
        B("impact.sentiment", AL("c14\",\"ticket_id\":\"T\",\"account_id\":\"acme\",\"score\":5.0,\"occurred_at\":1795000000000}"), "field 'score': 5 is out of range [-1, 1]"),
        B("impact.sentiment", AL("c15\",\"ticket_id\":\"T\",\"account_id\":\"acme\",\"occurred_at\":1795000000000}"), "missing required field 'score'"),
        B("impact.tickets", AL("c16\",\"account_id\":\"acme\",\"service\":\"search\",\"status\":\"OPEN\",\"occurred_at\":1795000000000}"), "missing required field 'ticket_id'"),
        B("impact.tickets", AL("c17\",\"ticket_id\":\"T\",\"account_id\":\"acme\",\"service\":\"search\",\"customer_tier\":\"GOLD\",\"status\":\"OPEN\",\"occurred_at\":1795000000000}"), "field 'customer_tier': unknown value 'GOLD'"),
        B("impact.alerts", AL("c18\",\"service\":\"search\",\"status\":\"FIRING\",\"declared_severity\":9,\"occurred_at\":1795000000000}"), "field 'declared_severity': 9 is out of range [1, 5]"),
        B("impact.alerts", AL("c19\",\"service\":\"search\",\"status\":\"FIRING\",\"slo_burn_rate\":-2,\"occurred_at\":1795000000000}"), "field 'slo_burn_rate': -2 is out of range"),
        B("impact.tickets", AL("c20\",\"ticket_id\":\"T\",\"account_id\":\"acme\",\"service\":\"search\",\"arr\":-100,\"status\":\"OPEN\",\"occurred_at\":1795000000000}"), "field 'arr': -100 is out of range"),
        B("impact.alerts", "\x00\x00\x00\x00\x01\x02", "truncated Avro record"),
        B("impact.alerts", "\x00\x00\x00\x00\x03\x04" "s1\x02" "T\x00\x00\x00", "Avro record impactd.Sentiment on the alerts topic"),
        B("impact.alerts", "\x01\x00\x00\x00\x01\x04" "a1", "neither Avro (magic byte 0) nor JSON (first byte 0x01)"),
        B("impact.alerts", "\"hello\"", "JSON is not an object"),
        B("impact.alerts", AL("c25\",\"service\":\"search\",\"status\":\"FIRING\",\"occurred_at\":1795000000000} xyz"), "end of file expected near 'xyz'"),
        B("impact.alerts", AL("c26\",\"service\":\"search\",\"status\":\"FIRING\",\"disruption\":\"MELTDOWN\",\"occurred_at\":1795000000000}"), "field 'disruption': unknown value 'MELTDOWN'"),
        B("impact.alerts", AL("c27\",\"service\":\"search\",\"status\":\"FIRING\",\"occurred_at\":\"yesterday\"}"), "field 'occurred_at': expected an integer"),
        B("impact.alerts", AL("c28\",\"service\":\"search\",\"status\":\"FIRING\",\"affected_users\":1.5,\"occurred_at\":1795000000000}"), "field 'affected_users': expected an integer"),
        B("impact.alerts", AL("c29\",\"service\":\"search\",\"status\":null,\"occurred_at\":1795000000000}"), "missing required field 'status'"),
        B("impact.alerts", "   ", "neither Avro (magic byte 0) nor JSON (first byte 0x20)"),
        /* 2100-01-01: the check runs with limits.max_future_s at ten years
         * here, so the machine's own date does not matter. */
        B("impact.alerts", AL("c30\",\"service\":\"search\",\"status\":\"FIRING\",\"occurred_at\":4102444800000}"), "more than limits.max_future_s (315360000)"),
};
#define NBAD (sizeof(bad) / sizeof(bad[0]))
#define NALL (NBAD + 2)

/* The table and two made here: a message over limits.max_message_bytes
 * (1 MiB by default) and a string over limits.max_string_bytes (1 KiB). */
static bad_t all[NALL];

static void make_all(void) {
        static char huge[1048577 + 64], service[1100 + 1];
        memcpy(all, bad, sizeof(bad));
        memset(huge, ' ', sizeof(huge) - 1);
        memcpy(huge, AL("c31"), strlen(AL("c31")));
        huge[sizeof(huge) - 2] = '}';
        all[NBAD] = (bad_t){"impact.alerts", huge, sizeof(huge) - 1,
                            "message exceeds limits.max_message_bytes (1048576)"};
        memset(service, 'x', sizeof(service) - 1);
        static char alert[1400];
        int n = snprintf(alert, sizeof(alert),
                         AL("c32\",\"service\":\"%s\",\"status\":\"FIRING\","
                            "\"occurred_at\":1795000000000}"), service);
        all[NBAD + 1] = (bad_t){"impact.alerts", alert, (size_t)n,
                                "field 'service': string of 1100 bytes exceeds "
                                "limits.max_string_bytes (1024)"};
}

static void test_bad_messages_go_to_dlq_with_reason(void **state) {
        static harness_t h;
        (void)state;
        make_all();
        setenv("IMPACTD_TEST_MAX_FUTURE_S", "315360000", 1);
        /* As a user who takes large messages would: above impactd's own
         * fetch.max.bytes, which must then follow it. */
        setenv("IMPACTD_TEST_MESSAGE_MAX_BYTES", "4000000", 1);
        harness_start(&h, "bad-input", 7, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        unsetenv("IMPACTD_TEST_MAX_FUTURE_S");
        unsetenv("IMPACTD_TEST_MESSAGE_MAX_BYTES");
        for (size_t i = 0; i < NALL; i++)
                harness_produce_raw(&h, all[i].topic, all[i].bytes, all[i].len);
        /* a tombstone: a null value */
        harness_produce_raw(&h, "impact.alerts", NULL, 0);
        alert_scored(&h, "good");
        assert_true(harness_wait_consumed(&h, 20000));
        json_t *dlq = expect_exactly(&h, "impact.dlq", NALL + 1);
        /* What went in: the table, then the tombstone.  One partition per
         * topic, so an input's offset is the number of inputs of its topic
         * before it. */
        bad_t in[NALL + 1];
        size_t offset[NALL + 1];
        bool matched[NALL + 1] = {false};
        memcpy(in, all, sizeof(all));
        in[NALL] = (bad_t){"impact.alerts", NULL, 0, "tombstone (null value)"};
        for (size_t k = 0; k < NALL + 1; k++) {
                offset[k] = 0;
                for (size_t j = 0; j < k; j++)
                        offset[k] += !strcmp(in[j].topic, in[k].topic);
        }
        for (size_t i = 0; i < NALL + 1; i++) {
                json_t *hdrs = json_object_get(json_array_get(dlq, i), "headers");
                const char *topic = jstr(hdrs, "dlq.source.topic");
                const char *reason = jstr(hdrs, "dlq.reason");
                const char *off = jstr(hdrs, "dlq.source.offset");
                json_t *v = json_object_get(json_array_get(dlq, i), "value");
                /* Which input this is: the first not matched yet with its
                 * topic and bytes (values over 512 KiB are cut there); of
                 * inputs alike in those (the empty message and the
                 * tombstone: no bytes), the one at its offset. */
                size_t k;
                for (k = 0; k < NALL + 1; k++) {
                        size_t len = in[k].len > 524288 ? 524288 : in[k].len;
                        if (matched[k] || strcmp(in[k].topic, topic) ||
                            json_string_length(v) != len ||
                            memcmp(json_string_value(v), in[k].bytes ? in[k].bytes : "",
                                   len))
                                continue;
                        if (len || (size_t)atoll(off) == offset[k])
                                break;
                }
                if (k == NALL + 1)
                        fail_msg("DLQ entry %zu (%s offset %s: %s) matches no "
                                 "input, or one matched already", i, topic, off,
                                 reason);
                matched[k] = true;
                if (!strstr(reason, in[k].reason))
                        fprintf(stderr, "reason '%s', expected '%s'\n", reason,
                                in[k].reason);
                assert_non_null(strstr(reason, in[k].reason));
                char want[24];
                snprintf(want, sizeof(want), "%zu", offset[k]);
                assert_string_equal(off, want);
                assert_string_equal(jstr(hdrs, "dlq.source.partition"), "0");
                if (in[k].len > 524288)
                        assert_int_equal(atoi(jstr(hdrs, "dlq.value.truncated_from")),
                                         in[k].len);
        }
        /* Every input was turned away, each once (the good one was not:
         * the count above). */
        for (size_t k = 0; k < NALL + 1; k++)
                if (!matched[k])
                        fail_msg("input %zu (%s) never reached the DLQ", k,
                                 in[k].reason);
        json_decref(dlq);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        /* The last stats line counts them by kind of reason. */
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "grep -o 'dlq=[^ ]* .*} ' %s/worker0.log | tail -1",
                 h.dir);
        FILE *fp = popen(cmd, "r");
        assert_non_null(fp);
        char line[2048] = "";
        assert_non_null(fgets(line, sizeof(line), fp));
        pclose(fp);
        fprintf(stderr, "%s", line);
        char total[32];
        snprintf(total, sizeof(total), "dlq=%zu{", NALL + 1);
        assert_non_null(strstr(line, total));
        static const char *const kinds[] = {
                "invalid JSON: 8", "field 'occurred_at': 3",
                "field 'affected_users': 4", "field 'service': 2",
                "missing required field 'status': 1", "tombstone: 1",
                "message exceeds limits.max_message_bytes: 1",
                "neither Avro: 3", "empty message: 1", "JSON is not an object: 2"};
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                const char *at = strstr(line, kinds[i]);
                char next = at ? at[strlen(kinds[i])] : '\0';
                if (next != ';' && next != '}')
                        fail_msg("stats line lacks '%s'", kinds[i]);
        }
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_bad_messages_go_to_dlq_with_reason, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
