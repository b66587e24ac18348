#!/bin/bash
# admin.sh - sluiced's admin port end to end: sluiced in front of the C demo
# backend, known traffic from two agents (allowed, denied, rate-limited,
# redacted, a made-up tool name, a made-up header), then /metrics (names,
# labels, values, the text format, no label a caller chose), /healthz,
# /readyz (a backend down is 503 naming it), /api/status, the HTTP rules
# and limits of the port (404, 405, 400, 431, 408, the connection cap),
# a second daemon on a taken admin port, the Grafana dashboard's queries
# against a real scrape, the dashboard page in headless Chromium, and
# `sluicectl top` under tmux.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

BACKEND=$PWD/$BUILD/sluice-demo-backend
SLUICED=$PWD/$BUILD/sluiced
[ -x "$BACKEND" ] && [ -x "$SLUICED" ] && [ -x "$SLUICECTL" ] ||
	die "build first: $BACKEND, $SLUICED, $SLUICECTL"
TMP=$(mktemp -d /tmp/sluice-admin.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1

DPORT=$(free_port)
GPORT=$(free_port)
APORT=$(free_port)
URL=http://127.0.0.1:$GPORT/mcp
ADMIN=http://127.0.0.1:$APORT
# Debian's interpreter when there is one: a version manager's shim can take
# seconds to start, and this test starts Python a few times.
export PY=$(command -v /usr/bin/python3 || command -v python3)
M="$PY tests/e2e/admin_metrics.py"

# bot (127.0.0.2, customer acme, plan small: 5 reads a minute) may call
# get_pricing and create_account; ops (127.0.0.3) everything.
cat >"$TMP/policy.json" <<EOF
{
  "version": 1,
  "listen": "127.0.0.1:$GPORT",
  "admin": "127.0.0.1:$APORT",
  "backends": { "main": { "url": "http://127.0.0.1:$DPORT/mcp", "failure_threshold": 2 } },
  "plans": { "small": { "limits": { "read": { "per_minute": 5 } } } },
  "tools": {
    "get_pricing": { "class": "read", "cost": 0.25 },
    "search_docs": { "class": "read", "cost": 1 },
    "update_account": { "class": "write" },
    "create_account": { "class": "write" }
  },
  "agents": {
    "bot": { "sources": ["127.0.0.2"], "customer": "acme", "plan": "small",
             "tools": { "allow": ["get_pricing", "create_account"] } },
    "ops": { "sources": ["127.0.0.3"] }
  },
  "redaction": [
    { "name": "email", "pattern": "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}",
      "replacement": "[EMAIL]" }
  ]
}
EOF
"$SLUICECTL" policy check "$TMP/policy.json" >"$TMP/check.log" 2>&1 ||
	die "the policy does not check: $(cat "$TMP/check.log")"

start_backend() {
	"$BACKEND" --listen "127.0.0.1:$DPORT" >>"$TMP/backend.log" 2>&1 &
	BACKEND_PID=$!
	E2E_PIDS+=("$BACKEND_PID")
	wait_for "the backend" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$DPORT"
}
start_backend || die "backend did not start"
"$SLUICED" --policy "$TMP/policy.json" --workers 2 --control "$TMP/ctl.sock" \
	--pin-dir "$TMP/no-kernel" --usage-db "$TMP/usage.db" >"$TMP/sluiced.log" 2>&1 &
SLUICED_PID=$!
E2E_PIDS+=("$SLUICED_PID")
wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" ||
	die "sluiced did not start: $(tail -3 "$TMP/sluiced.log")"
wait_for "the admin port" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$APORT" ||
	die "no admin port: $(tail -3 "$TMP/sluiced.log")"

# --- traffic ---------------------------------------------------------------------------
session() {
	curl -s -D - -o /dev/null --interface "$1" -X POST "$URL" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"admin-test","version":"1"}}}' |
		tr -d '\r' | awk 'tolower($1) == "mcp-session-id:" { print $2 }'
}
# calls ADDR SID N TOOL ARGS [HEADER]: N tool calls, each answered.
calls() {
	local i
	for ((i = 0; i < $3; i++)); do
		curl -s --max-time 10 --interface "$1" -X POST "$URL" \
			-H 'Content-Type: application/json' -H "${6:-X-Nothing: 1}" \
			-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $2" \
			-d "{\"jsonrpc\":\"2.0\",\"id\":$((i + 2)),\"method\":\"tools/call\",\"params\":{\"name\":\"$4\",\"arguments\":$5}}" \
			>>"$TMP/answers.log"
		echo >>"$TMP/answers.log"
	done
}
BOT=$(session 127.0.0.2)
OPS=$(session 127.0.0.3)
[ -n "$BOT" ] && [ -n "$OPS" ] || die "no sessions: $(tail -3 "$TMP/sluiced.log")"
calls 127.0.0.2 "$BOT" 7 get_pricing '{"plan":"pro"}'
calls 127.0.0.2 "$BOT" 2 update_account '{"account_id":"acct_12345678"}'
calls 127.0.0.2 "$BOT" 1 create_account '{"name":"Ann","email":"ann@example.com"}'
calls 127.0.0.3 "$OPS" 3 search_docs '{"query":"limits"}' 'X-Sluice-Agent: zzzforgedagent'
calls 127.0.0.3 "$OPS" 1 'zzzmadeup\" evil' '{}'
# Refused before the decision (the name header does not match): no call.
calls 127.0.0.3 "$OPS" 1 search_docs '{"query":"x"}' 'Mcp-Name: zzzheadername'

# --- /metrics --------------------------------------------------------------------------
# val NAME [LABEL=VALUE...]: a sample of the last scrape (scrape: take one).
scrape() { curl -s "$ADMIN/metrics" >"$TMP/scrape.txt"; }
val() { $M value "file://$TMP/scrape.txt" "$@"; }
scrape
check "/metrics is valid text format 0.0.4 (Content-Type, TYPE lines, histograms)" \
	$M valid "$ADMIN/metrics"
check "bot: 5 get_pricing allowed" test "$(val sluice_calls_total agent=bot tool=get_pricing decision=allowed)" = 5
check "bot: 2 get_pricing limited (the plan's 5 a minute)" \
	test "$(val sluice_calls_total agent=bot tool=get_pricing decision=limited)" = 2
check "bot: limited calls by limit name the policy path" \
	test "$(val sluice_limited_calls_total agent=bot limit=plans.small.limits.read.per_minute)" = 2
check "bot: 2 update_account denied, reason tool_denied" \
	test "$(val sluice_calls_total agent=bot tool=update_account decision=denied)/$(val sluice_call_refusals_total agent=bot reason=tool_denied)" = 2/2
check "ops: 3 search_docs allowed" test "$(val sluice_calls_total agent=ops tool=search_docs decision=allowed)" = 3
check "cost by agent and customer: bot/acme 1.25, ops/(none) 3" \
	test "$(val sluice_cost_total agent=bot customer=acme)/$(val sluice_cost_total agent=ops 'customer=(none)')" = 1.25/3
check "a made-up tool name is one (unknown) series" \
	test "$(val sluice_calls_total agent=ops 'tool=(unknown)' decision=denied)" = 1
check "redactions by pattern: the email in create_account's answer" \
	test "$(val sluice_redactions_total pattern=email)" = 1
check "no label a caller chose: no made-up tool name, header or forged agent anywhere" \
	bash -c "! $M labels 'file://$TMP/scrape.txt' | grep -q zzz"
check "every agent label is the policy's or (nobody)" \
	bash -c "curl -s '$ADMIN/metrics' | grep -o 'agent=\"[^\"]*\"' | sort -u | grep -vxE 'agent=\"(bot|ops|\\(nobody\\))\"' | wc -l | grep -qx 0"
POSTS=$(val sluice_request_duration_seconds_count backend=main)
check "latency histogram per backend counts the POSTs that went to it (2 initialize, 9 calls)" \
	test "$POSTS" = 11
check "answers by backend and status class: 2xx" \
	bash -c "test \"\$($M value 'file://$TMP/scrape.txt' sluice_answers_total backend=main class=2xx)\" != none"
check "backend up, breaker closed" \
	test "$(val sluice_backend_up backend=main)/$(val sluice_backend_breaker_state backend=main state=closed)" = 1/1
check "queues: audit and usage depth and losses are exposed" \
	test "$(val sluice_audit_lost_total)/$(val sluice_usage_lost_total)/$(val sluice_usage_queue_depth | tr -d 0-9)" = 0/0/
check "process: up 1, generation 1, kernel not attached" \
	test "$(val sluice_up)/$(val sluice_policy_generation)/$(val sluice_kernel_attached)" = 1/1/0
check "HEAD /metrics: the headers, no body" \
	bash -c "curl -sI '$ADMIN/metrics' | grep -q 'version=0.0.4' && test -z \"\$(curl -s -X HEAD --max-time 2 '$ADMIN/metrics' 2>/dev/null)\""

# A reload counts and moves the generation.
$SLUICECTL --control "$TMP/ctl.sock" reload >/dev/null 2>&1
scrape
check "a reload: generation 2, sluice_reloads_total{result=ok} 1" \
	test "$(val sluice_policy_generation)/$(val sluice_reloads_total result=ok)" = 2/1

# --- /api/status -------------------------------------------------------------------------
wait_for "a second sample" 5 bash -c "curl -s '$ADMIN/api/status' | jq -e '.agents[] | select(.name == \"bot\") | .calls == 10' >/dev/null"
S=$(curl -s "$ADMIN/api/status")
check "/api/status: bot 10 calls, 2 denied, 2 limited (429), cost today 1.25" \
	jq -e '.agents[] | select(.name == "bot") | .calls == 10 and .denied == 2 and .limited == 2 and .cost_today == 1.25' <<<"$S"
check "/api/status: ops 4 calls, 1 denied" \
	jq -e '.agents[] | select(.name == "ops") | .calls == 4 and .denied == 1' <<<"$S"
check "/api/status: top tool get_pricing (7 calls), backend main up" \
	jq -e '.tools[0].name == "get_pricing" and .tools[0].calls == 7 and .backends[0].up' <<<"$S"
check "/api/status: a time series of the last seconds, the calls in it" \
	jq -e '(.series.t | length) >= 2 and (.series.calls | add) >= 14 and (.series.calls | length) == (.series.t | length)' <<<"$S"

# --- the Grafana dashboard against a real scrape ----------------------------------------------
check "scripts/grafana/sluice.json is JSON with panels" \
	jq -e '.panels | length >= 6' scripts/grafana/sluice.json
check "every metric the Grafana panels query is in /metrics" \
	$M grafana "$ADMIN/metrics" scripts/grafana/sluice.json

# --- health -----------------------------------------------------------------------------------
check "/healthz 200 ok" bash -c "curl -s -o /dev/null -w '%{http_code}' '$ADMIN/healthz' | grep -qx 200"
check "/readyz 200 with the backend up" \
	bash -c "curl -s '$ADMIN/readyz' | jq -e '.ready' && test \$(curl -s -o /dev/null -w '%{http_code}' '$ADMIN/readyz') = 200"
kill "$BACKEND_PID"
wait "$BACKEND_PID" 2>/dev/null
check "/readyz 503 naming the backend within 5 s of it going down" \
	wait_for "readyz 503" 5 bash -c "test \$(curl -s -o /dev/null -w '%{http_code}' '$ADMIN/readyz') = 503 && curl -s '$ADMIN/readyz' | jq -e '.ready == false and .not_ready[0].backend == \"main\" and (.not_ready[0].why | test(\"connect to 127.0.0.1:$DPORT: Connection refused\"))'"
scrape
check "... and /metrics says it: sluice_backend_up 0, sluice_ready 0" \
	test "$(val sluice_backend_up backend=main)/$(val sluice_ready)" = 0/0
check "/healthz stays 200 (the gateway lives)" \
	bash -c "curl -s -o /dev/null -w '%{http_code}' '$ADMIN/healthz' | grep -qx 200"
start_backend || die "backend did not restart"
check "/readyz 200 again once the backend is back" \
	wait_for "readyz 200" 5 bash -c "curl -s -o /dev/null -w '%{http_code}' '$ADMIN/readyz' | grep -qx 200"

# --- the port's HTTP rules and limits -------------------------------------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 8 "$@"; }
check "unknown path: 404" test "$(code "$ADMIN/nope")" = 404
check "POST: 405 with Allow: GET, HEAD" \
	bash -c "curl -si -X POST -d x '$ADMIN/metrics' | tr -d '\r' | grep -q '^Allow: GET, HEAD' && test \$(curl -s -o /dev/null -w '%{http_code}' -X DELETE '$ADMIN/healthz') = 405"
raw() { $PY -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=8)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
d = b""
while True:
    c = s.recv(65536)
    if not c: break
    d += c
print(d.split(b"\r\n")[0].decode() if d else "closed")' "$APORT" "$1"; }
check "garbage: 400" bash -c "$(declare -f raw); APORT=$APORT; raw 'GARBAGE\\r\\n\\r\\n' | grep -q ' 400 '"
check "GET with a body: 400" bash -c "$(declare -f raw); APORT=$APORT; raw 'GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 3\\r\\n\\r\\nabc' | grep -q ' 400 '"
check "a header over 8 KiB: 431" test "$(code -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$ADMIN/healthz")" = 431
check "a request not sent within 5 s: 408" bash -c "$(declare -f raw); APORT=$APORT; raw 'GET /healthz HTTP/1.1\\r\\n' | grep -q ' 408 '"
check "64 idle connections fill the port: the 65th is closed at once, the port serves again after" $PY -c '
import socket, sys, urllib.request
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
extra = socket.create_connection(("127.0.0.1", port), timeout=3)
assert extra.recv(1) == b"", "the 65th was not closed"
for s in held: s.close()
import time; time.sleep(0.3)
assert urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3).status == 200' "$APORT"
# The backend restarted (its sessions are gone): a new session.
OPS=$(session 127.0.0.3)
check "the data port served throughout (a call after all of it)" \
	bash -c "curl -s --interface 127.0.0.3 -X POST '$URL' -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H 'Mcp-Session-Id: $OPS' -d '{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"search_docs\",\"arguments\":{\"query\":\"x\"}}}' | grep -q result"

# --- a second daemon whose admin port is taken: it serves, and says why ----------------------------
G2=$(free_port)
sed -e "s/127.0.0.1:$GPORT/127.0.0.1:$G2/" "$TMP/policy.json" >"$TMP/policy2.json"
"$SLUICED" --policy "$TMP/policy2.json" --workers 1 --control "$TMP/ctl2.sock" \
	--pin-dir "$TMP/no-kernel" --usage-db "$TMP/usage2.db" >"$TMP/sluiced2.log" 2>&1 &
E2E_PIDS+=($!)
check "a taken admin port does not stop a second daemon (its data port serves)" \
	wait_for "the second daemon" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$G2"
check "... it warns that the admin port is taken" \
	wait_for "the warning" 5 grep -q "admin port 127.0.0.1:$APORT: cannot listen: Address already in use" "$TMP/sluiced2.log"
scrape
check "... and the first daemon still owns the admin port (generation 2)" \
	test "$(val sluice_policy_generation)" = 2

# --- a non-loopback admin address is refused unless admin_public -----------------------------------
jq '.admin = "0.0.0.0:1"' "$TMP/policy.json" >"$TMP/public.json"
check "admin 0.0.0.0 without admin_public: the policy does not check (line:column)" \
	bash -c "$SLUICECTL policy check '$TMP/public.json' 2>&1 | grep -Eq ':[0-9]+:[0-9]+: error: admin: \"0.0.0.0:1\" is not a loopback address'"
jq '.admin = "0.0.0.0:1" | .admin_public = true' "$TMP/policy.json" >"$TMP/public2.json"
check "... with admin_public true it checks" "$SLUICECTL" policy check "$TMP/public2.json"

# --- the dashboard -------------------------------------------------------------------------------
H=$(curl -sI "$ADMIN/" | tr -d '\r')
check "/ is HTML with a strict Content-Security-Policy (hashes, no unsafe-inline, no outside source)" \
	bash -c "grep -q '^Content-Type: text/html' <<<'$H' && grep -Eq \"^Content-Security-Policy: default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-\" <<<\"\$(cat)\" && ! grep -q unsafe-inline <<<'$H'" <<<"$H"
check "the page loads no outside asset" bash -c "! curl -s '$ADMIN/' | grep -Eq '(src|href)=\"(https?:)?//'"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chromium" \
		--virtual-time-budget=5000 --dump-dom "$ADMIN/" >"$TMP/dom.html" 2>"$TMP/chromium.log"
	check "headless Chromium renders the agent rows: bot 10 calls, 2 denied, 2 429s" \
		$PY -c '
import re, sys
dom = open(sys.argv[1]).read()
row = re.search(r"<tr class=\"agent\" data-agent=\"bot\">(.*?)</tr>", dom)
assert row, "no row for bot"
cells = dict(re.findall(r"<td class=\"(\w+)[^\"]*\">([^<]*)</td>", row.group(1)))
assert cells.get("calls") == "10" and cells.get("denied") == "2" and cells.get("limited") == "2", cells
assert re.search(r"<tr class=\"agent\" data-agent=\"ops\">.*?<td class=\"calls\">5</td>", dom), "ops"' "$TMP/dom.html"
	check "... the top tools and the backend" \
		bash -c "grep -q 'data-tool=\"get_pricing\"' '$TMP/dom.html' && grep -q 'data-backend=\"main\"' '$TMP/dom.html'"
	check "... and the charts: polylines with points for each figure" \
		$PY -c '
import re, sys
dom = open(sys.argv[1]).read()
for name in ("calls", "denied", "limited", "kernel_drops"):
    m = re.search(r"<svg[^>]*id=\"chart-%s\"[^>]*data-points=\"(\d+)\"[^>]*>\s*<polyline points=\"([^\"]+)\"" % name, dom)
    assert m and int(m.group(1)) >= 2 and len(m.group(2).split()) == int(m.group(1)), name' "$TMP/dom.html"
else
	fail "dashboard in Chromium" "no $CHROMIUM (scripts/deps.sh installs it)"
fi

# --- sluicectl top ---------------------------------------------------------------------------------
check "top --once: one table, bot and ops rows" \
	bash -c "$SLUICECTL top --admin 127.0.0.1:$APORT --once | grep -Eq '^bot +[0-9.]+ +10 +2 +2 +1.25 ' && $SLUICECTL top --policy '$TMP/policy.json' --once | grep -Eq '^ops +[0-9.]+ +5 +1 +0 '"
check "top --once --sort cost: ops (3) above bot (1.25); a bad key is a usage error (2)" \
	bash -c "test \"\$($SLUICECTL top --admin 127.0.0.1:$APORT --once --sort cost | awk '\$1 == \"bot\" || \$1 == \"ops\" { printf \"%s \", \$1 }')\" = 'ops bot ' && { $SLUICECTL top --once --sort nope 2>/dev/null; test \$? = 2; }"
check "top --once --json: the status" bash -c "$SLUICECTL top --admin 127.0.0.1:$APORT --json | jq -e '.agents | length >= 2' >/dev/null"
check "top: an admin port nobody listens on is exit 1 with why" \
	bash -c "$SLUICECTL top --admin 127.0.0.1:1 --once 2>&1 | grep -q 'cannot reach the admin port 127.0.0.1:1: Connection refused'; $SLUICECTL top --admin 127.0.0.1:1 --once 2>/dev/null; test \$? = 1"
if command -v tmux >/dev/null; then
	SOCK="$TMP/tmux.sock"
	TM="tmux -S $SOCK"
	on_exit "tmux -S '$SOCK' kill-server"
	$TM -f /dev/null new-session -d -x 120 -y 30 "env PS1='PROMPT\$ ' bash --norc --noprofile"
	$TM send-keys "$SLUICECTL top --admin 127.0.0.1:$APORT" Enter
	pane() { $TM capture-pane -p; }
	check "top under tmux: the live table, bot and ops" \
		wait_for "the table" 5 bash -c "$(declare -f pane); TM='$TM'; pane | grep -q '^bot ' && pane | grep -q '^ops '"
	# Denials: bot 2, ops 1 ('d' puts bot first); cost today: ops 4, bot 1.25
	# ('$' puts ops first).
	order() { pane | awk '$1 == "bot" || $1 == "ops" { printf "%s ", $1 }'; }
	$TM send-keys d
	check "'d' sorts by denials: bot above ops" \
		wait_for "the order" 3 bash -c "$(declare -f pane order); TM='$TM'; test \"\$(order)\" = 'bot ops ' && pane | grep -q 'sorted by denied'"
	$TM send-keys '$'
	check "'\$' sorts by cost: ops above bot" \
		wait_for "the new order" 3 bash -c "$(declare -f pane order); TM='$TM'; test \"\$(order)\" = 'ops bot ' && pane | grep -q 'sorted by cost'"
	$TM send-keys q
	check "q quits: the shell prompt is back, the screen clean (no table left)" \
		wait_for "the prompt" 3 bash -c "$(declare -f pane); TM='$TM'; pane | grep -q '^PROMPT\\$ *\$' && ! pane | grep -q 'CALLS/S'"
	$TM send-keys "stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo -e icanon -e -icanon" Enter
	check "... the terminal is sane again (echo and icanon on)" \
		wait_for "stty" 3 bash -c "$TM capture-pane -p | grep -qx echo && $TM capture-pane -p | grep -qx icanon"
	$TM send-keys "clear; $SLUICECTL top --admin 127.0.0.1:$APORT" Enter
	wait_for "the table again" 5 bash -c "$TM capture-pane -p | grep -q '^bot '"
	TOP_PID=$(pgrep -n -f "sluicectl top --admin 127.0.0.1:$APORT")
	[ -n "$TOP_PID" ] && kill -TERM "$TOP_PID"
	check "SIGTERM: top leaves the alternate screen too" \
		wait_for "the prompt" 3 bash -c "$TM capture-pane -p | grep -q '^PROMPT\\$ *\$' && ! $TM capture-pane -p | grep -q 'CALLS/S'"
else
	fail "top under tmux" "no tmux (scripts/deps.sh installs it)"
fi

# --- the end ---------------------------------------------------------------------------------------
kill -TERM "$SLUICED_PID"
wait "$SLUICED_PID"
check "sluiced exits 0 after SIGTERM" test $? = 0
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log' '$TMP/sluiced2.log'"
exit $E2E_FAILED
