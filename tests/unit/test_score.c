/* Unit tests of the impact model (src/score.c, docs/impact-model.md).
 *
 * Every expected number is computed by hand from the documented formulas
 * with the default configuration.  Outputs are rounded to 0.1, and a
 * rounded value n/10 is the same double as the literal, so the assertions
 * compare exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "score.h"

#define assert_num(actual, expected)                                           \
        assert_num_at((actual), (expected), #actual, __FILE__, __LINE__)

static void assert_num_at(double actual, double expected, const char *expr,
                          const char *file, int line) {
        if (actual != expected) {
                print_error("%s = %.10g, expected %.10g\n", expr, actual,
                            expected);
                _fail(file, line);
        }
}

static score_config_t cfg;

static int setup(void **state) {
        (void)state;
        score_config_defaults(&cfg);
        return 0;
}

/* Nothing measured, nothing affected: each test sets only what it proves.
 * OUTAGE so that the user dimension equals the user share unless a test
 * is about the disruption weight. */
static score_input_t quiet_input(void) {
        score_input_t in = {0};
        in.disruption = DISRUPTION_OUTAGE;
        in.max_tier = TIER_NONE;
        return in;
}

static score_result_t compute(const score_input_t *in) {
        score_result_t r;
        score_compute(&cfg, in, &r);
        return r;
}

#define MIN_MS  (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)

/* ---- defaults ---- */

static void test_defaults_match_the_documented_model(void **state) {
        (void)state;
        assert_num(cfg.weights[DIM_USERS], 0.25);
        assert_num(cfg.weights[DIM_REVENUE], 0.25);
        assert_num(cfg.weights[DIM_SLO], 0.20);
        assert_num(cfg.weights[DIM_BLAST_RADIUS], 0.10);
        assert_num(cfg.weights[DIM_TIER], 0.10);
        assert_num(cfg.weights[DIM_DURATION], 0.10);
        assert_num(cfg.level_thresholds[0], 80);
        assert_num(cfg.level_thresholds[1], 60);
        assert_num(cfg.level_thresholds[2], 40);
        assert_num(cfg.level_thresholds[3], 20);
        assert_num(cfg.disruption_weights[DISRUPTION_LATENCY], 0.1);
        assert_num(cfg.disruption_weights[DISRUPTION_DEGRADED], 0.7);
        assert_num(cfg.disruption_weights[DISRUPTION_OUTAGE], 1.0);
        assert_num(cfg.users_full_scale, 10000);
        assert_num(cfg.revenue_full_scale, 1000000);
        assert_num(cfg.revenue_min_hours, 1.0);
        assert_num(cfg.slo_fast_burn, 14.4);
        assert_num(cfg.duration_full_scale_min, 240);
        assert_num(cfg.tier_scores[TIER_NONE], 0);
        assert_num(cfg.tier_scores[TIER_FREE], 10);
        assert_num(cfg.tier_scores[TIER_PRO], 40);
        assert_num(cfg.tier_scores[TIER_BUSINESS], 70);
        assert_num(cfg.tier_scores[TIER_ENTERPRISE], 100);
        assert_num(cfg.class_partial_below, 0.10);
        assert_num(cfg.class_complete_above, 0.50);
        assert_num(cfg.sentiment_negative_below, 0.0);
        assert_num(cfg.sentiment_max_lift, 10);
        assert_int_equal(cfg.sentiment_min_events, 10);
        assert_num(cfg.confidence_high, 0.70);
        assert_num(cfg.confidence_medium, 0.40);
        assert_int_equal(cfg.trend_window_ms, 300000);
        assert_num(cfg.trend_ratio, 0.25);
        assert_int_equal(cfg.severity_mismatch_levels, 2);
}

static void test_quiet_incident_scores_zero_level_5(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        score_result_t r = compute(&in);
        for (int d = 0; d < DIM_COUNT; d++)
                assert_num(r.dims[d], 0);
        assert_num(r.composite, 0);
        assert_num(r.sentiment_lift, 0);
        assert_num(r.score, 0);
        assert_int_equal(r.level, 5);
        assert_int_equal(r.impact_class, CLASS_PARTIAL);
        assert_false(r.severity_mismatch);
}

/* ---- user volume ---- */

static void test_user_volume_is_zero_without_measured_users(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.affected_users = 5000; /* not flagged as measured: ignored */
        in.users_total = 10000;
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_USERS], 0);
        assert_num(r.user_share, 0);

        in.has_affected_users = true;
        in.affected_users = 0;
        assert_num(compute(&in).dims[DIM_USERS], 0);
}

static void test_user_volume_at_class_threshold_full_and_beyond(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_affected_users = true;
        in.users_total = 10000;

        in.affected_users = 1000; /* 10 % × outage 1.0 */
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_USERS], 10.0);
        assert_num(r.composite, 2.5); /* 0.25 × 10 */

        in.affected_users = 10000; /* everyone */
        r = compute(&in);
        assert_num(r.dims[DIM_USERS], 100.0);
        assert_num(r.composite, 25.0);

        in.affected_users = 30000; /* estimate above the catalog: capped */
        r = compute(&in);
        assert_num(r.dims[DIM_USERS], 100.0);
        assert_num(r.user_share, 1.0);
}

static void test_user_volume_weighs_the_disruption(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_affected_users = true;
        in.users_total = 10000;
        in.affected_users = 5000; /* 50 % */

        in.disruption = DISRUPTION_OUTAGE;
        assert_num(compute(&in).dims[DIM_USERS], 50.0); /* × 1.0 */
        in.disruption = DISRUPTION_DEGRADED;
        assert_num(compute(&in).dims[DIM_USERS], 35.0); /* × 0.7 */
        in.disruption = DISRUPTION_LATENCY;
        assert_num(compute(&in).dims[DIM_USERS], 5.0); /* × 0.1 */
}

static void test_user_volume_without_catalog_uses_full_scale(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_affected_users = true;
        in.users_total = 0;

        in.affected_users = 2500; /* 2500 / 10000 */
        assert_num(compute(&in).dims[DIM_USERS], 25.0);
        in.affected_users = 10000;
        assert_num(compute(&in).dims[DIM_USERS], 100.0);
        in.affected_users = 20000;
        assert_num(compute(&in).dims[DIM_USERS], 100.0);
}

/* ---- revenue ---- */

static void test_revenue_at_zero_quarter_full_and_beyond(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_revenue = true;
        assert_num(compute(&in).dims[DIM_REVENUE], 0);

        in.arr_at_risk = 250000; /* 250k / 1M */
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_REVENUE], 25.0);
        assert_num(r.composite, 6.3); /* 0.25 × 25 = 6.25, half rounds up */

        in.arr_at_risk = 1000000;
        assert_num(compute(&in).dims[DIM_REVENUE], 100.0);
        in.arr_at_risk = 5000000;
        assert_num(compute(&in).dims[DIM_REVENUE], 100.0);
}

static void test_revenue_projects_hourly_loss_over_min_hours(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_revenue = true;
        in.revenue_loss_per_hour = 100000;

        /* 30 minutes old: the loss still counts for one hour. */
        in.duration_ms = 30 * MIN_MS;
        assert_num(compute(&in).dims[DIM_REVENUE], 10.0);

        /* 3 hours old: 3 × 100k = 300k. */
        in.duration_ms = 3 * HOUR_MS;
        assert_num(compute(&in).dims[DIM_REVENUE], 30.0);

        /* ARR at risk adds in full: 200k + 300k = 500k. */
        in.arr_at_risk = 200000;
        assert_num(compute(&in).dims[DIM_REVENUE], 50.0);

        /* 12 hours: 200k + 1.2M, capped. */
        in.duration_ms = 12 * HOUR_MS;
        assert_num(compute(&in).dims[DIM_REVENUE], 100.0);
}

/* ---- SLO burn ---- */

static void test_slo_burn_at_zero_on_budget_half_full_and_beyond(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_slo_burn_rate = true;

        in.slo_burn_rate = 0;
        assert_num(compute(&in).dims[DIM_SLO], 0);
        in.slo_burn_rate = 1.0; /* 100 / 14.4 = 6.944… */
        assert_num(compute(&in).dims[DIM_SLO], 6.9);
        in.slo_burn_rate = 7.2; /* half the fast-burn rate */
        assert_num(compute(&in).dims[DIM_SLO], 50.0);
        in.slo_burn_rate = 14.4; /* the fast-burn page threshold */
        assert_num(compute(&in).dims[DIM_SLO], 100.0);
        in.slo_burn_rate = 28.8;
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_SLO], 100.0);
        assert_num(r.composite, 20.0);
}

static void test_slo_burn_unmeasured_scores_zero(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.slo_burn_rate = 20.0;
        in.has_slo_burn_rate = false;
        assert_num(compute(&in).dims[DIM_SLO], 0);
}

/* ---- blast radius ---- */

static void test_blast_radius_is_share_of_catalog_services(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.catalog_services = 5;

        in.impacted_services = 0;
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 0);
        in.impacted_services = 1;
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_BLAST_RADIUS], 20.0);
        assert_num(r.composite, 2.0);
        in.impacted_services = 5;
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 100.0);
        in.impacted_services = 7; /* services outside the catalog: capped */
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 100.0);
}

static void test_blast_radius_without_catalog_counts_to_ten(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.catalog_services = 0;

        in.impacted_services = 0;
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 0);
        in.impacted_services = 3;
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 30.0);
        in.impacted_services = 10;
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 100.0);
        in.impacted_services = 12;
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 100.0);
}

/* ---- customer tier ---- */

static void test_tier_dimension_scores_each_tier(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.max_tier = TIER_NONE;
        assert_num(compute(&in).dims[DIM_TIER], 0);
        in.max_tier = TIER_FREE;
        assert_num(compute(&in).dims[DIM_TIER], 10.0);
        in.max_tier = TIER_PRO;
        assert_num(compute(&in).dims[DIM_TIER], 40.0);
        in.max_tier = TIER_BUSINESS;
        assert_num(compute(&in).dims[DIM_TIER], 70.0);
        in.max_tier = TIER_ENTERPRISE;
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_TIER], 100.0);
        assert_num(r.composite, 10.0);
}

static void test_strategic_account_lifts_tier_to_100(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.strategic = true;
        in.max_tier = TIER_FREE;
        assert_num(compute(&in).dims[DIM_TIER], 100.0);
        in.max_tier = TIER_NONE; /* flag known, tier not */
        assert_num(compute(&in).dims[DIM_TIER], 100.0);
}

/* ---- duration ---- */

static void test_duration_at_zero_quarter_full_and_beyond(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.duration_ms = 0;
        assert_num(compute(&in).dims[DIM_DURATION], 0);
        in.duration_ms = 60 * MIN_MS; /* 60 / 240 */
        assert_num(compute(&in).dims[DIM_DURATION], 25.0);
        in.duration_ms = 240 * MIN_MS;
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_DURATION], 100.0);
        assert_num(r.composite, 10.0);
        in.duration_ms = 480 * MIN_MS;
        assert_num(compute(&in).dims[DIM_DURATION], 100.0);
}

static void test_negative_duration_scores_zero(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.duration_ms = -5 * MIN_MS; /* clock skew between producers */
        assert_num(compute(&in).dims[DIM_DURATION], 0);
}

static void test_outputs_round_half_away_from_zero(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        /* 29.4 min / 240 = 12.25 % -> 12.3; composite 0.1 × 12.3 = 1.23
         * -> 1.2. */
        in.duration_ms = 29 * MIN_MS + 24000;
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_DURATION], 12.3);
        assert_num(r.composite, 1.2);
        assert_num(r.score, 1.2);

        /* Halves that binary floating point computes a hair low still
         * round up: 16.2 min / 240 = 6.75 % (6.7499999… in a double). */
        in.duration_ms = 16 * MIN_MS + 12000;
        assert_num(compute(&in).dims[DIM_DURATION], 6.8);
        /* 1.5 % of users × degraded 0.7 = 1.05 (1.0499999…). */
        in = quiet_input();
        in.has_affected_users = true;
        in.affected_users = 150;
        in.users_total = 10000;
        in.disruption = DISRUPTION_DEGRADED;
        assert_num(compute(&in).dims[DIM_USERS], 1.1);
}

/* ---- composite and weights ---- */

static void test_weights_not_summing_to_one_are_normalised(void **state) {
        (void)state;
        for (int d = 0; d < DIM_COUNT; d++)
                cfg.weights[d] = 1.0; /* sum 6: each counts 1/6 */
        score_input_t in = quiet_input();
        in.duration_ms = 240 * MIN_MS;
        score_result_t r = compute(&in);
        assert_num(r.composite, 16.7); /* 100 / 6 = 16.67 */
        assert_num(r.measured_share, 0.167);
}

static void test_zero_weights_give_zero_composite(void **state) {
        (void)state;
        for (int d = 0; d < DIM_COUNT; d++)
                cfg.weights[d] = 0;
        score_input_t in = quiet_input();
        in.duration_ms = 240 * MIN_MS;
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_DURATION], 100.0);
        assert_num(r.composite, 0);
        assert_num(r.score, 0);
        assert_int_equal(r.confidence, CONFIDENCE_LOW);
}

/* ---- impact class ---- */

static impact_class_t class_of(int64_t affected, int64_t total) {
        score_input_t in = quiet_input();
        in.has_affected_users = true;
        in.affected_users = affected;
        in.users_total = total;
        return compute(&in).impact_class;
}

static void test_class_boundaries_at_10_and_50_percent(void **state) {
        (void)state;
        assert_int_equal(class_of(999, 10000), CLASS_PARTIAL);    /* 9.99 % */
        assert_int_equal(class_of(1000, 10000), CLASS_DEGRADED);  /* 10 % */
        assert_int_equal(class_of(5000, 10000), CLASS_DEGRADED);  /* 50 % */
        assert_int_equal(class_of(5001, 10000), CLASS_COMPLETE);  /* 50.01 % */
        assert_int_equal(class_of(10000, 10000), CLASS_COMPLETE); /* 100 % */
}

static void test_class_is_partial_without_measured_users(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.affected_users = 9000;
        in.users_total = 10000;
        assert_int_equal(compute(&in).impact_class, CLASS_PARTIAL);
}

/* ---- levels ---- */

static void test_level_boundaries(void **state) {
        (void)state;
        assert_int_equal(score_level(&cfg, 100), 1);
        assert_int_equal(score_level(&cfg, 80), 1);
        assert_int_equal(score_level(&cfg, 79.9), 2);
        assert_int_equal(score_level(&cfg, 60), 2);
        assert_int_equal(score_level(&cfg, 59.9), 3);
        assert_int_equal(score_level(&cfg, 40), 3);
        assert_int_equal(score_level(&cfg, 39.9), 4);
        assert_int_equal(score_level(&cfg, 20), 4);
        assert_int_equal(score_level(&cfg, 19.9), 5);
        assert_int_equal(score_level(&cfg, 0), 5);
}

/* Users, revenue and SLO at full scale: 25 + 25 + 20 = 70 points, plus
 * duration for the rest. */
static score_input_t full_but_duration(int64_t duration_ms) {
        score_input_t in = quiet_input();
        in.has_affected_users = true;
        in.affected_users = 10000;
        in.users_total = 10000;
        in.has_revenue = true;
        in.arr_at_risk = 1000000;
        in.has_slo_burn_rate = true;
        in.slo_burn_rate = 14.4;
        in.duration_ms = duration_ms;
        return in;
}

static void test_computed_score_80_is_level_1_and_79_9_level_2(void **state) {
        (void)state;
        /* + strategic tier 10 = 80. */
        score_input_t in = full_but_duration(0);
        in.strategic = true;
        score_result_t r = compute(&in);
        assert_num(r.score, 80.0);
        assert_int_equal(r.level, 1);

        /* 237.6 min = 99 % of 240: 70 + 0.1 × 99 = 79.9. */
        in = full_but_duration(237 * MIN_MS + 36000);
        r = compute(&in);
        assert_num(r.dims[DIM_DURATION], 99.0);
        assert_num(r.score, 79.9);
        assert_int_equal(r.level, 2);
}

/* ---- sentiment ---- */

static void test_no_sentiment_means_no_lift(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        score_result_t r = compute(&in);
        assert_num(r.sentiment_lift, 0);
        assert_num(r.sentiment_mean, 0);
        assert_num(r.sentiment_negative_share, 0);
}

static void test_sentiment_lift_reaches_max_only_at_min_events(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        /* 5 events, all negative: 10 × 1.0 × 5/10 = 5. */
        in.sentiment_count = 5;
        in.sentiment_negative = 5;
        in.sentiment_sum = -4.0;
        score_result_t r = compute(&in);
        assert_num(r.sentiment_lift, 5.0);
        assert_num(r.sentiment_mean, -0.8);
        assert_num(r.sentiment_negative_share, 1.0);
        assert_num(r.score, 5.0);

        /* 10 events, 3 negative: 10 × 0.3 × 1 = 3. */
        in.sentiment_count = 10;
        in.sentiment_negative = 3;
        in.sentiment_sum = 2.5;
        r = compute(&in);
        assert_num(r.sentiment_lift, 3.0);
        assert_num(r.sentiment_mean, 0.25);

        /* Only positive sentiment lifts nothing. */
        in.sentiment_negative = 0;
        assert_num(compute(&in).sentiment_lift, 0);
}

static void test_sentiment_lift_never_exceeds_max_nor_score_100(void **state) {
        (void)state;
        score_input_t in = full_but_duration(240 * MIN_MS);
        in.strategic = true;
        in.catalog_services = 1;
        in.impacted_services = 1;
        /* Composite 100: any lift must be absorbed by the cap. */
        for (int64_t n = 0; n <= 1000; n += 7) {
                for (int64_t neg = 0; neg <= n + 3; neg += 1 + n / 5) {
                        in.sentiment_count = n;
                        in.sentiment_negative = neg; /* even > n */
                        in.sentiment_sum = -(double)neg;
                        score_result_t r = compute(&in);
                        assert_true(r.sentiment_lift >= 0);
                        assert_true(r.sentiment_lift <= cfg.sentiment_max_lift);
                        assert_num(r.composite, 100.0);
                        assert_num(r.score, 100.0);
                }
        }
        in.sentiment_count = 1000;
        in.sentiment_negative = 1000;
        assert_num(compute(&in).sentiment_lift, 10.0);
}

/* ---- confidence ---- */

static confidence_t confidence_of(const score_input_t *in,
                                  double expected_share) {
        score_result_t r = compute(in);
        assert_num(r.measured_share, expected_share);
        return r.confidence;
}

static void test_confidence_high_when_70_percent_measured(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_affected_users = true; /* .25 */
        in.has_revenue = true;        /* .25 */
        in.max_tier = TIER_PRO;       /* .10, + duration .10 */
        assert_int_equal(confidence_of(&in, 0.7), CONFIDENCE_HIGH);

        in.has_slo_burn_rate = true;
        in.impacted_services = 1;
        assert_int_equal(confidence_of(&in, 1.0), CONFIDENCE_HIGH);
}

static void test_confidence_medium_between_40_and_70(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_slo_burn_rate = true; /* .20 */
        in.impacted_services = 2;    /* .10, + duration .10 */
        assert_int_equal(confidence_of(&in, 0.4), CONFIDENCE_MEDIUM);

        in = quiet_input();
        in.has_affected_users = true;
        in.has_revenue = true;
        assert_int_equal(confidence_of(&in, 0.6), CONFIDENCE_MEDIUM);
}

static void test_confidence_low_below_40(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        assert_int_equal(confidence_of(&in, 0.1), CONFIDENCE_LOW);

        /* Tier known only through the strategic flag still counts. */
        in.strategic = true;
        in.impacted_services = 1;
        assert_int_equal(confidence_of(&in, 0.3), CONFIDENCE_LOW);
}

/* ---- ticket trend ---- */

static ticket_trend_t trend_of(int64_t now, int64_t prev) {
        score_input_t in = quiet_input();
        in.tickets_now = now;
        in.tickets_prev = prev;
        return compute(&in).ticket_trend;
}

static void test_ticket_trend_from_empty_previous_window(void **state) {
        (void)state;
        assert_int_equal(trend_of(0, 0), TREND_STEADY);
        assert_int_equal(trend_of(3, 0), TREND_RISING);
}

static void test_ticket_trend_beyond_ratio(void **state) {
        (void)state;
        assert_int_equal(trend_of(6, 4), TREND_RISING); /* 1.5 */
        assert_int_equal(trend_of(5, 4), TREND_STEADY); /* 1.25: not beyond */
        assert_int_equal(trend_of(4, 4), TREND_STEADY);
        assert_int_equal(trend_of(3, 4), TREND_STEADY);  /* 0.75: not beyond */
        assert_int_equal(trend_of(2, 4), TREND_FALLING); /* 0.5 */
        assert_int_equal(trend_of(0, 4), TREND_FALLING);
}

/* ---- severity mismatch ---- */

static void test_severity_deflation_is_flagged(void **state) {
        (void)state;
        score_input_t in = full_but_duration(0);
        in.strategic = true; /* score 80: level 1 */
        in.declared_severity = 4;
        score_result_t r = compute(&in);
        assert_int_equal(r.level, 1);
        assert_true(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason,
                            "declared severity 4, computed level 1: "
                            "severity deflation");

        in.declared_severity = 3; /* exactly two levels apart */
        r = compute(&in);
        assert_true(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason,
                            "declared severity 3, computed level 1: "
                            "severity deflation");
}

static void test_severity_inflation_is_flagged(void **state) {
        (void)state;
        score_input_t in = quiet_input(); /* score 0: level 5 */
        in.declared_severity = 1;
        score_result_t r = compute(&in);
        assert_true(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason,
                            "declared severity 1, computed level 5: "
                            "severity inflation");
}

static void test_severity_within_one_level_is_not_flagged(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.declared_severity = 4;
        score_result_t r = compute(&in);
        assert_false(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason, "");
        in.declared_severity = 5;
        assert_false(compute(&in).severity_mismatch);
}

static void test_no_declared_severity_is_not_flagged(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.declared_severity = 0;
        score_result_t r = compute(&in);
        assert_false(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason, "");

        in.declared_severity = 9; /* outside 1..5: not a severity */
        r = compute(&in);
        assert_false(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason, "");
}

/* ---- worked example (docs/impact-model.md) ---- */

/* A payments outage:
 *   user share  15000 / 25000 = 0.60          → user_volume 100×0.60×1.0 = 60.0
 *   revenue     12 min = 0.2 h < 1 h → 1 h;
 *               830000 + 50000 × 1 = 880000   → revenue  100×0.88     = 88.0
 *   slo burn    20.0 / 14.4 = 1.39 → cap 1    → slo_burn              = 100.0
 *   blast       1 / 5 catalog services        → blast_radius          = 20.0
 *   tier        strategic                     → customer_tier         = 100.0
 *   duration    12 / 240 min = 0.05           → duration              = 5.0
 *   composite   .25×60 + .25×88 + .20×100 + .10×20 + .10×100 + .10×5
 *             = 15 + 22 + 20 + 2 + 10 + 0.5   = 69.5
 *   sentiment   mean −9/20 = −0.45; negative share 16/20 = 0.8;
 *               lift 10 × 0.8 × min(1, 20/10) = 8.0
 *   score       69.5 + 8.0 = 77.5 → level 2 (60 ≤ 77.5 < 80)
 *   class       0.60 > 0.50 → COMPLETE
 *   confidence  every dimension measured, share 1.0 → HIGH
 *   trend       9 tickets now vs 3 before: 3.0 > 1.25 → RISING
 *   declared    3 vs level 2: one level apart → no mismatch */
static score_input_t payments_outage(void) {
        score_input_t in = quiet_input();
        in.has_affected_users = true;
        in.affected_users = 15000;
        in.users_total = 25000;
        in.disruption = DISRUPTION_OUTAGE;
        in.has_revenue = true;
        in.arr_at_risk = 480000 + 350000; /* two enterprise accounts */
        in.revenue_loss_per_hour = 50000;
        in.duration_ms = 12 * MIN_MS;
        in.has_slo_burn_rate = true;
        in.slo_burn_rate = 20.0;
        in.impacted_services = 1;
        in.catalog_services = 5;
        in.max_tier = TIER_ENTERPRISE;
        in.strategic = true;
        in.sentiment_count = 20;
        in.sentiment_negative = 16;
        in.sentiment_sum = -9.0;
        in.declared_severity = 3;
        in.tickets_now = 9;
        in.tickets_prev = 3;
        return in;
}

static void test_payments_outage_worked_example(void **state) {
        (void)state;
        score_input_t in = payments_outage();
        score_result_t r = compute(&in);
        assert_num(r.user_share, 0.6);
        assert_num(r.dims[DIM_USERS], 60.0);
        assert_num(r.dims[DIM_REVENUE], 88.0);
        assert_num(r.dims[DIM_SLO], 100.0);
        assert_num(r.dims[DIM_BLAST_RADIUS], 20.0);
        assert_num(r.dims[DIM_TIER], 100.0);
        assert_num(r.dims[DIM_DURATION], 5.0);
        assert_num(r.composite, 69.5);
        assert_num(r.sentiment_mean, -0.45);
        assert_num(r.sentiment_negative_share, 0.8);
        assert_num(r.sentiment_lift, 8.0);
        assert_num(r.score, 77.5);
        assert_int_equal(r.level, 2);
        assert_int_equal(r.impact_class, CLASS_COMPLETE);
        assert_num(r.measured_share, 1.0);
        assert_int_equal(r.confidence, CONFIDENCE_HIGH);
        assert_int_equal(r.ticket_trend, TREND_RISING);
        assert_false(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason, "");
}

static void test_payments_outage_declared_sev4_is_deflation(void **state) {
        (void)state;
        score_input_t in = payments_outage();
        in.declared_severity = 4;
        score_result_t r = compute(&in);
        assert_true(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason,
                            "declared severity 4, computed level 2: "
                            "severity deflation");
}

/* ---- names ---- */

static void test_names_match_the_output_contract(void **state) {
        (void)state;
        assert_string_equal(score_dim_name(DIM_USERS), "user_volume");
        assert_string_equal(score_dim_name(DIM_REVENUE), "revenue");
        assert_string_equal(score_dim_name(DIM_SLO), "slo_burn");
        assert_string_equal(score_dim_name(DIM_BLAST_RADIUS), "blast_radius");
        assert_string_equal(score_dim_name(DIM_TIER), "customer_tier");
        assert_string_equal(score_dim_name(DIM_DURATION), "duration");
        assert_string_equal(impact_class_name(CLASS_PARTIAL), "PARTIAL");
        assert_string_equal(impact_class_name(CLASS_DEGRADED), "DEGRADED");
        assert_string_equal(impact_class_name(CLASS_COMPLETE), "COMPLETE");
        assert_string_equal(confidence_name(CONFIDENCE_LOW), "LOW");
        assert_string_equal(confidence_name(CONFIDENCE_MEDIUM), "MEDIUM");
        assert_string_equal(confidence_name(CONFIDENCE_HIGH), "HIGH");
        assert_string_equal(ticket_trend_name(TREND_FALLING), "FALLING");
        assert_string_equal(ticket_trend_name(TREND_STEADY), "STEADY");
        assert_string_equal(ticket_trend_name(TREND_RISING), "RISING");
}

static void test_out_of_range_names_are_not_null(void **state) {
        (void)state;
        assert_non_null(score_dim_name(DIM_COUNT));
        assert_non_null(impact_class_name((impact_class_t)7));
        assert_non_null(confidence_name((confidence_t)7));
        assert_non_null(ticket_trend_name((ticket_trend_t)7));
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_defaults_match_the_documented_model),
                T(test_quiet_incident_scores_zero_level_5),
                T(test_user_volume_is_zero_without_measured_users),
                T(test_user_volume_at_class_threshold_full_and_beyond),
                T(test_user_volume_weighs_the_disruption),
                T(test_user_volume_without_catalog_uses_full_scale),
                T(test_revenue_at_zero_quarter_full_and_beyond),
                T(test_revenue_projects_hourly_loss_over_min_hours),
                T(test_slo_burn_at_zero_on_budget_half_full_and_beyond),
                T(test_slo_burn_unmeasured_scores_zero),
                T(test_blast_radius_is_share_of_catalog_services),
                T(test_blast_radius_without_catalog_counts_to_ten),
                T(test_tier_dimension_scores_each_tier),
                T(test_strategic_account_lifts_tier_to_100),
                T(test_duration_at_zero_quarter_full_and_beyond),
                T(test_negative_duration_scores_zero),
                T(test_outputs_round_half_away_from_zero),
                T(test_weights_not_summing_to_one_are_normalised),
                T(test_zero_weights_give_zero_composite),
                T(test_class_boundaries_at_10_and_50_percent),
                T(test_class_is_partial_without_measured_users),
                T(test_level_boundaries),
                T(test_computed_score_80_is_level_1_and_79_9_level_2),
                T(test_no_sentiment_means_no_lift),
                T(test_sentiment_lift_reaches_max_only_at_min_events),
                T(test_sentiment_lift_never_exceeds_max_nor_score_100),
                T(test_confidence_high_when_70_percent_measured),
                T(test_confidence_medium_between_40_and_70),
                T(test_confidence_low_below_40),
                T(test_ticket_trend_from_empty_previous_window),
                T(test_ticket_trend_beyond_ratio),
                T(test_severity_deflation_is_flagged),
                T(test_severity_inflation_is_flagged),
                T(test_severity_within_one_level_is_not_flagged),
                T(test_no_declared_severity_is_not_flagged),
                T(test_payments_outage_worked_example),
                T(test_payments_outage_declared_sev4_is_deflation),
                T(test_names_match_the_output_contract),
                T(test_out_of_range_names_are_not_null),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
