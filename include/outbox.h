/* The outbox: escalations and notifications between their decision and
 * Kafka's acknowledgement.
 *
 * impactd_decide stores each output it decides in the incident's outbox
 * (<p>:{I}:outbox), atomically with the decision.  The worker produces
 * them, and once kafka_io_flush says Kafka has them all, clears them
 * (outbox_confirm) before committing the input offsets.  A worker that
 * dies in between leaves them behind: a replay of its events is a
 * duplicate and decides nothing, so without the outbox those pages would
 * be lost.  Every worker looks for outboxes orphaned that long
 * (outbox_recover) and produces what they hold again, with the same ids,
 * so every decided output reaches Kafka at least once and consumers drop
 * duplicates by id.
 *
 * Scored revisions need no copy: a revision is marked done (impactd_done)
 * only in outbox_confirm, so the replay of a dead worker's events finds it
 * not done and scores it again (or a newer revision, when the replay
 * brings new events too). */
#ifndef IMPACTD_OUTBOX_H
#define IMPACTD_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "kafka_io.h"
#include "redis_state.h"

typedef struct outbox outbox_t;

/* Borrows every argument.  NULL + errstr when out of memory. */
outbox_t *outbox_new(const config_t *conf, redis_state_t *rs, kafka_io_t *kio,
                     char *errstr, size_t errstr_size);
void outbox_destroy(outbox_t *ob);

/* When outputs decided now count as orphaned if still in the outbox: the
 * longest a live worker can take to have them acknowledged
 * (kafka.delivery_timeout_ms), and some. */
int64_t outbox_orphan_at(const outbox_t *ob);

/* Remembers an output produced for `incident`, to clear once Kafka has
 * acknowledged it.  -1 when out of memory (it stays in the outbox and is
 * produced again later: a duplicate, never a loss). */
int outbox_sent(outbox_t *ob, const char *incident, const char *id);

/* Remembers a revision scored for `incident`, to mark done once Kafka
 * has acknowledged it.  -1 when out of memory (a replay scores it again). */
int outbox_scored(outbox_t *ob, const char *incident, int64_t revision);

/* After a successful kafka_io_flush: clears everything outbox_sent
 * remembered and marks done every revision outbox_scored remembered, in
 * one round trip, after `extra` calls the caller appended (integer
 * replies: the state marks).  IMPACTD_ERR_REDIS: retry after
 * reconnecting (clearing twice is harmless). */
impactd_err_t outbox_confirm(outbox_t *ob, size_t extra, char *errstr,
                             size_t errstr_size);

/* Forgets what was sent and scored without clearing it or marking it
 * done: its delivery is in doubt. */
void outbox_forget(outbox_t *ob);

/* Claims incidents whose outbox is orphaned, produces what they hold,
 * waits for Kafka and clears them; *produced is how many outputs went out
 * again.  Call between batches. */
impactd_err_t outbox_recover(outbox_t *ob, size_t *produced, char *errstr,
                             size_t errstr_size);

#endif
