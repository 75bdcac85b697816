/* What the unit tests of the impact model share: exact comparison of
 * rounded outputs, the default configuration, and inputs to start from.
 * Include after <cmocka.h>; one test program per translation unit. */
#ifndef IMPACTD_SCORE_FIXTURE_H
#define IMPACTD_SCORE_FIXTURE_H

#include "score.h"

/* Outputs are rounded to 0.1, and a rounded value n/10 is the same double
 * as the literal, so comparisons are exact; the message shows both. */
#define assert_num(actual, expected)                                           \
        assert_num_at((actual), (expected), #actual, __FILE__, __LINE__)

static inline void assert_num_at(double actual, double expected,
                                 const char *expr, const char *file, int line) {
        if (actual != expected) {
                print_error("%s = %.10g, expected %.10g\n", expr, actual,
                            expected);
                _fail(file, line);
        }
}

static score_config_t cfg;

static inline int setup(void **state) {
        (void)state;
        score_config_defaults(&cfg);
        return 0;
}

/* Nothing measured, nothing affected: each test sets only what it proves.
 * OUTAGE so that the user dimension equals the user share unless a test
 * is about the disruption weight. */
static inline score_input_t quiet_input(void) {
        score_input_t in = {0};
        in.disruption = DISRUPTION_OUTAGE;
        in.max_tier = TIER_NONE;
        return in;
}

static inline score_result_t compute(const score_input_t *in) {
        score_result_t r;
        score_compute(&cfg, in, &r);
        return r;
}

#define MIN_MS  (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)

/* Users, revenue and SLO at full scale: 25 + 25 + 20 = 70 points, plus
 * duration for the rest. */
static inline score_input_t full_but_duration(int64_t duration_ms) {
        score_input_t in = quiet_input();
        in.has_affected_users = true;
        in.affected_users = 10000;
        in.users_total = 10000;
        in.has_revenue = true;
        in.arr_at_risk = 1000000;
        in.has_slo_burn_rate = true;
        in.slo_burn_rate = 14.4;
        in.duration_ms = duration_ms;
        return in;
}

#define T(f) cmocka_unit_test_setup(f, setup)

#endif
