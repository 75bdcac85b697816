/* Owner keys: every event an incident can gather reaches one owner, and
 * owner keys of distinct names never meet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "route.h"

/* users-db <- accounts-api <- {web, mobile-api}; payments-db <- payments
 * <- checkout-web; search alone. */
static const char *const names[] = {"users-db",    "accounts-api", "web",
                                    "mobile-api",  "payments-db",  "payments",
                                    "checkout-web", "search"};
static const size_t edges[][2] = {{1, 0}, {2, 1}, {3, 1}, {5, 4}, {6, 5}};
#define N (sizeof(names) / sizeof(names[0]))
#define E (sizeof(edges) / sizeof(edges[0]))

struct fixture {
        graph_t *g;
        route_groups_t *rg;
        strpool_t keys;
        event_t ev;
        char errstr[256];
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        f->g = graph_new_from_edges(N, names, NULL, edges, E, f->errstr,
                                    sizeof(f->errstr));
        f->rg = route_groups_new(f->g, 0, f->errstr, sizeof(f->errstr));
        *state = f;
        return f->g && f->rg ? 0 : -1;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        route_groups_destroy(f->rg);
        graph_destroy(f->g);
        strpool_free(&f->keys);
        event_free_spill(&f->ev);
        free(f);
        return 0;
}

static const char *group(struct fixture *f, const char *service) {
        long idx = graph_index(f->g, service);
        assert_true(idx >= 0);
        return route_group_of(f->rg, (size_t)idx);
}

static void test_a_component_is_one_group_named_by_its_first_member(void **state) {
        struct fixture *f = *state;
        size_t members;
        /* A root, its dependents and theirs: one owner, so a dependent's
         * alert can join (or later be merged into) its root's incident. */
        assert_string_equal(group(f, "users-db"), "g:accounts-api");
        assert_string_equal(group(f, "web"), "g:accounts-api");
        assert_string_equal(group(f, "mobile-api"), "g:accounts-api");
        assert_string_equal(group(f, "accounts-api"), "g:accounts-api");
        assert_string_equal(group(f, "payments-db"), "g:checkout-web");
        assert_string_equal(group(f, "checkout-web"), "g:checkout-web");
        assert_string_equal(group(f, "search"), "g:search");
        assert_int_equal(route_groups_count(f->rg), 3);
        assert_string_equal(route_groups_largest(f->rg, &members), "g:accounts-api");
        assert_int_equal(members, 4);
}

static void test_fingerprint_follows_the_groups_not_the_catalog_order(void **state) {
        struct fixture *f = *state;
        /* The same catalog listed the other way round. */
        const char *rev[N];
        size_t redges[E][2];
        for (size_t i = 0; i < N; i++)
                rev[i] = names[N - 1 - i];
        for (size_t e = 0; e < E; e++) {
                redges[e][0] = N - 1 - edges[e][0];
                redges[e][1] = N - 1 - edges[e][1];
        }
        graph_t *g2 = graph_new_from_edges(N, rev, NULL, (const size_t(*)[2])redges,
                                           E, f->errstr, sizeof(f->errstr));
        route_groups_t *rg2 = route_groups_new(g2, 0, f->errstr, sizeof(f->errstr));
        assert_non_null(rg2);
        assert_true(route_groups_fingerprint(rg2) == route_groups_fingerprint(f->rg));
        route_groups_destroy(rg2);
        graph_destroy(g2);

        /* checkout-web now also depends on accounts-api: two groups become
         * one, and a worker started on this catalog must know. */
        size_t more[E + 1][2];
        memcpy(more, edges, sizeof(edges));
        more[E][0] = 6;
        more[E][1] = 1;
        g2 = graph_new_from_edges(N, names, NULL, (const size_t(*)[2])more, E + 1,
                                  f->errstr, sizeof(f->errstr));
        rg2 = route_groups_new(g2, 0, f->errstr, sizeof(f->errstr));
        assert_non_null(rg2);
        assert_string_equal(route_group_of(rg2, 4), "g:accounts-api");
        assert_int_equal(route_groups_count(rg2), 2);
        assert_true(route_groups_fingerprint(rg2) != route_groups_fingerprint(f->rg));
        route_groups_destroy(rg2);
        graph_destroy(g2);
}

static void test_split_hubs_takes_a_hub_out_of_its_dependents_group(void **state) {
        struct fixture *f = *state;
        /* kms <- auth <- {web, api, admin}; db <- api. */
        const char *hub[] = {"auth", "web", "api", "admin", "db", "kms"};
        const size_t hedges[][2] = {{1, 0}, {2, 0}, {3, 0}, {2, 4}, {0, 5}};
        graph_t *g = graph_new_from_edges(6, hub, NULL, hedges, 5, f->errstr,
                                          sizeof(f->errstr));
        assert_non_null(g);

        route_groups_t *rg = route_groups_new(g, 0, f->errstr, sizeof(f->errstr));
        for (size_t i = 0; i < 6; i++)
                assert_string_equal(route_group_of(rg, i), "g:admin");
        route_groups_destroy(rg);
        /* Three dependents is not over three. */
        rg = route_groups_new(g, 3, f->errstr, sizeof(f->errstr));
        assert_int_equal(route_groups_count(rg), 1);
        route_groups_destroy(rg);

        rg = route_groups_new(g, 2, f->errstr, sizeof(f->errstr));
        assert_string_equal(route_group_of(rg, 0), "g:auth");
        assert_string_equal(route_group_of(rg, 1), "g:web");
        assert_string_equal(route_group_of(rg, 2), "g:api"); /* api and db */
        assert_string_equal(route_group_of(rg, 4), "g:api");
        assert_string_equal(route_group_of(rg, 3), "g:admin");
        assert_string_equal(route_group_of(rg, 5), "g:kms"); /* upstream too */
        assert_int_equal(route_groups_count(rg), 5);
        route_groups_destroy(rg);
        graph_destroy(g);
}

static event_t *event(struct fixture *f, event_kind_t kind, const char *service,
                      const char *key, const char *ticket) {
        event_reset(&f->ev, kind);
        f->ev.event_id = "e-1";
        f->ev.service = service;
        f->ev.incident_key = key;
        if (kind == EVENT_TICKET) {
                f->ev.u.ticket.ticket_id = ticket;
                f->ev.u.ticket.account_id = "acme";
        } else if (kind == EVENT_SENTIMENT) {
                f->ev.u.sentiment.ticket_id = ticket;
                f->ev.u.sentiment.account_id = "acme";
        }
        return &f->ev;
}

static route_decision_t decide(struct fixture *f, const event_t *ev,
                               const char *key_binding,
                               const char *ticket_binding) {
        route_decision_t d;
        assert_true(route_decide(f->rg, f->g, ev, key_binding, ticket_binding,
                                 &f->keys, &d, f->errstr, sizeof(f->errstr)));
        return d;
}

static void test_alerts_go_to_their_services_group_and_bind_new_keys(void **state) {
        struct fixture *f = *state;
        route_decision_t d = decide(f, event(f, EVENT_ALERT, "web", NULL, NULL),
                                    NULL, NULL);
        assert_int_equal(d.verdict, ROUTE_SEND);
        assert_string_equal(d.owner, "g:accounts-api");
        assert_false(d.bind_key || d.bind_ticket);

        d = decide(f, event(f, EVENT_ALERT, "users-db", "INC-7", NULL), NULL, NULL);
        assert_string_equal(d.owner, "g:accounts-api");
        assert_true(d.bind_key);
        assert_false(d.bind_ticket);

        /* The key's incident lives where the key was bound, whatever
         * service this alert is about. */
        d = decide(f, event(f, EVENT_ALERT, "search", "INC-7", NULL),
                   "g:accounts-api", NULL);
        assert_string_equal(d.owner, "g:accounts-api");
        assert_false(d.bind_key);
}

static void test_names_outside_the_catalog_never_meet_a_group(void **state) {
        struct fixture *f = *state;
        route_decision_t d = decide(f, event(f, EVENT_ALERT, "billing-legacy",
                                             NULL, NULL), NULL, NULL);
        assert_string_equal(d.owner, "s:billing-legacy");
        /* A service named like a group's key is still its own owner. */
        d = decide(f, event(f, EVENT_ALERT, "g:accounts-api", NULL, NULL), NULL, NULL);
        assert_string_equal(d.owner, "s:g:accounts-api");
        /* A key first seen with no service opens under the key itself, and
         * "k:" keeps it apart from a service of the same name. */
        d = decide(f, event(f, EVENT_TICKET, NULL, "search", "T-1"), NULL, NULL);
        assert_string_equal(d.owner, "k:search");
        assert_true(d.bind_key && d.bind_ticket);
}

static void test_tickets_follow_their_binding(void **state) {
        struct fixture *f = *state;
        route_decision_t d = decide(f, event(f, EVENT_TICKET, "web", NULL, "T-1"),
                                    NULL, NULL);
        assert_string_equal(d.owner, "g:accounts-api");
        assert_true(d.bind_ticket);
        assert_false(d.bind_key);

        /* An update naming another service goes where the ticket counted. */
        d = decide(f, event(f, EVENT_TICKET, "search", NULL, "T-1"), NULL,
                   "g:accounts-api");
        assert_string_equal(d.owner, "g:accounts-api");
        assert_false(d.bind_ticket || d.bind_key);

        /* A linked incident wins over the ticket's first place, as an
         * agent's link wins today; the ticket's binding stays. */
        d = decide(f, event(f, EVENT_TICKET, "web", "INC-9", "T-1"), "k:INC-9",
                   "g:accounts-api");
        assert_string_equal(d.owner, "k:INC-9");
        assert_false(d.bind_ticket || d.bind_key);
}

static void test_sentiment_waits_for_an_unknown_ticket(void **state) {
        struct fixture *f = *state;
        route_decision_t d = decide(f, event(f, EVENT_SENTIMENT, NULL, NULL, "T-2"),
                                    NULL, NULL);
        assert_int_equal(d.verdict, ROUTE_HOLD);
        assert_null(d.owner);

        d = decide(f, event(f, EVENT_SENTIMENT, NULL, NULL, "T-2"), NULL,
                   "g:checkout-web");
        assert_int_equal(d.verdict, ROUTE_SEND);
        assert_string_equal(d.owner, "g:checkout-web");

        /* Naming a service, it need not wait: the owner of the service
         * holds it until the ticket or an incident comes.  It binds
         * nothing: the ticket, when it comes, goes by its own service. */
        d = decide(f, event(f, EVENT_SENTIMENT, "payments", NULL, "T-2"), NULL, NULL);
        assert_int_equal(d.verdict, ROUTE_SEND);
        assert_string_equal(d.owner, "g:checkout-web");
        assert_false(d.bind_ticket || d.bind_key);
}

static void test_what_names_nothing_is_refused_with_a_reason(void **state) {
        struct fixture *f = *state;
        route_decision_t d;
        assert_false(route_decide(f->rg, f->g, event(f, EVENT_SENTIMENT, NULL, NULL, NULL),
                                  NULL, NULL, &f->keys, &d, f->errstr,
                                  sizeof(f->errstr)));
        assert_string_equal(f->errstr, "cannot be correlated: sentiment names no "
                                       "incident_key, service or ticket_id");
        /* A ticket is attributed by its service or key, never by its id
         * alone, even when the id is bound. */
        assert_false(route_decide(f->rg, f->g, event(f, EVENT_TICKET, NULL, NULL, "T-1"),
                                  NULL, "g:search", &f->keys, &d, f->errstr,
                                  sizeof(f->errstr)));
        assert_string_equal(f->errstr, "cannot be correlated: ticket names no "
                                       "incident_key, service");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_a_component_is_one_group_named_by_its_first_member, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fingerprint_follows_the_groups_not_the_catalog_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_split_hubs_takes_a_hub_out_of_its_dependents_group, setup, teardown),
                cmocka_unit_test_setup_teardown(test_alerts_go_to_their_services_group_and_bind_new_keys, setup, teardown),
                cmocka_unit_test_setup_teardown(test_names_outside_the_catalog_never_meet_a_group, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tickets_follow_their_binding, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sentiment_waits_for_an_unknown_ticket, setup, teardown),
                cmocka_unit_test_setup_teardown(test_what_names_nothing_is_refused_with_a_reason, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
