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
#include "record.h"

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


/* ---- the store of record --------------------------------------------------- */

/* What one incident's partition write leaves stored: its core record and,
 * per set, field -> value, an entry replaced when written again. */
#define MAX_ENTRIES 64
typedef struct stored {
        record_buf_t core;
        struct {
                char *field[MAX_ENTRIES], *value[MAX_ENTRIES];
                size_t vlen[MAX_ENTRIES], n;
        } set[AGG_SET_COUNT];
        size_t written[AGG_SET_COUNT]; /* entries written by the last save */
} stored_t;

static aggregate_set_t writing;

static int store_entry(void *arg, const char *field, size_t flen,
                       const char *value, size_t vlen) {
        stored_t *st = arg;
        size_t i = 0;
        while (i < st->set[writing].n && strcmp(st->set[writing].field[i], field))
                i++;
        assert_true(i < MAX_ENTRIES);
        if (i == st->set[writing].n) {
                st->set[writing].field[i] = strndup(field, flen);
                st->set[writing].n++;
        }
        free(st->set[writing].value[i]);
        st->set[writing].value[i] = malloc(vlen + 1);
        memcpy(st->set[writing].value[i], value, vlen);
        st->set[writing].vlen[i] = vlen;
        st->written[writing]++;
        return 0;
}

/* One partition write of `a`: what changed, then its core record. */
static void save(aggregate_t *a, stored_t *st) {
        record_buf_t scratch = {0};
        for (writing = 0; writing < AGG_SET_COUNT; writing++) {
                st->written[writing] = 0;
                assert_int_equal(aggregate_changes(a, writing, &scratch, store_entry, st), 0);
        }
        record_buf_reset(&st->core);
        aggregate_encode(a, &st->core);
        assert_false(st->core.failed);
        aggregate_saved(a);
        record_buf_free(&scratch);
}

/* A new owner's load: the entries in reverse order of writing, to show
 * that order is the record's, not the store's. */
static aggregate_t *load(const stored_t *st, const char *id) {
        char errstr[256];
        aggregate_t *a = aggregate_decode(id, st->core.p, st->core.len, errstr,
                                          sizeof(errstr));
        assert_non_null(a);
        for (int k = AGG_SET_COUNT - 1; k >= 0; k--)
                for (size_t i = st->set[k].n; i-- > 0;)
                        assert_int_equal(aggregate_load_entry(a, (aggregate_set_t)k,
                                                              st->set[k].field[i],
                                                              strlen(st->set[k].field[i]),
                                                              st->set[k].value[i],
                                                              st->set[k].vlen[i], errstr,
                                                              sizeof(errstr)), 0);
        assert_int_equal(aggregate_load_done(a, errstr, sizeof(errstr)), 0);
        return a;
}

static void stored_free(stored_t *st) {
        for (size_t k = 0; k < AGG_SET_COUNT; k++)
                for (size_t i = 0; i < st->set[k].n; i++) {
                        free(st->set[k].field[i]);
                        free(st->set[k].value[i]);
                }
        record_buf_free(&st->core);
}

static void assert_same_facts(const aggregate_t *x, const aggregate_t *y, int64_t now) {
        incident_t a = {0}, b = {0};
        facts(x, now, &a);
        facts(y, now, &b);
        assert_string_equal(a.id, b.id);
        assert_int_equal(a.revision, b.revision);
        assert_int_equal(a.open, b.open);
        assert_string_equal(a.root_service, b.root_service);
        assert_int_equal(a.detected_at, b.detected_at);
        assert_int_equal(a.last_event_at, b.last_event_at);
        assert_int_equal(a.resolved_at, b.resolved_at);
        assert_int_equal(a.triaged_at, b.triaged_at);
        assert_int_equal(a.quiet_since, b.quiet_since);
        assert_int_equal(a.declared_severity, b.declared_severity);
        assert_int_equal(a.affected_users, b.affected_users);
        assert_int_equal(a.disruption, b.disruption);
        assert_true(a.slo_burn_rate == b.slo_burn_rate);
        assert_true(a.revenue_loss_per_hour == b.revenue_loss_per_hour);
        assert_int_equal(a.affected_accounts, b.affected_accounts);
        assert_true(a.arr_at_risk == b.arr_at_risk);
        assert_int_equal(a.max_tier, b.max_tier);
        assert_int_equal(a.tiers, b.tiers);
        assert_int_equal(a.strategic, b.strategic);
        assert_int_equal(a.tickets_total, b.tickets_total);
        assert_int_equal(a.tickets_open, b.tickets_open);
        assert_int_equal(a.personal_data_at_risk, b.personal_data_at_risk);
        assert_int_equal(a.personal_data_at, b.personal_data_at);
        assert_string_equal(a.policy_state, b.policy_state);
        assert_string_equal(a.notify_state, b.notify_state);
        assert_int_equal(a.decide_v, b.decide_v);
        assert_int_equal(a.sentiment_count, b.sentiment_count);
        assert_int_equal(a.sentiment_negative, b.sentiment_negative);
        assert_true(a.sentiment_sum == b.sentiment_sum);
        assert_int_equal(a.sentiment_now_count, b.sentiment_now_count);
        assert_int_equal(a.sentiment_now_negative, b.sentiment_now_negative);
        assert_true(a.sentiment_now_sum == b.sentiment_now_sum);
        assert_int_equal(a.sentiment_prev_count, b.sentiment_prev_count);
        assert_true(a.sentiment_prev_sum == b.sentiment_prev_sum);
        assert_int_equal(a.tickets_now, b.tickets_now);
        assert_int_equal(a.tickets_prev, b.tickets_prev);
        assert_int_equal(a.services_cnt, b.services_cnt);
        for (size_t i = 0; i < a.services_cnt; i++)
                assert_string_equal(a.services[i], b.services[i]);
        assert_int_equal(a.impacted_cnt, b.impacted_cnt);
        for (size_t i = 0; i < a.impacted_cnt; i++)
                assert_string_equal(a.impacted[i], b.impacted[i]);
        assert_int_equal(a.segments_cnt, b.segments_cnt);
        for (size_t i = 0; i < a.segments_cnt; i++) {
                assert_int_equal(a.segments[i].kind, b.segments[i].kind);
                assert_string_equal(a.segments[i].value, b.segments[i].value);
                assert_int_equal(a.segments[i].count, b.segments[i].count);
        }
        assert_int_equal(a.region_users_cnt, b.region_users_cnt);
        for (size_t i = 0; i < a.region_users_cnt; i++) {
                assert_string_equal(a.region_users[i].region, b.region_users[i].region);
                assert_int_equal(a.region_users[i].users, b.region_users[i].users);
        }
        assert_int_equal(a.handovers_cnt, b.handovers_cnt);
        for (size_t i = 0; i < a.handovers_cnt; i++)
                assert_string_equal(a.handovers[i].service, b.handovers[i].service);
        assert_int_equal(a.accounts_cnt, b.accounts_cnt);
        for (size_t i = 0; i < a.accounts_cnt; i++) {
                assert_string_equal(a.accounts[i].id, b.accounts[i].id);
                assert_int_equal(a.accounts[i].tier, b.accounts[i].tier);
                assert_true(a.accounts[i].arr == b.accounts[i].arr);
                assert_int_equal(a.accounts[i].strategic, b.accounts[i].strategic);
                assert_int_equal(a.accounts[i].tickets, b.accounts[i].tickets);
        }
        incident_clear(&a);
        incident_clear(&b);
}

/* The same events into an incident and into its reloaded copy. */
static void apply_more(aggregate_t *a, int64_t at) {
        account_facts_t ent = {TIER_ENTERPRISE, TIER_NONE, 250000, -1, NULL, 0};
        aggregate_begin(a);
        assert_int_equal(aggregate_apply_ticket(a, ticket("m1", "T-1", "acme", TICKET_SOLVED, at), &unknown), AGG_APPLIED);
        assert_int_equal(aggregate_apply_ticket(a, ticket("m2", "T-9", "initech", TICKET_OPEN, at), &ent), AGG_APPLIED);
        assert_int_equal(aggregate_apply_sentiment(a, sentiment("m3", -0.9, at), true), AGG_APPLIED);
        assert_int_equal(aggregate_apply_ticket(a, ticket("t1", "T-1", "acme", TICKET_OPEN, at), &unknown), AGG_DUPLICATE);
        aggregate_end(a, at, 0, QUIET, &(aggregate_change_t){0});
}

static aggregate_t *busy_incident(void) {
        aggregate_t *a = aggregate_new("users-db-7f3a");
        account_facts_t strat = {TIER_PRO, TIER_ENTERPRISE, 120000, 1, "eu1-x", 3};
        account_facts_t acme = {TIER_BUSINESS, TIER_NONE, 500000, -1, NULL, 0};
        aggregate_begin(a);
        event_t *e = (event_t *)alert("a1", "users-db", true, T0);
        e->u.alert.affected_users = 9000;
        e->u.alert.declared_severity = 2;
        e->region = "eu-west";
        e->has |= HAS_AFFECTED_USERS | HAS_DECLARED_SEVERITY;
        aggregate_apply_alert(a, e);
        aggregate_end(a, T0, 0, QUIET, &(aggregate_change_t){0});
        aggregate_impact_add(a, "web");
        aggregate_impact_add(a, "accounts-api");
        aggregate_begin(a);
        aggregate_apply_alert(a, alert("a2", "web", true, T0 + 1000));
        e = (event_t *)ticket("t1", "T-1", "acme", TICKET_OPEN, T0 + 2000);
        e->region = "eu-west";
        e->u.ticket.personal_data_at_risk = true;
        aggregate_apply_ticket(a, e, &acme);
        aggregate_apply_ticket(a, ticket("t2", "T-2", "eu1-x", TICKET_OPEN, T0 + 3000), &strat);
        aggregate_apply_sentiment(a, sentiment("s1", -0.4, T0 + 4000), true);
        aggregate_end(a, T0 + 4000, 0, QUIET, &(aggregate_change_t){0});
        assert_int_equal(aggregate_decided(a, 2, "policy-state", "", true, T0 + 4500), 0);
        aggregate_published(a, 2);
        return a;
}

static void test_a_new_owner_loads_what_the_last_one_stored(void **state) {
        (void)state;
        stored_t st = {0};
        aggregate_t *a = busy_incident();
        save(a, &st);
        /* The first write stores every entry. */
        assert_int_equal(st.written[AGG_SET_SEEN], 5);
        assert_int_equal(st.written[AGG_SET_ACCOUNTS], 2);
        assert_int_equal(st.written[AGG_SET_TICKETS], 2);
        assert_int_equal(st.written[AGG_SET_SEGMENTS], 2); /* eu-west, eu1 */
        aggregate_t *b = load(&st, "users-db-7f3a");
        assert_same_facts(a, b, T0 + 5000);
        assert_int_equal(aggregate_published_revision(b), 2);

        /* Both go on alike: the loaded one dedups, counts and orders as the
         * original does. */
        apply_more(a, T0 + 6000);
        apply_more(b, T0 + 6000);
        assert_same_facts(a, b, T0 + 6000);

        /* The next write carries only what changed. */
        save(a, &st);
        assert_int_equal(st.written[AGG_SET_SEEN], 3);
        assert_int_equal(st.written[AGG_SET_ACCOUNTS], 2);  /* acme, initech */
        assert_int_equal(st.written[AGG_SET_TICKETS], 2);   /* T-1, T-9 */
        assert_int_equal(st.written[AGG_SET_SEGMENTS], 0);
        aggregate_t *c = load(&st, "users-db-7f3a");
        assert_same_facts(a, c, T0 + 7000);
        /* Nothing changed: nothing to write. */
        save(a, &st);
        for (size_t k = 0; k < AGG_SET_COUNT; k++)
                assert_int_equal(st.written[k], 0);
        aggregate_destroy(a);
        aggregate_destroy(b);
        aggregate_destroy(c);
        stored_free(&st);
}

static void test_a_damaged_record_is_refused_not_believed(void **state) {
        (void)state;
        char errstr[256];
        stored_t st = {0};
        aggregate_t *a = busy_incident();
        save(a, &st);

        /* Cut short anywhere: refused. */
        for (size_t len = 0; len < st.core.len; len++) {
                aggregate_t *b = aggregate_decode("x", st.core.p, len, errstr,
                                                  sizeof(errstr));
                assert_null(b);
        }
        /* A version this worker does not know. */
        st.core.p[0] = 9;
        assert_null(aggregate_decode("x", st.core.p, st.core.len, errstr, sizeof(errstr)));
        assert_string_equal(errstr, "incident record of version 9, this worker reads 1");
        st.core.p[0] = 1;

        /* One ticket entry lost. */
        aggregate_t *b = aggregate_decode("x", st.core.p, st.core.len, errstr,
                                          sizeof(errstr));
        assert_non_null(b);
        for (size_t k = 0; k < AGG_SET_COUNT; k++)
                for (size_t i = 0; i < st.set[k].n; i++)
                        if (!(k == AGG_SET_TICKETS && i == 0))
                                assert_int_equal(aggregate_load_entry(b, (aggregate_set_t)k,
                                        st.set[k].field[i], strlen(st.set[k].field[i]),
                                        st.set[k].value[i], st.set[k].vlen[i], errstr,
                                        sizeof(errstr)), 0);
        assert_int_equal(aggregate_load_done(b, errstr, sizeof(errstr)), -1);
        assert_string_equal(errstr, "incident entries do not match its record "
                                    "(5 ids, 2 accounts, 2 tickets, 2 segments expected)");
        aggregate_destroy(b);

        /* A segment entry of no known kind. */
        b = aggregate_decode("x", st.core.p, st.core.len, errstr, sizeof(errstr));
        assert_non_null(b);
        assert_int_equal(aggregate_load_entry(b, AGG_SET_SEGMENTS, "zeu", 3,
                                              st.set[AGG_SET_SEGMENTS].value[0],
                                              st.set[AGG_SET_SEGMENTS].vlen[0], errstr,
                                              sizeof(errstr)), -1);
        assert_string_equal(errstr, "incident entry 'zeu' malformed");
        aggregate_destroy(b);
        aggregate_destroy(a);
        stored_free(&st);
}

static void test_pruned_minutes_change_no_window(void **state) {
        (void)state;
        aggregate_t *a = aggregate_new("long-1");
        record_buf_t before = {0}, after = {0};
        aggregate_begin(a);
        for (int m = 0; m < 600; m++) {
                char id[16];
                snprintf(id, sizeof(id), "s%d", m);
                aggregate_apply_sentiment(a, sentiment(id, -0.5, T0 + m * MIN), true);
        }
        aggregate_end(a, T0 + 600 * MIN, 0, QUIET, &(aggregate_change_t){0});
        incident_t x = {0}, y = {0};
        facts(a, T0 + 600 * MIN, &x);
        aggregate_encode(a, &before);
        /* Windows of 5 minutes reach back 10. */
        aggregate_prune_minutes(a, 10);
        aggregate_encode(a, &after);
        facts(a, T0 + 600 * MIN, &y);
        assert_int_equal(x.sentiment_now_count, y.sentiment_now_count);
        assert_int_equal(x.sentiment_prev_count, y.sentiment_prev_count);
        assert_int_equal(y.sentiment_now_count, 4); /* minutes 596..599 */
        assert_int_equal(y.sentiment_prev_count, 5);
        assert_int_equal(y.sentiment_count, 600); /* the totals stay */
        assert_true(after.len < before.len / 20);
        incident_clear(&x);
        incident_clear(&y);
        record_buf_free(&before);
        record_buf_free(&after);
        aggregate_destroy(a);
}

static void test_what_an_incident_replaces_leaves_its_count(void **state) {
        (void)state;
        aggregate_t *a = busy_incident(), *b = busy_incident();
        char policy[64];
        /* New states of the same size, decided again and again: the count
         * stays where the first put it. */
        assert_int_equal(aggregate_decided(a, 3, "policy-000003", "notify", false, T0), 0);
        size_t after_one = aggregate_bytes(a);
        for (int rev = 4; rev < 300; rev++) {
                snprintf(policy, sizeof(policy), "policy-%06d", rev);
                assert_int_equal(aggregate_decided(a, rev, policy, "notify", false, T0), 0);
        }
        assert_int_equal(aggregate_bytes(a), after_one);
        /* The same alerts into two incidents, one naming a new region each
         * time (of the length of the one it has), the other none: a region
         * replaced is a region freed, so both grow alike. */
        size_t a0 = aggregate_bytes(a), b0 = aggregate_bytes(b);
        for (int i = 0; i < 200; i++) {
                snprintf(policy, sizeof(policy), "alert-%06d", i);
                for (int k = 0; k < 2; k++) {
                        aggregate_t *x = k ? b : a;
                        event_t *e = (event_t *)alert(policy, "users-db", true, T0);
                        e->region = k ? NULL : i % 2 ? "eu-west" : "eu-east";
                        aggregate_begin(x);
                        assert_int_equal(aggregate_apply_alert(x, e), AGG_APPLIED);
                        aggregate_end(x, T0, 0, QUIET, &(aggregate_change_t){0});
                }
        }
        assert_int_equal(aggregate_bytes(a) - a0, aggregate_bytes(b) - b0);
        aggregate_destroy(a);
        aggregate_destroy(b);
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
                cmocka_unit_test(test_a_new_owner_loads_what_the_last_one_stored),
                cmocka_unit_test(test_a_damaged_record_is_refused_not_believed),
                cmocka_unit_test(test_pruned_minutes_change_no_window),
                cmocka_unit_test(test_what_an_incident_replaces_leaves_its_count),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        event_free_spill(&ev);
        return r;
}
