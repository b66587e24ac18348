#!/bin/bash
# escalation.sh - bans end to end: sluiced with the demo backend in a network
# namespace of the test's own, sluice attached to that namespace's lo in
# generic XDP mode with its pins in a private directory.  An agent that
# hammers past its rate limit, or keeps calling what its rules refuse, is
# banned: the request that tripped it and its open connections (keep-alive,
# SSE stream) get the ban's error and close, new connections from its
# source are reset by XDP, its key from elsewhere is refused by sluiced, and
# the ban lifts on time.  sluicectl ban/unban act on a running daemon at
# once; a ban written into the maps alone is seen by its timer.  Audit
# records of each ban and lift.  tests/e2e/escalation_cases.py has the cases.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

require_root
kernel_ns esc
# Ports inside the namespace: any free number will do, nothing else runs there.
DPORT=18600
GPORT=18470
ns_attach_lo
ns_demo_backend "$DPORT"

python3 tests/e2e/escalation_cases.py write "$TMP/policy.json" "$GPORT" "$DPORT" \
	"$TMP/audit.jsonl" || die "cannot write the policy"
"$SLUICECTL" policy check "$TMP/policy.json" >"$TMP/check.log" 2>&1 ||
	die "policy: $(cat "$TMP/check.log")"
nsenter --net="/run/netns/$NS" "$SLUICED" --policy "$TMP/policy.json" --workers 2 \
	--control "$TMP/ctl.sock" --usage-db "$TMP/usage.db" >"$TMP/sluiced.log" 2>&1 &
GW=$!
E2E_PIDS+=($GW)
wait_for "sluiced" 5 ns_port_open "$GPORT" || die "$(tail -3 "$TMP/sluiced.log")"

in_ns "$NS" timeout 120 python3 tests/e2e/escalation_cases.py run "$GPORT" \
	"$TMP/audit.jsonl" "$SLUICECTL" "$TMP/ctl.sock" || E2E_FAILED=1

check "sluiced logs the bans and their ends" bash -c \
	"grep -q 'agent hammer banned (limited: 5 refusals within 10 s)' '$TMP/sluiced.log' &&
	 grep -q 'agent hammer: ban lifted (expired)' '$TMP/sluiced.log'"
kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
check "sluiced leaves the kernel half in place when it stops" test -e "$PIN/sl_agents"
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log'"
[ "$E2E_FAILED" = 0 ] || { echo "--- sluiced.log"; tail -30 "$TMP/sluiced.log"; }
exit $E2E_FAILED
