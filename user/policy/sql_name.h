/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sql_name.h - the names a SQL argument rule lists (functions, relations,
 * schemas, columns, types) and how they match the names the PostgreSQL
 * parser finds in a query.  policies/README.md documents the rules.
 *
 * An entry is one name or, where qualification makes sense, schema.name.
 * Each part is bare (letters, digits, _ and $, with the globs * and ?;
 * folded to lowercase as PostgreSQL folds unquoted identifiers) or
 * double-quoted (kept exactly; "" stands for one quote; no globs).
 *
 * The parser hands over names already folded (unquoted) or exact (quoted),
 * so matching compares parts:
 *   - a deny entry refuses whatever it could name: parts compare
 *     case-insensitively, and schema.name also matches an unqualified
 *     name (the search path could resolve it there);
 *   - an allow entry admits exactly what it spells: parts compare
 *     exactly, and schema.name matches only a reference qualified so.
 * A one-part entry matches the last part of any reference.
 */
#ifndef SL_SQL_NAME_H
#define SL_SQL_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define SQL_NAME_PARTS 2
/* PostgreSQL truncates identifiers to NAMEDATALEN - 1 = 63 bytes: a longer
 * part could never match. */
#define SQL_PART_MAX 63

struct sql_name {
	size_t n;					/* 1 or 2 parts */
	char part[SQL_NAME_PARTS][SQL_PART_MAX + 1];	/* bare: a lowercase glob */
	bool quoted[SQL_NAME_PARTS];
};

/* Parses entry @text of at most @max_parts parts into @out (may be NULL to
 * check only).  NULL when fine, else why not (possibly written into @buf). */
const char *sql_name_parse(const char *text, size_t max_parts, struct sql_name *out,
			   char *buf, size_t len);

/* pc_string "why" hooks of the policy schema: one part, or up to two. */
const char *sql_name_why(const char *text, char *buf, size_t len);
const char *sql_qname_why(const char *text, char *buf, size_t len);

/* Does entry @e match reference @ref (@n parts, outermost first, as the
 * parser gives them)?  @deny picks the deny-list rules above. */
bool sql_name_match(const struct sql_name *e, const char *const *ref, size_t n, bool deny);

#endif
