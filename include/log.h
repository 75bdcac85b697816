/* One-line logs to stderr: `2026-11-22T10:15:00.123Z LEVEL message`.
 * The level check lives in the macro so a suppressed log costs one compare,
 * as with Redis's serverLog(). */
#ifndef IMPACTD_LOG_H
#define IMPACTD_LOG_H

typedef enum {
        LOG_LVL_DEBUG = 0,
        LOG_LVL_INFO,
        LOG_LVL_WARN,
        LOG_LVL_ERROR,
} log_level_t;

extern log_level_t log_min_level;

/* Returns 0 and sets *out for "debug", "info", "warn", "error"; -1 otherwise. */
int log_level_parse(const char *name, log_level_t *out);

void log_raw(log_level_t level, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* With on, the calling thread's lines below ERROR are collected and written
 * a few KiB at a time: by log_flush(), when the buffer fills, or before an
 * ERROR line.  Lines of a process killed meanwhile are lost.  With off, what
 * was collected is written and every line goes out as it is logged. */
void log_batch(int on);
void log_flush(void);

#define log_at(lvl, ...)                                                       \
        do {                                                                   \
                if ((lvl) >= log_min_level)                                    \
                        log_raw((lvl), __VA_ARGS__);                           \
        } while (0)

#define log_debug(...) log_at(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...) log_at(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...) log_at(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_LVL_ERROR, __VA_ARGS__)

#endif
