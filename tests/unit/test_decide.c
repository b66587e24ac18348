// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_decide.c - the decision (user/policy/decide.h) without sockets: a
 * policy text, an identity and an MCP message in, a verdict out.
 *
 * Every rule kind is tried on its allow side and its deny side, and every
 * refusal is checked for its exact JSON-RPC code, HTTP status, policy path
 * and message, since the message is what an agent acts on.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "check.h"
#include "policy/decide.h"
#include "policy/model.h"	/* the SQL step's hook is reached through the model */
#include "policy/policy.h"
#include "proto/mcp.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define KEY_A "\"1f0247d311289d2506bed7b90371d7a85bc9bd7365cd049ff5a4cb3848206d2e\""
#define KEY_B "\"700895b0fe2f2eda7001adf2792ad7ea58e4bf22dc04b16d2ec35cbd1850c874\""
#define KEY_C "\"a55ceac1c403a2c44cc12e2bb171a53a413dedbff8db0fd754d0339eb758126c\""
#define BACKENDS "\"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" }, " \
	"\"billing\": { \"url\": \"http://127.0.0.1:9001/mcp\" } }, \"default_backend\": \"main\""

/* alice (plan free), bob (plan pro: premium), carol.v2 (no plan). */
static const char *const main_policy =
	"{ \"version\": 1, " BACKENDS ", \"unknown_tools\": \"refuse\",\n"
	"  \"plans\": {\n"
	"    \"free\": { \"tools\": { \"deny\": [\"export_*\"] },\n"
	"              \"resources\": { \"deny\": [\"file:///secret/*\"] },\n"
	"              \"prompts\": { \"allow\": [\"public_*\"] } },\n"
	"    \"pro\": { \"premium\": true } },\n"
	"  \"agents\": {\n"
	"    \"alice\": { \"keys_sha256\": [" KEY_A "], \"plan\": \"free\", \"customer\": \"acme\",\n"
	"               \"tools\": { \"deny\": [\"delete_*\"] }, \"server_requests\": [\"sampling\"] },\n"
	"    \"bob\": { \"keys_sha256\": [" KEY_B "], \"plan\": \"pro\",\n"
	"             \"tools\": { \"allow\": [\"run_query\", \"get_*\", \"search\"] },\n"
	"             \"resources\": { \"allow\": [\"file:///data/*\"] },\n"
	"             \"prompts\": { \"deny\": [\"admin_*\"] },\n"
	"             \"server_requests\": [\"elicitation\", \"roots\"] },\n"
	"    \"carol.v2\": { \"keys_sha256\": [" KEY_C "] } },\n"
	"  \"tools\": {\n"
	"    \"run_query\": { \"class\": \"read\", \"cost\": 5, \"arguments\": {\n"
	"      \"sql\": { \"type\": \"string\", \"required\": true, \"max_length\": 100,\n"
	"                 \"deny_patterns\": [\"(?i)\\\\bdrop\\\\s+table\\\\b\", \";\\\\s*--\"] },\n"
	"      \"limit\": { \"type\": \"integer\", \"minimum\": 1, \"maximum\": 1000, \"default\": 100 },\n"
	"      \"explain\": { \"type\": \"boolean\", \"premium\": true, \"default\": false },\n"
	"      \"format\": { \"type\": \"string\", \"enum\": [\"csv\", \"json\"], \"default\": \"csv\" } } },\n"
	"    \"get_dashboard\": { \"class\": \"read\", \"unknown_arguments\": \"strip\", \"arguments\": {\n"
	"      \"id\": { \"type\": \"string\", \"required\": true, \"pattern\": \"^[a-z0-9-]{1,64}$\" },\n"
	"      \"verbose\": { \"type\": \"boolean\", \"premium\": true, \"premium_action\": \"upsell\" },\n"
	"      \"tags\": { \"type\": \"array\", \"max_length\": 3 },\n"
	"      \"opts\": { \"type\": \"object\" },\n"
	"      \"ratio\": { \"type\": \"number\", \"minimum\": 0, \"maximum\": 1 } } },\n"
	"    \"search\": { \"class\": \"read\", \"arguments\": {\n"
	"      \"q\": { \"type\": \"string\", \"default\": \"*\" } } },\n"
	"    \"export_report\": { \"class\": \"read\", \"cost\": 20, \"backend\": \"billing\" },\n"
	"    \"delete_account\": { \"class\": \"write\", \"backend\": \"billing\",\n"
	"                        \"scopes\": [\"accounts:write\", \"admin\"] },\n"
	"    \"get_pricing\": { \"class\": \"read\", \"scopes\": [\"pricing:read\"] } } }\n";

static struct policy *pol;
static struct decide_model *dm;

/* --- harness ------------------------------------------------------------------------- */

static int load(const char *text, struct policy **p, struct decide_model **m)
{
	struct pol_errors errs = {};
	int ret = policy_parse(text, strlen(text), p, &errs);

	if (ret) {
		fprintf(stderr, "policy: %s\n", errs.n ? errs.v[0].msg : "?");
		pol_errors_free(&errs);
		return ret;
	}
	ret = decide_model_build(*p, m, &errs);
	pol_errors_free(&errs);
	return ret;
}

static void unload(struct policy *p, struct decide_model *m)
{
	decide_model_free(m);
	policy_free(p);
}

static struct identity who(const struct decide_model *m, const char *agent,
			   enum identity_method method)
{
	struct identity id;

	decide_identity_of(m, agent ? decide_agent_index(m, agent) : IDENTITY_NO_AGENT, method,
			   &id);
	return id;
}

static void add_scope(struct identity *id, const char *scope)
{
	snprintf(id->scopes[id->n_scopes++], IDENTITY_SCOPE_MAX, "%s", scope);
}

/* A parsed single message; the batch is kept so rewrites can be printed. */
struct msg {
	struct mcp_batch b;
	struct mcp_msg *m;
};

static bool parse(const char *body, struct msg *out)
{
	struct mcp_error err;

	memset(out, 0, sizeof(*out));
	mcp_parse(body, strlen(body), &out->b, &err);
	out->m = out->b.n ? &out->b.msgs[0] : NULL;
	return out->m != NULL;
}

static enum decide_action judge_with(const struct decide_model *m, const struct identity *id,
				     const char *body, struct decide_verdict *v, struct msg *keep)
{
	struct msg local, *msg = keep ? keep : &local;
	enum decide_action act = DECIDE_DENY;

	memset(v, 0, sizeof(*v));
	if (parse(body, msg))
		act = decide_request(m, id, msg->m, NULL, 42, v);
	if (!keep)
		mcp_batch_free(&msg->b);
	return act;
}

static enum decide_action judge(const struct identity *id, const char *body,
				struct decide_verdict *v)
{
	return judge_with(dm, id, body, v, NULL);
}

static char *call(const char *tool, const char *args)
{
	static char buf[4096];

	if (args)
		snprintf(buf, sizeof(buf), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
			 "\"params\":{\"name\":\"%s\",\"arguments\":%s}}", tool, args);
	else
		snprintf(buf, sizeof(buf), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
			 "\"params\":{\"name\":\"%s\"}}", tool);
	return buf;
}

static char *named(const char *method, const char *key, const char *value)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"%s\","
		 "\"params\":{\"%s\":\"%s\"}}", method, key, value);
	return buf;
}

/* The verdict is exactly this refusal. */
#define CHECK_DENY(v, act, want_reason, want_code, want_status, want_rule, want_msg) do {	\
	CHECK((act) == DECIDE_DENY && (v).action == DECIDE_DENY, "action %d", (int)(act));	\
	CHECK((v).reason == (want_reason), "reason %d", (int)(v).reason);			\
	CHECK((v).code == (want_code), "code %d", (v).code);					\
	CHECK((v).http_status == (want_status), "status %d", (v).http_status);		\
	CHECK(!strcmp((v).rule, (want_rule)), "rule \"%.100s\"", (v).rule);			\
	CHECK(!strcmp((v).message, (want_msg)), "message \"%.160s\"", (v).message);		\
} while (0)

#define CHECK_ALLOW(v, act) \
	CHECK((act) == DECIDE_ALLOW && (v).action == DECIDE_ALLOW && (v).code == 0, \
	      "action %d: %.160s", (int)(act), (v).message)

/* The printed arguments of a kept (rewritten) message. */
static char *args_text(const struct msg *msg)
{
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg->m->json, "params");

	return cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(params, "arguments"));
}

/* --- authorization ------------------------------------------------------------------ */

static void test_tools_rules(void)
{
	struct identity alice = who(dm, "alice", IDM_API_KEY);
	struct identity bob = who(dm, "bob", IDM_API_KEY);
	struct identity carol = who(dm, "carol.v2", IDM_API_KEY);
	struct decide_verdict v;
	enum decide_action act;

	TEST_CASE("tools: an allowed call names its tool, class, cost and backend") {
		act = judge(&alice, call("run_query", "{\"sql\":\"select 1\",\"limit\":5,"
					 "\"explain\":false,\"format\":\"csv\"}"), &v);
		CHECK_ALLOW(v, act);
		CHECK(v.tool == 0 && v.class == DECIDE_CLASS_READ && v.cost == 5, "tool %d", v.tool);
		CHECK(v.backend && !strcmp(v.backend, "main"), "backend %s", v.backend);
		CHECK(v.at_ns == 42, "at %llu", (unsigned long long)v.at_ns);
	}
	TEST_CASE("tools: tools.*.backend routes the call") {
		act = judge(&carol, call("export_report", NULL), &v);
		CHECK_ALLOW(v, act);
		CHECK(v.backend && !strcmp(v.backend, "billing"), "backend %s", v.backend);
		CHECK(v.cost == 20, "cost %g", v.cost);
	}
	TEST_CASE("tools: an agent's deny glob refuses (-32010, its path and glob)") {
		act = judge(&alice, call("delete_account", NULL), &v);
		CHECK_DENY(v, act, DR_TOOL_DENIED, DECIDE_ERR_FORBIDDEN, 200,
			   "agents.alice.tools.deny[0]",
			   "sluice: tool \"delete_account\" is denied to agent \"alice\" by "
			   "agents.alice.tools.deny[0] \"delete_*\"");
	}
	TEST_CASE("tools: a plan's deny glob refuses, and says it is the plan's") {
		act = judge(&alice, call("export_report", NULL), &v);
		CHECK_DENY(v, act, DR_TOOL_DENIED, DECIDE_ERR_FORBIDDEN, 200,
			   "plans.free.tools.deny[0]",
			   "sluice: tool \"export_report\" is denied to agent \"alice\" by "
			   "plans.free.tools.deny[0] \"export_*\" (the rules of its plan)");
	}
	TEST_CASE("tools: a name no allow glob matches is refused") {
		act = judge(&bob, call("export_report", NULL), &v);
		CHECK_DENY(v, act, DR_TOOL_DENIED, DECIDE_ERR_FORBIDDEN, 200,
			   "agents.bob.tools.allow",
			   "sluice: tool \"export_report\" is not allowed for agent \"bob\": no "
			   "glob of agents.bob.tools.allow matches it");
	}
	TEST_CASE("tools: a wildcard allow glob admits (get_* for get_pricing)") {
		act = judge(&bob, call("get_pricing", NULL), &v);
		CHECK_ALLOW(v, act);
	}
	TEST_CASE("tools: agent paths quote names with dots (agents[\"carol.v2\"])") {
		struct decide_model *m = NULL;
		struct policy *p = NULL;
		struct identity c;

		CHECK(!load("{ \"version\": 1, " BACKENDS ", \"agents\": { \"carol.v2\": { "
			    "\"keys_sha256\": [" KEY_C "], \"tools\": { \"deny\": [\"x\"] } } } }",
			    &p, &m), "load");
		if (m) {
			c = who(m, "carol.v2", IDM_API_KEY);
			act = judge_with(m, &c, call("x", NULL), &v, NULL);
			CHECK_DENY(v, act, DR_TOOL_DENIED, DECIDE_ERR_FORBIDDEN, 200,
				   "agents[\"carol.v2\"].tools.deny[0]",
				   "sluice: tool \"x\" is denied to agent \"carol.v2\" by "
				   "agents[\"carol.v2\"].tools.deny[0] \"x\"");
		}
		unload(p, m);
	}
	TEST_CASE("tools: a long name from the request is cut short in the message") {
		char name[400];

		memset(name, 'x', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		act = judge(&bob, call(name, NULL), &v);
		CHECK(act == DECIDE_DENY && strstr(v.message, "xxx...\": this gateway refuses"),
		      "message %.160s", v.message);
	}
	TEST_CASE("tools: a tool name from the request is sanitised in the message") {
		act = judge(&bob, call("evil\\\"\\n", NULL), &v);
		CHECK(act == DECIDE_DENY && v.reason == DR_UNKNOWN_TOOL, "reason %d", v.reason);
		CHECK(strstr(v.message, "unknown tool \"evil\\\"\\x0a\""), "message %.160s", v.message);
	}
}

static void test_unknown_tools(void)
{
	struct identity bob = who(dm, "bob", IDM_API_KEY);
	struct decide_model *m = NULL;
	struct decide_verdict v;
	enum decide_action act;
	struct policy *p = NULL;

	TEST_CASE("unknown_tools \"refuse\": -32602 naming the tool") {
		act = judge(&bob, call("get_secrets", NULL), &v);
		CHECK_DENY(v, act, DR_UNKNOWN_TOOL, MCP_ERR_INVALID_PARAMS, 200, "unknown_tools",
			   "sluice: unknown tool \"get_secrets\": this gateway refuses tools its "
			   "policy does not list (unknown_tools is \"refuse\")");
	}
	static const struct { const char *value; enum decide_class class; } cases[] = {
		{ "read", DECIDE_CLASS_READ }, { "write", DECIDE_CLASS_WRITE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[1024], name[128];
		struct identity a;

		snprintf(text, sizeof(text), "{ \"version\": 1, " BACKENDS ", \"unknown_tools\": "
			 "\"%s\", \"agents\": { \"a\": { \"keys_sha256\": [" KEY_A "], \"tools\": "
			 "{ \"deny\": [\"drop_*\"] } } }, \"tools\": { \"known\": { \"class\": "
			 "\"write\", \"backend\": \"billing\", \"cost\": 3 } } }", cases[i].value);
		snprintf(name, sizeof(name), "unknown_tools \"%s\": allowed as that class, cost 0, "
			 "default backend; agent globs still apply", cases[i].value);
		TEST_CASE(name) {
			CHECK(!load(text, &p, &m), "load");
			a = who(m, "a", IDM_API_KEY);
			act = judge_with(m, &a, call("brand_new", NULL), &v, NULL);
			CHECK_ALLOW(v, act);
			CHECK(v.tool == -1 && v.class == cases[i].class && v.cost == 0,
			      "tool %d class %d cost %g", v.tool, v.class, v.cost);
			CHECK(v.backend && !strcmp(v.backend, "main"), "backend %s", v.backend);
			act = judge_with(m, &a, call("drop_all", NULL), &v, NULL);
			CHECK(act == DECIDE_DENY && v.reason == DR_TOOL_DENIED, "reason %d", v.reason);
			unload(p, m);
			p = NULL;
			m = NULL;
		}
	}
	TEST_CASE("unknown_tools \"refuse\" with no tools declared: nothing to refuse, class write") {
		CHECK(!load("{ \"version\": 1, " BACKENDS ", \"agents\": { \"a\": { "
			    "\"keys_sha256\": [" KEY_A "] } } }", &p, &m), "load");
		if (m) {
			struct identity a = who(m, "a", IDM_API_KEY);

			act = judge_with(m, &a, call("anything", NULL), &v, NULL);
			CHECK_ALLOW(v, act);
			CHECK(v.class == DECIDE_CLASS_WRITE, "class %d", v.class);
		}
		unload(p, m);
	}
}

static void test_resources_prompts(void)
{
	struct identity alice = who(dm, "alice", IDM_API_KEY);
	struct identity bob = who(dm, "bob", IDM_API_KEY);
	struct decide_verdict v;
	enum decide_action act;

	TEST_CASE("resources: an allowed URI is read") {
		act = judge(&bob, named("resources/read", "uri", "file:///data/sales/q1.csv"), &v);
		CHECK_ALLOW(v, act);
	}
	TEST_CASE("resources: a URI that could name another resource is refused before the globs") {
		static const char *const uris[] = {
			"file:///data/sales/../../etc/passwd", "file:///data/sales/./q1.csv",
			"file:///data/sales/%2e%2e/secret", "file:///data/sales/..%2Fsecret",
			"file:///data/sales/..%5csecret",
			"file:///data/sales\\\\..\\\\secret",	/* JSON-escaped backslashes */
			"file:///data/sales/..",
		};

		for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
			act = judge(&bob, named("resources/read", "uri", uris[i]), &v);
			CHECK(act == DECIDE_DENY && v.reason == DR_ARGUMENT &&
			      strstr(v.message, "dot segment"), "%s: action %d reason %d", uris[i],
			      act, v.reason);
		}
		act = judge(&bob, named("resources/read", "uri", "file:///data/sales/q1..v2.csv"), &v);
		CHECK_ALLOW(v, act);
	}
	TEST_CASE("resources: a URI outside the agent's allow globs is refused") {
		act = judge(&bob, named("resources/read", "uri", "file:///etc/passwd"), &v);
		CHECK_DENY(v, act, DR_RESOURCE_DENIED, DECIDE_ERR_FORBIDDEN, 200,
			   "agents.bob.resources.allow",
			   "sluice: resource \"file:///etc/passwd\" is not allowed for agent \"bob\": "
			   "no glob of agents.bob.resources.allow matches it");
	}
	TEST_CASE("resources: subscribe follows the plan's deny glob") {
		act = judge(&alice, named("resources/subscribe", "uri", "file:///secret/key"), &v);
		CHECK_DENY(v, act, DR_RESOURCE_DENIED, DECIDE_ERR_FORBIDDEN, 200,
			   "plans.free.resources.deny[0]",
			   "sluice: resource \"file:///secret/key\" is denied to agent \"alice\" by "
			   "plans.free.resources.deny[0] \"file:///secret/*\" (the rules of its plan)");
	}
	TEST_CASE("resources: unsubscribe is never refused (it only gives up access)") {
		act = judge(&alice, named("resources/unsubscribe", "uri", "file:///secret/key"), &v);
		CHECK_ALLOW(v, act);
	}
	TEST_CASE("prompts: the plan's allow globs admit public_*") {
		act = judge(&alice, named("prompts/get", "name", "public_greeting"), &v);
		CHECK_ALLOW(v, act);
	}
	TEST_CASE("prompts: a prompt outside the plan's allow globs is refused") {
		act = judge(&alice, named("prompts/get", "name", "internal_audit"), &v);
		CHECK_DENY(v, act, DR_PROMPT_DENIED, DECIDE_ERR_FORBIDDEN, 200,
			   "plans.free.prompts.allow",
			   "sluice: prompt \"internal_audit\" is not allowed for agent \"alice\": no "
			   "glob of plans.free.prompts.allow matches it (the rules of its plan)");
	}
	TEST_CASE("prompts: an agent's deny glob refuses") {
		act = judge(&bob, named("prompts/get", "name", "admin_reset"), &v);
		CHECK_DENY(v, act, DR_PROMPT_DENIED, DECIDE_ERR_FORBIDDEN, 200,
			   "agents.bob.prompts.deny[0]",
			   "sluice: prompt \"admin_reset\" is denied to agent \"bob\" by "
			   "agents.bob.prompts.deny[0] \"admin_*\"");
	}
	TEST_CASE("completion/complete: only for a prompt or resource the agent may use") {
		act = judge(&bob, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\","
			    "\"params\":{\"ref\":{\"type\":\"ref/prompt\",\"name\":\"admin_reset\"},"
			    "\"argument\":{\"name\":\"a\",\"value\":\"\"}}}", &v);
		CHECK(act == DECIDE_DENY && v.reason == DR_PROMPT_DENIED, "reason %d", v.reason);
		act = judge(&bob, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\","
			    "\"params\":{\"ref\":{\"type\":\"ref/resource\",\"uri\":\"file:///etc/{f}\"},"
			    "\"argument\":{\"name\":\"f\",\"value\":\"\"}}}", &v);
		CHECK(act == DECIDE_DENY && v.reason == DR_RESOURCE_DENIED, "reason %d", v.reason);
		act = judge(&bob, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\","
			    "\"params\":{\"ref\":{\"type\":\"ref/resource\",\"uri\":\"file:///data/{f}\"},"
			    "\"argument\":{\"name\":\"f\",\"value\":\"\"}}}", &v);
		CHECK_ALLOW(v, act);
	}
}

static void test_scopes(void)
{
	struct identity carol = who(dm, "carol.v2", IDM_JWT);
	struct identity keyed = who(dm, "carol.v2", IDM_API_KEY);
	struct decide_verdict v;
	enum decide_action act;

	TEST_CASE("scopes: a token lacking one is refused (403, -32012, every scope needed)") {
		add_scope(&carol, "accounts:write");
		act = judge(&carol, call("delete_account", NULL), &v);
		CHECK_DENY(v, act, DR_SCOPE, DECIDE_ERR_INSUFFICIENT_SCOPE, 403,
			   "tools.delete_account.scopes",
			   "sluice: tool \"delete_account\" needs the token scopes \"accounts:write "
			   "admin\"; the token lacks \"admin\" (tools.delete_account.scopes)");
		CHECK(!strcmp(v.scopes, "accounts:write admin"), "scopes %.100s", v.scopes);
	}
	TEST_CASE("scopes: a token with every scope passes") {
		add_scope(&carol, "admin");
		act = judge(&carol, call("delete_account", NULL), &v);
		CHECK_ALLOW(v, act);
		CHECK(!v.scopes[0], "scopes %.100s", v.scopes);
	}
	TEST_CASE("scopes: identities without a token are judged by their globs alone") {
		act = judge(&keyed, call("delete_account", NULL), &v);
		CHECK_ALLOW(v, act);
	}
}

static void test_attribution(void)
{
	struct identity nobody = who(dm, NULL, IDM_NONE);
	struct identity bob = who(dm, "bob", IDM_API_KEY);
	struct decide_verdict v;
	enum decide_action act;
	static const char *const bodies[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
		"\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":"
		"{\"name\":\"c\",\"version\":\"1\"}}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":"
		"\"not_a_tool\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}",
	};

	TEST_CASE("fail closed: with agents defined, nothing unattributed passes (401, -32011)") {
		for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
			act = judge(&nobody, bodies[i], &v);
			CHECK_DENY(v, act, DR_UNATTRIBUTED, DECIDE_ERR_UNAUTHENTICATED, 401, "agents",
				   "sluice: this gateway serves the agents of its policy only, and "
				   "the request identifies none of them (send the agent's API key or "
				   "token)");
		}
	}
	TEST_CASE("fail closed: an agent index out of range is nobody") {
		struct identity bad = bob;

		bad.agent = 3;
		act = judge(&bad, call("run_query", "{\"sql\":\"x\"}"), &v);
		CHECK(act == DECIDE_DENY && v.reason == DR_UNATTRIBUTED, "reason %d", v.reason);
	}
	TEST_CASE("attribution comes first: unknown tool from nobody is -32011, not -32602") {
		act = judge(&nobody, call("nope", NULL), &v);
		CHECK(v.code == DECIDE_ERR_UNAUTHENTICATED, "code %d", v.code);
	}
	TEST_CASE("authorization before validation: a refused tool with bad arguments is -32010") {
		struct identity alice = who(dm, "alice", IDM_API_KEY);

		act = judge(&alice, call("export_report", "{\"bogus\":1}"), &v);
		CHECK(act == DECIDE_DENY && v.code == DECIDE_ERR_FORBIDDEN, "code %d", v.code);
	}
	TEST_CASE("an answer to the backend's request from an agent passes") {
		act = judge(&bob, bodies[4], &v);
		CHECK_ALLOW(v, act);
	}
	TEST_CASE("a message mcp_parse() refused keeps its error (DR_INVALID)") {
		struct msg msg;

		CHECK(parse("[{\"jsonrpc\":\"2.0\",\"id\":1},{\"jsonrpc\":\"2.0\",\"id\":2,"
			    "\"method\":\"ping\"}]", &msg), "parse");
		act = decide_request(dm, &bob, msg.m, NULL, 1, &v);
		CHECK(act == DECIDE_DENY && v.reason == DR_INVALID && v.code == msg.m->err.code &&
		      v.code != 0, "reason %d code %d", v.reason, v.code);
		mcp_batch_free(&msg.b);
	}
}

static void test_plans(void)
{
	struct identity carol = who(dm, "carol.v2", IDM_JWT);
	struct identity bob = who(dm, "bob", IDM_JWT);
	struct decide_verdict v;
	enum decide_action act;

	TEST_CASE("plans: decide_identity_of() fills the agent's plan and customer") {
		struct identity alice = who(dm, "alice", IDM_API_KEY);

		CHECK(alice.agent == 0 && !strcmp(alice.plan, "free") &&
		      !strcmp(alice.customer, "acme") && alice.method == IDM_API_KEY,
		      "agent %d plan %s customer %s", alice.agent, alice.plan, alice.customer);
		CHECK(decide_agent_index(dm, "nobody") == IDENTITY_NO_AGENT, "index");
	}
	TEST_CASE("plans: a token's plan claim replaces the agent's (its rules apply)") {
		snprintf(carol.plan, sizeof(carol.plan), "free");
		act = judge(&carol, call("export_report", NULL), &v);
		CHECK(act == DECIDE_DENY && !strcmp(v.rule, "plans.free.tools.deny[0]"),
		      "rule %.100s", v.rule);
	}
	TEST_CASE("plans: an empty plan is the agent's own (it cannot drop the plan's rules)") {
		struct identity alice = who(dm, "alice", IDM_API_KEY);

		alice.plan[0] = '\0';
		act = judge(&alice, call("export_report", NULL), &v);
		CHECK(act == DECIDE_DENY && !strcmp(v.rule, "plans.free.tools.deny[0]"),
		      "rule %.100s", v.rule);
	}
	TEST_CASE("plans: a plan the policy lacks is refused (401, -32011)") {
		snprintf(bob.plan, sizeof(bob.plan), "gold");
		act = judge(&bob, call("run_query", "{\"sql\":\"x\"}"), &v);
		CHECK_DENY(v, act, DR_UNKNOWN_PLAN, DECIDE_ERR_UNAUTHENTICATED, 401, "plans",
			   "sluice: the identity names plan \"gold\", which this gateway's policy "
			   "does not define");
	}
}

/* --- validation ---------------------------------------------------------------------- */

struct arg_case {
	const char *name;
	const char *tool, *args;
	const char *rule, *message;
};

static const struct arg_case arg_cases[] = {
	{ "required: missing", "run_query", "{\"limit\":5}",
	  "tools.run_query.arguments.sql.required",
	  "sluice: argument \"sql\" of tool \"run_query\": missing, and required "
	  "(tools.run_query.arguments.sql.required)" },
	{ "type: integer", "run_query", "{\"sql\":\"x\",\"limit\":\"ten\"}",
	  "tools.run_query.arguments.limit.type",
	  "sluice: argument \"limit\" of tool \"run_query\": expected an integer, got \"ten\" "
	  "(tools.run_query.arguments.limit.type)" },
	{ "type: integer refuses 2.5", "run_query", "{\"sql\":\"x\",\"limit\":2.5}",
	  "tools.run_query.arguments.limit.type",
	  "sluice: argument \"limit\" of tool \"run_query\": expected an integer, got 2.5 "
	  "(tools.run_query.arguments.limit.type)" },
	{ "type: boolean", "run_query", "{\"sql\":\"x\",\"explain\":\"yes\"}",
	  "tools.run_query.arguments.explain.type",
	  "sluice: argument \"explain\" of tool \"run_query\": expected true or false, got "
	  "\"yes\" (tools.run_query.arguments.explain.type)" },
	{ "type: object", "get_dashboard", "{\"id\":\"a\",\"opts\":[1]}",
	  "tools.get_dashboard.arguments.opts.type",
	  "sluice: argument \"opts\" of tool \"get_dashboard\": expected an object, got an array "
	  "(tools.get_dashboard.arguments.opts.type)" },
	{ "type: array", "get_dashboard", "{\"id\":\"a\",\"tags\":{}}",
	  "tools.get_dashboard.arguments.tags.type",
	  "sluice: argument \"tags\" of tool \"get_dashboard\": expected an array, got an object "
	  "(tools.get_dashboard.arguments.tags.type)" },
	{ "type: number", "get_dashboard", "{\"id\":\"a\",\"ratio\":null}",
	  "tools.get_dashboard.arguments.ratio.type",
	  "sluice: argument \"ratio\" of tool \"get_dashboard\": expected a number, got null "
	  "(tools.get_dashboard.arguments.ratio.type)" },
	{ "type: string", "get_dashboard", "{\"id\":7}",
	  "tools.get_dashboard.arguments.id.type",
	  "sluice: argument \"id\" of tool \"get_dashboard\": expected a string, got 7 "
	  "(tools.get_dashboard.arguments.id.type)" },
	{ "max_length: string bytes", "run_query",
	  "{\"sql\":\"select aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	  "tools.run_query.arguments.sql.max_length",
	  "sluice: argument \"sql\" of tool \"run_query\": 105 bytes, over max_length 100 "
	  "(tools.run_query.arguments.sql.max_length)" },
	{ "max_length: array items", "get_dashboard", "{\"id\":\"a\",\"tags\":[1,2,3,4]}",
	  "tools.get_dashboard.arguments.tags.max_length",
	  "sluice: argument \"tags\" of tool \"get_dashboard\": 4 items, over max_length 3 "
	  "(tools.get_dashboard.arguments.tags.max_length)" },
	{ "minimum", "run_query", "{\"sql\":\"x\",\"limit\":0}",
	  "tools.run_query.arguments.limit.minimum",
	  "sluice: argument \"limit\" of tool \"run_query\": 0 is below the minimum 1 "
	  "(tools.run_query.arguments.limit.minimum)" },
	{ "maximum", "run_query", "{\"sql\":\"x\",\"limit\":1001}",
	  "tools.run_query.arguments.limit.maximum",
	  "sluice: argument \"limit\" of tool \"run_query\": 1001 is above the maximum 1000 "
	  "(tools.run_query.arguments.limit.maximum)" },
	{ "maximum: number", "get_dashboard", "{\"id\":\"a\",\"ratio\":1.5}",
	  "tools.get_dashboard.arguments.ratio.maximum",
	  "sluice: argument \"ratio\" of tool \"get_dashboard\": 1.5 is above the maximum 1 "
	  "(tools.get_dashboard.arguments.ratio.maximum)" },
	{ "enum", "run_query", "{\"sql\":\"x\",\"format\":\"xml\"}",
	  "tools.run_query.arguments.format.enum",
	  "sluice: argument \"format\" of tool \"run_query\": \"xml\" is not one of \"csv\", "
	  "\"json\" (tools.run_query.arguments.format.enum)" },
	{ "pattern", "get_dashboard", "{\"id\":\"Sales Q1\"}",
	  "tools.get_dashboard.arguments.id.pattern",
	  "sluice: argument \"id\" of tool \"get_dashboard\": does not match the pattern "
	  "\"^[a-z0-9-]{1,64}$\" (tools.get_dashboard.arguments.id.pattern)" },
	{ "deny_patterns[0]", "run_query", "{\"sql\":\"select 1; DROP   TABLE users\"}",
	  "tools.run_query.arguments.sql.deny_patterns[0]",
	  "sluice: argument \"sql\" of tool \"run_query\": matches a denied pattern "
	  "(tools.run_query.arguments.sql.deny_patterns[0])" },
	{ "deny_patterns[1]", "run_query", "{\"sql\":\"select 1; -- hi\"}",
	  "tools.run_query.arguments.sql.deny_patterns[1]",
	  "sluice: argument \"sql\" of tool \"run_query\": matches a denied pattern "
	  "(tools.run_query.arguments.sql.deny_patterns[1])" },
	{ "unknown_arguments \"refuse\"", "run_query", "{\"sql\":\"x\",\"verbose\":true}",
	  "tools.run_query.unknown_arguments",
	  "sluice: tool \"run_query\" takes no argument \"verbose\" "
	  "(tools.run_query.unknown_arguments is \"refuse\"); its arguments: sql, limit, "
	  "explain, format" },
};

static void test_arguments(void)
{
	struct identity bob = who(dm, "bob", IDM_API_KEY);
	struct decide_verdict v;
	enum decide_action act;

	for (size_t i = 0; i < ARRAY_SIZE(arg_cases); i++) {
		const struct arg_case *c = &arg_cases[i];
		char name[160];

		snprintf(name, sizeof(name), "arguments: %s refused with -32602", c->name);
		TEST_CASE(name) {
			act = judge(&bob, call(c->tool, c->args), &v);
			CHECK_DENY(v, act, DR_ARGUMENT, MCP_ERR_INVALID_PARAMS, 200, c->rule,
				   c->message);
		}
	}
	TEST_CASE("arguments: values within every rule pass unchanged") {
		act = judge(&bob, call("get_dashboard", "{\"id\":\"sales-q1\",\"tags\":[1,2,3],"
				       "\"opts\":{\"a\":1},\"ratio\":0.5,\"verbose\":true}"), &v);
		CHECK_ALLOW(v, act);
		CHECK(v.n_defaults == 0 && v.n_stripped == 0 && v.n_upsell == 0, "changes");
	}
	TEST_CASE("arguments: a value a pattern cannot finish within its limits is refused") {
		struct decide_model *m = NULL;
		struct policy *p = NULL;
		char args[2100];

		CHECK(!load("{ \"version\": 1, " BACKENDS ", \"tools\": { \"t\": { \"class\": "
			    "\"read\", \"arguments\": { \"s\": { \"type\": \"string\", "
			    "\"deny_patterns\": [\"^(a|aa)+$\"] } } } } }", &p, &m), "load");
		snprintf(args, sizeof(args), "{\"s\":\"%0*d!\"}", 2000, 0);
		for (char *c = args + 6; *c == '0'; c++)
			*c = 'a';
		if (m) {
			struct identity nobody = who(m, NULL, IDM_NONE);

			act = judge_with(m, &nobody, call("t", args), &v, NULL);
			CHECK_DENY(v, act, DR_ARGUMENT, MCP_ERR_INVALID_PARAMS, 200,
				   "tools.t.arguments.s.deny_patterns[0]",
				   "sluice: argument \"s\" of tool \"t\": could not be checked within "
				   "the pattern's match limit; shorten it "
				   "(tools.t.arguments.s.deny_patterns[0])");
		}
		unload(p, m);
	}
	TEST_CASE("arguments: deny_patterns are unanchored and case-insensitive as written") {
		act = judge(&bob, call("run_query", "{\"sql\":\"select drop_table from t\","
				       "\"limit\":1,\"explain\":false,\"format\":\"json\"}"), &v);
		CHECK_ALLOW(v, act);
	}
}

/* A stand-in for sql_rule_check(): refuses any text holding "delete". */
static int fake_sql_check(const struct sql_rule *rule, const char *text, size_t len, bool *ok,
			  char *why, size_t why_len)
{
	(void)rule;
	*ok = !memmem(text, len, "delete", 6);
	if (!*ok)
		snprintf(why, why_len, "not a plain SELECT: DELETE at offset %ld",
			 (long)((const char *)memmem(text, len, "delete", 6) - text));
	return 0;
}

static void test_sql_step(void)
{
	struct identity bob = who(dm, "bob", IDM_API_KEY);
	static const char marker = 0;	/* any non-NULL rule: the judge ignores it */
	struct decide_verdict v;
	enum decide_action act;
	long i;
	const struct dm_tool *t = dm_find_tool(dm, "run_query", &i);

	TEST_CASE("sql step: the model holds run_query's argument rules") {
		CHECK(t && t->args, "run_query has rules");
	}
	if (!t || !t->args)
		return;
	TEST_CASE("sql step: an unknown argument cannot take a rule") {
		CHECK(val_arg_set_sql(t->args, "nope", (const struct sql_rule *)&marker,
				      fake_sql_check) == -ENOENT, "unknown argument");
	}
	TEST_CASE("sql step: an attached SQL rule judges the string after the patterns") {
		CHECK(!val_arg_set_sql(t->args, "sql", (const struct sql_rule *)&marker,
				       fake_sql_check), "attach");
		act = judge(&bob, call("run_query", "{\"sql\":\"select 1\",\"limit\":1,"
				       "\"explain\":false,\"format\":\"csv\"}"), &v);
		CHECK_ALLOW(v, act);
		act = judge(&bob, call("run_query", "{\"sql\":\"delete from t\"}"), &v);
		CHECK_DENY(v, act, DR_ARGUMENT, MCP_ERR_INVALID_PARAMS, 200,
			   "tools.run_query.arguments.sql.sql",
			   "sluice: argument \"sql\" of tool \"run_query\": not a plain SELECT: "
			   "DELETE at offset 0 (tools.run_query.arguments.sql.sql)");
		val_arg_set_sql(t->args, "sql", NULL, NULL);
		act = judge(&bob, call("run_query", "{\"sql\":\"delete from t\",\"limit\":1,"
				       "\"explain\":false,\"format\":\"csv\"}"), &v);
		CHECK_ALLOW(v, act);
	}
}

static void test_rewrites(void)
{
	struct identity bob = who(dm, "bob", IDM_API_KEY);
	struct decide_verdict v;
	enum decide_action act;
	struct msg msg;
	char *text;

	TEST_CASE("rewrite: defaults are added, in policy order") {
		act = judge_with(dm, &bob, call("run_query", "{\"sql\":\"select 1\"}"), &v, &msg);
		CHECK(act == DECIDE_REWRITE && v.action == DECIDE_REWRITE, "action %d", act);
		CHECK(v.n_defaults == 3 && v.n_stripped == 0, "defaults %zu", v.n_defaults);
		text = args_text(&msg);
		CHECK(text && !strcmp(text, "{\"sql\":\"select 1\",\"limit\":100,\"explain\":false,"
				      "\"format\":\"csv\"}"), "arguments %s", text);
		cJSON_free(text);
		/* the rewritten message is final: judged again, it passes as is */
		act = decide_request(dm, &bob, msg.m, NULL, 43, &v);
		CHECK_ALLOW(v, act);
		mcp_batch_free(&msg.b);
	}
	TEST_CASE("rewrite: a call without \"arguments\" gets them for its defaults") {
		act = judge_with(dm, &bob, call("search", NULL), &v, &msg);
		CHECK(act == DECIDE_REWRITE && v.n_defaults == 1, "action %d", act);
		text = args_text(&msg);
		CHECK(text && !strcmp(text, "{\"q\":\"*\"}"), "arguments %s", text);
		cJSON_free(text);
		mcp_batch_free(&msg.b);
	}
	TEST_CASE("rewrite: unknown_arguments \"strip\" removes them; the whole message prints") {
		act = judge_with(dm, &bob, call("get_dashboard", "{\"debug\":true,\"id\":\"x\","
						"\"trace\":{\"a\":1}}"), &v, &msg);
		CHECK(act == DECIDE_REWRITE && v.n_stripped == 2 && v.n_defaults == 0,
		      "action %d stripped %zu", act, v.n_stripped);
		text = cJSON_PrintUnformatted(msg.b.root);
		CHECK(text && !strcmp(text, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
				      "\"params\":{\"name\":\"get_dashboard\",\"arguments\":"
				      "{\"id\":\"x\"}}}"), "message %s", text);
		cJSON_free(text);
		mcp_batch_free(&msg.b);
	}
}

static void test_premium(void)
{
	struct identity alice = who(dm, "alice", IDM_API_KEY);
	struct identity bob = who(dm, "bob", IDM_API_KEY);
	struct identity carol = who(dm, "carol.v2", IDM_API_KEY);
	struct decide_verdict v;
	enum decide_action act;

	TEST_CASE("premium \"deny\": a plan that is not premium is refused (-32013)") {
		act = judge(&alice, call("run_query", "{\"sql\":\"x\",\"limit\":1,\"explain\":true,"
					 "\"format\":\"csv\"}"), &v);
		CHECK_DENY(v, act, DR_PREMIUM, DECIDE_ERR_PREMIUM, 200,
			   "tools.run_query.arguments.explain.premium",
			   "sluice: argument \"explain\" of tool \"run_query\" is premium and plan "
			   "\"free\" does not include it (tools.run_query.arguments.explain.premium)");
	}
	TEST_CASE("premium \"deny\": no plan at all is refused too") {
		act = judge(&carol, call("run_query", "{\"sql\":\"x\",\"explain\":true}"), &v);
		CHECK(act == DECIDE_DENY && v.reason == DR_PREMIUM &&
		      strstr(v.message, "is premium and the caller has no plan"), "%.160s", v.message);
	}
	TEST_CASE("premium: passing the default value is not using the feature") {
		act = judge(&alice, call("run_query", "{\"sql\":\"x\",\"limit\":1,\"explain\":false,"
					 "\"format\":\"csv\"}"), &v);
		CHECK_ALLOW(v, act);
	}
	TEST_CASE("premium: a premium plan passes it") {
		act = judge(&bob, call("run_query", "{\"sql\":\"x\",\"limit\":1,\"explain\":true,"
				       "\"format\":\"csv\"}"), &v);
		CHECK_ALLOW(v, act);
		CHECK(v.n_upsell == 0, "upsell %zu", v.n_upsell);
	}
	TEST_CASE("premium \"upsell\": allowed, and the verdict lists it") {
		act = judge(&carol, call("get_dashboard", "{\"id\":\"x\",\"verbose\":true}"), &v);
		CHECK_ALLOW(v, act);
		CHECK(v.n_upsell == 1 && !strcmp(v.upsell[0], "verbose"), "upsell %zu", v.n_upsell);
		act = judge(&bob, call("get_dashboard", "{\"id\":\"x\",\"verbose\":true}"), &v);
		CHECK(act == DECIDE_ALLOW && v.n_upsell == 0, "premium plan: upsell %zu", v.n_upsell);
	}
}

/* --- open gateway ------------------------------------------------------------------------ */

static void test_open_gateway(void)
{
	struct decide_model *m = NULL;
	struct policy *p = NULL;
	struct decide_verdict v;
	enum decide_action act;
	struct identity nobody;

	CHECK(!load("{ \"version\": 1, " BACKENDS ", \"tools\": { \"q\": { \"class\": "
		    "\"read\", \"arguments\": { \"n\": { \"type\": \"integer\", \"maximum\": 9 "
		    "} } } } }", &p, &m), "load");
	if (!m)
		return;
	nobody = who(m, NULL, IDM_NONE);
	TEST_CASE("open gateway: no agents means every caller passes; the flag says so") {
		CHECK(decide_open_gateway(m) && !decide_open_gateway(dm), "flag");
		act = judge_with(m, &nobody, call("q", "{\"n\":3}"), &v, NULL);
		CHECK_ALLOW(v, act);
		act = judge_with(m, &nobody, named("resources/read", "uri", "file:///x"), &v, NULL);
		CHECK_ALLOW(v, act);
	}
	TEST_CASE("open gateway: tool rules still apply (unknown_tools, arguments)") {
		act = judge_with(m, &nobody, call("other", NULL), &v, NULL);
		CHECK(act == DECIDE_DENY && v.reason == DR_UNKNOWN_TOOL, "reason %d", v.reason);
		act = judge_with(m, &nobody, call("q", "{\"n\":10}"), &v, NULL);
		CHECK(act == DECIDE_DENY && v.reason == DR_ARGUMENT, "reason %d", v.reason);
	}
	unload(p, m);
	m = NULL;
	p = NULL;
	TEST_CASE("open gateway: minimal.json forwards every tool call") {
		CHECK(!load("{ \"version\": 1, \"backends\": { \"main\": { \"url\": "
			    "\"http://127.0.0.1:9000/mcp\" } } }", &p, &m), "load");
		if (m) {
			nobody = who(m, NULL, IDM_NONE);
			act = judge_with(m, &nobody, call("anything", "{\"x\":1}"), &v, NULL);
			CHECK_ALLOW(v, act);
		}
	}
	unload(p, m);
}

/* --- server-to-client requests ------------------------------------------------------------ */

static void test_server_requests(void)
{
	static const char *const methods[] = {
		"sampling/createMessage", "elicitation/create", "roots/list",
	};
	static const char *const kinds[] = { "sampling", "elicitation", "roots" };
	/* alice lists sampling, bob elicitation and roots, carol.v2 none */
	static const bool allowed[3][3] = {
		{ true, false, false }, { false, true, true }, { false, false, false },
	};
	static const char *const agents[] = { "alice", "bob", "carol.v2" };
	struct decide_verdict v;
	enum decide_action act;
	struct msg msg;
	char body[256], want[256];

	for (size_t a = 0; a < 3; a++) {
		struct identity id = who(dm, agents[a], IDM_API_KEY);
		char name[120];

		snprintf(name, sizeof(name), "server requests: %s's server_requests decide",
			 agents[a]);
		TEST_CASE(name) {
			for (size_t k = 0; k < 3; k++) {
				snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":\"s1\","
					 "\"method\":\"%s\",\"params\":{}}", methods[k]);
				CHECK(parse(body, &msg), "parse %s", body);
				act = decide_server_request(dm, &id, msg.m, &v);
				if (allowed[a][k]) {
					CHECK_ALLOW(v, act);
				} else {
					char path[64];

					snprintf(path, sizeof(path), a == 2 ?
						 "agents[\"%s\"].server_requests" :
						 "agents.%s.server_requests", agents[a]);
					snprintf(want, sizeof(want), "sluice: %s requests are not "
						 "allowed for agent \"%s\" (%s lacks \"%s\")",
						 methods[k], agents[a], path, kinds[k]);
					CHECK_DENY(v, act, DR_SERVER_REQUEST, DECIDE_ERR_FORBIDDEN,
						   200, path, want);
				}
				mcp_batch_free(&msg.b);
			}
		}
	}
	TEST_CASE("server requests: other messages from the backend pass") {
		struct identity carol = who(dm, "carol.v2", IDM_API_KEY);
		static const char *const others[] = {
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
			"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":"
			"{\"level\":\"info\",\"data\":\"x\"}}",
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
		};

		for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
			CHECK(parse(others[i], &msg), "parse");
			act = decide_server_request(dm, &carol, msg.m, &v);
			CHECK_ALLOW(v, act);
			mcp_batch_free(&msg.b);
		}
	}
	TEST_CASE("server requests: refused for nobody, allowed in an open gateway") {
		struct identity nobody = who(dm, NULL, IDM_NONE);
		struct decide_model *m = NULL;
		struct policy *p = NULL;

		CHECK(parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sampling/createMessage\","
			    "\"params\":{}}", &msg), "parse");
		act = decide_server_request(dm, &nobody, msg.m, &v);
		CHECK(act == DECIDE_DENY && v.reason == DR_UNATTRIBUTED, "reason %d", v.reason);
		CHECK(!load("{ \"version\": 1, " BACKENDS " }", &p, &m), "load");
		if (m) {
			nobody = who(m, NULL, IDM_NONE);
			act = decide_server_request(m, &nobody, msg.m, &v);
			CHECK_ALLOW(v, act);
		}
		unload(p, m);
		mcp_batch_free(&msg.b);
	}
}

/* --- list filtering ---------------------------------------------------------------------- */

/* Filters @result_json as @method's result for @id; returns the names left. */
static char *filter(const struct decide_model *m, const struct identity *id,
		    enum mcp_method method, const char *result_json, const char *array,
		    const char *key, size_t *removed)
{
	cJSON *result = cJSON_Parse(result_json), *entry;
	static char names[512];
	size_t n = 0;

	names[0] = '\0';
	*removed = decide_filter_list(m, id, method, result);
	cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(result, array)) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(entry, key);

		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? " " : "",
				      cJSON_IsString(name) ? name->valuestring : "?");
	}
	cJSON_Delete(result);
	return names;
}

static void test_lists(void)
{
	static const char *const tools =
		"{\"tools\":[{\"name\":\"run_query\"},{\"name\":\"get_dashboard\"},"
		"{\"name\":\"export_report\"},{\"name\":\"delete_account\"},"
		"{\"name\":\"get_pricing\"},{\"name\":\"not_declared\"},{\"title\":\"no name\"},"
		"{\"name\":7}],\"nextCursor\":\"c\"}";
	struct identity alice = who(dm, "alice", IDM_API_KEY);
	struct identity bob = who(dm, "bob", IDM_API_KEY);
	struct identity carol = who(dm, "carol.v2", IDM_JWT);
	struct identity nobody = who(dm, NULL, IDM_NONE);
	size_t removed;
	char *left;

	TEST_CASE("lists: tools/list keeps only what the agent may call") {
		left = filter(dm, &bob, MCP_M_TOOLS_LIST, tools, "tools", "name", &removed);
		CHECK(!strcmp(left, "run_query get_dashboard get_pricing") && removed == 5,
		      "left \"%s\", removed %zu", left, removed);
		left = filter(dm, &alice, MCP_M_TOOLS_LIST, tools, "tools", "name", &removed);
		CHECK(!strcmp(left, "run_query get_dashboard get_pricing") && removed == 5,
		      "left \"%s\", removed %zu", left, removed);
	}
	TEST_CASE("lists: a tool behind a missing token scope stays listed") {
		left = filter(dm, &carol, MCP_M_TOOLS_LIST, tools, "tools", "name", &removed);
		CHECK(!strcmp(left, "run_query get_dashboard export_report delete_account "
			      "get_pricing") && removed == 3, "left \"%.100s\"", left);
	}
	TEST_CASE("lists: resources/list filters by URI") {
		left = filter(dm, &bob, MCP_M_RESOURCES_LIST, "{\"resources\":[{\"uri\":"
			      "\"file:///data/a.csv\"},{\"uri\":\"file:///etc/hosts\"},{\"uri\":"
			      "\"file:///data/sub/b\"}]}", "resources", "uri", &removed);
		CHECK(!strcmp(left, "file:///data/a.csv file:///data/sub/b") && removed == 1,
		      "left \"%.100s\"", left);
	}
	TEST_CASE("lists: resources/templates/list filters by uriTemplate") {
		left = filter(dm, &alice, MCP_M_RESOURCES_TEMPLATES_LIST, "{\"resourceTemplates\":"
			      "[{\"uriTemplate\":\"file:///secret/{k}\"},{\"uriTemplate\":"
			      "\"file:///logs/{d}\"}]}", "resourceTemplates", "uriTemplate", &removed);
		CHECK(!strcmp(left, "file:///logs/{d}") && removed == 1, "left \"%.100s\"", left);
	}
	TEST_CASE("lists: prompts/list filters by name") {
		left = filter(dm, &alice, MCP_M_PROMPTS_LIST, "{\"prompts\":[{\"name\":"
			      "\"public_hello\"},{\"name\":\"admin_reset\"},{\"name\":\"public_x\"}]}",
			      "prompts", "name", &removed);
		CHECK(!strcmp(left, "public_hello public_x") && removed == 1, "left \"%.100s\"", left);
		left = filter(dm, &bob, MCP_M_PROMPTS_LIST, "{\"prompts\":[{\"name\":"
			      "\"public_hello\"},{\"name\":\"admin_reset\"},{\"name\":\"public_x\"}]}",
			      "prompts", "name", &removed);
		CHECK(!strcmp(left, "public_hello public_x") && removed == 1, "left \"%.100s\"", left);
	}
	TEST_CASE("lists: nobody sees nothing; other methods and shapes are left alone") {
		left = filter(dm, &nobody, MCP_M_TOOLS_LIST, tools, "tools", "name", &removed);
		CHECK(!left[0] && removed == 8, "left \"%.100s\"", left);
		left = filter(dm, &nobody, MCP_M_TOOLS_CALL, tools, "tools", "name", &removed);
		CHECK(removed == 0, "removed %zu", removed);
		left = filter(dm, &bob, MCP_M_PROMPTS_LIST, "{\"prompts\":{}}", "x", "name",
			      &removed);
		CHECK(removed == 0, "removed %zu", removed);
	}
	TEST_CASE("lists: an open gateway hides only tools unknown_tools refuses") {
		struct decide_model *m = NULL;
		struct policy *p = NULL;

		CHECK(!load("{ \"version\": 1, " BACKENDS ", \"tools\": { \"run_query\": "
			    "{ \"class\": \"read\" } } }", &p, &m), "load");
		if (m) {
			nobody = who(m, NULL, IDM_NONE);
			left = filter(m, &nobody, MCP_M_TOOLS_LIST, tools, "tools", "name",
				      &removed);
			CHECK(!strcmp(left, "run_query") && removed == 7, "left \"%.100s\"", left);
		}
		unload(p, m);
	}
}

/* --- the shipped example ------------------------------------------------------------------- */

static void test_example(void)
{
	struct decide_model *m = NULL;
	struct policy *p = NULL;
	struct pol_errors errs = {};
	struct decide_verdict v;
	enum decide_action act;
	const char *repo = getenv("SL_REPO") ? getenv("SL_REPO") : ".";
	char path[512];

	snprintf(path, sizeof(path), "%s/policies/example.json", repo);
	TEST_CASE("example.json: compiles, and its agents get what its README says") {
		CHECK(!policy_load_file(path, &p, &errs) && !decide_model_build(p, &m, &errs),
		      "load %.200s: %.200s", path, errs.n ? errs.v[0].msg : "");
		if (m) {
			struct identity claude = who(m, "claude-assistant", IDM_API_KEY);
			struct identity gpt = who(m, "gpt-analyst", IDM_API_KEY);

			CHECK(!decide_open_gateway(m), "open");
			act = judge_with(m, &claude, call("create_account", "{\"name\":\"x\"}"), &v, NULL);
			CHECK(act == DECIDE_DENY && !strcmp(v.rule, "agents.claude-assistant.tools.deny[0]"),
			      "rule %.100s", v.rule);
			act = judge_with(m, &gpt, call("update_account", NULL), &v, NULL);
			CHECK(act == DECIDE_DENY && !strcmp(v.rule, "agents.gpt-analyst.tools.allow"),
			      "rule %.100s", v.rule);
			act = judge_with(m, &gpt, call("run_query", "{\"sql\":\"select 1\",\"explain\":true}"),
					 &v, NULL);
			CHECK(act == DECIDE_DENY && v.reason == DR_PREMIUM, "reason %d", v.reason);
			act = judge_with(m, &gpt, call("export_report", "{\"report_id\":\"r1\","
						       "\"include_raw\":true}"), &v, NULL);
			CHECK(act == DECIDE_REWRITE && v.n_upsell == 1 && v.n_defaults == 1 &&
			      !strcmp(v.upsell[0], "include_raw"), "action %d upsell %zu", act, v.n_upsell);
			act = judge_with(m, &claude, call("get_pricing", NULL), &v, NULL);
			CHECK(act == DECIDE_ALLOW && v.backend && !strcmp(v.backend, "billing"),
			      "backend %s", v.backend ? v.backend : "(none)");
		}
	}
	TEST_CASE("example.json: run_query's sql rule refuses through the decision, on the parse tree") {
		struct identity gpt = m ? who(m, "gpt-analyst", IDM_API_KEY) : (struct identity){};

		if (m) {
			act = judge_with(m, &gpt, call("run_query", "{\"sql\":\"SELECT pg_sleep(10)\"}"),
					 &v, NULL);
			CHECK(act == DECIDE_DENY && strstr(v.message, "pg_sleep"),
			      "time-based: action %d: %.200s", act, v.message);
			act = judge_with(m, &gpt, call("run_query", "{\"sql\":\"SELECT 1; DROP TABLE t\"}"),
					 &v, NULL);
			CHECK(act == DECIDE_DENY, "stacked: action %d", act);
			act = judge_with(m, &gpt, call("run_query", "{\"sql\":\"SELECT count(*) AS "
						      "sleep_hours FROM orders WHERE note = 'pg_sleep'\"}"),
					 &v, NULL);
			CHECK(act != DECIDE_DENY, "benign refused: %.200s", v.message);
		}
	}
	decide_model_free(m);
	policy_free(p);
	pol_errors_free(&errs);
}

/* --- scale -------------------------------------------------------------------------------- */

/* A policy of @agents agents (a<i> may call t<i>) and @tools tools. */
static char *big_policy(int agents, int tools)
{
	size_t cap = 1 << 20, n = 0;
	char *text = malloc(cap);

	if (!text)
		return NULL;
	n += (size_t)snprintf(text + n, cap - n, "{ \"version\": 1, " BACKENDS ", \"agents\": {");
	for (int i = 0; i < agents; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s\"a%d\": { \"sources\": [\"10.%d.%d.1\"], "
				      "\"tools\": { \"allow\": [\"t%d\"] } }", i ? "," : "", i,
				      i / 256, i % 256, i);
	n += (size_t)snprintf(text + n, cap - n, "}, \"tools\": {");
	for (int i = 0; i < tools; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s\"t%d\": { \"class\": \"read\" }",
				      i ? "," : "", i);
	snprintf(text + n, cap - n, "} }");
	return text;
}

static void test_scale(void)
{
	char *text = big_policy(4095, 4096);
	struct decide_model *m = NULL;
	struct policy *p = NULL;
	struct decide_verdict v;
	enum decide_action act;

	TEST_CASE("scale: 4095 agents and 4096 tools build; the last of each is found") {
		CHECK(text && !load(text, &p, &m), "load");
		if (m) {
			struct identity last = who(m, "a4094", IDM_SOURCE);

			CHECK(last.agent == 4094, "agent %d", last.agent);
			act = judge_with(m, &last, call("t4094", NULL), &v, NULL);
			CHECK(act == DECIDE_ALLOW && v.tool == 4094, "tool %d: %.100s", v.tool,
			      v.message);
			act = judge_with(m, &last, call("t4095", NULL), &v, NULL);
			CHECK(act == DECIDE_DENY && !strcmp(v.rule, "agents.a4094.tools.allow"),
			      "rule %.100s", v.rule);
		}
	}
	unload(p, m);
	free(text);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	if (load(main_policy, &pol, &dm)) {
		printf("FAIL: %s: the test policy loads\n", test_prog_name);
		return 1;
	}
	test_tools_rules();
	test_unknown_tools();
	test_resources_prompts();
	test_scopes();
	test_attribution();
	test_plans();
	test_arguments();
	test_sql_step();
	test_rewrites();
	test_premium();
	test_open_gateway();
	test_server_requests();
	test_lists();
	test_example();
	test_scale();
	unload(pol, dm);
	return test_finish();
}
