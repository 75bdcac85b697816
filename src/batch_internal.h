/* Internals of the batch module, shared by its files:
 *   batch.c        items, load, route, hold, groups and the apply rounds
 *   batch_pack.c   events -> FCALL arguments, with the account catalog
 *   batch_after.c  after an apply: blast radius, score, outputs, claims,
 *                  binds, service mappings, hand-overs and deadlines */
#ifndef IMPACTD_BATCH_INTERNAL_H
#define IMPACTD_BATCH_INTERNAL_H

#include "batch.h"
#include "correlate.h"
#include "emit.h"
#include "graph.h"
#include "strmap.h"

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
        char incident[INCIDENT_ID_MAX];
        bool applied, held;
} item_t;

typedef struct lookup {
        route_scope_t scope;
        const char *name;
        size_t first_alert, last_alert; /* alert items routed here, or NONE */
        char candidate[INCIDENT_ID_MAX];
        char incident[INCIDENT_ID_MAX];
        int64_t now; /* the clock, or its latest event if that is later */
} lookup_t;

typedef struct group {
        char id[INCIDENT_ID_MAX];
        int64_t tick;    /* a claimed deadline being re-scored, 0 = none */
        size_t *members; /* item indexes, in batch order */
        size_t n, cap;
        incident_t inc;
        emit_ctx_t ctx;
        score_result_t result;
        emit_escalation_buf_t esc;
        bool escalate;
        /* Blast radius: services new to it in this call (graph indexes
         * into the batch's scratch), written back in the after round. */
        const char **added;
        size_t added_cnt, added_cap;
        size_t inhibit_from; /* added[inhibit_from..] are mapped NX */
        int64_t deadline;    /* next re-score, 0 = none */
} group_t;

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
        account_slot_t *accounts;
        size_t n_accounts, cap_accounts;
        group_t *groups;
        size_t n_groups, cap_groups;
        redis_args_t args;
        buf_t out, raw;
        batch_stats_t stats;
};

void *batch_grow(void *p, size_t *cap, size_t need, size_t size);
item_t *batch_item_new(batch_t *b);
impactd_err_t batch_release_held(batch_t *b, route_scope_t scope,
                                 const char *name, const char *incident,
                                 const redis_route_reply_t *rr);

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

#endif
