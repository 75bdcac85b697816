/* Which notifications an incident revision yields (include/notify.h,
 * docs/notifications.md).  One evaluation formats every placeholder value
 * once, walks the kinds in order and renders each due (audience, account)
 * pair into the result's reusable storage. */
#include "notify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "config.h"
#include "emit.h"
#include "ident.h"

/* Storage of a result, kept across evaluations. */
struct notify_scratch {
        buf_t text; /* ids, titles, bodies, account ids */
        size_t cap; /* of items and offs */
        struct offs {
                size_t id, title, body, account; /* SIZE_MAX: no account */
        } * offs;
        const notify_account_t **order; /* accounts in notification order */
        size_t order_cap;
};

notify_result_t *notify_result_new(void) {
        notify_result_t *res = calloc(1, sizeof(*res));

        if (res && !(res->scratch_ = calloc(1, sizeof(*res->scratch_)))) {
                free(res);
                return NULL;
        }
        return res;
}

void notify_result_destroy(notify_result_t *res) {
        if (!res)
                return;
        buf_free(&res->scratch_->text);
        free(res->scratch_->offs);
        free(res->scratch_->order);
        free(res->scratch_);
        free(res->items);
        free(res);
}

/* ---- account order ---- */

static bool key_account(const notify_account_t *a) {
        return a->strategic || a->tier == TIER_ENTERPRISE;
}

int notify_account_cmp(const void *pa, const void *pb) {
        const notify_account_t *a = pa, *b = pb;

        if (key_account(a) != key_account(b))
                return key_account(a) ? -1 : 1;
        if (a->tier != b->tier)
                return a->tier > b->tier ? -1 : 1;
        if (a->arr != b->arr)
                return a->arr > b->arr ? -1 : 1;
        return strcmp(a->id, b->id);
}

static int order_cmp(const void *pa, const void *pb) {
        return notify_account_cmp(*(const notify_account_t *const *)pa,
                                  *(const notify_account_t *const *)pb);
}

/* FNV-1a 64: the state remembers accounts by this. */
static uint64_t account_hash(const char *id) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (const unsigned char *p = (const unsigned char *)id; *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        return h;
}

static bool state_has_account(const notify_state_t *st, uint64_t h) {
        for (size_t i = 0; i < st->accounts_cnt; i++)
                if (st->accounts[i] == h)
                        return true;
        return false;
}

/* ---- placeholder values ---- */

typedef struct values {
        const char *v[NF_COUNT];
        char num[NF_COUNT][48];
        char blast[512], services[512], sla_change[160];
} values_t;

static const char *fmt(values_t *vals, notify_field_t f, const char *format,
                       ...) __attribute__((format(printf, 3, 4)));

static const char *fmt(values_t *vals, notify_field_t f, const char *format,
                       ...) {
        va_list ap;

        va_start(ap, format);
        vsnprintf(vals->num[f], sizeof(vals->num[f]), format, ap);
        va_end(ap);
        return vals->v[f] = vals->num[f];
}

/* "a, b, c and 4 more" within `size`. */
static const char *join(char *buf, size_t size, const char *const *list,
                        size_t n) {
        size_t len = 0, i;

        buf[0] = '\0';
        for (i = 0; i < n; i++) {
                size_t need = strlen(list[i]) + 2;

                if (len + need + 24 >= size)
                        break;
                len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                        i ? ", " : "", list[i]);
        }
        if (i < n)
                snprintf(buf + len, size - len, "%sand %zu more", i ? " " : "",
                         n - i);
        return n ? buf : "none";
}

static void iso_time(char *buf, size_t size, int64_t ms) {
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;

        if (gmtime_r(&secs, &tm))
                strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
        else
                snprintf(buf, size, "%" PRId64, ms);
}

static const char *tiers(values_t *vals, notify_field_t f, unsigned bits) {
        tier_bits_names(bits, vals->num[f], sizeof(vals->num[f]));
        return vals->v[f] = bits ? vals->num[f] : "none";
}

/* Tickets, sentiment and the clock. */
static void fill_tickets_and_times(const notify_input_t *in, values_t *vals) {
        int64_t min = in->duration_ms / 60000;
        const char **v = vals->v;

        fmt(vals, NF_TICKETS_TOTAL, "%" PRId64, in->tickets_total);
        fmt(vals, NF_TICKETS_OPEN, "%" PRId64, in->tickets_open);
        v[NF_TICKET_TREND] = ticket_trend_name(in->ticket_trend);
        if (in->sentiment_count > 0)
                fmt(vals, NF_SENTIMENT_MEAN, "%.2f", in->sentiment_mean);
        else
                v[NF_SENTIMENT_MEAN] = "n/a";
        fmt(vals, NF_SENTIMENT_COUNT, "%" PRId64, in->sentiment_count);
        if (min >= 60)
                fmt(vals, NF_DURATION, "%" PRId64 "h %02" PRId64 "m", min / 60,
                    min % 60);
        else
                fmt(vals, NF_DURATION, "%" PRId64 " min", min);
        iso_time(vals->num[NF_DETECTED_AT], sizeof(vals->num[0]),
                 in->detected_at > 0 ? in->detected_at : in->now);
        v[NF_DETECTED_AT] = vals->num[NF_DETECTED_AT];
        iso_time(vals->num[NF_RESOLVED_AT], sizeof(vals->num[0]),
                 in->resolved_at);
        v[NF_RESOLVED_AT] = !in->open && in->resolved_at > 0
                                    ? vals->num[NF_RESOLVED_AT]
                                    : "not yet";
        v[NF_PERSONAL_DATA] = in->personal_data_at_risk ? "yes" : "no";
        iso_time(vals->num[NF_COMPLIANCE_DEADLINE], sizeof(vals->num[0]),
                 in->compliance_deadline_at > 0
                         ? in->compliance_deadline_at
                         : (in->detected_at > 0 ? in->detected_at : in->now) +
                                   NOTIFY_COMPLIANCE_DEADLINE_MS);
        v[NF_COMPLIANCE_DEADLINE] = vals->num[NF_COMPLIANCE_DEADLINE];
}

static void fill_values(const notify_config_t *cfg, const notify_input_t *in,
                        const notify_state_t *st, values_t *vals) {
        int d = in->disruption >= 0 && in->disruption < DISRUPTION_COUNT
                        ? in->disruption
                        : DISRUPTION_COUNT;
        const char **v = vals->v;

        v[NF_INCIDENT_ID] = in->incident_id;
        fmt(vals, NF_REVISION, "%" PRId64, in->revision);
        v[NF_STATUS] = in->open ? "OPEN" : "RESOLVED";
        v[NF_SERVICE] =
                *in->root_service ? in->root_service : "unknown service";
        v[NF_SERVICE_DISPLAY] = in->display_name && *in->display_name
                                        ? in->display_name
                                        : cfg->default_display_name;
        v[NF_TEAM] = in->team && *in->team ? in->team : "unknown";
        v[NF_ISSUE_TYPE] = cfg->issue_types[d];
        v[NF_DISRUPTION] = d < DISRUPTION_COUNT
                                   ? disruption_name((disruption_t)d)
                                   : "UNKNOWN";
        fmt(vals, NF_LEVEL, "%d", in->level);
        if (st->level)
                fmt(vals, NF_PREVIOUS_LEVEL, "%d", st->level);
        else
                v[NF_PREVIOUS_LEVEL] = "none";
        v[NF_IMPACT_CLASS] = impact_class_name(in->impact_class);
        v[NF_PREVIOUS_CLASS] =
                st->level ? impact_class_name(st->impact_class) : "none";
        fmt(vals, NF_SCORE, "%.1f", in->score);
        if (in->affected_users >= 0) {
                fmt(vals, NF_AFFECTED_USERS, "%" PRId64, in->affected_users);
                fmt(vals, NF_USER_SHARE, "%.0f%%", in->user_share * 100.0);
        } else {
                /* Reads in "{{affected_users}} users" and "about
                 * {{user_share}} of users". */
                v[NF_AFFECTED_USERS] = "an unknown number of";
                v[NF_USER_SHARE] = "an unknown share";
        }
        fmt(vals, NF_AFFECTED_ACCOUNTS, "%" PRId64, in->affected_accounts);
        fmt(vals, NF_ARR_AT_RISK, "%.0f", in->arr_at_risk);
        tiers(vals, NF_SLA_AT_RISK, in->sla_at_risk);
        tiers(vals, NF_SLA_BREACHED, in->sla_breached);
        v[NF_SLA_CHANGE] = "none";
        if (in->slo_burn_rate >= 0)
                fmt(vals, NF_SLO_BURN_RATE, "%.1fx", in->slo_burn_rate);
        else
                v[NF_SLO_BURN_RATE] = "unknown";
        v[NF_BLAST_RADIUS] = join(vals->blast, sizeof(vals->blast),
                                  in->blast_radius, in->blast_radius_cnt);
        fmt(vals, NF_BLAST_RADIUS_COUNT, "%zu", in->blast_radius_cnt);
        v[NF_SERVICES] = join(vals->services, sizeof(vals->services),
                              in->services, in->services_cnt);
        v[NF_SEGMENTS] = in->segments_summary && *in->segments_summary
                                 ? in->segments_summary
                                 : "none noted";
        fill_tickets_and_times(in, vals);
}

static void fill_account(const notify_input_t *in, const notify_account_t *a,
                         values_t *vals) {
        const char *tier = customer_tier_name(a->tier);
        unsigned bit = a->tier != TIER_NONE ? 1u << a->tier : 0;

        vals->v[NF_ACCOUNT_ID] = a->id;
        vals->v[NF_ACCOUNT_TIER] = tier ? tier : "unknown tier";
        if (a->arr >= 0)
                fmt(vals, NF_ACCOUNT_ARR, "%.0f", a->arr);
        else
                vals->v[NF_ACCOUNT_ARR] = "unknown";
        vals->v[NF_ACCOUNT_STRATEGIC] = a->strategic ? "yes" : "no";
        fmt(vals, NF_ACCOUNT_TICKETS, "%" PRId64, a->tickets);
        vals->v[NF_ACCOUNT_SLA] = in->sla_breached & bit  ? "breached"
                                  : in->sla_at_risk & bit ? "at risk"
                                                          : "not at risk";
}

/* ---- building the result ---- */

typedef struct eval {
        const notify_config_t *cfg;
        const notify_input_t *in;
        notify_result_t *res;
        values_t *vals;
} eval_t;

static int text_add(buf_t *b, size_t *off, const char *s) {
        *off = b->len;
        return buf_append(b, s, strlen(s) + 1);
}

/* "<incident>:<KIND>:<AUDIENCE>[:<account>]:<revision>", the account
 * whole and with ':' encoded (include/ident.h), so that ids split back
 * into their parts and no two accounts share one. */
static int id_add(buf_t *b, size_t *off, const notify_input_t *in,
                  notify_kind_t k, audience_t a, const notify_account_t *acct) {
        char mid[64], rev[24];
        int n = snprintf(mid, sizeof(mid), ":%s:%s:", notify_kind_name(k),
                         audience_name(a));
        int r = snprintf(rev, sizeof(rev), "%" PRId64, in->revision);
        *off = b->len;
        if (buf_append(b, in->incident_id, strlen(in->incident_id)) ||
            buf_append(b, mid, (size_t)n))
                return -1;
        if (acct) {
                size_t len = ident_encoded_len(acct->id, IDENT_PART);
                if (buf_reserve(b, len + 1))
                        return -1;
                b->len += ident_encode(acct->id, IDENT_PART, b->data + b->len);
                if (buf_append(b, ":", 1))
                        return -1;
        }
        return buf_append(b, rev, (size_t)r + 1);
}

static int render(buf_t *b, size_t *off, const template_t *t,
                  const char *const *values) {
        *off = b->len;
        return template_render_buf(t, values, b) || buf_append(b, "", 1);
}

/* Adds the (audience, kind[, account]) notification. */
static int emit(eval_t *e, audience_t a, notify_kind_t k,
                const notify_account_t *acct) {
        struct notify_scratch *s = e->res->scratch_;
        const notify_template_t *tpl = &e->cfg->templates[a][k];
        struct offs *o;

        if (e->res->cnt == s->cap) {
                size_t ncap = s->cap ? s->cap * 2 : 16;
                notification_t *items =
                        realloc(e->res->items, ncap * sizeof(*items));
                struct offs *offs;

                if (!items)
                        return -1;
                e->res->items = items;
                if (!(offs = realloc(s->offs, ncap * sizeof(*offs))))
                        return -1;
                s->offs = offs;
                s->cap = ncap;
        }
        if (acct)
                fill_account(e->in, acct, e->vals);
        else /* no account fields left over from the one before */
                for (int f = NF_ACCOUNT_ID; f <= NF_ACCOUNT_SLA; f++)
                        e->vals->v[f] = NULL;
        o = &s->offs[e->res->cnt];
        o->account = SIZE_MAX;
        if (id_add(&s->text, &o->id, e->in, k, a, acct) ||
            render(&s->text, &o->title, tpl->title, e->vals->v) ||
            render(&s->text, &o->body, tpl->body, e->vals->v) ||
            (acct && text_add(&s->text, &o->account, acct->id)))
                return -1;
        e->res->items[e->res->cnt++] = (notification_t){
                .incident_id = e->in->incident_id,
                .revision = e->in->revision,
                .audience = a,
                .kind = k,
                .created_at = e->in->now,
        };
        return 0;
}

/* Strings into the text buffer, once it has stopped moving. */
static void fix_pointers(notify_result_t *res) {
        const struct notify_scratch *s = res->scratch_;

        for (size_t i = 0; i < res->cnt; i++) {
                const struct offs *o = &s->offs[i];
                notification_t *n = &res->items[i];

                n->notification_id = s->text.data + o->id;
                n->title = s->text.data + o->title;
                n->body = s->text.data + o->body;
                n->account_id = o->account == SIZE_MAX
                                        ? NULL
                                        : s->text.data + o->account;
        }
}

/* ---- the kinds ---- */

static bool concerned(const notify_input_t *in, audience_t a) {
        return a != AUDIENCE_COMPLIANCE || in->personal_data_at_risk;
}

static const template_t *title_of(const eval_t *e, audience_t a,
                                  notify_kind_t k) {
        return e->cfg->templates[a][k].title;
}

/* The incident's accounts in notification order (key accounts first). */
static int sort_accounts(notify_result_t *res, const notify_input_t *in) {
        struct notify_scratch *s = res->scratch_;

        if (in->accounts_cnt > s->order_cap) {
                const notify_account_t **o =
                        realloc(s->order, in->accounts_cnt * sizeof(*o));

                if (!o)
                        return -1;
                s->order = o;
                s->order_cap = in->accounts_cnt;
        }
        for (size_t i = 0; i < in->accounts_cnt; i++)
                s->order[i] = &in->accounts[i];
        if (in->accounts_cnt > 1)
                qsort(s->order, in->accounts_cnt, sizeof(*s->order), order_cmp);
        return 0;
}

/* OPENED: once per audience, the first revision it is concerned with; for
 * ACCOUNT_MANAGER once per key account, when it first shows up.  An
 * audience is engaged (its bit set) even when its OPENED pair has no
 * template, so its later kinds still go out. */
static int opened(eval_t *e, notify_state_t *next) {
        const struct notify_scratch *s = e->res->scratch_;

        for (audience_t a = 0; a < AUDIENCE_COUNT; a++) {
                bool send = title_of(e, a, NOTIFY_OPENED) != NULL;

                if (!e->cfg->audiences[a] || !concerned(e->in, a))
                        continue;
                if (a != AUDIENCE_ACCOUNT_MANAGER) {
                        if (next->opened & (1u << a))
                                continue;
                        next->opened |= 1u << a;
                        if (send && emit(e, a, NOTIFY_OPENED, NULL))
                                return -1;
                        continue;
                }
                for (size_t i = 0; i < e->in->accounts_cnt; i++) {
                        const notify_account_t *acct = s->order[i];
                        uint64_t h = account_hash(acct->id);

                        if (!key_account(acct) || state_has_account(next, h))
                                continue;
                        if (next->accounts_cnt == NOTIFY_STATE_ACCOUNTS_MAX) {
                                e->res->accounts_dropped++;
                                continue;
                        }
                        next->accounts[next->accounts_cnt++] = h;
                        if (send && emit(e, a, NOTIFY_OPENED, acct))
                                return -1;
                }
        }
        return 0;
}

/* IMPACT_CHANGED: to what was engaged before this revision (OPENED just
 * now already carries the new level). */
static int changed(eval_t *e, const notify_state_t *st) {
        const struct notify_scratch *s = e->res->scratch_;

        for (audience_t a = 0; a < AUDIENCE_COUNT; a++) {
                if (!e->cfg->audiences[a] ||
                    !title_of(e, a, NOTIFY_IMPACT_CHANGED))
                        continue;
                if (a != AUDIENCE_ACCOUNT_MANAGER) {
                        if ((st->opened & (1u << a)) &&
                            emit(e, a, NOTIFY_IMPACT_CHANGED, NULL))
                                return -1;
                        continue;
                }
                for (size_t i = 0; i < e->in->accounts_cnt; i++)
                        if (key_account(s->order[i]) &&
                            state_has_account(st,
                                              account_hash(s->order[i]->id)) &&
                            emit(e, a, NOTIFY_IMPACT_CHANGED, s->order[i]))
                                return -1;
        }
        return 0;
}

/* "ENTERPRISE breached; PRO,BUSINESS at risk" */
static const char *sla_change(values_t *vals, unsigned risk, unsigned breach) {
        char r[64], b[64];

        tier_bits_names(risk, r, sizeof(r));
        tier_bits_names(breach, b, sizeof(b));
        snprintf(vals->sla_change, sizeof(vals->sla_change), "%s%s%s%s%s", b,
                 breach ? " breached" : "", breach && risk ? "; " : "", r,
                 risk ? " at risk" : "");
        return vals->v[NF_SLA_CHANGE] = vals->sla_change;
}

/* SLA_AT_RISK: a tier newly at risk, or newly breached, to the engaged
 * audiences; to an account manager when the tier is its account's. */
static int sla(eval_t *e, notify_state_t *next) {
        const struct notify_scratch *s = e->res->scratch_;
        unsigned risk = e->in->sla_at_risk & ~next->sla_at_risk &
                        ~next->sla_breached,
                 breach = e->in->sla_breached & ~next->sla_breached;

        if (!risk && !breach)
                return 0;
        next->sla_at_risk |= risk;
        next->sla_breached |= breach;
        sla_change(e->vals, risk, breach);
        for (audience_t a = 0; a < AUDIENCE_COUNT; a++) {
                if (!e->cfg->audiences[a] ||
                    !title_of(e, a, NOTIFY_SLA_AT_RISK))
                        continue;
                if (a != AUDIENCE_ACCOUNT_MANAGER) {
                        if ((next->opened & (1u << a)) &&
                            emit(e, a, NOTIFY_SLA_AT_RISK, NULL))
                                return -1;
                        continue;
                }
                for (size_t i = 0; i < e->in->accounts_cnt; i++) {
                        const notify_account_t *acct = s->order[i];
                        unsigned bit =
                                acct->tier != TIER_NONE ? 1u << acct->tier : 0;

                        if (key_account(acct) && (bit & (risk | breach)) &&
                            state_has_account(next, account_hash(acct->id)) &&
                            emit(e, a, NOTIFY_SLA_AT_RISK, acct))
                                return -1;
                }
        }
        return 0;
}

/* RESOLVED: once per audience, to every audience concerned or engaged
 * (an incident first seen already resolved still gets its record). */
static int resolved(eval_t *e, notify_state_t *next) {
        const struct notify_scratch *s = e->res->scratch_;

        for (audience_t a = 0; a < AUDIENCE_COUNT; a++) {
                unsigned bit = 1u << a;

                if (!e->cfg->audiences[a] || (next->resolved & bit) ||
                    (!(next->opened & bit) && !concerned(e->in, a)))
                        continue;
                next->resolved |= bit;
                if (!title_of(e, a, NOTIFY_RESOLVED))
                        continue;
                if (a != AUDIENCE_ACCOUNT_MANAGER) {
                        if (emit(e, a, NOTIFY_RESOLVED, NULL))
                                return -1;
                        continue;
                }
                for (size_t i = 0; i < e->in->accounts_cnt; i++)
                        if (key_account(s->order[i]) &&
                            emit(e, a, NOTIFY_RESOLVED, s->order[i]))
                                return -1;
        }
        return 0;
}

/* FOLLOW_UP: at resolution, one per account that reported a ticket, in
 * notify_account_cmp() order (full-case ownership). */
static int follow_ups(eval_t *e, notify_state_t *next) {
        const struct notify_scratch *s = e->res->scratch_;

        next->follow_ups = true;
        for (audience_t a = 0; a < AUDIENCE_COUNT; a++) {
                if (!e->cfg->audiences[a] || !concerned(e->in, a) ||
                    !title_of(e, a, NOTIFY_FOLLOW_UP))
                        continue;
                for (size_t i = 0; i < e->in->accounts_cnt; i++)
                        if (s->order[i]->tickets > 0 &&
                            emit(e, a, NOTIFY_FOLLOW_UP, s->order[i]))
                                return -1;
        }
        return 0;
}

impactd_err_t notify_evaluate(const notify_config_t *cfg,
                              const notify_input_t *in, notify_state_t *st,
                              notify_result_t *res, char *errstr,
                              size_t errstr_size) {
        notify_state_t next = *st;
        values_t vals;
        eval_t e = {cfg, in, res, &vals};
        bool reopened = in->open && st->resolved;

        res->cnt = 0;
        res->accounts_dropped = 0;
        buf_reset(&res->scratch_->text);
        if (in->revision <= st->revision)
                return IMPACTD_OK; /* decided before: a replay */
        if (sort_accounts(res, in))
                goto nomem;
        fill_values(cfg, in, st, &vals);
        /* Open again after RESOLVED went out: the next resolution is news
         * again, and everyone engaged hears that the impact changed. */
        if (reopened) {
                next.resolved = 0;
                next.follow_ups = false;
        }
        if (in->open && opened(&e, &next))
                goto nomem;
        if (in->open && st->level &&
            (reopened || in->level != st->level ||
             in->impact_class != st->impact_class) &&
            changed(&e, st))
                goto nomem;
        if (sla(&e, &next) || (!in->open && resolved(&e, &next)) ||
            (!in->open && !next.follow_ups && follow_ups(&e, &next)))
                goto nomem;
        if (in->open) {
                next.level = in->level;
                next.impact_class = in->impact_class;
        }
        next.revision = in->revision;
        fix_pointers(res);
        *st = next;
        return IMPACTD_OK;
nomem:
        res->cnt = 0;
        snprintf(errstr, errstr_size, "out of memory");
        return IMPACTD_ERR_NOMEM;
}

void notify_input_from(notify_input_t *in, const struct config *conf,
                       const struct incident *inc, const struct emit_ctx *ctx,
                       const score_result_t *r,
                       const notify_account_t *accounts, size_t accounts_cnt) {
        const config_service_t *svc =
                config_service_find(conf, inc->root_service);

        memset(in, 0, sizeof(*in));
        in->incident_id = inc->id;
        in->revision = inc->revision;
        in->open = inc->open;
        in->now = ctx->now;
        in->root_service = inc->root_service;
        in->display_name = svc ? svc->display_name : NULL;
        in->team = svc ? svc->team : NULL;
        in->disruption = inc->disruption;
        in->level = r->level;
        in->impact_class = r->impact_class;
        in->score = r->score;
        in->affected_users = inc->affected_users;
        in->user_share = r->user_share;
        in->affected_accounts = inc->affected_accounts;
        in->arr_at_risk = inc->arr_at_risk;
        in->sla_at_risk = ctx->sla.at_risk;
        in->sla_breached = ctx->sla.breached;
        in->slo_burn_rate = inc->slo_burn_rate;
        in->blast_radius = ctx->impacted;
        in->blast_radius_cnt = ctx->impacted_cnt;
        in->services = inc->services;
        in->services_cnt = inc->services_cnt;
        in->segments_summary = ctx->segments_summary;
        in->tickets_total = inc->tickets_total;
        in->tickets_open = inc->tickets_open;
        in->ticket_trend = r->ticket_trend;
        in->sentiment_mean = r->sentiment_mean;
        in->sentiment_count = inc->sentiment_count;
        in->duration_ms = ctx->duration_ms;
        in->detected_at = inc->detected_at;
        in->resolved_at = inc->open ? 0 : inc->resolved_at;
        in->personal_data_at_risk = inc->personal_data_at_risk;
        /* The same deadline as the compliance page's: from when personal
         * data was first reported at risk. */
        if (inc->personal_data_at_risk)
                in->compliance_deadline_at =
                        (inc->personal_data_at > 0 ? inc->personal_data_at
                                                   : inc->detected_at) +
                        conf->policy.regulator_deadline_h * 3600 * 1000;
        in->accounts = accounts;
        in->accounts_cnt = accounts_cnt;
}
