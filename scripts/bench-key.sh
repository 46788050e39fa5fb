#!/usr/bin/env bash
# bench-key.sh: how long `venvcache key` takes on a 1,000-line requirements
# file once the interpreter's probe is cached (the budget is 5 ms).
#   scripts/bench-key.sh [BUILD_DIR]       default: build (or $VENVCACHE_BIN)
# Two files are measured: a pip-compile-like one (pins, ranges, extras,
# markers, hashes on continuation lines, "# via" comments) and a heavy one
# where every line has extras, two clauses, a marker and a hash. Prints the
# time per call (best of 5 batches, hyperfine when installed), the CPU time
# per call, `venvcache --version` as the floor, and each as a share of 5 ms.
# The declared set is keyed (resolve = never): with resolve = auto an
# unpinned set is resolved by pip once per resolve-ttl, which is not what
# this measures, and no request leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
bin=${VENVCACHE_BIN:-$build/venvcache}
[ -x "$bin" ] || { echo "bench-key: no $bin: build first (cmake --build $build)" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# The interpreter's real path: a pyenv shim is a script, never cached.
py=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vc-bench-key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export VENVCACHE_CACHE_DIR="$tmp/cache" VENVCACHE_RESOLVE=never
cd "$tmp"

# 1,000 lines like pip-compile's output.
awk 'BEGIN {
    srand(7); n = 0; i = 0
    split("django requests zope.interface typing_extensions PyYAML numpy pytest-cov attrs", names, " ")
    while (n < 1000) {
        name = names[int(rand() * 8) + 1] "-" i; i++; r = rand()
        if (r < 0.55)      { print name "==" i % 30 "." i % 10 "." i % 7; n++ }
        else if (r < 0.70) { print name ">=" i % 9 "." i % 5 ",<" i % 9 + 1; n++ }
        else if (r < 0.80) { print name "[security]==" i % 9 "." i % 5; n++ }
        else if (r < 0.88) { print name "==" i % 9 "." i % 5 " ; python_version < \"3." i % 12 "\""; n++ }
        else if (r < 0.94) { print "    # via " name; n++ }
        else {
            h = ""; for (k = 0; k < 64; k++) h = h substr("0123456789abcdef", int(rand() * 16) + 1, 1)
            print name "==" i % 9 "." i % 5 " \\"; print "    --hash=sha256:" h; n += 2
        }
    }
}' >typical.txt
# 1,000 heavy lines.
awk 'BEGIN {
    srand(11)
    for (i = 0; i < 1000; i++) {
        h = ""; for (k = 0; k < 64; k++) h = h substr("0123456789abcdef", int(rand() * 16) + 1, 1)
        printf "Package_%d[Extra%d,tests]>=%d.%d,<%d ; python_version >= \"3.%d\" and sys_platform != \"win32\" --hash=sha256:%s\n", i, i % 7, i % 9, i % 5, i % 9 + 1, i % 12, h
    }
}' >heavy.txt

"$bin" key -r typical.txt -p "$py" >/dev/null # caches the probe

# time_calls LABEL CMD...: mean wall ms per call (best batch), CPU ms per call.
time_calls() {
    local label=$1 best=999999 i b s e t0 t1 cpu
    shift
    if command -v hyperfine >/dev/null; then
        best=$(hyperfine -N --warmup 20 --runs 300 --export-json "$tmp/h.json" "$*" >/dev/null 2>&1 &&
            python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["results"][0]["mean"]*1e6))' "$tmp/h.json")
    else
        for b in 1 2 3 4 5; do
            s=$(date +%s%N)
            for i in $(seq 100); do "$@" >/dev/null; done
            e=$(date +%s%N)
            t=$(((e - s) / 100 / 1000))
            [ "$t" -lt "$best" ] && best=$t
        done
    fi
    t0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
    for i in $(seq 200); do "$@" >/dev/null; done
    t1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
    cpu=$(((t1 - t0) * 1000000 / $(getconf CLK_TCK) / 200))
    printf '%-34s %6d.%02d ms/call  (cpu %d.%02d ms)  %5.1f%% of 5 ms\n' "$label" \
        $((best / 1000)) $((best % 1000 / 10)) $((cpu / 1000)) $((cpu % 1000 / 10)) \
        "$(awk -v t="$best" 'BEGIN { print t / 50 }')"
}

echo "venvcache key, probe cached, python $py"
time_calls "venvcache --version (the floor)" "$bin" --version
time_calls "key, 1,000 lines (pip-compile)" "$bin" key -r typical.txt -p "$py"
time_calls "key, 1,000 heavy lines" "$bin" key -r heavy.txt -p "$py"
