#!/usr/bin/env bash
# A poisoned store (an attacker wrote the cache, checksum and all), and
# corrupt or truncated entries: never extracted into place, removed,
# reported, and the env rebuilt from the mirror.
. "$(dirname "$0")/lib.sh"

demo_config vc-alpha==1.1
venv=$VENVCACHE_VENV_ROOT/demo
expect 0 warm -e demo
key=$(vc key -e demo)
entries=$VENVCACHE_CACHE_DIR/entries
manifest=$(ls "$entries"/*.json)
archive=$(ls "$entries"/*.tar.zst)
tool=$VC_BUILD/tests/vc_store_tool
stats() { vc stats --format json | python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$1'])"; }

# Rewrites the manifest to describe the archive as it now is (what an
# attacker who can write the cache does), so that only extraction stands.
bless() {
    local tarsize=$1 sum size
    sum=$("$tool" checksum "$archive")
    size=$(stat -c %s "$archive")
    python3 - "$manifest" "$sum" "$size" "$tarsize" <<'PY'
import json, sys
path, sum_, size, tarsize = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
m = json.load(open(path))
m.update(checksum=sum_, archive_size=size, frames=[{"offset": 0, "csize": size, "usize": tarsize}])
json.dump(m, open(path, "w"))
PY
}

# 1. A member that climbs out of the venv, checksum blessed.
python3 - "$T/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    d = tarfile.TarInfo("bin"); d.type = tarfile.DIRTYPE; d.mode = 0o755
    t.addfile(d)
    for name, data in (("bin/python", b"#!/bin/sh\n"), ("../../../escaped-by-poison", b"pwned\n")):
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o755
        t.addfile(i, io.BytesIO(data))
PY
zstd -q -f "$T/evil.tar" -o "$archive"
bless "$(stat -c %s "$T/evil.tar")"
rm -rf "$venv"
expect 0 warm -e demo
err_has "removing store entry $key"
err_has "escaped-by-poison"
err_has "demo: created"
[ -z "$(find / -xdev -name escaped-by-poison 2>/dev/null | head -1)" ] || fail "a member escaped"
[ "$("$venv/bin/vc-alpha")" = "vc-alpha 1.1" ] || fail "not rebuilt"
[ "$(stats failed_restores)" = 1 ] || fail "failed_restores is $(stats failed_restores)"
expect 0 verify
# What venvcache packed, libarchive reads as the manifest says.
expect 0 verify --deep
out_has "ok "

# 2. A symlink, then a write through it (blessed).
manifest=$(ls "$entries"/*.json); archive=$(ls "$entries"/*.tar.zst)
mkdir -p "$T/target"
python3 - "$T/evil.tar" "$T/target" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("lib"); i.type = tarfile.SYMTYPE; i.linkname = sys.argv[2]
    t.addfile(i)
    i = tarfile.TarInfo("lib/planted"); data = b"x"; i.size = 1
    t.addfile(i, io.BytesIO(data))
PY
zstd -q -f "$T/evil.tar" -o "$archive"
bless "$(stat -c %s "$T/evil.tar")"
rm -rf "$venv"
expect 0 warm -e demo
err_has "lib/planted"
[ ! -e "$T/target/planted" ] || fail "wrote through a symlink"
"$venv/bin/python" -c 'import vc_alpha' || fail "not rebuilt"

# 3. A flipped byte (checksum not blessed): caught before extraction.
archive=$(ls "$entries"/*.tar.zst)
printf '\xff' | dd of="$archive" bs=1 seek=1000 conv=notrunc status=none
expect 1 verify
out_has "bad"
rm -rf "$venv"
expect 0 warm -e demo
err_has "removing store entry"
"$venv/bin/python" -c 'import vc_alpha' || fail "not rebuilt after a flipped byte"

# 4. A truncated archive, and a manifest without its archive.
archive=$(ls "$entries"/*.tar.zst)
truncate -s 1000 "$archive"
rm -rf "$venv"
expect 0 warm -e demo
"$venv/bin/python" -c 'import vc_alpha' || fail "not rebuilt after truncation"
rm -f "$entries"/*.tar.zst
rm -rf "$venv"
expect 0 warm -e demo
"$venv/bin/python" -c 'import vc_alpha' || fail "not rebuilt without archive"
expect 0 verify
# Nothing half-made was ever left ready or lying around.
[ -z "$(ls -A "$VENVCACHE_VENV_ROOT/.venvcache/tmp")" ] || fail "leftovers in tmp"
echo "ok"
