/* The routed event: what the router produces to kafka.topics.routed and
 * the owner consumes (docs/architecture.md, "Owned incidents").  The
 * event already decoded and validated, in the compact encoding of
 * record.h, with where it was read: the owner fences replays by that
 * position. */
#ifndef IMPACTD_ROUTED_H
#define IMPACTD_ROUTED_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "impactd.h"
#include "record.h"

/* Where the router read the event.  An event released from a hold has
 * none (topic 0, partition and offset -1): it left its input partition's
 * order when it was held, so the owner's offset fence, which relies on
 * that order, must not judge it; its event id does. */
typedef struct routed_source {
        char topic; /* 'a' alerts, 't' tickets, 's' sentiment; 0 = none */
        int32_t partition;
        int64_t offset;
} routed_source_t;

#define ROUTED_RELEASED ((routed_source_t){0, -1, -1})

/* Appends the routed record of `ev` to `out` (check out->failed). */
void routed_encode(const event_t *ev, const routed_source_t *src,
                   record_buf_t *out);

/* Reads a routed record into `ev` (reset first; strings copied into its
 * arena) and `src`.  IMPACTD_ERR_DECODE for bytes that are not a routed
 * record of this version, IMPACTD_ERR_INVALID for one that breaks the
 * event contract (event_validate): such a message goes to the DLQ like
 * any bad input, it never stops the owner. */
impactd_err_t routed_decode(const void *data, size_t len, event_t *ev,
                            routed_source_t *src, char *errstr,
                            size_t errstr_size);

#endif
