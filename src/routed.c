/* The routed event's encoding. */
#include "routed.h"

#include <stdio.h>
#include <string.h>

#define ROUTED_VERSION 1

void routed_encode(const event_t *ev, const routed_source_t *src,
                   record_buf_t *b) {
        record_put_u64(b, ROUTED_VERSION);
        record_put_u64(b, (uint64_t)(uint8_t)src->topic);
        record_put_i64(b, src->partition);
        record_put_i64(b, src->offset);
        record_put_u64(b, (uint64_t)ev->kind);
        record_put_u64(b, ev->has);
        record_put_cstr(b, ev->event_id);
        record_put_cstr(b, ev->incident_key);
        record_put_cstr(b, ev->service);
        record_put_cstr(b, ev->region);
        record_put_i64(b, ev->occurred_at);
        switch (ev->kind) {
        case EVENT_ALERT: {
                const event_alert_t *a = &ev->u.alert;
                record_put_u64(b, (uint64_t)a->status);
                record_put_u64(b, (uint64_t)a->disruption);
                record_put_i64(b, a->declared_severity);
                record_put_i64(b, a->affected_users);
                record_put_f64(b, a->slo_burn_rate);
                record_put_f64(b, a->revenue_loss_per_hour);
                break;
        }
        case EVENT_TICKET: {
                const event_ticket_t *t = &ev->u.ticket;
                record_put_cstr(b, t->ticket_id);
                record_put_cstr(b, t->account_id);
                record_put_u64(b, (uint64_t)t->customer_tier);
                record_put_f64(b, t->arr);
                record_put_u64(b, t->strategic);
                record_put_cstr(b, t->product_version);
                record_put_cstr(b, t->platform);
                record_put_cstr(b, t->feature);
                record_put_u64(b, (uint64_t)t->status);
                record_put_u64(b, t->personal_data_at_risk);
                break;
        }
        default: {
                const event_sentiment_t *s = &ev->u.sentiment;
                record_put_cstr(b, s->account_id);
                record_put_cstr(b, s->ticket_id);
                record_put_f64(b, s->score);
                record_put_f64(b, s->urgency);
                record_put_cstr(b, s->channel);
                break;
        }
        }
}

/* A string of the record into the event's arena; NULL when absent.  A
 * string the arena refuses (a NUL byte, no memory) fails the record. */
static const char *get_str(record_reader_t *r, event_t *ev) {
        size_t len;
        const char *s = record_get_str(r, &len);
        if (!s)
                return NULL;
        const char *d = event_strdup(ev, s, len);
        if (!d)
                r->failed = true;
        return d;
}

/* An enum of `count` values, or a failed record. */
static unsigned get_enum(record_reader_t *r, unsigned count) {
        uint64_t v = record_get_u64(r);
        if (v >= count) {
                r->failed = true;
                return 0;
        }
        return (unsigned)v;
}

impactd_err_t routed_decode(const void *data, size_t len, event_t *ev,
                            routed_source_t *src, char *errstr,
                            size_t errstr_size) {
        record_reader_t r;
        record_reader_init(&r, data, len);
        uint64_t version = record_get_u64(&r);
        if (r.failed || version != ROUTED_VERSION) {
                snprintf(errstr, errstr_size,
                         "not a routed event of version %d", ROUTED_VERSION);
                return IMPACTD_ERR_DECODE;
        }
        uint64_t topic = record_get_u64(&r);
        src->topic = (char)(topic < 128 ? topic : 0);
        src->partition = (int32_t)record_get_i64(&r);
        src->offset = record_get_i64(&r);
        event_reset(ev, (event_kind_t)get_enum(&r, EVENT_KIND_COUNT));
        ev->has = (uint32_t)record_get_u64(&r);
        ev->event_id = get_str(&r, ev);
        ev->incident_key = get_str(&r, ev);
        ev->service = get_str(&r, ev);
        ev->region = get_str(&r, ev);
        ev->occurred_at = record_get_i64(&r);
        switch (ev->kind) {
        case EVENT_ALERT: {
                event_alert_t *a = &ev->u.alert;
                a->status = (alert_status_t)get_enum(&r, 2);
                a->disruption = (disruption_t)get_enum(&r, DISRUPTION_COUNT);
                a->declared_severity = (int)record_get_i64(&r);
                a->affected_users = record_get_i64(&r);
                a->slo_burn_rate = record_get_f64(&r);
                a->revenue_loss_per_hour = record_get_f64(&r);
                break;
        }
        case EVENT_TICKET: {
                event_ticket_t *t = &ev->u.ticket;
                t->ticket_id = get_str(&r, ev);
                t->account_id = get_str(&r, ev);
                t->customer_tier = (customer_tier_t)get_enum(&r, TIER_COUNT);
                t->arr = record_get_f64(&r);
                t->strategic = record_get_u64(&r) != 0;
                t->product_version = get_str(&r, ev);
                t->platform = get_str(&r, ev);
                t->feature = get_str(&r, ev);
                t->status = (ticket_status_t)get_enum(&r, 3);
                t->personal_data_at_risk = record_get_u64(&r) != 0;
                break;
        }
        default: {
                event_sentiment_t *s = &ev->u.sentiment;
                s->account_id = get_str(&r, ev);
                s->ticket_id = get_str(&r, ev);
                s->score = record_get_f64(&r);
                s->urgency = record_get_f64(&r);
                s->channel = get_str(&r, ev);
                break;
        }
        }
        bool released = !src->topic && src->partition == -1 && src->offset == -1;
        if (!record_reader_done(&r) ||
            (!released && (!src->topic || src->partition < 0 || src->offset < 0))) {
                snprintf(errstr, errstr_size, "routed event malformed");
                return IMPACTD_ERR_DECODE;
        }
        return event_validate(ev, errstr, errstr_size);
}
