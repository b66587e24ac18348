#!/bin/bash
# cli.sh - sluicectl keeps its word: every command has --help with its syntax
# and an example, an unknown command is named once with the closest match,
# errors name the command, and with --json they are one JSON object.
#
# Nothing on the host is touched: the pin directory and the control socket
# point into a private directory where nothing exists (a stand-in sluiced,
# python on a socket there, answers the daemon cases).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

[ -x "$SLUICECTL" ] || die "$SLUICECTL not built"
TMP=$(mktemp -d /tmp/sluice-cli.XXXXXX)
on_exit "rm -rf '$TMP'"
export SLUICE_PIN_DIR=$TMP/pins SLUICE_CONTROL=$TMP/ctl.sock

# Every command, as `sluicectl --help` must list it.
COMMANDS=(attach detach "policy check" "policy load" block unblock ban unban stats events
	  status sources reload daemon "key new" help)

# run ARGS...: runs sluicectl; $out, $err and $rc hold what it did.
run() {
	"$SLUICECTL" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
}

# json_error FILE COMMAND: FILE is one JSON object {"ok":false,"error":...,"command":COMMAND}.
json_error() {
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert isinstance(o, dict), "not an object"
assert o.get("ok") is False, "ok is %r" % o.get("ok")
assert isinstance(o.get("error"), str) and o["error"], "no error text"
assert o.get("command") == sys.argv[2], "command is %r" % o.get("command")
' "$1" "$2"
}

# --- help -----------------------------------------------------------------------
run --help
missing=""
for c in "${COMMANDS[@]}"; do
	grep -qE "^  $c +[a-z]" "$TMP/out" || missing="$missing '$c'"
done
if [ "$rc" = 0 ] && [ -z "$missing" ]; then
	pass "--help lists every command with a summary"
else
	fail "--help lists every command with a summary" "rc=$rc, missing:$missing"
fi
if grep -q '^environment:' "$TMP/out" && grep -q 'SLUICE_PIN_DIR' "$TMP/out" &&
   grep -q 'SLUICE_CONTROL' "$TMP/out"; then
	pass "--help names SLUICE_PIN_DIR and SLUICE_CONTROL"
else
	fail "--help names SLUICE_PIN_DIR and SLUICE_CONTROL" "$(head -c 300 "$TMP/out")"
fi

# Each command: exit 0, its usage line, an arguments section when it takes
# any, and an example that runs that very command.
for c in "${COMMANDS[@]}" policy key; do
	# shellcheck disable=SC2086 # "policy check" is two words on purpose
	run $c --help
	if [ "$rc" != 0 ]; then
		fail "$c --help" "exit $rc: $err"
	elif ! grep -q "^usage: sluicectl $c " "$TMP/out"; then
		fail "$c --help" "no usage line: $(head -1 "$TMP/out")"
	elif ! grep -A20 '^example:' "$TMP/out" | grep -q "^  sluicectl .*$c"; then
		fail "$c --help" "no example of sluicectl $c"
	else
		pass "$c --help: syntax and an example"
	fi
	help_out=$out
	# shellcheck disable=SC2086
	run help $c
	if [ "$rc" = 0 ] && [ "$out" = "$help_out" ]; then
		pass "help $c says the same"
	else
		fail "help $c says the same" "exit $rc"
	fi
done

# The argument words are explained where they are used.
expect_words() {	# expect_words COMMAND WORD...
	local c=$1 w; shift
	run $c --help
	for w in "$@"; do
		if ! grep -q "^  $w " "$TMP/out"; then
			fail "$c --help explains $*" "no line for $w"
			return
		fi
	done
	pass "$c --help explains $*"
}
expect_words block CIDR "--for DURATION"
expect_words ban AGENT "--for DURATION"
expect_words attach IFACE "--mode MODE" "--policy FILE"
expect_words "policy load" FILE
expect_words "key new" AGENT
run block --help
check "DURATION syntax as sl_duration_parse takes it" \
	grep -q "90s, 15m,.*1h30m, 2d" "$TMP/out"

# --- unknown commands -------------------------------------------------------------
unknown_case() {	# unknown_case "ARGS" "expected line"
	# shellcheck disable=SC2086
	run $1
	if [ "$rc" = 2 ] && [ "$err" = "$2" ] && [ -z "$out" ]; then
		pass "'$1': one line, exit 2"
	else
		fail "'$1': one line, exit 2" "exit $rc, stderr '$err', stdout '$out'"
	fi
}
unknown_case stauts "sluicectl: unknown command 'stauts' (did you mean 'status'?)"
unknown_case atach "sluicectl: unknown command 'atach' (did you mean 'attach'?)"
unknown_case xyzzy "sluicectl: unknown command 'xyzzy' (sluicectl --help lists them)"
unknown_case "policy chek x.json" \
	"sluicectl policy: unknown command 'chek' (did you mean 'check'?)"
unknown_case "help stauts" "sluicectl help: unknown command 'stauts' (did you mean 'status'?)"
run stauts --json
check "unknown command with --json is JSON" json_error "$TMP/out" stauts

# --- errors name the command, and are JSON with --json -----------------------------
printf '{\n  "version": 1,\n  "kernal": {}\n}\n' >"$TMP/bad.json"
error_case() {	# error_case "ARGS" COMMAND EXIT
	# shellcheck disable=SC2086
	run $1
	if [ "$rc" = "$3" ] && grep -q "^sluicectl $2: " "$TMP/err"; then
		pass "'$1' fails naming sluicectl $2"
	else
		fail "'$1' fails naming sluicectl $2" "exit $rc: $err"
	fi
	# shellcheck disable=SC2086
	run $1 --json
	if [ "$rc" = "$3" ] && json_error "$TMP/out" "$2" 2>"$TMP/why"; then
		pass "'$1 --json' fails as JSON naming $2"
	else
		fail "'$1 --json' fails as JSON naming $2" "exit $rc: $out $(tail -1 "$TMP/why")"
	fi
}
error_case daemon daemon 1
error_case reload reload 1
error_case status status 1
error_case stats stats 1
error_case sources sources 1
error_case events events 1
error_case "policy check $TMP/bad.json" "policy check" 1
error_case "policy load $TMP/bad.json" "policy load" 1
error_case "unblock 192.0.2.1" unblock 1
error_case "ban some-agent --for 15m" ban 1
error_case "status extra" status 2
error_case "ban x --for 1h30" ban 2
error_case "events --count many" events 2
error_case "attach --mode fast eth0" attach 2
error_case "block 192.0.2.0/24 --for" block 2
error_case policy policy 2
error_case "key new bad/name" "key new" 2
error_case "key new" "key new" 2

run policy check "$TMP/bad.json"
check "policy check keeps FILE:LINE:COL errors" grep -q "^$TMP/bad.json:3:3: error: kernal" "$TMP/err"
run policy check "$TMP/bad.json" --json
check "policy check --json keeps its errors array" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["errors"]
assert [x for x in e if (x["line"], x["column"]) == (3, 3) and "kernel" in x["message"]], e
' "$TMP/out"

run daemon
check "the daemon's error says daemon, not status" \
	grep -q "^sluicectl daemon: cannot reach sluiced at $TMP/ctl.sock" "$TMP/err"
run status
check "SLUICE_PIN_DIR is honoured" grep -q "no sluice maps pinned at $TMP/pins" "$TMP/err"
run --pin-dir "$TMP/other" status
check "--pin-dir wins over SLUICE_PIN_DIR" grep -q "pinned at $TMP/other" "$TMP/err"
run --control "$TMP/other.sock" daemon
check "--control wins over SLUICE_CONTROL" grep -q "at $TMP/other.sock" "$TMP/err"

# --- the prefix hint ------------------------------------------------------------------
run block 10.1.2.3/8
if [ "$rc" = 2 ] && grep -q "^sluicectl block: .*(did you mean 10.0.0.0/8?)" "$TMP/err"; then
	pass "block 10.1.2.3/8 suggests 10.0.0.0/8, exit 2"
else
	fail "block 10.1.2.3/8 suggests 10.0.0.0/8, exit 2" "exit $rc: $err"
fi
run block 10.1.2.3/8 --json
check "block 10.1.2.3/8 --json: the hint in the JSON error" \
	python3 -c 'import json,sys; assert "10.0.0.0/8" in json.load(open(sys.argv[1]))["error"]' \
	"$TMP/out"

# --- key new: a key shown once, and the digest of that very key ---------------------------
run key new ops-bot
check "key new: an sk-sluice- key and the keys_sha256 line of its SHA-256" python3 -c '
import hashlib, re, sys
text = sys.argv[1]
key = re.search(r"^  (sk-sluice-[A-Za-z0-9_-]{43})$", text, re.M).group(1)
line = re.search(r"^  \"keys_sha256\": \[\"([0-9a-f]{64})\"\]$", text, re.M).group(1)
assert hashlib.sha256(key.encode()).hexdigest() == line, (key, line)
assert "agents.ops-bot" in text
' "$out"
run key new ops-bot --json
first=$out
run key new ops-bot --json
check "key new --json: agent, key, sha256; a fresh key each time" python3 -c '
import hashlib, json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for o in (a, b):
    assert o["ok"] is True and o["agent"] == "ops-bot", o
    assert hashlib.sha256(o["key"].encode()).hexdigest() == o["sha256"] == o["keys_sha256"][0], o
assert a["key"] != b["key"]
' "$first" "$out"

# --- a stand-in sluiced: daemon and reload answers --------------------------------------
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(4)
while True:
    c, _ = s.accept()
    line = c.makefile().readline().strip()
    c.sendall({"status": b"ok pid 42 generation 7 listen 127.0.0.1:8080 workers 2\n",
               "reload": b"error p.json:3:5: unknown field\n"}.get(line, b"error what?\n"))
    c.close()
' "$TMP/ctl.sock" &
E2E_PIDS+=($!)
wait_for "the stand-in sluiced" 5 test -S "$TMP/ctl.sock" || die "stand-in did not start"

run daemon
check "daemon text answer unchanged" \
	test "$out" = "pid 42 generation 7 listen 127.0.0.1:8080 workers 2"
run daemon --json
check "daemon --json answers JSON" python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o == {"ok": True, "pid": 42, "generation": 7, "listen": "127.0.0.1:8080", "workers": 2}, o
' "$TMP/out"
run reload
check "a refused reload says why, naming reload" \
	test "$rc:$err" = "1:sluicectl reload: p.json:3:5: unknown field"
run reload --json
check "a refused reload --json is a JSON error" json_error "$TMP/out" reload

exit $E2E_FAILED
