#!/bin/bash
# maps_follow.sh - a running sluiced follows the pinned maps.
#
# The last detach unpins the maps and the attach after it pins new, empty
# ones (switching native <-> generic XDP takes both).  sluiced, started on
# the first set, must notice (on its once-a-second check and on each
# control request), re-open the pinned maps and load its policy's kernel
# part into them, so that enforcement comes back without a restart and a
# reload lands in the maps the programs read; when that load fails (the
# new maps hold entries its policy does not fit beside), it tries again
# every second until it succeeds.  One namespace "gw" with a
# veth end gw0, reached from "cl" (198.18.0.2).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

require_root
[ -x "$SLUICECTL" ] || die "$SLUICECTL not built"
SLUICED=$PWD/$BUILD/sluiced
[ -x "$SLUICED" ] || die "$SLUICED not built"

TAG=$$
GW=slfg$TAG
CL=slfc$TAG
PIN=/sys/fs/bpf/sluice-e2e-follow-$TAG
TMP=$(mktemp -d /tmp/sluice-follow.XXXXXX)
on_exit "rm -rf '$TMP'"
on_exit "rm -rf '$PIN'"
on_exit "nsenter --net=/run/netns/$GW '$SLUICECTL' --pin-dir '$PIN' detach gw0"
export SLUICE_PIN_DIR=$PIN SLUICE_CONTROL=$TMP/ctl.sock

ctl() { in_ns "$GW" "$SLUICECTL" "$@"; }

netns_add "$GW"
netns_add "$CL"
ip link add gw0 netns "$GW" type veth peer name cl0 netns "$CL" || die "veth pair"
in_ns "$GW" ip addr add 198.18.0.1/24 dev gw0
in_ns "$CL" ip addr add 198.18.0.2/24 dev cl0
in_ns "$GW" ip link set gw0 up
in_ns "$CL" ip link set cl0 up
bg_in_ns "$GW" socat TCP-LISTEN:8470,bind=198.18.0.1,reuseaddr,fork SYSTEM:'echo sluice-ok'

connects() {
	local out
	out=$(in_ns "$CL" timeout 4 socat -T2 - \
		"TCP:198.18.0.1:8470,bind=198.18.0.2,connect-timeout=1" </dev/null 2>/dev/null)
	[ "$out" = sluice-ok ]
}
wait_for "the service" 5 connects || die "service not reachable"

PORT=$(free_port)
APORT=$(free_port)
# policy DENY...: the policy file, denying the given sources in the kernel.
policy() {
	local deny
	deny=$(printf '"%s",' "$@")
	cat >"$TMP/policy.json" <<EOJ
{ "version": 1, "listen": "127.0.0.1:$PORT", "admin": "127.0.0.1:$APORT",
  "backends": { "main": { "url": "http://127.0.0.1:9/mcp" } },
  "kernel": { "protected_ports": [8470], "deny": [${deny%,}] },
  "agents": { "held": { "sources": ["203.0.113.9"] } } }
EOJ
}
# denied PREFIX: the pinned maps hold PREFIX as a policy deny.
denied() {
	ctl sources --json | jq -e --arg p "$1" 'any(.[]; .prefix == $p and .policy_deny)'
}

policy 192.0.2.0/24
check "attach native XDP" ctl attach gw0 --mode native
"$SLUICED" --policy "$TMP/policy.json" --workers 1 --pin-dir "$PIN" \
	--control "$TMP/ctl.sock" >"$TMP/sluiced.log" 2>&1 &
SLUICED_PID=$!
E2E_PIDS+=($SLUICED_PID)
wait_for "sluiced" 5 port_open "$PORT" || die "sluiced did not start: $(tail -3 "$TMP/sluiced.log")"
check "sluiced loads its deny into the maps" denied 192.0.2.0/24
# banned AGENT: the pinned maps have AGENT banned.
banned() { ctl stats --json | jq -e --arg a "$1" 'any(.agents[]; .name == $a and .banned_for_s > 0)'; }
check "sluicectl ban held, sluiced running" env SLUICE_CONTROL="$TMP/ctl.sock" \
	nsenter --net="/run/netns/$GW" "$SLUICECTL" ban held --for 1h
check "the ban is in the maps" banned held

# --- native -> generic: a detach (maps unpinned) and an attach (new maps) ------
check "detach" ctl detach gw0
check "the pins are gone" test ! -e "$PIN"
check "attach generic XDP: new, empty maps" ctl attach gw0 --mode generic
policy 192.0.2.0/24 198.18.0.2
check "sluicectl reload through the control socket" "$SLUICECTL" reload
check "the reload's new deny is in the NEW maps" denied 198.18.0.2/32
check "so is the deny sluiced loaded at start" denied 192.0.2.0/24
check_not "and the generic XDP program enforces it" connects

# --- generic -> native, no control request: the timer finds the new maps ----------
check "detach again" ctl detach gw0
check "attach native XDP again" ctl attach gw0 --mode native
check "within 3 s sluiced loads its policy into them by itself" \
	wait_for "the deny in the new maps" 3 denied 198.18.0.2/32
check_not "and the native XDP program enforces it" connects
check "the ban sluiced holds is written into the new maps (a re-pin lifts no ban)" \
	wait_for "held's ban in the new maps" 3 banned held
check_not "and sluiced did not record it lifted" grep -q "agent held: ban lifted" "$TMP/sluiced.log"
check "sluiced says why it reloaded the maps" \
	grep -q "new maps pinned at $PIN" "$TMP/sluiced.log"
check "sluiced is still serving" port_open "$PORT"

# --- new maps the policy does not fit into at first: retried until it does ------
# bigpolicy FIRST N FILE [DENY...]: N exact denies from 10.FIRST.0.0 on, and DENY.
bigpolicy() {
	python3 - "$PORT:$APORT" "$@" <<'EOP'
import json, sys
port, aport = sys.argv[1].split(":")
first, n, path, extra = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
deny = [f"10.{first + i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(n)] + extra
json.dump({"version": 1, "listen": f"127.0.0.1:{port}", "admin": f"127.0.0.1:{aport}",
           "backends": {"main": {"url": "http://127.0.0.1:9/mcp"}},
           "kernel": {"protected_ports": [8470], "deny": deny},
           "agents": {"held": {"sources": ["203.0.113.9"]}}}, open(path, "w"))
EOP
}
bigpolicy 1 40000 "$TMP/policy.json" 198.18.0.2
check "sluiced reloads a policy of 40,000 denies" "$SLUICECTL" reload
# Stopped while the maps are replaced by new ones already holding 30,000
# other denies: its 40,000 and those do not fit the maps together, so its
# load into them fails until those are gone.
kill -STOP "$SLUICED_PID"
check "detach (sluiced stopped)" ctl detach gw0
check "attach native XDP" ctl attach gw0 --mode native
bigpolicy 100 30000 "$TMP/other.json"
check "another policy of 30,000 denies loaded into the new maps by hand" \
	ctl policy load "$TMP/other.json"
kill -CONT "$SLUICED_PID"
check "sluiced says the new maps do not hold its policy" \
	wait_for "the warning" 5 grep -q "do not hold the running policy; trying again" "$TMP/sluiced.log"
check_not "its deny is not in them" denied 198.18.0.2/32
# no_policy_ready: /readyz lists "the maps do not hold the running policy".
no_policy_ready() {
	curl -s "http://127.0.0.1:$APORT/readyz" | jq -e 'any(.not_ready[]; .kernel == "no policy")'
}
check "/readyz says so" no_policy_ready
bigpolicy 100 0 "$TMP/other.json"
check "the other policy's denies removed by hand" ctl policy load "$TMP/other.json"
check "sluiced loads its policy on its next try" \
	wait_for "the policy in the maps" 5 grep -q "the policy is in the maps pinned at" "$TMP/sluiced.log"
check "its deny is in the maps" denied 198.18.0.2/32
check_not "and /readyz no longer lists it" no_policy_ready
check_not "and the XDP program enforces it" connects

# The same failure, then a reload of a policy that fits beside the other
# denies: the bans sluiced holds go into the maps with it (none is lifted).
kill -STOP "$SLUICED_PID"
check "detach (sluiced stopped)" ctl detach gw0
check "attach native XDP" ctl attach gw0 --mode native
bigpolicy 100 30000 "$TMP/other.json"
check "the other policy of 30,000 denies loaded into the new maps again" \
	ctl policy load "$TMP/other.json"
kill -CONT "$SLUICED_PID"
check "sluiced says the new maps do not hold its policy" wait_for "the warning again" 5 \
	sh -c "test \$(grep -c 'do not hold the running policy' '$TMP/sluiced.log') -ge 2"
policy 192.0.2.0/24 198.18.0.2
check "a reload of a policy that fits beside them" "$SLUICECTL" reload
check "its deny is in the maps" denied 198.18.0.2/32
check "the ban sluiced holds is in them too" banned held
check_not "and sluiced did not record it lifted" grep -q "agent held: ban lifted" "$TMP/sluiced.log"
check_not "/readyz no longer lists the maps" no_policy_ready
check "sluiced is still serving" port_open "$PORT"
kill -TERM "$SLUICED_PID" && wait "$SLUICED_PID"
rc=$?
check "sluiced stops cleanly (exit 0, no sanitizer report)" sh -c "
	test $rc = 0 && ! grep -Eq 'Sanitizer|runtime error' '$TMP/sluiced.log'"

exit $E2E_FAILED
