/* The three input kinds of the event contract: reset, string arena,
 * contract validation and enum names.  Encoding-independent: the codecs
 * fill an event_t, this file decides whether it is a valid one. */
#include "event.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Timestamps below this many milliseconds (1973-03-03) are almost surely
 * epoch seconds sent by mistake; above the upper bound (year 5138) they are
 * almost surely microseconds.  Both would silently skew durations and ticket
 * trends, so they are rejected instead. */
#define OCCURRED_AT_MIN_MS INT64_C(100000000000)
#define OCCURRED_AT_MAX_MS INT64_C(100000000000000)
#define AFFECTED_USERS_MAX INT64_C(10000000000) /* 10 billion */

struct event_block {
        event_block_t *next;
        char data[];
};

static void free_blocks(event_t *ev) {
        while (ev->blocks) {
                event_block_t *next = ev->blocks->next;
                free(ev->blocks);
                ev->blocks = next;
        }
}

void event_reset(event_t *ev, event_kind_t kind) {
        /* Clear everything but the arena: its bytes are overwritten as they
         * are used, and the spill block is kept for the next large event. */
        free_blocks(ev);
        memset(ev, 0, offsetof(event_t, spill));
        ev->kind = kind;
        if (kind == EVENT_ALERT)
                ev->u.alert.disruption = DISRUPTION_DEGRADED;
}

const char *event_strdup(event_t *ev, const char *s, size_t len) {
        char *dst;

        if (memchr(s, '\0', len) != NULL)
                return NULL;
        if (len < sizeof(ev->arena) - ev->arena_used) {
                dst = ev->arena + ev->arena_used;
                ev->arena_used += len + 1;
        } else if (len < EVENT_SPILL_SIZE - ev->spill_used) {
                /* Never reallocated: earlier strings point into it. */
                if (!ev->spill && !(ev->spill = malloc(EVENT_SPILL_SIZE)))
                        return NULL;
                dst = ev->spill + ev->spill_used;
                ev->spill_used += len + 1;
        } else {
                event_block_t *b = malloc(sizeof(*b) + len + 1);
                if (!b)
                        return NULL;
                b->next = ev->blocks;
                ev->blocks = b;
                dst = b->data;
        }
        memcpy(dst, s, len);
        dst[len] = '\0';
        return dst;
}

void event_free_spill(event_t *ev) {
        free_blocks(ev);
        free(ev->spill);
        ev->spill = NULL;
}

/* A required string must be present and non-empty. */
static impactd_err_t require_string(const char *value, const char *name,
                                    char *errstr, size_t errstr_size) {
        if (value == NULL) {
                snprintf(errstr, errstr_size, "missing required field '%s'",
                         name);
                return IMPACTD_ERR_INVALID;
        }
        if (value[0] == '\0') {
                snprintf(errstr, errstr_size, "field '%s': must not be empty",
                         name);
                return IMPACTD_ERR_INVALID;
        }
        return IMPACTD_OK;
}

static impactd_err_t require_bit(const event_t *ev, uint32_t bit,
                                 const char *name, char *errstr,
                                 size_t errstr_size) {
        if (ev->has & bit)
                return IMPACTD_OK;
        snprintf(errstr, errstr_size, "missing required field '%s'", name);
        return IMPACTD_ERR_INVALID;
}

/* NaN fails every comparison, so `!(v >= lo && v <= hi)` also rejects it. */
static impactd_err_t check_range(const event_t *ev, uint32_t bit, double v,
                                 double lo, double hi, const char *name,
                                 char *errstr, size_t errstr_size) {
        if (bit != 0 && !(ev->has & bit))
                return IMPACTD_OK;
        if (v >= lo && v <= hi && isfinite(v))
                return IMPACTD_OK;
        if (isinf(hi))
                snprintf(errstr, errstr_size,
                         "field '%s': %g is out of range (must be >= %g)", name,
                         v, lo);
        else
                snprintf(errstr, errstr_size,
                         "field '%s': %g is out of range [%g, %g]", name, v, lo,
                         hi);
        return IMPACTD_ERR_INVALID;
}

static impactd_err_t validate_occurred_at(const event_t *ev, char *errstr,
                                          size_t errstr_size) {
        int64_t t = ev->occurred_at;

        if (!(ev->has & HAS_OCCURRED_AT)) {
                snprintf(errstr, errstr_size,
                         "missing required field 'occurred_at'");
                return IMPACTD_ERR_INVALID;
        }
        if (t <= 0) {
                snprintf(errstr, errstr_size,
                         "field 'occurred_at': %" PRId64
                         " is not a positive epoch-milliseconds timestamp",
                         t);
                return IMPACTD_ERR_INVALID;
        }
        if (t < OCCURRED_AT_MIN_MS) {
                snprintf(errstr, errstr_size,
                         "field 'occurred_at': %" PRId64
                         " looks like seconds, expected epoch milliseconds",
                         t);
                return IMPACTD_ERR_INVALID;
        }
        if (t >= OCCURRED_AT_MAX_MS) {
                snprintf(errstr, errstr_size,
                         "field 'occurred_at': %" PRId64
                         " looks like microseconds, expected epoch "
                         "milliseconds",
                         t);
                return IMPACTD_ERR_INVALID;
        }
        return IMPACTD_OK;
}

static impactd_err_t validate_alert(const event_t *ev, char *errstr,
                                    size_t errstr_size) {
        const event_alert_t *a = &ev->u.alert;
        impactd_err_t err;

        if ((err = require_string(ev->service, "service", errstr,
                                  errstr_size)) ||
            (err = require_bit(ev, HAS_STATUS, "status", errstr, errstr_size)))
                return err;
        if ((unsigned)a->status > ALERT_RESOLVED ||
            (unsigned)a->disruption >= DISRUPTION_COUNT) {
                snprintf(errstr, errstr_size, "field '%s': invalid value",
                         (unsigned)a->status > ALERT_RESOLVED ? "status"
                                                              : "disruption");
                return IMPACTD_ERR_INVALID;
        }
        if ((ev->has & HAS_DECLARED_SEVERITY) &&
            (a->declared_severity < 1 || a->declared_severity > 5)) {
                snprintf(errstr, errstr_size,
                         "field 'declared_severity': %d is out of range "
                         "[1, 5]",
                         a->declared_severity);
                return IMPACTD_ERR_INVALID;
        }
        if ((ev->has & HAS_AFFECTED_USERS) && a->affected_users < 0) {
                snprintf(errstr, errstr_size,
                         "field 'affected_users': %" PRId64
                         " is out of range (must be >= 0)",
                         a->affected_users);
                return IMPACTD_ERR_INVALID;
        }
        /* More people than live on Earth is a unit or encoding mistake,
         * and would swamp the incident's user dimension for good. */
        if ((ev->has & HAS_AFFECTED_USERS) &&
            a->affected_users > AFFECTED_USERS_MAX) {
                snprintf(errstr, errstr_size,
                         "field 'affected_users': %" PRId64
                         " is absurd (more than %lld)",
                         a->affected_users, (long long)AFFECTED_USERS_MAX);
                return IMPACTD_ERR_INVALID;
        }
        if ((err = check_range(ev, HAS_SLO_BURN_RATE, a->slo_burn_rate, 0,
                               INFINITY, "slo_burn_rate", errstr, errstr_size)))
                return err;
        return check_range(ev, HAS_REVENUE_LOSS, a->revenue_loss_per_hour, 0,
                           INFINITY, "revenue_loss_per_hour", errstr,
                           errstr_size);
}

static impactd_err_t validate_ticket(const event_t *ev, char *errstr,
                                     size_t errstr_size) {
        const event_ticket_t *t = &ev->u.ticket;
        impactd_err_t err;

        if ((err = require_string(t->ticket_id, "ticket_id", errstr,
                                  errstr_size)) ||
            (err = require_string(t->account_id, "account_id", errstr,
                                  errstr_size)) ||
            (err = require_bit(ev, HAS_STATUS, "status", errstr, errstr_size)))
                return err;
        if ((unsigned)t->status > TICKET_SOLVED) {
                snprintf(errstr, errstr_size, "field 'status': invalid value");
                return IMPACTD_ERR_INVALID;
        }
        if ((unsigned)t->customer_tier >= TIER_COUNT ||
            ((ev->has & HAS_CUSTOMER_TIER) && t->customer_tier == TIER_NONE)) {
                snprintf(errstr, errstr_size,
                         "field 'customer_tier': invalid value");
                return IMPACTD_ERR_INVALID;
        }
        return check_range(ev, HAS_ARR, t->arr, 0, INFINITY, "arr", errstr,
                           errstr_size);
}

static impactd_err_t validate_sentiment(const event_t *ev, char *errstr,
                                        size_t errstr_size) {
        const event_sentiment_t *s = &ev->u.sentiment;
        impactd_err_t err;

        if ((err = require_string(s->account_id, "account_id", errstr,
                                  errstr_size)) ||
            (err = require_bit(ev, HAS_SCORE, "score", errstr, errstr_size)) ||
            (err = check_range(ev, 0, s->score, -1, 1, "score", errstr,
                               errstr_size)))
                return err;
        return check_range(ev, HAS_URGENCY, s->urgency, 0, 1, "urgency", errstr,
                           errstr_size);
}

impactd_err_t event_validate(const event_t *ev, char *errstr,
                             size_t errstr_size) {
        impactd_err_t err;

        /* Fields in the order of the contract's tables, so the first
         * missing one named is the one a reader of DESIGN.md expects. */
        if ((err = require_string(ev->event_id, "event_id", errstr,
                                  errstr_size)))
                return err;
        switch (ev->kind) {
        case EVENT_ALERT: err = validate_alert(ev, errstr, errstr_size); break;
        case EVENT_TICKET:
                err = validate_ticket(ev, errstr, errstr_size);
                break;
        case EVENT_SENTIMENT:
                err = validate_sentiment(ev, errstr, errstr_size);
                break;
        default:
                snprintf(errstr, errstr_size, "unknown event kind %d",
                         (int)ev->kind);
                return IMPACTD_ERR_INVALID;
        }
        if (err)
                return err;
        return validate_occurred_at(ev, errstr, errstr_size);
}

/* Name tables indexed by the enum value; parsing is a linear scan of a
 * handful of entries, cheaper than any hashing. */
static const char *const kind_names[EVENT_KIND_COUNT] = {"alert", "ticket",
                                                         "sentiment"};
static const char *const alert_status_names[] = {"FIRING", "RESOLVED"};
static const char *const disruption_names[DISRUPTION_COUNT] = {
        "LATENCY", "DEGRADED", "OUTAGE"};
static const char *const tier_names[TIER_COUNT] = {NULL, "FREE", "PRO",
                                                   "BUSINESS", "ENTERPRISE"};
static const char *const ticket_status_names[] = {"OPEN", "REOPENED", "SOLVED"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t cnt, unsigned v) {
        return v < cnt ? names[v] : NULL;
}

static int parse_name(const char *const *names, size_t cnt, const char *s,
                      int *out) {
        for (size_t i = 0; s != NULL && i < cnt; i++) {
                if (names[i] != NULL && strcmp(names[i], s) == 0) {
                        *out = (int)i;
                        return 0;
                }
        }
        return -1;
}

const char *event_kind_name(event_kind_t kind) {
        return name_of(kind_names, COUNT_OF(kind_names), (unsigned)kind);
}

int event_kind_from_name(const char *name, event_kind_t *out) {
        int v;

        if (parse_name(kind_names, COUNT_OF(kind_names), name, &v))
                return -1;
        *out = (event_kind_t)v;
        return 0;
}

const char *alert_status_name(alert_status_t s) {
        return name_of(alert_status_names, COUNT_OF(alert_status_names),
                       (unsigned)s);
}

int alert_status_parse(const char *s, alert_status_t *out) {
        int v;

        if (parse_name(alert_status_names, COUNT_OF(alert_status_names), s, &v))
                return -1;
        *out = (alert_status_t)v;
        return 0;
}

const char *disruption_name(disruption_t d) {
        return name_of(disruption_names, COUNT_OF(disruption_names),
                       (unsigned)d);
}

int disruption_parse(const char *s, disruption_t *out) {
        int v;

        if (parse_name(disruption_names, COUNT_OF(disruption_names), s, &v))
                return -1;
        *out = (disruption_t)v;
        return 0;
}

const char *customer_tier_name(customer_tier_t t) {
        return name_of(tier_names, COUNT_OF(tier_names), (unsigned)t);
}

int customer_tier_parse(const char *s, customer_tier_t *out) {
        int v;

        if (parse_name(tier_names, COUNT_OF(tier_names), s, &v))
                return -1;
        *out = (customer_tier_t)v;
        return 0;
}

const char *ticket_status_name(ticket_status_t s) {
        return name_of(ticket_status_names, COUNT_OF(ticket_status_names),
                       (unsigned)s);
}

int ticket_status_parse(const char *s, ticket_status_t *out) {
        int v;

        if (parse_name(ticket_status_names, COUNT_OF(ticket_status_names), s,
                       &v))
                return -1;
        *out = (ticket_status_t)v;
        return 0;
}
