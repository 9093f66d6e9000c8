#!/usr/bin/env bash
# Runs every test: installs what the tests need from apt when missing, then the xUnit suite, then the QEMU
# end-to-end scenarios (tests/e2e/kdump.sh). Ends with one line "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
scripts/install-deps.sh || { echo "test.sh: could not install test prerequisites" >&2; exit 2; }

log=$(mktemp)
dotnet test Preconfig.sln -c Release --nologo 2>&1 | tee "$log"
unit_rc=${PIPESTATUS[0]}
unit_passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
unit_failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
if [ "$unit_rc" -ne 0 ] && [ "$unit_failed" -eq 0 ]; then unit_failed=1; fi   # a build failure counts as a failure
rm -f "$log"
echo "unit: $unit_passed passed, $unit_failed failed"

e2e_passed=0; e2e_failed=0
if [ -x tests/e2e/kdump.sh ] && [ "${PRECONFIG_SKIP_E2E:-0}" != 1 ]; then
  elog=$(mktemp)
  tests/e2e/kdump.sh 2>&1 | tee "$elog"
  e2e_rc=${PIPESTATUS[0]}
  line=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed' "$elog" | tail -n 1)
  e2e_passed=$(echo "$line" | awk '{print $2+0}')
  e2e_failed=$(echo "$line" | awk '{print $4+0}')
  if [ "$e2e_rc" -ne 0 ] && [ "$e2e_failed" -eq 0 ]; then e2e_failed=1; fi
  rm -f "$elog"
fi

passed=$((unit_passed + e2e_passed)); failed=$((unit_failed + e2e_failed))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
