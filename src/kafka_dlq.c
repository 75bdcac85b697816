/* Dead letters that fit: a DLQ copy the brokers will take whatever the
 * size of what it copies, and outputs the brokers refuse turned into DLQ
 * records rather than a batch that can never commit. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_io_internal.h"
#include "log.h"

/* Well under the brokers' default (1 MB), and under the producer's own
 * message.max.bytes with room for the headers. */
#define DLQ_BUDGET_MAX (512 * 1024)
#define DLQ_HEADROOM (16 * 1024)
/* Below this a copy keeps too little to be worth a retry: the failure
 * stands, as any other delivery failure. */
#define DLQ_BUDGET_MIN 1024
/* A key is for partitioning; a DLQ copy keeps its head. */
#define DLQ_KEY_MAX 1024
/* dlq.reason is built from the input at times (a field's value). */
#define DLQ_REASON_MAX 2048

/* The opaque of a DLQ copy: its budget, so a refusal knows what to halve.
 * Outputs have none (NULL). */
#define DLQ_OPAQUE(budget) ((void *)(uintptr_t)(budget))

size_t kafka_dlq_budget(const rd_kafka_conf_t *producer_conf) {
        char v[32];
        size_t size = sizeof(v), budget = DLQ_BUDGET_MAX;
        if (rd_kafka_conf_get(producer_conf, "message.max.bytes", v, &size) ==
            RD_KAFKA_CONF_OK) {
                long long max = strtoll(v, NULL, 10);
                if (max - DLQ_HEADROOM < (long long)budget)
                        budget = max - DLQ_HEADROOM > DLQ_BUDGET_MIN
                                         ? (size_t)(max - DLQ_HEADROOM)
                                         : DLQ_BUDGET_MIN;
        }
        return budget;
}

bool kafka_dlq_per_message(rd_kafka_resp_err_t err) {
        switch (err) {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
        case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        case RD_KAFKA_RESP_ERR_INVALID_MSG:
        case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
                return true;
        default:
                return false;
        }
}

/* A size from header `name`, else `dflt`. */
static size_t header_size(rd_kafka_headers_t *hdrs, const char *name,
                          size_t dflt) {
        const void *v;
        size_t len;
        char buf[24];
        if (!hdrs || rd_kafka_header_get_last(hdrs, name, &v, &len) ||
            len == 0 || len >= sizeof(buf))
                return dflt;
        memcpy(buf, v, len);
        buf[len] = '\0';
        return (size_t)strtoull(buf, NULL, 10);
}

static void header_set(rd_kafka_headers_t *hdrs, const char *name,
                       const char *value, size_t len) {
        rd_kafka_header_remove(hdrs, name);
        rd_kafka_header_add(hdrs, name, -1, value, (ssize_t)len);
}

static void header_size_set(rd_kafka_headers_t *hdrs, const char *name,
                            size_t size) {
        char v[24];
        int n = snprintf(v, sizeof(v), "%zu", size);
        header_set(hdrs, name, v, (size_t)n);
}

/* What a DLQ record copies: its bytes as far as they are kept, and how
 * long they were. */
typedef struct dlq_copy {
        const char *key, *value;
        size_t key_len, value_len;   /* kept so far (<= orig) */
        size_t key_orig, value_orig; /* as they came */
} dlq_copy_t;

/* Produces `c` to the DLQ cut to kio->dlq_budget, halving it while the
 * producer refuses the size.  Takes `hdrs`. */
static rd_kafka_resp_err_t send_fitted(kafka_io_t *kio, const dlq_copy_t *c,
                                       rd_kafka_headers_t *hdrs) {
        const char *topic = kio->conf->kafka.topics[TOPIC_DLQ];
        for (;;) {
                size_t budget = kio->dlq_budget;
                size_t key = c->key_len, value = c->value_len;
                if (key > DLQ_KEY_MAX)
                        key = DLQ_KEY_MAX;
                if (key > budget / 2)
                        key = budget / 2;
                if (value > budget - key)
                        value = budget - key;
                rd_kafka_header_remove(hdrs, "dlq.key.truncated_from");
                rd_kafka_header_remove(hdrs, "dlq.value.truncated_from");
                if (key < c->key_orig)
                        header_size_set(hdrs, "dlq.key.truncated_from",
                                        c->key_orig);
                if (value < c->value_orig)
                        header_size_set(hdrs, "dlq.value.truncated_from",
                                        c->value_orig);
                rd_kafka_headers_t *mine = rd_kafka_headers_copy(hdrs);
                rd_kafka_resp_err_t err =
                        kafka_io_send(kio, topic, c->key, key, c->value, value,
                                      mine, DLQ_OPAQUE(budget));
                if (!kafka_dlq_per_message(err) || budget / 2 < DLQ_BUDGET_MIN) {
                        rd_kafka_headers_destroy(hdrs);
                        if (!err)
                                kio->stats.dlq++;
                        return err;
                }
                kio->dlq_budget = budget / 2;
        }
}

/* send_fitted() with its failure in errstr. */
static impactd_err_t send_copy(kafka_io_t *kio, const dlq_copy_t *c,
                               rd_kafka_headers_t *hdrs, char *errstr,
                               size_t errstr_size) {
        rd_kafka_resp_err_t err = send_fitted(kio, c, hdrs);
        if (!err)
                return IMPACTD_OK;
        snprintf(errstr, errstr_size, "produce to %s: %s",
                 kio->conf->kafka.topics[TOPIC_DLQ], rd_kafka_err2str(err));
        return IMPACTD_ERR_KAFKA;
}

static void add_reason(rd_kafka_headers_t *hdrs, const char *reason) {
        size_t len = strlen(reason);
        header_set(hdrs, "dlq.reason", reason,
                   len < DLQ_REASON_MAX ? len : DLQ_REASON_MAX);
}

impactd_err_t kafka_io_produce_dlq(kafka_io_t *kio,
                                   const rd_kafka_message_t *src,
                                   const char *reason, char *errstr,
                                   size_t errstr_size) {
        char part[16], off[24];
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(6);
        snprintf(part, sizeof(part), "%" PRId32, src->partition);
        snprintf(off, sizeof(off), "%" PRId64, src->offset);
        rd_kafka_header_add(hdrs, "dlq.source.topic", -1,
                            rd_kafka_topic_name(src->rkt), -1);
        rd_kafka_header_add(hdrs, "dlq.source.partition", -1, part, -1);
        rd_kafka_header_add(hdrs, "dlq.source.offset", -1, off, -1);
        add_reason(hdrs, reason);
        /* A message Kafka would refuse must not stop the worker on every
         * restart: the DLQ keeps the head of its key and value, and the
         * source coordinates lead to the whole of it. */
        dlq_copy_t c = {src->key, src->payload, src->key_len, src->len,
                        src->key_len, src->len};
        return send_copy(kio, &c, hdrs, errstr, errstr_size);
}

impactd_err_t kafka_dlq_output(kafka_io_t *kio, const char *topic,
                               const void *key, size_t key_len,
                               const void *value, size_t value_len,
                               rd_kafka_resp_err_t why, char *errstr,
                               size_t errstr_size) {
        char reason[256];
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(4);
        snprintf(reason, sizeof(reason), "output refused by Kafka: %s",
                 rd_kafka_err2str(why));
        rd_kafka_header_add(hdrs, "dlq.output.topic", -1, topic, -1);
        add_reason(hdrs, reason);
        log_error("dlq output topic=%s bytes=%zu reason=\"%s\"", topic,
                  value_len, reason);
        dlq_copy_t c = {key, value, key_len, value_len, key_len, value_len};
        return send_copy(kio, &c, hdrs, errstr, errstr_size);
}

/* ---- refusals reported by delivery -------------------------------------- */

/* A refused message, copied out of its delivery report: nothing may be
 * produced from inside the callback, which the producer's poll runs. */
typedef struct redirect {
        struct redirect *next;
        bool output;               /* else a DLQ copy */
        rd_kafka_resp_err_t err;
        char *topic;               /* the output's topic */
        rd_kafka_headers_t *hdrs;  /* a DLQ copy's */
        size_t budget;             /* a DLQ copy's, when refused */
        dlq_copy_t c;              /* key and value point into `bytes` */
        char bytes[];
} redirect_t;

static void redirect_free(redirect_t *r) {
        if (r->hdrs)
                rd_kafka_headers_destroy(r->hdrs);
        free(r->topic);
        free(r);
}

bool kafka_dlq_redirect(kafka_io_t *kio, const rd_kafka_message_t *m) {
        uintptr_t budget = (uintptr_t)m->_private;
        bool output = budget == 0;
        rd_kafka_headers_t *hdrs = NULL;
        if (!output && budget / 2 < DLQ_BUDGET_MIN)
                return false;
        /* A DLQ copy keeps no more than its next, smaller budget. */
        size_t key = m->key_len, value = m->len;
        if (!output && value > budget / 2)
                value = budget / 2;
        if (!output && key > budget / 2)
                key = budget / 2;
        redirect_t *r = calloc(1, sizeof(*r) + key + value);
        if (!r)
                return false;
        if (!output)
                r->hdrs = rd_kafka_message_headers(m, &hdrs) == 0
                                  ? rd_kafka_headers_copy(hdrs)
                                  : rd_kafka_headers_new(4);
        r->output = output;
        r->err = m->err;
        r->budget = budget;
        if (output && !(r->topic = strdup(rd_kafka_topic_name(m->rkt)))) {
                free(r);
                return false;
        }
        if (key)
                memcpy(r->bytes, m->key, key);
        if (value)
                memcpy(r->bytes + key, m->payload, value);
        r->c = (dlq_copy_t){r->bytes, r->bytes + key, key, value,
                            header_size(r->hdrs, "dlq.key.truncated_from",
                                        m->key_len),
                            header_size(r->hdrs, "dlq.value.truncated_from",
                                        m->len)};
        r->next = kio->redirects;
        kio->redirects = r;
        return true;
}

impactd_err_t kafka_dlq_send_redirects(kafka_io_t *kio, char *errstr,
                                       size_t errstr_size) {
        impactd_err_t err = IMPACTD_OK;
        while (kio->redirects) {
                redirect_t *r = kio->redirects;
                kio->redirects = r->next;
                if (err) {
                        /* drop the rest: the batch fails all the same */
                } else if (r->output) {
                        err = kafka_dlq_output(kio, r->topic, r->c.key,
                                               r->c.key_len, r->c.value,
                                               r->c.value_len, r->err, errstr,
                                               errstr_size);
                } else {
                        /* The brokers' own limit is below ours: keep to it
                         * from now on. */
                        if (kio->dlq_budget > r->budget / 2)
                                kio->dlq_budget = r->budget / 2;
                        log_warn("dlq: a copy of %zu bytes was refused (%s); "
                                 "sending %zu at most", r->budget,
                                 rd_kafka_err2str(r->err), kio->dlq_budget);
                        err = send_copy(kio, &r->c, r->hdrs, errstr,
                                        errstr_size);
                        r->hdrs = NULL;
                }
                redirect_free(r);
        }
        return err;
}

void kafka_dlq_free_redirects(kafka_io_t *kio) {
        while (kio->redirects) {
                redirect_t *r = kio->redirects;
                kio->redirects = r->next;
                redirect_free(r);
        }
}
