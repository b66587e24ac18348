/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * srcdir.h - the source directory: a compiled source table's prefixes
 * (every entry shorter than a full address) as the multibit trie the XDP
 * path walks one address byte at a time (see SL_SRC_DIR_NODES in
 * sluice_abi.h), built for one half of sl_src_nodes / sl_src_leaves.
 *
 * Entries are leaf-pushed: inserted shortest first, a prefix fills the
 * entries its range covers at its last level, and a longer one splits an
 * entry into a child node that starts as copies of it.  So the entry an
 * address reaches is the longest prefix containing it, which is what the
 * hashes and trie answer for the same table.
 */
#ifndef SL_SRCDIR_H
#define SL_SRCDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sluice_abi.h"
#include "srctab.h"

struct srcdir {
	__u32 half;			/* 0 or 1: which half the indices are for */
	struct sl_src_node *nodes;	/* a whole half; n_nodes in use, both roots first */
	size_t n_nodes;
	struct sl_src_value *leaves;
	size_t n_leaves;
	bool fits[2];			/* [0] IPv4, [1] IPv6: the family's table is in it */
	struct sl_src_dir_head head[2];	/* [0] IPv4, [1] IPv6 */
};

/*
 * Builds the directory of @t's prefixes for @half.  A family whose table
 * needs more than the half's nodes is left out (fits[] false, its root
 * empty), never half-built.  -ENOMEM only when memory runs out.
 */
int srcdir_build(struct srcdir *d, struct srctab *t, __u32 half);
void srcdir_free(struct srcdir *d);
/* The maps a directory is written to. */
struct srcdir_fds {
	int nodes, leaves, seq, head;
};

/* Writes the built half into the maps, its sequence number odd meanwhile:
 * read by the packet path only once sl_config names the half. */
int srcdir_write(const struct srcdir *d, const struct srcdir_fds *fds);
/* The entry's value for @addr (network order) of @family, as the packet
 * path walks it; NULL when no prefix contains it (tests). */
const struct sl_src_value *srcdir_lookup(const struct srcdir *d, __u32 family,
					 const __u32 *addr);
/* The SL_CFG_F_DIR_* flags that make the packet path read @d. */
__u32 srcdir_flags(const struct srcdir *d);

#endif
