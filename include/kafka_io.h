/* Kafka for the worker: one consumer-group member over the input topics,
 * an idempotent producer for the outputs and the DLQ, offset commits, and
 * the embedded mock cluster used when no brokers are configured. */
#ifndef IMPACTD_KAFKA_IO_H
#define IMPACTD_KAFKA_IO_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "config.h"

typedef struct kafka_io kafka_io_t;

/* Starts the embedded cluster when conf->kafka.brokers is empty (creating
 * every configured topic), then the producer and the consumer, subscribed
 * to the three input topics.  NULL + errstr on failure. */
kafka_io_t *kafka_io_new(const config_t *conf, char *errstr,
                         size_t errstr_size);

/* Leaves the group cleanly (final rebalance) and drains the producer
 * (up to delivery_timeout_ms), then frees everything. */
void kafka_io_destroy(kafka_io_t *kio);

/* The embedded cluster's bootstrap servers, or NULL with real brokers. */
const char *kafka_io_embedded_bootstraps(const kafka_io_t *kio);

/* Up to `max` messages, waiting at most `timeout_ms` for the first.
 * Consumer errors that are not messages (partition EOF, transient broker
 * errors) are logged and skipped; a fatal error sets *fatal.  The caller
 * destroys each message (rd_kafka_message_destroy). */
size_t kafka_io_poll_batch(kafka_io_t *kio, rd_kafka_message_t **msgs,
                           size_t max, int timeout_ms, int *fatal);

/* The cluster the input offsets are of, for fencing replays by offset:
 * the brokers' cluster id once metadata has it (NULL before), or for the
 * embedded cluster an id of this run, since its offsets start over with
 * every run. */
const char *kafka_io_cluster_id(kafka_io_t *kio);
/* The same, waiting up to `timeout_ms` for the metadata. */
const char *kafka_io_cluster_id_wait(kafka_io_t *kio, int timeout_ms);

/* The offset the group committed for an assigned partition (0 when it
 * committed none), or -1 when unknown. */
int64_t kafka_io_committed(const kafka_io_t *kio, const char *topic,
                           int32_t partition);

/* Every assigned partition whose committed offset is known, with it
 * (offset < 0: none committed); NULL before the first assignment.  Valid
 * until the next poll. */
const rd_kafka_topic_partition_list_t *
kafka_io_committed_list(const kafka_io_t *kio);

/* The group's committed offsets of every partition of the input topics,
 * whoever holds them (offsets < 0: none committed); the caller destroys
 * the list.  Blocks on the brokers: for the rare check that needs them
 * all.  NULL + errstr when they cannot be had. */
rd_kafka_topic_partition_list_t *kafka_io_committed_all(kafka_io_t *kio,
                                                        char *errstr,
                                                        size_t errstr_size);

/* Every partition of the input topics of `conf`, from `rk`'s metadata;
 * the caller destroys the list.  NULL + errstr when a topic is unknown or
 * the brokers do not answer within `timeout_ms`.  For any client: the
 * worker's, `impactd rewind`'s. */
rd_kafka_topic_partition_list_t *
kafka_input_partitions(rd_kafka_t *rk, const config_t *conf, int timeout_ms,
                       char *errstr, size_t errstr_size);

/* The input kind of a topic, or of the topic a message was read from;
 * -1 for any other topic. */
int kafka_io_topic_kind(const kafka_io_t *kio, const char *topic);
int kafka_io_input_kind(const kafka_io_t *kio, const rd_kafka_message_t *m);

/* Queues an output; the payload and key are copied. */
impactd_err_t kafka_io_produce(kafka_io_t *kio, topic_role_t role,
                               const char *key, const void *value,
                               size_t value_len, char *errstr,
                               size_t errstr_size);

/* Queues the original bytes of `src` to the DLQ with headers
 * dlq.source.topic, dlq.source.partition, dlq.source.offset, dlq.reason.
 * A value over 512 KiB is cut there, with dlq.value.truncated_from = its
 * size. */
impactd_err_t kafka_io_produce_dlq(kafka_io_t *kio,
                                   const rd_kafka_message_t *src,
                                   const char *reason, char *errstr,
                                   size_t errstr_size);

/* Serves the delivery reports that arrived, without waiting: the outputs
 * they acknowledge are freed, and failures are remembered for the next
 * kafka_io_flush. */
void kafka_io_serve_deliveries(kafka_io_t *kio);

/* Waits until every queued output is acknowledged.  IMPACTD_ERR_KAFKA when
 * any delivery failed since the last call (the batch must not be committed)
 * or the wait exceeded delivery_timeout_ms. */
impactd_err_t kafka_io_flush(kafka_io_t *kio, char *errstr,
                             size_t errstr_size);

/* Commits, synchronously, the offsets after the last message of each
 * partition in `msgs`, with any still owed from a commit that failed.  A
 * commit that keeps failing with a retriable error is not an error: its
 * offsets are owed until a later commit makes them. */
impactd_err_t kafka_io_commit(kafka_io_t *kio, rd_kafka_message_t **msgs,
                              size_t n, char *errstr, size_t errstr_size);

/* Commits owed offsets, once, at most every second: call it when a poll
 * brings nothing, since the partitions they belong to may stay quiet. */
impactd_err_t kafka_io_commit_owed(kafka_io_t *kio, char *errstr,
                                   size_t errstr_size);

/* Stats for logs and metrics. */
typedef struct kafka_io_stats {
        uint64_t produced;
        uint64_t delivered;
        uint64_t delivery_failed;
        uint64_t dlq;
} kafka_io_stats_t;
void kafka_io_get_stats(const kafka_io_t *kio, kafka_io_stats_t *out);

#endif
