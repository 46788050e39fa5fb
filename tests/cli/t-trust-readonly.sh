#!/usr/bin/env bash
# Issue 15, item 6: a store venvcache cannot write (a read-only mount, a
# shared store of someone else) is read without locks. verify checks it
# and exits 1 on a bad entry (it used to call every entry "in use" and exit
# 0); a hit from it works and writes nothing; what would write fails
# clearly.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "skipped: a read-only bind mount needs root"
    exit 0
fi
mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env demo]
deps = vc-alpha==1.1
INI
venv=$VENVCACHE_VENV_ROOT/demo
expect 0 warm -e demo
archive=$(ls "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst)
cp "$archive" "$T/good.tar.zst"

ro=$T/ro
mkdir "$ro"
mount --bind "$VENVCACHE_CACHE_DIR" "$ro"
VC_CLEANUP+=("umount '$ro'")
mount -o remount,ro,bind "$ro"
touch "$ro/x" 2>/dev/null && fail "the bind mount is writable"

# A flipped byte: verify of the read-only store finds it.
printf '\xff' | dd of="$archive" bs=1 seek=1000 conv=notrunc status=none
expect 1 --cache-dir "$ro" verify
out_has "bad "
err_has "0 good, 1 bad, 0 removed, 0 in use"
err_lacks "in use'"
expect 1 --cache-dir "$ro" verify --fix
err_has "it is read-only"
err_one_line

# Intact again: good, and a hit from it writes nothing.
cp "$T/good.tar.zst" "$archive"
expect 0 --cache-dir "$ro" verify
err_has "1 good, 0 bad, 0 removed, 0 in use"
before=$(find "$VENVCACHE_CACHE_DIR" -printf '%p %s %T@\n' | sort)
rm -rf "$venv"
expect 0 --cache-dir "$ro" warm -e demo
err_has "demo: hit"
err_lacks "warning"
[ "$("$venv/bin/vc-alpha")" = "vc-alpha 1.1" ] || fail "the hit did not give a working venv"
after=$(find "$VENVCACHE_CACHE_DIR" -printf '%p %s %T@\n' | sort)
[ "$before" = "$after" ] || fail "the read-only store changed: $(diff <(echo "$before") <(echo "$after"))"
# A no-op warm too.
expect 0 --cache-dir "$ro" warm -e demo
err_lacks "warning"
expect 1 --cache-dir "$ro" gc --max-size 1
err_has "it is read-only"
# A miss is built from the mirror and used, not cached.
cat >>venvcache.ini <<INI

[env other]
deps = vc-alpha==1.0
INI
expect 0 --cache-dir "$ro" warm -e other
err_has "env other: not cached: the store '$ro' is read-only"
[ "$("$VENVCACHE_VENV_ROOT/other/bin/vc-alpha")" = "vc-alpha 1.0" ] || fail "the miss did not give a working venv"
after=$(find "$VENVCACHE_CACHE_DIR" -printf '%p %s %T@\n' | sort)
[ "$before" = "$after" ] || fail "the read-only store changed on a miss"
echo "ok"
