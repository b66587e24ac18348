#!/bin/bash
# attack.sh - a legitimate agent keeps working while an attacker floods and
# hammers, end to end in network namespaces with native XDP.
#
#   gw   198.18.0.1 (gw0, the attacker's link) and 198.18.1.1 (gw1, the
#        agent's link): sluiced on port 8470 in front of sluice-demo-backend;
#        sluiced attaches sluice's XDP natively to both veths at start
#        (kernel.interfaces, pins in a private directory); the audit in a
#        JSONL file;
#   ag   198.18.1.2: the legitimate agent "analyst" (API key), 20 tools/call
#        of run_query a second on one keep-alive connection, each timed;
#   at   the attacker: 198.18.0.2 (the flood sender), 198.18.0.3 (the
#        source-identified agent "mallory") and 198.18.0.4 (the agent
#        "hammer": API key and source).
#
# The analyst first runs unloaded, then through three attacks in a row:
#   (a) SYNs from 4094 spoofed sources in 198.19.0.0/20 (scripts/bench's
#       sl-flood, 100000 a second): three quarters denied by kernel.deny, the
#       rest over kernel.syn_per_source (each sends about 24 a second, 1 is
#       allowed);
#   (b) packets from mallory's source while `sluicectl ban mallory` bans it
#       (then `--for 6s`, to see the ban end on time);
#   (c) hammer calls run_query past its limit until escalation bans it.
# sluiced, the backend and the analyst run at SCHED_FIFO 10 and the attack
# tools at nice 19: on a machine shared with other work, that keeps the
# analyst's latency about the gateway, not about whatever else the machine
# runs; the kernel's own work on the floods (XDP, softirq) is not affected.
#
# Asserts: every analyst call succeeds and its p99 while the attacks run
# stays within 2x the unloaded p99; the floods end in XDP (deny, syn_source, banned counters);
# both bans happen and lift on time; the audit holds the ban records and
# the kernel's drops as kernel_drop_summary records (many packets each)
# that add up to its counters, with no event and no record lost.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

require_root
SLUICED=$PWD/$BUILD/sluiced
BACKEND=$PWD/$BUILD/sluice-demo-backend
FLOOD=$PWD/$BUILD/bench/sl-flood
AGENT="python3 $PWD/tests/e2e/attack_agent.py"
for b in "$SLUICECTL" "$SLUICED" "$BACKEND" "$FLOOD"; do
	[ -x "$b" ] || die "$b not built"
done

# Bounded: each step is, and a watchdog stops the whole at 90 s (USR1 is
# handled between commands; teardown still runs).
WATCHDOG_S=90
trap 'fail "time" "over ${WATCHDOG_S} s: stopped"; exit 1' USR1
python3 -c 'import os, signal, sys, time; time.sleep(float(sys.argv[1])); os.kill(int(sys.argv[2]), signal.SIGUSR1)' \
	"$WATCHDOG_S" $$ </dev/null >/dev/null 2>&1 &
E2E_PIDS+=($!)

TAG=$$
GW=slagw$TAG
AG=slaag$TAG
AT=slaat$TAG
PIN=/sys/fs/bpf/sluice-e2e-$TAG
TMP=$(mktemp -d /tmp/sluice-attack.XXXXXX)
export PYTHONDONTWRITEBYTECODE=1 SLUICE_PIN_DIR=$PIN
on_exit "rm -rf '$TMP'"
on_exit "rm -rf '$PIN'"
on_exit "in_ns '$GW' '$SLUICECTL' --pin-dir '$PIN' detach gw0"
on_exit "in_ns '$GW' '$SLUICECTL' --pin-dir '$PIN' detach gw1"

MALLORY_BAN_S=6
HAMMER_BAN_S=10
LEGIT_RATE=20
URL_AG=http://198.18.1.1:8470/mcp
URL_AT=http://198.18.0.1:8470/mcp

ctl() { in_ns "$GW" "$SLUICECTL" --control "$TMP/ctl.sock" "$@"; }
# snap NAME: the kernel's counters now, into $TMP/NAME.stats (one call: every
# extra process during the loaded phase is noise in the agent's latency).
snap() { ctl stats --json >"$TMP/$1.stats"; }
counter() { jq ".counters.$2" "$TMP/$1.stats"; }		# counter SNAP NAME
agent_drops() { jq "[.agents[] | select(.name == \"$2\")][0].drops" "$TMP/$1.stats"; }	# SNAP AGENT

# --- hosts --------------------------------------------------------------------------
netns_add "$GW"
netns_add "$AG"
netns_add "$AT"
ip link add gw0 netns "$GW" type veth peer name at0 netns "$AT" || die "veth gw0"
ip link add gw1 netns "$GW" type veth peer name ag0 netns "$AG" || die "veth gw1"
in_ns "$GW" ip addr add 198.18.0.1/24 dev gw0
in_ns "$GW" ip addr add 198.18.1.1/24 dev gw1
in_ns "$AG" ip addr add 198.18.1.2/24 dev ag0
for a in 2 3 4; do in_ns "$AT" ip addr add 198.18.0.$a/24 dev at0; done
in_ns "$GW" ip link set gw0 up
in_ns "$GW" ip link set gw1 up
in_ns "$AG" ip link set ag0 up
in_ns "$AT" ip link set at0 up

# --- keys and policy ---------------------------------------------------------------
read -r KEY_ANALYST SHA_ANALYST <<<"$(mcp_key analyst)"
read -r KEY_HAMMER SHA_HAMMER <<<"$(mcp_key hammer)"
[ -n "$SHA_HAMMER" ] || die "sluicectl key new"

bg_start_backend() {
	nsenter --net="/run/netns/$GW" chrt -f 10 "$BACKEND" --listen 127.0.0.1:0 --workers 2 \
		</dev/null >/dev/null 2>"$TMP/backend.log" &
	E2E_PIDS+=($!)
	wait_for "the backend" 10 grep -q 'listening on' "$TMP/backend.log" ||
		die "backend: $(tail -n 2 "$TMP/backend.log")"
	BACKEND_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/backend.log")
}
bg_start_backend

cat >"$TMP/policy.json" <<EOF
{
  "version": 1,
  "listen": "0.0.0.0:8470",
  "allowed_hosts": ["198.18.0.1:8470", "198.18.1.1:8470"],
  "backends": { "demo": { "url": "http://127.0.0.1:$BACKEND_PORT/mcp", "timeout_ms": 5000 } },
  "audit": { "jsonl": "$TMP/audit.jsonl" },
  "kernel": {
    "interfaces": [ { "name": "gw0", "mode": "native" }, { "name": "gw1", "mode": "native" } ],
    "protected_ports": [8470],
    "deny": ["198.19.0.0/21", "198.19.8.0/22"],
    "syn_per_source": { "rate": 1, "burst": 2 },
    "events_per_second": 100
  },
  "escalation": { "limited": { "count": 20, "within_s": 10 }, "ban_s": $HAMMER_BAN_S },
  "tools": { "run_query": { "class": "read" } },
  "agents": {
    "analyst": { "keys_sha256": ["$SHA_ANALYST"], "sources": ["198.18.1.2"] },
    "mallory": { "sources": ["198.18.0.3"] },
    "hammer": { "keys_sha256": ["$SHA_HAMMER"], "sources": ["198.18.0.4"],
                "limits": { "read": { "per_second": 2 } } }
  }
}
EOF
"$SLUICECTL" policy check "$TMP/policy.json" >"$TMP/check.log" 2>&1 ||
	die "policy: $(tail -n 3 "$TMP/check.log" | tr '\n' ' ')"

# --- the gateway ---------------------------------------------------------------------
nsenter --net="/run/netns/$GW" chrt -f 10 "$SLUICED" --policy "$TMP/policy.json" --pin-dir "$PIN" \
	--control "$TMP/ctl.sock" --usage-db "$TMP/usage.db" --workers 2 \
	</dev/null >"$TMP/sluiced.log" 2>&1 &
SLUICED_PID=$!
E2E_PIDS+=($SLUICED_PID)
probe() { in_ns "$1" $AGENT probe "$2" "$3" "${4:-2}" ${5:+"$5"}; }	# NS URL KEY TIMEOUT [SOURCE]
# Wall-clock times in microseconds ($SECONDS counts whole seconds), without
# starting a process: on a busy machine each one can take a good part of a second.
now_us() { echo $((${EPOCHREALTIME/./})); }
before_us() {	# before_us US: true while the clock is before US
	local late=$(($(now_us) - $1))
	((late < 0)) || { echo "$((late / 1000)) ms late"; return 1; }
}
sleep_until() {	# sleep_until US
	local d=$(($1 - $(now_us)))
	((d > 0)) && sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"
	return 0
}
xdp_mode() { in_ns "$GW" bpftool net show dev "$1" -j | jq -r '.[0].xdp[0].mode // "none"'; }
wait_for "sluiced" 30 bash -c "[ \"\$(nsenter --net=/run/netns/$AG $AGENT probe $URL_AG $KEY_ANALYST 1)\" = ok ]" ||
	die "sluiced does not answer the agent: $(probe "$AG" "$URL_AG" "$KEY_ANALYST" 1; tail -n 3 "$TMP/sluiced.log" | tr '\n' ' ')"

check "sluiced attached native XDP to the attacker's link (kernel.interfaces)" test "$(xdp_mode gw0)" = driver
check "and to the agent's link" test "$(xdp_mode gw1)" = driver

# --- the legitimate agent, unloaded ----------------------------------------------------
# An idle CPU of a virtual machine halts, and waking it goes through the
# host: a call that finds both CPUs idle took 5-15 ms where 1 is the rule,
# in runs without any attack, while the floods keep the CPUs awake.  A
# spinner per CPU at SCHED_IDLE (it runs only when nothing else wants the
# CPU, the nice-19 attack tools included) keeps them awake through both
# measurements, so that they compare the gateway, not the host's wakeups.
for cpu in $(seq 0 $(($(nproc) - 1))); do
	timeout "$WATCHDOG_S" taskset -c "$cpu" chrt -i 0 bash -c 'while :; do :; done' </dev/null &
	E2E_PIDS+=($!)
done
# 2 s of warm-up first (the backend's and sluiced's first calls, the
# caches), not measured: the unloaded p99 is the yardstick of the test.
in_ns "$AG" chrt -f 10 $AGENT steady "$URL_AG" "$KEY_ANALYST" "$LEGIT_RATE" 2 >/dev/null 2>&1
in_ns "$AG" chrt -f 10 $AGENT steady "$URL_AG" "$KEY_ANALYST" "$LEGIT_RATE" 10 >"$TMP/unloaded.json" 2>&1
check "unloaded: every call of the legitimate agent succeeds" \
	jq -e '.calls >= 190 and .failed == 0' "$TMP/unloaded.json"
P99_UNLOADED=$(jq -r '.p99_ms // empty' "$TMP/unloaded.json")
[ -n "$P99_UNLOADED" ] || die "no unloaded latency: $(cat "$TMP/unloaded.json")"

# --- under attack --------------------------------------------------------------------------
# It calls until the attacks are over (the stop file), 50 s at most.
# nsenter, chrt and python exec one another: $! is the agent itself.
nsenter --net="/run/netns/$AG" chrt -f 10 $AGENT steady "$URL_AG" "$KEY_ANALYST" "$LEGIT_RATE" 50 \
	"$TMP/attacks-done" </dev/null >"$TMP/loaded.json" 2>&1 &
LEGIT_PID=$!
E2E_PIDS+=($LEGIT_PID)
sleep 1
GW0_MAC=$(in_ns "$GW" ip -j link show gw0 | jq -r '.[0].address')

# flood FROM PROTO [PAYLOAD]: 5 s of PROTO frames at 100000 a second; prints
# the frames delivered.  The sender stands for another host: at nice 19 its own
# CPU time yields to the gateway's on this shared machine (the gateway's XDP
# work on its frames still runs wherever the veth's NAPI does).
# Each attack's time span (wall clock, us), for the analyst's p99 under attack.
attack_span() { echo "$1 $2" >>"$TMP/spans"; }
flood() {
	local out t0=$(now_us)
	out=$(in_ns "$AT" nice -n 19 "$FLOOD" --dev at0 --dst-mac "$GW0_MAC" --dst 198.18.0.1 --dport 8470 \
		--src "$1" --proto "$2" ${3:+--payload $3} --rate 100000 --duration 5 --json) || return 1
	attack_span "$t0" "$(now_us)"
	echo "$out" >>"$TMP/floods.json"
	echo "$out" | jq '.sent - .refused'
}

# (a) SYNs from spoofed sources
snap a0
delivered=$(flood 198.19.0.0/20 syn)
snap a1
deny0=$(counter a0 deny); syn0=$(counter a0 syn_source)
deny1=$(counter a1 deny); syn1=$(counter a1 syn_source)
check "(a) the spoofed SYN flood left the attacker" test "${delivered:-0}" -gt 50000
check "(a) the deny list dropped its three quarters in XDP" \
	test $((deny1 - deny0)) -ge $((delivered * 70 / 100))
check "(a) the per-source SYN limit dropped most of the rest in XDP" \
	test $((syn1 - syn0)) -ge $((delivered * 20 / 100))
check "(a) SYN flood: deny + syn_source drops >= 95% of what arrived" \
	test $((deny1 - deny0 + syn1 - syn0)) -ge $((delivered * 95 / 100))

# (b) a banned agent's source floods
snap b0
# Banned with no deadline for the flood (how long it takes to start on a busy
# machine must not matter), then for MALLORY_BAN_S from now to see it end.
check "(b) sluicectl ban mallory" ctl ban mallory
delivered=$(flood 198.18.0.3 tcp 64)
snap b1
ban0=$(counter b0 banned); md0=$(agent_drops b0 mallory)
ban1=$(counter b1 banned); md1=$(agent_drops b1 mallory)
check "(b) the banned source's flood was dropped in XDP (banned counter)" \
	test $((ban1 - ban0)) -ge $((delivered * 95 / 100)) -a "${delivered:-0}" -gt 50000
check "(b) and counted as mallory's drops" test $((md1 - md0)) -ge $((delivered * 95 / 100))
mallory_connects() { in_ns "$AT" timeout 3 socat -T1 /dev/null TCP:198.18.0.1:8470,bind=198.18.0.3,connect-timeout=1; }
BAN_T0=$(now_us)	# the deadline lies between BAN_T0 and MALLORY_UNTIL
check "(b) sluicectl ban mallory --for ${MALLORY_BAN_S}s" ctl ban mallory --for "${MALLORY_BAN_S}s"
MALLORY_UNTIL=$(($(now_us) + MALLORY_BAN_S * 1000000))
sleep_until $((BAN_T0 + MALLORY_BAN_S * 500000))
check "(b) the check below starts 2 s or more before the ban ends" before_us $((BAN_T0 + (MALLORY_BAN_S - 2) * 1000000))
check_not "(b) mallory still cannot connect half way through its ban" mallory_connects
sleep_until "$MALLORY_UNTIL"
check "(b) the ban lifts on time: mallory connects within 2 s of its end" \
	wait_for "mallory's ban to end" 2 mallory_connects
check "(b) the audit holds mallory's manual ban, with its deadline" \
	jq -se "any(.[]; .event == \"ban\" and .agent == \"mallory\" and .reason == \"manual\" and .until != null)" \
	"$TMP/audit.jsonl"
check "(b) the audit records the end of mallory's ban (expired)" wait_for "mallory's ban_lifted record" 3 \
	jq -se "any(.[]; .event == \"ban_lifted\" and .agent == \"mallory\" and .reason == \"expired\")" "$TMP/audit.jsonl"

# (c) an authenticated agent hammers past its limit
snap c0
HAMMER_T0=$(now_us)
in_ns "$AT" nice -n 19 $AGENT hammer "$URL_AT" "$KEY_HAMMER" 15 198.18.0.4 >"$TMP/hammer.json" 2>&1
attack_span "$HAMMER_T0" "$(now_us)"
check "(c) hammer was limited (429) before the ban" jq -e '.limited >= 19' "$TMP/hammer.json"
check "(c) hammer was banned by escalation (403, -32016)" \
	jq -e ".banned == true and .ban_code == -32016 and (.retry_after | tonumber) <= $HAMMER_BAN_S" \
	"$TMP/hammer.json"
# sluiced banned it before its 403 reached hammer: the ban ends by HAMMER_UNTIL.
HAMMER_UNTIL=$(($(jq -r '.banned_at_us // 0' "$TMP/hammer.json") + HAMMER_BAN_S * 1000000))
check "(c) the audit holds hammer's ban (reason limited)" \
	jq -se "any(.[]; .event == \"ban\" and .agent == \"hammer\" and .reason == \"limited\")" "$TMP/audit.jsonl"
hammer_dropped() {
	local got
	got=$(probe "$AT" "$URL_AT" "$KEY_HAMMER" 1 198.18.0.4)
	[ "$got" = timeout ] || { echo "the probe got: $got"; return 1; }
}
sleep_until $((HAMMER_UNTIL - HAMMER_BAN_S * 500000))
check "(c) the check below starts 3 s or more before the ban ends" before_us $((HAMMER_UNTIL - 3000000))
check "(c) half way through its ban, hammer's new connections are dropped in XDP" hammer_dropped
# The attacks are over: the analyst's loaded run ends here (what follows
# checks the ban's end, which is no attack).
touch "$TMP/attacks-done"
snap c1
check "(c) the kernel counted hammer's dropped packets" \
	test $(($(agent_drops c1 hammer) - $(agent_drops c0 hammer))) -ge 1 \
	-a $(($(counter c1 banned) - $(counter c0 banned))) -ge 1
sleep_until "$HAMMER_UNTIL"
hammer_back() { case $(probe "$AT" "$URL_AT" "$KEY_HAMMER" 1 198.18.0.4) in ok|limited) ;; *) false ;; esac; }
check "(c) the ban lifts on time: hammer's calls are answered within 2 s of its end" \
	wait_for "hammer's ban to end" 2 hammer_back
check "(c) the audit records the ban's end (expired)" wait_for "the ban_lifted record" 3 \
	jq -se "any(.[]; .event == \"ban_lifted\" and .agent == \"hammer\" and .reason == \"expired\")" "$TMP/audit.jsonl"

# --- the legitimate agent through it all ------------------------------------------------
wait "$LEGIT_PID"
check "under attack: every call of the legitimate agent succeeds" \
	jq -e '.calls >= 200 and .failed == 0' "$TMP/loaded.json"
# The p99 of the calls made while an attack ran (a flood, or hammer), not
# of the pauses between, where nothing attacks and a hiccup of the machine
# (seen: 0.4 s of 6-15 ms calls with no attack running) is no measure of
# the protection.
P99_LOADED=$(python3 - "$TMP/loaded.json" "$TMP/spans" <<'PY'
import json, math, sys
samples = json.load(open(sys.argv[1])).get("samples", [])
spans = [tuple(map(int, l.split())) for l in open(sys.argv[2]) if l.strip()]
lat = sorted(ms for t, ms in samples if any(a <= t <= b for a, b in spans))
print(lat[max(0, math.ceil(0.99 * len(lat)) - 1)] if len(lat) >= 100 else 1e9, len(lat))
PY
)
N_LOADED=${P99_LOADED#* }
P99_LOADED=${P99_LOADED% *}
check "under attack: p99 ${P99_LOADED} ms of $N_LOADED calls within 2x unloaded ${P99_UNLOADED} ms" \
	python3 -c "import sys; sys.exit(not $P99_LOADED <= 2 * $P99_UNLOADED)"

# --- events ---------------------------------------------------------------------------------
snap end
check "kernel events: none lost" test "$(counter end events_lost)" = 0

kill -TERM "$SLUICED_PID" && wait "$SLUICED_PID"
check "sluiced exits 0 after SIGTERM" test $? = 0
# The kernel's drops reach the audit as summaries (sluiced flushes the last
# period at exit): a record per sampled source and an "unsampled" one per
# reason and second, never a record a packet; a reason's records add up to
# the kernel's counter for it (the pins are this test's own, from zero).
# (Between the last snapshot and sluiced's exit a straggler may still be
# dropped: the sum lies between the two counts, which are equal as a rule.)
snap post
summed() {	# summed REASON: the counts of its kernel_drop_summary records, added
	jq -s --arg r "$1" '[.[] | select(.event == "kernel_drop_summary" and .reason == $r) |
		.count] | add // 0' "$TMP/audit.jsonl"
}
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
for r in deny syn_source banned; do
	got=$(summed $r)
	check "audit: the kernel's $r drops are all in the audit: summaries add up to its counter ($got; kernel $(counter end $r), $(counter post $r) at exit)" \
		between "$got" "$(counter end $r)" "$(counter post $r)"
done
# Which of the flood's packets the 100 events a second sample is chance (a
# second's budget goes to its first packets, deny or syn_source): the
# records name sampled spoofed sources, whichever reason they had.
check "audit: the SYN flood arrives as summaries of many packets each, sampled sources named" \
	jq -se '[.[] | select(.event == "kernel_drop_summary" and
			(.reason == "syn_source" or .reason == "deny"))] |
		any(.[]; .source | startswith("198.19.")) and (map(.count) | add) > 10 * length' \
	"$TMP/audit.jsonl"
check "audit: the banned agent's drops are summarised with its source" \
	jq -se 'any(.[]; .event == "kernel_drop_summary" and .reason == "banned" and
		.source == "198.18.0.3" and .count > 1)' "$TMP/audit.jsonl"
check "audit: no record was lost (no audit_loss or kernel_events_lost record)" \
	jq -se 'all(.[]; .event != "audit_loss" and .event != "kernel_events_lost")' "$TMP/audit.jsonl"
if [ "$E2E_FAILED" != 0 ]; then
	echo "--- unloaded: $(jq -c 'del(.samples)' "$TMP/unloaded.json")"
	echo "--- loaded: $(jq -c 'del(.samples)' "$TMP/loaded.json")"
	echo "--- attack spans (us): $(tr '\n' ' ' <"$TMP/spans")"
	echo "--- hammer: $(cat "$TMP/hammer.json" 2>/dev/null)"
	echo "--- floods:"; cat "$TMP/floods.json" 2>/dev/null
	echo "--- sluiced log (tail):"; tail -n 15 "$TMP/sluiced.log"
fi
exit $E2E_FAILED
