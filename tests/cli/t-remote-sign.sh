#!/usr/bin/env bash
# remote signing: with VENVCACHE_SIGNING_KEY an upload puts
# <stem>.<sha256 of the manifest>.sig, "hmac-sha256 <hex>", the HMAC of
# "venvcache-entry-v1\n<checksum>\n<manifest>" (checked here by Python's
# hmac); with VENVCACHE_VERIFY_KEY a download is used only when it is
# signed under that key. Refused, and counted (remote_rejected), never
# published: an unsigned entry, one signed under another key, a tampered
# manifest with or without its old signature beside it. The same entries
# are hits without VENVCACHE_VERIFY_KEY, so it is the signature that
# refuses them. The same with Ed25519 keys from remote keygen, the
# signature checked by the cryptography package. A key under 16 bytes, or
# a malformed Ed25519 key, turns the remotes off. Keys never reach the
# output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-remote.sh"

mirror_start
nginx_start shared
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env demo]
deps = vc-alpha==1.1
INI
export VENVCACHE_REMOTE_CONNECT_TIMEOUT=2s VENVCACHE_REMOTE_TIMEOUT=5s
sk=k3y-0f-the-fleet-$RANDOM$RANDOM$RANDOM
log=$T/nginx-shared/access.log

# Machine A signs: archive, signature, manifest, in that order.
export VENVCACHE_REMOTE=$NGINX_URL/signed VENVCACHE_SIGNING_KEY=$sk
export VENVCACHE_CACHE_DIR=$T/a/store VENVCACHE_VENV_ROOT=$VC_SHM/a
expect 0 warm -e demo
err_has "uploaded"
err_lacks "$sk"
key=$(vc key -e demo)
hh=${key##*-}; hh=${hh:0:2}
dir=$T/shared/signed/$hh
grep -o '"PUT [^ ]*' "$log" | sed 's/.*\.//' >"$T/puts"
[ "$(tr '\n' ' ' <"$T/puts")" = "zst sig json " ] || fail "PUT order: $(cat "$T/puts")"
msha=$(sha256sum "$dir/$key.json" | cut -d' ' -f1)
sig=$dir/$key.$msha.sig
[ -f "$sig" ] || fail "no signature at $hh/$key.$msha.sig: $(ls "$dir")"
python3 - "$sk" "$dir/$key.json" "$sig" <<'PY' || fail "the signature is not the documented HMAC"
import hashlib, hmac, json, sys
key, manifest, sig = sys.argv[1].encode(), open(sys.argv[2], "rb").read(), open(sys.argv[3]).read()
checksum = json.loads(manifest)["checksum"]
mac = hmac.new(key, b"venvcache-entry-v1\n" + checksum.encode() + b"\n" + manifest, hashlib.sha256)
sys.exit(sig != "hmac-sha256 %s\n" % mac.hexdigest())
PY
unset VENVCACHE_SIGNING_KEY

# Machine B verifies under the same key, mirror stopped: a remote hit.
mirror_stop
export VENVCACHE_VERIFY_KEY=$sk
export VENVCACHE_CACHE_DIR=$T/b/store VENVCACHE_VENV_ROOT=$VC_SHM/b
expect 0 warm -e demo
err_has "demo: hit"
[ "$("$VC_SHM/b/demo/bin/vc-alpha")" = "vc-alpha 1.1" ] || fail "signed remote hit's venv does not work"
[ "$(stat_of remote_hits)" = 1 ] || fail "signed: remote_hits is $(stat_of remote_hits)"
[ "$(stat_of remote_rejected)" = 0 ] || fail "signed: remote_rejected is $(stat_of remote_rejected)"
err_lacks "$sk"

# refused STORE WHY: a restore with the verify key is a miss (exit 3),
# counted, nothing published; without the key the same entry is a hit.
refused() {
    export VENVCACHE_CACHE_DIR=$T/$1/store VENVCACHE_VENV_ROOT=$VC_SHM/$1
    expect 3 restore -e demo
    err_has "entry refused"
    err_has "$2"
    [ "$(stat_of remote_rejected)" = 1 ] || fail "$1: remote_rejected is $(stat_of remote_rejected)"
    [ "$(stat_of remote_hits)" = 0 ] || fail "$1: remote_hits is $(stat_of remote_hits)"
    ! ls "$T/$1/store/entries/$key".* >/dev/null 2>&1 || fail "$1: a refused entry was published"
    (unset VENVCACHE_VERIFY_KEY; expect 0 restore -e demo) || exit 1
    [ "$(stat_of remote_hits)" = 1 ] || fail "$1: without the verify key, not a hit"
}

# Another key.
VENVCACHE_VERIFY_KEY=an0ther-key-of-16-bytes-or-more refused c "bad signature"

# A tampered manifest (a reordered, re-indented copy: same entry, other
# bytes), first without a signature under its new name, then with the
# old signature copied there.
cp "$dir/$key.json" "$T/manifest.orig"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); json.dump(m, open(sys.argv[1],"w"), indent=3, sort_keys=True)' "$dir/$key.json"
cmp -s "$dir/$key.json" "$T/manifest.orig" && fail "the manifest did not change"
refused d "unsigned (no $hh/$key."
cp "$sig" "$dir/$key.$(sha256sum "$dir/$key.json" | cut -d' ' -f1).sig"
refused e "bad signature"
cp "$T/manifest.orig" "$dir/$key.json"

# An unsigned entry.
export VENVCACHE_REMOTE=$NGINX_URL/unsigned
(unset VENVCACHE_VERIFY_KEY
 export VENVCACHE_CACHE_DIR=$T/a/store VENVCACHE_VENV_ROOT=$VC_SHM/a
 expect 0 save -e demo
 err_has "uploaded") || exit 1
ls "$T/shared/unsigned/$hh/" | grep -q '\.sig$' && fail "an upload without signing key wrote a signature"
refused f "unsigned (no $hh/$key."

# Ed25519 (remote keygen): the jobs that verify hold only the public key.
# The signature checks with the cryptography package (moto's venv); a
# verifier refuses an entry under another public key, and the HMAC entry
# above; the private key given as the verify key verifies nothing.
expect 0 remote keygen
grep -qx 'VENVCACHE_SIGNING_KEY=ed25519:[0-9a-f]\{64\}' "$T/out" || fail "keygen: $(cat "$T/out")"
grep -qx 'VENVCACHE_VERIFY_KEY=ed25519:[0-9a-f]\{64\}' "$T/out" || fail "keygen: $(cat "$T/out")"
esk=$(sed -n 's/^VENVCACHE_SIGNING_KEY=//p' "$T/out")
evk=$(sed -n 's/^VENVCACHE_VERIFY_KEY=//p' "$T/out")
expect 0 remote keygen
other_vk=$(sed -n 's/^VENVCACHE_VERIFY_KEY=//p' "$T/out")
[ "$other_vk" != "$evk" ] || fail "keygen made the same key twice"
export VENVCACHE_REMOTE=$NGINX_URL/ed
(export VENVCACHE_CACHE_DIR=$T/a/store VENVCACHE_VENV_ROOT=$VC_SHM/a VENVCACHE_SIGNING_KEY=$esk
 unset VENVCACHE_VERIFY_KEY
 expect 0 save -e demo
 err_has "uploaded"
 err_lacks "${esk#ed25519:}") || exit 1
edir=$T/shared/ed/$hh
esig=$edir/$key.$(sha256sum "$edir/$key.json" | cut -d' ' -f1).sig
[ -f "$esig" ] || fail "no Ed25519 signature: $(ls "$edir")"
grep -qx 'ed25519 [0-9a-f]\{128\}' "$esig" || fail "not an Ed25519 signature: $(cat "$esig")"
"$MOTO/bin/python" - "$evk" "$edir/$key.json" "$esig" <<'PY' || fail "the cryptography package does not verify the Ed25519 signature"
import json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(sys.argv[1].split(":", 1)[1]))
manifest = open(sys.argv[2], "rb").read()
sig = bytes.fromhex(open(sys.argv[3]).read().split()[1])
pub.verify(sig, b"venvcache-entry-v1\n" + json.loads(manifest)["checksum"].encode() + b"\n" + manifest)
PY
export VENVCACHE_VERIFY_KEY=$evk
export VENVCACHE_CACHE_DIR=$T/h/store VENVCACHE_VENV_ROOT=$VC_SHM/h
expect 0 restore -e demo
[ "$(stat_of remote_hits)" = 1 ] || fail "ed25519: remote_hits is $(stat_of remote_hits)"
VENVCACHE_VERIFY_KEY=$other_vk refused i "bad signature"
VENVCACHE_VERIFY_KEY=$esk refused j "bad signature"
VENVCACHE_REMOTE=$NGINX_URL/signed refused k "bad signature"
export VENVCACHE_CACHE_DIR=$T/l/store VENVCACHE_VENV_ROOT=$VC_SHM/l
VENVCACHE_VERIFY_KEY=ed25519:abc expect 3 restore -e demo
err_has "VENVCACHE_VERIFY_KEY: 'ed25519:' must be followed by 64 hex digits"

# A key under 16 bytes: no remote is used, said; no request is made.
export VENVCACHE_REMOTE=$NGINX_URL/signed VENVCACHE_VERIFY_KEY=short-key
export VENVCACHE_CACHE_DIR=$T/g/store VENVCACHE_VENV_ROOT=$VC_SHM/g
reqs=$(wc -l <"$log")
expect 3 restore -e demo
err_has "VENVCACHE_VERIFY_KEY: shorter than 16 bytes"
err_lacks "short-key"
[ "$(wc -l <"$log")" = "$reqs" ] || fail "a remote was asked with a short verify key"
expect 0 config
out_lacks "$sk"
out_lacks "short-key"
