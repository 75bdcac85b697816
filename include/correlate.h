/* Which incident an event belongs to (DESIGN.md, "Correlation").  Pure:
 * decides which lookups an event needs; the worker runs them in Redis. */
#ifndef IMPACTD_CORRELATE_H
#define IMPACTD_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "strpool.h"

typedef struct correlate_plan {
        /* Set when the event names its incident: the id to use. */
        bool by_key;
        /* Service whose open incident to look up (NULL = none). */
        const char *service;
        /* Firing alerts open the service's incident when none is open:
         * the id to create it with ("" = look up only). */
        bool may_open;
        /* Ticket whose incident the event joins once the ticket is bound
         * to one (NULL = none); looked up before the service. */
        const char *ticket;
} correlate_plan_t;

/* Fills `plan`.  Returns false when the event can never be correlated
 * (a ticket or sentiment naming no incident, service or ticket); the
 * reason goes to errstr for the DLQ. */
bool correlate_plan(const event_t *ev, correlate_plan_t *plan, char *errstr,
                    size_t errstr_size);

/* An incident's id is its incident_key, exactly as it came (any byte but
 * NUL, up to limits.max_string_bytes): include/ident.h says how it goes
 * into Redis keys and output ids.  An incident opened by a firing alert
 * with no key gets the ones below. */

/* The id of an incident opened by a firing alert: "<service>-<hash of the
 * event id>", deterministic so a replayed alert opens the same incident.
 * Copied into `ids`; NULL when out of memory. */
const char *correlate_new_incident_id(strpool_t *ids, const event_t *ev);

/* The same from a service and the id of the event that opens it: a
 * dependent taking over from its root's resolved incident opens
 * "<service>-<hash of takeover:<incident>:<service>>", the same on every
 * worker and replay. */
const char *correlate_takeover_incident_id(strpool_t *ids, const char *service,
                                           const char *event_id);

#endif
