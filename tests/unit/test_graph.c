/* The service graph: reverse edges, and an incremental blast radius that
 * always equals the full downstream closure of everything impacted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "graph.h"

/* payments-db <- payments <- checkout-web; search alone. */
static const char *const names[] = {"payments-db", "payments", "checkout-web",
                                    "search"};
static const int64_t users[] = {25000, 25000, 25000, 40000};
static const size_t edges[][2] = {{1, 0}, {2, 1}};

static void test_database_failure_reaches_every_dependent(void **state) {
        char errstr[256];
        size_t added[4];
        uint8_t impacted[4] = {0};
        (void)state;
        graph_t *g = graph_new_from_edges(4, names, users, edges, 2, errstr,
                                          sizeof(errstr));
        assert_non_null(g);
        assert_int_equal(graph_blast_add(g, impacted, 0, added), 3);
        assert_int_equal(added[0], 0); /* the root first */
        assert_true(impacted[0] && impacted[1] && impacted[2]);
        assert_false(impacted[3]);
        /* Already in the blast radius: nothing new, no work. */
        assert_int_equal(graph_blast_add(g, impacted, 1, added), 0);
        assert_int_equal(graph_blast_add(g, impacted, 3, added), 1);
        assert_int_equal(added[0], 3);
        graph_destroy(g);
}

static void test_leaf_failure_stays_local(void **state) {
        char errstr[256];
        size_t added[4];
        uint8_t impacted[4] = {0};
        (void)state;
        graph_t *g = graph_new_from_edges(4, names, users, edges, 2, errstr,
                                          sizeof(errstr));
        assert_int_equal(graph_blast_add(g, impacted, 2, added), 1);
        assert_true(impacted[2]);
        assert_false(impacted[0] || impacted[1] || impacted[3]);
        assert_int_equal(graph_index(g, "checkout-web"), 2);
        assert_int_equal(graph_index(g, "nope"), -1);
        assert_int_equal(graph_users(g, 3), 40000);
        graph_destroy(g);
}

/* Even a cycle (config_load refuses one; the walk must not rely on it)
 * ends, with every service on it marked once. */
static void test_cycle_never_loops(void **state) {
        static const size_t cyc[][2] = {{0, 1}, {1, 2}, {2, 0}};
        char errstr[256];
        size_t added[4];
        uint8_t impacted[4] = {0};
        (void)state;
        graph_t *g = graph_new_from_edges(4, names, users, cyc, 3, errstr,
                                          sizeof(errstr));
        assert_int_equal(graph_blast_add(g, impacted, 1, added), 3);
        graph_destroy(g);
}

static void test_built_from_the_catalog(void **state) {
        static const char yaml[] =
                "services:\n"
                "  checkout-web: {users: 25000, depends_on: [payments]}\n"
                "  payments: {users: 25000, depends_on: [payments-db]}\n"
                "  payments-db: {users: 25000}\n"
                "  search: {users: 40000}\n";
        char errstr[512];
        (void)state;
        config_t *conf = config_load_string(yaml, sizeof(yaml) - 1, "t.yaml",
                                            errstr, sizeof(errstr));
        assert_non_null(conf);
        graph_t *g = graph_new(conf, errstr, sizeof(errstr));
        assert_non_null(g);
        size_t added[4];
        uint8_t impacted[4] = {0};
        long db = graph_index(g, "payments-db");
        assert_int_equal(graph_blast_add(g, impacted, (size_t)db, added), 3);
        assert_false(impacted[graph_index(g, "search")]);
        graph_destroy(g);
        config_destroy(conf);
}

/* ---- property: the incremental blast radius is the full closure ---- */

#define MAX_N     64
#define MAX_EDGES (4 * MAX_N * MAX_N)

static uint64_t rng = 20261122;

static size_t rnd(size_t below) { /* xorshift64: the same on every libc */
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (size_t)(rng % below);
}

typedef struct {
        size_t n, m;
        size_t e[MAX_EDGES][2]; /* (dependent, dependency) */
} edges_t;

/* A DAG: services in a random order, each depending only on services
 * before it, with a random density. */
static void random_dag(edges_t *g) {
        size_t rank[MAX_N], p = 1 + rnd(8);

        g->n = 1 + rnd(MAX_N);
        g->m = 0;
        for (size_t i = 0; i < g->n; i++) {
                size_t j = rnd(i + 1);
                rank[i] = rank[j];
                rank[j] = i;
        }
        for (size_t a = 0; a < g->n; a++)
                for (size_t b = 0; b < g->n; b++)
                        if (rank[a] > rank[b] && rnd(p) == 0) {
                                g->e[g->m][0] = a;
                                g->e[g->m++][1] = b;
                        }
}

/* A DAG plus back edges, self-loops and duplicate edges: config_load
 * refuses these, the walk must not rely on it. */
static void random_cyclic(edges_t *g) {
        random_dag(g);
        size_t m = g->m, extra = 1 + rnd(2 * g->n);
        for (size_t k = 0; k < extra; k++) {
                size_t a = rnd(g->n), b = rnd(g->n);
                if (m && rnd(2)) { /* reverse an edge: a cycle */
                        size_t *old = g->e[rnd(m)];
                        a = old[1];
                        b = old[0];
                }
                g->e[g->m][0] = a;
                g->e[g->m++][1] = b;
        }
}

/* The reference, naive on purpose: a breadth-first search from scratch
 * from every root so far, scanning the whole edge list for the
 * dependents of each service it reaches. */
static void naive_closure(const edges_t *g, const size_t *roots,
                          size_t roots_cnt, uint8_t *set) {
        size_t queue[MAX_N], head = 0, tail = 0;

        memset(set, 0, g->n);
        for (size_t r = 0; r < roots_cnt; r++) {
                if (set[roots[r]])
                        continue;
                set[roots[r]] = 1;
                queue[tail++] = roots[r];
                while (head < tail) {
                        size_t s = queue[head++];
                        for (size_t k = 0; k < g->m; k++)
                                if (g->e[k][1] == s && !set[g->e[k][0]]) {
                                        set[g->e[k][0]] = 1;
                                        queue[tail++] = g->e[k][0];
                                }
                }
        }
}

/* One graph_blast_add against the reference: the marked set is the
 * closure of all roots so far, `added` lists exactly the newly marked
 * services (the root first), once each, and the count is returned. */
static void check_step(const graph_t *g, const edges_t *e, uint8_t *inc,
                       const size_t *roots, size_t roots_cnt, size_t *added) {
        uint8_t before[MAX_N], ref[MAX_N], seen[MAX_N] = {0};
        size_t root = roots[roots_cnt - 1], fresh = 0;

        memcpy(before, inc, e->n);
        size_t cnt = graph_blast_add(g, inc, root, added);
        naive_closure(e, roots, roots_cnt, ref);
        assert_memory_equal(inc, ref, e->n);
        for (size_t s = 0; s < e->n; s++)
                fresh += inc[s] && !before[s];
        assert_int_equal(cnt, fresh);
        for (size_t i = 0; i < cnt; i++) {
                assert_true(added[i] < e->n);
                assert_false(before[added[i]]);
                assert_false(seen[added[i]]);
                seen[added[i]] = 1;
        }
        if (cnt)
                assert_int_equal(added[0], root);
        else
                assert_true(before[root]);
}

static void run_case(edges_t *e, const char *const *nm) {
        char errstr[256];
        size_t roots[16], steps = 1 + rnd(12);
        uint8_t inc[MAX_N] = {0};
        /* Exactly graph_size() entries, so an overrun (a walk that loops)
         * is caught by the sanitizers, not absorbed by slack. */
        size_t *added = malloc(e->n * sizeof(*added));
        graph_t *g =
                graph_new_from_edges(e->n, nm, NULL, (const size_t(*)[2])e->e,
                                     e->m, errstr, sizeof(errstr));

        assert_non_null(added);
        assert_non_null(g);
        for (size_t r = 0; r < steps; r++) {
                roots[r] = rnd(e->n);
                check_step(g, e, inc, roots, r + 1, added);
        }
        graph_destroy(g);
        free(added);
}

/* 1,500 random graphs (fixed seed), each hit by a random sequence of
 * failures; a third of them have cycles, on which the walk must still
 * end: the alarm turns a loop into a failure instead of a hang. */
static void test_blast_add_equals_naive_closure(void **state) {
        static edges_t e;
        char namebuf[MAX_N][8];
        const char *nm[MAX_N];
        (void)state;
        for (int i = 0; i < MAX_N; i++) {
                snprintf(namebuf[i], sizeof(namebuf[i]), "s%d", i);
                nm[i] = namebuf[i];
        }
        alarm(30);
        for (int round = 0; round < 1500; round++) {
                if (round % 3 == 2)
                        random_cyclic(&e);
                else
                        random_dag(&e);
                run_case(&e, nm);
        }
        alarm(0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_database_failure_reaches_every_dependent),
                cmocka_unit_test(test_leaf_failure_stays_local),
                cmocka_unit_test(test_cycle_never_loops),
                cmocka_unit_test(test_built_from_the_catalog),
                cmocka_unit_test(test_blast_add_equals_naive_closure),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
