#!/usr/bin/env bash
# memcheck.sh: every unit test under valgrind memcheck: no error, no leak.
#   scripts/memcheck.sh [BUILD_DIR]     default: build/ci
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/ci}
command -v valgrind >/dev/null || { echo "memcheck: valgrind is missing (scripts/bootstrap.sh)" >&2; exit 1; }
tests=$(find "$build/tests" -maxdepth 1 -type f -name 'check_*' -perm -u+x | sort)
[ -n "$tests" ] || { echo "memcheck: no unit tests in $build/tests" >&2; exit 1; }
failed=0
for t in $tests; do
    # CK_FORK=no: one process, so that valgrind sees every test's memory.
    if VC_MEMCHECK=1 CK_FORK=no CK_DEFAULT_TIMEOUT=600 VC_TEST_DATA=$PWD/tests/data \
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect "$t" >"$t.memcheck.log" 2>&1; then
        echo "memcheck: $(basename "$t"): clean"
    else
        echo "memcheck: $(basename "$t"): FAILED"
        tail -n 40 "$t.memcheck.log"
        failed=1
    fi
done
exit "$failed"
