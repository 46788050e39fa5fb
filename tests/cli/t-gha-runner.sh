#!/usr/bin/env bash
# Plays a GitHub Actions runner with actions/cache, using the exact tar
# commands of actions/toolkit (packages/cache/src/internal/tar.ts, zstd
# without --long), and the action's flow: the offline key, restore, warm
# --github-output, and a save under warm's save-key when it differs from
# the key restored. Job 1 misses, warms, exports and saves the store; job 2
# runs on a wiped machine with the mirror stopped: the key needs no network,
# the store comes back, every env is a hit (an unpinned one through the
# resolution that came with the store), nothing is saved; job 3 is a fork's
# pull request with an empty mirror secret, past resolve-ttl: hits within
# resolve-grace; job 4 changes one env's requirements, restores the old
# store through a restore key, hits the others, and saves a store holding
# only what its key needs. Then two runners with other HOMEs and
# workspaces, the store in the workspace as the action keeps it: the same
# cache version, and hits.
. "$(dirname "$0")/lib.sh"

for tool in tar zstdmt unzstd; do
    command -v "$tool" >/dev/null || fail "$tool is needed (scripts/bootstrap.sh installs it)"
done

mirror_start --auth alice:s3cr3tpw
export VC_T_MIRROR=$MIRROR_AUTH_URL
export GITHUB_ACTIONS=true GITHUB_WORKSPACE="$T/ws" RUNNER_TEMP="$T/runner-temp"
export VENVCACHE_MOUNT=no
# The store is the default one, under HOME: outside the workspace, so the
# tarball holds it as ../ members, as it does on a hosted runner.
unset VENVCACHE_CACHE_DIR
mkdir -p "$GITHUB_WORKSPACE" "$RUNNER_TEMP" "$T/cache-service"
cd "$GITHUB_WORKSPACE"
cat >venvcache.ini <<'INI'
[mirror]
index-url = ${VC_T_MIRROR}

[env a]
python = python3
deps = vc-alpha==1.1

[env b]
python = python3
deps = vc-beta==1.0
    vc-alpha==1.1

[env u]
python = python3
deps = vc-alpha
INI

# A step: fresh $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY files, as the runner
# gives each step.
nstep=0
step() {
    nstep=$((nstep + 1))
    export GITHUB_OUTPUT="$RUNNER_TEMP/output_$nstep" GITHUB_STEP_SUMMARY="$RUNNER_TEMP/summary_$nstep"
    : >"$GITHUB_OUTPUT"
    : >"$GITHUB_STEP_SUMMARY"
}
# Outputs of the step (output) and of the key step (output_of).
output() { gha_output "$GITHUB_OUTPUT" "$1"; }
output_of() { gha_output "$KEY_OUTPUT" "$1"; }

# actions/cache's version of a `path:` string, hashed as given
# (getCacheVersion), and its glob's reading of it: a leading "~/" is HOME, a
# relative path is from the workspace (@actions/glob, internal-pattern.ts).
gha_version() { printf '%s|zstd-without-long|1.0' "$1" | sha256sum | cut -c1-64; }
gha_resolve() {
    case $1 in
    "~/"*) printf '%s/%s' "$HOME" "${1#"~/"}" ;;
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$GITHUB_WORKSPACE" "$1" ;;
    esac
}
# actions/cache/save with `path:` $1: resolvePaths makes the path relative to
# the workspace, createTar writes manifest.txt in a temporary archive folder
# and runs tar there; the entry is stored under (version, key).
gha_save() {
    local cpath=$1 key=$2 version folder
    version=$(gha_version "$cpath")
    folder=$(mktemp -d "$RUNNER_TEMP/archive.XXXXXX")
    python3 -c 'import os, sys; sys.stdout.write(os.path.relpath(sys.argv[1], sys.argv[2]))' \
        "$(gha_resolve "$cpath")" "$GITHUB_WORKSPACE" >"$folder/manifest.txt"
    (cd "$folder" && tar --posix -cf cache.tzst --exclude cache.tzst -P -C "$GITHUB_WORKSPACE" \
        --files-from manifest.txt --use-compress-program zstdmt) ||
        fail "actions/cache's tar could not save $path"
    mkdir -p "$T/cache-service/$version"
    mv "$folder/cache.tzst" "$T/cache-service/$version/$key.tzst"
    rm -rf "$folder"
}
# actions/cache/restore: the key, else the newest entry whose key starts
# with a restore key, among entries of the version of `path:` $3;
# extractTar runs tar on the downloaded archive. Prints the matched key.
gha_restore() {
    local key=$1 restore_keys=$2 version match="" r folder
    version=$(gha_version "$3")
    if [ -f "$T/cache-service/$version/$key.tzst" ]; then
        match=$key
    else
        while IFS= read -r r; do
            [ -n "$r" ] || continue
            match=$(cd "$T/cache-service/$version" 2>/dev/null &&
                ls -t -- "$r"*.tzst 2>/dev/null | head -n 1 | sed 's/\.tzst$//') || true
            [ -z "$match" ] || break
        done <<<"$restore_keys"
    fi
    [ -n "$match" ] || return 0
    folder=$(mktemp -d "$RUNNER_TEMP/download.XXXXXX")
    cp "$T/cache-service/$version/$match.tzst" "$folder/cache.tzst"
    (cd "$folder" && tar -xf cache.tzst -P -C "$GITHUB_WORKSPACE" --use-compress-program unzstd) ||
        fail "actions/cache's tar could not restore $match"
    rm -rf "$folder"
    echo "$match"
}
# What the action does before saving: keep only the selected entries.
export_swap() {
    local dir=$1
    shift
    rm -rf "$dir.export"
    expect 0 export --to "$dir.export" "$@"
    rm -rf "$dir"
    mv "$dir.export" "$dir"
}
count_entries() { find "$1/entries" -name '*.json' | wc -l; }
# The action's save step: when warm's save-key is not the key restored.
# Prints 1 when it saved.
save_if_new() {
    local store=$1 matched=$2 cpath=$3 save_key
    save_key=$(output save-key)
    [ -n "$save_key" ] || fail "warm wrote no save-key"
    case "$save_key" in "$(output_of key)"-*) ;; *) fail "save-key '$save_key' is not under the key" ;; esac
    [ "$save_key" != "$matched" ] || return 0
    export_swap "$store" -a
    gha_save "$cpath" "$save_key"
    echo 1
}

# --- job 1: a miss ---------------------------------------------------------
step
KEY_OUTPUT=$GITHUB_OUTPUT
expect 0 key -a --github-output
head -n 1 "$T/err" | grep -q '^::add-mask::' || fail "credentials are not masked first: $(head -n 3 "$T/err")"
grep -qxF '::add-mask::s3cr3tpw' "$T/err" || fail "the mirror password is not masked"
key1=$(output key)
rk1=$(output restore-keys)
store=$(output cache-dir)
version=$(output cache-version)
[ "$store" = "$HOME/.cache/venvcache" ] || fail "cache-dir output '$store'"
# Below HOME, outside the workspace: "~/...", which actions/cache expands.
cpath=$(output cache-path)
[ "$cpath" = "~/.cache/venvcache" ] || fail "cache-path '$cpath', not ~/.cache/venvcache"
[ "$version" = "$(gha_version "$cpath")" ] || fail "cache-version is not actions/cache's"
[ -z "$(gha_restore "$key1" "$rk1" "$cpath")" ] || fail "a hit in an empty cache"

step
expect 0 warm -a --github-output
[ "$(cat "$T/out")" = "$VENVCACHE_VENV_ROOT/a
$VENVCACHE_VENV_ROOT/b
$VENVCACHE_VENV_ROOT/u" ] || fail "warm printed: $(cat "$T/out")"
err_has "a: created"
err_has "b: created"
err_has "u: created"
[ "$(output hits)/$(output created)/$(output envs)" = 0/3/3 ] ||
    fail "warm's outputs: hits $(output hits), created $(output created), envs $(output envs)"
save1=$(output save-key)
[ "$(save_if_new "$store" "" "$cpath")" = 1 ] || fail "job 1 saved nothing"
[ "$(count_entries "$store")" -eq 3 ] || fail "the export holds $(count_entries "$store") entries, not 3"
[ -f "$store/CACHEDIR.TAG" ] || fail "the export is not a store"
ls "$store"/resolve/*.json >/dev/null 2>&1 || fail "the export has no resolution of the unpinned env"
# The unpinned env: its entry has the resolved key, not the offline one.
expect 0 key -e u --offline
ku_off=$(cat "$T/out")
expect 0 key -e u
[ "$(cat "$T/out")" != "$ku_off" ] || fail "an unpinned set's entry key is its offline key"
[ -f "$store/entries/$(cat "$T/out").json" ] || fail "no entry under u's resolved key"

# What actions/cache saved: ../ members (the store is outside the
# workspace), none named cache.tzst, inner archives that plain unzstd
# decodes as pax tar, and no credentials anywhere.
saved="$T/cache-service/$version/$save1.tzst"
tar -tf "$saved" -P --use-compress-program unzstd >"$T/members" || fail "cannot list the saved cache"
rel=$(python3 -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$store" "$GITHUB_WORKSPACE")
grep -v "^$rel" "$T/members" && fail "members outside $rel"
grep -q '/cache\.tzst$' "$T/members" && fail "a member named cache.tzst"
grep -q "^$rel/entries/.*\.tar\.zst$" "$T/members" || fail "no archive in the saved cache"
unzstd -c "$saved" >"$T/saved.tar" || fail "plain unzstd cannot decode the saved cache"
grep -qa 's3cr3tpw' "$T/saved.tar" && fail "the mirror password is in the saved cache"
for f in "$store"/entries/*.tar.zst; do
    unzstd -c "$f" >"$T/inner.tar" || fail "plain unzstd cannot decode $f"
    tar -tf "$T/inner.tar" >/dev/null || fail "$f is not a tar"
    # POSIX (ustar/pax) magic "ustar\0" "00", not GNU's "ustar  \0".
    python3 -c 'import sys; sys.exit(open(sys.argv[1], "rb").read(265)[257:265] != b"ustar\x0000")' \
        "$T/inner.tar" || fail "$f is not POSIX tar"
    grep -qa 's3cr3tpw' "$T/inner.tar" && fail "the mirror password is in $f"
done

# --- job 2: a fresh runner, the mirror down --------------------------------
# The key step needs no network: before, it resolved u with pip, and failed
# with the mirror down although the cache held everything.
mirror_stop
rm -rf "$HOME" "$VENVCACHE_VENV_ROOT" "$RUNNER_TEMP"
mkdir -p "$HOME" "$RUNNER_TEMP"
step
KEY_OUTPUT=$GITHUB_OUTPUT
expect 0 key -a --github-output
[ "$(output key)" = "$key1" ] || fail "the key changed on a fresh runner"
[ "$(output cache-version)" = "$version" ] || fail "the cache version changed"
matched=$(gha_restore "$key1" "$(output restore-keys)" "$cpath")
[ "$matched" = "$save1" ] || fail "restored '$matched', not job 1's store '$save1'"
[ "$(count_entries "$store")" -eq 3 ] || fail "the restored store holds $(count_entries "$store") entries"

step
expect 0 warm -a --github-output
err_has "a: hit"
err_has "b: hit"
err_has "u: hit"
[ "$(output hits)/$(output created)" = 3/0 ] || fail "hits $(output hits), created $(output created)"
[ -z "$(save_if_new "$store" "$matched" "$cpath")" ] || fail "a full hit saved again"
expect 0 run -e b -- vc-beta
out_has "vc-beta 1.0 (vc-alpha 1.1)"
expect 0 run -e a -- python -c 'import vc_alpha; print(vc_alpha.__version__)'
out_has "1.1"
py_venv_check "$VENVCACHE_VENV_ROOT/b" vc_alpha vc_beta
py_venv_check "$VENVCACHE_VENV_ROOT/u" vc_alpha

# --- job 3: a fork's pull request: no mirror secret, past resolve-ttl -------
# The secret expands to nothing (${VC_T_MIRROR} stays as written, with a
# warning); the resolution is older than resolve-ttl (0 s), pip cannot
# reach any mirror, and resolve-grace keeps the one the store brought.
rm -rf "$HOME" "$VENVCACHE_VENV_ROOT" "$RUNNER_TEMP"
mkdir -p "$HOME" "$RUNNER_TEMP"
step
KEY_OUTPUT=$GITHUB_OUTPUT
VC_T_MIRROR='' expect 0 key -a --github-output
[ "$(output key)" = "$key1" ] || fail "the fork's key differs: the mirror is not in it"
matched=$(gha_restore "$key1" "$(output restore-keys)" "$cpath")
[ "$matched" = "$save1" ] || fail "the fork restored '$matched'"
step
VC_T_MIRROR='' VENVCACHE_RESOLVE_TTL=0 expect 0 warm -a --github-output
err_has "u: hit"
err_has "resolve-grace"
[ "$(output hits)/$(output envs)" = 3/3 ] || fail "the fork's hits: $(output hits)"
[ -z "$(save_if_new "$store" "$matched" "$cpath")" ] || fail "the fork's full hit saved"

# --- job 4: one env changes; the restore key brings back the others --------
mirror_start --auth alice:s3cr3tpw
export VC_T_MIRROR=$MIRROR_AUTH_URL
rm -rf "$HOME" "$VENVCACHE_VENV_ROOT"
mkdir -p "$HOME"
sed -i 's/^deps = vc-alpha==1.1$/deps = vc-alpha==1.0/' venvcache.ini
step
KEY_OUTPUT=$GITHUB_OUTPUT
expect 0 key -a --github-output
key3=$(output key)
[ "$key3" != "$key1" ] || fail "a changed pin kept the key"
matched=$(gha_restore "$key3" "$(output restore-keys)" "$cpath")
[ "$matched" = "$save1" ] || fail "the restore key did not bring back job 1's store"
step
expect 0 warm -a --github-output
grep -Eq 'a: (created|partial)' "$T/err" || fail "a is not a miss: $(cat "$T/err")"
err_has "b: hit"
err_has "u: hit"
[ "$(count_entries "$store")" -eq 4 ] || fail "warm should have added a's new entry"
[ "$(save_if_new "$store" "$matched" "$cpath")" = 1 ] || fail "job 4 saved nothing"
[ "$(count_entries "$store")" -eq 3 ] || fail "the export kept a stale entry"
expect 0 run -e a -- vc-alpha
out_has "vc-alpha 1.0"

# --- two runners, other HOMEs and workspaces ------------------------------
# actions/cache hashes `path:` as given: cache-path is "~/..." for the
# default store and relative to the workspace for one inside it, so both
# runners compute one version and find each other's store.
for r in 1 2; do
    export HOME="$T/home-runner$r" GITHUB_WORKSPACE="$T/runner$r/work/repo/repo"
    mkdir -p "$HOME" "$GITHUB_WORKSPACE"
    cp "$T/ws/venvcache.ini" "$GITHUB_WORKSPACE/"
    cd "$GITHUB_WORKSPACE"
    step
    (
        unset VENVCACHE_CACHE_DIR XDG_CACHE_HOME
        expect 0 key -a --github-output
    ) || exit 1
    [ "$(output cache-dir)" = "$HOME/.cache/venvcache" ] || fail "runner $r: default cache-dir '$(output cache-dir)'"
    [ "$(output cache-path)" = "~/.cache/venvcache" ] || fail "runner $r: default cache-path '$(output cache-path)'"
    eval "hversion$r=\$(output cache-version)"
    export VENVCACHE_CACHE_DIR="$GITHUB_WORKSPACE/.venvcache"
    rm -rf "$VENVCACHE_VENV_ROOT"
    step
    KEY_OUTPUT=$GITHUB_OUTPUT
    expect 0 key -a --github-output
    [ "$(output cache-path)" = .venvcache ] || fail "runner $r: cache-path '$(output cache-path)'"
    eval "version$r=\$(output cache-version)"
    [ "$(output cache-version)" = "$(gha_version .venvcache)" ] || fail "runner $r: cache-version"
    matched=$(gha_restore "$(output key)" "$(output restore-keys)" .venvcache)
    step
    expect 0 warm -a --github-output
    if [ "$r" = 1 ]; then
        [ -z "$matched" ] || fail "runner 1 found a store"
        save_if_new "$VENVCACHE_CACHE_DIR" "$matched" .venvcache >/dev/null
    else
        [ -n "$matched" ] || fail "runner 2 did not find runner 1's store"
        [ "$(output hits)" = 3 ] || fail "runner 2's hits: $(output hits)"
    fi
done
[ "$version1" = "$version2" ] || fail "two HOMEs, two cache versions (store in the workspace)"
[ "$hversion1" = "$hversion2" ] || fail "two HOMEs, two cache versions (the default store)"
[ "$hversion1" = "$version" ] || fail "the default store's cache version differs from job 1's"
cd "$T/ws"
export VENVCACHE_CACHE_DIR="$store"

# Exporting an env that has no entry is an error naming env and key.
cat >>venvcache.ini <<'INI'

[env c]
python = python3
deps = vc-delta==1.0
INI
expect 0 key -e c
keyc=$(cat "$T/out")
expect 1 export --to "$T/exp-c" -e c
grep -q "env c" "$T/err" || fail "the error does not name the env: $(cat "$T/err")"
grep -qF "$keyc" "$T/err" || fail "the error does not name the key"
exit 0
