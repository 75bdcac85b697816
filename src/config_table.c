/* The tables of keys (name, type, default, place in the struct, range) and
 * the sections with rules of their own: schema ids, level thresholds, the
 * SLA of each customer tier, and the service graph, whose dependencies must
 * name known services and form no cycle.  See config_internal.h. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* ---- sections with their own rules ---- */

void cfg_free_schemas(config_t *conf) {
        for (size_t i = 0; i < conf->schemas.cnt; i++)
                free(conf->schemas.entries[i].path);
        free(conf->schemas.entries);
        conf->schemas.entries = NULL;
        conf->schemas.cnt = 0;
}

/* Replaces the defaults: the ids listed are all the ids that can be read. */
static int parse_schema_ids(ctx_t *c, void *base, yaml_node_t *v,
                            const char *key) {
        config_t *conf = base;
        int n = cfg_children(c, v, YAML_MAPPING_NODE, key);
        yaml_node_t *k, *file;
        int64_t id;

        cfg_free_schemas(conf);
        if (n > 0 && !(conf->schemas.entries =
                               calloc((size_t)n, sizeof(config_schema_t))))
                return cfg_oom(c);
        for (int i = 0; i < n; i++) {
                config_schema_t *e = &conf->schemas.entries[i];

                cfg_pair_at(c, v, (size_t)i, &k, &file);
                if (cfg_parse_int(sval(k), &id) || id <= 0 || id > INT32_MAX)
                        return cfg_fail(c, line_of(k), key,
                                        "schema id must be a positive integer, "
                                        "got '%s'",
                                        sval(k));
                if (config_schema_path(conf, (int32_t)id))
                        return cfg_fail(c, line_of(k), key,
                                        "duplicate schema id %" PRId64, id);
                e->id = (int32_t)id;
                if (!(e->path = cfg_scalar(c, file, key)))
                        return -1;
                conf->schemas.cnt++;
                if (!*e->path)
                        return cfg_fail(c, line_of(file), key,
                                        "schema %" PRId64 ": empty file name",
                                        id);
        }
        return n < 0 ? -1 : 0;
}

static int parse_thresholds(ctx_t *c, void *base, yaml_node_t *v,
                            const char *key) {
        static const cfg_entry_t score = {.type = T_DOUBLE, .range = R_PERCENT};
        double *t = ((config_t *)base)->scoring.level_thresholds;
        int n = cfg_children(c, v, YAML_SEQUENCE_NODE, key);

        if (n >= 0 && n != 4)
                return cfg_fail(c, line_of(v), key,
                                "expected 4 scores (levels 1 to 4), got %d", n);
        for (int i = 0; i < n; i++) {
                yaml_node_t *item = cfg_item_at(c, v, (size_t)i);

                if (cfg_set_node(c, &score, &t[i], item, key))
                        return -1;
                if (i > 0 && t[i] >= t[i - 1])
                        return cfg_fail(c, line_of(item), key,
                                        "must be strictly descending, got %g "
                                        "after %g",
                                        t[i], t[i - 1]);
        }
        return n < 0 ? -1 : 0;
}

/* Reports `msg` at depends_on[j] of the i-th service of the catalog `map`. */
static int dep_error(ctx_t *c, yaml_node_t *map, size_t i, size_t j,
                     const char *msg) {
        yaml_node_t *k, *v, *dk, *dv;
        char key[KEY_MAX];
        int line = 0;

        cfg_pair_at(c, map, i, &k, &v);
        for (size_t p = 0; v->type == YAML_MAPPING_NODE && p < npairs(v); p++) {
                cfg_pair_at(c, v, p, &dk, &dv);
                if (!strcmp(sval(dk), "depends_on") &&
                    dv->type == YAML_SEQUENCE_NODE)
                        line = line_of(cfg_item_at(c, dv, j));
        }
        snprintf(key, sizeof(key), "services.%.400s.depends_on", sval(k));
        return cfg_fail(c, line, key, "%s", msg);
}

/* Depth-first; a dependency on a service still on the path closes a cycle,
 * reported as "a -> b -> a".  Every service is entered once: no loops. */
static int visit(ctx_t *c, yaml_node_t *map, size_t i, unsigned char *state,
                 size_t *path, size_t depth) {
        const config_service_t *svc = c->conf->services;
        char msg[1024];
        size_t d, p = 0;
        int len;

        state[i] = 1; /* on the path */
        path[depth] = i;
        for (size_t j = 0; j < svc[i].depends_on_cnt; j++) {
                if ((d = cfg_service_index(c->conf, svc[i].depends_on[j])) ==
                    SIZE_MAX) {
                        snprintf(msg, sizeof(msg),
                                 "service '%.400s' depends on unknown service "
                                 "'%.400s'",
                                 svc[i].name, svc[i].depends_on[j]);
                        return dep_error(c, map, i, j, msg);
                }
                if (state[d] == 0 && visit(c, map, d, state, path, depth + 1))
                        return -1;
                if (state[d] != 1)
                        continue;
                len = snprintf(msg, sizeof(msg), "dependency cycle: ");
                for (p = 0; path[p] != d; p++)
                        ;
                for (; p <= depth && len < (int)sizeof(msg); p++)
                        len += snprintf(msg + len, sizeof(msg) - (size_t)len,
                                        "%s -> ", svc[path[p]].name);
                if (len < (int)sizeof(msg))
                        snprintf(msg + len, sizeof(msg) - (size_t)len, "%s",
                                 svc[d].name);
                return dep_error(c, map, i, j, msg);
        }
        state[i] = 2; /* done */
        return 0;
}

static int check_services(ctx_t *c, yaml_node_t *map) {
        size_t n = c->conf->services_cnt, *path = calloc(n, sizeof(*path));
        unsigned char *state = calloc(n, 1);
        int rc = (!state || !path) ? cfg_oom(c) : 0;

        for (size_t i = 0; i < n && !rc; i++)
                if (!state[i])
                        rc = visit(c, map, i, state, path, 0);
        free(state);
        free(path);
        return rc;
}

static void init_account(void *elem) {
        ((config_account_t *)elem)->tier = TIER_NONE;
        ((config_account_t *)elem)->arr = -1;
}

/* ---- the tables ---- */

#define VAL(nm, ty, st, field, dflt, rng)                                      \
        { nm, ty, offsetof(st, field), 0, dflt, rng, NULL, false, NULL, NULL }
#define LIST(nm, ty, st, field, cnt, cat)                                      \
        {                                                                      \
                nm, ty, offsetof(st, field), offsetof(st, cnt), NULL, R_ANY,   \
                        cat, false, NULL, NULL                                 \
        }
#define E(nm, ty, field, dflt, rng) VAL(nm, ty, config_t, field, dflt, rng)
#define SC(nm, ty, field, rng)                                                 \
        VAL("scoring." nm, ty, config_t, scoring.field, NULL, rng)
#define SPECIAL(nm, parse_fn, print_fn, dflt)                                  \
        { nm, T_SPECIAL, 0, 0, dflt, R_ANY, NULL, false, parse_fn, print_fn }
#define LOADSTR(nm, field, dflt)                                               \
        {                                                                      \
                nm, T_LOADSTR, offsetof(ctx_t, field), 0, dflt, R_NONEMPTY,    \
                        NULL, false, NULL, NULL                                \
        }
#define TOPIC(r, R)                                                            \
        E("kafka.topics." #r, T_STRING, kafka.topics[TOPIC_##R], "impact." #r, \
          R_NONEMPTY)
#define FORMAT(r, R)                                                           \
        E("kafka.output_format." #r, T_FORMAT, kafka.output_format[TOPIC_##R], \
          "avro", R_ANY)
#define WRITER(r, R, id)                                                       \
        E("schemas.writer." #r, T_SCHEMA_ID, schemas.writer_id[TOPIC_##R], id, \
          R_NONNEG)

static const cfg_entry_t service_keys[] = {
        VAL("users", T_INT64, config_service_t, users, NULL, R_NONNEG),
        VAL("team", T_STRING, config_service_t, team, NULL, R_ANY),
        VAL("display_name", T_STRING, config_service_t, display_name, NULL,
            R_ANY),
        LIST("depends_on", T_STRLIST, config_service_t, depends_on,
             depends_on_cnt, NULL),
};

static const cfg_entry_t account_keys[] = {
        VAL("tier", T_TIER, config_account_t, tier, NULL, R_ANY),
        VAL("arr", T_DOUBLE, config_account_t, arr, NULL, R_NONNEG),
        VAL("strategic", T_BOOL, config_account_t, strategic, NULL, R_ANY),
        VAL("sla", T_TIER, config_account_t, sla, NULL, R_ANY),
};

/* ---- SLA per customer tier ---- */

const char *const cfg_tier_keys[TIER_COUNT] = {
        [TIER_FREE] = "free",
        [TIER_PRO] = "pro",
        [TIER_BUSINESS] = "business",
        [TIER_ENTERPRISE] = "enterprise",
};

const cfg_entry_t cfg_sla_keys[] = {
        VAL("response_minutes", T_MS_FROM_MIN, score_sla_t, response_ms, NULL,
            R_POS),
        VAL("resolution_minutes", T_MS_FROM_MIN, score_sla_t, resolution_ms,
            NULL, R_POS),
        VAL("at_risk_percent", T_DOUBLE, score_sla_t, at_risk_pct, NULL,
            R_PERCENT_POS),
};
const size_t cfg_sla_keys_cnt = ARRAY_SIZE(cfg_sla_keys);

static int tier_of_key(const char *name) {
        for (int t = TIER_FREE; t < TIER_COUNT; t++)
                if (!strcmp(name, cfg_tier_keys[t]))
                        return t;
        return -1;
}

/* Merged per tier into the defaults, so that changing one number of one
 * tier does not silently drop the other tiers' SLAs: a tier named here has
 * an SLA, and the keys it leaves out keep that tier's default; a tier
 * without a default (free) must give both targets.  null switches a tier's
 * SLA off; tiers not named keep their defaults. */
static int parse_sla_tiers(ctx_t *c, void *base, yaml_node_t *v,
                           const char *key) {
        score_sla_t *sla = ((config_t *)base)->scoring.sla;
        int n = cfg_children(c, v, YAML_MAPPING_NODE, key);
        char sub[KEY_MAX];
        yaml_node_t *k, *val;

        for (int i = 0; i < n; i++) {
                int t;

                cfg_pair_at(c, v, (size_t)i, &k, &val);
                if ((t = tier_of_key(sval(k))) < 0)
                        return cfg_fail(c, line_of(k), key,
                                        "unknown tier '%s' (expected free, "
                                        "pro, business or enterprise)",
                                        sval(k));
                if (cfg_is_null(val)) {
                        sla[t] = (score_sla_t){0};
                        continue;
                }
                score_sla_t s = sla[t];
                if (!s.set)
                        s = (score_sla_t){.at_risk_pct = SCORE_SLA_AT_RISK_PCT};
                snprintf(sub, sizeof(sub), "%s.%s", key, sval(k));
                if (cfg_parse_table(c, cfg_sla_keys, cfg_sla_keys_cnt, &s,
                                    strlen(sub) + 1, val, sub))
                        return -1;
                if (!s.response_ms || !s.resolution_ms)
                        return cfg_fail(c, line_of(k), sub,
                                        "no default SLA for this tier: give "
                                        "response_minutes and "
                                        "resolution_minutes");
                s.set = true;
                sla[t] = s;
        }
        return n < 0 ? -1 : 0;
}

static const catalog_t services = {service_keys,
                                   ARRAY_SIZE(service_keys),
                                   sizeof(config_service_t),
                                   offsetof(config_service_t, name),
                                   NULL,
                                   check_services};
static const catalog_t accounts = {account_keys,
                                   ARRAY_SIZE(account_keys),
                                   sizeof(config_account_t),
                                   offsetof(config_account_t, id),
                                   init_account,
                                   NULL};

const cfg_entry_t cfg_keys[] = {
        E("kafka.brokers", T_STRING, kafka.brokers, "", R_ANY),
        E("kafka.group_id", T_STRING, kafka.group_id, "impactd", R_NONEMPTY),
        E("kafka.client_id", T_STRING, kafka.client_id, "impactd", R_NONEMPTY),
        TOPIC(alerts, ALERTS),
        TOPIC(tickets, TICKETS),
        TOPIC(sentiment, SENTIMENT),
        TOPIC(scored, SCORED),
        TOPIC(escalations, ESCALATIONS),
        TOPIC(notifications, NOTIFICATIONS),
        TOPIC(dlq, DLQ),
        FORMAT(scored, SCORED),
        FORMAT(escalations, ESCALATIONS),
        FORMAT(notifications, NOTIFICATIONS),
        E("kafka.embedded.brokers", T_INT, kafka.embedded_brokers, "1", R_POS),
        E("kafka.embedded.partitions", T_INT, kafka.embedded_partitions, "4",
          R_POS),
        E("kafka.batch.max_messages", T_INT, kafka.batch_max_messages, "5000",
          R_POS),
        E("kafka.batch.max_wait_ms", T_INT, kafka.batch_max_wait_ms, "20",
          R_NONNEG),
        E("kafka.delivery_timeout_ms", T_INT, kafka.delivery_timeout_ms,
          "30000", R_POS),
        LIST("kafka.consumer", T_PROPS, config_t, kafka.consumer_props,
             kafka.consumer_props_cnt, NULL),
        LIST("kafka.producer", T_PROPS, config_t, kafka.producer_props,
             kafka.producer_props_cnt, NULL),
        {"redis.url", T_STRING, offsetof(config_t, redis.url), 0,
         "redis://127.0.0.1:6379/0", R_NONEMPTY, NULL, false, NULL,
         cfg_print_url},
        {"redis.password", T_STRING, offsetof(config_t, redis.password), 0,
         NULL, R_ANY, NULL, true, NULL, NULL},
        LOADSTR("redis.password_file", password_file, NULL),
        E("redis.database", T_INT, redis.database, "-1", R_DATABASE),
        E("redis.connect_timeout_ms", T_INT, redis.connect_timeout_ms, "2000",
          R_POS),
        E("redis.command_timeout_ms", T_INT, redis.command_timeout_ms, "5000",
          R_POS),
        E("redis.key_prefix", T_STRING, redis.key_prefix, "impact", R_NONEMPTY),
        E("redis.pending_ttl_s", T_INT64, redis.pending_ttl_s, "3600", R_POS),
        E("redis.incident_ttl_s", T_INT64, redis.incident_ttl_s, "604800",
          R_POS),
        E("redis.account_hashes", T_BOOL, accounts_from_redis, "true", R_ANY),
        LOADSTR("schemas.dir", schemas_dir, "../schemas"),
        SPECIAL("schemas.ids", parse_schema_ids, cfg_print_schema_ids,
                "{1: alert.avsc, 2: ticket.avsc, 3: sentiment.avsc, "
                "4: scored.avsc, 5: escalation.avsc, 6: notification.avsc}"),
        WRITER(alerts, ALERTS, "1"),
        WRITER(tickets, TICKETS, "2"),
        WRITER(sentiment, SENTIMENT, "3"),
        WRITER(scored, SCORED, "4"),
        WRITER(escalations, ESCALATIONS, "5"),
        WRITER(notifications, NOTIFICATIONS, "6"),
        E("limits.max_message_bytes", T_SIZE, limits.max_message_bytes,
          "1048576", R_POS),
        E("limits.max_string_bytes", T_SIZE, limits.max_string_bytes, "1024",
          R_POS),
        E("limits.max_future_s", T_INT64, limits.max_future_s, "86400",
          R_NONNEG),
        /* scoring defaults come from score_config_defaults() */
        SC("weights.user_volume", T_DOUBLE, weights[DIM_USERS], R_NONNEG),
        SC("weights.revenue", T_DOUBLE, weights[DIM_REVENUE], R_NONNEG),
        SC("weights.slo_burn", T_DOUBLE, weights[DIM_SLO], R_NONNEG),
        SC("weights.blast_radius", T_DOUBLE, weights[DIM_BLAST_RADIUS],
           R_NONNEG),
        SC("weights.customer_tier", T_DOUBLE, weights[DIM_TIER], R_NONNEG),
        SC("weights.duration", T_DOUBLE, weights[DIM_DURATION], R_NONNEG),
        SPECIAL("scoring.level_thresholds", parse_thresholds,
                cfg_print_thresholds, NULL),
        SC("triage_after_s", T_MS_FROM_S, triage_after_ms, R_NONNEG),
        SC("disruption_weights.outage", T_DOUBLE,
           disruption_weights[DISRUPTION_OUTAGE], R_SHARE),
        SC("disruption_weights.degraded", T_DOUBLE,
           disruption_weights[DISRUPTION_DEGRADED], R_SHARE),
        SC("disruption_weights.latency", T_DOUBLE,
           disruption_weights[DISRUPTION_LATENCY], R_SHARE),
        SC("users_full_scale", T_DOUBLE, users_full_scale, R_POS),
        SC("revenue_full_scale", T_DOUBLE, revenue_full_scale, R_POS),
        SC("revenue_min_hours", T_DOUBLE, revenue_min_hours, R_NONNEG),
        SC("slo_fast_burn", T_DOUBLE, slo_fast_burn, R_POS),
        SC("sla.at_risk_score", T_DOUBLE, sla_at_risk_score, R_PERCENT),
        SC("sla.breached_score", T_DOUBLE, sla_breached_score, R_PERCENT),
        SPECIAL("scoring.sla.tiers", parse_sla_tiers, cfg_print_sla_tiers,
                NULL),
        SC("duration_full_scale_minutes", T_DOUBLE, duration_full_scale_min,
           R_POS),
        SC("tier_scores.free", T_DOUBLE, tier_scores[TIER_FREE], R_PERCENT),
        SC("tier_scores.pro", T_DOUBLE, tier_scores[TIER_PRO], R_PERCENT),
        SC("tier_scores.business", T_DOUBLE, tier_scores[TIER_BUSINESS],
           R_PERCENT),
        SC("tier_scores.enterprise", T_DOUBLE, tier_scores[TIER_ENTERPRISE],
           R_PERCENT),
        SC("class_partial_below", T_DOUBLE, class_partial_below, R_SHARE),
        SC("class_complete_above", T_DOUBLE, class_complete_above, R_SHARE),
        SC("sentiment.negative_below", T_DOUBLE, sentiment_negative_below,
           R_UNIT),
        SC("sentiment.max_lift", T_DOUBLE, sentiment_max_lift, R_PERCENT),
        SC("sentiment.min_events", T_INT64, sentiment_min_events, R_POS),
        SC("sentiment.window_s", T_MS_FROM_S, sentiment_window_ms, R_POS),
        SC("sentiment.surge_negative_share", T_DOUBLE, sentiment_surge_share,
           R_SHARE),
        SC("sentiment.surge_min_events", T_INT64, sentiment_surge_min_events,
           R_POS),
        SC("sentiment.trend_delta", T_DOUBLE, sentiment_trend_delta, R_SPAN),
        SC("confidence.high", T_DOUBLE, confidence_high, R_SHARE),
        SC("confidence.medium", T_DOUBLE, confidence_medium, R_SHARE),
        SC("trend.window_s", T_MS_FROM_S, trend_window_ms, R_POS),
        SC("trend.ratio", T_DOUBLE, trend_ratio, R_NONNEG),
        SC("severity_mismatch_levels", T_INT, severity_mismatch_levels, R_POS),
        SC("severity_mismatch.minor_severity", T_INT, minor_severity,
           R_SEVERITY),
        SC("severity_mismatch.long_running_minutes", T_MS_FROM_MIN,
           minor_long_running_ms, R_NONNEG),
        E("lifecycle.quiet_time_s", T_MS_FROM_S, lifecycle.quiet_time_ms, "300",
          R_NONNEG),
        E("lifecycle.reopen_window_s", T_MS_FROM_S, lifecycle.reopen_window_ms,
          "1800", R_NONNEG),
        E("lifecycle.retention_s", T_INT64, lifecycle.retention_s, "86400",
          R_POS),
        E("lifecycle.rescore_interval_s", T_MS_FROM_S,
          lifecycle.rescore_interval_ms, "60", R_POS),
        E("lifecycle.deadline_batch", T_INT, lifecycle.deadline_batch, "100",
          R_POS),
        E("lifecycle.deadline_lease_s", T_MS_FROM_S,
          lifecycle.deadline_lease_ms, "30", R_POS),
        E("segments.account_prefix_separators", T_STRING,
          segments.account_prefix_separators, "", R_ANY),
        LIST("segments.known_regions", T_STRLIST, config_t,
             segments.known_regions, segments.known_regions_cnt, NULL),
        SPECIAL("policy", cfg_parse_policy, cfg_print_policy, NULL),
        {"silences", T_SPECIAL, offsetof(config_t, silences),
         offsetof(config_t, silences_cnt), NULL, R_ANY, NULL, false,
         cfg_parse_silences, cfg_print_silences},
        SPECIAL("notifications", cfg_parse_notify, cfg_print_notify, "{}"),
        LIST("services", T_CATALOG, config_t, services, services_cnt,
             &services),
        LIST("accounts", T_CATALOG, config_t, accounts, accounts_cnt,
             &accounts),
        E("log.level", T_LOGLEVEL, log_level, "info", R_ANY),
};

const size_t cfg_keys_cnt = ARRAY_SIZE(cfg_keys);
