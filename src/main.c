/* impactd: command-line dispatch. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_tools.h"
#include "config.h"
#include "failpoint.h"
#include "impactd.h"
#include "log.h"
#include "worker.h"

static volatile sig_atomic_t run = 1;

/* Only clears the flag: the loop finishes its batch, delivers, commits. */
static void on_signal(int sig) {
        (void)sig;
        run = 0;
}

static void usage(FILE *fp) {
        fprintf(fp,
                "impactd %s - customer-impact scoring over Kafka and Redis\n"
                "\n"
                "Usage: impactd COMMAND [OPTIONS]\n"
                "\n"
                "Commands:\n"
                "  run [--config FILE] [--log-level L]   run the worker\n"
                "  check-config FILE                      validate a config "
                "without connecting;\n"
                "                                         print it with "
                "secrets masked\n"
                "  produce --topic T [...]                JSON lines on stdin "
                "-> topic (Avro/JSON)\n"
                "  tail --topic T [...]                   topic -> JSON lines "
                "on stdout\n"
                "  silence add|list|remove [...]          maintenance windows "
                "set at run time\n"
                "  rewind (--to-earliest|--to-time T)     move the workers' "
                "group back, to replay\n"
                "  version                                print the version\n"
                "\n"
                "`impactd COMMAND --help` describes each command.\n"
                "The config is --config FILE, else $IMPACTD_CONFIG, else "
                "./config/impactd.yaml.\n"
                "\n"
                "Exit codes: 0 ok, 1 runtime failure (Kafka, Redis, I/O), "
                "2 usage, 3 invalid config, 4 no such silence.\n",
                IMPACTD_VERSION);
}

static const char *default_config_path(void) {
        const char *env = getenv("IMPACTD_CONFIG");
        if (env && *env)
                return env;
        return "config/impactd.yaml";
}

static config_t *load_config(const char *path) {
        char errstr[1024];
        config_t *conf = config_load(path, errstr, sizeof(errstr));
        if (!conf)
                fprintf(stderr, "impactd: %s\n", errstr);
        return conf;
}

static void apply_log_level(const char *name) {
        log_level_t lvl;
        if (name && log_level_parse(name, &lvl) == 0)
                log_min_level = lvl;
}

static int cmd_run(int argc, char **argv) {
        static const struct option opts[] = {
                {"config", required_argument, NULL, 'c'},
                {"log-level", required_argument, NULL, 'l'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0}};
        const char *path = default_config_path(), *level = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
                switch (c) {
                case 'c': path = optarg; break;
                case 'l': level = optarg; break;
                case 'h':
                        printf("Usage: impactd run [--config FILE] "
                               "[--log-level debug|info|warn|error]\n\n"
                               "Consumes the input topics in the configured "
                               "consumer group, keeps incident state in\n"
                               "Redis and produces scored events and "
                               "escalations.  With no kafka.brokers it starts\n"
                               "an embedded Kafka and prints `kafka bootstrap: "
                               "HOST:PORT` as its first line.\n"
                               "SIGINT/SIGTERM finish the batch in hand, "
                               "deliver, commit and exit 0.\n");
                        return IMPACTD_EXIT_OK;
                default: return IMPACTD_EXIT_USAGE;
                }
        }
        config_t *conf = load_config(path);
        if (!conf)
                return IMPACTD_EXIT_CONFIG;
        apply_log_level(conf->log_level);
        apply_log_level(level);
        char errstr[1024];
        if (failpoint_init(getenv("IMPACTD_FAILPOINTS"), errstr, sizeof(errstr))) {
                fprintf(stderr, "impactd: %s\n", errstr);
                config_destroy(conf);
                return IMPACTD_EXIT_CONFIG;
        }

        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        /* A write to a Redis that went away must be an error to retry
         * (EPIPE, then ctx->err), not a silent death by SIGPIPE. */
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);

        int rc;
        worker_t *w = worker_new(conf, &run, errstr, sizeof(errstr));
        if (!w) {
                log_error("cannot start: %s", errstr);
                rc = run ? IMPACTD_EXIT_FAILURE : IMPACTD_EXIT_OK;
                goto out;
        }
        /* Scripts and tests attach to the embedded cluster by this line. */
        printf("kafka bootstrap: %s\n", worker_bootstraps(w));
        fflush(stdout);
        rc = worker_run(w);
        worker_destroy(w);
out:
        config_destroy(conf);
        return rc;
}

static int cmd_check_config(int argc, char **argv) {
        if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                printf("Usage: impactd check-config FILE\n\n"
                       "Validates FILE without connecting to Kafka or Redis "
                       "and prints the effective\nconfiguration (defaults "
                       "filled in, ${VAR} expanded, secrets masked).\n"
                       "Exit 0 when valid, 3 with FILE:LINE: key: reason "
                       "when not.\n");
                return argc == 2 ? IMPACTD_EXIT_OK : IMPACTD_EXIT_USAGE;
        }
        config_t *conf = load_config(argv[1]);
        if (!conf)
                return IMPACTD_EXIT_CONFIG;
        config_print(conf, stdout);
        fprintf(stderr, "%s: configuration is valid\n", argv[1]);
        config_destroy(conf);
        return IMPACTD_EXIT_OK;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                usage(stderr);
                return IMPACTD_EXIT_USAGE;
        }
        const char *cmd = argv[1];
        if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
                usage(stdout);
                return IMPACTD_EXIT_OK;
        }
        if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
                printf("impactd %s\n", IMPACTD_VERSION);
                return IMPACTD_EXIT_OK;
        }
        if (!strcmp(cmd, "run"))
                return cmd_run(argc - 1, argv + 1);
        if (!strcmp(cmd, "check-config"))
                return cmd_check_config(argc - 1, argv + 1);
        if (!strcmp(cmd, "produce"))
                return cli_produce(argc - 1, argv + 1);
        if (!strcmp(cmd, "tail"))
                return cli_tail(argc - 1, argv + 1);
        if (!strcmp(cmd, "silence"))
                return cli_silence(argc - 1, argv + 1);
        if (!strcmp(cmd, "rewind"))
                return cli_rewind(argc - 1, argv + 1);
        fprintf(stderr, "impactd: unknown command '%s'\n\n", cmd);
        usage(stderr);
        return IMPACTD_EXIT_USAGE;
}
