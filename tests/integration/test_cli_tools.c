/* `impactd produce` and `impactd tail` as users run them: JSON lines in,
 * Avro on the wire, JSON lines out. */
#include "scenario_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void run_produce(harness_t *h, const char *topic, const char *lines) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "%s produce --brokers %s --config %s "
                 "--topic %s --format avro",
                 getenv("IMPACTD_BIN"), h->bootstraps, h->config_path, topic);
        FILE *p = popen(cmd, "w");
        assert_non_null(p);
        fputs(lines, p);
        assert_int_equal(pclose(p), 0);
}

/* Runs tail and returns its lines as a JSON array. */
static json_t *run_tail(harness_t *h, const char *topic) {
        char cmd[1024], line[8192];
        snprintf(cmd, sizeof(cmd), "%s tail --brokers %s --config %s --topic %s",
                 getenv("IMPACTD_BIN"), h->bootstraps, h->config_path, topic);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        json_t *all = json_array();
        while (fgets(line, sizeof(line), p)) {
                json_error_t err;
                json_t *v = json_loads(line, 0, &err);
                assert_non_null(v); /* every line is one JSON object */
                json_array_append_new(all, v);
        }
        assert_int_equal(pclose(p), 0);
        return all;
}

static void test_produce_avro_then_tail_scored_json(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "cli", 10, 2, TEST_CATALOG);
        harness_worker_start(&h, 0);
        run_produce(&h, "impact.alerts",
                    "# a comment line is skipped\n"
                    "{\"event_id\":\"c1\",\"service\":\"search\",\"status\":"
                    "\"FIRING\",\"disruption\":\"OUTAGE\",\"affected_users\":"
                    "8000,\"occurred_at\":1795000000000}\n\n");
        run_produce(&h, "impact.tickets",
                    "{\"event_id\":\"c2\",\"ticket_id\":\"T-1\",\"account_id\":"
                    "\"globex\",\"service\":\"search\",\"status\":\"OPEN\","
                    "\"occurred_at\":1795000060000}\n");
        assert_true(harness_wait_consumed(&h, 20000));
        json_decref(harness_wait_for(&h, "impact.scored", 1, 20000));

        /* The wire format is Avro: tail decodes it with the schemas. */
        json_t *inputs = run_tail(&h, "impact.alerts");
        assert_int_equal(json_array_size(inputs), 1);
        assert_string_equal(jstr(json_array_get(inputs, 0), "disruption"), "OUTAGE");
        assert_true(json_is_null(json_object_get(json_array_get(inputs, 0),
                                                 "incident_key")));
        json_decref(inputs);

        json_t *scored = run_tail(&h, "impact.scored");
        assert_true(json_array_size(scored) >= 1);
        json_t *last = json_array_get(scored, json_array_size(scored) - 1);
        assert_int_equal(jint(last, "affected_users"), 8000);
        assert_int_equal(jint(last, "affected_accounts"), 1);
        assert_near(jnum(last, "arr_at_risk"), 300000);
        assert_string_equal(jstr(last, "root_service"), "search");
        json_decref(scored);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_produce_avro_then_tail_scored_json,
                                          harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
