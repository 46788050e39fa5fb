#!/usr/bin/env bash
# quickstart.sh: from a fresh Debian/Ubuntu machine to a warm venv.
# Installs dependencies, builds venvcache, serves a small mirror of wheels
# built here on 127.0.0.1 (so this works offline), then warms the example
# environment twice: a miss (venv + pip, packed into the store) and, after
# the venv is removed and the mirror stopped, a hit (restored).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target venvcache

work=build/quickstart
rm -rf "$work"
mkdir -p "$work"
python3 scripts/make-wheels.py "$work/wheels" >/dev/null
python3 scripts/mirror.py serve "$work/wheels" --port-file "$work/port" &
mirror=$!
trap 'kill $mirror 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done

export VENVCACHE_CACHE_DIR=$PWD/$work/store
export VENVCACHE_VENV_ROOT=/dev/shm/venvcache-quickstart
export PIP_CONFIG_FILE=/dev/null
rm -rf "$VENVCACHE_VENV_ROOT"
vc() { build/venvcache -c examples/venvcache.ini "$@"; }
url=http://127.0.0.1:$(cat "$work/port")/simple

echo "== first warm: a miss (venv + pip from the mirror, then packed)"
time vc warm -e demo --index-url "$url"
echo "== venvcache run -e demo -- vc-alpha"
vc run -e demo -- vc-alpha

kill "$mirror"
rm -rf "$VENVCACHE_VENV_ROOT/demo"
echo "== second warm, venv removed and mirror stopped: a hit"
time vc warm -e demo
vc run -e demo -- vc-beta
echo "== the store"
vc list
vc stats
