#!/usr/bin/env bash
# Something else removes warm's temporary directory while an entry is being
# restored into it: warm fails, says so, and the (good) entry is kept; the
# next warm restores it.
. "$(dirname "$0")/lib.sh"

demo_config vc-alpha==1.1
venv=$VENVCACHE_VENV_ROOT/demo
tmp=$VENVCACHE_VENV_ROOT/.venvcache/tmp
expect 0 warm -e demo
# An entry that takes a while to restore: 30,000 more small files.
python3 - "$venv" <<'PY'
import os, sys
d = os.path.join(sys.argv[1], "bloat")
for i in range(300):
    os.makedirs(os.path.join(d, str(i)))
    for j in range(100):
        with open(os.path.join(d, str(i), "f%d.py" % j), "w") as f:
            f.write("x = %d\n" % (i * 100 + j))
PY
rm -f "$VENVCACHE_CACHE_DIR"/entries/*
expect 0 save -e demo
key=$(vc key -e demo)
[ -f "$VENVCACHE_CACHE_DIR/entries/$key.tar.zst" ] || fail "no entry $key"
mirror_stop

# Stop warm once files appear in its temporary directory, remove the
# directory, let warm go on.
caught=0
for attempt in 1 2 3 4 5; do
    rm -rf "$venv"
    "$VENVCACHE_BIN" warm -e demo >"$T/out" 2>"$T/err" &
    pid=$!
    stopped=0
    for i in $(seq 20000); do
        set -- "$tmp"/demo.*/bloat
        if [ -d "$1" ]; then
            kill -STOP "$pid" && stopped=1
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
    done
    if [ "$stopped" = 1 ]; then
        # Only a restore still under way counts.
        if [ -d "$1" ]; then
            rm -rf "$tmp"/demo.*
            caught=1
        fi
        kill -CONT "$pid"
    fi
    st=0
    wait "$pid" || st=$?
    [ "$caught" = 1 ] && break
    [ "$st" = 0 ] || fail "warm failed without interference: $(cat "$T/err")"
done
[ "$caught" = 1 ] || fail "never caught a restore under way in 5 attempts"
[ "$st" = 1 ] || fail "warm exited $st after its directory was removed: $(cat "$T/err")"
err_has "was removed or replaced while the entry was restored"
err_has "the entry is kept"
err_lacks "removing store entry"
[ ! -e "$venv" ] || fail "a venv was left at $venv"
[ -f "$VENVCACHE_CACHE_DIR/entries/$key.tar.zst" ] || fail "the good entry was removed"
expect 0 verify

# The entry is still good: the next warm restores it, with the mirror down.
expect 0 warm -e demo
[ -f "$venv/bloat/299/f99.py" ] || fail "restored venv lacks its files"
"$venv/bin/vc-alpha" | grep -qx "vc-alpha 1.1" || fail "restored venv does not work"
echo "ok"
