#!/usr/bin/env bash
# A failure fails: anything that goes wrong after a restore or a creation
# (the project under test does not install, the stamp cannot be written)
# makes warm and run exit 1 with one "venvcache:" line naming the env,
# packs nothing, starts no command, and leaves the venv not ready for the
# next warm to repair.
. "$(dirname "$0")/lib.sh"

mirror_start
cp -a "$VC_SRC/tests/data/project" proj
cd proj
printf -- '-e .\nvc-alpha==1.1\n' >requirements.txt
venv=$(vc path -r requirements.txt) # the -r env is named per project
name=$(basename "$venv")
entries=$VENVCACHE_CACHE_DIR/entries
# The project's metadata asks for a python that does not exist.
cp vcbackend.py good-backend.py
sed -i 's/Version: %s\\n" % VERSION/Version: %s\\nRequires-Python: >=99\\n" % VERSION/' vcbackend.py
grep -q 'Requires-Python: >=99' vcbackend.py || fail "the test could not break the project"

# 1. At creation: exit 1, pip's reason shown, one venvcache: line naming
# the env last, no store entry, the venv not ready.
expect 1 warm -r requirements.txt --index-url "$MIRROR_URL"
err_has "requires a different Python"
[ "$(grep -c '^venvcache: ' "$T/err")" = 1 ] || fail "expected one venvcache: line"
tail -n 1 "$T/err" | grep -q "^venvcache: warm: env $name: .*the project" ||
    fail "the last line does not name the env and the cause: $(tail -n 1 "$T/err")"
[ -z "$(cat "$T/out")" ] || fail "a failed warm printed a path"
[ -z "$(ls -A "$entries" 2>/dev/null)" ] || fail "a failed creation left a store entry: $(ls "$entries")"
! grep -q '^project /' "$venv/.venvcache-stamp" 2>/dev/null || fail "the venv is marked ready"
# run never starts its command.
expect 1 run -r requirements.txt --index-url "$MIRROR_URL" -- touch "$T/ran"
[ ! -e "$T/ran" ] || fail "run started its command after a failed warm"
err_has "env $name"

# 2. Fixed: the next warm repairs the venv in place (no creation), and
# publishes the entry the failed creation never did.
cp good-backend.py vcbackend.py
expect 0 warm -r requirements.txt --index-url "$MIRROR_URL"
err_lacks "created"
"$venv/bin/python" -I -c 'import vc_project, vc_alpha' || fail "not repaired"
[ -n "$(ls "$entries"/*.json 2>/dev/null)" ] || fail "the repaired venv was not saved"
for a in "$entries"/*.tar.zst; do
    ! unzstd -c "$a" | tar -t | grep -qi 'vc_project\|vc-project' || fail "the project is in $a"
done

# 3. After a restore: the entry is good and kept; warm still fails.
sed -i 's/Version: %s\\n" % VERSION/Version: %s\\nRequires-Python: >=99\\n" % VERSION/' vcbackend.py
rm -rf "$venv"
mirror_stop
expect 1 warm -r requirements.txt
err_has "requires a different Python"
err_lacks "$name: hit"
tail -n 1 "$T/err" | grep -q "^venvcache: warm: env $name: " || fail "last line: $(tail -n 1 "$T/err")"
[ -n "$(ls "$entries"/*.json 2>/dev/null)" ] || fail "a good entry was removed"
cp good-backend.py vcbackend.py
expect 0 warm -r requirements.txt
"$venv/bin/python" -I -c 'import vc_project' || fail "not repaired after a restore"

# 4. A hostile entry holding a .venvcache-stamp directory: the stamp cannot
# be written; warm fails, prints no path, and nothing is left ready.
cd "$T"
mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env demo]
deps = vc-alpha==1.1
INI
expect 0 warm -e demo
key=$(vc key -e demo)
manifest=$entries/$key.json
archive=$entries/$key.tar.zst
mkdir "$T/x"
unzstd -q -c "$archive" | tar -x -C "$T/x"
mkdir "$T/x/.venvcache-stamp"
(cd "$T/x" && tar -c --format=pax -- * .[!.]* >"$T/evil.tar")
zstd -q -f "$T/evil.tar" -o "$archive"
python3 - "$manifest" "$("$VC_BUILD/tests/vc_store_tool" checksum "$archive")" \
    "$(stat -c %s "$archive")" "$(stat -c %s "$T/evil.tar")" <<'PY'
import json, sys
path, sum_, size, tarsize = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
m = json.load(open(path))
m.update(checksum=sum_, archive_size=size, file_count=m["file_count"] + 2,
         unpacked_size=m["unpacked_size"] + 4096,
         frames=[{"offset": 0, "csize": size, "usize": tarsize}])
json.dump(m, open(path, "w"))
PY
rm -rf "$VENVCACHE_VENV_ROOT/demo"
expect 1 warm -e demo
err_lacks "demo: hit"
tail -n 1 "$T/err" | grep -q "^venvcache: warm: env demo: .*$(echo .venvcache-stamp)" ||
    fail "last line: $(tail -n 1 "$T/err")"
[ -z "$(cat "$T/out")" ] || fail "warm printed a path: $(cat "$T/out")"
[ ! -f "$VENVCACHE_VENV_ROOT/demo/.venvcache-stamp" ] || fail "a venv is marked ready"
expect 1 run -e demo -- touch "$T/ran2"
[ ! -e "$T/ran2" ] || fail "run started its command"
echo "ok"
