#!/usr/bin/env bash
# tox4-venv.sh: makes build/tox4, a venv with real tox 4 and tox-uv at the
# versions scripts/tox4-requirements.txt pins (every package of it), from
# PyPI with pip. Idempotent: a venv whose pip freeze already matches the
# pins is left alone. scripts/tox4-view.py runs the tox it has.
#   scripts/tox4-venv.sh [DIR]     (default: build/tox4 of this repo)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
req=$root/scripts/tox4-requirements.txt
dir=${1:-$root/build/tox4}

want=$(grep -v '^#' "$req" | sort)
if [ -x "$dir/bin/python" ] &&
    [ "$("$dir/bin/python" -m pip freeze --all 2>/dev/null |
        grep -v -e '^pip==' -e '^setuptools==' | sort)" = "$want" ]; then
    echo "tox4-venv: $dir has $(grep -c . <<<"$want") pinned packages"
    exit 0
fi
rm -rf "$dir"
python3 -m venv "$dir"
"$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
"$dir/bin/tox" --version
echo "tox4-venv: made $dir"
