#!/usr/bin/env bash
# Usage errors exit 2 with one clear line; help and version exit 0.
. "$(dirname "$0")/lib.sh"

expect 0 --version
grep -Eq '^venvcache [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || fail "bad --version: $(cat "$T/out")"

expect 0 --help
out_has "commands:"
expect 2
err_has "usage: venvcache"

expect 2 frobnicate
err_has "unknown command 'frobnicate'"

# No prefix matching of command names.
expect 2 conf
err_has "unknown command 'conf'"
# "Did you mean": a command, a long option, a help topic; none when far.
expect 2 wram
err_has "unknown command 'wram' (did you mean 'warm'?)"
expect 2 frobnicate
err_lacks "did you mean"
expect 2 gc --max_size=1G
err_has "unknown option '--max_size=1G' (did you mean '--max-size'?)"
expect 2 help lsit
err_has "unknown command 'lsit' (did you mean 'list'?)"

expect 2 config --no-such-flag
err_has "unknown option '--no-such-flag'"

expect 2 config --cache-dir
err_has "missing argument"

expect 2 config extra-arg
err_has "unexpected argument 'extra-arg'"

# Every command has -h and help COMMAND, and the man page lists them all.
expect 0 help --man
cp "$T/out" "$T/man"
for cmd in $(vc --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/commands:/ {print $1}'); do
    expect 0 "$cmd" -h
    out_has "usage: venvcache $cmd"
    expect 0 help "$cmd"
    out_has "usage: venvcache $cmd"
    grep -q "^\.SS \"$cmd\"" "$T/man" || fail "man page lacks $cmd"
done

# The shipped man page is the one the binary generates.
if [ -f "$VC_SRC/docs/venvcache.1" ]; then
    diff -u "$VC_SRC/docs/venvcache.1" "$T/man" >&2 ||
        fail "docs/venvcache.1 is stale: regenerate with 'venvcache help --man'"
fi
echo "ok"
