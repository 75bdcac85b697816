#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz) and runs each for
# SECONDS (default 30) from its seed corpus in tests/fuzz/corpus, which it
# never modifies: new inputs go to a scratch corpus.  A crash leaves its
# input in build-fuzz/artifacts and fails the script.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   targets: json avro config ident records
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-30}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(json avro config ident records)

scripts/install-deps.sh
CC=clang cmake -S . -B build-fuzz -DIMPACTD_FUZZ=ON -DIMPACTD_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "${IMPACTD_BUILD_JOBS:-2}" \
        --target "${targets[@]/#/fuzz_}"

scratch=$(mktemp -d /tmp/impactd-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p build-fuzz/artifacts
for t in "${targets[@]}"; do
        mkdir -p "$scratch/$t"
        echo "==> fuzz_$t for $secs s" >&2
        # Config loads touch the disk; the decoders do not.
        LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp \
        build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$secs" \
                -max_len=8192 -print_final_stats=1 -detect_leaks=1 \
                -artifact_prefix=build-fuzz/artifacts/"$t"- \
                "$scratch/$t" tests/fuzz/corpus/"$t" 2>&1 |
                grep -E 'stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Done' >&2
        [[ ${PIPESTATUS[0]} -eq 0 ]] || { echo "==> fuzz_$t FAILED" >&2; exit 1; }
done
