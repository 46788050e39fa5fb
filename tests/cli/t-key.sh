#!/usr/bin/env bash
# venvcache key: one key per env on stdout and nothing else; --explain and
# --format json; equivalent inputs agree, real changes differ; every error
# path exits 1 (2 for usage) with a one-line message naming file:line.
. "$(dirname "$0")/lib.sh"
# These cases are about the declared set's canonical form: no resolution
# (t-resolve covers keys of resolved sets).
export VENVCACHE_RESOLVE=never

# The interpreter's real path: python3 on PATH may be a pyenv shim.
PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
KEY_RE='^venv-cp3[0-9]+-linux_[a-z0-9_]+-[0-9a-f]{32}$'
# The -r env's name: the project's directory and a hash of its path.
ADHOC=$(basename "$T" | tr -c 'A-Za-z0-9._+\n-' _)

# key_of ARGS...: the key printed for ARGS (which must succeed).
key_of() {
    expect 0 key -p "$PY" "$@"
    [ "$(wc -l <"$T/out")" -eq 1 ] || fail "key printed $(wc -l <"$T/out") lines"
    cat "$T/out"
}

# stdout is the key and nothing else; stderr is empty.
printf 'requests==2.31.0\nZope_Interface>=5\n' >r.txt
expect 0 key -r r.txt -p "$PY"
grep -Eq "$KEY_RE" "$T/out" || fail "not a key: $(cat "$T/out")"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "stdout is not one line"
[ ! -s "$T/err" ] || fail "stderr is not empty: $(cat "$T/err")"
k1=$(cat "$T/out")

# The probe is cached: the second run starts no Python.
ls "$VENVCACHE_CACHE_DIR"/probe/*.json >/dev/null || fail "no probe cache"
expect 0 key -r r.txt -p "$PY" --format json
ADHOC=$ADHOC python3 - "$T/out" <<'EOF' || fail "json: $(head -c 600 "$T/out")"
import json, sys
envs = json.load(open(sys.argv[1]))
assert len(envs) == 1, envs
e = envs[0]
import os, re
assert re.fullmatch(re.escape(os.environ["ADHOC"]) + "-[0-9a-f]{8}", e["env"]), e["env"]
assert e["key"].endswith(e["hash"])
assert e["python"]["probe_cached"] is True, e["python"]
assert e["requirements"] == ["requests==2.31.0", "zope-interface>=5"], e
assert e["restore_keys"] == [e["key"][:-32]], e["restore_keys"]
assert e["document"].startswith("format 2\nimpl "), e["document"]
EOF
if command -v strace >/dev/null; then
    # LeakSanitizer cannot run under ptrace: no leak check for this run.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -f -qq -e trace=execve -o "$T/trace" "$VENVCACHE_BIN" key -r r.txt -p "$PY" >/dev/null
    [ "$(grep -c execve "$T/trace")" -eq 1 ] || fail "a cached key started a program: $(cat "$T/trace")"
else
    note "strace missing: the JSON's probe_cached stands for it"
fi

# --explain: every component on stderr; stdout unchanged.
expect 0 key -r r.txt -p "$PY" --explain
[ "$(cat "$T/out")" = "$k1" ] || fail "--explain changed stdout"
err_has "restore keys"
err_has "probe cached"
err_has "hashed document (format 2, XXH3-128 ${k1: -32})"
err_has "    requirement zope-interface>=5"
err_has "    executable $PY"

# Equivalent inputs give the same key.
printf '# pins\n\nzope.interface >= 5  # why\nrequests == 2.31.0\nrequests==2.31.0\n' >same.txt
[ "$(key_of -r same.txt)" = "$k1" ] || fail "equivalent file, other key"
printf -- '-i https://pypi.corp/simple\n--trusted-host pypi.corp\n-e .\nrequests==2.31.0 \\\n  \nZOPE_interface>=5\n' >same2.txt
[ "$(key_of -r same2.txt)" = "$k1" ] || fail "index options or -e . changed the key"
[ "$(key_of -r r.txt --index-url https://other/simple)" = "$k1" ] || fail "--index-url changed the key"
mkdir -p elsewhere
(cd elsewhere && "$VENVCACHE_BIN" key -r ../r.txt -p "$PY") >"$T/out2"
[ "$(cat "$T/out2")" = "$k1" ] || fail "the key depends on the current directory"

# Real changes give another key.
printf 'requests==2.31.1\nZope_Interface>=5\n' >pin.txt
[ "$(key_of -r pin.txt)" != "$k1" ] || fail "a pin did not change the key"
printf -- '--pre\nrequests==2.31.0\nZope_Interface>=5\n' >pre.txt
[ "$(key_of -r pre.txt)" != "$k1" ] || fail "--pre did not change the key"
printf -- '-r inc.txt\n' >top.txt
printf 'attrs==23.1.0\n' >inc.txt
k2=$(key_of -r top.txt)
printf 'attrs==23.2.0\n' >inc.txt
[ "$(key_of -r top.txt)" != "$k2" ] || fail "an included line did not change the key"
# Identical sets share one entry whatever their names.
[ "$(key_of -r r.txt --name other)" = "$k1" ] || fail "the env name changed the key"
if [ -x /usr/bin/python3 ] && [ "$(readlink -f /usr/bin/python3)" != "$PY" ]; then
    expect 0 key -r r.txt -p /usr/bin/python3
    [ "$(cat "$T/out")" != "$k1" ] || fail "another interpreter, same key"
fi

# Several environments: one line each, in order; -e picks one.
cat >venvcache.ini <<INI
[venvcache]
key-prefix = ci

[env b-env]
python = $PY
requirements = r.txt

[env a-env]
python = $PY
deps = attrs==23.1.0
    pytest>=7 ; python_version >= "3.8"
INI
expect 0 key
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "two envs, $(wc -l <"$T/out") lines"
cp "$T/out" "$T/both"
head -1 "$T/both" | grep -q '^ci-cp3' || fail "first line: $(head -1 "$T/both")"
[ "$(head -1 "$T/both")" = "$(key_of -e b-env)" ] || fail "first line is not b-env's"
[ "$(tail -1 "$T/both")" = "$(key_of -e a-env)" ] || fail "second line is not a-env's"
expect 0 key -e a-env --format json
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert [x["env"] for x in e] == ["a-env"]; assert e[0]["requirements"][1] == "pytest>=7; python_version >= \"3.8\"", e' "$T/out" ||
    fail "json of -e a-env: $(cat "$T/out")"

# Credentials never reach stdout or stderr.
export VC_T_SECRET=hunter2hunter2
printf 'foo @ https://user:${VC_T_SECRET}@example.invalid/foo.tar.gz\n--index-url https://u:${VC_T_SECRET}@pypi.corp/simple\n' >cred.txt
expect 0 key -c /dev/null -r cred.txt -p "$PY" --explain
out_lacks hunter2
err_lacks hunter2
err_has "https://***@example.invalid/foo.tar.gz"
expect 0 key -c /dev/null -r cred.txt -p "$PY" --format json
out_lacks hunter2

# Errors: exit 1, one line, the file and line named.
expect 1 key -c /dev/null -r missing.txt -p "$PY"
err_has "venvcache: key: cannot open 'missing.txt': No such file or directory"
err_one_line
out_lacks venv
printf 'requests\n\n# c\nfoo>=\n' >bad.txt
expect 1 key -c /dev/null -r bad.txt -p "$PY"
err_has "venvcache: key: bad.txt:4: invalid requirement 'foo>=': expected end or semicolon"
err_one_line
[ ! -s "$T/out" ] || fail "a failed key printed something"
printf 'ok\n-r b.txt\n' >a.txt
printf '\n-r a.txt\n' >b.txt
expect 1 key -c /dev/null -r a.txt -p "$PY"
err_has "venvcache: key: b.txt:2: include cycle: a.txt -> b.txt -> a.txt"
err_one_line
printf 'x\n-r nope.txt\n' >inc-missing.txt
expect 1 key -c /dev/null -r inc-missing.txt -p "$PY"
err_has "inc-missing.txt:2: cannot open 'nope.txt': No such file or directory"
printf 'x --frobnicate\n' >opt.txt
expect 1 key -c /dev/null -r opt.txt -p "$PY"
err_has "opt.txt:1: no such option: --frobnicate"
expect 1 key -c /dev/null -r r.txt -p no-such-python-vc
err_has "venvcache: key: env $ADHOC-"
err_has ": cannot find 'no-such-python-vc' on PATH"
err_one_line
expect 1 key -c /dev/null -r r.txt -p /bin/true
err_has "'/bin/true' is not a working Python"
err_one_line
printf '#!/bin/sh\necho "Traceback: not python" >&2\nexit 1\n' >notpy
chmod +x notpy
expect 1 key -c /dev/null -r r.txt -p ./notpy
err_has "'./notpy' is not a working Python (exit status 1): Traceback: not python"
cat >deps.ini <<INI
[env d]
python = $PY
deps = attrs
    pytest>=
INI
expect 1 -c deps.ini key
err_has "venvcache: key: deps.ini:4: invalid requirement 'pytest>='"
err_one_line

# Usage errors: exit 2.
expect 2 key -e no-such-env
err_has "unknown environment 'no-such-env'"
expect 2 key -c /dev/null -r r.txt -p "$PY" --format yaml
err_has "--format takes plain or json, not 'yaml'"
expect 2 key --frob
expect 2 key -c /dev/null -p "$PY"
err_has "no environment selected"
expect 0 key -h
out_has "--explain"

# --- the offline key of an env with a project under test --------------------
# Dynamic dependencies need pip and an index: the entry key fails with the
# index down, the offline key (actions/cache's) does not, and it follows the
# content of the project's files and the extras.
mkdir -p proj
cd proj
printf '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "p"\nversion = "1"\ndynamic = ["dependencies"]\n' >pyproject.toml
printf -- '-e .\n' >req.txt
export VENVCACHE_INDEX_URL=http://127.0.0.1:9/simple
expect 1 key -r req.txt
err_has "the project under test"
expect 0 key -r req.txt --offline --explain
k1=$(cat "$T/out")
err_has "project-file pyproject.toml "
err_has "project-file setup.py absent"
expect 0 key -r req.txt --offline
[ "$(cat "$T/out")" = "$k1" ] || fail "the offline key of a project is not stable"
echo '# an edit' >>pyproject.toml
expect 0 key -r req.txt --offline
k2=$(cat "$T/out")
[ "$k2" != "$k1" ] || fail "an edited pyproject.toml kept the offline key"
: >setup.cfg
expect 0 key -r req.txt --offline
k3=$(cat "$T/out")
[ "$k3" != "$k2" ] || fail "a new setup.cfg kept the offline key"
printf -- '-e .[x]\n' >req.txt
expect 0 key -r req.txt --offline
[ "$(cat "$T/out")" != "$k3" ] || fail "an extra kept the offline key"
unset VENVCACHE_INDEX_URL
cd "$T"
echo "ok"
