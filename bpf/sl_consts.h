/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_consts.h - every constant the BPF side uses, each with why it is what
 * it is.  Limits are overridable at build time (-DSL_MAX_V6_EXT_HDRS=...).
 *
 * vmlinux.h carries types and enums but no #defines, so the protocol numbers
 * that the kernel headers define as macros are restated here.
 */
#ifndef SL_CONSTS_H
#define SL_CONSTS_H

/* --- L2 -------------------------------------------------------------------- */

/* Ethertypes, host order: the parser compares after bpf_ntohs(). */
#define SL_ETH_P_IP		0x0800
#define SL_ETH_P_IPV6		0x86DD
#define SL_ETH_P_8021Q		0x8100	/* customer VLAN tag */
#define SL_ETH_P_8021AD		0x88A8	/* service VLAN tag, the outer one of QinQ */
#define SL_ETH_ALEN		6	/* bytes of a MAC address */
#define SL_ETH_HLEN		14	/* two MACs and the ethertype */
#define SL_ETH_TYPE_OFF		12	/* the ethertype, after the two MACs */
#define SL_VLAN_HLEN		4	/* a tag: TPID (the ethertype field) + TCI */

/* 802.1ad outer + 802.1Q inner is as deep as real QinQ goes, but the stack
 * strips any number of tags (VID 0 included) and delivers what is inside:
 * eight are walked, and a frame still tagged after them is dropped as
 * malformed.  Each step is unrolled: the bound also bounds program size. */
#ifndef SL_MAX_VLAN_DEPTH
#define SL_MAX_VLAN_DEPTH	8
#endif
/* Tags walked with a branch each, the fastest code (plain and 802.1Q
 * frames); deeper ones (QinQ on) take the branchless walk (see
 * sl_parse_l2()).  Each fast depth is one more verifier state for every
 * later stage, the prefix probes included: with them, sluice_xdp costs the
 * verifier ~690k instructions at 1, ~910k at 2 (too near its 1M budget),
 * ~620k at 0; a QinQ frame costs ~10 ns more than at depth 2. */
#ifndef SL_FAST_VLAN_DEPTH
#define SL_FAST_VLAN_DEPTH	1
#endif

/* --- IPv4 ------------------------------------------------------------------ */

#define SL_IPV4_VERSION		4
#define SL_IPV4_MIN_IHL		5	/* 20-byte header, in 32-bit words */
#define SL_IP_DF		0x4000	/* frag_off: don't fragment (set on our RSTs) */
#define SL_IP_MF		0x2000	/* frag_off: more fragments */
#define SL_IP_OFFSET		0x1FFF	/* frag_off: offset in 8-byte units; != 0 = no ports */
/* Offset 1 in 8-byte units (both families): the offset that can rewrite a
 * TCP header's flags, dropped for TCP (RFC 1858 3.2). */
#define SL_FRAG_OFFSET_ONE	0x0001
#define SL_IPV6_FRAG_OFFSET_ONE	0x0008	/* the same, in the v6 field's top 13 bits */
/* cursor.ip_left when the IP header gives no length (IPv6 payload_len 0):
 * the frame's end bounds every read instead. */
#define SL_IP_LEFT_UNKNOWN	0xFFFFFFFFU

/* --- IPv6 ------------------------------------------------------------------ */

#define SL_IPV6_VERSION		6
/* Next-header values of the extension headers the parser walks (RFC 8200 4). */
#define SL_IPV6_HOPOPTS		0
#define SL_IPV6_ROUTING		43
#define SL_IPV6_FRAGMENT	44
#define SL_IPV6_DSTOPTS		60
/* ICMPv6 is an upper-layer protocol, not an extension header: NOT_PROTECTED. */
#define SL_IPV6_ICMP		58
/* Fragment header frag_off: offset in its top 13 bits; != 0 = no ports. */
#define SL_IPV6_FRAG_OFFSET	0xFFF8
/* Generic extension headers measure (hdrlen + 1) units of 8 bytes. */
#define SL_IPV6_EXT_UNIT	8

/* RFC 8200 4.1 allows hop-by-hop, destination options (twice), routing and
 * fragment in one packet: five walked headers cover every sane packet.  Each
 * step is unrolled, so the bound also bounds program size. */
#ifndef SL_MAX_V6_EXT_HDRS
#define SL_MAX_V6_EXT_HDRS	5
#endif

/* --- TCP ------------------------------------------------------------------- */

#define SL_TCP_MIN_DOFF		5	/* 20-byte header, in 32-bit words */
/* Byte 13 of the TCP header holds the flags; read raw, no bitfields. */
#define SL_TCP_FLAGS_OFF	13
#define SL_TCP_DOFF_OFF		12
#define SL_TCP_FIN		0x01
#define SL_TCP_SYN		0x02
#define SL_TCP_RST		0x04
#define SL_TCP_ACK		0x10

/* Hop limit of the RSTs XDP sends back: the common OS default. */
#define SL_RST_TTL		64

/* --- TC -------------------------------------------------------------------- */

/* Verdicts of a clsact program (linux/pkt_cls.h, macros, so not in vmlinux.h). */
/* UNSPEC, not OK, for a pass: OK ends the hook's filter list, so a filter
 * after sluice's on the same hook would never run; UNSPEC goes on to it
 * (and delivers the packet when none follows). */
#define SL_TC_ACT_UNSPEC	(-1)
#define SL_TC_ACT_SHOT		2

/* Bytes TC ingress makes linear before parsing: Ethernet + a few VLAN tags +
 * IPv6 + a few extension headers + TCP with options.  Headers past it on a
 * non-linear skb read as truncated (MALFORMED): see sluice.bpf.c. */
#ifndef SL_TC_PULL_LEN
#define SL_TC_PULL_LEN		256
#endif

/* --- time and events ------------------------------------------------------- */

#define SL_NSEC_PER_SEC		1000000000ULL
/* The event limiter's window: sl_config.events_per_sec is per second. */
#define SL_EV_WINDOW_NS		SL_NSEC_PER_SEC
/* sl_event_limiter.window_sent: the window number above, events sent below. */
#define SL_EV_WINDOW_SHIFT	32
#define SL_EV_SENT_MASK		0xFFFFFFFFULL
/* sl_agent.byte_interval_q16 is ns per byte in 16.16 fixed point. */
#define SL_Q16_SHIFT		16

#endif /* SL_CONSTS_H */
