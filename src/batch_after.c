/* After an incident's apply call: walk its blast radius on the service
 * graph, score it, produce the scored revision, and append the follow-up
 * calls (the policy's decision, ticket binds, blast radius and service
 * mappings, hand-overs, the next deadline), read back in the same order. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "log.h"
#include "segments.h"

/* "takeover:<incident>:<service>", the id of the alert a dependent still
 * firing opens its own incident with; NULL when out of memory. */
static const char *takeover_event_id(batch_t *b, const char *incident,
                                     const char *service) {
        size_t li = strlen(incident), ls = strlen(service);
        char *id = strpool_alloc(&b->ids, 9 + li + 1 + ls);
        if (id) {
                memcpy(id, "takeover:", 9);
                memcpy(id + 9, incident, li);
                id[9 + li] = ':';
                memcpy(id + 10 + li, service, ls);
        }
        return id;
}

static int add_name(group_t *grp, const char *name) {
        const char **a = batch_grow(grp->added, &grp->added_cap,
                                    grp->added_cnt + 1, sizeof(*a));
        if (!a)
                return -1;
        grp->added = a;
        a[grp->added_cnt++] = name;
        return 0;
}

static bool listed(const char *const *names, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (!strcmp(names[i], name))
                        return true;
        return false;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The blast radius: what Redis holds so far, plus the downstream closure
 * of every alerting service not in it yet.  The walk starts only from
 * those and stops at services already marked, so the work is proportional
 * to what is new.  Services outside the catalog count only themselves. */
static impactd_err_t blast_radius(batch_t *b, group_t *grp) {
        const incident_t *inc = &grp->st->inc;
        emit_ctx_t *ctx = &grp->st->ctx;
        grp->added_cnt = 0;
        for (size_t i = 0; i < inc->impacted_cnt; i++) {
                long idx = graph_index(b->graph, inc->impacted[i]);
                if (idx >= 0)
                        b->marked[idx] = 1;
        }
        for (size_t s = 0; s < inc->services_cnt; s++) {
                const char *name = inc->services[s];
                long idx = graph_index(b->graph, name);
                if (idx < 0) {
                        if (!listed(inc->impacted, inc->impacted_cnt, name) &&
                            !listed(grp->added, grp->added_cnt, name) &&
                            add_name(grp, name))
                                goto nomem;
                        continue;
                }
                size_t k = graph_blast_add(b->graph, b->marked, (size_t)idx,
                                           b->walk);
                for (size_t j = 0; j < k; j++)
                        if (add_name(grp, graph_name(b->graph, b->walk[j])))
                                goto nomem;
        }
        /* The radius as published: every service, root first, the rest by
         * name, so revisions compare line by line. */
        size_t n = inc->impacted_cnt + grp->added_cnt;
        const char **all = calloc(n + 1, sizeof(*all));
        if (!all)
                goto nomem;
        /* (memcpy from NULL is undefined even for 0 bytes) */
        if (inc->impacted_cnt)
                memcpy(all, inc->impacted, inc->impacted_cnt * sizeof(*all));
        if (grp->added_cnt)
                memcpy(all + inc->impacted_cnt, grp->added,
                       grp->added_cnt * sizeof(*all));
        qsort(all, n, sizeof(*all), cmp_names);
        for (size_t i = 1; i < n; i++) {
                if (strcmp(all[i], inc->root_service) != 0)
                        continue;
                memmove(all + 1, all, i * sizeof(*all));
                all[0] = inc->root_service;
                break;
        }
        free(ctx->impacted);
        ctx->impacted = all;
        ctx->impacted_cnt = n;
        ctx->catalog_users = b->catalog_users;
        for (size_t i = 0; i < n; i++) {
                long idx = graph_index(b->graph, all[i]);
                if (idx < 0)
                        continue;
                int64_t users = graph_users(b->graph, (size_t)idx);
                b->marked[idx] = 0;
                ctx->impacted_users += users;
                if (users > ctx->impacted_max_users)
                        ctx->impacted_max_users = users;
        }
        return IMPACTD_OK;
nomem:
        for (size_t i = 0; i < graph_size(b->graph); i++)
                b->marked[i] = 0;
        return IMPACTD_ERR_NOMEM;
}

impactd_err_t batch_produce_scored(batch_t *b, group_t *grp, char *errstr,
                                   size_t errstr_size) {
        incident_t *inc = &grp->st->inc;
        score_input_t in;
        scored_t scored;
        const char **keep = grp->st->ctx.impacted;
        grp->st->ctx.impacted = NULL; /* emit_context() clears the struct */
        emit_context(b->conf, inc, b->now, &grp->st->ctx);
        grp->st->ctx.impacted = keep;
        impactd_err_t err = blast_radius(b, grp);
        if (err) {
                snprintf(errstr, errstr_size, "out of memory");
                return err;
        }
        segments_summary(inc->segments, inc->segments_cnt,
                         (const char *const *)b->conf->segments.known_regions,
                         b->conf->segments.known_regions_cnt,
                         grp->st->ctx.segments_summary,
                         sizeof(grp->st->ctx.segments_summary));
        emit_score_input(b->conf, inc, &grp->st->ctx, &in);
        score_compute(&b->conf->scoring, &in, &grp->st->result);
        grp->deadline = emit_next_deadline(b->conf, inc, &grp->st->ctx, &grp->st->result);
        emit_scored(inc, &grp->st->ctx, &grp->st->result, &scored);
        if ((err = codec_encode_scored(b->codec,
                                       b->conf->kafka.output_format[TOPIC_SCORED],
                                       &scored, &b->out, errstr, errstr_size)) ||
            (err = kafka_io_produce(b->kio, TOPIC_SCORED, inc->id, b->out.data,
                                    b->out.len, errstr, errstr_size)))
                return err;
        b->stats.scored++;
        const score_result_t *r = &grp->st->result;
        log_info("scored incident=%s rev=%" PRId64 " status=%s score=%.1f "
                 "level=%d class=%s users=%" PRId64 " accounts=%" PRId64
                 " arr_at_risk=%.0f tickets=%" PRId64 " sentiment=%.2f/%" PRId64
                 " impacted=%zu confidence=%s%s%s%s", inc->id, inc->revision,
                 inc->open ? "OPEN" : "RESOLVED", r->score, r->level,
                 impact_class_name(r->impact_class), scored.affected_users,
                 inc->affected_accounts, inc->arr_at_risk, inc->tickets_total,
                 r->sentiment_mean, inc->sentiment_count, grp->st->ctx.impacted_cnt,
                 confidence_name(r->confidence), grp->tick ? " (re-scored)" : "",
                 r->triage_escalated ? ": " : "", r->level_reason);
        return IMPACTD_OK;
}

/* A dependent new to the radius of an open incident is pointed at it, so
 * its alerts and tickets join this incident instead of opening their own
 * (dependency inhibition).  The alerting services map themselves. */
static bool inhibits(const group_t *grp, const char *service) {
        return grp->st->inc.open && !listed(grp->st->inc.services, grp->st->inc.services_cnt,
                                        service);
}

static bool handed_over(const incident_t *inc, const char *service) {
        for (size_t h = 0; h < inc->handovers_cnt; h++)
                if (!strcmp(inc->handovers[h].service, service))
                        return true;
        return false;
}

/* A changed incident gets its next deadline; a deadline of a resolved
 * one is dropped rather than leased again and again. */
static bool schedules(const group_t *grp) {
        return grp->st->inc.changed || (grp->tick && !grp->st->inc.open);
}

size_t batch_append_after(batch_t *b, group_t *grp) {
        const config_t *conf = b->conf;
        const incident_t *inc = &grp->st->inc;
        int64_t now = inc->last_event_at > b->now ? inc->last_event_at : b->now;
        /* Kept in Redis a little past the window, whose end is judged on
         * the incident clock; at least a second, 0 would mean "forget". */
        int64_t reopen_s = conf->lifecycle.reopen_window_ms / 1000 + 60;
        size_t n = 0;
        if (inc->gone) {
                redis_state_append_schedule(b->rs, grp->id, 0);
                return 1;
        }
        n += batch_append_decide(b, grp);
        size_t held_limit = batch_held_limit(b, b->n_groups);
        for (size_t t = 0; t < inc->new_tickets_cnt; t++, n++)
                redis_state_append_bind(b->rs, inc->new_tickets[t], inc->id,
                                        held_limit);
        if (inc->changed && grp->added_cnt) {
                redis_state_append_impact(b->rs, inc->id, grp->added,
                                          grp->added_cnt);
                n++;
                for (size_t a = 0; a < grp->added_cnt; a++) {
                        if (!inhibits(grp, grp->added[a]))
                                continue;
                        redis_state_append_map(b->rs, grp->added[a], inc->id,
                                               MAP_NX, conf->redis.incident_ttl_s,
                                               now, 0, held_limit);
                        n++;
                }
        }
        /* A resolved incident keeps its services for the reopen window
         * (done again on every apply: a replayed firing alert may have
         * pointed one back at it in the route round); dependents that
         * never alerted are let go at once. */
        for (size_t s = 0; !inc->open && s < inc->services_cnt; s++) {
                if (handed_over(inc, inc->services[s]))
                        continue;
                redis_state_append_map(b->rs, inc->services[s], inc->id,
                                       MAP_EXPIRE, reopen_s,
                                       now, inc->resolved_at +
                                                    conf->lifecycle.reopen_window_ms,
                                       0);
                n++;
        }
        for (size_t s = 0; inc->resolved_now && s < grp->st->ctx.impacted_cnt; s++) {
                if (listed(inc->services, inc->services_cnt, grp->st->ctx.impacted[s]))
                        continue;
                redis_state_append_map(b->rs, grp->st->ctx.impacted[s], inc->id,
                                       MAP_EXPIRE, 0, now, 0, 0);
                n++;
        }
        for (size_t s = 0; inc->reopened && s < inc->services_cnt; s++, n++)
                redis_state_append_map(b->rs, inc->services[s], inc->id,
                                       MAP_KEEP, conf->redis.incident_ttl_s, now, 0,
                                       0);
        /* Dependents still firing when the root's incident resolved take
         * over as incidents of their own: forget the mapping, then open. */
        for (size_t h = 0; !inc->open && h < inc->handovers_cnt; h++) {
                const handover_t *ho = &inc->handovers[h];
                redis_args_t *args = &b->args;
                const char *evid = takeover_event_id(b, inc->id, ho->service);
                const char *cand = evid ? correlate_takeover_incident_id(
                                                  &b->ids, ho->service, evid)
                                        : NULL;
                /* Appended all the same, keeping the replies in step: a
                 * route without a candidate opens nothing. */
                if (!cand)
                        log_error("incident=%s: cannot hand %s over: out of "
                                  "memory", inc->id, ho->service);
                redis_state_append_map(b->rs, ho->service, inc->id, MAP_EXPIRE,
                                       0, now, 0, 0);
                redis_args_reset(args);
                redis_args_addf(args, "F:%s", evid ? evid : "");
                /* Read only for its incident: events held for the
                 * service are released when it is next routed. */
                redis_state_append_route(b->rs, SCOPE_SERVICE, ho->service,
                                         cand, now, args, 1);
                n += 2;
        }
        if (schedules(grp)) {
                redis_state_append_schedule(b->rs, inc->id,
                                            inc->changed ? grp->deadline : 0);
                n++;
        }
        /* Marked done only once Kafka has the scored revision too (see
         * outbox_confirm). */
        if (inc->changed && outbox_scored(b->outbox, inc->id, inc->revision))
                log_error("incident=%s rev=%" PRId64 ": out of memory: a "
                          "replay will score this revision again", inc->id,
                          inc->revision);
        return n;
}

/* Reads a reply like route's and releases any held events it returns
 * into `incident` (another apply round picks them up). */
static impactd_err_t read_release(batch_t *b, const char *name,
                                  const char *incident, route_scope_t scope,
                                  char *errstr, size_t errstr_size) {
        redis_route_reply_t rr;
        impactd_err_t err = redis_state_read_route(b->rs, &rr, errstr, errstr_size);
        if (err || !rr.held_cnt || !rr.incident_id ||
            strcmp(rr.incident_id, incident) != 0)
                return err;
        if ((err = batch_release_held(b, scope, name, incident, &rr)))
                snprintf(errstr, errstr_size, "out of memory");
        return err;
}

/* The first alert of a taken-over service's own incident, from the facts
 * its last alerts reported. */
static impactd_err_t takeover_item(batch_t *b, const incident_t *inc,
                                   const handover_t *ho, const char *incident,
                                   char *errstr, size_t errstr_size) {
        const char *evid = takeover_event_id(b, inc->id, ho->service);
        item_t *it = batch_item_new(b);
        if (!it || !evid)
                goto nomem;
        event_t *ev = &it->ev;
        event_reset(ev, EVENT_ALERT);
        ev->event_id = event_strdup(ev, evid, strlen(evid));
        ev->service = event_strdup(ev, ho->service, strlen(ho->service));
        if (ho->region[0])
                ev->region = event_strdup(ev, ho->region, strlen(ho->region));
        if (!ev->event_id || !ev->service)
                goto nomem;
        ev->has = HAS_STATUS | HAS_OCCURRED_AT;
        ev->u.alert.status = ALERT_FIRING;
        ev->occurred_at = inc->resolved_at;
        if (ho->disruption >= 0 && ho->disruption < DISRUPTION_COUNT) {
                ev->has |= HAS_DISRUPTION;
                ev->u.alert.disruption = (disruption_t)ho->disruption;
        }
        if (ho->affected_users >= 0) {
                ev->has |= HAS_AFFECTED_USERS;
                ev->u.alert.affected_users = ho->affected_users;
        }
        if (ho->slo_burn_rate >= 0) {
                ev->has |= HAS_SLO_BURN_RATE;
                ev->u.alert.slo_burn_rate = ho->slo_burn_rate;
        }
        if (ho->revenue_loss_per_hour >= 0) {
                ev->has |= HAS_REVENUE_LOSS;
                ev->u.alert.revenue_loss_per_hour = ho->revenue_loss_per_hour;
        }
        correlate_plan(ev, &it->plan, errstr, errstr_size);
        /* `incident` is a view into the route reply, gone at the next
         * read. */
        if (!(it->incident = strpool_str(&b->ids, incident)))
                goto nomem;
        log_info("takeover service=%s from incident=%s to incident=%s: still "
                 "firing when its root resolved", ho->service, inc->id, incident);
        return IMPACTD_OK;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        return IMPACTD_ERR_NOMEM;
}

impactd_err_t batch_read_after(batch_t *b, group_t *grp, char *errstr,
                               size_t errstr_size) {
        const incident_t *inc = &grp->st->inc;
        impactd_err_t err = IMPACTD_OK;
        if (inc->gone)
                return redis_state_read_status(b->rs, errstr, errstr_size);
        if ((err = batch_read_decide(b, grp, errstr, errstr_size)))
                return err;
        for (size_t t = 0; t < inc->new_tickets_cnt; t++)
                if ((err = read_release(b, inc->new_tickets[t], inc->id,
                                        SCOPE_TICKET, errstr, errstr_size)))
                        return err;
        if (inc->changed && grp->added_cnt) {
                if ((err = redis_state_read_status(b->rs, errstr, errstr_size)))
                        return err;
                for (size_t a = 0; a < grp->added_cnt; a++) {
                        if (!inhibits(grp, grp->added[a]))
                                continue;
                        if ((err = read_release(b, grp->added[a], inc->id,
                                                SCOPE_SERVICE, errstr,
                                                errstr_size)))
                                return err;
                }
        }
        size_t statuses = 0;
        for (size_t s = 0; !inc->open && s < inc->services_cnt; s++)
                statuses += !handed_over(inc, inc->services[s]);
        for (size_t s = 0; inc->resolved_now && s < grp->st->ctx.impacted_cnt; s++)
                statuses += !listed(inc->services, inc->services_cnt,
                                    grp->st->ctx.impacted[s]);
        if (inc->reopened)
                statuses += inc->services_cnt;
        for (; statuses; statuses--)
                if ((err = redis_state_read_status(b->rs, errstr, errstr_size)))
                        return err;
        for (size_t h = 0; !inc->open && h < inc->handovers_cnt; h++) {
                redis_route_reply_t rr;
                if ((err = redis_state_read_status(b->rs, errstr, errstr_size)) ||
                    (err = redis_state_read_route(b->rs, &rr, errstr, errstr_size)))
                        return err;
                if (rr.incident_id && strcmp(rr.incident_id, inc->id) != 0 &&
                    (err = takeover_item(b, inc, &inc->handovers[h],
                                         rr.incident_id, errstr, errstr_size)))
                        return err;
        }
        if (schedules(grp) &&
            (err = redis_state_read_status(b->rs, errstr, errstr_size)))
                return err;
        if (inc->resolved_now)
                log_info("resolved incident=%s root=%s", inc->id,
                         inc->root_service);
        if (inc->reopened)
                log_info("reopened incident=%s root=%s", inc->id,
                         inc->root_service);
        return IMPACTD_OK;
}
