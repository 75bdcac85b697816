/* Unit tests of the SLA standing (score_sla_status in src/score.c,
 * docs/impact-model.md "SLA status") and of tier_bits_names.
 *
 * Default SLAs: enterprise response 15 min (at risk from 11.25 min =
 * 675 000 ms), resolution 240 min (at risk from 180 min); business 30 /
 * 480; pro 60 / 1440; free none; at risk from 75 % of a target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "score_fixture.h"

#define T0   1767261600000LL /* detection: 2026-01-01T10:00:00Z */
#define ENT  (1u << TIER_ENTERPRISE)
#define BIZ  (1u << TIER_BUSINESS)
#define PRO  (1u << TIER_PRO)
#define FREE (1u << TIER_FREE)

static score_sla_status_t status(unsigned tiers, int64_t triaged_at,
                                 int64_t resolved_at, int64_t now) {
        score_sla_status_t st;
        score_sla_status(&cfg, tiers, T0, triaged_at, resolved_at, now, &st);
        return st;
}

#define assert_status(st, risk, breach, next)                                  \
        do {                                                                   \
                score_sla_status_t st_ = (st);                                 \
                assert_int_equal(st_.at_risk, (risk));                         \
                assert_int_equal(st_.breached, (breach));                      \
                assert_int_equal(st_.next_change_at, (next));                  \
        } while (0)

/* ---- the response target ---- */

static void test_response_before_the_at_risk_point(void **state) {
        (void)state;
        assert_status(status(ENT, 0, 0, T0), 0, 0, T0 + 675000);
        assert_status(status(ENT, 0, 0, T0 + 674999), 0, 0, T0 + 675000);
}

static void test_response_at_risk_from_exactly_75_percent(void **state) {
        (void)state;
        assert_status(status(ENT, 0, 0, T0 + 675000), ENT, 0,
                      T0 + 15 * MIN_MS + 1);
        /* At the target itself: still not breached. */
        assert_status(status(ENT, 0, 0, T0 + 15 * MIN_MS), ENT, 0,
                      T0 + 15 * MIN_MS + 1);
}

static void test_response_breached_at_target_plus_1_ms(void **state) {
        (void)state;
        assert_status(status(ENT, 0, 0, T0 + 15 * MIN_MS + 1), 0, ENT, 0);
        assert_status(status(ENT, 0, 0, T0 + 24 * HOUR_MS), 0, ENT, 0);
}

static void test_response_met_in_time_is_never_at_risk(void **state) {
        (void)state;
        /* Triaged at the last allowed instant. */
        assert_status(status(ENT, T0 + 15 * MIN_MS, 0, T0 + 15 * MIN_MS + 1), 0,
                      0, T0 + 180 * MIN_MS);
        /* Triaged early; the time that would have been at risk passes. */
        assert_status(status(ENT, T0 + MIN_MS, 0, T0 + 700000), 0, 0,
                      T0 + 180 * MIN_MS);
}

static void test_late_triage_stays_breached(void **state) {
        (void)state;
        assert_status(status(ENT, T0 + 15 * MIN_MS + 1, 0, T0 + HOUR_MS), 0,
                      ENT, 0);
        assert_status(status(ENT, T0 + 15 * MIN_MS + 1, T0 + 20 * MIN_MS,
                             T0 + 24 * HOUR_MS),
                      0, ENT, 0);
}

/* ---- the resolution target ---- */

static void test_resolution_at_risk_then_breached(void **state) {
        (void)state;
        int64_t triaged = T0 + 5 * MIN_MS;
        assert_status(status(ENT, triaged, 0, T0 + 180 * MIN_MS - 1), 0, 0,
                      T0 + 180 * MIN_MS);
        assert_status(status(ENT, triaged, 0, T0 + 180 * MIN_MS), ENT, 0,
                      T0 + 240 * MIN_MS + 1);
        assert_status(status(ENT, triaged, 0, T0 + 240 * MIN_MS + 1), 0, ENT,
                      0);
}

static void test_resolved_in_time_is_never_at_risk(void **state) {
        (void)state;
        int64_t triaged = T0 + 5 * MIN_MS;
        assert_status(
                status(ENT, triaged, T0 + 240 * MIN_MS, T0 + 10 * HOUR_MS), 0,
                0, 0);
        assert_status(
                status(ENT, triaged, T0 + 240 * MIN_MS + 1, T0 + 10 * HOUR_MS),
                0, ENT, 0);
}

/* Resolved before anyone recorded a triage: the response clock stops at
 * the resolution instead of running on for ever. */
static void test_resolution_stops_an_untriaged_response_clock(void **state) {
        (void)state;
        assert_status(status(ENT, 0, T0 + 10 * MIN_MS, T0 + HOUR_MS), 0, 0, 0);
        assert_status(status(ENT, 0, T0 + 20 * MIN_MS, T0 + HOUR_MS), 0, ENT,
                      0);
}

/* ---- tiers ---- */

static void test_tiers_without_sla_are_ignored(void **state) {
        (void)state;
        int64_t late = T0 + 30 * 24 * HOUR_MS;
        assert_status(status(FREE, 0, 0, late), 0, 0, 0);
        assert_status(status(1u << TIER_NONE, 0, 0, late), 0, 0, 0);
        assert_status(status(1u << TIER_COUNT, 0, 0, late), 0, 0, 0);
        assert_status(status(0, 0, 0, late), 0, 0, 0);
        assert_status(status(FREE | PRO, 0, 0, late), 0, PRO, 0);

        cfg.sla[TIER_ENTERPRISE].set = false; /* switched off */
        assert_status(status(ENT | PRO, 0, 0, T0 + 50 * MIN_MS), PRO, 0,
                      T0 + 60 * MIN_MS + 1);
}

static void test_tiers_are_judged_separately(void **state) {
        (void)state;
        unsigned tiers = ENT | BIZ | PRO;
        /* Enterprise breached; business at risk from 22.5 min. */
        assert_status(status(tiers, 0, 0, T0 + 15 * MIN_MS + 1), 0, ENT,
                      T0 + 22 * MIN_MS + 30000);
        /* Business at risk, pro at risk from 45 min. */
        assert_status(status(tiers, 0, 0, T0 + 22 * MIN_MS + 30000), BIZ, ENT,
                      T0 + 30 * MIN_MS + 1);
        /* Business breached too; pro at risk. */
        assert_status(status(tiers, 0, 0, T0 + 45 * MIN_MS), PRO, ENT | BIZ,
                      T0 + 60 * MIN_MS + 1);
}

/* Only an instant that moves a bit is a change: once the tier is at risk,
 * the other target reaching its own at-risk point changes nothing. */
static void test_next_change_counts_only_bit_changes(void **state) {
        (void)state;
        cfg.sla[TIER_BUSINESS] =
                (score_sla_t){true, 10 * MIN_MS, 12 * MIN_MS, 50};
        /* Response at risk from 5 min, resolution from 6 min. */
        assert_status(status(BIZ, 0, 0, T0 + 4 * MIN_MS), 0, 0,
                      T0 + 5 * MIN_MS);
        assert_status(status(BIZ, 0, 0, T0 + 5 * MIN_MS + 30000), BIZ, 0,
                      T0 + 10 * MIN_MS + 1);
        /* Triaged in time: the resolution alone now decides. */
        assert_status(status(BIZ, T0 + 5 * MIN_MS + 30000, 0,
                             T0 + 5 * MIN_MS + 30000),
                      0, 0, T0 + 6 * MIN_MS);
}

static void test_at_risk_percent_100_means_at_risk_at_target(void **state) {
        (void)state;
        cfg.sla[TIER_PRO].at_risk_pct = 100;
        assert_status(status(PRO, 0, 0, T0 + 60 * MIN_MS - 1), 0, 0,
                      T0 + 60 * MIN_MS);
        assert_status(status(PRO, 0, 0, T0 + 60 * MIN_MS), PRO, 0,
                      T0 + 60 * MIN_MS + 1);
}

static void test_unknown_detection_time_has_no_sla_status(void **state) {
        (void)state;
        score_sla_status_t st;
        score_sla_status(&cfg, ENT, 0, 0, 0, T0, &st);
        assert_status(st, 0, 0, 0);
}

/* ---- next_change_at, exhaustively on small clocks ---- */

static uint64_t rng = 0x5eed5eed;

static uint64_t next_rand(void) { /* xorshift64: same on every libc */
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static int64_t rand_in(int64_t lo, int64_t hi) {
        return lo + (int64_t)(next_rand() % (uint64_t)(hi - lo + 1));
}

static bool same_bits(score_sla_status_t a, score_sla_status_t b) {
        return a.at_risk == b.at_risk && a.breached == b.breached;
}

/* Small targets (milliseconds) so that every instant up to well past the
 * targets can be tried: the bits must stay as they are before
 * next_change_at, and differ at it; with no next change, they never
 * change. */
static void test_next_change_is_exact(void **state) {
        int with_next = 0, with_bits = 0;

        (void)state;
        for (int round = 0; round < 3000; round++) {
                for (int t = TIER_FREE; t < TIER_COUNT; t++) {
                        int64_t resp = rand_in(1, 40);
                        cfg.sla[t] =
                                (score_sla_t){next_rand() % 4 != 0, resp,
                                              resp + rand_in(0, 60),
                                              (double)rand_in(1, 1000) / 10};
                }
                unsigned tiers = (unsigned)next_rand() % (1u << TIER_COUNT);
                int64_t now = T0 + rand_in(-3, 120);
                int64_t triaged = 0, resolved = 0;
                if (now >= T0 && next_rand() % 2)
                        triaged = rand_in(T0, now);
                if (now >= T0 && next_rand() % 3 == 0)
                        resolved = rand_in(triaged ? triaged : T0, now);

                score_sla_status_t st = status(tiers, triaged, resolved, now);
                assert_int_equal(st.at_risk & st.breached, 0);
                assert_int_equal((st.at_risk | st.breached) & ~tiers, 0);
                int64_t end = st.next_change_at ? st.next_change_at : T0 + 300;
                assert_true(st.next_change_at == 0 || st.next_change_at > now);
                for (int64_t at = now + 1; at < end; at++)
                        assert_true(same_bits(
                                st, status(tiers, triaged, resolved, at)));
                if (st.next_change_at)
                        assert_false(same_bits(
                                st, status(tiers, triaged, resolved, end)));
                with_next += st.next_change_at != 0;
                with_bits += (st.at_risk | st.breached) != 0;
        }
        /* All of the above holds for an implementation that never sets
         * a bit nor names a next change: enough rounds must do both.
         * These draws give 509 with a next change and 2021 with a bit
         * set; the floors leave room for the draws to change. */
        assert_true(with_next > 250);
        assert_true(with_bits > 1000);
}

/* ---- tier names ---- */

static void test_tier_bits_names_highest_first(void **state) {
        (void)state;
        char buf[64];
        assert_string_equal(tier_bits_names(0, buf, sizeof(buf)), "");
        assert_string_equal(tier_bits_names(ENT | PRO, buf, sizeof(buf)),
                            "ENTERPRISE,PRO");
        assert_string_equal(
                tier_bits_names(FREE | PRO | BIZ | ENT, buf, sizeof(buf)),
                "ENTERPRISE,BUSINESS,PRO,FREE");
        /* TIER_NONE and bits beyond the tiers have no name. */
        assert_string_equal(tier_bits_names(1u | (1u << TIER_COUNT) | BIZ, buf,
                                            sizeof(buf)),
                            "BUSINESS");
}

static void test_tier_bits_names_never_cuts_a_name(void **state) {
        (void)state;
        char buf[16];
        memset(buf, 'x', sizeof(buf));
        assert_ptr_equal(tier_bits_names(ENT, buf, 0), buf);
        assert_int_equal(buf[0], 'x'); /* no room: untouched */
        assert_string_equal(tier_bits_names(ENT | PRO, buf, 11), "ENTERPRISE");
        assert_string_equal(tier_bits_names(ENT | PRO, buf, 14), "ENTERPRISE");
        assert_string_equal(tier_bits_names(ENT | PRO, buf, 15),
                            "ENTERPRISE,PRO");
        assert_string_equal(tier_bits_names(ENT, buf, 10), "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_response_before_the_at_risk_point),
                T(test_response_at_risk_from_exactly_75_percent),
                T(test_response_breached_at_target_plus_1_ms),
                T(test_response_met_in_time_is_never_at_risk),
                T(test_late_triage_stays_breached),
                T(test_resolution_at_risk_then_breached),
                T(test_resolved_in_time_is_never_at_risk),
                T(test_resolution_stops_an_untriaged_response_clock),
                T(test_tiers_without_sla_are_ignored),
                T(test_tiers_are_judged_separately),
                T(test_next_change_counts_only_bit_changes),
                T(test_at_risk_percent_100_means_at_risk_at_target),
                T(test_unknown_detection_time_has_no_sla_status),
                T(test_next_change_is_exact),
                T(test_tier_bits_names_highest_first),
                T(test_tier_bits_names_never_cuts_a_name),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
