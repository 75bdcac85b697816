/* A flood of distinct incidents must not grow the worker without bound:
 * its per-batch buffers are reused and every incident lives in Redis.
 * IMPACTD_MEMORY_INCIDENTS (default 100,000; 1,000,000 in docs/testing.md)
 * incidents, one alert each, produced in chunks while the worker consumes
 * (the mock cluster keeps only a few MiB per partition).  The worker's
 * peak RSS (VmHWM, so a peak between two samples counts too) may exceed
 * its RSS after the first chunk by at most 16 MiB.  Fewer than four chunks
 * would leave too little after the first to show a growth: the test
 * fails rather than pass on nothing.  Under the sanitizers
 * (IMPACTD_TEST_SANITIZED) the worker runs with ASan's quarantine off, as
 * freed memory kept there would read as growth. */
#include "scenario_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "impactd.h"

#define CHUNK 10000

/* The worker's VmRSS or VmHWM in KiB; fails the test when unreadable. */
static long status_kib(pid_t pid, const char *field) {
        char path[64], line[256], fmt[32];
        long kib = -1;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        snprintf(fmt, sizeof(fmt), "%s: %%ld kB", field);
        FILE *fp = fopen(path, "r");
        assert_non_null(fp);
        while (fgets(line, sizeof(line), fp))
                if (sscanf(line, fmt, &kib) == 1)
                        break;
        fclose(fp);
        if (kib <= 0)
                fail_msg("no %s in %s", field, path);
        return kib;
}

static void test_flood_of_incidents_keeps_rss_flat(void **state) {
        static harness_t h;
        const char *n_env = getenv("IMPACTD_MEMORY_INCIDENTS");
        long total = n_env ? atol(n_env) : 100000, first = -1;
        char json[256];
        (void)state;
        if (total < 4 * CHUNK)
                fail_msg("IMPACTD_MEMORY_INCIDENTS=%ld: at least %d, or the "
                         "flood is too small to show a growth", total, 4 * CHUNK);
        if (getenv("IMPACTD_TEST_SANITIZED"))
                setenv("ASAN_OPTIONS", "detect_leaks=1:quarantine_size_mb=0", 1);
        harness_start(&h, "memory", 27, 8, TEST_CATALOG);
        harness_worker_start(&h, 0);
        for (long done = 0; done < total;) {
                for (long end = done + CHUNK; done < end && done < total; done++) {
                        snprintf(json, sizeof(json),
                                 "{\"event_id\":\"f-%ld\",\"incident_key\":\"F-%ld\","
                                 "\"service\":\"search\",\"status\":\"FIRING\","
                                 "\"affected_users\":10,\"occurred_at\":%lld}",
                                 done, done, T0 + done % 60000);
                        harness_produce(&h, "alerts", json, false);
                }
                harness_flush(&h);
                assert_true(harness_wait_consumed(&h, 300000));
                long rss = status_kib(h.workers[0], "VmRSS");
                if (first < 0)
                        first = rss;
                fprintf(stderr, "memory: %ld incidents, worker RSS %ld KiB\n",
                        done, rss);
        }
        /* Every incident is in Redis (the pattern ends in "}": the
         * aggregate hashes only). */
        redisReply *r = harness_redis(
                &h, "EVAL %s 0", "return #redis.call('KEYS', 'impact:{F-*}')");
        assert_int_equal(r->integer, total);
        freeReplyObject(r);
        long peak = status_kib(h.workers[0], "VmHWM");
        fprintf(stderr, "memory: RSS after %d incidents %ld KiB, peak %ld KiB "
                "after %ld\n", CHUNK, first, peak, total);
        assert_true(peak - first <= 16 * 1024);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_flood_of_incidents_keeps_rss_flat, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
