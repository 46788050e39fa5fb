#!/usr/bin/env bash
# remote (s3): s3://bucket/prefix against moto's S3 server with signature
# checking on, path-style at AWS_ENDPOINT_URL, credentials and region from
# AWS_*. Machine A creates and uploads (Signature V4 with the payload's
# sha256), and signs; machine B, mirror stopped, gets a remote hit whose
# signature it verified, and refuses it under another verify key. A wrong
# secret is a read-only remote that misses: warned, counted, never a
# failure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-remote.sh"

mirror_start
moto_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env demo]
deps = vc-alpha==1.1
INI
export VENVCACHE_REMOTE=s3://vc-bucket/ci/venvs
export VENVCACHE_REMOTE_CONNECT_TIMEOUT=5s VENVCACHE_REMOTE_TIMEOUT=10s

# Machine A: created, uploaded, signed.
sk=s3-signing-key-$RANDOM$RANDOM$RANDOM
export VENVCACHE_CACHE_DIR=$T/a/store VENVCACHE_VENV_ROOT=$VC_SHM/a
VENVCACHE_SIGNING_KEY=$sk expect 0 warm -e demo
err_has "demo: created"
err_lacks "warning"
[ "$(stat_of remote_uploads)" = 1 ] || fail "remote_uploads is $(stat_of remote_uploads)"
key=$(vc key -e demo)
hh=${key##*-}; hh=${hh:0:2}
s3_keys >"$T/keys"
grep -qx "ci/venvs/$hh/$key.json" "$T/keys" || fail "no manifest in the bucket: $(cat "$T/keys")"
grep -q "^ci/venvs/$hh/$key\.[0-9a-f]*\.tar\.zst$" "$T/keys" || fail "no archive in the bucket: $(cat "$T/keys")"
grep -q "^ci/venvs/$hh/$key\.[0-9a-f]\{64\}\.sig$" "$T/keys" || fail "no signature in the bucket: $(cat "$T/keys")"

# Machine B, mirror stopped: a remote hit, its signature verified. A
# verifier with another key refuses it (the .sig came back from S3).
mirror_stop
export VENVCACHE_CACHE_DIR=$T/b0/store VENVCACHE_VENV_ROOT=$VC_SHM/b0
VENVCACHE_VERIFY_KEY=not-the-signing-key expect 3 restore -e demo
err_has "bad signature"
[ "$(stat_of remote_rejected)" = 1 ] || fail "other key: remote_rejected is $(stat_of remote_rejected)"
export VENVCACHE_CACHE_DIR=$T/b/store VENVCACHE_VENV_ROOT=$VC_SHM/b
VENVCACHE_VERIFY_KEY=$sk expect 0 warm -e demo
err_has "demo: hit"
err_lacks "$sk"
[ "$("$VC_SHM/b/demo/bin/vc-alpha")" = "vc-alpha 1.1" ] || fail "remote hit's venv does not work"
[ "$(stat_of remote_hits)" = 1 ] || fail "remote_hits is $(stat_of remote_hits)"
[ "$(stat_of remote_errors)" = 0 ] || fail "remote_errors is $(stat_of remote_errors)"
expect 0 verify

# A wrong secret: reads are refused (a miss, one warning), the upload of a
# save is refused (read-only, one warning); exit status as without remote.
good=$AWS_SECRET_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=wrong-secret-value
export VENVCACHE_CACHE_DIR=$T/c/store VENVCACHE_VENV_ROOT=$VC_SHM/c
expect 3 restore -e demo
err_has "taken as a miss"
err_has "HTTP 403"
[ "$(stat_of remote_errors)" = 1 ] || fail "wrong secret: remote_errors is $(stat_of remote_errors)"
export VENVCACHE_CACHE_DIR=$T/b/store VENVCACHE_VENV_ROOT=$VC_SHM/b
rm "$T/b/store/entries/$key".*
expect 0 save -e demo
err_has "read-only for the rest of this run"
err_lacks "wrong-secret-value"
[ "$(stat_of remote_uploads)" = 0 ] || fail "uploaded with a wrong secret"
# The bucket is unchanged.
export AWS_SECRET_ACCESS_KEY=$good
s3_keys | cmp - "$T/keys" || fail "the bucket changed"
