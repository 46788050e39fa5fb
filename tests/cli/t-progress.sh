#!/usr/bin/env bash
# Progress of several envs on a terminal (through a pseudo-terminal,
# script(1)): a live line per running env with its phase, redrawn in place,
# then a table of what each did; colour for hit/failed words on a terminal
# (--color, NO_COLOR); on a pipe, under CI=true and GitHub Actions the
# plain lines of before, without escape codes.
. "$(dirname "$0")/lib.sh"

[ -x "$VC_UV" ] || fail "no uv at '$VC_UV': run scripts/bootstrap.sh"
mirror_start
# uv makes each venv in well under a second: the case stays short.
cat >venvcache.ini <<INI
[venvcache]
uv = $VC_UV
installer = uv
creator = uv
seed = no

[mirror]
index-url = $MIRROR_URL

[env a]
deps = vc-alpha==1.1

[env b]
deps = vc-beta==1.0

[env c]
deps = vc-alpha==1.1
    vc-does-not-exist==9.9
INI

# tty CMD...: runs venvcache on a pseudo-terminal; its output (stdout and
# stderr, as the terminal shows them) in $T/tty, its exit status in $rc.
tty() {
    local cmd="$VENVCACHE_BIN" a
    for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
    rc=0
    script -qec "$cmd" /dev/null >"$T/tty" 2>&1 </dev/null || rc=$?
}
tty_has() { grep -qF -- "$1" "$T/tty" || fail "terminal lacks '$1': $(cat -v "$T/tty" | tail -c 3000)"; }
sgr=$'\033\\[[0-9;]*m'

# Three misses, one failing, two at a time: the live block names each
# env's phase (every phase is drawn as it starts), is redrawn in place
# (cursor up, erase down) and gives way to the table.
tty warm -a -j 2
[ "$rc" = 1 ] || fail "warm -a on a terminal exited $rc: $(cat -v "$T/tty")"
for phase in creating installing packing; do tty_has "  a  $phase"; done
tty_has $'\r\033[3A\033[J'
tty_has "2 of 3 done"
grep -Eq '^a    created +[0-9]+\.[0-9]{2} s  [0-9.]+ (KiB|MiB)' "$T/tty" || fail "no table row for a: $(cat -v "$T/tty")"
# ... in colour on a terminal: failed in red.
grep -Eq $'^c    \033\\[1;31mfailed\033\\[0m +[0-9]+\\.[0-9]{2} s  -' "$T/tty" ||
    fail "no red table row for c: $(cat -v "$T/tty")"
tty_has $'environments \033[1;31mfailed\033[0m: c'

tty_has "env  result"
tty_has "vc-does-not-exist"
tty_has "a: created in"
# The table comes after the last live block, and nothing is drawn after it.
tail -n 7 "$T/tty" | grep -q 'env  result' || fail "table not at the end: $(cat -v "$T/tty" | tail -n 8)"
! tail -n 6 "$T/tty" | grep -q $'\033\\[[0-9]*A' || fail "drawn after the table"

# A hit, restored: one at a time (-j 1) on a terminal is live too.
rm -rf "$VENVCACHE_VENV_ROOT/a" "$VENVCACHE_VENV_ROOT/b"
tty warm -e a -e b -j 1
[ "$rc" = 0 ] || fail "warm of two hits exited $rc: $(cat -v "$T/tty")"
tty_has "  a  restoring"
tty_has "  b  restoring"
tty_has $'a: \033[32mhit\033[0m in'
grep -Eq $'^a    \033\\[32mhit\033\\[0m +[0-9]+\\.[0-9]{2} s  [0-9.]+ KiB' "$T/tty" ||
    fail "no green hit row: $(cat -v "$T/tty")"

# Not a terminal: the lines of before, no escape code, no table.
rm -rf "$VENVCACHE_VENV_ROOT/a"
expect 1 warm -a -j 2
err_has "a: hit in"
err_has "1 of 3 environments failed: c"
! grep -q $'\033' "$T/err" || fail "escape codes on a pipe: $(cat -v "$T/err")"
err_lacks "env  result"
err_lacks "running"

# A CI log on a terminal (CI=true): a line per step, nothing redrawn.
rm -rf "$VENVCACHE_VENV_ROOT/a"
CI=true tty warm -e a -e b
[ "$rc" = 0 ] || fail "CI=true warm exited $rc: $(cat -v "$T/tty")"
tty_has "a: restoring"
tty_has "b: present"
! grep -q $'\033' "$T/tty" || fail "escape codes under CI=true: $(cat -v "$T/tty")"
# GitHub Actions: its group, its lines, no live block nor table.
rm -rf "$VENVCACHE_VENV_ROOT/a"
GITHUB_ACTIONS=true tty warm -e a -e b
[ "$rc" = 0 ] || fail "GITHUB_ACTIONS warm exited $rc: $(cat -v "$T/tty")"
tty_has "::group::venvcache warm: 2 environments"
tty_has "a: hit in"
! grep -q $'\033' "$T/tty" || fail "escape codes under GitHub Actions: $(cat -v "$T/tty")"

# Colour: NO_COLOR (set, not empty) and --color=never turn it off on a
# terminal; NO_COLOR= does not; --color=always puts it on a pipe too.
rm -rf "$VENVCACHE_VENV_ROOT/a"
NO_COLOR=1 tty warm -a -j 2
! grep -q $sgr "$T/tty" || fail "colour with NO_COLOR=1: $(cat -v "$T/tty")"
tty_has "  a  restoring" # still live
rm -rf "$VENVCACHE_VENV_ROOT/a"
tty --color=never warm -a -j 2
! grep -q $sgr "$T/tty" || fail "colour with --color=never: $(cat -v "$T/tty")"
tty_has "env  result"
rm -rf "$VENVCACHE_VENV_ROOT/a"
NO_COLOR= tty warm -a -j 2
grep -q $sgr "$T/tty" || fail "no colour with NO_COLOR empty: $(cat -v "$T/tty")"
rm -rf "$VENVCACHE_VENV_ROOT/a"
expect 1 --color=always warm -a -j 2
err_has $'a: \033[32mhit\033[0m in'
err_has $'environments \033[1;31mfailed\033[0m: c'
err_lacks "running"
expect 0 verify
out_has "ok "
! grep -q $'\033' "$T/out" || fail "verify: colour on a pipe"
expect 0 verify --color always
grep -q $'^\033\\[32mok\033\\[0m ' "$T/out" || fail "verify --color always: $(cat -v "$T/out")"
tty verify
grep -q $'^\033\\[32mok\033\\[0m ' "$T/tty" || fail "verify on a terminal: $(cat -v "$T/tty")"
expect 2 warm -a --color=sometimes
err_has "--color takes auto, always or never, not 'sometimes'"
echo "ok"
