/* The Kafka object shared by kafka_io.c (consumer, producer, commits) and
 * kafka_dlq.c (dead letters that fit).  Not for other modules. */
#ifndef IMPACTD_KAFKA_IO_INTERNAL_H
#define IMPACTD_KAFKA_IO_INTERNAL_H

#include <stdbool.h>

#include "kafka_io.h" /* rdkafka.h, which rdkafka_mock.h must follow */
#include <librdkafka/rdkafka_mock.h>

struct kafka_io {
        const config_t *conf;
        rd_kafka_t *mock_rk; /* owns the embedded cluster */
        rd_kafka_mock_cluster_t *mock;
        rd_kafka_t *producer;
        rd_kafka_t *consumer;
        rd_kafka_queue_t *queue;
        kafka_io_stats_t stats;
        uint64_t failed_since_flush;
        char last_delivery_error[256];
        int fatal;
        char cluster_id[128];
        /* The most bytes a DLQ copy's key and value may take together
         * (kafka_dlq.c): halved each time the brokers refuse one. */
        size_t dlq_budget;
        /* Messages the brokers refused for themselves, since the last
         * flush: dead-lettered once the poll that reported them returns. */
        struct redirect *redirects;
        /* Offsets whose commit failed with a retriable error, or NULL.
         * The next batch may not touch their partitions, so they are
         * carried into every commit and retried while idle. */
        rd_kafka_topic_partition_list_t *owed;
        /* The group's committed offset of each assigned partition, as
         * fetched at assignment and moved by every commit of ours:
         * RD_KAFKA_OFFSET_INVALID when none, absent when unknown. */
        rd_kafka_topic_partition_list_t *committed;
        int64_t owed_retry_ms;
};

/* kafka_dlq.c */
/* The DLQ budget from the producer's message.max.bytes. */
size_t kafka_dlq_budget(const rd_kafka_conf_t *producer_conf);
/* A delivery that failed for the message itself (too large, invalid):
 * no retry can deliver it.  Anything else is the brokers'. */
bool kafka_dlq_per_message(rd_kafka_resp_err_t err);
/* From the delivery report callback: `m` failed with a per-message error.
 * An output goes to the DLQ in its place; a DLQ copy goes again, cut to
 * half.  Returns false when neither is possible: the failure stands. */
bool kafka_dlq_redirect(kafka_io_t *kio, const rd_kafka_message_t *m);
/* Sends what kafka_dlq_redirect() collected: after every poll of the
 * producer, and in a flush until none is left. */
impactd_err_t kafka_dlq_send_redirects(kafka_io_t *kio, char *errstr,
                                       size_t errstr_size);
void kafka_dlq_free_redirects(kafka_io_t *kio);
/* An output the producer refused for itself goes to the DLQ instead, cut
 * to fit, with dlq.output.topic and the reason. */
impactd_err_t kafka_dlq_output(kafka_io_t *kio, const char *topic,
                               const void *key, size_t key_len,
                               const void *value, size_t value_len,
                               rd_kafka_resp_err_t why, char *errstr,
                               size_t errstr_size);
/* The producev() behind every produce: copies key and value, retries a
 * full local queue; takes `hdrs` (freed on failure too). */
rd_kafka_resp_err_t kafka_io_send(kafka_io_t *kio, const char *topic,
                                  const void *key, size_t key_len,
                                  const void *value, size_t value_len,
                                  rd_kafka_headers_t *hdrs, void *opaque);

#endif
