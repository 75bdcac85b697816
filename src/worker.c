/* poll batch -> load (decode, DLQ) -> apply (correlate, Redis, score,
 * outputs) -> flush (outputs acknowledged) -> commit. */
#include "worker.h"

#include <inttypes.h>
#include <stdlib.h>

#include "batch.h"
#include "codec.h"
#include "failpoint.h"
#include "kafka_io.h"
#include "log.h"
#include "outbox.h"
#include "redis_state.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define STATS_EVERY_MS 10000
#define RESCORE_EVERY_MS 200
#define OUTBOX_EVERY_MS 1000

struct worker {
        const config_t *conf;
        volatile sig_atomic_t *run;
        codec_t *codec;
        redis_state_t *rs;
        kafka_io_t *kio;
        batch_t *batch;
        outbox_t *outbox;
        rd_kafka_message_t **msgs;
        size_t batch_n;          /* msgs of the batch in hand, 0 between */
        int64_t next_stats_ms;
        int64_t next_rescore_ms; /* monotonic */
        int64_t next_outbox_ms;  /* monotonic */
        size_t rescored;         /* claimed by the last re-score */
        size_t recovered;        /* outputs the last outbox pass produced */
        uint64_t recovered_total;
        batch_stats_t last_stats;
};

/* Retries `connect` with capped exponential backoff; logs the outage once
 * and the recovery once. */
static impactd_err_t redis_until_up(worker_t *w, char *errstr,
                                    size_t errstr_size) {
        int backoff = BACKOFF_MIN_MS, logged = 0;
        for (;;) {
                impactd_err_t err =
                        w->rs ? redis_state_reconnect(w->rs, errstr, errstr_size)
                              : ((w->rs = redis_state_new(w->conf, errstr,
                                                          errstr_size))
                                         ? IMPACTD_OK
                                         : IMPACTD_ERR_REDIS);
                if (!err) {
                        if (logged)
                                log_info("redis: connected again");
                        return IMPACTD_OK;
                }
                if (err != IMPACTD_ERR_REDIS || !*w->run)
                        return err;
                if (!logged++)
                        log_error("redis unavailable, retrying with backoff "
                                  "(up to %d ms): %s", BACKOFF_MAX_MS, errstr);
                impactd_sleep_ms(backoff);
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        }
}

worker_t *worker_new(const config_t *conf, volatile sig_atomic_t *run,
                     char *errstr, size_t errstr_size) {
        worker_t *w = calloc(1, sizeof(*w));
        if (!w) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        w->conf = conf;
        w->run = run;
        w->msgs = calloc((size_t)conf->kafka.batch_max_messages, sizeof(*w->msgs));
        if (!w->msgs || !(w->codec = codec_new(conf, errstr, errstr_size)) ||
            !(w->kio = kafka_io_new(conf, errstr, errstr_size)) ||
            redis_until_up(w, errstr, errstr_size) ||
            !(w->outbox = outbox_new(conf, w->rs, w->kio, errstr,
                                     errstr_size)) ||
            !(w->batch = batch_new(conf, w->codec, w->rs, w->kio, w->outbox,
                                   errstr, errstr_size))) {
                if (!w->msgs)
                        snprintf(errstr, errstr_size, "out of memory");
                worker_destroy(w);
                return NULL;
        }
        return w;
}

void worker_destroy(worker_t *w) {
        if (!w)
                return;
        batch_destroy(w->batch);
        outbox_destroy(w->outbox);
        kafka_io_destroy(w->kio);
        redis_state_destroy(w->rs);
        codec_destroy(w->codec);
        free(w->msgs);
        free(w);
}

const char *worker_bootstraps(const worker_t *w) {
        const char *b = kafka_io_embedded_bootstraps(w->kio);
        return b ? b : w->conf->kafka.brokers;
}

/* "{invalid JSON: 2; field 'service': 1}" */
static void format_dlq_kinds(const batch_stats_t *s, char *out, size_t size) {
        size_t len = 0;
        out[0] = '\0';
        for (size_t i = 0; i < s->dlq_kinds_cnt && len < size; i++)
                len += (size_t)snprintf(out + len, size - len, "%s%s: %" PRIu64,
                                        i ? "; " : "{", s->dlq_kinds[i].kind,
                                        s->dlq_kinds[i].count);
        if (s->dlq_kinds_cnt && len < size)
                snprintf(out + len, size - len, "}");
}

static void log_stats(worker_t *w, int64_t now) {
        batch_stats_t s;
        char kinds[1024];
        batch_get_stats(w->batch, &s);
        format_dlq_kinds(&s, kinds, sizeof(kinds));
        double secs = (now - w->next_stats_ms + STATS_EVERY_MS) / 1000.0;
        uint64_t events = s.events - w->last_stats.events;
        char losses[48] = "";
        /* Said only when it happened: it should not. */
        if (s.state_losses)
                snprintf(losses, sizeof(losses), " state_losses=%" PRIu64,
                         s.state_losses);
        if (events || s.dlq != w->last_stats.dlq)
                log_info("stats events=%" PRIu64 " (%.0f/s) dlq=%" PRIu64
                         "%s duplicates=%" PRIu64 " held=%" PRIu64
                         " scored=%" PRIu64 " escalations=%" PRIu64
                         " notifications=%" PRIu64 " muted=%" PRIu64 "/%" PRIu64
                         " recovered=%" PRIu64 " redis_rounds=%" PRIu64
                         "%s",
                         s.events, secs > 0 ? events / secs : 0.0, s.dlq,
                         kinds, s.duplicates, s.held, s.scored, s.escalations,
                         s.notifications, s.muted, s.muted_notifications,
                         w->recovered_total, s.redis_rounds,
                         losses);
        w->last_stats = s;
        w->next_stats_ms = now + STATS_EVERY_MS;
}

/* Runs a batch step (apply, re-score), riding out Redis outages.  Gives
 * up only when asked to stop: the batch is then neither delivered nor
 * committed, and is consumed again after a restart. */
typedef impactd_err_t (*batch_step_t)(worker_t *w, char *errstr,
                                      size_t errstr_size);

static impactd_err_t until_done(worker_t *w, batch_step_t step, char *errstr,
                                size_t errstr_size) {
        int backoff = BACKOFF_MIN_MS;
        for (int attempt = 1;; attempt++) {
                impactd_err_t err = step(w, errstr, errstr_size);
                if (err != IMPACTD_ERR_REDIS) {
                        if (attempt > 1 && !err)
                                log_info("redis: batch went through after %d "
                                         "attempts", attempt);
                        return err;
                }
                /* Once: a failure that is not an outage (an error reply
                 * from a server that answers) repeats until fixed, and
                 * must neither spin nor flood the log. */
                if (attempt == 1)
                        log_error("redis: batch failed, retrying with backoff "
                                  "(up to %d ms): %s", BACKOFF_MAX_MS, errstr);
                if ((err = redis_until_up(w, errstr, errstr_size)))
                        return err;
                if (!*w->run) {
                        snprintf(errstr, errstr_size,
                                 "stopped while Redis was unavailable");
                        return IMPACTD_ERR_REDIS;
                }
                impactd_sleep_ms(backoff);
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        }
}

/* A call refused outside a batch of messages (a re-score, the outbox,
 * the confirm) has no message to dead-letter: said once, then the work
 * goes on; what it was for is retried when its lease runs out. */
static impactd_err_t unless_refused(impactd_err_t err, const char *what,
                                    const char *errstr) {
        if (err != IMPACTD_ERR_REDIS_REPLY)
                return err;
        log_error("redis refused a call of %s, which goes on without it: %s",
                  what, errstr);
        return IMPACTD_OK;
}

static impactd_err_t apply_step(worker_t *w, char *errstr, size_t errstr_size) {
        return batch_apply(w->batch, errstr, errstr_size);
}

static impactd_err_t rescore_step(worker_t *w, char *errstr,
                                  size_t errstr_size) {
        return batch_rescore(w->batch, &w->rescored, errstr, errstr_size);
}

/* The outputs are acknowledged: clear the outbox, mark the revisions
 * done, and raise the partitions' state marks, in one round trip. */
static impactd_err_t confirm_step(worker_t *w, char *errstr,
                                  size_t errstr_size) {
        size_t marks;
        impactd_err_t err = batch_append_mark(w->batch, w->msgs, w->batch_n,
                                              &marks);
        if (err) {
                snprintf(errstr, errstr_size, "%s",
                         err == IMPACTD_ERR_KAFKA
                                 ? "kafka: no cluster id to mark the state "
                                   "with"
                                 : "out of memory");
                return err;
        }
        return outbox_confirm(w->outbox, marks, errstr, errstr_size);
}

static impactd_err_t recover_step(worker_t *w, char *errstr,
                                  size_t errstr_size) {
        return outbox_recover(w->outbox, &w->recovered, errstr, errstr_size);
}

/* Outputs whose worker died before Kafka had them, looked for once a
 * second (and at start). */
static impactd_err_t recover_due(worker_t *w, char *errstr, size_t errstr_size) {
        int64_t now = impactd_mono_ms();
        if (now < w->next_outbox_ms)
                return IMPACTD_OK;
        w->next_outbox_ms = now + OUTBOX_EVERY_MS;
        impactd_err_t err = unless_refused(
                until_done(w, recover_step, errstr, errstr_size),
                "the outbox recovery", errstr);
        w->recovered_total += w->recovered;
        /* A Kafka failure here is retried on the next pass. */
        if (err == IMPACTD_ERR_KAFKA) {
                log_error("outbox: %s; retrying", errstr);
                return IMPACTD_OK;
        }
        return err;
}

/* Deadlines that passed on the incident clock are claimed at most every
 * RESCORE_EVERY_MS, and at once again while a claim comes back full. */
static impactd_err_t rescore_due(worker_t *w, char *errstr, size_t errstr_size) {
        int64_t now = impactd_mono_ms();
        impactd_err_t err;
        if (now < w->next_rescore_ms)
                return IMPACTD_OK;
        /* Kept across retries: outputs queued by a failed attempt are
         * still cleared once acknowledged. */
        outbox_forget(w->outbox);
        if ((err = unless_refused(until_done(w, rescore_step, errstr,
                                             errstr_size),
                                  "a re-score", errstr)))
                return err;
        bool full = w->rescored >= (size_t)w->conf->lifecycle.deadline_batch;
        w->next_rescore_ms = full ? now : now + RESCORE_EVERY_MS;
        if (w->rescored &&
            ((err = kafka_io_flush(w->kio, errstr, errstr_size)) ||
             (err = unless_refused(until_done(w, confirm_step, errstr,
                                              errstr_size),
                                   "the outbox confirmation", errstr))))
                return err;
        FAILPOINT_NOTE("rescore.note", "clock=%" PRId64 " claimed=%zu",
                       impactd_clock_ms(), w->rescored);
        return IMPACTD_OK;
}

/* Redis refused a call of the batch for what it was given (a script error,
 * a key of the wrong type): no retry changes that, and the whole
 * partition must not stall behind it.  The batch goes again one message
 * at a time; a message whose own calls are refused goes to the DLQ with
 * Redis's reason, and the others are applied (what the failed attempt
 * applied already is a replay, which changes nothing). */
static impactd_err_t isolate(worker_t *w, size_t n, const char *refused,
                             char *errstr, size_t errstr_size) {
        char why[512];
        log_error("redis refused a call of a batch of %zu messages (%s): "
                  "applying them one at a time", n, refused);
        if (!n) {
                batch_drop_carry(w->batch);
                return IMPACTD_OK;
        }
        for (size_t i = 0; i < n; i++) {
                impactd_err_t err = batch_load(w->batch, &w->msgs[i], 1,
                                               BATCH_RELOAD, errstr,
                                               errstr_size);
                if (err)
                        return err;
                if (!batch_loaded(w->batch))
                        continue; /* a bad message: in the DLQ already */
                err = until_done(w, apply_step, why, sizeof(why));
                if (err == IMPACTD_ERR_REDIS_REPLY)
                        err = batch_dead_letter(w->batch, w->msgs[i], why,
                                                errstr, errstr_size);
                else if (err)
                        snprintf(errstr, errstr_size, "%s", why);
                if (err)
                        return err;
        }
        return IMPACTD_OK;
}

static impactd_err_t process(worker_t *w, size_t n, char *errstr,
                             size_t errstr_size) {
        impactd_err_t err;
        outbox_forget(w->outbox); /* kept across retries, as for re-scores */
        w->batch_n = n;
        if ((err = batch_load(w->batch, w->msgs, n, BATCH_LOAD, errstr,
                              errstr_size)))
                goto out;
        err = until_done(w, apply_step, errstr, errstr_size);
        if (err == IMPACTD_ERR_REDIS_REPLY) {
                char refused[512];
                snprintf(refused, sizeof(refused), "%s", errstr);
                err = isolate(w, n, refused, errstr, errstr_size);
        }
        if (err || (err = kafka_io_flush(w->kio, errstr, errstr_size)) ||
            /* Only now are all outputs of these events acknowledged. */
            (err = unless_refused(until_done(w, confirm_step, errstr,
                                             errstr_size),
                                  "the outbox confirmation", errstr)))
                goto out;
        err = n ? kafka_io_commit(w->kio, w->msgs, n, errstr, errstr_size)
                : kafka_io_commit_owed(w->kio, errstr, errstr_size);
out:
        w->batch_n = 0;
        return err;
}

int worker_run(worker_t *w) {
        const config_t *conf = w->conf;
        char errstr[512];
        int rc = IMPACTD_EXIT_OK;
        w->next_stats_ms = impactd_now_ms() + STATS_EVERY_MS;
        /* A batch logs a line per output: they go out together after it. */
        log_batch(1);
        log_info("worker running: group=%s inputs=%s,%s,%s", conf->kafka.group_id,
                 conf->kafka.topics[TOPIC_ALERTS], conf->kafka.topics[TOPIC_TICKETS],
                 conf->kafka.topics[TOPIC_SENTIMENT]);
        while (*w->run) {
                int fatal = 0;
                impactd_clock_refresh();
                size_t n = kafka_io_poll_batch(w->kio, w->msgs,
                                               (size_t)conf->kafka.batch_max_messages,
                                               conf->kafka.batch_max_wait_ms, &fatal);
                /* The poll waited: events produced after a test moved the
                 * clock must be applied at the new time, not the old. */
                if (n)
                        impactd_clock_refresh();
                if (fatal) {
                        log_error("kafka: fatal error, stopping");
                        rc = IMPACTD_EXIT_FAILURE;
                        break;
                }
                /* A batch with no message still runs to release the rest
                 * of a held backlog (batch_has_carry). */
                impactd_err_t err = n || batch_has_carry(w->batch)
                                            ? process(w, n, errstr, sizeof(errstr))
                                            : kafka_io_commit_owed(w->kio, errstr,
                                                                   sizeof(errstr));
                batch_reset(w->batch);
                for (size_t i = 0; i < n; i++)
                        rd_kafka_message_destroy(w->msgs[i]);
                if (err) {
                        log_error("batch of %zu messages not committed: %s", n,
                                  errstr);
                        rc = IMPACTD_EXIT_FAILURE;
                        break;
                }
                if ((err = rescore_due(w, errstr, sizeof(errstr)))) {
                        log_error("re-scoring failed: %s", errstr);
                        rc = IMPACTD_EXIT_FAILURE;
                        break;
                }
                if ((err = recover_due(w, errstr, sizeof(errstr)))) {
                        log_error("outbox recovery failed: %s", errstr);
                        rc = IMPACTD_EXIT_FAILURE;
                        break;
                }
                int64_t now = impactd_now_ms();
                if (now >= w->next_stats_ms)
                        log_stats(w, now);
                log_flush();
        }
        log_stats(w, impactd_now_ms());
        log_info("worker stopping (%s)", rc ? "failure" : "signal");
        log_batch(0);
        return rc;
}
