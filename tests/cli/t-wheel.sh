#!/usr/bin/env bash
# The wheel (scripts/build-wheel.sh): its tag is honest (the manylinux glibc
# is the highest GLIBC_ symbol version the binary needs, at most 2.35 so it
# installs on ubuntu-22.04), the binary links nothing but glibc, pip installs
# it into a fresh venv and into a --target directory (as the action's
# `version` input does), and end-to-end cases pass against the installed
# binary. scripts/test-wheel.sh runs every end-to-end case against it.
. "$(dirname "$0")/lib.sh"

[ -x "$VC_SRC/build/ci-tools/bin/auditwheel" ] || fail "no auditwheel in build/ci-tools: run scripts/bootstrap.sh"
whl=$("$VC_SRC/scripts/build-wheel.sh" "$T/dist" 2>"$T/err") || fail "build-wheel.sh failed"
name=$(basename "$whl")
want_version=$(sed -n 's/^project(venvcache VERSION \([0-9.]*\).*/\1/p' "$VC_SRC/CMakeLists.txt")
[[ $name =~ ^venvcache-${want_version//./\\.}-py3-none-manylinux_2_([0-9]+)_x86_64\.whl$ ]] ||
    fail "wheel name '$name'"
tag_minor=${BASH_REMATCH[1]}
[ "$tag_minor" -le 35 ] || fail "manylinux_2_$tag_minor: will not install on ubuntu-22.04 (glibc 2.35)"

mkdir -p "$T/unz"
(cd "$T/unz" && python3 -m zipfile -e "$whl" .) || fail "cannot unzip $name"
bin="$T/unz/venvcache-$want_version.data/scripts/venvcache"
[ -f "$bin" ] || fail "no script venvcache in the wheel: $(find "$T/unz" -type f)"
python3 - "$whl" "venvcache-$want_version.data/scripts/venvcache" <<'PY' || fail "the binary is not executable in the wheel"
import sys, zipfile
mode = zipfile.ZipFile(sys.argv[1]).getinfo(sys.argv[2]).external_attr >> 16
sys.exit(0 if mode & 0o111 == 0o111 else 1)
PY
[ "$(find "$T/unz" -type f | grep -vc 'dist-info/')" -eq 1 ] || fail "the wheel holds more than the binary"
# NEEDED: glibc only (libc, and ld.so for libgcc's unwinder's
# _dl_find_object). The tag's glibc: the highest GLIBC_ version it needs.
needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }' | sort | tr '\n' ' ')
case $needed in "libc.so.6 " | "ld-linux-x86-64.so.2 libc.so.6 ") ;; *) fail "the binary needs: $needed" ;; esac
max=$(objdump -T "$bin" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2,2n -u | tail -n 1)
[ "$max" = "GLIBC_2.$tag_minor" ] || fail "highest symbol version $max, tag manylinux_2_$tag_minor"

# pip into a fresh venv; and --target, as the action installs a version.
python3 -m venv "$T/venv" || fail "python3 -m venv failed"
"$T/venv/bin/pip" install --quiet --no-index "$whl" >"$T/out" 2>"$T/err" || fail "pip install of the wheel failed"
[ "$("$T/venv/bin/venvcache" --version)" = "venvcache $want_version" ] || fail "the installed --version"
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --no-deps --no-index --only-binary=:all: \
    --target "$T/target" "$whl" >"$T/out" 2>"$T/err" || fail "pip install --target failed"
cmp -s "$T/target/bin/venvcache" "$T/venv/bin/venvcache" || fail "--target installed another binary"

# End-to-end cases against the installed binary (each its own temporary dirs).
for t in t-warm t-gha t-key; do
    VENVCACHE_BIN="$T/venv/bin/venvcache" bash "$VC_SRC/tests/cli/$t.sh" >"$T/case.log" 2>&1 ||
        { tail -n 20 "$T/case.log" >&2; fail "$t failed against the installed wheel"; }
done
echo "ok: $TEST_NAME ($name)"
