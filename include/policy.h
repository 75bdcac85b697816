/* The escalation policy (docs/escalation-policy.md): which triggers page
 * whom, debounce (group_wait), cooldown (repeat_interval) with the bypass
 * for a more severe level, and silences.
 *
 * Pure: no I/O, no clock.  The worker fills a policy_input_t from the
 * incident and its score, loads the incident's policy_state_t from Redis
 * (policy_state_parse), calls policy_evaluate(), claims the new state with
 * a compare-and-set on its version and only then produces the decisions;
 * a worker that loses the race drops its decisions and evaluates again on
 * the winner's state.  Ids are deterministic, so a replay computes the
 * same ones. */
#ifndef IMPACTD_POLICY_H
#define IMPACTD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "impactd.h"
#include "output.h"
#include "silence.h"

typedef enum {
        TRIGGER_LEVEL = 0,         /* key: the level reached, "1".."5" */
        TRIGGER_SENTIMENT_SURGE,   /* key: "-" */
        TRIGGER_KEY_ACCOUNT,       /* key: the account id */
        TRIGGER_SLA_AT_RISK,       /* key: the tier, "ENTERPRISE" */
        TRIGGER_SLA_BREACHED,      /* key: the tier */
        TRIGGER_TRIAGE_TIMEOUT,    /* key: "-" */
        TRIGGER_SEVERITY_MISMATCH, /* key: "-" */
        TRIGGER_PERSONAL_DATA,     /* key: "-" */
        TRIGGER_KIND_COUNT,
} trigger_kind_t;

/* "level", "sentiment_surge", ...: the reason of an escalation, the
 * trigger part of its id and the config key of its targets. */
const char *trigger_kind_name(trigger_kind_t t);
int trigger_kind_parse(const char *s, trigger_kind_t *out); /* 0 or -1 */

#define POLICY_MAX_ROLES 4 /* roles paged per trigger (or per level) */
#define POLICY_ROLE_MAX  48
#define POLICY_LEVELS    5

/* Roles are free-form ("incident_commander", "payments-oncall") but only
 * [A-Za-z0-9_.-], so they can be part of an id as they are. */
typedef struct policy_roles {
        size_t cnt;
        char role[POLICY_MAX_ROLES][POLICY_ROLE_MAX];
} policy_roles_t;

/* Every setting; defaults in policy_config_defaults(), YAML keys under
 * `policy:` (config/impactd.yaml). */
typedef struct policy_config {
        int64_t group_wait_ms;        /* debounce of a new incident; 0 = none */
        int64_t repeat_interval_ms;   /* cooldown per trigger, key and target */
        int64_t regulator_deadline_h; /* personal data: report within (72) */
        policy_roles_t level[POLICY_LEVELS + 1];    /* [1..5]; [0] unused */
        policy_roles_t targets[TRIGGER_KIND_COUNT]; /* [TRIGGER_LEVEL] unused */
} policy_config_t;

void policy_config_defaults(policy_config_t *pc);

/* The roles paged for a trigger; for TRIGGER_LEVEL those of `level`. */
const policy_roles_t *policy_targets(const policy_config_t *pc,
                                     trigger_kind_t t, int level);

/* Valid role name (non-empty, [A-Za-z0-9_.-], shorter than
 * POLICY_ROLE_MAX). */
bool policy_role_valid(const char *role);

/* An account affected by the incident, as the worker knows it (ticket
 * fields, the catalog or the Redis account hash). */
typedef struct policy_account {
        const char *id;
        customer_tier_t tier;
        bool strategic;
} policy_account_t;

/* What the policy looks at, filled by the worker from incident_t, the
 * score_result_t and its SLA standing.  Views: nothing is copied. */
typedef struct policy_input {
        const char *incident_id;
        int64_t revision;
        /* The state generation the incident lives in (redis_state.h): 0,
         * or after Redis lost state the new one, which the escalation ids
         * carry so that none repeats an id published before the loss. */
        int64_t generation;
        bool open;                /* false: resolved; nothing pages */
        int64_t detected_at;      /* epoch ms; <= 0 = unknown (no debounce) */
        int64_t now;              /* the incident clock */
        int level;                /* published level 1..5 (triage included) */
        double score;             /* for the summary */
        const char *root_service; /* "" or NULL = none yet */
        const char *const *services; /* services that alerted */
        size_t services_cnt;
        const silence_label_t *labels; /* region=..., team=... */
        size_t labels_cnt;
        /* Trigger conditions. */
        bool sentiment_surge;             /* score_result_t.sentiment_surge */
        const policy_account_t *accounts; /* affected accounts (at least the
                                             ENTERPRISE and strategic ones) */
        size_t accounts_cnt;
        unsigned sla_at_risk; /* tier bits (1 << customer_tier_t) */
        unsigned sla_breached;
        bool triage_escalated;  /* score_result_t.triage_escalated */
        bool severity_mismatch; /* score_result_t.severity_mismatch */
        const char *mismatch_reason; /* its reason; NULL = none */
        /* For the summary of level pages: what the impact is, e.g. "9000
         * users (30%), 1 accounts, ARR at risk 300000"; NULL = none. */
        const char *impact;
        bool personal_data_at_risk;
        int64_t personal_data_at; /* first reported; <= 0 = detected_at */
        /* Silences to apply (config and Redis); inactive ones are skipped. */
        const silence_t *silences;
        size_t silences_cnt;
} policy_input_t;

/* ---- per-incident state (a Redis hash value) ---- */

#define POLICY_KEY_MAX   96  /* an encoded trigger key, NUL included */
#define POLICY_STATE_MAX 128 /* (trigger, key, target) entries tracked */
#define POLICY_NO_LEVEL  6   /* "no level": none seen / none paged */
/* policy_state_format() never needs more than this, NUL included. */
#define POLICY_STATE_STR_MAX (32 + POLICY_STATE_MAX * 200)

/* One (trigger, key, target) that fired. */
typedef struct policy_entry {
        trigger_kind_t trigger;
        char key[POLICY_KEY_MAX]; /* encoded, as in the escalation id */
        char target[POLICY_ROLE_MAX];
        uint32_t seq;    /* fires so far (muted ones included) */
        int64_t last_at; /* time of the last fire */
        bool active;     /* the condition held at the last evaluation */
        bool muted;      /* the last fire was muted: nobody paged yet */
} policy_entry_t;

typedef struct policy_state {
        bool debounced; /* group_wait has passed: triggers are live */
        int last_level; /* level at the last live evaluation; 6 = none */
        int max_paged;  /* most severe level paged; 6 = none */
        size_t cnt;
        policy_entry_t entries[POLICY_STATE_MAX];
        /* Not stored: due this evaluation but not paged because the state
         * was full (the worker logs and counts them). */
        size_t untracked;
} policy_state_t;

/* A fresh state: nothing paged, debounce not passed. */
void policy_state_init(policy_state_t *st);

/* Compact, space-free text:
 *   v1|<debounced>|<last_level>|<max_paged>|<entry>|<entry>...
 *   entry = <trigger>,<key>,<target>,<seq>,<last_at>,<flags "", a, am>
 * Returns the length (without NUL) or -1 when `size` is too small
 * (POLICY_STATE_STR_MAX always suffices). */
int policy_state_format(const policy_state_t *st, char *buf, size_t size);

/* The inverse.  "" (or NULL) is a fresh state.  IMPACTD_ERR_INVALID with
 * the reason on anything else that is not a valid state. */
impactd_err_t policy_state_parse(const char *s, policy_state_t *st,
                                 char *errstr, size_t errstr_size);

/* ---- decisions ---- */

#define POLICY_SUFFIX_MAX  (32 + POLICY_KEY_MAX + POLICY_ROLE_MAX + 16)
#define POLICY_SUMMARY_MAX 400

typedef struct policy_decision {
        /* The escalation id after its "<incident>:", which is as long as
         * the incident id is: "<trigger>:<key>:<target>:<seq>".  The whole
         * id: policy_escalation_id(). */
        char id_suffix[POLICY_SUFFIX_MAX];
        int64_t generation; /* the input's: in the id when not 0 */
        trigger_kind_t trigger;
        char key[POLICY_KEY_MAX];
        char target[POLICY_ROLE_MAX];
        uint32_t seq;
        const char *account_id; /* key accounts: a view into the input */
        customer_tier_t tier;   /* SLA triggers; TIER_NONE otherwise */
        int from_level;         /* level triggers: level before; 0 = none */
        int to_level;           /* the incident's level */
        int64_t deadline_at;    /* personal data: report by; 0 otherwise */
        bool muted;             /* a silence matched: count, log, don't send */
        char silence_id[SILENCE_ID_MAX];
        char summary[POLICY_SUMMARY_MAX];
} policy_decision_t;

/* Room for every decision one evaluation can make with the defaults and a
 * handful of key accounts; more are made on the next call. */
#define POLICY_MAX_DECISIONS 64

/* The escalations due at in->now, muted or not, into `out` (at most
 * `max`); the state is updated as if they were sent.  *next_eval_at is the
 * time the caller must evaluate again with no new event (the end of the
 * debounce, or of a silence hiding a held condition; `now` when `out` was
 * too small), 0 = none.  Returns how many decisions were made. */
size_t policy_evaluate(const policy_config_t *pc, const policy_input_t *in,
                       policy_state_t *st, policy_decision_t *out, size_t max,
                       int64_t *next_eval_at);

/* The silence muting the incident at in->now: the first active one
 * matching its root service, or before a root is known, one matching each
 * of its services; NULL = none.  The worker mutes notifications by it. */
const silence_t *policy_silence(const policy_input_t *in);

/* The escalation id "<incident>:<trigger>:<key>:<target>:<seq>", and
 * ":g<generation>" after it in a state generation after a loss, into
 * `out` (size bytes, NUL included; out may be NULL with size 0).  Returns
 * its length, as snprintf: a result >= size did not fit. */
size_t policy_escalation_id(const char *incident_id,
                            const policy_decision_t *d, char *out,
                            size_t size);

/* The impact.escalations record of a decision: views into `d`, `in` and
 * `escalation_id` (policy_escalation_id()'s). */
void policy_escalation(const policy_decision_t *d, const policy_input_t *in,
                       const char *escalation_id, escalation_t *out);

#endif
