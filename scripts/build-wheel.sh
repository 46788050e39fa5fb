#!/usr/bin/env bash
# build-wheel.sh [OUTDIR]: the venvcache wheel, py3-none-manylinux_2_X_x86_64,
# into OUTDIR (default dist/); prints its path. scikit-build-core builds the
# static binary (pyproject.toml: all but glibc linked in; libcurl and
# libarchive are opened with dlopen when used), auditwheel checks it and sets
# the manylinux tag from the highest glibc symbol version it needs. The tools are
# those of scripts/bootstrap.sh (build/ci-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
tools=build/ci-tools/bin
[ -x "$tools/auditwheel" ] || scripts/bootstrap.sh >&2
raw=build/wheel/raw
rm -rf "$raw"
mkdir -p "$raw" "$out"
"$tools/pip" wheel --quiet --disable-pip-version-check --no-build-isolation --no-deps \
    -w "$raw" . >&2
whl=$(ls "$raw"/venvcache-*.whl)
# The lowest manylinux tag that auditwheel accepts for this binary.
"$tools/auditwheel" show "$whl" >"$raw/show.txt" 2>&1 || { cat "$raw/show.txt" >&2; exit 1; }
plat=$(grep -o 'manylinux_2_[0-9]*_x86_64' "$raw/show.txt" | head -n 1)
[ -n "$plat" ] || { echo "build-wheel: auditwheel found no manylinux tag:" >&2; cat "$raw/show.txt" >&2; exit 1; }
PATH="$PWD/$tools:$PATH" "$tools/auditwheel" repair --plat "$plat" --only-plat -w "$raw/repaired" "$whl" >&2
repaired=$(ls "$raw"/repaired/venvcache-*.whl)
mv "$repaired" "$out/"
echo "$out/$(basename "$repaired")"
