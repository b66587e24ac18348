#!/bin/bash
# flood.sh - one SYN flood, three gateways, side by side in one run:
#   xdp       sluice's XDP program (native, on the gateway's veth), its policy
#             a deny prefix and a per-source SYN rate (kernel.deny,
#             kernel.syn_per_source);
#   nftables  the same rules in nftables at netdev ingress: an interval set
#             of denied prefixes and a dynamic set limiting SYNs per source;
#   none      no protection: the TCP stack takes the flood.
#
# Hosts are network namespaces this script creates (198.18.0.0/15 only):
#   gw   the gateway: fg0 198.18.0.1 (the flooded link), fg1 198.18.1.1 (the
#        legitimate client's link), a request/response server on port 8470;
#   fl   the flood sender: fs0 198.18.0.2, scripts/bench/sl-flood sending SYNs
#        to 198.18.0.1:8470 from 65534 spoofed sources in 198.19.0.0/16, flat
#        out, from CPU 0;
#   cl   the legitimate client: fc0 198.18.1.2, 100 requests a second on one
#        TCP connection to 198.18.1.1:8470 during each flood.
# fg0 receives in a threaded NAPI kthread pinned to CPU 1 (SCHED_FIFO, so that
# other work on this machine does not steal it): the receiver's CPU cost per
# packet is that kthread's CPU time (/proc/PID/schedstat) over the frames
# fg0 received.  Half the spoofed sources (198.19.128.0/17) are denied; the
# other half send 10 to 40 SYNs a second each (with the flood's rate) against
# a limit of 1 a second (burst 2), so nearly all of the flood is dropped
# whatever rate the sender reaches.
#
# Prints one table and, last, the ratio of the XDP and nftables drop rates.
# Needs root.  Removes everything it created on any exit (Ctrl-C included).
# A run takes about 50 s.  Never fails on a number.
#
#   scripts/bench/flood.sh [FLOOD_SECONDS]      (default 8, at most 20)
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
FLOOD_S=${1:-8}
GEN_CPU=0
RX_CPU=1
LEGIT_RATE=100
PORT=8470
TAG=$$
GW=slfgw$TAG
FL=slffl$TAG
CL=slfcl$TAG
PIN=/sys/fs/bpf/sluice-flood-$TAG
TMP=
PIDS=()
SLUICECTL=$PWD/$BUILD/sluicectl
FLOOD=$PWD/$BUILD/bench/sl-flood
RR=$PWD/scripts/bench/flood-rr.py

say() { echo "flood: $*" >&2; }
fatal() { say "$*"; exit 1; }

cleanup() {
	local pid ns
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	[ -e "$PIN" ] && SLUICE_PIN_DIR=$PIN in_ns "$GW" "$SLUICECTL" detach fg0 >/dev/null 2>&1
	rm -rf "$PIN"
	for ns in "$GW" "$FL" "$CL"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM

# Inside netns $1 without remounting /sys (the bpffs pins stay visible).
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
# `ip netns exec` remounts /sys: for the netns' own /sys/class/net files.
sys_ns() { ip netns exec "$1" sh -c "$2"; }

preflight() {
	[ "$(id -u)" = 0 ] || fatal "needs root (BPF, network namespaces)"
	[[ $FLOOD_S =~ ^[0-9]+$ ]] && ((FLOOD_S >= 2 && FLOOD_S <= 20)) ||
		fatal "FLOOD_SECONDS must be 2..20, got '$FLOOD_S'"
	(($(nproc) >= 2)) || fatal "needs 2 CPUs: one sends, one receives"
	local tool
	for tool in nft ethtool jq python3 nsenter chrt taskset; do
		command -v "$tool" >/dev/null || fatal "$tool is missing (scripts/deps.sh installs it)"
	done
	mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf ||
		fatal "cannot mount bpffs"
	make -s --no-print-directory "$BUILD/sluicectl" "$BUILD/bench/sl-flood" ||
		fatal "build failed"
	TMP=$(mktemp -d /tmp/sluice-flood.XXXXXX)
}

topology() {
	local ns
	for ns in "$GW" "$FL" "$CL"; do
		ip netns add "$ns" || fatal "ip netns add $ns"
		ip -n "$ns" link set lo up
	done
	ip link add fg0 netns "$GW" type veth peer name fs0 netns "$FL" || fatal "veth fg0"
	ip link add fg1 netns "$GW" type veth peer name fc0 netns "$CL" || fatal "veth fg1"
	ip -n "$GW" addr add 198.18.0.1/24 dev fg0
	ip -n "$GW" addr add 198.18.1.1/24 dev fg1
	ip -n "$FL" addr add 198.18.0.2/24 dev fs0
	ip -n "$CL" addr add 198.18.1.2/24 dev fc0
	for l in "$GW fg0" "$GW fg1" "$FL fs0" "$CL fc0"; do
		ip -n ${l% *} link set ${l#* } up
	done
	# Frames redirected into a veth need NAPI on the peer: GRO on gives it
	# one without an XDP program (nftables and the plain stack need it).
	sys_ns "$GW" "ethtool -K fg0 gro on >/dev/null && echo 1 > /sys/class/net/fg0/threaded" ||
		fatal "threaded NAPI on fg0"
}

# The NAPI kthread of fg0, pinned to RX_CPU at real-time priority.
rx_thread() {
	local pid
	pid=$(pgrep -x "napi/fg0-[0-9]+" | head -n 1)
	[ -n "$pid" ] || fatal "no NAPI kthread for fg0"
	taskset -pc "$RX_CPU" "$pid" >/dev/null && chrt -f -p 50 "$pid" ||
		fatal "cannot pin the NAPI kthread $pid"
	echo "$pid"
}

start_server() {
	# nsenter execs python: $! is the server itself, which cleanup ends.
	nsenter --net="/run/netns/$GW" python3 "$RR" serve 0.0.0.0 "$PORT" 110 </dev/null >/dev/null 2>&1 &
	PIDS+=($!)
	local i
	for i in $(seq 50); do
		in_ns "$CL" python3 -c "import socket; socket.create_connection(('198.18.1.1', $PORT), 1).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	fatal "the request/response server did not start"
}

# --- the three targets: set up, count drops, tear down ------------------------

xdp_up() {
	cat >"$TMP/policy.json" <<EOF
{ "version": 1,
  "backends": { "main": { "url": "http://127.0.0.1:9/mcp" } },
  "kernel": { "protected_ports": [$PORT], "deny": ["198.19.128.0/17"],
              "syn_per_source": { "rate": 1, "burst": 2 } } }
EOF
	SLUICE_PIN_DIR=$PIN in_ns "$GW" "$SLUICECTL" attach fg0 --mode native >"$TMP/attach.log" 2>&1 &&
		SLUICE_PIN_DIR=$PIN in_ns "$GW" "$SLUICECTL" policy load "$TMP/policy.json" >>"$TMP/attach.log" 2>&1 ||
		fatal "sluice: $(tail -n 2 "$TMP/attach.log")"
}
xdp_drops() { SLUICE_PIN_DIR=$PIN in_ns "$GW" "$SLUICECTL" stats --json | jq '.counters.drop'; }
xdp_down() {
	SLUICE_PIN_DIR=$PIN in_ns "$GW" "$SLUICECTL" detach fg0 >/dev/null || fatal "sluicectl detach"
}

nft_up() {
	in_ns "$GW" nft -f - <<EOF || fatal "nft rules"
table netdev sluice_flood {
	counter deny_drops { }
	counter syn_drops { }
	set deny4 { type ipv4_addr; flags interval; elements = { 198.19.128.0/17 } }
	set syn4 { type ipv4_addr; flags dynamic, timeout; timeout 10s; size 262144; }
	chain ingress {
		type filter hook ingress device fg0 priority -500; policy accept;
		meta protocol ip meta l4proto { tcp, udp } th dport $PORT ip saddr @deny4 counter name deny_drops drop
		meta protocol ip tcp dport $PORT tcp flags & (fin | syn | rst | ack) == syn update @syn4 { ip saddr limit rate over 1/second burst 2 packets } counter name syn_drops drop
	}
}
EOF
}
nft_drops() {
	in_ns "$GW" nft -j list counters table netdev sluice_flood |
		jq '[.nftables[] | .counter? | select(.) | .packets] | add'
}
nft_down() { in_ns "$GW" nft delete table netdev sluice_flood || fatal "nft delete"; }

none_up() { :; }
none_drops() { echo 0; }
none_down() { :; }

# --- measuring ----------------------------------------------------------------------

rx_packets() { ip -n "$GW" -j -s link show fg0 | jq '.[0].stats64.rx.packets'; }
run_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
tcp_in() { in_ns "$GW" nstat -az TcpInSegs | awk '/TcpInSegs/ {print $2}'; }

legit() {	# legit SECONDS OUT: the client's JSON line into OUT (exec: one pid)
	exec nsenter --net="/run/netns/$CL" python3 "$RR" client 198.18.1.1 "$PORT" 198.18.1.2 \
		"$LEGIT_RATE" "$1" </dev/null >"$2" 2>&1
}

# measure TARGET: one flood against TARGET; a line of numbers in $TMP/TARGET.row
measure() {
	local t=$1 kt mac d0 d1 r0 r1 k0 k1 s0 s1 legit_pid
	"${t}_up"
	kt=$(rx_thread)
	mac=$(ip -n "$GW" -j link show fg0 | jq -r '.[0].address')
	legit $((FLOOD_S + 1)) "$TMP/$t.legit" &
	legit_pid=$!
	PIDS+=($legit_pid)
	sleep 0.5
	d0=$("${t}_drops"); r0=$(rx_packets); k0=$(run_ns "$kt"); s0=$(tcp_in)
	in_ns "$FL" "$FLOOD" --dev fs0 --dst-mac "$mac" --dst 198.18.0.1 --dport "$PORT" \
		--src 198.19.0.0/16 --proto syn --duration "$FLOOD_S" --cpu "$GEN_CPU" --json \
		>"$TMP/$t.gen" 2>&1 || fatal "sl-flood: $(cat "$TMP/$t.gen")"
	d1=$("${t}_drops"); r1=$(rx_packets); k1=$(run_ns "$kt"); s1=$(tcp_in)
	wait "$legit_pid"
	"${t}_down"
	jq -n --arg t "$t" --argjson gen "$(cat "$TMP/$t.gen")" --argjson legit "$(cat "$TMP/$t.legit")" \
		--argjson drops $((d1 - d0)) --argjson rx $((r1 - r0)) --argjson cpu_ns $((k1 - k0)) \
		--argjson tcp $((s1 - s0)) \
		'{target: $t, secs: $gen.seconds, offered: ($gen.sent / $gen.seconds),
		  refused: ($gen.refused / $gen.seconds), rx: ($rx / $gen.seconds),
		  drops: ($drops / $gen.seconds), tcp: ($tcp / $gen.seconds),
		  ns_pkt: (if $rx > 0 then $cpu_ns / $rx else null end),
		  core: ($cpu_ns / ($gen.seconds * 1e9) * 100), legit: $legit}' >"$TMP/$t.row" ||
		fatal "$t: no result ($(cat "$TMP/$t.gen" "$TMP/$t.legit" | tr '\n' ' '))"
}

report() {
	local base=$1
	echo
	echo "SYN flood from 65534 spoofed sources, ${FLOOD_S}s per target, flat out from CPU $GEN_CPU;"
	echo "receiver: fg0's NAPI kthread on CPU $RX_CPU; legit client: $LEGIT_RATE req/s on one TCP connection"
	echo "(legit p99 with no flood: $(jq -r '.p99_ms' "$base") ms, p50 $(jq -r '.p50_ms' "$base") ms)"
	echo
	printf '%-9s %10s %10s %10s %11s %9s %7s %9s %9s %7s\n' target "sent/s" "refused/s" "rx/s" \
		"dropped/s" "ns/pkt" "rx-core" "legit-p50" "legit-p99" "failed"
	jq -rs '.[] | [.target, (.offered|floor), (.refused|floor), (.rx|floor),
		(if .target == "none" then "-" else (.drops|floor) end),
		(if .ns_pkt then (.ns_pkt|floor) else "-" end), ((.core|floor|tostring) + "%"),
		(.legit.p50_ms|tostring) + "ms", (.legit.p99_ms|tostring) + "ms",
		((.legit.failed|tostring) + "/" + (.legit.requests|tostring))] | @tsv' \
		"$TMP/xdp.row" "$TMP/nft.row" "$TMP/none.row" |
		while IFS=$'\t' read -r t s rf rx d ns core p50 p99 f; do
			[ "$t" = nft ] && t=nftables
			printf '%-9s %10s %10s %10s %11s %9s %7s %9s %9s %7s\n' \
				"$t" "$s" "$rf" "$rx" "$d" "$ns" "$core" "$p50" "$p99" "$f"
		done
	echo
	echo "sent/s: frames sl-flood sent; refused/s: frames fg0's ring had no room for (its"
	echo "receiver was behind); rx/s: frames fg0 took; dropped/s: the target's own drop"
	echo "counters (sluicectl stats, nft counters); ns/pkt: the receiver kthread's CPU time"
	echo "per frame taken; rx-core: its share of CPU $RX_CPU.  none: the TCP stack took"
	echo "$(jq -r '.tcp|floor' "$TMP/none.row") segments/s (TcpInSegs) and dropped nothing of its own accord."
	if [ "$(jq -rs '[.[] | .core] | min < 90' "$TMP/xdp.row" "$TMP/nft.row")" = true ]; then
		echo "note: a receiver was not saturated (rx-core under 90%) while fg0's ring (256"
		echo "frames) overflowed: its kthread was woken late.  Its drop rate is then below"
		echo "what it could drop; ns/pkt compares the costs without that effect."
	fi
	printf 'receiver cost per packet, nftables/xdp: %.2fx, none/xdp: %.2fx\n' \
		"$(jq -rs '.[1].ns_pkt / .[0].ns_pkt' "$TMP/xdp.row" "$TMP/nft.row")" \
		"$(jq -rs '.[1].ns_pkt / .[0].ns_pkt' "$TMP/xdp.row" "$TMP/none.row")"
	printf 'xdp/nftables drop-rate ratio: %.2f\n' \
		"$(jq -rs 'if .[1].drops > 0 then .[0].drops / .[1].drops else 0 end' "$TMP/xdp.row" "$TMP/nft.row")"
}

preflight
topology
start_server
(legit 3 "$TMP/base.legit")
for target in xdp nft none; do
	say "flooding for ${FLOOD_S}s against: $target"
	measure "$target"
done
report "$TMP/base.legit"
