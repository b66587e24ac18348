#!/bin/bash
# scripts/fuzz-long.sh - fuzzing at depth: every libFuzzer target (HTTP,
# SSE, MCP, policy, decision, SQL rule, credentials), built with ASan and
# UBSan by tests/fuzz/build.sh, runs for a given number of executions on a
# scratch copy of its corpus.  Prints one row per target (executions, time,
# executions a second, coverage, findings) and exits 1 if any target found
# something.  Not part of `make test`: 10 million executions of every
# target take hours.
#
#   scripts/fuzz-long.sh                      10,000,000 executions each, all targets
#   scripts/fuzz-long.sh -n 200000 http sse   fewer, some targets
#   scripts/fuzz-long.sh -j 2                 two targets at a time
#
# Findings (crash-*, leak-*, timeout-*, oom-*) stay in the work directory it
# prints.  Replay one with build/fuzz-long/fuzz_NAME FILE; once fixed, copy it
# into tests/fuzz/corpus_NAME/ under a name that says what it is, so every
# `make test` replays it (tests/fuzz/replay.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

RUNS=10000000
JOBS=1
usage() {
	sed -n '2,/^set /p' "$0" | sed -e '/^set /d' -e 's/^# \{0,1\}//'
	exit "$1"
}
while getopts "n:j:h" opt; do
	case $opt in
	n) RUNS=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	h) usage 0 ;;
	*) usage 2 >&2 ;;
	esac
done
shift $((OPTIND - 1))
case $RUNS$JOBS in *[!0-9]*) echo "fuzz-long: -n and -j take numbers" >&2; exit 2 ;; esac
[ "$RUNS" -gt 0 ] && [ "$JOBS" -gt 0 ] || { echo "fuzz-long: -n and -j must be > 0" >&2; exit 2; }

OUT=${OUT:-build/fuzz-long}
WORK=$(mktemp -d /tmp/sluice-fuzz-long.XXXXXX)
if ! OUT=$OUT tests/fuzz/build.sh "$@" >"$WORK/build.log" 2>&1; then
	echo "fuzz-long: build failed:" >&2
	tail -n 20 "$WORK/build.log" >&2
	exit 1
fi
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for src in tests/fuzz/fuzz_*.c; do
		n=${src#tests/fuzz/fuzz_}
		names+=("${n%.c}")
	done
fi

# run_target NAME: fuzzes NAME for RUNS executions; its log in WORK/NAME.log.
run_target() {
	local name=$1 dict=()
	mkdir -p "$WORK/$name/corpus" "$WORK/$name/findings"
	cp tests/fuzz/corpus_"$name"/* "$WORK/$name/corpus/"
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	# -timeout: an input slower than 10 s is a finding (a hang in the gateway).
	"$OUT/fuzz_$name" -runs="$RUNS" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$WORK/$name/findings/" "${dict[@]}" \
		"$WORK/$name/corpus" >"$WORK/$name.log" 2>&1
	echo $? >"$WORK/$name.rc"
}

echo "fuzz-long: $RUNS executions per target, $JOBS at a time, work in $WORK"
running=0
for name in "${names[@]}"; do
	run_target "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

found=0
printf '%-8s %12s %8s %10s %6s %s\n' target executions seconds exec/s cov findings
for name in "${names[@]}"; do
	log=$WORK/$name.log
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*')
	nfind=$(find "$WORK/$name/findings" -type f | wc -l)
	rc=$(cat "$WORK/$name.rc" 2>/dev/null || echo '?')
	if [ "$nfind" != 0 ] || [ "$rc" != 0 ]; then
		found=1
	fi
	rate=-
	if [ -n "$execs" ] && [ -n "$secs" ] && [ "$secs" -gt 0 ]; then
		rate=$((execs / secs))
	fi
	printf '%-8s %12s %8s %10s %6s %s\n' "$name" "${execs:-?}" "${secs:-?}" "$rate" "${cov:-?}" \
		"$( [ "$nfind" = 0 ] && [ "$rc" = 0 ] && echo none ||
			echo "$nfind file(s), exit $rc: $(grep -m1 -E 'ERROR|runtime error|deadly' "$log")")"
done
echo "fuzz-long: logs and findings in $WORK"
exit $found
