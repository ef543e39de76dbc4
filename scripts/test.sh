#!/usr/bin/env bash
# The test command the README gives (`npm test`): system tools first, then types,
# then the ava suite. Ends with one plain line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export ROOST_ARM64_SYSROOT=${ROOST_ARM64_SYSROOT:-$PWD/.cache/arm64-sysroot}

if ! bash scripts/system-deps.sh; then
  echo "0 passed, 1 failed"
  exit 1
fi
# The Lua agent's sources are checked against Lua 5.3's globals by their own tsconfig.
if ! npx tsc --noEmit -p . || ! npx tsc --noEmit -p targets/lua/agent; then
  echo "typecheck failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
npx ava --tap "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -oP '^# pass \K\d+' "$log" | tail -1)
failed=$(grep -oP '^# fail \K\d+' "$log" | tail -1)
passed=${passed:-0}
failed=${failed:-0}
# ava exits non-zero without a fail count when a file crashes or times out.
if (( status != 0 && failed == 0 )); then failed=1; fi
echo "${passed} passed, ${failed} failed"
exit "$status"
