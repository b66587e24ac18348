#!/bin/bash
# conntag.sh - connection tags end to end: sluiced with the demo backend in a
# network namespace of the test's own, sluice attached to that namespace's
# lo in generic XDP mode with its pins in a private directory.  An
# authenticated connection is tagged in conn_tags with its agent's id
# (re-tagged when its identity changes) and untagged on close; 100,000
# connections leave no tag; a SIGKILLed daemon's tags are removed by the
# next one at start; a key-authenticated agent's plan packet and byte
# budgets drop its tagged connections' packets in XDP; a daemon started
# before the attach tags once the maps are pinned, clearing the tags it
# finds in them; a connection tagged before a re-pin is tagged in the new
# maps on its next request.
# tests/e2e/conntag_cases.py has the cases.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

require_root
kernel_ns tag
CHURN=${CONNTAG_CHURN:-100000}
CASES="timeout 300 python3 tests/e2e/conntag_cases.py"
DPORT=18601
GPORT=18471
ns_attach_lo
ns_demo_backend "$DPORT"

python3 tests/e2e/conntag_cases.py write "$TMP/policy.json" "$GPORT" "$DPORT" ||
	die "cannot write the policy"
start_gw() {
	nsenter --net="/run/netns/$NS" "$SLUICED" --policy "$TMP/policy.json" --workers 2 \
		--control "$TMP/ctl.sock" --usage-db "$TMP/usage.db" >>"$TMP/sluiced.log" 2>&1 &
	GW=$!
	E2E_PIDS+=($GW)
	wait_for "sluiced" 5 ns_port_open "$GPORT" || die "$(tail -3 "$TMP/sluiced.log")"
}
start_gw

in_ns "$NS" $CASES tags "$GPORT" "$PIN" "$SLUICECTL" || E2E_FAILED=1
in_ns "$NS" $CASES churn "$GPORT" "$PIN" "$CHURN" 240 || E2E_FAILED=1

# A daemon killed with a connection open leaves its tag; the next removes it.
in_ns "$NS" $CASES hold "$GPORT" alpha >"$TMP/hold.out" 2>&1 &
HOLD=$!
E2E_PIDS+=($HOLD)
wait_for "the held connection" 5 grep -q held "$TMP/hold.out" || die "hold: $(cat "$TMP/hold.out")"
$CASES count "$PIN" 1 "a held connection has its tag" || E2E_FAILED=1
kill -KILL "$GW"
wait "$GW" 2>/dev/null
$CASES count "$PIN" 1 "sluiced SIGKILLed: its tag is still in the map" || E2E_FAILED=1
check "sluiced SIGKILLed leaves the kernel half in place" test -e "$PIN/sl_agents"
start_gw
$CASES count "$PIN" 0 "the next sluiced removes every tag at start" || E2E_FAILED=1
check "and says so" grep -q "removed 1 connection tags of a previous run" "$TMP/sluiced.log"
kill "$HOLD"
wait "$HOLD" 2>/dev/null

in_ns "$NS" $CASES budgets "$GPORT" "$SLUICECTL" || E2E_FAILED=1

kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0

# A daemon started before any attach takes the maps once they are pinned:
# it tags (and could ban) from then on, without a restart.
in_ns "$NS" "$SLUICECTL" detach lo >>"$TMP/attach.log" 2>&1
check "detached: nothing pinned" test ! -e "$PIN/sl_agents"
start_gw
check "sluiced starts without the kernel half" \
	grep -q "no kernel half attached; running without it" "$TMP/sluiced.log"
# Stopped while the maps are pinned, so a tag no connection of its own owns
# is in them before it follows: it must clear it, as it does at start.
kill -STOP "$GW"
ns_attach_lo
$CASES stale "$PIN" && $CASES count "$PIN" 1 "a stale tag in the newly pinned maps" ||
	E2E_FAILED=1
kill -CONT "$GW"
check "sluiced takes the maps pinned after it started" \
	wait_for "sluiced to follow the new pins" 5 grep -q "new maps pinned at" "$TMP/sluiced.log"
$CASES count "$PIN" 0 "and removes the tags it finds in them" || E2E_FAILED=1
check "and says so" test "$(grep -c "removed 1 connection tags of a previous run" "$TMP/sluiced.log")" = 2
in_ns "$NS" $CASES tags "$GPORT" "$PIN" "$SLUICECTL" || E2E_FAILED=1

# Maps pinned anew under a running sluiced (a detach and an attach): a
# connection tagged in the old maps is tagged in the new ones on its next
# request.
in_ns "$NS" $CASES hold "$GPORT" alpha "$TMP/again" >"$TMP/hold2.out" 2>&1 &
HOLD=$!
E2E_PIDS+=($HOLD)
wait_for "the held connection" 5 grep -q held "$TMP/hold2.out" || die "hold: $(cat "$TMP/hold2.out")"
$CASES count "$PIN" 1 "a held connection has its tag" || E2E_FAILED=1
loads=$(grep -c "kernel policy generation" "$TMP/sluiced.log")
in_ns "$NS" "$SLUICECTL" detach lo >>"$TMP/attach.log" 2>&1
ns_attach_lo
check "sluiced loads its policy into the maps pinned anew" wait_for "the policy load" 5 \
	sh -c "test \$(grep -c 'kernel policy generation' '$TMP/sluiced.log') -gt $loads"
$CASES count "$PIN" 0 "the new maps hold no tag" || E2E_FAILED=1
touch "$TMP/again"
check "the held connection's next request is answered" \
	wait_for "its answer" 5 grep -q "again 404" "$TMP/hold2.out"
$CASES count "$PIN" 1 "and its connection is tagged in the new maps" || E2E_FAILED=1
touch "$TMP/again.close"
wait "$HOLD" 2>/dev/null
check "the tag goes when it closes" wait_for "no tag" 5 sh -c "test \$($CASES n '$PIN') = 0"

kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log'"
[ "$E2E_FAILED" = 0 ] || { echo "--- sluiced.log"; tail -30 "$TMP/sluiced.log"; }
exit $E2E_FAILED
