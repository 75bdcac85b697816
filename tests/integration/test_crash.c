/* kill -9 at random moments: the fixed stream of stream.h is processed
 * by a worker that is killed several times and restarted each time.  At
 * the end, the Redis state and the set of escalation ids must equal those
 * of an uninterrupted run, and every output a decision recorded must be on
 * Kafka (the outbox brings back what a killed worker decided but never
 * produced), and so must every incident's latest revision (a replay
 * scores again a revision never marked done).  First, uninterrupted runs
 * with batches of 1,000 and of 1, and of 1,000 applied in slices of 5
 * incidents, check the premise: batching alone changes neither.
 *
 * Runs: IMPACTD_CRASH_RUNS (default 1), kills per run IMPACTD_CRASH_KILLS
 * (default 3), IMPACTD_CRASH_SEED (default: the time; printed, so a
 * failing run can be replayed).  tests/crash.sh runs it 100 times. */
#include "stream.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "impactd.h"

static void test_kill_9_ends_as_an_uninterrupted_run(void **state) {
        (void)state;
        const char *s = getenv("IMPACTD_CRASH_SEED");
        int runs = getenv("IMPACTD_CRASH_RUNS") ? atoi(getenv("IMPACTD_CRASH_RUNS")) : 1;
        int kills = getenv("IMPACTD_CRASH_KILLS") ? atoi(getenv("IMPACTD_CRASH_KILLS")) : 3;
        unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
        outcome_t want, small;
        fprintf(stderr, "crash test: seed %u, %d runs of %d kills, %d events\n",
                seed, runs, kills, STREAM_EVENTS);
        assert_true(runs >= 1 && kills >= 1);
        srand(seed);

        stream_reference("crash-ref", 16, "1000", &want);
        stream_reference("crash-ref1", 17, "1", &small);
        /* The premise: batching alone changes neither. */
        stream_expect_same("crash-reference-state", want.state, small.state);
        stream_expect_same("crash-reference-escalations", want.escalations,
                           small.escalations);
        stream_outcome_free(&small);
        /* Nor do the slices a batch's incidents are applied in: 24
         * incidents in slices of 5. */
        setenv("IMPACTD_FAILPOINTS", "slice.groups=5", 1);
        stream_reference("crash-ref5", 18, "1000", &small);
        unsetenv("IMPACTD_FAILPOINTS");
        stream_expect_same("crash-sliced-state", want.state, small.state);
        stream_expect_same("crash-sliced-escalations", want.escalations,
                           small.escalations);
        stream_outcome_free(&small);
        assert_true(strlen(want.escalations) > 0);
        fprintf(stderr, "crash test: reference: %zu escalations, %zu notifications\n",
                want.esc_copies, want.note_copies);

        setenv("IMPACTD_TEST_DELIVERY_TIMEOUT_MS", "2000", 1);
        size_t dup_esc = 0, dup_notes = 0, killed = 0;
        for (int run = 0; run < runs; run++) {
                static harness_t h;
                char batch[16];
                outcome_t got;
                /* Small batches make for more moments to die in. */
                snprintf(batch, sizeof(batch), "%d", 1 + rand() % 200);
                setenv("IMPACTD_TEST_BATCH_MAX", batch, 1);
                harness_start(&h, "crash", 18, 3, TEST_CATALOG);
                harness_set_clock(&h, T0 + MIN);
                stream_produce(&h);
                /* Each kill lands while the worker works, not while it
                 * joins or idles: after the group committed a share of the
                 * stream that grows with each kill, plus a random moment
                 * (up to 100 ms) into whatever came next. */
                int64_t at_kill = 0;
                int mid_stream = 0;
                for (int k = 0; k < kills; k++) {
                        harness_worker_start(&h, 0);
                        int64_t until = (int64_t)STREAM_EVENTS * (k + 1) / (kills + 1);
                        if (until <= at_kill)
                                until = at_kill < STREAM_EVENTS ? at_kill + 1 : at_kill;
                        assert_true(harness_wait_committed(&h, until, 120000));
                        impactd_sleep_ms(rand() % 100);
                        int rc = harness_worker_stop(&h, 0, SIGKILL);
                        assert_int_equal(rc, 128 + SIGKILL);
                        at_kill = harness_committed(&h);
                        mid_stream += at_kill < STREAM_EVENTS;
                        killed++;
                }
                /* The first kill comes at 1/(kills+1) of the stream: far
                 * from its end, whatever the machine's speed. */
                assert_true(mid_stream > 0);
                harness_worker_start(&h, 0);
                stream_settle(&h, &got);
                assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
                assert_true(latest_revisions_scored(&h));
                stream_expect_same("crash-state", want.state, got.state);
                stream_expect_same("crash-escalations", want.escalations,
                                   got.escalations);
                dup_esc += got.esc_copies - got.escs;
                dup_notes += got.note_copies - got.notes;
                fprintf(stderr, "crash test: run %d (batch %s): %d of %d kills "
                        "mid-stream; same state and escalations, latest "
                        "revisions scored; %zu escalation copies, %zu "
                        "notification copies on Kafka\n", run + 1, batch,
                        mid_stream, kills, got.esc_copies, got.note_copies);
                stream_outcome_free(&got);
                harness_stop(&h);
        }
        unsetenv("IMPACTD_TEST_BATCH_MAX");
        unsetenv("IMPACTD_TEST_DELIVERY_TIMEOUT_MS");
        fprintf(stderr, "crash test: %d runs, %zu kills, 0 events lost, 0 "
                "counted twice; duplicates delivered: %zu escalations, %zu "
                "notifications\n", runs, killed, dup_esc, dup_notes);
        stream_outcome_free(&want);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_kill_9_ends_as_an_uninterrupted_run, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
