#!/usr/bin/env bash
# Settings: precedence, origins, errors naming file:line, credentials hidden.
. "$(dirname "$0")/lib.sh"

unset VENVCACHE_CACHE_DIR
expect 0 config
out_has "(default) cache-dir = $HOME/.cache/venvcache"

cat >venvcache.ini <<'INI'
[venvcache]
compression-level = 5
max-size = 2G

[mirror]
index-url = https://alice:${VC_T_TOKEN}@pypi.corp/simple
trusted-host = pypi.corp

[env py-a]
python = python3
deps = attrs==23.1.0
INI
export VC_T_TOKEN=sup3rs3cret
expect 0 config
out_has "(venvcache.ini:2) compression-level = 5"
out_has "(venvcache.ini:6) mirror.index-url = https://***@pypi.corp/simple"
out_lacks "sup3rs3cret"
out_lacks "alice"
out_has "[env py-a]"

# Environment beats the file; the command line beats both.
VENVCACHE_COMPRESSION_LEVEL=9 expect 0 config
out_has "(VENVCACHE_COMPRESSION_LEVEL) compression-level = 9"
VENVCACHE_VENV_ROOT=/tmp/x expect 0 config --venv-root /tmp/y
out_has "(command line) venv-root = /tmp/y"

# -c names another file; a missing one is an error.
printf '[venvcache]\nkey-prefix = other\n' >other.ini
expect 0 -c other.ini config
out_has "(other.ini:2) key-prefix = other"
expect 1 -c missing.ini config
err_has "cannot read config file 'missing.ini'"
err_one_line
# $VENVCACHE_CONFIG (the action exports it) is -c's default; -c wins; a
# missing one is an error naming it; an empty one is unset.
VENVCACHE_CONFIG=other.ini expect 0 config
out_has "(other.ini:2) key-prefix = other"
VENVCACHE_CONFIG=other.ini expect 0 -c venvcache.ini config
! grep -qF "key-prefix = other" "$T/out" || fail "VENVCACHE_CONFIG read where it should not be"
VENVCACHE_CONFIG=gone.ini expect 1 config
err_has "cannot read config file 'gone.ini'"
VENVCACHE_CONFIG= expect 0 config
! grep -qF "key-prefix = other" "$T/out" || fail "VENVCACHE_CONFIG read where it should not be"

# XDG config when there is no venvcache.ini up to the repository root.
mkdir -p "$XDG_CONFIG_HOME/venvcache" sub/.git
printf '[venvcache]\nmount = no\n' >"$XDG_CONFIG_HOME/venvcache/config.ini"
(cd sub && "$VENVCACHE_BIN" config) >"$T/out"
out_has "config.ini:2) mount = no"

# Errors name file and line, and exit 1.
printf '[venvcache]\nmax-size = 5G\nfrobs = 3\n' >bad.ini
expect 1 -c bad.ini config
err_has "bad.ini:3: unknown key 'frobs' in [venvcache]"
err_lacks "did you mean"
err_one_line
printf '[venvcache]\nmax_size = 5G\n[env e]\ndpes = x\n' >bad.ini
expect 1 -c bad.ini config
err_has "bad.ini:2: unknown key 'max_size' in [venvcache]: did you mean 'max-size'?"
printf '[env e]\ndpes = x\n' >bad.ini
expect 1 -c bad.ini config
err_has "bad.ini:2: unknown key 'dpes' in [env e]: did you mean 'deps'?"
printf '[env py311-tests]\ndeps = attrs\n' >envs.ini
expect 2 -c envs.ini key -e py311-test
err_has "unknown environment 'py311-test': did you mean 'py311-tests'?"
printf '[venvcache]\ncompression-level = fast\n' >bad.ini
expect 1 -c bad.ini config
err_has "bad.ini:2: compression-level: 'fast' is not a number"
VENVCACHE_MAX_SIZE=huge expect 1 config
err_has "VENVCACHE_MAX_SIZE: 'huge' is not a size"
err_one_line
expect 2 config --venv-root ''
printf '\x00\x01' >bin.ini
expect 1 -c bin.ini config
err_has "bin.ini: not a text file"

# A ${VAR} that is not set is used as written (as pip does), with a warning
# that names where it was set: a fork's pull request has no secrets.
printf '[mirror]\nindex-url = ${VC_T_NOT_SET}/simple\n' >unset.ini
expect 0 -c unset.ini config
err_has 'unset.ini:2: index-url: ${VC_T_NOT_SET} is not set'
out_has '${VC_T_NOT_SET}/simple'
echo "ok"
