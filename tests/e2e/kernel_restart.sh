#!/bin/bash
# kernel_restart.sh - enforcement survives the daemon: sluiced attaches the
# kernel half itself per the policy's kernel.interfaces (generic XDP on the
# lo of a network namespace of the test's own, pins in a private
# directory), leaves it in place when it stops (SIGTERM or SIGKILL), and a
# new sluiced adopts the pinned programs and maps: a ban set before the
# restart still resets new connections in XDP and is refused by the new
# daemon too.  Cases from tests/e2e/escalation_cases.py (probe, call).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

require_root
kernel_ns rst
CASES="python3 tests/e2e/escalation_cases.py"
DPORT=18602
GPORT=18472
ns_demo_backend "$DPORT"
$CASES write "$TMP/p.json" "$GPORT" "$DPORT" "$TMP/audit.jsonl" || die "policy"
python3 - "$TMP/p.json" <<'PY' || die "policy"
import json, sys
p = json.load(open(sys.argv[1]))
p["kernel"]["interfaces"] = [{"name": "lo", "mode": "generic"}]
json.dump(p, open(sys.argv[1], "w"), indent=1)
PY

# Up to 30 s: this sluiced loads and verifies the BPF programs before it listens.
start_gw() {
	nsenter --net="/run/netns/$NS" "$SLUICED" --policy "$TMP/p.json" --workers 2 \
		--control "$TMP/ctl.sock" --usage-db "$TMP/usage.db" >>"$TMP/sluiced.log" 2>&1 &
	GW=$!
	E2E_PIDS+=($GW)
	wait_for "sluiced" 30 ns_port_open "$GPORT" || die "$(tail -3 "$TMP/sluiced.log")"
}
xdp_mode() { in_ns "$NS" bpftool net show dev lo -j | jq -r '.[0].xdp[0].mode // "none"'; }
probe() { in_ns "$NS" $CASES probe "$GPORT" 127.0.0.2; }
call() { in_ns "$NS" $CASES call "$GPORT" "$1" hammer; }

check_not "nothing is attached before sluiced starts" test -e "$PIN/sl_agents"
start_gw
check "sluiced attaches generic XDP to lo per kernel.interfaces" test "$(xdp_mode)" = generic
check "and pins the maps" test -e "$PIN/sl_agents"
check "it says so" grep -q "kernel half attached to lo (generic)" "$TMP/sluiced.log"
check "the agent's source connects" test "$(probe)" = ok
check "sluicectl ban with the daemon running" "$SLUICECTL" --control "$TMP/ctl.sock" \
	ban hammer --for 120s
check "the banned agent's source is reset by XDP" test "$(probe)" = reset

kill -KILL "$GW"
wait "$GW" 2>/dev/null
check "sluiced SIGKILLed: XDP stays attached" test "$(xdp_mode)" = generic
check "and keeps resetting the banned agent's source" test "$(probe)" = reset
start_gw
check "a new sluiced adopts the pins (no second attachment)" \
	test "$(in_ns "$NS" bpftool net show dev lo -j | jq '.[0].xdp | length')" = 1
check "the ban set before the restart still holds in XDP" test "$(probe)" = reset
check "and in the new daemon: the agent's key from elsewhere gets 403 -32016" \
	test "$(call 127.0.0.9)" = "403 -32016"
check "sluicectl unban" "$SLUICECTL" --control "$TMP/ctl.sock" unban hammer
check "the agent is let in again" test "$(call 127.0.0.2)" = "200 0"
kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
check "and leaves XDP attached" test "$(xdp_mode)" = generic
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log'"
[ "$E2E_FAILED" = 0 ] || { echo "--- sluiced.log"; tail -30 "$TMP/sluiced.log"; }
exit $E2E_FAILED
