#!/usr/bin/env bash
# Runs the whole suite, both builds, RUNS times in a row, on a machine
# kept busy, and counts the runs that failed: a test that fails one run in
# twenty is a defect (docs/testing.md).
#
#   scripts/soak.sh [--load N] [--side-by-side] RUNS
#
# --load N keeps N CPU hogs (stress-ng --cpu N) running for the whole soak;
# without it, bring your own load (a second soak from another checkout
# with another IMPACTD_TEST_REDIS_PORT, say).  --side-by-side runs the two
# builds at the same time, each with its own test Redis (the port and the
# next one): twice CI's load, and a run in the time of the slower build.
# Builds build-soak and build-soak-asan once, then runs their CTest entries
# with the settings of scripts/test.sh.  Prints one line per run and a
# summary; the logs of a failed run are kept in soak-logs/.  Exits 1 if any
# run failed.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
        sed -n '2,16p' "$0" >&2
        exit 2
}

load=0 side=0
while (($# > 1)); do
        case $1 in
        --load) load=$2; shift 2 ;;
        --side-by-side) side=1; shift ;;
        *) usage ;;
        esac
done
(($# == 1)) && [[ $1 =~ ^[0-9]+$ ]] && [[ $load =~ ^[0-9]+$ ]] || usage
runs=$1
port=${IMPACTD_TEST_REDIS_PORT:-6479}
asan_port=$((port + side))
jobs=${IMPACTD_BUILD_JOBS:-2}

scripts/install-deps.sh >/dev/null
if ((load > 0)) && ! command -v stress-ng >/dev/null; then
        apt-get install -y stress-ng >/dev/null
fi
cmake -S . -B build-soak -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMPACTD_TESTS=ON \
        -DIMPACTD_BENCH=OFF -DIMPACTD_TEST_REDIS_PORT="$port" >/dev/null
cmake --build build-soak -j "$jobs" >/dev/null
cmake -S . -B build-soak-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMPACTD_TESTS=ON \
        -DIMPACTD_BENCH=OFF -DIMPACTD_SANITIZE=ON \
        -DIMPACTD_TEST_REDIS_PORT="$asan_port" >/dev/null
cmake --build build-soak-asan -j "$jobs" >/dev/null

TMPDIR=$(mktemp -d /tmp/impactd-soak.XXXXXX)
export TMPDIR
hog=""
cleanup() {
        [[ -z $hog ]] || kill "$hog" 2>/dev/null || true
        rm -rf "$TMPDIR"
}
trap cleanup EXIT
if ((load > 0)); then
        stress-ng --cpu "$load" --quiet &
        hog=$!
fi
mkdir -p soak-logs

# As scripts/test.sh runs them.
. scripts/suite.sh
failed=0 t_all=$SECONDS
rel_ok=0 asan_ok=0 t_rel=0 t_asan=0
relwithdebinfo() {
        local t=$SECONDS
        suite_ctest build-soak >"$TMPDIR/rel.log" 2>&1 && rel_ok=1 || rel_ok=0
        t_rel=$((SECONDS - t))
}
sanitizers() {
        local t=$SECONDS
        suite_ctest_sanitized build-soak-asan >"$TMPDIR/asan.log" 2>&1 && asan_ok=1 || asan_ok=0
        t_asan=$((SECONDS - t))
}
for ((r = 1; r <= runs; r++)); do
        verdict=ok
        if ((side)); then
                # Each half in a subshell reports through a file.
                (relwithdebinfo; echo "$rel_ok $t_rel" >"$TMPDIR/rel.res") &
                half=$!
                sanitizers
                wait "$half"
                read -r rel_ok t_rel <"$TMPDIR/rel.res"
        else
                relwithdebinfo
                sanitizers
        fi
        if ((!rel_ok)); then
                verdict=FAILED
                cp "$TMPDIR/rel.log" "soak-logs/run$r-relwithdebinfo.log"
        fi
        if ((!asan_ok)); then
                verdict=FAILED
                cp "$TMPDIR/asan.log" "soak-logs/run$r-sanitizers.log"
        fi
        [[ $verdict == ok ]] || failed=$((failed + 1))
        fails=$(suite_failed "$TMPDIR/rel.log" "$TMPDIR/asan.log")
        printf 'run %2d/%d: %-6s relwithdebinfo %4d s, sanitizers %4d s %s\n' \
                "$r" "$runs" "$verdict" "$t_rel" "$t_asan" "$fails"
done
echo "soak: $runs runs of both builds ($( ((side)) && echo "side by side" || echo "one after the other"); load: ${load} CPU hogs), $failed failed," \
        "$((SECONDS - t_all)) s"
((failed == 0))
