// SPDX-License-Identifier: GPL-2.0-only
/* nearest.c - edit distance, and the closest known name for "did you mean". */
#include <string.h>

#include "nearest.h"

/* Names are short (fields, commands); longer ones skip the suggestion
 * rather than cost an allocation. */
#define NEAREST_MAX_LEN 64

static size_t min2(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Optimal string alignment: Levenshtein plus the swap of two neighbours as
 * one edit, the commonest typo ("stauts"). */
size_t sl_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), rows[3][NEAREST_MAX_LEN + 1];

	if (la > NEAREST_MAX_LEN || lb > NEAREST_MAX_LEN)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		rows[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		/* Row i, the one above it, and the one above that. */
		size_t *cur = rows[i % 3], *up = rows[(i + 2) % 3], *up2 = rows[(i + 1) % 3];

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t d = up[j - 1] + (a[i - 1] != b[j - 1]);

			d = min2(d, min2(up[j], cur[j - 1]) + 1);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				d = min2(d, up2[j - 2] + 1);
			cur[j] = d;
		}
	}
	return rows[la % 3][lb];
}

void sl_nearest_init(struct sl_nearest *n, const char *name)
{
	n->name = name;
	n->best = NULL;
	n->dist = (size_t)-1;
}

static size_t len_gap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return la > lb ? la - lb : lb - la;
}

void sl_nearest_offer(struct sl_nearest *n, const char *candidate)
{
	size_t d = sl_edit_distance(n->name, candidate);

	/* On a tie the one nearer the typed length wins: "stauts" is a swap
	 * away from "status" and a deletion away from "stats", and a swapped or
	 * wrong letter is a likelier typo than a lost one. */
	if (d < n->dist || (d == n->dist && d != (size_t)-1 &&
			    len_gap(n->name, candidate) < len_gap(n->name, n->best))) {
		n->dist = d;
		n->best = candidate;
	}
}

const char *sl_nearest_get(const struct sl_nearest *n)
{
	size_t limit = strlen(n->name) / 3 + 1;

	/* Past a third of the name, a "suggestion" is a different word. */
	return n->dist <= (limit > 3 ? 3 : limit) ? n->best : NULL;
}
