#!/bin/bash
# tests/e2e/demo_backend.sh - sluice-demo-backend over real loopback sockets.
#
# Starts $BUILD/sluice-demo-backend on 127.0.0.1 (port 0: the kernel picks a
# free one, the backend logs it) with two workers, so requests of one
# session land on different threads, and a --sse-delay-ms long enough to
# see streamed events arrive one by one.  Drives it with curl and socat.
# Needs no root.  Cleans up only what it started.
set -u
cd "$(dirname "$0")/../.."
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

BIN=$BUILD/sluice-demo-backend
TMP=$(mktemp -d /tmp/sluice-demo-backend.XXXXXX)
SSE_DELAY_MS=300
BACKEND_PID=
BG_PIDS=()
BASE=
SID=
WHY=

cleanup() {
	local pid
	for pid in "${BG_PIDS[@]}" $BACKEND_PID; do
		kill "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
on_exit cleanup

# run_case "name" function: one PASS/FAIL line; the function calls `why` to fail.
run_case() {
	local name=$1; shift
	WHY=
	if "$@"; then
		pass "$name"
	else
		# One line per case, whatever the reason holds.
		fail "$name" "$(printf '%s' "${WHY:-$* failed}" | tr '\r\n' '  ' | head -c 400)"
	fi
}
why() { WHY="$*"; return 1; }

# bg command...: a bounded background client; bg_wait reaps it (and forgets its pid).
bg() { "$@" & BG_PIDS+=($!); }
bg_wait() {
	local pid
	for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	BG_PIDS=()
}

# post SID JSON [curl args...]: POST /mcp; body, head and status land in $TMP.
post() {
	local sid=$1 json=$2; shift 2
	local args=(-sS --max-time 10 -o "$TMP/body" -D "$TMP/head" -w '%{http_code}'
		    -H 'Content-Type: application/json')
	[ -n "$sid" ] && args+=(-H "Mcp-Session-Id: $sid")
	curl "${args[@]}" "$@" --data-binary "$json" "$BASE/mcp" >"$TMP/code" 2>"$TMP/curl.err"
}
code() { cat "$TMP/code"; }
body() { cat "$TMP/body"; }
header() { tr -d '\r' <"$TMP/head" | sed -n "s/^$1: //Ip" | head -n 1; }
expect_code() { [ "$(code)" = "$1" ] || why "HTTP $(code), wanted $1: $(head -c 200 "$TMP/body")"; }
call() { printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":%s}}' "$1" "$2" "$3"; }
PING='{"jsonrpc":"2.0","id":2,"method":"ping"}'

# wait_file FILE PATTERN SECONDS: until grep finds PATTERN in FILE.
wait_file() { wait_for "$2 in $1" "$3" grep -q -- "$2" "$1" 2>/dev/null; }

start_backend() {
	[ -x "$BIN" ] || die "$BIN not built"
	"$BIN" --listen 127.0.0.1:0 --workers 2 --sse-delay-ms $SSE_DELAY_MS 2>"$TMP/backend.log" &
	BACKEND_PID=$!
	wait_file "$TMP/backend.log" 'listening on' 10 ||
		die "the backend did not start: $(tail -n 3 "$TMP/backend.log")"
	BASE=http://127.0.0.1:$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/backend.log")
}

# --- cases ---------------------------------------------------------------------------

case_initialize() {
	post "" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}' || why "curl: $(cat "$TMP/curl.err")" || return
	expect_code 200 || return
	SID=$(header mcp-session-id)
	[[ $SID =~ ^[0-9a-f]{32}$ ]] || why "Mcp-Session-Id '$SID'" || return
	[ "$(body | jq -r .result.protocolVersion)" = 2025-06-18 ] || why "version: $(body)" || return
	post "" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01"}}'
	[ "$(body | jq -r .result.protocolVersion)" = 2025-11-25 ] || why "unsupported version not answered with the latest: $(body)" || return
	[ "$(header mcp-session-id)" != "$SID" ] || why "two sessions, one id"
}

case_tools_list() {
	local want="create_account export_report fail get_dashboard get_pricing run_query sampling_demo search_docs slow submit_order update_account"
	local got
	post "$SID" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
	expect_code 200 || return
	got=$(body | jq -r '[.result.tools[].name] | sort | join(" ")')
	[ "$got" = "$want" ] || why "tools: $got" || return
	body | jq -e 'all(.result.tools[]; .inputSchema.type == "object")' >/dev/null ||
		why "a tool without an object inputSchema"
}

case_run_query() {
	post "$SID" "$(call 3 run_query '{"sql":"select * from accounts","limit":5}')"
	expect_code 200 || return
	[[ $(header content-type) == application/json* ]] || why "Content-Type $(header content-type)" || return
	body | jq -e '.id == 3 and .result.isError == false and .result.content[0].type == "text"' >/dev/null ||
		why "result: $(body)" || return
	body | jq -r '.result.content[0].text' | grep -q 'sk_live_' || why "no secret-looking row" || return
	body | jq -r '.result.content[0].text' | grep -q '4111 1111 1111 1111' || why "no card-like row"
}

case_rpc_errors() {
	post "$SID" '{"jsonrpc":"2.0","id":4,"method":"no/such"}'
	[ "$(body | jq .error.code)" = -32601 ] || why "unknown method: $(body)" || return
	post "$SID" "$(call 5 run_query '{"limit":3}')"
	[ "$(body | jq .error.code)" = -32602 ] || why "missing sql: $(body)" || return
	post "$SID" "$(call 6 submit_order '{"account_id":"a","sku":"s","quantity":"many"}')"
	[ "$(body | jq .error.code)" = -32602 ] || why "bad quantity: $(body)" || return
	post "$SID" '{"jsonrpc":"2.0","id":7,"method":'
	expect_code 400 || return
	[ "$(body | jq .error.code)" = -32700 ] || why "parse error: $(body)" || return
	post "$SID" "$PING garbage"
	[ "$(body | jq .error.code)" = -32700 ] || why "trailing bytes accepted: $(body)" || return
	post "$SID" '{"id":8,"method":"ping"}'
	expect_code 400 || return
	[ "$(body | jq .error.code)" = -32600 ] || why "invalid request: $(body)"
}

# export_report streams: progress events --sse-delay-ms apart, then the result.
case_export_sse() {
	local out=$TMP/export.sse
	bg curl -sS -N --max-time 10 -D "$TMP/export.head" -o "$out" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Mcp-Session-Id: $SID" --data-binary \
		'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"export_report","arguments":{"report_id":"q3","format":"pdf"},"_meta":{"progressToken":"tok-9"}}}' \
		"$BASE/mcp"
	wait_file "$out" '"progress":1' 5 || { bg_wait; why "no first progress event"; return; }
	# The result is 4 delays away: if it is here already, nothing was flushed early.
	grep -q '"result"' "$out" && { bg_wait; why "result arrived with the first event: not flushed"; return; }
	bg_wait
	tr -d '\r' <"$TMP/export.head" | grep -qi '^content-type: text/event-stream' ||
		why "not an event stream: $(head -n 5 "$TMP/export.head")" || return
	[ "$(grep -c '^id: ' "$out")" = 5 ] || why "want 5 events with ids: $(cat "$out")" || return
	local seq
	seq=$(sed -n 's/^data: //p' "$out" | jq -r 'if .method then "p\(.params.progress)/\(.params.total)" else "r\(.id)" end' | tr '\n' ' ')
	[ "$seq" = "p1/4 p2/4 p3/4 p4/4 r9 " ] || why "events out of order: $seq"
}

case_export_json() {
	post "$SID" "$(call 10 export_report '{"report_id":"q3"}')" -H 'Accept: application/json'
	expect_code 200 || return
	body | jq -e '.id == 10 and (.result.content[0].text | test("q3.csv"))' >/dev/null || why "$(body)"
}

# Two requests in one write: the slow one first, answered first.
case_pipelined() {
	local a b out
	a=$(call 1 slow '{"ms":200}')
	b=$PING
	printf 'POST /mcp HTTP/1.1\r\nHost: t\r\nMcp-Session-Id: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%sPOST /mcp HTTP/1.1\r\nHost: t\r\nMcp-Session-Id: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
		"$SID" "${#a}" "$a" "$SID" "${#b}" "$b" >"$TMP/pipelined.req"
	out=$(timeout 10 socat -t 3 - "TCP:127.0.0.1:${BASE##*:}" <"$TMP/pipelined.req" 2>&1)
	[ "$(grep -o 'HTTP/1.1 200 OK' <<<"$out" | wc -l)" = 2 ] || why "want two 200s: $out" || return
	[ "$(grep -o '"id":[0-9]*' <<<"$out" | tr '\n' ' ')" = '"id":1 "id":2 ' ] || why "out of order: $out"
}

case_chunked_body() {
	local out
	post "$SID" "$PING" -H 'Transfer-Encoding: chunked'
	expect_code 200 || return
	[ "$(body | jq -c .result)" = '{}' ] || why "$(body)" || return
	# Pieces split mid-JSON, and trailer fields after the last chunk.
	out=$(printf 'POST /mcp HTTP/1.1\r\nHost: t\r\nMcp-Session-Id: %s\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n{"jsonrpc":"2.0","id\r\n15\r\n":12,"method":"ping"}\r\n0\r\nX-Checksum: %s\r\n\r\n' \
		"$SID" "$(head -c 600 /dev/zero | tr '\0' c)" |
		timeout 10 socat -t 3 - "TCP:127.0.0.1:${BASE##*:}" 2>&1)
	grep -q '"id":12,"result":{}' <<<"$out" || why "with trailers: $out"
}

case_body_too_large() {
	head -c $((2 << 20)) /dev/zero | tr '\0' ' ' >"$TMP/big"
	curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Mcp-Session-Id: $SID" \
		--data-binary @"$TMP/big" "$BASE/mcp" >"$TMP/code" 2>"$TMP/curl.err"
	expect_code 413 || return
	curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Mcp-Session-Id: $SID" \
		-H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big" "$BASE/mcp" >"$TMP/code" 2>"$TMP/curl.err"
	expect_code 413 || why "chunked: HTTP $(code) $(cat "$TMP/curl.err")"
}

case_headers_too_large() {
	post "$SID" "$PING" -H "X-Filler: $(head -c 70000 /dev/zero | tr '\0' x)"
	expect_code 431
}

case_origin() {
	post "$SID" "$PING" -H 'Origin: http://evil.example.com'
	expect_code 403 || return
	post "$SID" "$PING" -H "Origin: http://127.0.0.1:${BASE##*:}"
	expect_code 200 || return
	post "$SID" "$PING" -H 'Origin: http://localhost'
	expect_code 200
}

case_sessions() {
	post "0123456789abcdef0123456789abcdef" "$PING"
	expect_code 404 || return
	[ "$(body | jq .error.code)" = -32001 ] || why "unknown session: $(body)" || return
	post "" "$PING"
	expect_code 400
}

case_delete() {
	local sid
	post "" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}'
	sid=$(header mcp-session-id)
	curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X DELETE -H "Mcp-Session-Id: $sid" \
		"$BASE/mcp" >"$TMP/code"
	expect_code 200 || return
	post "$sid" "$PING"
	expect_code 404 || why "deleted session still answers: HTTP $(code)"
}

case_get_stream_resume() {
	local out=$TMP/log.sse
	curl -sS -N --max-time 2 -o "$out" -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $SID" \
		-H 'Last-Event-ID: 41' "$BASE/mcp" 2>/dev/null
	[ "$(sed -n 's/^id: //p' "$out" | head -n 2 | tr '\n' ' ')" = "42 43 " ] ||
		why "resumed ids: $(head -n 6 "$out")" || return
	sed -n 's/^data: //p' "$out" | head -n 1 | jq -e '.method == "notifications/message"' >/dev/null ||
		why "not a log event: $(head -n 3 "$out")"
}

case_legacy() {
	local out=$TMP/legacy.sse endpoint i
	bg curl -sS -N --max-time 10 -o "$out" "$BASE/sse"
	wait_file "$out" 'event: endpoint' 5 || { bg_wait; why "no endpoint event"; return; }
	endpoint=$(sed -n 's/^data: \(\/message?sessionId=[0-9a-f]\{32\}\)\r\{0,1\}$/\1/p' "$out")
	[ -n "$endpoint" ] || { bg_wait; why "endpoint: $(cat "$out")"; return; }
	# Several posts: with two workers some land on the other thread than the stream.
	for i in 21 22 23 24; do
		curl -sS --max-time 5 -o /dev/null -w '%{http_code}' --data-binary \
			"$(call $i get_pricing '{"plan":"pro"}')" "$BASE$endpoint" >"$TMP/code"
		expect_code 202 || { bg_wait; return 1; }
	done
	wait_file "$out" '"id":24' 5 || { bg_wait; why "no answer on the stream: $(cat "$out")"; return; }
	kill "${BG_PIDS[@]}" 2>/dev/null
	bg_wait
	[ "$(grep -c '^event: message' "$out")" = 4 ] || why "want 4 message events: $(cat "$out")" || return
	curl -sS --max-time 5 -o /dev/null -w '%{http_code}' --data-binary "$PING" \
		"$BASE/message?sessionId=0123456789abcdef0123456789abcdef" >"$TMP/code"
	expect_code 404
}

# sampling_demo asks the client over the POST's stream; the client answers in a new POST.
case_sampling() {
	local out=$TMP/sampling.sse rid
	bg curl -sS -N --max-time 10 -o "$out" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SID" \
		--data-binary "$(call 30 sampling_demo '{"prompt":"say hi"}')" "$BASE/mcp"
	wait_file "$out" 'sampling/createMessage' 5 || { bg_wait; why "no sampling request"; return; }
	rid=$(sed -n 's/^data: //p' "$out" | jq -r 'select(.method == "sampling/createMessage") | .id')
	post "$SID" "{\"jsonrpc\":\"2.0\",\"id\":\"$rid\",\"result\":{\"role\":\"assistant\",\"model\":\"e2e-model\",\"content\":{\"type\":\"text\",\"text\":\"hi there\"}}}"
	expect_code 202 || { bg_wait; return 1; }
	wait_file "$out" '"id":30' 5 || { bg_wait; why "no result: $(cat "$out")"; return; }
	bg_wait
	sed -n 's/^data: //p' "$out" | jq -e 'select(.id == 30) | .result.content[0].text | test("hi there")' \
		>/dev/null || why "result: $(cat "$out")"
}

case_hooks() {
	local start elapsed
	start=$(date +%s%N)
	post "$SID" "$(call 40 slow '{"ms":250}')"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	expect_code 200 || return
	((elapsed >= 250)) || why "slow answered after $elapsed ms" || return
	post "$SID" "$(call 41 fail '{}')"
	expect_code 500 || return
	[ "$(body | jq .error.code)" = -32603 ] || why "fail body: $(body)"
}

case_batch() {
	post "$SID" "[$PING,{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},$(call 43 get_pricing '{}')]"
	expect_code 200 || return
	[ "$(body | jq -c '[.[].id]')" = '[2,43]' ] || why "batch answers: $(body)" || return
	post "$SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}'
	expect_code 202
}

case_sigterm() {
	local rc
	kill -TERM "$BACKEND_PID"
	wait "$BACKEND_PID"
	rc=$?
	BACKEND_PID=
	[ "$rc" = 0 ] || why "exit $rc: $(tail -n 5 "$TMP/backend.log" | tr '\n' ' ')"
}

start_backend
run_case "initialize and session header" case_initialize
[ -n "$SID" ] || die "no session: the other cases need one"
run_case "tools/list has the 8 analytics tools and the hooks" case_tools_list
run_case "tools/call run_query answers JSON" case_run_query
run_case "JSON-RPC errors" case_rpc_errors
run_case "export_report streams progress in order, flushed" case_export_sse
run_case "export_report without SSE answers JSON" case_export_json
run_case "pipelined requests answered in order" case_pipelined
run_case "chunked request body" case_chunked_body
run_case "413 on a 2 MiB body" case_body_too_large
run_case "431 on huge headers" case_headers_too_large
run_case "unknown session 404, missing 400" case_sessions
run_case "non-loopback Origin refused (DNS rebinding)" case_origin
run_case "DELETE ends the session" case_delete
run_case "GET stream resumes after Last-Event-ID" case_get_stream_resume
run_case "legacy /sse endpoint and /message round trip" case_legacy
run_case "sampling_demo round trip" case_sampling
run_case "slow and fail hooks" case_hooks
run_case "batch" case_batch
run_case "SIGTERM exits 0" case_sigterm
exit $E2E_FAILED
