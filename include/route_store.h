/* The router's bindings in Redis (docs/architecture.md, "Owner keys"):
 * incident_key -> owner key, ticket -> owner key, and the sentiment held
 * for a ticket no router has bound yet.  Every call touches the keys of
 * one name, under its own hash tag; a batch pipelines them, one round trip
 * for all its names.  Refusals are the message's (the DLQ), not the
 * stream's. */
#ifndef IMPACTD_ROUTE_STORE_H
#define IMPACTD_ROUTE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "redis_state.h"
#include "strpool.h"

/* The calls under construction, on one connection: one per router. */
typedef struct route_store {
        redis_state_t *rs;
        redis_args_t keys, args;
} route_store_t;

void route_store_init(route_store_t *st, redis_state_t *rs);
void route_store_free(route_store_t *st);

typedef enum route_name {
        ROUTE_NAME_KEY = 'k',    /* an incident_key */
        ROUTE_NAME_TICKET = 't', /* a ticket id */
} route_name_t;

/* The binding of a name, kept `ttl_s` more.  Reply: *owner NULL when the
 * name is not bound; copied into `pool`. */
void route_store_append_get(route_store_t *st, route_name_t kind,
                            const char *name, int64_t ttl_s);
impactd_err_t route_store_read_get(route_store_t *st, strpool_t *pool,
                                   const char **owner, char *errstr,
                                   size_t errstr_size);

/* Binds a name to `owner` unless another router bound it first.  Reply:
 * the binding that holds (route by it), and for a ticket the first
 * `limit` routed records held for it (views valid until the next read),
 * with how many more are held.  They stay held until
 * route_store_append_unhold(), after Kafka acknowledged them. */
typedef struct route_bound {
        const char *owner;
        const char **held;
        size_t *held_lens;
        size_t held_cnt;
        int64_t held_more;
} route_bound_t;

void route_store_append_bind(route_store_t *st, route_name_t kind,
                             const char *name, const char *owner,
                             int64_t ttl_s, size_t limit);
impactd_err_t route_store_read_bind(route_store_t *st, strpool_t *pool,
                                    route_bound_t *out, char *errstr,
                                    size_t errstr_size);
void route_bound_clear(route_bound_t *b);

/* Holds routed records for ticket `ticket` (for `held_ttl_s`) unless it
 * is bound by now (then the binding lives `ttl_s` more).  Reply: *owner
 * NULL when held, else the binding to route them by. */
void route_store_append_hold(route_store_t *st, const char *ticket,
                             int64_t held_ttl_s, int64_t ttl_s,
                             const char *const *records, const size_t *lens,
                             size_t n);
impactd_err_t route_store_read_hold(route_store_t *st, strpool_t *pool,
                                    const char **owner, char *errstr,
                                    size_t errstr_size);

/* Released records Kafka has: no longer held.  Reply: how many were
 * removed (route_store_read_unhold). */
void route_store_append_unhold(route_store_t *st, const char *ticket,
                               const char *const *records, const size_t *lens,
                               size_t n);
impactd_err_t route_store_read_unhold(route_store_t *st, long long *removed,
                                      char *errstr, size_t errstr_size);

#endif
