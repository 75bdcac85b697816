/* After a scored revision: what the escalation policy and the
 * notifications decide on it, stored by compare and set (the Lua function
 * decide) and produced only once stored.  A worker that loses the race to
 * another worker deciding the same incident decides again from the
 * winner's states; one whose revision was overtaken drops its decisions.
 * So each escalation and notification leaves exactly one worker.
 *
 * Outputs are encoded at decision time into the group's buffer: a policy
 * state is large (a few hundred tracked triggers), so it lives once per
 * batch, not per group, and only what must survive the round trip (the
 * encoded messages, their ids and log lines, the new states) is kept. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_internal.h"
#include "failpoint.h"
#include "log.h"

#define DECIDE_RETRIES 8
#define NO_ID          (-2L)

/* Room for the per-incident labels silences match: team, regions. */
#define LABELS_MAX 32

static void dec_reset(decide_t *d) {
        d->outs_cnt = 0;
        d->muted_notes = 0;
        d->paged = false;
        d->next_eval_at = 0;
}

/* Appends a NUL-terminated string; returns its offset or -1. */
static long put_str(batch_t *b, const char *s) {
        size_t off = b->dec.decided.len;
        if (buf_append(&b->dec.decided, s, strlen(s) + 1))
                return -1;
        return (long)off;
}

/* A log line of the decisions, whatever the length of the ids it quotes,
 * in b->dec.line; NULL when out of memory. */
static const char *line_fmt(batch_t *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static const char *line_fmt(batch_t *b, const char *fmt, ...) {
        buf_t *line = &b->dec.line;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line->data, line->cap, fmt, ap);
        va_end(ap);
        if (n < 0)
                return NULL;
        if ((size_t)n >= line->cap) {
                line->len = 0;
                if (buf_reserve(line, (size_t)n + 1))
                        return NULL;
                va_start(ap, fmt);
                vsnprintf(line->data, line->cap, fmt, ap);
                va_end(ap);
        }
        line->len = (size_t)n;
        return line->data;
}

static pending_out_t *new_out(decide_t *d) {
        pending_out_t *o = batch_grow(d->outs, &d->outs_cap, d->outs_cnt + 1,
                                      sizeof(*o));
        if (!o)
                return NULL;
        d->outs = o;
        o = &d->outs[d->outs_cnt++];
        memset(o, 0, sizeof(*o));
        return o;
}

/* Records an output: its id (for the decide call; NULL = none), its
 * encoded bytes (b->out, unless muted) and the log line said once it is
 * stored. */
static int add_out(batch_t *b, decide_t *d, int topic, const char *id,
                   const char *line) {
        pending_out_t *o = new_out(d);
        long id_off, line_off, msg_off = (long)b->dec.decided.len;
        if (!o)
                return -1;
        o->topic = topic;
        if (topic >= 0) {
                if (buf_append(&b->dec.decided, b->out.data, b->out.len))
                        return -1;
                o->msg = (size_t)msg_off;
                o->msg_len = b->out.len;
        }
        if ((id_off = id ? put_str(b, id) : NO_ID) == -1 ||
            (line_off = put_str(b, line)) < 0)
                return -1;
        o->id = id_off;
        o->log = (size_t)line_off;
        return 0;
}

/* Labels a silence may name: the root service's team and every region
 * the incident's alerts or tickets named. */
static size_t incident_labels(const batch_t *b, const group_t *grp,
                              silence_label_t *out) {
        const incident_t *inc = &grp->st->inc;
        const config_service_t *svc = config_service_find(b->conf,
                                                          inc->root_service);
        size_t n = 0;
        if (svc && svc->team)
                out[n++] = (silence_label_t){"team", svc->team};
        for (size_t i = 0; i < inc->region_users_cnt && n < LABELS_MAX; i++)
                out[n++] = (silence_label_t){"region", inc->region_users[i].region};
        for (size_t i = 0; i < inc->segments_cnt && n < LABELS_MAX; i++)
                if (inc->segments[i].kind == SEGMENT_REGION)
                        out[n++] = (silence_label_t){"region",
                                                     inc->segments[i].value};
        return n;
}

static void policy_input(const batch_t *b, const group_t *grp,
                         const silence_label_t *labels, size_t labels_cnt,
                         char *impact, size_t impact_size, policy_input_t *in) {
        const incident_t *inc = &grp->st->inc;
        const score_result_t *r = &grp->st->result;
        memset(in, 0, sizeof(*in));
        in->incident_id = inc->id;
        in->revision = inc->revision;
        in->generation = inc->generation;
        in->open = inc->open;
        in->detected_at = inc->detected_at;
        in->now = grp->st->ctx.now;
        in->level = r->level;
        in->score = r->score;
        in->root_service = inc->root_service;
        in->services = inc->services;
        in->services_cnt = inc->services_cnt;
        in->labels = labels;
        in->labels_cnt = labels_cnt;
        in->sentiment_surge = r->sentiment_surge;
        in->accounts = b->dec.paccts;
        in->accounts_cnt = inc->accounts_cnt;
        in->sla_at_risk = grp->st->ctx.sla.at_risk;
        in->sla_breached = grp->st->ctx.sla.breached;
        in->triage_escalated = r->triage_escalated;
        in->severity_mismatch = r->severity_mismatch;
        in->mismatch_reason = r->mismatch_reason;
        snprintf(impact, impact_size, "%" PRId64 " users (%.0f%%), %" PRId64
                 " accounts, ARR at risk %.0f, %" PRId64 " tickets",
                 inc->affected_users > 0 ? inc->affected_users : 0,
                 r->user_share * 100.0, inc->affected_accounts,
                 inc->arr_at_risk, inc->tickets_total);
        in->impact = impact;
        in->personal_data_at_risk = inc->personal_data_at_risk;
        in->personal_data_at = inc->personal_data_at;
        in->silences = b->silences;
        in->silences_cnt = b->silences_cnt;
}

/* The incident's accounts as both engines take them (views into inc). */
static int fill_accounts(batch_t *b, const incident_t *inc) {
        batch_decide_scratch_t *s = &b->dec;
        size_t n = inc->accounts_cnt;
        policy_account_t *pa = batch_grow(s->paccts, &s->paccts_cap, n + 1,
                                          sizeof(*pa));
        if (!pa)
                return -1;
        s->paccts = pa;
        notify_account_t *na = batch_grow(s->naccts, &s->naccts_cap, n + 1,
                                          sizeof(*na));
        if (!na)
                return -1;
        s->naccts = na;
        for (size_t i = 0; i < n; i++) {
                const incident_account_t *a = &inc->accounts[i];
                pa[i] = (policy_account_t){a->id, a->tier, a->strategic};
                na[i] = (notify_account_t){a->id, a->tier, a->arr, a->strategic,
                                           a->tickets};
        }
        return 0;
}

/* The decision's whole id, in b->dec.esc_id; NULL when out of memory. */
static const char *escalation_id(batch_t *b, const policy_input_t *in,
                                 const policy_decision_t *pd) {
        buf_t *id = &b->dec.esc_id;
        size_t len = policy_escalation_id(in->incident_id, pd, NULL, 0);
        if (id->cap < len + 1) {
                char *p = realloc(id->data, len + 1);
                if (!p)
                        return NULL;
                id->data = p;
                id->cap = len + 1;
        }
        id->len = policy_escalation_id(in->incident_id, pd, id->data, len + 1);
        return id->data;
}

static int escalations(batch_t *b, group_t *grp, const policy_input_t *in,
                       size_t n) {
        decide_t *d = &grp->st->dec;
        const char *line;
        char from[8];
        for (size_t i = 0; i < n; i++) {
                const policy_decision_t *pd = &b->dec.decisions[i];
                const char *id = escalation_id(b, in, pd);
                escalation_t e;
                char errstr[256];
                if (!id)
                        return -1;
                policy_escalation(pd, in, id, &e);
                snprintf(from, sizeof(from), "none");
                if (e.from_level)
                        snprintf(from, sizeof(from), "%d", e.from_level);
                if (pd->muted) {
                        line = line_fmt(b, "muted escalation incident=%s "
                                           "reason=%s target=%s level=%s->%d "
                                           "silence=%s id=%s",
                                        e.incident_id, e.reason, e.target,
                                        from, e.to_level, pd->silence_id, id);
                        if (!line || add_out(b, d, -1, id, line))
                                return -1;
                        continue;
                }
                if (codec_encode_escalation(
                            b->codec,
                            b->conf->kafka.output_format[TOPIC_ESCALATIONS], &e,
                            &b->out, errstr, sizeof(errstr))) {
                        log_error("incident=%s: cannot encode escalation %s: %s",
                                  e.incident_id, e.escalation_id, errstr);
                        continue;
                }
                line = line_fmt(b, "escalation incident=%s level=%s->%d "
                                   "target=%s reason=%s id=%s: %s",
                                e.incident_id, from, e.to_level, e.target,
                                e.reason, e.escalation_id, e.summary);
                if (!line || add_out(b, d, TOPIC_ESCALATIONS, id, line))
                        return -1;
                d->paged = true;
        }
        return 0;
}

/* What a silence does to notifications: while it mutes an open incident,
 * nothing is said and the notify state is left as it was, so what was
 * held back (OPENED, a changed impact) goes out once the window ends and
 * the incident still matters.  Resolution is never muted.  An incident
 * that resolved before anything was announced (inside the debounce, or
 * all of it under a silence) is not announced as resolved either; the
 * accounts that reported tickets still get their follow-ups. */
static bool announced(const notify_state_t *st) {
        return st->opened != 0;
}

static int notifications(batch_t *b, group_t *grp, const notify_state_t *before,
                         bool muted) {
        decide_t *d = &grp->st->dec;
        notify_result_t *res = b->dec.nres;
        const char *line;
        char errstr[256];
        for (size_t i = 0; i < res->cnt; i++) {
                const notification_t *n = &res->items[i];
                if (n->kind == NOTIFY_RESOLVED && !announced(before))
                        continue;
                if (muted) {
                        d->muted_notes++;
                        continue;
                }
                if (codec_encode_notification(
                            b->codec,
                            b->conf->kafka.output_format[TOPIC_NOTIFICATIONS],
                            n, &b->out, errstr, sizeof(errstr))) {
                        log_error("incident=%s: cannot encode notification %s: %s",
                                  n->incident_id, n->notification_id, errstr);
                        continue;
                }
                line = line_fmt(b, "notification incident=%s audience=%s "
                                   "kind=%s%s%s id=%s: %s",
                                n->incident_id, audience_name(n->audience),
                                notify_kind_name(n->kind),
                                n->account_id ? " account=" : "",
                                n->account_id ? n->account_id : "",
                                n->notification_id, n->title);
                if (!line || add_out(b, d, TOPIC_NOTIFICATIONS,
                                     n->notification_id, line))
                        return -1;
        }
        return 0;
}

static void earliest(int64_t *best, int64_t at) {
        if (at > 0 && (!*best || at < *best))
                *best = at;
}

/* Decides on the group's revision from the given states; fills grp->st->dec.
 * Returns 1 when there is something to store, 0 when nothing changed,
 * -1 when out of memory. */
static int evaluate(batch_t *b, group_t *grp, const char *policy_s,
                    const char *notify_s) {
        batch_decide_scratch_t *s = &b->dec;
        decide_t *d = &grp->st->dec;
        const incident_t *inc = &grp->st->inc;
        silence_label_t labels[LABELS_MAX];
        char impact[160];
        policy_input_t pin;
        notify_input_t nin;
        notify_state_t nst, nbefore;
        char errstr[256];
        dec_reset(d);
        if (fill_accounts(b, inc))
                return -1;
        policy_input(b, grp, labels, incident_labels(b, grp, labels), impact,
                     sizeof(impact), &pin);
        if (policy_state_parse(policy_s, s->pst, errstr, sizeof(errstr))) {
                log_error("incident=%s: stored policy state unreadable (%s): "
                          "deciding from a fresh one", inc->id, errstr);
                policy_state_init(s->pst);
        }
        if (notify_state_parse(notify_s, &nst, errstr, sizeof(errstr))) {
                log_error("incident=%s: stored notify state unreadable (%s): "
                          "deciding from a fresh one", inc->id, errstr);
                memset(&nst, 0, sizeof(nst));
        }
        nbefore = nst;
        size_t n = policy_evaluate(&b->conf->policy, &pin, s->pst, s->decisions,
                                   POLICY_MAX_DECISIONS, &d->next_eval_at);
        if (s->pst->untracked)
                log_warn("incident=%s: %zu escalations not paged: the policy "
                         "state is full (%d triggers tracked)", inc->id,
                         s->pst->untracked, POLICY_STATE_MAX);
        if (escalations(b, grp, &pin, n))
                return -1;
        /* Notifications wait for the debounce like pages do; resolution
         * is always evaluated. */
        const silence_t *sil = inc->open ? policy_silence(&pin) : NULL;
        if (!inc->open || s->pst->debounced) {
                notify_input_from(&nin, b->conf, inc, &grp->st->ctx, &grp->st->result,
                                  s->naccts, inc->accounts_cnt);
                notify_state_t trial = nst;
                if (notify_evaluate(&b->conf->notify, &nin, sil ? &trial : &nst,
                                    s->nres, errstr, sizeof(errstr))) {
                        log_error("incident=%s: %s", inc->id, errstr);
                        return -1;
                }
                if (s->nres->accounts_dropped)
                        log_warn("incident=%s: %zu key accounts get no account "
                                 "notifications: more than %d", inc->id,
                                 s->nres->accounts_dropped,
                                 NOTIFY_STATE_ACCOUNTS_MAX);
                if (notifications(b, grp, &nbefore, sil != NULL))
                        return -1;
                if (sil && d->muted_notes) {
                        const char *line = line_fmt(
                                b, "muted notifications incident=%s rev=%" PRId64
                                   " count=%zu silence=%s: held back until "
                                   "the window ends",
                                inc->id, inc->revision, d->muted_notes, sil->id);
                        if (!line || add_out(b, d, -1, NULL, line))
                                return -1;
                }
                if (sil)
                        earliest(&d->next_eval_at, sil->ends_at);
        }
        int pl = policy_state_format(s->pst, s->state_str, POLICY_STATE_STR_MAX);
        long p_off = pl < 0 ? -1 : put_str(b, s->state_str);
        char nbuf[NOTIFY_STATE_MAX];
        long n_off = put_str(b, notify_state_format(&nst, nbuf, sizeof(nbuf)));
        if (p_off < 0 || n_off < 0)
                return -1;
        d->policy_out = (size_t)p_off;
        d->notify_out = (size_t)n_off;
        const char *base = b->dec.decided.data;
        if (!d->outs_cnt && !strcmp(base + p_off, policy_s) &&
            !strcmp(base + n_off, notify_s))
                return 0;
        return 1;
}

static void append_decide(batch_t *b, group_t *grp) {
        decide_t *d = &grp->st->dec;
        batch_decide_scratch_t *s = &b->dec;
        const char *base = s->decided.data;
        redis_output_t *ro = batch_grow(s->routs, &s->routs_cap,
                                        d->outs_cnt + 1, sizeof(*ro));
        size_t n = 0;
        bool produced = false;
        if (ro) {
                s->routs = ro;
                /* Muted ones are recorded too: a replay must not page them
                 * either. */
                for (size_t i = 0; i < d->outs_cnt; i++) {
                        const pending_out_t *o = &d->outs[i];
                        if (o->id == NO_ID)
                                continue;
                        ro[n] = (redis_output_t){base + o->id, 0, "", 0};
                        if (o->topic >= 0) {
                                ro[n].topic = o->topic == TOPIC_ESCALATIONS ? 'e' : 'n';
                                ro[n].bytes = base + o->msg;
                                ro[n].len = o->msg_len;
                                produced = true;
                        }
                        n++;
                }
        }
        /* Indexed first: a worker dying after the decide leaves an outbox
         * that others can find. */
        d->marked = produced;
        if (produced)
                redis_state_append_outbox_mark(b->rs, grp->st->inc.id,
                                               outbox_orphan_at(b->outbox));
        redis_state_append_decide(b->rs, grp->st->inc.id, d->version,
                                  grp->st->inc.revision, base + d->policy_out,
                                  base + d->notify_out,
                                  grp->st->inc.last_event_at, d->paged, s->routs, n);
}

size_t batch_append_decide(batch_t *b, group_t *grp) {
        decide_t *d = &grp->st->dec;
        const incident_t *inc = &grp->st->inc;
        d->state = DECIDE_NONE;
        d->retries = 0;
        if (!inc->changed || inc->gone)
                return 0;
        d->version = inc->decide_v;
        int rc = evaluate(b, grp, inc->policy_state ? inc->policy_state : "",
                          inc->notify_state ? inc->notify_state : "");
        if (rc < 0) {
                log_error("incident=%s rev=%" PRId64 ": out of memory deciding "
                          "escalations; the next revision decides", inc->id,
                          inc->revision);
                return 0;
        }
        earliest(&grp->deadline, d->next_eval_at);
        if (!rc)
                return 0;
        append_decide(b, grp);
        d->state = DECIDE_PENDING;
        return 1;
}

static impactd_err_t produce(batch_t *b, group_t *grp, char *errstr,
                             size_t errstr_size) {
        decide_t *d = &grp->st->dec;
        const char *base = b->dec.decided.data;
        for (size_t i = 0; i < d->outs_cnt; i++) {
                const pending_out_t *o = &d->outs[i];
                const char *line = base + o->log;
                if (o->topic < 0) {
                        if (o->id != NO_ID)
                                b->stats.muted++;
                        else
                                b->stats.muted_notifications += d->muted_notes;
                        log_info("%s", line);
                        continue;
                }
                impactd_err_t err = kafka_io_produce(
                        b->kio, (topic_role_t)o->topic, grp->st->inc.id,
                        base + o->msg, o->msg_len, errstr, errstr_size);
                if (err)
                        return err;
                if (outbox_sent(b->outbox, grp->st->inc.id, base + o->id))
                        log_error("incident=%s: out of memory: output %s stays "
                                  "in the outbox and goes out again later",
                                  grp->st->inc.id, base + o->id);
                if (o->topic == TOPIC_ESCALATIONS) {
                        b->stats.escalations++;
                        log_warn("%s", line);
                } else {
                        b->stats.notifications++;
                        log_info("%s", line);
                }
        }
        return IMPACTD_OK;
}

impactd_err_t batch_read_decide(batch_t *b, group_t *grp, char *errstr,
                                size_t errstr_size) {
        decide_t *d = &grp->st->dec;
        redis_decide_reply_t r;
        long long marked;
        if (d->state != DECIDE_PENDING)
                return IMPACTD_OK;
        impactd_err_t err = IMPACTD_OK;
        if ((d->marked && (err = redis_state_read_integer(b->rs, &marked, errstr,
                                                          errstr_size))) ||
            (err = redis_state_read_decide(b->rs, &r, errstr, errstr_size)))
                return err;
        d->state = DECIDE_NONE;
        if (r.stored)
                FAILPOINT("decide.kill");
        if (r.stored)
                return produce(b, grp, errstr, errstr_size);
        if (r.superseded) {
                log_info("incident=%s rev=%" PRId64 ": decided already, or a "
                         "later revision was: its decisions stand",
                         grp->st->inc.id, grp->st->inc.revision);
                return IMPACTD_OK;
        }
        /* Another worker decided in between: decide again from its states. */
        log_info("incident=%s rev=%" PRId64 ": another worker decided first "
                 "(version %" PRId64 "); deciding again", grp->st->inc.id,
                 grp->st->inc.revision, r.version);
        b->stats.decide_races++;
        free(d->policy_in);
        free(d->notify_in);
        d->policy_in = strdup(r.policy_state);
        d->notify_in = strdup(r.notify_state);
        if (!d->policy_in || !d->notify_in) {
                snprintf(errstr, errstr_size, "out of memory");
                return IMPACTD_ERR_NOMEM;
        }
        d->version = r.version;
        d->state = DECIDE_RETRY;
        return IMPACTD_OK;
}

impactd_err_t batch_decide_retries(batch_t *b, size_t lo, size_t hi,
                                   char *errstr, size_t errstr_size) {
        for (int round = 0; round < DECIDE_RETRIES; round++) {
                size_t n = 0;
                for (size_t g = lo; g < hi; g++) {
                        group_t *grp = &b->groups[g];
                        decide_t *d = &grp->st->dec;
                        if (d->state != DECIDE_RETRY)
                                continue;
                        d->state = DECIDE_NONE;
                        d->retries++;
                        int rc = evaluate(b, grp, d->policy_in, d->notify_in);
                        if (rc < 0) {
                                snprintf(errstr, errstr_size, "out of memory");
                                return IMPACTD_ERR_NOMEM;
                        }
                        if (!rc)
                                continue;
                        append_decide(b, grp);
                        d->state = DECIDE_PENDING;
                        n++;
                }
                if (!n)
                        return IMPACTD_OK;
                b->stats.redis_rounds++;
                for (size_t g = lo; g < hi; g++) {
                        impactd_err_t err = batch_read_decide(b, &b->groups[g],
                                                              errstr, errstr_size);
                        if (err)
                                return err;
                }
        }
        for (size_t g = lo; g < hi; g++) {
                decide_t *d = &b->groups[g].st->dec;
                if (d->state != DECIDE_RETRY)
                        continue;
                d->state = DECIDE_NONE;
                log_warn("incident=%s rev=%" PRId64 ": lost the decision race "
                         "%d times; the next revision decides",
                         b->groups[g].st->inc.id, b->groups[g].st->inc.revision,
                         DECIDE_RETRIES);
        }
        return IMPACTD_OK;
}

void batch_append_silences(batch_t *b) {
        redis_state_append_silences(b->rs);
}

impactd_err_t batch_read_silences(batch_t *b, char *errstr,
                                  size_t errstr_size) {
        size_t invalid, before = b->silences_cnt;
        impactd_err_t err = redis_state_read_silences(
                b->rs, &b->silences, b->conf->silences_cnt, &b->silences_cnt,
                &b->silences_cap, &invalid, errstr, errstr_size);
        if (err)
                return err;
        /* Said when it changes, not every batch. */
        if (b->silences_cnt != before)
                log_info("silences in force: %zu from the config, %zu set at "
                         "run time", b->conf->silences_cnt,
                         b->silences_cnt - b->conf->silences_cnt);
        if (invalid != b->silences_invalid)
                log_warn("%zu entries of %s:silences are not silences; "
                         "ignored (impactd silence list shows the valid ones)",
                         invalid, b->conf->redis.key_prefix);
        b->silences_invalid = invalid;
        return IMPACTD_OK;
}

impactd_err_t batch_decide_init(batch_t *b, char *errstr, size_t errstr_size) {
        batch_decide_scratch_t *s = &b->dec;
        const config_t *conf = b->conf;
        s->pst = malloc(sizeof(*s->pst));
        s->decisions = calloc(POLICY_MAX_DECISIONS, sizeof(*s->decisions));
        s->state_str = malloc(POLICY_STATE_STR_MAX);
        s->nres = notify_result_new();
        b->silences = calloc(conf->silences_cnt + 1, sizeof(*b->silences));
        if (!s->pst || !s->decisions || !s->state_str || !s->nres ||
            !b->silences) {
                snprintf(errstr, errstr_size, "out of memory");
                return IMPACTD_ERR_NOMEM;
        }
        b->silences_cap = conf->silences_cnt + 1;
        if (conf->silences_cnt)
                memcpy(b->silences, conf->silences,
                       conf->silences_cnt * sizeof(*b->silences));
        b->silences_cnt = conf->silences_cnt;
        return IMPACTD_OK;
}

void batch_decide_free(batch_t *b) {
        batch_decide_scratch_t *s = &b->dec;
        free(s->pst);
        free(s->decisions);
        free(s->state_str);
        notify_result_destroy(s->nres);
        free(s->paccts);
        free(s->naccts);
        free(s->routs);
        buf_free(&s->decided);
        buf_free(&s->esc_id);
        buf_free(&s->line);
        free(b->silences);
        for (size_t g = 0; g < b->cap_states; g++) {
                decide_t *d = &b->states[g].dec;
                free(d->outs);
                free(d->policy_in);
                free(d->notify_in);
        }
}
