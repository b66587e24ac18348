#!/bin/bash
# scenario.sh - the analytics company of the README, end to end: three agents
# at once through sluiced on policies/example.json, in front of
# tests/e2e/hostile_backend.py (which counts what reaches it):
#   gpt-analyst (free plan) runs run_query at ten times its rate limit;
#   ops-bot sends SQL injections;
#   claude-assistant (pro, not premium) uses get_dashboard's premium filters.
# tests/e2e/scenario_cases.py asserts each outcome, what the backend saw, the
# audit records and the usage ledger.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

SLUICED=$PWD/$BUILD/sluiced
[ -x "$SLUICED" ] || die "build first: $SLUICED"
TMP=$(mktemp -d /tmp/sluice-scenario.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1

HPORT=$(free_port)
GPORT=$(free_port)
python3 tests/e2e/hostile_backend.py --listen "127.0.0.1:$HPORT" --lifetime 120 \
	>"$TMP/hostile.log" 2>&1 &
E2E_PIDS+=($!)
wait_for "the backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HPORT" || die "backend did not start"
python3 - "$TMP" "$GPORT" "$HPORT" <<'PY' || die "policy"
import json, sys
tmp, port, backend = sys.argv[1:4]
p = json.load(open("policies/example.json"))
p["listen"] = f"127.0.0.1:{port}"
p.pop("admin", None)
for b in p["backends"].values():
    b["url"] = f"http://127.0.0.1:{backend}/mcp"
p["audit"] = {"jsonl": f"{tmp}/audit.jsonl"}
json.dump(p, open(f"{tmp}/policy.json", "w"), indent=1)
PY
"$SLUICED" --policy "$TMP/policy.json" --workers 2 --pin-dir "$TMP/no-kernel" \
	--usage-db "$TMP/usage.db" >"$TMP/sluiced.log" 2>&1 &
GW=$!
E2E_PIDS+=($GW)
wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" || die "$(tail -3 "$TMP/sluiced.log")"

python3 tests/e2e/scenario_cases.py run "$TMP" "$GPORT" "$HPORT" || E2E_FAILED=1
kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
"$SLUICECTL" usage --db "$TMP/usage.db" --json >"$TMP/usage.json" 2>&1
"$SLUICECTL" usage --db "$TMP/usage.db" --upsell --json >"$TMP/upsell.json" 2>&1
python3 tests/e2e/scenario_cases.py after-stop "$TMP" "$GPORT" "$HPORT" || E2E_FAILED=1
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log'"
exit $E2E_FAILED
