#!/usr/bin/env bash
# gc and the project cache: the entries under project-install/<key's stem>/
# of a store key the store no longer holds are removed (never while that
# key's lock is held), those of a live key stay, and --max-age removes the
# ones not put back for longer; -n only says so.
. "$(dirname "$0")/lib.sh"

mirror_start
cp -a "$VC_SRC/tests/data/project" proj
cd proj
printf -- '-e .\nvc-alpha==1.1\n' >one.txt
printf -- '-e .\nvc-alpha==1.0\n' >two.txt
export VENVCACHE_INSTALLER=pip
S=$VENVCACHE_CACHE_DIR
P=$S/project-install
# The project cache key of the last warm (-vv prints it).
pkey() { sed -n 's/.*project cache key \([0-9a-f]\{16\}-[0-9a-f]\{32\}\) of:.*/\1/p' "$T/err" | tail -n 1; }
expect 0 -vv warm -r one.txt --index-url "$MIRROR_URL"
e1=$(pkey).tar.zst
expect 0 -vv warm -r two.txt --index-url "$MIRROR_URL"
e2=$(pkey).tar.zst
mirror_stop
k1=$(vc key -r one.txt)
k2=$(vc key -r two.txt)
[ "$k1" != "$k2" ] || fail "the two sets have one key"
[ "$(find "$P" -name '*.tar.zst' | wc -l)" -eq 2 ] || fail "expected two project cache entries: $(find "$P")"
f1=$(find "$P" -name "$e1")
f2=$(find "$P" -name "$e2")

# Nothing to do while both keys are in the store.
expect 0 gc
[ ! -s "$T/out" ] || fail "gc removed something: $(cat "$T/out")"
[ -f "$f1" ] && [ -f "$f2" ] || fail "gc removed a project cache entry of a live key"

# The store loses k1 (gc elsewhere, a cache restored without it): gc
# removes its project cache entry, and keeps k2's.
rm "$S/entries/$k1.json" "$S/entries/$k1.tar.zst"
expect 0 gc
[ ! -e "$f1" ] || fail "gc left the project cache entry of $k1, a key the store no longer holds"
[ -f "$f2" ] || fail "gc removed the project cache entry of the live key $k2"
# Entries live under their store key (keys this short are their own file
# names: store.h).
[ "$f1" = "$P/$k1/$e1" ] && [ "$f2" = "$P/$k2/$e2" ] || fail "entries not under their store key: $f1 $f2"
out_has "removed project-install/$k1/$e1 ("
out_lacks "$k2"
err_has "removed 1 project-install entry"
[ ! -e "$P/$k1" ] || fail "gc left project-install/$k1: $(ls -la "$P/$k1")"
[ ! -e "$S/locks/$k1.lock" ] || fail "gc left the lock file of $k1"

# --max-age: an entry not put back for 10 days goes, its key stays.
touch -d '10 days ago' "$f2"
expect 0 gc -n --max-age 5
out_has "would remove project-install/$k2/$e2 ("
out_has "last used 10 days ago)"
[ -f "$f2" ] || fail "gc -n --max-age removed a project cache entry"
expect 0 gc --max-age 30
[ -f "$f2" ] || fail "gc --max-age 30 removed an entry used 10 days ago"
expect 0 gc --max-age 5
out_has "removed project-install/$k2/$e2 ("
[ ! -e "$f2" ] || fail "gc --max-age left an entry unused for 10 days"
[ -f "$S/entries/$k2.json" ] || fail "gc --max-age removed the fresh store entry $k2"

# Installed again (a hit: the mirror is down), cached again.
venv=$(vc path -r two.txt)
rm -rf "$venv"
expect 0 -vv warm -r two.txt
e2=$(pkey).tar.zst
f2=$P/$k2/$e2
[ -f "$f2" ] || fail "the project was not cached again: $(find "$P")"
# -n: a key gc would evict, its project cache entries with it; nothing
# removed.
touch -d '10 days ago' "$S/entries/$k2.json"
expect 0 gc -n --max-age 5
out_has "would remove $k2 ("
out_has "would remove project-install/$k2/$e2 ("
err_has "would remove 1 project-install entry"
[ -f "$f2" ] && [ -f "$S/entries/$k2.json" ] || fail "gc -n removed something"
# Never while the key's lock is held (a warm creating the key's entry
# installs the project holding it).
rm "$S/entries/$k2.json" "$S/entries/$k2.tar.zst"
(exec 9>>"$S/locks/$k2.lock" && flock -s 9 && exec sleep 60) >/dev/null 2>&1 &
holder=$!
VC_CLEANUP+=("kill $holder 2>/dev/null")
for _ in $(seq 50); do
    flock -n -x "$S/locks/$k2.lock" true || break
    sleep 0.1
done
expect 0 gc
err_has "kept 'project-install/$k2': its key is in use"
[ -f "$f2" ] || fail "gc removed the project cache entry of a key in use"
kill -9 "$holder"
wait "$holder" 2>/dev/null || true
expect 0 gc
out_has "removed project-install/$k2/$e2 ("
[ ! -e "$P/$k2" ] || fail "gc left the project cache of $k2 once its lock was free"

# Entries of the flat layout before the key's directory: no key, removed.
echo x >"$P/0123456789abcdef-0123456789abcdef0123456789abcdef.tar.zst"
expect 0 gc
out_has "removed project-install/0123456789abcdef-0123456789abcdef0123456789abcdef.tar.zst ("
[ -z "$(ls -A "$P")" ] || fail "project-install/ is not empty: $(ls -A "$P")"
echo "ok"
