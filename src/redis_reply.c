/* Reading the replies of the pipelined calls, in append order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_state_internal.h"

/* ---- reading ------------------------------------------------------------ */

bool redis_error_is_outage(const char *msg) {
        /* The server's state, not the call's: loading, busy, out of
         * memory, read-only or without quorum, cluster reshaping, signed
         * out, or our functions gone (FUNCTION FLUSH, an empty restart);
         * a reconnect loads them again. */
        static const char *const prefixes[] = {
                "LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN",
                "READONLY", "NOREPLICAS", "OOM", "MISCONF", "NOAUTH",
                "WRONGPASS", "NOPERM", "NOSCRIPT", "MOVED", "ASK ",
                "ERR Function not found", "ERR max number of clients",
        };
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
                if (!strncmp(msg, prefixes[i], strlen(prefixes[i])))
                        return true;
        return false;
}

/* A call refused: for its message when the call touched only keys of one
 * incident, service, ticket or account; a refusal on a key every batch
 * shares (the deadlines, the outbox index, the state marker, silences)
 * would refuse every message alike, so it pauses the stream as an outage
 * does rather than send everything to the DLQ. */
static impactd_err_t refused(const redis_state_t *rs) {
        return rs->last_global ? IMPACTD_ERR_REDIS : IMPACTD_ERR_REDIS_REPLY;
}

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
        rs->last_global = rs->call_first < rs->call_cnt &&
                          rs->call_global[rs->call_first++];
        if (redisGetReply(rs->ctx, &r) != REDIS_OK) {
                snprintf(errstr, errstr_size, "redis: %s",
                         rs->ctx->errstr[0] ? rs->ctx->errstr
                                            : "connection lost");
                rs->pending = 0;
                rs->call_first = rs->call_cnt = 0;
                return IMPACTD_ERR_REDIS;
        }
        rs->last = r;
        if (rs->last->type == REDIS_REPLY_ERROR) {
                snprintf(errstr, errstr_size, "redis: %s", rs->last->str);
                return redis_error_is_outage(rs->last->str)
                               ? IMPACTD_ERR_REDIS
                               : refused(rs);
        }
        *out = rs->last;
        return IMPACTD_OK;
}

impactd_err_t redis_state_read_raw(redis_state_t *rs, const void **reply,
                                   char *errstr, size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        *reply = err ? NULL : r;
        return err;
}

void redis_state_discard(redis_state_t *rs) {
        char errstr[256];
        redisReply *r;
        while (rs->pending > 0 && rs->ctx && !rs->ctx->err)
                read_reply(rs, &r, errstr, sizeof(errstr));
        rs->pending = 0;
        rs->call_first = rs->call_cnt = 0;
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

impactd_err_t redis_state_read_route(redis_state_t *rs,
                                     redis_route_reply_t *out, char *errstr,
                                     size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        memset(out, 0, sizeof(*out));
        if (err)
                return err;
        /* {incident or nil, n, more held, n alert incidents, held...} */
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
            r->element[1]->type != REDIS_REPLY_INTEGER ||
            r->element[2]->type != REDIS_REPLY_INTEGER ||
            r->element[1]->integer < 0 || r->element[2]->integer < 0)
                goto bad;
        if (r->element[0]->type == REDIS_REPLY_STRING)
                out->incident_id = r->element[0]->str;
        size_t n = (size_t)r->element[1]->integer;
        if (3 + n > r->elements || held_reserve(rs, r->elements) == -1)
                goto bad;
        for (size_t i = 3; i < r->elements; i++) {
                if (r->element[i]->type != REDIS_REPLY_STRING)
                        goto bad;
                rs->held[i - 3] = r->element[i]->str;
                rs->held_lens[i - 3] = r->element[i]->len;
        }
        out->alert_incidents = rs->held;
        out->alert_incident_lens = rs->held_lens;
        out->alerts_cnt = n;
        out->held = rs->held + n;
        out->held_lens = rs->held_lens + n;
        out->held_cnt = r->elements - 3 - n;
        out->held_more = (size_t)r->element[2]->integer;
        return IMPACTD_OK;
bad:
        snprintf(errstr, errstr_size, "redis: unexpected reply to route");
        return refused(rs);
}

impactd_err_t redis_state_read_hold(redis_state_t *rs,
                                    const char **incident_id, char *errstr,
                                    size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        *incident_id = NULL;
        if (!err && r->type == REDIS_REPLY_STRING)
                *incident_id = r->str;
        return err;
}

impactd_err_t redis_state_read_status(redis_state_t *rs, char *errstr,
                                      size_t errstr_size) {
        redisReply *r;
        return read_reply(rs, &r, errstr, errstr_size);
}

/* ---- the apply reply ---------------------------------------------------- */

enum {
        F_REVISION = 0, F_STATUS, F_ROOT, F_DETECTED, F_LAST, F_RESOLVED,
        F_TRIAGED, F_DECLARED, F_USERS, F_DISRUPTION, F_BURN, F_LOSS,
        F_ACCOUNTS, F_ARR, F_TIER, F_STRATEGIC, F_TICKETS, F_TICKETS_OPEN,
        F_PERSONAL, F_SENT_COUNT, F_SENT_NEG, F_SENT_SUM, F_TIX_NOW,
        F_TIX_PREV, F_CHANGED, F_DUPS, F_RESOLVED_NOW,
        F_TIERS, F_QUIET_SINCE, F_SNOW_COUNT, F_SNOW_NEG, F_SNOW_SUM,
        F_SPREV_COUNT, F_SPREV_SUM, F_REOPENED,
        F_N_SERVICES, F_N_SEGMENTS, F_N_NEW_TICKETS, F_N_IMPACTED,
        F_N_REGIONS, F_N_HANDOVERS, F_PERSONAL_AT, F_POLICY, F_NOTIFY,
        F_DECIDE_V, F_N_ACCOUNTS, F_GENERATION,
        F_HEADER_COUNT
};

#define HANDOVER_FIELDS 6
#define ACCOUNT_FIELDS 5

void incident_clear(incident_t *inc) {
        if (inc->reply_)
                freeReplyObject(inc->reply_);
        free(inc->fields_);
        free(inc->services);
        free(inc->impacted);
        free(inc->segments);
        free(inc->region_users);
        free(inc->handovers);
        free(inc->accounts);
        free(inc->new_tickets);
        memset(inc, 0, sizeof(*inc));
}

/* The apply's fields, NUL-terminated views into its reply. */
typedef char *const *fields_t;

static int64_t field_i64(fields_t f, size_t i) {
        return strtoll(f[i], NULL, 10);
}

static double field_dbl(fields_t f, size_t i) {
        return strtod(f[i], NULL);
}

static void parse_segment(incident_t *inc, const char *name, const char *count) {
        /* The kind's letter, then the value (SEGMENT_KINDS in impactd.lua),
         * in the order of segment_kind_t. */
        static const char letters[SEGMENT_KIND_COUNT] = {'r', 'v', 'p', 'f', 'a'};
        const char *at = memchr(letters, name[0], sizeof(letters));
        if (!name[0] || !at)
                return;
        segment_count_t *s = &inc->segments[inc->segments_cnt++];
        s->kind = (segment_kind_t)(at - letters);
        s->value = name + 1;
        s->count = strtoll(count, NULL, 10);
}

static void parse_handover(handover_t *h, fields_t f, size_t at) {
        h->service = f[at];
        h->disruption = f[at + 1][0] ? (int)field_i64(f, at + 1) : -1;
        h->affected_users = f[at + 2][0] ? field_i64(f, at + 2) : -1;
        h->slo_burn_rate = f[at + 3][0] ? field_dbl(f, at + 3) : -1;
        h->revenue_loss_per_hour = f[at + 4][0] ? field_dbl(f, at + 4) : -1;
        h->region = f[at + 5];
}

static impactd_err_t parse_lists(incident_t *inc, fields_t f, size_t n) {
        size_t ns = (size_t)field_i64(f, F_N_SERVICES);
        size_t ng = (size_t)field_i64(f, F_N_SEGMENTS);
        size_t nt = (size_t)field_i64(f, F_N_NEW_TICKETS);
        size_t ni = (size_t)field_i64(f, F_N_IMPACTED);
        size_t nr = (size_t)field_i64(f, F_N_REGIONS);
        size_t nh = (size_t)field_i64(f, F_N_HANDOVERS);
        size_t na = (size_t)field_i64(f, F_N_ACCOUNTS);
        size_t at = F_HEADER_COUNT;
        if (n != at + ns + 2 * ng + nt + ni + 2 * nr +
                                   HANDOVER_FIELDS * nh + ACCOUNT_FIELDS * na)
                return IMPACTD_ERR_REDIS;
        inc->services = calloc(ns + 1, sizeof(*inc->services));
        inc->segments = calloc(ng + 1, sizeof(*inc->segments));
        inc->new_tickets = calloc(nt + 1, sizeof(*inc->new_tickets));
        inc->impacted = calloc(ni + 1, sizeof(*inc->impacted));
        inc->region_users = calloc(nr + 1, sizeof(*inc->region_users));
        inc->handovers = calloc(nh + 1, sizeof(*inc->handovers));
        inc->accounts = calloc(na + 1, sizeof(*inc->accounts));
        if (!inc->services || !inc->segments || !inc->new_tickets ||
            !inc->impacted || !inc->region_users || !inc->handovers ||
            !inc->accounts)
                return IMPACTD_ERR_NOMEM;
        for (size_t i = 0; i < ns; i++)
                inc->services[inc->services_cnt++] = f[at++];
        for (size_t i = 0; i < ng; i++, at += 2)
                parse_segment(inc, f[at], f[at + 1]);
        for (size_t i = 0; i < nt; i++)
                inc->new_tickets[inc->new_tickets_cnt++] = f[at++];
        for (size_t i = 0; i < ni; i++)
                inc->impacted[inc->impacted_cnt++] = f[at++];
        for (size_t i = 0; i < nr; i++, at += 2) {
                region_users_t *ru = &inc->region_users[inc->region_users_cnt++];
                ru->region = f[at];
                ru->users = (int64_t)field_dbl(f, at + 1);
        }
        for (size_t i = 0; i < nh; i++, at += HANDOVER_FIELDS)
                parse_handover(&inc->handovers[inc->handovers_cnt++], f, at);
        for (size_t i = 0; i < na; i++, at += ACCOUNT_FIELDS) {
                incident_account_t *a = &inc->accounts[inc->accounts_cnt++];
                a->id = f[at];
                a->tier = (customer_tier_t)field_i64(f, at + 1);
                if ((unsigned)a->tier >= TIER_COUNT)
                        a->tier = TIER_NONE;
                a->arr = field_dbl(f, at + 2);
                a->strategic = field_i64(f, at + 3) != 0;
                a->tickets = field_i64(f, at + 4);
        }
        return IMPACTD_OK;
}

static void parse_header(incident_t *inc, fields_t f) {
        inc->revision = field_i64(f, F_REVISION);
        inc->open = strcmp(f[F_STATUS], "RESOLVED") != 0;
        inc->root_service = f[F_ROOT];
        inc->detected_at = field_i64(f, F_DETECTED);
        inc->last_event_at = field_i64(f, F_LAST);
        inc->resolved_at = field_i64(f, F_RESOLVED);
        inc->triaged_at = field_i64(f, F_TRIAGED);
        inc->quiet_since = field_i64(f, F_QUIET_SINCE);
        inc->declared_severity = (int)field_i64(f, F_DECLARED);
        inc->affected_users = (int64_t)field_dbl(f, F_USERS);
        inc->disruption = (int)field_dbl(f, F_DISRUPTION);
        inc->slo_burn_rate = field_dbl(f, F_BURN);
        inc->revenue_loss_per_hour = field_dbl(f, F_LOSS);
        inc->affected_accounts = field_i64(f, F_ACCOUNTS);
        inc->arr_at_risk = field_dbl(f, F_ARR);
        inc->max_tier = (int)field_i64(f, F_TIER);
        inc->tiers = (unsigned)field_i64(f, F_TIERS);
        inc->strategic = field_i64(f, F_STRATEGIC) != 0;
        inc->tickets_total = field_i64(f, F_TICKETS);
        inc->tickets_open = field_i64(f, F_TICKETS_OPEN);
        inc->personal_data_at_risk = field_i64(f, F_PERSONAL) != 0;
        inc->personal_data_at = field_i64(f, F_PERSONAL_AT);
        inc->policy_state = f[F_POLICY];
        inc->notify_state = f[F_NOTIFY];
        inc->decide_v = field_i64(f, F_DECIDE_V);
        inc->generation = field_i64(f, F_GENERATION);
        inc->sentiment_count = field_i64(f, F_SENT_COUNT);
        inc->sentiment_negative = field_i64(f, F_SENT_NEG);
        inc->sentiment_sum = field_dbl(f, F_SENT_SUM);
        inc->sentiment_now_count = field_i64(f, F_SNOW_COUNT);
        inc->sentiment_now_negative = field_i64(f, F_SNOW_NEG);
        inc->sentiment_now_sum = field_dbl(f, F_SNOW_SUM);
        inc->sentiment_prev_count = field_i64(f, F_SPREV_COUNT);
        inc->sentiment_prev_sum = field_dbl(f, F_SPREV_SUM);
        inc->tickets_now = field_i64(f, F_TIX_NOW);
        inc->tickets_prev = field_i64(f, F_TIX_PREV);
        inc->changed = field_i64(f, F_CHANGED) == 1;
        inc->redo = field_i64(f, F_CHANGED) == 2;
        inc->dups = field_i64(f, F_DUPS);
        inc->resolved_now = field_i64(f, F_RESOLVED_NOW) != 0;
        inc->reopened = field_i64(f, F_REOPENED) != 0;
}

impactd_err_t redis_state_read_apply(redis_state_t *rs, incident_t *inc,
                                     char *errstr, size_t errstr_size) {
        redisReply *r;
        incident_clear(inc);
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        if (err)
                return err;
        if (r->type == REDIS_REPLY_NIL) { /* Lua false: expired */
                inc->gone = true;
                return IMPACTD_OK;
        }
        /* The incident keeps the reply: its lists are views into it. */
        inc->reply_ = r;
        rs->last = NULL;
        if (r->type != REDIS_REPLY_STRING)
                goto bad;
        /* One string, its fields separated by NUL bytes: one reply object
         * per apply rather than one per field (a few hundred for a large
         * incident).  No field holds a NUL: all went to Redis as C
         * strings.  hiredis ends the string with one, so each field is a
         * C string once the separators are its ends. */
        size_t n = 1;
        for (const char *p = r->str; (p = memchr(p, '\0', r->len - (size_t)(p - r->str)));
             p++)
                n++;
        char **f = malloc(n * sizeof(*f));
        if (!f) {
                snprintf(errstr, errstr_size, "out of memory");
                return IMPACTD_ERR_NOMEM;
        }
        inc->fields_ = f;
        f[0] = r->str;
        for (size_t i = 0, k = 1; i < r->len; i++)
                if (r->str[i] == '\0')
                        f[k++] = r->str + i + 1;
        if (n < F_HEADER_COUNT)
                goto bad;
        parse_header(inc, f);
        if ((err = parse_lists(inc, f, n)) == IMPACTD_OK)
                return IMPACTD_OK;
        if (err == IMPACTD_ERR_NOMEM) {
                snprintf(errstr, errstr_size, "out of memory");
                return err;
        }
bad:
        snprintf(errstr, errstr_size, "redis: unexpected reply to apply");
        return refused(rs);
}

/* A reply of field/value or member/score pairs (HGETALL, WITHSCORES). */
static impactd_err_t read_pairs(redis_state_t *rs, redisReply **r,
                                const char *what, char *errstr,
                                size_t errstr_size) {
        impactd_err_t err = read_reply(rs, r, errstr, errstr_size);
        if (err)
                return err;
        if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements % 2) {
                snprintf(errstr, errstr_size, "redis: unexpected reply to %s",
                         what);
                return refused(rs);
        }
        return IMPACTD_OK;
}

impactd_err_t redis_state_read_due(redis_state_t *rs, strpool_t *ids,
                                   redis_due_t *out, size_t max, size_t *n,
                                   char *errstr, size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_pairs(rs, &r, "due", errstr, errstr_size);
        *n = 0;
        if (err)
                return err;
        for (size_t i = 0; i + 1 < r->elements && *n < max; i += 2) {
                if (r->element[i]->type != REDIS_REPLY_STRING ||
                    r->element[i + 1]->type != REDIS_REPLY_STRING)
                        continue;
                out[*n].incident_id = strpool_dup(ids, r->element[i]->str,
                                                  r->element[i]->len);
                if (!out[*n].incident_id) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return IMPACTD_ERR_NOMEM;
                }
                out[*n].deadline = (int64_t)strtod(r->element[i + 1]->str, NULL);
                (*n)++;
        }
        return IMPACTD_OK;
}

/* Fields another system may set; anything else in the hash is ignored,
 * and a value that does not parse counts as not given. */
impactd_err_t redis_state_read_account(redis_state_t *rs, redis_account_t *out,
                                       char *errstr, size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        memset(out, 0, sizeof(*out));
        out->arr = -1;
        out->strategic = -1;
        if (err)
                return err;
        if (r->type != REDIS_REPLY_ARRAY)
                return IMPACTD_OK;
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
                const char *k = r->element[i]->str, *v = r->element[i + 1]->str;
                char *end;
                if (!k || !v)
                        continue;
                out->found = true;
                if (!strcmp(k, "tier") || !strcmp(k, "sla")) {
                        customer_tier_t t;
                        if (customer_tier_parse(v, &t) == 0)
                                *(k[0] == 't' ? &out->tier : &out->sla) = t;
                } else if (!strcmp(k, "arr")) {
                        double arr = strtod(v, &end);
                        if (end != v && !*end && arr >= 0)
                                out->arr = arr;
                } else if (!strcmp(k, "strategic")) {
                        if (!strcmp(v, "1") || !strcmp(v, "true"))
                                out->strategic = 1;
                        else if (!strcmp(v, "0") || !strcmp(v, "false"))
                                out->strategic = 0;
                }
        }
        return IMPACTD_OK;
}

impactd_err_t redis_state_read_silences(redis_state_t *rs, silence_t **arr,
                                        size_t base, size_t *cnt, size_t *cap,
                                        size_t *invalid, char *errstr,
                                        size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        *cnt = base;
        *invalid = 0;
        if (err)
                return err;
        if (r->type != REDIS_REPLY_ARRAY) {
                snprintf(errstr, errstr_size, "redis: unexpected reply to HGETALL");
                return refused(rs);
        }
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
                const char *line = r->element[i + 1]->str;
                char why[128];
                if (*cnt == *cap) {
                        size_t ncap = *cap ? *cap * 2 : 8;
                        silence_t *a = realloc(*arr, ncap * sizeof(*a));
                        if (!a) {
                                snprintf(errstr, errstr_size, "out of memory");
                                return IMPACTD_ERR_NOMEM;
                        }
                        *arr = a;
                        *cap = ncap;
                }
                if (!line || silence_parse(line, &(*arr)[*cnt], why, sizeof(why)))
                        (*invalid)++;
                else
                        (*cnt)++;
        }
        return IMPACTD_OK;
}

impactd_err_t redis_state_read_integer(redis_state_t *rs, long long *out,
                                       char *errstr, size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        if (err)
                return err;
        if (r->type != REDIS_REPLY_INTEGER) {
                snprintf(errstr, errstr_size, "redis: expected an integer reply");
                return refused(rs);
        }
        *out = r->integer;
        return IMPACTD_OK;
}

impactd_err_t redis_state_read_outbox(redis_state_t *rs,
                                      redis_outbox_entry_t **entries,
                                      size_t *cap, size_t *n, char *errstr,
                                      size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_pairs(rs, &r, "outbox", errstr, errstr_size);
        *n = 0;
        if (err)
                return err;
        size_t want = r->elements / 2;
        if (want > *cap) {
                redis_outbox_entry_t *e = realloc(*entries, want * sizeof(*e));
                if (!e) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return IMPACTD_ERR_NOMEM;
                }
                *entries = e;
                *cap = want;
        }
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
                const redisReply *k = r->element[i], *v = r->element[i + 1];
                if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
                        continue;
                (*entries)[(*n)++] = (redis_outbox_entry_t){k->str, v->str,
                                                            k->len, v->len};
        }
        return IMPACTD_OK;
}

impactd_err_t redis_state_read_decide(redis_state_t *rs,
                                      redis_decide_reply_t *out, char *errstr,
                                      size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        memset(out, 0, sizeof(*out));
        if (err)
                return err;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
            r->element[0]->type != REDIS_REPLY_INTEGER)
                goto bad;
        out->stored = r->element[0]->integer == 1;
        out->superseded = r->element[0]->integer == 2;
        if (out->stored || out->superseded)
                return IMPACTD_OK;
        if (r->elements != 4)
                goto bad;
        for (size_t i = 1; i < 4; i++)
                if (r->element[i]->type != REDIS_REPLY_STRING)
                        goto bad;
        out->policy_state = r->element[1]->str;
        out->notify_state = r->element[2]->str;
        out->version = strtoll(r->element[3]->str, NULL, 10);
        return IMPACTD_OK;
bad:
        snprintf(errstr, errstr_size, "redis: unexpected reply to decide");
        return refused(rs);
}

impactd_err_t redis_state_read_state_check(redis_state_t *rs,
                                           redis_state_check_t *out,
                                           char *errstr, size_t errstr_size) {
        redisReply *r;
        impactd_err_t err = read_reply(rs, &r, errstr, errstr_size);
        memset(out, 0, sizeof(*out));
        if (err)
                return err;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
            r->element[0]->type != REDIS_REPLY_INTEGER ||
            r->element[1]->type != REDIS_REPLY_STRING) {
                snprintf(errstr, errstr_size,
                         "redis: unexpected reply to state_check");
                return refused(rs);
        }
        out->generation = r->element[0]->integer;
        if (!strcmp(r->element[1]->str, "lost")) {
                out->status = STATE_LOST;
                out->why = r->elements > 2 &&
                                           r->element[2]->type ==
                                                   REDIS_REPLY_STRING
                                   ? r->element[2]->str
                                   : "";
        } else if (!strcmp(r->element[1]->str, "ask")) {
                out->status = STATE_ASK;
        } else if (!strcmp(r->element[1]->str, "created")) {
                out->status = STATE_CREATED;
        }
        return IMPACTD_OK;
}
