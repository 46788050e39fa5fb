#!/usr/bin/env bash
# A failed pip run leaves no venv, no store entry and no temporary files,
# and shows pip's error; bad inputs get one-line errors.
. "$(dirname "$0")/lib.sh"

mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env broken]
deps = vc-alpha==1.1
    vc-does-not-exist==9.9
INI
expect 1 warm -e broken
err_has "vc-does-not-exist"
err_has "pip install failed"
[ ! -e "$VENVCACHE_VENV_ROOT/broken" ] || fail "a failed warm left a venv"
[ -z "$(ls -A "$VENVCACHE_CACHE_DIR/entries" 2>/dev/null)" ] || fail "a failed warm left a store entry"
[ -z "$(ls -A "$VENVCACHE_VENV_ROOT/.venvcache/tmp" 2>/dev/null)" ] || fail "a failed warm left temporary files"

# An index that refuses connections: the cause, not only pip's last line
# ("No matching distribution found"), and no credentials. A port on
# 127.0.0.1 that was free a moment ago; one retry keeps pip quick.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dead="http://vc-user:s3cret-pw@127.0.0.1:$port/simple"
printf 'vc-alpha==1.1\n' >pinned.txt
PIP_RETRIES=1 expect 1 warm -r pinned.txt --index-url "$dead"
err_has "pip install failed with exit status 1: cannot reach the index: [Errno 111] Connection refused (/simple/vc-alpha/) (its output is above)"
err_lacks "s3cret-pw"
# Unpinned: the resolve fails the same way, the cause first.
printf 'vc-alpha\n' >loose.txt
VENVCACHE_RESOLVE=always PIP_RETRIES=1 expect 1 warm -r loose.txt --index-url "$dead"
err_has "pip could not resolve the requirements (exit status 1): cannot reach the index: [Errno 111] Connection refused (/simple/vc-alpha/); pip's last line: "
err_lacks "s3cret-pw"

# An interpreter that does not exist.
expect 1 warm -r /dev/null -p no-such-python3.99
err_has "no-such-python3.99"
err_one_line

# A requirements file that does not exist, and one with a bad line.
expect 1 warm -r missing.txt
err_has "missing.txt"
printf 'vc-alpha==1.1\nvc-beta>>=1\n' >bad.txt
expect 1 warm -r bad.txt
err_has "bad.txt:2"
expect 2 warm -e nope
err_has "unknown environment 'nope'"
expect 2 warm -j x -e broken

# Somebody's directory (no stamp) at the venv path is never replaced; an
# empty one is taken.
cat >>venvcache.ini <<'INI'

[env mine]
deps = vc-alpha==1.1

[env other]
deps = vc-delta==1.0
INI
mkdir -p "$VENVCACHE_VENV_ROOT/mine/Documents"
echo precious >"$VENVCACHE_VENV_ROOT/mine/Documents/thesis.txt"
expect 1 warm -e mine
err_has "was not made by venvcache"
err_one_line
grep -qx precious "$VENVCACHE_VENV_ROOT/mine/Documents/thesis.txt" || fail "warm replaced a directory it did not make"
rm -rf "$VENVCACHE_VENV_ROOT/mine"
echo data >"$VENVCACHE_VENV_ROOT/mine"
expect 1 warm -e mine
err_has "was not made by venvcache"
grep -qx data "$VENVCACHE_VENV_ROOT/mine" || fail "warm replaced a file"
rm -f "$VENVCACHE_VENV_ROOT/mine"
mkdir "$VENVCACHE_VENV_ROOT/mine"
expect 0 warm -e mine
"$VENVCACHE_VENV_ROOT/mine/bin/vc-alpha" | grep -qx "vc-alpha 1.1" || fail "warm into an empty directory"

# save packs only a venv made for the key it is saved under: a venv of
# env mine copied to env other's path is not saved as other.
cp -a "$VENVCACHE_VENV_ROOT/mine" "$VENVCACHE_VENV_ROOT/other"
expect 1 save -e other
err_has "was not made for key"
err_has "run 'venvcache warm' first"
other=$(vc key -e other)
[ ! -e "$VENVCACHE_CACHE_DIR/entries/$other.json" ] || fail "save stored another env's venv under $other"
# A stale venv of ours (stamp of another key) is replaced by warm.
expect 0 warm -e other
py_venv_has "$VENVCACHE_VENV_ROOT/other" vc-delta==1.0
expect 0 save -e other
echo "ok"
