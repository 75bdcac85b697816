/* Which incident an event belongs to (DESIGN.md, "Correlation").  Pure:
 * decides which lookups an event needs; the worker runs them in Redis. */
#ifndef IMPACTD_CORRELATE_H
#define IMPACTD_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"

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

/* Incident ids are used inside Redis hash tags and log lines, so they are
 * restricted to [A-Za-z0-9._:-]; anything else becomes '_'. */
void correlate_incident_id(const char *incident_key, char *out, size_t size);

/* The id of an incident opened by a firing alert: "<service>-<hash of the
 * event id>", deterministic so a replayed alert opens the same incident. */
void correlate_new_incident_id(const event_t *ev, char *out, size_t size);

/* The same from a service and the id of the event that opens it: a
 * dependent taking over from its root's resolved incident opens
 * "<service>-<hash of takeover:<incident>:<service>>", the same on every
 * worker and replay. */
void correlate_takeover_incident_id(const char *service, const char *event_id,
                                    char *out, size_t size);

#endif
