/* `impactd produce`: JSON lines on stdin -> a topic, in Avro or JSON. */
#include "cli_common.h"
#include "cli_tools.h"

#include "codec.h"
#include "config.h"
#include "impactd.h"
#include "log.h"
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
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
        int64_t end = impactd_mono_ms() + ms;
        int64_t left;

        while (cli_running && (left = end - impactd_mono_ms()) > 0)
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
        if ((rc = cli_setup("produce", opts.config, opts.brokers, &ctx.conf,
                            &brokers)) != IMPACTD_EXIT_OK)
                goto out;
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
