/* The three input kinds of the event contract (DESIGN.md) as C types.
 *
 * An event owns a string arena: decoders copy each string field into it and
 * point the field at the copy, so an event can be reused for the next message
 * with event_reset().  The first EVENT_ARENA_INLINE bytes live in the event,
 * which realistic events fit in, so decoding them allocates nothing.  Larger
 * ones spill into a heap block of EVENT_SPILL_SIZE, allocated once and kept
 * across resets, until event_free_spill(); what does not fit there either
 * (identifiers at a raised limits.max_string_bytes) goes in blocks of its
 * own, freed at the next reset.  No size of its own bounds an event: the
 * message it came from does (limits.max_message_bytes).  Thousands of
 * events can be in memory at once (a poll batch, and the events a hold
 * releases), so an event is about 1 KiB. */
#ifndef IMPACTD_EVENT_H
#define IMPACTD_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impactd.h"

#define EVENT_SPILL_SIZE 8192  /* the heap block kept across resets */
#define EVENT_ARENA_INLINE 512 /* string bytes held in the event itself */

typedef struct event_block event_block_t;

typedef enum {
        EVENT_ALERT = 0,
        EVENT_TICKET,
        EVENT_SENTIMENT,
        EVENT_KIND_COUNT,
} event_kind_t;

typedef enum { ALERT_FIRING = 0, ALERT_RESOLVED } alert_status_t;

/* Ordered from least to most disruptive: the incident keeps the maximum. */
typedef enum {
        DISRUPTION_LATENCY = 0,
        DISRUPTION_DEGRADED,
        DISRUPTION_OUTAGE,
        DISRUPTION_COUNT,
} disruption_t;

/* Ordered by value: TIER_NONE means "not known" (neither event nor catalog). */
typedef enum {
        TIER_NONE = 0,
        TIER_FREE,
        TIER_PRO,
        TIER_BUSINESS,
        TIER_ENTERPRISE,
        TIER_COUNT,
} customer_tier_t;

typedef enum { TICKET_OPEN = 0, TICKET_REOPENED, TICKET_SOLVED } ticket_status_t;

/* Presence bits (event.has) of the non-string fields, which have no NULL to
 * say "absent".  Strings are NULL when absent.  HAS_STATUS, HAS_SCORE and
 * HAS_OCCURRED_AT mark required fields, so event_validate() can tell a
 * missing one from a zero value (FIRING, 0.0). */
#define HAS_DISRUPTION (1u << 0)
#define HAS_DECLARED_SEVERITY (1u << 1)
#define HAS_AFFECTED_USERS (1u << 2)
#define HAS_SLO_BURN_RATE (1u << 3)
#define HAS_REVENUE_LOSS (1u << 4)
#define HAS_CUSTOMER_TIER (1u << 5)
#define HAS_ARR (1u << 6)
#define HAS_STRATEGIC (1u << 7)
#define HAS_PERSONAL_DATA (1u << 8)
#define HAS_URGENCY (1u << 9)
#define HAS_STATUS (1u << 10)
#define HAS_SCORE (1u << 11)
#define HAS_OCCURRED_AT (1u << 12)

typedef struct event_alert {
        alert_status_t status;
        disruption_t disruption; /* DISRUPTION_DEGRADED when absent */
        int declared_severity;   /* 1..5 */
        int64_t affected_users;
        double slo_burn_rate;
        double revenue_loss_per_hour;
} event_alert_t;

typedef struct event_ticket {
        const char *ticket_id;
        const char *account_id;
        customer_tier_t customer_tier;
        double arr;
        bool strategic;
        const char *product_version;
        const char *platform;
        const char *feature;
        ticket_status_t status;
        bool personal_data_at_risk;
} event_ticket_t;

typedef struct event_sentiment {
        const char *account_id;
        const char *ticket_id;
        double score;   /* [-1, 1] */
        double urgency; /* [0, 1] */
        const char *channel;
} event_sentiment_t;

typedef struct event {
        event_kind_t kind;
        uint32_t has; /* HAS_* bits */
        /* Fields common to several kinds; NULL when absent. */
        const char *event_id;
        const char *incident_key;
        const char *service;
        const char *region;
        int64_t occurred_at; /* epoch ms */
        union {
                event_alert_t alert;
                event_ticket_t ticket;
                event_sentiment_t sentiment;
        } u;
        /* Arena for string fields; see event_strdup(). */
        size_t arena_used, spill_used;
        /* Not cleared by event_reset(): */
        char *spill; /* EVENT_SPILL_SIZE bytes, or NULL until needed */
        event_block_t *blocks; /* beyond spill, freed by the next reset */
        char arena[EVENT_ARENA_INLINE];
} event_t;

/* Clears every field; keeps the inline arena and the spill block. */
void event_reset(event_t *ev, event_kind_t kind);

/* Frees the heap part of the arena, if any: call it before an event's
 * storage goes away.  The event can still be reset and used again. */
void event_free_spill(event_t *ev);

/* Copies `len` bytes of `s` into the event's arena, NUL-terminated.
 * Returns NULL when out of memory (the caller reports the event as too
 * large) or when `s` holds a NUL byte (not a valid contract string). */
const char *event_strdup(event_t *ev, const char *s, size_t len);

/* Checks the contract rules that do not depend on the encoding: required
 * fields present, enums and ranges valid, timestamps plausible.
 * Returns IMPACTD_OK or IMPACTD_ERR_INVALID with a reason such as
 * "missing required field 'service'" in errstr. */
impactd_err_t event_validate(const event_t *ev, char *errstr,
                             size_t errstr_size);

const char *event_kind_name(event_kind_t kind); /* "alert", ... */
int event_kind_from_name(const char *name, event_kind_t *out);

/* Enum <-> contract string ("FIRING", "OUTAGE", "ENTERPRISE", "SOLVED").
 * The *_parse functions return 0 on success, -1 for an unknown name. */
const char *alert_status_name(alert_status_t s);
int alert_status_parse(const char *s, alert_status_t *out);
const char *disruption_name(disruption_t d);
int disruption_parse(const char *s, disruption_t *out);
const char *customer_tier_name(customer_tier_t t); /* TIER_NONE -> NULL */
int customer_tier_parse(const char *s, customer_tier_t *out);
const char *ticket_status_name(ticket_status_t s);
int ticket_status_parse(const char *s, ticket_status_t *out);

#endif
