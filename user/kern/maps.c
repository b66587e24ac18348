// SPDX-License-Identifier: GPL-2.0-only
/*
 * maps.c - open the pinned maps and write the kernel part of a policy, a
 * block or a ban into them as a diff (see maps.h for the ordering rules).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "maps.h"
#include "srcdir.h"
#include "policy/nameidx.h"


struct map_slot {
	const char *name;
	size_t offset;
};

#define SLOT(field, map_name) { map_name, offsetof(struct sl_maps, field) }
static const struct map_slot map_slots[] = {
	SLOT(config, SL_MAP_CONFIG),
	SLOT(exact_v4, SL_MAP_EXACT_V4),
	SLOT(exact_v6, SL_MAP_EXACT_V6),
	SLOT(exact_filter, SL_MAP_EXACT_FILTER),
	SLOT(src_v4, SL_MAP_SRC_V4),
	SLOT(src_v6, SL_MAP_SRC_V6),
	SLOT(src_lpm_v4, SL_MAP_SRC_LPM_V4),
	SLOT(src_lpm_v6, SL_MAP_SRC_LPM_V6),
	SLOT(src_nodes, SL_MAP_SRC_NODES),
	SLOT(src_leaves, SL_MAP_SRC_LEAVES),
	SLOT(src_dir_seq, SL_MAP_SRC_DIR_SEQ),
	SLOT(src_dir_head, SL_MAP_SRC_DIR_HEAD),
	SLOT(conn_tags_v4, SL_MAP_CONN_TAGS_V4),
	SLOT(conn_tags_v6, SL_MAP_CONN_TAGS_V6),
	SLOT(agents, SL_MAP_AGENTS),
	SLOT(agent_state, SL_MAP_AGENT_STATE),
	SLOT(agent_stats, SL_MAP_AGENT_STATS),
	SLOT(syn_buckets, SL_MAP_SYN_BUCKETS),
	SLOT(stats, SL_MAP_STATS),
	SLOT(evlimit, SL_MAP_EVLIMIT),
	SLOT(evfold, SL_MAP_EVFOLD),
	SLOT(events, SL_MAP_EVENTS),
};

static int *slot_fd(struct sl_maps *m, const struct map_slot *s)
{
	return (int *)((char *)m + s->offset);
}

__u64 sl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * SL_NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

void sl_maps_init_closed(struct sl_maps *m)
{
	for (size_t i = 0; i < sizeof(map_slots) / sizeof(map_slots[0]); i++)
		*slot_fd(m, &map_slots[i]) = -1;
	m->lock_fd = -1;
	m->config_mem = NULL;
}

static size_t config_map_len(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (sizeof(struct sl_config) + page - 1) / page * page;
}

void sl_maps_close(struct sl_maps *m)
{
	if (m->config_mem)
		munmap(m->config_mem, config_map_len());
	m->config_mem = NULL;
	for (size_t i = 0; i < sizeof(map_slots) / sizeof(map_slots[0]); i++) {
		int *fd = slot_fd(m, &map_slots[i]);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	if (m->lock_fd >= 0)
		close(m->lock_fd);
	m->lock_fd = -1;
}

int sl_maps_open(struct sl_maps *m, const char *pin_dir)
{
	char path[PATH_MAX];
	int err = 0;

	sl_maps_init_closed(m);
	for (size_t i = 0; i < sizeof(map_slots) / sizeof(map_slots[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, map_slots[i].name);
		*slot_fd(m, &map_slots[i]) = bpf_obj_get(path);
		if (*slot_fd(m, &map_slots[i]) < 0) {
			err = -errno;
			goto out_close;
		}
	}
	m->lock_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->lock_fd < 0) {
		err = -errno;
		goto out_close;
	}
	return 0;

out_close:
	if (err == -ENOENT)
		pr_warn("no sluice maps pinned at %s: attach first (sluicectl attach IFACE)\n",
			pin_dir);
	else
		pr_warn("cannot open pinned map %s: %s\n", path, strerror(-err));
	sl_maps_close(m);
	return err;
}

/* The kernel's id of the map behind @fd, or 0. */
static __u32 map_id_of(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* Are @m's maps the ones pinned under @pin_dir now?  1, 0, or -errno. */
static int maps_pinned(struct sl_maps *m, const char *pin_dir)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(map_slots) / sizeof(map_slots[0]); i++) {
		int fd, same;

		snprintf(path, sizeof(path), "%s/%s", pin_dir, map_slots[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		same = map_id_of(fd) == map_id_of(*slot_fd(m, &map_slots[i]));
		close(fd);
		if (!same)
			return 0;
	}
	return 1;
}

int sl_maps_moved(struct sl_maps *m, const char *pin_dir)
{
	char path[PATH_MAX];
	int same;

	if (m->config >= 0) {
		same = maps_pinned(m, pin_dir);
		return same < 0 ? same : !same;
	}
	snprintf(path, sizeof(path), "%s/%s", pin_dir, SL_MAP_CONFIG);
	return !access(path, F_OK);
}

int sl_maps_follow(struct sl_maps *m, const char *pin_dir)
{
	int moved = sl_maps_moved(m, pin_dir);
	char path[PATH_MAX];
	struct sl_maps fresh;

	if (moved <= 0)
		return moved < 0 ? moved : SL_MAPS_KEPT;
	snprintf(path, sizeof(path), "%s/%s", pin_dir, SL_MAP_CONFIG);
	if (access(path, F_OK)) {
		sl_maps_close(m);	/* detached: nothing to write to any more */
		return SL_MAPS_CLOSED;
	}
	/* Pinned anew (an attach, perhaps still pinning: then the next call). */
	if (sl_maps_open(&fresh, pin_dir))
		return -EAGAIN;
	sl_maps_close(m);
	*m = fresh;
	return SL_MAPS_OPENED;
}

int sl_maps_lock(struct sl_maps *m)
{
	if (m->lock_fd < 0)
		return 0;
	return flock(m->lock_fd, LOCK_EX) ? -errno : 0;
}

void sl_maps_unlock(struct sl_maps *m)
{
	if (m->lock_fd >= 0)
		flock(m->lock_fd, LOCK_UN);
}

int sl_maps_read_config(struct sl_maps *m, struct sl_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->config, &zero, cfg) ? -errno : 0;
}

/*
 * sl_config as mapped memory (the map is BPF_F_MMAPABLE), mapped on first
 * use and shared by every thread of the process; NULL with errno set when
 * it cannot be mapped.
 */
static struct sl_config *config_mem(struct sl_maps *m)
{
	struct sl_config *mem = __atomic_load_n(&m->config_mem, __ATOMIC_ACQUIRE);
	struct sl_config *expect = NULL;

	if (mem)
		return mem;
	if (m->config < 0) {
		errno = EBADF;
		return NULL;
	}
	mem = mmap(NULL, config_map_len(), PROT_READ | PROT_WRITE, MAP_SHARED, m->config, 0);
	if (mem == MAP_FAILED)
		return NULL;
	if (!__atomic_compare_exchange_n(&m->config_mem, &expect, mem, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		munmap(mem, config_map_len());	/* another thread mapped it first */
		return expect;
	}
	return mem;
}

/*
 * One family's list of prefix lengths, where packets read it while it
 * changes.  A reader reads the count, then the lengths below it; each
 * write keeps every length of the smaller of old and new list visible.
 * Growing (new list a superset, as open_gates writes): raise the count,
 * then write from the end, so an old length moves right before its slot is
 * overwritten.  Shrinking (a subset, the final write of a swap): write from
 * the front, each length landing left of or on its old slot, then lower
 * the count.  Stale bytes past the count are lengths written earlier.
 */
static void write_lens(__u8 *n_mem, __u8 *list_mem, __u8 n, const __u8 *list)
{
	if (n >= __atomic_load_n(n_mem, __ATOMIC_RELAXED)) {
		__atomic_store_n(n_mem, n, __ATOMIC_RELEASE);
		for (int i = n - 1; i >= 0; i--)
			__atomic_store_n(&list_mem[i], list[i], __ATOMIC_RELEASE);
		return;
	}
	for (int i = 0; i < n; i++)
		__atomic_store_n(&list_mem[i], list[i], __ATOMIC_RELEASE);
	__atomic_store_n(n_mem, n, __ATOMIC_RELEASE);
}

/* Copies bytes [@from, @to) of @cfg into the mapping. */
static void config_copy(struct sl_config *mem, const struct sl_config *cfg, size_t from,
			size_t to)
{
	memcpy((char *)mem + from, (const char *)cfg + from, to - from);
}

/*
 * Writes @cfg into the live config except n_conn_tags_*, which only the
 * atomic adds of the tag functions change: a config read, edited and
 * written back never undoes a tag counted meanwhile.
 */
static int write_config(struct sl_maps *m, const struct sl_config *cfg)
{
	struct sl_config *mem = config_mem(m);

	if (!mem)
		return -errno;
	config_copy(mem, cfg, 0, offsetof(struct sl_config, n_conn_tags_v4));
	config_copy(mem, cfg, offsetof(struct sl_config, syn_src_interval_ns),
		    offsetof(struct sl_config, n_prefix_lens_v4));
	write_lens(&mem->n_prefix_lens_v4, mem->prefix_lens_v4, cfg->n_prefix_lens_v4,
		   cfg->prefix_lens_v4);
	write_lens(&mem->n_prefix_lens_v6, mem->prefix_lens_v6, cfg->n_prefix_lens_v6,
		   cfg->prefix_lens_v6);
	config_copy(mem, cfg, offsetof(struct sl_config, ports), sizeof(*cfg));
	return 0;
}

_Static_assert(offsetof(struct sl_config, syn_src_interval_ns) ==
	       offsetof(struct sl_config, n_conn_tags_v6) + sizeof(__u32),
	       "n_conn_tags_* sit between the first and second copied ranges");
_Static_assert(offsetof(struct sl_config, ports) ==
	       offsetof(struct sl_config, prefix_lens_v6) + SL_PREFIX_LENS_V6,
	       "the length lists end where the ports begin");

int sl_maps_sum_percpu(int map_fd, __u32 key, __u64 *out, size_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	/* Per-CPU values are laid out one whole value per CPU, 8-byte aligned. */
	vals = calloc((size_t)ncpu * n, sizeof(__u64));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, vals)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, n * sizeof(__u64));
	for (int cpu = 0; cpu < ncpu; cpu++)
		for (size_t i = 0; i < n; i++)
			out[i] += vals[(size_t)cpu * n + i];
out:
	free(vals);
	return err;
}

/* --- source table <-> maps ------------------------------------------------ */

/*
 * Where each entry of the source table lives: exact addresses in their
 * family's exact hash (keyed by the bare address), shorter prefixes in
 * their family's prefix hash (keyed by length and masked address) and again
 * in its LPM trie (same key), which the packet path asks instead when the
 * family has more than SL_PREFIX_PROBES_* lengths.  Read back from the hashes.
 */
enum src_map_kind { SRC_EXACT_V4, SRC_EXACT_V6, SRC_V4, SRC_V6 };
#define SRC_KINDS (SRC_V6 + 1)

struct src_key {
	int map_fd;
	int mirror_fd;		/* the LPM trie holding prefixes again, or -1 */
	union {
		__u32 exact_v4;
		struct sl_v6_addr_key exact_v6;
		struct sl_pfx_v4_key v4;
		struct sl_pfx_v6_key v6;
	} u;
};

static enum src_map_kind src_kind_of(const struct sl_prefix *p)
{
	bool v4 = p->family == SL_AF_INET;

	if (srctab_is_exact(p))
		return v4 ? SRC_EXACT_V4 : SRC_EXACT_V6;
	return v4 ? SRC_V4 : SRC_V6;
}

static void src_key_of(struct sl_maps *m, const struct sl_prefix *p, struct src_key *k)
{
	memset(k, 0, sizeof(*k));
	k->mirror_fd = -1;
	switch (src_kind_of(p)) {
	case SRC_EXACT_V4:
		k->map_fd = m->exact_v4;
		k->u.exact_v4 = p->addr[0];
		break;
	case SRC_EXACT_V6:
		k->map_fd = m->exact_v6;
		memcpy(k->u.exact_v6.addr, p->addr, sizeof(p->addr));
		break;
	case SRC_V4:
		k->map_fd = m->src_v4;
		k->mirror_fd = m->src_lpm_v4;
		k->u.v4.prefixlen = p->prefixlen;
		k->u.v4.addr = p->addr[0];
		break;
	case SRC_V6:
		k->map_fd = m->src_v6;
		k->mirror_fd = m->src_lpm_v6;
		k->u.v6.prefixlen = p->prefixlen;
		memcpy(k->u.v6.addr, p->addr, sizeof(p->addr));
		break;
	}
}

/* The source-table prefix of a key read back from a map of @kind. */
static void prefix_of_key(enum src_map_kind kind, const void *key, struct sl_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = kind == SRC_EXACT_V4 || kind == SRC_V4 ? SL_AF_INET : SL_AF_INET6;
	switch (kind) {
	case SRC_EXACT_V4:
		memcpy(&p->addr[0], key, sizeof(__u32));
		p->prefixlen = 32;
		break;
	case SRC_EXACT_V6:
		memcpy(p->addr, key, sizeof(struct sl_v6_addr_key));
		p->prefixlen = 128;
		break;
	case SRC_V4: {
		const struct sl_pfx_v4_key *k = key;

		p->addr[0] = k->addr;
		p->prefixlen = k->prefixlen;
		break;
	}
	case SRC_V6: {
		const struct sl_pfx_v6_key *k = key;

		memcpy(p->addr, k->addr, sizeof(p->addr));
		p->prefixlen = k->prefixlen;
		break;
	}
	}
}

static int read_src_map(int fd, enum src_map_kind kind, struct srctab *t)
{
	/* Big enough for every kind's key: the v6 prefix key is the largest. */
	struct sl_pfx_v6_key key, next;
	struct sl_src_value val;
	struct sl_prefix p;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;	/* removed meanwhile by a daemon-free race: skip */
		prefix_of_key(kind, &key, &p);
		/* The whole value: the diff then compares with what the map holds. */
		err = srctab_add_value(t, &p, &val);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

int sl_maps_read_srctab(struct sl_maps *m, struct srctab *t)
{
	int err;

	err = read_src_map(m->exact_v4, SRC_EXACT_V4, t);
	if (!err)
		err = read_src_map(m->exact_v6, SRC_EXACT_V6, t);
	if (!err)
		err = read_src_map(m->src_v4, SRC_V4, t);
	if (!err)
		err = read_src_map(m->src_v6, SRC_V6, t);
	return err;
}

/* Entries per map, and the prefix lengths in use: what sl_config gates
 * each lookup with. */
struct src_counts {
	__u32 n[SRC_KINDS];	/* by enum src_map_kind */
	__u64 lens_v4;		/* bit L: sl_src_v4 holds a /L */
	__u64 lens_v6[2];	/* bit L of the 128: sl_src_v6 holds a /L */
};

static void count_entries(const struct srctab *t, struct src_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < t->n; i++) {
		const struct sl_prefix *p = &t->v[i].pfx;
		enum src_map_kind kind = src_kind_of(p);

		c->n[kind]++;
		if (kind == SRC_V4)
			c->lens_v4 |= 1ULL << p->prefixlen;
		else if (kind == SRC_V6)
			c->lens_v6[p->prefixlen / 64] |= 1ULL << (p->prefixlen % 64);
	}
}

static __u32 max_u32(__u32 a, __u32 b)
{
	return a > b ? a : b;
}

static bool len_bit(const __u64 *bits, unsigned int len)
{
	return (bits[len / 64] >> (len % 64)) & 1;
}

/* A length bitmap as sl_config's list, longest first. */
static void lens_to_list(const __u64 *bits, unsigned int cap, __u8 *n, __u8 *list)
{
	*n = 0;
	for (unsigned int len = cap; len-- > 0;)
		if (len_bit(bits, len))
			list[(*n)++] = (__u8)len;
}

/* Adds sl_config's list of lengths to a bitmap (bounded: the map is trusted
 * no further than its declared sizes). */
static void lens_add_list(__u64 *bits, unsigned int cap, __u8 n, const __u8 *list)
{
	for (unsigned int i = 0; i < n && i < cap; i++)
		if (list[i] < cap)
			bits[list[i] / 64] |= 1ULL << (list[i] % 64);
}

static void set_config_lens(struct sl_config *cfg, const __u64 *v4, const __u64 *v6)
{
	lens_to_list(v4, SL_PREFIX_LENS_V4, &cfg->n_prefix_lens_v4, cfg->prefix_lens_v4);
	lens_to_list(v6, SL_PREFIX_LENS_V6, &cfg->n_prefix_lens_v6, cfg->prefix_lens_v6);
}

/* Writes the new and changed entries of @new. */
static int write_src_adds(struct sl_maps *m, struct srctab *old, struct srctab *new,
			  unsigned int *updated)
{
	struct src_key k;

	for (size_t i = 0; i < new->n; i++) {
		const struct srctab_entry *was = srctab_find(old, &new->v[i].pfx);

		if (was && !memcmp(&was->val, &new->v[i].val, sizeof(was->val)))
			continue;
		src_key_of(m, &new->v[i].pfx, &k);
		if (bpf_map_update_elem(k.map_fd, &k.u, &new->v[i].val, BPF_ANY))
			return -errno;
		/* Same key layout: prefix length first, masked address. */
		if (k.mirror_fd >= 0 &&
		    bpf_map_update_elem(k.mirror_fd, &k.u, &new->v[i].val, BPF_ANY))
			return -errno;
		(*updated)++;
	}
	return 0;
}

/* Deletes the entries only @old has. */
static int write_src_deletes(struct sl_maps *m, struct srctab *old, struct srctab *new,
			     unsigned int *deleted)
{
	struct src_key k;

	for (size_t i = 0; i < old->n; i++) {
		if (srctab_find(new, &old->v[i].pfx))
			continue;
		src_key_of(m, &old->v[i].pfx, &k);
		if (bpf_map_delete_elem(k.map_fd, &k.u) && errno != ENOENT)
			return -errno;
		if (k.mirror_fd >= 0 && bpf_map_delete_elem(k.mirror_fd, &k.u) && errno != ENOENT)
			return -errno;
		(*deleted)++;
	}
	return 0;
}

/* --- exact-address presence filter ------------------------------------------- */

/*
 * sl_exact_filter as three bitmaps: what the map holds before a swap, what
 * it must hold while entries come and go (old and new entries' bits), and
 * what it holds after (new entries' bits only).  Bits are shared by
 * colliding addresses, so a bit is cleared only when no entry of the new
 * table maps to it: the "after" bitmap is recomputed from the whole table.
 */
struct filter_plan {
	__u64 *before, *during, *after;	/* SL_EXACT_FILTER_WORDS each */
};

static void filter_plan_free(struct filter_plan *fp)
{
	free(fp->before);
	free(fp->during);
	free(fp->after);
}

/* Sets the bit of every entry of @t, exact or prefix, in @words. */
static void filter_add_table(__u64 *words, const struct sl_exact_seed *seed,
			     const struct srctab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct sl_prefix *p = &t->v[i].pfx;
		__u32 bit = sl_src_filter_bit(seed, p->family, p->addr, p->prefixlen);

		words[bit / SL_EXACT_FILTER_WORD_BITS] |= 1ULL << (bit % SL_EXACT_FILTER_WORD_BITS);
	}
}

/*
 * Before the filter is armed the map's content is not trusted, so "before"
 * stays empty and every needed word gets written.  Armed, the map holds at
 * least the bits of @old (the invariant this writer keeps); stale extra
 * bits cost a probe, never a verdict, and go when their word next changes.
 */
static int filter_plan_make(struct filter_plan *fp, const struct sl_config *cur,
			    const struct srctab *old, const struct srctab *new)
{
	size_t words = SL_EXACT_FILTER_WORDS;

	fp->before = calloc(words, sizeof(__u64));
	fp->during = calloc(words, sizeof(__u64));
	fp->after = calloc(words, sizeof(__u64));
	if (!fp->before || !fp->during || !fp->after)
		return -ENOMEM;
	if (cur->flags & SL_CFG_F_EXACT_FILTER)
		filter_add_table(fp->before, &cur->exact_seed, old);
	filter_add_table(fp->during, &cur->exact_seed, old);
	filter_add_table(fp->during, &cur->exact_seed, new);
	filter_add_table(fp->after, &cur->exact_seed, new);
	return 0;
}

/* Writes the words where @to differs from @from, what the map holds. */
static int write_filter_diff(struct sl_maps *m, const __u64 *from, const __u64 *to)
{
	for (__u32 i = 0; i < SL_EXACT_FILTER_WORDS; i++) {
		if (from[i] == to[i])
			continue;
		if (bpf_map_update_elem(m->exact_filter, &i, &to[i], BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * Gives the maps a filter seed the first time a source table is written:
 * random, factors odd, and written (still disarmed) before any bit is
 * computed with it, so a packet never reads a half-written seed.
 */
static int ensure_filter_seed(struct sl_maps *m, struct sl_config *cur)
{
	struct sl_exact_seed *seed = &cur->exact_seed;

	if (seed->mul[0])	/* odd once drawn: 0 means never drawn */
		return 0;
	if (getrandom(seed, sizeof(*seed), 0) != (ssize_t)sizeof(*seed))
		return -EIO;
	for (size_t i = 0; i < sizeof(seed->mul) / sizeof(seed->mul[0]); i++)
		seed->mul[i] |= 1;
	seed->mul_len |= 1;
	cur->flags &= ~SL_CFG_F_EXACT_FILTER;
	return write_config(m, cur);
}

/* --- swapping the source table --------------------------------------------- */

/*
 * Builds @new's directory into the half the packet path does not read (by
 * @cur, the live config) and sets @cfg's SL_CFG_F_DIR_* to name it, for
 * the final config write to flip.  The directory only speeds lookups up:
 * the hashes and trie hold the whole table, so a family that does not fit,
 * or a directory that cannot be written, is left to them with a warning.
 */
#define DIR_FLAGS (SL_CFG_F_DIR_V4 | SL_CFG_F_DIR_V6 | SL_CFG_F_DIR_HALF)

/* The entry after @i that the directory holds (not a full address), or t->n. */
static size_t next_prefix(const struct srctab *t, size_t i)
{
	while (i < t->n && srctab_is_exact(&t->v[i].pfx))
		i++;
	return i;
}

/* Whether @a and @b (normalised) hold the same prefixes with the same values. */
static bool prefixes_equal(const struct srctab *a, const struct srctab *b)
{
	size_t i = next_prefix(a, 0), j = next_prefix(b, 0);

	for (; i < a->n && j < b->n; i = next_prefix(a, i + 1), j = next_prefix(b, j + 1))
		if (sl_prefix_cmp(&a->v[i].pfx, &b->v[j].pfx) ||
		    memcmp(&a->v[i].val, &b->v[j].val, sizeof(a->v[i].val)))
			return false;
	return i == a->n && j == b->n;
}

static void write_dir(struct sl_maps *m, struct sl_config *cfg, const struct sl_config *cur,
		      struct srctab *new)
{
	__u32 half = cur->flags & SL_CFG_F_DIR_HALF ? 0 : 1;
	static bool warned[2];
	struct srcdir d;
	int err;

	cfg->flags &= ~DIR_FLAGS;
	err = srcdir_build(&d, new, half);
	if (!err)
		err = srcdir_write(&d, &(struct srcdir_fds){ m->src_nodes, m->src_leaves,
							    m->src_dir_seq, m->src_dir_head });
	if (err) {
		pr_warn("source table: cannot write the source directory (%s): prefixes are "
			"looked up in the hashes and trie\n", strerror(-err));
		srcdir_free(&d);
		return;
	}
	/* Said once per process and family (every learned source and block
	 * is a build), and again once it fitted in between. */
	for (int f = 0; f < 2; f++) {
		if (d.fits[f] || warned[f]) {
			warned[f] = !d.fits[f];
			continue;
		}
		warned[f] = true;
		pr_warn("source table: the %s prefixes need more than the source directory's "
			"%u nodes: they are looked up in the hashes and trie (slower)\n",
			f ? "IPv6" : "IPv4", SL_SRC_DIR_NODES);
	}
	cfg->flags |= srcdir_flags(&d);
	srcdir_free(&d);
}

/*
 * Raises the lookup gates to cover old and new entries and arms the filter
 * (every old and new exact entry's bit is set by now): a live entry is
 * never skipped.
 */
static int open_gates(struct sl_maps *m, struct sl_config *cur, const struct src_counts *c)
{
	__u64 v4 = c->lens_v4, v6[2] = { c->lens_v6[0], c->lens_v6[1] };

	cur->n_exact_v4 = max_u32(cur->n_exact_v4, c->n[SRC_EXACT_V4]);
	cur->n_exact_v6 = max_u32(cur->n_exact_v6, c->n[SRC_EXACT_V6]);
	cur->n_prefix_v4 = max_u32(cur->n_prefix_v4, c->n[SRC_V4]);
	cur->n_prefix_v6 = max_u32(cur->n_prefix_v6, c->n[SRC_V6]);
	lens_add_list(&v4, SL_PREFIX_LENS_V4, cur->n_prefix_lens_v4, cur->prefix_lens_v4);
	lens_add_list(v6, SL_PREFIX_LENS_V6, cur->n_prefix_lens_v6, cur->prefix_lens_v6);
	set_config_lens(cur, &v4, v6);
	cur->flags |= SL_CFG_F_EXACT_FILTER;
	return write_config(m, cur);
}

/*
 * Swaps the maps' source table from @old to @new.  The gates a packet
 * reads before probing a source table (counts and prefix lengths in
 * sl_config, bits in sl_exact_filter) are raised before entries appear and lowered only
 * after entries are gone: a live entry is never skipped.  @cfg is written
 * at the end with the final counts and the filter's seed (and whatever
 * else the caller changed in it).
 */
static int swap_srctab(struct sl_maps *m, struct sl_config *cfg, struct srctab *old,
		       struct srctab *new, struct sl_apply_report *rep)
{
	struct filter_plan fp = {};
	struct src_counts c;
	struct sl_config cur;
	int err;

	count_entries(new, &c);
	err = sl_maps_read_config(m, &cur);
	if (!err)
		err = ensure_filter_seed(m, &cur);
	if (!err)
		err = filter_plan_make(&fp, &cur, old, new);
	if (!err)
		err = write_filter_diff(m, fp.before, fp.during);
	if (!err)
		err = open_gates(m, &cur, &c);
	if (!err)
		err = write_src_adds(m, old, new, &rep->src_updated);
	/* The directory flips to the new table between the adds and the
	 * deletes, like every other lookup: an old entry (an exact deny, say)
	 * goes only once the new one covering its source (a prefix in the
	 * directory) is read. */
	if (!err) {
		/* Exact entries (a learned source, a blocked address) are not
		 * in the directory: the live half stays as it is. */
		if (prefixes_equal(old, new))
			cfg->flags = (cfg->flags & ~DIR_FLAGS) | (cur.flags & DIR_FLAGS);
		else
			write_dir(m, cfg, &cur, new);
		cur.flags = (cur.flags & ~DIR_FLAGS) | (cfg->flags & DIR_FLAGS);
		err = write_config(m, &cur);
	}
	if (!err)
		err = write_src_deletes(m, old, new, &rep->src_deleted);
	if (!err)
		err = write_filter_diff(m, fp.during, fp.after);
	filter_plan_free(&fp);
	if (err)
		return err;
	cfg->n_exact_v4 = c.n[SRC_EXACT_V4];
	cfg->n_exact_v6 = c.n[SRC_EXACT_V6];
	cfg->n_prefix_v4 = c.n[SRC_V4];
	cfg->n_prefix_v6 = c.n[SRC_V6];
	set_config_lens(cfg, &c.lens_v4, c.lens_v6);
	cfg->exact_seed = cur.exact_seed;
	cfg->flags |= SL_CFG_F_EXACT_FILTER;
	rep->src_total = (unsigned int)new->n;
	return write_config(m, cfg);
}

/* Reads the table twice (@old stays as the maps hold it) and compiles @new. */
static int load_tables(struct sl_maps *m, struct srctab *old, struct srctab *new)
{
	int err = sl_maps_read_srctab(m, old);

	if (!err)
		err = sl_maps_read_srctab(m, new);
	/* Normalise @old so lookups in write_src_diff are binary searches. */
	srctab_find(old, &(struct sl_prefix){ .family = SL_AF_INET });
	return err;
}

typedef int (*srctab_edit_fn)(struct srctab *t, const void *arg);

static const char *const src_map_names[SRC_KINDS] = {
	[SRC_EXACT_V4] = SL_MAP_EXACT_V4, [SRC_EXACT_V6] = SL_MAP_EXACT_V6,
	[SRC_V4] = SL_MAP_SRC_V4, [SRC_V6] = SL_MAP_SRC_V6,
};

/*
 * Entries each map holds at the fullest point of a swap from @old to @new:
 * new entries go in before old ones leave (so no source is ever judged by
 * neither table), so the maps must hold the union of both.
 */
static void count_union(struct srctab *old, struct srctab *new, struct src_counts *c)
{
	count_entries(new, c);
	for (size_t i = 0; i < old->n; i++)
		if (!srctab_find(new, &old->v[i].pfx))
			c->n[src_kind_of(&old->v[i].pfx)]++;
}

/* Would the swap from @old to @new fit the maps?  Checked before anything is
 * written, so a change that cannot be stored whole leaves the maps as they
 * were instead of failing halfway. */
static int srctab_fits(struct srctab *old, struct srctab *new)
{
	static const __u32 cap[SRC_KINDS] = {
		[SRC_EXACT_V4] = SL_MAX_EXACT, [SRC_EXACT_V6] = SL_MAX_EXACT,
		[SRC_V4] = SL_MAX_PREFIXES, [SRC_V6] = SL_MAX_PREFIXES,
	};
	struct src_counts after, during;

	count_entries(new, &after);
	count_union(old, new, &during);
	for (int k = 0; k < SRC_KINDS; k++) {
		if (after.n[k] > cap[k]) {
			pr_warn("source table: %u entries for %s, which holds %u (blocks count "
				"too); nothing written\n", after.n[k], src_map_names[k], cap[k]);
			return -E2BIG;
		}
		if (during.n[k] > cap[k]) {
			pr_warn("source table: %u entries for %s fit, but the change needs room "
				"for old and new together (%u of %u: new entries are written "
				"before old ones go, so no source is ever judged by neither); "
				"nothing written. Load a policy that drops some old entries "
				"first, then this one\n", after.n[k], src_map_names[k],
				during.n[k], cap[k]);
			return -E2BIG;
		}
	}
	return 0;
}

/* Read, edit, compile, check the size: the new table, nothing written yet. */
static int prepare_srctab(struct sl_maps *m, srctab_edit_fn edit, const void *arg,
			  struct srctab *old, struct srctab *new)
{
	int err = load_tables(m, old, new);

	if (!err)
		err = edit(new, arg);
	if (err)
		return err;
	srctab_compile(new, sl_now_ns());
	return srctab_fits(old, new);
}

static int edit_srctab(struct sl_maps *m, srctab_edit_fn edit, const void *arg,
		       struct sl_config *cfg, struct sl_apply_report *rep)
{
	struct srctab old = {}, new = {};
	struct sl_apply_report scratch = {};
	int err = prepare_srctab(m, edit, arg, &old, &new);

	if (!err)
		err = swap_srctab(m, cfg, &old, &new, rep ? rep : &scratch);
	srctab_free(&old);
	srctab_free(&new);
	return err;
}

struct block_arg {
	const struct sl_prefix *pfx;
	__u64 until_ns;
};

static int edit_block(struct srctab *t, const void *arg)
{
	const struct block_arg *b = arg;

	return srctab_add(t, b->pfx, SL_SRC_BLOCK, b->until_ns, 0);
}

static int edit_unblock(struct srctab *t, const void *arg)
{
	const struct srctab_entry *e = srctab_find(t, arg);

	if (!e || !(e->val.own & SL_SRC_BLOCK))
		return -ENOENT;
	srctab_clear(t, arg, SL_SRC_BLOCK);
	return 0;
}

int sl_maps_block(struct sl_maps *m, const struct sl_prefix *pfx, __u64 until_ns)
{
	struct block_arg arg = { pfx, until_ns };
	struct sl_config cfg;
	int err = sl_maps_read_config(m, &cfg);

	return err ? err : edit_srctab(m, edit_block, &arg, &cfg, NULL);
}

int sl_maps_unblock(struct sl_maps *m, const struct sl_prefix *pfx)
{
	struct sl_config cfg;
	int err = sl_maps_read_config(m, &cfg);

	return err ? err : edit_srctab(m, edit_unblock, pfx, &cfg, NULL);
}

/* --- learned sources (sluiced: kernel.learn_sources) ------------------------ */

struct learn_arg {
	const struct sl_prefix *pfx;
	__u32 agent_id;
};

/* Never over a policy source, a deny or a block: any entry containing the
 * address with one of them refuses.  (sluiced writes a learned source only
 * when the table lacks it: a policy load removed every identity before.) */
static int edit_learn(struct srctab *t, const void *arg)
{
	const struct learn_arg *l = arg;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].val.own & (SL_SRC_POLICY_DENY | SL_SRC_BLOCK | SL_SRC_IDENT) &&
		    sl_prefix_contains(&t->v[i].pfx, l->pfx))
			return -EEXIST;
	return srctab_add(t, l->pfx, SL_SRC_IDENT, 0, l->agent_id);
}

/* Only the entry as learned: a policy loaded since may have declared the
 * address for another agent. */
static int edit_unlearn(struct srctab *t, const void *arg)
{
	const struct learn_arg *l = arg;
	const struct srctab_entry *e = srctab_find(t, l->pfx);

	if (!e || !(e->val.own & SL_SRC_IDENT) || e->val.own_agent_id != l->agent_id)
		return -ENOENT;
	srctab_clear(t, l->pfx, SL_SRC_IDENT);
	return 0;
}

int sl_maps_learn_source(struct sl_maps *m, const struct sl_prefix *pfx, __u32 agent_id)
{
	struct learn_arg arg = { pfx, agent_id };
	struct sl_config cfg;
	int err = srctab_is_exact(pfx) ? sl_maps_read_config(m, &cfg) : -EINVAL;

	return err ? err : edit_srctab(m, edit_learn, &arg, &cfg, NULL);
}

int sl_maps_unlearn_source(struct sl_maps *m, const struct sl_prefix *pfx, __u32 agent_id)
{
	struct learn_arg arg = { pfx, agent_id };
	struct sl_config cfg;
	int err = sl_maps_read_config(m, &cfg);

	return err ? err : edit_srctab(m, edit_unlearn, &arg, &cfg, NULL);
}

/* --- connection tags -------------------------------------------------------- */

/* The map and key of @c's tag; @k4 and @k6 are the two key shapes. */
static int conn_key_of(struct sl_maps *m, const struct sl_conn_tuple *c,
		       struct sl_conn_v4_key *k4, struct sl_conn_v6_key *k6, const void **key)
{
	memset(k4, 0, sizeof(*k4));
	memset(k6, 0, sizeof(*k6));
	if (c->family == SL_AF_INET) {
		*k4 = (struct sl_conn_v4_key){ .saddr = c->saddr[0], .daddr = c->daddr[0],
					       .sport = c->sport, .dport = c->dport,
					       .proto = c->proto };
		*key = k4;
		return m->conn_tags_v4;
	}
	memcpy(k6->saddr, c->saddr, sizeof(k6->saddr));
	memcpy(k6->daddr, c->daddr, sizeof(k6->daddr));
	k6->sport = c->sport;
	k6->dport = c->dport;
	k6->proto = c->proto;
	*key = k6;
	return m->conn_tags_v6;
}

/* The count in sl_config that gates @c's family's tag probe. */
static __u32 *conn_count_of(struct sl_config *mem, const struct sl_conn_tuple *c)
{
	return c->family == SL_AF_INET ? &mem->n_conn_tags_v4 : &mem->n_conn_tags_v6;
}

/* How often tag_conn retries when untags race it on the same tuple. */
#define TAG_RETRIES 16

/*
 * The count is raised before the tag is inserted and lowered only after a
 * tag is deleted, so it never falls below the table's entries: a packet
 * that reads 0 finds no tag to miss.  Replacing an existing tag adds no
 * entry, so its increment is given back.  Lock-free: sluiced's workers
 * call these concurrently, and no config write touches the counts.
 */
int sl_maps_tag_conn(struct sl_maps *m, const struct sl_conn_tuple *c, __u32 agent_id)
{
	struct sl_conn_tag tag = { .agent_id = agent_id, .tagged_ns = sl_now_ns() };
	struct sl_config *mem = config_mem(m);
	struct sl_conn_v4_key k4;
	struct sl_conn_v6_key k6;
	const void *key;
	int fd = conn_key_of(m, c, &k4, &k6, &key), err = -EAGAIN;
	__u32 *count;

	if (!mem)
		return -errno;
	count = conn_count_of(mem, c);
	__atomic_fetch_add(count, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < TAG_RETRIES && err == -EAGAIN; i++) {
		if (!bpf_map_update_elem(fd, key, &tag, BPF_NOEXIST))
			return 0;	/* a new entry: the increment stays */
		err = -errno;
		if (err != -EEXIST)
			break;
		/* Already tagged: replace it, unless an untag just removed it. */
		err = bpf_map_update_elem(fd, key, &tag, BPF_EXIST) ? -errno : 0;
		if (err == -ENOENT)
			err = -EAGAIN;
	}
	__atomic_fetch_sub(count, 1, __ATOMIC_SEQ_CST);
	return err;
}

int sl_maps_untag_conn(struct sl_maps *m, const struct sl_conn_tuple *c)
{
	struct sl_config *mem = config_mem(m);
	struct sl_conn_v4_key k4;
	struct sl_conn_v6_key k6;
	const void *key;
	int fd = conn_key_of(m, c, &k4, &k6, &key);

	if (!mem)
		return -errno;
	if (bpf_map_delete_elem(fd, key))
		return -errno;
	__atomic_fetch_sub(conn_count_of(mem, c), 1, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * Deletes every key of @fd (@key_size bytes); how many went in @n.  The
 * keys are read first, each walk step from the one before, then deleted:
 * deleting as it walks would restart every step at the table's first
 * bucket (a walk of all buckets per key).
 */
static int clear_map(int fd, size_t key_size, unsigned int *n)
{
	size_t count = 0, cap = 0;
	char *keys = NULL, *grown;
	int err = 0;

	for (;;) {
		if (count == cap) {
			cap = cap ? 2 * cap : 1024;
			grown = realloc(keys, cap * key_size);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			keys = grown;
		}
		if (bpf_map_get_next_key(fd, count ? keys + (count - 1) * key_size : NULL,
					 keys + count * key_size)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		count++;
	}
	for (size_t i = 0; !err && i < count; i++) {
		if (!bpf_map_delete_elem(fd, keys + i * key_size))
			(*n)++;
		else if (errno != ENOENT)
			err = -errno;
	}
	free(keys);
	return err;
}

int sl_maps_clear_conn_tags(struct sl_maps *m, unsigned int *removed)
{
	struct sl_config *mem;
	int err;

	*removed = 0;
	err = clear_map(m->conn_tags_v4, sizeof(struct sl_conn_v4_key), removed);
	if (!err)
		err = clear_map(m->conn_tags_v6, sizeof(struct sl_conn_v6_key), removed);
	/* Nobody tags yet (a starting daemon): the counts the previous one left
	 * raised (it died between an insert and its count, or never untagged)
	 * go back to 0, and the packet path skips the probe again. */
	mem = err ? NULL : config_mem(m);
	if (mem) {
		__atomic_store_n(&mem->n_conn_tags_v4, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&mem->n_conn_tags_v6, 0, __ATOMIC_SEQ_CST);
	}
	return err;
}

/* --- agents ---------------------------------------------------------------- */

static int read_agent(struct sl_maps *m, __u32 id, struct sl_agent *a)
{
	return bpf_map_lookup_elem(m->agents, &id, a) ? -errno : 0;
}

static int write_agent(struct sl_maps *m, __u32 id, const struct sl_agent *a)
{
	return bpf_map_update_elem(m->agents, &id, a, BPF_ANY) ? -errno : 0;
}

static int reset_agent_state(struct sl_maps *m, __u32 id)
{
	struct sl_agent_state zero = {};

	return bpf_map_update_elem(m->agent_state, &id, &zero, BPF_ANY) ? -errno : 0;
}

/* Every slot of sl_agents into @slot (SL_MAX_AGENTS entries), in as few
 * syscalls as the kernel allows: one lookup per id would be 16383 syscalls
 * a policy load. */
static int read_all_agents(struct sl_maps *m, struct sl_agent *slot)
{
	__u32 *keys = calloc(SL_MAX_AGENTS, sizeof(*keys)), token, count;
	void *in = NULL;
	size_t got = 0;
	int err = keys ? 0 : -ENOMEM;

	while (!err && got < SL_MAX_AGENTS) {
		count = (__u32)(SL_MAX_AGENTS - got);
		err = bpf_map_lookup_batch(m->agents, in, &token, keys + got, slot + got, &count,
					   NULL);
		if ((err && err != -ENOENT) || (!err && !count))
			break;
		for (__u32 i = 0; i < count; i++)
			if (keys[got + i] != got + i)	/* arrays come back in key order */
				err = -EIO;
		got += count;
		in = &token;
		if (err == -ENOENT)
			err = got == SL_MAX_AGENTS ? 0 : -EIO;
	}
	free(keys);
	return err;
}

int sl_maps_agent_id(struct sl_maps *m, const char *name)
{
	struct sl_agent *slot = calloc(SL_MAX_AGENTS, sizeof(*slot));
	int ret = slot ? read_all_agents(m, slot) : -ENOMEM;

	for (__u32 id = 1; !ret && id < SL_MAX_AGENTS; id++)
		if (slot[id].flags & SL_AGENT_F_ACTIVE &&
		    !strncmp(slot[id].name, name, sizeof(slot[id].name)))
			ret = (int)id;
	free(slot);
	return ret ? ret : -ENOENT;
}

int sl_maps_ban(struct sl_maps *m, const char *agent, __u64 until_ns)
{
	struct sl_agent a;
	int id = sl_maps_agent_id(m, agent);
	int err;

	if (id < 0)
		return id;
	err = read_agent(m, (__u32)id, &a);
	if (err)
		return err;
	a.banned_until_ns = until_ns;
	return write_agent(m, (__u32)id, &a);
}

/* Ticks of the coarse clock a burst window spans at least: one tick is what
 * a bucket must hold to keep its rate while the clock stands still; the
 * second covers a CPU whose cached clock reads one tick late (sl_judge.h). */
#define GCRA_MIN_BURST_TICKS	2
/* The tick if clock_getres() cannot say: HZ=100, the coarsest Linux has. */
#define GCRA_FALLBACK_TICK_NS	10000000ULL

__u64 sl_gcra_min_burst_ns(void)
{
	struct timespec res;
	__u64 tick_ns = GCRA_FALLBACK_TICK_NS;

	if (!clock_getres(CLOCK_MONOTONIC_COARSE, &res) && (res.tv_sec || res.tv_nsec))
		tick_ns = (__u64)res.tv_sec * SL_NSEC_PER_SEC + (__u64)res.tv_nsec;
	return GCRA_MIN_BURST_TICKS * tick_ns;
}

/*
 * The BPF side reads CLOCK_MONOTONIC_COARSE, which stands still for a tick
 * (4 ms at HZ=250).  Within a tick a bucket admits at most its burst window's
 * worth; a window shorter than the tick caps the rate at window/tick of what
 * was asked (rate 100000 burst 100 at HZ=250: 25,000 a second).  So the
 * window is never shorter than sl_gcra_min_burst_ns(): a small burst grows
 * to two ticks' worth of the rate, and the rate holds.
 */
static __u64 clamp_burst(__u64 burst_ns)
{
	__u64 min_ns = sl_gcra_min_burst_ns();

	return burst_ns < min_ns ? min_ns : burst_ns;
}

int sl_maps_agent_ids(struct sl_maps *m, const struct policy *pol, __u32 *ids)
{
	struct sl_agent *slot = calloc(SL_MAX_AGENTS, sizeof(*slot));
	int err = slot ? read_all_agents(m, slot) : -ENOMEM;

	for (size_t i = 0; !err && i < pol->n_agents; i++) {
		ids[i] = 0;
		for (__u32 id = 1; id < SL_MAX_AGENTS; id++)
			if (slot[id].flags & SL_AGENT_F_ACTIVE &&
			    !strncmp(slot[id].name, pol->agents[i].name, sizeof(slot[id].name))) {
				ids[i] = id;
				break;
			}
	}
	free(slot);
	return err;
}

int sl_maps_agent_banned_until(struct sl_maps *m, __u32 id, __u64 *until_ns)
{
	struct sl_agent a;
	int err = read_agent(m, id, &a);

	if (!err && !(a.flags & SL_AGENT_F_ACTIVE))
		err = -ENOENT;
	*until_ns = err ? 0 : a.banned_until_ns;
	return err;
}

int sl_maps_read_bans(struct sl_maps *m, __u64 *until_ns)
{
	struct sl_agent *slot = calloc(SL_MAX_AGENTS, sizeof(*slot));
	int err = slot ? read_all_agents(m, slot) : -ENOMEM;

	for (__u32 id = 0; !err && id < SL_MAX_AGENTS; id++)
		until_ns[id] = slot[id].flags & SL_AGENT_F_ACTIVE ? slot[id].banned_until_ns : 0;
	free(slot);
	return err;
}

int sl_maps_ban_id(struct sl_maps *m, __u32 id, __u64 until_ns)
{
	struct sl_agent a;
	int err = read_agent(m, id, &a);

	if (!err && !(a.flags & SL_AGENT_F_ACTIVE))
		err = -ENOENT;
	if (err)
		return err;
	a.banned_until_ns = until_ns;
	return write_agent(m, id, &a);
}

/* GCRA parameters of a rate: one interval per unit, burst intervals ahead. */
static void rate_to_gcra(const struct pol_rate *r, __u64 *interval_ns, __u64 *burst_ns)
{
	*interval_ns = r->per_sec ? SL_NSEC_PER_SEC / r->per_sec : 0;
	if (r->per_sec && !*interval_ns)
		*interval_ns = 1;	/* over 1e9/s: as fine as the clock goes */
	*burst_ns = r->per_sec ? clamp_burst(*interval_ns * (r->burst ? r->burst : 1)) : 0;
}

static void byte_rate_to_gcra(const struct pol_rate *r, __u64 *interval_q16, __u64 *burst_ns)
{
	*interval_q16 = r->per_sec ? (SL_NSEC_PER_SEC << 16) / r->per_sec : 0;
	if (r->per_sec && !*interval_q16)
		*interval_q16 = 1;
	*burst_ns = r->per_sec ?
		    clamp_burst((r->burst ? r->burst : 1) * SL_NSEC_PER_SEC / r->per_sec) : 0;
}

/* The kernel view of one policy agent, limits resolved from its plan. */
static void agent_from_policy(const struct policy *pol, const struct pol_agent *pa,
			      struct sl_agent *a)
{
	const struct pol_plan *plan = pa->plan[0] ? policy_find_plan(pol, pa->plan) : NULL;

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", pa->name);
	snprintf(a->plan, sizeof(a->plan), "%s", pa->plan);
	a->flags = SL_AGENT_F_ACTIVE;
	if (pa->ban_action == POL_BAN_RST)
		a->flags |= SL_AGENT_F_BAN_RST;
	if (!plan)
		return;
	rate_to_gcra(&plan->syn, &a->syn_interval_ns, &a->syn_burst_ns);
	rate_to_gcra(&plan->packets, &a->pkt_interval_ns, &a->pkt_burst_ns);
	byte_rate_to_gcra(&plan->bytes, &a->byte_interval_q16, &a->byte_burst_ns);
}

/* Agents as the maps hold them, indexed by id. */
struct agent_table {
	struct sl_agent *slot;		/* SL_MAX_AGENTS entries */
	__u32 *policy_id;		/* policy agent index -> id */
	struct nidx by_name;		/* active slots' names -> id */
};

/* The active slots by name, the lowest id first, so that a policy of
 * thousands of agents finds its ids in one probe each, not a scan each. */
static int index_slots(struct agent_table *at)
{
	int err = nidx_init(&at->by_name, SL_MAX_AGENTS);

	for (__u32 id = 1; id < SL_MAX_AGENTS && !err; id++) {
		struct sl_agent *a = &at->slot[id];

		if (!(a->flags & SL_AGENT_F_ACTIVE))
			continue;
		a->name[SL_NAME_MAX - 1] = '\0';	/* sluice wrote it so; keep the index safe */
		err = nidx_add(&at->by_name, a->name, id);
		if (err == -EEXIST)
			err = 0;	/* a second slot of one name: the lowest id wins */
	}
	return err;
}

/* The lowest id from *@next on that is neither active nor taken. */
static int free_slot(const struct agent_table *at, const bool *taken, __u32 *next)
{
	for (; *next < SL_MAX_AGENTS; ++*next)
		if (!(at->slot[*next].flags & SL_AGENT_F_ACTIVE) && !taken[*next])
			return (int)(*next)++;
	return -ENOSPC;
}

/* Gives every policy agent an id: the one it had, else the lowest free one. */
static int assign_ids(const struct policy *pol, struct agent_table *at, bool *taken)
{
	__u32 next = 1;
	int err = index_slots(at);

	if (err)
		return err;
	for (size_t i = 0; i < pol->n_agents; i++) {
		long id = nidx_find(&at->by_name, pol->agents[i].name);

		if (id > 0)
			taken[id] = true;
		at->policy_id[i] = id > 0 ? (__u32)id : 0;
	}
	for (size_t i = 0; i < pol->n_agents; i++) {
		int id;

		if (at->policy_id[i])
			continue;
		id = free_slot(at, taken, &next);
		if (id < 0)
			return id;
		taken[id] = true;
		at->policy_id[i] = (__u32)id;
	}
	return 0;
}

static bool limits_differ(const struct sl_agent *a, const struct sl_agent *b)
{
	return a->syn_interval_ns != b->syn_interval_ns || a->syn_burst_ns != b->syn_burst_ns ||
	       a->pkt_interval_ns != b->pkt_interval_ns || a->pkt_burst_ns != b->pkt_burst_ns ||
	       a->byte_interval_q16 != b->byte_interval_q16 || a->byte_burst_ns != b->byte_burst_ns;
}

/* Writes new and changed agents; a ban survives a policy load. */
static int write_policy_agents(struct sl_maps *m, const struct policy *pol,
			       struct agent_table *at, struct sl_apply_report *rep)
{
	for (size_t i = 0; i < pol->n_agents; i++) {
		__u32 id = at->policy_id[i];
		struct sl_agent *old = &at->slot[id], want;
		bool existed = old->flags & SL_AGENT_F_ACTIVE;
		int err;

		agent_from_policy(pol, &pol->agents[i], &want);
		if (existed)
			want.banned_until_ns = old->banned_until_ns;
		if (existed && !memcmp(old, &want, sizeof(want)))
			continue;
		if (!existed || limits_differ(old, &want)) {
			err = reset_agent_state(m, id);
			if (err)
				return err;
		}
		err = write_agent(m, id, &want);
		if (err)
			return err;
		existed ? rep->agents_updated++ : rep->agents_added++;
		*old = want;
	}
	return 0;
}

static int remove_stale_agents(struct sl_maps *m, struct agent_table *at, const bool *taken,
			       struct sl_apply_report *rep)
{
	struct sl_agent empty = {};

	for (__u32 id = 1; id < SL_MAX_AGENTS; id++) {
		int err;

		if (taken[id] || !(at->slot[id].flags & SL_AGENT_F_ACTIVE))
			continue;
		err = write_agent(m, id, &empty);
		if (!err)
			err = reset_agent_state(m, id);
		if (err)
			return err;
		rep->agents_removed++;
	}
	return 0;
}

static int read_agent_table(struct sl_maps *m, struct agent_table *at, size_t n_policy)
{
	at->slot = calloc(SL_MAX_AGENTS, sizeof(*at->slot));
	at->policy_id = calloc(n_policy ? n_policy : 1, sizeof(*at->policy_id));
	if (!at->slot || !at->policy_id)
		return -ENOMEM;
	return read_all_agents(m, at->slot);
}

/* --- policy ---------------------------------------------------------------- */

struct policy_edit {
	const struct policy *pol;
	const __u32 *policy_id;
};

/* Replaces the policy's reasons (deny, identities); blocks stay. */
static int edit_policy(struct srctab *t, const void *arg)
{
	const struct policy_edit *pe = arg;
	const struct policy *pol = pe->pol;
	int err = 0;

	srctab_clear(t, NULL, SL_SRC_POLICY_DENY | SL_SRC_IDENT);
	for (size_t i = 0; i < pol->kernel.n_deny && !err; i++)
		err = srctab_add(t, &pol->kernel.deny[i], SL_SRC_POLICY_DENY, 0, 0);
	for (size_t i = 0; i < pol->n_agents && !err; i++)
		for (size_t s = 0; s < pol->agents[i].n_sources && !err; s++)
			err = srctab_add(t, &pol->agents[i].sources[s], SL_SRC_IDENT, 0,
					 pe->policy_id[i]);
	return err;
}

static void config_from_policy(const struct policy *pol, struct sl_config *cfg)
{
	const struct pol_kernel *k = &pol->kernel;

	memset(cfg->ports, 0, sizeof(cfg->ports));
	for (size_t i = 0; i < k->n_ports; i++)
		cfg->ports[k->ports[i] / 64] |= 1ULL << (k->ports[i] % 64);
	if (k->monitor)
		cfg->flags |= SL_CFG_F_MONITOR;	/* set first, cleared last: see below */
	cfg->events_per_sec = k->events_per_sec;
	rate_to_gcra(&k->syn_per_source, &cfg->syn_src_interval_ns, &cfg->syn_src_burst_ns);
	cfg->generation++;
}

/*
 * Monitor mode turned on is set before anything of the new policy is
 * written, and turned off is cleared after the last of it: a policy loaded
 * in monitor mode is never enforced while it is being written, and what is
 * left of a monitored one is never enforced while it is being removed.
 */
static int monitor_enter(struct sl_maps *m, struct sl_config *cfg, bool monitor)
{
	if (!monitor || cfg->flags & SL_CFG_F_MONITOR)
		return 0;
	cfg->flags |= SL_CFG_F_MONITOR;
	return write_config(m, cfg);
}

static int monitor_leave(struct sl_maps *m, struct sl_config *cfg, bool monitor)
{
	if (monitor || !(cfg->flags & SL_CFG_F_MONITOR))
		return 0;
	cfg->flags &= ~SL_CFG_F_MONITOR;
	return write_config(m, cfg);
}

/*
 * Gives the maps their SYN-bucket key the first time a policy is loaded:
 * random, factors odd, written on its own before the policy's SYN rate is,
 * so no packet hashes with a half-written key.  Never redrawn: buckets stay
 * where they are across reloads.
 */
static int ensure_syn_seed(struct sl_maps *m, struct sl_config *cfg)
{
	struct sl_exact_seed *seed = &cfg->syn_seed;

	if (seed->mul[0])	/* odd once drawn: 0 means never drawn */
		return 0;
	if (getrandom(seed, sizeof(*seed), 0) != (ssize_t)sizeof(*seed))
		return -EIO;
	for (size_t i = 0; i < sizeof(seed->mul) / sizeof(seed->mul[0]); i++)
		seed->mul[i] |= 1;
	return write_config(m, cfg);
}

/*
 * Order: monitor mode on (if the policy turns it on), agents (identities in
 * the source table name their ids), the source table and config, agents
 * the policy no longer has, monitor mode off (if the policy turns it off).
 */
int sl_maps_apply_policy(struct sl_maps *m, const struct policy *pol,
			 struct sl_apply_report *rep)
{
	struct agent_table at = {};
	struct srctab old = {}, new = {};
	struct sl_config cfg;
	bool *taken = calloc(SL_MAX_AGENTS, sizeof(*taken));
	int err = -ENOMEM;

	memset(rep, 0, sizeof(*rep));
	if (!taken)
		goto out;
	err = sl_maps_read_config(m, &cfg);
	if (!err)
		err = ensure_syn_seed(m, &cfg);
	if (!err)
		err = read_agent_table(m, &at, pol->n_agents);
	if (!err)
		err = assign_ids(pol, &at, taken);
	/* The new source table is built and sized before anything is written. */
	if (!err) {
		struct policy_edit pe = { pol, at.policy_id };

		err = prepare_srctab(m, edit_policy, &pe, &old, &new);
	}
	if (!err)
		err = monitor_enter(m, &cfg, pol->kernel.monitor);
	if (!err)
		err = write_policy_agents(m, pol, &at, rep);
	if (!err) {
		config_from_policy(pol, &cfg);
		err = swap_srctab(m, &cfg, &old, &new, rep);
	}
	if (!err)
		err = remove_stale_agents(m, &at, taken, rep);
	if (!err)
		err = monitor_leave(m, &cfg, pol->kernel.monitor);
	rep->generation = cfg.generation;
out:
	srctab_free(&old);
	srctab_free(&new);
	nidx_free(&at.by_name);
	free(at.slot);
	free(at.policy_id);
	free(taken);
	return err;
}
