/* Helpers shared by `impactd produce` and `impactd tail` (src/ only). */
#ifndef IMPACTD_CLI_COMMON_H
#define IMPACTD_CLI_COMMON_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "config.h"

#define CLI_DEFAULT_CONFIG      "config/impactd.yaml"
#define CLI_FLUSH_TIMEOUT_MS    30000
#define CLI_METADATA_TIMEOUT_MS 10000
#define CLI_TAIL_IDLE_MS        10000
#define CLI_POLL_MS             100

/* Cleared by SIGINT/SIGTERM; every loop checks it between messages. */
extern volatile sig_atomic_t cli_running;

void cli_install_signals(void);
int cli_usage_hint(const char *cmd);
int cli_parse_long(const char *s, long min, long max, long *out);
int cli_load_config(const char *path, config_t **out);
const char *cli_brokers(const char *opt, const config_t *conf);
void cli_kafka_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf);
int cli_conf_set(rd_kafka_conf_t *kc, const char *name, const char *value);
rd_kafka_conf_t *cli_kafka_conf(const char *const *defaults,
                                const config_prop_t *props, size_t cnt,
                                const char *const *own);
rd_kafka_t *cli_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *kc);
char *cli_base64(const void *data, size_t len);
json_t *cli_json_bytes(const void *data, size_t len);
int cli_usage_error(const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* What both tools do first: load the configuration (see cli_load_config)
 * and resolve the brokers (see cli_brokers).  Returns IMPACTD_EXIT_OK or
 * the exit code to return; *conf is the caller's to destroy either way. */
int cli_setup(const char *cmd, const char *config_opt, const char *brokers_opt,
              config_t **conf, const char **brokers);

#endif
