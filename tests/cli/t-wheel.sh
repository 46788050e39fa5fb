#!/usr/bin/env bash
# The wheel (scripts/build-wheel.sh): its tag is honest (the manylinux glibc
# is the highest GLIBC_ symbol version the binary and its grafted libraries
# need, and auditwheel show finds the wheel consistent with it) and, built
# on glibc 2.36 or older (Debian 12, ubuntu-22.04), at most 2.35, so it
# installs on ubuntu-22.04; the binary links only glibc and (grafted)
# libcurl; pip installs it into a fresh venv and into a --target directory
# (as the action's `version` input does), and end-to-end cases, a remote
# store among them, pass against the installed binary.
# scripts/test-wheel.sh runs every end-to-end case against it.
. "$(dirname "$0")/lib.sh"

[ -x "$VC_SRC/build/ci-tools/bin/auditwheel" ] || fail "no auditwheel in build/ci-tools: run scripts/bootstrap.sh"
whl=$("$VC_SRC/scripts/build-wheel.sh" "$T/dist" 2>"$T/err") || fail "build-wheel.sh failed"
name=$(basename "$whl")
want_version=$(sed -n 's/^project(venvcache VERSION \([0-9.]*\).*/\1/p' "$VC_SRC/CMakeLists.txt")
[[ $name =~ ^venvcache-${want_version//./\\.}-py3-none-manylinux_2_([0-9]+)_x86_64\.whl$ ]] ||
    fail "wheel name '$name'"
tag_minor=${BASH_REMATCH[1]}
# ubuntu-22.04 has glibc 2.35. Built on Debian 12 (2.36) the wheel is
# manylinux_2_35: the binary's highest version is 2.35 (_dl_find_object, from
# the static libgcc unwinder), libarchive is linked from its .a (Debian's
# libarchive.so needs arc4random_buf, 2.36), libstdc++'s arc4random is
# wrapped (src/cli/static-compat.c). On a newer build machine (ubuntu-24.04,
# 2.39) what it links may need more: said, not failed, as the tag is honest.
host_minor=$(getconf GNU_LIBC_VERSION | sed -n 's/^glibc 2\.\([0-9]*\).*/\1/p')
[ -n "$host_minor" ] || fail "cannot tell this machine's glibc: $(getconf GNU_LIBC_VERSION)"
if [ "$tag_minor" -gt 35 ]; then
    [ "$host_minor" -gt 36 ] ||
        fail "manylinux_2_$tag_minor built on glibc 2.$host_minor: the wheel will not install on ubuntu-22.04 (glibc 2.35)"
    note "manylinux_2_$tag_minor (built on glibc 2.$host_minor): this wheel will not install on ubuntu-22.04 (glibc 2.35)"
fi
# auditwheel's own verdict on the wheel it wrote.
"$VC_SRC/build/ci-tools/bin/auditwheel" show "$whl" >"$T/show" 2>&1 || fail "auditwheel show failed: $(tail -n 3 "$T/show")"
tr -s ' \n' '  ' <"$T/show" | grep -q "consistent with the following platform tag: \"manylinux_2_${tag_minor}_x86_64\"" ||
    fail "auditwheel show does not find $name consistent with manylinux_2_$tag_minor: $(tr -s ' \n' '  ' <"$T/show")"

mkdir -p "$T/unz"
(cd "$T/unz" && python3 -m zipfile -e "$whl" .) || fail "cannot unzip $name"
# The binary: the script itself, since it needs only glibc (libcurl and
# libarchive are opened with dlopen when used: lazy.c); were it to link
# another library, auditwheel would move it to venvcache.scripts/ behind a
# Python shim and graft the library into venvcache.libs/.
elf="venvcache.scripts/venvcache"
[ -f "$T/unz/$elf" ] || elf="venvcache-$want_version.data/scripts/venvcache"
bin="$T/unz/$elf"
[ -f "$bin" ] || fail "no venvcache binary in the wheel: $(find "$T/unz" -type f | head)"
python3 - "$whl" "$elf" <<'PY' || fail "the binary is not executable in the wheel"
import sys, zipfile
mode = zipfile.ZipFile(sys.argv[1]).getinfo(sys.argv[2]).external_attr >> 16
sys.exit(0 if mode & 0o111 == 0o111 else 1)
PY
# NEEDED: glibc only (libc, and ld.so for libgcc's unwinder's
# _dl_find_object); every other library is linked in or opened when used.
# The binary's highest GLIBC_ version is at most the tag's.
objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }' >"$T/needed"
while read -r lib; do
    case $lib in
    libc.so.6 | ld-linux-x86-64.so.2) ;;
    *) fail "the binary needs $lib" ;;
    esac
done <"$T/needed"
max=$(objdump -T "$bin" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2,2n -u | tail -n 1)
[ "${max#GLIBC_2.}" -le "$tag_minor" ] || fail "highest symbol version $max, tag manylinux_2_$tag_minor"
# The tag is the highest GLIBC_ version of the binary and what was grafted.
all=$(find "$T/unz" -type f \( -path '*/venvcache.libs/*' -o -path "$bin" \) -exec objdump -T {} + 2>/dev/null |
    grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2,2n -u | tail -n 1)
[ "$all" = "GLIBC_2.$tag_minor" ] || fail "the wheel's highest symbol version is $all, its tag manylinux_2_$tag_minor"

# pip into a fresh venv; and --target, as the action installs a version.
python3 -m venv "$T/venv" || fail "python3 -m venv failed"
"$T/venv/bin/pip" install --quiet --no-index "$whl" >"$T/out" 2>"$T/err" || fail "pip install of the wheel failed"
[ "$("$T/venv/bin/venvcache" --version)" = "venvcache $want_version" ] || fail "the installed --version"
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --no-deps --no-index --only-binary=:all: \
    --target "$T/target" "$whl" >"$T/out" 2>"$T/err" || fail "pip install --target failed"
# What the action runs from a --target install (scripts/action.sh).
tbin="$T/target/venvcache.scripts/venvcache"
[ -f "$tbin" ] || tbin="$T/target/bin/venvcache"
[ "$("$tbin" --version)" = "venvcache $want_version" ] || fail "the --target binary's --version"

# End-to-end cases against the installed binary (each its own temporary
# dirs): the ELF itself, since a grafted wheel's venv/bin/venvcache is
# auditwheel's Python shim, which starts an interpreter on every call (and
# t-key checks that a cached key starts no program). t-remote-s3 uploads and
# downloads through the system's libcurl, opened when first used (S3,
# Signature V4, Ed25519-signed); t-store's verify --deep reads entries
# through the system's libarchive, likewise.
vbin=$(ls "$T"/venv/lib/python*/site-packages/venvcache.scripts/venvcache 2>/dev/null) || vbin="$T/venv/bin/venvcache"
[ "$("$vbin" --version)" = "venvcache $want_version" ] || fail "the installed binary's --version"
for t in t-warm t-gha t-key t-store t-remote-s3; do
    VENVCACHE_BIN="$vbin" bash "$VC_SRC/tests/cli/$t.sh" >"$T/case.log" 2>&1 ||
        { tail -n 20 "$T/case.log" >&2; fail "$t failed against the installed wheel"; }
done
echo "ok: $TEST_NAME ($name)"
