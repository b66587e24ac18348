// SPDX-License-Identifier: GPL-2.0-only
/*
 * sl-flood.c - a bounded packet generator for the flood benchmark and the
 * attack test: crafted Ethernet/IPv4 or IPv6 frames (TCP SYN, TCP ACK|PSH
 * or UDP) out of one device, from one fixed source or from a range of
 * (spoofed) sources, at a target rate or flat out.
 *
 * It sends with BPF_PROG_TEST_RUN in live-frames mode: the XDP program
 * bpf/sl_flood.bpf.c stamps each frame's source address and port and
 * redirects it out of the device, so frames leave through the driver's
 * ndo_xdp_xmit without a socket or an skb (about 3 Mpps from one core on
 * a veth).  xdp-trafficgen from xdp-tools does the same but does not load
 * on current kernels.  Run it inside the sender's network namespace.
 *
 * A frame redirected into a veth is lost unless the peer has an XDP program
 * or GRO on: the peer's side must be set up for that (flood.sh does it).
 *
 *   sl-flood --dev DEV --dst-mac MAC --dst ADDR [--dport PORT]
 *            [--src ADDR|PREFIX] [--sport PORT[+N]] [--proto syn|tcp|udp]
 *            [--payload BYTES] [--rate PPS] [--duration SEC] [--count N]
 *            [--cpu N] [--batch N] [--json]
 *
 * It always stops: after --duration seconds (default 10, at most 600) or
 * --count frames, whichever comes first.  It prints frames sent, the rate,
 * and what the device refused (the peer's ring was full).  Needs root.
 */
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "base/prefix.h"
#include "sl_flood.skel.h"

#define NSEC_PER_SEC	1000000000ULL
#define MAX_DURATION_S	600		/* no run is longer, whatever is asked */
#define BATCH_MAX	16384		/* frames per BPF_PROG_TEST_RUN call: ~5 ms flat out */
#define PACE_TICK_NS	1000000ULL	/* paced runs send what is due every millisecond */
#define ETH_LEN		14
#define IP4_LEN		20
#define IP6_LEN		40
#define TCP_LEN		20
#define UDP_LEN		8
#define MAX_PAYLOAD	1400
#define FRAME_MAX	(ETH_LEN + IP6_LEN + TCP_LEN + MAX_PAYLOAD)

enum flood_proto { FLOOD_SYN, FLOOD_TCP, FLOOD_UDP };

struct flood_opts {
	const char *dev;
	unsigned char dst_mac[6];
	int have_dst_mac;
	struct sl_prefix src, dst;
	int have_src, have_dst;
	__u16 sport, sport_count, dport;
	enum flood_proto proto;
	unsigned payload;
	double rate;			/* frames a second; 0: flat out */
	double duration_s;
	unsigned long long count;	/* 0: no count limit */
	int cpu;			/* -1: not pinned */
	__u32 batch;			/* frames per ndo_xdp_xmit flush; 0: the kernel's 64 */
	int json;
};

struct flood_frame {
	unsigned char bytes[FRAME_MAX];
	unsigned len;
	__u32 ip_sum, l4_sum;		/* sums without the varying fields (see the BPF side) */
	__u32 l4_csum_off;
	__u32 src_word_off, src_first, src_count;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

/* Sum of @len bytes as 16-bit words in memory order (the BPF side adds the
 * varying words the same way); @len is even. */
static __u32 sum16(const void *data, size_t len, __u32 sum)
{
	const unsigned char *b = data;

	for (size_t i = 0; i + 1 < len; i += 2) {
		__u16 w;

		memcpy(&w, b + i, 2);
		sum += w;
	}
	return sum;
}

static void put16(unsigned char *p, __u16 host)
{
	__u16 net = htons(host);

	memcpy(p, &net, 2);
}

static void put32(unsigned char *p, __u32 host)
{
	__u32 net = htonl(host);

	memcpy(p, &net, 4);
}

/* --- the template frame ---------------------------------------------------- */

/* Which 32-bit word of the source varies, and over how many values.  IPv4:
 * the address.  IPv6: a prefix of /64 or shorter varies bits 32..63 (each
 * source its own /64, as sluice and nftables meters count IPv6 sources);
 * a longer one varies the last 32 bits. */
static void source_range(const struct sl_prefix *src, struct flood_frame *f)
{
	unsigned word = 0, host_bits;

	if (src->family == SL_AF_INET) {
		host_bits = 32 - src->prefixlen;
	} else if (src->prefixlen <= 64) {
		word = 1;
		host_bits = 64 - src->prefixlen;
	} else {
		word = 3;
		host_bits = 128 - src->prefixlen;
	}
	if (host_bits > 31)
		host_bits = 31;
	f->src_word_off = word * 4;
	f->src_first = ntohl(src->addr[word]);
	f->src_count = 1u << host_bits;
	/* A range skips its network address (.0), a fixed source is itself. */
	if (f->src_count > 2) {
		f->src_first += 1;
		f->src_count -= 2;
	}
}

static unsigned char *put_ip(const struct flood_opts *o, unsigned char *ip, unsigned l4_len)
{
	__u8 l4proto = o->proto == FLOOD_UDP ? IPPROTO_UDP : IPPROTO_TCP;

	if (o->src.family == SL_AF_INET) {
		memset(ip, 0, IP4_LEN);
		ip[0] = 0x45;
		put16(ip + 2, (__u16)(IP4_LEN + l4_len + o->payload));
		put16(ip + 6, 0x4000);	/* DF */
		ip[8] = 64;
		ip[9] = l4proto;
		memcpy(ip + 16, o->dst.addr, 4);	/* saddr and check: stamped per frame */
		return ip + IP4_LEN;
	}
	memset(ip, 0, IP6_LEN);
	ip[0] = 0x60;
	put16(ip + 4, (__u16)(l4_len + o->payload));
	ip[6] = l4proto;
	ip[7] = 64;
	memcpy(ip + 8, o->src.addr, 16);	/* its varying word: stamped per frame */
	memcpy(ip + 24, o->dst.addr, 16);
	return ip + IP6_LEN;
}

static void put_l4(const struct flood_opts *o, unsigned char *l4)
{
	if (o->proto == FLOOD_UDP) {
		memset(l4, 0, UDP_LEN);
		put16(l4 + 2, o->dport);
		put16(l4 + 4, (__u16)(UDP_LEN + o->payload));
		return;
	}
	memset(l4, 0, TCP_LEN);
	put16(l4 + 2, o->dport);
	put32(l4 + 4, 0x5eed0001);	/* seq */
	if (o->proto == FLOOD_TCP)
		put32(l4 + 8, 0x5eed0002);	/* ack */
	l4[12] = 5 << 4;
	l4[13] = o->proto == FLOOD_SYN ? 0x02 : 0x18;	/* SYN, or ACK|PSH */
	put16(l4 + 14, 64240);
}

/* The L4 checksum's sum without the varying words: the pseudo header's
 * source word, the source port and the checksum field are zero here. */
static __u32 l4_base_sum(const struct flood_opts *o, const unsigned char *ip,
			 const unsigned char *l4, unsigned l4_len, const struct flood_frame *f)
{
	unsigned seg = l4_len + o->payload;
	unsigned char src[16];
	__u32 sum = 0;
	__u16 w;

	if (o->src.family == SL_AF_INET) {
		sum = sum16(ip + 16, 4, 0);	/* daddr; saddr is all varying */
	} else {
		memcpy(src, ip + 8, 16);
		memset(src + f->src_word_off, 0, 4);
		sum = sum16(src, 16, sum16(ip + 24, 16, 0));
	}
	w = htons((__u16)seg);
	sum += w;
	w = htons(o->proto == FLOOD_UDP ? IPPROTO_UDP : IPPROTO_TCP);
	sum += w;
	return sum16(l4, seg + (seg & 1), sum);
}

static void build_frame(const struct flood_opts *o, const unsigned char src_mac[6],
			struct flood_frame *f)
{
	unsigned l4_len = o->proto == FLOOD_UDP ? UDP_LEN : TCP_LEN;
	unsigned char *ip = f->bytes + ETH_LEN, *l4;

	memset(f->bytes, 0, sizeof(f->bytes));
	memcpy(f->bytes, o->dst_mac, 6);
	memcpy(f->bytes + 6, src_mac, 6);
	put16(f->bytes + 12, o->src.family == SL_AF_INET ? 0x0800 : 0x86DD);
	source_range(&o->src, f);
	l4 = put_ip(o, ip, l4_len);
	put_l4(o, l4);
	memset(l4 + l4_len, 'x', o->payload);
	f->len = (unsigned)(l4 + l4_len + o->payload - f->bytes);
	f->l4_csum_off = o->proto == FLOOD_UDP ? 6 : 16;
	f->ip_sum = o->src.family == SL_AF_INET ? sum16(ip, IP4_LEN, 0) : 0;
	f->l4_sum = l4_base_sum(o, ip, l4, l4_len, f);
}

/* --- the device -------------------------------------------------------------- */

static int device_mac(const char *dev, unsigned char mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* The device's tx packets and tx drops (netlink stats through getifaddrs). */
static int device_tx(const char *dev, __u64 *packets, __u64 *dropped)
{
	struct ifaddrs *all, *i;
	int err = -ENODEV;

	if (getifaddrs(&all))
		return -errno;
	for (i = all; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && i->ifa_data &&
		    !strcmp(i->ifa_name, dev)) {
			const struct rtnl_link_stats *s = i->ifa_data;

			*packets = s->tx_packets;
			*dropped = s->tx_dropped;
			err = 0;
			break;
		}
	}
	freeifaddrs(all);
	return err;
}

/* --- sending --------------------------------------------------------------------- */

struct flood_result {
	unsigned long long sent, refused, runs;
	double seconds;
};

static int run_batch(int prog_fd, struct flood_frame *f, __u32 frames, __u32 batch)
{
	LIBBPF_OPTS(bpf_test_run_opts, run,
		    .data_in = f->bytes,
		    .data_size_in = f->len,
		    .repeat = frames,
		    .batch_size = batch,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	if (bpf_prog_test_run_opts(prog_fd, &run))
		return -errno;
	return 0;
}

/* How many frames to send now: flat out, a full batch; paced, what the
 * rate has made due since @start (at most a batch), 0 when none is due. */
static __u32 frames_due(const struct flood_opts *o, __u64 start, __u64 now,
			unsigned long long sent)
{
	unsigned long long due, target, left = o->count ? o->count - sent : BATCH_MAX;

	if (o->rate <= 0) {
		due = BATCH_MAX;
	} else {
		target = (unsigned long long)(o->rate * (double)(now - start) / NSEC_PER_SEC) + 1;
		due = target > sent ? target - sent : 0;
	}
	if (due > left)
		due = left;
	return (__u32)(due > BATCH_MAX ? BATCH_MAX : due);
}

static int send_flood(const struct flood_opts *o, struct sl_flood_bpf *skel,
		      struct flood_frame *f, struct flood_result *r)
{
	int prog_fd = bpf_program__fd(skel->progs.flood_xdp), err = 0;
	__u64 start = now_ns(), end = start + (__u64)(o->duration_s * NSEC_PER_SEC), now;
	struct timespec tick = { 0, PACE_TICK_NS };

	while (!stop_requested && (now = now_ns()) < end &&
	       (!o->count || skel->bss->frames_sent < o->count)) {
		__u32 frames = frames_due(o, start, now, skel->bss->frames_sent);

		if (!frames) {
			nanosleep(&tick, NULL);
			continue;
		}
		err = run_batch(prog_fd, f, frames, o->batch);
		if (err) {
			pr_warn("sl-flood: BPF_PROG_TEST_RUN (live frames): %s\n", strerror(-err));
			break;
		}
		r->runs++;
	}
	r->seconds = (double)(now_ns() - start) / NSEC_PER_SEC;
	r->sent = skel->bss->frames_sent;
	return err;
}

static int load(const struct flood_opts *o, const struct flood_frame *f, struct sl_flood_bpf **out)
{
	struct sl_flood_bpf *skel = sl_flood_bpf__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->out_ifindex = if_nametoindex(o->dev);
	skel->rodata->family = o->src.family == SL_AF_INET ? 4 : 6;
	skel->rodata->src_word_off = f->src_word_off;
	skel->rodata->src_first = f->src_first;
	skel->rodata->src_count = f->src_count;
	skel->rodata->sport_first = o->sport;
	skel->rodata->sport_count = o->sport_count;
	skel->rodata->l4_csum_off = f->l4_csum_off;
	skel->rodata->ip_sum = f->ip_sum;
	skel->rodata->l4_sum = f->l4_sum;
	skel->rodata->udp = o->proto == FLOOD_UDP;
	err = sl_flood_bpf__load(skel);
	if (err) {
		sl_flood_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* --- options ------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sl-flood --dev DEV --dst-mac MAC --dst ADDR [options]\n"
		"  --dev DEV          send out of this device (in this network namespace)\n"
		"  --dst-mac MAC      the receiving peer's MAC address\n"
		"  --dst ADDR         destination IPv4 or IPv6 address\n"
		"  --dport PORT       destination port (default 8470)\n"
		"  --src ADDR|PREFIX  one source, or a range of sources (default 198.19.0.0/16)\n"
		"  --sport PORT[+N]   source port, or N ports from PORT (default 1024+60000)\n"
		"  --proto P          syn (default), tcp (ACK|PSH with payload) or udp\n"
		"  --payload BYTES    bytes after the L4 header (default 0, at most %d)\n"
		"  --rate PPS         frames a second (default 0: flat out)\n"
		"  --duration SEC     stop after this long (default 10, at most %d)\n"
		"  --count N          stop after N frames\n"
		"  --cpu N            run on CPU N\n"
		"  --batch N          frames per flush to the device (1..256, default 64)\n"
		"  --json             one JSON line instead of text\n",
		MAX_PAYLOAD, MAX_DURATION_S);
}

static int parse_mac(const char *text, unsigned char mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(text, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -EINVAL;
		mac[i] = (unsigned char)v[i];
	}
	return 0;
}

/* A number in [lo, hi]; the whole text must be one. */
static int parse_num(const char *opt, const char *text, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (errno || end == text || *end || *out < lo || *out > hi) {
		pr_warn("sl-flood: %s: expected a number %g..%g, got '%s'\n", opt, lo, hi, text);
		return -EINVAL;
	}
	return 0;
}

static int parse_sport(const char *text, struct flood_opts *o)
{
	unsigned port, n = 1;
	char tail;
	int got = sscanf(text, "%u+%u%c", &port, &n, &tail);

	if (got < 1 || got > 2 || port < 1 || port > 65535 || n < 1 || port + n - 1 > 65535) {
		pr_warn("sl-flood: --sport: expected PORT or PORT+N within 1..65535, got '%s'\n", text);
		return -EINVAL;
	}
	o->sport = (__u16)port;
	o->sport_count = (__u16)n;
	return 0;
}

static int parse_prefix(const char *opt, const char *text, struct sl_prefix *p)
{
	const char *why = NULL;

	if (sl_prefix_parse(text, p, &why)) {
		pr_warn("sl-flood: %s: '%s': %s\n", opt, text, why ? why : "not an address");
		return -EINVAL;
	}
	return 0;
}

static int parse_proto(const char *text, enum flood_proto *p)
{
	if (!strcmp(text, "syn"))
		*p = FLOOD_SYN;
	else if (!strcmp(text, "tcp"))
		*p = FLOOD_TCP;
	else if (!strcmp(text, "udp"))
		*p = FLOOD_UDP;
	else {
		pr_warn("sl-flood: --proto: expected syn, tcp or udp, got '%s'\n", text);
		return -EINVAL;
	}
	return 0;
}

static int parse_one(int c, const char *arg, struct flood_opts *o)
{
	double v;

	switch (c) {
	case 'd': o->dev = arg; return 0;
	case 'm':
		o->have_dst_mac = 1;
		if (!parse_mac(arg, o->dst_mac))
			return 0;
		pr_warn("sl-flood: --dst-mac: expected aa:bb:cc:dd:ee:ff, got '%s'\n", arg);
		return -EINVAL;
	case 'D': o->have_dst = 1; return parse_prefix("--dst", arg, &o->dst);
	case 's': o->have_src = 1; return parse_prefix("--src", arg, &o->src);
	case 'S': return parse_sport(arg, o);
	case 'P': return parse_proto(arg, &o->proto);
	case 'p':
		if (parse_num("--dport", arg, 1, 65535, &v))
			return -EINVAL;
		o->dport = (__u16)v;
		return 0;
	case 'l':
		if (parse_num("--payload", arg, 0, MAX_PAYLOAD, &v))
			return -EINVAL;
		o->payload = (unsigned)v;
		return 0;
	case 'r': return parse_num("--rate", arg, 0, 1e9, &o->rate);
	case 't': return parse_num("--duration", arg, 0.001, MAX_DURATION_S, &o->duration_s);
	case 'n':
		if (parse_num("--count", arg, 1, 1e15, &v))
			return -EINVAL;
		o->count = (unsigned long long)v;
		return 0;
	case 'c':
		if (parse_num("--cpu", arg, 0, CPU_SETSIZE - 1, &v))
			return -EINVAL;
		o->cpu = (int)v;
		return 0;
	case 'b':
		if (parse_num("--batch", arg, 1, 256, &v))
			return -EINVAL;
		o->batch = (__u32)v;
		return 0;
	case 'j': o->json = 1; return 0;
	default: return -EINVAL;
	}
}

/* The checks no single option can make. */
static int check_opts(struct flood_opts *o)
{
	if (!o->dev || !o->have_dst_mac || !o->have_dst) {
		pr_warn("sl-flood: --dev, --dst-mac and --dst are required\n");
		return -EINVAL;
	}
	if (!o->have_src)
		parse_prefix("--src", "198.19.0.0/16", &o->src);
	if (o->dst.family != o->src.family ||
	    o->dst.prefixlen != (o->dst.family == SL_AF_INET ? 32u : 128u)) {
		pr_warn("sl-flood: --dst must be one address of the same family as --src\n");
		return -EINVAL;
	}
	if (o->payload && o->proto == FLOOD_SYN) {
		pr_warn("sl-flood: --payload: a SYN carries none (use --proto tcp or udp)\n");
		return -EINVAL;
	}
	if (!if_nametoindex(o->dev)) {
		pr_warn("sl-flood: --dev %s: no such device in this network namespace\n", o->dev);
		return -ENODEV;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct flood_opts *o)
{
	static const struct option longs[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "dst", required_argument, NULL, 'D' },
		{ "dport", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 's' },
		{ "sport", required_argument, NULL, 'S' },
		{ "proto", required_argument, NULL, 'P' },
		{ "payload", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	*o = (struct flood_opts){ .dport = 8470, .sport = 1024, .sport_count = 60000,
				  .duration_s = 10, .cpu = -1 };
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?' || parse_one(c, optarg, o))
			return -EINVAL;
	}
	if (optind < argc) {
		pr_warn("sl-flood: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return check_opts(o);
}

/* --- main ------------------------------------------------------------------------ */

static void report(const struct flood_opts *o, const struct flood_result *r)
{
	double pps = r->seconds > 0 ? (double)r->sent / r->seconds : 0;

	if (o->json)
		printf("{\"sent\":%llu,\"seconds\":%.3f,\"pps\":%.0f,\"refused\":%llu,\"runs\":%llu}\n",
		       r->sent, r->seconds, pps, r->refused, r->runs);
	else
		printf("sl-flood: sent %llu frames in %.3f s: %.0f pps (%llu refused by %s: its peer's ring was full)\n",
		       r->sent, r->seconds, pps, r->refused, o->dev);
	fflush(stdout);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		pr_warn("sl-flood: cannot run on CPU %d: %s (running anywhere)\n", cpu, strerror(errno));
}

int main(int argc, char **argv)
{
	static struct flood_frame frame;
	struct flood_result result = { 0 };
	struct sl_flood_bpf *skel = NULL;
	struct flood_opts o;
	unsigned char src_mac[6];
	__u64 tx0 = 0, drop0 = 0, tx1 = 0, drop1 = 0;
	int err;

	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	sl_log_hook_libbpf();
	err = device_mac(o.dev, src_mac);
	if (err) {
		pr_warn("sl-flood: %s: cannot read its MAC address: %s\n", o.dev, strerror(-err));
		return 1;
	}
	build_frame(&o, src_mac, &frame);
	err = load(&o, &frame, &skel);
	if (err) {
		pr_warn("sl-flood: cannot load the generator's XDP program: %s\n", strerror(-err));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pin_cpu(o.cpu);
	device_tx(o.dev, &tx0, &drop0);
	err = send_flood(&o, skel, &frame, &result);
	if (!device_tx(o.dev, &tx1, &drop1))
		result.refused = drop1 - drop0;
	report(&o, &result);
	sl_flood_bpf__destroy(skel);
	return err ? 1 : 0;
}
