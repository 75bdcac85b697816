#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

log_level_t log_min_level = LOG_LVL_INFO;

static const char *level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

int log_level_parse(const char *name, log_level_t *out) {
        static const char *lower[] = {"debug", "info", "warn", "error"};
        for (int i = 0; i < 4; i++) {
                if (strcmp(name, lower[i]) == 0) {
                        *out = (log_level_t)i;
                        return 0;
                }
        }
        return -1;
}

void log_raw(log_level_t level, const char *fmt, ...) {
        char line[2048];
        struct timespec ts;
        struct tm tm;
        size_t off;
        va_list ap;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        off += (size_t)snprintf(line + off, sizeof(line) - off, ".%03ldZ %s ",
                                ts.tv_nsec / 1000000, level_names[level]);
        va_start(ap, fmt);
        vsnprintf(line + off, sizeof(line) - off, fmt, ap);
        va_end(ap);
        /* One write per line keeps lines whole when several threads log. */
        fprintf(stderr, "%s\n", line);
}
