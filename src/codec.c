/* The codec's front door: byte buffers, schema loading, encoding detection
 * and the contract's field rules shared by the Avro and JSON decoders.
 *
 * Both decoders reduce each field they read to a field_value_t and hand it
 * to codec_field_set(), so typing rules, string limits and error texts are
 * the same whichever encoding a producer chose. */
#include "codec_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Byte buffers                                                        */

void buf_reset(buf_t *b) {
        b->len = 0;
}

void buf_free(buf_t *b) {
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

int buf_reserve(buf_t *b, size_t extra) {
        size_t cap;
        char *p;

        if (extra <= b->cap - b->len)
                return 0;
        if (extra > SIZE_MAX / 2 - b->len)
                return -1;
        /* Doubling keeps appends amortised O(1); buffers are reused across
         * messages, so they settle at the largest size seen. */
        cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra)
                cap *= 2;
        p = realloc(b->data, cap);
        if (p == NULL)
                return -1;
        b->data = p;
        b->cap = cap;
        return 0;
}

int buf_append(buf_t *b, const void *p, size_t n) {
        if (buf_reserve(b, n))
                return -1;
        if (n > 0)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Names of output enums (include/output.h)                            */

static const char *const segment_names[SEGMENT_KIND_COUNT] = {
        "region", "product_version", "platform", "feature", "account_prefix"};
static const char *const audience_names[AUDIENCE_COUNT] = {
        "EXECUTIVE",       "ENGINEERING",      "CUSTOMER",
        "ACCOUNT_MANAGER", "CUSTOMER_LIAISON", "COMPLIANCE"};
static const char *const notify_kind_names[NOTIFY_KIND_COUNT] = {
        "OPENED", "IMPACT_CHANGED", "SLA_AT_RISK", "RESOLVED", "FOLLOW_UP"};

const char *segment_kind_name(segment_kind_t k) {
        return (unsigned)k < SEGMENT_KIND_COUNT ? segment_names[k] : NULL;
}

const char *audience_name(audience_t a) {
        return (unsigned)a < AUDIENCE_COUNT ? audience_names[a] : NULL;
}

const char *notify_kind_name(notify_kind_t k) {
        return (unsigned)k < NOTIFY_KIND_COUNT ? notify_kind_names[k] : NULL;
}

/* ------------------------------------------------------------------ */
/* The contract's input fields                                         */

/* Every input field of the contract: name, type, presence bit. */
const codec_field_t codec_fields[FIELD_COUNT] = {
        [F_EVENT_ID] = {"event_id", FT_STRING, 0},
        [F_INCIDENT_KEY] = {"incident_key", FT_STRING, 0},
        [F_SERVICE] = {"service", FT_STRING, 0},
        [F_STATUS] = {"status", FT_ENUM, HAS_STATUS},
        [F_DISRUPTION] = {"disruption", FT_ENUM, HAS_DISRUPTION},
        [F_DECLARED_SEVERITY] = {"declared_severity", FT_INT,
                                 HAS_DECLARED_SEVERITY},
        [F_AFFECTED_USERS] = {"affected_users", FT_LONG, HAS_AFFECTED_USERS},
        [F_SLO_BURN_RATE] = {"slo_burn_rate", FT_DOUBLE, HAS_SLO_BURN_RATE},
        [F_REVENUE_LOSS] = {"revenue_loss_per_hour", FT_DOUBLE,
                            HAS_REVENUE_LOSS},
        [F_REGION] = {"region", FT_STRING, 0},
        [F_TICKET_ID] = {"ticket_id", FT_STRING, 0},
        [F_ACCOUNT_ID] = {"account_id", FT_STRING, 0},
        [F_CUSTOMER_TIER] = {"customer_tier", FT_ENUM, HAS_CUSTOMER_TIER},
        [F_ARR] = {"arr", FT_DOUBLE, HAS_ARR},
        [F_STRATEGIC] = {"strategic", FT_BOOL, HAS_STRATEGIC},
        [F_PRODUCT_VERSION] = {"product_version", FT_STRING, 0},
        [F_PLATFORM] = {"platform", FT_STRING, 0},
        [F_FEATURE] = {"feature", FT_STRING, 0},
        [F_PERSONAL_DATA] = {"personal_data_at_risk", FT_BOOL,
                             HAS_PERSONAL_DATA},
        [F_SCORE] = {"score", FT_DOUBLE, HAS_SCORE},
        [F_URGENCY] = {"urgency", FT_DOUBLE, HAS_URGENCY},
        [F_CHANNEL] = {"channel", FT_STRING, 0},
        [F_OCCURRED_AT] = {"occurred_at", FT_LONG, HAS_OCCURRED_AT},
};

/* Fields of each kind, in the order of DESIGN.md's tables. */
static const field_id_t alert_fields[] = {
        F_EVENT_ID,       F_INCIDENT_KEY,  F_SERVICE,
        F_STATUS,         F_DISRUPTION,    F_DECLARED_SEVERITY,
        F_AFFECTED_USERS, F_SLO_BURN_RATE, F_REVENUE_LOSS,
        F_REGION,         F_OCCURRED_AT};
static const field_id_t ticket_fields[] = {
        F_EVENT_ID, F_TICKET_ID,       F_ACCOUNT_ID, F_INCIDENT_KEY,
        F_SERVICE,  F_CUSTOMER_TIER,   F_ARR,        F_STRATEGIC,
        F_REGION,   F_PRODUCT_VERSION, F_PLATFORM,   F_FEATURE,
        F_STATUS,   F_PERSONAL_DATA,   F_OCCURRED_AT};
static const field_id_t sentiment_fields[] = {
        F_EVENT_ID, F_ACCOUNT_ID, F_TICKET_ID, F_INCIDENT_KEY, F_SERVICE,
        F_SCORE,    F_URGENCY,    F_CHANNEL,   F_OCCURRED_AT};

#define BIT(f) (UINT32_C(1) << (f))
/* Required fields of each kind (DESIGN.md).  event_validate() enforces
 * them; the codec needs them to treat "" in an optional string as absent
 * and to reject, at load time, a schema that could never carry them. */
static const uint32_t required_fields[EVENT_KIND_COUNT] = {
        [EVENT_ALERT] = BIT(F_EVENT_ID) | BIT(F_SERVICE) | BIT(F_STATUS) |
                        BIT(F_OCCURRED_AT),
        [EVENT_TICKET] = BIT(F_EVENT_ID) | BIT(F_TICKET_ID) |
                         BIT(F_ACCOUNT_ID) | BIT(F_STATUS) | BIT(F_OCCURRED_AT),
        [EVENT_SENTIMENT] = BIT(F_EVENT_ID) | BIT(F_ACCOUNT_ID) | BIT(F_SCORE) |
                            BIT(F_OCCURRED_AT),
};

const field_id_t *codec_kind_fields(event_kind_t kind, size_t *cnt) {
        switch (kind) {
        case EVENT_ALERT:
                *cnt = sizeof(alert_fields) / sizeof(alert_fields[0]);
                return alert_fields;
        case EVENT_TICKET:
                *cnt = sizeof(ticket_fields) / sizeof(ticket_fields[0]);
                return ticket_fields;
        case EVENT_SENTIMENT:
                *cnt = sizeof(sentiment_fields) / sizeof(sentiment_fields[0]);
                return sentiment_fields;
        default: *cnt = 0; return NULL;
        }
}

/* Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points
 * past U+10FFFF, the same rules jansson applies to JSON input. */
bool codec_utf8_valid(const unsigned char *s, size_t n) {
        size_t i = 0;

        while (i < n) {
                unsigned c = s[i];
                size_t need;
                uint32_t cp, min;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if ((c & 0xE0) == 0xC0) {
                        need = 1, cp = c & 0x1F, min = 0x80;
                } else if ((c & 0xF0) == 0xE0) {
                        need = 2, cp = c & 0x0F, min = 0x800;
                } else if ((c & 0xF8) == 0xF0) {
                        need = 3, cp = c & 0x07, min = 0x10000;
                } else {
                        return false;
                }
                if (n - i - 1 < need)
                        return false;
                for (size_t k = 1; k <= need; k++) {
                        if ((s[i + k] & 0xC0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3F);
                }
                if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return false;
                i += need + 1;
        }
        return true;
}

static const char **string_slot(event_t *ev, field_id_t f) {
        bool ticket = ev->kind == EVENT_TICKET;

        switch (f) {
        case F_EVENT_ID: return &ev->event_id;
        case F_INCIDENT_KEY: return &ev->incident_key;
        case F_SERVICE: return &ev->service;
        case F_REGION: return &ev->region;
        case F_TICKET_ID:
                return ticket ? &ev->u.ticket.ticket_id
                              : &ev->u.sentiment.ticket_id;
        case F_ACCOUNT_ID:
                return ticket ? &ev->u.ticket.account_id
                              : &ev->u.sentiment.account_id;
        case F_PRODUCT_VERSION: return &ev->u.ticket.product_version;
        case F_PLATFORM: return &ev->u.ticket.platform;
        case F_FEATURE: return &ev->u.ticket.feature;
        case F_CHANNEL: return &ev->u.sentiment.channel;
        default: return NULL;
        }
}

static impactd_err_t set_string(const codec_t *codec, event_t *ev, field_id_t f,
                                const field_value_t *v, char *errstr,
                                size_t errstr_size) {
        const char *name = codec_fields[f].name;
        size_t max = codec->conf->limits.max_string_bytes;
        const char *copy;

        if (max > 0 && v->len > max) {
                snprintf(errstr, errstr_size,
                         "field '%s': string of %zu bytes exceeds "
                         "limits.max_string_bytes (%zu)",
                         name, v->len, max);
                return IMPACTD_ERR_INVALID;
        }
        if (memchr(v->s, '\0', v->len) != NULL) {
                snprintf(errstr, errstr_size,
                         "field '%s': string contains a NUL byte", name);
                return IMPACTD_ERR_INVALID;
        }
        if (v->check_utf8 &&
            !codec_utf8_valid((const unsigned char *)v->s, v->len)) {
                snprintf(errstr, errstr_size, "field '%s': invalid UTF-8",
                         name);
                return IMPACTD_ERR_INVALID;
        }
        /* "" in an optional field means "not set" to every producer we
         * know of; keeping it would e.g. correlate on an empty key.  In a
         * required field it stays, and event_validate() rejects it. */
        if (v->len == 0 && !(required_fields[ev->kind] & BIT(f)))
                return IMPACTD_OK;
        copy = event_strdup(ev, v->s, v->len);
        if (copy == NULL) {
                snprintf(errstr, errstr_size, "event too large");
                return IMPACTD_ERR_INVALID;
        }
        *string_slot(ev, f) = copy;
        return IMPACTD_OK;
}

static int parse_enum(event_t *ev, field_id_t f, const char *s) {
        switch (f) {
        case F_STATUS:
                if (ev->kind == EVENT_ALERT)
                        return alert_status_parse(s, &ev->u.alert.status);
                return ticket_status_parse(s, &ev->u.ticket.status);
        case F_DISRUPTION: return disruption_parse(s, &ev->u.alert.disruption);
        case F_CUSTOMER_TIER:
                return customer_tier_parse(s, &ev->u.ticket.customer_tier);
        default: return -1;
        }
}

static impactd_err_t set_enum(event_t *ev, field_id_t f, const field_value_t *v,
                              char *errstr, size_t errstr_size) {
        /* Both decoders hand over NUL-terminated text; an embedded NUL
         * ("OPEN\0x") must not pass as its prefix. */
        if (strlen(v->s) != v->len || parse_enum(ev, f, v->s) != 0) {
                snprintf(errstr, errstr_size,
                         "field '%s': unknown value '%.*s'",
                         codec_fields[f].name, (int)(v->len > 64 ? 64 : v->len),
                         v->s);
                return IMPACTD_ERR_INVALID;
        }
        return IMPACTD_OK;
}

static impactd_err_t set_integer(event_t *ev, field_id_t f, int64_t i,
                                 char *errstr, size_t errstr_size) {
        switch (f) {
        case F_DECLARED_SEVERITY:
                if (i < INT_MIN || i > INT_MAX) {
                        snprintf(errstr, errstr_size,
                                 "field 'declared_severity': %" PRId64
                                 " is out of range [1, 5]",
                                 i);
                        return IMPACTD_ERR_INVALID;
                }
                ev->u.alert.declared_severity = (int)i;
                break;
        case F_AFFECTED_USERS: ev->u.alert.affected_users = i; break;
        case F_OCCURRED_AT: ev->occurred_at = i; break;
        default: break;
        }
        return IMPACTD_OK;
}

static void set_double(event_t *ev, field_id_t f, double d) {
        switch (f) {
        case F_SLO_BURN_RATE: ev->u.alert.slo_burn_rate = d; break;
        case F_REVENUE_LOSS: ev->u.alert.revenue_loss_per_hour = d; break;
        case F_ARR: ev->u.ticket.arr = d; break;
        case F_SCORE: ev->u.sentiment.score = d; break;
        case F_URGENCY: ev->u.sentiment.urgency = d; break;
        default: break;
        }
}

static void set_bool(event_t *ev, field_id_t f, bool b) {
        if (f == F_STRATEGIC)
                ev->u.ticket.strategic = b;
        else if (f == F_PERSONAL_DATA)
                ev->u.ticket.personal_data_at_risk = b;
}

static impactd_err_t type_error(field_id_t f, const char *expected,
                                char *errstr, size_t errstr_size) {
        snprintf(errstr, errstr_size, "field '%s': expected %s",
                 codec_fields[f].name, expected);
        return IMPACTD_ERR_INVALID;
}

impactd_err_t codec_field_set(const codec_t *codec, event_t *ev, field_id_t f,
                              const field_value_t *v, char *errstr,
                              size_t errstr_size) {
        impactd_err_t err = IMPACTD_OK;

        if (v->type == FV_NULL)
                return IMPACTD_OK; /* optional and absent are the same */
        switch (codec_fields[f].type) {
        case FT_STRING:
                if (v->type != FV_STRING)
                        return type_error(f, "a string", errstr, errstr_size);
                return set_string(codec, ev, f, v, errstr, errstr_size);
        case FT_ENUM:
                if (v->type != FV_STRING)
                        return type_error(f, "a string", errstr, errstr_size);
                err = set_enum(ev, f, v, errstr, errstr_size);
                break;
        case FT_INT:
        case FT_LONG:
                /* 1.0 or 1e3 for a count is a producer bug worth seeing. */
                if (v->type != FV_INT)
                        return type_error(f, "an integer", errstr, errstr_size);
                err = set_integer(ev, f, v->i, errstr, errstr_size);
                break;
        case FT_DOUBLE:
                if (v->type != FV_INT && v->type != FV_REAL)
                        return type_error(f, "a number", errstr, errstr_size);
                if (v->type == FV_REAL && !isfinite(v->d))
                        return type_error(f, "a finite number", errstr,
                                          errstr_size);
                set_double(ev, f, v->type == FV_INT ? (double)v->i : v->d);
                break;
        case FT_BOOL:
                if (v->type != FV_BOOL)
                        return type_error(f, "a boolean", errstr, errstr_size);
                set_bool(ev, f, v->b);
                break;
        }
        if (err == IMPACTD_OK)
                ev->has |= codec_fields[f].has;
        return err;
}

/* ------------------------------------------------------------------ */
/* Schemas                                                             */

static const char *const record_fullnames[RECORD_OTHER] = {
        [RECORD_ALERT] = "impactd.Alert",
        [RECORD_TICKET] = "impactd.Ticket",
        [RECORD_SENTIMENT] = "impactd.Sentiment",
        [RECORD_SCORED] = "impactd.Scored",
        [RECORD_ESCALATION] = "impactd.Escalation",
        [RECORD_NOTIFICATION] = "impactd.Notification",
};

/* The record each topic carries (TOPIC_DLQ carries original bytes). */
static const record_kind_t topic_records[TOPIC_DLQ] = {
        [TOPIC_ALERTS] = RECORD_ALERT,
        [TOPIC_TICKETS] = RECORD_TICKET,
        [TOPIC_SENTIMENT] = RECORD_SENTIMENT,
        [TOPIC_SCORED] = RECORD_SCORED,
        [TOPIC_ESCALATIONS] = RECORD_ESCALATION,
        [TOPIC_NOTIFICATIONS] = RECORD_NOTIFICATION,
};

/* Topic roles as config.c names them; kept here so the codec's messages
 * do not depend on the config module. */
static const char *const topic_labels[TOPIC_COUNT] = {
        "alerts",      "tickets",       "sentiment", "scored",
        "escalations", "notifications", "dlq"};

const char *codec_topic_label(topic_role_t topic) {
        return (unsigned)topic < TOPIC_COUNT ? topic_labels[topic] : "?";
}

const char *codec_record_fullname(record_kind_t kind) {
        return (unsigned)kind < RECORD_OTHER ? record_fullnames[kind] : "?";
}

codec_schema_t *codec_schema_find(codec_t *codec, int32_t id) {
        /* A handful of ids: a linear scan beats hashing. */
        for (size_t i = 0; i < codec->schemas_cnt; i++)
                if (codec->schemas[i].id == id)
                        return &codec->schemas[i];
        return NULL;
}

static char *read_file(const char *path, size_t *len) {
        FILE *fp = fopen(path, "rb");
        char *data = NULL;
        long size;

        if (fp == NULL)
                return NULL;
        if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
            fseek(fp, 0, SEEK_SET) != 0)
                goto out;
        data = malloc((size_t)size + 1);
        if (data == NULL)
                goto out;
        if (fread(data, 1, (size_t)size, fp) != (size_t)size) {
                free(data);
                data = NULL;
                goto out;
        }
        data[size] = '\0';
        *len = (size_t)size;
out:
        fclose(fp);
        return data;
}

/* Finds each contract field in an input schema, and refuses a schema that
 * lacks a required one: no message written with it could ever be valid. */
static impactd_err_t index_fields(codec_schema_t *sc, char *errstr,
                                  size_t errstr_size) {
        size_t cnt;
        const field_id_t *fields;

        for (int f = 0; f < FIELD_COUNT; f++)
                sc->field_index[f] = -1;
        if (sc->kind > RECORD_SENTIMENT)
                return IMPACTD_OK;
        fields = codec_kind_fields((event_kind_t)sc->kind, &cnt);
        for (size_t i = 0; i < cnt; i++) {
                field_id_t f = fields[i];

                sc->field_index[f] = avro_schema_record_field_get_index(
                        sc->schema, codec_fields[f].name);
                if (sc->field_index[f] < 0 &&
                    (required_fields[sc->kind] & BIT(f))) {
                        snprintf(errstr, errstr_size,
                                 "schema id %" PRId32 " (%s): %s lacks "
                                 "required field '%s'",
                                 sc->id, sc->path, sc->fullname,
                                 codec_fields[f].name);
                        return IMPACTD_ERR_CONFIG;
                }
        }
        return IMPACTD_OK;
}

static void name_schema(codec_schema_t *sc) {
        const char *ns = avro_schema_namespace(sc->schema);

        if (ns != NULL && ns[0] != '\0')
                snprintf(sc->fullname, sizeof(sc->fullname), "%s.%s", ns,
                         avro_schema_name(sc->schema));
        else
                snprintf(sc->fullname, sizeof(sc->fullname), "%s",
                         avro_schema_name(sc->schema));
        sc->kind = RECORD_OTHER;
        for (int k = 0; k < RECORD_OTHER; k++)
                if (strcmp(sc->fullname, record_fullnames[k]) == 0)
                        sc->kind = (record_kind_t)k;
}

static impactd_err_t load_schema(codec_schema_t *sc,
                                 const config_schema_t *entry, char *errstr,
                                 size_t errstr_size) {
        impactd_err_t err = IMPACTD_ERR_CONFIG;
        size_t len = 0;
        char *json;

        sc->id = entry->id;
        sc->path = entry->path;
        json = read_file(entry->path, &len);
        if (json == NULL) {
                snprintf(errstr, errstr_size, "schema id %" PRId32 " (%s): %s",
                         entry->id, entry->path, strerror(errno ? errno : EIO));
                goto out;
        }
        if (avro_schema_from_json_length(json, len, &sc->schema) != 0) {
                snprintf(errstr, errstr_size,
                         "schema id %" PRId32 " (%s): invalid Avro schema: %s",
                         entry->id, entry->path, avro_strerror());
                sc->schema = NULL;
                goto out;
        }
        if (!is_avro_record(sc->schema)) {
                snprintf(errstr, errstr_size,
                         "schema id %" PRId32 " (%s): not a record schema",
                         entry->id, entry->path);
                goto out;
        }
        name_schema(sc);
        if ((err = index_fields(sc, errstr, errstr_size)))
                goto out;
        sc->iface = avro_generic_class_from_schema(sc->schema);
        if (sc->iface == NULL ||
            avro_generic_value_new(sc->iface, &sc->value) != 0) {
                snprintf(errstr, errstr_size, "schema id %" PRId32 " (%s): %s",
                         entry->id, entry->path, avro_strerror());
                sc->value.iface = NULL;
                err = IMPACTD_ERR_NOMEM;
                goto out;
        }
        err = IMPACTD_OK;
out:
        free(json);
        return err;
}

/* Every writer id must name a loaded schema of the topic's record. */
static impactd_err_t check_writer_ids(codec_t *codec, char *errstr,
                                      size_t errstr_size) {
        for (int t = 0; t < TOPIC_DLQ; t++) {
                int32_t id = codec->conf->schemas.writer_id[t];
                codec_schema_t *sc;

                if (id == 0)
                        continue;
                sc = codec_schema_find(codec, id);
                if (sc == NULL) {
                        snprintf(errstr, errstr_size,
                                 "writer schema of the %s topic: schema id "
                                 "%" PRId32 " is not configured",
                                 topic_labels[t], id);
                        return IMPACTD_ERR_CONFIG;
                }
                if (sc->kind != topic_records[t]) {
                        snprintf(errstr, errstr_size,
                                 "writer schema of the %s topic: schema id "
                                 "%" PRId32 " is %s, expected %s",
                                 topic_labels[t], id, sc->fullname,
                                 record_fullnames[topic_records[t]]);
                        return IMPACTD_ERR_CONFIG;
                }
        }
        return IMPACTD_OK;
}

codec_t *codec_new(const config_t *conf, char *errstr, size_t errstr_size) {
        codec_t *codec = calloc(1, sizeof(*codec));
        size_t n = conf->schemas.cnt;

        if (codec == NULL)
                goto nomem;
        codec->conf = conf;
        codec->schemas = calloc(n ? n : 1, sizeof(*codec->schemas));
        codec->reader = avro_reader_memory(NULL, 0);
        codec->writer = avro_writer_memory(NULL, 0);
        if (codec->schemas == NULL || codec->reader == NULL ||
            codec->writer == NULL)
                goto nomem;
        for (size_t i = 0; i < n; i++) {
                const config_schema_t *e = &conf->schemas.entries[i];

                if (codec_schema_find(codec, e->id) != NULL) {
                        snprintf(errstr, errstr_size,
                                 "schema id %" PRId32 " (%s): duplicate id",
                                 e->id, e->path);
                        goto fail;
                }
                /* Counted before loading so destroy frees a partial one. */
                codec->schemas_cnt++;
                if (load_schema(&codec->schemas[i], e, errstr, errstr_size))
                        goto fail;
        }
        if (check_writer_ids(codec, errstr, errstr_size))
                goto fail;
        return codec;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
fail:
        codec_destroy(codec);
        return NULL;
}

void codec_destroy(codec_t *codec) {
        if (codec == NULL)
                return;
        for (size_t i = 0; i < codec->schemas_cnt; i++) {
                codec_schema_t *sc = &codec->schemas[i];

                if (sc->value.iface != NULL)
                        avro_value_decref(&sc->value);
                if (sc->iface != NULL)
                        avro_value_iface_decref(sc->iface);
                if (sc->schema != NULL)
                        avro_schema_decref(sc->schema);
        }
        if (codec->reader != NULL)
                avro_reader_free(codec->reader);
        if (codec->writer != NULL)
                avro_writer_free(codec->writer);
        free(codec->schemas);
        free(codec);
}

impactd_err_t codec_output_schema(codec_t *codec, topic_role_t topic,
                                  record_kind_t kind, wire_format_t fmt,
                                  codec_schema_t **out, char *errstr,
                                  size_t errstr_size) {
        int32_t id = codec->conf->schemas.writer_id[topic];

        *out = id != 0 ? codec_schema_find(codec, id) : NULL;
        /* JSON output needs a schema only for its shape; any loaded one of
         * the right record will do when no writer id is configured. */
        for (size_t i = 0; *out == NULL && id == 0 && fmt == FORMAT_JSON &&
                           i < codec->schemas_cnt;
             i++)
                if (codec->schemas[i].kind == kind)
                        *out = &codec->schemas[i];
        if (*out == NULL) {
                snprintf(errstr, errstr_size,
                         "no schema for the %s topic: configure %s and its "
                         "writer id",
                         topic_labels[topic], record_fullnames[kind]);
                return IMPACTD_ERR_CONFIG;
        }
        return IMPACTD_OK;
}

/* ------------------------------------------------------------------ */
/* Encoding detection and dispatch                                     */

typedef enum { WIRE_AVRO, WIRE_JSON, WIRE_UNKNOWN } wire_t;

/* Byte 0 = 0x00 is Confluent Avro.  Otherwise JSON when the first byte
 * after JSON whitespace can start a JSON text, so "[1]" gets the precise
 * "JSON is not an object" and "{bad" the parser's position. */
static wire_t detect_wire(const unsigned char *p, size_t len,
                          unsigned char *first) {
        size_t i = 0;

        if (p[0] == CONFLUENT_MAGIC)
                return WIRE_AVRO;
        while (i < len &&
               (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
                i++;
        *first = i < len ? p[i] : p[0];
        if (i < len && strchr("{[\"-0123456789tfn", p[i]) != NULL)
                return WIRE_JSON;
        return WIRE_UNKNOWN;
}

static impactd_err_t neither(unsigned char first, char *errstr,
                             size_t errstr_size) {
        snprintf(errstr, errstr_size,
                 "neither Avro (magic byte 0) nor JSON (first byte 0x%02x)",
                 first);
        return IMPACTD_ERR_DECODE;
}

impactd_err_t codec_decode_event(codec_t *codec, event_kind_t kind,
                                 const void *data, size_t len, event_t *ev,
                                 char *errstr, size_t errstr_size) {
        size_t max = codec->conf->limits.max_message_bytes;
        unsigned char first = 0;
        impactd_err_t err;

        if ((unsigned)kind >= EVENT_KIND_COUNT) {
                snprintf(errstr, errstr_size, "unknown event kind %d",
                         (int)kind);
                return IMPACTD_ERR_USAGE;
        }
        event_reset(ev, kind);
        if (len == 0) {
                snprintf(errstr, errstr_size, "empty message");
                return IMPACTD_ERR_DECODE;
        }
        if (max > 0 && len > max) {
                snprintf(errstr, errstr_size,
                         "message exceeds limits.max_message_bytes "
                         "(%zu): %zu bytes",
                         max, len);
                return IMPACTD_ERR_DECODE;
        }
        switch (detect_wire(data, len, &first)) {
        case WIRE_AVRO:
                err = codec_avro_decode_event(codec, kind, data, len, ev,
                                              errstr, errstr_size);
                break;
        case WIRE_JSON:
                err = codec_json_decode_event(codec, kind, data, len, ev,
                                              errstr, errstr_size);
                break;
        default: return neither(first, errstr, errstr_size);
        }
        if (err)
                return err;
        return event_validate(ev, errstr, errstr_size);
}

impactd_err_t codec_to_json(codec_t *codec, const void *data, size_t len,
                            buf_t *out, char *errstr, size_t errstr_size) {
        const unsigned char *p = data;
        unsigned char first = 0;
        codec_schema_t *sc;
        json_t *json = NULL;
        impactd_err_t err;

        buf_reset(out);
        if (len == 0) {
                snprintf(errstr, errstr_size, "empty message");
                return IMPACTD_ERR_DECODE;
        }
        switch (detect_wire(p, len, &first)) {
        case WIRE_AVRO:
                if ((err = codec_avro_frame(codec, p, len, &sc, errstr,
                                            errstr_size)) ||
                    (err = codec_avro_read(codec, sc, p + CONFLUENT_HEADER_SIZE,
                                           len - CONFLUENT_HEADER_SIZE, errstr,
                                           errstr_size)) ||
                    (err = codec_json_from_avro(&sc->value, &json, errstr,
                                                errstr_size)))
                        goto out;
                break;
        case WIRE_JSON:
                if ((err = codec_json_parse(p, len, &json, errstr,
                                            errstr_size)))
                        goto out;
                break;
        default: return neither(first, errstr, errstr_size);
        }
        err = codec_json_dump(json, out, errstr, errstr_size);
out:
        json_decref(json);
        return err;
}

impactd_err_t codec_json_to_avro(codec_t *codec, int32_t schema_id,
                                 const char *text, size_t len, buf_t *out,
                                 char *errstr, size_t errstr_size) {
        codec_schema_t *sc = codec_schema_find(codec, schema_id);
        json_t *json = NULL;
        impactd_err_t err;

        buf_reset(out);
        if (sc == NULL) {
                snprintf(errstr, errstr_size, "unknown Avro schema id %" PRId32,
                         schema_id);
                return IMPACTD_ERR_USAGE;
        }
        if ((err = codec_json_parse(text, len, &json, errstr, errstr_size)))
                goto out;
        if (!json_is_object(json)) {
                snprintf(errstr, errstr_size, "JSON is not an object");
                err = IMPACTD_ERR_DECODE;
                goto out;
        }
        if ((err = codec_json_to_avro_value(json, &sc->value, errstr,
                                            errstr_size)))
                goto out;
        err = codec_avro_write(codec, sc, out, errstr, errstr_size);
out:
        json_decref(json);
        return err;
}
