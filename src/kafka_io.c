/* Consumer, idempotent producer, commits and the embedded mock cluster. */
#include "kafka_io.h"

#include <inttypes.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka_io_internal.h"
#include "log.h"


static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                      void *opaque) {
        kafka_io_t *kio = opaque;
        (void)rk;
        /* Refused for what it is, not for where it went: dead-lettered
         * (kafka_dlq.c), so that one message cannot fail every batch. */
        if (m->err && kafka_dlq_per_message(m->err) &&
            kafka_dlq_redirect(kio, m))
                return;
        if (m->err) {
                kio->stats.delivery_failed++;
                kio->failed_since_flush++;
                snprintf(kio->last_delivery_error,
                         sizeof(kio->last_delivery_error), "%s [%" PRId32 "]: %s",
                         rd_kafka_topic_name(m->rkt), m->partition,
                         rd_kafka_err2str(m->err));
        } else {
                kio->stats.delivered++;
        }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
        kafka_io_t *kio = opaque;
        char fatal[512];
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
                log_error("kafka fatal error in %s: %s", rd_kafka_name(rk), fatal);
                kio->fatal = 1;
                return;
        }
        /* librdkafka retries transient errors itself; say so once per event
         * so an outage is visible without flooding the log. */
        log_warn("kafka %s: %s: %s", rd_kafka_name(rk),
                 rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

#define COMMITTED_TIMEOUT_MS 10000

/* What the group committed for newly assigned partitions: the state check
 * compares it with what Redis says was written (redis_state.h).  A fetch
 * that fails leaves them unknown, and unchecked until we commit. */
static void remember_committed(kafka_io_t *kio, rd_kafka_t *rk,
                               const rd_kafka_topic_partition_list_t *parts) {
        rd_kafka_topic_partition_list_t *got =
                rd_kafka_topic_partition_list_copy(parts);
        rd_kafka_resp_err_t err = rd_kafka_committed(rk, got, COMMITTED_TIMEOUT_MS);
        if (!kio->committed)
                kio->committed = rd_kafka_topic_partition_list_new(got->cnt);
        for (int i = 0; !err && i < got->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &got->elems[i];
                if (p->err)
                        continue;
                rd_kafka_topic_partition_t *to =
                        rd_kafka_topic_partition_list_find(
                                kio->committed, p->topic, p->partition);
                if (!to)
                        to = rd_kafka_topic_partition_list_add(
                                kio->committed, p->topic, p->partition);
                to->offset = p->offset;
        }
        if (err)
                log_warn("kafka: committed offsets of %d partitions unknown "
                         "(%s): their state is checked after our first commit",
                         parts->cnt, rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(got);
}

const rd_kafka_topic_partition_list_t *
kafka_io_committed_list(const kafka_io_t *kio) {
        return kio->committed;
}

int64_t kafka_io_committed(const kafka_io_t *kio, const char *topic,
                           int32_t partition) {
        const rd_kafka_topic_partition_t *p =
                kio->committed ? rd_kafka_topic_partition_list_find(
                                         kio->committed, topic, partition)
                               : NULL;
        if (!p)
                return -1;
        return p->offset >= 0 ? p->offset : 0;
}

rd_kafka_topic_partition_list_t *
kafka_input_partitions(rd_kafka_t *rk, const config_t *conf, int timeout_ms,
                       char *errstr, size_t errstr_size) {
        rd_kafka_topic_partition_list_t *all =
                rd_kafka_topic_partition_list_new(16);
        for (int t = 0; t < TOPIC_INPUT_COUNT; t++) {
                const char *topic = conf->kafka.topics[t];
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
                const rd_kafka_metadata_t *md = NULL;
                rd_kafka_resp_err_t err =
                        rkt ? rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms)
                            : rd_kafka_last_error();
                if (!err && (md->topic_cnt != 1 || md->topics[0].err))
                        err = md->topic_cnt == 1 ? md->topics[0].err
                                                 : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
                for (int p = 0; !err && p < md->topics[0].partition_cnt; p++)
                        rd_kafka_topic_partition_list_add(
                                all, topic, md->topics[0].partitions[p].id);
                if (md)
                        rd_kafka_metadata_destroy(md);
                if (rkt)
                        rd_kafka_topic_destroy(rkt);
                if (err) {
                        snprintf(errstr, errstr_size, "kafka: metadata of %s: %s",
                                 topic, rd_kafka_err2str(err));
                        rd_kafka_topic_partition_list_destroy(all);
                        return NULL;
                }
        }
        return all;
}

rd_kafka_topic_partition_list_t *kafka_io_committed_all(kafka_io_t *kio,
                                                        char *errstr,
                                                        size_t errstr_size) {
        rd_kafka_topic_partition_list_t *all = kafka_input_partitions(
                kio->consumer, kio->conf, COMMITTED_TIMEOUT_MS, errstr,
                errstr_size);
        if (!all)
                return NULL;
        rd_kafka_resp_err_t err =
                rd_kafka_committed(kio->consumer, all, COMMITTED_TIMEOUT_MS);
        for (int i = 0; !err && i < all->cnt; i++)
                if (all->elems[i].err)
                        err = all->elems[i].err;
        if (err) {
                snprintf(errstr, errstr_size,
                         "kafka: committed offsets of the inputs: %s",
                         rd_kafka_err2str(err));
                rd_kafka_topic_partition_list_destroy(all);
                return NULL;
        }
        return all;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
        int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
        kafka_io_t *kio = opaque;
        /* Every batch is committed before the next poll, so nothing is in
         * flight here: a revoke only has to give the partitions back. */
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                log_info("kafka: assigned %d partitions", parts->cnt);
                remember_committed(kio, rk, parts);
                if (cooperative)
                        rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
                else
                        rd_kafka_assign(rk, parts);
        } else {
                log_info("kafka: revoked %d partitions", parts->cnt);
                /* Their new owner replays from the last committed offsets,
                 * which the offset fences absorb; ours are no longer ours. */
                for (int i = 0; kio->owed && i < parts->cnt; i++)
                        rd_kafka_topic_partition_list_del(
                                kio->owed, parts->elems[i].topic,
                                parts->elems[i].partition);
                for (int i = 0; kio->committed && i < parts->cnt; i++)
                        rd_kafka_topic_partition_list_del(
                                kio->committed, parts->elems[i].topic,
                                parts->elems[i].partition);
                if (cooperative)
                        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
                else
                        rd_kafka_assign(rk, NULL);
        }
}

static impactd_err_t conf_set(rd_kafka_conf_t *kc, const char *where,
                              const char *name, const char *value,
                              char *errstr, size_t errstr_size) {
        char why[512];
        if (rd_kafka_conf_set(kc, name, value, why, sizeof(why)) ==
            RD_KAFKA_CONF_OK)
                return IMPACTD_OK;
        snprintf(errstr, errstr_size, "%s: %s: %s", where, name, why);
        return IMPACTD_ERR_CONFIG;
}

/* Our defaults first, then the user's pass-through properties, which win. */
static rd_kafka_conf_t *make_conf(kafka_io_t *kio, const char *bootstraps,
                                  const char *const (*defaults)[2],
                                  size_t ndefaults, const config_prop_t *props,
                                  size_t cnt, const char *where, char *errstr,
                                  size_t errstr_size) {
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        if (conf_set(kc, where, "bootstrap.servers", bootstraps, errstr,
                     errstr_size) ||
            conf_set(kc, where, "client.id", kio->conf->kafka.client_id,
                     errstr, errstr_size))
                goto fail;
        for (size_t i = 0; i < ndefaults; i++)
                if (conf_set(kc, where, defaults[i][0], defaults[i][1], errstr,
                             errstr_size))
                        goto fail;
        for (size_t i = 0; i < cnt; i++)
                if (conf_set(kc, where, props[i].name, props[i].value, errstr,
                             errstr_size))
                        goto fail;
        rd_kafka_conf_set_opaque(kc, kio);
        rd_kafka_conf_set_error_cb(kc, error_cb);
        return kc;
fail:
        rd_kafka_conf_destroy(kc);
        return NULL;
}

static impactd_err_t start_embedded(kafka_io_t *kio, char *errstr,
                                    size_t errstr_size) {
        const config_t *conf = kio->conf;
        char why[512];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        /* This handle only hosts the cluster; it never produces, so its
         * warning about having no bootstrap servers is noise. */
        rd_kafka_conf_set(kc, "log_level", "3", why, sizeof(why));
        kio->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, why, sizeof(why));
        if (!kio->mock_rk) {
                rd_kafka_conf_destroy(kc);
                snprintf(errstr, errstr_size, "embedded kafka: %s", why);
                return IMPACTD_ERR_KAFKA;
        }
        kio->mock = rd_kafka_mock_cluster_new(kio->mock_rk,
                                              conf->kafka.embedded_brokers);
        if (!kio->mock) {
                snprintf(errstr, errstr_size,
                         "embedded kafka: cannot start the mock cluster");
                return IMPACTD_ERR_KAFKA;
        }
        for (int t = 0; t < TOPIC_COUNT; t++) {
                rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
                        kio->mock, conf->kafka.topics[t],
                        conf->kafka.embedded_partitions, 1);
                if (err) {
                        snprintf(errstr, errstr_size,
                                 "embedded kafka: create topic %s: %s",
                                 conf->kafka.topics[t], rd_kafka_err2str(err));
                        return IMPACTD_ERR_KAFKA;
                }
        }
        log_info("kafka: embedded mock cluster at %s (for trying impactd out: "
                 "about 5 MiB kept per partition, nothing survives a restart)",
                 rd_kafka_mock_cluster_bootstraps(kio->mock));
        return IMPACTD_OK;
}

static impactd_err_t start_producer(kafka_io_t *kio, const char *bootstraps,
                                    char *errstr, size_t errstr_size) {
        const config_t *conf = kio->conf;
        /* Idempotence keeps retried outputs in order and free of duplicates. */
        static const char *const defaults[][2] = {
                {"enable.idempotence", "true"},
        };
        char why[512];
        rd_kafka_conf_t *kc = make_conf(kio, bootstraps, defaults, 1,
                                        conf->kafka.producer_props,
                                        conf->kafka.producer_props_cnt,
                                        "kafka.producer", errstr, errstr_size);
        if (!kc)
                return IMPACTD_ERR_CONFIG;
        rd_kafka_conf_set_dr_msg_cb(kc, dr_msg_cb);
        kio->dlq_budget = kafka_dlq_budget(kc);
        kio->producer = rd_kafka_new(RD_KAFKA_PRODUCER, kc, why, sizeof(why));
        if (!kio->producer) {
                rd_kafka_conf_destroy(kc);
                snprintf(errstr, errstr_size, "kafka producer: %s", why);
                return IMPACTD_ERR_KAFKA;
        }
        return IMPACTD_OK;
}

#define FETCH_MAX_BYTES "2097152"

/* librdkafka refuses a fetch.max.bytes below message.max.bytes: a user who
 * raised the latter for large messages gets the former raised to match,
 * unless they set it too. */
static impactd_err_t fit_fetch_max(rd_kafka_conf_t *kc, const config_t *conf,
                         char *errstr, size_t errstr_size) {
        char msg_max[32];
        size_t size = sizeof(msg_max);
        for (size_t i = 0; i < conf->kafka.consumer_props_cnt; i++)
                if (!strcmp(conf->kafka.consumer_props[i].name, "fetch.max.bytes"))
                        return IMPACTD_OK;
        if (rd_kafka_conf_get(kc, "message.max.bytes", msg_max, &size) !=
                    RD_KAFKA_CONF_OK ||
            strtoll(msg_max, NULL, 10) <= strtoll(FETCH_MAX_BYTES, NULL, 10))
                return IMPACTD_OK;
        return conf_set(kc, "kafka.consumer", "fetch.max.bytes", msg_max, errstr,
                        errstr_size);
}

/* queued.min.messages: four batches ahead, within these. */
#define QUEUED_MIN_MIN 1000
#define QUEUED_MIN_MAX 10000000 /* librdkafka's own bound */

static impactd_err_t start_consumer(kafka_io_t *kio, const char *bootstraps,
                                    char *errstr, size_t errstr_size) {
        const config_t *conf = kio->conf;
        char qmin[24];
        int64_t ahead = 4 * (int64_t)conf->kafka.batch_max_messages;
        ahead = ahead < QUEUED_MIN_MIN ? QUEUED_MIN_MIN : ahead;
        snprintf(qmin, sizeof(qmin), "%" PRId64,
                 ahead < QUEUED_MIN_MAX ? ahead : QUEUED_MIN_MAX);
        const char *const defaults[][2] = {
                {"group.id", conf->kafka.group_id},
                /* Offsets are committed by hand, after outputs are acked. */
                {"enable.auto.commit", "false"},
                {"enable.auto.offset.store", "false"},
                {"auto.offset.reset", "earliest"},
                /* librdkafka keeps 100,000 messages prefetched by default.
                 * With a backlog that was 46 of a steady run's 58 MB of
                 * heap; four batches ahead keep the fetcher busy all the
                 * same (docs/performance.md).  The bytes bound is for
                 * large messages. */
                {"queued.min.messages", qmin},
                {"queued.max.messages.kbytes", "16384"},
                /* Those bound the queue, not what one fetch brings: with a
                 * backlog, librdkafka's defaults (50 MiB a request, 1 MiB a
                 * partition) filled 30 MB of a broad run's 82 MiB peak in
                 * its first seconds.  A bigger message is still fetched
                 * whole (docs/performance.md). */
                {"fetch.max.bytes", FETCH_MAX_BYTES},
                {"fetch.message.max.bytes", "131072"},
        };
        char why[512];
        rd_kafka_conf_t *kc = make_conf(
                kio, bootstraps, defaults, sizeof(defaults) / sizeof(defaults[0]),
                conf->kafka.consumer_props, conf->kafka.consumer_props_cnt,
                "kafka.consumer", errstr, errstr_size);
        if (!kc)
                return IMPACTD_ERR_CONFIG;
        if (fit_fetch_max(kc, conf, errstr, errstr_size) != IMPACTD_OK) {
                rd_kafka_conf_destroy(kc);
                return IMPACTD_ERR_CONFIG;
        }
        rd_kafka_conf_set_rebalance_cb(kc, rebalance_cb);
        kio->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, kc, why, sizeof(why));
        if (!kio->consumer) {
                rd_kafka_conf_destroy(kc);
                snprintf(errstr, errstr_size, "kafka consumer: %s", why);
                return IMPACTD_ERR_KAFKA;
        }
        rd_kafka_poll_set_consumer(kio->consumer);
        kio->queue = rd_kafka_queue_get_consumer(kio->consumer);
        rd_kafka_topic_partition_list_t *topics =
                rd_kafka_topic_partition_list_new(TOPIC_INPUT_COUNT);
        for (int t = 0; t < TOPIC_INPUT_COUNT; t++)
                rd_kafka_topic_partition_list_add(topics, conf->kafka.topics[t],
                                                  RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t rerr = rd_kafka_subscribe(kio->consumer, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (rerr) {
                snprintf(errstr, errstr_size, "kafka subscribe: %s",
                         rd_kafka_err2str(rerr));
                return IMPACTD_ERR_KAFKA;
        }
        return IMPACTD_OK;
}

kafka_io_t *kafka_io_new(const config_t *conf, char *errstr,
                         size_t errstr_size) {
        kafka_io_t *kio = calloc(1, sizeof(*kio));
        if (!kio) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        kio->conf = conf;
        const char *bootstraps = conf->kafka.brokers;
        if (!bootstraps || !*bootstraps) {
                if (start_embedded(kio, errstr, errstr_size))
                        goto fail;
                bootstraps = rd_kafka_mock_cluster_bootstraps(kio->mock);
        }
        if (start_producer(kio, bootstraps, errstr, errstr_size) ||
            start_consumer(kio, bootstraps, errstr, errstr_size))
                goto fail;
        return kio;
fail:
        kafka_io_destroy(kio);
        return NULL;
}

void kafka_io_destroy(kafka_io_t *kio) {
        if (!kio)
                return;
        if (kio->queue)
                rd_kafka_queue_destroy(kio->queue);
        if (kio->consumer) {
                rd_kafka_consumer_close(kio->consumer);
                rd_kafka_destroy(kio->consumer);
        }
        if (kio->producer) {
                if (rd_kafka_flush(kio->producer,
                                   kio->conf->kafka.delivery_timeout_ms))
                        log_error("kafka: %d outputs not delivered at shutdown",
                                  rd_kafka_outq_len(kio->producer));
                rd_kafka_destroy(kio->producer);
        }
        kafka_dlq_free_redirects(kio);
        /* Only now: closing the consumer revokes, which reads both. */
        if (kio->owed)
                rd_kafka_topic_partition_list_destroy(kio->owed);
        if (kio->committed)
                rd_kafka_topic_partition_list_destroy(kio->committed);
        if (kio->mock)
                rd_kafka_mock_cluster_destroy(kio->mock);
        if (kio->mock_rk)
                rd_kafka_destroy(kio->mock_rk);
        free(kio);
}

const char *kafka_io_embedded_bootstraps(const kafka_io_t *kio) {
        return kio->mock ? rd_kafka_mock_cluster_bootstraps(kio->mock) : NULL;
}

size_t kafka_io_poll_batch(kafka_io_t *kio, rd_kafka_message_t **msgs,
                           size_t max, int timeout_ms, int *fatal) {
        ssize_t n = rd_kafka_consume_batch_queue(kio->queue, timeout_ms, msgs,
                                                 max);
        size_t kept = 0;
        *fatal = kio->fatal;
        if (n <= 0)
                return 0;
        for (ssize_t i = 0; i < n; i++) {
                rd_kafka_message_t *m = msgs[i];
                if (!m->err) {
                        msgs[kept++] = m;
                        continue;
                }
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        log_warn("kafka consume: %s", rd_kafka_message_errstr(m));
                if (m->err == RD_KAFKA_RESP_ERR__FATAL)
                        *fatal = 1;
                rd_kafka_message_destroy(m);
        }
        rd_kafka_poll(kio->producer, 0);
        return kept;
}

const char *kafka_io_cluster_id(kafka_io_t *kio) {
        return kafka_io_cluster_id_wait(kio, 0);
}

const char *kafka_io_cluster_id_wait(kafka_io_t *kio, int timeout_ms) {
        if (kio->cluster_id[0])
                return kio->cluster_id;
        if (kio->mock) {
                snprintf(kio->cluster_id, sizeof(kio->cluster_id),
                         "embedded-%ld-%" PRId64, (long)getpid(),
                         impactd_now_ms());
                return kio->cluster_id;
        }
        /* Once messages arrive, the metadata has it. */
        char *id = rd_kafka_clusterid(kio->consumer, timeout_ms);
        if (!id)
                return NULL;
        snprintf(kio->cluster_id, sizeof(kio->cluster_id), "%s", id);
        rd_kafka_mem_free(kio->consumer, id);
        return kio->cluster_id;
}

int kafka_io_topic_kind(const kafka_io_t *kio, const char *topic) {
        for (int t = 0; t < TOPIC_INPUT_COUNT; t++)
                if (!strcmp(topic, kio->conf->kafka.topics[t]))
                        return t;
        return -1;
}

int kafka_io_input_kind(const kafka_io_t *kio, const rd_kafka_message_t *m) {
        return kafka_io_topic_kind(kio, rd_kafka_topic_name(m->rkt));
}

rd_kafka_resp_err_t kafka_io_send(kafka_io_t *kio, const char *topic,
                                  const void *key, size_t key_len,
                                  const void *value, size_t value_len,
                                  rd_kafka_headers_t *hdrs, void *opaque) {
        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        kio->producer, RD_KAFKA_V_TOPIC(topic),
                        RD_KAFKA_V_KEY(key, key_len),
                        RD_KAFKA_V_VALUE((void *)value, value_len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque),
                        RD_KAFKA_V_END);
                if (!err) {
                        kio->stats.produced++;
                        return err;
                }
                /* A full local queue is back-pressure, not failure. */
                if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        rd_kafka_poll(kio->producer, 100);
                        continue;
                }
                if (hdrs)
                        rd_kafka_headers_destroy(hdrs);
                return err;
        }
}

impactd_err_t kafka_io_produce(kafka_io_t *kio, topic_role_t role,
                               const char *key, const void *value,
                               size_t value_len, char *errstr,
                               size_t errstr_size) {
        const char *topic = kio->conf->kafka.topics[role];
        size_t key_len = key ? strlen(key) : 0;
        rd_kafka_resp_err_t err = kafka_io_send(kio, topic, key, key_len, value,
                                                value_len, NULL, NULL);
        if (kafka_dlq_per_message(err))
                return kafka_dlq_output(kio, topic, key, key_len, value,
                                        value_len, err, errstr, errstr_size);
        if (err) {
                snprintf(errstr, errstr_size, "produce to %s: %s", topic,
                         rd_kafka_err2str(err));
                return IMPACTD_ERR_KAFKA;
        }
        return IMPACTD_OK;
}

/* A redirect that cannot be sent fails the batch, as the delivery it
 * stands for would have. */
static void send_redirects(kafka_io_t *kio) {
        char why[256];
        if (kio->redirects && kafka_dlq_send_redirects(kio, why, sizeof(why))) {
                kio->stats.delivery_failed++;
                kio->failed_since_flush++;
                snprintf(kio->last_delivery_error,
                         sizeof(kio->last_delivery_error), "%s", why);
        }
}

void kafka_io_serve_deliveries(kafka_io_t *kio) {
        rd_kafka_poll(kio->producer, 0);
        send_redirects(kio);
}

impactd_err_t kafka_io_flush(kafka_io_t *kio, char *errstr,
                             size_t errstr_size) {
        rd_kafka_resp_err_t err;
        /* Dead letters for refusals are produced after the flush that
         * reported them, and flushed in their turn. */
        do {
                send_redirects(kio);
                err = rd_kafka_flush(kio->producer,
                                     kio->conf->kafka.delivery_timeout_ms);
        } while (!err && kio->redirects);
        if (err) {
                snprintf(errstr, errstr_size,
                         "%d outputs not acknowledged within %d ms",
                         rd_kafka_outq_len(kio->producer),
                         kio->conf->kafka.delivery_timeout_ms);
                return IMPACTD_ERR_KAFKA;
        }
        if (kio->failed_since_flush) {
                snprintf(errstr, errstr_size, "%" PRIu64
                         " outputs failed, last: %s", kio->failed_since_flush,
                         kio->last_delivery_error);
                kio->failed_since_flush = 0;
                return IMPACTD_ERR_KAFKA;
        }
        return IMPACTD_OK;
}

#define COMMIT_ATTEMPTS 4
#define COMMIT_BACKOFF_MS 100
#define COMMIT_OWED_EVERY_MS 1000

/* Errors of a coordinator that moves or is busy: worth another try. */
static bool commit_retriable(rd_kafka_resp_err_t err) {
        switch (err) {
        case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
        case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
        case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
        case RD_KAFKA_RESP_ERR__WAIT_COORD:
                return true;
        default:
                return false;
        }
}

static void offs_raise(rd_kafka_topic_partition_list_t *offs,
                       const char *topic, int32_t partition, int64_t offset) {
        rd_kafka_topic_partition_t *p =
                rd_kafka_topic_partition_list_find(offs, topic, partition);
        if (!p)
                p = rd_kafka_topic_partition_list_add(offs, topic, partition);
        if (offset > p->offset)
                p->offset = offset;
}

/* Takes `offs`: commits it, with `attempts` tries.  A retriable failure
 * keeps it as owed, retried when idle and carried into the next commit;
 * a replay before then is absorbed by the offset fences. */
static impactd_err_t commit_offsets(kafka_io_t *kio,
                                    rd_kafka_topic_partition_list_t *offs,
                                    int attempts, char *errstr,
                                    size_t errstr_size) {
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int attempt = 0; offs->cnt; attempt++) {
                err = rd_kafka_commit(kio->consumer, offs, 0);
                if (!commit_retriable(err) || attempt == attempts - 1)
                        break;
                impactd_sleep_ms(COMMIT_BACKOFF_MS << attempt);
        }
        if (kio->owed && kio->owed != offs)
                rd_kafka_topic_partition_list_destroy(kio->owed);
        kio->owed = NULL;
        if (commit_retriable(err)) {
                if (attempts > 1)
                        log_warn("kafka: commit failed %d times (%s); retried "
                                 "until it is made", attempts,
                                 rd_kafka_err2str(err));
                kio->owed = offs;
                kio->owed_retry_ms = impactd_mono_ms() + COMMIT_OWED_EVERY_MS;
                return IMPACTD_OK;
        }
        /* What we committed is known now, even where the fetch at
         * assignment failed. */
        for (int i = 0; !err && kio->committed && i < offs->cnt; i++) {
                rd_kafka_topic_partition_t *p =
                        rd_kafka_topic_partition_list_find(
                                kio->committed, offs->elems[i].topic,
                                offs->elems[i].partition);
                if (!p)
                        p = rd_kafka_topic_partition_list_add(
                                kio->committed, offs->elems[i].topic,
                                offs->elems[i].partition);
                p->offset = offs->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(offs);
        switch (err) {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
                return IMPACTD_OK;
        case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
        case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
        case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
        case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
                /* The partitions moved on: their new owner replays these
                 * events and the incidents' seen-sets absorb them. */
                log_warn("kafka: commit skipped: %s", rd_kafka_err2str(err));
                return IMPACTD_OK;
        default:
                snprintf(errstr, errstr_size, "kafka commit: %s",
                         rd_kafka_err2str(err));
                return IMPACTD_ERR_KAFKA;
        }
}

impactd_err_t kafka_io_commit(kafka_io_t *kio, rd_kafka_message_t **msgs,
                              size_t n, char *errstr, size_t errstr_size) {
        rd_kafka_topic_partition_list_t *offs =
                rd_kafka_topic_partition_list_new(8);
        for (size_t i = 0; i < n; i++)
                offs_raise(offs, rd_kafka_topic_name(msgs[i]->rkt),
                           msgs[i]->partition, msgs[i]->offset + 1);
        for (int i = 0; kio->owed && i < kio->owed->cnt; i++)
                offs_raise(offs, kio->owed->elems[i].topic,
                           kio->owed->elems[i].partition,
                           kio->owed->elems[i].offset);
        impactd_err_t err = commit_offsets(kio, offs, COMMIT_ATTEMPTS, errstr,
                                           errstr_size);
        if (!err && !kio->owed)
                log_debug("kafka: committed %zu messages", n);
        return err;
}

impactd_err_t kafka_io_commit_owed(kafka_io_t *kio, char *errstr,
                                   size_t errstr_size) {
        if (!kio->owed || impactd_mono_ms() < kio->owed_retry_ms)
                return IMPACTD_OK;
        int cnt = kio->owed->cnt;
        impactd_err_t err = commit_offsets(kio, kio->owed, 1, errstr, errstr_size);
        if (!err && !kio->owed)
                log_info("kafka: committed the offsets of %d partitions owed "
                         "since a failed commit", cnt);
        return err;
}

void kafka_io_get_stats(const kafka_io_t *kio, kafka_io_stats_t *out) {
        *out = kio->stats;
}
