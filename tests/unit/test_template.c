/* src/template.c: {{field}} placeholders compiled against a field list,
 * rendered into a caller buffer or a growing one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "template.h"

static const char *const fields[] = {"service", "issue_type", "users"};
enum { F_SERVICE, F_ISSUE, F_USERS };

static template_t *compile(const char *src) {
        char err[256] = "";
        template_t *t = template_new(src, fields, 3, err, sizeof(err));

        if (!t)
                fail_msg("%s", err);
        return t;
}

static void expect_error(const char *src, const char *msg) {
        char err[256] = "";
        template_t *t = template_new(src, fields, 3, err, sizeof(err));

        if (t)
                fail_msg("compiled, expected: %s", msg);
        assert_string_equal(err, msg);
}

static const char *render(const char *src, const char *const *values) {
        static char out[512];
        template_t *t = compile(src);

        template_render(t, values, out, sizeof(out));
        template_destroy(t);
        return out;
}

static void test_placeholders_are_replaced(void **state) {
        const char *v[] = {"payments", "Outage", "1200"};

        (void)state;
        assert_string_equal(
                render("{{service}} \xe2\x80\x93 {{issue_type}}", v),
                "payments \xe2\x80\x93 Outage");
        assert_string_equal(render("{{users}} users, {{users}} again", v),
                            "1200 users, 1200 again");
        assert_string_equal(render("{{ service }}", v), "payments");
        assert_string_equal(render("no placeholders", v), "no placeholders");
        assert_string_equal(render("", v), "");
        assert_string_equal(render("{{service}}{{users}}", v), "payments1200");
}

static void test_missing_value_renders_as_nothing(void **state) {
        const char *v[] = {"payments", NULL, NULL};

        (void)state;
        assert_string_equal(render("[{{issue_type}}] {{service}}", v),
                            "[] payments");
}

static void test_escape_and_lone_braces_are_literal(void **state) {
        const char *v[] = {"payments", "Outage", "1"};

        (void)state;
        assert_string_equal(render("{{{{service}} is {{service}}", v),
                            "{{service}} is payments");
        assert_string_equal(render("{a} }} {single", v), "{a} }} {single");
}

static void test_unknown_placeholder_names_it_and_its_position(void **state) {
        (void)state;
        expect_error("Users: {{user}}",
                     "unknown placeholder {{user}} at line 1, column 8");
        expect_error("line one\nline two {{ bogus }}",
                     "unknown placeholder {{bogus}} at line 2, column 10");
        expect_error("{{}}", "empty placeholder {{}} at line 1, column 1");
        expect_error("x {{a-b}}", "invalid placeholder {{a-b}} at line 1, "
                                  "column 3");
        expect_error("{{{service}}}", "invalid placeholder {{{service}} at "
                                      "line 1, column 1");
}

static void test_unterminated_placeholder(void **state) {
        (void)state;
        expect_error("{{service}} and {{users",
                     "unterminated {{ at line 1, column 17");
        expect_error("a\n\n{{", "unterminated {{ at line 3, column 1");
}

static void test_truncation_reports_full_length(void **state) {
        const char *v[] = {"payments", "Outage", "1200"};
        template_t *t = compile("{{service}} down");
        char out[8];

        (void)state;
        assert_int_equal(template_render(t, v, out, sizeof(out)), 13);
        assert_string_equal(out, "payment");
        assert_int_equal(template_render(t, v, NULL, 0), 13);
        template_destroy(t);
}

/* A cut inside the en dash (3 bytes) drops all of it: no half characters. */
static void test_truncation_keeps_utf8_whole(void **state) {
        const char *v[] = {"ab", "Outage", "1"};
        template_t *t = compile("{{service}} \xe2\x80\x93 x");
        char out[6];

        (void)state;
        /* "ab " + 3 bytes of dash: 5 bytes of room cut it after 2 of 3. */
        assert_int_equal(template_render(t, v, out, sizeof(out)), 8);
        assert_string_equal(out, "ab ");
        template_destroy(t);
}

static void test_growing_buffer_takes_long_output(void **state) {
        char big[5000];
        const char *v[] = {big, "Outage", "1"};
        template_t *t = compile("<{{service}}>");
        buf_t b = {0};

        (void)state;
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(template_render_buf(t, v, &b), 0);
        assert_int_equal(b.len, 5001);
        assert_int_equal(b.data[0], '<');
        assert_int_equal(b.data[5000], '>');
        buf_free(&b);
        template_destroy(t);
}

static void test_source_and_uses(void **state) {
        template_t *t = compile("{{users}} of {{service}}");

        (void)state;
        assert_string_equal(template_source(t), "{{users}} of {{service}}");
        assert_true(template_uses(t, F_USERS));
        assert_true(template_uses(t, F_SERVICE));
        assert_false(template_uses(t, F_ISSUE));
        template_destroy(t);
        template_destroy(NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_placeholders_are_replaced),
                cmocka_unit_test(test_missing_value_renders_as_nothing),
                cmocka_unit_test(test_escape_and_lone_braces_are_literal),
                cmocka_unit_test(
                        test_unknown_placeholder_names_it_and_its_position),
                cmocka_unit_test(test_unterminated_placeholder),
                cmocka_unit_test(test_truncation_reports_full_length),
                cmocka_unit_test(test_truncation_keeps_utf8_whole),
                cmocka_unit_test(test_growing_buffer_takes_long_output),
                cmocka_unit_test(test_source_and_uses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
