/* Owner keys: which worker owns the incident an event can join
 * (docs/architecture.md, "Owner keys").  Pure: the router looks the
 * bindings up in Redis and passes them in; this decides.
 *
 * Correlation can put two events in one incident when they share an
 * incident_key, a ticket, a service, or a path in the dependency graph.
 * The owner key is therefore the service's routing group (a connected
 * component of the catalog), unless a key or ticket binding says where the
 * incident already lives. */
#ifndef IMPACTD_ROUTE_H
#define IMPACTD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "graph.h"
#include "strpool.h"

typedef struct route_groups route_groups_t;

/* Groups the catalog: services joined by depends_on, in either direction,
 * share a group, named "g:" and its first member in byte order.  With
 * `split_hubs_over` > 0, a service with more direct dependents than that
 * is a group of its own and joins none of theirs (routing.split_hubs_over:
 * one hot partition traded for inhibition across the cut).  NULL + errstr
 * when out of memory. */
route_groups_t *route_groups_new(const graph_t *g, size_t split_hubs_over,
                                 char *errstr, size_t errstr_size);
void route_groups_destroy(route_groups_t *rg);

/* The group of catalog service `idx` (a graph index). */
const char *route_group_of(const route_groups_t *rg, size_t idx);
size_t route_groups_count(const route_groups_t *rg);
/* The largest group: its name, and how many services it holds. */
const char *route_groups_largest(const route_groups_t *rg, size_t *members);
/* Changes whenever a service changes group: stored beside the state, so
 * that a worker started on another catalog knows incidents may have to
 * move. */
uint64_t route_groups_fingerprint(const route_groups_t *rg);

/* What the router does with one valid event. */
typedef enum route_verdict {
        ROUTE_SEND, /* produce to the routed topic under `owner` */
        ROUTE_HOLD, /* sentiment naming only a ticket not bound yet: hold it
                     * for that ticket, in Redis, until the ticket comes */
} route_verdict_t;

typedef struct route_decision {
        route_verdict_t verdict;
        const char *owner; /* the owner key (ROUTE_SEND) */
        /* Bindings to store if absent, both to `owner`.  If another router
         * stored a different one first, decide again with it. */
        bool bind_key;    /* ev->incident_key */
        bool bind_ticket; /* a ticket's id (never sentiment's) */
} route_decision_t;

/* Decides where `ev` goes, given the stored bindings of its incident_key
 * and its ticket (NULL = not bound, or the event names none).  Owner keys
 * that are not a catalog group ("s:<service>" for a service outside the
 * catalog, "k:<key>" for a key first seen with no service) are copied into
 * `keys`.  Returns false with errstr when the event can never be routed
 * (nothing to correlate by; the DLQ reason) or on out of memory. */
bool route_decide(const route_groups_t *rg, const graph_t *g,
                  const event_t *ev, const char *key_binding,
                  const char *ticket_binding, strpool_t *keys,
                  route_decision_t *out, char *errstr, size_t errstr_size);

/* The ticket an event names, or NULL. */
const char *route_ticket_of(const event_t *ev);

#endif
