/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sql_rule.h - the "sql" rule of a string argument (a tool such as
 * run_query): the value must be exactly one plain PostgreSQL SELECT, and
 * the functions, relations, schemas, columns and types it names must pass
 * the rule's lists.  policies/README.md documents the fields and the
 * matching rules.
 *
 * Queries are read by the PostgreSQL parser itself (libpg_query): the parse
 * tree for the statements and names, its scanner for the comments.  A word
 * inside a string literal or inside a longer identifier is never a name.
 *
 * A rule is compiled once per policy load and is read-only afterwards:
 * sql_rule_check() may run on it from any number of threads at once.
 */
#ifndef SL_SQL_RULE_H
#define SL_SQL_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

struct sql_rule;

/*
 * The outcome of one check.  @reason is one of
 *   parse_error  the parser refused the text (its message and position)
 *   empty        no statement at all (only blanks, comments or ';')
 *   stacked      more than one statement
 *   not_select   a statement other than SELECT (EXPLAIN, COPY, SET, ...)
 *   comment      a comment, when the rule does not allow them
 *   data_modifying_cte   INSERT/UPDATE/DELETE/MERGE inside WITH
 *   select_into  SELECT ... INTO
 *   locking      FOR UPDATE / FOR SHARE / FOR [NO] KEY ...
 *   function, relation, schema, column, type   a name the lists refuse
 *   too_complex  nested too deeply to check, or over SQL_MAX_BYTES
 */
struct sql_verdict {
	bool ok;
	const char *reason;	/* NULL when ok; a static string */
	long offset;		/* byte offset in the query of what was found; -1: none */
	char message[256];	/* for people: what was found and where */
};

/* Compiles the "sql" object of an argument rule (as the policy checker
 * passed it).  0, -EINVAL with the reason in @why, or -ENOMEM. */
int sql_rule_compile(const cJSON *sql, struct sql_rule **out, char *why, size_t len);
void sql_rule_free(struct sql_rule *r);

/* The longest query judged: longer ones are refused as too_complex (the
 * PostgreSQL parser's recursion must stay well inside a thread's stack). */
#define SQL_MAX_BYTES 16384

/* Judges @query (@len bytes, need not be NUL-terminated) into @v.  0 when
 * judged (ok or refused), -ENOMEM when it could not be: refuse the call. */
int sql_rule_check(const struct sql_rule *r, const char *query, size_t len,
		   struct sql_verdict *v);

#endif
