#!/bin/bash
# resources.sh - what one client can make sluiced hold, on loopback, in
# front of tests/e2e/hostile_backend.py (tests/e2e/resource_cases.py says
# each case precisely).
#
# Memory: a client that does not read is bounded by limits.client_buffer_bytes
# and closed after limits.write_timeout_ms.  Descriptors: a GET stream whose
# client has gone closes its upstream; running out of descriptors neither
# spins the accept loop nor opens the breaker; the soft limit is raised to
# the hard one.  Sessions: limits.max_sessions and limits.session_idle_ms
# bound the table without evicting live sessions; a legacy session ends with
# its stream.  The control socket: a deadline, and no silent drops.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

SLUICED=$PWD/$BUILD/sluiced
[ -x "$SLUICED" ] && [ -x "$SLUICECTL" ] || die "build first: $SLUICED, $SLUICECTL"
TMP=$(mktemp -d /tmp/sluice-resources.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1

GPORT=$(free_port)
BPORT=$(free_port)
CTL=$TMP/ctl.sock

python3 tests/e2e/hostile_backend.py --listen "127.0.0.1:$BPORT" --lifetime 150 \
	>"$TMP/backend.log" 2>&1 &
E2E_PIDS+=($!)
wait_for "the backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BPORT" || die "backend did not start"

# write_policy LIMITS [BACKEND_EXTRA]: LIMITS is the inside of "limits".
write_policy() {
	cat >"$TMP/policy.json" <<EOF
{
  "version": 1,
  "listen": "127.0.0.1:$GPORT",
  "limits": { $1 },
  "backends": {
    "main": { "url": "http://127.0.0.1:$BPORT/mcp", "timeout_ms": 5000,
              "connect_timeout_ms": 500${2:+, $2} }
  }
}
EOF
}

# start_sluiced [PRLIMIT_NOFILE]: a fresh daemon on the current policy.
start_sluiced() {
	local wrap=()
	[ -n "${1:-}" ] && wrap=(prlimit "--nofile=$1" --)
	LOG=$TMP/sluiced.$((++RUNS)).log
	"${wrap[@]}" "$SLUICED" --policy "$TMP/policy.json" --workers 2 --control "$CTL" \
		--pin-dir "$TMP/no-kernel" >"$LOG" 2>&1 &
	SLUICED_PID=$!
	E2E_PIDS+=("$SLUICED_PID")
	wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" ||
		{ fail "sluiced starts (run $RUNS)" "$(tail -3 "$LOG")"; return 1; }
}

# A memory error or undefined behaviour the sanitizers reported in this
# run (leaks at exit are not this test's subject: LeakSanitizer is ignored).
no_sanitizer_report() {
	! grep -qE 'ERROR: AddressSanitizer|runtime error:' "$LOG" ||
		{ grep -m1 -E '^SUMMARY: AddressSanitizer: [a-z-]+ |runtime error:' "$LOG"; return 1; }
}

stop_sluiced() {	# stop_sluiced WHAT: WHAT names the run in its sanitizer case
	kill -TERM "$SLUICED_PID" 2>/dev/null
	wait "$SLUICED_PID" 2>/dev/null
	# The sanitizer build reports what the cases provoked.
	if grep -qa __asan_init "$SLUICED"; then
		check "$1: no sanitizer report" no_sanitizer_report
	fi
}

scenario() {	# scenario NAME [ARGS...]: one PASS/FAIL line per judgement
	(cd tests/e2e && python3 resource_cases.py "$1" "$GPORT" "$BPORT" "$SLUICED_PID" "${@:2}") ||
		E2E_FAILED=1
}

RUNS=0
LIMITS='"header_timeout_ms": 10000, "idle_timeout_ms": 30000'

# --- 6: clients that do not read -------------------------------------------------------------
write_policy "$LIMITS, \"write_timeout_ms\": 1000, \"client_buffer_bytes\": 1048576"
if start_sluiced; then
	scenario flood_after_answers
	scenario pipelined_unread
	stop_sluiced "clients that do not read"
fi

# --- 7: closed GET streams (max_connections_per_source: the default 64) -------------------
write_policy "$LIMITS"
if start_sluiced; then
	scenario streams_closed
	stop_sluiced "closed GET streams"
fi

# --- 8: descriptors ------------------------------------------------------------------------------
# pool_size 0: every call opens an upstream socket, the one EMFILE refuses.
write_policy "$LIMITS" '"failure_threshold": 1, "open_ms": 60000, "pool_size": 0'
if start_sluiced 64:64; then
	scenario descriptors_exhausted
	stop_sluiced "out of descriptors"
fi
soft_nofile_is() {
	local soft
	soft=$(awk '/^Max open files/ { print $4 }' "/proc/$SLUICED_PID/limits")
	[ "$soft" = "$1" ] || { echo "soft limit $soft"; return 1; }
}
if start_sluiced 1024:8192; then
	check "the soft descriptor limit is raised to the hard one (8192)" soft_nofile_is 8192
	stop_sluiced "soft limit raised"
fi
if start_sluiced 1024:1024; then
	check "sluiced warns when max_connections cannot fit the descriptor limit" \
		wait_for "the warning" 2 grep -q max_connections "$LOG"
	stop_sluiced "max_connections warning"
fi

# --- 9: the session table ---------------------------------------------------------------------
write_policy "$LIMITS, \"max_sessions\": 8"
if start_sluiced; then
	scenario session_table_full
	stop_sluiced "session table full"
fi
write_policy "$LIMITS, \"session_idle_ms\": 1000"
if start_sluiced; then
	scenario legacy_session_deleted
	scenario session_idle

	# --- 11: the control socket ------------------------------------------------------------
	scenario control_no_newline "$CTL" "$SLUICECTL"
	scenario control_trickle "$CTL" "$SLUICECTL"
	stop_sluiced "sessions and the control socket"
fi

# --- 12: SIGTERM with clients connected ----------------------------------------------------
# What the worker loops free after the current event is freed at exit too:
# under SAN=1, LeakSanitizer would make the exit status 1.
exited_0() {
	[ "$SLUICED_RC" = 0 ] && return 0
	echo "exit status $SLUICED_RC"
	grep -m1 '^SUMMARY' "$LOG"
	return 1
}
write_policy "$LIMITS"
if start_sluiced; then
	scenario sigterm_with_clients
	wait "$SLUICED_PID"
	SLUICED_RC=$?
	check "SIGTERM with clients connected: sluiced exits 0 (no leak under SAN=1)" exited_0
	if grep -qa __asan_init "$SLUICED"; then
		check "SIGTERM with clients connected: no sanitizer report" no_sanitizer_report
	fi
fi
exit $E2E_FAILED
