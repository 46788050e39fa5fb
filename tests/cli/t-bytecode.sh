#!/usr/bin/env bash
# The bytecode cache (installer = uv, bytecode-cache = yes): venvcache
# compiles a venv's modules itself, as `uv pip install --compile-bytecode`
# does (every *.py of site-packages, timestamp pycs Python takes as up to
# date, the same code, vendored Python 2 skipped), and a module compiled
# once is not compiled again for the next venv. A damaged entry is compiled
# afresh; bytecode-cache = no leaves the bytecode to uv.
. "$(dirname "$0")/lib.sh"

[ -x "$VC_UV" ] || fail "no uv at '$VC_UV': run scripts/bootstrap.sh"
# (partial = no: each miss is a whole creation; partial hits at the end.)
export VENVCACHE_UV=$VC_UV VENVCACHE_INSTALLER=uv VENVCACHE_SEED=no VENVCACHE_PARTIAL=no
mirror_start
cat >venvcache.ini <<INI
[mirror]
index-url = $MIRROR_URL

[env one]
deps = vc-alpha==1.1
    vc-legacy==1.0

[env two]
deps = vc-alpha==1.1
    vc-delta==1.0
INI
bc=$XDG_CACHE_HOME/venvcache-bytecode # the default, beside the store

# pycs VENV: every module of its site-packages has the pyc compileall
# writes: this interpreter's magic, timestamp flags, the source's mtime and
# size, and the code compile() makes of the source (its file name aside).
# Python 2 code has none. Prints how many it checked.
pycs() {
    "$1/bin/python" -I - "$1" <<'PY' || fail "pycs of $1: see above"
import _imp, glob, importlib.util, marshal, os, sys

site, = glob.glob(os.path.join(sys.argv[1], "lib", "python*", "site-packages"))
ATTRS = ("co_code", "co_names", "co_varnames", "co_name", "co_qualname",
         "co_flags", "co_argcount", "co_posonlyargcount", "co_kwonlyargcount",
         "co_nlocals", "co_stacksize", "co_firstlineno", "co_freevars",
         "co_cellvars", "co_linetable", "co_lnotab", "co_exceptiontable")

def same(a, b):
    if any(getattr(a, n, None) != getattr(b, n, None) for n in ATTRS):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    return all(same(x, y) if hasattr(x, "co_code") else x == y
               for x, y in zip(a.co_consts, b.co_consts))

n = 0
for root, dirs, files in os.walk(site):
    dirs[:] = [d for d in dirs if d != "__pycache__"]
    for f in files:
        if not f.endswith(".py"):
            continue
        src = os.path.join(root, f)
        pyc = importlib.util.cache_from_source(src)
        data = open(src, "rb").read()
        try:
            want = compile(data, src, "exec", dont_inherit=True)
        except SyntaxError:
            if os.path.exists(pyc):
                sys.exit("%s does not compile, yet it has a pyc" % src)
            continue
        if not os.path.exists(pyc):
            sys.exit("%s: no pyc" % src)
        st = os.stat(src)
        b = open(pyc, "rb").read()
        head = (importlib.util.MAGIC_NUMBER, 0, int(st.st_mtime) & 0xFFFFFFFF,
                st.st_size & 0xFFFFFFFF)
        got = (b[:4],) + tuple(int.from_bytes(b[i:i + 4], "little") for i in (4, 8, 12))
        if got != head:
            sys.exit("%s: header %r, want %r" % (pyc, got, head))
        code = marshal.loads(b[16:])
        _imp._fix_co_filename(code, src)
        if not same(code, want):
            sys.exit("%s is not the code of %s" % (pyc, src))
        n += 1
print(n)
PY
}
# stats: the numbers of -v's "bytecode:" line.
stats() { grep -o "$1: bytecode: .*" "$T/err" | tr -cs '0-9' ' ' | sed 's/^ //;s/ $//'; }

# A miss compiles every module and keeps each in the cache.
expect 0 -v warm -e one
read -r mods cur from comp kept skipped <<<"$(stats one)"
[ "$mods" -ge 3 ] && [ "$cur" = 0 ] && [ "$from" = 0 ] && [ "$comp" = "$mods" ] ||
    fail "one: $(stats one)"
# legacy.py does not compile: compiled, not kept.
[ "$kept" = $((comp - 1)) ] || fail "one: kept $kept of $comp (legacy.py has no code)"
venv=$VENVCACHE_VENV_ROOT/one
[ "$(pycs "$venv")" = $((mods - 1)) ] || fail "one: $(pycs "$venv") good pycs of $mods modules"
[ -z "$(find "$venv" -path "*/vc_legacy/__pycache__/legacy.*")" ] ||
    fail "Python 2 code has a pyc"
[ "$(find "$bc" -type f | wc -l)" -ge 2 ] || fail "nothing in bytecode-cache-dir '$bc'"
[ "$(stat -c %a "$bc")" = 700 ] || fail "bytecode-cache-dir is mode $(stat -c %a "$bc")"
py_venv_check "$venv" vc_alpha vc_legacy

# The next venv takes vc_alpha's bytecode from the cache; only vc_delta is
# compiled. Its hit restores the same pycs.
expect 0 -v warm -e two
read -r mods cur from comp kept skipped <<<"$(stats two)"
[ "$from" -ge 1 ] && [ "$comp" -ge 1 ] && [ $((from + comp)) = "$mods" ] && [ "$kept" = "$comp" ] ||
    fail "two: $(stats two)"
[ "$(pycs "$VENVCACHE_VENV_ROOT/two")" = "$mods" ] || fail "two: the pycs from the cache are not compileall's"
rm -rf "${VENVCACHE_VENV_ROOT:?}/two"
expect 0 -v warm -e two
err_has "two: hit"
[ "$(pycs "$VENVCACHE_VENV_ROOT/two")" = "$mods" ] || fail "two: the hit's pycs are not compileall's"
python3 - "$VENVCACHE_VENV_ROOT/two" <<'PY' || fail "the restored venv's pycs are not taken as up to date"
import subprocess, sys
out = subprocess.run([sys.argv[1] + "/bin/python", "-I", "-v", "-c", "import vc_alpha, vc_delta"],
                     capture_output=True, text=True).stderr
assert out.count("matches " + sys.argv[1]) >= 2, out
PY

# A damaged entry (torn, or not ours) is compiled afresh and rewritten.
find "$bc" -type f -exec sh -c 'printf x | dd of="$1" bs=1 seek=30 conv=notrunc status=none' _ {} \;
rm -rf "${VENVCACHE_VENV_ROOT:?}/one" "$VENVCACHE_CACHE_DIR"
expect 0 -v warm -e one
read -r mods cur from comp kept skipped <<<"$(stats one)"
[ "$from" = 0 ] && [ "$comp" = "$mods" ] && [ "$kept" = $((mods - 1)) ] || fail "damaged: $(stats one)"
[ "$(pycs "$VENVCACHE_VENV_ROOT/one")" = $((mods - 1)) ] || fail "damaged: bad pycs"
rm -rf "${VENVCACHE_VENV_ROOT:?}/one" "$VENVCACHE_CACHE_DIR"
expect 0 -v warm -e one
read -r mods cur from comp kept skipped <<<"$(stats one)"
[ "$from" = $((mods - 1)) ] && [ "$comp" = 1 ] || fail "rewritten entries not used: $(stats one)"

# gc --max-age removes the entries neither read nor written for longer;
# -n only counts them.
total=$(find "$bc" -type f | wc -l)
old=$(find "$bc" -type f | head -n 2)
# shellcheck disable=SC2086
touch -a -m -d '3 days ago' $old
expect 0 gc -n --max-age 2
err_has "would remove 2 bytecode cache entries"
[ "$(find "$bc" -type f | wc -l)" = "$total" ] || fail "gc -n removed bytecode"
expect 0 gc --max-age 2
err_has "removed 2 bytecode cache entries"
err_has "kept $((total - 2))"
[ "$(find "$bc" -type f | wc -l)" = $((total - 2)) ] || fail "gc left $(find "$bc" -type f | wc -l) of $total"
for f in $old; do [ ! -e "$f" ] || fail "gc kept the old entry $f"; done

# bytecode-cache = no: uv compiles, the cache is neither read nor written.
rm -rf "${VENVCACHE_VENV_ROOT:?}/one" "$VENVCACHE_CACHE_DIR" "$bc"
VENVCACHE_BYTECODE_CACHE=no expect 0 -v warm -e one
err_lacks "bytecode:"
[ ! -e "$bc" ] || fail "bytecode-cache = no made '$bc'"
[ "$(pycs "$VENVCACHE_VENV_ROOT/one")" = $((mods - 1)) ] || fail "uv's pycs: bad"

# A partial hit (one's venv restored, vc-delta added, vc-legacy removed)
# compiles what it installed and nothing else, and keeps none of it: the
# restored venv's directories came from the store. With vc-delta's
# bytecode in the cache, it is written from there.
for cached in no yes; do
    rm -rf "${VENVCACHE_VENV_ROOT:?}/one" "${VENVCACHE_VENV_ROOT:?}/two" "$VENVCACHE_CACHE_DIR" "$bc"
    if [ $cached = yes ]; then
        expect 0 warm -e two
        rm -rf "${VENVCACHE_VENV_ROOT:?}/two" "$VENVCACHE_CACHE_DIR"
    fi
    expect 0 warm -e one
    rm -rf "${VENVCACHE_VENV_ROOT:?}/one"
    n=$(find "$bc" -type f | wc -l)
    VENVCACHE_PARTIAL=yes expect 0 -v warm -e two
    err_has "two: partial"
    read -r mods cur from comp kept skipped <<<"$(stats two)"
    if [ $cached = yes ]; then
        [ "$from" = 1 ] && [ "$comp" = 0 ] || fail "partial, cached: $(stats two)"
    else
        [ "$from" = 0 ] && [ "$comp" = 1 ] || fail "partial: $(stats two)"
    fi
    [ "$cur" -ge 1 ] && [ "$kept" = 0 ] && [ "$skipped" = 0 ] && [ $((cur + from + comp)) = "$mods" ] ||
        fail "partial ($cached): $(stats two)"
    [ "$(find "$bc" -type f | wc -l)" = "$n" ] || fail "a partial hit added to the bytecode cache"
    [ "$(pycs "$VENVCACHE_VENV_ROOT/two")" = "$mods" ] || fail "partial ($cached): bad pycs"
done

# installer = pip: pip compiles (and records) what it installs.
rm -rf "${VENVCACHE_VENV_ROOT:?}/one" "$VENVCACHE_CACHE_DIR" "$bc"
VENVCACHE_INSTALLER=pip VENVCACHE_SEED=yes expect 0 -v warm -e one
err_lacks "bytecode:"
[ ! -e "$bc" ] || fail "installer = pip made '$bc'"
echo "ok"
