// SPDX-License-Identifier: GPL-2.0-only
/*
 * proxy.c - a worker's proxy (see proxy.h): check each request, route it by
 * path and session to a backend exchange, or refuse it with an HTTP status
 * and a JSON-RPC error body that says what was wrong.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/inspect.h"
#include "exchange.h"
#include "proxy.h"
#include "sessions.h"

#define LEGACY_SSE_PATH "/sse"

/* The pool of the proxy whose client list holds @c. */
static struct pool *pool_of(struct client *c)
{
	struct proxy *p = (struct proxy *)((char *)c->list - offsetof(struct proxy, clients));

	return &p->pool;
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
		client_answer_error(c, res.http_status, res.rpc_id, res.code, res.message, 0);
		free(res.rpc_id);
		gw_policy_put(gp);
		return NULL;
	}
	ex = exchange_new(c, pool_of(c), gp, kind);
	if (!ex) {
		free(res.rpc_id);
		inspect_ids_free(&res.ids);
		gw_policy_put(gp);
		c->close_after = true;
		return NULL;
	}
	ex->rpc_id = res.rpc_id;
	ex->ids = res.ids;
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
		ex->up.be = be;
	exchange_start(ex, msg, "POST", ex->up.be->path);
}

static void route_mcp_other(struct client *c, struct gw_policy *gp, const struct http_msg *msg,
			    enum ex_kind kind)
{
	const char *sid = http_msg_header(msg, "mcp-session-id");
	struct session s;
	const struct gw_backend *be = session_backend(&gp->cfg, sid, &s);
	struct exchange *ex = exchange_new(c, pool_of(c), gp, kind);

	if (!ex) {
		gw_policy_put(gp);
		c->close_after = true;
		return;
	}
	if (be)
		ex->up.be = be;
	if (sid)
		snprintf(ex->session, sizeof(ex->session), "%s", sid);
	exchange_start(ex, msg, kind == EX_MCP_GET ? "GET" : "DELETE", ex->up.be->path);
}

static void route_legacy_sse(struct client *c, struct gw_policy *gp, const struct http_msg *msg)
{
	struct exchange *ex = exchange_new(c, pool_of(c), gp, EX_LEGACY_SSE);

	if (!ex) {
		gw_policy_put(gp);
		c->close_after = true;
		return;
	}
	exchange_start(ex, msg, "GET", ex->up.be->sse_path);
}

static void route_legacy_post(struct client *c, struct gw_policy *gp, const struct http_msg *msg)
{
	char sid[SL_SESSION_ID_MAX];
	struct session s;
	const struct gw_backend *be;
	struct exchange *ex;

	if (!sessions_query_id(msg->url, sid, sizeof(sid)) ||
	    !(be = session_backend(&gp->cfg, sid, &s))) {
		client_answer_error(c, 404, NULL, INSPECT_INVALID_REQUEST,
				    "unknown or missing sessionId: open /sse first", 0);
		gw_policy_put(gp);
		return;
	}
	ex = judged_exchange(c, gp, msg, EX_LEGACY_POST);
	if (!ex)
		return;
	ex->up.be = be;
	snprintf(ex->session, sizeof(ex->session), "%s", sid);
	exchange_start(ex, msg, "POST", s.legacy_path);
}

static bool path_is(const char *url, const char *path)
{
	size_t n = strlen(path);

	return !strncmp(url, path, n) && (url[n] == '\0' || url[n] == '?');
}

static void on_request(struct client *c, const struct http_msg *msg)
{
	struct gw_policy *gp = gw_policy_current();
	const struct gw_config *cfg = &gp->cfg;
	const char *why = check_origin(cfg, msg);

	if (why) {
		client_answer_error(c, 403, NULL, INSPECT_INVALID_REQUEST, why, 0);
		gw_policy_put(gp);
	} else if (path_is(msg->url, cfg->mcp_path)) {
		if (msg->method == HTTP_POST)
			route_mcp_post(c, gp, msg);
		else if (msg->method == HTTP_GET)
			route_mcp_other(c, gp, msg, EX_MCP_GET);
		else if (msg->method == HTTP_DELETE)
			route_mcp_other(c, gp, msg, EX_MCP_DELETE);
		else {
			client_answer_error(c, 405, NULL, INSPECT_INVALID_REQUEST,
					    "method not allowed: POST, GET or DELETE", 0);
			gw_policy_put(gp);
		}
	} else if (path_is(msg->url, LEGACY_SSE_PATH) && msg->method == HTTP_GET) {
		route_legacy_sse(c, gp, msg);
	} else if (path_is(msg->url, SL_LEGACY_MESSAGE_PATH) && msg->method == HTTP_POST) {
		route_legacy_post(c, gp, msg);
	} else {
		client_answer_error(c, 404, NULL, INSPECT_INVALID_REQUEST, "no such endpoint", 0);
		gw_policy_put(gp);
	}
}

/* --- wiring ------------------------------------------------------------------------------ */

static void on_drained(struct client *c)
{
	exchange_resume(c->ex);
}

static void on_abort(struct client *c)
{
	exchange_abort(c->ex);
}

static const struct client_ops proxy_client_ops = {
	.on_request = on_request,
	.on_drained = on_drained,
	.on_abort = on_abort,
};

void proxy_init(struct proxy *p, struct ev_loop *loop)
{
	client_list_init(&p->clients, loop, &proxy_client_ops);
	pool_init(&p->pool, loop);
}

void proxy_accept(struct proxy *p, int fd, const struct net_addr *peer,
		  const struct gw_config *cfg)
{
	client_accept(&p->clients, fd, peer, cfg);
}

void proxy_close_all(struct proxy *p)
{
	client_close_all(&p->clients);
	pool_free(&p->pool);
}
