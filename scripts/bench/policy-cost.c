// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy-cost.c - what the decision (user/policy/decide.h) costs per call:
 * an allowed call, a denied one and a rewritten one, with small and large
 * policies, and one whose argument goes through the sql rule, next to a
 * reference measured beside it: mcp_parse() of the same message, which the
 * proxy pays for every request anyway.
 *
 * Each measured call parses the message, judges it and frees the tree
 * inside jarena_begin()/jarena_end(), as a sluiced worker does (a rewrite
 * changes the tree, so every call needs a fresh one); the reference does
 * the same without judging.  "decide" is the difference, "ratio" is
 * (parse + decide) / parse.  Rounds interleave the cases so that drift
 * hits them alike; the table shows medians.
 *
 * The policies are generated in memory: N agents, each allowed "*" but
 * denied "admin_*", on one plan, and M tools, of which "run_query" has the
 * argument rules of policies/example.json's (three PCRE2 deny patterns, a
 * bounded integer with a default, an enum with a default) and "run_sql" an
 * sql rule.  Agents: 10 and 10,000 (a policy may hold SL_MAX_AGENTS - 1);
 * tools: 10 and 1,000.  The caller is the last agent.
 *
 * Every call goes through the limits step too (the plan's read limit and
 * budget, set out of reach, count each call); "limited" calls a tool whose
 * own limit (1 a day) is spent, so it is refused by the limits step, the
 * last one, after every other check passed.
 *
 * A further line measures output redaction: the example policy's three
 * rules (cards with the Luhn check, API keys, e-mail addresses) over a 4 KiB
 * tools/call result holding a few secrets, in ns per KiB, next to cJSON
 * reading the same text (what any JSON-aware relay pays).
 *
 * A second table splits the sql rule's time by libpg_query call (on the
 * query of the sql-checked case, one tenth as many calls): the parse tree
 * as JSON, that JSON read by cJSON, the scanner's tokens, and for
 * comparison the parse tree as protobuf, packed and unpacked.
 *
 *   policy-cost [-n CALLS] [-r ROUNDS]
 *
 * Prints results; it never fails on a number.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "base/buf.h"
#include "base/jarena.h"
#include "policy/decide.h"
#include "policy/limits.h"
#include "policy/redact.h"
#include "policy/policy.h"
#include "proto/mcp.h"

#define MAX_ROUNDS 15

static const char *const case_names[] = { "allowed", "denied", "rewritten", "sql-checked",
					   "limited" };

static const char *const case_bodies[] = {
	"{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"tools/call\",\"params\":{\"name\":\"run_query\","
	"\"arguments\":{\"sql\":\"select region, sum(total) from sales where year = 2025 group by "
	"region\",\"limit\":50,\"format\":\"json\"}}}",
	"{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":{\"name\":\"admin_reset\","
	"\"arguments\":{\"account\":\"acct_12345678\"}}}",
	"{\"jsonrpc\":\"2.0\",\"id\":43,\"method\":\"tools/call\",\"params\":{\"name\":\"run_query\","
	"\"arguments\":{\"sql\":\"select region, sum(total) from sales where year = 2025 group by "
	"region\"}}}",
	"{\"jsonrpc\":\"2.0\",\"id\":44,\"method\":\"tools/call\",\"params\":{\"name\":\"run_sql\","
	"\"arguments\":{\"sql\":\"select region, sum(total) from sales where year = 2025 group by "
	"region\"}}}",
	"{\"jsonrpc\":\"2.0\",\"id\":45,\"method\":\"tools/call\",\"params\":{\"name\":"
	"\"limited_tool\",\"arguments\":{}}}",
};

#define N_CASES (sizeof(case_names) / sizeof(case_names[0]))

/* One generated piece of the policy; out of memory ends the benchmark. */
static void add(struct buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct buf *t, const char *fmt, ...)
{
	char piece[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	if (buf_puts(t, piece)) {
		perror("policy-cost");
		exit(1);
	}
}

/* A policy of @agents agents and @tools tools (at least 3). */
static char *make_policy(int agents, int tools)
{
	struct buf t = {};

	add(&t, "{ \"version\": 1, \"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" "
	    "} }, \"plans\": { \"std\": { \"tools\": { \"deny\": [\"admin_*\"] }, \"limits\": { "
	    "\"read\": { \"per_second\": 1000000000 } }, \"budget\": { \"per_day\": 1e12 } } }, "
	    "\"redaction\": [ { \"name\": \"card\", \"pattern\": \"\\\\b(?:\\\\d[ -]?){13,19}\\\\b\", "
	    "\"check\": \"luhn\" }, { \"name\": \"api-key\", \"pattern\": "
	    "\"\\\\b(?:sk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\\\\b\" }, { \"name\": \"email\", "
	    "\"pattern\": \"[A-Za-z0-9._%%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}\" } ], \"agents\": {");
	for (int i = 0; i < agents; i++)
		add(&t, "%s\"agent-%d\": { \"sources\": [\"10.%d.%d.1\"], \"plan\": \"std\", "
		    "\"tools\": { \"allow\": [\"*\"], \"deny\": [\"admin_*\"] } }", i ? "," : "", i,
		    i / 256, i % 256);
	add(&t, "}, \"tools\": { \"admin_reset\": { \"class\": \"write\" }, \"run_sql\": { "
	    "\"class\": \"read\", \"arguments\": { \"sql\": { \"type\": \"string\", \"required\": true,"
	    " \"sql\": { \"deny_functions\": [\"pg_sleep*\", \"pg_read_file\", \"dblink*\"],"
	    " \"deny_schemas\": [\"pg_catalog\", \"information_schema\"],"
	    " \"deny_columns\": [\"password*\"] } } } }, \"run_query\": { "
	    "\"class\": \"read\", \"cost\": 5, \"arguments\": {"
	    " \"sql\": { \"type\": \"string\", \"required\": true, \"max_length\": 4000,"
	    "  \"deny_patterns\": [\"(?i)\\\\b(drop|truncate|alter)\\\\s+table\\\\b\","
	    "   \"(?i)\\\\bunion\\\\s+(all\\\\s+)?select\\\\b\", \";\\\\s*--\"] },"
	    " \"limit\": { \"type\": \"integer\", \"minimum\": 1, \"maximum\": 10000, \"default\": 100 },"
	    " \"format\": { \"type\": \"string\", \"enum\": [\"csv\", \"json\"], \"default\": \"csv\" }"
	    " } }");
	add(&t, ", \"limited_tool\": { \"class\": \"read\", \"limits\": { \"per_day\": 1 } }");
	for (int i = 4; i < tools; i++)
		add(&t, ", \"tool_%d\": { \"class\": \"read\" }", i);
	add(&t, "} }");
	return t.data;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* ns per call of parsing @body (and judging it, when @dm is set). */
static double measure(const char *body, const struct decide_model *dm,
		      struct decide_limiter *lim, const struct identity *id,
		      enum decide_action want, long calls)
{
	static unsigned long long clock_ns = 1;
	size_t len = strlen(body);
	unsigned long long t0 = now_ns();

	for (long i = 0; i < calls; i++) {
		struct decide_verdict v;
		struct mcp_batch b;
		struct mcp_error err;

		jarena_begin();
		if (mcp_parse(body, len, &b, &err)) {
			fprintf(stderr, "policy-cost: the message does not parse: %s\n", err.message);
			exit(1);
		}
		/* The limits' clock: 1 ns a call, as fast as the read limit allows. */
		if (dm && decide_request(dm, id, &b.msgs[0], lim, clock_ns++, &v) != want) {
			fprintf(stderr, "policy-cost: unexpected verdict: %s\n", v.message);
			exit(1);
		}
		mcp_batch_free(&b);
		jarena_end();
	}
	return (double)(now_ns() - t0) / (double)calls;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* A tools/call result of about 4 KiB: report lines, one card number, one
 * key and one address among them. */
static char *redaction_sample(void)
{
	struct buf t = {};

	add(&t, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[{\"type\":\"text\","
	    "\"text\":\"");
	for (int i = 0; t.len < 4000; i++)
		add(&t, "row %d: region emea, total 1204.50, orders 31, updated 2026-11-30\\n", i);
	add(&t, "paid with 4111 1111 1111 1111 by ops@example.com, key sk_live_0123456789abcdefXYZ"
	    "\"}]}}");
	return t.data;
}

static void redaction_cost(const struct policy *pol, long calls, int rounds)
{
	double red[MAX_ROUNDS], ref[MAX_ROUNDS], kib;
	struct redact_set *rs = NULL;
	struct redact_scratch *s = redact_scratch_new();
	char *text = redaction_sample(), why[200], *out;
	size_t len = strlen(text), out_len;

	if (redact_build(pol, &rs, why, sizeof(why)) || !rs || !s) {
		fprintf(stderr, "policy-cost: redaction: %s\n", why);
		exit(1);
	}
	kib = (double)len / 1024.0;
	for (int r = 0; r < rounds; r++) {
		unsigned long long t0 = now_ns();

		for (long i = 0; i < calls; i++)
			cJSON_Delete(cJSON_ParseWithLength(text, len));
		ref[r] = (double)(now_ns() - t0) / (double)calls / kib;
		t0 = now_ns();
		for (long i = 0; i < calls; i++) {
			if (redact_text(rs, s, text, len, &out, &out_len, NULL) || !out) {
				fprintf(stderr, "policy-cost: redaction found nothing\n");
				exit(1);
			}
			free(out);
		}
		red[r] = (double)(now_ns() - t0) / (double)calls / kib;
	}
	printf("redaction: %.0f ns per KiB of result (3 rules, %zu-byte result); cJSON reading it: "
	       "%.0f ns per KiB; ratio %.2f\n", median(red, rounds), len, median(ref, rounds),
	       median(red, rounds) / median(ref, rounds));
	redact_scratch_free(s);
	redact_set_free(rs);
	free(text);
}

static void run_config(int agents, int tools, long calls, int rounds)
{
	static const enum decide_action want[] = { DECIDE_ALLOW, DECIDE_DENY, DECIDE_REWRITE,
						   DECIDE_ALLOW, DECIDE_DENY };
	double total[N_CASES][MAX_ROUNDS], ref[N_CASES][MAX_ROUNDS];
	struct pol_errors errs = {};
	struct decide_model *dm = NULL;
	struct decide_limiter *lim = NULL;
	struct policy *pol = NULL;
	char *text = make_policy(agents, tools), name[32];
	struct identity id;

	if (policy_parse(text, strlen(text), &pol, &errs) || decide_model_build(pol, &dm, &errs) ||
	    !(lim = decide_limiter_new(dm))) {
		fprintf(stderr, "policy-cost: policy: %s\n", errs.n ? errs.v[0].msg : "no memory");
		exit(1);
	}
	snprintf(name, sizeof(name), "agent-%d", agents - 1);	/* the last one */
	decide_identity_of(dm, decide_agent_index(dm, name), IDM_API_KEY, &id);
	/* The one call a day of limited_tool, then the warm-up: caches, JIT
	 * pages, the arena. */
	measure(case_bodies[N_CASES - 1], dm, lim, &id, DECIDE_ALLOW, 1);
	for (size_t c = 0; c < N_CASES; c++)
		measure(case_bodies[c], dm, lim, &id, want[c], calls / 10 + 1);
	for (int r = 0; r < rounds; r++)
		for (size_t c = 0; c < N_CASES; c++) {
			ref[c][r] = measure(case_bodies[c], NULL, NULL, &id, want[c], calls);
			total[c][r] = measure(case_bodies[c], dm, lim, &id, want[c], calls);
		}
	for (size_t c = 0; c < N_CASES; c++) {
		double t = median(total[c], rounds), p = median(ref[c], rounds);

		printf("%6d %6d  %-10s %12.0f %8.0f %8.0f %7.2f\n", agents, tools, case_names[c],
		       t, p, t - p, t / p);
	}
	if (agents == 10 && tools == 10)
		redaction_cost(pol, calls / 10 + 1, rounds);
	decide_limiter_free(lim);
	decide_model_free(dm);
	policy_free(pol);
	pol_errors_free(&errs);
	free(text);
}

/* --- the sql rule's libpg_query calls ----------------------------------------- */

static const char sql_query[] =
	"select region, sum(total) from sales where year = 2025 group by region";

enum sql_step { PARSE_JSON, PARSE_JSON_CJSON, SCAN_UNPACK, PARSE_PB, PARSE_PB_UNPACK, N_STEPS };

static const char *const step_names[] = {
	[PARSE_JSON] = "pg_query_parse (tree as JSON)",
	[PARSE_JSON_CJSON] = "  + cJSON_Parse of it (the rule's way)",
	[SCAN_UNPACK] = "pg_query_scan + unpack (tokens)",
	[PARSE_PB] = "pg_query_parse_protobuf",
	[PARSE_PB_UNPACK] = "  + unpack of it",
};

static void sql_step_once(enum sql_step step)
{
	bool bad = false;

	if (step == PARSE_JSON || step == PARSE_JSON_CJSON) {
		PgQueryParseResult r = pg_query_parse(sql_query);
		cJSON *tree = step == PARSE_JSON_CJSON && !r.error ? cJSON_Parse(r.parse_tree) : NULL;

		bad = r.error || (step == PARSE_JSON_CJSON && !tree);
		cJSON_Delete(tree);
		pg_query_free_parse_result(r);
	} else if (step == SCAN_UNPACK) {
		PgQueryScanResult r = pg_query_scan(sql_query);
		PgQuery__ScanResult *t = r.error ? NULL : pg_query__scan_result__unpack(
			NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);

		bad = !t;
		if (t)
			pg_query__scan_result__free_unpacked(t, NULL);
		pg_query_free_scan_result(r);
	} else {
		PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql_query);
		PgQuery__ParseResult *t = step == PARSE_PB_UNPACK && !r.error ?
			pg_query__parse_result__unpack(NULL, r.parse_tree.len,
						       (const uint8_t *)r.parse_tree.data) : NULL;

		bad = r.error || (step == PARSE_PB_UNPACK && !t);
		if (t)
			pg_query__parse_result__free_unpacked(t, NULL);
		pg_query_free_protobuf_parse_result(r);
	}
	if (bad) {
		fprintf(stderr, "policy-cost: libpg_query failed on the benchmark's query\n");
		exit(1);
	}
}

static void run_sql_steps(long calls, int rounds)
{
	double t[N_STEPS][MAX_ROUNDS];

	for (int s = 0; s < N_STEPS; s++)	/* warm up */
		for (long i = 0; i < calls / 10 + 1; i++)
			sql_step_once((enum sql_step)s);
	for (int r = 0; r < rounds; r++)
		for (int s = 0; s < N_STEPS; s++) {
			unsigned long long t0 = now_ns();

			for (long i = 0; i < calls; i++)
				sql_step_once((enum sql_step)s);
			t[s][r] = (double)(now_ns() - t0) / (double)calls;
		}
	printf("\nthe sql rule's libpg_query calls: ns per call, median of %d rounds of %ld calls; "
	       "ratio to pg_query_parse\n", rounds, calls);
	printf("%-40s %8s %7s\n", "step", "ns", "ratio");
	for (int s = 0; s < N_STEPS; s++)
		t[s][0] = median(t[s], rounds);
	for (int s = 0; s < N_STEPS; s++)
		printf("%-40s %8.0f %7.2f\n", step_names[s], t[s][0], t[s][0] / t[PARSE_JSON][0]);
}

int main(int argc, char **argv)
{
	static const int agent_counts[] = { 10, 10000 }, tool_counts[] = { 10, 1000 };
	long calls = 20000;
	int rounds = 7, opt;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			calls = atol(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			goto usage;
	}
	if (calls < 1 || rounds < 1 || rounds > MAX_ROUNDS)
		goto usage;
	jarena_install();
	printf("policy-cost: ns per call, median of %d rounds of %ld calls; reference: "
	       "mcp_parse() of the same message\n", rounds, calls);
	printf("%6s %6s  %-10s %12s %8s %8s %7s\n", "agents", "tools", "case", "parse+decide",
	       "parse", "decide", "ratio");
	for (size_t a = 0; a < 2; a++)
		for (size_t t = 0; t < 2; t++)
			run_config(agent_counts[a], tool_counts[t], calls, rounds);
	printf("(sql-checked runs the query through the sql rule: libpg_query's parser and "
	       "scanner)\n");
	run_sql_steps(calls / 10 + 1, rounds);
	return 0;
usage:
	fprintf(stderr, "usage: policy-cost [-n CALLS] [-r ROUNDS (1..%d)]\n", MAX_ROUNDS);
	return 2;
}
