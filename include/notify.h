/* Which notifications an incident revision yields (docs/notifications.md):
 * audiences × kinds, rendered from the templates of the configuration.
 * Pure: the caller passes the incident's facts, its accounts and the
 * per-incident notify state; notify_evaluate() returns what is due and
 * updates the state as if it were sent.  The worker stores the state (a
 * short string, notify_state_format()) in Redis and claims it atomically,
 * so a replay or a racing worker sends nothing twice; silences are the
 * worker's business too. */
#ifndef IMPACTD_NOTIFY_H
#define IMPACTD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "output.h"
#include "score.h"
#include "template.h"

/* The placeholders of every template, {{name}} (names in notify.c and
 * docs/notifications.md).  Values are formatted by notify_evaluate(). */
typedef enum {
        NF_INCIDENT_ID = 0,
        NF_REVISION,
        NF_STATUS,
        NF_SERVICE,         /* root service, internal name */
        NF_SERVICE_DISPLAY, /* its customer-facing name */
        NF_TEAM,
        NF_ISSUE_TYPE,
        NF_DISRUPTION,
        NF_LEVEL,
        NF_PREVIOUS_LEVEL,
        NF_IMPACT_CLASS,
        NF_PREVIOUS_CLASS,
        NF_SCORE,
        NF_AFFECTED_USERS,
        NF_USER_SHARE,
        NF_AFFECTED_ACCOUNTS,
        NF_ARR_AT_RISK,
        NF_SLA_AT_RISK,
        NF_SLA_BREACHED,
        NF_SLA_CHANGE,
        NF_SLO_BURN_RATE,
        NF_BLAST_RADIUS,
        NF_BLAST_RADIUS_COUNT,
        NF_SERVICES,
        NF_SEGMENTS,
        NF_TICKETS_TOTAL,
        NF_TICKETS_OPEN,
        NF_TICKET_TREND,
        NF_SENTIMENT_MEAN,
        NF_SENTIMENT_COUNT,
        NF_DURATION,
        NF_DETECTED_AT,
        NF_RESOLVED_AT,
        NF_PERSONAL_DATA,
        NF_COMPLIANCE_DEADLINE,
        NF_ACCOUNT_ID,
        NF_ACCOUNT_TIER,
        NF_ACCOUNT_ARR,
        NF_ACCOUNT_STRATEGIC,
        NF_ACCOUNT_TICKETS,
        NF_ACCOUNT_SLA, /* "breached", "at risk" or "not at risk" */
        NF_COUNT,
} notify_field_t;

extern const char *const notify_field_names[NF_COUNT];

/* Whether a CUSTOMER template may use the field: internal names (services,
 * team, incident id), scores and ticket internals are not for a status
 * page.  The configuration rejects the others. */
bool notify_field_customer_safe(notify_field_t f);

/* The 72-hour notification deadline for personal data (GDPR art. 33),
 * counted from detection. */
#define NOTIFY_COMPLIANCE_DEADLINE_MS (72LL * 3600 * 1000)

/* One pair's templates; title NULL = the pair is not sent. */
typedef struct notify_template {
        template_t *title;
        template_t *body;
} notify_template_t;

/* notifications.* of the configuration (config_notify.c). */
typedef struct notify_config {
        notify_template_t templates[AUDIENCE_COUNT][NOTIFY_KIND_COUNT];
        bool audiences[AUDIENCE_COUNT]; /* enabled */
        /* Title issue type by worst disruption; [DISRUPTION_COUNT] is used
         * when no alert reported one. */
        char *issue_types[DISRUPTION_COUNT + 1];
        /* {{service_display}} of a service without a display_name. */
        char *default_display_name;
        bool loaded; /* defaults applied (config_notify.c) */
} notify_config_t;

/* An account affected by the incident (from tickets; tier, ARR and
 * strategic as the worker resolved them: event, Redis hash, catalog). */
typedef struct notify_account {
        const char *id;
        customer_tier_t tier; /* TIER_NONE when unknown */
        double arr;           /* < 0 when unknown */
        bool strategic;
        int64_t tickets; /* tickets it reported during the incident */
} notify_account_t;

/* Everything a notification can say; views, valid during the call. */
typedef struct notify_input {
        const char *incident_id;
        int64_t revision;
        bool open;
        int64_t now; /* created_at of the notifications (event time) */
        const char *root_service; /* "" when no alert named one */
        const char *display_name; /* NULL: the configured default */
        const char *team;         /* owning team; NULL = unknown */
        int disruption;           /* worst disruption_t; -1 = unknown */
        int level;
        impact_class_t impact_class;
        double score;
        int64_t affected_users; /* -1 = unknown */
        double user_share;      /* 0..1 */
        int64_t affected_accounts;
        double arr_at_risk;
        unsigned sla_at_risk, sla_breached; /* tier bits (score.h) */
        double slo_burn_rate;               /* < 0 = unknown */
        const char *const *blast_radius;    /* root first */
        size_t blast_radius_cnt;
        const char *const *services; /* that alerted */
        size_t services_cnt;
        const char *segments_summary; /* "" = none */
        int64_t tickets_total, tickets_open;
        ticket_trend_t ticket_trend;
        double sentiment_mean;
        int64_t sentiment_count;
        int64_t duration_ms;
        int64_t detected_at, resolved_at; /* epoch ms; 0 = not yet */
        bool personal_data_at_risk;
        /* When the regulator must have been told (epoch ms); 0 = detection
         * + 72 h.  notify_input_from() uses the policy's deadline. */
        int64_t compliance_deadline_at;
        const notify_account_t *accounts;
        size_t accounts_cnt;
} notify_input_t;

/* Key accounts remembered per incident (for ACCOUNT_MANAGER OPENED); an
 * incident with more gets no per-account notifications for the rest
 * (notify_result_t.accounts_dropped says how many). */
#define NOTIFY_STATE_ACCOUNTS_MAX 64
/* notify_state_format() never writes more than this, NUL included. */
#define NOTIFY_STATE_MAX (160 + NOTIFY_STATE_ACCOUNTS_MAX * 17)

/* What was notified for an incident so far.  All zero = fresh. */
typedef struct notify_state {
        int64_t revision;            /* last revision evaluated */
        unsigned opened;             /* audience bits: OPENED sent */
        int level;                   /* level last notified; 0 = none yet */
        impact_class_t impact_class; /* class last notified */
        unsigned sla_at_risk;        /* tier bits notified at risk ... */
        unsigned sla_breached;       /* ... and breached */
        unsigned resolved;           /* audience bits: RESOLVED sent */
        bool follow_ups;             /* FOLLOW_UPs sent */
        /* Key accounts told OPENED, as 64-bit FNV-1a hashes of their ids:
         * fixed size, and safe to print whatever the ids hold. */
        uint64_t accounts[NOTIFY_STATE_ACCOUNTS_MAX];
        size_t accounts_cnt;
} notify_state_t;

/* "r=12;o=3f;l=2;c=1;s=10;b=0;x=0;f=0;k=..." (no spaces) into buf; returns
 * buf.  The fresh state formats as "". */
const char *notify_state_format(const notify_state_t *st, char *buf,
                                size_t size);
/* The reverse; "" (or NULL) is the fresh state.  IMPACTD_ERR_INVALID +
 * errstr for anything notify_state_format() would not write. */
impactd_err_t notify_state_parse(const char *s, notify_state_t *st,
                                 char *errstr, size_t errstr_size);

/* The notifications of one evaluation.  Reuse it across calls: storage is
 * kept, so the hot path allocates only while growing. */
typedef struct notify_result {
        notification_t *items; /* strings point into the result */
        size_t cnt;
        size_t accounts_dropped; /* key accounts beyond the state's room */
        struct notify_scratch *scratch_; /* storage, private to notify.c */
} notify_result_t;

/* NULL when out of memory. */
notify_result_t *notify_result_new(void);
void notify_result_destroy(notify_result_t *res);

/* The notifications `in` yields given `st`, in a fixed order (kind, then
 * audience, then account), into `res` (emptied first); `st` is updated as
 * if they were sent.  A revision at or below st->revision yields nothing.
 * IMPACTD_ERR_NOMEM + errstr when out of memory (st unchanged). */
impactd_err_t notify_evaluate(const notify_config_t *cfg,
                              const notify_input_t *in, notify_state_t *st,
                              notify_result_t *res, char *errstr,
                              size_t errstr_size);

/* Fills `in` from what the worker has after scoring a revision: the
 * incident, its context and score, the catalog (display name and team of
 * the root service) and the incident's accounts, which the worker reads
 * from Redis.  `in` points into all of them. */
struct config;
struct incident;
struct emit_ctx;
void notify_input_from(notify_input_t *in, const struct config *conf,
                       const struct incident *inc, const struct emit_ctx *ctx,
                       const score_result_t *r,
                       const notify_account_t *accounts, size_t accounts_cnt);

/* The order follow-ups and account notifications go out in: strategic
 * and ENTERPRISE accounts first, then tier descending, ARR descending,
 * account id.  A qsort comparator of notify_account_t. */
int notify_account_cmp(const void *a, const void *b);

/* The built-in templates (docs/notifications.md); NULL where a pair is not
 * sent by default.  Titles default to notify_default_title(). */
const char *notify_default_body(audience_t a, notify_kind_t k);
const char *notify_default_title(audience_t a);

#endif
