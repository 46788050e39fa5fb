#!/usr/bin/env bash
# remote faults: tests/remote-faults.py serves an entry uploaded by machine
# A and answers its archive with a fault. Every case ends with a working
# venv, the right counters and no corrupt local entry:
#  - 500, 503, 429, reset, truncated body, Content-Length over the body,
#    a stalled body, once: retried, then a remote hit;
#  - 503 every time: retried remote-retries times, the remote is off for
#    the run with one warning, the venv is created;
#  - a corrupt body or one cut by a short Content-Length: refused by the
#    store's verify, counted as remote_rejected, nothing kept locally.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-remote.sh"

mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env demo]
deps = vc-alpha==1.1
INI
export VENVCACHE_REMOTE_CONNECT_TIMEOUT=2s VENVCACHE_REMOTE_TIMEOUT=2s
export VENVCACHE_REMOTE_RETRIES=2

# Machine A fills the remote.
faults_start none
export VENVCACHE_REMOTE=$FAULTS_URL/r
export VENVCACHE_CACHE_DIR=$T/a/store VENVCACHE_VENV_ROOT=$VC_SHM/a
expect 0 warm -e demo
[ "$(stat_of remote_uploads)" = 1 ] || fail "machine A did not upload"
faults_stop

n=0
machine() { # a fresh machine: store and venv root
    n=$((n + 1))
    export VENVCACHE_CACHE_DIR=$T/m$n/store VENVCACHE_VENV_ROOT=$VC_SHM/m$n
    venv=$VC_SHM/m$n/demo
}
works() {
    [ "$("$venv/bin/vc-alpha" 2>&1)" = "vc-alpha 1.1" ] || fail "$1: the venv does not work"
    expect 0 verify
    err_has "0 bad"
}

# Faults once: the retry gets the entry.
for f in 500 503 429 reset truncate long-length slow; do
    faults_start "$f" 1
    export VENVCACHE_REMOTE=$FAULTS_URL/r
    machine
    expect 0 warm -e demo
    err_has "demo: hit"
    err_lacks "warning"
    works "$f once"
    [ "$(stat_of remote_hits)" = 1 ] || fail "$f once: remote_hits $(stat_of remote_hits)"
    [ "$(stat_of remote_errors)" = 0 ] || fail "$f once: remote_errors $(stat_of remote_errors)"
    [ "$(grep -c "^GET /r/.*\.tar\.zst " "$T/faults.log")" = 2 ] || fail "$f once: expected 2 GETs of the archive: $(cat "$T/faults.log")"
    faults_stop
    rm -f "$T/faults.log"
done

# 503 every time: 3 tries, off for the run, one warning, a miss.
faults_start 503 0
export VENVCACHE_REMOTE=$FAULTS_URL/r
machine
expect 3 restore -e demo
[ "$(grep -c 'not used for the rest of this run' "$T/err")" = 1 ] || fail "503: expected one warning"
err_has "HTTP 503 after 3 tries"
[ "$(stat_of remote_errors)" = 1 ] || fail "503: remote_errors $(stat_of remote_errors)"
[ "$(stat_of remote_hits)" = 0 ] || fail "503: remote_hits $(stat_of remote_hits)"
[ "$(grep -c "^GET /r/.*\.tar\.zst " "$T/faults.log")" = 3 ] || fail "503: expected 3 GETs of the archive"
faults_stop
rm -f "$T/faults.log"

# Corrupt and cut bodies: refused by verify, counted, nothing kept.
for f in short-length corrupt; do
    faults_start "$f" 0
    export VENVCACHE_REMOTE=$FAULTS_URL/r
    machine
    expect 3 restore -e demo
    err_has "entry refused"
    [ "$(stat_of remote_rejected)" = 1 ] || fail "$f: remote_rejected $(stat_of remote_rejected)"
    [ -z "$(ls "$VENVCACHE_CACHE_DIR/entries")" ] || fail "$f: a local entry was kept"
    [ -z "$(ls "$VENVCACHE_CACHE_DIR/tmp")" ] || fail "$f: a temporary file was left"
    [ "$f" = corrupt ] || faults_stop
done
# warm with the corrupt remote: refused again, then created, working.
expect 0 warm -e demo
err_has "entry refused"
err_has "demo: created"
works "corrupt, then created"
[ "$(stat_of remote_rejected)" = 2 ] || fail "corrupt: remote_rejected $(stat_of remote_rejected)"
