/* impactd — common definitions shared by every module.
 *
 * Conventions (borrowed from librdkafka):
 *  - functions that can fail return an impactd_err_t and, on failure, write a
 *    human-readable reason into a caller-supplied `char *errstr, size_t
 *    errstr_size` buffer;
 *  - objects come in *_new()/ *_destroy() pairs; a function that takes
 *    ownership of an argument says so in its comment.
 */
#ifndef IMPACTD_H
#define IMPACTD_H

#include <stddef.h>
#include <stdint.h>

#define IMPACTD_VERSION "0.1.0"

typedef enum {
        IMPACTD_OK = 0,
        IMPACTD_ERR_CONFIG,    /* invalid configuration */
        IMPACTD_ERR_DECODE,    /* input bytes could not be decoded */
        IMPACTD_ERR_INVALID,   /* decoded, but violates the event contract */
        IMPACTD_ERR_KAFKA,     /* Kafka client error */
        IMPACTD_ERR_REDIS,     /* Redis unreachable, or out of service */
        IMPACTD_ERR_REDIS_REPLY, /* Redis refused one call: its input's fault */
        IMPACTD_ERR_IO,        /* file or system call failure */
        IMPACTD_ERR_NOMEM,
        IMPACTD_ERR_USAGE,     /* bad command-line usage */
} impactd_err_t;

/* Process exit codes: documented in `impactd --help` and README. */
#define IMPACTD_EXIT_OK 0
#define IMPACTD_EXIT_FAILURE 1 /* runtime failure (Kafka fatal, Redis, I/O) */
#define IMPACTD_EXIT_USAGE 2   /* bad command line */
#define IMPACTD_EXIT_CONFIG 3  /* invalid configuration */
#define IMPACTD_EXIT_NOT_FOUND 4 /* silence remove: no such silence */

const char *impactd_err2str(impactd_err_t err);

/* Wall-clock milliseconds since the epoch. */
int64_t impactd_now_ms(void);

/* The clock incidents are measured by (duration, triage and SLA clocks,
 * deadlines): the wall clock, unless the environment names a file in
 * IMPACTD_CLOCK_FILE holding epoch milliseconds.  That file is how tests
 * move time without sleeping; it is read by impactd_clock_refresh(), which
 * the worker calls once per poll, so one batch sees one time. */
int64_t impactd_clock_ms(void);
void impactd_clock_refresh(void);

/* Monotonic milliseconds, for timeouts and rates: never jumps with the
 * wall clock. */
int64_t impactd_mono_ms(void);

/* Sleeps `ms` milliseconds (a signal may cut it short). */
void impactd_sleep_ms(long ms);

/* Drops a UTF-8 sequence that a cut left incomplete at the end of `s`
 * (a service name cut short to fit a summary), so that text built into a
 * fixed buffer stays valid UTF-8 for the encoders.  Returns the new
 * length. */
size_t impactd_utf8_trim(char *s);

/* `d` in the fewest digits that read back as the same double (1.1, where
 * %.17g writes 1.1000000000000001), into buf of at least 32 bytes.
 * Returns its length. */
int impactd_fmt_double(char *buf, size_t size, double d);

#endif
