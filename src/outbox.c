/* The outbox: clearing what Kafka acknowledged, producing again what a
 * dead worker left behind.  See include/outbox.h. */
#include "outbox.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"

#define RECOVER_MAX 100        /* incidents claimed per call */
#define ORPHAN_EXTRA_MS 5000   /* beyond the delivery timeout */

struct outbox {
        const config_t *conf;
        redis_state_t *rs;
        kafka_io_t *kio;
        buf_t sent;         /* "incident\0id\0" per output to clear */
        size_t sent_cnt;
        buf_t scored;       /* "incident\0revision\0" per revision to mark */
        size_t scored_cnt;
        redis_due_t *due;   /* RECOVER_MAX */
        strpool_t due_ids;  /* their incident ids */
        redis_outbox_entry_t *entries;
        size_t entries_cap;
};

outbox_t *outbox_new(const config_t *conf, redis_state_t *rs, kafka_io_t *kio,
                     char *errstr, size_t errstr_size) {
        outbox_t *ob = calloc(1, sizeof(*ob));
        if (!ob || !(ob->due = calloc(RECOVER_MAX, sizeof(*ob->due)))) {
                free(ob);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        ob->conf = conf;
        ob->rs = rs;
        ob->kio = kio;
        return ob;
}

void outbox_destroy(outbox_t *ob) {
        if (!ob)
                return;
        buf_free(&ob->sent);
        buf_free(&ob->scored);
        free(ob->due);
        strpool_free(&ob->due_ids);
        free(ob->entries);
        free(ob);
}

int64_t outbox_orphan_at(const outbox_t *ob) {
        return impactd_now_ms() + ob->conf->kafka.delivery_timeout_ms +
               ORPHAN_EXTRA_MS;
}

/* Appends "incident\0value\0" to `list`. */
static int remember_in(buf_t *list, size_t *cnt, const char *incident,
                       const char *value, size_t value_len) {
        static const char nul = '\0';
        if (buf_append(list, incident, strlen(incident) + 1) ||
            buf_append(list, value, value_len) || buf_append(list, &nul, 1))
                return -1;
        (*cnt)++;
        return 0;
}

static int remember(outbox_t *ob, const char *incident, const char *id,
                    size_t id_len) {
        return remember_in(&ob->sent, &ob->sent_cnt, incident, id, id_len);
}

int outbox_sent(outbox_t *ob, const char *incident, const char *id) {
        return remember(ob, incident, id, strlen(id));
}

int outbox_scored(outbox_t *ob, const char *incident, int64_t revision) {
        char rev[24];
        int len = snprintf(rev, sizeof(rev), "%" PRId64, revision);
        return remember_in(&ob->scored, &ob->scored_cnt, incident, rev,
                           (size_t)len);
}

void outbox_forget(outbox_t *ob) {
        buf_reset(&ob->sent);
        ob->sent_cnt = 0;
        buf_reset(&ob->scored);
        ob->scored_cnt = 0;
}

/* Clears what was sent and marks done what was scored, after `extra`
 * replies already appended. */
static impactd_err_t clear_round(outbox_t *ob, size_t extra, char *errstr,
                                 size_t errstr_size) {
        const char *p = ob->sent.data;
        for (size_t i = 0; i < ob->sent_cnt; i++) {
                const char *id = p + strlen(p) + 1;
                redis_state_append_outbox_clear(ob->rs, p, id);
                p = id + strlen(id) + 1;
        }
        p = ob->scored.data;
        for (size_t i = 0; i < ob->scored_cnt; i++) {
                const char *rev = p + strlen(p) + 1;
                redis_state_append_done(ob->rs, p, strtoll(rev, NULL, 10));
                p = rev + strlen(rev) + 1;
        }
        impactd_err_t err = IMPACTD_OK;
        size_t replies = ob->sent_cnt + ob->scored_cnt + extra;
        for (size_t i = 0; i < replies && !err; i++) {
                long long n;
                err = redis_state_read_integer(ob->rs, &n, errstr, errstr_size);
        }
        if (err)
                redis_state_discard(ob->rs);
        else
                outbox_forget(ob);
        return err;
}

impactd_err_t outbox_confirm(outbox_t *ob, size_t extra, char *errstr,
                             size_t errstr_size) {
        if (!ob->sent_cnt && !ob->scored_cnt && !extra)
                return IMPACTD_OK;
        return clear_round(ob, extra, errstr, errstr_size);
}

static int topic_of(char c) {
        return c == 'e' ? TOPIC_ESCALATIONS : c == 'n' ? TOPIC_NOTIFICATIONS : -1;
}

/* Produces one incident's leftovers (the reply being read); returns how
 * many went out. */
static impactd_err_t produce_left(outbox_t *ob, const char *incident, size_t n,
                                  size_t *produced, char *errstr,
                                  size_t errstr_size) {
        size_t done = 0;
        for (size_t k = 0; k < n; k++) {
                const redis_outbox_entry_t *e = &ob->entries[k];
                int topic = e->value_len ? topic_of(e->value[0]) : -1;
                if (topic < 0 || !e->id_len) {
                        log_error("outbox: incident=%s: entry %.*s is not an "
                                  "output; dropped", incident, (int)e->id_len,
                                  e->id);
                } else {
                        impactd_err_t err = kafka_io_produce(
                                ob->kio, (topic_role_t)topic, incident,
                                e->value + 1, e->value_len - 1, errstr,
                                errstr_size);
                        if (err)
                                return err;
                        done++;
                }
                if (remember(ob, incident, e->id, e->id_len)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return IMPACTD_ERR_NOMEM;
                }
        }
        log_warn("outbox: incident=%s: %zu outputs left by a worker that "
                 "stopped before Kafka acknowledged them, produced again with "
                 "their ids", incident, done);
        *produced += done;
        return IMPACTD_OK;
}

impactd_err_t outbox_recover(outbox_t *ob, size_t *produced, char *errstr,
                             size_t errstr_size) {
        size_t n, empty = 0;
        impactd_err_t err;
        *produced = 0;
        outbox_forget(ob);
        strpool_reset(&ob->due_ids);
        redis_state_append_outbox_due(ob->rs, impactd_now_ms(), RECOVER_MAX);
        if ((err = redis_state_read_due(ob->rs, &ob->due_ids, ob->due,
                                        RECOVER_MAX, &n, errstr, errstr_size)))
                goto fail;
        if (!n)
                return IMPACTD_OK;
        for (size_t i = 0; i < n; i++)
                redis_state_append_outbox_read(ob->rs, ob->due[i].incident_id);
        for (size_t i = 0; i < n; i++) {
                size_t cnt;
                const char *incident = ob->due[i].incident_id;
                if ((err = redis_state_read_outbox(ob->rs, &ob->entries,
                                                   &ob->entries_cap, &cnt,
                                                   errstr, errstr_size)) ||
                    (cnt && (err = produce_left(ob, incident, cnt, produced,
                                                errstr, errstr_size))))
                        goto fail;
                /* Emptied by the worker that decided them, as usual. */
                if (!cnt) {
                        ob->due[empty] = ob->due[i];
                        empty++;
                }
        }
        if (ob->sent_cnt && (err = kafka_io_flush(ob->kio, errstr, errstr_size)))
                goto fail;
        for (size_t i = 0; i < empty; i++)
                redis_state_append_outbox_mark(ob->rs, ob->due[i].incident_id, 0);
        return clear_round(ob, empty, errstr, errstr_size);
fail:
        /* The claims lapse with their lease; another pass retries. */
        redis_state_discard(ob->rs);
        outbox_forget(ob);
        return err;
}
