#!/usr/bin/env bash
# bench.sh: venvcache against the alternatives, measured side by side in one
# run; prints the figures and ratios and writes them to BENCHMARKS.md.
#   scripts/bench.sh                       all fixtures, 5 runs each
#   scripts/bench.sh --runs 9 --fixtures small,heavy
# Fixtures and stores are kept in build/bench between runs; the RAM disk
# used is /dev/shm/venvcache-bench. PyPI is used only to fetch the real
# stacks and uv (skipped with a message when unreachable); every timed
# install reads from a mirror on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DVENVCACHE_TESTS=OFF >/dev/null
cmake --build build/bench -j "$(nproc)" --target venvcache >/dev/null
exec python3 scripts/bench.py --vc build/bench/venvcache --work build/bench/work \
    --command "scripts/bench.sh $*" "$@"
