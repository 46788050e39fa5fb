#!/usr/bin/env bash
# The loopback mirror every end-to-end case uses: real python3 -m venv and pip
# install offline from the wheels the tests build; ranges resolve to the newest
# matching version and a published release changes that; extras, markers, odd
# name spellings, pre-releases, Requires-Python and console scripts work;
# Basic auth reaches pip through the URL; requests are logged, never secrets.
. "$(dirname "$0")/lib.sh"

# same WHAT ACTUAL EXPECTED-LINE...: ACTUAL is exactly those lines.
same() {
    local what=$1 actual=$2
    shift 2
    [ "$actual" = "$(printf '%s\n' "$@")" ] ||
        fail "$what: got '$(echo $actual)', expected '$*'"
}

# The fixture is deterministic: a second build is byte-identical.
mirror_build
python3 "$VC_SRC/scripts/make-wheels.py" "$T/again"
(cd "$MIRROR_FIXTURE" && find files simple -type f | sort | xargs sha256sum) >"$T/a"
(cd "$T/again" && find files simple -type f | sort | xargs sha256sum) >"$T/b"
cmp -s "$T/a" "$T/b" || fail "make-wheels.py is not deterministic: $(diff "$T/a" "$T/b" | head)"

mirror_start

# Resolution (pip install --dry-run --report): ranges give the newest match,
# an extra pulls its dependency only when asked for, names are normalised,
# markers are evaluated, pre-releases need --pre, Requires-Python is obeyed.
same "vc-beta vc-gamma[fast]" "$(mirror_resolve vc-beta 'vc-gamma[fast]')" \
    vc-alpha==1.1 vc-beta==1.0 vc-delta==1.0 vc-gamma==1.0
# The report carries the artifact's sha256, which is the file's.
want=$(sha256sum "$T/mirror/files/vc_alpha-1.1-py3-none-any.whl" | cut -c1-64)
grep -q "\"sha256\": \"$want\"" "$T/mirror-report.json" ||
    fail "the report lacks vc-alpha 1.1's sha256 $want"
same "vc-alpha" "$(mirror_resolve vc-alpha)" vc-alpha==2.0
same "no extra, odd spelling, no pre-release, Requires-Python" \
    "$(mirror_resolve vc-gamma VC.zope_INTERFACE vc-pre vc-future)" \
    vc-future==1.0 vc-gamma==1.0 vc-pre==1.0 vc-zope-interface==5.0
same "markers" "$(mirror_resolve vc-marker)" vc-delta==1.0 vc-marker==1.0
same "--pre" "$(mirror_resolve --pre vc-pre)" vc-pre==2.0rc1

# A real venv and a real install, offline from the mirror.
python3 -m venv "$T/v" || fail "python3 -m venv failed"
a11=$(mirror_requests '^GET /files/vc_alpha-1\.1-py3-none-any\.whl 200$')
a20=$(mirror_requests '^GET /files/vc_alpha-2\.0-')
"$T/v/bin/pip" install --no-cache-dir --index-url "$MIRROR_URL" vc-beta 'vc-gamma[fast]' \
    Vc.Zope-Interface vc-data vc-marker >"$T/pip.out" 2>"$T/err" ||
    fail "pip install from the mirror failed"
py_venv_has "$T/v" vc-alpha==1.1 vc-beta==1.0 vc-gamma==1.0 vc-delta==1.0 \
    Vc_Zope.Interface==5.0 vc-data==1.0 vc-marker==1.0
py_venv_check "$T/v" vc_alpha vc_beta vc_gamma vc_delta vc_zope_interface vc_data
same "py_venv_freeze" "$(py_venv_freeze "$T/v")" vc-alpha==1.1 vc-beta==1.0 \
    vc-data==1.0 vc-delta==1.0 vc-gamma==1.0 vc-marker==1.0 vc-zope-interface==5.0
same "vc-alpha script" "$("$T/v/bin/vc-alpha")" "vc-alpha 1.1"
same "vc-beta script" "$("$T/v/bin/vc-beta")" "vc-beta 1.0 (vc-alpha 1.1)"
same "data file" "$("$T/v/bin/python" -c 'import vc_data; print(vc_data.greeting())')" \
    "hello from vc-data 1.0"
same "#!python script" "$("$T/v/bin/vc-data-script")" "hello from vc-data 1.0"
case $(head -n 1 "$T/v/bin/vc-data-script") in "#!$T/v/bin/python"*) ;; *)
    fail "pip did not rewrite the #!python line: $(head -n 1 "$T/v/bin/vc-data-script")" ;;
esac
[ -f "$T/v/share/vc-data/README.txt" ] || fail ".data/data was not installed"

# The log counts downloads: each wheel once, nothing unwanted, nothing failed.
same "vc-alpha 1.1 downloads" \
    "$(($(mirror_requests '^GET /files/vc_alpha-1\.1-py3-none-any\.whl 200$') - a11))" 1
same "vc-alpha 2.0 downloads" "$(($(mirror_requests '^GET /files/vc_alpha-2\.0-') - a20))" 0
same "failed requests" "$(mirror_requests ' [^23][0-9][0-9]$')" 0

# Publishing a newer release changes what a range resolves to.
mirror_publish vc-alpha==1.2
same "vc-beta after publish" "$(mirror_resolve vc-beta)" vc-alpha==1.2 vc-beta==1.0
same "vc-alpha after publish" "$(mirror_resolve vc-alpha)" vc-alpha==2.0
"$T/v/bin/pip" install --index-url "$MIRROR_URL" -U 'vc-alpha<2' >"$T/pip.out" 2>"$T/err" ||
    fail "pip could not upgrade to the published release"
same "published script" "$("$T/v/bin/vc-alpha")" "vc-alpha 1.2"
if python3 "$VC_SRC/scripts/make-wheels.py" "$T/mirror" --add vc-alpha==1.2 2>"$T/err"; then
    fail "publishing a release twice succeeded"
fi
err_has "already published"
mirror_publish vc-new==0.1 --requires 'vc-delta>=1' --requires-python '>=3.6'
grep -q 'data-requires-python="&gt;=3.6"' "$T/mirror/simple/vc-new/index.html" ||
    fail "no data-requires-python for vc-new"
same "new project" "$(mirror_resolve vc-new)" vc-delta==1.0 vc-new==0.1

# Stopping: SIGTERM ends the server cleanly and the port refuses.
mirror_stop || fail "mirror.py did not exit 0 on SIGTERM"
if (exec 3<>"/dev/tcp/127.0.0.1/$MIRROR_PORT") 2>/dev/null; then
    fail "the mirror still answers after mirror_stop"
fi

# Basic auth: without credentials pip fails (401); in the URL they reach pip,
# for the index and the files. The restarted mirror keeps what was published.
mirror_start --auth vc-user:s3cret-pw
[ "$MIRROR_AUTH_URL" = "http://vc-user:s3cret-pw@127.0.0.1:$MIRROR_PORT/simple" ] ||
    fail "bad MIRROR_AUTH_URL $MIRROR_AUTH_URL"
if "$T/v/bin/pip" install --no-cache-dir --force-reinstall --index-url "$MIRROR_URL" \
    vc-delta >"$T/pip.out" 2>"$T/err"; then
    fail "pip installed without credentials"
fi
[ "$(mirror_requests '^GET /simple/vc-delta/ 401$')" -ge 1 ] || fail "no 401 logged"
d10=$(mirror_requests '^GET /files/vc_delta-1\.0-py3-none-any\.whl 200$')
"$T/v/bin/pip" install --no-cache-dir --force-reinstall --index-url "$MIRROR_AUTH_URL" \
    vc-delta >"$T/pip.out" 2>"$T/err" || fail "pip with credentials failed"
same "authenticated download" \
    "$(($(mirror_requests '^GET /files/vc_delta-1\.0-py3-none-any\.whl 200$') - d10))" 1
same "resolution with credentials" "$(mirror_resolve vc-beta)" vc-alpha==1.2 vc-beta==1.0
! grep -qF -e s3cret-pw -e "$(printf vc-user:s3cret-pw | base64)" "$T/mirror.log" "$T/mirror.err" ||
    fail "a credential reached the mirror's log"
mirror_stop || fail "mirror.py did not exit 0 on SIGTERM"
