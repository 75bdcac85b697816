/* Redis connection, key layout and the pipelined calls of impactd.lua. */
#include "redis_state.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redis_state_internal.h"
#include "ident.h"
#include "redis_url.h"

extern const char impactd_lua_impactd[];
extern const size_t impactd_lua_impactd_len;
extern const char impactd_lua_impactd_tag[];

/* ---- argument lists ---------------------------------------------------- */

void redis_args_reset(redis_args_t *a) {
        a->argc = 0;
        a->scratch_used = 0;
        a->failed = false;
}

void redis_args_free(redis_args_t *a) {
        free(a->argv);
        free(a->argvlen);
        free(a->scratch);
        memset(a, 0, sizeof(*a));
}

static int args_reserve(redis_args_t *a, size_t n) {
        if (a->argc + n <= a->cap)
                return 0;
        size_t cap = a->cap ? a->cap * 2 : 64;
        while (cap < a->argc + n)
                cap *= 2;
        const char **argv = realloc(a->argv, cap * sizeof(*argv));
        if (!argv)
                return -1;
        a->argv = argv;
        size_t *lens = realloc(a->argvlen, cap * sizeof(*lens));
        if (!lens)
                return -1;
        a->argvlen = lens;
        a->cap = cap;
        return 0;
}

int redis_args_add(redis_args_t *a, const char *s, size_t len) {
        if (args_reserve(a, 1) == -1) {
                a->failed = true;
                return -1;
        }
        a->argv[a->argc] = s;
        a->argvlen[a->argc++] = len;
        return 0;
}

/* Grows the scratch area; arguments already pointing into it are moved
 * along, so callers may keep adding after a growth. */
static int scratch_grow(redis_args_t *a, size_t need) {
        size_t cap = a->scratch_cap ? a->scratch_cap * 2 : 4096;
        while (cap < a->scratch_used + need)
                cap *= 2;
        /* Kept as an integer: the old block is only compared, never read. */
        uintptr_t lo = (uintptr_t)a->scratch, hi = lo + a->scratch_used;
        char *s = realloc(a->scratch, cap);
        if (!s)
                return -1;
        if (lo && (uintptr_t)s != lo) {
                for (size_t i = 0; i < a->argc; i++) {
                        uintptr_t p = (uintptr_t)a->argv[i];
                        if (p >= lo && p < hi)
                                a->argv[i] = s + (p - lo);
                }
        }
        a->scratch = s;
        a->scratch_cap = cap;
        return 0;
}

/* Room for `need` more bytes in the scratch area. */
static char *scratch_reserve(redis_args_t *a, size_t need) {
        if (a->scratch_used + need > a->scratch_cap &&
            scratch_grow(a, need) == -1) {
                a->failed = true;
                return NULL;
        }
        return a->scratch + a->scratch_used;
}

int redis_args_add_copy(redis_args_t *a, const void *s, size_t len) {
        char *dst = scratch_reserve(a, len + 1);
        if (!dst)
                return -1;
        memcpy(dst, s, len);
        dst[len] = '\0';
        a->scratch_used += len + 1;
        return redis_args_add(a, dst, len);
}

int redis_args_addf(redis_args_t *a, const char *fmt, ...) {
        va_list ap;
        size_t room = a->scratch_cap - a->scratch_used;
        char *dst = a->scratch ? a->scratch + a->scratch_used : NULL;
        va_start(ap, fmt);
        int n = vsnprintf(dst, dst ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                a->failed = true;
                return -1;
        }
        /* Formatted again when it did not fit: any length goes. */
        if ((size_t)n + 1 > room) {
                if (!(dst = scratch_reserve(a, (size_t)n + 1)))
                        return -1;
                va_start(ap, fmt);
                vsnprintf(dst, (size_t)n + 1, fmt, ap);
                va_end(ap);
        }
        a->scratch_used += (size_t)n + 1;
        return redis_args_add(a, dst, (size_t)n);
}

int redis_args_add_key(redis_args_t *a, const char *prefix, const char *kind,
                       const char *id, const char *suffix) {
        size_t lp = strlen(prefix), lk = strlen(kind), ls = strlen(suffix);
        size_t len = lp + 1 + lk + 2 + ident_encoded_len(id, IDENT_KEY) + ls;
        char *dst = scratch_reserve(a, len + 1), *p = dst;
        if (!dst)
                return -1;
        memcpy(p, prefix, lp);
        p += lp;
        *p++ = ':';
        memcpy(p, kind, lk);
        p += lk;
        *p++ = '{';
        p += ident_encode(id, IDENT_KEY, p);
        *p++ = '}';
        memcpy(p, suffix, ls + 1);
        a->scratch_used += len + 1;
        return redis_args_add(a, dst, len);
}

/* ---- connection --------------------------------------------------------- */

static impactd_err_t command_ok(redisContext *ctx, const char *what,
                                char *errstr, size_t errstr_size,
                                const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        redisReply *r = redisvCommand(ctx, fmt, ap);
        va_end(ap);
        impactd_err_t err = IMPACTD_OK;
        if (!r) {
                snprintf(errstr, errstr_size, "redis %s: %s", what, ctx->errstr);
                err = IMPACTD_ERR_REDIS;
        } else if (r->type == REDIS_REPLY_ERROR) {
                snprintf(errstr, errstr_size, "redis %s: %s", what, r->str);
                err = IMPACTD_ERR_REDIS;
        }
        if (r)
                freeReplyObject(r);
        return err;
}

static struct timeval ms_to_tv(int ms) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        return tv;
}

static impactd_err_t rs_connect(redis_state_t *rs, char *errstr,
                                size_t errstr_size) {
        const config_t *conf = rs->conf;
        redis_url_t u;
        redisContext *ctx = NULL;
        impactd_err_t err = redis_url_parse(conf->redis.url, &u, errstr,
                                            errstr_size);
        if (err)
                goto out;
        struct timeval ctv = ms_to_tv(conf->redis.connect_timeout_ms);
        ctx = u.path[0] ? redisConnectUnixWithTimeout(u.path, ctv)
                        : redisConnectWithTimeout(u.host, u.port, ctv);
        if (!ctx || ctx->err) {
                if (u.path[0])
                        snprintf(errstr, errstr_size, "redis connect %s: %s",
                                 u.path, ctx ? ctx->errstr : "out of memory");
                else
                        snprintf(errstr, errstr_size,
                                 "redis connect %s:%d: %s", u.host, u.port,
                                 ctx ? ctx->errstr : "out of memory");
                err = IMPACTD_ERR_REDIS;
                goto out;
        }
        redisSetTimeout(ctx, ms_to_tv(conf->redis.command_timeout_ms));
        const char *pw = conf->redis.password ? conf->redis.password : u.password;
        /* An ACL user signs in with both; the password alone is the
         * default user's (requirepass). */
        if (pw[0] && (err = u.user[0] ? command_ok(ctx, "AUTH", errstr,
                                                    errstr_size, "AUTH %s %s",
                                                    u.user, pw)
                                      : command_ok(ctx, "AUTH", errstr,
                                                   errstr_size, "AUTH %s", pw)))
                goto out;
        int db = conf->redis.database >= 0 ? conf->redis.database : u.db;
        if (db && (err = command_ok(ctx, "SELECT", errstr, errstr_size,
                                    "SELECT %d", db)))
                goto out;
        if ((err = command_ok(ctx, "FUNCTION LOAD", errstr, errstr_size,
                              "FUNCTION LOAD REPLACE %b", impactd_lua_impactd,
                              impactd_lua_impactd_len)))
                goto out;
        /* The generation to apply in, before any check has run: a worker
         * that starts after a loss another found must not write
         * revisions of the first generation again. */
        redisReply *g = redisCommand(ctx, "HGET %s:state gen",
                                     conf->redis.key_prefix);
        if (g && g->type == REDIS_REPLY_STRING)
                rs->generation = strtoll(g->str, NULL, 10);
        if (g)
                freeReplyObject(g);
        rs->ctx = ctx;
        rs->pending = 0;
        rs->call_first = rs->call_cnt = 0;
        redis_url_clear(&u);
        return IMPACTD_OK;
out:
        if (ctx)
                redisFree(ctx);
        redis_url_clear(&u);
        return err;
}

redis_state_t *redis_state_new(const config_t *conf, char *errstr,
                               size_t errstr_size) {
        redis_state_t *rs = calloc(1, sizeof(*rs));
        if (!rs) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        rs->conf = conf;
        /* For bench/: the worker's exact command stream, replayed there
         * pipelined from a tight loop to measure what Redis alone can do. */
        const char *record = getenv("IMPACTD_BENCH_REDIS_LOG");
        if (record && *record && !(rs->record = fopen(record, "w"))) {
                snprintf(errstr, errstr_size, "IMPACTD_BENCH_REDIS_LOG %s: %s",
                         record, strerror(errno));
                redis_state_destroy(rs);
                return NULL;
        }
        if (rs_connect(rs, errstr, errstr_size)) {
                redis_state_destroy(rs);
                return NULL;
        }
        return rs;
}

void redis_state_destroy(redis_state_t *rs) {
        if (!rs)
                return;
        if (rs->last)
                freeReplyObject(rs->last);
        if (rs->ctx)
                redisFree(rs->ctx);
        redis_args_free(&rs->cmd);
        free(rs->call_global);
        if (rs->record)
                fclose(rs->record);
        free(rs->held);
        free(rs->held_lens);
        free(rs);
}

impactd_err_t redis_state_reconnect(redis_state_t *rs, char *errstr,
                                    size_t errstr_size) {
        if (rs->ctx) {
                redisFree(rs->ctx);
                rs->ctx = NULL;
        }
        return rs_connect(rs, errstr, errstr_size);
}

const char *redis_state_key_prefix(const redis_state_t *rs) {
        return rs->conf->redis.key_prefix;
}

size_t redis_state_pending(const redis_state_t *rs) {
        return rs->pending;
}

/* ---- appending ---------------------------------------------------------- */

/* <prefix>:<kind>{<id>}<suffix>, the id encoded (include/ident.h). */
static void cmd_key(redis_state_t *rs, const char *kind, const char *id,
                    const char *suffix) {
        redis_args_add_key(&rs->cmd, rs->conf->redis.key_prefix, kind, id,
                           suffix);
}

/* `function` of this build's library: "apply" -> "impactd_<tag>_apply". */
static void cmd_begin(redis_state_t *rs, const char *function, int numkeys) {
        redis_args_reset(&rs->cmd);
        redis_args_add(&rs->cmd, "FCALL", 5);
        redis_args_addf(&rs->cmd, "impactd_%s_%s", impactd_lua_impactd_tag,
                        function);
        redis_args_addf(&rs->cmd, "%d", numkeys);
}

static void cmd_str(redis_state_t *rs, const char *s) {
        redis_args_add(&rs->cmd, s, strlen(s));
}

/* Every argument of `more`, which the caller built (events, offsets). */
static void cmd_args(redis_state_t *rs, const redis_args_t *more) {
        for (size_t i = 0; i < more->argc; i++)
                redis_args_add(&rs->cmd, more->argv[i], more->argvlen[i]);
        rs->cmd.failed |= more->failed;
}

/* A batch's calls are sent as soon as this much is queued, not all when
 * the first reply is read: Redis runs the first calls while the worker
 * packs the rest.  Still one pipeline; replies are read as before. */
#define EARLY_WRITE_BYTES (64 * 1024)

/* hiredis copies the arguments into its output buffer here, so the keys
 * and scratch can be reused right after. */
static void cmd_end(redis_state_t *rs) {
        /* A command missing an argument must not reach Redis: a PING in
         * its place keeps the replies in step, and its reader, finding no
         * reply of the kind it expects, fails the batch. */
        static const char *ping = "PING";
        static const size_t ping_len = 4;
        bool whole = !rs->cmd.failed;
        if (!whole)
                log_error("redis: cannot build a command: out of memory");
        if (rs->pending == 0)
                rs->call_first = rs->call_cnt = 0;
        if (rs->call_cnt == rs->call_cap) {
                size_t cap = rs->call_cap ? rs->call_cap * 2 : 256;
                bool *g = realloc(rs->call_global, cap * sizeof(*g));
                if (g) {
                        rs->call_global = g;
                        rs->call_cap = cap;
                }
        }
        /* Out of memory the call counts as one message's: the worse
         * outcome is a DLQ entry, never a stall. */
        if (rs->call_cnt < rs->call_cap)
                rs->call_global[rs->call_cnt++] = rs->cmd_global;
        rs->cmd_global = false;
        if (redisAppendCommandArgv(rs->ctx, whole ? (int)rs->cmd.argc : 1,
                                   whole ? rs->cmd.argv : &ping,
                                   whole ? rs->cmd.argvlen : &ping_len) ==
            REDIS_OK)
                rs->pending++;
        else
                log_error("redis: cannot append command: out of memory");
        if (sdslen(rs->ctx->obuf) >= EARLY_WRITE_BYTES) {
                int done;
                /* A failure sets ctx->err: the next read reports it and
                 * the batch is retried as for any lost connection. */
                (void)redisBufferWrite(rs->ctx, &done);
        }
        if (rs->record) {
                char *resp;
                long long len = redisFormatCommandArgv(
                        &resp, (int)rs->cmd.argc, rs->cmd.argv, rs->cmd.argvlen);
                if (len > 0)
                        fwrite(resp, 1, (size_t)len, rs->record);
                redisFreeCommand(resp);
        }
}

void redis_state_append_fcall(redis_state_t *rs, const char *function,
                              const redis_args_t *keys,
                              const redis_args_t *args, bool global) {
        cmd_begin(rs, function, (int)keys->argc);
        cmd_args(rs, keys);
        cmd_args(rs, args);
        rs->cmd_global = global;
        cmd_end(rs);
}

static const char *scope_kind(route_scope_t scope) {
        return scope == SCOPE_SERVICE ? "svc:" : "tkt:";
}

static void append_scoped(redis_state_t *rs, const char *function,
                          route_scope_t scope, const char *name) {
        cmd_begin(rs, function, 3);
        cmd_key(rs, scope_kind(scope), name, "");
        cmd_key(rs, scope_kind(scope), name, ":held");
        cmd_key(rs, scope_kind(scope), name, ":ev");
}

void redis_state_append_route(redis_state_t *rs, route_scope_t scope,
                              const char *name, const char *candidate,
                              int64_t now, const redis_args_t *alerts,
                              size_t held_limit) {
        append_scoped(rs, "route", scope, name);
        cmd_str(rs, candidate ? candidate : "");
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)rs->conf->redis.incident_ttl_s);
        redis_args_addf(&rs->cmd, "%lld", (long long)now);
        redis_args_addf(&rs->cmd, "%zu", held_limit);
        if (alerts)
                cmd_args(rs, alerts);
        cmd_end(rs);
}

void redis_state_append_hold(redis_state_t *rs, route_scope_t scope,
                             const char *name, int64_t now,
                             const char *const *events, const size_t *lens,
                             size_t n) {
        append_scoped(rs, "hold", scope, name);
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)rs->conf->redis.pending_ttl_s);
        redis_args_addf(&rs->cmd, "%lld", (long long)now);
        for (size_t i = 0; i < n; i++)
                redis_args_add(&rs->cmd, events[i], lens[i]);
        cmd_end(rs);
}

void redis_state_append_unhold(redis_state_t *rs, route_scope_t scope,
                               const char *name, const char *const *events,
                               const size_t *lens, size_t n) {
        cmd_begin(rs, "unhold", 1);
        cmd_key(rs, scope_kind(scope), name, ":held");
        for (size_t i = 0; i < n; i++)
                redis_args_add(&rs->cmd, events[i], lens[i]);
        cmd_end(rs);
}

void redis_state_append_bind(redis_state_t *rs, const char *ticket_id,
                             const char *incident_id, size_t held_limit) {
        append_scoped(rs, "bind", SCOPE_TICKET, ticket_id);
        cmd_str(rs, incident_id);
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)rs->conf->redis.incident_ttl_s);
        redis_args_addf(&rs->cmd, "%zu", held_limit);
        cmd_end(rs);
}

void redis_state_append_map(redis_state_t *rs, const char *service,
                            const char *incident_id, map_mode_t mode,
                            int64_t secs, int64_t now, int64_t until,
                            size_t held_limit) {
        static const char *const modes[] = {"nx", "keep", "expire"};
        cmd_begin(rs, "map", 2);
        cmd_key(rs, "svc:", service, "");
        cmd_key(rs, "svc:", service, ":held");
        cmd_str(rs, incident_id);
        cmd_str(rs, modes[mode]);
        redis_args_addf(&rs->cmd, "%lld", (long long)secs);
        redis_args_addf(&rs->cmd, "%lld", (long long)now);
        redis_args_addf(&rs->cmd, "%lld", (long long)until);
        redis_args_addf(&rs->cmd, "%zu", held_limit);
        cmd_end(rs);
}

void redis_state_append_impact(redis_state_t *rs, const char *incident_id,
                               const char *const *services, size_t n) {
        cmd_begin(rs, "impact", 2);
        cmd_key(rs, "", incident_id, "");
        cmd_key(rs, "", incident_id, ":imp");
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)rs->conf->redis.incident_ttl_s);
        for (size_t i = 0; i < n; i++)
                cmd_str(rs, services[i]);
        cmd_end(rs);
}

/* Keys every batch shares: the sorted sets "deadlines" and "outbox", the
 * marker "state". */
static void cmd_shared_key(redis_state_t *rs, const char *name) {
        rs->cmd_global = true;
        redis_args_addf(&rs->cmd, "%s:%s", rs->conf->redis.key_prefix, name);
}

static void append_schedule(redis_state_t *rs, const char *zset,
                            const char *incident_id, int64_t at) {
        cmd_begin(rs, "schedule", 1);
        cmd_shared_key(rs, zset);
        cmd_str(rs, incident_id);
        redis_args_addf(&rs->cmd, "%lld", (long long)at);
        cmd_end(rs);
}

void redis_state_append_schedule(redis_state_t *rs, const char *incident_id,
                                 int64_t at) {
        append_schedule(rs, "deadlines", incident_id, at);
}

static void append_due(redis_state_t *rs, const char *zset, int64_t now,
                       int limit) {
        cmd_begin(rs, "due", 1);
        cmd_shared_key(rs, zset);
        redis_args_addf(&rs->cmd, "%lld", (long long)now);
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)rs->conf->lifecycle.deadline_lease_ms);
        redis_args_addf(&rs->cmd, "%d", limit);
        cmd_end(rs);
}

void redis_state_append_done(redis_state_t *rs, const char *incident_id,
                             int64_t revision) {
        cmd_begin(rs, "done", 2);
        cmd_key(rs, "", incident_id, "");
        cmd_key(rs, "", incident_id, ":unbound");
        redis_args_addf(&rs->cmd, "%lld", (long long)revision);
        cmd_end(rs);
}

void redis_state_append_due(redis_state_t *rs, int64_t now, int limit) {
        append_due(rs, "deadlines", now, limit);
}

void redis_state_append_outbox_mark(redis_state_t *rs, const char *incident_id,
                                    int64_t at) {
        append_schedule(rs, "outbox", incident_id, at);
}

void redis_state_append_outbox_due(redis_state_t *rs, int64_t now, int limit) {
        append_due(rs, "outbox", now, limit);
}

/* Plain commands: reading and clearing need no atomicity. */
void redis_state_append_outbox_read(redis_state_t *rs, const char *incident_id) {
        redis_args_reset(&rs->cmd);
        redis_args_add(&rs->cmd, "HGETALL", 7);
        cmd_key(rs, "", incident_id, ":outbox");
        cmd_end(rs);
}

void redis_state_append_outbox_clear(redis_state_t *rs, const char *incident_id,
                                     const char *id) {
        redis_args_reset(&rs->cmd);
        redis_args_add(&rs->cmd, "HDEL", 4);
        cmd_key(rs, "", incident_id, ":outbox");
        cmd_str(rs, id);
        cmd_end(rs);
}

/* A plain HGETALL: the account hash belongs to another system, so no
 * function of ours should need to be loaded to read it. */
void redis_state_append_account(redis_state_t *rs, const char *account_id) {
        redis_args_reset(&rs->cmd);
        redis_args_add(&rs->cmd, "HGETALL", 7);
        redis_args_addf(&rs->cmd, "%s:account:%s", rs->conf->redis.key_prefix,
                        account_id);
        cmd_end(rs);
}

static void silences_key(redis_state_t *rs) {
        rs->cmd_global = true;
        redis_args_addf(&rs->cmd, "%s:silences", rs->conf->redis.key_prefix);
}

void redis_state_append_silences(redis_state_t *rs) {
        redis_args_reset(&rs->cmd);
        redis_args_add(&rs->cmd, "HGETALL", 7);
        silences_key(rs);
        cmd_end(rs);
}

void redis_state_append_silence_set(redis_state_t *rs, const char *id,
                                    const char *line) {
        redis_args_reset(&rs->cmd);
        redis_args_add(&rs->cmd, "HSET", 4);
        silences_key(rs);
        cmd_str(rs, id);
        cmd_str(rs, line);
        cmd_end(rs);
}

void redis_state_append_silence_del(redis_state_t *rs, const char *id) {
        redis_args_reset(&rs->cmd);
        redis_args_add(&rs->cmd, "HDEL", 4);
        silences_key(rs);
        cmd_str(rs, id);
        cmd_end(rs);
}

/* :tpm and :offs hold data only for incidents stored before layout 2
 * (src/lua/impactd.lua): their next apply moves it and deletes them. */
static const char *const incident_suffix[INCIDENT_KEYS] = {
        "", ":seen", ":alerts", ":accts", ":tix", ":segs", ":tpm", ":esc",
        ":imp", ":spm", ":offs", ":unbound", ":kaccts"};

static int64_t window_minutes(int64_t ms) {
        int64_t m = ms / 60000;
        return m > 0 ? m : 1;
}

void redis_state_append_apply(redis_state_t *rs, const char *incident_id,
                              int64_t now, int64_t tick, const char *cluster,
                              const redis_args_t *events) {
        const config_t *conf = rs->conf;
        cmd_begin(rs, "apply", INCIDENT_KEYS);
        for (int k = 0; k < INCIDENT_KEYS; k++)
                cmd_key(rs, "", incident_id, incident_suffix[k]);
        redis_args_addf(&rs->cmd, "%lld", (long long)conf->redis.incident_ttl_s);
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)window_minutes(conf->scoring.trend_window_ms));
        cmd_str(rs, incident_id);
        redis_args_addf(&rs->cmd, "%lld", (long long)now);
        redis_args_addf(&rs->cmd, "%lld", (long long)tick);
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)conf->lifecycle.quiet_time_ms);
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)window_minutes(conf->scoring.sentiment_window_ms));
        redis_args_addf(&rs->cmd, "%lld", (long long)conf->lifecycle.retention_s);
        if (rs->generation && cluster[0])
                redis_args_addf(&rs->cmd, "%s/g%lld", cluster,
                                (long long)rs->generation);
        else
                cmd_str(rs, cluster);
        redis_args_addf(&rs->cmd, "%lld", (long long)rs->generation);
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)(rs->generation * REDIS_GENERATION_REVISIONS));
        cmd_args(rs, events);
        cmd_end(rs);
}

void redis_state_append_decide(redis_state_t *rs, const char *incident_id,
                               int64_t expected_v, int64_t revision,
                               const char *policy_state,
                               const char *notify_state, int64_t at,
                               bool paged, const redis_output_t *outs,
                               size_t n) {
        cmd_begin(rs, "decide", 3);
        cmd_key(rs, "", incident_id, "");
        cmd_key(rs, "", incident_id, ":esc");
        cmd_key(rs, "", incident_id, ":outbox");
        redis_args_addf(&rs->cmd, "%lld", (long long)expected_v);
        cmd_str(rs, policy_state);
        cmd_str(rs, notify_state);
        redis_args_addf(&rs->cmd, "%lld", (long long)at);
        cmd_str(rs, paged ? "1" : "0");
        redis_args_addf(&rs->cmd, "%lld", (long long)revision);
        for (size_t i = 0; i < n; i++) {
                cmd_str(rs, outs[i].id);
                redis_args_add(&rs->cmd, &outs[i].topic, outs[i].topic ? 1 : 0);
                redis_args_add(&rs->cmd, outs[i].bytes, outs[i].len);
        }
        cmd_end(rs);
}

/* ---- the state marker ---------------------------------------------------- */

int64_t redis_state_generation(const redis_state_t *rs) {
        return rs->generation;
}

void redis_state_set_generation(redis_state_t *rs, int64_t generation) {
        rs->generation = generation;
}

void redis_state_append_state_check(redis_state_t *rs, const char *cluster,
                                    int64_t now_s, const char *others,
                                    const redis_args_t *offsets) {
        cmd_begin(rs, "state_check", 1);
        cmd_shared_key(rs, "state");
        cmd_str(rs, cluster);
        redis_args_addf(&rs->cmd, "%lld", (long long)now_s);
        cmd_str(rs, others);
        cmd_args(rs, offsets);
        cmd_end(rs);
}

void redis_state_append_state_mark(redis_state_t *rs, const char *cluster,
                                   const redis_args_t *offsets) {
        cmd_begin(rs, "state_mark", 1);
        cmd_shared_key(rs, "state");
        cmd_str(rs, cluster);
        cmd_args(rs, offsets);
        cmd_end(rs);
}

/* The error of a synchronous command that did not answer as it should. */
static impactd_err_t sync_failed(const redis_state_t *rs, const redisReply *r,
                                 const char *what, char *errstr,
                                 size_t errstr_size) {
        snprintf(errstr, errstr_size, "redis %s: %s", what,
                 r && r->type == REDIS_REPLY_ERROR ? r->str
                 : r ? "unexpected reply"
                     : rs->ctx->errstr);
        return IMPACTD_ERR_REDIS;
}

/* SCAN pages looked at for an incident before giving up: an upgrade
 * from a version without the marker has some, a flushed Redis none.  Only
 * incident keys count: the route round that asked has written service
 * and ticket keys already. */
#define ANY_KEY_PAGES 100

impactd_err_t redis_state_has_incidents(redis_state_t *rs, bool *found,
                                   char *errstr, size_t errstr_size) {
        char cursor[32] = "0";
        impactd_err_t err = IMPACTD_OK;
        *found = false;
        for (int page = 0; page < ANY_KEY_PAGES && !*found; page++) {
                redisReply *r = redisCommand(rs->ctx, "SCAN %s MATCH %s:{* COUNT 1000",
                                             cursor, rs->conf->redis.key_prefix);
                if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                    r->element[0]->type != REDIS_REPLY_STRING ||
                    r->element[1]->type != REDIS_REPLY_ARRAY) {
                        err = sync_failed(rs, r, "SCAN", errstr, errstr_size);
                } else {
                        *found = r->element[1]->elements > 0;
                        snprintf(cursor, sizeof(cursor), "%s",
                                 r->element[0]->str);
                }
                if (r)
                        freeReplyObject(r);
                if (err)
                        return err;
                if (!strcmp(cursor, "0"))
                        return IMPACTD_OK;
        }
        /* Not through a large keyspace: say found, so that no loss is
         * claimed on a guess. */
        *found = true;
        return IMPACTD_OK;
}

impactd_err_t redis_state_bump_generation(redis_state_t *rs, int64_t now_s,
                                          int64_t *generation, char *errstr,
                                          size_t errstr_size) {
        redisReply *r = redisCommand(rs->ctx, "FCALL impactd_%s_state_bump 1 "
                                     "%s:state %lld", impactd_lua_impactd_tag,
                                     rs->conf->redis.key_prefix,
                                     (long long)now_s);
        impactd_err_t err = IMPACTD_OK;
        if (!r || r->type != REDIS_REPLY_INTEGER) {
                err = sync_failed(rs, r, "new state generation", errstr,
                                  errstr_size);
        } else {
                *generation = r->integer;
                rs->generation = r->integer;
        }
        if (r)
                freeReplyObject(r);
        return err;
}
