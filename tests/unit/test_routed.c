/* The routed event: what the router produces is exactly what the owner
 * reads, identifiers byte for byte, and bytes that are not a routed event
 * are refused with a reason, never believed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routed.h"

static event_t in, out;
static char long_id[5000];

static void assert_same_str(const char *a, const char *b) {
        if (!a || !b)
                assert_ptr_equal(a, b); /* both absent */
        else
                assert_string_equal(a, b);
}

static void round_trip(const routed_source_t *src) {
        record_buf_t b = {0};
        routed_source_t got;
        char errstr[256];
        routed_encode(&in, src, &b);
        assert_false(b.failed);
        impactd_err_t err = routed_decode(b.p, b.len, &out, &got, errstr, sizeof(errstr));
        if (err)
                fail_msg("routed_decode: %s", errstr);
        assert_int_equal(got.topic, src->topic);
        assert_int_equal(got.partition, src->partition);
        assert_int_equal(got.offset, src->offset);
        assert_int_equal(out.kind, in.kind);
        assert_int_equal(out.has, in.has);
        assert_same_str(out.event_id, in.event_id);
        assert_same_str(out.incident_key, in.incident_key);
        assert_same_str(out.service, in.service);
        assert_same_str(out.region, in.region);
        assert_int_equal(out.occurred_at, in.occurred_at);
        record_buf_free(&b);
}

static void test_alerts_tickets_and_sentiment_arrive_as_sent(void **state) {
        (void)state;
        /* An id of 4,999 bytes with control characters and braces: the
         * owner sees every byte, none cut or rewritten. */
        for (size_t i = 0; i < sizeof(long_id) - 1; i++)
                long_id[i] = (char)(1 + i % 126);
        event_reset(&in, EVENT_ALERT);
        in.event_id = long_id;
        in.incident_key = "INC-{7}\t\x1b[31m";
        in.service = "payments-db";
        in.region = ""; /* empty, not absent */
        in.occurred_at = 1765000000123;
        in.u.alert.status = ALERT_RESOLVED;
        in.u.alert.disruption = DISRUPTION_OUTAGE;
        in.u.alert.declared_severity = 2;
        in.u.alert.affected_users = 8000000001LL;
        in.u.alert.slo_burn_rate = 14.4;
        in.u.alert.revenue_loss_per_hour = 0.1 + 0.2; /* not a short decimal */
        in.has = HAS_STATUS | HAS_OCCURRED_AT | HAS_DISRUPTION |
                 HAS_DECLARED_SEVERITY | HAS_AFFECTED_USERS | HAS_SLO_BURN_RATE |
                 HAS_REVENUE_LOSS;
        round_trip(&(routed_source_t){'a', 11, 9007199254740993LL});
        assert_int_equal(out.u.alert.status, ALERT_RESOLVED);
        assert_int_equal(out.u.alert.disruption, DISRUPTION_OUTAGE);
        assert_int_equal(out.u.alert.declared_severity, 2);
        assert_int_equal(out.u.alert.affected_users, 8000000001LL);
        assert_true(out.u.alert.slo_burn_rate == 14.4);
        assert_true(out.u.alert.revenue_loss_per_hour == 0.1 + 0.2);

        event_reset(&in, EVENT_TICKET);
        in.event_id = "t-1";
        in.service = "checkout";
        in.occurred_at = 1765000000000;
        in.u.ticket.ticket_id = "T-9";
        in.u.ticket.account_id = "eu1-acme";
        in.u.ticket.customer_tier = TIER_ENTERPRISE;
        in.u.ticket.arr = 250000.5;
        in.u.ticket.strategic = true;
        in.u.ticket.platform = "ios";
        in.u.ticket.feature = "one-click";
        in.u.ticket.status = TICKET_REOPENED;
        in.u.ticket.personal_data_at_risk = true;
        in.has = HAS_STATUS | HAS_OCCURRED_AT | HAS_CUSTOMER_TIER | HAS_ARR |
                 HAS_STRATEGIC | HAS_PERSONAL_DATA;
        round_trip(&(routed_source_t){'t', 0, 0});
        assert_string_equal(out.u.ticket.ticket_id, "T-9");
        assert_string_equal(out.u.ticket.account_id, "eu1-acme");
        assert_int_equal(out.u.ticket.customer_tier, TIER_ENTERPRISE);
        assert_true(out.u.ticket.arr == 250000.5);
        assert_true(out.u.ticket.strategic);
        assert_null(out.u.ticket.product_version);
        assert_string_equal(out.u.ticket.platform, "ios");
        assert_string_equal(out.u.ticket.feature, "one-click");
        assert_int_equal(out.u.ticket.status, TICKET_REOPENED);
        assert_true(out.u.ticket.personal_data_at_risk);

        event_reset(&in, EVENT_SENTIMENT);
        in.event_id = "s-1";
        in.occurred_at = 1765000000000;
        in.u.sentiment.account_id = "acme";
        in.u.sentiment.ticket_id = "T-9";
        in.u.sentiment.score = -0.75;
        in.u.sentiment.channel = "social";
        in.u.sentiment.urgency = 0.9;
        in.has = HAS_SCORE | HAS_OCCURRED_AT | HAS_URGENCY;
        round_trip(&(routed_source_t){'s', 3, 77});
        /* Released from a hold: no position, and not taken for a broken
         * one. */
        round_trip(&ROUTED_RELEASED);
        assert_true(out.u.sentiment.urgency == 0.9);
        assert_string_equal(out.u.sentiment.account_id, "acme");
        assert_string_equal(out.u.sentiment.ticket_id, "T-9");
        assert_true(out.u.sentiment.score == -0.75);
        assert_string_equal(out.u.sentiment.channel, "social");
}

static void test_what_is_not_a_routed_event_is_refused(void **state) {
        (void)state;
        record_buf_t b = {0};
        routed_source_t src;
        char errstr[256];
        event_reset(&in, EVENT_SENTIMENT);
        in.event_id = "s-1";
        in.occurred_at = 1765000000000;
        in.u.sentiment.account_id = "acme";
        in.u.sentiment.ticket_id = "T-9";
        in.u.sentiment.score = 0.5;
        in.has = HAS_SCORE | HAS_OCCURRED_AT;
        routed_encode(&in, &(routed_source_t){'s', 1, 2}, &b);
        /* Cut anywhere, or with a byte more: refused as undecodable. */
        for (size_t len = 0; len < b.len; len++)
                assert_int_equal(routed_decode(b.p, len, &out, &src, errstr, sizeof(errstr)),
                                 IMPACTD_ERR_DECODE);
        char *longer = malloc(b.len + 1);
        memcpy(longer, b.p, b.len);
        longer[b.len] = 0;
        assert_int_equal(routed_decode(longer, b.len + 1, &out, &src, errstr, sizeof(errstr)),
                         IMPACTD_ERR_DECODE);
        assert_string_equal(errstr, "routed event malformed");
        free(longer);
        /* A JSON input event produced to the routed topic by mistake. */
        const char *json = "{\"event_id\":\"x\"}";
        assert_int_equal(routed_decode(json, strlen(json), &out, &src, errstr, sizeof(errstr)),
                         IMPACTD_ERR_DECODE);
        assert_string_equal(errstr, "not a routed event of version 1");

        /* Well formed, but breaking the contract: the owner sends it to the
         * DLQ with the same reason the router would have given. */
        record_buf_reset(&b);
        in.u.sentiment.score = 3.0;
        routed_encode(&in, &(routed_source_t){'s', 1, 2}, &b);
        assert_int_equal(routed_decode(b.p, b.len, &out, &src, errstr, sizeof(errstr)),
                         IMPACTD_ERR_INVALID);
        assert_non_null(strstr(errstr, "score"));

        /* A string holding a NUL byte is not a contract string. */
        record_buf_reset(&b);
        record_put_u64(&b, 1);
        record_put_u64(&b, 's');
        record_put_i64(&b, 1);
        record_put_i64(&b, 2);
        record_put_u64(&b, EVENT_SENTIMENT);
        record_put_u64(&b, HAS_SCORE | HAS_OCCURRED_AT);
        record_put_str(&b, "s\0-1", 4);
        assert_int_equal(routed_decode(b.p, b.len, &out, &src, errstr, sizeof(errstr)),
                         IMPACTD_ERR_DECODE);
        record_buf_free(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_alerts_tickets_and_sentiment_arrive_as_sent),
                cmocka_unit_test(test_what_is_not_a_routed_event_is_refused),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        event_free_spill(&in);
        event_free_spill(&out);
        return r;
}
