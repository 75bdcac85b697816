/* Parsing for the YAML configuration (see config_internal.h): errors as
 * "FILE:LINE: dotted.key: problem", libyaml document helpers, scalar values
 * and their ranges, lists, librdkafka property maps, catalogs, and the walk
 * of a mapping against a table of keys. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"
#include "log.h"

int cfg_fail(ctx_t *c, int line, const char *key, const char *fmt, ...) {
        char msg[1024], where[32] = "";
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (line > 0)
                snprintf(where, sizeof(where), ":%d", line);
        snprintf(c->errstr, c->errstr_size, "%s%s: %s%s%s", c->file, where,
                 key ? key : "", key && *key ? ": " : "", msg);
        return -1;
}

int cfg_oom(ctx_t *c) {
        return cfg_fail(c, 0, NULL, "out of memory");
}

/* ---- libyaml document helpers ---- */

void cfg_pair_at(ctx_t *c, const yaml_node_t *m, size_t i, yaml_node_t **k,
                 yaml_node_t **v) {
        yaml_node_pair_t *p = m->data.mapping.pairs.start + i;

        *k = yaml_document_get_node(c->doc, p->key);
        *v = yaml_document_get_node(c->doc, p->value);
}

yaml_node_t *cfg_item_at(ctx_t *c, const yaml_node_t *s, size_t i) {
        return yaml_document_get_node(c->doc, s->data.sequence.items.start[i]);
}

bool cfg_is_null(const yaml_node_t *v) {
        return v->type == YAML_SCALAR_NODE &&
               v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
               (!*sval(v) || !strcmp(sval(v), "~") ||
                !strcasecmp(sval(v), "null"));
}

/* Checks that `v` is a mapping (or a list) and returns how many children it
 * has; null counts as empty.  Mapping keys must be unique scalars. */
int cfg_children(ctx_t *c, yaml_node_t *v, yaml_node_type_t want,
                 const char *key) {
        yaml_node_t *k, *k2, *x;

        if (cfg_is_null(v))
                return 0;
        if (v->type != want)
                return cfg_fail(c, line_of(v), key, "expected a %s",
                                want == YAML_MAPPING_NODE ? "mapping" : "list");
        if (want == YAML_SEQUENCE_NODE)
                return (int)(v->data.sequence.items.top -
                             v->data.sequence.items.start);
        for (size_t i = 0; i < npairs(v); i++) {
                cfg_pair_at(c, v, i, &k, &x);
                if (k->type != YAML_SCALAR_NODE)
                        return cfg_fail(c, line_of(k), key,
                                        "mapping keys must be scalars");
                for (size_t j = 0; j < i; j++) {
                        cfg_pair_at(c, v, j, &k2, &x);
                        if (!strcmp(sval(k), sval(k2)))
                                return cfg_fail(c, line_of(k), key,
                                                "duplicate key '%s' (first at "
                                                "line %d)",
                                                sval(k), line_of(k2));
                }
        }
        return (int)npairs(v);
}

/* The line of the key at `dotted` in the file; 0 when it is not there. */
int cfg_key_line(ctx_t *c, const char *dotted) {
        yaml_node_t *n = yaml_document_get_root_node(c->doc), *k, *v;
        int line = 0;

        while (n && *dotted) {
                size_t len = strcspn(dotted, ".");
                yaml_node_t *next = NULL;

                for (size_t i = 0;
                     n->type == YAML_MAPPING_NODE && i < npairs(n) && !next;
                     i++) {
                        cfg_pair_at(c, n, i, &k, &v);
                        if (k->type == YAML_SCALAR_NODE &&
                            k->data.scalar.length == len &&
                            !memcmp(sval(k), dotted, len)) {
                                next = v;
                                line = line_of(k);
                        }
                }
                n = next;
                dotted += len + (dotted[len] == '.');
        }
        return n ? line : 0;
}

static int join_key(ctx_t *c, char *out, const char *prefix, const char *k,
                    int line) {
        int n = snprintf(out, KEY_MAX, "%s%s%s", prefix, *prefix ? "." : "", k);

        if (n < 0 || n >= KEY_MAX)
                return cfg_fail(c, line, prefix, "key '%.40s...' is too long",
                                k);
        return 0;
}

/* ---- scalar values ---- */

/* The value of scalar `v`, ${VAR}-expanded and malloc'd; NULL on error. */
char *cfg_scalar(ctx_t *c, yaml_node_t *v, const char *key) {
        char err[300], *s = NULL;

        if (v->type != YAML_SCALAR_NODE)
                cfg_fail(c, line_of(v), key, "expected a value, got a %s",
                         v->type == YAML_MAPPING_NODE ? "mapping" : "list");
        else if (strlen(sval(v)) != v->data.scalar.length)
                cfg_fail(c, line_of(v), key, "contains a NUL byte");
        else if (cfg_is_null(v) && !(s = strdup("")))
                cfg_oom(c);
        else if (!s && !(s = config_interpolate(sval(v), err, sizeof(err))))
                cfg_fail(c, line_of(v), key, "%s", err);
        return s;
}

int cfg_parse_int(const char *s, int64_t *out) {
        char *end;

        errno = 0;
        *out = strtoll(s, &end, 10);
        return !*s || isspace((unsigned char)*s) || *end || errno ? -1 : 0;
}

static int parse_double(const char *s, double *out) {
        char *end;

        errno = 0;
        *out = strtod(s, &end);
        return !*s || isspace((unsigned char)*s) || *end || errno ||
                               !isfinite(*out)
                       ? -1
                       : 0;
}

/* Sizes as in redis.conf: 1k = 1000, 1kb = 1024, and so on. */
static int parse_size(const char *s, int64_t *out) {
        static const char *suffix[] = {"", "k", "kb", "m", "mb", "g", "gb"};
        static const int64_t mul[] = {1,       1000,       1024,   1000000,
                                      1 << 20, 1000000000, 1 << 30};
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        for (size_t i = 0;
             isdigit((unsigned char)*s) && !errno && i < ARRAY_SIZE(suffix);
             i++) {
                if (!strcasecmp(end, suffix[i]) && v <= INT64_MAX / mul[i]) {
                        *out = v * mul[i];
                        return 0;
                }
        }
        return -1;
}

static int parse_enum(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (!strcasecmp(s, names[i]))
                        return (int)i;
        return -1;
}

static int check_range(ctx_t *c, range_t r, double d, const char *s,
                       const char *key, int line) {
        static const char *rule[] = {
                [R_POS] = "must be > 0",
                [R_NONNEG] = "must be >= 0",
                [R_SHARE] = "must be between 0 and 1",
                [R_PERCENT] = "must be between 0 and 100",
                [R_UNIT] = "must be between -1 and 1",
                [R_DATABASE] = "must be >= -1 (-1 = as in the URL)",
                [R_SEVERITY] = "must be between 1 and 5",
                [R_PERCENT_POS] = "must be > 0 and <= 100",
                [R_SPAN] = "must be between 0 and 2",
        };
        bool ok = r == R_ANY || r == R_NONEMPTY || (r == R_POS && d > 0) ||
                  (r == R_NONNEG && d >= 0) ||
                  (r == R_SHARE && d >= 0 && d <= 1) ||
                  (r == R_PERCENT && d >= 0 && d <= 100) ||
                  (r == R_UNIT && d >= -1 && d <= 1) ||
                  (r == R_DATABASE && d >= -1) ||
                  (r == R_SEVERITY && d >= 1 && d <= 5) ||
                  (r == R_PERCENT_POS && d > 0 && d <= 100) ||
                  (r == R_SPAN && d >= 0 && d <= 2);

        return ok ? 0 : cfg_fail(c, line, key, "%s, got '%s'", rule[r], s);
}

static int set_string(ctx_t *c, const cfg_entry_t *e, char **dst, const char *s,
                      const char *key, int line) {
        log_level_t lvl;
        char *dup = NULL;

        if (e->type == T_LOGLEVEL && log_level_parse(s, &lvl))
                return cfg_fail(c, line, key,
                                "expected debug, info, warn or error, got '%s'",
                                s);
        if (e->range == R_NONEMPTY && !*s)
                return cfg_fail(c, line, key, "must not be empty");
        if ((*s || e->def) && !(dup = strdup(s)))
                return cfg_oom(c);
        free(*dst);
        *dst = dup;
        return 0;
}

/* Parses `s` as the type of `e` into `base` + e->off, checking its range. */
int cfg_set_value(ctx_t *c, const cfg_entry_t *e, void *base, const char *s,
                  const char *key, int line) {
        static const char *bools[] = {"false", "true", "no",
                                      "yes",   "off",  "on"};
        static const char *formats[] = {"avro", "json"};
        char *p = (char *)base + e->off;
        const char *expected = "an integer";
        int64_t i = 0;
        double d = 0;
        int x;

        switch (e->type) {
        case T_STRING:
        case T_LOADSTR:
        case T_LOGLEVEL: return set_string(c, e, (char **)p, s, key, line);
        case T_BOOL:
                if ((x = parse_enum(bools, ARRAY_SIZE(bools), s)) < 0)
                        return cfg_fail(c, line, key,
                                        "expected true or false, got '%s'", s);
                *(bool *)p = x % 2;
                return 0;
        case T_FORMAT:
                if ((x = parse_enum(formats, ARRAY_SIZE(formats), s)) < 0)
                        return cfg_fail(c, line, key,
                                        "expected avro or json, got '%s'", s);
                *(wire_format_t *)p = x ? FORMAT_JSON : FORMAT_AVRO;
                return 0;
        case T_TIER:
                if (customer_tier_parse(s, (customer_tier_t *)p))
                        return cfg_fail(c, line, key,
                                        "expected FREE, PRO, BUSINESS or "
                                        "ENTERPRISE, got '%s'",
                                        s);
                return 0;
        case T_DOUBLE:
        case T_MS_FROM_S:
        case T_MS_FROM_MIN:
                expected = "a number";
                x = parse_double(s, &d);
                if (e->type == T_MS_FROM_S) /* range-check what is stored */
                        d = round(d * 1000);
                else if (e->type == T_MS_FROM_MIN)
                        d = round(d * 60000);
                break;
        case T_SIZE:
                expected = "a size in bytes (e.g. 1048576 or 1mb)";
                x = parse_size(s, &i);
                d = (double)i;
                break;
        default:
                x = cfg_parse_int(s, &i);
                d = (double)i;
                break;
        }
        if (x)
                return cfg_fail(c, line, key, "expected %s, got '%s'", expected,
                                s);
        if (check_range(c, e->range, d, s, key, line))
                return -1;
        if ((e->type == T_INT && (i < INT_MIN || i > INT_MAX)) ||
            (e->type == T_SCHEMA_ID && i > INT32_MAX) ||
            ((e->type == T_MS_FROM_S || e->type == T_MS_FROM_MIN) && d > 9e18))
                return cfg_fail(c, line, key, "out of range, got '%s'", s);
        switch (e->type) {
        case T_INT: *(int *)p = (int)i; break;
        case T_SCHEMA_ID: *(int32_t *)p = (int32_t)i; break;
        case T_INT64: *(int64_t *)p = i; break;
        case T_SIZE: *(size_t *)p = (size_t)i; break;
        case T_DOUBLE: *(double *)p = d; break;
        case T_MS_FROM_S:
        case T_MS_FROM_MIN: *(int64_t *)p = (int64_t)d; break;
        default: break;
        }
        return 0;
}

int cfg_set_node(ctx_t *c, const cfg_entry_t *e, void *base, yaml_node_t *v,
                 const char *key) {
        char *s = cfg_scalar(c, v, key);
        int rc = s ? cfg_set_value(c, e, base, s, key, line_of(v)) : -1;

        free(s);
        return rc;
}

/* ---- lists, property maps, catalogs ---- */
static int parse_strlist(ctx_t *c, const cfg_entry_t *e, void *base,
                         yaml_node_t *v, const char *key) {
        char ***list = AT(base, e->off, char **);
        size_t *cnt = AT(base, e->cnt_off, size_t);
        int n = cfg_children(c, v, YAML_SEQUENCE_NODE, key);

        if (n <= 0)
                return n;
        if (!(*list = calloc((size_t)n, sizeof(char *))))
                return cfg_oom(c);
        for (; *cnt < (size_t)n; (*cnt)++)
                if (!((*list)[*cnt] =
                              cfg_scalar(c, cfg_item_at(c, v, *cnt), key)))
                        return -1;
        return 0;
}

/* librdkafka properties: names and values passed through untouched. */
static int parse_props(ctx_t *c, const cfg_entry_t *e, void *base,
                       yaml_node_t *v, const char *key) {
        config_prop_t **props = AT(base, e->off, config_prop_t *);
        size_t *cnt = AT(base, e->cnt_off, size_t);
        int n = cfg_children(c, v, YAML_MAPPING_NODE, key);
        char sub[KEY_MAX];
        yaml_node_t *k, *val;

        if (n <= 0)
                return n;
        if (!(*props = calloc((size_t)n, sizeof(**props))))
                return cfg_oom(c);
        for (config_prop_t *p = *props; *cnt < (size_t)n; p++) {
                cfg_pair_at(c, v, (*cnt)++, &k, &val);
                if (join_key(c, sub, key, sval(k), line_of(k)))
                        return -1;
                if (!(p->name = strdup(sval(k))))
                        return cfg_oom(c);
                if (!(p->value = cfg_scalar(c, val, sub)))
                        return -1;
        }
        return 0;
}

static int parse_catalog(ctx_t *c, const cfg_entry_t *e, void *base,
                         yaml_node_t *v, const char *key) {
        const catalog_t *cat = e->catalog;
        char **arr = AT(base, e->off, char *), sub[KEY_MAX];
        size_t *cnt = AT(base, e->cnt_off, size_t);
        int n = cfg_children(c, v, YAML_MAPPING_NODE, key);
        yaml_node_t *k, *val;

        if (n <= 0)
                return n;
        if (!(*arr = calloc((size_t)n, cat->size)))
                return cfg_oom(c);
        while (*cnt < (size_t)n) {
                char *elem = *arr + *cnt * cat->size;

                if (cat->init)
                        cat->init(elem);
                cfg_pair_at(c, v, (*cnt)++, &k, &val);
                if (!(*AT(elem, cat->name_off, char *) = strdup(sval(k))))
                        return cfg_oom(c);
                if (join_key(c, sub, key, sval(k), line_of(k)) ||
                    cfg_parse_table(c, cat->tbl, cat->n, elem, strlen(sub) + 1,
                                    val, sub))
                        return -1;
        }
        return cat->check ? cat->check(c, v) : 0;
}

void cfg_free_table(const cfg_entry_t *tbl, size_t n, void *base) {
        for (const cfg_entry_t *e = tbl; e < tbl + n; e++) {
                void **p = AT(base, e->off, void *);
                size_t cnt = e->cnt_off ? *AT(base, e->cnt_off, size_t) : 0;

                for (size_t i = 0; i < cnt && e->type == T_STRLIST; i++)
                        free(((char **)*p)[i]);
                for (size_t i = 0; i < cnt && e->type == T_PROPS; i++) {
                        free(((config_prop_t *)*p)[i].name);
                        free(((config_prop_t *)*p)[i].value);
                }
                for (size_t i = 0; i < cnt && e->type == T_CATALOG; i++) {
                        char *elem = (char *)*p + i * e->catalog->size;

                        free(*AT(elem, e->catalog->name_off, char *));
                        cfg_free_table(e->catalog->tbl, e->catalog->n, elem);
                }
                if (e->type == T_STRING || e->type == T_LOGLEVEL || e->cnt_off)
                        free(*p);
        }
}

/* ---- walking a mapping against a table ---- */

static int parse_entry(ctx_t *c, const cfg_entry_t *e, void *base,
                       yaml_node_t *v, const char *key) {
        switch (e->type) {
        case T_STRLIST: return parse_strlist(c, e, base, v, key);
        case T_PROPS: return parse_props(c, e, base, v, key);
        case T_CATALOG: return parse_catalog(c, e, base, v, key);
        case T_SPECIAL: return e->parse(c, base, v, key);
        case T_LOADSTR: return cfg_set_node(c, e, c, v, key);
        default: return cfg_set_node(c, e, base, v, key);
        }
}

/* `skip` chars of a key as displayed ("services.payments.") are not part of
 * the names in `tbl`. */
int cfg_parse_table(ctx_t *c, const cfg_entry_t *tbl, size_t n, void *base,
                    size_t skip, yaml_node_t *map, const char *prefix) {
        int cnt = cfg_children(c, map, YAML_MAPPING_NODE, prefix);
        char key[KEY_MAX];
        yaml_node_t *k, *v;

        for (int i = 0; i < cnt; i++) {
                const cfg_entry_t *e = NULL;
                bool group = false;
                size_t len;

                cfg_pair_at(c, map, (size_t)i, &k, &v);
                if (join_key(c, key, prefix, sval(k), line_of(k)))
                        return -1;
                len = strlen(key + skip);
                for (size_t j = 0; j < n && !e; j++) {
                        if (!strcmp(tbl[j].name, key + skip))
                                e = &tbl[j];
                        else if (!strncmp(tbl[j].name, key + skip, len) &&
                                 tbl[j].name[len] == '.')
                                group = true;
                }
                if (e       ? parse_entry(c, e, base, v, key)
                    : group ? cfg_parse_table(c, tbl, n, base, skip, v, key)
                            : cfg_fail(c, line_of(k), prefix,
                                       "unknown key '%s'", sval(k)))
                        return -1;
        }
        return cnt < 0 ? -1 : 0;
}
