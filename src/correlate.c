#include "correlate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool correlate_plan(const event_t *ev, correlate_plan_t *plan, char *errstr,
                    size_t errstr_size) {
        memset(plan, 0, sizeof(*plan));
        plan->by_key = ev->incident_key != NULL;
        switch (ev->kind) {
        case EVENT_ALERT:
                /* A firing alert with a key still registers its service's
                 * open incident, so unkeyed tickets for it join. */
                plan->service = ev->service;
                plan->may_open = ev->u.alert.status == ALERT_FIRING;
                return true;
        case EVENT_TICKET:
                /* Follows its ticket's incident once bound; a ticket seen
                 * first needs a service to be attributed at all. */
                plan->service = ev->service;
                plan->ticket = ev->service ? ev->u.ticket.ticket_id : NULL;
                break;
        case EVENT_SENTIMENT:
                plan->service = ev->service;
                plan->ticket = ev->u.sentiment.ticket_id;
                break;
        default:
                break;
        }
        if (plan->by_key) {
                plan->service = NULL;
                plan->ticket = NULL;
                return true;
        }
        if (!plan->service && !plan->ticket) {
                snprintf(errstr, errstr_size,
                         "cannot be correlated: %s names no incident_key, "
                         "service%s", event_kind_name(ev->kind),
                         ev->kind == EVENT_SENTIMENT ? " or ticket_id" : "");
                return false;
        }
        return true;
}

static int id_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
               c == '-';
}

void correlate_incident_id(const char *incident_key, char *out, size_t size) {
        size_t i = 0;
        for (; incident_key[i] && i + 1 < size; i++)
                out[i] = id_char_ok(incident_key[i]) ? incident_key[i] : '_';
        out[i] = '\0';
}

/* FNV-1a: stable across versions and platforms, which is all this needs. */
static uint32_t fnv1a(const char *s) {
        uint32_t h = 2166136261u;
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        return h;
}

void correlate_takeover_incident_id(const char *service, const char *event_id,
                                    char *out, size_t size) {
        char svc[96];
        correlate_incident_id(service, svc, sizeof(svc));
        snprintf(out, size, "%s-%08" PRIx32, svc, fnv1a(event_id));
}

void correlate_new_incident_id(const event_t *ev, char *out, size_t size) {
        correlate_takeover_incident_id(ev->service, ev->event_id, out, size);
}
