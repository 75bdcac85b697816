/* One routed partition's correlation state, held by the worker that owns
 * the partition (docs/architecture.md, "Owned incidents"): which incident
 * a service, a ticket or an alert belongs to, and the events waiting for
 * an incident.  The rules of today's route, hold, bind and map functions
 * (docs/architecture.md, "Correlation"), in memory.  Pure: no I/O.
 *
 * Times are on the incident clock (epoch ms), so the reopen window and the
 * expiries move with a test's clock as they do in production. */
#ifndef IMPACTD_PARTITION_H
#define IMPACTD_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef struct partition partition_t;

/* `ttl_ms`: how long a mapping, binding or alert lives past its last use
 * (redis.incident_ttl_s); `held_ttl_ms`: how long an event waits for an
 * incident (redis.pending_ttl_s).  NULL when out of memory. */
partition_t *partition_new(int64_t ttl_ms, int64_t held_ttl_ms);
void partition_destroy(partition_t *p);

typedef enum corr_verdict {
        CORR_APPLY,   /* apply to `incident` */
        CORR_HOLD,    /* no incident yet: partition_hold() it */
        CORR_NOTHING, /* a resolve for a service with no incident: log it */
} corr_verdict_t;

typedef struct corr {
        corr_verdict_t verdict;
        const char *incident; /* CORR_APPLY; valid while the partition lives */
        bool opened;          /* a firing alert opened it */
        /* CORR_HOLD: hold under this ticket (sentiment naming one), else
         * under the event's service. */
        const char *hold_ticket;
} corr_t;

/* Which incident `ev` joins at `now`, recording what that decides: a
 * firing alert opens its service's incident (`new_id`, deterministic:
 * correlate_new_incident_id) or registers a keyed one as its service's;
 * an alert is remembered with its incident, so that a duplicate goes
 * back there.  -1 when out of memory. */
int partition_correlate(partition_t *p, const event_t *ev, const char *new_id,
                        int64_t now, corr_t *out);

/* Keeps `len` bytes (a routed record) until the service's or ticket's
 * incident comes.  -1 when out of memory. */
int partition_hold(partition_t *p, const char *service, const char *ticket,
                   const void *record, size_t len, int64_t now);

/* At most `limit` records held for a service or ticket, oldest first,
 * taken out of the partition (the caller frees them: held_list_free);
 * *more says how many still wait.  Held events expire together,
 * held_ttl_ms after the last one came: then they are dropped and counted
 * in *expired. */
typedef struct held_list {
        char **records;
        size_t *lens;
        size_t cnt;
} held_list_t;
int partition_take_held(partition_t *p, const char *service, const char *ticket,
                        int64_t now, size_t limit, held_list_t *out,
                        size_t *expired, size_t *more);
void held_list_free(held_list_t *l);

/* A ticket counted in `incident`: its later events and sentiment follow. */
int partition_bind_ticket(partition_t *p, const char *ticket,
                          const char *incident, int64_t now);

/* A service entered `incident`'s blast radius: unless it has an open
 * incident of its own, its events join this one from now on.  Returns the
 * incident the service belongs to now (`incident`, or its own), NULL when
 * out of memory. */
const char *partition_map_dependent(partition_t *p, const char *service,
                                    const char *incident, int64_t now);

/* `incident` resolved: a firing alert of `service` reopens it until
 * `until`, later ones open a new incident.  Reopened: open again. */
int partition_resolved(partition_t *p, const char *service,
                       const char *incident, int64_t until, int64_t now);
int partition_reopened(partition_t *p, const char *service,
                       const char *incident, int64_t now);

/* The service no longer points at `incident` (a dependent that never
 * alerted, once its root resolved; a service handed over): its next
 * firing alert opens an incident of its own. */
void partition_forget(partition_t *p, const char *service, const char *incident,
                      int64_t now);

/* Frees what expired at `now`: links, held events, incident ids no link
 * names.  Call it now and then (it is linear in what the partition
 * holds).  Returns how many held events expired unclaimed (to count and
 * log), -1 when out of memory (nothing freed).  partition_entries() is
 * how many links, held lists and ids it holds. */
long partition_sweep(partition_t *p, int64_t now);
size_t partition_entries(const partition_t *p);

#endif
