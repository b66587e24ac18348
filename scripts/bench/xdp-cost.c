// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp-cost.c - what sluice_xdp costs per packet, path by path, next to an
 * empty XDP program and a reference program, all through BPF_PROG_TEST_RUN
 * in one run.
 *
 * The reference (bpf/reference.bpf.c) is what a straightforward XDP limiter
 * costs: parse, one LPM trie lookup over the same prefixes sluice holds, one
 * LRU hash lookup keyed by source, a token bucket with atomics.  The last
 * line is the worst sluice path over it; the target is 0.50 or less.
 *
 * The maps hold a policy of realistic size (2,000 deny /32s, 1,000 deny
 * prefixes per family at five lengths each, identity prefixes, agents,
 * tagged connections in both families) so the lookups walk real tables.
 * Sources are written as user/kern/maps.c writes them: masked keys, filter
 * bits, the lengths in use listed in sl_config, tags counted.  Each path's state keeps it on that path for the whole
 * repeat: buckets with huge bursts always conform, empty ones (TAT an hour
 * ahead) always reject.  Rounds interleave all paths so drift hits them
 * alike; the table shows medians.
 *
 * Not measured: the RST path.  XDP_TX rewrites the frame in place and the
 * test runner does not restore it between repeats, so every repeat after
 * the first would measure a different (unprotected) frame.
 *
 *   xdp-cost [-r REPEAT] [-n ROUNDS]
 *
 * Prints results; it never fails on a number.  Needs root.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/maps.h"
#include "kern/srcdir.h"
#include "sluice_abi.h"
#include "sluice.skel.h"
#include "empty.skel.h"
#include "reference.skel.h"
#include "../../tests/bpf/frame.h"

#define HOUR_NS		(3600 * SL_NSEC_PER_SEC)
#define MAX_ROUNDS	15
#define RUN_BUDGET_NS	(SL_NSEC_PER_SEC / 2)	/* one measured run at most ~0.5 s */
#define POLICY_EXACT	2000		/* deny /32s in the policy */
#define POLICY_PREFIX	1000		/* deny prefixes per family, mixed lengths */
#define POLICY_TAGS	5000		/* tagged connections besides the measured ones */
#define GENEROUS_BURST_NS (1000 * HOUR_NS)	/* bursts no path can exhaust */
#define EMPTY_AHEAD_NS	(10 * GENEROUS_BURST_NS)	/* a TAT this far ahead never conforms */

enum bench_agent {
	BA_TAGGED = 1,		/* within generous budgets */
	BA_SOURCE = 2,		/* bound to 198.18.1.0/24 and 2001:db8:1::/48 by identity */
	BA_BANNED = 3,
	BA_BUDGET_EMPTY = 4,
	BA_SYN_EMPTY = 5,
};

static struct sluice_bpf *skel;
static struct empty_bpf *empty;
static struct reference_bpf *ref;
static struct ring_buffer *ring;
static struct sl_config cfg;

struct path {
	const char *name;
	const char *verdict;
	__u32 reason;		/* enum sl_reason the path must end in */
	struct frame_spec spec;
	void (*prepare)(void);	/* per-path config tweak, undone after */
	void (*restore)(void);
	__u8 frame[FR_MAX];
	__u32 len;
	double ns[MAX_ROUNDS];
	double median;
	bool skipped;		/* -p left it out */
};

static int fd_of(struct bpf_map *map)
{
	return bpf_map__fd(map);
}

static void write_config(void)
{
	__u32 zero = 0;

	bpf_map_update_elem(fd_of(skel->maps.sl_config), &zero, &cfg, BPF_ANY);
}

static void monitor_on(void)
{
	cfg.flags |= SL_CFG_F_MONITOR;
	write_config();
}

static void monitor_off(void)
{
	cfg.flags &= ~SL_CFG_F_MONITOR;
	write_config();
}

/* The source table's prefixes, for the directory user/maps.c would build. */
static struct srctab prefixes;
static __u32 dir_flags;

/* The policy's prefixes looked up the way they were before the directory:
 * hash probes or (past SL_PREFIX_PROBES_* lengths, as here) the trie. */
static void dir_off(void)
{
	cfg.flags &= ~dir_flags;
	write_config();
}

static void dir_on(void)
{
	cfg.flags |= dir_flags;
	write_config();
}

/* A host with no v4 connection tagged: sl_config's count says so. */
static __u32 saved_v4_tags;

static void v4_tags_uncounted(void)
{
	saved_v4_tags = cfg.n_conn_tags_v4;
	cfg.n_conn_tags_v4 = 0;
	write_config();
}

static void v4_tags_counted(void)
{
	cfg.n_conn_tags_v4 = saved_v4_tags;
	write_config();
}

/* --- the policy -------------------------------------------------------------------- */

static void put_src(struct bpf_map *map, const void *key, __u64 deny_until, __u32 agent)
{
	struct sl_src_value v = { .eff_deny_until_ns = deny_until, .eff_agent_id = agent };

	bpf_map_update_elem(fd_of(map), key, &v, BPF_ANY);
}

/* Arms the exact-address filter with a random seed, as user/maps.c does. */
static void arm_exact_filter(void)
{
	if (getrandom(&cfg.exact_seed, sizeof(cfg.exact_seed), 0) < 0)
		cfg.exact_seed.add = (__u64)sl_now_ns();
	for (int i = 0; i < 4; i++)
		cfg.exact_seed.mul[i] |= 1;
	cfg.exact_seed.mul_len |= 1;
	cfg.flags |= SL_CFG_F_EXACT_FILTER;
}

/* An exact v4 deny entry and its filter bit, bit first as user/maps.c does. */
static void put_exact_v4(__u32 addr)
{
	__u32 key[4] = { addr };
	__u32 bit = sl_exact_filter_bit(&cfg.exact_seed, SL_AF_INET, key);
	__u32 word = bit / SL_EXACT_FILTER_WORD_BITS;
	__u64 bits = 0;

	bpf_map_lookup_elem(fd_of(skel->maps.sl_exact_filter), &word, &bits);
	bits |= 1ULL << (bit % SL_EXACT_FILTER_WORD_BITS);
	bpf_map_update_elem(fd_of(skel->maps.sl_exact_filter), &word, &bits, BPF_ANY);
	put_src(skel->maps.sl_exact_v4, &addr, SL_FOREVER, 0);
}

/* Deny /32s in 198.19.0.0/16 plus the two the deny paths hit. */
static void fill_exact(void)
{
	arm_exact_filter();
	for (__u32 i = 0; i < POLICY_EXACT; i++)
		put_exact_v4(htonl(0xC6130000 | i));	/* 198.19.x.y */
	put_exact_v4(htonl(0xC612FE01));		/* 198.18.254.1 */
	cfg.n_exact_v4 = POLICY_EXACT + 1;
}

/* Adds @len to one of sl_config's length lists (longest first), once. */
static void list_len(__u8 *n, __u8 *list, __u8 len)
{
	int i = *n;

	for (int k = 0; k < *n; k++)
		if (list[k] == len)
			return;
	while (i > 0 && list[i - 1] < len) {
		list[i] = list[i - 1];
		i--;
	}
	list[i] = len;
	++*n;
}

/*
 * One prefix into sluice's tables as user/maps.c writes it (masked key,
 * filter bit, length listed) and into the reference program's trie
 * (value 1: deny).  @addr is network order, v4 in addr[0].
 */
static void put_prefix(int family, const __u32 *addr, __u32 len, __u64 deny_until, __u32 agent)
{
	struct sl_pfx_v6_key key = { .prefixlen = len };
	struct ref_key { __u32 prefixlen; __u32 addr[4]; } rkey = { .prefixlen = len };
	__u32 deny = deny_until != 0, bit, word;
	__u64 bits = 0;

	for (__u32 w = 0; w < 4; w++) {
		int left = (int)len - 32 * (int)w;
		__u32 mask = left <= 0 ? 0 : left >= 32 ? ~0U : ~0U << (32 - left);

		key.addr[w] = htonl(ntohl(addr[w]) & mask);
	}
	bit = sl_src_filter_bit(&cfg.exact_seed, family == 4 ? SL_AF_INET : SL_AF_INET6, key.addr,
				len);
	word = bit / SL_EXACT_FILTER_WORD_BITS;
	bpf_map_lookup_elem(fd_of(skel->maps.sl_exact_filter), &word, &bits);
	bits |= 1ULL << (bit % SL_EXACT_FILTER_WORD_BITS);
	bpf_map_update_elem(fd_of(skel->maps.sl_exact_filter), &word, &bits, BPF_ANY);
	memcpy(rkey.addr, key.addr, sizeof(rkey.addr));
	srctab_add_value(&prefixes, &(struct sl_prefix){ .family = family == 4 ? SL_AF_INET :
				SL_AF_INET6, .prefixlen = len, .addr = { key.addr[0], key.addr[1],
				key.addr[2], key.addr[3] } },
			 &(struct sl_src_value){ .eff_deny_until_ns = deny_until,
						 .eff_agent_id = agent });
	if (family == 4) {
		struct sl_pfx_v4_key k4 = { .prefixlen = len, .addr = key.addr[0] };

		put_src(skel->maps.sl_src_v4, &k4, deny_until, agent);
		put_src(skel->maps.sl_src_lpm_v4, &k4, deny_until, agent);
		list_len(&cfg.n_prefix_lens_v4, cfg.prefix_lens_v4, (__u8)len);
		cfg.n_prefix_v4++;
	} else {
		put_src(skel->maps.sl_src_v6, &key, deny_until, agent);
		put_src(skel->maps.sl_src_lpm_v6, &key, deny_until, agent);
		list_len(&cfg.n_prefix_lens_v6, cfg.prefix_lens_v6, (__u8)len);
		cfg.n_prefix_v6++;
	}
	bpf_map_update_elem(fd_of(ref->maps.ref_deny), &rkey, &deny, BPF_ANY);
}

static void put_prefix_v4(__u32 host_addr, __u32 len, __u64 deny_until, __u32 agent)
{
	__u32 addr[4] = { htonl(host_addr) };

	put_prefix(4, addr, len, deny_until, agent);
}

/*
 * POLICY_PREFIX deny prefixes per family at mixed lengths, as deny lists
 * come: v4 /20 /22 /24 /26 /28 spread over 100.64.0.0/10, v6 /48 /52 /56
 * /60 /64 under 2001:db8:f000::/36.  Then the prefixes the paths hit.
 */
static void fill_prefixes(void)
{
	static const __u32 len_v4[] = { 20, 22, 24, 26, 28 }, len_v6[] = { 48, 52, 56, 60, 64 };
	__u32 a6[4] = { htonl(0x20010db8) };

	for (__u32 i = 0; i < POLICY_PREFIX; i++) {
		put_prefix_v4(0x64400000 + (i << 12), len_v4[i % 5], SL_FOREVER, 0);
		a6[1] = htonl(0xF0000000 | i << 16);
		put_prefix(6, a6, len_v6[i % 5], SL_FOREVER, 0);
	}
	put_prefix_v4(0xC612FD00, 24, SL_FOREVER, 0);		/* 198.18.253.0/24: deny */
	put_prefix_v4(0xC6120100, 24, 0, BA_SOURCE);		/* 198.18.1.0/24: identity */
	put_prefix_v4(0xC6120200, 24, 0, BA_BANNED);		/* 198.18.2.0/24: banned */
	put_prefix_v4(0xC6120300, 24, 0, BA_SYN_EMPTY);		/* 198.18.3.0/24: SYN-limited */
	a6[1] = htonl(0x00010000);				/* 2001:db8:1::/48: identity */
	put_prefix(6, a6, 48, 0, BA_SOURCE);
}

/* The source directory of the prefixes, as user/maps.c builds and writes it. */
static void fill_dir(void)
{
	struct srcdir d;

	if (srcdir_build(&d, &prefixes, 0) ||
	    srcdir_write(&d, &(struct srcdir_fds){ fd_of(skel->maps.sl_src_nodes),
						   fd_of(skel->maps.sl_src_leaves),
						   fd_of(skel->maps.sl_src_dir_seq),
						   fd_of(skel->maps.sl_src_dir_head) })) {
		fprintf(stderr, "xdp-cost: cannot build the source directory\n");
		exit(1);
	}
	dir_flags = srcdir_flags(&d);
	cfg.flags |= dir_flags;
	printf("source directory: %zu nodes, %zu leaves (IPv4 %s, IPv6 %s)\n", d.n_nodes,
	       d.n_leaves, d.fits[0] ? "in it" : "left to the trie",
	       d.fits[1] ? "in it" : "left to the trie");
	srcdir_free(&d);
	srctab_free(&prefixes);
}

static void put_agent(__u32 id, struct sl_agent a)
{
	snprintf(a.name, sizeof(a.name), "bench-%u", id);
	a.flags |= SL_AGENT_F_ACTIVE;
	bpf_map_update_elem(fd_of(skel->maps.sl_agents), &id, &a, BPF_ANY);
}

/* Budgets so generous they always conform, yet every bucket is charged. */
static const struct sl_agent generous = {
	.pkt_interval_ns = 1, .pkt_burst_ns = GENEROUS_BURST_NS,
	.byte_interval_q16 = 1 << 16, .byte_burst_ns = GENEROUS_BURST_NS,
	.syn_interval_ns = 1, .syn_burst_ns = GENEROUS_BURST_NS,
};

static void fill_agents(void)
{
	struct sl_agent_state empty_state = { .pkt_tat_ns = sl_now_ns() + EMPTY_AHEAD_NS,
					      .syn_tat_ns = sl_now_ns() + EMPTY_AHEAD_NS };
	struct sl_agent a;
	__u32 id;

	put_agent(BA_TAGGED, generous);
	put_agent(BA_SOURCE, generous);
	a = generous;
	a.banned_until_ns = SL_FOREVER;
	put_agent(BA_BANNED, a);
	put_agent(BA_BUDGET_EMPTY, generous);
	put_agent(BA_SYN_EMPTY, generous);
	id = BA_BUDGET_EMPTY;
	bpf_map_update_elem(fd_of(skel->maps.sl_agent_state), &id, &empty_state, BPF_ANY);
	id = BA_SYN_EMPTY;
	empty_state.pkt_tat_ns = 0;
	bpf_map_update_elem(fd_of(skel->maps.sl_agent_state), &id, &empty_state, BPF_ANY);
}

static void tag(const struct frame_spec *spec, __u32 agent_id)
{
	struct frame_spec s = frame_defaults(*spec);
	struct sl_conn_v6_key k6 = { .sport = htons(s.sport), .dport = htons(s.dport),
				     .proto = s.proto };
	struct sl_conn_tag t = { .agent_id = agent_id };
	struct sl_conn_v4_key k4;

	frame_addr(s.family, s.src, k6.saddr);
	frame_addr(s.family, s.dst, k6.daddr);
	if (s.family == 6) {
		bpf_map_update_elem(fd_of(skel->maps.sl_conn_tags_v6), &k6, &t, BPF_ANY);
		cfg.n_conn_tags_v6++;
		return;
	}
	k4 = (struct sl_conn_v4_key){ .saddr = k6.saddr[0], .daddr = k6.daddr[0],
				      .sport = k6.sport, .dport = k6.dport, .proto = k6.proto };
	bpf_map_update_elem(fd_of(skel->maps.sl_conn_tags_v4), &k4, &t, BPF_ANY);
	cfg.n_conn_tags_v4++;
}

/* Other agents' connections, so the tag hash is not trivially small. */
static void fill_tags(void)
{
	struct frame_spec s = { .src = "198.18.100.1" };

	for (__u32 i = 0; i < POLICY_TAGS; i++) {
		s.sport = (__u16)(10000 + i);
		tag(&s, BA_TAGGED);
	}
}

/* The per-source SYN bucket of 198.18.4.1: empty.  Any odd factors will do
 * for the key (user/kern/maps.c draws random ones). */
static void fill_syn_sources(void)
{
	struct sl_bucket b = { .tat_ns = sl_now_ns() + EMPTY_AHEAD_NS };
	__u32 addr[4] = { htonl(0xC6120401) };
	__u32 index;

	cfg.syn_seed = (struct sl_exact_seed){ .mul = { 0x9E3779B97F4A7C15ULL,
		0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL, 0x27D4EB2F165667C5ULL },
		.add = 0x85EBCA77C2B2AE63ULL };
	index = sl_syn_bucket_index(&cfg.syn_seed, SL_SYN_V4_32, addr);
	bpf_map_update_elem(fd_of(skel->maps.sl_syn_buckets), &index, &b, BPF_ANY);
}

static void fill_policy(void)
{
	cfg.events_per_sec = 1000;
	cfg.syn_src_interval_ns = 1;
	cfg.syn_src_burst_ns = GENEROUS_BURST_NS;
	cfg.ports[FR_PORT_PROTECTED / 64] |= 1ULL << (FR_PORT_PROTECTED % 64);
	fill_exact();
	fill_prefixes();
	fill_dir();
	fill_agents();
	fill_tags();
	fill_syn_sources();
	write_config();
}

/* --- the paths -------------------------------------------------------------------- */

#define SYN .tcp_flags = FR_TCP_SYN

static struct path paths[] = {
	{ "unprotected port", "PASS", SL_REASON_NOT_PROTECTED, { .dport = FR_PORT_OTHER } },
	{ "not IP (ARP)", "PASS", SL_REASON_NOT_IP, { .ethertype = FR_ETH_P_ARP } },
	{ "v6 ESP (V6_EXT)", "PASS", SL_REASON_V6_EXT, { .family = 6, .proto = FR_NEXTHDR_ESP } },
	{ "non-first fragment", "PASS", SL_REASON_FRAGMENT, { .frag = 185 } },
	{ "allowed, no agent, v4", "PASS", SL_REASON_ALLOWED, { .src = "198.18.50.1" } },
	{ "allowed, tagged agent in budget, v4", "PASS", SL_REASON_ALLOWED, { .src = "198.18.0.10", .payload = 100 } },
	{ "allowed, tagged agent in budget, v6", "PASS", SL_REASON_ALLOWED, { .family = 6, .payload = 100 } },
	{ "allowed, tagged agent, qinq v6 hop-by-hop", "PASS", SL_REASON_ALLOWED, { .family = 6, .vlans = 2,
	  .n_ext = 1, .ext = { FR_NEXTHDR_HOP }, .payload = 100 } },
	{ "allowed, identity agent in budget, v6", "PASS", SL_REASON_ALLOWED, { .family = 6, .src = "2001:db8:1::5" } },
	{ "allowed SYN: source + agent buckets, v4", "PASS", SL_REASON_ALLOWED, { SYN, .src = "198.18.1.7" } },
	{ "allowed SYN: source + agent buckets, v6", "PASS", SL_REASON_ALLOWED, { SYN, .family = 6,
	  .src = "2001:db8:1::7" } },
	{ "deny exact", "DROP", SL_REASON_DENY, { .src = "198.18.254.1" } },
	{ "deny prefix", "DROP", SL_REASON_DENY, { .src = "198.18.253.9" } },
	{ "banned agent (identity)", "DROP", SL_REASON_BANNED, { .src = "198.18.2.2" } },
	{ "banned agent (tagged)", "DROP", SL_REASON_BANNED, { .src = "198.18.0.11" } },
	{ "packet budget drop", "DROP", SL_REASON_PKT_BUDGET, { .src = "198.18.0.12" } },
	{ "SYN source bucket drop", "DROP", SL_REASON_SYN_SOURCE, { SYN, .src = "198.18.4.1" } },
	{ "SYN agent bucket drop", "DROP", SL_REASON_SYN_AGENT, { SYN, .src = "198.18.3.3" } },
	{ "malformed (tcp doff 4)", "DROP", SL_REASON_MALFORMED, { .doff = 4, .payload = 40 } },
	{ "monitor: deny would-drop", "PASS*", SL_REASON_DENY, { .src = "198.18.254.1" }, monitor_on, monitor_off },
	{ "allowed, no agent, v4, family has no tags", "PASS", SL_REASON_ALLOWED, { .src = "198.18.50.1" },
	  v4_tags_uncounted, v4_tags_counted },
	/* Before the directory: the same packets, the trie answering. */
	{ "deny prefix, no directory (the trie)", "DROP", SL_REASON_DENY, { .src = "198.18.253.9" },
	  dir_off, dir_on },
	{ "allowed, identity agent, v6, no directory", "PASS", SL_REASON_ALLOWED, { .family = 6,
	  .src = "2001:db8:1::5" }, dir_off, dir_on },
};
#define N_PATHS (sizeof(paths) / sizeof(paths[0]))

static void tag_paths(void)
{
	tag(&paths[5].spec, BA_TAGGED);
	tag(&paths[6].spec, BA_TAGGED);
	tag(&paths[7].spec, BA_TAGGED);
	tag(&paths[14].spec, BA_BANNED);
	tag(&paths[15].spec, BA_BUDGET_EMPTY);
}

/*
 * The reference program on an ACK from 198.18.1.7: its LPM trie holds the
 * same prefixes as sluice's tables (198.18.1.0/24 with value 0, so no
 * deny), its bucket refills every packet (a token per ns) and never runs dry.
 */
static struct path reference = { "reference: parse+LPM+LRU+token bucket", "PASS", 0,
				 { .src = "198.18.1.7" } };

/* --- measuring ------------------------------------------------------------------------ */

/* ns per packet of one BPF_PROG_TEST_RUN of @repeat, or < 0 on error. */
static double run_once(int prog_fd, const __u8 *frame, __u32 len, __u32 repeat, __u32 *retval)
{
	static __u8 out[FR_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	if (retval)
		*retval = opts.retval;
	return (double)opts.duration;	/* the kernel's average over the repeat */
}

static void fill_reference(void)
{
	struct { __u64 ns_per_token, burst; } rc = { 1, 1000ULL * 1000 * 1000 * 1000 * 1000 };
	__u32 zero = 0;

	bpf_map_update_elem(fd_of(ref->maps.ref_config), &zero, &rc, BPF_ANY);
	reference.len = (__u32)frame_build(&reference.spec, reference.frame);
}

/* The reference must take its full path: pass, with its source's bucket. */
static int check_reference(void)
{
	__u32 key[4] = {}, retval = ~0U;
	__u64 bucket[2];

	frame_addr(4, reference.spec.src, key);
	run_once(bpf_program__fd(ref->progs.reference_xdp), reference.frame, reference.len, 2,
		 &retval);
	if (retval != XDP_PASS || bpf_map_lookup_elem(fd_of(ref->maps.ref_buckets), key, bucket)) {
		fprintf(stderr, "xdp-cost: the reference program did not pass through its bucket\n");
		return 1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	double sorted[MAX_ROUNDS];

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static double measure_path(struct path *p, __u32 repeat, __u32 *retval)
{
	double ns;

	if (p->prepare)
		p->prepare();
	ns = run_once(bpf_program__fd(skel->progs.sluice_xdp), p->frame, p->len, repeat, retval);
	if (p->restore)
		p->restore();
	ring_buffer__consume(ring);	/* a reader keeps the ring from filling */
	return ns;
}

/* Caps the repeat so the slowest path's run stays within RUN_BUDGET_NS. */
static __u32 fit_repeat(__u32 repeat)
{
	double worst = 1;

	for (size_t i = 0; i < N_PATHS; i++) {
		double ns = measure_path(&paths[i], 10000, NULL);

		if (ns > worst)
			worst = ns;
	}
	if (worst * repeat > RUN_BUDGET_NS)
		repeat = (__u32)(RUN_BUDGET_NS / worst);
	return repeat < 1000 ? 1000 : repeat;
}

static __u64 reason_count(__u32 reason)
{
	__u32 slot = sl_reason_stat(reason);
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = calloc(ncpu, sizeof(*v)), sum = 0;

	if (v && !bpf_map_lookup_elem(fd_of(skel->maps.sl_stats), &slot, v))
		for (int cpu = 0; cpu < ncpu; cpu++)
			sum += v[cpu];
	free(v);
	return sum;
}

/* A benchmark of the wrong path is worse than none: check each lands where
 * its name says before timing it. */
static int check_paths(void)
{
	int bad = 0;

	for (size_t i = 0; i < N_PATHS; i++) {
		__u64 before = reason_count(paths[i].reason);

		measure_path(&paths[i], 1, NULL);
		if (reason_count(paths[i].reason) != before + 1) {
			fprintf(stderr, "xdp-cost: path '%s' did not end in reason %u\n",
				paths[i].name, paths[i].reason);
			bad = 1;
		}
	}
	return bad;
}

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

static int load(void)
{
	struct bpf_map *map;
	int err;

	skel = sluice_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);	/* never touch SL_PIN_DIR */
	err = sluice_bpf__load(skel);
	if (err)
		return err;
	empty = empty_bpf__open_and_load();
	if (!empty)
		return -errno;
	ref = reference_bpf__open_and_load();
	if (!ref)
		return -errno;
	ring = ring_buffer__new(fd_of(skel->maps.sl_events), on_event, NULL, NULL);
	return ring ? 0 : -errno;
}

static void print_row(const char *name, const char *verdict, double ns, double empty_ns)
{
	printf("%-44s %-7s %10.2f %9.2f %7.2f\n", name, verdict, ns, ns / empty_ns,
	       ns / reference.median);
}

static void print_table(double empty_ns, __u32 repeat, int rounds)
{
	double worst = 0;
	const char *worst_name = "";

	printf("\nsluice_xdp cost per packet: BPF_PROG_TEST_RUN, repeat %u, median of %d rounds\n\n",
	       repeat, rounds);
	printf("%-44s %-7s %10s %9s %7s\n", "path", "verdict", "ns/packet", "x empty", "x ref");
	print_row("empty XDP program (baseline)", "PASS", empty_ns, empty_ns);
	print_row(reference.name, reference.verdict, reference.median, empty_ns);
	for (size_t i = 0; i < N_PATHS; i++) {
		if (paths[i].skipped)
			continue;
		print_row(paths[i].name, paths[i].verdict, paths[i].median, empty_ns);
		if (paths[i].median > worst) {
			worst = paths[i].median;
			worst_name = paths[i].name;
		}
	}
	printf("\n(PASS* = monitor mode passes a would-drop; reference = parse, one LPM lookup\n"
	       " over the same prefixes, one LRU lookup, a token bucket with atomics)\n");
	printf("worst path: %s\n", worst_name);
	printf("worst-path/empty ratio: %.2f\n", worst / empty_ns);
	printf("worst-path/reference ratio: %.2f\n", worst / reference.median);
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-r REPEAT] [-n ROUNDS (1..%d)] [-p PATH]\n"
		"  -p PATH  time only the paths whose name contains PATH (for a profiler)\n",
		argv0, MAX_ROUNDS);
	exit(2);
}

int main(int argc, char **argv)
{
	__u32 repeat = 1000000, retval;
	double empty_ns[MAX_ROUNDS];
	int rounds = 7, opt, err;
	const char *only = NULL;
	cpu_set_t set;

	while ((opt = getopt(argc, argv, "r:n:p:")) != -1) {
		if (opt == 'p')
			only = optarg;
		else if (opt == 'r')
			repeat = (__u32)strtoul(optarg, NULL, 0);
		else if (opt == 'n')
			rounds = atoi(optarg);
		else
			usage(argv[0]);
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || !repeat)
		usage(argv[0]);
	/* One CPU: per-CPU state and caches stay put; the comparison is fair. */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
	libbpf_set_print(print_libbpf);
	err = load();
	if (err) {
		fprintf(stderr, "xdp-cost: cannot load BPF programs (root?): %s\n", strerror(-err));
		return 1;
	}
	fill_policy();
	for (size_t i = 0; i < N_PATHS; i++)
		paths[i].len = (__u32)frame_build(&paths[i].spec, paths[i].frame);
	tag_paths();
	write_config();
	fill_reference();
	if (check_paths() || check_reference())
		return 1;
	repeat = fit_repeat(repeat);
	for (int r = 0; r < rounds; r++) {
		empty_ns[r] = run_once(bpf_program__fd(empty->progs.empty_xdp), paths[0].frame,
				       paths[0].len, repeat, NULL);
		reference.ns[r] = run_once(bpf_program__fd(ref->progs.reference_xdp),
					   reference.frame, reference.len, repeat, NULL);
		for (size_t i = 0; i < N_PATHS; i++) {
			paths[i].skipped = only && !strstr(paths[i].name, only);
			if (paths[i].skipped)
				continue;
			paths[i].ns[r] = measure_path(&paths[i], repeat, &retval);
			if (paths[i].ns[r] < 0) {
				fprintf(stderr, "xdp-cost: %s: test run failed\n", paths[i].name);
				return 1;
			}
		}
	}
	for (size_t i = 0; i < N_PATHS; i++)
		paths[i].median = median(paths[i].ns, rounds);
	reference.median = median(reference.ns, rounds);
	print_table(median(empty_ns, rounds), repeat, rounds);
	ring_buffer__free(ring);
	reference_bpf__destroy(ref);
	empty_bpf__destroy(empty);
	sluice_bpf__destroy(skel);
	return 0;
}
