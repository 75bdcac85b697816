/* The fixed stream of the fault tests (crash, outages, rebalance): 2,472
 * events over 24 keyed incidents, built so that what it pages does not
 * depend on how it is cut into batches or shared among workers.  Each
 * incident's level moves only with its alerts, which one partition keeps
 * in order (low, then an outage a third of the way in); tickets come from
 * accounts with no tier or ARR, and sentiment, all negative, only adds its
 * small lift and a surge.  Run it with the clock standing at T0 + 1 min,
 * so no deadline fires. */
#ifndef IMPACTD_TEST_STREAM_H
#define IMPACTD_TEST_STREAM_H

#include "scenario_util.h"

#define STREAM_INCIDENTS 24
/* Alerts at 0 and 34; of the rest, one in five is sentiment and the
 * others are tickets. */
#define STREAM_PER_INCIDENT 103
#define STREAM_EVENTS (STREAM_INCIDENTS * STREAM_PER_INCIDENT)

/* What a run ends with. */
typedef struct outcome {
        char *state;       /* comparable_state() */
        char *escalations; /* sorted ids on impact.escalations, one per line */
        size_t esc_copies, note_copies, escs, notes; /* copies, distinct */
} outcome_t;

/* Event `n` of the stream (JSON into buf); returns its topic kind. */
const char *stream_event(int n, char *buf, size_t size);
/* Produces the whole stream, a third of it in Avro, and flushes. */
void stream_produce(harness_t *h);
/* Queues events [from, to) without waiting for them. */
void stream_produce_range(harness_t *h, int from, int to);

/* Waits until the workers consumed everything and every outbox is empty;
 * fails unless each output a decision recorded is on Kafka; fills `o`. */
void stream_settle(harness_t *h, outcome_t *o);
void stream_outcome_free(outcome_t *o);
/* An uninterrupted run of the stream by one worker with batches of at most
 * `batch_max`, in Redis db `db`. */
void stream_reference(const char *name, int db, const char *batch_max,
                      outcome_t *o);
/* Fails the test, leaving both texts in files for diff(1), unless equal. */
void stream_expect_same(const char *what, const char *expected,
                        const char *actual);

#endif
