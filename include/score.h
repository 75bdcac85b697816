/* The impact model: six weighted dimensions, composite score, level, class,
 * confidence, severity mismatch and ticket trend.  Pure functions: no I/O,
 * no clock; the caller passes everything in. */
#ifndef IMPACTD_SCORE_H
#define IMPACTD_SCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

typedef enum {
        DIM_USERS = 0,
        DIM_REVENUE,
        DIM_SLO,
        DIM_BLAST_RADIUS,
        DIM_TIER,
        DIM_DURATION,
        DIM_COUNT,
} score_dim_t;

typedef enum { CLASS_PARTIAL = 0, CLASS_DEGRADED, CLASS_COMPLETE } impact_class_t;
typedef enum { CONFIDENCE_LOW = 0, CONFIDENCE_MEDIUM, CONFIDENCE_HIGH } confidence_t;
typedef enum { TREND_FALLING = 0, TREND_STEADY, TREND_RISING } ticket_trend_t;

/* Every number of the model; defaults in score_config_defaults(). */
typedef struct score_config {
        double weights[DIM_COUNT];            /* sum to 1.0 */
        double level_thresholds[4];           /* score >= [0] -> level 1, ... */
        double disruption_weights[DISRUPTION_COUNT];
        double users_full_scale;     /* denominator when the catalog has no users */
        double revenue_full_scale;   /* currency units at risk that score 100 */
        double revenue_min_hours;    /* lost revenue/h counts at least this long */
        double slo_fast_burn;        /* burn rate that scores 100 (14.4) */
        double duration_full_scale_min;
        double tier_scores[TIER_COUNT];       /* indexed by customer_tier_t */
        double class_partial_below;   /* user share < this -> PARTIAL (0.10) */
        double class_complete_above;  /* user share > this -> COMPLETE (0.50) */
        double sentiment_negative_below; /* a score below this is negative */
        double sentiment_max_lift;    /* points added at most */
        int64_t sentiment_min_events; /* lift reaches full strength here */
        double confidence_high;       /* measured weight share >= -> HIGH */
        double confidence_medium;     /* measured weight share >= -> MEDIUM */
        int64_t trend_window_ms;      /* ticket trend window */
        double trend_ratio;           /* now/prev beyond 1±ratio -> RISING/FALLING */
        int severity_mismatch_levels; /* |declared - computed| >= -> mismatch */
} score_config_t;

void score_config_defaults(score_config_t *cfg);

/* What the score is computed from: the incident's aggregates plus catalog
 * facts.  Flags say whether an input was measured or is a default. */
typedef struct score_input {
        int64_t affected_users;
        bool has_affected_users;
        int64_t users_total; /* users of the impacted services (catalog); 0 = unknown */
        disruption_t disruption;
        double arr_at_risk;
        double revenue_loss_per_hour;
        bool has_revenue; /* any ARR or lost revenue reported */
        double slo_burn_rate;
        bool has_slo_burn_rate;
        int64_t impacted_services;
        int64_t catalog_services; /* 0 = no catalog */
        customer_tier_t max_tier;
        bool strategic;
        int64_t duration_ms;
        int64_t sentiment_count;
        int64_t sentiment_negative;
        double sentiment_sum;
        int declared_severity; /* 0 = none declared */
        int64_t tickets_now;   /* tickets in the current trend window */
        int64_t tickets_prev;  /* tickets in the window before it */
} score_input_t;

typedef struct score_result {
        double dims[DIM_COUNT]; /* 0..100 each */
        double composite;       /* Σ weight × dimension, 0..100 */
        double sentiment_lift;  /* bounded by sentiment_max_lift */
        double score;           /* composite + lift, capped at 100 */
        int level;              /* 1 (critical) .. 5 (minor) */
        double user_share;      /* affected / total users, 0..1 */
        impact_class_t impact_class;
        confidence_t confidence;
        double measured_share;  /* weight share resting on measured inputs */
        double sentiment_mean;
        double sentiment_negative_share;
        ticket_trend_t ticket_trend;
        bool severity_mismatch;
        char mismatch_reason[96];
} score_result_t;

void score_compute(const score_config_t *cfg, const score_input_t *in,
                   score_result_t *out);

/* Level 1..5 from a score and the thresholds. */
int score_level(const score_config_t *cfg, double score);

const char *score_dim_name(score_dim_t d); /* "user_volume", ... */
const char *impact_class_name(impact_class_t c);
const char *confidence_name(confidence_t c);
const char *ticket_trend_name(ticket_trend_t t);

#endif
