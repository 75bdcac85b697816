/* From an incident's facts to its outputs: the score input (with catalog
 * facts), the scored record, and the escalation decided on it.  Pure: the
 * batch module does the I/O. */
#ifndef IMPACTD_EMIT_H
#define IMPACTD_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "output.h"
#include "redis_state.h"
#include "score.h"

void emit_score_input(const config_t *conf, const incident_t *inc,
                      score_input_t *in);

/* `out` points into `inc` and `r`: valid while both are. */
void emit_scored(const incident_t *inc, const score_result_t *r,
                 scored_t *out);

/* The level escalation of an open incident whose computed level is more
 * severe than any level escalated for it before.  Fills `esc` (strings in
 * the caller's buffers) and returns true when one is due. */
typedef struct emit_escalation_buf {
        char id[INCIDENT_ID_MAX + 48];
        char summary[512];
        escalation_t esc;
} emit_escalation_buf_t;

bool emit_level_escalation(const incident_t *inc, const score_result_t *r,
                           emit_escalation_buf_t *buf);

/* The role paged for a level: 1-2 incident_commander, 3 on_call_engineer,
 * 4-5 service_owner. */
const char *emit_level_target(int level);

#endif
