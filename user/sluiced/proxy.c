// SPDX-License-Identifier: GPL-2.0-only
/*
 * proxy.c - client connections: read and frame requests, check them, route
 * them to a backend exchange, and relay the answer (JSON whole, SSE event by
 * event).  Every refusal is an HTTP status with a JSON-RPC error body that
 * says what was wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cjson/cJSON.h>

#include "proto/inspect.h"
#include "base/log.h"
#include "proxy.h"

#define CLIENT_READ_CHUNK 65536
/* After a refusal the client may still be sending (a body over the limit):
 * closing at once would reset the connection and lose our answer, so the
 * write side is shut and input drained this long first. */
#define LINGER_MS 1000
#define LEGACY_MESSAGE_PATH "/message"
#define LEGACY_SSE_PATH "/sse"

static void client_close(struct client *c);
static void client_flush(struct client *c);
static void client_continue(struct client *c);
static void client_on_io(struct ev_loop *loop, int fd, unsigned int events, void *data);

/* --- answers ------------------------------------------------------------------ */

/* Queues a complete response with a body; Connection: close when closing. */
static void queue_response(struct client *c, int status, const char *ctype, const char *body,
			   size_t len, const char *extra_headers)
{
	struct buf *o = &c->out;

	http_put_status(o, status);
	buf_printf(o, "Content-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", ctype, len,
		   extra_headers ? extra_headers : "", c->close_after ? "Connection: close\r\n" : "");
	buf_append(o, body, len);
}

/*
 * A JSON-RPC error as the whole answer.  @retry_after_s > 0 adds Retry-After.
 * Errors that leave the connection in doubt (framing) set close_after first.
 */
static void answer_error(struct client *c, int status, const char *rpc_id, int code,
			 const char *message, unsigned int retry_after_s)
{
	char extra[64] = "";
	char *body = inspect_error_json(rpc_id, code, message, retry_after_s);

	if (retry_after_s)
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", retry_after_s);
	if (!body) {
		c->close_after = true;
		queue_response(c, 500, "text/plain", "out of memory\n", 14, NULL);
	} else {
		queue_response(c, status, "application/json", body, strlen(body), extra);
	}
	free(body);
}

/* --- exchanges ---------------------------------------------------------------- */

static struct exchange *exchange_new(struct client *c, struct gw_policy *gp, enum ex_kind kind)
{
	struct exchange *ex = calloc(1, sizeof(*ex));

	if (!ex)
		return NULL;
	ex->client = c;
	ex->gp = gp;
	ex->kind = kind;
	ex->be = &gp->cfg.backends[gp->cfg.default_backend];
	ex->loop = c->w->loop;
	ex->client_http10 = c->rd.msg.http_major == 1 && c->rd.msg.http_minor == 0;
	ex->started_ms = ev_now_ms(c->w->loop);
	ev_timer_init(&ex->deadline, NULL, ex);
	c->ex = ex;
	return ex;
}

static void exchange_reap(struct ev_loop *loop, void *data)
{
	struct exchange *ex = data;

	(void)loop;
	buf_free(&ex->request);
	http_reader_free(&ex->rd);
	sse_free(&ex->sse);
	gw_policy_put(ex->gp);
	free(ex->rpc_id);
	free(ex);
}

/*
 * Detaches the exchange now and frees it from a zero-delay timer: it ends
 * inside its own response reader's callbacks, and the parser still touches
 * its state on the way out.
 */
static void exchange_free(struct exchange *ex)
{
	/* Both a client hang-up and the relay error it causes end the exchange. */
	if (ex->reaping)
		return;
	ex->reaping = true;
	ev_timer_cancel(ex->loop, &ex->deadline);
	if (ex->client)
		ex->client->ex = NULL;
	ex->client = NULL;
	ev_timer_init(&ex->reaper, exchange_reap, ex);
	ev_timer_arm(ex->loop, &ex->reaper, 0);
}

/* The exchange is over; the client goes on to its next request. */
static void exchange_end(struct exchange *ex, bool upstream_reusable)
{
	struct client *c = ex->client;

	upstream_release(ex, upstream_reusable);
	exchange_free(ex);
	client_flush(c);
}

/* Hop-by-hop headers belong to one connection and are never forwarded. */
static bool hop_by_hop(const char *name)
{
	static const char *const names[] = {
		"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
		"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
		"content-length", "host",
	};
	size_t len = strlen(name);

	/* Runs for every header of every message: compare only equal lengths. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !strcasecmp(name, names[i]))
			return true;
	return false;
}

/* "Name: value\r\n" without a format pass. */
static void put_header(struct buf *o, const char *name, const char *value)
{
	buf_puts(o, name);
	buf_append(o, ": ", 2);
	buf_puts(o, value);
	buf_append(o, "\r\n", 2);
}

static int build_request(struct exchange *ex, const struct http_msg *msg, const char *method,
			 const char *path)
{
	struct buf *r = &ex->request;
	struct client *c = ex->client;

	buf_printf(r, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, ex->be->authority);
	for (size_t i = 0; i < msg->n_headers; i++)
		/* Expect is not forwarded: the body is already here, and a 100
		 * Continue from the backend would only be noise to skip. */
		if (!hop_by_hop(msg->names[i]) && strcasecmp(msg->names[i], "x-forwarded-for") &&
		    strcasecmp(msg->names[i], "expect"))
			put_header(r, msg->names[i], msg->values[i]);
	buf_printf(r, "X-Forwarded-For: %s\r\n", c->peer_str);
	if (msg->body.len || !strcmp(method, "POST"))
		buf_printf(r, "Content-Length: %zu\r\n", msg->body.len);
	buf_puts(r, "\r\n");
	return buf_append(r, msg->body.data ? msg->body.data : "", msg->body.len);
}

static void start_exchange(struct exchange *ex, const struct http_msg *msg, const char *method,
			   const char *path)
{
	struct client *c = ex->client;

	if (build_request(ex, msg, method, path) || upstream_start(ex)) {
		answer_error(c, 500, ex->rpc_id, INSPECT_INTERNAL_ERROR, "out of memory", 0);
		exchange_free(ex);
		client_flush(c);
	}
}

/* --- checks ----------------------------------------------------------------------- */

static bool host_in(const char *host, char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(host, list[i]))
			return true;
	return false;
}

/* The listener's own names (gwconf precomputes them with its port). */
static bool own_host(const struct gw_config *cfg, const char *host)
{
	return host_in(host, cfg->own_hosts, cfg->n_own_hosts);
}

/*
 * DNS rebinding: a page on evil.example resolved to 127.0.0.1 reaches a
 * local listener with a foreign Host and Origin.  Local listeners accept
 * only their own names, plus what the policy allows.
 */
static const char *check_origin(const struct gw_config *cfg, const struct http_msg *msg)
{
	const char *host = http_msg_header(msg, "host");
	const char *origin = http_msg_header(msg, "origin");

	if (!host)
		return "missing Host header";
	if (!own_host(cfg, host) && !host_in(host, cfg->allowed_hosts, cfg->n_allowed_hosts))
		return "Host not allowed";
	if (!origin || host_in(origin, cfg->allowed_origins, cfg->n_allowed_origins))
		return NULL;
	if (!strncasecmp(origin, "http://", 7) && own_host(cfg, origin + 7))
		return NULL;
	return "Origin not allowed";
}

/* --- routes ------------------------------------------------------------------------- */

static const struct gw_backend *session_backend(const struct gw_config *cfg, const char *sid,
						struct session *s)
{
	if (!sid || !sessions_get(sid, s))
		return NULL;
	return gw_find_backend(cfg, s->backend);
}

/*
 * Judges a POSTed body: refused, it is answered here and NULL comes back;
 * passed, a new exchange carries what the judgement learned.  Either way
 * the policy reference @gp is taken over.
 */
static struct exchange *judged_exchange(struct client *c, struct gw_policy *gp,
					const struct http_msg *msg, enum ex_kind kind)
{
	struct inspect_result res;
	struct exchange *ex;

	if (inspect_request(msg, &res)) {
		if (res.close)
			c->close_after = true;
		answer_error(c, res.http_status, res.rpc_id, res.code, res.message, 0);
		free(res.rpc_id);
		gw_policy_put(gp);
		return NULL;
	}
	ex = exchange_new(c, gp, kind);
	if (!ex) {
		free(res.rpc_id);
		gw_policy_put(gp);
		c->close_after = true;
		return NULL;
	}
	ex->rpc_id = res.rpc_id;
	ex->is_initialize = res.is_initialize;
	snprintf(ex->client_name, sizeof(ex->client_name), "%s", res.client_name);
	snprintf(ex->client_version, sizeof(ex->client_version), "%s", res.client_version);
	return ex;
}

static void route_mcp_post(struct client *c, struct gw_policy *gp, const struct http_msg *msg)
{
	const char *sid = http_msg_header(msg, "mcp-session-id");
	struct exchange *ex = judged_exchange(c, gp, msg, EX_MCP_POST);
	const struct gw_backend *be;
	struct session s;

	if (!ex)
		return;
	be = session_backend(&gp->cfg, sid, &s);
	if (be)
		ex->be = be;
	start_exchange(ex, msg, "POST", ex->be->path);
}

static void route_mcp_other(struct client *c, struct gw_policy *gp, const struct http_msg *msg,
			    enum ex_kind kind)
{
	const char *sid = http_msg_header(msg, "mcp-session-id");
	struct session s;
	const struct gw_backend *be = session_backend(&gp->cfg, sid, &s);
	struct exchange *ex = exchange_new(c, gp, kind);

	if (!ex) {
		gw_policy_put(gp);
		c->close_after = true;
		return;
	}
	if (be)
		ex->be = be;
	if (sid)
		snprintf(ex->session, sizeof(ex->session), "%s", sid);
	start_exchange(ex, msg, kind == EX_MCP_GET ? "GET" : "DELETE", ex->be->path);
}

static void route_legacy_sse(struct client *c, struct gw_policy *gp, const struct http_msg *msg)
{
	struct exchange *ex = exchange_new(c, gp, EX_LEGACY_SSE);

	if (!ex) {
		gw_policy_put(gp);
		c->close_after = true;
		return;
	}
	start_exchange(ex, msg, "GET", ex->be->sse_path);
}

/* The session id of "/message?sessionId=..." (NULL when absent or too long). */
static bool query_session(const char *url, char *out, size_t len)
{
	const char *q = strchr(url, '?'), *p;
	size_t n;

	for (p = q; p; p = strchr(p + 1, '&')) {
		if (strncmp(p + 1, "sessionId=", 10))
			continue;
		p += 11;
		n = strcspn(p, "&#");
		if (!n || n >= len)
			return false;
		snprintf(out, len, "%.*s", (int)n, p);
		return true;
	}
	return false;
}

static void route_legacy_post(struct client *c, struct gw_policy *gp, const struct http_msg *msg)
{
	char sid[SL_SESSION_ID_MAX];
	struct session s;
	const struct gw_backend *be;
	struct exchange *ex;

	if (!query_session(msg->url, sid, sizeof(sid)) || !(be = session_backend(&gp->cfg, sid, &s))) {
		answer_error(c, 404, NULL, INSPECT_INVALID_REQUEST,
			     "unknown or missing sessionId: open /sse first", 0);
		gw_policy_put(gp);
		return;
	}
	ex = judged_exchange(c, gp, msg, EX_LEGACY_POST);
	if (!ex)
		return;
	ex->be = be;
	snprintf(ex->session, sizeof(ex->session), "%s", sid);
	start_exchange(ex, msg, "POST", s.legacy_path);
}

static bool path_is(const char *url, const char *path)
{
	size_t n = strlen(path);

	return !strncmp(url, path, n) && (url[n] == '\0' || url[n] == '?');
}

static void handle_request(struct client *c, const struct http_msg *msg)
{
	struct gw_policy *gp = gw_policy_current();
	const struct gw_config *cfg = &gp->cfg;
	const char *why = check_origin(cfg, msg);

	if (why) {
		answer_error(c, 403, NULL, INSPECT_INVALID_REQUEST, why, 0);
		gw_policy_put(gp);
	} else if (path_is(msg->url, cfg->mcp_path)) {
		if (msg->method == HTTP_POST)
			route_mcp_post(c, gp, msg);
		else if (msg->method == HTTP_GET)
			route_mcp_other(c, gp, msg, EX_MCP_GET);
		else if (msg->method == HTTP_DELETE)
			route_mcp_other(c, gp, msg, EX_MCP_DELETE);
		else {
			answer_error(c, 405, NULL, INSPECT_INVALID_REQUEST,
				     "method not allowed: POST, GET or DELETE", 0);
			gw_policy_put(gp);
		}
	} else if (path_is(msg->url, LEGACY_SSE_PATH) && msg->method == HTTP_GET) {
		route_legacy_sse(c, gp, msg);
	} else if (path_is(msg->url, LEGACY_MESSAGE_PATH) && msg->method == HTTP_POST) {
		route_legacy_post(c, gp, msg);
	} else {
		answer_error(c, 404, NULL, INSPECT_INVALID_REQUEST, "no such endpoint", 0);
		gw_policy_put(gp);
	}
}

/* --- the backend's answer ------------------------------------------------------------ */

static void put_passthrough_headers(struct buf *o, const struct http_msg *msg)
{
	for (size_t i = 0; i < msg->n_headers; i++)
		if (!hop_by_hop(msg->names[i]))
			put_header(o, msg->names[i], msg->values[i]);
}

static void remember_session(struct exchange *ex, const struct http_msg *msg)
{
	const char *sid = http_msg_header(msg, "mcp-session-id");
	struct session s = {};

	if (!sid || strlen(sid) >= SL_SESSION_ID_MAX)
		return;
	snprintf(s.backend, sizeof(s.backend), "%s", ex->be->name);
	snprintf(s.client_name, sizeof(s.client_name), "%s", ex->client_name);
	snprintf(s.client_version, sizeof(s.client_version), "%s", ex->client_version);
	if (ex->is_initialize || !sessions_get(sid, &(struct session){}))
		sessions_put(sid, &s);
	if (ex->is_initialize)
		pr_debug("sluiced: session %s: client %s %s on backend %s\n", sid, s.client_name,
			 s.client_version, s.backend);
}

int proxy_on_response_head(struct exchange *ex, struct http_msg *msg)
{
	struct client *c = ex->client;
	const char *ctype = http_msg_header(msg, "content-type");

	ex->status = msg->status;
	if (ex->kind == EX_MCP_POST)
		remember_session(ex, msg);
	if (ex->kind == EX_MCP_DELETE && msg->status / 100 == 2 && ex->session[0])
		sessions_del(ex->session);
	if (!ctype || strncasecmp(ctype, "text/event-stream", 17))
		return HTTP_BODY_BUFFER;
	ex->streaming = true;
	/* A stream may live for hours: the answer deadline covered its head. */
	ev_timer_cancel(ex->loop, &ex->deadline);
	if (c) {
		http_put_status(&c->out, msg->status);
		put_passthrough_headers(&c->out, msg);
		if (ex->client_http10)
			c->close_after = true;	/* HTTP/1.0 has no chunks: EOF ends the stream */
		buf_puts(&c->out, ex->client_http10 ? "Connection: close\r\n\r\n" :
						      "Transfer-Encoding: chunked\r\n\r\n");
		ex->client_head_sent = true;
		client_flush(c);
	}
	return HTTP_BODY_STREAM;
}

/* The legacy transport's first event names the backend's message path:
 * remember it and show the client the gateway's own. */
static int rewrite_endpoint(struct exchange *ex, struct sse_event *ev)
{
	char sid[SL_SESSION_ID_MAX];
	struct session s = {};
	const char *path = ev->data.data ? ev->data.data : "";

	if (!strncmp(path, "http://", 7) && strchr(path + 7, '/'))
		path = strchr(path + 7, '/');
	if (!query_session(path, sid, sizeof(sid)) || strlen(path) >= sizeof(s.legacy_path))
		return -EINVAL;
	snprintf(s.backend, sizeof(s.backend), "%s", ex->be->name);
	snprintf(s.legacy_path, sizeof(s.legacy_path), "%s", path);
	sessions_put(sid, &s);
	snprintf(ex->session, sizeof(ex->session), "%s", sid);
	buf_reset(&ev->data);
	return buf_printf(&ev->data, "%s?sessionId=%s", LEGACY_MESSAGE_PATH, sid);
}

int proxy_on_sse_event(struct exchange *ex, struct sse_event *ev)
{
	struct client *c = ex->client;
	struct buf wire = {};
	int err = 0;

	if (ex->kind == EX_LEGACY_SSE && !strcmp(ev->type, "endpoint"))
		err = rewrite_endpoint(ex, ev);
	else if (ev->has_data && !ev->comment && inspect_event(ev->data.data, ev->data.len))
		pr_warn("sluiced: backend %s sent an SSE event that is not JSON-RPC; relayed\n",
			ex->be->name);
	if (err)
		return err;
	if (!c)
		return -EPIPE;
	err = sse_put_event(&wire, ev);
	if (!err)
		err = ex->client_http10 ? buf_append(&c->out, wire.data, wire.len) :
					  http_put_chunk(&c->out, wire.data, wire.len);
	buf_free(&wire);
	/* No flush here: upstream.c flushes once per read, however many events. */
	return err;
}

/* JSON bodies are JSON-RPC and inspected; others ("Accepted", error pages) pass. */
static bool is_json(const struct http_msg *msg)
{
	const char *ctype = http_msg_header(msg, "content-type");

	return msg->body.len && ctype && !strncasecmp(ctype, "application/json", 16);
}

void proxy_on_response_done(struct exchange *ex, struct http_msg *msg)
{
	struct client *c = ex->client;
	bool reusable = msg->keep_alive;

	if (!c) {
		exchange_end(ex, false);
		return;
	}
	if (ex->streaming) {
		if (!ex->client_http10)
			http_put_chunk(&c->out, NULL, 0);
	} else if (is_json(msg) && inspect_response(msg->body.data, msg->body.len)) {
		answer_error(c, 502, ex->rpc_id, INSPECT_INTERNAL_ERROR,
			     "backend answered with something that is not JSON-RPC", 0);
	} else {
		http_put_status(&c->out, msg->status);
		put_passthrough_headers(&c->out, msg);
		buf_printf(&c->out, "Content-Length: %zu\r\n%s\r\n", msg->body.len,
			   c->close_after ? "Connection: close\r\n" : "");
		buf_append(&c->out, msg->body.data ? msg->body.data : "", msg->body.len);
	}
	exchange_end(ex, reusable);
}

void proxy_flush(struct exchange *ex)
{
	if (ex->client)
		client_flush(ex->client);
}

void proxy_on_upstream_failed(struct exchange *ex, int status, const char *why)
{
	struct client *c = ex->client;
	bool timeout = status == 504;

	if (!c) {
		exchange_free(ex);
		return;
	}
	/* Refusals while the breaker is open would flood the log: debug only. */
	if (ex->bs && breaker_is_open(ex->bs->breaker, ex->be->failure_threshold))
		pr_debug("sluiced: %s %s: %s\n", ex->be->name, ex->be->authority, why);
	else
		pr_info("sluiced: %s %s: %s\n", ex->be->name, ex->be->authority, why);
	if (ex->client_head_sent) {
		/* Mid-stream: the status is gone.  Close without the last chunk, so
		 * the client sees a cut stream, not a complete one. */
		c->close_after = true;
	} else {
		answer_error(c, status, ex->rpc_id,
			     timeout ? INSPECT_TIMEOUT : INSPECT_UNAVAILABLE,
			     timeout ? "backend timed out; try again later" :
				       "backend temporarily unavailable; try again later",
			     ex->be->retry_after_s);
	}
	exchange_free(ex);
	client_flush(c);
}

/* --- the client connection ------------------------------------------------------------- */

static int on_req_headers(void *ctx, struct http_msg *msg)
{
	struct client *c = ctx;
	const char *expect = http_msg_header(msg, "expect");

	/* The gateway takes the body itself, so it answers 100-continue itself
	 * (a body over the limit is refused by the reader before this matters). */
	if (expect && !strcasecmp(expect, "100-continue") && msg->http_minor >= 1 &&
	    msg->content_length <= (int64_t)c->rd.lim.max_body_bytes) {
		buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
		client_flush(c);
	}
	return HTTP_BODY_BUFFER;
}

static int on_req_body(void *ctx, const char *data, size_t len)
{
	(void)ctx, (void)data, (void)len;
	return 0;
}

static void on_req_complete(void *ctx, struct http_msg *msg)
{
	struct client *c = ctx;

	c->in_request = false;
	ev_timer_cancel(c->w->loop, &c->timer);
	if (!msg->keep_alive)
		c->close_after = true;
	handle_request(c, msg);
}

static const struct http_reader_ops req_ops = {
	.on_headers = on_req_headers,
	.on_body = on_req_body,
	.on_complete = on_req_complete,
};

static void on_client_timer(struct ev_loop *loop, void *data)
{
	struct client *c = data;

	(void)loop;
	if (!c->in_request || c->lingering) {
		client_close(c);	/* idle, or done lingering: nothing to say */
		return;
	}
	c->close_after = true;
	answer_error(c, 408, NULL, INSPECT_INVALID_REQUEST, "request not received in time", 0);
	client_flush(c);
}

static void arm_client_timer(struct client *c)
{
	ev_timer_arm(c->w->loop, &c->timer, c->in_request ? c->header_timeout_ms :
							     c->idle_timeout_ms);
}

static void client_on_io(struct ev_loop *loop, int fd, unsigned int events, void *data);

static void client_watch(struct client *c)
{
	unsigned int ev = EV_READ;

	if (c->closed)
		return;
	if (buf_pending(&c->out))
		ev |= EV_WRITE;
	if (c->peer_done)
		ev &= ~EV_READ;	/* EOF stays readable: watching it would spin */
	/* Stop reading a client that sends more while it waits (it gets it later). */
	if (c->ex && buf_pending(&c->in) > SL_CLIENT_QUEUE_HIGH)
		ev &= ~EV_READ;
	ev_watch(c->w->loop, c->fd, ev, client_on_io, c);
}

static void client_free(struct ev_loop *loop, void *data)
{
	struct client *c = data;

	(void)loop;
	http_reader_free(&c->rd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

/*
 * Tears the connection down now, but frees it only from a zero-delay timer:
 * the close can happen deep inside a callback chain (an upstream failure
 * answered and flushed) whose callers still hold @c.  Everything that
 * touches a client checks c->closed first.
 */
static void client_close(struct client *c)
{
	struct worker *w = c->w;

	if (c->closed)
		return;
	c->closed = true;
	if (c->ex) {
		c->ex->client = NULL;
		upstream_release(c->ex, false);
		exchange_free(c->ex);
	}
	ev_unwatch(w->loop, c->fd);
	close(c->fd);
	if (c->counted_source)
		admit_release(&c->peer);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->n_clients--;
	ev_timer_cancel(w->loop, &c->timer);
	ev_timer_init(&c->timer, client_free, c);
	ev_timer_arm(w->loop, &c->timer, 0);
}

/* Parses buffered requests while no exchange is running. */
static void client_parse(struct client *c)
{
	while (!c->closed && !c->ex && !c->close_after && buf_pending(&c->in)) {
		ssize_t n;

		if (c->rd.complete)
			http_reader_next(&c->rd);
		if (!c->in_request) {
			c->in_request = true;
			arm_client_timer(c);
		}
		/* An answer given inside the feed (circuit open) flushes, and the
		 * flush must not parse again: these bytes are not consumed yet. */
		c->parsing = true;
		n = http_reader_feed(&c->rd, buf_head(&c->in), buf_pending(&c->in));
		c->parsing = false;
		if (c->closed)
			break;
		if (n < 0) {
			c->close_after = true;
			answer_error(c, c->rd.error_status, NULL,
				     INSPECT_INVALID_REQUEST, c->rd.error, 0);
			buf_reset(&c->in);
			break;
		}
		buf_consume(&c->in, (size_t)n);
		if (!c->rd.complete)
			break;
	}
}

static void client_continue(struct client *c)
{
	if (!c->closed && !c->parsing && !c->ex && !c->close_after) {
		client_parse(c);
		if (!c->ex && !c->in_request)
			arm_client_timer(c);
	}
}

static void client_linger(struct client *c)
{
	if (c->lingering)
		return;
	c->lingering = true;
	shutdown(c->fd, SHUT_WR);
	ev_watch(c->w->loop, c->fd, EV_READ, client_on_io, c);
	ev_timer_arm(c->w->loop, &c->timer, LINGER_MS);
}

static void client_flush(struct client *c)
{
	if (!c || c->closed)
		return;
	while (buf_pending(&c->out)) {
		ssize_t n = write(c->fd, buf_head(&c->out), buf_pending(&c->out));

		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			client_close(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	if (!buf_pending(&c->out)) {
		if (c->close_after && !c->ex) {
			client_linger(c);
			return;
		}
		if (c->ex)
			upstream_resume(c->ex);
		else
			client_continue(c);
	}
	client_watch(c);
}

static void client_drain(struct client *c)
{
	char sink[CLIENT_READ_CHUNK];
	ssize_t n;

	while ((n = read(c->fd, sink, sizeof(sink))) > 0)
		;
	if (n == 0 || errno != EAGAIN)
		client_close(c);
}

static void client_read(struct client *c)
{
	if (c->lingering) {
		client_drain(c);
		return;
	}
	for (;;) {
		ssize_t n;

		if (buf_reserve(&c->in, CLIENT_READ_CHUNK)) {
			client_close(c);
			return;
		}
		n = read(c->fd, c->in.data + c->in.len, CLIENT_READ_CHUNK);
		if (n == 0 && c->ex) {
			/* Half-closed while its request runs: it still gets the answer. */
			c->peer_done = true;
			c->close_after = true;
			break;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			client_close(c);
			return;
		}
		if (n < 0)
			break;
		c->in.len += (size_t)n;
		/* A short read drained the socket: no EAGAIN round trip needed. */
		if (n < CLIENT_READ_CHUNK || (c->ex && buf_pending(&c->in) > SL_CLIENT_QUEUE_HIGH))
			break;
	}
	if (!c->ex)
		client_parse(c);
	client_flush(c);
}

static void client_on_io(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct client *c = data;

	(void)loop, (void)fd;
	if (events & EV_WRITE)
		client_flush(c);
	if ((events & EV_READ) && !c->closed)
		client_read(c);
}

void proxy_accept(struct worker *w, int fd, const struct net_addr *peer,
		  const struct gw_config *cfg)
{
	struct client *c = calloc(1, sizeof(*c));
	struct http_limits lim = { cfg->max_header_bytes, cfg->max_body_bytes };

	if (c) {
		/* A connection keeps the limits it was accepted under. */
		c->header_timeout_ms = cfg->header_timeout_ms;
		c->idle_timeout_ms = cfg->idle_timeout_ms;
	}
	if (!c) {
		close(fd);
		admit_release(peer);
		return;
	}
	c->w = w;
	c->fd = fd;
	c->peer = *peer;
	c->counted_source = true;
	net_addr_str(peer, c->peer_str, sizeof(c->peer_str), false);
	http_reader_init(&c->rd, HTTP_KIND_REQUEST, &lim, &req_ops, c);
	ev_timer_init(&c->timer, on_client_timer, c);
	c->next = w->clients;
	if (c->next)
		c->next->prev = c;
	w->clients = c;
	w->n_clients++;
	arm_client_timer(c);
	/* A descriptor past the loop's table cannot be watched: refuse it. */
	if (ev_watch(w->loop, c->fd, EV_READ, client_on_io, c)) {
		pr_warn("sluiced: fd %d beyond the event loop's table; connection refused\n", fd);
		client_close(c);
	}
}

void proxy_close_all(struct worker *w)
{
	while (w->clients)
		client_close(w->clients);
}
