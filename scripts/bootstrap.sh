#!/usr/bin/env bash
# bootstrap.sh: installs what building, testing and benchmarking venvcache
# needs on Debian or Ubuntu. Idempotent: only missing packages are installed.
# Runs apt-get as root, or through sudo.
set -euo pipefail

packages=(
    # build
    build-essential cmake pkg-config
    libarchive-dev libxxhash-dev libinih-dev libzstd-dev libjansson-dev nettle-dev
    # tests: Check, real Python with venv and pip, sanitizers and fuzzers
    check python3 python3-venv python3-pip clang libclang-rt-dev clang-format
    valgrind strace
    # the alternatives the benchmark and the actions/cache test compare with
    zstd tar libarchive-tools time
)

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
