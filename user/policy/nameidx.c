// SPDX-License-Identifier: GPL-2.0-only
/*
 * nameidx.c - the name -> integer hash table of the decision model (see
 * nameidx.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nameidx.h"

/* FNV-1a: the keys are short names, and no request can insert one. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int nidx_init(struct nidx *ix, size_t n)
{
	size_t size = 4;

	while (size < 2 * n)
		size *= 2;
	ix->slots = calloc(size, sizeof(*ix->slots));
	ix->mask = size - 1;
	return ix->slots ? 0 : -ENOMEM;
}

int nidx_add(struct nidx *ix, const char *name, uint32_t value)
{
	uint32_t h = name_hash(name);
	size_t i = h & ix->mask;

	for (; ix->slots[i].name; i = (i + 1) & ix->mask)
		if (ix->slots[i].hash == h && !strcmp(ix->slots[i].name, name))
			return -EEXIST;
	ix->slots[i] = (struct nidx_slot){ name, h, value };
	return 0;
}

long nidx_find(const struct nidx *ix, const char *name)
{
	uint32_t h = name_hash(name);

	for (size_t i = h & ix->mask; ix->slots[i].name; i = (i + 1) & ix->mask)
		if (ix->slots[i].hash == h && !strcmp(ix->slots[i].name, name))
			return ix->slots[i].value;
	return -1;
}

void nidx_free(struct nidx *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->mask = 0;
}
