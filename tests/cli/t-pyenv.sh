#!/usr/bin/env bash
# A pyenv shim on PATH (python3 -> bash -> pyenv exec) is resolved the way
# pyenv resolves it, so its probe is cached and a key starts no program;
# when the shim's choice is not one plain version, it is probed each time.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || fail "strace is needed (scripts/bootstrap.sh installs it)"
export VENVCACHE_RESOLVE=never
PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')

root=$T/pyenv
mkdir -p "$root/shims" "$root/versions/9.9/bin" "$root/versions/8.8/bin"
cat >"$root/shims/python3" <<SH
#!/usr/bin/env bash
# a stand-in for a pyenv shim: exec "\$(pyenv root)/libexec/pyenv" exec ...
exec "$PY" "\$@"
SH
chmod +x "$root/shims/python3"
ln -s "$PY" "$root/versions/9.9/bin/python3"
ln -s "$PY" "$root/versions/8.8/bin/python3"
echo 9.9 >"$root/version"
export PATH=$root/shims:$PATH
unset PYENV_VERSION
printf 'vc-alpha==1.1\n' >r.txt

execs() {
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -f -qq -e trace=execve -o "$T/trace" "$VENVCACHE_BIN" "$@" >"$T/out" 2>"$T/err" ||
        fail "venvcache $* failed: $(cat "$T/err")"
    grep -c execve "$T/trace"
}
expect 0 key -r r.txt --explain
err_has "python3 -> $PY"
[ "$(execs key -r r.txt)" = 1 ] || fail "a key through the shim started a program: $(cat "$T/trace")"

# .python-version in the directory (or a parent) wins over the global file.
mkdir -p proj/sub
echo 8.8 >proj/.python-version
(cd proj/sub && "$VENVCACHE_BIN" -vv key -r ../../r.txt) 2>"$T/err" >/dev/null
grep -q "pyenv shim for '$root/versions/8.8/bin/python3'" "$T/err" || fail "not 8.8: $(cat "$T/err")"
# PYENV_VERSION wins over both.
PYENV_VERSION=9.9 "$VENVCACHE_BIN" -vv key -r r.txt 2>"$T/err" >/dev/null
grep -q "versions/9.9/bin/python3'" "$T/err" || fail "PYENV_VERSION ignored: $(cat "$T/err")"

# "system" (or several versions): the shim itself is probed, every time.
n=$(PYENV_VERSION=system execs key -r r.txt)
[ "$n" -gt 1 ] || fail "a 'system' shim was not probed"

# A shim for a command no selected version has exits 127 with what is
# wrong on its first line (tracebacks end with theirs): that line is shown.
cat >"$root/shims/python3.99" <<'SH'
#!/usr/bin/env bash
echo "pyenv: python3.99: command not found" >&2
echo >&2
echo "The \`python3.99' command exists in these Python versions:" >&2
echo "  3.99.0" >&2
echo >&2
echo "Note: See 'pyenv help global' for tips on allowing both" >&2
echo "      Python 2 and Python 3 to be found at the same time." >&2
exit 127
SH
chmod +x "$root/shims/python3.99"
expect 1 key -r r.txt -p python3.99
err_has "(exit status 127): pyenv: python3.99: command not found"
err_one_line
echo "ok"
