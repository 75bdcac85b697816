#!/usr/bin/env bash
# Does this tree's function library read what an older version stored?
# Builds impactd at OLD_COMMIT (a temporary git worktree), runs a
# benchmark's smoke against a private redis-server with that worker, then
# re-scores every incident twice: with the older library on its own state,
# and with this tree's on a copy, which upgrades it first
# (scripts/upgrade-compare.py).  Every reply must be the same.
#
#   scripts/upgrade-check.sh OLD_COMMIT [EVENTS] [INCIDENTS]
#
# EVENTS defaults to 100000 over INCIDENTS 10000.  IMPACTD_UPGRADE_WORKLOAD
# (default broad) names another workload: storm's 10 incidents hold tens of
# thousands of accounts and event ids each.  Redis runs on
# ${IMPACTD_UPGRADE_REDIS_PORT:-6496}.  Exit status 0 when every reply
# matched, 1 when one did not, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# < 1 || $# > 3)) || [[ $1 == -h || $1 == --help ]]; then
        echo "usage: $0 OLD_COMMIT [EVENTS] [INCIDENTS]" >&2
        exit 2
fi
old_commit=$(git rev-parse --verify "$1^{commit}")
events=${2:-100000}
incidents=${3:-10000}
port=${IMPACTD_UPGRADE_REDIS_PORT:-6496}
jobs=${IMPACTD_BUILD_JOBS:-2}
workload=${IMPACTD_UPGRADE_WORKLOAD:-broad}
spread=()
[[ $workload == broad ]] && spread=(--incidents "$incidents")

scripts/install-deps.sh
command -v python3 >/dev/null || apt-get install -y -q python3 >/dev/null
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DIMPACTD_TESTS=OFF \
        -DIMPACTD_BENCH=ON >/dev/null
cmake --build build-bench -j "$jobs" --target impactd-bench >/dev/null

work=$(mktemp -d /tmp/impactd-upgrade.XXXXXX)
cleanup() {
        scripts/redis-test.sh stop "$port" "$work/redis" || true
        git worktree remove --force "$work/old" 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT

git worktree add -f --detach "$work/old" "$old_commit" >/dev/null 2>&1
cmake -S "$work/old" -B "$work/old/build" -DCMAKE_BUILD_TYPE=Release \
        -DIMPACTD_TESTS=OFF >/dev/null
cmake --build "$work/old/build" -j "$jobs" --target impactd >/dev/null

mkdir -p "$work/redis"
scripts/redis-test.sh start "$port" "$work/redis"
cli() { redis-cli -p "$port" "$@"; }
cli function flush >/dev/null
build-bench/impactd-bench -w "$workload" -n "$events" "${spread[@]}" --smoke \
        -R "redis://127.0.0.1:$port/0" -i "$work/old/build/impactd" -S . |
        grep -E '^  (lost|redis memory)'

old_tag=$(cli function list | grep -a -A1 '^library_name$' | sed -n 's/^impactd_//p')
[[ -n $old_tag ]] || { echo "no function library of $old_commit loaded" >&2; exit 1; }
cli eval "for _, k in ipairs(redis.call('KEYS', '*')) do
            redis.call('COPY', k, k, 'DB', 1) end" 0 >/dev/null
sed "1s/.*/#!lua name=impactd_check/; s/register_function('impactd_/register_function('impactd_check_/" \
        src/lua/impactd.lua | cli -x function load >/dev/null
echo "==> ${old_commit:0:7} (library $old_tag) against this tree"
python3 scripts/upgrade-compare.py "$port" "$old_tag" check
