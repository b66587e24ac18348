// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_mcp.c - JSON-RPC classification and MCP method dispatch for the demo
 * backend (see demo_mcp.h).  A table maps each method to a handler that
 * returns a result tree, or NULL with a JSON-RPC error.
 */
#include <stdio.h>
#include <string.h>

#include "demo_content.h"
#include "demo_mcp.h"

static const char *const versions[] = { DEMO_MCP_LATEST_VERSION, "2025-06-18", "2025-03-26" };

bool demo_mcp_version_supported(const char *version)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (version && !strcmp(version, versions[i]))
			return true;
	return false;
}

const char *demo_mcp_negotiate(const char *requested)
{
	return demo_mcp_version_supported(requested) ? requested : DEMO_MCP_LATEST_VERSION;
}

/* --- classification ------------------------------------------------------------ */

static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* MCP ids are strings or numbers; null is not allowed for requests. */
static bool id_usable(const cJSON *id)
{
	return cJSON_IsString(id) || cJSON_IsNumber(id);
}

const cJSON *demo_rpc_id(const cJSON *msg)
{
	const cJSON *id = cJSON_IsObject(msg) ? get(msg, "id") : NULL;

	return id_usable(id) ? id : NULL;
}

enum demo_msg_kind demo_mcp_classify(const cJSON *msg)
{
	const cJSON *version, *method, *id;
	bool has_result, has_error;

	if (!cJSON_IsObject(msg))
		return DEMO_MSG_INVALID;
	version = get(msg, "jsonrpc");
	if (!cJSON_IsString(version) || strcmp(version->valuestring, "2.0"))
		return DEMO_MSG_INVALID;
	method = get(msg, "method");
	id = get(msg, "id");
	if (method) {
		if (!cJSON_IsString(method) || (id && !id_usable(id)))
			return DEMO_MSG_INVALID;
		return id ? DEMO_MSG_REQUEST : DEMO_MSG_NOTIFICATION;
	}
	has_result = get(msg, "result") != NULL;
	has_error = cJSON_IsObject(get(msg, "error"));
	/* A response's id may be null: the client could not read our request's. */
	if ((id_usable(id) || cJSON_IsNull(id)) && has_result != has_error)
		return DEMO_MSG_RESPONSE;
	return DEMO_MSG_INVALID;
}

/* --- builders ---------------------------------------------------------------------- */

static cJSON *rpc_envelope(const cJSON *id)
{
	cJSON *msg = cJSON_CreateObject();

	cJSON_AddStringToObject(msg, "jsonrpc", "2.0");
	cJSON_AddItemToObject(msg, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
	return msg;
}

cJSON *demo_rpc_result(const cJSON *id, cJSON *result)
{
	cJSON *msg = rpc_envelope(id);

	cJSON_AddItemToObject(msg, "result", result);
	return msg;
}

cJSON *demo_rpc_error(const cJSON *id, int code, const char *message)
{
	cJSON *msg = rpc_envelope(id);
	cJSON *error = cJSON_AddObjectToObject(msg, "error");

	cJSON_AddNumberToObject(error, "code", code);
	cJSON_AddStringToObject(error, "message", message);
	return msg;
}

static cJSON *notification(const char *method, cJSON **params)
{
	cJSON *msg = cJSON_CreateObject();

	cJSON_AddStringToObject(msg, "jsonrpc", "2.0");
	cJSON_AddStringToObject(msg, "method", method);
	*params = cJSON_AddObjectToObject(msg, "params");
	return msg;
}

cJSON *demo_rpc_progress(const cJSON *token, unsigned int done, unsigned int total,
			 const char *tool)
{
	cJSON *params, *msg = notification("notifications/progress", &params);
	char text[128];

	snprintf(text, sizeof(text), "%s: step %u of %u", tool ? tool : "call", done, total);
	cJSON_AddItemToObject(params, "progressToken", cJSON_Duplicate(token, true));
	cJSON_AddNumberToObject(params, "progress", done);
	cJSON_AddNumberToObject(params, "total", total);
	cJSON_AddStringToObject(params, "message", text);
	return msg;
}

cJSON *demo_rpc_log(uint64_t n)
{
	cJSON *params, *msg = notification("notifications/message", &params);
	char text[64];

	snprintf(text, sizeof(text), "heartbeat %llu", (unsigned long long)n);
	cJSON_AddStringToObject(params, "level", "info");
	cJSON_AddStringToObject(params, "logger", "sluice-demo-backend");
	cJSON_AddStringToObject(params, "data", text);
	return msg;
}

cJSON *demo_rpc_sampling_request(const char *rpc_id, const cJSON *params)
{
	cJSON *msg = cJSON_CreateObject();

	cJSON_AddStringToObject(msg, "jsonrpc", "2.0");
	cJSON_AddStringToObject(msg, "id", rpc_id);
	cJSON_AddStringToObject(msg, "method", "sampling/createMessage");
	cJSON_AddItemToObject(msg, "params", cJSON_Duplicate(params, true));
	return msg;
}

/* --- methods -------------------------------------------------------------------------- */

typedef cJSON *(*method_fn)(const cJSON *params, const struct demo_mcp_ctx *ctx,
			    struct demo_call *call, struct demo_err *err);

static cJSON *refuse(struct demo_err *err, int code, const char *message)
{
	err->code = code;
	snprintf(err->message, sizeof(err->message), "%s", message);
	return NULL;
}

static const char *param_string(const cJSON *params, const char *key)
{
	const cJSON *v = get(params, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *m_initialize(const cJSON *params, const struct demo_mcp_ctx *ctx,
			   struct demo_call *call, struct demo_err *err)
{
	cJSON *result = cJSON_CreateObject(), *caps, *info;

	(void)ctx; (void)err;
	call->initialize = true;
	snprintf(call->version, sizeof(call->version), "%s",
		 demo_mcp_negotiate(param_string(params, "protocolVersion")));
	cJSON_AddStringToObject(result, "protocolVersion", call->version);
	caps = cJSON_AddObjectToObject(result, "capabilities");
	cJSON_AddBoolToObject(cJSON_AddObjectToObject(caps, "tools"), "listChanged", false);
	cJSON_AddBoolToObject(cJSON_AddObjectToObject(caps, "resources"), "listChanged", false);
	cJSON_AddBoolToObject(cJSON_AddObjectToObject(caps, "prompts"), "listChanged", false);
	cJSON_AddObjectToObject(caps, "logging");
	info = cJSON_AddObjectToObject(result, "serverInfo");
	cJSON_AddStringToObject(info, "name", "sluice-demo-backend");
	cJSON_AddStringToObject(info, "version", "0.1.0");
	cJSON_AddStringToObject(result, "instructions",
				"Analytics company demo: query data, read dashboards, export "
				"reports, manage accounts and orders.");
	return result;
}

static cJSON *m_empty(const cJSON *params, const struct demo_mcp_ctx *ctx,
		      struct demo_call *call, struct demo_err *err)
{
	(void)params; (void)ctx; (void)call; (void)err;
	return cJSON_CreateObject();
}

/* The shared list goes in by reference: no copy per request. */
static cJSON *listing(const char *key, const cJSON *list)
{
	cJSON *result = cJSON_CreateObject();

	cJSON_AddItemReferenceToObject(result, key, (cJSON *)list);
	return result;
}

static cJSON *m_tools_list(const cJSON *params, const struct demo_mcp_ctx *ctx,
			   struct demo_call *call, struct demo_err *err)
{
	(void)params; (void)ctx; (void)call; (void)err;
	return listing("tools", demo_tools_list());
}

static cJSON *m_resources_list(const cJSON *params, const struct demo_mcp_ctx *ctx,
			       struct demo_call *call, struct demo_err *err)
{
	(void)params; (void)ctx; (void)call; (void)err;
	return listing("resources", demo_resources_list());
}

static cJSON *m_templates_list(const cJSON *params, const struct demo_mcp_ctx *ctx,
			       struct demo_call *call, struct demo_err *err)
{
	cJSON *result = cJSON_CreateObject();

	(void)params; (void)ctx; (void)call; (void)err;
	cJSON_AddArrayToObject(result, "resourceTemplates");
	return result;
}

static cJSON *m_prompts_list(const cJSON *params, const struct demo_mcp_ctx *ctx,
			     struct demo_call *call, struct demo_err *err)
{
	(void)params; (void)ctx; (void)call; (void)err;
	return listing("prompts", demo_prompts_list());
}

static cJSON *m_resources_read(const cJSON *params, const struct demo_mcp_ctx *ctx,
			       struct demo_call *call, struct demo_err *err)
{
	const char *uri = param_string(params, "uri");

	(void)ctx; (void)call;
	if (!uri)
		return refuse(err, DEMO_RPC_INVALID_PARAMS, "resources/read needs a string 'uri'");
	return demo_resource_read(uri, err);
}

static cJSON *m_prompts_get(const cJSON *params, const struct demo_mcp_ctx *ctx,
			    struct demo_call *call, struct demo_err *err)
{
	const char *name = param_string(params, "name");

	(void)ctx; (void)call;
	if (!name)
		return refuse(err, DEMO_RPC_INVALID_PARAMS, "prompts/get needs a string 'name'");
	return demo_prompt_get(name, get(params, "arguments"), err);
}

static void take_tool_needs(struct demo_call *call, const cJSON *params,
			    const struct demo_tool_out *out)
{
	const cJSON *token = get(get(params, "_meta"), "progressToken");

	call->streams = out->streams;
	call->progress_steps = out->progress_steps;
	call->delay_ms = out->delay_ms;
	call->progress_token = id_usable(token) ? token : NULL;
}

static cJSON *m_tools_call(const cJSON *params, const struct demo_mcp_ctx *ctx,
			   struct demo_call *call, struct demo_err *err)
{
	struct demo_tool_out out;

	call->tool = param_string(params, "name");
	if (!call->tool)
		return refuse(err, DEMO_RPC_INVALID_PARAMS, "tools/call needs a string 'name'");
	if (demo_tool_call(call->tool, get(params, "arguments"), &out)) {
		*err = out.err;
		call->http_500 = out.http_500;
		return NULL;
	}
	take_tool_needs(call, params, &out);
	if (out.sampling_params && !ctx->can_stream) {
		demo_tool_out_free(&out);
		return demo_text_result("sampling_demo needs a single request that accepts "
					"text/event-stream", true);
	}
	/* Sampling answers later: no result now, and no error. */
	call->sampling_params = out.sampling_params;
	return out.result;
}

static const struct {
	const char *name;
	method_fn fn;
} methods[] = {
	{ "initialize", m_initialize },
	{ "ping", m_empty },
	{ "tools/list", m_tools_list },
	{ "tools/call", m_tools_call },
	{ "resources/list", m_resources_list },
	{ "resources/templates/list", m_templates_list },
	{ "resources/read", m_resources_read },
	{ "prompts/list", m_prompts_list },
	{ "prompts/get", m_prompts_get },
	{ "logging/setLevel", m_empty },
};

static method_fn find_method(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(name, methods[i].name))
			return methods[i].fn;
	return NULL;
}

void demo_mcp_request(const cJSON *req, const struct demo_mcp_ctx *ctx, struct demo_call *call)
{
	const char *method = param_string(req, "method");
	const cJSON *params = get(req, "params");
	struct demo_err err = { 0 };
	method_fn fn = method ? find_method(method) : NULL;
	cJSON *result = NULL;
	char message[160];

	memset(call, 0, sizeof(*call));
	call->id = get(req, "id");
	if (!fn) {
		snprintf(message, sizeof(message), "method not found: %s", method ? method : "");
		call->response = demo_rpc_error(call->id, DEMO_RPC_METHOD_NOT_FOUND, message);
		return;
	}
	if (params && !cJSON_IsObject(params))
		refuse(&err, DEMO_RPC_INVALID_PARAMS, "params must be an object");
	else
		result = fn(params, ctx, call, &err);
	if (result)
		call->response = demo_rpc_result(call->id, result);
	else if (err.code)
		call->response = demo_rpc_error(call->id, err.code, err.message);
}

void demo_call_free(struct demo_call *call)
{
	cJSON_Delete(call->response);
	cJSON_Delete(call->sampling_params);
	call->response = call->sampling_params = NULL;
}
