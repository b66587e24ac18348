/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_egress.h - TC egress accounting: bytes sent back to tagged agents.
 *
 * A reply leaves from the protected port, so its source port is the one the
 * bitmap is asked about, and its tuple is the agent's tuple reversed.
 * Untagged or unprotected traffic costs one parse and one array lookup, and
 * no tag probe while the family has no tag at all.
 */
#ifndef SL_EGRESS_H
#define SL_EGRESS_H

static __always_inline void sl_egress_count(void *data, void *data_end, __u32 pkt_len)
{
	struct sl_cursor cur = { .pos = data, .end = data_end };
	struct sl_agent_counters *counters;
	struct sl_pkt pkt = {};
	struct sl_conn_tag *tag;
	struct sl_config *cfg;
	__u32 zero = 0;

	if (sl_parse(&cur, &pkt) != SL_REASON_ALLOWED)
		return;
	cfg = bpf_map_lookup_elem(&sl_config, &zero);
	if (!cfg || !sl_port_protected(cfg, bpf_ntohs(pkt.sport)) ||
	    !sl_conn_tags_exist(cfg, pkt.family))
		return;
	/* A reply's tuple is its connection's reversed. */
	tag = sl_lookup_conn_tag(pkt.family, pkt.proto, pkt.daddr, pkt.saddr, pkt.dport,
				 pkt.sport);
	if (!tag || !sl_agent_id_valid(tag->agent_id))
		return;
	counters = bpf_map_lookup_elem(&sl_agent_stats, &tag->agent_id);
	if (counters) {
		counters->tx_packets++;
		counters->tx_bytes += pkt_len;
	}
	sl_stat_add(SL_STAT_EGRESS_PACKETS, 1);
	sl_stat_add(SL_STAT_EGRESS_BYTES, pkt_len);
}

#endif /* SL_EGRESS_H */
