/* The impact model of docs/impact-model.md: six dimensions, composite,
 * sentiment lift, level and triage clock, class, confidence, ticket trend,
 * severity mismatch, sentiment surge and trend, and SLA standing.  Pure
 * functions of (config, input); no I/O, no clock: the caller passes the
 * time in. */
#include "score.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void score_config_defaults(score_config_t *cfg) {
        static const score_config_t defaults = {
                .weights = {[DIM_USERS] = 0.25,
                            [DIM_REVENUE] = 0.25,
                            [DIM_SLO] = 0.20,
                            [DIM_BLAST_RADIUS] = 0.10,
                            [DIM_TIER] = 0.10,
                            [DIM_DURATION] = 0.10},
                .level_thresholds = {80, 60, 40, 20},
                .disruption_weights = {[DISRUPTION_LATENCY] = 0.1,
                                       [DISRUPTION_DEGRADED] = 0.7,
                                       [DISRUPTION_OUTAGE] = 1.0},
                .users_full_scale = 10000,
                .revenue_full_scale = 1000000,
                .revenue_min_hours = 1.0,
                /* Google SRE workbook: 2 % of a 30-day budget in one hour. */
                .slo_fast_burn = 14.4,
                .duration_full_scale_min = 240,
                .tier_scores = {[TIER_NONE] = 0,
                                [TIER_FREE] = 10,
                                [TIER_PRO] = 40,
                                [TIER_BUSINESS] = 70,
                                [TIER_ENTERPRISE] = 100},
                .class_partial_below = 0.10,
                .class_complete_above = 0.50,
                .sentiment_negative_below = 0.0,
                .sentiment_max_lift = 10,
                .sentiment_min_events = 10,
                .confidence_high = 0.70,
                .confidence_medium = 0.40,
                .trend_window_ms = 300000,
                .trend_ratio = 0.25,
                .severity_mismatch_levels = 2,
                .minor_severity = 4,
                .minor_long_running_ms = 60 * 60000,
                .triage_after_ms = 60000,
                .sla = {[TIER_PRO] = {true, 60 * 60000, 1440 * 60000,
                                      SCORE_SLA_AT_RISK_PCT},
                        [TIER_BUSINESS] = {true, 30 * 60000, 480 * 60000,
                                           SCORE_SLA_AT_RISK_PCT},
                        [TIER_ENTERPRISE] = {true, 15 * 60000, 240 * 60000,
                                             SCORE_SLA_AT_RISK_PCT}},
                .sla_at_risk_score = 70,
                .sla_breached_score = 100,
                .sentiment_window_ms = 300000,
                .sentiment_surge_share = 0.6,
                .sentiment_surge_min_events = 5,
                .sentiment_trend_delta = 0.2,
        };
        *cfg = defaults;
}

/* Rounds to `scale` (10 → tenths) half away from zero.  The nudge absorbs
 * binary representation error, so a value that is a half in decimal
 * (12.25 computed as 12.2499999…) still rounds up as a reader expects.
 * Dividing the rounded integer by `scale` yields the same double as the
 * decimal literal, which is what makes the outputs exactly testable. */
static double round_to(double x, double scale) {
        double scaled = x * scale;
        return round(scaled + copysign(1e-7, scaled)) / scale;
}

static double round_tenth(double x) {
        return round_to(x, 10.0);
}

static double clamp01(double x) {
        if (!(x > 0)) /* also maps NaN to 0 */
                return 0;
        return x < 1 ? x : 1;
}

/* num / den clamped to [0, 1]; a non-positive denominator (bad config,
 * unknown catalog) contributes nothing rather than dividing by zero. */
static double share(double num, double den) {
        return den > 0 ? clamp01(num / den) : 0;
}

static double user_share(const score_config_t *cfg, const score_input_t *in) {
        if (!in->has_affected_users)
                return 0;
        double affected = (double)in->affected_users;
        if (in->users_total > 0)
                return share(affected, (double)in->users_total);
        return share(affected, cfg->users_full_scale);
}

static double dim_users(const score_config_t *cfg, const score_input_t *in,
                        double users) {
        /* An unknown disruption is scored like the contract's default. */
        disruption_t d = (unsigned)in->disruption < DISRUPTION_COUNT
                                 ? in->disruption
                                 : DISRUPTION_DEGRADED;
        return 100 * users * clamp01(cfg->disruption_weights[d]);
}

/* ARR of affected accounts is at risk in full; lost revenue per hour is
 * projected over at least revenue_min_hours so a fresh incident with a
 * high burn is not scored as harmless just because it is young. */
static double dim_revenue(const score_config_t *cfg, const score_input_t *in) {
        double hours = (double)in->duration_ms / 3.6e6;
        if (hours < cfg->revenue_min_hours)
                hours = cfg->revenue_min_hours;
        double arr = in->arr_at_risk > 0 ? in->arr_at_risk : 0;
        double loss =
                in->revenue_loss_per_hour > 0 ? in->revenue_loss_per_hour : 0;
        return 100 * share(arr + loss * hours, cfg->revenue_full_scale);
}

/* The worse of two views of the same promise: the SLO burn rate says how
 * fast the error budget goes, the SLA bits (score_sla_status) whether a
 * contractual target is at risk or already missed. */
static double dim_slo(const score_config_t *cfg, const score_input_t *in) {
        double slo = 0, sla = 0;

        if (in->has_slo_burn_rate)
                slo = 100 * share(in->slo_burn_rate, cfg->slo_fast_burn);
        if (in->sla_breached)
                sla = cfg->sla_breached_score;
        else if (in->sla_at_risk)
                sla = cfg->sla_at_risk_score;
        sla = 100 * clamp01(sla / 100);
        return slo > sla ? slo : sla;
}

/* Weighted by users when the catalog knows them: losing the one service
 * everybody uses is worse than losing three back-office ones.  Without
 * user counts, the share of services; without a catalog there is no
 * denominator, and ten services, a wide outage in any shop, stand in as
 * full scale. */
static double dim_blast_radius(const score_input_t *in) {
        double impacted = (double)in->impacted_services;
        if (in->catalog_users > 0)
                return 100 * share((double)in->impacted_users,
                                   (double)in->catalog_users);
        if (in->catalog_services > 0)
                return 100 * share(impacted, (double)in->catalog_services);
        return 100 * share(impacted, 10.0);
}

static double dim_tier(const score_config_t *cfg, const score_input_t *in) {
        if (in->strategic)
                return 100;
        if ((unsigned)in->max_tier >= TIER_COUNT)
                return 0;
        return 100 * clamp01(cfg->tier_scores[in->max_tier] / 100);
}

static double dim_duration(const score_config_t *cfg, const score_input_t *in) {
        double minutes = (double)in->duration_ms / 60000.0;
        return 100 * share(minutes, cfg->duration_full_scale_min);
}

/* Which dimensions rest on measured inputs rather than zeros standing in
 * for "not reported".  Duration is always known from event time. */
static void measured_dims(const score_input_t *in, bool measured[DIM_COUNT]) {
        measured[DIM_USERS] = in->has_affected_users;
        measured[DIM_REVENUE] = in->has_revenue;
        measured[DIM_SLO] =
                in->has_slo_burn_rate || in->sla_at_risk || in->sla_breached;
        measured[DIM_BLAST_RADIUS] = in->impacted_services > 0;
        measured[DIM_TIER] = in->max_tier != TIER_NONE || in->strategic;
        measured[DIM_DURATION] = true;
}

/* Composite from the rounded (published) dimensions, so a consumer can
 * recompute it from the scored message.  Weights that do not sum to 1 are
 * normalised: a config with weights 2/2/2/1/1/1 means the same proportions. */
static void compose(const score_config_t *cfg, const score_input_t *in,
                    score_result_t *out) {
        bool measured[DIM_COUNT];
        double total = 0, weighted = 0, measured_weight = 0;

        measured_dims(in, measured);
        for (int d = 0; d < DIM_COUNT; d++) {
                total += cfg->weights[d];
                weighted += cfg->weights[d] * out->dims[d];
                if (measured[d])
                        measured_weight += cfg->weights[d];
        }
        out->composite = total > 0 ? round_tenth(weighted / total) : 0;
        /* Thousandths keep the confidence boundaries exact: 0.25 + 0.25 +
         * 0.2 must compare equal to a configured 0.7. */
        out->measured_share =
                total > 0 ? round_to(measured_weight / total, 1000.0) : 0;
}

/* Lift grows with the share of negative events and reaches full strength
 * only at sentiment_min_events, so two angry messages cannot add the
 * whole bonus.  Both factors are <= 1, so the lift never exceeds the max. */
static void sentiment(const score_config_t *cfg, const score_input_t *in,
                      score_result_t *out) {
        int64_t count = in->sentiment_count;
        if (count <= 0)
                return;
        out->sentiment_mean = in->sentiment_sum / (double)count;
        out->sentiment_negative_share =
                share((double)in->sentiment_negative, (double)count);
        double strength = cfg->sentiment_min_events > 0
                                  ? share((double)count,
                                          (double)cfg->sentiment_min_events)
                                  : 1;
        double max_lift =
                cfg->sentiment_max_lift > 0 ? cfg->sentiment_max_lift : 0;
        out->sentiment_lift = round_tenth(
                max_lift * out->sentiment_negative_share * strength);
}

static impact_class_t classify(const score_config_t *cfg, double users) {
        if (users < cfg->class_partial_below)
                return CLASS_PARTIAL;
        if (users > cfg->class_complete_above)
                return CLASS_COMPLETE;
        return CLASS_DEGRADED;
}

static confidence_t confidence(const score_config_t *cfg, double measured) {
        if (measured >= cfg->confidence_high)
                return CONFIDENCE_HIGH;
        if (measured >= cfg->confidence_medium)
                return CONFIDENCE_MEDIUM;
        return CONFIDENCE_LOW;
}

static ticket_trend_t ticket_trend(const score_config_t *cfg,
                                   const score_input_t *in) {
        if (in->tickets_prev <= 0)
                return in->tickets_now > 0 ? TREND_RISING : TREND_STEADY;
        double r = (double)in->tickets_now / (double)in->tickets_prev;
        if (r > 1 + cfg->trend_ratio)
                return TREND_RISING;
        if (r < 1 - cfg->trend_ratio)
                return TREND_FALLING;
        return TREND_STEADY;
}

/* Err on the side of caution: an incident that after triage_after_ms still
 * has no user, revenue or ticket data is probably under-scored, not
 * harmless, so it is published one level more severe and says why. */
static void triage_clock(const score_config_t *cfg, const score_input_t *in,
                         score_result_t *out) {
        bool lacks_signal = !in->has_affected_users && !in->has_revenue &&
                            in->tickets_total == 0;
        int64_t after = cfg->triage_after_ms;
        char secs[32];

        out->level = out->computed_level;
        if (after <= 0 || in->duration_ms < after || !lacks_signal ||
            out->computed_level <= 1)
                return;
        out->level = out->computed_level - 1;
        out->triage_escalated = true;
        if (after % 1000 == 0)
                snprintf(secs, sizeof(secs), "%" PRId64, after / 1000);
        else
                snprintf(secs, sizeof(secs), "%.3f", (double)after / 1000);
        snprintf(out->level_reason, sizeof(out->level_reason),
                 "no user, revenue or ticket data %s s after detection: "
                 "level %d, one more severe than computed %d",
                 secs, out->level, out->computed_level);
}

/* Level 1 is the most severe, so a declared severity numerically above
 * the published level understates the impact (deflation), below it
 * overstates it (inflation).  A minor severity left on an incident open
 * for long is the other way impact gets understated; when both rules
 * match, the level difference is the more informative reason. */
static void severity_mismatch(const score_config_t *cfg,
                              const score_input_t *in, score_result_t *out) {
        int declared = in->declared_severity;
        out->severity_mismatch = false;
        out->mismatch_reason[0] = '\0';
        if (declared < 1 || declared > 5)
                return;
        int diff = abs(declared - out->level);
        /* A declared level equal to the published one is never a level
         * mismatch, whatever severity_mismatch_levels says. */
        if (diff != 0 && diff >= cfg->severity_mismatch_levels) {
                out->severity_mismatch = true;
                snprintf(out->mismatch_reason, sizeof(out->mismatch_reason),
                         "declared severity %d, computed level %d: severity "
                         "%s",
                         declared, out->level,
                         declared > out->level ? "deflation" : "inflation");
                return;
        }
        if (cfg->minor_long_running_ms > 0 && declared >= cfg->minor_severity &&
            in->duration_ms >= cfg->minor_long_running_ms) {
                out->severity_mismatch = true;
                snprintf(out->mismatch_reason, sizeof(out->mismatch_reason),
                         "declared severity %d (minor) but open for %" PRId64
                         " min",
                         declared, in->duration_ms / 60000);
        }
}

/* A surge needs both volume and a clear majority: a handful of angry
 * messages is noise, many mixed ones are not a surge.  The trend compares
 * the mean score of the current window with the one before. */
static void sentiment_window(const score_config_t *cfg, const score_input_t *in,
                             score_result_t *out) {
        int64_t now = in->sentiment_now_count, prev = in->sentiment_prev_count;

        out->sentiment_surge =
                now > 0 && now >= cfg->sentiment_surge_min_events &&
                (double)in->sentiment_now_negative / (double)now >
                        cfg->sentiment_surge_share;
        out->sentiment_trend = SENTIMENT_STEADY;
        if (now <= 0 || prev <= 0)
                return;
        /* Millionths: a difference that is the delta in decimal but a hair
         * above it in binary (0.5 - 0.3) is not beyond it. */
        double d = round_to(in->sentiment_now_sum / (double)now -
                                    in->sentiment_prev_sum / (double)prev,
                            1e6);
        if (d < -cfg->sentiment_trend_delta)
                out->sentiment_trend = SENTIMENT_WORSENING;
        else if (d > cfg->sentiment_trend_delta)
                out->sentiment_trend = SENTIMENT_IMPROVING;
}

void score_compute(const score_config_t *cfg, const score_input_t *in,
                   score_result_t *out) {
        memset(out, 0, sizeof(*out));
        out->user_share = user_share(cfg, in);
        out->dims[DIM_USERS] = dim_users(cfg, in, out->user_share);
        out->dims[DIM_REVENUE] = dim_revenue(cfg, in);
        out->dims[DIM_SLO] = dim_slo(cfg, in);
        out->dims[DIM_BLAST_RADIUS] = dim_blast_radius(in);
        out->dims[DIM_TIER] = dim_tier(cfg, in);
        out->dims[DIM_DURATION] = dim_duration(cfg, in);
        for (int d = 0; d < DIM_COUNT; d++)
                out->dims[d] = round_tenth(out->dims[d]);

        compose(cfg, in, out);
        sentiment(cfg, in, out);
        double score = out->composite + out->sentiment_lift;
        out->score = round_tenth(score < 100 ? score : 100);
        out->computed_level = score_level(cfg, out->score);
        triage_clock(cfg, in, out);

        out->impact_class = classify(cfg, out->user_share);
        out->confidence = confidence(cfg, out->measured_share);
        out->ticket_trend = ticket_trend(cfg, in);
        severity_mismatch(cfg, in, out);
        sentiment_window(cfg, in, out);
}

/* Ordered: a tier stands as the worse of its two targets. */
enum { SLA_MET = 0, SLA_AT_RISK, SLA_BREACHED };

/* Where one target stands, and when it would move with no new event:
 * into risk at risk_at, into breach at breach_at (0 = never: a target
 * reached in time stays met, one reached late stays breached). */
typedef struct sla_clock {
        int state;
        int64_t risk_at, breach_at;
} sla_clock_t;

/* The first whole millisecond at which `pct` % of `target` has elapsed.
 * The nudge keeps 75 % of 900 000 at 675 000 whatever binary rounding
 * does to the product. */
static int64_t at_risk_ms(int64_t target, double pct) {
        double x = pct / 100 * (double)target;
        return x > 0 ? (int64_t)ceil(x - 1e-6) : 0;
}

/* One target from detected_at to `end` (0 = not reached yet). */
static sla_clock_t sla_target(int64_t detected_at, int64_t end, int64_t target,
                              double pct, int64_t now) {
        sla_clock_t c = {SLA_MET, 0, 0};

        if (target <= 0 || (end != 0 && end <= detected_at + target))
                return c;
        /* Past here a reached target was reached late: breached. */
        int64_t elapsed = (end != 0 ? end : now) - detected_at;
        if (elapsed > target) {
                c.state = SLA_BREACHED;
                return c;
        }
        int64_t risk = at_risk_ms(target, pct);
        c.breach_at = detected_at + target + 1;
        if (elapsed >= risk)
                c.state = SLA_AT_RISK;
        else
                c.risk_at = detected_at + risk;
        return c;
}

static int64_t earliest(int64_t a, int64_t b) {
        return a == 0 || (b != 0 && b < a) ? b : a;
}

void score_sla_status(const score_config_t *cfg, unsigned tiers,
                      int64_t detected_at, int64_t triaged_at,
                      int64_t resolved_at, int64_t now,
                      score_sla_status_t *out) {
        memset(out, 0, sizeof(*out));
        if (detected_at <= 0) /* no clock to measure against */
                return;
        /* Resolving answers the customer too: an incident resolved without
         * a recorded triage does not keep a response clock running. */
        int64_t responded_at = triaged_at != 0 ? triaged_at : resolved_at;
        for (int t = 0; t < TIER_COUNT; t++) {
                const score_sla_t *sla = &cfg->sla[t];
                unsigned bit = 1u << t;
                int64_t next;

                if (!(tiers & bit) || !sla->set)
                        continue;
                sla_clock_t a =
                        sla_target(detected_at, responded_at, sla->response_ms,
                                   sla->at_risk_pct, now);
                sla_clock_t b =
                        sla_target(detected_at, resolved_at, sla->resolution_ms,
                                   sla->at_risk_pct, now);
                int state = a.state > b.state ? a.state : b.state;
                /* Only what moves the tier's bits counts: once at risk, the
                 * other target entering risk changes nothing; once
                 * breached, nothing does. */
                if (state == SLA_BREACHED) {
                        out->breached |= bit;
                        continue;
                }
                next = earliest(a.breach_at, b.breach_at);
                if (state == SLA_AT_RISK)
                        out->at_risk |= bit;
                else
                        next = earliest(next, earliest(a.risk_at, b.risk_at));
                out->next_change_at = earliest(out->next_change_at, next);
        }
}

int score_level(const score_config_t *cfg, double score) {
        for (int i = 0; i < 4; i++)
                if (score >= cfg->level_thresholds[i])
                        return i + 1;
        return 5;
}

const char *score_dim_name(score_dim_t d) {
        static const char *const names[DIM_COUNT] = {
                [DIM_USERS] = "user_volume",
                [DIM_REVENUE] = "revenue",
                [DIM_SLO] = "slo_burn",
                [DIM_BLAST_RADIUS] = "blast_radius",
                [DIM_TIER] = "customer_tier",
                [DIM_DURATION] = "duration",
        };
        return (unsigned)d < DIM_COUNT ? names[d] : "unknown";
}

const char *impact_class_name(impact_class_t c) {
        switch (c) {
        case CLASS_PARTIAL: return "PARTIAL";
        case CLASS_DEGRADED: return "DEGRADED";
        case CLASS_COMPLETE: return "COMPLETE";
        }
        return "UNKNOWN";
}

const char *confidence_name(confidence_t c) {
        switch (c) {
        case CONFIDENCE_LOW: return "LOW";
        case CONFIDENCE_MEDIUM: return "MEDIUM";
        case CONFIDENCE_HIGH: return "HIGH";
        }
        return "UNKNOWN";
}

const char *ticket_trend_name(ticket_trend_t t) {
        switch (t) {
        case TREND_FALLING: return "FALLING";
        case TREND_STEADY: return "STEADY";
        case TREND_RISING: return "RISING";
        }
        return "UNKNOWN";
}

const char *sentiment_trend_name(sentiment_trend_t t) {
        switch (t) {
        case SENTIMENT_IMPROVING: return "IMPROVING";
        case SENTIMENT_STEADY: return "STEADY";
        case SENTIMENT_WORSENING: return "WORSENING";
        }
        return "UNKNOWN";
}

/* Most important first, as a reader scans it; when the buffer is short,
 * whole names are left out (the least important ones) rather than cut. */
const char *tier_bits_names(unsigned bits, char *buf, size_t size) {
        size_t len = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        for (int t = TIER_COUNT - 1; t > TIER_NONE; t--) {
                if (!(bits & (1u << t)))
                        continue;
                int n = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
                                 customer_tier_name((customer_tier_t)t));
                if (n < 0 || (size_t)n >= size - len) {
                        buf[len] = '\0';
                        break;
                }
                len += (size_t)n;
        }
        return buf;
}
