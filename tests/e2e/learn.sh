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
SLUICED=$PWD/$BUILD/sluiced
DEMO=$PWD/$BUILD/sluice-demo-backend
[ -x "$SLUICED" ] && [ -x "$DEMO" ] && [ -x "$SLUICECTL" ] || die "build first"
TAG=$$
NS=sllrn$TAG
PIN=/sys/fs/bpf/sluice-e2e-learn-$TAG
TMP=$(mktemp -d /tmp/sluice-learn.XXXXXX)
on_exit "rm -rf '$TMP'"
on_exit "rm -rf '$PIN'"
export SLUICE_PIN_DIR=$PIN PYTHONDONTWRITEBYTECODE=1

netns_add "$NS"
DPORT=18603
GPORT=18473
in_ns "$NS" "$SLUICECTL" attach lo --mode generic >"$TMP/attach.log" 2>&1 ||
	die "attach: $(cat "$TMP/attach.log")"
on_exit "in_ns '$NS' '$SLUICECTL' detach lo"
bg_in_ns "$NS" "$DEMO" --listen "127.0.0.1:$DPORT"
ns_port_open() { in_ns "$NS" bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
wait_for "the demo backend" 10 ns_port_open "$DPORT" || die "demo backend did not start"
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
