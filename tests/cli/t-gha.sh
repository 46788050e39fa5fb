#!/usr/bin/env bash
# GitHub Actions: key --github-output read back the way the runner reads
# $GITHUB_OUTPUT, credentials masked before any other output, and errors as
# ::error:: annotations with file and line. No network: pinned sets only.
. "$(dirname "$0")/lib.sh"

# The runner's reader of $GITHUB_OUTPUT (actions/runner FileCommandManager.cs,
# EnvFileKeyValuePairs), on Linux: NAME=VALUE when '=' comes before any "<<",
# else NAME<<DELIM, the lines up to one equal to DELIM (which must end with a
# newline). Prints the outputs as JSON; exits 1 where the runner would throw.
cat >"$T/runner_outputs.py" <<'PY'
import json, sys

text = open(sys.argv[1], encoding="utf-8").read()
out, i, n = {}, 0, len(text)

def read_line():
    global i
    if i >= n:
        return None, False
    j = text.find("\n", i)
    if j < 0:
        line, i = text[i:], n
        return line, False
    line, i = text[i:j], j + 1
    return line, True

while True:
    line, _ = read_line()
    if line is None:
        break
    if line == "":
        continue
    eq, hd = line.find("="), line.find("<<")
    if eq >= 0 and (hd < 0 or eq < hd):
        name, value = line.split("=", 1)
    elif hd >= 0:
        name, delim = line.split("<<", 1)
        if not name or not delim:
            sys.exit("invalid format: " + line)
        start = end = i
        while True:
            t, nl = read_line()
            if t is None:
                sys.exit("matching delimiter not found: " + delim)
            if not nl:
                sys.exit("EOF marker missing new line")
            if t == delim:
                break
            end = i - 1
        value = text[start:end] if end > start else ""
    else:
        sys.exit("invalid format: " + line)
    out[name] = value
json.dump(out, sys.stdout)
PY
outputs() { python3 "$T/runner_outputs.py" "$1" >"$T/outputs.json" || fail "the runner would reject $1: $(cat "$1")"; }
output() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]], end="")' "$T/outputs.json" "$1"; }
sha256() { printf %s "$1" | sha256sum | cut -c1-64; }

printf 'attrs==23.1.0\n' >reqs.txt

# --- one env ---------------------------------------------------------------
export GITHUB_OUTPUT="$T/github_output"
: >"$GITHUB_OUTPUT"
expect 0 key -r reqs.txt --github-output
key=$(cat "$T/out")
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "stdout is not one key: $(cat "$T/out")"
outputs "$GITHUB_OUTPUT"
[ "$(output key)" = "$key" ] || fail "key output '$(output key)' is not the printed key '$key'"
grep -q '^restore-keys<<' "$GITHUB_OUTPUT" || fail "restore-keys is not multi-line syntax"
rk=$(output restore-keys)
# The stores saved under this offline key's save keys, then the newest of
# the same interpreter: never another interpreter's. Key format 2: no env
# name in the key.
[ "$rk" = "$key-
${key%-*}-" ] || fail "restore keys: '$rk'"
case "$key" in venv-cp*-*-????????????????????????????????) ;; *) fail "key shape: $key" ;; esac
# The -r env is named per project: the directory's name and a hash.
[ "$(output path)" = "$(vc path -r reqs.txt)" ] || fail "path output: '$(output path)'"
case "$(output path)" in "$VENVCACHE_VENV_ROOT/$(basename "$T")-"????????) ;;
*) fail "path output: '$(output path)'" ;; esac
[ "$(output cache-dir)" = "$T/store" ] || fail "cache-dir output: '$(output cache-dir)'"
[ "$(output cache-path)" = "$T/store" ] || fail "cache-path output: '$(output cache-path)'"
[ "$(output cache-version)" = "$(sha256 "$T/store|zstd-without-long|1.0")" ] ||
    fail "cache-version is not sha256('$T/store|zstd-without-long|1.0')"

# Appends, never truncates: what earlier steps wrote stays.
printf 'earlier=1\n' >"$GITHUB_OUTPUT"
expect 0 key -r reqs.txt --github-output
outputs "$GITHUB_OUTPUT"
[ "$(output earlier)" = 1 ] || fail "an earlier output was lost"
[ "$(output key)" = "$key" ] || fail "key differs on a second run"

# A relative cache-dir is given to actions/cache as an absolute path.
: >"$GITHUB_OUTPUT"
VENVCACHE_CACHE_DIR=rel/store expect 0 key -r reqs.txt --github-output
outputs "$GITHUB_OUTPUT"
[ "$(output cache-dir)" = "$T/rel/store" ] || fail "relative cache-dir: '$(output cache-dir)'"

# --- several envs: one key for the one cache-dir ---------------------------
cat >venvcache.ini <<'INI'
[env one]
python = python3
deps = attrs==23.1.0

[env two]
python = python3
deps = attrs==23.1.0
    six==1.16.0
INI
: >"$GITHUB_OUTPUT"
expect 0 key -e one -e two --github-output
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "stdout is not one key per env"
outputs "$GITHUB_OUTPUT"
k12=$(output key)
case "$k12" in venv-envs2-*) ;; *) fail "combined key '$k12'" ;; esac
[ ${#k12} -le 512 ] || fail "key longer than 512"
case "$k12" in *,*) fail "key has a comma" ;; esac
grep -q '^restore-keys<<' "$GITHUB_OUTPUT" || fail "one restore key is not in multi-line syntax"
[ "$(output restore-keys)" = "$k12-
${k12%-*}-" ] || fail "restore keys of a set: $(output restore-keys)"
[ "$(output path)" = "$VENVCACHE_VENV_ROOT/one
$VENVCACHE_VENV_ROOT/two" ] || fail "path of two envs: '$(output path)'"
# Selection order does not change the key; requirements do, not the restore key.
: >"$GITHUB_OUTPUT"
expect 0 key -e two -e one --github-output
outputs "$GITHUB_OUTPUT"
[ "$(output key)" = "$k12" ] || fail "key depends on the selection order"
rk12=$(output restore-keys)
sed -i 's/six==1.16.0/six==1.15.0/' venvcache.ini
: >"$GITHUB_OUTPUT"
expect 0 key -e one -e two --github-output
outputs "$GITHUB_OUTPUT"
[ "$(output key)" != "$k12" ] || fail "a changed pin kept the key"
[ "$(output restore-keys | tail -n 1)" = "$(printf '%s\n' "$rk12" | tail -n 1)" ] ||
    fail "a changed pin changed the last restore key"

# --- a matrix of two interpreters: no restore key reaches the other's store -
# actions/cache restores the newest entry whose key starts with a restore
# key. The store of each job is saved under "<key>-<hex>" (save-key): no
# restore key of the 3.12 job may be a prefix of the 3.11 job's key or save
# key, for one env and for several. Needs a second CPython minor version.
py_other=""
for c in python3.12 python3.13 python3.10 /root/.pyenv/versions/3.12*/bin/python3.12; do
    p=$(command -v "$c" 2>/dev/null) || continue
    [ "$("$p" -c 'import sys; print(sys.version_info[:2] != (3, 11) and sys.implementation.name)' 2>/dev/null)" = cpython ] &&
        py_other=$p && break
done
if [ -n "$py_other" ] && [ "$(python3 -c 'import sys; print(sys.version_info[:2] == (3, 11))')" = True ]; then
    declare -A mkey mrk
    for py in python3 "$py_other"; do
        : >"$GITHUB_OUTPUT"
        expect 0 key -p "$py" -e one -e two --github-output
        outputs "$GITHUB_OUTPUT"
        mkey[$py]=$(output key)
        mrk[$py]=$(output restore-keys)
        : >"$GITHUB_OUTPUT"
        expect 0 key -p "$py" -e one --github-output
        outputs "$GITHUB_OUTPUT"
        mkey[$py-one]=$(output key)
        mrk[$py-one]=$(output restore-keys)
    done
    for pair in "python3 $py_other" "$py_other python3"; do
        read -r a b <<<"$pair"
        for sfx in "" "-one"; do
            while IFS= read -r r; do
                case "${mkey[$a$sfx]}-0123456789abcdef0123456789abcdef" in
                "$r"*) fail "restore key '$r' ($b) reaches the store of $a: ${mkey[$a$sfx]}" ;;
                esac
            done <<<"${mrk[$b$sfx]}"
        done
    done
    [ "${mkey[python3-one]}" != "${mkey[$py_other-one]}" ] || fail "two interpreters, one key"
else
    note "no second CPython minor version beside 3.11: the two-interpreter case is not run"
fi
rm venvcache.ini

# --- no $GITHUB_OUTPUT -----------------------------------------------------
unset GITHUB_OUTPUT
expect 1 key -r reqs.txt --github-output
err_has "GITHUB_OUTPUT"
err_one_line

# --- masking: before anything else, on stderr, stdout left as data ---------
export VC_T_TOKEN='s3cr%t'
cat >venvcache.ini <<'INI'
[mirror]
index-url = https://alice:${VC_T_TOKEN}@127.0.0.1:9/simple
INI
GITHUB_ACTIONS=true expect 0 config
head -n 1 "$T/err" | grep -q '^::add-mask::' || fail "first stderr line is not a mask: $(head -n 1 "$T/err")"
grep -qxF '::add-mask::s3cr%25t' "$T/err" || fail "the token is not masked (escaped): $(cat "$T/err")"
# Only masks come before the last mask.
last=$(grep -n '^::add-mask::' "$T/err" | tail -n 1 | cut -d: -f1)
[ "$(head -n "$last" "$T/err" | grep -vc '^::add-mask::')" -eq 0 ] || fail "output before a mask"
out_lacks "::add-mask::"
out_lacks "s3cr%t"
# The same error path masks too: an error message is printed after the masks.
GITHUB_ACTIONS=true expect 1 key -r missing.txt
head -n 1 "$T/err" | grep -q '^::add-mask::' || fail "the mask does not come first on an error"
# Outside Actions: no workflow commands.
expect 0 config
err_lacks "::add-mask::"
rm venvcache.ini
unset VC_T_TOKEN

# --- errors as annotations, with file and line -----------------------------
printf 'attrs==23.1.0\n\nnot a requirement ===\n' >bad.txt
GITHUB_ACTIONS=true expect 1 key -r bad.txt
grep -Eq "^::error file=$T/bad\.txt,line=3::venvcache: key: " "$T/err" ||
    fail "no ::error file=...,line=3:: annotation: $(cat "$T/err")"
# Outside Actions the same error is the usual one line.
expect 1 key -r bad.txt
err_has "bad.txt:3"
err_lacks "::error"
err_one_line
# A config file's error, with ',' and ':' in the path escaped as properties.
mkdir -p 'odd,dir:x'
printf '[venvcache]\nmax-size = 5G\nfrobs = 3\n' >'odd,dir:x/bad.ini'
GITHUB_ACTIONS=true expect 1 -c 'odd,dir:x/bad.ini' config
grep -Fq "::error file=$T/odd%2Cdir%3Ax/bad.ini,line=3::venvcache: config: " "$T/err" ||
    fail "config error annotation: $(cat "$T/err")"
# An error without a file has no properties.
GITHUB_ACTIONS=true expect 1 key -r missing.txt
grep -q '^::error::venvcache: key: ' "$T/err" || fail "plain ::error:: annotation: $(cat "$T/err")"

# --- warnings: ::warning:: annotations, once a job -------------------------
# Every step of a job shares $RUNNER_TEMP: the warning of an unset ${VAR} in
# the config, given by the key step, is not given again by the next step.
printf '[mirror]\nindex-url = ${VC_T_UNSET_URL}\n\n[env w]\npython = python3\ndeps = six==1.16.0\n' >warn.ini
unset VC_T_UNSET_URL
mkdir -p "$T/runner-temp"
GITHUB_ACTIONS=true RUNNER_TEMP="$T/runner-temp" expect 0 -c warn.ini key -e w
[ "$(grep -c '^::warning::venvcache: .*VC_T_UNSET_URL' "$T/err")" -eq 1 ] ||
    fail "not one ::warning:: annotation: $(cat "$T/err")"
err_lacks ": warning: "
GITHUB_ACTIONS=true RUNNER_TEMP="$T/runner-temp" expect 0 -c warn.ini path -e w
err_lacks "VC_T_UNSET_URL"
# Another job (another RUNNER_TEMP) warns again; outside Actions, the usual line.
mkdir -p "$T/runner-temp2"
GITHUB_ACTIONS=true RUNNER_TEMP="$T/runner-temp2" expect 0 -c warn.ini key -e w
err_has "::warning::venvcache: "
expect 0 -c warn.ini key -e w
err_has "venvcache: key: warning: warn.ini:2"
err_lacks "::warning::"
exit 0
