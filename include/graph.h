/* The service dependency graph and incremental blast radius.  Pure: no
 * I/O; built once at start from the service catalog.
 *
 * Edges point from a service to what it depends on; the graph keeps the
 * reverse edges (who depends on me), because impact flows downstream:
 * when payments-db fails, payments and checkout-web, which depend on it,
 * are impacted too. */
#ifndef IMPACTD_GRAPH_H
#define IMPACTD_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct graph graph_t;

/* Builds the graph of conf->services (config_load has already refused
 * unknown names and cycles).  NULL + errstr on allocation failure. */
graph_t *graph_new(const config_t *conf, char *errstr, size_t errstr_size);

/* The same from plain arrays, for tests and tools: `n` services, and
 * `edges` pairs (dependent, dependency) of indexes. */
graph_t *graph_new_from_edges(size_t n, const char *const *names,
                              const int64_t *users, const size_t (*edges)[2],
                              size_t edges_cnt, char *errstr,
                              size_t errstr_size);
void graph_destroy(graph_t *g);

size_t graph_size(const graph_t *g);
/* Index of a service, or -1 when it is not in the catalog. */
long graph_index(const graph_t *g, const char *name);
const char *graph_name(const graph_t *g, size_t idx);
int64_t graph_users(const graph_t *g, size_t idx);
/* The services that depend directly on `idx`: `*cnt` indexes, valid for
 * the graph's life. */
const size_t *graph_dependents(const graph_t *g, size_t idx, size_t *cnt);

/* Marks `root` and every service downstream of it that is not marked yet
 * in `impacted` (one byte per service), and appends the newly marked
 * indexes to `added` (room for graph_size() entries).  Returns how many
 * were added.  Work is proportional to what is new: the walk stops at
 * services already marked, whose dependents were marked with them.
 * Never loops, even on a cyclic graph: each service is marked once.
 * Uses scratch inside the graph: one caller at a time. */
size_t graph_blast_add(const graph_t *g, uint8_t *impacted, size_t root,
                       size_t *added);

#endif
