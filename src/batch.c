/* One poll batch: decode, correlate, apply in Redis, score, produce. */
#include "batch.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "emit.h"
#include "log.h"
#include "score.h"
#include "strmap.h"

#define NONE ((size_t)-1)
#define MAX_ROUNDS 4 /* apply rounds: held sentiment released by new tickets */

typedef struct item {
        event_t ev;
        const rd_kafka_message_t *msg; /* NULL when released from a hold */
        /* Released from a hold: its bytes and where it was held, so it can
         * be removed once applied. */
        char *held_raw;
        size_t held_len;
        route_scope_t held_scope;
        char *held_name;
        correlate_plan_t plan;
        size_t svc, tkt; /* lookups, or NONE */
        size_t next_alert; /* next alert item of the same service lookup */
        char incident[INCIDENT_ID_MAX];
        bool applied, held;
} item_t;

typedef struct lookup {
        route_scope_t scope;
        const char *name;
        size_t first_alert, last_alert; /* alert items routed here, or NONE */
        char candidate[INCIDENT_ID_MAX];
        char incident[INCIDENT_ID_MAX];
} lookup_t;

typedef struct group {
        const char *id;
        size_t *members; /* item indexes, in batch order */
        size_t n, cap;
        incident_t inc;
        score_result_t result;
        emit_escalation_buf_t esc;
        bool escalate;
} group_t;

struct batch {
        const config_t *conf;
        codec_t *codec;
        redis_state_t *rs;
        kafka_io_t *kio;
        item_t **items; /* pool: items[0..n_items) in use */
        size_t n_items, n_loaded, cap_items;
        lookup_t *lookups;
        size_t n_lookups, cap_lookups;
        strmap_t svc_map, tkt_map, group_map;
        group_t *groups;
        size_t n_groups, cap_groups;
        redis_args_t args;
        buf_t out, raw;
        batch_stats_t stats;
};

static void *grow_array(void *p, size_t *cap, size_t need, size_t size) {
        if (need <= *cap)
                return p;
        size_t n = *cap ? *cap * 2 : 64;
        while (n < need)
                n *= 2;
        void *q = realloc(p, n * size);
        if (!q)
                return NULL;
        memset((char *)q + *cap * size, 0, (n - *cap) * size);
        *cap = n;
        return q;
}

batch_t *batch_new(const config_t *conf, codec_t *codec, redis_state_t *rs,
                   kafka_io_t *kio) {
        batch_t *b = calloc(1, sizeof(*b));
        if (!b)
                return NULL;
        b->conf = conf;
        b->codec = codec;
        b->rs = rs;
        b->kio = kio;
        return b;
}

static void item_release(item_t *it) {
        free(it->held_raw);
        free(it->held_name);
        it->held_raw = it->held_name = NULL;
}

void batch_destroy(batch_t *b) {
        if (!b)
                return;
        for (size_t i = 0; i < b->cap_items; i++) {
                if (!b->items[i])
                        continue;
                item_release(b->items[i]);
                free(b->items[i]);
        }
        free(b->items);
        free(b->lookups);
        for (size_t g = 0; g < b->cap_groups; g++) {
                incident_clear(&b->groups[g].inc);
                free(b->groups[g].members);
        }
        free(b->groups);
        strmap_free(&b->svc_map);
        strmap_free(&b->tkt_map);
        strmap_free(&b->group_map);
        redis_args_free(&b->args);
        buf_free(&b->out);
        buf_free(&b->raw);
        free(b);
}

void batch_get_stats(const batch_t *b, batch_stats_t *out) {
        *out = b->stats;
}

/* A fresh item from the pool; events are large, so they are reused. */
static item_t *item_new(batch_t *b) {
        item_t **items = grow_array(b->items, &b->cap_items, b->n_items + 1,
                                    sizeof(*items));
        if (!items)
                return NULL;
        b->items = items;
        item_t *it = items[b->n_items];
        if (!it && !(it = items[b->n_items] = calloc(1, sizeof(*it))))
                return NULL;
        item_release(it);
        it->msg = NULL;
        it->held_len = 0;
        it->svc = it->tkt = NONE;
        it->incident[0] = '\0';
        it->applied = it->held = false;
        b->n_items++;
        return it;
}

void batch_reset(batch_t *b) {
        for (size_t i = 0; i < b->n_items; i++)
                item_release(b->items[i]);
        b->n_items = b->n_loaded = 0;
}

/* ---- load --------------------------------------------------------------- */

static impactd_err_t to_dlq(batch_t *b, const rd_kafka_message_t *m,
                            const char *reason, char *errstr,
                            size_t errstr_size) {
        log_warn("dlq topic=%s partition=%" PRId32 " offset=%" PRId64
                 " reason=\"%s\"", rd_kafka_topic_name(m->rkt), m->partition,
                 m->offset, reason);
        b->stats.dlq++;
        return kafka_io_produce_dlq(b->kio, m, reason, errstr, errstr_size);
}

impactd_err_t batch_load(batch_t *b, rd_kafka_message_t **msgs, size_t n,
                         char *errstr, size_t errstr_size) {
        char why[512];
        impactd_err_t err = IMPACTD_OK;
        batch_reset(b);
        for (size_t i = 0; i < n && !err; i++) {
                const rd_kafka_message_t *m = msgs[i];
                int kind = kafka_io_input_kind(b->kio, m);
                item_t *it = item_new(b);
                if (!it) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return IMPACTD_ERR_NOMEM;
                }
                it->msg = m;
                if (kind < 0)
                        snprintf(why, sizeof(why), "not an input topic");
                else if (!m->payload)
                        snprintf(why, sizeof(why), "tombstone (null value)");
                else if (codec_decode_event(b->codec, (event_kind_t)kind,
                                            m->payload, m->len, &it->ev, why,
                                            sizeof(why)) == IMPACTD_OK &&
                         correlate_plan(&it->ev, &it->plan, why, sizeof(why))) {
                        b->stats.events++;
                        continue;
                }
                b->n_items--; /* the slot is reused */
                err = to_dlq(b, m, why, errstr, errstr_size);
        }
        b->n_loaded = b->n_items;
        return err;
}

/* ---- route -------------------------------------------------------------- */

static size_t lookup_for(batch_t *b, route_scope_t scope, const char *name) {
        strmap_t *map = scope == SCOPE_SERVICE ? &b->svc_map : &b->tkt_map;
        size_t idx = strmap_get_or_put(map, name, b->n_lookups);
        if (idx != b->n_lookups)
                return idx;
        lookup_t *l = grow_array(b->lookups, &b->cap_lookups, b->n_lookups + 1,
                                 sizeof(*l));
        if (!l)
                return NONE;
        b->lookups = l;
        l = &b->lookups[b->n_lookups++];
        l->scope = scope;
        l->name = name;
        l->first_alert = l->last_alert = NONE;
        l->candidate[0] = l->incident[0] = '\0';
        return idx;
}

/* The incident an event names, or that its lookups found.  An alert seen
 * before already has its incident (route filled it in); a ticket or
 * sentiment whose ticket is bound follows the ticket, so updates and
 * replays land where the ticket was counted. */
static void item_assign(batch_t *b, item_t *it) {
        if (it->incident[0])
                return;
        if (it->plan.by_key)
                correlate_incident_id(it->ev.incident_key, it->incident,
                                      sizeof(it->incident));
        else if (it->tkt != NONE && b->lookups[it->tkt].incident[0])
                memcpy(it->incident, b->lookups[it->tkt].incident, INCIDENT_ID_MAX);
        else if (it->svc != NONE && b->lookups[it->svc].incident[0])
                memcpy(it->incident, b->lookups[it->svc].incident, INCIDENT_ID_MAX);
}

static impactd_err_t release_held(batch_t *b, route_scope_t scope,
                                  const char *name, const char *incident,
                                  const redis_route_reply_t *rr);

static impactd_err_t route_round(batch_t *b, char *errstr, size_t errstr_size) {
        b->n_lookups = 0;
        strmap_clear(&b->svc_map);
        strmap_clear(&b->tkt_map);
        for (size_t i = 0; i < b->n_loaded; i++) {
                item_t *it = b->items[i];
                if (it->plan.service)
                        it->svc = lookup_for(b, SCOPE_SERVICE, it->plan.service);
                if (it->plan.ticket)
                        it->tkt = lookup_for(b, SCOPE_TICKET, it->plan.ticket);
                if (it->svc == NONE && it->plan.service)
                        goto nomem;
                if (it->tkt == NONE && it->plan.ticket)
                        goto nomem;
                /* The first firing alert of a service in the batch names
                 * the incident that opens if none is open. */
                lookup_t *l = it->svc != NONE ? &b->lookups[it->svc] : NULL;
                if (l && it->ev.kind == EVENT_ALERT) {
                        it->next_alert = NONE;
                        if (l->last_alert == NONE)
                                l->first_alert = i;
                        else
                                b->items[l->last_alert]->next_alert = i;
                        l->last_alert = i;
                }
                if (l && it->plan.may_open && !l->candidate[0]) {
                        if (it->plan.by_key)
                                correlate_incident_id(it->ev.incident_key,
                                                      l->candidate, INCIDENT_ID_MAX);
                        else
                                correlate_new_incident_id(&it->ev, l->candidate,
                                                          INCIDENT_ID_MAX);
                }
        }
        for (size_t i = 0; i < b->n_lookups; i++) {
                lookup_t *l = &b->lookups[i];
                redis_args_reset(&b->args);
                for (size_t a = l->first_alert; a != NONE;
                     a = b->items[a]->next_alert) {
                        const item_t *al = b->items[a];
                        bool firing = al->ev.u.alert.status == ALERT_FIRING;
                        if (al->plan.by_key && !firing)
                                continue; /* its key says where it goes */
                        redis_args_addf(&b->args, "%c:%s",
                                        al->plan.by_key ? 'K' : firing ? 'F' : 'R',
                                        al->ev.event_id);
                }
                redis_state_append_route(b->rs, l->scope, l->name, l->candidate,
                                         &b->args);
        }
        if (b->n_lookups)
                b->stats.redis_rounds++;
        for (size_t i = 0; i < b->n_lookups; i++) {
                redis_route_reply_t rr;
                lookup_t *l = &b->lookups[i];
                impactd_err_t err = redis_state_read_route(b->rs, &rr, errstr,
                                                           errstr_size);
                if (err)
                        return err;
                memcpy(l->incident, rr.incident_id, INCIDENT_ID_MAX);
                size_t k = 0;
                for (size_t a = l->first_alert; a != NONE && k < rr.alerts_cnt;
                     a = b->items[a]->next_alert) {
                        item_t *al = b->items[a];
                        if (al->plan.by_key &&
                            al->ev.u.alert.status != ALERT_FIRING)
                                continue;
                        size_t n = rr.alert_incident_lens[k];
                        if (n && !al->plan.by_key && n < INCIDENT_ID_MAX) {
                                memcpy(al->incident, rr.alert_incidents[k], n);
                                al->incident[n] = '\0';
                        }
                        k++;
                }
                if (rr.held_cnt && (err = release_held(b, l->scope, l->name,
                                                       l->incident, &rr)))
                        goto nomem;
        }
        for (size_t i = 0; i < b->n_loaded; i++)
                item_assign(b, b->items[i]);
        return IMPACTD_OK;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        return IMPACTD_ERR_NOMEM;
}

static event_kind_t held_kind(char c) {
        return c == 'a' ? EVENT_ALERT : c == 't' ? EVENT_TICKET : EVENT_SENTIMENT;
}

/* Held events were valid when held; they join `incident` now. */
static impactd_err_t release_held(batch_t *b, route_scope_t scope,
                                  const char *name, const char *incident,
                                  const redis_route_reply_t *rr) {
        char why[512];
        for (size_t h = 0; h < rr->held_cnt; h++) {
                item_t *it = item_new(b);
                if (!it)
                        return IMPACTD_ERR_NOMEM;
                it->held_raw = malloc(rr->held_lens[h] + 1);
                it->held_name = strdup(name);
                if (!it->held_raw || !it->held_name)
                        return IMPACTD_ERR_NOMEM;
                memcpy(it->held_raw, rr->held[h], rr->held_lens[h]);
                it->held_len = rr->held_lens[h];
                it->held_scope = scope;
                memcpy(it->incident, incident, INCIDENT_ID_MAX);
                if (it->held_len < 2 ||
                    codec_decode_event(b->codec, held_kind(it->held_raw[0]),
                                       it->held_raw + 1, it->held_len - 1,
                                       &it->ev, why, sizeof(why)) != IMPACTD_OK) {
                        /* Only a schema removed from the config since it
                         * was held gets here; it is applied as nothing and
                         * removed below with the others. */
                        log_error("held event for %s no longer decodes: %s",
                                  name, why);
                        it->applied = true;
                }
        }
        return IMPACTD_OK;
}

static impactd_err_t hold_round(batch_t *b, char *errstr, size_t errstr_size) {
        static const char kind_char[EVENT_KIND_COUNT] = {'a', 't', 's'};
        size_t held = 0;
        for (size_t i = 0; i < b->n_loaded; i++) {
                item_t *it = b->items[i];
                if (it->incident[0])
                        continue;
                /* Sentiment waits on its ticket when it names one: binding
                 * the ticket releases it. */
                route_scope_t scope = it->ev.kind == EVENT_SENTIMENT && it->tkt != NONE
                                              ? SCOPE_TICKET
                                              : SCOPE_SERVICE;
                const char *name = scope == SCOPE_TICKET ? it->plan.ticket
                                                         : it->plan.service;
                if (it->ev.kind == EVENT_ALERT) {
                        /* A resolve for a service with no open incident:
                         * holding it would close the next incident there. */
                        log_info("alert event_id=%s resolves service %s, "
                                 "which has no open incident: nothing to do",
                                 it->ev.event_id, it->ev.service);
                        it->applied = true;
                        continue;
                }
                buf_reset(&b->raw);
                if (buf_append(&b->raw, &kind_char[it->ev.kind], 1) ||
                    buf_append(&b->raw, it->msg->payload, it->msg->len)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return IMPACTD_ERR_NOMEM;
                }
                const char *raw = b->raw.data;
                redis_state_append_hold(b->rs, scope, name, &raw, &b->raw.len, 1);
                it->held = true;
                held++;
        }
        if (!held)
                return IMPACTD_OK;
        b->stats.redis_rounds++;
        for (size_t i = 0; i < b->n_loaded; i++) {
                item_t *it = b->items[i];
                if (!it->held)
                        continue;
                impactd_err_t err = redis_state_read_hold(b->rs, it->incident,
                                                          errstr, errstr_size);
                if (err)
                        return err;
                if (it->incident[0]) { /* opened meanwhile: apply it now */
                        it->held = false;
                        continue;
                }
                b->stats.held++;
                bool on_ticket = it->ev.kind == EVENT_SENTIMENT && it->tkt != NONE;
                log_info("held %s event_id=%s for %s %s: no incident yet",
                         event_kind_name(it->ev.kind), it->ev.event_id,
                         on_ticket ? "ticket" : "service",
                         on_ticket ? it->plan.ticket : it->plan.service);
        }
        return IMPACTD_OK;
}

/* ---- apply -------------------------------------------------------------- */

static const char *str_or_empty(const char *s) {
        return s ? s : "";
}

static int add_str(redis_args_t *a, const char *s) {
        s = str_or_empty(s);
        return redis_args_add(a, s, strlen(s));
}

static int pack_alert(redis_args_t *a, const event_t *ev) {
        const event_alert_t *al = &ev->u.alert;
        int r = redis_args_add(a, "A", 1) | add_str(a, ev->event_id) |
                add_str(a, ev->service) |
                redis_args_add(a, al->status == ALERT_FIRING ? "F" : "R", 1);
        r |= (ev->has & HAS_DISRUPTION) ? redis_args_addf(a, "%d", al->disruption)
                                        : add_str(a, NULL);
        r |= (ev->has & HAS_DECLARED_SEVERITY)
                     ? redis_args_addf(a, "%d", al->declared_severity)
                     : add_str(a, NULL);
        r |= (ev->has & HAS_AFFECTED_USERS)
                     ? redis_args_addf(a, "%" PRId64, al->affected_users)
                     : add_str(a, NULL);
        r |= (ev->has & HAS_SLO_BURN_RATE)
                     ? redis_args_addf(a, "%.17g", al->slo_burn_rate)
                     : add_str(a, NULL);
        r |= (ev->has & HAS_REVENUE_LOSS)
                     ? redis_args_addf(a, "%.17g", al->revenue_loss_per_hour)
                     : add_str(a, NULL);
        return r | redis_args_addf(a, "%" PRId64, ev->occurred_at);
}

/* Event fields win over the account catalog. */
static int pack_ticket(const config_t *conf, redis_args_t *a,
                       const event_t *ev) {
        static const char *const status_code[] = {"O", "R", "S"};
        const event_ticket_t *t = &ev->u.ticket;
        const config_account_t *acct = config_account_find(conf, t->account_id);
        customer_tier_t tier = (ev->has & HAS_CUSTOMER_TIER) ? t->customer_tier
                               : acct ? acct->tier : TIER_NONE;
        int r = redis_args_add(a, "T", 1) | add_str(a, ev->event_id) |
                add_str(a, t->ticket_id) | add_str(a, t->account_id);
        r |= tier != TIER_NONE ? redis_args_addf(a, "%d", tier) : add_str(a, NULL);
        if (ev->has & HAS_ARR)
                r |= redis_args_addf(a, "%.17g", t->arr);
        else if (acct && acct->arr >= 0)
                r |= redis_args_addf(a, "%.17g", acct->arr);
        else
                r |= add_str(a, NULL);
        if (ev->has & HAS_STRATEGIC)
                r |= add_str(a, t->strategic ? "1" : "0");
        else
                r |= add_str(a, acct && acct->strategic ? "1" : NULL);
        r |= add_str(a, ev->region) | add_str(a, t->product_version) |
             add_str(a, t->platform) | add_str(a, t->feature) |
             add_str(a, status_code[t->status]) |
             add_str(a, t->personal_data_at_risk ? "1" : "0");
        return r | redis_args_addf(a, "%" PRId64, ev->occurred_at);
}

static int pack_sentiment(const config_t *conf, redis_args_t *a,
                          const event_t *ev) {
        const event_sentiment_t *s = &ev->u.sentiment;
        bool negative = s->score < conf->scoring.sentiment_negative_below;
        return redis_args_add(a, "S", 1) | add_str(a, ev->event_id) |
               add_str(a, s->account_id) |
               redis_args_addf(a, "%.17g", s->score) |
               add_str(a, negative ? "1" : "0") |
               redis_args_addf(a, "%" PRId64, ev->occurred_at);
}

static int pack_event(const config_t *conf, redis_args_t *a, const event_t *ev) {
        switch (ev->kind) {
        case EVENT_ALERT: return pack_alert(a, ev);
        case EVENT_TICKET: return pack_ticket(conf, a, ev);
        default: return pack_sentiment(conf, a, ev);
        }
}

/* Groups the items that have an incident and are not applied yet. */
static impactd_err_t make_groups(batch_t *b) {
        for (size_t g = 0; g < b->n_groups; g++)
                b->groups[g].n = 0;
        b->n_groups = 0;
        strmap_clear(&b->group_map);
        for (size_t i = 0; i < b->n_items; i++) {
                item_t *it = b->items[i];
                if (it->applied || it->held || !it->incident[0])
                        continue;
                size_t g = strmap_get_or_put(&b->group_map, it->incident,
                                             b->n_groups);
                if (g == NONE)
                        return IMPACTD_ERR_NOMEM;
                if (g == b->n_groups) {
                        group_t *gs = grow_array(b->groups, &b->cap_groups,
                                                 g + 1, sizeof(*gs));
                        if (!gs)
                                return IMPACTD_ERR_NOMEM;
                        b->groups = gs;
                        b->groups[g].id = it->incident;
                        b->n_groups++;
                }
                group_t *grp = &b->groups[g];
                size_t *m = grow_array(grp->members, &grp->cap, grp->n + 1,
                                       sizeof(*m));
                if (!m)
                        return IMPACTD_ERR_NOMEM;
                grp->members = m;
                grp->members[grp->n++] = i;
        }
        return IMPACTD_OK;
}

static void append_group(batch_t *b, group_t *grp) {
        int window_min = (int)(b->conf->scoring.trend_window_ms / 60000);
        redis_args_reset(&b->args);
        for (size_t k = 0; k < grp->n; k++)
                if (pack_event(b->conf, &b->args, &b->items[grp->members[k]]->ev))
                        log_error("incident=%s: cannot pack event: out of memory",
                                  grp->id);
        redis_state_append_apply(b->rs, grp->id, window_min > 0 ? window_min : 1,
                                 &b->args);
        for (size_t k = 0; k < grp->n; k++) {
                item_t *it = b->items[grp->members[k]];
                const char *raw = it->held_raw;
                if (raw) /* after the apply, in the same pipeline */
                        redis_state_append_unhold(b->rs, it->held_scope,
                                                  it->held_name, &raw,
                                                  &it->held_len, 1);
        }
}

static impactd_err_t read_group(batch_t *b, group_t *grp, char *errstr,
                                size_t errstr_size) {
        impactd_err_t err = redis_state_read_apply(b->rs, &grp->inc, errstr,
                                                   errstr_size);
        if (err)
                return err;
        snprintf(grp->inc.id, sizeof(grp->inc.id), "%s", grp->id);
        for (size_t k = 0; k < grp->n; k++) {
                item_t *it = b->items[grp->members[k]];
                it->applied = true;
                if (it->held_raw &&
                    (err = redis_state_read_status(b->rs, errstr, errstr_size)))
                        return err;
        }
        b->stats.applies++;
        b->stats.duplicates += (uint64_t)grp->inc.dups;
        return IMPACTD_OK;
}

/* ---- after apply: score, outputs, claims, binds, closes ------------------ */

static impactd_err_t produce_scored(batch_t *b, group_t *grp, char *errstr,
                                    size_t errstr_size) {
        const incident_t *inc = &grp->inc;
        score_input_t in;
        scored_t scored;
        emit_score_input(b->conf, inc, &in);
        score_compute(&b->conf->scoring, &in, &grp->result);
        emit_scored(inc, &grp->result, &scored);
        impactd_err_t err = codec_encode_scored(
                b->codec, b->conf->kafka.output_format[TOPIC_SCORED], &scored,
                &b->out, errstr, errstr_size);
        if (!err)
                err = kafka_io_produce(b->kio, TOPIC_SCORED, inc->id,
                                       b->out.data, b->out.len, errstr,
                                       errstr_size);
        if (err)
                return err;
        b->stats.scored++;
        const score_result_t *r = &grp->result;
        log_info("scored incident=%s rev=%" PRId64 " status=%s score=%.1f "
                 "level=%d class=%s users=%" PRId64 " accounts=%" PRId64
                 " arr_at_risk=%.0f tickets=%" PRId64 " sentiment=%.2f/%" PRId64
                 " confidence=%s", inc->id, inc->revision,
                 inc->open ? "OPEN" : "RESOLVED", r->score, r->level,
                 impact_class_name(r->impact_class), scored.affected_users,
                 inc->affected_accounts, inc->arr_at_risk, inc->tickets_total,
                 r->sentiment_mean, inc->sentiment_count,
                 confidence_name(r->confidence));
        return IMPACTD_OK;
}

/* Appends the follow-up calls of one applied incident; returns how many. */
static size_t append_after(batch_t *b, group_t *grp) {
        const incident_t *inc = &grp->inc;
        size_t n = 0;
        grp->escalate = inc->changed &&
                        emit_level_escalation(inc, &grp->result, &grp->esc);
        if (grp->escalate) {
                redis_state_append_claim(b->rs, inc->id, grp->esc.id,
                                         grp->esc.esc.to_level,
                                         inc->last_event_at);
                n++;
        }
        for (size_t t = 0; t < inc->new_tickets_cnt; t++, n++)
                redis_state_append_bind(b->rs, inc->new_tickets[t], inc->id);
        /* A resolved incident keeps no service: a replayed firing alert may
         * have pointed one back at it in the route round. */
        if (!inc->open)
                for (size_t s = 0; s < inc->services_cnt; s++, n++)
                        redis_state_append_close(b->rs, inc->services[s], inc->id);
        return n;
}

static impactd_err_t read_claim(batch_t *b, group_t *grp, char *errstr,
                                size_t errstr_size) {
        bool claimed;
        int prev;
        impactd_err_t err = redis_state_read_claim(b->rs, &claimed, &prev,
                                                   errstr, errstr_size);
        if (err || !claimed)
                return err; /* another worker, or a replay, paged it */
        escalation_t *e = &grp->esc.esc;
        e->from_level = prev <= 5 ? prev : 0;
        if ((err = codec_encode_escalation(
                     b->codec, b->conf->kafka.output_format[TOPIC_ESCALATIONS],
                     e, &b->out, errstr, errstr_size)) ||
            (err = kafka_io_produce(b->kio, TOPIC_ESCALATIONS, e->incident_id,
                                    b->out.data, b->out.len, errstr,
                                    errstr_size)))
                return err;
        b->stats.escalations++;
        char from[8] = "none";
        if (e->from_level)
                snprintf(from, sizeof(from), "%d", e->from_level);
        log_warn("escalation incident=%s level=%s->%d target=%s reason=%s "
                 "id=%s: %s", e->incident_id, from, e->to_level, e->target,
                 e->reason, e->escalation_id, e->summary);
        return IMPACTD_OK;
}

static impactd_err_t read_after(batch_t *b, group_t *grp, char *errstr,
                                size_t errstr_size) {
        const incident_t *inc = &grp->inc;
        impactd_err_t err = IMPACTD_OK;
        if (grp->escalate && (err = read_claim(b, grp, errstr, errstr_size)))
                return err;
        for (size_t t = 0; t < inc->new_tickets_cnt; t++) {
                redis_route_reply_t rr;
                if ((err = redis_state_read_route(b->rs, &rr, errstr, errstr_size)))
                        return err;
                if (rr.held_cnt &&
                    (err = release_held(b, SCOPE_TICKET, inc->new_tickets[t],
                                        inc->id, &rr))) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return err;
                }
        }
        if (!inc->open)
                for (size_t s = 0; s < inc->services_cnt; s++)
                        if ((err = redis_state_read_status(b->rs, errstr,
                                                           errstr_size)))
                                return err;
        if (inc->resolved_now)
                log_info("resolved incident=%s root=%s", inc->id,
                         inc->root_service);
        return IMPACTD_OK;
}

/* One apply round and its follow-ups; *more is set when binds released
 * held events that need another round. */
static impactd_err_t apply_round(batch_t *b, bool *more, char *errstr,
                                 size_t errstr_size) {
        impactd_err_t err;
        size_t before = b->n_items, follow = 0;
        *more = false;
        if ((err = make_groups(b))) {
                snprintf(errstr, errstr_size, "out of memory");
                return err;
        }
        if (!b->n_groups)
                return IMPACTD_OK;
        for (size_t g = 0; g < b->n_groups; g++)
                append_group(b, &b->groups[g]);
        b->stats.redis_rounds++;
        for (size_t g = 0; g < b->n_groups; g++)
                if ((err = read_group(b, &b->groups[g], errstr, errstr_size)))
                        return err;
        for (size_t g = 0; g < b->n_groups; g++) {
                group_t *grp = &b->groups[g];
                if (grp->inc.changed &&
                    (err = produce_scored(b, grp, errstr, errstr_size)))
                        return err;
                follow += append_after(b, grp);
        }
        if (!follow)
                return IMPACTD_OK;
        b->stats.redis_rounds++;
        for (size_t g = 0; g < b->n_groups; g++)
                if ((err = read_after(b, &b->groups[g], errstr, errstr_size)))
                        return err;
        *more = b->n_items > before;
        return IMPACTD_OK;
}

/* Items released from holds are dropped: a retry fetches them again. */
static void restart(batch_t *b) {
        for (size_t i = b->n_loaded; i < b->n_items; i++)
                item_release(b->items[i]);
        b->n_items = b->n_loaded;
        for (size_t i = 0; i < b->n_items; i++) {
                item_t *it = b->items[i];
                it->svc = it->tkt = NONE;
                it->incident[0] = '\0';
                it->applied = it->held = false;
        }
}

impactd_err_t batch_apply(batch_t *b, char *errstr, size_t errstr_size) {
        impactd_err_t err;
        bool more = true;
        restart(b);
        if ((err = route_round(b, errstr, errstr_size)) ||
            (err = hold_round(b, errstr, errstr_size)))
                goto out;
        for (int round = 0; more && round < MAX_ROUNDS; round++)
                if ((err = apply_round(b, &more, errstr, errstr_size)))
                        goto out;
        /* Anything still unapplied stays held in Redis and is picked up by
         * the next batch that routes its service or ticket. */
out:
        if (err)
                redis_state_discard(b->rs);
        return err;
}
