#!/bin/bash
# hostile.sh - sluiced in front of a backend that breaks HTTP and MCP on
# purpose (tests/e2e/hostile_backend.py), on loopback.
#
# Every case asserts the correct behaviour (tests/e2e/hostile_cases.py says
# each precisely): a pooled connection that sent stray bytes is never
# reused and nothing crashes; every client gets only the answer with its own
# JSON-RPC id; a request the backend may have acted on is never sent twice;
# a backend that breaks the protocol (odd status, bad SSE, bad legacy
# endpoint, foreign id) gets the client a 502 with JSON-RPC error -32052
# "backend broke the protocol..." and no Retry-After, or, mid-stream, a cut
# stream; GET and DELETE with a body are refused before the backend; a
# session sluiced does not know is answered 404 by sluiced (on revisions
# that have sessions); MCP 2026-07-28's GET and DELETE are 405 and its
# requests name their version in params._meta; a priming SSE event (id:,
# empty data:) is relayed without the warning a non-JSON event gets.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

SLUICED=$PWD/$BUILD/sluiced
[ -x "$SLUICED" ] || die "build first: $SLUICED"
TMP=$(mktemp -d /tmp/sluice-hostile.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1

GPORT=$(free_port)
BPORT=$(free_port)
cat >"$TMP/policy.json" <<EOF
{
  "version": 1,
  "listen": "127.0.0.1:$GPORT",
  "limits": { "header_timeout_ms": 2000, "idle_timeout_ms": 10000 },
  "backends": {
    "main": { "url": "http://127.0.0.1:$BPORT/mcp", "timeout_ms": 3000,
              "connect_timeout_ms": 500, "failure_threshold": 1000, "open_ms": 1000,
              "pool_size": 8 }
  }
}
EOF

python3 tests/e2e/hostile_backend.py --listen "127.0.0.1:$BPORT" --lifetime 120 \
	>"$TMP/backend.log" 2>&1 &
E2E_PIDS+=($!)
wait_for "the backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BPORT" || die "backend did not start"

# A memory error or undefined behaviour the sanitizers reported in this
# run (leaks at exit are not this test's subject: LeakSanitizer is ignored).
no_sanitizer_report() {
	! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$LOG" ||
		{ grep -m1 -E '^SUMMARY: AddressSanitizer: [a-z-]+ |runtime error:' "$LOG"; return 1; }
}

start_sluiced() {
	# A log per run: a restart after a crash starts a clean one.
	LOG=$TMP/sluiced.$((++RUNS)).log
	"$SLUICED" --policy "$TMP/policy.json" --workers 2 --control "$TMP/ctl.sock" \
		--pin-dir "$TMP/no-kernel" >"$LOG" 2>&1 &
	SLUICED_PID=$!
	E2E_PIDS+=("$SLUICED_PID")
	wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT"
}
RUNS=0
start_sluiced || die "sluiced did not start"

cases() { (cd tests/e2e && python3 hostile_cases.py "$GPORT" "$BPORT" "$@") || E2E_FAILED=1; }

# --- 1: stray bytes after an answer, a request pipelined behind it ----------------
cases well_behaved content_type_normalised stray_crlf_pipelined
sleep 0.5	# a crash or a sanitizer report takes a moment
normal_request() {
	curl -s --max-time 3 -X POST "http://127.0.0.1:$GPORT/mcp" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		-d '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{}}}' |
		jq -e '.id == 3 and .result' >/dev/null
}
survives() {
	local rc
	if ! kill -0 "$SLUICED_PID" 2>/dev/null; then
		wait "$SLUICED_PID"
		rc=$?
		echo "sluiced died, exit status $rc;" \
			"$(grep -m1 -E '^SUMMARY' "$LOG")"
		return 1
	fi
	normal_request || { echo "a normal request after it was not answered"; return 1; }
}
check "sluiced survives the stray CRLF and still serves" survives
# The remaining cases need a running daemon.
if ! kill -0 "$SLUICED_PID" 2>/dev/null; then
	echo "hostile: sluiced died; restarted for the remaining cases"
	start_sluiced || die "sluiced did not restart"
fi

# --- 2, 3, 4, 5: foreign ids, duplicates, protocol errors ---------------------------
cases wrong_id unsolicited_idle unsolicited_before_answer no_retry_after_send \
	status_999 sse_retry_huge sse_nul legacy_endpoint_ok legacy_endpoint_lf status_101

# --- 10: GET and DELETE carry no body -------------------------------------------------
cases get_with_body get_with_chunked_body delete_with_body
cases get_with_empty_length

# --- 8: sessions sluiced does not know ---------------------------------------------------
cases unknown_session deleted_session sessionless_revision duplicate_session_header

# --- MCP 2026-07-28 (the stateless revision) ---------------------------------------------
cases stateless_get_delete stateless_meta

# --- SSE events that carry no message -------------------------------------------------------
not_json_warnings() { grep -c 'SSE event that is not JSON-RPC' "$LOG"; }
WARNED=$(not_json_warnings)
cases sse_priming
sleep 0.2
check "a priming event (id:, empty data:) is relayed without a warning" \
	test "$(not_json_warnings)" = "$WARNED"
cases sse_text
sleep 0.2
check "an event that is not JSON-RPC is still warned about" \
	test "$(not_json_warnings)" -gt "$WARNED"

check "sluiced is still running" kill -0 "$SLUICED_PID"
kill -TERM "$SLUICED_PID"
check "SIGTERM stops sluiced cleanly" wait_for "exit" 5 sh -c "! kill -0 $SLUICED_PID 2>/dev/null"
# The sanitizer build (make SAN=1) reports what the cases above provoked.
if grep -qa __asan_init "$SLUICED"; then
	check "sluiced logged no sanitizer report" no_sanitizer_report
fi
exit $E2E_FAILED
