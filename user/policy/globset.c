// SPDX-License-Identifier: GPL-2.0-only
/*
 * globset.c - allow and deny lists of globs (see globset.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "globset.h"

static bool has_wildcard(const char *glob)
{
	return strpbrk(glob, "*?[\\") != NULL;
}

int globset_build(struct globset *gs, const cJSON *array)
{
	size_t n = (size_t)cJSON_GetArraySize(array);
	const cJSON *item;

	memset(gs, 0, sizeof(*gs));
	gs->star = -1;
	gs->text = calloc(n ? n : 1, sizeof(*gs->text));
	gs->wild = calloc(n ? n : 1, sizeof(*gs->wild));
	if (!gs->text || !gs->wild || nidx_init(&gs->exact, n))
		return -ENOMEM;
	cJSON_ArrayForEach(item, array) {
		const char *glob = item->valuestring;

		gs->text[gs->n] = glob;
		if (!strcmp(glob, "*") && gs->star < 0)
			gs->star = (long)gs->n;
		else if (has_wildcard(glob))
			gs->wild[gs->n_wild++] = gs->n;
		else	/* the schema made them unique: no -EEXIST */
			nidx_add(&gs->exact, glob, (uint32_t)gs->n);
		gs->n++;
	}
	return 0;
}

long globset_match(const struct globset *gs, const char *name)
{
	long hit;

	if (gs->star >= 0)
		return gs->star;
	hit = nidx_find(&gs->exact, name);
	if (hit >= 0)
		return hit;
	for (size_t i = 0; i < gs->n_wild; i++)
		if (!fnmatch(gs->text[gs->wild[i]], name, 0))
			return (long)gs->wild[i];
	return -1;
}

void globset_free(struct globset *gs)
{
	free(gs->text);
	free(gs->wild);
	nidx_free(&gs->exact);
	memset(gs, 0, sizeof(*gs));
	gs->star = -1;
}
