# journald_lib.sh - sourced by the e2e tests that read journald (after lib.sh).
#
# journald_ensure: when /run/systemd/journal/socket is missing (no systemd on
# the test host), starts /lib/systemd/systemd-journald in the background and
# stops it at exit, by its PID, only if this test started it.  Volatile
# storage (/run/log/journal) unless /var/log/journal exists.

JOURNALD_BIN=${JOURNALD_BIN:-/lib/systemd/systemd-journald}
JOURNAL_SOCKET=/run/systemd/journal/socket

journald_ensure() {
	[ -S "$JOURNAL_SOCKET" ] && return 0
	[ -x "$JOURNALD_BIN" ] || die "no journald: $JOURNALD_BIN is missing and $JOURNAL_SOCKET too"
	"$JOURNALD_BIN" </dev/null >/dev/null 2>&1 &
	JOURNALD_PID=$!
	on_exit "kill $JOURNALD_PID 2>/dev/null; wait $JOURNALD_PID 2>/dev/null"
	wait_for "journald's socket" 10 test -S "$JOURNAL_SOCKET" || die "journald did not start"
}
