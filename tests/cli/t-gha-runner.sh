#!/usr/bin/env bash
# Plays a GitHub Actions runner with actions/cache, using the exact tar
# commands of actions/toolkit (packages/cache/src/internal/tar.ts, zstd
# without --long): job 1 misses, warms, exports and saves the store; job 2
# runs on a wiped machine (HOME with the store, the RAM disk) with the mirror
# stopped, restores, and gets hits with working venvs; job 3 changes one
# env's requirements, restores the old store through the restore key, hits
# the other env, and saves a store holding only what its key needs.
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
# The runner's reading of $GITHUB_OUTPUT (name=value, name<<DELIM).
output() {
    python3 - "$GITHUB_OUTPUT" "$1" <<'PY'
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
sys.stdout.write(out[sys.argv[2]])
PY
}

# actions/cache/save: resolvePaths makes the path relative to the
# workspace, createTar writes manifest.txt in a temporary archive folder and
# runs tar there; the entry is stored under (version, key).
gha_save() {
    local path=$1 key=$2 version=$3 folder
    folder=$(mktemp -d "$RUNNER_TEMP/archive.XXXXXX")
    python3 -c 'import os, sys; sys.stdout.write(os.path.relpath(sys.argv[1], sys.argv[2]))' \
        "$path" "$GITHUB_WORKSPACE" >"$folder/manifest.txt"
    (cd "$folder" && tar --posix -cf cache.tzst --exclude cache.tzst -P -C "$GITHUB_WORKSPACE" \
        --files-from manifest.txt --use-compress-program zstdmt) ||
        fail "actions/cache's tar could not save $path"
    mkdir -p "$T/cache-service/$version"
    mv "$folder/cache.tzst" "$T/cache-service/$version/$key.tzst"
    rm -rf "$folder"
}
# actions/cache/restore: the key, else the newest entry whose key starts
# with a restore key, among entries of the same version; extractTar runs
# tar on the downloaded archive. Prints the matched key.
gha_restore() {
    local key=$1 restore_keys=$2 version=$3 match="" r folder
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

# --- job 1: a miss ---------------------------------------------------------
step
expect 0 key -a --github-output
head -n 1 "$T/err" | grep -q '^::add-mask::' || fail "credentials are not masked first: $(head -n 3 "$T/err")"
grep -qxF '::add-mask::s3cr3tpw' "$T/err" || fail "the mirror password is not masked"
key1=$(output key)
rk1=$(output restore-keys)
store=$(output cache-dir)
version=$(output cache-version)
[ "$store" = "$HOME/.cache/venvcache" ] || fail "cache-dir output '$store'"
[ "$version" = "$(printf '%s|zstd-without-long|1.0' "$store" | sha256sum | cut -c1-64)" ] ||
    fail "cache-version is not actions/cache's"
[ -z "$(gha_restore "$key1" "$rk1" "$version")" ] || fail "a hit in an empty cache"

step
expect 0 warm -a
[ "$(cat "$T/out")" = "$VENVCACHE_VENV_ROOT/a
$VENVCACHE_VENV_ROOT/b" ] || fail "warm printed: $(cat "$T/out")"
err_has "a: created"
err_has "b: created"

step
export_swap "$store" -a
[ "$(count_entries "$store")" -eq 2 ] || fail "the export holds $(count_entries "$store") entries, not 2"
[ -f "$store/CACHEDIR.TAG" ] || fail "the export is not a store"
gha_save "$store" "$key1" "$version"

# What actions/cache saved: ../ members (the store is outside the
# workspace), none named cache.tzst, inner archives that plain unzstd
# decodes as pax tar, and no credentials anywhere.
saved="$T/cache-service/$version/$key1.tzst"
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
mirror_stop
rm -rf "$HOME" "$VENVCACHE_VENV_ROOT" "$RUNNER_TEMP"
mkdir -p "$HOME" "$RUNNER_TEMP"
step
expect 0 key -a --github-output
[ "$(output key)" = "$key1" ] || fail "the key changed on a fresh runner"
[ "$(output cache-version)" = "$version" ] || fail "the cache version changed"
[ "$(gha_restore "$key1" "$(output restore-keys)" "$version")" = "$key1" ] || fail "no exact hit"
[ "$(count_entries "$store")" -eq 2 ] || fail "the restored store holds $(count_entries "$store") entries"

step
expect 0 warm -a
err_has "a: hit"
err_has "b: hit"
expect 0 run -e b -- vc-beta
out_has "vc-beta 1.0 (vc-alpha 1.1)"
expect 0 run -e a -- python -c 'import vc_alpha; print(vc_alpha.__version__)'
out_has "1.1"
py_venv_check "$VENVCACHE_VENV_ROOT/b" vc_alpha vc_beta

# --- job 3: one env changes; the restore key brings back the others --------
mirror_start --auth alice:s3cr3tpw
export VC_T_MIRROR=$MIRROR_AUTH_URL
rm -rf "$HOME" "$VENVCACHE_VENV_ROOT"
mkdir -p "$HOME"
sed -i 's/^deps = vc-alpha==1.1$/deps = vc-alpha==1.0/' venvcache.ini
step
expect 0 key -a --github-output
key3=$(output key)
[ "$key3" != "$key1" ] || fail "a changed pin kept the key"
[ "$(gha_restore "$key3" "$(output restore-keys)" "$version")" = "$key1" ] ||
    fail "the restore key did not bring back job 1's store"
step
expect 0 warm -a
grep -Eq 'a: (created|partial)' "$T/err" || fail "a is not a miss: $(cat "$T/err")"
err_has "b: hit"
[ "$(count_entries "$store")" -eq 3 ] || fail "warm should have added a's new entry"
step
export_swap "$store" -a
[ "$(count_entries "$store")" -eq 2 ] || fail "the export kept a stale entry"
gha_save "$store" "$key3" "$version"
expect 0 run -e a -- vc-alpha
out_has "vc-alpha 1.0"

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
