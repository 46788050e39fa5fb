# lib.sh: shared by the end-to-end cases in tests/cli/t-*.sh.
#
# Each case runs the built binary ($VENVCACHE_BIN) in a fresh temporary
# directory with its own HOME, store and venv root, and with pip's own
# configuration switched off, so that nothing on the machine leaks in and
# nothing leaves the loopback interface.
set -eu
set -o pipefail

: "${VENVCACHE_BIN:?run through ctest, or set VENVCACHE_BIN}"
VC_SRC=${VC_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VC_BUILD=${VC_BUILD:-$(dirname "$VENVCACHE_BIN")}

T=$(mktemp -d "${TMPDIR:-/tmp}/vc-test.XXXXXX")
VC_CLEANUP=()
cleanup() {
    local f
    for f in "${VC_CLEANUP[@]}"; do eval "$f" || true; done
    chmod -R u+w "$T" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

# Hermetic environment.
for v in $(env | sed -n 's/^\(PIP_[A-Z_]*\)=.*/\1/p; s/^\(VENVCACHE_[A-Z_]*\)=.*/\1/p'); do
    [ "$v" = VENVCACHE_BIN ] || unset "$v"
done
unset GITHUB_ACTIONS GITHUB_OUTPUT GITHUB_STEP_SUMMARY VIRTUAL_ENV || true
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export HOME="$T/home" XDG_CACHE_HOME="$T/home/.cache" XDG_CONFIG_HOME="$T/home/.config"
mkdir -p "$HOME"
export VENVCACHE_CACHE_DIR="$T/store" VENVCACHE_VENV_ROOT="$T/venvs"
cd "$T"

TEST_NAME=$(basename "$0" .sh)
fail() {
    echo "FAIL: $TEST_NAME: $*" >&2
    if [ -s "$T/err" ]; then
        echo "--- last stderr:" >&2
        tail -n 30 "$T/err" >&2
    fi
    exit 1
}
note() { echo "# $*" >&2; }

vc() { "$VENVCACHE_BIN" "$@"; }

# run CMD...: runs the binary, capturing stdout in $T/out, stderr in $T/err
# and the exit status in $rc; never fails by itself.
run() {
    set +e
    "$VENVCACHE_BIN" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
}

# expect STATUS CMD...: runs and checks the exit status.
expect() {
    local want=$1
    shift
    run "$@"
    [ "$rc" -eq "$want" ] || fail "'venvcache $*' exited $rc, expected $want"
}

out_has() { grep -qF -- "$1" "$T/out" || fail "stdout lacks '$1': $(head -c 2000 "$T/out")"; }
err_has() { grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1': $(head -c 2000 "$T/err")"; }
out_lacks() { ! grep -qF -- "$1" "$T/out" || fail "stdout has '$1'"; }
err_lacks() { ! grep -qF -- "$1" "$T/err" || fail "stderr has '$1'"; }
# The error is one line starting "venvcache: " (plus an optional "Try" hint).
err_one_line() {
    local n
    n=$(grep -vc '^Try ' "$T/err" || true)
    [ "$n" -eq 1 ] || fail "expected a one-line error, got $n lines"
    grep -q '^venvcache: ' "$T/err" || fail "error does not start with 'venvcache: '"
}
