#!/usr/bin/env bash
# bench.sh: venvcache against the alternatives, measured side by side in one
# run; prints the figures and ratios and writes them to BENCHMARKS.md.
#   scripts/bench.sh                       all fixtures, 5 runs each
#   scripts/bench.sh --runs 9 --fixtures small,heavy
#   scripts/bench.sh --runs 1 --fixtures projects --out /tmp/b.md   (quick)
# Fixtures: small, heavy, pypi (two real stacks), projects (requests,
# itsdangerous and retrying from their sdists, the project's install
# included), resolve, many, uv and uv-heavy (venvcache with installer = uv
# against uv itself on the small and heavy fixtures: issue 13), tox (tox-uv
# against tox with the tox-venvcache plugin: issue 14). A run of some
# fixtures rewrites only their sections of BENCHMARKS.md. Fixtures, the projects' wheelhouse and stores
# are kept in build/bench between runs; the RAM disk used is
# /dev/shm/venvcache-bench. PyPI is used only to fetch the real stacks, the
# projects' sdists and wheels and the pinned uv (build/tools, as
# bootstrap.sh pins it); without it those are skipped with a message. Every
# timed install reads from a mirror on 127.0.0.1. Exits 1 when a hit of a
# project with its mirror stopped fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DVENVCACHE_TESTS=OFF >/dev/null
cmake --build build/bench -j "$(nproc)" --target venvcache >/dev/null
exec python3 scripts/bench.py --vc build/bench/venvcache --work build/bench/work \
    --command "scripts/bench.sh $*" "$@"
