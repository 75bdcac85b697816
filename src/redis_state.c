/* Redis connection, key layout and the pipelined calls of impactd.lua. */
#include "redis_state.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

extern const char impactd_lua_impactd[];
extern const size_t impactd_lua_impactd_len;

struct redis_state {
        const config_t *conf;
        redisContext *ctx;
        size_t pending;      /* appended, not yet read */
        redisReply *last;    /* reply backing the views of the last read */
        const char **held;   /* redis_route_reply_t storage */
        size_t *held_lens;
        size_t held_cap;
        redis_args_t cmd;    /* the command being appended */
        char key[8][INCIDENT_ID_MAX + 64];
};

/* ---- argument lists ---------------------------------------------------- */

void redis_args_reset(redis_args_t *a) {
        a->argc = 0;
        a->scratch_used = 0;
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
        if (args_reserve(a, 1) == -1)
                return -1;
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

int redis_args_addf(redis_args_t *a, const char *fmt, ...) {
        char tmp[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(tmp))
                return -1;
        if (a->scratch_used + (size_t)n + 1 > a->scratch_cap &&
            scratch_grow(a, (size_t)n + 1) == -1)
                return -1;
        char *dst = a->scratch + a->scratch_used;
        memcpy(dst, tmp, (size_t)n + 1);
        a->scratch_used += (size_t)n + 1;
        return redis_args_add(a, dst, (size_t)n);
}

/* ---- connection --------------------------------------------------------- */

typedef struct redis_url {
        char host[256];
        int port;
        char path[256]; /* unix socket, "" for TCP */
        char password[256];
        int db;
} redis_url_t;

static impactd_err_t parse_url(const char *url, redis_url_t *u, char *errstr,
                               size_t errstr_size) {
        memset(u, 0, sizeof(*u));
        u->port = 6379;
        if (strncmp(url, "unix://", 7) == 0) {
                snprintf(u->path, sizeof(u->path), "%s", url + 7);
                return IMPACTD_OK;
        }
        if (strncmp(url, "redis://", 8) != 0) {
                snprintf(errstr, errstr_size,
                         "redis.url: expected redis://host:port/db or "
                         "unix:///path, got '%s'", url);
                return IMPACTD_ERR_CONFIG;
        }
        const char *p = url + 8, *at = strchr(p, '@');
        if (at) {
                const char *colon = memchr(p, ':', (size_t)(at - p));
                const char *pw = colon ? colon + 1 : p;
                snprintf(u->password, sizeof(u->password), "%.*s",
                         (int)(at - pw), pw);
                p = at + 1;
        }
        size_t hl = strcspn(p, ":/");
        snprintf(u->host, sizeof(u->host), "%.*s", (int)hl, p);
        p += hl;
        if (*p == ':')
                u->port = (int)strtol(p + 1, (char **)&p, 10);
        if (*p == '/' && p[1])
                u->db = (int)strtol(p + 1, NULL, 10);
        if (!u->host[0] || u->port <= 0 || u->port > 65535) {
                snprintf(errstr, errstr_size, "redis.url: invalid '%s'", url);
                return IMPACTD_ERR_CONFIG;
        }
        return IMPACTD_OK;
}

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
        impactd_err_t err = parse_url(conf->redis.url, &u, errstr, errstr_size);
        if (err)
                return err;
        struct timeval ctv = ms_to_tv(conf->redis.connect_timeout_ms);
        redisContext *ctx = u.path[0]
                                    ? redisConnectUnixWithTimeout(u.path, ctv)
                                    : redisConnectWithTimeout(u.host, u.port, ctv);
        if (!ctx || ctx->err) {
                snprintf(errstr, errstr_size, "redis connect %s: %s",
                         u.path[0] ? u.path : u.host,
                         ctx ? ctx->errstr : "out of memory");
                err = IMPACTD_ERR_REDIS;
                goto out;
        }
        redisSetTimeout(ctx, ms_to_tv(conf->redis.command_timeout_ms));
        const char *pw = conf->redis.password ? conf->redis.password : u.password;
        if (pw[0] && (err = command_ok(ctx, "AUTH", errstr, errstr_size,
                                       "AUTH %s", pw)))
                goto out;
        int db = conf->redis.database >= 0 ? conf->redis.database : u.db;
        if (db && (err = command_ok(ctx, "SELECT", errstr, errstr_size,
                                    "SELECT %d", db)))
                goto out;
        if ((err = command_ok(ctx, "FUNCTION LOAD", errstr, errstr_size,
                              "FUNCTION LOAD REPLACE %b", impactd_lua_impactd,
                              impactd_lua_impactd_len)))
                goto out;
        rs->ctx = ctx;
        rs->pending = 0;
        return IMPACTD_OK;
out:
        if (ctx)
                redisFree(ctx);
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

size_t redis_state_pending(const redis_state_t *rs) {
        return rs->pending;
}

/* ---- appending ---------------------------------------------------------- */

static const char *key_of(redis_state_t *rs, int slot, const char *kind,
                          const char *name, const char *suffix) {
        snprintf(rs->key[slot], sizeof(rs->key[slot]), "%s:%s{%s}%s",
                 rs->conf->redis.key_prefix, kind, name, suffix);
        return rs->key[slot];
}

static void cmd_begin(redis_state_t *rs, const char *function, int numkeys) {
        redis_args_reset(&rs->cmd);
        redis_args_add(&rs->cmd, "FCALL", 5);
        redis_args_add(&rs->cmd, function, strlen(function));
        redis_args_addf(&rs->cmd, "%d", numkeys);
}

static void cmd_str(redis_state_t *rs, const char *s) {
        redis_args_add(&rs->cmd, s, strlen(s));
}

/* hiredis copies the arguments into its output buffer here, so the keys
 * and scratch can be reused right after. */
static void cmd_end(redis_state_t *rs) {
        if (redisAppendCommandArgv(rs->ctx, (int)rs->cmd.argc, rs->cmd.argv,
                                   rs->cmd.argvlen) == REDIS_OK)
                rs->pending++;
        else
                log_error("redis: cannot append command: out of memory");
}

static const char *scope_kind(route_scope_t scope) {
        return scope == SCOPE_SERVICE ? "svc:" : "tkt:";
}

static void append_scoped(redis_state_t *rs, const char *function,
                          route_scope_t scope, const char *name) {
        cmd_begin(rs, function, 3);
        cmd_str(rs, key_of(rs, 0, scope_kind(scope), name, ""));
        cmd_str(rs, key_of(rs, 1, scope_kind(scope), name, ":held"));
        cmd_str(rs, key_of(rs, 2, scope_kind(scope), name, ":ev"));
}

void redis_state_append_route(redis_state_t *rs, route_scope_t scope,
                              const char *name, const char *candidate,
                              const redis_args_t *alerts) {
        append_scoped(rs, "impactd_route", scope, name);
        cmd_str(rs, candidate ? candidate : "");
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)rs->conf->redis.incident_ttl_s);
        for (size_t i = 0; alerts && i < alerts->argc; i++)
                redis_args_add(&rs->cmd, alerts->argv[i], alerts->argvlen[i]);
        cmd_end(rs);
}

void redis_state_append_hold(redis_state_t *rs, route_scope_t scope,
                             const char *name, const char *const *events,
                             const size_t *lens, size_t n) {
        append_scoped(rs, "impactd_hold", scope, name);
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)rs->conf->redis.pending_ttl_s);
        for (size_t i = 0; i < n; i++)
                redis_args_add(&rs->cmd, events[i], lens[i]);
        cmd_end(rs);
}

void redis_state_append_unhold(redis_state_t *rs, route_scope_t scope,
                               const char *name, const char *const *events,
                               const size_t *lens, size_t n) {
        cmd_begin(rs, "impactd_unhold", 1);
        cmd_str(rs, key_of(rs, 0, scope_kind(scope), name, ":held"));
        for (size_t i = 0; i < n; i++)
                redis_args_add(&rs->cmd, events[i], lens[i]);
        cmd_end(rs);
}

void redis_state_append_bind(redis_state_t *rs, const char *ticket_id,
                             const char *incident_id) {
        append_scoped(rs, "impactd_bind", SCOPE_TICKET, ticket_id);
        cmd_str(rs, incident_id);
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)rs->conf->redis.incident_ttl_s);
        cmd_end(rs);
}

void redis_state_append_close(redis_state_t *rs, const char *service,
                              const char *incident_id) {
        cmd_begin(rs, "impactd_close", 1);
        cmd_str(rs, key_of(rs, 0, "svc:", service, ""));
        cmd_str(rs, incident_id);
        cmd_end(rs);
}

static const char *const incident_suffix[8] = {
        "", ":seen", ":alerts", ":accts", ":tix", ":segs", ":tpm", ":esc"};

void redis_state_append_apply(redis_state_t *rs, const char *incident_id,
                              int trend_window_min,
                              const redis_args_t *events) {
        cmd_begin(rs, "impactd_apply", 8);
        for (int k = 0; k < 8; k++)
                cmd_str(rs, key_of(rs, k, "", incident_id, incident_suffix[k]));
        redis_args_addf(&rs->cmd, "%lld",
                        (long long)rs->conf->redis.incident_ttl_s);
        redis_args_addf(&rs->cmd, "%d", trend_window_min);
        cmd_str(rs, incident_id);
        for (size_t i = 0; i < events->argc; i++)
                redis_args_add(&rs->cmd, events->argv[i], events->argvlen[i]);
        cmd_end(rs);
}

void redis_state_append_claim(redis_state_t *rs, const char *incident_id,
                              const char *escalation_id, int level,
                              int64_t at) {
        cmd_begin(rs, "impactd_claim", 2);
        cmd_str(rs, key_of(rs, 0, "", incident_id, ""));
        cmd_str(rs, key_of(rs, 1, "", incident_id, ":esc"));
        cmd_str(rs, escalation_id);
        redis_args_addf(&rs->cmd, "%d", level);
        redis_args_addf(&rs->cmd, "%lld", (long long)at);
        cmd_end(rs);
}

/* ---- reading ------------------------------------------------------------ */

static impactd_err_t read_reply(redis_state_t *rs, redisReply **out,
                                char *errstr, size_t errstr_size) {
        void *r = NULL;
        if (rs->last) {
                freeReplyObject(rs->last);
                rs->last = NULL;
        }
        if (!rs->ctx || rs->pending == 0) {
                snprintf(errstr, errstr_size, "redis: no reply pending");
                return IMPACTD_ERR_REDIS;
        }
        rs->pending--;
        if (redisGetReply(rs->ctx, &r) != REDIS_OK) {
                snprintf(errstr, errstr_size, "redis: %s",
                         rs->ctx->errstr[0] ? rs->ctx->errstr
                                            : "connection lost");
                rs->pending = 0;
                return IMPACTD_ERR_REDIS;
        }
        rs->last = r;
        if (rs->last->type == REDIS_REPLY_ERROR) {
                snprintf(errstr, errstr_size, "redis: %s", rs->last->str);
                return IMPACTD_ERR_REDIS;
        }
        *out = rs->last;
        return IMPACTD_OK;
}

void redis_state_discard(redis_state_t *rs) {
        char errstr[256];
        redisReply *r;
        while (rs->pending > 0 && rs->ctx && !rs->ctx->err)
                read_reply(rs, &r, errstr, sizeof(errstr));
        rs->pending = 0;
}

static int held_reserve(redis_state_t *rs, size_t n) {
        if (n <= rs->held_cap)
                return 0;
        const char **h = realloc(rs->held, n * sizeof(*h));
        if (!h)
                return -1;
        rs->held = h;
        size_t *l = realloc(rs->held_lens, n * sizeof(*l));
        if (!l)
                return -1;
        rs->held_lens = l;
        rs->held_cap = n;
        return 0;
}

static void copy_id(char *dst, const redisReply *r) {
        size_t n = r->len < INCIDENT_ID_MAX - 1 ? r->len : INCIDENT_ID_MAX - 1;
        memcpy(dst, r->str, n);
        dst[n] = '\0';
}

impactd_err_t redis_state_read_route(redis_state_t *rs,
                                     redis_route_reply_t *out, char *errstr,
                                     size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        memset(out, 0, sizeof(*out));
        if (err)
                return err;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
            r->element[1]->type != REDIS_REPLY_INTEGER)
                goto bad;
        if (r->element[0]->type == REDIS_REPLY_STRING)
                copy_id(out->incident_id, r->element[0]);
        size_t n = (size_t)r->element[1]->integer;
        if (2 + n > r->elements || held_reserve(rs, r->elements) == -1)
                goto bad;
        for (size_t i = 2; i < r->elements; i++) {
                if (r->element[i]->type != REDIS_REPLY_STRING)
                        goto bad;
                rs->held[i - 2] = r->element[i]->str;
                rs->held_lens[i - 2] = r->element[i]->len;
        }
        out->alert_incidents = rs->held;
        out->alert_incident_lens = rs->held_lens;
        out->alerts_cnt = n;
        out->held = rs->held + n;
        out->held_lens = rs->held_lens + n;
        out->held_cnt = r->elements - 2 - n;
        return IMPACTD_OK;
bad:
        snprintf(errstr, errstr_size, "redis: unexpected reply to route");
        return IMPACTD_ERR_REDIS;
}

impactd_err_t redis_state_read_hold(redis_state_t *rs, char *incident_id,
                                    char *errstr, size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        incident_id[0] = '\0';
        if (!err && r->type == REDIS_REPLY_STRING)
                copy_id(incident_id, r);
        return err;
}

impactd_err_t redis_state_read_status(redis_state_t *rs, char *errstr,
                                      size_t errstr_size) {
        redisReply *r;
        return read_reply(rs, &r, errstr, errstr_size);
}

impactd_err_t redis_state_read_claim(redis_state_t *rs, bool *claimed,
                                     int *prev_level, char *errstr,
                                     size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        if (err)
                return err;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
                snprintf(errstr, errstr_size, "redis: unexpected reply to claim");
                return IMPACTD_ERR_REDIS;
        }
        *claimed = r->element[0]->integer == 1;
        *prev_level = (int)r->element[1]->integer;
        return IMPACTD_OK;
}

/* ---- the apply reply ---------------------------------------------------- */

enum {
        F_REVISION = 0, F_STATUS, F_ROOT, F_DETECTED, F_LAST, F_RESOLVED,
        F_TRIAGED, F_DECLARED, F_USERS, F_DISRUPTION, F_BURN, F_LOSS,
        F_ACCOUNTS, F_ARR, F_TIER, F_STRATEGIC, F_TICKETS, F_TICKETS_OPEN,
        F_PERSONAL, F_SENT_COUNT, F_SENT_NEG, F_SENT_SUM, F_TIX_NOW,
        F_TIX_PREV, F_MAX_ESC, F_CHANGED, F_DUPS, F_RESOLVED_NOW,
        F_N_SERVICES, F_N_SEGMENTS, F_N_NEW_TICKETS, F_HEADER_COUNT
};

void incident_clear(incident_t *inc) {
        if (inc->reply_)
                freeReplyObject(inc->reply_);
        free(inc->services);
        free(inc->segments);
        free(inc->new_tickets);
        memset(inc, 0, sizeof(*inc));
}

static int64_t field_i64(const redisReply *r, int i) {
        return strtoll(r->element[i]->str, NULL, 10);
}

static double field_dbl(const redisReply *r, int i) {
        return strtod(r->element[i]->str, NULL);
}

static impactd_err_t parse_lists(incident_t *inc, redisReply *r) {
        size_t ns = (size_t)field_i64(r, F_N_SERVICES);
        size_t ng = (size_t)field_i64(r, F_N_SEGMENTS);
        size_t nt = (size_t)field_i64(r, F_N_NEW_TICKETS);
        size_t at = F_HEADER_COUNT;
        if (r->elements != at + ns + 2 * ng + nt)
                return IMPACTD_ERR_REDIS;
        inc->services = calloc(ns + 1, sizeof(*inc->services));
        inc->segments = calloc(ng + 1, sizeof(*inc->segments));
        inc->new_tickets = calloc(nt + 1, sizeof(*inc->new_tickets));
        if (!inc->services || !inc->segments || !inc->new_tickets)
                return IMPACTD_ERR_NOMEM;
        for (size_t i = 0; i < ns; i++)
                inc->services[inc->services_cnt++] = r->element[at++]->str;
        for (size_t i = 0; i < ng; i++, at += 2) {
                /* "kind\x1fvalue": split in place, the reply is ours. */
                char *name = r->element[at]->str, *sep = strchr(name, '\x1f');
                if (!sep)
                        continue;
                *sep = '\0';
                for (int k = 0; k < SEGMENT_KIND_COUNT; k++) {
                        /* A kind declared before its encoder exists has
                         * no name yet. */
                        const char *kind = segment_kind_name(k);
                        if (!kind || strcmp(name, kind) != 0)
                                continue;
                        segment_count_t *s = &inc->segments[inc->segments_cnt++];
                        s->kind = (segment_kind_t)k;
                        s->value = sep + 1;
                        s->count = strtoll(r->element[at + 1]->str, NULL, 10);
                        break;
                }
        }
        for (size_t i = 0; i < nt; i++)
                inc->new_tickets[inc->new_tickets_cnt++] = r->element[at++]->str;
        return IMPACTD_OK;
}

static void parse_header(incident_t *inc, const redisReply *r) {
        inc->revision = field_i64(r, F_REVISION);
        inc->open = strcmp(r->element[F_STATUS]->str, "RESOLVED") != 0;
        inc->root_service = r->element[F_ROOT]->str;
        inc->detected_at = field_i64(r, F_DETECTED);
        inc->last_event_at = field_i64(r, F_LAST);
        inc->resolved_at = field_i64(r, F_RESOLVED);
        inc->triaged_at = field_i64(r, F_TRIAGED);
        inc->declared_severity = (int)field_i64(r, F_DECLARED);
        inc->affected_users = (int64_t)field_dbl(r, F_USERS);
        inc->disruption = (int)field_dbl(r, F_DISRUPTION);
        inc->slo_burn_rate = field_dbl(r, F_BURN);
        inc->revenue_loss_per_hour = field_dbl(r, F_LOSS);
        inc->affected_accounts = field_i64(r, F_ACCOUNTS);
        inc->arr_at_risk = field_dbl(r, F_ARR);
        inc->max_tier = (int)field_i64(r, F_TIER);
        inc->strategic = field_i64(r, F_STRATEGIC) != 0;
        inc->tickets_total = field_i64(r, F_TICKETS);
        inc->tickets_open = field_i64(r, F_TICKETS_OPEN);
        inc->personal_data_at_risk = field_i64(r, F_PERSONAL) != 0;
        inc->sentiment_count = field_i64(r, F_SENT_COUNT);
        inc->sentiment_negative = field_i64(r, F_SENT_NEG);
        inc->sentiment_sum = field_dbl(r, F_SENT_SUM);
        inc->tickets_now = field_i64(r, F_TIX_NOW);
        inc->tickets_prev = field_i64(r, F_TIX_PREV);
        inc->max_escalated = (int)field_i64(r, F_MAX_ESC);
        inc->changed = field_i64(r, F_CHANGED) != 0;
        inc->dups = field_i64(r, F_DUPS);
        inc->resolved_now = field_i64(r, F_RESOLVED_NOW) != 0;
}

impactd_err_t redis_state_read_apply(redis_state_t *rs, incident_t *inc,
                                     char *errstr, size_t errstr_size) {
        redisReply *r;
        incident_clear(inc);
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        if (err)
                return err;
        /* The incident keeps the reply: its lists are views into it. */
        inc->reply_ = r;
        rs->last = NULL;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < F_HEADER_COUNT)
                goto bad;
        for (size_t i = 0; i < r->elements; i++)
                if (r->element[i]->type != REDIS_REPLY_STRING)
                        goto bad;
        parse_header(inc, r);
        if ((err = parse_lists(inc, r)) == IMPACTD_OK)
                return IMPACTD_OK;
        if (err == IMPACTD_ERR_NOMEM) {
                snprintf(errstr, errstr_size, "out of memory");
                return err;
        }
bad:
        snprintf(errstr, errstr_size, "redis: unexpected reply to apply");
        return IMPACTD_ERR_REDIS;
}
