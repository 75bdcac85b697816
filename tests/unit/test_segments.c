/* segments_summary: where tickets concentrate, in words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "segments.h"

#define R(v, c) {SEGMENT_REGION, v, c}

static const char *summary(const segment_count_t *s, size_t n,
                           const char *const *known, size_t known_cnt) {
        static char buf[256];
        size_t len = segments_summary(s, n, known, known_cnt, buf, sizeof(buf));
        assert_int_equal(len, strlen(buf));
        return buf;
}

static void test_two_regions_hold_the_tickets(void **state) {
        static const segment_count_t s[] = {R("eu-south", 4), R("eu-central", 5),
                                            R("us-east", 1)};
        static const char *const known[] = {"eu-central", "eu-south", "eu-north"};
        (void)state;
        /* 5 + 4 = 9 of 10 >= 80 %: the two, most first; eu-north has none */
        assert_string_equal(summary(s, 3, known, 3),
                            "tickets concentrated in eu-central, eu-south; "
                            "none in eu-north");
}

static void test_exactly_eighty_percent_is_concentrated(void **state) {
        static const segment_count_t s[] = {R("eu-central", 4), R("us-east", 1)};
        (void)state;
        assert_string_equal(summary(s, 2, NULL, 0),
                            "tickets concentrated in eu-central");
}

static void test_just_under_eighty_percent_names_the_next(void **state) {
        /* 79 of 100 in eu-central: the next region is needed */
        static const segment_count_t s[] = {R("eu-central", 79), R("us-east", 21)};
        (void)state;
        assert_string_equal(summary(s, 2, NULL, 0),
                            "tickets concentrated in eu-central, us-east");
}

static void test_ties_are_named_in_name_order(void **state) {
        static const segment_count_t s[] = {R("us-east", 2), R("eu-west", 2),
                                            R("ap-south", 1)};
        (void)state;
        /* 2 + 2 = 4 of 5 = 80 % */
        assert_string_equal(summary(s, 3, NULL, 0),
                            "tickets concentrated in eu-west, us-east");
}

static void test_more_than_three_regions_is_spread(void **state) {
        static const segment_count_t s[] = {R("a", 1), R("b", 1), R("c", 1),
                                            R("d", 1), R("e", 1)};
        (void)state;
        assert_string_equal(summary(s, 5, NULL, 0),
                            "tickets spread over 5 regions");
}

static void test_other_kinds_mostly(void **state) {
        static const segment_count_t s[] = {
                {SEGMENT_PRODUCT_VERSION, "4.2", 8}, {SEGMENT_PRODUCT_VERSION, "4.1", 2},
                {SEGMENT_PLATFORM, "ios", 3},        {SEGMENT_PLATFORM, "web", 2},
                {SEGMENT_FEATURE, "checkout", 1},
        };
        (void)state;
        /* version 8/10 = 80 %; platform 3/5 is not; one feature ticket is
         * too few to say "mostly" */
        assert_string_equal(summary(s, 5, NULL, 0), "mostly version 4.2");
}

static void test_nothing_stands_out(void **state) {
        static const char *const known[] = {"eu-north"};
        static const segment_count_t s[] = {{SEGMENT_PLATFORM, "ios", 1},
                                            {SEGMENT_PLATFORM, "web", 1}};
        (void)state;
        assert_string_equal(summary(NULL, 0, known, 1), "");
        /* no region named: nothing said of the known regions either */
        assert_string_equal(summary(s, 2, known, 1), "");
}

static void test_tiny_buffers_are_cut_and_terminated(void **state) {
        static const segment_count_t s[] = {R("eu-central", 5)};
        char buf[12];
        (void)state;
        memset(buf, 'x', sizeof(buf));
        assert_int_equal(segments_summary(s, 1, NULL, 0, buf, sizeof(buf)), 11);
        assert_string_equal(buf, "tickets con");
        assert_int_equal(segments_summary(s, 1, NULL, 0, buf, 1), 0);
        assert_string_equal(buf, "");
        assert_int_equal(segments_summary(s, 1, NULL, 0, buf, 0), 0);
}

/* A summary cut by the buffer ends on a whole character and says nothing
 * after the cut: the summary goes into Avro and JSON records, which take
 * only valid UTF-8, and a cut region must not run on into "none in". */
static void test_a_cut_never_splits_a_character(void **state) {
        static const segment_count_t s[] = {R("z\xc3\xa4\xc3\xa4\xc3\xa4", 5)};
        static const char *const known[] = {"us-east"};
        char full[128], buf[128];
        (void)state;
        size_t whole = segments_summary(s, 1, known, 1, full, sizeof(full));
        assert_non_null(strstr(full, "z\xc3\xa4\xc3\xa4\xc3\xa4; none in us-east"));
        for (size_t size = 2; size <= whole + 1; size++) {
                size_t len = segments_summary(s, 1, known, 1, buf, size);
                assert_int_equal(len, strlen(buf));
                assert_true(len < size);
                /* a prefix of the whole: nothing said after a cut */
                assert_memory_equal(buf, full, len);
                /* and not half an 'ä' */
                assert_true(len == 0 || (unsigned char)buf[len - 1] != 0xc3);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_cut_never_splits_a_character),
                cmocka_unit_test(test_two_regions_hold_the_tickets),
                cmocka_unit_test(test_exactly_eighty_percent_is_concentrated),
                cmocka_unit_test(test_just_under_eighty_percent_names_the_next),
                cmocka_unit_test(test_ties_are_named_in_name_order),
                cmocka_unit_test(test_more_than_three_regions_is_spread),
                cmocka_unit_test(test_other_kinds_mostly),
                cmocka_unit_test(test_nothing_stands_out),
                cmocka_unit_test(test_tiny_buffers_are_cut_and_terminated),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
