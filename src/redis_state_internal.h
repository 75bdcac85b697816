/* The connection object shared by redis_state.c (connecting, appending)
 * and redis_reply.c (reading replies).  Not for other modules. */
#ifndef IMPACTD_REDIS_STATE_INTERNAL_H
#define IMPACTD_REDIS_STATE_INTERNAL_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>

#include "redis_state.h"

/* Keys of an incident passed to impactd_apply (incident_suffix[]). */
#define INCIDENT_KEYS 13

struct redis_state {
        const config_t *conf;
        redisContext *ctx;
        size_t pending;      /* appended, not yet read */
        redisReply *last;    /* reply backing the views of the last read */
        const char **held;   /* redis_route_reply_t storage */
        size_t *held_lens;
        size_t held_cap;
        redis_args_t cmd;    /* the command being appended */
        FILE *record;        /* IMPACTD_BENCH_REDIS_LOG: every command sent */
        int64_t generation;  /* the state generation (<p>:state), 0 = none */
        /* Per call appended and not yet read, in order: whether it
         * touches a key every batch shares (redis_reply.c: refused()). */
        bool *call_global;
        size_t call_first, call_cnt, call_cap;
        bool cmd_global;     /* the command being appended does */
        bool last_global;    /* the reply read last was of such a call */
};

#endif
