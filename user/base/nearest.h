/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nearest.h - "did you mean": the known name a mistyped one was probably
 * meant to be.  One rule for the policy checker (field names) and sluicectl
 * (command names), so both suggest the same way.
 *
 *	struct sl_nearest n;
 *
 *	sl_nearest_init(&n, typed);
 *	for (each known name)
 *		sl_nearest_offer(&n, name);
 *	hint = sl_nearest_get(&n);	// NULL: nothing close enough
 */
#ifndef SL_NEAREST_H
#define SL_NEAREST_H

#include <stddef.h>

struct sl_nearest {
	const char *name;	/* what was typed */
	const char *best;	/* the closest candidate so far */
	size_t dist;		/* its edit distance */
};

void sl_nearest_init(struct sl_nearest *n, const char *name);
/* Considers @candidate; on a tie in distance the one nearer the typed length
 * wins, then the first one offered. */
void sl_nearest_offer(struct sl_nearest *n, const char *candidate);
/* The closest candidate if it is close enough to be a typo: at most
 * strlen(name) / 3 + 1 edits, and never more than 3; else NULL. */
const char *sl_nearest_get(const struct sl_nearest *n);

/* Edit distance counting an insertion, a deletion, a substitution or a swap
 * of two neighbouring characters as one edit (optimal string alignment);
 * (size_t)-1 when either name is over 64 bytes. */
size_t sl_edit_distance(const char *a, const char *b);

#endif
