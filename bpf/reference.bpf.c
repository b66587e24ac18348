// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * reference.bpf.c - the benchmark's yardstick: what a straightforward XDP
 * rate limiter costs.  Ethernet, IPv4/IPv6 and TCP parsed; one LPM trie
 * lookup of the source (a deny list: a hit with a non-zero value drops);
 * one LRU hash lookup of the source's token bucket, created on first sight;
 * the bucket refilled from bpf_ktime_get_ns() and a token taken with
 * atomics.  scripts/bench/xdp-cost loads the same prefixes into its trie as
 * into sluice's tables and reports sluice's worst path against it.
 *
 * Not part of sluice: nothing attaches it and nothing else reads its maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define REF_ETH_P_IP	0x0800
#define REF_ETH_P_IPV6	0x86DD
#define REF_MAX_PREFIXES 16384
#define REF_MAX_SOURCES	262144

/* LPM key: the prefix length, then the address (v4 in addr[0]). */
struct ref_lpm_key {
	__u32 prefixlen;
	__u32 addr[4];
};

/* Source key of the bucket table (v4 in addr[0], the rest zero). */
struct ref_src_key {
	__u32 addr[4];
};

struct ref_bucket {
	__u64 tokens;		/* whole tokens, at most burst */
	__u64 last_ns;		/* when tokens were last added */
};

/* Refill rate and burst, written by the benchmark before it runs. */
struct ref_config {
	__u64 ns_per_token;
	__u64 burst;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, REF_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ref_lpm_key);
	__type(value, __u32);
} ref_deny SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, REF_MAX_SOURCES);
	__type(key, struct ref_src_key);
	__type(value, struct ref_bucket);
} ref_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ref_config);
} ref_config SEC(".maps");

/* Source address of a TCP packet into @key; false when not IP/TCP or short. */
static __always_inline bool ref_parse(void *data, void *data_end, struct ref_lpm_key *key)
{
	struct ethhdr *eth = data;
	struct tcphdr *tcp;

	if ((void *)(eth + 1) > data_end)
		return false;
	if (eth->h_proto == bpf_htons(REF_ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP || ip->ihl < 5)
			return false;
		tcp = (void *)ip + ip->ihl * 4;
		key->prefixlen = 32;
		key->addr[0] = ip->saddr;
	} else if (eth->h_proto == bpf_htons(REF_ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_TCP)
			return false;
		tcp = (void *)(ip6 + 1);
		key->prefixlen = 128;
		__builtin_memcpy(key->addr, &ip6->saddr, sizeof(key->addr));
	} else {
		return false;
	}
	return (void *)(tcp + 1) <= data_end;
}

SEC("xdp")
int reference_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ref_lpm_key key = {};
	struct ref_src_key src = {};
	struct ref_config *cfg;
	struct ref_bucket *b;
	__u64 now, last, add, have;
	__u32 *deny, zero = 0;

	if (!ref_parse(data, data_end, &key))
		return XDP_PASS;
	deny = bpf_map_lookup_elem(&ref_deny, &key);
	if (deny && *deny)
		return XDP_DROP;
	cfg = bpf_map_lookup_elem(&ref_config, &zero);
	if (!cfg || !cfg->ns_per_token)
		return XDP_PASS;
	__builtin_memcpy(src.addr, key.addr, sizeof(src.addr));
	now = bpf_ktime_get_ns();
	b = bpf_map_lookup_elem(&ref_buckets, &src);
	if (!b) {
		struct ref_bucket fresh = { .tokens = cfg->burst - 1, .last_ns = now };

		bpf_map_update_elem(&ref_buckets, &src, &fresh, BPF_NOEXIST);
		return XDP_PASS;
	}
	/* Refill: whoever moves last_ns forward adds the tokens it covers. */
	last = b->last_ns;
	add = now > last ? (now - last) / cfg->ns_per_token : 0;
	if (add && __sync_val_compare_and_swap(&b->last_ns, last,
					       last + add * cfg->ns_per_token) == last) {
		have = __sync_fetch_and_add(&b->tokens, add) + add;
		if (have > cfg->burst)
			__sync_fetch_and_add(&b->tokens, cfg->burst - have);
	}
	/* Take a token; give it back when there was none. */
	if ((__s64)__sync_fetch_and_add(&b->tokens, -1) <= 0) {
		__sync_fetch_and_add(&b->tokens, 1);
		return XDP_DROP;
	}
	return XDP_PASS;
}
