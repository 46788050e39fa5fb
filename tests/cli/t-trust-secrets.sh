#!/usr/bin/env bash
# Issue 15, item 2: code that came from the store never runs with a secret
# in its environment. The resolver's tool venv is not in the store; a
# restored venv's python (a partial hit) runs with -I and none of our
# environment, and the mirror is reached only by venvcache's own pip.
. "$(dirname "$0")/lib.sh"

mirror_start --auth alice:Sup3rS3cretT0ken
export VC_T_MIRROR=$MIRROR_AUTH_URL
write_config() {
    cat >venvcache.ini <<INI
[mirror]
index-url = \${VC_T_MIRROR}

[env p]
deps = $1
INI
}
# A sitecustomize.py, as someone who can write the store would plant it:
# it logs, each time a python starts with it, whether it was isolated (-I)
# and whether any secret was in its environment.
canary() {
    cat >"$1/sitecustomize.py" <<PY
import os, sys
secret = any("Sup3rS3cretT0ken" in v for v in os.environ.values())
with open("$T/canary.log", "a") as f:
    f.write("isolated=%d secret=%s\n" % (sys.flags.isolated, "yes" if secret else "no"))
PY
}

# The resolver's venv is not in the store (actions/cache carries the store).
write_config "vc-alpha"
expect 0 key -e p
[ -z "$(ls -d "$VENVCACHE_CACHE_DIR"/resolve/pip-* 2>/dev/null)" ] ||
    fail "the resolver's venv is in the store: $(ls -d "$VENVCACHE_CACHE_DIR"/resolve/pip-*)"
tool=$(ls -d "$VENVCACHE_VENV_ROOT"/.venvcache/tools/pip-*[^k]) ||
    fail "no tool venv under the venv-root"
# A store written by someone else holds a venv where the old layout kept
# the resolver's (same name, marked ready), with a sitecustomize.py: it is
# never run, and the secret stays ours.
cp -a "$tool" "$VENVCACHE_CACHE_DIR/resolve/"
canary "$(echo "$VENVCACHE_CACHE_DIR"/resolve/pip-*/lib/python*/site-packages)"
VENVCACHE_RESOLVE_TTL=0 expect 0 key -e p
[ ! -e "$T/canary.log" ] || fail "code from the store ran: $(cat "$T/canary.log")"

# A partial hit starts from a store entry that carries a sitecustomize.py.
write_config "vc-beta==1.0
    vc-alpha==1.1"
expect 0 warm -e p
venv=$VENVCACHE_VENV_ROOT/p
canary "$(echo "$venv"/lib/python*/site-packages)"
expect 0 save -e p
rm -f "$T/canary.log"
write_config "vc-beta==1.0
    vc-alpha==1.0"
expect 0 warm -e p
err_has "p: partial"
# What ran during warm (the checks below run the venv's python themselves).
mv "$T/canary.log" "$T/warm.log" 2>/dev/null ||
    fail "the planted sitecustomize.py never ran: the test shows nothing"
! grep -q "secret=yes" "$T/warm.log" ||
    fail "a python from the store saw the mirror's credentials: $(cat "$T/warm.log")"
! grep -q "isolated=0" "$T/warm.log" ||
    fail "a python from the store ran without -I: $(cat "$T/warm.log")"
py_venv_has "$venv" vc-alpha==1.0 vc-beta==1.0

# A resolution record in the store names a direct URL the set does not
# have (a wheel here; an sdist would be built by pip with the mirror's
# credentials in its environment): it is resolved again, never installed.
write_config "vc-alpha"
rm -f "$VENVCACHE_CACHE_DIR"/resolve/*.json
expect 0 key -e p
# (Two records of one resolution: this mirror's, and the any-mirror one
# used when resolving fails; both are planted.)
recs=$(ls "$VENVCACHE_CACHE_DIR"/resolve/*.json) || fail "no resolution record"
[ "$(echo "$recs" | wc -l)" -eq 2 ] || fail "not two resolution records: $recs"
python3 - "$T/evil-1.0-py3-none-any.whl" <<'PY'
import sys, zipfile
files = {"evil/__init__.py": "", "evil-1.0.dist-info/METADATA":
         "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
         "evil-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: t\n"
         "Root-Is-Purelib: true\nTag: py3-none-any\n"}
files["evil-1.0.dist-info/RECORD"] = "".join(n + ",,\n" for n in files) + "evil-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for n, d in files.items():
        z.writestr(n, d)
PY
for rec in $recs; do
    python3 - "$rec" "file://$T/evil-1.0-py3-none-any.whl" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["pins"] = d["pins"].rstrip("\n") + "\nevil @ " + sys.argv[2] + "\n"
json.dump(d, open(sys.argv[1], "w"))
PY
done
rm -rf "$venv"
expect 0 warm -e p
"$venv/bin/python" -I -c 'import evil' 2>/dev/null &&
    fail "a direct URL from the store's resolution record was installed"
py_venv_has "$venv" vc-alpha==2.0
echo "ok"
