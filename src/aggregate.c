/* One incident's aggregates in memory: apply, settle, facts. */
#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "vec.h"

/* An alert's facts per service: a report replaces the service's earlier
 * one, an absent field keeps it. */
typedef enum {
        ALERT_QUIET = 0,   /* its last alert resolved */
        ALERT_FIRING_NOW,
        ALERT_HANDED_OVER, /* still firing when the incident resolved: it
                            * went on as an incident of its own */
} alert_state_t;

typedef struct agg_alert {
        char *service;
        alert_state_t state;
        int disruption;    /* -1 = never reported */
        int64_t users;     /* -1 = never reported */
        double burn, loss; /* -1 = never reported */
        char *region;      /* NULL = none */
        bool dependent;    /* alerted while already in the blast radius */
} agg_alert_t;

typedef struct agg_account {
        char *id;
        customer_tier_t tier;
        double arr;
        bool strategic;
        bool dirty;     /* changed since last stored */
        size_t key_seq; /* its place among the key accounts, from 1; 0: not key */
        int64_t tickets;
} agg_account_t;

typedef struct agg_ticket {
        char *id;
        ticket_status_t status;
        bool dirty;
} agg_ticket_t;

typedef struct agg_segment {
        char *name; /* the kind's letter, then the value */
        int64_t count;
        bool dirty;
} agg_segment_t;

/* Per minute of event time: sentiment count, negatives and sum (surge and
 * trend), and new tickets (ticket trend). */
typedef struct agg_minute {
        int64_t minute;
        int64_t c, n, t;
        double s;
} agg_minute_t;

/* Growable arrays, `cnt` used of `cap`, and the index of those that are
 * looked up by name. */
typedef struct { agg_alert_t *v; size_t cnt, cap; strmap_t idx; } alerts_t;
typedef struct { agg_account_t *v; size_t cnt, cap; strmap_t idx; } accounts_t;
typedef struct { agg_ticket_t *v; size_t cnt, cap; strmap_t idx; } tickets_t;
typedef struct { agg_segment_t *v; size_t cnt, cap; strmap_t idx; } segments_t;
typedef struct { char **v; size_t cnt, cap; strmap_t idx; } strset_t;
typedef struct { size_t *v; size_t cnt, cap; } indexes_t;
typedef struct { agg_minute_t *v; size_t cnt, cap; } minutes_t;

struct aggregate {
        char *id;
        size_t bytes; /* strings copied in */
        bool open;
        int64_t revision;
        char *root;
        int64_t detected_at, last_event_at, resolved_at, triaged_at;
        int64_t quiet_since;
        int declared_severity;
        int64_t accounts_cnt;
        double arr;
        customer_tier_t max_tier;
        unsigned tiers;
        bool strategic;
        int64_t tickets_total, tickets_open;
        bool personal_data;
        int64_t personal_data_at;
        int64_t sentiment_count, sentiment_negative;
        double sentiment_sum;
        int64_t last_tick;
        /* The last decision: states, their version, its revision. */
        char *policy, *notify;
        int64_t decide_v, decided_rev;
        /* The last revision whose outputs Kafka acknowledged: a newer
         * owner publishes the revisions above it again. */
        int64_t published_rev;

        alerts_t alerts;
        accounts_t accounts;
        indexes_t key_accounts; /* in the order they became key */
        tickets_t tickets;
        segments_t segments;
        minutes_t minutes; /* sorted by minute */
        strset_t impacted;
        strset_t seen; /* event ids applied */

        /* Changed since last stored: entries of the sets, by index. */
        indexes_t dirty[AGG_SET_COUNT];
        size_t seen_saved; /* seen ids below this index are stored */
        /* While loading: how many entries of each set the core record
         * says there are. */
        size_t expect[AGG_SET_COUNT];

        /* The change under way (aggregate_begin .. aggregate_end), then
         * what it did, for aggregate_facts. */
        bool was_open;
        int64_t resolve_at; /* the latest resolve among its alerts, or 0 */
        size_t new_tickets_from, new_tickets_to;
        aggregate_change_t ch;
};

static char *copy(aggregate_t *a, const char *s, size_t len) {
        char *d = malloc(len + 1);
        if (!d)
                return NULL;
        memcpy(d, s, len);
        d[len] = '\0';
        a->bytes += len + 1;
        return d;
}

static char *copy_str(aggregate_t *a, const char *s) {
        return copy(a, s, strlen(s));
}

/* Frees a string copy() made, and takes it off the count. */
static void release(aggregate_t *a, char *s) {
        if (s) {
                a->bytes -= strlen(s) + 1;
                free(s);
        }
}

aggregate_t *aggregate_new(const char *id) {
        aggregate_t *a = calloc(1, sizeof(*a));
        if (!a)
                return NULL;
        a->open = true;
        a->max_tier = TIER_NONE;
        if (!(a->id = copy_str(a, id))) {
                free(a);
                return NULL;
        }
        return a;
}

static void strset_free(strset_t *s) {
        for (size_t i = 0; i < s->cnt; i++)
                free(s->v[i]);
        free(s->v);
        strmap_free(&s->idx);
}

void aggregate_destroy(aggregate_t *a) {
        if (!a)
                return;
        for (size_t i = 0; i < a->alerts.cnt; i++) {
                free(a->alerts.v[i].service);
                free(a->alerts.v[i].region);
        }
        free(a->alerts.v);
        strmap_free(&a->alerts.idx);
        for (size_t i = 0; i < a->accounts.cnt; i++)
                free(a->accounts.v[i].id);
        free(a->accounts.v);
        strmap_free(&a->accounts.idx);
        free(a->key_accounts.v);
        for (size_t i = 0; i < a->tickets.cnt; i++)
                free(a->tickets.v[i].id);
        free(a->tickets.v);
        strmap_free(&a->tickets.idx);
        for (size_t i = 0; i < a->segments.cnt; i++)
                free(a->segments.v[i].name);
        free(a->segments.v);
        strmap_free(&a->segments.idx);
        free(a->minutes.v);
        strset_free(&a->impacted);
        strset_free(&a->seen);
        for (size_t k = 0; k < AGG_SET_COUNT; k++)
                free(a->dirty[k].v);
        free(a->policy);
        free(a->notify);
        free(a->root);
        free(a->id);
        free(a);
}

/* Notes entry `idx` of set `s` as changed since last stored. */
static int mark(aggregate_t *a, aggregate_set_t s, bool *dirty, size_t idx) {
        if (*dirty)
                return 0;
        if (VEC_GROW(a->dirty[s]))
                return -1;
        a->dirty[s].v[a->dirty[s].cnt++] = idx;
        *dirty = true;
        return 0;
}

const char *aggregate_id(const aggregate_t *a) {
        return a->id;
}

int64_t aggregate_revision(const aggregate_t *a) {
        return a->revision;
}

bool aggregate_open(const aggregate_t *a) {
        return a->open;
}

size_t aggregate_bytes(const aggregate_t *a) {
        /* The strings copied in, and every array and index at capacity. */
        return sizeof(*a) + a->bytes + a->alerts.cap * sizeof(*a->alerts.v) +
               a->accounts.cap * sizeof(*a->accounts.v) +
               a->key_accounts.cap * sizeof(*a->key_accounts.v) +
               a->tickets.cap * sizeof(*a->tickets.v) +
               a->segments.cap * sizeof(*a->segments.v) +
               a->minutes.cap * sizeof(*a->minutes.v) +
               (a->impacted.cap + a->seen.cap) * sizeof(char *) +
               (a->alerts.idx.cap + a->accounts.idx.cap + a->tickets.idx.cap +
                a->segments.idx.cap + a->impacted.idx.cap + a->seen.idx.cap) *
                       sizeof(strmap_slot_t);
}

void aggregate_begin(aggregate_t *a) {
        memset(&a->ch, 0, sizeof(a->ch));
        a->was_open = a->open;
        a->resolve_at = 0;
        a->new_tickets_from = a->new_tickets_to = a->tickets.cnt;
}

/* 1 added (copied), 0 present already, -1 out of memory. */
static int strset_add(aggregate_t *a, strset_t *s, const char *str) {
        if (strmap_get(&s->idx, str) != (size_t)-1)
                return 0;
        char *d;
        if (VEC_GROW(*s) || !(d = copy_str(a, str)))
                return -1;
        s->v[s->cnt] = d;
        if (strmap_get_or_put(&s->idx, d, s->cnt) == (size_t)-1) {
                free(d);
                return -1;
        }
        s->cnt++;
        return 1;
}

static bool seen_before(aggregate_t *a, const event_t *ev) {
        if (strmap_get(&a->seen.idx, ev->event_id) == (size_t)-1)
                return false;
        a->ch.dups++;
        return true;
}

/* Records the event as applied and moves the incident's times. */
static int first_sight(aggregate_t *a, const event_t *ev) {
        if (strset_add(a, &a->seen, ev->event_id) < 0)
                return AGG_NOMEM;
        a->ch.changed = true;
        int64_t t = ev->occurred_at;
        if (!a->detected_at || t < a->detected_at)
                a->detected_at = t;
        if (!a->last_event_at || t > a->last_event_at)
                a->last_event_at = t;
        return AGG_APPLIED;
}

int aggregate_impact_add(aggregate_t *a, const char *service) {
        return strset_add(a, &a->impacted, service) < 0 ? -1 : 0;
}

/* ---- alerts ---------------------------------------------------------------- */

static agg_alert_t *alert_of(aggregate_t *a, const char *service, bool *fresh) {
        size_t i = strmap_get(&a->alerts.idx, service);
        *fresh = i == (size_t)-1;
        if (!*fresh)
                return &a->alerts.v[i];
        agg_alert_t al = {.state = ALERT_QUIET, .disruption = -1, .users = -1,
                          .burn = -1, .loss = -1};
        if (VEC_GROW(a->alerts) || !(al.service = copy_str(a, service)))
                return NULL;
        if (strmap_get_or_put(&a->alerts.idx, al.service, a->alerts.cnt) ==
            (size_t)-1) {
                free(al.service);
                return NULL;
        }
        a->alerts.v[a->alerts.cnt] = al;
        return &a->alerts.v[a->alerts.cnt++];
}

int aggregate_apply_alert(aggregate_t *a, const event_t *ev) {
        const event_alert_t *in = &ev->u.alert;
        bool fresh;
        agg_alert_t *al;
        if (seen_before(a, ev))
                return AGG_DUPLICATE;
        if (!(al = alert_of(a, ev->service, &fresh)) || first_sight(a, ev))
                return AGG_NOMEM;
        if (!a->root) {
                if (!(a->root = copy_str(a, ev->service)))
                        return AGG_NOMEM;
        } else if (fresh && strcmp(ev->service, a->root) != 0 &&
                   strmap_get(&a->impacted.idx, ev->service) != (size_t)-1) {
                /* Downstream of the root: it does not hold the incident
                 * open, so a resolve of the root is never kept back. */
                al->dependent = true;
        }
        al->state = in->status == ALERT_FIRING ? ALERT_FIRING_NOW : ALERT_QUIET;
        if (ev->has & HAS_DISRUPTION)
                al->disruption = (int)in->disruption;
        if (ev->has & HAS_AFFECTED_USERS)
                al->users = in->affected_users;
        if (ev->has & HAS_SLO_BURN_RATE)
                al->burn = in->slo_burn_rate;
        if (ev->has & HAS_REVENUE_LOSS)
                al->loss = in->revenue_loss_per_hour;
        if (ev->region) {
                char *region = copy_str(a, ev->region);
                if (!region)
                        return AGG_NOMEM;
                release(a, al->region);
                al->region = region;
        }
        if (ev->has & HAS_DECLARED_SEVERITY) {
                /* A responder declaring a severity has triaged it. */
                a->declared_severity = in->declared_severity;
                if (!a->triaged_at)
                        a->triaged_at = ev->occurred_at;
        }
        if (in->status == ALERT_FIRING) {
                if (!a->open) {
                        a->open = true;
                        a->ch.reopened = true;
                        a->resolved_at = 0;
                }
        } else if (ev->occurred_at > a->resolve_at) {
                a->resolve_at = ev->occurred_at;
        }
        return AGG_APPLIED;
}

/* ---- tickets --------------------------------------------------------------- */

/* Key accounts (ENTERPRISE or strategic) are named while an incident is
 * open, for their account managers; every account once it resolves. */
static bool is_key(const agg_account_t *acct) {
        return acct->tier >= TIER_ENTERPRISE || acct->strategic;
}

static int64_t minute(int64_t t) {
        /* Floor: a time before 1970 still falls in its own minute. */
        return t / 60000 - (t % 60000 < 0);
}

/* The first bucket at or after minute `m`. */
static size_t minute_lower(const minutes_t *ms, int64_t m) {
        size_t lo = 0, hi = ms->cnt;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (ms->v[mid].minute < m)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static agg_minute_t *minute_of(aggregate_t *a, int64_t t) {
        int64_t m = minute(t);
        minutes_t *ms = &a->minutes;
        /* Most events fall in the latest minute. */
        if (ms->cnt && ms->v[ms->cnt - 1].minute == m)
                return &ms->v[ms->cnt - 1];
        size_t at = minute_lower(ms, m);
        if (at < ms->cnt && ms->v[at].minute == m)
                return &ms->v[at];
        if (VEC_GROW(*ms))
                return NULL;
        memmove(ms->v + at + 1, ms->v + at, (ms->cnt - at) * sizeof(*ms->v));
        ms->cnt++;
        ms->v[at] = (agg_minute_t){.minute = m};
        return &ms->v[at];
}

static int segment_add(aggregate_t *a, char kind, const char *value, size_t len) {
        char *name = malloc(len + 2);
        if (!name)
                return -1;
        name[0] = kind;
        memcpy(name + 1, value, len);
        name[len + 1] = '\0';
        size_t i = strmap_get(&a->segments.idx, name);
        if (i != (size_t)-1) {
                free(name);
                a->segments.v[i].count++;
                return mark(a, AGG_SET_SEGMENTS, &a->segments.v[i].dirty, i);
        }
        if (VEC_GROW(a->segments) ||
            strmap_get_or_put(&a->segments.idx, name, a->segments.cnt) == (size_t)-1) {
                free(name);
                return -1;
        }
        i = a->segments.cnt++;
        a->segments.v[i] = (agg_segment_t){.name = name, .count = 1};
        a->bytes += len + 2;
        return mark(a, AGG_SET_SEGMENTS, &a->segments.v[i].dirty, i);
}

static agg_account_t *account_of(aggregate_t *a, const char *id, bool *fresh) {
        size_t i = strmap_get(&a->accounts.idx, id);
        *fresh = i == (size_t)-1;
        if (!*fresh)
                return &a->accounts.v[i];
        agg_account_t acct = {.tier = TIER_NONE};
        if (VEC_GROW(a->accounts) || !(acct.id = copy_str(a, id)))
                return NULL;
        if (strmap_get_or_put(&a->accounts.idx, acct.id, a->accounts.cnt) ==
            (size_t)-1) {
                free(acct.id);
                return NULL;
        }
        a->accounts.v[a->accounts.cnt] = acct;
        a->accounts_cnt++;
        return &a->accounts.v[a->accounts.cnt++];
}

static agg_ticket_t *ticket_of(aggregate_t *a, const char *id, bool *fresh) {
        size_t i = strmap_get(&a->tickets.idx, id);
        *fresh = i == (size_t)-1;
        if (!*fresh)
                return &a->tickets.v[i];
        agg_ticket_t t = {.status = TICKET_SOLVED};
        if (VEC_GROW(a->tickets) || !(t.id = copy_str(a, id)))
                return NULL;
        if (strmap_get_or_put(&a->tickets.idx, t.id, a->tickets.cnt) == (size_t)-1) {
                free(t.id);
                return NULL;
        }
        a->tickets.v[a->tickets.cnt] = t;
        return &a->tickets.v[a->tickets.cnt++];
}

/* The ticket's segments, by the letters of segment_kind_t's order. */
static int ticket_segments(aggregate_t *a, const event_t *ev,
                           const account_facts_t *in) {
        const event_ticket_t *t = &ev->u.ticket;
        const char *seg[] = {ev->region, t->product_version, t->platform,
                             t->feature};
        static const char letters[SEGMENT_KIND_COUNT] = {'r', 'v', 'p', 'f', 'a'};
        for (size_t k = 0; k < 4; k++)
                if (seg[k] && segment_add(a, letters[k], seg[k], strlen(seg[k])))
                        return -1;
        if (in->prefix &&
            segment_add(a, letters[SEGMENT_ACCOUNT_PREFIX], in->prefix, in->prefix_len))
                return -1;
        return 0;
}

int aggregate_apply_ticket(aggregate_t *a, const event_t *ev,
                           const account_facts_t *in) {
        const event_ticket_t *t = &ev->u.ticket;
        bool fresh_acct, fresh_ticket;
        agg_account_t *acct;
        agg_ticket_t *tk;
        if (seen_before(a, ev))
                return AGG_DUPLICATE;
        if (first_sight(a, ev) || !(acct = account_of(a, t->account_id, &fresh_acct)))
                return AGG_NOMEM;
        size_t acct_idx = (size_t)(acct - a->accounts.v);
        if (!(tk = ticket_of(a, t->ticket_id, &fresh_ticket)))
                return AGG_NOMEM;
        acct = &a->accounts.v[acct_idx];

        /* Accounts count once however many tickets they file; an explicit
         * ARR on a later ticket replaces the account's earlier figure. */
        double old_arr = acct->arr;
        if (in->tier != TIER_NONE && in->tier > acct->tier)
                acct->tier = in->tier;
        if (in->arr >= 0)
                acct->arr = in->arr;
        if (in->strategic == 1)
                acct->strategic = true;
        if (acct->arr != old_arr)
                a->arr += acct->arr - old_arr;
        if (fresh_ticket)
                acct->tickets++;
        /* Tiers only rise and strategic is never unset: once key, always. */
        if (is_key(acct) && !acct->key_seq) {
                if (VEC_GROW(a->key_accounts))
                        return AGG_NOMEM;
                a->key_accounts.v[a->key_accounts.cnt++] = acct_idx;
                acct->key_seq = a->key_accounts.cnt;
        }
        if (mark(a, AGG_SET_ACCOUNTS, &acct->dirty, acct_idx))
                return AGG_NOMEM;
        if (acct->tier > a->max_tier)
                a->max_tier = acct->tier;
        /* Tiers whose SLA targets are on the clock, as bits (1 << tier):
         * the account's contract, else its tier. */
        customer_tier_t sla = in->sla != TIER_NONE ? in->sla : acct->tier;
        if (sla != TIER_NONE)
                a->tiers |= 1u << sla;
        if (acct->strategic)
                a->strategic = true;
        if (t->personal_data_at_risk && !a->personal_data) {
                /* The regulator's clock (GDPR: 72 hours) runs from the
                 * first report. */
                a->personal_data = true;
                a->personal_data_at = ev->occurred_at;
        }

        bool was_open = !fresh_ticket && tk->status != TICKET_SOLVED;
        bool is_open = t->status != TICKET_SOLVED;
        if (fresh_ticket) {
                agg_minute_t *m = minute_of(a, ev->occurred_at);
                if (!m || ticket_segments(a, ev, in))
                        return AGG_NOMEM;
                a->tickets_total++;
                m->t++;
        }
        if (is_open && !was_open)
                a->tickets_open++;
        if (was_open && !is_open)
                a->tickets_open--;
        tk->status = t->status;
        if (mark(a, AGG_SET_TICKETS, &tk->dirty, (size_t)(tk - a->tickets.v)))
                return AGG_NOMEM;
        return AGG_APPLIED;
}

/* ---- sentiment ------------------------------------------------------------- */

int aggregate_apply_sentiment(aggregate_t *a, const event_t *ev, bool negative) {
        double score = ev->u.sentiment.score;
        agg_minute_t *m;
        if (seen_before(a, ev))
                return AGG_DUPLICATE;
        if (first_sight(a, ev) || !(m = minute_of(a, ev->occurred_at)))
                return AGG_NOMEM;
        a->sentiment_count++;
        a->sentiment_negative += negative;
        a->sentiment_sum += score;
        m->c++;
        m->n += negative;
        m->s += score;
        return AGG_APPLIED;
}

/* ---- the end of a change --------------------------------------------------- */

/* Settles the status at `now`: it resolves once no service that holds it
 * open has fired for the quiet time.  A service that only joined as a
 * dependent does not hold it open; still firing then, it is handed over to
 * an incident of its own. */
static void settle(aggregate_t *a, int64_t now, int64_t quiet_ms) {
        bool holding = false;
        if (!a->open || !a->alerts.cnt)
                return;
        for (size_t i = 0; i < a->alerts.cnt; i++)
                if (a->alerts.v[i].state == ALERT_FIRING_NOW && !a->alerts.v[i].dependent)
                        holding = true;
        if (holding) {
                a->quiet_since = 0;
                return;
        }
        if (!a->quiet_since)
                a->quiet_since = a->resolve_at ? a->resolve_at : now;
        if (now < a->quiet_since + quiet_ms)
                return;
        a->open = false;
        a->resolved_at = a->quiet_since;
        a->quiet_since = 0;
        for (size_t i = 0; i < a->alerts.cnt; i++)
                if (a->alerts.v[i].state == ALERT_FIRING_NOW)
                        a->alerts.v[i].state = ALERT_HANDED_OVER;
}

void aggregate_end(aggregate_t *a, int64_t now, int64_t tick, int64_t quiet_ms,
                   aggregate_change_t *ch) {
        /* A deadline re-scores an open incident once. */
        if (tick > 0 && a->open && tick > a->last_tick) {
                a->last_tick = tick;
                a->ch.changed = true;
        }
        if (now < a->last_event_at)
                now = a->last_event_at;
        if (a->ch.changed) {
                settle(a, now, quiet_ms);
                a->ch.resolved_now = a->was_open && !a->open;
                if (!a->detected_at)
                        a->detected_at = now;
                if (!a->last_event_at)
                        a->last_event_at = now;
                a->revision++;
        }
        a->new_tickets_to = a->tickets.cnt;
        *ch = a->ch;
}

void aggregate_published(aggregate_t *a, int64_t revision) {
        if (revision > a->published_rev)
                a->published_rev = revision;
}

int64_t aggregate_published_revision(const aggregate_t *a) {
        return a->published_rev;
}

int aggregate_decided(aggregate_t *a, int64_t revision, const char *policy,
                      const char *notify, bool paged, int64_t at) {
        if (revision <= a->decided_rev)
                return 1;
        char *p = copy_str(a, policy), *n = copy_str(a, notify);
        if (!p || !n) {
                free(p);
                free(n);
                return -1;
        }
        release(a, a->policy);
        release(a, a->notify);
        a->policy = p;
        a->notify = n;
        a->decide_v++;
        a->decided_rev = revision;
        if (paged && !a->triaged_at)
                a->triaged_at = at;
        return 0;
}

/* ---- facts ----------------------------------------------------------------- */

/* Sums of the minutes in [from, to]. */
typedef struct window {
        int64_t c, n, t;
        double s;
} window_t;

static window_t window_sum(const minutes_t *ms, int64_t from, int64_t to) {
        window_t w = {0};
        for (size_t i = minute_lower(ms, from); i < ms->cnt && ms->v[i].minute <= to; i++) {
                w.c += ms->v[i].c;
                w.n += ms->v[i].n;
                w.t += ms->v[i].t;
                w.s += ms->v[i].s;
        }
        return w;
}

static int by_str(const void *x, const void *y) {
        return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void alert_facts(const aggregate_t *a, incident_t *out) {
        out->affected_users = -1;
        out->disruption = -1;
        out->slo_burn_rate = -1;
        out->revenue_loss_per_hour = -1;
        for (size_t i = 0; i < a->alerts.cnt; i++) {
                const agg_alert_t *al = &a->alerts.v[i];
                out->services[out->services_cnt++] = al->service;
                /* Alerts of one incident describe overlapping user bases
                 * and the same lost sales: the worst report, never the
                 * sum.  An alert that never named its disruption counts as
                 * DEGRADED. */
                if (al->users > out->affected_users)
                        out->affected_users = al->users;
                int d = al->disruption >= 0 ? al->disruption : DISRUPTION_DEGRADED;
                if (d > out->disruption)
                        out->disruption = d;
                if (al->burn > out->slo_burn_rate)
                        out->slo_burn_rate = al->burn;
                if (al->loss > out->revenue_loss_per_hour)
                        out->revenue_loss_per_hour = al->loss;
                if (al->region && al->users >= 0) {
                        size_t r = 0;
                        while (r < out->region_users_cnt &&
                               strcmp(out->region_users[r].region, al->region))
                                r++;
                        if (r == out->region_users_cnt)
                                out->region_users[out->region_users_cnt++] =
                                        (region_users_t){al->region, al->users};
                        else if (al->users > out->region_users[r].users)
                                out->region_users[r].users = al->users;
                }
                if (al->state == ALERT_HANDED_OVER)
                        out->handovers[out->handovers_cnt++] = (handover_t){
                                .service = al->service,
                                .disruption = al->disruption,
                                .affected_users = al->users,
                                .slo_burn_rate = al->burn,
                                .revenue_loss_per_hour = al->loss,
                                .region = al->region ? al->region : "",
                        };
        }
}

static incident_account_t account_fact(const agg_account_t *acct) {
        return (incident_account_t){acct->id, acct->tier, acct->arr,
                                    acct->strategic, acct->tickets};
}

int aggregate_facts(const aggregate_t *a, int64_t now, int trend_min,
                    int sentiment_min, incident_t *out) {
        size_t n_acc = a->open ? a->key_accounts.cnt : a->accounts.cnt;
        size_t n_new = a->new_tickets_to - a->new_tickets_from;
        memset(out, 0, sizeof(*out));
        out->services = calloc(a->alerts.cnt + 1, sizeof(*out->services));
        out->region_users = calloc(a->alerts.cnt + 1, sizeof(*out->region_users));
        out->handovers = calloc(a->alerts.cnt + 1, sizeof(*out->handovers));
        out->impacted = calloc(a->impacted.cnt + 1, sizeof(*out->impacted));
        out->segments = calloc(a->segments.cnt + 1, sizeof(*out->segments));
        out->accounts = calloc(n_acc + 1, sizeof(*out->accounts));
        out->new_tickets = calloc(n_new + 1, sizeof(*out->new_tickets));
        if (!out->services || !out->region_users || !out->handovers ||
            !out->impacted || !out->segments || !out->accounts || !out->new_tickets) {
                incident_clear(out);
                return -1;
        }
        out->id = a->id;
        out->revision = a->revision;
        out->open = a->open;
        out->root_service = a->root ? a->root : "";
        out->detected_at = a->detected_at;
        out->last_event_at = a->last_event_at;
        out->resolved_at = a->resolved_at;
        out->triaged_at = a->triaged_at;
        out->quiet_since = a->quiet_since;
        out->declared_severity = a->declared_severity;
        out->affected_accounts = a->accounts_cnt;
        out->arr_at_risk = a->arr;
        out->max_tier = a->max_tier;
        out->tiers = a->tiers;
        out->strategic = a->strategic;
        out->tickets_total = a->tickets_total;
        out->tickets_open = a->tickets_open;
        out->personal_data_at_risk = a->personal_data;
        out->personal_data_at = a->personal_data_at;
        out->policy_state = a->policy ? a->policy : "";
        out->notify_state = a->notify ? a->notify : "";
        out->decide_v = a->decide_v;
        out->sentiment_count = a->sentiment_count;
        out->sentiment_negative = a->sentiment_negative;
        out->sentiment_sum = a->sentiment_sum;
        out->changed = a->ch.changed;
        out->dups = a->ch.dups;
        out->resolved_now = a->ch.resolved_now;
        out->reopened = a->ch.reopened;
        alert_facts(a, out);

        /* Windows end at the later of now and the last event, so a replay
         * of old events still sees them in their own windows. */
        int64_t ref = now > a->last_event_at ? now : a->last_event_at;
        int64_t now_m = minute(ref), s_from = now_m - sentiment_min + 1;
        window_t snow = window_sum(&a->minutes, s_from, now_m);
        window_t sprev = window_sum(&a->minutes, s_from - sentiment_min, s_from - 1);
        out->sentiment_now_count = snow.c;
        out->sentiment_now_negative = snow.n;
        out->sentiment_now_sum = snow.s;
        out->sentiment_prev_count = sprev.c;
        out->sentiment_prev_sum = sprev.s;
        out->tickets_now = window_sum(&a->minutes, now_m - trend_min + 1, now_m).t;
        out->tickets_prev =
                window_sum(&a->minutes, now_m - 2 * trend_min + 1, now_m - trend_min).t;

        for (size_t i = 0; i < a->impacted.cnt; i++)
                out->impacted[out->impacted_cnt++] = a->impacted.v[i];
        qsort(out->impacted, out->impacted_cnt, sizeof(*out->impacted), by_str);
        static const char letters[SEGMENT_KIND_COUNT] = {'r', 'v', 'p', 'f', 'a'};
        for (size_t i = 0; i < a->segments.cnt; i++) {
                const char *name = a->segments.v[i].name;
                const char *at = memchr(letters, name[0], sizeof(letters));
                if (!at)
                        continue; /* cannot be: apply and load write known kinds */
                out->segments[out->segments_cnt++] = (segment_count_t){
                        (segment_kind_t)(at - letters), name + 1,
                        a->segments.v[i].count};
        }
        for (size_t i = 0; i < n_acc; i++)
                out->accounts[out->accounts_cnt++] = account_fact(
                        &a->accounts.v[a->open ? a->key_accounts.v[i] : i]);
        for (size_t i = a->new_tickets_from; i < a->new_tickets_to; i++)
                out->new_tickets[out->new_tickets_cnt++] = a->tickets.v[i].id;
        return 0;
}

void aggregate_prune_minutes(aggregate_t *a, int keep_min) {
        if (!a->last_event_at)
                return;
        size_t drop = minute_lower(&a->minutes, minute(a->last_event_at) - keep_min);
        if (!drop)
                return;
        memmove(a->minutes.v, a->minutes.v + drop,
                (a->minutes.cnt - drop) * sizeof(*a->minutes.v));
        a->minutes.cnt -= drop;
}

/* ---- the store of record --------------------------------------------------- */

#define RECORD_VERSION 1
/* More entries than any incident holds (a storm's: 10^5 event ids). */
#define AGG_MAX_ENTRIES (1u << 26)

void aggregate_encode(const aggregate_t *a, record_buf_t *b) {
        record_put_u64(b, RECORD_VERSION);
        record_put_u64(b, a->open);
        record_put_i64(b, a->revision);
        record_put_cstr(b, a->root);
        record_put_i64(b, a->detected_at);
        record_put_i64(b, a->last_event_at);
        record_put_i64(b, a->resolved_at);
        record_put_i64(b, a->triaged_at);
        record_put_i64(b, a->quiet_since);
        record_put_i64(b, a->declared_severity);
        record_put_i64(b, a->accounts_cnt);
        record_put_f64(b, a->arr);
        record_put_u64(b, (uint64_t)a->max_tier);
        record_put_u64(b, a->tiers);
        record_put_u64(b, a->strategic);
        record_put_i64(b, a->tickets_total);
        record_put_i64(b, a->tickets_open);
        record_put_u64(b, a->personal_data);
        record_put_i64(b, a->personal_data_at);
        record_put_i64(b, a->sentiment_count);
        record_put_i64(b, a->sentiment_negative);
        record_put_f64(b, a->sentiment_sum);
        record_put_i64(b, a->last_tick);
        record_put_cstr(b, a->policy);
        record_put_cstr(b, a->notify);
        record_put_i64(b, a->decide_v);
        record_put_i64(b, a->decided_rev);
        record_put_i64(b, a->published_rev);
        record_put_u64(b, a->alerts.cnt);
        for (size_t i = 0; i < a->alerts.cnt; i++) {
                const agg_alert_t *al = &a->alerts.v[i];
                record_put_cstr(b, al->service);
                record_put_u64(b, (uint64_t)al->state);
                record_put_i64(b, al->disruption);
                record_put_i64(b, al->users);
                record_put_f64(b, al->burn);
                record_put_f64(b, al->loss);
                record_put_cstr(b, al->region);
                record_put_u64(b, al->dependent);
        }
        record_put_u64(b, a->impacted.cnt);
        for (size_t i = 0; i < a->impacted.cnt; i++)
                record_put_cstr(b, a->impacted.v[i]);
        record_put_u64(b, a->minutes.cnt);
        for (size_t i = 0; i < a->minutes.cnt; i++) {
                const agg_minute_t *m = &a->minutes.v[i];
                record_put_i64(b, m->minute);
                record_put_i64(b, m->c);
                record_put_i64(b, m->n);
                record_put_i64(b, m->t);
                record_put_f64(b, m->s);
        }
        /* How many entries each set has: a load that finds fewer (a key
         * lost apart from the others) is refused, not half-believed. */
        record_put_u64(b, a->seen.cnt);
        record_put_u64(b, a->accounts.cnt);
        record_put_u64(b, a->tickets.cnt);
        record_put_u64(b, a->segments.cnt);
}

/* An entry's value: its place in the set's order first. */
static void encode_entry(const aggregate_t *a, aggregate_set_t s, size_t i,
                         record_buf_t *b) {
        record_buf_reset(b);
        if (s == AGG_SET_SEEN)
                return;
        record_put_u64(b, i);
        if (s == AGG_SET_ACCOUNTS) {
                const agg_account_t *acct = &a->accounts.v[i];
                record_put_u64(b, (uint64_t)acct->tier);
                record_put_f64(b, acct->arr);
                record_put_u64(b, acct->strategic);
                record_put_u64(b, acct->key_seq);
                record_put_i64(b, acct->tickets);
        } else if (s == AGG_SET_TICKETS) {
                record_put_u64(b, (uint64_t)a->tickets.v[i].status);
        } else {
                record_put_i64(b, a->segments.v[i].count);
        }
}

static const char *entry_name(const aggregate_t *a, aggregate_set_t s, size_t i) {
        switch (s) {
        case AGG_SET_SEEN: return a->seen.v[i];
        case AGG_SET_ACCOUNTS: return a->accounts.v[i].id;
        case AGG_SET_TICKETS: return a->tickets.v[i].id;
        default: return a->segments.v[i].name;
        }
}

int aggregate_changes(const aggregate_t *a, aggregate_set_t s,
                      record_buf_t *scratch, aggregate_entry_fn fn, void *arg) {
        size_t from = 0, n;
        const size_t *idx = NULL;
        if (s == AGG_SET_SEEN) {
                from = a->seen_saved;
                n = a->seen.cnt - from;
        } else {
                idx = a->dirty[s].v;
                n = a->dirty[s].cnt;
        }
        for (size_t k = 0; k < n; k++) {
                size_t i = idx ? idx[k] : from + k;
                const char *name = entry_name(a, s, i);
                encode_entry(a, s, i, scratch);
                if (scratch->failed)
                        return -1;
                int r = fn(arg, name, strlen(name), scratch->p ? scratch->p : "",
                           scratch->len);
                if (r)
                        return r;
        }
        return 0;
}

void aggregate_saved(aggregate_t *a) {
        for (size_t k = 0; k < a->dirty[AGG_SET_ACCOUNTS].cnt; k++)
                a->accounts.v[a->dirty[AGG_SET_ACCOUNTS].v[k]].dirty = false;
        for (size_t k = 0; k < a->dirty[AGG_SET_TICKETS].cnt; k++)
                a->tickets.v[a->dirty[AGG_SET_TICKETS].v[k]].dirty = false;
        for (size_t k = 0; k < a->dirty[AGG_SET_SEGMENTS].cnt; k++)
                a->segments.v[a->dirty[AGG_SET_SEGMENTS].v[k]].dirty = false;
        for (size_t k = 0; k < AGG_SET_COUNT; k++)
                a->dirty[k].cnt = 0;
        a->seen_saved = a->seen.cnt;
}

/* 0 indexed, 1 the key is there already, -1 out of memory. */
static int index_put(strmap_t *m, const char *key, size_t i) {
        size_t got = strmap_get_or_put(m, key, i);
        return got == (size_t)-1 ? -1 : got != i;
}

/* index_put for a record being read: a name twice is malformed. */
static void indexed(strmap_t *m, const char *key, size_t i, record_reader_t *r,
                    bool *ok) {
        int got = index_put(m, key, i);
        if (got < 0)
                *ok = false;
        else if (got)
                r->failed = true;
}

/* A string of the record, copied; `*ok` false when it is malformed or
 * memory ran out.  Absent stays NULL. */
static char *take_str(aggregate_t *a, record_reader_t *r, bool *ok) {
        size_t len;
        const char *s = record_get_str(r, &len);
        if (!s)
                return NULL;
        char *d = memchr(s, '\0', len) ? NULL : copy(a, s, len);
        if (!d)
                *ok = false;
        return d;
}

/* A count of things each at least `min_bytes` long: never more than the
 * record could hold, so a corrupt count cannot ask for terabytes. */
static size_t take_count(record_reader_t *r, size_t min_bytes) {
        uint64_t n = record_get_u64(r);
        if (n > (uint64_t)(r->end - r->p) / min_bytes) {
                r->failed = true;
                return 0;
        }
        return (size_t)n;
}

aggregate_t *aggregate_decode(const char *id, const void *core, size_t len,
                              char *errstr, size_t errstr_size) {
        record_reader_t r;
        bool ok = true;
        aggregate_t *a = aggregate_new(id);
        if (!a) {
                snprintf(errstr, errstr_size, "out of memory loading incident");
                return NULL;
        }
        record_reader_init(&r, core, len);
        uint64_t version = record_get_u64(&r);
        if (version != RECORD_VERSION) {
                snprintf(errstr, errstr_size,
                         "incident record of version %llu, this worker reads %d",
                         (unsigned long long)version, RECORD_VERSION);
                aggregate_destroy(a);
                return NULL;
        }
        a->open = record_get_u64(&r) != 0;
        a->revision = record_get_i64(&r);
        a->root = take_str(a, &r, &ok);
        a->detected_at = record_get_i64(&r);
        a->last_event_at = record_get_i64(&r);
        a->resolved_at = record_get_i64(&r);
        a->triaged_at = record_get_i64(&r);
        a->quiet_since = record_get_i64(&r);
        a->declared_severity = (int)record_get_i64(&r);
        a->accounts_cnt = record_get_i64(&r);
        a->arr = record_get_f64(&r);
        uint64_t tier = record_get_u64(&r);
        a->max_tier = tier < TIER_COUNT ? (customer_tier_t)tier : TIER_NONE;
        a->tiers = (unsigned)record_get_u64(&r);
        a->strategic = record_get_u64(&r) != 0;
        a->tickets_total = record_get_i64(&r);
        a->tickets_open = record_get_i64(&r);
        a->personal_data = record_get_u64(&r) != 0;
        a->personal_data_at = record_get_i64(&r);
        a->sentiment_count = record_get_i64(&r);
        a->sentiment_negative = record_get_i64(&r);
        a->sentiment_sum = record_get_f64(&r);
        a->last_tick = record_get_i64(&r);
        a->policy = take_str(a, &r, &ok);
        a->notify = take_str(a, &r, &ok);
        a->decide_v = record_get_i64(&r);
        a->decided_rev = record_get_i64(&r);
        a->published_rev = record_get_i64(&r);

        size_t n = take_count(&r, 8);
        if (n && (vec_reserve(&a->alerts.v, &a->alerts.cap, n, sizeof(*a->alerts.v))))
                ok = false;
        for (size_t i = 0; ok && !r.failed && i < n; i++) {
                agg_alert_t al = {0};
                al.service = take_str(a, &r, &ok);
                uint64_t st = record_get_u64(&r);
                al.state = st <= ALERT_HANDED_OVER ? (alert_state_t)st : ALERT_QUIET;
                al.disruption = (int)record_get_i64(&r);
                al.users = record_get_i64(&r);
                al.burn = record_get_f64(&r);
                al.loss = record_get_f64(&r);
                al.region = take_str(a, &r, &ok);
                al.dependent = record_get_u64(&r) != 0;
                a->alerts.v[a->alerts.cnt++] = al;
                if (!al.service)
                        r.failed = r.failed || ok;
                else
                        indexed(&a->alerts.idx, al.service, i, &r, &ok);
        }
        n = take_count(&r, 1);
        if (n && vec_reserve(&a->impacted.v, &a->impacted.cap, n, sizeof(*a->impacted.v)))
                ok = false;
        for (size_t i = 0; ok && !r.failed && i < n; i++) {
                char *s = take_str(a, &r, &ok);
                if (!s) {
                        r.failed = r.failed || ok; /* absent: malformed */
                        break;
                }
                a->impacted.v[a->impacted.cnt++] = s;
                indexed(&a->impacted.idx, s, i, &r, &ok);
        }
        n = take_count(&r, 12);
        if (n && vec_reserve(&a->minutes.v, &a->minutes.cap, n, sizeof(*a->minutes.v)))
                ok = false;
        for (size_t i = 0; ok && !r.failed && i < n; i++) {
                agg_minute_t *m = &a->minutes.v[a->minutes.cnt++];
                m->minute = record_get_i64(&r);
                /* The windows search them: out of order is damage. */
                if (i && m->minute <= m[-1].minute)
                        r.failed = true;
                m->c = record_get_i64(&r);
                m->n = record_get_i64(&r);
                m->t = record_get_i64(&r);
                m->s = record_get_f64(&r);
        }
        for (size_t k = 0; k < AGG_SET_COUNT; k++) {
                uint64_t e = record_get_u64(&r);
                /* A count no incident reaches is damage, not a reason to
                 * allocate it. */
                if (e > AGG_MAX_ENTRIES)
                        r.failed = true;
                a->expect[k] = (size_t)e;
        }
        if (!ok || !record_reader_done(&r)) {
                snprintf(errstr, errstr_size, "incident record %s",
                         ok ? "malformed" : "unreadable (out of memory)");
                aggregate_destroy(a);
                return NULL;
        }
        return a;
}

/* Room for the `expect`ed entries of each set, zeroed and counted (so that
 * destroy frees what a failed load filled in): entries land at their place
 * in the order, in whatever order they are read. */
static int load_room(aggregate_t *a, aggregate_set_t s) {
        size_t n = a->expect[s];
        void *v;
        switch (s) {
        case AGG_SET_ACCOUNTS:
                if (a->accounts.cap >= n)
                        return 0;
                v = calloc(n, sizeof(*a->accounts.v));
                a->accounts.v = v;
                a->accounts.cap = a->accounts.cnt = v ? n : 0;
                break;
        case AGG_SET_TICKETS:
                if (a->tickets.cap >= n)
                        return 0;
                v = calloc(n, sizeof(*a->tickets.v));
                a->tickets.v = v;
                a->tickets.cap = a->tickets.cnt = v ? n : 0;
                break;
        default:
                if (a->segments.cap >= n)
                        return 0;
                v = calloc(n, sizeof(*a->segments.v));
                a->segments.v = v;
                a->segments.cap = a->segments.cnt = v ? n : 0;
                break;
        }
        return v ? 0 : -1;
}

int aggregate_load_entry(aggregate_t *a, aggregate_set_t s, const char *field,
                         size_t field_len, const char *value, size_t value_len,
                         char *errstr, size_t errstr_size) {
        record_reader_t r;
        char **slot;
        if (memchr(field, '\0', field_len)) {
                snprintf(errstr, errstr_size, "incident entry holds a NUL byte");
                return -1;
        }
        if (s == AGG_SET_SEEN) {
                char *name;
                if (VEC_GROW(a->seen) || !(name = copy(a, field, field_len)))
                        goto nomem;
                a->seen.v[a->seen.cnt++] = name;
                return 0;
        }
        if (a->expect[s] && load_room(a, s))
                goto nomem;
        record_reader_init(&r, value, value_len);
        uint64_t seq = record_get_u64(&r);
        if (r.failed || seq >= a->expect[s])
                goto malformed;
        if (s == AGG_SET_ACCOUNTS) {
                agg_account_t *acct = &a->accounts.v[seq];
                uint64_t tier = record_get_u64(&r);
                acct->tier = tier < TIER_COUNT ? (customer_tier_t)tier : TIER_NONE;
                acct->arr = record_get_f64(&r);
                acct->strategic = record_get_u64(&r) != 0;
                acct->key_seq = (size_t)record_get_u64(&r);
                acct->tickets = record_get_i64(&r);
                slot = &acct->id;
        } else if (s == AGG_SET_TICKETS) {
                uint64_t st = record_get_u64(&r);
                a->tickets.v[seq].status = st <= TICKET_SOLVED ? (ticket_status_t)st
                                                               : TICKET_SOLVED;
                slot = &a->tickets.v[seq].id;
        } else {
                if (!field_len || !memchr("rvpfa", field[0], 5))
                        goto malformed; /* no segment kind */
                a->segments.v[seq].count = record_get_i64(&r);
                slot = &a->segments.v[seq].name;
        }
        if (!record_reader_done(&r) || *slot) /* malformed, or a place twice */
                goto malformed;
        if (!(*slot = copy(a, field, field_len)))
                goto nomem;
        return 0;
malformed:
        snprintf(errstr, errstr_size, "incident entry '%.*s' malformed",
                 (int)(field_len > 200 ? 200 : field_len), field);
        return -1;
nomem:
        snprintf(errstr, errstr_size, "out of memory loading incident");
        return -1;
}

int aggregate_load_done(aggregate_t *a, char *errstr, size_t errstr_size) {
        size_t keys = 0;
        int r = 0;
        for (aggregate_set_t s = AGG_SET_ACCOUNTS; s < AGG_SET_COUNT; s++)
                if (a->expect[s] && load_room(a, s))
                        goto nomem;
        if (a->seen.cnt != a->expect[AGG_SET_SEEN])
                goto missing;
        /* An entry missing or twice: the sets are not what was stored. */
        for (size_t i = 0; !r && i < a->seen.cnt; i++)
                r = index_put(&a->seen.idx, a->seen.v[i], i);
        for (size_t i = 0; !r && i < a->accounts.cnt; i++) {
                agg_account_t *acct = &a->accounts.v[i];
                if (!acct->id || acct->key_seq > a->accounts.cnt)
                        goto missing;
                r = index_put(&a->accounts.idx, acct->id, i);
                keys += acct->key_seq != 0;
        }
        for (size_t i = 0; !r && i < a->tickets.cnt; i++)
                r = a->tickets.v[i].id ? index_put(&a->tickets.idx, a->tickets.v[i].id, i) : 1;
        for (size_t i = 0; !r && i < a->segments.cnt; i++)
                r = a->segments.v[i].name
                            ? index_put(&a->segments.idx, a->segments.v[i].name, i)
                            : 1;
        if (r < 0)
                goto nomem;
        if (r > 0)
                goto missing;
        if (keys && vec_reserve(&a->key_accounts.v, &a->key_accounts.cap, keys,
                            sizeof(*a->key_accounts.v)))
                goto nomem;
        a->key_accounts.cnt = keys;
        for (size_t i = 0; i < keys; i++)
                a->key_accounts.v[i] = (size_t)-1;
        for (size_t i = 0; i < a->accounts.cnt; i++) {
                size_t k = a->accounts.v[i].key_seq;
                if (!k)
                        continue;
                if (k > keys || a->key_accounts.v[k - 1] != (size_t)-1)
                        goto missing;
                a->key_accounts.v[k - 1] = i;
        }
        a->seen_saved = a->expect[AGG_SET_SEEN];
        a->new_tickets_from = a->new_tickets_to = a->tickets.cnt;
        return 0;
missing:
        snprintf(errstr, errstr_size,
                 "incident entries do not match its record (%zu ids, %zu accounts, "
                 "%zu tickets, %zu segments expected)",
                 a->expect[AGG_SET_SEEN], a->expect[AGG_SET_ACCOUNTS],
                 a->expect[AGG_SET_TICKETS], a->expect[AGG_SET_SEGMENTS]);
        return -1;
nomem:
        snprintf(errstr, errstr_size, "out of memory loading incident");
        return -1;
}
