/* impactd rewind: moves the workers' consumer group back on the input
 * topics, so that the next `impactd run` applies those events again.
 *
 * What an operator does after Redis lost state (docs/operations.md): stop
 * the workers, rewind to before the loss, start them.  Replayed events the
 * state still holds are recognised (event ids, offset fences) and change
 * nothing; the rest rebuild what was lost.  The group must have no live
 * member: the tool joins it and commits only once it holds every
 * partition, rather than race the workers. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_common.h"
#include "cli_tools.h"
#include "impactd.h"
#include "kafka_io.h"
#include "log.h"
#include "redis_state.h"

typedef struct rewind_opts {
        const char *config, *brokers;
        int64_t to_ms;   /* --to-time; -1 = none */
        bool earliest;   /* --to-earliest */
        bool dry_run;
} rewind_opts_t;

static void rewind_usage(FILE *fp) {
        fprintf(fp,
                "Usage: impactd rewind [--config FILE] [--brokers LIST]\n"
                "                      (--to-earliest | --to-time TIME) "
                "[--dry-run]\n\n"
                "Commits, for the workers' consumer group (kafka.group_id), "
                "the offsets of the\ninput topics at TIME: the first message "
                "at or after it, in every partition\n(the end where there is "
                "none), or where the group is now if that is earlier: it\n"
                "never moves forward.  The next `impactd run` consumes from "
                "there.\n"
                "Stop every worker first: a group with live members is "
                "refused.\n\n"
                "  --to-earliest     the oldest message Kafka still holds\n"
                "  --to-time TIME    epoch milliseconds, or UTC "
                "YYYY-MM-DDTHH:MM:SSZ\n"
                "  --dry-run         print the offsets, commit nothing\n\n"
                "Prints one line per partition: topic, partition, committed "
                "before, after.\nExit 0 done, 1 Kafka or Redis failure (or "
                "the group in use), 2 usage,\n3 config.\n");
}

/* Epoch ms of "2026-12-07T17:00:00Z" or of a number. */
static int parse_time(const char *s, int64_t *out) {
        long ms;
        struct tm tm;
        if (cli_parse_long(s, 0, LONG_MAX, &ms) == 0) {
                *out = ms;
                return 0;
        }
        char z = 0, extra = 0;
        memset(&tm, 0, sizeof(tm));
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &tm.tm_year, &tm.tm_mon,
                   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z,
                   &extra) != 7 ||
            z != 'Z')
                return -1;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        *out = (int64_t)timegm(&tm) * 1000;
        return 0;
}

static int rewind_parse_args(int argc, char **argv, rewind_opts_t *o) {
        static const struct option opts[] = {
                {"config", required_argument, NULL, 'c'},
                {"brokers", required_argument, NULL, 'b'},
                {"to-earliest", no_argument, NULL, 'e'},
                {"to-time", required_argument, NULL, 't'},
                {"dry-run", no_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0}};
        int c;
        memset(o, 0, sizeof(*o));
        o->to_ms = -1;
        optind = 1;
        while ((c = getopt_long(argc, argv, "c:b:et:nh", opts, NULL)) != -1) {
                switch (c) {
                case 'c': o->config = optarg; break;
                case 'b': o->brokers = optarg; break;
                case 'e': o->earliest = true; break;
                case 'n': o->dry_run = true; break;
                case 't':
                        if (parse_time(optarg, &o->to_ms))
                                return cli_usage_error(
                                        "rewind", "--to-time: '%s' is neither "
                                                  "epoch ms nor "
                                                  "YYYY-MM-DDTHH:MM:SSZ",
                                        optarg);
                        break;
                case 'h': rewind_usage(stdout); return IMPACTD_EXIT_OK;
                default: return cli_usage_hint("rewind");
                }
        }
        if (optind < argc)
                return cli_usage_error("rewind", "unexpected argument '%s'",
                                       argv[optind]);
        if (o->earliest == (o->to_ms >= 0))
                return cli_usage_error("rewind", "give one of --to-earliest "
                                                 "and --to-time");
        return -1;
}

/* Fills `to` with the offsets at the target: offsets_for_times, or the
 * low watermark; a partition with nothing at or after the time gets its
 * end. */
static int target_offsets(rd_kafka_t *rk, const rewind_opts_t *o,
                          rd_kafka_topic_partition_list_t *to) {
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (!o->earliest) {
                for (int i = 0; i < to->cnt; i++)
                        to->elems[i].offset = o->to_ms;
                err = rd_kafka_offsets_for_times(rk, to, CLI_METADATA_TIMEOUT_MS);
        }
        for (int i = 0; !err && i < to->cnt; i++) {
                rd_kafka_topic_partition_t *p = &to->elems[i];
                int64_t lo, hi;
                if (!o->earliest && p->offset >= 0)
                        continue;
                err = rd_kafka_query_watermark_offsets(
                        rk, p->topic, p->partition, &lo, &hi,
                        CLI_METADATA_TIMEOUT_MS);
                p->offset = o->earliest ? lo : hi;
        }
        if (err) {
                log_error("kafka: offsets at the target: %s",
                          rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

static int new_generation(const config_t *conf) {
        char errstr[512];
        int64_t gen;
        redis_state_t *rs = redis_state_new(conf, errstr, sizeof(errstr));
        if (!rs || redis_state_bump_generation(rs, impactd_now_ms() / 1000,
                                               &gen, errstr, sizeof(errstr))) {
                log_error("%s", errstr);
                redis_state_destroy(rs);
                return -1;
        }
        fprintf(stderr, "impactd rewind: state generation %" PRId64 "\n", gen);
        redis_state_destroy(rs);
        return 0;
}

#define JOIN_TIMEOUT_MS 60000

/* Joins the group and waits to be assigned every one of its `total`
 * partitions: only a member may commit for a group, and a member that
 * holds every partition is alone in it, so no worker is running. */
static int join_alone(rd_kafka_t *rk, int total, const config_t *conf) {
        rd_kafka_topic_partition_list_t *subs =
                rd_kafka_topic_partition_list_new(TOPIC_INPUT_COUNT);
        rd_kafka_topic_partition_list_t *assigned = NULL;
        int held = 0;
        for (int t = 0; t < TOPIC_INPUT_COUNT; t++)
                rd_kafka_topic_partition_list_add(subs, conf->kafka.topics[t],
                                                  RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, subs);
        rd_kafka_topic_partition_list_destroy(subs);
        if (err) {
                log_error("kafka: subscribe: %s", rd_kafka_err2str(err));
                return -1;
        }
        int64_t deadline = impactd_mono_ms() + JOIN_TIMEOUT_MS;
        while (held < total && cli_running && impactd_mono_ms() < deadline) {
                /* Messages are read only to take part in the group. */
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, CLI_POLL_MS);
                if (m)
                        rd_kafka_message_destroy(m);
                if (!rd_kafka_assignment(rk, &assigned)) {
                        held = assigned->cnt;
                        rd_kafka_topic_partition_list_destroy(assigned);
                }
        }
        if (held < total) {
                log_error("kafka: group %s: assigned %d of %d partitions "
                          "within %d s: other members are running; stop "
                          "every worker of the group first",
                          conf->kafka.group_id, held, total,
                          JOIN_TIMEOUT_MS / 1000);
                return -1;
        }
        return 0;
}

int cli_rewind(int argc, char **argv) {
        rewind_opts_t o;
        config_t *conf = NULL;
        rd_kafka_t *rk = NULL;
        rd_kafka_topic_partition_list_t *to = NULL, *before = NULL;
        const char *brokers;
        int rc;

        if ((rc = rewind_parse_args(argc, argv, &o)) >= 0)
                return rc;
        cli_install_signals();
        if ((rc = cli_setup("rewind", o.config, o.brokers, &conf, &brokers)) !=
            IMPACTD_EXIT_OK)
                goto out;
        static const char *const defaults[] = {NULL};
        const char *const own[] = {"bootstrap.servers", brokers,
                                   "group.id", conf->kafka.group_id,
                                   "enable.auto.commit", "false", NULL};
        rc = IMPACTD_EXIT_CONFIG;
        rd_kafka_conf_t *kc = cli_kafka_conf(defaults, conf->kafka.consumer_props,
                                             conf->kafka.consumer_props_cnt, own);
        if (!kc || !(rk = cli_kafka_new(RD_KAFKA_CONSUMER, kc)))
                goto out;
        rc = IMPACTD_EXIT_FAILURE;
        char errstr[512];
        if (!(to = kafka_input_partitions(rk, conf, CLI_METADATA_TIMEOUT_MS,
                                          errstr, sizeof(errstr)))) {
                log_error("%s", errstr);
                goto out;
        }
        if (target_offsets(rk, &o, to))
                goto out;
        before = rd_kafka_topic_partition_list_copy(to);
        rd_kafka_resp_err_t err =
                rd_kafka_committed(rk, before, CLI_METADATA_TIMEOUT_MS);
        if (err) {
                log_error("kafka: committed offsets of group %s: %s",
                          conf->kafka.group_id, rd_kafka_err2str(err));
                goto out;
        }
        /* Back, never forward: a partition committed before the target
         * (a lagging one, or one with nothing since) keeps its offset;
         * moving it on would skip what was never applied. */
        for (int i = 0; i < to->cnt; i++)
                if (before->elems[i].offset >= 0 &&
                    before->elems[i].offset < to->elems[i].offset)
                        to->elems[i].offset = before->elems[i].offset;
        for (int i = 0; i < to->cnt; i++)
                printf("%s\t%" PRId32 "\t%" PRId64 "\t%" PRId64 "\n",
                       to->elems[i].topic, to->elems[i].partition,
                       before->elems[i].offset >= 0 ? before->elems[i].offset
                                                    : (int64_t)-1,
                       to->elems[i].offset);
        if (o.dry_run) {
                rc = IMPACTD_EXIT_OK;
                goto out;
        }
        /* First a new state generation, so that the replay gets past the
         * offset fences; only then the offsets (a generation too many is
         * harmless, a replay fenced out is not). */
        if (new_generation(conf) || join_alone(rk, to->cnt, conf))
                goto out;
        if ((err = rd_kafka_commit(rk, to, 0))) {
                log_error("kafka: commit for group %s: %s (stop every worker "
                          "of the group first)",
                          conf->kafka.group_id, rd_kafka_err2str(err));
                goto out;
        }
        fprintf(stderr, "impactd rewind: group %s rewound on %d partitions\n",
                conf->kafka.group_id, to->cnt);
        rc = IMPACTD_EXIT_OK;
out:
        if (to)
                rd_kafka_topic_partition_list_destroy(to);
        if (before)
                rd_kafka_topic_partition_list_destroy(before);
        if (rk) {
                rd_kafka_consumer_close(rk);
                rd_kafka_destroy(rk);
        }
        if (conf)
                config_destroy(conf);
        return rc;
}
