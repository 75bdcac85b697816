/* The state marker around a batch (include/redis_state.h): before its
 * events are applied, Redis must hold every write Kafka's committed
 * offsets stand for; after its writes, before its commit, the marks move
 * up to its offsets. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "batch_internal.h"
#include "log.h"

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

/* Adds "a3", offset to b->args: a partition as the marker names it. */
static void add_pair(batch_t *b, int kind, int32_t partition, int64_t offset) {
        redis_args_addf(&b->args, "%c%" PRId32, batch_kind_char[kind],
                        partition);
        redis_args_addf(&b->args, "%" PRId64, offset);
}

/* Pairs of partition label and committed offset, for the partitions of
 * the items loaded; how many pairs. */
static size_t committed_pairs(batch_t *b) {
        size_t n = 0;
        b->n_parts = 0;
        for (size_t i = 0; i < b->n_loaded; i++)
                if (b->items[i]->msg && parts_add(b, b->items[i]->msg))
                        return 0; /* out of memory: unchecked this once */
        for (size_t i = 0; i < b->n_parts; i++) {
                const part_seen_t *p = &b->parts[i];
                int64_t committed = kafka_io_committed(
                        b->kio, rd_kafka_topic_name(p->rkt), p->partition);
                if (committed >= 0) {
                        add_pair(b, p->kind, p->partition, committed);
                        n++;
                }
        }
        return n;
}

/* Pairs for every input partition in `parts`: their offsets, 0 for none
 * committed. */
static size_t list_pairs(batch_t *b, const rd_kafka_topic_partition_list_t *parts) {
        size_t n = 0;
        for (int i = 0; parts && i < parts->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &parts->elems[i];
                int kind = kafka_io_topic_kind(b->kio, p->topic);
                if (kind >= 0) {
                        add_pair(b, kind, p->partition,
                                 p->offset > 0 ? p->offset : 0);
                        n++;
                }
        }
        return n;
}

/* Appends the check of the pairs in b->args (when there are any). */
static size_t append_check(batch_t *b, const char *cluster, size_t pairs,
                           const char *others) {
        b->state_checked = cluster && pairs;
        if (b->state_checked)
                redis_state_append_state_check(b->rs, cluster,
                                               impactd_now_ms() / 1000, others,
                                               &b->args);
        return b->state_checked;
}

size_t batch_append_state_check_held(batch_t *b) {
        redis_args_reset(&b->args);
        return append_check(b, kafka_io_cluster_id(b->kio),
                            list_pairs(b, kafka_io_committed_list(b->kio)), "");
}

size_t batch_append_state_check(batch_t *b, const char *others) {
        redis_args_reset(&b->args);
        return append_check(b, kafka_io_cluster_id(b->kio), committed_pairs(b),
                            others);
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
        redis_args_reset(&b->args);
        append_check(b, cluster, list_pairs(b, all), found ? "1" : "0");
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
        for (size_t i = 0; i < b->n_parts; i++)
                add_pair(b, b->parts[i].kind, b->parts[i].partition,
                         b->parts[i].last + 1);
        if (!b->n_parts)
                return IMPACTD_OK;
        redis_state_append_state_mark(b->rs, cluster, &b->args);
        *appended = 1;
        return IMPACTD_OK;
}
