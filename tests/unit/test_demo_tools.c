// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_demo_tools.c - the demo backend's tools, resources, prompts and MCP
 * dispatch, as the pure functions they are: no sockets, no threads.
 */
#include <string.h>
#include <cjson/cJSON.h>

#include "check.h"
#include "demo/demo_mcp.h"
#include "demo/demo_tools.h"

/* Runs @tool with @args_json (NULL: no arguments); out holds the answer. */
static int run(const char *tool, const char *args_json, struct demo_tool_out *out)
{
	cJSON *args = args_json ? cJSON_Parse(args_json) : NULL;
	int err = demo_tool_call(tool, args, out);

	cJSON_Delete(args);
	return err;
}

static const char *text_of(const cJSON *result)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(result, "content");
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(content, 0), "text");

	return cJSON_IsString(text) ? text->valuestring : "";
}

static bool is_error(const cJSON *result)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "isError"));
}

/* A tool that answers: ok, not an error result, text containing @needle. */
static bool answers(const char *tool, const char *args, const char *needle)
{
	struct demo_tool_out out;
	bool ok = !run(tool, args, &out) && out.result && !is_error(out.result) &&
		  strstr(text_of(out.result), needle);

	if (!ok)
		fprintf(stderr, "%s %s -> %s\n", tool, args ? args : "", out.result ?
			text_of(out.result) : out.err.message);
	demo_tool_out_free(&out);
	return ok;
}

/* A tool that refuses its arguments with -32602 and a message naming @needle. */
static bool refuses(const char *tool, const char *args, const char *needle)
{
	struct demo_tool_out out;
	bool ok = run(tool, args, &out) == -1 && out.err.code == DEMO_RPC_INVALID_PARAMS &&
		  !out.result && strstr(out.err.message, needle);

	if (!ok)
		fprintf(stderr, "%s %s -> code %d '%s'\n", tool, args ? args : "", out.err.code,
			out.err.message);
	demo_tool_out_free(&out);
	return ok;
}

static void test_read_tools(void)
{
	TEST_CASE("run_query: rows, with the secret-looking row") {
		struct demo_tool_out out;

		CHECK(!run("run_query", "{\"sql\":\"select 1\"}", &out), "%s", out.err.message);
		CHECK(strstr(text_of(out.result), "sk_live_"), "no API-key-like value");
		CHECK(strstr(text_of(out.result), "4111 1111 1111 1111"), "no card-like value");
		CHECK(strstr(text_of(out.result), "(5 rows)"), "default rows: %s", text_of(out.result));
		CHECK(!out.streams && !out.delay_ms && !out.http_500, "plain call");
		demo_tool_out_free(&out);
		CHECK(answers("run_query", "{\"sql\":\"x\",\"limit\":12}", "(12 rows)"), "limit");
	}
	TEST_CASE("run_query: argument errors") {
		CHECK(refuses("run_query", "{}", "sql"), "missing sql");
		CHECK(refuses("run_query", NULL, "sql"), "no arguments");
		CHECK(refuses("run_query", "{\"sql\":3}", "sql"), "sql not a string");
		CHECK(refuses("run_query", "{\"sql\":\"\"}", "sql"), "empty sql");
		CHECK(refuses("run_query", "{\"sql\":\"x\",\"limit\":0}", "limit"), "limit 0");
		CHECK(refuses("run_query", "{\"sql\":\"x\",\"limit\":1.5}", "limit"), "limit 1.5");
		CHECK(refuses("run_query", "{\"sql\":\"x\",\"limit\":101}", "limit"), "limit 101");
		CHECK(refuses("run_query", "[1]", "object"), "arguments not an object");
	}
	TEST_CASE("get_dashboard: known, unknown (a tool error), missing id") {
		struct demo_tool_out out;

		CHECK(answers("get_dashboard", "{\"dashboard_id\":\"revenue\"}", "MRR"), "revenue");
		CHECK(!run("get_dashboard", "{\"dashboard_id\":\"nope\"}", &out), "unknown id");
		CHECK(out.result && is_error(out.result), "unknown dashboard is an error result");
		demo_tool_out_free(&out);
		CHECK(refuses("get_dashboard", "{}", "dashboard_id"), "missing id");
	}
	TEST_CASE("export_report: always streams with progress; format enum") {
		struct demo_tool_out out;

		CHECK(!run("export_report", "{\"report_id\":\"q3\"}", &out), "%s", out.err.message);
		CHECK(out.streams && out.progress_steps == DEMO_EXPORT_PROGRESS_STEPS, "streams");
		CHECK(strstr(text_of(out.result), "q3.csv"), "default csv: %s", text_of(out.result));
		demo_tool_out_free(&out);
		CHECK(answers("export_report", "{\"report_id\":\"q3\",\"format\":\"pdf\"}", "q3.pdf"), "pdf");
		CHECK(refuses("export_report", "{\"report_id\":\"q3\",\"format\":\"xls\"}", "format"), "xls");
		CHECK(refuses("export_report", "{\"format\":\"csv\"}", "report_id"), "missing id");
	}
	TEST_CASE("get_pricing and search_docs") {
		CHECK(answers("get_pricing", NULL, "enterprise"), "all plans");
		CHECK(answers("get_pricing", "{\"plan\":\"pro\"}", "$499"), "pro");
		CHECK(refuses("get_pricing", "{\"plan\":\"gold\"}", "plan"), "unknown plan");
		CHECK(answers("search_docs", "{\"query\":\"export\"}", "docs.analytics.example/exports"), "hit");
		CHECK(answers("search_docs", "{\"query\":\"zzz\"}", "no documents"), "miss");
		CHECK(refuses("search_docs", "{}", "query"), "missing query");
	}
}

static void test_write_tools(void)
{
	TEST_CASE("update_account") {
		CHECK(answers("update_account", "{\"account_id\":\"a1\",\"fields\":{\"plan\":\"pro\","
			      "\"seats\":3}}", "account a1 updated: plan, seats"), "update");
		CHECK(refuses("update_account", "{\"account_id\":\"a1\"}", "fields"), "no fields");
		CHECK(refuses("update_account", "{\"account_id\":\"a1\",\"fields\":{}}", "fields"), "empty");
		CHECK(refuses("update_account", "{\"fields\":{\"a\":1}}", "account_id"), "no id");
	}
	TEST_CASE("create_account: deterministic id, email checked") {
		struct demo_tool_out a, b;

		CHECK(!run("create_account", "{\"name\":\"Ada\",\"email\":\"ada@ex.com\"}", &a), "a");
		CHECK(!run("create_account", "{\"name\":\"Ada\",\"email\":\"ada@ex.com\"}", &b), "b");
		CHECK(!strcmp(text_of(a.result), text_of(b.result)), "same input, same answer");
		CHECK(strstr(text_of(a.result), "acct_"), "%s", text_of(a.result));
		demo_tool_out_free(&a);
		demo_tool_out_free(&b);
		CHECK(refuses("create_account", "{\"name\":\"Ada\",\"email\":\"nope\"}", "email"), "bad email");
		CHECK(refuses("create_account", "{\"email\":\"a@b.c\"}", "name"), "no name");
	}
	TEST_CASE("submit_order: quantity is a bounded integer") {
		CHECK(answers("submit_order", "{\"account_id\":\"a1\",\"sku\":\"SKU-1\",\"quantity\":2}",
			      "2 x SKU-1 for account a1"), "order");
		CHECK(refuses("submit_order", "{\"account_id\":\"a1\",\"sku\":\"s\",\"quantity\":0}",
			      "quantity"), "zero");
		CHECK(refuses("submit_order", "{\"account_id\":\"a1\",\"sku\":\"s\",\"quantity\":\"2\"}",
			      "quantity"), "string");
		CHECK(refuses("submit_order", "{\"account_id\":\"a1\",\"quantity\":2}", "sku"), "no sku");
	}
}

static void test_hooks(void)
{
	TEST_CASE("slow: a delay, bounded") {
		struct demo_tool_out out;

		CHECK(!run("slow", "{\"ms\":1500}", &out), "%s", out.err.message);
		CHECK(out.delay_ms == 1500, "delay %u", out.delay_ms);
		demo_tool_out_free(&out);
		CHECK(refuses("slow", "{\"ms\":-1}", "ms"), "negative");
		CHECK(refuses("slow", "{\"ms\":300001}", "ms"), "too long");
		CHECK(refuses("slow", "{}", "ms"), "missing");
	}
	TEST_CASE("fail: an HTTP 500 with an internal error") {
		struct demo_tool_out out;

		CHECK(run("fail", NULL, &out) == -1, "fails");
		CHECK(out.http_500 && out.err.code == DEMO_RPC_INTERNAL_ERROR, "code %d", out.err.code);
		demo_tool_out_free(&out);
	}
	TEST_CASE("sampling_demo: a question, then the client's answer as the result") {
		struct demo_tool_out out;
		cJSON *answer, *result, *request;

		CHECK(!run("sampling_demo", "{\"prompt\":\"hi\"}", &out), "%s", out.err.message);
		CHECK(out.sampling_params && !out.result && out.streams, "asks first");
		request = demo_rpc_sampling_request("sampling-1", out.sampling_params);
		CHECK(!strcmp(cJSON_GetObjectItem(request, "method")->valuestring,
			      "sampling/createMessage"), "method");
		cJSON_Delete(request);
		demo_tool_out_free(&out);
		answer = cJSON_Parse("{\"jsonrpc\":\"2.0\",\"id\":\"sampling-1\",\"result\":{\"model\":"
				     "\"m\",\"role\":\"assistant\",\"content\":{\"type\":\"text\","
				     "\"text\":\"hello\"}}}");
		result = demo_sampling_result(answer);
		CHECK(!is_error(result) && strstr(text_of(result), "hello"), "%s", text_of(result));
		cJSON_Delete(result);
		cJSON_Delete(answer);
		result = demo_sampling_result(NULL);
		CHECK(is_error(result), "a timeout is an error result");
		cJSON_Delete(result);
	}
	TEST_CASE("stream: true streams any tool; unknown tools refused") {
		struct demo_tool_out out;

		CHECK(!run("get_pricing", "{\"stream\":true}", &out), "%s", out.err.message);
		CHECK(out.streams && out.progress_steps == DEMO_STREAM_PROGRESS_STEPS, "streams");
		demo_tool_out_free(&out);
		CHECK(refuses("get_pricing", "{\"stream\":1}", "stream"), "stream not a boolean");
		CHECK(refuses("no_such_tool", NULL, "unknown tool"), "unknown");
	}
}

/* --- the MCP layer ------------------------------------------------------------------ */

static cJSON *answer(const char *request_json, bool can_stream, struct demo_call *call)
{
	struct demo_mcp_ctx ctx = { .can_stream = can_stream };
	cJSON *req = cJSON_Parse(request_json);

	demo_mcp_request(req, &ctx, call);
	/* The call borrows from the request: the tests keep it until they are done. */
	return req;
}

static int error_code(const cJSON *response)
{
	const cJSON *code = cJSON_GetObjectItem(cJSON_GetObjectItem(response, "error"), "code");

	return cJSON_IsNumber(code) ? code->valueint : 0;
}

static const cJSON *result_of(const cJSON *response)
{
	return cJSON_GetObjectItem(response, "result");
}

static void test_classify(void)
{
	static const struct {
		const char *json;
		enum demo_msg_kind kind;
	} cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", DEMO_MSG_REQUEST },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}", DEMO_MSG_REQUEST },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", DEMO_MSG_NOTIFICATION },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"s-1\",\"result\":{}}", DEMO_MSG_RESPONSE },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":1,\"message\":\"x\"}}", DEMO_MSG_RESPONSE },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", DEMO_MSG_INVALID },
		{ "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", DEMO_MSG_INVALID },
		{ "{\"id\":1,\"method\":\"ping\"}", DEMO_MSG_INVALID },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", DEMO_MSG_INVALID },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}", DEMO_MSG_INVALID },
		{ "[1]", DEMO_MSG_INVALID },
	};

	TEST_CASE("classify requests, notifications, responses, invalid messages") {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			cJSON *msg = cJSON_Parse(cases[i].json);

			CHECK(demo_mcp_classify(msg) == cases[i].kind, "%s", cases[i].json);
			cJSON_Delete(msg);
		}
	}
}

static void test_methods(void)
{
	struct demo_call call;
	cJSON *req;

	TEST_CASE("initialize echoes a supported version, else the latest") {
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
			     "{\"protocolVersion\":\"2025-03-26\"}}", false, &call);
		CHECK(call.initialize && !strcmp(call.version, "2025-03-26"), "%s", call.version);
		CHECK(cJSON_GetObjectItem(result_of(call.response), "serverInfo"), "serverInfo");
		demo_call_free(&call);
		cJSON_Delete(req);
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
			     "{\"protocolVersion\":\"2024-01-01\"}}", false, &call);
		CHECK(!strcmp(call.version, DEMO_MCP_LATEST_VERSION), "%s", call.version);
		demo_call_free(&call);
		cJSON_Delete(req);
	}
	TEST_CASE("tools/list: 8 analytics tools and 3 hooks, each with a schema") {
		const cJSON *tools, *tool;

		req = answer("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", false, &call);
		tools = cJSON_GetObjectItem(result_of(call.response), "tools");
		CHECK(cJSON_GetArraySize(tools) == 11, "%d tools", cJSON_GetArraySize(tools));
		cJSON_ArrayForEach(tool, tools)
			CHECK(cJSON_IsObject(cJSON_GetObjectItem(tool, "inputSchema")), "schema of %s",
			      cJSON_GetObjectItem(tool, "name")->valuestring);
		demo_call_free(&call);
		cJSON_Delete(req);
	}
	TEST_CASE("errors: -32601 unknown method, -32602 bad params") {
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"}", false, &call);
		CHECK(error_code(call.response) == DEMO_RPC_METHOD_NOT_FOUND, "unknown method");
		demo_call_free(&call);
		cJSON_Delete(req);
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":[]}",
			     false, &call);
		CHECK(error_code(call.response) == DEMO_RPC_INVALID_PARAMS, "array params");
		demo_call_free(&call);
		cJSON_Delete(req);
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
			     "{\"name\":\"run_query\",\"arguments\":{}}}", false, &call);
		CHECK(error_code(call.response) == DEMO_RPC_INVALID_PARAMS, "missing sql");
		demo_call_free(&call);
		cJSON_Delete(req);
	}
	TEST_CASE("tools/call carries the progress token and the stream flag") {
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":"
			     "{\"name\":\"export_report\",\"arguments\":{\"report_id\":\"r\"},"
			     "\"_meta\":{\"progressToken\":\"t\"}}}", true, &call);
		CHECK(call.streams && cJSON_IsString(call.progress_token), "stream and token");
		CHECK(!strcmp(call.tool, "export_report"), "tool");
		demo_call_free(&call);
		cJSON_Delete(req);
	}
	TEST_CASE("sampling_demo without a stream is an error result, not a hang") {
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
			     "{\"name\":\"sampling_demo\"}}", false, &call);
		CHECK(call.response && !call.sampling_params && is_error(result_of(call.response)),
		      "error result");
		demo_call_free(&call);
		cJSON_Delete(req);
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
			     "{\"name\":\"sampling_demo\"}}", true, &call);
		CHECK(!call.response && call.sampling_params, "asks first when it can stream");
		demo_call_free(&call);
		cJSON_Delete(req);
	}
	TEST_CASE("resources and prompts") {
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"resources/read\",\"params\":"
			     "{\"uri\":\"analytics://schema/events\"}}", false, &call);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(result_of(call.response), "contents")) == 1,
		      "contents");
		demo_call_free(&call);
		cJSON_Delete(req);
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"resources/read\",\"params\":"
			     "{\"uri\":\"analytics://nope\"}}", false, &call);
		CHECK(error_code(call.response) == DEMO_RPC_RESOURCE_NOT_FOUND, "unknown uri");
		demo_call_free(&call);
		cJSON_Delete(req);
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"prompts/get\",\"params\":"
			     "{\"name\":\"summarize_dashboard\",\"arguments\":{\"dashboard_id\":"
			     "\"revenue\"}}}", false, &call);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(result_of(call.response), "messages")) == 1,
		      "messages");
		demo_call_free(&call);
		cJSON_Delete(req);
		req = answer("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"prompts/get\",\"params\":"
			     "{\"name\":\"summarize_dashboard\"}}", false, &call);
		CHECK(error_code(call.response) == DEMO_RPC_INVALID_PARAMS, "missing argument");
		demo_call_free(&call);
		cJSON_Delete(req);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_read_tools();
	test_write_tools();
	test_hooks();
	test_classify();
	test_methods();
	demo_catalog_free();
	return test_finish();
}
