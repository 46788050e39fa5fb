#!/usr/bin/env bash
# Eight warms of one new key at once: one creation, eight successes, one
# path. Warms of different envs do not wait for each other.
. "$(dirname "$0")/lib.sh"

demo_config vc-beta==1.0 vc-alpha==1.1
cat >>venvcache.ini <<INI

[env other]
deps = vc-alpha==2.0
INI
export PIP_NO_CACHE_DIR=1 # count real downloads
pids=()
for i in 1 2 3 4 5 6 7 8; do
    ("$VENVCACHE_BIN" warm -e demo >"$T/out.$i" 2>"$T/err.$i"; echo $? >"$T/rc.$i") &
    pids+=($!)
done
wait "${pids[@]}"
for i in 1 2 3 4 5 6 7 8; do
    [ "$(cat "$T/rc.$i")" = 0 ] || fail "warm $i exited $(cat "$T/rc.$i"): $(cat "$T/err.$i")"
    [ "$(cat "$T/out.$i")" = "$VENVCACHE_VENV_ROOT/demo" ] || fail "warm $i printed $(cat "$T/out.$i")"
done
created=$(cat "$T"/err.* | grep -c 'demo: created' || true)
[ "$created" = 1 ] || fail "$created creations, expected 1"
n=$(mirror_requests '^GET /files/vc_alpha-1\.1-py3-none-any\.whl 200$')
[ "$n" = 1 ] || fail "vc-alpha 1.1 downloaded $n times"
vc stats --format json >"$T/stats.json"
python3 - "$T/stats.json" <<'PY' || fail "stats: $(cat "$T/stats.json")"
import json, sys
s = json.load(open(sys.argv[1]))["counters"]
assert s["creations"] == 1, s
assert s["present"] + s["hits"] == 7, s
PY

# A warm of another env does not wait for demo's lock; one of demo does.
lock=$VENVCACHE_VENV_ROOT/.venvcache/locks/demo.lock
[ -f "$lock" ] || fail "no lock file at $lock"
flock "$lock" sleep 60 &
holder=$!
VC_CLEANUP+=("pkill -P $holder; kill $holder")
sleep 0.3
rm -rf "$VENVCACHE_VENV_ROOT/demo"
timeout 60 "$VENVCACHE_BIN" warm -e other >/dev/null 2>"$T/err" || fail "warm of 'other' waited for demo's lock"
set +e
timeout 2 "$VENVCACHE_BIN" warm -e demo >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 124 ] || fail "warm of demo did not wait for its lock (exit $rc)"
pkill -P "$holder" || true
wait "$holder" 2>/dev/null || true
expect 0 warm -e demo
expect 0 --quiet warm --all -j 2
[ "$(wc -l <"$T/out")" = 2 ] || fail "warm --all printed $(cat "$T/out")"
echo "ok"
