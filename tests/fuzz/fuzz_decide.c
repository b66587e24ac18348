// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_decide.c - libFuzzer target for the decision (user/policy/decide.h):
 * a few fixed policies x any message.
 *
 * Byte 0 picks the policy (low two bits: agents with rules of every kind, an
 * open gateway, unknown_tools "read" with no tool rules) and the identity
 * (next bits: which agent or none, how it was established, which token
 * scopes); the rest is a body for mcp_parse().  Every message of the batch
 * is judged as sent by the agent and as sent by the backend, and every
 * result is filtered as each kind of list.  Besides crashes, leaks and
 * sanitizer reports, it aborts when a property the proxy relies on fails:
 *
 *  1. a refusal has a documented code, an HTTP status of 200, 401, 403 or
 *     503, and a message that starts with "sluice: "; an allowed message has
 *     no code;
 *  2. a rewrite is final: the rewritten message, judged again, is allowed
 *     as it is;
 *  3. what is forwarded is a message the gateway accepts: a rewritten single
 *     message printed with cJSON parses again with mcp_parse() and is
 *     allowed as it is;
 *  4. a list filtered once keeps everything when filtered again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/decide.h"
#include "policy/policy.h"
#include "proto/mcp.h"

#define BACKENDS "\"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" }, " \
	"\"billing\": { \"url\": \"http://127.0.0.1:9001/mcp\" } }, \"default_backend\": \"main\""
#define KEY(c) "\"" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c "\""

static const char *const policy_texts[] = {
	"{ \"version\": 1, " BACKENDS ", \"plans\": {"
	"  \"free\": { \"tools\": { \"deny\": [\"export_*\"] }, \"prompts\": { \"allow\": [\"p*\"] },"
	"            \"resources\": { \"deny\": [\"file:///secret/*\"] } },"
	"  \"pro\": { \"premium\": true } },"
	" \"agents\": {"
	"  \"a\": { \"keys_sha256\": [" KEY("a") "], \"plan\": \"free\","
	"         \"tools\": { \"deny\": [\"del*\"] }, \"server_requests\": [\"sampling\"] },"
	"  \"b\": { \"keys_sha256\": [" KEY("b") "], \"plan\": \"pro\","
	"         \"tools\": { \"allow\": [\"q\", \"s*\", \"[de]x*\"] },"
	"         \"resources\": { \"allow\": [\"file:///data/*\", \"mem://?\"] },"
	"         \"server_requests\": [\"roots\", \"elicitation\"] },"
	"  \"c.d\": { \"keys_sha256\": [" KEY("c") "] } },"
	" \"tools\": {"
	"  \"q\": { \"class\": \"read\", \"cost\": 2, \"arguments\": {"
	"    \"sql\": { \"type\": \"string\", \"required\": true, \"max_length\": 64,"
	"               \"deny_patterns\": [\"(?i)drop\\\\s+table\", \"(a+)+$\"] },"
	"    \"n\": { \"type\": \"integer\", \"minimum\": 1, \"maximum\": 50, \"default\": 10 },"
	"    \"x\": { \"type\": \"boolean\", \"premium\": true, \"default\": false },"
	"    \"f\": { \"type\": \"string\", \"enum\": [\"csv\", \"json\"], \"default\": \"csv\" } } },"
	"  \"s\": { \"class\": \"read\", \"unknown_arguments\": \"strip\", \"arguments\": {"
	"    \"id\": { \"type\": \"string\", \"pattern\": \"^[a-z0-9-]{1,16}$\", \"default\": \"all\" },"
	"    \"v\": { \"type\": \"boolean\", \"premium\": true, \"premium_action\": \"upsell\" },"
	"    \"t\": { \"type\": \"array\", \"max_length\": 3, \"default\": [] },"
	"    \"o\": { \"type\": \"object\", \"default\": { \"k\": [1, \"x\"] } },"
	"    \"r\": { \"type\": \"number\", \"minimum\": -1.5, \"maximum\": 1e9 } } },"
	"  \"export_report\": { \"class\": \"read\", \"backend\": \"billing\" },"
	"  \"del\": { \"class\": \"write\", \"scopes\": [\"w\", \"admin\"] } } }",

	"{ \"version\": 1, " BACKENDS ", \"tools\": {"
	"  \"q\": { \"class\": \"write\", \"arguments\": {"
	"    \"a\": { \"type\": \"string\", \"pattern\": \"^[^;]*$\", \"default\": \"x\" } } } } }",

	"{ \"version\": 1, " BACKENDS ", \"unknown_tools\": \"read\", \"agents\": {"
	"  \"a\": { \"sources\": [\"127.0.0.2\"], \"prompts\": { \"deny\": [\"*\"] } } } }",
};

#define N_POLICIES (sizeof(policy_texts) / sizeof(policy_texts[0]))

static struct policy *policies[N_POLICIES];
static struct decide_model *models[N_POLICIES];

static void load_policies(void)
{
	for (size_t i = 0; i < N_POLICIES; i++) {
		struct pol_errors errs = {};

		if (policy_parse(policy_texts[i], strlen(policy_texts[i]), &policies[i], &errs) ||
		    decide_model_build(policies[i], &models[i], &errs)) {
			fprintf(stderr, "fuzz_decide: policy %zu: %s\n", i,
				errs.n ? errs.v[0].msg : "out of memory");
			abort();
		}
		pol_errors_free(&errs);
	}
}

/* The identity byte 0 asks for: agent (-1..2), method, scopes. */
static void pick_identity(const struct decide_model *m, uint8_t b, struct identity *id)
{
	static const enum identity_method methods[] = { IDM_NONE, IDM_SOURCE, IDM_API_KEY, IDM_JWT };
	static const char *const scopes[] = { "w", "admin", "x" };

	decide_identity_of(m, (int)((b >> 2) & 3) - 1, methods[(b >> 4) & 3], id);
	for (size_t i = 0; i < 3; i++)
		if (b & (0x40 << (i & 1)) && id->n_scopes < IDENTITY_MAX_SCOPES)
			snprintf(id->scopes[id->n_scopes++], IDENTITY_SCOPE_MAX, "%s", scopes[i]);
}

static void check_verdict(const struct decide_verdict *v, enum decide_action act)
{
	if (act != v->action)
		abort();
	if (act != DECIDE_DENY) {
		if (v->code || v->message[0])
			abort();
		return;
	}
	if (strncmp(v->message, "sluice: ", 8))
		abort();
	if (v->http_status != 200 && v->http_status != 401 && v->http_status != 403 &&
	    v->http_status != 503 && v->reason != DR_INVALID)
		abort();
	switch (v->code) {
	case DECIDE_ERR_FORBIDDEN: case DECIDE_ERR_UNAUTHENTICATED:
	case DECIDE_ERR_INSUFFICIENT_SCOPE: case DECIDE_ERR_PREMIUM:
	case MCP_ERR_INVALID_PARAMS: case MCP_ERR_INTERNAL:
		break;
	default:
		if (v->reason != DR_INVALID)
			abort();
	}
}

/* Property 3: the printed message is accepted and final. */
static void check_reprint(const struct decide_model *m, const struct identity *id,
			  const struct mcp_batch *b)
{
	char *text = cJSON_PrintUnformatted(b->root);
	struct decide_verdict v;
	struct mcp_batch again;
	struct mcp_error err;

	if (!text)
		return;		/* out of memory */
	if (mcp_parse(text, strlen(text), &again, &err) || again.n != 1)
		abort();
	if (decide_request(m, id, &again.msgs[0], NULL, 0, &v) != DECIDE_ALLOW)
		abort();
	mcp_batch_free(&again);
	cJSON_free(text);
}

/* Property 4, for each kind of list. */
static void check_lists(const struct decide_model *m, const struct identity *id,
			const cJSON *result)
{
	static const enum mcp_method lists[] = {
		MCP_M_TOOLS_LIST, MCP_M_RESOURCES_LIST, MCP_M_RESOURCES_TEMPLATES_LIST,
		MCP_M_PROMPTS_LIST,
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		cJSON *copy = cJSON_Duplicate(result, true);

		if (!copy)
			return;
		decide_filter_list(m, id, lists[i], copy);
		if (decide_filter_list(m, id, lists[i], copy))
			abort();
		cJSON_Delete(copy);
	}
}

static void judge(const struct decide_model *m, const struct identity *id,
		  const struct mcp_batch *b, struct mcp_msg *msg)
{
	struct decide_verdict v;
	enum decide_action act;

	act = decide_server_request(m, id, msg, &v);
	check_verdict(&v, act);
	if (msg->kind == MCP_RESPONSE)
		check_lists(m, id, msg->result);
	act = decide_request(m, id, msg, NULL, 1, &v);
	check_verdict(&v, act);
	if (act != DECIDE_REWRITE)
		return;
	act = decide_request(m, id, msg, NULL, 2, &v);	/* property 2 */
	if (act != DECIDE_ALLOW)
		abort();
	if (!b->is_batch)
		check_reprint(m, id, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct decide_model *m;
	struct mcp_batch b;
	struct mcp_error err;
	struct identity id;

	if (!models[0])
		load_policies();
	if (size < 1)
		return 0;
	m = models[(data[0] & 3) % N_POLICIES];
	pick_identity(m, data[0], &id);
	mcp_parse((const char *)data + 1, size - 1, &b, &err);
	for (size_t i = 0; i < b.n; i++)
		judge(m, &id, &b, &b.msgs[i]);
	mcp_batch_free(&b);
	return 0;
}
