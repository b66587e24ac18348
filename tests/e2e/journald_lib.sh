# journald_lib.sh - sourced by the e2e tests that read journald (after lib.sh).
#
# journald_ensure: when nothing listens on /run/systemd/journal/socket (no
# systemd on the test host), starts /lib/systemd/systemd-journald in the background and
# stops it at exit, by its PID, only if this test started it.  Volatile
# storage (/run/log/journal) unless /var/log/journal exists.

JOURNALD_BIN=${JOURNALD_BIN:-/lib/systemd/systemd-journald}
JOURNAL_SOCKET=/run/systemd/journal/socket

# A stopped journald leaves its socket file behind: a connect says whether
# one listens.
journald_listens() {
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect(sys.argv[1])' \
		"$JOURNAL_SOCKET" 2>/dev/null
}

journald_ensure() {
	journald_listens && return 0
	[ -x "$JOURNALD_BIN" ] || die "no journald: $JOURNALD_BIN is missing and $JOURNAL_SOCKET too"
	"$JOURNALD_BIN" </dev/null >/dev/null 2>&1 &
	JOURNALD_PID=$!
	on_exit "kill $JOURNALD_PID 2>/dev/null; wait $JOURNALD_PID 2>/dev/null"
	wait_for "journald's socket" 30 journald_listens || die "journald did not start"
}
