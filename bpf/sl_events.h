/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_events.h - counting a decision and reporting it.
 *
 * Every packet, on every path, adds one to its verdict slot and one to its
 * reason slot in sl_stats (plus SL_STAT_MONITOR for a monitored would-drop).
 * Only drops, would-drops and RSTs produce events, and never one per packet
 * under a flood: one limiter shared by all CPUs admits at most
 * sl_config.events_per_sec events per one-second window (0 = no events),
 * so the ring buffer (SL_RINGBUF_BYTES) and the reader see the same load
 * on 2 CPUs as on 64.  The rest are folded into the .suppressed count of
 * the next event the same CPU sends; the fold is per CPU so a suppressed
 * event costs no atomic and no shared cache line.  The window is fixed,
 * not sliding, which is enough to bound the ring buffer's load.
 */
#ifndef SL_EVENTS_H
#define SL_EVENTS_H

/*
 * Takes one event from the current window's budget.  The window number and
 * the count share one u64, so moving to a new window and counting in it
 * cannot tear.  Under a flood the budget is spent in the first
 * milliseconds, and every later packet stops at the plain read: the line
 * stays shared, not bounced.  Racing CPUs may push the count past the
 * budget, never the number of admitted events.
 */
static __always_inline bool sl_event_take(struct sl_event_limiter *lim, __u64 now, __u32 budget)
{
	__u64 window = now / SL_EV_WINDOW_NS;
	__u64 seen = *(volatile __u64 *)&lim->window_sent;
	__u64 old;

	if (seen >> SL_EV_WINDOW_SHIFT != window) {
		/* First event of a new window: start it with this one. */
		if (__sync_val_compare_and_swap(&lim->window_sent, seen,
						window << SL_EV_WINDOW_SHIFT | 1) == seen)
			return true;
	} else if ((seen & SL_EV_SENT_MASK) >= budget) {
		return false;
	}
	old = __sync_fetch_and_add(&lim->window_sent, 1);
	return old >> SL_EV_WINDOW_SHIFT == window && (old & SL_EV_SENT_MASK) < budget;
}

/* Admits one event in the current window, or folds it into this CPU's count. */
static __always_inline bool sl_event_admit(struct sl_judge *j, struct sl_event_limiter *lim,
					   struct sl_event_fold *fold)
{
	/* Counted before reserving, so a full ring is not retried every packet. */
	if (sl_event_take(lim, sl_now(j), j->cfg->events_per_sec))
		return true;
	fold->suppressed++;
	sl_stat_add(SL_STAT_EVENTS_SUPPRESSED, 1);
	return false;
}

static __always_inline void sl_event_fill(struct sl_event *e, const struct sl_judge *j,
					  __u32 suppressed)
{
	const struct sl_pkt *pkt = &j->pkt;

	e->ts_ns = j->now_ns;
	e->ifindex = j->ifindex;
	e->agent_id = j->agent ? j->agent_id : 0;
	e->suppressed = suppressed;
	e->pkt_len = j->pkt_len;
	e->verdict = j->monitored_verdict ? j->monitored_verdict : j->verdict;
	e->reason = j->reason;
	e->family = pkt->family;
	e->proto = pkt->proto;
	e->sport = pkt->sport;
	e->dport = pkt->dport;
	__builtin_memcpy(e->saddr, pkt->saddr, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, pkt->daddr, sizeof(e->daddr));
	e->flags = (j->monitored_verdict ? SL_EV_F_MONITOR : 0) |
		   (j->hook == SL_HOOK_TC ? SL_EV_F_TC : 0);
	e->_pad0 = 0;
}

static __always_inline void sl_event_emit(struct sl_judge *j)
{
	struct sl_event_limiter *lim;
	struct sl_event_fold *fold;
	struct sl_event *e;
	__u32 zero = 0;

	lim = bpf_map_lookup_elem(&sl_evlimit, &zero);
	fold = bpf_map_lookup_elem(&sl_evfold, &zero);
	if (!lim || !fold || !j->cfg)
		return;
	/* Events off: count only; nothing accumulates to report when they come back. */
	if (!j->cfg->events_per_sec) {
		fold->suppressed = 0;
		sl_stat_add(SL_STAT_EVENTS_SUPPRESSED, 1);
		return;
	}
	if (!sl_event_admit(j, lim, fold))
		return;
	e = bpf_ringbuf_reserve(&sl_events, sizeof(*e), 0);
	if (!e) {
		/* Ring full: the next event that gets through reports this one too. */
		fold->suppressed++;
		sl_stat_add(SL_STAT_EVENTS_LOST, 1);
		return;
	}
	/* A u32 in the event: a CPU cannot fold 2^32 drops between two events
	 * of a budget of at least one a second at any packet rate of today. */
	sl_event_fill(e, j, (__u32)fold->suppressed);
	fold->suppressed = 0;
	bpf_ringbuf_submit(e, 0);
	sl_stat_add(SL_STAT_EVENTS_SENT, 1);
}

static __always_inline void sl_agent_count(const struct sl_judge *j)
{
	struct sl_agent_counters *c = bpf_map_lookup_elem(&sl_agent_stats, &j->agent_id);

	if (!c)
		return;
	c->rx_packets++;
	c->rx_bytes += j->pkt_len;
	if (sl_is_syn(&j->pkt))
		c->syns++;
	if (j->verdict != SL_VERDICT_PASS)
		c->drops++;
}

/* Counts the final decision and reports it when it is worth an event. */
static __always_inline void sl_account(struct sl_judge *j)
{
	sl_stat_add(sl_verdict_stat(j->verdict), 1);
	sl_stat_add(sl_reason_stat(j->reason), 1);
	if (j->monitored_verdict)
		sl_stat_add(SL_STAT_MONITOR, 1);
	if (j->agent)
		sl_agent_count(j);
	if (j->verdict != SL_VERDICT_PASS || j->monitored_verdict)
		sl_event_emit(j);
}

#endif /* SL_EVENTS_H */
