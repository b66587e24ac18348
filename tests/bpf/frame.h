/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * frame.h - crafts test frames from a declarative spec, for the BPF tests
 * and the XDP benchmark alike.
 *
 * A zero field takes its default, so a fixture names only what it is about:
 * IPv4 TCP, 198.18.0.10:40000 -> 198.18.0.1:8470 (the protected port),
 * flags ACK|PSH.  Addresses are from the benchmarking range 198.18.0.0/15
 * and the documentation prefix 2001:db8::/32; no frame is ever sent.
 */
#ifndef SL_TEST_FRAME_H
#define SL_TEST_FRAME_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

#define FR_ETH_LEN	14
#define FR_VLAN_LEN	4
#define FR_IP4_LEN	20
#define FR_IP6_LEN	40
#define FR_EXT_LEN	8
#define FR_TCP_LEN	20
#define FR_UDP_LEN	8
#define FR_MAX		2048

#define FR_PORT_PROTECTED	8470
#define FR_PORT_CLIENT		40000
#define FR_PORT_OTHER		9999

#define FR_TCP_FIN	0x01
#define FR_TCP_SYN	0x02
#define FR_TCP_RST	0x04
#define FR_TCP_PSH	0x08
#define FR_TCP_ACK	0x10

#define FR_ETH_P_ARP	0x0806
#define FR_ETH_P_IP	0x0800
#define FR_ETH_P_IPV6	0x86DD
#define FR_ETH_P_8021Q	0x8100
#define FR_ETH_P_8021AD	0x88A8

#define FR_NEXTHDR_HOP		0
#define FR_NEXTHDR_ROUTING	43
#define FR_NEXTHDR_FRAGMENT	44
#define FR_NEXTHDR_ESP		50
#define FR_NEXTHDR_AH		51
#define FR_NEXTHDR_ICMP		58
#define FR_NEXTHDR_DEST		60
#define FR_MAX_EXT		8
#define FR_MAX_VLANS		16
#define FR_LEN_ZERO		0xFFFF	/* frame_spec.tot_len: write a length of 0 */

struct frame_spec {
	__u16 ethertype;	/* 0: from family */
	__u8 vlans;		/* 1: 802.1Q; n > 1: 802.1ad + n-1 802.1Q (at most FR_MAX_VLANS) */
	__u8 family;		/* 4 (default) or 6 */
	__u8 proto;		/* 0: TCP */
	__u8 tcp_flags;		/* 0: ACK|PSH */
	__u8 ip_version;	/* 0: matches family; else written as is */
	__u8 ihl;		/* 0: 5 (options are NOPs) */
	__u8 doff;		/* 0: 5 (options are NOPs) */
	__u16 tot_len;		/* IPv4 tot_len / IPv6 payload_len override; 0: computed,
				 * FR_LEN_ZERO: written as 0 */
	__u16 frag;		/* IPv4 frag_off, host order (SL_IP_MF | offset) */
	__u8 n_ext;		/* IPv6 extension headers, in order */
	__u8 ext[FR_MAX_EXT];
	__u8 ext_hdrlen;	/* generic extension headers' hdrlen (8-byte units - 1) */
	__u16 v6_frag_off;	/* fragment header's frag_off field, host order */
	const char *src, *dst;
	__u16 sport, dport;	/* 0: 40000 -> 8470 */
	__u32 seq, ack;		/* 0: 1000 and 5000 */
	__u16 payload;		/* bytes after L4 */
	__u16 cut;		/* > 0: the frame is cut to this many bytes */
};

/* Fills the defaults a zero field stands for. */
static inline struct frame_spec frame_defaults(struct frame_spec s)
{
	if (!s.family)
		s.family = 4;
	if (!s.proto)
		s.proto = IPPROTO_TCP;
	if (!s.tcp_flags)
		s.tcp_flags = FR_TCP_ACK | FR_TCP_PSH;
	if (!s.src)
		s.src = s.family == 4 ? "198.18.0.10" : "2001:db8::10";
	if (!s.dst)
		s.dst = s.family == 4 ? "198.18.0.1" : "2001:db8::1";
	if (!s.sport)
		s.sport = FR_PORT_CLIENT;
	if (!s.dport)
		s.dport = FR_PORT_PROTECTED;
	if (!s.seq)
		s.seq = 1000;
	if (!s.ack)
		s.ack = 5000;
	return s;
}

/* Parses @text of family 4 or 6 into @addr (network order, v4 in [0]). */
static inline void frame_addr(int family, const char *text, __u32 addr[4])
{
	memset(addr, 0, 16);
	inet_pton(family == 4 ? AF_INET : AF_INET6, text, addr);
}

static const __u8 frame_mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 frame_mac_src[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static inline __u8 *frame_put16(__u8 *p, __u16 host)
{
	__u16 net = htons(host);

	memcpy(p, &net, 2);
	return p + 2;
}

static inline __u8 *frame_put32(__u8 *p, __u32 host)
{
	__u32 net = htonl(host);

	memcpy(p, &net, 4);
	return p + 4;
}

/* One's complement checksum of @len bytes (even), for valid input headers. */
static inline __u16 frame_csum(const void *data, size_t len, __u32 sum)
{
	const __u8 *b = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)(b[i] << 8 | b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (__u16)~sum;
}

static inline __u8 *frame_l2(const struct frame_spec *s, __u8 *p)
{
	memcpy(p, frame_mac_dst, 6);
	memcpy(p + 6, frame_mac_src, 6);
	p += 12;
	for (int i = 0; i < s->vlans && i < FR_MAX_VLANS; i++) {
		p = frame_put16(p, i == 0 && s->vlans >= 2 ? FR_ETH_P_8021AD : FR_ETH_P_8021Q);
		p = frame_put16(p, 100 + i);	/* TCI: VLAN id */
	}
	if (s->ethertype)
		return frame_put16(p, s->ethertype);
	return frame_put16(p, s->family == 4 ? FR_ETH_P_IP : FR_ETH_P_IPV6);
}

/* Bytes of L4 header written: a bad doff (< 5) still gets 20 bytes. */
static inline size_t frame_l4_len(const struct frame_spec *s)
{
	if (s->proto == IPPROTO_TCP)
		return s->doff > 5 ? s->doff * 4u : FR_TCP_LEN;
	return FR_UDP_LEN;	/* UDP, or 8 opaque bytes (ESP SPI + seq, ICMP) */
}

static inline __u8 *frame_ipv4(const struct frame_spec *s, __u8 *p, size_t l4_len)
{
	int ihl = s->ihl ? s->ihl : 5;
	__u8 *ip = p;

	memset(ip, 0, ihl * 4);
	ip[0] = (__u8)((s->ip_version ? s->ip_version : 4) << 4 | ihl);
	frame_put16(ip + 2, s->tot_len == FR_LEN_ZERO ? 0 : s->tot_len ? s->tot_len :
			    (__u16)(ihl * 4 + l4_len + s->payload));
	frame_put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = s->proto;
	inet_pton(AF_INET, s->src, ip + 12);
	inet_pton(AF_INET, s->dst, ip + 16);
	memset(ip + 20, 1, ihl * 4 - 20 > 0 ? ihl * 4 - 20 : 0);	/* NOP options */
	frame_put16(ip + 10, frame_csum(ip, ihl * 4, 0));
	return p + ihl * 4;
}

static inline size_t frame_ext_len(const struct frame_spec *s, int i)
{
	return s->ext[i] == FR_NEXTHDR_FRAGMENT ? FR_EXT_LEN : (s->ext_hdrlen + 1u) * 8;
}

static inline __u8 *frame_ipv6(const struct frame_spec *s, __u8 *p, size_t l4_len)
{
	size_t ext_len = 0;

	for (int i = 0; i < s->n_ext; i++)
		ext_len += frame_ext_len(s, i);
	memset(p, 0, FR_IP6_LEN);
	p[0] = (__u8)((s->ip_version ? s->ip_version : 6) << 4);
	frame_put16(p + 4, s->tot_len == FR_LEN_ZERO ? 0 : s->tot_len ? s->tot_len :
			   (__u16)(ext_len + l4_len + s->payload));
	p[6] = s->n_ext ? s->ext[0] : s->proto;
	p[7] = 64;
	inet_pton(AF_INET6, s->src, p + 8);
	inet_pton(AF_INET6, s->dst, p + 24);
	p += FR_IP6_LEN;
	for (int i = 0; i < s->n_ext; i++) {
		size_t len = frame_ext_len(s, i);

		memset(p, 0, len);
		p[0] = i + 1 < s->n_ext ? s->ext[i + 1] : s->proto;
		if (s->ext[i] == FR_NEXTHDR_FRAGMENT)
			frame_put16(p + 2, s->v6_frag_off);
		else
			p[1] = s->ext_hdrlen;	/* the rest: Pad1 options (zero bytes) */
		p += len;
	}
	return p;
}

static inline __u8 *frame_l4(const struct frame_spec *s, __u8 *p, size_t l4_len)
{
	memset(p, 0, l4_len);
	if (s->proto == IPPROTO_TCP) {
		frame_put16(p, s->sport);
		frame_put16(p + 2, s->dport);
		frame_put32(p + 4, s->seq);
		frame_put32(p + 8, s->ack);
		p[12] = (__u8)((s->doff ? s->doff : 5) << 4);
		p[13] = s->tcp_flags;
		frame_put16(p + 14, 65535);
		memset(p + 20, 1, l4_len - 20);	/* NOP options */
	} else if (s->proto == IPPROTO_UDP) {
		frame_put16(p, s->sport);
		frame_put16(p + 2, s->dport);
		frame_put16(p + 4, (__u16)(l4_len + s->payload));
	}
	return p + l4_len;
}

/* Writes the frame @spec describes into @buf (FR_MAX bytes); returns its length. */
static inline size_t frame_build(const struct frame_spec *spec, __u8 *buf)
{
	struct frame_spec s = frame_defaults(*spec);
	size_t l4_len = frame_l4_len(&s);
	__u8 *p = frame_l2(&s, buf);

	if (s.ethertype == FR_ETH_P_ARP) {
		memset(p, 0, 28);
		p += 28;
	} else {
		p = s.family == 4 ? frame_ipv4(&s, p, l4_len) : frame_ipv6(&s, p, l4_len);
		p = frame_l4(&s, p, l4_len);
		memset(p, 'x', s.payload);
		p += s.payload;
	}
	if (s.cut && s.cut < (size_t)(p - buf))
		return s.cut;
	return (size_t)(p - buf);
}

#endif /* SL_TEST_FRAME_H */
