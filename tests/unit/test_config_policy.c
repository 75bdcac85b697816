/* The configuration of the escalation policy (policy:) and of silences
 * (silences:) in config/impactd.yaml: defaults, parsing, errors with
 * file:line: key, and check-config output that loads back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_fixture.h"

#define T0 1795341600000LL /* 2026-11-22T10:00:00Z */

static void assert_roles(const policy_roles_t *r, size_t cnt, const char *a,
                         const char *b) {
        assert_int_equal(r->cnt, cnt);
        if (cnt > 0)
                assert_string_equal(r->role[0], a);
        if (cnt > 1)
                assert_string_equal(r->role[1], b);
}

static void assert_policy_equal(const policy_config_t *a,
                                const policy_config_t *b) {
        assert_int_equal(a->group_wait_ms, b->group_wait_ms);
        assert_int_equal(a->repeat_interval_ms, b->repeat_interval_ms);
        assert_int_equal(a->regulator_deadline_h, b->regulator_deadline_h);
        for (int l = 1; l <= POLICY_LEVELS; l++)
                assert_memory_equal(&a->level[l], &b->level[l],
                                    sizeof(a->level[l]));
        for (int t = 1; t < TRIGGER_KIND_COUNT; t++)
                assert_memory_equal(&a->targets[t], &b->targets[t],
                                    sizeof(a->targets[t]));
}

static void test_policy_defaults(void **state) {
        config_t *conf = must_load("");
        const policy_config_t *p = &conf->policy;
        policy_config_t def;

        (void)state;
        assert_int_equal(p->group_wait_ms, 30000);
        assert_int_equal(p->repeat_interval_ms, 3600000);
        assert_int_equal(p->regulator_deadline_h, 72);
        assert_roles(&p->level[1], 1, "incident_commander", NULL);
        assert_roles(&p->level[2], 1, "incident_commander", NULL);
        assert_roles(&p->level[3], 1, "on_call_engineer", NULL);
        assert_roles(&p->level[4], 1, "service_owner", NULL);
        assert_roles(&p->level[5], 0, NULL, NULL);
        assert_roles(&p->targets[TRIGGER_SENTIMENT_SURGE], 1,
                     "senior_support_lead", NULL);
        assert_roles(&p->targets[TRIGGER_KEY_ACCOUNT], 1, "account_manager",
                     NULL);
        assert_roles(&p->targets[TRIGGER_SLA_AT_RISK], 2, "incident_commander",
                     "account_manager");
        assert_roles(&p->targets[TRIGGER_SLA_BREACHED], 2, "incident_commander",
                     "account_manager");
        assert_roles(&p->targets[TRIGGER_TRIAGE_TIMEOUT], 1, "on_call_engineer",
                     NULL);
        assert_roles(&p->targets[TRIGGER_SEVERITY_MISMATCH], 1,
                     "incident_commander", NULL);
        assert_roles(&p->targets[TRIGGER_PERSONAL_DATA], 1, "compliance", NULL);
        policy_config_defaults(&def);
        assert_policy_equal(p, &def);
        assert_int_equal(conf->silences_cnt, 0);
        config_destroy(conf);
}

/* The example file documents the defaults: loading it changes none. */
static void test_example_file_has_the_default_policy(void **state) {
        char path[1024], err[ERRSZ];
        const char *src = getenv("IMPACTD_SOURCE_DIR");
        policy_config_t def;
        config_t *conf;

        (void)state;
        snprintf(path, sizeof(path), "%s/config/impactd.yaml", src ? src : ".");
        if (!(conf = config_load(path, err, sizeof(err))))
                fail_msg("%s", err);
        policy_config_defaults(&def);
        assert_policy_equal(&conf->policy, &def);
        config_destroy(conf);
}

static void test_policy_keys_parse(void **state) {
        config_t *conf =
                must_load("policy:\n"
                          "  group_wait_s: 0\n"
                          "  repeat_interval_s: 600.5\n"
                          "  regulator_deadline_h: 24\n"
                          "  targets:\n"
                          "    level:\n"
                          "      1: [incident_commander, vp-engineering]\n"
                          "      5: [service_owner]\n"
                          "    sentiment_surge: [support.lead]\n"
                          "    personal_data: [\"${ROLE_DPO:-dpo}\"]\n");
        const policy_config_t *p = &conf->policy;

        (void)state;
        assert_int_equal(p->group_wait_ms, 0);
        assert_int_equal(p->repeat_interval_ms, 600500);
        assert_int_equal(p->regulator_deadline_h, 24);
        assert_roles(&p->level[1], 2, "incident_commander", "vp-engineering");
        assert_roles(&p->level[2], 1, "incident_commander", NULL); /* kept */
        assert_roles(&p->level[5], 1, "service_owner", NULL);
        assert_roles(&p->targets[TRIGGER_SENTIMENT_SURGE], 1, "support.lead",
                     NULL);
        assert_roles(&p->targets[TRIGGER_PERSONAL_DATA], 1, "dpo", NULL);
        assert_roles(&p->targets[TRIGGER_KEY_ACCOUNT], 1, "account_manager",
                     NULL);
        config_destroy(conf);

        /* A level may page nobody. */
        conf = must_load("policy:\n  targets:\n    level:\n      4: []\n");
        assert_int_equal(conf->policy.level[4].cnt, 0);
        config_destroy(conf);
}

static void test_policy_errors_name_line_and_key(void **state) {
        (void)state;
        expect_error("policy:\n  group_wait_s: -1\n",
                     "cfg.yaml:2: policy.group_wait_s: must be >= 0, got '-1'");
        expect_error("policy:\n  repeat_interval_s: soon\n",
                     "cfg.yaml:2: policy.repeat_interval_s: expected a "
                     "number, got 'soon'");
        expect_error("policy:\n  regulator_deadline_h: 0\n",
                     "cfg.yaml:2: policy.regulator_deadline_h: must be > 0, "
                     "got '0'");
        expect_error("policy:\n  cooldown: 5\n",
                     "cfg.yaml:2: policy: unknown key 'cooldown'");
        expect_error("policy:\n  targets:\n    sentiment_surge: []\n",
                     "cfg.yaml:3: policy.targets.sentiment_surge: must list "
                     "at least one role");
        expect_error("policy:\n  targets:\n    personal_data:\n",
                     "cfg.yaml:3: policy.targets.personal_data: must list at "
                     "least one role");
        expect_error("policy:\n  targets:\n    triage_timeout: on_call\n",
                     "cfg.yaml:3: policy.targets.triage_timeout: expected a "
                     "list");
        expect_error("policy:\n  targets:\n    level:\n      6: [x]\n",
                     "cfg.yaml:4: policy.targets.level: unknown key '6'");
        expect_error("policy:\n  targets:\n    key_account:\n"
                     "      - account_manager\n      - \"account manager\"\n",
                     "cfg.yaml:5: policy.targets.key_account: role 'account "
                     "manager': expected 1 to 47 letters, digits, '_', '.' "
                     "or '-'");
        expect_error("policy:\n  targets:\n    sla_breached: [a, b, a]\n",
                     "cfg.yaml:3: policy.targets.sla_breached: duplicate "
                     "role 'a'");
        expect_error("policy:\n  targets:\n    sla_at_risk: [a, b, c, d, e]\n",
                     "cfg.yaml:3: policy.targets.sla_at_risk: at most 4 "
                     "roles, got 5");
        expect_error("policy:\n  targets:\n    level:\n      2: [\"\"]\n",
                     "cfg.yaml:4: policy.targets.level.2: role '': expected "
                     "1 to 47 letters, digits, '_', '.' or '-'");
}

/* ---- silences ---- */

static void test_silences_parse(void **state) {
        config_t *conf = must_load("silences:\n"
                                   "  - service: payments-db\n"
                                   "    starts_at: 2026-11-22T10:00:00Z\n"
                                   "    ends_at: 2026-11-22T12:00:00Z\n"
                                   "    comment: quarterly upgrade\n"
                                   "  - id: eu-freeze\n"
                                   "    service: \"*\"\n"
                                   "    label: region=eu-central\n"
                                   "    starts_at: 1795341600000\n"
                                   "    ends_at: 1795345200000\n"
                                   "    created_by: alice\n");
        const silence_t *s = conf->silences;

        (void)state;
        assert_int_equal(conf->silences_cnt, 2);
        assert_string_equal(s[0].id, "config-1");
        assert_string_equal(s[0].service, "payments-db");
        assert_string_equal(s[0].label_key, "");
        assert_int_equal(s[0].starts_at, T0);
        assert_int_equal(s[0].ends_at, T0 + 2 * 3600000);
        assert_string_equal(s[0].comment, "quarterly upgrade");
        assert_string_equal(s[0].created_by, "config");
        assert_string_equal(s[1].id, "eu-freeze");
        assert_string_equal(s[1].service, "*");
        assert_string_equal(s[1].label_key, "region");
        assert_string_equal(s[1].label_value, "eu-central");
        assert_int_equal(s[1].ends_at, T0 + 3600000);
        assert_string_equal(s[1].created_by, "alice");
        config_destroy(conf);
}

static void test_silence_errors_name_line_and_key(void **state) {
        (void)state;
        expect_error("silences:\n  - service: db\n"
                     "    starts_at: 2026-11-22T12:00:00Z\n"
                     "    ends_at: 2026-11-22T10:00:00Z\n",
                     "cfg.yaml:4: silences[0].ends_at: must be after "
                     "starts_at");
        expect_error("silences:\n  - service: db\n    starts_at: tomorrow\n"
                     "    ends_at: 2026-11-22T10:00:00Z\n",
                     "cfg.yaml:3: silences[0].starts_at: expected an RFC "
                     "3339 UTC time such as 2026-11-22T10:00:00Z, or epoch "
                     "ms, got 'tomorrow'");
        expect_error("silences:\n  - service: db\n"
                     "    starts_at: 2026-11-22T10:00:00+01:00\n"
                     "    ends_at: 2026-11-22T12:00:00Z\n",
                     "cfg.yaml:3: silences[0].starts_at: expected an RFC "
                     "3339 UTC time such as 2026-11-22T10:00:00Z, or epoch "
                     "ms, got '2026-11-22T10:00:00+01:00'");
        expect_error("silences:\n  - service: db\n    starts_at: 1\n"
                     "    ends_at: 2\n  - starts_at: 1\n    ends_at: 2\n",
                     "cfg.yaml:5: silences[1]: service, starts_at and "
                     "ends_at are required");
        expect_error("silences:\n  - service: \"\"\n    starts_at: 1\n"
                     "    ends_at: 2\n",
                     "cfg.yaml:2: silences[0]: service and id must not be "
                     "empty");
        expect_error("silences:\n  - service: db\n    matcher: x\n",
                     "cfg.yaml:3: silences[0]: unknown key 'matcher'");
        expect_error("silences:\n  - service: db\n    label: region\n",
                     "cfg.yaml:3: silences[0].label: expected key=value, got "
                     "'region'");
        expect_error("silences:\n  - {id: a, service: x, starts_at: 1, "
                     "ends_at: 2}\n  - {id: a, service: y, starts_at: 1, "
                     "ends_at: 2}\n",
                     "cfg.yaml:3: silences: duplicate silence id 'a'");
        expect_error("silences: {service: db}\n",
                     "cfg.yaml:1: silences: expected a list");
        expect_error("silences:\n  - db\n",
                     "cfg.yaml:2: silences[0]: expected a mapping");
}

/* check-config shows the policy and the silences, and its output loads
 * back to the same values. */
static void test_print_loads_back(void **state) {
        config_t *conf =
                must_load("policy:\n  group_wait_s: 5\n"
                          "  targets: {level: {3: [a, b]}, key_account: [am]}\n"
                          "silences:\n  - service: db\n    label: team=x\n"
                          "    starts_at: 2026-11-22T10:00:00.5Z\n"
                          "    ends_at: 2026-11-22T12:00:00Z\n"
                          "    comment: \"costs $5\"\n");
        char *out = print_to_string(conf), err[ERRSZ];
        config_t *back;

        (void)state;
        assert_non_null(strstr(out, "policy:\n  group_wait_s: 5\n"
                                    "  repeat_interval_s: 3600\n"));
        assert_non_null(strstr(out, "      3: [\"a\", \"b\"]\n"));
        assert_non_null(strstr(out, "      5: []\n"));
        assert_non_null(strstr(out,
                               "silences:\n  - id: \"config-1\"\n"
                               "    service: \"db\"\n"
                               "    label: \"team=x\"\n"
                               "    starts_at: \"2026-11-22T10:00:00.500Z\"\n"
                               "    ends_at: \"2026-11-22T12:00:00Z\"\n"
                               "    comment: \"costs $$5\"\n"
                               "    created_by: \"config\"\n"));
        back = load(out, err);
        if (!back)
                fail_msg("%s", err);
        assert_policy_equal(&back->policy, &conf->policy);
        assert_int_equal(back->silences_cnt, 1);
        assert_memory_equal(&back->silences[0], &conf->silences[0],
                            sizeof(silence_t));
        free(out);
        config_destroy(back);
        config_destroy(conf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_policy_defaults),
                cmocka_unit_test(test_example_file_has_the_default_policy),
                cmocka_unit_test(test_policy_keys_parse),
                cmocka_unit_test(test_policy_errors_name_line_and_key),
                cmocka_unit_test(test_silences_parse),
                cmocka_unit_test(test_silence_errors_name_line_and_key),
                cmocka_unit_test(test_print_loads_back),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
