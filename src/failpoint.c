/* Named failpoints for crash and race tests: see include/failpoint.h. */
#include "failpoint.h"

#include "log.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef IMPACTD_FAILPOINTS

typedef enum { FP_KILL, FP_DELAY, FP_VALUE, FP_NOTE } fp_kind_t;

/* Every failpoint there is; the header says where each strikes. */
static struct failpoint {
        const char *name;
        fp_kind_t kind;
        bool on;
        long arg;
} failpoints[] = {
        {"slice.groups", FP_VALUE, false, 0},
        {"apply.kill", FP_KILL, false, 0},
        {"decide.delay", FP_DELAY, false, 0},
        {"decide.kill", FP_KILL, false, 0},
        {"rescore.note", FP_NOTE, false, 0},
};
#define N_FAILPOINTS (sizeof(failpoints) / sizeof(failpoints[0]))

static struct failpoint *find(const char *name, size_t len) {
        for (size_t i = 0; i < N_FAILPOINTS; i++)
                if (strlen(failpoints[i].name) == len &&
                    !memcmp(failpoints[i].name, name, len))
                        return &failpoints[i];
        return NULL;
}

/* One NAME[=ARG] of the list, [s, end). */
static int enable(const char *s, const char *end, char *errstr,
                  size_t errstr_size) {
        const char *eq = memchr(s, '=', (size_t)(end - s));
        size_t len = (size_t)((eq ? eq : end) - s);
        struct failpoint *fp = find(s, len);
        if (!fp) {
                snprintf(errstr, errstr_size,
                         "IMPACTD_FAILPOINTS: no failpoint \"%.*s\" (see "
                         "include/failpoint.h)", (int)(len > 64 ? 64 : len), s);
                return -1;
        }
        bool takes_arg = fp->kind == FP_DELAY || fp->kind == FP_VALUE;
        if (takes_arg != !!eq) {
                snprintf(errstr, errstr_size,
                         "IMPACTD_FAILPOINTS: %s %s", fp->name,
                         takes_arg ? "needs =NUMBER" : "takes no argument");
                return -1;
        }
        if (eq) {
                char num[24], *num_end;
                size_t n = (size_t)(end - eq - 1);
                if (n == 0 || n >= sizeof(num))
                        goto bad_number;
                memcpy(num, eq + 1, n);
                num[n] = '\0';
                errno = 0;
                fp->arg = strtol(num, &num_end, 10);
                if (errno || *num_end || fp->arg <= 0)
                        goto bad_number;
        }
        fp->on = true;
        return 0;
bad_number:
        snprintf(errstr, errstr_size,
                 "IMPACTD_FAILPOINTS: %s needs a positive number", fp->name);
        return -1;
}

int failpoint_init(const char *spec, char *errstr, size_t errstr_size) {
        for (size_t i = 0; i < N_FAILPOINTS; i++)
                failpoints[i].on = false;
        if (!spec)
                return 0;
        while (*spec) {
                const char *end = strchr(spec, ',');
                if (!end)
                        end = spec + strlen(spec);
                if (end > spec && enable(spec, end, errstr, errstr_size))
                        return -1;
                spec = *end ? end + 1 : end;
        }
        for (size_t i = 0; i < N_FAILPOINTS; i++)
                if (failpoints[i].on)
                        log_warn("failpoint %s enabled%s", failpoints[i].name,
                                 failpoints[i].kind == FP_KILL ? ": this worker "
                                                                 "will die there"
                                                               : "");
        return 0;
}

void failpoint_hit(const char *name) {
        struct failpoint *fp = find(name, strlen(name));
        if (!fp || !fp->on)
                return;
        if (fp->kind == FP_KILL) {
                log_warn("failpoint %s: dying", name);
                log_flush();
                raise(SIGKILL);
        } else if (fp->kind == FP_DELAY) {
                struct timespec ts = {fp->arg / 1000, (fp->arg % 1000) * 1000000L};
                while (nanosleep(&ts, &ts) && errno == EINTR)
                        ;
        }
}

int failpoint_on(const char *name) {
        struct failpoint *fp = find(name, strlen(name));
        return fp && fp->on;
}

long failpoint_value(const char *name, long dflt) {
        struct failpoint *fp = find(name, strlen(name));
        return fp && fp->on ? fp->arg : dflt;
}

#else

int failpoint_init(const char *spec, char *errstr, size_t errstr_size) {
        (void)errstr;
        (void)errstr_size;
        if (spec && *spec)
                log_warn("IMPACTD_FAILPOINTS is set, but this impactd was built "
                         "without failpoints: ignored");
        return 0;
}

#endif
