#!/bin/bash
# audit_crash.sh - audit records survive the daemon's death, and a full disk
# never stalls the request path.
#
# 1. The audit writer thread is held (ptrace stops that one thread), calls
#    are answered all the same, then sluiced dies by SIGKILL: no record had
#    reached a sink, and the next start replays every answered call's record
#    from the spool into the JSONL file and journald, exactly once.
# 2. A burst of calls, SIGKILL the moment the last is answered, restart:
#    again every answered call's record exactly once.
# 3. SIGKILL with a record in flight (the writer stopped by ptrace at the
#    entry or exit of its send to journald, or after its write to the JSONL
#    file, before the spool marks it): still exactly once in each sink.
# 4. The JSONL file and the usage ledger on a 256 KiB tmpfs (the ledger
#    needs about 100 KiB to open in WAL mode) filled to the
#    last block: calls are still answered, the losses are counted, logged
#    and recorded in journald at error priority.
# tests/e2e/audit_crash_cases.py holds the checks.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
. tests/e2e/journald_lib.sh

require_root
journald_ensure
SLUICED=$PWD/$BUILD/sluiced
DEMO=$PWD/$BUILD/sluice-demo-backend
[ -x "$SLUICED" ] && [ -x "$DEMO" ] || die "build first"
TMP=$(mktemp -d /tmp/sluice-crash.XXXXXX)
on_exit "rm -rf '$TMP'"
export PYTHONDONTWRITEBYTECODE=1
# The policies name their ledgers (the full disk's is on the tmpfs) and
# spools: the per-suite ones tests/run.sh sets would win over them.
unset SLUICE_USAGE_DB SLUICE_AUDIT_SPOOL
CASES=tests/e2e/audit_crash_cases.py

DPORT=$(free_port)
GPORT=$(free_port)
"$DEMO" --listen "127.0.0.1:$DPORT" 2>"$TMP/demo.log" &
E2E_PIDS+=($!)
wait_for "the demo backend" 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$DPORT" ||
	die "demo backend did not start"
python3 $CASES write "$TMP" "$GPORT" "$DPORT" "$TMP/audit.jsonl" "$TMP/usage.db" ||
	die "cannot write the policy"

start_gw() {
	"$SLUICED" --policy "$TMP/policy.json" --workers 2 --pin-dir "$TMP/no-kernel" \
		>>"$TMP/sluiced.log" 2>&1 &
	GW=$!
	E2E_PIDS+=($GW)
	wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT" ||
		die "$(tail -3 "$TMP/sluiced.log")"
}

# --- 1. the writer held, then SIGKILL ---------------------------------------------------
cat >"$TMP/hold.py" <<'PY'
# hold.py TID SECONDS [SYSCALL entry|exit]: stops thread TID (ptrace), at
# once or at the entry or exit of its next SYSCALL (x86_64 numbers), prints
# "stopped" and keeps it there until the process dies or SECONDS pass.
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
SEIZE, INTERRUPT, SYSCALL, GETREGS, CONT = 0x4206, 0x4207, 24, 12, 7
TRACESYSGOOD, WALL, ENOSYS = 1, 0x40000000, 38
NR = {"write": 1, "sendmsg": 46}
tid = int(sys.argv[1])
if libc.ptrace(SEIZE, tid, None, TRACESYSGOOD) or libc.ptrace(INTERRUPT, tid, None, None):
    sys.exit("ptrace: %s" % os.strerror(ctypes.get_errno()))
os.waitpid(tid, WALL)  # the thread's stop
if len(sys.argv) > 3:
    want, at = NR[sys.argv[3]], sys.argv[4]
    regs = (ctypes.c_ulong * 27)()
    sig = 0
    while True:
        libc.ptrace(SYSCALL, tid, None, sig)
        _, status = os.waitpid(tid, WALL)
        if not os.WIFSTOPPED(status):
            sys.exit("the thread ended before its %s" % sys.argv[3])
        sig = os.WSTOPSIG(status)
        if sig != 0x85:  # SIGTRAP | 0x80: a syscall stop; else pass the signal on
            sig = 0 if sig == 5 else sig
            continue
        sig = 0
        libc.ptrace(GETREGS, tid, None, ctypes.byref(regs))
        entry = ctypes.c_long(regs[10]).value == -ENOSYS  # rax at entry
        if regs[15] == want and entry == (at == "entry"):  # orig_rax
            break
print("stopped", flush=True)
time.sleep(float(sys.argv[2]))  # held until the process dies (or this ends)
PY
start_gw
sleep 0.3	# the writer's first round (the JSONL file opened) is over
wtid=""
for t in /proc/$GW/task/*; do
	[ "$(cat "$t/comm" 2>/dev/null)" = sl-audit ] && wtid=${t##*/}
done
[ -n "$wtid" ] || die "no thread named sl-audit in sluiced"
python3 "$TMP/hold.py" "$wtid" 60 >"$TMP/hold.out" 2>&1 &
HOLD=$!
E2E_PIDS+=($HOLD)
wait_for "the writer held" 30 grep -q stopped "$TMP/hold.out" || die "$(cat "$TMP/hold.out")"
python3 $CASES calls-then-kill "$TMP" "$GPORT" "$GW" held 40 || E2E_FAILED=1
# The tracer first: a traced process killed is reaped by its parent only
# once its tracer has let it go (else this waits out hold.py's 60 s).
kill "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null
{ wait "$GW"; } 2>/dev/null
python3 $CASES none-written "$TMP" held || E2E_FAILED=1
start_gw
check "the next start replays what the killed daemon left" \
	grep -q "replaying .* bytes of records the last run left" "$TMP/sluiced.log"

# --- 2. a burst, SIGKILL the moment the last call is answered ----------------------------
python3 $CASES calls-then-kill "$TMP" "$GPORT" "$GW" burst 200 || E2E_FAILED=1
{ wait "$GW"; } 2>/dev/null

# --- 3. SIGKILL with a record in flight to a sink --------------------------------------------
# The writer stopped at the exit of its send to journald (the record is in
# journald, the spool's mark not yet moved), at its entry (not sent), and at
# the exit of its write to the JSONL file: the next start gives each sink
# what it lacks, no more.
in_flight() {	# ROUND SYSCALL entry|exit
	start_gw
	sleep 0.3
	wtid=""
	for t in /proc/$GW/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = sl-audit ] && wtid=${t##*/}
	done
	[ -n "$wtid" ] || die "no thread named sl-audit in sluiced"
	python3 "$TMP/hold.py" "$wtid" 60 "$2" "$3" >"$TMP/hold-$1.out" 2>&1 &
	HOLD=$!
	E2E_PIDS+=($HOLD)
	python3 $CASES calls-then-kill "$TMP" "$GPORT" "$GW" "$1" 20 "$TMP/hold-$1.out" ||
		E2E_FAILED=1
	kill "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null
	{ wait "$GW"; } 2>/dev/null
}
in_flight journald-sent sendmsg exit
in_flight journald-unsent sendmsg entry
in_flight jsonl-written write exit
start_gw
kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM" test $? = 0
check "a record in doubt in journald is looked up there (no warning that it cannot tell)" \
	bash -c "! grep -q 'cannot tell whether journald has record' '$TMP/sluiced.log'"
python3 $CASES exactly-once "$TMP" held burst journald-sent journald-unsent jsonl-written ||
	E2E_FAILED=1

# --- 4. a full disk ------------------------------------------------------------------------
FULL=$TMP/full
mkdir -p "$FULL"
mount -t tmpfs -o size=256k tmpfs "$FULL" || die "cannot mount a tmpfs"
on_exit "umount '$FULL'"
GPORT2=$(free_port)
python3 $CASES write "$TMP/full-policy" "$GPORT2" "$DPORT" "$FULL/audit.jsonl" "$FULL/usage.db" ||
	die "cannot write the policy"
"$SLUICED" --policy "$TMP/full-policy/policy.json" --workers 2 --pin-dir "$TMP/no-kernel" \
	>"$TMP/full.log" 2>&1 &
GW=$!
E2E_PIDS+=($GW)
wait_for "sluiced" 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$GPORT2" || die "$(tail -3 "$TMP/full.log")"
dd if=/dev/zero of="$FULL/filler" bs=4k >/dev/null 2>&1	# to the last block
check "the tmpfs is full" bash -c "! dd if=/dev/zero of='$FULL/more' bs=4k count=1 2>/dev/null"
python3 $CASES full-disk "$TMP/full-policy" "$GPORT2" "$TMP/full.log" || E2E_FAILED=1
kill -TERM "$GW" && wait "$GW"
check "sluiced exits 0 after SIGTERM, the disk still full" test $? = 0
check "no sanitizer report" bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' '$TMP/sluiced.log' '$TMP/full.log'"
exit $E2E_FAILED
