// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluice.bpf.c - the three programs, thin shells around one judge.
 *
 *   sluice_xdp          ingress at the driver: PASS / DROP / RST (XDP_TX)
 *   sluice_tc_ingress   the same judge where XDP cannot attach; RST -> drop
 *   sluice_tc_egress    per-agent bytes towards tagged connections; never drops
 *
 * A TC pass is TC_ACT_UNSPEC: the next filter on the hook still runs.
 *
 * Everything they share lives in the sl_*.h headers, included once here.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "sluice_abi.h"
#include "sl_consts.h"
#include "sl_maps.h"
#include "sl_parse.h"
#include "sl_judge.h"
#include "sl_lookup.h"
#include "sl_gcra.h"
#include "sl_verdict.h"
#include "sl_events.h"
#include "sl_rst.h"
#include "sl_egress.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline int sl_xdp_action(__u32 verdict)
{
	if (verdict == SL_VERDICT_RST)
		return XDP_TX;
	return verdict == SL_VERDICT_DROP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int sluice_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sl_judge j = {};

	sl_judge_frame(&j, data, data_end, (__u32)(data_end - data), ctx->ingress_ifindex,
		       SL_HOOK_XDP);
	/* Before accounting, so a frame that cannot be answered counts as a drop. */
	if (j.verdict == SL_VERDICT_RST && !sl_rst_reply(ctx, data, data_end, &j))
		j.verdict = SL_VERDICT_DROP;
	sl_account(&j);
	return sl_xdp_action(j.verdict);
}

/*
 * Headers of a non-linear skb may lie past data_end; pull up to
 * SL_TC_PULL_LEN bytes into the linear area first.  Only when needed:
 * bpf_skb_pull_data may copy, and most skbs already have their headers
 * linear.
 */
static __always_inline void sl_tc_linearize(struct __sk_buff *skb)
{
	__u32 want = skb->len < SL_TC_PULL_LEN ? skb->len : SL_TC_PULL_LEN;

	if ((long)skb->data_end - (long)skb->data < (long)want)
		bpf_skb_pull_data(skb, want);
}

SEC("tc")
int sluice_tc_ingress(struct __sk_buff *skb)
{
	struct sl_judge j = {};

	sl_tc_linearize(skb);
	/* Read after the pull (it moves the data); the barrier stops clang from
	 * reusing ctx+offset pointers, which the verifier refuses to follow. */
	barrier_var(skb);
	sl_judge_frame(&j, (void *)(long)skb->data, (void *)(long)skb->data_end, skb->len,
		       skb->ifindex, SL_HOOK_TC);
	sl_account(&j);
	return j.verdict == SL_VERDICT_PASS ? SL_TC_ACT_UNSPEC : SL_TC_ACT_SHOT;
}

SEC("tc")
int sluice_tc_egress(struct __sk_buff *skb)
{
	sl_tc_linearize(skb);
	barrier_var(skb);
	sl_egress_count((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len);
	return SL_TC_ACT_UNSPEC;
}
