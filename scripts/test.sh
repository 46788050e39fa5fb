#!/usr/bin/env bash
# test.sh: what CI runs. Installs dependencies, checks formatting, builds
# with -Werror and runs the whole suite, then builds with ASan+UBSan and runs
# the whole suite again. Its last lines are CTest's summary.
#   scripts/test.sh            everything
#   scripts/test.sh --quick    the normal build only
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = --quick ] && quick=1
jobs=$(nproc)

scripts/bootstrap.sh

echo "== format"
scripts/check-format.sh

echo "== build (-Werror)"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVENVCACHE_WERROR=ON >/dev/null
cmake --build build/ci -j "$jobs"

echo "== tests"
if [ "$quick" -eq 1 ]; then
    exec ctest --test-dir build/ci -j "$jobs" --output-on-failure
fi
ctest --test-dir build/ci -j "$jobs" --output-on-failure

echo "== unit tests under valgrind memcheck"
scripts/memcheck.sh build/ci

echo "== build (ASan+UBSan)"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DVENVCACHE_WERROR=ON \
    -DVENVCACHE_SANITIZE=ON >/dev/null
cmake --build build/asan -j "$jobs"

echo "== tests (ASan+UBSan)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exec ctest --test-dir build/asan -j "$jobs" --output-on-failure
