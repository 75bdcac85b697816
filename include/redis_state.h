/* Redis layout and the calls of the impactd function library
 * (src/lua/impactd.lua, embedded at build time).
 *
 * All work is pipelined: the worker appends the calls of a whole round with
 * redis_state_append_*() and then reads the replies in the same order with
 * redis_state_read_*().  Nothing here blocks on one round trip per event. */
#ifndef IMPACTD_REDIS_STATE_H
#define IMPACTD_REDIS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "incident.h"
#include "output.h"
#include "strpool.h"

typedef struct redis_state redis_state_t;

/* Where an event without an incident key is looked up or held. */
typedef enum { SCOPE_SERVICE = 0, SCOPE_TICKET } route_scope_t;


/* An FCALL argument list under construction; reuse across calls. */
typedef struct redis_args {
        const char **argv;
        size_t *argvlen;
        size_t argc, cap;
        char *scratch; /* numbers formatted here; valid until the next reset */
        size_t scratch_used, scratch_cap;
        bool failed; /* an add ran out of memory since the last reset */
} redis_args_t;

void redis_args_reset(redis_args_t *a);
void redis_args_free(redis_args_t *a);
/* Both return -1 on allocation failure. */
int redis_args_add(redis_args_t *a, const char *s, size_t len); /* borrows s */
/* A copy of `len` bytes, any bytes (records are binary). */
int redis_args_add_copy(redis_args_t *a, const void *s, size_t len);
int redis_args_addf(redis_args_t *a, const char *fmt, ...)
        __attribute__((format(printf, 2, 3))); /* copies, any length */
/* Adds the key <prefix>:<kind>{<id>}<suffix>, `id` encoded as
 * include/ident.h says, so that any id gives a key of its own whose hash
 * tag is the whole id: every key of one id shares one cluster slot. */
int redis_args_add_key(redis_args_t *a, const char *prefix, const char *kind,
                       const char *id, const char *suffix);

/* Connects (URL, password, database, timeouts from conf->redis) and loads
 * the function library (FUNCTION LOAD REPLACE: every (re)connect, so a
 * flushed or failed-over Redis is repaired).  NULL + errstr on failure. */
redis_state_t *redis_state_new(const config_t *conf, char *errstr,
                               size_t errstr_size);
void redis_state_destroy(redis_state_t *rs);

/* redis.key_prefix, the first part of every key. */
const char *redis_state_key_prefix(const redis_state_t *rs);

/* Drops the connection and connects again; same errors as _new. */
impactd_err_t redis_state_reconnect(redis_state_t *rs, char *errstr,
                                    size_t errstr_size);

/* Calls appended but not yet read. */
size_t redis_state_pending(const redis_state_t *rs);

/* route: open incident of a service/ticket; with a non-empty `candidate`,
 * creates it when one of `alerts` ("F:<event id>" firing, "R:<event id>"
 * resolved) is a firing alert not seen before.  Reply:
 * redis_state_read_route(), with the incident each alert went to before,
 * and at most `held_limit` (>= 1) of the events held for it. */
void redis_state_append_route(redis_state_t *rs, route_scope_t scope,
                              const char *name, const char *candidate,
                              int64_t now, const redis_args_t *alerts,
                              size_t held_limit);
/* hold: keep `n` raw events for a service/ticket with no incident yet.
 * Reply: redis_state_read_hold(). */
void redis_state_append_hold(redis_state_t *rs, route_scope_t scope,
                             const char *name, int64_t now,
                             const char *const *events, const size_t *lens,
                             size_t n);
/* unhold: drop held events once applied.  Reply: redis_state_read_status(). */
void redis_state_append_unhold(redis_state_t *rs, route_scope_t scope,
                               const char *name, const char *const *events,
                               const size_t *lens, size_t n);
/* bind: ticket -> incident; reply like route (held sentiment). */
void redis_state_append_bind(redis_state_t *rs, const char *ticket_id,
                             const char *incident_id, size_t held_limit);
/* map: point a service at an incident (MAP_NX: unless it has one of its
 * own; reply like route, with up to `held_limit` of the service's held
 * events; the other modes ignore it), or, if it still
 * points at `incident_id`, keep it `secs` more (MAP_KEEP: open again) or
 * let a firing alert reopen it until `until` on the incident clock
 * (MAP_EXPIRE: resolved; secs = 0 forgets it now).  `now` is the incident
 * clock.  Reply for KEEP/EXPIRE: redis_state_read_status().  Times in the
 * routing functions are on the incident clock, so the reopen window is
 * the same in a test that moves the clock as in production. */
typedef enum { MAP_NX = 0, MAP_KEEP, MAP_EXPIRE } map_mode_t;
void redis_state_append_map(redis_state_t *rs, const char *service,
                            const char *incident_id, map_mode_t mode,
                            int64_t secs, int64_t now, int64_t until,
                            size_t held_limit);
/* impact: add services to the incident's stored blast radius. */
void redis_state_append_impact(redis_state_t *rs, const char *incident_id,
                               const char *const *services, size_t n);
/* schedule: re-score the incident at `at` (epoch ms; 0 = never). */
void redis_state_append_schedule(redis_state_t *rs, const char *incident_id,
                                 int64_t at);
/* due: claim up to `limit` incidents whose deadline has passed at `now`,
 * leased for lifecycle.deadline_lease_ms.  Reply: redis_state_read_due(). */
void redis_state_append_due(redis_state_t *rs, int64_t now, int limit);
/* done: the outputs of `revision` are acknowledged by Kafka and its
 * follow-ups stored; an apply of replayed events asks for both again
 * until then (redo). */
void redis_state_append_done(redis_state_t *rs, const char *incident_id,
                             int64_t revision);
/* account: the account hash kept by another system. */
void redis_state_append_account(redis_state_t *rs, const char *account_id);
/* apply: `events` holds the packed events (see impactd.lua); the header
 * arguments are added here.  `now` is the incident clock; `tick` a claimed
 * deadline being re-scored (0 = none); `cluster` the Kafka cluster of the
 * offsets among the events ("" when they carry none).  Reply:
 * redis_state_read_apply(). */
void redis_state_append_apply(redis_state_t *rs, const char *incident_id,
                              int64_t now, int64_t tick, const char *cluster,
                              const redis_args_t *events);
/* decide: store the policy and notify states decided on `revision` from
 * version `expected_v`, and the ids of the outputs they produce, unless
 * another worker stored others since, or decided this or a later revision
 * already.  `paged`: a page is among the outputs (sets triaged_at to `at`
 * if unset).  Reply: redis_state_read_decide(). */
typedef struct redis_output {
        const char *id;
        char topic;        /* 'e' escalations, 'n' notifications, 0 muted */
        const void *bytes; /* encoded, as produced */
        size_t len;
} redis_output_t;
void redis_state_append_decide(redis_state_t *rs, const char *incident_id,
                               int64_t expected_v, int64_t revision,
                               const char *policy_state,
                               const char *notify_state, int64_t at,
                               bool paged, const redis_output_t *outs,
                               size_t n);

/* The outbox: what decide stored for Kafka, per incident, until it is
 * acknowledged.  <key_prefix>:outbox indexes the incidents that may have
 * some, by when they count as orphaned (no worker left to produce them).
 *   mark:  (re)sets incident's orphan time to `at` (0 = unindex it);
 *          appended before decide, so an outbox is never unindexed;
 *   due:   claims up to `limit` incidents orphaned at `now`, leased like
 *          deadlines; reply: redis_state_read_due();
 *   read:  HGETALL of incident's outbox; reply: redis_state_read_outbox();
 *   clear: HDEL of one acknowledged output; reply: read_integer(). */
void redis_state_append_outbox_mark(redis_state_t *rs, const char *incident_id,
                                    int64_t at);
void redis_state_append_outbox_due(redis_state_t *rs, int64_t now, int limit);
void redis_state_append_outbox_read(redis_state_t *rs, const char *incident_id);
void redis_state_append_outbox_clear(redis_state_t *rs, const char *incident_id,
                                     const char *id);

/* Silences set at run time (`impactd silence`): the hash
 * <key_prefix>:silences, silence id -> silence_format() line. */
void redis_state_append_silences(redis_state_t *rs);  /* HGETALL */
void redis_state_append_silence_set(redis_state_t *rs, const char *id,
                                    const char *line); /* HSET */
void redis_state_append_silence_del(redis_state_t *rs,
                                    const char *id); /* HDEL */

/* Any function of this build's library, `keys` then `args` (the owned
 * pipeline's calls: persist.c, route_store.c).  `global`: a refusal
 * pauses the stream as an outage does (a call that writes a whole
 * partition, no one message's); else it is the message's, for the DLQ.
 * Reply: redis_state_read_raw(). */
void redis_state_append_fcall(redis_state_t *rs, const char *function,
                              const redis_args_t *keys,
                              const redis_args_t *args, bool global);

/* Reply readers, in append order.  IMPACTD_ERR_REDIS when the connection
 * failed or Redis answered with an error of its own state (an outage:
 * reconnect and redo the round); IMPACTD_ERR_REDIS_REPLY when it answered
 * an error to the call itself, or a reply the call never gives (the call's
 * arguments: no retry helps, the messages behind it go to the DLQ). */
bool redis_error_is_outage(const char *msg);
/* The reply as hiredis parsed it (a const redisReply *), valid until the
 * next read. */
impactd_err_t redis_state_read_raw(redis_state_t *rs, const void **reply,
                                   char *errstr, size_t errstr_size);

/* Held events (raw bytes) are returned in `held` as views valid until the
 * next read. */
typedef struct redis_route_reply {
        const char *incident_id; /* NULL = none; a view, as `held` */
        /* Per alert of the call: the incident it was applied to before
         * (a replay), or "" for an alert seen for the first time. */
        const char **alert_incidents;
        size_t *alert_incident_lens;
        size_t alerts_cnt;
        const char **held;
        size_t *held_lens;
        size_t held_cnt;
        /* Events still held after these, left for a later call: the held
         * limit of the call was reached. */
        size_t held_more;
} redis_route_reply_t;
impactd_err_t redis_state_read_route(redis_state_t *rs,
                                     redis_route_reply_t *out, char *errstr,
                                     size_t errstr_size);
/* For hold: *incident_id NULL = held; else the incident that exists
 * now, a view valid until the next read. */
impactd_err_t redis_state_read_hold(redis_state_t *rs,
                                    const char **incident_id, char *errstr,
                                    size_t errstr_size);
impactd_err_t redis_state_read_status(redis_state_t *rs, char *errstr,
                                      size_t errstr_size);
/* Fills `inc` (cleared first). */
impactd_err_t redis_state_read_apply(redis_state_t *rs, incident_t *inc,
                                     char *errstr, size_t errstr_size);

/* For decide: stored; superseded (a replay, or a later revision was
 * decided first: drop the decisions); else the states and version to
 * decide again from (views valid until the next read). */
typedef struct redis_decide_reply {
        bool stored, superseded;
        const char *policy_state, *notify_state;
        int64_t version;
} redis_decide_reply_t;
impactd_err_t redis_state_read_decide(redis_state_t *rs,
                                      redis_decide_reply_t *out, char *errstr,
                                      size_t errstr_size);

/* For silences: the lines that parse, appended to (*arr)[base..] (grown
 * as needed; the caller frees *arr), *cnt = base + how many.  Lines that
 * do not parse are counted in *invalid and skipped: another tool may
 * write the hash. */
impactd_err_t redis_state_read_silences(redis_state_t *rs, silence_t **arr,
                                        size_t base, size_t *cnt, size_t *cap,
                                        size_t *invalid, char *errstr,
                                        size_t errstr_size);
/* For outbox read: the outputs left, as views valid until the next read;
 * value[0] is the topic char, the rest the encoded bytes.  *entries grows
 * as needed (the caller frees it). */
typedef struct redis_outbox_entry {
        const char *id, *value;
        size_t id_len, value_len;
} redis_outbox_entry_t;
impactd_err_t redis_state_read_outbox(redis_state_t *rs,
                                      redis_outbox_entry_t **entries,
                                      size_t *cap, size_t *n, char *errstr,
                                      size_t errstr_size);
/* An integer reply (HSET, HDEL: fields added or removed). */
impactd_err_t redis_state_read_integer(redis_state_t *rs, long long *out,
                                       char *errstr, size_t errstr_size);

/* A claimed deadline. */
typedef struct redis_due {
        const char *incident_id; /* in the caller's pool */
        int64_t deadline;
} redis_due_t;
/* Fills up to `max` entries, their ids copied into `ids`; *n is how
 * many. */
impactd_err_t redis_state_read_due(redis_state_t *rs, strpool_t *ids,
                                   redis_due_t *out, size_t max, size_t *n,
                                   char *errstr, size_t errstr_size);

/* An account from its Redis hash; found = false when there is none. */
typedef struct redis_account {
        bool found;
        customer_tier_t tier; /* TIER_NONE when not given */
        customer_tier_t sla;  /* whose SLA targets apply; TIER_NONE = its tier's */
        double arr;           /* < 0 when not given */
        int strategic;        /* -1 when not given */
} redis_account_t;
impactd_err_t redis_state_read_account(redis_state_t *rs, redis_account_t *out,
                                       char *errstr, size_t errstr_size);

/* ---- the state marker <key_prefix>:state (src/lua/impactd.lua) ----
 *
 * Lost state (a Redis restarted empty, flushed, or failed over to a
 * replica behind its primary) is told by the offsets: every batch raises
 * its partitions' marks once its writes are done (mark), before Kafka
 * commits them, so a mark below the committed offset means writes were
 * lost.  A worker checks the partitions of each batch before applying it
 * (check); a loss starts a new generation, and every incident touched in
 * it continues its revisions from generation * REDIS_GENERATION_REVISIONS,
 * above any revision published before. */
#define REDIS_GENERATION_REVISIONS INT64_C(1000000)

/* The generation applies are made in; set from the check's reply. */
int64_t redis_state_generation(const redis_state_t *rs);
void redis_state_set_generation(redis_state_t *rs, int64_t generation);
/* check: `offsets` = pairs of partition label ("a3": alerts partition 3)
 * and committed offset; `others` = "" (unknown), "1" (other keys of ours
 * exist) or "0".  Reply: redis_state_read_state_check(). */
void redis_state_append_state_check(redis_state_t *rs, const char *cluster,
                                    int64_t now_s, const char *others,
                                    const redis_args_t *offsets);
typedef enum {
        STATE_OK = 0,
        STATE_LOST,
        STATE_ASK, /* no marker: ask again saying whether keys exist */
        STATE_CREATED, /* the marker made, from the committed offsets */
} state_status_t;
typedef struct redis_state_check {
        state_status_t status;
        int64_t generation;
        const char *why; /* STATE_LOST: a view valid until the next read */
} redis_state_check_t;
impactd_err_t redis_state_read_state_check(redis_state_t *rs,
                                           redis_state_check_t *out,
                                           char *errstr, size_t errstr_size);
/* mark: pairs of partition label and the offset after a batch's last
 * message.  Reply: redis_state_read_integer(). */
void redis_state_append_state_mark(redis_state_t *rs, const char *cluster,
                                   const redis_args_t *offsets);
/* Starts a new generation (FCALL, synchronous: nothing may be pending),
 * for `impactd rewind`: offset fences are of one generation, so the replay
 * gets past them, its events deduplicated by their ids alone. */
impactd_err_t redis_state_bump_generation(redis_state_t *rs, int64_t now_s,
                                          int64_t *generation, char *errstr,
                                          size_t errstr_size);
/* Whether any incident key <key_prefix>:{...} exists (SCAN; nothing
 * may be pending). */
impactd_err_t redis_state_has_incidents(redis_state_t *rs, bool *found,
                                   char *errstr, size_t errstr_size);

/* Drains replies still pending after an error, so the connection can be
 * reused or dropped cleanly. */
void redis_state_discard(redis_state_t *rs);

#endif
