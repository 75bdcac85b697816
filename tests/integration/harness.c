/* Integration-test harness: mock Kafka cluster, real Redis, real workers. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"
#include "impactd.h"

static const char *const topics[] = {
        "impact.alerts",      "impact.tickets",       "impact.sentiment",
        "impact.scored",      "impact.escalations",   "impact.notifications",
        "impact.dlq"};

#define MAX_LIVE 4
static harness_t *live[MAX_LIVE];

/* A worker outliving its test keeps loading its Redis functions and
 * consuming: never leave one behind, whatever way the test ends. */
static void kill_live_workers(void) {
        for (int i = 0; i < MAX_LIVE; i++)
                for (int w = 0; live[i] && w < HARNESS_MAX_WORKERS; w++)
                        if (live[i]->workers[w] > 0) {
                                kill(live[i]->workers[w], SIGKILL);
                                waitpid(live[i]->workers[w], NULL, 0);
                                live[i]->workers[w] = 0;
                        }
}

static void die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "harness: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
        kill_live_workers();
        exit(2);
}

static const char *env_or(const char *name, const char *def) {
        const char *v = getenv(name);
        return v && *v ? v : def;
}

/* CTest passes the fixture's URL; the default only serves running a test
 * binary by hand against scripts/redis-test.sh's default port. */
static const char *redis_url(void) {
        return env_or("IMPACTD_TEST_REDIS_URL", "redis://127.0.0.1:6479");
}

static void start_kafka(harness_t *h, int partitions) {
        char errstr[512];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "log_level", "3", NULL, 0);
        h->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr, sizeof(errstr));
        if (!h->mock_rk)
                die("mock handle: %s", errstr);
        const char *brokers = getenv("IMPACTD_TEST_MOCK_BROKERS");
        h->mock = rd_kafka_mock_cluster_new(h->mock_rk, brokers ? atoi(brokers) : 1);
        if (!h->mock)
                die("cannot start the mock cluster");
        for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
                rd_kafka_mock_topic_create(h->mock, topics[i], partitions, 1);
        snprintf(h->bootstraps, sizeof(h->bootstraps), "%s",
                 rd_kafka_mock_cluster_bootstraps(h->mock));
        kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "bootstrap.servers", h->bootstraps, NULL, 0);
        rd_kafka_conf_set(kc, "linger.ms", "0", NULL, 0);
        /* Room for test_bad_input's message over 1 MiB. */
        rd_kafka_conf_set(kc, "message.max.bytes", "2000000", NULL, 0);
        h->producer = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr, sizeof(errstr));
        if (!h->producer)
                die("producer: %s", errstr);
}

static void write_config(harness_t *h, const char *extra) {
        snprintf(h->config_path, sizeof(h->config_path), "%s/impactd.yaml", h->dir);
        FILE *fp = fopen(h->config_path, "w");
        if (!fp)
                die("cannot write %s: %s", h->config_path, strerror(errno));
        fprintf(fp,
                "kafka:\n"
                "  brokers: \"%s\"\n"
                "  group_id: \"impactd-test-%s\"\n"
                "  batch: {max_messages: \"${IMPACTD_TEST_BATCH_MAX:-1000}\", max_wait_ms: 10}\n"
                "  delivery_timeout_ms: \"${IMPACTD_TEST_DELIVERY_TIMEOUT_MS:-30000}\"\n"
                "  consumer:\n"
                "    session.timeout.ms: 6000\n"
                "    heartbeat.interval.ms: 500\n"
                "    topic.metadata.refresh.interval.ms: 1000\n"
                /* The mock broker answers an empty fetch only after
                 * this wait, new data or not: each step of a test
                 * would wait out the default 500 ms. */
                "    fetch.wait.max.ms: 20\n"
                "    message.max.bytes: \"${IMPACTD_TEST_MESSAGE_MAX_BYTES:-1000000}\"\n"
                "  producer:\n"
                "    linger.ms: 0\n"
                "    message.max.bytes: \"${IMPACTD_TEST_PRODUCER_MAX_BYTES:-1000000}\"\n"
                /* Test events are dated 2026-11-18 whatever the machine's
                 * clock says; test_bad_input turns the check on. */
                "limits: {max_future_s: \"${IMPACTD_TEST_MAX_FUTURE_S:-0}\",\n"
                "         max_string_bytes: \"${IMPACTD_TEST_MAX_STRING_BYTES:-1024}\"}\n"
                "redis:\n"
                "  url: \"%s/%d\"\n"
                "schemas:\n"
                "  dir: \"%s/schemas\"\n"
                "log: {level: %s}\n"
                "%s\n",
                h->bootstraps, h->name,
                redis_url(), h->redis_db, env_or("IMPACTD_SOURCE_DIR", "."),
                env_or("IMPACTD_TEST_LOG_LEVEL", "info"), extra ? extra : "");
        fclose(fp);
}

int harness_teardown(void **state) {
        (void)state;
        for (int i = 0; i < MAX_LIVE; i++)
                if (live[i])
                        harness_stop(live[i]);
        return 0;
}

void harness_start(harness_t *h, const char *name, int redis_db,
                   int partitions, const char *extra_yaml) {
        char errstr[1024];
        memset(h, 0, sizeof(*h));
        for (int i = 0; i < MAX_LIVE; i++)
                if (!live[i]) {
                        live[i] = h;
                        break;
                }
        snprintf(h->name, sizeof(h->name), "%s", name);
        /* $TMPDIR, so that a test run on a shared machine keeps its files
         * out of everyone else's way (scripts/test.sh gives each run its
         * own). */
        const char *tmp = getenv("TMPDIR");
        snprintf(h->dir, sizeof(h->dir), "%s/impactd-test-%s-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp", name);
        if (!mkdtemp(h->dir))
                die("mkdtemp: %s", strerror(errno));
        h->redis_db = redis_db;
        snprintf(h->clock_path, sizeof(h->clock_path), "%s/clock", h->dir);
        /* The clock stands at the epoch until a test moves it, so an
         * incident is exactly as old as its events say and no deadline
         * falls due on its own: tests do not depend on the wall clock. */
        harness_set_clock(h, 1);
        start_kafka(h, partitions);
        write_config(h, extra_yaml);
        config_t *conf = config_load(h->config_path, errstr, sizeof(errstr));
        if (!conf)
                die("test config: %s", errstr);
        h->conf = conf;
        if (!(h->codec = codec_new(conf, errstr, sizeof(errstr))))
                die("codec: %s", errstr);

        const char *url = redis_url();
        const char *hp = strstr(url, "://");
        char host[128];
        int port;
        if (!hp || sscanf(hp + 3, "%127[^:]:%d", host, &port) != 2)
                die("IMPACTD_TEST_REDIS_URL %s is not redis://host:port", url);
        h->redis = redisConnect(host, port);
        if (!h->redis || h->redis->err)
                die("redis %s:%d: %s (is the redis fixture running?)", host,
                    port, h->redis ? h->redis->errstr : "oom");
        freeReplyObject(harness_redis(h, "SELECT %d", redis_db));
        freeReplyObject(harness_redis(h, "FLUSHDB"));
}

void harness_redis_reconnect(harness_t *h) {
        if (redisReconnect(h->redis) != REDIS_OK)
                die("redis reconnect: %s", h->redis->errstr);
        freeReplyObject(harness_redis(h, "SELECT %d", h->redis_db));
}

void harness_stop(harness_t *h) {
        for (int i = 0; i < MAX_LIVE; i++)
                if (live[i] == h)
                        live[i] = NULL;
        for (int i = 0; i < HARNESS_MAX_WORKERS; i++)
                if (h->workers[i] > 0)
                        harness_worker_stop(h, i, SIGKILL);
        if (h->producer) {
                rd_kafka_flush(h->producer, 5000);
                rd_kafka_destroy(h->producer);
        }
        if (h->mock)
                rd_kafka_mock_cluster_destroy(h->mock);
        if (h->mock_rk)
                rd_kafka_destroy(h->mock_rk);
        if (h->redis)
                redisFree(h->redis);
        codec_destroy(h->codec);
        config_destroy(h->conf);
        if (!getenv("IMPACTD_TEST_KEEP")) {
                char cmd[300];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "harness: cannot remove %s\n", h->dir);
        }
}

/* ---- workers ------------------------------------------------------------ */

void harness_set_clock(harness_t *h, int64_t ms) {
        char tmp[340];
        snprintf(tmp, sizeof(tmp), "%s.tmp", h->clock_path);
        FILE *fp = fopen(tmp, "w");
        if (!fp || fprintf(fp, "%lld\n", (long long)ms) < 0 || fclose(fp))
                die("cannot write %s: %s", tmp, strerror(errno));
        if (rename(tmp, h->clock_path))
                die("rename %s: %s", tmp, strerror(errno));
}

extern char **environ;

/* The test's environment plus IMPACTD_CLOCK_FILE, built before fork so
 * the child only has to exec (librdkafka's threads may hold malloc's
 * locks at fork time). */
static char **worker_environ(const harness_t *h, char *clock_var,
                             size_t size) {
        size_t n = 0, k = 0;
        while (environ[n])
                n++;
        char **envp = calloc(n + 2, sizeof(*envp));
        if (!envp)
                die("out of memory");
        snprintf(clock_var, size, "IMPACTD_CLOCK_FILE=%s", h->clock_path);
        for (size_t i = 0; i < n; i++)
                if (strncmp(environ[i], "IMPACTD_CLOCK_FILE=", 19) != 0)
                        envp[k++] = environ[i];
        envp[k] = clock_var;
        return envp;
}

/* Lines of the file at `path` holding `needle`, and `also` too unless
 * NULL; 0 when there is no such file yet. */
static size_t count_lines(const char *path, const char *needle,
                          const char *also) {
        char line[2048];
        size_t n = 0;
        FILE *fp = fopen(path, "r");
        if (!fp)
                return 0;
        while (fgets(line, sizeof(line), fp))
                n += strstr(line, needle) && (!also || strstr(line, also));
        fclose(fp);
        return n;
}

size_t harness_log_count(const harness_t *h, int idx, const char *needle,
                         const char *also) {
        char path[320];
        snprintf(path, sizeof(path), "%s/worker%d.log", h->dir, idx);
        return count_lines(path, needle, also);
}

/* Each failpoint IMPACTD_FAILPOINTS names, as the worker's log says it
 * enabled it since `before` (its count of "failpoint ... enabled" lines
 * then): a test of a crash that never came must not pass, as it would
 * against a build without failpoints. */
static void expect_failpoints(harness_t *h, int idx, size_t before) {
        const char *spec = getenv("IMPACTD_FAILPOINTS");
        char name[128];
        size_t want = 0;
        for (const char *p = spec; p && *p;) {
                size_t len = strcspn(p, "=,");
                snprintf(name, sizeof(name), "failpoint %.*s enabled", (int)len, p);
                if (len && !harness_log_count(h, idx, name, NULL)) {
                        harness_print_logs(h);
                        die("worker %d: no \"%s\" in its log", idx, name);
                }
                want += len > 0;
                p += strcspn(p, ",");
                p += *p == ',';
        }
        if (harness_log_count(h, idx, "failpoint ", " enabled") != before + want)
                die("worker %d did not enable exactly the failpoints of "
                    "IMPACTD_FAILPOINTS=%s", idx, spec ? spec : "");
}

void harness_worker_start(harness_t *h, int idx) {
        char out[320], log[320], clock_var[360];
        const char *bin = env_or("IMPACTD_BIN", "./impactd");
        char *const argv[] = {"impactd", "run", "--config", h->config_path,
                              NULL};
        char **envp = worker_environ(h, clock_var, sizeof(clock_var));
        snprintf(out, sizeof(out), "%s/worker%d.out", h->dir, idx);
        snprintf(log, sizeof(log), "%s/worker%d.log", h->dir, idx);
        unlink(out);
        size_t failpoints = harness_log_count(h, idx, "failpoint ", " enabled");
        struct stat sb;
        h->log_start[idx] = stat(log, &sb) ? 0 : sb.st_size;
        pid_t pid = fork();
        if (pid < 0)
                die("fork: %s", strerror(errno));
        if (pid == 0) {
                int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                int e = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                if (o < 0 || e < 0)
                        _exit(126);
                dup2(o, 1);
                dup2(e, 2);
                /* Dies with the test, even if the test is killed. */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                execve(bin, argv, envp);
                _exit(127);
        }
        free(envp);
        h->workers[idx] = pid;
        int64_t deadline = impactd_mono_ms() + HARNESS_MIN_WAIT_MS;
        while (!count_lines(out, "kafka bootstrap:", NULL)) {
                int status;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        h->workers[idx] = 0;
                        harness_print_logs(h);
                        die("worker %d exited at start (status %d)", idx, status);
                }
                if (impactd_mono_ms() > deadline)
                        die("worker %d did not start within %d s", idx,
                            HARNESS_MIN_WAIT_MS / 1000);
                impactd_sleep_ms(20);
        }
        expect_failpoints(h, idx, failpoints);
}

void harness_worker_start_with(harness_t *h, int idx, const char *failpoints) {
        setenv("IMPACTD_FAILPOINTS", failpoints, 1);
        harness_worker_start(h, idx);
        unsetenv("IMPACTD_FAILPOINTS");
}

/* Input partitions worker `idx` holds, from its log's last assign or
 * revoke line (the eager protocol: a revoke gives back all of them). */
static int worker_partitions(const harness_t *h, int idx) {
        char path[320], line[1024];
        int n = 0, cnt;
        snprintf(path, sizeof(path), "%s/worker%d.log", h->dir, idx);
        FILE *fp = fopen(path, "r");
        if (!fp)
                return 0;
        /* This run's lines only: a killed run's last assign is stale. */
        fseek(fp, h->log_start[idx], SEEK_SET);
        while (fgets(line, sizeof(line), fp)) {
                const char *p = strstr(line, "kafka: assigned ");
                if (p && sscanf(p, "kafka: assigned %d", &cnt) == 1)
                        n = cnt;
                else if (strstr(line, "kafka: revoked "))
                        n = 0;
        }
        fclose(fp);
        return n;
}

static bool all_assigned(harness_t *h, const void *arg) {
        const int *want = arg; /* {workers, partitions} */
        int sum = 0, idle = 0;
        for (int i = 0; i < want[0]; i++) {
                int p = worker_partitions(h, i);
                sum += p;
                idle += p == 0;
        }
        return !idle && sum == want[1];
}

bool harness_wait_assigned(harness_t *h, int n, int total, int timeout_ms) {
        const int want[2] = {n, total};
        return harness_until(h, all_assigned, want, timeout_ms);
}

int harness_worker_stop(harness_t *h, int idx, int sig) {
        int status = 0;
        pid_t pid = h->workers[idx];
        if (pid <= 0)
                return -1;
        kill(pid, sig);
        /* Long enough for a SIGTERM'd worker under the sanitizers on a
         * loaded machine to deliver and commit; a worker that takes
         * longer hangs, and a hang must fail with the logs, not at the
         * CTest timeout without them. */
        int64_t deadline = impactd_mono_ms() + 120000;
        while (waitpid(pid, &status, WNOHANG) != pid) {
                if (impactd_mono_ms() > deadline) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &status, 0);
                        h->workers[idx] = 0;
                        harness_print_logs(h);
                        die("worker %d did not exit within 120 s of signal %d",
                            idx, sig);
                }
                impactd_sleep_ms(10);
        }
        h->workers[idx] = 0;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

void harness_print_logs(harness_t *h) {
        char cmd[600];
        /* Without the failpoint rescore.note's line every 200 ms, which
         * would leave nothing else in view. */
        snprintf(cmd, sizeof(cmd),
                 "for f in %s/worker*.log; do echo \"==> $f\"; grep -v "
                 "'failpoint rescore.note: ' \"$f\" | tail -n 60; done 1>&2",
                 h->dir);
        if (system(cmd) != 0)
                fprintf(stderr, "harness: no worker logs in %s\n", h->dir);
}

/* A worker that died on its own is a bug in impactd: say so at once
 * rather than letting the test time out on missing output. */
static void check_workers(harness_t *h) {
        for (int i = 0; i < HARNESS_MAX_WORKERS; i++) {
                int status;
                if (h->workers[i] <= 0 ||
                    waitpid(h->workers[i], &status, WNOHANG) != h->workers[i])
                        continue;
                h->workers[i] = 0;
                harness_print_logs(h);
                die("worker %d died: %s %d", i,
                    WIFSIGNALED(status) ? "signal" : "exit status",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        }
}

bool harness_until(harness_t *h, bool (*cond)(harness_t *, const void *),
                   const void *arg, int timeout_ms) {
        if (timeout_ms < HARNESS_MIN_WAIT_MS)
                timeout_ms = HARNESS_MIN_WAIT_MS;
        int64_t deadline = impactd_mono_ms() + timeout_ms;
        while (!cond(h, arg)) {
                if (impactd_mono_ms() > deadline) {
                        /* the workers' side of the story, before teardown */
                        harness_print_logs(h);
                        return false;
                }
                check_workers(h);
                impactd_sleep_ms(25);
        }
        return true;
}

typedef struct log_wait {
        int idx;
        const char *needle, *also;
        size_t n;
} log_wait_t;

static bool log_has(harness_t *h, const void *arg) {
        const log_wait_t *w = arg;
        return harness_log_count(h, w->idx, w->needle, w->also) >= w->n;
}

bool harness_wait_log(harness_t *h, int idx, const char *needle,
                      const char *also, size_t n, int timeout_ms) {
        const log_wait_t w = {idx, needle, also, n};
        if (harness_until(h, log_has, &w, timeout_ms))
                return true;
        fprintf(stderr, "worker %d: no \"%s\"%s%s%s in its log\n", idx, needle,
                also ? " with \"" : "", also ? also : "", also ? "\"" : "");
        return false;
}

/* ---- producing ---------------------------------------------------------- */

void harness_produce_raw(harness_t *h, const char *topic, const void *data,
                         size_t len) {
        harness_produce_keyed(h, topic, NULL, data, len);
}

void harness_produce_keyed(harness_t *h, const char *topic, const char *key,
                           const void *data, size_t len) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
                h->producer, RD_KAFKA_V_TOPIC(topic),
                RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                RD_KAFKA_V_VALUE((void *)data, len),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err)
                die("produce to %s: %s", topic, rd_kafka_err2str(err));
}

void harness_produce(harness_t *h, const char *kind, const char *json,
                     bool avro) {
        char topic[64], errstr[512];
        snprintf(topic, sizeof(topic), "impact.%s", kind);
        json_error_t jerr;
        json_t *obj = json_loads(json, 0, &jerr);
        if (!obj)
                die("bad test JSON (%s): %s", jerr.text, json);
        /* Key as the produce tool does: incident, else service, else account. */
        const char *key = NULL;
        static const char *const key_fields[] = {"incident_key", "service",
                                                 "account_id"};
        for (int i = 0; i < 3 && !key; i++)
                key = json_string_value(json_object_get(obj, key_fields[i]));
        if (avro) {
                buf_t out = {0};
                const config_t *conf = h->conf;
                int role = !strcmp(kind, "alerts") ? TOPIC_ALERTS
                           : !strcmp(kind, "tickets") ? TOPIC_TICKETS
                                                      : TOPIC_SENTIMENT;
                if (codec_json_to_avro(h->codec, conf->schemas.writer_id[role],
                                       json, strlen(json), &out, errstr,
                                       sizeof(errstr)))
                        die("avro encode: %s: %s", errstr, json);
                harness_produce_keyed(h, topic, key, out.data, out.len);
                buf_free(&out);
        } else {
                harness_produce_keyed(h, topic, key, json, strlen(json));
        }
        json_decref(obj);
}

void harness_flush(harness_t *h) {
        if (rd_kafka_flush(h->producer, 10000))
                die("test producer: flush timed out");
}

/* ---- consuming ---------------------------------------------------------- */

static rd_kafka_t *reader_new(harness_t *h, const char *topic, int *nparts) {
        char errstr[512];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "bootstrap.servers", h->bootstraps, NULL, 0);
        rd_kafka_conf_set(kc, "group.id", "impactd-test-reader", NULL, 0);
        rd_kafka_conf_set(kc, "enable.auto.commit", "false", NULL, 0);
        rd_kafka_conf_set(kc, "enable.partition.eof", "true", NULL, 0);
        /* At the end of a partition a fetch waits this long for data before
         * the broker answers and EOF is known (default 500 ms). */
        rd_kafka_conf_set(kc, "fetch.wait.max.ms", "10", NULL, 0);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, sizeof(errstr));
        if (!rk)
                die("reader: %s", errstr);
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000))
                die("metadata of %s", topic);
        rd_kafka_topic_partition_list_t *parts =
                rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
        for (int p = 0; p < md->topics[0].partition_cnt; p++)
                rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
        *nparts = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_assign(rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        return rk;
}

static json_t *decode_message(harness_t *h, const rd_kafka_message_t *m) {
        char errstr[512];
        if (strcmp(rd_kafka_topic_name(m->rkt), "impact.dlq") == 0) {
                json_t *hdrs = json_object();
                rd_kafka_headers_t *rh = NULL;
                if (!rd_kafka_message_headers(m, &rh)) {
                        const char *name;
                        const void *val;
                        size_t sz;
                        for (size_t i = 0;
                             !rd_kafka_header_get_all(rh, i, &name, &val, &sz); i++)
                                json_object_set_new(hdrs, name,
                                                    json_stringn(val, sz));
                }
                /* The original bytes as they are: bad input may be
                 * invalid UTF-8 or hold NUL bytes. */
                return json_pack("{s:o,s:o,s:o}", "value",
                                 json_stringn_nocheck(
                                         m->payload ? (const char *)m->payload
                                                    : "",
                                         m->payload ? m->len : 0),
                                 "key",
                                 json_stringn_nocheck(
                                         m->key ? (const char *)m->key : "",
                                         m->key ? m->key_len : 0),
                                 "headers", hdrs);
        }
        buf_t out = {0};
        if (codec_to_json(h->codec, m->payload, m->len, &out, errstr,
                          sizeof(errstr)))
                die("cannot decode output on %s: %s", rd_kafka_topic_name(m->rkt),
                    errstr);
        json_error_t jerr;
        json_t *v = json_loadb(out.data, out.len, 0, &jerr);
        buf_free(&out);
        if (!v)
                die("output is not JSON: %s", jerr.text);
        return v;
}

/* Reads until `count` messages, or the deadline. */
static json_t *read_topic(harness_t *h, const char *topic, size_t count,
                          int timeout_ms) {
        int nparts;
        rd_kafka_t *rk = reader_new(h, topic, &nparts);
        json_t *all = json_array();
        int64_t deadline = impactd_mono_ms() + timeout_ms;
        while (json_array_size(all) < count && impactd_mono_ms() < deadline) {
                check_workers(h);
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                if (!m)
                        continue;
                if (!m->err)
                        json_array_append_new(all, decode_message(h, m));
                rd_kafka_message_destroy(m);
        }
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return all;
}

json_t *harness_consume(harness_t *h, const char *topic, size_t count,
                        int timeout_ms) {
        return read_topic(h, topic, count, timeout_ms);
}

/* Up to each partition's high watermark as it was when called: an EOF
 * says little when a partition can reach its end, get more and reach it
 * again while another is still being read. */
json_t *harness_read_all(harness_t *h, const char *topic) {
        int nparts, left = 0;
        rd_kafka_t *rk = reader_new(h, topic, &nparts);
        int64_t *end = calloc((size_t)nparts + 1, sizeof(*end));
        json_t *all = json_array();
        for (int p = 0; p < nparts; p++) {
                int64_t lo;
                if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &end[p],
                                                     10000))
                        die("watermarks of %s [%d]", topic, p);
                left += end[p] > lo;
        }
        int64_t deadline = impactd_mono_ms() + 30000;
        while (left > 0) {
                if (impactd_mono_ms() > deadline) {
                        harness_print_logs(h);
                        die("%s: not read to its end within 30 s", topic);
                }
                check_workers(h);
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                if (!m)
                        continue;
                if (!m->err && m->offset < end[m->partition]) {
                        json_array_append_new(all, decode_message(h, m));
                        left -= m->offset + 1 == end[m->partition];
                }
                rd_kafka_message_destroy(m);
        }
        free(end);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return all;
}

json_t *harness_wait_for(harness_t *h, const char *topic, size_t count,
                         int timeout_ms) {
        json_t *all = harness_consume(h, topic, count, timeout_ms);
        if (json_array_size(all) < count) {
                harness_print_logs(h);
                fprintf(stderr, "harness: %s has %zu messages, expected %zu\n",
                        topic, json_array_size(all), count);
        }
        return all;
}

static rd_kafka_topic_partition_list_t *input_partitions(rd_kafka_t *rk) {
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
        for (int t = 0; t < 3; t++) {
                const struct rd_kafka_metadata *md;
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topics[t], NULL);
                if (rd_kafka_metadata(rk, 0, rkt, &md, 5000))
                        die("metadata of %s", topics[t]);
                for (int p = 0; p < md->topics[0].partition_cnt; p++)
                        rd_kafka_topic_partition_list_add(parts, topics[t], p);
                rd_kafka_metadata_destroy(md);
                rd_kafka_topic_destroy(rkt);
        }
        return parts;
}

static bool all_committed(rd_kafka_t *rk) {
        rd_kafka_topic_partition_list_t *parts = input_partitions(rk);
        bool done = true;
        if (rd_kafka_committed(rk, parts, 5000))
                done = false;
        for (int i = 0; done && i < parts->cnt; i++) {
                int64_t lo, hi;
                rd_kafka_topic_partition_t *p = &parts->elems[i];
                if (rd_kafka_query_watermark_offsets(rk, p->topic, p->partition,
                                                     &lo, &hi, 5000))
                        done = false;
                else if (hi > 0 && p->offset != hi)
                        done = false;
        }
        rd_kafka_topic_partition_list_destroy(parts);
        return done;
}

/* The input messages the group has committed, over every partition; -1
 * when the offsets cannot be read. */
static int64_t committed_count(rd_kafka_t *rk) {
        rd_kafka_topic_partition_list_t *parts = input_partitions(rk);
        int64_t n = 0;
        if (rd_kafka_committed(rk, parts, 5000))
                n = -1;
        for (int i = 0; n >= 0 && i < parts->cnt; i++)
                if (parts->elems[i].offset > 0)
                        n += parts->elems[i].offset;
        rd_kafka_topic_partition_list_destroy(parts);
        return n;
}

/* A consumer in the workers' group that never subscribes: it only reads
 * and writes the group's committed offsets. */
static rd_kafka_t *group_handle(harness_t *h) {
        char errstr[512], group[128];
        snprintf(group, sizeof(group), "impactd-test-%s", h->name);
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "bootstrap.servers", h->bootstraps, NULL, 0);
        rd_kafka_conf_set(kc, "group.id", group, NULL, 0);
        /* As the workers': a member that went away is noticed quickly. */
        rd_kafka_conf_set(kc, "session.timeout.ms", "6000", NULL, 0);
        rd_kafka_conf_set(kc, "heartbeat.interval.ms", "500", NULL, 0);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, sizeof(errstr));
        if (!rk)
                die("offset reader: %s", errstr);
        return rk;
}

/* The mock cluster takes commits to a known group from members only: this
 * one joins, gets every partition (no worker runs), commits, leaves. */
void harness_rewind(harness_t *h) {
        rd_kafka_t *rk = group_handle(h);
        rd_kafka_topic_partition_list_t *parts = input_partitions(rk);
        rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(3);
        for (int t = 0; t < 3; t++)
                rd_kafka_topic_partition_list_add(subs, topics[t],
                                                  RD_KAFKA_PARTITION_UA);
        rd_kafka_poll_set_consumer(rk);
        if (rd_kafka_subscribe(rk, subs))
                die("rewind: cannot subscribe");
        rd_kafka_topic_partition_list_destroy(subs);
        rd_kafka_topic_partition_list_t *assigned = NULL;
        int64_t deadline = impactd_mono_ms() + 30000;
        while (impactd_mono_ms() < deadline) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                if (m)
                        rd_kafka_message_destroy(m);
                if (assigned)
                        rd_kafka_topic_partition_list_destroy(assigned);
                if (!rd_kafka_assignment(rk, &assigned) &&
                    assigned->cnt == parts->cnt)
                        break;
        }
        for (int i = 0; i < parts->cnt; i++)
                parts->elems[i].offset = 0;
        rd_kafka_resp_err_t err = rd_kafka_commit(rk, parts, 0);
        if (err)
                die("rewind: %s", rd_kafka_err2str(err));
        if (assigned)
                rd_kafka_topic_partition_list_destroy(assigned);
        rd_kafka_topic_partition_list_destroy(parts);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
}

/* A condition on the group's committed offsets, read with `rk`. */
typedef struct offsets_wait {
        rd_kafka_t *rk;
        int64_t count; /* < 0: every input message */
} offsets_wait_t;

static bool offsets_reached(harness_t *h, const void *arg) {
        const offsets_wait_t *w = arg;
        (void)h;
        return w->count < 0 ? all_committed(w->rk)
                            : committed_count(w->rk) >= w->count;
}

static bool wait_offsets(harness_t *h, int64_t count, int timeout_ms) {
        offsets_wait_t w = {group_handle(h), count};
        bool done = harness_until(h, offsets_reached, &w, timeout_ms);
        rd_kafka_destroy(w.rk);
        return done;
}

bool harness_wait_consumed(harness_t *h, int timeout_ms) {
        return wait_offsets(h, -1, timeout_ms);
}

int64_t harness_committed(harness_t *h) {
        rd_kafka_t *rk = group_handle(h);
        int64_t n = committed_count(rk);
        rd_kafka_destroy(rk);
        if (n < 0)
                die("cannot read the committed offsets of %s", h->name);
        return n;
}

bool harness_wait_committed(harness_t *h, int64_t count, int timeout_ms) {
        return wait_offsets(h, count, timeout_ms);
}

bool harness_wait_rescored(harness_t *h, int idx, int64_t clock_ms,
                           int timeout_ms) {
        char needle[96];
        snprintf(needle, sizeof(needle),
                 "failpoint rescore.note: clock=%lld claimed=0",
                 (long long)clock_ms);
        return harness_wait_log(h, idx, needle, NULL,
                                harness_log_count(h, idx, needle, NULL) + 1,
                                timeout_ms);
}

/* ---- Redis -------------------------------------------------------------- */

redisReply *harness_redis(harness_t *h, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        redisReply *r = redisvCommand(h->redis, fmt, ap);
        va_end(ap);
        if (!r)
                die("redis: %s", h->redis->errstr);
        return r;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hash fields and set members come back in no particular order: sort. */
static void dump_sorted(FILE *fp, const redisReply *r, size_t step) {
        size_t n = r->elements / step;
        char **items = calloc(n + 1, sizeof(*items));
        for (size_t i = 0; i < n; i++) {
                size_t len = 0;
                for (size_t k = 0; k < step; k++)
                        len += r->element[i * step + k]->len + 1;
                items[i] = calloc(1, len + 1);
                for (size_t k = 0; k < step; k++) {
                        strcat(items[i], r->element[i * step + k]->str);
                        strcat(items[i], k + 1 < step ? "=" : "");
                }
        }
        qsort(items, n, sizeof(*items), cmp_str);
        for (size_t i = 0; i < n; i++) {
                fprintf(fp, "  %s\n", items[i]);
                free(items[i]);
        }
        free(items);
}

char *harness_redis_dump(harness_t *h, const char *key_pattern) {
        char *text = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&text, &len);
        redisReply *keys = harness_redis(h, "KEYS %s", key_pattern);
        char **names = calloc(keys->elements + 1, sizeof(*names));
        for (size_t i = 0; i < keys->elements; i++)
                names[i] = keys->element[i]->str;
        qsort(names, keys->elements, sizeof(*names), cmp_str);
        for (size_t i = 0; i < keys->elements; i++) {
                redisReply *t = harness_redis(h, "TYPE %s", names[i]);
                fprintf(fp, "%s (%s)\n", names[i], t->str);
                redisReply *v = NULL;
                if (!strcmp(t->str, "string")) {
                        v = harness_redis(h, "GET %s", names[i]);
                        fprintf(fp, "  %s\n", v->str);
                } else if (!strcmp(t->str, "hash")) {
                        v = harness_redis(h, "HGETALL %s", names[i]);
                        dump_sorted(fp, v, 2);
                } else if (!strcmp(t->str, "set")) {
                        v = harness_redis(h, "SMEMBERS %s", names[i]);
                        dump_sorted(fp, v, 1);
                } else if (!strcmp(t->str, "zset")) {
                        v = harness_redis(h, "ZRANGE %s 0 -1 WITHSCORES",
                                          names[i]);
                        dump_sorted(fp, v, 2);
                } else if (!strcmp(t->str, "list")) {
                        v = harness_redis(h, "LRANGE %s 0 -1", names[i]);
                        for (size_t k = 0; k < v->elements; k++)
                                fprintf(fp, "  [%zu] %s\n", k, v->element[k]->str);
                }
                if (v)
                        freeReplyObject(v);
                freeReplyObject(t);
        }
        free(names);
        freeReplyObject(keys);
        fclose(fp);
        return text;
}
