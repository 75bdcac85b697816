/* redis.url: redis://[[user]:password@]host[:port][/db] or unix:///path.
 *
 * Shared by the config check and the connection, so that `check-config`
 * refuses exactly what the worker could not connect with.  The URL may
 * hold a password: no error message built here quotes it, and
 * check-config prints redis_url_mask()'s copy. */
#ifndef IMPACTD_REDIS_URL_H
#define IMPACTD_REDIS_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "impactd.h"

typedef struct redis_url {
        char *host;     /* "" for a unix socket */
        int port;       /* 6379 unless given */
        char *path;     /* unix socket path, "" for TCP */
        char *user;     /* ACL user, "" = none (AUTH <password> only) */
        char *password; /* "" = none */
        int db;         /* 0 unless given */
} redis_url_t;

/* Fills `u` (free it with redis_url_clear() whatever the result).
 * User and password are percent-decoded, as in any URL: a password with
 * '@', ':', '/' or '%' in it writes them %40, %3A, %2F, %25.  Rejects an
 * unknown scheme, an empty host, a port outside 1..65535, a database that
 * is not a number, and anything left over.  errstr never holds the
 * password. */
impactd_err_t redis_url_parse(const char *url, redis_url_t *u, char *errstr,
                              size_t errstr_size);
void redis_url_clear(redis_url_t *u);

/* The URL with its password (or, lacking a ':', its whole user
 * information) replaced by "*****", for messages and printing.  The
 * caller frees it; NULL when out of memory. */
char *redis_url_mask(const char *url);

#endif
