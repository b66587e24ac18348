// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sl_flood.bpf.c - the packet generator's XDP program (scripts/bench/sl-flood).
 *
 * sl-flood runs it through BPF_PROG_TEST_RUN in live-frames mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES): every repetition gets the template frame the
 * generator crafted, stamps the next source address and source port into it,
 * fixes the two checksums and redirects it out of out_ifindex, so the frames
 * really leave through that device's ndo_xdp_xmit.  Nothing else is touched.
 *
 * It writes every varying field on every run, whatever the page held before:
 * in live-frames mode the kernel recycles pages and does not promise to
 * restore the template between repetitions.
 *
 * Checksums are patched from sums the generator computed over the template
 * with the varying fields (and the checksum) zeroed: adding the new fields'
 * 16-bit words and folding gives the full sum.  Words are read and added in
 * memory order on both sides, so byte order does not matter (RFC 1071).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FL_ETH_LEN	14
#define FL_IP4_LEN	20
#define FL_IP6_LEN	40
#define FL_IP4_SRC	12	/* offset of saddr in the IPv4 header */
#define FL_IP4_CSUM	10	/* offset of check in the IPv4 header */
#define FL_IP6_SRC	8	/* offset of saddr in the IPv6 header */
#define FL_L4_MIN	8	/* the generator writes at least a UDP header */

/* Set by sl-flood through the skeleton's rodata before load. */
const volatile __u32 out_ifindex;	/* the device the frames leave by */
const volatile __u8 family;		/* 4 or 6 */
const volatile __u32 src_word_off;	/* byte offset of the varying 32-bit word of the source */
const volatile __u32 src_first;		/* its first value, host order */
const volatile __u32 src_count;		/* sources in the range: 1 = one fixed source */
const volatile __u16 sport_first;	/* first source port, host order */
const volatile __u16 sport_count;	/* source ports cycled through (>= 1) */
const volatile __u32 l4_csum_off;	/* checksum offset in the L4 header (TCP 16, UDP 6) */
const volatile __u32 ip_sum;		/* IPv4 header sum without saddr and check */
const volatile __u32 l4_sum;		/* pseudo header + L4 + payload without saddr word, sport, check */
const volatile __u8 udp;		/* UDP: a computed checksum of 0 is sent as 0xffff */

/* Frames redirected so far; read by sl-flood after each batch. */
__u64 frames_sent;
/* Which source and port the next frame takes. */
static __u32 frame_seq;

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Writes source word @src and port @sport, then both checksums. */
static __always_inline int stamp(void *data, void *end, __u32 src, __u16 sport)
{
	__u32 ip_len = family == 4 ? FL_IP4_LEN : FL_IP6_LEN;
	__u8 *ip = data + FL_ETH_LEN;
	__u8 *l4 = ip + ip_len;
	__u32 src_at = (family == 4 ? FL_IP4_SRC : FL_IP6_SRC) + src_word_off;
	__u32 sum, off = l4_csum_off & 0x1f;	/* 16 or 6: bounded for the verifier */
	__u16 csum;

	if ((void *)(l4 + FL_L4_MIN) > end || (void *)(l4 + off + 2) > end)
		return -1;
	if (src_at > FL_IP6_LEN - 4)
		return -1;
	__builtin_memcpy(ip + src_at, &src, 4);
	__builtin_memcpy(l4, &sport, 2);
	if (family == 4)
		*(__u16 *)(ip + FL_IP4_CSUM) = csum_fold(ip_sum + (src & 0xffff) + (src >> 16));
	sum = l4_sum + (src & 0xffff) + (src >> 16) + sport;
	csum = csum_fold(sum);
	if (udp && !csum)
		csum = 0xffff;
	__builtin_memcpy(l4 + off, &csum, 2);
	return 0;
}

SEC("xdp")
int flood_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 seq = frame_seq++;	/* one CPU runs the batch: no atomics needed */
	__u32 src = bpf_htonl(src_first + (src_count > 1 ? seq % src_count : 0));
	__u16 sport = bpf_htons(sport_first + (sport_count > 1 ? seq % sport_count : 0));

	if (stamp(data, end, src, sport))
		return XDP_ABORTED;
	frames_sent++;
	return bpf_redirect(out_ifindex, 0);
}
