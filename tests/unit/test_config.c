/* config.c: YAML -> config_t, interpolation, validation with file:line,
 * printing with secrets masked. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_fixture.h"
#include "redis_url.h"

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && !strcmp(s + n - m, suffix);
}

/* The source tree: from ctest's environment, else from this file's path. */
static void source_dir(char *out, size_t size) {
        const char *env = getenv("IMPACTD_SOURCE_DIR");
        const char *marker = strstr(__FILE__, "/tests/unit/");

        if (env)
                snprintf(out, size, "%s", env);
        else if (marker)
                snprintf(out, size, "%.*s", (int)(marker - __FILE__), __FILE__);
        else
                snprintf(out, size, ".");
}

static void write_file(const char *path, const char *text) {
        FILE *fp = fopen(path, "w");

        assert_non_null(fp);
        fputs(text, fp);
        fclose(fp);
}

static void test_defaults_when_keys_absent(void **state) {
        config_t *conf = must_load("# nothing but a comment\n");
        score_config_t scoring;

        (void)state;
        assert_string_equal(conf->path, "cfg.yaml");
        assert_string_equal(conf->kafka.brokers, "");
        assert_string_equal(conf->kafka.group_id, "impactd");
        assert_string_equal(conf->kafka.client_id, "impactd");
        assert_string_equal(conf->kafka.topics[TOPIC_ALERTS], "impact.alerts");
        assert_string_equal(conf->kafka.topics[TOPIC_NOTIFICATIONS],
                            "impact.notifications");
        assert_string_equal(conf->kafka.topics[TOPIC_DLQ], "impact.dlq");
        assert_int_equal(conf->kafka.output_format[TOPIC_SCORED], FORMAT_AVRO);
        assert_int_equal(conf->kafka.embedded_brokers, 1);
        assert_int_equal(conf->kafka.embedded_partitions, 4);
        assert_int_equal(conf->kafka.batch_max_messages, 5000);
        assert_int_equal(conf->kafka.batch_max_wait_ms, 20);
        assert_int_equal(conf->kafka.delivery_timeout_ms, 30000);
        assert_int_equal(conf->kafka.consumer_props_cnt, 0);
        assert_int_equal(conf->kafka.producer_props_cnt, 0);
        assert_string_equal(conf->redis.url, "redis://127.0.0.1:6379/0");
        assert_null(conf->redis.password);
        assert_int_equal(conf->redis.database, -1);
        assert_int_equal(conf->redis.connect_timeout_ms, 2000);
        assert_int_equal(conf->redis.command_timeout_ms, 5000);
        assert_string_equal(conf->redis.key_prefix, "impact");
        assert_int_equal(conf->redis.pending_ttl_s, 3600);
        assert_int_equal(conf->redis.incident_ttl_s, 604800);
        assert_int_equal(conf->schemas.cnt, 6);
        assert_true(
                ends_with(config_schema_path(conf, 1), "schemas/alert.avsc"));
        assert_true(ends_with(config_schema_path(conf, 6),
                              "schemas/notification.avsc"));
        for (int t = TOPIC_ALERTS; t <= TOPIC_NOTIFICATIONS; t++)
                assert_int_equal(conf->schemas.writer_id[t], t + 1);
        assert_int_equal(conf->schemas.writer_id[TOPIC_DLQ], 0);
        assert_int_equal(conf->limits.max_message_bytes, 1048576);
        assert_int_equal(conf->limits.max_string_bytes, 1024);
        score_config_defaults(&scoring);
        assert_scoring_equal(&conf->scoring, &scoring);
        assert_int_equal(conf->services_cnt, 0);
        assert_int_equal(conf->accounts_cnt, 0);
        assert_string_equal(conf->log_level, "info");
        config_destroy(conf);
}

static void test_empty_sections_are_allowed(void **state) {
        config_t *conf = must_load("kafka:\nredis: {}\nservices:\n"
                                   "accounts: ~\nlog: null\n");

        (void)state;
        assert_int_equal(conf->kafka.batch_max_messages, 5000);
        assert_int_equal(conf->services_cnt, 0);
        config_destroy(conf);
}

static void test_shipped_config_loads(void **state) {
        char src[PATH_MAX], path[PATH_MAX + 32], schemas[PATH_MAX];
        char expected[PATH_MAX + 32], err[ERRSZ];
        const config_service_t *svc;
        const config_account_t *acct;
        config_t *conf;

        (void)state;
        unsetenv("IMPACTD_KAFKA_BROKERS");
        unsetenv("IMPACTD_REDIS_URL");
        source_dir(src, sizeof(src));
        snprintf(path, sizeof(path), "%s/config/impactd.yaml", src);
        conf = config_load(path, err, sizeof(err));
        if (!conf)
                fail_msg("%s", err);
        assert_string_equal(conf->kafka.brokers, "");
        assert_string_equal(conf->redis.url, "redis://127.0.0.1:6379/0");
        assert_int_equal(conf->kafka.consumer_props_cnt, 1);
        assert_string_equal(conf->kafka.consumer_props[0].name,
                            "session.timeout.ms");
        assert_string_equal(conf->kafka.consumer_props[0].value, "6000");
        assert_int_equal(conf->kafka.producer_props_cnt, 3);
        assert_string_equal(conf->kafka.producer_props[0].value, "true");
        assert_string_equal(conf->kafka.producer_props[1].value, "all");
        assert_string_equal(conf->kafka.producer_props[2].value, "5");

        /* ../schemas against config/, without opening any .avsc file */
        snprintf(path, sizeof(path), "%s/schemas", src);
        assert_non_null(realpath(path, schemas));
        snprintf(expected, sizeof(expected), "%s/alert.avsc", schemas);
        assert_string_equal(config_schema_path(conf, 1), expected);

        assert_non_null(svc = config_service_find(conf, "checkout-web"));
        assert_int_equal(svc->users, 25000);
        assert_int_equal(svc->depends_on_cnt, 1);
        assert_string_equal(svc->depends_on[0], "payments");
        assert_non_null(svc = config_service_find(conf, "payments"));
        assert_string_equal(svc->depends_on[0], "payments-db");
        assert_non_null(config_service_find(conf, "payments-db"));
        assert_non_null(config_service_find(conf, "search"));
        assert_non_null(acct = config_account_find(conf, "acme-corp"));
        assert_int_equal(acct->tier, TIER_ENTERPRISE);
        assert_true(acct->arr == 480000);
        assert_true(acct->strategic);
        assert_int_equal(acct->sla, TIER_ENTERPRISE);
        assert_non_null(acct = config_account_find(conf, "initech"));
        assert_int_equal(acct->tier, TIER_BUSINESS);
        assert_false(acct->strategic);
        config_destroy(conf);
}

/* The shipped file documents the defaults: loading it changes no value
 * that has a default (only catalogs and librdkafka properties differ). */
static void test_shipped_config_values_are_the_defaults(void **state) {
        char src[PATH_MAX], path[PATH_MAX + 32], err[ERRSZ];
        config_t *shipped, *defaults;

        (void)state;
        unsetenv("IMPACTD_KAFKA_BROKERS");
        unsetenv("IMPACTD_REDIS_URL");
        source_dir(src, sizeof(src));
        snprintf(path, sizeof(path), "%s/config/impactd.yaml", src);
        shipped = config_load(path, err, sizeof(err));
        if (!shipped)
                fail_msg("%s", err);
        defaults = must_load("");
        assert_scoring_equal(&shipped->scoring, &defaults->scoring);
        for (int t = 0; t < TOPIC_COUNT; t++) {
                assert_string_equal(shipped->kafka.topics[t],
                                    defaults->kafka.topics[t]);
                assert_int_equal(shipped->kafka.output_format[t],
                                 defaults->kafka.output_format[t]);
                assert_int_equal(shipped->schemas.writer_id[t],
                                 defaults->schemas.writer_id[t]);
        }
        assert_int_equal(shipped->kafka.batch_max_messages,
                         defaults->kafka.batch_max_messages);
        assert_int_equal(shipped->kafka.batch_max_wait_ms,
                         defaults->kafka.batch_max_wait_ms);
        assert_int_equal(shipped->kafka.delivery_timeout_ms,
                         defaults->kafka.delivery_timeout_ms);
        assert_int_equal(shipped->redis.database, defaults->redis.database);
        assert_int_equal(shipped->redis.pending_ttl_s,
                         defaults->redis.pending_ttl_s);
        assert_int_equal(shipped->redis.incident_ttl_s,
                         defaults->redis.incident_ttl_s);
        assert_int_equal(shipped->limits.max_message_bytes,
                         defaults->limits.max_message_bytes);
        assert_string_equal(shipped->log_level, defaults->log_level);
        assert_memory_equal(&shipped->lifecycle, &defaults->lifecycle,
                            sizeof(shipped->lifecycle));
        assert_string_equal(shipped->segments.account_prefix_separators,
                            defaults->segments.account_prefix_separators);
        assert_int_equal(shipped->segments.known_regions_cnt,
                         defaults->segments.known_regions_cnt);
        assert_int_equal(shipped->accounts_from_redis,
                         defaults->accounts_from_redis);
        config_destroy(shipped);
        config_destroy(defaults);
}

static void test_interpolation_default_and_set(void **state) {
        char err[ERRSZ], *s;
        config_t *conf;

        (void)state;
        setenv("IMPACTD_T_SET", "kafka-1:9092", 1);
        setenv("IMPACTD_T_EMPTY", "", 1);
        unsetenv("IMPACTD_T_UNSET");
        const struct {
                const char *in, *out;
        } cases[] = {
                {"${IMPACTD_T_SET}", "kafka-1:9092"},
                {"${IMPACTD_T_UNSET:-fallback}", "fallback"},
                {"${IMPACTD_T_SET:-fallback}", "kafka-1:9092"},
                {"${IMPACTD_T_EMPTY:-fallback}", "fallback"},
                {"${IMPACTD_T_EMPTY}", ""},
                {"a${IMPACTD_T_UNSET:-}b", "ab"},
                {"$${IMPACTD_T_SET} costs $$5", "${IMPACTD_T_SET} costs $5"},
                {"$5 and $ alone$", "$5 and $ alone$"},
                {"x=${IMPACTD_T_SET}/${IMPACTD_T_UNSET:-y}",
                 "x=kafka-1:9092/y"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                s = config_interpolate(cases[i].in, err, sizeof(err));
                if (!s)
                        fail_msg("%s: %s", cases[i].in, err);
                assert_string_equal(s, cases[i].out);
                free(s);
        }
        conf = must_load("kafka:\n  brokers: \"${IMPACTD_T_SET}\"\n"
                         "  batch: {max_messages: '${IMPACTD_T_UNSET:-42}'}\n");
        assert_string_equal(conf->kafka.brokers, "kafka-1:9092");
        assert_int_equal(conf->kafka.batch_max_messages, 42);
        config_destroy(conf);
}

static void test_interpolation_errors(void **state) {
        char err[ERRSZ];

        (void)state;
        unsetenv("IMPACTD_T_UNSET");
        assert_null(config_interpolate("x${IMPACTD_T_SET", err, sizeof(err)));
        assert_string_equal(err, "unterminated ${");
        assert_null(config_interpolate("${1BAD}", err, sizeof(err)));
        assert_string_equal(err, "invalid variable name '1BAD'");
        assert_null(config_interpolate("${}", err, sizeof(err)));
        assert_string_equal(err, "invalid variable name ''");
        assert_null(config_interpolate("${IMPACTD_T_UNSET}", err, sizeof(err)));
        assert_string_equal(err, "variable IMPACTD_T_UNSET is not set");
}

static void test_unset_variable_names_line(void **state) {
        (void)state;
        unsetenv("IMPACTD_T_UNSET");
        expect_error("kafka:\n  brokers: \"\"\nredis:\n"
                     "  url: \"redis://${IMPACTD_T_UNSET}:6379\"\n",
                     "cfg.yaml:4: redis.url: variable IMPACTD_T_UNSET is not "
                     "set");
}

static void test_unknown_key_names_line(void **state) {
        (void)state;
        expect_error("log: {level: info}\nkafak:\n  brokers: x\n",
                     "cfg.yaml:2: unknown key 'kafak'");
        expect_error("kafka:\n  batch:\n    max_mesages: 3\n",
                     "cfg.yaml:3: kafka.batch: unknown key 'max_mesages'");
        expect_error("services:\n  a: {users: 1}\n  b: {userz: 3}\n",
                     "cfg.yaml:3: services.b: unknown key 'userz'");
        expect_error("kafka:\n  brokers:\n    nested: 1\n",
                     "cfg.yaml:3: kafka.brokers: expected a value, got a "
                     "mapping");
}

static void test_bad_integer_names_file_line_key(void **state) {
        (void)state;
        expect_error("# impactd\n"
                     "kafka:\n"
                     "  brokers: \"\"\n"
                     "  group_id: g\n"
                     "  topics:\n"
                     "    alerts: a\n"
                     "    tickets: t\n"
                     "  embedded:\n"
                     "    brokers: 1\n"
                     "    partitions: 4\n"
                     "  batch:\n"
                     "    max_messages: abc\n",
                     "cfg.yaml:12: kafka.batch.max_messages: expected an "
                     "integer, got 'abc'");
        expect_error("kafka: {delivery_timeout_ms: 1.5}\n",
                     "cfg.yaml:1: kafka.delivery_timeout_ms: expected an "
                     "integer, got '1.5'");
        expect_error("kafka: {batch: {max_wait_ms: 99999999999}}\n",
                     "cfg.yaml:1: kafka.batch.max_wait_ms: out of range, got "
                     "'99999999999'");
        expect_error("scoring:\n  weights:\n    revenue: x\n",
                     "cfg.yaml:3: scoring.weights.revenue: expected a number, "
                     "got 'x'");
        expect_error("accounts:\n  a: {strategic: maybe}\n",
                     "cfg.yaml:2: accounts.a.strategic: expected true or "
                     "false, got 'maybe'");
        expect_error("kafka:\n  output_format: {scored: xml}\n",
                     "cfg.yaml:2: kafka.output_format.scored: expected avro "
                     "or json, got 'xml'");
        expect_error("log:\n  level: verbose\n",
                     "cfg.yaml:2: log.level: expected debug, info, warn or "
                     "error, got 'verbose'");
}

static void test_out_of_range_values_rejected(void **state) {
        (void)state;
        expect_error("kafka:\n  batch:\n    max_messages: 0\n",
                     "cfg.yaml:3: kafka.batch.max_messages: must be > 0, got "
                     "'0'");
        expect_error("scoring: {class_partial_below: 1.5}\n",
                     "cfg.yaml:1: scoring.class_partial_below: must be "
                     "between 0 and 1, got '1.5'");
        expect_error("scoring:\n  weights: {revenue: -0.1}\n",
                     "cfg.yaml:2: scoring.weights.revenue: must be >= 0, got "
                     "'-0.1'");
        expect_error("scoring: {revenue_full_scale: 0}\n",
                     "cfg.yaml:1: scoring.revenue_full_scale: must be > 0, "
                     "got '0'");
        expect_error("accounts:\n  a: {tier: GOLD}\n",
                     "cfg.yaml:2: accounts.a.tier: expected FREE, PRO, "
                     "BUSINESS or ENTERPRISE, got 'GOLD'");
        /* an SLA names the tier whose targets apply */
        expect_error("accounts:\n  a: {tier: PRO,\n      sla: gold}\n",
                     "cfg.yaml:3: accounts.a.sla: expected FREE, PRO, "
                     "BUSINESS or ENTERPRISE, got 'gold'");
        expect_error("services:\n  a: {users: -5}\n",
                     "cfg.yaml:2: services.a.users: must be >= 0, got '-5'");
        expect_error("scoring: {class_partial_below: 0.6}\n",
                     "cfg.yaml: scoring.class_complete_above: must be >= "
                     "class_partial_below (0.6), got 0.5");
        expect_error("scoring: {trend: {window_s: 0.0001}}\n",
                     "cfg.yaml:1: scoring.trend.window_s: must be > 0, got "
                     "'0.0001'");
        expect_error("kafka: {group_id: ''}\n",
                     "cfg.yaml:1: kafka.group_id: must not be empty");
        expect_error("redis: {url: 'http://:pw@host'}\n",
                     "cfg.yaml:1: redis.url: expected redis://[[user]:"
                     "password@]host[:port][/db] or unix:///path");
}

/* A URL the worker could not connect with is refused at load, with the
 * file, line and key, and never with its password, however malformed. */
static void test_redis_url_rejected_without_its_secret(void **state) {
        static const struct {
                const char *url, *why;
        } bad[] = {
                {"redis://:s3cretPW@127.0.0.1:569319/0",
                 "the port must be a number from 1 to 65535"},
                {"redis://:s3cretPW@127.0.0.1:0",
                 "the port must be a number from 1 to 65535"},
                {"redis://:s3cretPW@127.0.0.1:63x9",
                 "the port must be a number from 1 to 65535"},
                {"redis://u:s3c@ret@PW@:6379", "no host"},
                {"redis://:s3cretPW@host:6379/zero",
                 "the database must be a number"},
                {"redis://s3cretPW@host:6379 extra",
                 "the port must be a number from 1 to 65535"},
                /* no '@' for a mask to find the password by */
                {"redis://:s3cretPW 127.0.0.1:6379", "no host"},
                {"redis://h:6379/0?password=s3cretPW",
                 "the database must be a number"},
                {"rediss//:s3cretPW@host", "expected redis://[[user]:"
                 "password@]host[:port][/db] or unix:///path"},
                {"unix://", "no socket path"},
        };
        char yaml[256], msg[512];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(yaml, sizeof(yaml), "redis:\n  url: '%s'\n",
                         bad[i].url);
                snprintf(msg, sizeof(msg), "cfg.yaml:2: redis.url: %s",
                         bad[i].why);
                expect_error(yaml, msg);
        }
}

/* What connects: an ACL user, a password holding '@' (raw or %40), IPv6,
 * a database; check-config prints them masked. */
static void test_redis_url_parts(void **state) {
        redis_url_t u;
        char err[256];

        (void)state;
        assert_int_equal(redis_url_parse("redis://impactd:p%40ss:w@rd@[::1]:6380/3",
                                         &u, err, sizeof(err)),
                         IMPACTD_OK);
        assert_string_equal(u.user, "impactd");
        assert_string_equal(u.password, "p@ss:w@rd");
        assert_string_equal(u.host, "::1");
        assert_int_equal(u.port, 6380);
        assert_int_equal(u.db, 3);
        redis_url_clear(&u);
        assert_int_equal(redis_url_parse("redis://only-pw@cache", &u, err,
                                         sizeof(err)),
                         IMPACTD_OK);
        assert_string_equal(u.user, "");
        assert_string_equal(u.password, "only-pw");
        assert_string_equal(u.host, "cache");
        assert_int_equal(u.port, 6379);
        assert_int_equal(u.db, 0);
        redis_url_clear(&u);
        assert_int_equal(redis_url_parse("unix:///run/redis.sock", &u, err,
                                         sizeof(err)),
                         IMPACTD_OK);
        assert_string_equal(u.path, "/run/redis.sock");
        redis_url_clear(&u);
        char *m = redis_url_mask("redis://impactd:p@ss@cache:6379/0");
        assert_string_equal(m, "redis://impactd:*****@cache:6379/0");
        free(m);
}

static void test_sizes_accept_suffixes(void **state) {
        config_t *conf = must_load("limits: {max_message_bytes: 2mb, "
                                   "max_string_bytes: 1k}\n");

        (void)state;
        assert_int_equal(conf->limits.max_message_bytes, 2 * 1024 * 1024);
        assert_int_equal(conf->limits.max_string_bytes, 1000);
        config_destroy(conf);
        expect_error("limits: {max_message_bytes: 12q}\n",
                     "cfg.yaml:1: limits.max_message_bytes: expected a size "
                     "in bytes (e.g. 1048576 or 1mb), got '12q'");
}

static void test_weights_must_sum_to_one(void **state) {
        config_t *conf;

        (void)state;
        expect_error("scoring:\n  weights:\n    revenue: 0.30\n",
                     "cfg.yaml:2: scoring.weights: must sum to 1.0, got 1.05");
        conf = must_load("scoring:\n  weights: {revenue: 0.30, slo_burn: "
                         "0.15}\n");
        assert_true(conf->scoring.weights[DIM_REVENUE] == 0.30);
        assert_true(conf->scoring.weights[DIM_SLO] == 0.15);
        config_destroy(conf);
}

static void test_thresholds_descending(void **state) {
        config_t *conf;

        (void)state;
        expect_error("scoring:\n  level_thresholds:\n    - 80\n    - 60\n"
                     "    - 60\n    - 20\n",
                     "cfg.yaml:5: scoring.level_thresholds: must be strictly "
                     "descending, got 60 after 60");
        expect_error("scoring: {level_thresholds: [80, 60, 40]}\n",
                     "cfg.yaml:1: scoring.level_thresholds: expected 4 scores "
                     "(levels 1 to 4), got 3");
        expect_error("scoring: {level_thresholds: [120, 60, 40, 20]}\n",
                     "cfg.yaml:1: scoring.level_thresholds: must be between 0 "
                     "and 100, got '120'");
        conf = must_load("scoring: {level_thresholds: [90, 70, 50, 30]}\n");
        assert_true(conf->scoring.level_thresholds[0] == 90);
        assert_true(conf->scoring.level_thresholds[3] == 30);
        config_destroy(conf);
}

static void test_dependency_cycle_rejected(void **state) {
        config_t *conf;

        (void)state;
        expect_error("services:\n"
                     "  a: {depends_on: [b]}\n"
                     "  b: {depends_on: [c]}\n"
                     "  c: {depends_on: [a]}\n",
                     "cfg.yaml:4: services.c.depends_on: dependency cycle: "
                     "a -> b -> c -> a");
        expect_error("services:\n  x: {depends_on: [x]}\n",
                     "cfg.yaml:2: services.x.depends_on: dependency cycle: "
                     "x -> x");
        /* a cycle not reachable from the first service */
        expect_error("services:\n"
                     "  root: {}\n"
                     "  p: {depends_on: [root, q]}\n"
                     "  q: {depends_on: [p]}\n",
                     "cfg.yaml:4: services.q.depends_on: dependency cycle: "
                     "p -> q -> p");
        /* a diamond shares dependencies without a cycle */
        conf = must_load("services:\n"
                         "  a: {depends_on: [b, c]}\n"
                         "  b: {depends_on: [d]}\n"
                         "  c: {depends_on: [d]}\n"
                         "  d: {}\n");
        assert_int_equal(conf->services_cnt, 4);
        config_destroy(conf);
}

static void test_unknown_dependency_rejected(void **state) {
        (void)state;
        expect_error("services:\n"
                     "  checkout-web:\n"
                     "    users: 100\n"
                     "    depends_on:\n"
                     "      - payments\n"
                     "      - paymnts\n"
                     "  payments: {}\n",
                     "cfg.yaml:6: services.checkout-web.depends_on: service "
                     "'checkout-web' depends on unknown service 'paymnts'");
        expect_error("services:\n  a: {depends_on: b}\n",
                     "cfg.yaml:2: services.a.depends_on: expected a list");
}

static void test_librdkafka_props_pass_through(void **state) {
        config_t *conf;

        (void)state;
        setenv("IMPACTD_T_SET", "SASL_SSL", 1);
        conf = must_load("kafka:\n"
                         "  consumer:\n"
                         "    session.timeout.ms: 6000\n"
                         "    enable.auto.commit: false\n"
                         "    \"auto.offset.reset\": earliest\n"
                         "    security.protocol: ${IMPACTD_T_SET}\n"
                         "  producer: {linger.ms: 5, acks: all}\n");
        assert_int_equal(conf->kafka.consumer_props_cnt, 4);
        assert_string_equal(conf->kafka.consumer_props[0].name,
                            "session.timeout.ms");
        assert_string_equal(conf->kafka.consumer_props[0].value, "6000");
        assert_string_equal(conf->kafka.consumer_props[1].value, "false");
        assert_string_equal(conf->kafka.consumer_props[2].name,
                            "auto.offset.reset");
        assert_string_equal(conf->kafka.consumer_props[2].value, "earliest");
        assert_string_equal(conf->kafka.consumer_props[3].value, "SASL_SSL");
        assert_int_equal(conf->kafka.producer_props_cnt, 2);
        assert_string_equal(conf->kafka.producer_props[1].name, "acks");
        assert_string_equal(conf->kafka.producer_props[1].value, "all");
        config_destroy(conf);
        expect_error("kafka:\n  producer:\n    acks: [1, 2]\n",
                     "cfg.yaml:3: kafka.producer.acks: expected a value, got "
                     "a list");
}

/* Secrets mounted as files: in neither the config nor the environment,
 * read as they are (one trailing newline dropped), masked when printed. */
static void test_secrets_from_files(void **state) {
        char dir[] = "/tmp/impactd-secret-XXXXXX", path[64], yaml[512];
        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/sasl", dir);
        FILE *fp = fopen(path, "w");
        fputs("s3cret-from-file\n", fp);
        fclose(fp);
        snprintf(yaml, sizeof(yaml),
                 "kafka:\n  consumer:\n    sasl.password: \"${file:%s}\"\n"
                 "redis:\n  password: \"${file:%s}\"\n", path, path);
        config_t *conf = must_load(yaml);
        assert_string_equal(conf->redis.password, "s3cret-from-file");
        const config_prop_t *p = &conf->kafka.consumer_props[conf->kafka.consumer_props_cnt - 1];
        assert_string_equal(p->name, "sasl.password");
        assert_string_equal(p->value, "s3cret-from-file");
        char *out = print_to_string(conf);
        assert_null(strstr(out, "s3cret"));
        free(out);
        config_destroy(conf);
        unlink(path);
        /* A missing file is named, with the key and line. */
        snprintf(yaml, sizeof(yaml), "redis:\n  password: \"${file:%s}\"\n", path);
        char want[200];
        snprintf(want, sizeof(want), "cfg.yaml:2: redis.password: ${file:%s}: "
                 "No such file or directory", path);
        expect_error(yaml, want);
        rmdir(dir);
}

static void test_print_masks_secrets(void **state) {
        config_t *conf;
        char *out;

        (void)state;
        conf = must_load("redis:\n"
                         "  url: redis://app:s3cret-url@cache:6379/2\n"
                         "  password: s3cret-pw\n"
                         "kafka:\n"
                         "  consumer:\n"
                         "    sasl.password: s3cret-sasl\n"
                         "    client.rack: r1\n"
                         "  producer:\n"
                         "    sasl.jaas.config: s3cret-jaas\n"
                         "    ssl.key.password: s3cret-key\n"
                         "    sasl.oauthbearer.client.secret: s3cret-oauth\n");
        out = print_to_string(conf);
        assert_null(strstr(out, "s3cret"));
        assert_non_null(
                strstr(out, "\n  url: \"redis://app:*****@cache:6379/2\"\n"));
        assert_non_null(strstr(out, "\n  password: \"*****\"\n"));
        assert_non_null(strstr(out, "\n    sasl.password: \"*****\"\n"));
        assert_non_null(strstr(out, "\n    client.rack: \"r1\"\n"));
        assert_non_null(strstr(out, "\n    sasl.jaas.config: \"*****\"\n"));
        free(out);
        config_destroy(conf);

        /* no password in the URL: nothing to mask */
        conf = must_load("redis: {url: 'redis://cache:6379/0'}\n");
        out = print_to_string(conf);
        assert_non_null(strstr(out, "\n  url: \"redis://cache:6379/0\"\n"));
        assert_null(strstr(out, "password"));
        free(out);
        config_destroy(conf);
}

/* What check-config prints is a config that loads to the same values. */
static void test_print_output_loads_back(void **state) {
        const char *yaml =
                "kafka:\n"
                "  brokers: \"b1:9092,b2:9092\"\n"
                "  topics: {dlq: \"dead $$letters\"}\n"
                "  output_format: {escalations: json}\n"
                "  batch: {max_wait_ms: 0}\n"
                "  consumer: {session.timeout.ms: 6000, \"odd key\": "
                "\"a\\\"b\"}\n"
                "redis: {database: 3, key_prefix: imp}\n"
                "schemas:\n"
                "  ids: {1: /abs/alert.avsc, 2: /abs/ticket.avsc, 3: "
                "/abs/s.avsc}\n"
                "  writer: {scored: 0, escalations: 0, notifications: 0}\n"
                "limits: {max_message_bytes: 64kb}\n"
                "scoring:\n"
                "  level_thresholds: [85.5, 60, 40, 20]\n"
                "  trend: {window_s: 90.5}\n"
                "services:\n"
                "  web: {users: 10, team: front, depends_on: [db, cache]}\n"
                "  db: {}\n"
                "  cache: {users: 3}\n"
                "accounts:\n"
                "  acme: {tier: ENTERPRISE, arr: 1234.5, strategic: true, "
                "sla: ENTERPRISE}\n"
                "  bare: {}\n"
                "log: {level: debug}\n";
        config_t *conf = must_load(yaml), *again;
        char *out, *out2;

        (void)state;
        out = print_to_string(conf);
        again = must_load(out);
        out2 = print_to_string(again);
        assert_string_equal(out, out2);
        assert_string_equal(again->kafka.topics[TOPIC_DLQ], "dead $letters");
        assert_string_equal(again->kafka.consumer_props[1].name, "odd key");
        assert_string_equal(again->kafka.consumer_props[1].value, "a\"b");
        assert_int_equal(again->kafka.output_format[TOPIC_ESCALATIONS],
                         FORMAT_JSON);
        assert_int_equal(again->kafka.batch_max_wait_ms, 0);
        assert_int_equal(again->limits.max_message_bytes, 65536);
        assert_int_equal(again->scoring.trend_window_ms, 90500);
        assert_true(again->scoring.level_thresholds[0] == 85.5);
        assert_string_equal(config_schema_path(again, 2), "/abs/ticket.avsc");
        assert_int_equal(again->services[0].depends_on_cnt, 2);
        assert_string_equal(again->services[0].team, "front");
        assert_null(again->services[1].team);
        assert_int_equal(again->accounts[1].tier, TIER_NONE);
        assert_true(again->accounts[1].arr < 0);
        assert_true(again->accounts[0].arr == 1234.5);
        assert_string_equal(again->log_level, "debug");
        free(out);
        free(out2);
        config_destroy(conf);
        config_destroy(again);
}

static void test_yaml_syntax_error_has_line(void **state) {
        (void)state;
        expect_error("kafka:\n  brokers: x\n   group_id: y\n",
                     "cfg.yaml:3: mapping values are not allowed in this "
                     "context");
        expect_error("kafka:\n  topics: {alerts: a\nredis: {}\n",
                     "cfg.yaml:3: did not find expected ',' or '}' (while "
                     "parsing a flow mapping at line 2)");
        expect_error("- just\n- a list\n", "cfg.yaml:1: expected a mapping");
        expect_error("kafka:\n  brokers: a\n  brokers: b\n",
                     "cfg.yaml:3: kafka: duplicate key 'brokers' (first at "
                     "line 2)");
}

static void test_password_file(void **state) {
        char dir[] = "/tmp/test_config.XXXXXX", path[128], secret[128];
        char err[ERRSZ], expected[ERRSZ];
        config_t *conf;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/cfg.yaml", dir);
        snprintf(secret, sizeof(secret), "%s/redis-password", dir);
        write_file(secret, "hunter2\n");

        /* relative to the directory of the config file, not the cwd */
        write_file(path, "redis:\n  password_file: redis-password\n");
        conf = config_load(path, err, sizeof(err));
        if (!conf)
                fail_msg("%s", err);
        assert_string_equal(conf->redis.password, "hunter2");
        config_destroy(conf);

        write_file(path, "redis:\n  password_file: missing\n");
        assert_null(config_load(path, err, sizeof(err)));
        snprintf(expected, sizeof(expected),
                 "%s:2: redis.password_file: cannot read '%s/missing': No "
                 "such file or directory",
                 path, dir);
        assert_string_equal(err, expected);

        write_file(path, "redis:\n  password_file: redis-password\n"
                         "  password: other\n");
        assert_null(config_load(path, err, sizeof(err)));
        snprintf(expected, sizeof(expected),
                 "%s:2: redis.password_file: conflicts with redis.password: "
                 "set only one",
                 path);
        assert_string_equal(err, expected);

        unlink(secret);
        unlink(path);
        rmdir(dir);
}

static void test_schema_paths_resolve_against_config_dir(void **state) {
        char dir[] = "/tmp/test_config.XXXXXX", sub[128], path[160];
        char schemas[128], expected[PATH_MAX + 16], real[PATH_MAX], err[ERRSZ];
        config_t *conf;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(sub, sizeof(sub), "%s/conf", dir);
        snprintf(schemas, sizeof(schemas), "%s/schemas", dir);
        snprintf(path, sizeof(path), "%s/impactd.yaml", sub);
        assert_int_equal(mkdir(sub, 0700), 0);
        assert_int_equal(mkdir(schemas, 0700), 0);
        /* v7.avsc does not exist: loading must not open schema files */
        write_file(path, "schemas:\n"
                         "  dir: ../schemas\n"
                         "  ids: {7: v7.avsc, 8: /elsewhere/v8.avsc}\n"
                         "  writer: {alerts: 7, tickets: 7, sentiment: 7, "
                         "scored: 8, escalations: 0, notifications: 0}\n");
        conf = config_load(path, err, sizeof(err));
        if (!conf)
                fail_msg("%s", err);
        assert_non_null(realpath(schemas, real));
        snprintf(expected, sizeof(expected), "%s/v7.avsc", real);
        assert_string_equal(config_schema_path(conf, 7), expected);
        assert_string_equal(config_schema_path(conf, 8), "/elsewhere/v8.avsc");
        assert_null(config_schema_path(conf, 1)); /* ids replace defaults */
        assert_int_equal(conf->schemas.writer_id[TOPIC_SCORED], 8);
        config_destroy(conf);
        unlink(path);
        rmdir(sub);
        rmdir(schemas);
        rmdir(dir);
}

static void test_writer_must_name_known_schema(void **state) {
        (void)state;
        expect_error("schemas:\n  ids: {1: a.avsc, 2: b.avsc}\n"
                     "  writer:\n    alerts: 1\n    tickets: 9\n",
                     "cfg.yaml:5: schemas.writer.tickets: schema id 9 is not "
                     "in schemas.ids");
        expect_error("schemas:\n  ids: {1: a.avsc, 2: b.avsc}\n",
                     "cfg.yaml:2: schemas.writer.sentiment: schema id 3 is "
                     "not in schemas.ids");
        expect_error("schemas:\n  ids: {x: a.avsc}\n",
                     "cfg.yaml:2: schemas.ids: schema id must be a positive "
                     "integer, got 'x'");
}

static void test_topics_must_differ(void **state) {
        (void)state;
        expect_error("kafka:\n  topics:\n    scored: impact.alerts\n",
                     "cfg.yaml:3: kafka.topics.scored: same topic as "
                     "kafka.topics.alerts");
}

static void test_catalog_lookups(void **state) {
        config_t *conf = must_load("services:\n"
                                   "  api: {users: 7, team: core}\n"
                                   "accounts:\n"
                                   "  big: {tier: BUSINESS, arr: 10}\n"
                                   "  small: {sla: PRO}\n");
        const config_account_t *a;

        (void)state;
        assert_int_equal(config_service_find(conf, "api")->users, 7);
        assert_string_equal(config_service_find(conf, "api")->team, "core");
        assert_null(config_service_find(conf, "nope"));
        assert_non_null(a = config_account_find(conf, "small"));
        assert_int_equal(a->tier, TIER_NONE);
        assert_true(a->arr < 0);
        assert_false(a->strategic);
        /* a FREE-or-unknown account on a PRO contract */
        assert_int_equal(a->sla, TIER_PRO);
        assert_int_equal(config_account_find(conf, "big")->sla, TIER_NONE);
        assert_int_equal(config_account_find(conf, "big")->tier, TIER_BUSINESS);
        assert_null(config_account_find(conf, "nope"));
        assert_null(config_schema_path(conf, 99));
        assert_string_equal(topic_role_name(TOPIC_ALERTS), "alerts");
        assert_string_equal(topic_role_name(TOPIC_NOTIFICATIONS),
                            "notifications");
        assert_string_equal(topic_role_name(TOPIC_DLQ), "dlq");
        assert_null(topic_role_name(TOPIC_COUNT));
        config_destroy(conf);
}

static void test_missing_file_error(void **state) {
        char err[ERRSZ];

        (void)state;
        assert_null(config_load("/nonexistent/impactd.yaml", err, sizeof(err)));
        assert_string_equal(err, "/nonexistent/impactd.yaml: cannot open: No "
                                 "such file or directory");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_when_keys_absent),
                cmocka_unit_test(test_empty_sections_are_allowed),
                cmocka_unit_test(test_shipped_config_loads),
                cmocka_unit_test(test_shipped_config_values_are_the_defaults),
                cmocka_unit_test(test_interpolation_default_and_set),
                cmocka_unit_test(test_interpolation_errors),
                cmocka_unit_test(test_unset_variable_names_line),
                cmocka_unit_test(test_unknown_key_names_line),
                cmocka_unit_test(test_bad_integer_names_file_line_key),
                cmocka_unit_test(test_out_of_range_values_rejected),
                cmocka_unit_test(test_sizes_accept_suffixes),
                cmocka_unit_test(test_weights_must_sum_to_one),
                cmocka_unit_test(test_thresholds_descending),
                cmocka_unit_test(test_dependency_cycle_rejected),
                cmocka_unit_test(test_unknown_dependency_rejected),
                cmocka_unit_test(test_librdkafka_props_pass_through),
                cmocka_unit_test(test_secrets_from_files),
                cmocka_unit_test(test_print_masks_secrets),
                cmocka_unit_test(test_redis_url_rejected_without_its_secret),
                cmocka_unit_test(test_redis_url_parts),
                cmocka_unit_test(test_print_output_loads_back),
                cmocka_unit_test(test_yaml_syntax_error_has_line),
                cmocka_unit_test(test_password_file),
                cmocka_unit_test(test_schema_paths_resolve_against_config_dir),
                cmocka_unit_test(test_writer_must_name_known_schema),
                cmocka_unit_test(test_topics_must_differ),
                cmocka_unit_test(test_catalog_lookups),
                cmocka_unit_test(test_missing_file_error),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
