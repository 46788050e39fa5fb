#!/usr/bin/env bash
# The RAM disk: mounted only with mount = yes, a warning where not, and a
# full one gives a clear error that says how much is needed, touching
# neither the store nor other venvs.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "skipped: mounting a tmpfs needs root"
    exit 0
fi
demo_config vc-beta==1.0 vc-alpha==1.1
expect 0 warm -e demo

# mount = no on a disk directory: a warning, and venvs on disk.
disk=$T/disk-root
VENVCACHE_MOUNT=no expect 0 --venv-root "$disk" warm -e demo
err_has "is not a RAM disk"
! grep -q " $disk tmpfs" /proc/mounts || fail "mounted although mount = no"
"$disk/demo/bin/vc-beta" >/dev/null || fail "venv on disk broken"

# mount = auto (the default), even as root, never mounts over a venv-root
# the user gave: it warns that it is not a RAM disk.
auto=$T/auto-root
expect 0 --venv-root "$auto" warm -e demo
! grep -q " $auto tmpfs" /proc/mounts || fail "mount = auto mounted a tmpfs on $auto"
err_has "is not a RAM disk"
err_lacks "mounted a tmpfs"
"$auto/demo/bin/vc-beta" >/dev/null || fail "venv on disk broken"

# mount = yes as root: a tmpfs is mounted there.
yes=$T/yes-root
VENVCACHE_MOUNT=yes expect 0 --venv-root "$yes" warm -e demo
grep -q " $yes tmpfs" /proc/mounts || fail "no tmpfs mounted on $yes"
"$yes/demo/bin/vc-beta" >/dev/null || fail "venv on the mounted tmpfs broken"
err_has "mounted a tmpfs"

# Never mounted over a directory that holds files: they would be hidden.
full=$T/full-root
mkdir -p "$full.2"
echo keep >"$full.2/file"
VENVCACHE_MOUNT=yes expect 1 --venv-root "$full.2" warm -e demo
err_has "it is not empty"

# A RAM disk too small: a clear error, the store and other venvs untouched.
tiny=$T/tiny
mkdir -p "$tiny"
mount -t tmpfs -o size=4m vc-test-tiny "$tiny"
mkdir -p "$tiny/other-venv"
echo keep >"$tiny/other-venv/file"
expect 1 --venv-root "$tiny" warm -e demo
err_has "out of space on"
err_has "needs"
err_has "free"
[ "$(cat "$tiny/other-venv/file")" = keep ] || fail "another venv was touched"
[ ! -e "$tiny/demo" ] || fail "a partial venv was left"
[ -z "$(ls -A "$tiny/.venvcache/tmp" 2>/dev/null)" ] || fail "leftovers on the full disk"
expect 0 verify
expect 0 restore -e demo
echo "ok"
