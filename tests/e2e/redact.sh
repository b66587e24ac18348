#!/bin/bash
# redact.sh - output redaction end to end: sluiced with three redaction rules
# (cards with the Luhn check, API keys, e-mail addresses) in front of
# tests/e2e/redact_backend.py, which answers with secrets as JSON, as SSE
# events written in pieces (a secret split across reads) and as an SSE event
# that is not JSON, one whose JSON cJSON cannot parse, and one named endpoint.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

SLUICED=$PWD/$BUILD/sluiced
[ -x "$SLUICED" ] || die "build first: $SLUICED"
TMP=$(mktemp -d /tmp/sluice-redact.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1

BPORT=$(free_port)
GPORT=$(free_port)
python3 tests/e2e/redact_backend.py --listen "127.0.0.1:$BPORT" --lifetime 60 \
	>"$TMP/backend.log" 2>&1 &
E2E_PIDS+=($!)
wait_for "the backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BPORT" || die "backend did not start"
cat >"$TMP/policy.json" <<JSON
{
  "version": 1,
  "listen": "127.0.0.1:$GPORT",
  "backends": { "main": { "url": "http://127.0.0.1:$BPORT/mcp" } },
  "redaction": [
    { "name": "card", "pattern": "\\\\b(?:\\\\d[ -]?){13,19}\\\\b", "replacement": "[CARD]",
      "check": "luhn" },
    { "name": "api-key", "pattern": "\\\\bsk_(?:live|test)_[A-Za-z0-9]{16,}\\\\b" },
    { "name": "email", "pattern": "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}",
      "replacement": "[EMAIL]" }
  ]
}
JSON
"$SLUICED" --policy "$TMP/policy.json" --workers 2 --pin-dir "$TMP/no-kernel" \
	>"$TMP/sluiced.log" 2>&1 &
GW=$!
E2E_PIDS+=($GW)
wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" || die "$(tail -3 "$TMP/sluiced.log")"

URL=http://127.0.0.1:$GPORT/mcp
call() {	# call TOOL: the answer's body
	curl -s -N --max-time 10 -X POST "$URL" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"$1\",\"arguments\":{}}}"
}

json_answer() {
	local out
	out=$(call json)
	echo "$out" | jq -e '.id == 7' >/dev/null || { echo "not JSON: $out"; return 1; }
	echo "$out" | grep -q 'card \[CARD\], order 4111 1111 1111 1112, mail \[EMAIL\]' ||
		{ echo "$out"; return 1; }
	# Bytes outside the judged strings are relayed as the backend wrote them.
	echo "$out" | grep -q '"big": 12345678901234567890' || { echo "$out"; return 1; }
}
check "a JSON answer: the card (Luhn) and the address go, the other number stays, JSON valid" json_answer

sse_split() {
	local out
	out=$(call sse)
	echo "$out" | grep '^data:' >"$TMP/sse.txt"
	[ "$(wc -l <"$TMP/sse.txt")" = 2 ] || { echo "$out"; return 1; }
	sed -n 1p "$TMP/sse.txt" | cut -c6- | jq -e '.params.data == "contact [EMAIL] now"' >/dev/null &&
		sed -n 2p "$TMP/sse.txt" | cut -c6- |
		jq -e '.id == 7 and .result.content[0].text == "paid with [CARD]"' >/dev/null ||
		{ cat "$TMP/sse.txt"; return 1; }
	! grep -q 'example\|1111' "$TMP/sse.txt" || { cat "$TMP/sse.txt"; return 1; }
}
check "SSE: secrets split across the backend's writes are redacted, every event stays JSON" sse_split

plain_event() {
	local out
	out=$(call plain)
	echo "$out" | grep -q '^data: key \[REDACTED\] in plain text' &&
		! echo "$out" | grep -q sk_live || { echo "$out"; return 1; }
}
check "an SSE event that is not JSON is redacted as plain text" plain_event

lone_event() {
	local out
	out=$(call lone)
	! echo "$out" | grep -qi 'example' || { echo "$out"; return 1; }
	grep -q 'looks like JSON the gateway cannot parse' "$TMP/sluiced.log" ||
		{ tail -3 "$TMP/sluiced.log"; return 1; }
}
check "JSON cJSON refuses (a lone surrogate) is not judged as plain text: not relayed" lone_event

typed_event() {
	local out
	out=$(call typed)
	echo "$out" | grep -q '^data: .*mail \[EMAIL\]' && ! echo "$out" | grep -q example ||
		{ echo "$out"; return 1; }
}
check "an event named endpoint on a Streamable HTTP stream is judged like any other" typed_event

mislabelled() {
	local out
	out=$(call mislabel)
	echo "$out" | grep -q 'mail \[EMAIL\]' && ! echo "$out" | grep -q example || { echo "$out"; return 1; }
}
check "a JSON answer labelled text/plain is redacted all the same" mislabelled

kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log'"
exit $E2E_FAILED
