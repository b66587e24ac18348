#!/bin/bash
# flood_gen.sh - the packet generator (scripts/bench/sl-flood) sends what it
# says: frames the receiving stack takes as valid TCP and UDP over IPv4 and
# IPv6 (checksums included), from the sources asked for, exactly --count of
# them, stopping at --duration, and refusing bad options.
#
# Two namespaces joined by a veth pair: "tx" (198.18.0.2, 2001:2::2) sends
# with sl-flood; "rx" (198.18.0.1, 2001:2::1, GRO on so that redirected
# frames are received) counts with nstat and a capture-free check: a UDP
# socket that records the source of what it receives.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

require_root
FLOOD=$PWD/$BUILD/bench/sl-flood
[ -x "$FLOOD" ] || die "$FLOOD not built"

TAG=$$
TX=slgtx$TAG
RX=slgrx$TAG
TMP=$(mktemp -d /tmp/sluice-flood-gen.XXXXXX)
on_exit "rm -rf '$TMP'"

netns_add "$TX"
netns_add "$RX"
ip link add gt0 netns "$TX" type veth peer name gr0 netns "$RX" || die "veth pair"
in_ns "$TX" ip addr add 198.18.0.2/24 dev gt0
in_ns "$RX" ip addr add 198.18.0.1/24 dev gr0
in_ns "$TX" ip addr add 2001:2::2/64 dev gt0 nodad
in_ns "$RX" ip addr add 2001:2::1/64 dev gr0 nodad
in_ns "$TX" ip link set gt0 up
in_ns "$RX" ip link set gr0 up
ip netns exec "$RX" ethtool -K gr0 gro on >/dev/null || die "GRO on gr0"
MAC=$(in_ns "$RX" ip -j link show gr0 | jq -r '.[0].address')

gen() { in_ns "$TX" "$FLOOD" --dev gt0 --dst-mac "$MAC" "$@"; }
stat() { in_ns "$RX" nstat -az "$1" | awk -v k="$1" '$1 == k {print $2}'; }
# delta COUNTER command...: how much COUNTER grew while the command ran.
delta() {
	local k=$1 a b; shift
	a=$(stat "$k"); "$@" >/dev/null 2>&1; b=$(stat "$k")
	echo $((b - a))
}

csum0=$(($(stat TcpInCsumErrors) + $(stat UdpInCsumErrors) + $(stat Udp6InCsumErrors)))
check "IPv4 SYNs: 500 sent, 500 TCP segments received" \
	test "$(delta TcpInSegs gen --dst 198.18.0.1 --src 198.19.0.0/16 --count 500)" = 500
check "IPv4 ACK|PSH with payload: 300 received" \
	test "$(delta TcpInSegs gen --dst 198.18.0.1 --src 198.18.0.2 --proto tcp --payload 33 --count 300)" = 300
check "IPv4 UDP with an odd payload: 200 reach UDP (no port: NoPorts)" \
	test "$(delta UdpNoPorts gen --dst 198.18.0.1 --src 198.18.0.2 --proto udp --payload 17 --dport 9 --count 200)" = 200
check "IPv6 SYNs from a /48 (one source per /64): 400 received" \
	test "$(delta TcpInSegs gen --dst 2001:2::1 --src 2001:2:1::/48 --count 400)" = 400
check "IPv6 UDP from a /120: 200 reach UDP" \
	test "$(delta Udp6NoPorts gen --dst 2001:2::1 --src 2001:2::100/120 --proto udp --payload 8 --dport 9 --count 200)" = 200
csum1=$(($(stat TcpInCsumErrors) + $(stat UdpInCsumErrors) + $(stat Udp6InCsumErrors)))
check "no checksum errors at the receiver" test "$csum1" = "$csum0"

# The sources: a UDP listener in rx records who sent what.
nsenter --net="/run/netns/$RX" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.1", 7777)); s.settimeout(0.5)
open(sys.argv[1] + ".ready", "w").close()
seen, end = set(), time.monotonic() + 15
while time.monotonic() < end:
    try:
        data, (src, port) = s.recvfrom(2048)
    except socket.timeout:
        if seen: break
        continue
    seen.add(src)
open(sys.argv[1], "w").write("\n".join(sorted(seen)) + "\n")
' "$TMP/sources" </dev/null >/dev/null 2>&1 &
E2E_PIDS+=($!)
LISTENER=$!
wait_for "the UDP listener" 10 test -e "$TMP/sources.ready" || die "the UDP listener did not start"
gen --dst 198.18.0.1 --src 198.19.4.0/30 --proto udp --dport 7777 --payload 4 --count 40 >/dev/null
wait "$LISTENER"
check "a /30 range sends from its two host addresses, not the network or broadcast" \
	test "$(tr '\n' ' ' <"$TMP/sources")" = "198.19.4.1 198.19.4.2 "

# Bounds.
out=$(gen --dst 198.18.0.1 --count 100000000 --rate 1000 --duration 1.5 --json)
check "--duration stops a run that --count would not (1.5 s at 1000/s)" \
	jq -e '.seconds < 2.5 and .sent >= 1000 and .sent <= 1600' <<<"$out"
out=$(gen --dst 198.18.0.1 --count 12345 --json)
check "--count sends exactly that many, flat out" jq -e '.sent == 12345' <<<"$out"
check_not "a bad MAC is refused" gen --dst 198.18.0.1 --dst-mac 02:00 --count 1
check_not "--duration over 600 s is refused" gen --dst 198.18.0.1 --duration 601
check_not "mixed families are refused" gen --dst 2001:2::1 --src 198.19.0.0/16 --count 1
check_not "a payload on a SYN is refused" gen --dst 198.18.0.1 --payload 10 --count 1
check_not "a device not in this namespace is refused" \
	in_ns "$TX" "$FLOOD" --dev nosuch0 --dst-mac "$MAC" --dst 198.18.0.1 --count 1
exit $E2E_FAILED
