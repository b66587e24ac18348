#!/bin/bash
# mcp_sdk.sh - real third-party MCP software through sluiced.
#
# The official TypeScript SDK client (Streamable HTTP and legacy SSE
# transports) talks to @modelcontextprotocol/server-everything through
# sluiced; the conformance server suite runs against server-everything
# directly and through sluiced, and every scenario must come out the same
# (one known improvement allowed: sluiced refuses the DNS-rebinding
# request that server-everything itself accepts).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

SLUICED=$PWD/$BUILD/sluiced
MCP=$PWD/tests/mcp
[ -x "$SLUICED" ] || die "build first: $SLUICED"
[ -d "$MCP/node_modules/@modelcontextprotocol/sdk" ] || die "npm peers missing: run scripts/deps.sh"
TMP=$(mktemp -d /tmp/sluice-mcp.XXXXXX)
on_exit "rm -rf '$TMP'"

SE_HTTP=$(free_port)
SE_SSE=$(free_port)
GW_HTTP=$(free_port)
GW_SSE=$(free_port)

mcp_everything "$SE_HTTP" streamableHttp "$TMP/se-http.log" ||
	die "server-everything (streamable) did not start"
mcp_everything "$SE_SSE" sse "$TMP/se-sse.log" || die "server-everything (sse) did not start"
mcp_sluiced "$TMP" http "$GW_HTTP" "$SE_HTTP" || die "sluiced (streamable) did not start"
mcp_sluiced "$TMP" sse "$GW_SSE" "$SE_SSE" || die "sluiced (sse) did not start"

# The SDK client prints its own PASS/FAIL lines per case.
node "$MCP/client.mjs" --transport streamable --url "http://127.0.0.1:$GW_HTTP/mcp" ||
	E2E_FAILED=1
node "$MCP/client.mjs" --transport sse --url "http://127.0.0.1:$GW_SSE/sse" || E2E_FAILED=1

legacy_unknown() {
	local out
	out=$(node "$MCP/legacy-unknown-session.mjs" "http://127.0.0.1:$GW_SSE" --max 5000) ||
		{ echo "$out"; return 1; }
	echo "$out" | grep -Eq '^status=404 ms=[0-9]+' || { echo "$out"; return 1; }
}
check "a legacy POST with an unknown session is answered, not left hanging" legacy_unknown

"$MCP/conformance.sh" "http://127.0.0.1:$SE_HTTP/mcp" "$TMP/direct.txt" >"$TMP/conf-direct.log" 2>&1
"$MCP/conformance.sh" "http://127.0.0.1:$GW_HTTP/mcp" "$TMP/proxied.txt" >"$TMP/conf-proxied.log" 2>&1
check "conformance ran directly" test -s "$TMP/direct.txt"
check "conformance ran through sluiced" test -s "$TMP/proxied.txt"
CONFORMANCE_ALLOW_IMPROVED="dns-rebinding-protection" \
	"$MCP/compare-conformance.sh" "$TMP/direct.txt" "$TMP/proxied.txt" | sed "s/^\(PASS\|FAIL\): /\1: $E2E_NAME: /" |
	grep -E '^(PASS|FAIL):|conformance:' | tee "$TMP/compare.txt"
grep -q '^FAIL' "$TMP/compare.txt" && E2E_FAILED=1
grep -q '^conformance: 30 scenarios' "$TMP/compare.txt" ||
	fail "conformance comparison" "no summary: $(tail -2 "$TMP/compare.txt" | tr '\n' ' ')"
echo "conformance direct: $(grep -c ' PASS$' "$TMP/direct.txt") scenarios pass;" \
	"through sluiced: $(grep -c ' PASS$' "$TMP/proxied.txt")"
exit $E2E_FAILED
