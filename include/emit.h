/* From an incident's facts to its scored output: the score input (with
 * catalog facts), the scored record and the next re-score deadline.  What
 * is paged and notified is decided in batch_decide.c.  Pure: the batch
 * module does the I/O. */
#ifndef IMPACTD_EMIT_H
#define IMPACTD_EMIT_H

#include <stddef.h>

#include "config.h"
#include "output.h"
#include "incident.h"
#include "score.h"

/* What an incident is scored with besides its own facts: the clock, the
 * blast radius the worker walked on the service graph, and what follows
 * from them.  Filled by emit_context(). */
typedef struct emit_ctx {
        int64_t now;            /* the incident clock */
        int64_t duration_ms;    /* detection -> now, or -> resolution */
        const char **impacted;  /* blast radius, root first */
        size_t impacted_cnt;
        int64_t impacted_users;     /* sum of catalog users of them */
        int64_t impacted_max_users; /* the largest of them */
        int64_t catalog_users;      /* sum over the whole catalog */
        score_sla_status_t sla;
        char segments_summary[256];
} emit_ctx_t;

/* Duration and SLA standing at `now`; the caller fills the blast radius
 * fields. */
void emit_context(const config_t *conf, const incident_t *inc, int64_t now,
                  emit_ctx_t *ctx);

void emit_score_input(const config_t *conf, const incident_t *inc,
                      const emit_ctx_t *ctx, score_input_t *in);

/* `out` points into `inc`, `ctx` and `r`: valid while they are. */
void emit_scored(const incident_t *inc, const emit_ctx_t *ctx,
                 const score_result_t *r, scored_t *out);

/* When the open incident must be re-scored with no new event: the next
 * of the triage, SLA, quiet-time and long-running instants, and at least
 * every rescore interval.  0 for a resolved incident. */
int64_t emit_next_deadline(const config_t *conf, const incident_t *inc,
                           const emit_ctx_t *ctx, const score_result_t *r);


#endif
