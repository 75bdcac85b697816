/* Unit tests of silences (src/silence.c): validation, matching by window,
 * service and label, the one-line Redis format, RFC 3339 times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "silence.h"

#define T0   1795341600000LL /* 2026-11-22T10:00:00Z */
#define HOUR 3600000LL

static silence_t sample(void) {
        silence_t s = {.starts_at = T0, .ends_at = T0 + 2 * HOUR};

        strcpy(s.id, "mw-1");
        strcpy(s.service, "payments-db");
        strcpy(s.comment, "quarterly upgrade: 10:00-12:00 & no pages");
        strcpy(s.created_by, "alice@example.com");
        return s;
}

static void test_window_is_half_open(void **state) {
        silence_t s = sample();

        (void)state;
        assert_false(silence_active(&s, T0 - 1));
        assert_true(silence_active(&s, T0));
        assert_true(silence_active(&s, T0 + 2 * HOUR - 1));
        assert_false(silence_active(&s, T0 + 2 * HOUR));
}

static void test_matches_by_service_and_label(void **state) {
        silence_t s = sample();
        silence_label_t labels[] = {{"team", "payments"},
                                    {"region", "eu-central"}};

        (void)state;
        assert_true(silence_matches(&s, "payments-db", NULL, 0, T0));
        assert_false(silence_matches(&s, "payments", NULL, 0, T0));
        assert_false(silence_matches(&s, NULL, NULL, 0, T0));
        assert_false(silence_matches(&s, "payments-db", NULL, 0, T0 - 1));
        strcpy(s.label_key, "region");
        strcpy(s.label_value, "eu-central");
        assert_false(silence_matches(&s, "payments-db", NULL, 0, T0));
        assert_true(silence_matches(&s, "payments-db", labels, 2, T0));
        strcpy(s.label_value, "us-east");
        assert_false(silence_matches(&s, "payments-db", labels, 2, T0));
        strcpy(s.service, "*");
        strcpy(s.label_value, "eu-central");
        assert_true(silence_matches(&s, "anything", labels, 2, T0));
}

static void test_validation(void **state) {
        silence_t s = sample();
        char err[256];

        (void)state;
        assert_int_equal(silence_validate(&s, err, sizeof(err)), IMPACTD_OK);
        s.ends_at = s.starts_at;
        assert_int_equal(silence_validate(&s, err, sizeof(err)),
                         IMPACTD_ERR_INVALID);
        assert_string_equal(err, "silence 'mw-1': ends_at must be after "
                                 "starts_at");
        s = sample();
        s.service[0] = '\0';
        assert_int_equal(silence_validate(&s, err, sizeof(err)),
                         IMPACTD_ERR_INVALID);
        assert_string_equal(err, "silence 'mw-1': service must not be empty");
        s = sample();
        strcpy(s.label_key, "region");
        assert_int_equal(silence_validate(&s, err, sizeof(err)),
                         IMPACTD_ERR_INVALID);
        s = sample();
        s.id[0] = '\0';
        assert_int_equal(silence_validate(&s, err, sizeof(err)),
                         IMPACTD_ERR_INVALID);
}

static void test_format_and_parse_round_trip(void **state) {
        silence_t s = sample(), back;
        char line[SILENCE_LINE_MAX], again[SILENCE_LINE_MAX], err[256];

        (void)state;
        strcpy(s.label_key, "region");
        strcpy(s.label_value, "eu=central 1");
        assert_true(silence_format(&s, line, sizeof(line)) > 0);
        assert_string_equal(line,
                            "id=mw-1&service=payments-db&label=region%3Deu%"
                            "3Dcentral%201&starts_at=1795341600000&ends_at="
                            "1795348800000&comment=quarterly%20upgrade%3A%"
                            "2010%3A00-12%3A00%20%26%20no%20pages&created_by="
                            "alice@example.com");
        assert_null(strchr(line, ' '));
        assert_int_equal(silence_parse(line, &back, err, sizeof(err)),
                         IMPACTD_OK);
        assert_string_equal(back.label_key, "region");
        assert_string_equal(back.label_value, "eu=central 1");
        assert_string_equal(back.comment, s.comment);
        assert_true(silence_format(&back, again, sizeof(again)) > 0);
        assert_string_equal(line, again);
        assert_int_equal(silence_format(&s, line, 30), -1);

        /* A newer writer's extra field is ignored. */
        assert_int_equal(silence_parse("service=x&id=a&starts_at=1&ends_at=2&"
                                       "matchers=foo",
                                       &back, err, sizeof(err)),
                         IMPACTD_OK);
        assert_string_equal(back.service, "x");
        assert_string_equal(back.comment, "");
}

static void test_parse_rejects_garbage(void **state) {
        static const char *const bad[] = {
                "",
                "garbage",
                "id=a&service=x&starts_at=1",
                "id=a&service=x&starts_at=2&ends_at=1",
                "id=a&service=x&starts_at=1&ends_at=2x",
                "id=a&service=x&starts_at=-1&ends_at=2",
                "id=a&service=x y&starts_at=1&ends_at=2",
                "id=a&service=x%2&starts_at=1&ends_at=2",
                "id=a&service=x%00&starts_at=1&ends_at=2",
                "id=a&service=x&label=region&starts_at=1&ends_at=2",
                "id=a&service=&starts_at=1&ends_at=2",
        };
        silence_t s;
        char err[256];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (silence_parse(bad[i], &s, err, sizeof(err)) !=
                    IMPACTD_ERR_INVALID)
                        fail_msg("accepted '%s'", bad[i]);
        silence_parse("id=a&service=x&starts_at=1", &s, err, sizeof(err));
        assert_string_equal(err, "bad silence 'id=a&service=x&starts_at=1': "
                                 "starts_at and ends_at are required");
}

static void test_rfc3339_times(void **state) {
        int64_t ms;
        char buf[40];

        (void)state;
        assert_int_equal(silence_time_parse("2026-11-22T10:00:00Z", &ms), 0);
        assert_int_equal(ms, T0);
        assert_int_equal(silence_time_parse("2026-11-22t10:00:00.25z", &ms), 0);
        assert_int_equal(ms, T0 + 250);
        assert_int_equal(silence_time_parse("1795341600000", &ms), 0);
        assert_int_equal(ms, T0);
        assert_int_equal(silence_time_parse("1970-01-01T00:00:00Z", &ms), 0);
        assert_int_equal(ms, 0);
        assert_int_equal(silence_time_parse("2028-02-29T23:59:59Z", &ms), 0);
        assert_string_equal(silence_time_format(ms, buf, sizeof(buf)),
                            "2028-02-29T23:59:59Z");
        assert_string_equal(silence_time_format(T0 + 7, buf, sizeof(buf)),
                            "2026-11-22T10:00:00.007Z");
        assert_string_equal(silence_time_format(0, buf, sizeof(buf)),
                            "1970-01-01T00:00:00Z");
        static const char *const bad[] = {
                "",
                "tomorrow",
                "2026-11-22",
                "2026-11-22T10:00:00",
                "2026-11-22T10:00:00+02:00",
                "2026-13-01T00:00:00Z",
                "2026-02-29T00:00:00Z",
                "2026-11-22T24:00:00Z",
                "2026-11-22T10:00:00.Z",
                "2026-11-22T10:00:00Zx",
                "-5",
                "12 ",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (silence_time_parse(bad[i], &ms) == 0)
                        fail_msg("accepted '%s'", bad[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_window_is_half_open),
                cmocka_unit_test(test_matches_by_service_and_label),
                cmocka_unit_test(test_validation),
                cmocka_unit_test(test_format_and_parse_round_trip),
                cmocka_unit_test(test_parse_rejects_garbage),
                cmocka_unit_test(test_rfc3339_times),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
