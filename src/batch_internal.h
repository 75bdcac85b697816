/* Internals of the batch module, shared by its files:
 *   batch.c        items, load, route, hold, groups and the apply rounds
 *   batch_pack.c   events -> FCALL arguments, with the account catalog
 *   batch_after.c  after an apply: blast radius, score, outputs, binds,
 *                  service mappings, hand-overs and deadlines
 *   batch_decide.c the escalation policy and notifications of a revision,
 *                  stored by compare and set, then produced */
#ifndef IMPACTD_BATCH_INTERNAL_H
#define IMPACTD_BATCH_INTERNAL_H

#include "batch.h"
#include "correlate.h"
#include "emit.h"
#include "graph.h"
#include "outbox.h"
#include "strmap.h"
#include "strpool.h"

#define NONE ((size_t)-1)

typedef struct item {
        event_t ev;
        const rd_kafka_message_t *msg; /* NULL when released or made here */
        /* Released from a hold: its bytes and where it was held, so it can
         * be removed once applied. */
        char *held_raw;
        size_t held_len;
        route_scope_t held_scope;
        char *held_name;
        correlate_plan_t plan;
        size_t svc, tkt; /* lookups, or NONE */
        size_t next_alert; /* next alert item of the same service lookup */
        const char *incident; /* NULL until known; in the batch's id pool */
        bool applied, held;
} item_t;

typedef struct lookup {
        route_scope_t scope;
        const char *name;
        size_t first_alert, last_alert; /* alert items routed here, or NONE */
        /* The incident a firing alert opens if none is open, and the one
         * found: NULL = none; in the batch's id pool or its events. */
        const char *candidate, *incident;
        int64_t now; /* the clock, or its latest event if that is later */
} lookup_t;

/* An output decided on a revision, produced once the decision is stored.
 * Offsets into the batch's decided buffer, which grows. */
typedef struct pending_out {
        int topic;      /* TOPIC_ESCALATIONS, TOPIC_NOTIFICATIONS; -1 = muted */
        long id;        /* its id (NUL-terminated); -2 = none */
        size_t msg, msg_len; /* the encoded record */
        size_t log;     /* the log line said when it is stored */
} pending_out_t;

typedef enum { DECIDE_NONE = 0, DECIDE_PENDING, DECIDE_RETRY } decide_step_t;

/* A group's decision (batch_decide.c). */
typedef struct decide {
        decide_step_t state;
        int retries;
        int64_t version;        /* the decide_v decided from */
        char *policy_in, *notify_in; /* states to decide from on a retry */
        size_t policy_out, notify_out; /* new states: offsets into buf */
        pending_out_t *outs;
        size_t outs_cnt, outs_cap;
        size_t muted_notes;     /* notifications held back by a silence */
        bool paged;             /* a page among the outputs */
        bool marked;            /* an outbox mark precedes the decide call */
        int64_t next_eval_at;   /* policy: evaluate again then; 0 = none */
} decide_t;

/* Per batch, not per group: a policy state is large. */
typedef struct batch_decide_scratch {
        policy_state_t *pst;
        policy_decision_t *decisions; /* POLICY_MAX_DECISIONS */
        char *state_str;              /* POLICY_STATE_STR_MAX */
        notify_result_t *nres;
        policy_account_t *paccts;
        notify_account_t *naccts;
        size_t paccts_cap, naccts_cap;
        redis_output_t *routs;
        size_t routs_cap;
        /* What every group of the slice decided (run_groups): encoded
         * outputs, their ids and log lines, new states; reset per slice.
         * One buffer, not one per group: a slice holds up to 1,000
         * decisions at once, and per-group buffers each kept the largest
         * decision their slot ever saw. */
        buf_t decided;
        buf_t esc_id; /* one escalation id (escalation_id()) */
        buf_t line;   /* one log line (line_fmt()) */
} batch_decide_scratch_t;

/* What a group needs only while its slice runs (run_slice): the next
 * slice reuses it, so a broad batch of 5,000 incidents holds 1,000 of
 * these, with their apply replies, not 5,000. */
typedef struct group_state {
        incident_t inc;
        emit_ctx_t ctx;
        score_result_t result;
        decide_t dec;
} group_state_t;

typedef struct group {
        const char *id; /* an item's incident, or in the batch's id pool */
        int64_t tick;    /* a claimed deadline being re-scored, 0 = none */
        size_t *members; /* item indexes, in batch order */
        size_t n, cap;
        group_state_t *st; /* while its slice runs */
        /* Blast radius: services new to it in this call (graph indexes
         * into the batch's scratch), written back in the after round. */
        const char **added;
        size_t added_cnt, added_cap;
        size_t inhibit_from; /* added[inhibit_from..] are mapped NX */
        int64_t deadline;    /* next re-score, 0 = none */
} group_t;

/* Services and tickets whose held events were released only in part:
 * the next batch looks each up again for the rest, whether or not any
 * event of its own comes.  Names owned here. */
typedef struct carried {
        route_scope_t scope;
        char *name;
} carried_t;

typedef struct carry {
        carried_t *v;
        size_t n, cap;
} carry_t;

/* An input partition a batch read from, and the last offset it read. */
typedef struct part_seen {
        const rd_kafka_topic_t *rkt;
        int32_t partition;
        int kind; /* event_kind_t */
        int64_t last;
} part_seen_t;

/* An account read from its Redis hash during this batch. */
typedef struct account_slot {
        const char *id;
        redis_account_t acct;
} account_slot_t;

struct batch {
        const config_t *conf;
        codec_t *codec;
        redis_state_t *rs;
        kafka_io_t *kio;
        outbox_t *outbox;
        graph_t *graph;
        int64_t catalog_users;
        uint8_t *marked;  /* one byte per graph service */
        size_t *walk;     /* graph_blast_add output, one per service */
        int64_t now;      /* the incident clock of this batch */
        item_t **items;   /* pool: items[0..n_items) in use */
        size_t n_items, n_loaded, cap_items;
        lookup_t *lookups;
        size_t n_lookups, cap_lookups;
        strmap_t svc_map, tkt_map, group_map, acct_map;
        /* Incident ids read from Redis or made this batch, whatever their
         * length; emptied when the next batch starts. */
        strpool_t ids;
        /* Looked up again this batch / to look up in the next one. */
        carry_t carry, carry_next;
        account_slot_t *accounts;
        size_t n_accounts, cap_accounts;
        group_t *groups;
        size_t n_groups, cap_groups;
        group_state_t *states; /* one slice's (run_slice) */
        size_t cap_states;
        redis_args_t args;
        buf_t out, raw;
        batch_decide_scratch_t dec;
        size_t slice_groups; /* SLICE_GROUPS, or failpoint slice.groups */
        /* Silences in force: the config's, then those read from Redis. */
        silence_t *silences;
        size_t silences_cnt, silences_cap;
        size_t silences_invalid; /* unreadable entries last seen */
        batch_stats_t stats;
        part_seen_t *parts; /* batch_state.c's, per check or mark */
        size_t n_parts, cap_parts;
        bool state_checked; /* a state check leads this round */
        bool state_ask;     /* it found no marker: answer it */
};

/* How a held event, a read position or a state mark names an input kind:
 * "a3" is alerts partition 3. */
extern const char batch_kind_char[EVENT_KIND_COUNT];

void *batch_grow(void *p, size_t *cap, size_t need, size_t size);
item_t *batch_item_new(batch_t *b);
/* The most held events one of `calls` releasing calls may bring into the
 * batch. */
size_t batch_held_limit(const batch_t *b, size_t calls);
impactd_err_t batch_release_held(batch_t *b, route_scope_t scope,
                                 const char *name, const char *incident,
                                 const redis_route_reply_t *rr);

/* batch_state.c: the state marker.  The check leads the route round, in
 * its pipeline; `others` as redis_state_append_state_check() takes it.
 * When it asks, batch_state_answer() looks for keys and checks again. */
size_t batch_append_state_check(batch_t *b, const char *others);
/* The same for a re-score: every partition held, whose state a deadline's
 * incident may be of. */
size_t batch_append_state_check_held(batch_t *b);
impactd_err_t batch_read_state_check(batch_t *b, char *errstr,
                                     size_t errstr_size);
impactd_err_t batch_state_answer(batch_t *b, char *errstr, size_t errstr_size);

/* batch_pack.c */
int batch_pack_event(batch_t *b, const event_t *ev);
/* Appends HGETALLs for the accounts of tickets in items[from..) not read
 * yet this batch; returns how many.  Read them with batch_read_accounts. */
size_t batch_append_accounts(batch_t *b, size_t from);
impactd_err_t batch_read_accounts(batch_t *b, size_t n, char *errstr,
                                  size_t errstr_size);

/* batch_after.c */
impactd_err_t batch_produce_scored(batch_t *b, group_t *grp, char *errstr,
                                   size_t errstr_size);
size_t batch_append_after(batch_t *b, group_t *grp);
impactd_err_t batch_read_after(batch_t *b, group_t *grp, char *errstr,
                               size_t errstr_size);

/* batch_decide.c */
impactd_err_t batch_decide_init(batch_t *b, char *errstr, size_t errstr_size);
void batch_decide_free(batch_t *b);
/* The silences set at run time, read in the batch's first round: they
 * follow the config's in b->silences. */
void batch_append_silences(batch_t *b);
impactd_err_t batch_read_silences(batch_t *b, char *errstr,
                                  size_t errstr_size);
/* Decides on a changed group's revision and appends its decide call;
 * returns how many calls were appended (0 or 1).  Moves grp->deadline
 * to the policy's next evaluation when that is sooner. */
size_t batch_append_decide(batch_t *b, group_t *grp);
/* Reads that reply: produces the outputs once stored, or marks the group
 * to decide again from the winner's states. */
impactd_err_t batch_read_decide(batch_t *b, group_t *grp, char *errstr,
                                size_t errstr_size);
/* Decides again, in further round trips, for the groups of groups[lo..hi)
 * that lost a race. */
impactd_err_t batch_decide_retries(batch_t *b, size_t lo, size_t hi,
                                   char *errstr, size_t errstr_size);

#endif
