#!/bin/bash
# mcp_auth.sh - the official TypeScript SDK client through sluiced with
# authentication on (tests/mcp/auth-client.mjs), on both transports, as an
# agent whose key `sluicectl key new` made and whose policy allows only echo
# and get-sum of server-everything: no key is a 401 the SDK can follow to
# the resource metadata; with the key (Authorization: Bearer or X-API-Key)
# tools/list shows those two tools, they work, and the denied get-env is an
# error naming the rule that never reaches the backend (tests/mcp/tap.mjs,
# between sluiced and server-everything, records what does).
# tests/e2e/mcp_auth_conformance.sh does the same for an agent allowed
# everything, with the conformance suite.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

MCP=$PWD/tests/mcp
[ -x "$BUILD/sluiced" ] || die "build first: $BUILD/sluiced"
command -v node >/dev/null || die "node missing: run scripts/deps.sh"
[ -d "$MCP/node_modules/@modelcontextprotocol/sdk" ] || die "npm peers missing: run scripts/deps.sh"
TMP=$(mktemp -d /tmp/sluice-mcp-auth.XXXXXX)
on_exit "rm -rf '$TMP'"

SE_HTTP=$(free_port)
SE_SSE=$(free_port)
TAP_HTTP=$(free_port)
TAP_SSE=$(free_port)
GW_HTTP=$(free_port)
GW_SSE=$(free_port)

start_tap() {	# PORT UPSTREAM NAME
	: >"$TMP/tap-$3.jsonl"
	node "$MCP/tap.mjs" --listen "$1" --upstream "$2" --log "$TMP/tap-$3.jsonl" \
		>"$TMP/tap-$3.out" 2>&1 &
	E2E_PIDS+=($!)
	wait_for "tap $3" 10 port_open "$1"
}

read -r KEY DIGEST < <(mcp_key sdk-agent) && [ -n "$DIGEST" ] || die "sluicectl key new"
RESTRICTED="{ \"sdk-agent\": { \"keys_sha256\": [\"$DIGEST\"],
	\"tools\": { \"allow\": [\"echo\", \"get-sum\"] } } }"

mcp_everything "$SE_HTTP" streamableHttp "$TMP/se-http.log" ||
	die "server-everything (streamable) did not start"
mcp_everything "$SE_SSE" sse "$TMP/se-sse.log" || die "server-everything (sse) did not start"
start_tap "$TAP_HTTP" "$SE_HTTP" http || die "tap (streamable) did not start"
start_tap "$TAP_SSE" "$SE_SSE" sse || die "tap (sse) did not start"
mcp_sluiced "$TMP" http "$GW_HTTP" "$TAP_HTTP" "$RESTRICTED" ||
	die "sluiced (streamable): $(tail -3 "$TMP/http.log")"
mcp_sluiced "$TMP" sse "$GW_SSE" "$TAP_SSE" "$RESTRICTED" ||
	die "sluiced (sse): $(tail -3 "$TMP/sse.log")"

# --- the SDK client, as the agent ---------------------------------------------------
common=(--key "$KEY" --agent sdk-agent --allow echo,get-sum --deny get-env)
node "$MCP/auth-client.mjs" --transport streamable --url "http://127.0.0.1:$GW_HTTP/mcp" \
	"${common[@]}" || E2E_FAILED=1
node "$MCP/auth-client.mjs" --transport sse --url "http://127.0.0.1:$GW_SSE/sse" \
	"${common[@]}" || E2E_FAILED=1

# tapped NAME TOOL: how many tools/call of TOOL the backend behind tap NAME got.
tapped() {
	python3 - "$TMP/tap-$1.jsonl" "$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    body = json.loads(line)["body"]
    try:
        msgs = json.loads(body) if body else []
    except ValueError:
        continue
    for m in msgs if isinstance(msgs, list) else [msgs]:
        if isinstance(m, dict) and m.get("method") == "tools/call" and \
                (m.get("params") or {}).get("name") == sys.argv[2]:
            n += 1
print(n)
PY
}
# credentials_tapped NAME: requests that brought Authorization or X-API-Key along.
credentials_tapped() {
	jq -s '[.[] | select(.headers.authorization or .headers["x-api-key"])] | length' \
		"$TMP/tap-$1.jsonl"
}
for t in http sse; do
	check "$t: the allowed echo calls reached server-everything (one per key kind)" \
		test "$(tapped $t echo)" = 2
	check "$t: the denied get-env never reached server-everything" test "$(tapped $t get-env)" = 0
	check "$t: no Authorization or X-API-Key reached server-everything" \
		test "$(credentials_tapped $t)" = 0
done
# Under SAN=1: no memory error or undefined behaviour in sluiced.
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error' '$TMP'/http.log '$TMP'/sse.log"
exit $E2E_FAILED
