/* Workload generation.  See workload.h. */
#include "workload.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define STORM_ROOTS 10
#define STORM_DEPENDENTS 2
#define STORM_ACCOUNTS 20000
#define BROAD_SERVICES 1000

static const char *const regions[] = {"eu-central", "eu-south", "us-east",
                                      "us-west", "ap-south"};
static const char *const platforms[] = {"web", "ios", "android"};
static const char *const features[] = {"checkout", "search", "login",
                                       "billing", "reports"};
/* 60 % free, 25 % pro, 13 % business, 2 % enterprise accounts. */
static const char *tier(uint64_t *rng);
#define PICK(rng, a) (a)[rnd(rng) % (sizeof(a) / sizeof((a)[0]))]

/* xorshift64*: the same stream on every machine. */
static uint64_t rnd(uint64_t *s) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ULL;
}

static double frand(uint64_t *s) {
        return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static const char *tier(uint64_t *rng) {
        double r = frand(rng);
        return r < 0.60 ? "FREE" : r < 0.85 ? "PRO" : r < 0.98 ? "BUSINESS"
                                                               : "ENTERPRISE";
}

int workload_init(workload_t *w, const char *name, long events, int incidents,
                  int rate, int seconds, uint64_t seed) {
        memset(w, 0, sizeof(*w));
        w->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
        if (!strcmp(name, "storm")) {
                w->kind = WL_STORM;
                w->events = events > 0 ? events : 1000000;
                w->incidents = STORM_ROOTS;
        } else if (!strcmp(name, "broad")) {
                w->kind = WL_BROAD;
                w->events = events > 0 ? events : 1000000;
                w->incidents = incidents > 0 ? incidents : 100000;
                if (w->events < w->incidents)
                        w->incidents = (int)w->events;
        } else if (!strcmp(name, "steady")) {
                w->kind = WL_STEADY;
                w->rate = rate > 0 ? rate : 20000;
                w->seconds = seconds > 0 ? seconds : 60;
                w->events = (long)w->rate * w->seconds;
                w->incidents = 1000;
        } else {
                return -1;
        }
        w->name = name;
        return 0;
}

static void json(bench_event_t *ev, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void json(bench_event_t *ev, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(ev->json, sizeof(ev->json), fmt, ap);
        va_end(ap);
        ev->json_len = n < 0 ? 0 : (size_t)n < sizeof(ev->json)
                                        ? (size_t)n : sizeof(ev->json) - 1;
}

/* `"incident_key":"K",` or nothing. */
static void key_field(char *out, size_t size, const char *incident_key) {
        if (incident_key)
                snprintf(out, size, "\"incident_key\":\"%s\",", incident_key);
        else
                out[0] = '\0';
}

static void alert(workload_t *w, bench_event_t *ev, const char *service,
                  const char *incident_key, int64_t now) {
        char keyfield[96];
        key_field(keyfield, sizeof(keyfield), incident_key);
        ev->kind = EV_ALERT;
        json(ev, "{\"event_id\":\"%s-a%ld\",%s\"service\":\"%s\","
             "\"status\":\"FIRING\",\"disruption\":\"%s\","
             "\"affected_users\":%" PRIu64 ",\"slo_burn_rate\":%.1f,"
             "\"revenue_loss_per_hour\":%" PRIu64 ",\"region\":\"%s\","
             "\"occurred_at\":%" PRId64 "}",
             w->name, w->next, keyfield, service,
             frand(&w->rng) < 0.5 ? "OUTAGE" : "DEGRADED",
             1000 + rnd(&w->rng) % 20000, 1.0 + frand(&w->rng) * 30,
             rnd(&w->rng) % 50000, PICK(&w->rng, regions), now);
}

static void ticket(workload_t *w, bench_event_t *ev, const char *account,
                   const char *service, const char *incident_key, int64_t now) {
        char keyfield[96];
        key_field(keyfield, sizeof(keyfield), incident_key);
        ev->kind = EV_TICKET;
        json(ev, "{\"event_id\":\"%s-t%ld\",\"ticket_id\":\"T-%ld\","
             "\"account_id\":\"%s\",%s\"service\":\"%s\","
             "\"customer_tier\":\"%s\",\"arr\":%" PRIu64 ",\"region\":\"%s\","
             "\"platform\":\"%s\",\"feature\":\"%s\",\"status\":\"OPEN\","
             "\"occurred_at\":%" PRId64 "}",
             w->name, w->next, w->next, account, keyfield, service,
             tier(&w->rng), rnd(&w->rng) % 200000,
             PICK(&w->rng, regions), PICK(&w->rng, platforms),
             PICK(&w->rng, features), now);
}

static void sentiment(workload_t *w, bench_event_t *ev, const char *account,
                      const char *service, const char *incident_key,
                      int64_t now) {
        char keyfield[96];
        key_field(keyfield, sizeof(keyfield), incident_key);
        ev->kind = EV_SENTIMENT;
        json(ev, "{\"event_id\":\"%s-s%ld\",\"account_id\":\"%s\",%s"
             "\"service\":\"%s\",\"score\":%.2f,\"urgency\":%.2f,"
             "\"channel\":\"chat\",\"occurred_at\":%" PRId64 "}",
             w->name, w->next, account, keyfield, service,
             -1.0 + frand(&w->rng) * 1.4, frand(&w->rng), now);
}

/* storm: the first events open the ten incidents; then 30 % alerts on
 * roots and dependents, 35 % tickets, 35 % sentiment, from 20,000
 * accounts, correlated by service. */
static void storm_next(workload_t *w, int64_t now, bench_event_t *ev) {
        char service[32], account[32];
        int root = (int)(rnd(&w->rng) % STORM_ROOTS);
        int dep = (int)(rnd(&w->rng) % (STORM_DEPENDENTS + 1));
        if (w->next < STORM_ROOTS) {
                root = (int)w->next;
                dep = 0;
        }
        if (dep)
                snprintf(service, sizeof(service), "svc-%02d-d%d", root, dep);
        else
                snprintf(service, sizeof(service), "svc-%02d", root);
        snprintf(account, sizeof(account), "acct-%05d",
                 (int)(rnd(&w->rng) % STORM_ACCOUNTS));
        double r = frand(&w->rng);
        if (w->next < STORM_ROOTS || r < 0.30) {
                /* As an alert rule that groups by root cause would: the
                 * dependents' alerts name their root's incident. */
                char key[32];
                snprintf(key, sizeof(key), "storm-%02d", root);
                alert(w, ev, service, key, now);
                snprintf(ev->key, sizeof(ev->key), "%s-%ld", service, w->next);
        } else if (r < 0.65) {
                ticket(w, ev, account, service, NULL, now);
                snprintf(ev->key, sizeof(ev->key), "%s", account);
        } else {
                sentiment(w, ev, account, service, NULL, now);
                snprintf(ev->key, sizeof(ev->key), "%s", account);
        }
        ev->incident = -1;
}

/* broad: incident i's events come at i, i + N, i + 2N, ... so every
 * event touches another incident than the one before; the first round
 * opens them all with an alert. */
static void broad_next(workload_t *w, int64_t now, bench_event_t *ev) {
        int inc = (int)(w->next % w->incidents);
        char key[32], service[32], account[32];
        snprintf(key, sizeof(key), "inc-%06d", inc);
        snprintf(service, sizeof(service), "svc-%04d", inc % BROAD_SERVICES);
        snprintf(account, sizeof(account), "acct-%06d",
                 (int)(rnd(&w->rng) % 1000000));
        double r = frand(&w->rng);
        if (w->next < w->incidents || r < 0.30)
                alert(w, ev, service, key, now);
        else if (r < 0.65)
                ticket(w, ev, account, service, key, now);
        else
                sentiment(w, ev, account, service, key, now);
        snprintf(ev->key, sizeof(ev->key), "%s-%ld", key, w->next);
        ev->incident = -1;
}

/* steady: like broad over 1,000 incidents, keyed by incident so that
 * each incident's tickets (and sentiment) stay in order; each ticket has
 * an account of its own. */
static void steady_next(workload_t *w, int64_t now, bench_event_t *ev) {
        int inc = (int)(w->next % w->incidents);
        char key[32], service[32], account[48];
        snprintf(key, sizeof(key), "st-%04d", inc);
        snprintf(service, sizeof(service), "svc-%04d", inc);
        double r = frand(&w->rng);
        ev->incident = inc;
        ev->seq = 0;
        if (w->next < w->incidents || r < 0.30) {
                alert(w, ev, service, key, now);
        } else if (r < 0.65) {
                ev->seq = ++w->tickets[inc];
                snprintf(account, sizeof(account), "acct-%04d-%d", inc, ev->seq);
                ticket(w, ev, account, service, key, now);
        } else {
                ev->seq = ++w->sentiments[inc];
                snprintf(account, sizeof(account), "acct-%04d-s", inc);
                sentiment(w, ev, account, service, key, now);
        }
        snprintf(ev->key, sizeof(ev->key), "%s", key);
}

int workload_next(workload_t *w, int64_t now_ms, bench_event_t *ev) {
        if (w->next >= w->events)
                return -1;
        switch (w->kind) {
        case WL_STORM:
                storm_next(w, now_ms, ev);
                break;
        case WL_BROAD:
                broad_next(w, now_ms, ev);
                break;
        case WL_STEADY:
                steady_next(w, now_ms, ev);
                break;
        }
        w->next++;
        return 0;
}

void workload_write_catalog(const workload_t *w, FILE *fp) {
        fprintf(fp, "services:\n");
        if (w->kind == WL_STORM) {
                for (int r = 0; r < STORM_ROOTS; r++) {
                        fprintf(fp, "  svc-%02d: {users: %d}\n", r, 20000 + r * 1000);
                        for (int d = 1; d <= STORM_DEPENDENTS; d++)
                                fprintf(fp, "  svc-%02d-d%d: {users: %d, "
                                        "depends_on: [svc-%02d]}\n",
                                        r, d, 5000 * d, r);
                }
                return;
        }
        /* A forest: every service but the first ten depends on one with
         * a tenth of its number. */
        int n = w->kind == WL_BROAD ? BROAD_SERVICES : w->incidents;
        for (int s = 0; s < n; s++) {
                if (s < 10)
                        fprintf(fp, "  svc-%04d: {users: %d}\n", s, 10000 + s);
                else
                        fprintf(fp, "  svc-%04d: {users: %d, depends_on: "
                                "[svc-%04d]}\n", s, 1000 + s, s / 10);
        }
}
