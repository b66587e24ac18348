// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_sql.c - libFuzzer target for the "sql" argument rule
 * (user/policy/sql_rule.c, sql_name.c).
 *
 * An input that starts with '{' is a rule: it compiles, or is refused with
 * a reason; a rule that compiles judges a few fixed queries.  Any other
 * input is a query, judged by a strict rule (lists like the example
 * policy's) and an open one (no lists, comments allowed).  It aborts, besides
 * on crashes, leaks and sanitizer reports, when:
 *  - a verdict is not either ok without a reason, or refused with a known
 *    reason, a message, and an offset inside the query (or -1);
 *  - judging the same query twice gives another verdict;
 *  - the strict rule lets through what the open one refuses (lists only
 *    take away).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "policy/sql_rule.h"

static const char strict_json[] =
	"{\"deny_functions\": [\"pg_sleep*\", \"pg_read_*\", \"lo_*\", \"dblink*\", "
	"\"\\\"Quoted\\\"\", \"util.wipe\"],"
	" \"allow_functions\": [\"count\", \"sum\", \"lower\", \"pg_catalog.*\", \"f?\"],"
	" \"deny_relations\": [\"pg_*\", \"secret\"],"
	" \"allow_relations\": [\"orders\", \"public.*\", \"t*\"],"
	" \"deny_schemas\": [\"pg_*\", \"information_schema\"],"
	" \"deny_columns\": [\"password\", \"*_token\"],"
	" \"deny_types\": [\"regclass\"]}";

static const char *const reasons[] = {
	"parse_error", "empty", "stacked", "not_select", "comment", "data_modifying_cte",
	"select_into", "locking", "function", "relation", "schema", "column", "type",
	"too_complex",
};

static const char *const fixed_queries[] = {
	"SELECT count(*) FROM orders WHERE x = 'pg_sleep'",
	"WITH a AS (SELECT 1) SELECT * FROM a, public.t",
	"SELECT pg_catalog.lower(\"Quoted\"(1)) FROM t1 -- c",
};

static struct sql_rule *strict, *open_rule;

static struct sql_rule *compile_text(const char *json)
{
	cJSON *obj = cJSON_Parse(json);
	struct sql_rule *r = NULL;
	char why[200];

	if (!obj || sql_rule_compile(obj, &r, why, sizeof(why)))
		abort();
	cJSON_Delete(obj);
	return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	strict = compile_text(strict_json);
	open_rule = compile_text("{\"comments\": true}");
	return 0;
}

static void check_verdict(const struct sql_verdict *v, size_t len)
{
	bool known = false;

	if (v->ok) {
		if (v->reason)
			abort();
		return;
	}
	for (size_t i = 0; v->reason && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		known |= !strcmp(v->reason, reasons[i]);
	if (!known || !v->message[0] || v->offset < -1 || v->offset > (long)len ||
	    !memchr(v->message, '\0', sizeof(v->message)))
		abort();
}

static bool same(const struct sql_verdict *a, const struct sql_verdict *b)
{
	return a->ok == b->ok && a->reason == b->reason && a->offset == b->offset &&
	       !strcmp(a->message, b->message);
}

static void judge_query(const uint8_t *data, size_t size)
{
	struct sql_verdict a, b, o;

	if (sql_rule_check(strict, (const char *)data, size, &a) ||
	    sql_rule_check(strict, (const char *)data, size, &b) ||
	    sql_rule_check(open_rule, (const char *)data, size, &o))
		return;		/* out of memory: refused by the caller */
	check_verdict(&a, size);
	check_verdict(&o, size);
	if (!same(&a, &b) || (a.ok && !o.ok))
		abort();
}

static void judge_rule(const uint8_t *data, size_t size)
{
	cJSON *obj = cJSON_ParseWithLength((const char *)data, size);
	struct sql_rule *r = NULL;
	struct sql_verdict v;
	char why[200] = "";
	int ret;

	if (!obj)
		return;
	ret = sql_rule_compile(obj, &r, why, sizeof(why));
	if ((ret == 0) != (r != NULL) || (ret && !why[0]))
		abort();
	for (size_t i = 0; r && i < sizeof(fixed_queries) / sizeof(fixed_queries[0]); i++)
		if (!sql_rule_check(r, fixed_queries[i], strlen(fixed_queries[i]), &v))
			check_verdict(&v, strlen(fixed_queries[i]));
	sql_rule_free(r);
	cJSON_Delete(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == '{')
		judge_rule(data, size);
	else
		judge_query(data, size);
	return 0;
}
