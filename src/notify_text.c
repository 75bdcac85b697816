/* The words of notifications: placeholder names, which of them a
 * customer may see, and the built-in templates (docs/notifications.md
 * lists them; config/impactd.yaml shows how to override them). */
#include <stddef.h>

#include "notify.h"

const char *const notify_field_names[NF_COUNT] = {
        [NF_INCIDENT_ID] = "incident_id",
        [NF_REVISION] = "revision",
        [NF_STATUS] = "status",
        [NF_SERVICE] = "service",
        [NF_SERVICE_DISPLAY] = "service_display",
        [NF_TEAM] = "team",
        [NF_ISSUE_TYPE] = "issue_type",
        [NF_DISRUPTION] = "disruption",
        [NF_LEVEL] = "level",
        [NF_PREVIOUS_LEVEL] = "previous_level",
        [NF_IMPACT_CLASS] = "impact_class",
        [NF_PREVIOUS_CLASS] = "previous_class",
        [NF_SCORE] = "score",
        [NF_AFFECTED_USERS] = "affected_users",
        [NF_USER_SHARE] = "user_share",
        [NF_AFFECTED_ACCOUNTS] = "affected_accounts",
        [NF_ARR_AT_RISK] = "arr_at_risk",
        [NF_SLA_AT_RISK] = "sla_at_risk",
        [NF_SLA_BREACHED] = "sla_breached",
        [NF_SLA_CHANGE] = "sla_change",
        [NF_SLO_BURN_RATE] = "slo_burn_rate",
        [NF_BLAST_RADIUS] = "blast_radius",
        [NF_BLAST_RADIUS_COUNT] = "blast_radius_count",
        [NF_SERVICES] = "services",
        [NF_SEGMENTS] = "segments",
        [NF_TICKETS_TOTAL] = "tickets_total",
        [NF_TICKETS_OPEN] = "tickets_open",
        [NF_TICKET_TREND] = "ticket_trend",
        [NF_SENTIMENT_MEAN] = "sentiment_mean",
        [NF_SENTIMENT_COUNT] = "sentiment_count",
        [NF_DURATION] = "duration",
        [NF_DETECTED_AT] = "detected_at",
        [NF_RESOLVED_AT] = "resolved_at",
        [NF_PERSONAL_DATA] = "personal_data",
        [NF_COMPLIANCE_DEADLINE] = "compliance_deadline",
        [NF_ACCOUNT_ID] = "account_id",
        [NF_ACCOUNT_TIER] = "account_tier",
        [NF_ACCOUNT_ARR] = "account_arr",
        [NF_ACCOUNT_STRATEGIC] = "account_strategic",
        [NF_ACCOUNT_TICKETS] = "account_tickets",
        [NF_ACCOUNT_SLA] = "account_sla",
};

/* A status page speaks of what users see, in the product's own words:
 * no internal service or team names, no incident ids (they are built from
 * service names), no scores, levels or ticket internals. */
bool notify_field_customer_safe(notify_field_t f) {
        switch (f) {
        case NF_STATUS:
        case NF_SERVICE_DISPLAY:
        case NF_ISSUE_TYPE:
        case NF_AFFECTED_USERS:
        case NF_USER_SHARE:
        case NF_DURATION:
        case NF_DETECTED_AT:
        case NF_RESOLVED_AT:
        case NF_ACCOUNT_ID:
        case NF_ACCOUNT_TICKETS: return true;
        default: return false;
        }
}

/* "[service] – [issue_type]", with an en dash (U+2013, UTF-8 e2 80 93). */
#define DASH "\xe2\x80\x93"

const char *notify_default_title(audience_t a) {
        return a == AUDIENCE_CUSTOMER ? "{{service_display}} " DASH
                                        " {{issue_type}}"
                                      : "{{service}} " DASH " {{issue_type}}";
}

/* Short and factual: each audience gets the facts it acts on (DESIGN.md,
 * "Escalation and notification policy"; the domain notes on customer
 * impact reporting).  NULL: the pair is not sent unless configured. */
static const struct default_body {
        audience_t audience;
        notify_kind_t kind;
        const char *body;
} bodies[] = {
        {AUDIENCE_EXECUTIVE, NOTIFY_OPENED,
         "Incident {{incident_id}} opened at level {{level}} "
         "({{impact_class}}): {{affected_users}} users affected "
         "({{user_share}}), {{affected_accounts}} accounts, ARR at risk "
         "{{arr_at_risk}}. SLA at risk: {{sla_at_risk}}; breached: "
         "{{sla_breached}}. Open for {{duration}}."},
        {AUDIENCE_EXECUTIVE, NOTIFY_IMPACT_CHANGED,
         "Impact changed from level {{previous_level}} "
         "({{previous_class}}) to {{level}} ({{impact_class}}): "
         "{{affected_users}} users affected ({{user_share}}), "
         "{{affected_accounts}} accounts, ARR at risk {{arr_at_risk}}. "
         "SLA at risk: {{sla_at_risk}}; breached: {{sla_breached}}. Open "
         "for {{duration}}."},
        {AUDIENCE_EXECUTIVE, NOTIFY_SLA_AT_RISK,
         "SLA exposure: {{sla_change}}. Level {{level}}, "
         "{{affected_accounts}} accounts, ARR at risk {{arr_at_risk}}. "
         "Open for {{duration}}."},
        {AUDIENCE_EXECUTIVE, NOTIFY_RESOLVED,
         "Resolved after {{duration}} at level {{level}} "
         "({{impact_class}}): {{affected_users}} users ({{user_share}}) "
         "and {{affected_accounts}} accounts were affected, ARR at risk "
         "{{arr_at_risk}}. SLA breached: {{sla_breached}}."},
        {AUDIENCE_ENGINEERING, NOTIFY_OPENED,
         "Incident {{incident_id}} on {{service}} (team {{team}}): "
         "{{disruption}}, level {{level}}, score {{score}}. Blast radius "
         "({{blast_radius_count}}): {{blast_radius}}. SLO burn rate "
         "{{slo_burn_rate}}. Segments: {{segments}}. Tickets "
         "{{tickets_total}} ({{ticket_trend}})."},
        {AUDIENCE_ENGINEERING, NOTIFY_IMPACT_CHANGED,
         "Level {{previous_level}} -> {{level}}, class {{previous_class}} "
         "-> {{impact_class}}, score {{score}}. Blast radius "
         "({{blast_radius_count}}): {{blast_radius}}. SLO burn rate "
         "{{slo_burn_rate}}. Segments: {{segments}}. Tickets "
         "{{tickets_total}} ({{ticket_trend}})."},
        {AUDIENCE_ENGINEERING, NOTIFY_SLA_AT_RISK,
         "SLA {{sla_change}} on incident {{incident_id}}: level "
         "{{level}}, SLO burn rate {{slo_burn_rate}}, open for "
         "{{duration}}."},
        {AUDIENCE_ENGINEERING, NOTIFY_RESOLVED,
         "Incident {{incident_id}} resolved after {{duration}} at level "
         "{{level}}, score {{score}}. Blast radius: {{blast_radius}}."},
        {AUDIENCE_CUSTOMER, NOTIFY_OPENED,
         "We are investigating a problem with {{service_display}} "
         "({{issue_type}}) that started at {{detected_at}}. We will post "
         "updates here as we learn more."},
        {AUDIENCE_CUSTOMER, NOTIFY_IMPACT_CHANGED,
         "Update on the problem with {{service_display}} "
         "({{issue_type}}): about {{user_share}} of users are affected. "
         "We are working on a fix and will post updates here."},
        {AUDIENCE_CUSTOMER, NOTIFY_RESOLVED,
         "The problem with {{service_display}} is resolved and the "
         "service is working normally again. It lasted {{duration}}. We "
         "are sorry for the disruption."},
        {AUDIENCE_ACCOUNT_MANAGER, NOTIFY_OPENED,
         "Account {{account_id}} ({{account_tier}}, ARR {{account_arr}}, "
         "strategic: {{account_strategic}}) is affected by incident "
         "{{incident_id}}, level {{level}}: {{account_tickets}} tickets "
         "from it so far. Its SLA: {{account_sla}}."},
        {AUDIENCE_ACCOUNT_MANAGER, NOTIFY_IMPACT_CHANGED,
         "Incident {{incident_id}} is now level {{level}} "
         "({{impact_class}}). Account {{account_id}} ({{account_tier}}, "
         "ARR {{account_arr}}): {{account_tickets}} tickets so far. Its "
         "SLA: {{account_sla}}."},
        {AUDIENCE_ACCOUNT_MANAGER, NOTIFY_SLA_AT_RISK,
         "SLA {{sla_change}}. Account {{account_id}} ({{account_tier}}, "
         "ARR {{account_arr}}): {{account_tickets}} tickets; incident "
         "{{incident_id}} open for {{duration}}."},
        {AUDIENCE_ACCOUNT_MANAGER, NOTIFY_RESOLVED,
         "Incident {{incident_id}} resolved after {{duration}}. Account "
         "{{account_id}} ({{account_tier}}, ARR {{account_arr}}) reported "
         "{{account_tickets}} tickets. Its SLA: {{account_sla}}."},
        {AUDIENCE_CUSTOMER_LIAISON, NOTIFY_OPENED,
         "Incident {{incident_id}} ({{issue_type}} of "
         "{{service_display}}): {{tickets_total}} tickets "
         "({{tickets_open}} open), trend {{ticket_trend}}; sentiment "
         "{{sentiment_mean}} over {{sentiment_count}} messages. Segments: "
         "{{segments}}."},
        {AUDIENCE_CUSTOMER_LIAISON, NOTIFY_IMPACT_CHANGED,
         "Level {{previous_level}} -> {{level}} ({{impact_class}}). "
         "Tickets {{tickets_total}} ({{tickets_open}} open), trend "
         "{{ticket_trend}}; sentiment {{sentiment_mean}} over "
         "{{sentiment_count}} messages."},
        {AUDIENCE_CUSTOMER_LIAISON, NOTIFY_SLA_AT_RISK,
         "SLA {{sla_change}}: prioritise those tiers. Tickets "
         "{{tickets_total}} ({{tickets_open}} open), trend "
         "{{ticket_trend}}."},
        {AUDIENCE_CUSTOMER_LIAISON, NOTIFY_RESOLVED,
         "Incident {{incident_id}} resolved after {{duration}}. Tickets "
         "{{tickets_total}} ({{tickets_open}} still open); sentiment "
         "{{sentiment_mean}} over {{sentiment_count}} messages. "
         "Follow-ups to the reporting accounts come next."},
        {AUDIENCE_CUSTOMER_LIAISON, NOTIFY_FOLLOW_UP,
         "Follow up with {{account_id}} ({{account_tier}}, ARR "
         "{{account_arr}}): it reported {{account_tickets}} tickets "
         "during the {{issue_type}} of {{service_display}}, resolved at "
         "{{resolved_at}} after {{duration}}. {{user_share}} of users "
         "were affected; its SLA: {{account_sla}}."},
        {AUDIENCE_COMPLIANCE, NOTIFY_OPENED,
         "Personal data may be at risk in incident {{incident_id}} "
         "({{service}}, detected {{detected_at}}). Notification deadline "
         "(72 hours): {{compliance_deadline}}. {{affected_users}} users "
         "and {{affected_accounts}} accounts affected."},
        {AUDIENCE_COMPLIANCE, NOTIFY_RESOLVED,
         "Incident {{incident_id}}, with personal data at risk, resolved "
         "at {{resolved_at}}. Notification deadline (72 hours): "
         "{{compliance_deadline}}."},
};

const char *notify_default_body(audience_t a, notify_kind_t k) {
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
                if (bodies[i].audience == a && bodies[i].kind == k)
                        return bodies[i].body;
        return NULL;
}
