/* Unit tests of the escalation policy (src/policy.c,
 * docs/escalation-policy.md): debounce, the cooldown and raise-bypass
 * timelines, every trigger's boundaries, ids and sequences, the state's
 * text form, the state bound, and silences applied by policy_evaluate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define T0   1795341600000LL /* 2026-11-22T10:00:00Z, detection */
#define SEC  1000LL
#define MIN  (60 * SEC)
#define HOUR (60 * MIN)
#define LIVE (T0 + 30 * SEC) /* the end of the default debounce */

static policy_config_t pc;
static policy_state_t st;
static policy_decision_t out[POLICY_MAX_DECISIONS];
static int64_t next_at;

/* A decision's whole escalation id, for the incident of input(): four
 * buffers in turn, so that two ids can be compared in one call. */
static const char *esc_id(const policy_decision_t *d) {
        static char ids[4][512];
        static int turn;
        char *id = ids[turn++ % 4];
        assert_true(policy_escalation_id("inc-1", d, id, sizeof(ids[0])) <
                    sizeof(ids[0]));
        return id;
}

static int setup(void **state) {
        (void)state;
        policy_config_defaults(&pc);
        policy_state_init(&st);
        memset(out, 0, sizeof(out));
        next_at = -1;
        return 0;
}

static policy_input_t input(int level, int64_t now) {
        policy_input_t in = {
                .incident_id = "inc-1",
                .revision = 1,
                .open = true,
                .detected_at = T0,
                .now = now,
                .level = level,
                .score = 50,
                .root_service = "payments",
        };
        return in;
}

static size_t run(const policy_input_t *in) {
        return policy_evaluate(&pc, in, &st, out, POLICY_MAX_DECISIONS,
                               &next_at);
}

/* Evaluates the incident at `level` at `now`: how many pages. */
static size_t at_level(int level, int64_t now) {
        policy_input_t in = input(level, now);

        return run(&in);
}

/* ---- debounce ---- */

static void test_nothing_pages_before_group_wait(void **state) {
        (void)state;
        assert_int_equal(at_level(1, T0), 0);
        assert_int_equal(next_at, LIVE);
        assert_int_equal(at_level(1, LIVE - 1), 0);
        assert_int_equal(next_at, LIVE);
        assert_false(st.debounced);

        assert_int_equal(at_level(1, LIVE), 1);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:1:incident_commander:1");
        assert_int_equal(out[0].from_level, 0);
        assert_int_equal(out[0].to_level, 1);
        assert_true(st.debounced);
        assert_int_equal(next_at, 0);
}

/* Only what holds when the wait ends fires: level 3 then 2 inside the
 * wait pages the level 2 role, not the on-call engineer of level 3. */
static void test_triggers_that_hold_at_the_end_of_the_wait_fire(void **state) {
        (void)state;
        assert_int_equal(at_level(3, T0 + 10 * SEC), 0);
        assert_int_equal(at_level(2, T0 + 20 * SEC), 0);
        assert_int_equal(at_level(2, LIVE + 5 * SEC), 1);
        assert_string_equal(out[0].target, "incident_commander");
        assert_int_equal(out[0].to_level, 2);
}

static void test_resolve_inside_the_wait_cancels_the_page(void **state) {
        policy_input_t in = input(1, T0 + 10 * SEC);

        (void)state;
        assert_int_equal(run(&in), 0);
        in.open = false; /* resolved at +20 s */
        in.now = T0 + 20 * SEC;
        assert_int_equal(run(&in), 0);
        assert_int_equal(next_at, 0);
        in.now = LIVE;
        assert_int_equal(run(&in), 0);
        in.now = T0 + HOUR;
        assert_int_equal(run(&in), 0);
        assert_int_equal(st.cnt, 0);
}

static void test_group_wait_zero_pages_at_once(void **state) {
        (void)state;
        pc.group_wait_ms = 0;
        assert_int_equal(at_level(2, T0), 1);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:2:incident_commander:1");
}

/* An unknown detection time cannot be waited on: page rather than hold. */
static void test_unknown_detection_time_does_not_wait(void **state) {
        policy_input_t in = input(2, T0);

        (void)state;
        in.detected_at = 0;
        assert_int_equal(run(&in), 1);
}

/* ---- cooldown and the raise bypass ---- */

static void test_warning_then_critical_pages_twice(void **state) {
        (void)state;
        assert_int_equal(at_level(2, LIVE), 1);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:2:incident_commander:1");
        /* Five minutes later, well inside the cooldown. */
        assert_int_equal(at_level(1, LIVE + 5 * MIN), 1);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:1:incident_commander:1");
        assert_int_equal(out[0].from_level, 2);
        assert_int_equal(out[0].to_level, 1);
        assert_string_equal(out[0].summary,
                            "payments: level 1 (score 50.0), up from 2");
        assert_int_equal(st.max_paged, 1);
}

static void
test_critical_warning_critical_inside_cooldown_pages_once(void **state) {
        (void)state;
        assert_int_equal(at_level(1, LIVE), 1);
        assert_int_equal(at_level(2, LIVE + 10 * MIN), 0); /* falls */
        assert_int_equal(at_level(1, LIVE + 20 * MIN), 0); /* rises back */
        assert_int_equal(at_level(2, LIVE + 30 * MIN), 0);
        assert_int_equal(at_level(1, LIVE + HOUR - 1), 0);
}

static void test_rising_back_after_the_cooldown_pages_again(void **state) {
        (void)state;
        assert_int_equal(at_level(1, LIVE), 1);
        assert_int_equal(at_level(2, LIVE + 10 * MIN), 0);
        assert_int_equal(at_level(1, LIVE + HOUR), 1); /* cooldown over */
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:1:incident_commander:2");
        assert_int_equal(out[0].seq, 2);
        assert_int_equal(out[0].from_level, 2);
}

static void test_a_level_that_stays_does_not_repeat(void **state) {
        (void)state;
        assert_int_equal(at_level(1, LIVE), 1);
        for (int64_t t = LIVE + 30 * MIN; t < LIVE + 6 * HOUR; t += 30 * MIN)
                assert_int_equal(at_level(1, t), 0);
}

static void test_repeat_interval_is_configurable(void **state) {
        (void)state;
        pc.repeat_interval_ms = 10 * MIN;
        assert_int_equal(at_level(2, LIVE), 1);
        assert_int_equal(at_level(3, LIVE + 1 * MIN), 0);
        assert_int_equal(at_level(2, LIVE + 10 * MIN - 1), 0);
        assert_int_equal(at_level(3, LIVE + 11 * MIN), 0);
        assert_int_equal(at_level(2, LIVE + 12 * MIN), 1);
        assert_int_equal(out[0].seq, 2);
}

/* The targets of the level reached, not of the levels passed on the way. */
static void test_rising_two_levels_pages_the_level_reached(void **state) {
        (void)state;
        assert_int_equal(at_level(4, LIVE), 1);
        assert_string_equal(out[0].target, "service_owner");
        assert_int_equal(at_level(2, LIVE + MIN), 1);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:2:incident_commander:1");
}

/* Each level reached upward pages its own roles; level 5 has none. */
static void test_each_level_pages_its_roles(void **state) {
        static const char *const role[] = {NULL, "incident_commander",
                                           "incident_commander",
                                           "on_call_engineer", "service_owner"};

        (void)state;
        assert_int_equal(at_level(5, LIVE), 0); /* minor: nobody */
        for (int lvl = 4; lvl >= 1; lvl--) {
                assert_int_equal(at_level(lvl, LIVE + (5 - lvl) * MIN), 1);
                assert_string_equal(out[0].target, role[lvl]);
                assert_int_equal(out[0].trigger, TRIGGER_LEVEL);
        }
        assert_int_equal(st.max_paged, 1);
}

static void test_a_level_with_several_roles_pages_each(void **state) {
        (void)state;
        strcpy(pc.level[1].role[1], "vp_engineering");
        pc.level[1].cnt = 2;
        assert_int_equal(at_level(1, LIVE), 2);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:1:incident_commander:1");
        assert_string_equal(esc_id(&out[1]),
                            "inc-1:level:1:vp_engineering:1");
}

/* A resolve then a reopen at the same level inside the cooldown is a fall
 * and a rise: no page.  Reopening more severe pages at once. */
static void test_reopen_inside_the_cooldown(void **state) {
        policy_input_t in = input(2, LIVE);

        (void)state;
        assert_int_equal(run(&in), 1);
        in.open = false;
        in.now = LIVE + 5 * MIN;
        assert_int_equal(run(&in), 0);
        in.open = true;
        in.now = LIVE + 10 * MIN;
        assert_int_equal(run(&in), 0);
        in.level = 1;
        in.now = LIVE + 11 * MIN;
        assert_int_equal(run(&in), 1);
        assert_int_equal(out[0].to_level, 1);
}

/* The timeline of docs/escalation-policy.md, step by step. */
static void test_the_documented_timeline(void **state) {
        static const struct {
                int64_t at;
                int level;
                const char *page;
        } steps[] = {
                {0, 3, NULL},
                {20 * SEC, 2, NULL},
                {30 * SEC, 2, "inc-1:level:2:incident_commander:1"},
                {5 * MIN, 1, "inc-1:level:1:incident_commander:1"},
                {15 * MIN, 2, NULL},
                {25 * MIN, 1, NULL},
                {40 * MIN, 1, NULL},
                {60 * MIN, 2, NULL},
                {70 * MIN, 1, "inc-1:level:1:incident_commander:2"},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                size_t n = at_level(steps[i].level, T0 + steps[i].at);

                assert_int_equal(n, steps[i].page ? 1 : 0);
                if (n)
                        assert_string_equal(esc_id(&out[0]),
                                            steps[i].page);
                if (i == 0)
                        assert_int_equal(next_at, LIVE);
        }
}

/* ---- the other triggers ---- */

static void test_sentiment_surge_pages_the_senior_support_lead(void **state) {
        policy_input_t in = input(5, LIVE);

        (void)state;
        assert_int_equal(run(&in), 0);
        in.sentiment_surge = true;
        in.now += MIN;
        assert_int_equal(run(&in), 1);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:sentiment_surge:-:senior_support_lead:1");
        assert_int_equal(out[0].from_level, 0);
        assert_int_equal(out[0].to_level, 5);
        assert_string_equal(out[0].summary,
                            "payments: surge of negative customer sentiment "
                            "(level 5)");
        /* Subsides and surges again inside the cooldown: once. */
        in.sentiment_surge = false;
        in.now += 5 * MIN;
        assert_int_equal(run(&in), 0);
        in.sentiment_surge = true;
        in.now += 5 * MIN;
        assert_int_equal(run(&in), 0);
        /* ... and after it: again. */
        in.sentiment_surge = false;
        in.now = LIVE + 2 * HOUR;
        assert_int_equal(run(&in), 0);
        in.sentiment_surge = true;
        in.now += MIN;
        assert_int_equal(run(&in), 1);
        assert_int_equal(out[0].seq, 2);
}

static void test_key_accounts_are_enterprise_or_strategic(void **state) {
        policy_account_t acc[] = {
                {"free-1", TIER_FREE, false},
                {"initech", TIER_BUSINESS, false},
                {"acme-corp", TIER_ENTERPRISE, false},
                {"piedpiper", TIER_PRO, true},
                {"acme-corp", TIER_ENTERPRISE, false}, /* listed twice */
                {"", TIER_ENTERPRISE, false},
        };
        policy_input_t in = input(5, LIVE);

        (void)state;
        in.accounts = acc;
        in.accounts_cnt = sizeof(acc) / sizeof(acc[0]);
        assert_int_equal(run(&in), 2);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:key_account:acme-corp:account_manager:1");
        assert_string_equal(out[0].account_id, "acme-corp");
        assert_int_equal(out[0].tier, TIER_ENTERPRISE);
        assert_string_equal(esc_id(&out[1]),
                            "inc-1:key_account:piedpiper:account_manager:1");
        assert_string_equal(out[1].summary,
                            "payments: key account piedpiper affected "
                            "(level 5)");
        /* The same accounts on the next revision: nothing new. */
        in.now += MIN;
        assert_int_equal(run(&in), 0);
}

/* Account ids are free text: the id stays parseable, and a very long id
 * is named by 128 bits of its SHA-256 rather than truncated into another
 * account's key. */
static void test_key_account_ids_are_encoded(void **state) {
        char long_a[300], long_b[300];
        policy_account_t acc[] = {
                {"eu:acme corp", TIER_ENTERPRISE, false},
                {long_a, TIER_ENTERPRISE, false},
                {long_b, TIER_ENTERPRISE, false},
        };
        policy_input_t in = input(5, LIVE);

        (void)state;
        memset(long_a, 'a', sizeof(long_a) - 1);
        long_a[sizeof(long_a) - 1] = '\0';
        strcpy(long_b, long_a);
        long_b[sizeof(long_b) - 2] = 'b';
        in.accounts = acc;
        in.accounts_cnt = 3;
        assert_int_equal(run(&in), 3);
        assert_string_equal(
                esc_id(&out[0]),
                "inc-1:key_account:eu%3Aacme%20corp:account_manager:1");
        /* python3: hashlib.sha256(b"a" * 299).hexdigest()[:32] */
        assert_string_equal(out[1].key, "~49bfb98c7e558d1e77a9b05cddfbb4a6");
        assert_int_equal(strlen(out[1].key), 33);
        assert_string_not_equal(out[1].key, out[2].key);
        assert_ptr_equal(out[1].account_id, long_a);
}

static void test_sla_triggers_per_tier(void **state) {
        policy_account_t acc[] = {
                {"acme-corp", TIER_ENTERPRISE, true},
                {"globex", TIER_ENTERPRISE, false},
                {"initech", TIER_BUSINESS, false},
        };
        policy_input_t in = input(5, LIVE);

        (void)state;
        in.accounts = acc + 2; /* only initech: no key account */
        in.accounts_cnt = 1;
        in.sla_at_risk = 1u << TIER_BUSINESS;
        assert_int_equal(run(&in), 2);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:sla_at_risk:BUSINESS:incident_commander:1");
        assert_string_equal(esc_id(&out[1]),
                            "inc-1:sla_at_risk:BUSINESS:account_manager:1");
        assert_int_equal(out[1].tier, TIER_BUSINESS);
        assert_null(out[1].account_id);
        assert_string_equal(out[1].summary,
                            "payments: BUSINESS SLA at risk (accounts: "
                            "initech)");

        /* Enterprise at risk too; then business breached. */
        in.accounts = acc;
        in.accounts_cnt = 3;
        pc.targets[TRIGGER_KEY_ACCOUNT].cnt = 0; /* this test: SLA only */
        in.sla_at_risk |= 1u << TIER_ENTERPRISE;
        in.now += MIN;
        assert_int_equal(run(&in), 2);
        assert_string_equal(out[0].key, "ENTERPRISE");
        assert_string_equal(out[1].summary,
                            "payments: ENTERPRISE SLA at risk (accounts: "
                            "acme-corp, globex)");
        in.sla_at_risk = 1u << TIER_ENTERPRISE;
        in.sla_breached = 1u << TIER_BUSINESS;
        in.now += MIN;
        assert_int_equal(run(&in), 2);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:sla_breached:BUSINESS:incident_commander:1");
        assert_string_equal(out[1].summary,
                            "payments: BUSINESS SLA breached (accounts: "
                            "initech)");
}

static void test_triage_timeout_and_severity_mismatch(void **state) {
        policy_input_t in = input(4, LIVE);

        (void)state;
        pc.level[4].cnt = 0;
        assert_int_equal(run(&in), 0);
        in.triage_escalated = true;
        in.now += MIN;
        assert_int_equal(run(&in), 1);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:triage_timeout:-:on_call_engineer:1");
        in.severity_mismatch = true;
        in.now += MIN;
        assert_int_equal(run(&in), 1);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:severity_mismatch:-:incident_commander:1");
        in.now += MIN;
        assert_int_equal(run(&in), 0);
}

static void test_personal_data_carries_the_regulator_deadline(void **state) {
        policy_input_t in = input(5, LIVE + HOUR);

        (void)state;
        in.personal_data_at_risk = true;
        in.personal_data_at = T0 + 10 * MIN;
        assert_int_equal(run(&in), 1);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:personal_data:-:compliance:1");
        assert_int_equal(out[0].deadline_at, T0 + 10 * MIN + 72 * HOUR);
        assert_string_equal(out[0].summary,
                            "payments: personal data at risk; notify the "
                            "regulator by 2026-11-25T10:10:00Z (72 h)");
        in.now += HOUR;
        assert_int_equal(run(&in), 0);
}

static void test_personal_data_deadline_defaults_to_detection(void **state) {
        policy_input_t in = input(5, LIVE);

        (void)state;
        pc.regulator_deadline_h = 24;
        in.personal_data_at_risk = true;
        assert_int_equal(run(&in), 1);
        assert_int_equal(out[0].deadline_at, T0 + 24 * HOUR);
}

/* ---- ids, sequences, two workers ---- */

/* Two workers evaluating the same stored state and revision decide the
 * same ids and write the same state: the compare-and-set lets one win,
 * and a replay of the loser's decision carries the same id. */
static void test_two_workers_decide_the_same_ids(void **state) {
        char stored[POLICY_STATE_STR_MAX], a_str[POLICY_STATE_STR_MAX],
                b_str[POLICY_STATE_STR_MAX], err[256];
        static policy_state_t a, b;
        policy_decision_t da[8], db[8];
        policy_input_t in = input(2, LIVE);
        int64_t na, nb;

        (void)state;
        assert_int_equal(run(&in), 1);
        assert_true(policy_state_format(&st, stored, sizeof(stored)) > 0);
        assert_string_equal(
                stored,
                "v1|1|2|2|level,2,incident_commander,1,1795341630000,a");
        in.level = 1;
        in.sentiment_surge = true;
        in.now += MIN;
        assert_int_equal(policy_state_parse(stored, &a, err, sizeof(err)),
                         IMPACTD_OK);
        assert_int_equal(policy_state_parse(stored, &b, err, sizeof(err)),
                         IMPACTD_OK);
        assert_int_equal(policy_evaluate(&pc, &in, &a, da, 8, &na), 2);
        assert_int_equal(policy_evaluate(&pc, &in, &b, db, 8, &nb), 2);
        /* The literal ids, not only a's equal to b's: a worker that
         * derived them from anything but the state and the input (a
         * clock, a counter in the process) would agree with itself here
         * and disagree with another process. */
        for (int i = 0; i < 2; i++) {
                const policy_decision_t *d = i ? db : da;

                assert_string_equal(esc_id(&d[0]),
                                    "inc-1:level:1:incident_commander:1");
                assert_string_equal(
                        esc_id(&d[1]),
                        "inc-1:sentiment_surge:-:senior_support_lead:1");
        }
        assert_true(policy_state_format(&a, a_str, sizeof(a_str)) > 0);
        assert_true(policy_state_format(&b, b_str, sizeof(b_str)) > 0);
        /* Level 2 no longer holds (inactive, its cooldown kept); level 1
         * and the surge are new entries at the second call's time. */
        assert_string_equal(
                a_str, "v1|1|1|1|level,2,incident_commander,1,1795341630000,|"
                       "level,1,incident_commander,1,1795341690000,a|"
                       "sentiment_surge,-,senior_support_lead,1,"
                       "1795341690000,a");
        assert_string_equal(b_str, a_str);
}

/* With room for one decision, the rest wait for the next call (now):
 * nothing is lost, nothing pages twice. */
static void test_decisions_beyond_max_come_on_the_next_call(void **state) {
        policy_input_t in = input(1, LIVE);
        char ids[3][256];

        (void)state;
        strcpy(pc.level[1].role[1], "vp_engineering");
        pc.level[1].cnt = 2;
        in.triage_escalated = true;
        for (int i = 0; i < 3; i++) {
                assert_int_equal(
                        policy_evaluate(&pc, &in, &st, out, 1, &next_at), 1);
                assert_int_equal(next_at, i < 2 ? in.now : 0);
                strcpy(ids[i], esc_id(&out[0]));
        }
        assert_string_equal(ids[0], "inc-1:level:1:incident_commander:1");
        assert_string_equal(ids[1], "inc-1:level:1:vp_engineering:1");
        assert_string_equal(ids[2],
                            "inc-1:triage_timeout:-:on_call_engineer:1");
        assert_int_equal(policy_evaluate(&pc, &in, &st, out, 1, &next_at), 0);
}

/* Beyond POLICY_STATE_MAX tracked entries a new key is not paged (it
 * could not be remembered, so it would page on every call): counted. */
static void test_a_full_state_drops_new_keys_and_counts_them(void **state) {
        static policy_account_t acc[POLICY_STATE_MAX + 3];
        static char names[POLICY_STATE_MAX + 3][16];
        policy_input_t in = input(5, LIVE);
        size_t n = POLICY_STATE_MAX + 3;

        (void)state;
        for (size_t i = 0; i < n; i++) {
                snprintf(names[i], sizeof(names[i]), "acct-%zu", i);
                acc[i] = (policy_account_t){names[i], TIER_ENTERPRISE, false};
        }
        in.accounts = acc;
        in.accounts_cnt = n;
        size_t fired = 0;
        do {
                fired += run(&in);
        } while (next_at == in.now);
        assert_int_equal(fired, POLICY_STATE_MAX);
        assert_int_equal(st.untracked, 3);
        assert_int_equal(st.cnt, POLICY_STATE_MAX);
        in.now += MIN;
        assert_int_equal(run(&in), 0);
}

/* ---- the state's text form ---- */

static void test_state_round_trips(void **state) {
        char s1[POLICY_STATE_STR_MAX], s2[POLICY_STATE_STR_MAX], err[256];
        static policy_state_t back;
        policy_account_t acc[] = {{"eu:acme", TIER_ENTERPRISE, false}};
        policy_input_t in = input(2, LIVE);

        (void)state;
        assert_int_equal(policy_state_format(&st, s1, sizeof(s1)), 8);
        assert_string_equal(s1, "v1|0|6|6");
        in.accounts = acc;
        in.accounts_cnt = 1;
        run(&in);
        in.level = 3;
        in.now += MIN;
        run(&in);
        assert_true(policy_state_format(&st, s1, sizeof(s1)) > 0);
        assert_string_equal(
                s1, "v1|1|3|2|level,2,incident_commander,1,1795341630000,|"
                    "key_account,eu%3Aacme,account_manager,1,1795341630000,a");
        assert_null(strchr(s1, ' '));
        assert_int_equal(policy_state_parse(s1, &back, err, sizeof(err)),
                         IMPACTD_OK);
        assert_true(policy_state_format(&back, s2, sizeof(s2)) > 0);
        assert_string_equal(s1, s2);
        assert_int_equal(policy_state_format(&st, s1, 20), -1);
}

static void test_empty_state_is_fresh(void **state) {
        char err[256];

        (void)state;
        st.debounced = true;
        assert_int_equal(policy_state_parse("", &st, err, sizeof(err)),
                         IMPACTD_OK);
        assert_false(st.debounced);
        assert_int_equal(st.last_level, POLICY_NO_LEVEL);
        assert_int_equal(st.max_paged, POLICY_NO_LEVEL);
        assert_int_equal(policy_state_parse(NULL, &st, err, sizeof(err)),
                         IMPACTD_OK);
}

static void test_state_garbage_is_rejected(void **state) {
        static const char *const bad[] = {
                "x",
                "v2|0|6|6",
                "v1|0|6",
                "v1|2|6|6",
                "v1|0|0|6",
                "v1|0|7|6",
                "v1|0|6|66",
                "v1|0|6|6|",
                "v1|0|6|6|level,2,incident_commander,1,5",
                "v1|0|6|6|level,2,incident_commander,1,5,a,x",
                "v1|0|6|6|nope,2,incident_commander,1,5,a",
                "v1|0|6|6|level,,incident_commander,1,5,a",
                "v1|0|6|6|level,2 ,incident_commander,1,5,a",
                "v1|0|6|6|level,2,incident commander,1,5,a",
                "v1|0|6|6|level,2,incident_commander,0,5,a",
                "v1|0|6|6|level,2,incident_commander,1,-5,a",
                "v1|0|6|6|level,2,incident_commander,1,5,x",
                "v1|0|6|6|level,2,incident_commander,1,5,ma",
                "v1|0|6|6|level,2,incident_commander,1,5,a|"
                "level,2,incident_commander,2,6,",
                /* a good header and entry, then a bad one: neither stays */
                "v1|1|3|3|level,3,on_call_engineer,1,5,a|nope,3,x,1,5,a",
        };
        char err[256];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                /* A state that is not fresh in any field, so that "left
                 * fresh" cannot hold by st never having been touched. */
                assert_int_equal(
                        policy_state_parse(
                                "v1|1|2|2|level,2,incident_commander,1,5,a",
                                &st, err, sizeof(err)),
                        IMPACTD_OK);
                assert_int_equal(st.cnt, 1);
                err[0] = '\0';
                if (policy_state_parse(bad[i], &st, err, sizeof(err)) !=
                    IMPACTD_ERR_INVALID)
                        fail_msg("accepted '%s'", bad[i]);
                assert_non_null(strstr(err, "bad policy state"));
                /* left fresh */
                assert_int_equal(st.cnt, 0);
                assert_false(st.debounced);
                assert_int_equal(st.last_level, POLICY_NO_LEVEL);
                assert_int_equal(st.max_paged, POLICY_NO_LEVEL);
        }
        policy_state_parse("v1|0|6|6|level,2,x,1,5,a|level,2,x,2,6,", &st, err,
                           sizeof(err));
        assert_string_equal(err, "bad policy state 'v1|0|6|6|level,2,x,1,5,"
                                 "a|level,2,x,2,6,': duplicate entry");
}

/* ---- silences ---- */

static silence_t window(const char *service, int64_t from, int64_t to) {
        silence_t s = {.starts_at = from, .ends_at = to};

        snprintf(s.id, sizeof(s.id), "mw-%s", service);
        snprintf(s.service, sizeof(s.service), "%s", service);
        return s;
}

/* Muted decisions are returned (counted, logged), update the state, and
 * page once after the silence if their condition has held. */
static void test_a_silence_mutes_then_pages_what_still_holds(void **state) {
        silence_t s = window("payments", T0, T0 + HOUR);
        policy_input_t in = input(2, LIVE);
        char text[POLICY_STATE_STR_MAX], err[256];

        (void)state;
        in.silences = &s;
        in.silences_cnt = 1;
        assert_int_equal(run(&in), 1);
        assert_true(out[0].muted);
        assert_string_equal(out[0].silence_id, "mw-payments");
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:2:incident_commander:1");
        assert_int_equal(next_at, T0 + HOUR);
        /* The held, muted page survives a trip through Redis. */
        assert_true(policy_state_format(&st, text, sizeof(text)) > 0);
        assert_non_null(strstr(text, ",1795341630000,am"));
        assert_int_equal(policy_state_parse(text, &st, err, sizeof(err)),
                         IMPACTD_OK);
        in.now += 10 * MIN;
        assert_int_equal(run(&in), 0); /* counted once */
        assert_int_equal(next_at, T0 + HOUR);
        in.now = T0 + HOUR; /* the window ends; still level 2 */
        assert_int_equal(run(&in), 1);
        assert_false(out[0].muted);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:2:incident_commander:2");
        in.now += MIN;
        assert_int_equal(run(&in), 0);
}

static void test_what_ended_inside_the_silence_never_pages(void **state) {
        silence_t s = window("payments", T0, T0 + HOUR);
        policy_input_t in = input(2, LIVE);

        (void)state;
        in.silences = &s;
        in.silences_cnt = 1;
        in.sentiment_surge = true;
        assert_int_equal(run(&in), 2);
        assert_true(out[0].muted && out[1].muted);
        in.sentiment_surge = false;
        in.level = 3;
        in.now += 10 * MIN;
        assert_int_equal(run(&in), 0); /* level 3 is a fall */
        in.now = T0 + HOUR;
        assert_int_equal(run(&in), 0);
        assert_int_equal(next_at, 0);
}

/* A muted page paged nobody: when the incident resolves inside the
 * silence and fails again after it, inside the cooldown, it pages. */
static void test_a_muted_page_starts_no_cooldown(void **state) {
        silence_t s = window("payments", T0, T0 + 10 * MIN);
        policy_input_t in = input(4, LIVE);

        (void)state;
        in.silences = &s;
        in.silences_cnt = 1;
        assert_int_equal(run(&in), 1);
        assert_true(out[0].muted);
        in.open = false; /* resolved inside the window */
        in.now = T0 + 2 * MIN;
        assert_int_equal(run(&in), 0);
        in.open = true; /* fails again after it: reopened */
        in.now = T0 + 12 * MIN;
        assert_int_equal(run(&in), 1);
        assert_false(out[0].muted);
        assert_string_equal(esc_id(&out[0]),
                            "inc-1:level:4:service_owner:2");
        /* That page starts the cooldown as usual. */
        in.open = false;
        in.now += MIN;
        assert_int_equal(run(&in), 0);
        in.open = true;
        in.now += MIN;
        assert_int_equal(run(&in), 0);
}

/* A more severe level inside a silence is still muted (and counted). */
static void test_the_raise_bypass_is_muted_too(void **state) {
        silence_t s = window("payments", T0, T0 + HOUR);
        policy_input_t in = input(2, LIVE);

        (void)state;
        in.silences = &s;
        in.silences_cnt = 1;
        assert_int_equal(run(&in), 1);
        in.level = 1;
        in.now += MIN;
        assert_int_equal(run(&in), 1);
        assert_true(out[0].muted);
        assert_int_equal(out[0].to_level, 1);
}

static void test_silence_window_service_and_label(void **state) {
        silence_t s = window("payments", LIVE + HOUR, LIVE + 2 * HOUR);
        silence_label_t eu[] = {{"region", "eu-central"}};
        policy_input_t in = input(2, LIVE);

        (void)state;
        in.silences = &s;
        in.silences_cnt = 1;
        assert_int_equal(run(&in), 1);
        assert_false(out[0].muted); /* before the window */

        setup(NULL);
        s = window("search", T0, LIVE + HOUR);
        assert_int_equal(run(&in), 1);
        assert_false(out[0].muted); /* another service */

        setup(NULL);
        s = window("payments", T0, LIVE + HOUR);
        strcpy(s.label_key, "region");
        strcpy(s.label_value, "eu-central");
        assert_int_equal(run(&in), 1);
        assert_false(out[0].muted); /* the incident has no region label */

        setup(NULL);
        in.labels = eu;
        in.labels_cnt = 1;
        assert_int_equal(run(&in), 1);
        assert_true(out[0].muted);

        setup(NULL);
        strcpy(s.service, "*"); /* every service in eu-central */
        in.root_service = "search";
        assert_int_equal(run(&in), 1);
        assert_true(out[0].muted);
}

/* Without a root, every service that alerted must be silenced. */
static void test_without_a_root_every_service_must_be_silenced(void **state) {
        silence_t s[] = {window("payments", T0, T0 + HOUR),
                         window("search", T0, T0 + HOUR)};
        const char *const svcs[] = {"payments", "search"};
        policy_input_t in = input(2, LIVE);

        (void)state;
        in.root_service = "";
        in.services = svcs;
        in.services_cnt = 2;
        in.silences = s;
        in.silences_cnt = 1;
        assert_int_equal(run(&in), 1);
        assert_false(out[0].muted);

        setup(NULL);
        in.silences_cnt = 2;
        assert_int_equal(run(&in), 1);
        assert_true(out[0].muted);
        assert_string_equal(out[0].silence_id, "mw-payments");
}

static void test_decision_to_escalation_record(void **state) {
        policy_input_t in = input(1, LIVE);
        escalation_t e;

        (void)state;
        in.revision = 7;
        assert_int_equal(run(&in), 1);
        policy_escalation(&out[0], &in, esc_id(&out[0]), &e);
        assert_string_equal(e.escalation_id,
                            "inc-1:level:1:incident_commander:1");
        assert_string_equal(e.incident_id, "inc-1");
        assert_int_equal(e.revision, 7);
        assert_string_equal(e.reason, "level");
        assert_string_equal(e.target, "incident_commander");
        assert_int_equal(e.to_level, 1);
        assert_int_equal(e.created_at, LIVE);
        /* A level page names no account, tier or deadline (null). */
        assert_null(e.account_id);
        assert_null(e.tier);
        assert_int_equal(e.deadline_at, 0);
}

/* The record carries what a consumer routes by: the account of a key
 * account page, the tier of an SLA page, the regulator deadline. */
static void test_escalation_record_routing_fields(void **state) {
        policy_account_t acc[] = {{"acme-corp", TIER_ENTERPRISE, true}};
        policy_input_t in = input(5, LIVE);
        escalation_t e;

        (void)state;
        in.accounts = acc;
        in.accounts_cnt = 1;
        in.sla_breached = 1u << TIER_ENTERPRISE;
        in.personal_data_at_risk = true;
        in.personal_data_at = T0 + 10 * MIN;
        /* key account, SLA breached x2 (commander, account manager),
         * personal data */
        assert_int_equal(run(&in), 4);
        policy_escalation(&out[0], &in, esc_id(&out[0]), &e);
        assert_string_equal(e.reason, "key_account");
        assert_string_equal(e.account_id, "acme-corp");
        assert_string_equal(e.tier, "ENTERPRISE");
        assert_int_equal(e.deadline_at, 0);
        policy_escalation(&out[1], &in, esc_id(&out[1]), &e);
        assert_string_equal(e.reason, "sla_breached");
        assert_null(e.account_id);
        assert_string_equal(e.tier, "ENTERPRISE");
        policy_escalation(&out[3], &in, esc_id(&out[3]), &e);
        assert_string_equal(e.reason, "personal_data");
        assert_string_equal(e.target, "compliance");
        assert_null(e.account_id);
        assert_null(e.tier);
        assert_int_equal(e.deadline_at, T0 + 10 * MIN + 72 * HOUR);
}

#define T(f) cmocka_unit_test_setup(f, setup)

/* A summary cut to its buffer ends on a whole character: a service of
 * 2-byte characters cut after an odd number of bytes would leave half of
 * one, and the escalation record could not be encoded (the page lost). */
static void test_summary_is_cut_on_a_whole_character(void **state) {
        char svc[1001];
        policy_input_t in = input(1, LIVE);
        (void)state;
        for (size_t i = 0; i < 1000; i += 2) {
                svc[i] = (char)0xc3;
                svc[i + 1] = (char)0xa4; /* ä */
        }
        svc[1000] = '\0';
        in.root_service = svc;
        assert_true(run(&in) > 0);
        size_t len = strlen(out[0].summary);
        /* only whole 'ä's: an even count of bytes, the last a tail byte */
        assert_true(len > 300);
        assert_int_equal(len % 2, 0);
        assert_int_equal((unsigned char)out[0].summary[len - 1], 0xa4);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_summary_is_cut_on_a_whole_character),
                T(test_nothing_pages_before_group_wait),
                T(test_triggers_that_hold_at_the_end_of_the_wait_fire),
                T(test_resolve_inside_the_wait_cancels_the_page),
                T(test_group_wait_zero_pages_at_once),
                T(test_unknown_detection_time_does_not_wait),
                T(test_warning_then_critical_pages_twice),
                T(test_critical_warning_critical_inside_cooldown_pages_once),
                T(test_rising_back_after_the_cooldown_pages_again),
                T(test_a_level_that_stays_does_not_repeat),
                T(test_repeat_interval_is_configurable),
                T(test_rising_two_levels_pages_the_level_reached),
                T(test_each_level_pages_its_roles),
                T(test_a_level_with_several_roles_pages_each),
                T(test_reopen_inside_the_cooldown),
                T(test_the_documented_timeline),
                T(test_sentiment_surge_pages_the_senior_support_lead),
                T(test_key_accounts_are_enterprise_or_strategic),
                T(test_key_account_ids_are_encoded),
                T(test_sla_triggers_per_tier),
                T(test_triage_timeout_and_severity_mismatch),
                T(test_personal_data_carries_the_regulator_deadline),
                T(test_personal_data_deadline_defaults_to_detection),
                T(test_escalation_record_routing_fields),
                T(test_two_workers_decide_the_same_ids),
                T(test_decisions_beyond_max_come_on_the_next_call),
                T(test_a_full_state_drops_new_keys_and_counts_them),
                T(test_state_round_trips),
                T(test_empty_state_is_fresh),
                T(test_state_garbage_is_rejected),
                T(test_a_silence_mutes_then_pages_what_still_holds),
                T(test_what_ended_inside_the_silence_never_pages),
                T(test_a_muted_page_starts_no_cooldown),
                T(test_the_raise_bypass_is_muted_too),
                T(test_silence_window_service_and_label),
                T(test_without_a_root_every_service_must_be_silenced),
                T(test_decision_to_escalation_record),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
