#!/bin/bash
# scripts/demo.sh - `make demo`: the kernel half on loopback, step by step.
#
# Attaches sluice to lo in generic XDP mode with the example policy, runs a
# TCP service on the protected port 8470, and shows a block, a ban and the
# counters.  Everything it made is removed when it ends (Ctrl-C included).
# Needs root.  Traffic stays on 127.0.0.0/8.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CTL=$PWD/$BUILD/sluicectl
POLICY=${POLICY:-policies/example.json}
PIN=${SLUICE_PIN_DIR:-/sys/fs/bpf/sluice}
export SLUICE_PIN_DIR=$PIN
SERVICE_PID=

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

cleanup() {
	[ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null
	"$CTL" detach lo >/dev/null 2>&1
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "make demo needs root (it attaches XDP to lo)"; exit 1; }
if [ -e "$PIN/links/xdp_lo" ]; then
	echo "sluice is already attached to lo ($PIN); run '$CTL detach lo' first"
	trap - EXIT
	exit 1
fi

# connect FROM: one bounded exchange with the service on 127.0.0.1:8470.
connect() {
	local out
	out=$(timeout 4 socat -T2 - "TCP:127.0.0.1:8470,bind=$1,connect-timeout=1" \
		</dev/null 2>/dev/null)
	if [ "$out" = sluice-ok ]; then
		echo "  $1 -> 127.0.0.1:8470: connected"
	else
		echo "  $1 -> 127.0.0.1:8470: no connection (sluice dropped or reset it)"
	fi
}

# time_connect FROM: like connect, and how long it took to be told.
time_connect() {
	local start=$(date +%s%N)
	connect "$1"
	echo "  (answered in $(( ($(date +%s%N) - start) / 1000000 )) ms: an RST fails fast, a drop waits)"
}

step "a TCP service on the protected port 127.0.0.1:8470"
socat TCP-LISTEN:8470,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo sluice-ok' &
SERVICE_PID=$!
sleep 0.3

step "check the example policy"
run "$CTL" policy check "$POLICY" || exit 1

step "attach to lo (generic XDP) and load the policy into the maps"
run "$CTL" attach lo --mode generic || exit 1
run "$CTL" policy load "$POLICY" || exit 1
run "$CTL" status

step "three loopback sources connect (127.0.0.2 and .3 are agents by source in the policy)"
connect 127.0.0.1
connect 127.0.0.2
connect 127.0.0.3

step "block 127.0.0.3 for 30 seconds: dropped in XDP; the others are not"
run "$CTL" block 127.0.0.3 --for 30s
connect 127.0.0.1
connect 127.0.0.3
run "$CTL" unblock 127.0.0.3
connect 127.0.0.3

step "ban claude-assistant (127.0.0.2; its policy answers a ban with a TCP RST)"
run "$CTL" ban claude-assistant --for 1m
time_connect 127.0.0.2
run "$CTL" unban claude-assistant
connect 127.0.0.2

step "the source table, the counters and the events"
run "$CTL" sources
run "$CTL" stats
run "$CTL" events --count 3 --timeout 1

step "detach: everything sluice attached and pinned goes"
run "$CTL" detach lo
trap - EXIT
kill "$SERVICE_PID" 2>/dev/null
