/* libFuzzer: a JSON input message through decoding, validation and the
 * correlation plan, as batch_load takes it.  The first byte picks the
 * input kind (alert, ticket, sentiment); the rest is the message. */
#include <stdint.h>

#include "correlate.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static event_t ev;
        correlate_plan_t plan;
        char why[512];
        if (size < 1)
                return 0;
        if (codec_decode_event(fuzz_codec, (event_kind_t)(data[0] % EVENT_KIND_COUNT),
                               data + 1, size - 1, &ev, why,
                               sizeof(why)) == IMPACTD_OK)
                (void)correlate_plan(&ev, &plan, why, sizeof(why));
        return 0;
}
