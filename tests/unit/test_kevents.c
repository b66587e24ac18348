// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_kevents.c - kernel events as audit records (user/sluiced/kevents.c):
 * CLOCK_MONOTONIC stamps become wall time through a sampled offset; events
 * fold into one summary per (source, verdict, reason, agent) and period,
 * each event counting itself only (the BPF limiter's fold mixes sources);
 * per drop reason, the kernel's count beyond the events seen is one
 * "unsampled" line, and over periods the lines add up to the kernel's
 * count; past KEV_KEYS sources the rest is one "other" line; an empty
 * period says nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <cjson/cJSON.h>

#include "check.h"
#include "sluiced/kevents.h"

static cJSON *lines[KEV_KEYS + 16];
static size_t n_lines;

static void collect(const char *json)
{
	if (n_lines < sizeof(lines) / sizeof(lines[0]))
		lines[n_lines++] = cJSON_Parse(json);
}

static void clear(void)
{
	for (size_t i = 0; i < n_lines; i++)
		cJSON_Delete(lines[i]);
	n_lines = 0;
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct sl_event event(const char *src, __u8 reason, __u32 suppressed, uint64_t ts)
{
	struct sl_event e = { .ts_ns = ts, .ifindex = 1, .suppressed = suppressed,
			      .verdict = SL_VERDICT_DROP, .reason = reason, .family = SL_AF_INET };

	inet_pton(AF_INET, src, e.saddr);
	return e;
}

static const cJSON *line_for(const char *src, const char *reason)
{
	for (size_t i = 0; i < n_lines; i++) {
		const cJSON *s = cJSON_GetObjectItem(lines[i], "source");
		const cJSON *r = cJSON_GetObjectItem(lines[i], "reason");

		if (cJSON_IsString(s) && !strcmp(s->valuestring, src) && cJSON_IsString(r) &&
		    !strcmp(r->valuestring, reason))
			return lines[i];
	}
	return NULL;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* "2026-12-03T07:01:02.345Z" back to ns. */
static uint64_t parse_time(const char *s)
{
	struct tm tm = {};
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!rest || *rest != '.')
		return 0;
	return (uint64_t)timegm(&tm) * 1000000000ull + strtoull(rest + 1, NULL, 10) * 1000000ull;
}

int main(int argc, char **argv)
{
	struct kevents *k;
	struct sl_event e;

	(void)argc;
	test_init(argv[0]);

	/* Each conversion is tried up to 5 times: a preemption between the
	 * clock reads (a busy machine) moves one try by milliseconds, while a
	 * wrong conversion is wrong every time. */
	TEST_CASE("a CLOCK_MONOTONIC time converts to the wall clock within a millisecond") {
		int64_t diff = 0;

		for (int t = 0; t < 5; t++) {
			int64_t off = kev_clock_offset();
			uint64_t wall = kev_wall_ns(clock_ns(CLOCK_MONOTONIC), off);

			diff = (int64_t)(clock_ns(CLOCK_REALTIME) - wall);
			if (diff > -1000000 && diff < 1000000)
				break;
		}
		CHECK(diff > -1000000 && diff < 1000000, "off by %lld ns", (long long)diff);
	}

	/* The coarse clock lags the fine one by up to a tick, more on a
	 * tickless idle CPU (6 ms at HZ=250 seen here): the stamp converts to
	 * the wall time of its own instant, i.e. now minus that lag. */
	TEST_CASE("a coarse stamp (bpf_ktime_get_coarse_ns) converts to its own instant") {
		int64_t err = 0, lag = 0;

		for (int t = 0; t < 5; t++) {
			int64_t off = kev_clock_offset();
			uint64_t coarse = clock_ns(CLOCK_MONOTONIC_COARSE);
			uint64_t fine = clock_ns(CLOCK_MONOTONIC);
			uint64_t wall = kev_wall_ns(coarse, off);

			lag = (int64_t)(fine - coarse);
			err = (int64_t)(clock_ns(CLOCK_REALTIME) - wall) - lag;
			if (err > -1000000 && err < 1000000)
				break;
		}
		CHECK(err > -1000000 && err < 1000000, "off by %lld ns beyond the coarse clock's "
		      "lag of %lld ns", (long long)err, (long long)lag);
	}

	TEST_CASE("the offset is sampled, not assumed: it is realtime minus monotonic") {
		int64_t off = kev_clock_offset();
		int64_t naive = (int64_t)clock_ns(CLOCK_REALTIME) - (int64_t)clock_ns(CLOCK_MONOTONIC);

		CHECK(off != 0, "zero offset");
		CHECK(llabs(off - naive) < 1000000, "offset %lld vs %lld", (long long)off,
		      (long long)naive);
		CHECK(kev_wall_ns(5000000000ull, 1764745257345000000ll) == 1764745262345000000ull,
		      "arithmetic");
	}

	TEST_CASE("wall time prints as ISO 8601 UTC with milliseconds") {
		char at[40];

		kev_format_time(1764745262345999999ull, at, sizeof(at));
		CHECK(!strcmp(at, "2025-12-03T07:01:02.345Z"), "%s", at);
	}

	k = kevents_new(NULL, collect);
	TEST_CASE("events fold into one summary per source and reason, suppressed counts added") {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);

		e = event("127.9.9.9", SL_REASON_DENY, 0, now - 500000000);
		kevents_on_event(k, &e, sizeof(e));
		e = event("127.9.9.9", SL_REASON_DENY, 10, now - 300000000);
		kevents_on_event(k, &e, sizeof(e));
		e = event("127.9.9.9", SL_REASON_DENY, 5, now - 100000000);
		kevents_on_event(k, &e, sizeof(e));
		e = event("127.9.9.8", SL_REASON_DENY, 7, now - 100000000);
		kevents_on_event(k, &e, sizeof(e));
		e = event("127.9.9.9", SL_REASON_SYN_SOURCE, 0, now - 100000000);
		kevents_on_event(k, &e, sizeof(e));
		kevents_flush(k);
		const cJSON *a = line_for("127.9.9.9", "deny");
		const cJSON *b = line_for("127.9.9.8", "deny");
		const cJSON *c = line_for("127.9.9.9", "syn_source");

		CHECK(n_lines == 3, "%zu summaries", n_lines);
		CHECK(a && num(a, "count") == 3, "127.9.9.9: count %g, the folds not on it",
		      a ? num(a, "count") : -1);
		CHECK(b && num(b, "count") == 1, "127.9.9.8");
		CHECK(c && num(c, "count") == 1, "the other reason");
		CHECK(a && !strcmp(cJSON_GetObjectItem(a, "event")->valuestring,
				   "kernel_drop_summary"), "event name");
		CHECK(a && !strcmp(cJSON_GetObjectItem(a, "verdict")->valuestring, "drop"),
		      "verdict");
		if (a) {
			uint64_t first = parse_time(cJSON_GetObjectItem(a, "first")->valuestring);
			uint64_t last = parse_time(cJSON_GetObjectItem(a, "last")->valuestring);
			uint64_t real = clock_ns(CLOCK_REALTIME);
			int64_t d1 = (int64_t)(real - first), d2 = (int64_t)(real - last);

			CHECK(d1 > 490000000 && d1 < 560000000, "first is %lld ms ago, want 500",
			      (long long)(d1 / 1000000));
			CHECK(d2 > 90000000 && d2 < 160000000, "last is %lld ms ago, want 100",
			      (long long)(d2 / 1000000));
		}
		clear();
	}

	TEST_CASE("a period without events says nothing") {
		kevents_flush(k);
		CHECK(n_lines == 0, "%zu lines", n_lines);
		clear();
	}

	TEST_CASE("a flood from more sources than the table holds ends in one \"other\" line") {
		char src[32];

		for (unsigned int i = 0; i < KEV_KEYS + 10; i++) {
			snprintf(src, sizeof(src), "127.%u.%u.1", i / 256, i % 256);
			e = event(src, SL_REASON_DENY, 1, clock_ns(CLOCK_MONOTONIC));
			kevents_on_event(k, &e, sizeof(e));
		}
		kevents_flush(k);
		const cJSON *o = line_for("other", "(many)");
		double total = 0;

		for (size_t i = 0; i < n_lines; i++)
			total += num(lines[i], "count");
		CHECK(n_lines == KEV_KEYS + 1, "%zu lines", n_lines);
		CHECK(o && num(o, "count") == 10, "other: %g", o ? num(o, "count") : -1);
		CHECK(total == 1.0 * (KEV_KEYS + 10), "total %g", total);
		clear();
	}

	TEST_CASE("what the kernel counted and sent no event for is one \"unsampled\" line a reason") {
		uint64_t counts[SL_REASON_MAX] = { [SL_REASON_ALLOWED] = 500, [SL_REASON_DENY] = 40 };
		uint64_t total_deny = 0, total_syn = 0;

		kevents_rebase_counts(k, counts);
		/* Period 1: 100 deny drops, 2 of them sent as events; 7 syn_source
		 * drops, 3 sent, one more still in the ring; packets allowed. */
		counts[SL_REASON_DENY] += 100;
		counts[SL_REASON_SYN_SOURCE] += 7;
		counts[SL_REASON_ALLOWED] += 1000;
		e = event("127.9.9.9", SL_REASON_DENY, 60, clock_ns(CLOCK_MONOTONIC));
		kevents_on_event(k, &e, sizeof(e));
		e = event("127.9.9.8", SL_REASON_DENY, 30, clock_ns(CLOCK_MONOTONIC));
		kevents_on_event(k, &e, sizeof(e));
		for (int i = 0; i < 3; i++) {
			e = event("127.9.9.7", SL_REASON_SYN_SOURCE, 0, clock_ns(CLOCK_MONOTONIC));
			kevents_on_event(k, &e, sizeof(e));
		}
		kevents_flush_counts(k, counts);
		const cJSON *u = line_for("unsampled", "deny");
		const cJSON *s = line_for("unsampled", "syn_source");

		CHECK(u && num(u, "count") == 98, "deny unsampled: %g", u ? num(u, "count") : -1);
		CHECK(s && num(s, "count") == 4, "syn_source unsampled: %g", s ? num(s, "count") : -1);
		CHECK(!line_for("unsampled", "allowed"), "no line for packets let through");
		CHECK(n_lines == 5, "%zu lines: 3 sources, 2 unsampled", n_lines);
		for (size_t i = 0; i < n_lines; i++)
			if (!strcmp(cJSON_GetObjectItem(lines[i], "reason")->valuestring, "deny"))
				total_deny += (uint64_t)num(lines[i], "count");
			else
				total_syn += (uint64_t)num(lines[i], "count");
		clear();
		/* Period 2: the event left in the ring is read now, with no new
		 * drop: it is a source line, and nothing is counted twice. */
		e = event("127.9.9.7", SL_REASON_SYN_SOURCE, 0, clock_ns(CLOCK_MONOTONIC));
		kevents_on_event(k, &e, sizeof(e));
		kevents_flush_counts(k, counts);
		CHECK(n_lines == 1 && line_for("127.9.9.7", "syn_source"), "%zu lines", n_lines);
		total_syn += n_lines ? (uint64_t)num(lines[0], "count") : 0;
		clear();
		/* Period 3: 10 more, no event: 9 unsampled, the late event having been
		 * in period 1's unsampled count already. */
		counts[SL_REASON_SYN_SOURCE] += 10;
		kevents_flush_counts(k, counts);
		s = line_for("unsampled", "syn_source");
		CHECK(s && num(s, "count") == 9, "the early event is not counted twice: %g",
		      s ? num(s, "count") : -1);
		total_syn += s ? (uint64_t)num(s, "count") : 0;
		CHECK(total_deny == 100, "deny lines add up to the kernel's 100: %llu",
		      (unsigned long long)total_deny);
		CHECK(total_syn == 17, "syn_source lines add up to the kernel's 17: %llu",
		      (unsigned long long)total_syn);
		clear();
		/* Counters that went back (maps replaced): no line, no wrap. */
		counts[SL_REASON_DENY] = 3;
		kevents_flush_counts(k, counts);
		CHECK(n_lines == 0, "%zu lines", n_lines);
		kevents_rebase_counts(k, NULL);
		clear();
	}

	TEST_CASE("a short event is ignored") {
		kevents_on_event(k, &e, sizeof(e) - 1);
		kevents_flush(k);
		CHECK(n_lines == 0, "%zu lines", n_lines);
		clear();
	}
	kevents_free(k);
	return test_finish();
}
