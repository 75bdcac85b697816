/* libFuzzer: an Avro input message with its Confluent framing (magic byte
 * 0, 4-byte schema id, body) through decoding and validation.  The first
 * byte picks the input kind; the magic byte is supplied, so every input
 * reaches the Avro decoder: the schema id and body are the fuzzer's. */
#include <stdint.h>
#include <string.h>

#include "correlate.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static event_t ev;
        static uint8_t framed[1 << 16];
        correlate_plan_t plan;
        char why[512];
        if (size < 1 || size > sizeof(framed))
                return 0;
        framed[0] = 0;
        memcpy(framed + 1, data + 1, size - 1);
        if (codec_decode_event(fuzz_codec, (event_kind_t)(data[0] % EVENT_KIND_COUNT),
                               framed, size, &ev, why,
                               sizeof(why)) == IMPACTD_OK)
                (void)correlate_plan(&ev, &plan, why, sizeof(why));
        return 0;
}
