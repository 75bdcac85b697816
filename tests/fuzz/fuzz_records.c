/* libFuzzer: the records impactd writes for itself and reads back from
 * outside its control: a routed event from the routed topic (anyone can
 * produce to it), an incident's core record from Redis, and a whole
 * incident, its core and its set entries, as a new owner loads it.  The
 * first byte picks which.  None may crash or leak; what decodes must
 * encode and decode again to the same thing, or a takeover would change
 * an incident; and a loaded incident must give its facts.  A failure
 * aborts, which libFuzzer reports. */
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

/* A whole incident: a 2-byte core length, the core, then entries of
 * [set byte][field length byte][field][2-byte value length][value]. */
static void incident(const uint8_t *data, size_t size) {
        char errstr[512];
        if (size < 2)
                return;
        size_t core_len = (size_t)data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        if (core_len > size)
                return;
        aggregate_t *a = aggregate_decode("fuzz", data, core_len, errstr, sizeof(errstr));
        if (!a)
                return;
        data += core_len;
        size -= core_len;
        int ok = 0;
        while (ok == 0 && size >= 4) {
                aggregate_set_t set = (aggregate_set_t)(data[0] % AGG_SET_COUNT);
                size_t flen = data[1];
                if (2 + flen + 2 > size)
                        break;
                const char *field = (const char *)data + 2;
                size_t vlen = (size_t)data[2 + flen] << 8 | data[3 + flen];
                if (4 + flen + vlen > size)
                        break;
                ok = aggregate_load_entry(a, set, field, flen,
                                          (const char *)data + 4 + flen, vlen,
                                          errstr, sizeof(errstr));
                data += 4 + flen + vlen;
                size -= 4 + flen + vlen;
        }
        if (ok == 0 && aggregate_load_done(a, errstr, sizeof(errstr)) == 0) {
                incident_t inc = {0};
                check(aggregate_facts(a, 1765000000000LL, 5, 5, &inc) == 0,
                      "a loaded incident gives no facts");
                incident_clear(&inc);
        }
        aggregate_destroy(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        switch (data[0] % 3) {
        case 0: routed(data + 1, size - 1); break;
        case 1: core(data + 1, size - 1); break;
        default: incident(data + 1, size - 1); break;
        }
        return 0;
}
