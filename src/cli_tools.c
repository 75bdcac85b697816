/* `impactd produce` and `impactd tail`: put JSON lines onto a topic, and
 * print a topic as JSON lines.  See cli_tools.h for the contract.
 *
 * Both follow kcat's shape: parse options, build one librdkafka client, run a
 * compact loop that checks a flag cleared by SIGINT/SIGTERM, and shut down
 * cleanly (a producer drains its queue and checks every delivery report). */
#include "cli_tools.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "codec.h"
#include "config.h"
#include "impactd.h"
#include "log.h"

#define CLI_DEFAULT_CONFIG      "config/impactd.yaml"
#define CLI_FLUSH_TIMEOUT_MS    30000
#define CLI_METADATA_TIMEOUT_MS 10000
#define CLI_TAIL_IDLE_MS        10000
#define CLI_POLL_MS             100

/* Cleared by SIGINT/SIGTERM; every loop checks it between messages. */
static volatile sig_atomic_t cli_running = 1;

static void cli_on_signal(int sig) {
        (void)sig;
        cli_running = 0;
}

static void cli_install_signals(void) {
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        /* No SA_RESTART: a read of stdin blocked in getline() must return
         * on Ctrl-C so that the producer can still flush what it has. */
        sa.sa_handler = cli_on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        /* A closed stdout (`impactd tail | head`) is an EPIPE write error,
         * handled where it happens, rather than a silent death. */
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
}

static int64_t cli_mono_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cli_sleep_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

/* After getopt's own message about a bad option. */
static int cli_usage_hint(const char *cmd) {
        fprintf(stderr, "Try 'impactd %s --help'.\n", cmd);
        return IMPACTD_EXIT_USAGE;
}

/* Prints "impactd CMD: message" and a pointer to --help; returns the usage
 * exit code so that callers can `return cli_usage_error(...)`. */
static int cli_usage_error(const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int cli_usage_error(const char *cmd, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "impactd %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return cli_usage_hint(cmd);
}

/* Parses a whole decimal number in [min, max]; 0 on success. */
static int cli_parse_long(const char *s, long min, long max, long *out) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return -1;
        *out = v;
        return 0;
}

/* --config, else $IMPACTD_CONFIG, else ./config/impactd.yaml when present,
 * else the built-in defaults (relative paths then resolve against the cwd). */
static int cli_load_config(const char *path, config_t **out) {
        const char *env = getenv("IMPACTD_CONFIG");
        char errstr[512];
        struct stat st;
        log_level_t level;

        if (!path && env && *env)
                path = env;
        if (!path && stat(CLI_DEFAULT_CONFIG, &st) == 0)
                path = CLI_DEFAULT_CONFIG;
        if (path)
                *out = config_load(path, errstr, sizeof(errstr));
        else
                *out = config_load_string("{}", 2, "<defaults>", errstr,
                                          sizeof(errstr));
        if (!*out) {
                log_error("%s", errstr);
                return IMPACTD_EXIT_CONFIG;
        }
        if ((*out)->log_level &&
            log_level_parse((*out)->log_level, &level) == 0)
                log_min_level = level;
        return IMPACTD_EXIT_OK;
}

/* --brokers, else kafka.brokers of the configuration, else the environment;
 * NULL when none is set (the tools never start an embedded cluster). */
static const char *cli_brokers(const char *opt, const config_t *conf) {
        const char *env = getenv("IMPACTD_KAFKA_BROKERS");

        if (opt && *opt)
                return opt;
        if (conf->kafka.brokers && *conf->kafka.brokers)
                return conf->kafka.brokers;
        if (env && *env)
                return env;
        return NULL;
}

/* librdkafka logs through log.h, like everything else. */
static void cli_kafka_log(const rd_kafka_t *rk, int level, const char *fac,
                          const char *buf) {
        (void)rk;
        if (level <= 3)
                log_error("kafka %s: %s", fac, buf);
        else if (level == 4)
                log_warn("kafka %s: %s", fac, buf);
        else
                log_debug("kafka %s: %s", fac, buf);
}

static int cli_conf_set(rd_kafka_conf_t *kc, const char *name,
                        const char *value) {
        char errstr[512];

        if (rd_kafka_conf_set(kc, name, value, errstr, sizeof(errstr)) ==
            RD_KAFKA_CONF_OK)
                return 0;
        log_error("kafka property %s: %s", name, errstr);
        return -1;
}

/* A client configuration built in three layers, later ones winning: the
 * tool's overridable `defaults`, the configuration file's properties
 * (`props`), and the tool's mandatory settings (`own`).  The pair lists are
 * NULL-terminated {name, value, ...} arrays.  NULL on a bad property. */
static rd_kafka_conf_t *cli_kafka_conf(const char *const *defaults,
                                       const config_prop_t *props, size_t cnt,
                                       const char *const *own) {
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        size_t i;

        rd_kafka_conf_set_log_cb(kc, cli_kafka_log);
        for (; *defaults; defaults += 2)
                if (cli_conf_set(kc, defaults[0], defaults[1]))
                        goto fail;
        for (i = 0; i < cnt; i++)
                if (cli_conf_set(kc, props[i].name, props[i].value))
                        goto fail;
        for (; *own; own += 2)
                if (cli_conf_set(kc, own[0], own[1]))
                        goto fail;
        return kc;
fail:
        rd_kafka_conf_destroy(kc);
        return NULL;
}

/* Takes ownership of `kc` (also on failure). */
static rd_kafka_t *cli_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *kc) {
        char errstr[512];
        rd_kafka_t *rk = rd_kafka_new(type, kc, errstr, sizeof(errstr));

        if (!rk) {
                log_error("kafka: %s", errstr);
                rd_kafka_conf_destroy(kc);
        }
        return rk;
}

/* Base64 (RFC 4648, padded) of `len` bytes; malloc'd, NULL on ENOMEM. */
static char *cli_base64(const void *data, size_t len) {
        static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "abcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = data;
        char *out = malloc(4 * ((len + 2) / 3) + 1);
        char *o = out;
        size_t i;
        uint32_t v;

        if (!out)
                return NULL;
        for (i = 0; i + 2 < len; i += 3) {
                v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
                *o++ = tbl[v >> 18 & 63];
                *o++ = tbl[v >> 12 & 63];
                *o++ = tbl[v >> 6 & 63];
                *o++ = tbl[v & 63];
        }
        if (i < len) {
                v = (uint32_t)p[i] << 16;
                if (i + 1 < len)
                        v |= (uint32_t)p[i + 1] << 8;
                *o++ = tbl[v >> 18 & 63];
                *o++ = tbl[v >> 12 & 63];
                *o++ = i + 1 < len ? tbl[v >> 6 & 63] : '=';
                *o++ = '=';
        }
        *o = '\0';
        return out;
}

/* Bytes as a JSON value: a string when they are UTF-8, else
 * {"base64": "..."}; null for NULL. */
static json_t *cli_json_bytes(const void *data, size_t len) {
        json_t *s;
        char *b64;

        if (!data)
                return json_null();
        if ((s = json_stringn(data, len)))
                return s;
        if (!(b64 = cli_base64(data, len)))
                return NULL;
        s = json_pack("{s:s}", "base64", b64);
        free(b64);
        return s;
}

/* ------------------------------------------------------------------------ */
/* impactd produce                                                          */

static const char produce_usage[] =
        "usage: impactd produce --topic TOPIC [options] < events.jsonl\n"
        "\n"
        "Reads one JSON event per line from stdin (blank lines and lines\n"
        "starting with '#' are skipped) and writes each to TOPIC.\n"
        "\n"
        "  -t, --topic TOPIC        topic to write to (required)\n"
        "  -b, --brokers HOST:PORT  bootstrap brokers (default: kafka.brokers\n"
        "                           of the config, else "
        "$IMPACTD_KAFKA_BROKERS)\n"
        "  -c, --config FILE        configuration (default: $IMPACTD_CONFIG,\n"
        "                           else ./config/impactd.yaml, else "
        "defaults)\n"
        "  -f, --format avro|json   encoding to write (default: avro)\n"
        "  -s, --schema-id N        Avro schema id (default: the config's\n"
        "                           writer id for the topic)\n"
        "  -k, --key-field NAME     string field used as the message key\n"
        "                           (default: incident_key, service or\n"
        "                           account_id, the first present)\n"
        "  -i, --interval-ms N      pause between messages (default: 0)\n"
        "  -h, --help               show this help\n"
        "\n"
        "Exit status: 0 all sent, 1 a line did not convert or a message was\n"
        "not delivered (the other lines are still sent), 2 usage error,\n"
        "3 invalid configuration.\n";

typedef struct produce_opts {
        const char *topic;
        const char *brokers;
        const char *config;
        const char *key_field; /* NULL: incident_key, service, account_id */
        wire_format_t format;
        int32_t schema_id; /* 0: the config's writer id for the topic */
        long interval_ms;
} produce_opts_t;

typedef struct produce_ctx {
        const produce_opts_t *opts;
        config_t *conf;
        codec_t *codec; /* Avro only */
        rd_kafka_t *rk;
        int32_t schema_id;
        buf_t value; /* the Avro encoding of the current line */
        long line_no;
        long sent;        /* handed to librdkafka */
        long bad_lines;   /* did not convert, or were refused */
        long delivered;   /* acknowledged by the brokers */
        long undelivered; /* delivery report with an error */
        bool read_failed;
} produce_ctx_t;

/* Returns -1 to go on, else the exit code (--help, usage error). */
static int produce_parse_args(int argc, char **argv, produce_opts_t *o) {
        static const struct option longopts[] = {
                {"topic", required_argument, NULL, 't'},
                {"brokers", required_argument, NULL, 'b'},
                {"config", required_argument, NULL, 'c'},
                {"format", required_argument, NULL, 'f'},
                {"schema-id", required_argument, NULL, 's'},
                {"key-field", required_argument, NULL, 'k'},
                {"interval-ms", required_argument, NULL, 'i'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        long n;
        int c;

        memset(o, 0, sizeof(*o));
        o->format = FORMAT_AVRO;
        optind = 0; /* glibc: 0 re-initialises getopt fully */
        while ((c = getopt_long(argc, argv, "t:b:c:f:s:k:i:h", longopts,
                                NULL)) != -1) {
                switch (c) {
                case 't': o->topic = optarg; break;
                case 'b': o->brokers = optarg; break;
                case 'c': o->config = optarg; break;
                case 'k': o->key_field = optarg; break;
                case 'f':
                        if (strcmp(optarg, "avro") == 0)
                                o->format = FORMAT_AVRO;
                        else if (strcmp(optarg, "json") == 0)
                                o->format = FORMAT_JSON;
                        else
                                return cli_usage_error(
                                        "produce",
                                        "--format: expected avro "
                                        "or json, got '%s'",
                                        optarg);
                        break;
                case 's':
                        if (cli_parse_long(optarg, 1, INT32_MAX, &n))
                                return cli_usage_error(
                                        "produce",
                                        "--schema-id: expected a "
                                        "positive integer, got '%s'",
                                        optarg);
                        o->schema_id = (int32_t)n;
                        break;
                case 'i':
                        if (cli_parse_long(optarg, 0, 3600000, &o->interval_ms))
                                return cli_usage_error(
                                        "produce",
                                        "--interval-ms: expected "
                                        "0..3600000, got '%s'",
                                        optarg);
                        break;
                case 'h': fputs(produce_usage, stdout); return IMPACTD_EXIT_OK;
                default: return cli_usage_hint("produce");
                }
        }
        if (optind < argc)
                return cli_usage_error("produce", "unexpected argument '%s'",
                                       argv[optind]);
        if (!o->topic || !*o->topic)
                return cli_usage_error("produce", "--topic is required");
        return -1;
}

/* --schema-id, else the writer id of the topic role whose configured name is
 * the topic. */
static int produce_schema_id(produce_ctx_t *ctx) {
        const config_t *conf = ctx->conf;
        const char *topic = ctx->opts->topic;
        int r;

        ctx->schema_id = ctx->opts->schema_id;
        for (r = 0; r < TOPIC_COUNT && !ctx->schema_id; r++)
                if (conf->kafka.topics[r] &&
                    strcmp(conf->kafka.topics[r], topic) == 0)
                        ctx->schema_id = conf->schemas.writer_id[r];
        if (ctx->schema_id > 0 && config_schema_path(conf, ctx->schema_id))
                return IMPACTD_EXIT_OK;
        if (ctx->schema_id > 0)
                return cli_usage_error("produce",
                                       "schema id %d is not in schemas.ids "
                                       "of %s",
                                       (int)ctx->schema_id,
                                       conf->path ? conf->path : "the config");
        return cli_usage_error("produce",
                               "no Avro schema id for topic %s in %s: pass "
                               "--schema-id N or --format json",
                               topic, conf->path ? conf->path : "the config");
}

static void produce_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                                void *opaque) {
        produce_ctx_t *ctx = opaque;

        (void)rk;
        if (!m->err) {
                ctx->delivered++;
                return;
        }
        ctx->undelivered++;
        log_error("delivery to %s failed: %s", rd_kafka_topic_name(m->rkt),
                  rd_kafka_err2str(m->err));
}

static rd_kafka_t *produce_client_new(produce_ctx_t *ctx, const char *brokers) {
        /* Bounded so that an unreachable cluster fails within the flush. */
        static const char *const defaults[] = {"message.timeout.ms", "25000",
                                               "linger.ms", "5", NULL};
        const char *const own[] = {"bootstrap.servers", brokers, NULL};
        rd_kafka_conf_t *kc;

        kc = cli_kafka_conf(defaults, ctx->conf->kafka.producer_props,
                            ctx->conf->kafka.producer_props_cnt, own);
        if (!kc)
                return NULL;
        rd_kafka_conf_set_opaque(kc, ctx);
        rd_kafka_conf_set_dr_msg_cb(kc, produce_on_delivery);
        return cli_kafka_new(RD_KAFKA_PRODUCER, kc);
}

/* --key-field, else the first non-empty of incident_key, service,
 * account_id; NULL for none.  Borrowed from `root`. */
static json_t *produce_key(json_t *root, const char *key_field) {
        static const char *const fallback[] = {"incident_key", "service",
                                               "account_id"};
        json_t *v;
        size_t i;

        if (key_field) {
                v = json_object_get(root, key_field);
                return json_is_string(v) ? v : NULL;
        }
        for (i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
                v = json_object_get(root, fallback[i]);
                if (json_is_string(v) && json_string_length(v) > 0)
                        return v;
        }
        return NULL;
}

static int produce_send(produce_ctx_t *ctx, const json_t *key,
                        const void *value, size_t len) {
        rd_kafka_resp_err_t err;

        for (;;) {
                err = rd_kafka_producev(
                        ctx->rk, RD_KAFKA_V_TOPIC(ctx->opts->topic),
                        RD_KAFKA_V_KEY(key ? json_string_value(key) : NULL,
                                       key ? json_string_length(key) : 0),
                        RD_KAFKA_V_VALUE((void *)value, len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || !cli_running)
                        break;
                /* Serving delivery reports is what frees queue space. */
                rd_kafka_poll(ctx->rk, CLI_POLL_MS);
        }
        if (err) {
                log_error("line %ld: not produced: %s", ctx->line_no,
                          rd_kafka_err2str(err));
                return -1;
        }
        ctx->sent++;
        rd_kafka_poll(ctx->rk, 0);
        return 0;
}

/* Converts and sends one line (trimmed, not empty); -1 when it is bad. */
static int produce_line(produce_ctx_t *ctx, const char *line, size_t len) {
        char errstr[512];
        json_error_t jerr;
        json_t *root;
        const void *value = line;
        size_t value_len = len;
        int ret = -1;

        root = json_loadb(line, len, 0, &jerr);
        if (!root) {
                log_error("line %ld: invalid JSON: %s at column %d",
                          ctx->line_no, jerr.text, jerr.column);
                goto out;
        }
        if (!json_is_object(root)) {
                log_error("line %ld: JSON is not an object", ctx->line_no);
                goto out;
        }
        if (ctx->opts->format == FORMAT_AVRO) {
                if (codec_json_to_avro(ctx->codec, ctx->schema_id, line, len,
                                       &ctx->value, errstr,
                                       sizeof(errstr)) != IMPACTD_OK) {
                        log_error("line %ld: %s", ctx->line_no, errstr);
                        goto out;
                }
                value = ctx->value.data;
                value_len = ctx->value.len;
        }
        ret = produce_send(ctx, produce_key(root, ctx->opts->key_field), value,
                           value_len);
out:
        json_decref(root);
        return ret;
}

/* Sleeps while serving delivery reports. */
static void produce_pause(produce_ctx_t *ctx, long ms) {
        int64_t end = cli_mono_ms() + ms;
        int64_t left;

        while (cli_running && (left = end - cli_mono_ms()) > 0)
                rd_kafka_poll(ctx->rk, (int)left);
}

static void produce_lines(produce_ctx_t *ctx) {
        char *line = NULL;
        size_t cap = 0, len;
        ssize_t n;
        char *s;

        while (cli_running && (n = getline(&line, &cap, stdin)) >= 0) {
                ctx->line_no++;
                s = line;
                len = (size_t)n;
                while (len > 0 && strchr(" \t\r\n", s[len - 1]))
                        len--;
                while (len > 0 && (*s == ' ' || *s == '\t'))
                        s++, len--;
                if (len == 0 || *s == '#')
                        continue;
                if (ctx->sent + ctx->bad_lines > 0 && ctx->opts->interval_ms)
                        produce_pause(ctx, ctx->opts->interval_ms);
                if (cli_running && produce_line(ctx, s, len) != 0)
                        ctx->bad_lines++;
        }
        if (ferror(stdin) && cli_running) {
                log_error("reading stdin: %s", strerror(errno));
                ctx->read_failed = true;
        }
        if (!cli_running)
                log_info("interrupted after %ld lines; flushing", ctx->line_no);
        free(line);
}

/* Waits for every delivery report; the exit code of the whole run. */
static int produce_finish(produce_ctx_t *ctx) {
        int left;

        rd_kafka_flush(ctx->rk, CLI_FLUSH_TIMEOUT_MS);
        left = rd_kafka_outq_len(ctx->rk);
        if (left > 0) {
                log_error("%d messages not delivered within %d s", left,
                          CLI_FLUSH_TIMEOUT_MS / 1000);
                /* Purged messages get failed delivery reports: count them. */
                rd_kafka_purge(ctx->rk, RD_KAFKA_PURGE_F_QUEUE |
                                                RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_poll(ctx->rk, 0);
        }
        fprintf(stderr, "produced %ld messages to %s\n", ctx->delivered,
                ctx->opts->topic);
        if (ctx->bad_lines)
                log_error("%ld lines not produced (see above)", ctx->bad_lines);
        if (ctx->bad_lines || ctx->undelivered || left > 0 ||
            ctx->read_failed || ctx->delivered != ctx->sent)
                return IMPACTD_EXIT_FAILURE;
        return IMPACTD_EXIT_OK;
}

int cli_produce(int argc, char **argv) {
        char errstr[512];
        produce_opts_t opts;
        produce_ctx_t ctx;
        const char *brokers;
        int rc;

        memset(&ctx, 0, sizeof(ctx));
        if ((rc = produce_parse_args(argc, argv, &opts)) >= 0)
                return rc;
        ctx.opts = &opts;
        cli_install_signals();
        if ((rc = cli_load_config(opts.config, &ctx.conf)) != IMPACTD_EXIT_OK)
                goto out;
        if (!(brokers = cli_brokers(opts.brokers, ctx.conf))) {
                rc = cli_usage_error("produce", "no brokers: pass --brokers "
                                                "or set IMPACTD_KAFKA_BROKERS");
                goto out;
        }
        if (opts.format == FORMAT_AVRO) {
                if ((rc = produce_schema_id(&ctx)) != IMPACTD_EXIT_OK)
                        goto out;
                if (!(ctx.codec =
                              codec_new(ctx.conf, errstr, sizeof(errstr)))) {
                        log_error("%s", errstr);
                        rc = IMPACTD_EXIT_CONFIG;
                        goto out;
                }
        }
        if (!(ctx.rk = produce_client_new(&ctx, brokers))) {
                rc = IMPACTD_EXIT_CONFIG;
                goto out;
        }
        produce_lines(&ctx);
        rc = produce_finish(&ctx);
out:
        if (ctx.rk)
                rd_kafka_destroy(ctx.rk);
        if (ctx.codec)
                codec_destroy(ctx.codec);
        buf_free(&ctx.value);
        if (ctx.conf)
                config_destroy(ctx.conf);
        return rc;
}

/* ------------------------------------------------------------------------ */
/* impactd tail                                                             */

static const char tail_usage[] =
        "usage: impactd tail --topic TOPIC [options]\n"
        "\n"
        "Prints TOPIC from the beginning of every partition, one JSON object\n"
        "per line (Avro decoded with the project's schemas, JSON passed\n"
        "through).  Undecodable messages, and every message of the DLQ topic,\n"
        "print as {\"topic\",\"partition\",\"offset\",\"undecodable\":true,\n"
        "\"reason\",\"headers\",\"value_base64\"}.  No consumer group is "
        "joined.\n"
        "\n"
        "  -t, --topic TOPIC        topic to read (required)\n"
        "  -b, --brokers HOST:PORT  bootstrap brokers (default: kafka.brokers\n"
        "                           of the config, else "
        "$IMPACTD_KAFKA_BROKERS)\n"
        "  -c, --config FILE        configuration (default: $IMPACTD_CONFIG,\n"
        "                           else ./config/impactd.yaml, else "
        "defaults)\n"
        "  -n, --count N            stop after N messages\n"
        "  -T, --timeout-ms N       stop after N ms without a new message\n"
        "                           (default: 10000, none with --follow;\n"
        "                           0 = no timeout)\n"
        "  -f, --follow             keep waiting at the end of the partitions\n"
        "  -K, --with-key           print {\"key\",\"value\",\"partition\","
        "\"offset\"}\n"
        "  -h, --help               show this help\n"
        "\n"
        "Without --follow it stops once every partition is at its end.\n"
        "Exit status: 0 ok, 1 Kafka failure, 2 usage error, 3 invalid\n"
        "configuration.\n";

typedef struct tail_opts {
        const char *topic;
        const char *brokers;
        const char *config;
        long count;      /* 0 = no limit */
        long timeout_ms; /* idle timeout; 0 = none */
        bool follow;
        bool with_key;
} tail_opts_t;

typedef struct tail_ctx {
        const tail_opts_t *opts;
        config_t *conf;
        codec_t *codec;
        rd_kafka_t *rk;
        bool dlq; /* the DLQ topic: raw bytes and headers, never decoded */
        int partitions;
        bool *at_eof; /* per partition */
        int eof_cnt;
        long printed;
        buf_t value; /* the message as one JSON object */
        buf_t line;  /* what is printed */
} tail_ctx_t;

static int tail_parse_args(int argc, char **argv, tail_opts_t *o) {
        static const struct option longopts[] = {
                {"topic", required_argument, NULL, 't'},
                {"brokers", required_argument, NULL, 'b'},
                {"config", required_argument, NULL, 'c'},
                {"count", required_argument, NULL, 'n'},
                {"timeout-ms", required_argument, NULL, 'T'},
                {"follow", no_argument, NULL, 'f'},
                {"with-key", no_argument, NULL, 'K'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        int c;

        memset(o, 0, sizeof(*o));
        o->timeout_ms = -1; /* not given */
        optind = 0;         /* glibc: 0 re-initialises getopt fully */
        while ((c = getopt_long(argc, argv, "t:b:c:n:T:fKh", longopts, NULL)) !=
               -1) {
                switch (c) {
                case 't': o->topic = optarg; break;
                case 'b': o->brokers = optarg; break;
                case 'c': o->config = optarg; break;
                case 'f': o->follow = true; break;
                case 'K': o->with_key = true; break;
                case 'n':
                        if (cli_parse_long(optarg, 1, LONG_MAX, &o->count))
                                return cli_usage_error(
                                        "tail",
                                        "--count: expected a positive "
                                        "integer, got '%s'",
                                        optarg);
                        break;
                case 'T':
                        if (cli_parse_long(optarg, 0, INT_MAX, &o->timeout_ms))
                                return cli_usage_error(
                                        "tail",
                                        "--timeout-ms: expected a "
                                        "number >= 0, got '%s'",
                                        optarg);
                        break;
                case 'h': fputs(tail_usage, stdout); return IMPACTD_EXIT_OK;
                default: return cli_usage_hint("tail");
                }
        }
        if (optind < argc)
                return cli_usage_error("tail", "unexpected argument '%s'",
                                       argv[optind]);
        if (!o->topic || !*o->topic)
                return cli_usage_error("tail", "--topic is required");
        if (o->timeout_ms < 0)
                o->timeout_ms = o->follow ? 0 : CLI_TAIL_IDLE_MS;
        return -1;
}

/* An assign()-only consumer: group.id is required by librdkafka's consumer
 * API, but without subscribe() the group is never joined, and nothing is
 * committed. */
static rd_kafka_t *tail_client_new(tail_ctx_t *ctx, const char *brokers) {
        static const char *const defaults[] = {"fetch.wait.max.ms", "100",
                                               NULL};
        char group[64];
        const char *const own[] = {"bootstrap.servers",
                                   brokers,
                                   "group.id",
                                   group,
                                   "enable.partition.eof",
                                   "true",
                                   "enable.auto.commit",
                                   "false",
                                   "enable.auto.offset.store",
                                   "false",
                                   NULL};
        rd_kafka_conf_t *kc;
        rd_kafka_t *rk;

        snprintf(group, sizeof(group), "impactd-tail-%ld", (long)getpid());
        kc = cli_kafka_conf(defaults, ctx->conf->kafka.consumer_props,
                            ctx->conf->kafka.consumer_props_cnt, own);
        if (!kc)
                return NULL;
        if ((rk = cli_kafka_new(RD_KAFKA_CONSUMER, kc)))
                rd_kafka_poll_set_consumer(rk);
        return rk;
}

/* The topic's partition count; waits for the topic to appear (outputs are
 * created on first use) up to CLI_METADATA_TIMEOUT_MS, or for ever with
 * --follow.  -1 on failure. */
static int tail_partition_count(tail_ctx_t *ctx) {
        const struct rd_kafka_metadata *md;
        int64_t deadline = cli_mono_ms() + CLI_METADATA_TIMEOUT_MS;
        rd_kafka_topic_t *rkt;
        rd_kafka_resp_err_t err;
        int cnt = -1;

        if (!(rkt = rd_kafka_topic_new(ctx->rk, ctx->opts->topic, NULL))) {
                log_error("topic %s: %s", ctx->opts->topic,
                          rd_kafka_err2str(rd_kafka_last_error()));
                return -1;
        }
        while (cli_running) {
                md = NULL;
                err = rd_kafka_metadata(ctx->rk, 0, rkt, &md,
                                        CLI_METADATA_TIMEOUT_MS);
                if (!err && md->topic_cnt == 1 && !(err = md->topics[0].err))
                        cnt = md->topics[0].partition_cnt;
                if (md)
                        rd_kafka_metadata_destroy(md);
                if (cnt > 0)
                        break;
                cnt = -1;
                if (!ctx->opts->follow && cli_mono_ms() >= deadline) {
                        log_error("topic %s: %s", ctx->opts->topic,
                                  err ? rd_kafka_err2str(err)
                                      : "no partitions");
                        break;
                }
                cli_sleep_ms(200);
        }
        rd_kafka_topic_destroy(rkt);
        return cnt;
}

static int tail_assign(tail_ctx_t *ctx) {
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_resp_err_t err;
        int p;

        parts = rd_kafka_topic_partition_list_new(ctx->partitions);
        for (p = 0; p < ctx->partitions; p++)
                rd_kafka_topic_partition_list_add(parts, ctx->opts->topic, p)
                        ->offset = RD_KAFKA_OFFSET_BEGINNING;
        err = rd_kafka_assign(ctx->rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        if (err) {
                log_error("assign %s: %s", ctx->opts->topic,
                          rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

static void tail_mark_eof(tail_ctx_t *ctx, int32_t partition, bool eof) {
        if (partition < 0 || partition >= ctx->partitions ||
            ctx->at_eof[partition] == eof)
                return;
        ctx->at_eof[partition] = eof;
        ctx->eof_cnt += eof ? 1 : -1;
}

/* Headers as {name: value}; a repeated name keeps its last value. */
static json_t *tail_headers(const rd_kafka_message_t *m, const char **reason) {
        rd_kafka_headers_t *hdrs = NULL;
        json_t *obj = json_object();
        const char *name;
        const void *val;
        size_t size, i;

        if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
                return obj;
        for (i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == 0;
             i++) {
                json_object_set_new(obj, name, cli_json_bytes(val, size));
                /* The DLQ names its reason in a header ("reason",
                 * "impactd.reason", ...). */
                if (reason && strstr(name, "reason") &&
                    json_is_string(json_object_get(obj, name)))
                        *reason = json_string_value(json_object_get(obj, name));
        }
        return obj;
}

/* The record printed for bytes that are not an event, and for the DLQ. */
static int tail_undecodable(tail_ctx_t *ctx, const rd_kafka_message_t *m,
                            const char *reason) {
        json_t *obj = json_object();
        json_t *headers = tail_headers(m, ctx->dlq ? &reason : NULL);
        char *b64 = m->payload ? cli_base64(m->payload, m->len) : NULL;
        char *text = NULL;
        int ret = -1;

        json_object_set_new(obj, "topic", json_string(ctx->opts->topic));
        json_object_set_new(obj, "partition", json_integer(m->partition));
        json_object_set_new(obj, "offset", json_integer(m->offset));
        json_object_set_new(obj, "undecodable", json_true());
        json_object_set_new(obj, "reason",
                            cli_json_bytes(reason, strlen(reason)));
        json_object_set(obj, "headers", headers);
        json_object_set_new(obj, "value_base64",
                            b64 ? json_string(b64) : json_null());
        if (m->payload && !b64)
                goto out;
        if ((text = json_dumps(obj, JSON_COMPACT)))
                ret = buf_append(&ctx->value, text, strlen(text));
out:
        free(text);
        free(b64);
        json_decref(headers);
        json_decref(obj);
        return ret;
}

/* {"key":K,"value":V,"partition":P,"offset":O} around the value. */
static int tail_wrap_with_key(tail_ctx_t *ctx, const rd_kafka_message_t *m) {
        json_t *key = cli_json_bytes(m->key, m->key_len);
        char *ktext =
                key ? json_dumps(key, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        char tail[64];
        int ret = -1;

        if (!ktext)
                goto out;
        snprintf(tail, sizeof(tail), ",\"partition\":%d,\"offset\":%lld}",
                 (int)m->partition, (long long)m->offset);
        if (buf_append(&ctx->line, "{\"key\":", 7) ||
            buf_append(&ctx->line, ktext, strlen(ktext)) ||
            buf_append(&ctx->line, ",\"value\":", 9) ||
            buf_append(&ctx->line, ctx->value.data, ctx->value.len) ||
            buf_append(&ctx->line, tail, strlen(tail)))
                goto out;
        ret = 0;
out:
        free(ktext);
        json_decref(key);
        return ret;
}

/* Prints one message; 0 to go on, 1 when stdout is closed, -1 on error. */
static int tail_print(tail_ctx_t *ctx, const rd_kafka_message_t *m) {
        char errstr[512] = "";
        int ret;

        buf_reset(&ctx->value);
        buf_reset(&ctx->line);
        if (ctx->dlq)
                ret = tail_undecodable(ctx, m, "dead-lettered");
        else if (codec_to_json(ctx->codec, m->payload, m->len, &ctx->value,
                               errstr, sizeof(errstr)) == IMPACTD_OK)
                ret = 0;
        else {
                buf_reset(&ctx->value);
                ret = tail_undecodable(ctx, m, errstr);
        }
        if (ret == 0 && ctx->opts->with_key)
                ret = tail_wrap_with_key(ctx, m);
        else if (ret == 0)
                ret = buf_append(&ctx->line, ctx->value.data, ctx->value.len);
        if (ret || buf_append(&ctx->line, "\n", 1)) {
                log_error("out of memory formatting offset %lld",
                          (long long)m->offset);
                return -1;
        }
        if (fwrite(ctx->line.data, 1, ctx->line.len, stdout) != ctx->line.len ||
            fflush(stdout) != 0) {
                if (errno == EPIPE)
                        return 1;
                log_error("writing stdout: %s", strerror(errno));
                return -1;
        }
        ctx->printed++;
        return 0;
}

/* One consumer event; 0 to go on, 1 to stop, -1 on a fatal error. */
static int tail_handle(tail_ctx_t *ctx, const rd_kafka_message_t *m) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                tail_mark_eof(ctx, m->partition, true);
                return 0;
        }
        if (m->err) {
                log_error("kafka: %s", rd_kafka_message_errstr(m));
                /* Transport errors come and go; these do not. */
                if (m->err == RD_KAFKA_RESP_ERR__FATAL ||
                    m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
                    m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
                        return -1;
                return 0;
        }
        tail_mark_eof(ctx, m->partition, false);
        return tail_print(ctx, m);
}

static int tail_loop(tail_ctx_t *ctx) {
        const tail_opts_t *o = ctx->opts;
        int64_t last = cli_mono_ms();
        rd_kafka_message_t *m;
        int ret = 0;

        while (cli_running && ret == 0) {
                if (o->count && ctx->printed >= o->count)
                        break;
                if (!o->follow && ctx->eof_cnt == ctx->partitions)
                        break;
                if (o->timeout_ms && cli_mono_ms() - last >= o->timeout_ms) {
                        log_info("tail: no message on %s for %ld ms; stopping",
                                 o->topic, o->timeout_ms);
                        break;
                }
                if (!(m = rd_kafka_consumer_poll(ctx->rk, CLI_POLL_MS)))
                        continue;
                if (!m->err)
                        last = cli_mono_ms();
                ret = tail_handle(ctx, m);
                rd_kafka_message_destroy(m);
        }
        return ret < 0 ? IMPACTD_EXIT_FAILURE : IMPACTD_EXIT_OK;
}

static int tail_start(tail_ctx_t *ctx, const char *brokers) {
        char errstr[512];

        if (!(ctx->codec = codec_new(ctx->conf, errstr, sizeof(errstr)))) {
                log_error("%s", errstr);
                return IMPACTD_EXIT_CONFIG;
        }
        if (!(ctx->rk = tail_client_new(ctx, brokers)))
                return IMPACTD_EXIT_CONFIG;
        if ((ctx->partitions = tail_partition_count(ctx)) <= 0)
                return IMPACTD_EXIT_FAILURE;
        if (!(ctx->at_eof = calloc((size_t)ctx->partitions, sizeof(bool)))) {
                log_error("out of memory");
                return IMPACTD_EXIT_FAILURE;
        }
        if (tail_assign(ctx))
                return IMPACTD_EXIT_FAILURE;
        return IMPACTD_EXIT_OK;
}

int cli_tail(int argc, char **argv) {
        const char *dlq_topic, *brokers;
        tail_opts_t opts;
        tail_ctx_t ctx;
        int rc;

        memset(&ctx, 0, sizeof(ctx));
        if ((rc = tail_parse_args(argc, argv, &opts)) >= 0)
                return rc;
        ctx.opts = &opts;
        cli_install_signals();
        /* Pipes see each line as it comes. */
        setvbuf(stdout, NULL, _IOLBF, 0);
        if ((rc = cli_load_config(opts.config, &ctx.conf)) != IMPACTD_EXIT_OK)
                goto out;
        if (!(brokers = cli_brokers(opts.brokers, ctx.conf))) {
                rc = cli_usage_error("tail", "no brokers: pass --brokers or "
                                             "set IMPACTD_KAFKA_BROKERS");
                goto out;
        }
        dlq_topic = ctx.conf->kafka.topics[TOPIC_DLQ];
        ctx.dlq = dlq_topic && strcmp(dlq_topic, opts.topic) == 0;
        if ((rc = tail_start(&ctx, brokers)) != IMPACTD_EXIT_OK)
                goto out;
        rc = tail_loop(&ctx);
        log_debug("tail: %ld messages from %s", ctx.printed, opts.topic);
out:
        if (ctx.rk) {
                rd_kafka_consumer_close(ctx.rk);
                rd_kafka_destroy(ctx.rk);
        }
        if (ctx.codec)
                codec_destroy(ctx.codec);
        free(ctx.at_eof);
        buf_free(&ctx.value);
        buf_free(&ctx.line);
        if (ctx.conf)
                config_destroy(ctx.conf);
        return rc;
}
