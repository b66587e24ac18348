/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_judge.h - the context every verdict stage shares, and the small helpers
 * around it: the lazily read clock, deadlines, counters.
 */
#ifndef SL_JUDGE_H
#define SL_JUDGE_H

/* Which program runs the judge: decides RST support and the event flag. */
enum sl_hook {
	SL_HOOK_XDP = 0,
	SL_HOOK_TC = 1,
};

/* One packet's judgement, filled stage by stage (see sl_verdict.h). */
struct sl_judge {
	struct sl_pkt pkt;
	struct sl_config *cfg;		/* NULL only if the array lookup failed */
	struct sl_agent *agent;		/* active agent the packet belongs to, or NULL */
	__u64 now_ns;			/* 0 until sl_now() first reads the clock */
	__u32 agent_id;			/* valid when agent != NULL */
	__u32 src_agent_id;		/* identity from the source entry, 0 = none */
	__u32 pkt_len;			/* bytes on the wire, L2 included */
	__u32 ifindex;
	__u8 verdict;			/* enum sl_verdict */
	__u8 reason;			/* enum sl_reason */
	__u8 hook;			/* enum sl_hook */
	__u8 monitored_verdict;		/* what monitor mode turned into a pass, or 0 */
};

/*
 * CLOCK_MONOTONIC_COARSE, the clock userspace writes deadlines in, for the
 * price of reading jiffies.  The coarse clock only moves on the tick that
 * also moves jiffies, so each CPU keeps the value it read in the current
 * jiffy and reads the real clock once per tick.  Why bother: on this
 * class of machine bpf_ktime_get_coarse_ns() costs ~18 ns (a seqcount loop
 * and a timespec normalisation behind return thunks), bpf_jiffies64() a
 * single load.  A CPU that reads between the jiffies update and the
 * timekeeping update of one tick keeps a value one tick old: the error
 * stays within a tick or two, as the coarse clock's own.
 */
static __always_inline __u64 sl_clock_read(void)
{
	struct sl_clock_cache *cache;
	__u64 tick = bpf_jiffies64();
	__u32 zero = 0;

	cache = bpf_map_lookup_elem(&sl_clock, &zero);
	if (!cache)
		return bpf_ktime_get_coarse_ns();
	if (cache->jiffies != tick || !cache->coarse_ns) {
		cache->coarse_ns = bpf_ktime_get_coarse_ns();
		cache->jiffies = tick;
	}
	return cache->coarse_ns;
}

/* The clock, read at most once per packet and only when a deadline, a
 * bucket or an event needs it.  Tick resolution (1-4 ms) is fine for
 * buckets of microsecond intervals and deadlines in seconds. */
static __always_inline __u64 sl_now(struct sl_judge *j)
{
	if (!j->now_ns)
		j->now_ns = sl_clock_read();
	return j->now_ns;
}

/* A ban or deny deadline still ahead?  Reads the clock only for finite ones. */
static __always_inline bool sl_deadline_active(struct sl_judge *j, __u64 until_ns)
{
	if (!until_ns)
		return false;
	return until_ns == SL_FOREVER || until_ns > sl_now(j);
}

/* Records the decision; the caller's stage returns false to stop the judge. */
static __always_inline bool sl_decide(struct sl_judge *j, __u32 verdict, __u32 reason)
{
	j->verdict = verdict;
	j->reason = reason;
	return false;
}

/* Verdicts and their sl_stats slots share order; this is the one place
 * that relies on it. */
_Static_assert(SL_STAT_PASS == SL_VERDICT_PASS && SL_STAT_DROP == SL_VERDICT_DROP &&
	       SL_STAT_RST == SL_VERDICT_RST, "verdict stats follow enum sl_verdict");

static __always_inline __u32 sl_verdict_stat(__u32 verdict)
{
	return SL_STAT_PASS + verdict;
}

/* Per-CPU counter slot += @n; array lookups are inlined by the verifier. */
static __always_inline void sl_stat_add(__u32 slot, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&sl_stats, &slot);

	if (v)
		*v += n;
}

static __always_inline bool sl_agent_id_valid(__u32 agent_id)
{
	return agent_id && agent_id < SL_MAX_AGENTS;
}

/* The active agent @agent_id, or NULL (0, out of range or a free slot). */
static __always_inline struct sl_agent *sl_agent_get(__u32 agent_id)
{
	struct sl_agent *agent;

	if (!sl_agent_id_valid(agent_id))
		return NULL;
	agent = bpf_map_lookup_elem(&sl_agents, &agent_id);
	if (!agent || !(agent->flags & SL_AGENT_F_ACTIVE))
		return NULL;
	return agent;
}

static __always_inline bool sl_is_syn(const struct sl_pkt *pkt)
{
	return pkt->proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (SL_TCP_SYN | SL_TCP_ACK)) == SL_TCP_SYN;
}

#endif /* SL_JUDGE_H */
