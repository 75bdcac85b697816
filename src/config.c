/* YAML configuration -> config_t (include/config.h; every key is documented
 * with its default in config/impactd.yaml): ${VAR} interpolation, loading a
 * file or a string, defaults, the rules that span keys, config_destroy and
 * the lookups.  How keys are parsed, tabled and printed is described in
 * config_internal.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_internal.h"
#include "redis_url.h"

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

#define SECRET_FILE_MAX 65536

/* ${file:PATH}: a secret mounted as a file (a Kubernetes or Docker
 * secret), so that it is in neither the config nor the environment.  One
 * trailing newline is dropped.  Appended to *out; -1 with errstr. */
static int append_file(char **out, size_t *len, const char *path, size_t n,
                       char *errstr, size_t errstr_size) {
        char name[4096], *buf;
        size_t got;
        if (!n || n >= sizeof(name)) {
                snprintf(errstr, errstr_size, "${file:...}: bad path");
                return -1;
        }
        memcpy(name, path, n);
        name[n] = '\0';
        FILE *fp = fopen(name, "r");
        if (!fp) {
                snprintf(errstr, errstr_size, "${file:%s}: %s", name,
                         strerror(errno));
                return -1;
        }
        if (!(buf = malloc(SECRET_FILE_MAX + 1))) {
                fclose(fp);
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        got = fread(buf, 1, SECRET_FILE_MAX + 1, fp);
        fclose(fp);
        if (got > SECRET_FILE_MAX || memchr(buf, '\0', got)) {
                snprintf(errstr, errstr_size, "${file:%s}: %s", name,
                         got > SECRET_FILE_MAX ? "larger than 64 KiB"
                                               : "contains a NUL byte");
                free(buf);
                return -1;
        }
        if (got && buf[got - 1] == '\n')
                got -= 1 + (got > 1 && buf[got - 2] == '\r');
        int rc = append(out, len, buf, got);
        free(buf);
        if (rc)
                snprintf(errstr, errstr_size, "out of memory");
        return rc;
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
                if (!strncmp(p + 2, "file:", 5)) {
                        if (append_file(&out, &len, p + 7,
                                        (size_t)(end - (p + 7)), errstr,
                                        errstr_size))
                                goto fail;
                        p = end + 1;
                        continue;
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

/* ---- loading ---- */

/* A section's default is YAML text, parsed like the file. */
static int apply_special_default(ctx_t *c, const cfg_entry_t *e) {
        yaml_document_t doc, *file_doc = c->doc;
        yaml_parser_t parser;
        int rc = -1;

        if (!yaml_parser_initialize(&parser))
                return cfg_oom(c);
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
        policy_config_defaults(&c->conf->policy);
        for (const cfg_entry_t *e = cfg_keys; e < cfg_keys + cfg_keys_cnt;
             e++) {
                void *base = e->type == T_LOADSTR ? (void *)c : c->conf;

                if (e->def &&
                    (e->parse ? apply_special_default(c, e)
                              : cfg_set_value(c, e, base, e->def, e->name, 0)))
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
        return rc ? cfg_oom(c) : 0;
}

/* A secret from a file (e.g. a mounted Kubernetes secret): one line, its
 * newline stripped; the buffer is wiped afterwards. */
static int read_password_file(ctx_t *c) {
        const char *key = "redis.password_file";
        int line = cfg_key_line(c, key);
        char *path = path_join(c->basedir, c->password_file), buf[4096];
        FILE *fp = NULL;
        size_t n;
        int rc = -1;

        if (!path) {
                cfg_oom(c);
                goto out;
        }
        if (c->conf->redis.password) {
                cfg_fail(c, line, key,
                         "conflicts with redis.password: set only one");
                goto out;
        }
        if (!(fp = fopen(path, "r"))) {
                cfg_fail(c, line, key, "cannot read '%s': %s", path,
                         strerror(errno));
                goto out;
        }
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        buf[n] = '\0';
        n = strcspn(buf, "\r\n");
        if (ferror(fp) || !feof(fp) || n == 0 ||
            strspn(buf + n, "\r\n") != strlen(buf + n)) {
                cfg_fail(c, line, key,
                         "'%s' must hold one line of at most %zu bytes", path,
                         sizeof(buf) - 3);
                goto out;
        }
        buf[n] = '\0';
        if (!(c->conf->redis.password = strdup(buf)))
                cfg_oom(c);
        rc = c->conf->redis.password ? 0 : -1;
out:
        explicit_bzero(buf, sizeof(buf));
        if (fp)
                fclose(fp);
        free(path);
        return rc;
}

/* Region names are matched against the regions alerts report: an empty
 * or repeated one is a typo, not a region. */
static int check_regions(ctx_t *c) {
        const config_t *conf = c->conf;
        const char *key = "segments.known_regions";

        for (size_t i = 0; i < conf->segments.known_regions_cnt; i++) {
                const char *r = conf->segments.known_regions[i];

                if (!*r)
                        return cfg_fail(c, cfg_key_line(c, key), key,
                                        "region %zu is empty", i + 1);
                for (size_t j = 0; j < i; j++)
                        if (!strcmp(r, conf->segments.known_regions[j]))
                                return cfg_fail(c, cfg_key_line(c, key), key,
                                                "duplicate region '%s'", r);
        }
        return 0;
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
                return cfg_fail(c, cfg_key_line(c, "scoring.weights"),
                                "scoring.weights", "must sum to 1.0, got %g",
                                sum);
        if (s->class_partial_below > s->class_complete_above)
                return cfg_fail(
                        c, cfg_key_line(c, "scoring.class_complete_above"),
                        "scoring.class_complete_above",
                        "must be >= class_partial_below (%g), got %g",
                        s->class_partial_below, s->class_complete_above);
        if (s->confidence_medium > s->confidence_high)
                return cfg_fail(c, cfg_key_line(c, "scoring.confidence.high"),
                                "scoring.confidence.high",
                                "must be >= confidence.medium (%g), got %g",
                                s->confidence_medium, s->confidence_high);
        if (s->sla_at_risk_score > s->sla_breached_score)
                return cfg_fail(c,
                                cfg_key_line(c, "scoring.sla.breached_score"),
                                "scoring.sla.breached_score",
                                "must be >= sla.at_risk_score (%g), got %g",
                                s->sla_at_risk_score, s->sla_breached_score);
        if (check_regions(c))
                return -1;
        /* What the worker will connect with, checked now: a port out of
         * range would otherwise be retried for ever.  The message masks
         * the password. */
        redis_url_t url;
        char why[512];
        if (redis_url_parse(conf->redis.url, &url, why, sizeof(why))) {
                redis_url_clear(&url);
                return cfg_fail(c, cfg_key_line(c, "redis.url"), "redis.url",
                                "%s", strncmp(why, "redis.url: ", 11)
                                              ? why
                                              : why + 11);
        }
        redis_url_clear(&url);
        for (int t = 0; t < TOPIC_COUNT; t++) {
                const char *role = topic_role_name((topic_role_t)t);
                int32_t id = conf->schemas.writer_id[t];

                snprintf(key, sizeof(key), "kafka.topics.%s", role);
                for (int u = 0; u < t; u++)
                        if (!strcmp(conf->kafka.topics[u],
                                    conf->kafka.topics[t]))
                                return cfg_fail(
                                        c, cfg_key_line(c, key), key,
                                        "same topic as kafka.topics.%s",
                                        topic_role_name((topic_role_t)u));
                snprintf(key, sizeof(key), "schemas.writer.%s", role);
                if (!id || config_schema_path(conf, id))
                        continue;
                if (!(line = cfg_key_line(c, key))) /* the default writer id */
                        line = cfg_key_line(c, "schemas.ids");
                return cfg_fail(c, line, key,
                                "schema id %" PRId32 " is not in schemas.ids",
                                id);
        }
        return 0;
}

static void syntax_error(ctx_t *c, const yaml_parser_t *p) {
        int line = (int)p->problem_mark.line + 1;

        if (p->error == YAML_MEMORY_ERROR)
                cfg_oom(c);
        else if (p->error == YAML_READER_ERROR)
                cfg_fail(c, 0, NULL, "%s at byte %zu", p->problem,
                         p->problem_offset);
        else if (p->context)
                cfg_fail(c, line, NULL, "%s (%s at line %d)", p->problem,
                         p->context, (int)p->context_mark.line + 1);
        else
                cfg_fail(c, line, NULL, "%s", p->problem);
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
                cfg_oom(c);
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
            (root && cfg_parse_table(c, cfg_keys, cfg_keys_cnt, c->conf, 0,
                                     root, "")) ||
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
                cfg_fail(&c, 0, NULL, "cannot open: %s", strerror(errno));
                goto out;
        }
        if (slash) { /* relative paths in the file are relative to it */
                basedir = strndup(path,
                                  slash == path ? 1 : (size_t)(slash - path));
                if (!(c.basedir = basedir)) {
                        cfg_oom(&c);
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
        cfg_free_table(cfg_keys, cfg_keys_cnt, conf);
        cfg_free_schemas(conf);
        cfg_free_notify(conf);
        free(conf->path);
        free(conf);
}

size_t cfg_service_index(const config_t *conf, const char *name) {
        for (size_t i = 0; i < conf->services_cnt; i++)
                if (!strcmp(conf->services[i].name, name))
                        return i;
        return SIZE_MAX;
}

const config_service_t *config_service_find(const config_t *conf,
                                            const char *name) {
        size_t i = cfg_service_index(conf, name);

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
