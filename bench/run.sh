#!/usr/bin/env bash
# The benchmark (docs/performance.md): builds impactd and impactd-bench
# (Release, build-bench/), starts a private redis-server, and runs each
# workload given (default: storm broad steady) against the embedded mock
# cluster, or against BROKERS when set.  Prints one table per workload and
# writes each as JSON to build-bench/results/<workload>.json.
#
#   bench/run.sh [WORKLOAD...] [-- impactd-bench options]
#   bench/run.sh storm -- --events 200000
#
# Redis: a private server on ${IMPACTD_BENCH_REDIS_PORT:-6495}, stopped at
# the end (database 0 is flushed by each run).  Exit status: non-zero when
# a workload failed or lost events.
set -euo pipefail
cd "$(dirname "$0")/.."

workloads=()
while (($#)) && [[ $1 != -- ]]; do
        workloads+=("$1")
        shift
done
[[ ${1:-} == -- ]] && shift
((${#workloads[@]})) || workloads=(storm broad steady)

port=${IMPACTD_BENCH_REDIS_PORT:-6495}
scripts/install-deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DIMPACTD_TESTS=OFF \
        -DIMPACTD_BENCH=ON >/dev/null
cmake --build build-bench -j "${IMPACTD_BUILD_JOBS:-2}" \
        --target impactd impactd-bench >/dev/null

dir=$(mktemp -d /tmp/impactd-bench-redis.XXXXXX)
scripts/redis-test.sh start "$port" "$dir"
trap 'scripts/redis-test.sh stop "$port" "$dir"; rm -rf "$dir"' EXIT
mkdir -p build-bench/results

rc=0
for w in "${workloads[@]}"; do
        build-bench/impactd-bench --workload "$w" \
                --redis "redis://127.0.0.1:$port/0" \
                --impactd build-bench/impactd --source . \
                ${BROKERS:+--brokers "$BROKERS"} \
                --out "build-bench/results/$w.json" "$@" || rc=1
done
exit "$rc"
