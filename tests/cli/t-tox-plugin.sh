#!/usr/bin/env bash
# The tox 4 plugin (tox-venvcache/), with real tox 4.67 and tox-uv of
# build/tox4, against the loopback mirror: `tox -e a,b,c` with the plugin
# gives venvs whose pip freeze is tox's own without it (tox's virtualenv
# runner, i.e. without tox-uv, and tox-uv's); a second run with nothing
# changed creates, restores and installs nothing, with the plugin or
# without it (it records what venvcache installed as tox does); after
# `rm -rf .tox` or `tox -r` the venvs are restored, not installed;
# package = editable, sdist, wheel, deps-only and skip_install: tox
# installs the package itself into venvcache's venv; a change of deps is
# a new key; with venvcache missing or failing, tox makes the venvs
# itself after one warning.
. "$(dirname "$0")/lib.sh"

TOXPY=$VC_SRC/build/tox4/bin/python
[ -x "$TOXPY" ] || fail "no $TOXPY (run scripts/tox4-venv.sh)"
# pip install ./tox-venvcache, into a directory of the test (build/tox4 is
# shared); PYTHONPATH makes its entry point tox's plugin (tox does not pass
# PYTHONPATH on to the environments' commands).
cp -r "$VC_SRC/tox-venvcache" src-plugin
"$TOXPY" -m pip install -q --no-deps --no-build-isolation --no-index --target "$T/plugin-site" ./src-plugin >"$T/err" 2>&1 ||
    fail "pip install ./tox-venvcache failed"
mkdir bin && ln -s "$VENVCACHE_BIN" bin/venvcache
export PATH=$T/bin:$PATH
[ -x "$VC_UV" ] && export VENVCACHE_UV=$VC_UV

mirror_start
# tox's pip and uv take the mirror from their environment, venvcache from its own.
export VENVCACHE_INDEX_URL=$MIRROR_URL PIP_INDEX_URL=$MIRROR_URL UV_INDEX_URL=$MIRROR_URL
export UV_CACHE_DIR=$T/uv-cache UV_PYTHON_DOWNLOADS=never

# The projects and their .tox live on the RAM disk: removing a tree of
# pip's venvs from the disk took 51 s under load.
cd "$VC_SHM" || fail "cd $VC_SHM"
mkdir proj
cat >proj/pyproject.toml <<'EOT'
[build-system]
requires = ["vc-backend==1.0"]
build-backend = "vc_backend"

[project]
name = "vc-app"
version = "0.1"
dependencies = ["vc-data==1.0"]
optional-dependencies = {fast = ["vc-future==1.0"]}

[dependency-groups]
test = ["vc-gamma", {include-group = "more"}]
more = ["vc-delta"]
EOT
echo 'vc-alpha==1.0' >proj/constraints.txt
mkdir proj/vc_app && echo '__version__ = "0.1"' >proj/vc_app/__init__.py
cat >proj/tox.ini <<'EOT'
[tox]
env_list = a, b, c

[testenv]
package = skip
base_python = python3.11
commands = python -c 'import vc_gamma, vc_delta'

[testenv:a]
dependency_groups = test
deps = vc-alpha==1.1

[testenv:b]
dependency_groups = test
deps = vc-beta
constraints = constraints.txt

[testenv:c]
package = wheel
extras = fast
deps = vc-alpha==1.0
commands = python -c 'import vc_app, vc_data, vc_future'

[testenv:d]
package = editable
commands = python -c 'import vc_app, vc_data'

[testenv:e]
package = sdist
commands = python -c 'import vc_app, vc_data'

[testenv:f]
skip_install = true
deps = vc-beta
commands = python -c 'import vc_beta'

[testenv:g]
package = deps-only
extras = fast
commands = python -c 'import vc_data, vc_future'
EOT

# tox_in DIR [VAR=VALUE...]: runs `tox $TOXARGS` (-e a,b,c) in DIR, output
# in $T/tox.out.
TOXARGS="-e a,b,c"
tox_in() {
    local dir=$1
    shift
    # shellcheck disable=SC2086 # TOXARGS is words
    (cd "$dir" && env "$@" "$VC_SRC/build/tox4/bin/tox" $TOXARGS >"$T/tox.out" 2>&1) ||
        { cat "$T/tox.out" >&2; fail "tox $TOXARGS in $dir failed"; }
}
# What tox prints when it installs deps, groups or a package's deps (the
# plain runs show that it does).
INSTALLS='install_deps>|install_dependency-groups>|install_package_deps>'
installed() { grep -Eq "$INSTALLS" "$T/tox.out"; }
counter() {
    vc stats --format json >"$T/stats.json"
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; print(sum(c[k] for k in sys.argv[2:]))' "$T/stats.json" "$@"
}
same_freeze() { # same_freeze DIR1 DIR2 [ENV...] (a b c)
    local e d1=$1 d2=$2
    shift 2
    [ $# -gt 0 ] || set -- a b c
    for e in "$@"; do
        [ -x "$d1/.tox/$e/bin/python" ] || fail "no venv $d1/.tox/$e"
        [ "$(py_venv_freeze "$d1/.tox/$e")" = "$(py_venv_freeze "$d2/.tox/$e")" ] ||
            fail "$e: pip freeze differs: $(py_venv_freeze "$d1/.tox/$e" | tr '\n' ' ')/ $(py_venv_freeze "$d2/.tox/$e" | tr '\n' ' ')"
    done
}
no_warning() { grep -q 'venvcache: .*tox makes the environment itself' "$T/tox.out" && fail "a fallback: $(cat "$T/tox.out")"; true; }

for runner in virtualenv uv; do
    note "runner: $runner"
    if [ $runner = virtualenv ]; then off=TOX_DISABLED_EXTERNAL_PLUGINS=tox-uv; else off=TOX_NOTHING=; fi
    rm -rf plain withvc
    cp -r proj plain
    cp -r proj withvc
    tox_in plain "$off"
    installed || fail "$runner: tox printed no install: $(cat "$T/tox.out")"
    py_venv_has plain/.tox/a vc-alpha==1.1 vc-gamma==1.0 vc-delta==1.0
    py_venv_has plain/.tox/c vc-alpha==1.0 vc-app==0.1 vc-data==1.0 vc-future==1.0
    c0=$(counter misses partial_hits) r0=$(counter restores)
    tox_in withvc "$off" PYTHONPATH="$T/plugin-site"
    no_warning
    [ -f withvc/.tox/a/.venvcache-stamp ] && [ -f withvc/.tox/b/.venvcache-stamp ] && [ -f withvc/.tox/c/.venvcache-stamp ] ||
        fail "$runner: the venvs are not venvcache's: $(cat "$T/tox.out")"
    same_freeze withvc plain
    c1=$(counter misses partial_hits) r1=$(counter restores)
    # tox-uv's venvs have no pip (uv_seed = false), nor have venvcache's then (seed = no): other keys
    [ "$c1" -eq $((c0 + 3)) ] || fail "$runner: $((c1 - c0)) misses (partial or not), expected 3"
    if [ $runner = uv ]; then
        [ ! -e withvc/.tox/a/bin/pip ] || fail "uv: pip in a, as tox-uv does not seed"
    else
        [ -x withvc/.tox/a/bin/pip ] || fail "virtualenv: no pip in a, as tox's virtualenv seeds"
    fi
    # Nothing changed: no creation, no restore, no install by tox.
    stamp=$(stat -c %Y.%i withvc/.tox/a/.venvcache-stamp)
    tox_in withvc "$off" PYTHONPATH="$T/plugin-site"
    no_warning
    [ "$(counter misses partial_hits)" -eq "$c1" ] && [ "$(counter restores)" -eq "$r1" ] ||
        fail "$runner: a second run did work"
    [ "$(stat -c %Y.%i withvc/.tox/a/.venvcache-stamp)" = "$stamp" ] || fail "$runner: a second run replaced a"
    # (c's package itself is built and installed by tox on every run, as without the plugin)
    ! installed || fail "$runner: a second run installed: $(cat "$T/tox.out")"
    # tox alone finds what it would install recorded, as after its own run.
    tox_in withvc "$off"
    ! installed || fail "$runner: tox alone installed after the plugin's run: $(cat "$T/tox.out")"
    # rm -rf .tox: restored, not created.
    rm -rf withvc/.tox
    tox_in withvc "$off" PYTHONPATH="$T/plugin-site"
    no_warning
    [ "$(counter misses partial_hits)" -eq "$c1" ] && [ "$(counter restores)" -eq $((r1 + 3)) ] ||
        fail "$runner: after rm -rf .tox: $(($(counter misses partial_hits) - c1)) misses, $(($(counter restores) - r1)) restores; expected 0, 3"
    ! installed || fail "$runner: after rm -rf .tox, tox installed: $(cat "$T/tox.out")"
    same_freeze withvc plain
    # tox -r: tox empties a's directory, the plugin restores a fresh venv.
    echo stale >withvc/.tox/a/stale
    TOXARGS="-r -e a" tox_in withvc "$off" PYTHONPATH="$T/plugin-site"
    no_warning
    [ "$(counter misses partial_hits)" -eq "$c1" ] && [ "$(counter restores)" -eq $((r1 + 4)) ] ||
        fail "$runner: tox -r: $(($(counter misses partial_hits) - c1)) misses, $(($(counter restores) - r1 - 3)) restores; expected 0, 1"
    [ -f withvc/.tox/a/.venvcache-stamp ] && [ ! -e withvc/.tox/a/stale ] ||
        fail "$runner: tox -r: a is not a fresh venv of venvcache's"
    ! installed || fail "$runner: tox -r: tox installed: $(cat "$T/tox.out")"
    same_freeze withvc plain a

    # The package types: tox installs the package into venvcache's venv
    # (editable: imported from the source; sdist: an installed copy), and
    # a second run installs no deps, with the plugin or without.
    TOXARGS="-e d,e,f,g" tox_in withvc "$off" PYTHONPATH="$T/plugin-site"
    no_warning
    ! installed || fail "$runner: d,e,f,g: tox installed deps: $(cat "$T/tox.out")"
    grep -q '^d: install_package>' "$T/tox.out" && grep -q '^e: install_package>' "$T/tox.out" ||
        fail "$runner: d,e: tox did not install the package: $(cat "$T/tox.out")"
    for e in d e f g; do
        [ -f withvc/.tox/$e/.venvcache-stamp ] || fail "$runner: $e is not venvcache's"
    done
    py_venv_has withvc/.tox/d vc-app==0.1 vc-data==1.0
    py_venv_has withvc/.tox/e vc-app==0.1 vc-data==1.0
    py_venv_has withvc/.tox/f vc-beta==1.0
    py_venv_has withvc/.tox/g vc-data==1.0 vc-future==1.0
    where() { "$1/bin/python" -c 'import vc_app; print(vc_app.__file__)'; }
    [ "$(where withvc/.tox/d)" = "$PWD/withvc/vc_app/__init__.py" ] || fail "$runner: d: vc_app from $(where withvc/.tox/d)"
    case $(where withvc/.tox/e) in "$PWD"/withvc/.tox/e/lib/*/site-packages/vc_app/__init__.py) ;;
    *) fail "$runner: e: vc_app from $(where withvc/.tox/e)" ;; esac
    "withvc/.tox/g/bin/python" -c 'import vc_app' 2>/dev/null && fail "$runner: g (deps-only) has vc_app"
    c2=$(counter misses partial_hits) r2=$(counter restores)
    for plugin in "PYTHONPATH=$T/plugin-site" TOX_NOTHING=; do
        TOXARGS="-e d,e,f,g" tox_in withvc "$off" "$plugin"
        ! installed || fail "$runner: d,e,f,g again ($plugin): tox installed deps: $(cat "$T/tox.out")"
    done
    [ "$(counter misses partial_hits)" -eq "$c2" ] && [ "$(counter restores)" -eq "$r2" ] ||
        fail "$runner: d,e,f,g: a second run did work"
done

# A change of deps: b gets another key (a miss), and the venv it names;
# the run after it does no work; back to the old deps is the old key.
kb=$(cat withvc/.tox/b/.venvcache-stamp)
c0=$(counter misses partial_hits)
sed -i 's/^deps = vc-beta$/deps = vc-beta\n    vc-future==1.0/' withvc/tox.ini
TOXARGS="-e b" tox_in withvc PYTHONPATH="$T/plugin-site"
no_warning
py_venv_has withvc/.tox/b vc-future==1.0
[ "$(cat withvc/.tox/b/.venvcache-stamp)" != "$kb" ] || fail "a change of deps kept b's key"
[ "$(counter misses partial_hits)" -eq $((c0 + 1)) ] || fail "a change of deps: $(($(counter misses partial_hits) - c0)) misses, expected 1"
r0=$(counter restores)
TOXARGS="-e b" tox_in withvc PYTHONPATH="$T/plugin-site"
! installed || fail "after a change of deps, a second run installed: $(cat "$T/tox.out")"
sed -i '/^    vc-future==1.0$/d' withvc/tox.ini
TOXARGS="-e b" tox_in withvc PYTHONPATH="$T/plugin-site"
[ "$(cat withvc/.tox/b/.venvcache-stamp)" = "$kb" ] && [ "$(counter restores)" -eq $((r0 + 1)) ] ||
    fail "deps changed back: not b's old key restored"
! installed || fail "deps changed back: tox installed: $(cat "$T/tox.out")"
"withvc/.tox/b/bin/python" -c 'import vc_future' 2>/dev/null && fail "deps changed back: vc-future is still in b"

# venvcache missing (not on PATH, or TOX_VENVCACHE naming nothing), then
# failing (no store, or its index down and no entry): tox makes the venvs
# itself, one warning.
# (tox's virtualenv runner, then tox-uv's; UV_HTTP_RETRIES=0: uv gives up
# on the closed port at once instead of after 4 s of retries)
for how in missing failing nopath index-down; do
    rm -rf fb
    cp -r proj fb
    case $how in
    missing) envs="a b" want=1 ;; # once
    failing) envs="a b" want=2 ;; # once per environment that failed
    nopath) envs="a b c" want=1 ;;
    index-down) envs=a want=1 ;;
    esac
    TOXARGS="-e ${envs// /,}"
    case $how in
    missing) tox_in fb TOX_DISABLED_EXTERNAL_PLUGINS=tox-uv PYTHONPATH="$T/plugin-site" TOX_VENVCACHE=venvcache-is-not-here ;;
    failing) tox_in fb TOX_DISABLED_EXTERNAL_PLUGINS=tox-uv PYTHONPATH="$T/plugin-site" VENVCACHE_CACHE_DIR=/dev/null/store ;;
    nopath)
        PATH=${PATH#"$T"/bin:} command -v venvcache >/dev/null && fail "nopath: venvcache is on PATH"
        tox_in fb PYTHONPATH="$T/plugin-site" PATH="${PATH#"$T"/bin:}"
        ;;
    index-down) tox_in fb PYTHONPATH="$T/plugin-site" VENVCACHE_CACHE_DIR="$T/empty-store" \
        VENVCACHE_INDEX_URL=http://127.0.0.1:9/simple UV_HTTP_RETRIES=0 ;;
    esac
    n=$(grep -c 'venvcache: .*tox makes the environment itself' "$T/tox.out" || true)
    [ "$n" -eq $want ] || fail "$how: $n warnings, expected $want: $(cat "$T/tox.out")"
    [ ! -e fb/.tox/a/.venvcache-stamp ] || fail "$how: a is venvcache's"
    # shellcheck disable=SC2086 # the env names
    same_freeze fb plain $envs
done
TOXARGS="-e a,b,c"
# A setting venvcache does not make (install_command): tox's own, warned once.
rm -rf fb
cp -r proj fb
sed -i '/^\[testenv:c\]$/a install_command = python -m pip install --no-compile {opts} {packages}' fb/tox.ini
tox_in fb TOX_DISABLED_EXTERNAL_PLUGINS=tox-uv PYTHONPATH="$T/plugin-site"
[ "$(grep -c 'c: install_command is set, which venvcache does not make' "$T/tox.out")" -eq 1 ] ||
    fail "install_command: not warned once: $(cat "$T/tox.out")"
[ ! -e fb/.tox/c/.venvcache-stamp ] || fail "install_command: c is venvcache's"
echo "ok"
