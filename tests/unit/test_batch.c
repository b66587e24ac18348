// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_batch.c - a JSON-RPC batch judged element by element (gate_judge in
 * user/sluiced/gate.c) and its one answer (batch_merge in
 * user/sluiced/batch.c): what goes to the backend, what the gateway
 * answers, and the merged answer in request order.  End to end:
 * tests/e2e/authz.sh.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/jarena.h"
#include "sluiced/batch.h"
#include "sluiced/gate.h"

#define KEY "\"0000000000000000000000000000000000000000000000000000000000000001\""

/* carol: no get_pricing scope on her token, no delete_* tool; search
 * takes a default, so a call to it is rewritten. */
static const char *const policy_text =
	"{ \"version\": 1, \"listen\": \"127.0.0.1:8470\",\n"
	"  \"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" } },\n"
	"  \"agents\": { \"carol\": { \"keys_sha256\": [" KEY "],\n"
	"                            \"tools\": { \"deny\": [\"delete_*\"] } } },\n"
	"  \"tools\": {\n"
	"    \"search\": { \"class\": \"read\", \"arguments\": {\n"
	"      \"q\": { \"type\": \"string\", \"default\": \"*\" } } },\n"
	"    \"delete_account\": { \"class\": \"write\" },\n"
	"    \"get_pricing\": { \"class\": \"read\", \"scopes\": [\"pricing:read\"] } } }\n";

static struct gw_policy gp;

static int load(void)
{
	struct pol_errors errs = {};
	int ret = policy_parse(policy_text, strlen(policy_text), &gp.pol, &errs);

	if (!ret)
		ret = decide_model_build(gp.pol, &gp.model, &errs);
	if (ret)
		fprintf(stderr, "policy: %s\n", errs.n ? errs.v[0].msg : "?");
	pol_errors_free(&errs);
	return ret;
}

/* gate_judge over @body, POSTed by carol with a token that has no scope. */
static int judge(const char *body, struct gate_req *g, struct inspect_result *res)
{
	struct http_msg m = {};
	int ret;

	m.method = HTTP_POST;
	m.url = "/mcp";
	m.content_length = -1;
	m.names[0] = "Content-Type";
	m.values[0] = "application/json";
	m.n_headers = 1;
	buf_puts(&m.body, body);
	memset(g, 0, sizeof(*g));
	g->gp = &gp;
	decide_identity_of(gp.model, decide_agent_index(gp.model, "carol"), IDM_JWT, &g->id);
	ret = inspect_request_judge(&m, res, gate_judge, g);
	buf_free(&m.body);
	return ret;
}

static void release(struct gate_req *g, struct inspect_result *res)
{
	gate_req_free(g);
	inspect_ids_free(&res->ids);
	free(res->rpc_id);
}

#define CALL(id, tool, args) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"tools/call\"," \
	"\"params\":{\"name\":\"" tool "\",\"arguments\":" args "}}"
#define NOTIFY(tool) "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"" \
	tool "\",\"arguments\":{}}}"
#define LIST(id) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"tools/list\"}"

static void test_judge_mixed(void)
{
	const char *body = "[" CALL("1", "get_pricing", "{}") "," CALL("2", "search", "{}") ","
			   LIST("3") "," NOTIFY("delete_account") ","
			   CALL("4", "delete_account", "{}") "]";
	struct inspect_result res;
	struct gate_req g;
	int ret = judge(body, &g, &res);

	TEST_CASE("batch: the allowed elements go on, rewritten; the refused ones stay here") {
		CHECK(!ret, "refused whole: %d %.100s", res.http_status, g.message);
		CHECK(g.body && !strcmp(g.body, "[" CALL("2", "search", "{\"q\":\"*\"}") ","
					 LIST("3") "]"), "forwarded %s", g.body);
		CHECK(g.batch.n_forwarded == 2 && g.batch.n_refused == 3 && g.batch.n_answers == 2,
		      "forwarded %zu refused %zu answers %zu", g.batch.n_forwarded,
		      g.batch.n_refused, g.batch.n_answers);
	}
	TEST_CASE("batch: a slot per request, in order; a refused notification has none") {
		CHECK(g.batch.n == 4, "%zu slots", g.batch.n);
		for (size_t i = 0; i < g.batch.n && i < 4; i++) {
			char want[4];

			snprintf(want, sizeof(want), "%zu", i + 1);
			CHECK(!strcmp(g.batch.v[i].rid, want), "slot %zu: %s", i, g.batch.v[i].rid);
			CHECK(!g.batch.v[i].answer == (i == 1 || i == 2), "slot %zu: answer %s", i,
			      g.batch.v[i].answer);
		}
	}
	TEST_CASE("batch: a missing scope is a -32012 element, no 403 challenge for the batch") {
		CHECK(g.batch.n == 4 && strstr(g.batch.v[0].answer, "{\"code\":-32012,") &&
		      strstr(g.batch.v[0].answer, "\"id\":1,") &&
		      strstr(g.batch.v[0].answer, "pricing:read"), "%s",
		      g.batch.n ? g.batch.v[0].answer : "");
		CHECK(!g.extra[0], "extra headers: %.100s", g.extra);
		CHECK(g.batch.n == 4 && strstr(g.batch.v[3].answer, "{\"code\":-32010,"), "%s",
		      g.batch.n == 4 ? g.batch.v[3].answer : "");
	}
	TEST_CASE("batch: the backend may answer the forwarded ids only; lists noted if forwarded") {
		CHECK(res.ids.n == 2 && !strcmp(res.ids.v[0], "2") && !strcmp(res.ids.v[1], "3"),
		      "%zu ids", res.ids.n);
		CHECK(g.lists.n == 1 && !strcmp(g.lists.ids[0], "3"), "%zu lists", g.lists.n);
	}
	release(&g, &res);
}

static void test_judge_edges(void)
{
	struct inspect_result res;
	struct gate_req g;
	int ret;

	TEST_CASE("batch, every element refused: passes to the caller, nothing to forward") {
		ret = judge("[" CALL("1", "delete_account", "{}") "," NOTIFY("delete_account") "]",
			    &g, &res);
		CHECK(!ret && !g.body && !g.batch.n_forwarded && g.batch.n_answers == 1 &&
		      g.batch.n_refused == 2 && !res.ids.n, "ret %d forwarded %zu answers %zu",
		      ret, g.batch.n_forwarded, g.batch.n_answers);
		release(&g, &res);
	}
	TEST_CASE("batch with nothing refused or rewritten: forwarded as sent") {
		ret = judge("[" LIST("1") ", " LIST("2") "]", &g, &res);
		CHECK(!ret && !g.body && !batch_partial(&g.batch) && g.batch.n == 2 &&
		      res.ids.n == 2, "ret %d body %s", ret, g.body);
		release(&g, &res);
	}
	TEST_CASE("a single message missing a scope is still a 403 with its challenge") {
		ret = judge(CALL("1", "get_pricing", "{}"), &g, &res);
		CHECK(ret && res.http_status == 403 && res.code == -32012 &&
		      strstr(g.extra, "insufficient_scope"), "ret %d status %d extra %.100s", ret,
		      res.http_status, g.extra);
		release(&g, &res);
	}
}

/* A batch of @n slots: rids[i], refused when answers[i] is not NULL. */
static void slots(struct batch_answers *ba, const char *const *rids, const char *const *answers,
		  size_t n)
{
	memset(ba, 0, sizeof(*ba));
	for (size_t i = 0; i < n; i++) {
		batch_add(ba, rids[i], answers[i]);
		ba->n_refused += answers[i] != NULL;
	}
}

#define REFUSED "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32010,\"message\":\"no\"}}"
#define R1 "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"big\":12345678901234567890}}"
#define RC "{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"result\":{\"n\":1.0}}"
#define RNULL "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"x\"}}"

static void test_merge(void)
{
	static const char *const rids[] = { "1", "2", "\"c\"" };
	static const char *const answers[] = { NULL, REFUSED, NULL };
	struct batch_answers ba;
	char *out;

	slots(&ba, rids, answers, 3);
	TEST_CASE("merge: request order, the backend's texts as written, unmatched ones last") {
		const char *backend = "[" RC ", " RNULL ",\n " R1 "]";

		out = batch_merge(&ba, backend, strlen(backend), 0, NULL, 0);
		CHECK(out && !strcmp(out, "[" R1 "," REFUSED "," RC "," RNULL "]"), "%s", out);
		free(out);
	}
	TEST_CASE("merge: a single response, a request left unanswered gets nothing") {
		out = batch_merge(&ba, RC, strlen(RC), 0, NULL, 0);
		CHECK(out && !strcmp(out, "[" REFUSED "," RC "]"), "%s", out);
		free(out);
	}
	TEST_CASE("merge: no backend answer, each forwarded request gets the error given") {
		out = batch_merge(&ba, NULL, 0, -32050, "down", 3);
		CHECK(out && !strcmp(out, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32050,"
				     "\"message\":\"down\",\"data\":{\"retry_after_s\":3}}}," REFUSED
				     ",{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"error\":{\"code\":-32050,"
				     "\"message\":\"down\",\"data\":{\"retry_after_s\":3}}}]"), "%s",
		      out);
		free(out);
	}
	TEST_CASE("merge: a server request with a request's id answers nothing") {
		const char *backend = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}," R1 "]";

		out = batch_merge(&ba, backend, strlen(backend), 0, NULL, 0);
		CHECK(out && !strcmp(out, "[" R1 "," REFUSED ",{\"jsonrpc\":\"2.0\",\"id\":1,"
				     "\"method\":\"ping\"}]"), "%s", out);
		free(out);
	}
	TEST_CASE("SSE: the gateway's answers as events of their own") {
		struct buf wire = {};

		CHECK(!batch_put_events(&ba, &wire) && wire.data &&
		      !strcmp(wire.data, "data: " REFUSED "\n\n"), "%s", wire.data);
		buf_free(&wire);
	}
	batch_free(&ba);
}

static void test_merge_same_ids(void)
{
	static const char *const rids[] = { "5", "5", "6" };
	static const char *const answers[] = { NULL, NULL, REFUSED };
	struct batch_answers ba;
	const char *backend = "[{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"k\":\"b\"}},"
			      "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"k\":\"a\"}}]";
	char *out;

	slots(&ba, rids, answers, 3);
	TEST_CASE("merge: two requests with one id: each backend answer used once") {
		out = batch_merge(&ba, backend, strlen(backend), 0, NULL, 0);
		CHECK(out && !strcmp(out, "[{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"k\":\"b\"}},"
				     "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"k\":\"a\"}},"
				     REFUSED "]"), "%s", out);
		free(out);
	}
	batch_free(&ba);
}

/* Heap bytes in use, big blocks (mmap) included: glibc's count (0 under a
 * sanitizer, whose leak check then does the job). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* "[e0,e1,...]" of @n copies of the element @fmt made with its index. */
static char *array_of(size_t n, const char *fmt)
{
	struct buf b = {};

	buf_append(&b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_append(&b, ",", 1);
		buf_printf(&b, fmt, i, i);
	}
	buf_append(&b, "]", 1);
	return b.data;
}

/* A big answer's cJSON tree no longer fits the per-thread arena and spills
 * to malloc: what spilled must be freed, or every such answer leaks. */
static void test_no_leak_past_arena(void)
{
	static const char *const rids[] = { "1", "2" };
	static const char *const answers[] = { NULL, REFUSED };
	char *backend = array_of(3000, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"result\":{\"n\":%zu}}");
	char *tools = array_of(3000, "{\"name\":\"search\",\"description\":\"%zu %zu\"}");
	struct gate_lists lists = {};
	struct identity id;
	struct batch_answers ba;
	struct buf list = {};
	size_t before, grew;

	decide_identity_of(gp.model, decide_agent_index(gp.model, "carol"), IDM_JWT, &id);
	/* carol may not see delete_account: the list is filtered, the rest kept. */
	buf_printf(&list, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":"
		   "[{\"name\":\"delete_account\"},%s}}", tools + 1);
	slots(&ba, rids, answers, 2);
	TEST_CASE("merge: a backend answer past the arena leaks nothing") {
		free(batch_merge(&ba, backend, strlen(backend), 0, NULL, 0));
		before = heap_in_use();
		for (int i = 0; i < 20; i++)
			free(batch_merge(&ba, backend, strlen(backend), 0, NULL, 0));
		grew = heap_in_use() - before;
		CHECK(heap_in_use() < before || grew < 16384, "the heap grew %zu bytes", grew);
	}
	TEST_CASE("lists: filtering a list past the arena leaks nothing") {
		char *out = gate_filter_answer(&gp, &id, gate_lists_lookup, &lists, list.data,
					       list.len);

		CHECK(out && !strstr(out, "delete_") && strstr(out, "\"2999 2999\""), "%.80s", out);
		free(out);
		before = heap_in_use();
		for (int i = 0; i < 20; i++)
			free(gate_filter_answer(&gp, &id, gate_lists_lookup, &lists, list.data,
						list.len));
		grew = heap_in_use() - before;
		CHECK(heap_in_use() < before || grew < 16384, "the heap grew %zu bytes", grew);
	}
	TEST_CASE("judge: a big message (a list noted, a rewrite) leaks nothing") {
		/* 20000 small members: the tree fills the arena, and whatever
		 * is made after it spills to malloc. */
		char *pad = array_of(10000, "%zu,%zu");
		struct buf big[2] = {};
		struct inspect_result res;
		struct gate_req g;

		buf_printf(&big[0], "[{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
			   "\"params\":{\"name\":\"search\",\"arguments\":{},\"_meta\":{\"pad\":%s}}}",
			   pad);
		for (int i = 0; i < 500; i++)
			buf_puts(&big[0], "," LIST("3"));
		buf_puts(&big[0], "]");
		buf_printf(&big[1], "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
			   "\"params\":{\"name\":\"search\",\"arguments\":{},\"_meta\":{\"pad\":%s}}}",
			   pad);
		for (int b = 0; b < 2; b++) {
			for (int i = 0; i < 25; i++) {
				if (i == 5)	/* after the heap's first growth */
					before = heap_in_use();
				CHECK(!judge(big[b].data, &g, &res) && g.body &&
				      g.lists.n == (b ? 0 : 500), "%d %.100s", res.http_status,
				      g.message);
				release(&g, &res);
			}
			grew = heap_in_use() - before;
			CHECK(heap_in_use() < before || grew < 16384, "%s: the heap grew %zu bytes",
			      b ? "a rewrite" : "a batch", grew);
			buf_free(&big[b]);
		}
		free(pad);
	}
	batch_free(&ba);
	buf_free(&list);
	free(tools);
	free(backend);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	jarena_install();
	if (load()) {
		fprintf(stderr, "test_batch: the test policy does not load\n");
		return 1;
	}
	test_judge_mixed();
	test_judge_edges();
	test_merge();
	test_merge_same_ids();
	test_no_leak_past_arena();
	decide_model_free(gp.model);
	policy_free(gp.pol);
	jarena_thread_exit();
	return test_finish();
}
