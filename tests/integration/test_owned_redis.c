/* The owned pipeline's Redis functions, against the real redis-server of
 * the CTest fixture (database 0).  The partition write and the takeover:
 * one call writes a whole batch or nothing, a new owner finds what the
 * last one wrote, and an owner that lost its partition cannot overwrite
 * its successor.  The router's bindings: the first router to bind a name
 * wins, and sentiment held for a ticket is released exactly once, in
 * order, whichever router binds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "batch.h"
#include "config.h"
#include "persist.h"
#include "route_store.h"

#define T0 1765000000000LL
#define TTL_MS 3600000LL
#define PREFIX "impact"

static config_t *conf;
static redisContext *raw; /* the test's own look at Redis */
static event_t ev;

static int setup(void **state) {
        char yaml[512], errstr[512];
        const char *url = getenv("IMPACTD_TEST_REDIS_URL");
        (void)state;
        snprintf(yaml, sizeof(yaml),
                 "redis: {url: \"%s/0\"}\nschemas: {dir: \"%s/schemas\"}\n",
                 url ? url : "redis://127.0.0.1:6479",
                 getenv("IMPACTD_SOURCE_DIR") ? getenv("IMPACTD_SOURCE_DIR") : ".");
        conf = config_load_string(yaml, strlen(yaml), "test_owned_redis", errstr,
                                  sizeof(errstr));
        if (!conf) {
                fprintf(stderr, "config: %s\n", errstr);
                return -1;
        }
        const char *port = url ? strrchr(url, ':') : NULL;
        raw = redisConnect("127.0.0.1", port ? atoi(port + 1) : 6479);
        if (!raw || raw->err)
                return -1;
        freeReplyObject(redisCommand(raw, "SELECT 0"));
        freeReplyObject(redisCommand(raw, "FLUSHDB"));
        return 0;
}

static int teardown(void **state) {
        (void)state;
        redisFree(raw);
        config_destroy(conf);
        event_free_spill(&ev);
        return 0;
}

static redis_state_t *worker(void) {
        char errstr[512];
        redis_state_t *rs = redis_state_new(conf, errstr, sizeof(errstr));
        if (!rs)
                fail_msg("redis: %s", errstr);
        return rs;
}

static persist_owned_t take(redis_state_t *rs, int32_t partition,
                            const char *cluster) {
        char errstr[512];
        persist_owned_t o = {0};
        persist_own_append(rs, PREFIX, partition, cluster);
        if (persist_own_read(rs, &o, errstr, sizeof(errstr)))
                fail_msg("own: %s", errstr);
        return o;
}

static const event_t *ticket(const char *id, const char *ticket_id,
                             const char *account, int64_t at) {
        event_reset(&ev, EVENT_TICKET);
        ev.event_id = id;
        ev.service = "checkout";
        ev.occurred_at = at;
        ev.u.ticket.ticket_id = ticket_id;
        ev.u.ticket.account_id = account;
        ev.u.ticket.status = TICKET_OPEN;
        ev.has = HAS_STATUS | HAS_OCCURRED_AT;
        return &ev;
}

static aggregate_t *incident(const char *id, int tickets) {
        account_facts_t acct = {TIER_ENTERPRISE, TIER_NONE, 1000, -1, NULL, 0};
        aggregate_t *a = aggregate_new(id);
        char eid[32], tid[32];
        aggregate_begin(a);
        for (int i = 0; i < tickets; i++) {
                snprintf(eid, sizeof(eid), "%s-e%d", id, i);
                snprintf(tid, sizeof(tid), "T-%d", i);
                assert_int_equal(aggregate_apply_ticket(a, ticket(eid, tid, "acme", T0 + i), &acct),
                                 AGG_APPLIED);
        }
        aggregate_end(a, T0 + tickets, 0, 300000, &(aggregate_change_t){0});
        return a;
}

/* Writes `incs` to partition 0 as the owner of `epoch`.  Returns whether
 * it was fenced. */
static bool write_batch(redis_state_t *rs, int64_t epoch, int64_t offset,
                        aggregate_t **incs, size_t n, const char *const *cleared,
                        size_t n_cleared, const persist_output_t *outs,
                        size_t n_outs, int64_t *epoch_now) {
        char errstr[512];
        persist_call_t pc = {0};
        persist_mark_t marks[] = {{"a0", 100 + offset}, {"t2", 7}};
        bool fenced;
        persist_begin(&pc, PREFIX, 0, epoch, "cluster-A", offset, marks, 2,
                      cleared, n_cleared, outs, n_outs);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(persist_add_incident(&pc, incs[i], TTL_MS,
                                                      i ? 0 : T0 + 60000), 0);
        persist_append(&pc, rs);
        persist_call_free(&pc);
        if (persist_read(rs, &fenced, epoch_now, errstr, sizeof(errstr)))
                fail_msg("persist: %s", errstr);
        if (!fenced)
                for (size_t i = 0; i < n; i++)
                        aggregate_saved(incs[i]);
        return fenced;
}

/* A new owner's load of incident `id` from partition 0. */
static aggregate_t *load(const char *id) {
        static const char *const kinds[AGG_SET_COUNT] = {"s", "a", "t", "g"};
        char errstr[512];
        redisReply *core = redisCommand(raw, "GET %s:{%s:r0}:i:%s", PREFIX, PREFIX, id);
        assert_int_equal(core->type, REDIS_REPLY_STRING);
        aggregate_t *a = aggregate_decode(id, core->str, core->len, errstr, sizeof(errstr));
        assert_non_null(a);
        freeReplyObject(core);
        for (int k = 0; k < AGG_SET_COUNT; k++) {
                redisReply *h = redisCommand(raw, "HGETALL %s:{%s:r0}:%s:%s", PREFIX,
                                             PREFIX, kinds[k], id);
                for (size_t i = 0; i < h->elements; i += 2)
                        assert_int_equal(aggregate_load_entry(a, (aggregate_set_t)k,
                                                              h->element[i]->str,
                                                              h->element[i]->len,
                                                              h->element[i + 1]->str,
                                                              h->element[i + 1]->len,
                                                              errstr, sizeof(errstr)),
                                         0);
                freeReplyObject(h);
        }
        if (aggregate_load_done(a, errstr, sizeof(errstr)))
                fail_msg("load: %s", errstr);
        return a;
}

static long long integer(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        redisReply *r = redisvCommand(raw, fmt, ap);
        va_end(ap);
        long long v = r->type == REDIS_REPLY_INTEGER ? r->integer
                      : r->type == REDIS_REPLY_STRING ? atoll(r->str) : -999;
        freeReplyObject(r);
        return v;
}

static void test_a_new_owner_resumes_where_the_last_write_left(void **state) {
        (void)state;
        char errstr[512];
        redis_state_t *rs = worker();
        int64_t now_epoch;
        persist_owned_t o = take(rs, 0, "cluster-A");
        assert_int_equal(o.epoch, 1);
        assert_int_equal(o.offset, -1); /* nothing applied yet */
        assert_int_equal(o.marks_cnt, 0);

        /* Two incidents, one with an id built to look like the other's
         * keys: kinds come before ids, so they stay apart. */
        aggregate_t *incs[] = {incident("checkout-1", 3), incident("s:checkout-1", 1)};
        persist_output_t outs[] = {{"checkout-1:level:3:on_call:1", 'e', "\x00\x01page", 6},
                                   {"checkout-1:OPENED:ENGINEERING:1", 'n', "note", 4}};
        assert_false(write_batch(rs, o.epoch, 41, incs, 2, NULL, 0, outs, 2, &now_epoch));
        persist_owned_clear(&o);

        /* Every key of the partition in one hash tag, with the TTL. */
        redisReply *keys = redisCommand(raw, "KEYS *");
        /* meta, deadlines, outbox; five keys per incident less their
         * segments: no ticket named one, and Redis keeps no empty hash. */
        assert_int_equal(keys->elements, 3 + 2 * 4);
        for (size_t i = 0; i < keys->elements; i++)
                assert_non_null(strstr(keys->element[i]->str, ":{" PREFIX ":r0}"));
        freeReplyObject(keys);
        long long ttl = integer("PTTL %s:{%s:r0}:i:checkout-1", PREFIX, PREFIX);
        assert_true(ttl > TTL_MS - 60000 && ttl <= TTL_MS);

        /* The next owner: the offset, the marks, the deadline and the
         * outbox as written; the incidents as they were. */
        redis_state_t *rs2 = worker();
        o = take(rs2, 0, "cluster-A");
        assert_int_equal(o.epoch, 2);
        assert_int_equal(o.offset, 41);
        assert_int_equal(o.marks_cnt, 2);
        for (size_t i = 0; i < 2; i++)
                assert_int_equal(o.marks[i].offset, !strcmp(o.marks[i].src, "a0") ? 141 : 7);
        assert_int_equal(o.deadlines_cnt, 1);
        assert_string_equal(o.deadlines[0].incident, "checkout-1");
        assert_int_equal(o.deadlines[0].at, T0 + 60000);
        assert_int_equal(o.outbox_cnt, 2);
        for (size_t i = 0; i < 2; i++) {
                const persist_output_t *out = &o.outbox[i];
                size_t k = !strcmp(out->id, outs[0].id) ? 0 : 1;
                assert_string_equal(out->id, outs[k].id);
                assert_int_equal(out->topic, outs[k].topic);
                assert_int_equal(out->len, outs[k].len);
                assert_memory_equal(out->bytes, outs[k].bytes, out->len);
        }
        aggregate_t *b = load("checkout-1");
        incident_t x = {0}, y = {0};
        assert_int_equal(aggregate_facts(incs[0], T0, 5, 5, &x), 0);
        assert_int_equal(aggregate_facts(b, T0, 5, 5, &y), 0);
        assert_int_equal(y.revision, x.revision);
        assert_int_equal(y.tickets_total, 3);
        assert_int_equal(y.affected_accounts, 1);
        assert_true(y.arr_at_risk == 1000.0);
        assert_int_equal(y.accounts_cnt, 1);
        assert_int_equal(y.accounts[0].tickets, 3);
        incident_clear(&x);
        incident_clear(&y);
        /* A replay of an event it stored changes nothing. */
        aggregate_begin(b);
        account_facts_t none = {TIER_NONE, TIER_NONE, -1, -1, NULL, 0};
        assert_int_equal(aggregate_apply_ticket(b, ticket("checkout-1-e1", "T-1", "acme", T0), &none),
                         AGG_DUPLICATE);
        aggregate_t *c = load("s:checkout-1");
        assert_int_equal(aggregate_revision(c), 1);

        /* The new owner's write clears what Kafka acknowledged. */
        const char *acked[] = {outs[0].id, outs[1].id};
        assert_false(write_batch(rs2, o.epoch, 42, &b, 1, acked, 2, NULL, 0, &now_epoch));
        assert_int_equal(integer("HLEN %s:{%s:r0}:outbox", PREFIX, PREFIX), 0);
        persist_owned_clear(&o);

        /* Another cluster's offsets say nothing about this one, before
         * and after its first write there. */
        o = take(rs2, 0, "cluster-B");
        assert_int_equal(o.offset, -1);
        assert_int_equal(o.marks_cnt, 0);
        persist_call_t pc = {0};
        bool fenced;
        persist_mark_t mark_b = {"a5", 3};
        persist_begin(&pc, PREFIX, 0, o.epoch, "cluster-B", 0, &mark_b, 1, NULL, 0, NULL, 0);
        persist_append(&pc, rs2);
        persist_call_free(&pc);
        assert_int_equal(persist_read(rs2, &fenced, &now_epoch, errstr, sizeof(errstr)), 0);
        assert_false(fenced);
        persist_owned_clear(&o);
        o = take(rs2, 0, "cluster-B");
        assert_int_equal(o.offset, 0);
        assert_int_equal(o.marks_cnt, 1);
        assert_string_equal(o.marks[0].src, "a5");
        assert_int_equal(o.marks[0].offset, 3);
        persist_owned_clear(&o);

        aggregate_destroy(incs[0]);
        aggregate_destroy(incs[1]);
        aggregate_destroy(b);
        aggregate_destroy(c);
        redis_state_destroy(rs);
        redis_state_destroy(rs2);
}

static void test_an_owner_that_lost_its_partition_writes_nothing(void **state) {
        (void)state;
        redis_state_t *zombie = worker(), *owner = worker();
        int64_t now_epoch;
        freeReplyObject(redisCommand(raw, "FLUSHDB"));
        persist_owned_t oz = take(zombie, 0, "cluster-A");
        aggregate_t *a = incident("payments-9", 2);
        assert_false(write_batch(zombie, oz.epoch, 10, &a, 1, NULL, 0, NULL, 0, &now_epoch));

        /* The group gave the partition to another worker while the first
         * was stalled; the new owner wrote its own batch. */
        persist_owned_t oo = take(owner, 0, "cluster-A");
        assert_int_equal(oo.epoch, oz.epoch + 1);
        assert_int_equal(oo.offset, 10);
        aggregate_t *b = load("payments-9");
        aggregate_begin(b);
        assert_int_equal(aggregate_apply_ticket(b, ticket("p-new", "T-7", "globex", T0 + 50),
                                                &(account_facts_t){TIER_PRO, TIER_NONE, 10, -1, NULL, 0}),
                         AGG_APPLIED);
        aggregate_end(b, T0 + 50, 0, 300000, &(aggregate_change_t){0});
        assert_false(write_batch(owner, oo.epoch, 11, &b, 1, NULL, 0, NULL, 0, &now_epoch));

        /* The stalled one wakes and writes what it had: refused, whole. */
        aggregate_begin(a);
        assert_int_equal(aggregate_apply_ticket(a, ticket("p-late", "T-8", "initech", T0 + 60),
                                                &(account_facts_t){TIER_FREE, TIER_NONE, 5, -1, NULL, 0}),
                         AGG_APPLIED);
        aggregate_end(a, T0 + 60, 0, 300000, &(aggregate_change_t){0});
        persist_output_t page = {"payments-9:level:2:on_call:1", 'e', "page", 4};
        redisReply *before = redisCommand(raw, "GET %s:{%s:r0}:i:payments-9", PREFIX, PREFIX);
        assert_true(write_batch(zombie, oz.epoch, 12, &a, 1, NULL, 0, &page, 1, &now_epoch));
        assert_int_equal(now_epoch, oo.epoch);
        redisReply *after = redisCommand(raw, "GET %s:{%s:r0}:i:payments-9", PREFIX, PREFIX);
        assert_int_equal(before->len, after->len);
        assert_memory_equal(before->str, after->str, before->len);
        freeReplyObject(before);
        freeReplyObject(after);
        assert_int_equal(integer("HGET %s:{%s:r0} off", PREFIX, PREFIX), 11);
        assert_int_equal(integer("HEXISTS %s:{%s:r0}:s:payments-9 p-late", PREFIX, PREFIX), 0);
        assert_int_equal(integer("HEXISTS %s:{%s:r0}:s:payments-9 p-new", PREFIX, PREFIX), 1);
        assert_int_equal(integer("EXISTS %s:{%s:r0}:outbox", PREFIX, PREFIX), 0);
        assert_int_equal(integer("HLEN %s:{%s:r0}:t:payments-9", PREFIX, PREFIX), 3);

        persist_owned_clear(&oz);
        persist_owned_clear(&oo);
        aggregate_destroy(a);
        aggregate_destroy(b);
        redis_state_destroy(zombie);
        redis_state_destroy(owner);
}


static void test_a_write_that_cannot_be_whole_writes_nothing(void **state) {
        (void)state;
        char errstr[512];
        redis_state_t *rs = worker();
        int64_t now_epoch;
        bool fenced;
        freeReplyObject(redisCommand(raw, "FLUSHDB"));
        persist_owned_t o = take(rs, 0, "cluster-A");
        aggregate_t *incs[] = {incident("first-1", 2), incident("second-2", 2)};
        /* Someone wrote the second incident's tickets key by hand. */
        freeReplyObject(redisCommand(raw, "SET %s:{%s:r0}:t:second-2 oops", PREFIX, PREFIX));
        persist_call_t pc = {0};
        persist_begin(&pc, PREFIX, 0, o.epoch, "cluster-A", 5, NULL, 0, NULL, 0, NULL, 0);
        for (size_t i = 0; i < 2; i++)
                assert_int_equal(persist_add_incident(&pc, incs[i], TTL_MS, 0), 0);
        persist_append(&pc, rs);
        persist_call_free(&pc);
        assert_int_equal(persist_read(rs, &fenced, &now_epoch, errstr, sizeof(errstr)),
                         IMPACTD_ERR_REDIS);
        assert_non_null(strstr(errstr, "t:second-2 is a string, not a hash"));
        /* Not the first incident either, nor the offset. */
        assert_int_equal(integer("EXISTS %s:{%s:r0}:i:first-1", PREFIX, PREFIX), 0);
        assert_int_equal(integer("EXISTS %s:{%s:r0}:s:first-1", PREFIX, PREFIX), 0);
        assert_int_equal(integer("HEXISTS %s:{%s:r0} off", PREFIX, PREFIX), 0);
        persist_owned_clear(&o);
        aggregate_destroy(incs[0]);
        aggregate_destroy(incs[1]);
        redis_state_destroy(rs);
}

static void test_the_first_binding_wins_and_releases_what_was_held(void **state) {
        (void)state;
        char errstr[512];
        strpool_t pool = {0};
        const char *owner;
        route_bound_t bound = {0};
        redis_state_t *r1 = worker(), *r2 = worker();
        route_store_t a, b;
        route_store_init(&a, r1);
        route_store_init(&b, r2);
        freeReplyObject(redisCommand(raw, "FLUSHDB"));

        /* Sentiment naming a ticket nobody has bound: held, in order. */
        const char *recs[] = {"rec-1", "rec-\0-2", "rec-3"};
        size_t lens[] = {5, 7, 5};
        route_store_append_hold(&a, "T-{9}", 3600, 86400, recs, lens, 2);
        assert_int_equal(route_store_read_hold(&a, &pool, &owner, errstr, sizeof(errstr)), 0);
        assert_null(owner);
        route_store_append_hold(&b, "T-{9}", 3600, 86400, recs + 2, lens + 2, 1);
        assert_int_equal(route_store_read_hold(&b, &pool, &owner, errstr, sizeof(errstr)), 0);
        assert_null(owner);
        route_store_append_get(&a, ROUTE_NAME_TICKET, "T-{9}", 3600);
        assert_int_equal(route_store_read_get(&a, &pool, &owner, errstr, sizeof(errstr)), 0);
        assert_null(owner);

        /* The ticket comes: the router binding it gets what was held, two
         * at a time, in the order it was held. */
        route_store_append_bind(&b, ROUTE_NAME_TICKET, "T-{9}", "g:checkout-web", 3600, 2);
        assert_int_equal(route_store_read_bind(&b, &pool, &bound, errstr, sizeof(errstr)), 0);
        assert_string_equal(bound.owner, "g:checkout-web");
        assert_int_equal(bound.held_cnt, 2);
        assert_int_equal(bound.held_more, 1);
        assert_int_equal(bound.held_lens[0], 5);
        assert_memory_equal(bound.held[0], "rec-1", 5);
        assert_int_equal(bound.held_lens[1], 7);
        assert_memory_equal(bound.held[1], "rec-\0-2", 7);

        /* That router dies before Kafka has them: nothing is lost, a
         * second router binding the same ticket elsewhere learns the first
         * binding and gets the same records again. */
        route_store_append_bind(&a, ROUTE_NAME_TICKET, "T-{9}", "g:search", 3600, 2);
        assert_int_equal(route_store_read_bind(&a, &pool, &bound, errstr, sizeof(errstr)), 0);
        assert_string_equal(bound.owner, "g:checkout-web");
        assert_int_equal(bound.held_cnt, 2);
        assert_memory_equal(bound.held[0], "rec-1", 5);
        /* Produced and acknowledged: released, by value, once; a second
         * router's late release of the same removes nothing else. */
        long long removed;
        route_store_append_unhold(&a, "T-{9}", recs, lens, 2);
        assert_int_equal(route_store_read_unhold(&a, &removed, errstr, sizeof(errstr)), 0);
        assert_int_equal(removed, 2);
        route_store_append_unhold(&b, "T-{9}", recs, lens, 2);
        assert_int_equal(route_store_read_unhold(&b, &removed, errstr, sizeof(errstr)), 0);
        assert_int_equal(removed, 0);
        route_store_append_bind(&b, ROUTE_NAME_TICKET, "T-{9}", "g:checkout-web", 3600, 2);
        assert_int_equal(route_store_read_bind(&b, &pool, &bound, errstr, sizeof(errstr)), 0);
        assert_int_equal(bound.held_cnt, 1);
        assert_memory_equal(bound.held[0], "rec-3", 5);
        assert_int_equal(bound.held_more, 0);
        route_store_append_unhold(&b, "T-{9}", recs + 2, lens + 2, 1);
        assert_int_equal(route_store_read_unhold(&b, &removed, errstr, sizeof(errstr)), 0);
        assert_int_equal(integer("EXISTS impact:rt:t:{T-%%7B9%%7D}"), 1);
        assert_int_equal(integer("EXISTS impact:rt:t:{T-%%7B9%%7D}:held"), 0);

        /* Bound now: sentiment is not held but sent where the ticket is. */
        freeReplyObject(redisCommand(raw, "EXPIRE impact:rt:t:{T-%%7B9%%7D} 5"));
        route_store_append_hold(&a, "T-{9}", 3600, 86400, recs, lens, 1);
        assert_int_equal(route_store_read_hold(&a, &pool, &owner, errstr, sizeof(errstr)), 0);
        assert_string_equal(owner, "g:checkout-web");
        /* Used, so it lives on. */
        assert_true(integer("TTL impact:rt:t:{T-%%7B9%%7D}") > 86000);
        route_store_append_get(&b, ROUTE_NAME_TICKET, "T-{9}", 3600);
        assert_int_equal(route_store_read_get(&b, &pool, &owner, errstr, sizeof(errstr)), 0);
        assert_string_equal(owner, "g:checkout-web");

        /* Keys and tickets of the same name are bound apart, with a TTL. */
        route_store_append_bind(&a, ROUTE_NAME_KEY, "T-{9}", "k:T-{9}", 60, 16);
        assert_int_equal(route_store_read_bind(&a, &pool, &bound, errstr, sizeof(errstr)), 0);
        assert_string_equal(bound.owner, "k:T-{9}");
        assert_int_equal(bound.held_cnt, 0);
        long long ttl = integer("TTL impact:rt:k:{T-%%7B9%%7D}");
        assert_true(ttl > 0 && ttl <= 60);

        route_bound_clear(&bound);
        route_store_free(&a);
        route_store_free(&b);
        strpool_free(&pool);
        redis_state_destroy(r1);
        redis_state_destroy(r2);
}

/* ---- the owner's aggregates against today's Redis functions ---------------- */

static bool same_str(const char *a, const char *b) {
        return !strcmp(a ? a : "", b ? b : "");
}

/* Every fact the score, the policy and the notifications read, lists as
 * sets (Redis returns hashes in its own order). */
static void assert_facts_alike(const incident_t *lua, const incident_t *c, int step) {
#define SAME(f) do { if (lua->f != c->f) fail_msg("step %d: " #f " %lld (Lua) != %lld (C)", step, (long long)lua->f, (long long)c->f); } while (0)
#define SAMED(f) do { if (lua->f != c->f) fail_msg("step %d: " #f " %.17g (Lua) != %.17g (C)", step, (double)lua->f, (double)c->f); } while (0)
        SAME(revision); SAME(open); SAME(detected_at); SAME(last_event_at);
        SAME(resolved_at); SAME(triaged_at); SAME(quiet_since);
        SAME(declared_severity); SAME(affected_users); SAME(disruption);
        SAMED(slo_burn_rate); SAMED(revenue_loss_per_hour);
        SAME(affected_accounts); SAMED(arr_at_risk); SAME(max_tier); SAME(tiers);
        SAME(strategic); SAME(tickets_total); SAME(tickets_open);
        SAME(personal_data_at_risk); SAME(personal_data_at);
        SAME(sentiment_count); SAME(sentiment_negative); SAMED(sentiment_sum);
        SAME(sentiment_now_count); SAME(sentiment_now_negative);
        SAMED(sentiment_now_sum); SAME(sentiment_prev_count);
        SAMED(sentiment_prev_sum); SAME(tickets_now); SAME(tickets_prev);
        SAME(changed); SAME(dups); SAME(resolved_now); SAME(reopened);
        if (!same_str(lua->root_service, c->root_service))
                fail_msg("step %d: root '%s' (Lua) != '%s' (C)", step, lua->root_service,
                         c->root_service);
        SAME(services_cnt); SAME(impacted_cnt); SAME(segments_cnt);
        SAME(region_users_cnt); SAME(handovers_cnt); SAME(accounts_cnt);
        for (size_t i = 0; i < lua->services_cnt; i++) {
                size_t j = 0;
                while (j < c->services_cnt && strcmp(lua->services[i], c->services[j]))
                        j++;
                if (j == c->services_cnt)
                        fail_msg("step %d: service %s only in Lua", step, lua->services[i]);
        }
        for (size_t i = 0; i < lua->impacted_cnt; i++)
                assert_string_equal(lua->impacted[i], c->impacted[i]);
        for (size_t i = 0; i < lua->segments_cnt; i++) {
                size_t j = 0;
                while (j < c->segments_cnt &&
                       (lua->segments[i].kind != c->segments[j].kind ||
                        strcmp(lua->segments[i].value, c->segments[j].value)))
                        j++;
                if (j == c->segments_cnt || lua->segments[i].count != c->segments[j].count)
                        fail_msg("step %d: segment %s differs", step, lua->segments[i].value);
        }
        for (size_t i = 0; i < lua->region_users_cnt; i++) {
                size_t j = 0;
                while (j < c->region_users_cnt &&
                       strcmp(lua->region_users[i].region, c->region_users[j].region))
                        j++;
                if (j == c->region_users_cnt ||
                    lua->region_users[i].users != c->region_users[j].users)
                        fail_msg("step %d: region %s differs", step, lua->region_users[i].region);
        }
        for (size_t i = 0; i < lua->handovers_cnt; i++) {
                const handover_t *h = &lua->handovers[i], *k = NULL;
                for (size_t j = 0; j < c->handovers_cnt; j++)
                        if (!strcmp(h->service, c->handovers[j].service))
                                k = &c->handovers[j];
                if (!k || h->disruption != k->disruption ||
                    h->affected_users != k->affected_users || !same_str(h->region, k->region))
                        fail_msg("step %d: hand-over of %s differs", step, h->service);
        }
        for (size_t i = 0; i < lua->accounts_cnt; i++) {
                const incident_account_t *x = &lua->accounts[i], *y = NULL;
                for (size_t j = 0; j < c->accounts_cnt; j++)
                        if (!strcmp(x->id, c->accounts[j].id))
                                y = &c->accounts[j];
                if (!y || x->tier != y->tier || x->arr != y->arr ||
                    x->strategic != y->strategic || x->tickets != y->tickets)
                        fail_msg("step %d: account %s differs", step, x->id);
        }
#undef SAME
#undef SAMED
}

typedef struct step {
        int64_t now, tick;
        const char *impacted; /* a service entering the blast radius first */
        event_t *events[4];
        account_facts_t facts[4];
} step_t;

static event_t evs[16];
static int nevs;

static event_t *mk(event_kind_t kind, const char *id, const char *service, int64_t at) {
        event_t *e = &evs[nevs++];
        event_reset(e, kind);
        e->event_id = id;
        e->service = service;
        e->occurred_at = at;
        e->has = HAS_OCCURRED_AT | (kind == EVENT_SENTIMENT ? HAS_SCORE : HAS_STATUS);
        return e;
}

static void test_the_owner_applies_as_the_redis_functions_did(void **state) {
        (void)state;
        char errstr[512];
        redis_state_t *rs = worker();
        freeReplyObject(redisCommand(raw, "FLUSHDB"));
        const int64_t MIN = 60000, quiet = conf->lifecycle.quiet_time_ms;
        int trend = (int)(conf->scoring.trend_window_ms / MIN);
        int swin = (int)(conf->scoring.sentiment_window_ms / MIN);

        event_t *a1 = mk(EVENT_ALERT, "a1", "users-db", T0);
        a1->u.alert.affected_users = 9000;
        a1->u.alert.declared_severity = 2;
        a1->region = "eu-west"; /* names no disruption: DEGRADED */
        a1->has |= HAS_AFFECTED_USERS | HAS_DECLARED_SEVERITY;
        event_t *t1 = mk(EVENT_TICKET, "t1", "users-db", T0 + 1000);
        t1->u.ticket.ticket_id = "T-1";
        t1->u.ticket.account_id = "eu1-acme";
        t1->region = "eu-west";
        t1->u.ticket.platform = "ios";
        t1->u.ticket.personal_data_at_risk = true;
        event_t *s1 = mk(EVENT_SENTIMENT, "s1", NULL, T0 + 2000);
        s1->u.sentiment.account_id = "eu1-acme";
        s1->u.sentiment.score = -0.6;
        event_t *w1 = mk(EVENT_ALERT, "w1", "web", T0 + MIN);
        w1->u.alert.affected_users = 12000;
        w1->u.alert.slo_burn_rate = 14.4;
        w1->u.alert.disruption = DISRUPTION_LATENCY;
        w1->region = "us-east";
        w1->has |= HAS_AFFECTED_USERS | HAS_SLO_BURN_RATE | HAS_DISRUPTION;
        event_t *t1s = mk(EVENT_TICKET, "t1s", "users-db", T0 + MIN + 1);
        t1s->u.ticket.ticket_id = "T-1";
        t1s->u.ticket.account_id = "eu1-acme";
        t1s->u.ticket.status = TICKET_SOLVED;
        event_t *t2 = mk(EVENT_TICKET, "t2", "users-db", T0 + 6 * MIN);
        t2->u.ticket.ticket_id = "T-2";
        t2->u.ticket.account_id = "globex";
        event_t *s2 = mk(EVENT_SENTIMENT, "s2", NULL, T0 + 6 * MIN + 1);
        s2->u.sentiment.account_id = "globex";
        s2->u.sentiment.score = 0.25;
        event_t *r1 = mk(EVENT_ALERT, "r1", "users-db", T0 + 7 * MIN);
        r1->u.alert.status = ALERT_RESOLVED;
        event_t *a2 = mk(EVENT_ALERT, "a2", "users-db", T0 + 30 * MIN);

        size_t plen;
        const char *pfx = batch_account_prefix(conf, "eu1-acme", &plen);
        account_facts_t acme = {TIER_BUSINESS, TIER_NONE, 500000, -1, pfx, plen};
        account_facts_t acme2 = {TIER_ENTERPRISE, TIER_NONE, 800000, -1, pfx, plen};
        account_facts_t globex = {TIER_PRO, TIER_ENTERPRISE, 100000, 1, NULL, 0};
        account_facts_t none = {TIER_NONE, TIER_NONE, -1, -1, NULL, 0};
        step_t steps[] = {
                {T0 + 2000, 0, NULL, {a1, t1, s1}, {none, acme, none}},
                {T0 + MIN + 1, 0, "web", {w1, t1s, a1}, {none, acme2, none}},
                {T0 + 6 * MIN + 1, 0, NULL, {t2, s2}, {globex, none}},
                {T0 + 7 * MIN, 0, NULL, {r1}, {none}},
                {T0 + 7 * MIN + quiet - 1, T0 + 7 * MIN + quiet - 1, NULL, {NULL}, {none}},
                {T0 + 7 * MIN + quiet, T0 + 7 * MIN + quiet, NULL, {NULL}, {none}},
                {T0 + 7 * MIN + quiet, T0 + 7 * MIN + quiet, NULL, {NULL}, {none}},
                {T0 + 30 * MIN, 0, NULL, {a2, s1}, {none, none}},
        };
        aggregate_t *agg = aggregate_new("diff-1");
        redis_args_t args = {0};
        for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
                const step_t *st = &steps[k];
                incident_t lua = {0}, c = {0};
                if (st->impacted) {
                        redis_state_append_impact(rs, "diff-1", &st->impacted, 1);
                        assert_int_equal(redis_state_read_status(rs, errstr, sizeof(errstr)), 0);
                        assert_int_equal(aggregate_impact_add(agg, st->impacted), 0);
                }
                redis_args_reset(&args);
                aggregate_begin(agg);
                for (size_t e = 0; e < 4 && st->events[e]; e++) {
                        const event_t *ev = st->events[e];
                        assert_int_equal(batch_pack_event_facts(conf, &args, ev, &st->facts[e]), 0);
                        bool neg = ev->kind == EVENT_SENTIMENT &&
                                   ev->u.sentiment.score < conf->scoring.sentiment_negative_below;
                        int r = ev->kind == EVENT_ALERT ? aggregate_apply_alert(agg, ev)
                              : ev->kind == EVENT_TICKET ? aggregate_apply_ticket(agg, ev, &st->facts[e])
                              : aggregate_apply_sentiment(agg, ev, neg);
                        assert_true(r == AGG_APPLIED || r == AGG_DUPLICATE);
                }
                aggregate_end(agg, st->now, st->tick, quiet, &(aggregate_change_t){0});
                redis_state_append_apply(rs, "diff-1", st->now, st->tick, "", &args);
                if (redis_state_read_apply(rs, &lua, errstr, sizeof(errstr)))
                        fail_msg("apply: %s", errstr);
                assert_int_equal(aggregate_facts(agg, st->now, trend, swin, &c), 0);
                assert_facts_alike(&lua, &c, (int)k);
                /* The path goes where it should: resolved with web handed
                 * over, a repeated deadline changing nothing, reopened. */
                if (k == 5)
                        assert_true(!c.open && c.resolved_now && c.handovers_cnt == 1);
                if (k == 6)
                        assert_false(c.changed);
                if (k == 7)
                        assert_true(c.open && c.reopened && c.dups == 1);
                incident_clear(&lua);
                incident_clear(&c);
        }
        redis_args_free(&args);
        aggregate_destroy(agg);
        for (int i = 0; i < nevs; i++)
                event_free_spill(&evs[i]);
        redis_state_destroy(rs);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_new_owner_resumes_where_the_last_write_left),
                cmocka_unit_test(test_an_owner_that_lost_its_partition_writes_nothing),
                cmocka_unit_test(test_a_write_that_cannot_be_whole_writes_nothing),
                cmocka_unit_test(test_the_owner_applies_as_the_redis_functions_did),
                cmocka_unit_test(test_the_first_binding_wins_and_releases_what_was_held),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
