/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nameidx.h - a fixed hash table from names to small integers, built once
 * (at policy load) and read by many threads afterwards: agents, plans and
 * tools by name, the exact globs of a rule list, a tool's argument names.
 *
 * Open addressing with linear probing at a load of at most one half, so a
 * lookup is one hash of the name and a probe or two.  Only the policy adds
 * names; request data is only ever looked up, so no caller can grow a
 * probe chain.  The names are not copied: they must outlive the index.
 */
#ifndef SL_NAMEIDX_H
#define SL_NAMEIDX_H

#include <stddef.h>
#include <stdint.h>

struct nidx_slot {
	const char *name;	/* NULL: empty */
	uint32_t hash;
	uint32_t value;
};

struct nidx {
	struct nidx_slot *slots;
	size_t mask;		/* slots - 1 (a power of two) */
};

/* Room for @n names.  0 or -ENOMEM. */
int nidx_init(struct nidx *ix, size_t n);
/* 0, or -EEXIST when @name is there already (the first value stays). */
int nidx_add(struct nidx *ix, const char *name, uint32_t value);
/* The value stored for @name, or -1. */
long nidx_find(const struct nidx *ix, const char *name);
void nidx_free(struct nidx *ix);

#endif
