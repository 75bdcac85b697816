/* The partition write and the takeover: one FCALL each. */
#include "persist.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void persist_call_free(persist_call_t *pc) {
        redis_args_free(&pc->keys);
        redis_args_free(&pc->args);
        record_buf_free(&pc->scratch);
}

/* <prefix>:{<prefix>:r<n>}<kind><id>: the kind before the id, so that no
 * id makes one key another's. */
static void add_key(persist_call_t *pc, const char *kind, const char *id) {
        redis_args_addf(&pc->keys, "%s:{%s:r%" PRId32 "}%s%s", pc->prefix,
                        pc->prefix, pc->partition, kind, id ? id : "");
}

/* Replaces the argument at `at` (a placeholder) by the count `n`. */
static void set_count(redis_args_t *a, size_t at, size_t n) {
        if (redis_args_addf(a, "%zu", n))
                return;
        a->argc--;
        a->argv[at] = a->argv[a->argc];
        a->argvlen[at] = a->argvlen[a->argc];
}

static void add_i64(redis_args_t *a, int64_t v) {
        redis_args_addf(a, "%" PRId64, v);
}

void persist_begin(persist_call_t *pc, const char *prefix, int32_t partition,
                   int64_t epoch, const char *cluster, int64_t offset,
                   const persist_mark_t *marks, size_t n_marks,
                   const char *const *cleared, size_t n_cleared,
                   const persist_output_t *outs, size_t n_outs) {
        redis_args_reset(&pc->keys);
        redis_args_reset(&pc->args);
        pc->prefix = prefix;
        pc->partition = partition;
        add_key(pc, "", NULL);
        add_key(pc, ":deadlines", NULL);
        add_key(pc, ":outbox", NULL);
        add_i64(&pc->args, epoch);
        redis_args_add_copy(&pc->args, cluster, strlen(cluster));
        add_i64(&pc->args, offset);
        redis_args_addf(&pc->args, "%zu", n_marks);
        for (size_t i = 0; i < n_marks; i++) {
                redis_args_add_copy(&pc->args, marks[i].src, strlen(marks[i].src));
                add_i64(&pc->args, marks[i].offset);
        }
        redis_args_addf(&pc->args, "%zu", n_cleared);
        for (size_t i = 0; i < n_cleared; i++)
                redis_args_add_copy(&pc->args, cleared[i], strlen(cleared[i]));
        redis_args_addf(&pc->args, "%zu", n_outs);
        for (size_t i = 0; i < n_outs; i++) {
                redis_args_add_copy(&pc->args, outs[i].id, strlen(outs[i].id));
                /* The topic's letter, then the bytes as produced. */
                char *v = malloc(outs[i].len + 1);
                if (!v) {
                        pc->args.failed = true;
                        continue;
                }
                v[0] = outs[i].topic;
                memcpy(v + 1, outs[i].bytes, outs[i].len);
                redis_args_add_copy(&pc->args, v, outs[i].len + 1);
                free(v);
        }
}

static int add_entry(void *arg, const char *field, size_t field_len,
                     const char *value, size_t value_len) {
        persist_call_t *pc = arg;
        redis_args_add(&pc->args, field, field_len);
        /* Event ids go alone: their values are empty. */
        if (value_len)
                redis_args_add_copy(&pc->args, value, value_len);
        return pc->args.failed ? -1 : 0;
}

int persist_add_incident(persist_call_t *pc, const aggregate_t *a,
                         int64_t ttl_ms, int64_t deadline) {
        static const char *const kinds[AGG_SET_COUNT] = {":s:", ":a:", ":t:", ":g:"};
        const char *id = aggregate_id(a);
        add_key(pc, ":i:", id);
        for (size_t k = 0; k < AGG_SET_COUNT; k++)
                add_key(pc, kinds[k], id);
        redis_args_add(&pc->args, id, strlen(id));
        add_i64(&pc->args, ttl_ms);
        add_i64(&pc->args, deadline);
        record_buf_reset(&pc->scratch);
        aggregate_encode(a, &pc->scratch);
        if (pc->scratch.failed)
                goto failed;
        redis_args_add_copy(&pc->args, pc->scratch.p, pc->scratch.len);
        for (aggregate_set_t k = 0; k < AGG_SET_COUNT; k++) {
                size_t at = pc->args.argc, before;
                redis_args_add(&pc->args, "", 0); /* the count, once known */
                before = pc->args.argc;
                if (aggregate_changes(a, k, &pc->scratch, add_entry, pc))
                        goto failed;
                set_count(&pc->args, at,
                          (pc->args.argc - before) / (k == AGG_SET_SEEN ? 1 : 2));
        }
        if (!pc->keys.failed && !pc->args.failed)
                return 0;
failed:
        /* Keys and arguments out of step must never reach Redis: a failed
         * list makes the append send a PING, and its reader fails the
         * batch. */
        pc->args.failed = true;
        return -1;
}

void persist_append(persist_call_t *pc, redis_state_t *rs) {
        redis_state_append_fcall(rs, "persist", &pc->keys, &pc->args, true);
}

static impactd_err_t bad_reply(const char *what, char *errstr, size_t errstr_size) {
        snprintf(errstr, errstr_size, "redis: unexpected reply to %s", what);
        return IMPACTD_ERR_REDIS;
}

static int64_t reply_i64(const redisReply *r) {
        if (r->type == REDIS_REPLY_INTEGER)
                return r->integer;
        if (r->type == REDIS_REPLY_STRING)
                return strtoll(r->str, NULL, 10);
        return 0;
}

impactd_err_t persist_read(redis_state_t *rs, bool *fenced, int64_t *epoch_now,
                           char *errstr, size_t errstr_size) {
        const void *v;
        impactd_err_t err = redis_state_read_raw(rs, &v, errstr, errstr_size);
        const redisReply *r = v;
        *fenced = false;
        *epoch_now = 0;
        if (err)
                return err;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
            r->element[0]->type != REDIS_REPLY_INTEGER)
                return bad_reply("persist", errstr, errstr_size);
        if (r->element[0]->integer == 0) {
                *fenced = true;
                *epoch_now = r->elements > 1 ? reply_i64(r->element[1]) : 0;
        }
        return IMPACTD_OK;
}

void persist_own_append(redis_state_t *rs, const char *prefix,
                        int32_t partition, const char *cluster) {
        persist_call_t pc = {0};
        pc.prefix = prefix;
        pc.partition = partition;
        add_key(&pc, "", NULL);
        add_key(&pc, ":deadlines", NULL);
        add_key(&pc, ":outbox", NULL);
        redis_args_add(&pc.args, cluster, strlen(cluster));
        redis_state_append_fcall(rs, "own", &pc.keys, &pc.args, true);
        persist_call_free(&pc);
}

void persist_owned_clear(persist_owned_t *o) {
        free(o->marks);
        free(o->deadlines);
        free(o->outbox);
        strpool_free(&o->strings_);
        memset(o, 0, sizeof(*o));
}

static const char *copy_str(persist_owned_t *o, const redisReply *r) {
        return strpool_dup(&o->strings_, r->str, r->len);
}

static bool all_strings(const redisReply *r) {
        if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
                return false;
        for (size_t i = 0; i < r->elements; i++)
                if (r->element[i]->type != REDIS_REPLY_STRING)
                        return false;
        return true;
}

impactd_err_t persist_own_read(redis_state_t *rs, persist_owned_t *o,
                               char *errstr, size_t errstr_size) {
        const void *v;
        persist_owned_clear(o);
        impactd_err_t err = redis_state_read_raw(rs, &v, errstr, errstr_size);
        const redisReply *r = v;
        if (err)
                return err;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 5 ||
            r->element[0]->type != REDIS_REPLY_INTEGER ||
            r->element[1]->type != REDIS_REPLY_STRING ||
            !all_strings(r->element[2]) || !all_strings(r->element[3]) ||
            !all_strings(r->element[4]))
                return bad_reply("own", errstr, errstr_size);
        const redisReply *marks = r->element[2], *dl = r->element[3],
                         *ob = r->element[4];
        o->epoch = r->element[0]->integer;
        o->offset = strtoll(r->element[1]->str, NULL, 10);
        o->marks = calloc(marks->elements / 2 + 1, sizeof(*o->marks));
        o->deadlines = calloc(dl->elements / 2 + 1, sizeof(*o->deadlines));
        o->outbox = calloc(ob->elements / 2 + 1, sizeof(*o->outbox));
        if (!o->marks || !o->deadlines || !o->outbox)
                goto nomem;
        for (size_t i = 0; i < marks->elements; i += 2) {
                persist_mark_t *m = &o->marks[o->marks_cnt++];
                if (!(m->src = copy_str(o, marks->element[i])))
                        goto nomem;
                m->offset = strtoll(marks->element[i + 1]->str, NULL, 10);
        }
        for (size_t i = 0; i < dl->elements; i += 2) {
                struct persist_deadline *d = &o->deadlines[o->deadlines_cnt++];
                if (!(d->incident = copy_str(o, dl->element[i])))
                        goto nomem;
                d->at = strtoll(dl->element[i + 1]->str, NULL, 10);
        }
        for (size_t i = 0; i < ob->elements; i += 2) {
                const redisReply *val = ob->element[i + 1];
                persist_output_t *out = &o->outbox[o->outbox_cnt++];
                if (!val->len)
                        return bad_reply("own (outbox)", errstr, errstr_size);
                if (!(out->id = copy_str(o, ob->element[i])) ||
                    !(out->bytes = strpool_dup(&o->strings_, val->str + 1, val->len - 1)))
                        goto nomem;
                out->topic = val->str[0];
                out->len = val->len - 1;
        }
        return IMPACTD_OK;
nomem:
        persist_owned_clear(o);
        snprintf(errstr, errstr_size, "out of memory taking a partition over");
        return IMPACTD_ERR_NOMEM;
}
