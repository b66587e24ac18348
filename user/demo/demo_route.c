// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_route.c - the demo backend's endpoints (see demo_route.h):
 *
 *   POST   /mcp      JSON-RPC in, JSON or an SSE stream out (Streamable HTTP)
 *   GET    /mcp      the session's server stream: a log event per second
 *   DELETE /mcp      ends the session
 *   GET    /sse      legacy HTTP+SSE: the event stream, `endpoint` first
 *   POST   /message  legacy: JSON-RPC in (202), answers on the stream
 *   GET    /health   200 "ok"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "demo_conn.h"
#include "demo_err.h"
#include "demo_job.h"
#include "demo_mail.h"
#include "demo_mcp.h"
#include "demo_reply.h"
#include "demo_route.h"
#include "demo_session.h"

#define DEMO_LOG_EVENT_MS	1000	/* GET /mcp: one notifications/message per second */
#define DEMO_LOG_EVENTS_MAX	300	/* ...and the stream ends after event 300 */
#define DEMO_KEEPALIVE_MS	15000	/* legacy /sse: a comment so dead peers show */

#define SESSION_HEADER	"mcp-session-id"

static bool accepts_sse(const struct http_msg *msg)
{
	const char *accept = http_msg_header(msg, "accept");

	return accept && strcasestr(accept, "text/event-stream");
}

/* The whole body is one JSON value: trailing bytes, or a NUL inside, make it a parse error. */
static cJSON *parse_body(const struct http_msg *msg)
{
	const char *text = msg->body.data ? msg->body.data : "", *end = NULL;
	/* + 1: the buffer's own NUL, which cJSON then requires right after the value. */
	cJSON *root = cJSON_ParseWithLengthOpts(text, msg->body.len + 1, &end, true);

	if (root && end != text + msg->body.len) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static bool is_initialize(const cJSON *msg)
{
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");

	return demo_mcp_classify(msg) == DEMO_MSG_REQUEST && !strcmp(method->valuestring, "initialize");
}

/* The session header names a live session (copied to c->sid), or the answer is sent. */
static bool session_ok(struct demo_conn *c, const struct http_msg *msg)
{
	const char *sid = http_msg_header(msg, SESSION_HEADER);

	if (!sid) {
		demo_reply_rpc_error(&c->out, 400, NULL, DEMO_RPC_INVALID_REQUEST,
				     "Bad Request: Mcp-Session-Id header is required");
		return false;
	}
	if (strlen(sid) != DEMO_SID_LEN || !demo_session_exists(sid)) {
		demo_reply_rpc_error(&c->out, 404, NULL, DEMO_RPC_SESSION_NOT_FOUND,
				     "Session not found");
		return false;
	}
	memcpy(c->sid, sid, DEMO_SID_LEN + 1);
	return true;
}

/* A client answering our sampling request: wake the connection that asked. */
static void client_response(const char *sid, const cJSON *msg)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	struct demo_addr waiter;

	if (cJSON_IsString(id) && demo_session_take_pending(sid, id->valuestring, &waiter))
		demo_mail_send(&waiter, DEMO_MAIL_RESPONSE, cJSON_Duplicate(msg, true));
}

/* --- POST /mcp --------------------------------------------------------------------- */

static void start_job(struct demo_conn *c, enum demo_job_out out, struct demo_call *call)
{
	struct demo_job_spec spec = {
		.out = out,
		.final = call->response,
		.id = call->id,
		.progress_token = call->progress_token,
		.tool = call->tool,
		.progress_steps = call->progress_steps,
		.wait_ms = call->delay_ms,
		.sampling_params = call->sampling_params,
	};

	call->response = call->sampling_params = NULL;	/* the job has them */
	demo_job_start(c, &spec);
}

static void answer_call(struct demo_conn *c, struct demo_call *call, bool sse)
{
	if (call->http_500)
		demo_reply_json(&c->out, 500, call->response, NULL);
	else if (sse && (call->streams || call->sampling_params))
		start_job(c, DEMO_OUT_SSE, call);
	else if (call->delay_ms)
		start_job(c, DEMO_OUT_JSON, call);
	else
		demo_reply_json(&c->out, 200, call->response, NULL);
}

static void post_initialize(struct demo_conn *c, const cJSON *msg)
{
	struct demo_mcp_ctx ctx = { .can_stream = false };
	char header[64 + DEMO_SID_LEN], sid[DEMO_SID_LEN + 1];
	struct demo_call call;

	demo_mcp_request(msg, &ctx, &call);
	if (!call.initialize) {		/* refused: bad params */
		demo_reply_json(&c->out, 200, call.response, NULL);
	} else if (demo_session_create(NULL, sid)) {
		demo_reply_rpc_error(&c->out, 500, call.id, DEMO_RPC_INTERNAL_ERROR, "no session");
	} else {
		snprintf(header, sizeof(header), "Mcp-Session-Id: %s\r\n", sid);
		demo_reply_json(&c->out, 200, call.response, header);
	}
	demo_call_free(&call);
}

static void post_single(struct demo_conn *c, const cJSON *msg, bool sse)
{
	struct demo_mcp_ctx ctx = { .can_stream = sse };
	struct demo_call call;

	switch (demo_mcp_classify(msg)) {
	case DEMO_MSG_RESPONSE:
		client_response(c->sid, msg);
		/* fall through */
	case DEMO_MSG_NOTIFICATION:
		demo_reply(&c->out, 202, NULL, "", 0, NULL);
		return;
	case DEMO_MSG_INVALID:
		demo_reply_rpc_error(&c->out, 400, demo_rpc_id(msg), DEMO_RPC_INVALID_REQUEST,
				     "invalid JSON-RPC message");
		return;
	case DEMO_MSG_REQUEST:
		break;
	}
	demo_mcp_request(msg, &ctx, &call);
	answer_call(c, &call, sse);
	demo_call_free(&call);
}

struct batch {
	cJSON *responses;
	bool http_500;
	uint32_t delay_ms;
};

static void batch_item(struct demo_conn *c, const cJSON *msg, struct batch *b)
{
	struct demo_mcp_ctx ctx = { .can_stream = false };
	struct demo_call call;

	switch (demo_mcp_classify(msg)) {
	case DEMO_MSG_RESPONSE:
		client_response(c->sid, msg);
		return;
	case DEMO_MSG_NOTIFICATION:
		return;
	case DEMO_MSG_INVALID:
		cJSON_AddItemToArray(b->responses, demo_rpc_error(demo_rpc_id(msg),
				     DEMO_RPC_INVALID_REQUEST, "invalid JSON-RPC message"));
		return;
	case DEMO_MSG_REQUEST:
		break;
	}
	if (is_initialize(msg)) {
		cJSON_AddItemToArray(b->responses, demo_rpc_error(demo_rpc_id(msg),
				     DEMO_RPC_INVALID_REQUEST, "initialize cannot be batched"));
		return;
	}
	demo_mcp_request(msg, &ctx, &call);
	b->http_500 |= call.http_500;
	if (call.delay_ms > b->delay_ms)
		b->delay_ms = call.delay_ms;
	cJSON_AddItemToArray(b->responses, call.response);
	call.response = NULL;
	demo_call_free(&call);
}

/* A batch answers as one JSON array; `slow` items delay all of it. */
static void post_batch(struct demo_conn *c, const cJSON *batch)
{
	struct batch b = { .responses = cJSON_CreateArray() };
	const cJSON *msg;

	if (!batch->child) {
		demo_reply_rpc_error(&c->out, 400, NULL, DEMO_RPC_INVALID_REQUEST, "empty batch");
		cJSON_Delete(b.responses);
		return;
	}
	cJSON_ArrayForEach(msg, batch)
		batch_item(c, msg, &b);
	if (!b.responses->child) {
		demo_reply(&c->out, 202, NULL, "", 0, NULL);
	} else if (b.http_500) {
		demo_reply_json(&c->out, 500, b.responses, NULL);
	} else if (b.delay_ms) {
		struct demo_job_spec spec = {
			.out = DEMO_OUT_JSON, .final = b.responses, .wait_ms = b.delay_ms,
		};

		b.responses = NULL;
		demo_job_start(c, &spec);
	} else {
		demo_reply_json(&c->out, 200, b.responses, NULL);
	}
	cJSON_Delete(b.responses);
}

static void mcp_post(struct demo_conn *c, const struct http_msg *msg)
{
	const char *version = http_msg_header(msg, "mcp-protocol-version");
	cJSON *root;

	if (version && !demo_mcp_version_supported(version)) {
		demo_reply_rpc_error(&c->out, 400, NULL, DEMO_RPC_INVALID_REQUEST,
				     "Bad Request: unsupported MCP-Protocol-Version");
		return;
	}
	root = parse_body(msg);
	if (!root) {
		demo_reply_rpc_error(&c->out, 400, NULL, DEMO_RPC_PARSE_ERROR, "Parse error");
		return;
	}
	if (is_initialize(root))
		post_initialize(c, root);
	else if (!session_ok(c, msg))
		;	/* answered */
	else if (cJSON_IsArray(root))
		post_batch(c, root);
	else
		post_single(c, root, accepts_sse(msg));
	cJSON_Delete(root);
}

/* --- GET and DELETE /mcp ------------------------------------------------------------ */

static uint64_t parse_event_id(const char *text)
{
	char *end;
	unsigned long long n;

	if (!text || *text < '0' || *text > '9')
		return 0;
	n = strtoull(text, &end, 10);
	/* Not one of this stream's ids (a POST stream's "3-2", say): start afresh. */
	return *end ? 0 : (uint64_t)n;
}

/* A stream whose next tick cannot be armed (out of memory) ends. */
static void stream_wait(struct demo_conn *c, uint32_t ms)
{
	if (ev_timer_arm(c->pool->loop, &c->tick, ms))
		c->out.dead = true;
}

/* GET /mcp and GET /sse: a stream's periodic event, on the connection's tick. */
static void stream_tick(struct demo_conn *c)
{
	char id[24];
	cJSON *event;

	if (c->stream == DEMO_STREAM_LEGACY) {
		demo_sse_comment(&c->out, "keep-alive");
		stream_wait(c, DEMO_KEEPALIVE_MS);
		return;
	}
	/* Bounded, and over when its session is. */
	if (c->log_next > DEMO_LOG_EVENTS_MAX || !demo_session_exists(c->sid)) {
		demo_sse_end(&c->out);
		demo_conn_answer_done(c);
		return;
	}
	snprintf(id, sizeof(id), "%llu", (unsigned long long)c->log_next);
	event = demo_rpc_log(c->log_next++);
	demo_sse_json(&c->out, NULL, id, event);
	cJSON_Delete(event);
	stream_wait(c, DEMO_LOG_EVENT_MS);
}

static void mcp_get(struct demo_conn *c, const struct http_msg *msg)
{
	if (!accepts_sse(msg)) {
		demo_reply_rpc_error(&c->out, 406, NULL, DEMO_RPC_INVALID_REQUEST,
				     "Not Acceptable: GET /mcp needs Accept: text/event-stream");
		return;
	}
	if (!session_ok(c, msg))
		return;
	/* Events are numbered and deterministic: resuming is continuing. */
	c->log_next = parse_event_id(http_msg_header(msg, "last-event-id")) + 1;
	demo_sse_begin(&c->out);
	c->state = DEMO_CONN_STREAM;
	c->stream = DEMO_STREAM_LOG;
	stream_tick(c);
}

static void mcp_delete(struct demo_conn *c, const struct http_msg *msg)
{
	const char *sid = http_msg_header(msg, SESSION_HEADER);

	if (!sid)
		demo_reply_rpc_error(&c->out, 400, NULL, DEMO_RPC_INVALID_REQUEST,
				     "Bad Request: Mcp-Session-Id header is required");
	else if (!demo_session_delete(sid))
		demo_reply_rpc_error(&c->out, 404, NULL, DEMO_RPC_SESSION_NOT_FOUND,
				     "Session not found");
	else
		demo_reply(&c->out, 200, NULL, "", 0, NULL);
}

/* --- legacy HTTP+SSE ------------------------------------------------------------------ */

static void legacy_open(struct demo_conn *c)
{
	struct demo_addr sink = demo_conn_addr(c);
	char endpoint[32 + DEMO_SID_LEN];

	if (demo_session_create(&sink, c->sid)) {
		demo_reply_rpc_error(&c->out, 500, NULL, DEMO_RPC_INTERNAL_ERROR, "no session");
		return;
	}
	demo_sse_begin(&c->out);
	c->state = DEMO_CONN_STREAM;
	c->stream = DEMO_STREAM_LEGACY;
	snprintf(endpoint, sizeof(endpoint), "/message?sessionId=%s", c->sid);
	demo_sse_event(&c->out, "endpoint", NULL, endpoint, strlen(endpoint));
	stream_wait(c, DEMO_KEEPALIVE_MS);
}

/* ?sessionId=<id> among the query's parameters, into @sid ("" when absent). */
static void query_session(const char *url, char sid[DEMO_SID_LEN + 1])
{
	const char *p = strchr(url, '?');
	size_t len;

	sid[0] = '\0';
	while (p) {
		p++;
		if (!strncmp(p, "sessionId=", 10)) {
			p += 10;
			len = strcspn(p, "&");
			if (len == DEMO_SID_LEN) {
				memcpy(sid, p, len);
				sid[len] = '\0';
			}
			return;
		}
		p = strchr(p, '&');
	}
}

static bool calls_fail(const cJSON *msg)
{
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
	const cJSON *item;

	if (cJSON_IsArray(msg)) {
		cJSON_ArrayForEach(item, msg)
			if (calls_fail(item))
				return true;
		return false;
	}
	return demo_mcp_classify(msg) == DEMO_MSG_REQUEST &&
	       !strcmp(cJSON_GetObjectItemCaseSensitive(msg, "method")->valuestring, "tools/call") &&
	       cJSON_IsString(name) && !strcmp(name->valuestring, "fail");
}

static void legacy_post(struct demo_conn *c, const struct http_msg *msg)
{
	struct demo_addr sink;
	cJSON *root;

	query_session(msg->url, c->sid);
	if (!demo_session_sink(c->sid, &sink)) {
		demo_reply_rpc_error(&c->out, 404, NULL, DEMO_RPC_SESSION_NOT_FOUND,
				     "Session not found");
		return;
	}
	root = parse_body(msg);
	if (!root) {
		demo_reply_rpc_error(&c->out, 400, NULL, DEMO_RPC_PARSE_ERROR, "Parse error");
	} else if (calls_fail(root)) {
		cJSON_Delete(root);
		demo_reply_rpc_error(&c->out, 500, NULL, DEMO_RPC_INTERNAL_ERROR,
				     "the fail hook: this backend failed on purpose");
	} else if (demo_mail_send(&sink, DEMO_MAIL_MESSAGES, root)) {
		demo_reply_rpc_error(&c->out, 503, NULL, DEMO_RPC_INTERNAL_ERROR,
				     "stream unavailable");
	} else {
		demo_reply(&c->out, 202, "text/plain", "Accepted", 8, NULL);
	}
}

static void legacy_one(struct demo_conn *c, const cJSON *msg)
{
	struct demo_mcp_ctx ctx = { .can_stream = true };
	struct demo_call call;
	cJSON *error;

	switch (demo_mcp_classify(msg)) {
	case DEMO_MSG_RESPONSE:
		client_response(c->sid, msg);
		return;
	case DEMO_MSG_NOTIFICATION:
		return;
	case DEMO_MSG_INVALID:
		error = demo_rpc_error(demo_rpc_id(msg), DEMO_RPC_INVALID_REQUEST,
				       "invalid JSON-RPC message");
		demo_sse_json(&c->out, "message", NULL, error);
		cJSON_Delete(error);
		return;
	case DEMO_MSG_REQUEST:
		break;
	}
	demo_mcp_request(msg, &ctx, &call);
	if (call.streams || call.sampling_params || call.delay_ms)
		start_job(c, DEMO_OUT_LEGACY, &call);
	else
		demo_sse_json(&c->out, "message", NULL, call.response);
	demo_call_free(&call);
}

void demo_route_legacy_mail(struct demo_conn *c, const cJSON *root)
{
	const cJSON *msg;

	if (c->stream != DEMO_STREAM_LEGACY)
		return;
	if (!cJSON_IsArray(root)) {
		legacy_one(c, root);
		return;
	}
	cJSON_ArrayForEach(msg, root)
		legacy_one(c, msg);
}

/* --- routing ------------------------------------------------------------------------- */

/*
 * DNS rebinding: a browser page from elsewhere reaching this loopback server
 * carries its own Origin.  MCP servers must refuse those; agents and the
 * gateway send no Origin at all, so they never pay more than the lookup.
 */
static bool origin_ok(const struct http_msg *msg)
{
	const char *origin = http_msg_header(msg, "origin"), *host;
	size_t len;

	if (!origin)
		return true;
	host = strstr(origin, "://");
	if (!host)
		return false;
	host += 3;
	len = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/");
	return (len == 9 && !strncasecmp(host, "localhost", 9)) ||
	       (len == 5 && !strncmp(host, "[::1]", 5)) ||
	       (!strncmp(host, "127.", 4) && strspn(host, "0123456789.") == len);
}

static bool path_is(const char *url, const char *path)
{
	size_t len = strlen(path);

	return !strncmp(url, path, len) && (url[len] == '\0' || url[len] == '?');
}

static void not_allowed(struct demo_conn *c, const char *allow)
{
	char header[64];

	snprintf(header, sizeof(header), "Allow: %s\r\n", allow);
	demo_reply(&c->out, 405, "text/plain", "method not allowed\n", 19, header);
}

static void route_request(struct demo_conn *c, struct http_msg *msg)
{
	int method = msg->method;

	if (!origin_ok(msg)) {
		demo_reply_rpc_error(&c->out, 403, NULL, DEMO_RPC_INVALID_REQUEST,
				     "Forbidden: Origin is not a loopback origin");
	} else if (method == HTTP_HEAD) {
		/* No body may follow; nothing here is worth a HEAD. */
		c->out.close_after = true;
		demo_reply(&c->out, 405, NULL, "", 0, "Allow: GET, POST, DELETE\r\n");
	} else if (path_is(msg->url, "/mcp")) {
		if (method == HTTP_POST)
			mcp_post(c, msg);
		else if (method == HTTP_GET)
			mcp_get(c, msg);
		else if (method == HTTP_DELETE)
			mcp_delete(c, msg);
		else
			not_allowed(c, "GET, POST, DELETE");
	} else if (path_is(msg->url, "/sse")) {
		if (method == HTTP_GET)
			legacy_open(c);
		else
			not_allowed(c, "GET");
	} else if (path_is(msg->url, "/message")) {
		if (method == HTTP_POST)
			legacy_post(c, msg);
		else
			not_allowed(c, "POST");
	} else if (path_is(msg->url, "/health") && method == HTTP_GET) {
		demo_reply(&c->out, 200, "text/plain", "ok\n", 3, NULL);
	} else {
		demo_reply(&c->out, 404, "text/plain", "not found\n", 10, NULL);
	}
}

static void route_closing(struct demo_conn *c)
{
	demo_jobs_free(c);
	/* A legacy session lives as long as its event stream. */
	if (c->stream == DEMO_STREAM_LEGACY)
		demo_session_delete(c->sid);
}

const struct demo_conn_ops demo_route_ops = {
	.request = route_request,
	.tick = stream_tick,
	.closing = route_closing,
};
