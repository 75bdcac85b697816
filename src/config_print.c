/* The effective configuration as YAML that loads again to the same values:
 * strings double-quoted with "$" doubled, doubles that read back exactly,
 * secrets masked.  See config_internal.h. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"
#include "redis_url.h"

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

        impactd_fmt_double(buf, sizeof(buf), d);
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
        case T_MS_FROM_MIN:
                print_double(fp, (double)*(const int64_t *)p / 60000);
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
void cfg_print_url(const void *base, FILE *fp, int indent, const char *leaf) {
        char *masked = redis_url_mask(((const config_t *)base)->redis.url);
        print_key(fp, indent, leaf);
        fputc(' ', fp);
        print_str(fp, masked ? masked : SECRET_MASK, true);
        fputc('\n', fp);
        free(masked);
}

void cfg_print_schema_ids(const void *base, FILE *fp, int indent,
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

void cfg_print_thresholds(const void *base, FILE *fp, int indent,
                          const char *leaf) {
        const double *t = ((const config_t *)base)->scoring.level_thresholds;

        fprintf(fp, "%*s%s: [", indent, "", leaf);
        for (int i = 0; i < 4; i++) {
                print_double(fp, t[i]);
                fputs(i < 3 ? ", " : "]\n", fp);
        }
}

/* Every tier, so the output shows which have no SLA (null). */
void cfg_print_sla_tiers(const void *base, FILE *fp, int indent,
                         const char *leaf) {
        const score_sla_t *sla = ((const config_t *)base)->scoring.sla;

        fprintf(fp, "%*s%s:\n", indent, "", leaf);
        for (int t = TIER_FREE; t < TIER_COUNT; t++) {
                fprintf(fp, "%*s%s:%s\n", indent + 2, "", cfg_tier_keys[t],
                        sla[t].set ? "" : " null");
                if (sla[t].set)
                        print_table(fp, cfg_sla_keys, cfg_sla_keys_cnt, &sla[t],
                                    indent + 4);
        }
}

void cfg_print_table(FILE *fp, const cfg_entry_t *tbl, size_t n,
                     const void *base, int indent) {
        print_table(fp, tbl, n, base, indent);
}

void cfg_print_str(FILE *fp, const char *s) {
        print_str(fp, s, true);
}

void config_print(const config_t *conf, FILE *fp) {
        fprintf(fp,
                "# impactd %s: effective configuration of %s, secrets "
                "masked\n",
                IMPACTD_VERSION, conf->path);
        print_table(fp, cfg_keys, cfg_keys_cnt, conf, 0);
}

/* notifications: its own table, under the key of the entry. */
void cfg_print_notify(const void *base, FILE *fp, int indent,
                      const char *leaf) {
        fprintf(fp, "%*s%s:\n", indent, "", leaf);
        print_table(fp, cfg_notify_keys, cfg_notify_keys_cnt,
                    &((const config_t *)base)->notify, indent + 2);
}

void cfg_print_audiences(const void *base, FILE *fp, int indent,
                         const char *leaf) {
        const notify_config_t *nc = base;
        bool first = true;

        fprintf(fp, "%*s%s: [", indent, "", leaf);
        for (int a = 0; a < AUDIENCE_COUNT; a++) {
                if (!nc->audiences[a])
                        continue;
                fprintf(fp, "%s%s", first ? "" : ", ",
                        audience_name((audience_t)a));
                first = false;
        }
        fputs("]\n", fp);
}

/* Every pair, so the output shows which are not sent (null). */
void cfg_print_templates(const void *base, FILE *fp, int indent,
                         const char *leaf) {
        const notify_config_t *nc = base;

        fprintf(fp, "%*s%s:\n", indent, "", leaf);
        for (int a = 0; a < AUDIENCE_COUNT; a++) {
                fprintf(fp, "%*s%s:\n", indent + 2, "", cfg_audience_keys[a]);
                for (int k = 0; k < NOTIFY_KIND_COUNT; k++) {
                        const notify_template_t *p = &nc->templates[a][k];

                        fprintf(fp, "%*s%s:%s\n", indent + 4, "",
                                cfg_kind_keys[k], p->title ? "" : " null");
                        if (!p->title)
                                continue;
                        fprintf(fp, "%*stitle: ", indent + 6, "");
                        print_str(fp, template_source(p->title), true);
                        fprintf(fp, "\n%*sbody: ", indent + 6, "");
                        print_str(fp, template_source(p->body), true);
                        fputc('\n', fp);
                }
        }
}
