/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel.h - the daemon and the kernel half as one: connection tags, and
 * the bans of agents, whoever set them.
 *
 * Tags: once a request on a client connection is authenticated, the
 * connection's tuple (as the agent sends it: agent address:port → gateway
 * address:port, TCP) is tagged in conn_tags with the agent's kernel id, so
 * XDP charges its packets to the agent (budgets) and drops or resets them
 * while it is banned.  A connection whose requests change identity is
 * re-tagged with the last identity authenticated on it: the packets that
 * follow carry that identity's requests, and a caller can only switch to
 * an identity whose credential it holds.  The tag goes when the connection
 * closes.  At start every tag is removed: a new daemon holds none of the
 * previous one's connections (their sockets died with it, or belong to no
 * one now), so every tag there describes a connection it will never close.
 *
 * Bans: an agent is banned by escalation (a worker's esc_note() tripped:
 * kernel_trip()), by hand (sluicectl ban, which writes sl_agents and tells
 * a running daemon on the control socket), or by anyone writing
 * sl_agents.banned_until_ns (a timer of the main thread reads it every
 * KERNEL_WATCH_MS for agents with open connections or a ban: a lookup
 * each, or one batch read of sl_agents when they are more than
 * KERNEL_WATCH_BATCH).  Every worker refuses a banned agent's requests
 * (kernel_banned()) and closes its connections (proxy_enforce_bans()).
 * A ban ends at its deadline (the XDP check compares with the clock; the
 * timer notices and records it) or by hand (unban).  Each ban and each end
 * is an audit record and a log line.
 *
 * Learned sources (kernel.learn_sources): the source address (exact /32 or
 * /128) of a connection authenticated by key or token is written into the
 * kernel's source table as an identity of the agent, so XDP attributes its
 * SYNs (the agent's SYN bucket, and a ban resets or drops its new
 * connections before they reach the daemon).  Never over a policy source, a
 * deny or a block.  A source stays learned while the agent has connections
 * from it and learn_idle_s after the last one closed; then it is removed.
 * A source another agent authenticates from too is learned for nobody (its
 * entry is removed) until neither has had a connection from it for
 * learn_idle_s: no flip-flop between two agents behind one address (a NAT).
 * At most KERNEL_LEARN_MAX sources are learned at once; past that, none is
 * added until one expires.
 *
 * Agents are known by "slot": a name's slot never changes for the life of
 * the process, whatever reloads do, so a ban outlives a reload that keeps
 * the agent.  Deadlines are CLOCK_MONOTONIC ns (the kernel's clock base).
 */
#ifndef SL_KERNEL_H
#define SL_KERNEL_H

#include <stdbool.h>
#include <linux/types.h>

#include "base/ev.h"
#include "base/net.h"
#include "kern/maps.h"
#include "policy/escalation.h"

#define KERNEL_WATCH_MS 50	/* how often the main thread reads bans set by others */
#define KERNEL_WATCH_BATCH 64	/* more agents to read than this: one batch read of all */
#define KERNEL_LEARN_MAX 4096	/* learned sources at once (each a source-table entry) */

struct gw_policy;

/* A client connection's part (client.h embeds it). */
struct kernel_conn {
	int slot;			/* the last identity authenticated on it, -1 none */
	bool tagged;			/* conn_tags holds @tuple */
	unsigned int maps_gen;		/* the maps its tag was last written to (see kernel.c) */
	unsigned int ids_gen;		/* the agent ids it was last tagged with */
	bool learning;			/* counted as a connection of its source (learned) */
	struct sl_conn_tuple tuple;
};

/*
 * kernel.interfaces: loads sluice's programs (adopting the maps pinned under
 * @pin_dir, so their state survives) and attaches them to each interface
 * the policy names (kern/attach.h); @only_new: only those not attached yet
 * (a reload).  What is attached stays when sluiced stops.  An interface it
 * cannot attach to is a loud warning and -EIO; the others still attach.
 */
int kernel_attach(const char *pin_dir, const struct policy *pol, bool only_new);
/* At start, before any worker: @maps, the daemon's maps, @attached when
 * they are open (else L7 only until maps are pinned and followed:
 * kernel_maps_swap()); NULL: L7 only for good.  Removes every tag the maps
 * hold (see above). */
int kernel_init(struct sl_maps *maps, bool attached);
void kernel_fini(void);
/* Main thread, before @gp is installed: slots and kernel ids of its
 * agents (looked up once per policy; requests never read the maps for it),
 * and the learned sources written again (a policy load replaced them). */
int kernel_policy(struct gw_policy *gp);
/* Main thread: runs @swap(@arg) (sl_maps_follow() on the maps given to
 * kernel_init()) while no worker uses the maps' descriptors; returns what
 * @swap returned.  Then, once @pol is applied to maps pinned anew,
 * kernel_maps_renewed() reads its agents' ids there for the tags to come. */
int kernel_maps_swap(int (*swap)(void *arg), void *arg);
void kernel_maps_renewed(const struct policy *pol);
/* Main thread: the ban timer and the queue of escalation trips on @loop;
 * @notify wakes the workers to close banned agents' connections. */
int kernel_watch(struct ev_loop *loop, void (*notify)(void));

/* Workers.  A request on @fd (peer @peer) authenticated as @agent of @gp;
 * @by_credential: by its key or token (a source that identified the agent
 * is the policy's already, never learned). */
void kernel_conn_auth(struct kernel_conn *kc, int fd, const struct net_addr *peer,
		      const struct gw_policy *gp, int agent, bool by_credential);
/* The connection closes: its tag goes. */
void kernel_conn_close(struct kernel_conn *kc);
/* Is @agent (slot @slot) banned at @now_ns?  *until_ns: the deadline. */
bool kernel_banned(const struct gw_policy *gp, int agent, __u64 now_ns, __u64 *until_ns);
bool kernel_slot_banned(int slot, __u64 now_ns, __u64 *until_ns);
/* Escalation tripped for @agent: banned now for the workers; the main
 * thread writes the kernel, the audit record, and closes its connections. */
void kernel_trip(const struct gw_policy *gp, int agent, const struct esc_trip *trip,
		 __u64 now_ns);

/* The control socket: "ban NAME UNTIL_NS" (SL_FOREVER: no deadline) and
 * "unban NAME", answered into @out. */
void kernel_control(const char *line, char *out, size_t len);

/* A ban's deadline in words for an agent: "2026-12-03T07:01:02Z" (UTC),
 * or "lifted by an operator" for SL_FOREVER. */
void kernel_until_str(__u64 until_ns, __u64 now_ns, char *buf, size_t len);

/* The refusal of a banned agent's request (slot @slot): its message, its
 * JSON-RPC error data (JSON text: agent, banned_until, retry_after_ms) and
 * the seconds until the ban ends (0: no deadline).  Agent names are
 * checked by the policy: no character that needs escaping in JSON. */
void kernel_ban_message(int slot, __u64 until_ns, __u64 now_ns, char *msg, size_t msg_len,
			char *data, size_t data_len, unsigned long long *retry_after_s);
/* Slot of @agent under @gp, -1 none. */
int kernel_agent_slot(const struct gw_policy *gp, int agent);

#endif
