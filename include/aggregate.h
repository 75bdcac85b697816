/* One incident's aggregates, held in memory by the worker that owns it
 * (docs/architecture.md, "Owned incidents").  Pure: no I/O.
 *
 * Each event changes the aggregates in O(1) (counters, sums, small maps);
 * the facts assessing and deciding read (incident.h) are derived from them
 * without rescanning history.  The rules are those of today's Redis
 * functions (src/lua/impactd.lua: apply, settle, summarize), kept once, in
 * C.
 *
 * A change is one batch of the incident's events: aggregate_begin(), the
 * events, aggregate_end().  A change that applied anything, or a deadline
 * re-score, makes a new revision. */
#ifndef IMPACTD_AGGREGATE_H
#define IMPACTD_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "incident.h"
#include "record.h"

typedef struct aggregate aggregate_t;

/* What an account's ticket says about it once the catalogs are consulted:
 * event fields win over the Redis account hash, which wins over the YAML. */
typedef struct account_facts {
        customer_tier_t tier; /* TIER_NONE = unknown */
        customer_tier_t sla;  /* the contract's tier; TIER_NONE: its tier's */
        double arr;           /* < 0 = unknown */
        int strategic;        /* -1 = unknown, 0, 1 */
        /* The account id's data partition ("eu1" of "eu1-acme"); NULL =
         * none.  Not NUL-terminated: `prefix_len` bytes. */
        const char *prefix;
        size_t prefix_len;
} account_facts_t;

/* A new, empty incident `id` (copied).  NULL when out of memory. */
aggregate_t *aggregate_new(const char *id);
void aggregate_destroy(aggregate_t *a);

const char *aggregate_id(const aggregate_t *a);
int64_t aggregate_revision(const aggregate_t *a);
bool aggregate_open(const aggregate_t *a);
/* Bytes of memory the incident holds, for the owner's bound. */
size_t aggregate_bytes(const aggregate_t *a);

/* Starts a change. */
void aggregate_begin(aggregate_t *a);

/* Results of applying one event. */
enum {
        AGG_APPLIED = 0,
        AGG_DUPLICATE = 1, /* its event id was applied before: nothing */
        /* Out of memory, part of the event maybe applied: destroy the
         * aggregate and load it again from the store of record. */
        AGG_NOMEM = -1,
};
int aggregate_apply_alert(aggregate_t *a, const event_t *ev);
int aggregate_apply_ticket(aggregate_t *a, const event_t *ev,
                           const account_facts_t *acct);
/* `negative`: the score is below scoring.sentiment_negative_below. */
int aggregate_apply_sentiment(aggregate_t *a, const event_t *ev,
                              bool negative);

/* Services now in the blast radius (graph.c decides which); an alert of
 * one that arrives later, and is not the root's, joins as a dependent and
 * does not hold the incident open.  Returns -1 when out of memory. */
int aggregate_impact_add(aggregate_t *a, const char *service);

/* What a change did. */
typedef struct aggregate_change {
        bool changed;      /* a new revision */
        bool resolved_now; /* this change resolved the incident */
        bool reopened;     /* a firing alert reopened a resolved one */
        int64_t dups;      /* events of the change applied before */
} aggregate_change_t;

/* Ends a change at incident clock `now` (at least the last event's time:
 * an incident is as old as its events say).  `tick` > 0 is a deadline
 * being re-scored: an open incident changes once per tick, a later tick
 * only.  Settles the status (resolved once nothing that holds it open has
 * fired for `quiet_ms`; dependents still firing then are handed over) and
 * raises the revision if anything changed. */
void aggregate_end(aggregate_t *a, int64_t now, int64_t tick,
                   int64_t quiet_ms, aggregate_change_t *ch);

/* What the policy and the notifications decided on `revision`: their
 * states (copied) and, when a page was among the outputs, the time it
 * triaged the incident (if nothing had).  A revision at or below the last
 * decided changes nothing and returns 1; 0 when stored, -1 out of
 * memory. */
int aggregate_decided(aggregate_t *a, int64_t revision, const char *policy,
                      const char *notify, bool paged, int64_t at);

/* Kafka acknowledged the outputs of `revision`: a new owner publishes
 * again only what is above it. */
void aggregate_published(aggregate_t *a, int64_t revision);
int64_t aggregate_published_revision(const aggregate_t *a);

/* The facts at `now`: the ticket trend over windows of `trend_min`
 * minutes, sentiment over `sentiment_min`.  Strings are views into the
 * aggregate, valid until its next change; incident_clear() frees the
 * lists.  Returns -1 when out of memory (`out` cleared). */
int aggregate_facts(const aggregate_t *a, int64_t now, int trend_min,
                    int sentiment_min, incident_t *out);

/* Drops the per-minute buckets no window can reach again: windows end at
 * the later of the clock and the last event, so a bucket more than
 * `keep_min` minutes before the last event's is never read.  Keeps a long
 * incident's record the size of its windows. */
void aggregate_prune_minutes(aggregate_t *a, int keep_min);

/* ---- the store of record -----------------------------------------------
 *
 * An incident is stored as its core record (aggregate_encode: everything
 * but the sets that grow with its events) and, per set, one entry per
 * member, written as they change: a storm incident's write stays the size
 * of what the batch added. */
typedef enum aggregate_set {
        AGG_SET_SEEN = 0, /* event ids applied (values empty) */
        AGG_SET_ACCOUNTS,
        AGG_SET_TICKETS,
        AGG_SET_SEGMENTS,
        AGG_SET_COUNT,
} aggregate_set_t;

/* Appends the core record to `out` (check out->failed). */
void aggregate_encode(const aggregate_t *a, record_buf_t *out);

/* Calls `fn` for each entry of set `s` added or changed since the last
 * aggregate_saved() (every entry of a new incident), its value encoded in
 * `scratch`.  Stops at, and returns, the first non-zero `fn` returns; -1
 * when out of memory. */
typedef int (*aggregate_entry_fn)(void *arg, const char *field,
                                  size_t field_len, const char *value,
                                  size_t value_len);
int aggregate_changes(const aggregate_t *a, aggregate_set_t s,
                      record_buf_t *scratch, aggregate_entry_fn fn, void *arg);
/* Everything changed so far is stored. */
void aggregate_saved(aggregate_t *a);

/* Loading: the core record, then every entry of every set in any order,
 * then aggregate_load_done().  NULL/-1 with errstr on a record this
 * version cannot read, entries that do not match it, or out of memory. */
aggregate_t *aggregate_decode(const char *id, const void *core, size_t len,
                              char *errstr, size_t errstr_size);
int aggregate_load_entry(aggregate_t *a, aggregate_set_t s, const char *field,
                         size_t field_len, const char *value, size_t value_len,
                         char *errstr, size_t errstr_size);
int aggregate_load_done(aggregate_t *a, char *errstr, size_t errstr_size);

#endif
