/* One poll batch: decode, correlate, apply in Redis, score, produce.
 * Packing is in batch_pack.c, what follows an apply in batch_after.c. */
#include "batch.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "failpoint.h"
#include "log.h"

const char batch_kind_char[EVENT_KIND_COUNT] = {'a', 't', 's'};

#define MAX_ROUNDS 4 /* apply rounds: held events released by new tickets,
                        dependents and take-overs */
#define SLICE_GROUPS 1000 /* incidents per pipelined slice (run_groups) */

/* Reallocates `p` to `n` entries, the new ones zeroed. */
static void *resize_zeroed(void *p, size_t *cap, size_t n, size_t size) {
        void *q = realloc(p, n * size);
        if (!q)
                return NULL;
        memset((char *)q + *cap * size, 0, (n - *cap) * size);
        *cap = n;
        return q;
}

void *batch_grow(void *p, size_t *cap, size_t need, size_t size) {
        if (need <= *cap)
                return p;
        /* Small first: most arrays grown here are per group (members,
         * outputs, services added), a few entries each, thousands of them. */
        size_t n = *cap ? *cap * 2 : 4;
        while (n < need)
                n *= 2;
        return resize_zeroed(p, cap, n, size);
}

batch_t *batch_new(const config_t *conf, codec_t *codec, redis_state_t *rs,
                   kafka_io_t *kio, outbox_t *outbox, char *errstr,
                   size_t errstr_size) {
        batch_t *b = calloc(1, sizeof(*b));
        if (!b) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        b->conf = conf;
        b->codec = codec;
        b->rs = rs;
        b->kio = kio;
        b->outbox = outbox;
        if (!(b->graph = graph_new(conf, errstr, errstr_size)))
                goto fail;
        size_t n = graph_size(b->graph);
        b->marked = calloc(n + 1, 1);
        b->walk = calloc(n + 1, sizeof(*b->walk));
        if (!b->marked || !b->walk) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        for (size_t i = 0; i < n; i++)
                b->catalog_users += graph_users(b->graph, i);
        if (batch_decide_init(b, errstr, errstr_size))
                goto fail;
        b->slice_groups = (size_t)FAILPOINT_VALUE("slice.groups", SLICE_GROUPS);
        return b;
fail:
        batch_destroy(b);
        return NULL;
}

static void carry_clear(carry_t *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->v[i].name);
        c->n = 0;
}

static void carry_free(carry_t *c) {
        carry_clear(c);
        free(c->v);
}

/* Once per name, however often a retried round adds it. */
static int carry_add(carry_t *c, route_scope_t scope, const char *name) {
        for (size_t i = 0; i < c->n; i++)
                if (c->v[i].scope == scope && !strcmp(c->v[i].name, name))
                        return 0;
        carried_t *v = batch_grow(c->v, &c->cap, c->n + 1, sizeof(*v));
        if (!v)
                return -1;
        c->v = v;
        if (!(v[c->n].name = strdup(name)))
                return -1;
        v[c->n++].scope = scope;
        return 0;
}

bool batch_has_carry(const batch_t *b) {
        return b->carry_next.n > 0;
}

void batch_drop_carry(batch_t *b) {
        for (size_t i = 0; i < b->carry.n; i++)
                log_error("held events of %s %s stay held until its next "
                          "event: releasing them failed",
                          b->carry.v[i].scope == SCOPE_SERVICE ? "service"
                                                               : "ticket",
                          b->carry.v[i].name);
        carry_clear(&b->carry);
        carry_clear(&b->carry_next);
}

size_t batch_loaded(const batch_t *b) {
        return b->n_loaded;
}

/* Spreads about a batch's worth of held events over the calls that may
 * release some; a few per call at least, so that many small holds do not
 * take a batch each. */
#define HELD_LIMIT_MIN 16

size_t batch_held_limit(const batch_t *b, size_t calls) {
        size_t budget = (size_t)b->conf->kafka.batch_max_messages;
        size_t per = calls ? budget / calls : budget;
        return per > HELD_LIMIT_MIN ? per : HELD_LIMIT_MIN;
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
                event_free_spill(&b->items[i]->ev);
                free(b->items[i]);
        }
        free(b->items);
        free(b->lookups);
        for (size_t g = 0; g < b->cap_groups; g++) {
                free(b->groups[g].members);
                free(b->groups[g].added);
        }
        for (size_t s = 0; s < b->cap_states; s++) {
                incident_clear(&b->states[s].inc);
                free(b->states[s].ctx.impacted);
        }
        batch_decide_free(b);
        free(b->groups);
        free(b->states);
        free(b->accounts);
        free(b->parts);
        graph_destroy(b->graph);
        free(b->marked);
        free(b->walk);
        strmap_free(&b->acct_map);
        strmap_free(&b->svc_map);
        strmap_free(&b->tkt_map);
        strmap_free(&b->group_map);
        carry_free(&b->carry);
        carry_free(&b->carry_next);
        strpool_free(&b->ids);
        redis_args_free(&b->args);
        buf_free(&b->out);
        buf_free(&b->raw);
        free(b);
}

void batch_get_stats(const batch_t *b, batch_stats_t *out) {
        *out = b->stats;
}

/* A fresh item from the pool; events are large, so they are reused. */
item_t *batch_item_new(batch_t *b) {
        item_t **items = batch_grow(b->items, &b->cap_items, b->n_items + 1,
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
        it->incident = NULL;
        it->applied = it->held = false;
        b->n_items++;
        return it;
}

void batch_reset(batch_t *b) {
        for (size_t i = 0; i < b->n_items; i++)
                item_release(b->items[i]);
        b->n_items = b->n_loaded = 0;
        for (size_t g = 0; g < b->n_groups; g++)
                b->groups[g].id = NULL;
        strpool_reset(&b->ids);
}

/* ---- load --------------------------------------------------------------- */

/* Counts a DLQ entry under its kind of reason. */
static void count_dlq_kind(batch_stats_t *s, const char *reason) {
        char kind[sizeof(s->dlq_kinds[0].kind)];
        size_t n = strcspn(reason, ":(0123456789");
        while (n > 0 && reason[n - 1] == ' ')
                n--;
        if (n >= sizeof(kind))
                n = sizeof(kind) - 1;
        memcpy(kind, reason, n);
        kind[n] = '\0';
        if (!n)
                snprintf(kind, sizeof(kind), "other");
        size_t i;
        for (i = 0; i < s->dlq_kinds_cnt; i++)
                if (!strcmp(s->dlq_kinds[i].kind, kind))
                        break;
        if (i == s->dlq_kinds_cnt) {
                if (s->dlq_kinds_cnt == DLQ_KINDS_MAX) {
                        i = DLQ_KINDS_MAX - 1;
                        snprintf(s->dlq_kinds[i].kind, sizeof(kind), "other");
                } else {
                        memcpy(s->dlq_kinds[i].kind, kind, sizeof(kind));
                        s->dlq_kinds_cnt++;
                }
        }
        s->dlq_kinds[i].count++;
}

impactd_err_t batch_dead_letter(batch_t *b, const rd_kafka_message_t *m,
                                const char *reason, char *errstr,
                                size_t errstr_size) {
        log_warn("dlq topic=%s partition=%" PRId32 " offset=%" PRId64
                 " reason=\"%s\"", rd_kafka_topic_name(m->rkt), m->partition,
                 m->offset, reason);
        b->stats.dlq++;
        count_dlq_kind(&b->stats, reason);
        return kafka_io_produce_dlq(b->kio, m, reason, errstr, errstr_size);
}

/* An event from further ahead than any clock skew explains would make
 * its incident older than it is, and hold its deadlines back: it is
 * judged on the wall clock, which the incident clock may lag. */
static bool too_far_ahead(const batch_t *b, const event_t *ev, char *why,
                          size_t why_size) {
        int64_t max_s = b->conf->limits.max_future_s;
        int64_t ahead = ev->occurred_at - impactd_now_ms();
        if (max_s <= 0 || ahead <= max_s * 1000)
                return false;
        snprintf(why, why_size,
                 "field 'occurred_at': %" PRId64 " is %" PRId64 " s ahead of "
                 "the clock, more than limits.max_future_s (%" PRId64 ")",
                 ev->occurred_at, ahead / 1000, max_s);
        return true;
}

impactd_err_t batch_load(batch_t *b, rd_kafka_message_t **msgs, size_t n,
                         batch_load_mode_t mode, char *errstr,
                         size_t errstr_size) {
        char why[512];
        impactd_err_t err = IMPACTD_OK;
        batch_reset(b);
        if (mode == BATCH_LOAD) {
                carry_t done = b->carry;
                b->carry = b->carry_next;
                b->carry_next = done;
                carry_clear(&b->carry_next);
        }
        for (size_t i = 0; i < n && !err; i++) {
                const rd_kafka_message_t *m = msgs[i];
                int kind = kafka_io_input_kind(b->kio, m);
                item_t *it = batch_item_new(b);
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
                         !too_far_ahead(b, &it->ev, why, sizeof(why)) &&
                         correlate_plan(&it->ev, &it->plan, why, sizeof(why))) {
                        b->stats.events++;
                        continue;
                }
                b->n_items--; /* the slot is reused */
                if (mode == BATCH_LOAD)
                        err = batch_dead_letter(b, m, why, errstr, errstr_size);
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
        lookup_t *l = batch_grow(b->lookups, &b->cap_lookups, b->n_lookups + 1,
                                 sizeof(*l));
        if (!l)
                return NONE;
        b->lookups = l;
        l = &b->lookups[b->n_lookups++];
        l->scope = scope;
        l->name = name;
        l->first_alert = l->last_alert = NONE;
        l->candidate = l->incident = NULL;
        l->now = b->now;
        return idx;
}

/* The incident an event names, or that its lookups found.  An alert seen
 * before already has its incident (route filled it in); a ticket or
 * sentiment whose ticket is bound follows the ticket, so updates and
 * replays land where the ticket was counted. */
static void item_assign(batch_t *b, item_t *it) {
        if (it->incident)
                return;
        if (it->plan.by_key)
                it->incident = it->ev.incident_key;
        else if (it->tkt != NONE && b->lookups[it->tkt].incident)
                it->incident = b->lookups[it->tkt].incident;
        else if (it->svc != NONE && b->lookups[it->svc].incident)
                it->incident = b->lookups[it->svc].incident;
}

static impactd_err_t route_round(batch_t *b, char *errstr, size_t errstr_size) {
        /* First: whether Redis still holds what the offsets say. */
        size_t checks = batch_append_state_check(b, "");
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
                /* An event later than the clock routes at its own time
                 * (the reopen window is judged on the incident clock). */
                if (it->svc != NONE && b->lookups[it->svc].now < it->ev.occurred_at)
                        b->lookups[it->svc].now = it->ev.occurred_at;
                if (it->tkt != NONE && b->lookups[it->tkt].now < it->ev.occurred_at)
                        b->lookups[it->tkt].now = it->ev.occurred_at;
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
                if (l && it->plan.may_open && !l->candidate) {
                        l->candidate = it->plan.by_key
                                               ? it->ev.incident_key
                                               : correlate_new_incident_id(
                                                         &b->ids, &it->ev);
                        if (!l->candidate)
                                goto nomem;
                }
        }
        for (size_t c = 0; c < b->carry.n; c++)
                if (lookup_for(b, b->carry.v[c].scope, b->carry.v[c].name) == NONE)
                        goto nomem;
        size_t held_limit = batch_held_limit(b, b->n_lookups);
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
                                         l->now, &b->args, held_limit);
        }
        /* The accounts of the batch's tickets and the silences set at run
         * time ride in the same round. */
        size_t accounts = batch_append_accounts(b, 0);
        if (b->n_lookups || accounts) {
                batch_append_silences(b);
                b->stats.redis_rounds++;
        } else if (checks) {
                b->stats.redis_rounds++;
        }
        impactd_err_t err = batch_read_state_check(b, errstr, errstr_size);
        if (err)
                return err;
        for (size_t i = 0; i < b->n_lookups; i++) {
                redis_route_reply_t rr;
                lookup_t *l = &b->lookups[i];
                if ((err = redis_state_read_route(b->rs, &rr, errstr,
                                                  errstr_size)))
                        return err;
                if (rr.incident_id &&
                    !(l->incident = strpool_str(&b->ids, rr.incident_id)))
                        goto nomem;
                size_t k = 0;
                for (size_t a = l->first_alert; a != NONE && k < rr.alerts_cnt;
                     a = b->items[a]->next_alert) {
                        item_t *al = b->items[a];
                        if (al->plan.by_key &&
                            al->ev.u.alert.status != ALERT_FIRING)
                                continue;
                        size_t n = rr.alert_incident_lens[k];
                        if (n && !al->plan.by_key &&
                            !(al->incident = strpool_dup(
                                      &b->ids, rr.alert_incidents[k], n)))
                                goto nomem;
                        k++;
                }
                if (rr.held_cnt && (err = batch_release_held(b, l->scope, l->name,
                                                       l->incident, &rr)))
                        goto nomem;
        }
        err = batch_read_accounts(b, accounts, errstr, errstr_size);
        if (err || ((b->n_lookups || accounts) &&
                    (err = batch_read_silences(b, errstr, errstr_size))))
                return err;
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
impactd_err_t batch_release_held(batch_t *b, route_scope_t scope,
                                  const char *name, const char *incident,
                                  const redis_route_reply_t *rr) {
        char why[512];
        if (rr->held_more) {
                if (carry_add(&b->carry_next, scope, name))
                        return IMPACTD_ERR_NOMEM;
                log_info("incident=%s released %zu held events of %s %s, %zu "
                         "more in the next batches", incident, rr->held_cnt,
                         scope == SCOPE_SERVICE ? "service" : "ticket", name,
                         rr->held_more);
        }
        for (size_t h = 0; h < rr->held_cnt; h++) {
                item_t *it = batch_item_new(b);
                if (!it)
                        return IMPACTD_ERR_NOMEM;
                it->held_raw = malloc(rr->held_lens[h] + 1);
                it->held_name = strdup(name);
                if (!it->held_raw || !it->held_name)
                        return IMPACTD_ERR_NOMEM;
                memcpy(it->held_raw, rr->held[h], rr->held_lens[h]);
                it->held_len = rr->held_lens[h];
                it->held_scope = scope;
                it->incident = incident;
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
        size_t held = 0;
        for (size_t i = 0; i < b->n_loaded; i++) {
                item_t *it = b->items[i];
                if (it->incident)
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
                if (buf_append(&b->raw, &batch_kind_char[it->ev.kind], 1) ||
                    buf_append(&b->raw, it->msg->payload, it->msg->len)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return IMPACTD_ERR_NOMEM;
                }
                const char *raw = b->raw.data;
                int64_t at = it->ev.occurred_at > b->now ? it->ev.occurred_at
                                                         : b->now;
                redis_state_append_hold(b->rs, scope, name, at, &raw,
                                        &b->raw.len, 1);
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
                const char *now_id;
                impactd_err_t err = redis_state_read_hold(b->rs, &now_id,
                                                          errstr, errstr_size);
                if (err)
                        return err;
                if (now_id) { /* opened meanwhile: apply it now */
                        if (!(it->incident = strpool_str(&b->ids, now_id))) {
                                snprintf(errstr, errstr_size, "out of memory");
                                return IMPACTD_ERR_NOMEM;
                        }
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

/* A batch of one incident per message has 5,000 groups: doubling would
 * make room for 8,192 and zero them all.  A group is 240 bytes since its
 * per-slice state moved out (group_state_t), so that is some 0.8 MB no
 * group uses; the array grows by steps instead. */
#define GROUPS_STEP 512

static int grow_groups(batch_t *b, size_t need) {
        if (need <= b->cap_groups)
                return 0;
        size_t n = (need + GROUPS_STEP - 1) / GROUPS_STEP * GROUPS_STEP;
        group_t *gs = resize_zeroed(b->groups, &b->cap_groups, n, sizeof(*gs));
        if (!gs)
                return -1;
        b->groups = gs;
        return 0;
}

/* Groups the items that have an incident and are not applied yet. */
static impactd_err_t make_groups(batch_t *b) {
        for (size_t g = 0; g < b->n_groups; g++)
                b->groups[g].n = 0;
        b->n_groups = 0;
        strmap_clear(&b->group_map);
        for (size_t i = 0; i < b->n_items; i++) {
                item_t *it = b->items[i];
                if (it->applied || it->held || !it->incident)
                        continue;
                size_t g = strmap_get_or_put(&b->group_map, it->incident,
                                             b->n_groups);
                if (g == NONE)
                        return IMPACTD_ERR_NOMEM;
                if (g == b->n_groups) {
                        if (grow_groups(b, g + 1))
                                return IMPACTD_ERR_NOMEM;
                        b->groups[g].id = it->incident;
                        b->groups[g].tick = 0;
                        b->n_groups++;
                }
                group_t *grp = &b->groups[g];
                size_t *m = batch_grow(grp->members, &grp->cap, grp->n + 1,
                                       sizeof(*m));
                if (!m)
                        return IMPACTD_ERR_NOMEM;
                grp->members = m;
                grp->members[grp->n++] = i;
        }
        return IMPACTD_OK;
}

/* Where a message was read, for the apply's offset fence: "a3:1234" is
 * offset 1234 of the alerts topic's partition 3. */
static int pack_position(batch_t *b, const item_t *it) {
        return redis_args_add(&b->args, "O", 1) |
               redis_args_addf(&b->args, "%c%" PRId32 ":%" PRId64,
                               batch_kind_char[it->ev.kind], it->msg->partition,
                               it->msg->offset);
}

static void append_group(batch_t *b, group_t *grp) {
        /* Unknown until the brokers' metadata arrives: the event ids alone
         * keep replays out meanwhile. */
        const char *cluster = kafka_io_cluster_id(b->kio);
        redis_args_reset(&b->args);
        for (size_t k = 0; k < grp->n; k++) {
                const item_t *it = b->items[grp->members[k]];
                if ((cluster && it->msg && pack_position(b, it)) ||
                    batch_pack_event(b, &it->ev))
                        log_error("incident=%s: cannot pack event: out of memory",
                                  grp->id);
        }
        redis_state_append_apply(b->rs, grp->id, b->now, grp->tick,
                                 cluster ? cluster : "", &b->args);
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
        impactd_err_t err = redis_state_read_apply(b->rs, &grp->st->inc, errstr,
                                                   errstr_size);
        if (err)
                return err;
        grp->st->inc.id = grp->id;
        if (grp->st->inc.redo) {
                /* Scored, decided, bound and scheduled again as the same
                 * revision: consumers keep one per revision, the decision
                 * fence keeps pages from going out twice. */
                log_warn("incident=%s rev=%" PRId64 ": never published (a "
                         "worker died mid-batch); scoring and following it "
                         "up again", grp->id, grp->st->inc.revision);
                grp->st->inc.changed = true;
        }
        for (size_t k = 0; k < grp->n; k++) {
                item_t *it = b->items[grp->members[k]];
                it->applied = true;
                if (it->held_raw &&
                    (err = redis_state_read_status(b->rs, errstr, errstr_size)))
                        return err;
        }
        b->stats.applies++;
        b->stats.duplicates += (uint64_t)grp->st->inc.dups;
        return IMPACTD_OK;
}

/* Tickets released from holds in an earlier round have accounts this
 * batch has not read yet: one more round trip, only then. */
static impactd_err_t read_late_accounts(batch_t *b, char *errstr,
                                        size_t errstr_size) {
        size_t n = batch_append_accounts(b, b->n_loaded);
        if (!n)
                return IMPACTD_OK;
        b->stats.redis_rounds++;
        return batch_read_accounts(b, n, errstr, errstr_size);
}

/* Applies groups[lo..hi), scores them and runs their follow-ups, in two
 * pipelined round trips (and more for decisions that lost a race). */
static impactd_err_t run_slice(batch_t *b, size_t lo, size_t hi,
                               char *errstr, size_t errstr_size) {
        impactd_err_t err;
        size_t follow = 0;
        if (hi - lo > b->cap_states) {
                group_state_t *s = resize_zeroed(b->states, &b->cap_states,
                                                 hi - lo, sizeof(*s));
                if (!s) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return IMPACTD_ERR_NOMEM;
                }
                b->states = s;
        }
        for (size_t g = lo; g < hi; g++) {
                /* A slice cut short by an error leaves its decisions pending. */
                b->groups[g].st = &b->states[g - lo];
                b->groups[g].st->dec.state = DECIDE_NONE;
        }
        /* Every decision of the slices before is produced or dropped. */
        buf_reset(&b->dec.decided);
        for (size_t g = lo; g < hi; g++)
                append_group(b, &b->groups[g]);
        b->stats.redis_rounds++;
        for (size_t g = lo; g < hi; g++)
                if ((err = read_group(b, &b->groups[g], errstr, errstr_size)))
                        return err;
        FAILPOINT("apply.kill");
        for (size_t g = lo; g < hi; g++) {
                group_t *grp = &b->groups[g];
                grp->added_cnt = 0;
                if (grp->st->inc.changed && !grp->st->inc.gone &&
                    (err = batch_produce_scored(b, grp, errstr, errstr_size)))
                        return err;
                follow += batch_append_after(b, grp);
        }
        if (!follow)
                return IMPACTD_OK;
        FAILPOINT("decide.delay");
        b->stats.redis_rounds++;
        for (size_t g = lo; g < hi; g++)
                if ((err = batch_read_after(b, &b->groups[g], errstr, errstr_size)))
                        return err;
        return batch_decide_retries(b, lo, hi, errstr, errstr_size);
}

/* Applies the groups made, scores them and runs their follow-ups; *more
 * is set when those released events that need another round.
 *
 * A slice of groups holds all its decisions (encoded outputs, ids, log
 * lines) and their pipelined calls until the replies are read.  When every
 * message of a batch is an incident of its own (broad), one slice of 5,000
 * held some 30 MB; slices of SLICE_GROUPS bound that, at two round trips
 * more per slice (docs/performance.md). */
static impactd_err_t run_groups(batch_t *b, bool *more, char *errstr,
                                size_t errstr_size) {
        impactd_err_t err;
        size_t before = b->n_items;
        *more = false;
        if (!b->n_groups)
                return IMPACTD_OK;
        if ((err = read_late_accounts(b, errstr, errstr_size)))
                return err;
        for (size_t lo = 0; lo < b->n_groups; lo += b->slice_groups) {
                size_t hi = b->n_groups - lo > b->slice_groups
                                    ? lo + b->slice_groups
                                    : b->n_groups;
                if ((err = run_slice(b, lo, hi, errstr, errstr_size)))
                        return err;
                /* Frees the outputs the brokers acknowledged meanwhile. */
                kafka_io_serve_deliveries(b->kio);
        }
        *more = b->n_items > before;
        return IMPACTD_OK;
}

static impactd_err_t apply_rounds(batch_t *b, char *errstr, size_t errstr_size) {
        bool more = true;
        for (int round = 0; more && round < MAX_ROUNDS; round++) {
                impactd_err_t err = make_groups(b);
                if (err) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return err;
                }
                if ((err = run_groups(b, &more, errstr, errstr_size)))
                        return err;
        }
        /* Anything still unapplied stays held in Redis and is picked up by
         * the next batch that routes its service or ticket. */
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
                it->incident = NULL;
                it->applied = it->held = false;
        }
        strmap_clear(&b->acct_map);
        b->n_accounts = 0;
        b->now = impactd_clock_ms();
}

impactd_err_t batch_apply(batch_t *b, char *errstr, size_t errstr_size) {
        impactd_err_t err;
        restart(b);
        if ((err = route_round(b, errstr, errstr_size)) ||
            (err = batch_state_answer(b, errstr, errstr_size)) ||
            (err = hold_round(b, errstr, errstr_size)) ||
            (err = apply_rounds(b, errstr, errstr_size)))
                redis_state_discard(b->rs);
        return err;
}

impactd_err_t batch_rescore(batch_t *b, size_t *n, char *errstr,
                            size_t errstr_size) {
        const config_t *conf = b->conf;
        int limit = conf->lifecycle.deadline_batch;
        redis_due_t *due = calloc((size_t)limit, sizeof(*due));
        impactd_err_t err;
        bool more;
        *n = 0;
        if (!due) {
                snprintf(errstr, errstr_size, "out of memory");
                return IMPACTD_ERR_NOMEM;
        }
        batch_reset(b);
        restart(b);
        /* A re-score writes revisions too: after a loss it must not write
         * one of the generation before. */
        batch_append_state_check_held(b);
        redis_state_append_due(b->rs, b->now, limit);
        batch_append_silences(b);
        b->stats.redis_rounds++;
        if ((err = batch_read_state_check(b, errstr, errstr_size)) ||
            (err = redis_state_read_due(b->rs, &b->ids, due, (size_t)limit, n,
                                        errstr, errstr_size)) ||
            (err = batch_read_silences(b, errstr, errstr_size)) ||
            (err = batch_state_answer(b, errstr, errstr_size)) || !*n)
                goto out;
        for (size_t g = 0; g < b->n_groups; g++)
                b->groups[g].n = 0;
        b->n_groups = 0;
        if (grow_groups(b, *n)) {
                snprintf(errstr, errstr_size, "out of memory");
                err = IMPACTD_ERR_NOMEM;
                goto out;
        }
        group_t *gs = b->groups;
        for (size_t i = 0; i < *n; i++, b->n_groups++) {
                gs[i].id = due[i].incident_id;
                gs[i].tick = due[i].deadline;
                gs[i].n = 0;
        }
        b->stats.rescored += *n;
        /* Re-scores may page, resolve and hand over like events do. */
        if ((err = run_groups(b, &more, errstr, errstr_size)) == IMPACTD_OK &&
            more)
                err = apply_rounds(b, errstr, errstr_size);
out:
        if (err)
                redis_state_discard(b->rs);
        free(due);
        return err;
}
