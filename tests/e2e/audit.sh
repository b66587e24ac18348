#!/bin/bash
# audit.sh - the audit record of every tool call, resource read and prompt get,
# in the policy's JSONL sink: sluiced in front of sluice-demo-backend, calls
# allowed and refused, the fields of each record, arguments redacted with
# the SHA-256 of what was sent, a logrotate-style move with SIGUSR1, and
# nothing lost on SIGTERM.  tests/e2e/audit_cases.py holds the checks.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

SLUICED=$PWD/$BUILD/sluiced
DEMO=$PWD/$BUILD/sluice-demo-backend
[ -x "$SLUICED" ] && [ -x "$DEMO" ] || die "build first: $SLUICED, $DEMO"
TMP=$(mktemp -d /tmp/sluice-audit.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1

DPORT=$(free_port)
GPORT=$(free_port)
"$DEMO" --listen "127.0.0.1:$DPORT" 2>"$TMP/demo.log" &
E2E_PIDS+=($!)
wait_for "the demo backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$DPORT" ||
	die "demo backend did not start"
python3 tests/e2e/audit_cases.py write "$TMP" "$GPORT" "$DPORT" || die "cannot write the policy"
"$SLUICED" --policy "$TMP/policy.json" --workers 2 --pin-dir "$TMP/no-kernel" \
	--audit-spool "$TMP/spool/audit.spool" >"$TMP/sluiced.log" 2>&1 &
GW=$!
E2E_PIDS+=($GW)
wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" || die "$(tail -3 "$TMP/sluiced.log")"
check "--audit-spool: the spool is made there, whole (32 MiB), its directory too" \
	test "$(stat -c %s "$TMP/spool/audit.spool" 2>/dev/null)" = $((4096 + (32 << 20)))

python3 tests/e2e/audit_cases.py run "$TMP" "$GPORT" "$GW" || E2E_FAILED=1

kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
python3 tests/e2e/audit_cases.py after-stop "$TMP" "$GPORT" "$GW" || E2E_FAILED=1
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log'"
exit $E2E_FAILED
