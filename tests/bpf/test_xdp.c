// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_xdp.c - sluice's BPF programs on crafted frames, via BPF_PROG_TEST_RUN.
 *
 * A table of fixtures (description, frame, map setup, expected verdict and
 * reason, expected extras) runs through sluice_xdp and again through
 * sluice_tc_ingress.  Every run checks the program's return value, the
 * exact delta of every sl_stats slot (so every path must count its verdict
 * and reason, and nothing else), the events it wrote, and the agent's
 * counters.  Special cases follow the table: the event summariser, ring
 * buffer overflow and TC egress accounting.
 *
 * Maps are never pinned: pinning is switched off before load, so the test
 * never touches /sys/fs/bpf/sluice.  Time is deterministic: buckets and
 * deadlines are set relative to CLOCK_MONOTONIC_COARSE, the clock the
 * programs read (tat = now + 1 h is an empty bucket, 0 a full one).  The
 * process is pinned to one CPU so per-CPU state (the event fold) is the one
 * the next run sees; the cases that need two CPUs pin threads of their own.  Needs root; a failed load fails the test.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/maps.h"
#include "kern/srcdir.h"
#include "check.h"
#include "sluice_abi.h"
#include "sluice.skel.h"
#include "frame.h"

#define HOUR_NS		(3600 * SL_NSEC_PER_SEC)
#define MS_NS		1000000ULL
#define MAX_EVENTS	32768
#define TEST_AGENTS	8		/* agent ids the tests use are below this */
/* The programs' clock is the coarse clock as cached at a tick (sl_judge.h):
 * it may lag the test's reading by up to two ticks (10 ms each at HZ=100). */
#define CLOCK_SLACK_NS	(20 * MS_NS)
/* The event budget's window (bpf/sl_consts.h SL_EV_WINDOW_NS): whole seconds. */
#define SL_EV_WINDOW_NS_TEST	SL_NSEC_PER_SEC

enum agent_ids {
	AG_NONE = 0,
	AG_TAGGED = 1,		/* reached through a connection tag */
	AG_SOURCE = 2,		/* reached through the source's identity */
	AG_EGRESS = 3,
	AG_LAST = SL_MAX_AGENTS - 1,	/* the highest id a policy may use */
};

/* --- environment ------------------------------------------------------------ */

static struct sluice_bpf *skel;
static struct ring_buffer *ring;
static struct sl_event events[MAX_EVENTS];
static size_t n_events;
static struct sl_config cfg;	/* written to sl_config before each run */
static int ncpu;
static struct sl_bucket *syn_buckets;	/* sl_syn_buckets, mmapped */

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(struct sl_event) && n_events < MAX_EVENTS)
		memcpy(&events[n_events], data, sizeof(struct sl_event));
	n_events++;
	return 0;
}

static int map_fd(struct bpf_map *map)
{
	return bpf_map__fd(map);
}

static void delete_all(struct bpf_map *map)
{
	__u8 key[64], next[64];
	int fd = map_fd(map);

	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, sizeof(key));
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

/* Writes the same value on every CPU of a per-CPU map. */
static void percpu_set(struct bpf_map *map, __u32 key, const void *value)
{
	size_t size = (bpf_map__value_size(map) + 7) & ~7u;
	__u8 *values = calloc(ncpu, size);

	for (int cpu = 0; cpu < ncpu; cpu++)
		memcpy(values + cpu * size, value, bpf_map__value_size(map));
	bpf_map_update_elem(map_fd(map), &key, values, BPF_ANY);
	free(values);
}

/* Sums a per-CPU value of @n u64 words over CPUs. */
static void percpu_sum(struct bpf_map *map, __u32 key, __u64 *out, size_t n)
{
	__u64 *values = calloc(ncpu, n * sizeof(__u64));

	memset(out, 0, n * sizeof(__u64));
	if (!bpf_map_lookup_elem(map_fd(map), &key, values))
		for (int cpu = 0; cpu < ncpu; cpu++)
			for (size_t i = 0; i < n; i++)
				out[i] += values[cpu * n + i];
	free(values);
}

static void read_stats(__u64 stats[SL_STAT_MAX])
{
	for (__u32 slot = 0; slot < SL_STAT_MAX; slot++)
		percpu_sum(skel->maps.sl_stats, slot, &stats[slot], 1);
}

static void read_agent_counters(__u32 id, struct sl_agent_counters *c)
{
	percpu_sum(skel->maps.sl_agent_stats, id, (__u64 *)c, sizeof(*c) / sizeof(__u64));
}

static void write_config(void)
{
	__u32 zero = 0;

	bpf_map_update_elem(map_fd(skel->maps.sl_config), &zero, &cfg, BPF_ANY);
}

/*
 * The source directory, built from what add_prefix() wrote, as user/maps.c
 * builds it from its table.  The table runs once with the hashes and trie
 * answering, and again with the directory for the fixtures that have
 * prefixes; each build goes to the other half than the one before.
 */
static struct srctab dir_tab;
static bool dir_mode;
static struct srcdir_fds dir_fds;

static int use_dir(void)
{
	static __u32 half;
	struct srcdir d;
	int err;

	half ^= 1;
	err = srcdir_build(&d, &dir_tab, half);
	if (!err)
		err = srcdir_write(&d, &dir_fds);
	cfg.flags &= ~(SL_CFG_F_DIR_V4 | SL_CFG_F_DIR_V6 | SL_CFG_F_DIR_HALF);
	if (!err && !(d.fits[0] && d.fits[1]))
		err = -ENOSPC;
	if (!err)
		cfg.flags |= srcdir_flags(&d);
	srcdir_free(&d);
	/* The walk alone answers: the hashes and tries are emptied. */
	delete_all(skel->maps.sl_src_v4);
	delete_all(skel->maps.sl_src_v6);
	delete_all(skel->maps.sl_src_lpm_v4);
	delete_all(skel->maps.sl_src_lpm_v6);
	return err;
}

static void protect_port(__u16 port)
{
	cfg.ports[port / 64] |= 1ULL << (port % 64);
}

static void drain_events(void)
{
	ring_buffer__consume(ring);
	n_events = 0;
}

/* The filter seed every fixture runs with (user/maps.c draws a random one). */
static const struct sl_exact_seed test_seed = {
	.mul = { 0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL,
		 0x27D4EB2F165667C5ULL },
	.mul_len = 0xFF51AFD7ED558CCDULL,
	.add = 0x85EBCA77C2B2AE63ULL,
};

/* Filter words add_exact set, so reset_maps clears just those. */
#define MAX_FILTER_WORDS 64
static __u32 filter_words[MAX_FILTER_WORDS];
static size_t n_filter_words;

static void clear_filter(void)
{
	__u64 zero = 0;

	for (size_t i = 0; i < n_filter_words; i++)
		bpf_map_update_elem(map_fd(skel->maps.sl_exact_filter), &filter_words[i], &zero,
				    BPF_ANY);
	n_filter_words = 0;
}

/* The SYN-bucket key every fixture runs with (user/maps.c draws a random one). */
static const struct sl_exact_seed test_syn_seed = {
	.mul = { 0xD6E8FEB86659FD93ULL, 0xA0761D6478BD642FULL, 0xE7037ED1A0B428DBULL,
		 0x8EBC6AF09C88C6E3ULL },
	.add = 0x589965CC75374CC3ULL,
};

/* The event budget's window back to empty, on every CPU's fold too. */
static void reset_event_limiter(void)
{
	struct sl_event_limiter limiter = {};
	struct sl_event_fold fold = {};
	__u32 zero = 0;

	bpf_map_update_elem(map_fd(skel->maps.sl_evlimit), &zero, &limiter, BPF_ANY);
	percpu_set(skel->maps.sl_evfold, 0, &fold);
}

/* Every map back to empty, the config to the base every fixture starts from. */
static void reset_maps(void)
{
	struct sl_agent_counters counters = {};
	struct sl_agent_state state = {};
	struct sl_agent agent = {};

	delete_all(skel->maps.sl_exact_v4);
	delete_all(skel->maps.sl_exact_v6);
	clear_filter();
	delete_all(skel->maps.sl_src_v4);
	delete_all(skel->maps.sl_src_v6);
	delete_all(skel->maps.sl_src_lpm_v4);
	delete_all(skel->maps.sl_src_lpm_v6);
	delete_all(skel->maps.sl_conn_tags_v4);
	delete_all(skel->maps.sl_conn_tags_v6);
	memset(syn_buckets, 0, SL_SYN_BUCKETS * sizeof(*syn_buckets));
	for (__u32 id = 0; id <= TEST_AGENTS; id++) {
		__u32 slot = id < TEST_AGENTS ? id : AG_LAST;

		bpf_map_update_elem(map_fd(skel->maps.sl_agents), &slot, &agent, BPF_ANY);
		bpf_map_update_elem(map_fd(skel->maps.sl_agent_state), &slot, &state, BPF_ANY);
		percpu_set(skel->maps.sl_agent_stats, slot, &counters);
	}
	reset_event_limiter();
	srctab_free(&dir_tab);
	memset(&cfg, 0, sizeof(cfg));
	cfg.events_per_sec = 1000;
	cfg.flags = SL_CFG_F_EXACT_FILTER;
	cfg.exact_seed = test_seed;
	cfg.syn_seed = test_syn_seed;
	protect_port(FR_PORT_PROTECTED);
	write_config();
	drain_events();
}

/* --- map setup helpers -------------------------------------------------------- */

static int family_of(const char *text)
{
	return strchr(text, ':') ? 6 : 4;
}

static __u32 filter_bit(int family, const __u32 key[4])
{
	return sl_exact_filter_bit(&test_seed, family == 4 ? SL_AF_INET : SL_AF_INET6, key);
}

/* Sets the filter bit of entry @key/@len, as user/maps.c does before
 * inserting the entry. */
static void set_filter_bit_len(int family, const __u32 key[4], __u32 len)
{
	__u32 bit = sl_src_filter_bit(&test_seed, family == 4 ? SL_AF_INET : SL_AF_INET6, key, len);
	__u32 word = bit / SL_EXACT_FILTER_WORD_BITS;
	__u64 bits = 0;
	int fd = map_fd(skel->maps.sl_exact_filter);

	bpf_map_lookup_elem(fd, &word, &bits);
	bits |= 1ULL << (bit % SL_EXACT_FILTER_WORD_BITS);
	bpf_map_update_elem(fd, &word, &bits, BPF_ANY);
	if (n_filter_words < MAX_FILTER_WORDS)
		filter_words[n_filter_words++] = word;
}

static void set_filter_bit(int family, const __u32 key[4])
{
	set_filter_bit_len(family, key, family == 4 ? 32 : 128);
}

static void add_exact_key(int family, const __u32 key[4], __u64 deny_until_ns, __u32 agent_id)
{
	struct sl_src_value val = { .eff_deny_until_ns = deny_until_ns,
				    .eff_agent_id = agent_id };

	set_filter_bit(family, key);
	if (family == 4) {
		bpf_map_update_elem(map_fd(skel->maps.sl_exact_v4), &key[0], &val, BPF_ANY);
		cfg.n_exact_v4++;
	} else {
		bpf_map_update_elem(map_fd(skel->maps.sl_exact_v6), key, &val, BPF_ANY);
		cfg.n_exact_v6++;
	}
}

static void add_exact(const char *addr, __u64 deny_until_ns, __u32 agent_id)
{
	__u32 key[4] = {};

	frame_addr(family_of(addr), addr, key);
	add_exact_key(family_of(addr), key, deny_until_ns, agent_id);
}

/* Adds @len to a length list kept longest first, once. */
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

/* A prefix entry as user/maps.c writes it: key masked to its length, filter
 * bit set, length listed in sl_config, in the hash and in its trie. */
static void add_prefix(const char *addr, __u32 prefixlen, __u64 deny_until_ns, __u32 agent_id)
{
	struct sl_src_value val = { .eff_deny_until_ns = deny_until_ns,
				    .eff_agent_id = agent_id };
	struct sl_pfx_v6_key key = { .prefixlen = prefixlen };
	int family = family_of(addr);

	frame_addr(family, addr, key.addr);
	for (__u32 w = 0; w < 4; w++) {
		int bits = (int)prefixlen - 32 * (int)w;
		__u32 mask = bits <= 0 ? 0 : bits >= 32 ? ~0U : ~0U << (32 - bits);

		key.addr[w] = htonl(ntohl(key.addr[w]) & mask);
	}
	set_filter_bit_len(family, key.addr, prefixlen);
	srctab_add_value(&dir_tab, &(struct sl_prefix){ .family = family == 4 ? SL_AF_INET :
					SL_AF_INET6, .prefixlen = prefixlen,
					.addr = { key.addr[0], key.addr[1], key.addr[2],
						  key.addr[3] } }, &val);
	if (family == 4) {
		struct sl_pfx_v4_key k4 = { .prefixlen = prefixlen, .addr = key.addr[0] };

		bpf_map_update_elem(map_fd(skel->maps.sl_src_v4), &k4, &val, BPF_ANY);
		bpf_map_update_elem(map_fd(skel->maps.sl_src_lpm_v4), &k4, &val, BPF_ANY);
		cfg.n_prefix_v4++;
		list_len(&cfg.n_prefix_lens_v4, cfg.prefix_lens_v4, (__u8)prefixlen);
	} else {
		bpf_map_update_elem(map_fd(skel->maps.sl_src_v6), &key, &val, BPF_ANY);
		bpf_map_update_elem(map_fd(skel->maps.sl_src_lpm_v6), &key, &val, BPF_ANY);
		cfg.n_prefix_v6++;
		list_len(&cfg.n_prefix_lens_v6, cfg.prefix_lens_v6, (__u8)prefixlen);
	}
}

/* Tags a frame's connection, as the agent sends it, in its family's map. */
static void tag_conn(const struct frame_spec *spec, __u32 agent_id)
{
	struct frame_spec s = frame_defaults(*spec);
	struct sl_conn_tag tag = { .agent_id = agent_id, .tagged_ns = sl_now_ns() };
	struct sl_conn_v6_key k6 = { .sport = htons(s.sport), .dport = htons(s.dport),
				     .proto = s.proto };
	struct sl_conn_v4_key k4;

	frame_addr(s.family, s.src, k6.saddr);
	frame_addr(s.family, s.dst, k6.daddr);
	/* Counted as user/maps.c counts, so the packet path probes the table. */
	if (s.family == 6) {
		bpf_map_update_elem(map_fd(skel->maps.sl_conn_tags_v6), &k6, &tag, BPF_ANY);
		cfg.n_conn_tags_v6++;
		return;
	}
	k4 = (struct sl_conn_v4_key){ .saddr = k6.saddr[0], .daddr = k6.daddr[0],
				      .sport = k6.sport, .dport = k6.dport, .proto = k6.proto };
	bpf_map_update_elem(map_fd(skel->maps.sl_conn_tags_v4), &k4, &tag, BPF_ANY);
	cfg.n_conn_tags_v4++;
}

static void put_agent(__u32 id, const struct sl_agent *a)
{
	struct sl_agent agent = *a;

	snprintf(agent.name, sizeof(agent.name), "agent-%u", id);
	agent.flags |= SL_AGENT_F_ACTIVE;
	bpf_map_update_elem(map_fd(skel->maps.sl_agents), &id, &agent, BPF_ANY);
}

static void put_state(__u32 id, const struct sl_agent_state *st)
{
	bpf_map_update_elem(map_fd(skel->maps.sl_agent_state), &id, st, BPF_ANY);
}

static struct sl_agent_state get_state(__u32 id)
{
	struct sl_agent_state st = {};

	bpf_map_lookup_elem(map_fd(skel->maps.sl_agent_state), &id, &st);
	return st;
}

/* The SYN bucket of @level of source @addr, as the programs index it. */
static struct sl_bucket *syn_bucket(const char *addr, __u32 level)
{
	__u32 key[4];

	frame_addr(family_of(addr), addr, key);
	return &syn_buckets[sl_syn_bucket_index(&test_syn_seed, level, key)];
}

/* The narrowest level of @addr: v4 /32, v6 /64. */
static __u32 syn_level_of(const char *addr)
{
	return family_of(addr) == 4 ? SL_SYN_V4_32 : SL_SYN_V6_64;
}

static void put_syn_src(const char *addr, __u64 tat_ns)
{
	syn_bucket(addr, syn_level_of(addr))->tat_ns = tat_ns;
}

static __u64 get_syn_src(const char *addr)
{
	return syn_bucket(addr, syn_level_of(addr))->tat_ns;
}

/* --- running a frame ---------------------------------------------------------- */

struct run {
	__u8 in[FR_MAX], out[FR_MAX];
	__u32 in_len, out_len;
	__u32 retval;
	int err;
	__u64 t_before, t_after;	/* the programs' clock is within [t_before, t_after] */
	__u64 stats[SL_STAT_MAX];	/* deltas */
	struct sl_agent_counters agent;	/* deltas of the fixture's agent */
};

static void run_prog(struct bpf_program *prog, struct run *r, __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = r->in, .data_size_in = r->in_len,
		    .data_out = r->out, .data_size_out = sizeof(r->out),
		    .repeat = repeat);

	r->t_before = sl_now_ns() - CLOCK_SLACK_NS;
	r->err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) ? -errno : 0;
	r->t_after = sl_now_ns();
	r->retval = opts.retval;
	r->out_len = opts.data_size_out;
}

/* Runs @prog on r->in, recording stats and agent-counter deltas and events. */
static void run_measured(struct bpf_program *prog, struct run *r, __u32 agent_id, __u32 repeat)
{
	__u64 before[SL_STAT_MAX], after[SL_STAT_MAX];
	struct sl_agent_counters a0, a1;
	__u64 *w0 = (__u64 *)&a0, *w1 = (__u64 *)&a1, *wd = (__u64 *)&r->agent;

	read_stats(before);
	read_agent_counters(agent_id, &a0);
	run_prog(prog, r, repeat);
	read_stats(after);
	read_agent_counters(agent_id, &a1);
	for (int i = 0; i < SL_STAT_MAX; i++)
		r->stats[i] = after[i] - before[i];
	for (size_t i = 0; i < sizeof(a0) / sizeof(__u64); i++)
		wd[i] = w1[i] - w0[i];
	n_events = 0;
	ring_buffer__consume(ring);
}

static const char *const stat_names[SL_STAT_MAX] = {
	"PASS", "DROP", "RST", "MONITOR", "ALLOWED", "NOT_IP", "NOT_PROTECTED",
	"FRAGMENT", "V6_EXT", "MALFORMED", "DENY", "BANNED", "PKT_BUDGET",
	"BYTE_BUDGET", "SYN_SOURCE", "SYN_AGENT", "EVENTS_SENT",
	"EVENTS_SUPPRESSED", "EVENTS_LOST", "EGRESS_PACKETS", "EGRESS_BYTES",
};

/* Every slot's delta must be exactly what @want says (all others zero). */
static void check_stat_deltas(const struct run *r, const __u64 want[SL_STAT_MAX])
{
	for (int i = 0; i < SL_STAT_MAX; i++)
		CHECK(r->stats[i] == want[i], "stat %s: delta %llu, want %llu", stat_names[i],
		      (unsigned long long)r->stats[i], (unsigned long long)want[i]);
}

/* --- fixtures ------------------------------------------------------------------ */

enum fixture_flags {
	/* The skb test runner refuses IP frames shorter than their IP header
	 * (-EINVAL), so these truncations reach only XDP; the parser is shared. */
	FX_XDP_ONLY = 1 << 0,
	FX_SUPPRESSED = 1 << 1,		/* the limiter folds the event */
	FX_NO_ADDR = 1 << 2,		/* event has no parsed ports/addresses */
	FX_FALLBACK = 1 << 3,		/* about the hashes and trie: no directory run */
};

struct fixture;
typedef void (*fx_setup_fn)(const struct fixture *fx);
typedef void (*fx_check_fn)(const struct fixture *fx, const struct run *r, bool tc);

struct fixture {
	const char *name;
	struct frame_spec in;
	fx_setup_fn setup;
	__u8 verdict;			/* enum sl_verdict XDP judges (RST: DROP in TC) */
	__u8 reason;			/* enum sl_reason */
	bool monitored;			/* monitor mode turns the verdict into a pass */
	__u32 agent;			/* agent the packet is attributed to */
	unsigned int flags;		/* enum fixture_flags */
	fx_check_fn check;		/* extra checks, or NULL */
};

/* Setups: each starts from reset_maps() and may change cfg. */
static void s_none(const struct fixture *fx) { (void)fx; }

static const char *src_of(const struct fixture *fx)
{
	static struct frame_spec s;

	s = frame_defaults(fx->in);
	return s.src;
}

static void s_deny_exact(const struct fixture *fx)
{
	add_exact(src_of(fx), SL_FOREVER, 0);
}

static void s_deny_exact_deadline(const struct fixture *fx)
{
	add_exact(src_of(fx), sl_now_ns() + HOUR_NS, 0);
}

static void s_deny_expired(const struct fixture *fx)
{
	add_exact(src_of(fx), sl_now_ns() - SL_NSEC_PER_SEC, 0);
}

static void s_deny_prefix(const struct fixture *fx)
{
	const char *src = src_of(fx);

	add_prefix(family_of(src) == 4 ? "198.18.0.0" : "2001:db8::",
		   family_of(src) == 4 ? 24 : 64, SL_FOREVER, 0);
}

/* Nested prefixes at several lengths, the source in all of them: the
 * longest decides (it carries what userspace folded in from the others). */
static void s_prefix_longest(const struct fixture *fx)
{
	if (family_of(src_of(fx)) == 4) {
		add_prefix("198.0.0.0", 8, SL_FOREVER, 0);
		add_prefix("198.18.0.0", 15, SL_FOREVER, 0);
		add_prefix("198.18.0.0", 23, 0, AG_SOURCE);
		add_prefix("198.18.0.0", 30, SL_FOREVER, 0);	/* .0-.3: not the source */
		add_prefix("10.0.0.0", 24, SL_FOREVER, 0);
	} else {
		add_prefix("2001:db8::", 20, SL_FOREVER, 0);
		add_prefix("2001:db8::", 52, 0, AG_SOURCE);
		add_prefix("2001:db8::", 127, SL_FOREVER, 0);	/* ::0-::1: not the source */
		add_prefix("2001:db9::", 64, SL_FOREVER, 0);
	}
	put_agent(AG_SOURCE, &(struct sl_agent){ 0 });
}

/* More lengths than the hash probes cover: the trie answers, the same.
 * The hashes are emptied to prove it is the trie. */
static void s_prefix_many_lengths(const struct fixture *fx)
{
	s_prefix_longest(fx);
	for (__u32 len = 1; len <= SL_PREFIX_PROBES_V4; len++)	/* elsewhere: never the source */
		add_prefix(family_of(src_of(fx)) == 4 ? "10.0.0.0" : "2001:db9::",
			   family_of(src_of(fx)) == 4 ? len + 8 : len + 64, SL_FOREVER, 0);
	delete_all(skel->maps.sl_src_v4);
	delete_all(skel->maps.sl_src_v6);
}

/* Only the trie has the entry while the hash probes are in charge: proves
 * which of the two answers (with few lengths, the hashes). */
static void s_prefix_trie_only(const struct fixture *fx)
{
	add_prefix(family_of(src_of(fx)) == 4 ? "198.18.0.0" : "2001:db8::",
		   family_of(src_of(fx)) == 4 ? 16 : 48, SL_FOREVER, 0);
	delete_all(skel->maps.sl_src_v4);
	delete_all(skel->maps.sl_src_v6);
}

/* The same, the longest containing entry a deny at an odd length. */
static void s_prefix_longest_deny(const struct fixture *fx)
{
	if (family_of(src_of(fx)) == 4) {
		add_prefix("198.18.0.0", 16, 0, AG_SOURCE);
		add_prefix("198.18.0.0", 27, SL_FOREVER, 0);
	} else {
		add_prefix("2001:db8::", 32, 0, AG_SOURCE);
		add_prefix("2001:db8::", 97, SL_FOREVER, 0);
	}
	put_agent(AG_SOURCE, &(struct sl_agent){ 0 });
}

static void s_deny_miss(const struct fixture *fx)
{
	(void)fx;
	add_exact("198.18.9.9", SL_FOREVER, 0);
	add_prefix("198.18.7.0", 24, SL_FOREVER, 0);
	add_prefix("2001:db8:bad::", 48, SL_FOREVER, 0);
}

/* The entry is there but its family's count says 0: the gate skips the
 * lookup, whatever the other family's count. */
static void s_deny_ungated(const struct fixture *fx)
{
	add_exact(src_of(fx), SL_FOREVER, 0);
	if (family_of(src_of(fx)) == 4) {
		cfg.n_exact_v4 = 0;
		cfg.n_exact_v6 = 1;
	} else {
		cfg.n_exact_v6 = 0;
		cfg.n_exact_v4 = 1;
	}
}

/* The filter not armed yet (maps no writer has touched): every packet
 * probes the exact table, as before the filter existed. */
static void s_deny_exact_unarmed(const struct fixture *fx)
{
	add_exact(src_of(fx), SL_FOREVER, 0);
	cfg.flags &= ~SL_CFG_F_EXACT_FILTER;
	clear_filter();
}

/* Denies an address whose filter bit is the source's own: the source's bit
 * is set, so it is probed, and the probe misses. */
static void s_deny_collision(const struct fixture *fx)
{
	int family = family_of(src_of(fx));
	__u32 src[4] = {}, other[4] = {};
	__u32 want;

	frame_addr(family, src_of(fx), src);
	want = filter_bit(family, src);
	memcpy(other, src, sizeof(other));
	for (__u32 i = 1; i; i++) {
		other[family == 4 ? 0 : 3] = src[family == 4 ? 0 : 3] ^ htonl(i);
		if (filter_bit(family, other) == want)
			break;
	}
	add_exact_key(family, other, SL_FOREVER, 0);
}

static void s_monitor_deny(const struct fixture *fx)
{
	s_deny_exact(fx);
	cfg.flags |= SL_CFG_F_MONITOR;
}

static void s_monitor(const struct fixture *fx)
{
	(void)fx;
	cfg.flags |= SL_CFG_F_MONITOR;
}

static void s_no_events(const struct fixture *fx)
{
	s_deny_exact(fx);
	cfg.events_per_sec = 0;
}

static void s_protect_udp_other(const struct fixture *fx)
{
	(void)fx;
	protect_port(53);
}

/* Agents. */
static void tagged_agent(const struct fixture *fx, const struct sl_agent *a)
{
	tag_conn(&fx->in, AG_TAGGED);
	put_agent(AG_TAGGED, a);
}

static void s_tag_plain(const struct fixture *fx)
{
	tagged_agent(fx, &(struct sl_agent){ 0 });
}

/* The same tuple tagged as the other protocol: proto is part of the key. */
static void s_tag_other_proto(const struct fixture *fx)
{
	struct frame_spec other = fx->in;

	other.proto = fx->in.proto == IPPROTO_UDP ? IPPROTO_TCP : IPPROTO_UDP;
	tag_conn(&other, AG_TAGGED);
	put_agent(AG_TAGGED, &(struct sl_agent){ .banned_until_ns = SL_FOREVER });
}

static void s_tag_banned(const struct fixture *fx)
{
	tagged_agent(fx, &(struct sl_agent){ .banned_until_ns = SL_FOREVER });
}

/* A banned agent's tag in the table while its family's count says none:
 * the count gates the probe, so the tag is not even looked at. */
static void s_tag_banned_uncounted(const struct fixture *fx)
{
	tagged_agent(fx, &(struct sl_agent){ .banned_until_ns = SL_FOREVER });
	if (fx->in.family == 6) {
		cfg.n_conn_tags_v6 = 0;
		cfg.n_conn_tags_v4 = 1;
	} else {
		cfg.n_conn_tags_v4 = 0;
		cfg.n_conn_tags_v6 = 1;
	}
}

static void s_tag_banned_deadline(const struct fixture *fx)
{
	tagged_agent(fx, &(struct sl_agent){ .banned_until_ns = sl_now_ns() + HOUR_NS });
}

static void s_tag_ban_expired(const struct fixture *fx)
{
	tagged_agent(fx, &(struct sl_agent){ .banned_until_ns = sl_now_ns() - SL_NSEC_PER_SEC,
					     .flags = SL_AGENT_F_BAN_RST });
}

static void s_tag_banned_rst(const struct fixture *fx)
{
	tagged_agent(fx, &(struct sl_agent){ .banned_until_ns = SL_FOREVER,
					     .flags = SL_AGENT_F_BAN_RST });
}

static void s_monitor_banned_rst(const struct fixture *fx)
{
	s_tag_banned_rst(fx);
	cfg.flags |= SL_CFG_F_MONITOR;
}

static const struct sl_agent budget_agent = {
	.pkt_interval_ns = MS_NS, .pkt_burst_ns = 10 * MS_NS,
	.byte_interval_q16 = 1 << 16, .byte_burst_ns = 10 * MS_NS,	/* 1 ns a byte */
};

static void s_tag_pkt_empty(const struct fixture *fx)
{
	tagged_agent(fx, &budget_agent);
	put_state(AG_TAGGED, &(struct sl_agent_state){ .pkt_tat_ns = sl_now_ns() + HOUR_NS });
}

static void s_tag_byte_empty(const struct fixture *fx)
{
	tagged_agent(fx, &budget_agent);
	put_state(AG_TAGGED, &(struct sl_agent_state){ .byte_tat_ns = sl_now_ns() + HOUR_NS });
}

/* Idle byte bucket, but the frame costs more than the whole burst. */
static void s_tag_byte_over_burst(const struct fixture *fx)
{
	struct sl_agent agent = budget_agent;

	agent.byte_burst_ns = 100;
	tagged_agent(fx, &agent);
}

static void s_tag_within_budget(const struct fixture *fx)
{
	tagged_agent(fx, &budget_agent);
}

/* The source says agent 2 (banned); the tag says agent 1 (not banned). */
static void s_tag_overrides_source(const struct fixture *fx)
{
	add_exact(src_of(fx), 0, AG_SOURCE);
	put_agent(AG_SOURCE, &(struct sl_agent){ .banned_until_ns = SL_FOREVER });
	tagged_agent(fx, &(struct sl_agent){ 0 });
}

static void s_source_agent_banned(const struct fixture *fx)
{
	add_exact(src_of(fx), 0, AG_SOURCE);
	put_agent(AG_SOURCE, &(struct sl_agent){ .banned_until_ns = SL_FOREVER });
}

static void s_prefix_agent_banned_rst(const struct fixture *fx)
{
	const char *src = src_of(fx);

	add_prefix(family_of(src) == 4 ? "198.18.0.0" : "2001:db8::",
		   family_of(src) == 4 ? 16 : 48, 0, AG_SOURCE);
	put_agent(AG_SOURCE, &(struct sl_agent){ .banned_until_ns = SL_FOREVER,
						 .flags = SL_AGENT_F_BAN_RST });
}

/* The last id the arrays hold (a policy's 16383rd agent) is enforced. */
static void s_tag_last_agent_banned(const struct fixture *fx)
{
	tag_conn(&fx->in, AG_LAST);
	put_agent(AG_LAST, &(struct sl_agent){ .banned_until_ns = SL_FOREVER });
}

/* An agent id past SL_MAX_AGENTS in a tag is ignored, not indexed. */
static void s_tag_bad_agent(const struct fixture *fx)
{
	tag_conn(&fx->in, SL_MAX_AGENTS + 5);
}

/* The tag names agent 4, whose slot is free (not ACTIVE). */
static void s_tag_inactive_agent(const struct fixture *fx)
{
	tag_conn(&fx->in, 4);
}

/* SYN buckets. */
static void syn_src_limits(void)
{
	cfg.syn_src_interval_ns = MS_NS;
	cfg.syn_src_burst_ns = 10 * MS_NS;
}

static void s_syn_src_empty(const struct fixture *fx)
{
	syn_src_limits();
	put_syn_src(src_of(fx), sl_now_ns() + HOUR_NS);
}

static void s_syn_src_full(const struct fixture *fx)
{
	syn_src_limits();
	put_syn_src(src_of(fx), 0);
}

static void s_syn_src_fresh(const struct fixture *fx)
{
	(void)fx;
	syn_src_limits();
}

/* The /64 of 2001:db8::/64 is empty; sources inside it share the bucket. */
static void s_syn_src_v6_64(const struct fixture *fx)
{
	(void)fx;
	syn_src_limits();
	put_syn_src("2001:db8::1234", sl_now_ns() + HOUR_NS);
}

/* The /48 of the source is empty, its /64 and /56 full. */
static void s_syn_src_v6_48_empty(const struct fixture *fx)
{
	syn_src_limits();
	syn_bucket(src_of(fx), SL_SYN_V6_48)->tat_ns = sl_now_ns() + HOUR_NS;
}

static void s_syn_src_off(const struct fixture *fx)
{
	put_syn_src(src_of(fx), sl_now_ns() + HOUR_NS);	/* ignored: interval 0 */
}

static const struct sl_agent syn_agent = {
	.syn_interval_ns = MS_NS, .syn_burst_ns = 10 * MS_NS,
};

static void s_syn_agent_empty(const struct fixture *fx)
{
	add_exact(src_of(fx), 0, AG_SOURCE);
	put_agent(AG_SOURCE, &syn_agent);
	put_state(AG_SOURCE, &(struct sl_agent_state){ .syn_tat_ns = sl_now_ns() + HOUR_NS });
}

static void s_syn_agent_full(const struct fixture *fx)
{
	add_exact(src_of(fx), 0, AG_SOURCE);
	put_agent(AG_SOURCE, &syn_agent);
}

/* SYN-source bucket empty and agent bucket empty: the source check is first. */
static void s_syn_both_empty(const struct fixture *fx)
{
	s_syn_src_empty(fx);
	s_syn_agent_empty(fx);
}

/* --- extra checks ------------------------------------------------------------- */

static __u16 rd16(const __u8 *p) { return (__u16)(p[0] << 8 | p[1]); }
static __u32 rd32(const __u8 *p) { return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3]; }

/* Checks r->out is the RST RFC 793 says answers r->in. */
static void check_rst_frame(const struct fixture *fx, const struct run *r, bool tc)
{
	struct frame_spec s = frame_defaults(fx->in);
	size_t l2 = FR_ETH_LEN + s.vlans * FR_VLAN_LEN;
	size_t l3 = s.family == 4 ? FR_IP4_LEN : FR_IP6_LEN;
	const __u8 *in = r->in, *out = r->out, *ip = out + l2, *tcp = ip + l3;
	const __u8 *in_ip = in + l2, *in_tcp = in_ip + l3;
	__u32 in_seg = s.payload + !!(s.tcp_flags & FR_TCP_SYN) + !!(s.tcp_flags & FR_TCP_FIN);
	__u8 pseudo[40];
	__u32 sum;

	if (tc)
		return;
	CHECK(r->out_len == l2 + l3 + FR_TCP_LEN, "RST frame length %u", r->out_len);
	CHECK(!memcmp(out, in + 6, 6) && !memcmp(out + 6, in, 6), "MACs not swapped");
	CHECK(!memcmp(out + 12, in + 12, l2 - 12), "VLAN tags/ethertype changed");
	if (s.family == 4) {
		CHECK(!memcmp(ip + 12, in_ip + 16, 4) && !memcmp(ip + 16, in_ip + 12, 4),
		      "IPv4 addresses not swapped");
		CHECK(rd16(ip + 2) == FR_IP4_LEN + FR_TCP_LEN, "tot_len %u", rd16(ip + 2));
		CHECK(ip[8] == 64 && ip[9] == IPPROTO_TCP, "ttl %u proto %u", ip[8], ip[9]);
		CHECK(frame_csum(ip, FR_IP4_LEN, 0) == 0, "IPv4 header checksum invalid");
		memcpy(pseudo, ip + 12, 8);
		sum = IPPROTO_TCP + FR_TCP_LEN;
		CHECK(frame_csum(tcp, FR_TCP_LEN, sum + (0xFFFF ^ frame_csum(pseudo, 8, 0))) == 0,
		      "TCP checksum (v4) invalid");
	} else {
		CHECK(!memcmp(ip + 8, in_ip + 24, 16) && !memcmp(ip + 24, in_ip + 8, 16),
		      "IPv6 addresses not swapped");
		CHECK(rd16(ip + 4) == FR_TCP_LEN && ip[6] == IPPROTO_TCP && ip[7] == 64,
		      "payload_len %u nexthdr %u hop %u", rd16(ip + 4), ip[6], ip[7]);
		memcpy(pseudo, ip + 8, 32);
		sum = IPPROTO_TCP + FR_TCP_LEN;
		CHECK(frame_csum(tcp, FR_TCP_LEN, sum + (0xFFFF ^ frame_csum(pseudo, 32, 0))) == 0,
		      "TCP checksum (v6) invalid");
	}
	CHECK(rd16(tcp) == rd16(in_tcp + 2) && rd16(tcp + 2) == rd16(in_tcp), "ports not swapped");
	CHECK(tcp[12] >> 4 == 5, "doff %u", tcp[12] >> 4);
	if (s.tcp_flags & FR_TCP_ACK) {
		CHECK(tcp[13] == FR_TCP_RST, "flags %#x, want RST", tcp[13]);
		CHECK(rd32(tcp + 4) == s.ack && rd32(tcp + 8) == 0, "seq %u ack %u, want %u 0",
		      rd32(tcp + 4), rd32(tcp + 8), s.ack);
	} else {
		CHECK(tcp[13] == (FR_TCP_RST | FR_TCP_ACK), "flags %#x, want RST|ACK", tcp[13]);
		CHECK(rd32(tcp + 4) == 0 && rd32(tcp + 8) == s.seq + in_seg,
		      "seq %u ack %u, want 0 %u", rd32(tcp + 4), rd32(tcp + 8), s.seq + in_seg);
	}
}

/* The frame must leave untouched (a pass or a drop never rewrites). */
static void check_unchanged(const struct fixture *fx, const struct run *r, bool tc)
{
	(void)fx;
	if (tc)
		return;
	CHECK(r->out_len == r->in_len && !memcmp(r->out, r->in, r->in_len), "frame rewritten");
}

static void check_level_charged(const struct run *r, const char *src, __u32 level,
				__u64 cost_ns)
{
	__u64 tat = syn_bucket(src, level)->tat_ns;

	CHECK(tat >= r->t_before + cost_ns && tat <= r->t_after + cost_ns,
	      "level %u bucket tat %llu not now + %llu ns (%llu..%llu)", level,
	      (unsigned long long)tat, (unsigned long long)cost_ns,
	      (unsigned long long)(r->t_before + cost_ns), (unsigned long long)(r->t_after + cost_ns));
}

/* Every level of the source is charged its own interval (1 ms at /32, /64). */
static void check_syn_src_charged(const struct fixture *fx, const struct run *r, bool tc)
{
	const char *src = src_of(fx);

	(void)tc;
	check_level_charged(r, src, syn_level_of(src), MS_NS);
	if (family_of(src) == 4)
		return;
	check_level_charged(r, src, SL_SYN_V6_56, MS_NS >> SL_SYN_V6_56_SHIFT);
	check_level_charged(r, src, SL_SYN_V6_48, MS_NS >> SL_SYN_V6_48_SHIFT);
}

static void check_syn_src_untouched(const struct fixture *fx, const struct run *r, bool tc)
{
	__u64 tat = get_syn_src(src_of(fx));

	(void)tc;
	CHECK(tat >= r->t_before + HOUR_NS - SL_NSEC_PER_SEC && tat <= r->t_after + HOUR_NS,
	      "rejected SYN moved the bucket to %llu", (unsigned long long)tat);
}

/* The /64 refused nothing; the empty /48 refused the SYN: the /64 and /56
 * get their charge back, and the /48 stays as it was. */
static void check_syn_v6_refunded(const struct fixture *fx, const struct run *r, bool tc)
{
	const char *src = src_of(fx);
	__u64 t64 = syn_bucket(src, SL_SYN_V6_64)->tat_ns;
	__u64 t56 = syn_bucket(src, SL_SYN_V6_56)->tat_ns;
	__u64 t48 = syn_bucket(src, SL_SYN_V6_48)->tat_ns;

	(void)tc;
	CHECK(t64 <= r->t_after && t56 <= r->t_after, "refused SYN left charges: /64 %llu /56 %llu",
	      (unsigned long long)t64, (unsigned long long)t56);
	CHECK(t48 >= r->t_before + HOUR_NS - SL_NSEC_PER_SEC && t48 <= r->t_after + HOUR_NS,
	      "refused SYN moved the /48 to %llu", (unsigned long long)t48);
}

static void check_budgets_charged(const struct fixture *fx, const struct run *r, bool tc)
{
	struct sl_agent_state st = get_state(AG_TAGGED);
	__u64 bytes_ns = r->in_len;	/* 1 ns a byte */

	(void)fx;
	(void)tc;
	CHECK(st.pkt_tat_ns >= r->t_before + MS_NS && st.pkt_tat_ns <= r->t_after + MS_NS,
	      "pkt tat %llu not now + 1 ms", (unsigned long long)st.pkt_tat_ns);
	CHECK(st.byte_tat_ns >= r->t_before + bytes_ns && st.byte_tat_ns <= r->t_after + bytes_ns,
	      "byte tat %llu not now + %llu ns", (unsigned long long)st.byte_tat_ns,
	      (unsigned long long)bytes_ns);
}

/* A non-conforming packet must not move the bucket (the charge is undone). */
static void check_pkt_budget_undone(const struct fixture *fx, const struct run *r, bool tc)
{
	struct sl_agent_state st = get_state(AG_TAGGED);

	(void)fx;
	(void)tc;
	CHECK(st.pkt_tat_ns <= r->t_after + HOUR_NS && st.pkt_tat_ns >= r->t_before + HOUR_NS - SL_NSEC_PER_SEC,
	      "rejected packet moved the bucket to %llu", (unsigned long long)st.pkt_tat_ns);
}

/* A unit over the burst is never charged: the bucket stays at or before now
 * (GCRA charges only conforming units). */
/* A packet bigger than the byte burst passes a full bucket and costs the
 * whole burst (100 ns here): never more, so it cannot starve the agent. */
static void check_byte_charged_burst(const struct fixture *fx, const struct run *r, bool tc)
{
	struct sl_agent_state st = get_state(AG_TAGGED);

	(void)fx;
	(void)tc;
	CHECK(st.byte_tat_ns >= r->t_before && st.byte_tat_ns <= r->t_after + 100,
	      "byte tat %llu, want now + the 100 ns burst", (unsigned long long)st.byte_tat_ns);
	CHECK(st.pkt_tat_ns >= r->t_before + MS_NS, "packet budget not charged");
}

static void check_syn_agent_charged(const struct fixture *fx, const struct run *r, bool tc)
{
	struct sl_agent_state st = get_state(AG_SOURCE);

	(void)fx;
	(void)tc;
	CHECK(st.syn_tat_ns >= r->t_before + MS_NS && st.syn_tat_ns <= r->t_after + MS_NS,
	      "agent syn tat %llu not now + 1 ms", (unsigned long long)st.syn_tat_ns);
}

/* --- the table ------------------------------------------------------------------ */

#define V4	.family = 4
#define V6	.family = 6
#define SYN	.tcp_flags = FR_TCP_SYN
#define UDP	.proto = IPPROTO_UDP
#define L2	(FR_ETH_LEN)
#define L3V4	(FR_ETH_LEN + FR_IP4_LEN)
#define L3V6	(FR_ETH_LEN + FR_IP6_LEN)
#define PASS	SL_VERDICT_PASS
#define DROP	SL_VERDICT_DROP
#define RST	SL_VERDICT_RST
#define R(x)	SL_REASON_##x

static const struct fixture fixtures[] = {
	/* Parsing: what passes unjudged, what is judged, what is malformed. */
	{ "v4 tcp unprotected port passes", { V4, .dport = FR_PORT_OTHER }, s_deny_exact,
	  PASS, R(NOT_PROTECTED), .check = check_unchanged },
	{ "v4 tcp protected port allowed", { V4 }, s_none, PASS, R(ALLOWED), .check = check_unchanged },
	{ "v6 tcp protected port allowed", { V6 }, s_none, PASS, R(ALLOWED) },
	{ "v4 udp protected port allowed", { V4, UDP }, s_none, PASS, R(ALLOWED) },
	{ "v6 udp unprotected port passes", { V6, UDP, .dport = 53 }, s_deny_exact,
	  PASS, R(NOT_PROTECTED) },
	{ "v4 udp to another protected port allowed", { V4, UDP, .dport = 53 }, s_protect_udp_other,
	  PASS, R(ALLOWED) },
	{ "arp is not ip", { .ethertype = FR_ETH_P_ARP }, s_none, PASS, R(NOT_IP) },
	{ "unknown ethertype is not ip", { .ethertype = 0x88CC }, s_none, PASS, R(NOT_IP) },
	{ "v4 icmp not protected", { V4, .proto = IPPROTO_ICMP }, s_deny_exact,
	  PASS, R(NOT_PROTECTED) },
	{ "vlan 802.1Q v4 deny", { V4, .vlans = 1 }, s_deny_exact, DROP, R(DENY) },
	{ "qinq 802.1ad+802.1Q v6 deny", { V6, .vlans = 2 }, s_deny_exact, DROP, R(DENY) },
	{ "qinq v4 allowed", { V4, .vlans = 2 }, s_none, PASS, R(ALLOWED) },
	{ "three vlan tags walked, deny", { V4, .vlans = 3 }, s_deny_exact, DROP, R(DENY) },
	{ "eight vlan tags walked, v6 deny", { V6, .vlans = 8 }, s_deny_exact, DROP, R(DENY) },
	{ "eight vlan tags walked, allowed", { V4, .vlans = 8 }, s_none, PASS, R(ALLOWED) },
	{ "nine vlan tags: past the bound, dropped", { V4, .vlans = 9 }, s_deny_exact, DROP,
	  R(MALFORMED), .flags = FX_NO_ADDR },
	{ "v4 options skipped, deny", { V4, .ihl = 8 }, s_deny_exact, DROP, R(DENY) },
	{ "v4 first fragment judged (deny)", { V4, .frag = 0x2000 }, s_deny_exact, DROP, R(DENY) },
	{ "v4 non-first fragment passes", { V4, .frag = 0x2000 | 185 }, s_deny_exact,
	  PASS, R(FRAGMENT), .flags = FX_NO_ADDR },
	{ "v4 last fragment passes", { V4, .frag = 185 }, s_deny_exact, PASS, R(FRAGMENT) },
	/* Tiny fragments (RFC 1858): tot_len holds 8 bytes of TCP, the rest of
	 * the frame is Ethernet padding whose bytes read as an ACK header. */
	{ "v4 tiny first fragment (8 bytes of tcp) dropped", { V4, SYN, .frag = 0x2000,
	  .tot_len = FR_IP4_LEN + 8 }, s_syn_src_empty, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v4 tiny first fragment, padding reads as ack: dropped", { V4, .frag = 0x2000,
	  .tot_len = FR_IP4_LEN + 8 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v4 first fragment, tcp options cut by tot_len: dropped", { V4, .frag = 0x2000,
	  .doff = 8, .tot_len = FR_IP4_LEN + 24 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v4 tcp fragment at offset 8 dropped", { V4, .frag = 1 }, s_none, DROP,
	  R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v4 udp fragment at offset 8 passes", { V4, UDP, .frag = 0x2000 | 1 }, s_none,
	  PASS, R(FRAGMENT) },
	{ "v4 tot_len short of the udp header dropped", { V4, UDP, .tot_len = FR_IP4_LEN + 4 },
	  s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v4 ethernet padding after tot_len ignored", { V4, .payload = 6,
	  .tot_len = FR_IP4_LEN + FR_TCP_LEN }, s_none, PASS, R(ALLOWED) },
	{ "v4 syn padded: still a syn (source bucket empty)", { V4, SYN, .payload = 6,
	  .tot_len = FR_IP4_LEN + FR_TCP_LEN }, s_syn_src_empty, DROP, R(SYN_SOURCE) },
	{ "v6 tiny first fragment dropped", { V6, SYN, .n_ext = 1, .ext = { FR_NEXTHDR_FRAGMENT },
	  .v6_frag_off = 1, .tot_len = FR_EXT_LEN + 8 }, s_syn_src_empty, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v6 tcp fragment at offset 8 dropped", { V6, .n_ext = 1,
	  .ext = { FR_NEXTHDR_FRAGMENT }, .v6_frag_off = 1 << 3 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v6 payload_len short of the tcp header dropped", { V6, .tot_len = 12 }, s_none,
	  DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v6 payload_len short of an extension header dropped", { V6, .n_ext = 1,
	  .ext = { FR_NEXTHDR_HOP }, .tot_len = 4 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v6 payload_len 0 (jumbo): frame length used", { V6, .tot_len = FR_LEN_ZERO }, s_none,
	  PASS, R(ALLOWED) },
	{ "v6 fragment header, first fragment judged", { V6, .n_ext = 1,
	  .ext = { FR_NEXTHDR_FRAGMENT }, .v6_frag_off = 1 }, s_deny_exact, DROP, R(DENY) },
	{ "v6 fragment header, non-first passes", { V6, .n_ext = 1,
	  .ext = { FR_NEXTHDR_FRAGMENT }, .v6_frag_off = 100 << 3 }, s_deny_exact,
	  PASS, R(FRAGMENT) },
	{ "v6 hop-by-hop walked, deny", { V6, .n_ext = 1, .ext = { FR_NEXTHDR_HOP } },
	  s_deny_exact, DROP, R(DENY) },
	{ "v6 hop-by-hop 24 bytes walked, deny", { V6, .n_ext = 1, .ext = { FR_NEXTHDR_HOP },
	  .ext_hdrlen = 2 }, s_deny_exact, DROP, R(DENY) },
	{ "v6 hop+dst+routing+frag+dst walked, udp deny", { V6, UDP, .n_ext = 5,
	  .ext = { FR_NEXTHDR_HOP, FR_NEXTHDR_DEST, FR_NEXTHDR_ROUTING, FR_NEXTHDR_FRAGMENT,
		   FR_NEXTHDR_DEST } }, s_deny_exact, DROP, R(DENY) },
	{ "v6 six extension headers: past the bound, dropped", { V6, .n_ext = 6,
	  .ext = { FR_NEXTHDR_HOP, FR_NEXTHDR_DEST, FR_NEXTHDR_ROUTING, FR_NEXTHDR_DEST,
		   FR_NEXTHDR_DEST, FR_NEXTHDR_DEST } }, s_deny_exact, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "v6 esp -> v6_ext", { V6, .proto = FR_NEXTHDR_ESP }, s_deny_exact, PASS, R(V6_EXT) },
	{ "v6 hop then ah -> v6_ext", { V6, .proto = FR_NEXTHDR_AH, .n_ext = 1,
	  .ext = { FR_NEXTHDR_HOP } }, s_deny_exact, PASS, R(V6_EXT) },
	{ "v6 icmpv6 not protected", { V6, .proto = FR_NEXTHDR_ICMP }, s_deny_exact,
	  PASS, R(NOT_PROTECTED) },

	/* Truncation at every layer (a frame under 14 bytes cannot be fed in). */
	{ "truncated: ethernet header only (ipv4 missing)", { V4, .cut = L2 }, s_none,
	  DROP, R(MALFORMED), .flags = FX_NO_ADDR | FX_XDP_ONLY },
	{ "truncated: vlan tag", { V4, .vlans = 1, .cut = L2 + 2 }, s_none, PASS, R(NOT_IP) },
	{ "truncated: inner qinq tag", { V4, .vlans = 2, .cut = L2 + 6 }, s_none, PASS, R(NOT_IP) },
	{ "truncated: ipv4 header", { V4, .cut = L2 + 10 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR | FX_XDP_ONLY },
	{ "truncated: ipv4 options", { V4, .ihl = 15, .cut = L3V4 + 10 }, s_none,
	  DROP, R(MALFORMED), .flags = FX_NO_ADDR },
	{ "truncated: ipv6 header", { V6, .cut = L2 + 20 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR | FX_XDP_ONLY },
	{ "truncated: ipv6 extension header", { V6, .n_ext = 1, .ext = { FR_NEXTHDR_HOP },
	  .cut = L3V6 + 1 }, s_none, DROP, R(MALFORMED), .flags = FX_NO_ADDR },
	{ "truncated: ipv6 extension header body", { V6, .n_ext = 1, .ext = { FR_NEXTHDR_DEST },
	  .ext_hdrlen = 1, .cut = L3V6 + 12 }, s_none, DROP, R(MALFORMED), .flags = FX_NO_ADDR },
	{ "truncated: ipv6 fragment header", { V6, .n_ext = 1, .ext = { FR_NEXTHDR_FRAGMENT },
	  .cut = L3V6 + 6 }, s_none, DROP, R(MALFORMED), .flags = FX_NO_ADDR },
	{ "truncated: tcp header v4", { V4, .cut = L3V4 + 10 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "truncated: tcp header v6", { V6, .cut = L3V6 + 19 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "truncated: tcp options", { V4, .doff = 10, .cut = L3V4 + 24 }, s_none,
	  DROP, R(MALFORMED), .flags = FX_NO_ADDR },
	{ "truncated: udp header", { V4, UDP, .cut = L3V4 + 4 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "truncated: udp header v6", { V6, UDP, .cut = L3V6 + 7 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "malformed: ipv4 ihl 4", { V4, .ihl = 4 }, s_none, DROP, R(MALFORMED), .flags = FX_NO_ADDR },
	{ "malformed: ipv4 version 5", { V4, .ip_version = 5 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "malformed: ipv4 tot_len < ihl*4", { V4, .ihl = 6, .tot_len = 20 }, s_none,
	  DROP, R(MALFORMED), .flags = FX_NO_ADDR },
	{ "malformed: ipv6 version 4", { V6, .ip_version = 4 }, s_none, DROP, R(MALFORMED),
	  .flags = FX_NO_ADDR },
	{ "malformed: tcp doff 4", { V4, .doff = 4, .payload = 40 }, s_none, DROP, R(MALFORMED), .flags = FX_NO_ADDR },
	{ "malformed: tcp doff 1 v6", { V6, .doff = 1, .payload = 40 }, s_none, DROP,
	  R(MALFORMED), .flags = FX_NO_ADDR },

	/* Source: deny list. */
	{ "deny exact v4 (forever)", { V4 }, s_deny_exact, DROP, R(DENY), .check = check_unchanged },
	{ "deny exact v6", { V6 }, s_deny_exact, DROP, R(DENY) },
	{ "deny exact with deadline ahead", { V4, UDP }, s_deny_exact_deadline, DROP, R(DENY) },
	{ "deny expired (block_until passed) passes", { V4 }, s_deny_expired, PASS, R(ALLOWED) },
	{ "deny prefix v4 /24", { V4, .src = "198.18.0.77" }, s_deny_prefix, DROP, R(DENY) },
	{ "deny prefix v6 /64", { V6, .src = "2001:db8::beef" }, s_deny_prefix, DROP, R(DENY) },
	{ "prefixes /8 /15 /23 /30: the longest holding v4 decides", { V4, .src = "198.18.0.77" },
	  s_prefix_longest, PASS, R(ALLOWED), .agent = AG_SOURCE },
	{ "prefixes /20 /52 /127: the longest holding v6 decides", { V6, .src = "2001:db8::beef" },
	  s_prefix_longest, PASS, R(ALLOWED), .agent = AG_SOURCE },
	{ "9+ lengths v4: the trie decides, the longest holding", { V4, .src = "198.18.0.77" },
	  s_prefix_many_lengths, PASS, R(ALLOWED), .agent = AG_SOURCE, .flags = FX_FALLBACK },
	{ "9+ lengths v6: the trie decides, the longest holding", { V6, .src = "2001:db8::beef" },
	  s_prefix_many_lengths, PASS, R(ALLOWED), .agent = AG_SOURCE, .flags = FX_FALLBACK },
	{ "few lengths v4: hash probes decide, not the trie", { V4 }, s_prefix_trie_only,
	  PASS, R(ALLOWED), .flags = FX_FALLBACK },
	{ "few lengths v6: hash probes decide, not the trie", { V6 }, s_prefix_trie_only,
	  PASS, R(ALLOWED), .flags = FX_FALLBACK },
	{ "deny prefix v4 /27 inside an identity /16", { V4, .src = "198.18.0.17" },
	  s_prefix_longest_deny, DROP, R(DENY) },
	{ "deny prefix v6 /97 inside an identity /32", { V6, .src = "2001:db8::7f:1" },
	  s_prefix_longest_deny, DROP, R(DENY) },
	{ "deny miss v4", { V4 }, s_deny_miss, PASS, R(ALLOWED) },
	{ "deny miss v6", { V6 }, s_deny_miss, PASS, R(ALLOWED) },
	{ "deny entry skipped when n_exact_v4 is 0", { V4 }, s_deny_ungated, PASS, R(ALLOWED) },
	{ "deny entry skipped when n_exact_v6 is 0", { V6 }, s_deny_ungated, PASS, R(ALLOWED) },
	{ "deny exact v4, filter not armed: probed anyway", { V4 }, s_deny_exact_unarmed,
	  DROP, R(DENY) },
	{ "deny exact v6, filter not armed: probed anyway", { V6 }, s_deny_exact_unarmed,
	  DROP, R(DENY) },
	{ "miss v4 sharing a denied address's filter bit passes", { V4 }, s_deny_collision,
	  PASS, R(ALLOWED) },
	{ "miss v6 sharing a denied address's filter bit passes", { V6 }, s_deny_collision,
	  PASS, R(ALLOWED) },

	/* Agents: ban, RST, budgets. */
	{ "tagged agent allowed, counted", { V4, .payload = 100 }, s_tag_plain, PASS, R(ALLOWED),
	  .agent = AG_TAGGED },
	{ "tagged agent banned", { V4 }, s_tag_banned, DROP, R(BANNED), .agent = AG_TAGGED,
	  .check = check_unchanged },
	{ "tagged agent banned v6 udp", { V6, UDP }, s_tag_banned, DROP, R(BANNED),
	  .agent = AG_TAGGED },
	{ "tag of a banned agent unseen while n_conn_tags_v4 is 0", { V4 }, s_tag_banned_uncounted,
	  PASS, R(ALLOWED) },
	{ "tag of a banned agent unseen while n_conn_tags_v6 is 0", { V6 }, s_tag_banned_uncounted,
	  PASS, R(ALLOWED) },
	{ "tcp tag does not tag udp, v4", { V4, UDP }, s_tag_other_proto, PASS, R(ALLOWED) },
	{ "udp tag does not tag tcp, v6", { V6 }, s_tag_other_proto, PASS, R(ALLOWED) },
	{ "tagged agent banned until a deadline", { V4 }, s_tag_banned_deadline, DROP, R(BANNED),
	  .agent = AG_TAGGED },
	{ "tagged agent ban expired passes", { V4 }, s_tag_ban_expired, PASS, R(ALLOWED),
	  .agent = AG_TAGGED },
	{ "banned with RST: v4 ack+payload -> RST seq=ack", { V4, .payload = 100,
	  .seq = 111111, .ack = 222222 }, s_tag_banned_rst, RST, R(BANNED), .agent = AG_TAGGED,
	  .check = check_rst_frame },
	{ "banned with RST: v4 tcp options+payload trimmed", { V4, .doff = 8, .payload = 300,
	  .tcp_flags = FR_TCP_PSH | FR_TCP_FIN, .seq = 0xFFFFFF00 }, s_tag_banned_rst, RST,
	  R(BANNED), .agent = AG_TAGGED, .check = check_rst_frame },
	{ "banned with RST: v6 fin+payload -> ack=seq+len+1", { V6, .payload = 10,
	  .tcp_flags = FR_TCP_FIN | FR_TCP_PSH, .seq = 77 }, s_tag_banned_rst, RST, R(BANNED),
	  .agent = AG_TAGGED, .check = check_rst_frame },
	{ "banned with RST: v6 ack", { V6, .ack = 0xDEADBEEF }, s_tag_banned_rst, RST, R(BANNED),
	  .agent = AG_TAGGED, .check = check_rst_frame },
	{ "banned with RST: vlan v4 keeps tags", { V4, .vlans = 1, .payload = 5 },
	  s_tag_banned_rst, RST, R(BANNED), .agent = AG_TAGGED, .check = check_rst_frame },
	{ "banned with RST: qinq v6 syn via prefix identity", { V6, .vlans = 2, SYN,
	  .seq = 4242 }, s_prefix_agent_banned_rst, RST, R(BANNED), .agent = AG_SOURCE,
	  .check = check_rst_frame },
	{ "banned with RST: v4 syn -> ack=seq+1", { V4, SYN, .seq = 9 }, s_prefix_agent_banned_rst,
	  RST, R(BANNED), .agent = AG_SOURCE, .check = check_rst_frame },
	{ "banned with RST: incoming RST is dropped", { V4, .tcp_flags = FR_TCP_RST },
	  s_tag_banned_rst, DROP, R(BANNED), .agent = AG_TAGGED, .check = check_unchanged },
	{ "banned with RST: ipv4 options -> drop", { V4, .ihl = 6 }, s_tag_banned_rst,
	  DROP, R(BANNED), .agent = AG_TAGGED, .check = check_unchanged },
	{ "banned with RST: v6 extension header -> drop", { V6, .n_ext = 1,
	  .ext = { FR_NEXTHDR_HOP } }, s_tag_banned_rst, DROP, R(BANNED), .agent = AG_TAGGED },
	{ "banned with RST: udp -> drop", { V4, UDP }, s_tag_banned_rst, DROP, R(BANNED),
	  .agent = AG_TAGGED },
	{ "over packet budget", { V4 }, s_tag_pkt_empty, DROP, R(PKT_BUDGET), .agent = AG_TAGGED,
	  .check = check_pkt_budget_undone },
	{ "over byte budget", { V4, .payload = 500 }, s_tag_byte_empty, DROP, R(BYTE_BUDGET),
	  .agent = AG_TAGGED },
	{ "bigger than the byte burst: passes a full bucket, costs the burst",
	  { V4, .payload = 500 }, s_tag_byte_over_burst, PASS, R(ALLOWED), .agent = AG_TAGGED,
	  .check = check_byte_charged_burst },
	{ "within packet and byte budget, buckets charged", { V4, .payload = 200 },
	  s_tag_within_budget, PASS, R(ALLOWED), .agent = AG_TAGGED,
	  .check = check_budgets_charged },
	{ "source-identity agent (untagged) banned", { V4 }, s_source_agent_banned, DROP,
	  R(BANNED), .agent = AG_SOURCE },
	{ "source-identity agent banned, syn", { V6, SYN }, s_source_agent_banned, DROP,
	  R(BANNED), .agent = AG_SOURCE },
	{ "tag wins over source identity", { V4 }, s_tag_overrides_source, PASS, R(ALLOWED),
	  .agent = AG_TAGGED },
	{ "syn skips tags: source identity applies", { V4, SYN }, s_tag_overrides_source, DROP,
	  R(BANNED), .agent = AG_SOURCE },
	{ "tag of the last agent id, banned", { V4 }, s_tag_last_agent_banned, DROP, R(BANNED),
	  .agent = AG_LAST },
	{ "tag with agent id out of range ignored", { V4 }, s_tag_bad_agent, PASS, R(ALLOWED) },
	{ "tag of a free agent slot ignored", { V4 }, s_tag_inactive_agent, PASS, R(ALLOWED) },

	/* SYN buckets. */
	{ "syn source bucket empty", { V4, SYN }, s_syn_src_empty, DROP, R(SYN_SOURCE),
	  .check = check_syn_src_untouched },
	{ "syn source bucket refilled", { V4, SYN }, s_syn_src_full, PASS, R(ALLOWED),
	  .check = check_syn_src_charged },
	{ "syn source fresh bucket created full", { V4, SYN }, s_syn_src_fresh, PASS, R(ALLOWED),
	  .check = check_syn_src_charged },
	{ "syn source v6 /64 shares the bucket", { V6, SYN, .src = "2001:db8::99" },
	  s_syn_src_v6_64, DROP, R(SYN_SOURCE) },
	{ "syn source v6 other /64 unaffected", { V6, SYN, .src = "2001:db8:0:1::99" },
	  s_syn_src_v6_64, PASS, R(ALLOWED) },
	{ "syn source v6: /64, /56 and /48 charged", { V6, SYN }, s_syn_src_fresh, PASS,
	  R(ALLOWED), .check = check_syn_src_charged },
	{ "syn source v6: /48 empty drops, /64 and /56 refunded", { V6, SYN },
	  s_syn_src_v6_48_empty, DROP, R(SYN_SOURCE), .check = check_syn_v6_refunded },
	{ "syn source limit off (interval 0)", { V4, SYN }, s_syn_src_off, PASS, R(ALLOWED) },
	{ "syn+ack is not a syn: no syn buckets", { V4, .tcp_flags = FR_TCP_SYN | FR_TCP_ACK },
	  s_syn_src_empty, PASS, R(ALLOWED) },
	{ "udp is not a syn: no syn buckets", { V4, UDP }, s_syn_src_empty, PASS, R(ALLOWED) },
	{ "agent syn bucket empty", { V4, SYN }, s_syn_agent_empty, DROP, R(SYN_AGENT),
	  .agent = AG_SOURCE },
	{ "agent syn bucket refilled", { V6, SYN }, s_syn_agent_full, PASS, R(ALLOWED),
	  .agent = AG_SOURCE, .check = check_syn_agent_charged },
	{ "syn source checked before agent syn", { V4, SYN }, s_syn_both_empty, DROP,
	  R(SYN_SOURCE), .agent = AG_SOURCE },

	/* Monitor mode and the event budget. */
	{ "monitor: deny would-drop passes", { V4 }, s_monitor_deny, DROP, R(DENY),
	  .monitored = true },
	{ "monitor: banned RST would-drop passes unchanged", { V4 }, s_monitor_banned_rst, RST,
	  R(BANNED), .monitored = true, .agent = AG_TAGGED, .check = check_unchanged },
	{ "monitor: malformed would-drop passes", { V4, .ihl = 3 }, s_monitor, DROP,
	  R(MALFORMED), .monitored = true, .flags = FX_NO_ADDR },
	{ "monitor: allowed stays allowed", { V4 }, s_monitor, PASS, R(ALLOWED) },
	{ "events_per_sec 0: drop without event", { V4 }, s_no_events, DROP, R(DENY),
	  .flags = FX_SUPPRESSED },
};

/* --- running the table ---------------------------------------------------------- */

/* The verdict the hook judges: TC cannot send RSTs and drops instead. */
static __u32 judged_verdict(const struct fixture *fx, bool tc)
{
	return tc && fx->verdict == SL_VERDICT_RST ? SL_VERDICT_DROP : fx->verdict;
}

/* The verdict that takes effect, after monitor mode. */
static __u32 final_verdict(const struct fixture *fx, bool tc)
{
	return fx->monitored ? SL_VERDICT_PASS : judged_verdict(fx, tc);
}

static __u32 xdp_action_of(__u32 verdict)
{
	return verdict == SL_VERDICT_RST ? XDP_TX :
	       verdict == SL_VERDICT_DROP ? XDP_DROP : XDP_PASS;
}

static void expected_stats(const struct fixture *fx, bool tc, __u64 want[SL_STAT_MAX])
{
	bool event = fx->verdict != SL_VERDICT_PASS;

	memset(want, 0, SL_STAT_MAX * sizeof(__u64));
	want[SL_STAT_PASS + final_verdict(fx, tc)] = 1;
	want[sl_reason_stat(fx->reason)] = 1;
	if (fx->monitored)
		want[SL_STAT_MONITOR] = 1;
	if (event)
		want[fx->flags & FX_SUPPRESSED ? SL_STAT_EVENTS_SUPPRESSED : SL_STAT_EVENTS_SENT] = 1;
}

static void check_event(const struct fixture *fx, const struct run *r, bool tc)
{
	struct frame_spec s = frame_defaults(fx->in);
	const struct sl_event *e = &events[0];
	__u32 verdict = judged_verdict(fx, tc);
	__u32 flags = (fx->monitored ? SL_EV_F_MONITOR : 0) | (tc ? SL_EV_F_TC : 0);
	__u32 saddr[4];

	CHECK(e->verdict == verdict && e->reason == fx->reason, "event verdict %u reason %u",
	      e->verdict, e->reason);
	CHECK(e->flags == flags, "event flags %#x, want %#x", e->flags, flags);
	CHECK(e->agent_id == fx->agent, "event agent %u, want %u", e->agent_id, fx->agent);
	CHECK(e->pkt_len == r->in_len && e->suppressed == 0, "event len %u suppressed %u",
	      e->pkt_len, e->suppressed);
	CHECK(e->ts_ns >= r->t_before && e->ts_ns <= r->t_after + SL_NSEC_PER_SEC,
	      "event ts %llu out of the run's time", (unsigned long long)e->ts_ns);
	if (fx->flags & FX_NO_ADDR)
		return;
	frame_addr(s.family, s.src, saddr);
	CHECK(e->family == s.family && e->proto == s.proto, "event family %u proto %u",
	      e->family, e->proto);
	CHECK(ntohs(e->sport) == s.sport && ntohs(e->dport) == s.dport, "event ports %u %u",
	      ntohs(e->sport), ntohs(e->dport));
	CHECK(!memcmp(e->saddr, saddr, sizeof(saddr)), "event source address");
}

static void check_agent_counters(const struct fixture *fx, const struct run *r, bool tc)
{
	struct frame_spec s = frame_defaults(fx->in);
	bool syn = s.proto == IPPROTO_TCP && (s.tcp_flags & (FR_TCP_SYN | FR_TCP_ACK)) == FR_TCP_SYN;
	bool dropped = final_verdict(fx, tc) != SL_VERDICT_PASS;

	if (!fx->agent)
		return;
	CHECK(r->agent.rx_packets == 1 && r->agent.rx_bytes == r->in_len,
	      "agent rx %llu pkts %llu bytes", (unsigned long long)r->agent.rx_packets,
	      (unsigned long long)r->agent.rx_bytes);
	CHECK(r->agent.drops == dropped && r->agent.syns == syn, "agent drops %llu syns %llu",
	      (unsigned long long)r->agent.drops, (unsigned long long)r->agent.syns);
}

static void run_fixture(const struct fixture *fx, bool tc)
{
	struct bpf_program *prog = tc ? skel->progs.sluice_tc_ingress : skel->progs.sluice_xdp;
	__u32 verdict = final_verdict(fx, tc);
	bool event = fx->verdict != SL_VERDICT_PASS;
	static struct run r;
	__u64 want[SL_STAT_MAX];
	__u32 action;

	memset(&r, 0, sizeof(r));
	reset_maps();
	fx->setup(fx);
	if (dir_mode)
		CHECK(use_dir() == 0, "cannot build the source directory");
	write_config();
	r.in_len = (__u32)frame_build(&fx->in, r.in);
	run_measured(prog, &r, fx->agent, 1);
	CHECK(r.err == 0, "BPF_PROG_TEST_RUN: %s", strerror(-r.err));
	/* A TC pass is UNSPEC: OK would end the hook's filter list. */
	action = tc ? (verdict == SL_VERDICT_PASS ? (__u32)TC_ACT_UNSPEC : TC_ACT_SHOT) :
		      xdp_action_of(verdict);
	CHECK(r.retval == action, "action %u, want %u", r.retval, action);
	expected_stats(fx, tc, want);
	check_stat_deltas(&r, want);
	if (event && !(fx->flags & FX_SUPPRESSED)) {
		CHECK(n_events == 1, "%zu events, want 1", n_events);
		if (n_events == 1)
			check_event(fx, &r, tc);
	} else {
		CHECK(n_events == 0, "%zu events, want none", n_events);
	}
	check_agent_counters(fx, &r, tc);
	if (fx->check)
		fx->check(fx, &r, tc);
}

/* Whether @fx's setup writes any prefix (a directory run would differ). */
static bool has_prefixes(const struct fixture *fx)
{
	bool any;

	reset_maps();
	fx->setup(fx);
	any = dir_tab.n > 0;
	reset_maps();
	return any;
}

static void run_table_as(const char *how)
{
	char name[256];

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		if (dir_mode && (fixtures[i].flags & FX_FALLBACK || !has_prefixes(&fixtures[i])))
			continue;
		snprintf(name, sizeof(name), "xdp%s: %s", how, fixtures[i].name);
		TEST_CASE(name)
			run_fixture(&fixtures[i], false);
		if (fixtures[i].flags & FX_XDP_ONLY)
			continue;
		snprintf(name, sizeof(name), "tc ingress%s: %s", how, fixtures[i].name);
		TEST_CASE(name)
			run_fixture(&fixtures[i], true);
	}
}

static void run_table(void)
{
	run_table_as("");
	dir_mode = true;
	run_table_as(", directory");
	dir_mode = false;
}

/* --- cases beyond the table ------------------------------------------------------ */

/* One of test_dir_random's prefixes, masked, with whether it denies. */
struct rnd_prefix {
	int family;
	__u32 addr[4];
	__u32 len;
	bool deny;
};

static bool rnd_contains(const struct rnd_prefix *p, int family, const __u32 *addr)
{
	if (p->family != family)
		return false;
	for (__u32 w = 0, left = p->len; w < 4 && left; w++) {
		__u32 bits = left >= 32 ? 32 : left;
		__u32 mask = bits == 32 ? ~0U : ~0U << (32 - bits);

		if ((ntohl(addr[w]) & mask) != ntohl(p->addr[w]))
			return false;
		left -= bits;
	}
	return true;
}

/* The deny of the longest prefix containing @addr: -1 none, 0 allow, 1 deny. */
static int rnd_expect(const struct rnd_prefix *v, size_t n, int family, const __u32 *addr)
{
	int best_len = -1, deny = -1;

	for (size_t i = 0; i < n; i++)
		if ((int)v[i].len > best_len && rnd_contains(&v[i], family, addr)) {
			best_len = (int)v[i].len;
			deny = v[i].deny;
		}
	return deny;
}

/* A random address under @base (network order) with @fixed leading bits kept. */
static void rnd_addr(int family, const __u32 *base, __u32 fixed, __u32 *out)
{
	for (int w = 0; w < 4; w++) {
		__u32 r = (__u32)rand() << 16 ^ (__u32)rand(), keep;
		int bits = (int)fixed - 32 * w;

		keep = bits <= 0 ? 0 : bits >= 32 ? ~0U : ~0U << (32 - bits);
		out[w] = family == 4 && w ? 0 : htonl((ntohl(base[w]) & keep) | (r & ~keep));
	}
}

static __u32 xdp_verdict_of(int family, const __u32 *addr)
{
	char text[INET6_ADDRSTRLEN];
	struct frame_spec spec = { .family = (__u8)family, .src = text };
	__u8 frame[FR_MAX], out[FR_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_out = out,
		    .data_size_out = sizeof(out));

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
	opts.data_size_in = (__u32)frame_build(&spec, frame);
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.sluice_xdp), &opts))
		return ~0U;
	return opts.retval;
}

/*
 * A half whose sequence number is odd is being rewritten: a walk does not
 * trust it and asks the hashes and trie.  Here the two disagree on purpose
 * (the directory denies 198.18.0.0/24, the hash and trie allow it), and
 * the directory's one leaf is the first of half 0 (index 0, entry 1).
 */
static void test_dir_seq(void)
{
	struct sl_prefix pfx = { .family = SL_AF_INET, .prefixlen = 24,
				 .addr = { htonl(0xC6120000) } };
	struct srctab t = {};
	struct srcdir d = {};
	__u32 addr[4], half = 0, seq = 0;
	int err;

	reset_maps();
	add_prefix("198.18.0.0", 24, 0, 0);
	srctab_add_value(&t, &pfx, &(struct sl_src_value){ .eff_deny_until_ns = SL_FOREVER });
	err = srcdir_build(&d, &t, 0);
	if (!err)
		err = srcdir_write(&d, &dir_fds);
	cfg.flags |= srcdir_flags(&d);
	write_config();
	frame_addr(4, "198.18.0.7", addr);
	TEST_CASE("directory: a half being rewritten (odd sequence number) is not read; the "
		  "hashes and trie answer") {
		CHECK(err == 0, "build: %d", err);
		CHECK(xdp_verdict_of(4, addr) == XDP_DROP, "the directory's deny (half 0, leaf 0)");
		bpf_map_lookup_elem(dir_fds.seq, &half, &seq);
		seq |= 1;
		bpf_map_update_elem(dir_fds.seq, &half, &seq, BPF_ANY);
		CHECK(xdp_verdict_of(4, addr) == XDP_PASS, "odd: the hash's allow");
		seq++;
		bpf_map_update_elem(dir_fds.seq, &half, &seq, BPF_ANY);
		CHECK(xdp_verdict_of(4, addr) == XDP_DROP, "even again: the directory");
	}
	srcdir_free(&d);
	srctab_free(&t);
	reset_maps();
}

/*
 * Random tables of nested prefixes at every length, both families: the
 * directory (built in userspace, walked by the program) answers every
 * address as the longest-match model does, and as the trie does.  Half the
 * addresses lie inside a random prefix, so nesting is exercised deeply.
 */
static void test_dir_random(__u32 min4, __u32 min6, const char *name)
{
	enum { N_PFX = 600, N_ADDR = 3000 };
	static struct rnd_prefix v[N_PFX];
	static struct rnd_probe {
		int family, want;
		__u32 addr[4];
	} probes[N_ADDR];
	__u32 base4[4], base6[4];
	struct srcdir d = {};
	char text[INET6_ADDRSTRLEN];
	int wrong_model = 0, wrong_dir = 0, wrong_trie = 0, built;

	srand(20261203);
	frame_addr(4, "198.18.0.0", base4);
	frame_addr(6, "2001:db8::", base6);
	reset_maps();
	for (int i = 0; i < N_PFX; i++) {
		struct rnd_prefix *p = &v[i];

		p->family = i % 2 ? 6 : 4;
		/* Mostly under the base (/15, /32), so prefixes nest. */
		p->len = p->family == 4 ? min4 + (__u32)rand() % (32 - min4) :
					  min6 + (__u32)rand() % (128 - min6);
		rnd_addr(p->family, p->family == 4 ? base4 : base6, p->family == 4 ? 15 : 32,
			 p->addr);
		for (__u32 w = 0, left = p->len; w < 4; w++) {
			__u32 bits = left >= 32 ? 32 : left;

			p->addr[w] = bits ? htonl(ntohl(p->addr[w]) & (bits == 32 ? ~0U :
						  ~0U << (32 - bits))) : 0;
			left -= bits;
		}
		for (int j = 0; j < i; j++)	/* one value per prefix: redraw a repeat */
			if (v[j].family == p->family && v[j].len == p->len &&
			    !memcmp(v[j].addr, p->addr, sizeof(p->addr))) {
				i--;
				goto next;
			}
		p->deny = rand() % 2;
		inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, text, sizeof(text));
		add_prefix(text, p->len, p->deny ? SL_FOREVER : 0, 0);
next:;
	}
	write_config();
	built = srcdir_build(&d, &dir_tab, 1);
	TEST_CASE(name) {
		CHECK(built == 0 && d.fits[0] && d.fits[1], "build %d, fits %d %d", built,
		      d.fits[0], d.fits[1]);
		for (int i = 0; i < N_ADDR && built == 0; i++) {
			int family = i % 2 ? 6 : 4;
			const struct rnd_prefix *p = &v[(size_t)rand() % N_PFX];
			const struct sl_src_value *got;
			struct rnd_probe *a = &probes[i];

			a->family = family;
			if (i % 4 < 2 && p->family == family)
				rnd_addr(family, p->addr, p->len, a->addr);
			else	/* under the base, or (one in four) anywhere */
				rnd_addr(family, family == 4 ? base4 : base6,
					 i % 4 == 3 ? 0 : family == 4 ? 15 : 32, a->addr);
			a->want = rnd_expect(v, N_PFX, family, a->addr);
			got = srcdir_lookup(&d, family == 4 ? SL_AF_INET : SL_AF_INET6, a->addr);
			wrong_model += a->want < 0 ? got != NULL :
				       !got || (got->eff_deny_until_ns != 0) != a->want;
			wrong_trie += xdp_verdict_of(family, a->addr) !=
				      (a->want == 1 ? XDP_DROP : XDP_PASS);
		}
		/* The walk alone: hashes and tries emptied, the directory live. */
		CHECK(srcdir_write(&d, &dir_fds) == 0, "write");
		delete_all(skel->maps.sl_src_v4);
		delete_all(skel->maps.sl_src_v6);
		delete_all(skel->maps.sl_src_lpm_v4);
		delete_all(skel->maps.sl_src_lpm_v6);
		cfg.flags |= srcdir_flags(&d);
		write_config();
		for (int i = 0; i < N_ADDR && built == 0; i++)
			wrong_dir += xdp_verdict_of(probes[i].family, probes[i].addr) !=
				     (probes[i].want == 1 ? XDP_DROP : XDP_PASS);
		CHECK(wrong_model == 0, "the built directory differs from the model %d times",
		      wrong_model);
		CHECK(wrong_trie == 0, "the trie differs from the model %d times", wrong_trie);
		CHECK(wrong_dir == 0, "the program's walk differs from the model %d times",
		      wrong_dir);
	}
	srcdir_free(&d);
	reset_maps();
}

struct flooder {
	int cpu;
	__u32 repeat;
	struct run run;
};

static void *flood_on_cpu(void *arg)
{
	struct flooder *f = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(f->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	run_prog(skel->progs.sluice_xdp, &f->run, f->repeat);
	return NULL;
}

/* Runs @repeat denied frames on each of the first two CPUs at once. */
static void flood_two_cpus(struct flooder f[2], const struct frame_spec *spec, __u32 repeat)
{
	pthread_t threads[2];

	for (int i = 0; i < 2; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		f[i].cpu = i;
		f[i].repeat = repeat;
		f[i].run.in_len = (__u32)frame_build(spec, f[i].run.in);
		pthread_create(&threads[i], NULL, flood_on_cpu, &f[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
}

/* Sum over CPUs of the suppressed events not yet folded into an event. */
static __u64 pending_folds(void)
{
	__u64 sum;

	percpu_sum(skel->maps.sl_evfold, 0, &sum, 1);
	return sum;
}

/*
 * A flood of drops on two CPUs yields at most events_per_sec events in all
 * (the budget is one for all CPUs, not one per CPU); the rest is counted and
 * folded into the next event each CPU sends once a new window opens.
 */
static void test_events_summarised(void)
{
	const struct frame_spec spec = { V4 };
	const __u32 limit = 5, flood = 200;
	struct sl_event_limiter old_window = { .window_sent = 1ULL << 32 | limit };
	__u64 before[SL_STAT_MAX], after[SL_STAT_MAX], folded, t0, t1;
	static struct flooder f[2];
	pthread_t thread;
	__u32 zero = 0, budget;

	TEST_CASE("events: one budget for all CPUs, the rest summarised") {
		CHECK(ncpu >= 2, "needs 2 CPUs, have %d", ncpu);
		reset_maps();
		add_exact("198.18.0.10", SL_FOREVER, 0);
		cfg.events_per_sec = limit;
		write_config();
		read_stats(before);
		t0 = sl_now_ns() - CLOCK_SLACK_NS;
		flood_two_cpus(f, &spec, flood);
		t1 = sl_now_ns();
		read_stats(after);
		n_events = 0;
		ring_buffer__consume(ring);
		/* Windows are whole seconds of the clock: a flood that straddles
		 * a second's end has two budgets (it rarely does: it lasts ms). */
		budget = limit * (__u32)(t1 / SL_EV_WINDOW_NS_TEST - t0 / SL_EV_WINDOW_NS_TEST + 1);
		CHECK(f[0].run.err == 0 && f[1].run.err == 0, "runs failed");
		CHECK(after[SL_STAT_DENY] - before[SL_STAT_DENY] == 2 * flood, "drops %llu",
		      (unsigned long long)(after[SL_STAT_DENY] - before[SL_STAT_DENY]));
		CHECK(n_events <= budget && n_events >= 1,
		      "%zu events for %u drops on 2 CPUs, budget %u (%u a window)", n_events,
		      2 * flood, budget, limit);
		CHECK(after[SL_STAT_EVENTS_SENT] - before[SL_STAT_EVENTS_SENT] == n_events,
		      "sent %llu, ring had %zu",
		      (unsigned long long)(after[SL_STAT_EVENTS_SENT] - before[SL_STAT_EVENTS_SENT]),
		      n_events);
		folded = pending_folds();
		CHECK(after[SL_STAT_EVENTS_SUPPRESSED] - before[SL_STAT_EVENTS_SUPPRESSED] ==
		      2 * flood - n_events && folded == 2 * flood - n_events,
		      "suppressed %llu, folds pending %llu, want %zu",
		      (unsigned long long)(after[SL_STAT_EVENTS_SUPPRESSED] -
		      before[SL_STAT_EVENTS_SUPPRESSED]), (unsigned long long)folded,
		      2 * flood - n_events);

		/* A past window, spent: the next drop opens a new one and its event
		 * carries what this CPU folded. */
		bpf_map_update_elem(map_fd(skel->maps.sl_evlimit), &zero, &old_window, BPF_ANY);
		memset(&f[0], 0, sizeof(f[0]));
		f[0].repeat = 1;	/* on CPU 0, which folded drops above */
		f[0].run.in_len = (__u32)frame_build(&spec, f[0].run.in);
		pthread_create(&thread, NULL, flood_on_cpu, &f[0]);
		pthread_join(thread, NULL);
		n_events = 0;
		ring_buffer__consume(ring);
		CHECK(n_events == 1, "%zu events in the new window", n_events);
		CHECK(n_events == 1 && events[0].suppressed > 0 &&
		      events[0].suppressed + pending_folds() == folded,
		      "next event carries suppressed %u, %llu still pending, want %llu in all",
		      events[0].suppressed, (unsigned long long)pending_folds(),
		      (unsigned long long)folded);
	}
}

/* With nobody reading, the ring fills; further events are counted as lost. */
static void test_events_lost(void)
{
	const struct frame_spec spec = { V6 };
	const __u32 flood = 20000;	/* more than SL_RINGBUF_BYTES / 80-byte records */
	static struct run r;

	TEST_CASE("ring buffer full: events lost, counted") {
		reset_maps();
		add_exact("2001:db8::10", SL_FOREVER, 0);
		cfg.events_per_sec = 1000000;
		write_config();
		r.in_len = (__u32)frame_build(&spec, r.in);
		run_measured(skel->progs.sluice_xdp, &r, 0, flood);
		CHECK(r.err == 0 && r.retval == XDP_DROP, "run err %d action %u", r.err, r.retval);
		CHECK(r.stats[SL_STAT_EVENTS_LOST] > 0, "no event lost");
		CHECK(r.stats[SL_STAT_EVENTS_SENT] + r.stats[SL_STAT_EVENTS_LOST] == flood,
		      "sent %llu + lost %llu != %u", (unsigned long long)r.stats[SL_STAT_EVENTS_SENT],
		      (unsigned long long)r.stats[SL_STAT_EVENTS_LOST], flood);
		CHECK(n_events == r.stats[SL_STAT_EVENTS_SENT], "ring held %zu", n_events);
	}
}

/* GCRA under a repeat: a burst of 10 passes, then the bucket is empty. */
static void test_budget_burst(void)
{
	const struct frame_spec spec = { V4 };
	static struct run r;

	TEST_CASE("packet budget: burst of 10 then drops") {
		reset_maps();
		tag_conn(&spec, AG_TAGGED);
		put_agent(AG_TAGGED, &(struct sl_agent){ .pkt_interval_ns = HOUR_NS,
							 .pkt_burst_ns = 10 * HOUR_NS });
		write_config();
		r.in_len = (__u32)frame_build(&spec, r.in);
		run_measured(skel->progs.sluice_xdp, &r, AG_TAGGED, 25);
		CHECK(r.err == 0, "run err %d", r.err);
		CHECK(r.stats[SL_STAT_ALLOWED] == 10 && r.stats[SL_STAT_PKT_BUDGET] == 15,
		      "allowed %llu, over budget %llu", (unsigned long long)r.stats[SL_STAT_ALLOWED],
		      (unsigned long long)r.stats[SL_STAT_PKT_BUDGET]);
		CHECK(r.agent.rx_packets == 25 && r.agent.drops == 15, "agent rx %llu drops %llu",
		      (unsigned long long)r.agent.rx_packets, (unsigned long long)r.agent.drops);
	}
}

struct hammer {
	int cpu;
	__u32 repeat;
	struct run run;
};

static void *hammer_bucket(void *arg)
{
	struct hammer *h = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(h->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	run_prog(skel->progs.sluice_xdp, &h->run, h->repeat);
	return NULL;
}

/* Two CPUs charge one agent's bucket at once.  Refill is nil (1 h a
 * packet), so exactly the burst may pass however the CPUs interleave: a
 * lost update (plain store instead of cmpxchg) would admit more. */
static void test_budget_contended(void)
{
	const struct frame_spec spec = { V4 };
	const __u32 burst = 5000, repeat = 20000;
	static struct hammer h[2];
	__u64 before[SL_STAT_MAX], after[SL_STAT_MAX];
	pthread_t threads[2];

	TEST_CASE("packet budget under two-CPU contention admits exactly the burst") {
		CHECK(ncpu >= 2, "needs 2 CPUs, have %d", ncpu);
		reset_maps();
		tag_conn(&spec, AG_TAGGED);
		put_agent(AG_TAGGED, &(struct sl_agent){ .pkt_interval_ns = HOUR_NS,
							 .pkt_burst_ns = burst * HOUR_NS });
		write_config();
		read_stats(before);
		for (int i = 0; i < 2; i++) {
			h[i].cpu = i;
			h[i].repeat = repeat;
			h[i].run.in_len = (__u32)frame_build(&spec, h[i].run.in);
			pthread_create(&threads[i], NULL, hammer_bucket, &h[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(threads[i], NULL);
		read_stats(after);
		CHECK(h[0].run.err == 0 && h[1].run.err == 0, "runs failed");
		CHECK(after[SL_STAT_ALLOWED] - before[SL_STAT_ALLOWED] == burst,
		      "admitted %llu, burst %u", (unsigned long long)(after[SL_STAT_ALLOWED] -
		      before[SL_STAT_ALLOWED]), burst);
		CHECK(after[SL_STAT_PKT_BUDGET] - before[SL_STAT_PKT_BUDGET] == 2 * repeat - burst,
		      "over budget %llu", (unsigned long long)(after[SL_STAT_PKT_BUDGET] -
		      before[SL_STAT_PKT_BUDGET]));
		drain_events();
	}
}

/* One SYN from @src; returns the verdict's reason (or SL_REASON_MAX on error). */
static __u32 syn_from(const char *src)
{
	const struct frame_spec spec = { .family = (__u8)family_of(src), SYN, .src = src };
	static struct run r;
	__u32 reason = SL_REASON_MAX;

	r.in_len = (__u32)frame_build(&spec, r.in);
	run_measured(skel->progs.sluice_xdp, &r, 0, 1);
	if (r.err)
		return reason;
	for (__u32 i = 0; i < SL_REASON_MAX; i++)
		if (r.stats[sl_reason_stat(i)])
			reason = i;
	return reason;
}

/*
 * A spoofed flood of new sources cannot reset a limited source's bucket.
 * 600,000 distinct /64s, more than twice the 262,144 entries the per-source
 * LRU maps used to hold: an LRU evicted the victim's empty bucket and its
 * next SYN found a fresh, full one.  The array has nothing to evict.
 */
static void test_syn_spoofed_flood(void)
{
	const __u32 flood = 600000;
	const char *victim = "2001:db8:ffff:1::10";
	__u64 before[SL_STAT_MAX], after[SL_STAT_MAX];
	const struct frame_spec base = { V6, SYN };
	static struct run r;
	char src[64];

	TEST_CASE("syn: 600k spoofed sources cannot reset a limited source's bucket") {
		reset_maps();
		syn_src_limits();
		cfg.events_per_sec = 0;
		write_config();
		put_syn_src(victim, sl_now_ns() + HOUR_NS);
		CHECK(syn_from(victim) == SL_REASON_SYN_SOURCE, "victim not limited before");
		read_stats(before);
		for (__u32 i = 0; i < flood; i++) {
			struct frame_spec spec = base;

			/* 2001:db8:H:L::1, never the victim's 2001:db8:ffff:1::/64 */
			snprintf(src, sizeof(src), "2001:db8:%x:%x::1", i >> 16, i & 0xFFFF);
			spec.src = src;
			r.in_len = (__u32)frame_build(&spec, r.in);
			run_prog(skel->progs.sluice_xdp, &r, 1);
			if (r.err)
				break;
		}
		read_stats(after);
		CHECK(r.err == 0, "flood run: %s", strerror(-r.err));
		CHECK(after[SL_STAT_ALLOWED] + after[SL_STAT_SYN_SOURCE] - before[SL_STAT_ALLOWED] -
		      before[SL_STAT_SYN_SOURCE] == flood, "flood not judged as SYNs");
		CHECK(syn_from(victim) == SL_REASON_SYN_SOURCE,
		      "victim's SYN passed after the flood: its bucket was reset");
	}
}

/*
 * IPv6 levels, with no refill to speak of (1 h a SYN at the /64): a /64
 * has a burst of 10, its /56 4x that, its /48 16x.  Sources in distinct
 * /64s of one /56 share its 40; in distinct /56s of one /48, its 160.
 */
static void test_syn_v6_levels(const char *name, const char *fmt, __u32 sources, __u32 want)
{
	__u32 passed = 0, limited = 0;
	char src[64];

	TEST_CASE(name) {
		reset_maps();
		cfg.syn_src_interval_ns = HOUR_NS;
		cfg.syn_src_burst_ns = 10 * HOUR_NS;
		cfg.events_per_sec = 0;
		write_config();
		for (__u32 i = 0; i < sources; i++) {
			__u32 reason;

			snprintf(src, sizeof(src), fmt, i);
			reason = syn_from(src);
			passed += reason == SL_REASON_ALLOWED;
			limited += reason == SL_REASON_SYN_SOURCE;
		}
		CHECK(passed == want && limited == sources - want,
		      "%u of %u sources passed, %u limited; want %u to pass", passed, sources,
		      limited, want);
	}
}

static void run_syn_level_cases(void)
{
	test_syn_v6_levels("syn: 25 SYNs from one /64 pass its burst of 10",
			   "2001:db8:1:0:%x::1", 25, 10);
	test_syn_v6_levels("syn: 100 /64s of one /56 share its budget (40)",
			   "2001:db8:1:%x::1", 100, 40);
	test_syn_v6_levels("syn: 256 /56s of one /48 share its budget (160)",
			   "2001:db8:1:%x00::1", 256, 160);
	test_syn_v6_levels("syn: v4 sources each have their own /32 bucket",
			   "198.18.7.%u", 200, 200);
}

/*
 * Agents' bucket clocks are per-packet atomics from every RX CPU: each
 * agent must own a cache line.  64-byte values, and the array mmapable,
 * which is what puts its first value on a page (hence line) boundary.
 */
static void test_agent_state_layout(void)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int err;

	TEST_CASE("agent state: one 64-byte cache line per agent") {
		err = bpf_obj_get_info_by_fd(map_fd(skel->maps.sl_agent_state), &info, &len);
		CHECK(err == 0, "map info: %s", strerror(errno));
		CHECK(info.value_size == 64, "value size %u, want 64", info.value_size);
		CHECK(info.map_flags & BPF_F_MMAPABLE,
		      "not mmapable: values start off a cache line boundary");
	}
}

/*
 * The writer's side of the tag gate: user/maps.c's sl_maps_tag_conn counts
 * the tag in sl_config, so the packet path probes and a banned agent's
 * connection drops; untag counts it away, and the connection passes again.
 */
static void test_tag_via_writer(int family)
{
	struct frame_spec spec = frame_defaults((struct frame_spec){ .family = (__u8)family });
	struct sl_conn_tuple c = { .family = family == 4 ? SL_AF_INET : SL_AF_INET6,
				   .proto = spec.proto, .sport = htons(spec.sport),
				   .dport = htons(spec.dport) };
	static struct run r;
	struct sl_maps m;
	char name[96];

	snprintf(name, sizeof(name), "v%d: a tag written by sl_maps_tag_conn is judged; "
		 "untag skips the probe again", family);
	frame_addr(family, spec.src, c.saddr);
	frame_addr(family, spec.dst, c.daddr);
	TEST_CASE(name) {
		reset_maps();
		put_agent(AG_TAGGED, &(struct sl_agent){ .banned_until_ns = SL_FOREVER });
		write_config();
		sl_maps_init_closed(&m);
		m.config = map_fd(skel->maps.sl_config);
		m.conn_tags_v4 = map_fd(skel->maps.sl_conn_tags_v4);
		m.conn_tags_v6 = map_fd(skel->maps.sl_conn_tags_v6);
		memset(&r, 0, sizeof(r));
		r.in_len = (__u32)frame_build(&spec, r.in);
		run_prog(skel->progs.sluice_xdp, &r, 1);
		CHECK(r.err == 0 && r.retval == XDP_PASS, "untagged: action %u", r.retval);
		CHECK(sl_maps_tag_conn(&m, &c, AG_TAGGED) == 0, "tag");
		run_prog(skel->progs.sluice_xdp, &r, 1);
		CHECK(r.err == 0 && r.retval == XDP_DROP, "tagged, banned: action %u", r.retval);
		CHECK(sl_maps_untag_conn(&m, &c) == 0, "untag");
		run_prog(skel->progs.sluice_xdp, &r, 1);
		CHECK(r.err == 0 && r.retval == XDP_PASS, "untagged again: action %u", r.retval);
		/* The fds are the skeleton's: only the mapping is ours to undo. */
		m.config = m.conn_tags_v4 = m.conn_tags_v6 = -1;
		sl_maps_close(&m);
		drain_events();
	}
}

/* The reply of a tagged connection (reversed tuple) counts towards its agent. */
static void test_egress(const char *name, const struct frame_spec *agent_side, bool tagged,
			__u16 protect, bool counted)
{
	struct frame_spec a = frame_defaults(*agent_side);
	struct frame_spec reply = a;
	static struct run r;
	__u64 want[SL_STAT_MAX] = {};

	reply.src = a.dst;
	reply.dst = a.src;
	reply.sport = a.dport;
	reply.dport = a.sport;
	reply.payload = 333;
	TEST_CASE(name) {
		reset_maps();
		if (!protect)
			memset(cfg.ports, 0, sizeof(cfg.ports));
		if (tagged)
			tag_conn(&a, AG_EGRESS);
		if (!counted)
			cfg.n_conn_tags_v4 = cfg.n_conn_tags_v6 = 0;
		write_config();
		memset(&r, 0, sizeof(r));
		r.in_len = (__u32)frame_build(&reply, r.in);
		run_measured(skel->progs.sluice_tc_egress, &r, AG_EGRESS, 1);
		CHECK(r.err == 0 && r.retval == (__u32)TC_ACT_UNSPEC, "err %d action %d, want UNSPEC",
		      r.err, (int)r.retval);
		if (tagged && protect && counted) {
			want[SL_STAT_EGRESS_PACKETS] = 1;
			want[SL_STAT_EGRESS_BYTES] = r.in_len;
		}
		check_stat_deltas(&r, want);
		CHECK(r.agent.tx_packets == want[SL_STAT_EGRESS_PACKETS] &&
		      r.agent.tx_bytes == want[SL_STAT_EGRESS_BYTES],
		      "agent tx %llu pkts %llu bytes", (unsigned long long)r.agent.tx_packets,
		      (unsigned long long)r.agent.tx_bytes);
		CHECK(r.agent.rx_packets == 0, "egress counted as rx");
		CHECK(n_events == 0, "egress wrote %zu events", n_events);
	}
}

static void run_egress_cases(void)
{
	test_egress("tc egress: tagged v4 reply counts tx", &(struct frame_spec){ V4 }, true, 1,
		    true);
	test_egress("tc egress: tagged v6 udp reply counts tx",
		    &(struct frame_spec){ V6, UDP }, true, 1, true);
	test_egress("tc egress: tagged reply in qinq counts tx",
		    &(struct frame_spec){ V4, .vlans = 2 }, true, 1, true);
	test_egress("tc egress: untagged reply not counted", &(struct frame_spec){ V4 }, false, 1,
		    true);
	test_egress("tc egress: unprotected source port not counted", &(struct frame_spec){ V4 },
		    true, 0, true);
	test_egress("tc egress: tag unseen while the tag count is 0 (probe skipped)",
		    &(struct frame_spec){ V4 }, true, 1, false);
}

/* --- setup ------------------------------------------------------------------------ */

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Loads the skeleton with every map unpinned: tests never touch SL_PIN_DIR. */
static int load(void)
{
	struct bpf_map *map;
	int err;

	skel = sluice_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_map(map, skel->obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			return err;
	}
	err = sluice_bpf__load(skel);
	if (err)
		return err;
	ring = ring_buffer__new(map_fd(skel->maps.sl_events), on_event, NULL, NULL);
	if (!ring)
		return -errno;
	dir_fds = (struct srcdir_fds){ map_fd(skel->maps.sl_src_nodes),
				       map_fd(skel->maps.sl_src_leaves),
				       map_fd(skel->maps.sl_src_dir_seq),
				       map_fd(skel->maps.sl_src_dir_head) };
	syn_buckets = mmap(NULL, SL_SYN_BUCKETS * sizeof(*syn_buckets), PROT_READ | PROT_WRITE,
			   MAP_SHARED, map_fd(skel->maps.sl_syn_buckets), 0);
	return syn_buckets == MAP_FAILED ? -errno : 0;
}

/* One CPU for the whole run: per-CPU state stays where the next run looks. */
static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	int err;

	(void)argc;
	test_init(argv[0]);
	libbpf_set_print(print_libbpf);
	pin_cpu();
	ncpu = libbpf_num_possible_cpus();
	err = load();
	TEST_CASE("load sluice programs (needs root)")
		CHECK(err == 0, "cannot load: %s", strerror(-err));
	if (err) {
		sluice_bpf__destroy(skel);
		return test_finish();
	}
	run_table();
	test_dir_random(0, 0, "directory: random tables of 600 nested prefixes of every length, "
			"3000 addresses: the directory, the longest-match model and the trie agree");
	/* Every prefix under the bases (/15, /32): the walk skips the bytes
	 * they share (two and four), compared at once. */
	test_dir_random(16, 33, "directory: the same, every prefix at least /16 and /33 (the "
			"shared leading bytes compared at once)");
	test_dir_seq();
	test_events_summarised();
	test_events_lost();
	test_budget_burst();
	test_budget_contended();
	test_tag_via_writer(4);
	test_tag_via_writer(6);
	run_egress_cases();
	run_syn_level_cases();
	test_syn_spoofed_flood();
	test_agent_state_layout();
	ring_buffer__free(ring);
	sluice_bpf__destroy(skel);
	return test_finish();
}
