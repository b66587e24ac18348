#!/bin/bash
# scripts/demo.sh - `make demo`: the gateway on its default policy, with the
# demo backend, and a scripted agent session that shows what passes through.
#
#   the demo MCP backend (analytics tools)      127.0.0.1:9000
#   sluiced with policies/example.json          127.0.0.1:8470
#   the kernel half on lo (generic XDP)         protects port 8470
#
# Everything it started or attached is removed when it ends (Ctrl-C too).
# Needs root.  Traffic stays on 127.0.0.0/8.  DEMO_KEEP=1 leaves it running
# until Ctrl-C so you can try your own requests.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CTL=$PWD/$BUILD/sluicectl
POLICY=${POLICY:-policies/example.json}
PIN=${SLUICE_PIN_DIR:-/sys/fs/bpf/sluice}
RUN=$(mktemp -d /tmp/sluice-demo.XXXXXX)
export SLUICE_PIN_DIR=$PIN SLUICE_CONTROL=$RUN/sluiced.sock
URL=http://127.0.0.1:8470/mcp
PIDS=()
ATTACHED=

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
	[ -n "$ATTACHED" ] && "$CTL" detach lo >/dev/null 2>&1
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "make demo needs root (it attaches XDP to lo)"; exit 1; }
if "$CTL" attach --list 2>/dev/null | grep -q '^attached: lo xdp$'; then
	echo "sluice is already attached to lo ($PIN); run '$CTL detach lo' first"
	exit 1
fi
for port in 8470 9000; do
	if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
		echo "port $port is in use; make demo needs 127.0.0.1:8470 and :9000"
		exit 1
	fi
done

wait_port() {
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done
	echo "nothing listens on 127.0.0.1:$1"; return 1
}

# agent SOURCE ID METHOD PARAMS [extra curl args]: one JSON-RPC call, shown both ways.
SID=
agent() {
	local src=$1 id=$2 method=$3 params=$4; shift 4
	local body="{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"$method\",\"params\":$params}"
	printf '\n\033[36m%s -> %s\033[0m %s\n' "$src" "$method" "$params"
	curl -s -N --max-time 10 --interface "$src" -X POST "$URL" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		${SID:+-H "Mcp-Session-Id: $SID"} "$@" -d "$body" -w '\n   [HTTP %{http_code}, %{time_total}s]\n' |
		sed -e 's/^/   /' | cut -c1-220
}

bold "1. the demo MCP backend and sluiced in front of it"
"$BUILD/sluice-demo-backend" --listen 127.0.0.1:9000 --sse-delay-ms 150 >"$RUN/backend.log" 2>&1 &
PIDS+=($!)
wait_port 9000 || exit 1
run "$CTL" policy check "$POLICY" || exit 1
run "$CTL" attach lo --mode generic || exit 1
ATTACHED=1
"$BUILD/sluiced" --policy "$POLICY" --workers 2 --control "$SLUICE_CONTROL" >"$RUN/sluiced.log" 2>&1 &
PIDS+=($!)
wait_port 8470 || exit 1
sed 's/^/   /' "$RUN/sluiced.log"

bold "2. an agent session: claude-assistant connects from 127.0.0.2"
SID=$(curl -s -D - -o /dev/null --interface 127.0.0.2 -X POST "$URL" \
	-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"claude-code","version":"2.1"}}}' |
	tr -d '\r' | awk 'tolower($1) == "mcp-session-id:" { print $2 }')
echo "   initialize -> Mcp-Session-Id: $SID"
agent 127.0.0.2 2 tools/list '{}' | head -3
agent 127.0.0.2 3 tools/call '{"name":"get_pricing","arguments":{"plan":"pro"}}'
agent 127.0.0.2 4 tools/call '{"name":"run_query","arguments":{"sql":"select day, revenue from sales limit 3"}}'
echo "   (an SSE answer, relayed event by event as the backend produces it:)"
agent 127.0.0.2 5 tools/call '{"name":"export_report","arguments":{"report_id":"q3","format":"csv"},"_meta":{"progressToken":"q3"}}'

bold "3. what the gateway refuses before it reaches the backend"
agent 127.0.0.2 6 tools/call '{"name":"run_query","name":"update_account","arguments":{}}'
agent 127.0.0.2 7 tools/call '{"name":"run_query","arguments":{"sql":"select 1"}}' -H 'Mcp-Name: update_account'
agent 127.0.0.2 8 'tools/call' '{"name":"get_pricing"' 
agent 127.0.0.2 9 tools/call '{"name":"get_pricing","arguments":{}}' -H 'Origin: http://evil.example'

bold "4. the backend goes away: a structured answer at once, never a hang"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null
agent 127.0.0.2 10 tools/call '{"name":"get_pricing","arguments":{"plan":"pro"}}' -D - | grep -Ei 'retry-after|jsonrpc|HTTP'
"$BUILD/sluice-demo-backend" --listen 127.0.0.1:9000 --sse-delay-ms 150 >>"$RUN/backend.log" 2>&1 &
PIDS[0]=$!
wait_port 9000 || exit 1

bold "5. the kernel half: block gpt-analyst's source 127.0.0.3 in XDP"
run "$CTL" block 127.0.0.3 --for 30s
agent 127.0.0.3 11 ping '{}' --connect-timeout 1
run "$CTL" unblock 127.0.0.3
SID= agent 127.0.0.3 12 initialize '{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"gpt-agent","version":"5"}}' --connect-timeout 1 | head -4

bold "6. ban claude-assistant: its policy answers with a TCP RST, so it fails fast"
run "$CTL" ban claude-assistant --for 1m
agent 127.0.0.2 13 ping '{}' --connect-timeout 2
run "$CTL" unban claude-assistant

bold "7. reload the policy under the running gateway; counters; events"
run "$CTL" reload
run "$CTL" daemon
run "$CTL" stats | head -16
echo "   kernel events, as sluiced logged them from the ring buffer:"
grep 'kernel:' "$RUN/sluiced.log" | sed 's/^/   /' | head -5

if [ "${DEMO_KEEP:-}" = 1 ]; then
	bold "running: try curl against $URL; Ctrl-C stops and cleans up"
	wait "${PIDS[1]}"
fi
bold "done: stopping sluiced and the backend, detaching from lo"
