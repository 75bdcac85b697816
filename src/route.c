/* Owner keys: routing groups from the catalog, and the decision per event. */
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"

struct route_groups {
        size_t n;
        /* group[i]: the name of service i's group, shared by its members
         * (owned by `names`, one allocation per group) */
        const char **group;
        char **names;
        size_t names_cnt;
        const char *largest;
        size_t largest_members;
        uint64_t fingerprint;
};

static size_t uf_find(size_t *parent, size_t i) {
        while (parent[i] != i) {
                parent[i] = parent[parent[i]]; /* path halving */
                i = parent[i];
        }
        return i;
}

static void uf_union(size_t *parent, size_t a, size_t b) {
        a = uf_find(parent, a);
        b = uf_find(parent, b);
        if (a != b)
                parent[a < b ? b : a] = a < b ? a : b;
}

struct named {
        const char *name;
        size_t idx;
};

static int by_name(const void *a, const void *b) {
        return strcmp(((const struct named *)a)->name,
                      ((const struct named *)b)->name);
}

static uint64_t fnv1a64(uint64_t h, const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
        return h;
}

void route_groups_destroy(route_groups_t *rg) {
        if (!rg)
                return;
        for (size_t i = 0; i < rg->names_cnt; i++)
                free(rg->names[i]);
        free(rg->names);
        free(rg->group);
        free(rg);
}

route_groups_t *route_groups_new(const graph_t *g, size_t split_hubs_over,
                                 char *errstr, size_t errstr_size) {
        size_t n = graph_size(g);
        route_groups_t *rg = calloc(1, sizeof(*rg));
        size_t *parent = calloc(n + 1, sizeof(*parent));
        struct named *order = calloc(n + 1, sizeof(*order));
        size_t *members = calloc(n + 1, sizeof(*members));
        size_t *name_of = calloc(n + 1, sizeof(*name_of));
        if (!rg || !parent || !order || !members || !name_of)
                goto nomem;
        rg->n = n;
        rg->group = calloc(n + 1, sizeof(*rg->group));
        rg->names = calloc(n + 1, sizeof(*rg->names));
        if (!rg->group || !rg->names)
                goto nomem;

        for (size_t i = 0; i < n; i++)
                parent[i] = i;
        for (size_t i = 0; i < n; i++) {
                size_t cnt;
                const size_t *dep = graph_dependents(g, i, &cnt);
                if (split_hubs_over && cnt > split_hubs_over)
                        continue;
                for (size_t e = 0; e < cnt; e++) {
                        size_t d = dep[e], dcnt;
                        graph_dependents(g, d, &dcnt);
                        if (!(split_hubs_over && dcnt > split_hubs_over))
                                uf_union(parent, i, d);
                }
        }

        /* Services in byte order: a group's name is its first member, and
         * the fingerprint does not depend on the catalog's order. */
        for (size_t i = 0; i < n; i++)
                order[i] = (struct named){graph_name(g, i), i};
        qsort(order, n, sizeof(*order), by_name);
        for (size_t k = 0; k < n; k++) {
                size_t i = order[k].idx, r = uf_find(parent, i);
                if (!members[r]++) {
                        const char *first = order[k].name;
                        size_t len = strlen(first);
                        char *name = malloc(len + 3);
                        if (!name)
                                goto nomem;
                        memcpy(name, "g:", 2);
                        memcpy(name + 2, first, len + 1);
                        name_of[r] = rg->names_cnt;
                        rg->names[rg->names_cnt++] = name;
                }
                rg->group[i] = rg->names[name_of[r]];
                if (members[r] > rg->largest_members) {
                        rg->largest_members = members[r];
                        rg->largest = rg->group[i];
                }
        }
        uint64_t h = 14695981039346656037ull;
        for (size_t k = 0; k < n; k++) {
                const char *grp = rg->group[order[k].idx];
                h = fnv1a64(h, order[k].name, strlen(order[k].name) + 1);
                h = fnv1a64(h, grp, strlen(grp) + 1);
        }
        rg->fingerprint = h;
        free(parent);
        free(order);
        free(members);
        free(name_of);
        return rg;
nomem:
        route_groups_destroy(rg);
        free(parent);
        free(order);
        free(members);
        free(name_of);
        snprintf(errstr, errstr_size, "out of memory grouping the catalog");
        return NULL;
}

const char *route_group_of(const route_groups_t *rg, size_t idx) {
        return rg->group[idx];
}

size_t route_groups_count(const route_groups_t *rg) {
        return rg->names_cnt;
}

const char *route_groups_largest(const route_groups_t *rg, size_t *members) {
        *members = rg->largest_members;
        return rg->largest;
}

uint64_t route_groups_fingerprint(const route_groups_t *rg) {
        return rg->fingerprint;
}

const char *route_ticket_of(const event_t *ev) {
        switch (ev->kind) {
        case EVENT_TICKET:
                return ev->u.ticket.ticket_id;
        case EVENT_SENTIMENT:
                return ev->u.sentiment.ticket_id;
        default:
                return NULL;
        }
}

/* "<prefix><name>": a prefix per kind of owner key, so a key, a service
 * outside the catalog and a group never share an owner key by accident,
 * and distinct names stay distinct. */
static const char *prefixed(strpool_t *keys, const char *prefix,
                            const char *name) {
        return strpool_cat(keys, prefix, 2, name, strlen(name));
}

bool route_decide(const route_groups_t *rg, const graph_t *g,
                  const event_t *ev, const char *key_binding,
                  const char *ticket_binding, strpool_t *keys,
                  route_decision_t *out, char *errstr, size_t errstr_size) {
        correlate_plan_t plan;
        const char *ticket = route_ticket_of(ev), *by_service = NULL;

        memset(out, 0, sizeof(*out));
        /* The same refusals as correlation: what names nothing to join. */
        if (!correlate_plan(ev, &plan, errstr, errstr_size))
                return false;
        if (ev->service) {
                long idx = graph_index(g, ev->service);
                by_service = idx >= 0 ? route_group_of(rg, (size_t)idx)
                                      : prefixed(keys, "s:", ev->service);
                if (!by_service)
                        goto nomem;
        }

        out->verdict = ROUTE_SEND;
        if (ev->incident_key) {
                out->owner = key_binding;
                if (!out->owner) {
                        out->owner = by_service ? by_service
                                                : prefixed(keys, "k:", ev->incident_key);
                        if (!out->owner)
                                goto nomem;
                        out->bind_key = true;
                }
        } else if (ticket && ticket_binding) {
                /* Status updates and sentiment follow the ticket to where it
                 * was counted, whatever service they name. */
                out->owner = ticket_binding;
        } else if (by_service) {
                out->owner = by_service;
        } else {
                /* Sentiment naming only a ticket nobody has seen yet. */
                out->verdict = ROUTE_HOLD;
                return true;
        }
        /* Only a ticket binds itself: sentiment routed by its service
         * must not pull the ticket's later events to a group where the
         * ticket may never be counted. */
        out->bind_ticket = ev->kind == EVENT_TICKET && ticket && !ticket_binding;
        return true;
nomem:
        snprintf(errstr, errstr_size, "out of memory routing an event");
        return false;
}
