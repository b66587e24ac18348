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

_Static_assert(sizeof(struct sl_v6_addr_key) == sizeof(((struct sl_pkt *)0)->saddr),
	       "sl_exact_v6 keys are a packet's saddr");

/*
 * May the source be in its family's exact table?  A clear filter bit says
 * no.  Fails towards the probe: before the writer armed the filter, or if
 * the (inlined, never failing) array read did fail, the answer is yes.
 */
static __always_inline bool sl_exact_maybe(const struct sl_config *cfg,
					   const struct sl_pkt *pkt)
{
	__u32 bit, word;
	__u64 *bits;

	if (!(cfg->flags & SL_CFG_F_EXACT_FILTER))
		return true;
	bit = sl_exact_filter_bit(&cfg->exact_seed, pkt->family, pkt->saddr);
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
		if (cfg->n_exact_v4 && sl_exact_maybe(cfg, pkt))
			SL_NOMERGE v = bpf_map_lookup_elem(&sl_exact_v4, &pkt->saddr[0]);
	} else if (cfg->n_exact_v6 && sl_exact_maybe(cfg, pkt)) {
		SL_NOMERGE v = bpf_map_lookup_elem(&sl_exact_v6, pkt->saddr);
	}
	return v;
}

static __always_inline struct sl_src_value *sl_lookup_prefix_v4(const struct sl_pkt *pkt)
{
	struct sl_lpm_v4_key key = { .prefixlen = 32, .addr = pkt->saddr[0] };

	return bpf_map_lookup_elem(&sl_src_v4, &key);
}

static __always_inline struct sl_src_value *sl_lookup_prefix_v6(const struct sl_pkt *pkt)
{
	struct sl_lpm_v6_key key = { .prefixlen = 128 };

	__builtin_memcpy(key.addr, pkt->saddr, sizeof(key.addr));
	return bpf_map_lookup_elem(&sl_src_v6, &key);
}

/* The longest prefix of the family's trie, if that trie has entries. */
static __always_inline struct sl_src_value *sl_lookup_prefix(const struct sl_config *cfg,
							      const struct sl_pkt *pkt)
{
	if (pkt->family == SL_AF_INET)
		return cfg->n_prefix_v4 ? sl_lookup_prefix_v4(pkt) : NULL;
	return cfg->n_prefix_v6 ? sl_lookup_prefix_v6(pkt) : NULL;
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
