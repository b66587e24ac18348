// SPDX-License-Identifier: GPL-2.0-only
/*
 * sql_rule.c - the "sql" rule of a string argument (see sql_rule.h).
 *
 * The query goes through the PostgreSQL parser (pg_query_parse), whose
 * tree comes back as JSON and is walked with cJSON; its scanner
 * (pg_query_scan) gives the tokens, for comments and for telling a schema
 * the query wrote from one the grammar added.  Nothing here reads SQL text
 * itself: every decision is about the parser's nodes and tokens.
 *
 * A check runs two walks over the one statement: the first looks only at
 * its shape (a statement inside WITH, INTO, a locking clause), so that
 * these win over a name found earlier in the tree; the second checks every
 * name against the lists, keeping the WITH names in scope for allow lists.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "sql_name.h"
#include "sql_rule.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* WITH names visible at one point of a query; more is refused as too complex. */
#define SQL_MAX_SCOPE 256

enum sql_list {
	DENY_FUNCTIONS, ALLOW_FUNCTIONS, DENY_RELATIONS, ALLOW_RELATIONS,
	DENY_SCHEMAS, DENY_COLUMNS, DENY_TYPES, N_LISTS
};

static const struct {
	const char *field;
	size_t max_parts;
} list_fields[N_LISTS] = {
	[DENY_FUNCTIONS] = { "deny_functions", 2 },
	[ALLOW_FUNCTIONS] = { "allow_functions", 2 },
	[DENY_RELATIONS] = { "deny_relations", 2 },
	[ALLOW_RELATIONS] = { "allow_relations", 2 },
	[DENY_SCHEMAS] = { "deny_schemas", 1 },
	[DENY_COLUMNS] = { "deny_columns", 1 },
	[DENY_TYPES] = { "deny_types", 2 },
};

struct sql_names {
	struct sql_name *v;
	size_t n;
	bool given;		/* written in the policy: an empty allow list allows nothing */
};

struct sql_rule {
	bool comments;
	struct sql_names list[N_LISTS];
};

/* --- compiling ------------------------------------------------------------- */

void sql_rule_free(struct sql_rule *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < N_LISTS; i++)
		free(r->list[i].v);
	free(r);
}

static int compile_list(const cJSON *arr, size_t max_parts, struct sql_names *out,
			char *why, size_t len)
{
	const cJSON *item;
	char buf[160];

	if (out->given) {
		snprintf(why, len, "%s: given twice", arr->string);
		return -EINVAL;
	}
	out->given = true;
	if (!cJSON_IsArray(arr)) {
		snprintf(why, len, "%s: expected an array of names", arr->string);
		return -EINVAL;
	}
	out->v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	cJSON_ArrayForEach(item, arr) {
		const char *bad = cJSON_IsString(item) ?
			sql_name_parse(item->valuestring, max_parts, &out->v[out->n], buf,
				       sizeof(buf)) : "expected a string";

		if (bad) {
			snprintf(why, len, "%s[%zu]: %s", arr->string, out->n, bad);
			return -EINVAL;
		}
		out->n++;
	}
	return 0;
}

static int compile_member(struct sql_rule *r, const cJSON *m, char *why, size_t len)
{
	if (!strcmp(m->string, "comments")) {
		if (cJSON_IsBool(m)) {
			r->comments = cJSON_IsTrue(m);
			return 0;
		}
		snprintf(why, len, "comments: expected true or false");
		return -EINVAL;
	}
	for (size_t i = 0; i < N_LISTS; i++)
		if (!strcmp(m->string, list_fields[i].field))
			return compile_list(m, list_fields[i].max_parts, &r->list[i], why, len);
	snprintf(why, len, "%s: unknown field", m->string);
	return -EINVAL;
}

int sql_rule_compile(const cJSON *sql, struct sql_rule **out, char *why, size_t len)
{
	struct sql_rule *r;
	const cJSON *m;
	int ret = 0;

	*out = NULL;
	if (!cJSON_IsObject(sql)) {
		snprintf(why, len, "expected an object");
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	cJSON_ArrayForEach(m, sql) {
		ret = compile_member(r, m, why, len);
		if (ret)
			break;
	}
	if (ret) {
		sql_rule_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

/* --- one check --------------------------------------------------------------- */

struct sql_check {
	const struct sql_rule *r;
	const char *q;			/* the query, NUL-terminated */
	size_t len;
	struct sql_verdict *v;
	PgQuery__ScanResult *scan;	/* its tokens, in text order */
	bool names;			/* second walk: the names */
	long at;			/* location of the innermost node seen */
	const char *scope[SQL_MAX_SCOPE];	/* WITH names visible here */
	size_t n_scope;
};

/* Length of the well-formed UTF-8 character at @s, or 0. */
static size_t utf8_char(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
		   (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Names in a message come from the query: no control bytes and no broken
 * UTF-8 (the parser takes any bytes) reach a log line or a JSON reply. */
static void clean_text(char *text)
{
	unsigned char *p = (unsigned char *)text;

	while (*p) {
		size_t n = utf8_char(p);

		if (!n || *p < 0x20 || *p == 0x7f) {
			*p = '?';
			n = 1;
		}
		p += n;
	}
}

/* Records a refusal; returns false, so that walks can return it. */
__attribute__((format(printf, 4, 5)))
static bool refuse(struct sql_check *c, const char *reason, long at, const char *fmt, ...)
{
	struct sql_verdict *v = c->v;
	va_list ap;
	int n;

	v->ok = false;
	v->reason = reason;
	v->offset = at < 0 ? -1 : at > (long)c->len ? (long)c->len : at;
	va_start(ap, fmt);
	n = vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	if (v->offset >= 0 && n >= 0 && (size_t)n < sizeof(v->message))
		snprintf(v->message + n, sizeof(v->message) - (size_t)n, " at byte %ld", v->offset);
	clean_text(v->message);
	return false;
}

/* PostgreSQL reports 1-based positions in characters, counted from each
 * UTF-8 lead byte as pg_mblen() does; this turns one into a byte offset. */
static long char_to_byte(const char *q, size_t len, int cursorpos)
{
	size_t off = 0;

	if (cursorpos <= 0)
		return -1;
	for (int i = 1; i < cursorpos && off < len; i++) {
		unsigned char ch = (unsigned char)q[off];

		off += (ch & 0xe0) == 0xc0 ? 2 : (ch & 0xf0) == 0xe0 ? 3 :
		       (ch & 0xf8) == 0xf0 ? 4 : 1;
	}
	return off < len ? (long)off : (long)len;
}

static void refuse_parse(struct sql_check *c, const PgQueryError *e)
{
	refuse(c, "parse_error", char_to_byte(c->q, c->len, e->cursorpos), "%s",
	       e->message ? e->message : "the parser refused the query");
}

static long location_of(const cJSON *node)
{
	const cJSON *loc = cJSON_GetObjectItemCaseSensitive(node, "location");

	return cJSON_IsNumber(loc) && loc->valuedouble >= 0 ? (long)loc->valuedouble : -1;
}

static const char *string_of(const cJSON *node, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(node, key);

	return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* The String svals of a name list ([{"String":{"sval":"pg_catalog"}}, ...]),
 * the last @max of them; returns how many. */
static size_t name_parts(const cJSON *list, const char **parts, size_t max)
{
	const cJSON *item;
	size_t n = 0;

	cJSON_ArrayForEach(item, list) {
		const char *s = string_of(cJSON_GetObjectItemCaseSensitive(item, "String"), "sval");

		if (!s)
			continue;
		if (n == max)
			memmove(parts, parts + 1, (--n) * sizeof(*parts));
		parts[n++] = s;
	}
	return n;
}

static const char *joined(const char **parts, size_t n, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", n > 1 ? parts[n - 2] : "", n > 1 ? "." : "", parts[n - 1]);
	return buf;
}

static bool listed(const struct sql_check *c, enum sql_list l, const char **parts, size_t n)
{
	const struct sql_names *names = &c->r->list[l];

	for (size_t i = 0; i < names->n; i++)
		if (sql_name_match(&names->v[i], parts, n, true))
			return true;
	return false;
}

static bool allowed(const struct sql_check *c, enum sql_list l, const char **parts, size_t n)
{
	const struct sql_names *names = &c->r->list[l];

	if (!names->given)
		return true;
	for (size_t i = 0; i < names->n; i++)
		if (sql_name_match(&names->v[i], parts, n, false))
			return true;
	return false;
}

/* --- tokens ------------------------------------------------------------------ */

static int token_cmp(const void *key, const void *elem)
{
	long at = *(const long *)key;
	const PgQuery__ScanToken *t = *(PgQuery__ScanToken *const *)elem;

	return at < t->start ? -1 : at > t->start;
}

/* Index of the token starting at byte @at, or -1. */
static long token_at(const struct sql_check *c, long at)
{
	PgQuery__ScanToken **t = bsearch(&at, c->scan->tokens, c->scan->n_tokens,
					 sizeof(*c->scan->tokens), token_cmp);

	return t ? t - c->scan->tokens : -1;
}

static bool token_is(const struct sql_check *c, long i, PgQuery__Token kind)
{
	return i >= 0 && (size_t)i < c->scan->n_tokens && c->scan->tokens[i]->token == kind;
}

/* Did the query write the qualifier of the name at @at ("pg_catalog." in
 * pg_catalog.pg_sleep)?  The grammar qualifies some calls itself (SIMILAR TO
 * calls pg_catalog.similar_to_escape): there the first token is no name
 * followed by '.'.  Unknown: yes, so that a deny list still applies. */
static bool wrote_qualifier(const struct sql_check *c, long at)
{
	long i = token_at(c, at);

	return i < 0 || token_is(c, i + 1, PG_QUERY__TOKEN__ASCII_46);
}

static bool check_comments(struct sql_check *c)
{
	for (size_t i = 0; i < c->scan->n_tokens; i++) {
		const PgQuery__ScanToken *t = c->scan->tokens[i];

		if (t->token != PG_QUERY__TOKEN__SQL_COMMENT &&
		    t->token != PG_QUERY__TOKEN__C_COMMENT)
			continue;
		if (t->token == PG_QUERY__TOKEN__C_COMMENT && t->start + 2 < (long)c->len &&
		    c->q[t->start + 2] == '!')
			return refuse(c, "comment", t->start, "a /*! */ comment (MySQL runs "
				      "what it holds)");
		return refuse(c, "comment", t->start, "a %s comment",
			      t->token == PG_QUERY__TOKEN__SQL_COMMENT ? "--" : "/* */");
	}
	return true;
}

/* Where FOR UPDATE / SHARE / NO KEY UPDATE / KEY SHARE starts, or -1. */
static long locking_at(const struct sql_check *c)
{
	for (size_t i = 0; i + 1 < c->scan->n_tokens; i++)
		if (token_is(c, (long)i, PG_QUERY__TOKEN__FOR) &&
		    (token_is(c, (long)i + 1, PG_QUERY__TOKEN__UPDATE) ||
		     token_is(c, (long)i + 1, PG_QUERY__TOKEN__SHARE) ||
		     token_is(c, (long)i + 1, PG_QUERY__TOKEN__NO) ||
		     token_is(c, (long)i + 1, PG_QUERY__TOKEN__KEY)))
			return c->scan->tokens[i]->start;
	return -1;
}

/* --- the names ----------------------------------------------------------------- */

static bool check_schema(struct sql_check *c, const char *schema, const char *what,
			 const char *name, long at)
{
	if (!listed(c, DENY_SCHEMAS, &schema, 1))
		return true;
	return refuse(c, "schema", at, "schema %s (%s %s)", schema, what, name);
}

static bool check_function(struct sql_check *c, const cJSON *call)
{
	const char *parts[3];
	size_t n = name_parts(cJSON_GetObjectItemCaseSensitive(call, "funcname"), parts, 3);
	long at = location_of(call);
	char name[160];

	if (!n)
		return true;
	joined(parts, n, name, sizeof(name));
	if (listed(c, DENY_FUNCTIONS, parts, n))
		return refuse(c, "function", at, "function %s", name);
	if (!allowed(c, ALLOW_FUNCTIONS, parts, n))
		return refuse(c, "function", at, "function %s is not in allow_functions", name);
	/* regclass('t') is the cast 't'::regclass written as a call. */
	if (listed(c, DENY_TYPES, parts, n))
		return refuse(c, "type", at, "type %s, cast by a call", name);
	if (n >= 2 && wrote_qualifier(c, at))
		return check_schema(c, parts[n - 2], "function", name, at);
	return true;
}

static bool in_scope(const struct sql_check *c, const char *name)
{
	for (size_t i = 0; i < c->n_scope; i++)
		if (!strcmp(c->scope[i], name))
			return true;
	return false;
}

/* A RangeVar, wrapped or not: every node with a relname. */
static bool check_relation(struct sql_check *c, const cJSON *rv)
{
	const char *parts[2], *schema = string_of(rv, "schemaname");
	const char *rel = string_of(rv, "relname");
	long at = location_of(rv);
	size_t n = 0;
	char name[160];

	if (!rel)
		return true;
	if (schema)
		parts[n++] = schema;
	parts[n++] = rel;
	joined(parts, n, name, sizeof(name));
	if (listed(c, DENY_RELATIONS, parts, n))
		return refuse(c, "relation", at, "relation %s", name);
	if (schema && !check_schema(c, schema, "relation", name, at))
		return false;
	/* A bare name WITH defined is that query, not a table. */
	if ((schema || !in_scope(c, rel)) && !allowed(c, ALLOW_RELATIONS, parts, n))
		return refuse(c, "relation", at, "relation %s is not in allow_relations", name);
	return true;
}

/* A column named; a qualifier three parts out is a schema (s.t.col, s.t.*).
 * A table qualifier is not checked: it may be any alias. */
static bool check_column(struct sql_check *c, const cJSON *ref)
{
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(ref, "fields");
	int n = cJSON_GetArraySize(fields);
	const char *col = n ? string_of(cJSON_GetObjectItemCaseSensitive(
				cJSON_GetArrayItem(fields, n - 1), "String"), "sval") : NULL;
	const char *schema = n >= 3 ? string_of(cJSON_GetObjectItemCaseSensitive(
				cJSON_GetArrayItem(fields, n - 3), "String"), "sval") : NULL;
	long at = location_of(ref);

	if (col && listed(c, DENY_COLUMNS, &col, 1))
		return refuse(c, "column", at, "column %s", col);
	return !schema || check_schema(c, schema, "column", col ? col : "*", at);
}

/* (x).name selects a field, and where x has none of that name PostgreSQL
 * calls name(x) instead, for any x: ('/etc/passwd').pg_read_file reads the
 * file.  So the name is checked as a column and as a function. */
static bool check_indirection(struct sql_check *c, const cJSON *ind)
{
	const cJSON *arg = cJSON_GetObjectItemCaseSensitive(ind, "arg"), *item;
	long at = arg && location_of(arg->child) >= 0 ? location_of(arg->child) : c->at;

	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(ind, "indirection")) {
		const char *field = string_of(cJSON_GetObjectItemCaseSensitive(item, "String"),
					      "sval");

		if (!field)
			continue;
		if (listed(c, DENY_COLUMNS, &field, 1))
			return refuse(c, "column", at, "column %s", field);
		if (listed(c, DENY_FUNCTIONS, &field, 1))
			return refuse(c, "function", at, "function %s, called as (x).%s", field,
				      field);
		if (!allowed(c, ALLOW_FUNCTIONS, &field, 1))
			return refuse(c, "function", at, "(x).%s may call function %s, which is "
				      "not in allow_functions", field, field);
		if (listed(c, DENY_TYPES, &field, 1))
			return refuse(c, "type", at, "type %s, cast as (x).%s", field, field);
	}
	return true;
}

/* Types are checked against deny_types only: the grammar writes int, numeric,
 * varchar... as pg_catalog.int4 and so on. */
static bool check_type(struct sql_check *c, const cJSON *type)
{
	const char *parts[2];
	size_t n = name_parts(cJSON_GetObjectItemCaseSensitive(type, "names"), parts, 2);
	char name[160];

	if (!n || !listed(c, DENY_TYPES, parts, n))
		return true;
	return refuse(c, "type", location_of(type), "type %s",
		      joined(parts, n, name, sizeof(name)));
}

/* OPERATOR(schema.op) */
static bool check_operator(struct sql_check *c, const cJSON *expr)
{
	const char *parts[2];
	size_t n = name_parts(cJSON_GetObjectItemCaseSensitive(expr, "name"), parts, 2);

	return n < 2 || check_schema(c, parts[0], "operator", parts[1], location_of(expr));
}

/* --- the shape ------------------------------------------------------------------ */

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* A statement node below the top one: only SELECT may be there. */
static bool check_inner_statement(struct sql_check *c, const char *kind)
{
	static const char *const writes[] = { "InsertStmt", "UpdateStmt", "DeleteStmt",
					      "MergeStmt" };

	for (size_t i = 0; i < ARRAY_SIZE(writes); i++)
		if (!strcmp(kind, writes[i]))
			return refuse(c, "data_modifying_cte", c->at, "%.*s inside WITH",
				      (int)(strlen(kind) - 4), kind);
	return refuse(c, "not_select", c->at, "not a plain SELECT: %.*s statement inside",
		      (int)(strlen(kind) - 4), kind);
}

static bool check_shape(struct sql_check *c, const char *key, const cJSON *node)
{
	if (ends_with(key, "Stmt") && strcmp(key, "SelectStmt"))
		return check_inner_statement(c, key);
	if (!strcmp(key, "intoClause"))
		return refuse(c, "select_into", location_of(cJSON_GetObjectItemCaseSensitive(
			node, "rel")), "SELECT ... INTO (it creates a table)");
	if (!strcmp(key, "lockingClause"))
		return refuse(c, "locking", locking_at(c), "a locking clause (FOR UPDATE/SHARE)");
	return true;
}

static bool check_names(struct sql_check *c, const char *key, const cJSON *node)
{
	if (!strcmp(key, "FuncCall"))
		return check_function(c, node);
	if (!strcmp(key, "ColumnRef"))
		return check_column(c, node);
	if (!strcmp(key, "A_Indirection"))
		return check_indirection(c, node);
	if (!strcmp(key, "TypeName") || !strcmp(key, "typeName"))
		return check_type(c, node);
	if (!strcmp(key, "A_Expr"))
		return check_operator(c, node);
	return true;
}

/* --- the walk --------------------------------------------------------------------- */

static bool walk(struct sql_check *c, const cJSON *item);

static bool scope_push(struct sql_check *c, const cJSON *cte)
{
	const char *name = string_of(cJSON_GetObjectItemCaseSensitive(cte, "CommonTableExpr"),
				     "ctename");

	if (!name)
		return true;
	if (c->n_scope == SQL_MAX_SCOPE)
		return refuse(c, "too_complex", location_of(cte), "more than %d WITH names",
			      SQL_MAX_SCOPE);
	c->scope[c->n_scope++] = name;
	return true;
}

/* WITH: a name is visible in the queries after it, and with RECURSIVE in
 * all of them, its own included; walk() drops them after the statement. */
static bool walk_with(struct sql_check *c, const cJSON *with)
{
	const cJSON *ctes = cJSON_GetObjectItemCaseSensitive(with, "ctes"), *cte;
	bool recursive = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(with, "recursive"));

	if (recursive)
		cJSON_ArrayForEach(cte, ctes)
			if (!scope_push(c, cte))
				return false;
	cJSON_ArrayForEach(cte, ctes) {
		if (!walk(c, cte))
			return false;
		if (!recursive && !scope_push(c, cte))
			return false;
	}
	return true;
}

static bool walk_children(struct sql_check *c, const cJSON *item)
{
	const cJSON *child;

	cJSON_ArrayForEach(child, item) {
		if (child->string && !strcmp(child->string, "withClause"))
			continue;	/* walked first, by walk_with() */
		if (child->string && !(c->names ? check_names : check_shape)(c, child->string,
									       child))
			return false;
		if (!walk(c, child))
			return false;
	}
	return true;
}

static bool walk(struct sql_check *c, const cJSON *item)
{
	const cJSON *with;
	size_t mark = c->n_scope;
	bool ok;

	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return true;
	if (cJSON_IsObject(item)) {
		if (location_of(item) >= 0)
			c->at = location_of(item);
		if (c->names && !check_relation(c, item))
			return false;
	}
	with = cJSON_IsObject(item) ? cJSON_GetObjectItemCaseSensitive(item, "withClause") : NULL;
	ok = (!with || walk_with(c, with)) && walk_children(c, item);
	c->n_scope = mark;
	return ok;
}

/* --- the statement -------------------------------------------------------------- */

static long stmt_location(const cJSON *raw)
{
	const cJSON *loc = cJSON_GetObjectItemCaseSensitive(raw, "stmt_location");

	return cJSON_IsNumber(loc) ? (long)loc->valuedouble : 0;
}

/* The one SelectStmt node of the tree, or NULL (refused). */
static const cJSON *single_select(struct sql_check *c, const cJSON *tree)
{
	const cJSON *stmts = cJSON_GetObjectItemCaseSensitive(tree, "stmts");
	int n = cJSON_GetArraySize(stmts);
	const cJSON *raw = cJSON_GetArrayItem(stmts, 0);
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(raw, "stmt");

	node = node ? node->child : NULL;
	if (n == 0)
		refuse(c, "empty", -1, "no statement (only blanks, comments or ';')");
	else if (n > 1)
		refuse(c, "stacked", stmt_location(cJSON_GetArrayItem(stmts, 1)),
		       "%d statements, only one is allowed; the second begins", n);
	else if (!node || !node->string)
		refuse(c, "not_select", -1, "not a statement the check knows");
	else if (strcmp(node->string, "SelectStmt"))
		refuse(c, "not_select", stmt_location(raw), "not a plain SELECT: %.*s statement",
		       ends_with(node->string, "Stmt") ? (int)strlen(node->string) - 4 :
		       (int)strlen(node->string), node->string);
	else
		return node;
	return NULL;
}

/* Tokens for the comment check and the walks; 0 or -ENOMEM. */
static int scan_query(struct sql_check *c)
{
	PgQueryScanResult sr = pg_query_scan(c->q);
	int ret = 0;

	if (sr.error)
		refuse_parse(c, sr.error);
	else if (!(c->scan = pg_query__scan_result__unpack(NULL, sr.pbuf.len,
							   (const uint8_t *)sr.pbuf.data)))
		ret = -ENOMEM;
	pg_query_free_scan_result(sr);
	return ret;
}

static int check_query(struct sql_check *c)
{
	PgQueryParseResult pr = pg_query_parse(c->q);
	const cJSON *stmt;
	cJSON *tree = NULL;
	int ret = 0;

	if (pr.error) {
		refuse_parse(c, pr.error);
		goto out;
	}
	tree = cJSON_Parse(pr.parse_tree);
	if (!tree) {	/* past cJSON's nesting limit (or out of memory) */
		refuse(c, "too_complex", -1, "nested too deeply to check");
		goto out;
	}
	stmt = single_select(c, tree);
	if (!stmt || (ret = scan_query(c)) || c->v->reason)
		goto out;
	if ((c->r->comments || check_comments(c)) && walk(c, stmt)) {
		c->names = true;
		c->v->ok = walk(c, stmt);
	}
out:
	if (c->scan)
		pg_query__scan_result__free_unpacked(c->scan, NULL);
	cJSON_Delete(tree);
	pg_query_free_parse_result(pr);
	return ret;
}

int sql_rule_check(const struct sql_rule *r, const char *query, size_t len,
		   struct sql_verdict *v)
{
	struct sql_check c = { .r = r, .len = len, .v = v, .at = -1 };
	const char *nul = len ? memchr(query, '\0', len) : NULL;
	char *q;
	int ret;

	memset(v, 0, sizeof(*v));
	v->offset = -1;
	c.q = query;
	if (nul) {
		refuse(&c, "parse_error", nul - query, "a NUL byte");
		return 0;
	}
	/* libpg_query's parser recurses without a bound: tens of thousands of
	 * chained operators (SELECT 1+1+...) exhaust a thread's stack.  A cap
	 * on the text bounds the depth well inside a worker's stack. */
	if (len > SQL_MAX_BYTES) {
		refuse(&c, "too_complex", SQL_MAX_BYTES, "a query of %zu bytes: the gateway "
		       "checks at most %d", len, SQL_MAX_BYTES);
		return 0;
	}
	q = malloc(len + 1);
	if (!q)
		return -ENOMEM;
	if (len)
		memcpy(q, query, len);
	q[len] = '\0';
	c.q = q;
	ret = check_query(&c);
	free(q);
	return ret;
}
