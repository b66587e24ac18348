#!/bin/bash
# learn.sh - learned sources (kernel.learn_sources) end to end: sluiced with
# the demo backend in a network namespace of the test's own, sluice attached
# to its lo in generic XDP mode, pins in a private directory.  A key-
# authenticated agent's source becomes an identity entry of the kernel (a
# ban then resets its new connections in XDP), expires after learn_idle_s
# without connections, is learned for nobody when two agents share it, never
# overrides a policy source, and survives a reload.
# tests/e2e/learn_cases.py has the cases.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

require_root
kernel_ns learn
DPORT=18603
GPORT=18473
ns_attach_lo
ns_demo_backend "$DPORT"
python3 tests/e2e/learn_cases.py write "$TMP/policy.json" "$GPORT" "$DPORT" || die "policy"
"$SLUICECTL" policy check "$TMP/policy.json" >"$TMP/check.log" 2>&1 ||
	die "policy: $(cat "$TMP/check.log")"
nsenter --net="/run/netns/$NS" "$SLUICED" --policy "$TMP/policy.json" --workers 2 \
	--control "$TMP/ctl.sock" --usage-db "$TMP/usage.db" >"$TMP/sluiced.log" 2>&1 &
GW=$!
E2E_PIDS+=($GW)
wait_for "sluiced" 5 ns_port_open "$GPORT" || die "$(tail -3 "$TMP/sluiced.log")"

in_ns "$NS" timeout 120 python3 tests/e2e/learn_cases.py run "$GPORT" "$SLUICECTL" \
	"$TMP/ctl.sock" || E2E_FAILED=1
check "sluiced logs the conflict" grep -q "source 127.0.0.30/32 authenticated as agents kagent and kother" "$TMP/sluiced.log"
kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log'"
[ "$E2E_FAILED" = 0 ] || { echo "--- sluiced.log"; tail -30 "$TMP/sluiced.log"; }
exit $E2E_FAILED
