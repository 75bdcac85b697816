#!/usr/bin/env bash
# README command 2: build and run every test, twice — a RelWithDebInfo build,
# then one with AddressSanitizer + UndefinedBehaviorSanitizer.
# Usable from any directory; exits non-zero when any stage fails.  A failed
# configure or build stops at once; failed tests do not stop the second
# build, so that one run shows both (sanitizers often explain a failure).
# CTest starts and stops its own Redis (fixture around scripts/redis-test.sh);
# this script only makes sure the packages are there.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${IMPACTD_BUILD_JOBS:-2}
t_all=$SECONDS
failed=()

# stage NAME CMD...: runs CMD and prints its elapsed seconds; returns its status.
stage() {
        local name=$1 t0=$SECONDS rc=0
        shift
        echo "==> $name" >&2
        "$@" || rc=$?
        if ((rc == 0)); then
                echo "==> $name: $((SECONDS - t0)) s" >&2
        else
                echo "==> $name: $((SECONDS - t0)) s, FAILED (exit $rc)" >&2
        fi
        return "$rc"
}

# Tests that fail are recorded, and the run goes on.
test_stage() {
        stage "$@" || failed+=("$1")
}

stage "install dependencies" scripts/install-deps.sh

# The tests' temp dirs (configs, worker logs, clocks) go in a directory of
# this run's own, removed at the end: nothing else on the machine can clean
# them up under a running test, and a run leaves nothing behind.
TMPDIR=$(mktemp -d /tmp/impactd-tests.XXXXXX)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

# The settings of the run (CI's shortened outage, flood and kills).
. scripts/suite.sh

stage "configure build-test (RelWithDebInfo)" \
        cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMPACTD_TESTS=ON
stage "build build-test" cmake --build build-test -j "$jobs"
test_stage "ctest build-test" suite_ctest build-test

stage "configure build-asan (sanitizers)" \
        cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DIMPACTD_TESTS=ON -DIMPACTD_SANITIZE=ON
stage "build build-asan" cmake --build build-asan -j "$jobs"
test_stage "ctest build-asan" suite_ctest_sanitized build-asan

# The decoders and the config loader under libFuzzer, briefly: the long
# runs are documented in docs/testing.md.
test_stage "fuzz (5 s per target)" scripts/fuzz.sh 5

if ((${#failed[@]} > 0)); then
        echo "==> FAILED: ${failed[*]} (total $((SECONDS - t_all)) s)" >&2
        exit 1
fi
echo "==> all tests passed in $((SECONDS - t_all)) s" >&2
