#!/usr/bin/env bash
# An env whose interpreter is not there does not stop the others (warm -a,
# key -a); it is an error reported at the end, by name, or a skip with
# skip-missing-interpreters = yes (tox's skip_missing_interpreters).
. "$(dirname "$0")/lib.sh"

mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env a]
deps = vc-alpha==1.1

[env b]
python = python3.99-not-here
deps = vc-alpha==1.1

[env c]
deps = vc-delta==1.0
INI

# key: every env is tried, the missing one named, no key printed.
expect 1 key -a
[ ! -s "$T/out" ] || fail "key printed keys with an env missing: $(cat "$T/out")"
err_has "venvcache.ini:8: [env b] python: cannot find 'python3.99-not-here' on PATH"
tail -n 1 "$T/err" | grep -qF "1 of 3 environments have no interpreter: b; no key printed" ||
    fail "key's last line: $(tail -n 1 "$T/err")"
# Skipped: the others' keys, in order, as key -e prints them.
VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 0 key -a
[ "$(wc -l <"$T/out")" = 2 ] || fail "skip: $(cat "$T/out")"
[ "$(sed -n 1p "$T/out")" = "$(vc key -e a)" ] || fail "first key is not a's"
[ "$(sed -n 2p "$T/out")" = "$(vc key -e c)" ] || fail "second key is not c's"
err_has "b: skipped (skip-missing-interpreters)"

# warm, one at a time and in parallel: a and c are made ready; b fails,
# named in the last line, or is skipped (exit 0).
for j in 1 2; do
    rm -rf "$VENVCACHE_VENV_ROOT"
    expect 1 warm -a -j $j
    [ -x "$VENVCACHE_VENV_ROOT/a/bin/python" ] || fail "-j $j: a is not ready"
    [ -x "$VENVCACHE_VENV_ROOT/c/bin/python" ] || fail "-j $j: c is not ready"
    [ "$(wc -l <"$T/out")" = 2 ] || fail "-j $j: paths: $(cat "$T/out")"
    tail -n 1 "$T/err" | grep -qx 'venvcache: warm: 1 of 3 environments failed: b' ||
        fail "-j $j: last line: $(tail -n 1 "$T/err")"
    VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 0 warm -a -j $j
    err_has "b: skipped (skip-missing-interpreters): venvcache.ini:8: [env b] python: cannot find"
    err_has "1 of 3 environments skipped (no interpreter): b"
    [ "$(wc -l <"$T/out")" = 2 ] || fail "-j $j skip: paths: $(cat "$T/out")"
done
# --github-output: the skipped env is out of key's key and of warm's
# save-key alike, so the store is saved under the key that was restored.
export GITHUB_OUTPUT="$T/github_output"
: >"$GITHUB_OUTPUT"
VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 0 key -a --github-output
gkey=$(sed -n 's/^key=//p' "$GITHUB_OUTPUT")
case "$gkey" in venv-envs2-*) ;; *) fail "key -a --github-output: '$gkey'" ;; esac
: >"$GITHUB_OUTPUT"
VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 0 warm -a --github-output
grep -qx 'envs=2' "$GITHUB_OUTPUT" || fail "warm envs output: $(cat "$GITHUB_OUTPUT")"
save=$(sed -n 's/^save-key=//p' "$GITHUB_OUTPUT")
case "$save" in "$gkey"-????????????????????????????????) ;;
*) fail "save-key '$save' is not under key '$gkey'" ;; esac
unset GITHUB_OUTPUT
# The step summary says skipped, not failed.
GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY=$T/summary.md VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 0 warm -a
grep -q '^| b | skipped, no interpreter' "$T/summary.md" || fail "summary: $(cat "$T/summary.md")"
grep -q 'failed' "$T/summary.md" && fail "summary: $(cat "$T/summary.md")"
# run, lock, export: b is skipped as warm skips it, the others are done.
VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 0 run -a -- python -c 'import sys; assert sys.prefix != sys.base_prefix'
err_has "b: skipped (skip-missing-interpreters): venvcache.ini:8: [env b] python: cannot find"
err_has "3 environments: every run succeeded, 1 skipped (no interpreter)"
expect 1 run -a -- python -c ''
err_has "b: not run (the env could not be made ready)"
# one env, skipped: nothing ran, which tox calls a failure too
VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 1 run -e b -- python -c ''
tail -n 1 "$T/err" | grep -qx "venvcache: run: b: not run: its interpreter is not there" ||
    fail "run -e b: last line: $(tail -n 1 "$T/err")"
VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 0 lock -a
err_has "b: skipped (skip-missing-interpreters)"
out_has "vc-alpha==1.1"
out_has "vc-delta==1.0"
expect 1 lock -a
err_has "cannot find 'python3.99-not-here'"
VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 0 export -a --to "$T/exported"
err_has "b: skipped (skip-missing-interpreters)"
err_has "exported 2 of 3 environments"
err_has "1 skipped (no interpreter)"
expect 1 export -a --to "$T/exported2"
# tox 4's own setting, from a tox.toml: its env's missing interpreter is a
# skip for key, lock and run alike, with no venvcache setting
cat >tox.toml <<TOML
env_list = ["a", "gone"]
skip_missing_interpreters = true
[env_run_base]
package = "skip"
deps = ["vc-alpha==1.1"]
[env.gone]
base_python = "python3.99-not-here"
TOML
rm venvcache.ini
printf '[mirror]\nindex-url = %s\n[venvcache]\ntox = tox.toml\n' "$MIRROR_URL" >venvcache.ini
expect 0 key -a
[ "$(wc -l <"$T/out")" = 1 ] || fail "tox.toml key -a: $(cat "$T/out")"
err_has "gone: skipped (skip_missing_interpreters): "
err_has "tox.toml:7: [env gone] python: cannot find"
expect 0 run -a -- python -c 'import vc_alpha'
err_has "2 environments: every run succeeded, 1 skipped (no interpreter)"
expect 0 lock -a
out_has "vc-alpha==1.1"
sed -i 's/^skip_missing_interpreters = true/skip_missing_interpreters = false/' tox.toml
expect 1 key -a
err_has "tox.toml:7: [env gone] python: cannot find 'python3.99-not-here'"
rm venvcache.ini tox.toml
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env a]
deps = vc-alpha==1.1

[env b]
python = python3.99-not-here
deps = vc-alpha==1.1

[env c]
deps = vc-delta==1.0
INI
# Another failure is still a failure with the setting.
printf '\n[env d]\ndeps = vc-does-not-exist==9\n' >>venvcache.ini
VENVCACHE_SKIP_MISSING_INTERPRETERS=yes expect 1 warm -a
tail -n 1 "$T/err" | grep -qx 'venvcache: warm: 1 of 4 environments failed: d' ||
    fail "last line: $(tail -n 1 "$T/err")"
echo "ok"
