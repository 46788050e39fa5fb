#!/usr/bin/env bash
# Issue 15, item 1: a venv-root or cache-dir that another local user made or
# can write is refused, with a message that says why and what to do; the
# default venv-root is the user's own.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "skipped: making directories of another user needs root"
    exit 0
fi
# Directories right under /dev/shm and /tmp, as another user would make them.
SHM_DIR=$(mktemp -d /dev/shm/vc-trust.XXXXXX)
TMP_DIR=$(mktemp -d /tmp/vc-trust.XXXXXX)
VC_CLEANUP+=("rm -rf '$SHM_DIR' '$TMP_DIR' '$SHM_DIR.nobody' '$TMP_DIR.nobody' '$TMP_DIR.link' '$TMP_DIR.gw'")

mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env demo]
deps = vc-alpha==1.1
INI

# The default venv-root is per user.
(unset VENVCACHE_VENV_ROOT; expect 0 config)
out_has "venv-root = /dev/shm/venvcache-$(id -u)"

# Another user made the venv-root first, open to all (0777): refused.
mkdir -m 0777 "$SHM_DIR.nobody"
chown nobody "$SHM_DIR.nobody"
expect 1 --venv-root "$SHM_DIR.nobody" warm -e demo
err_has "refusing venv-root '$SHM_DIR.nobody'"
err_has "belongs to uid 65534 (nobody), not to you"
err_has "set venv-root to a directory of yours"
err_one_line
[ -z "$(ls -A "$SHM_DIR.nobody")" ] || fail "venvcache wrote into another user's venv-root"

# A venv made in a good root, whose root then passes to another user, is
# not run: the present path checks it too.
root=$SHM_DIR/venvs
expect 0 --venv-root "$root" warm -e demo
chown nobody "$SHM_DIR"
expect 1 --venv-root "$root" run -e demo -- true
err_has "belongs to uid 65534 (nobody)"
chown root "$SHM_DIR"
expect 0 --venv-root "$root" run -e demo -- true

# A venv-root that every user can write (0777, and ours) is refused anywhere.
mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"
expect 1 --venv-root "$T/open/venvs" warm -e demo
err_has "every user can write to '$T/open' (mode 0777)"
err_has "chmod o-w"

# Ours but group-writable, right under /tmp: refused.
mkdir "$TMP_DIR.gw"
chmod 0775 "$TMP_DIR.gw"
expect 1 --cache-dir "$TMP_DIR.gw" warm -e demo
err_has "refusing cache-dir '$TMP_DIR.gw'"
err_has "others can write to it (mode 0775)"

# A cache-dir under /tmp made by another user: refused (it is what the next
# run restores, and where the probe and resolver caches live).
mkdir -m 0755 "$TMP_DIR.nobody"
chown nobody "$TMP_DIR.nobody"
expect 1 --cache-dir "$TMP_DIR.nobody" warm -e demo
err_has "refusing cache-dir '$TMP_DIR.nobody'"
err_has "belongs to uid 65534 (nobody)"
expect 1 --cache-dir "$TMP_DIR.nobody" verify
err_has "refusing cache-dir"

# Another user's symlink in /tmp to a directory of ours: refused too.
ln -s "$TMP_DIR" "$TMP_DIR.link"
chown -h nobody "$TMP_DIR.link"
expect 1 --cache-dir "$TMP_DIR.link" warm -e demo
err_has "'$TMP_DIR.link' belongs to uid 65534 (nobody)"

# Our own directories there are fine.
expect 0 --cache-dir "$TMP_DIR" --venv-root "$SHM_DIR/venvs2" warm -e demo

# uv's cache (installer = uv) is checked as cache-dir is: without HOME it
# defaults to a directory right under /tmp, which another user could make
# first. (The default path itself is left alone: it is this machine's.)
(unset HOME XDG_CACHE_HOME; expect 0 config)
out_has "uv-cache-dir = /tmp/venvcache-uv-cache-$(id -u)"
[ -x "$VC_UV" ] || fail "no uv at '$VC_UV': run scripts/bootstrap.sh"
export VENVCACHE_UV=$VC_UV VENVCACHE_INSTALLER=uv
# (A miss each time: a new cache-dir and venv-root.)
mkdir -m 0755 "$TMP_DIR.uv"
VC_CLEANUP+=("rm -rf '$TMP_DIR.uv'")
chown nobody "$TMP_DIR.uv"
VENVCACHE_UV_CACHE_DIR=$TMP_DIR.uv expect 1 --cache-dir "$TMP_DIR/c1" \
    --venv-root "$SHM_DIR/v1" warm -e demo
err_has "refusing uv-cache-dir '$TMP_DIR.uv'"
err_has "belongs to uid 65534 (nobody)"
[ -z "$(ls -A "$TMP_DIR.uv")" ] || fail "uv wrote into another user's uv-cache-dir"
VENVCACHE_UV_CACHE_DIR=$TMP_DIR.gw expect 1 --cache-dir "$TMP_DIR/c2" \
    --venv-root "$SHM_DIR/v2" warm -e demo
err_has "refusing uv-cache-dir '$TMP_DIR.gw'"
err_has "others can write to it (mode 0775)"
VENVCACHE_UV_CACHE_DIR=$TMP_DIR/uv expect 0 --cache-dir "$TMP_DIR/c3" \
    --venv-root "$SHM_DIR/v3" warm -e demo
[ -n "$(ls -A "$TMP_DIR/uv")" ] || fail "uv did not use uv-cache-dir '$TMP_DIR/uv'"
# The bytecode cache (installer = uv) is written into every venv: checked
# the same way.
mkdir -m 0755 "$TMP_DIR.bc"
VC_CLEANUP+=("rm -rf '$TMP_DIR.bc'")
chown nobody "$TMP_DIR.bc"
VENVCACHE_UV_CACHE_DIR=$TMP_DIR/uv VENVCACHE_BYTECODE_CACHE_DIR=$TMP_DIR.bc expect 1 \
    --cache-dir "$TMP_DIR/c4" --venv-root "$SHM_DIR/v4" warm -e demo
err_has "refusing bytecode-cache-dir '$TMP_DIR.bc'"
err_has "belongs to uid 65534 (nobody)"
[ -z "$(ls -A "$TMP_DIR.bc")" ] || fail "venvcache wrote into another user's bytecode-cache-dir"
echo "ok"
