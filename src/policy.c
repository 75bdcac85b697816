/* The escalation policy: triggers, debounce, cooldown and bypass, silences.
 * See include/policy.h and docs/escalation-policy.md, which states every
 * rule implemented here. */
#include "policy.h"

#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "pct.h"

#define HOUR_MS 3600000LL

static const char *const trigger_names[TRIGGER_KIND_COUNT] = {
        [TRIGGER_LEVEL] = "level",
        [TRIGGER_SENTIMENT_SURGE] = "sentiment_surge",
        [TRIGGER_KEY_ACCOUNT] = "key_account",
        [TRIGGER_SLA_AT_RISK] = "sla_at_risk",
        [TRIGGER_SLA_BREACHED] = "sla_breached",
        [TRIGGER_TRIAGE_TIMEOUT] = "triage_timeout",
        [TRIGGER_SEVERITY_MISMATCH] = "severity_mismatch",
        [TRIGGER_PERSONAL_DATA] = "personal_data",
};

const char *trigger_kind_name(trigger_kind_t t) {
        return (unsigned)t < TRIGGER_KIND_COUNT ? trigger_names[t] : NULL;
}

int trigger_kind_parse(const char *s, trigger_kind_t *out) {
        for (int t = 0; t < TRIGGER_KIND_COUNT; t++) {
                if (!strcmp(s, trigger_names[t])) {
                        *out = (trigger_kind_t)t;
                        return 0;
                }
        }
        return -1;
}

bool policy_role_valid(const char *role) {
        size_t n = strlen(role);

        if (n == 0 || n >= POLICY_ROLE_MAX)
                return false;
        for (const char *p = role; *p; p++)
                if (!pct_safe((unsigned char)*p) || *p == '@')
                        return false;
        return true;
}

static void roles_set(policy_roles_t *r, const char *a, const char *b) {
        memset(r, 0, sizeof(*r));
        if (a)
                snprintf(r->role[r->cnt++], POLICY_ROLE_MAX, "%s", a);
        if (b)
                snprintf(r->role[r->cnt++], POLICY_ROLE_MAX, "%s", b);
}

void policy_config_defaults(policy_config_t *pc) {
        memset(pc, 0, sizeof(*pc));
        pc->group_wait_ms = 30 * 1000;
        /* One hour: long enough that a level flapping around a threshold
         * (score noise, a burst of tickets) pages a responder once, short
         * enough that a problem that comes back after a real recovery is
         * paged again the same shift. */
        pc->repeat_interval_ms = HOUR_MS;
        pc->regulator_deadline_h = 72; /* GDPR art. 33 */
        roles_set(&pc->level[1], "incident_commander", NULL);
        roles_set(&pc->level[2], "incident_commander", NULL);
        roles_set(&pc->level[3], "on_call_engineer", NULL);
        roles_set(&pc->level[4], "service_owner", NULL);
        roles_set(&pc->level[5], NULL, NULL); /* minor: nobody is woken */
        roles_set(&pc->targets[TRIGGER_SENTIMENT_SURGE], "senior_support_lead",
                  NULL);
        roles_set(&pc->targets[TRIGGER_KEY_ACCOUNT], "account_manager", NULL);
        roles_set(&pc->targets[TRIGGER_SLA_AT_RISK], "incident_commander",
                  "account_manager");
        roles_set(&pc->targets[TRIGGER_SLA_BREACHED], "incident_commander",
                  "account_manager");
        /* Triage is the on-call engineer's job; the incident commander
         * hears of it through the level the triage clock raised. */
        roles_set(&pc->targets[TRIGGER_TRIAGE_TIMEOUT], "on_call_engineer",
                  NULL);
        roles_set(&pc->targets[TRIGGER_SEVERITY_MISMATCH], "incident_commander",
                  NULL);
        roles_set(&pc->targets[TRIGGER_PERSONAL_DATA], "compliance", NULL);
}

const policy_roles_t *policy_targets(const policy_config_t *pc,
                                     trigger_kind_t t, int level) {
        if (t == TRIGGER_LEVEL)
                return level >= 1 && level <= POLICY_LEVELS ? &pc->level[level]
                                                            : NULL;
        return (unsigned)t < TRIGGER_KIND_COUNT ? &pc->targets[t] : NULL;
}

/* ---- keys ---- */

/* A trigger key as it appears in ids and the state: percent-encoded, or,
 * when that is too long (an account id of some 90 bytes or more), "~" and
 * the first 128 bits of its SHA-256 in hex.  "~" is never produced by the
 * encoding, so the two cannot meet; and no two account ids share a hash
 * that anyone can find, so one account's page never stands for another's.
 * Ids before this used 64 bits of FNV-1a, which can be made to collide:
 * an incident open across the upgrade pages a long key account's manager
 * once more. */
static void key_encode(const char *raw, char *out) {
        static const char hex[] = "0123456789abcdef";
        unsigned char md[SHA256_DIGEST_LENGTH];

        if (pct_encode(raw, out, POLICY_KEY_MAX) >= 0)
                return;
        SHA256((const unsigned char *)raw, strlen(raw), md);
        out[0] = '~';
        for (int i = 0; i < 16; i++) {
                out[1 + 2 * i] = hex[md[i] >> 4];
                out[2 + 2 * i] = hex[md[i] & 15];
        }
        out[33] = '\0';
}

static bool key_valid(const char *k) {
        size_t n = strlen(k);

        if (n == 0 || n >= POLICY_KEY_MAX)
                return false;
        for (const char *p = k; *p; p++)
                if (!pct_safe((unsigned char)*p) && *p != '%' && *p != '~')
                        return false;
        return true;
}

/* ---- state ---- */

void policy_state_init(policy_state_t *st) {
        memset(st, 0, sizeof(*st));
        st->last_level = POLICY_NO_LEVEL;
        st->max_paged = POLICY_NO_LEVEL;
}

int policy_state_format(const policy_state_t *st, char *buf, size_t size) {
        size_t len = 0;
        int n = snprintf(buf, size, "v1|%d|%d|%d", st->debounced ? 1 : 0,
                         st->last_level, st->max_paged);

        if (n < 0 || (size_t)n >= size)
                return -1;
        len = (size_t)n;
        for (size_t i = 0; i < st->cnt; i++) {
                const policy_entry_t *e = &st->entries[i];

                n = snprintf(buf + len, size - len,
                             "|%s,%s,%s,%" PRIu32 ",%" PRId64 ",%s%s",
                             trigger_kind_name(e->trigger), e->key, e->target,
                             e->seq, e->last_at, e->active ? "a" : "",
                             e->muted ? "m" : "");
                if (n < 0 || (size_t)n >= size - len)
                        return -1;
                len += (size_t)n;
        }
        return (int)len;
}

/* A decimal integer of `len` bytes in [min, max]. */
static bool parse_num(const char *s, size_t len, int64_t min, int64_t max,
                      int64_t *out) {
        int64_t v = 0;

        if (len == 0 || len > 19)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return v >= min && v <= max;
}

/* Copies field `i` of the comma-separated `s` (length `len`) into `out`. */
static bool field(const char *s, size_t len, int i, char *out, size_t size) {
        const char *end = s + len;

        for (; i > 0 && s < end; i--) {
                const char *c = memchr(s, ',', (size_t)(end - s));

                if (!c)
                        return false;
                s = c + 1;
        }
        const char *c = memchr(s, ',', (size_t)(end - s));
        size_t n = (size_t)((c ? c : end) - s);

        if (i > 0 || n >= size)
                return false;
        memcpy(out, s, n);
        out[n] = '\0';
        return true;
}

static const char *parse_entry(const char *s, size_t len, policy_entry_t *e) {
        char f[6][POLICY_KEY_MAX];
        int64_t v;
        size_t commas = 0;

        for (size_t i = 0; i < len; i++)
                commas += s[i] == ',';
        if (commas != 5)
                return "an entry has 6 fields";
        for (int i = 0; i < 6; i++)
                if (!field(s, len, i, f[i], sizeof(f[i])))
                        return "field too long";
        memset(e, 0, sizeof(*e));
        if (trigger_kind_parse(f[0], &e->trigger))
                return "unknown trigger";
        if (!key_valid(f[1]))
                return "bad trigger key";
        if (!policy_role_valid(f[2]))
                return "bad target";
        strcpy(e->key, f[1]);
        strcpy(e->target, f[2]);
        if (!parse_num(f[3], strlen(f[3]), 1, UINT32_MAX, &v))
                return "bad sequence";
        e->seq = (uint32_t)v;
        if (!parse_num(f[4], strlen(f[4]), 0, INT64_MAX, &e->last_at))
                return "bad time";
        if (strcmp(f[5], "") && strcmp(f[5], "a") && strcmp(f[5], "am") &&
            strcmp(f[5], "m"))
                return "bad flags";
        e->active = strchr(f[5], 'a') != NULL;
        e->muted = strchr(f[5], 'm') != NULL;
        return NULL;
}

static policy_entry_t *entry_find(policy_state_t *st, trigger_kind_t t,
                                  const char *key, const char *target) {
        for (size_t i = 0; i < st->cnt; i++) {
                policy_entry_t *e = &st->entries[i];

                if (e->trigger == t && !strcmp(e->key, key) &&
                    !strcmp(e->target, target))
                        return e;
        }
        return NULL;
}

static const char *parse_header(const char *s, size_t len, policy_state_t *st) {
        int64_t d, last, max;

        if (len != 8 || memcmp(s, "v1|", 3) || s[4] != '|' || s[6] != '|' ||
            !parse_num(s + 3, 1, 0, 1, &d) ||
            !parse_num(s + 5, 1, 1, POLICY_NO_LEVEL, &last) ||
            !parse_num(s + 7, 1, 1, POLICY_NO_LEVEL, &max))
                return "expected v1|<debounced>|<last level>|<max paged>";
        st->debounced = d;
        st->last_level = (int)last;
        st->max_paged = (int)max;
        return NULL;
}

impactd_err_t policy_state_parse(const char *s, policy_state_t *st,
                                 char *errstr, size_t errstr_size) {
        const char *why = NULL, *p;
        size_t len;

        policy_state_init(st);
        if (!s || !*s)
                return IMPACTD_OK;
        /* The header is 8 bytes: one digit per number. */
        why = strlen(s) < 8 || (s[8] && s[8] != '|')
                      ? "expected v1|<debounced>|<last level>|<max paged>"
                      : parse_header(s, 8, st);
        for (p = s + 8; !why && *p; p += len) {
                policy_entry_t e;

                p++; /* the '|' */
                len = strcspn(p, "|");
                if (st->cnt >= POLICY_STATE_MAX)
                        why = "too many entries";
                else if (!(why = parse_entry(p, len, &e)) &&
                         entry_find(st, e.trigger, e.key, e.target))
                        why = "duplicate entry";
                else if (!why)
                        st->entries[st->cnt++] = e;
        }
        if (!why)
                return IMPACTD_OK;
        snprintf(errstr, errstr_size, "bad policy state '%.60s%s': %s", s,
                 strlen(s) > 60 ? "..." : "", why);
        policy_state_init(st);
        return IMPACTD_ERR_INVALID;
}

/* ---- evaluation ---- */

/* One call of policy_evaluate(). */
typedef struct eval {
        const policy_config_t *pc;
        const policy_input_t *in;
        policy_state_t *st;
        policy_decision_t *out;
        size_t max, n;
        int64_t *next;
        bool deferred;               /* a decision found no room in `out` */
        const silence_t *silence;    /* muting the incident now; NULL = none */
        bool seen[POLICY_STATE_MAX]; /* entries whose condition holds */
} eval_t;

static void next_at(eval_t *ev, int64_t at) {
        if (at > 0 && (!*ev->next || at < *ev->next))
                *ev->next = at;
}

static const silence_t *silence_for(const policy_input_t *in,
                                    const char *service) {
        for (size_t i = 0; i < in->silences_cnt; i++)
                if (silence_matches(&in->silences[i], service, in->labels,
                                    in->labels_cnt, in->now))
                        return &in->silences[i];
        return NULL;
}

/* The silence muting the incident: one on its root service (its
 * dependents' alerts are consequences of the root's maintenance), or,
 * before a root is known, one on every service that alerted (a single
 * service outside any window is enough to page). */
const silence_t *policy_silence(const policy_input_t *in) {
        const silence_t *first = NULL, *s;

        if (in->root_service && *in->root_service)
                return silence_for(in, in->root_service);
        for (size_t i = 0; i < in->services_cnt; i++) {
                if (!(s = silence_for(in, in->services[i])))
                        return NULL;
                first = first ? first : s;
        }
        return first;
}

static policy_decision_t *decide(eval_t *ev, policy_entry_t *e) {
        policy_decision_t *d = &ev->out[ev->n++];

        e->seq++;
        e->last_at = ev->in->now;
        e->active = true;
        e->muted = ev->silence != NULL;
        memset(d, 0, sizeof(*d));
        snprintf(d->id_suffix, sizeof(d->id_suffix), "%s:%s:%s:%" PRIu32,
                 trigger_kind_name(e->trigger), e->key, e->target, e->seq);
        d->generation = ev->in->generation;
        d->trigger = e->trigger;
        strcpy(d->key, e->key);
        strcpy(d->target, e->target);
        d->seq = e->seq;
        d->to_level = ev->in->level;
        d->tier = TIER_NONE;
        if (e->muted) {
                d->muted = true;
                snprintf(d->silence_id, sizeof(d->silence_id), "%s",
                         ev->silence->id);
                next_at(ev, ev->silence->ends_at);
        }
        return d;
}

/* The condition of (t, key, target) holds now.  It fires on a rising edge
 * (when `edge_ok`) unless it fired within the cooldown (and not
 * `bypass`), or when it fired muted, has held since, and no silence
 * mutes it any more.  A muted fire paged nobody, so it starts no
 * cooldown: the next rising edge fires again.  Returns the decision, or
 * NULL. */
static policy_decision_t *visit(eval_t *ev, trigger_kind_t t, const char *key,
                                const char *target, bool edge_ok, bool bypass) {
        policy_state_t *st = ev->st;
        policy_entry_t *e = entry_find(st, t, key, target);
        size_t i = e ? (size_t)(e - st->entries) : st->cnt;
        bool fire;

        if (e && ev->seen[i])
                return NULL; /* the same key twice in the input */
        if (!e || !e->active)
                fire = edge_ok &&
                       (!e || bypass || e->muted ||
                        ev->in->now >= e->last_at + ev->pc->repeat_interval_ms);
        else
                fire = e->muted && !ev->silence;
        if (e)
                ev->seen[i] = true;
        if (fire && ev->n >= ev->max) { /* next call: the same edge again */
                ev->deferred = true;
                next_at(ev, ev->in->now);
                return NULL;
        }
        if (!fire) {
                if (e && e->active && e->muted)
                        next_at(ev, ev->silence->ends_at);
                if (e)
                        e->active = true; /* an edge inside the cooldown */
                return NULL;
        }
        if (!e) {
                if (st->cnt >= POLICY_STATE_MAX) {
                        st->untracked++;
                        return NULL;
                }
                e = &st->entries[st->cnt++];
                memset(e, 0, sizeof(*e));
                e->trigger = t;
                strcpy(e->key, key);
                snprintf(e->target, sizeof(e->target), "%s", target);
                ev->seen[i] = true;
        }
        return decide(ev, e);
}

static const char *subject(const policy_input_t *in) {
        return in->root_service && *in->root_service ? in->root_service
                                                     : in->incident_id;
}

static void eval_level(eval_t *ev) {
        const policy_input_t *in = ev->in;
        policy_state_t *st = ev->st;
        int lvl = in->level, prev = st->last_level;
        bool bypass = lvl < st->max_paged, fired = false;
        bool deferred = ev->deferred;
        char key[2] = {(char)('0' + lvl), '\0'}, from[24];

        if (lvl < 1 || lvl > POLICY_LEVELS)
                return;
        for (size_t i = 0; i < ev->pc->level[lvl].cnt; i++) {
                policy_decision_t *d =
                        visit(ev, TRIGGER_LEVEL, key,
                              ev->pc->level[lvl].role[i], lvl < prev, bypass);

                if (!d)
                        continue;
                /* A muted page raised nobody: a later unmuted one of
                 * this level is still "more severe than any paged". */
                fired = fired || !d->muted;
                d->from_level = prev <= POLICY_LEVELS ? prev : 0;
                from[0] = '\0';
                if (prev <= POLICY_LEVELS && prev > lvl)
                        snprintf(from, sizeof(from), ", up from %d", prev);
                snprintf(d->summary, sizeof(d->summary),
                         "%s: level %d (score %.1f)%s%s%s", subject(in), lvl,
                         in->score, from, in->impact ? "; " : "",
                         in->impact ? in->impact : "");
        }
        if (fired && lvl < st->max_paged)
                st->max_paged = lvl;
        /* A deferred role must see the same rising edge next call. */
        if (ev->deferred == deferred)
                st->last_level = lvl;
}

/* The ids of the affected accounts of `tier`, for the SLA summary. */
static void accounts_of_tier(const policy_input_t *in, customer_tier_t tier,
                             char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < in->accounts_cnt && len < size; i++) {
                const policy_account_t *a = &in->accounts[i];
                int n;

                if (a->tier != tier || !a->id || !*a->id)
                        continue;
                n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
                             a->id);
                len += n > 0 ? (size_t)n : 0;
        }
}

static void summarize(const eval_t *ev, policy_decision_t *d) {
        const policy_input_t *in = ev->in;
        const char *subj = subject(in), *tier = customer_tier_name(d->tier);
        char extra[POLICY_SUMMARY_MAX / 2] = "";

        switch (d->trigger) {
        case TRIGGER_SENTIMENT_SURGE:
                snprintf(d->summary, sizeof(d->summary),
                         "%s: surge of negative customer sentiment (level %d)",
                         subj, in->level);
                break;
        case TRIGGER_KEY_ACCOUNT:
                snprintf(d->summary, sizeof(d->summary),
                         "%s: key account %s affected (level %d)", subj,
                         d->account_id, in->level);
                break;
        case TRIGGER_SLA_AT_RISK:
        case TRIGGER_SLA_BREACHED:
                accounts_of_tier(in, d->tier, extra, sizeof(extra));
                snprintf(d->summary, sizeof(d->summary), "%s: %s SLA %s%s%s%s",
                         subj, tier ? tier : "?",
                         d->trigger == TRIGGER_SLA_AT_RISK ? "at risk"
                                                           : "breached",
                         *extra ? " (accounts: " : "", extra,
                         *extra ? ")" : "");
                break;
        case TRIGGER_TRIAGE_TIMEOUT:
                snprintf(d->summary, sizeof(d->summary),
                         "%s: not enough signal to score since detection; "
                         "raised to level %d by the triage clock",
                         subj, in->level);
                break;
        case TRIGGER_SEVERITY_MISMATCH:
                if (in->mismatch_reason && *in->mismatch_reason)
                        snprintf(d->summary, sizeof(d->summary), "%s: %s",
                                 subj, in->mismatch_reason);
                else
                        snprintf(d->summary, sizeof(d->summary),
                                 "%s: declared severity does not match the "
                                 "computed impact (level %d)",
                                 subj, in->level);
                break;
        case TRIGGER_PERSONAL_DATA:
                silence_time_format(d->deadline_at, extra, sizeof(extra));
                snprintf(d->summary, sizeof(d->summary),
                         "%s: personal data at risk; notify the regulator by "
                         "%s (%" PRId64 " h)",
                         subj, extra, ev->pc->regulator_deadline_h);
                break;
        default: break;
        }
}

/* Every role of trigger `t` for the condition `raw_key` that holds now. */
static void eval_trigger(eval_t *ev, trigger_kind_t t, const char *raw_key,
                         const char *account_id, customer_tier_t tier) {
        const policy_roles_t *r = &ev->pc->targets[t];
        const policy_input_t *in = ev->in;
        char key[POLICY_KEY_MAX];

        key_encode(raw_key, key);
        for (size_t i = 0; i < r->cnt; i++) {
                policy_decision_t *d =
                        visit(ev, t, key, r->role[i], true, false);

                if (!d)
                        continue;
                d->account_id = account_id;
                d->tier = tier;
                if (t == TRIGGER_PERSONAL_DATA) {
                        int64_t from = in->personal_data_at > 0
                                               ? in->personal_data_at
                                       : in->detected_at > 0 ? in->detected_at
                                                             : in->now;

                        d->deadline_at =
                                from + ev->pc->regulator_deadline_h * 3600000;
                }
                summarize(ev, d);
        }
}

static void eval_triggers(eval_t *ev) {
        const policy_input_t *in = ev->in;

        if (in->sentiment_surge)
                eval_trigger(ev, TRIGGER_SENTIMENT_SURGE, "-", NULL, TIER_NONE);
        for (size_t i = 0; i < in->accounts_cnt; i++) {
                const policy_account_t *a = &in->accounts[i];

                if (a->id && *a->id &&
                    (a->tier == TIER_ENTERPRISE || a->strategic))
                        eval_trigger(ev, TRIGGER_KEY_ACCOUNT, a->id, a->id,
                                     a->tier);
        }
        for (int t = TIER_FREE; t < TIER_COUNT; t++) {
                const char *name = customer_tier_name((customer_tier_t)t);

                if (in->sla_at_risk & (1u << t))
                        eval_trigger(ev, TRIGGER_SLA_AT_RISK, name, NULL,
                                     (customer_tier_t)t);
                if (in->sla_breached & (1u << t))
                        eval_trigger(ev, TRIGGER_SLA_BREACHED, name, NULL,
                                     (customer_tier_t)t);
        }
        if (in->triage_escalated)
                eval_trigger(ev, TRIGGER_TRIAGE_TIMEOUT, "-", NULL, TIER_NONE);
        if (in->severity_mismatch)
                eval_trigger(ev, TRIGGER_SEVERITY_MISMATCH, "-", NULL,
                             TIER_NONE);
        if (in->personal_data_at_risk)
                eval_trigger(ev, TRIGGER_PERSONAL_DATA, "-", NULL, TIER_NONE);
}

size_t policy_evaluate(const policy_config_t *pc, const policy_input_t *in,
                       policy_state_t *st, policy_decision_t *out, size_t max,
                       int64_t *next_eval_at) {
        eval_t ev = {.pc = pc,
                     .in = in,
                     .st = st,
                     .out = out,
                     .max = max,
                     .next = next_eval_at};

        *next_eval_at = 0;
        st->untracked = 0;
        if (in->open && !st->debounced) {
                int64_t end = in->detected_at + pc->group_wait_ms;

                /* Nothing is decided during the wait: the triggers that hold
                 * at its end fire then, so related signals and an upstream
                 * root can join first. */
                if (in->detected_at > 0 && in->now < end) {
                        *next_eval_at = end;
                        return 0;
                }
                st->debounced = true;
        }
        if (in->open) {
                ev.silence = policy_silence(in);
                eval_level(&ev);
                eval_triggers(&ev);
        } else {
                st->last_level = POLICY_NO_LEVEL; /* a reopen rises anew */
        }
        /* Conditions that no longer hold: their next rise is an edge. */
        for (size_t i = 0; i < st->cnt; i++) {
                if (!ev.seen[i]) {
                        st->entries[i].active = false;
                }
        }
        /* A long service name or account cut by the summary's size must
         * not leave half a character: the record would not encode. */
        for (size_t i = 0; i < ev.n; i++)
                impactd_utf8_trim(out[i].summary);
        return ev.n;
}

size_t policy_escalation_id(const char *incident_id,
                            const policy_decision_t *d, char *out,
                            size_t size) {
        int n = d->generation
                        ? snprintf(out, size, "%s:%s:g%" PRId64, incident_id,
                                   d->id_suffix, d->generation)
                        : snprintf(out, size, "%s:%s", incident_id,
                                   d->id_suffix);
        return n > 0 ? (size_t)n : 0;
}

void policy_escalation(const policy_decision_t *d, const policy_input_t *in,
                       const char *escalation_id, escalation_t *out) {
        memset(out, 0, sizeof(*out));
        out->escalation_id = escalation_id;
        out->incident_id = in->incident_id;
        out->revision = in->revision;
        out->from_level = d->from_level;
        out->to_level = d->to_level;
        out->reason = trigger_kind_name(d->trigger);
        out->target = d->target;
        out->summary = d->summary;
        out->created_at = in->now;
        out->account_id = d->trigger == TRIGGER_KEY_ACCOUNT ? d->account_id : NULL;
        out->tier = d->tier != TIER_NONE ? customer_tier_name(d->tier) : NULL;
        out->deadline_at = d->deadline_at;
}
