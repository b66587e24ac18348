#!/bin/bash
# tests/fuzz/replay.sh - every libFuzzer target runs its whole corpus once
# (a regression test for every input that ever crashed or found new code).
# Prints one PASS/FAIL line per target; run by tests/run.sh.
cd "$(dirname "$0")/../.." || exit 1
OUT=${OUT:-build/fuzz}
failed=0
if ! OUT=$OUT tests/fuzz/build.sh >"$OUT.build.log" 2>&1; then
	echo "FAIL: fuzz: build: $(tail -3 "$OUT.build.log" | tr '\n' ' ')"
	exit 1
fi
for bin in "$OUT"/fuzz_*; do
	name=${bin##*/fuzz_}
	corpus=tests/fuzz/corpus_$name
	if [ ! -d "$corpus" ]; then
		echo "FAIL: fuzz: $name: no corpus at $corpus"
		failed=1
	elif out=$("$bin" -runs=0 -artifact_prefix="$OUT/" "$corpus" 2>&1); then
		echo "PASS: fuzz: $name replays its $(ls "$corpus" | wc -l) corpus inputs"
	else
		echo "FAIL: fuzz: $name: $(echo "$out" | grep -m1 -E 'ERROR|runtime error|deadly' )"
		failed=1
	fi
done
exit $failed
