/* An incident held in memory: given these events, exactly these facts, as
 * the Redis functions of today compute them (src/lua/impactd.lua). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

#define T0 1765000000000LL /* a minute boundary: 29416666 min + 40 s */
#define MIN 60000LL
#define QUIET (5 * MIN)

static event_t ev;
static char id_buf[64];

static const event_t *alert(const char *id, const char *service, bool firing,
                            int64_t at) {
        event_reset(&ev, EVENT_ALERT);
        snprintf(id_buf, sizeof(id_buf), "%s", id);
        ev.event_id = id_buf;
        ev.service = service;
        ev.occurred_at = at;
        ev.u.alert.status = firing ? ALERT_FIRING : ALERT_RESOLVED;
        ev.has = HAS_STATUS | HAS_OCCURRED_AT;
        return &ev;
}

static const event_t *ticket(const char *id, const char *ticket_id,
                             const char *account, ticket_status_t status,
                             int64_t at) {
        event_reset(&ev, EVENT_TICKET);
        snprintf(id_buf, sizeof(id_buf), "%s", id);
        ev.event_id = id_buf;
        ev.service = "checkout";
        ev.occurred_at = at;
        ev.u.ticket.ticket_id = ticket_id;
        ev.u.ticket.account_id = account;
        ev.u.ticket.status = status;
        ev.has = HAS_STATUS | HAS_OCCURRED_AT;
        return &ev;
}

static const event_t *sentiment(const char *id, double score, int64_t at) {
        event_reset(&ev, EVENT_SENTIMENT);
        snprintf(id_buf, sizeof(id_buf), "%s", id);
        ev.event_id = id_buf;
        ev.service = "checkout";
        ev.occurred_at = at;
        ev.u.sentiment.account_id = "acme";
        ev.u.sentiment.score = score;
        ev.has = HAS_SCORE | HAS_OCCURRED_AT;
        return &ev;
}

static const account_facts_t unknown = {TIER_NONE, TIER_NONE, -1, -1, NULL, 0};

static aggregate_change_t end(aggregate_t *a, int64_t now) {
        aggregate_change_t ch;
        aggregate_end(a, now, 0, QUIET, &ch);
        return ch;
}

static void facts(const aggregate_t *a, int64_t now, incident_t *inc) {
        incident_clear(inc);
        assert_int_equal(aggregate_facts(a, now, 5, 5, inc), 0);
}

static void test_accounts_count_once_and_a_new_arr_replaces_the_old(void **state) {
        (void)state;
        incident_t inc = {0};
        aggregate_t *a = aggregate_new("INC-1");
        aggregate_begin(a);
        account_facts_t acme = {TIER_BUSINESS, TIER_NONE, 500000, -1, NULL, 0};
        assert_int_equal(aggregate_apply_ticket(a, ticket("t1", "T-1", "acme", TICKET_OPEN, T0), &acme), AGG_APPLIED);
        assert_int_equal(aggregate_apply_ticket(a, ticket("t2", "T-2", "acme", TICKET_OPEN, T0 + 1), &acme), AGG_APPLIED);
        /* The renewal: acme now pays 800k, and is enterprise. */
        account_facts_t renewed = {TIER_ENTERPRISE, TIER_NONE, 800000, -1, NULL, 0};
        assert_int_equal(aggregate_apply_ticket(a, ticket("t3", "T-3", "acme", TICKET_OPEN, T0 + 2), &renewed), AGG_APPLIED);
        account_facts_t globex = {TIER_PRO, TIER_NONE, 100000, 1, NULL, 0};
        assert_int_equal(aggregate_apply_ticket(a, ticket("t4", "T-4", "globex", TICKET_OPEN, T0 + 3), &globex), AGG_APPLIED);
        assert_true(end(a, T0 + 10).changed);
        facts(a, T0 + 10, &inc);
        assert_int_equal(inc.affected_accounts, 2);
        assert_true(inc.arr_at_risk == 900000.0);
        assert_int_equal(inc.tickets_total, 4);
        assert_int_equal(inc.tickets_open, 4);
        assert_int_equal(inc.max_tier, TIER_ENTERPRISE);
        assert_true(inc.strategic);
        /* SLA clocks: business, then enterprise for acme; pro for globex. */
        assert_int_equal(inc.tiers, (1u << TIER_BUSINESS) | (1u << TIER_ENTERPRISE) |
                                            (1u << TIER_PRO));
        /* Key accounts while open, in the order they became key. */
        assert_int_equal(inc.accounts_cnt, 2);
        assert_string_equal(inc.accounts[0].id, "acme");
        assert_int_equal(inc.accounts[0].tickets, 3);
        assert_true(inc.accounts[0].arr == 800000.0);
        assert_string_equal(inc.accounts[1].id, "globex");
        assert_int_equal(inc.new_tickets_cnt, 4);
        incident_clear(&inc);
        aggregate_destroy(a);
}

static void test_a_replayed_event_changes_nothing(void **state) {
        (void)state;
        incident_t inc = {0};
        aggregate_t *a = aggregate_new("INC-2");
        aggregate_begin(a);
        aggregate_apply_alert(a, alert("a1", "checkout", true, T0));
        aggregate_apply_ticket(a, ticket("t1", "T-1", "acme", TICKET_OPEN, T0), &unknown);
        end(a, T0);
        assert_int_equal(aggregate_revision(a), 1);

        aggregate_begin(a);
        assert_int_equal(aggregate_apply_alert(a, alert("a1", "checkout", false, T0 + MIN)), AGG_DUPLICATE);
        assert_int_equal(aggregate_apply_ticket(a, ticket("t1", "T-1", "acme", TICKET_SOLVED, T0 + MIN), &unknown), AGG_DUPLICATE);
        aggregate_change_t ch = end(a, T0 + MIN);
        assert_false(ch.changed);
        assert_int_equal(ch.dups, 2);
        assert_int_equal(aggregate_revision(a), 1);
        facts(a, T0 + MIN, &inc);
        assert_int_equal(inc.tickets_open, 1);
        assert_int_equal(inc.last_event_at, T0);
        assert_true(inc.open);
        assert_int_equal(inc.quiet_since, 0);
        incident_clear(&inc);
        aggregate_destroy(a);
}

static void test_quiet_time_resolves_and_hands_over_firing_dependents(void **state) {
        (void)state;
        incident_t inc = {0};
        aggregate_t *a = aggregate_new("users-db-1");
        aggregate_begin(a);
        aggregate_apply_alert(a, alert("a1", "users-db", true, T0));
        end(a, T0);
        /* The blast radius reached web; then web alerted on its own. */
        assert_int_equal(aggregate_impact_add(a, "web"), 0);
        aggregate_begin(a);
        aggregate_apply_alert(a, alert("a2", "web", true, T0 + 1000));
        end(a, T0 + 1000);
        /* The root resolves: web's firing does not hold the incident. */
        aggregate_begin(a);
        aggregate_apply_alert(a, alert("a3", "users-db", false, T0 + MIN));
        aggregate_change_t ch = end(a, T0 + MIN);
        assert_true(ch.changed && !ch.resolved_now);
        facts(a, T0 + MIN, &inc);
        assert_true(inc.open);
        assert_int_equal(inc.quiet_since, T0 + MIN);
        assert_int_equal(inc.handovers_cnt, 0);
        /* One millisecond short of the quiet time: still open. */
        aggregate_begin(a);
        ch = (aggregate_change_t){0};
        aggregate_end(a, T0 + MIN + QUIET - 1, T0 + MIN + QUIET - 1, QUIET, &ch);
        assert_true(ch.changed && !ch.resolved_now);
        aggregate_begin(a);
        aggregate_end(a, T0 + MIN + QUIET, T0 + MIN + QUIET, QUIET, &ch);
        assert_true(ch.resolved_now);
        facts(a, T0 + MIN + QUIET, &inc);
        assert_false(inc.open);
        assert_int_equal(inc.resolved_at, T0 + MIN); /* when it went quiet */
        assert_int_equal(inc.quiet_since, 0);
        assert_int_equal(inc.handovers_cnt, 1);
        assert_string_equal(inc.handovers[0].service, "web");
        assert_int_equal(inc.revision, 5);

        /* A firing root inside the reopen window reopens it. */
        aggregate_begin(a);
        aggregate_apply_alert(a, alert("a4", "users-db", true, T0 + 10 * MIN));
        ch = end(a, T0 + 10 * MIN);
        assert_true(ch.reopened);
        facts(a, T0 + 10 * MIN, &inc);
        assert_true(inc.open);
        assert_int_equal(inc.resolved_at, 0);
        incident_clear(&inc);
        aggregate_destroy(a);
}

static void test_a_deadline_rescores_once(void **state) {
        (void)state;
        aggregate_t *a = aggregate_new("INC-3");
        aggregate_change_t ch;
        aggregate_begin(a);
        aggregate_apply_alert(a, alert("a1", "checkout", true, T0));
        end(a, T0);
        aggregate_begin(a);
        aggregate_end(a, T0 + MIN, T0 + MIN, QUIET, &ch);
        assert_true(ch.changed);
        /* The same deadline again (a lease that ran out), or an older one. */
        aggregate_begin(a);
        aggregate_end(a, T0 + MIN, T0 + MIN, QUIET, &ch);
        assert_false(ch.changed);
        aggregate_begin(a);
        aggregate_end(a, T0 + MIN, T0 + 1, QUIET, &ch);
        assert_false(ch.changed);
        assert_int_equal(aggregate_revision(a), 2);
        aggregate_destroy(a);
}

static void test_worst_report_not_the_sum_and_regions(void **state) {
        (void)state;
        incident_t inc = {0};
        aggregate_t *a = aggregate_new("INC-4");
        aggregate_begin(a);
        event_t *e = (event_t *)alert("a1", "checkout", true, T0);
        e->u.alert.affected_users = 4000;
        e->region = "eu-west";
        e->has |= HAS_AFFECTED_USERS;
        aggregate_apply_alert(a, e);
        e = (event_t *)alert("a2", "payments", true, T0 + 1);
        e->u.alert.affected_users = 2500;
        e->u.alert.disruption = DISRUPTION_LATENCY;
        e->region = "eu-west";
        e->has |= HAS_AFFECTED_USERS | HAS_DISRUPTION;
        aggregate_apply_alert(a, e);
        e = (event_t *)alert("a3", "payments", true, T0 + 2);
        e->u.alert.slo_burn_rate = 14.4;
        e->has |= HAS_SLO_BURN_RATE;
        aggregate_apply_alert(a, e); /* keeps payments' users and region */
        end(a, T0 + 2);
        facts(a, T0 + 2, &inc);
        assert_int_equal(inc.affected_users, 4000);
        /* checkout never named its disruption: DEGRADED beats LATENCY. */
        assert_int_equal(inc.disruption, DISRUPTION_DEGRADED);
        assert_true(inc.slo_burn_rate == 14.4);
        assert_true(inc.revenue_loss_per_hour == -1);
        assert_string_equal(inc.root_service, "checkout");
        assert_int_equal(inc.services_cnt, 2);
        assert_int_equal(inc.region_users_cnt, 1);
        assert_string_equal(inc.region_users[0].region, "eu-west");
        assert_int_equal(inc.region_users[0].users, 4000);
        incident_clear(&inc);
        aggregate_destroy(a);
}

static void test_ticket_status_moves_the_open_count(void **state) {
        (void)state;
        incident_t inc = {0};
        aggregate_t *a = aggregate_new("INC-5");
        aggregate_begin(a);
        aggregate_apply_ticket(a, ticket("t1", "T-1", "acme", TICKET_OPEN, T0), &unknown);
        aggregate_apply_ticket(a, ticket("t2", "T-1", "acme", TICKET_SOLVED, T0 + 1), &unknown);
        aggregate_apply_ticket(a, ticket("t3", "T-2", "acme", TICKET_SOLVED, T0 + 2), &unknown);
        end(a, T0 + 2);
        facts(a, T0 + 2, &inc);
        assert_int_equal(inc.tickets_total, 2);
        assert_int_equal(inc.tickets_open, 0);
        aggregate_begin(a);
        aggregate_apply_ticket(a, ticket("t4", "T-1", "acme", TICKET_REOPENED, T0 + 3), &unknown);
        end(a, T0 + 3);
        facts(a, T0 + 3, &inc);
        assert_int_equal(inc.tickets_total, 2);
        assert_int_equal(inc.tickets_open, 1);
        assert_int_equal(inc.accounts_cnt, 0); /* acme is not a key account */
        assert_int_equal(inc.new_tickets_cnt, 0);
        incident_clear(&inc);
        aggregate_destroy(a);
}

static void test_windows_count_by_event_minute(void **state) {
        (void)state;
        incident_t inc = {0};
        aggregate_t *a = aggregate_new("INC-6");
        int64_t base = (T0 / MIN) * MIN; /* the start of a minute */
        aggregate_begin(a);
        /* Three tickets 6-9 minutes ago (previous window of 5), one now. */
        aggregate_apply_ticket(a, ticket("t1", "T-1", "acme", TICKET_OPEN, base - 9 * MIN), &unknown);
        aggregate_apply_ticket(a, ticket("t2", "T-2", "acme", TICKET_OPEN, base - 6 * MIN), &unknown);
        aggregate_apply_ticket(a, ticket("t3", "T-3", "acme", TICKET_OPEN, base - 5 * MIN), &unknown);
        aggregate_apply_ticket(a, ticket("t4", "T-4", "acme", TICKET_OPEN, base - 4 * MIN), &unknown);
        aggregate_apply_sentiment(a, sentiment("s1", -0.5, base - 7 * MIN), true);
        aggregate_apply_sentiment(a, sentiment("s2", -0.75, base), true);
        aggregate_apply_sentiment(a, sentiment("s3", 0.25, base + 59999), false);
        end(a, base + 59999);
        facts(a, base + 59999, &inc);
        /* Now: minutes base-4 .. base; before: base-9 .. base-5. */
        assert_int_equal(inc.tickets_now, 1);
        assert_int_equal(inc.tickets_prev, 3);
        assert_int_equal(inc.sentiment_now_count, 2);
        assert_int_equal(inc.sentiment_now_negative, 1);
        assert_true(inc.sentiment_now_sum == -0.5);
        assert_int_equal(inc.sentiment_prev_count, 1);
        assert_true(inc.sentiment_prev_sum == -0.5);
        assert_int_equal(inc.sentiment_count, 3);
        assert_int_equal(inc.sentiment_negative, 2);
        /* A minute later the windows move; a clock behind the last event
         * does not move them back. */
        facts(a, base + 5 * MIN, &inc);
        assert_int_equal(inc.tickets_now, 0);
        assert_int_equal(inc.tickets_prev, 1);
        facts(a, base - 60 * MIN, &inc);
        assert_int_equal(inc.tickets_now, 1);
        incident_clear(&inc);
        aggregate_destroy(a);
}

static void test_segments_count_new_tickets(void **state) {
        (void)state;
        incident_t inc = {0};
        aggregate_t *a = aggregate_new("INC-7");
        account_facts_t eu1 = unknown;
        eu1.prefix = "eu1-acme";
        eu1.prefix_len = 3;
        aggregate_begin(a);
        event_t *e = (event_t *)ticket("t1", "T-1", "eu1-acme", TICKET_OPEN, T0);
        e->region = "eu-west";
        e->u.ticket.platform = "ios";
        aggregate_apply_ticket(a, e, &eu1);
        e = (event_t *)ticket("t2", "T-1", "eu1-acme", TICKET_SOLVED, T0 + 1);
        e->region = "eu-west"; /* the same ticket: no new count */
        aggregate_apply_ticket(a, e, &eu1);
        e = (event_t *)ticket("t3", "T-2", "eu1-acme", TICKET_OPEN, T0 + 2);
        e->region = "eu-west";
        aggregate_apply_ticket(a, e, &eu1);
        end(a, T0 + 2);
        facts(a, T0 + 2, &inc);
        assert_int_equal(inc.segments_cnt, 3);
        assert_int_equal(inc.segments[0].kind, SEGMENT_REGION);
        assert_string_equal(inc.segments[0].value, "eu-west");
        assert_int_equal(inc.segments[0].count, 2);
        assert_int_equal(inc.segments[1].kind, SEGMENT_PLATFORM);
        assert_string_equal(inc.segments[1].value, "ios");
        assert_int_equal(inc.segments[1].count, 1);
        assert_int_equal(inc.segments[2].kind, SEGMENT_ACCOUNT_PREFIX);
        assert_string_equal(inc.segments[2].value, "eu1");
        assert_int_equal(inc.segments[2].count, 2);
        incident_clear(&inc);
        aggregate_destroy(a);
}

static void test_resolved_lists_every_account_and_decisions_go_forward(void **state) {
        (void)state;
        incident_t inc = {0};
        aggregate_t *a = aggregate_new("INC-8");
        account_facts_t ent = {TIER_ENTERPRISE, TIER_NONE, -1, -1, NULL, 0};
        aggregate_begin(a);
        aggregate_apply_alert(a, alert("a1", "checkout", true, T0));
        aggregate_apply_ticket(a, ticket("t1", "T-1", "small", TICKET_OPEN, T0), &unknown);
        aggregate_apply_ticket(a, ticket("t2", "T-2", "big", TICKET_OPEN, T0), &ent);
        end(a, T0);
        assert_int_equal(aggregate_decided(a, 1, "p1", "n1", true, T0 + 5), 0);
        /* A slower decision of the same revision is dropped. */
        assert_int_equal(aggregate_decided(a, 1, "p-old", "n-old", false, T0 + 9), 1);
        facts(a, T0, &inc);
        assert_int_equal(inc.accounts_cnt, 1);
        assert_string_equal(inc.policy_state, "p1");
        assert_string_equal(inc.notify_state, "n1");
        assert_int_equal(inc.decide_v, 1);
        assert_int_equal(inc.triaged_at, T0 + 5);

        aggregate_begin(a);
        aggregate_apply_alert(a, alert("a2", "checkout", false, T0 + MIN));
        end(a, T0 + MIN + QUIET);
        assert_false(aggregate_open(a));
        facts(a, T0 + MIN + QUIET, &inc);
        assert_int_equal(inc.accounts_cnt, 2);
        assert_string_equal(inc.accounts[0].id, "small");
        assert_string_equal(inc.accounts[1].id, "big");
        incident_clear(&inc);
        aggregate_destroy(a);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_accounts_count_once_and_a_new_arr_replaces_the_old),
                cmocka_unit_test(test_a_replayed_event_changes_nothing),
                cmocka_unit_test(test_quiet_time_resolves_and_hands_over_firing_dependents),
                cmocka_unit_test(test_a_deadline_rescores_once),
                cmocka_unit_test(test_worst_report_not_the_sum_and_regions),
                cmocka_unit_test(test_ticket_status_moves_the_open_count),
                cmocka_unit_test(test_windows_count_by_event_minute),
                cmocka_unit_test(test_segments_count_new_tickets),
                cmocka_unit_test(test_resolved_lists_every_account_and_decisions_go_forward),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        event_free_spill(&ev);
        return r;
}
