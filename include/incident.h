/* An incident's facts, as assessing (blast radius, score, next deadline)
 * and deciding (policy, notifications) read them.  Filled today from the
 * reply of the Redis apply call (redis_state_read_apply); the owned
 * pipeline fills it from the incident held in memory (docs/architecture.md,
 * "Owned incidents"). */
#ifndef IMPACTD_INCIDENT_H
#define IMPACTD_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "output.h"

/* A service still firing when its incident resolved, handed over to an
 * incident of its own, with the alert facts to open it with. */
typedef struct handover {
        const char *service;
        int disruption;         /* -1 = never reported */
        int64_t affected_users; /* -1 = never reported */
        double slo_burn_rate;   /* -1 = never reported */
        double revenue_loss_per_hour; /* -1 = never reported */
        const char *region;     /* "" = none */
} handover_t;

/* An account that reported tickets, as the incident counted it. */
typedef struct incident_account {
        const char *id;
        customer_tier_t tier; /* TIER_NONE = unknown */
        double arr;
        bool strategic;
        int64_t tickets;
} incident_account_t;

/* An incident's facts.  Strings are views, into the Redis reply the
 * incident owns (reply_) or into the aggregate it was filled from; the
 * lists are its own.  incident_clear() releases both. */
typedef struct incident {
        const char *id; /* set by the caller: not part of the reply */
        bool gone;   /* a re-score found it expired: nothing else is set */
        int64_t revision;
        bool open;
        const char *root_service; /* "" until an alert names one */
        int64_t detected_at, last_event_at, resolved_at, triaged_at;
        int64_t quiet_since; /* all alerts resolved since; 0 = not quiet */
        int declared_severity;       /* 0 = none */
        int64_t affected_users;      /* -1 = never reported */
        int disruption;              /* disruption_t, -1 = never reported */
        double slo_burn_rate;        /* -1 = never reported */
        double revenue_loss_per_hour; /* -1 = never reported */
        int64_t affected_accounts;
        double arr_at_risk;
        int max_tier; /* customer_tier_t */
        unsigned tiers; /* every tier affected: bit (1 << customer_tier_t) */
        bool strategic;
        int64_t tickets_total, tickets_open;
        bool personal_data_at_risk;
        int64_t personal_data_at; /* first reported; 0 = never */
        /* What the policy and the notifications decided so far, at
         * version decide_v (redis_state_append_decide). */
        const char *policy_state, *notify_state;
        int64_t decide_v;
        /* The state generation it was last changed in (redis_state_check):
         * 0 unless Redis lost state since. */
        int64_t generation;
        int64_t sentiment_count, sentiment_negative;
        double sentiment_sum;
        /* Sentiment in the current window and the one before it. */
        int64_t sentiment_now_count, sentiment_now_negative;
        double sentiment_now_sum;
        int64_t sentiment_prev_count;
        double sentiment_prev_sum;
        int64_t tickets_now, tickets_prev; /* trend windows */
        bool changed;      /* this call changed the state: a new revision */
        bool redo;         /* it did not, but the follow-ups of the current
                              revision were never stored (done) */
        int64_t dups;      /* events of this call seen before */
        bool resolved_now; /* this call resolved the incident */
        bool reopened;     /* this call reopened a resolved incident */
        const char **services; /* services that alerted, in no set order */
        size_t services_cnt;
        const char **impacted; /* blast radius stored so far, sorted */
        size_t impacted_cnt;
        segment_count_t *segments;
        size_t segments_cnt;
        region_users_t *region_users;
        size_t region_users_cnt;
        handover_t *handovers;
        size_t handovers_cnt;
        /* The key accounts (ENTERPRISE or strategic) while open; every
         * account that reported a ticket once resolved. */
        incident_account_t *accounts;
        size_t accounts_cnt;
        const char **new_tickets; /* tickets this call saw first */
        size_t new_tickets_cnt;
        void *reply_; /* owned redisReply */
        char **fields_; /* owned: views into reply_ */
} incident_t;

void incident_clear(incident_t *inc);

#endif
