#!/usr/bin/env bash
# tox environments (setting tox, VENVCACHE_TOX): sentry-python's tox.ini
# files give one valid key per environment, names tox.ini:LINE, config
# lists them; a tox.ini of our own against the loopback mirror warms an
# environment and runs its console script; the project under test.
. "$(dirname "$0")/lib.sh"

data=$VC_SRC/tests/data/sentry-python
py=$(command -v python3)
export VENVCACHE_RESOLVE=never # the declared sets: nothing may resolve
export VENVCACHE_TOX_VERSION=3 # tox 3.28 conformance (tox 4: t-tox4)

# key -a: one valid key per environment, in tox's order (envlist, then
# [testenv:linters]), every env name once.
for f in tox-2022-11-14:418 tox-2024-06-26:395 tox-2026-08-10:838; do
    ini=${f%%:*} n=${f##*:}
    VENVCACHE_TOX=$data/$ini.ini expect 0 -c /dev/null key -a -p "$py"
    [ "$(wc -l <"$T/out")" -eq "$n" ] || fail "$ini: $(wc -l <"$T/out") keys, expected $n"
    grep -Evq '^venv-cp3[0-9]+-[a-z0-9_]+-[0-9a-f]{32}$' "$T/out" &&
        fail "$ini: a key is malformed: $(grep -Ev '^venv-cp3[0-9]+-[a-z0-9_]+-[0-9a-f]{32}$' "$T/out" | head -3)"
    [ -s "$T/err" ] && fail "$ini: key -a wrote to stderr: $(head -3 "$T/err")"
    # Identical sets share a key (the env name is not in it): the names,
    # from the JSON, are each there once, in order.
    cp "$T/out" "$T/plain"
    VENVCACHE_TOX=$data/$ini.ini expect 0 -c /dev/null key -a -p "$py" --format json
    python3 - "$T/out" "$n" >"$T/keys-$ini" <<'EOF' || fail "$ini: json names"
import json, sys
envs = json.load(open(sys.argv[1]))
names = [e["env"] for e in envs]
assert len(names) == int(sys.argv[2]) == len(set(names)), len(names)
for e in envs:
    print(e["env"], e["key"])
EOF
    cut -d' ' -f2 "$T/keys-$ini" | cmp -s - "$T/plain" || fail "$ini: json keys differ"
done
grep -q '^linters ' "$T/keys-tox-2024-06-26" || fail "no key for [testenv:linters]"
[ "$(sed -n '1s/ .*//p' "$T/keys-tox-2024-06-26")" = py3.6-common ] ||
    fail "the first key is not envlist's first env"
# The same environment, the same key, run after run.
export VENVCACHE_TOX=$data/tox-2024-06-26.ini
expect 0 -c /dev/null key -e py3.11-django-v4.2 -p "$py"
grep -qxF "py3.11-django-v4.2 $(cat "$T/out")" "$T/keys-tox-2024-06-26" ||
    fail "key -e differs from key -a"

# --explain names the tox.ini line of the project under test.
expect 0 -c /dev/null key --explain -e py3.11-django-v4.2 -p "$py"
err_has "tox-2024-06-26.ini:106: '.' is the project under test"
err_has "requirement django~=4.2.0"
err_has "requirements-testing.txt"
out_lacks " "
# 2026: the SDK is a dep itself ("!py3.6: -e ."), keyed out too.
VENVCACHE_TOX=$data/tox-2026-08-10.ini expect 0 -c /dev/null key --explain -e py3.14t-common -p "$py"
err_has "tox-2026-08-10.ini:18516:"
err_has "requirement coverage==7.11.0"

# config lists every tox environment with its origin, python and deps.
expect 0 -c /dev/null config
out_has "(VENVCACHE_TOX) tox = $data/tox-2024-06-26.ini"
[ "$(grep -c '^(.*tox-2024-06-26.ini:[0-9]*) \[env ' "$T/out")" -eq 395 ] ||
    fail "config does not list the 395 tox environments"
out_has "tox-2024-06-26.ini:106) [env py3.11-django-v4.2]"
out_has "tox-2024-06-26.ini:744) [env linters]"
out_has "  python = python3.11"
out_has "  deps = Django~=4.2.0"

# Unknown env, and an error in the tox.ini: one line naming file:line.
expect 2 -c /dev/null key -e py3.11-nosuch -p "$py"
err_has "unknown environment 'py3.11-nosuch'"
printf '[tox]\nenvlist = a\n[testenv]\ndeps = {nosuchkey}\n' >bad.ini
VENVCACHE_TOX=bad.ini expect 1 -c /dev/null key -a
err_one_line
err_has "bad.ini:4: env a: deps: substitution key 'nosuchkey' not found"
VENVCACHE_TOX=missing.ini expect 1 -c /dev/null list
err_has "missing.ini"
# -e NAME of known or Python factors, with no section and not in the
# envlist: tox 3 makes it, so does venvcache (the same key as when the
# envlist names it); not one with an unknown factor.
printf '[tox]\nenvlist = py-{alpha,beta}\n[testenv]\ndeps = vc-gamma\n    beta: vc-beta\n' >od.ini
printf '[tox]\nenvlist = py-{alpha,beta},py311-beta\n[testenv]\ndeps = vc-gamma\n    beta: vc-beta\n' >od2.ini
VENVCACHE_TOX=od.ini expect 0 -c /dev/null key -e py311-beta -p "$py"
od=$(cat "$T/out")
VENVCACHE_TOX=od.ini expect 2 -c /dev/null key -e py311-gamma -p "$py"
err_has "unknown environment 'py311-gamma'"
VENVCACHE_TOX=od2.ini expect 0 -c /dev/null key -e py311-beta -p "$py"
[ "$(cat "$T/out")" = "$od" ] || fail "-e py311-beta: $od, listed: $(cat "$T/out")"
unset VENVCACHE_TOX VENVCACHE_RESOLVE

# A tox.ini of our own, against the mirror: factor conditions, a
# [section]key substitution, basepython from the python setting.
mirror_start
mkdir own && cd own
cat >tox.ini <<'EOF'
[tox]
envlist = py-{alpha,beta}
skipsdist = true

[base]
deps = vc-gamma[fast]

[testenv]
deps =
    {[base]deps}
    alpha: vc-alpha==1.1
    beta: vc-beta
EOF
export VENVCACHE_TOX=tox.ini VENVCACHE_INDEX_URL=$MIRROR_URL
expect 0 key -a
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "own tox.ini: $(wc -l <"$T/out") keys"
expect 0 warm -e py-beta
venv=$(cat "$T/out")
[ "$venv" = "$VENVCACHE_VENV_ROOT/py-beta" ] || fail "warm printed '$venv'"
py_venv_has "$venv" vc-beta==1.0 vc-alpha==1.1 vc-gamma==1.0 vc-delta==1.0
expect 0 run -e py-beta -- vc-beta
out_has "vc-beta 1.0 (vc-alpha 1.1)"
# A second warm: present; after removal: a hit from the store.
expect 0 warm -e py-beta
rm -rf "$venv"
expect 0 warm -e py-beta
err_has "py-beta: hit"
expect 0 run -e py-alpha -- vc-alpha
out_has "vc-alpha 1.1"

# An [env NAME] of the config wins over the tox environment NAME.
printf '[env py-alpha]\ndeps = vc-alpha==1.0\n' >venvcache.ini
expect 0 config
out_has "(venvcache.ini:1) [env py-alpha]"
out_has "tox.ini:2) [env py-beta]"
expect 0 run -e py-alpha -- vc-alpha
out_has "vc-alpha 1.0"
rm venvcache.ini
cd ..

# The project under test (usedevelop): out of the key, installed editable
# after create and after restore.
cp -a "$VC_SRC/tests/data/project" proj
cd proj
printf '[tox]\nenvlist = dev\n[testenv]\nusedevelop = true\ndeps = vc-alpha==1.0\n' >tox.ini
printf 'vc-alpha==1.0\n' >plain.txt
[ "$(vc key -e dev)" = "$(VENVCACHE_TOX= vc key -r plain.txt --name dev)" ] ||
    fail "the project changed the key"
expect 0 warm -e dev
"$VENVCACHE_VENV_ROOT/dev/bin/python" -c 'import vc_project' || fail "the project is not installed"
rm -rf "$VENVCACHE_VENV_ROOT/dev"
expect 0 warm -e dev
err_has "dev: hit"
"$VENVCACHE_VENV_ROOT/dev/bin/python" -c 'import vc_project, vc_alpha' ||
    fail "the project is not installed after a restore"
echo "ok"
