/* Unit tests of what the impact model concludes from a score
 * (src/score.c, docs/impact-model.md): level and triage clock, confidence,
 * ticket trend, severity mismatch, sentiment lift, surge and trend, and
 * the names in the output contract.  Expected values are worked out by
 * hand with the default configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "score_fixture.h"

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

/* ---- triage clock ---- */

/* Nothing but time: score 0, computed level 5. */
static score_input_t silent_for(int64_t duration_ms) {
        score_input_t in = quiet_input();
        in.duration_ms = duration_ms;
        return in;
}

static void test_triage_clock_starts_at_60_s(void **state) {
        (void)state;
        score_input_t in = silent_for(59999);
        score_result_t r = compute(&in);
        assert_int_equal(r.computed_level, 5);
        assert_int_equal(r.level, 5);
        assert_false(r.triage_escalated);
        assert_string_equal(r.level_reason, "");

        in = silent_for(60000);
        r = compute(&in);
        assert_int_equal(r.computed_level, 5);
        assert_int_equal(r.level, 4);
        assert_true(r.triage_escalated);
        assert_string_equal(r.level_reason,
                            "no user, revenue or ticket data 60 s after "
                            "detection: level 4, one more severe than "
                            "computed 5");
}

static void test_any_signal_stops_the_triage_clock(void **state) {
        (void)state;
        score_input_t in = silent_for(HOUR_MS);
        in.has_affected_users = true; /* even zero users is a report */
        assert_false(compute(&in).triage_escalated);

        in = silent_for(HOUR_MS);
        in.has_revenue = true;
        assert_false(compute(&in).triage_escalated);

        in = silent_for(HOUR_MS);
        in.tickets_total = 1;
        score_result_t r = compute(&in);
        assert_false(r.triage_escalated);
        assert_int_equal(r.level, r.computed_level);
}

/* SLO 100 + blast 100 + tier 100 + duration 100 = 50 points with neither
 * users, revenue nor tickets; thresholds lowered so that is level 1. */
static void test_computed_level_1_stays_1(void **state) {
        (void)state;
        static const double low[4] = {50, 40, 30, 20};
        memcpy(cfg.level_thresholds, low, sizeof(low));
        score_input_t in = silent_for(240 * MIN_MS);
        in.has_slo_burn_rate = true;
        in.slo_burn_rate = 14.4;
        in.impacted_services = 10;
        in.max_tier = TIER_ENTERPRISE;
        score_result_t r = compute(&in);
        assert_num(r.score, 50.0);
        assert_int_equal(r.computed_level, 1);
        assert_int_equal(r.level, 1);
        assert_false(r.triage_escalated);
        assert_string_equal(r.level_reason, "");

        in.duration_ms = 237 * MIN_MS + 36000; /* 99 %: 49.9, level 2 */
        r = compute(&in);
        assert_int_equal(r.computed_level, 2);
        assert_int_equal(r.level, 1);
        assert_true(r.triage_escalated);
}

static void test_triage_clock_follows_the_config(void **state) {
        (void)state;
        cfg.triage_after_ms = 0; /* off */
        score_input_t in = silent_for(24 * HOUR_MS);
        assert_false(compute(&in).triage_escalated);

        cfg.triage_after_ms = 90500;
        in = silent_for(90499);
        assert_false(compute(&in).triage_escalated);
        in = silent_for(90500);
        score_result_t r = compute(&in);
        assert_true(r.triage_escalated);
        assert_string_equal(r.level_reason,
                            "no user, revenue or ticket data 90.500 s after "
                            "detection: level 4, one more severe than "
                            "computed 5");
}

/* The mismatch is judged against the level the incident is published
 * with: declared 3 is one level from the published 4 (not two from the
 * computed 5). */
static void test_mismatch_uses_the_published_level(void **state) {
        (void)state;
        score_input_t in = silent_for(60000);
        in.declared_severity = 3;
        score_result_t r = compute(&in);
        assert_int_equal(r.level, 4);
        assert_false(r.severity_mismatch);

        in.declared_severity = 2;
        r = compute(&in);
        assert_true(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason,
                            "declared severity 2, computed level 4: "
                            "severity inflation");
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

/* The thresholds are inclusive: a share a thousandth short is the level
 * below. */
static void test_confidence_thresholds_are_inclusive(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_affected_users = true;
        in.has_revenue = true;
        in.max_tier = TIER_PRO; /* 0.7 */
        cfg.confidence_high = 0.701;
        assert_int_equal(confidence_of(&in, 0.7), CONFIDENCE_MEDIUM);
        cfg.confidence_high = 0.7;
        assert_int_equal(confidence_of(&in, 0.7), CONFIDENCE_HIGH);

        in = quiet_input();
        in.sla_breached = 1u << TIER_PRO; /* SLA bits measure the SLO .2 */
        in.impacted_services = 1;         /* .1, + duration .1 */
        cfg.confidence_medium = 0.401;
        assert_int_equal(confidence_of(&in, 0.4), CONFIDENCE_LOW);
        cfg.confidence_medium = 0.4;
        assert_int_equal(confidence_of(&in, 0.4), CONFIDENCE_MEDIUM);
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

/* A ticket is a signal, so the triage clock stays out of these; a missed
 * SLA makes the level 4 (20 points + duration), so a declared 3, 4 or 5
 * is within one level and only the long-running rule can flag it. */
static score_input_t minor_open_for(int declared, int64_t duration_ms) {
        score_input_t in = silent_for(duration_ms);
        in.tickets_total = 1;
        in.sla_breached = 1u << TIER_ENTERPRISE;
        in.declared_severity = declared;
        return in;
}

static void test_long_running_minor_is_flagged_from_60_min(void **state) {
        (void)state;
        score_input_t in = minor_open_for(4, 60 * MIN_MS - 1);
        score_result_t r = compute(&in);
        assert_int_equal(r.level, 4);
        assert_false(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason, "");

        in = minor_open_for(4, 60 * MIN_MS);
        r = compute(&in);
        assert_true(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason,
                            "declared severity 4 (minor) but open for 60 min");

        in = minor_open_for(5, 75 * MIN_MS + 59999);
        assert_string_equal(compute(&in).mismatch_reason,
                            "declared severity 5 (minor) but open for 75 min");
}

static void test_long_running_rule_needs_a_minor_severity(void **state) {
        (void)state;
        score_input_t in = minor_open_for(3, 2 * HOUR_MS);
        assert_false(compute(&in).severity_mismatch);
        in = minor_open_for(0, 2 * HOUR_MS); /* none declared */
        assert_false(compute(&in).severity_mismatch);

        cfg.minor_severity = 5;
        in = minor_open_for(4, 2 * HOUR_MS);
        assert_false(compute(&in).severity_mismatch);
        in = minor_open_for(5, 2 * HOUR_MS);
        assert_true(compute(&in).severity_mismatch);

        cfg.minor_long_running_ms = 0; /* off */
        assert_false(compute(&in).severity_mismatch);
}

/* Both rules match: the level difference says more. */
static void test_level_difference_wins_over_long_running(void **state) {
        (void)state;
        score_input_t in = full_but_duration(75 * MIN_MS);
        in.declared_severity = 5;
        score_result_t r = compute(&in);
        assert_num(r.score, 73.1); /* 70 + 0.1 × 31.25, level 2 */
        assert_true(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason,
                            "declared severity 5, computed level 2: "
                            "severity deflation");
}

/* The widest reason there is (the most minutes an int64 of ms holds)
 * comes out whole: a buffer too small would cut its end off. */
static void test_mismatch_reason_fits_its_buffer(void **state) {
        (void)state;
        score_input_t in = minor_open_for(5, INT64_MAX);
        score_result_t r = compute(&in);
        assert_true(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason,
                            "declared severity 5 (minor) but open for "
                            "153722867280912 min");
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

/* Whatever the configuration, the lift stays within max_lift. */
static void test_sentiment_lift_bound_holds_for_any_config(void **state) {
        (void)state;
        static const double max_lifts[] = {0, 0.5, 10, 37.5, 100};
        static const int64_t min_events[] = {1, 3, 10, 250};
        score_input_t in = quiet_input();

        for (size_t i = 0; i < sizeof(max_lifts) / sizeof(*max_lifts); i++) {
                for (size_t j = 0; j < 4; j++) {
                        cfg.sentiment_max_lift = max_lifts[i];
                        cfg.sentiment_min_events = min_events[j];
                        for (int64_t n = 0; n <= 300; n += 13) {
                                in.sentiment_count = n;
                                in.sentiment_negative = n + 2;
                                score_result_t r = compute(&in);
                                assert_true(r.sentiment_lift >= 0);
                                assert_true(r.sentiment_lift <= max_lifts[i]);
                                assert_true(r.score <= 100);
                        }
                }
        }
}

/* ---- sentiment surge and trend ---- */

static score_result_t window(int64_t count, int64_t negative) {
        score_input_t in = quiet_input();
        in.sentiment_now_count = count;
        in.sentiment_now_negative = negative;
        return compute(&in);
}

static void test_surge_needs_more_than_the_share(void **state) {
        (void)state;
        assert_false(window(5, 3).sentiment_surge); /* 0.6: not more */
        assert_true(window(5, 4).sentiment_surge);  /* 0.8 */
        assert_false(window(10, 6).sentiment_surge);
        assert_true(window(10, 7).sentiment_surge);
        assert_true(window(5, 5).sentiment_surge);
}

static void test_surge_needs_min_events(void **state) {
        (void)state;
        assert_false(window(0, 0).sentiment_surge);
        assert_false(window(4, 4).sentiment_surge); /* min_events − 1 */
        assert_true(window(5, 5).sentiment_surge);
        cfg.sentiment_surge_min_events = 0; /* never divides by zero */
        assert_false(window(0, 0).sentiment_surge);
        assert_true(window(1, 1).sentiment_surge);
}

/* The cumulative lift and the window's surge are separate: many old
 * angry events lift the score but are no surge now. */
static void test_surge_is_of_the_current_window(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.sentiment_count = 50;
        in.sentiment_negative = 50;
        score_result_t r = compute(&in);
        assert_num(r.sentiment_lift, 10.0);
        assert_false(r.sentiment_surge);
}

static sentiment_trend_t trend_between(int64_t now, double now_sum,
                                       int64_t prev, double prev_sum) {
        score_input_t in = quiet_input();
        in.sentiment_now_count = now;
        in.sentiment_now_sum = now_sum;
        in.sentiment_prev_count = prev;
        in.sentiment_prev_sum = prev_sum;
        return compute(&in).sentiment_trend;
}

static void test_sentiment_trend_beyond_delta(void **state) {
        (void)state;
        /* −0.5 vs −0.3: exactly −0.2 is not beyond. */
        assert_int_equal(trend_between(5, -2.5, 3, -0.9), SENTIMENT_STEADY);
        /* −0.5 vs −0.29: −0.21. */
        assert_int_equal(trend_between(5, -2.5, 10, -2.9), SENTIMENT_WORSENING);
        /* 0.5 vs 0.3, then vs 0.29. */
        assert_int_equal(trend_between(5, 2.5, 3, 0.9), SENTIMENT_STEADY);
        assert_int_equal(trend_between(5, 2.5, 10, 2.9), SENTIMENT_IMPROVING);
        assert_int_equal(trend_between(4, 1.0, 4, 1.0), SENTIMENT_STEADY);
}

static void test_sentiment_trend_needs_both_windows(void **state) {
        (void)state;
        assert_int_equal(trend_between(0, 0, 0, 0), SENTIMENT_STEADY);
        assert_int_equal(trend_between(10, -10, 0, 0), SENTIMENT_STEADY);
        assert_int_equal(trend_between(0, 0, 10, 10), SENTIMENT_STEADY);
        assert_int_equal(trend_between(1, -1, 1, 1), SENTIMENT_WORSENING);
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

static void test_sentiment_trend_names(void **state) {
        (void)state;
        assert_string_equal(sentiment_trend_name(SENTIMENT_IMPROVING),
                            "IMPROVING");
        assert_string_equal(sentiment_trend_name(SENTIMENT_STEADY), "STEADY");
        assert_string_equal(sentiment_trend_name(SENTIMENT_WORSENING),
                            "WORSENING");
        assert_non_null(sentiment_trend_name((sentiment_trend_t)7));
}

static void test_out_of_range_names_are_not_null(void **state) {
        (void)state;
        assert_non_null(score_dim_name(DIM_COUNT));
        assert_non_null(impact_class_name((impact_class_t)7));
        assert_non_null(confidence_name((confidence_t)7));
        assert_non_null(ticket_trend_name((ticket_trend_t)7));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_level_boundaries),
                T(test_computed_score_80_is_level_1_and_79_9_level_2),
                T(test_triage_clock_starts_at_60_s),
                T(test_any_signal_stops_the_triage_clock),
                T(test_computed_level_1_stays_1),
                T(test_triage_clock_follows_the_config),
                T(test_mismatch_uses_the_published_level),
                T(test_confidence_high_when_70_percent_measured),
                T(test_confidence_medium_between_40_and_70),
                T(test_confidence_low_below_40),
                T(test_confidence_thresholds_are_inclusive),
                T(test_ticket_trend_from_empty_previous_window),
                T(test_ticket_trend_beyond_ratio),
                T(test_severity_deflation_is_flagged),
                T(test_severity_inflation_is_flagged),
                T(test_severity_within_one_level_is_not_flagged),
                T(test_no_declared_severity_is_not_flagged),
                T(test_long_running_minor_is_flagged_from_60_min),
                T(test_long_running_rule_needs_a_minor_severity),
                T(test_level_difference_wins_over_long_running),
                T(test_mismatch_reason_fits_its_buffer),
                T(test_no_sentiment_means_no_lift),
                T(test_sentiment_lift_reaches_max_only_at_min_events),
                T(test_sentiment_lift_never_exceeds_max_nor_score_100),
                T(test_sentiment_lift_bound_holds_for_any_config),
                T(test_surge_needs_more_than_the_share),
                T(test_surge_needs_min_events),
                T(test_surge_is_of_the_current_window),
                T(test_sentiment_trend_beyond_delta),
                T(test_sentiment_trend_needs_both_windows),
                T(test_names_match_the_output_contract),
                T(test_sentiment_trend_names),
                T(test_out_of_range_names_are_not_null),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
