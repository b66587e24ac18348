// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_escalation.c - the counters that ban an agent that keeps being
 * refused (policy/escalation.h), with an injected clock: no sockets, no
 * sleeps.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "policy/escalation.h"
#include "policy/policy.h"

#define S 1000000000ull
#define T0 (1000 * S)	/* any monotonic time well past 0 */

static const char policy_text[] =
	"{ \"version\": 1,\n"
	"  \"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" } },\n"
	"  \"escalation\": { \"limited\": { \"count\": 5, \"within_s\": 10 },\n"
	"                  \"denied\": { \"count\": 3, \"within_s\": 60 }, \"ban_s\": 30 },\n"
	"  \"plans\": {\n"
	"    \"strict\": { \"escalation\": { \"denied\": { \"count\": 2, \"within_s\": 5 },\n"
	"                                  \"ban_s\": 600 } },\n"
	"    \"plain\": {} },\n"
	"  \"agents\": {\n"
	"    \"alpha\": { \"sources\": [\"198.18.0.1\"], \"plan\": \"plain\" },\n"
	"    \"beta\": { \"sources\": [\"198.18.0.2\"], \"plan\": \"strict\" },\n"
	"    \"gamma\": { \"sources\": [\"198.18.0.3\"] } } }\n";

static struct policy *load(const char *text)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;
	int ret = policy_parse(text, strlen(text), &pol, &errs);

	CHECK(!ret, "policy: %d, %s", ret, errs.n ? errs.v[0].msg : "");
	pol_errors_free(&errs);
	return pol;
}

static int agent_index(const struct policy *pol, const char *name)
{
	for (size_t i = 0; i < pol->n_agents; i++)
		if (!strcmp(pol->agents[i].name, name))
			return (int)i;
	return -1;
}

/* Notes @n refusals @step_ns apart from @t; how many tripped, and when the first did. */
static int note_n(struct esc_table *t, int agent, enum esc_kind kind, int n, __u64 t0,
		  __u64 step_ns, int *first_trip)
{
	struct esc_trip trip;
	int trips = 0;

	*first_trip = -1;
	for (int i = 0; i < n; i++)
		if (esc_note(t, agent, kind, t0 + (__u64)i * step_ns, &trip)) {
			if (*first_trip < 0)
				*first_trip = i;
			trips++;
		}
	return trips;
}

static void test_window(void)
{
	struct esc_rule r = { 4, 16 };	/* a step is 1 s */

	TEST_CASE("window: trips at the count within the window, then starts over") {
		struct esc_window w = {};

		CHECK(!esc_window_note(&w, &r, T0), "1");
		CHECK(!esc_window_note(&w, &r, T0 + 1 * S), "2");
		CHECK(!esc_window_note(&w, &r, T0 + 2 * S), "3");
		CHECK(esc_window_note(&w, &r, T0 + 3 * S), "the 4th within 16 s trips");
		CHECK(esc_window_count(&w, &r, T0 + 3 * S) == 0, "emptied after the trip");
	}
	TEST_CASE("window: refusals spread wider than within_s never trip") {
		struct esc_window w = {};
		bool tripped = false;

		/* one every 6 s: never 4 within 16 s */
		for (int i = 0; i < 100; i++)
			tripped |= esc_window_note(&w, &r, T0 + (__u64)i * 6 * S);
		CHECK(!tripped, "tripped with 1 refusal every 6 s against 4 in 16 s");
	}
	TEST_CASE("window: a refusal older than within_s is forgotten") {
		struct esc_window w = {};

		for (int i = 0; i < 3; i++)
			esc_window_note(&w, &r, T0 + (__u64)i * S);
		CHECK(esc_window_count(&w, &r, T0 + 2 * S) == 3, "3 held");
		CHECK(esc_window_count(&w, &r, T0 + 16 * S) == 2, "the first gone after 16 s: %u",
		      esc_window_count(&w, &r, T0 + 16 * S));
		CHECK(esc_window_count(&w, &r, T0 + 40 * S) == 0, "all gone after 40 s");
		CHECK(!esc_window_note(&w, &r, T0 + 40 * S), "a fresh start");
	}
	TEST_CASE("window: a count of 0 never trips") {
		struct esc_window w = {};
		struct esc_rule none = { 0, 10 };

		CHECK(!esc_window_note(&w, &none, T0), "tripped");
	}
}

static void test_kinds(void)
{
	enum esc_kind k;

	TEST_CASE("kinds: a rate limit counts as limited, rule refusals as denied") {
		CHECK(esc_kind_of(DR_LIMITED, &k) && k == ESC_LIMITED, "limited");
		CHECK(esc_kind_of(DR_TOOL_DENIED, &k) && k == ESC_DENIED, "tool");
		CHECK(esc_kind_of(DR_ARGUMENT, &k) && k == ESC_DENIED, "argument");
		CHECK(esc_kind_of(DR_SCOPE, &k) && k == ESC_DENIED, "scope");
		CHECK(esc_kind_of(DR_UNKNOWN_TOOL, &k) && k == ESC_DENIED, "unknown tool");
	}
	TEST_CASE("kinds: unknown callers, malformed messages, budgets and failures do not count") {
		CHECK(!esc_kind_of(DR_UNATTRIBUTED, &k), "unattributed");
		CHECK(!esc_kind_of(DR_INVALID, &k), "invalid");
		CHECK(!esc_kind_of(DR_BUDGET, &k), "budget");
		CHECK(!esc_kind_of(DR_INTERNAL, &k), "internal");
		CHECK(!esc_kind_of(DR_NONE, &k), "none");
	}
}

static void test_table(void)
{
	struct policy *pol = load(policy_text);
	struct esc_table *t = pol ? esc_table_new(pol) : NULL;
	int alpha = pol ? agent_index(pol, "alpha") : -1;
	int beta = pol ? agent_index(pol, "beta") : -1;
	int gamma = pol ? agent_index(pol, "gamma") : -1;
	int first;

	CHECK(t && alpha >= 0 && beta >= 0 && gamma >= 0, "table");
	if (!t)
		goto out;
	TEST_CASE("table: a plan's escalation replaces the top level's for its agents") {
		const struct esc_config *a = esc_config_of(t, alpha), *b = esc_config_of(t, beta);

		CHECK(a->ban_s == 30 && a->rule[ESC_LIMITED].count == 5 &&
		      a->rule[ESC_DENIED].count == 3, "alpha: %u %u %u", a->ban_s,
		      a->rule[ESC_LIMITED].count, a->rule[ESC_DENIED].count);
		CHECK(b->ban_s == 600 && !b->rule[ESC_LIMITED].count &&
		      b->rule[ESC_DENIED].count == 2 && b->rule[ESC_DENIED].within_s == 5,
		      "beta: %u %u %u", b->ban_s, b->rule[ESC_LIMITED].count,
		      b->rule[ESC_DENIED].count);
		CHECK(esc_config_of(t, gamma)->ban_s == 30, "gamma (no plan): the top level's");
	}
	TEST_CASE("table: the 5th limited answer within 10 s trips once, with the ban") {
		struct esc_trip trip;

		CHECK(note_n(t, alpha, ESC_LIMITED, 5, T0, S / 10, &first) == 1 && first == 4,
		      "first trip at %d", first);
		CHECK(!esc_note(t, alpha, ESC_LIMITED, T0 + S, &trip), "started over");
		for (int i = 0; i < 3; i++)
			esc_note(t, alpha, ESC_LIMITED, T0 + S, &trip);
		CHECK(esc_note(t, alpha, ESC_LIMITED, T0 + S, &trip), "again");
		CHECK(trip.kind == ESC_LIMITED && trip.count == 5 && trip.within_s == 10 &&
		      trip.ban_s == 30, "trip %d %u %u %u", trip.kind, trip.count, trip.within_s,
		      trip.ban_s);
	}
	TEST_CASE("table: the kinds count apart") {
		CHECK(note_n(t, gamma, ESC_LIMITED, 4, T0, S, &first) == 0, "4 limited");
		CHECK(note_n(t, gamma, ESC_DENIED, 2, T0, S, &first) == 0, "2 denied");
		CHECK(note_n(t, gamma, ESC_DENIED, 1, T0 + 3 * S, S, &first) == 1, "3rd denied");
	}
	TEST_CASE("table: agents count apart (identity, not a shared counter)") {
		CHECK(note_n(t, beta, ESC_DENIED, 1, T0, S, &first) == 0, "beta 1");
		CHECK(note_n(t, alpha, ESC_DENIED, 2, T0, S, &first) == 0, "alpha 2");
		CHECK(note_n(t, beta, ESC_DENIED, 1, T0 + S, S, &first) == 1, "beta's 2nd trips");
		CHECK(note_n(t, beta, ESC_LIMITED, 50, T0, S / 100, &first) == 0,
		      "beta's plan has no limited rule");
	}
	TEST_CASE("table: an agent out of range or without escalation never trips") {
		struct esc_trip trip;

		CHECK(!esc_note(t, -1, ESC_DENIED, T0, &trip), "-1");
		CHECK(!esc_note(t, 99, ESC_DENIED, T0, &trip), "99");
	}
out:
	esc_table_free(t);
	policy_free(pol);
}

/* A reload keeps the counts of agents whose rule stayed. */
static void test_carry(void)
{
	struct policy *p1 = load(policy_text), *p2 = load(policy_text);
	struct esc_table *t1 = p1 ? esc_table_new(p1) : NULL, *t2 = p2 ? esc_table_new(p2) : NULL;
	int first;

	CHECK(t1 && t2, "tables");
	if (t1 && t2)
		TEST_CASE("carry: counts survive a reload with the same rule") {
			int alpha = agent_index(p1, "alpha");

			note_n(t1, alpha, ESC_LIMITED, 4, T0, S / 10, &first);
			esc_table_carry(t2, t1);
			CHECK(note_n(t2, agent_index(p2, "alpha"), ESC_LIMITED, 1, T0 + S, S,
				     &first) == 1, "the 5th after the reload trips");
		}
	esc_table_free(t1);
	esc_table_free(t2);
	policy_free(p1);
	policy_free(p2);
}

struct racer {
	struct esc_table *t;
	int agent, trips;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct esc_trip trip;

	for (int i = 0; i < 1000; i++)
		r->trips += esc_note(r->t, r->agent, ESC_LIMITED, T0 + S, &trip);
	return NULL;
}

/* Threads counting at once: every refusal counted, each trip once. */
static void test_threads(void)
{
	struct policy *pol = load(policy_text);
	struct esc_table *t = pol ? esc_table_new(pol) : NULL;
	struct racer r[4];
	pthread_t th[4];
	int trips = 0;

	if (!t) {
		policy_free(pol);
		return;
	}
	TEST_CASE("threads: 4000 limited answers at once trip exactly 800 times (5 each)") {
		for (int i = 0; i < 4; i++) {
			r[i] = (struct racer){ t, agent_index(pol, "alpha"), 0 };
			pthread_create(&th[i], NULL, race, &r[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			trips += r[i].trips;
		}
		CHECK(trips == 800, "%d trips", trips);
	}
	esc_table_free(t);
	policy_free(pol);
}

int main(void)
{
	test_window();
	test_kinds();
	test_table();
	test_carry();
	test_threads();
	return test_finish();
}
