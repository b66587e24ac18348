// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_inspect_answer.c - what the proxy learns from a request (user/proto/inspect.c)
 * to judge the answer: the ids of a POST's requests, and inspect_answer(),
 * which refuses a response the POST did not ask for (a backend that answers
 * with another id hands one client another's answer).
 */
#include <errno.h>

#include "check.h"
#include "proto/inspect.h"

/* inspect_request() on @body alone (no headers): 0 or -EINVAL, res filled. */
static int judge(const char *body, struct inspect_result *res)
{
	struct http_msg msg = {};
	int ret;

	/* The envelope inspect_request wants before the JSON-RPC rules. */
	msg.names[0] = "Content-Type";
	msg.values[0] = "application/json";
	msg.n_headers = 1;
	buf_puts(&msg.body, body);
	ret = inspect_request(&msg, res);
	buf_free(&msg.body);
	return ret;
}

/* The ids joined by spaces, for one comparison per case. */
static const char *ids_str(const struct inspect_ids *ids, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ids->n && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? " " : "", ids->v[i]);
	return out;
}

static bool ids_are(const char *body, const char *want, char *got, size_t len)
{
	struct inspect_result res;
	bool ok = !judge(body, &res);

	ids_str(&res.ids, got, len);
	inspect_ids_free(&res.ids);
	free(res.rpc_id);
	return ok && !strcmp(got, want);
}

static void test_request_ids(void)
{
	char got[64];

	TEST_CASE("a POST's request ids: requests only, batches whole, as JSON text") {
		CHECK(ids_are("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}", "7", got,
			      sizeof(got)), "single: '%s'", got);
		CHECK(ids_are("{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"method\":\"ping\"}",
			      "\"a\\\"b\"", got, sizeof(got)), "string: '%s'", got);
		CHECK(ids_are("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", "",
			      got, sizeof(got)), "notification: '%s'", got);
		CHECK(ids_are("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}", "", got, sizeof(got)),
		      "the client's own response: '%s'", got);
		CHECK(ids_are("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
			      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
			      "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"tools/list\"}]",
			      "1 \"x\"", got, sizeof(got)), "batch: '%s'", got);
	}
	TEST_CASE("a refused request carries no ids") {
		struct inspect_result res;

		CHECK(judge("{\"jsonrpc\":\"2.0\",\"id\":1}", &res) == -EINVAL, "not refused");
		CHECK(!res.ids.v && !res.ids.n, "ids %zu", res.ids.n);
		free(res.rpc_id);
	}
}

/* inspect_answer() of @answer to the request (or batch) @request. */
static int answer(const char *request, const char *answer, char *why, size_t why_len)
{
	struct inspect_result res;
	int ret;

	if (judge(request, &res))
		return -1000;
	why[0] = '\0';
	ret = inspect_answer(answer, strlen(answer), &res.ids, why, why_len);
	inspect_ids_free(&res.ids);
	free(res.rpc_id);
	return ret;
}

#define REQ7 "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"t\"}}"
#define BATCH "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}," \
	      "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}]"
#define NOTE "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"

static void test_answers(void)
{
	char why[120];

	TEST_CASE("answers with the request's id pass, server messages and null-id errors too") {
		CHECK(!answer(REQ7, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}", why,
			      sizeof(why)), "result: %s", why);
		CHECK(!answer(REQ7, "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-1,"
			      "\"message\":\"no\"}}", why, sizeof(why)), "error: %s", why);
		CHECK(!answer(REQ7, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
			      "\"message\":\"parse\"}}", why, sizeof(why)), "null id: %s", why);
		CHECK(!answer(REQ7, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
			      "\"params\":{\"progressToken\":1,\"progress\":1}}", why, sizeof(why)),
		      "a notification in the stream: %s", why);
		CHECK(!answer(REQ7, "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"roots/list\"}",
			      why, sizeof(why)), "a server request in the stream: %s", why);
		CHECK(!answer(BATCH, "[{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{}},"
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}]", why, sizeof(why)),
		      "batch: %s", why);
	}
	TEST_CASE("a response with an id the request did not carry: -EPROTO, the id named") {
		CHECK(answer(REQ7, "{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":{}}", why,
			     sizeof(why)) == -EPROTO && strstr(why, "999"), "999: '%s'", why);
		CHECK(answer(REQ7, "{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"result\":{}}", why,
			     sizeof(why)) == -EPROTO, "\"7\" for 7: '%s'", why);
		CHECK(answer(BATCH, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}},"
			     "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}]", why, sizeof(why)) ==
		      -EPROTO && strstr(why, "id 2,"), "batch: '%s'", why);
		CHECK(answer(NOTE, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", why,
			     sizeof(why)) == -EPROTO, "to a notification: '%s'", why);
		CHECK(answer(REQ7, "{\"jsonrpc\":\"2.0\",\"id\":\"\\u0001\\\"\",\"result\":{}}", why,
			     sizeof(why)) == -EPROTO && !strchr(why, 1), "odd id shown raw: '%s'",
		      why);
	}
	TEST_CASE("an answer that is not JSON-RPC: -EINVAL") {
		CHECK(answer(REQ7, "{\"id\":7}", why, sizeof(why)) == -EINVAL, "no jsonrpc");
		CHECK(answer(REQ7, "not json", why, sizeof(why)) == -EINVAL, "text");
		CHECK(answer(REQ7, "[{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}},1]", why,
			     sizeof(why)) == -EINVAL, "a bad batch element");
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_request_ids();
	test_answers();
	return test_finish();
}
