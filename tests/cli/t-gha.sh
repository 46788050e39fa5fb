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
[ -n "$rk" ] || fail "no restore keys"
[ "$(printf '%s\n' "$rk" | wc -l)" -le 9 ] || fail "more than 10 keys in all"
prev=$key
while IFS= read -r r; do
    case "$key" in "$r"*) ;; *) fail "restore key '$r' is not a prefix of '$key'" ;; esac
    [ ${#r} -lt ${#prev} ] || fail "restore keys are not most to least specific"
    prev=$r
done <<<"$rk"
# The -r env is named per project: the directory's name and a hash.
[ "$(output path)" = "$(vc path -r reqs.txt)" ] || fail "path output: '$(output path)'"
case "$(output path)" in "$VENVCACHE_VENV_ROOT/$(basename "$T")-"????????) ;;
*) fail "path output: '$(output path)'" ;; esac
[ "$(output cache-dir)" = "$T/store" ] || fail "cache-dir output: '$(output cache-dir)'"
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
[ "$(output restore-keys | wc -l)" -eq 0 ] || fail "restore keys of a set: $(output restore-keys)"
case "$k12" in "$(output restore-keys)"*) ;; *) fail "restore key is not a prefix" ;; esac
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
[ "$(output restore-keys)" = "$rk12" ] || fail "a changed pin changed the restore key"
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
exit 0
