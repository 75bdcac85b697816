/* The state marker around a batch (include/redis_state.h): before its
 * events are applied, Redis must hold every write Kafka's committed
 * offsets stand for; after its writes, before its commit, the marks move
 * up to its offsets. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "batch_internal.h"
#include "log.h"

/* How a partition is named in the marker: "a3" for alerts partition 3,
 * as the offset fences name it. */
static const char kind_char[EVENT_KIND_COUNT] = {'a', 't', 's'};

/* Notes the partition of `m` in b->parts (once; its last offset the
 * highest seen).  A batch holds thousands of messages of a few
 * partitions: the search is over the partitions. */
static int parts_add(batch_t *b, const rd_kafka_message_t *m) {
        int kind = kafka_io_input_kind(b->kio, m);
        if (kind < 0)
                return 0;
        for (size_t i = 0; i < b->n_parts; i++) {
                part_seen_t *p = &b->parts[i];
                if (p->rkt == m->rkt && p->partition == m->partition) {
                        if (m->offset > p->last)
                                p->last = m->offset;
                        return 0;
                }
        }
        part_seen_t *parts = batch_grow(b->parts, &b->cap_parts,
                                        b->n_parts + 1, sizeof(*parts));
        if (!parts)
                return -1;
        b->parts = parts;
        parts[b->n_parts++] = (part_seen_t){m->rkt, m->partition, kind,
                                            m->offset};
        return 0;
}

/* Pairs of partition label and committed offset, for the partitions of
 * the items loaded; how many pairs. */
static size_t committed_pairs(batch_t *b) {
        size_t n = 0;
        b->n_parts = 0;
        redis_args_reset(&b->args);
        for (size_t i = 0; i < b->n_loaded; i++)
                if (b->items[i]->msg && parts_add(b, b->items[i]->msg))
                        return 0; /* out of memory: unchecked this once */
        for (size_t i = 0; i < b->n_parts; i++) {
                const part_seen_t *p = &b->parts[i];
                int64_t committed = kafka_io_committed(
                        b->kio, rd_kafka_topic_name(p->rkt), p->partition);
                if (committed < 0)
                        continue;
                redis_args_addf(&b->args, "%c%" PRId32, kind_char[p->kind],
                                p->partition);
                redis_args_addf(&b->args, "%" PRId64, committed);
                n++;
        }
        return n;
}

/* The label kind of an input topic, or -1. */
static int topic_kind(const batch_t *b, const char *topic) {
        for (int t = 0; t < TOPIC_INPUT_COUNT; t++)
                if (!strcmp(topic, b->conf->kafka.topics[t]))
                        return t;
        return -1;
}

/* Pairs for every partition in `parts` whose offset is known. */
static size_t list_pairs(batch_t *b, const rd_kafka_topic_partition_list_t *parts) {
        size_t n = 0;
        redis_args_reset(&b->args);
        for (int i = 0; parts && i < parts->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &parts->elems[i];
                int kind = topic_kind(b, p->topic);
                if (kind < 0)
                        continue;
                redis_args_addf(&b->args, "%c%" PRId32, kind_char[kind],
                                p->partition);
                redis_args_addf(&b->args, "%" PRId64,
                                p->offset > 0 ? p->offset : 0);
                n++;
        }
        return n;
}

size_t batch_append_state_check_held(batch_t *b) {
        const char *cluster = kafka_io_cluster_id(b->kio);
        b->state_checked = false;
        if (!cluster || !list_pairs(b, kafka_io_committed_list(b->kio)))
                return 0;
        redis_state_append_state_check(b->rs, cluster, impactd_now_ms() / 1000,
                                       "", &b->args);
        b->state_checked = true;
        return 1;
}

size_t batch_append_state_check(batch_t *b, const char *others) {
        const char *cluster = kafka_io_cluster_id(b->kio);
        b->state_checked = false;
        if (!cluster || !committed_pairs(b))
                return 0;
        redis_state_append_state_check(b->rs, cluster, impactd_now_ms() / 1000,
                                       others, &b->args);
        b->state_checked = true;
        return 1;
}

impactd_err_t batch_read_state_check(batch_t *b, char *errstr,
                                     size_t errstr_size) {
        redis_state_check_t c;
        impactd_err_t err;
        b->state_ask = false;
        if (!b->state_checked)
                return IMPACTD_OK;
        if ((err = redis_state_read_state_check(b->rs, &c, errstr,
                                                errstr_size)))
                return err;
        if (c.status == STATE_ASK) {
                b->state_ask = true;
                return IMPACTD_OK;
        }
        if (c.status == STATE_LOST) {
                b->stats.state_losses++;
                log_error("redis: state lost (%s): Redis holds less than "
                          "Kafka's committed offsets say was written; state "
                          "generation %" PRId64 " starts, and every incident "
                          "changed from now on continues its revisions from "
                          "%" PRId64 " so that none repeats one already "
                          "published (docs/operations.md: replaying from "
                          "earlier offsets)", c.why, c.generation,
                          c.generation * REDIS_GENERATION_REVISIONS);
        } else if (c.status == STATE_CREATED) {
                log_info("redis: state marker created from the committed "
                         "offsets (generation %" PRId64 ")", c.generation);
        } else if (c.generation != redis_state_generation(b->rs)) {
                log_warn("redis: state generation %" PRId64 " (was %" PRId64
                         "): another worker found state lost",
                         c.generation, redis_state_generation(b->rs));
        }
        redis_state_set_generation(b->rs, c.generation);
        return IMPACTD_OK;
}

/* The check again, with every input partition: when the batch's found
 * the marker missing, of another cluster, or behind.  Only a failure of
 * Kafka to say what it committed leaves the question open: the batch
 * waits (IMPACTD_ERR_REDIS is retried with backoff) rather than apply on
 * state that may be gone. */
impactd_err_t batch_state_answer(batch_t *b, char *errstr,
                                 size_t errstr_size) {
        const char *cluster = kafka_io_cluster_id(b->kio);
        bool found;
        impactd_err_t err;
        if (!b->state_ask || !cluster)
                return IMPACTD_OK;
        rd_kafka_topic_partition_list_t *all =
                kafka_io_committed_all(b->kio, errstr, errstr_size);
        if (!all)
                return IMPACTD_ERR_REDIS;
        if ((err = redis_state_has_incidents(b->rs, &found, errstr, errstr_size)))
                goto out;
        list_pairs(b, all);
        redis_state_append_state_check(b->rs, cluster, impactd_now_ms() / 1000,
                                       found ? "1" : "0", &b->args);
        b->state_checked = true;
        b->stats.redis_rounds++;
        if ((err = batch_read_state_check(b, errstr, errstr_size)))
                goto out;
        if (b->state_ask) {
                snprintf(errstr, errstr_size,
                         "redis: the state check asked again");
                err = IMPACTD_ERR_REDIS_REPLY;
        }
out:
        rd_kafka_topic_partition_list_destroy(all);
        return err;
}

/* How long a mark waits for the cluster id that names its offsets. */
#define MARK_CLUSTER_WAIT_MS 5000

impactd_err_t batch_append_mark(batch_t *b, rd_kafka_message_t **msgs,
                                size_t n, size_t *appended) {
        *appended = 0;
        if (!n)
                return IMPACTD_OK;
        /* Never committed unmarked: the next check would take the batch
         * for lost state. */
        const char *cluster = kafka_io_cluster_id_wait(b->kio,
                                                       MARK_CLUSTER_WAIT_MS);
        if (!cluster)
                return IMPACTD_ERR_KAFKA;
        b->n_parts = 0;
        for (size_t i = 0; i < n; i++)
                /* Committed without its mark, the batch would read as
                 * lost state at the next check. */
                if (parts_add(b, msgs[i]))
                        return IMPACTD_ERR_NOMEM;
        redis_args_reset(&b->args);
        for (size_t i = 0; i < b->n_parts; i++) {
                const part_seen_t *p = &b->parts[i];
                redis_args_addf(&b->args, "%c%" PRId32, kind_char[p->kind],
                                p->partition);
                redis_args_addf(&b->args, "%" PRId64, p->last + 1);
        }
        if (!b->n_parts)
                return IMPACTD_OK;
        redis_state_append_state_mark(b->rs, cluster, &b->args);
        *appended = 1;
        return IMPACTD_OK;
}
