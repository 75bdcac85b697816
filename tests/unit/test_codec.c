/* Codec unit tests: both input encodings, every DLQ reason the codec can
 * give, and the three output records in both output formats.  No Kafka, no
 * Redis, no config.c: the config is built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "codec.h"

#define T0 INT64_C(1714000000000) /* 2024-04-24, epoch ms */

typedef struct fixture {
        config_t conf;
        config_schema_t schemas[6];
        char paths[6][512];
        codec_t *codec;
        event_t ev;
        buf_t buf;
        buf_t buf2;
        char errstr[512];
} fixture_t;

static const char *const schema_files[6] = {
        "alert", "ticket", "sentiment", "scored", "escalation", "notification"};

/* $IMPACTD_SOURCE_DIR (set by CTest), else the tree this file is in. */
static void source_dir(char *out, size_t size) {
        const char *env = getenv("IMPACTD_SOURCE_DIR");
        const char *tail = strstr(__FILE__, "/tests/unit/");

        if (env != NULL && env[0] != '\0')
                snprintf(out, size, "%s", env);
        else if (tail != NULL)
                snprintf(out, size, "%.*s", (int)(tail - __FILE__), __FILE__);
        else
                snprintf(out, size, ".");
}

static int setup(void **state) {
        fixture_t *f = calloc(1, sizeof(*f));
        char dir[400];

        assert_non_null(f);
        source_dir(dir, sizeof(dir));
        for (int i = 0; i < 6; i++) {
                snprintf(f->paths[i], sizeof(f->paths[i]), "%s/schemas/%s.avsc",
                         dir, schema_files[i]);
                f->schemas[i].id = i + 1;
                f->schemas[i].path = f->paths[i];
                f->conf.schemas.writer_id[i] =
                        i + 1; /* topic order = id order */
        }
        f->conf.schemas.entries = f->schemas;
        f->conf.schemas.cnt = 6;
        f->conf.limits.max_message_bytes = 65536;
        f->conf.limits.max_string_bytes = 256;
        f->codec = codec_new(&f->conf, f->errstr, sizeof(f->errstr));
        if (f->codec == NULL)
                fail_msg("codec_new: %s", f->errstr);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        fixture_t *f = *state;

        codec_destroy(f->codec);
        event_free_spill(&f->ev);
        buf_free(&f->buf);
        buf_free(&f->buf2);
        free(f);
        return 0;
}

static impactd_err_t decode(fixture_t *f, event_kind_t kind, const void *data,
                            size_t len) {
        f->errstr[0] = '\0';
        return codec_decode_event(f->codec, kind, data, len, &f->ev, f->errstr,
                                  sizeof(f->errstr));
}

static impactd_err_t decode_json(fixture_t *f, event_kind_t kind,
                                 const char *json) {
        return decode(f, kind, json, strlen(json));
}

/* JSON -> Confluent Avro with schema `id`, into f->buf. */
static void to_avro(fixture_t *f, int32_t id, const char *json) {
        impactd_err_t err =
                codec_json_to_avro(f->codec, id, json, strlen(json), &f->buf,
                                   f->errstr, sizeof(f->errstr));
        if (err)
                fail_msg("codec_json_to_avro: %s", f->errstr);
}

static void expect_reject(fixture_t *f, event_kind_t kind, const void *data,
                          size_t len, impactd_err_t want_err,
                          const char *want_reason) {
        impactd_err_t err = decode(f, kind, data, len);

        assert_int_equal(err, want_err);
        assert_string_equal(f->errstr, want_reason);
}

static void expect_json_reject(fixture_t *f, event_kind_t kind,
                               const char *json, impactd_err_t want_err,
                               const char *want_reason) {
        expect_reject(f, kind, json, strlen(json), want_err, want_reason);
}

#define ALERT_REQUIRED                                                         \
        "\"event_id\":\"a-1\",\"service\":\"checkout\",\"status\":\"FIRING\"," \
        "\"occurred_at\":1714000000000"
#define TICKET_REQUIRED                                                        \
        "\"event_id\":\"t-1\",\"ticket_id\":\"T-9\",\"account_id\":\"acme\","  \
        "\"status\":\"OPEN\",\"occurred_at\":1714000000000"
#define SENTIMENT_REQUIRED                                                     \
        "\"event_id\":\"s-1\",\"account_id\":\"acme\",\"score\":-0.5,"         \
        "\"occurred_at\":1714000000000"

/* ------------------------------------------------------------------ */
/* Decoding                                                            */

static void test_json_alert_decodes_all_fields(void **state) {
        fixture_t *f = *state;
        const char *json =
                "  {\"event_id\":\"a-1\",\"incident_key\":\"inc-7\","
                "\"service\":\"checkout\",\"status\":\"RESOLVED\","
                "\"disruption\":\"OUTAGE\",\"declared_severity\":2,"
                "\"affected_users\":1500,\"slo_burn_rate\":14,"
                "\"revenue_loss_per_hour\":2500.5,\"region\":\"eu-central\","
                "\"occurred_at\":1714000000000,\"unknown\":{\"x\":[1]}}";

        assert_int_equal(decode_json(f, EVENT_ALERT, json), IMPACTD_OK);
        assert_int_equal(f->ev.kind, EVENT_ALERT);
        assert_string_equal(f->ev.event_id, "a-1");
        assert_string_equal(f->ev.incident_key, "inc-7");
        assert_string_equal(f->ev.service, "checkout");
        assert_string_equal(f->ev.region, "eu-central");
        assert_int_equal(f->ev.occurred_at, T0);
        assert_int_equal(f->ev.u.alert.status, ALERT_RESOLVED);
        assert_int_equal(f->ev.u.alert.disruption, DISRUPTION_OUTAGE);
        assert_int_equal(f->ev.u.alert.declared_severity, 2);
        assert_int_equal(f->ev.u.alert.affected_users, 1500);
        assert_true(f->ev.u.alert.slo_burn_rate == 14.0);
        assert_true(f->ev.u.alert.revenue_loss_per_hour == 2500.5);
        assert_int_equal(f->ev.has, HAS_DISRUPTION | HAS_DECLARED_SEVERITY |
                                            HAS_AFFECTED_USERS |
                                            HAS_SLO_BURN_RATE |
                                            HAS_REVENUE_LOSS | HAS_STATUS |
                                            HAS_OCCURRED_AT);
}

static void test_avro_ticket_roundtrip_via_json_to_avro(void **state) {
        fixture_t *f = *state;

        to_avro(f, 2,
                "{\"event_id\":\"t-1\",\"ticket_id\":\"T-9\","
                "\"account_id\":\"acme\",\"incident_key\":null,"
                "\"service\":\"checkout\",\"customer_tier\":\"ENTERPRISE\","
                "\"arr\":120000,\"strategic\":true,\"region\":\"us-east\","
                "\"product_version\":\"4.2\",\"platform\":\"ios\","
                "\"feature\":\"payments\",\"status\":\"REOPENED\","
                "\"personal_data_at_risk\":false,"
                "\"occurred_at\":1714000000000}");
        assert_int_equal(f->buf.data[0], 0);
        assert_memory_equal(f->buf.data + 1, "\0\0\0\2", 4);
        assert_int_equal(decode(f, EVENT_TICKET, f->buf.data, f->buf.len),
                         IMPACTD_OK);
        assert_string_equal(f->ev.event_id, "t-1");
        assert_string_equal(f->ev.u.ticket.ticket_id, "T-9");
        assert_string_equal(f->ev.u.ticket.account_id, "acme");
        assert_null(f->ev.incident_key);
        assert_string_equal(f->ev.service, "checkout");
        assert_int_equal(f->ev.u.ticket.customer_tier, TIER_ENTERPRISE);
        assert_true(f->ev.u.ticket.arr == 120000.0);
        assert_true(f->ev.u.ticket.strategic);
        assert_string_equal(f->ev.region, "us-east");
        assert_string_equal(f->ev.u.ticket.product_version, "4.2");
        assert_string_equal(f->ev.u.ticket.platform, "ios");
        assert_string_equal(f->ev.u.ticket.feature, "payments");
        assert_int_equal(f->ev.u.ticket.status, TICKET_REOPENED);
        assert_false(f->ev.u.ticket.personal_data_at_risk);
        assert_int_equal(f->ev.occurred_at, T0);
        assert_int_equal(f->ev.has, HAS_CUSTOMER_TIER | HAS_ARR |
                                            HAS_STRATEGIC | HAS_PERSONAL_DATA |
                                            HAS_STATUS | HAS_OCCURRED_AT);
}

static void test_avro_sentiment_decodes(void **state) {
        fixture_t *f = *state;

        /* Optional fields left out of the JSON become Avro nulls. */
        to_avro(f, 3,
                "{\"event_id\":\"s-1\",\"account_id\":\"acme\","
                "\"ticket_id\":\"T-9\",\"score\":-0.75,\"urgency\":0.9,"
                "\"channel\":\"chat\",\"occurred_at\":1714000000000}");
        assert_int_equal(decode(f, EVENT_SENTIMENT, f->buf.data, f->buf.len),
                         IMPACTD_OK);
        assert_string_equal(f->ev.event_id, "s-1");
        assert_string_equal(f->ev.u.sentiment.account_id, "acme");
        assert_string_equal(f->ev.u.sentiment.ticket_id, "T-9");
        assert_null(f->ev.incident_key);
        assert_null(f->ev.service);
        assert_true(f->ev.u.sentiment.score == -0.75);
        assert_true(f->ev.u.sentiment.urgency == 0.9);
        assert_string_equal(f->ev.u.sentiment.channel, "chat");
        assert_int_equal(f->ev.has, HAS_SCORE | HAS_URGENCY | HAS_OCCURRED_AT);
}

static void test_missing_required_field_rejected(void **state) {
        fixture_t *f = *state;

        expect_json_reject(f, EVENT_ALERT,
                           "{\"event_id\":\"a-1\",\"status\":\"FIRING\","
                           "\"occurred_at\":1714000000000}",
                           IMPACTD_ERR_INVALID,
                           "missing required field 'service'");
        expect_json_reject(f, EVENT_ALERT,
                           "{\"event_id\":\"a-1\",\"service\":\"x\","
                           "\"status\":null,\"occurred_at\":1714000000000}",
                           IMPACTD_ERR_INVALID,
                           "missing required field 'status'");
        expect_json_reject(f, EVENT_TICKET,
                           "{\"event_id\":\"t-1\",\"ticket_id\":\"T-9\","
                           "\"status\":\"OPEN\",\"occurred_at\":1714000000000}",
                           IMPACTD_ERR_INVALID,
                           "missing required field 'account_id'");
        expect_json_reject(f, EVENT_TICKET,
                           "{\"event_id\":\"t-1\",\"ticket_id\":\"T-9\","
                           "\"account_id\":\"acme\",\"status\":\"OPEN\"}",
                           IMPACTD_ERR_INVALID,
                           "missing required field 'occurred_at'");
        expect_json_reject(f, EVENT_SENTIMENT,
                           "{\"event_id\":\"s-1\",\"account_id\":\"acme\","
                           "\"occurred_at\":1714000000000}",
                           IMPACTD_ERR_INVALID,
                           "missing required field 'score'");
        expect_json_reject(f, EVENT_SENTIMENT,
                           "{\"account_id\":\"acme\",\"score\":0,"
                           "\"occurred_at\":1714000000000}",
                           IMPACTD_ERR_INVALID,
                           "missing required field 'event_id'");
        /* An empty required string is as good as none. */
        expect_json_reject(
                f, EVENT_ALERT,
                "{\"event_id\":\"a-1\",\"service\":\"\","
                "\"status\":\"FIRING\",\"occurred_at\":1714000000000}",
                IMPACTD_ERR_INVALID, "field 'service': must not be empty");
}

static void test_wrong_type_rejected(void **state) {
        fixture_t *f = *state;

        expect_json_reject(f, EVENT_ALERT,
                           "{" ALERT_REQUIRED ",\"affected_users\":\"many\"}",
                           IMPACTD_ERR_INVALID,
                           "field 'affected_users': expected an integer");
        /* A real where the contract says long is a producer bug. */
        expect_json_reject(f, EVENT_ALERT,
                           "{" ALERT_REQUIRED ",\"affected_users\":12.0}",
                           IMPACTD_ERR_INVALID,
                           "field 'affected_users': expected an integer");
        expect_json_reject(
                f, EVENT_TICKET, "{" TICKET_REQUIRED ",\"strategic\":\"yes\"}",
                IMPACTD_ERR_INVALID, "field 'strategic': expected a boolean");
        expect_json_reject(f, EVENT_TICKET, "{" TICKET_REQUIRED ",\"arr\":[1]}",
                           IMPACTD_ERR_INVALID,
                           "field 'arr': expected a number");
        expect_json_reject(
                f, EVENT_ALERT,
                "{\"event_id\":7,\"service\":\"x\","
                "\"status\":\"FIRING\",\"occurred_at\":1714000000000}",
                IMPACTD_ERR_INVALID, "field 'event_id': expected a string");
        /* Integers are fine for doubles. */
        assert_int_equal(
                decode_json(f, EVENT_SENTIMENT,
                            "{\"event_id\":\"s\",\"account_id\":\"a\","
                            "\"score\":1,\"occurred_at\":1714000000000}"),
                IMPACTD_OK);
        assert_true(f->ev.u.sentiment.score == 1.0);
}

static void test_unknown_enum_rejected(void **state) {
        fixture_t *f = *state;

        expect_json_reject(
                f, EVENT_ALERT,
                "{\"event_id\":\"a-1\",\"service\":\"x\","
                "\"status\":\"BURNING\",\"occurred_at\":1714000000000}",
                IMPACTD_ERR_INVALID, "field 'status': unknown value 'BURNING'");
        /* Enum symbols are case-sensitive, as in Avro. */
        expect_json_reject(f, EVENT_TICKET,
                           "{" TICKET_REQUIRED ",\"customer_tier\":\"gold\"}",
                           IMPACTD_ERR_INVALID,
                           "field 'customer_tier': unknown value 'gold'");
}

static void test_range_violations_rejected(void **state) {
        fixture_t *f = *state;

        expect_json_reject(
                f, EVENT_ALERT, "{" ALERT_REQUIRED ",\"declared_severity\":7}",
                IMPACTD_ERR_INVALID,
                "field 'declared_severity': 7 is out of range [1, 5]");
        expect_json_reject(f, EVENT_ALERT,
                           "{" ALERT_REQUIRED ",\"affected_users\":-3}",
                           IMPACTD_ERR_INVALID,
                           "field 'affected_users': -3 is out of range "
                           "(must be >= 0)");
        expect_json_reject(f, EVENT_ALERT,
                           "{" ALERT_REQUIRED ",\"slo_burn_rate\":-1.5}",
                           IMPACTD_ERR_INVALID,
                           "field 'slo_burn_rate': -1.5 is out of range "
                           "(must be >= 0)");
        expect_json_reject(f, EVENT_SENTIMENT,
                           "{\"event_id\":\"s\",\"account_id\":\"a\","
                           "\"score\":1.5,\"occurred_at\":1714000000000}",
                           IMPACTD_ERR_INVALID,
                           "field 'score': 1.5 is out of range [-1, 1]");
        expect_json_reject(f, EVENT_SENTIMENT,
                           "{" SENTIMENT_REQUIRED ",\"urgency\":2}",
                           IMPACTD_ERR_INVALID,
                           "field 'urgency': 2 is out of range [0, 1]");
        expect_json_reject(f, EVENT_TICKET, "{" TICKET_REQUIRED ",\"arr\":-10}",
                           IMPACTD_ERR_INVALID,
                           "field 'arr': -10 is out of range (must be >= 0)");
}

static void test_invalid_json_reports_position(void **state) {
        fixture_t *f = *state;

        expect_json_reject(f, EVENT_ALERT, "{\"event_id\": }",
                           IMPACTD_ERR_DECODE,
                           "invalid JSON: unexpected token near '}' at 1:14");
        expect_json_reject(f, EVENT_ALERT, "{\"a\":1,\n\"a\":2}",
                           IMPACTD_ERR_DECODE,
                           "invalid JSON: duplicate object key near '\"a\"' "
                           "at 2:3");
}

static void test_json_array_rejected(void **state) {
        fixture_t *f = *state;

        expect_json_reject(f, EVENT_ALERT, "[{\"event_id\":\"a\"}]",
                           IMPACTD_ERR_DECODE, "JSON is not an object");
        expect_json_reject(f, EVENT_ALERT, " \"text\"", IMPACTD_ERR_DECODE,
                           "JSON is not an object");
}

static void test_empty_message_rejected(void **state) {
        fixture_t *f = *state;

        expect_reject(f, EVENT_ALERT, "", 0, IMPACTD_ERR_DECODE,
                      "empty message");
}

static void test_oversized_message_rejected(void **state) {
        fixture_t *f = *state;
        char big[200];

        f->conf.limits.max_message_bytes = 100;
        memset(big, ' ', sizeof(big));
        big[0] = '{';
        big[sizeof(big) - 1] = '}';
        expect_reject(f, EVENT_ALERT, big, sizeof(big), IMPACTD_ERR_DECODE,
                      "message exceeds limits.max_message_bytes "
                      "(100): 200 bytes");
}

static void test_unknown_schema_id_rejected(void **state) {
        fixture_t *f = *state;
        const char msg[] = {0, 0, 0, 0, 42, 2, 'a'};

        expect_reject(f, EVENT_ALERT, msg, sizeof(msg), IMPACTD_ERR_DECODE,
                      "unknown Avro schema id 42");
        expect_reject(f, EVENT_ALERT, msg, 3, IMPACTD_ERR_DECODE,
                      "truncated Confluent header");
}

static void test_truncated_avro_rejected(void **state) {
        fixture_t *f = *state;

        to_avro(f, 1, "{" ALERT_REQUIRED ",\"region\":\"eu-central\"}");
        /* Every cut, including inside a string, is "truncated" - and must
         * not leak (avro-c 1.11 would, had the codec let it read). */
        for (size_t cut = 5; cut < f->buf.len; cut++)
                expect_reject(f, EVENT_ALERT, f->buf.data, cut,
                              IMPACTD_ERR_DECODE, "truncated Avro record");
        assert_int_equal(buf_append(&f->buf, "\0", 1), 0);
        expect_reject(f, EVENT_ALERT, f->buf.data, f->buf.len,
                      IMPACTD_ERR_DECODE, "trailing bytes after Avro record");
}

static void test_hostile_avro_rejected(void **state) {
        fixture_t *f = *state;
        /* event_id claims 2^40 bytes: never allocated, just truncated. */
        const char huge[] = {0,          0,          0,          0,
                             1,          (char)0x80, (char)0x80, (char)0x80,
                             (char)0x80, (char)0x80, 0x40,       'a'};
        /* event_id "a", incident_key null, service "s", status index 5. */
        const char bad_enum[] = {0, 0, 0, 0, 1, 2, 'a', 0, 2, 's', 10};
        /* incident_key union branch 3 of 2. */
        const char bad_branch[] = {0, 0, 0, 0, 1, 2, 'a', 6};

        expect_reject(f, EVENT_ALERT, huge, sizeof(huge), IMPACTD_ERR_DECODE,
                      "truncated Avro record");
        expect_reject(f, EVENT_ALERT, bad_enum, sizeof(bad_enum),
                      IMPACTD_ERR_DECODE,
                      "malformed Avro record: enum AlertStatus index 5");
        expect_reject(f, EVENT_ALERT, bad_branch, sizeof(bad_branch),
                      IMPACTD_ERR_DECODE,
                      "malformed Avro record: union branch 3 of 2");
}

static void test_wrong_record_type_rejected(void **state) {
        fixture_t *f = *state;

        to_avro(f, 2, "{" TICKET_REQUIRED "}");
        expect_reject(f, EVENT_ALERT, f->buf.data, f->buf.len,
                      IMPACTD_ERR_DECODE,
                      "Avro record impactd.Ticket on the alerts topic");
        to_avro(f, 1, "{" ALERT_REQUIRED "}");
        expect_reject(f, EVENT_SENTIMENT, f->buf.data, f->buf.len,
                      IMPACTD_ERR_DECODE,
                      "Avro record impactd.Alert on the sentiment topic");
}

static void test_bad_magic_byte_rejected(void **state) {
        fixture_t *f = *state;

        expect_reject(f, EVENT_ALERT, "\x01\0\0\0\1", 5, IMPACTD_ERR_DECODE,
                      "neither Avro (magic byte 0) nor JSON (first byte 0x01)");
        expect_json_reject(f, EVENT_ALERT, "  hello", IMPACTD_ERR_DECODE,
                           "neither Avro (magic byte 0) nor JSON (first byte "
                           "0x68)");
}

static void test_seconds_timestamp_rejected(void **state) {
        fixture_t *f = *state;

        expect_json_reject(f, EVENT_ALERT,
                           "{\"event_id\":\"a\",\"service\":\"x\","
                           "\"status\":\"FIRING\",\"occurred_at\":1714000000}",
                           IMPACTD_ERR_INVALID,
                           "field 'occurred_at': 1714000000 looks like "
                           "seconds, expected epoch milliseconds");
        expect_json_reject(f, EVENT_ALERT,
                           "{\"event_id\":\"a\",\"service\":\"x\","
                           "\"status\":\"FIRING\","
                           "\"occurred_at\":1714000000000000}",
                           IMPACTD_ERR_INVALID,
                           "field 'occurred_at': 1714000000000000 looks like "
                           "microseconds, expected epoch milliseconds");
        expect_json_reject(f, EVENT_ALERT,
                           "{\"event_id\":\"a\",\"service\":\"x\","
                           "\"status\":\"FIRING\",\"occurred_at\":-5}",
                           IMPACTD_ERR_INVALID,
                           "field 'occurred_at': -5 is not a positive "
                           "epoch-milliseconds timestamp");
}

/* Strings past the event's inline arena go to its heap block: each must
 * come out whole, in Avro and JSON, and the block is reused by the next
 * event (ASan checks that nothing is read after its end or freed). */
static void test_large_event_spills_whole(void **state) {
        fixture_t *f = *state;
        char *json = malloc(8192), id[301], svc[2001];
        assert_non_null(json);
        f->conf.limits.max_string_bytes = 0;
        f->conf.limits.max_message_bytes = 0;
        memset(id, 'i', 300);
        id[300] = '\0';
        memset(svc, 's', 2000);
        svc[2000] = '\0';
        for (int round = 0; round < 2; round++) {
                svc[0] = (char)('a' + round);
                snprintf(json, 8192,
                         "{\"event_id\":\"%s\",\"status\":\"FIRING\","
                         "\"occurred_at\":1714000000000,\"service\":\"%s\","
                         "\"region\":\"eu-west\"}",
                         id, svc);
                assert_int_equal(decode_json(f, EVENT_ALERT, json), IMPACTD_OK);
                assert_string_equal(f->ev.event_id, id);
                assert_string_equal(f->ev.service, svc);
                assert_string_equal(f->ev.region, "eu-west");
                to_avro(f, 1, json);
                assert_int_equal(decode(f, EVENT_ALERT, f->buf.data, f->buf.len),
                                 IMPACTD_OK);
                assert_string_equal(f->ev.event_id, id);
                assert_string_equal(f->ev.service, svc);
                assert_string_equal(f->ev.region, "eu-west");
        }
        free(json);
}

/* A FIRING alert whose service is `n` bytes of 's', into json. */
static void alert_of_service_len(char *json, size_t size, size_t n) {
        char svc[512];

        assert_true(n < sizeof(svc));
        memset(svc, 's', n);
        svc[n] = '\0';
        snprintf(json, size,
                 "{\"event_id\":\"a\",\"service\":\"%s\",\"status\":\"FIRING\","
                 "\"occurred_at\":1714000000000}",
                 svc);
}

/* limits.max_string_bytes is the longest string taken, not the first one
 * refused: a service name of exactly 256 bytes (the fixture's limit)
 * decodes whole, and one byte more goes to the DLQ.  Both encodings. */
static void test_string_at_the_limit_accepted(void **state) {
        fixture_t *f = *state;
        char json[1024];

        alert_of_service_len(json, sizeof(json), 256);
        assert_int_equal(decode_json(f, EVENT_ALERT, json), IMPACTD_OK);
        assert_int_equal(strlen(f->ev.service), 256);
        to_avro(f, 1, json);
        assert_int_equal(decode(f, EVENT_ALERT, f->buf.data, f->buf.len),
                         IMPACTD_OK);
        assert_int_equal(strlen(f->ev.service), 256);

        alert_of_service_len(json, sizeof(json), 257);
        expect_json_reject(f, EVENT_ALERT, json, IMPACTD_ERR_INVALID,
                           "field 'service': string of 257 bytes exceeds "
                           "limits.max_string_bytes (256)");
}

static void test_long_string_rejected(void **state) {
        fixture_t *f = *state;
        char json[1024];

        alert_of_service_len(json, sizeof(json), 299);
        expect_json_reject(f, EVENT_ALERT, json, IMPACTD_ERR_INVALID,
                           "field 'service': string of 299 bytes exceeds "
                           "limits.max_string_bytes (256)");
        /* Within the limits, longer than the event's spill block, and
         * taken whole: nothing but the limits bounds an identifier. */
        f->conf.limits.max_string_bytes = 0;
        f->conf.limits.max_message_bytes = 0;
        {
                size_t n = 3 * EVENT_SPILL_SIZE + 64;
                char *big = malloc(n + 128);
                assert_non_null(big);
                int len = snprintf(big, n + 128,
                                   "{\"event_id\":\"a\",\"status\":\"FIRING\","
                                   "\"occurred_at\":1714000000000,"
                                   "\"service\":\"");
                memset(big + len, 's', n);
                strcpy(big + len + n, "\"}");
                assert_int_equal(codec_decode_event(f->codec, EVENT_ALERT, big,
                                                    strlen(big), &f->ev,
                                                    f->errstr,
                                                    sizeof(f->errstr)),
                                 IMPACTD_OK);
                assert_int_equal(strlen(f->ev.service), n);
                assert_int_equal(f->ev.service[n - 1], 's');
                free(big);
        }
}

/* Alert bytes by hand, with `svc` as the service: the only way to get NUL
 * or invalid UTF-8 into an Avro string (JSON cannot carry them). */
static size_t alert_with_service(char *out, const char *svc, size_t len) {
        size_t n = 0;
        const char head[] = {0, 0, 0, 0, 1, 2, 'a', 0};

        memcpy(out, head, sizeof(head));
        n = sizeof(head);
        out[n++] = (char)(len * 2);
        memcpy(out + n, svc, len);
        n += len;
        /* status FIRING, then nulls for the 6 optionals */
        memcpy(out + n, "\0\0\0\0\0\0\0", 7);
        n += 7;
        /* occurred_at 1714000000000 as zig-zag varint */
        uint64_t v = (uint64_t)T0 << 1;
        do {
                out[n++] = (char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
                v >>= 7;
        } while (v);
        return n;
}

static void test_invalid_utf8_rejected(void **state) {
        fixture_t *f = *state;
        char msg[64];
        size_t n;

        n = alert_with_service(msg, "ok", 2);
        assert_int_equal(decode(f, EVENT_ALERT, msg, n), IMPACTD_OK);
        assert_string_equal(f->ev.service, "ok");
        n = alert_with_service(msg, "a\xc3(", 3);
        expect_reject(f, EVENT_ALERT, msg, n, IMPACTD_ERR_INVALID,
                      "field 'service': invalid UTF-8");
        n = alert_with_service(msg, "\xed\xa0\x80", 3); /* a surrogate */
        expect_reject(f, EVENT_ALERT, msg, n, IMPACTD_ERR_INVALID,
                      "field 'service': invalid UTF-8");
        n = alert_with_service(msg, "a\0b", 3);
        expect_reject(f, EVENT_ALERT, msg, n, IMPACTD_ERR_INVALID,
                      "field 'service': string contains a NUL byte");
        /* jansson refuses both in JSON, with the position. */
        expect_json_reject(f, EVENT_ALERT, "{\"service\":\"a\xc3(\"}",
                           IMPACTD_ERR_DECODE,
                           "invalid JSON: unable to decode byte 0xc3 near "
                           "'\"a' at 1:13");
        expect_json_reject(f, EVENT_ALERT, "{\"service\":\"a\\u0000\"}",
                           IMPACTD_ERR_DECODE,
                           "invalid JSON: \\u0000 is not allowed without "
                           "JSON_ALLOW_NUL near '\"a\\u0000\"' at 1:20");
}

static void test_absent_disruption_defaults_to_degraded(void **state) {
        fixture_t *f = *state;

        assert_int_equal(decode_json(f, EVENT_ALERT, "{" ALERT_REQUIRED "}"),
                         IMPACTD_OK);
        assert_int_equal(f->ev.u.alert.disruption, DISRUPTION_DEGRADED);
        assert_false(f->ev.has & HAS_DISRUPTION);
        to_avro(f, 1, "{" ALERT_REQUIRED ",\"disruption\":null}");
        assert_int_equal(decode(f, EVENT_ALERT, f->buf.data, f->buf.len),
                         IMPACTD_OK);
        assert_int_equal(f->ev.u.alert.disruption, DISRUPTION_DEGRADED);
        assert_false(f->ev.has & HAS_DISRUPTION);
}

static void test_empty_optional_string_is_absent(void **state) {
        fixture_t *f = *state;

        assert_int_equal(decode_json(f, EVENT_ALERT,
                                     "{" ALERT_REQUIRED
                                     ",\"incident_key\":\"\","
                                     "\"region\":null}"),
                         IMPACTD_OK);
        assert_null(f->ev.incident_key);
        assert_null(f->ev.region);
}

/* The event is reused across messages: nothing of one may leak into the
 * next, and the arena starts empty each time. */
static void test_event_reuse_clears_previous_fields(void **state) {
        fixture_t *f = *state;

        for (int i = 0; i < 1000; i++)
                assert_int_equal(decode_json(f, EVENT_ALERT,
                                             "{" ALERT_REQUIRED
                                             ",\"region\":\"eu\","
                                             "\"affected_users\":5}"),
                                 IMPACTD_OK);
        assert_int_equal(decode_json(f, EVENT_ALERT, "{" ALERT_REQUIRED "}"),
                         IMPACTD_OK);
        assert_null(f->ev.region);
        assert_false(f->ev.has & HAS_AFFECTED_USERS);
        assert_true(f->ev.arena_used < 64);
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

/* Schema evolution: a message is read with the schema it was written
 * with (by id), so an older alert schema without the optional fields
 * still decodes. */
static void test_older_writer_schema_decodes(void **state) {
        fixture_t *f = *state;
        char path[] = "/tmp/impactd-test-alert-v0-XXXXXX";
        const char *v0 = "{\"type\":\"record\",\"name\":\"Alert\","
                         "\"namespace\":\"impactd\",\"fields\":["
                         "{\"name\":\"occurred_at\",\"type\":\"long\"},"
                         "{\"name\":\"event_id\",\"type\":\"string\"},"
                         "{\"name\":\"service\",\"type\":\"string\"},"
                         "{\"name\":\"status\",\"type\":{\"type\":\"enum\","
                         "\"name\":\"AlertStatus\",\"symbols\":[\"RESOLVED\","
                         "\"FIRING\"]}}]}";
        config_schema_t entries[7];
        config_t conf = f->conf;
        codec_t *codec;
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, v0, strlen(v0)), (ssize_t)strlen(v0));
        close(fd);
        memcpy(entries, f->schemas, sizeof(f->schemas));
        entries[6].id = 7;
        entries[6].path = path;
        conf.schemas.entries = entries;
        conf.schemas.cnt = 7;
        codec = codec_new(&conf, f->errstr, sizeof(f->errstr));
        unlink(path);
        assert_non_null(codec);
        /* Field order and enum symbol order differ from the current
         * schema: both are resolved by name. */
        assert_int_equal(codec_json_to_avro(codec, 7, "{" ALERT_REQUIRED "}",
                                            strlen("{" ALERT_REQUIRED "}"),
                                            &f->buf, f->errstr,
                                            sizeof(f->errstr)),
                         IMPACTD_OK);
        assert_int_equal(codec_decode_event(codec, EVENT_ALERT, f->buf.data,
                                            f->buf.len, &f->ev, f->errstr,
                                            sizeof(f->errstr)),
                         IMPACTD_OK);
        assert_string_equal(f->ev.service, "checkout");
        assert_int_equal(f->ev.u.alert.status, ALERT_FIRING);
        assert_int_equal(f->ev.occurred_at, T0);
        assert_int_equal(f->ev.has, HAS_STATUS | HAS_OCCURRED_AT);
        codec_destroy(codec);
}

static void test_codec_new_names_bad_schema(void **state) {
        fixture_t *f = *state;
        config_t conf = f->conf;
        config_schema_t bad[2] = {f->schemas[0], {9, "/nonexistent.avsc"}};
        char err[256];

        conf.schemas.entries = bad;
        conf.schemas.cnt = 2;
        memset(conf.schemas.writer_id, 0, sizeof(conf.schemas.writer_id));
        assert_null(codec_new(&conf, err, sizeof(err)));
        assert_string_equal(err, "schema id 9 (/nonexistent.avsc): No such "
                                 "file or directory");
        /* The scored topic's writer id pointing at the alert schema. */
        conf.schemas.entries = f->schemas;
        conf.schemas.cnt = 6;
        conf.schemas.writer_id[TOPIC_SCORED] = 1;
        assert_null(codec_new(&conf, err, sizeof(err)));
        assert_string_equal(err, "writer schema of the scored topic: schema "
                                 "id 1 is impactd.Alert, expected "
                                 "impactd.Scored");
}

/* ------------------------------------------------------------------ */
/* Outputs                                                             */

static const char *const services[] = {"payments", "checkout", "web"};
static const segment_count_t segments[] = {
        {SEGMENT_REGION, "eu-central", 3}, {SEGMENT_REGION, "us-east", 2},
        {SEGMENT_PLATFORM, "ios", 4},      {SEGMENT_PRODUCT_VERSION, "4.2", 5},
        {SEGMENT_FEATURE, "payments", 1},  {SEGMENT_ACCOUNT_PREFIX, "eu1", 6},
};
static const region_users_t region_users[] = {{"eu-central", 9000},
                                              {"us-east", 1200}};

static void sample_result(score_result_t *r) {
        memset(r, 0, sizeof(*r));
        for (int d = 0; d < DIM_COUNT; d++)
                r->dims[d] = 10.0 * (d + 1);
        r->composite = 61.5;
        r->sentiment_lift = 4.25;
        r->score = 65.75;
        r->level = 2;
        r->user_share = 0.3;
        r->impact_class = CLASS_DEGRADED;
        r->confidence = CONFIDENCE_MEDIUM;
        r->sentiment_mean = -0.5;
        r->sentiment_negative_share = 0.75;
        r->ticket_trend = TREND_RISING;
        r->severity_mismatch = true;
        snprintf(r->mismatch_reason, sizeof(r->mismatch_reason),
                 "declared 4, computed 2");
        r->computed_level = 3;
        r->triage_escalated = true;
        snprintf(r->level_reason, sizeof(r->level_reason), "triage clock");
        r->sentiment_surge = true;
        r->sentiment_trend = SENTIMENT_WORSENING;
}

static void sample_scored(scored_t *s, const score_result_t *r) {
        memset(s, 0, sizeof(*s));
        s->incident_id = "inc-42";
        s->revision = 7;
        s->open = true;
        s->result = r;
        s->affected_users = 1500;
        s->affected_accounts = 12;
        s->arr_at_risk = 250000.5;
        s->root_service = "payments";
        s->impacted_services = services;
        s->impacted_services_cnt = 3;
        s->segments = segments;
        s->segments_cnt = 6;
        s->region_users = region_users;
        s->region_users_cnt = 2;
        s->segments_summary = "tickets concentrated in eu-central";
        s->sla_at_risk = 1u << TIER_BUSINESS | 1u << TIER_PRO;
        s->sla_breached = 1u << TIER_ENTERPRISE;
        s->personal_data_at_risk = true;
        s->sentiment_count = 8;
        s->declared_severity = 4;
        s->detected_at = T0;
        s->triaged_at = T0 + 60000;
        s->resolved_at = 0;
        s->tickets_total = 20;
        s->tickets_open = 15;
}

static json_t *parse_buf(const buf_t *b) {
        json_error_t jerr;
        json_t *j = json_loadb(b->data, b->len, 0, &jerr);

        if (j == NULL)
                fail_msg("output is not JSON: %s", jerr.text);
        return j;
}

/* Avro output -> codec_to_json -> jansson. */
static json_t *avro_as_json(fixture_t *f) {
        assert_int_equal(codec_to_json(f->codec, f->buf.data, f->buf.len,
                                       &f->buf2, f->errstr, sizeof(f->errstr)),
                         IMPACTD_OK);
        return parse_buf(&f->buf2);
}

#define assert_json_str(obj, key, want)                                        \
        assert_string_equal(json_string_value(json_object_get(obj, key)), want)
#define assert_json_int(obj, key, want)                                        \
        do {                                                                   \
                assert_true(json_is_integer(json_object_get(obj, key)));       \
                assert_int_equal(                                              \
                        json_integer_value(json_object_get(obj, key)), want);  \
        } while (0)
#define assert_json_real(obj, key, want)                                       \
        do {                                                                   \
                assert_true(json_is_real(json_object_get(obj, key)));          \
                assert_true(json_real_value(json_object_get(obj, key)) ==      \
                            (want));                                           \
        } while (0)

static void check_scored_json(const json_t *j) {
        const json_t *dims = json_object_get(j, "dimensions");
        const json_t *segs = json_object_get(j, "segments");
        const json_t *sent = json_object_get(j, "sentiment");
        const json_t *svc = json_object_get(j, "impacted_services");
        static const char *const dim_names[] = {"user_volume",   "revenue",
                                                "slo_burn",      "blast_radius",
                                                "customer_tier", "duration"};

        assert_int_equal(json_object_size(j), 34);
        assert_json_str(j, "incident_id", "inc-42");
        assert_json_int(j, "revision", 7);
        assert_json_str(j, "status", "OPEN");
        assert_json_real(j, "score", 65.75);
        assert_json_int(j, "level", 2);
        assert_json_str(j, "impact_class", "DEGRADED");
        assert_int_equal(json_object_size(dims), 6);
        for (int d = 0; d < 6; d++)
                assert_json_real(dims, dim_names[d], 10.0 * (d + 1));
        assert_json_int(j, "affected_users", 1500);
        assert_json_int(j, "affected_accounts", 12);
        assert_json_real(j, "arr_at_risk", 250000.5);
        assert_json_str(j, "root_service", "payments");
        assert_int_equal(json_array_size(svc), 3);
        assert_string_equal(json_string_value(json_array_get(svc, 2)), "web");
        assert_json_int(json_object_get(segs, "region"), "eu-central", 3);
        assert_json_int(json_object_get(segs, "region"), "us-east", 2);
        assert_json_int(json_object_get(segs, "platform"), "ios", 4);
        assert_json_int(json_object_get(segs, "product_version"), "4.2", 5);
        assert_json_int(json_object_get(segs, "feature"), "payments", 1);
        assert_json_real(sent, "mean", -0.5);
        assert_json_real(sent, "negative_share", 0.75);
        assert_json_int(sent, "count", 8);
        assert_json_str(j, "ticket_trend", "RISING");
        assert_json_str(j, "confidence", "MEDIUM");
        assert_json_int(j, "declared_severity", 4);
        assert_true(json_is_true(json_object_get(j, "severity_mismatch")));
        assert_json_int(j, "detected_at", T0);
        assert_json_int(j, "triaged_at", T0 + 60000);
        assert_true(json_is_null(json_object_get(j, "resolved_at")));
        assert_json_real(j, "composite", 61.5);
        assert_json_real(j, "sentiment_lift", 4.25);
        assert_json_real(j, "user_share", 0.3);
        assert_json_str(j, "severity_mismatch_reason",
                        "declared 4, computed 2");
        assert_json_int(j, "tickets_total", 20);
        assert_json_int(j, "tickets_open", 15);
        assert_json_int(json_object_get(segs, "account_prefix"), "eu1", 6);
        assert_json_str(sent, "trend", "WORSENING");
        assert_true(json_is_true(json_object_get(sent, "surge")));
        assert_json_int(j, "computed_level", 3);
        assert_json_str(j, "level_reason", "triage clock");
        assert_json_int(json_object_get(j, "users_by_region"), "eu-central", 9000);
        assert_json_int(json_object_get(j, "users_by_region"), "us-east", 1200);
        assert_json_str(j, "segments_summary", "tickets concentrated in eu-central");
        const json_t *risk = json_object_get(j, "sla_at_risk");
        assert_int_equal(json_array_size(risk), 2);
        assert_string_equal(json_string_value(json_array_get(risk, 0)), "BUSINESS");
        assert_string_equal(json_string_value(json_array_get(risk, 1)), "PRO");
        const json_t *breached = json_object_get(j, "sla_breached");
        assert_int_equal(json_array_size(breached), 1);
        assert_string_equal(json_string_value(json_array_get(breached, 0)),
                            "ENTERPRISE");
        assert_true(json_is_true(json_object_get(j, "personal_data_at_risk")));
}

/* A record with more of everything than sample_scored(): more services,
 * more values of every segment kind (some shared with the sample, so
 * that a left-over count would add up), more regions, more tiers. */
static const char *const more_services[] = {"payments", "checkout", "web",
                                            "search", "auth"};
static const segment_count_t more_segments[] = {
        {SEGMENT_REGION, "eu-central", 30},
        {SEGMENT_REGION, "us-east", 20},
        {SEGMENT_REGION, "ap-south", 10},
        {SEGMENT_PLATFORM, "ios", 40},
        {SEGMENT_PLATFORM, "android", 10},
        {SEGMENT_PRODUCT_VERSION, "4.2", 50},
        {SEGMENT_PRODUCT_VERSION, "4.1", 10},
        {SEGMENT_FEATURE, "payments", 10},
        {SEGMENT_FEATURE, "search", 10},
        {SEGMENT_ACCOUNT_PREFIX, "eu1", 60},
        {SEGMENT_ACCOUNT_PREFIX, "us2", 10},
};
static const region_users_t more_region_users[] = {
        {"eu-central", 90000}, {"us-east", 12000}, {"ap-south", 500}};

static const char *const segment_kinds[] = {
        "region", "platform", "product_version", "feature", "account_prefix"};

/* The sizes of a scored document's arrays and maps, in the order
 * impacted_services, segments.<segment_kinds>, users_by_region,
 * sla_at_risk, sla_breached. */
#define SCORED_SIZES 9
static void assert_scored_sizes(const json_t *j, const size_t *want) {
        const json_t *segs = json_object_get(j, "segments");

        assert_int_equal(
                json_array_size(json_object_get(j, "impacted_services")),
                want[0]);
        for (int k = 0; k < 5; k++)
                assert_int_equal(json_object_size(json_object_get(
                                         segs, segment_kinds[k])),
                                 want[1 + k]);
        assert_int_equal(
                json_object_size(json_object_get(j, "users_by_region")),
                want[6]);
        assert_int_equal(json_array_size(json_object_get(j, "sla_at_risk")),
                         want[7]);
        assert_int_equal(json_array_size(json_object_get(j, "sla_breached")),
                         want[8]);
}

/* Encodes `s` in `fmt` and parses the result back as JSON. */
static json_t *scored_as_json(fixture_t *f, wire_format_t fmt,
                              const scored_t *s) {
        assert_int_equal(codec_encode_scored(f->codec, fmt, s, &f->buf,
                                             f->errstr, sizeof(f->errstr)),
                         IMPACTD_OK);
        if (fmt == FORMAT_AVRO) {
                assert_memory_equal(f->buf.data, "\0\0\0\0\4", 5);
                return avro_as_json(f);
        }
        assert_int_equal(f->buf.data[0], '{');
        return parse_buf(&f->buf);
}

static void test_scored_avro_encodes_contract_fields(void **state) {
        static const size_t big_sizes[SCORED_SIZES] = {5, 3, 2, 2, 2,
                                                       2, 3, 3, 2};
        static const size_t sample_sizes[SCORED_SIZES] = {3, 2, 1, 1, 1,
                                                          1, 2, 2, 1};
        static const wire_format_t fmts[] = {FORMAT_AVRO, FORMAT_JSON};
        fixture_t *f = *state;
        score_result_t r;
        scored_t big, s;
        json_t *j;

        sample_result(&r);
        sample_scored(&s, &r);
        sample_scored(&big, &r);
        big.impacted_services = more_services;
        big.impacted_services_cnt = 5;
        big.segments = more_segments;
        big.segments_cnt = sizeof(more_segments) / sizeof(more_segments[0]);
        big.region_users = more_region_users;
        big.region_users_cnt = 3;
        big.sla_at_risk =
                1u << TIER_FREE | 1u << TIER_PRO | 1u << TIER_BUSINESS;
        big.sla_breached = 1u << TIER_BUSINESS | 1u << TIER_ENTERPRISE;
        /* The larger record first: the cached value must not keep its
         * array items or map entries (nor add its counts) into the
         * smaller one.  The JSON format goes through the same value and
         * carries exactly the same document. */
        for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
                j = scored_as_json(f, fmts[i], &big);
                assert_scored_sizes(j, big_sizes);
                json_decref(j);
                j = scored_as_json(f, fmts[i], &s);
                assert_scored_sizes(j, sample_sizes);
                check_scored_json(j);
                json_decref(j);
        }
}

static void test_scored_json_null_optionals(void **state) {
        fixture_t *f = *state;
        score_result_t r;
        scored_t s;
        json_t *j;

        sample_result(&r);
        r.severity_mismatch = false;
        r.mismatch_reason[0] = '\0';
        sample_scored(&s, &r);
        s.open = false;
        s.declared_severity = 0;
        s.triaged_at = 0;
        s.resolved_at = 0;
        s.impacted_services_cnt = 0;
        s.segments_cnt = 0;
        assert_int_equal(codec_encode_scored(f->codec, FORMAT_JSON, &s, &f->buf,
                                             f->errstr, sizeof(f->errstr)),
                         IMPACTD_OK);
        assert_null(memchr(f->buf.data, '\n', f->buf.len)); /* compact */
        j = parse_buf(&f->buf);
        assert_json_str(j, "status", "RESOLVED");
        assert_true(json_is_null(json_object_get(j, "declared_severity")));
        assert_true(json_is_null(json_object_get(j, "triaged_at")));
        assert_true(json_is_null(json_object_get(j, "resolved_at")));
        assert_true(
                json_is_null(json_object_get(j, "severity_mismatch_reason")));
        assert_true(json_is_false(json_object_get(j, "severity_mismatch")));
        assert_int_equal(
                json_array_size(json_object_get(j, "impacted_services")), 0);
        assert_int_equal(json_object_size(json_object_get(
                                 json_object_get(j, "segments"), "region")),
                         0);
        json_decref(j);
        /* A required string left NULL is a caller bug, reported. */
        s.root_service = NULL;
        assert_int_equal(codec_encode_scored(f->codec, FORMAT_JSON, &s, &f->buf,
                                             f->errstr, sizeof(f->errstr)),
                         IMPACTD_ERR_INVALID);
        assert_string_equal(f->errstr,
                            "field 'root_service': required, but no value");
        assert_int_equal(f->buf.len, 0);
}

/* Avro -> JSON -> Avro gives back the same bytes. */
static void assert_json_roundtrip(fixture_t *f, int32_t id) {
        buf_t again = {0};
        char *json = strndup(f->buf2.data, f->buf2.len);

        assert_int_equal(codec_json_to_avro(f->codec, id, json, strlen(json),
                                            &again, f->errstr,
                                            sizeof(f->errstr)),
                         IMPACTD_OK);
        assert_int_equal(again.len, f->buf.len);
        assert_memory_equal(again.data, f->buf.data, f->buf.len);
        free(json);
        buf_free(&again);
}

static void test_escalation_roundtrip(void **state) {
        fixture_t *f = *state;
        escalation_t x = {
                .escalation_id = "inc-42:level_raised:1:1",
                .incident_id = "inc-42",
                .revision = 3,
                .from_level = 0,
                .to_level = 1,
                .reason = "level_raised",
                .target = "incident_commander",
                .summary = "checkout – outage, 1500 users",
                .created_at = T0,
        };
        json_t *j;

        assert_int_equal(codec_encode_escalation(f->codec, FORMAT_AVRO, &x,
                                                 &f->buf, f->errstr,
                                                 sizeof(f->errstr)),
                         IMPACTD_OK);
        assert_memory_equal(f->buf.data, "\0\0\0\0\5", 5);
        j = avro_as_json(f);
        assert_int_equal(json_object_size(j), 12);
        assert_json_str(j, "escalation_id", "inc-42:level_raised:1:1");
        assert_json_str(j, "incident_id", "inc-42");
        assert_json_int(j, "revision", 3);
        assert_true(json_is_null(json_object_get(j, "from_level")));
        assert_json_int(j, "to_level", 1);
        assert_json_str(j, "reason", "level_raised");
        assert_json_str(j, "target", "incident_commander");
        assert_json_str(j, "summary", "checkout – outage, 1500 users");
        assert_json_int(j, "created_at", T0);
        assert_true(json_is_null(json_object_get(j, "account_id")));
        assert_true(json_is_null(json_object_get(j, "tier")));
        assert_true(json_is_null(json_object_get(j, "deadline_at")));
        json_decref(j);
        assert_json_roundtrip(f, 5);

        /* The routing fields of key-account, SLA and compliance pages. */
        x.account_id = "acme-corp";
        x.tier = "ENTERPRISE";
        x.deadline_at = T0 + 72 * 3600 * 1000LL;
        assert_int_equal(codec_encode_escalation(f->codec, FORMAT_AVRO, &x,
                                                 &f->buf, f->errstr,
                                                 sizeof(f->errstr)),
                         IMPACTD_OK);
        j = avro_as_json(f);
        assert_json_str(j, "account_id", "acme-corp");
        assert_json_str(j, "tier", "ENTERPRISE");
        assert_json_int(j, "deadline_at", T0 + 72 * 3600 * 1000LL);
        json_decref(j);
        assert_json_roundtrip(f, 5);
        x.account_id = x.tier = NULL;
        x.deadline_at = 0;

        x.from_level = 3;
        assert_int_equal(codec_encode_escalation(f->codec, FORMAT_JSON, &x,
                                                 &f->buf, f->errstr,
                                                 sizeof(f->errstr)),
                         IMPACTD_OK);
        j = parse_buf(&f->buf);
        assert_json_int(j, "from_level", 3);
        json_decref(j);

        /* Text cut mid-character never reaches consumers, in either
         * format. */
        x.summary = "checkout \xe2\x80";
        for (int fmt = FORMAT_AVRO; fmt <= FORMAT_JSON; fmt++) {
                assert_int_equal(codec_encode_escalation(f->codec, fmt, &x,
                                                         &f->buf, f->errstr,
                                                         sizeof(f->errstr)),
                                 IMPACTD_ERR_INVALID);
                assert_string_equal(f->errstr,
                                    "field 'summary': invalid UTF-8");
        }
}

static void test_notification_roundtrip(void **state) {
        fixture_t *f = *state;
        notification_t n = {
                .notification_id = "inc-42:RESOLVED:ACCOUNT_MANAGER:acme",
                .incident_id = "inc-42",
                .revision = 9,
                .audience = AUDIENCE_ACCOUNT_MANAGER,
                .account_id = "acme",
                .kind = NOTIFY_FOLLOW_UP,
                .title = "checkout – outage",
                .body = "Resolved after 42 minutes.",
                .created_at = T0,
        };
        json_t *j;

        assert_int_equal(codec_encode_notification(f->codec, FORMAT_AVRO, &n,
                                                   &f->buf, f->errstr,
                                                   sizeof(f->errstr)),
                         IMPACTD_OK);
        assert_memory_equal(f->buf.data, "\0\0\0\0\6", 5);
        j = avro_as_json(f);
        assert_int_equal(json_object_size(j), 9);
        assert_json_str(j, "notification_id",
                        "inc-42:RESOLVED:ACCOUNT_MANAGER:acme");
        assert_json_str(j, "incident_id", "inc-42");
        assert_json_int(j, "revision", 9);
        assert_json_str(j, "audience", "ACCOUNT_MANAGER");
        assert_json_str(j, "account_id", "acme");
        assert_json_str(j, "kind", "FOLLOW_UP");
        assert_json_str(j, "title", "checkout – outage");
        assert_json_str(j, "body", "Resolved after 42 minutes.");
        assert_json_int(j, "created_at", T0);
        json_decref(j);
        assert_json_roundtrip(f, 6);

        n.account_id = NULL;
        n.audience = AUDIENCE_EXECUTIVE;
        assert_int_equal(codec_encode_notification(f->codec, FORMAT_JSON, &n,
                                                   &f->buf, f->errstr,
                                                   sizeof(f->errstr)),
                         IMPACTD_OK);
        j = parse_buf(&f->buf);
        assert_true(json_is_null(json_object_get(j, "account_id")));
        assert_json_str(j, "audience", "EXECUTIVE");
        json_decref(j);
}

static void test_json_to_avro_names_bad_field(void **state) {
        fixture_t *f = *state;
        score_result_t r;
        scored_t s;
        char *text;
        json_t *j;

        assert_int_equal(codec_json_to_avro(f->codec, 1, "{\"event_id\":\"a\"}",
                                            16, &f->buf, f->errstr,
                                            sizeof(f->errstr)),
                         IMPACTD_ERR_INVALID);
        assert_string_equal(f->errstr, "missing required field 'service'");
        /* Nested fields are named by their path. */
        sample_result(&r);
        sample_scored(&s, &r);
        assert_int_equal(codec_encode_scored(f->codec, FORMAT_JSON, &s, &f->buf,
                                             f->errstr, sizeof(f->errstr)),
                         IMPACTD_OK);
        j = parse_buf(&f->buf);
        json_object_set_new(json_object_get(j, "dimensions"), "revenue",
                            json_string("x"));
        text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        assert_int_equal(codec_json_to_avro(f->codec, 4, text, strlen(text),
                                            &f->buf, f->errstr,
                                            sizeof(f->errstr)),
                         IMPACTD_ERR_INVALID);
        free(text);
        assert_string_equal(f->errstr,
                            "field 'dimensions.revenue': expected a number");
        assert_int_equal(
                codec_json_to_avro(
                        f->codec, 1,
                        "{" ALERT_REQUIRED ",\"disruption\":\"FLOOD\"}",
                        strlen("{" ALERT_REQUIRED ",\"disruption\":\"FLOOD\"}"),
                        &f->buf, f->errstr, sizeof(f->errstr)),
                IMPACTD_ERR_INVALID);
        assert_string_equal(f->errstr,
                            "field 'disruption': unknown value 'FLOOD'");
}

static void test_to_json_passes_json_through(void **state) {
        fixture_t *f = *state;
        const char *in = " {\"b\": [1, 2.5, null],\n \"a\": \"x\"} ";

        assert_int_equal(codec_to_json(f->codec, in, strlen(in), &f->buf,
                                       f->errstr, sizeof(f->errstr)),
                         IMPACTD_OK);
        assert_int_equal(f->buf.len,
                         strlen("{\"b\":[1,2.5,null],\"a\":\"x\"}"));
        assert_memory_equal(f->buf.data, "{\"b\":[1,2.5,null],\"a\":\"x\"}",
                            f->buf.len);
        assert_int_equal(codec_to_json(f->codec, "\x07", 1, &f->buf, f->errstr,
                                       sizeof(f->errstr)),
                         IMPACTD_ERR_DECODE);
        assert_string_equal(f->errstr, "neither Avro (magic byte 0) nor JSON "
                                       "(first byte 0x07)");
}

static void test_output_names(void **state) {
        (void)state;
        assert_string_equal(segment_kind_name(SEGMENT_PRODUCT_VERSION),
                            "product_version");
        assert_string_equal(audience_name(AUDIENCE_CUSTOMER_LIAISON),
                            "CUSTOMER_LIAISON");
        assert_string_equal(notify_kind_name(NOTIFY_SLA_AT_RISK),
                            "SLA_AT_RISK");
        assert_null(audience_name(AUDIENCE_COUNT));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_json_alert_decodes_all_fields),
                T(test_avro_ticket_roundtrip_via_json_to_avro),
                T(test_avro_sentiment_decodes),
                T(test_missing_required_field_rejected),
                T(test_wrong_type_rejected),
                T(test_unknown_enum_rejected),
                T(test_range_violations_rejected),
                T(test_invalid_json_reports_position),
                T(test_json_array_rejected),
                T(test_empty_message_rejected),
                T(test_oversized_message_rejected),
                T(test_large_event_spills_whole),
                T(test_unknown_schema_id_rejected),
                T(test_truncated_avro_rejected),
                T(test_hostile_avro_rejected),
                T(test_wrong_record_type_rejected),
                T(test_bad_magic_byte_rejected),
                T(test_seconds_timestamp_rejected),
                T(test_string_at_the_limit_accepted),
                T(test_long_string_rejected),
                T(test_invalid_utf8_rejected),
                T(test_absent_disruption_defaults_to_degraded),
                T(test_empty_optional_string_is_absent),
                T(test_event_reuse_clears_previous_fields),
                T(test_older_writer_schema_decodes),
                T(test_codec_new_names_bad_schema),
                T(test_scored_avro_encodes_contract_fields),
                T(test_scored_json_null_optionals),
                T(test_escalation_roundtrip),
                T(test_notification_roundtrip),
                T(test_json_to_avro_names_bad_field),
                T(test_to_json_passes_json_through),
                T(test_output_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
