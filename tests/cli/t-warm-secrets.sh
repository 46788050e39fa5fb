#!/usr/bin/env bash
# Mirror credentials reach pip and uv, and nothing else: not the output,
# not the venv's pip.conf, not the archive, the manifest, the stats or the
# config; not uv's arguments, nor the files of its cache.
. "$(dirname "$0")/lib.sh"

mirror_start --auth alice:Sup3rS3cretT0ken
cat >venvcache.ini <<'INI'
[mirror]
index-url = ${VC_T_MIRROR}
INI
export VC_T_MIRROR=$MIRROR_AUTH_URL
printf 'vc-beta==1.0\nvc-alpha==1.1\n' >req.txt
expect 0 -v warm -r req.txt --name sec
venv=$VENVCACHE_VENV_ROOT/sec
py_venv_check "$venv" vc_beta
# pip in the venv is pointed at the mirror, without the credentials.
grep -q "index-url = http://127.0.0.1:$MIRROR_PORT/simple" "$venv/pip.conf" || fail "pip.conf: $(cat "$venv/pip.conf")"
expect 0 config
out_has "***@127.0.0.1"
check_clean() {
    local where
    for where in "$@"; do
        if grep -rIl -e Sup3rS3cretT0ken -e alice: "$where" >"$T/leak" 2>/dev/null; then
            fail "credentials in: $(cat "$T/leak")"
        fi
    done
}
check_clean "$T/out" "$T/err" "$venv" "$VENVCACHE_CACHE_DIR"
for a in "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst; do
    unzstd -c "$a" | grep -a -q Sup3rS3cretT0ken && fail "credentials in $a"
done

# uv (installer = uv) resolves and installs through the same mirror with
# the credentials in its environment only: never in any program's argv.
uv_ini() {
    cat >venvcache.ini <<INI
[venvcache]
installer = uv
uv = $VC_UV
# a creation with uv (a partial hit from the entry above downloads with
# pip and installs with uv offline: t-trust-secrets-uv)
partial = no
[mirror]
index-url = \${VC_T_MIRROR}
INI
}
uv_ini
printf 'vc-beta>=1.0\nvc-alpha\n' >requv.txt
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    strace -f -qq -s 4096 -e trace=execve -o "$T/trace" "$VENVCACHE_BIN" -v warm -r requv.txt --name secuv >"$T/out" 2>"$T/err" ||
    fail "uv warm failed"
err_has "secuv: installer = uv"
err_has "resolving with uv"
grep -q "uv\", \[\"$VC_UV\", \"pip\", \"compile\"" "$T/trace" || fail "uv pip compile did not run: $(grep execve "$T/trace" | head -5)"
grep -q "\"pip\", \"install\", \"--python\"" "$T/trace" || fail "uv pip install did not run"
! grep -q -e Sup3rS3cretT0ken -e alice: "$T/trace" || fail "credentials in a program's arguments: $(grep -e Sup3rS3cretT0ken "$T/trace" | head -3)"
py_venv_has "$VENVCACHE_VENV_ROOT/secuv" vc-alpha==1.1 vc-beta==1.0
check_clean "$T/out" "$T/err" "$VENVCACHE_VENV_ROOT/secuv" "$VENVCACHE_CACHE_DIR" "$HOME/.cache/venvcache-uv"
for a in "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst; do
    unzstd -c "$a" | grep -a -q Sup3rS3cretT0ken && fail "credentials in $a"
done
# A uv failure prints uv's output: credentials hidden there too.
printf 'vc-does-not-exist>=1.0\n' >baduv.txt
expect 1 warm -r baduv.txt --name secuv2
err_has "uv could not resolve"
err_lacks Sup3rS3cretT0ken
check_clean "$T/err" "$VENVCACHE_CACHE_DIR"
cat >venvcache.ini <<'INI'
[mirror]
index-url = ${VC_T_MIRROR}
INI

# A pip failure prints pip's output: credentials hidden there too.
printf 'vc-does-not-exist==1.0\n' >bad.txt
expect 1 warm -r bad.txt --name sec2
err_lacks Sup3rS3cretT0ken
check_clean "$T/err" "$VENVCACHE_CACHE_DIR"
# No core file can hold them: venvcache (and what it starts) runs with a
# core size limit of 0. Seen on a warm waiting for its env's lock.
lock=$VENVCACHE_VENV_ROOT/.venvcache/locks/sec.lock
flock "$lock" sleep 30 &
holder=$!
VC_CLEANUP+=("pkill -P $holder; kill $holder")
sleep 0.3
rm -rf "$venv"
(ulimit -c unlimited; exec "$VENVCACHE_BIN" warm -r req.txt --name sec) &
waiter=$!
VC_CLEANUP+=("kill $waiter")
sleep 0.5
grep -E '^Max core file size +0 +0 ' "/proc/$waiter/limits" >/dev/null ||
    fail "core files allowed: $(grep core "/proc/$waiter/limits")"
kill "$waiter"
pkill -P "$holder" || true
echo "ok"
