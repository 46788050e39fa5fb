#!/usr/bin/env bash
# Issue 15: the store's times and space.
#  - item 7: a full cache-dir does not throw away the venv just built: it
#    is put in place, with a warning naming the env, the cache-dir and the
#    space needed; with max-size set, gc makes room first;
#  - an entry whose venv is used (a no-op warm, run) is marked used, so
#    gc --max-age keeps it;
#  - a manifest dated in the future does not rank as used forever.
. "$(dirname "$0")/lib.sh"

mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env one]
deps = vc-alpha==1.1

[env two]
deps = vc-alpha==1.0
INI
manifest_of() { ls "$VENVCACHE_CACHE_DIR"/entries/*.json | while read -r m; do
    grep -q "\"env\": *\"$1\"" "$m" && echo "$m"; done; }

# Used entries are kept by gc --max-age.
expect 0 warm -e one
m1=$(manifest_of one)
[ -n "$m1" ] || fail "no entry for env one"
touch -d '10 days ago' "$m1"
expect 0 warm -e one            # present: a no-op
[ "$(find "$m1" -mtime +1)" = "" ] || fail "a no-op warm did not mark the entry used"
touch -d '10 days ago' "$m1"
expect 0 run -e one -- true
[ "$(find "$m1" -mtime +1)" = "" ] || fail "run did not mark the entry used"
expect 0 gc --max-age 5
[ -e "$m1" ] || fail "gc --max-age evicted an entry in daily use"

# A manifest dated in the future ranks oldest, not newest.
expect 0 warm -e two
m2=$(manifest_of two)
touch -d '2100-01-01' "$m1"
touch -d '1 hour ago' "$m2"
size2=$(( $(stat -c %s "$m2") + $(stat -c %s "${m2%.json}.tar.zst") ))
expect 0 gc --max-size "$((size2 + 1024))"
[ ! -e "$m1" ] || fail "the entry dated 2100 was kept, the one used an hour ago evicted"
[ -e "$m2" ] || fail "gc evicted the entry used an hour ago"

if [ "$(id -u)" != 0 ]; then
    echo "ok (the full cache-dir cases need root to mount a tmpfs: skipped)"
    exit 0
fi
archive=$(( $(stat -c %s "${m2%.json}.tar.zst") ))

# A cache-dir with no room for an archive: the venv is used, uncached.
full=$T/full
mkdir "$full"
mount -t tmpfs -o size=$((archive / 4)) tmpfs "$full"
VC_CLEANUP+=("umount '$full'")
rm -rf "$VENVCACHE_VENV_ROOT/one"
expect 0 --cache-dir "$full" warm -e one
err_has "env one: not cached: the store '$full' cannot take its"
err_has "No space left on device"
[ "$("$VENVCACHE_VENV_ROOT/one/bin/vc-alpha")" = "vc-alpha 1.1" ] || fail "the venv built was not put in place"
expect 0 --cache-dir "$full" warm -e one     # present, ready
[ -z "$(ls "$full"/entries/ 2>/dev/null)" ] || fail "a partial entry was left: $(ls "$full"/entries)"
[ -z "$(ls "$full"/tmp/ 2>/dev/null)" ] || fail "a temporary file was left: $(ls "$full"/tmp)"

# Room for one archive only: with max-size set, gc evicts the older entry.
roomy=$T/roomy
mkdir "$roomy"
mount -t tmpfs -o size=$((archive * 3 / 2 + 262144)) tmpfs "$roomy"
VC_CLEANUP+=("umount '$roomy'")
rm -rf "$VENVCACHE_VENV_ROOT/one" "$VENVCACHE_VENV_ROOT/two"
expect 0 --cache-dir "$roomy" warm -e two
[ "$(ls "$roomy"/entries/*.json | wc -l)" -eq 1 ] || fail "env two was not cached"
VENVCACHE_MAX_SIZE=10G expect 0 --cache-dir "$roomy" warm -e one
err_has "gc: removed 1 least recently used entry to make room"
err_lacks "not cached"
[ "$(ls "$roomy"/entries/*.json | wc -l)" -eq 1 ] || fail "not one entry: $(ls "$roomy"/entries)"
grep -q '"env": *"one"' "$roomy"/entries/*.json || fail "env one was not cached after gc"
echo "ok"
