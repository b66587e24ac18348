/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * maps.h - the pinned BPF maps, as userspace writes and reads them.
 *
 * Every writer (sluicectl, sluiced) holds the pin directory's flock while it
 * reads, recomputes and writes, so two writers never interleave a diff.
 * Writes are diffs: new and changed entries first, removals last, so an
 * entry present before and after a change is never absent in between (and a
 * source covered before and after is covered throughout, even when its cover
 * changes).  The maps must therefore hold old and new entries together: a
 * change that would not is refused (-E2BIG) before anything is written.
 * Monitor mode turned on is set before the rest of a policy is written,
 * turned off is cleared after the rest.
 */
#ifndef SL_MAPS_H
#define SL_MAPS_H

#include <linux/types.h>

#include "sluice_abi.h"
#include "policy/policy.h"
#include "srctab.h"

struct sl_maps {
	int config;
	int exact_v4;
	int exact_v6;
	int exact_filter;
	int src_v4;
	int src_v6;
	int src_lpm_v4;
	int src_lpm_v6;
	int src_nodes;
	int src_leaves;
	int src_dir_seq;
	int src_dir_head;
	int conn_tags_v4;
	int conn_tags_v6;
	int agents;
	int agent_state;
	int agent_stats;
	int syn_buckets;
	int stats;
	int evlimit;
	int evfold;
	int events;
	int lock_fd;		/* the pin directory, flock()ed by writers */
	struct sl_config *config_mem;	/* sl_config mapped, once a write needs it */
};

/* Opens every map pinned under @pin_dir.  -ENOENT when nothing is attached. */
int sl_maps_open(struct sl_maps *m, const char *pin_dir);
/* Takes map fds from a loaded object (tests); @lock_fd may be -1. */
void sl_maps_init_closed(struct sl_maps *m);
void sl_maps_close(struct sl_maps *m);
int sl_maps_lock(struct sl_maps *m);

/*
 * Keeps @m on the maps pinned under @pin_dir.  Maps outlive a holder's fds
 * only while pinned: the last detach unpins them, and an attach after it
 * pins new, empty ones, which a long-running writer (sluiced) must follow.
 * Compares each held map's kernel id with the pinned one's; @m may be
 * closed (every fd -1) and is opened when maps appear.  Returns
 * SL_MAPS_KEPT (nothing changed), SL_MAPS_OPENED (@m holds the pinned maps
 * now, empty of the caller's policy: write it again), SL_MAPS_CLOSED
 * (nothing is pinned: @m is closed), or -errno (@m unchanged; -EAGAIN while
 * an attach is still pinning).
 */
enum { SL_MAPS_KEPT, SL_MAPS_OPENED, SL_MAPS_CLOSED };
int sl_maps_follow(struct sl_maps *m, const char *pin_dir);
/* Whether sl_maps_follow() would change @m (reads only: callers may skip
 * its lock when not): 1 yes, 0 no, -errno. */
int sl_maps_moved(struct sl_maps *m, const char *pin_dir);
void sl_maps_unlock(struct sl_maps *m);

/* CLOCK_MONOTONIC_COARSE now, the clock the BPF side reads. */
__u64 sl_now_ns(void);
/* The shortest burst window (ns) the maps get for any GCRA rate: two ticks
 * of CLOCK_MONOTONIC_COARSE (see rate_to_gcra in maps.c). */
__u64 sl_gcra_min_burst_ns(void);

/* What a policy load changed, for the operator. */
struct sl_apply_report {
	unsigned int src_updated, src_deleted, src_total;
	unsigned int agents_added, agents_updated, agents_removed;
	__u64 generation;
};

/* The kernel part of @pol into the maps, as a diff (caller holds the lock). */
int sl_maps_apply_policy(struct sl_maps *m, const struct policy *pol,
			 struct sl_apply_report *rep);
/* `sluicectl block/unblock`: until_ns SL_FOREVER for no deadline. */
int sl_maps_block(struct sl_maps *m, const struct sl_prefix *pfx, __u64 until_ns);
int sl_maps_unblock(struct sl_maps *m, const struct sl_prefix *pfx);
/* Bans by agent name; -ENOENT when the policy has no such agent. */
int sl_maps_ban(struct sl_maps *m, const char *agent, __u64 until_ns);

/* A source address sluiced learned for agent @agent_id (exact: /32, /128):
 * an identity entry like a policy source's.  -EEXIST when a policy source,
 * a deny or a block covers it (never overridden).  A policy load replaces
 * every identity entry: sluiced writes its learned ones again after its
 * own loads.  Caller holds the lock. */
int sl_maps_learn_source(struct sl_maps *m, const struct sl_prefix *pfx, __u32 agent_id);
/* Removes it, if it is still @agent_id's identity entry (-ENOENT if not). */
int sl_maps_unlearn_source(struct sl_maps *m, const struct sl_prefix *pfx, __u32 agent_id);

/* A connection as the agent sends it: the key of its tag, whatever the
 * family (the maps are per family; this is the one place that knows). */
struct sl_conn_tuple {
	__u32 family;		/* SL_AF_INET or SL_AF_INET6 */
	__u32 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u32 saddr[4];		/* network order; v4 in [0] */
	__u32 daddr[4];
	__u16 sport;		/* network order */
	__u16 dport;
};

/* Tags @c with @agent_id (after sluiced authenticated it), or removes the
 * tag (on close; -ENOENT when there was none).  Safe to call from several
 * threads at once and without the lock: each keeps sl_config's tag count
 * (which gates the packet path's tag probe) at least the tags present. */
int sl_maps_tag_conn(struct sl_maps *m, const struct sl_conn_tuple *c, __u32 agent_id);
int sl_maps_untag_conn(struct sl_maps *m, const struct sl_conn_tuple *c);

/* Removes every connection tag and zeroes their counts in sl_config
 * (sluiced at start, before anything tags: it has no connection of a
 * previous run); how many in @removed. */
int sl_maps_clear_conn_tags(struct sl_maps *m, unsigned int *removed);
/* The id of each of @pol's agents (pol->agents' order) into @ids, 0 for
 * one the maps lack: one read of sl_agents for all of them. */
int sl_maps_agent_ids(struct sl_maps *m, const struct policy *pol, __u32 *ids);
/* Agent @id's ban deadline (0: none; SL_FOREVER: no deadline); -ENOENT when
 * the slot holds no agent. */
int sl_maps_agent_banned_until(struct sl_maps *m, __u32 id, __u64 *until_ns);
/* Every agent's ban deadline into @until_ns (SL_MAX_AGENTS entries, 0 for
 * an empty slot), in as few syscalls as the kernel allows. */
int sl_maps_read_bans(struct sl_maps *m, __u64 *until_ns);
/* Bans agent @id until @until_ns (0 lifts the ban). */
int sl_maps_ban_id(struct sl_maps *m, __u32 id, __u64 until_ns);

/* Reads the source table back from the maps. */
int sl_maps_read_srctab(struct sl_maps *m, struct srctab *t);
/* Agent id of @name, or -ENOENT. */
int sl_maps_agent_id(struct sl_maps *m, const char *name);

int sl_maps_read_config(struct sl_maps *m, struct sl_config *cfg);
/* Sums a per-CPU map's values: @out gets @n u64s summed over CPUs. */
int sl_maps_sum_percpu(int map_fd, __u32 key, __u64 *out, size_t n);

#endif
