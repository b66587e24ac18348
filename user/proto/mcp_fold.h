/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mcp_fold.h - object keys as Go's encoding/json matches them to struct
 * fields (internal; see mcp.c).
 *
 * encoding/json looks a key up by its exact name first, then by a folded
 * name, and the last key that lands on a field wins: {"name":"a","Name":"b"}
 * is "b" to a Go backend and "a" to cJSON.  Go's fold (encoding/json/fold.go)
 * upper-cases ASCII letters and maps every other rune r to
 * unicode.ToUpper(unicode.ToLower(r)) (Go 1.21 to 1.24) or to the smallest
 * rune of its unicode.SimpleFold orbit (later releases).  The fold here is
 * the former, computed with glibc's C.UTF-8 case tables: it joins every
 * pair either Go fold joins (U+017F long s with "S", U+212A Kelvin with "K")
 * and also U+0130 and U+0131 with "I", which only the older fold does.
 */
#ifndef SL_MCP_FOLD_H
#define SL_MCP_FOLD_H

#include <stdbool.h>

/* Are @a and @b (valid UTF-8) one name to encoding/json?  Exact equality
 * included.  Without case tables (no C.UTF-8 locale) every non-ASCII rune
 * folds to U+FFFD: keys that might be one name are taken as one, so an
 * object holding both is refused rather than passed. */
bool mcp_fold_equal(const char *a, const char *b);
/* The folded form of @s (malloc'ed; NULL when out of memory): two keys fold
 * to the same string exactly when mcp_fold_equal() holds. */
char *mcp_fold_copy(const char *s);

#endif
