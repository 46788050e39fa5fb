#!/usr/bin/env bash
# The config is found as git finds its own: venvcache.ini in the current
# directory or the nearest parent, up to the repository root (a directory
# holding .git) or /; paths in it are relative to its directory, the
# project included.
. "$(dirname "$0")/lib.sh"

mirror_start
cp -a "$VC_SRC/tests/data/project" repo
mkdir -p repo/.git repo/tests/unit repo/reqs
printf 'vc-alpha==1.1\n' >repo/reqs/test.txt
cat >repo/venvcache.ini <<INI
[venvcache]
install-project = yes

[mirror]
index-url = $MIRROR_URL

[env py-test]
requirements = reqs/test.txt
INI

# From two levels down: the config, its requirements and the project.
cd repo/tests/unit
expect 0 config
out_has "($T/repo/venvcache.ini:2) install-project = yes"
out_has "[env py-test]"
expect 0 warm -e py-test
venv=$(cat "$T/out")
[ "$venv" = "$VENVCACHE_VENV_ROOT/py-test" ] || fail "path: '$venv'"
py_venv_has "$venv" vc-alpha==1.1
[ "$(cd / && "$venv/bin/python" -c 'import vc_project; print(vc_project.__file__)')" = \
    "$T/repo/vc_project/__init__.py" ] || fail "the project is not the config's directory"

# The same key from the root and from below.
k1=$(vc key -e py-test)
k2=$(cd "$T/repo" && vc key -e py-test)
[ "$k1" = "$k2" ] || fail "key differs by directory: $k1 $k2"

# The search stops at the repository root: a venvcache.ini above it is not
# read, and the error says where it looked.
mv "$T/repo/venvcache.ini" "$T/venvcache.ini"
expect 2 warm -a
err_has "no config file"
err_has "venvcache.ini in $T/repo/tests/unit up to $T/repo (the repository root)"
expect 2 warm -e py-test
err_has "unknown environment 'py-test'"
err_has "$T/repo (the repository root)"

# Without .git, it goes on up.
rmdir "$T/repo/.git"
expect 0 config
out_has "($T/venvcache.ini:5) mirror.index-url"

# A file in the current directory wins and is shown as before.
printf '[venvcache]\nkey-prefix = here\n' >venvcache.ini
expect 0 config
out_has "(venvcache.ini:2) key-prefix = here"
rm venvcache.ini

# VENVCACHE_TOX=tox.ini is looked for upward as well.
rm "$T/venvcache.ini"
mkdir "$T/repo/.git"
cat >"$T/repo/tox.ini" <<'INI'
[testenv:lint]
deps = vc-alpha==1.1
INI
VENVCACHE_TOX=tox.ini expect 0 config
out_has "[env lint]"
out_has "(VENVCACHE_TOX) tox = $T/repo/tox.ini"
echo "ok"
