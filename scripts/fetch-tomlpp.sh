#!/usr/bin/env bash
# fetch-tomlpp.sh [--check] [--url URL] [--sha256 HEX] [DEST]: toml++'s
# headers for where apt has no libtomlplusplus-dev (Ubuntu 22.04). It
# downloads Debian 12's libtomlplusplus-dev (toml++ 3.3.0, the version
# Debian builds venvcache with), pinned by URL and sha256, checks the
# sha256 before anything else reads the file, and keeps only the headers
# and Debian's copyright file (toml++ is MIT, "Expat" there):
#   DEST/include/toml++/...   what CMakeLists.txt takes (header-only)
#   DEST/copyright            usr/share/doc/libtomlplusplus-dev/copyright
# DEST defaults to build/deps/tomlplusplus, where CMakeLists.txt looks
# when pkg-config has no tomlplusplus. scripts/bootstrap.sh runs it.
#   --check         exit 0 if DEST holds this pinned version, else 1
#   --url, --sha256 another .deb and its sha256 (the tests: a local one)
# The .deb is amd64's, but only its headers are used, so any architecture
# can take them. A download that does not match the sha256 fails and
# leaves DEST as it was.
set -euo pipefail
cd "$(dirname "$0")/.."

url=https://deb.debian.org/debian/pool/main/t/tomlplusplus/libtomlplusplus-dev_3.3.0+ds-1_amd64.deb
sha256=2779cce0001466dcf60eb6262ff68a888d49f9e30aee80c499d1d4f6f9f6e12e
check=0
dest=

die() {
    echo "fetch-tomlpp: $*" >&2
    exit 1
}
while [ $# -gt 0 ]; do
    case $1 in
    --check) check=1 ;;
    --url)
        [ $# -ge 2 ] || die "--url needs a URL"
        url=$2
        shift
        ;;
    --sha256)
        [ $# -ge 2 ] || die "--sha256 needs a hash"
        sha256=$2
        shift
        ;;
    -*) die "unknown option '$1' (usage: fetch-tomlpp.sh [--check] [--url URL] [--sha256 HEX] [DEST])" ;;
    *)
        [ -z "$dest" ] || die "one DEST only"
        dest=$1
        ;;
    esac
    shift
done
dest=${dest:-build/deps/tomlplusplus}
[[ $sha256 =~ ^[0-9a-f]{64}$ ]] || die "--sha256: '$sha256' is not 64 lowercase hex digits"

# DEST/.sha256 is written last: DEST holds what it names, whole.
present() {
    [ -f "$dest/include/toml++/toml.h" ] && [ -f "$dest/copyright" ] &&
        [ "$(cat "$dest/.sha256" 2>/dev/null)" = "$sha256" ]
}
if [ "$check" -eq 1 ]; then
    present
    exit
fi
if present; then
    echo "fetch-tomlpp: toml++ headers present in $dest"
    exit 0
fi

mkdir -p "$(dirname "$dest")"
tmp=$(mktemp -d "$(dirname "$dest")/.tomlpp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetch-tomlpp: downloading $url"
curl -fsSL --retry 3 -o "$tmp/deb" "$url" || die "cannot download $url"
got=$(sha256sum "$tmp/deb" | cut -d' ' -f1)
[ "$got" = "$sha256" ] ||
    die "$url: sha256 is $got, expected $sha256: refusing it (nothing extracted)"
dpkg-deb -x "$tmp/deb" "$tmp/x"
[ -f "$tmp/x/usr/include/toml++/toml.h" ] || die "$url: no usr/include/toml++/toml.h in it"
[ -f "$tmp/x/usr/share/doc/libtomlplusplus-dev/copyright" ] ||
    die "$url: no usr/share/doc/libtomlplusplus-dev/copyright in it"
mkdir -p "$tmp/out/include"
mv "$tmp/x/usr/include/toml++" "$tmp/out/include/"
mv "$tmp/x/usr/share/doc/libtomlplusplus-dev/copyright" "$tmp/out/copyright"
echo "$sha256" >"$tmp/out/.sha256"
rm -rf "$dest"
mv "$tmp/out" "$dest"
echo "fetch-tomlpp: toml++ headers in $dest (sha256 $sha256)"
