#!/bin/bash
# admin_kernel.sh - the admin port with the kernel half attached: two
# namespaces joined by a veth pair, "gw" (198.18.0.1: XDP on gw0, sluiced on
# the protected port 8470 in front of the demo backend, its admin port on
# the namespace's own loopback) and "cl" (198.18.0.2, in the deny list, and
# 198.18.0.3, agent-c's source).  Dropped packets show in /metrics (verdicts,
# reasons, per-agent drops), in /api/status (kernel counters, agent-c's
# kernel drops, the series) and in readiness: a policy naming
# kernel.interfaces is not ready without the kernel half.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

require_root
SLUICED=$PWD/$BUILD/sluiced
BACKEND=$PWD/$BUILD/sluice-demo-backend
[ -x "$SLUICECTL" ] && [ -x "$SLUICED" ] && [ -x "$BACKEND" ] || die "build first"

TAG=$$
GW=slagw$TAG
CL=slacl$TAG
PIN=/sys/fs/bpf/sluice-e2e-admin-$TAG
TMP=$(mktemp -d /tmp/sluice-admin-kernel.XXXXXX)
on_exit "rm -rf '$TMP'"
on_exit "rm -rf '$PIN'"
on_exit "nsenter --net=/run/netns/$GW '$SLUICECTL' --pin-dir '$PIN' detach gw0"
PY=$(command -v /usr/bin/python3 || command -v python3)

netns_add "$GW"
netns_add "$CL"
ip link add gw0 netns "$GW" type veth peer name cl0 netns "$CL" || die "veth pair"
in_ns "$GW" ip addr add 198.18.0.1/24 dev gw0
in_ns "$CL" ip addr add 198.18.0.2/24 dev cl0
in_ns "$CL" ip addr add 198.18.0.3/24 dev cl0
in_ns "$GW" ip link set gw0 up
in_ns "$CL" ip link set cl0 up

cat >"$TMP/policy.json" <<'EOF'
{
  "version": 1,
  "listen": "198.18.0.1:8470",
  "admin": "127.0.0.1:8471",
  "backends": { "main": { "url": "http://127.0.0.1:9000/mcp" } },
  "kernel": {
    "interfaces": [{ "name": "gw0", "mode": "native" }],
    "protected_ports": [8470],
    "deny": ["198.18.0.2/32"]
  },
  "agents": { "agent-c": { "sources": ["198.18.0.3/32"] } }
}
EOF
ctl() { in_ns "$GW" "$SLUICECTL" --pin-dir "$PIN" "$@"; }
ctl policy check "$TMP/policy.json" >"$TMP/check.log" 2>&1 || die "policy: $(cat "$TMP/check.log")"
ctl attach gw0 --mode native >"$TMP/attach.log" 2>&1 || die "attach: $(cat "$TMP/attach.log")"
ctl policy load "$TMP/policy.json" >>"$TMP/attach.log" 2>&1 || die "load: $(cat "$TMP/attach.log")"

bg_in_ns "$GW" "$BACKEND" --listen 127.0.0.1:9000
nsenter --net="/run/netns/$GW" "$SLUICED" --policy "$TMP/policy.json" --workers 1 --pin-dir "$PIN" \
	--control "$TMP/ctl.sock" --usage-db "$TMP/usage.db" >"$TMP/sluiced.log" 2>&1 &
SLUICED_PID=$!
E2E_PIDS+=("$SLUICED_PID")
gw_open() { in_ns "$GW" bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
wait_for "sluiced" 5 gw_open 198.18.0.1 8470 || die "sluiced: $(tail -3 "$TMP/sluiced.log")"
wait_for "the admin port" 5 gw_open 127.0.0.1 8471 || die "admin: $(tail -3 "$TMP/sluiced.log")"

admin() { in_ns "$GW" curl -s --max-time 5 "http://127.0.0.1:8471$1"; }
scrape() { admin /metrics >"$TMP/scrape.txt"; }
val() { $PY tests/e2e/admin_metrics.py value "file://$TMP/scrape.txt" "$@"; }
# connects FROM: one bounded TCP attempt on the protected port.
connects() {
	in_ns "$CL" timeout 3 socat -T1 - "TCP:198.18.0.1:8470,bind=$1,connect-timeout=1" \
		</dev/null >/dev/null 2>&1
}

check "ready: backend up and the kernel half attached as the policy asks" \
	wait_for "ready" 5 bash -c "$(declare -f admin); GW=$GW; admin /readyz | jq -e '.ready'"
check "agent-c's source reaches the gateway" connects 198.18.0.3
check_not "the denied source does not" connects 198.18.0.2
ctl ban agent-c --for 1m >/dev/null 2>&1 || fail "ban" "sluicectl ban agent-c"
check_not "banned agent-c does not either" connects 198.18.0.3
sleep 1.2	# a sample

scrape
check "sluice_kernel_attached 1" test "$(val sluice_kernel_attached)" = 1
check "kernel verdicts: drops counted" test "$(val sluice_kernel_verdicts_total verdict=drop | cut -d. -f1)" -ge 1
check "kernel reasons: the deny list's drops" test "$(val sluice_kernel_reasons_total reason=deny | cut -d. -f1)" -ge 1
check "kernel reasons: the ban's drops" test "$(val sluice_kernel_reasons_total reason=banned | cut -d. -f1)" -ge 1
check "per-agent kernel drops: agent-c" test "$(val sluice_kernel_agent_drops_total agent=agent-c | cut -d. -f1)" -ge 1
check "/metrics stays valid with the kernel families" \
	in_ns "$GW" "$PY" tests/e2e/admin_metrics.py valid http://127.0.0.1:8471/metrics
S=$(admin /api/status)
check "/api/status: kernel attached, its counters, agent-c's kernel drops" \
	jq -e '.kernel.attached and .kernel.counters.deny >= 1 and (.agents[] | select(.name == "agent-c") | .kernel_drops >= 1)' <<<"$S"
check "/api/status: the series has the kernel drops" jq -e '(.series.kernel_drops | add) >= 2' <<<"$S"

# The same policy, no kernel half (an empty pin directory): not ready, and why.
sed -e 's/198.18.0.1:8470/198.18.0.1:8480/' -e 's/127.0.0.1:8471/127.0.0.1:8481/' \
	"$TMP/policy.json" >"$TMP/policy2.json"
nsenter --net="/run/netns/$GW" "$SLUICED" --policy "$TMP/policy2.json" --workers 1 --pin-dir "$TMP/no-kernel" \
	--control "$TMP/ctl2.sock" --usage-db "$TMP/usage2.db" >"$TMP/sluiced2.log" 2>&1 &
E2E_PIDS+=($!)
wait_for "the second admin port" 5 gw_open 127.0.0.1 8481 || fail "second daemon" "$(tail -3 "$TMP/sluiced2.log")"
check "kernel.interfaces named, no kernel half: /readyz 503 saying so" bash -c "
	test \$(in_ns() { nsenter --net=/run/netns/\$1 \"\${@:2}\"; }; in_ns $GW curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8481/readyz) = 503 &&
	nsenter --net=/run/netns/$GW curl -s http://127.0.0.1:8481/readyz | jq -e '.not_ready[] | select(.kernel == \"not attached\")'"

kill -TERM "$SLUICED_PID"
wait "$SLUICED_PID"
RC=$?
check "sluiced exits 0 after SIGTERM" bash -c "test $RC = 0 || { tail -4 '$TMP/sluiced.log'; false; }"
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log' '$TMP/sluiced2.log'"
exit $E2E_FAILED
