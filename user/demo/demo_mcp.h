/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_mcp.h - the demo backend's JSON-RPC / MCP layer: classifies incoming
 * messages and answers requests, as pure functions over cJSON trees.
 *
 * It knows nothing of HTTP: what a call needs from the transport (a 500,
 * a stream, a delay, a question to the client) comes back in struct
 * demo_call and the server acts on it.
 */
#ifndef SL_DEMO_MCP_H
#define SL_DEMO_MCP_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "demo_tools.h"

/* Newest first: unknown or missing requested versions get the newest. */
#define DEMO_MCP_LATEST_VERSION "2025-11-25"
#define DEMO_MCP_VERSION_MAX	16	/* bytes, NUL included */

enum demo_msg_kind {
	DEMO_MSG_INVALID,
	DEMO_MSG_REQUEST,
	DEMO_MSG_NOTIFICATION,
	DEMO_MSG_RESPONSE,	/* a client answering a server-to-client request */
};

struct demo_mcp_ctx {
	bool can_stream;	/* the answer may be an SSE stream (sampling needs one) */
};

struct demo_call {
	cJSON *response;	/* JSON-RPC response; NULL while sampling is pending */
	const cJSON *id;	/* the request's id: borrowed from the request */
	const cJSON *progress_token;	/* params._meta.progressToken: borrowed, or NULL */
	const char *tool;	/* tools/call: the tool's name, borrowed */
	bool initialize;	/* a session should be made; version below */
	char version[DEMO_MCP_VERSION_MAX];
	bool http_500;
	bool streams;
	unsigned int progress_steps;
	uint32_t delay_ms;
	cJSON *sampling_params;	/* owned: ask the client before answering */
};

enum demo_msg_kind demo_mcp_classify(const cJSON *msg);
/* Answers request @req (classified DEMO_MSG_REQUEST) into @call. */
void demo_mcp_request(const cJSON *req, const struct demo_mcp_ctx *ctx, struct demo_call *call);
void demo_call_free(struct demo_call *call);

bool demo_mcp_version_supported(const char *version);
/* The version to answer a client asking for @requested (may be NULL). */
const char *demo_mcp_negotiate(const char *requested);

/* Builders; @id is copied (NULL means JSON null), @result is taken. */
cJSON *demo_rpc_result(const cJSON *id, cJSON *result);
cJSON *demo_rpc_error(const cJSON *id, int code, const char *message);
/* The id of an invalid message, when it has a usable one (else NULL). */
const cJSON *demo_rpc_id(const cJSON *msg);
cJSON *demo_rpc_progress(const cJSON *token, unsigned int done, unsigned int total,
			 const char *tool);
cJSON *demo_rpc_log(uint64_t n);
cJSON *demo_rpc_sampling_request(const char *rpc_id, const cJSON *params);

#endif
