#!/usr/bin/env bash
# warm: a miss creates a working venv; present is a no-op; with the mirror
# stopped and the venv removed it is restored from the store; a different
# venv root gives a working relocated venv with no old prefix in any text
# file; a venv whose interpreter link is broken is rebuilt; run and restore.
. "$(dirname "$0")/lib.sh"

demo_config vc-beta==1.0 vc-alpha==1.1 Vc_Zope.Interface==5.0
venv=$VENVCACHE_VENV_ROOT/demo

# A miss: created with venv + pip from the mirror, saved in the store.
expect 0 warm -e demo
[ "$(cat "$T/out")" = "$venv" ] || fail "stdout is not the venv path: $(cat "$T/out")"
err_has "demo: created"
created_line=$(grep ': created in ' "$T/err")
# Sizes say which: the venv's files, and its archive in the store.
arch_size=$(stat -c %s "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst)
grep -Eq '^venvcache: warm: demo: created in [0-9.]+ s \([0-9.]+ (KiB|MiB) unpacked, [0-9.]+ (KiB|MiB) packed\)$' "$T/err" ||
    fail "created line: $(grep created "$T/err")"
[ "$arch_size" -gt 0 ] || fail "an empty archive"
py_venv_check "$venv" vc_alpha vc_beta vc_zope_interface
py_venv_has "$venv" vc-alpha==1.1 vc-beta==1.0 vc-zope-interface==5.0
[ "$("$venv/bin/vc-beta")" = "vc-beta 1.0 (vc-alpha 1.1)" ] || fail "console script: $("$venv/bin/vc-beta" 2>&1)"
ls "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst >/dev/null || fail "no archive in the store"
# The store entry is what actions/cache could restore: plain unzstd + tar.
arch=$(ls "$VENVCACHE_CACHE_DIR"/entries/*.tar.zst)
unzstd -c "$arch" | tar -t >"$T/members" || fail "GNU tar cannot read the archive"
grep -qx 'bin/python' "$T/members" || fail "archive lacks bin/python"
! grep -q '^/\|^\.\./\|\.venvcache-stamp\|^pip\.conf$' "$T/members" || fail "bad member names"
# Nothing is left in the temporary area.
[ -z "$(ls -A "$VENVCACHE_VENV_ROOT/.venvcache/tmp")" ] || fail "leftovers in tmp"

# Present: nothing to do, same path, no new creation.
pip_runs=$(mirror_requests '^GET /simple/')
expect 0 warm -e demo
[ "$(cat "$T/out")" = "$venv" ] || fail "present: wrong stdout"
[ "$(mirror_requests '^GET /simple/')" = "$pip_runs" ] || fail "present warm talked to the mirror"

# With the mirror stopped and the venv removed: restored from the store.
mirror_stop
rm -rf "$venv"
expect 0 warm -e demo
err_has "demo: hit"
grep -Eq '^venvcache: warm: demo: hit in [0-9.]+ s \([0-9.]+ (KiB|MiB) unpacked, [0-9.]+ (KiB|MiB) packed, [0-9.]+ s saved\)$' "$T/err" ||
    fail "hit line: $(grep hit "$T/err")"
# stats counts the times warm printed: the first hit's and the creation's.
hit_line=$(grep ': hit in ' "$T/err")
expect 0 stats --format json
python3 - "$T/out" "$hit_line" "$created_line" <<'EOF' || fail "stats do not add up to warm's lines"
import json, re, sys
c = json.load(open(sys.argv[1]))["counters"]
hit = re.search(r"hit in ([0-9.]+) s .* ([0-9.]+) s saved", sys.argv[2])
made = re.search(r"created in ([0-9.]+) s", sys.argv[3])
assert abs(c["restore_ms"] - float(hit.group(1)) * 1000) <= 5, (c, sys.argv[2])
assert abs(c["saved_ms"] - float(hit.group(2)) * 1000) <= 50, (c, sys.argv[2])
assert abs(c["create_ms"] - float(made.group(1)) * 1000) <= 5, (c, sys.argv[3])
EOF
[ "$("$venv/bin/vc-beta")" = "vc-beta 1.0 (vc-alpha 1.1)" ] || fail "restored console script broken"
py_venv_check "$venv" vc_alpha vc_beta
"$venv/bin/pip" --version >/dev/null || fail "pip of the restored venv does not run"

# A different venv root: relocated, and no text file keeps an old prefix.
other=$VC_SHM/elsewhere/root
expect 0 --venv-root "$other" warm -e demo
[ "$(cat "$T/out")" = "$other/demo" ] || fail "relocated path: $(cat "$T/out")"
[ "$("$other/demo/bin/vc-beta")" = "vc-beta 1.0 (vc-alpha 1.1)" ] || fail "relocated console script broken"
"$other/demo/bin/pip" --version >/dev/null || fail "relocated pip broken"
# shellcheck disable=SC1091
(. "$other/demo/bin/activate" && [ "$VIRTUAL_ENV" = "$other/demo" ]) || fail "activate names the wrong venv"
stale=$(grep -rIl -e "$venv" -e "$VENVCACHE_VENV_ROOT/.venvcache" "$other/demo" || true)
[ -z "$stale" ] || fail "old prefix left in: $stale"

# The interpreter link broken: rebuilt (restored), not handed out broken.
ln -sfn /nonexistent/python3 "$venv/bin/python3"
expect 0 warm -e demo
"$venv/bin/python" -c 'import vc_beta' || fail "broken venv was not rebuilt"

# run: the command runs inside the venv and its status is the exit status.
expect 0 run -e demo -- vc-alpha
[ "$(cat "$T/out")" = "vc-alpha 1.1" ] || fail "run output: $(cat "$T/out")"
expect 7 run -e demo -- python -c 'import os, sys; assert os.environ["VIRTUAL_ENV"].endswith("/demo"); sys.exit(7)'
expect 127 run -e demo -- no-such-command-here
expect 2 run -e demo
err_has "after '--'"

# run in several envs: the command runs in each (demo2 has demo's set:
# restored from its entry, the mirror is stopped), each status is reported,
# the exit status is the first failure's.
cat >>venvcache.ini <<'INI'

[env demo2]
deps = vc-alpha==1.1
    vc-beta==1.0
    Vc_Zope.Interface==5.0
INI
expect 0 run -e demo -e demo2 -- python -c 'import os; print(os.path.basename(os.environ["VIRTUAL_ENV"]))'
[ "$(cat "$T/out")" = "$(printf 'demo\ndemo2')" ] || fail "run in two envs: $(cat "$T/out")"
err_has "demo2: hit"
err_has "demo: exit status 0"
err_has "demo2: exit status 0"
err_has "2 environments: every run succeeded"
expect 5 run -e demo -e demo2 -- python -c 'import os, sys; sys.exit(5 if os.environ["VIRTUAL_ENV"].endswith("demo2") else 0)'
err_has "demo: exit status 0"
err_has "demo2: exit status 5"
tail -n 1 "$T/err" | grep -qx 'venvcache: run: 1 of 2 environments failed' || fail "last line: $(tail -n 1 "$T/err")"
expect 127 run -e demo2 -e demo -- no-such-command-here
err_has "demo: exit status 127"
err_has "demo2: exit status 127"

# path prints where the venv is, whether or not it exists.
expect 0 path -e demo
[ "$(cat "$T/out")" = "$venv" ] || fail "path: $(cat "$T/out")"

# restore: an env without an entry exits 3 and leaves nothing.
cat >>venvcache.ini <<'INI'

[env other]
deps = vc-alpha==2.0
INI
expect 3 restore -e other
err_has "no entry"
# A miss is an answer, not an error: -q keeps it quiet.
expect 3 -q restore -e other
[ ! -s "$T/err" ] || fail "restore -q printed: $(cat "$T/err")"
[ ! -e "$VENVCACHE_VENV_ROOT/other" ] || fail "restore miss left a venv"
expect 0 restore -e demo

# In a CI log (CI=true, as GitHub, GitLab and Buildkite set it) each step
# gets a line; CI=false or CI= is not a CI log.
rm -rf "$venv"
CI=true expect 0 warm -e demo
err_has "demo: restoring"
rm -rf "$venv"
CI=false expect 0 warm -e demo
err_lacks "demo: restoring"

# Under GitHub Actions: the work is grouped, and the step summary gets a
# table row per env.
rm -rf "$venv"
GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY=$T/summary.md expect 0 warm -e demo
err_has "::group::venvcache warm: 1 environment"
err_has "::endgroup::"
grep -q '^| demo | hit' "$T/summary.md" || fail "summary: $(cat "$T/summary.md")"

# save replaces the entry with the venv as it is now.
expect 0 save -e demo
err_has "saved"

# After each save, gc keeps the store within max-size, least recently used
# first, and says so: a new entry (other) pushes the older demo out.
demo_key=$(vc key -e demo)
other_key=$(vc key -e other)
size=$(du -cb "$VENVCACHE_CACHE_DIR"/entries/"$demo_key".* | tail -n 1 | cut -f1)
touch -d '2 days ago' "$VENVCACHE_CACHE_DIR/entries/$demo_key.json"
mirror_start
VENVCACHE_INDEX_URL=$MIRROR_URL VENVCACHE_MAX_SIZE=$((size + size / 2)) expect 0 warm -e other
err_has "gc: removed 1 least recently used entry ("
[ -f "$VENVCACHE_CACHE_DIR/entries/$other_key.json" ] || fail "gc removed the entry just saved"
[ ! -e "$VENVCACHE_CACHE_DIR/entries/$demo_key.json" ] || fail "max-size: the older entry was kept"
expect 0 stats --format json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["counters"]["evictions"] == 1, d' "$T/out" ||
    fail "evictions: $(cat "$T/out")"
echo "ok"
