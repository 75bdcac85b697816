/* Golden scenarios: every scenario file in tests/golden (or the files named on
 * the command line) is one test case.  Its events go through the mock
 * cluster to a real worker, one step at a time, on a clock the scenario
 * sets; each step must produce exactly the outputs expected after it.
 * The format and its matching rules: tests/golden/README.md. */
#include "scenario_util.h"

#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "golden.h"
#include "impactd.h"

#define GOLDEN_DB          11
#define CONSUME_TIMEOUT_MS 60000
#define OUTPUT_TIMEOUT_MS  HARNESS_MIN_WAIT_MS /* never less: see harness.h */
/* A step is over when the worker has consumed its event and then found
 * nothing more due at the step's time (failpoint rescore.note): every
 * output of the step, time-driven ones included, is on Kafka then. */
#define SETTLE_TIMEOUT_MS 60000
#define TOLERANCE     0.05

typedef struct run {
        harness_t h;
        golden_scenario_t *scn;
        size_t seen[GOLDEN_OUTPUTS]; /* messages matched by earlier steps */
        int failures;
} run_t;

static run_t run;

/* ---- matching ----------------------------------------------------------- */

static void print_json(FILE *fp, const json_t *v) {
        char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
                                            JSON_REAL_PRECISION(12))
                    : NULL;
        fputs(s ? s : "(absent)", fp);
        free(s);
}

static int differs(FILE *fp, const char *path, const json_t *want,
                   const json_t *got) {
        fprintf(fp, "    %s: expected ", *path ? path : "(message)");
        print_json(fp, want);
        fputs(", actual ", fp);
        print_json(fp, got);
        fputc('\n', fp);
        return 1;
}

/* Writes every way `got` falls short of `want` to `fp`; returns how many.
 * Numbers match within TOLERANCE, objects by subset, arrays element by
 * element in order, null matches null only (a misspelt field expected
 * null must not match its absence), the rest exactly. */
static int diff_json(FILE *fp, const char *path, json_t *want, json_t *got) {
        char sub[256];
        const char *key;
        json_t *v;
        size_t i;
        int n = 0;

        if (json_is_null(want)) {
                if (!got || !json_is_null(got))
                        return differs(fp, path, want, got);
                return 0;
        }
        if (json_is_number(want) && json_is_number(got)) {
                double d = json_number_value(want) - json_number_value(got);
                /* The epsilon keeps 3.85 vs 3.8 a match despite binary. */
                if (fabs(d) > TOLERANCE + 1e-9)
                        return differs(fp, path, want, got);
                return 0;
        }
        if (json_is_object(want) && json_is_object(got)) {
                json_object_foreach(want, key, v) {
                        snprintf(sub, sizeof(sub), "%s%s%s", path,
                                 *path ? "." : "", key);
                        n += diff_json(fp, sub, v, json_object_get(got, key));
                }
                return n;
        }
        if (json_is_array(want) && json_is_array(got) &&
            json_array_size(want) == json_array_size(got)) {
                json_array_foreach(want, i, v) {
                        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
                        n += diff_json(fp, sub, v, json_array_get(got, i));
                }
                return n;
        }
        if (json_is_object(want) || json_is_array(want) || !got ||
            !json_equal(want, got))
                return differs(fp, path, want, got);
        return 0;
}

/* ---- running ------------------------------------------------------------ */

/* The topic's messages once it holds at least `want` (or at the timeout). */
static json_t *read_outputs(harness_t *h, const char *topic, size_t want) {
        int64_t deadline = impactd_mono_ms() + OUTPUT_TIMEOUT_MS;
        json_t *all = harness_read_all(h, topic);
        while (json_array_size(all) < want && impactd_mono_ms() < deadline) {
                json_decref(all);
                impactd_sleep_ms(100);
                all = harness_read_all(h, topic);
        }
        return all;
}

/* all[from..], stably ordered by incident_id: the order of messages of
 * different incidents in one step is not part of the contract. */
static json_t *step_messages(json_t *all, size_t from) {
        json_t *out = json_array();
        for (size_t i = from; i < json_array_size(all); i++) {
                json_t *m = json_array_get(all, i);
                size_t at = json_array_size(out);
                while (at > 0 &&
                       strcmp(jstr(json_array_get(out, at - 1), "incident_id"),
                              jstr(m, "incident_id")) > 0)
                        at--;
                json_array_insert(out, at, m);
        }
        return out;
}

static void print_dlq(harness_t *h) {
        json_t *dlq = harness_read_all(h, "impact.dlq");
        size_t i;
        json_t *m;
        json_array_foreach(dlq, i, m) {
                fprintf(stderr, "  impact.dlq: ");
                print_json(stderr, m);
                fputc('\n', stderr);
        }
        json_decref(dlq);
}

static void fail_now(run_t *r) {
        harness_print_logs(&r->h);
        print_dlq(&r->h);
        fail_msg("%s: stopped at the first step that went wrong (above)",
                 r->scn->path);
}

static void check_expect(run_t *r, const golden_step_t *st,
                         const golden_expect_t *ex, json_t *msg, size_t nth) {
        char *report = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&report, &len);
        assert_non_null(fp);
        int n = diff_json(fp, "", ex->fields, msg);
        fclose(fp);
        if (n) {
                fprintf(stderr,
                        "%s:%d: expect %s: %s message #%zu (of the step at "
                        "line %d) differs:\n%s    actual message: ",
                        r->scn->path, ex->line, golden_output_name(ex->output),
                        golden_output_topic(ex->output), nth, st->line, report);
                print_json(stderr, msg);
                fputc('\n', stderr);
                r->failures++;
        }
        free(report);
}

static void check_output(run_t *r, const golden_step_t *st, golden_output_t o) {
        const char *topic = golden_output_topic(o);
        size_t expected = 0;
        for (size_t k = 0; k < st->expects_cnt; k++)
                expected += st->expects[k].output == o;
        json_t *all = read_outputs(&r->h, topic, r->seen[o] + expected);
        json_t *fresh = step_messages(all, r->seen[o]);
        if (json_array_size(fresh) != expected) {
                size_t i;
                json_t *m;
                fprintf(stderr,
                        "%s:%d: this step produced %zu %s messages, the "
                        "scenario expects %zu after it:\n",
                        r->scn->path, st->line, json_array_size(fresh), topic,
                        expected);
                json_array_foreach(fresh, i, m) {
                        fprintf(stderr, "  #%zu ", r->seen[o] + i + 1);
                        print_json(stderr, m);
                        fputc('\n', stderr);
                }
                json_decref(fresh);
                json_decref(all);
                fail_now(r);
        }
        size_t k = 0;
        for (size_t e = 0; e < st->expects_cnt; e++) {
                if (st->expects[e].output != o)
                        continue;
                check_expect(r, st, &st->expects[e], json_array_get(fresh, k),
                             r->seen[o] + k + 1);
                k++;
        }
        r->seen[o] += expected;
        json_decref(fresh);
        json_decref(all);
}

static void run_step(run_t *r, const golden_step_t *st) {
        harness_t *h = &r->h;
        harness_set_clock(h, T0 + st->offset_ms);
        if (st->event) {
                char *json = json_dumps(st->event, JSON_COMPACT);
                harness_produce(h, st->input, json, false);
                free(json);
                harness_flush(h);
                if (!harness_wait_consumed(h, CONSUME_TIMEOUT_MS)) {
                        fprintf(stderr,
                                "%s:%d: the worker did not consume this event "
                                "within %d s\n",
                                r->scn->path, st->line,
                                CONSUME_TIMEOUT_MS / 1000);
                        fail_now(r);
                }
        }
        if (!harness_wait_rescored(h, 0, T0 + st->offset_ms, SETTLE_TIMEOUT_MS)) {
                fprintf(stderr, "%s:%d: the worker found deadlines due at this "
                        "step's time for %d s\n", r->scn->path, st->line,
                        SETTLE_TIMEOUT_MS / 1000);
                fail_now(r);
        }
        for (int o = 0; o < GOLDEN_OUTPUTS; o++)
                check_output(r, st, (golden_output_t)o);
}

/* Nothing may follow the last expected output, nor go to the DLQ (a
 * scenario's event the worker rejects is a mistake in the scenario). */
static void check_end(run_t *r) {
        for (int o = 0; o < GOLDEN_OUTPUTS; o++) {
                const char *topic = golden_output_topic(o);
                json_t *all = harness_read_all(&r->h, topic);
                for (size_t i = r->seen[o]; i < json_array_size(all); i++) {
                        fprintf(stderr,
                                "%s: unexpected %s message #%zu after "
                                "the last step: ",
                                r->scn->path, topic, i + 1);
                        print_json(stderr, json_array_get(all, i));
                        fputc('\n', stderr);
                        r->failures++;
                }
                json_decref(all);
        }
        json_t *dlq = harness_read_all(&r->h, "impact.dlq");
        if (json_array_size(dlq)) {
                fprintf(stderr, "%s: the worker rejected %zu events:\n",
                        r->scn->path, json_array_size(dlq));
                print_dlq(&r->h);
                r->failures++;
        }
        json_decref(dlq);
}

static void test_golden_scenario(void **state) {
        char errstr[1024], name[64];
        run_t *r = &run;
        memset(r->seen, 0, sizeof(r->seen));
        r->failures = 0;
        r->scn = golden_load(*state, T0, errstr, sizeof(errstr));
        if (!r->scn)
                fail_msg("%s", errstr);
        snprintf(name, sizeof(name), "golden-%s", r->scn->name);
        /* One partition: outputs come back in the order produced. */
        harness_start(&r->h, name, GOLDEN_DB, 1, r->scn->config);
        harness_set_clock(&r->h, T0);
        harness_worker_start_with(&r->h, 0, "rescore.note");
        for (size_t i = 0; i < r->scn->steps_cnt; i++)
                run_step(r, &r->scn->steps[i]);
        check_end(r);
        if (r->failures) {
                harness_print_logs(&r->h);
                fail_msg("%s: %d differences (above)", r->scn->path,
                         r->failures);
        }
        assert_int_equal(harness_worker_stop(&r->h, 0, SIGTERM), 0);
        harness_stop(&r->h);
}

static int golden_teardown(void **state) {
        harness_teardown(state);
        golden_free(run.scn);
        run.scn = NULL;
        return 0;
}

int main(int argc, char **argv) {
        char pattern[512];
        glob_t g = {0};
        char **paths = argv + 1;
        size_t n = (size_t)argc - 1;

        if (argc < 2) {
                const char *src = getenv("IMPACTD_SOURCE_DIR");
                snprintf(pattern, sizeof(pattern), "%s/tests/golden/*.scn",
                         src && *src ? src : ".");
                if (glob(pattern, 0, NULL, &g) != 0) {
                        fprintf(stderr, "test_golden: no scenario matches %s\n",
                                pattern);
                        return 1;
                }
                paths = g.gl_pathv;
                n = g.gl_pathc;
        }
        struct CMUnitTest *tests = calloc(n, sizeof(*tests));
        if (!tests)
                return 1;
        for (size_t i = 0; i < n; i++) {
                const char *base = strrchr(paths[i], '/');
                tests[i] = (struct CMUnitTest){
                        .name = base ? base + 1 : paths[i],
                        .test_func = test_golden_scenario,
                        .teardown_func = golden_teardown,
                        .initial_state = paths[i],
                };
        }
        int rc = _cmocka_run_group_tests("golden", tests, n, NULL, NULL);
        free(tests);
        if (argc < 2)
                globfree(&g);
        return rc;
}
