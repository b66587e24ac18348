// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel.c - connection tags and bans (see kernel.h).
 *
 * Threads: workers tag and untag (one map update per connection, none per
 * request), read the slots' deadlines (atomics) and queue escalation trips;
 * the main thread alone writes sl_agents (under the pin directory's lock,
 * like sluicectl), records bans and their ends, and wakes the workers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "base/log.h"
#include "base/prefix.h"
#include "kern/attach.h"
#include "audit.h"
#include "gwconf.h"
#include "kernel.h"

#define NS_PER_S 1000000000ull

enum ban_origin { BAN_NONE = 0, BAN_LIMITED, BAN_DENIED, BAN_MANUAL };

struct kslot {
	char name[SL_NAME_MAX];
	_Atomic __u32 kern_id;		/* 0: the maps lack it (or no maps) */
	_Atomic __u64 until_ns;		/* the ban the workers enforce; 0 none */
	_Atomic int conns;		/* connections whose last identity it is */
	/* main thread only */
	__u64 recorded_ns;		/* the ban last recorded (audit, log); 0 none */
	/* a trip queued by a worker (under trip_lock) */
	_Atomic bool trip_pending;
	struct esc_trip trip;
	__u64 trip_until_ns;
};

/* A connection of an agent from a source opened (+1) or closed (-1), for
 * the main thread's table of learned sources. */
struct learn_ev {
	struct sl_prefix src;
	int slot;
	int delta;
};

#define LEARN_QUEUE 8192	/* events waiting for the main thread; past it, dropped */
#define LEARN_CONFLICT (-1)	/* a learned entry's slot: two agents, learned for nobody */

struct learned {
	struct sl_prefix src;
	int slot;			/* the agent, or LEARN_CONFLICT */
	__u32 kern_id;			/* the agent id written, while in_kernel */
	int conns;			/* open connections from it */
	__u64 last_ns;			/* the last connection opened or closed */
	bool in_kernel;
};

static struct {
	struct sl_maps *maps;		/* NULL: L7 only */
	struct kslot *slots;		/* SL_MAX_AGENTS */
	_Atomic size_t n_slots;
	pthread_mutex_t slot_lock;	/* assigning slots */
	pthread_mutex_t trip_lock;
	/* Workers hold it shared while they use the maps' descriptors (tags,
	 * a ban's read); the main thread exclusively while it swaps them for
	 * newly pinned maps (kernel_maps_swap()). */
	pthread_rwlock_t maps_lock;
	int trip_fd;			/* eventfd: a trip is queued */
	struct ev_loop *loop;
	struct ev_timer timer;
	void (*notify)(void);
	/* learned sources: the queue (workers, under learn_lock), the table
	 * (main thread only) */
	pthread_mutex_t learn_lock;
	struct learn_ev *lq;
	size_t lq_head, lq_n, lq_dropped;
	struct learned *learned;	/* KERNEL_LEARN_MAX */
	size_t n_learned;
	bool learn_full_warned;
	_Atomic bool learn_on;
	unsigned int learn_idle_s;
	/* the watch's read of every ban at once, when many agents need one */
	__u64 *bans;			/* SL_MAX_AGENTS, main thread only */
	bool bans_read;			/* filled this tick */
	/* bumped by kernel_maps_swap() when the maps change (under maps_lock):
	 * a connection tagged in older maps is tagged again on its next
	 * request, in the maps held now */
	_Atomic unsigned int maps_gen;
	/* bumped once new maps have their agent ids: a connection that found
	 * none meanwhile is tagged on its next request */
	_Atomic unsigned int ids_gen;
	/* maps open: set at start and by kernel_maps_swap() (under maps_lock,
	 * which the workers' tags hold); a daemon started before any attach
	 * begins without and takes the maps once they are pinned */
	_Atomic bool attached;
	bool learn_want;		/* the policy's kernel.learn_sources */
} k = { .slot_lock = PTHREAD_MUTEX_INITIALIZER, .trip_lock = PTHREAD_MUTEX_INITIALIZER,
	/* writer first: a steady stream of tags must not starve the swap */
	.maps_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP,
	.learn_lock = PTHREAD_MUTEX_INITIALIZER, .trip_fd = -1 };

/* --- deadlines in words ------------------------------------------------------------- */

void kernel_until_str(__u64 until_ns, __u64 now_ns, char *buf, size_t len)
{
	struct timespec wall;
	struct tm tm;
	time_t at;

	if (until_ns == SL_FOREVER) {
		snprintf(buf, len, "lifted by an operator");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &wall);
	at = wall.tv_sec + (time_t)((until_ns > now_ns ? until_ns - now_ns : 0) + NS_PER_S - 1) /
			   (time_t)NS_PER_S;
	gmtime_r(&at, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void kernel_ban_message(int slot, __u64 until_ns, __u64 now_ns, char *msg, size_t msg_len,
			char *data, size_t data_len, unsigned long long *retry_after_s)
{
	const char *name = slot >= 0 && k.slots ? k.slots[slot].name : "";
	unsigned long long left = until_ns == SL_FOREVER || until_ns <= now_ns ? 0 :
				  (until_ns - now_ns + NS_PER_S - 1) / NS_PER_S;
	char at[64];

	kernel_until_str(until_ns, now_ns, at, sizeof(at));
	if (until_ns == SL_FOREVER) {
		snprintf(msg, msg_len, "sluice: agent %s is banned until an operator lifts the "
			 "ban; its connections are closed", name);
		snprintf(data, data_len, "{\"agent\":\"%s\",\"banned_until\":null}", name);
	} else {
		snprintf(msg, msg_len, "sluice: agent %s is banned until %s (%llu s from now); "
			 "its connections are closed: come back after that", name, at, left);
		snprintf(data, data_len, "{\"agent\":\"%s\",\"banned_until\":\"%s\","
			 "\"retry_after_ms\":%llu}", name, at,
			 (unsigned long long)((until_ns - now_ns) / 1000000));
	}
	*retry_after_s = left;
}

static __u64 now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NS_PER_S + (__u64)ts.tv_nsec;
}

/* --- attaching ------------------------------------------------------------------------ */

static bool attached(const struct sl_attachment *list, int n, const char *ifname)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i].ifname, ifname))
			return true;
	return false;
}

int kernel_attach(const char *pin_dir, const struct policy *pol, bool only_new)
{
	struct sl_attachment list[256];
	int n = sl_list_attachments(pin_dir, list, 256), failed = 0;

	for (size_t i = 0; i < pol->kernel.n_ifaces; i++) {
		const struct pol_iface *ifc = &pol->kernel.ifaces[i];
		int err;

		if (only_new && n > 0 && attached(list, n, ifc->name))
			continue;
		err = sl_attach(pin_dir, ifc->name, ifc->mode);
		if (err) {
			pr_warn("sluiced: kernel.interfaces: cannot attach to %s (%s) under %s: %s; "
				"the kernel half does NOT enforce on %s\n", ifc->name,
				sl_mode_name(ifc->mode), pin_dir, strerror(-err), ifc->name);
			failed++;
		} else {
			pr_info("sluiced: kernel half attached to %s (%s), pins under %s\n",
				ifc->name, sl_mode_name(ifc->mode), pin_dir);
		}
	}
	return failed ? -EIO : 0;
}

/* --- slots -------------------------------------------------------------------------- */

static int slot_of(const char *name)
{
	size_t n = atomic_load(&k.n_slots);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(k.slots[i].name, name))
			return (int)i;
	if (n == SL_MAX_AGENTS)
		return -ENOSPC;
	snprintf(k.slots[n].name, sizeof(k.slots[n].name), "%s", name);
	atomic_store(&k.n_slots, n + 1);
	return (int)n;
}

/* The maps are there to write to. */
static bool on(void)
{
	return k.maps && atomic_load(&k.attached);
}

/* Removes every connection tag: those of a previous daemon, none of ours. */
static int clear_tags(struct sl_maps *maps)
{
	unsigned int removed = 0;
	int err = sl_maps_clear_conn_tags(maps, &removed);

	if (err) {
		pr_warn("sluiced: cannot clear the connection tags: %s\n", strerror(-err));
		return err;
	}
	if (removed)
		pr_info("sluiced: removed %u connection tags of a previous run\n", removed);
	return 0;
}

int kernel_init(struct sl_maps *maps, bool attached)
{
	k.slots = calloc(SL_MAX_AGENTS, sizeof(*k.slots));
	k.lq = calloc(LEARN_QUEUE, sizeof(*k.lq));
	k.bans = maps ? calloc(SL_MAX_AGENTS, sizeof(*k.bans)) : NULL;
	k.learned = calloc(KERNEL_LEARN_MAX, sizeof(*k.learned));
	if (!k.slots || !k.lq || !k.learned || (maps && !k.bans))
		return -ENOMEM;
	k.maps = maps;
	atomic_store(&k.attached, maps && attached);
	return on() ? clear_tags(maps) : 0;
}

void kernel_fini(void)
{
	if (k.loop && k.trip_fd >= 0) {
		ev_unwatch(k.loop, k.trip_fd);
		ev_timer_cancel(k.loop, &k.timer);
	}
	if (k.trip_fd >= 0)
		close(k.trip_fd);
	k.trip_fd = -1;
	free(k.slots);
	free(k.bans);
	k.bans = NULL;
	free(k.lq);
	free(k.learned);
	k.slots = NULL;
	k.lq = NULL;
	k.learned = NULL;
}

/* --- learned sources: the main thread's table --------------------------------------------- */

static void learn_write(struct learned *l, bool add)
{
	__u32 id = l->slot >= 0 ? atomic_load(&k.slots[l->slot].kern_id) : 0;
	char text[INET6_ADDRSTRLEN + 8];
	int err;

	if (!on() || (add && !id) || add == l->in_kernel)
		return;
	sl_prefix_format(&l->src, text, sizeof(text));
	err = sl_maps_lock(k.maps);
	if (!err)
		err = add ? sl_maps_learn_source(k.maps, &l->src, id) :
			    sl_maps_unlearn_source(k.maps, &l->src, l->kern_id);
	sl_maps_unlock(k.maps);
	if (add && err == -EEXIST)
		pr_debug("sluiced: %s: a policy source, deny or block covers it; not learned\n",
			 text);
	else if (err && err != -ENOENT)
		pr_warn("sluiced: cannot %s learned source %s: %s\n", add ? "write" : "remove",
			text, strerror(-err));
	else if (add)
		pr_info("sluiced: learned source %s for agent %s\n", text, k.slots[l->slot].name);
	else
		pr_info("sluiced: learned source %s removed\n", text);
	if (!err || !add)
		l->in_kernel = add && !err;
	if (add && !err)
		l->kern_id = id;
}

static struct learned *learned_find(const struct sl_prefix *src)
{
	for (size_t i = 0; i < k.n_learned; i++)
		if (!sl_prefix_cmp(&k.learned[i].src, src))
			return &k.learned[i];
	return NULL;
}

static void learned_drop(struct learned *l)
{
	learn_write(l, false);
	*l = k.learned[--k.n_learned];
}

/* Another agent from a learned source: it is learned for nobody from now. */
static void learn_conflict(struct learned *l, int slot)
{
	char text[INET6_ADDRSTRLEN + 8];

	sl_prefix_format(&l->src, text, sizeof(text));
	pr_warn("sluiced: source %s authenticated as agents %s and %s: learned for neither "
		"until no connection came from it for the idle time\n", text,
		k.slots[l->slot].name, k.slots[slot].name);
	learn_write(l, false);
	l->slot = LEARN_CONFLICT;
}

static void learn_event(const struct learn_ev *ev, __u64 now)
{
	struct learned *l = learned_find(&ev->src);

	if (!l && ev->delta < 0)
		return;
	if (!l) {
		if (k.n_learned == KERNEL_LEARN_MAX) {
			if (!k.learn_full_warned)
				pr_warn("sluiced: %d learned sources: no more until one expires\n",
					KERNEL_LEARN_MAX);
			k.learn_full_warned = true;
			return;
		}
		l = &k.learned[k.n_learned++];
		*l = (struct learned){ .src = ev->src, .slot = ev->slot };
		learn_write(l, true);
	} else if (ev->delta > 0 && l->slot != LEARN_CONFLICT && l->slot != ev->slot) {
		learn_conflict(l, ev->slot);
	}
	l->conns += ev->delta;
	if (l->conns < 0)
		l->conns = 0;	/* its opening was lost to a full queue */
	l->last_ns = now;
}

/* The workers' events, then the sources idle for learn_idle_s. */
static void run_learn(__u64 now)
{
	__u64 idle_ns = (__u64)k.learn_idle_s * NS_PER_S;
	struct learn_ev ev;

	for (;;) {
		pthread_mutex_lock(&k.learn_lock);
		if (!k.lq_n) {
			pthread_mutex_unlock(&k.learn_lock);
			break;
		}
		ev = k.lq[k.lq_head];
		k.lq_head = (k.lq_head + 1) % LEARN_QUEUE;
		k.lq_n--;
		pthread_mutex_unlock(&k.learn_lock);
		learn_event(&ev, now);
	}
	for (size_t i = 0; i < k.n_learned;)
		if (!k.learned[i].conns && now - k.learned[i].last_ns >= idle_ns)
			learned_drop(&k.learned[i]);
		else
			i++;
}

/* A policy load: learning on or off, and what was learned written again
 * (the load replaced every identity entry of the source table). */
static void learn_policy(bool on, unsigned int idle_s)
{
	atomic_store(&k.learn_on, on);
	k.learn_idle_s = idle_s ? idle_s : 600;
	for (size_t i = 0; i < k.n_learned;) {
		struct learned *l = &k.learned[i];

		if (!on) {
			learned_drop(l);
			continue;
		}
		l->in_kernel = false;
		if (l->slot != LEARN_CONFLICT)
			learn_write(l, true);
		i++;
	}
}

int kernel_policy(struct gw_policy *gp)
{
	const struct policy *pol = gp->pol;
	size_t n = pol->n_agents ? pol->n_agents : 1;
	__u32 *ids = calloc(n, sizeof(*ids));
	int err = ids ? 0 : -ENOMEM;

	gp->agent_slot = calloc(n, sizeof(*gp->agent_slot));
	if (!gp->agent_slot)
		err = -ENOMEM;
	if (!err && on())
		err = sl_maps_agent_ids(k.maps, pol, ids);
	pthread_mutex_lock(&k.slot_lock);
	for (size_t i = 0; !err && i < pol->n_agents; i++) {
		int s = slot_of(pol->agents[i].name);

		if (s < 0) {
			err = s;
			break;
		}
		gp->agent_slot[i] = s;
		atomic_store(&k.slots[s].kern_id, ids[i]);
	}
	pthread_mutex_unlock(&k.slot_lock);
	free(ids);
	if (!err)
		learn_policy((k.learn_want = gp->cfg.learn_sources) && on(), gp->cfg.learn_idle_s);
	return err;
}

int kernel_agent_slot(const struct gw_policy *gp, int agent)
{
	if (agent < 0 || !gp->agent_slot || (size_t)agent >= gp->pol->n_agents)
		return -1;
	return gp->agent_slot[agent];
}

/* Raises @slot's deadline to @until (never lowers one set by another). */
static void raise_until(struct kslot *s, __u64 until)
{
	__u64 cur = atomic_load(&s->until_ns);

	while (cur < until && !atomic_compare_exchange_weak(&s->until_ns, &cur, until))
		;
}

/* --- tags --------------------------------------------------------------------------- */

/* The tuple of @fd as its peer sends it; a v4-mapped v6 address is IPv4 on
 * the wire. */
static int tuple_of(int fd, const struct net_addr *peer, struct sl_conn_tuple *t)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	const struct sockaddr_storage *ends[2] = { &peer->ss, &local };

	if (getsockname(fd, (struct sockaddr *)&local, &len))
		return -errno;
	memset(t, 0, sizeof(*t));
	t->proto = IPPROTO_TCP;
	t->family = SL_AF_INET;
	for (int e = 0; e < 2; e++) {
		__u32 *addr = e ? t->daddr : t->saddr;
		__u16 *port = e ? &t->dport : &t->sport;

		if (ends[e]->ss_family == AF_INET) {
			const struct sockaddr_in *in = (const void *)ends[e];

			addr[0] = in->sin_addr.s_addr;
			*port = in->sin_port;
		} else if (ends[e]->ss_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = (const void *)ends[e];

			if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
				memcpy(&addr[0], &in6->sin6_addr.s6_addr[12], 4);
			} else {
				memcpy(addr, &in6->sin6_addr, 16);
				t->family = SL_AF_INET6;
			}
			*port = in6->sin6_port;
		} else {
			return -EAFNOSUPPORT;
		}
	}
	return 0;
}

/* A connection's source as a full-length prefix (v4-mapped: IPv4). */
static void source_of(const struct sl_conn_tuple *t, struct sl_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = t->family;
	memcpy(p->addr, t->saddr, sizeof(p->addr));
	p->prefixlen = t->family == SL_AF_INET ? 32 : 128;
}

static void post_learn(const struct kernel_conn *kc, int slot, int delta)
{
	struct learn_ev ev = { .slot = slot, .delta = delta };
	__u64 one = 1;

	source_of(&kc->tuple, &ev.src);
	pthread_mutex_lock(&k.learn_lock);
	if (k.lq_n < LEARN_QUEUE)
		k.lq[(k.lq_head + k.lq_n++) % LEARN_QUEUE] = ev;
	else
		k.lq_dropped++;
	pthread_mutex_unlock(&k.learn_lock);
	if (delta > 0 && k.trip_fd >= 0 && write(k.trip_fd, &one, sizeof(one)) != sizeof(one))
		pr_warn("sluiced: cannot wake the main thread for a learned source\n");
}

void kernel_conn_auth(struct kernel_conn *kc, int fd, const struct net_addr *peer,
		      const struct gw_policy *gp, int agent, bool by_credential)
{
	int slot = kernel_agent_slot(gp, agent);
	unsigned int gen = atomic_load(&k.maps_gen);
	__u64 until;
	__u32 id;
	int err;

	/* The same identity: the tag stands, unless it was written to maps
	 * sluiced has since left for new ones (a re-pin), or the new maps'
	 * ids came after its last try. */
	if (slot == kc->slot && (slot < 0 || (kc->maps_gen == gen &&
					      kc->ids_gen == atomic_load(&k.ids_gen))))
		return;
	if (slot != kc->slot) {
		if (kc->slot >= 0)
			atomic_fetch_sub(&k.slots[kc->slot].conns, 1);
		if (kc->learning)
			post_learn(kc, kc->slot, -1);
		kc->learning = false;
		kc->slot = slot;
		if (slot < 0) {
			kernel_conn_close(kc);
			return;
		}
		atomic_fetch_add(&k.slots[slot].conns, 1);
	}
	if (!on())
		return;
	if (!kc->tagged && tuple_of(fd, peer, &kc->tuple))
		return;
	if (by_credential && atomic_load(&k.learn_on) && !kc->learning) {
		post_learn(kc, slot, 1);
		kc->learning = true;
	}
	pthread_rwlock_rdlock(&k.maps_lock);
	if (!on()) {	/* detached since the check above */
		pthread_rwlock_unlock(&k.maps_lock);
		return;
	}
	/* Under the lock, with the generation: an id read before a swap
	 * would name another agent in the new maps. */
	gen = atomic_load(&k.maps_gen);
	kc->ids_gen = atomic_load(&k.ids_gen);
	id = atomic_load(&k.slots[slot].kern_id);
	if (kc->maps_gen != gen)
		kc->tagged = false;	/* its tag went with the maps it was in */
	kc->maps_gen = gen;
	if (!id) {
		/* No kernel id: the agent has none, or new maps get theirs once
		 * the policy is in them, which bumps ids_gen, so the next request
		 * then tags.  A tag of the identity before must not stay. */
		if (kc->tagged && !sl_maps_untag_conn(k.maps, &kc->tuple))
			kc->tagged = false;
		pthread_rwlock_unlock(&k.maps_lock);
		return;
	}
	err = sl_maps_tag_conn(k.maps, &kc->tuple, id);
	if (err)	/* the map is full: this connection is judged by its source only */
		pr_debug("sluiced: cannot tag a connection of agent %s: %s\n",
			 k.slots[slot].name, strerror(-err));
	/* A failed re-tag may leave the old entry: still ours to untag.  A
	 * full map is not tried again before the next identity change. */
	kc->tagged = kc->tagged || !err;
	/* A ban written into the maps by hand counts from this request on (the
	 * main thread records it): one lookup per connection, not per request. */
	if (!sl_maps_agent_banned_until(k.maps, id, &until) && until > now_mono())
		raise_until(&k.slots[slot], until);
	pthread_rwlock_unlock(&k.maps_lock);
}

void kernel_conn_close(struct kernel_conn *kc)
{
	if (kc->slot >= 0)
		atomic_fetch_sub(&k.slots[kc->slot].conns, 1);
	if (kc->learning)
		post_learn(kc, kc->slot, -1);
	kc->learning = false;
	kc->slot = -1;
	if (kc->tagged && on()) {
		pthread_rwlock_rdlock(&k.maps_lock);
		/* Again under the lock: maps closed since the check above hold
		 * descriptors that may already name something else.  A tag in
		 * maps left since went with them. */
		if (on() && kc->maps_gen == atomic_load(&k.maps_gen))
			sl_maps_untag_conn(k.maps, &kc->tuple);
		pthread_rwlock_unlock(&k.maps_lock);
	}
	kc->tagged = false;
}

int kernel_maps_swap(int (*swap)(void *arg), void *arg)
{
	int state;

	pthread_rwlock_wrlock(&k.maps_lock);
	state = swap(arg);
	/* Ids belong to the maps that were swapped out: new maps number the
	 * agents anew, and a tag with an old id would name another agent
	 * there.  No tags until kernel_maps_renewed() reads them again. */
	if (state >= 0 && state != SL_MAPS_KEPT) {
		for (size_t i = 0; i < atomic_load(&k.n_slots); i++)
			atomic_store(&k.slots[i].kern_id, 0);
		atomic_store(&k.attached, state == SL_MAPS_OPENED);
		atomic_fetch_add(&k.maps_gen, 1);
	}
	/* Maps pinned while this daemon held none (or others) may carry tags
	 * a previous daemon left: numbered for those maps' agents, they would
	 * put this daemon's connections on the wrong agent.  Cleared as at
	 * start, while the lock keeps every worker from tagging. */
	if (state == SL_MAPS_OPENED)
		clear_tags(k.maps);
	pthread_rwlock_unlock(&k.maps_lock);
	return state;
}

static void write_kernel(struct kslot *s, __u64 until);

void kernel_maps_renewed(const struct policy *pol)
{
	size_t n = pol->n_agents ? pol->n_agents : 1;
	__u32 *ids = calloc(n, sizeof(*ids));

	/* New maps number the agents anew: the ids tags are written with follow.
	 * Tags of connections open before are not rewritten (they lived in the
	 * maps that were unpinned); their untag finds nothing, harmlessly. */
	if (ids && on() && !sl_maps_agent_ids(k.maps, pol, ids)) {
		pthread_mutex_lock(&k.slot_lock);
		for (size_t i = 0; i < pol->n_agents; i++) {
			int s = slot_of(pol->agents[i].name);

			if (s >= 0)
				atomic_store(&k.slots[s].kern_id, ids[i]);
		}
		pthread_mutex_unlock(&k.slot_lock);
		/* After the ids: a connection that found none since the swap is
		 * tagged on its next request. */
		atomic_fetch_add(&k.ids_gen, 1);
	}
	free(ids);
	/* The bans sluiced holds, and the sources it learned, are written into
	 * the new maps: a re-pin must not lift a ban (the watch would read the
	 * new maps' 0 as an unban) nor forget a learned source. */
	for (size_t i = 0; on() && i < atomic_load(&k.n_slots); i++) {
		__u64 until = atomic_load(&k.slots[i].until_ns);

		if (until > now_mono())
			write_kernel(&k.slots[i], until);
	}
	learn_policy(k.learn_want && on(), k.learn_idle_s);
}

/* --- bans: the workers' side ------------------------------------------------------------ */

bool kernel_slot_banned(int slot, __u64 now_ns, __u64 *until_ns)
{
	__u64 until;

	if (slot < 0 || !k.slots)
		return false;
	until = atomic_load(&k.slots[slot].until_ns);
	*until_ns = until;
	return until > now_ns;
}

bool kernel_banned(const struct gw_policy *gp, int agent, __u64 now_ns, __u64 *until_ns)
{
	return kernel_slot_banned(kernel_agent_slot(gp, agent), now_ns, until_ns);
}

void kernel_trip(const struct gw_policy *gp, int agent, const struct esc_trip *trip,
		 __u64 now_ns)
{
	int slot = kernel_agent_slot(gp, agent);
	__u64 until = now_ns + (__u64)trip->ban_s * NS_PER_S, one = 1;
	struct kslot *s;

	if (slot < 0)
		return;
	s = &k.slots[slot];
	pthread_mutex_lock(&k.trip_lock);
	s->trip_pending = true;
	s->trip = *trip;
	s->trip_until_ns = until;
	raise_until(s, until);
	pthread_mutex_unlock(&k.trip_lock);
	if (k.trip_fd >= 0 && write(k.trip_fd, &one, sizeof(one)) != sizeof(one))
		pr_warn("sluiced: cannot wake the main thread for a ban\n");
}

/* --- bans: the main thread ---------------------------------------------------------------- */

static const char *origin_name(enum ban_origin o)
{
	return o == BAN_LIMITED ? "limited" : o == BAN_DENIED ? "denied" : "manual";
}

/* The audit record and log line of a ban of @s until @until. */
static void record_ban(struct kslot *s, enum ban_origin origin, const struct esc_trip *trip,
		       __u64 until, __u64 now)
{
	cJSON *f = cJSON_CreateObject();
	char at[64], why[96] = "";

	kernel_until_str(until, now, at, sizeof(at));
	if (trip)
		snprintf(why, sizeof(why), ": %u refusals within %u s", trip->count,
			 trip->within_s);
	pr_warn("sluiced: agent %s banned (%s%s) until %s\n", s->name, origin_name(origin), why,
		at);
	if (!f)
		return;
	cJSON_AddStringToObject(f, "agent", s->name);
	cJSON_AddStringToObject(f, "reason", origin_name(origin));
	if (until == SL_FOREVER)
		cJSON_AddNullToObject(f, "until");
	else
		cJSON_AddStringToObject(f, "until", at);
	cJSON_AddNumberToObject(f, "ban_s", until == SL_FOREVER ? -1 :
				(double)((until - now + NS_PER_S / 2) / NS_PER_S));
	if (trip) {
		cJSON_AddNumberToObject(f, "count", trip->count);
		cJSON_AddNumberToObject(f, "within_s", trip->within_s);
	}
	cJSON_AddBoolToObject(f, "kernel", on() && atomic_load(&s->kern_id));
	audit_emit_event("ban", f);
	s->recorded_ns = until;
}

/* The end of @s's ban: "expired" at its deadline, or "manual" (unban). */
static void record_lift(struct kslot *s, const char *why)
{
	cJSON *f = cJSON_CreateObject();

	pr_warn("sluiced: agent %s: ban lifted (%s)\n", s->name, why);
	if (f) {
		cJSON_AddStringToObject(f, "agent", s->name);
		cJSON_AddStringToObject(f, "reason", why);
		audit_emit_event("ban_lifted", f);
	}
	s->recorded_ns = 0;
}

/* Writes @until into sl_agents for @s (when the maps have it). */
static void write_kernel(struct kslot *s, __u64 until)
{
	__u32 id = atomic_load(&s->kern_id);
	int err;

	if (!on() || !id)
		return;
	err = sl_maps_lock(k.maps);
	if (!err)
		err = sl_maps_ban_id(k.maps, id, until);
	sl_maps_unlock(k.maps);
	if (err)
		pr_warn("sluiced: agent %s: cannot write its ban into the kernel: %s\n", s->name,
			strerror(-err));
}

static void wake_workers(void)
{
	if (k.notify)
		k.notify();
}

/* The trips the workers queued: into the kernel, recorded, enforced. */
static void run_trips(__u64 now)
{
	size_t n = atomic_load(&k.n_slots);
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		struct kslot *s = &k.slots[i];
		struct esc_trip trip;
		__u64 until;
		bool pending;

		if (!atomic_load(&s->trip_pending))	/* read again under the lock */
			continue;
		pthread_mutex_lock(&k.trip_lock);
		pending = s->trip_pending;
		trip = s->trip;
		until = atomic_load(&s->until_ns);
		s->trip_pending = false;
		pthread_mutex_unlock(&k.trip_lock);
		/* Outside the lock (the kernel write may wait for the pin
		 * directory's): sync_slot() runs on this thread, never between. */
		if (!pending || until == s->recorded_ns)
			continue;
		write_kernel(s, until);
		record_ban(s, trip.kind == ESC_LIMITED ? BAN_LIMITED : BAN_DENIED, &trip, until,
			   now);
		any = true;
	}
	if (any)
		wake_workers();
}

/* What the kernel says of @s: a ban set or lifted by another writer. */
static void read_kernel(struct kslot *s, __u64 now)
{
	__u32 id = atomic_load(&s->kern_id);
	__u64 kv, cur = atomic_load(&s->until_ns);

	if (!on() || !id)
		return;
	if (k.bans_read && id < SL_MAX_AGENTS)
		kv = k.bans[id];
	else if (sl_maps_agent_banned_until(k.maps, id, &kv))
		return;
	if (kv <= now)
		kv = 0;
	if (kv != cur && (kv || cur > now))
		atomic_store(&s->until_ns, kv);
}

/*
 * One agent: the kernel's word, then what changed since the last record: a
 * ban nobody recorded (set by hand in the maps) or one that ended (at its
 * deadline: "expired"; before it: "manual").  Under trip_lock, so a trip a
 * worker is queueing (its deadline raised before the kernel has it) is
 * never read as a lift.  True when a new ban must close connections.
 */
static bool sync_slot(struct kslot *s, __u64 now)
{
	bool woke = false;
	__u64 until;

	pthread_mutex_lock(&k.trip_lock);
	if (!s->trip_pending) {
		if (atomic_load(&s->conns) > 0 || atomic_load(&s->until_ns) || s->recorded_ns)
			read_kernel(s, now);
		until = atomic_load(&s->until_ns);
		if (until > now && until != s->recorded_ns) {
			record_ban(s, BAN_MANUAL, NULL, until, now);
			woke = true;
		} else if (until <= now && s->recorded_ns) {
			atomic_store(&s->until_ns, 0);
			record_lift(s, s->recorded_ns <= now ? "expired" : "manual");
		} else if (until && until <= now) {
			atomic_store(&s->until_ns, 0);
		}
	}
	pthread_mutex_unlock(&k.trip_lock);
	return woke;
}

/* Agents whose ban the watch reads: open connections, or a ban. */
static size_t watched(size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += atomic_load(&k.slots[i].conns) > 0 || atomic_load(&k.slots[i].until_ns) ||
		     k.slots[i].recorded_ns;
	return w;
}

static void watch(struct ev_loop *loop, void *data)
{
	__u64 now = now_mono();
	size_t n = atomic_load(&k.n_slots);
	bool banned = false;

	(void)data;
	run_trips(now);
	run_learn(now);
	k.bans_read = on() && k.bans && watched(n) > KERNEL_WATCH_BATCH &&
		      !sl_maps_read_bans(k.maps, k.bans);
	for (size_t i = 0; i < n; i++)
		banned |= sync_slot(&k.slots[i], now);
	if (banned)
		wake_workers();
	ev_timer_arm(loop, &k.timer, KERNEL_WATCH_MS);
}

static void on_trip(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	__u64 v;

	(void)loop, (void)events, (void)data;
	if (read(fd, &v, sizeof(v)) == sizeof(v)) {
		run_trips(now_mono());
		run_learn(now_mono());
	}
}

int kernel_watch(struct ev_loop *loop, void (*notify)(void))
{
	int err;

	k.loop = loop;
	k.notify = notify;
	k.trip_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (k.trip_fd < 0)
		return -errno;
	err = ev_watch(loop, k.trip_fd, EV_READ, on_trip, NULL);
	if (err)
		return err;
	ev_timer_init(&k.timer, watch, NULL);
	return ev_timer_arm(loop, &k.timer, KERNEL_WATCH_MS);
}

/* --- the control socket ------------------------------------------------------------------- */

static struct kslot *slot_named(const char *name)
{
	size_t n = atomic_load(&k.n_slots);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(k.slots[i].name, name))
			return &k.slots[i];
	return NULL;
}

void kernel_control(const char *line, char *out, size_t len)
{
	char verb[8], name[SL_NAME_MAX];
	unsigned long long until = 0;
	__u64 now = now_mono();
	struct kslot *s;
	int n = sscanf(line, "%7s %63s %llu", verb, name, &until);
	bool ban = n == 3 && !strcmp(verb, "ban");

	if (!ban && !(n == 2 && !strcmp(verb, "unban"))) {
		snprintf(out, len, "error usage: ban AGENT UNTIL_NS | unban AGENT");
		return;
	}
	s = slot_named(name);
	if (!s) {
		snprintf(out, len, "error no agent '%s' in the running policy", name);
		return;
	}
	run_trips(now);
	/* The main thread's own: sync_slot() cannot run in between. */
	atomic_store(&s->until_ns, ban && until > now ? until : 0);
	if (ban && until > now) {
		write_kernel(s, until);
		if (s->recorded_ns != until)
			record_ban(s, BAN_MANUAL, NULL, until, now);
	} else {
		write_kernel(s, 0);
		if (s->recorded_ns)
			record_lift(s, "manual");
	}
	if (ban)
		wake_workers();
	snprintf(out, len, "ok %s %s", ban ? "banned" : "unbanned", name);
}
