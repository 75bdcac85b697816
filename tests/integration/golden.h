/* Golden scenarios: files of timed events and the exact outputs they must
 * produce.  The format is documented in tests/golden/README.md; this is
 * its parsed form, kept apart from running it so the format stays small
 * and its errors point at file:line. */
#ifndef IMPACTD_TEST_GOLDEN_H
#define IMPACTD_TEST_GOLDEN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The output topics a scenario states expectations for. */
typedef enum {
        GOLDEN_SCORED = 0,
        GOLDEN_ESCALATIONS,
        GOLDEN_NOTIFICATIONS,
        GOLDEN_OUTPUTS
} golden_output_t;

typedef struct golden_expect {
        int line;
        golden_output_t output;
        json_t *fields; /* the object to match, `_at` fields resolved */
} golden_expect_t;

/* One `at` (event != NULL) or `clock` step and the expectations written
 * after it: what that step must produce. */
typedef struct golden_step {
        int line;
        int64_t offset_ms; /* from T0 */
        const char *input; /* "alerts", "tickets", "sentiment"; NULL: clock */
        json_t *event;     /* occurred_at filled in */
        golden_expect_t *expects;
        size_t expects_cnt;
} golden_step_t;

typedef struct golden_scenario {
        char *path;
        char *name;   /* file name without directory and .scn */
        char *config; /* `config` lines, one YAML document to append */
        golden_step_t *steps;
        size_t steps_cnt;
} golden_scenario_t;

/* Parses `path`, with T0 as the scenario's time origin.  NULL on error,
 * with "file:line: reason" in errstr. */
golden_scenario_t *golden_load(const char *path, int64_t t0, char *errstr,
                               size_t errstr_size);
void golden_free(golden_scenario_t *scn);

/* "2m30s" -> 150000.  Groups of digits and a unit (h, m, s, ms), largest
 * unit first, each at most once.  -1 if `s` is not such an offset. */
int64_t golden_parse_offset(const char *s);

const char *golden_output_name(golden_output_t o);  /* "scored", ... */
const char *golden_output_topic(golden_output_t o); /* "impact.scored", ... */

#endif
