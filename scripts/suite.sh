# Sourced by scripts/test.sh, scripts/soak.sh and scripts/mutate.sh: how
# the suite is run, so that a soak runs exactly what CI runs.

# CI's time budget: the Redis outage lasts 10 s here (30 s by hand, see
# docs/testing.md), and the sanitizer pass floods fewer incidents and
# kills the crash-test worker twice rather than three times.
export IMPACTD_TEST_REDIS_OUTAGE_S=${IMPACTD_TEST_REDIS_OUTAGE_S:-10}

# suite_ctest BUILD_DIR: every CTest entry of a build, two at a time.
suite_ctest() {
        ctest --test-dir "$1" --output-on-failure -j2
}

# suite_ctest_sanitized BUILD_DIR: the same for an IMPACTD_SANITIZE build.
suite_ctest_sanitized() {
        env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
                IMPACTD_MEMORY_INCIDENTS=40000 IMPACTD_CRASH_KILLS=2 \
                ctest --test-dir "$1" --output-on-failure -j2
}

# suite_failed LOG...: the CTest entries that failed or timed out in these
# CTest logs, comma-separated.
suite_failed() {
        cat "$@" | grep -oE '[0-9]+ - [a-z0-9_.]+ \((Failed|Timeout)\)' |
                sed -E 's/^[0-9]+ - //; s/ \(.*//' | sort -u | paste -sd, - || true
}
