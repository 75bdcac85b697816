/* The worker loop: poll a batch, process it, deliver, commit. */
#ifndef IMPACTD_WORKER_H
#define IMPACTD_WORKER_H

#include <signal.h>

#include "config.h"

typedef struct worker worker_t;

/* Starts Kafka (embedded when no brokers are configured) and connects to
 * Redis, retrying with backoff while `*run` stays set: a worker started
 * before its Redis waits for it.  Borrows `conf`.  NULL + errstr on
 * failure. */
worker_t *worker_new(const config_t *conf, volatile sig_atomic_t *run,
                     char *errstr, size_t errstr_size);
void worker_destroy(worker_t *w);

/* The embedded cluster's bootstrap servers, or the configured brokers. */
const char *worker_bootstraps(const worker_t *w);

/* Runs until `*run` is cleared, then finishes the batch in hand, delivers
 * and commits it.  Returns a process exit code (IMPACTD_EXIT_*). */
int worker_run(worker_t *w);

#endif
