/* `impactd tail`: a topic -> one JSON object per line on stdout. */
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
        int64_t deadline = impactd_mono_ms() + CLI_METADATA_TIMEOUT_MS;
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
                if (!ctx->opts->follow && impactd_mono_ms() >= deadline) {
                        log_error("topic %s: %s", ctx->opts->topic,
                                  err ? rd_kafka_err2str(err)
                                      : "no partitions");
                        break;
                }
                impactd_sleep_ms(200);
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
        int64_t last = impactd_mono_ms();
        rd_kafka_message_t *m;
        int ret = 0;

        while (cli_running && ret == 0) {
                if (o->count && ctx->printed >= o->count)
                        break;
                if (!o->follow && ctx->eof_cnt == ctx->partitions)
                        break;
                if (o->timeout_ms && impactd_mono_ms() - last >= o->timeout_ms) {
                        log_info("tail: no message on %s for %ld ms; stopping",
                                 o->topic, o->timeout_ms);
                        break;
                }
                if (!(m = rd_kafka_consumer_poll(ctx->rk, CLI_POLL_MS)))
                        continue;
                if (!m->err)
                        last = impactd_mono_ms();
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
        if ((rc = cli_setup("tail", opts.config, opts.brokers, &ctx.conf,
                            &brokers)) != IMPACTD_EXIT_OK)
                goto out;
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
