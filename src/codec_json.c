/* JSON with jansson: input events, compact output, and the schema-driven
 * conversions between JSON and Avro values used by the output encoders and
 * the `produce` / `tail` tools. */
#include "codec_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* %.15g: every double prints as its shortest faithful decimal for
 * humans (63.4, not 63.400000000000006); 15 digits round-trip every
 * decimal a producer or the score model realistically produces. */
#define JSON_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

impactd_err_t codec_json_parse(const void *data, size_t len, json_t **out,
                               char *errstr, size_t errstr_size) {
        json_error_t jerr;

        /* Duplicate keys would let two consumers of one message disagree on
         * its content; jansson rejects invalid UTF-8 and \u0000 itself.
         * Scalars are accepted here so that callers can say precisely
         * "JSON is not an object". */
        *out = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                          &jerr);
        if (*out == NULL) {
                snprintf(errstr, errstr_size, "invalid JSON: %s at %d:%d",
                         jerr.text, jerr.line, jerr.column);
                return IMPACTD_ERR_DECODE;
        }
        return IMPACTD_OK;
}

static int dump_cb(const char *p, size_t n, void *arg) {
        return buf_append(arg, p, n);
}

impactd_err_t codec_json_dump(const json_t *json, buf_t *out, char *errstr,
                              size_t errstr_size) {
        size_t start = out->len;

        if (json_dump_callback(json, dump_cb, out, JSON_DUMP_FLAGS) != 0) {
                out->len = start;
                snprintf(errstr, errstr_size, "out of memory");
                return IMPACTD_ERR_NOMEM;
        }
        return IMPACTD_OK;
}

/* ------------------------------------------------------------------ */
/* Input events                                                        */

static void field_value_of(const json_t *j, field_value_t *out) {
        memset(out, 0, sizeof(*out));
        switch (j ? json_typeof(j) : JSON_NULL) {
        case JSON_NULL: out->type = FV_NULL; break;
        case JSON_STRING:
                out->type = FV_STRING;
                out->s = json_string_value(j);
                out->len = json_string_length(j);
                break;
        case JSON_INTEGER:
                out->type = FV_INT;
                out->i = json_integer_value(j);
                break;
        case JSON_REAL:
                out->type = FV_REAL;
                out->d = json_real_value(j);
                break;
        case JSON_TRUE:
        case JSON_FALSE:
                out->type = FV_BOOL;
                out->b = json_is_true(j);
                break;
        default: out->type = FV_OTHER; break;
        }
}

impactd_err_t codec_json_decode_event(codec_t *codec, event_kind_t kind,
                                      const void *data, size_t len, event_t *ev,
                                      char *errstr, size_t errstr_size) {
        const field_id_t *fields;
        json_t *obj = NULL;
        impactd_err_t err;
        size_t cnt;

        if ((err = codec_json_parse(data, len, &obj, errstr, errstr_size)))
                return err;
        if (!json_is_object(obj)) {
                snprintf(errstr, errstr_size, "JSON is not an object");
                err = IMPACTD_ERR_DECODE;
                goto out;
        }
        /* Look up the contract's fields rather than walk the object:
         * unknown fields are ignored for free. */
        fields = codec_kind_fields(kind, &cnt);
        for (size_t i = 0; i < cnt; i++) {
                field_value_t fv;

                field_value_of(
                        json_object_get(obj, codec_fields[fields[i]].name),
                        &fv);
                if ((err = codec_field_set(codec, ev, fields[i], &fv, errstr,
                                           errstr_size)))
                        goto out;
        }
out:
        json_decref(obj);
        return err;
}

/* ------------------------------------------------------------------ */
/* Avro <-> JSON                                                       */

/* The dotted path of the field being converted, for error messages such
 * as "field 'dimensions.revenue': expected a number". */
typedef struct conv {
        char path[256];
        size_t len;
        char *errstr;
        size_t errstr_size;
} conv_t;

static size_t path_push(conv_t *c, const char *name, size_t index) {
        size_t saved = c->len;
        size_t room = sizeof(c->path) - c->len;
        int n = name ? snprintf(c->path + c->len, room, "%s%s",
                                c->len ? "." : "", name)
                     : snprintf(c->path + c->len, room, "[%zu]", index);

        if (n > 0)
                c->len += (size_t)n < room ? (size_t)n : room - 1;
        return saved;
}

static void path_pop(conv_t *c, size_t saved) {
        c->len = saved;
        c->path[saved] = '\0';
}

static impactd_err_t conv_fail(conv_t *c, const char *what) {
        snprintf(c->errstr, c->errstr_size, "field '%s': %s", c->path, what);
        return IMPACTD_ERR_INVALID;
}

static json_t *string_json(conv_t *c, const char *s, size_t len,
                           impactd_err_t *err) {
        json_t *j = json_stringn(s, len);

        if (j == NULL)
                *err = conv_fail(c, "not valid UTF-8");
        return j;
}

static json_t *avro_to_json(conv_t *c, avro_value_t *v, impactd_err_t *err);

/* Records and maps both become objects: avro-c's get_by_index names a
 * record's fields and a map's keys alike. */
static json_t *object_to_json(conv_t *c, avro_value_t *v, impactd_err_t *err) {
        json_t *obj = json_object();
        size_t n = 0;

        avro_value_get_size(v, &n);
        for (size_t i = 0; obj != NULL && i < n; i++) {
                avro_value_t child;
                const char *name = NULL;
                size_t saved;
                json_t *cj;

                avro_value_get_by_index(v, i, &child, &name);
                saved = path_push(c, name ? name : "?", 0);
                cj = avro_to_json(c, &child, err);
                path_pop(c, saved);
                if (cj == NULL || json_object_set_new(obj, name, cj) != 0) {
                        json_decref(obj);
                        return NULL;
                }
        }
        return obj;
}

static json_t *array_to_json(conv_t *c, avro_value_t *v, impactd_err_t *err) {
        json_t *arr = json_array();
        size_t n = 0;

        avro_value_get_size(v, &n);
        for (size_t i = 0; arr != NULL && i < n; i++) {
                avro_value_t child;
                size_t saved = path_push(c, NULL, i);
                json_t *cj;

                avro_value_get_by_index(v, i, &child, NULL);
                cj = avro_to_json(c, &child, err);
                path_pop(c, saved);
                if (cj == NULL || json_array_append_new(arr, cj) != 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        return arr;
}

static json_t *avro_to_json(conv_t *c, avro_value_t *v, impactd_err_t *err) {
        avro_value_t branch;
        /* The getters leave these untouched when they fail. */
        const void *bytes = "";
        const char *s = "";
        size_t size = 0;
        int32_t i32 = 0;
        int64_t i64 = 0;
        double d = 0;
        float f = 0;
        int i = 0;

        switch (avro_value_get_type(v)) {
        case AVRO_NULL: return json_null();
        case AVRO_BOOLEAN:
                avro_value_get_boolean(v, &i);
                return json_boolean(i);
        case AVRO_INT32: avro_value_get_int(v, &i32); return json_integer(i32);
        case AVRO_INT64: avro_value_get_long(v, &i64); return json_integer(i64);
        case AVRO_FLOAT:
        case AVRO_DOUBLE:
                if (avro_value_get_type(v) == AVRO_FLOAT)
                        avro_value_get_float(v, &f), d = f;
                else
                        avro_value_get_double(v, &d);
                if (!isfinite(d)) {
                        *err = conv_fail(c, "not a finite number");
                        return NULL;
                }
                return json_real(d);
        case AVRO_STRING:
                avro_value_get_string(v, &s, &size);
                return string_json(c, s, size ? size - 1 : 0, err);
        case AVRO_BYTES:
        case AVRO_FIXED:
                if (avro_value_get_type(v) == AVRO_BYTES)
                        avro_value_get_bytes(v, &bytes, &size);
                else
                        avro_value_get_fixed(v, &bytes, &size);
                return string_json(c, bytes, size, err);
        case AVRO_ENUM:
                avro_value_get_enum(v, &i);
                s = avro_schema_enum_get(avro_value_get_schema(v), i);
                return s ? json_string(s) : NULL;
        case AVRO_UNION:
                if (avro_value_get_current_branch(v, &branch) != 0) {
                        *err = conv_fail(c, "union without a value");
                        return NULL;
                }
                return avro_to_json(c, &branch, err);
        case AVRO_ARRAY: return array_to_json(c, v, err);
        default: return object_to_json(c, v, err);
        }
}

impactd_err_t codec_json_from_avro(avro_value_t *value, json_t **out,
                                   char *errstr, size_t errstr_size) {
        conv_t c = {.errstr = errstr, .errstr_size = errstr_size};
        impactd_err_t err = IMPACTD_OK;

        *out = avro_to_json(&c, value, &err);
        if (*out == NULL && err == IMPACTD_OK) {
                snprintf(errstr, errstr_size, "out of memory");
                err = IMPACTD_ERR_NOMEM;
        }
        return err;
}

static impactd_err_t json_to_avro(conv_t *c, const json_t *j, avro_value_t *v);

/* Which Avro type a JSON value can become, for choosing a union branch. */
static bool json_fits(const json_t *j, avro_type_t t) {
        switch (t) {
        case AVRO_NULL: return json_is_null(j);
        case AVRO_BOOLEAN: return json_is_boolean(j);
        case AVRO_INT32:
        case AVRO_INT64: return json_is_integer(j);
        case AVRO_FLOAT:
        case AVRO_DOUBLE: return json_is_number(j);
        case AVRO_STRING:
        case AVRO_BYTES:
        case AVRO_ENUM:
        case AVRO_FIXED: return json_is_string(j);
        case AVRO_ARRAY: return json_is_array(j);
        case AVRO_RECORD:
        case AVRO_MAP: return json_is_object(j);
        default: return false;
        }
}

/* Contract JSON carries a union's value bare ("region": "eu"), not Avro's
 * JSON encoding ({"string": "eu"}): pick the first branch it fits. */
static impactd_err_t union_from_json(conv_t *c, const json_t *j,
                                     avro_value_t *v) {
        avro_schema_t u = avro_value_get_schema(v);
        size_t n = avro_schema_union_size(u);
        avro_value_t branch;

        for (size_t i = 0; i < n; i++) {
                avro_schema_t b = avro_schema_union_branch(u, (int)i);

                if (is_avro_link(b))
                        b = avro_schema_link_target(b);
                if (!json_fits(j, avro_typeof(b)))
                        continue;
                if (avro_value_set_branch(v, (int)i, &branch) != 0)
                        break;
                return json_to_avro(c, j, &branch);
        }
        return conv_fail(c, json_is_null(j) ? "must not be null"
                                            : "matches no branch of its union");
}

static impactd_err_t record_from_json(conv_t *c, const json_t *j,
                                      avro_value_t *v) {
        avro_schema_t s = avro_value_get_schema(v);
        size_t n = avro_schema_record_size(s);
        impactd_err_t err = IMPACTD_OK;

        if (!json_is_object(j))
                return conv_fail(c, "expected an object");
        for (size_t i = 0; i < n && err == IMPACTD_OK; i++) {
                const char *name = avro_schema_record_field_name(s, (int)i);
                const json_t *jf = json_object_get(j, name);
                size_t saved = path_push(c, name, 0);
                avro_value_t child;

                avro_value_get_by_index(v, i, &child, NULL);
                if (jf == NULL && !(avro_value_get_type(&child) == AVRO_UNION ||
                                    avro_value_get_type(&child) == AVRO_NULL)) {
                        snprintf(c->errstr, c->errstr_size,
                                 "missing required field '%s'", c->path);
                        err = IMPACTD_ERR_INVALID;
                } else {
                        /* Absent is null: ["null", T] takes its null. */
                        err = json_to_avro(c, jf ? jf : json_null(), &child);
                }
                path_pop(c, saved);
        }
        return err;
}

static impactd_err_t items_from_json(conv_t *c, const json_t *j,
                                     avro_value_t *v) {
        impactd_err_t err = IMPACTD_OK;
        avro_value_t child;
        const char *key;
        json_t *item;
        size_t i, saved;

        if (avro_value_get_type(v) == AVRO_ARRAY) {
                if (!json_is_array(j))
                        return conv_fail(c, "expected an array");
                json_array_foreach(j, i, item) {
                        saved = path_push(c, NULL, i);
                        err = avro_value_append(v, &child, NULL)
                                      ? conv_fail(c, "cannot append")
                                      : json_to_avro(c, item, &child);
                        path_pop(c, saved);
                        if (err)
                                return err;
                }
                return IMPACTD_OK;
        }
        if (!json_is_object(j))
                return conv_fail(c, "expected an object");
        json_object_foreach((json_t *)j, key, item) {
                saved = path_push(c, key, 0);
                err = avro_value_add(v, key, &child, NULL, NULL)
                              ? conv_fail(c, "cannot add")
                              : json_to_avro(c, item, &child);
                path_pop(c, saved);
                if (err)
                        return err;
        }
        return IMPACTD_OK;
}

static impactd_err_t scalar_from_json(conv_t *c, const json_t *j,
                                      avro_value_t *v, avro_type_t t) {
        const char *s = json_string_value(j);
        size_t len = json_string_length(j);
        json_int_t i = json_integer_value(j);
        int idx, rc = 0;

        switch (t) {
        case AVRO_NULL: return IMPACTD_OK;
        case AVRO_BOOLEAN:
                rc = avro_value_set_boolean(v, json_is_true(j));
                break;
        case AVRO_INT32:
                if (i < INT32_MIN || i > INT32_MAX)
                        return conv_fail(c, "out of range for an Avro int");
                rc = avro_value_set_int(v, (int32_t)i);
                break;
        case AVRO_INT64: rc = avro_value_set_long(v, i); break;
        case AVRO_FLOAT:
                rc = avro_value_set_float(v, (float)json_number_value(j));
                break;
        case AVRO_DOUBLE:
                rc = avro_value_set_double(v, json_number_value(j));
                break;
        case AVRO_STRING: rc = avro_value_set_string_len(v, s, len + 1); break;
        case AVRO_BYTES: rc = avro_value_set_bytes(v, (void *)s, len); break;
        case AVRO_FIXED: rc = avro_value_set_fixed(v, (void *)s, len); break;
        case AVRO_ENUM:
                idx = avro_schema_enum_get_by_name(avro_value_get_schema(v), s);
                if (idx < 0) {
                        snprintf(c->errstr, c->errstr_size,
                                 "field '%s': unknown value '%.64s'", c->path,
                                 s);
                        return IMPACTD_ERR_INVALID;
                }
                rc = avro_value_set_enum(v, idx);
                break;
        default: return conv_fail(c, "unsupported Avro type");
        }
        return rc ? conv_fail(c, avro_strerror()) : IMPACTD_OK;
}

static const char *expected_name(avro_type_t t) {
        switch (t) {
        case AVRO_NULL: return "expected null";
        case AVRO_BOOLEAN: return "expected a boolean";
        case AVRO_INT32:
        case AVRO_INT64: return "expected an integer";
        case AVRO_FLOAT:
        case AVRO_DOUBLE: return "expected a number";
        default: return "expected a string";
        }
}

static impactd_err_t json_to_avro(conv_t *c, const json_t *j, avro_value_t *v) {
        avro_type_t t = avro_value_get_type(v);

        switch (t) {
        case AVRO_UNION: return union_from_json(c, j, v);
        case AVRO_RECORD: return record_from_json(c, j, v);
        case AVRO_ARRAY:
        case AVRO_MAP: return items_from_json(c, j, v);
        default:
                if (!json_fits(j, t))
                        return conv_fail(c, expected_name(t));
                return scalar_from_json(c, j, v, t);
        }
}

impactd_err_t codec_json_to_avro_value(const json_t *json, avro_value_t *value,
                                       char *errstr, size_t errstr_size) {
        conv_t c = {.errstr = errstr, .errstr_size = errstr_size};

        avro_value_reset(value);
        return json_to_avro(&c, json, value);
}
