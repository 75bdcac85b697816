/* Events -> the packed FCALL arguments of impactd_apply (layout in
 * impactd.lua), with the account catalog filled in. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"

static const char *str_or_empty(const char *s) {
        return s ? s : "";
}

static int add_str(redis_args_t *a, const char *s) {
        s = str_or_empty(s);
        return redis_args_add(a, s, strlen(s));
}

/* Exact, in as few digits as that takes: Redis keeps what it is sent. */
static int add_double(redis_args_t *a, double d) {
        char buf[40];
        impactd_fmt_double(buf, sizeof(buf), d);
        return redis_args_addf(a, "%s", buf);
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
                     ? add_double(a, al->slo_burn_rate)
                     : add_str(a, NULL);
        r |= (ev->has & HAS_REVENUE_LOSS)
                     ? add_double(a, al->revenue_loss_per_hour)
                     : add_str(a, NULL);
        r |= add_str(a, ev->region);
        return r | redis_args_addf(a, "%" PRId64, ev->occurred_at);
}

/* The account as this batch read it from Redis, or NULL. */
static const redis_account_t *redis_account(const batch_t *b, const char *id) {
        size_t i = strmap_get(&b->acct_map, id);
        if (i == NONE || !b->accounts[i].acct.found)
                return NULL;
        return &b->accounts[i].acct;
}

/* Event fields win over the Redis hash, which wins over the YAML
 * (account_facts_t: include/aggregate.h). */
static void account_facts(const batch_t *b, const event_t *ev,
                          account_facts_t *f) {
        const event_ticket_t *t = &ev->u.ticket;
        const config_account_t *yaml = config_account_find(b->conf, t->account_id);
        const redis_account_t *kv = redis_account(b, t->account_id);
        memset(f, 0, sizeof(*f));
        f->tier = f->sla = TIER_NONE;
        f->arr = -1;
        f->strategic = -1;
        if (yaml) {
                f->tier = yaml->tier;
                f->sla = yaml->sla;
                f->arr = yaml->arr;
                f->strategic = yaml->strategic;
        }
        if (kv) {
                if (kv->tier != TIER_NONE)
                        f->tier = kv->tier;
                if (kv->sla != TIER_NONE)
                        f->sla = kv->sla;
                if (kv->arr >= 0)
                        f->arr = kv->arr;
                if (kv->strategic >= 0)
                        f->strategic = kv->strategic;
        }
        if (ev->has & HAS_CUSTOMER_TIER)
                f->tier = t->customer_tier;
        if (ev->has & HAS_ARR)
                f->arr = t->arr;
        if (ev->has & HAS_STRATEGIC)
                f->strategic = t->strategic;
        f->prefix = batch_account_prefix(b->conf, t->account_id, &f->prefix_len);
}

const char *batch_account_prefix(const config_t *conf, const char *id,
                                 size_t *len) {
        const char *seps = conf->segments.account_prefix_separators;
        *len = 0;
        if (!seps || !*seps || !id)
                return NULL;
        size_t n = strcspn(id, seps);
        if (!id[n] || n == 0)
                return NULL;
        *len = n;
        return id;
}

static int pack_ticket(redis_args_t *a, const event_t *ev,
                       const account_facts_t *facts) {
        static const char *const status_code[] = {"O", "R", "S"};
        const event_ticket_t *t = &ev->u.ticket;
        account_facts_t f = *facts;
        int r = redis_args_add(a, "T", 1) | add_str(a, ev->event_id) |
                add_str(a, t->ticket_id) | add_str(a, t->account_id);
        r |= f.tier != TIER_NONE ? redis_args_addf(a, "%d", f.tier)
                                 : add_str(a, NULL);
        r |= f.arr >= 0 ? add_double(a, f.arr) : add_str(a, NULL);
        /* Only a known "yes" is sent: an account is never un-flagged by a
         * later ticket that does not say. */
        r |= add_str(a, f.strategic == 1 ? "1" : f.strategic == 0 ? "0" : NULL);
        r |= add_str(a, ev->region) | add_str(a, t->product_version) |
             add_str(a, t->platform) | add_str(a, t->feature) |
             (f.prefix ? redis_args_add(a, f.prefix, f.prefix_len) : add_str(a, NULL)) |
             add_str(a, status_code[t->status]) |
             add_str(a, t->personal_data_at_risk ? "1" : "0");
        r |= f.sla != TIER_NONE ? redis_args_addf(a, "%d", f.sla)
                                : add_str(a, NULL);
        return r | redis_args_addf(a, "%" PRId64, ev->occurred_at);
}

static int pack_sentiment(const config_t *conf, redis_args_t *a,
                          const event_t *ev) {
        const event_sentiment_t *s = &ev->u.sentiment;
        bool negative = s->score < conf->scoring.sentiment_negative_below;
        return redis_args_add(a, "S", 1) | add_str(a, ev->event_id) |
               add_str(a, s->account_id) |
               add_double(a, s->score) |
               add_str(a, negative ? "1" : "0") |
               redis_args_addf(a, "%" PRId64, ev->occurred_at);
}

int batch_pack_event_facts(const config_t *conf, redis_args_t *a,
                           const event_t *ev, const account_facts_t *facts) {
        switch (ev->kind) {
        case EVENT_ALERT: return pack_alert(a, ev);
        case EVENT_TICKET: return pack_ticket(a, ev, facts);
        default: return pack_sentiment(conf, a, ev);
        }
}

int batch_pack_event(batch_t *b, const event_t *ev) {
        account_facts_t f = {.tier = TIER_NONE, .sla = TIER_NONE, .arr = -1,
                             .strategic = -1};
        if (ev->kind == EVENT_TICKET)
                account_facts(b, ev, &f);
        return batch_pack_event_facts(b->conf, &b->args, ev, &f);
}

/* ---- accounts kept in Redis by another system ---------------------------- */

size_t batch_append_accounts(batch_t *b, size_t from) {
        size_t n = 0;
        if (!b->conf->accounts_from_redis)
                return 0;
        for (size_t i = from; i < b->n_items; i++) {
                const item_t *it = b->items[i];
                if (it->ev.kind != EVENT_TICKET || it->applied)
                        continue;
                const char *id = it->ev.u.ticket.account_id;
                size_t idx = strmap_get_or_put(&b->acct_map, id, b->n_accounts);
                if (idx != b->n_accounts)
                        continue; /* read already, or NONE: packed from YAML */
                account_slot_t *slots = batch_grow(b->accounts, &b->cap_accounts,
                                                   b->n_accounts + 1,
                                                   sizeof(*slots));
                if (!slots)
                        break;
                b->accounts = slots;
                slots[b->n_accounts].id = id;
                slots[b->n_accounts].acct.found = false;
                b->n_accounts++;
                redis_state_append_account(b->rs, id);
                n++;
        }
        return n;
}

impactd_err_t batch_read_accounts(batch_t *b, size_t n, char *errstr,
                                  size_t errstr_size) {
        for (size_t k = b->n_accounts - n; k < b->n_accounts; k++) {
                impactd_err_t err = redis_state_read_account(
                        b->rs, &b->accounts[k].acct, errstr, errstr_size);
                if (err)
                        return err;
        }
        return IMPACTD_OK;
}
