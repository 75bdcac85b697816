#!/usr/bin/env bash
# The long crash test: kill -9 a worker at random moments, RUNS times
# (default 100), KILLS kills per run (default 4), and check each run ends
# as an uninterrupted one (tests/integration/test_crash.c says how).  CI
# runs one run of it under CTest; this is the variant to run by hand:
#
#   tests/crash.sh [RUNS] [KILLS]        SEED=123 tests/crash.sh  (replay)
#
# Builds build-test if needed and uses a private redis-server on port
# ${IMPACTD_CRASH_REDIS_PORT:-6481}, stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-100}
kills=${2:-4}
port=${IMPACTD_CRASH_REDIS_PORT:-6481}

scripts/install-deps.sh
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMPACTD_TESTS=ON >/dev/null
cmake --build build-test -j "${IMPACTD_BUILD_JOBS:-2}" --target impactd test_crash

TMPDIR=$(mktemp -d /tmp/impactd-crash.XXXXXX)
export TMPDIR
scripts/redis-test.sh start "$port" "$TMPDIR/redis"
trap 'scripts/redis-test.sh stop "$port" "$TMPDIR/redis"; rm -rf "$TMPDIR"' EXIT

IMPACTD_BIN=$PWD/build-test/impactd IMPACTD_SOURCE_DIR=$PWD \
IMPACTD_TEST_REDIS_URL=redis://127.0.0.1:$port \
IMPACTD_CRASH_RUNS=$runs IMPACTD_CRASH_KILLS=$kills \
IMPACTD_CRASH_SEED=${SEED:-$(date +%s)} \
        build-test/tests/test_crash
