/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_parse.h - the one packet parser, shared by XDP and both TC programs.
 *
 * Contract of sl_parse():
 *   It reads the frame between cur->pos and cur->end and never a byte past
 *   cur->end.  It returns an enum sl_reason:
 *     SL_REASON_ALLOWED        a TCP or UDP packet: every field of *pkt is
 *                              valid; the caller goes on to judge it;
 *     SL_REASON_NOT_IP         L2 shorter than its headers, or an ethertype
 *                              that is not IPv4/IPv6: pass;
 *     SL_REASON_NOT_PROTECTED  IP, but neither TCP nor UDP: pass;
 *     SL_REASON_FRAGMENT       a non-first IPv4/IPv6 fragment (no L4 header
 *                              to judge; the first fragment was): pass;
 *     SL_REASON_V6_EXT         an IPv6 next header the parser does not walk:
 *                              pass (see sl_v6_upper());
 *     SL_REASON_MALFORMED      an IP or L4 header truncated or invalid, an
 *                              L4 header that does not fit in the IP length
 *                              (tiny first fragments included), a TCP
 *                              fragment at offset 8 (RFC 1858), or more than
 *                              SL_MAX_VLAN_DEPTH VLAN tags: drop.
 *   pkt->family is set (and the addresses valid) as soon as the IP header
 *   was read, so events for later failures still name the source.
 *
 * Why truncated L2 passes while truncated L3/L4 drops: a short or non-IP
 * frame is not ours to judge (ARP, LLDP, runts the NIC let through), but an
 * IP packet whose headers lie about their length is either broken or an
 * evasion attempt (tiny first fragments, RFC 1858), and passing it would let
 * it past every check below.
 *
 * L4 is read up to the end the IP header gives (ip + tot_len, or the IPv6
 * payload length), not up to the end of the frame: Ethernet pads short
 * frames, and padding read as a TCP header would let a tiny first fragment
 * pass for an ACK while the SYN flags arrive in the next fragment.
 */
#ifndef SL_PARSE_H
#define SL_PARSE_H

/* Where the parser is: the next unread byte and the end of the packet.
 * ip_left is what the IP header says is left of its packet at pos; every
 * read checks end (for the verifier) and, past L3, ip_left too. */
struct sl_cursor {
	void *pos;
	void *end;
	__u32 ip_left;
};

/* What the parser learned about one packet. */
struct sl_pkt {
	void *l3;		/* struct iphdr or struct ipv6hdr */
	void *l4;		/* struct tcphdr or struct udphdr */
	__u32 saddr[4];		/* network order; v4 in [0], the rest zero */
	__u32 daddr[4];
	__u16 sport;		/* network order */
	__u16 dport;		/* network order */
	__u8 family;		/* enum sl_family */
	__u8 proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	__u8 tcp_flags;		/* 0 for UDP */
	__u8 l3_plain;		/* IPv4 without options / IPv6 without extensions */
};

struct sl_v6_ext_hdr {		/* hop-by-hop, routing, destination options */
	__u8 nexthdr;
	__u8 hdrlen;		/* in 8-byte units, not counting the first */
};

struct sl_v6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/* Returns @len bytes at the cursor and steps past them, or NULL when they
 * are not all in the packet.  @len must be a constant for the verifier. */
static __always_inline void *sl_pull(struct sl_cursor *cur, __u32 len)
{
	void *p = cur->pos;

	if (p + len > cur->end)
		return NULL;
	cur->pos = p + len;
	return p;
}

/* 1 if @ethertype (host order) is a VLAN tag's, else 0, without a branch:
 * a branch would fork the verifier's state once per tag (see below). */
static __always_inline __u32 sl_is_vlan_type(__u32 ethertype)
{
	__u32 q = ethertype ^ SL_ETH_P_8021Q, ad = ethertype ^ SL_ETH_P_8021AD;

	/* Hidden from clang, which would turn "(x - 1) >> 31 for x < 2^16"
	 * back into "x == 0", a compare and a branch. */
	barrier_var(q);
	barrier_var(ad);
	return ((q - 1) >> 31) | ((ad - 1) >> 31);
}

/*
 * Ethernet and up to SL_MAX_VLAN_DEPTH tags; *proto gets the inner
 * ethertype.  Linux strips tags one after another (VID-0 tags included) and
 * delivers what is inside, so every tag must be walked: a frame still
 * tagged after the bound is dropped as malformed, never passed unjudged.
 *
 * Two steps.  Up to SL_FAST_VLAN_DEPTH tags (plain and QinQ frames) are
 * walked with a branch per tag: each count leaves here as its own verifier
 * state with a constant L3 offset, the fastest code.  Deeper tags are walked
 * without branching: the ethertype's offset grows by 4 per tag, so all
 * deeper counts leave as one state whose L3 offset is a range.  A branch
 * per tag all the way down had every later stage verified once per count,
 * past the verifier's instruction budget at eight tags.
 */
static __always_inline __u32 sl_parse_l2(struct sl_cursor *cur, __u16 *proto)
{
	void *data = cur->pos;
	__u32 off = SL_ETH_TYPE_OFF;
	__be16 *type;

#pragma unroll
	for (int i = 0; i <= SL_FAST_VLAN_DEPTH; i++) {
		type = data + off;
		if ((void *)(type + 1) > cur->end)
			return SL_REASON_NOT_IP;	/* no ethertype, or a tag cut short */
		*proto = bpf_ntohs(*type);
		if (*proto != SL_ETH_P_8021Q && *proto != SL_ETH_P_8021AD) {
			cur->pos = data + off + sizeof(*type);
			return SL_REASON_ALLOWED;
		}
		off += SL_VLAN_HLEN;
	}
	/* More than SL_FAST_VLAN_DEPTH tags: *proto is a tag's, off the next. */
#pragma unroll
	for (int i = SL_FAST_VLAN_DEPTH + 1; i <= SL_MAX_VLAN_DEPTH; i++) {
		type = data + off;
		if ((void *)(type + 1) > cur->end)
			return SL_REASON_NOT_IP;
		*proto = bpf_ntohs(*type);
		if (i < SL_MAX_VLAN_DEPTH)
			off += SL_VLAN_HLEN * sl_is_vlan_type(*proto);
	}
	if (sl_is_vlan_type(*proto))
		return SL_REASON_MALFORMED;
	cur->pos = data + off + sizeof(*type);
	return SL_REASON_ALLOWED;
}

static __always_inline __u32 sl_parse_ipv4(struct sl_cursor *cur, struct sl_pkt *pkt)
{
	struct iphdr *ip = sl_pull(cur, sizeof(*ip));
	__u32 hdr_len;
	__u8 vihl;

	if (!ip)
		return SL_REASON_MALFORMED;
	pkt->l3 = ip;
	pkt->family = SL_AF_INET;
	pkt->saddr[0] = ip->saddr;
	pkt->daddr[0] = ip->daddr;
	vihl = *(__u8 *)ip;	/* version and ihl: raw byte, no bitfield order */
	hdr_len = (vihl & 0x0F) * 4;
	if (vihl >> 4 != SL_IPV4_VERSION || hdr_len < SL_IPV4_MIN_IHL * 4 ||
	    bpf_ntohs(ip->tot_len) < hdr_len)
		return SL_REASON_MALFORMED;
	/* Options: hdr_len is at most 60, a bound the verifier can follow. */
	cur->pos = (void *)ip + hdr_len;
	if (cur->pos > cur->end)
		return SL_REASON_MALFORMED;
	pkt->l3_plain = hdr_len == SL_IPV4_MIN_IHL * 4;
	cur->ip_left = bpf_ntohs(ip->tot_len) - hdr_len;
	pkt->proto = ip->protocol;
	/* Offset 1 (8 bytes) can only rewrite the TCP flags of the first
	 * fragment: no stack sends it (RFC 1858 3.2). */
	if (ip->protocol == IPPROTO_TCP &&
	    (ip->frag_off & bpf_htons(SL_IP_OFFSET)) == bpf_htons(SL_FRAG_OFFSET_ONE))
		return SL_REASON_MALFORMED;
	if (ip->frag_off & bpf_htons(SL_IP_OFFSET))
		return SL_REASON_FRAGMENT;
	return SL_REASON_ALLOWED;
}

/* One generic extension header: steps over (hdrlen + 1) * 8 bytes. */
static __always_inline __u32 sl_skip_v6_ext(struct sl_cursor *cur, __u8 *nexthdr)
{
	struct sl_v6_ext_hdr *h = cur->pos;
	__u32 len;

	if ((void *)(h + 1) > cur->end)
		return SL_REASON_MALFORMED;
	len = ((__u32)h->hdrlen + 1) * SL_IPV6_EXT_UNIT;
	if (cur->pos + len > cur->end || len > cur->ip_left)
		return SL_REASON_MALFORMED;
	*nexthdr = h->nexthdr;
	cur->pos += len;
	cur->ip_left -= len;
	return SL_REASON_ALLOWED;
}

static __always_inline __u32 sl_skip_v6_frag(struct sl_cursor *cur, __u8 *nexthdr)
{
	struct sl_v6_frag_hdr *f = sl_pull(cur, sizeof(*f));

	if (!f || sizeof(*f) > cur->ip_left)
		return SL_REASON_MALFORMED;
	cur->ip_left -= sizeof(*f);
	/* As for IPv4: a TCP fragment at offset 8 only rewrites flags. */
	if (f->nexthdr == IPPROTO_TCP &&
	    (f->frag_off & bpf_htons(SL_IPV6_FRAG_OFFSET)) == bpf_htons(SL_IPV6_FRAG_OFFSET_ONE))
		return SL_REASON_MALFORMED;
	if (f->frag_off & bpf_htons(SL_IPV6_FRAG_OFFSET))
		return SL_REASON_FRAGMENT;
	*nexthdr = f->nexthdr;
	return SL_REASON_ALLOWED;
}

static __always_inline bool sl_v6_is_walked_ext(__u8 nexthdr)
{
	return nexthdr == SL_IPV6_HOPOPTS || nexthdr == SL_IPV6_ROUTING ||
	       nexthdr == SL_IPV6_DSTOPTS || nexthdr == SL_IPV6_FRAGMENT;
}

/* Walks at most SL_MAX_V6_EXT_HDRS extension headers to the upper layer. */
static __always_inline __u32 sl_walk_v6_ext(struct sl_cursor *cur, __u8 *nexthdr)
{
	__u32 reason;

#pragma unroll
	for (int i = 0; i < SL_MAX_V6_EXT_HDRS; i++) {
		if (!sl_v6_is_walked_ext(*nexthdr))
			return SL_REASON_ALLOWED;
		if (*nexthdr == SL_IPV6_FRAGMENT)
			reason = sl_skip_v6_frag(cur, nexthdr);
		else
			reason = sl_skip_v6_ext(cur, nexthdr);
		if (reason != SL_REASON_ALLOWED)
			return reason;
	}
	/*
	 * Still an extension header after the bound: dropped as malformed.  A
	 * legitimate stack sends each of these at most once (destination
	 * options twice), so more than the bound is a chain built to walk the
	 * packet past the judge - passing it would skip deny, bans and buckets.
	 */
	return sl_v6_is_walked_ext(*nexthdr) ? SL_REASON_MALFORMED : SL_REASON_ALLOWED;
}

/*
 * What follows the walked extension headers.  TCP and UDP are judged and
 * ICMPv6 is NOT_PROTECTED.  Anything else - AH, ESP, Mobility, HIP, Shim6,
 * experimental or unassigned numbers - is V6_EXT: a middlebox cannot tell an
 * unknown extension header from an unknown upper-layer protocol (RFC 7045
 * 2.2), and AH/ESP hide the ports anyway.  It passes rather than drops so
 * IPsec and new protocols keep working; the V6_EXT counter tells the
 * operator how much traffic went by unjudged.
 */
static __always_inline __u32 sl_v6_upper(__u8 nexthdr)
{
	if (nexthdr == IPPROTO_TCP || nexthdr == IPPROTO_UDP)
		return SL_REASON_ALLOWED;
	return nexthdr == SL_IPV6_ICMP ? SL_REASON_NOT_PROTECTED : SL_REASON_V6_EXT;
}

static __always_inline __u32 sl_parse_ipv6(struct sl_cursor *cur, struct sl_pkt *pkt)
{
	struct ipv6hdr *ip6 = sl_pull(cur, sizeof(*ip6));
	__u8 nexthdr;
	__u32 reason;

	if (!ip6)
		return SL_REASON_MALFORMED;
	pkt->l3 = ip6;
	pkt->family = SL_AF_INET6;
	__builtin_memcpy(pkt->saddr, &ip6->saddr, sizeof(pkt->saddr));
	__builtin_memcpy(pkt->daddr, &ip6->daddr, sizeof(pkt->daddr));
	if (*(__u8 *)ip6 >> 4 != SL_IPV6_VERSION)
		return SL_REASON_MALFORMED;
	cur->ip_left = bpf_ntohs(ip6->payload_len);
	/* 0: a jumbogram (RFC 2675) or a BIG TCP GRO packet on TC; the length
	 * is the frame's, which every read checks anyway. */
	if (!cur->ip_left)
		cur->ip_left = SL_IP_LEFT_UNKNOWN;
	nexthdr = ip6->nexthdr;
	pkt->l3_plain = !sl_v6_is_walked_ext(nexthdr);
	reason = sl_walk_v6_ext(cur, &nexthdr);
	if (reason != SL_REASON_ALLOWED)
		return reason;
	pkt->proto = nexthdr;
	return sl_v6_upper(nexthdr);
}

static __always_inline __u32 sl_parse_tcp(struct sl_cursor *cur, struct sl_pkt *pkt)
{
	struct tcphdr *tcp = sl_pull(cur, sizeof(*tcp));
	__u32 hdr_len;

	if (!tcp)
		return SL_REASON_MALFORMED;
	hdr_len = (((__u8 *)tcp)[SL_TCP_DOFF_OFF] >> 4) * 4;
	if (hdr_len < SL_TCP_MIN_DOFF * 4 || (void *)tcp + hdr_len > cur->end ||
	    hdr_len > cur->ip_left)
		return SL_REASON_MALFORMED;
	pkt->l4 = tcp;
	pkt->sport = tcp->source;
	pkt->dport = tcp->dest;
	pkt->tcp_flags = ((__u8 *)tcp)[SL_TCP_FLAGS_OFF];
	return SL_REASON_ALLOWED;
}

static __always_inline __u32 sl_parse_udp(struct sl_cursor *cur, struct sl_pkt *pkt)
{
	struct udphdr *udp = sl_pull(cur, sizeof(*udp));

	if (!udp || sizeof(*udp) > cur->ip_left)
		return SL_REASON_MALFORMED;
	pkt->l4 = udp;
	pkt->sport = udp->source;
	pkt->dport = udp->dest;
	return SL_REASON_ALLOWED;
}

/* See the contract at the top of this file.  *pkt must be zeroed. */
static __always_inline __u32 sl_parse(struct sl_cursor *cur, struct sl_pkt *pkt)
{
	__u32 reason;
	__u16 proto;

	reason = sl_parse_l2(cur, &proto);
	if (reason != SL_REASON_ALLOWED)
		return reason;
	if (proto == SL_ETH_P_IP)
		reason = sl_parse_ipv4(cur, pkt);
	else if (proto == SL_ETH_P_IPV6)
		reason = sl_parse_ipv6(cur, pkt);
	else
		return SL_REASON_NOT_IP;
	if (reason != SL_REASON_ALLOWED)
		return reason;
	if (pkt->proto == IPPROTO_TCP)
		return sl_parse_tcp(cur, pkt);
	if (pkt->proto == IPPROTO_UDP)
		return sl_parse_udp(cur, pkt);
	return SL_REASON_NOT_PROTECTED;
}

#endif /* SL_PARSE_H */
