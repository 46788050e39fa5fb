#!/usr/bin/env bash
# remote (http): two machines (two local stores and venv roots) share
# entries through nginx with WebDAV PUT. The first creates and uploads;
# the second, with the mirror stopped, downloads: a remote hit, a working
# venv, verified local entry. Immutable: a second upload never rewrites.
# A remote that refuses PUT (403) is read-only with one warning; a remote
# that is down is off for the run with one warning; neither fails.
# remote-read-only never uploads. remote-layout bazel puts objects where
# bazel-remote takes them. Credentials never reach the output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-remote.sh"

demo_config vc-beta==1.0 vc-alpha==1.1
nginx_start shared
shared=$NGINX_URL
export VENVCACHE_REMOTE_CONNECT_TIMEOUT=2s VENVCACHE_REMOTE_TIMEOUT=5s

# Machine A: a miss, created, saved locally, then uploaded.
export VENVCACHE_REMOTE="$shared/venvs"
export VENVCACHE_CACHE_DIR=$T/a/store VENVCACHE_VENV_ROOT=$VC_SHM/a
expect 0 warm -e demo
err_has "demo: created"
err_has "uploaded"
[ "$(stat_of remote_uploads)" = 1 ] || fail "remote_uploads is $(stat_of remote_uploads)"
[ "$(stat_of remote_misses)" = 1 ] || fail "remote_misses is $(stat_of remote_misses)"
[ "$(stat_of remote_errors)" = 0 ] || fail "remote_errors is $(stat_of remote_errors)"
[ "$(stat_of remote_bytes_out)" -gt 1000 ] || fail "remote_bytes_out is $(stat_of remote_bytes_out)"
key=$(vc key -e demo)
hh=${key##*-}; hh=${hh:0:2}
[ -f "$T/shared/venvs/$hh/$key.json" ] || fail "no manifest at venvs/$hh/$key.json: $(find "$T/shared")"
ls "$T/shared/venvs/$hh/$key".*.tar.zst >/dev/null || fail "no archive next to the manifest"
cmp <(python3 -m json.tool "$T/shared/venvs/$hh/$key.json") \
    <(python3 -m json.tool "$T/a/store/entries/$key.json") || fail "remote manifest differs from the local one"
puts=$(grep -c '"PUT ' "$T/nginx-shared/access.log")
[ "$puts" = 2 ] || fail "expected 2 PUTs (archive, manifest), got $puts"

# Saving again uploads nothing: the entry is there and never rewritten.
expect 0 save -e demo
[ "$(grep -c '"PUT ' "$T/nginx-shared/access.log")" = 2 ] || fail "save rewrote the remote entry"

# Machine B, mirror stopped: a remote hit.
mirror_stop
export VENVCACHE_CACHE_DIR=$T/b/store VENVCACHE_VENV_ROOT=$VC_SHM/b
expect 0 warm -e demo
err_has "demo: hit"
err_has "downloaded"
venv=$VC_SHM/b/demo
[ "$("$venv/bin/vc-beta")" = "vc-beta 1.0 (vc-alpha 1.1)" ] || fail "remote hit's console script broken"
py_venv_check "$venv" vc_alpha vc_beta
[ "$(stat_of remote_hits)" = 1 ] || fail "remote_hits is $(stat_of remote_hits)"
[ "$(stat_of hits)" = 1 ] || fail "hits is $(stat_of hits)"
[ "$(stat_of creations)" = 0 ] || fail "machine B created"
[ "$(stat_of remote_bytes_in)" -gt 1000 ] || fail "remote_bytes_in is $(stat_of remote_bytes_in)"
expect 0 verify
cmp "$T/shared/venvs/$hh/$key".*.tar.zst "$T/b/store/entries/$key.tar.zst" || fail "downloaded archive differs"
# The downloaded entry is local now: no request the next time.
rm -rf "$venv"
gets=$(grep -c '"GET ' "$T/nginx-shared/access.log")
expect 0 warm -e demo
err_has "demo: hit"
[ "$(grep -c '"GET ' "$T/nginx-shared/access.log")" = "$gets" ] || fail "a local hit asked the remote"

# restore (not only warm) asks the remote.
export VENVCACHE_CACHE_DIR=$T/b2/store VENVCACHE_VENV_ROOT=$VC_SHM/b2
expect 0 restore -e demo
[ "$(stat_of remote_hits)" = 1 ] || fail "restore: remote_hits is $(stat_of remote_hits)"

# remote-layout bazel: each object at ac/<sha256 of its subdirs path>, as
# bazel-remote's HTTP protocol (and ccache's bazel layout) has them.
export VENVCACHE_REMOTE="$shared/bz" VENVCACHE_REMOTE_LAYOUT=bazel
export VENVCACHE_CACHE_DIR=$T/a/store VENVCACHE_VENV_ROOT=$VC_SHM/a
expect 0 save -e demo
err_has "uploaded"
msha=$(printf '%s' "$hh/$key.json" | sha256sum | cut -d' ' -f1)
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$T/shared/bz/ac/$msha")" = "$key" ] ||
    fail "bazel: no manifest of $key at ac/$msha: $(ls -R "$T/shared/bz")"
[ "$(find "$T/shared/bz" -type f | wc -l)" = 2 ] || fail "bazel: expected 2 objects: $(find "$T/shared/bz")"
export VENVCACHE_CACHE_DIR=$T/b3/store VENVCACHE_VENV_ROOT=$VC_SHM/b3
expect 0 restore -e demo
[ "$(stat_of remote_hits)" = 1 ] || fail "bazel: remote_hits is $(stat_of remote_hits)"
unset VENVCACHE_REMOTE_LAYOUT

# A remote that is down: off for the run with one warning (two envs in
# one process), a miss, never a failure beyond the miss itself.
cat >>venvcache.ini <<INI

[env other]
deps = vc-alpha==1.0
INI
dead=http://127.0.0.1:$(free_port)
export VENVCACHE_REMOTE=$dead
export VENVCACHE_CACHE_DIR=$T/c/store VENVCACHE_VENV_ROOT=$VC_SHM/c
expect 3 restore -e demo -e other -j 1
[ "$(grep -c 'not used for the rest of this run' "$T/err")" = 1 ] || fail "expected one off warning: $(cat "$T/err")"
grep -q "$dead" "$T/err" || fail "the warning does not name the dead remote"
[ "$(stat_of remote_errors)" = 1 ] || fail "dead: remote_errors is $(stat_of remote_errors)"

# A remote that refuses PUT (403): read-only for the run, one warning, the
# save succeeds; the dead remote before it in the list is skipped.
nginx_start ro ro
export VENVCACHE_REMOTE="$dead $NGINX_URL/x"
export VENVCACHE_CACHE_DIR=$T/b/store VENVCACHE_VENV_ROOT=$VC_SHM/b
expect 0 save -e demo
[ "$(grep -c 'read-only for the rest of this run' "$T/err")" = 1 ] || fail "expected one read-only warning: $(cat "$T/err")"
grep -q "PUT .*HTTP 403" "$T/err" || fail "the warning does not say 403: $(cat "$T/err")"
[ "$(stat_of remote_uploads)" = 0 ] || fail "uploaded to a read-only remote"
[ -z "$(find "$T/ro" -type f)" ] || fail "something was written to the read-only remote"

# remote-read-only: no PUT at all, no warning.
export VENVCACHE_REMOTE="$shared/ro-setting" VENVCACHE_REMOTE_READ_ONLY=yes
puts=$(grep -c '"PUT ' "$T/nginx-shared/access.log")
expect 0 save -e demo
err_lacks "warning"
[ "$(grep -c '"PUT ' "$T/nginx-shared/access.log")" = "$puts" ] || fail "remote-read-only uploaded"
unset VENVCACHE_REMOTE_READ_ONLY

# Credentials: from the environment, never printed; the URL's userinfo
# is redacted in warnings and in config.
export VENVCACHE_REMOTE="http://user:s3cr3tpw@127.0.0.1:$(free_port)/v"
export VENVCACHE_CACHE_DIR=$T/e/store VENVCACHE_VENV_ROOT=$VC_SHM/e
expect 3 restore -e other
err_has "not used for the rest of this run"
err_lacks "s3cr3tpw"
expect 0 config
out_lacks "s3cr3tpw"
out_has "remote = http://***@127.0.0.1"

# remote check: one line each for reachability, auth, write, latency.
export VENVCACHE_REMOTE="$shared/venvs"
expect 0 remote check
out_has "$shared/venvs reachable: yes (HTTP 404)"
out_has "$shared/venvs auth: ok"
out_has "$shared/venvs write: ok"
grep -q "^$shared/venvs latency: [0-9.]* ms$" "$T/out" || fail "no latency line: $(cat "$T/out")"
[ "$(wc -l <"$T/out")" = 4 ] || fail "expected 4 lines: $(cat "$T/out")"
[ -f "$T/shared/venvs/venvcache-probe.txt" ] || fail "no probe object written"
export VENVCACHE_REMOTE="$NGINX_URL/x $dead"
expect 1 remote check
out_has "$NGINX_URL/x write: refused (HTTP 403)"
out_has "$dead reachable: no"
err_has "2 remote stores failed a check"
VENVCACHE_REMOTE= expect 2 remote check
expect 2 remote frobnicate

# warm --shard I/N: every env in exactly one of the N shards, by a hash
# of its name. Envs whose python does not exist fail at once, naming it.
{
    for i in $(seq 12); do printf '[env s%d]\npython = /nonexistent/py\ndeps = vc-alpha==1.1\n\n' "$i"; done
} >shard.ini
for s in 1 2 3; do
    expect 1 -c shard.ini warm --all --shard $s/3 -j 1
    grep -o 'env s[0-9]*' "$T/err" | sort -u >>"$T/shards"
    err_has "shard $s/3:"
done
[ "$(sort "$T/shards" | uniq -d)" = "" ] || fail "an env is in two shards: $(sort "$T/shards" | uniq -d)"
[ "$(wc -l <"$T/shards")" = 12 ] || fail "the shards hold $(wc -l <"$T/shards") envs, not 12: $(cat "$T/shards")"
expect 2 -c shard.ini warm --all --shard 4/3
expect 2 -c shard.ini warm --all --shard 0/3
