#!/usr/bin/env bash
# Runs the fault suite (TestFault* in ./integration and ./integration-cli)
# with longer loops and prints its figures. BERTH_FAULT_ROUNDS sets the
# rounds of the looping tests (default 20).
set -euo pipefail
export BERTH_FAULT_ROUNDS="${BERTH_FAULT_ROUNDS:-20}"
log="$(mktemp -t berth-faults.XXXXXX)"
trap 'rm -f "$log"' EXIT
status=0
go test -count=1 -timeout 60m -v -run 'TestFault' ./integration/ ./integration-cli/ >"$log" 2>&1 || status=$?
grep -E '^(--- (PASS|FAIL)|ok |FAIL)' "$log" || true
echo
echo "Figures (BERTH_FAULT_ROUNDS=$BERTH_FAULT_ROUNDS):"
grep -oE 'figures: .*' "$log" | sed 's/^figures: /  /' || true
if [ "$status" -ne 0 ]; then
	echo
	echo "fault suite failed; full log:"
	cat "$log"
fi
exit "$status"
