#!/usr/bin/env bash
# check-format.sh: fails if clang-format would change any C source.
#   scripts/check-format.sh --fix   rewrites them instead
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files --cached --others --exclude-standard -- '*.c' '*.cc' '*.h')
[ -n "$files" ] || { echo "format: no sources found" >&2; exit 1; }
if [ "${1:-}" = --fix ]; then
    clang-format -i $files
    exit 0
fi
bad=0
for f in $files; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || { echo "format: $f"; bad=1; }
done
[ "$bad" -eq 0 ] || { echo "run scripts/check-format.sh --fix" >&2; exit 1; }
echo "format: ok"
