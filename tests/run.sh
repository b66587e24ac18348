#!/bin/bash
# tests/run.sh - run every test and print one closing line "N passed, N failed".
#
# Each test (a C binary in $BUILD/tests, or a shell script in tests/e2e)
# prints one "PASS: ..." or "FAIL: ..." line per case.  A test that exits
# non-zero without printing a FAIL line (a crash, a refused kernel feature)
# counts as one failure: nothing is ever skipped silently.
set -u

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD SL_REPO=$PWD
LOG_DIR=$(mktemp -d /tmp/sluice-tests.XXXXXX)
# Every sluiced the tests start keeps its usage ledger and its audit spool
# here, not in /var/lib: one per suite (run_one), so that one suite's
# spending never counts against another's budgets, and no suite replays
# another's records.
passed=0
failed=0

if [ "$(id -u)" != 0 ]; then
	echo "tests/run.sh: the BPF, netns and journald tests need root" >&2
fi
# Pins and the bpf tests need bpffs; mount it when this machine has none.
if ! mount | grep -q ' /sys/fs/bpf type bpf'; then
	mount -t bpf bpf /sys/fs/bpf || echo "tests/run.sh: cannot mount bpffs" >&2
fi

run_one() {
	local name=$1; shift
	local out="$LOG_DIR/$name.log" rc p f
	SLUICE_USAGE_DB=${SLUICE_USAGE_DB_ALL:-$LOG_DIR/$name.usage.db} \
		SLUICE_AUDIT_SPOOL=$LOG_DIR/$name.audit.spool "$@" >"$out" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL): ' "$out"
	p=$(grep -c '^PASS: ' "$out")
	f=$(grep -c '^FAIL: ' "$out")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL: $name: exited $rc without a failing case; last output:"
		tail -n 20 "$out" | sed 's/^/    /'
		f=1
	fi
	if [ "$f" != 0 ]; then
		echo "--- $name output (failures above) in $out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
# The shape of user/: layers, one-way dependencies, no circles.
run_one layout bash tests/layout.sh
# Every fuzzer replays its corpus (each input that ever crashed stays a test).
run_one fuzz_replay env OUT="$BUILD/fuzz" tests/fuzz/replay.sh
for t in tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	run_one "$(basename "$t" .sh)" bash "$t"
done

# A test killed by a sanitizer abort cannot clean up after itself: remove the
# private pin directories of test processes that are gone.
for d in /sys/fs/bpf/sluice-test-*-* /sys/fs/bpf/sluice-e2e-*; do
	[ -e "$d" ] || continue
	pid=${d##*-}
	kill -0 "$pid" 2>/dev/null || rm -rf "$d"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
