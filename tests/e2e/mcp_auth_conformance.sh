#!/bin/bash
# mcp_auth_conformance.sh - server-everything through sluiced with
# authentication on, for an agent allowed everything: the official SDK
# client's full run (tests/mcp/client.mjs) with the agent's key from
# `sluicectl key new`, and the conformance server suite.  The suite
# (0.1.13) takes no header or credential (its options: --url, --scenario,
# --suite, --expected-failures, -o, --verbose), so the agent is also
# identified by its source address, agents.*.sources ["127.0.0.1"] (and allowed
# every backend request, server_requests, as an allow-all policy does); from any
# other source a request without the key is 401.  Every scenario must come
# out as against server-everything directly (dns-rebinding-protection may
# pass through sluiced only), so at least as many pass.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

MCP=$PWD/tests/mcp
[ -x "$BUILD/sluiced" ] || die "build first: $BUILD/sluiced"
command -v node >/dev/null || die "node missing: run scripts/deps.sh"
[ -d "$MCP/node_modules/@modelcontextprotocol/sdk" ] || die "npm peers missing: run scripts/deps.sh"
TMP=$(mktemp -d /tmp/sluice-mcp-authconf.XXXXXX)
on_exit "rm -rf '$TMP'"

SE=$(free_port)
GW=$(free_port)
read -r KEY DIGEST < <(mcp_key everything-agent) && [ -n "$DIGEST" ] || die "sluicectl key new"
AGENTS="{ \"everything-agent\": { \"keys_sha256\": [\"$DIGEST\"], \"sources\": [\"127.0.0.1\"], \"server_requests\": [\"sampling\", \"elicitation\", \"roots\"] } }"
mcp_everything "$SE" streamableHttp "$TMP/se.log" || die "server-everything did not start"
mcp_sluiced "$TMP" gw "$GW" "$SE" "$AGENTS" || die "sluiced: $(tail -3 "$TMP/gw.log")"

# The suite against server-everything directly runs meanwhile (own sessions).
"$MCP/conformance.sh" "http://127.0.0.1:$SE/mcp" "$TMP/direct.txt" >"$TMP/conf-direct.log" 2>&1 &
CONF_DIRECT=$!
E2E_PIDS+=($CONF_DIRECT)

# Authentication is on: another source without the key is refused.
no_key_elsewhere() {
	local st
	st=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}' "http://127.0.0.1:$GW/mcp")
	[ "$st" = 401 ] || { echo "answered $st"; return 1; }
}
check "no key from 127.0.0.2 (no agent's source): 401" no_key_elsewhere

node "$MCP/client.mjs" --transport streamable --url "http://127.0.0.1:$GW/mcp" \
	--header "Authorization: Bearer $KEY" | sed 's/^\(PASS\|FAIL\): mcp-/\1: mcp-key-/'
[ "${PIPESTATUS[0]}" = 0 ] || E2E_FAILED=1

"$MCP/conformance.sh" "http://127.0.0.1:$GW/mcp" "$TMP/proxied.txt" >"$TMP/conf-proxied.log" 2>&1
wait "$CONF_DIRECT"
check "conformance ran directly" test -s "$TMP/direct.txt"
check "conformance ran through sluiced with authentication on" test -s "$TMP/proxied.txt"
CONFORMANCE_ALLOW_IMPROVED="dns-rebinding-protection" \
	"$MCP/compare-conformance.sh" "$TMP/direct.txt" "$TMP/proxied.txt" |
	sed "s/^\(PASS\|FAIL\): /\1: $E2E_NAME: /" |
	grep -E '^(PASS|FAIL):|conformance:' | tee "$TMP/compare.txt"
grep -q '^FAIL' "$TMP/compare.txt" && E2E_FAILED=1
grep -q '^conformance: 30 scenarios' "$TMP/compare.txt" ||
	fail "conformance comparison" "no summary: $(tail -2 "$TMP/compare.txt" | tr '\n' ' ')"
n_direct=$(grep -c ' PASS$' "$TMP/direct.txt")
n_proxied=$(grep -c ' PASS$' "$TMP/proxied.txt")
check "conformance: through sluiced with authentication ($n_proxied) >= directly ($n_direct)" \
	test "$n_proxied" -ge "$n_direct" -a "$n_direct" -ge 11
# Under SAN=1: no memory error or undefined behaviour in sluiced.
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error' '$TMP'/gw.log"
exit $E2E_FAILED
