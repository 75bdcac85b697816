/* Avro binary in the Confluent wire format: framing, a structural check of
 * untrusted input, decoding input events and encoding output records.
 *
 * Why check before avro_value_read(): avro-c 1.11 trusts the input.  It
 * mallocs whatever length a string claims (a 10-byte message can ask for
 * gigabytes), leaks the buffer of a string cut short by the end of the
 * message, and accepts enum indexes past the last symbol.  One pass over
 * the bytes against the writer's schema, without allocating, rules all of
 * that out and tells "truncated" from "trailing bytes" exactly. */
#include "codec_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Avro schemas can nest records; ours nest two deep.  The bound keeps a
 * hostile or recursive schema from exhausting the stack. */
#define AVRO_MAX_DEPTH 32

typedef struct cursor {
        const unsigned char *p;
        const unsigned char *end;
        char *errstr;
        size_t errstr_size;
} cursor_t;

static int malformed(cursor_t *c, const char *fmt, ...) {
        va_list ap;
        int n = snprintf(c->errstr, c->errstr_size, "malformed Avro record: ");

        if (n < 0 || (size_t)n >= c->errstr_size)
                return EILSEQ;
        va_start(ap, fmt);
        vsnprintf(c->errstr + n, c->errstr_size - (size_t)n, fmt, ap);
        va_end(ap);
        return EILSEQ;
}

/* Zig-zag varint, at most 10 bytes as in the Avro specification. */
static int cursor_long(cursor_t *c, int64_t *out) {
        uint64_t v = 0;
        unsigned shift = 0;
        unsigned char b;

        do {
                if (c->p == c->end)
                        return ENOSPC;
                if (shift > 63)
                        return malformed(c, "varint longer than 10 bytes");
                b = *c->p++;
                v |= (uint64_t)(b & 0x7F) << shift;
                shift += 7;
        } while (b & 0x80);
        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
        return 0;
}

static int cursor_skip(cursor_t *c, int64_t n) {
        if (n < 0)
                return malformed(c, "negative length %" PRId64, n);
        if (n > c->end - c->p)
                return ENOSPC;
        c->p += n;
        return 0;
}

static int check_value(avro_schema_t s, cursor_t *c, int depth);

static int check_string(cursor_t *c) {
        int64_t n = 0;
        int rc = cursor_long(c, &n);

        return rc ? rc : cursor_skip(c, n);
}

/* Arrays and maps come in blocks: a count (negative: followed by the
 * block's byte size), the items, and a zero count at the end. */
static int check_blocks(avro_schema_t s, cursor_t *c, int depth) {
        bool map = is_avro_map(s);
        avro_schema_t items =
                map ? avro_schema_map_values(s) : avro_schema_array_items(s);
        int64_t count = 0, size = 0;
        int rc;

        for (;;) {
                if ((rc = cursor_long(c, &count)))
                        return rc;
                if (count == 0)
                        return 0;
                if (count < 0) {
                        if (count == INT64_MIN)
                                return malformed(c, "block count overflow");
                        count = -count;
                        if ((rc = cursor_long(c, &size)))
                                return rc;
                }
                /* Every item of a contract schema takes at least one byte:
                 * a larger count cannot be honest, and would spin. */
                if (count > c->end - c->p)
                        return ENOSPC;
                for (int64_t i = 0; i < count; i++) {
                        if (map && (rc = check_string(c)))
                                return rc;
                        if ((rc = check_value(items, c, depth + 1)))
                                return rc;
                }
        }
}

static int check_compound(avro_schema_t s, cursor_t *c, int depth) {
        int64_t n = 0;
        int rc;

        switch (avro_typeof(s)) {
        case AVRO_RECORD:
                for (size_t i = 0; i < avro_schema_record_size(s); i++) {
                        avro_schema_t f = avro_schema_record_field_get_by_index(
                                s, (int)i);
                        if ((rc = check_value(f, c, depth + 1)))
                                return rc;
                }
                return 0;
        case AVRO_UNION:
                if ((rc = cursor_long(c, &n)))
                        return rc;
                if (n < 0 || (size_t)n >= avro_schema_union_size(s))
                        return malformed(c, "union branch %" PRId64 " of %zu",
                                         n, avro_schema_union_size(s));
                return check_value(avro_schema_union_branch(s, (int)n), c,
                                   depth + 1);
        case AVRO_ARRAY:
        case AVRO_MAP: return check_blocks(s, c, depth);
        case AVRO_LINK:
                return check_value(avro_schema_link_target(s), c, depth + 1);
        default: return malformed(c, "unsupported schema type");
        }
}

static int check_value(avro_schema_t s, cursor_t *c, int depth) {
        int64_t n = 0;
        int rc;

        if (depth > AVRO_MAX_DEPTH)
                return malformed(c, "nested deeper than %d", AVRO_MAX_DEPTH);
        switch (avro_typeof(s)) {
        case AVRO_NULL: return 0;
        case AVRO_BOOLEAN: return cursor_skip(c, 1);
        case AVRO_FLOAT: return cursor_skip(c, 4);
        case AVRO_DOUBLE: return cursor_skip(c, 8);
        case AVRO_FIXED: return cursor_skip(c, avro_schema_fixed_size(s));
        case AVRO_INT64: return cursor_long(c, &n);
        case AVRO_INT32:
                if ((rc = cursor_long(c, &n)))
                        return rc;
                if (n < INT32_MIN || n > INT32_MAX)
                        return malformed(c, "int out of range");
                return 0;
        case AVRO_ENUM:
                if ((rc = cursor_long(c, &n)))
                        return rc;
                if (n < 0 || n >= avro_schema_enum_number_of_symbols(s))
                        return malformed(c, "enum %s index %" PRId64,
                                         avro_schema_name(s), n);
                return 0;
        case AVRO_STRING:
        case AVRO_BYTES: return check_string(c);
        default: return check_compound(s, c, depth);
        }
}

impactd_err_t codec_avro_frame(codec_t *codec, const void *data, size_t len,
                               codec_schema_t **out, char *errstr,
                               size_t errstr_size) {
        const unsigned char *p = data;
        int32_t id;

        if (len < CONFLUENT_HEADER_SIZE) {
                snprintf(errstr, errstr_size, "truncated Confluent header");
                return IMPACTD_ERR_DECODE;
        }
        id = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
                       (uint32_t)p[3] << 8 | (uint32_t)p[4]);
        *out = codec_schema_find(codec, id);
        if (*out == NULL) {
                snprintf(errstr, errstr_size, "unknown Avro schema id %" PRId32,
                         id);
                return IMPACTD_ERR_DECODE;
        }
        return IMPACTD_OK;
}

impactd_err_t codec_avro_read(codec_t *codec, codec_schema_t *sc,
                              const void *data, size_t len, char *errstr,
                              size_t errstr_size) {
        cursor_t c = {data, (const unsigned char *)data + len, errstr,
                      errstr_size};
        int rc = check_value(sc->schema, &c, 0);

        if (rc == ENOSPC) {
                snprintf(errstr, errstr_size, "truncated Avro record");
                return IMPACTD_ERR_DECODE;
        }
        if (rc)
                return IMPACTD_ERR_DECODE; /* malformed() wrote errstr */
        if (c.p != c.end) {
                snprintf(errstr, errstr_size,
                         "trailing bytes after Avro record");
                return IMPACTD_ERR_DECODE;
        }
        avro_reader_memory_set_source(codec->reader, data, (int64_t)len);
        if (avro_value_read(codec->reader, &sc->value) != 0) {
                /* Structurally valid, so only allocation can fail here. */
                snprintf(errstr, errstr_size, "cannot decode %s: %s",
                         sc->fullname, avro_strerror());
                return IMPACTD_ERR_NOMEM;
        }
        return IMPACTD_OK;
}

impactd_err_t codec_avro_write(codec_t *codec, codec_schema_t *sc, buf_t *out,
                               char *errstr, size_t errstr_size) {
        size_t size = 0;
        unsigned char *p;
        uint32_t id = (uint32_t)sc->id;

        if (avro_value_sizeof(&sc->value, &size) != 0) {
                snprintf(errstr, errstr_size, "cannot encode %s: %s",
                         sc->fullname, avro_strerror());
                return IMPACTD_ERR_INVALID;
        }
        if (buf_reserve(out, CONFLUENT_HEADER_SIZE + size)) {
                snprintf(errstr, errstr_size, "out of memory");
                return IMPACTD_ERR_NOMEM;
        }
        p = (unsigned char *)out->data + out->len;
        p[0] = CONFLUENT_MAGIC;
        p[1] = (unsigned char)(id >> 24);
        p[2] = (unsigned char)(id >> 16);
        p[3] = (unsigned char)(id >> 8);
        p[4] = (unsigned char)id;
        avro_writer_memory_set_dest(codec->writer,
                                    (const char *)p + CONFLUENT_HEADER_SIZE,
                                    (int64_t)size);
        if (avro_value_write(codec->writer, &sc->value) != 0) {
                snprintf(errstr, errstr_size, "cannot encode %s: %s",
                         sc->fullname, avro_strerror());
                return IMPACTD_ERR_INVALID;
        }
        out->len += CONFLUENT_HEADER_SIZE + size;
        return IMPACTD_OK;
}

/* ------------------------------------------------------------------ */
/* Input events                                                        */

/* Reduces one record field (through its union, if any) to the codec's
 * encoding-independent view.  Strings stay in the avro value: the field
 * setter copies them into the event's arena. */
static void field_value_of(avro_value_t *field, field_value_t *out) {
        avro_value_t branch, *v = field;
        /* The getters leave these untouched when they fail. */
        int32_t i32 = 0;
        int idx = 0;
        float f = 0;

        memset(out, 0, sizeof(*out));
        if (avro_value_get_type(v) == AVRO_UNION) {
                if (avro_value_get_current_branch(v, &branch) != 0)
                        return; /* no branch: treat as null */
                v = &branch;
        }
        switch (avro_value_get_type(v)) {
        case AVRO_NULL: out->type = FV_NULL; break;
        case AVRO_STRING:
                out->type = FV_STRING;
                out->check_utf8 = true;
                avro_value_get_string(v, &out->s, &out->len);
                out->len = out->len > 0 ? out->len - 1 : 0; /* drop NUL */
                break;
        case AVRO_ENUM:
                avro_value_get_enum(v, &idx);
                out->type = FV_STRING;
                out->s = avro_schema_enum_get(avro_value_get_schema(v), idx);
                out->len = out->s ? strlen(out->s) : 0;
                if (out->s == NULL)
                        out->type = FV_OTHER;
                break;
        case AVRO_INT32:
                avro_value_get_int(v, &i32);
                out->type = FV_INT, out->i = i32;
                break;
        case AVRO_INT64:
                out->type = FV_INT;
                avro_value_get_long(v, &out->i);
                break;
        case AVRO_FLOAT:
                avro_value_get_float(v, &f);
                out->type = FV_REAL, out->d = f;
                break;
        case AVRO_DOUBLE:
                out->type = FV_REAL;
                avro_value_get_double(v, &out->d);
                break;
        case AVRO_BOOLEAN:
                avro_value_get_boolean(v, &idx);
                out->type = FV_BOOL, out->b = idx != 0;
                break;
        default: out->type = FV_OTHER; break;
        }
}

impactd_err_t codec_avro_decode_event(codec_t *codec, event_kind_t kind,
                                      const void *data, size_t len, event_t *ev,
                                      char *errstr, size_t errstr_size) {
        const unsigned char *p = data;
        codec_schema_t *sc;
        const field_id_t *fields;
        size_t cnt;
        impactd_err_t err;

        if ((err = codec_avro_frame(codec, data, len, &sc, errstr,
                                    errstr_size)))
                return err;
        /* Checked before reading: a record of another kind is a routing
         * mistake, not something to half-decode. */
        if (sc->kind != (record_kind_t)kind) {
                snprintf(errstr, errstr_size, "Avro record %s on the %s topic",
                         sc->fullname, codec_topic_label((topic_role_t)kind));
                return IMPACTD_ERR_DECODE;
        }
        if ((err = codec_avro_read(codec, sc, p + CONFLUENT_HEADER_SIZE,
                                   len - CONFLUENT_HEADER_SIZE, errstr,
                                   errstr_size)))
                return err;
        fields = codec_kind_fields(kind, &cnt);
        for (size_t i = 0; i < cnt; i++) {
                int idx = sc->field_index[fields[i]];
                avro_value_t field;
                field_value_t fv;

                if (idx < 0)
                        continue; /* an older writer schema without it */
                avro_value_get_by_index(&sc->value, (size_t)idx, &field, NULL);
                field_value_of(&field, &fv);
                if ((err = codec_field_set(codec, ev, fields[i], &fv, errstr,
                                           errstr_size)))
                        return err;
        }
        return IMPACTD_OK;
}

/* ------------------------------------------------------------------ */
/* Output records                                                      */

/* Encoders set many fields in a row; the first failure sticks and the
 * rest become no-ops, so the fill functions read as the field list. */
typedef struct enc {
        char *errstr;
        size_t errstr_size;
        impactd_err_t err;
} enc_t;

static void enc_fail(enc_t *e, const char *fmt, ...) {
        va_list ap;

        if (e->err)
                return;
        va_start(ap, fmt);
        vsnprintf(e->errstr, e->errstr_size, fmt, ap);
        va_end(ap);
        e->err = IMPACTD_ERR_INVALID;
}

/* The field `name` of `rec`, ready to be set.  A ["null", T] union gets
 * its null branch (absent) or its first other branch (present).  Returns
 * false when there is nothing to set: null chosen, an error, or a field
 * that the writer schema (an older version) does not have. */
static bool slot(enc_t *e, avro_value_t *rec, const char *name, bool present,
                 avro_value_t *child) {
        avro_value_t f;
        avro_schema_t u;
        size_t n;

        if (e->err || avro_value_get_by_name(rec, name, &f, NULL) != 0)
                return false;
        if (avro_value_get_type(&f) != AVRO_UNION) {
                if (!present)
                        enc_fail(e, "field '%s': required, but no value", name);
                *child = f;
                return present;
        }
        u = avro_value_get_schema(&f);
        n = avro_schema_union_size(u);
        for (size_t i = 0; i < n; i++) {
                if (is_avro_null(avro_schema_union_branch(u, (int)i)) ==
                    present)
                        continue;
                if (avro_value_set_branch(&f, (int)i, child) != 0)
                        break;
                return present;
        }
        enc_fail(e, "field '%s': cannot set the %s branch", name,
                 present ? "value" : "null");
        return false;
}

static void set_long(enc_t *e, avro_value_t *v, const char *name, int64_t x) {
        int rc = EINVAL;

        switch (avro_value_get_type(v)) {
        case AVRO_INT64: rc = avro_value_set_long(v, x); break;
        case AVRO_INT32:
                if (x >= INT32_MIN && x <= INT32_MAX)
                        rc = avro_value_set_int(v, (int32_t)x);
                break;
        case AVRO_DOUBLE: rc = avro_value_set_double(v, (double)x); break;
        default: break;
        }
        if (rc)
                enc_fail(e, "field '%s': cannot hold %" PRId64, name, x);
}

static void put_long(enc_t *e, avro_value_t *rec, const char *name, int64_t x,
                     bool present) {
        avro_value_t v;

        if (slot(e, rec, name, present, &v))
                set_long(e, &v, name, x);
}

static void put_double(enc_t *e, avro_value_t *rec, const char *name,
                       double x) {
        avro_value_t v;
        int rc = EINVAL;

        if (!slot(e, rec, name, true, &v))
                return;
        if (isfinite(x) && avro_value_get_type(&v) == AVRO_DOUBLE)
                rc = avro_value_set_double(&v, x);
        else if (isfinite(x) && avro_value_get_type(&v) == AVRO_FLOAT)
                rc = avro_value_set_float(&v, (float)x);
        if (rc)
                enc_fail(e, "field '%s': cannot hold %g", name, x);
}

static void put_bool(enc_t *e, avro_value_t *rec, const char *name, bool b) {
        avro_value_t v;

        if (slot(e, rec, name, true, &v) && avro_value_set_boolean(&v, b))
                enc_fail(e, "field '%s': not a boolean", name);
}

static void set_string(enc_t *e, avro_value_t *v, const char *name,
                       const char *s) {
        /* Avro strings are UTF-8, and JSON output could not carry anything
         * else: a text cut mid-character (a truncated "–") fails the same
         * way in both formats instead of reaching consumers. */
        if (!codec_utf8_valid((const unsigned char *)s, strlen(s)))
                enc_fail(e, "field '%s': invalid UTF-8", name);
        else if (avro_value_get_type(v) != AVRO_STRING ||
                 avro_value_set_string(v, s) != 0)
                enc_fail(e, "field '%s': not a string", name);
}

/* NULL is absent: null for a nullable field, an error otherwise. */
static void put_string(enc_t *e, avro_value_t *rec, const char *name,
                       const char *s) {
        avro_value_t v;

        if (slot(e, rec, name, s != NULL, &v))
                set_string(e, &v, name, s);
}

static void put_enum(enc_t *e, avro_value_t *rec, const char *name,
                     const char *symbol) {
        avro_value_t v;
        int idx;

        if (symbol == NULL) {
                enc_fail(e, "field '%s': invalid value", name);
                return;
        }
        if (!slot(e, rec, name, true, &v))
                return;
        if (avro_value_get_type(&v) == AVRO_STRING) {
                set_string(e, &v, name, symbol);
                return;
        }
        idx = avro_value_get_type(&v) == AVRO_ENUM
                      ? avro_schema_enum_get_by_name(avro_value_get_schema(&v),
                                                     symbol)
                      : -1;
        if (idx < 0 || avro_value_set_enum(&v, idx) != 0)
                enc_fail(e, "field '%s': no symbol %s", name, symbol);
}

static void fill_services(enc_t *e, avro_value_t *rec, const scored_t *s) {
        avro_value_t arr, item;

        if (!slot(e, rec, "impacted_services", true, &arr))
                return;
        for (size_t i = 0; i < s->impacted_services_cnt && !e->err; i++) {
                if (avro_value_append(&arr, &item, NULL) != 0) {
                        enc_fail(e, "field 'impacted_services': not an "
                                    "array");
                        return;
                }
                set_string(e, &item, "impacted_services",
                           s->impacted_services[i] ? s->impacted_services[i]
                                                   : "");
        }
}

static void fill_segments(enc_t *e, avro_value_t *rec, const scored_t *s) {
        avro_value_t segs, map, count;
        int64_t prev;
        int is_new;

        if (!slot(e, rec, "segments", true, &segs))
                return;
        for (size_t i = 0; i < s->segments_cnt && !e->err; i++) {
                const segment_count_t *sc = &s->segments[i];
                const char *name = segment_kind_name(sc->kind);

                if (name == NULL || sc->value == NULL ||
                    !slot(e, &segs, name, true, &map))
                        continue;
                if (avro_value_add(&map, sc->value, &count, NULL, &is_new)) {
                        enc_fail(e, "field 'segments.%s': not a map", name);
                        return;
                }
                /* A repeated value adds up rather than silently losing
                 * the earlier count. */
                prev = 0;
                if (!is_new)
                        avro_value_get_long(&count, &prev);
                set_long(e, &count, name, prev + sc->count);
        }
}

static void fill_region_users(enc_t *e, avro_value_t *rec, const scored_t *s) {
        avro_value_t map, users;
        int is_new;

        if (!slot(e, rec, "users_by_region", true, &map))
                return;
        for (size_t i = 0; i < s->region_users_cnt && !e->err; i++) {
                const region_users_t *ru = &s->region_users[i];
                if (!ru->region)
                        continue;
                if (avro_value_add(&map, ru->region, &users, NULL, &is_new)) {
                        enc_fail(e, "field 'users_by_region': not a map");
                        return;
                }
                set_long(e, &users, "users_by_region", ru->users);
        }
}

/* Tier names of a bit set (1 << customer_tier_t), highest tier first. */
static void fill_tiers(enc_t *e, avro_value_t *rec, const char *name,
                       unsigned bits) {
        avro_value_t arr, item;

        if (!slot(e, rec, name, true, &arr))
                return;
        for (int t = TIER_COUNT - 1; t > TIER_NONE && !e->err; t--) {
                if (!(bits & (1u << t)))
                        continue;
                if (avro_value_append(&arr, &item, NULL) != 0) {
                        enc_fail(e, "field '%s': not an array", name);
                        return;
                }
                set_string(e, &item, name, customer_tier_name((customer_tier_t)t));
        }
}

static void fill_scored(enc_t *e, avro_value_t *rec, const void *arg) {
        const scored_t *s = arg;
        const score_result_t *r = s->result;
        avro_value_t sub;

        put_string(e, rec, "incident_id", s->incident_id);
        put_long(e, rec, "revision", s->revision, true);
        put_enum(e, rec, "status", s->open ? "OPEN" : "RESOLVED");
        put_double(e, rec, "score", r->score);
        put_long(e, rec, "level", r->level, true);
        put_enum(e, rec, "impact_class", impact_class_name(r->impact_class));
        if (slot(e, rec, "dimensions", true, &sub))
                for (int d = 0; d < DIM_COUNT; d++)
                        put_double(e, &sub, score_dim_name((score_dim_t)d),
                                   r->dims[d]);
        put_long(e, rec, "affected_users", s->affected_users, true);
        put_long(e, rec, "affected_accounts", s->affected_accounts, true);
        put_double(e, rec, "arr_at_risk", s->arr_at_risk);
        put_string(e, rec, "root_service", s->root_service);
        fill_services(e, rec, s);
        fill_segments(e, rec, s);
        if (slot(e, rec, "sentiment", true, &sub)) {
                put_double(e, &sub, "mean", r->sentiment_mean);
                put_double(e, &sub, "negative_share",
                           r->sentiment_negative_share);
                put_long(e, &sub, "count", s->sentiment_count, true);
                put_enum(e, &sub, "trend", sentiment_trend_name(r->sentiment_trend));
                put_bool(e, &sub, "surge", r->sentiment_surge);
        }
        put_enum(e, rec, "ticket_trend", ticket_trend_name(r->ticket_trend));
        put_enum(e, rec, "confidence", confidence_name(r->confidence));
        put_long(e, rec, "declared_severity", s->declared_severity,
                 s->declared_severity != 0);
        put_bool(e, rec, "severity_mismatch", r->severity_mismatch);
        put_long(e, rec, "detected_at", s->detected_at, true);
        put_long(e, rec, "triaged_at", s->triaged_at, s->triaged_at != 0);
        put_long(e, rec, "resolved_at", s->resolved_at, s->resolved_at != 0);
        put_double(e, rec, "composite", r->composite);
        put_double(e, rec, "sentiment_lift", r->sentiment_lift);
        put_double(e, rec, "user_share", r->user_share);
        put_string(e, rec, "severity_mismatch_reason",
                   r->mismatch_reason[0] ? r->mismatch_reason : NULL);
        put_long(e, rec, "tickets_total", s->tickets_total, true);
        put_long(e, rec, "tickets_open", s->tickets_open, true);
        put_long(e, rec, "computed_level",
                 r->computed_level ? r->computed_level : r->level, true);
        put_string(e, rec, "level_reason",
                   r->level_reason[0] ? r->level_reason : NULL);
        fill_region_users(e, rec, s);
        put_string(e, rec, "segments_summary",
                   s->segments_summary ? s->segments_summary : "");
        fill_tiers(e, rec, "sla_at_risk", s->sla_at_risk);
        fill_tiers(e, rec, "sla_breached", s->sla_breached);
        put_bool(e, rec, "personal_data_at_risk", s->personal_data_at_risk);
}

static void fill_escalation(enc_t *e, avro_value_t *rec, const void *arg) {
        const escalation_t *x = arg;

        put_string(e, rec, "escalation_id", x->escalation_id);
        put_string(e, rec, "incident_id", x->incident_id);
        put_long(e, rec, "revision", x->revision, true);
        put_long(e, rec, "from_level", x->from_level, x->from_level != 0);
        put_long(e, rec, "to_level", x->to_level, true);
        put_string(e, rec, "reason", x->reason);
        put_string(e, rec, "target", x->target);
        put_string(e, rec, "summary", x->summary);
        put_long(e, rec, "created_at", x->created_at, true);
        put_string(e, rec, "account_id", x->account_id);
        put_string(e, rec, "tier", x->tier);
        put_long(e, rec, "deadline_at", x->deadline_at, x->deadline_at != 0);
}

static void fill_notification(enc_t *e, avro_value_t *rec, const void *arg) {
        const notification_t *n = arg;

        put_string(e, rec, "notification_id", n->notification_id);
        put_string(e, rec, "incident_id", n->incident_id);
        put_long(e, rec, "revision", n->revision, true);
        put_enum(e, rec, "audience", audience_name(n->audience));
        put_string(e, rec, "account_id", n->account_id);
        put_enum(e, rec, "kind", notify_kind_name(n->kind));
        put_string(e, rec, "title", n->title);
        put_string(e, rec, "body", n->body);
        put_long(e, rec, "created_at", n->created_at, true);
}

/* One path for the three outputs: fill the writer schema's cached value,
 * then write it as Avro, or as JSON through the same value so both
 * encodings carry exactly the same fields. */
static impactd_err_t encode(codec_t *codec, topic_role_t topic,
                            record_kind_t kind, wire_format_t fmt,
                            void (*fill)(enc_t *, avro_value_t *, const void *),
                            const void *record, buf_t *out, char *errstr,
                            size_t errstr_size) {
        enc_t e = {errstr, errstr_size, IMPACTD_OK};
        codec_schema_t *sc;
        json_t *json = NULL;
        impactd_err_t err;

        buf_reset(out);
        if ((err = codec_output_schema(codec, topic, kind, fmt, &sc, errstr,
                                       errstr_size)))
                return err;
        avro_value_reset(&sc->value);
        fill(&e, &sc->value, record);
        if ((err = e.err))
                goto out;
        if (fmt == FORMAT_AVRO) {
                err = codec_avro_write(codec, sc, out, errstr, errstr_size);
                goto out;
        }
        if ((err = codec_json_from_avro(&sc->value, &json, errstr,
                                        errstr_size)))
                goto out;
        err = codec_json_dump(json, out, errstr, errstr_size);
out:
        json_decref(json);
        if (err)
                buf_reset(out);
        return err;
}

impactd_err_t codec_encode_scored(codec_t *codec, wire_format_t fmt,
                                  const scored_t *s, buf_t *out, char *errstr,
                                  size_t errstr_size) {
        if (s->result == NULL) {
                snprintf(errstr, errstr_size, "scored record without result");
                return IMPACTD_ERR_INVALID;
        }
        return encode(codec, TOPIC_SCORED, RECORD_SCORED, fmt, fill_scored, s,
                      out, errstr, errstr_size);
}

impactd_err_t codec_encode_escalation(codec_t *codec, wire_format_t fmt,
                                      const escalation_t *x, buf_t *out,
                                      char *errstr, size_t errstr_size) {
        return encode(codec, TOPIC_ESCALATIONS, RECORD_ESCALATION, fmt,
                      fill_escalation, x, out, errstr, errstr_size);
}

impactd_err_t codec_encode_notification(codec_t *codec, wire_format_t fmt,
                                        const notification_t *n, buf_t *out,
                                        char *errstr, size_t errstr_size) {
        return encode(codec, TOPIC_NOTIFICATIONS, RECORD_NOTIFICATION, fmt,
                      fill_notification, n, out, errstr, errstr_size);
}
