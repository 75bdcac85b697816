/* The configuration keys of the full impact model, the incident lifecycle
 * and the ticket segments (config/impactd.yaml): their defaults, parsing,
 * range and type errors with file:line: key, and check-config output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_fixture.h"

#define MIN_MS (60 * 1000LL)

static void assert_sla(const score_sla_t *sla, bool set, int64_t response_ms,
                       int64_t resolution_ms, double at_risk_pct) {
        assert_int_equal(sla->set, set);
        if (!set)
                return;
        assert_int_equal(sla->response_ms, response_ms);
        assert_int_equal(sla->resolution_ms, resolution_ms);
        assert_true(sla->at_risk_pct == at_risk_pct);
}

/* ---- defaults ---- */

static void test_defaults_of_the_new_keys(void **state) {
        config_t *conf = must_load("");
        const score_config_t *s = &conf->scoring;

        (void)state;
        assert_int_equal(s->triage_after_ms, 60000);
        assert_int_equal(s->minor_severity, 4);
        assert_int_equal(s->minor_long_running_ms, 60 * MIN_MS);
        assert_int_equal(s->severity_mismatch_levels, 2);
        assert_true(s->sla_at_risk_score == 70);
        assert_true(s->sla_breached_score == 100);
        assert_sla(&s->sla[TIER_FREE], false, 0, 0, 0);
        assert_sla(&s->sla[TIER_PRO], true, 60 * MIN_MS, 1440 * MIN_MS, 75);
        assert_sla(&s->sla[TIER_BUSINESS], true, 30 * MIN_MS, 480 * MIN_MS, 75);
        assert_sla(&s->sla[TIER_ENTERPRISE], true, 15 * MIN_MS, 240 * MIN_MS,
                   75);
        assert_int_equal(s->sentiment_window_ms, 300000);
        assert_true(s->sentiment_surge_share == 0.6);
        assert_int_equal(s->sentiment_surge_min_events, 5);
        assert_true(s->sentiment_trend_delta == 0.2);
        assert_int_equal(conf->lifecycle.quiet_time_ms, 300000);
        assert_int_equal(conf->lifecycle.reopen_window_ms, 1800000);
        assert_int_equal(conf->lifecycle.retention_s, 86400);
        assert_int_equal(conf->lifecycle.rescore_interval_ms, 60000);
        assert_int_equal(conf->lifecycle.deadline_batch, 100);
        assert_int_equal(conf->lifecycle.deadline_lease_ms, 30000);
        assert_non_null(conf->segments.account_prefix_separators);
        assert_string_equal(conf->segments.account_prefix_separators, "");
        assert_int_equal(conf->segments.known_regions_cnt, 0);
        assert_true(conf->accounts_from_redis);
        config_destroy(conf);
}

/* ---- scoring ---- */

static void test_scoring_keys_parse(void **state) {
        config_t *conf = must_load("scoring:\n"
                                   "  triage_after_s: 90.5\n"
                                   "  severity_mismatch_levels: 3\n"
                                   "  severity_mismatch:\n"
                                   "    minor_severity: 5\n"
                                   "    long_running_minutes: 1.5\n"
                                   "  sla: {at_risk_score: 60, "
                                   "breached_score: 90}\n"
                                   "  sentiment:\n"
                                   "    max_lift: 5\n"
                                   "    window_s: 120\n"
                                   "    surge_negative_share: 0.75\n"
                                   "    surge_min_events: 8\n"
                                   "    trend_delta: 0.5\n");
        const score_config_t *s = &conf->scoring;

        (void)state;
        assert_int_equal(s->triage_after_ms, 90500);
        assert_int_equal(s->severity_mismatch_levels, 3);
        assert_int_equal(s->minor_severity, 5);
        assert_int_equal(s->minor_long_running_ms, 90000);
        assert_true(s->sla_at_risk_score == 60);
        assert_true(s->sla_breached_score == 90);
        assert_true(s->sentiment_max_lift == 5);
        assert_int_equal(s->sentiment_window_ms, 120000);
        assert_true(s->sentiment_surge_share == 0.75);
        assert_int_equal(s->sentiment_surge_min_events, 8);
        assert_true(s->sentiment_trend_delta == 0.5);
        config_destroy(conf);

        conf = must_load("scoring:\n  triage_after_s: 0\n"
                         "  severity_mismatch: {long_running_minutes: 0}\n");
        assert_int_equal(conf->scoring.triage_after_ms, 0);
        assert_int_equal(conf->scoring.minor_long_running_ms, 0);
        config_destroy(conf);
}

static void test_scoring_key_errors_name_line_and_key(void **state) {
        (void)state;
        expect_error("scoring:\n  triage_after_s: -1\n",
                     "cfg.yaml:2: scoring.triage_after_s: must be >= 0, got "
                     "'-1'");
        expect_error("scoring:\n  triage_after_s: soon\n",
                     "cfg.yaml:2: scoring.triage_after_s: expected a number, "
                     "got 'soon'");
        expect_error("scoring:\n  severity_mismatch:\n    minor_severity: 6\n",
                     "cfg.yaml:3: scoring.severity_mismatch.minor_severity: "
                     "must be between 1 and 5, got '6'");
        expect_error("scoring:\n  severity_mismatch: {minor_severity: 0}\n",
                     "cfg.yaml:2: scoring.severity_mismatch.minor_severity: "
                     "must be between 1 and 5, got '0'");
        expect_error("scoring:\n  severity_mismatch: {minor_severity: 4.5}\n",
                     "cfg.yaml:2: scoring.severity_mismatch.minor_severity: "
                     "expected an integer, got '4.5'");
        expect_error("scoring:\n  severity_mismatch:\n"
                     "    long_running_minutes: -1\n",
                     "cfg.yaml:3: scoring.severity_mismatch."
                     "long_running_minutes: must be >= 0, got '-1'");
        expect_error("scoring:\n  severity_mismatch: {levels: 2}\n",
                     "cfg.yaml:2: scoring.severity_mismatch: unknown key "
                     "'levels'");
        expect_error("scoring:\n  sla:\n    at_risk_score: 101\n",
                     "cfg.yaml:3: scoring.sla.at_risk_score: must be between "
                     "0 and 100, got '101'");
        expect_error("scoring:\n  sla:\n    at_risk_score: 80\n"
                     "    breached_score: 60\n",
                     "cfg.yaml:4: scoring.sla.breached_score: must be >= "
                     "sla.at_risk_score (80), got 60");
        expect_error("scoring:\n  sentiment: {window_s: 0}\n",
                     "cfg.yaml:2: scoring.sentiment.window_s: must be > 0, got "
                     "'0'");
        expect_error("scoring:\n  sentiment: {surge_negative_share: 1.5}\n",
                     "cfg.yaml:2: scoring.sentiment.surge_negative_share: "
                     "must be between 0 and 1, got '1.5'");
        expect_error("scoring:\n  sentiment: {surge_min_events: 0}\n",
                     "cfg.yaml:2: scoring.sentiment.surge_min_events: must be "
                     "> 0, got '0'");
        expect_error("scoring:\n  sentiment: {trend_delta: 2.5}\n",
                     "cfg.yaml:2: scoring.sentiment.trend_delta: must be "
                     "between 0 and 2, got '2.5'");
        expect_error("scoring:\n  sentiment: {trend_delta: -0.1}\n",
                     "cfg.yaml:2: scoring.sentiment.trend_delta: must be "
                     "between 0 and 2, got '-0.1'");
}

/* ---- SLA tiers ---- */

static void test_sla_tiers_merge_per_tier(void **state) {
        config_t *conf = must_load("scoring:\n"
                                   "  sla:\n"
                                   "    tiers:\n"
                                   "      enterprise: {response_minutes: 10}\n"
                                   "      business:\n"
                                   "        at_risk_percent: 50\n"
                                   "        resolution_minutes: 360.5\n");
        const score_sla_t *sla = conf->scoring.sla;

        (void)state;
        assert_sla(&sla[TIER_ENTERPRISE], true, 10 * MIN_MS, 240 * MIN_MS, 75);
        assert_sla(&sla[TIER_BUSINESS], true, 30 * MIN_MS, 21630000, 50);
        /* not named: defaults */
        assert_sla(&sla[TIER_PRO], true, 60 * MIN_MS, 1440 * MIN_MS, 75);
        assert_sla(&sla[TIER_FREE], false, 0, 0, 0);
        config_destroy(conf);

        conf = must_load("scoring: {sla: {tiers: {}}}\n");
        assert_sla(&conf->scoring.sla[TIER_ENTERPRISE], true, 15 * MIN_MS,
                   240 * MIN_MS, 75);
        config_destroy(conf);
}

static void test_sla_tier_switched_off_with_null(void **state) {
        config_t *conf = must_load("scoring:\n"
                                   "  sla:\n"
                                   "    tiers:\n"
                                   "      enterprise: null\n"
                                   "      business: ~\n"
                                   "      pro:\n");
        (void)state;
        for (int t = TIER_NONE; t < TIER_COUNT; t++)
                assert_false(conf->scoring.sla[t].set);
        config_destroy(conf);
}

static void test_free_tier_needs_both_targets(void **state) {
        config_t *conf = must_load("scoring:\n  sla:\n    tiers:\n"
                                   "      free: {response_minutes: 120, "
                                   "resolution_minutes: 2880}\n");

        (void)state;
        assert_sla(&conf->scoring.sla[TIER_FREE], true, 120 * MIN_MS,
                   2880 * MIN_MS, 75);
        config_destroy(conf);
        expect_error("scoring:\n  sla:\n    tiers:\n"
                     "      free: {response_minutes: 120}\n",
                     "cfg.yaml:4: scoring.sla.tiers.free: no default SLA for "
                     "this tier: give response_minutes and "
                     "resolution_minutes");
        expect_error("scoring:\n  sla:\n    tiers:\n      free: {}\n",
                     "cfg.yaml:4: scoring.sla.tiers.free: no default SLA for "
                     "this tier: give response_minutes and "
                     "resolution_minutes");
}

static void test_sla_tier_errors_name_line_and_key(void **state) {
        (void)state;
        expect_error("scoring:\n  sla:\n    tiers:\n"
                     "      pro: {response_minutes: 30}\n"
                     "      gold: {response_minutes: 5}\n",
                     "cfg.yaml:5: scoring.sla.tiers: unknown tier 'gold' "
                     "(expected free, pro, business or enterprise)");
        expect_error("scoring:\n  sla:\n    tiers:\n"
                     "      ENTERPRISE: {response_minutes: 5}\n",
                     "cfg.yaml:4: scoring.sla.tiers: unknown tier "
                     "'ENTERPRISE' (expected free, pro, business or "
                     "enterprise)");
        expect_error("scoring:\n  sla:\n    tiers:\n      pro:\n"
                     "        at_risk_percent: 0\n",
                     "cfg.yaml:5: scoring.sla.tiers.pro.at_risk_percent: must "
                     "be > 0 and <= 100, got '0'");
        expect_error("scoring:\n  sla:\n    tiers:\n"
                     "      pro: {at_risk_percent: 100.5}\n",
                     "cfg.yaml:4: scoring.sla.tiers.pro.at_risk_percent: must "
                     "be > 0 and <= 100, got '100.5'");
        expect_error("scoring:\n  sla:\n    tiers:\n"
                     "      business: {response_minutes: 0}\n",
                     "cfg.yaml:4: scoring.sla.tiers.business.response_"
                     "minutes: must be > 0, got '0'");
        expect_error("scoring:\n  sla:\n    tiers:\n"
                     "      business: {resolution_minutes: soon}\n",
                     "cfg.yaml:4: scoring.sla.tiers.business.resolution_"
                     "minutes: expected a number, got 'soon'");
        expect_error("scoring:\n  sla:\n    tiers:\n"
                     "      business: {respons_minutes: 5}\n",
                     "cfg.yaml:4: scoring.sla.tiers.business: unknown key "
                     "'respons_minutes'");
        expect_error("scoring:\n  sla:\n    tiers:\n      pro: off\n",
                     "cfg.yaml:4: scoring.sla.tiers.pro: expected a mapping");
        expect_error("scoring:\n  sla:\n    tiers: [pro]\n",
                     "cfg.yaml:3: scoring.sla.tiers: expected a mapping");
}

/* ---- lifecycle, segments, redis ---- */

static void test_lifecycle_keys_parse(void **state) {
        config_t *conf = must_load("lifecycle:\n"
                                   "  quiet_time_s: 0\n"
                                   "  reopen_window_s: 600\n"
                                   "  retention_s: 3600\n"
                                   "  rescore_interval_s: 0.5\n"
                                   "  deadline_batch: 7\n"
                                   "  deadline_lease_s: 12\n");

        (void)state;
        assert_int_equal(conf->lifecycle.quiet_time_ms, 0);
        assert_int_equal(conf->lifecycle.reopen_window_ms, 600000);
        assert_int_equal(conf->lifecycle.retention_s, 3600);
        assert_int_equal(conf->lifecycle.rescore_interval_ms, 500);
        assert_int_equal(conf->lifecycle.deadline_batch, 7);
        assert_int_equal(conf->lifecycle.deadline_lease_ms, 12000);
        config_destroy(conf);
}

static void test_lifecycle_errors_name_line_and_key(void **state) {
        (void)state;
        expect_error("lifecycle:\n  quiet_time_s: -5\n",
                     "cfg.yaml:2: lifecycle.quiet_time_s: must be >= 0, got "
                     "'-5'");
        expect_error("lifecycle: {reopen_window_s: -1}\n",
                     "cfg.yaml:1: lifecycle.reopen_window_s: must be >= 0, "
                     "got '-1'");
        expect_error("lifecycle: {retention_s: 0}\n",
                     "cfg.yaml:1: lifecycle.retention_s: must be > 0, got "
                     "'0'");
        expect_error("lifecycle: {retention_s: 1.5}\n",
                     "cfg.yaml:1: lifecycle.retention_s: expected an integer, "
                     "got '1.5'");
        expect_error("lifecycle: {rescore_interval_s: 0}\n",
                     "cfg.yaml:1: lifecycle.rescore_interval_s: must be > 0, "
                     "got '0'");
        expect_error("lifecycle: {deadline_batch: 0}\n",
                     "cfg.yaml:1: lifecycle.deadline_batch: must be > 0, got "
                     "'0'");
        expect_error("lifecycle: {deadline_lease_s: 0}\n",
                     "cfg.yaml:1: lifecycle.deadline_lease_s: must be > 0, "
                     "got '0'");
        expect_error("lifecycle: {quiet_s: 5}\n",
                     "cfg.yaml:1: lifecycle: unknown key 'quiet_s'");
}

static void test_segments_keys_parse(void **state) {
        config_t *conf = must_load("segments:\n"
                                   "  account_prefix_separators: \"-:\"\n"
                                   "  known_regions: [eu-west, us-east, "
                                   "ap-south]\n");

        (void)state;
        assert_string_equal(conf->segments.account_prefix_separators, "-:");
        assert_int_equal(conf->segments.known_regions_cnt, 3);
        assert_string_equal(conf->segments.known_regions[0], "eu-west");
        assert_string_equal(conf->segments.known_regions[2], "ap-south");
        config_destroy(conf);

        conf = must_load("segments:\n  account_prefix_separators:\n"
                         "  known_regions:\n");
        assert_string_equal(conf->segments.account_prefix_separators, "");
        assert_int_equal(conf->segments.known_regions_cnt, 0);
        config_destroy(conf);
}

static void test_segments_errors_name_line_and_key(void **state) {
        (void)state;
        expect_error("segments:\n  known_regions: eu-west\n",
                     "cfg.yaml:2: segments.known_regions: expected a list");
        expect_error("segments:\n  known_regions:\n    - eu\n    - us\n"
                     "    - eu\n",
                     "cfg.yaml:2: segments.known_regions: duplicate region "
                     "'eu'");
        expect_error("segments:\n  known_regions: [eu, '']\n",
                     "cfg.yaml:2: segments.known_regions: region 2 is empty");
        expect_error("segments:\n  account_prefix_separators: [\"-\"]\n",
                     "cfg.yaml:2: segments.account_prefix_separators: "
                     "expected a value, got a list");
}

static void test_account_hashes(void **state) {
        config_t *conf = must_load("redis:\n  account_hashes: false\n");

        (void)state;
        assert_false(conf->accounts_from_redis);
        config_destroy(conf);
        expect_error("redis:\n  account_hashes: maybe\n",
                     "cfg.yaml:2: redis.account_hashes: expected true or "
                     "false, got 'maybe'");
}

/* ---- check-config ---- */

/* Every new key is shown with its effective value, and what is printed
 * loads back to the same values. */
static void test_print_shows_the_new_keys_and_loads_back(void **state) {
        static const char *const expected[] = {
                "\n  account_hashes: false\n",
                "\n  triage_after_s: 0\n",
                "\n  sla:\n    at_risk_score: 50\n    breached_score: 100\n"
                "    tiers:\n      free:\n        response_minutes: 120\n"
                "        resolution_minutes: 2880\n"
                "        at_risk_percent: 75\n      pro: null\n",
                "\n      enterprise:\n        response_minutes: 10.5\n"
                "        resolution_minutes: 240\n"
                "        at_risk_percent: 80\n",
                "\n    window_s: 60\n    surge_negative_share: 0.7\n"
                "    surge_min_events: 3\n    trend_delta: 0.25\n",
                "\n  severity_mismatch_levels: 2\n  severity_mismatch:\n"
                "    minor_severity: 3\n    long_running_minutes: 45\n",
                "\nlifecycle:\n  quiet_time_s: 120\n  reopen_window_s: 900\n"
                "  retention_s: 7200\n  rescore_interval_s: 30\n"
                "  deadline_batch: 50\n  deadline_lease_s: 15\n",
                "\nsegments:\n  account_prefix_separators: \"-\"\n"
                "  known_regions: [\"eu-west\", \"us-east\"]\n",
        };
        config_t *conf = must_load(
                "redis: {account_hashes: false}\n"
                "schemas: {dir: /nonexistent/schemas}\n" /* absolute */
                "scoring:\n"
                "  triage_after_s: 0\n"
                "  sla:\n"
                "    at_risk_score: 50\n"
                "    tiers:\n"
                "      free: {response_minutes: 120, resolution_minutes: "
                "2880}\n"
                "      pro: null\n"
                "      enterprise: {response_minutes: 10.5, at_risk_percent: "
                "80}\n"
                "  sentiment: {window_s: 60, surge_negative_share: 0.7, "
                "surge_min_events: 3, trend_delta: 0.25}\n"
                "  severity_mismatch: {minor_severity: 3, "
                "long_running_minutes: 45}\n"
                "lifecycle: {quiet_time_s: 120, reopen_window_s: 900, "
                "retention_s: 7200, rescore_interval_s: 30, "
                "deadline_batch: 50, deadline_lease_s: 15}\n"
                "segments: {account_prefix_separators: '-', "
                "known_regions: [eu-west, us-east]}\n");
        char *out = print_to_string(conf), *out2;
        config_t *again;

        (void)state;
        for (size_t i = 0; i < sizeof(expected) / sizeof(*expected); i++)
                if (!strstr(out, expected[i]))
                        fail_msg("missing from check-config:\n%s\n---\n%s",
                                 expected[i], out);
        again = must_load(out);
        out2 = print_to_string(again);
        assert_string_equal(out, out2);
        assert_scoring_equal(&again->scoring, &conf->scoring);
        assert_memory_equal(&again->lifecycle, &conf->lifecycle,
                            sizeof(conf->lifecycle));
        assert_false(again->accounts_from_redis);
        assert_int_equal(again->segments.known_regions_cnt, 2);
        free(out);
        free(out2);
        config_destroy(conf);
        config_destroy(again);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_of_the_new_keys),
                cmocka_unit_test(test_scoring_keys_parse),
                cmocka_unit_test(test_scoring_key_errors_name_line_and_key),
                cmocka_unit_test(test_sla_tiers_merge_per_tier),
                cmocka_unit_test(test_sla_tier_switched_off_with_null),
                cmocka_unit_test(test_free_tier_needs_both_targets),
                cmocka_unit_test(test_sla_tier_errors_name_line_and_key),
                cmocka_unit_test(test_lifecycle_keys_parse),
                cmocka_unit_test(test_lifecycle_errors_name_line_and_key),
                cmocka_unit_test(test_segments_keys_parse),
                cmocka_unit_test(test_segments_errors_name_line_and_key),
                cmocka_unit_test(test_account_hashes),
                cmocka_unit_test(test_print_shows_the_new_keys_and_loads_back),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
