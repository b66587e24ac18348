#!/bin/bash
# systemd.sh - sluice on a gateway host under systemd: `make install` with
# DESTDIR and PREFIX, the unit passing `systemd-analyze verify` (and a broken
# copy failing it), and sluiced's notifications read from a NOTIFY_SOCKET
# this test listens on: READY=1 only once the port accepts, WATCHDOG=1 at
# half the WatchdogSec interval, RELOADING=1 then READY=1 around a reload
# (taken or refused), STOPPING=1 at SIGTERM.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

SLUICED=$PWD/$BUILD/sluiced
[ -x "$SLUICED" ] || die "build first: $SLUICED"
command -v systemd-analyze >/dev/null || die "systemd-analyze missing (scripts/deps.sh installs systemd)"
TMP=$(mktemp -d /tmp/sluice-systemd.XXXXXX)
on_exit "rm -rf '$TMP'"

# --- make install ----------------------------------------------------------
DEST=$TMP/dest
SANARG=""; [ "$BUILD" = build-san ] && SANARG=SAN=1
if make -s --no-print-directory install $SANARG BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/opt/sl \
	SYSCONFDIR=/etc >"$TMP/install.log" 2>&1; then
	pass "make install DESTDIR=... PREFIX=/opt/sl runs"
else
	fail "make install DESTDIR=... PREFIX=/opt/sl runs" "$(tail -n 3 "$TMP/install.log")"
fi
missing=""
for f in opt/sl/sbin/sluiced opt/sl/sbin/sluicectl opt/sl/bin/sluice-demo-backend \
	opt/sl/lib/systemd/system/sluiced.service opt/sl/share/sluice/policies/example.json \
	opt/sl/share/sluice/policies/README.md opt/sl/share/doc/sluice/README.md; do
	[ -e "$DEST/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then pass "every file lands under DESTDIR/PREFIX"
else fail "every file lands under DESTDIR/PREFIX" "missing:$missing"; fi
[ -x "$DEST/opt/sl/sbin/sluiced" ] && [ "$(stat -c %a "$DEST/etc/sluice")" = 700 ] &&
	pass "programs executable, the policy directory private (0700)" ||
	fail "programs executable, the policy directory private (0700)" \
		"$(stat -c '%a %n' "$DEST/opt/sl/sbin/sluiced" "$DEST/etc/sluice" 2>&1)"
[ ! -e "$DEST/etc/sluice/policy.json" ] && pass "no policy is installed for the operator" ||
	fail "no policy is installed for the operator" "etc/sluice/policy.json exists"
UNIT=$DEST/opt/sl/lib/systemd/system/sluiced.service
if grep -qx 'ExecStart=/opt/sl/sbin/sluiced --policy /etc/sluice/policy.json' "$UNIT" &&
	! grep -q '@[A-Z]*@' "$UNIT"; then
	pass "the unit's paths are the installed ones"
else
	fail "the unit's paths are the installed ones" "$(grep -E 'Exec|@' "$UNIT" | head -n 3)"
fi

# --- systemd-analyze verify ---------------------------------------------------
# Installed with PREFIX inside TMP (no DESTDIR) so that the paths the unit
# names exist on this host, as verify requires.
ROOTED=$TMP/rooted
make -s --no-print-directory install $SANARG BUILD="$BUILD" PREFIX="$ROOTED/usr" \
	SYSCONFDIR="$ROOTED/etc" >"$TMP/install2.log" 2>&1 || fail "install with PREFIX" "$(tail -n 2 "$TMP/install2.log")"
RUNIT=$ROOTED/usr/lib/systemd/system/sluiced.service
if out=$(systemd-analyze verify "$RUNIT" 2>&1) && [ -z "$out" ]; then
	pass "systemd-analyze verify passes with nothing to say"
else
	fail "systemd-analyze verify passes with nothing to say" "$(echo "$out" | head -n 3)"
fi
# The same check sees a broken unit: a misspelt option and a missing binary.
sed -e 's/^NoNewPrivileges=/NoNewPrivilege=/' -e "s|$ROOTED/usr/sbin/sluiced|$ROOTED/nowhere/sluiced|" \
	"$RUNIT" >"$TMP/broken.service"
out=$(systemd-analyze verify "$TMP/broken.service" 2>&1)
if echo "$out" | grep -q 'NoNewPrivilege' && echo "$out" | grep -q 'nowhere/sluiced'; then
	pass "verify reports a misspelt option and a missing binary"
else
	fail "verify reports a misspelt option and a missing binary" "$(echo "$out" | head -n 3)"
fi
exposure=$(systemd-analyze security --offline=yes "$RUNIT" 2>/dev/null |
	sed -n 's/.*Overall exposure level for sluiced.service: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 3.5) }'; then
	pass "systemd-analyze security rates the unit OK (exposure $exposure <= 3.5)"
else
	fail "systemd-analyze security rates the unit OK" "exposure '${exposure:-none}'"
fi
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$RUNIT")
[ "$caps" = "CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_BIND_SERVICE" ] &&
	pass "capability bounding set: BPF, PERFMON, NET_ADMIN, NET_BIND_SERVICE only" ||
	fail "capability bounding set: BPF, PERFMON, NET_ADMIN, NET_BIND_SERVICE only" "$caps"

# --- notifications ------------------------------------------------------------
# listen.py SOCKET LOG: every datagram, one line "SECONDS MSG" (newlines as ;).
cat >"$TMP/listen.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
end = time.monotonic() + 60
with open(sys.argv[2], "a", buffering=1) as log:
    while time.monotonic() < end:
        s.settimeout(1)
        try:
            m = s.recv(4096)
        except socket.timeout:
            continue
        log.write("%.3f %s\n" % (time.monotonic(), m.decode().replace("\n", ";")))
EOF
BPORT=$(free_port)
GPORT=$(free_port)
"$PWD/$BUILD/sluice-demo-backend" --listen "127.0.0.1:$BPORT" >"$TMP/backend.log" 2>&1 &
E2E_PIDS+=($!)
cat >"$TMP/policy.json" <<EOF
{ "version": 1, "listen": "127.0.0.1:$GPORT",
  "backends": { "main": { "url": "http://127.0.0.1:$BPORT/mcp" } } }
EOF

# start_notified NAME [ENV...]: sluiced with NOTIFY_SOCKET=TMP/NAME.sock; its
# PID in SPID, the notifications in TMP/NAME.notes.
start_notified() {
	local name=$1; shift
	python3 "$TMP/listen.py" "$TMP/$name.sock" "$TMP/$name.notes" &
	E2E_PIDS+=($!)
	wait_for "notify socket" 5 test -S "$TMP/$name.sock" || return 1
	env NOTIFY_SOCKET="$TMP/$name.sock" "$@" "$SLUICED" --policy "$TMP/policy.json" \
		--workers 2 --control "$TMP/$name.ctl" --pin-dir "$TMP/no-kernel" \
		--usage-db "$TMP/$name.db" >"$TMP/$name.log" 2>&1 &
	SPID=$!
	E2E_PIDS+=($SPID)
}
notes() { cat "$TMP/$1.notes" 2>/dev/null; }
count() { grep -c -- "$2" "$TMP/$1.notes" 2>/dev/null; }

# Readiness: the port accepts by the time READY=1 is sent.  The port is
# probed the moment the note arrives.
start_notified w WATCHDOG_USEC=400000
ready_open=""
for _ in $(seq 100); do
	if grep -q 'READY=1' "$TMP/w.notes" 2>/dev/null; then
		port_open "$GPORT" && ready_open=yes || ready_open=no
		break
	fi
	sleep 0.05
done
[ "$ready_open" = yes ] && pass "READY=1 is sent, and the port accepts when it is" ||
	fail "READY=1 is sent, and the port accepts when it is" "ready=${ready_open:-never} notes: $(notes w | head -n 3)"
grep -q 'READY=1;STATUS=serving' "$TMP/w.notes" && pass "READY=1 carries STATUS=serving" ||
	fail "READY=1 carries STATUS=serving" "$(notes w | head -n 2)"

# Watchdog: WatchdogSec=0.4 s means a ping every 200 ms.
sleep 1.5
n=$(count w 'WATCHDOG=1')
if [ "${n:-0}" -ge 5 ] && [ "$n" -le 9 ]; then
	pass "WATCHDOG=1 every half interval ($n pings in ~1.5 s at 200 ms)"
else
	fail "WATCHDOG=1 every half interval" "$n pings in ~1.5 s"
fi

# A stuck worker withholds the ping.  One worker thread (and only it) is
# stopped with ptrace (PTRACE_SEIZE + PTRACE_INTERRUPT stop one thread, not
# the process) for 1.2 s: the pings stop and sluiced says why; once the
# thread runs again, they resume.
cat >"$TMP/stall.py" <<'EOF'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
SEIZE, INTERRUPT, DETACH = 0x4206, 0x4207, 17
tid = int(sys.argv[1])
if libc.ptrace(SEIZE, tid, None, None) or libc.ptrace(INTERRUPT, tid, None, None):
    sys.exit("ptrace: %s" % os.strerror(ctypes.get_errno()))
os.waitpid(tid, 0x40000000)  # __WALL: the thread's stop
print("stopped", flush=True)
time.sleep(float(sys.argv[2]))
libc.ptrace(DETACH, tid, None, None)
EOF
wtid=""
for t in /proc/$SPID/task/*; do
	[ "$(cat "$t/comm" 2>/dev/null)" = sl-worker-1 ] && wtid=${t##*/}
done
if [ -z "$wtid" ]; then
	fail "a stuck worker withholds the watchdog ping" "no thread named sl-worker-1"
else
	python3 "$TMP/stall.py" "$wtid" 1.4 >"$TMP/stall.out" 2>&1 &
	stall=$!
	wait_for "the worker's stop" 5 grep -q stopped "$TMP/stall.out"
	before=$(count w 'WATCHDOG=1')
	sleep 1
	during=$(( $(count w 'WATCHDOG=1') - before ))
	wait "$stall"
	sleep 0.6
	after=$(( $(count w 'WATCHDOG=1') - before - during ))
	# Up to one ping may leave while the stop takes hold (the worker's last
	# beat came just before it); none after that, for 1 s (5 intervals).
	if grep -q stopped "$TMP/stall.out" && [ "$during" -le 1 ] && [ "$after" -ge 2 ] &&
		grep -q "a worker's loop has not turned" "$TMP/w.log" &&
		grep -q 'watchdog pings resume' "$TMP/w.log"; then
		pass "a stuck worker withholds the watchdog ping; it resumes after ($during, then $after)"
	else
		fail "a stuck worker withholds the watchdog ping" \
			"during=$during after=$after $(cat "$TMP/stall.out") $(grep -i watchdog "$TMP/w.log")"
	fi
fi

# Reload, taken: RELOADING=1, then READY=1 saying so.
kill -HUP "$SPID"
wait_for "reload notes" 5 grep -q 'READY=1;STATUS=reloaded' "$TMP/w.notes"
if notes w | grep -E 'RELOADING=1|STATUS=reloaded' | head -n 2 | tr '\n' ' ' |
	grep -q 'RELOADING=1.*READY=1;STATUS=reloaded'; then
	pass "a reload: RELOADING=1, then READY=1 (reloaded)"
else
	fail "a reload: RELOADING=1, then READY=1 (reloaded)" "$(notes w | grep -v WATCHDOG)"
fi
# Reload, refused: the daemon stays ready on the running policy.
cp "$TMP/policy.json" "$TMP/policy.good"
echo '{ "version": 1, "listen": ' >"$TMP/policy.json"
kill -HUP "$SPID"
wait_for "refused reload notes" 5 grep -q 'STATUS=reload refused' "$TMP/w.notes"
[ "$(count w 'RELOADING=1')" = 2 ] && grep -q 'READY=1;STATUS=reload refused; the running policy stays' "$TMP/w.notes" &&
	port_open "$GPORT" && pass "a refused reload: RELOADING=1, READY=1 (refused), still serving" ||
	fail "a refused reload: RELOADING=1, READY=1 (refused), still serving" "$(notes w | grep -v WATCHDOG)"
cp "$TMP/policy.good" "$TMP/policy.json"

# Stop: STOPPING=1, a clean exit, and no more pings.
kill -TERM "$SPID"
for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
wait "$SPID"; rc=$?
[ "$rc" = 0 ] && grep -q 'STOPPING=1' "$TMP/w.notes" && pass "SIGTERM: STOPPING=1 and exit 0" ||
	fail "SIGTERM: STOPPING=1 and exit 0" "rc=$rc $(notes w | grep -v WATCHDOG | tail -n 2)"

# Without WATCHDOG_USEC (WatchdogSec unset) there is no ping.
start_notified q
wait_for "READY=1 without a watchdog" 5 grep -q 'READY=1' "$TMP/q.notes"
sleep 0.6
[ "$(count q 'WATCHDOG=1')" = 0 ] && grep -q 'READY=1' "$TMP/q.notes" &&
	pass "no WatchdogSec: READY=1 and no pings" ||
	fail "no WatchdogSec: READY=1 and no pings" "$(notes q | head -n 3)"
kill -TERM "$SPID"; wait "$SPID" 2>/dev/null

exit $E2E_FAILED
