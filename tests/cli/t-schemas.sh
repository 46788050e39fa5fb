#!/usr/bin/env bash
# action.yml and .github/workflows/*.yml against the JSON schemas of GitHub
# actions and workflows that check-jsonschema ships (SchemaStore's; nothing
# is fetched), and each against a broken copy, so the check can fail.
. "$(dirname "$0")/lib.sh"

cj="$VC_SRC/build/ci-tools/bin/check-jsonschema"
[ -x "$cj" ] || fail "no $cj: run scripts/bootstrap.sh"
"$cj" --builtin-schema vendor.github-actions "$VC_SRC/action.yml" >"$T/out" 2>&1 ||
    fail "action.yml: $(cat "$T/out")"
for w in "$VC_SRC"/.github/workflows/*.yml; do
    "$cj" --builtin-schema vendor.github-workflows "$w" >"$T/out" 2>&1 ||
        fail "$w: $(cat "$T/out")"
done
# An action whose composite step lacks `shell:`, and a workflow job without
# `runs-on`: both are refused.
# (Text edits: PyYAML would read the workflow's `on:` as true.)
awk '!done && /^ +shell: bash$/ { done = 1; next } 1' "$VC_SRC/action.yml" >"$T/bad-action.yml"
[ "$(wc -l <"$T/bad-action.yml")" -eq $(($(wc -l <"$VC_SRC/action.yml") - 1)) ] || fail "no shell: line to remove"
! "$cj" --builtin-schema vendor.github-actions "$T/bad-action.yml" >"$T/out" 2>&1 ||
    fail "a composite step without shell: passed the action schema"
awk '!done && /^    runs-on: / { done = 1; next } 1' "$VC_SRC/.github/workflows/ci.yml" >"$T/bad-workflow.yml"
[ "$(wc -l <"$T/bad-workflow.yml")" -eq $(($(wc -l <"$VC_SRC/.github/workflows/ci.yml") - 1)) ] || fail "no runs-on: line to remove"
! "$cj" --builtin-schema vendor.github-workflows "$T/bad-workflow.yml" >"$T/out" 2>&1 ||
    fail "a job without runs-on passed the workflow schema"
echo "ok: $TEST_NAME"
