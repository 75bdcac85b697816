/* The benchmark's workloads: realistic streams of alerts, tickets and
 * sentiment, generated from a seed, and the service catalog they run on.
 *
 *   storm   10 incidents (10 root services, 2 dependents each); alerts
 *           name their root's incident, tickets and sentiment (70 % of
 *           the events, from 20,000 accounts) only their service.
 *   broad   100,000 incidents named by incident_key, spread over 1,000
 *           services: every event touches a different incident than the
 *           one before, so nothing coalesces in a batch.
 *   steady  1,000 incidents named by incident_key, produced at a fixed
 *           rate.  Every ticket of an incident comes from its own account
 *           and every sentiment event counts, so a scored revision's
 *           affected_accounts and sentiment.count say exactly which events
 *           it covers: the latency of each is measured, not guessed. */
#ifndef IMPACTD_BENCH_WORKLOAD_H
#define IMPACTD_BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { WL_STORM, WL_BROAD, WL_STEADY } workload_kind_t;

typedef enum { EV_ALERT, EV_TICKET, EV_SENTIMENT } bench_event_kind_t;

typedef struct workload {
        workload_kind_t kind;
        const char *name;
        long events;     /* storm and broad: how many; steady: rate * seconds */
        int incidents;
        int rate;        /* steady: events per second */
        int seconds;     /* steady */
        uint64_t rng;
        long next;       /* index of the next event */
        int tickets[1000], sentiments[1000]; /* steady: per incident, so far */
} workload_t;

/* One generated event: its JSON, the topic kind and the key it is
 * produced with.  For steady, `incident` and `seq` (the event's number
 * among its incident's tickets or sentiment events, from 1) let the
 * latency be matched to the scored revisions. */
typedef struct bench_event {
        bench_event_kind_t kind;
        char json[768];
        size_t json_len;
        char key[64];
        int incident;    /* -1 when the event names no incident */
        int seq;
} bench_event_t;

/* Sets up `w` for `kind` ("storm", "broad", "steady"); `events` (storm,
 * broad), `incidents` (broad) or `rate`/`seconds` (steady) of 0 take the
 * defaults.  -1 on an unknown name. */
int workload_init(workload_t *w, const char *name, long events, int incidents,
                  int rate, int seconds, uint64_t seed);

/* The next event, dated `now_ms`.  0, or -1 when the workload is done. */
int workload_next(workload_t *w, int64_t now_ms, bench_event_t *ev);

/* Writes the `services:` catalog of the workload as YAML. */
void workload_write_catalog(const workload_t *w, FILE *fp);

#endif
