#!/usr/bin/env bash
# tox environments read as tox 4 reads them (tox-version = 4, the
# default): sentry-python's 2026 tox.ini with its pyproject.toml gives one
# valid key per environment, its dependency group in the key and the
# project out of it (package = skip); the 2022 file is refused as tox 4
# refuses it; a tox.ini of our own against the loopback mirror: env_list,
# a 3.11 factor, a '#' comment, dependency_groups, an environment made
# from a factor condition, a warning naming tox.ini:LINE once;
# skip_missing_interpreters; labels (-m).
. "$(dirname "$0")/lib.sh"

data=$VC_SRC/tests/data/sentry-python
py=$(command -v python3)
export VENVCACHE_RESOLVE=never

# sentry 2026 with the pyproject.toml it reads: 840 environments (838 of
# tox 3, and tox 4's two from factor conditions), one key each.
mkdir s26
cp "$data/tox-2026-08-10.ini" s26/tox.ini
cp "$data/pyproject-2026-08-10.toml" s26/pyproject.toml
export VENVCACHE_TOX=s26/tox.ini
expect 0 -c /dev/null key -a -p "$py"
[ "$(wc -l <"$T/out")" -eq 840 ] || fail "2026: $(wc -l <"$T/out") keys, expected 840"
grep -Evq '^venv-cp3[0-9]+-[a-z0-9_]+-[0-9a-f]{32}$' "$T/out" &&
    fail "2026: a key is malformed"
# Identical sets share a key (the env name is not in it): the names are
# unique instead.
cp "$T/out" "$T/keys26"
expect 0 -c /dev/null key -a -p "$py" --format json
python3 -c 'import json, sys; n = [e["env"] for e in json.load(open(sys.argv[1]))]; assert len(n) == len(set(n)) == 840, len(n)' "$T/out" ||
    fail "2026: names are not unique"
cp "$T/keys26" "$T/out"
# Every warning names tox.ini:LINE, and none comes twice.
if [ -s "$T/err" ]; then
    grep -v 's26/tox.ini:[0-9]*: ' "$T/err" && fail "2026: a warning names no tox.ini:LINE"
    [ "$(sort -u "$T/err" | wc -l)" -eq "$(wc -l <"$T/err")" ] || fail "2026: a warning twice"
fi
# py3.12-common: the test group (pytest-cov) is keyed; the project comes
# only from its deps line ('-e .'), as package = skip installs nothing more.
expect 0 -c /dev/null key --explain -e py3.12-common -p "$py"
err_has "requirement pytest-cov"
[ "$(grep -c "is the project under test" "$T/err")" -eq 1 ] || fail "the project twice"
# The same file read as tox 3 installs the project and has no group.
VENVCACHE_TOX_VERSION=3 expect 0 -c /dev/null key --explain -e py3.12-common -p "$py"
err_lacks "requirement pytest-cov"

# 2022: tox 4 refuses it (two Python factors); one line, naming the way out.
VENVCACHE_TOX=$data/tox-2022-11-14.ini expect 1 -c /dev/null key -a -p "$py"
err_one_line
err_has "conflicting factors py3.5, 2.0 in py3.5-django-2.0"
err_has "tox-version = 3"
VENVCACHE_TOX=$data/tox-2022-11-14.ini VENVCACHE_TOX_VERSION=3 expect 0 -c /dev/null key -e py3.5-django-2.0 -p "$py"

# skip_missing_interpreters: an environment whose interpreter is missing is
# a reported skip, the others keyed and warmed; without it, an error.
mkdir skip
printf '[tox]\nenv_list = 3.11, 3.99\nskip_missing_interpreters = true\n[testenv]\npackage = skip\ndeps = vc-alpha==1.0\n' >skip/tox.ini
VENVCACHE_TOX=skip/tox.ini expect 0 -c /dev/null key -a
[ "$(wc -l <"$T/out")" -eq 1 ] && [ "$(cat "$T/out")" = "$(VENVCACHE_TOX=skip/tox.ini vc -c /dev/null key -e 3.11)" ] ||
    fail "skip: keys $(cat "$T/out")"
err_has "3.99: skipped (skip_missing_interpreters): "
err_has "python3.99"
VENVCACHE_TOX=skip/tox.ini expect 0 -c /dev/null warm -e 3.99
[ -s "$T/out" ] && fail "warm of a skipped env printed a path: $(cat "$T/out")"
err_has "3.99: skipped (skip_missing_interpreters): "
sed -i 's/skip_missing_interpreters = true/skip_missing_interpreters = false/' skip/tox.ini
VENVCACHE_TOX=skip/tox.ini expect 1 -c /dev/null key -a
err_has "python3.99"
[ -s "$T/out" ] && fail "key -a printed keys after an error"

# labels: -m LABEL selects the environments [tox] labels names (and
# defines: c) and those whose own labels have it; an unknown label is an error.
mkdir lab
printf '[tox]\nenv_list = a, b\nlabels =\n    grp = b, c\n[testenv]\npackage = skip\ndeps = vc-alpha==1.0\n[testenv:a]\nlabels = solo, x\n' >lab/tox.ini
export VENVCACHE_TOX=lab/tox.ini
# (The names, from --format json: the key has no env name.)
names() { python3 -c 'import json, sys; print(" ".join(e["env"] for e in json.load(open(sys.argv[1]))))' "$T/out"; }
expect 0 -c /dev/null key -m grp --format json
[ "$(names)" = "b c" ] || fail "-m grp: $(names)"
expect 0 -c /dev/null key -m solo -m grp -e b --format json
[ "$(names)" = "b a c" ] || fail "-e b -m solo -m grp: $(names)"
expect 2 -c /dev/null key -m nope
err_has "no environment has label 'nope'"
unset VENVCACHE_TOX VENVCACHE_RESOLVE

# A tox.ini of our own, against the mirror.
mirror_start
mkdir own && cd own
cat >pyproject.toml <<'EOT'
[dependency-groups]
test = ["vc-gamma", {include-group = "more"}]
more = ["vc-delta"]
EOT
cat >tox.ini <<'EOT'
[tox]
env_list = 3.11-{alpha,beta}

[testenv]
package = skip
dependency_groups = test
deps =
    alpha: vc-alpha==1.1  # a comment, as tox 4 reads it
    beta: vc-beta
    cover: vc-alpha==1.0
install_command = python -m pip install {opts} {packages}
EOT
export VENVCACHE_TOX=tox.ini VENVCACHE_INDEX_URL=$MIRROR_URL
expect 0 key -a
# 3.11-alpha, 3.11-beta, and cover: made from its condition, as tox 4 does
[ "$(wc -l <"$T/out")" -eq 3 ] || fail "own tox.ini: $(wc -l <"$T/out") keys: $(cat "$T/out")"
cp "$T/out" "$T/keys-own"
expect 0 key -a --format json
python3 -c 'import json, sys; assert "cover" in [e["env"] for e in json.load(open(sys.argv[1]))]' "$T/out" ||
    fail "no environment 'cover'"
cp "$T/keys-own" "$T/out"
[ "$(grep -c 'tox.ini:11: install_command' "$T/err")" -eq 1 ] ||
    fail "install_command: not warned once: $(cat "$T/err")"
expect 0 config
out_has "  python = python3.11"
expect 0 warm -e 3.11-alpha
venv=$(cat "$T/out")
py_venv_has "$venv" vc-alpha==1.1 vc-gamma==1.0 vc-delta==1.0
"$venv/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' ||
    fail "3.11-alpha is not Python 3.11"
rm -rf "$venv"
expect 0 warm -e 3.11-alpha
err_has "3.11-alpha: hit"
# A change of the group is a change of the key.
k1=$(vc key -e 3.11-beta)
sed -i 's/more = \["vc-delta"\]/more = ["vc-delta", "vc-alpha==1.0"]/' pyproject.toml
k2=$(vc key -e 3.11-beta)
[ -n "$k1" ] && [ "$k1" != "$k2" ] || fail "the group's change did not change the key ($k1)"
cd ..
echo "ok"
