#!/usr/bin/env bash
# action.sh STEP: the shell steps of the composite action (action.yml), one
# per STEP, so that tests/cli/t-action.sh runs them as the runner does.
# Every input comes from the environment action.yml sets; outputs go to
# $GITHUB_OUTPUT, exported variables to $GITHUB_ENV, PATH to $GITHUB_PATH.
#   install  which venvcache: the `venvcache` input (VC_BIN), else the
#            `version` wheel (VC_VERSION), else this action's build: then it
#            writes build-key and build-path for actions/cache
#   build    builds into build-path unless actions/cache restored a binary
#            that runs (VC_BUILD_HIT, VC_BUILD_PATH)
#   key      `venvcache key --github-output`; exports VENVCACHE_CACHE_DIR,
#            VENVCACHE_VENV_ROOT and VENVCACHE_CONFIG to later steps
#   warm     warm (VC_MODE=warm), or restore only (restore-only,
#            fail-on-miss), with --github-output
#   export   replaces the store by the selected envs' entries
#   result   cache-hit
set -euo pipefail

die() {
    echo "::error::venvcache: $*"
    exit 1
}
out() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }

# The global and selection arguments from the inputs, and only the settings
# that were given (an empty one would override the config).
args() {
    VC_ARGS=()
    [ -z "${VC_CONFIG:-}" ] || VC_ARGS+=(-c "$VC_CONFIG")
    VC_SELECT=()
    local e r
    for e in ${VC_ENVS:-}; do VC_SELECT+=(-e "$e"); done
    for r in ${VC_REQS:-}; do VC_SELECT+=(-r "$r"); done
    [ -z "${VC_REQS:-}" ] || [ -z "${VC_NAME:-}" ] || VC_SELECT+=(--name "$VC_NAME")
    [ -z "${VC_PYTHON:-}" ] || VC_SELECT+=(-p "$VC_PYTHON")
    for v in VENVCACHE_CACHE_DIR VENVCACHE_VENV_ROOT VENVCACHE_JOBS \
        VENVCACHE_INDEX_URL VENVCACHE_EXTRA_INDEX_URL VENVCACHE_TRUSTED_HOST \
        VENVCACHE_FIND_LINKS VENVCACHE_NO_INDEX; do
        [ -n "${!v:-}" ] || unset "$v"
    done
}

# "~/x" as actions/cache reads a `path:` (HOME), else the path itself.
home_path() {
    case $1 in
    "~/"*) printf '%s/%s' "$HOME" "${1#"~/"}" ;;
    *) printf '%s' "$1" ;;
    esac
}

step_install() {
    local bin="$RUNNER_TEMP/venvcache-bin" p hash image
    mkdir -p "$bin"
    if [ -n "${VC_BIN:-}" ]; then
        case $VC_BIN in
        */*) p=$VC_BIN ;;
        *) p=$(command -v -- "$VC_BIN") || die "input venvcache: '$VC_BIN' is not a command on PATH" ;;
        esac
        [ -f "$p" ] && [ -x "$p" ] || die "input venvcache: '$p' is not an executable file"
        ln -sfn "$(realpath -- "$p")" "$bin/venvcache"
    elif [ -n "${VC_VERSION:-}" ]; then
        [[ $VC_VERSION =~ ^[0-9][0-9A-Za-z.+!-]*$ ]] || die "input version: '$VC_VERSION' is not a version"
        # --target: no venv to create, and no system site-packages touched
        # (PIP_BREAK_SYSTEM_PACKAGES only silences pip >= 23's check of it).
        PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check \
            --no-deps --only-binary=:all: --target "$RUNNER_TEMP/venvcache-wheel" \
            "venvcache==$VC_VERSION" || die "cannot install venvcache==$VC_VERSION with pip"
        # The binary itself: a wheel that grafted libraries (auditwheel)
        # has it in venvcache.scripts/, its script a Python shim that would
        # look in the interpreter's site-packages, not in --target.
        p="$RUNNER_TEMP/venvcache-wheel/venvcache.scripts/venvcache"
        [ -f "$p" ] || p="$RUNNER_TEMP/venvcache-wheel/bin/venvcache"
        ln -sfn "$p" "$bin/venvcache"
    else
        # Keyed on what the build reads and on the runner image, so only the
        # first run of an action version on an image pays for apt and CMake.
        hash=$(cd "$GITHUB_ACTION_PATH" &&
            find CMakeLists.txt src include scripts/bootstrap.sh scripts/fetch-tomlpp.sh -type f -print0 |
            LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-20)
        image="${ImageOS:-}-${ImageVersion:-}"
        if [ "$image" = - ]; then
            image=$(. /etc/os-release 2>/dev/null && echo "${ID:-linux}${VERSION_ID:-}") || image=linux
        fi
        out build-key "venvcache-build-$(uname -m)-$image-$hash"
        out build-path "~/.cache/venvcache-action/$hash"
        ln -sfn "$HOME/.cache/venvcache-action/$hash/venvcache" "$bin/venvcache"
    fi
    echo "$bin" >>"$GITHUB_PATH"
}

step_build() {
    local dir build="$RUNNER_TEMP/venvcache-build"
    dir=$(home_path "$VC_BUILD_PATH")
    if [ "${VC_BUILD_HIT:-}" = true ] && "$dir/venvcache" --version >/dev/null 2>&1; then
        echo "venvcache: $("$dir/venvcache" --version) from the cache"
        return 0
    fi
    echo "::group::venvcache: build"
    "$GITHUB_ACTION_PATH/scripts/bootstrap.sh" --build
    cmake -S "$GITHUB_ACTION_PATH" -B "$build" -DCMAKE_BUILD_TYPE=Release \
        -DVENVCACHE_TESTS=OFF -DVENVCACHE_STATIC_DEPS=ON >/dev/null
    cmake --build "$build" -j "$(nproc)"
    mkdir -p "$dir"
    cp "$build/venvcache" "$dir/venvcache.tmp"
    mv "$dir/venvcache.tmp" "$dir/venvcache"
    echo "::endgroup::"
}

step_key() {
    local root config
    args
    command -v venvcache >/dev/null || die "venvcache is not on PATH"
    venvcache --version
    venvcache "${VC_ARGS[@]}" key "${VC_SELECT[@]}" --github-output
    # Later steps find the same store, venvs and config.
    root=$(venvcache "${VC_ARGS[@]}" path "${VC_SELECT[@]}" | head -n 1)
    {
        printf 'VENVCACHE_CACHE_DIR=%s\n' "$(sed -n 's/^cache-dir=//p' "$GITHUB_OUTPUT" | tail -n 1)"
        [ -z "$root" ] || printf 'VENVCACHE_VENV_ROOT=%s\n' "${root%/*}"
        if [ -n "${VC_CONFIG:-}" ]; then
            config=$(realpath -- "$VC_CONFIG")
            printf 'VENVCACHE_CONFIG=%s\n' "$config"
        fi
    } >>"$GITHUB_ENV"
}

step_warm() {
    local rc=0
    args
    case $VC_MODE in
    warm)
        venvcache "${VC_ARGS[@]}" warm "${VC_SELECT[@]}" --github-output >/dev/null
        ;;
    restore-only | fail-on-miss)
        venvcache "${VC_ARGS[@]}" restore "${VC_SELECT[@]}" --github-output >/dev/null || rc=$?
        if [ "$rc" -eq 3 ] && [ "$VC_MODE" = restore-only ]; then
            echo "::warning::venvcache: some environments are not in the restored store and were left alone (restore-only)"
            rc=0
        elif [ "$rc" -eq 3 ]; then
            echo "::error::venvcache: some environments are not in the restored store (fail-on-cache-miss)"
        fi
        return "$rc"
        ;;
    *) die "unknown mode '$VC_MODE'" ;;
    esac
}

step_export() {
    args
    rm -rf "$VC_STORE.export"
    venvcache "${VC_ARGS[@]}" export --to "$VC_STORE.export" "${VC_SELECT[@]}"
    rm -rf "$VC_STORE"
    mv "$VC_STORE.export" "$VC_STORE"
}

step_result() {
    local hit=false
    if [ "${VC_LOOKUP:-}" = true ]; then
        case ${VC_MATCHED:-} in "$VC_KEY"-*) hit=true ;; esac
    elif [ -n "${VC_ENVS_N:-}" ] && [ "${VC_HITS:-}" = "$VC_ENVS_N" ]; then
        hit=true
    fi
    out cache-hit "$hit"
}

case ${1:-} in
install | build | key | warm | export | result) "step_$1" ;;
*)
    echo "usage: action.sh install|build|key|warm|export|result" >&2
    exit 2
    ;;
esac
