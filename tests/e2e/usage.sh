#!/bin/bash
# usage.sh - the usage ledger end to end: sluiced in front of the C demo
# backend counts every tool call (allowed and refused) into --usage-db, and
# `sluicectl usage` reads exactly the calls made: after a reload (the flush
# at reload, read with the daemon up), after a SIGHUP, and after a SIGTERM
# that comes right after the last calls (the flush at exit, read with the
# daemon down).  Also: the flag wins over usage.path, a ledger that cannot
# open stops the start with its path, and sluicectl's errors.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

BACKEND=$PWD/$BUILD/sluice-demo-backend
SLUICED=$PWD/$BUILD/sluiced
SLUICECTL=$PWD/$BUILD/sluicectl
[ -x "$BACKEND" ] && [ -x "$SLUICED" ] && [ -x "$SLUICECTL" ] ||
	die "build first: $BACKEND, $SLUICED, $SLUICECTL"
TMP=$(mktemp -d /tmp/sluice-usage.XXXXXX)
on_exit "rm -rf '$TMP'"
unset SLUICE_USAGE_DB	# the flag is what is tested

GPORT=$(free_port)
BPORT=$(free_port)
URL=http://127.0.0.1:$GPORT/mcp
DB=$TMP/ledger/usage.db		# its directory does not exist yet: sluiced makes it
CTL="$SLUICECTL --control $TMP/ctl.sock"

# bot (127.0.0.2, customer acme) may call get_pricing only; ops (127.0.0.3)
# everything.  usage.path names a file the flag must win over.
cat >"$TMP/policy.json" <<EOF
{
  "version": 1,
  "listen": "127.0.0.1:$GPORT",
  "backends": { "main": { "url": "http://127.0.0.1:$BPORT/mcp" } },
  "tools": {
    "get_pricing": { "class": "read", "cost": 0.25 },
    "search_docs": { "class": "read", "cost": 1 },
    "update_account": { "class": "write" }
  },
  "agents": {
    "bot": { "sources": ["127.0.0.2"], "customer": "acme",
             "tools": { "allow": ["get_pricing"] } },
    "ops": { "sources": ["127.0.0.3"] }
  },
  "usage": { "path": "$TMP/policy-path/usage.db", "retention_days": 30 }
}
EOF

"$BACKEND" --listen "127.0.0.1:$BPORT" >"$TMP/backend.log" 2>&1 &
E2E_PIDS+=($!)
wait_for "the backend" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BPORT" || die "backend did not start"
"$SLUICED" --policy "$TMP/policy.json" --workers 2 --control "$TMP/ctl.sock" \
	--pin-dir "$TMP/no-kernel" --usage-db "$DB" >"$TMP/sluiced.log" 2>&1 &
SLUICED_PID=$!
E2E_PIDS+=("$SLUICED_PID")
wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" ||
	die "sluiced did not start: $(tail -3 "$TMP/sluiced.log")"

# session AGENT_ADDR: an MCP session from that source address.
session() {
	curl -s -D - -o /dev/null --interface "$1" -X POST "$URL" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"usage-test","version":"1"}}}' |
		tr -d '\r' | awk 'tolower($1) == "mcp-session-id:" { print $2 }'
}
BOT_SID=$(session 127.0.0.2)
OPS_SID=$(session 127.0.0.3)
[ -n "$BOT_SID" ] && [ -n "$OPS_SID" ] || die "no sessions: $(tail -3 "$TMP/sluiced.log")"

# calls ADDR SID N TOOL ARGS: N tool calls, each answered (an error is too).
calls() {
	local i
	for ((i = 0; i < $3; i++)); do
		curl -s --max-time 10 --interface "$1" -X POST "$URL" \
			-H 'Content-Type: application/json' \
			-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $2" \
			-d "{\"jsonrpc\":\"2.0\",\"id\":$((i + 2)),\"method\":\"tools/call\",\"params\":{\"name\":\"$4\",\"arguments\":$5}}" \
			>>"$TMP/answers.log"
		echo >>"$TMP/answers.log"
	done
}
PRICING='{"plan":"pro"}'
# batch ADDR SID TOOL...: one POST, a batch of calls (the demo's arguments).
batch() {
	local addr=$1 sid=$2 body="" id=100 tool args
	shift 2
	for tool; do
		args=$PRICING
		[ "$tool" = update_account ] && args='{"account_id":"acct_12345678"}'
		body="$body${body:+,}{\"jsonrpc\":\"2.0\",\"id\":$((id++)),\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":$args}}"
	done
	curl -s --max-time 10 --interface "$addr" -X POST "$URL" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $sid" \
		-d "[$body]" >>"$TMP/answers.log"
	echo >>"$TMP/answers.log"
}
DOCS='{"query":"limits"}'

# usage_json [ARGS]: the ledger as JSON, by agent unless ARGS say otherwise.
usage_json() { $SLUICECTL usage --db "$DB" --json "$@"; }
# field JSON KEY PATH: a field of the row of KEY (an agent, customer or tool).
field() {
	jq -r --arg k "$2" "[.rows[] | select((.agent // .customer // .tool) == \$k)][0]$3 // \"\"" <<<"$1"
}

# --- round 1, then a reload over the control socket: read with sluiced up -----------
calls 127.0.0.2 "$BOT_SID" 5 get_pricing "$PRICING"
calls 127.0.0.2 "$BOT_SID" 2 update_account '{"account_id":"acct_12345678"}'
calls 127.0.0.3 "$OPS_SID" 3 search_docs "$DOCS"
check "the reload answers ok" $CTL reload
J=$(usage_json)
check "after a reload, with sluiced up: bot's 7 calls are all there" \
	test "$(field "$J" bot .calls)" = 7
check "... 2 of them denied, by reason tool_denied" \
	test "$(field "$J" bot .denied)/$(field "$J" bot .denied_by_reason.tool_denied)" = 2/2
check "... ops's 3 calls" test "$(field "$J" ops .calls)" = 3

# A batch counts each call: a partly refused one, its refusal and the call
# that went on.
batch 127.0.0.2 "$BOT_SID" get_pricing get_pricing
batch 127.0.0.2 "$BOT_SID" get_pricing update_account
check "the batches' reload answers ok" $CTL reload
J=$(usage_json)
check "a batch of 2 is 2 calls, refused or not (bot: 7 + 4)" \
	test "$(field "$J" bot .calls)/$(field "$J" bot .denied)/$(field "$J" bot .cost)" = 11/3/2

# --- round 2, SIGHUP, round 3, SIGTERM at once: read with sluiced down --------------
calls 127.0.0.2 "$BOT_SID" 4 get_pricing "$PRICING"
kill -HUP "$SLUICED_PID"
check "SIGHUP reloads" wait_for "the SIGHUP reload" 5 grep -q "reloaded.*generation 4" "$TMP/sluiced.log"
calls 127.0.0.2 "$BOT_SID" 3 get_pricing "$PRICING"
calls 127.0.0.3 "$OPS_SID" 2 search_docs "$DOCS"
# Names the catalogue refuses are made up by the caller: one row for all,
# and an escape sequence in one never reaches the operator's terminal.
calls 127.0.0.3 "$OPS_SID" 1 'evil\u001b[2J\u001b[31mred' '{}'
calls 127.0.0.3 "$OPS_SID" 1 "made-up-$RANDOM" '{}'
kill -TERM "$SLUICED_PID"
wait "$SLUICED_PID"
RC=$?
check "sluiced exits 0 after SIGTERM" test "$RC" = 0

J=$(usage_json)
check "with sluiced down, bot: 18 calls (5+2+4 before the reloads, 4 before SIGHUP, 3 after)" \
	test "$(field "$J" bot .calls)" = 18
check "bot: 3 denied, cost 15 x 0.25" \
	test "$(field "$J" bot .denied)/$(field "$J" bot .cost)" = 3/3.75
check "ops: 7 calls, 2 denied, cost 5" \
	test "$(field "$J" ops .calls)/$(field "$J" ops .denied)/$(field "$J" ops .cost)" = 7/2/5
check "the total is every call made (25), none lost" \
	jq -e '.total.calls == 25 and .lost_records == 0' <<<"$J"
check "bytes both ways are counted" \
	jq -e 'all(.rows[]; .req_bytes > 0 and .resp_bytes > 0)' <<<"$J"
check "by customer: acme has bot's 18, ops has none" \
	jq -e '[.rows[] | {(.customer): .calls}] | add == {"acme": 18, "": 7}' \
	<<<"$(usage_json --by customer)"
J=$(usage_json --by tool)
check "by tool: get_pricing 15, update_account 3 (denied), search_docs 5" \
	test "$(field "$J" get_pricing .calls)/$(field "$J" update_account .denied)/$(field "$J" search_docs .calls)" = 15/3/5
check "by tool: the 2 made-up names are one row, (unknown), refused as unknown_tool" \
	test "$(field "$J" "(unknown)" .calls)/$(field "$J" "(unknown)" .denied_by_reason.unknown_tool)/$(jq '.rows | length' <<<"$J")" = 2/2/4
check_not "no escape character in the text output" \
	bash -c "$SLUICECTL usage --db '$DB' --by tool | grep -q \$'\\e'"
check "--since 1h keeps them, a date to come drops them" \
	test "$(usage_json --since 1h | jq .total.calls)/$(usage_json --since 2999-01-01 | jq .total.calls)" = 25/0
check "--upsell: no upsell events, no rows" test "$(usage_json --upsell | jq '.rows | length')" = 0
check "the text table names the agents and the total" \
	bash -c "$SLUICECTL usage --db '$DB' | grep -Eq '^total +25 +5 '"
check_not "--usage-db wins over usage.path" test -e "$TMP/policy-path/usage.db"
check "the ledger's directory is made 0750" test "$(stat -c %a "$TMP/ledger")" = 750

# --- errors --------------------------------------------------------------------------
timeout 10 "$SLUICED" --policy "$TMP/policy.json" --control "$TMP/ctl2.sock" \
	--pin-dir "$TMP/no-kernel" --usage-db /proc/sluice-no/usage.db >"$TMP/bad.log" 2>&1
RC=$?
check "a ledger that cannot open stops the start (exit 1), naming its path and why" \
	grep -q "cannot open the usage ledger /proc/sluice-no/usage.db: cannot make its directory" \
	"$TMP/bad.log"
check "... exit status 1" test "$RC" = 1
check "sluicectl usage: no ledger is exit 1 with the path" bash -c \
	"$SLUICECTL usage --db '$TMP/none.db' 2>&1 | grep -q 'no usage ledger at $TMP/none.db'; \
	$SLUICECTL usage --db '$TMP/none.db' 2>/dev/null; test \$? = 1"
check "sluicectl usage: a bad --since is a usage error (2)" bash -c \
	"$SLUICECTL usage --db '$DB' --since 2026-13-45 2>/dev/null; test \$? = 2"
check "sluicectl usage: a day a month lacks (2026-02-30) is a usage error too" bash -c \
	"$SLUICECTL usage --db '$DB' --since 2026-02-30 2>/dev/null; test \$? = 2"
check "sluicectl usage: a bad --by is a usage error (2), as JSON too" bash -c \
	"$SLUICECTL usage --db '$DB' --by plan --json | grep -q '\"error\":\"--by takes agent, customer or tool'; \
	$SLUICECTL usage --db '$DB' --by plan 2>/dev/null; test \$? = 2"
echo "garbage, not a ledger" >"$TMP/junk.db"
check "sluicectl usage: a file that is no ledger is a clear error" bash -c \
	"$SLUICECTL usage --db '$TMP/junk.db' 2>&1 | grep -q 'cannot read the usage ledger .*: file is not a database'"

exit $E2E_FAILED
