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
echo "== end-to-end cases against $(build/wheel/venv/bin/venvcache --version) from $(basename "$whl")"
cmake -S . -B build/wheel-test -DVENVCACHE_TEST_BIN="$PWD/build/wheel/venv/bin/venvcache" >/dev/null
cmake --build build/wheel-test -j "$(nproc)"
exec ctest --test-dir build/wheel-test -L cli -E 'cli_t-wheel' -j "$(nproc)" --output-on-failure
