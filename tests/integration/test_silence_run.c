/* Silences set at run time: the `impactd silence` command against a real
 * Redis, and a running worker that mutes pages and holds notifications
 * back while one is in force, lets the scored stream and resolves
 * through, and pages a condition still true when the window ends.
 *
 * Catalog (scenario_util.h, no debounce): payments 20000 of 80000 users.
 * payments FIRING, OUTAGE, 12000 users, burn 14.4: users 60 -> 15.0, slo
 * 100 -> 20.0, blast 25 -> 2.5: 37.5, level 4 (service_owner).  search,
 * 40000 users, same alert: users 12000/40000 = 30 -> 7.5, blast 50 ->
 * 5.0, slo 20.0: 32.5, level 4. */
#include "scenario_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "impactd.h"

/* Runs `impactd silence ARGS -c CONFIG`; returns its exit code and its
 * standard output in `out` (if given). */
static int silence_cmd(harness_t *h, const char *args, char *out, size_t size) {
        char cmd[2048];
        /* On the test's clock, like the workers. */
        snprintf(cmd, sizeof(cmd),
                 "IMPACTD_CLOCK_FILE=%s %s silence %s -c %s 2>>%s/cli.err",
                 h->clock_path, getenv("IMPACTD_BIN"), args, h->config_path,
                 h->dir);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = 0;
        char buf[4096];
        while (fgets(buf, sizeof(buf), p))
                if (out && n + strlen(buf) < size) {
                        memcpy(out + n, buf, strlen(buf));
                        n += strlen(buf);
                }
        if (out)
                out[n] = '\0';
        int st = pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_silence_command(void **state) {
        static harness_t h;
        char out[8192];
        (void)state;
        harness_start(&h, "silence-cli", 15, 1, TEST_CATALOG);
        harness_set_clock(&h, T0);
        assert_int_equal(silence_cmd(&h, "add --service payments-db --duration "
                                         "2h --comment 'db upgrade' "
                                         "--created-by alice",
                                     out, sizeof(out)), 0);
        /* The default id: start and service. */
        assert_string_equal(out, "mw-1795000000000-payments-db\n");
        assert_int_equal(silence_cmd(&h, "add --id eu-freeze --service '*' "
                                         "--label region=eu-central "
                                         "--starts-at 2026-11-19T00:00:00Z "
                                         "--ends-at 1795132800000",
                                     out, sizeof(out)), 0);
        assert_int_equal(silence_cmd(&h, "list --json", out, sizeof(out)), 0);
        json_error_t jerr;
        json_t *list = json_loads(out, 0, &jerr);
        assert_non_null(list);
        assert_int_equal(json_array_size(list), 2);
        json_t *a = json_array_get(list, 0), *b = json_array_get(list, 1);
        assert_string_equal(jstr(a, "id"), "mw-1795000000000-payments-db");
        assert_string_equal(jstr(a, "service"), "payments-db");
        assert_int_equal(jint(a, "starts_at"), T0);
        assert_int_equal(jint(a, "ends_at"), T0 + 120 * MIN);
        assert_string_equal(jstr(a, "state"), "active");
        assert_string_equal(jstr(a, "created_by"), "alice");
        assert_string_equal(jstr(a, "comment"), "db upgrade");
        assert_string_equal(jstr(b, "id"), "eu-freeze");
        assert_string_equal(jstr(b, "label_key"), "region");
        assert_string_equal(jstr(b, "label_value"), "eu-central");
        assert_int_equal(jint(b, "starts_at"), 1795046400000LL);
        assert_string_equal(jstr(b, "state"), "pending");
        json_decref(list);
        /* Remove: 0 once, 4 (no such silence) the second time. */
        assert_int_equal(silence_cmd(&h, "remove eu-freeze", NULL, 0), 0);
        assert_int_equal(silence_cmd(&h, "remove eu-freeze", NULL, 0), 4);
        /* A window that ends before it starts: usage error, nothing kept. */
        assert_int_equal(silence_cmd(&h, "add --service x --starts-at "
                                         "1795000100000 --ends-at 1795000000000",
                                     NULL, 0), 2);
        /* Garbage written by another tool is skipped, not fatal. */
        freeReplyObject(harness_redis(&h, "HSET impact:silences junk garbage"));
        assert_int_equal(silence_cmd(&h, "list", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "mw-1795000000000-payments-db\tpayments-db\t-\t"
                                    "2026-11-18T11:06:40Z\t2026-11-18T13:06:40Z\t"
                                    "active\tredis\talice\tdb upgrade\n"));
        assert_null(strstr(out, "junk"));
        assert_null(strstr(out, "eu-freeze"));
        /* the refused window, by the id it would have had */
        assert_null(strstr(out, "mw-1795000100000-x"));
        harness_stop(&h);
}

static void alert(harness_t *h, const char *id, const char *service,
                  const char *status, int64_t at) {
        char json[512];
        snprintf(json, sizeof(json),
                 "{\"event_id\":\"%s\",\"service\":\"%s\",\"status\":\"%s\","
                 "\"disruption\":\"OUTAGE\",\"affected_users\":12000,"
                 "\"slo_burn_rate\":14.4,\"occurred_at\":%lld}",
                 id, service, status, (long long)at);
        harness_produce(h, "alerts", json, false);
        harness_flush(h);
        assert_true(harness_wait_consumed(h, 20000));
}

static size_t count(json_t *msgs, const char *k, const char *v) {
        size_t n = 0, i;
        json_t *m;
        json_array_foreach(msgs, i, m) n += !strcmp(jstr(m, k), v);
        return n;
}

/* Checks that `notes` announce `incident` as opened exactly once to each
 * audience a new incident of level 4 is announced to. */
static void opened_once_each(json_t *notes, const char *incident) {
        static const char *const audiences[] = {"EXECUTIVE", "ENGINEERING",
                                                "CUSTOMER", "CUSTOMER_LIAISON"};
        for (size_t a = 0; a < sizeof(audiences) / sizeof(*audiences); a++) {
                size_t n = 0, i;
                json_t *m;
                json_array_foreach(notes, i, m) {
                        n += !strcmp(jstr(m, "incident_id"), incident) &&
                             !strcmp(jstr(m, "kind"), "OPENED") &&
                             !strcmp(jstr(m, "audience"), audiences[a]);
                }
                if (n != 1)
                        fail_msg("%s: %zu OPENED to %s", incident, n, audiences[a]);
        }
}

/* No incident's outbox holds outputs: what was decided with
 * them is on Kafka, all of it (the outbox is cleared only once Kafka
 * acknowledged every output of the decision). */
static bool outboxes_empty(harness_t *h, const void *arg) {
        (void)arg;
        return outboxes_left(h) == 0;
}

static void test_worker_obeys_silence_set_at_run_time(void **state) {
        static harness_t h;
        char args[256];
        (void)state;
        /* No periodic re-score between the steps. */
        harness_start(&h, "silence-run", 15, 1,
                      TEST_CATALOG "  rescore_interval_s: 3600\n");
        harness_set_clock(&h, T0);
        snprintf(args, sizeof(args), "add --id mw-pay --service payments "
                 "--starts-at %lld --ends-at %lld",
                 (long long)T0, (long long)(T0 + 10 * MIN));
        assert_int_equal(silence_cmd(&h, args, NULL, 0), 0);
        harness_worker_start(&h, 0);

        /* Inside the window: scored, but no page and no notification. */
        alert(&h, "p1", "payments", "FIRING", T0);
        json_t *scored = expect_exactly(&h, "impact.scored", 1);
        assert_near(jnum(json_array_get(scored, 0), "score"), 37.5);
        assert_int_equal(jint(json_array_get(scored, 0), "level"), 4);
        char pay[128];
        snprintf(pay, sizeof(pay), "%s", jstr(json_array_get(scored, 0), "incident_id"));
        assert_memory_equal(pay, "payments-", 9);
        json_decref(scored);
        json_decref(expect_exactly(&h, "impact.escalations", 0));
        json_decref(expect_exactly(&h, "impact.notifications", 0));

        /* The resolve goes through (quiet time 0); nothing was announced,
         * so no RESOLVED notification either. */
        harness_set_clock(&h, T0 + 2 * MIN);
        alert(&h, "p2", "payments", "RESOLVED", T0 + 2 * MIN);
        scored = expect_exactly(&h, "impact.scored", 2);
        assert_string_equal(jstr(json_array_get(scored, 1), "incident_id"), pay);
        assert_string_equal(jstr(json_array_get(scored, 1), "status"), "RESOLVED");
        json_decref(scored);
        json_decref(expect_exactly(&h, "impact.escalations", 0));
        json_decref(expect_exactly(&h, "impact.notifications", 0));

        /* Another service is not silenced: it pages and is announced, once
         * to each of the four audiences (executive, engineering, customer,
         * customer liaison). */
        harness_set_clock(&h, T0 + 3 * MIN);
        alert(&h, "s1", "search", "FIRING", T0 + 3 * MIN);
        json_t *esc = expect_exactly(&h, "impact.escalations", 1);
        assert_string_equal(jstr(json_array_get(esc, 0), "target"), "service_owner");
        assert_int_equal(jint(json_array_get(esc, 0), "to_level"), 4);
        char search[128];
        snprintf(search, sizeof(search), "%s",
                 jstr(json_array_get(esc, 0), "incident_id"));
        assert_memory_equal(search, "search-", 7);
        json_decref(esc);
        json_t *notes = expect_exactly(&h, "impact.notifications", 4);
        opened_once_each(notes, search);
        json_decref(notes);

        /* payments fails again inside its reopen window: the same incident
         * reopens, still silenced. */
        harness_set_clock(&h, T0 + 4 * MIN);
        alert(&h, "p3", "payments", "FIRING", T0 + 4 * MIN);
        scored = expect_exactly(&h, "impact.scored", 4);
        assert_string_equal(jstr(json_array_get(scored, 3), "incident_id"), pay);
        assert_string_equal(jstr(json_array_get(scored, 3), "status"), "OPEN");
        assert_int_equal(jint(json_array_get(scored, 3), "revision"), 3);
        json_decref(scored);
        json_decref(expect_exactly(&h, "impact.escalations", 1));
        json_decref(expect_exactly(&h, "impact.notifications", 4));

        /* The window ends with the condition still true: the re-score due
         * then pages at once, and the held-back notifications go out.  No
         * input marks the end of that, so: the page on Kafka, then every
         * output decided with it. */
        harness_set_clock(&h, T0 + 10 * MIN + 1000);
        esc = harness_wait_for(&h, "impact.escalations", 2, 20000);
        assert_int_equal(json_array_size(esc), 2);
        json_decref(esc);
        assert_true(harness_until(&h, outboxes_empty, NULL, 20000));
        esc = expect_exactly(&h, "impact.escalations", 2);
        assert_int_equal(count(esc, "incident_id", search), 1);
        assert_int_equal(count(esc, "incident_id", pay), 1);
        json_t *late = NULL, *m;
        size_t i;
        json_array_foreach(esc, i, m) {
                if (!strcmp(jstr(m, "incident_id"), pay))
                        late = m;
        }
        assert_string_equal(jstr(late, "target"), "service_owner");
        assert_int_equal(jint(late, "created_at"), T0 + 10 * MIN + 1000);
        json_decref(esc);
        /* The same incident's OPENED, once per audience; search's are not
         * sent again. */
        notes = expect_exactly(&h, "impact.notifications", 8);
        opened_once_each(notes, search);
        opened_once_each(notes, pay);
        json_decref(notes);
        /* The re-score's revision, of the same incident. */
        scored = expect_exactly(&h, "impact.scored", 5);
        assert_string_equal(jstr(json_array_get(scored, 4), "incident_id"), pay);
        assert_int_equal(jint(json_array_get(scored, 4), "revision"), 4);
        json_decref(scored);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_silence_command, harness_teardown),
                cmocka_unit_test_teardown(test_worker_obeys_silence_set_at_run_time,
                                          harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
