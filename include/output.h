/* The output records of the contract (impact.scored, impact.escalations,
 * impact.notifications) as C types.  Field names follow DESIGN.md.
 * These are views: strings point into storage owned by whoever filled them
 * (the worker's incident state), valid until that is reset. */
#ifndef IMPACTD_OUTPUT_H
#define IMPACTD_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "score.h"

typedef enum {
        SEGMENT_REGION = 0,
        SEGMENT_PRODUCT_VERSION,
        SEGMENT_PLATFORM,
        SEGMENT_FEATURE,
        SEGMENT_ACCOUNT_PREFIX, /* data partition of the account id */
        SEGMENT_KIND_COUNT,
} segment_kind_t;

typedef struct segment_count {
        segment_kind_t kind;
        const char *value; /* e.g. "eu-central" */
        int64_t count;     /* tickets from that segment */
} segment_count_t;

/* Affected users by region (from alerts that name one). */
typedef struct region_users {
        const char *region;
        int64_t users;
} region_users_t;

typedef struct scored {
        const char *incident_id;
        int64_t revision;
        bool open;          /* status OPEN / RESOLVED */
        const score_result_t *result;
        int64_t affected_users;
        int64_t affected_accounts;
        double arr_at_risk;
        const char *root_service;
        const char *const *impacted_services;
        size_t impacted_services_cnt;
        const segment_count_t *segments;
        size_t segments_cnt;
        int64_t sentiment_count;
        int declared_severity; /* 0 = none -> null */
        int64_t detected_at;   /* epoch ms */
        int64_t triaged_at;    /* 0 = not yet -> null */
        int64_t resolved_at;   /* 0 = not yet -> null */
        int64_t tickets_total;
        int64_t tickets_open;
        const region_users_t *region_users;
        size_t region_users_cnt;
        const char *segments_summary; /* "tickets concentrated in ..." or "" */
        unsigned sla_at_risk;  /* tier bits, see score_sla_status_t */
        unsigned sla_breached;
        bool personal_data_at_risk;
} scored_t;

typedef struct escalation {
        const char *escalation_id; /* deterministic: incident, trigger, level, seq */
        const char *incident_id;
        int64_t revision;
        int from_level; /* 0 = no earlier escalation -> null */
        int to_level;
        const char *reason;  /* the trigger: "level", "key_account", ... */
        const char *target;  /* role, e.g. "incident_commander" */
        const char *summary; /* one line for humans */
        int64_t created_at;  /* epoch ms (event time) */
        /* Set by the triggers they belong to, else NULL / 0 (null): a
         * consumer routes an account manager's page by account, an SLA
         * page by tier, and files the regulator deadline. */
        const char *account_id; /* key_account */
        const char *tier;       /* sla_*: the tier; key_account: its tier */
        int64_t deadline_at;    /* personal_data */
} escalation_t;

typedef enum {
        AUDIENCE_EXECUTIVE = 0,
        AUDIENCE_ENGINEERING,
        AUDIENCE_CUSTOMER,
        AUDIENCE_ACCOUNT_MANAGER,
        AUDIENCE_CUSTOMER_LIAISON,
        AUDIENCE_COMPLIANCE,
        AUDIENCE_COUNT,
} audience_t;

typedef enum {
        NOTIFY_OPENED = 0,
        NOTIFY_IMPACT_CHANGED,
        NOTIFY_SLA_AT_RISK,
        NOTIFY_RESOLVED,
        NOTIFY_FOLLOW_UP,
        NOTIFY_KIND_COUNT,
} notify_kind_t;

typedef struct notification {
        const char *notification_id;
        const char *incident_id;
        int64_t revision;
        audience_t audience;
        const char *account_id; /* NULL unless per-account */
        notify_kind_t kind;
        const char *title; /* "[service] – [issue_type]" */
        const char *body;
        int64_t created_at;
} notification_t;

const char *segment_kind_name(segment_kind_t k); /* "region", "product_version", ... */
const char *audience_name(audience_t a);          /* "EXECUTIVE", ... */
const char *notify_kind_name(notify_kind_t k);    /* "OPENED", ... */

#endif
