#!/usr/bin/env bash
# Issue 15, item 4: relocation is bounded. Someone who can write the store
# makes an entry whose prefix is '/' or a short path, and whose
# prefix_files member is full of it: a tiny archive must not become a huge
# file on the venv-root (the old code turned 424 bytes into 293 MB), and
# the env is rebuilt from the mirror.
. "$(dirname "$0")/lib.sh"

mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env demo]
deps = vc-alpha==1.1
INI
venv=$VENVCACHE_VENV_ROOT/demo
expect 0 warm -e demo
key=$(vc key -e demo)
entries=$VENVCACHE_CACHE_DIR/entries
tool=$VC_BUILD/tests/vc_store_tool

# A 4 MiB member of '/a' repeated (an archive of a few hundred bytes), the
# manifest blessed to describe it (checksum, sizes, prefix, prefix_files).
hostile() {
    local prefix=$1 manifest archive sum size
    manifest=$(ls "$entries"/*.json) archive=$(ls "$entries"/*.tar.zst)
    python3 - "$T/evil.tar" <<'PY'
import io, sys, tarfile
data = b"/a" * (2 << 20)
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("bomb"); i.size = len(data); i.mode = 0o644
    t.addfile(i, io.BytesIO(data))
PY
    zstd -q -19 -f "$T/evil.tar" -o "$archive"
    sum=$("$tool" checksum "$archive")
    size=$(stat -c %s "$archive")
    python3 - "$manifest" "$sum" "$size" "$(stat -c %s "$T/evil.tar")" "$prefix" <<'PY'
import json, sys
path, sum_, size, tarsize, prefix = sys.argv[1:]
m = json.load(open(path))
m.update(checksum=sum_, archive_size=int(size), prefix=prefix,
         prefix_files=["bomb"], unpacked_size=(4 << 20) + 4096, file_count=1,
         frames=[{"offset": 0, "csize": int(size), "usize": int(tarsize)}])
json.dump(m, open(path, "w"))
PY
    note "hostile entry: prefix '$prefix', archive $size bytes"
}

# A prefix that cannot be a venv's path: refused before extraction.
hostile /
rm -rf "$venv"
expect 0 warm -e demo
err_has "'/' cannot be the path of a venv"
err_has "removing store entry $key"
err_has "demo: created"
[ ! -e "$venv/bomb" ] || fail "the entry with prefix '/' was restored"
[ "$("$venv/bin/vc-alpha")" = "vc-alpha 1.1" ] || fail "not rebuilt"

# A short prefix that is a path: the relocation stops at twice the declared
# size (here 4 MiB more; unbounded, the member would grow to 40 MiB and
# more with this venv-root).
hostile /a
rm -rf "$venv"
expect 0 warm -e demo
err_has "grow past twice its declared size"
err_has "removing store entry $key"
err_has "demo: created"
[ ! -e "$venv/bomb" ] || fail "the relocated member is in the venv"
# Nothing of it is left anywhere under the venv-root.
big=$(find "$VENVCACHE_VENV_ROOT" -type f -size +4M | head -3)
[ -z "$big" ] || fail "a relocation output was left: $big"
[ "$("$venv/bin/vc-alpha")" = "vc-alpha 1.1" ] || fail "not rebuilt"
expect 0 verify
echo "ok"
