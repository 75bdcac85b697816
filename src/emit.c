/* Incident facts -> score input, scored record and level escalations. */
#include "emit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Services of one incident share most of their users (checkout-web and
 * payments serve the same shoppers), so the population at risk is the
 * largest catalog figure among them, never the sum. */
static int64_t users_of(const config_t *conf, const incident_t *inc) {
        int64_t users = 0;
        for (size_t i = 0; i < inc->services_cnt; i++) {
                const config_service_t *s = config_service_find(conf, inc->services[i]);
                if (s && s->users > users)
                        users = s->users;
        }
        return users;
}

void emit_score_input(const config_t *conf, const incident_t *inc,
                      score_input_t *in) {
        memset(in, 0, sizeof(*in));
        in->has_affected_users = inc->affected_users >= 0;
        in->affected_users = in->has_affected_users ? inc->affected_users : 0;
        in->users_total = users_of(conf, inc);
        in->disruption = inc->disruption >= 0 ? (disruption_t)inc->disruption
                                              : DISRUPTION_DEGRADED;
        in->arr_at_risk = inc->arr_at_risk;
        in->revenue_loss_per_hour =
                inc->revenue_loss_per_hour > 0 ? inc->revenue_loss_per_hour : 0;
        in->has_revenue = inc->arr_at_risk > 0 || inc->revenue_loss_per_hour >= 0;
        in->has_slo_burn_rate = inc->slo_burn_rate >= 0;
        in->slo_burn_rate = in->has_slo_burn_rate ? inc->slo_burn_rate : 0;
        in->impacted_services = (int64_t)inc->services_cnt;
        in->catalog_services = (int64_t)conf->services_cnt;
        in->max_tier = (customer_tier_t)inc->max_tier;
        in->strategic = inc->strategic;
        in->duration_ms = inc->last_event_at - inc->detected_at;
        in->sentiment_count = inc->sentiment_count;
        in->sentiment_negative = inc->sentiment_negative;
        in->sentiment_sum = inc->sentiment_sum;
        in->declared_severity = inc->declared_severity;
        in->tickets_now = inc->tickets_now;
        in->tickets_prev = inc->tickets_prev;
}

void emit_scored(const incident_t *inc, const score_result_t *r,
                 scored_t *out) {
        memset(out, 0, sizeof(*out));
        out->incident_id = inc->id;
        out->revision = inc->revision;
        out->open = inc->open;
        out->result = r;
        out->affected_users = inc->affected_users > 0 ? inc->affected_users : 0;
        out->affected_accounts = inc->affected_accounts;
        out->arr_at_risk = inc->arr_at_risk;
        out->root_service = inc->root_service;
        out->impacted_services = inc->services;
        out->impacted_services_cnt = inc->services_cnt;
        out->segments = inc->segments;
        out->segments_cnt = inc->segments_cnt;
        out->sentiment_count = inc->sentiment_count;
        out->declared_severity = inc->declared_severity;
        out->detected_at = inc->detected_at;
        out->triaged_at = inc->triaged_at;
        out->resolved_at = inc->open ? 0 : inc->resolved_at;
        out->tickets_total = inc->tickets_total;
        out->tickets_open = inc->tickets_open;
}

const char *emit_level_target(int level) {
        if (level <= 2)
                return "incident_commander";
        if (level == 3)
                return "on_call_engineer";
        return "service_owner";
}

bool emit_level_escalation(const incident_t *inc, const score_result_t *r,
                           emit_escalation_buf_t *buf) {
        if (!inc->open || r->level >= inc->max_escalated)
                return false;
        escalation_t *e = &buf->esc;
        memset(e, 0, sizeof(*e));
        /* One id per (incident, trigger, level): a replay or a racing
         * worker computes the same id, and Redis lets only one claim it. */
        snprintf(buf->id, sizeof(buf->id), "%s:level:%d", inc->id, r->level);
        snprintf(buf->summary, sizeof(buf->summary),
                 "%s: level %d (score %.1f, %s), %" PRId64 " users affected "
                 "(%.0f%%), %" PRId64 " accounts, ARR at risk %.0f, %" PRId64
                 " tickets",
                 inc->root_service[0] ? inc->root_service : inc->id, r->level,
                 r->score, impact_class_name(r->impact_class),
                 inc->affected_users > 0 ? inc->affected_users : 0,
                 r->user_share * 100.0, inc->affected_accounts,
                 inc->arr_at_risk, inc->tickets_total);
        e->escalation_id = buf->id;
        e->incident_id = inc->id;
        e->revision = inc->revision;
        e->from_level = inc->max_escalated <= 5 ? inc->max_escalated : 0;
        e->to_level = r->level;
        e->reason = "level_raised";
        e->target = emit_level_target(r->level);
        e->summary = buf->summary;
        e->created_at = inc->last_event_at;
        return true;
}
