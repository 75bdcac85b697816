/* Unit tests of the impact model (src/score.c, docs/impact-model.md): the
 * dimensions, the composite, the impact class and the worked examples.
 * Level, triage clock, confidence, trends, mismatch and sentiment are in
 * test_score_rules.c; SLA standing in test_score_sla.c.
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

#include "score_fixture.h"

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
        assert_int_equal(cfg.minor_severity, 4);
        assert_int_equal(cfg.minor_long_running_ms, 60 * MIN_MS);
        assert_int_equal(cfg.triage_after_ms, 60000);
        assert_num(cfg.sla_at_risk_score, 70);
        assert_num(cfg.sla_breached_score, 100);
        assert_int_equal(cfg.sentiment_window_ms, 300000);
        assert_num(cfg.sentiment_surge_share, 0.6);
        assert_int_equal(cfg.sentiment_surge_min_events, 5);
        assert_num(cfg.sentiment_trend_delta, 0.2);
}

static void assert_sla(const score_sla_t *sla, bool set, int64_t response_min,
                       int64_t resolution_min, double at_risk_pct) {
        assert_int_equal(sla->set, set);
        assert_int_equal(sla->response_ms, response_min * MIN_MS);
        assert_int_equal(sla->resolution_ms, resolution_min * MIN_MS);
        assert_num(sla->at_risk_pct, at_risk_pct);
}

static void test_default_slas_per_tier(void **state) {
        (void)state;
        assert_sla(&cfg.sla[TIER_NONE], false, 0, 0, 0);
        assert_sla(&cfg.sla[TIER_FREE], false, 0, 0, 0);
        assert_sla(&cfg.sla[TIER_PRO], true, 60, 1440, 75);
        assert_sla(&cfg.sla[TIER_BUSINESS], true, 30, 480, 75);
        assert_sla(&cfg.sla[TIER_ENTERPRISE], true, 15, 240, 75);
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

/* ---- SLA part of the SLO/SLA dimension ---- */

static void test_sla_at_risk_and_breached_score(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.sla_at_risk = 1u << TIER_ENTERPRISE;
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_SLO], 70.0);
        assert_num(r.composite, 14.0); /* 0.20 × 70 */

        in.sla_breached = 1u << TIER_ENTERPRISE; /* both bits: breached */
        assert_num(compute(&in).dims[DIM_SLO], 100.0);
        in.sla_at_risk = 0;
        assert_num(compute(&in).dims[DIM_SLO], 100.0);
        in.sla_breached = 0;
        assert_num(compute(&in).dims[DIM_SLO], 0);
}

static void test_slo_sla_dimension_is_the_worse_of_the_two(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.has_slo_burn_rate = true;
        in.sla_at_risk = 1u << TIER_PRO;

        in.slo_burn_rate = 0;
        assert_num(compute(&in).dims[DIM_SLO], 70.0);
        in.slo_burn_rate = 7.2; /* 50 < 70 */
        assert_num(compute(&in).dims[DIM_SLO], 70.0);
        in.slo_burn_rate = 10.08; /* 70 = 70 */
        assert_num(compute(&in).dims[DIM_SLO], 70.0);
        in.slo_burn_rate = 12.24; /* 85 > 70 */
        assert_num(compute(&in).dims[DIM_SLO], 85.0);
        in.slo_burn_rate = 28.8; /* beyond full scale */
        assert_num(compute(&in).dims[DIM_SLO], 100.0);

        in.slo_burn_rate = 12.24; /* 85 < breached 100 */
        in.sla_breached = 1u << TIER_PRO;
        assert_num(compute(&in).dims[DIM_SLO], 100.0);
}

static void test_sla_scores_follow_the_config(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        cfg.sla_at_risk_score = 0;
        cfg.sla_breached_score = 40;
        in.sla_at_risk = 1u << TIER_BUSINESS;
        assert_num(compute(&in).dims[DIM_SLO], 0);
        in.sla_breached = 1u << TIER_BUSINESS;
        assert_num(compute(&in).dims[DIM_SLO], 40.0);
        in.has_slo_burn_rate = true;
        in.slo_burn_rate = 7.2; /* 50 > 40 */
        assert_num(compute(&in).dims[DIM_SLO], 50.0);
}

/* ---- blast radius ---- */

/* The shipped catalog: five services, 145 000 users in all; a payments-db
 * outage reaches payments-db, payments and checkout-web, 25 000 each. */
static void test_blast_radius_weighs_impacted_users(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.catalog_services = 5;
        in.catalog_users = 145000;

        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 0);
        in.impacted_services = 1;
        in.impacted_users = 14500; /* one tenth */
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_BLAST_RADIUS], 10.0);
        assert_num(r.composite, 1.0);
        in.impacted_services = 3;
        in.impacted_users = 75000; /* 51.72 %, where 3 of 5 would be 60 */
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 51.7);
        in.impacted_services = 5;
        in.impacted_users = 145000;
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 100.0);
        in.impacted_users = 290000; /* users counted twice: capped */
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 100.0);
}

static void
test_blast_radius_counts_services_without_user_counts(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.catalog_services = 5;
        in.impacted_services = 3;
        in.impacted_users = 75000; /* no denominator: ignored */
        assert_num(compute(&in).dims[DIM_BLAST_RADIUS], 60.0);
}

static void test_blast_radius_measured_with_an_impacted_service(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.catalog_services = 5;
        in.catalog_users = 145000;
        assert_num(compute(&in).measured_share, 0.1); /* duration alone */
        in.impacted_services = 1;
        in.impacted_users = 25000;
        assert_num(compute(&in).measured_share, 0.2);
}

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
        /* Without catalog users the share is against users_full_scale. */
        assert_int_equal(class_of(999, 0), CLASS_PARTIAL);
        assert_int_equal(class_of(1000, 0), CLASS_DEGRADED);
        assert_int_equal(class_of(5000, 0), CLASS_DEGRADED);
        assert_int_equal(class_of(5001, 0), CLASS_COMPLETE);
}

static void test_class_is_partial_without_measured_users(void **state) {
        (void)state;
        score_input_t in = quiet_input();
        in.affected_users = 9000;
        in.users_total = 10000;
        assert_int_equal(compute(&in).impact_class, CLASS_PARTIAL);
}

/* ---- the model's first example: no SLA, no catalog users ---- */

/* Inputs that carry none of the later fields (SLA bits, catalog users,
 * sentiment windows) score exactly as they did before them. */
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

/* ---- worked example (docs/impact-model.md, "Worked example") ---- */

#define T0 1767261600000LL /* detection: 2026-01-01T10:00:00Z */

/* A payments-db outage, 12 minutes after detection, default config:
 *   SLA         enterprise response 12 of 15 min, at risk from 11.25 min
 *               -> at_risk ENTERPRISE; breach at T0 + 15 min + 1 ms
 *   user share  6 000 / 25 000 = 0.24   -> user_volume 100×0.24×1.0 = 24.0
 *   revenue     1 h minimum: 830 000 + 50 000 = 880 000    -> revenue 88.0
 *   SLO/SLA     max(20 / 14.4 capped = 100, at risk 70)   -> slo_burn 100.0
 *   blast       75 000 / 145 000 users = 0.5172        -> blast_radius 51.7
 *   tier        ENTERPRISE                            -> customer_tier 100.0
 *   duration    12 / 240 = 0.05                            -> duration 5.0
 *   composite   6 + 22 + 20 + 5.17 + 10 + 0.5 = 63.67             -> 63.7
 *   lift        10 × 16/20 × min(1, 20/10) = 8.0; mean −9/20 = −0.45
 *   score       63.7 + 8.0 = 71.7 -> level 2; signal present: no triage
 *   class       0.24 -> DEGRADED; confidence 1.0 -> HIGH
 *   tickets     7 now vs 2 before: 3.5 > 1.25 -> RISING
 *   surge       11 of 12 negative = 0.917 > 0.6 with 12 >= 5 -> surge
 *   trend       −7.8/12 − (−1.2/8) = −0.65 + 0.15 = −0.5 < −0.2 -> WORSENING
 *   declared    none: no mismatch */
static score_input_t payments_db_outage(void) {
        score_input_t in = quiet_input();
        in.has_affected_users = true;
        in.affected_users = 6000;
        in.users_total = 25000;
        in.disruption = DISRUPTION_OUTAGE;
        in.has_revenue = true;
        in.arr_at_risk = 480000 + 350000; /* two enterprise accounts */
        in.revenue_loss_per_hour = 50000;
        in.has_slo_burn_rate = true;
        in.slo_burn_rate = 20.0;
        in.impacted_services = 3; /* payments-db, payments, checkout-web */
        in.catalog_services = 5;
        in.impacted_users = 75000;
        in.catalog_users = 145000;
        in.max_tier = TIER_ENTERPRISE;
        in.duration_ms = 12 * MIN_MS;
        in.sentiment_count = 20;
        in.sentiment_negative = 16;
        in.sentiment_sum = -9.0;
        in.sentiment_now_count = 12;
        in.sentiment_now_negative = 11;
        in.sentiment_now_sum = -7.8;
        in.sentiment_prev_count = 8;
        in.sentiment_prev_sum = -1.2;
        in.tickets_total = 9;
        in.tickets_now = 7;
        in.tickets_prev = 2;
        return in;
}

static void test_worked_example(void **state) {
        (void)state;
        score_sla_status_t sla;
        char tiers[64];

        score_sla_status(&cfg, 1u << TIER_ENTERPRISE, T0, 0, 0,
                         T0 + 12 * MIN_MS, &sla);
        assert_string_equal(tier_bits_names(sla.at_risk, tiers, sizeof(tiers)),
                            "ENTERPRISE");
        assert_int_equal(sla.breached, 0);
        assert_int_equal(sla.next_change_at, T0 + 15 * MIN_MS + 1);

        score_input_t in = payments_db_outage();
        in.sla_at_risk = sla.at_risk;
        in.sla_breached = sla.breached;
        score_result_t r = compute(&in);
        assert_num(r.user_share, 0.24);
        assert_num(r.dims[DIM_USERS], 24.0);
        assert_num(r.dims[DIM_REVENUE], 88.0);
        assert_num(r.dims[DIM_SLO], 100.0);
        assert_num(r.dims[DIM_BLAST_RADIUS], 51.7);
        assert_num(r.dims[DIM_TIER], 100.0);
        assert_num(r.dims[DIM_DURATION], 5.0);
        assert_num(r.composite, 63.7);
        assert_num(r.sentiment_mean, -0.45);
        assert_num(r.sentiment_negative_share, 0.8);
        assert_num(r.sentiment_lift, 8.0);
        assert_num(r.score, 71.7);
        assert_int_equal(r.computed_level, 2);
        assert_int_equal(r.level, 2);
        assert_false(r.triage_escalated);
        assert_string_equal(r.level_reason, "");
        assert_int_equal(r.impact_class, CLASS_DEGRADED);
        assert_num(r.measured_share, 1.0);
        assert_int_equal(r.confidence, CONFIDENCE_HIGH);
        assert_int_equal(r.ticket_trend, TREND_RISING);
        assert_true(r.sentiment_surge);
        assert_int_equal(r.sentiment_trend, SENTIMENT_WORSENING);
        assert_false(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason, "");

        /* Three minutes later, still untriaged: breached for good; only
         * the duration moves (15 min + 1 ms: 6.25 % -> 6.3). */
        score_sla_status(&cfg, 1u << TIER_ENTERPRISE, T0, 0, 0,
                         T0 + 15 * MIN_MS + 1, &sla);
        assert_int_equal(sla.at_risk, 0);
        assert_int_equal(sla.breached, 1u << TIER_ENTERPRISE);
        assert_int_equal(sla.next_change_at, 0);
        in.sla_at_risk = sla.at_risk;
        in.sla_breached = sla.breached;
        in.duration_ms = 15 * MIN_MS + 1;
        r = compute(&in);
        assert_num(r.dims[DIM_SLO], 100.0);
        assert_num(r.dims[DIM_DURATION], 6.3);
        assert_num(r.composite, 63.8);
        assert_num(r.score, 71.8);
        assert_int_equal(r.level, 2);
}

/* The same incident, but a responder declared severity 4 at 10:12, which
 * is also its triage: the response is met in time, the next change is
 * the resolution's at-risk point, the score is unchanged, and 4 is two
 * levels from the level 2. */
static void test_worked_example_declared_sev4(void **state) {
        (void)state;
        score_sla_status_t sla;
        int64_t now = T0 + 12 * MIN_MS;

        score_sla_status(&cfg, 1u << TIER_ENTERPRISE, T0, now, 0, now, &sla);
        assert_int_equal(sla.at_risk, 0);
        assert_int_equal(sla.breached, 0);
        assert_int_equal(sla.next_change_at, T0 + 180 * MIN_MS);

        score_input_t in = payments_db_outage();
        in.declared_severity = 4;
        score_result_t r = compute(&in);
        assert_num(r.dims[DIM_SLO], 100.0);
        assert_num(r.score, 71.7);
        assert_int_equal(r.level, 2);
        assert_true(r.severity_mismatch);
        assert_string_equal(r.mismatch_reason,
                            "declared severity 4, computed level 2: "
                            "severity deflation");
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_defaults_match_the_documented_model),
                T(test_default_slas_per_tier),
                T(test_quiet_incident_scores_zero_level_5),
                T(test_user_volume_is_zero_without_measured_users),
                T(test_user_volume_at_class_threshold_full_and_beyond),
                T(test_user_volume_weighs_the_disruption),
                T(test_user_volume_without_catalog_uses_full_scale),
                T(test_revenue_at_zero_quarter_full_and_beyond),
                T(test_revenue_projects_hourly_loss_over_min_hours),
                T(test_slo_burn_at_zero_on_budget_half_full_and_beyond),
                T(test_slo_burn_unmeasured_scores_zero),
                T(test_sla_at_risk_and_breached_score),
                T(test_slo_sla_dimension_is_the_worse_of_the_two),
                T(test_sla_scores_follow_the_config),
                T(test_blast_radius_is_share_of_catalog_services),
                T(test_blast_radius_without_catalog_counts_to_ten),
                T(test_blast_radius_weighs_impacted_users),
                T(test_blast_radius_counts_services_without_user_counts),
                T(test_blast_radius_measured_with_an_impacted_service),
                T(test_tier_dimension_scores_each_tier),
                T(test_strategic_account_lifts_tier_to_100),
                T(test_duration_at_zero_quarter_full_and_beyond),
                T(test_negative_duration_scores_zero),
                T(test_outputs_round_half_away_from_zero),
                T(test_weights_not_summing_to_one_are_normalised),
                T(test_zero_weights_give_zero_composite),
                T(test_class_boundaries_at_10_and_50_percent),
                T(test_class_is_partial_without_measured_users),
                T(test_payments_outage_worked_example),
                T(test_payments_outage_declared_sev4_is_deflation),
                T(test_worked_example),
                T(test_worked_example_declared_sev4),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
