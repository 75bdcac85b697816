/* Service graph: reverse adjacency in CSR form, and blast-radius walks. */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

struct graph {
        size_t n;
        char **names;
        int64_t *users;
        /* dependents of i: dep[off[i] .. off[i + 1]) */
        size_t *off;
        size_t *dep;
        size_t *stack; /* walk scratch, n entries */
        strmap_t index;
};

void graph_destroy(graph_t *g) {
        if (!g)
                return;
        for (size_t i = 0; g->names && i < g->n; i++)
                free(g->names[i]);
        free(g->names);
        free(g->users);
        free(g->off);
        free(g->dep);
        free(g->stack);
        strmap_free(&g->index);
        free(g);
}

graph_t *graph_new_from_edges(size_t n, const char *const *names,
                              const int64_t *users, const size_t (*edges)[2],
                              size_t edges_cnt, char *errstr,
                              size_t errstr_size) {
        graph_t *g = calloc(1, sizeof(*g));
        if (!g)
                goto nomem;
        g->n = n;
        g->names = calloc(n + 1, sizeof(*g->names));
        g->users = calloc(n + 1, sizeof(*g->users));
        g->off = calloc(n + 2, sizeof(*g->off));
        g->dep = calloc(edges_cnt + 1, sizeof(*g->dep));
        g->stack = calloc(n + 1, sizeof(*g->stack));
        if (!g->names || !g->users || !g->off || !g->dep || !g->stack)
                goto nomem;
        for (size_t i = 0; i < n; i++) {
                if (!(g->names[i] = strdup(names[i])) ||
                    strmap_get_or_put(&g->index, g->names[i], i) == (size_t)-1)
                        goto nomem;
                g->users[i] = users ? users[i] : 0;
        }
        /* Counting sort of the edges by dependency: CSR of dependents. */
        for (size_t e = 0; e < edges_cnt; e++)
                g->off[edges[e][1] + 1]++;
        for (size_t i = 0; i < n; i++)
                g->off[i + 1] += g->off[i];
        for (size_t e = 0; e < edges_cnt; e++)
                g->dep[g->off[edges[e][1]] + g->stack[edges[e][1]]++] = edges[e][0];
        return g;
nomem:
        graph_destroy(g);
        snprintf(errstr, errstr_size, "out of memory building the service graph");
        return NULL;
}

graph_t *graph_new(const config_t *conf, char *errstr, size_t errstr_size) {
        size_t n = conf->services_cnt, edges_cnt = 0, k = 0;
        for (size_t i = 0; i < n; i++)
                edges_cnt += conf->services[i].depends_on_cnt;
        const char **names = calloc(n + 1, sizeof(*names));
        int64_t *users = calloc(n + 1, sizeof(*users));
        size_t(*edges)[2] = calloc(edges_cnt + 1, sizeof(*edges));
        graph_t *g = NULL;
        if (!names || !users || !edges) {
                snprintf(errstr, errstr_size, "out of memory building the service graph");
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                names[i] = conf->services[i].name;
                users[i] = conf->services[i].users;
        }
        for (size_t i = 0; i < n; i++) {
                const config_service_t *s = &conf->services[i];
                for (size_t d = 0; d < s->depends_on_cnt; d++) {
                        for (size_t j = 0; j < n; j++)
                                if (!strcmp(conf->services[j].name, s->depends_on[d])) {
                                        edges[k][0] = i;
                                        edges[k++][1] = j;
                                        break;
                                }
                }
        }
        g = graph_new_from_edges(n, names, users, (const size_t(*)[2])edges, k,
                                 errstr, errstr_size);
out:
        free(names);
        free(users);
        free(edges);
        return g;
}

size_t graph_size(const graph_t *g) {
        return g->n;
}

long graph_index(const graph_t *g, const char *name) {
        size_t i = strmap_get(&g->index, name);
        return i == (size_t)-1 ? -1 : (long)i;
}

const char *graph_name(const graph_t *g, size_t idx) {
        return g->names[idx];
}

int64_t graph_users(const graph_t *g, size_t idx) {
        return g->users[idx];
}

const size_t *graph_dependents(const graph_t *g, size_t idx, size_t *cnt) {
        *cnt = g->off[idx + 1] - g->off[idx];
        return g->dep + g->off[idx];
}

size_t graph_blast_add(const graph_t *g, uint8_t *impacted, size_t root,
                       size_t *added) {
        size_t top = 0, cnt = 0;
        if (root >= g->n || impacted[root])
                return 0;
        impacted[root] = 1;
        g->stack[top++] = root;
        while (top) {
                size_t s = g->stack[--top];
                added[cnt++] = s;
                for (size_t e = g->off[s]; e < g->off[s + 1]; e++) {
                        size_t d = g->dep[e];
                        /* Marked when pushed, so each service is pushed at
                         * most once and the stack never exceeds n. */
                        if (!impacted[d]) {
                                impacted[d] = 1;
                                g->stack[top++] = d;
                        }
                }
        }
        return cnt;
}
