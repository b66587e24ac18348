#!/bin/sh
# xdp-cost.sh - builds (when needed) and runs the XDP cost benchmark:
# sluice_xdp's ns/packet per verdict path next to an empty XDP program,
# through BPF_PROG_TEST_RUN.  Needs root.  Extra arguments go to the binary
# (-r REPEAT, -n ROUNDS).  Prints results; never fails on a number.
set -eu

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

if [ "$(id -u)" != 0 ]; then
	echo "xdp-cost: needs root (BPF_PROG_TEST_RUN)" >&2
	exit 1
fi
make -s --no-print-directory "$BUILD/bench/xdp-cost"
exec "$BUILD/bench/xdp-cost" "$@"
