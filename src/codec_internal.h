/* Shared between codec.c (framing detection, dispatch, field rules),
 * codec_avro.c (Avro binary) and codec_json.c (JSON, Avro <-> JSON). */
#ifndef IMPACTD_CODEC_INTERNAL_H
#define IMPACTD_CODEC_INTERNAL_H

#include <avro.h>
#include <jansson.h>
#include <stdbool.h>

#include "codec.h"

/* Confluent wire format: magic byte 0, then a big-endian 32-bit schema id. */
#define CONFLUENT_MAGIC       0x00
#define CONFLUENT_HEADER_SIZE 5

/* What a schema describes, recognised by its full record name. */
typedef enum {
        RECORD_ALERT = EVENT_ALERT,
        RECORD_TICKET = EVENT_TICKET,
        RECORD_SENTIMENT = EVENT_SENTIMENT,
        RECORD_SCORED,
        RECORD_ESCALATION,
        RECORD_NOTIFICATION,
        RECORD_OTHER, /* readable by codec_to_json, nothing else */
} record_kind_t;

/* Every input field of the contract, across the three kinds. */
typedef enum {
        F_EVENT_ID = 0,
        F_INCIDENT_KEY,
        F_SERVICE,
        F_STATUS,
        F_DISRUPTION,
        F_DECLARED_SEVERITY,
        F_AFFECTED_USERS,
        F_SLO_BURN_RATE,
        F_REVENUE_LOSS,
        F_REGION,
        F_TICKET_ID,
        F_ACCOUNT_ID,
        F_CUSTOMER_TIER,
        F_ARR,
        F_STRATEGIC,
        F_PRODUCT_VERSION,
        F_PLATFORM,
        F_FEATURE,
        F_PERSONAL_DATA,
        F_SCORE,
        F_URGENCY,
        F_CHANNEL,
        F_OCCURRED_AT,
        FIELD_COUNT,
} field_id_t;

typedef enum {
        FT_STRING,
        FT_ENUM, /* a string holding one of the contract's symbols */
        FT_INT,
        FT_LONG,
        FT_DOUBLE,
        FT_BOOL,
} field_type_t;

typedef struct codec_field {
        const char *name; /* as in DESIGN.md and the schemas */
        field_type_t type;
        uint32_t has; /* HAS_* bit; 0 for strings (NULL when absent) */
} codec_field_t;

/* One schema id, parsed once: decoding reuses `value` for every message
 * (avro_value_read resets it), and input schemas know where each contract
 * field sits so decoding does no name lookups. */
typedef struct codec_schema {
        int32_t id;
        const char *path;
        record_kind_t kind;
        char fullname[128]; /* "impactd.Alert" */
        avro_schema_t schema;
        avro_value_iface_t *iface;
        avro_value_t value;
        int field_index[FIELD_COUNT]; /* -1: not in this schema */
} codec_schema_t;

struct codec {
        const config_t *conf;
        codec_schema_t *schemas;
        size_t schemas_cnt;
        avro_reader_t reader; /* memory reader, re-pointed per message */
        avro_writer_t writer; /* memory writer, re-pointed per message */
};

/* A decoded field value before the contract's typing rules apply: both
 * decoders reduce what they read to this, and codec_field_set() decides. */
typedef enum {
        FV_NULL = 0, /* JSON null or the null branch of an Avro union */
        FV_STRING,   /* also an Avro enum symbol */
        FV_INT,
        FV_REAL,
        FV_BOOL,
        FV_OTHER, /* object, array, bytes, ...: never valid for a field */
} field_value_type_t;

typedef struct field_value {
        field_value_type_t type;
        const char *s;
        size_t len;
        bool check_utf8; /* jansson has already validated JSON strings */
        int64_t i;
        double d;
        bool b;
} field_value_t;

/* codec.c */
extern const codec_field_t codec_fields[FIELD_COUNT];
const field_id_t *codec_kind_fields(event_kind_t kind, size_t *cnt);
bool codec_utf8_valid(const unsigned char *s, size_t n);
impactd_err_t codec_field_set(const codec_t *codec, event_t *ev, field_id_t f,
                              const field_value_t *v, char *errstr,
                              size_t errstr_size);
codec_schema_t *codec_schema_find(codec_t *codec, int32_t id);
const char *codec_record_fullname(record_kind_t kind);
const char *codec_topic_label(topic_role_t topic); /* "alerts", ... */
/* The schema an output record is written with: the topic's writer id, or
 * for JSON when none is set, any loaded schema of that record. */
impactd_err_t codec_output_schema(codec_t *codec, topic_role_t topic,
                                  record_kind_t kind, wire_format_t fmt,
                                  codec_schema_t **out, char *errstr,
                                  size_t errstr_size);

/* codec_avro.c */
/* Parses the Confluent header: the schema of `data`, or an error. */
impactd_err_t codec_avro_frame(codec_t *codec, const void *data, size_t len,
                               codec_schema_t **out, char *errstr,
                               size_t errstr_size);
/* Reads the payload after the header into sc->value, rejecting truncated,
 * malformed and over-long input. */
impactd_err_t codec_avro_read(codec_t *codec, codec_schema_t *sc,
                              const void *data, size_t len, char *errstr,
                              size_t errstr_size);
/* Appends the Confluent header and sc->value's Avro binary to `out`. */
impactd_err_t codec_avro_write(codec_t *codec, codec_schema_t *sc, buf_t *out,
                               char *errstr, size_t errstr_size);
impactd_err_t codec_avro_decode_event(codec_t *codec, event_kind_t kind,
                                      const void *data, size_t len, event_t *ev,
                                      char *errstr, size_t errstr_size);

/* codec_json.c */
impactd_err_t codec_json_parse(const void *data, size_t len, json_t **out,
                               char *errstr, size_t errstr_size);
impactd_err_t codec_json_dump(const json_t *json, buf_t *out, char *errstr,
                              size_t errstr_size);
impactd_err_t codec_json_decode_event(codec_t *codec, event_kind_t kind,
                                      const void *data, size_t len, event_t *ev,
                                      char *errstr, size_t errstr_size);
/* Avro value -> JSON (enums as symbols, unions as their branch). */
impactd_err_t codec_json_from_avro(avro_value_t *value, json_t **out,
                                   char *errstr, size_t errstr_size);
/* JSON object -> Avro value of a record schema (value reset first). */
impactd_err_t codec_json_to_avro_value(const json_t *json, avro_value_t *value,
                                       char *errstr, size_t errstr_size);

#endif
