/* src/notify.c: which notifications an incident revision yields, with the
 * default templates of the configuration; and the notify state's string
 * form (src/notify_state.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_fixture.h"
#include "notify.h"

#define T0 1714564800000LL /* 2024-05-01T12:00:00Z */

static config_t *conf;
static notify_result_t *res;
static notify_state_t st;

static const char *const radius[] = {"payments-db", "payments", "checkout-web"};

static int setup(void **state) {
        (void)state;
        conf = must_load("");
        res = notify_result_new();
        return res ? 0 : -1;
}

static int teardown(void **state) {
        (void)state;
        notify_result_destroy(res);
        config_destroy(conf);
        return 0;
}

static notify_input_t base_input(int64_t revision) {
        return (notify_input_t){
                .incident_id = "inc-1",
                .revision = revision,
                .open = true,
                .now = T0 + revision * 60000,
                .root_service = "payments-db",
                .team = "payments",
                .disruption = DISRUPTION_OUTAGE,
                .level = 3,
                .impact_class = CLASS_DEGRADED,
                .score = 45,
                .affected_users = 5000,
                .user_share = 0.2,
                .affected_accounts = 3,
                .arr_at_risk = 120000,
                .slo_burn_rate = 6,
                .blast_radius = radius,
                .blast_radius_cnt = 3,
                .services = radius,
                .services_cnt = 1,
                .segments_summary = "tickets concentrated in eu-central",
                .tickets_total = 7,
                .tickets_open = 5,
                .ticket_trend = TREND_RISING,
                .sentiment_mean = -0.4,
                .sentiment_count = 4,
                .duration_ms = revision * 60000,
                .detected_at = T0,
        };
}

static void evaluate(const notify_input_t *in) {
        char err[128];

        if (notify_evaluate(&conf->notify, in, &st, res, err, sizeof(err)))
                fail_msg("%s", err);
}

/* The ids of the result, one per line. */
static const char *ids(void) {
        static char out[4096];
        size_t len = 0;

        out[0] = '\0';
        for (size_t i = 0; i < res->cnt; i++)
                len += (size_t)snprintf(out + len, sizeof(out) - len, "%s\n",
                                        res->items[i].notification_id);
        return out;
}

static const notification_t *find(audience_t a, notify_kind_t k) {
        for (size_t i = 0; i < res->cnt; i++)
                if (res->items[i].audience == a && res->items[i].kind == k)
                        return &res->items[i];
        fail_msg("no %s %s in:\n%s", notify_kind_name(k), audience_name(a),
                 ids());
        return NULL;
}

static void fresh(void) {
        memset(&st, 0, sizeof(st));
}

static void test_opened_once_per_audience(void **state) {
        notify_input_t in = base_input(1);

        (void)state;
        fresh();
        evaluate(&in);
        assert_string_equal(ids(), "inc-1:OPENED:EXECUTIVE:1\n"
                                   "inc-1:OPENED:ENGINEERING:1\n"
                                   "inc-1:OPENED:CUSTOMER:1\n"
                                   "inc-1:OPENED:CUSTOMER_LIAISON:1\n");
        for (size_t i = 0; i < res->cnt; i++) {
                assert_int_equal(res->items[i].revision, 1);
                assert_string_equal(res->items[i].incident_id, "inc-1");
                assert_null(res->items[i].account_id);
                assert_int_equal(res->items[i].created_at, T0 + 60000);
        }
        in = base_input(2);
        evaluate(&in);
        assert_int_equal(res->cnt, 0);
}

static void test_replayed_revision_yields_nothing(void **state) {
        notify_input_t in = base_input(5);

        (void)state;
        fresh();
        evaluate(&in);
        assert_int_equal(res->cnt, 4);
        in.level = 1; /* even with news: revision 5 was decided */
        evaluate(&in);
        assert_int_equal(res->cnt, 0);
        in.revision = 4;
        evaluate(&in);
        assert_int_equal(res->cnt, 0);
        assert_int_equal(st.revision, 5);
}

static void test_impact_changed_on_level_or_class_only(void **state) {
        notify_input_t in = base_input(1);

        (void)state;
        fresh();
        evaluate(&in);
        in = base_input(2);
        in.score = 58; /* same level 3, same class */
        in.affected_users = 6000;
        evaluate(&in);
        assert_int_equal(res->cnt, 0);

        in = base_input(3);
        in.level = 2;
        evaluate(&in);
        assert_string_equal(ids(), "inc-1:IMPACT_CHANGED:EXECUTIVE:3\n"
                                   "inc-1:IMPACT_CHANGED:ENGINEERING:3\n"
                                   "inc-1:IMPACT_CHANGED:CUSTOMER:3\n"
                                   "inc-1:IMPACT_CHANGED:CUSTOMER_LIAISON:3\n");
        assert_non_null(
                strstr(find(AUDIENCE_EXECUTIVE, NOTIFY_IMPACT_CHANGED)->body,
                       "from level 3 (DEGRADED) to 2 (DEGRADED)"));

        in = base_input(4);
        in.level = 2;
        in.impact_class = CLASS_COMPLETE;
        evaluate(&in);
        assert_int_equal(res->cnt, 4);
        assert_non_null(
                strstr(find(AUDIENCE_ENGINEERING, NOTIFY_IMPACT_CHANGED)->body,
                       "class DEGRADED -> COMPLETE"));

        in = base_input(5);
        in.level = 2;
        in.impact_class = CLASS_COMPLETE;
        in.score = 79;
        evaluate(&in);
        assert_int_equal(res->cnt, 0);
}

static void test_sla_at_risk_once_per_tier(void **state) {
        notify_input_t in = base_input(1);

        (void)state;
        fresh();
        evaluate(&in);
        in = base_input(2);
        in.sla_at_risk = 1u << TIER_ENTERPRISE;
        evaluate(&in);
        assert_string_equal(ids(), "inc-1:SLA_AT_RISK:EXECUTIVE:2\n"
                                   "inc-1:SLA_AT_RISK:ENGINEERING:2\n"
                                   "inc-1:SLA_AT_RISK:CUSTOMER_LIAISON:2\n");
        assert_non_null(
                strstr(find(AUDIENCE_EXECUTIVE, NOTIFY_SLA_AT_RISK)->body,
                       "SLA exposure: ENTERPRISE at risk."));
        in.revision = 3;
        evaluate(&in);
        assert_int_equal(res->cnt, 0);

        /* At risk, then breached: news again; still breached: not. */
        in = base_input(4);
        in.sla_breached = 1u << TIER_ENTERPRISE;
        evaluate(&in);
        assert_int_equal(res->cnt, 3);
        assert_non_null(
                strstr(find(AUDIENCE_EXECUTIVE, NOTIFY_SLA_AT_RISK)->body,
                       "ENTERPRISE breached."));
        in.revision = 5;
        in.sla_at_risk = 1u << TIER_PRO;
        evaluate(&in);
        assert_int_equal(res->cnt, 3);
        assert_non_null(
                strstr(find(AUDIENCE_ENGINEERING, NOTIFY_SLA_AT_RISK)->body,
                       "SLA PRO at risk on incident inc-1"));
        in.revision = 6;
        evaluate(&in);
        assert_int_equal(res->cnt, 0);
}

static void test_resolved_once_per_audience(void **state) {
        notify_input_t in = base_input(1);

        (void)state;
        fresh();
        evaluate(&in);
        in = base_input(2);
        in.open = false;
        in.resolved_at = T0 + 42 * 60000;
        in.duration_ms = 42 * 60000;
        evaluate(&in);
        assert_string_equal(ids(), "inc-1:RESOLVED:EXECUTIVE:2\n"
                                   "inc-1:RESOLVED:ENGINEERING:2\n"
                                   "inc-1:RESOLVED:CUSTOMER:2\n"
                                   "inc-1:RESOLVED:CUSTOMER_LIAISON:2\n");
        assert_non_null(strstr(find(AUDIENCE_EXECUTIVE, NOTIFY_RESOLVED)->body,
                               "Resolved after 42 min"));
        in.revision = 3;
        in.tickets_total = 9;
        evaluate(&in);
        assert_int_equal(res->cnt, 0);
}

/* Open again after RESOLVED: everyone engaged hears the impact changed,
 * and the next resolution is announced again. */
static void test_reopen_rearms_resolution(void **state) {
        notify_input_t in = base_input(1);

        (void)state;
        fresh();
        evaluate(&in);
        in = base_input(2);
        in.open = false;
        evaluate(&in);
        in = base_input(3);
        evaluate(&in);
        assert_int_equal(res->cnt, 4);
        assert_int_equal(res->items[0].kind, NOTIFY_IMPACT_CHANGED);
        in = base_input(4);
        in.open = false;
        evaluate(&in);
        assert_int_equal(res->cnt, 4);
        assert_int_equal(res->items[0].kind, NOTIFY_RESOLVED);
}

static const notify_account_t accounts[] = {
        {"free-a", TIER_FREE, 0, false, 2},
        {"pro-b", TIER_PRO, 1200, false, 1},
        {"ent-c", TIER_ENTERPRISE, 100000, false, 1},
        {"strat-d", TIER_PRO, 5000, true, 3},
        {"ent-e", TIER_ENTERPRISE, 300000, false, 0},
        {"biz-f", TIER_BUSINESS, 60000, false, 1},
        {"pro-a", TIER_PRO, 1200, false, 2},
};

static void test_follow_ups_go_to_reporting_accounts_in_order(void **state) {
        notify_input_t in = base_input(1);
        const notification_t *n;

        (void)state;
        fresh();
        in.accounts = accounts;
        in.accounts_cnt = 7;
        evaluate(&in);
        in.revision = 9;
        in.open = false;
        in.resolved_at = T0 + 3600000;
        evaluate(&in);
        assert_string_equal(ids(),
                            "inc-1:RESOLVED:EXECUTIVE:9\n"
                            "inc-1:RESOLVED:ENGINEERING:9\n"
                            "inc-1:RESOLVED:CUSTOMER:9\n"
                            "inc-1:RESOLVED:ACCOUNT_MANAGER:ent-e:9\n"
                            "inc-1:RESOLVED:ACCOUNT_MANAGER:ent-c:9\n"
                            "inc-1:RESOLVED:ACCOUNT_MANAGER:strat-d:9\n"
                            "inc-1:RESOLVED:CUSTOMER_LIAISON:9\n"
                            /* ent-e reported no ticket: no follow-up */
                            "inc-1:FOLLOW_UP:CUSTOMER_LIAISON:ent-c:9\n"
                            "inc-1:FOLLOW_UP:CUSTOMER_LIAISON:strat-d:9\n"
                            "inc-1:FOLLOW_UP:CUSTOMER_LIAISON:biz-f:9\n"
                            "inc-1:FOLLOW_UP:CUSTOMER_LIAISON:pro-a:9\n"
                            "inc-1:FOLLOW_UP:CUSTOMER_LIAISON:pro-b:9\n"
                            "inc-1:FOLLOW_UP:CUSTOMER_LIAISON:free-a:9\n");
        n = &res->items[8];
        assert_string_equal(n->account_id, "strat-d");
        assert_string_equal(n->body,
                            "Follow up with strat-d (PRO, ARR 5000): it "
                            "reported 3 tickets during the Outage of our "
                            "service, resolved at 2024-05-01T13:00:00Z after "
                            "1 min. 20% of users were affected; its SLA: not "
                            "at risk.");
        in.revision = 10;
        evaluate(&in);
        assert_int_equal(res->cnt, 0);
}

static void test_account_cmp_orders_key_accounts_first(void **state) {
        notify_account_t a[7];

        (void)state;
        memcpy(a, accounts, sizeof(a));
        qsort(a, 7, sizeof(a[0]), notify_account_cmp);
        assert_string_equal(a[0].id, "ent-e");
        assert_string_equal(a[1].id, "ent-c");
        assert_string_equal(a[2].id, "strat-d");
        assert_string_equal(a[3].id, "biz-f");
        assert_string_equal(a[4].id, "pro-a");
        assert_string_equal(a[5].id, "pro-b");
        assert_string_equal(a[6].id, "free-a");
}

static void test_account_manager_once_per_key_account(void **state) {
        notify_account_t more[8];
        notify_input_t in = base_input(1);
        const notification_t *n;

        (void)state;
        fresh();
        in.accounts = accounts;
        in.accounts_cnt = 7;
        evaluate(&in);
        assert_string_equal(ids(), "inc-1:OPENED:EXECUTIVE:1\n"
                                   "inc-1:OPENED:ENGINEERING:1\n"
                                   "inc-1:OPENED:CUSTOMER:1\n"
                                   "inc-1:OPENED:ACCOUNT_MANAGER:ent-e:1\n"
                                   "inc-1:OPENED:ACCOUNT_MANAGER:ent-c:1\n"
                                   "inc-1:OPENED:ACCOUNT_MANAGER:strat-d:1\n"
                                   "inc-1:OPENED:CUSTOMER_LIAISON:1\n");
        n = &res->items[5];
        assert_string_equal(n->account_id, "strat-d");
        assert_non_null(strstr(n->body, "Account strat-d (PRO, ARR 5000, "
                                        "strategic: yes)"));
        assert_non_null(strstr(n->body, "3 tickets from it"));

        /* A key account that shows up later is told then, alone. */
        memcpy(more, accounts, sizeof(accounts));
        more[7] = (notify_account_t){"ent-g", TIER_ENTERPRISE, -1, false, 1};
        in.revision = 2;
        in.accounts = more;
        in.accounts_cnt = 8;
        evaluate(&in);
        assert_string_equal(ids(), "inc-1:OPENED:ACCOUNT_MANAGER:ent-g:2\n");
        assert_non_null(strstr(res->items[0].body, "ARR unknown"));

        /* SLA of a tier: only the managers of accounts of that tier. */
        in.revision = 3;
        in.sla_at_risk = 1u << TIER_PRO;
        evaluate(&in);
        assert_non_null(
                strstr(ids(), "inc-1:SLA_AT_RISK:ACCOUNT_MANAGER:strat-d:3\n"));
        assert_null(strstr(ids(), "ACCOUNT_MANAGER:ent-"));
}

static void test_compliance_only_with_personal_data(void **state) {
        notify_input_t in = base_input(1);
        const notification_t *n;

        (void)state;
        fresh();
        evaluate(&in);
        assert_null(strstr(ids(), "COMPLIANCE"));
        in.revision = 2;
        in.personal_data_at_risk = true;
        evaluate(&in);
        assert_string_equal(ids(), "inc-1:OPENED:COMPLIANCE:2\n");
        n = find(AUDIENCE_COMPLIANCE, NOTIFY_OPENED);
        /* 72 hours after detection at 2024-05-01T12:00:00Z */
        assert_non_null(strstr(n->body, "Notification deadline (72 hours): "
                                        "2024-05-04T12:00:00Z"));
        in.revision = 3;
        in.open = false;
        evaluate(&in);
        assert_non_null(strstr(ids(), "inc-1:RESOLVED:COMPLIANCE:3\n"));
}

static void test_customer_sees_no_internal_names(void **state) {
        notify_input_t in = base_input(1);
        const notification_t *n;

        (void)state;
        fresh();
        evaluate(&in);
        n = find(AUDIENCE_CUSTOMER, NOTIFY_OPENED);
        assert_string_equal(n->title, "our service \xe2\x80\x93 Outage");
        assert_null(strstr(n->body, "payments"));
        assert_null(strstr(n->body, "inc-1"));
        assert_string_equal(find(AUDIENCE_ENGINEERING, NOTIFY_OPENED)->title,
                            "payments-db \xe2\x80\x93 Outage");

        fresh();
        in.display_name = "Checkout";
        in.disruption = DISRUPTION_LATENCY;
        evaluate(&in);
        n = find(AUDIENCE_CUSTOMER, NOTIFY_OPENED);
        assert_string_equal(n->title, "Checkout \xe2\x80\x93 Elevated latency");
        assert_string_equal(n->body,
                            "We are investigating a problem with Checkout "
                            "(Elevated latency) that started at "
                            "2024-05-01T12:00:00Z. We will post updates here "
                            "as we learn more.");
}

static void test_issue_type_from_worst_disruption(void **state) {
        notify_input_t in = base_input(1);

        (void)state;
        fresh();
        in.disruption = DISRUPTION_DEGRADED;
        evaluate(&in);
        assert_string_equal(find(AUDIENCE_EXECUTIVE, NOTIFY_OPENED)->title,
                            "payments-db \xe2\x80\x93 Degraded performance");
        fresh();
        in.disruption = -1;
        in.root_service = "";
        evaluate(&in);
        assert_string_equal(find(AUDIENCE_EXECUTIVE, NOTIFY_OPENED)->title,
                            "unknown service \xe2\x80\x93 Service disruption");
}

/* Two workers deciding one revision send the same notifications under
 * the same ids, whatever order Redis gave them the accounts in: the
 * account managers come in the order of their accounts' priority, not of
 * the input. */
static void test_ids_are_deterministic(void **state) {
        static const char *const want =
                "inc-1:OPENED:EXECUTIVE:7\n"
                "inc-1:OPENED:ENGINEERING:7\n"
                "inc-1:OPENED:CUSTOMER:7\n"
                "inc-1:OPENED:ACCOUNT_MANAGER:ent-e:7\n"
                "inc-1:OPENED:ACCOUNT_MANAGER:ent-c:7\n"
                "inc-1:OPENED:ACCOUNT_MANAGER:strat-d:7\n"
                "inc-1:OPENED:CUSTOMER_LIAISON:7\n"
                "inc-1:OPENED:COMPLIANCE:7\n";
        notify_account_t reversed[7];
        notify_input_t in = base_input(7);

        (void)state;
        in.accounts = accounts;
        in.accounts_cnt = 7;
        in.personal_data_at_risk = true;
        fresh();
        evaluate(&in);
        assert_string_equal(ids(), want);
        for (size_t i = 0; i < 7; i++)
                reversed[i] = accounts[6 - i];
        in.accounts = reversed;
        fresh();
        evaluate(&in);
        assert_string_equal(ids(), want);
}

/* The first evaluation sees the incident resolved already: no OPENED, but
 * a RESOLVED record for everyone and the follow-ups. */
static void test_first_seen_resolved(void **state) {
        notify_input_t in = base_input(1);

        (void)state;
        fresh();
        in.open = false;
        evaluate(&in);
        assert_string_equal(ids(), "inc-1:RESOLVED:EXECUTIVE:1\n"
                                   "inc-1:RESOLVED:ENGINEERING:1\n"
                                   "inc-1:RESOLVED:CUSTOMER:1\n"
                                   "inc-1:RESOLVED:CUSTOMER_LIAISON:1\n");
}

static void test_state_round_trip(void **state) {
        notify_input_t in = base_input(3);
        char buf[NOTIFY_STATE_MAX], again[NOTIFY_STATE_MAX], err[128];
        notify_state_t parsed;

        (void)state;
        fresh();
        assert_string_equal(notify_state_format(&st, buf, sizeof(buf)), "");
        assert_int_equal(notify_state_parse("", &parsed, err, sizeof(err)), 0);
        assert_int_equal(notify_state_parse(NULL, &parsed, err, sizeof(err)),
                         0);
        assert_int_equal(parsed.revision, 0);

        in.accounts = accounts;
        in.accounts_cnt = 7;
        in.sla_at_risk = 1u << TIER_PRO;
        in.sla_breached = 1u << TIER_ENTERPRISE;
        evaluate(&in);
        notify_state_format(&st, buf, sizeof(buf));
        assert_null(strchr(buf, ' '));
        assert_int_equal(
                strncmp(buf, "r=3;o=17;l=3;c=1;s=4;b=10;x=0;f=0;k=", 36), 0);
        assert_int_equal(strlen(buf), 36 + 3 * 16 + 2);
        if (notify_state_parse(buf, &parsed, err, sizeof(err)))
                fail_msg("%s", err);
        assert_memory_equal(&parsed, &st, sizeof(st));
        assert_string_equal(notify_state_format(&parsed, again, sizeof(again)),
                            buf);
}

static void test_state_garbage_rejected(void **state) {
        static const char *const bad[] = {
                "x",
                "r=1",
                "r=1;o=0;l=0;c=0;s=0;b=0;x=0;f=0",     /* no k= */
                "r=1;o=0;l=0;c=0;s=0;b=0;x=0;f=0;k=;", /* trailing */
                "r=-1;o=0;l=0;c=0;s=0;b=0;x=0;f=0;k=",
                "r=1;o=40;l=0;c=0;s=0;b=0;x=0;f=0;k=", /* audience 6 */
                "r=1;o=0;l=6;c=0;s=0;b=0;x=0;f=0;k=",  /* level 6 */
                "r=1;o=0;l=0;c=3;s=0;b=0;x=0;f=0;k=",  /* class 3 */
                "r=1;o=0;l=0;c=0;s=20;b=0;x=0;f=0;k=", /* tier 5 */
                "r=1;o=0;l=0;c=0;s=0;b=0;x=0;f=2;k=",
                "r=1;o=0;l=0;c=0;s=0;b=0;x=0;f=0;k=123",
                "r=1;o=0;l=0;c=0;s=0;b=0;x=0;f=0;k=0123456789abcdef,",
                "r=1;o=0;l=0;c=0;s=0;b=0;x=0;f=0;k=0123456789ABCDEF",
                "r=1;o=0;l=0;c=0;s=0;b=0;f=0;x=0;k=", /* order */
                "r=1; o=0;l=0;c=0;s=0;b=0;x=0;f=0;k=",
                "r=99999999999999999999;o=0;l=0;c=0;s=0;b=0;x=0;f=0;k=",
        };
        notify_state_t parsed;
        char err[128];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                if (notify_state_parse(bad[i], &parsed, err, sizeof(err)) !=
                    IMPACTD_ERR_INVALID)
                        fail_msg("accepted '%s'", bad[i]);
                assert_non_null(strstr(err, "bad notify state"));
        }
        assert_int_equal(notify_state_parse("r=1;o=0;l=0;c=0;s=0;b=0;x=0;f=0;"
                                            "k=0123456789abcdef",
                                            &parsed, err, sizeof(err)),
                         0);
        assert_int_equal(parsed.accounts_cnt, 1);
        assert_true(parsed.accounts[0] == 0x0123456789abcdefULL);
}

static void test_disabled_audience_and_pair(void **state) {
        config_t *c = must_load("notifications:\n"
                                "  audiences: [EXECUTIVE, CUSTOMER]\n"
                                "  templates:\n"
                                "    customer:\n"
                                "      opened: null\n");
        notify_input_t in = base_input(1);
        char err[128];

        (void)state;
        fresh();
        assert_int_equal(
                notify_evaluate(&c->notify, &in, &st, res, err, sizeof(err)),
                0);
        assert_string_equal(ids(), "inc-1:OPENED:EXECUTIVE:1\n");
        /* The customer audience is engaged all the same: it hears later. */
        in = base_input(2);
        in.level = 1;
        assert_int_equal(
                notify_evaluate(&c->notify, &in, &st, res, err, sizeof(err)),
                0);
        assert_string_equal(ids(), "inc-1:IMPACT_CHANGED:EXECUTIVE:2\n"
                                   "inc-1:IMPACT_CHANGED:CUSTOMER:2\n");
        config_destroy(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_opened_once_per_audience),
                cmocka_unit_test(test_replayed_revision_yields_nothing),
                cmocka_unit_test(test_impact_changed_on_level_or_class_only),
                cmocka_unit_test(test_sla_at_risk_once_per_tier),
                cmocka_unit_test(test_resolved_once_per_audience),
                cmocka_unit_test(test_reopen_rearms_resolution),
                cmocka_unit_test(
                        test_follow_ups_go_to_reporting_accounts_in_order),
                cmocka_unit_test(test_account_cmp_orders_key_accounts_first),
                cmocka_unit_test(test_account_manager_once_per_key_account),
                cmocka_unit_test(test_compliance_only_with_personal_data),
                cmocka_unit_test(test_customer_sees_no_internal_names),
                cmocka_unit_test(test_issue_type_from_worst_disruption),
                cmocka_unit_test(test_ids_are_deterministic),
                cmocka_unit_test(test_first_seen_resolved),
                cmocka_unit_test(test_state_round_trip),
                cmocka_unit_test(test_state_garbage_rejected),
                cmocka_unit_test(test_disabled_audience_and_pair),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
