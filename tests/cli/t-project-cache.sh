#!/usr/bin/env bash
# The project cache: what installing the project added to the venv is kept
# in <cache-dir>/project-install/ and put back on the next hit, with no
# install run, while nothing that decides it changed; a hostile entry is
# refused and the project installed for real.
. "$(dirname "$0")/lib.sh"

mirror_start
cp -a "$VC_SRC/tests/data/project" proj
# The backend logs each build beside the tree (outside it: the tree's
# content is in the key).
cat >>proj/vcbackend.py <<'PY'


_build_editable = build_editable


def build_editable(*args, **kwargs):
    with open(os.path.join(HERE, "..", "builds.log"), "a") as f:
        f.write("build\n")
    return _build_editable(*args, **kwargs)
PY
cd proj
printf -- '-e .\nvc-alpha==1.1\n' >requirements.txt
builds() { if [ -f "$T/builds.log" ]; then wc -l <"$T/builds.log"; else echo 0; fi; }
venv=$(vc path -r requirements.txt)
name=$(basename "$venv")
value() { "$venv/bin/python" -I -c 'import vc_project; print(vc_project.VALUE, vc_project.__file__)'; }
# Entries are project-install/<store key>/<key>.tar.zst.
entries() { find "$VENVCACHE_CACHE_DIR/project-install" -name '*.tar.zst' | wc -l; }
entry_names() { (cd "$VENVCACHE_CACHE_DIR/project-install" && ls -- */*.tar.zst); }

export VENVCACHE_INSTALLER=pip
expect 0 warm -r requirements.txt --index-url "$MIRROR_URL"
err_has "$name: created"
[ "$(builds)" -eq 1 ] || fail "the creation built the project $(builds) times"
[ "$(entries)" -eq 1 ] || fail "no project cache entry after the creation"
first=$(entry_names)
[ "$(dirname "$first")" = "$(vc key -r requirements.txt)" ] || fail "the entry '$first' is not under its store key"
# Never in the store's entries, never the project's own code.
for a in "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst; do
    ! unzstd -c "$a" | tar -t | grep -qi 'vc_project\|vc-project' || fail "the project is in $a"
done
unzstd -c "$VENVCACHE_CACHE_DIR/project-install/$first" | tar -t >"$T/members"
! grep -q '__init__.py' "$T/members" ||
    fail "the project's code is in its cache entry"

# A hit, the mirror stopped: the project comes from the project cache, no
# build, and imports from its source.
mirror_stop
rm -rf "$venv"
pc_hits() { vc stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["project_cache_hits"])'; }
[ "$(pc_hits)" -eq 0 ] || fail "project_cache_hits is $(pc_hits) after a creation, expected 0"
expect 0 -v warm -r requirements.txt
err_has "$name: hit"
err_has "the project from the project cache"
[ "$(builds)" -eq 1 ] || fail "a hit built the project again"
[ "$(pc_hits)" -eq 1 ] || fail "stats: project_cache_hits is $(pc_hits) after a hit from the project cache, expected 1"
[ "$(value)" = "v1 $PWD/vc_project/__init__.py" ] || fail "the project does not import from its source: $(value)"
# Editable, as installed.
echo 'VALUE = "v2"' >vc_project/__init__.py
[ "$(value)" = "v2 $PWD/vc_project/__init__.py" ] || fail "not editable: $(value)"

# A source file changed (above): a real install, a second entry.
rm -rf "$venv"
expect 0 -v warm -r requirements.txt
err_lacks "the project from the project cache"
[ "$(builds)" -eq 2 ] || fail "a changed source file did not reinstall the project"
# Kept, in place of the entry it replaces.
[ "$(entries)" -eq 1 ] || fail "the reinstall was not kept, or did not replace the old entry"
[ "$(entry_names)" != "$first" ] || fail "the entry was not renewed"
rm -rf "$venv"
expect 0 -v warm -r requirements.txt
err_has "the project from the project cache"
[ "$(builds)" -eq 2 ] || fail "the second hit built the project"
# Files the backend cannot see in the tree's key: .git's objects,
# __pycache__, *.egg-info, build.
mkdir -p .git/objects build vc_project/__pycache__ x.egg-info
echo 'ref: refs/heads/main' >.git/HEAD
echo 1111111111111111111111111111111111111111 >.git/refs-heads-main-unused
touch .git/objects/aa build/x vc_project/__pycache__/y.pyc x.egg-info/PKG-INFO
rm -rf "$venv"
expect 0 -v warm -r requirements.txt
[ "$(builds)" -eq 3 ] || fail "a new .git/HEAD did not change the key"
echo 2 >.git/objects/aa
echo 2 >build/x
rm -rf "$venv"
expect 0 -v warm -r requirements.txt
err_has "the project from the project cache"
[ "$(builds)" -eq 3 ] || fail "a change in .git/objects or build/ reinstalled the project"
# The ref HEAD names is in it.
mkdir -p .git/refs/heads
echo 2222222222222222222222222222222222222222 >.git/refs/heads/main
rm -rf "$venv"
expect 0 -v warm -r requirements.txt
[ "$(builds)" -eq 4 ] || fail "a new commit (the ref HEAD names) did not reinstall the project"

# uv installs for itself (the installer is in the key), then is cached too.
[ -x "$VC_UV" ] || fail "no uv at '$VC_UV': run scripts/bootstrap.sh"
rm -rf "$venv"
VENVCACHE_INSTALLER=uv VENVCACHE_UV=$VC_UV expect 0 -v warm -r requirements.txt
[ "$(builds)" -eq 5 ] || fail "uv did not install the project"
rm -rf "$venv"
VENVCACHE_INSTALLER=uv VENVCACHE_UV=$VC_UV expect 0 -v warm -r requirements.txt
err_has "the project from the project cache"
[ "$(builds)" -eq 5 ] || fail "uv's second hit built the project"
[ "$(value)" = "v2 $PWD/vc_project/__init__.py" ] || fail "uv: the project does not import: $(value)"

# project-cache = no: installed every time.
[ "$(pc_hits)" -eq 4 ] || fail "stats: project_cache_hits is $(pc_hits), expected 4 (pip 3, uv 1)"
rm -rf "$venv"
VENVCACHE_PROJECT_CACHE=no expect 0 -v warm -r requirements.txt
[ "$(builds)" -eq 6 ] || fail "project-cache = no took the project from the cache"
[ "$(pc_hits)" -eq 4 ] || fail "stats: project-cache = no counted a project cache hit"

# Hostile entries. The pip entry of this key is the newest pip one: find it
# by what a hit opens.
rm -rf "$venv"
expect 0 -vv warm -r requirements.txt
key=$(sed -n 's/.*project cache key \([0-9a-f]\{16\}-[0-9a-f]\{32\}\) of:.*/\1/p' "$T/err" | tail -n 1)
entry=$VENVCACHE_CACHE_DIR/project-install/$(vc key -r requirements.txt)/$key.tar.zst
[ -f "$entry" ] || fail "no entry '$entry'"
site=$(cd "$venv" && echo lib/python3*/site-packages)
mkdir "$T/x"
unzstd -q -c "$entry" | tar -x -C "$T/x"
cp "$entry" "$T/good.tar.zst"

# 1. A name with '..': refused, nothing written outside the venv.
python3 - "$T/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name in ("bin", "bin/../../escaped"):
        ti = tarfile.TarInfo(name)
        if name == "bin":
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            t.addfile(ti)
        else:
            ti.size, ti.mode = 2, 0o644
            t.addfile(ti, io.BytesIO(b"x\n"))
PY
zstd -q -f "$T/evil.tar" -o "$entry"
rm -rf "$venv"
expect 0 warm -r requirements.txt
err_has "'..'"
err_has "installing the project"
[ "$(builds)" -eq 7 ] || fail "the entry with '..' was not refused: no real install"
[ ! -e "$VENVCACHE_VENV_ROOT/escaped" ] && [ ! -e "$venv/../escaped" ] || fail "a file was written outside the venv"
value >/dev/null || fail "the project does not import after a refused entry"

# 2. A file the RECORD does not list (a .pth of its own): refused, and
# nothing of the entry left in the venv.
cp -a "$T/x" "$T/y"
echo 'import os; os.system("touch /tmp/vc-pwned")' >"$T/y/$site/zz-evil.pth"
(cd "$T/y" && tar --format=pax --no-recursion -cf - $(find . -mindepth 1 | sed 's|^\./||' | sort)) | zstd -q -f -o "$entry"
rm -rf "$venv"
expect 0 warm -r requirements.txt
err_has "zz-evil.pth' is not in the project's RECORD"
[ "$(builds)" -eq 8 ] || fail "the entry with an extra .pth was not refused"
[ ! -e "$venv/$site/zz-evil.pth" ] || fail "the refused entry's .pth is in the venv"

# 3. A file that is in the venv already (bin/python): never replaced.
cp -a "$T/x" "$T/z"
mkdir -p "$T/z/bin"
echo '#!/bin/sh' >"$T/z/bin/python"
(cd "$T/z" && tar --format=pax --no-recursion -cf - $(find . -mindepth 1 | sed 's|^\./||' | sort)) | zstd -q -f -o "$entry"
rm -rf "$venv"
expect 0 warm -r requirements.txt
err_has "is already in the venv"
[ "$(builds)" -eq 9 ] || fail "the entry replacing bin/python was not refused"
[ -L "$venv/bin/python" ] || fail "bin/python was replaced"
[ "$(value)" = "v2 $PWD/vc_project/__init__.py" ] || fail "the project does not import after a refused entry: $(value)"

# The real install kept a good entry again.
rm -rf "$venv"
expect 0 -v warm -r requirements.txt
err_has "the project from the project cache"
[ "$(builds)" -eq 9 ] || fail "the entry was not renewed"

# pyproject.toml changed (not its requirements: the store key stays): a
# real install.
echo '# changed' >>pyproject.toml
rm -rf "$venv"
expect 0 -v warm -r requirements.txt
err_has "$name: hit"
err_lacks "the project from the project cache"
[ "$(builds)" -eq 10 ] || fail "a changed pyproject.toml did not reinstall the project"
echo "ok"
