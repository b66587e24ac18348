#!/bin/bash
# tests/mcp/conformance.sh URL OUTFILE
#
# Runs the @modelcontextprotocol/conformance server suite (the "active"
# suite: 30 scenarios in 0.1.13) against the Streamable HTTP endpoint URL,
# e.g. http://127.0.0.1:8470/mcp, and writes a normalised result list to
# OUTFILE, sorted (LC_ALL=C) and free of timings, ids and addresses:
#
#   <scenario> PASS|FAIL                  the suite's own verdict per scenario
#   <scenario>:<check-id> <STATUS>        each check (SUCCESS, FAILURE, ...)
#
# so that two runs (direct and through sluiced) compare with
# compare-conformance.sh.  Exits 0 when the suite ran to the end, whatever
# the scenarios' verdicts; non-zero when it could not (time-out at 300 s,
# crash, missing summary).  Prints "conformance: P of N scenarios passed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
url=${1:?usage: conformance.sh URL OUTFILE}
outfile=${2:?usage: conformance.sh URL OUTFILE}
cli=$here/node_modules/@modelcontextprotocol/conformance/dist/index.js
if [ ! -f "$cli" ]; then
	echo "conformance.sh: $cli missing: run scripts/deps.sh" >&2
	exit 2
fi

work=$(mktemp -d /tmp/sluice-conformance.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Exit status 1 only means "some scenario failed"; the verdicts are read
# from the summary and the per-scenario checks.json files below.
(cd "$work" && NO_COLOR=1 timeout -k 5 300 node "$cli" server --url "$url" \
	-o "$work/out" </dev/null >"$work/stdout" 2>"$work/stderr")
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
	echo "conformance.sh: conformance exited $rc; last output:" >&2
	tail -n 20 "$work/stdout" "$work/stderr" >&2
	exit 1
fi

strip_ansi() { sed 's/\x1b\[[0-9;]*m//g'; }
total=$(strip_ansi <"$work/stdout" | sed -n 's/^Running [a-z]* suite (\([0-9]*\) scenarios).*/\1/p')
# Summary lines look like "✓ ping: 1 passed, 0 failed" / "✗ tools-call-image: ...".
strip_ansi <"$work/stdout" | sed -n '/^=== SUMMARY ===/,$p' |
	sed -n -e 's/^✓ \([^:]*\): .*/\1 PASS/p' -e 's/^✗ \([^:]*\): .*/\1 FAIL/p' \
	>"$work/verdicts"
got=$(wc -l <"$work/verdicts")
if [ -z "$total" ] || [ "$got" != "$total" ]; then
	echo "conformance.sh: expected ${total:-?} scenario verdicts, found $got" >&2
	tail -n 20 "$work/stdout" "$work/stderr" >&2
	exit 1
fi

# Each scenario's checks: results are in out/server-<scenario>-<timestamp>/.
for dir in "$work"/out/server-*/; do
	[ -f "$dir/checks.json" ] || continue
	name=$(basename "$dir" | sed -E 's/^server-//; s/-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9TZ:.-]*$//')
	jq -r --arg s "$name" '.[] | "\($s):\(.id) \(.status)"' "$dir/checks.json"
done >"$work/checks"

LC_ALL=C sort -u "$work/verdicts" "$work/checks" >"$outfile" || exit 1
passed=$(grep -c ' PASS$' "$work/verdicts")
echo "conformance: $passed of $total scenarios passed against $url"
