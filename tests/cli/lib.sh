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
# The pinned uv of scripts/bootstrap.sh (tests/CMakeLists.txt finds it).
VC_UV=${VC_UV:-$VC_SRC/build/tools/bin/uv}

T=$(mktemp -d "${TMPDIR:-/tmp}/vc-test.XXXXXX")
# The venv root lives on a RAM disk, as it would for users.
VC_SHM=$(mktemp -d /dev/shm/vc-test.XXXXXX)
VC_CLEANUP=()
cleanup() {
    local f m
    for f in "${VC_CLEANUP[@]}"; do eval "$f" || true; done
    # venvcache may have mounted a tmpfs under a test's directories.
    for m in $(awk '{print $2}' /proc/mounts | grep -E "^($T|$VC_SHM)(/|$)" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    chmod -R u+w "$T" "$VC_SHM" 2>/dev/null || true
    rm -rf "$T" "$VC_SHM"
}
trap cleanup EXIT

# Hermetic environment.
for v in $(env | sed -n 's/^\(PIP_[A-Z_]*\)=.*/\1/p; s/^\(UV_[A-Z_]*\)=.*/\1/p; s/^\(VENVCACHE_[A-Z_]*\)=.*/\1/p'); do
    [ "$v" = VENVCACHE_BIN ] || unset "$v"
done
# CI=true (set on CI machines) turns on a line per step: tests that count
# lines set it themselves.
unset CI GITHUB_ACTIONS GITHUB_OUTPUT GITHUB_STEP_SUMMARY VIRTUAL_ENV || true
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
# uv's own configuration files (uv.toml) are off too.
export UV_NO_CONFIG=1
# Nothing leaves the loopback interface: any proxy-aware client (pip, uv,
# urllib) that tries goes to a closed port on 127.0.0.1 and fails at once.
export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
export HTTP_PROXY=$http_proxy HTTPS_PROXY=$https_proxy
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
export HOME="$T/home" XDG_CACHE_HOME="$T/home/.cache" XDG_CONFIG_HOME="$T/home/.config"
mkdir -p "$HOME"
export VENVCACHE_CACHE_DIR="$T/store" VENVCACHE_VENV_ROOT="$VC_SHM/venvs"
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

# ---------------------------------------------------------------------------
# The loopback mirror: wheels built by scripts/make-wheels.py (see its
# docstring for the projects and versions), served by scripts/mirror.py on
# 127.0.0.1. Usage:
#   mirror_start [--auth USER:PASS] [--port N]
#                          copy the fixture into $T/mirror (first start only, so
#                          a restart keeps what the test published), serve it,
#                          export MIRROR_URL=http://127.0.0.1:PORT/simple,
#                          MIRROR_PORT, and MIRROR_AUTH_URL (the URL with
#                          USER:PASS@ when --auth, else = MIRROR_URL); requests
#                          are logged to $T/mirror.log; stopped at exit
#   mirror_stop            stop the server (SIGTERM); the port then refuses
#                          (MIRROR_URL stays set: a dead mirror for tests
#                          that need one); fails if mirror.py did not exit 0
#   mirror_publish NAME==VERSION [--requires REQ]... [--requires-python SPEC]
#                          add one release to this test's mirror, reindex
#   mirror_publish_sdist NAME==VERSION
#                          add an sdist of a release (a second file with its
#                          own sha256; pip still installs the wheel), reindex
#   mirror_requests REGEX  print how many logged requests match the extended
#                          regex; lines are "METHOD PATH STATUS", e.g.
#                          mirror_requests '^GET /files/vc_alpha-1\.1-[^ ]*\.whl 200$'
#   mirror_resolve ARGS... print what pip would install for ARGS from the
#                          mirror ("name==version" per line, names as PEP 503,
#                          sorted), by pip install --dry-run --report of the
#                          host's python3; the JSON stays in $T/mirror-report.json
#   py_venv_check VENV MODULE...      each module imports in VENV
#   py_venv_has VENV NAME==VERSION... each distribution is installed in VENV
#                          at exactly that version (names compared as PEP 503)
#   py_venv_freeze VENV    print "name==version" of everything in VENV but
#                          pip, setuptools and wheel, sorted
# As on PyPI, wheels are served as immutable, so pip's HTTP cache (under the
# test's $HOME) keeps them: count downloads with pip's cache off or as deltas.
# A mirror_resolve downloads the wheels it resolves, too (pip 23 does).
# While a mirror runs, http_proxy/https_proxy point at a closed loopback port
# (no_proxy=127.0.0.1,localhost), so anything that tries to go beyond
# loopback fails at once instead of reaching the network.
MIRROR_FIXTURE="$VC_BUILD/fixtures/wheels"
MIRROR_PID=

# mirror_build: builds the wheel fixture once per build tree (a lock lets
# parallel cases share it); rebuilt when make-wheels.py or mirror.py change.
mirror_build() {
    local stamp
    stamp=$(cat "$VC_SRC/scripts/make-wheels.py" "$VC_SRC/scripts/mirror.py" | sha256sum | cut -c1-64)
    mkdir -p "$VC_BUILD/fixtures"
    (
        flock 9
        if [ "$(cat "$MIRROR_FIXTURE/.stamp" 2>/dev/null)" != "$stamp" ]; then
            rm -rf "$MIRROR_FIXTURE.tmp" "$MIRROR_FIXTURE"
            python3 "$VC_SRC/scripts/make-wheels.py" "$MIRROR_FIXTURE.tmp" ||
                fail "make-wheels.py failed"
            echo "$stamp" >"$MIRROR_FIXTURE.tmp/.stamp"
            mv "$MIRROR_FIXTURE.tmp" "$MIRROR_FIXTURE"
        fi
    ) 9>"$VC_BUILD/fixtures/wheels.lock"
}

mirror_start() {
    local auth="" port=0 i
    while [ $# -gt 0 ]; do
        case $1 in
        --auth) auth=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        *) fail "mirror_start: unknown option '$1'" ;;
        esac
    done
    [ -z "$MIRROR_PID" ] || fail "mirror_start: the mirror is already running"
    if [ ! -d "$T/mirror" ]; then
        mirror_build
        (
            flock -s 9
            cp -a "$MIRROR_FIXTURE" "$T/mirror.tmp"
        ) 9>"$VC_BUILD/fixtures/wheels.lock"
        mv "$T/mirror.tmp" "$T/mirror"
    fi
    rm -f "$T/mirror.port"
    python3 "$VC_SRC/scripts/mirror.py" serve "$T/mirror" --port "$port" \
        --port-file "$T/mirror.port" --log "$T/mirror.log" \
        ${auth:+--auth "$auth"} </dev/null >>"$T/mirror.err" 2>&1 &
    MIRROR_PID=$!
    [ "${MIRROR_CLEANUP:-}" ] || { VC_CLEANUP+=("mirror_stop"); MIRROR_CLEANUP=1; }
    for i in $(seq 100); do
        [ -s "$T/mirror.port" ] && break
        kill -0 "$MIRROR_PID" 2>/dev/null ||
            fail "mirror.py did not start: $(cat "$T/mirror.err")"
        sleep 0.05
    done
    [ -s "$T/mirror.port" ] || fail "mirror.py wrote no port in 5 s"
    MIRROR_PORT=$(cat "$T/mirror.port")
    export MIRROR_PORT MIRROR_URL="http://127.0.0.1:$MIRROR_PORT/simple"
    export MIRROR_AUTH_URL="http://${auth:+$auth@}127.0.0.1:$MIRROR_PORT/simple"
    export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
    export HTTP_PROXY=$http_proxy HTTPS_PROXY=$https_proxy
    export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
}

# demo_config DEP...: starts the mirror and writes venvcache.ini with it as
# the index and one environment, demo, that installs DEP... (one a line).
# A case appends the sections it needs more of to venvcache.ini.
demo_config() {
    mirror_start
    {
        printf '[mirror]\nindex-url = %s\n\n[env demo]\ndeps = %s\n' "$MIRROR_URL" "$1"
        shift
        local dep
        for dep in "$@"; do printf '    %s\n' "$dep"; done
    } >venvcache.ini
}

mirror_stop() {
    local pid=$MIRROR_PID st=0
    [ -n "$pid" ] || return 0
    MIRROR_PID=
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || st=$?
    return "$st"
}

mirror_publish() {
    [ -d "$T/mirror" ] || fail "mirror_publish: no mirror (mirror_start first)"
    python3 "$VC_SRC/scripts/make-wheels.py" "$T/mirror" --add "$@" ||
        fail "mirror_publish $* failed"
}

mirror_publish_sdist() {
    [ -d "$T/mirror" ] || fail "mirror_publish_sdist: no mirror (mirror_start first)"
    python3 "$VC_SRC/scripts/make-wheels.py" "$T/mirror" --sdist "$@" ||
        fail "mirror_publish_sdist $* failed"
}

mirror_requests() {
    if [ -f "$T/mirror.log" ]; then
        grep -cE -- "$1" "$T/mirror.log" || true
    else
        echo 0
    fi
}

mirror_resolve() {
    [ -n "${MIRROR_URL:-}" ] || fail "mirror_resolve: no mirror (mirror_start first)"
    python3 -m pip install --dry-run --ignore-installed --quiet \
        --root-user-action=ignore --report "$T/mirror-report.json" \
        --index-url "$MIRROR_AUTH_URL" "$@" >"$T/mirror-resolve.log" 2>&1 ||
        fail "pip could not resolve $*: $(tail -n 5 "$T/mirror-resolve.log")"
    python3 - "$T/mirror-report.json" <<'PY'
import json, re, sys
report = json.load(open(sys.argv[1]))
print("\n".join(sorted("%s==%s" % (re.sub(r"[-_.]+", "-", i["metadata"]["name"]).lower(),
                                   i["metadata"]["version"]) for i in report["install"])))
PY
}

py_venv_check() {
    local venv=$1 m
    shift
    for m in "$@"; do
        "$venv/bin/python" -c "import $m" 2>"$T/py-err" ||
            fail "$m does not import in $venv: $(tail -n 3 "$T/py-err")"
    done
}

py_venv_freeze() {
    "$1/bin/python" - <<'PY'
import importlib.metadata as md, re
names = set()
for d in md.distributions():
    n = re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower()
    if n not in ("pip", "setuptools", "wheel"):
        names.add("%s==%s" % (n, d.version))
print("\n".join(sorted(names)))
PY
}

py_venv_has() {
    local venv=$1 want frozen
    shift
    frozen=$(py_venv_freeze "$venv") || fail "cannot list the distributions of $venv"
    for want in "$@"; do
        want="$(echo "${want%%==*}" | tr 'A-Z' 'a-z' | sed -E 's/[-_.]+/-/g')==${want#*==}"
        printf '%s\n' "$frozen" | grep -qxF -- "$want" ||
            fail "$venv lacks $want; it has: $(echo $frozen)"
    done
}

# The value of output $2 in a $GITHUB_OUTPUT file $1, read as the runner
# reads it (name=value, or name<<DELIM lines); empty when it is not there.
gha_output() {
    python3 - "$1" "$2" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
out, i = {}, 0
while i < len(lines):
    line = lines[i]; i += 1
    if not line:
        continue
    eq, hd = line.find("="), line.find("<<")
    if eq >= 0 and (hd < 0 or eq < hd):
        k, v = line.split("=", 1)
    else:
        k, d = line.split("<<", 1)
        j = lines.index(d, i)
        v, i = "\n".join(lines[i:j]), j + 1
    out[k] = v
sys.stdout.write(out.get(sys.argv[2], ""))
PY
}
