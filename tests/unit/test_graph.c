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

/* Reference: closure straight from the edge list, by fixed point. */
static void closure(size_t n, const size_t (*e)[2], size_t m, uint8_t *set) {
        for (int changed = 1; changed;) {
                changed = 0;
                for (size_t k = 0; k < m; k++)
                        if (set[e[k][1]] && !set[e[k][0]])
                                set[e[k][0]] = changed = 1;
        }
        (void)n;
}

/* 1,000 random DAGs (fixed seed), each hit by a random sequence of
 * failures: after every step the incremental set equals the closure of
 * all roots so far, and each service is added exactly once. */
static void test_incremental_equals_full_closure(void **state) {
        char errstr[256], namebuf[64][8];
        const char *nm[64];
        size_t e[512][2], added[64];
        (void)state;
        srand(20261122);
        for (int i = 0; i < 64; i++) {
                snprintf(namebuf[i], sizeof(namebuf[i]), "s%d", i);
                nm[i] = namebuf[i];
        }
        for (int round = 0; round < 1000; round++) {
                size_t n = 2 + (size_t)rand() % 62, m = 0;
                for (size_t a = 1; a < n; a++)
                        for (size_t b = 0; b < a && m < 512; b++)
                                if (rand() % 8 == 0) { /* a depends on b */
                                        e[m][0] = a;
                                        e[m++][1] = b;
                                }
                graph_t *g = graph_new_from_edges(n, nm, NULL,
                                                  (const size_t(*)[2])e, m,
                                                  errstr, sizeof(errstr));
                assert_non_null(g);
                uint8_t inc[64] = {0}, ref[64] = {0};
                size_t total = 0;
                for (int step = 0; step < 6; step++) {
                        size_t root = (size_t)rand() % n;
                        total += graph_blast_add(g, inc, root, added);
                        ref[root] = 1;
                        closure(n, (const size_t(*)[2])e, m, ref);
                        assert_memory_equal(inc, ref, n);
                }
                size_t marked = 0;
                for (size_t s = 0; s < n; s++)
                        marked += inc[s];
                assert_int_equal(total, marked);
                graph_destroy(g);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_database_failure_reaches_every_dependent),
                cmocka_unit_test(test_leaf_failure_stays_local),
                cmocka_unit_test(test_cycle_never_loops),
                cmocka_unit_test(test_built_from_the_catalog),
                cmocka_unit_test(test_incremental_equals_full_closure),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
