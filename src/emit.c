/* Incident facts -> score input, scored record and next deadline. */
#include "emit.h"

#include <string.h>

void emit_context(const config_t *conf, const incident_t *inc, int64_t now,
                  emit_ctx_t *ctx) {
        memset(ctx, 0, sizeof(*ctx));
        /* Event times may run ahead of the clock (producers' clocks): the
         * incident is at least as old as its events say.  impactd.lua
         * settles the status with the same rule. */
        ctx->now = now > inc->last_event_at ? now : inc->last_event_at;
        int64_t end = inc->open ? ctx->now : inc->resolved_at;
        ctx->duration_ms = end > inc->detected_at ? end - inc->detected_at : 0;
        score_sla_status(&conf->scoring, inc->tiers, inc->detected_at,
                         inc->triaged_at, inc->open ? 0 : inc->resolved_at,
                         ctx->now, &ctx->sla);
}

void emit_score_input(const config_t *conf, const incident_t *inc,
                      const emit_ctx_t *ctx, score_input_t *in) {
        memset(in, 0, sizeof(*in));
        in->has_affected_users = inc->affected_users >= 0;
        in->affected_users = in->has_affected_users ? inc->affected_users : 0;
        /* Services of one incident share most of their users (checkout-web
         * and payments serve the same shoppers), so the population at risk
         * is the largest catalog figure among them, never the sum. */
        in->users_total = ctx->impacted_max_users;
        in->disruption = inc->disruption >= 0 ? (disruption_t)inc->disruption
                                              : DISRUPTION_DEGRADED;
        in->arr_at_risk = inc->arr_at_risk;
        in->revenue_loss_per_hour =
                inc->revenue_loss_per_hour > 0 ? inc->revenue_loss_per_hour : 0;
        in->has_revenue = inc->arr_at_risk > 0 || inc->revenue_loss_per_hour >= 0;
        in->has_slo_burn_rate = inc->slo_burn_rate >= 0;
        in->slo_burn_rate = in->has_slo_burn_rate ? inc->slo_burn_rate : 0;
        in->impacted_services = (int64_t)ctx->impacted_cnt;
        in->catalog_services = (int64_t)conf->services_cnt;
        in->impacted_users = ctx->impacted_users;
        in->catalog_users = ctx->catalog_users;
        in->max_tier = (customer_tier_t)inc->max_tier;
        in->strategic = inc->strategic;
        in->duration_ms = ctx->duration_ms;
        in->sentiment_count = inc->sentiment_count;
        in->sentiment_negative = inc->sentiment_negative;
        in->sentiment_sum = inc->sentiment_sum;
        in->sentiment_now_count = inc->sentiment_now_count;
        in->sentiment_now_negative = inc->sentiment_now_negative;
        in->sentiment_now_sum = inc->sentiment_now_sum;
        in->sentiment_prev_count = inc->sentiment_prev_count;
        in->sentiment_prev_sum = inc->sentiment_prev_sum;
        in->declared_severity = inc->declared_severity;
        in->tickets_now = inc->tickets_now;
        in->tickets_prev = inc->tickets_prev;
        in->tickets_total = inc->tickets_total;
        in->sla_at_risk = ctx->sla.at_risk;
        in->sla_breached = ctx->sla.breached;
}

void emit_scored(const incident_t *inc, const emit_ctx_t *ctx,
                 const score_result_t *r, scored_t *out) {
        memset(out, 0, sizeof(*out));
        out->incident_id = inc->id;
        out->revision = inc->revision;
        out->open = inc->open;
        out->result = r;
        out->affected_users = inc->affected_users > 0 ? inc->affected_users : 0;
        out->affected_accounts = inc->affected_accounts;
        out->arr_at_risk = inc->arr_at_risk;
        out->root_service = inc->root_service;
        out->impacted_services = ctx->impacted;
        out->impacted_services_cnt = ctx->impacted_cnt;
        out->segments = inc->segments;
        out->segments_cnt = inc->segments_cnt;
        out->sentiment_count = inc->sentiment_count;
        out->declared_severity = inc->declared_severity;
        out->detected_at = inc->detected_at;
        out->triaged_at = inc->triaged_at;
        out->resolved_at = inc->open ? 0 : inc->resolved_at;
        out->tickets_total = inc->tickets_total;
        out->tickets_open = inc->tickets_open;
        out->region_users = inc->region_users;
        out->region_users_cnt = inc->region_users_cnt;
        out->segments_summary = ctx->segments_summary;
        out->sla_at_risk = ctx->sla.at_risk;
        out->sla_breached = ctx->sla.breached;
        out->personal_data_at_risk = inc->personal_data_at_risk;
}

static void earliest(int64_t *best, int64_t at, int64_t after) {
        if (at > after && (!*best || at < *best))
                *best = at;
}

/* When duration alone, growing one point of its dimension every
 * full_scale/100 minutes, lifts the score into the next level: a long
 * incident escalates on the minute, not at the next periodic re-score.
 * 0 when it cannot (level 1, or the duration dimension tops out first). */
static int64_t level_by_duration_at(const score_config_t *sc,
                                    const incident_t *inc, const emit_ctx_t *ctx,
                                    const score_result_t *r) {
        double total = 0;
        for (int d = 0; d < DIM_COUNT; d++)
                total += sc->weights[d];
        if (r->computed_level <= 1 || total <= 0 || sc->duration_full_scale_min <= 0)
                return 0;
        double per_min = sc->weights[DIM_DURATION] / total * 100.0 /
                         sc->duration_full_scale_min;
        double need = sc->level_thresholds[r->computed_level - 2] - r->score;
        if (per_min <= 0 || need <= 0)
                return 0;
        double minutes = (double)ctx->duration_ms / 60000.0 + need / per_min;
        if (minutes > sc->duration_full_scale_min)
                return 0;
        /* A second late: the rounded score has crossed by then. */
        return inc->detected_at + (int64_t)(minutes * 60000.0) + 1000;
}

int64_t emit_next_deadline(const config_t *conf, const incident_t *inc,
                           const emit_ctx_t *ctx, const score_result_t *r) {
        const score_config_t *sc = &conf->scoring;
        int64_t now = ctx->now, next = 0;
        if (!inc->open)
                return 0;
        earliest(&next, now + conf->lifecycle.rescore_interval_ms, now);
        /* Only an incident the triage clock would raise needs waking. */
        bool lacks_signal = inc->affected_users < 0 && inc->arr_at_risk <= 0 &&
                            inc->revenue_loss_per_hour < 0 &&
                            inc->tickets_total == 0;
        if (sc->triage_after_ms > 0 && lacks_signal && !r->triage_escalated)
                earliest(&next, inc->detected_at + sc->triage_after_ms, now);
        earliest(&next, level_by_duration_at(sc, inc, ctx, r), now);
        earliest(&next, ctx->sla.next_change_at, now);
        if (inc->quiet_since)
                earliest(&next, inc->quiet_since + conf->lifecycle.quiet_time_ms,
                         now - 1);
        if (sc->minor_long_running_ms > 0 &&
            inc->declared_severity >= sc->minor_severity)
                earliest(&next, inc->detected_at + sc->minor_long_running_ms, now);
        return next;
}
