// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * empty.bpf.c - the benchmark baseline: an XDP program that only passes.
 * scripts/bench/xdp-cost measures sluice's paths against it in one run, so
 * the ratio cancels BPF_PROG_TEST_RUN's own per-packet cost.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}
