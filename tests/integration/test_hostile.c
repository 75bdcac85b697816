/* No message can stop the stream, and no identifier is cut, merged with
 * another or let loose in the log: what an attacker or an unlucky
 * upstream sends is applied exactly, or goes to the DLQ with its reason,
 * and the next message is processed. */
#include "scenario_util.h"

#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include "ident.h"
#include "redis_state.h"

/* The worker's log, whole (caller frees). */
static char *worker_log(harness_t *h) {
        char path[400];
        snprintf(path, sizeof(path), "%s/worker0.log", h->dir);
        FILE *fp = fopen(path, "r");
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        char *s = calloc(1, (size_t)n + 1);
        assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
        fclose(fp);
        return s;
}

static json_t *json_obj(const char *fmt, ...) {
        char buf[64 * 1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        json_error_t err;
        json_t *o = json_loads(buf, 0, &err);
        if (!o)
                fail_msg("bad test JSON: %s", err.text);
        return o;
}

/* Produces `o` (taken) as JSON, keyed as the produce tool keys it. */
static void produce_json(harness_t *h, const char *kind, json_t *o) {
        char *s = json_dumps(o, JSON_COMPACT);
        harness_produce(h, kind, s, false);
        free(s);
        json_decref(o);
}

static void alert(harness_t *h, const char *event_id, const char *service,
                  const char *incident_key, const char *region) {
        json_t *o = json_obj("{\"status\":\"FIRING\",\"affected_users\":400,"
                             "\"disruption\":\"OUTAGE\","
                             "\"occurred_at\":1795000000000}");
        json_object_set_new(o, "event_id", json_string(event_id));
        json_object_set_new(o, "service", json_string(service));
        if (incident_key)
                json_object_set_new(o, "incident_key", json_string(incident_key));
        if (region)
                json_object_set_new(o, "region", json_string(region));
        produce_json(h, "alerts", o);
}

static void ticket(harness_t *h, const char *event_id, const char *ticket_id,
                   const char *account, const char *incident_key,
                   const char *service) {
        json_t *o = json_obj("{\"status\":\"OPEN\",\"customer_tier\":"
                             "\"ENTERPRISE\",\"arr\":1000,"
                             "\"occurred_at\":1795000060000}");
        json_object_set_new(o, "event_id", json_string(event_id));
        json_object_set_new(o, "ticket_id", json_string(ticket_id));
        json_object_set_new(o, "account_id", json_string(account));
        if (incident_key)
                json_object_set_new(o, "incident_key", json_string(incident_key));
        if (service)
                json_object_set_new(o, "service", json_string(service));
        produce_json(h, "tickets", o);
}

static void sentiment(harness_t *h, const char *event_id, const char *ticket_id,
                      const char *account) {
        json_t *o = json_obj("{\"score\":-0.8,\"occurred_at\":1795000070000}");
        json_object_set_new(o, "event_id", json_string(event_id));
        json_object_set_new(o, "ticket_id", json_string(ticket_id));
        json_object_set_new(o, "account_id", json_string(account));
        produce_json(h, "sentiment", o);
}

/* The last scored revision of `incident`, or NULL (a new reference). */
static json_t *last_scored(json_t *scored, const char *incident) {
        json_t *best = NULL;
        for (size_t i = 0; i < json_array_size(scored); i++) {
                json_t *m = json_array_get(scored, i);
                if (strcmp(jstr(m, "incident_id"), incident))
                        continue;
                if (!best || jint(m, "revision") > jint(best, "revision"))
                        best = m;
        }
        return best ? json_incref(best) : NULL;
}

/* What a wait below looks for, and what it found. */
typedef struct scored_wait {
        const char *incident, *service;
        int64_t accounts, sentiment, above;
        json_t *found;  /* the revision that matched */
        char *root_of;  /* wait_root: the incident found */
} scored_wait_t;

static bool incident_reached(harness_t *h, const void *arg) {
        scored_wait_t *w = (scored_wait_t *)arg;
        json_t *scored = harness_read_all(h, "impact.scored");
        json_t *m = last_scored(scored, w->incident);
        json_decref(scored);
        bool ok = m && (w->above >= 0 ? jint(m, "revision") > w->above
                                      : jint(m, "affected_accounts") == w->accounts &&
                                                jint(json_object_get(m, "sentiment"),
                                                     "count") == w->sentiment);
        if (ok)
                w->found = m;
        else
                json_decref(m);
        return ok;
}

/* Waits for the latest scored revision of `incident` to show `accounts`
 * accounts and `sentiment` sentiment events; returns it. */
static json_t *wait_incident(harness_t *h, const char *incident,
                             int64_t accounts, int64_t sentiment) {
        scored_wait_t w = {.incident = incident, .accounts = accounts,
                           .sentiment = sentiment, .above = -1};
        if (!harness_until(h, incident_reached, &w, 60000))
                fail_msg("incident %.80s... never reached %lld accounts, %lld "
                         "sentiment events", incident, (long long)accounts,
                         (long long)sentiment);
        return w.found;
}

/* Waits for a scored revision of `incident` above `rev`; returns it. */
static json_t *wait_revision_above(harness_t *h, const char *incident,
                                   int64_t rev) {
        scored_wait_t w = {.incident = incident, .above = rev};
        if (!harness_until(h, incident_reached, &w, 60000))
                fail_msg("incident %s never went past revision %lld", incident,
                         (long long)rev);
        return w.found;
}

static bool root_scored(harness_t *h, const void *arg) {
        scored_wait_t *w = (scored_wait_t *)arg;
        json_t *scored = harness_read_all(h, "impact.scored");
        for (size_t i = 0; i < json_array_size(scored) && !w->root_of; i++) {
                json_t *m = json_array_get(scored, i);
                if (!strcmp(jstr(m, "root_service"), w->service))
                        w->root_of = strdup(jstr(m, "incident_id"));
        }
        json_decref(scored);
        return w->root_of != NULL;
}

/* Waits for a scored revision whose root is `service`; returns its
 * incident id (caller frees). */
static char *wait_root(harness_t *h, const char *service) {
        scored_wait_t w = {.service = service};
        if (!harness_until(h, root_scored, &w, 60000))
                fail_msg("no incident of service %.80s was scored", service);
        return w.root_of;
}

/* The aggregate key of `incident`, as the worker writes it. */
static char *agg_key(const char *incident, const char *suffix) {
        size_t n = ident_encoded_len(incident, IDENT_KEY);
        char *k = malloc(n + strlen(suffix) + 16);
        memcpy(k, "impact:{", 8);
        ident_encode(incident, IDENT_KEY, k + 8);
        strcat(k, "}");
        strcat(k, suffix);
        return k;
}

/* Every key of `incident` exists where the worker says; the tag of each
 * (its first '{' to the next '}') is the whole id, encoded, so each falls
 * in the slot of the id and no other id's.  Returns how many there are. */
static size_t incident_keys_in_one_slot(harness_t *h, const char *incident) {
        char *agg = agg_key(incident, "");
        redisReply *r = harness_redis(h, "EXISTS %b", agg, strlen(agg));
        assert_int_equal(r->integer, 1);
        freeReplyObject(r);
        char *pattern = agg_key(incident, "*");
        r = harness_redis(h, "KEYS %b", pattern, strlen(pattern));
        size_t enc_len = ident_encoded_len(incident, IDENT_KEY);
        char *enc = malloc(enc_len + 1), *back = malloc(enc_len + 1);
        ident_encode(incident, IDENT_KEY, enc);
        unsigned slot = ident_key_slot(enc, enc_len);
        for (size_t i = 0; i < r->elements; i++) {
                const char *key = r->element[i]->str;
                const char *open = strchr(key, '{');
                const char *close = open ? strchr(open, '}') : NULL;
                assert_non_null(close);
                long n = ident_decode(open + 1, (size_t)(close - open - 1),
                                      IDENT_KEY, back);
                assert_int_equal(n, (long)strlen(incident));
                assert_memory_equal(back, incident, (size_t)n);
                assert_int_equal(ident_key_slot(key, r->element[i]->len),
                                 slot);
        }
        size_t keys = r->elements;
        freeReplyObject(r);
        free(pattern);
        free(agg);
        free(enc);
        free(back);
        return keys;
}

/* Nothing was lost, so nothing said so: the state marker holds, batch
 * after batch, and the generation is still the first. */
static void assert_state_kept(harness_t *h) {
        char *log = worker_log(h);
        if (strstr(log, "state lost"))
                fail_msg("a loss where there was none:\n%s", log);
        free(log);
        redisReply *r = harness_redis(h, "HGET impact:state gen");
        assert_string_equal(r->str, "0");
        freeReplyObject(r);
}

/* ---- one message cannot stop the stream --------------------------------- */

/* A 1 MiB key on a message that is not an event: its DLQ copy keeps the
 * head of the key, says how long it was, and the stream goes on. */
static void test_a_huge_key_goes_to_the_dlq_cut(void **state) {
        static harness_t h;
        static char key[1048576 + 1];
        (void)state;
        harness_start(&h, "huge-key", 31, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        memset(key, 'k', sizeof(key) - 1);
        harness_produce_keyed(&h, "impact.alerts", key, "garbage", 7);
        alert_scored(&h, "after-the-huge-key");
        assert_true(harness_wait_consumed(&h, 30000));
        json_t *dlq = expect_exactly(&h, "impact.dlq", 1);
        json_t *d = json_array_get(dlq, 0), *hdrs = json_object_get(d, "headers");
        assert_int_equal(json_string_length(json_object_get(d, "key")), 1024);
        assert_string_equal(jstr(hdrs, "dlq.key.truncated_from"), "1048576");
        assert_null(json_object_get(hdrs, "dlq.value.truncated_from"));
        assert_string_equal(jstr(d, "value"), "garbage");
        assert_non_null(strstr(jstr(hdrs, "dlq.reason"), "neither Avro"));
        json_decref(dlq);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        assert_state_kept(&h);
        harness_stop(&h);
}

/* A DLQ copy the brokers refuse (their limit is below ours) goes again at
 * half the size, and the batch commits. */
static void test_a_dlq_copy_the_brokers_refuse_goes_again_smaller(void **state) {
        static harness_t h;
        static char value[400 * 1024];
        (void)state;
        harness_start(&h, "dlq-refused", 31, 1, TEST_CATALOG);
        memset(value, '~', sizeof(value));
        harness_produce_raw(&h, "impact.alerts", value, sizeof(value));
        harness_flush(&h);
        /* The worker's first produce request, its DLQ copy, is refused as
         * a broker with a lower max.message.bytes would. */
        rd_kafka_mock_push_request_errors(h.mock, 0 /* Produce */, 1,
                                          RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
        harness_worker_start(&h, 0);
        assert_true(harness_wait_consumed(&h, 30000));
        json_t *dlq = expect_exactly(&h, "impact.dlq", 1);
        json_t *d = json_array_get(dlq, 0), *hdrs = json_object_get(d, "headers");
        assert_int_equal(json_string_length(json_object_get(d, "value")),
                         256 * 1024);
        assert_string_equal(jstr(hdrs, "dlq.value.truncated_from"), "409600");
        assert_string_equal(jstr(hdrs, "dlq.source.offset"), "0");
        json_decref(dlq);
        /* A WARN line is written after the loop iteration that made it:
         * the copy may be out before the line is. */
        assert_true(harness_wait_log(&h, 0, "dlq: a copy of 524288 bytes was refused",
                                     NULL, 1, 30000));
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* An output too large for the producer (a scored revision listing many
 * segments, with message.max.bytes at 20,000) goes to the DLQ in its
 * place, cut, with the topic it was for; the stream goes on. */
static void test_an_output_kafka_refuses_goes_to_the_dlq(void **state) {
        static harness_t h;
        char feature[200], ev[32], tid[32], acct[32];
        (void)state;
        setenv("IMPACTD_TEST_PRODUCER_MAX_BYTES", "20000", 1);
        harness_start(&h, "output-refused", 31, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        unsetenv("IMPACTD_TEST_PRODUCER_MAX_BYTES");
        alert(&h, "big-a", "search", "INC-big", NULL);
        harness_flush(&h);
        json_decref(wait_incident(&h, "INC-big", 0, 0));
        /* 150 features of 190 bytes: the scored record lists each. */
        for (int i = 0; i < 150; i++) {
                snprintf(ev, sizeof(ev), "big-t%d", i);
                snprintf(tid, sizeof(tid), "T-%d", i);
                snprintf(acct, sizeof(acct), "acct-%d", i);
                memset(feature, 'f', 190);
                snprintf(feature, sizeof(feature), "%03d", i);
                feature[3] = 'f';
                memset(feature + 3, 'f', 187);
                feature[190] = '\0';
                json_t *o = json_obj("{\"status\":\"OPEN\","
                                     "\"occurred_at\":1795000060000}");
                json_object_set_new(o, "event_id", json_string(ev));
                json_object_set_new(o, "ticket_id", json_string(tid));
                json_object_set_new(o, "account_id", json_string(acct));
                json_object_set_new(o, "incident_key", json_string("INC-big"));
                json_object_set_new(o, "feature", json_string(feature));
                produce_json(&h, "tickets", o);
        }
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 60000));
        json_t *dlq = harness_read_all(&h, "impact.dlq");
        size_t refused = 0;
        for (size_t i = 0; i < json_array_size(dlq); i++) {
                json_t *d = json_array_get(dlq, i),
                       *hdrs = json_object_get(d, "headers");
                assert_string_equal(jstr(hdrs, "dlq.output.topic"),
                                    "impact.scored");
                assert_non_null(strstr(jstr(hdrs, "dlq.reason"),
                                       "output refused by Kafka: "));
                assert_true(atoi(jstr(hdrs, "dlq.value.truncated_from")) >
                            20000);
                assert_true(json_string_length(json_object_get(d, "value")) <
                            20000);
                assert_string_equal(jstr(d, "key"), "INC-big");
                refused++;
        }
        json_decref(dlq);
        assert_true(refused > 0);
        /* The revisions small enough went out (the alert's, and those of
         * however many tickets a batch brought while under 20,000 bytes);
         * the last, with all 150 features, did not. */
        json_t *scored = harness_read_all(&h, "impact.scored");
        json_t *last = last_scored(scored, "INC-big");
        assert_non_null(last);
        assert_true(jint(last, "affected_accounts") < 150);
        json_decref(last);
        json_decref(scored);
        /* The worker is alive and past it. */
        alert(&h, "after-a", "search", "INC-after", NULL);
        harness_flush(&h);
        json_decref(wait_incident(&h, "INC-after", 0, 0));
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* A call Redis refuses for what it was given (here a key someone else
 * made of the wrong type) sends only the message behind it to the DLQ;
 * the rest of the batch is applied and committed. */
static void test_a_call_redis_refuses_sends_only_its_message_to_dlq(void **state) {
        static harness_t h;
        (void)state;
        setenv("IMPACTD_TEST_BATCH_MAX", "100", 1);
        harness_start(&h, "redis-refuses", 31, 1, TEST_CATALOG);
        unsetenv("IMPACTD_TEST_BATCH_MAX");
        redisReply *r = harness_redis(&h, "HSET impact:svc:{victim}:held x y");
        freeReplyObject(r);
        /* The poison and a good ticket after it, in one partition, there
         * before the worker starts: one fetch, one batch. */
        ticket(&h, "poison-t", "T-p", "acme", NULL, "victim");
        ticket(&h, "good-t", "T-g", "globex", "INC-good", NULL);
        alert(&h, "good-a", "payments", "INC-good", NULL);
        harness_flush(&h);
        harness_worker_start(&h, 0);
        assert_true(harness_wait_consumed(&h, 30000));
        json_t *dlq = expect_exactly(&h, "impact.dlq", 1);
        json_t *hdrs = json_object_get(json_array_get(dlq, 0), "headers");
        assert_string_equal(jstr(hdrs, "dlq.source.topic"), "impact.tickets");
        assert_string_equal(jstr(hdrs, "dlq.source.offset"), "0");
        assert_non_null(strstr(jstr(hdrs, "dlq.reason"), "WRONGTYPE"));
        json_decref(dlq);
        json_decref(wait_incident(&h, "INC-good", 1, 0));
        assert_true(harness_wait_log(&h, 0, "applying them one at a time", NULL, 1,
                                     30000));
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* A key every batch shares, refused (someone wrote the state marker as a
 * string): no message is to blame, so none goes to the DLQ; the stream
 * waits as for an outage, and goes on once the key is mended. */
static void test_a_refusal_no_message_caused_pauses_the_stream(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "shared-refused", 31, 1, TEST_CATALOG);
        freeReplyObject(harness_redis(&h, "SET impact:state not-a-hash"));
        harness_worker_start(&h, 0);
        alert(&h, "paused-a", "payments", "INC-paused", NULL);
        harness_flush(&h);
        assert_true(harness_wait_log(&h, 0, "redis: batch failed, retrying with backoff",
                                     NULL, 1, 30000));
        json_t *dlq = harness_read_all(&h, "impact.dlq");
        assert_int_equal(json_array_size(dlq), 0);
        json_decref(dlq);
        freeReplyObject(harness_redis(&h, "DEL impact:state"));
        json_decref(wait_incident(&h, "INC-paused", 0, 0));
        assert_true(harness_wait_consumed(&h, 30000));
        dlq = harness_read_all(&h, "impact.dlq");
        assert_int_equal(json_array_size(dlq), 0);
        json_decref(dlq);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* ---- identifiers ---------------------------------------------------------- */

/* `n` bytes of an id: `tag`, then characters a key, a hash tag, a packed
 * Redis value (its separator is \x1f) or a log line could trip on,
 * repeated. */
static char *long_id(const char *tag, size_t n) {
        static const char fill[] = "{x}/#: \xc3\xa4%_-.\x1f";
        char *s = malloc(n + 1);
        size_t t = strlen(tag);
        memcpy(s, tag, t);
        for (size_t i = t; i < n; i++)
                s[i] = fill[(i - t) % (sizeof(fill) - 1)];
        /* Whole UTF-8 sequences only: end on ASCII. */
        for (size_t i = n; i > 0 && ((unsigned char)s[i - 1] & 0x80); i--)
                s[i - 1] = 'z';
        s[n] = '\0';
        return s;
}

/* With limits.max_string_bytes raised to 4096, ids of exactly 4096 bytes
 * work end to end in every field that names something: the incident
 * key, services (through their Redis mapping and a hold), tickets
 * (through their bind and held sentiment), accounts and event ids.  One
 * byte more goes to the DLQ with the limit named. */
static void test_identifiers_at_the_limit_work_and_over_it_go_to_dlq(void **state) {
        static harness_t h;
        enum { N = 4096 };
        char *inc = long_id("I", N), *svc = long_id("S", N), *tkt = long_id("T", N);
        char *acct = long_id("A", N), *evid = long_id("E", N),
             *region = long_id("R", N), *svc2 = long_id("V", N),
             *tkt2 = long_id("U", N), *over = long_id("O", N + 1);
        (void)state;
        setenv("IMPACTD_TEST_MAX_STRING_BYTES", "4096", 1);
        harness_start(&h, "long-ids", 31, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        unsetenv("IMPACTD_TEST_MAX_STRING_BYTES");
        /* Keyed: alert, ticket, sentiment through the ticket. */
        alert(&h, evid, svc, inc, region);
        ticket(&h, "t1", tkt, acct, inc, NULL);
        sentiment(&h, "s1", tkt, acct);
        /* Unkeyed: a ticket for a service with no incident is held, and
         * released into the incident its alert opens; sentiment naming
         * that ticket follows its bind. */
        ticket(&h, "t2", tkt2, acct, NULL, svc2);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 30000));
        alert(&h, "a2", svc2, NULL, NULL);
        sentiment(&h, "s2", tkt2, acct);
        alert(&h, "over", "search", over, NULL);
        harness_flush(&h);
        json_t *m = wait_incident(&h, inc, 1, 1);
        assert_string_equal(jstr(m, "root_service"), svc);
        /* The log line of a revision quotes the 4 KiB id, escaped, and
         * still says the rest of what it says. */
        /* The revision is out before its INFO line is written. */
        assert_true(harness_wait_log(&h, 0, "INFO scored incident=I{x}/#:", NULL, 1,
                                     30000));
        char *log = worker_log(&h);
        const char *line = strstr(log, "INFO scored incident=I{x}/#:");
        assert_non_null(line);
        const char *eol = strchr(line, '\n');
        const char *conf = strstr(line, " confidence=");
        assert_true(conf && eol && conf < eol);
        free(log);
        json_t *regions = json_object_get(m, "users_by_region");
        assert_int_equal(json_integer_value(json_object_get(regions, region)),
                         400);
        json_decref(m);
        assert_int_equal(incident_keys_in_one_slot(&h, inc) >= 5, true);
        /* svc2's incident: "<service>-<hash of its event id>". */
        char *other_id = wait_root(&h, svc2);
        assert_int_equal(strncmp(other_id, svc2, N), 0);
        assert_int_equal(strlen(other_id), N + 9);
        json_decref(wait_incident(&h, other_id, 1, 1));
        incident_keys_in_one_slot(&h, other_id);
        /* The key account's page and its manager's notification name
         * the account whole.  Every output of what was consumed is
         * acknowledged once its offsets are committed. */
        assert_true(harness_wait_consumed(&h, 30000));
        json_t *esc = harness_read_all(&h, "impact.escalations");
        size_t key_pages = 0;
        for (size_t i = 0; i < json_array_size(esc); i++) {
                json_t *e = json_array_get(esc, i);
                if (!strcmp(jstr(e, "reason"), "key_account") &&
                    !strcmp(jstr(e, "incident_id"), inc)) {
                        assert_string_equal(jstr(e, "account_id"), acct);
                        key_pages++;
                }
        }
        assert_true(key_pages > 0);
        json_decref(esc);
        json_t *notes = harness_read_all(&h, "impact.notifications");
        size_t per_account = 0;
        char *enc = malloc(ident_encoded_len(acct, IDENT_PART) + 1);
        ident_encode(acct, IDENT_PART, enc);
        for (size_t i = 0; i < json_array_size(notes); i++) {
                json_t *n = json_array_get(notes, i);
                if (strcmp(jstr(n, "incident_id"), inc) ||
                    !json_is_string(json_object_get(n, "account_id")))
                        continue;
                assert_string_equal(jstr(n, "account_id"), acct);
                assert_non_null(strstr(jstr(n, "notification_id"), enc));
                per_account++;
        }
        assert_true(per_account > 0);
        free(enc);
        json_decref(notes);
        /* One byte over: the DLQ, naming the field and the limit. */
        json_t *dlq = expect_exactly(&h, "impact.dlq", 1);
        assert_string_equal(
                jstr(json_object_get(json_array_get(dlq, 0), "headers"),
                     "dlq.reason"),
                "field 'incident_key': string of 4097 bytes exceeds "
                "limits.max_string_bytes (4096)");
        json_decref(dlq);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
        free(other_id);
        free(inc), free(svc), free(tkt), free(acct), free(evid), free(region);
        free(svc2), free(tkt2), free(over);
}

/* Incident keys that a rewrite of odd characters, or a cut at some
 * length, would make one: each stays its own incident, under its own id,
 * with its own account, and all of its keys in one cluster slot. */
static void test_distinct_ids_stay_distinct(void **state) {
        static harness_t h;
        char a177[178], b177[178];
        memset(a177, 'k', 177);
        a177[177] = '\0';
        memcpy(b177, a177, sizeof(a177));
        b177[175] = 'X'; /* the first 170 bytes (and more) shared */
        const char *keys[] = {
                "tenant-a/INC-7", "tenant-a INC-7", "tenant-a#INC-7",
                "tenant-a_INC-7", "tenant-a{INC-7}", "}tenant-a{",
                "tenant-a:INC-7", "tenant-a\nINC-7", "tenant-\xc3\xa4-INC-7",
                "tenant-a%2FINC-7", "tenant-a%2fINC-7", "{}", a177, b177,
        };
        enum { K = sizeof(keys) / sizeof(keys[0]) };
        char ev[32], acct[32], tid[32];
        (void)state;
        harness_start(&h, "distinct-ids", 31, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        for (int i = 0; i < K; i++) {
                snprintf(ev, sizeof(ev), "a-%d", i);
                alert(&h, ev, "search", keys[i], NULL);
                snprintf(ev, sizeof(ev), "t-%d", i);
                snprintf(tid, sizeof(tid), "T-%d", i);
                snprintf(acct, sizeof(acct), "acct-%d", i);
                ticket(&h, ev, tid, acct, keys[i], NULL);
        }
        /* A service and a ticket whose names would end a hash tag. */
        alert(&h, "brace-a", "}x-svc", NULL, NULL);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 30000));
        ticket(&h, "brace-t", "}T-1", "brace-acct", NULL, "}x-svc");
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 30000));
        sentiment(&h, "brace-s", "}T-1", "brace-acct");
        harness_flush(&h);
        char *slot_keys[K];
        for (int i = 0; i < K; i++) {
                /* its own account only: one account each */
                json_decref(wait_incident(&h, keys[i], 1, 0));
                assert_true(incident_keys_in_one_slot(&h, keys[i]) >= 4);
                slot_keys[i] = agg_key(keys[i], "");
                for (int j = 0; j < i; j++)
                        assert_string_not_equal(slot_keys[i], slot_keys[j]);
        }
        for (int i = 0; i < K; i++)
                free(slot_keys[i]);
        char *brace_id = wait_root(&h, "}x-svc");
        json_decref(wait_incident(&h, brace_id, 1, 1));
        incident_keys_in_one_slot(&h, brace_id);
        redisReply *r = harness_redis(&h, "GET impact:tkt:{%%7DT-1}");
        assert_string_equal(r->str, brace_id);
        freeReplyObject(r);
        free(brace_id);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        assert_state_kept(&h);
        harness_stop(&h);
}

/* ---- logs ------------------------------------------------------------------ */

/* Year 0000: no clock this test runs on writes it. */
#define FORGED "\n0000-01-01T00:00:00.000Z ERROR forged"

/* Every line of the log starts as the logger starts them; none is one an
 * input wrote. */
static void assert_log_unforged(const char *log) {
        const char *line = log;
        while (*line) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                if (len) {
                        if (!strncmp(line, "0000-", 5))
                                fail_msg("forged line: %.*s", (int)len, line);
                        /* 2026-12-07T17:48:40.949Z LEVEL */
                        assert_true(len > 25 && line[4] == '-' &&
                                    line[10] == 'T' && line[23] == 'Z' &&
                                    line[24] == ' ');
                }
                line += len + (end != NULL);
        }
}

/* A newline in every field a log line quotes (ids, services, regions,
 * and the enum values a DLQ reason repeats) is escaped, never a line. */
static void test_no_input_forges_a_log_line(void **state) {
        static harness_t h;
        (void)state;
        harness_start(&h, "log-forgery", 31, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        alert(&h, "ev" FORGED, "svc" FORGED, "inc" FORGED, "eu" FORGED);
        /* held: "held ticket event_id=..." names the event and service */
        ticket(&h, "held" FORGED, "T" FORGED, "acct" FORGED, NULL,
               "other" FORGED);
        json_t *o = json_obj("{\"event_id\":\"bad-status\",\"service\":\"s\","
                             "\"status\":\"FIRING\\n0000-01-01T00:00:00.000Z "
                             "ERROR forged\",\"occurred_at\":1795000000000}");
        produce_json(&h, "alerts", o);
        o = json_obj("{\"event_id\":\"bad-tier\",\"ticket_id\":\"T\","
                     "\"account_id\":\"a\",\"service\":\"s\",\"status\":\"OPEN\","
                     "\"customer_tier\":\"PRO\\n0000-01-01T00:00:00.000Z ERROR "
                     "forged\",\"occurred_at\":1795000000000}");
        produce_json(&h, "tickets", o);
        harness_flush(&h);
        assert_true(harness_wait_consumed(&h, 30000));
        json_decref(wait_incident(&h, "inc" FORGED, 0, 0));
        json_decref(expect_exactly(&h, "impact.dlq", 2));
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        char *log = worker_log(&h);
        assert_log_unforged(log);
        /* ... and the values are all there, escaped. */
        assert_non_null(strstr(log, "incident=inc\\n0000-01-01T00:00:00.000Z "
                                    "ERROR forged"));
        assert_non_null(strstr(log, "event_id=held\\n0000-01-01T"));
        assert_non_null(strstr(log, "service other\\n0000-01-01T"));
        assert_non_null(strstr(log, "'FIRING\\n0000-01-01T"));
        assert_non_null(strstr(log, "'PRO\\n0000-01-01T"));
        free(log);
        harness_stop(&h);
}

/* ---- secrets --------------------------------------------------------------- */

/* Runs `impactd <args>` with stderr and stdout into `out` (caller frees);
 * returns its exit status. */
static int run_impactd(const char *args, char **out) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "%s %s 2>&1", getenv("IMPACTD_BIN"), args);
        FILE *fp = popen(cmd, "r");
        assert_non_null(fp);
        size_t len = 0, cap = 4096;
        char *s = malloc(cap);
        size_t n;
        while ((n = fread(s + len, 1, cap - len - 1, fp)) > 0) {
                len += n;
                if (cap - len < 2)
                        s = realloc(s, cap *= 2);
        }
        s[len] = '\0';
        *out = s;
        int st = pclose(fp);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A malformed redis.url is refused at check-config and at run, exit 3,
 * naming the file, line and key, and never printing its password, however
 * it is malformed. */
static void test_no_secret_reaches_an_error_or_a_log(void **state) {
        static harness_t h;
        static const char *const urls[] = {
                "redis://:s3cretPW@127.0.0.1:569319/0",
                "redis://:s3c@retPW@127.0.0.1:6379/x",
                "redis://u:s3cretPW@:6379",
                "http://:s3cretPW@127.0.0.1:6379",
        };
        char path[400], args[512];
        (void)state;
        harness_start(&h, "secrets", 31, 1, TEST_CATALOG);
        snprintf(path, sizeof(path), "%s/bad.yaml", h.dir);
        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
                FILE *fp = fopen(path, "w");
                fprintf(fp, "kafka: {brokers: '%s'}\nredis:\n  url: '%s'\n",
                        h.bootstraps, urls[i]);
                fclose(fp);
                for (int run = 0; run < 2; run++) {
                        char *out;
                        snprintf(args, sizeof(args), "%s %s",
                                 run ? "run --config" : "check-config", path);
                        assert_int_equal(run_impactd(args, &out), 3);
                        if (!strstr(out, "bad.yaml:3: redis.url: ") ||
                            strstr(out, "s3c") || strstr(out, "retPW"))
                                fail_msg("%s: %s", urls[i], out);
                        free(out);
                }
        }
        /* A well-formed URL of a Redis that is not there: check-config
         * prints it masked, and the worker waits for it, saying so
         * without the password (stopped after 3 s). */
        FILE *fp = fopen(path, "w");
        fprintf(fp, "kafka: {brokers: '%s'}\nredis:\n  url: "
                    "'redis://:s3c@retPW@127.0.0.1:1/0'\nschemas: {dir: '%s/schemas'}\n",
                h.bootstraps, getenv("IMPACTD_SOURCE_DIR"));
        fclose(fp);
        char *out;
        snprintf(args, sizeof(args), "check-config %s", path);
        assert_int_equal(run_impactd(args, &out), 0);
        assert_null(strstr(out, "s3c"));
        assert_non_null(strstr(out, "redis://:*****@127.0.0.1:1/0"));
        free(out);
        /* The worker retries the connection for ever: read its output
         * until it says it failed, then stop it. */
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(fds[1], 1);
                dup2(fds[1], 2);
                close(fds[0]);
                execl(getenv("IMPACTD_BIN"), "impactd", "run", "--config", path,
                      (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        char all[16384] = "";
        size_t len = 0;
        int64_t deadline = impactd_mono_ms() + 60000;
        while (!strstr(all, "redis connect 127.0.0.1:1: ") &&
               len < sizeof(all) - 1 && impactd_mono_ms() < deadline) {
                struct pollfd pfd = {fds[0], POLLIN, 0};
                if (poll(&pfd, 1, 100) <= 0)
                        continue;
                ssize_t got = read(fds[0], all + len, sizeof(all) - 1 - len);
                if (got <= 0)
                        break;
                len += (size_t)got;
                all[len] = '\0';
        }
        kill(pid, SIGTERM);
        for (ssize_t got; len < sizeof(all) - 1 &&
                          (got = read(fds[0], all + len, sizeof(all) - 1 - len)) > 0;)
                len += (size_t)got;
        all[len] = '\0';
        close(fds[0]);
        waitpid(pid, NULL, 0);
        if (!strstr(all, "redis connect 127.0.0.1:1: ") || strstr(all, "s3c") ||
            strstr(all, "retPW"))
                fail_msg("run: %s", all);
        harness_stop(&h);
}

/* ---- lost state ------------------------------------------------------------ */

/* (incident_id, revision), escalation_id and notification_id each name
 * one content: no id is published twice with different content. */
static void assert_no_id_reused(harness_t *h) {
        static const char *const topics[][2] = {
                {"impact.escalations", "escalation_id"},
                {"impact.notifications", "notification_id"},
                {"impact.scored", NULL},
        };
        for (size_t t = 0; t < 3; t++) {
                json_t *msgs = harness_read_all(h, topics[t][0]);
                json_t *seen = json_object();
                for (size_t i = 0; i < json_array_size(msgs); i++) {
                        json_t *m = json_array_get(msgs, i);
                        char id[512];
                        if (topics[t][1])
                                snprintf(id, sizeof(id), "%s",
                                         jstr(m, topics[t][1]));
                        else
                                snprintf(id, sizeof(id), "%s#%lld",
                                         jstr(m, "incident_id"),
                                         (long long)jint(m, "revision"));
                        char *body = json_dumps(m, JSON_SORT_KEYS);
                        json_t *before = json_object_get(seen, id);
                        /* created_at differs between a first and a later
                         * copy of one decision; nothing here repeats. */
                        if (before)
                                fail_msg("%s %s published twice:\n%s\n%s",
                                         topics[t][0], id,
                                         json_string_value(before), body);
                        json_object_set_new(seen, id, json_string(body));
                        free(body);
                }
                json_decref(seen);
                json_decref(msgs);
        }
}

static json_t *scored_of(harness_t *h, const char *incident, size_t *n) {
        json_t *scored = harness_read_all(h, "impact.scored"), *out = json_array();
        for (size_t i = 0; i < json_array_size(scored); i++)
                if (!strcmp(jstr(json_array_get(scored, i), "incident_id"),
                            incident))
                        json_array_append(out, json_array_get(scored, i));
        json_decref(scored);
        *n = json_array_size(out);
        return out;
}

/* Redis flushed while the worker runs: it finds the state lost at its
 * next batch, says so, and the incident's revisions and pages go on
 * under ids never used before. */
static void test_flushed_redis_is_found_and_no_id_repeats(void **state) {
        static harness_t h;
        size_t n;
        (void)state;
        harness_start(&h, "flushed", 31, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        alert(&h, "f-a1", "payments", "INC-f", NULL);
        ticket(&h, "f-t1", "T-f1", "acme", "INC-f", NULL);
        harness_flush(&h);
        json_decref(wait_incident(&h, "INC-f", 1, 0));
        assert_true(harness_wait_consumed(&h, 30000));
        json_t *before = scored_of(&h, "INC-f", &n);
        json_decref(before);
        assert_true(n >= 1);
        redisReply *r = harness_redis(&h, "FLUSHDB");
        freeReplyObject(r);
        ticket(&h, "f-t2", "T-f2", "globex", "INC-f", NULL);
        harness_flush(&h);
        /* Only the second ticket's account: the first was lost with
         * Redis, and is not made up. */
        json_t *m = wait_revision_above(&h, "INC-f", REDIS_GENERATION_REVISIONS);
        assert_int_equal(jint(m, "affected_accounts"), 1);
        int64_t lost_rev = jint(m, "revision");
        json_decref(m);
        assert_true(harness_wait_consumed(&h, 30000));
        assert_no_id_reused(&h);
        r = harness_redis(&h, "HGET impact:state gen");
        assert_true(atoll(r->str) > 0);
        freeReplyObject(r);
        char *log = worker_log(&h);
        assert_non_null(strstr(log, "ERROR redis: state lost (no marker, no "
                                    "state, but offset "));
        free(log);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        /* What docs/operations.md says to do: rewind, run again.  The
         * first ticket's account is back; nothing is published again
         * under an id it had. */
        char args[512], *out;
        snprintf(args, sizeof(args), "rewind --config %s --to-earliest",
                 h.config_path);
        int rc = run_impactd(args, &out);
        if (rc != 0 || !strstr(out, "impact.tickets\t0\t2\t0\n"))
                fail_msg("rewind: exit %d: %s", rc, out);
        free(out);
        harness_worker_start(&h, 0);
        json_t *again = wait_incident(&h, "INC-f", 2, 0);
        assert_true(jint(again, "revision") > lost_rev);
        json_decref(again);
        assert_true(harness_wait_consumed(&h, 30000));
        assert_no_id_reused(&h);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* Every key and its value, DUMPed (a snapshot to restore later). */
typedef struct snapshot {
        redisReply *keys;
        redisReply **dumps;
} snapshot_t;

static void snapshot_take(harness_t *h, snapshot_t *s) {
        s->keys = harness_redis(h, "KEYS *");
        s->dumps = calloc(s->keys->elements + 1, sizeof(*s->dumps));
        for (size_t i = 0; i < s->keys->elements; i++)
                s->dumps[i] = harness_redis(h, "DUMP %b", s->keys->element[i]->str,
                                            s->keys->element[i]->len);
}

static void snapshot_restore(harness_t *h, snapshot_t *s) {
        freeReplyObject(harness_redis(h, "FLUSHDB"));
        for (size_t i = 0; i < s->keys->elements; i++) {
                freeReplyObject(harness_redis(
                        h, "RESTORE %b 0 %b", s->keys->element[i]->str,
                        s->keys->element[i]->len, s->dumps[i]->str,
                        s->dumps[i]->len));
                freeReplyObject(s->dumps[i]);
        }
        freeReplyObject(s->keys);
        free(s->dumps);
}

/* Redis back as an older copy of itself (a replica that missed the last
 * writes, a restore from a snapshot): its marks are behind Kafka's
 * offsets.  Found, and nothing published again under an old id. */
static void test_a_redis_behind_its_offsets_is_found(void **state) {
        static harness_t h;
        snapshot_t snap;
        (void)state;
        harness_start(&h, "behind", 31, 1, TEST_CATALOG);
        harness_worker_start(&h, 0);
        alert(&h, "b-a1", "payments", "INC-b", NULL);
        harness_flush(&h);
        json_decref(wait_incident(&h, "INC-b", 0, 0));
        assert_true(harness_wait_consumed(&h, 30000));
        snapshot_take(&h, &snap);
        ticket(&h, "b-t1", "T-b1", "acme", "INC-b", NULL);
        harness_flush(&h);
        json_decref(wait_incident(&h, "INC-b", 1, 0));
        assert_true(harness_wait_consumed(&h, 30000));
        snapshot_restore(&h, &snap);
        ticket(&h, "b-t2", "T-b2", "globex", "INC-b", NULL);
        harness_flush(&h);
        /* The alert and the second ticket: the first ticket's write was
         * lost, and is not made up. */
        json_t *m = wait_revision_above(&h, "INC-b", REDIS_GENERATION_REVISIONS);
        assert_int_equal(jint(m, "affected_accounts"), 1);
        assert_int_equal(jint(m, "affected_users"), 400);
        json_decref(m);
        assert_true(harness_wait_consumed(&h, 30000));
        assert_no_id_reused(&h);
        char *log = worker_log(&h);
        assert_non_null(strstr(log, "ERROR redis: state lost (state of t0 "
                                    "written up to offset 0, committed up "
                                    "to 1)"));
        free(log);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

/* The same, found by a re-score rather than by a batch: with no new
 * event, the clock moves past the incident's deadline on a Redis that
 * came back behind.  The re-score must not write a revision of the old
 * generation: the one it would have written was published already, with
 * the account Redis lost. */
static void test_a_rescore_after_a_loss_repeats_no_revision(void **state) {
        static harness_t h;
        snapshot_t snap;
        (void)state;
        harness_start(&h, "rescore-behind", 31, 1, TEST_CATALOG);
        harness_set_clock(&h, T0 + MIN);
        harness_worker_start_with(&h, 0, "rescore.note");
        alert(&h, "r-a1", "payments", "INC-r", NULL);
        ticket(&h, "r-t1", "T-r1", "acme", "INC-r", NULL);
        harness_flush(&h);
        json_decref(wait_incident(&h, "INC-r", 1, 0));
        assert_true(harness_wait_consumed(&h, 30000));
        snapshot_take(&h, &snap);
        ticket(&h, "r-t2", "T-r2", "globex", "INC-r", NULL);
        harness_flush(&h);
        json_decref(wait_incident(&h, "INC-r", 2, 0));
        assert_true(harness_wait_consumed(&h, 30000));
        snapshot_restore(&h, &snap);
        /* Two days on: every deadline of the incident is due. */
        harness_set_clock(&h, T0 + 2 * 24 * 60 * MIN);
        json_t *m = wait_revision_above(&h, "INC-r", REDIS_GENERATION_REVISIONS);
        assert_int_equal(jint(m, "affected_accounts"), 1);
        json_decref(m);
        /* Every output of the re-score is out before ids are compared. */
        assert_true(harness_wait_rescored(&h, 0, T0 + 2 * 24 * 60 * MIN, 30000));
        assert_no_id_reused(&h);
        char *log = worker_log(&h);
        assert_non_null(strstr(log, "ERROR redis: state lost (state of t0 "
                                    "written up to offset 1, committed up "
                                    "to 2)"));
        free(log);
        assert_int_equal(harness_worker_stop(&h, 0, SIGTERM), 0);
        harness_stop(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_a_huge_key_goes_to_the_dlq_cut, harness_teardown),
                cmocka_unit_test_teardown(test_a_dlq_copy_the_brokers_refuse_goes_again_smaller, harness_teardown),
                cmocka_unit_test_teardown(test_an_output_kafka_refuses_goes_to_the_dlq, harness_teardown),
                cmocka_unit_test_teardown(test_a_call_redis_refuses_sends_only_its_message_to_dlq, harness_teardown),
                cmocka_unit_test_teardown(test_a_refusal_no_message_caused_pauses_the_stream, harness_teardown),
                cmocka_unit_test_teardown(test_identifiers_at_the_limit_work_and_over_it_go_to_dlq, harness_teardown),
                cmocka_unit_test_teardown(test_distinct_ids_stay_distinct, harness_teardown),
                cmocka_unit_test_teardown(test_no_input_forges_a_log_line, harness_teardown),
                cmocka_unit_test_teardown(test_no_secret_reaches_an_error_or_a_log, harness_teardown),
                cmocka_unit_test_teardown(test_flushed_redis_is_found_and_no_id_repeats, harness_teardown),
                cmocka_unit_test_teardown(test_a_redis_behind_its_offsets_is_found, harness_teardown),
                cmocka_unit_test_teardown(test_a_rescore_after_a_loss_repeats_no_revision, harness_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
