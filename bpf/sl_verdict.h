/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_verdict.h - the judge: composed stages over one struct sl_judge.
 *
 * Order of checks, cheapest and broadest first so
 * the common packet leaves early:
 *   parse -> protected port? -> source (deny, identity) -> agent (ban,
 *   packet and byte budget) -> SYN (per-source, per-agent buckets) -> allow.
 * Each stage returns true to go on, or records a decision with sl_decide()
 * and returns false.
 *
 * Lookups are gated so the common path pays only for what a policy uses:
 * each family's sl_exact_* only when its count in sl_config is non-zero,
 * sl_src_* only at the prefix lengths sl_config lists, sl_conn_tags_* never
 * for SYNs and only while its count in sl_config is non-zero, bucket state only for agents with a
 * limit, the clock only for a finite deadline, a bucket or an event.
 *
 * Failed lookups fail open: every map read here is an array (cannot miss
 * for a valid index) or a table whose miss means "nothing known about this
 * packet".  A miss never turns into a drop.
 */
#ifndef SL_VERDICT_H
#define SL_VERDICT_H

static __always_inline bool sl_port_protected(const struct sl_config *cfg, __u16 port)
{
	return (cfg->ports[port / 64] >> (port % 64)) & 1;
}

static __always_inline bool sl_stage_port(struct sl_judge *j)
{
	/* The bitmap is indexed by the port in host order. */
	if (!sl_port_protected(j->cfg, bpf_ntohs(j->pkt.dport)))
		return sl_decide(j, SL_VERDICT_PASS, SL_REASON_NOT_PROTECTED);
	return true;
}

/* --- source: deny list and identity ---------------------------------------- */

/*
 * One lookup decides: userspace stored in every entry the effective deny
 * deadline and agent over all entries containing it, so an exact hit never
 * needs the prefixes and the longest prefix needs no shorter one.
 */
static __always_inline bool sl_stage_source(struct sl_judge *j)
{
	struct sl_src_value *src = sl_lookup_exact(j->cfg, &j->pkt), scratch;

	if (!src)
		src = sl_lookup_prefix(j->cfg, &j->pkt, &scratch);
	if (!src)
		return true;
	if (sl_deadline_active(j, src->eff_deny_until_ns))
		return sl_decide(j, SL_VERDICT_DROP, SL_REASON_DENY);
	j->src_agent_id = src->eff_agent_id;
	return true;
}

/* --- agent: ban and budgets ------------------------------------------------ */

/* The agent sluiced tagged this connection with; 0 when untagged. */
static __always_inline __u32 sl_lookup_conn_agent(const struct sl_pkt *pkt)
{
	struct sl_conn_tag *tag = sl_lookup_conn_tag(pkt->family, pkt->proto, pkt->saddr,
						     pkt->daddr, pkt->sport, pkt->dport);

	return tag ? tag->agent_id : 0;
}

/* RST only where it can be built: XDP, TCP that is not itself a RST, and
 * plain L3 (no IPv4 options or IPv6 extensions to rewrite); else drop. */
static __always_inline __u32 sl_ban_verdict(const struct sl_judge *j)
{
	const struct sl_pkt *pkt = &j->pkt;

	if (j->hook == SL_HOOK_XDP && (j->agent->flags & SL_AGENT_F_BAN_RST) &&
	    pkt->proto == IPPROTO_TCP && !(pkt->tcp_flags & SL_TCP_RST) && pkt->l3_plain)
		return SL_VERDICT_RST;
	return SL_VERDICT_DROP;
}

static __always_inline struct sl_agent_state *sl_agent_state_get(struct sl_judge *j)
{
	return bpf_map_lookup_elem(&sl_agent_state, &j->agent_id);
}

/*
 * Packet, then byte budget.  A packet dropped by the byte budget stays
 * charged to the packet budget: it did arrive and cost work, and GCRA stays
 * correct (the bucket is only ever ahead by what was really sent).
 */
static __always_inline bool sl_stage_budgets(struct sl_judge *j)
{
	struct sl_agent *agent = j->agent;
	struct sl_agent_state *state;
	__u64 cost_ns;

	if (!agent->pkt_interval_ns && !agent->byte_interval_q16)
		return true;
	state = sl_agent_state_get(j);
	if (!state)
		return true;
	if (agent->pkt_interval_ns &&
	    !sl_gcra(&state->pkt_tat_ns, sl_now(j), agent->pkt_interval_ns, agent->pkt_burst_ns))
		return sl_decide(j, SL_VERDICT_DROP, SL_REASON_PKT_BUDGET);
	if (!agent->byte_interval_q16)
		return true;
	cost_ns = ((__u64)j->pkt_len * agent->byte_interval_q16) >> SL_Q16_SHIFT;
	/* A packet bigger than the whole burst (a GRO-merged skb on TC) would
	 * never conform: it costs the full burst instead, taken from a full bucket. */
	if (cost_ns > agent->byte_burst_ns)
		cost_ns = agent->byte_burst_ns;
	if (!sl_gcra(&state->byte_tat_ns, sl_now(j), cost_ns, agent->byte_burst_ns))
		return sl_decide(j, SL_VERDICT_DROP, SL_REASON_BYTE_BUDGET);
	return true;
}

/*
 * Which agent: a connection tag (sluiced authenticated the connection) wins
 * over the identity of the source.  A SYN opens a new connection, which
 * cannot be tagged yet: it skips the hash probe, and so does every packet
 * while its family has no tag at all (the probe costs 10-15 ns a miss).
 */
static __always_inline bool sl_stage_agent(struct sl_judge *j)
{
	__u32 agent_id = j->src_agent_id;
	__u32 tagged;

	j->agent = NULL;
	if (!sl_is_syn(&j->pkt) && sl_conn_tags_exist(j->cfg, j->pkt.family)) {
		tagged = sl_lookup_conn_agent(&j->pkt);
		/* A stale tag naming an emptied slot must not hide the source's agent. */
		if (tagged && (j->agent = sl_agent_get(tagged)))
			agent_id = tagged;
	}
	if (!j->agent)
		j->agent = sl_agent_get(agent_id);
	if (!j->agent)
		return true;
	j->agent_id = agent_id;
	if (sl_deadline_active(j, j->agent->banned_until_ns))
		return sl_decide(j, sl_ban_verdict(j), SL_REASON_BANNED);
	return sl_stage_budgets(j);
}

/* --- SYN buckets ----------------------------------------------------------- */

/*
 * The source's buckets, narrowest first: v4 its /32; v6 its /64, /56 and
 * /48, each with a shorter interval (SL_SYN_V6_*_SHIFT) and the same burst
 * window.  A SYN passes only if every level conforms; when a wider level
 * refuses it, the levels already charged get their charge back, so a
 * refused SYN costs no level anything (GCRA charges only conforming units).
 * A bucket never seen is TAT 0, full: there is no "first SYN" case.
 */
static __always_inline bool sl_syn_level(const struct sl_config *cfg, const __u32 *saddr,
					 __u32 level, __u64 now, __u64 interval_ns,
					 __u64 **charged)
{
	struct sl_bucket *bucket = sl_lookup_syn_bucket(&cfg->syn_seed, saddr, level);

	*charged = NULL;
	if (!bucket)
		return true;	/* cannot happen: the index is masked to the array */
	if (!sl_gcra(&bucket->tat_ns, now, interval_ns ? interval_ns : 1, cfg->syn_src_burst_ns))
		return false;
	*charged = &bucket->tat_ns;
	return true;
}

static __always_inline void sl_syn_refund(__u64 *tat, __u64 cost_ns)
{
	if (tat)
		__sync_fetch_and_sub(tat, cost_ns ? cost_ns : 1);
}

/*
 * Global, not inlined: the verifier checks it once, on its own, instead of
 * once for every way a packet can reach it (tag counts, extension headers,
 * families).  Inlined, the three v6 levels and their refunds tripled the
 * instructions it walks.  Returns 1 when the SYN conforms at every level.
 */
__attribute__((noinline)) int sl_syn_source_check(const struct sl_config *cfg,
						   const struct sl_addr *src, __u32 family,
						   __u64 now)
{
	__u64 interval_ns, i56, i48;
	__u64 *t64, *t56, *t48;

	if (!cfg || !src)
		return 1;
	interval_ns = cfg->syn_src_interval_ns;
	if (family == SL_AF_INET)
		return sl_syn_level(cfg, src->w, SL_SYN_V4_32, now, interval_ns, &t64);
	if (!sl_syn_level(cfg, src->w, SL_SYN_V6_64, now, interval_ns, &t64))
		return 0;
	i56 = interval_ns >> SL_SYN_V6_56_SHIFT;
	if (!sl_syn_level(cfg, src->w, SL_SYN_V6_56, now, i56, &t56)) {
		sl_syn_refund(t64, interval_ns);
		return 0;
	}
	i48 = interval_ns >> SL_SYN_V6_48_SHIFT;
	if (!sl_syn_level(cfg, src->w, SL_SYN_V6_48, now, i48, &t48)) {
		sl_syn_refund(t56, i56);
		sl_syn_refund(t64, interval_ns);
		return 0;
	}
	return 1;
}

static __always_inline bool sl_syn_source_conforms(struct sl_judge *j)
{
	if (!j->cfg->syn_src_interval_ns)
		return true;
	return sl_syn_source_check(j->cfg, (const struct sl_addr *)j->pkt.saddr,
				   j->pkt.family, sl_now(j));
}

static __always_inline bool sl_syn_agent_conforms(struct sl_judge *j)
{
	struct sl_agent *agent = j->agent;
	struct sl_agent_state *state;

	if (!agent || !agent->syn_interval_ns)
		return true;
	state = sl_agent_state_get(j);
	if (!state)
		return true;
	return sl_gcra(&state->syn_tat_ns, sl_now(j), agent->syn_interval_ns, agent->syn_burst_ns);
}

static __always_inline bool sl_stage_syn(struct sl_judge *j)
{
	if (!sl_is_syn(&j->pkt))
		return true;
	if (!sl_syn_source_conforms(j))
		return sl_decide(j, SL_VERDICT_DROP, SL_REASON_SYN_SOURCE);
	if (!sl_syn_agent_conforms(j))
		return sl_decide(j, SL_VERDICT_DROP, SL_REASON_SYN_AGENT);
	return true;
}

/* --- the judge ------------------------------------------------------------- */

/* Parses and judges the frame at @cur into j->verdict and j->reason. */
static __always_inline void sl_judge_packet(struct sl_judge *j, struct sl_cursor *cur)
{
	__u32 reason = sl_parse(cur, &j->pkt);

	if (reason != SL_REASON_ALLOWED) {
		sl_decide(j, reason == SL_REASON_MALFORMED ? SL_VERDICT_DROP : SL_VERDICT_PASS,
			  reason);
		return;
	}
	/* An ARRAY lookup of index 0 cannot fail; the verifier wants the check. */
	if (!j->cfg) {
		sl_decide(j, SL_VERDICT_PASS, SL_REASON_NOT_PROTECTED);
		return;
	}
	if (sl_stage_port(j) && sl_stage_source(j) && sl_stage_agent(j) && sl_stage_syn(j))
		sl_decide(j, SL_VERDICT_PASS, SL_REASON_ALLOWED);
}

/* Monitor mode: a drop (or RST) becomes a pass, remembered for the event. */
static __always_inline void sl_apply_monitor(struct sl_judge *j)
{
	if (j->verdict == SL_VERDICT_PASS || !j->cfg || !(j->cfg->flags & SL_CFG_F_MONITOR))
		return;
	j->monitored_verdict = j->verdict;
	j->verdict = SL_VERDICT_PASS;
}

/* Sets up @j for a frame and judges it, monitor mode applied. */
static __always_inline void sl_judge_frame(struct sl_judge *j, void *data, void *data_end,
					   __u32 pkt_len, __u32 ifindex, __u32 hook)
{
	struct sl_cursor cur = { .pos = data, .end = data_end };
	__u32 zero = 0;

	j->cfg = bpf_map_lookup_elem(&sl_config, &zero);
	j->pkt_len = pkt_len;
	j->ifindex = ifindex;
	j->hook = hook;
	sl_judge_packet(j, &cur);
	sl_apply_monitor(j);
}

#endif /* SL_VERDICT_H */
