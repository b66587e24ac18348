// SPDX-License-Identifier: GPL-2.0-only
/*
 * srctab.c - compile the source table (see srctab.h).
 *
 * Entries are appended unsorted and normalised (sorted by family, prefix
 * length, address; duplicates merged) on demand, so loading a large deny
 * list stays O(n log n).  Compilation looks each entry's containing
 * prefixes up by binary search, one lookup per prefix length in use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "srctab.h"

void srctab_free(struct srctab *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int entry_cmp(const void *a, const void *b)
{
	return sl_prefix_cmp(&((const struct srctab_entry *)a)->pfx,
			  &((const struct srctab_entry *)b)->pfx);
}

static void merge_into(struct sl_src_value *dst, const struct sl_src_value *src)
{
	if (src->own & SL_SRC_BLOCK && src->block_until_ns > dst->block_until_ns)
		dst->block_until_ns = src->block_until_ns;
	if (src->own & SL_SRC_IDENT)
		dst->own_agent_id = src->own_agent_id;
	dst->own |= src->own;
}

static void srctab_normalise(struct srctab *t)
{
	size_t out = 0;

	if (t->sorted)
		return;
	if (t->n)	/* qsort(NULL, 0) is undefined behaviour */
		qsort(t->v, t->n, sizeof(*t->v), entry_cmp);
	for (size_t i = 0; i < t->n; i++) {
		if (out && !sl_prefix_cmp(&t->v[out - 1].pfx, &t->v[i].pfx))
			merge_into(&t->v[out - 1].val, &t->v[i].val);
		else
			t->v[out++] = t->v[i];
	}
	t->n = out;
	t->sorted = true;
}

int srctab_add(struct srctab *t, const struct sl_prefix *pfx, __u32 own,
	       __u64 block_until_ns, __u32 agent_id)
{
	struct srctab_entry *e;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		void *v = realloc(t->v, cap * sizeof(*t->v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	e->pfx = *pfx;
	sl_prefix_mask(&e->pfx);
	e->val.own = own;
	e->val.block_until_ns = own & SL_SRC_BLOCK ? block_until_ns : 0;
	e->val.own_agent_id = own & SL_SRC_IDENT ? agent_id : 0;
	t->sorted = false;
	return 0;
}

int srctab_add_value(struct srctab *t, const struct sl_prefix *pfx,
		     const struct sl_src_value *val)
{
	int err = srctab_add(t, pfx, val->own, val->block_until_ns, val->own_agent_id);

	if (!err)
		t->v[t->n - 1].val = *val;
	return err;
}

const struct srctab_entry *srctab_find(struct srctab *t, const struct sl_prefix *pfx)
{
	struct srctab_entry key = { .pfx = *pfx };

	srctab_normalise(t);
	sl_prefix_mask(&key.pfx);
	if (!t->n)	/* bsearch(NULL, 0) is undefined behaviour */
		return NULL;
	return bsearch(&key, t->v, t->n, sizeof(*t->v), entry_cmp);
}

void srctab_clear(struct srctab *t, const struct sl_prefix *pfx, __u32 own)
{
	struct srctab_entry *e;

	if (!pfx) {
		for (size_t i = 0; i < t->n; i++)
			t->v[i].val.own &= ~own;
		return;
	}
	e = (struct srctab_entry *)srctab_find(t, pfx);
	if (e)
		e->val.own &= ~own;
}

/* An entry stays while some reason for it remains (an expired block is none). */
static bool entry_alive(struct srctab_entry *e, __u64 now_ns)
{
	struct sl_src_value *v = &e->val;

	if (v->own & SL_SRC_BLOCK && v->block_until_ns != SL_FOREVER &&
	    v->block_until_ns <= now_ns) {
		v->own &= ~SL_SRC_BLOCK;
		v->block_until_ns = 0;
	}
	if (!(v->own & SL_SRC_IDENT))
		v->own_agent_id = 0;
	return v->own != 0;
}

static __u64 own_deny_until(const struct sl_src_value *v)
{
	if (v->own & SL_SRC_POLICY_DENY)
		return SL_FOREVER;
	return v->own & SL_SRC_BLOCK ? v->block_until_ns : 0;
}

/* Folds the entry of @pfx masked to @len, if there is one, into @e. */
static void fold_container(struct srctab *t, struct srctab_entry *e, __u32 len)
{
	struct srctab_entry key = { .pfx = e->pfx };
	const struct srctab_entry *c;
	__u64 until;

	key.pfx.prefixlen = len;
	sl_prefix_mask(&key.pfx);
	c = bsearch(&key, t->v, t->n, sizeof(*t->v), entry_cmp);
	if (!c)
		return;
	until = own_deny_until(&c->val);
	if (until > e->val.eff_deny_until_ns)
		e->val.eff_deny_until_ns = until;
	/* Lengths are visited shortest first: the longest identity wins. */
	if (c->val.own & SL_SRC_IDENT)
		e->val.eff_agent_id = c->val.own_agent_id;
}

void srctab_compile(struct srctab *t, __u64 now_ns)
{
	bool used[2][129] = {};
	size_t out = 0;

	srctab_normalise(t);
	for (size_t i = 0; i < t->n; i++)
		if (entry_alive(&t->v[i], now_ns))
			t->v[out++] = t->v[i];
	t->n = out;
	for (size_t i = 0; i < t->n; i++)
		used[t->v[i].pfx.family == SL_AF_INET6][t->v[i].pfx.prefixlen] = true;

	for (size_t i = 0; i < t->n; i++) {
		struct srctab_entry *e = &t->v[i];
		bool v6 = e->pfx.family == SL_AF_INET6;

		e->val.eff_deny_until_ns = 0;
		e->val.eff_agent_id = 0;
		for (__u32 len = 0; len <= e->pfx.prefixlen; len++)
			if (used[v6][len])
				fold_container(t, e, len);
	}
}
