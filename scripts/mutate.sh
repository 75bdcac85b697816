#!/usr/bin/env bash
# Breaks behaviours on purpose and checks that the tests notice.  Each
# mutant is a sed expression applied to one source file; the build
# (build-mutate) is rebuilt, the CTest entries the mutant names run, and
# the file is restored whatever happens.  A mutant those entries miss runs
# against the whole suite (the memory flood and bench smoke aside) before
# it is called a survivor.
#
#   scripts/mutate.sh                    every mutant of tests/mutations/*.txt
#   scripts/mutate.sh NAME_REGEX         those whose name matches
#   scripts/mutate.sh FILE SED TESTS     one mutant given here
#
# Prints one line per mutant, KILLED (a test failed: good) or SURVIVED
# (every test passed with the behaviour broken: a test is missing), then a
# table; exits 1 if any survived, 2 on a mutant that changes nothing or
# does not build (a mistake in the list, not a kill).  Not run by CI: it
# takes about two minutes a mutant.  IMPACTD_TEST_REDIS_PORT picks the
# test Redis's port (default 6479), so that it can run beside the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/suite.sh

usage() {
        sed -n '2,18p' "$0" >&2
        exit 2
}

names=() files=() exprs=() tests=()

# Records of KEY: VALUE lines, blank-line separated; '#' starts a comment.
load_list() {
        local f line key val name="" file="" expr="" test=""
        flush() {
                if [[ -n $name$file$expr$test ]]; then
                        [[ -n $name && -n $file && -n $expr && -n $test ]] || {
                                echo "mutate: $f: incomplete record '$name'" >&2
                                exit 2
                        }
                        if [[ -z $only || $name =~ $only ]]; then
                                names+=("$name") files+=("$file")
                                exprs+=("$expr") tests+=("$test")
                        fi
                fi
                name="" file="" expr="" test=""
        }
        for f in tests/mutations/*.txt; do
                while IFS= read -r line || [[ -n $line ]]; do
                        [[ $line =~ ^[[:space:]]*# ]] && continue
                        if [[ -z ${line//[[:space:]]/} ]]; then
                                flush
                                continue
                        fi
                        key=${line%%:*}
                        val=${line#*:}
                        val=${val#"${val%%[![:space:]]*}"}
                        case $key in
                        name) name=$val ;;
                        file) file=$val ;;
                        sed) expr=$val ;;
                        tests) test=$val ;;
                        *) echo "mutate: $f: unknown key '$key'" >&2; exit 2 ;;
                        esac
                done <"$f"
                flush
        done
}

only=""
case $# in
0) load_list ;;
1) [[ $1 == -h || $1 == --help ]] && usage; only=$1; load_list ;;
3) names=("$2") files=("$1") exprs=("$2") tests=("$3") ;;
*) usage ;;
esac
((${#names[@]} > 0)) || { echo "mutate: no mutant matches" >&2; exit 2; }

scripts/install-deps.sh >/dev/null
cmake -S . -B build-mutate -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DIMPACTD_TESTS=ON -DIMPACTD_BENCH=OFF \
        -DIMPACTD_TEST_REDIS_PORT="${IMPACTD_TEST_REDIS_PORT:-6479}" >/dev/null
jobs=${IMPACTD_BUILD_JOBS:-2}
cmake --build build-mutate -j "$jobs" >/dev/null

TMPDIR=$(mktemp -d /tmp/impactd-mutate.XXXXXX)
export TMPDIR
backup=$TMPDIR/original
current=""
# Restored with a new time, so that the next build compiles the original
# again rather than keep a mutant's object.
restore() {
        if [[ -n $current ]]; then
                cp "$backup" "$current"
                touch "$current"
                current=""
        fi
}
trap 'restore; rm -rf "$TMPDIR"' EXIT

results=() survived=0 broken=0
for i in "${!names[@]}"; do
        name=${names[$i]} file=${files[$i]} expr=${exprs[$i]} test=${tests[$i]}
        [[ -f $file ]] || { echo "mutate: no file $file ($name)" >&2; exit 2; }
        cp -p "$file" "$backup"
        current=$file
        sed -i -e "$expr" "$file"
        if cmp -s "$file" "$backup"; then
                echo "ERROR: '$name': '$expr' changes nothing in $file" >&2
                results+=("ERROR     $name (changes nothing)")
                broken=$((broken + 1))
                restore
                continue
        fi
        echo "==> $name: $file" >&2
        diff -u "$backup" "$file" | sed -n '4,30p' >&2 || true
        if ! cmake --build build-mutate -j "$jobs" >"$TMPDIR/build.log" 2>&1; then
                echo "ERROR: '$name' does not build" >&2
                grep -m5 'error' "$TMPDIR/build.log" >&2 || true
                results+=("ERROR     $name (does not build)")
                broken=$((broken + 1))
                restore
                continue
        fi
        t0=$SECONDS verdict="" by=""
        if ctest --test-dir build-mutate -R "redis|$test" --output-on-failure \
                >"$TMPDIR/ctest.log" 2>&1; then
                # Its own tests missed it: does anything else see it?
                if ctest --test-dir build-mutate -j2 -E 'memory|bench' \
                        --output-on-failure >"$TMPDIR/ctest.log" 2>&1; then
                        verdict=SURVIVED
                        survived=$((survived + 1))
                else
                        verdict=KILLED by="(not by $test) "
                fi
        else
                verdict=KILLED
        fi
        if [[ $verdict == KILLED ]]; then
                by+=$(suite_failed "$TMPDIR/ctest.log")
        fi
        restore
        line=$(printf '%-9s %-48s %4ss %s' "$verdict" "$name" $((SECONDS - t0)) "$by")
        echo "$line"
        results+=("$line")
done

echo
echo "mutants: ${#names[@]}, survived: $survived, list errors: $broken"
printf '%s\n' "${results[@]}"
((broken == 0)) || exit 2
((survived == 0)) || exit 1
