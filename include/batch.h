/* One poll batch through decode, correlation, Redis and outputs:
 *
 *   load:  decode + validate every message; bad input -> DLQ
 *   route: one pipelined round of lookups (service / ticket -> incident)
 *   hold:  events with no incident yet are kept in Redis for later
 *   apply: one FCALL per incident (its events coalesced), pipelined
 *   after: score, scored outputs, the policy's decisions, ticket binds (which
 *          may release held sentiment: another apply round), closes
 *
 * Redis work is pipelined per round, never one round trip per event. */
#ifndef IMPACTD_BATCH_H
#define IMPACTD_BATCH_H

#include <librdkafka/rdkafka.h>

#include "codec.h"
#include "config.h"
#include "kafka_io.h"
#include "outbox.h"
#include "aggregate.h"
#include "redis_state.h"

typedef struct batch batch_t;

/* Messages sent to the DLQ for one kind of reason: the reason up to its
 * first ':', '(' or digit ("invalid JSON", "field 'service'"). */
#define DLQ_KINDS_MAX 32
typedef struct dlq_kind {
        char kind[48];
        uint64_t count;
} dlq_kind_t;

typedef struct batch_stats {
        uint64_t events;       /* decoded and valid */
        uint64_t dlq;          /* sent to the DLQ */
        dlq_kind_t dlq_kinds[DLQ_KINDS_MAX]; /* the last one also takes
                                                what does not fit */
        size_t dlq_kinds_cnt;
        uint64_t duplicates;   /* seen before, ignored */
        uint64_t held;         /* kept for an incident that is not open yet */
        uint64_t applies;      /* FCALL apply, one per incident and round */
        uint64_t scored;       /* scored revisions produced */
        uint64_t escalations;  /* escalations produced */
        uint64_t notifications; /* notifications produced */
        uint64_t muted;        /* escalations muted by a silence */
        uint64_t muted_notifications; /* held back by a silence */
        uint64_t decide_races; /* decided again: another worker was first */
        uint64_t redis_rounds; /* pipelined round trips */
        uint64_t rescored;     /* deadlines re-scored */
        uint64_t state_losses; /* Redis found holding less than committed */
} batch_stats_t;

/* Borrows every argument; they must outlive the batch.  Builds the
 * service graph from conf.  NULL + errstr on failure. */
batch_t *batch_new(const config_t *conf, codec_t *codec, redis_state_t *rs,
                   kafka_io_t *kio, outbox_t *outbox, char *errstr,
                   size_t errstr_size);
void batch_destroy(batch_t *b);

/* Decodes `msgs` (borrowed until batch_reset) and queues the DLQ entries
 * of bad ones.  IMPACTD_ERR_KAFKA when a DLQ entry could not be queued.
 * BATCH_RELOAD loads a part of the batch loaded last, again: bad messages
 * are skipped (their DLQ entries are queued already), and held events
 * still to release stay where they are. */
typedef enum { BATCH_LOAD = 0, BATCH_RELOAD } batch_load_mode_t;
impactd_err_t batch_load(batch_t *b, rd_kafka_message_t **msgs, size_t n,
                         batch_load_mode_t mode, char *errstr,
                         size_t errstr_size);
/* How many of the messages loaded are valid events. */
size_t batch_loaded(const batch_t *b);

/* Queues `m` to the DLQ with `reason`, logged and counted as for bad
 * input. */
impactd_err_t batch_dead_letter(batch_t *b, const rd_kafka_message_t *m,
                                const char *reason, char *errstr,
                                size_t errstr_size);

/* Runs the Redis rounds and queues the outputs.  On IMPACTD_ERR_REDIS the
 * caller reconnects and calls it again: events already applied are
 * recognised by their ids and change nothing the second time. */
impactd_err_t batch_apply(batch_t *b, char *errstr, size_t errstr_size);

/* Claims the incidents whose deadline (triage, SLA, quiet time, periodic
 * re-score) has passed on the incident clock and re-scores them, with the
 * same outputs and follow-ups as events; *n is how many were claimed.
 * Call between batches; IMPACTD_ERR_REDIS as for batch_apply. */
impactd_err_t batch_rescore(batch_t *b, size_t *n, char *errstr,
                            size_t errstr_size);

/* Appends the state marks of `msgs` (include/redis_state.h), once their
 * writes are done and before their commit; *appended = the replies to
 * read (0 or 1, an integer).  IMPACTD_ERR_NOMEM, or IMPACTD_ERR_KAFKA
 * when the brokers never named their cluster: the batch must not be
 * committed unmarked. */
impactd_err_t batch_append_mark(batch_t *b, rd_kafka_message_t **msgs,
                                size_t n, size_t *appended);

/* Forgets the loaded messages (does not destroy them). */
void batch_reset(batch_t *b);

/* True when held events were released only in part: the next batch must
 * run, with no message if none came, to release the rest. */
bool batch_has_carry(const batch_t *b);
/* Gives up releasing them (Redis refused the calls): they stay held, to
 * be released by the next event of their service or ticket. */
void batch_drop_carry(batch_t *b);

void batch_get_stats(const batch_t *b, batch_stats_t *out);

/* One event as impactd_apply takes it (the layout in impactd.lua), its
 * account's facts given: the worker's packing, and the differential test
 * that holds the owner's aggregates (aggregate.c) to the Lua rules. */
int batch_pack_event_facts(const config_t *conf, redis_args_t *a,
                           const event_t *ev, const account_facts_t *facts);

/* The account id up to the first of segments.account_prefix_separators:
 * the data partition it lives in ("eu1-acme" -> "eu1", *len 3); NULL
 * without one. */
const char *batch_account_prefix(const config_t *conf, const char *id,
                                 size_t *len);

#endif
