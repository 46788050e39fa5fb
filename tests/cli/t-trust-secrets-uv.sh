#!/usr/bin/env bash
# Issue 15, item 2, with installer = uv: uv runs the python it installs
# into (to ask it what it is), so on a partial hit and for the project's
# install, uv itself must run without the mirror's credentials when that
# python came from the store. The mirror is reached only by a tool of ours
# whose python is not the store's.
. "$(dirname "$0")/lib.sh"

[ -x "$VC_UV" ] || fail "no uv at '$VC_UV': run scripts/bootstrap.sh"
mirror_start --auth alice:Sup3rS3cretT0ken
export VC_T_MIRROR=$MIRROR_AUTH_URL
write_config() {
    cat >venvcache.ini <<INI
[venvcache]
installer = uv
uv = $VC_UV

[mirror]
index-url = \${VC_T_MIRROR}

[env p]
deps = $1
INI
}
# A sitecustomize.py, as someone who can write the store would plant it:
# it logs whether any secret was in its environment each time the venv's
# python starts, and what started it.
canary() {
    cat >"$1/sitecustomize.py" <<PY
import os, sys
secret = any("Sup3rS3cretT0ken" in v or "alice:" in v for v in os.environ.values())
with open("$T/canary.log", "a") as f:
    f.write("secret=%s %s %s\n" % ("yes" if secret else "no", sys.argv[:3], open("/proc/%d/cmdline" % os.getppid()).read().replace("\0", " ")[:200]))
PY
}
ran_clean() { # $1: what ran
    mv "$T/canary.log" "$T/$1.log" 2>/dev/null ||
        fail "$1: the planted sitecustomize.py never ran: the test shows nothing"
    ! grep -q "secret=yes" "$T/$1.log" ||
        fail "$1: a python from the store saw the mirror's credentials: $(sort "$T/$1.log" | uniq -c | tr '\n' ' ')"
}

# A partial hit (one version changed, one package removed) starts from a
# store entry that carries a sitecustomize.py.
write_config "vc-beta==1.0
    vc-alpha==1.1
    vc-gamma"
expect 0 warm -e p
venv=$VENVCACHE_VENV_ROOT/p
canary "$(echo "$venv"/lib/python*/site-packages)"
expect 0 save -e p
rm -f "$T/canary.log"
write_config "vc-beta==1.0
    vc-alpha==1.0"
expect 0 warm -e p
err_has "p: partial"
ran_clean partial
py_venv_has "$venv" vc-alpha==1.0 vc-beta==1.0
"$venv/bin/python" -I -c 'import vc_gamma' 2>/dev/null &&
    fail "the partial hit left vc-gamma installed"

# The project under test is installed (uv, --no-build-isolation: its build
# backend runs in the venv's python) into a venv restored from the store.
cp -a "$VC_SRC/tests/data/project" proj
cd proj
write_config "vc-beta==1.0
    vc-alpha==1.0"
rm -rf "$venv" "$T/canary.log"
VENVCACHE_INSTALL_PROJECT=yes expect 0 warm -e p
err_has "p: hit"
ran_clean project
"$venv/bin/python" -c 'import vc_project' 2>/dev/null ||
    fail "the project is not installed"
echo "ok"
