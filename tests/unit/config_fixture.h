/* What the configuration tests share: loading a document from a string,
 * expecting an exact error, printing to a string, and comparing the
 * scoring section field by field.  Include after <cmocka.h>. */
#ifndef IMPACTD_CONFIG_FIXTURE_H
#define IMPACTD_CONFIG_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "config.h"

#define ERRSZ 512

static inline config_t *load(const char *yaml, char *err) {
        err[0] = '\0';
        return config_load_string(yaml, strlen(yaml), "cfg.yaml", err, ERRSZ);
}

/* The document must be rejected with exactly `msg`. */
static inline void expect_error(const char *yaml, const char *msg) {
        char err[ERRSZ];
        config_t *conf = load(yaml, err);

        if (conf)
                fail_msg("loaded, expected: %s", msg);
        assert_string_equal(err, msg);
}

static inline config_t *must_load(const char *yaml) {
        char err[ERRSZ];
        config_t *conf = load(yaml, err);

        if (!conf)
                fail_msg("%s", err);
        return conf;
}

static inline char *print_to_string(const config_t *conf) {
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);

        assert_non_null(fp);
        config_print(conf, fp);
        fclose(fp);
        return buf;
}

static inline void assert_scoring_equal(const score_config_t *a,
                                        const score_config_t *b) {
        for (int i = 0; i < DIM_COUNT; i++)
                assert_true(a->weights[i] == b->weights[i]);
        for (int i = 0; i < 4; i++)
                assert_true(a->level_thresholds[i] == b->level_thresholds[i]);
        for (int i = 0; i < DISRUPTION_COUNT; i++)
                assert_true(a->disruption_weights[i] ==
                            b->disruption_weights[i]);
        for (int i = TIER_FREE; i < TIER_COUNT; i++)
                assert_true(a->tier_scores[i] == b->tier_scores[i]);
        assert_true(a->users_full_scale == b->users_full_scale);
        assert_true(a->revenue_full_scale == b->revenue_full_scale);
        assert_true(a->revenue_min_hours == b->revenue_min_hours);
        assert_true(a->slo_fast_burn == b->slo_fast_burn);
        assert_true(a->duration_full_scale_min == b->duration_full_scale_min);
        assert_true(a->class_partial_below == b->class_partial_below);
        assert_true(a->class_complete_above == b->class_complete_above);
        assert_true(a->sentiment_negative_below == b->sentiment_negative_below);
        assert_true(a->sentiment_max_lift == b->sentiment_max_lift);
        assert_int_equal(a->sentiment_min_events, b->sentiment_min_events);
        assert_true(a->confidence_high == b->confidence_high);
        assert_true(a->confidence_medium == b->confidence_medium);
        assert_int_equal(a->trend_window_ms, b->trend_window_ms);
        assert_true(a->trend_ratio == b->trend_ratio);
        assert_int_equal(a->severity_mismatch_levels,
                         b->severity_mismatch_levels);
        assert_int_equal(a->minor_severity, b->minor_severity);
        assert_int_equal(a->minor_long_running_ms, b->minor_long_running_ms);
        assert_int_equal(a->triage_after_ms, b->triage_after_ms);
        for (int i = 0; i < TIER_COUNT; i++) {
                assert_int_equal(a->sla[i].set, b->sla[i].set);
                assert_int_equal(a->sla[i].response_ms, b->sla[i].response_ms);
                assert_int_equal(a->sla[i].resolution_ms,
                                 b->sla[i].resolution_ms);
                assert_true(a->sla[i].at_risk_pct == b->sla[i].at_risk_pct);
        }
        assert_true(a->sla_at_risk_score == b->sla_at_risk_score);
        assert_true(a->sla_breached_score == b->sla_breached_score);
        assert_int_equal(a->sentiment_window_ms, b->sentiment_window_ms);
        assert_true(a->sentiment_surge_share == b->sentiment_surge_share);
        assert_int_equal(a->sentiment_surge_min_events,
                         b->sentiment_surge_min_events);
        assert_true(a->sentiment_trend_delta == b->sentiment_trend_delta);
}

#endif
