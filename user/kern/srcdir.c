// SPDX-License-Identifier: GPL-2.0-only
/*
 * srcdir.c - build the source directory (see srcdir.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "srcdir.h"

/* A new node, every entry a copy of @fill; its index, or 0 when the half
 * is full (0 is never a new node: the roots come first). */
static __u32 node_new(struct srcdir *d, __u32 fill)
{
	struct sl_src_node *n;

	if (d->n_nodes >= SL_SRC_DIR_NODES)
		return 0;
	n = &d->nodes[d->n_nodes];
	for (int i = 0; i < SL_SRC_DIR_FANOUT; i++)
		n->e[i] = fill;
	return (__u32)d->n_nodes++;
}

static struct sl_src_node *node_at(struct srcdir *d, __u32 index)
{
	return &d->nodes[index];
}

static int levels_of(__u32 family)
{
	return family == SL_AF_INET ? 4 : 16;
}

/*
 * Puts @leaf (an entry value) into every entry @pfx covers.  Shortest
 * prefixes first (the caller's order): what an entry held is then never
 * longer than @pfx, so overwriting it keeps the longest match.  -ENOSPC
 * when a node is needed and the half has none left.
 */
static int insert(struct srcdir *d, const struct sl_prefix *pfx, __u32 leaf)
{
	const __u8 *b = (const __u8 *)pfx->addr;
	__u32 node = pfx->family == SL_AF_INET ? 0 : SL_SRC_DIR_ROOT_V6;
	unsigned int level = 0, span, start;
	__u32 *e;

	while (pfx->prefixlen > 8 * (level + 1)) {
		e = &node_at(d, node)->e[b[level]];
		if (!(*e & SL_SRC_DIR_CHILD)) {
			__u32 child = node_new(d, *e);

			if (!child)
				return -ENOSPC;
			*e = SL_SRC_DIR_CHILD | child;
		}
		node = *e & ~SL_SRC_DIR_CHILD;
		level++;
	}
	span = 1U << (8 * (level + 1) - pfx->prefixlen);
	start = b[level] & ~(span - 1);
	for (unsigned int i = start; i < start + span; i++) {
		e = &node_at(d, node)->e[i];
		/* A child here would hold longer prefixes, inserted after. */
		if (!(*e & SL_SRC_DIR_CHILD))
			*e = leaf;
	}
	return 0;
}

/* One family's prefixes into the directory, or none of them.  @t is
 * normalised: sorted by family, then length, so shortest first. */
static int build_family(struct srcdir *d, const struct srctab *t, __u32 family)
{
	size_t nodes_before = d->n_nodes, leaves_before = d->n_leaves;
	__u32 root = family == SL_AF_INET ? 0 : SL_SRC_DIR_ROOT_V6;
	int err = 0;

	for (size_t i = 0; i < t->n && !err; i++) {
		if (t->v[i].pfx.family != family || srctab_is_exact(&t->v[i].pfx))
			continue;
		d->leaves[d->n_leaves] = t->v[i].val;
		err = insert(d, &t->v[i].pfx,
			     d->half * SL_SRC_DIR_LEAVES + (__u32)d->n_leaves + 1);
		d->n_leaves++;
	}
	d->fits[family == SL_AF_INET ? 0 : 1] = !err;
	if (err) {	/* out of nodes: the family is left to the hashes and trie */
		d->n_nodes = nodes_before;
		d->n_leaves = leaves_before;
		memset(&d->nodes[root], 0, sizeof(d->nodes[root]));
	}
	return err == -ENOSPC ? 0 : err;
}

/*
 * The family's head: from its root, as long as a node has exactly one
 * entry and that entry is a child, every prefix shares that byte, and the
 * walk can compare it instead of stepping through the node.  At least the
 * last level is always walked.
 */
static void find_head(struct srcdir *d, int f)
{
	struct sl_src_dir_head *h = &d->head[f];
	__u32 node = f ? SL_SRC_DIR_ROOT_V6 : 0;
	int levels = f ? 16 : 4;
	__u8 *prefix = (__u8 *)h->prefix, *mask = (__u8 *)h->mask;

	memset(h, 0, sizeof(*h));
	while ((int)h->skip < levels - 1) {
		const struct sl_src_node *n = &d->nodes[node];
		int only = -1;

		for (int i = 0; i < SL_SRC_DIR_FANOUT; i++) {
			if (!n->e[i])
				continue;
			if (only >= 0) {
				only = -2;
				break;
			}
			only = i;
		}
		if (only < 0 || !(n->e[only] & SL_SRC_DIR_CHILD))
			break;
		prefix[h->skip] = (__u8)only;
		mask[h->skip] = 0xff;
		node = n->e[only] & ~SL_SRC_DIR_CHILD;
		h->skip++;
	}
	h->start = node;
}

int srcdir_build(struct srcdir *d, struct srctab *t, __u32 half)
{
	size_t n = 0;
	int err = -ENOMEM;

	memset(d, 0, sizeof(*d));
	d->half = half;
	d->nodes = calloc(SL_SRC_DIR_NODES, sizeof(*d->nodes));
	d->leaves = calloc(t->n ? t->n : 1, sizeof(*d->leaves));
	if (!d->nodes || !d->leaves)
		goto out;
	srctab_find(t, &(struct sl_prefix){ .family = SL_AF_INET });	/* normalise */
	for (size_t i = 0; i < t->n; i++)
		n += !srctab_is_exact(&t->v[i].pfx);
	if (n > SL_SRC_DIR_LEAVES) {
		err = -E2BIG;
		goto out;
	}
	d->n_nodes = 2;		/* the roots, empty */
	err = build_family(d, t, SL_AF_INET);
	if (!err)
		err = build_family(d, t, SL_AF_INET6);
	if (!err) {
		find_head(d, 0);
		find_head(d, 1);
	}
out:
	if (err)
		srcdir_free(d);
	return err;
}

void srcdir_free(struct srcdir *d)
{
	free(d->nodes);
	free(d->leaves);
	d->nodes = NULL;
	d->leaves = NULL;
	d->n_nodes = d->n_leaves = 0;
}

/* Writes @n values of @size from @values at consecutive keys from @first. */
static int write_array(int fd, __u32 first, const void *values, size_t n)
{
	__u32 *keys;
	__u32 count = (__u32)n;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		keys[i] = first + (__u32)i;
	if (bpf_map_update_batch(fd, keys, values, &count, NULL))
		err = -errno;
	free(keys);
	return err;
}

/* The half's sequence number to odd (@writing) or from odd to even. */
static int seq_mark(int seq_fd, __u32 half, bool writing)
{
	__u32 seq = 0;

	if (bpf_map_lookup_elem(seq_fd, &half, &seq))
		return -errno;
	seq = writing ? (seq + 1) | 1 : seq + 1;
	return bpf_map_update_elem(seq_fd, &half, &seq, BPF_ANY) ? -errno : 0;
}

int srcdir_write(const struct srcdir *d, const struct srcdir_fds *fds)
{
	int err = seq_mark(fds->seq, d->half, true);

	if (!err)
		err = write_array(fds->head, d->half * 2, d->head, 2);
	if (!err)
		err = write_array(fds->leaves, d->half * SL_SRC_DIR_LEAVES, d->leaves, d->n_leaves);
	/* The half is one value, written whole: the builder's nodes are a
	 * whole half (those past n_nodes are never reached). */
	if (!err && bpf_map_update_elem(fds->nodes, &d->half, d->nodes, BPF_ANY))
		err = -errno;
	/* Left odd on an error: no walk trusts the half, and no flip names it. */
	return err ? err : seq_mark(fds->seq, d->half, false);
}

const struct sl_src_value *srcdir_lookup(const struct srcdir *d, __u32 family,
					 const __u32 *addr)
{
	const __u8 *b = (const __u8 *)addr;
	__u32 node = family == SL_AF_INET ? 0 : SL_SRC_DIR_ROOT_V6, e = 0;

	for (int level = 0; level < levels_of(family); level++) {
		e = d->nodes[node].e[b[level]];
		if (!(e & SL_SRC_DIR_CHILD))
			break;
		node = e & ~SL_SRC_DIR_CHILD;
	}
	if (!e || e & SL_SRC_DIR_CHILD)
		return NULL;
	return &d->leaves[e - 1 - d->half * SL_SRC_DIR_LEAVES];
}

__u32 srcdir_flags(const struct srcdir *d)
{
	return (d->fits[0] ? SL_CFG_F_DIR_V4 : 0) | (d->fits[1] ? SL_CFG_F_DIR_V6 : 0) |
	       (d->half ? SL_CFG_F_DIR_HALF : 0);
}
