#!/bin/sh
# xdp-cost.sh - builds (when needed) and runs the XDP cost benchmark:
# sluice_xdp's ns/packet per verdict path next to an empty XDP program and
# a reference program (bpf/reference.bpf.c: parse, one LPM lookup, one LRU
# lookup, a token bucket with atomics), through BPF_PROG_TEST_RUN.  The last
# line is "worst-path/reference ratio: X.XX"; the target is 0.50 or less.
# Needs root.  Extra arguments go to the binary (-r REPEAT, -n ROUNDS).
# Prints results; never fails on a number.
set -eu

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

if [ "$(id -u)" != 0 ]; then
	echo "xdp-cost: needs root (BPF_PROG_TEST_RUN)" >&2
	exit 1
fi
make -s --no-print-directory "$BUILD/bench/xdp-cost"
exec "$BUILD/bench/xdp-cost" "$@"
