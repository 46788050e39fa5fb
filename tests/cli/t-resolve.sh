#!/usr/bin/env bash
# Keys of unpinned sets cover what pip resolves them to: a range resolves
# to the newest matching release; a new release changes the key after the
# TTL or with --refresh, not before; the resolution is cached; a pinned set
# never starts pip; an unreachable mirror falls back to a cached resolution
# within the grace period; lock's output installs what warm installed.
. "$(dirname "$0")/lib.sh"

mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env ranges]
deps = vc-beta>=1.0
    vc-alpha

[env pinned]
deps = vc-alpha==1.1
INI
venv=$VENVCACHE_VENV_ROOT/ranges

# A range resolves to the newest matching version (vc-beta needs alpha < 2).
expect 0 key -e ranges --explain
k1=$(cat "$T/out")
err_has "vc-alpha==1.1"
err_has "vc-beta==1.0"
expect 0 warm -e ranges
py_venv_has "$venv" vc-alpha==1.1 vc-beta==1.0

# The resolution is cached: no request to the mirror, same key.
before=$(mirror_requests '.')
expect 0 key -e ranges
[ "$(cat "$T/out")" = "$k1" ] || fail "cached resolution gave another key"
[ "$(mirror_requests '.')" = "$before" ] || fail "a cached resolution asked the mirror"

# A release within the range: the key does not move before the TTL...
mirror_publish vc-alpha==1.2
expect 0 key -e ranges
[ "$(cat "$T/out")" = "$k1" ] || fail "the key moved before the TTL"
# ... moves with --refresh ...
expect 0 key -e ranges --refresh --explain
k2=$(cat "$T/out")
[ "$k2" != "$k1" ] || fail "--refresh did not see vc-alpha 1.2"
err_has "vc-alpha==1.2"
# ... and once the TTL has passed.
mirror_publish vc-alpha==1.3
VENVCACHE_RESOLVE_TTL=0 expect 0 key -e ranges
k3=$(cat "$T/out")
[ "$k3" != "$k2" ] || fail "an expired resolution was reused"
expect 0 warm -e ranges
py_venv_has "$venv" vc-alpha==1.3

# A fully pinned set never starts pip (nor any program, once probed).
PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
expect 0 key -e pinned -p "$PY"
before=$(mirror_requests '.')
if command -v strace >/dev/null; then
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -f -qq -e trace=execve -o "$T/trace" "$VENVCACHE_BIN" key -e pinned -p "$PY" >/dev/null
    [ "$(grep -c execve "$T/trace")" -eq 1 ] || fail "a pinned key started a program: $(cat "$T/trace")"
fi
[ "$(mirror_requests '.')" = "$before" ] || fail "a pinned key asked the mirror"

# lock: the resolved set with hashes installs exactly the warm venv's set.
expect 0 lock -e ranges -o lock.txt
grep -q '^vc-alpha==1.3 \\$' lock.txt || fail "lock: $(cat lock.txt)"
grep -q -- '--hash=sha256:' lock.txt || fail "lock has no hashes"
expect 1 lock -e ranges -o "$T"
err_has "-o '$T' is a directory"
err_one_line
# Every file of a pinned release is hashed, as pip-compile
# --generate-hashes does, not only the one pip chose: with an sdist of
# vc-alpha 1.3 beside its wheel, both digests (and only vc-alpha's).
mirror_publish_sdist vc-alpha==1.3
expect 0 lock -e ranges -o lock.txt
for f in "$T"/mirror/files/vc_alpha-1.3-py3-none-any.whl "$T"/mirror/files/vc_alpha-1.3.tar.gz \
    "$T"/mirror/files/vc_beta-1.0-py3-none-any.whl; do
    h=$(sha256sum "$f" | cut -c1-64)
    grep -q -- "--hash=sha256:$h" lock.txt || fail "lock lacks the hash of ${f##*/}: $(cat lock.txt)"
done
[ "$(grep -c -- '--hash=sha256:' lock.txt)" = 3 ] || fail "lock has other hashes: $(cat lock.txt)"
python3 -m venv "$VC_SHM/locked"
"$VC_SHM/locked/bin/pip" install -q --index-url "$MIRROR_URL" --require-hashes -r lock.txt ||
    fail "lock.txt does not install"
[ "$(py_venv_freeze "$VC_SHM/locked")" = "$(py_venv_freeze "$venv")" ] ||
    fail "lock installs $(py_venv_freeze "$VC_SHM/locked"), warm has $(py_venv_freeze "$venv")"

# On a terminal a resolve is not silent: a live line says what runs (through
# a pseudo-terminal, script(1)), and is erased; not on a pipe.
script -qec "$VENVCACHE_BIN key -e ranges --refresh" /dev/null >"$T/tty" 2>&1 ||
    fail "key on a terminal: $(cat -v "$T/tty")"
grep -q $'\rresolving' "$T/tty" || fail "no live resolving line: $(cat -v "$T/tty")"
grep -q $'\r\033\\[K' "$T/tty" || fail "the live line is not erased: $(cat -v "$T/tty")"
grep -qF "$k3" "$T/tty" || fail "no key on the terminal: $(cat -v "$T/tty")"
expect 0 key -e ranges --refresh
err_lacks "resolving"

# The mirror unreachable: a cached resolution within the grace period, with
# a warning; beyond it, a clear error, never the declared strings.
mirror_stop
expect 0 key -e ranges --refresh
[ "$(cat "$T/out")" = "$k3" ] || fail "grace: another key"
err_has "resolve-grace"
VENVCACHE_RESOLVE_GRACE=0 expect 1 key -e ranges --refresh
err_has "cannot resolve"
# lock cannot read the index for the other files: an error naming the page.
expect 1 lock -e ranges
err_has "the hashes of vc-alpha 1.3: cannot read '$MIRROR_URL/vc-alpha/'"
err_one_line

# export takes the resolution records along (keys of unpinned sets on a
# fresh runner); the tool venv pip resolved in is not in the store at all
# (issue 15: the store can be written by others), but the user's own.
[ -z "$(ls -d "$VENVCACHE_CACHE_DIR"/resolve/pip-* 2>/dev/null)" ] || fail "a tool venv in the store"
ls -d "$VENVCACHE_VENV_ROOT"/.venvcache/tools/pip-* >/dev/null 2>&1 || fail "no tool venv under venv-root"
expect 0 export --to "$T/exported" -e ranges
n=$(find "$T/exported/resolve" -name '*.json' | wc -l)
[ "$n" -ge 1 ] || fail "export has no resolution records"
[ -z "$(find "$T/exported/resolve" -mindepth 1 ! -name '*.json')" ] ||
    fail "export took more than the records: $(ls "$T/exported/resolve")"
VENVCACHE_CACHE_DIR="$T/exported" expect 0 key -e ranges
[ "$(cat "$T/out")" = "$k3" ] || fail "the exported records give another key"
echo "ok"
