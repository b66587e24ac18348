/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sl_maps.h - every map of sluice, one line each on what it is for.
 *
 * Names are exactly the SL_MAP_* strings of sluice_abi.h, and every map is
 * pinned by name: the loader opens the object with pin_root_path
 * SL_PIN_DIR, so XDP, both TC programs, sluicectl and sluiced share one set.
 *
 * Maps keyed by address come one per family, so a v4 packet hashes a v4-sized
 * key (see "Capacities" in sluice_abi.h).
 *
 * Userspace-only writers: sl_config, sl_exact_*, sl_src_* (the directory's
 * sl_src_nodes and sl_src_leaves included), sl_conn_tags_*,
 * sl_agents.  BPF writes sl_agent_state, sl_syn_buckets and sl_evlimit
 * (atomics), and the per-CPU counters, event fold and ring buffer.  sl_clock alone is private
 * and unpinned.
 */
#ifndef SL_MAPS_H
#define SL_MAPS_H

/* The policy's kernel settings: flags, protected ports, lookup gates.
 * mmap()able so userspace can count connection tags with atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sl_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_config SEC(".maps");

/* Exact IPv4 sources (/32): deny deadline and bound agent, one hash probe.
 * Written only from syscalls, so no preallocation: memory grows with use
 * (measured: preallocation makes no lookup faster). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_EXACT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct sl_src_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_exact_v4 SEC(".maps");

/* Exact IPv6 sources (/128). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_EXACT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_v6_addr_key);
	__type(value, struct sl_src_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_exact_v6 SEC(".maps");

/* Presence filter of all four source tables: a clear bit
 * (sl_src_filter_bit of address and length) proves an entry absent, so a
 * miss skips the hash probe, an out-of-line call, for an array read the
 * verifier inlines.  Written only by userspace, bits set before entries
 * appear and cleared after they go. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_EXACT_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_exact_filter SEC(".maps");

/* IPv4 prefixes shorter than /32, every length in one hash keyed by length
 * and masked address: the table as written, read back by userspace, and
 * what the packet path asks when the source directory does not hold the
 * family.  It probes the lengths sl_config lists, longest first: each probe
 * is a filter bit and, when set, one hash lookup of an 8-byte key. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v4_key);
	__type(value, struct sl_src_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_src_v4 SEC(".maps");

/* IPv6 prefixes shorter than /128, likewise. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v6_key);
	__type(value, struct sl_src_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_src_v6 SEC(".maps");

/* The same IPv4 prefixes again, in an LPM trie: what the packet path asks
 * when the source directory does not hold the family and the policy uses
 * more than SL_PREFIX_PROBES_V4 lengths.  Kept complete always, so the
 * switch between the three is never a gap. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v4_key);
	__type(value, struct sl_src_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_src_lpm_v4 SEC(".maps");

/* The same IPv6 prefixes in an LPM trie. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v6_key);
	__type(value, struct sl_src_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_src_lpm_v6 SEC(".maps");

/* The source directory's nodes, one value per half (see SL_SRC_DIR_NODES):
 * what the packet path walks for a source's longest prefix while
 * sl_config's SL_CFG_F_DIR_* bit for the family is set. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct sl_src_pool);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_src_nodes SEC(".maps");

/* The directory's leaves: the value of the prefix an entry stands for. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * SL_SRC_DIR_LEAVES);
	__type(key, __u32);
	__type(value, struct sl_src_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_src_leaves SEC(".maps");

/* Each half's sequence number: odd while a writer rewrites it (see
 * SL_SRC_DIR_NODES). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_src_dir_seq SEC(".maps");

/* Each half's shared leading bytes per family (struct sl_src_dir_head). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct sl_src_dir_head);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_src_dir_head SEC(".maps");

/* IPv4 connections sluiced authenticated: 5-tuple -> agent (sluiced writes). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_CONN_TAGS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_conn_v4_key);
	__type(value, struct sl_conn_tag);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_conn_tags_v4 SEC(".maps");

/* IPv6 connections sluiced authenticated. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_MAX_CONN_TAGS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_conn_v6_key);
	__type(value, struct sl_conn_tag);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_conn_tags_v6 SEC(".maps");

/* Agents by id (dense ids: an array, never a hash): flags, ban, limits. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_MAX_AGENTS);
	__type(key, __u32);
	__type(value, struct sl_agent);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_agents SEC(".maps");

/* Agents' GCRA bucket clocks; shared by all CPUs, updated with atomics.
 * Values are 64 B, and mmapable only because that puts the first value on a
 * page boundary (a plain array's values start 56 B into a cache line on
 * 6.x kernels): so each agent owns exactly one cache line, and RX CPUs
 * charging different agents never bounce a line between them. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_MAX_AGENTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sl_agent_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_agent_state SEC(".maps");

/* Per-agent traffic counters, per CPU so increments need no atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_MAX_AGENTS);
	__type(key, __u32);
	__type(value, struct sl_agent_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_agent_stats SEC(".maps");

/* Per-source SYN buckets (v4 /32; v6 /64, /56, /48), at the keyed hash
 * sl_syn_bucket_index() of the source: an array, so a flood of new sources
 * inserts nothing and evicts nothing (see SL_SYN_BUCKETS_LOG2).  Mmapable so
 * that tests can reset all of it at once. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_SYN_BUCKETS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sl_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_syn_buckets SEC(".maps");

/* Verdict, reason, event and egress counters: enum sl_stat slots, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_stats SEC(".maps");

/* The event budget's window, one for all CPUs (see sl_events.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_event_limiter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_evlimit SEC(".maps");

/* Each CPU's suppressed events, not yet folded into an event (sl_events.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_event_fold);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_evfold SEC(".maps");

/* BPF-private (not in the ABI, not pinned): each CPU's last reading of the
 * coarse clock and the jiffy it was taken in; see sl_clock_read(). */
struct sl_clock_cache {
	__u64 jiffies;
	__u64 coarse_ns;
};

/* Per-CPU clock cache.  Deliberately unpinned: nothing outside reads it,
 * and a fresh, empty cache per loaded object is correct. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_clock_cache);
} sl_clock SEC(".maps");

/* Drop, would-drop and RST events for sluiced's audit writer. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SL_RINGBUF_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sl_events SEC(".maps");

#endif /* SL_MAPS_H */
