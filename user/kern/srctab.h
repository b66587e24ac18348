/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * srctab.h - the source table: every address prefix the kernel judges a
 * packet's source by (deny list, `sluicectl block`, agent identity), and the
 * compiler that turns it into what the XDP path reads with one lookup.
 *
 * An entry's own fields say why it exists; its effective fields are computed
 * over all entries that contain it: denied until the latest deadline of any
 * containing deny or block, bound to the agent of the longest containing
 * identity.  Exact addresses (/32, /128) go to the sl_exact hash, shorter
 * prefixes to their family's prefix hash, its LPM trie mirror and the
 * source directory (srcdir.h): the exact hit, else the longest prefix,
 * decides.
 */
#ifndef SL_SRCTAB_H
#define SL_SRCTAB_H

#include <stddef.h>
#include <linux/types.h>

#include "sluice_abi.h"
#include "policy/policy.h"

struct srctab_entry {
	struct sl_prefix pfx;
	struct sl_src_value val;
};

struct srctab {
	struct srctab_entry *v;
	size_t n, cap;
	bool sorted;
};

void srctab_free(struct srctab *t);
/* Adds @own reasons to the entry for @pfx (created when missing).  The
 * block deadline keeps the later of the two; an identity replaces. */
int srctab_add(struct srctab *t, const struct sl_prefix *pfx, __u32 own,
	       __u64 block_until_ns, __u32 agent_id);
/* Adds an entry exactly as a map holds it, effective fields included (read-back). */
int srctab_add_value(struct srctab *t, const struct sl_prefix *pfx,
		     const struct sl_src_value *val);
/* Clears @own reasons from every entry (or only @pfx's when not NULL). */
void srctab_clear(struct srctab *t, const struct sl_prefix *pfx, __u32 own);
/* Drops blocks whose deadline passed and entries left with no reason, then
 * fills every entry's effective fields. */
void srctab_compile(struct srctab *t, __u64 now_ns);
const struct srctab_entry *srctab_find(struct srctab *t, const struct sl_prefix *pfx);

/* Full-length prefixes live in sl_exact; the rest in sl_src (and its trie). */
static inline bool srctab_is_exact(const struct sl_prefix *p)
{
	return p->prefixlen == (p->family == SL_AF_INET ? 32u : 128u);
}

#endif
