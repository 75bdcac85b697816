/* The one way integration tests start Kafka, Redis and workers.
 *
 * Kafka: librdkafka's mock cluster, in the test process, reached by the
 * worker over TCP like a real broker.  Redis: the real redis-server that
 * the CTest fixture started ($IMPACTD_TEST_REDIS_URL); each test uses its
 * own database, flushed at start, and no two test programs share one, since
 * CTest runs them in parallel (the fixture has 32; in use: 0 by
 * test_owned_redis, 1-27, 31 by test_hostile, and 28-30 by bench.smoke).
 * Workers: the real impactd binary ($IMPACTD_BIN) run as child processes
 * with a generated config. */
#ifndef IMPACTD_TEST_HARNESS_H
#define IMPACTD_TEST_HARNESS_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HARNESS_MAX_WORKERS 4
/* The waits for a condition that must come (consumed, assigned,
 * committed, re-scored, started) never give up sooner: a deadline only
 * decides how long a failure takes to show, and a 2-core machine running
 * the sanitizer build beside other suites is slow. */
#define HARNESS_MIN_WAIT_MS 60000

typedef struct harness {
        char name[64];
        char dir[256];         /* temp dir: config, worker logs */
        char config_path[320];
        char clock_path[320];  /* IMPACTD_CLOCK_FILE of the workers */
        int redis_db;
        rd_kafka_t *mock_rk;
        void *mock;            /* rd_kafka_mock_cluster_t */
        char bootstraps[256];
        rd_kafka_t *producer;
        redisContext *redis;
        pid_t workers[HARNESS_MAX_WORKERS];
        long log_start[HARNESS_MAX_WORKERS]; /* its log's size at its start */
        void *codec, *conf;    /* codec_t, config_t for Avro encoding */
} harness_t;

/* Starts the mock cluster (topics with `partitions` each), connects to
 * Redis db `redis_db` and flushes it, and writes a worker config whose
 * extra YAML (appended at top level, may be NULL) can override settings.
 * The worker's config also takes, from the environment when the worker
 * starts: IMPACTD_TEST_BATCH_MAX, IMPACTD_TEST_DELIVERY_TIMEOUT_MS,
 * IMPACTD_TEST_MESSAGE_MAX_BYTES (consumer), IMPACTD_TEST_PRODUCER_MAX_BYTES,
 * IMPACTD_TEST_MAX_FUTURE_S, IMPACTD_TEST_MAX_STRING_BYTES. */
void harness_start(harness_t *h, const char *name, int redis_db,
                   int partitions, const char *extra_yaml);
/* Environment read by harness_start: IMPACTD_TEST_REDIS_URL (the fixture's
 * Redis), IMPACTD_TEST_MOCK_BROKERS (brokers of the mock cluster, 1). */
void harness_stop(harness_t *h); /* kills workers, frees everything */

/* cmocka teardown: stops every harness a failed test left running, so a
 * failing assertion never leaves workers behind. */
int harness_teardown(void **state);

/* Sets the clock workers measure incidents by to `ms` (epoch ms).  Every
 * worker runs with IMPACTD_CLOCK_FILE naming a file in the test's temp
 * dir; until the first call it does not exist and workers use the wall
 * clock.  The file is replaced atomically, so a worker never reads half a
 * number; workers pick the new time up on their next poll. */
void harness_set_clock(harness_t *h, int64_t ms);

/* Spawns worker `idx` and waits for its "kafka bootstrap" line.  With
 * IMPACTD_FAILPOINTS set, dies unless the worker enabled exactly those. */
void harness_worker_start(harness_t *h, int idx);
/* The same with IMPACTD_FAILPOINTS=`failpoints` (include/failpoint.h) for
 * this worker only. */
void harness_worker_start_with(harness_t *h, int idx, const char *failpoints);
/* Lines of worker `idx`'s log (all its runs) holding `needle`, and `also`
 * too unless NULL. */
size_t harness_log_count(const harness_t *h, int idx, const char *needle,
                         const char *also);
/* Waits until `cond(h, arg)` holds, at least HARNESS_MIN_WAIT_MS or
 * `timeout_ms`; dies if a worker died meanwhile, prints the workers' logs
 * and returns false when the time is up.  Every harness_wait_* is one. */
bool harness_until(harness_t *h, bool (*cond)(harness_t *, const void *),
                   const void *arg, int timeout_ms);
/* Waits until worker `idx`'s log holds `n` lines with `needle` (and
 * `also` unless NULL); false, saying which, after `timeout_ms`.  INFO and
 * WARN lines are written after the loop iteration that made them, so a
 * line may come a little after what it reports. */
bool harness_wait_log(harness_t *h, int idx, const char *needle,
                      const char *also, size_t n, int timeout_ms);
/* Sends `sig` and waits; returns the exit status (or 128+signal). */
int harness_worker_stop(harness_t *h, int idx, int sig);
/* Waits until workers 0..n-1 each hold input partitions and together
 * all `total` of them, as their logs say: a test that wants workers
 * racing, not a rebalance moving partitions mid-stream, starts here.
 * false after `timeout_ms`. */
bool harness_wait_assigned(harness_t *h, int n, int total, int timeout_ms);

/* Produces one JSON event to the input topic of `kind` ("alerts",
 * "tickets", "sentiment"), keyed like the produce tool.  avro = encode
 * with the project's schemas first. */
void harness_produce(harness_t *h, const char *kind, const char *json,
                     bool avro);
void harness_produce_raw(harness_t *h, const char *topic, const void *data,
                         size_t len);
void harness_produce_keyed(harness_t *h, const char *topic, const char *key,
                           const void *data, size_t len);
void harness_flush(harness_t *h);

/* Reads `topic` from the beginning until `count` messages or `timeout_ms`;
 * returns a JSON array of decoded messages (caller json_decref).  Each
 * element is the decoded value; DLQ messages are objects
 * {"value": <raw string>, "key": <raw string>, "headers": {...}}. */
json_t *harness_consume(harness_t *h, const char *topic, size_t count,
                        int timeout_ms);

/* Reads `topic` up to the end of every partition as it was when called:
 * exactly what it holds now.  Dies if that cannot be read in 30 s. */
json_t *harness_read_all(harness_t *h, const char *topic);

/* Waits until `topic` holds at least `count` messages; returns them. */
json_t *harness_wait_for(harness_t *h, const char *topic, size_t count,
                         int timeout_ms);

/* Waits until the workers' group has committed every input message
 * produced so far; false on timeout. */
bool harness_wait_consumed(harness_t *h, int timeout_ms);

/* How many input messages the workers' group has committed (the sum of
 * its committed offsets): the messages a worker had applied when it
 * stopped.  Dies when the offsets cannot be read. */
int64_t harness_committed(harness_t *h);
/* Waits until the group has committed at least `count` input messages;
 * false on timeout. */
bool harness_wait_committed(harness_t *h, int64_t count, int timeout_ms);

/* With the failpoint rescore.note on: waits until worker `idx` logs a
 * pass over the due deadlines at incident clock `clock_ms` that found
 * nothing due, begun after this call (its outputs are delivered by then).
 * After harness_wait_consumed, nothing more comes of what came before,
 * until the clock moves: what a test asserting "nothing more" waits for.
 * false after `timeout_ms`. */
bool harness_wait_rescored(harness_t *h, int idx, int64_t clock_ms,
                           int timeout_ms);

/* Commits offset 0 for every input partition in the workers' group, as an
 * operator resetting it would: the next worker reads everything again.
 * Only while no worker runs. */
void harness_rewind(harness_t *h);

/* Redis helpers on the test's database.  After Redis restarted, reconnect
 * before the next call. */
void harness_redis_reconnect(harness_t *h);
redisReply *harness_redis(harness_t *h, const char *fmt, ...);
/* Every key of the database with its full value, as a canonical sorted
 * text dump, for comparing two runs' end states (caller frees). */
char *harness_redis_dump(harness_t *h, const char *key_pattern);

/* Prints the worker logs (for failed assertions). */
void harness_print_logs(harness_t *h);

#endif
