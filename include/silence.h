/* Silences (maintenance windows): a service, optionally narrowed to one
 * label, muted from starts_at until ends_at.  Silences come from the YAML
 * config (`silences:`) and, at run time, from Redis (`impactd silence
 * add|list|remove`), where each is stored as one printable line made by
 * silence_format().  They mute escalations and notifications, never
 * resolves and never the scored stream (docs/escalation-policy.md).
 * Pure: no I/O, no clock; the caller passes the time in. */
#ifndef IMPACTD_SILENCE_H
#define IMPACTD_SILENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impactd.h"

#define SILENCE_ID_MAX      64
#define SILENCE_SERVICE_MAX 128
#define SILENCE_LABEL_MAX   128
#define SILENCE_TEXT_MAX    256
/* silence_format() never writes more than this, NUL included: every field
 * at its longest, each byte percent-encoded. */
#define SILENCE_LINE_MAX 4096

/* Fixed-size fields, so that parsing a line from Redis allocates nothing
 * and a silence can be copied by assignment. */
typedef struct silence {
        char id[SILENCE_ID_MAX];
        /* The service it mutes; "*" = every service (then a label usually
         * narrows it, e.g. region=eu-central). */
        char service[SILENCE_SERVICE_MAX];
        /* Optional: only incidents carrying label_key=label_value; "" = no
         * label condition. */
        char label_key[SILENCE_LABEL_MAX];
        char label_value[SILENCE_LABEL_MAX];
        int64_t starts_at; /* epoch ms, inclusive */
        int64_t ends_at;   /* epoch ms, exclusive: [starts_at, ends_at) */
        char comment[SILENCE_TEXT_MAX];
        char created_by[SILENCE_ID_MAX];
} silence_t;

/* A label of an incident (region, team, ...), as the caller knows it. */
typedef struct silence_label {
        const char *key;
        const char *value;
} silence_label_t;

/* ends_at > starts_at, id and service non-empty, a label with both a key
 * and a value or neither.  IMPACTD_ERR_INVALID with the reason. */
impactd_err_t silence_validate(const silence_t *s, char *errstr,
                               size_t errstr_size);

/* In its window at `now`. */
bool silence_active(const silence_t *s, int64_t now);

/* Active at `now`, for `service` (or "*"), and, when the silence names a
 * label, one of `labels` has that key and value. */
bool silence_matches(const silence_t *s, const char *service,
                     const silence_label_t *labels, size_t labels_cnt,
                     int64_t now);

/* One line for a Redis value, spaces and all bytes outside
 * [A-Za-z0-9_.@-] percent-encoded, fields in a fixed order:
 *   id=mw-1&service=payments-db&label=region%3Deu&starts_at=1795...&
 *   ends_at=1795...&comment=db%20upgrade&created_by=alice
 * (label is omitted when there is none).  Returns the length written, or
 * -1 when `size` is too small (SILENCE_LINE_MAX always suffices). */
int silence_format(const silence_t *s, char *buf, size_t size);

/* The inverse; fields may come in any order, unknown fields are ignored
 * (a newer writer may add some), then the result is validated.
 * IMPACTD_ERR_INVALID with the reason on garbage. */
impactd_err_t silence_parse(const char *line, silence_t *s, char *errstr,
                            size_t errstr_size);

/* "2026-11-22T10:00:00Z" (RFC 3339, UTC only, optional fraction of a
 * second) or epoch milliseconds ("1795346400000").  0 on success, -1 on
 * anything else. */
int silence_time_parse(const char *str, int64_t *ms);

/* RFC 3339 UTC: "2026-11-22T10:00:00Z", with ".123" when ms are not 0. */
const char *silence_time_format(int64_t ms, char *buf, size_t size);

#endif
