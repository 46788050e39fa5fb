#!/usr/bin/env bash
# Ad-hoc (-r FILE) environments are named per project, so two projects'
# venvs never replace each other; identical requirement sets share one
# store entry whatever their env names (the name is the venv's path only).
. "$(dirname "$0")/lib.sh"

mirror_start
export VENVCACHE_INDEX_URL=$MIRROR_URL
mkdir -p one/.git one/sub two
printf 'vc-alpha==1.1\n' >one/req.txt
printf 'vc-alpha==1.1\n' >two/req.txt

(cd one/sub && vc warm -r ../req.txt) >"$T/out" 2>"$T/err" || fail "warm in one/sub"
p1=$(cat "$T/out")
case "$p1" in "$VENVCACHE_VENV_ROOT/one-"????????) ;; *) fail "one's path: $p1" ;; esac
err_has "created"
# The same project from its root: the same env.
[ "$(cd one && vc path -r req.txt)" = "$p1" ] || fail "one's root and sub differ"

# Another project: its own venv, restored from the same entry.
(cd two && vc warm -r req.txt) >"$T/out" 2>"$T/err" || fail "warm in two"
p2=$(cat "$T/out")
case "$p2" in "$VENVCACHE_VENV_ROOT/two-"????????) ;; *) fail "two's path: $p2" ;; esac
err_has "hit"
[ -x "$p1/bin/python" ] || fail "two's warm replaced one's venv"
py_venv_has "$p2" vc-alpha==1.1
[ "$(ls "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst | wc -l)" -eq 1 ] ||
    fail "$(ls "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst | wc -l) entries for one set"
# Back in one: still present.
(cd one && vc -v warm -r req.txt) 2>"$T/err" >/dev/null || fail "warm in one again"
err_has "present"

# A config env with the same set, under another name: a hit as well.
printf '[env py-tests]\ndeps = vc-alpha==1.1\n' >two/venvcache.ini
(cd two && vc warm -e py-tests) >"$T/out" 2>"$T/err" || fail "warm -e py-tests"
err_has "py-tests: hit"
[ "$(ls "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst | wc -l)" -eq 1 ] || fail "a second entry"

# --name still names it.
(cd two && vc path -r req.txt --name mine) >"$T/out"
out_has "$VENVCACHE_VENV_ROOT/mine"
echo "ok"
