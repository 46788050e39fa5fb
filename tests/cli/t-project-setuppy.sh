#!/usr/bin/env bash
# A setup.py-only project (no pyproject.toml): its dependencies are asked of
# the build backend, pip's default build requirements (setuptools, wheel)
# join the set, and a hit installs the project with the mirror stopped. The
# setuptools here is a stand-in for setuptools >= 80 (tests/data/
# setuptools-stand-in), whose "setup.py develop" needs the index: pip takes
# a setup.py-only project that way unless told --use-pep517, which the
# bench found with retrying 1.3.4 and setuptools 84.
. "$(dirname "$0")/lib.sh"

mirror_start
python3 - "$VC_SRC/tests/data/setuptools-stand-in" "$T/mirror/files" <<'PY'
import base64, hashlib, os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
dist = "setuptools-99.0"
files = {}
for n in sorted(os.listdir(os.path.join(src, "setuptools"))):
    if n.endswith(".py"):
        files["setuptools/" + n] = open(os.path.join(src, "setuptools", n), "rb").read()
files[dist + ".dist-info/METADATA"] = b"Metadata-Version: 2.1\nName: setuptools\nVersion: 99.0\n"
files[dist + ".dist-info/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: t-project-setuppy\n"
                                    b"Root-Is-Purelib: true\nTag: py3-none-any\n")
rec = ["%s,sha256=%s,%d" % (n, base64.urlsafe_b64encode(hashlib.sha256(d).digest())
                            .rstrip(b"=").decode(), len(d)) for n, d in sorted(files.items())]
files[dist + ".dist-info/RECORD"] = ("\n".join(rec + [dist + ".dist-info/RECORD,,"]) + "\n").encode()
with zipfile.ZipFile(os.path.join(out, dist + "-py3-none-any.whl"), "w") as z:
    for n, d in sorted(files.items()):
        z.writestr(n, d)
PY
# A plain module named wheel stands in for wheel (pip only checks that it
# imports); publishing it reindexes the stand-in setuptools too.
mirror_publish wheel==99.0

mkdir app
cd app
cat >setup.py <<'PY'
from setuptools import setup

setup(name="vc-app", version="0.1", py_modules=["vc_app"],
      install_requires=["vc-beta==1.0"])
PY
echo 'VALUE = "v1"' >vc_app.py
printf -- '-e .\n' >requirements.txt
printf '[mirror]\nindex-url = %s\n' "$MIRROR_URL" >venvcache.ini
venv=$(vc path -r requirements.txt) # the -r env is named per project
name=$(basename "$venv")

expect 0 key --explain -r requirements.txt
err_has "vc-beta==1.0  ($PWD: the build backend's Requires-Dist)"
err_has "setuptools>=40.8.0  ($PWD: no [build-system] (pip's default))"

expect 0 warm -r requirements.txt
err_has "$name: created"
py_venv_has "$venv" vc-beta==1.0 vc-alpha==1.1
"$venv/bin/python" -c 'import setuptools, wheel; print(setuptools.__version__, wheel.__version__)' |
    grep -qx '99.0 99.0' || fail "the build requirements are not the mirror's"

# A hit with the mirror stopped: only the project is installed, by the
# venv's setuptools (PEP 660), from the source.
mirror_stop
rm -rf "$venv"
expect 0 warm -r requirements.txt
err_has "$name: hit"
(cd "$T" && "$venv/bin/python" -c 'import vc_app; print(vc_app.VALUE)') | grep -qx v1 ||
    fail "the project is not installed after a hit with the mirror stopped"
echo 'VALUE = "v2"' >vc_app.py
(cd "$T" && "$venv/bin/python" -c 'import vc_app; print(vc_app.VALUE)') | grep -qx v2 ||
    fail "the project is not installed editable"

# installer = uv asks the backend in a build environment uv makes from its
# cache (no pip, no build isolation of pip's): the same answer, the same key.
[ -x "$VC_UV" ] || fail "no uv at '$VC_UV': run scripts/bootstrap.sh"
mirror_start
printf '[mirror]\nindex-url = %s\n' "$MIRROR_URL" >venvcache.ini
expect 0 key -r requirements.txt
pipkey=$(cat "$T/out")
export VENVCACHE_UV=$VC_UV VENVCACHE_INSTALLER=uv
export VENVCACHE_CACHE_DIR=$T/store-uv VENVCACHE_VENV_ROOT=$VC_SHM/venvs-uv
expect 0 -v key --explain -r requirements.txt
err_has "asking the build backend of '$PWD' for its dependencies (a build environment made by uv)"
err_has "vc-beta==1.0  ($PWD: the build backend's Requires-Dist)"
grep -qF "$pipkey" "$T/out" ||
    fail "uv's answer gives another key than pip's: $(cat "$T/out") vs $pipkey"
[ -z "$(ls -d "$VENVCACHE_VENV_ROOT"/.venvcache/tools/pip-* 2>/dev/null)" ] ||
    fail "installer = uv made pip's tool venv to read the project"
[ -z "$(ls -A "$VENVCACHE_VENV_ROOT"/.venvcache/tools/ | grep build)" ] ||
    fail "the build environment was left behind"
grep -q "setuptools-99.0-py3-none-any.whl" "$T/mirror.log" ||
    fail "the build environment's setuptools is not the mirror's"
# A backend that fails says so, naming the project.
echo 'raise SystemExit("broken setup.py")' >setup.py
rm -rf "$VENVCACHE_CACHE_DIR"
expect 1 key -r requirements.txt
err_has "cannot read the metadata of the project '$PWD'"
err_has "broken setup.py"
echo "ok"
