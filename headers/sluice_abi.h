/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluice_abi.h - the one contract between the kernel half (bpf/) and the
 * userspace half (user/) of sluice.
 *
 * Every map key and value, every event, verdict, reason and stats slot, every
 * map name and the pin directory is defined here and nowhere else.  BPF code
 * includes it after vmlinux.h; user code after <linux/types.h>.  All structs
 * use fixed-width types with explicit padding so that clang -target bpf and
 * the host compiler agree on every offset (checked by _Static_assert below).
 *
 * Time: every *_ns deadline in a map is CLOCK_MONOTONIC nanoseconds, the
 * clock behind bpf_ktime_get_coarse_ns(); userspace reads it with
 * clock_gettime(CLOCK_MONOTONIC_COARSE).  0 means "never set"; SL_FOREVER
 * means "never expires".
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

/* Where attach pins maps and links so that enforcement outlives sluicectl. */
#define SL_PIN_DIR		"/sys/fs/bpf/sluice"
/* Pinned XDP links live here as "xdp_<ifname>"; TC programs as "tc_<ifname>_<dir>". */
#define SL_PIN_LINK_DIR		SL_PIN_DIR "/links"

/* Map names; the BPF map definitions in bpf/sl_maps.h carry the same names. */
#define SL_MAP_CONFIG		"sl_config"
#define SL_MAP_EXACT_V4		"sl_exact_v4"
#define SL_MAP_EXACT_V6		"sl_exact_v6"
#define SL_MAP_EXACT_FILTER	"sl_exact_filter"
#define SL_MAP_SRC_V4		"sl_src_v4"
#define SL_MAP_SRC_V6		"sl_src_v6"
#define SL_MAP_SRC_LPM_V4	"sl_src_lpm_v4"
#define SL_MAP_SRC_LPM_V6	"sl_src_lpm_v6"
#define SL_MAP_SRC_NODES	"sl_src_nodes"
#define SL_MAP_SRC_LEAVES	"sl_src_leaves"
#define SL_MAP_SRC_DIR_SEQ	"sl_src_dir_seq"
#define SL_MAP_SRC_DIR_HEAD	"sl_src_dir_head"
#define SL_MAP_CONN_TAGS_V4	"sl_conn_tags_v4"
#define SL_MAP_CONN_TAGS_V6	"sl_conn_tags_v6"
#define SL_MAP_AGENTS		"sl_agents"
#define SL_MAP_AGENT_STATE	"sl_agent_state"
#define SL_MAP_AGENT_STATS	"sl_agent_stats"
#define SL_MAP_SYN_BUCKETS	"sl_syn_buckets"
#define SL_MAP_STATS		"sl_stats"
#define SL_MAP_EVLIMIT		"sl_evlimit"
#define SL_MAP_EVFOLD		"sl_evfold"
#define SL_MAP_EVENTS		"sl_events"

/*
 * Capacities.  Each is a map's max_entries; override at build time.  Maps
 * keyed by address come in one map per family: a hash lookup costs with its
 * key's length (jhash over it, memcmp on a hit), and a v4 key padded to v6
 * size costs v6 prices on every v4 packet.  Each family's map has the full
 * capacity.
 */
#ifndef SL_MAX_AGENTS
/* Agent ids 1..16383 index arrays (0 = no agent).  The three arrays sized by
 * it take 192 B (sl_agents), 64 B (sl_agent_state, one cache line so that
 * agents' atomics never share one) and 48 B per possible CPU (sl_agent_stats)
 * per id: 4 MiB + 0.75 MiB per CPU.  65536 ids would be four times that
 * (16 MiB + 3 MiB per CPU: 208 MiB on a 64-CPU host). */
#define SL_MAX_AGENTS		16384
#endif
#ifndef SL_MAX_EXACT
#define SL_MAX_EXACT		65536	/* exact sources, per family (/32, /128) */
#endif
#ifndef SL_MAX_PREFIXES
#define SL_MAX_PREFIXES		16384	/* shorter prefixes, per address family (all lengths) */
#endif
/*
 * The source directory: every prefix shorter than a full address, of both
 * families, as a multibit trie of stride 8 in two arrays the packet path
 * reads without a helper call (the verifier inlines array lookups): one
 * node read per address byte, at most 4 (IPv4) or 16 (IPv6), where a hash
 * probe or an LPM trie lookup is an out-of-line call of 10-15 ns each.
 * Leaf-pushed: an entry is a child node, a leaf (the longest prefix
 * covering that part of the address space) or nothing.
 *
 * Two halves, each one value of sl_src_nodes (one lookup per walk, then
 * plain indexing: a lookup per level would cost a stack round trip each):
 * a writer builds the new table whole in the half the packet path does not
 * read, then flips SL_CFG_F_DIR_HALF.  SL_SRC_DIR_NODES 1 KiB nodes per
 * half (4 MiB: an array map's value may not pass KMALLOC_MAX_SIZE, which
 * is 4 MiB on common kernel configurations; 8 MiB in all): a
 * table needing more (a deep, scattered IPv6 table can need up to 7 nodes
 * per /64) is left to the hashes and trie, which always hold every prefix
 * (SL_CFG_F_DIR_*).
 * A packet that read the flag just before a flip may still be walking the
 * old half when the build after next rewrites it (a learned source or a
 * block is a build, about a millisecond apart): each half has a sequence
 * number in sl_src_dir_seq, odd while a writer rewrites the half and
 * bumped again when it is done.  A walk that sees it odd, or changed
 * between its start and the read of its leaf, asks the hashes and trie.
 */
#define SL_SRC_DIR_NODES	4096	/* nodes per half: a power of two */
#define SL_SRC_DIR_LEAVES	(2 * SL_MAX_PREFIXES)	/* leaves per half: every prefix */
#define SL_SRC_DIR_FANOUT	256
#define SL_SRC_DIR_CHILD	0x80000000U	/* an entry naming a node (its index below) */
/* A half's first node is the IPv4 root, its second the IPv6 root. */
#define SL_SRC_DIR_ROOT_V6	1

#ifndef SL_MAX_CONN_TAGS
#define SL_MAX_CONN_TAGS	262144	/* tagged connections, per family */
#endif
/*
 * Per-source SYN buckets: a fixed array indexed by a keyed hash of the
 * source (sl_syn_bucket_index), shared by both families and every prefix
 * level.  Nothing is ever inserted, so a spoofed flood cannot evict a
 * limited source's state; the price is that two sources may share a bucket
 * (and so a budget).  2^20 buckets (8 MiB) keep that rare: with 100,000
 * active sources, a given source shares its bucket with another one with
 * probability about 10%, and a flood of 1M spoofed sources drains about
 * 63% of buckets (SYN limits cannot tell spoofed sources from real ones;
 * the per-agent SYN buckets and the host's SYN cookies still apply).
 */
#ifndef SL_SYN_BUCKETS_LOG2
#define SL_SYN_BUCKETS_LOG2	20
#endif
#define SL_SYN_BUCKETS		(1U << SL_SYN_BUCKETS_LOG2)
/* Bits of the source presence filter (one bit per exact address and per
 * prefix), per family, as a power of two: 2^20 bits (128 KiB) keep full
 * tables (SL_MAX_EXACT + SL_MAX_PREFIXES) under 1/12 set, so a miss skips
 * each hash probe at least 11 times in 12. */
#ifndef SL_EXACT_FILTER_BITS_LOG2
#define SL_EXACT_FILTER_BITS_LOG2	20
#endif
#ifndef SL_RINGBUF_BYTES
#define SL_RINGBUF_BYTES	(1U << 20)	/* ~13k events buffered for the reader */
#endif

/* sl_exact_filter elements are u64 words: v4's words first, then v6's. */
#define SL_EXACT_FILTER_WORD_BITS	64
#define SL_EXACT_FILTER_FAMILY_WORDS	((1U << SL_EXACT_FILTER_BITS_LOG2) / SL_EXACT_FILTER_WORD_BITS)
#define SL_EXACT_FILTER_WORDS		(2 * SL_EXACT_FILTER_FAMILY_WORDS)

#define SL_NAME_MAX		64	/* agent and plan names, NUL included */
#define SL_PORT_WORDS		(65536 / 64)	/* protected-port bitmap, 1 bit a port */
#define SL_NSEC_PER_SEC		1000000000ULL	/* the unit of every *_ns field */
#define SL_FOREVER		(~0ULL)	/* a deadline that never passes */
/*
 * Per-source SYN levels.  IPv4: the /32.  IPv6: the /64 (one host owns a
 * /64), and also its /56 and /48 (what one customer or site is given), so
 * that sources spread over a site's 2^16 /64s do not get 2^16 budgets.  A v6
 * SYN must conform at every level.  The /56 gets SL_SYN_V6_56_SHIFT and the
 * /48 SL_SYN_V6_48_SHIFT binary orders of magnitude more rate and burst than
 * the /64 (4x and 16x): its interval is shifted right, its burst window
 * (burst * interval, in ns) is the /64's.
 */
#define SL_V6_SOURCE_PREFIX	64
#define SL_SYN_V6_56_SHIFT	2
#define SL_SYN_V6_48_SHIFT	4

enum sl_family {
	SL_AF_NONE = 0,
	SL_AF_INET = 4,
	SL_AF_INET6 = 6,
};

/* What the program does with a packet. */
enum sl_verdict {
	SL_VERDICT_PASS = 0,
	SL_VERDICT_DROP = 1,
	SL_VERDICT_RST = 2,	/* answered with a TCP RST (XDP only), then dropped */
	SL_VERDICT_MAX,
};

/* Why.  Every packet gets exactly one reason, counted in sl_stats. */
enum sl_reason {
	SL_REASON_ALLOWED = 0,	  /* judged and allowed */
	SL_REASON_NOT_IP,	  /* not IPv4/IPv6 (ARP, LLDP, ...) or L2 too short */
	SL_REASON_NOT_PROTECTED,  /* destination port not protected, or not TCP/UDP */
	SL_REASON_FRAGMENT,	  /* non-first fragment: no ports, passed (see parser) */
	SL_REASON_V6_EXT,	  /* IPv6 extension header the parser does not walk */
	SL_REASON_MALFORMED,	  /* IP/L4 header truncated or invalid */
	SL_REASON_DENY,		  /* source in the deny list */
	SL_REASON_BANNED,	  /* agent banned */
	SL_REASON_PKT_BUDGET,	  /* agent over its packet budget */
	SL_REASON_BYTE_BUDGET,	  /* agent over its byte budget */
	SL_REASON_SYN_SOURCE,	  /* per-source SYN bucket empty */
	SL_REASON_SYN_AGENT,	  /* per-agent SYN bucket empty */
	SL_REASON_MAX,
};

/*
 * Per-CPU counters in sl_stats, one u64 per slot.  The first slots count
 * verdicts, then one slot per reason (same order as enum sl_reason), then the
 * event pipeline and egress.
 */
enum sl_stat {
	SL_STAT_PASS = 0,
	SL_STAT_DROP,
	SL_STAT_RST,
	SL_STAT_MONITOR,	/* would have been dropped, passed in monitor mode */
	SL_STAT_ALLOWED,
	SL_STAT_NOT_IP,
	SL_STAT_NOT_PROTECTED,
	SL_STAT_FRAGMENT,
	SL_STAT_V6_EXT,
	SL_STAT_MALFORMED,
	SL_STAT_DENY,
	SL_STAT_BANNED,
	SL_STAT_PKT_BUDGET,
	SL_STAT_BYTE_BUDGET,
	SL_STAT_SYN_SOURCE,
	SL_STAT_SYN_AGENT,
	SL_STAT_EVENTS_SENT,	  /* events written to the ring buffer */
	SL_STAT_EVENTS_SUPPRESSED,/* events folded into a later event's count */
	SL_STAT_EVENTS_LOST,	  /* ring buffer full */
	SL_STAT_EGRESS_PACKETS,	  /* TC egress packets of tagged connections */
	SL_STAT_EGRESS_BYTES,
	SL_STAT_MAX,
};

/* The stats slot that counts a reason; reasons and their slots share order. */
static inline __u32 sl_reason_stat(__u32 reason)
{
	return SL_STAT_ALLOWED + reason;
}

/* sl_config.flags */
#define SL_CFG_F_MONITOR	(1U << 0)	/* count would-drops, drop nothing */
/* sl_exact_filter holds a bit for every source entry under exact_seed; until
 * set, the packet path probes the source tables as if every bit were set. */
#define SL_CFG_F_EXACT_FILTER	(1U << 1)
/* The family's prefixes are in the source directory (sl_src_nodes), in the
 * half SL_CFG_F_DIR_HALF names: the packet path walks it instead of probing
 * sl_src_* or asking the trie.  Clear: the directory does not hold the
 * family's table (it did not fit), and the hashes and trie answer. */
#define SL_CFG_F_DIR_V4		(1U << 2)
#define SL_CFG_F_DIR_V6		(1U << 3)
#define SL_CFG_F_DIR_HALF	(1U << 4)	/* set: the second half is live */

/*
 * The random key of the source presence filter's hash, drawn by the writer
 * once per set of maps and never changed while they live: an attacker who
 * cannot see it cannot aim sources at set bits.  Vector multiply-shift
 * (Dietzfelbinger): each 32-bit address word times its own 64-bit factor,
 * plus the prefix length times @mul_len, summed with @add mod 2^64, top bits
 * kept.  Factors are odd.
 */
struct sl_exact_seed {
	__u64 mul[4];
	__u64 mul_len;
	__u64 add;
};

/* Prefix lengths a family's sl_src_* table can hold: /0../31 and /0../127
 * (full lengths live in sl_exact_*). */
#define SL_PREFIX_LENS_V4	32
#define SL_PREFIX_LENS_V6	128
/*
 * When the source directory does not hold a family's table (it did not
 * fit): a family whose prefixes come in at most this many lengths is looked
 * up by one hash probe per length (a filter bit first); with more, by its
 * LPM trie.  Measured with scripts/bench/xdp-cost (1,000 prefixes, hot caches):
 * v4 probes beat the trie by 15-30 ns at one length and tie at five; a v6
 * probe costs more (16-byte masking and hashing), tying the trie at one
 * length and losing ~10 ns at five.  4 for v4, not more: each probe is
 * verifier work on every parse path, and 8 took sluice_xdp past the
 * verifier's 1M-instruction budget beside the VLAN walk.
 */
#define SL_PREFIX_PROBES_V4	4
#define SL_PREFIX_PROBES_V6	2

/*
 * sl_config: the single element of the sl_config array.  The map is
 * mmap()able: userspace changes n_conn_tags_* with atomic adds through the
 * mapping and writes every other field around them, so a whole-config write
 * never undoes a concurrent tag count.
 */
struct sl_config {
	__u32 flags;
	__u32 events_per_sec;	   /* ring-buffer events a second, all CPUs; 0 = none */
	__u32 n_exact_v4;	   /* entries in sl_exact_v4; 0 skips the lookup */
	__u32 n_exact_v6;	   /* entries in sl_exact_v6; 0 skips the lookup */
	__u32 n_prefix_v4;	   /* entries in sl_src_v4 (for status) */
	__u32 n_prefix_v6;	   /* entries in sl_src_v6 (for status) */
	/* At least the entries of sl_conn_tags_v4/_v6 (raised before a tag is
	 * inserted, lowered after it is deleted); 0 skips the probe. */
	__u32 n_conn_tags_v4;
	__u32 n_conn_tags_v6;
	__u64 syn_src_interval_ns; /* per-source SYN GCRA: ns per SYN; 0 = off */
	__u64 syn_src_burst_ns;	   /* ... tolerance: burst * interval */
	__u64 generation;	   /* bumped by every policy load */
	struct sl_exact_seed exact_seed; /* valid with SL_CFG_F_EXACT_FILTER */
	struct sl_exact_seed syn_seed;	   /* key of sl_syn_bucket_index; drawn once */
	/* The prefix lengths sl_src_v4/_v6 hold entries of, longest first:
	 * the packet path probes these and no other (up to SL_PREFIX_PROBES_*;
	 * more send it to sl_src_lpm_*); 0 lengths skip the lookup. */
	__u8 n_prefix_lens_v4;
	__u8 n_prefix_lens_v6;
	__u8 _pad0[6];
	__u8 prefix_lens_v4[SL_PREFIX_LENS_V4];
	__u8 prefix_lens_v6[SL_PREFIX_LENS_V6];
	__u64 ports[SL_PORT_WORDS];/* bit p set: destination port p is protected */
};

/*
 * The bit of sl_exact_filter that stands for the source entry @addr/@len
 * (network order, v4 in addr[0], masked to @len): the one definition the
 * packet path and the writer share.  Exact entries use 32 and 128.  Only
 * the address words of @family are read.
 */
static inline __attribute__((always_inline)) __u32
sl_src_filter_bit(const struct sl_exact_seed *seed, __u32 family, const __u32 *addr, __u32 len)
{
	__u64 h = seed->add + seed->mul_len * len + seed->mul[0] * addr[0];

	if (family == SL_AF_INET)
		return (__u32)(h >> (64 - SL_EXACT_FILTER_BITS_LOG2));
	h += seed->mul[1] * addr[1] + seed->mul[2] * addr[2] + seed->mul[3] * addr[3];
	return (1U << SL_EXACT_FILTER_BITS_LOG2) + (__u32)(h >> (64 - SL_EXACT_FILTER_BITS_LOG2));
}

/* The filter bit of an exact source (/32, /128). */
static inline __attribute__((always_inline)) __u32
sl_exact_filter_bit(const struct sl_exact_seed *seed, __u32 family, const __u32 *addr)
{
	return sl_src_filter_bit(seed, family, addr, family == SL_AF_INET ? 32 : 128);
}

/*
 * Keys of the per-family address maps.  sl_exact_v4 is keyed by the bare
 * __u32 address, network order: no struct needed.
 */
struct sl_v6_addr_key {		/* sl_exact_v6: one /128 */
	__u32 addr[4];		/* network order */
};

/* Keys of sl_src_v4 / _v6, hashes of every prefix shorter than full
 * length, and of the tries sl_src_lpm_v4 / _v6 that mirror them: the
 * length and the address masked to it (host bits zero).  prefixlen comes
 * first, as LPM tries require. */
struct sl_pfx_v4_key {
	__u32 prefixlen;
	__u32 addr;		/* network order */
};

struct sl_pfx_v6_key {
	__u32 prefixlen;
	__u32 addr[4];		/* network order */
};

/* sl_src_value.own: why an entry exists (several may be true at once). */
#define SL_SRC_POLICY_DENY	(1U << 0)	/* in the policy's deny list */
#define SL_SRC_BLOCK		(1U << 1)	/* `sluicectl block`, until block_until_ns */
#define SL_SRC_IDENT		(1U << 2)	/* policy binds this source to own_agent */

/*
 * Value of sl_exact_*, sl_src_* and sl_src_lpm_*.  The "own" fields say what this
 * very entry was created for; the "eff" fields are what the packet path
 * reads, computed in userspace over every entry that contains this one
 * (deny: the latest deadline of any containing deny; agent: the longest
 * containing identity).  That lets the XDP path decide by the longest hit.
 */
struct sl_src_value {
	__u64 eff_deny_until_ns;	/* 0 = not denied */
	__u32 eff_agent_id;		/* 0 = no agent bound */
	__u32 own;			/* SL_SRC_* */
	__u64 block_until_ns;		/* SL_SRC_BLOCK deadline */
	__u32 own_agent_id;		/* SL_SRC_IDENT agent */
	__u32 _pad0;
};

/* Keys of sl_conn_tags_v4 / _v6: the connection as the agent sends it.
 * proto is part of the key because UDP flows can be tagged too. */
struct sl_conn_v4_key {
	__u32 saddr;		/* network order */
	__u32 daddr;
	__u16 sport;		/* network order */
	__u16 dport;		/* network order */
	__u32 proto;		/* IPPROTO_TCP / IPPROTO_UDP */
};

struct sl_conn_v6_key {
	__u32 saddr[4];		/* network order */
	__u32 daddr[4];
	__u16 sport;		/* network order */
	__u16 dport;		/* network order */
	__u32 proto;		/* IPPROTO_TCP / IPPROTO_UDP */
};

struct sl_conn_tag {
	__u32 agent_id;
	__u32 _pad0;
	__u64 tagged_ns;	/* when sluiced authenticated the connection */
};

/* sl_agent.flags */
#define SL_AGENT_F_ACTIVE	(1U << 0)	/* slot holds an agent */
#define SL_AGENT_F_BAN_RST	(1U << 1)	/* answer a banned agent's TCP with RST */

/*
 * sl_agents[agent_id]: what the policy and bans say of one agent.  Written
 * only by userspace; the plan's limits are resolved into the agent so the
 * packet path needs no plan lookup.  Rates are GCRA: one "interval" of
 * bucket time per unit, at most "burst" ahead of now.
 */
struct sl_agent {
	char name[SL_NAME_MAX];
	char plan[SL_NAME_MAX];
	__u32 flags;			/* SL_AGENT_F_* */
	__u32 _pad0;
	__u64 banned_until_ns;		/* 0 = not banned */
	__u64 syn_interval_ns;		/* 0 = no SYN limit */
	__u64 syn_burst_ns;
	__u64 pkt_interval_ns;		/* 0 = no packet budget */
	__u64 pkt_burst_ns;
	__u64 byte_interval_q16;	/* ns per byte, 16.16 fixed point; 0 = none */
	__u64 byte_burst_ns;
};

/*
 * sl_agent_state[agent_id]: bucket clocks (GCRA "theoretical arrival time"),
 * updated by BPF with atomics; userspace only zeroes them when limits change.
 * Kept apart from sl_agent so a policy write never tears a running bucket.
 */
struct sl_agent_state {
	__u64 syn_tat_ns;
	__u64 pkt_tat_ns;
	__u64 byte_tat_ns;
	__u64 _pad0[5];		/* to 64 B: one agent a cache line (see sl_maps.h) */
};

/* A node of the source directory: entry = 0 (no prefix), leaf index + 1
 * (an index into sl_src_leaves, < SL_SRC_DIR_CHILD; the second half's
 * leaves start at SL_SRC_DIR_LEAVES), or SL_SRC_DIR_CHILD | the index of a
 * node of the same half. */
struct sl_src_node {
	__u32 e[SL_SRC_DIR_FANOUT];
};

/* sl_src_nodes value: one half's nodes, its two roots first. */
struct sl_src_pool {
	struct sl_src_node n[SL_SRC_DIR_NODES];
};

/*
 * sl_src_dir_head value, one per half and family (index half * 2 + 0 for
 * IPv4, + 1 for IPv6), written with the half: the address bytes every
 * prefix of the family shares, which the walk compares at once instead of
 * stepping through them (their nodes have one child each), and the node
 * it starts from after them.  An address that differs there is in no
 * prefix.  @skip 0: the walk starts at the root.
 */
struct sl_src_dir_head {
	__u32 skip;		/* leading bytes shared: 0..15 */
	__u32 start;		/* the node at level @skip */
	__u32 prefix[4];	/* those bytes, network order, the rest 0 */
	__u32 mask[4];		/* 0xff for each of them */
};

/* sl_syn_buckets value: one per-source SYN bucket. */

struct sl_bucket {
	__u64 tat_ns;
};

/* The first 24 and 16 bits of a network-order word, as a mask on the host's
 * reading of it (the BPF target and the host share the byte order). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SL_NET_MASK_24		0x00FFFFFFU
#define SL_NET_MASK_16		0x0000FFFFU
#else
#define SL_NET_MASK_24		0xFFFFFF00U
#define SL_NET_MASK_16		0xFFFF0000U
#endif

/* Which prefix of a source a SYN bucket stands for. */
enum sl_syn_level {
	SL_SYN_V4_32 = 0,
	SL_SYN_V6_64 = 1,
	SL_SYN_V6_56 = 2,
	SL_SYN_V6_48 = 3,
};

/*
 * The sl_syn_buckets index of @level of source @addr (network order, v4 in
 * addr[0]): the one definition the packet path and the tests share.  The
 * same vector multiply-shift as sl_exact_filter_bit over the prefix's words,
 * with the level in the last word so that a /48 and a /64 whose low bits are
 * zero (or a v4 address and a v6 prefix) are different keys.  Keyed by a
 * random seed the writer draws once: without it, an attacker cannot aim
 * sources at a victim's bucket.
 */
static inline __attribute__((always_inline)) __u32
sl_syn_bucket_index(const struct sl_exact_seed *seed, __u32 level, const __u32 *addr)
{
	__u64 h = seed->add + seed->mul[3] * (level + 1) + seed->mul[0] * addr[0];
	__u32 w1 = addr[1];

	if (level == SL_SYN_V4_32)
		return (__u32)(h >> (64 - SL_SYN_BUCKETS_LOG2));
	if (level == SL_SYN_V6_56)
		w1 &= SL_NET_MASK_24;
	else if (level == SL_SYN_V6_48)
		w1 &= SL_NET_MASK_16;
	h += seed->mul[1] * w1;
	return (__u32)(h >> (64 - SL_SYN_BUCKETS_LOG2));
}

/* sl_agent_stats[agent_id], per CPU. */
struct sl_agent_counters {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 drops;
	__u64 syns;
	__u64 tx_packets;	/* TC egress towards the agent */
	__u64 tx_bytes;
};

/*
 * sl_evlimit[0], one for all CPUs: the event budget's window, one u64 so a
 * single atomic both checks the window and counts an event in it.
 */
struct sl_event_limiter {
	__u64 window_sent;	/* window number (ns / 1 s) << 32 | events sent in it */
};

/* sl_evfold[0], per CPU: drops this CPU summarised and has not reported yet
 * (per CPU so that counting a suppressed event costs no shared cache line). */
struct sl_event_fold {
	__u64 suppressed;	/* goes into this CPU's next event's .suppressed */
};

/* sl_event.flags */
#define SL_EV_F_MONITOR		(1U << 0)	/* verdict was drop, monitor mode passed it */
#define SL_EV_F_TC		(1U << 1)	/* seen by TC ingress, not XDP */

/* One ring-buffer record per sampled decision. */
struct sl_event {
	__u64 ts_ns;
	__u32 ifindex;
	__u32 agent_id;
	__u32 suppressed;	/* decisions folded into this one since the last event */
	__u32 pkt_len;
	__u8 verdict;		/* enum sl_verdict */
	__u8 reason;		/* enum sl_reason */
	__u8 family;		/* enum sl_family */
	__u8 proto;
	__u16 sport;		/* network order */
	__u16 dport;		/* network order */
	__u32 saddr[4];
	__u32 daddr[4];
	__u32 flags;		/* SL_EV_F_* */
	__u32 _pad0;
};

_Static_assert(sizeof(struct sl_v6_addr_key) == 16, "sl_v6_addr_key layout");
_Static_assert(sizeof(struct sl_src_value) == 32, "sl_src_value layout");
_Static_assert(sizeof(struct sl_conn_v4_key) == 16, "sl_conn_v4_key layout");
_Static_assert(sizeof(struct sl_conn_v6_key) == 40, "sl_conn_v6_key layout");
_Static_assert(sizeof(struct sl_agent) == 2 * SL_NAME_MAX + 64, "sl_agent layout");
_Static_assert(sizeof(struct sl_event) == 72, "sl_event layout");
_Static_assert(sizeof(struct sl_agent_state) == 64, "sl_agent_state: one cache line");
_Static_assert(sizeof(struct sl_event_limiter) == 8, "sl_event_limiter layout");
_Static_assert(sizeof(struct sl_pfx_v4_key) == 8, "sl_pfx_v4_key layout");
_Static_assert(sizeof(struct sl_src_node) == 1024, "sl_src_node layout");
_Static_assert(sizeof(struct sl_src_pool) <= (4 << 20), "sl_src_pool: within KMALLOC_MAX_SIZE on any common kernel");
_Static_assert(sizeof(struct sl_src_dir_head) == 40, "sl_src_dir_head layout");
_Static_assert((SL_SRC_DIR_NODES & (SL_SRC_DIR_NODES - 1)) == 0, "SL_SRC_DIR_NODES: a power of two");
_Static_assert(sizeof(struct sl_pfx_v6_key) == 20, "sl_pfx_v6_key layout");
_Static_assert(sizeof(struct sl_exact_seed) == 48, "sl_exact_seed layout");
_Static_assert(sizeof(struct sl_config) == 320 + 8 * SL_PORT_WORDS, "sl_config layout");

#endif /* SLUICE_ABI_H */
