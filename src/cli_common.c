/* Helpers shared by `impactd produce` and `impactd tail`: signals, option
 * parsing, configuration and librdkafka client set-up, JSON for raw bytes.
 *
 * Both tools follow kcat's shape: parse options, build one librdkafka
 * client, run a compact loop that checks a flag cleared by SIGINT/SIGTERM,
 * and shut down cleanly. */
#include "cli_common.h"

#include "cli_tools.h"
#include "codec.h"
#include "config.h"
#include "impactd.h"
#include "log.h"
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Cleared by SIGINT/SIGTERM; every loop checks it between messages. */
volatile sig_atomic_t cli_running = 1;

static void cli_on_signal(int sig) {
        (void)sig;
        cli_running = 0;
}

void cli_install_signals(void) {
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        /* No SA_RESTART: a read of stdin blocked in getline() must return
         * on Ctrl-C so that the producer can still flush what it has. */
        sa.sa_handler = cli_on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        /* A closed stdout (`impactd tail | head`) is an EPIPE write error,
         * handled where it happens, rather than a silent death. */
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
}

/* After getopt's own message about a bad option. */
int cli_usage_hint(const char *cmd) {
        fprintf(stderr, "Try 'impactd %s --help'.\n", cmd);
        return IMPACTD_EXIT_USAGE;
}

/* Prints "impactd CMD: message" and a pointer to --help; returns the usage
 * exit code so that callers can `return cli_usage_error(...)`. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

int cli_usage_error(const char *cmd, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "impactd %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return cli_usage_hint(cmd);
}

/* Parses a whole decimal number in [min, max]; 0 on success. */
int cli_parse_long(const char *s, long min, long max, long *out) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return -1;
        *out = v;
        return 0;
}

/* --config, else $IMPACTD_CONFIG, else ./config/impactd.yaml when present,
 * else the built-in defaults (relative paths then resolve against the cwd). */
int cli_load_config(const char *path, config_t **out) {
        const char *env = getenv("IMPACTD_CONFIG");
        char errstr[512];
        struct stat st;
        log_level_t level;

        if (!path && env && *env)
                path = env;
        if (!path && stat(CLI_DEFAULT_CONFIG, &st) == 0)
                path = CLI_DEFAULT_CONFIG;
        if (path)
                *out = config_load(path, errstr, sizeof(errstr));
        else
                *out = config_load_string("{}", 2, "<defaults>", errstr,
                                          sizeof(errstr));
        if (!*out) {
                log_error("%s", errstr);
                return IMPACTD_EXIT_CONFIG;
        }
        if ((*out)->log_level &&
            log_level_parse((*out)->log_level, &level) == 0)
                log_min_level = level;
        return IMPACTD_EXIT_OK;
}

/* --brokers, else kafka.brokers of the configuration, else the environment;
 * NULL when none is set (the tools never start an embedded cluster). */
const char *cli_brokers(const char *opt, const config_t *conf) {
        const char *env = getenv("IMPACTD_KAFKA_BROKERS");

        if (opt && *opt)
                return opt;
        if (conf->kafka.brokers && *conf->kafka.brokers)
                return conf->kafka.brokers;
        if (env && *env)
                return env;
        return NULL;
}

/* librdkafka logs through log.h, like everything else. */
void cli_kafka_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf) {
        (void)rk;
        if (level <= 3)
                log_error("kafka %s: %s", fac, buf);
        else if (level == 4)
                log_warn("kafka %s: %s", fac, buf);
        else
                log_debug("kafka %s: %s", fac, buf);
}

int cli_conf_set(rd_kafka_conf_t *kc, const char *name, const char *value) {
        char errstr[512];

        if (rd_kafka_conf_set(kc, name, value, errstr, sizeof(errstr)) ==
            RD_KAFKA_CONF_OK)
                return 0;
        log_error("kafka property %s: %s", name, errstr);
        return -1;
}

/* A client configuration built in three layers, later ones winning: the
 * tool's overridable `defaults`, the configuration file's properties
 * (`props`), and the tool's mandatory settings (`own`).  The pair lists are
 * NULL-terminated {name, value, ...} arrays.  NULL on a bad property. */
rd_kafka_conf_t *cli_kafka_conf(const char *const *defaults,
                                const config_prop_t *props, size_t cnt,
                                const char *const *own) {
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        size_t i;

        rd_kafka_conf_set_log_cb(kc, cli_kafka_log);
        for (; *defaults; defaults += 2)
                if (cli_conf_set(kc, defaults[0], defaults[1]))
                        goto fail;
        for (i = 0; i < cnt; i++)
                if (cli_conf_set(kc, props[i].name, props[i].value))
                        goto fail;
        for (; *own; own += 2)
                if (cli_conf_set(kc, own[0], own[1]))
                        goto fail;
        return kc;
fail:
        rd_kafka_conf_destroy(kc);
        return NULL;
}

/* Takes ownership of `kc` (also on failure). */
rd_kafka_t *cli_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *kc) {
        char errstr[512];
        rd_kafka_t *rk = rd_kafka_new(type, kc, errstr, sizeof(errstr));

        if (!rk) {
                log_error("kafka: %s", errstr);
                rd_kafka_conf_destroy(kc);
        }
        return rk;
}

/* Base64 (RFC 4648, padded) of `len` bytes; malloc'd, NULL on ENOMEM. */
char *cli_base64(const void *data, size_t len) {
        static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "abcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = data;
        char *out = malloc(4 * ((len + 2) / 3) + 1);
        char *o = out;
        size_t i;
        uint32_t v;

        if (!out)
                return NULL;
        for (i = 0; i + 2 < len; i += 3) {
                v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
                *o++ = tbl[v >> 18 & 63];
                *o++ = tbl[v >> 12 & 63];
                *o++ = tbl[v >> 6 & 63];
                *o++ = tbl[v & 63];
        }
        if (i < len) {
                v = (uint32_t)p[i] << 16;
                if (i + 1 < len)
                        v |= (uint32_t)p[i + 1] << 8;
                *o++ = tbl[v >> 18 & 63];
                *o++ = tbl[v >> 12 & 63];
                *o++ = i + 1 < len ? tbl[v >> 6 & 63] : '=';
                *o++ = '=';
        }
        *o = '\0';
        return out;
}

/* Bytes as a JSON value: a string when they are UTF-8, else
 * {"base64": "..."}; null for NULL. */
json_t *cli_json_bytes(const void *data, size_t len) {
        json_t *s;
        char *b64;

        if (!data)
                return json_null();
        if ((s = json_stringn(data, len)))
                return s;
        if (!(b64 = cli_base64(data, len)))
                return NULL;
        s = json_pack("{s:s}", "base64", b64);
        free(b64);
        return s;
}

int cli_setup(const char *cmd, const char *config_opt, const char *brokers_opt,
              config_t **conf, const char **brokers) {
        int rc = cli_load_config(config_opt, conf);
        if (rc != IMPACTD_EXIT_OK)
                return rc;
        if (!(*brokers = cli_brokers(brokers_opt, *conf)))
                return cli_usage_error(cmd, "no brokers: pass --brokers or "
                                            "set IMPACTD_KAFKA_BROKERS");
        return IMPACTD_EXIT_OK;
}
