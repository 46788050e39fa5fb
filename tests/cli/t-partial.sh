#!/usr/bin/env bash
# Partial hits: with no entry for the exact set but one of the same env and
# interpreter, warm starts from the nearest entry and brings it to the exact
# set with pip; the result is what a fresh creation gives.
. "$(dirname "$0")/lib.sh"

mirror_start
write_config() {
    cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env p]
deps = $1
INI
}
venv=$VENVCACHE_VENV_ROOT/p
write_config "vc-beta==1.0
    vc-alpha==1.1
    vc-gamma[fast]==1.0"
expect 0 warm -e p
err_has "p: created"

# One added, one removed (with its dependency), one changed.
write_config "vc-beta==1.0
    vc-alpha==1.0
    vc-data==1.0"
expect 0 -vv warm -e p
err_has "p: partial"
py_venv_has "$venv" vc-alpha==1.0 vc-beta==1.0 vc-data==1.0
partial=$(py_venv_freeze "$venv")
"$venv/bin/vc-alpha" | grep -qx "vc-alpha 1.0" || fail "console script of the changed package"

# The same set created from scratch gives the same venv.
VENVCACHE_PARTIAL=no expect 0 --cache-dir "$T/fresh-store" --venv-root "$VC_SHM/fresh" warm -e p
err_has "p: created"
[ "$partial" = "$(py_venv_freeze "$VC_SHM/fresh/p")" ] ||
    fail "partial: $partial; fresh: $(py_venv_freeze "$VC_SHM/fresh/p")"

# It was saved under its exact key: a plain hit next time.
rm -rf "$venv"
expect 0 warm -e p
err_has "p: hit"
expect 0 stats --format json
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; assert c["partial_hits"]==1, c' "$T/out" ||
    fail "stats: $(cat "$T/out")"

# partial = no: a creation from scratch.
write_config "vc-alpha==2.0"
VENVCACHE_PARTIAL=no expect 0 warm -e p
err_has "p: created"
# seed = no: the entries above have pip, a venv without it never starts
# from one of them (it did: the partial hit kept pip). A second seedless
# set then starts from the seedless entry.
[ -x "$VC_UV" ] || fail "no uv at '$VC_UV': run scripts/bootstrap.sh"
write_config "vc-beta==1.0
    vc-alpha==1.1"
VENVCACHE_UV=$VC_UV VENVCACHE_SEED=no expect 0 -vv warm -e p
err_has "p: created"
err_lacks "p: partial"
"$venv/bin/python" -c 'import pip' 2>/dev/null && fail "seed = no, but the venv has pip"
write_config "vc-beta==1.0
    vc-alpha==1.0"
VENVCACHE_UV=$VC_UV VENVCACHE_SEED=no expect 0 -vv warm -e p
err_has "p: partial"
"$venv/bin/python" -c 'import pip' 2>/dev/null && fail "seed = no, but the partial hit has pip"
py_venv_has "$venv" vc-alpha==1.0 vc-beta==1.0
echo "ok"
