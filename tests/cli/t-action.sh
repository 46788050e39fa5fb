#!/usr/bin/env bash
# The composite action's shell steps (scripts/action.sh), run in the order
# and with the environment action.yml gives them, on a simulated runner:
# which venvcache (a command on PATH, any path, the cached build), the key
# step with the mirror down, what later steps find in $GITHUB_ENV, the
# restore-only and fail-on-cache-miss modes, a miss, then a full hit and
# cache-hit; and action.yml's wiring of those steps.
. "$(dirname "$0")/lib.sh"

ACTION="$VC_SRC/scripts/action.sh"
export GITHUB_ACTIONS=true GITHUB_ACTION_PATH="$VC_SRC" GITHUB_WORKSPACE="$T/ws" RUNNER_TEMP="$T/runner-temp"
export GITHUB_PATH="$T/github-path" GITHUB_ENV="$T/github-env" VENVCACHE_MOUNT=no
mkdir -p "$GITHUB_WORKSPACE" "$RUNNER_TEMP"
: >"$GITHUB_PATH"
: >"$GITHUB_ENV"
cd "$GITHUB_WORKSPACE"

# A step: fresh $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY, as the runner does;
# astep STEP runs action.sh STEP with stdout and stderr to $T/out, $T/err.
astep() {
    export GITHUB_OUTPUT="$T/output.$1" GITHUB_STEP_SUMMARY="$T/summary.$1"
    : >"$GITHUB_OUTPUT"
    : >"$GITHUB_STEP_SUMMARY"
    rc=0
    PATH="$(paste -sd: "$GITHUB_PATH" | sed 's/:*$//')${PATH:+:$PATH}" \
        "$ACTION" "$1" >"$T/out" 2>"$T/err" || rc=$?
}
# The value of output $2 of step $1.
output() { gha_output "$T/output.$1" "$2"; }
# What a later step's environment holds: $GITHUB_ENV's NAME=value lines.
github_env() { sed -n "s/^$1=//p" "$GITHUB_ENV" | tail -n 1; }

# --- action.yml: the steps call action.sh, in this order, wired so --------
python3 - "$VC_SRC/action.yml" <<'PY' || fail "action.yml's wiring (above)"
import re, sys, yaml
a = yaml.safe_load(open(sys.argv[1]))
steps = a["runs"]["steps"]
def step(i):
    return next(s for s in steps if s.get("id") == i)
first = steps[0]
assert first["if"] == "runner.os != 'Linux'", first
assert "::error::venvcache runs on Linux runners" in first["run"], first["run"]
assert "exit 1" in first["run"]
order = [m.group(1) for s in steps if "run" in s
         for m in [re.search(r'action\.sh" (\w+)', s["run"])] if m]
assert order == ["install", "build", "key", "warm", "export", "result"], order
restore = step("restore")
assert restore["uses"].startswith("actions/cache/restore@"), restore
assert restore["with"]["path"] == "${{ steps.key.outputs.cache-path }}", restore
assert restore["with"]["key"] == "${{ steps.key.outputs.key }}"
assert restore["with"]["lookup-only"] == "${{ inputs.lookup-only }}"
save = [s for s in steps if s.get("uses", "").startswith("actions/cache/save@")
        and "cache-path" in s["with"]["path"]]
assert len(save) == 1, save
assert save[0]["with"]["key"] == "${{ steps.warm.outputs.save-key }}", save
assert save[0]["with"]["path"] == "${{ steps.key.outputs.cache-path }}", save
exp = step("export")["if"]
for cond in ("inputs.save == 'true'", "inputs.restore-only != 'true'",
             "steps.warm.outputs.save-key != steps.restore.outputs.cache-matched-key"):
    assert cond in exp, (cond, exp)
for name in ("lookup-only", "restore-only", "fail-on-cache-miss", "venvcache", "version", "save"):
    assert name in a["inputs"], name
for name in ("hits", "cache-hit", "save-key", "key", "paths"):
    assert name in a["outputs"], name
assert "github.event_name == 'push'" in a["inputs"]["save"]["description"]
assert "Linux" in a["description"]
PY

# --- install: the `venvcache` input ---------------------------------------
# A command on PATH, by name.
mkdir -p "$T/tools"
ln -s "$VENVCACHE_BIN" "$T/tools/venvcache"
PATH="$T/tools:$PATH" VC_BIN=venvcache astep install
[ "$rc" -eq 0 ] || fail "install (a command on PATH) exited $rc: $(cat "$T/out" "$T/err")"
[ "$(tail -n 1 "$GITHUB_PATH")" = "$RUNNER_TEMP/venvcache-bin" ] || fail "GITHUB_PATH: $(cat "$GITHUB_PATH")"
[ "$(readlink "$RUNNER_TEMP/venvcache-bin/venvcache")" = "$(realpath "$VENVCACHE_BIN")" ] ||
    fail "the PATH name did not resolve to the binary"
# Any path, whatever the file's name (before, only one named `venvcache`).
cp "$VENVCACHE_BIN" "$T/tools/vc-0.1-linux"
VC_BIN="$T/tools/vc-0.1-linux" astep install
[ "$rc" -eq 0 ] || fail "install (a path) exited $rc: $(cat "$T/out")"
"$RUNNER_TEMP/venvcache-bin/venvcache" --version >/dev/null || fail "the linked binary does not run"
[ "$(readlink "$RUNNER_TEMP/venvcache-bin/venvcache")" = "$T/tools/vc-0.1-linux" ] || fail "not linked to the path given"
# Neither: a clear error, as an annotation.
VC_BIN=no-such-venvcache astep install
[ "$rc" -eq 1 ] || fail "install of a missing command exited $rc"
grep -qxF "::error::venvcache: input venvcache: 'no-such-venvcache' is not a command on PATH" "$T/out" ||
    fail "missing command: $(cat "$T/out")"
VC_BIN="$T/tools" astep install
[ "$rc" -eq 1 ] || fail "install of a directory exited $rc"
grep -qF "is not an executable file" "$T/out" || fail "a directory: $(cat "$T/out")"
VC_VERSION='1.0; rm -rf /' astep install
[ "$rc" -eq 1 ] || fail "install of a hostile version exited $rc"
grep -qF "is not a version" "$T/out" || fail "a hostile version: $(cat "$T/out")"

# --- install and build: the action's own build, cached --------------------
ImageOS=ubuntu24 ImageVersion=20261201.1 astep install
[ "$rc" -eq 0 ] || fail "install (build) exited $rc: $(cat "$T/out" "$T/err")"
bkey=$(output install build-key)
bpath=$(output install build-path)
case $bkey in "venvcache-build-$(uname -m)-ubuntu24-20261201.1-"????????????????????) ;; *) fail "build-key '$bkey'" ;; esac
case $bpath in "~/.cache/venvcache-action/"????????????????????) ;; *) fail "build-path '$bpath': not under ~/ (HOME-independent)" ;; esac
ImageOS=ubuntu22 ImageVersion=20261201.1 astep install
[ "$(output install build-key)" != "$bkey" ] || fail "another runner image, the same build key"
[ "$(output install build-path)" = "$bpath" ] || fail "the build path depends on the image"
ImageOS=ubuntu24 ImageVersion=20261201.1 astep install
[ "$(output install build-key)" = "$bkey" ] || fail "the build key is not stable"
# actions/cache restored a binary that runs: no build (no cmake, no apt).
bdir="$HOME/${bpath#"~/"}"
mkdir -p "$bdir"
cp "$VENVCACHE_BIN" "$bdir/venvcache"
VC_BUILD_HIT=true VC_BUILD_PATH=$bpath astep build
[ "$rc" -eq 0 ] || fail "build on a cache hit exited $rc: $(cat "$T/out" "$T/err")"
grep -q 'from the cache$' "$T/out" || fail "a cached build was rebuilt: $(head -c 500 "$T/out")"
[ "$(readlink "$RUNNER_TEMP/venvcache-bin/venvcache")" = "$bdir/venvcache" ] || fail "PATH does not lead to the cached build"

# The rest of the run uses the binary under test.
VC_BIN=$VENVCACHE_BIN astep install

# --- the key step with the mirror down ------------------------------------
mirror_start
murl=$MIRROR_URL
mirror_stop
cat >venvcache.ini <<INI
[mirror]
index-url = $murl

[env a]
python = python3
deps = vc-alpha==1.1

[env u]
python = python3
deps = vc-alpha
INI
export VC_ENVS="a u" VC_CONFIG=venvcache.ini VC_NAME=default
astep key
[ "$rc" -eq 0 ] || fail "the key step failed with the mirror down: $(cat "$T/err")"
key=$(output key key)
[ -n "$key" ] || fail "no key output"
cpath=$(output key cache-path)
[ "$cpath" = "$(output key cache-dir)" ] || fail "cache-path '$cpath' of a store outside HOME and the workspace"
# Later steps find the store, the venvs and the config.
[ "$(github_env VENVCACHE_CACHE_DIR)" = "$VENVCACHE_CACHE_DIR" ] || fail "GITHUB_ENV: $(cat "$GITHUB_ENV")"
[ "$(github_env VENVCACHE_VENV_ROOT)" = "$VENVCACHE_VENV_ROOT" ] || fail "GITHUB_ENV: $(cat "$GITHUB_ENV")"
[ "$(github_env VENVCACHE_CONFIG)" = "$GITHUB_WORKSPACE/venvcache.ini" ] || fail "GITHUB_ENV: $(cat "$GITHUB_ENV")"
(
    cd /
    export VENVCACHE_CONFIG VENVCACHE_CACHE_DIR VENVCACHE_VENV_ROOT
    VENVCACHE_CONFIG=$(github_env VENVCACHE_CONFIG)
    "$VENVCACHE_BIN" path -e a
) >"$T/out" 2>"$T/err" || fail "a later step's venvcache path failed: $(cat "$T/err")"
[ "$(cat "$T/out")" = "$VENVCACHE_VENV_ROOT/a" ] || fail "a later step found '$(cat "$T/out")'"

# --- restore-only and fail-on-cache-miss on an empty store -----------------
# (The mirror is up: u's entry key is resolved, and it is not in the store.)
mirror_start
sed -i "s|^index-url = .*|index-url = $MIRROR_URL|" venvcache.ini
VC_MODE=fail-on-miss astep warm
[ "$rc" -eq 3 ] || fail "fail-on-cache-miss with an empty store exited $rc"
grep -qF "::error::venvcache: some environments are not in the restored store (fail-on-cache-miss)" "$T/out" ||
    fail "fail-on-cache-miss: $(cat "$T/out")"
[ ! -e "$VENVCACHE_VENV_ROOT/a" ] || fail "fail-on-cache-miss created a venv"
VC_MODE=restore-only astep warm
[ "$rc" -eq 0 ] || fail "restore-only with an empty store exited $rc"
grep -qF "::warning::venvcache: some environments are not in the restored store" "$T/out" ||
    fail "restore-only gave no warning: $(cat "$T/out")"
[ "$(output warm hits)/$(output warm envs)/$(output warm save-key)" = "0/2/" ] ||
    fail "restore-only outputs: $(cat "$GITHUB_OUTPUT")"

# --- a miss, then a full hit -----------------------------------------------
astep key
[ "$(output key key)" = "$key" ] || fail "the mirror's URL changed the offline key"
VC_MODE=warm astep warm
[ "$rc" -eq 0 ] || fail "warm exited $rc: $(cat "$T/err")"
[ "$(output warm hits)/$(output warm created)/$(output warm envs)" = 0/2/2 ] ||
    fail "warm outputs: $(cat "$GITHUB_OUTPUT")"
save_key=$(output warm save-key)
case $save_key in "$key-"????????????????????????????????) ;; *) fail "save-key '$save_key'" ;; esac
VC_HITS=0 VC_ENVS_N=2 astep result
[ "$(output result cache-hit)" = false ] || fail "a miss is a cache hit"
VC_STORE=$VENVCACHE_CACHE_DIR astep export
[ "$rc" -eq 0 ] || fail "export exited $rc: $(cat "$T/err")"
[ "$(find "$VENVCACHE_CACHE_DIR/entries" -name '*.json' | wc -l)" -eq 2 ] || fail "the export does not hold 2 entries"
rm -rf "$VENVCACHE_VENV_ROOT"
mirror_stop
astep key
[ "$rc" -eq 0 ] || fail "the key step of the second run failed"
VC_MODE=fail-on-miss astep warm
[ "$rc" -eq 0 ] || fail "fail-on-cache-miss on a full store exited $rc: $(cat "$T/out" "$T/err")"
[ "$(output warm hits)/$(output warm envs)" = 2/2 ] || fail "second run: $(cat "$GITHUB_OUTPUT")"
[ "$(output warm save-key)" = "$save_key" ] || fail "the same store, another save-key"
VC_HITS=2 VC_ENVS_N=2 astep result
[ "$(output result cache-hit)" = true ] || fail "a full hit is not a cache hit"
# lookup-only: a store saved under the key is a hit; another key's is not.
VC_LOOKUP=true VC_KEY=$key VC_MATCHED=$save_key astep result
[ "$(output result cache-hit)" = true ] || fail "lookup-only: a store under the key is not a hit"
VC_LOOKUP=true VC_KEY=$key VC_MATCHED="${key%-*}-0123" astep result
[ "$(output result cache-hit)" = false ] || fail "lookup-only: another key's store is a hit"
echo "ok: $TEST_NAME"
