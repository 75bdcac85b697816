/* Shared by the files of the YAML configuration; not installed, include only
 * from src/.
 *
 *   config.c        ${VAR} interpolation, loading, defaults, the rules that
 *                   span keys, config_destroy, lookups
 *   config_parse.c  libyaml document helpers, scalar values, lists, property
 *                   maps, catalogs, walking a mapping against a table
 *   config_table.c  the tables of keys; the sections with their own rules
 *   config_notify.c notifications.*: templates compiled at load
 *   config_print.c  the effective configuration, secrets masked
 *   config_policy.c the escalation policy section and the silences list
 *
 * libyaml's document API loads the file into nodes that keep their line; one
 * table of keys, as in Redis's config.c, gives each dotted key its type,
 * default, place in the struct and valid range.  Defaults are text parsed by
 * the same code as the file, so no default can bypass a check.  Lists,
 * librdkafka property maps and catalogs (a map of name -> struct described by
 * a table of its own) are table types too: parsing, printing and freeing are
 * all driven by the tables.  The first error stops the load and reads
 * "FILE:LINE: dotted.key: problem". */
#ifndef IMPACTD_CONFIG_INTERNAL_H
#define IMPACTD_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yaml.h>

#include "config.h"

#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define KEY_MAX             512
#define SECRET_MASK         "*****"
#define AT(base, off, type) ((type *)((char *)(base) + (off)))

typedef enum {
        T_STRING,      /* char *; empty and no default -> NULL */
        T_INT,         /* int */
        T_INT64,       /* int64_t */
        T_DOUBLE,      /* double */
        T_BOOL,        /* bool: true|false|yes|no|on|off */
        T_SIZE,        /* size_t bytes: 1k = 1000, 1kb = 1024, m, mb, g, gb */
        T_FORMAT,      /* wire_format_t: avro|json */
        T_TIER,        /* customer_tier_t: FREE|PRO|BUSINESS|ENTERPRISE */
        T_LOGLEVEL,    /* char *: debug|info|warn|error */
        T_SCHEMA_ID,   /* int32_t */
        T_MS_FROM_S,   /* int64_t milliseconds, written in seconds */
        T_MS_FROM_MIN, /* int64_t milliseconds, written in minutes */
        T_STRLIST,     /* char ** at off, size_t count at cnt_off */
        T_PROPS,       /* config_prop_t * at off, size_t count at cnt_off */
        T_CATALOG,     /* array of catalog elements at off, count at cnt_off */
        T_LOADSTR,     /* char * in ctx_t, used after the walk */
        T_SPECIAL,     /* the entry's own parse and print functions */
} value_type_t;

typedef enum {
        R_ANY,
        R_NONEMPTY,
        R_POS,         /* > 0 */
        R_NONNEG,      /* >= 0; a negative value means "not set" */
        R_SHARE,       /* 0..1 */
        R_PERCENT,     /* 0..100 */
        R_UNIT,        /* -1..1 */
        R_DATABASE,    /* >= -1 */
        R_SEVERITY,    /* 1..5 */
        R_PERCENT_POS, /* > 0 and <= 100 */
        R_SPAN,        /* 0..2: a difference of two -1..1 scores */
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

/* One load: what it fills, the document being walked, where errors go. */
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

/* ---- config_parse.c: errors; all return -1 ---- */

/* "FILE:LINE: key: message" into c->errstr; no ":LINE" when line is 0. */
__attribute__((format(printf, 4, 5))) int
cfg_fail(ctx_t *c, int line, const char *key, const char *fmt, ...);
int cfg_oom(ctx_t *c);

/* ---- config_parse.c: libyaml document helpers ---- */

bool cfg_is_null(const yaml_node_t *v); /* "key:" alone, "~" or "null" */

static inline int line_of(const yaml_node_t *n) {
        return n ? (int)n->start_mark.line + 1 : 0;
}

static inline const char *sval(const yaml_node_t *n) {
        return (const char *)n->data.scalar.value;
}

static inline size_t npairs(const yaml_node_t *m) {
        return (size_t)(m->data.mapping.pairs.top -
                        m->data.mapping.pairs.start);
}

void cfg_pair_at(ctx_t *c, const yaml_node_t *m, size_t i, yaml_node_t **k,
                 yaml_node_t **v);
yaml_node_t *cfg_item_at(ctx_t *c, const yaml_node_t *s, size_t i);
int cfg_children(ctx_t *c, yaml_node_t *v, yaml_node_type_t want,
                 const char *key);
int cfg_key_line(ctx_t *c, const char *dotted);

/* ---- config_parse.c: values and tables ---- */

char *cfg_scalar(ctx_t *c, yaml_node_t *v, const char *key);
int cfg_parse_int(const char *s, int64_t *out);
int cfg_set_value(ctx_t *c, const cfg_entry_t *e, void *base, const char *s,
                  const char *key, int line);
int cfg_set_node(ctx_t *c, const cfg_entry_t *e, void *base, yaml_node_t *v,
                 const char *key);
int cfg_parse_table(ctx_t *c, const cfg_entry_t *tbl, size_t n, void *base,
                    size_t skip, yaml_node_t *map, const char *prefix);
void cfg_free_table(const cfg_entry_t *tbl, size_t n, void *base);

/* ---- config_table.c ---- */

extern const cfg_entry_t cfg_keys[]; /* of config_t */
extern const size_t cfg_keys_cnt;
extern const cfg_entry_t cfg_sla_keys[]; /* of score_sla_t */
extern const size_t cfg_sla_keys_cnt;
extern const char *const cfg_tier_keys[TIER_COUNT]; /* "free", ... */
void cfg_free_schemas(config_t *conf);

/* ---- config_notify.c: notifications.* ---- */

extern const cfg_entry_t cfg_notify_keys[]; /* of notify_config_t */
extern const size_t cfg_notify_keys_cnt;
extern const char *const cfg_audience_keys[AUDIENCE_COUNT]; /* "executive" */
extern const char *const cfg_kind_keys[NOTIFY_KIND_COUNT];  /* "opened" */
int cfg_parse_notify(ctx_t *c, void *base, yaml_node_t *v, const char *key);
void cfg_free_notify(config_t *conf); /* config_destroy() */

/* ---- config_print.c: the T_SPECIAL and masked entries ---- */

void cfg_print_url(const void *base, FILE *fp, int indent, const char *leaf);
void cfg_print_schema_ids(const void *base, FILE *fp, int indent,
                          const char *leaf);
void cfg_print_thresholds(const void *base, FILE *fp, int indent,
                          const char *leaf);
void cfg_print_sla_tiers(const void *base, FILE *fp, int indent,
                         const char *leaf);
void cfg_print_notify(const void *base, FILE *fp, int indent,
                      const char *leaf);
void cfg_print_templates(const void *base, FILE *fp, int indent,
                         const char *leaf);
void cfg_print_audiences(const void *base, FILE *fp, int indent,
                         const char *leaf);

/* ---- config_policy.c: the policy section and the silences list ---- */

int cfg_parse_policy(ctx_t *c, void *base, yaml_node_t *v, const char *key);
void cfg_print_policy(const void *base, FILE *fp, int indent,
                      const char *leaf);
int cfg_parse_silences(ctx_t *c, void *base, yaml_node_t *v,
                       const char *key);
void cfg_print_silences(const void *base, FILE *fp, int indent,
                        const char *leaf);

/* ---- config_print.c: for the sections printed elsewhere ---- */

void cfg_print_table(FILE *fp, const cfg_entry_t *tbl, size_t n,
                     const void *base, int indent);
void cfg_print_str(FILE *fp, const char *s); /* a quoted YAML value */

/* ---- config.c ---- */

/* The index of service `name` in conf->services; SIZE_MAX when absent. */
size_t cfg_service_index(const config_t *conf, const char *name);

#endif
