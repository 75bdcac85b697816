/* YAML configuration -> config_t (include/config.h; every key is documented
 * with its default in config/impactd.yaml).
 *
 * libyaml's document API loads the file into nodes that keep their line; one
 * table of keys, as in Redis's config.c, gives each dotted key its type,
 * default, place in the struct and valid range.  Defaults are text parsed by
 * the same code as the file, so no default can bypass a check.  Lists,
 * librdkafka property maps and catalogs (a map of name -> struct described by
 * a table of its own) are table types too: parsing, printing and freeing are
 * all driven by the tables.  The first error stops the load and reads
 * "FILE:LINE: dotted.key: problem". */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KEY_MAX       512
#define SECRET_MASK   "*****"

typedef enum {
        T_STRING,    /* char *; empty and no default -> NULL */
        T_INT,       /* int */
        T_INT64,     /* int64_t */
        T_DOUBLE,    /* double */
        T_BOOL,      /* bool: true|false|yes|no|on|off */
        T_SIZE,      /* size_t bytes: 1k = 1000, 1kb = 1024, m, mb, g, gb */
        T_FORMAT,    /* wire_format_t: avro|json */
        T_TIER,      /* customer_tier_t: FREE|PRO|BUSINESS|ENTERPRISE */
        T_LOGLEVEL,  /* char *: debug|info|warn|error */
        T_SCHEMA_ID, /* int32_t */
        T_MS_FROM_S, /* int64_t milliseconds, written in seconds */
        T_STRLIST,   /* char ** at off, size_t count at cnt_off */
        T_PROPS,     /* config_prop_t * at off, size_t count at cnt_off */
        T_CATALOG,   /* array of catalog elements at off, count at cnt_off */
        T_LOADSTR,   /* char * in ctx_t, used after the walk */
        T_SPECIAL,   /* the entry's own parse and print functions */
} value_type_t;

typedef enum {
        R_ANY,
        R_NONEMPTY,
        R_POS,      /* > 0 */
        R_NONNEG,   /* >= 0; a negative value means "not set" */
        R_SHARE,    /* 0..1 */
        R_PERCENT,  /* 0..100 */
        R_UNIT,     /* -1..1 */
        R_DATABASE, /* >= -1 */
} range_t;

typedef struct ctx ctx_t;
typedef struct cfg_entry cfg_entry_t;

/* A map of name -> struct: services, accounts. */
typedef struct catalog {
        const cfg_entry_t *tbl;
        size_t n;
        size_t size;     /* of one element */
        size_t name_off; /* char * of the element: its key in the map */
        void (*init)(void *elem);
        int (*check)(ctx_t *c, yaml_node_t *map); /* after the whole map */
} catalog_t;

struct cfg_entry {
        const char *name; /* dotted, relative to the table's struct */
        value_type_t type;
        size_t off;      /* into the table's struct */
        size_t cnt_off;  /* T_STRLIST, T_PROPS, T_CATALOG */
        const char *def; /* YAML text; NULL = set elsewhere, or none */
        range_t range;
        const catalog_t *catalog;
        bool secret; /* printed masked */
        int (*parse)(ctx_t *c, void *base, yaml_node_t *v, const char *key);
        void (*print)(const void *base, FILE *fp, int indent, const char *leaf);
};

struct ctx {
        config_t *conf;
        yaml_document_t *doc;
        const char *file;
        const char *basedir; /* directory of the file; NULL = the cwd */
        char *schemas_dir;   /* as written; resolved after the walk */
        char *password_file; /* idem */
        char *errstr;
        size_t errstr_size;
};

__attribute__((format(printf, 4, 5))) static int
fail(ctx_t *c, int line, const char *key, const char *fmt, ...) {
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

static int oom(ctx_t *c) {
        return fail(c, 0, NULL, "out of memory");
}

/* ---- libyaml document helpers ---- */

static int line_of(const yaml_node_t *n) {
        return n ? (int)n->start_mark.line + 1 : 0;
}

static const char *sval(const yaml_node_t *n) {
        return (const char *)n->data.scalar.value;
}

static size_t npairs(const yaml_node_t *m) {
        return (size_t)(m->data.mapping.pairs.top -
                        m->data.mapping.pairs.start);
}

static void pair_at(ctx_t *c, const yaml_node_t *m, size_t i, yaml_node_t **k,
                    yaml_node_t **v) {
        yaml_node_pair_t *p = m->data.mapping.pairs.start + i;

        *k = yaml_document_get_node(c->doc, p->key);
        *v = yaml_document_get_node(c->doc, p->value);
}

static yaml_node_t *item_at(ctx_t *c, const yaml_node_t *s, size_t i) {
        return yaml_document_get_node(c->doc, s->data.sequence.items.start[i]);
}

/* "key:" alone, "~" or "null" */
static bool is_null(const yaml_node_t *v) {
        return v->type == YAML_SCALAR_NODE &&
               v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
               (!*sval(v) || !strcmp(sval(v), "~") ||
                !strcasecmp(sval(v), "null"));
}

/* Checks that `v` is a mapping (or a list) and returns how many children it
 * has; null counts as empty.  Mapping keys must be unique scalars. */
static int children(ctx_t *c, yaml_node_t *v, yaml_node_type_t want,
                    const char *key) {
        yaml_node_t *k, *k2, *x;

        if (is_null(v))
                return 0;
        if (v->type != want)
                return fail(c, line_of(v), key, "expected a %s",
                            want == YAML_MAPPING_NODE ? "mapping" : "list");
        if (want == YAML_SEQUENCE_NODE)
                return (int)(v->data.sequence.items.top -
                             v->data.sequence.items.start);
        for (size_t i = 0; i < npairs(v); i++) {
                pair_at(c, v, i, &k, &x);
                if (k->type != YAML_SCALAR_NODE)
                        return fail(c, line_of(k), key,
                                    "mapping keys must be scalars");
                for (size_t j = 0; j < i; j++) {
                        pair_at(c, v, j, &k2, &x);
                        if (!strcmp(sval(k), sval(k2)))
                                return fail(c, line_of(k), key,
                                            "duplicate key '%s' (first at "
                                            "line %d)",
                                            sval(k), line_of(k2));
                }
        }
        return (int)npairs(v);
}

/* The line of the key at `dotted` in the file; 0 when it is not there. */
static int key_line(ctx_t *c, const char *dotted) {
        yaml_node_t *n = yaml_document_get_root_node(c->doc), *k, *v;
        int line = 0;

        while (n && *dotted) {
                size_t len = strcspn(dotted, ".");
                yaml_node_t *next = NULL;

                for (size_t i = 0;
                     n->type == YAML_MAPPING_NODE && i < npairs(n) && !next;
                     i++) {
                        pair_at(c, n, i, &k, &v);
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
                return fail(c, line, prefix, "key '%.40s...' is too long", k);
        return 0;
}

/* ---- ${VAR} interpolation ---- */

static int append(char **out, size_t *len, const char *s, size_t n) {
        char *p = realloc(*out, *len + n + 1);

        if (!p)
                return -1;
        memcpy(p + *len, s, n);
        *len += n;
        p[*len] = '\0';
        *out = p;
        return 0;
}

static bool valid_var_name(const char *s, size_t n) {
        if (n == 0 || n > 255 || isdigit((unsigned char)s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '_')
                        return false;
        return true;
}

char *config_interpolate(const char *in, char *errstr, size_t errstr_size) {
        char *out = NULL, name[256];
        const char *p = in, *end, *sep, *val;
        size_t len = 0, n;

        if (append(&out, &len, "", 0))
                goto nomem;
        while (*p) {
                if (p[0] != '$' || (p[1] != '$' && p[1] != '{')) {
                        n = strcspn(p + 1, "$") + 1; /* literal text */
                        if (append(&out, &len, p, n))
                                goto nomem;
                        p += n;
                        continue;
                }
                if (p[1] == '$') { /* "$$" -> "$" */
                        if (append(&out, &len, "$", 1))
                                goto nomem;
                        p += 2;
                        continue;
                }
                if (!(end = strchr(p + 2, '}'))) {
                        snprintf(errstr, errstr_size, "unterminated ${");
                        goto fail;
                }
                if ((sep = strstr(p + 2, ":-")) && sep > end)
                        sep = NULL;
                n = (size_t)((sep ? sep : end) - (p + 2));
                if (!valid_var_name(p + 2, n)) {
                        snprintf(errstr, errstr_size,
                                 "invalid variable name '%.*s'", (int)n, p + 2);
                        goto fail;
                }
                memcpy(name, p + 2, n);
                name[n] = '\0';
                val = getenv(name);
                if (sep && (!val || !*val)) { /* as the shell's ${VAR:-x} */
                        val = sep + 2;
                        n = (size_t)(end - val);
                } else if (!val) {
                        snprintf(errstr, errstr_size, "variable %s is not set",
                                 name);
                        goto fail;
                } else {
                        n = strlen(val);
                }
                if (append(&out, &len, val, n))
                        goto nomem;
                p = end + 1;
        }
        return out;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
fail:
        free(out);
        return NULL;
}

/* ---- scalar values ---- */

/* The value of scalar `v`, ${VAR}-expanded and malloc'd; NULL on error. */
static char *scalar(ctx_t *c, yaml_node_t *v, const char *key) {
        char err[300], *s = NULL;

        if (v->type != YAML_SCALAR_NODE)
                fail(c, line_of(v), key, "expected a value, got a %s",
                     v->type == YAML_MAPPING_NODE ? "mapping" : "list");
        else if (strlen(sval(v)) != v->data.scalar.length)
                fail(c, line_of(v), key, "contains a NUL byte");
        else if (is_null(v) && !(s = strdup("")))
                oom(c);
        else if (!s && !(s = config_interpolate(sval(v), err, sizeof(err))))
                fail(c, line_of(v), key, "%s", err);
        return s;
}

static int parse_int(const char *s, int64_t *out) {
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
        };
        bool ok = r == R_ANY || r == R_NONEMPTY || (r == R_POS && d > 0) ||
                  (r == R_NONNEG && d >= 0) ||
                  (r == R_SHARE && d >= 0 && d <= 1) ||
                  (r == R_PERCENT && d >= 0 && d <= 100) ||
                  (r == R_UNIT && d >= -1 && d <= 1) ||
                  (r == R_DATABASE && d >= -1);

        return ok ? 0 : fail(c, line, key, "%s, got '%s'", rule[r], s);
}

static int set_string(ctx_t *c, const cfg_entry_t *e, char **dst, const char *s,
                      const char *key, int line) {
        log_level_t lvl;
        char *dup = NULL;

        if (e->type == T_LOGLEVEL && log_level_parse(s, &lvl))
                return fail(c, line, key,
                            "expected debug, info, warn or error, got '%s'", s);
        if (e->range == R_NONEMPTY && !*s)
                return fail(c, line, key, "must not be empty");
        if ((*s || e->def) && !(dup = strdup(s)))
                return oom(c);
        free(*dst);
        *dst = dup;
        return 0;
}

/* Parses `s` as the type of `e` into `base` + e->off, checking its range. */
static int set_value(ctx_t *c, const cfg_entry_t *e, void *base, const char *s,
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
                        return fail(c, line, key,
                                    "expected true or false, got '%s'", s);
                *(bool *)p = x % 2;
                return 0;
        case T_FORMAT:
                if ((x = parse_enum(formats, ARRAY_SIZE(formats), s)) < 0)
                        return fail(c, line, key,
                                    "expected avro or json, got '%s'", s);
                *(wire_format_t *)p = x ? FORMAT_JSON : FORMAT_AVRO;
                return 0;
        case T_TIER:
                if (customer_tier_parse(s, (customer_tier_t *)p))
                        return fail(c, line, key,
                                    "expected FREE, PRO, BUSINESS or "
                                    "ENTERPRISE, got '%s'",
                                    s);
                return 0;
        case T_DOUBLE:
        case T_MS_FROM_S:
                expected = "a number";
                x = parse_double(s, &d);
                if (e->type == T_MS_FROM_S) /* range-check what is stored */
                        d = round(d * 1000);
                break;
        case T_SIZE:
                expected = "a size in bytes (e.g. 1048576 or 1mb)";
                x = parse_size(s, &i);
                d = (double)i;
                break;
        default:
                x = parse_int(s, &i);
                d = (double)i;
                break;
        }
        if (x)
                return fail(c, line, key, "expected %s, got '%s'", expected, s);
        if (check_range(c, e->range, d, s, key, line))
                return -1;
        if ((e->type == T_INT && (i < INT_MIN || i > INT_MAX)) ||
            (e->type == T_SCHEMA_ID && i > INT32_MAX) ||
            (e->type == T_MS_FROM_S && d > 9e18))
                return fail(c, line, key, "out of range, got '%s'", s);
        switch (e->type) {
        case T_INT: *(int *)p = (int)i; break;
        case T_SCHEMA_ID: *(int32_t *)p = (int32_t)i; break;
        case T_INT64: *(int64_t *)p = i; break;
        case T_SIZE: *(size_t *)p = (size_t)i; break;
        case T_DOUBLE: *(double *)p = d; break;
        case T_MS_FROM_S: *(int64_t *)p = (int64_t)d; break;
        default: break;
        }
        return 0;
}

static int set_node(ctx_t *c, const cfg_entry_t *e, void *base, yaml_node_t *v,
                    const char *key) {
        char *s = scalar(c, v, key);
        int rc = s ? set_value(c, e, base, s, key, line_of(v)) : -1;

        free(s);
        return rc;
}

/* ---- lists, property maps, catalogs ---- */

#define AT(base, off, type) ((type *)((char *)(base) + (off)))

static int parse_table(ctx_t *c, const cfg_entry_t *tbl, size_t n, void *base,
                       size_t skip, yaml_node_t *map, const char *prefix);

static int parse_strlist(ctx_t *c, const cfg_entry_t *e, void *base,
                         yaml_node_t *v, const char *key) {
        char ***list = AT(base, e->off, char **);
        size_t *cnt = AT(base, e->cnt_off, size_t);
        int n = children(c, v, YAML_SEQUENCE_NODE, key);

        if (n <= 0)
                return n;
        if (!(*list = calloc((size_t)n, sizeof(char *))))
                return oom(c);
        for (; *cnt < (size_t)n; (*cnt)++)
                if (!((*list)[*cnt] = scalar(c, item_at(c, v, *cnt), key)))
                        return -1;
        return 0;
}

/* librdkafka properties: names and values passed through untouched. */
static int parse_props(ctx_t *c, const cfg_entry_t *e, void *base,
                       yaml_node_t *v, const char *key) {
        config_prop_t **props = AT(base, e->off, config_prop_t *);
        size_t *cnt = AT(base, e->cnt_off, size_t);
        int n = children(c, v, YAML_MAPPING_NODE, key);
        char sub[KEY_MAX];
        yaml_node_t *k, *val;

        if (n <= 0)
                return n;
        if (!(*props = calloc((size_t)n, sizeof(**props))))
                return oom(c);
        for (config_prop_t *p = *props; *cnt < (size_t)n; p++) {
                pair_at(c, v, (*cnt)++, &k, &val);
                if (join_key(c, sub, key, sval(k), line_of(k)))
                        return -1;
                if (!(p->name = strdup(sval(k))))
                        return oom(c);
                if (!(p->value = scalar(c, val, sub)))
                        return -1;
        }
        return 0;
}

static int parse_catalog(ctx_t *c, const cfg_entry_t *e, void *base,
                         yaml_node_t *v, const char *key) {
        const catalog_t *cat = e->catalog;
        char **arr = AT(base, e->off, char *), sub[KEY_MAX];
        size_t *cnt = AT(base, e->cnt_off, size_t);
        int n = children(c, v, YAML_MAPPING_NODE, key);
        yaml_node_t *k, *val;

        if (n <= 0)
                return n;
        if (!(*arr = calloc((size_t)n, cat->size)))
                return oom(c);
        while (*cnt < (size_t)n) {
                char *elem = *arr + *cnt * cat->size;

                if (cat->init)
                        cat->init(elem);
                pair_at(c, v, (*cnt)++, &k, &val);
                if (!(*AT(elem, cat->name_off, char *) = strdup(sval(k))))
                        return oom(c);
                if (join_key(c, sub, key, sval(k), line_of(k)) ||
                    parse_table(c, cat->tbl, cat->n, elem, strlen(sub) + 1, val,
                                sub))
                        return -1;
        }
        return cat->check ? cat->check(c, v) : 0;
}

static void free_table(const cfg_entry_t *tbl, size_t n, void *base) {
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
                        free_table(e->catalog->tbl, e->catalog->n, elem);
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
        case T_LOADSTR: return set_node(c, e, c, v, key);
        default: return set_node(c, e, base, v, key);
        }
}

/* `skip` chars of a key as displayed ("services.payments.") are not part of
 * the names in `tbl`. */
static int parse_table(ctx_t *c, const cfg_entry_t *tbl, size_t n, void *base,
                       size_t skip, yaml_node_t *map, const char *prefix) {
        int cnt = children(c, map, YAML_MAPPING_NODE, prefix);
        char key[KEY_MAX];
        yaml_node_t *k, *v;

        for (int i = 0; i < cnt; i++) {
                const cfg_entry_t *e = NULL;
                bool group = false;
                size_t len;

                pair_at(c, map, (size_t)i, &k, &v);
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
                    : group ? parse_table(c, tbl, n, base, skip, v, key)
                            : fail(c, line_of(k), prefix, "unknown key '%s'",
                                   sval(k)))
                        return -1;
        }
        return cnt < 0 ? -1 : 0;
}

/* ---- sections with their own rules ---- */

static void free_schemas(config_t *conf) {
        for (size_t i = 0; i < conf->schemas.cnt; i++)
                free(conf->schemas.entries[i].path);
        free(conf->schemas.entries);
        conf->schemas.entries = NULL;
        conf->schemas.cnt = 0;
}

/* Replaces the defaults: the ids listed are all the ids that can be read. */
static int parse_schema_ids(ctx_t *c, void *base, yaml_node_t *v,
                            const char *key) {
        config_t *conf = base;
        int n = children(c, v, YAML_MAPPING_NODE, key);
        yaml_node_t *k, *file;
        int64_t id;

        free_schemas(conf);
        if (n > 0 && !(conf->schemas.entries =
                               calloc((size_t)n, sizeof(config_schema_t))))
                return oom(c);
        for (int i = 0; i < n; i++) {
                config_schema_t *e = &conf->schemas.entries[i];

                pair_at(c, v, (size_t)i, &k, &file);
                if (parse_int(sval(k), &id) || id <= 0 || id > INT32_MAX)
                        return fail(c, line_of(k), key,
                                    "schema id must be a positive integer, "
                                    "got '%s'",
                                    sval(k));
                if (config_schema_path(conf, (int32_t)id))
                        return fail(c, line_of(k), key,
                                    "duplicate schema id %" PRId64, id);
                e->id = (int32_t)id;
                if (!(e->path = scalar(c, file, key)))
                        return -1;
                conf->schemas.cnt++;
                if (!*e->path)
                        return fail(c, line_of(file), key,
                                    "schema %" PRId64 ": empty file name", id);
        }
        return n < 0 ? -1 : 0;
}

static int parse_thresholds(ctx_t *c, void *base, yaml_node_t *v,
                            const char *key) {
        static const cfg_entry_t score = {.type = T_DOUBLE, .range = R_PERCENT};
        double *t = ((config_t *)base)->scoring.level_thresholds;
        int n = children(c, v, YAML_SEQUENCE_NODE, key);

        if (n >= 0 && n != 4)
                return fail(c, line_of(v), key,
                            "expected 4 scores (levels 1 to 4), got %d", n);
        for (int i = 0; i < n; i++) {
                yaml_node_t *item = item_at(c, v, (size_t)i);

                if (set_node(c, &score, &t[i], item, key))
                        return -1;
                if (i > 0 && t[i] >= t[i - 1])
                        return fail(c, line_of(item), key,
                                    "must be strictly descending, got %g "
                                    "after %g",
                                    t[i], t[i - 1]);
        }
        return n < 0 ? -1 : 0;
}

static size_t service_index(const config_t *conf, const char *name) {
        for (size_t i = 0; i < conf->services_cnt; i++)
                if (!strcmp(conf->services[i].name, name))
                        return i;
        return SIZE_MAX;
}

/* Reports `msg` at depends_on[j] of the i-th service of the catalog `map`. */
static int dep_error(ctx_t *c, yaml_node_t *map, size_t i, size_t j,
                     const char *msg) {
        yaml_node_t *k, *v, *dk, *dv;
        char key[KEY_MAX];
        int line = 0;

        pair_at(c, map, i, &k, &v);
        for (size_t p = 0; v->type == YAML_MAPPING_NODE && p < npairs(v); p++) {
                pair_at(c, v, p, &dk, &dv);
                if (!strcmp(sval(dk), "depends_on") &&
                    dv->type == YAML_SEQUENCE_NODE)
                        line = line_of(item_at(c, dv, j));
        }
        snprintf(key, sizeof(key), "services.%.400s.depends_on", sval(k));
        return fail(c, line, key, "%s", msg);
}

/* Depth-first; a dependency on a service still on the path closes a cycle,
 * reported as "a -> b -> a".  Every service is entered once: no loops. */
static int visit(ctx_t *c, yaml_node_t *map, size_t i, unsigned char *state,
                 size_t *path, size_t depth) {
        const config_service_t *svc = c->conf->services;
        char msg[1024];
        size_t d, p = 0;
        int len;

        state[i] = 1; /* on the path */
        path[depth] = i;
        for (size_t j = 0; j < svc[i].depends_on_cnt; j++) {
                if ((d = service_index(c->conf, svc[i].depends_on[j])) ==
                    SIZE_MAX) {
                        snprintf(msg, sizeof(msg),
                                 "service '%.400s' depends on unknown service "
                                 "'%.400s'",
                                 svc[i].name, svc[i].depends_on[j]);
                        return dep_error(c, map, i, j, msg);
                }
                if (state[d] == 0 && visit(c, map, d, state, path, depth + 1))
                        return -1;
                if (state[d] != 1)
                        continue;
                len = snprintf(msg, sizeof(msg), "dependency cycle: ");
                for (p = 0; path[p] != d; p++)
                        ;
                for (; p <= depth && len < (int)sizeof(msg); p++)
                        len += snprintf(msg + len, sizeof(msg) - (size_t)len,
                                        "%s -> ", svc[path[p]].name);
                if (len < (int)sizeof(msg))
                        snprintf(msg + len, sizeof(msg) - (size_t)len, "%s",
                                 svc[d].name);
                return dep_error(c, map, i, j, msg);
        }
        state[i] = 2; /* done */
        return 0;
}

static int check_services(ctx_t *c, yaml_node_t *map) {
        size_t n = c->conf->services_cnt, *path = calloc(n, sizeof(*path));
        unsigned char *state = calloc(n, 1);
        int rc = (!state || !path) ? oom(c) : 0;

        for (size_t i = 0; i < n && !rc; i++)
                if (!state[i])
                        rc = visit(c, map, i, state, path, 0);
        free(state);
        free(path);
        return rc;
}

static void init_account(void *elem) {
        ((config_account_t *)elem)->tier = TIER_NONE;
        ((config_account_t *)elem)->arr = -1;
}

/* ---- printing ---- */

/* Double-quoted YAML; "$" doubled so that loading the output again does not
 * interpolate. */
static void print_str(FILE *fp, const char *s, bool value) {
        fputc('"', fp);
        for (; s && *s; s++) {
                unsigned char ch = (unsigned char)*s;

                if (ch == '"' || ch == '\\')
                        fprintf(fp, "\\%c", ch);
                else if (ch < 0x20 || ch == 0x7f)
                        fprintf(fp, "\\x%02x", ch);
                else if (ch == '$' && value)
                        fputs("$$", fp);
                else
                        fputc(ch, fp);
        }
        fputc('"', fp);
}

static void print_key(FILE *fp, int indent, const char *k) {
        bool plain = isalnum((unsigned char)*k) || *k == '_';

        for (const char *p = k; plain && *p; p++)
                plain = isalnum((unsigned char)*p) || strchr("_.-/", *p);
        fprintf(fp, "%*s", indent, "");
        if (plain)
                fputs(k, fp);
        else
                print_str(fp, k, false);
        fputc(':', fp);
}

static void print_double(FILE *fp, double d) {
        char buf[40];

        snprintf(buf, sizeof(buf), "%.15g", d);
        if (strtod(buf, NULL) != d)
                snprintf(buf, sizeof(buf), "%.17g", d);
        fputs(buf, fp);
}

static bool is_secret_prop(const char *name) {
        static const char *words[] = {"password", "secret", "sasl.jaas",
                                      "ssl.key.pem"};

        for (const char *p = name; *p; p++)
                for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                        if (!strncasecmp(p, words[i], strlen(words[i])))
                                return true;
        return false;
}

static void print_table(FILE *fp, const cfg_entry_t *tbl, size_t n,
                        const void *base, int indent);

/* A value of a list, property map or catalog: "x: value\n" and children. */
static void print_container(FILE *fp, const cfg_entry_t *e, const void *base,
                            int indent) {
        const void *arr = *AT(base, e->off, void *const);
        size_t cnt = *AT(base, e->cnt_off, const size_t);

        if (e->type == T_STRLIST) {
                fputs(" [", fp);
                for (size_t i = 0; i < cnt; i++) {
                        print_str(fp, ((char *const *)arr)[i], true);
                        fputs(i + 1 < cnt ? ", " : "", fp);
                }
        }
        fputs(e->type == T_STRLIST ? "]\n" : cnt ? "\n" : " {}\n", fp);
        for (size_t i = 0; i < cnt && e->type == T_PROPS; i++) {
                const config_prop_t *p = &((const config_prop_t *)arr)[i];

                print_key(fp, indent + 2, p->name);
                fputc(' ', fp);
                print_str(fp, is_secret_prop(p->name) ? SECRET_MASK : p->value,
                          true);
                fputc('\n', fp);
        }
        for (size_t i = 0; i < cnt && e->type == T_CATALOG; i++) {
                const char *elem = (const char *)arr + i * e->catalog->size;

                print_key(fp, indent + 2,
                          *AT(elem, e->catalog->name_off, char *const));
                fputc('\n', fp);
                print_table(fp, e->catalog->tbl, e->catalog->n, elem,
                            indent + 4);
        }
}

/* Prints "key: value" unless the value is "not set" (NULL, TIER_NONE, a
 * negative value where only >= 0 is valid). */
static void print_value(FILE *fp, const cfg_entry_t *e, const void *base,
                        int indent, const char *leaf) {
        const void *p = (const char *)base + e->off;

        if (((e->type == T_STRING || e->type == T_LOGLEVEL) &&
             !*(char *const *)p) ||
            (e->type == T_TIER && *(const customer_tier_t *)p == TIER_NONE) ||
            (e->type == T_DOUBLE && e->range == R_NONNEG &&
             *(const double *)p < 0))
                return;
        print_key(fp, indent, leaf);
        if (e->type < T_STRLIST)
                fputc(' ', fp);
        switch (e->type) {
        case T_STRING:
        case T_LOGLEVEL:
                print_str(fp, e->secret ? SECRET_MASK : *(char *const *)p,
                          true);
                break;
        case T_INT: fprintf(fp, "%d", *(const int *)p); break;
        case T_SCHEMA_ID: fprintf(fp, "%" PRId32, *(const int32_t *)p); break;
        case T_INT64: fprintf(fp, "%" PRId64, *(const int64_t *)p); break;
        case T_SIZE: fprintf(fp, "%zu", *(const size_t *)p); break;
        case T_DOUBLE: print_double(fp, *(const double *)p); break;
        case T_MS_FROM_S:
                print_double(fp, (double)*(const int64_t *)p / 1000);
                break;
        case T_BOOL: fputs(*(const bool *)p ? "true" : "false", fp); break;
        case T_FORMAT:
                fputs(*(const wire_format_t *)p ? "json" : "avro", fp);
                break;
        case T_TIER:
                fputs(customer_tier_name(*(const customer_tier_t *)p), fp);
                break;
        default: print_container(fp, e, base, indent); return;
        }
        fputc('\n', fp);
}

/* Entries in table order; a dotted name opens the mappings that the
 * previous entry has not opened. */
static void print_table(FILE *fp, const cfg_entry_t *tbl, size_t n,
                        const void *base, int indent) {
        const char *prev = "", *leaf, *dot;

        for (const cfg_entry_t *e = tbl; e < tbl + n; prev = e->name, e++) {
                bool same = true;
                int depth = 0;

                for (leaf = e->name; (dot = strchr(leaf, '.')); depth++) {
                        size_t len = (size_t)(dot - leaf);

                        same = same && !strncmp(prev, leaf, len) &&
                               prev[len] == '.';
                        if (same)
                                prev += len + 1;
                        else
                                fprintf(fp, "%*s%.*s:\n", indent + depth * 2,
                                        "", (int)len, leaf);
                        leaf = dot + 1;
                }
                if (e->print)
                        e->print(base, fp, indent + depth * 2, leaf);
                else if (e->type != T_SPECIAL && e->type != T_LOADSTR)
                        print_value(fp, e, base, indent + depth * 2, leaf);
        }
}

/* redis://user:secret@host -> redis://user:*****@host */
static void print_url(const void *base, FILE *fp, int indent,
                      const char *leaf) {
        const char *url = ((const config_t *)base)->redis.url,
                   *auth = strstr(url, "://");
        const char *at = NULL, *colon = NULL;
        char *masked = NULL;

        for (const char *p = auth ? auth + 3 : ""; *p && *p != '/'; p++)
                if (*p == '@')
                        at = p;
        if (at)
                colon = memchr(auth + 3, ':', (size_t)(at - auth - 3));
        if (colon && colon + 1 < at &&
            (masked = malloc(strlen(url) + sizeof(SECRET_MASK)))) {
                memcpy(masked, url, (size_t)(colon + 1 - url));
                strcpy(masked + (colon + 1 - url), SECRET_MASK);
                strcat(masked, at);
        }
        print_key(fp, indent, leaf);
        fputc(' ', fp);
        print_str(fp, masked ? masked : url, true);
        fputc('\n', fp);
        free(masked);
}

static void print_schema_ids(const void *base, FILE *fp, int indent,
                             const char *leaf) {
        const config_t *conf = base;

        fprintf(fp, "%*s%s:%s\n", indent, "", leaf,
                conf->schemas.cnt ? "" : " {}");
        for (size_t i = 0; i < conf->schemas.cnt; i++) {
                fprintf(fp, "%*s%" PRId32 ": ", indent + 2, "",
                        conf->schemas.entries[i].id);
                print_str(fp, conf->schemas.entries[i].path, true);
                fputc('\n', fp);
        }
}

static void print_thresholds(const void *base, FILE *fp, int indent,
                             const char *leaf) {
        const double *t = ((const config_t *)base)->scoring.level_thresholds;

        fprintf(fp, "%*s%s: [", indent, "", leaf);
        for (int i = 0; i < 4; i++) {
                print_double(fp, t[i]);
                fputs(i < 3 ? ", " : "]\n", fp);
        }
}

/* ---- the tables ---- */

#define VAL(nm, ty, st, field, dflt, rng)                                      \
        { nm, ty, offsetof(st, field), 0, dflt, rng, NULL, false, NULL, NULL }
#define LIST(nm, ty, st, field, cnt, cat)                                      \
        {                                                                      \
                nm, ty, offsetof(st, field), offsetof(st, cnt), NULL, R_ANY,   \
                        cat, false, NULL, NULL                                 \
        }
#define E(nm, ty, field, dflt, rng) VAL(nm, ty, config_t, field, dflt, rng)
#define SC(nm, ty, field, rng)                                                 \
        VAL("scoring." nm, ty, config_t, scoring.field, NULL, rng)
#define SPECIAL(nm, parse_fn, print_fn, dflt)                                  \
        { nm, T_SPECIAL, 0, 0, dflt, R_ANY, NULL, false, parse_fn, print_fn }
#define LOADSTR(nm, field, dflt)                                               \
        {                                                                      \
                nm, T_LOADSTR, offsetof(ctx_t, field), 0, dflt, R_NONEMPTY,    \
                        NULL, false, NULL, NULL                                \
        }
#define TOPIC(r, R)                                                            \
        E("kafka.topics." #r, T_STRING, kafka.topics[TOPIC_##R], "impact." #r, \
          R_NONEMPTY)
#define FORMAT(r, R)                                                           \
        E("kafka.output_format." #r, T_FORMAT, kafka.output_format[TOPIC_##R], \
          "avro", R_ANY)
#define WRITER(r, R, id)                                                       \
        E("schemas.writer." #r, T_SCHEMA_ID, schemas.writer_id[TOPIC_##R], id, \
          R_NONNEG)

static const cfg_entry_t service_keys[] = {
        VAL("users", T_INT64, config_service_t, users, NULL, R_NONNEG),
        VAL("team", T_STRING, config_service_t, team, NULL, R_ANY),
        LIST("depends_on", T_STRLIST, config_service_t, depends_on,
             depends_on_cnt, NULL),
};

static const cfg_entry_t account_keys[] = {
        VAL("tier", T_TIER, config_account_t, tier, NULL, R_ANY),
        VAL("arr", T_DOUBLE, config_account_t, arr, NULL, R_NONNEG),
        VAL("strategic", T_BOOL, config_account_t, strategic, NULL, R_ANY),
        VAL("sla", T_STRING, config_account_t, sla, NULL, R_ANY),
};

static const catalog_t services = {service_keys,
                                   ARRAY_SIZE(service_keys),
                                   sizeof(config_service_t),
                                   offsetof(config_service_t, name),
                                   NULL,
                                   check_services};
static const catalog_t accounts = {account_keys,
                                   ARRAY_SIZE(account_keys),
                                   sizeof(config_account_t),
                                   offsetof(config_account_t, id),
                                   init_account,
                                   NULL};

static const cfg_entry_t config_keys[] = {
        E("kafka.brokers", T_STRING, kafka.brokers, "", R_ANY),
        E("kafka.group_id", T_STRING, kafka.group_id, "impactd", R_NONEMPTY),
        E("kafka.client_id", T_STRING, kafka.client_id, "impactd", R_NONEMPTY),
        TOPIC(alerts, ALERTS),
        TOPIC(tickets, TICKETS),
        TOPIC(sentiment, SENTIMENT),
        TOPIC(scored, SCORED),
        TOPIC(escalations, ESCALATIONS),
        TOPIC(notifications, NOTIFICATIONS),
        TOPIC(dlq, DLQ),
        FORMAT(scored, SCORED),
        FORMAT(escalations, ESCALATIONS),
        FORMAT(notifications, NOTIFICATIONS),
        E("kafka.embedded.brokers", T_INT, kafka.embedded_brokers, "1", R_POS),
        E("kafka.embedded.partitions", T_INT, kafka.embedded_partitions, "4",
          R_POS),
        E("kafka.batch.max_messages", T_INT, kafka.batch_max_messages, "5000",
          R_POS),
        E("kafka.batch.max_wait_ms", T_INT, kafka.batch_max_wait_ms, "20",
          R_NONNEG),
        E("kafka.delivery_timeout_ms", T_INT, kafka.delivery_timeout_ms,
          "30000", R_POS),
        LIST("kafka.consumer", T_PROPS, config_t, kafka.consumer_props,
             kafka.consumer_props_cnt, NULL),
        LIST("kafka.producer", T_PROPS, config_t, kafka.producer_props,
             kafka.producer_props_cnt, NULL),
        {"redis.url", T_STRING, offsetof(config_t, redis.url), 0,
         "redis://127.0.0.1:6379/0", R_NONEMPTY, NULL, false, NULL, print_url},
        {"redis.password", T_STRING, offsetof(config_t, redis.password), 0,
         NULL, R_ANY, NULL, true, NULL, NULL},
        LOADSTR("redis.password_file", password_file, NULL),
        E("redis.database", T_INT, redis.database, "-1", R_DATABASE),
        E("redis.connect_timeout_ms", T_INT, redis.connect_timeout_ms, "2000",
          R_POS),
        E("redis.command_timeout_ms", T_INT, redis.command_timeout_ms, "5000",
          R_POS),
        E("redis.key_prefix", T_STRING, redis.key_prefix, "impact", R_NONEMPTY),
        E("redis.pending_ttl_s", T_INT64, redis.pending_ttl_s, "3600", R_POS),
        E("redis.incident_ttl_s", T_INT64, redis.incident_ttl_s, "604800",
          R_POS),
        LOADSTR("schemas.dir", schemas_dir, "../schemas"),
        SPECIAL("schemas.ids", parse_schema_ids, print_schema_ids,
                "{1: alert.avsc, 2: ticket.avsc, 3: sentiment.avsc, "
                "4: scored.avsc, 5: escalation.avsc, 6: notification.avsc}"),
        WRITER(alerts, ALERTS, "1"),
        WRITER(tickets, TICKETS, "2"),
        WRITER(sentiment, SENTIMENT, "3"),
        WRITER(scored, SCORED, "4"),
        WRITER(escalations, ESCALATIONS, "5"),
        WRITER(notifications, NOTIFICATIONS, "6"),
        E("limits.max_message_bytes", T_SIZE, limits.max_message_bytes,
          "1048576", R_POS),
        E("limits.max_string_bytes", T_SIZE, limits.max_string_bytes, "1024",
          R_POS),
        /* scoring defaults come from score_config_defaults() */
        SC("weights.user_volume", T_DOUBLE, weights[DIM_USERS], R_NONNEG),
        SC("weights.revenue", T_DOUBLE, weights[DIM_REVENUE], R_NONNEG),
        SC("weights.slo_burn", T_DOUBLE, weights[DIM_SLO], R_NONNEG),
        SC("weights.blast_radius", T_DOUBLE, weights[DIM_BLAST_RADIUS],
           R_NONNEG),
        SC("weights.customer_tier", T_DOUBLE, weights[DIM_TIER], R_NONNEG),
        SC("weights.duration", T_DOUBLE, weights[DIM_DURATION], R_NONNEG),
        SPECIAL("scoring.level_thresholds", parse_thresholds, print_thresholds,
                NULL),
        SC("disruption_weights.outage", T_DOUBLE,
           disruption_weights[DISRUPTION_OUTAGE], R_SHARE),
        SC("disruption_weights.degraded", T_DOUBLE,
           disruption_weights[DISRUPTION_DEGRADED], R_SHARE),
        SC("disruption_weights.latency", T_DOUBLE,
           disruption_weights[DISRUPTION_LATENCY], R_SHARE),
        SC("users_full_scale", T_DOUBLE, users_full_scale, R_POS),
        SC("revenue_full_scale", T_DOUBLE, revenue_full_scale, R_POS),
        SC("revenue_min_hours", T_DOUBLE, revenue_min_hours, R_NONNEG),
        SC("slo_fast_burn", T_DOUBLE, slo_fast_burn, R_POS),
        SC("duration_full_scale_minutes", T_DOUBLE, duration_full_scale_min,
           R_POS),
        SC("tier_scores.free", T_DOUBLE, tier_scores[TIER_FREE], R_PERCENT),
        SC("tier_scores.pro", T_DOUBLE, tier_scores[TIER_PRO], R_PERCENT),
        SC("tier_scores.business", T_DOUBLE, tier_scores[TIER_BUSINESS],
           R_PERCENT),
        SC("tier_scores.enterprise", T_DOUBLE, tier_scores[TIER_ENTERPRISE],
           R_PERCENT),
        SC("class_partial_below", T_DOUBLE, class_partial_below, R_SHARE),
        SC("class_complete_above", T_DOUBLE, class_complete_above, R_SHARE),
        SC("sentiment.negative_below", T_DOUBLE, sentiment_negative_below,
           R_UNIT),
        SC("sentiment.max_lift", T_DOUBLE, sentiment_max_lift, R_PERCENT),
        SC("sentiment.min_events", T_INT64, sentiment_min_events, R_POS),
        SC("confidence.high", T_DOUBLE, confidence_high, R_SHARE),
        SC("confidence.medium", T_DOUBLE, confidence_medium, R_SHARE),
        SC("trend.window_s", T_MS_FROM_S, trend_window_ms, R_POS),
        SC("trend.ratio", T_DOUBLE, trend_ratio, R_NONNEG),
        SC("severity_mismatch_levels", T_INT, severity_mismatch_levels, R_POS),
        LIST("services", T_CATALOG, config_t, services, services_cnt,
             &services),
        LIST("accounts", T_CATALOG, config_t, accounts, accounts_cnt,
             &accounts),
        E("log.level", T_LOGLEVEL, log_level, "info", R_ANY),
};

/* ---- loading ---- */

/* A section's default is YAML text, parsed like the file. */
static int apply_special_default(ctx_t *c, const cfg_entry_t *e) {
        yaml_document_t doc, *file_doc = c->doc;
        yaml_parser_t parser;
        int rc = -1;

        if (!yaml_parser_initialize(&parser))
                return oom(c);
        yaml_parser_set_input_string(&parser, (const unsigned char *)e->def,
                                     strlen(e->def));
        if (yaml_parser_load(&parser, &doc)) {
                c->doc = &doc;
                rc = e->parse(c, c->conf, yaml_document_get_root_node(&doc),
                              e->name);
                c->doc = file_doc;
                yaml_document_delete(&doc);
        }
        yaml_parser_delete(&parser);
        return rc;
}

static int apply_defaults(ctx_t *c) {
        score_config_defaults(&c->conf->scoring);
        for (const cfg_entry_t *e = config_keys;
             e < config_keys + ARRAY_SIZE(config_keys); e++) {
                void *base = e->type == T_LOADSTR ? (void *)c : c->conf;

                if (e->def &&
                    (e->parse ? apply_special_default(c, e)
                              : set_value(c, e, base, e->def, e->name, 0)))
                        return -1;
        }
        return 0;
}

/* `file` against `dir`; an absolute `file` or an empty `dir` stays as is. */
static char *path_join(const char *dir, const char *file) {
        size_t n = (dir ? strlen(dir) : 0) + strlen(file) + 2;
        char *p;

        if (!dir || !*dir || *file == '/' || !*file)
                return strdup(*file || !dir ? file : dir);
        if ((p = malloc(n)))
                snprintf(p, n, "%s%s%s", dir,
                         dir[strlen(dir) - 1] == '/' ? "" : "/", file);
        return p;
}

/* Paths only: the codec opens the .avsc files when it needs them. */
static int resolve_schemas(ctx_t *c) {
        char *dir = path_join(c->basedir, c->schemas_dir), *real = NULL, *p;
        config_schema_t *e = c->conf->schemas.entries;
        int rc = -1;

        if (!dir)
                goto out;
        real = realpath(dir, NULL); /* absolute when the directory exists */
        for (size_t i = 0; i < c->conf->schemas.cnt; i++) {
                if (!(p = path_join(real ? real : dir, e[i].path)))
                        goto out;
                free(e[i].path);
                e[i].path = p;
        }
        rc = 0;
out:
        free(dir);
        free(real);
        return rc ? oom(c) : 0;
}

/* A secret from a file (e.g. a mounted Kubernetes secret): one line, its
 * newline stripped; the buffer is wiped afterwards. */
static int read_password_file(ctx_t *c) {
        const char *key = "redis.password_file";
        int line = key_line(c, key);
        char *path = path_join(c->basedir, c->password_file), buf[4096];
        FILE *fp = NULL;
        size_t n;
        int rc = -1;

        if (!path) {
                oom(c);
                goto out;
        }
        if (c->conf->redis.password) {
                fail(c, line, key,
                     "conflicts with redis.password: set only one");
                goto out;
        }
        if (!(fp = fopen(path, "r"))) {
                fail(c, line, key, "cannot read '%s': %s", path,
                     strerror(errno));
                goto out;
        }
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        buf[n] = '\0';
        n = strcspn(buf, "\r\n");
        if (ferror(fp) || !feof(fp) || n == 0 ||
            strspn(buf + n, "\r\n") != strlen(buf + n)) {
                fail(c, line, key,
                     "'%s' must hold one line of at most %zu bytes", path,
                     sizeof(buf) - 3);
                goto out;
        }
        buf[n] = '\0';
        if (!(c->conf->redis.password = strdup(buf)))
                oom(c);
        rc = c->conf->redis.password ? 0 : -1;
out:
        explicit_bzero(buf, sizeof(buf));
        if (fp)
                fclose(fp);
        free(path);
        return rc;
}

/* Rules that span keys; the lines are looked up in the file. */
static int validate(ctx_t *c) {
        const config_t *conf = c->conf;
        const score_config_t *s = &conf->scoring;
        char key[64];
        double sum = 0;
        int line;

        for (int i = 0; i < DIM_COUNT; i++)
                sum += s->weights[i];
        if (fabs(sum - 1.0) > 0.001)
                return fail(c, key_line(c, "scoring.weights"),
                            "scoring.weights", "must sum to 1.0, got %g", sum);
        if (s->class_partial_below > s->class_complete_above)
                return fail(c, key_line(c, "scoring.class_complete_above"),
                            "scoring.class_complete_above",
                            "must be >= class_partial_below (%g), got %g",
                            s->class_partial_below, s->class_complete_above);
        if (s->confidence_medium > s->confidence_high)
                return fail(c, key_line(c, "scoring.confidence.high"),
                            "scoring.confidence.high",
                            "must be >= confidence.medium (%g), got %g",
                            s->confidence_medium, s->confidence_high);
        /* The URL may hold a password: do not echo it. */
        if (strncmp(conf->redis.url, "redis://", 8) &&
            strncmp(conf->redis.url, "unix://", 7))
                return fail(c, key_line(c, "redis.url"), "redis.url",
                            "must start with redis:// or unix://");
        for (int t = 0; t < TOPIC_COUNT; t++) {
                const char *role = topic_role_name((topic_role_t)t);
                int32_t id = conf->schemas.writer_id[t];

                snprintf(key, sizeof(key), "kafka.topics.%s", role);
                for (int u = 0; u < t; u++)
                        if (!strcmp(conf->kafka.topics[u],
                                    conf->kafka.topics[t]))
                                return fail(c, key_line(c, key), key,
                                            "same topic as kafka.topics.%s",
                                            topic_role_name((topic_role_t)u));
                snprintf(key, sizeof(key), "schemas.writer.%s", role);
                if (!id || config_schema_path(conf, id))
                        continue;
                if (!(line = key_line(c, key))) /* the default writer id */
                        line = key_line(c, "schemas.ids");
                return fail(c, line, key,
                            "schema id %" PRId32 " is not in schemas.ids", id);
        }
        return 0;
}

static void syntax_error(ctx_t *c, const yaml_parser_t *p) {
        int line = (int)p->problem_mark.line + 1;

        if (p->error == YAML_MEMORY_ERROR)
                oom(c);
        else if (p->error == YAML_READER_ERROR)
                fail(c, 0, NULL, "%s at byte %zu", p->problem,
                     p->problem_offset);
        else if (p->context)
                fail(c, line, NULL, "%s (%s at line %d)", p->problem,
                     p->context, (int)p->context_mark.line + 1);
        else
                fail(c, line, NULL, "%s", p->problem);
}

/* From `fp` when not NULL, else from `yaml`. */
static config_t *load(FILE *fp, const char *yaml, size_t len, ctx_t *c) {
        yaml_parser_t parser;
        yaml_document_t doc;
        bool have_parser = false, have_doc = false;
        yaml_node_t *root;
        int rc = -1;

        if (!(c->conf = calloc(1, sizeof(config_t))) ||
            !(c->conf->path = strdup(c->file)) ||
            !(have_parser = yaml_parser_initialize(&parser))) {
                oom(c);
                goto out;
        }
        if (fp)
                yaml_parser_set_input_file(&parser, fp);
        else
                yaml_parser_set_input_string(&parser,
                                             (const unsigned char *)yaml, len);
        if (!(have_doc = yaml_parser_load(&parser, &doc))) {
                syntax_error(c, &parser);
                goto out;
        }
        c->doc = &doc;
        root = yaml_document_get_root_node(&doc);
        if (apply_defaults(c) ||
            (root && parse_table(c, config_keys, ARRAY_SIZE(config_keys),
                                 c->conf, 0, root, "")) ||
            resolve_schemas(c) || (c->password_file && read_password_file(c)) ||
            validate(c))
                goto out;
        rc = 0;
out:
        if (have_doc)
                yaml_document_delete(&doc);
        if (have_parser)
                yaml_parser_delete(&parser);
        free(c->schemas_dir);
        free(c->password_file);
        if (rc) {
                config_destroy(c->conf);
                return NULL;
        }
        return c->conf;
}

config_t *config_load_string(const char *yaml, size_t len, const char *name,
                             char *errstr, size_t errstr_size) {
        ctx_t c = {.file = name, .errstr = errstr, .errstr_size = errstr_size};

        return load(NULL, yaml, len, &c);
}

config_t *config_load(const char *path, char *errstr, size_t errstr_size) {
        ctx_t c = {.file = path, .errstr = errstr, .errstr_size = errstr_size};
        const char *slash = strrchr(path, '/');
        char *basedir = NULL;
        config_t *conf = NULL;
        FILE *fp = fopen(path, "r");

        if (!fp) {
                fail(&c, 0, NULL, "cannot open: %s", strerror(errno));
                goto out;
        }
        if (slash) { /* relative paths in the file are relative to it */
                basedir = strndup(path,
                                  slash == path ? 1 : (size_t)(slash - path));
                if (!(c.basedir = basedir)) {
                        oom(&c);
                        goto out;
                }
        }
        conf = load(fp, NULL, 0, &c);
out:
        if (fp)
                fclose(fp);
        free(basedir);
        return conf;
}

/* ---- the rest of the API ---- */

void config_destroy(config_t *conf) {
        if (!conf)
                return;
        free_table(config_keys, ARRAY_SIZE(config_keys), conf);
        free_schemas(conf);
        free(conf->path);
        free(conf);
}

void config_print(const config_t *conf, FILE *fp) {
        fprintf(fp,
                "# impactd %s: effective configuration of %s, secrets "
                "masked\n",
                IMPACTD_VERSION, conf->path);
        print_table(fp, config_keys, ARRAY_SIZE(config_keys), conf, 0);
}

const config_service_t *config_service_find(const config_t *conf,
                                            const char *name) {
        size_t i = service_index(conf, name);

        return i == SIZE_MAX ? NULL : &conf->services[i];
}

const config_account_t *config_account_find(const config_t *conf,
                                            const char *id) {
        for (size_t i = 0; i < conf->accounts_cnt; i++)
                if (!strcmp(conf->accounts[i].id, id))
                        return &conf->accounts[i];
        return NULL;
}

const char *config_schema_path(const config_t *conf, int32_t id) {
        for (size_t i = 0; i < conf->schemas.cnt; i++)
                if (conf->schemas.entries[i].id == id)
                        return conf->schemas.entries[i].path;
        return NULL;
}

const char *topic_role_name(topic_role_t role) {
        static const char *names[TOPIC_COUNT] = {
                "alerts",      "tickets",       "sentiment", "scored",
                "escalations", "notifications", "dlq"};

        return (unsigned)role < TOPIC_COUNT ? names[role] : NULL;
}
