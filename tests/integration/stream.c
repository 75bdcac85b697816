/* The fault tests' fixed stream and how they compare runs (stream.h). */
#include "stream.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "impactd.h"

static const char *const stream_services[] = {"payments", "search", "payments-db"};
static const int stream_users[] = {20000, 40000, 20000};

/* Event `n` of the stream.  Incidents interleave; within one, an alert
 * comes first (degraded, a few users) and another a third of the way in
 * (an outage).  None resolves: a resolve coalesced into one batch with
 * the outage hides the open outage from the policy, so what pages would
 * depend on batching. */
const char *stream_event(int n, char *buf, size_t size) {
        int inc = n % STREAM_INCIDENTS, k = n / STREAM_INCIDENTS, svc = inc % 3;
        long long t = T0 + n * 10LL;
        if (k == 0 || k == STREAM_PER_INCIDENT / 3) {
                snprintf(buf, size,
                         "{\"event_id\":\"a-%d-%d\",\"incident_key\":\"INC-%d\","
                         "\"service\":\"%s\",\"status\":\"FIRING\","
                         "\"disruption\":\"%s\",\"affected_users\":%d,"
                         "\"slo_burn_rate\":%s,\"occurred_at\":%lld}",
                         inc, k, inc, stream_services[svc],
                         k ? "OUTAGE" : "DEGRADED",
                         k ? stream_users[svc] * 3 / 4 : stream_users[svc] / 10,
                         k ? "14.4" : "1.0", t);
                return "alerts";
        }
        if (k % 5 != 4) {
                snprintf(buf, size,
                         "{\"event_id\":\"t-%d-%d\",\"incident_key\":\"INC-%d\","
                         "\"ticket_id\":\"T-%d-%d\",\"account_id\":\"cust-%d\","
                         "\"status\":\"%s\",\"region\":\"eu-%d\","
                         "\"platform\":\"%s\",\"occurred_at\":%lld}",
                         inc, k, inc, inc, k, (inc * 7 + k) % 50,
                         k % 7 ? "OPEN" : "SOLVED", k % 3, k % 2 ? "web" : "ios",
                         t);
                return "tickets";
        }
        /* Binary fractions: their sums do not depend on the order. */
        snprintf(buf, size,
                 "{\"event_id\":\"s-%d-%d\",\"incident_key\":\"INC-%d\","
                 "\"account_id\":\"cust-%d\",\"score\":-0.%s,"
                 "\"occurred_at\":%lld}",
                 inc, k, inc, k % 50, k % 2 ? "5" : "25", t);
        return "sentiment";
}

void stream_produce_range(harness_t *h, int from, int to) {
        char json[512];
        for (int n = from; n < to; n++) {
                const char *kind = stream_event(n, json, sizeof(json));
                harness_produce(h, kind, json, n % 3 == 0);
        }
}

void stream_produce(harness_t *h) {
        stream_produce_range(h, 0, STREAM_EVENTS);
        harness_flush(h);
}


static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *sorted_keys(json_t *set) {
        size_t n = json_object_size(set), len = 1, i = 0;
        const char **keys = calloc(n + 1, sizeof(*keys));
        const char *k;
        json_t *v;
        json_object_foreach(set, k, v) {
                keys[i++] = k;
                len += strlen(k) + 1;
        }
        qsort(keys, n, sizeof(*keys), cmp_str);
        char *out = calloc(1, len), *o = out;
        for (i = 0; i < n; i++)
                o += sprintf(o, "%s\n", keys[i]);
        free(keys);
        return out;
}

static bool outboxes_empty(harness_t *h, const void *arg) {
        (void)arg;
        return outboxes_left(h) == 0;
}

/* Waits for the stream to be consumed and every outbox emptied, then
 * checks that each decided output is on Kafka and records the outcome.
 * An outbox a failed batch left is produced again once orphaned, the
 * delivery timeout and 5 s after its decision: 35 s here, past which a
 * loaded machine needs its margin. */
void stream_settle(harness_t *h, outcome_t *o) {
        assert_true(harness_wait_consumed(h, 60000));
        assert_true(harness_until(h, outboxes_empty, NULL, 90000));
        json_t *decided = decided_ids(h);
        json_t *esc = ids_on(h, "impact.escalations", "escalation_id", &o->esc_copies);
        json_t *notes = ids_on(h, "impact.notifications", "notification_id",
                               &o->note_copies);
        const char *id;
        json_t *v;
        json_object_foreach(decided, id, v) {
                if (!json_object_get(esc, id) && !json_object_get(notes, id))
                        fail_msg("decided output %s never reached Kafka", id);
        }
        assert_int_equal(json_object_size(decided),
                         json_object_size(esc) + json_object_size(notes));
        o->notes = json_object_size(notes);
        o->escs = json_object_size(esc);
        o->escalations = sorted_keys(esc);
        o->state = comparable_state(h);
        json_decref(decided);
        json_decref(esc);
        json_decref(notes);
}

void stream_outcome_free(outcome_t *o) {
        free(o->state);
        free(o->escalations);
}

void stream_reference(const char *name, int db, const char *batch_max,
                      outcome_t *o) {
        static harness_t h;
        setenv("IMPACTD_TEST_BATCH_MAX", batch_max, 1);
        harness_start(&h, name, db, 3, TEST_CATALOG);
        harness_set_clock(&h, T0 + MIN);
        stream_produce(&h);
        harness_worker_start(&h, 0);
        stream_settle(&h, o);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
        unsetenv("IMPACTD_TEST_BATCH_MAX");
}

void stream_expect_same(const char *what, const char *expected,
                        const char *actual) {
        char a[64], b[64];
        if (!strcmp(expected, actual))
                return;
        snprintf(a, sizeof(a), "%s-expected.txt", what);
        snprintf(b, sizeof(b), "%s-actual.txt", what);
        FILE *fp = fopen(a, "w");
        fputs(expected, fp);
        fclose(fp);
        fp = fopen(b, "w");
        fputs(actual, fp);
        fclose(fp);
        fail_msg("%s differs from the uninterrupted run: diff %s %s", what, a,
                 b);
}

