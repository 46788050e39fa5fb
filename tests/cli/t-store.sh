#!/usr/bin/env bash
# The store as users manage it: list, stats, gc, verify; output formats and
# exit codes. Entries are archives made by the system's tar and zstd (what
# actions/cache itself writes), published by tests/tools/vc_store_tool.
. "$(dirname "$0")/lib.sh"

TOOL=${VC_STORE_TOOL:-$VC_BUILD/tests/vc_store_tool}
[ -x "$TOOL" ] || fail "no $TOOL: build the tests first"
S=$VENVCACHE_CACHE_DIR
KA=venv-alpha-cp311-linux_x86_64-0123456789abcdef0123456789abcdef
KB=venv-beta-cp311-linux_x86_64-00000000000000000000000000000000
KC=venv-gamma-cp312-linux_x86_64-ffffffffffffffffffffffffffffffff

# mkentry KEY ENV PYVER KBYTES: an archive of KBYTES of random data.
mkentry() {
    mkdir -p "$T/src/$1/bin"
    head -c "$(($4 * 1024))" /dev/urandom >"$T/src/$1/bin/data"
    printf '#!/dev/shm/venvcache/%s/bin/python\n' "$2" >"$T/src/$1/bin/pip"
    tar --posix -C "$T/src/$1" -cf - . | zstd -q -f -3 -o "$T/$1.tar.zst"
    "$TOOL" put "$S" "$1" "$T/$1.tar.zst" "$2" "$3"
}
json() { python3 -c "import json,sys; d=json.load(open('$T/out')); $1"; }
last_used() { touch -h -d "$2" "$S/entries/$1.json"; }

# --- an empty (or absent) store --------------------------------------
expect 0 list
out_has "KEY"
out_has "LAST USED"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "an empty list has rows"
[ ! -e "$S" ] || fail "list created the store"
expect 0 list --format json
json "assert d == [], d"
expect 0 stats --format json
json "assert d['counters']['hits'] == 0 and d['hit_ratio'] is None, d"
expect 0 verify
expect 0 gc
expect 2 list --format xml
err_has "venvcache: list: --format: 'xml' is not table or json"
expect 2 stats --format yaml
expect 2 list extra
expect 2 gc --max-size lots
err_has "--max-size: 'lots' is not a size"
expect 2 gc --max-age soon
err_has "--max-age: 'soon' is not a number of days"
expect 2 verify --frobnicate

# --- three entries ----------------------------------------------------
mkentry "$KA" alpha 3.11.4 40
mkentry "$KB" beta 3.11.4 60
mkentry "$KC" gamma 3.12.1 80
[ -f "$S/CACHEDIR.TAG" ] || fail "no CACHEDIR.TAG"
head -c 43 "$S/CACHEDIR.TAG" | grep -qx 'Signature: 8a477f597d28d172789f06886806bc55' ||
    fail "CACHEDIR.TAG has no signature"
# What the store holds is plain: unzstd and tar read it.
unzstd -q -c "$S/entries/$KB.tar.zst" | tar -tf - | grep -q './bin/pip' ||
    fail "the archive is not a plain tar.zst"
last_used "$KA" '3 days ago'
last_used "$KB" '1 hour ago'
last_used "$KC" '10 days ago'

expect 0 list
[ "$(wc -l <"$T/out")" -eq 4 ] || fail "list: expected 3 rows"
sed -n 2p "$T/out" | grep -Eq "^$KB +beta +3\.11\.4 " || fail "list: most recently used is not first"
sed -n 3p "$T/out" | grep -Eq "^$KA +alpha " || fail "list: wrong order"
sed -n 4p "$T/out" | grep -Eq "^$KC +gamma +3\.12\.1 " || fail "list: wrong order"
out_has "2023-11-"      # created (1700000000, in any time zone)
# Which size: packed (archive and manifest on disk) and unpacked.
head -1 "$T/out" | grep -Eq '^KEY +ENV +PYTHON +PACKED +UNPACKED +CREATED +LAST USED$' ||
    fail "list header: $(head -1 "$T/out")"
[ ! -s "$T/err" ] || fail "list wrote to stderr"

expect 0 list --format json
json "
import os
keys = [e['key'] for e in d]
assert keys == ['$KB', '$KA', '$KC'], keys
for e in d:
    on_disk = sum(os.lstat('$S/entries/' + e['key'] + s).st_size for s in ('.tar.zst', '.json'))
    assert e['size'] == on_disk, (e['size'], on_disk)
    assert set(e) == {'key', 'env', 'python', 'python_version', 'size', 'unpacked_size',
                      'file_count', 'created', 'last_used', 'create_seconds'}, e
assert d[1]['env'] == 'alpha' and d[2]['python_version'] == '3.12.1'
assert d[0]['last_used'] > d[1]['last_used'] > d[2]['last_used']
assert d[0]['created'] == 1700000000
"

# --- stats -------------------------------------------------------------
cat >"$S/stats.json" <<'JSON'
{"format": 1, "zeroed": 0, "counters": {"hits": 3, "misses": 1, "saved_ms": 4500,
 "bytes_restored": 3221225472, "creations": 1}}
JSON
expect 0 stats
out_has "hit ratio"
grep -Eq '^hit ratio +75\.00 % \(3 of 4 lookups\)$' "$T/out" || fail "stats: hit ratio"
grep -Eq '^seconds saved +4\.5$' "$T/out" || fail "stats: seconds saved"
grep -Eq '^cache hits \(restored from the store\) +3$' "$T/out" || fail "stats: hits"
grep -Eq '^bytes restored +3221225472 \(3\.0 GiB\)$' "$T/out" || fail "stats: bytes"
grep -Eq '^store size +.* in 3 entries \(max-size 10\.0 GiB\)$' "$T/out" || fail "stats: size"
grep -Eq '^stats zeroed +never$' "$T/out" || fail "stats: zeroed"
expect 0 stats --format json
json "
c = d['counters']
assert c['hits'] == 3 and c['misses'] == 1 and c['saves'] == 0, c
assert abs(d['hit_ratio'] - 0.75) < 1e-9 and d['seconds_saved'] == 4.5, d
assert d['entries'] == 3 and d['store_size'] > 180 * 1024, d
assert d['max_size'] == 10 << 30 and d['zeroed'] == 0
"
expect 0 stats --zero
[ ! -s "$T/out" ] || fail "stats --zero printed on stdout"
err_has "statistics zeroed"
expect 0 stats --format json
json "
import time
assert all(v == 0 for v in d['counters'].values()), d
assert time.time() - 60 < d['zeroed'] <= time.time() + 1, d
"
expect 0 -q stats -z
[ ! -s "$T/err" ] || fail "stats -z -q wrote to stderr"
echo '{"format": 1, "zeroed": 0, "counters": {"hits": "many"}}' >"$S/stats.json"
expect 1 stats
err_has "stats.json': counter 'hits' is not a count"
err_one_line
echo '{"format": 1,' >"$S/stats.json"
expect 1 stats --format json
err_has "stats.json:2:"
err_one_line
rm "$S/stats.json"

# --- gc ----------------------------------------------------------------
size_of() { echo $(( $(stat -c %s "$S/entries/$1.tar.zst") + $(stat -c %s "$S/entries/$1.json") )); }
SA=$(size_of "$KA"); SB=$(size_of "$KB"); SC=$(size_of "$KC")
expect 0 gc -n --max-size $((SA + SB + SC - 1))
out_has "would remove $KC ("
out_has "last used 10 days ago)"
err_has "would keep 2 ("
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "gc -n: expected one entry"
err_has "would remove 1 entry"
[ -f "$S/entries/$KC.json" ] || fail "gc -n removed an entry"
# The setting is the default target.
VENVCACHE_MAX_SIZE=$((SA + SB)) expect 0 gc --dry-run
out_has "would remove $KC"
# A restore holds the oldest entry: gc goes to the next one instead.
(exec 9>>"$S/locks/$KC.lock" && flock -s 9 && exec sleep 60) >/dev/null 2>&1 &
holder=$!
VC_CLEANUP+=("kill $holder 2>/dev/null")
for _ in $(seq 50); do
    flock -n -x "$S/locks/$KC.lock" true || break
    sleep 0.1
done
expect 0 gc --max-size $((SB + SC))
out_has "removed $KA ("
out_lacks "$KC"
err_has "kept '$KC': in use"
[ -f "$S/entries/$KC.json" ] && [ -f "$S/entries/$KC.tar.zst" ] || fail "gc removed an entry in use"
[ ! -e "$S/entries/$KA.json" ] && [ ! -e "$S/entries/$KA.tar.zst" ] || fail "gc left $KA"
kill -9 "$holder" # the kernel releases a dead holder's lock
wait "$holder" 2>/dev/null || true
expect 0 gc --max-age 5
out_has "removed $KC"
expect 0 list --format json
json "assert [e['key'] for e in d] == ['$KB'], d"
expect 0 stats --format json
json "assert d['counters']['evictions'] == 2, d['counters']"
# Durations too; 0 means no size limit.
expect 0 gc --max-size 0 --max-age 2h
[ ! -s "$T/out" ] || fail "gc removed a fresh entry"
[ -f "$S/entries/$KB.json" ] || fail "gc removed a fresh entry"

# --- verify ------------------------------------------------------------
mkentry "$KA" alpha 3.11.4 20
mkentry "$KC" gamma 3.12.1 20
KD=venv-delta-cp311-linux_x86_64-11111111111111111111111111111111
KE=venv-eps-cp311-linux_x86_64-22222222222222222222222222222222
KF=venv-phi-cp311-linux_x86_64-33333333333333333333333333333333
mkentry "$KD" delta 3.11.4 20
mkentry "$KE" eps 3.11.4 20
mkentry "$KF" phi 3.11.4 20
expect 0 verify
[ "$(grep -c '^ok ' "$T/out")" -eq 6 ] || fail "verify: expected 6 ok lines"
out_has "ok $KA"
err_has "6 good, 0 bad"
# Their checksums match, but GNU tar's "./" top member is not one that
# venvcache restores, and the manifests' counts are made up: --deep reads
# each archive through libarchive and says so.
expect 1 verify --deep
out_has "bad $KA"
err_has "venvcache: verify: entry '$KA': libarchive: archive member '.': not a relative name below the top"
err_has "0 good, 6 bad"
KG=venv-gee-cp311-linux_x86_64-44444444444444444444444444444444
mkdir -p "$T/src/$KG/bin" && echo hi >"$T/src/$KG/bin/data"
tar --posix -C "$T/src/$KG" -cf - bin | zstd -q -f -3 -o "$T/$KG.tar.zst"
"$TOOL" put "$S" "$KG" "$T/$KG.tar.zst" gee 3.11.4
expect 1 verify --deep
out_has "bad $KG"
err_has "venvcache: verify: entry '$KG': libarchive reads 2 members and 3 bytes of files; the manifest says 1 and "
rm -f "$S/entries/$KG".*

# A flipped byte, a cut archive, a manifest without archive, an archive
# without manifest.
printf '\xff' | dd of="$S/entries/$KA.tar.zst" bs=1 seek=100 conv=notrunc status=none
truncate -s 1000 "$S/entries/$KC.tar.zst"
rm "$S/entries/$KD.tar.zst"
rm "$S/entries/$KE.json"
expect 1 verify
out_has "bad $KA"
out_has "bad $KC"
out_has "bad $KD"
out_has "ok $KB"
out_has "ok $KF"
err_has "venvcache: verify: entry '$KA': the archive's checksum is "
err_has "venvcache: verify: entry '$KC': the archive has 1000 bytes, its manifest says "
err_has "venvcache: verify: entry '$KD': manifest without archive"
err_has "removed '$KE': an archive without manifest"
[ ! -e "$S/entries/$KE.tar.zst" ] || fail "verify kept an orphan archive"
[ -e "$S/entries/$KA.json" ] || fail "verify removed a bad entry without --fix"
# A manifest from a hostile cache: never printed as it is.
sed 's/"env": "phi"/"env": "phi\\u001b[2J"/' "$S/entries/$KF.json" >"$T/m" && cat "$T/m" >"$S/entries/$KF.json"
expect 0 list
out_lacks "$KF"
err_has "skipping a bad entry"
err_has "field 'env' holds a control character"
if grep -q $'\x1b' "$T/err" "$T/out"; then fail "an escape sequence reached the terminal"; fi
expect 0 verify --fix
out_has "removed $KA"
out_has "removed $KC"
out_has "removed $KD"
out_has "removed $KF"
out_has "ok $KB"
expect 0 verify
out_has "ok $KB"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "verify --fix left bad entries"
ls "$S/entries" >"$T/ls"
[ "$(wc -l <"$T/ls")" -eq 2 ] || fail "entries/ holds more than one entry: $(cat "$T/ls")"
echo "ok"
