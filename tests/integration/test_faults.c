/* Faults on purpose, each against the fixed stream of stream.h, each
 * ending exactly as the uninterrupted run: the same Redis state, the same
 * escalation ids, every decided output on Kafka.
 *
 *   Redis stopped mid-stream for IMPACTD_TEST_REDIS_OUTAGE_S (default 30)
 *   and restarted from its append-only file: the worker waits without
 *   spinning, says so once, and resumes;
 *   a broker of three set down and up again mid-stream;
 *   Fetch, Produce and OffsetCommit requests failing with retriable errors;
 *   the last batch's commit failing every attempt, made while idle;
 *   three workers, one stopped and another started mid-stream. */
#include "stream.h"

#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "impactd.h"

static outcome_t want;

static void reference(void) {
        if (!want.state)
                stream_reference("faults-ref", 19, "1000", &want);
        /* Two runs that page nothing compare equal too: unless the
         * reference pages and notifies, the comparisons prove nothing. */
        assert_true(want.escs > 0);
        assert_true(want.notes > 0);
}

static void expect_reference(harness_t *h, const char *what) {
        outcome_t got;
        char name[64];
        stream_settle(h, &got);
        snprintf(name, sizeof(name), "%s-state", what);
        stream_expect_same(name, want.state, got.state);
        snprintf(name, sizeof(name), "%s-escalations", what);
        stream_expect_same(name, want.escalations, got.escalations);
        stream_outcome_free(&got);
}

/* Starts `workers` workers, and has them working through the first half
 * of the stream when it returns. */
static void first_half(harness_t *h, int workers) {
        harness_set_clock(h, T0 + MIN);
        for (int i = 0; i < workers; i++)
                harness_worker_start(h, i);
        stream_produce_range(h, 0, STREAM_EVENTS / 2);
        harness_flush(h);
        json_t *scored = harness_wait_for(h, "impact.scored", 1, 30000);
        assert_int_equal(json_array_size(scored), 1);
        json_decref(scored);
}

/* ---- Redis -------------------------------------------------------------- */

static int private_port(void) {
        const char *url = getenv("IMPACTD_TEST_REDIS_URL");
        const char *colon = url ? strrchr(url, ':') : NULL;
        return (colon ? atoi(colon + 1) : 6479) + 100;
}

static void run(const char *fmt, ...) {
        char cmd[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        if (system(cmd) != 0)
                fail_msg("failed: %s", cmd);
}

/* Durable across its restart: every write is in the append-only file
 * before it is acknowledged. */
static void redis_up(int port, const char *dir) {
        run("redis-server --port %d --bind 127.0.0.1 --save '' --appendonly yes "
            "--appendfsync always --dir %s --daemonize yes --pidfile %s/redis.pid "
            "--logfile %s/redis.log", port, dir, dir, dir);
        for (int i = 0; i < 100; i++) {
                char cmd[600];
                snprintf(cmd, sizeof(cmd),
                         "redis-cli -p %d ping 2>/dev/null | grep -q PONG && "
                         "test -s %s/redis.pid", port, dir);
                if (system(cmd) == 0)
                        return;
                impactd_sleep_ms(100);
        }
        fail_msg("redis-server on port %d did not start", port);
}

static void redis_down(int port) {
        run("redis-cli -p %d shutdown >/dev/null 2>&1; "
            "while redis-cli -p %d ping >/dev/null 2>&1; do sleep 0.1; done",
            port, port);
}

/* CPU seconds the process has used (user + system). */
static double cpu_seconds(pid_t pid) {
        char path[64], buf[1024];
        unsigned long utime = 0, stime = 0;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        FILE *fp = fopen(path, "r");
        if (!fp || !fgets(buf, sizeof(buf), fp))
                fail_msg("cannot read %s", path);
        fclose(fp);
        /* Fields 14 and 15, after the command name in parentheses. */
        const char *p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                         &utime, &stime) != 2)
                fail_msg("cannot parse %s", path);
        return (double)(utime + stime) / 100.0;
}

static void test_redis_outage_mid_stream(void **state) {
        static harness_t h;
        char url[64], dir[300];
        const char *old = getenv("IMPACTD_TEST_REDIS_URL");
        char *saved = old ? strdup(old) : NULL;
        const char *s = getenv("IMPACTD_TEST_REDIS_OUTAGE_S");
        int outage_s = s ? atoi(s) : 30, port = private_port();
        (void)state;
        reference();
        snprintf(dir, sizeof(dir), "%s/impactd-redis-outage-%d",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", port);
        /* One left by an earlier run that failed would answer instead of
         * ours, and lose everything when ours "restarts". */
        redis_down(port);
        run("rm -rf %s && mkdir -p %s", dir, dir);
        redis_up(port, dir);
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
        setenv("IMPACTD_TEST_REDIS_URL", url, 1);
        harness_start(&h, "redis-outage", 0, 3, TEST_CATALOG);
        first_half(&h, 1);

        redis_down(port);
        int64_t up_at = impactd_mono_ms() + outage_s * 1000LL;
        stream_produce_range(&h, STREAM_EVENTS / 2, STREAM_EVENTS);
        harness_flush(&h);
        /* The worker notices (an ERROR line: written at once). */
        assert_true(harness_wait_log(&h, 0, "redis unavailable", NULL, 1, 30000));
        double cpu = cpu_seconds(h.workers[0]);
        /* The rest of the outage: its length is what is tested, not a
         * condition to wait for. */
        int64_t left = up_at - impactd_mono_ms();
        impactd_sleep_ms(left > 1000 ? left : 1000);
        cpu = cpu_seconds(h.workers[0]) - cpu;
        redis_up(port, dir);
        harness_redis_reconnect(&h);
        expect_reference(&h, "redis-outage");

        /* Waited, did not spin; said so once, and once that it is back. */
        fprintf(stderr, "redis outage: %d s, worker CPU while down %.2f s\n",
                outage_s, cpu);
        assert_true(cpu < 0.05 * outage_s);
        assert_int_equal(harness_log_count(&h, 0, "redis unavailable", NULL), 1);
        assert_true(harness_wait_log(&h, 0, "redis: connected again", NULL, 1, 30000));
        assert_int_equal(harness_log_count(&h, 0, "redis: connected again", NULL), 1);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
        redis_down(port);
        run("rm -rf %s", dir);
        if (saved) {
                setenv("IMPACTD_TEST_REDIS_URL", saved, 1);
                free(saved);
        }
}

/* ---- Kafka -------------------------------------------------------------- */

static void test_broker_down_and_up_mid_stream(void **state) {
        static harness_t h;
        (void)state;
        reference();
        setenv("IMPACTD_TEST_MOCK_BROKERS", "3", 1);
        harness_start(&h, "broker-down", 20, 3, TEST_CATALOG);
        unsetenv("IMPACTD_TEST_MOCK_BROKERS");
        first_half(&h, 1);
        /* Its partitions (inputs and outputs) have no leader meanwhile:
         * for 5 s, the length of the fault, not a condition to wait for. */
        int64_t up_at = impactd_mono_ms() + 5000;
        rd_kafka_mock_broker_set_down(h.mock, 2);
        stream_produce_range(&h, STREAM_EVENTS / 2, STREAM_EVENTS);
        /* The worker met the fault: it tried broker 2 again and was
         * refused.  librdkafka's own log line says so at once; impactd's
         * (from the error callback) comes after the loop iteration, which
         * may wait on broker 2 until it is up. */
        assert_true(harness_wait_log(&h, 0, "/2: Connect to ", "Connection refused", 1,
                             60000));
        int64_t left = up_at - impactd_mono_ms();
        if (left > 0)
                impactd_sleep_ms(left);
        rd_kafka_mock_broker_set_up(h.mock, 2);
        /* The test producer reconnects with backoff too (up to 10 s); in
         * some runs it waits out its 60 s socket timeout first. */
        assert_int_equal(rd_kafka_flush(h.producer, 120000), 0);
        expect_reference(&h, "broker-down");
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

static void test_request_errors(void **state) {
        static harness_t h;
        (void)state;
        reference();
        harness_start(&h, "request-errors", 20, 3, TEST_CATALOG);
        harness_set_clock(&h, T0 + MIN);
        stream_produce(&h);
        /* API keys: Produce 0, Fetch 1, OffsetCommit 8.  Only the worker
         * sends those from here on.  On the stacks of broker 1 (the only
         * one) rather than the cluster's: a broker's can be counted. */
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 h.mock, 1, 1, 4,
                                 RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
                                 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 0,
                                 RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, 0,
                                 RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0),
                         0);
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 h.mock, 1, 0, 4,
                                 RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
                                 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 0,
                                 RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 0,
                                 RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, 0),
                         0);
        assert_int_equal(rd_kafka_mock_broker_push_request_error_rtts(
                                 h.mock, 1, 8, 3,
                                 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 0,
                                 RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, 0,
                                 RD_KAFKA_RESP_ERR_NOT_COORDINATOR, 0),
                         0);
        harness_worker_start(&h, 0);
        assert_true(harness_wait_consumed(&h, 60000));
        /* The worker met every error: a request of a kind succeeds only
         * once its stack is empty, and it fetched, produced its outputs
         * and committed them.  Fetch errors other than a moved leader
         * reach the application, which logs them. */
        static const int16_t api_keys[] = {0, 1, 8};
        for (size_t i = 0; i < sizeof(api_keys) / sizeof(*api_keys); i++) {
                size_t left = SIZE_MAX; /* left so when it has no stack */
                assert_int_equal(rd_kafka_mock_broker_error_stack_cnt(
                                         h.mock, 1, api_keys[i], &left),
                                 0);
                if (left == SIZE_MAX)
                        fail_msg("API key %d: no errors pushed", api_keys[i]);
                if (left)
                        fail_msg("API key %d: %zu errors never returned",
                                 api_keys[i], left);
        }
        assert_true(harness_wait_log(&h, 0, "kafka consume: Fetch from broker 1 failed",
                             "Request timed out", 1, 30000));
        expect_reference(&h, "request-errors");
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* A batch whose commit fails every attempt is committed once the worker
 * is idle, though no later message touches its partition: otherwise the
 * group's lag stays up, and a restart replays it, until traffic returns. */
static void test_failed_commit_is_made_when_idle(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "owed-commit", 20, 3, TEST_CATALOG);
        harness_set_clock(&h, T0 + MIN);
        harness_worker_start(&h, 0);
        assert_true(harness_wait_assigned(&h, 1, 9, 30000));
        /* More failures than the worker's 4 attempts per batch take, with
         * librdkafka's own retries of each. */
        for (int i = 0; i < 5; i++)
                rd_kafka_mock_push_request_errors(
                        h.mock, 8, 4, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
        alert_scored(&h, "a-1");
        /* The batch's commit failed every attempt... */
        assert_true(harness_wait_log(&h, 0, "kafka: commit failed 4 times", NULL, 1, 30000));
        /* ...and was made later, while no message came, for the one
         * partition the alert went to. */
        assert_true(harness_wait_log(&h, 0, "kafka: committed the offsets of 1 "
                             "partitions owed since a failed commit", NULL, 1,
                             30000));
        assert_true(harness_wait_consumed(&h, 30000));
        assert_int_equal(harness_log_count(&h, 0, "kafka: commit failed", NULL), 1);
        assert_int_equal(harness_log_count(&h, 0, "owed since a failed commit",
                                           NULL), 1);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* ---- rebalance ---------------------------------------------------------- */

/* Worker `*idx`'s log says it was assigned partitions: a line "kafka:
 * assigned N partitions" with N > 0. */
static bool holds(harness_t *h, const void *idx) {
        int i = *(const int *)idx;
        return harness_log_count(h, i, "kafka: assigned ", NULL) >
               harness_log_count(h, i, "kafka: assigned 0 ", NULL);
}

static void test_rebalance_mid_stream(void **state) {
        static harness_t h;
        (void)state;
        reference();
        harness_start(&h, "rebalance", 20, 3, TEST_CATALOG);
        first_half(&h, 3);
        /* One leaves (its partitions revoked mid-stream), one joins.  It
         * leaves holding partitions, or nothing is revoked. */
        assert_true(harness_wait_assigned(&h, 3, 9, 60000));
        assert_int_equal(harness_worker_stop(&h, 1, SIGTERM), 0);
        stream_produce_range(&h, STREAM_EVENTS / 2, STREAM_EVENTS);
        harness_flush(&h);
        harness_worker_start(&h, 3);
        expect_reference(&h, "rebalance");
        /* The one that joined took partitions over. */
        const int joined = 3;
        assert_true(harness_until(&h, holds, &joined, 60000));
        for (int i = 0; i < 4; i++)
                if (i != 1)
                        assert_int_equal(harness_worker_stop(&h, i, SIGTERM), 0);
        harness_stop(&h);
}

static int free_reference(void **state) {
        (void)state;
        stream_outcome_free(&want);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_request_errors, harness_teardown),
                cmocka_unit_test_teardown(test_failed_commit_is_made_when_idle,
                                          harness_teardown),
                cmocka_unit_test_teardown(test_broker_down_and_up_mid_stream, harness_teardown),
                cmocka_unit_test_teardown(test_rebalance_mid_stream, harness_teardown),
                cmocka_unit_test_teardown(test_redis_outage_mid_stream, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, free_reference);
}
