/* Identifiers in Redis keys and output ids (include/ident.h), and text
 * cut to fit a buffer (impactd_utf8_trim). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ident.h"
#include "impactd.h"

static unsigned slot_of(const char *key) {
        return ident_key_slot(key, strlen(key));
}

/* The Redis Cluster specification's examples, as literal slots: a slot
 * compared only with another slot_of() holds for a hash that is wrong
 * everywhere, which puts keys on other nodes than Redis does.  The
 * slots were worked out apart from this code (CRC16 XMODEM mod 16384
 * and the spec's tag rules), which gives the CLUSTER KEYSLOT examples
 * of the Redis documentation below. */
static void test_slots_follow_the_cluster_spec(void **state) {
        (void)state;
        /* CRC16 (XMODEM) of "123456789" is 0x31C3 */
        assert_int_equal(slot_of("123456789"), 0x31C3 % 16384);
        /* CLUSTER KEYSLOT's documented examples */
        assert_int_equal(slot_of("somekey"), 11058);
        assert_int_equal(slot_of("foo{hash_tag}"), 2515);
        assert_int_equal(slot_of("bar{hash_tag}"), 2515);
        assert_int_equal(slot_of("foo"), 12182);
        /* the tag "user1000" alone hashes */
        assert_int_equal(slot_of("user1000"), 3443);
        assert_int_equal(slot_of("{user1000}.following"), 3443);
        assert_int_equal(slot_of("{user1000}.followers"), 3443);
        /* "foo{}{bar}": the first tag is empty, so the whole key hashes */
        assert_int_equal(slot_of("foo{}{bar}"), 8363);
        assert_int_equal(slot_of("{}"), 15257);
        /* "foo{{bar}}zap": the tag is "{bar" */
        assert_int_equal(slot_of("foo{{bar}}zap"), 4015);
        assert_int_equal(slot_of("{bar"), 4015);
        /* "foo{bar}{zap}": the first tag only */
        assert_int_equal(slot_of("bar"), 5061);
        assert_int_equal(slot_of("foo{bar}{zap}"), 5061);
        /* a '{' never closed: no tag, the whole key hashes */
        assert_int_equal(slot_of("foo{bar"), 15278);
        /* the length, not a NUL, ends the key */
        assert_int_equal(ident_key_slot("foo{bar}{zap}", 3), 12182);
}

static char *encode(const char *id, ident_form_t form) {
        char *out = malloc(ident_encoded_len(id, form) + 1);
        assert_int_equal(ident_encode(id, form, out),
                         ident_encoded_len(id, form));
        return out;
}

/* What the issue found merged stays apart: each of these ids has an
 * encoding of its own, which decodes back to it. */
static void test_encodings_are_distinct_and_reversible(void **state) {
        static const char *const ids[] = {
                "tenant-a/INC-7", "tenant-a INC-7", "tenant-a#INC-7",
                "tenant-a_INC-7", "tenant-a%2FINC-7", "}x-svc", "{}",
                "tenant-a:INC-7", "a\nb", "t\xc3\xa4", "%", "%25",
        };
        enum { N = sizeof(ids) / sizeof(ids[0]) };
        char *enc[2][N];
        (void)state;
        for (int f = 0; f < 2; f++) {
                for (int i = 0; i < N; i++) {
                        enc[f][i] = encode(ids[i], (ident_form_t)f);
                        size_t len = strlen(enc[f][i]);
                        char *back = malloc(len + 1);
                        assert_int_equal(ident_decode(enc[f][i], len,
                                                      (ident_form_t)f, back),
                                         (long)strlen(ids[i]));
                        assert_string_equal(back, ids[i]);
                        free(back);
                        assert_null(strpbrk(enc[f][i], "{} \n#/"));
                        for (int j = 0; j < i; j++)
                                assert_string_not_equal(enc[f][i], enc[f][j]);
                }
        }
        /* Ids of the old safe set keep their keys across the upgrade. */
        assert_string_equal(enc[IDENT_KEY][3], "tenant-a_INC-7");
        assert_string_equal(enc[IDENT_KEY][7], "tenant-a:INC-7");
        assert_string_equal(enc[IDENT_KEY][0], "tenant-a%2FINC-7");
        assert_string_equal(enc[IDENT_KEY][4], "tenant-a%252FINC-7");
        /* A part of an output id holds no ':' */
        assert_string_equal(enc[IDENT_PART][7], "tenant-a%3AINC-7");
        for (int f = 0; f < 2; f++)
                for (int i = 0; i < N; i++)
                        free(enc[f][i]);
}

/* One encoding per id: lower-case hex, a plain byte encoded, %00 and a
 * cut escape are not encodings. */
static void test_only_canonical_encodings_decode(void **state) {
        char out[16];
        (void)state;
        assert_int_equal(ident_decode("%2f", 3, IDENT_KEY, out), -1);
        assert_int_equal(ident_decode("%41", 3, IDENT_KEY, out), -1);
        assert_int_equal(ident_decode("%00", 3, IDENT_KEY, out), -1);
        assert_int_equal(ident_decode("%2", 2, IDENT_KEY, out), -1);
        assert_int_equal(ident_decode("a/b", 3, IDENT_KEY, out), -1);
        assert_int_equal(ident_decode("a:b", 3, IDENT_PART, out), -1);
        assert_int_equal(ident_decode("a%3Ab", 5, IDENT_PART, out), 3);
        assert_string_equal(out, "a:b");
}

/* Text cut to a buffer's size ends on a whole character. */
static void test_utf8_trim_drops_a_cut_character(void **state) {
        char s[16];
        (void)state;
        strcpy(s, "ab\xc3");            /* ä cut after its first byte */
        assert_int_equal(impactd_utf8_trim(s), 2);
        assert_string_equal(s, "ab");
        strcpy(s, "ab\xe2\x80");        /* a 3-byte character cut at 2 */
        assert_int_equal(impactd_utf8_trim(s), 2);
        strcpy(s, "ab\xf0\x9f\x98");    /* a 4-byte character cut at 3 */
        assert_int_equal(impactd_utf8_trim(s), 2);
        strcpy(s, "ab\xc3\xa4");        /* whole: kept */
        assert_int_equal(impactd_utf8_trim(s), 4);
        strcpy(s, "ab\xf0\x9f\x98\x80");
        assert_int_equal(impactd_utf8_trim(s), 6);
        strcpy(s, "plain");
        assert_int_equal(impactd_utf8_trim(s), 5);
        s[0] = '\0';
        assert_int_equal(impactd_utf8_trim(s), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_slots_follow_the_cluster_spec),
                cmocka_unit_test(test_encodings_are_distinct_and_reversible),
                cmocka_unit_test(test_only_canonical_encodings_decode),
                cmocka_unit_test(test_utf8_trim_drops_a_cut_character),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
