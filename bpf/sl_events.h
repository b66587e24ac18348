/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_events.h - counting a decision and reporting it.
 *
 * Every packet, on every path, adds one to its verdict slot and one to its
 * reason slot in sl_stats (plus SL_STAT_MONITOR for a monitored would-drop).
 * Only drops, would-drops and RSTs produce events, and never one per packet
 * under a flood: a per-CPU limiter admits at most sl_config.events_per_sec
 * events per CPU per one-second window (0 = no events), and folds the rest
 * into the .suppressed count of the next event it admits.  The limiter is
 * per CPU so it needs no atomics; the window is fixed, not sliding, which
 * is enough to bound the ring buffer's load.
 */
#ifndef SL_EVENTS_H
#define SL_EVENTS_H

/* Admits one event in the current window, or records it as suppressed. */
static __always_inline bool sl_event_admit(struct sl_judge *j, struct sl_event_limiter *lim)
{
	__u64 now = sl_now(j);

	if (now - lim->window_start_ns >= SL_EV_WINDOW_NS) {
		lim->window_start_ns = now;
		lim->sent_in_window = 0;
	}
	if (lim->sent_in_window >= j->cfg->events_per_sec) {
		lim->suppressed++;
		sl_stat_add(SL_STAT_EVENTS_SUPPRESSED, 1);
		return false;
	}
	/* Counted before reserving, so a full ring is not retried every packet. */
	lim->sent_in_window++;
	return true;
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
	struct sl_event *e;
	__u32 zero = 0;

	lim = bpf_map_lookup_elem(&sl_evlimit, &zero);
	if (!lim || !j->cfg)
		return;
	/* Events off: count only; nothing accumulates to report when they come back. */
	if (!j->cfg->events_per_sec) {
		lim->suppressed = 0;
		sl_stat_add(SL_STAT_EVENTS_SUPPRESSED, 1);
		return;
	}
	if (!sl_event_admit(j, lim))
		return;
	e = bpf_ringbuf_reserve(&sl_events, sizeof(*e), 0);
	if (!e) {
		/* Ring full: the next event that gets through reports this one too. */
		lim->suppressed++;
		sl_stat_add(SL_STAT_EVENTS_LOST, 1);
		return;
	}
	sl_event_fill(e, j, lim->suppressed);
	lim->suppressed = 0;
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
