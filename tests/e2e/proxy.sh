#!/bin/bash
# proxy.sh - sluiced in front of the C demo backend, on loopback.
#
# The bad-input corpus (tests/e2e/http_corpus.py), SSE relayed event by event,
# graceful degradation (backend down, slow, circuit breaker), reload under
# load and a refused reload, a client that leaves mid-stream, the upstream
# keep-alive pool, and the environment variables sluiced shares with sluicectl.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

BACKEND=$PWD/$BUILD/sluice-demo-backend
SLUICED=$PWD/$BUILD/sluiced
[ -x "$BACKEND" ] && [ -x "$SLUICED" ] || die "build first: $BACKEND, $SLUICED"
TMP=$(mktemp -d /tmp/sluice-proxy.XXXXXX)
on_exit "rm -rf '$TMP'"

GPORT=$(free_port)
BPORT=$(free_port)
CTL="$PWD/$BUILD/sluicectl --control $TMP/ctl.sock"
URL=http://127.0.0.1:$GPORT/mcp

write_policy() {	# write_policy TIMEOUT_MS [PER_SOURCE]
	cat >"$TMP/policy.json" <<EOF
{
  "version": 1,
  "listen": "127.0.0.1:$GPORT",
  "limits": { "header_timeout_ms": 1000, "idle_timeout_ms": ${IDLE_MS:-5000},
              "max_connections_per_source": ${2:-64} },
  "backends": {
    "main": { "url": "http://127.0.0.1:$BPORT/mcp", "timeout_ms": $1,
              "connect_timeout_ms": 500, "failure_threshold": 3, "open_ms": 1500,
              "retry_after_s": 2, "pool_size": 8 }
  }
}
EOF
}

start_backend() {
	"$BACKEND" --listen "127.0.0.1:$BPORT" --sse-delay-ms 300 >>"$TMP/backend.log" 2>&1 &
	BACKEND_PID=$!
	E2E_PIDS+=("$BACKEND_PID")
	wait_for "the backend" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BPORT"
}

write_policy 1500
start_backend || die "backend did not start"
"$SLUICED" --policy "$TMP/policy.json" --workers 2 --control "$TMP/ctl.sock" \
	--pin-dir "$TMP/no-kernel" >"$TMP/sluiced.log" 2>&1 &
SLUICED_PID=$!
E2E_PIDS+=("$SLUICED_PID")
wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" || die "sluiced did not start"

# rpc BODY [curl args...]: POST a JSON-RPC body through the gateway.
rpc() {
	local body=$1; shift
	curl -s --max-time 10 -X POST "$URL" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SID" \
		-d "$body" "$@"
}
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"proxy-test","version":"1"}}}'
SID=$(curl -s -D - -o /dev/null -X POST "$URL" -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -d "$INIT" |
	tr -d '\r' | awk 'tolower($1) == "mcp-session-id:" { print $2 }')
[ -n "$SID" ] || die "no session from initialize"
call() { printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":%s%s}}' "$1" "$2" "$3" "${4:-}"; }

# --- the corpus ----------------------------------------------------------------
python3 tests/e2e/http_corpus.py 127.0.0.1 "$GPORT" || E2E_FAILED=1

# --- SSE relayed event by event ----------------------------------------------------
# The backend spaces export_report's 5 events 300 ms apart: each must reach
# the client as it is produced, not when the stream ends.
sse_timing() {
	rpc "$(call 2 export_report '{"report_id":"r1","format":"csv"}' ',"_meta":{"progressToken":"t"}')" -N |
		while IFS= read -r line; do
			case $line in data:*) echo "$(date +%s%N) $line" ;; esac
		done >"$TMP/sse.txt"
	local n first last
	n=$(wc -l <"$TMP/sse.txt")
	first=$(head -1 "$TMP/sse.txt" | cut -d' ' -f1)
	last=$(tail -1 "$TMP/sse.txt" | cut -d' ' -f1)
	[ "$n" = 5 ] || { echo "$n events"; return 1; }
	# Flushed one by one: the first arrived >= 900 ms before the last.
	[ $(((last - first) / 1000000)) -ge 900 ] || { echo "spread $(((last - first) / 1000000)) ms"; return 1; }
	grep -q '"progress":1,' <(sed -n 1p "$TMP/sse.txt") && grep -q '"result"' <(sed -n 5p "$TMP/sse.txt")
}
check "SSE events are relayed one by one, in order, flushed" sse_timing

# --- a stream outlives the answer deadline (timeout_ms is 1.5 s here) ---------------------------
long_stream() {
	local n
	n=$(curl -s -N --max-time 3.6 "$URL" -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $SID" |
		grep -c '^data:')
	# The backend's GET stream sends one event a second: 3 in 3.6 s, not 1.
	[ "$n" -ge 3 ] || { echo "$n events"; return 1; }
}
check "a server stream is not cut at the answer deadline" long_stream

expect_continue() {
	local out
	out=$(rpc "$(call 41 get_pricing '{"plan":"pro"}')" -H 'Expect: 100-continue')
	echo "$out" | jq -e '.id == 41 and .result' >/dev/null || { echo "$out"; return 1; }
	out=$(rpc "$(call 42 get_pricing '{"plan":"free"}')")
	echo "$out" | jq -e '.id == 42' >/dev/null || { echo "next answer: $out"; return 1; }
}
check "Expect: 100-continue gets the real answer, and the next request its own" expect_continue

# --- client leaves mid-stream: the upstream stream is closed too -------------------------
upstream_conns() { ss -Htn state established "( dport = :$BPORT )" | wc -l; }
leave_mid_stream() {
	local before during after
	before=$(upstream_conns)
	# With a progressToken the answer is a stream of 5 events 300 ms apart
	# (without one the backend answers at once, and there is no "mid").
	rpc "$(call 3 export_report '{"report_id":"r2","format":"pdf"}' ',"_meta":{"progressToken":"t3"}')" \
		-N --max-time 0.5 >"$TMP/left.txt"
	during=$(upstream_conns)
	# The client really left mid-stream: a progress event came, the result not.
	grep -q '"progress"' "$TMP/left.txt" && ! grep -q '"result"' "$TMP/left.txt" ||
		{ echo "not mid-stream: $(head -c 300 "$TMP/left.txt")"; return 1; }
	# The stream's upstream connection is closed, not pooled: back to before
	# (polled: on a loaded machine the close takes a moment to show).
	local end=$((SECONDS + 3))
	while ((SECONDS < end)); do
		after=$(upstream_conns)
		[ "$after" -le "$before" ] && return 0
		sleep 0.1
	done
	echo "before $before during $during after $after"
	return 1
}
check "a client that leaves mid-stream closes its upstream stream" leave_mid_stream

# A client that shuts its write side after the request still gets the answer.
half_close() {
	python3 - "$GPORT" "$SID" <<'PY'
import json, socket, sys
gport, sid = int(sys.argv[1]), sys.argv[2]
body = json.dumps({"jsonrpc": "2.0", "id": 51, "method": "tools/call",
                   "params": {"name": "slow", "arguments": {"ms": 300}}}).encode()
req = (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{gport}\r\nContent-Type: application/json\r\n"
       f"Accept: application/json\r\nMcp-Session-Id: {sid}\r\n"
       f"Content-Length: {len(body)}\r\n\r\n").encode() + body
s = socket.create_connection(("127.0.0.1", gport), timeout=3)
s.sendall(req)
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
ok = data.startswith(b"HTTP/1.1 200") and b'"id":51' in data
print(data[:80])
sys.exit(0 if ok else 1)
PY
}
check "a half-closed client still gets its answer" half_close

# ... and waiting for it costs no CPU: its EOF stays readable, and a
# level-triggered loop still watching it would spin until the answer.
half_close_quiet() {
	python3 - "$GPORT" "$SID" "$SLUICED_PID" <<'PY'
import json, os, socket, sys, time
gport, sid, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def cpu():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
body = json.dumps({"jsonrpc": "2.0", "id": 52, "method": "tools/call",
                   "params": {"name": "slow", "arguments": {"ms": 1000}}}).encode()
req = (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{gport}\r\nContent-Type: application/json\r\n"
       f"Accept: application/json\r\nMcp-Session-Id: {sid}\r\n"
       f"Content-Length: {len(body)}\r\n\r\n").encode() + body
s = socket.create_connection(("127.0.0.1", gport), timeout=3)
s.sendall(req)
s.shutdown(socket.SHUT_WR)
time.sleep(0.1)
c0 = cpu()
time.sleep(0.7)
spent = cpu() - c0
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
ok = spent < 0.2 and data.startswith(b"HTTP/1.1 200") and b'"id":52' in data
print(f"{spent:.2f} s of CPU in 0.7 s; {data[:60]!r}")
sys.exit(0 if ok else 1)
PY
}
check "a half-closed client waiting for its answer costs no CPU" half_close_quiet

# --- keep-alive pool -------------------------------------------------------------------------
pool_reuse() {
	for i in $(seq 1 30); do
		rpc "$(call $((100 + i)) get_pricing '{"plan":"pro"}')" >/dev/null || return 1
	done
	local n
	n=$(upstream_conns)
	# 2 workers x at most a few connections: 30 requests did not open 30.
	[ "$n" -ge 1 ] && [ "$n" -le 4 ] || { echo "$n upstream connections"; return 1; }
}
check "upstream connections are kept alive and reused" pool_reuse

# --- slow backend: 504 at the deadline -----------------------------------------------------
slow_call() {
	local out t
	out=$(rpc "$(call 4 slow '{"ms":4000}')" -w '\n%{http_code} %{time_total}')
	t=$(echo "$out" | tail -1 | cut -d' ' -f2)
	echo "$out" | tail -1 | grep -q '^504 ' || { echo "$out"; return 1; }
	echo "$out" | head -1 | jq -e '.error.code == -32051' >/dev/null || return 1
	awk -v t="$t" 'BEGIN { exit !(t >= 1.4 && t < 2.5) }' || { echo "took $t s"; return 1; }
}
check "a slow backend gets a timeout error at the configured deadline" slow_call

# --- reload --------------------------------------------------------------------------------------
reload_under_load() {
	local end=$((SECONDS + 4)) fails=0 total=0 i=0
	(
		while ((SECONDS < end)); do
			code=$(rpc "$(call 5 get_pricing '{"plan":"free"}')" -o /dev/null -w '%{http_code}')
			echo "$code"
		done
	) >"$TMP/load.txt" &
	local loader=$!
	for i in 1 2 3 4 5 6 7 8; do
		$CTL reload || { kill $loader; echo "reload $i failed"; return 1; }
		sleep 0.3
	done
	wait $loader
	total=$(wc -l <"$TMP/load.txt")
	fails=$(grep -vc '^200$' "$TMP/load.txt")
	[ "$total" -ge 20 ] && [ "$fails" = 0 ] || { echo "$fails of $total failed"; return 1; }
}
check "reload under load: every request answered 200" reload_under_load
stream_survives_reload() {
	( sleep 0.5; $CTL reload >/dev/null ) &
	local n
	n=$(rpc "$(call 31 export_report '{"report_id":"r3","format":"csv"}' ',"_meta":{"progressToken":"r"}')" -N |
		grep -c '^data:')
	wait
	[ "$n" = 5 ] || { echo "$n of 5 events"; return 1; }
}
check "an SSE stream in flight survives a reload" stream_survives_reload
http10_stream() {
	local raw
	# --raw: curl shows the bytes as sent, chunk framing included if any.
	raw=$(rpc "$(call 32 export_report '{"report_id":"r4","format":"csv"}')" -N --http1.0 --raw -i)
	echo "$raw" | grep -qi '^transfer-encoding' && { echo "chunked to HTTP/1.0"; return 1; }
	echo "$raw" | grep -Eq '^[0-9a-f]+\r?$' && { echo "chunk sizes in the body"; return 1; }
	[ "$(echo "$raw" | grep -c '^data:')" = 1 ] || { echo "$raw"; return 1; }
}
check "an HTTP/1.0 client gets the stream unchunked, ended by close" http10_stream
generation() { $CTL daemon | sed -n 's/.*generation \([0-9]*\).*/\1/p'; }
check "reload moves the generation on" test "$(generation)" -ge 9
cp "$TMP/policy.json" "$TMP/good.json"
echo '{ "version": 1, "backends": {} , "bogus": 1 }' >"$TMP/policy.json"
check_not "a reload with a broken policy is refused" $CTL reload
check "and the running policy keeps serving" \
	sh -c "curl -s -o /dev/null -w '%{http_code}' -X POST '$URL' -H 'Content-Type: application/json' -H 'Accept: application/json' -H 'Mcp-Session-Id: $SID' -d '$(call 6 get_pricing '{"plan":"pro"}')' | grep -q 200"
cp "$TMP/good.json" "$TMP/policy.json"
gen_before=$(generation)
kill -HUP "$SLUICED_PID"
sighup_reloads() { [ "$(generation)" -gt "$gen_before" ]; }
check "SIGHUP reloads too" wait_for "generation bump" 3 sighup_reloads

# --- connection limits and the idle timeout ----------------------------------------------------
IDLE_MS=1000 write_policy 1500 2
$CTL reload >/dev/null || fail "reload with limits" "refused"
per_source_limit() {
	local status
	exec 7<>/dev/tcp/127.0.0.1/$GPORT 8<>/dev/tcp/127.0.0.1/$GPORT
	sleep 0.2
	status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -X POST "$URL" -H 'Content-Type: application/json' -d '{}')
	exec 7>&- 8>&-
	[ "$status" = 429 ] || { echo "third connection got $status"; return 1; }
}
check "a source over max_connections_per_source gets 429" per_source_limit
idle_closed() {
	local t0=$SECONDS
	exec 7<>/dev/tcp/127.0.0.1/$GPORT
	# The gateway closes an idle connection: the read sees EOF after ~1 s.
	timeout 4 cat <&7 >/dev/null
	exec 7>&-
	((SECONDS - t0 <= 3))
}
check "an idle connection is closed after idle_timeout_ms" idle_closed
cp "$TMP/good.json" "$TMP/policy.json"
$CTL reload >/dev/null || fail "reload back" "refused"

# --- backend down: a fast, structured 503, then the breaker ---------------------------------------
kill "$BACKEND_PID"
wait "$BACKEND_PID" 2>/dev/null
down_fast() {
	local out
	out=$(rpc "$(call 7 get_pricing '{"plan":"pro"}')" -D "$TMP/h.txt" -w '\n%{http_code} %{time_total}')
	echo "$out" | tail -1 | grep -q '^503 ' || { echo "$out"; return 1; }
	grep -qi '^retry-after: 2' "$TMP/h.txt" || { echo "no Retry-After"; return 1; }
	echo "$out" | head -1 | jq -e '.error.code == -32050 and .id == 7 and .error.data.retry_after_s == 2' >/dev/null ||
		{ echo "$out"; return 1; }
	awk -v t="$(echo "$out" | tail -1 | cut -d' ' -f2)" 'BEGIN { exit !(t < 0.05) }' ||
		{ echo "took $(echo "$out" | tail -1)"; return 1; }
}
check "backend down: 503 with Retry-After and a JSON-RPC error within 50 ms" down_fast
for i in 1 2 3 4; do rpc "$(call 8 ping '{}')" >/dev/null; done
start_backend
breaker() {
	# Open: answered at once without trying the (now running) backend.
	rpc "$(call 9 get_pricing '{"plan":"pro"}')" -o /dev/null -w '%{http_code}' | grep -q 503 ||
		{ echo "not open"; return 1; }
	sleep 1.7
	# After open_ms one probe goes through and closes it.
	wait_for "the breaker to close" 3 sh -c "curl -s -o /dev/null -w '%{http_code}' -X POST '$URL' -H 'Content-Type: application/json' -H 'Accept: application/json' -d '$INIT' | grep -q 200"
}
check "the circuit breaker opens, then a probe closes it" breaker

# An answer given at once (circuit open) on a keep-alive connection is given once.
answered_once() {
	python3 - "$GPORT" "$BPORT" <<'PY'
import socket, sys, time
gport = int(sys.argv[1])
body = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
req = (b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
       b"Content-Length: %d\r\n\r\n" % (gport, len(body))) + body
s = socket.create_connection(("127.0.0.1", gport), timeout=2)
s.sendall(req)
data, end = b"", time.monotonic() + 1.0
s.settimeout(0.2)
while time.monotonic() < end:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    if not chunk:
        break
    data += chunk
n = data.count(b"HTTP/1.1 ")
print(f"{n} answers")
sys.exit(0 if n == 1 else 1)
PY
}
kill "$BACKEND_PID"; wait "$BACKEND_PID" 2>/dev/null
for i in 1 2 3 4; do rpc "$(call 43 ping '{}')" >/dev/null; done
check "an answer given at once on a kept-alive connection is given once" answered_once
start_backend

check "sluiced is still running" kill -0 "$SLUICED_PID"
kill -TERM "$SLUICED_PID"
check "SIGTERM stops sluiced cleanly" wait_for "exit" 5 sh -c "! kill -0 $SLUICED_PID 2>/dev/null"
# Its exit status: 0, and under the sanitizers no leak report either.
wait "$SLUICED_PID"
SLUICED_RC=$?
check "sluiced exits 0 after SIGTERM (no leak under SAN=1)" test "$SLUICED_RC" = 0

# --- SLUICE_CONTROL and SLUICE_PIN_DIR, as sluicectl reads them; the flags win -------------------
# env_daemon LOG [sluiced flags...]: a second daemon on its own port, started
# with the variables set; its pid in ENV_PID.
env_daemon() {
	local log=$1; shift
	SLUICE_CONTROL="$TMP/env.sock" SLUICE_PIN_DIR="$TMP/env-pins" "$SLUICED" \
		--policy "$TMP/policy.json" --listen "127.0.0.1:$(free_port)" --workers 1 "$@" \
		>"$log" 2>&1 &
	ENV_PID=$!
	E2E_PIDS+=("$ENV_PID")
}
stop_env_daemon() { kill "$ENV_PID" 2>/dev/null; wait "$ENV_PID" 2>/dev/null; }
# The daemon's own pid in the answer: not some other sluiced's socket.
answers_on() { SLUICE_CONTROL=$1 "$SLUICECTL" daemon | grep -q "^pid $ENV_PID "; }

env_daemon "$TMP/env.log"
check "sluiced listens on the control socket SLUICE_CONTROL names" \
	wait_for "the control socket" 5 answers_on "$TMP/env.sock"
check "sluiced looks for the maps where SLUICE_PIN_DIR says" \
	grep -q "no sluice maps pinned at $TMP/env-pins:" "$TMP/env.log"
stop_env_daemon
env_daemon "$TMP/flags.log" --control "$TMP/flag.sock" --pin-dir "$TMP/flag-pins"
flags_win() {
	wait_for "the control socket" 5 answers_on "$TMP/flag.sock" || return 1
	[ ! -e "$TMP/env.sock" ] || { echo "listening on SLUICE_CONTROL too"; return 1; }
	grep -q "no sluice maps pinned at $TMP/flag-pins:" "$TMP/flags.log" ||
		{ echo "pin dir: $(cat "$TMP/flags.log")"; return 1; }
}
check "--control and --pin-dir win over the environment" flags_win
stop_env_daemon
exit $E2E_FAILED
