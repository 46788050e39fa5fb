#!/usr/bin/env bash
# installer: uv (the pinned one of scripts/bootstrap.sh) and pip make the
# same venv for the same set under the same key: same distributions and
# versions, same files, working console scripts, pip as seed says. auto
# takes uv when the uv setting finds it and pip otherwise; -v, key
# --explain and the store entry's manifest say which one ran. seed = no
# needs uv and is in the key.
. "$(dirname "$0")/lib.sh"

[ -x "$VC_UV" ] || fail "no uv at '$VC_UV': run scripts/bootstrap.sh"
mirror_start
# write_ini UV SETTINGS: a config whose uv setting is UV ("" for none).
write_ini() {
    cat >venvcache.ini <<INI
[venvcache]
${1:+uv = $1}
$2
[mirror]
index-url = $MIRROR_URL

[env demo]
deps = vc-beta==1.0
    vc-alpha==1.1
    vc-data==1.0
    vc-gamma[fast]==1.0
    vc-delta==1.0
INI
}
# tree VENV: its files, bytecode names without the interpreter tag.
tree() { (cd "$1" && find . ! -name .venvcache-stamp ! -name pip.conf | sed 's/\.cpython-[0-9]*\.pyc$/.pyc/' | sort); }

# ensurepip's wheels, when the interpreter keeps them in ensurepip/_bundled.
seed_wheels=$(python3 -I -c 'import ensurepip, glob, os, sysconfig
if not sysconfig.get_config_var("WHEEL_PKG_DIR"):
    print(*glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))')
for inst in pip uv; do
    write_ini "$VC_UV" "installer = $inst"
    expect 0 key -e demo
    cp "$T/out" "$T/key-$inst"
    expect 0 -v --cache-dir "$T/store-$inst" --venv-root "$VC_SHM/$inst" warm -e demo
    err_has "demo: installer = $inst"
    err_has "demo: created"
    # uv seeds pip from ensurepip's own wheels where it can tell them.
    if [ "$inst" = uv ] && [ -n "$seed_wheels" ]; then
        err_has "demo: uv pip install (ensurepip's wheels)"
    else
        err_lacks "ensurepip's wheels"
    fi
    venv=$VC_SHM/$inst/demo
    py_venv_has "$venv" vc-alpha==1.1 vc-beta==1.0 vc-data==1.0 vc-gamma==1.0 vc-delta==1.0
    [ "$("$venv/bin/vc-beta")" = "vc-beta 1.0 (vc-alpha 1.1)" ] ||
        fail "$inst: console script: $("$venv/bin/vc-beta" 2>&1)"
    "$venv/bin/vc-data-script" >/dev/null || fail "$inst: the #!python script does not run"
    "$venv/bin/python" -m pip --version >/dev/null || fail "$inst: no pip with seed = yes"
    grep -q "\"installer\": \"$inst\"" "$T/store-$inst"/entries/*.json ||
        fail "$inst: the manifest does not say installer $inst: $(cat "$T/store-$inst"/entries/*.json)"
    tree "$venv" >"$T/tree-$inst"
done
cmp -s "$T/key-pip" "$T/key-uv" || fail "the key depends on the installer: $(cat "$T/key-pip" "$T/key-uv")"
diff "$T/tree-pip" "$T/tree-uv" >"$T/tree.diff" || fail "uv's venv differs from pip's: $(head -20 "$T/tree.diff")"
[ "$(py_venv_freeze "$VC_SHM/pip/demo")" = "$(py_venv_freeze "$VC_SHM/uv/demo")" ] ||
    fail "uv and pip installed different sets"
# uv's cache is uv-cache-dir, outside the store, never in cache-dir.
[ -d "$HOME/.cache/venvcache-uv" ] || fail "uv's cache is not in ~/.cache/venvcache-uv"
ls -d "$HOME/.cache/venvcache-uv"/archive-v* >/dev/null || fail "uv's cache holds no archive"
! find "$T/store-uv" -name 'archive-v*' | grep -q . || fail "uv's cache is inside the store"

# auto: uv when the uv setting finds it (here on PATH), pip otherwise.
write_ini "" ""
# (uv alone: build/tools/bin has a python3 too)
mkdir -p "$T/bin"
ln -s "$VC_UV" "$T/bin/uv"
PATH=$T/bin:$PATH expect 0 key -e demo --explain
err_has "installer     uv (installer = auto: uv is '$T/bin/uv'"
cmp -s "$T/out" "$T/key-pip" || fail "auto changed the key"
write_ini "$T/no-such-uv" ""
expect 0 -v --cache-dir "$T/store-auto" --venv-root "$VC_SHM/auto" warm -e demo
err_has "installer = auto: no uv found ('$T/no-such-uv'), pip"
grep -q '"installer": "pip"' "$T/store-auto"/entries/*.json || fail "auto without uv: not pip"

# installer = uv without uv, and installer = pip with seed = no: errors
# that name the settings.
write_ini "$T/no-such-uv" "installer = uv"
expect 1 --cache-dir "$T/store-x" --venv-root "$VC_SHM/x" warm -e demo
err_has "installer = uv, but the uv setting ('$T/no-such-uv') finds no program"
write_ini "$VC_UV" "installer = pip
seed = no"
expect 1 --cache-dir "$T/store-x" --venv-root "$VC_SHM/x" warm -e demo
err_has "installer = pip needs pip in the venv, but seed = no"

# seed = no: no pip in the venv, the same distributions, another key.
write_ini "$VC_UV" "seed = no"
expect 0 key -e demo
! cmp -s "$T/out" "$T/key-pip" || fail "seed = no has the key of a venv with pip"
expect 0 --cache-dir "$T/store-noseed" --venv-root "$VC_SHM/noseed" warm -e demo
venv=$VC_SHM/noseed/demo
[ ! -e "$venv/bin/pip" ] || fail "seed = no left bin/pip"
! "$venv/bin/python" -c 'import pip' 2>/dev/null || fail "seed = no: pip imports"
[ "$("$venv/bin/vc-beta")" = "vc-beta 1.0 (vc-alpha 1.1)" ] || fail "seed = no: console script"
[ "$(py_venv_freeze "$venv")" = "$(py_venv_freeze "$VC_SHM/pip/demo")" ] || fail "seed = no: another set"

# Resolution: uv pip compile and pip's report give the same pins and the
# same key for ranges, extras, markers, Requires-Python, --pre and
# constraints; the cached records are the same text; each says which
# resolved it, and uv's never starts pip.
echo 'vc-delta==1.0' >c.txt
for inst in pip uv; do
    cat >venvcache.ini <<INI
[venvcache]
uv = $VC_UV
installer = $inst
resolve = always
[mirror]
index-url = $MIRROR_URL
[env wide]
deps = vc-beta>=1.0
    vc-gamma[fast]
    vc-marker
    vc-future
    vc-pre
[env pre]
deps = --pre
    vc-pre
    vc-alpha<2
[env cons]
deps = vc-gamma[fast]
constraints = c.txt
INI
    for e in wide pre cons; do
        expect 0 -v --cache-dir "$T/res-$inst" key -e $e --explain
        err_has "resolving with $inst"
        err_has "resolved      by $inst, just now"
        cp "$T/out" "$T/key-$e-$inst"
        sed -n '/^  resolved /,/^  hashed/p' "$T/err" | grep -v 'resolved \|hashed' | sed 's/^ *//' >"$T/pins-$e-$inst"
    done
    python3 -c 'import glob, json, sys
print("\n--\n".join(sorted(json.load(open(f))["pins"] for f in glob.glob(sys.argv[1] + "/resolve/*.json"))))' \
        "$T/res-$inst" >"$T/records-$inst"
done
for e in wide pre cons; do
    cmp -s "$T/key-$e-pip" "$T/key-$e-uv" || fail "env $e: uv's resolution gives another key"
    diff "$T/pins-$e-pip" "$T/pins-$e-uv" >&2 || fail "env $e: uv and pip resolve differently"
done
grep -qxF 'vc-alpha==1.1' "$T/pins-wide-uv" || fail "wide: not resolved to vc-alpha 1.1: $(cat "$T/pins-wide-uv")"
grep -qxF 'vc-future==1.0' "$T/pins-wide-uv" || fail "wide: Requires-Python ignored"
grep -qxF 'vc-delta==1.0' "$T/pins-wide-uv" || fail "wide: the extra or the marker was not followed"
grep -qxF 'vc-pre==1.0' "$T/pins-wide-uv" || fail "wide: a pre-release without --pre"
grep -qxF 'vc-pre==2.0rc1' "$T/pins-pre-uv" || fail "pre: --pre did not reach uv"
diff "$T/records-pip" "$T/records-uv" >&2 || fail "the cached resolution records differ"
grep -q 'sha256' "$T/records-uv" || fail "uv's record has no digests"
# A record either made is read by both: the cache is shared.
expect 0 --cache-dir "$T/res-pip" -v key -e wide
err_lacks "resolving with"

# Each artifact is fetched once: a miss that resolves and then installs
# downloads every wheel and every .metadata once, with either installer
# (uv: one uv-cache-dir for compile and install; pip: its HTTP cache, which
# pip keeps for an https or trusted-host origin only). Cold caches each.
fetched() { mirror_requests "^GET /files/$1 200\$"; }
for inst in pip uv; do
    cat >venvcache.ini <<INI
[venvcache]
uv = $VC_UV
installer = $inst
resolve = always
uv-cache-dir = $T/uvc-once-$inst
[mirror]
index-url = $MIRROR_URL
trusted-host = 127.0.0.1:$MIRROR_PORT
[env once]
deps = vc-beta>=1.0
    vc-gamma[fast]
INI
    files="vc_alpha-1.1 vc_beta-1.0 vc_gamma-1.0 vc_delta-1.0"
    declare -A before=()
    for f in $files; do
        before[$f.whl]=$(fetched "$f-py3-none-any\\.whl")
        before[$f.whl.metadata]=$(fetched "$f-py3-none-any\\.whl\\.metadata")
    done
    PIP_CACHE_DIR=$T/pipc-once-$inst expect 0 -v --cache-dir "$T/store-once-$inst" \
        --venv-root "$VC_SHM/once-$inst" warm -e once
    err_has "resolving with $inst"
    err_has "once: installer = $inst"
    err_has "once: created"
    py_venv_has "$VC_SHM/once-$inst/once" vc-alpha==1.1 vc-beta==1.0 vc-gamma==1.0 vc-delta==1.0
    for f in $files; do
        for x in whl whl.metadata; do
            n=$(($(fetched "$f-py3-none-any\\.${x//./\\.}") - ${before[$f.$x]}))
            [ "$n" -eq 1 ] || fail "$inst: $f's .$x was downloaded $n times, not once"
        done
    done
done

# The project under test with installer = uv: uv pip install -e after the
# creation and after a restore, the latter with the mirror stopped (the
# project needs no index); never in the archive.
cp -a "$VC_SRC/tests/data/project" proj
printf -- '-e .\nvc-alpha==1.1\n' >proj/requirements.txt
cat >proj/venvcache.ini <<INI
[venvcache]
uv = $VC_UV
installer = uv
INI
cd proj
# The -r env is named per project (the directory and a hash of its path).
pvenv=$(vc --venv-root "$VC_SHM/proj" path -r requirements.txt)
pname=$(basename "$pvenv")
expect 0 -v --cache-dir "$T/store-proj" --venv-root "$VC_SHM/proj" \
    warm -r requirements.txt --index-url "$MIRROR_URL"
err_has "$pname: uv pip install -e (the project)"
[ "$("$pvenv/bin/python" -c 'import vc_project; print(vc_project.VALUE)')" = v1 ] ||
    fail "uv: the project is not installed"
py_venv_has "$pvenv" vc-alpha==1.1
for a in "$T/store-proj"/entries/*.tar.zst; do
    ! unzstd -c "$a" | tar -t | grep -qi 'vc_project\|vc-project' || fail "uv: the project is in $a"
done
mirror_stop
rm -rf "$pvenv"
# uv itself installs offline (the project cache, which would put the
# files back without it, is t-project-cache's).
VENVCACHE_PROJECT_CACHE=no expect 0 -v --cache-dir "$T/store-proj" --venv-root "$VC_SHM/proj" \
    warm -r requirements.txt
err_has "$pname: hit"
err_has "$pname: uv pip install -e (the project)"
[ "$("$pvenv/bin/python" -c 'import vc_project; print(vc_project.VALUE)')" = v1 ] ||
    fail "uv: the project is not installed after a restore"
[ ! -e "$pvenv/.lock" ] || fail "uv's .lock was left in the venv"
echo "ok"
