#!/usr/bin/env bash
# Issue 15, item 3: the store's interpreter probe cache never decides which
# program runs. Someone who can write the store edits probe/*.json's
# "executable" to a program of theirs; warm must not run it.
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

expect 0 warm -e one
probe=$(ls "$VENVCACHE_CACHE_DIR"/probe/*.json) || fail "no probe cache to edit"
[ "$(echo "$probe" | wc -l)" -eq 1 ] || fail "more than one probe file: $probe"

# The planted program leaves a mark and then behaves as the real python,
# so that only the mark tells whether it ran.
real=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["probe"]["executable"])' "$probe")
cat >"$T/evil" <<SH
#!/bin/sh
echo "ran: \$*" >>"$T/evil.log"
exec "$real" "\$@"
SH
chmod +x "$T/evil"
python3 - "$probe" "$T/evil" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["probe"]["executable"] = sys.argv[2]
json.dump(d, open(sys.argv[1], "w"))
PY

expect 0 -vv warm -e two
[ ! -e "$T/evil.log" ] || fail "warm ran the program named by the store's probe cache: $(cat "$T/evil.log")"
err_has "probing again"
py_venv_has "$VENVCACHE_VENV_ROOT/two" vc-alpha==1.0
# The probe was redone and the cache holds the truth again.
grep -qF "\"$T/evil\"" "$probe" && fail "the edited probe cache was kept"
grep -qF "\"$real\"" "$probe" || fail "the probe cache was not rewritten: $(cat "$probe")"

# The key names the real interpreter too.
python3 - "$probe" "$T/evil" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["probe"]["executable"] = sys.argv[2]
json.dump(d, open(sys.argv[1], "w"))
PY
expect 0 key -e two --explain
out_lacks "$T/evil"
err_lacks "$T/evil"
[ ! -e "$T/evil.log" ] || fail "key ran the program named by the store's probe cache"
echo "ok"
