#!/bin/bash
# limits.sh - rate limits end to end: sluiced in front of sluice-demo-backend
# with a policy of two agents on one plan; tests/e2e/limits_cases.py holds
# the cases (429 and every header and field of it, RateLimit on allowed
# calls, limits keyed by identity across sessions, a reload that keeps or
# resets state, a client that waits as told).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

SLUICED=$PWD/$BUILD/sluiced
DEMO=$PWD/$BUILD/sluice-demo-backend
[ -x "$SLUICED" ] && [ -x "$DEMO" ] || die "build first: $SLUICED, $DEMO"
TMP=$(mktemp -d /tmp/sluice-limits.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1

DPORT=$(free_port)
GPORT=$(free_port)
"$DEMO" --listen "127.0.0.1:$DPORT" 2>"$TMP/demo.log" &
E2E_PIDS+=($!)
wait_for "the demo backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$DPORT" ||
	die "demo backend did not start"

# The cases write the policy (their own keys and limits) and reload it.
python3 tests/e2e/limits_cases.py write "$TMP/policy.json" "$GPORT" "$DPORT" 4 ||
	die "cannot write the policy"
start_gw() {
	"$SLUICED" --policy "$TMP/policy.json" --workers 2 --control "$TMP/ctl.sock" \
		--pin-dir "$TMP/no-kernel" --usage-db "$TMP/usage.db" >>"$TMP/sluiced.log" 2>&1 &
	GW=$!
	E2E_PIDS+=($GW)
	wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" ||
		die "$(tail -3 "$TMP/sluiced.log")"
}
start_gw

python3 tests/e2e/limits_cases.py run "$TMP/policy.json" "$GPORT" "$DPORT" \
	"$SLUICECTL --control $TMP/ctl.sock" || E2E_FAILED=1

kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
# A restart: the budgets start from what the usage ledger says was spent.
start_gw
python3 tests/e2e/limits_cases.py restarted "$TMP/policy.json" "$GPORT" "$DPORT" || E2E_FAILED=1
kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM (after the restart)" test $? = 0
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log'"
exit $E2E_FAILED
