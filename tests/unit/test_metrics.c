// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_metrics.c - the request path's counters (user/sluiced/metrics.h):
 * shards of several threads add up, the series cap (last: it fills the shard) of a shard sends the
 * rest into "(overflow)" and counts it, label values are escaped in the
 * text format, the histogram is cumulative and cost keeps its fractions.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sluiced/metrics.h"

static struct usage_rec rec(const char *agent, const char *tool, enum usage_decision d,
			    double cost)
{
	struct usage_rec r = { .decision = d, .cost = cost };

	snprintf(r.agent, sizeof(r.agent), "%s", agent);
	snprintf(r.tool, sizeof(r.tool), "%s", tool);
	snprintf(r.customer, sizeof(r.customer), "acme");
	if (d != USAGE_ALLOWED)
		snprintf(r.reason, sizeof(r.reason), "%s", d == USAGE_LIMITED ? "limited" : "tool_denied");
	return r;
}

static uint64_t value_of(const struct metrics_snapshot *s, enum metrics_family f,
			 const char *l0, const char *l1, const char *l2)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->s[i].family == f && !strcmp(s->s[i].label[0], l0) &&
		    !strcmp(s->s[i].label[1], l1 ? l1 : "") && !strcmp(s->s[i].label[2], l2 ? l2 : ""))
			return s->s[i].v[0];
	return 0;
}

static void *worker(void *arg)
{
	struct usage_rec r = rec("bot", "get_pricing", USAGE_ALLOWED, 0.25);

	for (int i = 0; i < 1000; i++)
		metrics_call(&r, NULL);
	(void)arg;
	return NULL;
}

static size_t count_family(const struct metrics_snapshot *s, enum metrics_family f)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->s[i].family == f;
	return n;
}

int main(int argc, char **argv)
{
	struct metrics_snapshot snap = {};
	struct buf text = {};
	pthread_t th[4];

	(void)argc;
	test_init(argv[0]);
	TEST_CASE("four threads' shards add up (4 x 1000 calls, cost 4 x 250)") {
		for (int i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, worker, NULL);
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		CHECK(!metrics_snapshot(&snap), "snapshot");
		CHECK(value_of(&snap, MF_CALLS, "bot", "get_pricing", "allowed") == 4000, "calls %llu",
		      (unsigned long long)value_of(&snap, MF_CALLS, "bot", "get_pricing", "allowed"));
		CHECK(value_of(&snap, MF_COST, "bot", "acme", NULL) == 1000000000ull, "cost %llu",
		      (unsigned long long)value_of(&snap, MF_COST, "bot", "acme", NULL));
		metrics_snapshot_free(&snap);
	}
	TEST_CASE("a refusal counts by reason, a limited one by its limit; nobody is (nobody)") {
		struct usage_rec d = rec("", "update_account", USAGE_DENIED, 0);
		struct usage_rec l = rec("bot", "get_pricing", USAGE_LIMITED, 0);

		metrics_call(&d, NULL);
		metrics_call(&l, "plans.small.limits.read.per_minute");
		metrics_snapshot(&snap);
		CHECK(value_of(&snap, MF_CALLS, METRICS_NOBODY, "update_account", "denied") == 1, "nobody");
		CHECK(value_of(&snap, MF_REFUSALS, METRICS_NOBODY, "tool_denied", NULL) == 1, "reason");
		CHECK(value_of(&snap, MF_LIMITED, "bot", "plans.small.limits.read.per_minute", NULL) == 1,
		      "limit");
		metrics_snapshot_free(&snap);
	}
	TEST_CASE("the histogram is cumulative, +Inf is the count; label values are escaped") {
		metrics_exchange("b\"e\\x\n", 200, 3000000, NULL, NULL);	/* 3 ms */
		metrics_exchange("b\"e\\x\n", 502, 20000000000ull, NULL, NULL);	/* 20 s */
		metrics_snapshot(&snap);
		metrics_render(&snap, &text);
		buf_append(&text, "", 1);
		CHECK(strstr(buf_head(&text), "sluice_request_duration_seconds_bucket{backend=\"b\\\"e\\\\x\\n\","
			     "le=\"0.0025\"} 0\n"), "0.0025");
		CHECK(strstr(buf_head(&text), "le=\"0.005\"} 1\n"), "0.005");
		CHECK(strstr(buf_head(&text), "le=\"10\"} 1\n"), "10");
		CHECK(strstr(buf_head(&text), "le=\"+Inf\"} 2\n"), "+Inf");
		CHECK(strstr(buf_head(&text), "sluice_request_duration_seconds_count{backend=\"b\\\"e\\\\x\\n\"} 2"),
		      "count");
		CHECK(strstr(buf_head(&text), "sluice_answers_total{backend=\"b\\\"e\\\\x\\n\",class=\"5xx\"} 1"),
		      "class");
		CHECK(strstr(buf_head(&text), "sluice_cost_total{agent=\"bot\",customer=\"acme\"} 1000.000000"),
		      "cost text");
		buf_free(&text);
		metrics_snapshot_free(&snap);
	}
	TEST_CASE("past the shard's series cap: one (overflow) series, the overflow counted") {
		char tool[32];
		uint64_t before = metrics_overflow();
		size_t extra = 500;

		for (size_t i = 0; i < METRICS_SHARD_SERIES + extra; i++) {
			struct usage_rec r;

			snprintf(tool, sizeof(tool), "t%zu", i);
			r = rec("many", tool, USAGE_ALLOWED, 0);
			metrics_call(&r, NULL);
		}
		metrics_snapshot(&snap);
		CHECK(count_family(&snap, MF_CALLS) <= METRICS_SHARD_SERIES + 1, "%zu series",
		      count_family(&snap, MF_CALLS));
		CHECK(value_of(&snap, MF_CALLS, METRICS_OVERFLOW, METRICS_OVERFLOW, METRICS_OVERFLOW) ==
		      metrics_overflow() - before, "overflow series %llu, counted %llu",
		      (unsigned long long)value_of(&snap, MF_CALLS, METRICS_OVERFLOW, METRICS_OVERFLOW,
						   METRICS_OVERFLOW),
		      (unsigned long long)(metrics_overflow() - before));
		CHECK(metrics_overflow() - before >= extra, "overflow %llu",
		      (unsigned long long)(metrics_overflow() - before));
		metrics_snapshot_free(&snap);
	}
	metrics_free();
	return test_finish();
}
