/* impactd silence add|list|remove: maintenance windows set at run time.
 * They live in the Redis hash <key_prefix>:silences (silence id -> one
 * silence_format() line), which every worker reads with each batch, so a
 * silence takes effect within a batch of being added, on every worker. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli_common.h"
#include "cli_tools.h"
#include "impactd.h"
#include "log.h"
#include "redis_state.h"
#include "silence.h"

/* Expired silences are kept this long for `list --all`, then dropped by
 * the next `add`. */
#define EXPIRED_KEEP_MS (7LL * 86400 * 1000)

static const char silence_usage[] =
        "Usage: impactd silence add --service S (--ends-at T | --duration D)\n"
        "                           [--starts-at T] [--label KEY=VALUE] [--id ID]\n"
        "                           [--comment TEXT] [--created-by NAME] [-c FILE]\n"
        "       impactd silence list [--all] [--json] [-c FILE]\n"
        "       impactd silence remove ID [-c FILE]\n"
        "\n"
        "Maintenance windows set at run time, kept in Redis (<redis.key_prefix>:silences)\n"
        "and read by every worker with each batch.  A silence mutes the escalations\n"
        "and holds back the notifications of incidents whose root service is S (\"*\" =\n"
        "any), optionally only those carrying the label KEY=VALUE (region=..., team=...),\n"
        "from its start until its end; resolves and impact.scored are never muted.\n"
        "\n"
        "  add     T is RFC 3339 UTC (2026-11-22T10:00:00Z) or epoch ms; D is like 2h30m,\n"
        "          90m or 45s.  --starts-at defaults to now, --id to mw-<start>-<service>,\n"
        "          --created-by to $USER.  Prints the id.  Also drops silences that\n"
        "          ended more than 7 days ago.\n"
        "  list    active and pending silences (with --all, expired ones too), from the\n"
        "          config file and from Redis, sorted by start; --json for a JSON array.\n"
        "  remove  deletes a silence set at run time (those of the config file stay).\n"
        "\n"
        "Exit codes: 0 ok, 1 Redis failure, 2 usage, 3 invalid config, 4 no such silence.\n";

/* "2h30m", "90m", "45s", "1h": a positive duration in ms; -1 otherwise. */
static int64_t parse_duration(const char *s) {
        int64_t total = 0;
        if (!*s)
                return -1;
        while (*s) {
                char *end;
                long long v = strtoll(s, &end, 10);
                int64_t unit;
                if (end == s || v < 0)
                        return -1;
                switch (*end) {
                case 'h': unit = 3600000; break;
                case 'm': unit = 60000; break;
                case 's': unit = 1000; break;
                default: return -1;
                }
                total += (int64_t)v * unit;
                s = end + 1;
        }
        return total > 0 ? total : -1;
}

static int copy_field(char *dst, size_t size, const char *src,
                      const char *what) {
        if (strlen(src) >= size)
                return cli_usage_error("silence", "%s is too long", what);
        memcpy(dst, src, strlen(src) + 1);
        return IMPACTD_EXIT_OK;
}

static int redis_connect(config_t *conf, redis_state_t **rs) {
        char errstr[512];
        if (!(*rs = redis_state_new(conf, errstr, sizeof(errstr)))) {
                log_error("%s", errstr);
                return IMPACTD_EXIT_FAILURE;
        }
        return IMPACTD_EXIT_OK;
}

/* Every silence: the config's first, then those set at run time.  The
 * caller frees *out. */
static int load_all(const config_t *conf, redis_state_t *rs, silence_t **out,
                    size_t *cnt) {
        size_t cap = conf->silences_cnt + 1, invalid;
        char errstr[512];
        silence_t *arr = calloc(cap, sizeof(*arr));
        if (!arr) {
                log_error("out of memory");
                return IMPACTD_EXIT_FAILURE;
        }
        if (conf->silences_cnt)
                memcpy(arr, conf->silences, conf->silences_cnt * sizeof(*arr));
        redis_state_append_silences(rs);
        if (redis_state_read_silences(rs, &arr, conf->silences_cnt, cnt, &cap,
                                      &invalid, errstr, sizeof(errstr))) {
                log_error("%s", errstr);
                free(arr);
                return IMPACTD_EXIT_FAILURE;
        }
        if (invalid)
                log_warn("%zu entries of %s:silences are not silences; skipped",
                         invalid, conf->redis.key_prefix);
        *out = arr;
        return IMPACTD_EXIT_OK;
}

static int cmd_add(config_t *conf, int argc, char **argv) {
        static const struct option opts[] = {
                {"service", required_argument, NULL, 's'},
                {"label", required_argument, NULL, 'l'},
                {"starts-at", required_argument, NULL, 'S'},
                {"ends-at", required_argument, NULL, 'E'},
                {"duration", required_argument, NULL, 'd'},
                {"id", required_argument, NULL, 'i'},
                {"comment", required_argument, NULL, 'm'},
                {"created-by", required_argument, NULL, 'u'},
                {NULL, 0, NULL, 0}};
        silence_t s;
        int64_t duration = 0;
        bool have_start = false, have_end = false;
        const char *user = getenv("USER");
        char errstr[512], line[SILENCE_LINE_MAX];
        int c, rc;
        memset(&s, 0, sizeof(s));
        snprintf(s.created_by, sizeof(s.created_by), "%s",
                 user && *user ? user : "cli");
        optind = 0;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                rc = IMPACTD_EXIT_OK;
                switch (c) {
                case 's':
                        rc = copy_field(s.service, sizeof(s.service), optarg,
                                        "--service");
                        break;
                case 'l': {
                        const char *eq = strchr(optarg, '=');
                        if (!eq || eq == optarg || !eq[1])
                                return cli_usage_error("silence", "--label '%s': want KEY=VALUE",
                                                   optarg);
                        if ((size_t)(eq - optarg) >= sizeof(s.label_key))
                                return cli_usage_error("silence", "%s is too long", "--label");
                        memcpy(s.label_key, optarg, (size_t)(eq - optarg));
                        rc = copy_field(s.label_value, sizeof(s.label_value),
                                        eq + 1, "--label");
                        break;
                }
                case 'S':
                        if (silence_time_parse(optarg, &s.starts_at))
                                return cli_usage_error("silence", "--starts-at '%s': want RFC "
                                                   "3339 UTC or epoch ms", optarg);
                        have_start = true;
                        break;
                case 'E':
                        if (silence_time_parse(optarg, &s.ends_at))
                                return cli_usage_error("silence", "--ends-at '%s': want RFC "
                                                   "3339 UTC or epoch ms", optarg);
                        have_end = true;
                        break;
                case 'd':
                        if ((duration = parse_duration(optarg)) < 0)
                                return cli_usage_error("silence", "--duration '%s': want e.g. "
                                                   "2h30m, 90m, 45s", optarg);
                        break;
                case 'i': rc = copy_field(s.id, sizeof(s.id), optarg, "--id"); break;
                case 'm':
                        rc = copy_field(s.comment, sizeof(s.comment), optarg,
                                        "--comment");
                        break;
                case 'u':
                        rc = copy_field(s.created_by, sizeof(s.created_by),
                                        optarg, "--created-by");
                        break;
                default: return cli_usage_hint("silence");
                }
                if (rc != IMPACTD_EXIT_OK)
                        return rc;
        }
        if (optind < argc)
                return cli_usage_error("silence", "unexpected argument '%s'", argv[optind]);
        if (!s.service[0])
                return cli_usage_error("silence", "%s", "--service is required");
        if (have_end == (duration > 0))
                return cli_usage_error("silence", "%s", "give one of --ends-at and --duration");
        if (!have_start)
                s.starts_at = impactd_clock_ms();
        if (!have_end)
                s.ends_at = s.starts_at + duration;
        if (!s.id[0])
                snprintf(s.id, sizeof(s.id), "mw-%" PRId64 "-%.40s", s.starts_at,
                         s.service[0] == '*' ? "all" : s.service);
        if (silence_validate(&s, errstr, sizeof(errstr)))
                return cli_usage_error("silence", "%s", errstr);
        if (silence_format(&s, line, sizeof(line)) < 0)
                return cli_usage_error("silence", "%s", "silence too long");

        redis_state_t *rs;
        if ((rc = redis_connect(conf, &rs)) != IMPACTD_EXIT_OK)
                return rc;
        silence_t *all = NULL;
        size_t n = 0;
        long long added;
        if ((rc = load_all(conf, rs, &all, &n)) != IMPACTD_EXIT_OK)
                goto out;
        int64_t now = impactd_clock_ms();
        size_t dropped = 0;
        for (size_t i = conf->silences_cnt; i < n; i++) {
                if (all[i].ends_at + EXPIRED_KEEP_MS >= now)
                        continue;
                redis_state_append_silence_del(rs, all[i].id);
                dropped++;
        }
        redis_state_append_silence_set(rs, s.id, line);
        rc = IMPACTD_EXIT_FAILURE;
        for (size_t i = 0; i < dropped; i++)
                if (redis_state_read_integer(rs, &added, errstr, sizeof(errstr)))
                        goto fail;
        if (redis_state_read_integer(rs, &added, errstr, sizeof(errstr)))
                goto fail;
        rc = IMPACTD_EXIT_OK;
        printf("%s\n", s.id);
        log_info("silence %s %s: service=%s%s%s%s%s from %" PRId64 " to %" PRId64
                 " by %s%s", s.id, added ? "added" : "replaced", s.service,
                 s.label_key[0] ? " label=" : "", s.label_key,
                 s.label_key[0] ? "=" : "", s.label_value, s.starts_at,
                 s.ends_at, s.created_by,
                 dropped ? " (expired ones dropped)" : "");
        goto out;
fail:
        log_error("%s", errstr);
out:
        free(all);
        redis_state_destroy(rs);
        return rc;
}

static const char *state_of(const silence_t *s, int64_t now) {
        if (now >= s->ends_at)
                return "expired";
        return now >= s->starts_at ? "active" : "pending";
}

static int by_start(const void *a, const void *b) {
        const silence_t *x = a, *y = b;
        if (x->starts_at != y->starts_at)
                return x->starts_at < y->starts_at ? -1 : 1;
        return strcmp(x->id, y->id);
}

static bool from_config(const config_t *conf, const silence_t *s) {
        for (size_t i = 0; i < conf->silences_cnt; i++)
                if (!strcmp(conf->silences[i].id, s->id))
                        return true;
        return false;
}

static int cmd_list(config_t *conf, int argc, char **argv) {
        static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                             {"json", no_argument, NULL, 'j'},
                                             {NULL, 0, NULL, 0}};
        bool all_too = false, json = false;
        int c, rc;
        optind = 0;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 'a')
                        all_too = true;
                else if (c == 'j')
                        json = true;
                else
                        return cli_usage_hint("silence");
        }
        if (optind < argc)
                return cli_usage_error("silence", "unexpected argument '%s'", argv[optind]);
        redis_state_t *rs;
        silence_t *all = NULL;
        size_t n = 0;
        if ((rc = redis_connect(conf, &rs)) != IMPACTD_EXIT_OK)
                return rc;
        if ((rc = load_all(conf, rs, &all, &n)) != IMPACTD_EXIT_OK)
                goto out;
        qsort(all, n, sizeof(*all), by_start);
        int64_t now = impactd_clock_ms();
        json_t *arr = json ? json_array() : NULL;
        for (size_t i = 0; i < n; i++) {
                const silence_t *s = &all[i];
                char from[40], to[40], label[2 * SILENCE_LABEL_MAX + 2] = "-";
                const char *state = state_of(s, now);
                const char *source = from_config(conf, s) ? "config" : "redis";
                if (!all_too && !strcmp(state, "expired"))
                        continue;
                if (s->label_key[0])
                        snprintf(label, sizeof(label), "%s=%s", s->label_key,
                                 s->label_value);
                silence_time_format(s->starts_at, from, sizeof(from));
                silence_time_format(s->ends_at, to, sizeof(to));
                if (!json) {
                        printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s->id,
                               s->service, label, from, to, state, source,
                               s->created_by, s->comment);
                        continue;
                }
                json_array_append_new(
                        arr, json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:I, s:s, "
                                       "s:s, s:s, s:s}",
                                       "id", s->id, "service", s->service,
                                       "label_key",
                                       s->label_key[0] ? s->label_key : NULL,
                                       "label_value",
                                       s->label_key[0] ? s->label_value : NULL,
                                       "starts_at", (json_int_t)s->starts_at,
                                       "ends_at", (json_int_t)s->ends_at,
                                       "state", state, "source", source,
                                       "created_by", s->created_by, "comment",
                                       s->comment));
        }
        if (arr) {
                char *text = json_dumps(arr, JSON_COMPACT);
                if (text)
                        printf("%s\n", text);
                free(text);
                json_decref(arr);
        }
out:
        free(all);
        redis_state_destroy(rs);
        return rc;
}

static int cmd_remove(config_t *conf, int argc, char **argv) {
        char errstr[512];
        long long removed;
        int rc;
        if (argc != 2)
                return cli_usage_error("silence", "%s", "remove takes one silence id");
        const char *id = argv[1];
        for (size_t i = 0; i < conf->silences_cnt; i++)
                if (!strcmp(conf->silences[i].id, id)) {
                        fprintf(stderr, "impactd silence: '%s' is set in the "
                                        "config file; remove it there\n", id);
                        return IMPACTD_EXIT_NOT_FOUND;
                }
        redis_state_t *rs;
        if ((rc = redis_connect(conf, &rs)) != IMPACTD_EXIT_OK)
                return rc;
        redis_state_append_silence_del(rs, id);
        if (redis_state_read_integer(rs, &removed, errstr, sizeof(errstr))) {
                log_error("%s", errstr);
                rc = IMPACTD_EXIT_FAILURE;
        } else if (!removed) {
                fprintf(stderr, "impactd silence: no silence '%s'\n", id);
                rc = IMPACTD_EXIT_NOT_FOUND;
        } else {
                log_info("silence %s removed", id);
        }
        redis_state_destroy(rs);
        return rc;
}

int cli_silence(int argc, char **argv) {
        const char *config_opt = NULL;
        config_t *conf = NULL;
        int rc, sub = 1;
        /* -c FILE / --config FILE may come before or after the subcommand. */
        char **args = calloc((size_t)argc + 1, sizeof(*args));
        int n = 0;
        if (!args)
                return IMPACTD_EXIT_FAILURE;
        for (int i = 0; i < argc; i++) {
                if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
                    i + 1 < argc) {
                        config_opt = argv[++i];
                        continue;
                }
                if (!strncmp(argv[i], "--config=", 9)) {
                        config_opt = argv[i] + 9;
                        continue;
                }
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                        fputs(silence_usage, stdout);
                        free(args);
                        return IMPACTD_EXIT_OK;
                }
                args[n++] = argv[i];
        }
        if (n < 2) {
                free(args);
                return cli_usage_error("silence", "%s", "want add, list or remove");
        }
        if ((rc = cli_load_config(config_opt, &conf)) != IMPACTD_EXIT_OK)
                goto out;
        impactd_clock_refresh(); /* "now" of --starts-at, and of list */
        /* args[sub] is the subcommand: it plays argv[0] for getopt. */
        if (!strcmp(args[sub], "add"))
                rc = cmd_add(conf, n - sub, args + sub);
        else if (!strcmp(args[sub], "list"))
                rc = cmd_list(conf, n - sub, args + sub);
        else if (!strcmp(args[sub], "remove"))
                rc = cmd_remove(conf, n - sub, args + sub);
        else
                rc = cli_usage_error("silence", "unknown subcommand '%s'", args[sub]);
out:
        config_destroy(conf);
        free(args);
        return rc;
}
