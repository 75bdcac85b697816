/* The partition write and the takeover (docs/architecture.md, "The
 * partition write"): one FCALL per routed partition per batch, checked
 * against the partition's owner epoch, and one when a worker takes a
 * partition over.  Every key of partition n carries the hash tag
 * {<prefix>:r<n>}, so on Redis Cluster one partition is one slot. */
#ifndef IMPACTD_PERSIST_H
#define IMPACTD_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "redis_state.h"
#include "strpool.h"

/* The highest input offset applied from input partition `src` ("a3":
 * alerts partition 3) through this routed partition. */
typedef struct persist_mark {
        const char *src;
        int64_t offset;
} persist_mark_t;

/* An escalation or notification decided, kept until Kafka has it. */
typedef struct persist_output {
        const char *id;
        char topic; /* 'e' escalations, 'n' notifications */
        const void *bytes;
        size_t len;
} persist_output_t;

/* One partition's write under construction; reuse it across batches. */
typedef struct persist_call {
        redis_args_t keys, args;
        record_buf_t scratch;
        const char *prefix;
        int32_t partition;
} persist_call_t;

void persist_call_free(persist_call_t *pc);

/* Starts the write of routed `partition` by the owner of `epoch`: the
 * batch's last routed offset, its input marks, the outputs Kafka has
 * acknowledged since the last write (cleared from the outbox) and those
 * the batch decided (added). */
void persist_begin(persist_call_t *pc, const char *prefix, int32_t partition,
                   int64_t epoch, const char *cluster, int64_t offset,
                   const persist_mark_t *marks, size_t n_marks,
                   const char *const *cleared, size_t n_cleared,
                   const persist_output_t *outs, size_t n_outs);

/* Adds an incident the batch changed: its core record and what changed
 * in its sets, to expire `ttl_ms` after this write, with its next
 * deadline (0: none).  Borrows the incident's strings until
 * persist_append().  -1 when out of memory. */
int persist_add_incident(persist_call_t *pc, const aggregate_t *a,
                         int64_t ttl_ms, int64_t deadline);

/* Appends the call to the pipeline (copied: `pc` and the incidents are
 * free again).  Then mark every added incident aggregate_saved() once
 * persist_read() says it was written. */
void persist_append(persist_call_t *pc, redis_state_t *rs);

/* Its reply.  *fenced: another worker took the partition over (its
 * epoch in *epoch_now), and nothing was written. */
impactd_err_t persist_read(redis_state_t *rs, bool *fenced, int64_t *epoch_now,
                           char *errstr, size_t errstr_size);

/* What a new owner finds: its epoch, the last routed offset applied
 * (-1: none from this cluster), the input marks, the deadlines and the
 * outbox. */
typedef struct persist_owned {
        int64_t epoch;
        int64_t offset;
        persist_mark_t *marks;
        size_t marks_cnt;
        struct persist_deadline {
                const char *incident;
                int64_t at;
        } *deadlines;
        size_t deadlines_cnt;
        persist_output_t *outbox;
        size_t outbox_cnt;
        strpool_t strings_; /* owned: every string above */
} persist_owned_t;

void persist_own_append(redis_state_t *rs, const char *prefix,
                        int32_t partition, const char *cluster);
impactd_err_t persist_own_read(redis_state_t *rs, persist_owned_t *out,
                               char *errstr, size_t errstr_size);
void persist_owned_clear(persist_owned_t *o);

#endif
