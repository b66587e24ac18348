#!/bin/bash
# journal.sh - the audit records in journald: sluiced in front of
# sluice-demo-backend with journald as a sink (started here when the host
# runs none), an allowed, a denied and a rate-limited call read back with
# journalctl (SLUICE_* fields, MESSAGE, PRIORITY); a flood of denied packets
# through generic XDP on the lo of a network namespace arriving as
# per-second summaries whose counts add up to the kernel's counter;
# `sluicectl audit` filtering by agent, and --follow seeing a new record.
# tests/e2e/journal_cases.py holds the checks.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
. tests/e2e/journald_lib.sh

require_root
journald_ensure
SLUICED=$PWD/$BUILD/sluiced
SLUICECTL=$PWD/$BUILD/sluicectl
DEMO=$PWD/$BUILD/sluice-demo-backend
[ -x "$SLUICED" ] && [ -x "$DEMO" ] && [ -x "$SLUICECTL" ] || die "build first"
TMP=$(mktemp -d /tmp/sluice-journal.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1
PIN=/sys/fs/bpf/sluice-journal-$$
NS=sl-journal-$$
on_exit "rm -rf '$PIN'"
netns_add "$NS"

DPORT=$(free_port)
GPORT=$(free_port)
"$DEMO" --listen "127.0.0.1:$DPORT" 2>"$TMP/demo.log" &
E2E_PIDS+=($!)
wait_for "the demo backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$DPORT" ||
	die "demo backend did not start"
python3 tests/e2e/journal_cases.py write "$TMP" "$GPORT" "$DPORT" || die "cannot write the policy"

# The kernel half on the namespace's lo, its maps in a private pin directory.
check "attach generic XDP to lo in a namespace" \
	in_ns "$NS" "$SLUICECTL" --pin-dir "$PIN" attach lo --mode generic
on_exit "in_ns '$NS' '$SLUICECTL' --pin-dir '$PIN' detach lo >/dev/null 2>&1"

"$SLUICED" --policy "$TMP/policy.json" --workers 2 --pin-dir "$PIN" \
	--usage-db "$TMP/usage.db" >"$TMP/sluiced.log" 2>&1 &
GW=$!
E2E_PIDS+=($GW)
wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" || die "$(tail -3 "$TMP/sluiced.log")"

python3 tests/e2e/journal_cases.py run "$TMP" "$GPORT" "$SLUICECTL" "$NS" "$PIN" "$GW" || E2E_FAILED=1

kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log'"
exit $E2E_FAILED
