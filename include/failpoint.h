/* Failpoints: the named places in the pipeline where a test can make a
 * worker die or wait, to reach states a healthy run passes through too
 * fast to observe (a decision stored and nothing produced yet, two workers
 * deciding on one incident at once).
 *
 * Enabled by one environment variable, read once when `impactd run`
 * starts:
 *
 *   IMPACTD_FAILPOINTS="NAME[=ARG],NAME[=ARG],..."
 *
 * An unknown NAME, or an ARG a failpoint does not take, stops the worker
 * at start (exit 3): a test that misspells one must not pass by testing
 * nothing.  Compiled in only when CMake's IMPACTD_FAILPOINTS option is on
 * (the default when the tests are built); otherwise every FAILPOINT_* below
 * is nothing, and a set variable is reported once and ignored.
 *
 * Every failpoint, in pipeline order, and where it strikes:
 *
 *   slice.groups=N   batch.c, batch_run: incidents per Redis round (slice)
 *                    is N, not SLICE_GROUPS, so a few incidents take
 *                    several rounds.
 *   apply.kill       batch.c, run_slice: a slice applied in Redis and its
 *                    replies read; nothing produced, nothing decided.
 *   decide.delay=MS  batch.c, run_slice: sleeps MS between the apply and
 *                    the decisions, so another worker can apply and decide
 *                    on the same incident in between.
 *   decide.kill      batch_decide.c, decide_read: a decision stored in
 *                    Redis (outbox written), none of its outputs produced.
 *   rescore.note     worker.c, rescore_due: after each pass over the due
 *                    deadlines, its outputs delivered, logs "failpoint
 *                    rescore.note: clock=MS claimed=N" (MS the incident
 *                    clock it claimed by): how a test knows the worker has
 *                    seen a time and found nothing more due.
 *
 * A failpoint that kills logs "failpoint NAME: dying" first, then raises
 * SIGKILL: no handler, no flush, no commit, as kill -9. */
#ifndef IMPACTD_FAILPOINT_H
#define IMPACTD_FAILPOINT_H

#include <stddef.h>

#ifdef IMPACTD_FAILPOINTS

/* Parses `spec` (IMPACTD_FAILPOINTS; NULL or empty enables none).
 * Returns 0, or -1 with errstr filled. */
int failpoint_init(const char *spec, char *errstr, size_t errstr_size);
/* Does what the failpoint `name` is set to do, if it is enabled. */
void failpoint_hit(const char *name);
/* The failpoint's numeric argument, or `dflt` when it is not enabled. */
long failpoint_value(const char *name, long dflt);
/* Whether the failpoint `name` is enabled. */
int failpoint_on(const char *name);

#define FAILPOINT(name) failpoint_hit(name)
#define FAILPOINT_VALUE(name, dflt) failpoint_value(name, dflt)
/* Logs "failpoint NAME: ..." (WARN) when NAME is enabled. */
#define FAILPOINT_NOTE(name, ...)                                              \
        do {                                                                   \
                if (failpoint_on(name))                                        \
                        log_warn("failpoint " name ": " __VA_ARGS__);          \
        } while (0)

#else

int failpoint_init(const char *spec, char *errstr, size_t errstr_size);
#define FAILPOINT(name) ((void)0)
#define FAILPOINT_VALUE(name, dflt) (dflt)
#define FAILPOINT_NOTE(name, ...) ((void)0)

#endif

#endif
