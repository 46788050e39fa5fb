#!/usr/bin/env bash
# remote (http) against Apache's mod_dav, the other WebDAV server people
# run: two machines (two local stores and venv roots) share an entry
# through it. Apache answers a PUT under a missing collection with 409
# (nginx's create_full_put_path makes them itself): venvcache makes them
# with MKCOL, the nearest first, and puts again; the archive's PUT waits
# for 100 Continue, so the refused one cost no upload. A miss is a 404 to HEAD
# and GET; PUT is 201. The second machine's warm, with the mirror
# stopped, is a remote hit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-remote.sh"

demo_config vc-beta==1.0 vc-alpha==1.1
apache_start dav
log=$T/apache-dav/access.log
export VENVCACHE_REMOTE_CONNECT_TIMEOUT=2s VENVCACHE_REMOTE_TIMEOUT=5s

# Machine A: a miss, created, uploaded under two collections that do not
# exist yet (fleet/, fleet/venvs/) and the entry's own (fleet/venvs/HH/).
export VENVCACHE_REMOTE="$APACHE_URL/fleet/venvs"
export VENVCACHE_CACHE_DIR=$T/a/store VENVCACHE_VENV_ROOT=$VC_SHM/a
expect 0 warm -e demo
err_has "demo: created"
err_has "uploaded"
err_lacks "warning"
[ "$(stat_of remote_uploads)" = 1 ] || fail "remote_uploads is $(stat_of remote_uploads)"
[ "$(stat_of remote_misses)" = 1 ] || fail "remote_misses is $(stat_of remote_misses)"
[ "$(stat_of remote_errors)" = 0 ] || fail "remote_errors is $(stat_of remote_errors)"
key=$(vc key -e demo)
hh=${key##*-}; hh=${hh:0:2}
dir=$T/dav/fleet/venvs/$hh
cmp <(python3 -m json.tool "$dir/$key.json") \
    <(python3 -m json.tool "$T/a/store/entries/$key.json") || fail "remote manifest differs from the local one"
archive=$(cd "$dir" && ls "$key".*.tar.zst) || fail "no archive next to the manifest: $(find "$T/dav")"
grep -q "^HEAD /fleet/venvs/$hh/$key.json 404 " "$log" || fail "no HEAD 404 of the manifest: $(cat "$log")"
# The refused PUT sent its headers only (Expect: 100-continue), not the
# archive of $(stat -c %s "$dir/$archive") bytes.
refused=$(sed -n "s|^PUT /fleet/venvs/$hh/$archive 409 ||p" "$log")
[ -n "$refused" ] || fail "Apache did not answer 409 first: $(cat "$log")"
[ "$refused" -lt 4096 ] || fail "the PUT refused with 409 sent $refused bytes: the archive went for nothing"
[ "$(grep '^MKCOL .* 201 ' "$log" | cut -d' ' -f1-3)" = "MKCOL /fleet/ 201
MKCOL /fleet/venvs/ 201
MKCOL /fleet/venvs/$hh/ 201" ] || fail "expected MKCOL of fleet/, venvs/, $hh/: $(cat "$log")"
[ "$(grep -c '^PUT .* 201 ' "$log")" = 2 ] || fail "expected 2 PUTs 201 (archive, manifest): $(cat "$log")"

# Saving again uploads nothing: the manifest is there (HEAD 200).
puts=$(grep -c '^PUT ' "$log")
expect 0 save -e demo
[ "$(grep -c '^PUT ' "$log")" = "$puts" ] || fail "save rewrote the remote entry: $(tail -5 "$log")"

# Machine B, mirror stopped: a remote hit.
mirror_stop
export VENVCACHE_CACHE_DIR=$T/b/store VENVCACHE_VENV_ROOT=$VC_SHM/b
gets=$(grep -c '^GET .* 200 ' "$log" || true)
expect 0 warm -e demo
err_has "demo: hit"
err_has "downloaded"
venv=$VC_SHM/b/demo
[ "$("$venv/bin/vc-beta")" = "vc-beta 1.0 (vc-alpha 1.1)" ] || fail "remote hit's console script broken"
py_venv_check "$venv" vc_alpha vc_beta
[ "$(stat_of remote_hits)" = 1 ] || fail "remote_hits is $(stat_of remote_hits)"
[ "$(stat_of creations)" = 0 ] || fail "machine B created"
[ "$(grep -c '^GET .* 200 ' "$log")" = $((gets + 2)) ] || fail "expected 2 GETs 200 (manifest, archive): $(tail -5 "$log")"
expect 0 verify
cmp "$dir/$archive" "$T/b/store/entries/$key.tar.zst" || fail "downloaded archive differs"

# remote check under collections that do not exist: reachable (404),
# writable (MKCOL, then PUT).
export VENVCACHE_REMOTE="$APACHE_URL/probe/here"
expect 0 remote check
out_has "$APACHE_URL/probe/here reachable: yes (HTTP 404)"
out_has "$APACHE_URL/probe/here write: ok"
[ -f "$T/dav/probe/here/venvcache-probe.txt" ] || fail "no probe object written: $(find "$T/dav")"
