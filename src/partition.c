/* One routed partition's correlation state: services, tickets and alerts
 * to incidents, and the events waiting for one. */
#include "partition.h"

#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "vec.h"

/* A name (service, ticket, alert event id) pointing at an incident. */
typedef struct link {
        char *name;
        const char *incident; /* interned; NULL once forgotten */
        int64_t until;        /* a service of a resolved incident: reopens
                               * it until then; 0 = open */
        int64_t expires_at;
} link_t;

typedef struct links {
        link_t *v;
        size_t cnt, cap;
        strmap_t idx;
} links_t;

typedef struct held_rec {
        char *bytes;
        size_t len;
} held_rec_t;

/* The events held for one name.  They expire together, held_ttl_ms after
 * the last one came, as today's Redis list does. */
typedef struct held {
        char *name;
        held_rec_t *v;
        size_t cnt, cap;
        int64_t expires_at;
} held_t;

typedef struct helds {
        held_t *v;
        size_t cnt, cap;
        strmap_t idx;
} helds_t;

struct partition {
        int64_t ttl_ms, held_ttl_ms;
        links_t services, tickets, alerts;
        helds_t held_services, held_tickets;
        /* Incident ids, each copied once: links point at these. */
        char **ids;
        size_t ids_cnt, ids_cap;
        strmap_t id_idx;
};


partition_t *partition_new(int64_t ttl_ms, int64_t held_ttl_ms) {
        partition_t *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->ttl_ms = ttl_ms;
        p->held_ttl_ms = held_ttl_ms;
        return p;
}

static void links_free(links_t *l) {
        for (size_t i = 0; i < l->cnt; i++)
                free(l->v[i].name);
        free(l->v);
        strmap_free(&l->idx);
}

static void held_free_recs(held_t *h) {
        for (size_t i = 0; i < h->cnt; i++)
                free(h->v[i].bytes);
        h->cnt = 0;
}

static void helds_free(helds_t *hs) {
        for (size_t i = 0; i < hs->cnt; i++) {
                held_free_recs(&hs->v[i]);
                free(hs->v[i].v);
                free(hs->v[i].name);
        }
        free(hs->v);
        strmap_free(&hs->idx);
}

void partition_destroy(partition_t *p) {
        if (!p)
                return;
        links_free(&p->services);
        links_free(&p->tickets);
        links_free(&p->alerts);
        helds_free(&p->held_services);
        helds_free(&p->held_tickets);
        for (size_t i = 0; i < p->ids_cnt; i++)
                free(p->ids[i]);
        free(p->ids);
        strmap_free(&p->id_idx);
        free(p);
}

/* The partition's copy of incident id `id`. */
static const char *intern(partition_t *p, const char *id) {
        size_t i = strmap_get(&p->id_idx, id);
        if (i != (size_t)-1)
                return p->ids[i];
        char *d = strdup(id);
        if (!d || vec_reserve(&p->ids, &p->ids_cap, p->ids_cnt + 1, sizeof(*p->ids)) ||
            strmap_get_or_put(&p->id_idx, d, p->ids_cnt) == (size_t)-1) {
                free(d);
                return NULL;
        }
        p->ids[p->ids_cnt++] = d;
        return d;
}

/* The live link of `name`, or NULL (none, or expired at `now`). */
static link_t *link_get(links_t *l, const char *name, int64_t now) {
        size_t i = strmap_get(&l->idx, name);
        if (i == (size_t)-1)
                return NULL;
        link_t *k = &l->v[i];
        if (!k->incident || k->expires_at <= now) {
                k->incident = NULL;
                return NULL;
        }
        return k;
}

/* Points `name` at `incident` (open), for ttl_ms from `now`. */
static link_t *link_set(partition_t *p, links_t *l, const char *name,
                        const char *incident, int64_t now) {
        const char *id = intern(p, incident);
        size_t i = strmap_get(&l->idx, name);
        if (!id)
                return NULL;
        if (i == (size_t)-1) {
                char *d = strdup(name);
                if (!d || VEC_GROW(*l) || strmap_get_or_put(&l->idx, d, l->cnt) == (size_t)-1) {
                        free(d);
                        return NULL;
                }
                l->v[l->cnt] = (link_t){.name = d};
                i = l->cnt++;
        }
        link_t *k = &l->v[i];
        k->incident = id;
        k->until = 0;
        k->expires_at = now + p->ttl_ms;
        return k;
}

/* The incident a service's events join at `now`: its open incident (its
 * own, or one whose blast radius it is in), or a resolved one inside its
 * reopen window.  *resolved: the mapping is a resolved incident's. */
static const char *service_incident(partition_t *p, const char *service,
                                    int64_t now, bool *resolved) {
        link_t *k = service ? link_get(&p->services, service, now) : NULL;
        *resolved = k && k->until;
        if (!k || (k->until && now > k->until))
                return NULL;
        k->expires_at = now + p->ttl_ms;
        return k->incident;
}

static const char *ticket_incident(partition_t *p, const char *ticket,
                                   int64_t now) {
        link_t *k = ticket ? link_get(&p->tickets, ticket, now) : NULL;
        if (!k)
                return NULL;
        k->expires_at = now + p->ttl_ms;
        return k->incident;
}

static int correlate_alert(partition_t *p, const event_t *ev, const char *new_id,
                           int64_t now, corr_t *out) {
        bool firing = ev->u.alert.status == ALERT_FIRING, resolved;
        const char *cur = service_incident(p, ev->service, now, &resolved);
        if (ev->incident_key) {
                /* Its incident is its key's, whatever came before; a keyed
                 * firing alert still registers its service's incident, so
                 * unkeyed events of the service join it. */
                if (!cur && firing &&
                    !link_set(p, &p->services, ev->service, ev->incident_key, now))
                        return -1;
                out->incident = intern(p, ev->incident_key);
                return out->incident ? 0 : -1;
        }
        link_t *seen = link_get(&p->alerts, ev->event_id, now);
        if (seen) {
                /* A duplicate goes where the alert was applied, whose
                 * seen-set absorbs it, rather than reopening or opening. */
                out->incident = seen->incident;
                seen->expires_at = now + p->ttl_ms;
                return 0;
        }
        if (cur) {
                out->incident = cur;
        } else if (firing) {
                link_t *k = link_set(p, &p->services, ev->service, new_id, now);
                if (!k)
                        return -1;
                out->incident = k->incident;
                out->opened = true;
        } else {
                out->verdict = CORR_NOTHING;
                return 0;
        }
        if (!link_set(p, &p->alerts, ev->event_id, out->incident, now))
                return -1;
        return 0;
}

int partition_correlate(partition_t *p, const event_t *ev, const char *new_id,
                        int64_t now, corr_t *out) {
        bool resolved;
        memset(out, 0, sizeof(*out));
        out->verdict = CORR_APPLY;
        if (ev->kind == EVENT_ALERT)
                return correlate_alert(p, ev, new_id, now, out);
        const char *ticket = ev->kind == EVENT_TICKET ? ev->u.ticket.ticket_id
                                                      : ev->u.sentiment.ticket_id;
        if (ev->incident_key) {
                out->incident = intern(p, ev->incident_key);
                return out->incident ? 0 : -1;
        }
        /* A ticket's status updates and its sentiment land where the
         * ticket was counted, whatever service they name. */
        if ((out->incident = ticket_incident(p, ticket, now)))
                return 0;
        if ((out->incident = service_incident(p, ev->service, now, &resolved)))
                return 0;
        out->verdict = CORR_HOLD;
        /* Sentiment waits on its ticket when it names one: binding the
         * ticket releases it. */
        if (ev->kind == EVENT_SENTIMENT && ticket)
                out->hold_ticket = ticket;
        return 0;
}

/* ---- held events ----------------------------------------------------------- */

static held_t *held_of(helds_t *hs, const char *name, bool create) {
        size_t i = strmap_get(&hs->idx, name);
        if (i != (size_t)-1)
                return &hs->v[i];
        if (!create)
                return NULL;
        char *d = strdup(name);
        if (!d || VEC_GROW(*hs) || strmap_get_or_put(&hs->idx, d, hs->cnt) == (size_t)-1) {
                free(d);
                return NULL;
        }
        hs->v[hs->cnt] = (held_t){.name = d};
        return &hs->v[hs->cnt++];
}

int partition_hold(partition_t *p, const char *service, const char *ticket,
                   const void *record, size_t len, int64_t now) {
        held_t *h = ticket ? held_of(&p->held_tickets, ticket, true)
                           : held_of(&p->held_services, service, true);
        char *copy = malloc(len ? len : 1);
        if (!h || !copy || VEC_GROW(*h)) {
                free(copy);
                return -1;
        }
        memcpy(copy, record, len);
        h->v[h->cnt++] = (held_rec_t){copy, len};
        h->expires_at = now + p->held_ttl_ms;
        return 0;
}

int partition_take_held(partition_t *p, const char *service, const char *ticket,
                        int64_t now, size_t limit, held_list_t *out,
                        size_t *expired, size_t *more) {
        held_t *h = ticket ? held_of(&p->held_tickets, ticket, false)
                           : held_of(&p->held_services, service, false);
        memset(out, 0, sizeof(*out));
        *expired = *more = 0;
        if (!h || !h->cnt)
                return 0;
        if (h->expires_at <= now) {
                *expired = h->cnt;
                held_free_recs(h);
                return 0;
        }
        size_t n = h->cnt < limit ? h->cnt : limit;
        out->records = calloc(n + 1, sizeof(*out->records));
        out->lens = calloc(n + 1, sizeof(*out->lens));
        if (!out->records || !out->lens) {
                held_list_free(out);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                out->records[i] = h->v[i].bytes;
                out->lens[i] = h->v[i].len;
        }
        out->cnt = n;
        /* The rest waits for the next take, in order. */
        memmove(h->v, h->v + n, (h->cnt - n) * sizeof(*h->v));
        h->cnt -= n;
        *more = h->cnt;
        return 0;
}

void held_list_free(held_list_t *l) {
        for (size_t i = 0; i < l->cnt; i++)
                free(l->records[i]);
        free(l->records);
        free(l->lens);
        memset(l, 0, sizeof(*l));
}

/* ---- after an incident changed --------------------------------------------- */

int partition_bind_ticket(partition_t *p, const char *ticket,
                          const char *incident, int64_t now) {
        return link_set(p, &p->tickets, ticket, incident, now) ? 0 : -1;
}

const char *partition_map_dependent(partition_t *p, const char *service,
                                    const char *incident, int64_t now) {
        link_t *k = link_get(&p->services, service, now);
        /* A resolved incident's mapping is no incident of its own. */
        if (k && !k->until) {
                k->expires_at = now + p->ttl_ms;
                return k->incident;
        }
        k = link_set(p, &p->services, service, incident, now);
        return k ? k->incident : NULL;
}

/* The service's link if it still points at `incident` at `now` (open, or
 * resolved inside its reopen window), else NULL. */
static link_t *still_mapped(partition_t *p, const char *service,
                            const char *incident, int64_t now) {
        link_t *k = link_get(&p->services, service, now);
        if (!k || (k->until && now > k->until) || strcmp(k->incident, incident) != 0)
                return NULL; /* gone, past its window, or another incident's */
        return k;
}

int partition_resolved(partition_t *p, const char *service,
                       const char *incident, int64_t until, int64_t now) {
        link_t *k = still_mapped(p, service, incident, now);
        if (!k)
                return 0;
        k->until = until;
        if (k->expires_at < until)
                k->expires_at = until;
        return 0;
}

int partition_reopened(partition_t *p, const char *service,
                       const char *incident, int64_t now) {
        link_t *k = still_mapped(p, service, incident, now);
        if (!k)
                return 0;
        k->until = 0;
        k->expires_at = now + p->ttl_ms;
        return 0;
}

void partition_forget(partition_t *p, const char *service, const char *incident,
                      int64_t now) {
        link_t *k = link_get(&p->services, service, now);
        if (k && strcmp(k->incident, incident) == 0)
                k->incident = NULL;
}

/* ---- forgetting what expired ----------------------------------------------- */

/* Keeps the live links of `l`, in order, and their index. */
static void links_sweep(links_t *l, int64_t now, bool *used_ids, partition_t *p) {
        size_t keep = 0;
        strmap_clear(&l->idx);
        for (size_t i = 0; i < l->cnt; i++) {
                link_t *k = &l->v[i];
                if (!k->incident || k->expires_at <= now) {
                        free(k->name);
                        continue;
                }
                l->v[keep] = *k;
                /* Cannot fail: the index shrinks, its table stays. */
                strmap_get_or_put(&l->idx, l->v[keep].name, keep);
                used_ids[strmap_get(&p->id_idx, k->incident)] = true;
                keep++;
        }
        l->cnt = keep;
}

static size_t helds_sweep(helds_t *hs, int64_t now) {
        size_t keep = 0, dropped = 0;
        strmap_clear(&hs->idx);
        for (size_t i = 0; i < hs->cnt; i++) {
                held_t *h = &hs->v[i];
                if (!h->cnt || h->expires_at <= now) {
                        dropped += h->cnt;
                        held_free_recs(h);
                        free(h->v);
                        free(h->name);
                        continue;
                }
                hs->v[keep] = *h;
                strmap_get_or_put(&hs->idx, hs->v[keep].name, keep);
                keep++;
        }
        hs->cnt = keep;
        return dropped;
}

long partition_sweep(partition_t *p, int64_t now) {
        bool *used = calloc(p->ids_cnt + 1, sizeof(*used));
        if (!used)
                return -1;
        links_sweep(&p->services, now, used, p);
        links_sweep(&p->tickets, now, used, p);
        links_sweep(&p->alerts, now, used, p);
        size_t dropped = helds_sweep(&p->held_services, now) +
                         helds_sweep(&p->held_tickets, now);
        /* Incident ids no link names any more. */
        size_t keep = 0;
        strmap_clear(&p->id_idx);
        for (size_t i = 0; i < p->ids_cnt; i++) {
                if (!used[i]) {
                        free(p->ids[i]);
                        continue;
                }
                p->ids[keep] = p->ids[i];
                strmap_get_or_put(&p->id_idx, p->ids[keep], keep);
                keep++;
        }
        p->ids_cnt = keep;
        free(used);
        return (long)dropped;
}

size_t partition_entries(const partition_t *p) {
        return p->services.cnt + p->tickets.cnt + p->alerts.cnt +
               p->held_services.cnt + p->held_tickets.cnt + p->ids_cnt;
}
