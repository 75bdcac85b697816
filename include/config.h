/* YAML configuration -> typed struct.
 *
 * Every key is documented in config/impactd.yaml.  Values may use ${VAR} and
 * ${VAR:-default} interpolation (environment).  Errors name the file, the
 * line and the dotted key, e.g.
 *   "config/impactd.yaml:42: scoring.weights.revenue: expected a number, got 'x'"
 */
#ifndef IMPACTD_CONFIG_H
#define IMPACTD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"
#include "impactd.h"
#include "policy.h"
#include "notify.h"
#include "score.h"
#include "silence.h"

typedef enum {
        TOPIC_ALERTS = 0,
        TOPIC_TICKETS,
        TOPIC_SENTIMENT,
        TOPIC_SCORED,
        TOPIC_ESCALATIONS,
        TOPIC_NOTIFICATIONS,
        TOPIC_DLQ,
        TOPIC_COUNT,
} topic_role_t;

#define TOPIC_INPUT_COUNT 3 /* TOPIC_ALERTS..TOPIC_SENTIMENT */

typedef enum { FORMAT_AVRO = 0, FORMAT_JSON } wire_format_t;

/* A librdkafka property passed through untouched. */
typedef struct config_prop {
        char *name;
        char *value;
} config_prop_t;

/* Schema id (Confluent wire format) -> .avsc file. */
typedef struct config_schema {
        int32_t id;
        char *path; /* resolved: absolute, or relative to the cwd */
} config_schema_t;

typedef struct config_service {
        char *name;
        int64_t users;    /* 0 = unknown */
        char *team;       /* may be NULL */
        /* What customers call it ({{service_display}}); NULL = the
         * notifications.default_display_name, never the internal name. */
        char *display_name;
        char **depends_on;
        size_t depends_on_cnt;
} config_service_t;

typedef struct config_account {
        char *id;
        customer_tier_t tier; /* TIER_NONE when not given */
        double arr;           /* < 0 when not given */
        bool strategic;
        /* Whose SLA targets (scoring.sla.tiers) its tickets are held to,
         * e.g. a PRO account on an ENTERPRISE contract; TIER_NONE = those
         * of its own tier. */
        customer_tier_t sla;
} config_account_t;

typedef struct config {
        char *path; /* the file it was loaded from */

        struct {
                char *brokers; /* "" or NULL = embedded mock cluster */
                char *group_id;
                char *client_id;
                char *topics[TOPIC_COUNT];
                wire_format_t output_format[TOPIC_COUNT]; /* outputs only */
                int embedded_partitions;   /* partitions per embedded topic */
                int embedded_brokers;
                int batch_max_messages;    /* max messages per poll batch */
                int batch_max_wait_ms;     /* max wait to fill a batch */
                int delivery_timeout_ms;   /* max wait for output acks */
                config_prop_t *consumer_props;
                size_t consumer_props_cnt;
                config_prop_t *producer_props;
                size_t producer_props_cnt;
        } kafka;

        struct {
                char *url;      /* redis://[:password@]host:port[/db] or unix:///path */
                char *password; /* NULL = none; overrides the URL's */
                int database;   /* -1 = as in the URL (default 0) */
                int connect_timeout_ms;
                int command_timeout_ms;
                char *key_prefix;  /* "impact" */
                int64_t pending_ttl_s;  /* unattributed events kept this long */
                int64_t incident_ttl_s; /* an incident's keys expire after this
                                           long without events */
        } redis;

        struct {
                config_schema_t *entries; /* every schema id that can be read */
                size_t cnt;
                /* The schema id impactd writes each topic with, in Avro
                 * (`produce` for inputs; the worker for outputs).  0 = none. */
                int32_t writer_id[TOPIC_COUNT];
        } schemas;

        struct {
                size_t max_message_bytes; /* larger input -> DLQ */
                size_t max_string_bytes;  /* longer string field -> DLQ */
                int64_t max_future_s; /* event further ahead -> DLQ; 0 = off */
        } limits;

        score_config_t scoring;

        /* How incidents open, resolve, reopen and expire. */
        struct {
                /* All alerts resolved for this long -> RESOLVED; 0 = at once. */
                int64_t quiet_time_ms;
                /* A firing alert of its service this soon after RESOLVED
                 * reopens the same incident; later, a new one opens. */
                int64_t reopen_window_ms;
                /* A resolved incident's keys expire after this long. */
                int64_t retention_s;
                /* Open incidents are re-scored at least this often with no
                 * new event (duration, SLA and triage clocks move). */
                int64_t rescore_interval_ms;
                /* Deadlines claimed per poll, and how long a claim is held
                 * before another worker may take it over. */
                int deadline_batch;
                int64_t deadline_lease_ms;
        } lifecycle;

        struct {
                /* Account id up to the first of these characters is its
                 * partition prefix (segment "account_prefix"); "" = off. */
                char *account_prefix_separators;
                /* Regions the summary names as unaffected ("none in X"). */
                char **known_regions;
                size_t known_regions_cnt;
        } segments;

        /* Who is paged for what, debounce and cooldown (policy:). */
        policy_config_t policy;
        /* Maintenance windows of the file (silences:); more come from
         * Redis at run time.  They never mute resolves or impact.scored.
         * silence_t has fixed-size fields: one free() of the array. */
        silence_t *silences;
        size_t silences_cnt;

        /* Accounts also read from Redis hashes <key_prefix>:account:<id>
         * (fields tier, arr, strategic, sla) kept by another system; they
         * win over the YAML catalog, event fields win over both. */
        bool accounts_from_redis;

        /* Audiences, templates and issue types of notifications. */
        notify_config_t notify;

        config_service_t *services;
        size_t services_cnt;
        config_account_t *accounts;
        size_t accounts_cnt;

        char *log_level; /* "debug" | "info" | "warn" | "error" */
} config_t;

/* Loads and validates `path`.  Returns NULL and fills errstr on failure.
 * The caller owns the result: config_destroy(). */
config_t *config_load(const char *path, char *errstr, size_t errstr_size);

/* Same, from an in-memory YAML document; `name` is used in messages. */
config_t *config_load_string(const char *yaml, size_t len, const char *name,
                             char *errstr, size_t errstr_size);

void config_destroy(config_t *conf);

/* Writes the effective configuration (after interpolation and defaults) as
 * YAML to `fp`, with secrets (redis password, any librdkafka property whose
 * name contains "password", "secret" or "sasl.jaas") masked as "*****". */
void config_print(const config_t *conf, FILE *fp);

/* Lookups; NULL when absent.  Linear scans are fine: called per batch per
 * distinct name, catalogs are small (large account catalogs live in Redis). */
const config_service_t *config_service_find(const config_t *conf,
                                            const char *name);
const config_account_t *config_account_find(const config_t *conf,
                                            const char *id);
const char *config_schema_path(const config_t *conf, int32_t id);

const char *topic_role_name(topic_role_t role); /* "alerts", "scored", ... */

/* Expands ${VAR} and ${VAR:-default} in `in`, and ${file:PATH} to the
 * contents of PATH (a mounted secret; one trailing newline dropped, 64 KiB
 * at most).  Returns a malloc'd string, or NULL with errstr ("unterminated
 * ${", "variable X is not set", "${file:P}: No such file...") on error.
 * ${VAR} with VAR unset is an error; ${VAR:-} yields "". "$$" yields "$". */
char *config_interpolate(const char *in, char *errstr, size_t errstr_size);

#endif
