#!/usr/bin/env bash
# bootstrap.sh: installs what building, testing and benchmarking venvcache
# needs on Debian or Ubuntu. Idempotent: only missing packages are installed.
# Runs apt-get as root, or through sudo.
#   scripts/bootstrap.sh           everything (build, tests, benchmark)
#   scripts/bootstrap.sh --build   only what building and running need
set -euo pipefail

packages=(
    # build, and what venvcache runs: python's venv and pip, zstd
    build-essential cmake pkg-config
    libarchive-dev libxxhash-dev libinih-dev libzstd-dev libjansson-dev nettle-dev
    libtomlplusplus-dev g++
    python3 python3-venv python3-pip zstd tar
)
if [ "${1:-}" != --build ]; then
    packages+=(
        # tests: Check, sanitizers and fuzzers, valgrind, strace
        check clang libclang-rt-dev clang-format valgrind strace
        # the alternatives the benchmark and the actions/cache test use
        libarchive-tools time
    )
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "bootstrap: all ${#packages[@]} packages present"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
