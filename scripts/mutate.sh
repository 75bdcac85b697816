#!/usr/bin/env bash
# Breaks one behaviour on purpose and checks that the tests notice: applies
# a sed expression to a source file, builds (build-mutate), runs the CTest
# entries matching a regex, and restores the file whatever happens.
#
#   scripts/mutate.sh FILE SED_EXPR TEST_REGEX
#   scripts/mutate.sh src/log.c 's/ch == .\\n. || //' test_hostile
#
# Prints KILLED (a test failed: good) or SURVIVED (every test passed with
# the behaviour broken: the tests do not check it) and exits 0 or 1.  The
# expression must change the file: a mutant identical to the source is an
# error (exit 2), not a survivor.
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# != 3)); then
        sed -n '2,12p' "$0" >&2
        exit 2
fi
file=$1 expr=$2 tests=$3
[[ -f $file ]] || { echo "mutate: no file $file" >&2; exit 2; }

backup=$(mktemp /tmp/impactd-mutate.XXXXXX)
cp -p "$file" "$backup"
# Restored with a new time, so that the next build compiles the original
# again rather than keep this mutant's object.
restore() { cp "$backup" "$file"; touch "$file"; rm -f "$backup"; }
trap restore EXIT
sed -i -e "$expr" "$file"
if cmp -s "$file" "$backup"; then
        echo "mutate: '$expr' changes nothing in $file" >&2
        exit 2
fi
echo "==> mutant of $file:" >&2
diff -u "$backup" "$file" | sed -n '3,40p' >&2 || true

scripts/install-deps.sh
cmake -S . -B build-mutate -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DIMPACTD_TESTS=ON -DIMPACTD_BENCH=OFF >/dev/null
if ! cmake --build build-mutate -j "${IMPACTD_BUILD_JOBS:-2}" >/dev/null; then
        echo "KILLED (does not build): $file '$expr'"
        exit 0
fi
TMPDIR=$(mktemp -d /tmp/impactd-tests.XXXXXX)
export TMPDIR
trap 'restore; rm -rf "$TMPDIR"' EXIT
if ctest --test-dir build-mutate -R "$tests" --output-on-failure >"$TMPDIR/ctest.log" 2>&1; then
        echo "SURVIVED: $file '$expr' ($tests all passed)"
        exit 1
fi
grep -E '^\[  FAILED  \] [a-z_]+$|Failed|\*\*\*' "$TMPDIR/ctest.log" | sort -u | head -20
echo "KILLED: $file '$expr'"
