#!/usr/bin/env bash
# The tox 4 plugin (tox-venvcache/), with real tox 4.67 and tox-uv of
# build/tox4, against the loopback mirror: `tox -e a,b,c` with the plugin
# gives venvs whose pip freeze is tox's own without it (tox's virtualenv
# runner and tox-uv's); a second run with nothing changed creates,
# restores and installs nothing; after `rm -rf .tox` the venvs are
# restored, not installed; a change of deps is a new key; with venvcache
# missing or failing, tox makes the venvs itself after one warning.
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
EOT

# tox_in DIR [VAR=VALUE...]: runs `tox -e a,b,c` in DIR, output in $T/tox.out.
tox_in() {
    local dir=$1
    shift
    (cd "$dir" && env "$@" "$VC_SRC/build/tox4/bin/tox" -e a,b,c >"$T/tox.out" 2>&1) ||
        { cat "$T/tox.out" >&2; fail "tox -e a,b,c in $dir failed"; }
}
counter() {
    vc stats --format json >"$T/stats.json"
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; print(sum(c[k] for k in sys.argv[2:]))' "$T/stats.json" "$@"
}
same_freeze() { # same_freeze DIR1 DIR2
    local e
    for e in a b c; do
        [ -x "$1/.tox/$e/bin/python" ] || fail "no venv $1/.tox/$e"
        [ "$(py_venv_freeze "$1/.tox/$e")" = "$(py_venv_freeze "$2/.tox/$e")" ] ||
            fail "$e: pip freeze differs: $(py_venv_freeze "$1/.tox/$e" | tr '\n' ' ')/ $(py_venv_freeze "$2/.tox/$e" | tr '\n' ' ')"
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
    grep -Eq 'install_deps>|install_dependency-groups>|install_package_deps>' "$T/tox.out" &&
        fail "$runner: a second run installed: $(cat "$T/tox.out")"
    # rm -rf .tox: restored, not created.
    rm -rf withvc/.tox
    tox_in withvc "$off" PYTHONPATH="$T/plugin-site"
    no_warning
    [ "$(counter misses partial_hits)" -eq "$c1" ] && [ "$(counter restores)" -eq $((r1 + 3)) ] ||
        fail "$runner: after rm -rf .tox: $(($(counter misses partial_hits) - c1)) misses, $(($(counter restores) - r1)) restores; expected 0, 3"
    grep -Eq 'install_deps>|install_dependency-groups>|install_package_deps>' "$T/tox.out" &&
        fail "$runner: after rm -rf .tox, tox installed: $(cat "$T/tox.out")"
    same_freeze withvc plain
done

# A change of deps: b gets another key, and the venv it names.
kb=$(cat withvc/.tox/b/.venvcache-stamp)
sed -i 's/^deps = vc-beta$/deps = vc-beta\n    vc-future==1.0/' withvc/tox.ini
tox_in withvc PYTHONPATH="$T/plugin-site"
no_warning
py_venv_has withvc/.tox/b vc-future==1.0
[ "$(cat withvc/.tox/b/.venvcache-stamp)" != "$kb" ] || fail "a change of deps kept b's key"

# venvcache missing, then failing: tox makes the venvs itself, one warning.
for how in missing failing; do
    rm -rf fb
    cp -r proj fb
    if [ $how = missing ]; then
        tox_in fb TOX_DISABLED_EXTERNAL_PLUGINS=tox-uv PYTHONPATH="$T/plugin-site" TOX_VENVCACHE=venvcache-is-not-here
    else
        tox_in fb TOX_DISABLED_EXTERNAL_PLUGINS=tox-uv PYTHONPATH="$T/plugin-site" VENVCACHE_CACHE_DIR=/dev/null/store
    fi
    n=$(grep -c 'venvcache: .*tox makes the environment itself' "$T/tox.out" || true)
    if [ $how = missing ]; then want=1; else want=3; fi # once; once per environment that failed
    [ "$n" -eq $want ] || fail "$how: $n warnings, expected $want: $(cat "$T/tox.out")"
    [ ! -e fb/.tox/a/.venvcache-stamp ] || fail "$how: a is venvcache's"
    same_freeze fb plain
done
# A setting venvcache does not make (install_command): tox's own, warned once.
rm -rf fb
cp -r proj fb
printf 'install_command = python -m pip install --no-compile {opts} {packages}\n' >>fb/tox.ini
tox_in fb TOX_DISABLED_EXTERNAL_PLUGINS=tox-uv PYTHONPATH="$T/plugin-site"
[ "$(grep -c 'c: install_command is set, which venvcache does not make' "$T/tox.out")" -eq 1 ] ||
    fail "install_command: not warned once: $(cat "$T/tox.out")"
[ ! -e fb/.tox/c/.venvcache-stamp ] || fail "install_command: c is venvcache's"
echo "ok"
