/* notifications.* of the configuration (src/config_notify.c): defaults,
 * overrides pair by pair, errors with file:line:key, and printing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_fixture.h"

static const char *src(const template_t *t) {
        return t ? template_source(t) : NULL;
}

static void test_defaults(void **state) {
        config_t *conf = must_load("");
        const notify_config_t *nc = &conf->notify;

        (void)state;
        for (int a = 0; a < AUDIENCE_COUNT; a++) {
                assert_true(nc->audiences[a]);
                for (int k = 0; k < NOTIFY_KIND_COUNT; k++) {
                        const char *body = notify_default_body(a, k);

                        assert_int_equal(!!nc->templates[a][k].title, !!body);
                        if (body)
                                assert_string_equal(
                                        src(nc->templates[a][k].body), body);
                }
        }
        assert_string_equal(
                src(nc->templates[AUDIENCE_EXECUTIVE][NOTIFY_OPENED].title),
                "{{service}} \xe2\x80\x93 {{issue_type}}");
        assert_string_equal(
                src(nc->templates[AUDIENCE_CUSTOMER][NOTIFY_OPENED].title),
                "{{service_display}} \xe2\x80\x93 {{issue_type}}");
        assert_null(nc->templates[AUDIENCE_CUSTOMER][NOTIFY_SLA_AT_RISK].title);
        assert_non_null(
                nc->templates[AUDIENCE_CUSTOMER_LIAISON][NOTIFY_FOLLOW_UP]
                        .body);
        assert_string_equal(nc->issue_types[DISRUPTION_OUTAGE], "Outage");
        assert_string_equal(nc->issue_types[DISRUPTION_DEGRADED],
                            "Degraded performance");
        assert_string_equal(nc->issue_types[DISRUPTION_LATENCY],
                            "Elevated latency");
        assert_string_equal(nc->issue_types[DISRUPTION_COUNT],
                            "Service disruption");
        assert_string_equal(nc->default_display_name, "our service");
        config_destroy(conf);
}

static void test_overrides_merge_pair_by_pair(void **state) {
        config_t *conf =
                must_load("services:\n"
                          "  payments: {users: 10, display_name: Payments}\n"
                          "notifications:\n"
                          "  issue_types: {outage: Service outage}\n"
                          "  default_display_name: the shop\n"
                          "  audiences: [executive, Customer]\n"
                          "  templates:\n"
                          "    executive:\n"
                          "      opened: {body: \"Level {{level}} costs $$ "
                          "{{arr_at_risk}}\"}\n"
                          "      resolved: {title: \"Done: {{service}}\"}\n"
                          "      follow_up: {body: \"Call {{account_id}}\"}\n"
                          "    CUSTOMER:\n"
                          "      RESOLVED: null\n");
        const notify_config_t *nc = &conf->notify;

        (void)state;
        assert_string_equal(config_service_find(conf, "payments")->display_name,
                            "Payments");
        assert_string_equal(nc->issue_types[DISRUPTION_OUTAGE],
                            "Service outage");
        assert_string_equal(nc->issue_types[DISRUPTION_LATENCY],
                            "Elevated latency");
        assert_string_equal(nc->default_display_name, "the shop");
        assert_true(nc->audiences[AUDIENCE_EXECUTIVE]);
        assert_true(nc->audiences[AUDIENCE_CUSTOMER]);
        assert_false(nc->audiences[AUDIENCE_ENGINEERING]);
        /* body replaced, title kept */
        assert_string_equal(
                src(nc->templates[AUDIENCE_EXECUTIVE][NOTIFY_OPENED].body),
                "Level {{level}} costs $ {{arr_at_risk}}");
        assert_string_equal(
                src(nc->templates[AUDIENCE_EXECUTIVE][NOTIFY_OPENED].title),
                notify_default_title(AUDIENCE_EXECUTIVE));
        /* title replaced, body kept */
        assert_string_equal(
                src(nc->templates[AUDIENCE_EXECUTIVE][NOTIFY_RESOLVED].title),
                "Done: {{service}}");
        assert_string_equal(
                src(nc->templates[AUDIENCE_EXECUTIVE][NOTIFY_RESOLVED].body),
                notify_default_body(AUDIENCE_EXECUTIVE, NOTIFY_RESOLVED));
        /* a pair new to the defaults gets the default title */
        assert_string_equal(
                src(nc->templates[AUDIENCE_EXECUTIVE][NOTIFY_FOLLOW_UP].title),
                notify_default_title(AUDIENCE_EXECUTIVE));
        assert_null(nc->templates[AUDIENCE_CUSTOMER][NOTIFY_RESOLVED].title);
        assert_null(nc->templates[AUDIENCE_CUSTOMER][NOTIFY_RESOLVED].body);
        config_destroy(conf);
}

static void test_unknown_placeholder_names_file_line_key(void **state) {
        (void)state;
        expect_error("notifications:\n"
                     "  templates:\n"
                     "    executive:\n"
                     "      opened:\n"
                     "        body: \"{{level}} and {{bogus}}\"\n",
                     "cfg.yaml:5: notifications.templates.executive.opened."
                     "body: unknown placeholder {{bogus}} at line 1, column "
                     "15");
        expect_error("notifications:\n"
                     "  templates:\n"
                     "    engineering:\n"
                     "      resolved: {title: \"{{service\"}\n",
                     "cfg.yaml:4: notifications.templates.engineering."
                     "resolved.title: unterminated {{ at line 1, column 1");
}

static void test_unknown_names_are_errors(void **state) {
        (void)state;
        expect_error("notifications:\n"
                     "  templates:\n"
                     "    executives: {}\n",
                     "cfg.yaml:3: notifications.templates: unknown audience "
                     "'executives' (expected executive, engineering, "
                     "customer, account_manager, customer_liaison or "
                     "compliance)");
        expect_error("notifications:\n"
                     "  templates:\n"
                     "    executive:\n"
                     "      closed: null\n",
                     "cfg.yaml:4: notifications.templates.executive: unknown "
                     "kind 'closed' (expected opened, impact_changed, "
                     "sla_at_risk, resolved or follow_up)");
        expect_error("notifications:\n"
                     "  templates:\n"
                     "    executive:\n"
                     "      opened: {subject: x}\n",
                     "cfg.yaml:4: notifications.templates.executive.opened: "
                     "unknown key 'subject' (expected title or body)");
        expect_error("notifications:\n"
                     "  audiences:\n"
                     "    - EXECUTIVE\n"
                     "    - BOARD\n",
                     "cfg.yaml:4: notifications.audiences: unknown audience "
                     "'BOARD' (expected EXECUTIVE, ENGINEERING, CUSTOMER, "
                     "ACCOUNT_MANAGER, CUSTOMER_LIAISON or COMPLIANCE)");
        expect_error("notifications:\n"
                     "  colour: red\n",
                     "cfg.yaml:2: notifications: unknown key 'colour'");
        expect_error("notifications:\n"
                     "  issue_types: {outage: \"\"}\n",
                     "cfg.yaml:2: notifications.issue_types.outage: must not "
                     "be empty");
}

static void test_new_pair_needs_a_body(void **state) {
        (void)state;
        expect_error("notifications:\n"
                     "  templates:\n"
                     "    customer:\n"
                     "      sla_at_risk:\n"
                     "        title: \"{{service_display}}\"\n",
                     "cfg.yaml:5: notifications.templates.customer."
                     "sla_at_risk: no built-in template for this pair: give "
                     "a body");
}

static void test_customer_templates_keep_internal_names_out(void **state) {
        (void)state;
        expect_error("notifications:\n"
                     "  templates:\n"
                     "    customer:\n"
                     "      opened: {body: \"{{service}} is down\"}\n",
                     "cfg.yaml:4: notifications.templates.customer.opened."
                     "body: {{service}} is internal: not for the CUSTOMER "
                     "audience (use {{service_display}})");
        expect_error("notifications:\n"
                     "  templates:\n"
                     "    customer:\n"
                     "      resolved: {title: \"{{incident_id}}\"}\n",
                     "cfg.yaml:4: notifications.templates.customer.resolved."
                     "title: {{incident_id}} is internal: not for the "
                     "CUSTOMER audience (use {{service_display}})");
}

/* Whether two printed configurations have the same notifications:
 * section (up to services:).  Not inlined: GCC 12 then takes the
 * open_memstream buffer of print_to_string() for a dangling local. */
__attribute__((noinline)) static bool same_section(const char *a,
                                                   const char *b) {
        const char *sa = strstr(a, "\nnotifications:\n"),
                   *sb = strstr(b, "\nnotifications:\n");
        const char *ea = sa ? strstr(sa, "\nservices:") : NULL,
                   *eb = sb ? strstr(sb, "\nservices:") : NULL;

        if (!ea || !eb || ea - sa != eb - sb)
                return false;
        return !memcmp(sa, sb, (size_t)(ea - sa));
}

/* config/impactd.yaml documents the defaults: same section printed. */
static void test_shipped_config_has_the_defaults(void **state) {
        const char *env = getenv("IMPACTD_SOURCE_DIR");
        const char *marker = strstr(__FILE__, "/tests/unit/");
        char path[4096], err[ERRSZ], *out, *out2;
        config_t *shipped, *defaults = must_load("");

        (void)state;
        unsetenv("IMPACTD_KAFKA_BROKERS");
        unsetenv("IMPACTD_REDIS_URL");
        /* The source tree: from ctest's environment, else this file's. */
        if (env)
                snprintf(path, sizeof(path), "%s/config/impactd.yaml", env);
        else
                snprintf(path, sizeof(path), "%.*s/config/impactd.yaml",
                         marker ? (int)(marker - __FILE__) : 1,
                         marker ? __FILE__ : ".");
        if (!(shipped = config_load(path, err, sizeof(err))))
                fail_msg("%s", err);
        out = print_to_string(shipped);
        out2 = print_to_string(defaults);
        assert_true(same_section(out, out2));
        assert_string_equal(
                config_service_find(shipped, "checkout-web")->display_name,
                "Checkout");
        assert_string_equal(
                config_service_find(shipped, "payments")->display_name,
                "Payments");
        assert_null(config_service_find(shipped, "payments-db")->display_name);
        free(out);
        free(out2);
        config_destroy(shipped);
        config_destroy(defaults);
}

static void test_print_loads_back(void **state) {
        config_t *conf =
                must_load("notifications:\n"
                          "  audiences: [COMPLIANCE, EXECUTIVE]\n"
                          "  templates:\n"
                          "    executive:\n"
                          "      opened:\n"
                          "        body: |\n"
                          "          Costs $$ {{arr_at_risk}} \"quoted\"\n"
                          "          {{{{literal}}\n"
                          "    customer: {resolved: null}\n");
        char *out = print_to_string(conf), *out2, err[ERRSZ];
        config_t *again;

        (void)state;
        assert_non_null(strstr(out, "  audiences: [EXECUTIVE, COMPLIANCE]\n"));
        assert_non_null(strstr(out, "      resolved: null\n"));
        if (!(again = config_load_string(out, strlen(out), "printed", err,
                                         sizeof(err))))
                fail_msg("%s\n%s", err, out);
        assert_string_equal(
                src(again->notify.templates[AUDIENCE_EXECUTIVE][NOTIFY_OPENED]
                            .body),
                "Costs $ {{arr_at_risk}} \"quoted\"\n"
                "{{{{literal}}\n");
        /* The section prints the same (schema paths resolve against the
         * file's name, which differs). */
        out2 = print_to_string(again);
        assert_non_null(strstr(out, "\nnotifications:\n"));
        assert_string_equal(strstr(out, "\nnotifications:\n"),
                            strstr(out2, "\nnotifications:\n"));
        free(out);
        free(out2);
        config_destroy(conf);
        config_destroy(again);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_overrides_merge_pair_by_pair),
                cmocka_unit_test(test_unknown_placeholder_names_file_line_key),
                cmocka_unit_test(test_unknown_names_are_errors),
                cmocka_unit_test(test_new_pair_needs_a_body),
                cmocka_unit_test(
                        test_customer_templates_keep_internal_names_out),
                cmocka_unit_test(test_shipped_config_has_the_defaults),
                cmocka_unit_test(test_print_loads_back),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
