#include "impactd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *impactd_err2str(impactd_err_t err) {
        switch (err) {
        case IMPACTD_OK: return "success";
        case IMPACTD_ERR_CONFIG: return "invalid configuration";
        case IMPACTD_ERR_DECODE: return "undecodable input";
        case IMPACTD_ERR_INVALID: return "invalid event";
        case IMPACTD_ERR_KAFKA: return "Kafka error";
        case IMPACTD_ERR_REDIS: return "Redis error";
        case IMPACTD_ERR_REDIS_REPLY: return "Redis refused a call";
        case IMPACTD_ERR_IO: return "I/O error";
        case IMPACTD_ERR_NOMEM: return "out of memory";
        case IMPACTD_ERR_USAGE: return "usage error";
        }
        return "unknown error";
}

int64_t impactd_mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void impactd_sleep_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

int64_t impactd_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t clock_injected; /* 0 = the wall clock */

void impactd_clock_refresh(void) {
        const char *path = getenv("IMPACTD_CLOCK_FILE");
        long long ms = 0;
        FILE *fp;

        if (!path || !*path || !(fp = fopen(path, "r")))
                return; /* keep the last time read: a rewrite is not atomic */
        if (fscanf(fp, "%lld", &ms) == 1 && ms > 0)
                clock_injected = ms;
        fclose(fp);
}

int64_t impactd_clock_ms(void) {
        return clock_injected ? clock_injected : impactd_now_ms();
}

int impactd_fmt_double(char *buf, size_t size, double d) {
        int n = 0;
        for (int digits = 15; digits <= 17; digits++) {
                n = snprintf(buf, size, "%.*g", digits, d);
                if (digits == 17 || strtod(buf, NULL) == d)
                        break;
        }
        return n;
}

size_t impactd_utf8_trim(char *s) {
        size_t len = strlen(s), lead = len;
        /* Back over continuation bytes (10xxxxxx) to the sequence's lead,
         * three at most. */
        while (lead > 0 && len - lead < 4 &&
               ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
                lead--;
        if (lead == 0)
                return len;
        unsigned char c = (unsigned char)s[lead - 1];
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (c >= 0x80 && len - (lead - 1) < need) {
                s[lead - 1] = '\0';
                return lead - 1;
        }
        return len;
}
