/* impactd-bench: runs impactd against a workload and measures, in the same
 * run, the ceilings it is bounded by.  See docs/performance.md.
 *
 * The embedded mock cluster (or --brokers) holds the inputs; impactd runs
 * as a child process against it and a real Redis; then a bare consumer
 * reads the same topics (Kafka ceiling), the worker's own Redis command
 * stream, recorded with IMPACTD_BENCH_REDIS_LOG, is replayed pipelined
 * from a tight loop (Redis ceiling), and the payloads are decoded in a
 * loop (decode ceiling). */
#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"
#include "event.h"
#include "impactd.h"
#include "workload.h"

#define INPUTS 3
static const char *const input_topics[INPUTS] = {
        "impact.alerts", "impact.tickets", "impact.sentiment"};
static const char *const output_topics[] = {
        "impact.scored", "impact.escalations", "impact.notifications",
        "impact.dlq"};

typedef struct opts {
        const char *workload;
        long events;
        int incidents, rate, seconds, partitions;
        const char *brokers, *redis_url, *impactd, *source_dir, *json_out;
        const char *worker_log;
        bool json_inputs, smoke;
        uint64_t seed;
} opts_t;

typedef struct payloads { /* storm and broad keep theirs for (c) */
        char **data;
        size_t *len;
        unsigned char *kind;
        long cnt;
} payloads_t;

typedef struct results {
        long produced, worker_events, worker_dlq, lost_retention;
        uint64_t scored, escalations, notifications, redis_rounds;
        double secs, events_per_s, kafka_per_s, redis_per_s, redis_cmds_per_s;
        double decode_avro_per_s, decode_json_per_s;
        double cpu_s, rss_mib, cmds_per_event, rounds_per_event;
        double script_cmds_per_event; /* run by Redis inside the scripts */
        double mem_per_incident;
        /* MEMORY USAGE of each incident's own keys, per incident: the
         * per-account sets (`:accts`, `:kaccts`, one member per account)
         * apart from the rest, as issue 6's target counts them. */
        double own_per_incident, accounts_per_incident;
        long incidents;
        long latency_n, latency_missing;
        double p50_ms, p99_ms, max_ms;
} results_t;

typedef struct bench {
        opts_t o;
        workload_t wl;
        char dir[64], config_path[128], redis_log[128];
        rd_kafka_t *mock_rk;
        rd_kafka_mock_cluster_t *mock;
        const char *bootstraps;
        rd_kafka_t *producer;
        config_t *conf;
        codec_t *codec;
        redisContext *redis;
        payloads_t pl;
        /* the worker */
        pid_t pid;
        int err_fd;
        pthread_t reader;
        volatile int assigned;
        volatile int64_t assigned_ms;
        char last_stats[4096];
        pthread_mutex_t lock;
        /* steady */
        int64_t *ticket_ts[1000], *sent_ts[1000];
        int ticket_cap[1000], sent_cap[1000], ticket_n[1000], sent_n[1000];
        volatile int produced_all;
        results_t r;
} bench_t;

static void say(const char *prefix, const char *fmt, va_list ap) {
        fprintf(stderr, "%s", prefix);
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        say("impactd-bench: ", fmt, ap);
        va_end(ap);
        exit(1);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        say("==> ", fmt, ap);
        va_end(ap);
}

/* ---- Kafka ---------------------------------------------------------------- */

static rd_kafka_conf_t *kconf(bench_t *b) {
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "bootstrap.servers", b->bootstraps, NULL, 0);
        return kc;
}

static void kset(rd_kafka_conf_t *kc, const char *k, const char *v) {
        char why[256];
        if (rd_kafka_conf_set(kc, k, v, why, sizeof(why)) != RD_KAFKA_CONF_OK)
                die("%s: %s", k, why);
}

static void start_kafka(bench_t *b) {
        char why[256];
        if (b->o.brokers) {
                b->bootstraps = b->o.brokers;
        } else {
                rd_kafka_conf_t *kc = rd_kafka_conf_new();
                kset(kc, "log_level", "3");
                b->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, why, sizeof(why));
                if (!b->mock_rk || !(b->mock = rd_kafka_mock_cluster_new(b->mock_rk, 1)))
                        die("cannot start the mock cluster: %s", why);
                for (int t = 0; t < INPUTS; t++)
                        rd_kafka_mock_topic_create(b->mock, input_topics[t],
                                                   b->o.partitions, 1);
                for (size_t t = 0; t < sizeof(output_topics) / sizeof(*output_topics); t++)
                        rd_kafka_mock_topic_create(b->mock, output_topics[t], 8, 1);
                b->bootstraps = rd_kafka_mock_cluster_bootstraps(b->mock);
        }
        rd_kafka_conf_t *kc = kconf(b);
        kset(kc, "linger.ms", "20");
        kset(kc, "batch.num.messages", "10000");
        kset(kc, "queue.buffering.max.messages", "1000000");
        kset(kc, "enable.idempotence", "true");
        b->producer = rd_kafka_new(RD_KAFKA_PRODUCER, kc, why, sizeof(why));
        if (!b->producer)
                die("producer: %s", why);
}

static void produce(bench_t *b, const bench_event_t *ev, const void *val,
                    size_t len, int64_t ts) {
        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        b->producer, RD_KAFKA_V_TOPIC(input_topics[ev->kind]),
                        RD_KAFKA_V_KEY(ev->key, strlen(ev->key)),
                        RD_KAFKA_V_VALUE((void *)val, len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
                if (!err)
                        return;
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        die("produce: %s", rd_kafka_err2str(err));
                rd_kafka_poll(b->producer, 10);
        }
}

/* How many partitions `topic` has (a real cluster's are its own). */
static int partitions_of(rd_kafka_t *rk, const char *topic) {
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
        rd_kafka_topic_destroy(rkt);
        if (err || md->topic_cnt != 1 || md->topics[0].err)
                die("metadata of %s: %s", topic,
                    rd_kafka_err2str(err ? err : md->topics[0].err));
        int n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        return n;
}

/* Every input partition's end offset, and what retention dropped. */
static rd_kafka_topic_partition_list_t *input_ends(bench_t *b, long *dropped) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(64);
        *dropped = 0;
        for (int t = 0; t < INPUTS; t++)
                for (int p = 0, n = partitions_of(b->producer, input_topics[t]);
                     p < n; p++) {
                        int64_t lo, hi;
                        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                                b->producer, input_topics[t], p, &lo, &hi, 10000);
                        if (err)
                                die("watermarks: %s", rd_kafka_err2str(err));
                        rd_kafka_topic_partition_list_add(l, input_topics[t], p)->offset = hi;
                        *dropped += lo;
                }
        return l;
}

/* ---- payloads -------------------------------------------------------------- */

static const int32_t schema_of[INPUTS] = {1, 2, 3};

static void encode(bench_t *b, const bench_event_t *ev, buf_t *out) {
        char errstr[256];
        if (b->o.json_inputs) {
                buf_reset(out);
                buf_append(out, ev->json, ev->json_len);
                return;
        }
        if (codec_json_to_avro(b->codec, schema_of[ev->kind], ev->json,
                               ev->json_len, out, errstr, sizeof(errstr)))
                die("encode %s: %s", ev->json, errstr);
}

static void keep(payloads_t *pl, const bench_event_t *ev, const buf_t *avro) {
        if (!pl->data) {
                pl->data = calloc(2 * (size_t)pl->cnt, sizeof(*pl->data));
                pl->len = calloc(2 * (size_t)pl->cnt, sizeof(*pl->len));
                pl->kind = calloc((size_t)pl->cnt, 1);
                pl->cnt = 0;
        }
        long i = pl->cnt++;
        pl->kind[i] = (unsigned char)ev->kind;
        pl->data[2 * i] = malloc(avro->len);
        memcpy(pl->data[2 * i], avro->data, avro->len);
        pl->len[2 * i] = avro->len;
        pl->data[2 * i + 1] = strndup(ev->json, ev->json_len);
        pl->len[2 * i + 1] = ev->json_len;
}

/* A preloaded workload is half an hour of event time, replayed as fast
 * as impactd can go: long enough for the policy's group wait and the
 * duration dimension to matter, as in a real storm. */
#define PRELOAD_SPAN_MS (30 * 60 * 1000LL)

static void preload(bench_t *b) {
        bench_event_t ev;
        buf_t out = {0};
        int64_t t0 = impactd_mono_ms(), now = impactd_now_ms();
        int64_t start = now - PRELOAD_SPAN_MS;
        b->pl.cnt = b->wl.events;
        while (!workload_next(&b->wl, start + PRELOAD_SPAN_MS * b->wl.next /
                                                      b->wl.events, &ev)) {
                encode(b, &ev, &out);
                produce(b, &ev, out.data, out.len, now);
                keep(&b->pl, &ev, &out);
                b->r.produced++;
        }
        if (rd_kafka_flush(b->producer, 120000))
                die("preload not acknowledged");
        buf_free(&out);
        note("preloaded %ld events in %.1f s", b->r.produced,
             (impactd_mono_ms() - t0) / 1000.0);
}

/* ---- Redis ----------------------------------------------------------------- */

static redisReply *rcmd(bench_t *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        redisReply *r = redisvCommand(b->redis, fmt, ap);
        va_end(ap);
        if (!r || r->type == REDIS_REPLY_ERROR)
                die("redis: %s", r ? r->str : b->redis->errstr);
        return r;
}

static void start_redis(bench_t *b) {
        int port = 6379, db = 0;
        char host[128] = "127.0.0.1";
        if (sscanf(b->o.redis_url, "redis://%127[^:/]:%d/%d", host, &port, &db) < 2)
                die("--redis %s: expected redis://HOST:PORT[/DB]", b->o.redis_url);
        struct timeval tv = {5, 0};
        b->redis = redisConnectWithTimeout(host, port, tv);
        if (!b->redis || b->redis->err)
                die("redis %s: %s", b->o.redis_url,
                    b->redis ? b->redis->errstr : "out of memory");
        freeReplyObject(rcmd(b, "SELECT %d", db));
}

/* Commands the worker sent so far (the bench's own excluded). */
static long long redis_calls(bench_t *b) {
        static const char *const mine[] = {"info", "select", "flushdb", "scan",
                                           "ping", NULL};
        redisReply *r = rcmd(b, "INFO commandstats");
        long long total = 0;
        for (char *line = strstr(r->str, "cmdstat_"); line;
             line = strstr(line + 1, "cmdstat_")) {
                char name[64];
                long long calls;
                if (sscanf(line, "cmdstat_%63[^:]:calls=%lld", name, &calls) != 2)
                        continue;
                bool own = false;
                for (int i = 0; mine[i]; i++)
                        own |= !strcmp(name, mine[i]);
                if (!own)
                        total += calls;
        }
        freeReplyObject(r);
        return total;
}

static long long redis_memory(bench_t *b) {
        redisReply *r = rcmd(b, "INFO memory");
        char *p = strstr(r->str, "used_memory:");
        long long m = p ? atoll(p + 12) : 0;
        freeReplyObject(r);
        return m;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Counts the incidents in Redis and what their keys take, by MEMORY
 * USAGE, pipelined per SCAN page. */
static long count_incidents(bench_t *b, long long *own, long long *accounts) {
        long n = 0;
        char cursor[32] = "0";
        *own = *accounts = 0;
        do {
                redisReply *r = rcmd(b, "SCAN %s MATCH impact:{* COUNT 10000", cursor);
                snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
                redisReply *keys = r->element[1];
                for (size_t i = 0; i < keys->elements; i++)
                        redisAppendCommand(b->redis, "MEMORY USAGE %s SAMPLES 0",
                                           keys->element[i]->str);
                for (size_t i = 0; i < keys->elements; i++) {
                        const char *k = keys->element[i]->str;
                        redisReply *m;
                        if (redisGetReply(b->redis, (void **)&m) != REDIS_OK)
                                die("memory usage: %s", b->redis->errstr);
                        long long bytes = m->type == REDIS_REPLY_INTEGER ? m->integer : 0;
                        freeReplyObject(m);
                        n += k[strlen(k) - 1] == '}'; /* the aggregate hash */
                        if (ends_with(k, ":accts") || ends_with(k, ":kaccts"))
                                *accounts += bytes;
                        else
                                *own += bytes;
                }
                freeReplyObject(r);
        } while (strcmp(cursor, "0") != 0);
        return n;
}

/* ---- the worker ------------------------------------------------------------ */

/* The model the worker runs with is the shipped one: every top-level
 * section of config/impactd.yaml but those the bench sets itself. */
static void copy_model(bench_t *b, FILE *out) {
        static const char *const own[] = {"kafka:", "redis:", "schemas:", "log:",
                                          "services:", "accounts:", NULL};
        char path[4200], line[4096];
        snprintf(path, sizeof(path), "%s/config/impactd.yaml", b->o.source_dir);
        FILE *in = fopen(path, "r");
        if (!in)
                die("%s: %s", path, strerror(errno));
        bool copying = false;
        while (fgets(line, sizeof(line), in)) {
                if (line[0] >= 'a' && line[0] <= 'z') {
                        copying = true;
                        for (int i = 0; own[i]; i++)
                                if (!strncmp(line, own[i], strlen(own[i])))
                                        copying = false;
                }
                if (copying)
                        fputs(line, out);
        }
        fclose(in);
}

static void write_config(bench_t *b) {
        snprintf(b->config_path, sizeof(b->config_path), "%s/impactd.yaml", b->dir);
        FILE *fp = fopen(b->config_path, "w");
        if (!fp)
                die("%s: %s", b->config_path, strerror(errno));
        fprintf(fp,
                "kafka:\n"
                "  brokers: \"%s\"\n"
                "  group_id: impactd-bench-%s\n"
                "  batch: {max_messages: 5000, max_wait_ms: 20}\n"
                "  consumer: {session.timeout.ms: 6000, heartbeat.interval.ms: 500%s}\n"
                "redis:\n"
                "  url: \"%s\"\n"
                "schemas:\n"
                "  dir: \"%s/schemas\"\n"
                "log: {level: info}\n",
                b->bootstraps, b->wl.name,
                /* The mock broker holds an empty fetch for the whole wait
                 * where a real one answers as soon as data arrives: that
                 * would be 500 ms of latency that is not impactd's. */
                b->mock ? ", fetch.wait.max.ms: 10" : "", b->o.redis_url,
                b->o.source_dir);
        copy_model(b, fp);
        workload_write_catalog(&b->wl, fp);
        fclose(fp);
}

/* Keeps what the bench needs from the worker's log: when it got its
 * partitions and its last stats line.  The rest is read and dropped, as
 * a log shipper would. */
static void *read_log(void *arg) {
        bench_t *b = arg;
        FILE *fp = fdopen(b->err_fd, "r");
        FILE *copy = b->o.worker_log ? fopen(b->o.worker_log, "w") : NULL;
        char line[4096];
        while (fp && fgets(line, sizeof(line), fp)) {
                if (copy)
                        fputs(line, copy);
                if (!b->assigned && strstr(line, "kafka: assigned")) {
                        b->assigned_ms = impactd_mono_ms();
                        b->assigned = 1;
                }
                if (strstr(line, " stats events=")) {
                        pthread_mutex_lock(&b->lock);
                        snprintf(b->last_stats, sizeof(b->last_stats), "%s", line);
                        pthread_mutex_unlock(&b->lock);
                }
                if (strstr(line, " ERROR "))
                        fprintf(stderr, "worker: %s", line);
        }
        if (fp)
                fclose(fp);
        if (copy)
                fclose(copy);
        return NULL;
}

static void start_worker(bench_t *b) {
        int fds[2];
        if (pipe(fds))
                die("pipe: %s", strerror(errno));
        b->pid = fork();
        if (b->pid < 0)
                die("fork: %s", strerror(errno));
        if (b->pid == 0) {
                dup2(fds[1], 2);
                close(fds[0]);
                close(fds[1]);
                setenv("IMPACTD_BENCH_REDIS_LOG", b->redis_log, 1);
                execl(b->o.impactd, b->o.impactd, "run", "--config",
                      b->config_path, (char *)NULL);
                fprintf(stderr, "exec %s: %s\n", b->o.impactd, strerror(errno));
                _exit(127);
        }
        close(fds[1]);
        b->err_fd = fds[0];
        pthread_create(&b->reader, NULL, read_log, b);
        int64_t until = impactd_mono_ms() + 60000;
        while (!b->assigned) {
                int st;
                if (waitpid(b->pid, &st, WNOHANG) == b->pid)
                        die("impactd exited before joining its group");
                if (impactd_mono_ms() > until)
                        die("impactd got no partitions in 60 s");
                impactd_sleep_ms(5);
        }
}

static uint64_t stat_field(const char *line, const char *name) {
        char key[48];
        snprintf(key, sizeof(key), " %s=", name);
        const char *p = strstr(line, key);
        return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* The worker's own peak RSS, in KiB, or -1.  Not ru_maxrss from wait4():
 * Linux carries the forked child's high-water mark over its exec, and that
 * child was a copy of this process with every preloaded payload. */
static long worker_hwm_kib(pid_t pid) {
        char path[64], line[256];
        long kib = -1;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *fp = fopen(path, "r");
        if (!fp)
                return -1;
        while (fgets(line, sizeof(line), fp))
                if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
                        break;
        fclose(fp);
        return kib;
}

static void stop_worker(bench_t *b) {
        struct rusage ru;
        int st;
        /* Read before it exits; its shutdown adds nothing to the peak. */
        long hwm = worker_hwm_kib(b->pid);
        kill(b->pid, SIGTERM);
        if (wait4(b->pid, &st, 0, &ru) != b->pid)
                die("wait4: %s", strerror(errno));
        pthread_join(b->reader, NULL);
        if (!WIFEXITED(st) || WEXITSTATUS(st))
                die("impactd did not exit cleanly (status %d)", st);
        b->r.cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
                     (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        b->r.rss_mib = (hwm >= 0 ? hwm : ru.ru_maxrss) / 1024.0;
        const char *s = b->last_stats;
        b->r.worker_events = (long)stat_field(s, "events");
        b->r.worker_dlq = (long)stat_field(s, "dlq");
        b->r.scored = stat_field(s, "scored");
        b->r.escalations = stat_field(s, "escalations");
        b->r.notifications = stat_field(s, "notifications");
        b->r.redis_rounds = stat_field(s, "redis_rounds");
}

/* Waits until the group has committed every input partition's end: only
 * then are all outputs of those events acknowledged. */
static int64_t wait_committed(bench_t *b, rd_kafka_topic_partition_list_t *ends,
                              int timeout_s) {
        char why[256], group[96];
        snprintf(group, sizeof(group), "impactd-bench-%s", b->wl.name);
        rd_kafka_conf_t *kc = kconf(b);
        kset(kc, "group.id", group);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, why, sizeof(why));
        if (!rk)
                die("consumer: %s", why);
        rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(ends);
        int64_t until = impactd_mono_ms() + timeout_s * 1000LL, done = 0;
        while (!done && impactd_mono_ms() < until) {
                if (rd_kafka_committed(rk, c, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                        bool all = true;
                        /* (an empty partition is never committed) */
                        for (int i = 0; i < c->cnt; i++)
                                all &= c->elems[i].offset >= ends->elems[i].offset ||
                                       ends->elems[i].offset == 0;
                        if (all)
                                done = impactd_mono_ms();
                }
                if (!done)
                        impactd_sleep_ms(20);
        }
        rd_kafka_topic_partition_list_destroy(c);
        rd_kafka_destroy(rk);
        if (!done)
                die("impactd did not commit everything in %d s", timeout_s);
        return done;
}

/* ---- steady: producing at a rate, and the latency -------------------------- */

static void record_ts(int64_t **a, int *cap, int *n, int seq, int64_t ts) {
        if (seq > *cap) {
                *cap = *cap ? *cap * 2 : 1024;
                while (*cap < seq)
                        *cap *= 2;
                *a = realloc(*a, (size_t)*cap * sizeof(**a));
        }
        (*a)[seq - 1] = ts;
        if (seq > *n)
                *n = seq;
}

static void *produce_steady(void *arg) {
        bench_t *b = arg;
        bench_event_t ev;
        buf_t out = {0};
        int64_t start = impactd_mono_ms();
        long sent = 0;
        for (;;) {
                /* Where the schedule says we should be by now. */
                long due = (long)((impactd_mono_ms() - start) * b->wl.rate / 1000);
                if (sent >= due) {
                        impactd_sleep_ms(1);
                        continue;
                }
                int64_t now = impactd_now_ms();
                if (workload_next(&b->wl, now, &ev))
                        break;
                encode(b, &ev, &out);
                if (ev.kind == EV_TICKET)
                        record_ts(&b->ticket_ts[ev.incident], &b->ticket_cap[ev.incident],
                                  &b->ticket_n[ev.incident], ev.seq, now);
                else if (ev.kind == EV_SENTIMENT)
                        record_ts(&b->sent_ts[ev.incident], &b->sent_cap[ev.incident],
                                  &b->sent_n[ev.incident], ev.seq, now);
                produce(b, &ev, out.data, out.len, now);
                rd_kafka_poll(b->producer, 0);
                sent++;
        }
        rd_kafka_flush(b->producer, 60000);
        b->r.produced = sent;
        buf_free(&out);
        b->produced_all = 1;
        return NULL;
}

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* Reads every scored revision; each covers the first affected_accounts
 * tickets and the first sentiment.count sentiment events of its incident
 * (see workload.h), so each event's latency is its first covering
 * revision's produce time minus its own. */
static void steady_latency(bench_t *b) {
        char why[256];
        rd_kafka_conf_t *kc = kconf(b);
        kset(kc, "group.id", "impactd-bench-latency");
        kset(kc, "enable.partition.eof", "true");
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, why, sizeof(why));
        int parts = partitions_of(rk, "impact.scored");
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
        for (int p = 0; p < parts; p++)
                rd_kafka_topic_partition_list_add(l, "impact.scored", p)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        static int covered_t[1000], covered_s[1000];
        size_t cap = (size_t)b->r.produced, n = 0;
        int64_t *lat = malloc(cap * sizeof(*lat));
        int eofs = 0;
        buf_t js = {0};
        while (eofs < parts) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 5000);
                if (!m)
                        break;
                if (m->err) {
                        eofs += m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
                        rd_kafka_message_destroy(m);
                        continue;
                }
                int64_t ts = rd_kafka_message_timestamp(m, NULL);
                json_t *o = NULL;
                if (!codec_to_json(b->codec, m->payload, m->len, &js, why, sizeof(why)))
                        o = json_loadb(js.data, js.len, 0, NULL);
                rd_kafka_message_destroy(m);
                const char *id = o ? json_string_value(json_object_get(o, "incident_id")) : NULL;
                int inc;
                if (!id || sscanf(id, "st-%d", &inc) != 1 || inc < 0 || inc >= 1000) {
                        json_decref(o);
                        continue;
                }
                int t = (int)json_integer_value(json_object_get(o, "affected_accounts"));
                int s = (int)json_integer_value(json_object_get(
                        json_object_get(o, "sentiment"), "count"));
                for (; covered_t[inc] < t && covered_t[inc] < b->ticket_n[inc]; covered_t[inc]++)
                        lat[n++] = ts - b->ticket_ts[inc][covered_t[inc]];
                for (; covered_s[inc] < s && covered_s[inc] < b->sent_n[inc]; covered_s[inc]++)
                        lat[n++] = ts - b->sent_ts[inc][covered_s[inc]];
                json_decref(o);
        }
        buf_free(&js);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        long want = 0;
        for (int i = 0; i < 1000; i++)
                want += b->ticket_n[i] + b->sent_n[i];
        b->r.latency_n = (long)n;
        b->r.latency_missing = want - (long)n;
        if (!n)
                return;
        qsort(lat, n, sizeof(*lat), cmp_i64);
        b->r.p50_ms = (double)lat[n / 2];
        b->r.p99_ms = (double)lat[n * 99 / 100];
        b->r.max_ms = (double)lat[n - 1];
        free(lat);
}

/* ---- the ceilings ---------------------------------------------------------- */

/* (a) A consumer that does nothing with what it reads. */
static void kafka_ceiling(bench_t *b, long want) {
        char why[256];
        rd_kafka_conf_t *kc = kconf(b);
        kset(kc, "group.id", "impactd-bench-bare");
        kset(kc, "auto.offset.reset", "earliest");
        kset(kc, "enable.auto.commit", "false");
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, why, sizeof(why));
        rd_kafka_poll_set_consumer(rk);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(3);
        for (int t = 0; t < INPUTS; t++)
                rd_kafka_topic_partition_list_add(l, input_topics[t], RD_KAFKA_PARTITION_UA);
        rd_kafka_subscribe(rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
        rd_kafka_message_t *msgs[5000];
        long got = 0;
        int64_t first = 0, last = 0, until = impactd_mono_ms() + 120000;
        while (got < want && impactd_mono_ms() < until) {
                ssize_t n = rd_kafka_consume_batch_queue(q, 1000, msgs, 5000);
                for (ssize_t i = 0; i < n; i++) {
                        if (!msgs[i]->err) {
                                if (!got++)
                                        first = impactd_mono_ms();
                        }
                        rd_kafka_message_destroy(msgs[i]);
                }
                last = impactd_mono_ms();
        }
        rd_kafka_queue_destroy(q);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        if (got < want)
                fprintf(stderr, "impactd-bench: bare consumer read %ld of %ld\n",
                        got, want);
        b->r.kafka_per_s = last > first ? got * 1000.0 / (last - first) : 0;
}

/* (b) The worker's own commands, replayed on an empty database in
 * windows of 1,000 from a tight loop: what Redis alone can do. */
static void redis_ceiling(bench_t *b, long events) {
        FILE *fp = fopen(b->redis_log, "r");
        if (!fp)
                die("%s: %s", b->redis_log, strerror(errno));
        struct stat st;
        fstat(fileno(fp), &st);
        char *all = malloc((size_t)st.st_size + 1);
        size_t len = fread(all, 1, (size_t)st.st_size, fp);
        fclose(fp);
        freeReplyObject(rcmd(b, "FLUSHDB"));
        const char *p = all, *end = all + len;
        long cmds = 0;
        int64_t t0 = impactd_mono_ms();
        while (p < end) {
                int window = 0;
                while (p < end && window < 1000) {
                        /* "*N\r\n" then N "$L\r\n<L bytes>\r\n" */
                        const char *q = p;
                        long argc = strtol(q + 1, (char **)&q, 10);
                        q += 2;
                        for (long a = 0; a < argc; a++) {
                                long l = strtol(q + 1, (char **)&q, 10);
                                q += 2 + l + 2;
                        }
                        redisAppendFormattedCommand(b->redis, p, (size_t)(q - p));
                        p = q;
                        window++;
                }
                for (int i = 0; i < window; i++) {
                        redisReply *r;
                        if (redisGetReply(b->redis, (void **)&r) != REDIS_OK)
                                die("replay: %s", b->redis->errstr);
                        freeReplyObject(r);
                }
                cmds += window;
        }
        double secs = (impactd_mono_ms() - t0) / 1000.0;
        free(all);
        b->r.redis_cmds_per_s = secs > 0 ? cmds / secs : 0;
        b->r.cmds_per_event = (double)cmds / (events ? events : 1);
        b->r.redis_per_s = secs > 0 ? events / secs : 0;
}

/* (c) Decoding alone, one thread, every payload `rounds` times. */
static double decode_ceiling(bench_t *b, int json) {
        event_t ev;
        char errstr[256];
        memset(&ev, 0, sizeof(ev));
        int64_t t0 = impactd_mono_ms();
        long n = 0;
        for (long i = 0; i < b->pl.cnt; i++, n++) {
                long k = 2 * i + json;
                if (codec_decode_event(b->codec, (event_kind_t)b->pl.kind[i],
                                       b->pl.data[k], b->pl.len[k], &ev, errstr,
                                       sizeof(errstr)))
                        die("decode: %s", errstr);
        }
        int64_t ms = impactd_mono_ms() - t0;
        event_free_spill(&ev);
        return ms > 0 ? n * 1000.0 / ms : 0;
}

/* ---- report ---------------------------------------------------------------- */

static void report(bench_t *b) {
        results_t *r = &b->r;
        double ev = (double)(r->worker_events ? r->worker_events : 1);
        printf("\nimpactd-bench %s: %ld events, %ld incidents, %s inputs, %d "
               "partitions per input topic, %s\n", b->wl.name, r->produced,
               r->incidents, b->o.json_inputs ? "JSON" : "Avro", b->o.partitions,
               b->o.brokers ? b->o.brokers : "embedded mock cluster");
        printf("  %-40s %12s %8s\n", "", "events/s", "impactd");
        printf("  %-40s %12.0f %8s\n", "impactd, first consumed -> last acked",
               r->events_per_s, "");
        printf("  %-40s %12.0f %7.0f%%\n", "(a) Kafka: bare consumer", r->kafka_per_s,
               r->kafka_per_s ? 100 * r->events_per_s / r->kafka_per_s : 0);
        printf("  %-40s %12.0f %7.0f%%\n", "(b) Redis: its commands, pipelined",
               r->redis_per_s, r->redis_per_s ? 100 * r->events_per_s / r->redis_per_s : 0);
        if (r->decode_avro_per_s)
                printf("  %-40s %12.0f %7.0f%%\n", "(c) decode Avro", r->decode_avro_per_s,
                       100 * r->events_per_s / r->decode_avro_per_s);
        if (r->decode_json_per_s)
                printf("  %-40s %12.0f %7.0f%%\n", "(c) decode JSON", r->decode_json_per_s,
                       100 * r->events_per_s / r->decode_json_per_s);
        if (r->latency_n)
                printf("  latency produce -> scored: p50 %.0f ms, p99 %.0f ms, max "
                       "%.0f ms (%ld events; %ld never covered)\n", r->p50_ms,
                       r->p99_ms, r->max_ms, r->latency_n, r->latency_missing);
        printf("  worker: %.1f s CPU (%.1f us per event), peak RSS %.1f MiB\n",
               r->cpu_s, r->cpu_s * 1e6 / ev, r->rss_mib);
        printf("  redis: %.4f round trips and %.3f commands per event (%.1f run "
               "inside the scripts); %.0f commands/s replayed\n",
               r->rounds_per_event, r->cmds_per_event,
               r->script_cmds_per_event, r->redis_cmds_per_s);
        printf("  redis memory per incident: %.0f bytes in all (used_memory); "
               "its own keys %.0f without per-account sets, %.0f in them\n",
               r->mem_per_incident, r->own_per_incident, r->accounts_per_incident);
        printf("  outputs: %" PRIu64 " scored, %" PRIu64 " escalations, %" PRIu64
               " notifications; dlq %ld\n", r->scored, r->escalations,
               r->notifications, r->worker_dlq);
        printf("  lost: %ld (produced %ld, impactd consumed %ld, dropped by "
               "retention %ld)\n", r->produced - r->worker_events - r->worker_dlq,
               r->produced, r->worker_events + r->worker_dlq, r->lost_retention);
        if (!b->o.json_out)
                return;
        json_t *o = json_pack(
                "{s:s, s:I, s:I, s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f,"
                " s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I,"
                " s:I, s:I}",
                "workload", b->wl.name, "events", (json_int_t)r->produced,
                "incidents", (json_int_t)r->incidents,
                "inputs", b->o.json_inputs ? "json" : "avro",
                "partitions", b->o.partitions, "seconds", r->secs,
                "events_per_s", r->events_per_s, "kafka_ceiling_per_s", r->kafka_per_s,
                "redis_ceiling_per_s", r->redis_per_s,
                "decode_avro_per_s", r->decode_avro_per_s,
                "decode_json_per_s", r->decode_json_per_s,
                "latency_p50_ms", r->p50_ms, "latency_p99_ms", r->p99_ms,
                "latency_max_ms", r->max_ms, "cpu_s", r->cpu_s,
                "peak_rss_mib", r->rss_mib, "redis_round_trips_per_event",
                r->rounds_per_event, "redis_commands_per_event", r->cmds_per_event,
                "redis_script_commands_per_event", r->script_cmds_per_event,
                "redis_bytes_per_incident", r->mem_per_incident,
                "redis_own_key_bytes_per_incident", r->own_per_incident,
                "redis_account_set_bytes_per_incident", r->accounts_per_incident,
                "redis_replay_commands_per_s", r->redis_cmds_per_s,
                "scored", (json_int_t)r->scored, "escalations",
                (json_int_t)r->escalations, "notifications",
                (json_int_t)r->notifications, "lost",
                (json_int_t)(r->produced - r->worker_events - r->worker_dlq),
                "dropped_by_retention", (json_int_t)r->lost_retention);
        if (!o || json_dump_file(o, b->o.json_out, JSON_INDENT(2)))
                die("cannot write %s", b->o.json_out);
        json_decref(o);
        printf("  written to %s\n", b->o.json_out);
}

/* What must hold whatever the speed: a fast run that lost events or
 * scored nothing is no result.  Says each failure; 1 if any. */
static int check(const bench_t *b) {
        const results_t *r = &b->r;
        int bad = 0;
        long lost = r->produced - r->worker_events - r->worker_dlq;
        if (lost || r->lost_retention) {
                note("FAILED: %ld events lost, %ld dropped by retention", lost,
                     r->lost_retention);
                bad = 1;
        }
        /* The workloads generate only valid events. */
        if (r->worker_dlq) {
                note("FAILED: %ld events went to the DLQ", r->worker_dlq);
                bad = 1;
        }
        if (r->incidents == 0 || r->scored < (uint64_t)r->incidents) {
                note("FAILED: %ld incidents in Redis, %" PRIu64 " scored revisions",
                     r->incidents, r->scored);
                bad = 1;
        }
        /* Every storm incident is opened by its root's alerts, which page. */
        if (b->wl.kind == WL_STORM &&
            (r->incidents != b->wl.incidents || r->escalations == 0)) {
                note("FAILED: storm: %ld incidents (want %d), %" PRIu64 " escalations",
                     r->incidents, b->wl.incidents, r->escalations);
                bad = 1;
        }
        if (b->wl.kind == WL_STEADY && (r->latency_missing || !r->latency_n)) {
                note("FAILED: steady: %ld events no scored revision covers",
                     r->latency_missing);
                bad = 1;
        }
        return bad;
}

/* ---- main ------------------------------------------------------------------ */

static const char usage[] =
        "usage: impactd-bench [options]\n"
        "\n"
        "Runs impactd against a generated workload and the ceilings it is\n"
        "bounded by, in the same run, and prints one table (docs/performance.md).\n"
        "\n"
        "  -w, --workload W     storm | broad | steady (default storm)\n"
        "  -n, --events N       events for storm and broad (default 1000000)\n"
        "      --incidents N    broad: over how many incidents (default 100000;\n"
        "                       with -n 100000, 10000 keeps the full run's ten\n"
        "                       events per incident)\n"
        "  -r, --rate R         steady: events per second (default 20000)\n"
        "  -s, --seconds S      steady: how long (default 60)\n"
        "  -p, --partitions P   per input topic of the mock cluster (default 32:\n"
        "                       it keeps only 5 MiB per partition)\n"
        "      --json-inputs    produce JSON instead of Avro\n"
        "  -b, --brokers B      a real cluster (topics must exist) instead of\n"
        "                       the embedded mock cluster\n"
        "  -R, --redis URL      redis://HOST:PORT/DB, flushed first (required)\n"
        "  -i, --impactd PATH   the impactd binary (required)\n"
        "  -S, --source DIR     the source tree, for schemas/ (default .)\n"
        "  -o, --out FILE       also write the results as JSON\n"
        "      --worker-log F   keep impactd's log in F (default: dropped)\n"
        "      --seed N         workload seed (default fixed)\n"
        "      --smoke          skip the ceilings: only run impactd and check\n"
        "                       its outputs (CTest's bench.smoke)\n"
        "  -h, --help\n"
        "\n"
        "Exit codes: 0 ok, 1 failure (impactd failed, lost events, a workload\n"
        "event in the DLQ, an incident never scored, a steady event no\n"
        "revision covers, timeout), 2 usage.\n";

static void parse(opts_t *o, int argc, char **argv) {
        static const struct option longs[] = {
                {"workload", 1, 0, 'w'}, {"events", 1, 0, 'n'}, {"rate", 1, 0, 'r'},
                {"incidents", 1, 0, 'I'},
                {"seconds", 1, 0, 's'}, {"partitions", 1, 0, 'p'},
                {"json-inputs", 0, 0, 'J'}, {"brokers", 1, 0, 'b'},
                {"redis", 1, 0, 'R'}, {"impactd", 1, 0, 'i'}, {"source", 1, 0, 'S'},
                {"out", 1, 0, 'o'}, {"seed", 1, 0, 'x'}, {"worker-log", 1, 0, 'L'},
                {"smoke", 0, 0, 'K'}, {"help", 0, 0, 'h'},
                {0, 0, 0, 0}};
        int c;
        *o = (opts_t){.workload = "storm", .partitions = 32, .source_dir = "."};
        while ((c = getopt_long(argc, argv, "w:n:r:s:p:b:R:i:S:o:h", longs, NULL)) != -1) {
                switch (c) {
                case 'w': o->workload = optarg; break;
                case 'n': o->events = atol(optarg); break;
                case 'I': o->incidents = atoi(optarg); break;
                case 'r': o->rate = atoi(optarg); break;
                case 's': o->seconds = atoi(optarg); break;
                case 'p': o->partitions = atoi(optarg); break;
                case 'J': o->json_inputs = true; break;
                case 'b': o->brokers = optarg; break;
                case 'R': o->redis_url = optarg; break;
                case 'i': o->impactd = optarg; break;
                case 'S': o->source_dir = optarg; break;
                case 'o': o->json_out = optarg; break;
                case 'x': o->seed = strtoull(optarg, NULL, 10); break;
                case 'L': o->worker_log = optarg; break;
                case 'K': o->smoke = true; break;
                case 'h': fputs(usage, stdout); exit(0);
                default: fputs(usage, stderr); exit(2);
                }
        }
        if (!o->redis_url || !o->impactd || o->partitions < 1) {
                fputs(usage, stderr);
                exit(2);
        }
        /* The worker's config lives in a scratch directory. */
        static char src[4096], bin[4096];
        if (!realpath(o->source_dir, src) || !realpath(o->impactd, bin))
                die("%s: %s", realpath(o->source_dir, src) ? o->impactd
                                                           : o->source_dir,
                    strerror(errno));
        o->source_dir = src;
        o->impactd = bin;
}

int main(int argc, char **argv) {
        static bench_t b;
        char errstr[512];
        parse(&b.o, argc, argv);
        if (workload_init(&b.wl, b.o.workload, b.o.events, b.o.incidents,
                          b.o.rate, b.o.seconds, b.o.seed)) {
                fputs(usage, stderr);
                return 2;
        }
        pthread_mutex_init(&b.lock, NULL);
        snprintf(b.dir, sizeof(b.dir), "/tmp/impactd-bench.XXXXXX");
        if (!mkdtemp(b.dir))
                die("mkdtemp: %s", strerror(errno));
        snprintf(b.redis_log, sizeof(b.redis_log), "%s/redis.resp", b.dir);
        start_kafka(&b);
        start_redis(&b);
        write_config(&b);
        if (!(b.conf = config_load(b.config_path, errstr, sizeof(errstr))) ||
            !(b.codec = codec_new(b.conf, errstr, sizeof(errstr))))
                die("%s", errstr);
        freeReplyObject(rcmd(&b, "FLUSHDB"));
        bool steady = b.wl.kind == WL_STEADY;
        long dropped = 0;
        if (!steady)
                preload(&b);
        long long calls0 = redis_calls(&b), mem0 = redis_memory(&b);
        note("impactd %s on %s", b.wl.name, b.bootstraps);
        start_worker(&b);
        pthread_t prod;
        if (steady) {
                pthread_create(&prod, NULL, produce_steady, &b);
                pthread_join(prod, NULL);
        }
        rd_kafka_topic_partition_list_t *ends = input_ends(&b, &dropped);
        int64_t done = wait_committed(&b, ends, 1800);
        rd_kafka_topic_partition_list_destroy(ends);
        b.r.lost_retention = dropped;
        b.r.secs = (done - b.assigned_ms) / 1000.0;
        stop_worker(&b);
        b.r.events_per_s = b.r.secs > 0 ? b.r.worker_events / b.r.secs : 0;
        b.r.script_cmds_per_event = (double)(redis_calls(&b) - calls0) /
                                    (b.r.worker_events ? b.r.worker_events : 1);
        b.r.rounds_per_event = (double)b.r.redis_rounds /
                               (b.r.worker_events ? b.r.worker_events : 1);
        long long own, accounts;
        b.r.incidents = count_incidents(&b, &own, &accounts);
        if (b.r.incidents) {
                b.r.mem_per_incident =
                        (double)(redis_memory(&b) - mem0) / b.r.incidents;
                b.r.own_per_incident = (double)own / b.r.incidents;
                b.r.accounts_per_incident = (double)accounts / b.r.incidents;
        }
        if (steady) {
                note("latency from impact.scored");
                steady_latency(&b);
        }
        if (!b.o.smoke) {
                note("(a) bare consumer");
                kafka_ceiling(&b, b.r.produced);
                note("(b) redis replay");
                redis_ceiling(&b, b.r.worker_events);
        }
        if (!steady && !b.o.smoke) {
                note("(c) decoding");
                b.r.decode_avro_per_s = b.o.json_inputs ? 0 : decode_ceiling(&b, 0);
                b.r.decode_json_per_s = decode_ceiling(&b, 1);
        }
        report(&b);
        codec_destroy(b.codec);
        config_destroy(b.conf);
        unlink(b.redis_log);
        unlink(b.config_path);
        rmdir(b.dir);
        return check(&b);
}
