#!/usr/bin/env bash
# Where apt has no libtomlplusplus-dev (Ubuntu 22.04) the build takes the
# headers that scripts/fetch-tomlpp.sh extracts from a .deb pinned by sha256.
# Offline: the .deb is made here from the toml++ headers this machine builds
# with, and fetched by file:// URL. A .deb whose sha256 is not the expected
# one is refused and nothing is extracted; the one whose sha256 is given is
# reduced to its headers and copyright; CMake, with pkg-config unable to
# find tomlplusplus, takes them from VENVCACHE_TOMLPP_INCLUDE_DIR (and
# toml.cc compiles against them, not /usr/include's) or from the bootstrap
# directory of the source tree, and says what is missing when neither is.
. "$(dirname "$0")/lib.sh"

fetch="$VC_SRC/scripts/fetch-tomlpp.sh"
pinned=$(sed -n 's/^sha256=//p' "$fetch")
[[ $pinned =~ ^[0-9a-f]{64}$ ]] || fail "no pinned sha256 in $fetch"

# The headers this machine has: pkg-config's, else the bootstrap's copy.
if inc=$(pkg-config --variable=includedir tomlplusplus 2>/dev/null) &&
    [ -f "$inc/toml++/toml.h" ]; then
    :
elif [ -f "$VC_SRC/build/deps/tomlplusplus/include/toml++/toml.h" ]; then
    inc=$VC_SRC/build/deps/tomlplusplus/include
else
    fail "no toml++ headers on this machine (pkg-config, build/deps/tomlplusplus)"
fi

# A .deb laid out as Debian's libtomlplusplus-dev, .pc file and all.
pkg=$T/pkg
mkdir -p "$pkg/DEBIAN" "$pkg/usr/include" "$pkg/usr/share/doc/libtomlplusplus-dev" \
    "$pkg/usr/lib/x86_64-linux-gnu/pkgconfig"
cp -R "$inc/toml++" "$pkg/usr/include/"
printf 'Files: *\nLicense: Expat\nComment: test copy\n' >"$pkg/usr/share/doc/libtomlplusplus-dev/copyright"
printf 'Name: tomlplusplus\nVersion: 3.3.0\nDescription: test\nCflags: -DTOML_SHARED_LIB=1\n' \
    >"$pkg/usr/lib/x86_64-linux-gnu/pkgconfig/tomlplusplus.pc"
printf 'Package: libtomlplusplus-dev\nVersion: 3.3.0+ds-1\nArchitecture: amd64\nMaintainer: test <t@example.invalid>\nDescription: test copy\n' \
    >"$pkg/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip --build "$pkg" "$T/local.deb" >/dev/null 2>"$T/err" ||
    fail "dpkg-deb --build failed"
local_sha=$(sha256sum "$T/local.deb" | cut -d' ' -f1)
[ "$local_sha" != "$pinned" ] || fail "the local .deb has the pinned sha256"
url="file://$T/local.deb"

# 1. The pinned sha256 does not match: refused, nothing extracted.
dest=$T/deps/tomlplusplus
set +e
"$fetch" --url "$url" "$dest" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a .deb with another sha256 was accepted"
err_has "sha256 is $local_sha, expected $pinned: refusing it"
[ "$(tail -n 1 "$T/err")" = "fetch-tomlpp: $url: sha256 is $local_sha, expected $pinned: refusing it (nothing extracted)" ] ||
    fail "last line: $(tail -n 1 "$T/err")"
[ ! -e "$dest" ] || fail "$dest exists after a refused .deb"
[ -z "$(ls -A "$T/deps")" ] || fail "left in $T/deps: $(ls -A "$T/deps")"
"$fetch" --check "$dest" && fail "--check passed on nothing"

# 2. With its sha256: the headers and the copyright, nothing else.
"$fetch" --url "$url" --sha256 "$local_sha" "$dest" >"$T/out" 2>"$T/err" ||
    fail "fetch-tomlpp.sh refused the .deb of its sha256: $(cat "$T/err")"
[ -f "$dest/include/toml++/toml.h" ] || fail "no include/toml++/toml.h"
diff -r "$inc/toml++" "$dest/include/toml++" >/dev/null || fail "the headers differ from the .deb's"
grep -q 'test copy' "$dest/copyright" || fail "no copyright"
[ "$(cd "$dest" && find . -name '*.pc' -o -path './usr*' -o -path './lib*' | head -n 1)" = "" ] ||
    fail "more than headers and copyright kept: $(cd "$dest" && find . | head)"
"$fetch" --check --sha256 "$local_sha" "$dest" || fail "--check failed on what it extracted"
"$fetch" --check "$dest" && fail "--check passed for the pinned sha256 on another .deb's headers"
# A refused download leaves a good directory as it was.
"$fetch" --url "$url" --sha256 "$(printf '0%.0s' $(seq 64))" "$dest" >"$T/out" 2>"$T/err" &&
    fail "a wrong --sha256 was accepted"
"$fetch" --check --sha256 "$local_sha" "$dest" || fail "a refused download changed $dest"

# pkg-config sees every .pc file of this machine but tomlplusplus.pc.
mkdir -p "$T/pc"
IFS=: read -r -a pcdirs <<<"$(pkg-config --variable pc_path pkg-config)"
for d in "${pcdirs[@]}"; do
    for f in "$d"/*.pc; do
        [ -e "$f" ] || continue
        [ "$(basename "$f")" = tomlplusplus.pc ] || ln -sf "$f" "$T/pc/"
    done
done
export PKG_CONFIG_LIBDIR=$T/pc PKG_CONFIG_PATH=
pkg-config --exists libarchive jansson libcurl || fail "the pkg-config dir lacks the other libraries"
! pkg-config --exists tomlplusplus || fail "pkg-config still finds tomlplusplus"

configure() { # SRC BUILD [ARGS...]
    local src=$1 b=$2
    shift 2
    set +e
    cmake -G "Unix Makefiles" -S "$src" -B "$b" -DVENVCACHE_TESTS=OFF "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
}

# 3. VENVCACHE_TOMLPP_INCLUDE_DIR: configured without pkg-config's, and
# toml.cc compiled against those headers (its depfile names them).
configure "$VC_SRC" "$T/b" -DVENVCACHE_TOMLPP_INCLUDE_DIR="$dest/include"
[ "$rc" -eq 0 ] || fail "configure with VENVCACHE_TOMLPP_INCLUDE_DIR failed: $(tail -n 5 "$T/err")"
out_has "toml++ 3."
out_has ": $dest/include (VENVCACHE_TOMLPP_INCLUDE_DIR)"
nice cmake --build "$T/b" --target src/core/toml.cc.o >"$T/out" 2>"$T/err" ||
    fail "toml.cc did not compile against $dest/include: $(tail -n 20 "$T/err")"
dep=$(find "$T/b/CMakeFiles/vc_core.dir" -name 'toml.cc.o.d' | head -n 1)
[ -n "$dep" ] || fail "no depfile of toml.cc.o"
grep -q "$dest/include/toml++/toml.h" "$dep" || fail "toml.cc.o was not compiled from $dest/include"
! grep -qE "(^|[ :])/usr/include/toml\+\+/" "$dep" || fail "toml.cc.o read /usr/include/toml++"

# A directory that is not toml++'s: configure fails and names the setting.
mkdir -p "$T/empty"
configure "$VC_SRC" "$T/b2" -DVENVCACHE_TOMLPP_INCLUDE_DIR="$T/empty"
[ "$rc" -ne 0 ] || fail "configure accepted an empty VENVCACHE_TOMLPP_INCLUDE_DIR"
grep -q "VENVCACHE_TOMLPP_INCLUDE_DIR: '$T/empty'" "$T/err" || fail "no error naming the setting: $(cat "$T/err")"

# 4. Nothing set: a source tree (a copy) takes build/deps/tomlplusplus as
# bootstrap leaves it, and without it says what to install.
mkdir -p "$T/src"
cp -R "$VC_SRC/CMakeLists.txt" "$VC_SRC/src" "$VC_SRC/include" "$T/src/"
configure "$T/src" "$T/b3"
[ "$rc" -ne 0 ] || fail "configure passed without toml++"
grep -q "toml++ >= 3.0 not found" "$T/err" || fail "no error for a missing toml++: $(cat "$T/err")"
grep -q "libtomlplusplus-dev" "$T/err" || fail "the error names no package"
mkdir -p "$T/src/build/deps"
mv "$dest" "$T/src/build/deps/tomlplusplus"
configure "$T/src" "$T/b4"
[ "$rc" -eq 0 ] || fail "configure with build/deps/tomlplusplus failed: $(tail -n 5 "$T/err")"
out_has ": $T/src/build/deps/tomlplusplus/include (scripts/bootstrap.sh"
grep -q "isystem $T/src/build/deps/tomlplusplus/include" "$T/b4/compile_commands.json" ||
    fail "toml.cc's command lacks -isystem build/deps/tomlplusplus/include"

echo "ok: $TEST_NAME"
