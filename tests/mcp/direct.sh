#!/bin/bash
# tests/mcp/direct.sh - runs every tests/mcp driver against server-everything
# directly (no gateway): the baseline the through-sluiced tests compare to,
# and a check that the third-party peers work on this machine.
#
# Prints PASS:/FAIL: lines; writes the conformance results to
# $OUT (default: a temporary directory) as conformance-direct.txt.
set -u

here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$(mktemp -d /tmp/sluice-mcp-direct.XXXXXX)}
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

# A free loopback port (the kernel picks one; nothing else races us here).
free_port() {
	node -e 'const s = require("net").createServer().listen(0, "127.0.0.1",
		() => { console.log(s.address().port); s.close(); })'
}

failed=0
fail() { echo "FAIL: mcp-direct: $*"; failed=1; }

p_http=$(free_port); p_sse=$(free_port)
pid=$(SE_LOG="$out/everything-http.log" "$here/start-everything.sh" "$p_http" streamableHttp) &&
	pids+=("$pid") || fail "server-everything streamableHttp did not start"
pid=$(SE_LOG="$out/everything-sse.log" "$here/start-everything.sh" "$p_sse" sse) &&
	pids+=("$pid") || fail "server-everything sse did not start"

# It must listen on loopback only.
if ss -Hltn "( sport = :$p_http or sport = :$p_sse )" | awk '{print $4}' |
	grep -qv '^127\.0\.0\.1:'; then
	fail "server-everything listens beyond 127.0.0.1"
else
	echo "PASS: mcp-direct: server-everything bound to 127.0.0.1 only"
fi

node "$here/client.mjs" --transport streamable --url "http://127.0.0.1:$p_http/mcp" || failed=1
node "$here/client.mjs" --transport sse --url "http://127.0.0.1:$p_sse/sse" || failed=1

# The suite expects its own fixture server: with the pinned versions,
# server-everything passes 11 of its 30 scenarios.
conf=$out/conformance-direct.txt
if "$here/conformance.sh" "http://127.0.0.1:$p_http/mcp" "$conf"; then
	n=$(grep -c ' PASS$' "$conf")
	if [ "$n" -ge 11 ]; then
		echo "PASS: mcp-direct: conformance: $n scenarios pass ($conf)"
	else
		fail "conformance: only $n scenarios pass, 11 expected ($conf)"
	fi
else
	fail "conformance suite did not run"
fi

# server-everything leaves a POST for an unknown legacy session unanswered.
res=$(node "$here/legacy-unknown-session.mjs" "http://127.0.0.1:$p_sse" --max 2000)
case $res in
"status=none "*"no answer within"*) echo "PASS: mcp-direct: legacy unknown session: unanswered ($res)" ;;
*) fail "legacy unknown session answered: $res" ;;
esac

exit "$failed"
