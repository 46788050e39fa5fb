#!/usr/bin/env bash
# Bad input everywhere (environment, command line, config, requirement
# files, the store): a one-line error, exit 1 (2 for usage), never a crash.
. "$(dirname "$0")/lib.sh"

# check STATUS ARGS...: the status, one line on stderr, no signal.
check() {
    local want=$1
    shift
    run "$@"
    [ "$rc" -lt 128 ] || fail "'venvcache $*' crashed (status $rc)"
    [ "$rc" -eq "$want" ] || fail "'venvcache $*' exited $rc, expected $want: $(cat "$T/err")"
    err_one_line
}
printf 'vc-alpha==1.1\n' >ok.txt

# Environment variables.
VENVCACHE_JOBS=lots check 1 key -r ok.txt
err_has "VENVCACHE_JOBS"
VENVCACHE_MOUNT=maybe check 1 warm -r ok.txt
err_has "VENVCACHE_MOUNT"
VENVCACHE_COMPRESSION_LEVEL=99 check 1 save -r ok.txt
VENVCACHE_CACHE_DIR= check 1 list
VENVCACHE_RESOLVE_TTL=soon check 1 key -r ok.txt
VENVCACHE_KEY_PREFIX='a b' check 1 key -r ok.txt
VENVCACHE_INDEX_URL='http://x y' check 1 config

# The command line.
check 2 warm -j -1 -r ok.txt
check 2 key --format xml -r ok.txt
check 2 key -e nope
check 2 run -r ok.txt -e nope -- true
check 2 gc --max-size huge
check 2 lock -o out.txt -a -r ok.txt -e x
check 2 key --name 'bad/name' -r ok.txt

# Config files.
head -c 3000 /dev/urandom | tr -d '\000' >garbage.ini
run -c garbage.ini config
[ "$rc" -eq 1 ] || fail "garbage config: status $rc"
printf '[env a]\ndeps = vc-alpha==1.1 ; os_name == \n' >m.ini
check 1 -c m.ini key -e a
err_has "m.ini:2"

# Requirement files.
head -c 3000 /dev/urandom | tr -d '\000' | tr '\n' ' ' >garbage.txt
run key -r garbage.txt
[ "$rc" -lt 128 ] || fail "garbage requirements crashed"
printf '%s\n' "$(head -c 100000 /dev/zero | tr '\0' a)==1" >long.txt
run key -r long.txt
[ "$rc" -lt 128 ] || fail "a 100 kB line crashed"
printf -- '-r b.txt\n' >a.txt
printf -- '-r a.txt\n' >b.txt
check 1 key -r a.txt
err_has "a.txt -> b.txt -> a.txt"

# A store with garbage in it: reported, never a crash.
mkdir -p "$VENVCACHE_CACHE_DIR/entries"
head -c 500 /dev/urandom >"$VENVCACHE_CACHE_DIR/entries/venv-x-cp311-linux_x86_64-0123456789abcdef0123456789abcdef.json"
run list
[ "$rc" -lt 128 ] || fail "list crashed on a garbage manifest"
run verify
[ "$rc" -eq 1 ] || fail "verify of a garbage manifest: status $rc"
run gc
[ "$rc" -lt 128 ] || fail "gc crashed on a garbage manifest"

# An env's python, requirements and constraints that do not work: the
# error names the config's file and line.
mkdir -p "$T/envs" && cd "$T/envs"
printf '[env py]\npython = python9.9\ndeps = vc-alpha==1.0\n\n[env r]\nrequirements = nope.txt\n\n[env c]\ndeps = vc-alpha==1.0\nconstraints = c.txt\n' >venvcache.ini
expect 1 key -e py
err_has "venvcache.ini:2: [env py] python: cannot find 'python9.9'"
err_one_line
expect 1 key -e r
err_has "venvcache.ini:6: [env r] requirements: cannot read './nope.txt'"
expect 1 key -e c
err_has "venvcache.ini:10: [env c] constraints: cannot read './c.txt'"
printf '[venvcache]\npython = python9.8\n' >p.ini
expect 1 -c p.ini key -r /dev/null --name adhoc
err_has "p.ini:2: python (env adhoc): cannot find 'python9.8'"
cd "$T"
echo "ok"
