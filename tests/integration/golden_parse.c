/* Golden scenario files -> golden_scenario_t; the format is in
 * tests/golden/README.md. */
#include "golden.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
        golden_scenario_t *scn;
        int64_t t0, last_offset;
        FILE *config; /* memstream into scn->config */
        size_t config_len;
        char *errstr;
        size_t errstr_size;
} parser_t;

static const char *const output_names[GOLDEN_OUTPUTS] = {
        "scored", "escalation", "notification"};
static const char *const output_topics[GOLDEN_OUTPUTS] = {
        "impact.scored", "impact.escalations", "impact.notifications"};

const char *golden_output_name(golden_output_t o) {
        return output_names[o];
}

const char *golden_output_topic(golden_output_t o) {
        return output_topics[o];
}

static int fail(parser_t *p, int line, const char *fmt, ...) {
        va_list ap;
        int n = snprintf(p->errstr, p->errstr_size, "%s:%d: ", p->scn->path,
                         line);
        if (n < 0 || (size_t)n >= p->errstr_size)
                return -1;
        va_start(ap, fmt);
        vsnprintf(p->errstr + n, p->errstr_size - (size_t)n, fmt, ap);
        va_end(ap);
        return -1;
}

int64_t golden_parse_offset(const char *s) {
        static const struct {
                const char *unit;
                int64_t ms;
        } units[] = {{"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000}};
        /* Rank of each unit, largest first, to insist on "1m30s" order. */
        static const int rank[] = {0, 3, 1, 2};
        int64_t total = 0;
        int last_rank = -1;

        if (!*s)
                return -1;
        while (*s) {
                int64_t n = 0;
                size_t u;
                if (!isdigit((unsigned char)*s))
                        return -1;
                for (; isdigit((unsigned char)*s); s++) {
                        if (n > 1000000000)
                                return -1;
                        n = n * 10 + (*s - '0');
                }
                for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
                        if (!strncmp(s, units[u].unit, strlen(units[u].unit)))
                                break;
                if (u == sizeof(units) / sizeof(units[0]) ||
                    rank[u] <= last_rank)
                        return -1;
                last_rank = rank[u];
                s += strlen(units[u].unit);
                total += n * units[u].ms;
        }
        return total;
}

/* "T0", "T0+2m", "T0-30s" -> epoch ms; false if `s` is not of that form. */
static bool parse_time(const parser_t *p, const char *s, int64_t *ms) {
        int64_t off;
        if (strncmp(s, "T0", 2) != 0)
                return false;
        if (!s[2]) {
                *ms = p->t0;
                return true;
        }
        if ((s[2] != '+' && s[2] != '-') ||
            (off = golden_parse_offset(s + 3)) < 0)
                return false;
        *ms = p->t0 + (s[2] == '+' ? off : -off);
        return true;
}

/* Top-level fields named *_at may be written as T0 times. */
static int resolve_times(parser_t *p, int line, json_t *obj) {
        const char *key;
        json_t *v;
        json_object_foreach(obj, key, v) {
                size_t len = strlen(key);
                int64_t ms;
                if (len < 3 || strcmp(key + len - 3, "_at") ||
                    !json_is_string(v))
                        continue;
                if (!parse_time(p, json_string_value(v), &ms))
                        return fail(p, line,
                                    "%s: \"%s\" is neither a number nor "
                                    "T0, T0+<offset>, T0-<offset>",
                                    key, json_string_value(v));
                json_object_set_new(obj, key, json_integer(ms));
        }
        return 0;
}

static json_t *parse_object(parser_t *p, int line, const char *text) {
        json_error_t jerr;
        json_t *obj = json_loads(text, 0, &jerr);
        if (!obj) {
                fail(p, line + jerr.line - 1, "bad JSON: %s", jerr.text);
                return NULL;
        }
        if (!json_is_object(obj)) {
                json_decref(obj);
                fail(p, line, "expected a JSON object");
                return NULL;
        }
        if (resolve_times(p, line, obj)) {
                json_decref(obj);
                return NULL;
        }
        return obj;
}

/* Splits off the next blank-separated word of *text (NUL-terminates it). */
static char *next_word(char **text) {
        char *s = *text, *word;
        while (isspace((unsigned char)*s))
                s++;
        word = s;
        while (*s && !isspace((unsigned char)*s))
                s++;
        if (*s)
                *s++ = '\0';
        while (isspace((unsigned char)*s))
                s++;
        *text = s;
        return word;
}

static golden_step_t *add_step(parser_t *p, int line, const char *when) {
        int64_t off = golden_parse_offset(when);
        if (off < 0) {
                fail(p, line, "bad offset '%s' (e.g. 0s, 90s, 2m30s, 1500ms)",
                     when);
                return NULL;
        }
        if (off < p->last_offset) {
                fail(p, line,
                     "offset %s is before the previous step's: "
                     "time does not run backwards",
                     when);
                return NULL;
        }
        golden_step_t *steps = realloc(p->scn->steps, (p->scn->steps_cnt + 1) *
                                                              sizeof(*steps));
        if (!steps) {
                fail(p, line, "out of memory");
                return NULL;
        }
        p->scn->steps = steps;
        golden_step_t *st = &steps[p->scn->steps_cnt++];
        memset(st, 0, sizeof(*st));
        st->line = line;
        st->offset_ms = p->last_offset = off;
        return st;
}

static int parse_at(parser_t *p, int line, char *rest) {
        static const char *const kinds[][2] = {{"alert", "alerts"},
                                               {"ticket", "tickets"},
                                               {"sentiment", "sentiment"}};
        const char *when = next_word(&rest), *kind = next_word(&rest);
        const char *input = NULL;
        for (size_t i = 0; i < 3 && !input; i++)
                if (!strcmp(kind, kinds[i][0]))
                        input = kinds[i][1];
        if (!input)
                return fail(p, line,
                            "at: event kind '%s' is not alert, "
                            "ticket or sentiment",
                            kind);
        json_t *event = parse_object(p, line, rest);
        if (!event)
                return -1;
        golden_step_t *st = add_step(p, line, when);
        if (!st) {
                json_decref(event);
                return -1;
        }
        st->input = input;
        st->event = event;
        if (!json_object_get(event, "occurred_at"))
                json_object_set_new(event, "occurred_at",
                                    json_integer(p->t0 + st->offset_ms));
        return 0;
}

static int parse_expect(parser_t *p, int line, char *rest) {
        const char *what = next_word(&rest);
        golden_scenario_t *scn = p->scn;
        int o;
        for (o = 0; o < GOLDEN_OUTPUTS; o++)
                if (!strcmp(what, output_names[o]))
                        break;
        if (o == GOLDEN_OUTPUTS)
                return fail(p, line,
                            "expect: '%s' is not scored, escalation or "
                            "notification", what);
        if (!scn->steps_cnt)
                return fail(p, line, "expect before any at or clock step");
        json_t *fields = parse_object(p, line, rest);
        if (!fields)
                return -1;
        golden_step_t *st = &scn->steps[scn->steps_cnt - 1];
        golden_expect_t *ex =
                realloc(st->expects, (st->expects_cnt + 1) * sizeof(*ex));
        if (!ex) {
                json_decref(fields);
                return fail(p, line, "out of memory");
        }
        st->expects = ex;
        ex[st->expects_cnt++] =
                (golden_expect_t){line, (golden_output_t)o, fields};
        return 0;
}

/* One directive: its first line and any continuation lines. */
static int parse_directive(parser_t *p, int line, char *text) {
        const char *verb = next_word(&text);
        if (!strcmp(verb, "config")) {
                if (!*text)
                        return fail(p, line, "config: no YAML");
                fprintf(p->config, "%s\n", text);
                return 0;
        }
        if (!strcmp(verb, "at"))
                return parse_at(p, line, text);
        if (!strcmp(verb, "clock")) {
                const char *when = next_word(&text);
                if (*text)
                        return fail(p, line, "clock: unexpected '%s'", text);
                return add_step(p, line, when) ? 0 : -1;
        }
        if (!strcmp(verb, "expect"))
                return parse_expect(p, line, text);
        return fail(p, line,
                    "unknown directive '%s' (config, at, clock, "
                    "expect)",
                    verb);
}

static bool blank_or_comment(const char *s) {
        while (isspace((unsigned char)*s))
                s++;
        return !*s || *s == '#';
}

/* Reads directives: a line that starts with blanks continues the one
 * before it (kept with its newline, so YAML keeps its indentation). */
static int parse_file(parser_t *p, FILE *fp) {
        char *line = NULL, *dir = NULL;
        size_t cap = 0, dir_len = 0;
        ssize_t n;
        int lineno = 0, dir_line = 0, rc = 0;

        while (!rc && (n = getline(&line, &cap, fp)) >= 0) {
                lineno++;
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                        line[--n] = '\0';
                if (blank_or_comment(line))
                        continue;
                if (isspace((unsigned char)line[0])) {
                        if (!dir) {
                                rc = fail(p, lineno,
                                          "indented line continues "
                                          "no directive");
                                break;
                        }
                        char *more = realloc(dir, dir_len + (size_t)n + 2);
                        if (!more) {
                                rc = fail(p, lineno, "out of memory");
                                break;
                        }
                        dir = more;
                        dir[dir_len++] = '\n';
                        memcpy(dir + dir_len, line, (size_t)n + 1);
                        dir_len += (size_t)n;
                        continue;
                }
                if (dir)
                        rc = parse_directive(p, dir_line, dir);
                free(dir);
                dir = strdup(line);
                dir_len = (size_t)n;
                dir_line = lineno;
                if (!dir)
                        rc = fail(p, lineno, "out of memory");
        }
        if (!rc && dir)
                rc = parse_directive(p, dir_line, dir);
        free(dir);
        free(line);
        return rc;
}

golden_scenario_t *golden_load(const char *path, int64_t t0, char *errstr,
                               size_t errstr_size) {
        parser_t p = {.t0 = t0, .errstr = errstr, .errstr_size = errstr_size};
        golden_scenario_t *scn = calloc(1, sizeof(*scn));
        FILE *fp = NULL;
        int rc = -1;

        if (!scn || !(scn->path = strdup(path))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        p.scn = scn;
        const char *base = strrchr(path, '/');
        scn->name = strdup(base ? base + 1 : path);
        if (scn->name && strlen(scn->name) > 4 &&
            !strcmp(scn->name + strlen(scn->name) - 4, ".scn"))
                scn->name[strlen(scn->name) - 4] = '\0';
        p.config = open_memstream(&scn->config, &p.config_len);
        if (!scn->name || !p.config) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        if (!(fp = fopen(path, "r"))) {
                snprintf(errstr, errstr_size, "cannot open %s", path);
                goto out;
        }
        rc = parse_file(&p, fp);
        if (!rc && !scn->steps_cnt)
                rc = fail(&p, 1, "no at or clock step");
out:
        if (fp)
                fclose(fp);
        if (p.config)
                fclose(p.config);
        if (rc) {
                golden_free(scn);
                return NULL;
        }
        return scn;
}

void golden_free(golden_scenario_t *scn) {
        if (!scn)
                return;
        for (size_t i = 0; i < scn->steps_cnt; i++) {
                golden_step_t *st = &scn->steps[i];
                json_decref(st->event);
                for (size_t k = 0; k < st->expects_cnt; k++)
                        json_decref(st->expects[k].fields);
                free(st->expects);
        }
        free(scn->steps);
        free(scn->config);
        free(scn->name);
        free(scn->path);
        free(scn);
}
