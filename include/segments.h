/* Where an incident's tickets concentrate, in words, for the scored
 * record's segments_summary (and for notifications).  Pure. */
#ifndef IMPACTD_SEGMENTS_H
#define IMPACTD_SEGMENTS_H

#include <stddef.h>

#include "output.h"

/* Share of a kind's tickets that makes its top values "concentrated". */
#define SEGMENTS_CONCENTRATION 0.8
/* At most this many regions are named; more means spread out. */
#define SEGMENTS_MAX_NAMED 3

/* Writes into buf (always NUL-terminated, cut to fit):
 *   regions  "tickets concentrated in eu-central, eu-south": the fewest
 *            regions, most tickets first (ties by name), that hold at
 *            least 80 % of the tickets that name a region; "tickets spread
 *            over N regions" when that takes more than three;
 *            then "; none in eu-north" for each known region with no
 *            ticket, in the order given;
 *   others   "; mostly version 4.2" / "; mostly platform ios" /
 *            "; mostly feature checkout" when one value holds at least
 *            80 % of at least two tickets of its kind.
 * "" when no ticket names a segment.  Returns the length written. */
size_t segments_summary(const segment_count_t *segs, size_t n,
                        const char *const *known_regions, size_t known_cnt,
                        char *buf, size_t size);

#endif
