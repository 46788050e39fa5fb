#!/usr/bin/env bash
# test-wheel.sh: builds the wheel, installs it into a fresh venv, and runs
# every end-to-end case (ctest -L cli) against the installed binary. Its last
# lines are CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
whl=$(scripts/build-wheel.sh build/wheel/dist)
rm -rf build/wheel/venv
python3 -m venv build/wheel/venv
build/wheel/venv/bin/pip install --quiet --no-index "$whl"
# The ELF: a grafted wheel's bin/venvcache is a Python shim that execs it.
bin=$(ls "$PWD"/build/wheel/venv/lib/python*/site-packages/venvcache.scripts/venvcache 2>/dev/null) ||
    bin="$PWD/build/wheel/venv/bin/venvcache"
echo "== end-to-end cases against $("$bin" --version) from $(basename "$whl")"
cmake -S . -B build/wheel-test -DVENVCACHE_TEST_BIN="$bin" >/dev/null
cmake --build build/wheel-test -j "$(nproc)"
exec ctest --test-dir build/wheel-test -L cli -E 'cli_t-wheel' -j "$(nproc)" --output-on-failure
