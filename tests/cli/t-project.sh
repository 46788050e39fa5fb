#!/usr/bin/env bash
# The project under test (-e . in the requirements, or install-project):
# installed after create or restore, never into the cached archive, and
# left out of the key.
. "$(dirname "$0")/lib.sh"

mirror_start
cp -a "$VC_SRC/tests/data/project" proj
cd proj
printf -- '-e .\nvc-alpha==1.1\n' >requirements.txt
printf 'vc-alpha==1.1\n' >plain.txt
venv=$(vc path -r requirements.txt)
name=$(basename "$venv")
case "$name" in proj-????????) ;; *) fail "-r env name: $name" ;; esac
[ "$(vc key -r requirements.txt)" = "$(vc key -r plain.txt)" ] || fail "-e . changed the key"

expect 0 warm -r requirements.txt --index-url "$MIRROR_URL"
[ "$("$venv/bin/python" -I -c 'import vc_project; print(vc_project.VALUE)')" = v1 ] ||
    fail "the project is not installed"
# Editable: a change in the tree is seen without another install.
echo 'VALUE = "v2"' >vc_project/__init__.py
[ "$("$venv/bin/python" -I -c 'import vc_project; print(vc_project.VALUE)')" = v2 ] ||
    fail "the project is not installed in editable mode"
# Never in the archive.
for a in "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst; do
    ! unzstd -c "$a" | tar -t | grep -qi 'vc_project\|vc-project' || fail "the project is in $a"
done

# Present: nothing reinstalled (the stamp is not rewritten).
before=$(stat -c %Y.%y "$venv/.venvcache-stamp")
sleep 1
expect 0 warm -r requirements.txt --index-url "$MIRROR_URL"
[ "$(stat -c %Y.%y "$venv/.venvcache-stamp")" = "$before" ] || fail "a present warm reinstalled"

# After a restore (mirror stopped: the project needs no index), again.
mirror_stop
rm -rf "$venv"
expect 0 warm -r requirements.txt
err_has "$name: hit"
[ "$("$venv/bin/python" -I -c 'import vc_project; print(vc_project.VALUE)')" = v2 ] ||
    fail "the project is not installed after a restore"

# save packs the venv as it is, but never the project installed in it.
expect 0 save -r requirements.txt
for a in "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst; do
    ! unzstd -c "$a" | tar -t | grep -qi 'vc_project\|vc-project' || fail "save put the project in $a"
done

# install-project = yes (the current directory) does the same for a plain set.
rm -rf "$venv"
VENVCACHE_INSTALL_PROJECT=yes expect 0 warm -r plain.txt
"$venv/bin/python" -I -c 'import vc_project' || fail "install-project = yes did not install it"
# --install-project, the same from the command line; 'no' wins over the
# environment variable. (python -I: the current directory, proj, is not on
# sys.path.)
rm -rf "$venv"
expect 0 warm -r plain.txt --install-project yes
"$venv/bin/python" -I -c 'import vc_project' || fail "--install-project yes did not install it"
rm -rf "$venv"
VENVCACHE_INSTALL_PROJECT=yes expect 0 warm -r plain.txt --install-project no
! "$venv/bin/python" -I -c 'import vc_project' 2>/dev/null || fail "--install-project no installed it"

# An env's own install-project key: 'yes' is its config's directory, also
# when warmed from below it; the command line wins over it.
printf '[env withproj]\nrequirements = plain.txt\ninstall-project = yes\n\n[env without]\nrequirements = plain.txt\n' >venvcache.ini
mkdir -p tests/unit
(cd tests/unit && vc warm -e withproj -e without) >"$T/out" 2>"$T/err" || fail "warm from tests/unit: $(cat "$T/err")"
"$VENVCACHE_VENV_ROOT/withproj/bin/python" -I -c 'import vc_project' || fail "the env's install-project = yes did not install it"
! "$VENVCACHE_VENV_ROOT/without/bin/python" -I -c 'import vc_project' 2>/dev/null || fail "an env without the key got the project"
rm -rf "$VENVCACHE_VENV_ROOT/withproj"
expect 0 warm -e withproj --install-project no
! "$VENVCACHE_VENV_ROOT/withproj/bin/python" -I -c 'import vc_project' 2>/dev/null || fail "--install-project no did not win over the env's key"
printf '[env e]\ninstall-projct = yes\n' >bad.ini
expect 1 -c bad.ini config
err_has "bad.ini:2: unknown key 'install-projct' in [env e]: did you mean 'install-project'?"
echo "ok"
