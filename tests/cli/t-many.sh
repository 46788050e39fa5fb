#!/usr/bin/env bash
# warm --all -j: six environments at once, one result line each, paths in
# the config's order on stdout, and an overall exit status that says
# whether every one succeeded.
. "$(dirname "$0")/lib.sh"

mirror_start
{
    printf '[mirror]\nindex-url = %s\n\n' "$MIRROR_URL"
    i=0
    for deps in vc-alpha==1.0 vc-alpha==1.1 vc-alpha==2.0 vc-beta==1.0 \
        "vc-gamma[fast]==1.0" vc-data==1.0; do
        printf '[env e%d]\ndeps = %s\n\n' "$i" "$deps"
        i=$((i + 1))
    done
} >venvcache.ini

expect 0 warm --all -j 3
for i in 0 1 2 3 4 5; do
    sed -n "$((i + 1))p" "$T/out" | grep -qx "$VENVCACHE_VENV_ROOT/e$i" ||
        fail "line $((i + 1)) of stdout: $(sed -n "$((i + 1))p" "$T/out")"
    # created, or partial: entries of every env of the interpreter are
    # near (key format 2), and which ones exist first depends on timing
    grep -Eq "^venvcache: warm: e$i: (created|partial) in " "$T/err" || fail "no result line for e$i"
done
[ "$(wc -l <"$T/out")" = 6 ] || fail "stdout: $(cat "$T/out")"
"$VENVCACHE_VENV_ROOT/e2/bin/vc-alpha" | grep -qx "vc-alpha 2.0" || fail "e2 broken"
py_venv_check "$VENVCACHE_VENV_ROOT/e4" vc_gamma vc_delta

# All six again, venvs removed: six hits.
rm -rf "${VENVCACHE_VENV_ROOT:?}"/e*
expect 0 warm --all -j 6
[ "$(grep -c ': hit in ' "$T/err")" = 6 ] || fail "not six hits: $(cat "$T/err")"

# One env that cannot be made: the others are, and the status is 1.
printf '[env broken]\ndeps = vc-nowhere==1.0\n' >>venvcache.ini
rm -rf "$VENVCACHE_VENV_ROOT/e0"
expect 1 warm --all -j 4
err_has "1 of 7 environments failed"
grep -q "e0: hit" "$T/err" || fail "e0 was not restored alongside the failure"
[ "$(wc -l <"$T/out")" = 6 ] || fail "the six good paths are not all printed"
# restore of a set where one has no entry: status 3.
expect 3 restore --all
echo "ok"
