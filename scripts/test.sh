#!/usr/bin/env bash
# test.sh: what CI runs. Installs dependencies, checks formatting, builds
# with -Werror and runs the whole suite, then builds with ASan+UBSan and runs
# the whole suite again. Its last lines are CTest's summary.
#   scripts/test.sh            everything
#   scripts/test.sh --quick    the normal build only
#   scripts/test.sh --stress   as above, with two CPU hogs (busy loops)
#                              running beside it the whole time: the suite
#                              must pass on a busy machine too
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
stress=0
for arg in "$@"; do
    case $arg in
    --quick) quick=1 ;;
    --stress) stress=1 ;;
    *) echo "usage: scripts/test.sh [--quick] [--stress]" >&2; exit 2 ;;
    esac
done
jobs=$(nproc)

hogs=()
stop_hogs() {
    if [ ${#hogs[@]} -gt 0 ]; then
        kill "${hogs[@]}" 2>/dev/null || true
        wait "${hogs[@]}" 2>/dev/null || true
        hogs=()
    fi
}
trap stop_hogs EXIT
trap 'stop_hogs; exit 130' INT
trap 'stop_hogs; exit 143' TERM
if [ "$stress" -eq 1 ]; then
    for _ in 1 2; do
        sh -c 'while :; do :; done' &
        hogs+=($!)
    done
    echo "== stress: CPU hogs ${hogs[*]} run until the suite ends"
fi

scripts/bootstrap.sh

echo "== format"
scripts/check-format.sh

echo "== build (-Werror)"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVENVCACHE_WERROR=ON >/dev/null
cmake --build build/ci -j "$jobs"

echo "== tests"
if [ "$quick" -eq 1 ]; then
    ctest --test-dir build/ci -j "$jobs" --output-on-failure
    exit 0
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
# Without the cases labelled nosan (tests/CMakeLists.txt: their time goes
# to tox, auditwheel and the like; the normal stage runs them).
ctest --test-dir build/asan -j "$jobs" --output-on-failure -LE nosan
