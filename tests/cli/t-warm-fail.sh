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
echo "ok"
