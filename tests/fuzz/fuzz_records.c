/* libFuzzer: the records impactd writes for itself and reads back from
 * outside its control: a routed event from the routed topic (anyone can
 * produce to it), an incident's core record from Redis.  The first byte
 * picks which.  Neither may crash or leak; and what decodes must encode
 * and decode again to the same thing, or a takeover would change an
 * incident.  A failure aborts, which libFuzzer reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "routed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "fuzz_records: %s\n", what);
                abort();
        }
}

static void routed(const uint8_t *data, size_t size) {
        static event_t ev, again;
        static record_buf_t b1, b2;
        routed_source_t src, src2;
        char errstr[512];
        if (routed_decode(data, size, &ev, &src, errstr, sizeof(errstr)) != IMPACTD_OK)
                return;
        record_buf_reset(&b1);
        record_buf_reset(&b2);
        routed_encode(&ev, &src, &b1);
        check(routed_decode(b1.p, b1.len, &again, &src2, errstr, sizeof(errstr)) ==
                      IMPACTD_OK,
              "a routed event decoded once does not decode again");
        routed_encode(&again, &src2, &b2);
        check(b1.len == b2.len && !memcmp(b1.p, b2.p, b1.len),
              "a routed event changes when passed on");
}

static void core(const uint8_t *data, size_t size) {
        static record_buf_t b1, b2;
        char errstr[512];
        aggregate_t *a = aggregate_decode("fuzz", data, size, errstr, sizeof(errstr));
        if (!a)
                return;
        record_buf_reset(&b1);
        record_buf_reset(&b2);
        aggregate_encode(a, &b1);
        aggregate_t *again = aggregate_decode("fuzz", b1.p, b1.len, errstr, sizeof(errstr));
        check(again != NULL, "an incident record decoded once does not decode again");
        aggregate_encode(again, &b2);
        check(b1.len == b2.len && !memcmp(b1.p, b2.p, b1.len),
              "an incident record changes when stored again");
        aggregate_destroy(a);
        aggregate_destroy(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        if (data[0] & 1)
                core(data + 1, size - 1);
        else
                routed(data + 1, size - 1);
        return 0;
}
