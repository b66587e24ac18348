// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_limits.c - the decision's limits step (user/policy/limits.h) without
 * sockets and with a clock the test moves: class and tool limits, several
 * periods at once, the exact GCRA admission, what a refused call says, the
 * order of steps (a call refused earlier burns no quota), state keyed by
 * agent, and what a reload carries over.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy/decide.h"
#include "policy/limits.h"
#include "policy/policy.h"
#include "proto/mcp.h"

#define S 1000000000ull
#define T0 (1000 * S)	/* the clock starts late: the cells' 0 is in the past */

#define KEY_A "\"1f0247d311289d2506bed7b90371d7a85bc9bd7365cd049ff5a4cb3848206d2e\""
#define KEY_B "\"700895b0fe2f2eda7001adf2792ad7ea58e4bf22dc04b16d2ec35cbd1850c874\""

/* alice: plan pro (read 3/second and 5/minute, write 2/day); bob: plan pro
 * but his own read limit 1/second; run_query: 2/minute per agent. */
#define POLICY(pro_read, query_limits) \
	"{ \"version\": 1, \"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" } },\n" \
	"  \"plans\": { \"pro\": { \"limits\": { \"read\": " pro_read ",\n" \
	"                                     \"write\": { \"per_day\": 2 } } } },\n" \
	"  \"agents\": {\n" \
	"    \"alice\": { \"keys_sha256\": [" KEY_A "], \"plan\": \"pro\" },\n" \
	"    \"bob\": { \"keys_sha256\": [" KEY_B "], \"plan\": \"pro\",\n" \
	"             \"limits\": { \"read\": { \"per_second\": 1 } } } },\n" \
	"  \"tools\": {\n" \
	"    \"search\": { \"class\": \"read\" },\n" \
	"    \"run_query\": { \"class\": \"read\", \"limits\": " query_limits " },\n" \
	"    \"delete\": { \"class\": \"write\", \"arguments\": {\n" \
	"      \"id\": { \"type\": \"string\", \"required\": true } } } } }\n"

static const char *const base_policy =
	POLICY("{ \"per_second\": 3, \"per_minute\": 5 }", "{ \"per_minute\": 2 }");

/* Budgets: plan "team" 10 a day (deny); gamma 15 a month of its own
 * (report); customer acme 12 a day (deny).  search costs 4; run_query 1
 * plus 2 a KiB of answer. */
static const char *const budget_policy =
	"{ \"version\": 1, \"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" } },\n"
	"  \"plans\": { \"team\": { \"budget\": { \"per_day\": 10 },\n"
	"                           \"limits\": { \"read\": { \"per_second\": 100 } } } },\n"
	"  \"customers\": { \"acme\": { \"budget\": { \"per_day\": 12 } } },\n"
	"  \"agents\": {\n"
	"    \"alpha\": { \"keys_sha256\": [" KEY_A "], \"plan\": \"team\", \"customer\": \"acme\" },\n"
	"    \"beta\": { \"keys_sha256\": [" KEY_B "], \"plan\": \"team\", \"customer\": \"acme\" },\n"
	"    \"gamma\": { \"sources\": [\"10.0.0.1\"], \"plan\": \"team\",\n"
	"               \"budget\": { \"per_month\": 15, \"action\": \"report\" } } },\n"
	"  \"tools\": {\n"
	"    \"search\": { \"class\": \"read\", \"cost\": 4 },\n"
	"    \"run_query\": { \"class\": \"read\", \"cost\": 1, \"cost_per_kib\": 2,\n"
	"                   \"limits\": { \"per_minute\": 1 } } } }\n";

/* 2026-12-02T22:00:00Z on the test clock at T0. */
#define UTC_T0 1796248800ll

struct world {
	struct policy *pol;
	struct decide_model *dm;
	struct decide_limiter *lim;
};

static int load(struct world *w, const char *text, const struct decide_limiter *old)
{
	struct pol_errors errs = {};
	int ret = policy_parse(text, strlen(text), &w->pol, &errs);

	if (!ret)
		ret = decide_model_build(w->pol, &w->dm, &errs);
	if (ret)
		fprintf(stderr, "policy: %s\n", errs.n ? errs.v[0].msg : "?");
	pol_errors_free(&errs);
	if (!ret && !(w->lim = decide_limiter_new(w->dm)))
		ret = -1;
	if (!ret)
		decide_limiter_carry(w->lim, old);
	return ret;
}

static void unload(struct world *w)
{
	decide_limiter_free(w->lim);
	decide_model_free(w->dm);
	policy_free(w->pol);
	memset(w, 0, sizeof(*w));
}

/* A token's plan claim for the next call_at() ("" none: the agent's plan). */
static const char *claim_plan = "";

static enum decide_action call_at(struct world *w, const char *agent, const char *tool,
				  const char *args, unsigned long long now, struct decide_verdict *v)
{
	char body[256];
	struct mcp_batch b = {};
	struct mcp_error err;
	struct identity id;
	enum decide_action act = DECIDE_DENY;

	decide_identity_of(w->dm, agent ? decide_agent_index(w->dm, agent) : IDENTITY_NO_AGENT,
			   IDM_API_KEY, &id);
	if (*claim_plan) {
		id.method = IDM_JWT;
		snprintf(id.plan, sizeof(id.plan), "%s", claim_plan);
	}
	snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
		 "\"params\":{\"name\":\"%s\",\"arguments\":%s}}", tool, args ? args : "{}");
	memset(v, 0, sizeof(*v));
	if (!mcp_parse(body, strlen(body), &b, &err) && b.n == 1)
		act = decide_request(w->dm, &id, &b.msgs[0], w->lim, now, v);
	mcp_batch_free(&b);
	return act;
}

/* How many of @n calls spaced @step_ns apart from @start pass. */
static int passes(struct world *w, const char *agent, const char *tool, int n,
		  unsigned long long start, unsigned long long step_ns)
{
	struct decide_verdict v;
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += call_at(w, agent, tool, NULL, start + (unsigned long long)i * step_ns, &v) !=
		      DECIDE_DENY;
	return ok;
}

/* Workers calling at once must share a budget's room exactly: 4 threads
 * make 1000 calls of cost 1 each against 3000 a day. */
static const char *const race_policy =
	"{ \"version\": 1, \"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" } },\n"
	"  \"agents\": { \"alpha\": { \"keys_sha256\": [" KEY_A "],\n"
	"                           \"budget\": { \"per_day\": 3000 } } },\n"
	"  \"tools\": { \"search\": { \"class\": \"read\", \"cost\": 1 } } }\n";

struct racer {
	struct world *w;
	int allowed;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct decide_verdict v;

	for (int i = 0; i < 1000; i++)
		r->allowed += call_at(r->w, "alpha", "search", NULL, T0, &v) != DECIDE_DENY;
	return NULL;
}

int main(int argc __attribute__((unused)), char **argv)
{
	struct decide_verdict v;
	struct world w = {}, w2 = {};

	test_init(argv[0]);
	if (load(&w, base_policy, NULL)) {
		printf("FAIL: test_limits: the policy loads\n");
		return 1;
	}

	TEST_CASE("a burst of the per-second quota passes, the next call is refused") {
		CHECK(passes(&w, "alice", "search", 3, T0, 0) == 3, "the first 3 at once");
		CHECK(call_at(&w, "alice", "search", NULL, T0, &v) == DECIDE_DENY, "the 4th passed");
		CHECK(v.reason == DR_LIMITED && v.code == DECIDE_ERR_LIMITED && v.http_status == 429,
		      "reason %d code %d status %d", v.reason, v.code, v.http_status);
		CHECK(!strcmp(v.limit.name, "read-second") && v.limit.quota == 3 &&
		      v.limit.window_s == 1 && v.limit.remaining == 0, "limit %s %u/%u left %u",
		      v.limit.name, v.limit.quota, v.limit.window_s, v.limit.remaining);
		/* GCRA: the next call fits one emission interval (1/3 s) later. */
		CHECK(v.limit.retry_after_ms == 334, "retry after %llu ms",
		      (unsigned long long)v.limit.retry_after_ms);
		CHECK(!strcmp(v.rule, "plans.pro.limits.read.per_second"), "rule %s", v.rule);
		CHECK(!strcmp(v.message, "sluice: read limit 3/second for agent \"alice\" reached; "
			      "retry in 1 s"), "message %s", v.message);
	}
	TEST_CASE("no window holds more than 2N-1 calls: a full burst, then one each T") {
		struct world f = {};
		int ok;

		CHECK(!load(&f, base_policy, NULL), "load");
		/* 3 at once (3 a second), then tried at 1/s: the minute's bucket
		 * admits 3 more before it is full (T0+1, +2, +12), then one each
		 * 12 s (+24, +36, +48): 9 in one minute, above 5, below 2*5. */
		ok = passes(&f, "alice", "search", 1, T0, 0) + passes(&f, "alice", "search", 4, T0, 0) +
		     passes(&f, "alice", "search", 59, T0 + S, S);
		CHECK(ok == 9, "%d passed in a minute", ok);
		unload(&f);
	}
	TEST_CASE("waiting as told succeeds; waiting less does not") {
		unsigned long long at = T0 + v.limit.retry_after_ms * 1000000ull;

		CHECK(call_at(&w, "alice", "search", NULL, at - 2000000, &v) == DECIDE_DENY,
		      "2 ms early passed");
		CHECK(call_at(&w, "alice", "search", NULL, at, &v) != DECIDE_DENY,
		      "on time refused: %s", v.message);
	}
	TEST_CASE("both periods apply: 5 a minute even when paced under 3 a second") {
		/* alice has used 4 of her 5 a minute; one more, then the minute refuses. */
		CHECK(passes(&w, "alice", "search", 1, T0 + 2 * S, 0) == 1, "the 5th");
		CHECK(call_at(&w, "alice", "search", NULL, T0 + 3 * S, &v) == DECIDE_DENY,
		      "a 6th in the minute passed");
		CHECK(!strcmp(v.limit.name, "read-minute") && v.limit.quota == 5 &&
		      v.limit.window_s == 60, "limit %s", v.limit.name);
		CHECK(!strcmp(v.rule, "plans.pro.limits.read.per_minute"), "rule %s", v.rule);
		/* 5 a minute: one every 12 s; the 6th fits 12 s after the first
		 * call's slot, i.e. at T0 + 12 s... pushed by the 5 taken. */
		CHECK(v.limit.retry_after_ms > 0 && v.limit.retry_after_ms <= 60000,
		      "retry %llu", (unsigned long long)v.limit.retry_after_ms);
	}
	TEST_CASE("the long-run rate is the quota: 5 a minute over ten minutes tried at 1/s") {
		struct world f = {};
		int ok;

		CHECK(!load(&f, base_policy, NULL), "load");
		ok = passes(&f, "alice", "search", 600, T0, S);
		/* A burst of 5, then one every 12 s: 5 + 599 / 12 = 54. */
		CHECK(ok == 54, "%d passed", ok);
		unload(&f);
	}
	TEST_CASE("a tool's own limit applies on top of its class's") {
		struct world f = {};

		CHECK(!load(&f, base_policy, NULL), "load");
		CHECK(passes(&f, "alice", "run_query", 3, T0, 0) == 2, "2 of run_query pass");
		call_at(&f, "alice", "run_query", NULL, T0, &v);
		CHECK(v.reason == DR_LIMITED && !strcmp(v.limit.name, "tool-run_query-minute"),
		      "limit %s", v.limit.name);
		CHECK(!strcmp(v.rule, "tools.run_query.limits.per_minute"), "rule %s", v.rule);
		CHECK(strstr(v.message, "tool run_query limit 2/minute for agent \"alice\""),
		      "message %s", v.message);
		/* The refused run_query calls used none of the class quota: 1 of 3 left. */
		CHECK(passes(&f, "alice", "search", 2, T0, 0) == 1, "class quota was burnt");
		unload(&f);
	}
	TEST_CASE("the agent's own class limit replaces the plan's") {
		CHECK(passes(&w, "bob", "search", 3, T0, 0) == 1, "bob has 1/second");
		call_at(&w, "bob", "search", NULL, T0, &v);
		CHECK(!strcmp(v.rule, "agents.bob.limits.read.per_second"), "rule %s", v.rule);
		/* Each period apart: the plan's 5 a minute still holds for bob. */
		/* one at T0, so 12 s of the 5-a-minute bucket refilled 10 s later:
		 * 5 pass at T0+10..14, the rest is refused by the minute. */
		CHECK(passes(&w, "bob", "search", 10, T0 + 10 * S, S) == 5, "bob's minute");
		call_at(&w, "bob", "search", NULL, T0 + 20 * S, &v);
		CHECK(!strcmp(v.rule, "plans.pro.limits.read.per_minute"), "rule %s", v.rule);
		/* ... and only for that class: writes are the plan's 2 a day. */
		CHECK(passes(&w, "bob", "delete", 3, T0, 0) == 0, "refused by validation, not counted");
	}
	TEST_CASE("a call refused by validation burns no quota") {
		int ok = 0;

		for (int i = 0; i < 3; i++)
			ok += call_at(&w, "bob", "delete", "{\"id\":\"x\"}", T0, &v) != DECIDE_DENY;
		CHECK(ok == 2, "%d of 3 valid writes passed (2 a day)", ok);
		CHECK(!strcmp(v.limit.name, "write-day") && v.limit.retry_after_ms > 40000000,
		      "limit %s retry %llu", v.limit.name,
		      (unsigned long long)v.limit.retry_after_ms);
	}
	TEST_CASE("limits are per agent: alice's use leaves bob's quota") {
		struct world f = {};

		CHECK(!load(&f, base_policy, NULL), "load");
		CHECK(passes(&f, "alice", "search", 3, T0, 0) == 3, "alice");
		CHECK(passes(&f, "bob", "search", 1, T0, 0) == 1, "bob refused after alice's burst");
		unload(&f);
	}
	TEST_CASE("an allowed call reports the tightest limit left") {
		struct world f = {};

		CHECK(!load(&f, base_policy, NULL), "load");
		CHECK(call_at(&f, "alice", "run_query", NULL, T0, &v) != DECIDE_DENY, "refused");
		CHECK(v.has_limit && !strcmp(v.limit.name, "tool-run_query-minute") &&
		      v.limit.remaining == 1 && v.limit.quota == 2, "limit %s left %u",
		      v.limit.name, v.limit.remaining);
		CHECK(v.limit.reset_s == 30, "reset %u s", v.limit.reset_s);
		unload(&f);
	}
	TEST_CASE("no agent, no limits (an open gateway counts nothing)") {
		CHECK(call_at(&w, NULL, "search", NULL, T0, &v) == DECIDE_DENY &&
		      v.reason == DR_UNATTRIBUTED, "nobody got past attribution: %d", v.reason);
	}
	TEST_CASE("a reload keeps what did not change and resets what did") {
		struct world f = {};

		CHECK(!load(&f, base_policy, NULL), "load");
		CHECK(passes(&f, "alice", "run_query", 2, T0, 0) == 2, "run_query x2");
		/* Same policy: the run_query minute stays spent, as does the
		 * read class (2 of 3 a second). */
		CHECK(!load(&w2, base_policy, f.lim), "reload");
		CHECK(call_at(&w2, "alice", "run_query", NULL, T0, &v) == DECIDE_DENY &&
		      !strcmp(v.limit.name, "tool-run_query-minute"), "the tool limit was reset");
		CHECK(passes(&w2, "alice", "search", 2, T0, 0) == 1, "the class state was lost");
		unload(&w2);
		/* run_query's limit changed (3 a minute): it starts afresh. */
		CHECK(!load(&w2, POLICY("{ \"per_second\": 3, \"per_minute\": 5 }",
					"{ \"per_minute\": 3 }"), f.lim), "reload 2");
		CHECK(passes(&w2, "alice", "run_query", 1, T0, 0) == 1, "a changed limit kept state");
		unload(&w2);
		/* The class limit changed (4 a second): the second resets, the
		 * minute (still 5) is kept: 2 of 5 spent. */
		CHECK(!load(&w2, POLICY("{ \"per_second\": 4, \"per_minute\": 5 }",
					"{ \"per_minute\": 2 }"), f.lim), "reload 3");
		CHECK(passes(&w2, "alice", "search", 4, T0, 0) == 3, "the minute's state");
		unload(&w2);
		unload(&f);
	}
	TEST_CASE("the cells are allocated once: per agent, by the limits it has") {
		/* 2 agents x (8 class cells + 4 for run_query) x 8 bytes */
		CHECK(decide_limiter_bytes(w.lim) == 2 * 12 * 8, "%zu bytes",
		      decide_limiter_bytes(w.lim));
	}
	unload(&w);

	TEST_CASE("a token's plan claim brings that plan's class limits") {
		static const char *const plans =
			"{ \"version\": 1, \"backends\": { \"main\": { \"url\": "
			"\"http://127.0.0.1:9000/mcp\" } },\n"
			"  \"plans\": { \"small\": { \"limits\": { \"read\": { \"per_minute\": 2 } } },\n"
			"             \"big\": { \"limits\": { \"read\": { \"per_minute\": 100 } } } },\n"
			"  \"agents\": { \"alpha\": { \"keys_sha256\": [" KEY_A "], \"plan\": \"small\" },\n"
			"              \"solo\": { \"keys_sha256\": [" KEY_B "],\n"
			"                        \"limits\": { \"read\": { \"per_second\": 50 } } } },\n"
			"  \"tools\": { \"search\": { \"class\": \"read\" } } }\n";
		struct world p = {};

		CHECK(!load(&p, plans, NULL), "load");
		CHECK(passes(&p, "alpha", "search", 5, T0, 0) == 2, "alpha on its own plan: 2");
		claim_plan = "big";
		CHECK(passes(&p, "alpha", "search", 5, T0 + 100 * S, 0) == 5, "with a claim of big");
		claim_plan = "small";
		CHECK(passes(&p, "solo", "search", 5, T0, 0) == 2, "solo with a claim of small");
		call_at(&p, "solo", "search", NULL, T0, &v);
		CHECK(!strcmp(v.rule, "plans.small.limits.read.per_minute"), "rule %s", v.rule);
		claim_plan = "";
		unload(&p);
	}
	TEST_CASE("a count that does not divide the window never admits more than it") {
		static const char *const huge =
			"{ \"version\": 1, \"backends\": { \"main\": { \"url\": "
			"\"http://127.0.0.1:9000/mcp\" } },\n"
			"  \"agents\": { \"alpha\": { \"keys_sha256\": [" KEY_A "],\n"
			"    \"limits\": { \"read\": { \"per_second\": 600000000 } } } },\n"
			"  \"tools\": { \"search\": { \"class\": \"read\" } } }\n";
		struct world h = {};

		CHECK(!load(&h, huge, NULL), "load");
		CHECK(call_at(&h, "alpha", "search", NULL, T0, &v) != DECIDE_DENY &&
		      v.limit.quota == 600000000 && v.limit.remaining == 599999999,
		      "q %u r %u", v.limit.quota, v.limit.remaining);
		unload(&h);
	}
	TEST_CASE("budgets: a deny budget refuses the call that would overrun it") {
		struct world b = {};
		double day, month;

		CHECK(!load(&b, budget_policy, NULL), "load");
		decide_limiter_set_clock(b.lim, UTC_T0 * (long long)S - (long long)T0);
		CHECK(passes(&b, "alpha", "search", 2, T0, 0) == 2, "8 of 10 spent");
		CHECK(call_at(&b, "alpha", "search", NULL, T0, &v) == DECIDE_DENY &&
		      v.reason == DR_BUDGET && v.code == DECIDE_ERR_BUDGET && v.http_status == 429,
		      "reason %d code %d", v.reason, v.code);
		CHECK(!strcmp(v.rule, "plans.team.budget.per_day"), "rule %s", v.rule);
		CHECK(!strcmp(v.message, "sluice: the daily budget of agent \"alpha\" is spent: "
			      "8.00 of 10.00 cost units this UTC day (this call costs 4.00); it resets "
			      "at 2026-12-03T00:00:00Z"), "message %.200s", v.message);
		CHECK(v.budget_reset_s == 7200, "reset in %llu s",
		      (unsigned long long)v.budget_reset_s);
		decide_spent(b.lim, "alpha", NULL, T0, &day, &month);
		CHECK(day == 8 && month == 8, "a refused call costs nothing: %g %g", day, month);
		/* The customer's budget (12 a day) counts both its agents. */
		CHECK(passes(&b, "beta", "search", 1, T0, 0) == 1, "beta's first");
		CHECK(call_at(&b, "beta", "search", NULL, T0, &v) == DECIDE_DENY &&
		      !strcmp(v.rule, "customers.acme.budget.per_day"), "rule %s", v.rule);
		decide_spent(b.lim, NULL, "acme", T0, &day, &month);
		CHECK(day == 12, "acme spent %g", day);
		/* A new UTC day starts at 0 (the month goes on). */
		CHECK(passes(&b, "alpha", "search", 2, T0 + 7200 * S, 0) == 2, "the next day");
		decide_spent(b.lim, "alpha", NULL, T0 + 7200 * S, &day, &month);
		CHECK(day == 8 && month == 16, "day %g month %g", day, month);
		unload(&b);
	}
	TEST_CASE("budgets: a report budget lets the call through and says so") {
		struct world b = {};

		CHECK(!load(&b, budget_policy, NULL), "load");
		decide_limiter_set_clock(b.lim, UTC_T0 * (long long)S - (long long)T0);
		CHECK(passes(&b, "gamma", "search", 3, T0, 0) == 3, "12 of 15");
		CHECK(call_at(&b, "gamma", "search", NULL, T0, &v) != DECIDE_DENY && v.budget_over &&
		      !strcmp(v.budget_rule, "agents.gamma.budget.per_month"),
		      "over %d rule %s", v.budget_over, v.budget_rule);
		unload(&b);
	}
	TEST_CASE("budgets: a call refused by a rate limit costs nothing; per-KiB cost is "
		  "charged apart; spends survive a reload") {
		struct world b = {}, b2 = {};
		struct identity id;
		double day, month;

		CHECK(!load(&b, budget_policy, NULL), "load");
		decide_limiter_set_clock(b.lim, UTC_T0 * (long long)S - (long long)T0);
		CHECK(call_at(&b, "alpha", "run_query", NULL, T0, &v) != DECIDE_DENY &&
		      v.cost_per_kib == 2, "first run_query: %s", v.message);
		CHECK(call_at(&b, "alpha", "run_query", NULL, T0, &v) == DECIDE_DENY &&
		      v.reason == DR_LIMITED, "second: %d", v.reason);
		decide_identity_of(b.dm, decide_agent_index(b.dm, "alpha"), IDM_API_KEY, &id);
		decide_charge(b.lim, b.dm, &id, 2.5 * 2, T0);
		decide_spent(b.lim, "alpha", NULL, T0, &day, &month);
		CHECK(day == 6, "1 + 2.5 KiB x 2 = 6, got %g", day);
		CHECK(!load(&b2, budget_policy, b.lim), "reload");
		decide_limiter_set_clock(b2.lim, UTC_T0 * (long long)S - (long long)T0);
		decide_spent(b2.lim, "alpha", NULL, T0, &day, &month);
		CHECK(day == 6, "after the reload %g", day);
		unload(&b2);
		unload(&b);
	}
	TEST_CASE("budgets: a call is charged as the budget passes it, refunded if limited") {
		struct world b = {};
		struct identity id;
		double day, month;

		CHECK(!load(&b, budget_policy, NULL), "load");
		decide_limiter_set_clock(b.lim, UTC_T0 * (long long)S - (long long)T0);
		decide_identity_of(b.dm, decide_agent_index(b.dm, "alpha"), IDM_API_KEY, &id);
		CHECK(budget_check(b.lim, b.dm, &id, 4, T0, &v) != DECIDE_DENY, "%s", v.message);
		decide_spent(b.lim, "alpha", NULL, T0, &day, &month);
		CHECK(day == 4 && month == 4, "charged with the check: %g %g", day, month);
		decide_spent(b.lim, NULL, "acme", T0, &day, &month);
		CHECK(day == 4, "the customer too: %g", day);
		decide_refund(b.lim, b.dm, &id, 4, T0);
		decide_spent(b.lim, "alpha", NULL, T0, &day, &month);
		CHECK(day == 0 && month == 0, "refunded: %g %g", day, month);
		unload(&b);
	}
	TEST_CASE("budgets: workers checking at once never pass more than the budget") {
		struct world b = {};
		struct racer r[4] = {};
		pthread_t t[4];
		int total = 0;

		CHECK(!load(&b, race_policy, NULL), "load");
		for (int i = 0; i < 4; i++) {
			r[i].w = &b;
			pthread_create(&t[i], NULL, race, &r[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			total += r[i].allowed;
		}
		CHECK(total == 3000, "%d calls passed a budget of 3000", total);
		unload(&b);
	}
	return test_finish();
}
