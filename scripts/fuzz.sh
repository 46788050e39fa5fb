#!/usr/bin/env bash
# fuzz.sh: builds the libFuzzer targets with clang and runs each for a while.
#   scripts/fuzz.sh [SECONDS] [TARGET...]    default 60 s, every target
# Seeds come from tests/fuzz/corpus/<target>/ (read only); what the fuzzer
# finds goes to build-fuzz/corpus/<target>/, crashes to build-fuzz/artifacts/.
# Prints, for each target, its executions and whether it found anything.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
build=${VC_FUZZ_BUILD:-build-fuzz}
jobs=${VC_FUZZ_JOBS:-2}

CC=clang CXX=clang++ cmake -S . -B "$build" -DVENVCACHE_FUZZ=ON -DVENVCACHE_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=($(sed -n '/^set(VC_FUZZ_TARGETS/,/^)/{/^  /p}' tests/fuzz/CMakeLists.txt))
fi
if ! cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}" \
    >"$build/build.log" 2>&1; then
    tail -n 30 "$build/build.log" >&2
    exit 1
fi

mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
    mkdir -p "$build/corpus/$t"
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    log="$build/fuzz-$t.log"
    set +e
    "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$build/artifacts/$t-" \
        "${dict[@]}" "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $t: ${runs:-?} executions in ${secs}s, nothing found"
    else
        echo "fuzz $t: FOUND a problem after ${runs:-?} executions (see $log)"
        grep -m1 -E 'ERROR|SUMMARY|deadly signal' "$log" || true
        status=1
    fi
done
exit "$status"
