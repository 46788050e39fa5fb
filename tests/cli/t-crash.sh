#!/usr/bin/env bash
# kill -9 at many points of restore, save and creation: the store always
# verifies, no half venv is ever marked ready, the next run cleans up and
# takes over the dead process's locks.
. "$(dirname "$0")/lib.sh"

demo_config vc-beta==1.0 vc-alpha==1.1
venv=$VENVCACHE_VENV_ROOT/demo
expect 0 warm -e demo

# After a kill: a stamped venv must work; the store must verify.
check_after_kill() {
    local what=$1
    if [ -e "$venv/.venvcache-stamp" ]; then
        "$venv/bin/vc-beta" >/dev/null 2>&1 || fail "$what: a half venv is marked ready"
    fi
    "$VENVCACHE_BIN" verify >"$T/verify" 2>&1 || fail "$what: the store does not verify: $(cat "$T/verify")"
}

kills=0
for ms in 0 3 6 10 15 20 25 30 40 50 60 70 80 100 120 150 200 250; do
    # Restore, killed.
    rm -rf "$venv"
    "$VENVCACHE_BIN" warm -e demo >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '0.%03d' "$ms")"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    check_after_kill "restore killed at ${ms} ms"
    # Save, killed.
    "$VENVCACHE_BIN" save -e demo >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '0.%03d' "$ms")"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    check_after_kill "save killed at ${ms} ms"
    kills=$((kills + 2))
done

# Creation, killed (pip running): locks of the dead are taken over.
cat >>venvcache.ini <<'INI'

[env fresh]
deps = vc-alpha==2.0
INI
for s in 0.5 1.5 3; do
    "$VENVCACHE_BIN" warm -e fresh >/dev/null 2>&1 &
    pid=$!
    sleep "$s"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [ ! -e "$VENVCACHE_VENV_ROOT/fresh/.venvcache-stamp" ] || "$VENVCACHE_VENV_ROOT/fresh/bin/vc-alpha" >/dev/null ||
        fail "creation killed at $s s: half venv marked ready"
    check_after_kill "creation killed at $s s"
    kills=$((kills + 1))
done
# pip processes orphaned by the kills may still be finishing.
sleep 1

# The next runs work, without waiting for dead processes' locks.
timeout 120 "$VENVCACHE_BIN" warm -e fresh >/dev/null 2>"$T/err" || fail "warm after kills: $(cat "$T/err")"
rm -rf "$venv"
timeout 60 "$VENVCACHE_BIN" warm -e demo >/dev/null 2>"$T/err" || fail "warm after kills: $(cat "$T/err")"
"$venv/bin/vc-beta" >/dev/null || fail "demo broken after the kills"
expect 0 verify
[ -z "$(ls -A "$VENVCACHE_VENV_ROOT/.venvcache/tmp")" ] || fail "leftovers: $(ls "$VENVCACHE_VENV_ROOT/.venvcache/tmp")"
[ -z "$(ls -A "$VENVCACHE_CACHE_DIR/tmp")" ] || fail "store leftovers: $(ls "$VENVCACHE_CACHE_DIR/tmp")"
note "$kills kill points"
echo "ok"
