/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * globset.h - one allow or deny list of globs (tool names, resource URIs,
 * prompt names), compiled for the request path.
 *
 * Matching is fnmatch(3) with no flags: `*` and `?` match any character,
 * '/' and a leading '.' included, `[...]` is a set, `\` escapes.  Most
 * globs of a real policy are plain names or "*", so those skip fnmatch: a
 * "*" makes the list match everything, plain names sit in a hash table,
 * and only the remaining wildcard globs are tried one by one.
 */
#ifndef SL_GLOBSET_H
#define SL_GLOBSET_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "nameidx.h"

struct globset {
	const char **text;	/* every glob in policy order (into the policy's JSON) */
	size_t n;
	long star;		/* index of a "*" glob, or -1 */
	struct nidx exact;	/* globs without wildcards: text -> index */
	size_t *wild;		/* indices of the wildcard globs, in order */
	size_t n_wild;
};

/* From a checked array of glob strings (NULL: an empty list).  0 or -ENOMEM. */
int globset_build(struct globset *gs, const cJSON *array);
/* The index of a glob matching @name (a "*" first, then a plain name, then
 * the first wildcard glob in policy order), or -1 when none does. */
long globset_match(const struct globset *gs, const char *name);
void globset_free(struct globset *gs);

#endif
