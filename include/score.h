/* The impact model (docs/impact-model.md): six weighted dimensions,
 * composite score, level and triage clock, class, confidence, severity
 * mismatch, ticket trend, sentiment surge and trend, and SLA standing.
 * Pure functions: no I/O, no clock; the caller passes everything in,
 * the time included. */
#ifndef IMPACTD_SCORE_H
#define IMPACTD_SCORE_H

#include <stdbool.h>
#include <stddef.h>
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
typedef enum {
        SENTIMENT_IMPROVING = 0,
        SENTIMENT_STEADY,
        SENTIMENT_WORSENING,
} sentiment_trend_t;

/* Per-tier SLA targets.  A tier without `set` has no SLA. */
#define SCORE_SLA_AT_RISK_PCT 75.0 /* default at_risk_pct of every tier */
typedef struct score_sla {
        bool set;
        int64_t response_ms;   /* detection -> triage */
        int64_t resolution_ms; /* detection -> resolution */
        double at_risk_pct;    /* at risk from this % of a target on (0-100) */
} score_sla_t;

/* Where an incident stands against the SLAs of the tiers it affects;
 * bit (1 << tier) set per customer_tier_t. */
typedef struct score_sla_status {
        unsigned at_risk;  /* tiers whose SLA is at risk (not yet breached) */
        unsigned breached; /* tiers whose SLA is breached */
        int64_t next_change_at; /* epoch ms when this changes next; 0 = never */
} score_sla_status_t;

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
        /* A declared severity >= minor_severity (4: minor) on an incident
         * open longer than minor_long_running_ms is a mismatch; 0 = off. */
        int minor_severity;
        int64_t minor_long_running_ms;
        /* Triage clock: an incident with no user, revenue or ticket data
         * this long after detection is one level more severe. */
        int64_t triage_after_ms;
        /* SLA part of the SLO/SLA dimension. */
        score_sla_t sla[TIER_COUNT]; /* indexed by customer_tier_t */
        double sla_at_risk_score;    /* dimension score when at risk (70) */
        double sla_breached_score;   /* dimension score when breached (100) */
        /* Sentiment window (surge and trend). */
        int64_t sentiment_window_ms;
        double sentiment_surge_share;     /* negative share > this ... */
        int64_t sentiment_surge_min_events; /* ... with >= this many events */
        double sentiment_trend_delta; /* mean now vs before beyond ± this */
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
        int64_t duration_ms; /* detection -> now, or -> resolution */
        int64_t sentiment_count;
        int64_t sentiment_negative;
        double sentiment_sum;
        int declared_severity; /* 0 = none declared */
        int64_t tickets_now;   /* tickets in the current trend window */
        int64_t tickets_prev;  /* tickets in the window before it */
        int64_t tickets_total;
        /* Blast radius weighted by users: users of the impacted services
         * against users of the whole catalog (0 = unknown: count share). */
        int64_t impacted_users;
        int64_t catalog_users;
        unsigned sla_at_risk;  /* score_sla_status_t bits */
        unsigned sla_breached;
        /* Sentiment in the current window and the one before it. */
        int64_t sentiment_now_count, sentiment_now_negative;
        double sentiment_now_sum;
        int64_t sentiment_prev_count;
        double sentiment_prev_sum;
} score_input_t;

typedef struct score_result {
        double dims[DIM_COUNT]; /* 0..100 each */
        double composite;       /* Σ weight × dimension, 0..100 */
        double sentiment_lift;  /* bounded by sentiment_max_lift */
        double score;           /* composite + lift, capped at 100 */
        int level;              /* 1 (critical) .. 5 (minor), published */
        double user_share;      /* affected / total users, 0..1 */
        impact_class_t impact_class;
        confidence_t confidence;
        double measured_share;  /* weight share resting on measured inputs */
        double sentiment_mean;
        double sentiment_negative_share;
        ticket_trend_t ticket_trend;
        bool severity_mismatch;
        char mismatch_reason[96];
        /* Triage clock: when triage_escalated, level is one more severe
         * than computed_level (the level of the score); else they agree. */
        int computed_level;
        bool triage_escalated;
        char level_reason[160]; /* "" unless triage_escalated */
        bool sentiment_surge;   /* of the current sentiment window */
        sentiment_trend_t sentiment_trend; /* current window vs the one before */
} score_result_t;

void score_compute(const score_config_t *cfg, const score_input_t *in,
                   score_result_t *out);

/* SLA standing of the tiers in `tiers` (bit per customer_tier_t) at
 * `now`: response runs from detected_at to triaged_at (0 = not yet),
 * resolution to resolved_at (0 = open).  A target met in time is never at
 * risk; one missed stays breached.  An incident resolved without a
 * triage counts as responded to at resolution.  Tiers without an SLA are
 * ignored, and nothing is at risk when detected_at is not known (<= 0).
 * out->next_change_at is the first instant after `now` at which the bits
 * would change with no new event (the caller re-scores then). */
void score_sla_status(const score_config_t *cfg, unsigned tiers,
                      int64_t detected_at, int64_t triaged_at,
                      int64_t resolved_at, int64_t now,
                      score_sla_status_t *out);

/* Level 1..5 from a score and the thresholds. */
int score_level(const score_config_t *cfg, double score);

const char *score_dim_name(score_dim_t d); /* "user_volume", ... */
const char *impact_class_name(impact_class_t c);
const char *confidence_name(confidence_t c);
const char *ticket_trend_name(ticket_trend_t t);
const char *sentiment_trend_name(sentiment_trend_t t);
const char *tier_bits_names(unsigned bits, char *buf, size_t size); /* "ENTERPRISE,PRO" */

#endif
