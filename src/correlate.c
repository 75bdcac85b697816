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

/* FNV-1a: stable across versions and platforms, which is all this needs. */
static uint32_t fnv1a(const char *s) {
        uint32_t h = 2166136261u;
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        return h;
}

const char *correlate_takeover_incident_id(strpool_t *ids, const char *service,
                                           const char *event_id) {
        char suffix[16];
        int n = snprintf(suffix, sizeof(suffix), "-%08" PRIx32, fnv1a(event_id));
        return strpool_cat(ids, service, strlen(service), suffix, (size_t)n);
}

const char *correlate_new_incident_id(strpool_t *ids, const event_t *ev) {
        return correlate_takeover_incident_id(ids, ev->service, ev->event_id);
}
