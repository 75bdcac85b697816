/* The owner's correlation: given these events in this order, exactly these
 * incidents, holds and releases (docs/architecture.md, "Correlation"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition.h"

#define T0 1765000000000LL
#define MIN 60000LL
#define TTL (24 * 60 * MIN)
#define HELD_TTL (60 * MIN)

static event_t ev;

static const event_t *alert(const char *id, const char *service, const char *key,
                            bool firing) {
        event_reset(&ev, EVENT_ALERT);
        ev.event_id = id;
        ev.service = service;
        ev.incident_key = key;
        ev.u.alert.status = firing ? ALERT_FIRING : ALERT_RESOLVED;
        return &ev;
}

static const event_t *ticket(const char *id, const char *service, const char *tid) {
        event_reset(&ev, EVENT_TICKET);
        ev.event_id = id;
        ev.service = service;
        ev.u.ticket.ticket_id = tid;
        ev.u.ticket.account_id = "acme";
        return &ev;
}

static const event_t *sentiment(const char *id, const char *service, const char *tid) {
        event_reset(&ev, EVENT_SENTIMENT);
        ev.event_id = id;
        ev.service = service;
        ev.u.sentiment.ticket_id = tid;
        ev.u.sentiment.account_id = "acme";
        return &ev;
}

static corr_t corr(partition_t *p, const event_t *e, const char *new_id, int64_t now) {
        corr_t c;
        assert_int_equal(partition_correlate(p, e, new_id, now, &c), 0);
        return c;
}

static void assert_joins(corr_t c, const char *incident) {
        assert_int_equal(c.verdict, CORR_APPLY);
        assert_string_equal(c.incident, incident);
}

static void test_a_firing_alert_opens_and_its_service_joins(void **state) {
        (void)state;
        partition_t *p = partition_new(TTL, HELD_TTL);
        corr_t c = corr(p, alert("a1", "checkout", NULL, true), "checkout-1", T0);
        assert_joins(c, "checkout-1");
        assert_true(c.opened);
        c = corr(p, alert("a2", "checkout", NULL, true), "checkout-2", T0 + 1);
        assert_joins(c, "checkout-1");
        assert_false(c.opened);
        /* A resolve for a service with no incident changes nothing. */
        c = corr(p, alert("a3", "search", NULL, false), "search-1", T0 + 2);
        assert_int_equal(c.verdict, CORR_NOTHING);
        partition_destroy(p);
}

static void test_a_ticket_before_its_alert_waits_then_follows_its_binding(void **state) {
        (void)state;
        partition_t *p = partition_new(TTL, HELD_TTL);
        held_list_t held;
        size_t expired, more;
        corr_t c = corr(p, ticket("t1", "checkout", "T-1"), NULL, T0);
        assert_int_equal(c.verdict, CORR_HOLD);
        assert_null(c.hold_ticket);
        assert_int_equal(partition_hold(p, "checkout", NULL, "rec-t1", 6, T0), 0);
        assert_int_equal(partition_hold(p, "checkout", NULL, "rec-t2", 6, T0 + 1), 0);

        assert_joins(corr(p, alert("a1", "checkout", NULL, true), "checkout-1", T0 + 2),
                     "checkout-1");
        assert_int_equal(partition_take_held(p, "checkout", NULL, T0 + 2, 16, &held, &expired, &more), 0);
        assert_int_equal(held.cnt, 2);
        assert_memory_equal(held.records[0], "rec-t1", 6);
        assert_memory_equal(held.records[1], "rec-t2", 6);
        assert_int_equal(expired, 0);
        held_list_free(&held);
        /* Taken once: nothing left to release twice. */
        assert_int_equal(partition_take_held(p, "checkout", NULL, T0 + 3, 16, &held, &expired, &more), 0);
        assert_int_equal(held.cnt, 0);

        /* Counted in checkout-1, the ticket's later update follows it even
         * naming another service. */
        assert_int_equal(partition_bind_ticket(p, "T-1", "checkout-1", T0 + 3), 0);
        assert_joins(corr(p, ticket("t3", "search", "T-1"), NULL, T0 + 4), "checkout-1");
        partition_destroy(p);
}

static void test_sentiment_waits_on_its_ticket(void **state) {
        (void)state;
        partition_t *p = partition_new(TTL, HELD_TTL);
        held_list_t held;
        size_t expired, more;
        corr_t c = corr(p, sentiment("s1", "checkout", "T-7"), NULL, T0);
        assert_int_equal(c.verdict, CORR_HOLD);
        assert_string_equal(c.hold_ticket, "T-7");
        assert_int_equal(partition_hold(p, NULL, "T-7", "rec-s1", 6, T0), 0);
        /* Held under the ticket, not the service. */
        assert_int_equal(partition_take_held(p, "checkout", NULL, T0, 16, &held, &expired, &more), 0);
        assert_int_equal(held.cnt, 0);
        assert_int_equal(partition_bind_ticket(p, "T-7", "INC-5", T0 + 1), 0);
        assert_int_equal(partition_take_held(p, NULL, "T-7", T0 + 1, 16, &held, &expired, &more), 0);
        assert_int_equal(held.cnt, 1);
        assert_memory_equal(held.records[0], "rec-s1", 6);
        held_list_free(&held);
        assert_joins(corr(p, sentiment("s2", NULL, "T-7"), NULL, T0 + 2), "INC-5");
        partition_destroy(p);
}

static void test_a_keyed_alert_registers_its_service_once(void **state) {
        (void)state;
        partition_t *p = partition_new(TTL, HELD_TTL);
        assert_joins(corr(p, alert("a1", "payments", "INC-9", true), "payments-1", T0),
                     "INC-9");
        /* Unkeyed events of the service join the keyed incident. */
        assert_joins(corr(p, alert("a2", "payments", NULL, true), "payments-2", T0 + 1),
                     "INC-9");
        assert_joins(corr(p, ticket("t1", "payments", "T-1"), NULL, T0 + 2), "INC-9");
        /* Another key for the service later: its own incident, and the
         * service stays with the first. */
        assert_joins(corr(p, alert("a3", "payments", "INC-10", true), "payments-3", T0 + 3),
                     "INC-10");
        assert_joins(corr(p, alert("a4", "payments", NULL, true), "payments-4", T0 + 4),
                     "INC-9");
        partition_destroy(p);
}

static void test_dependents_join_their_roots_incident(void **state) {
        (void)state;
        partition_t *p = partition_new(TTL, HELD_TTL);
        corr(p, alert("a1", "users-db", NULL, true), "users-db-1", T0);
        assert_string_equal(partition_map_dependent(p, "web", "users-db-1", T0 + 1),
                            "users-db-1");
        assert_joins(corr(p, alert("a2", "web", NULL, true), "web-1", T0 + 2), "users-db-1");
        /* A dependent with an open incident of its own keeps it. */
        corr(p, alert("a3", "mobile-api", NULL, true), "mobile-api-1", T0 + 3);
        assert_string_equal(partition_map_dependent(p, "mobile-api", "users-db-1", T0 + 4),
                            "mobile-api-1");
        /* ... unless it has resolved: a resolved incident is no longer its
         * own. */
        assert_int_equal(partition_resolved(p, "mobile-api", "mobile-api-1", T0 + 10 * MIN,
                                            T0 + 5), 0);
        assert_string_equal(partition_map_dependent(p, "mobile-api", "users-db-1", T0 + 6),
                            "users-db-1");
        partition_destroy(p);
}

static void test_the_reopen_window(void **state) {
        (void)state;
        partition_t *p = partition_new(TTL, HELD_TTL);
        corr(p, alert("a1", "checkout", NULL, true), "checkout-1", T0);
        assert_int_equal(partition_resolved(p, "checkout", "checkout-1", T0 + 10 * MIN,
                                            T0 + MIN), 0);
        /* Flapping inside the window reopens the same incident. */
        assert_joins(corr(p, alert("a2", "checkout", NULL, true), "checkout-2", T0 + 10 * MIN),
                     "checkout-1");
        assert_int_equal(partition_reopened(p, "checkout", "checkout-1", T0 + 10 * MIN), 0);
        assert_int_equal(partition_resolved(p, "checkout", "checkout-1", T0 + 30 * MIN,
                                            T0 + 20 * MIN), 0);
        /* A millisecond past it: a new incident. */
        corr_t c = corr(p, alert("a3", "checkout", NULL, true), "checkout-3",
                        T0 + 30 * MIN + 1);
        assert_joins(c, "checkout-3");
        assert_true(c.opened);
        /* A duplicate of an old alert goes back to where it was applied. */
        assert_joins(corr(p, alert("a1", "checkout", NULL, true), "checkout-4",
                          T0 + 31 * MIN),
                     "checkout-1");
        partition_destroy(p);
}

static void test_what_waits_too_long_is_counted_not_kept(void **state) {
        (void)state;
        partition_t *p = partition_new(TTL, HELD_TTL);
        held_list_t held;
        size_t expired, more;
        /* Held events wait together: each new one keeps the rest. */
        partition_hold(p, "checkout", NULL, "one", 3, T0);
        partition_hold(p, "checkout", NULL, "two", 3, T0 + 30 * MIN);
        partition_hold(p, "checkout", NULL, "six", 3, T0 + 31 * MIN);
        assert_int_equal(partition_take_held(p, "checkout", NULL, T0 + 70 * MIN, 2, &held,
                                             &expired, &more), 0);
        assert_int_equal(expired, 0);
        assert_int_equal(held.cnt, 2);
        assert_memory_equal(held.records[0], "one", 3);
        assert_memory_equal(held.records[1], "two", 3);
        assert_int_equal(more, 1); /* a slice at a time */
        held_list_free(&held);
        /* An hour and more after the last came: dropped, and counted. */
        assert_int_equal(partition_take_held(p, "checkout", NULL, T0 + 31 * MIN + HELD_TTL,
                                             2, &held, &expired, &more), 0);
        assert_int_equal(held.cnt, 0);
        assert_int_equal(expired, 1);
        partition_hold(p, "search", NULL, "lost", 4, T0);
        assert_int_equal(partition_sweep(p, T0 + HELD_TTL), 1);
        /* A mapping unused for its TTL is gone: the next alert opens anew. */
        corr(p, alert("a1", "search", NULL, true), "search-1", T0);
        corr_t c = corr(p, alert("a2", "search", NULL, true), "search-2", T0 + TTL);
        assert_joins(c, "search-2");
        assert_true(c.opened);
        partition_destroy(p);
}

static void test_a_resolved_root_lets_its_quiet_dependents_go(void **state) {
        (void)state;
        partition_t *p = partition_new(TTL, HELD_TTL);
        corr(p, alert("a1", "users-db", NULL, true), "users-db-1", T0);
        partition_map_dependent(p, "web", "users-db-1", T0);
        /* users-db resolved; web never alerted: forgotten, so its next
         * alert pages as web's own. */
        partition_resolved(p, "users-db", "users-db-1", T0 + 10 * MIN, T0 + MIN);
        partition_forget(p, "web", "users-db-1", T0 + MIN);
        corr_t c = corr(p, alert("a2", "web", NULL, true), "web-1", T0 + 2 * MIN);
        assert_joins(c, "web-1");
        assert_true(c.opened);
        /* Past the window a keyed alert's reopen does not bring the
         * service back to its old incident. */
        partition_reopened(p, "users-db", "users-db-1", T0 + 20 * MIN);
        c = corr(p, alert("a3", "users-db", NULL, true), "users-db-2", T0 + 21 * MIN);
        assert_joins(c, "users-db-2");
        /* A keyed alert goes to its key even when its id was seen. */
        assert_joins(corr(p, alert("a3", "users-db", "INC-77", true), "x", T0 + 22 * MIN),
                     "INC-77");
        partition_destroy(p);
}

static void test_a_partition_forgets_what_expired(void **state) {
        (void)state;
        partition_t *p = partition_new(TTL, HELD_TTL);
        char id[32], svc[32];
        /* A day of incidents, each with a ticket, each forgotten a day
         * after its last use: a sweep now and then keeps the partition the
         * size of a day, not of its history. */
        size_t most = 0;
        for (int i = 0; i < 20000; i++) {
                int64_t now = T0 + (int64_t)i * 10 * MIN;
                snprintf(id, sizeof(id), "a%d", i);
                snprintf(svc, sizeof(svc), "svc-%d", i % 500);
                corr_t c = corr(p, alert(id, svc, NULL, true), id, now);
                assert_int_equal(partition_bind_ticket(p, id, c.incident, now), 0);
                if (i % 100 == 99) {
                        assert_true(partition_sweep(p, now) >= 0);
                        size_t n = partition_entries(p);
                        if (n > most)
                                most = n;
                }
        }
        /* 144 alerts a day: about 144 alert links, 144 tickets, their ids
         * and the services of the last day, whatever ran before. */
        assert_true(most < 4 * 250);
        partition_destroy(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_firing_alert_opens_and_its_service_joins),
                cmocka_unit_test(test_a_ticket_before_its_alert_waits_then_follows_its_binding),
                cmocka_unit_test(test_sentiment_waits_on_its_ticket),
                cmocka_unit_test(test_a_keyed_alert_registers_its_service_once),
                cmocka_unit_test(test_dependents_join_their_roots_incident),
                cmocka_unit_test(test_the_reopen_window),
                cmocka_unit_test(test_what_waits_too_long_is_counted_not_kept),
                cmocka_unit_test(test_a_resolved_root_lets_its_quiet_dependents_go),
                cmocka_unit_test(test_a_partition_forgets_what_expired),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        event_free_spill(&ev);
        return r;
}
