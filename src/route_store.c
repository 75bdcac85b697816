/* The router's bindings: one function call per name. */
#include "route_store.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void route_store_init(route_store_t *st, redis_state_t *rs) {
        memset(st, 0, sizeof(*st));
        st->rs = rs;
}

void route_store_free(route_store_t *st) {
        redis_args_free(&st->keys);
        redis_args_free(&st->args);
}

/* A call's keys: the name's binding, and the list held for it. */
static void begin(route_store_t *st, route_name_t kind, const char *name,
                  bool held) {
        const char *k = kind == ROUTE_NAME_KEY ? "rt:k:" : "rt:t:";
        const char *prefix = redis_state_key_prefix(st->rs);
        redis_args_reset(&st->keys);
        redis_args_reset(&st->args);
        redis_args_add_key(&st->keys, prefix, k, name, "");
        if (held)
                redis_args_add_key(&st->keys, prefix, k, name, ":held");
}

void route_store_append_get(route_store_t *st, route_name_t kind,
                            const char *name, int64_t ttl_s) {
        begin(st, kind, name, false);
        redis_args_addf(&st->args, "%" PRId64, ttl_s);
        redis_state_append_fcall(st->rs, "rt_get", &st->keys, &st->args, false);
}

static impactd_err_t bad_reply(const char *what, char *errstr, size_t errstr_size) {
        snprintf(errstr, errstr_size, "redis: unexpected reply to %s", what);
        return IMPACTD_ERR_REDIS_REPLY;
}

/* A string or nil reply: the owner key, copied, or NULL. */
static impactd_err_t owner_of(const redisReply *r, strpool_t *pool,
                              const char **owner, const char *what,
                              char *errstr, size_t errstr_size) {
        *owner = NULL;
        if (r->type == REDIS_REPLY_NIL)
                return IMPACTD_OK;
        if (r->type != REDIS_REPLY_STRING)
                return bad_reply(what, errstr, errstr_size);
        if (!(*owner = strpool_dup(pool, r->str, r->len))) {
                snprintf(errstr, errstr_size, "out of memory routing");
                return IMPACTD_ERR_NOMEM;
        }
        return IMPACTD_OK;
}

impactd_err_t route_store_read_get(route_store_t *st, strpool_t *pool,
                                   const char **owner, char *errstr,
                                   size_t errstr_size) {
        const void *v;
        impactd_err_t err = redis_state_read_raw(st->rs, &v, errstr, errstr_size);
        *owner = NULL;
        return err ? err : owner_of(v, pool, owner, "rt_get", errstr, errstr_size);
}

void route_store_append_bind(route_store_t *st, route_name_t kind,
                             const char *name, const char *owner,
                             int64_t ttl_s, size_t limit) {
        begin(st, kind, name, true);
        redis_args_add(&st->args, owner, strlen(owner));
        redis_args_addf(&st->args, "%" PRId64, ttl_s);
        redis_args_addf(&st->args, "%zu", limit ? limit : 1);
        redis_state_append_fcall(st->rs, "rt_bind", &st->keys, &st->args, false);
}

void route_bound_clear(route_bound_t *b) {
        free(b->held);
        free(b->held_lens);
        memset(b, 0, sizeof(*b));
}

impactd_err_t route_store_read_bind(route_store_t *st, strpool_t *pool,
                                    route_bound_t *out, char *errstr,
                                    size_t errstr_size) {
        const void *v;
        route_bound_clear(out);
        impactd_err_t err = redis_state_read_raw(st->rs, &v, errstr, errstr_size);
        const redisReply *r = v;
        if (err)
                return err;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
            r->element[0]->type != REDIS_REPLY_STRING ||
            r->element[1]->type != REDIS_REPLY_INTEGER)
                return bad_reply("rt_bind", errstr, errstr_size);
        if ((err = owner_of(r->element[0], pool, &out->owner, "rt_bind", errstr,
                            errstr_size)))
                return err;
        size_t n = r->elements - 2;
        out->held_more = r->element[1]->integer - (long long)n;
        out->held = calloc(n + 1, sizeof(*out->held));
        out->held_lens = calloc(n + 1, sizeof(*out->held_lens));
        if (!out->held || !out->held_lens) {
                route_bound_clear(out);
                snprintf(errstr, errstr_size, "out of memory routing");
                return IMPACTD_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const redisReply *h = r->element[i + 2];
                if (h->type != REDIS_REPLY_STRING) {
                        route_bound_clear(out);
                        return bad_reply("rt_bind", errstr, errstr_size);
                }
                out->held[out->held_cnt] = h->str;
                out->held_lens[out->held_cnt++] = h->len;
        }
        return IMPACTD_OK;
}

void route_store_append_hold(route_store_t *st, const char *ticket,
                             int64_t held_ttl_s, int64_t ttl_s,
                             const char *const *records, const size_t *lens,
                             size_t n) {
        begin(st, ROUTE_NAME_TICKET, ticket, true);
        redis_args_addf(&st->args, "%" PRId64, held_ttl_s);
        redis_args_addf(&st->args, "%" PRId64, ttl_s);
        for (size_t i = 0; i < n; i++)
                redis_args_add(&st->args, records[i], lens[i]);
        redis_state_append_fcall(st->rs, "rt_hold", &st->keys, &st->args, false);
}

impactd_err_t route_store_read_hold(route_store_t *st, strpool_t *pool,
                                    const char **owner, char *errstr,
                                    size_t errstr_size) {
        const void *v;
        impactd_err_t err = redis_state_read_raw(st->rs, &v, errstr, errstr_size);
        *owner = NULL;
        return err ? err : owner_of(v, pool, owner, "rt_hold", errstr, errstr_size);
}

void route_store_append_unhold(route_store_t *st, const char *ticket,
                               const char *const *records, const size_t *lens,
                               size_t n) {
        const char *prefix = redis_state_key_prefix(st->rs);
        redis_args_reset(&st->keys);
        redis_args_reset(&st->args);
        redis_args_add_key(&st->keys, prefix, "rt:t:", ticket, ":held");
        for (size_t i = 0; i < n; i++)
                redis_args_add(&st->args, records[i], lens[i]);
        redis_state_append_fcall(st->rs, "rt_unhold", &st->keys, &st->args, false);
}

impactd_err_t route_store_read_unhold(route_store_t *st, long long *removed,
                                      char *errstr, size_t errstr_size) {
        const void *v;
        impactd_err_t err = redis_state_read_raw(st->rs, &v, errstr, errstr_size);
        const redisReply *r = v;
        *removed = 0;
        if (err)
                return err;
        if (r->type != REDIS_REPLY_INTEGER)
                return bad_reply("rt_unhold", errstr, errstr_size);
        *removed = r->integer;
        return IMPACTD_OK;
}
