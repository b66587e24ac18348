/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_rst.h - XDP only: turn a banned agent's TCP segment into the RST that
 * answers it, in place, and send it back out of the same port (XDP_TX).
 *
 * The frame keeps its L2 (VLAN tags included, so the reply stays on the
 * same VLAN) with MACs swapped; IP addresses and ports are swapped, the
 * TCP header loses its options and the payload is cut with
 * bpf_xdp_adjust_tail.  Only plain L3 gets here (sl_ban_verdict): IPv4
 * options and IPv6 extension headers would have to be rewritten or removed,
 * and echoing them (a routing header!) back would be wrong.
 *
 * Checksums are computed afresh over the 20-byte headers rather than
 * patched: the whole TCP segment is 20 bytes, as cheap as a diff.  Sums use
 * native 16-bit loads; the one's complement sum is byte-order independent
 * as long as constants are added in network order (bpf_htons below).
 */
#ifndef SL_RST_H
#define SL_RST_H

/* Adds @words 16-bit words at @p to @sum; @words must be a constant. */
static __always_inline __u32 sl_csum_add(__u32 sum, const void *p, int words)
{
	const __u16 *w = p;

#pragma unroll
	for (int i = 0; i < words; i++)
		sum += w[i];
	return sum;
}

static __always_inline __u16 sl_csum_fold(__u32 sum)
{
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline void sl_swap_macs(struct ethhdr *eth)
{
	__u8 mac[SL_ETH_ALEN];

	__builtin_memcpy(mac, eth->h_source, SL_ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, SL_ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, SL_ETH_ALEN);
}

/*
 * RFC 793 (p. 36, "Reset Generation"): if the segment carried an ACK, the
 * RST takes its sequence number from that ACK field; otherwise it has
 * sequence 0 and acknowledges everything the segment occupied
 * (payload, plus one each for SYN and FIN), with the ACK bit set.
 */
static __always_inline void sl_rst_tcp(struct tcphdr *tcp, __u32 payload_len)
{
	__u8 flags = ((__u8 *)tcp)[SL_TCP_FLAGS_OFF];
	__u16 port = tcp->source;
	__u32 seg_len;

	tcp->source = tcp->dest;
	tcp->dest = port;
	if (flags & SL_TCP_ACK) {
		tcp->seq = tcp->ack_seq;
		tcp->ack_seq = 0;
		((__u8 *)tcp)[SL_TCP_FLAGS_OFF] = SL_TCP_RST;
	} else {
		seg_len = payload_len + !!(flags & SL_TCP_SYN) + !!(flags & SL_TCP_FIN);
		tcp->ack_seq = bpf_htonl(bpf_ntohl(tcp->seq) + seg_len);
		tcp->seq = 0;
		((__u8 *)tcp)[SL_TCP_FLAGS_OFF] = SL_TCP_RST | SL_TCP_ACK;
	}
	((__u8 *)tcp)[SL_TCP_DOFF_OFF] = SL_TCP_MIN_DOFF << 4;
	tcp->window = 0;
	tcp->urg_ptr = 0;
	tcp->check = 0;
}

/* Segment length the IP header claims, minus the TCP header: never negative. */
static __always_inline __u32 sl_payload_len(__u32 l4_len, const struct tcphdr *tcp)
{
	__u32 doff_len = (((const __u8 *)tcp)[SL_TCP_DOFF_OFF] >> 4) * 4;

	return l4_len > doff_len ? l4_len - doff_len : 0;
}

static __always_inline void sl_rst_ipv4(struct iphdr *ip, struct tcphdr *tcp)
{
	__u32 addr = ip->saddr;
	__u32 sum;

	sl_rst_tcp(tcp, sl_payload_len(bpf_ntohs(ip->tot_len) - sizeof(*ip), tcp));
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	ip->tot_len = bpf_htons(sizeof(*ip) + sizeof(*tcp));
	ip->id = 0;
	ip->frag_off = bpf_htons(SL_IP_DF);
	ip->ttl = SL_RST_TTL;
	ip->check = 0;
	ip->check = sl_csum_fold(sl_csum_add(0, ip, sizeof(*ip) / 2));
	/* Pseudo header: addresses, protocol, TCP length. */
	sum = sl_csum_add(0, &ip->saddr, 4);
	sum += bpf_htons(IPPROTO_TCP) + bpf_htons(sizeof(*tcp));
	tcp->check = sl_csum_fold(sl_csum_add(sum, tcp, sizeof(*tcp) / 2));
}

static __always_inline void sl_rst_ipv6(struct ipv6hdr *ip6, struct tcphdr *tcp)
{
	struct in6_addr addr = ip6->saddr;
	__u32 sum;

	sl_rst_tcp(tcp, sl_payload_len(bpf_ntohs(ip6->payload_len), tcp));
	ip6->saddr = ip6->daddr;
	ip6->daddr = addr;
	ip6->payload_len = bpf_htons(sizeof(*tcp));
	ip6->hop_limit = SL_RST_TTL;
	/* Pseudo header (RFC 8200 8.1): addresses, length, next header. */
	sum = sl_csum_add(0, &ip6->saddr, 16);
	sum += bpf_htons(sizeof(*tcp)) + bpf_htons(IPPROTO_TCP);
	tcp->check = sl_csum_fold(sl_csum_add(sum, tcp, sizeof(*tcp) / 2));
}

/*
 * Rewrites the frame into the RST; false when it cannot (the caller then
 * drops).  The pointers in j->pkt still hold: nothing since the parser
 * changed the packet.  bpf_xdp_adjust_tail comes last because it
 * invalidates every packet pointer.
 */
static __always_inline bool sl_rst_reply(struct xdp_md *ctx, void *data, void *data_end,
					 struct sl_judge *j)
{
	struct tcphdr *tcp = j->pkt.l4;
	struct ethhdr *eth = data;
	long delta;

	if ((void *)(eth + 1) > data_end || (void *)(tcp + 1) > data_end)
		return false;
	if (j->pkt.family == SL_AF_INET) {
		struct iphdr *ip = j->pkt.l3;

		if ((void *)(ip + 1) > data_end)
			return false;
		sl_rst_ipv4(ip, tcp);
	} else {
		struct ipv6hdr *ip6 = j->pkt.l3;

		if ((void *)(ip6 + 1) > data_end)
			return false;
		sl_rst_ipv6(ip6, tcp);
	}
	sl_swap_macs(eth);
	delta = (void *)(tcp + 1) - data_end;
	return !delta || !bpf_xdp_adjust_tail(ctx, (int)delta);
}

#endif /* SL_RST_H */
