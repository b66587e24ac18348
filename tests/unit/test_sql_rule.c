// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_sql_rule.c - the "sql" rule of string arguments (user/policy/sql_rule.c,
 * sql_name.c) and its part of the policy schema.
 *
 * The corpus (tests/unit/sql_corpus/, format in its README.md) runs against
 * the run_query rule of policies/example.json: one PASS/FAIL line a query,
 * then "sql corpus: M misses, F false positives".  Then the rule's own
 * cases: positions, matching of quoted and qualified names, WITH scopes,
 * allow lists, compile errors, the checker's errors, and many threads.
 *
 * Run from the repository root, or set SL_REPO to it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "check.h"
#include "policy/policy.h"
#include "policy/sql_rule.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_QUERIES 512

static const char *repo = ".";

/* --- helpers ----------------------------------------------------------------- */

/* A rule from JSON text; aborts the test binary on a bad fixture. */
static struct sql_rule *rule_from(const char *json)
{
	cJSON *obj = cJSON_Parse(json);
	struct sql_rule *r = NULL;
	char why[200];

	if (!obj || sql_rule_compile(obj, &r, why, sizeof(why))) {
		fprintf(stderr, "bad fixture rule %s\n", json);
		abort();
	}
	cJSON_Delete(obj);
	return r;
}

static struct sql_verdict judge(const struct sql_rule *r, const char *query)
{
	struct sql_verdict v;

	if (sql_rule_check(r, query, strlen(query), &v)) {
		v.ok = false;
		v.reason = "ENOMEM";
	}
	return v;
}

/* "ok", or the refusal's reason. */
static const char *outcome(const struct sql_rule *r, const char *query)
{
	struct sql_verdict v = judge(r, query);

	return v.ok ? "ok" : v.reason;
}

#define EXPECT(r, query, want) do {							\
	struct sql_verdict _v = judge((r), (query));					\
	const char *_got = _v.ok ? "ok" : _v.reason;					\
	CHECK(!strcmp(_got, (want)), "%s: want %s, got %s (%s)", (query), (want),	\
	      _got, _v.message);							\
} while (0)

/* --- the corpus ---------------------------------------------------------------- */

struct corpus {
	char *text;
	char *reason[MAX_QUERIES];	/* NULL for benign queries */
	char *query[MAX_QUERIES];
	size_t n;
};

/* "\n" (two characters) becomes a line break; nothing else is an escape. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*out++ = '\n';
			s++;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static bool corpus_read(const char *file, bool with_reason, struct corpus *c)
{
	char path[512];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/tests/unit/sql_corpus/%s", repo, file);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(c->text = calloc(1, (size_t)size + 1)) ||
	    fread(c->text, 1, (size_t)size, f) != (size_t)size) {
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	for (char *line = strtok(c->text, "\n"); line && c->n < MAX_QUERIES;
	     line = strtok(NULL, "\n")) {
		char *sp = with_reason ? strchr(line, ' ') : NULL;

		if (line[0] == '#' || !line[0] || (with_reason && !sp))
			continue;
		if (sp)
			*sp = '\0';
		c->reason[c->n] = with_reason ? line : NULL;
		c->query[c->n] = with_reason ? sp + 1 : line;
		unescape(c->query[c->n++]);
	}
	return true;
}

/* The run_query rule of the example policy, compiled from the checked tree. */
static struct sql_rule *example_rule(void)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;
	struct sql_rule *r = NULL;
	const cJSON *sql;
	char path[512], why[200];

	snprintf(path, sizeof(path), "%s/policies/example.json", repo);
	if (policy_load_file(path, &pol, &errs))
		return NULL;
	sql = cJSON_GetObjectItemCaseSensitive(pol->json, "tools");
	sql = cJSON_GetObjectItemCaseSensitive(sql, "run_query");
	sql = cJSON_GetObjectItemCaseSensitive(sql, "arguments");
	sql = cJSON_GetObjectItemCaseSensitive(sql, "sql");
	sql = cJSON_GetObjectItemCaseSensitive(sql, "sql");
	if (sql_rule_compile(sql, &r, why, sizeof(why)))
		fprintf(stderr, "run_query's sql rule: %s\n", why);
	policy_free(pol);
	pol_errors_free(&errs);
	return r;
}

static int misses, false_positives, wrong_reasons;

static void corpus_case(const struct sql_rule *r, const struct corpus *c, size_t i)
{
	struct sql_verdict v = judge(r, c->query[i]);
	char name[160];

	snprintf(name, sizeof(name), "%s %zu: %.100s", c->reason[i] ? "malicious" : "benign",
		 i + 1, c->query[i]);
	for (char *p = name; *p; p++)
		*p = *p == '\n' ? ' ' : *p;
	TEST_CASE(name) {
		if (!c->reason[i]) {
			false_positives += !v.ok;
			CHECK(v.ok, "false positive: %s: %s", v.reason, v.message);
		} else {
			misses += v.ok;
			wrong_reasons += !v.ok && strcmp(v.reason, c->reason[i]);
			CHECK(!v.ok, "miss: let through");
			CHECK(v.ok || !strcmp(v.reason, c->reason[i]), "want %s, got %s: %s",
			      c->reason[i], v.reason, v.message);
		}
	}
}

static struct corpus bad, good;

static void test_corpus(const struct sql_rule *r)
{
	TEST_CASE("corpus: read, at least 60 malicious and 60 benign queries") {
		CHECK(corpus_read("malicious.sql", true, &bad), "cannot read malicious.sql");
		CHECK(corpus_read("benign.sql", false, &good), "cannot read benign.sql");
		CHECK(bad.n >= 60 && good.n >= 60, "%zu malicious, %zu benign", bad.n, good.n);
		CHECK(r, "the example's run_query rule does not compile");
	}
	if (!r)
		return;
	for (size_t i = 0; i < bad.n; i++)
		corpus_case(r, &bad, i);
	for (size_t i = 0; i < good.n; i++)
		corpus_case(r, &good, i);
	printf("sql corpus: %d misses, %d false positives\n", misses, false_positives);
	printf("sql corpus: %zu malicious, %zu benign; %d refused for another reason than "
	       "expected\n", bad.n, good.n, wrong_reasons);
}

/* --- the rule's own cases --------------------------------------------------------- */

static void test_positions(void)
{
	struct sql_rule *r = rule_from("{\"deny_functions\": [\"pg_sleep\"], "
				       "\"deny_columns\": [\"secret\"]}");
	struct sql_verdict v;

	TEST_CASE("a parse error gives the parser's message and byte offset") {
		v = judge(r, "SELECT * FRM orders");
		CHECK(!v.ok && !strcmp(v.reason, "parse_error") && v.offset == 9 &&
		      strstr(v.message, "syntax error at or near \"FRM\"") &&
		      strstr(v.message, "at byte 9"), "%s at %ld: %s", v.reason, v.offset,
		      v.message);
	}
	TEST_CASE("parse error offsets count bytes after multibyte characters") {
		/* 'é' is two bytes, one character to PostgreSQL. */
		v = judge(r, "SELECT 'é\xc3\xa9' AS \"ü\", ,");
		CHECK(!v.ok && !strcmp(v.reason, "parse_error") && v.offset == 23,
		      "%s at %ld: %s", v.reason, v.offset, v.message);
	}
	TEST_CASE("stacked: the offset is where the second statement begins") {
		v = judge(r, "SELECT 1; SELECT 2");
		CHECK(!v.ok && !strcmp(v.reason, "stacked") && v.offset == 9, "%s at %ld: %s",
		      v.reason, v.offset, v.message);
	}
	TEST_CASE("a refused function and column are named, at their offset") {
		v = judge(r, "SELECT 1, pg_sleep(1)");
		CHECK(!v.ok && v.offset == 10 && strstr(v.message, "function pg_sleep at byte 10"),
		      "%ld: %s", v.offset, v.message);
		v = judge(r, "SELECT id, t.secret FROM t");
		CHECK(!v.ok && !strcmp(v.reason, "column") && v.offset == 11 &&
		      strstr(v.message, "column secret"), "%ld: %s", v.offset, v.message);
	}
	TEST_CASE("a comment is found at its offset; /*! */ is named as MySQL's") {
		v = judge(r, "SELECT 1 /*! 2 */");
		CHECK(!v.ok && !strcmp(v.reason, "comment") && v.offset == 9 &&
		      strstr(v.message, "MySQL"), "%ld: %s", v.offset, v.message);
	}
	TEST_CASE("a NUL byte is refused where it is; no statement is empty") {
		v.ok = true;
		CHECK(!sql_rule_check(r, "SELECT 1\0; DROP TABLE t", 23, &v), "check failed");
		CHECK(!v.ok && !strcmp(v.reason, "parse_error") && v.offset == 8, "%s at %ld",
		      v.reason, v.offset);
		EXPECT(r, "", "empty");
		EXPECT(r, " ; ;", "empty");
		EXPECT(r, "-- nothing", "empty");
	}
	TEST_CASE("a query at the size cap is judged without running out of stack; one "
		  "byte over is refused as too_complex") {
		static char q[SQL_MAX_BYTES + 2];
		struct sql_verdict v;
		size_t n = (size_t)snprintf(q, sizeof(q), "SELECT 1");

		/* SELECT 1+1+1...: the deepest expression a query of this size
		 * can write (a left-deep chain of operators). */
		while (n + 2 <= SQL_MAX_BYTES) {
			memcpy(q + n, "+1", 2);
			n += 2;
		}
		q[n] = '\0';
		v = judge(r, q);
		CHECK(v.ok || (v.reason && strcmp(v.reason, "parse_error")), "%zu bytes: %s %s", n,
		      v.reason ? v.reason : "ok", v.message);
		memcpy(q + n, " ", 2);
		q[SQL_MAX_BYTES + 1] = '\0';
		v = judge(r, q);
		CHECK(!v.ok && v.reason && !strcmp(v.reason, "too_complex") &&
		      strstr(v.message, "checks at most 16384"), "%s %s",
		      v.reason ? v.reason : "ok", v.message);
	}
	TEST_CASE("the message holds no control bytes") {
		v = judge(r, "SELECT \"a\nb\"()");
		CHECK(!v.ok || !strchr(v.message, '\n'), "%s", v.message);
		v = judge(r, "SELECT 1 FROM \"sec\nret\" WHERE pg_sleep(1) IS NULL");
		CHECK(!v.ok && !strchr(v.message, '\n'), "%s", v.message);
	}
	TEST_CASE("the message keeps UTF-8 names and masks broken UTF-8") {
		struct sql_rule *all = rule_from("{\"deny_relations\": [\"*\"]}");

		v = judge(all, "SELECT * FROM \"\xc3\xa9t\xc3\xa9\xff\xc3\"");
		CHECK(!v.ok && !strcmp(v.message, "relation \xc3\xa9t\xc3\xa9?? at byte 14"),
		      "%s", v.message);
		sql_rule_free(all);
	}
	sql_rule_free(r);
}

static void test_shape(void)
{
	struct sql_rule *r = rule_from("{}");

	TEST_CASE("with no lists, any single plain SELECT passes") {
		EXPECT(r, "SELECT pg_sleep(1) FROM pg_shadow", "ok");
		EXPECT(r, "WITH a AS (SELECT 1) SELECT * FROM a", "ok");
		EXPECT(r, "SELECT 1;", "ok");
	}
	TEST_CASE("the shape rules hold in nested queries, and win over names") {
		EXPECT(r, "SELECT * FROM (SELECT * FROM t FOR UPDATE) s", "locking");
		EXPECT(r, "SELECT pg_sleep(1), (WITH d AS (DELETE FROM t RETURNING 1) SELECT 1)",
		       "data_modifying_cte");
		EXPECT(r, "SELECT 1 INTO t", "select_into");
	}
	TEST_CASE("comments: refused by default, allowed with \"comments\": true") {
		struct sql_rule *open = rule_from("{\"comments\": true}");

		EXPECT(r, "SELECT 1 -- one", "comment");
		EXPECT(open, "SELECT 1 -- one", "ok");
		EXPECT(open, "SELECT 1 /*! UNION SELECT 2 */", "ok");
		EXPECT(open, "SELECT 1 --\n; DROP TABLE t", "stacked");
		sql_rule_free(open);
	}
	TEST_CASE("deep nesting is refused, not a crash; parentheses alone are no nesting") {
		size_t n = 5000;
		char *q = malloc(20 * n + 64), *p = q;

		p += sprintf(p, "SELECT 1");
		for (size_t i = 0; i < n; i++)
			p += sprintf(p, " + 1");
		EXPECT(r, q, "too_complex");
		p = q + sprintf(q, "SELECT ");
		for (size_t i = 0; i < n; i++)
			p += sprintf(p, "(SELECT ");
		p += sprintf(p, "1");
		for (size_t i = 0; i < n; i++)
			p += sprintf(p, ")");
		CHECK(strcmp(outcome(r, q), "ok"), "5000 nested SELECTs let through");
		p = q + sprintf(q, "SELECT ");
		memset(p, '(', n);
		p += sprintf(p + n, "1") + n;
		memset(p, ')', n);
		p[n] = '\0';
		EXPECT(r, q, "ok");
		free(q);
	}
	sql_rule_free(r);
}

static void test_names(void)
{
	struct sql_rule *quoted = rule_from("{\"deny_relations\": [\"\\\"Secret\\\"\"]}");
	struct sql_rule *qualified = rule_from("{\"deny_relations\": [\"hr.salaries\"], "
					       "\"deny_functions\": [\"util.wipe\", \"lo_*\"]}");
	struct sql_rule *schemas = rule_from("{\"deny_schemas\": [\"pg_catalog\"]}");

	TEST_CASE("deny lists match any spelling, quoted or not") {
		EXPECT(quoted, "SELECT * FROM \"Secret\"", "relation");
		EXPECT(quoted, "SELECT * FROM secret", "relation");
		EXPECT(quoted, "SELECT * FROM SECRET", "relation");
		EXPECT(quoted, "SELECT * FROM secrets", "ok");
		EXPECT(quoted, "SELECT 'Secret' FROM t", "ok");
	}
	TEST_CASE("a qualified deny entry also refuses the bare name, not another schema") {
		EXPECT(qualified, "SELECT * FROM hr.salaries", "relation");
		EXPECT(qualified, "SELECT * FROM salaries", "relation");
		EXPECT(qualified, "SELECT * FROM finance.salaries", "ok");
		EXPECT(qualified, "SELECT util.wipe()", "function");
		EXPECT(qualified, "SELECT wipe()", "function");
		EXPECT(qualified, "SELECT other.wipe()", "ok");
		EXPECT(qualified, "SELECT LO_GET(1)", "function");
		EXPECT(qualified, "SELECT lo_limit FROM t", "ok");
	}
	TEST_CASE("deny_schemas: schemas the query wrote, not the grammar's pg_catalog") {
		EXPECT(schemas, "SELECT a SIMILAR TO 'x', b LIKE 'a' ESCAPE '!' FROM t", "ok");
		EXPECT(schemas, "SELECT extract(year FROM d), trim(x), x::int, treat(x AS int) "
		       "FROM t", "ok");
		EXPECT(schemas, "SELECT pg_catalog.lower(a) FROM t", "schema");
		EXPECT(schemas, "SELECT \"pg_catalog\" . lower(a) FROM t", "schema");
		EXPECT(schemas, "SELECT * FROM pg_catalog.pg_class", "schema");
		EXPECT(schemas, "SELECT pg_catalog.pg_class.relname FROM x", "schema");
		EXPECT(schemas, "SELECT 1 OPERATOR(pg_catalog.+) 1", "schema");
	}
	TEST_CASE("deny_types: casts to listed types") {
		struct sql_rule *types = rule_from("{\"deny_types\": [\"regclass\"]}");

		EXPECT(types, "SELECT 'pg_authid'::regclass", "type");
		EXPECT(types, "SELECT CAST('t' AS pg_catalog.regclass)", "type");
		EXPECT(types, "SELECT 'regclass'::text", "ok");
		EXPECT(types, "SELECT regclass('pg_authid')", "type");
		EXPECT(types, "SELECT ('pg_authid').regclass", "type");
		sql_rule_free(types);
	}
	sql_rule_free(quoted);
	sql_rule_free(qualified);
	sql_rule_free(schemas);
}

static void test_allow_lists(void)
{
	struct sql_rule *rel = rule_from("{\"allow_relations\": [\"orders\", "
					 "\"public.customers\", \"\\\"Mixed\\\"\"]}");
	struct sql_rule *fn = rule_from("{\"allow_functions\": [\"count\", \"sum\"]}");
	struct sql_rule *none = rule_from("{\"allow_functions\": []}");

	TEST_CASE("allow_relations admits exactly what it spells") {
		EXPECT(rel, "SELECT * FROM orders", "ok");
		EXPECT(rel, "SELECT * FROM ORDERS", "ok");
		EXPECT(rel, "SELECT * FROM sales.orders", "ok");
		EXPECT(rel, "SELECT * FROM \"ORDERS\"", "relation");
		EXPECT(rel, "SELECT * FROM public.customers", "ok");
		EXPECT(rel, "SELECT * FROM customers", "relation");
		EXPECT(rel, "SELECT * FROM \"Mixed\"", "ok");
		EXPECT(rel, "SELECT * FROM mixed", "relation");
		EXPECT(rel, "SELECT * FROM orders, refunds", "relation");
	}
	TEST_CASE("allow_relations: WITH names count only where they are in scope") {
		EXPECT(rel, "WITH x AS (SELECT * FROM orders) SELECT * FROM x", "ok");
		EXPECT(rel, "WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b", "ok");
		/* Not RECURSIVE: the inner "secrets" is the table. */
		EXPECT(rel, "WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets",
		       "relation");
		EXPECT(rel, "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a",
		       "relation");
		EXPECT(rel, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r "
		       "WHERE n < 3) SELECT * FROM r", "ok");
		EXPECT(rel, "SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x) a, x",
		       "relation");
		EXPECT(rel, "WITH x AS (SELECT 1) SELECT * FROM public.x", "relation");
	}
	TEST_CASE("allow_functions: only listed calls; an empty list allows none") {
		EXPECT(fn, "SELECT count(*), sum(total) FROM orders", "ok");
		EXPECT(fn, "SELECT avg(total) FROM orders", "function");
		EXPECT(fn, "SELECT * FROM orders WHERE id IN (SELECT max(id) FROM orders)",
		       "function");
		EXPECT(fn, "SELECT \"COUNT\"(*) FROM orders", "function");
		/* PostgreSQL calls f(x) for (x).f when x has no field f. */
		EXPECT(fn, "SELECT ('/etc/passwd').pg_read_file", "function");
		EXPECT(fn, "SELECT (5).sum", "ok");
		EXPECT(none, "SELECT 1", "ok");
		EXPECT(none, "SELECT now()", "function");
	}
	sql_rule_free(rel);
	sql_rule_free(fn);
	sql_rule_free(none);
}

static void test_compile_errors(void)
{
	static const struct {
		const char *json, *why;
	} cases[] = {
		{ "[]", "expected an object" },
		{ "{\"comment\": true}", "comment: unknown field" },
		{ "{\"comments\": 1}", "comments: expected true or false" },
		{ "{\"deny_columns\": \"password\"}", "expected an array" },
		{ "{\"deny_columns\": [\"t.password\"]}", "deny_columns[0]: expected one name, not schema.name" },
		{ "{\"deny_relations\": [\"a.b.c\"]}", "at most two parts" },
		{ "{\"deny_functions\": [\"pg sleep\"]}", "quote the part" },
		{ "{\"deny_functions\": [\"\\\"open\"]}", "unterminated" },
		{ "{\"deny_functions\": [\"a..b\"]}", "empty part" },
		{ "{\"deny_functions\": [\"\\\"\\\"\"]}", "empty \"\" part" },
		{ "{\"deny_functions\": [\"x\", 3]}", "deny_functions[1]: expected a string" },
		{ "{\"deny_functions\": [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}",
		  "longer than 63 bytes" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char name[160], why[200] = "";
		cJSON *obj = cJSON_Parse(cases[i].json);
		struct sql_rule *r = NULL;
		int ret = sql_rule_compile(obj, &r, why, sizeof(why));

		snprintf(name, sizeof(name), "compile refuses %.100s", cases[i].json);
		TEST_CASE(name)
			CHECK(ret == -EINVAL && !r && strstr(why, cases[i].why), "%d: %s", ret, why);
		cJSON_Delete(obj);
	}
	TEST_CASE("compile accepts quoted parts with \"\" and globs") {
		struct sql_rule *r = rule_from("{\"deny_relations\": [\"\\\"a\\\"\\\"b\\\"\", "
					       "\"s.t?\", \"\\\"My Schema\\\".*\"]}");

		EXPECT(r, "SELECT * FROM \"a\"\"b\"", "relation");
		EXPECT(r, "SELECT * FROM s.t1", "relation");
		EXPECT(r, "SELECT * FROM s.t12", "ok");
		EXPECT(r, "SELECT * FROM \"My Schema\".anything", "relation");
		sql_rule_free(r);
	}
}

/* --- the policy checker -------------------------------------------------------------- */

static const struct pol_error *one_error(const char *text, struct pol_errors *errs)
{
	struct policy *pol = NULL;
	int ret = policy_parse(text, strlen(text), &pol, errs);

	policy_free(pol);
	return ret == -EINVAL && errs->n == 1 ? &errs->v[0] : NULL;
}

static void test_checker(void)
{
	static const char head[] =
		"{\n"
		"  \"version\": 1,\n"
		"  \"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" } },\n"
		"  \"tools\": { \"run_query\": { \"class\": \"read\", \"arguments\": {\n";
	char text[1024];
	struct pol_errors errs = {};
	const struct pol_error *e;

	TEST_CASE("checker: sql on an integer argument is an error at its key") {
		snprintf(text, sizeof(text), "%s    \"limit\": { \"type\": \"integer\", "
			 "\"sql\": {} }\n  } } }\n}\n", head);
		e = one_error(text, &errs);
		CHECK(e && e->line == 5 && e->col == 35 && strstr(e->msg,
		      "tools.run_query.arguments.limit.sql: applies only to string arguments, "
		      "not integer"), "%d:%d %s", e ? e->line : 0, e ? e->col : 0,
		      e ? e->msg : errs.n ? errs.v[0].msg : "no error");
		pol_errors_free(&errs);
	}
	TEST_CASE("checker: a bad name is an error at the name") {
		snprintf(text, sizeof(text), "%s    \"q\": { \"type\": \"string\", \"sql\": "
			 "{ \"deny_columns\": [\"ok\", \"t.password\"] } }\n  } } }\n}\n", head);
		e = one_error(text, &errs);
		CHECK(e && e->line == 5 && e->col == 62 && strstr(e->msg,
		      "tools.run_query.arguments.q.sql.deny_columns[1]: expected a SQL name") &&
		      strstr(e->msg, "expected one name, not schema.name"), "%d:%d %s", e ? e->line : 0,
		      e ? e->col : 0, e ? e->msg : errs.n ? errs.v[0].msg : "no error");
		pol_errors_free(&errs);
	}
	TEST_CASE("checker: defaults are written, allow lists stay absent") {
		struct policy *pol = NULL;
		const cJSON *sql;
		char *printed = NULL;

		snprintf(text, sizeof(text), "%s    \"q\": { \"type\": \"string\", \"sql\": {} }\n"
			 "  } } }\n}\n", head);
		CHECK(!policy_parse(text, strlen(text), &pol, &errs), "%s",
		      errs.n ? errs.v[0].msg : "?");
		sql = pol ? cJSON_GetObjectItemCaseSensitive(pol->json, "tools") : NULL;
		sql = cJSON_GetObjectItemCaseSensitive(sql, "run_query");
		sql = cJSON_GetObjectItemCaseSensitive(sql, "arguments");
		sql = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sql, "q"),
						       "sql");
		printed = sql ? cJSON_PrintUnformatted(sql) : NULL;
		CHECK(printed && !strcmp(printed, "{\"comments\":false,\"deny_functions\":[],"
		      "\"deny_relations\":[],\"deny_schemas\":[],\"deny_columns\":[],"
		      "\"deny_types\":[]}"), "%s", printed ? printed : "(none)");
		free(printed);
		policy_free(pol);
		pol_errors_free(&errs);
	}
}

/* --- threads -------------------------------------------------------------------------- */

struct worker {
	pthread_t tid;
	const struct sql_rule *r;
	const char *want[2 * MAX_QUERIES];
	size_t differ;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < bad.n; i++)
			w->differ += strcmp(outcome(w->r, bad.query[i]), w->want[i]) != 0;
		for (size_t i = 0; i < good.n; i++)
			w->differ += strcmp(outcome(w->r, good.query[i]), w->want[bad.n + i]) != 0;
	}
	return NULL;
}

static void test_threads(const struct sql_rule *r)
{
	static struct worker w[4];
	size_t differ = 0, started = 0;

	if (!r)
		return;
	TEST_CASE("4 threads judging the corpus at once agree with one thread") {
		for (size_t t = 0; t < ARRAY_SIZE(w); t++) {
			w[t].r = r;
			for (size_t i = 0; i < bad.n; i++)
				w[t].want[i] = outcome(r, bad.query[i]);
			for (size_t i = 0; i < good.n; i++)
				w[t].want[bad.n + i] = outcome(r, good.query[i]);
		}
		while (started < ARRAY_SIZE(w) &&
		       !pthread_create(&w[started].tid, NULL, worker_run, &w[started]))
			started++;
		CHECK(started == ARRAY_SIZE(w), "pthread_create failed");
		for (size_t t = 0; t < started; t++) {
			pthread_join(w[t].tid, NULL);
			differ += w[t].differ;
		}
		CHECK(!differ, "%zu verdicts differ", differ);
	}
}

int main(int argc, char **argv)
{
	struct sql_rule *r;

	(void)argc;
	test_init(argv[0]);
	if (getenv("SL_REPO"))
		repo = getenv("SL_REPO");
	r = example_rule();
	test_corpus(r);
	test_positions();
	test_shape();
	test_names();
	test_allow_lists();
	test_compile_errors();
	test_checker();
	test_threads(r);
	sql_rule_free(r);
	free(bad.text);
	free(good.text);
	return test_finish();
}
