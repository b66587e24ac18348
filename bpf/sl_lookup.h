/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_lookup.h - the keyed lookups, one map per address family.
 *
 * A hash lookup costs with its key: jhash runs over every byte and a hit
 * memcmps the whole key.  So each keyed map exists once per family, and a
 * v4 packet hashes 4 (sources) or 16 (connections) bytes instead of v6-sized
 * keys.  The address words in struct sl_pkt already have each key's layout
 * (network order, v4 in saddr[0], a v6 address in saddr[0..3], its /64 in
 * saddr[0..1]), so source keys point into the packet and copy nothing.
 *
 * Sources: the exact hash (gated by a bit of the presence filter), then the
 * longest prefix: a walk of the source directory, one inlined array read
 * per address byte, whenever the directory holds the family's table; else
 * one hash probe per length sl_config lists, each gated by a filter bit
 * (or, with many lengths, the LPM trie).  Connection tags: probed only
 * while sl_config counts any in the family.
 */
#ifndef SL_LOOKUP_H
#define SL_LOOKUP_H

/*
 * Every per-family pair of helper calls below is marked SL_NOMERGE.  Left
 * alone, clang sinks the two arms' calls into one call fed by a phi of map
 * pointers; the verifier then sees one call site with two maps, can neither
 * inline the lookup nor call the map's own lookup directly, and falls back
 * to the generic helper and an indirect, retpolined call (measured: +15 ns
 * a lookup, the v4 SYN path +32 ns).  nomerge keeps one call site per map.
 */
#define SL_NOMERGE __attribute__((nomerge))
/*
 * nomerge alone did not stop the branch folder from sharing the exact
 * lookups' call (each arm loading its map, then jumping to one call: seen
 * in the verifier's xlated dump as a generic bpf_map_lookup_elem, +13 ns on
 * every path that reaches it).  A no-op instruction written differently in
 * each arm right after the call leaves the arms no common tail.
 */
#define SL_APART_A(v) asm volatile("%[p] = %[p]" : [p] "+r"(v))
#define SL_APART_B(v) asm volatile("if %[p] == 0 goto +0" : [p] "+r"(v))

_Static_assert(sizeof(struct sl_v6_addr_key) == sizeof(((struct sl_pkt *)0)->saddr),
	       "sl_exact_v6 keys are a packet's saddr");

/*
 * May the source table of @family hold the entry @addr/@len?  A clear
 * filter bit says no.  Fails towards the probe: before the writer armed the
 * filter, or if the (inlined, never failing) array read did fail, the
 * answer is yes.
 */
static __always_inline bool sl_src_maybe(const struct sl_config *cfg, __u32 family,
					 const __u32 *addr, __u32 len)
{
	__u32 bit, word;
	__u64 *bits;

	if (!(cfg->flags & SL_CFG_F_EXACT_FILTER))
		return true;
	bit = sl_src_filter_bit(&cfg->exact_seed, family, addr, len);
	word = bit / SL_EXACT_FILTER_WORD_BITS;
	bits = bpf_map_lookup_elem(&sl_exact_filter, &word);
	return !bits || (*bits >> (bit % SL_EXACT_FILTER_WORD_BITS)) & 1;
}

/* The exact entry of the source, if the family's table has entries and the
 * filter does not rule the source out. */
static __always_inline struct sl_src_value *sl_lookup_exact(const struct sl_config *cfg,
							     const struct sl_pkt *pkt)
{
	struct sl_src_value *v = NULL;

	if (pkt->family == SL_AF_INET) {
		if (cfg->n_exact_v4 && sl_src_maybe(cfg, SL_AF_INET, pkt->saddr, 32)) {
			SL_NOMERGE v = bpf_map_lookup_elem(&sl_exact_v4, &pkt->saddr[0]);
			SL_APART_A(v);
		}
	} else if (cfg->n_exact_v6 && sl_src_maybe(cfg, SL_AF_INET6, pkt->saddr, 128)) {
		SL_NOMERGE v = bpf_map_lookup_elem(&sl_exact_v6, pkt->saddr);
		SL_APART_B(v);
	}
	return v;
}

/*
 * The longest prefix of the source, by hash probes: the lengths sl_config
 * lists, longest first, each a filter bit and (when set) one hash lookup.
 * The first hit decides: userspace folded every shorter containing entry
 * into it.  Only while the family has at most SL_PREFIX_PROBES_* lengths;
 * past that, the LPM trie answers (see sl_lookup_prefix).
 *
 * Inline and bounded small on purpose.  A loop over all 32 (128) lengths
 * is re-verified for every parser state that reaches it and overruns the
 * verifier's budget.  (A global function verifies once; it was tried and
 * measured slower, but in the same build the exact lookups had been merged,
 * see SL_APART_A, so that measurement does not settle it.)
 */
static __always_inline struct sl_src_value *sl_probe_prefix_v4(const struct sl_config *cfg,
								const struct sl_pkt *pkt, __u32 n)
{
	__u32 host = bpf_ntohl(pkt->saddr[0]), len;
	struct sl_pfx_v4_key key = {};
	struct sl_src_value *v;

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < SL_PREFIX_PROBES_V4; i++) {
		if (i >= n)
			break;
		/* For len in 0..31, the low word of ~0 << (32 - len) is len ones. */
		len = cfg->prefix_lens_v4[i] & (SL_PREFIX_LENS_V4 - 1);
		key.prefixlen = len;
		key.addr = bpf_htonl(host & (__u32)(~0ULL << (32 - len)));
		if (!sl_src_maybe(cfg, SL_AF_INET, &key.addr, len))
			continue;
		SL_NOMERGE v = bpf_map_lookup_elem(&sl_src_v4, &key);
		if (v)
			return v;
	}
	return NULL;
}

/* The IPv6 masks of every length below 128, word by word in network order:
 * a table in .rodata, so the probes mask without branching on the length. */
struct sl_v6_mask {
	__u32 w[4];
};

#define SL_CLAMP32(b)	((b) <= 0 ? 0 : (b) >= 32 ? 32 : (b))
#define SL_M32(b)	((__u32)(0xFFFFFFFFULL << (32 - SL_CLAMP32(b))))
#define SL_MROW(l)	{ { bpf_htonl(SL_M32(l)), bpf_htonl(SL_M32((l) - 32)), \
			    bpf_htonl(SL_M32((l) - 64)), bpf_htonl(SL_M32((l) - 96)) } }
#define SL_MROW4(l)	SL_MROW(l), SL_MROW((l) + 1), SL_MROW((l) + 2), SL_MROW((l) + 3)
#define SL_MROW16(l)	SL_MROW4(l), SL_MROW4((l) + 4), SL_MROW4((l) + 8), SL_MROW4((l) + 12)
#define SL_MROW64(l)	SL_MROW16(l), SL_MROW16((l) + 16), SL_MROW16((l) + 32), SL_MROW16((l) + 48)

static const struct sl_v6_mask sl_v6_masks[SL_PREFIX_LENS_V6] = { SL_MROW64(0), SL_MROW64(64) };

static __always_inline struct sl_src_value *sl_probe_prefix_v6(const struct sl_config *cfg,
								const struct sl_pkt *pkt, __u32 n)
{
	struct sl_pfx_v6_key key = {};
	const struct sl_v6_mask *mask;
	struct sl_src_value *v;
	__u32 len;

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < SL_PREFIX_PROBES_V6; i++) {
		if (i >= n)
			break;
		len = cfg->prefix_lens_v6[i] & (SL_PREFIX_LENS_V6 - 1);
		mask = &sl_v6_masks[len];
		key.prefixlen = len;
		key.addr[0] = pkt->saddr[0] & mask->w[0];
		key.addr[1] = pkt->saddr[1] & mask->w[1];
		key.addr[2] = pkt->saddr[2] & mask->w[2];
		key.addr[3] = pkt->saddr[3] & mask->w[3];
		if (!sl_src_maybe(cfg, SL_AF_INET6, key.addr, len))
			continue;
		SL_NOMERGE v = bpf_map_lookup_elem(&sl_src_v6, &key);
		if (v)
			return v;
	}
	return NULL;
}

/* The longest prefix of the family's trie: the fallback for a family with
 * more than SL_PREFIX_PROBES_* lengths.  The trie holds the same entries. */
static __always_inline struct sl_src_value *sl_lpm_prefix(const struct sl_pkt *pkt)
{
	struct sl_pfx_v6_key k6 = { .prefixlen = 128 };
	struct sl_pfx_v4_key k4 = { .prefixlen = 32, .addr = pkt->saddr[0] };
	struct sl_src_value *v;

	if (pkt->family == SL_AF_INET) {
		SL_NOMERGE v = bpf_map_lookup_elem(&sl_src_lpm_v4, &k4);
		return v;
	}
	__builtin_memcpy(k6.addr, pkt->saddr, sizeof(k6.addr));
	SL_NOMERGE v = bpf_map_lookup_elem(&sl_src_lpm_v6, &k6);
	return v;
}

/* A packet's address, as a type a global function can take. */
struct sl_addr {
	__u32 w[4];
};

/*
 * The longest prefix of @addr in the directory half @flags names, copied
 * into @out: 1 found, 0 none, -1 the half was being rewritten while it was
 * read (ask the hashes and trie).  The half's sequence number is read
 * before the walk and again after the leaf is copied; every read in
 * between is of plain memory in program order (a call and volatile loads
 * keep the compiler from moving them, and the CPU keeps loads in order).
 * Global, not inlined: the verifier walks it once, not once for every
 * parser state that reaches it.  Its three lookups are array lookups the
 * verifier inlines; the call itself is a direct call.
 */
__attribute__((noinline)) int sl_dir_prefix(__u32 flags, const struct sl_addr *addr, __u32 v4,
					    struct sl_src_value *out)
{
	__u32 half = flags & SL_CFG_F_DIR_HALF ? 1 : 0, levels = v4 ? 4 : 16;
	struct sl_src_dir_head *head;
	struct sl_src_value *leaf;
	struct sl_src_pool *pool;
	__u32 *seq, before, e, hidx;
	const __u8 *bytes;

	if (!addr || !out)
		return -1;
	seq = bpf_map_lookup_elem(&sl_src_dir_seq, &half);
	if (!seq)
		return -1;
	before = *(volatile __u32 *)seq;
	if (before & 1)
		return -1;
	/* One node per address byte until an entry that is not a child: 0
	 * (no prefix) or a leaf index + 1.  Each step is plain indexing into
	 * the half's one value, the node index masked for the verifier. */
	pool = bpf_map_lookup_elem(&sl_src_nodes, &half);
	hidx = half * 2 + (v4 ? 0 : 1);
	head = bpf_map_lookup_elem(&sl_src_dir_head, &hidx);
	if (!pool || !head)
		return -1;
	bytes = (const __u8 *)addr->w;
	/* The bytes every prefix shares, at once: an address that differs
	 * there is in none (the walk through them would meet a 0). */
	if (((addr->w[0] & head->mask[0]) ^ head->prefix[0]) |
	    ((addr->w[1] & head->mask[1]) ^ head->prefix[1]) |
	    ((addr->w[2] & head->mask[2]) ^ head->prefix[2]) |
	    ((addr->w[3] & head->mask[3]) ^ head->prefix[3]))
		e = 0;
	else
		e = SL_SRC_DIR_CHILD | head->start;
#pragma clang loop unroll(disable)
	for (__u32 i = head->skip & 15; i < 16; i++) {
		if (!(e & SL_SRC_DIR_CHILD) || i >= levels)
			break;
		e = pool->n[e & (SL_SRC_DIR_NODES - 1)].e[bytes[i]];
	}
	if (e & SL_SRC_DIR_CHILD)
		e = 0;	/* a child past the last level: never written */
	if (e) {
		__u32 index = e - 1;

		leaf = bpf_map_lookup_elem(&sl_src_leaves, &index);
		if (!leaf)
			return -1;
		out->eff_deny_until_ns = *(volatile __u64 *)&leaf->eff_deny_until_ns;
		out->eff_agent_id = *(volatile __u32 *)&leaf->eff_agent_id;
	}
	barrier();
	if (*(volatile __u32 *)seq != before)
		return -1;
	return e ? 1 : 0;
}

/* The longest prefix entry of the source, if its family has any (copied
 * into @scratch when the directory answers): the directory when it holds
 * the family's table, else hash probes at the few lengths in use, else the
 * trie.  sl_config's flags are read once, so the family's bit and the half
 * come from the same write. */
static __always_inline struct sl_src_value *sl_lookup_prefix(const struct sl_config *cfg,
							      const struct sl_pkt *pkt,
							      struct sl_src_value *scratch)
{
	__u32 flags = *(volatile const __u32 *)&cfg->flags, v4 = pkt->family == SL_AF_INET;
	int found;
	__u32 n;

	n = v4 ? cfg->n_prefix_lens_v4 : cfg->n_prefix_lens_v6;
	if (!n)
		return NULL;
	if (flags & (v4 ? SL_CFG_F_DIR_V4 : SL_CFG_F_DIR_V6)) {
		found = sl_dir_prefix(flags, (const struct sl_addr *)pkt->saddr, v4, scratch);
		if (found >= 0)
			return found ? scratch : NULL;
	}
	if (v4)
		return n > SL_PREFIX_PROBES_V4 ? sl_lpm_prefix(pkt) : sl_probe_prefix_v4(cfg, pkt, n);
	return n > SL_PREFIX_PROBES_V6 ? sl_lpm_prefix(pkt) : sl_probe_prefix_v6(cfg, pkt, n);
}

/* Can the family's tag table hold anything?  The writer raises the count
 * before a tag appears and lowers it after it is gone. */
static __always_inline bool sl_conn_tags_exist(const struct sl_config *cfg, __u8 family)
{
	if (family == SL_AF_INET)
		return *(volatile const __u32 *)&cfg->n_conn_tags_v4 != 0;
	return *(volatile const __u32 *)&cfg->n_conn_tags_v6 != 0;
}

/*
 * The tag of the connection @saddr:@sport -> @daddr:@dport, as the agent
 * sends it (egress passes a reply's tuple reversed).  Keys are built whole
 * on the stack, padding included: a hash compares every key byte.
 */
static __always_inline struct sl_conn_tag *sl_lookup_conn_tag(__u8 family, __u8 proto,
							      const __u32 *saddr,
							      const __u32 *daddr, __u16 sport,
							      __u16 dport)
{
	struct sl_conn_v6_key k6 = { .sport = sport, .dport = dport, .proto = proto };
	struct sl_conn_v4_key k4 = { .saddr = saddr[0], .daddr = daddr[0],
				     .sport = sport, .dport = dport, .proto = proto };
	struct sl_conn_tag *tag;

	if (family == SL_AF_INET) {
		SL_NOMERGE tag = bpf_map_lookup_elem(&sl_conn_tags_v4, &k4);
		return tag;
	}
	__builtin_memcpy(k6.saddr, saddr, sizeof(k6.saddr));
	__builtin_memcpy(k6.daddr, daddr, sizeof(k6.daddr));
	SL_NOMERGE tag = bpf_map_lookup_elem(&sl_conn_tags_v6, &k6);
	return tag;
}

/* The SYN bucket of @level of source @saddr.  An array read the verifier
 * inlines: it cannot miss for an index under SL_SYN_BUCKETS. */
static __always_inline struct sl_bucket *sl_lookup_syn_bucket(const struct sl_exact_seed *seed,
							       const __u32 *saddr, __u32 level)
{
	__u32 index = sl_syn_bucket_index(seed, level, saddr);

	return bpf_map_lookup_elem(&sl_syn_buckets, &index);
}

#endif /* SL_LOOKUP_H */
