// SPDX-License-Identifier: GPL-2.0-only
/* test_gateway.c - connection limits, the session table shared by workers, and the
 * judgement of the backend's requests to the agent in its SSE events (sreq.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sluiced/admit.h"
#include "sluiced/sessions.h"
#include "sluiced/sreq.h"

static struct net_addr v4(unsigned int n)
{
	struct net_addr a = {};
	struct sockaddr_in *s = (struct sockaddr_in *)&a.ss;

	s->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(0xc6120000u + n);	/* 198.18.0.0/15 */
	a.len = sizeof(*s);
	return a;
}

static void test_source_slots_recycled(void)
{
	struct gw_config cfg = { .max_connections = 100000, .max_connections_per_source = 2 };
	int why = 0;
	bool all = true;

	TEST_CASE("20000 distinct sources over time, one at a time: every one admitted") {
		for (unsigned int i = 0; i < 20000 && all; i++) {
			struct net_addr a = v4(i);

			all = admit_conn(&cfg, &a, &why);
			admit_release(&a);
		}
		CHECK(all, "a source was refused with %d after earlier ones left", why);
	}
}

static void test_per_source_limit(void)
{
	struct gw_config cfg = { .max_connections = 100000, .max_connections_per_source = 2 };
	struct net_addr a = v4(7), b = v4(8);
	int why = 0;

	TEST_CASE("per-source limit: the third connection is 429, others unaffected") {
		CHECK(admit_conn(&cfg, &a, &why) && admit_conn(&cfg, &a, &why), "first two");
		CHECK(!admit_conn(&cfg, &a, &why) && why == 429, "third: %d", why);
		CHECK(admit_conn(&cfg, &b, &why), "another source");
		admit_release(&a);
		CHECK(admit_conn(&cfg, &a, &why), "after one left");
		admit_release(&a);
		admit_release(&a);
		admit_release(&b);
	}
}

static void test_total_limit(void)
{
	struct gw_config cfg = { .max_connections = 2, .max_connections_per_source = 2 };
	struct net_addr a = v4(11), b = v4(12), c = v4(13);
	int why = 0;

	TEST_CASE("total limit: past max_connections any source gets 503") {
		CHECK(admit_conn(&cfg, &a, &why) && admit_conn(&cfg, &b, &why), "first two");
		CHECK(!admit_conn(&cfg, &c, &why) && why == 503, "third: %d", why);
		admit_release(&a);
		CHECK(admit_conn(&cfg, &c, &why), "after one left");
		admit_release(&b);
		admit_release(&c);
	}
}

/* Many live sources, released in an order that breaks probe runs. */
static void test_release_keeps_others_findable(void)
{
	struct gw_config cfg = { .max_connections = 100000, .max_connections_per_source = 1 };
	int why = 0;
	bool ok = true;

	TEST_CASE("releasing sources keeps the others' counts (backward-shift deletion)") {
		for (unsigned int i = 0; i < 3000; i++) {
			struct net_addr a = v4(i);

			ok &= admit_conn(&cfg, &a, &why);
		}
		for (unsigned int i = 0; i < 3000; i += 2) {
			struct net_addr a = v4(i);

			admit_release(&a);
		}
		/* Odd ones are still counted: a second connection each is refused. */
		for (unsigned int i = 1; i < 3000 && ok; i += 2) {
			struct net_addr a = v4(i);

			ok &= !admit_conn(&cfg, &a, &why) && why == 429;
		}
		CHECK(ok, "a live source's count was lost");
		for (unsigned int i = 1; i < 3000; i += 2) {
			struct net_addr a = v4(i);

			admit_release(&a);
		}
	}
}

/* --- the session table, on an injected clock ---------------------------------------- */

static uint64_t fake_now_ms;

static uint64_t fake_clock(void)
{
	return fake_now_ms;
}

static const struct session s_main = { .backend = "main" };

/* A fresh table at time 0 with @n sessions "s0".."s<n-1>". */
static bool sessions_fill(const struct session_limits *lim, unsigned int n)
{
	char id[32];
	bool ok = true;

	sessions_clear();
	fake_now_ms = 0;
	for (unsigned int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "s%u", i);
		ok = ok && !sessions_put(id, &s_main, 0, lim);
	}
	return ok;
}

static bool known(const char *id)
{
	struct session got;

	return sessions_use(id, 1000, false, &got) && !strcmp(got.backend, "main");
}

static void test_sessions_full(void)
{
	const struct session_limits lim = { .max = 1000, .idle_ms = 1000 };
	int err;

	TEST_CASE("a full session table refuses a new session and keeps every old one") {
		CHECK(sessions_fill(&lim, 1000), "filling 1000 sessions failed");
		err = sessions_put("new", &s_main, 0, &lim);
		CHECK(err == -ENOSPC, "the 1001st session: %d, want -ENOSPC", err);
		CHECK(sessions_reserve(&lim) == -ENOSPC, "a reservation past the limit");
		CHECK(known("s0") && known("s999"), "an old session was evicted");
		CHECK(!known("new"), "the refused session is there");
		CHECK(!sessions_put("s5", &s_main, 0, &lim), "an existing id is no new session");
	}
	TEST_CASE("reserved slots count: an answer fills one, an unused one is given back") {
		const struct session_limits two = { .max = 2, .idle_ms = 1000 };

		sessions_fill(&two, 0);
		CHECK(!sessions_reserve(&two) && !sessions_reserve(&two), "two reservations");
		CHECK(sessions_reserve(&two) == -ENOSPC, "a third reservation");
		CHECK(sessions_put("x", &s_main, 0, &two) == -ENOSPC, "a put past the reservations");
		CHECK(!sessions_put("a", &s_main, SESSION_RESERVED, &two), "a reserved put");
		sessions_unreserve();
		CHECK(!sessions_reserve(&two), "the released slot is free again");
		/* A reservation whose answer names a known id is spent all the same. */
		CHECK(!sessions_put("a", &s_main, SESSION_RESERVED, &two), "a reserved put, known id");
		CHECK(!sessions_put("b", &s_main, 0, &two), "the spent reservation's slot");
	}
}

static void test_sessions_expiry(void)
{
	const struct session_limits lim = { .max = 3, .idle_ms = 1000 };
	struct session got;

	TEST_CASE("an idle session expires after session_idle_ms; each use restarts the clock") {
		sessions_fill(&lim, 1);
		fake_now_ms = 999;
		CHECK(known("s0"), "expired before session_idle_ms");
		fake_now_ms = 1998;
		CHECK(known("s0"), "a use did not restart the idle clock");
		fake_now_ms = 2998;
		CHECK(!known("s0"), "still known 1000 ms after its last use");
	}
	TEST_CASE("a session with an open stream never expires; its idle clock starts when the last ends") {
		sessions_fill(&lim, 1);
		CHECK(sessions_use("s0", 1000, true, &got) && sessions_use("s0", 1000, true, &got),
		      "two streams opened");
		fake_now_ms = 100000;
		sessions_stream_end("s0", 1000);
		fake_now_ms = 200000;
		CHECK(sessions_use("s0", 1000, false, &got), "expired with a stream still open");
		sessions_stream_end("s0", 1000);
		fake_now_ms = 200999;
		CHECK(known("s0"), "expired before session_idle_ms after its last stream");
		fake_now_ms = 201999;
		CHECK(!known("s0"), "still known session_idle_ms after its last stream ended");
	}
	TEST_CASE("a full table drops expired sessions to make room, never one with an open stream") {
		sessions_fill(&lim, 2);
		CHECK(sessions_use("s0", 1000, true, &got), "a stream opened");
		CHECK(!sessions_put("legacy", &s_main, SESSION_STREAM, &lim), "a legacy session");
		fake_now_ms = 5000;
		CHECK(!sessions_put("new", &s_main, 0, &lim), "no room made: s1 expired");
		CHECK(sessions_put("new2", &s_main, 0, &lim) == -ENOSPC, "past the limit");
		CHECK(sessions_use("s0", 1000, false, &got) && sessions_use("legacy", 1000, false, &got),
		      "a session with an open stream was dropped");
		CHECK(!known("s1"), "the expired session is still known");
	}
}

static void test_sessions_ids(void)
{
	const struct session_limits lim = { .max = 8, .idle_ms = 1000 };
	char id[SL_SESSION_ID_MAX + 1];

	TEST_CASE("session ids: visible ASCII under SL_SESSION_ID_MAX bytes; delete forgets") {
		sessions_fill(&lim, 0);
		memset(id, 'a', SL_SESSION_ID_MAX);
		id[SL_SESSION_ID_MAX] = '\0';
		CHECK(sessions_put(id, &s_main, 0, &lim) == -EINVAL, "a too long id");
		CHECK(sessions_put("", &s_main, 0, &lim) == -EINVAL, "an empty id");
		CHECK(sessions_put("a\nb", &s_main, 0, &lim) == -EINVAL, "an id with an LF");
		CHECK(sessions_put("a b", &s_main, 0, &lim) == -EINVAL, "an id with a space");
		CHECK(!sessions_put("ok", &s_main, 0, &lim) && known("ok"), "a good id");
		sessions_del("ok");
		CHECK(!known("ok"), "deleted, still known");
	}
	TEST_CASE("sessionId in a legacy message URL: visible ASCII only") {
		char out[SL_SESSION_ID_MAX];

		CHECK(sessions_query_id("/m?a=1&sessionId=abc&b=2", out, sizeof(out)) &&
		      !strcmp(out, "abc"), "abc not found");
		CHECK(!sessions_query_id("/m?sessionId=ab\ncd", out, sizeof(out)), "an LF accepted");
		CHECK(!sessions_query_id("/m?sessionId=", out, sizeof(out)), "an empty id accepted");
		CHECK(!sessions_query_id("/m?x=1", out, sizeof(out)), "no sessionId, found one");
	}
}

/* --- the backend's requests to the agent (sreq.h) ---------------------------------- */

static const char sreq_policy[] =
	"{\"version\":1,\"backends\":{\"main\":{\"url\":\"http://127.0.0.1:9000/mcp\"}},"
	"\"agents\":{\"bot\":{\"keys_sha256\":[\"1f0247d311289d2506bed7b90371d7a85bc9bd7365cd"
	"049ff5a4cb3848206d2e\"],\"server_requests\":[\"roots\"]},"
	"\"all\":{\"sources\":[\"198.18.0.9\"],"
	"\"server_requests\":[\"sampling\",\"elicitation\",\"roots\"]}}}";

#define SAMPLING_REQ "{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"sampling/createMessage\"," \
	"\"params\":{}}"
#define ROOTS_REQ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"roots/list\"}"
#define PROGRESS "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"," \
	"\"params\":{\"progressToken\":1,\"progress\":1}}"

/* Judges @data for @agent; the outcome, the event's data after it, the refusals. */
static int sreq_run_as(const struct gw_policy *gp, const char *agent, const char *data,
		       struct buf *out, struct sreq_refusals *r)
{
	struct identity id;

	decide_identity_of(gp->model, decide_agent_index(gp->model, agent), IDM_API_KEY, &id);
	buf_reset(out);
	buf_puts(out, data);
	return sreq_judge(gp, &id, out, r);
}

static int sreq_run(const struct gw_policy *gp, const char *data, struct buf *out,
		    struct sreq_refusals *r)
{
	return sreq_run_as(gp, "bot", data, out, r);
}

static void test_server_requests(void)
{
	struct policy *pol = NULL;
	struct gw_policy *gp = NULL;
	struct sreq_refusals r = {};
	struct buf data = {};
	char err[256] = "";
	int ret;

	policy_parse(sreq_policy, strlen(sreq_policy), &pol, NULL);
	if (pol)
		gp = gw_policy_build(pol, NULL, err, sizeof(err));
	CHECK(gp, "policy: %s", err);
	if (!gp)
		return;
	TEST_CASE("a sampling request to an agent without \"sampling\": dropped, answered -32010") {
		ret = sreq_run(gp, SAMPLING_REQ, &data, &r);
		CHECK(ret == SREQ_DROP && r.n == 1 && !strcmp(r.method, "sampling/createMessage") &&
		      strstr(r.answers[0], "\"id\":\"s1\"") &&
		      strstr(r.answers[0], "\"code\":-32010") &&
		      strstr(r.answers[0], "agents.bot.server_requests"),
		      "ret %d n %zu %s", ret, r.n, r.n ? r.answers[0] : "");
		sreq_refusals_free(&r);
	}
	TEST_CASE("roots/list, which the agent allows, and a notification: relayed as they are") {
		ret = sreq_run(gp, ROOTS_REQ, &data, &r);
		CHECK(ret == SREQ_RELAY && !r.n, "roots: ret %d n %zu", ret, r.n);
		sreq_refusals_free(&r);
		ret = sreq_run(gp, PROGRESS, &data, &r);
		CHECK(ret == SREQ_RELAY && !r.n, "progress: ret %d n %zu", ret, r.n);
		sreq_refusals_free(&r);
	}
	TEST_CASE("a batch loses its refused request only; a batch of refused requests only is dropped") {
		ret = sreq_run(gp, "[" PROGRESS "," SAMPLING_REQ "," ROOTS_REQ "]", &data, &r);
		CHECK(ret == SREQ_REWRITTEN && r.n == 1 && data.data &&
		      !strstr(data.data, "sampling") && strstr(data.data, "roots/list") &&
		      strstr(data.data, "notifications/progress"), "ret %d n %zu %.*s", ret, r.n,
		      (int)data.len, data.data ? data.data : "");
		sreq_refusals_free(&r);
		ret = sreq_run(gp, "[" SAMPLING_REQ "," SAMPLING_REQ "]", &data, &r);
		CHECK(ret == SREQ_DROP && r.n == 2, "ret %d n %zu", ret, r.n);
		sreq_refusals_free(&r);
	}
	TEST_CASE("what the gateway cannot read one way is kept from an agent refused some requests") {
		/* A JavaScript client reads the last "method": a sampling request. */
		ret = sreq_run(gp, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"roots/list\","
			       "\"method\":\"sampling/createMessage\"}", &data, &r);
		CHECK(ret == SREQ_DROP && !r.n && r.unreadable == 1, "dup: ret %d", ret);
		sreq_refusals_free(&r);
		ret = sreq_run(gp, "[" PROGRESS ",{\"jsonrpc\":\"2.0\",\"id\":1,\"Method\":"
			       "\"sampling/createMessage\",\"method\":\"ping\"}]", &data, &r);
		CHECK(ret == SREQ_REWRITTEN && r.unreadable == 1 && data.data &&
		      !strstr(data.data, "sampling"), "batch: ret %d %.*s", ret, (int)data.len,
		      data.data ? data.data : "");
		sreq_refusals_free(&r);
		ret = sreq_run(gp, "hello", &data, &r);
		CHECK(ret == SREQ_DROP && r.unreadable == 1, "text: ret %d", ret);
		sreq_refusals_free(&r);
	}
	TEST_CASE("an agent that takes every backend request gets them all, and any text") {
		ret = sreq_run_as(gp, "all", SAMPLING_REQ, &data, &r);
		CHECK(ret == SREQ_RELAY && !r.n, "sampling: ret %d", ret);
		sreq_refusals_free(&r);
		ret = sreq_run_as(gp, "all", "hello", &data, &r);
		CHECK(ret == SREQ_RELAY && !r.unreadable, "text: ret %d", ret);
		sreq_refusals_free(&r);
	}
	buf_free(&data);
	gw_policy_put(gp);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_source_slots_recycled();
	test_per_source_limit();
	test_total_limit();
	test_release_keeps_others_findable();
	sessions_set_clock(fake_clock);
	test_sessions_full();
	test_sessions_expiry();
	test_sessions_ids();
	sessions_clear();
	test_server_requests();
	return test_finish();
}
