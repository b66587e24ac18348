// SPDX-License-Identifier: GPL-2.0-only
/*
 * proxy.c - a worker's proxy (see proxy.h): check each request, route it by
 * path and session to a backend exchange, or refuse it with an HTTP status
 * and a JSON-RPC error body that says what was wrong.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/inspect.h"
#include "exchange.h"
#include "gate.h"
#include "kernel.h"
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

/* Answers the request here; the policy reference @gp is dropped. */
static void refuse(struct client *c, struct gw_policy *gp, int status, const char *rpc_id,
		   int code, const char *message)
{
	client_answer_error(c, status, rpc_id, code, message, 0);
	gw_policy_put(gp);
}

/* The same with @extra header lines (Allow), for a request without an id. */
static void refuse_hdr(struct client *c, struct gw_policy *gp, int status, int code,
		       const char *message, const char *extra)
{
	client_answer_error_hdr(c, status, NULL, code, message, extra);
	gw_policy_put(gp);
}

/* The two refusals below also free @rpc_id (NULL: none). */
static void refuse_unknown_session(struct client *c, struct gw_policy *gp, char *rpc_id)
{
	/* 404 is what the MCP specification prescribes: the client then
	 * starts a new session with an initialize request. */
	refuse(c, gp, 404, rpc_id, INSPECT_INVALID_REQUEST,
	       "unknown or expired Mcp-Session-Id: initialize a new session");
	free(rpc_id);
}

static void refuse_table_full(struct client *c, struct gw_policy *gp, char *rpc_id)
{
	refuse(c, gp, 503, rpc_id, INSPECT_UNAVAILABLE,
	       "session table full: no new MCP session now; try again later");
	free(rpc_id);
}

/*
 * An Mcp-Session-Id the gateway does not know (or that another agent
 * opened) is answered 404, whatever MCP-Protocol-Version says: the version
 * is the client's word, and "a revision without sessions" must not become
 * a way to hand another agent's session id to the backend.  A client of the
 * stateless revision sends no session id at all.
 *
 * A header the gateway reads must not come twice: it would read the first
 * and a backend may read the last.
 */
static const char *duplicated_mcp_header(const struct http_msg *msg)
{
	static const char *const once[] = { "mcp-session-id", "mcp-protocol-version",
					    "last-event-id" };

	for (size_t k = 0; k < sizeof(once) / sizeof(once[0]); k++) {
		size_t seen = 0;

		for (size_t i = 0; i < msg->n_headers; i++)
			if (!strcasecmp(msg->names[i], once[k]) && ++seen > 1)
				return once[k];
	}
	return NULL;
}

/* Looks @sid up for the caller @id: a session another agent opened is,
 * to this caller, a session that does not exist (no oracle for its ids). */
static bool session_of(const struct gw_policy *gp, const char *sid, const struct identity *id,
		       bool open_stream, struct session *s)
{
	if (!sessions_use(sid, gp->cfg.sessions.idle_ms, open_stream, s))
		return false;
	if (!strcmp(s->agent, gate_agent_name(gp, id)))
		return true;
	if (open_stream)
		sessions_stream_end(sid, gp->cfg.sessions.idle_ms);
	return false;
}

/* The backend of @sid's session (NULL: unknown, or its backend left the
 * policy: the default serves); the lookup counts as the session's use. */
static const struct gw_backend *session_backend(const struct gw_policy *gp, const char *sid,
						const struct identity *id, bool open_stream,
						bool *known)
{
	const struct gw_config *cfg = &gp->cfg;
	struct session s;

	*known = sid && session_of(gp, sid, id, open_stream, &s);
	return *known ? gw_find_backend(cfg, s.backend) : NULL;
}

/*
 * A batch whose every element was refused: nothing reaches the backend,
 * and the gateway's answers are the answer, 200 as a backend's would be
 * (202 and no body when they were all notifications: JSON-RPC answers
 * those with nothing).  On the legacy transport too: a refusal is answered
 * on the POST, as a single message's is.
 */
static int answer_refused_batch(struct client *c, const struct batch_answers *ba, bool legacy)
{
	char *body = ba->n_answers ? batch_merge(ba, NULL, 0, 0, NULL, 0) : NULL;
	int status = body ? legacy ? 400 : 200 : 202;

	if (ba->n_answers && !body) {
		status = 503;
		client_answer_error(c, status, NULL, INSPECT_INTERNAL_ERROR, "out of memory", 0);
	} else {	/* legacy: not 2xx, whose body such a client never reads (judged()) */
		client_answer_json(c, status, body ? body : "", body ? strlen(body) : 0);
	}
	free(body);
	return status;
}

/* Judges a POSTed body: refused (or a batch refused element by element),
 * it is answered here, @gp's reference is dropped and false comes back.
 * Passed, @res says what was learned. */
static bool judged(struct client *c, struct gw_policy *gp, const struct http_msg *msg,
		   struct inspect_result *res, struct gate_req *g, bool legacy)
{
	char sid[SL_SESSION_ID_MAX], source[64];
	int status;

	g->gp = gp;
	net_addr_str(&c->peer, source, sizeof(source), true);
	g->source = source;
	g->session = http_msg_header(msg, "mcp-session-id");
	if (legacy && sessions_query_id(msg->url, sid, sizeof(sid)))
		g->session = sid;
	g->body_bytes = msg->body.len;
	g->auth_rc = gate_identify(gp, msg, &c->peer, &g->id, &g->why);
	if (!g->auth_rc)
		kernel_conn_auth(&c->kc, c->fd, &c->peer, gp, g->id.agent,
				 g->id.method != IDM_SOURCE);
	if (inspect_request_judge(msg, res, gate_judge, g)) {
		if (res->close)
			c->close_after = true;
		/* Legacy clients read answers from /sse only and no body from a 2xx
		 * answer to /message: a refusal sent 200 would leave them waiting. */
		if (legacy && res->http_status == 200)
			res->http_status = res->code == DECIDE_ERR_FORBIDDEN ||
					   res->code == DECIDE_ERR_PREMIUM ? 403 : 400;
		client_answer_error_data(c, res->http_status, res->rpc_id, res->code,
					 g->message[0] ? g->message : res->message, g->data, g->extra);
		gate_audit_emit(g, res->http_status);
	} else if (!g->batch.n_forwarded && batch_partial(&g->batch)) {
		status = answer_refused_batch(c, &g->batch, legacy);
		gate_audit_emit(g, status);
	} else {
		g->session = NULL;	/* @sid and @source are gone with this frame */
		g->source = NULL;
		return true;
	}
	gw_policy_put(gp);
	free(res->rpc_id);
	inspect_ids_free(&res->ids);
	gate_req_free(g);
	return false;
}

/* A banned agent's GET or DELETE: refused 403, the connection closes
 * (@gp's reference is then dropped). */
static bool banned(struct client *c, struct gw_policy *gp, const struct identity *id)
{
	__u64 now = gate_now_ns(), until;
	struct inspect_result res = {};
	struct gate_req g = { .gp = gp, .id = *id };

	if (id->agent < 0 || !kernel_banned(gp, id->agent, now, &until))
		return false;
	gate_refuse_banned(&g, &res, until, now);
	c->close_after = true;
	client_answer_error_data(c, res.http_status, NULL, res.code, g.message, g.data, g.extra);
	gw_policy_put(gp);
	return true;
}

/* GET and DELETE: the caller must be one of the policy's agents (401 as
 * RFC 6750 says otherwise; @gp's reference is then dropped). */
static bool identified(struct client *c, struct gw_policy *gp, const struct http_msg *msg,
		       struct identity *id)
{
	struct ident_refusal why = {};
	char text[256], extra[768];
	int rc = gate_identify(gp, msg, &c->peer, id, &why);

	if (!rc) {
		kernel_conn_auth(&c->kc, c->fd, &c->peer, gp, id->agent,
				 id->method != IDM_SOURCE);
		return !banned(c, gp, id);
	}
	gate_unauthorized(gp, rc, &why, text, sizeof(text), extra, sizeof(extra));
	client_answer_error_hdr(c, rc == -ENOMEM ? 503 : 401, NULL, rc == -ENOMEM ?
				INSPECT_INTERNAL_ERROR : DECIDE_ERR_UNAUTHENTICATED, text, extra);
	gw_policy_put(gp);
	return false;
}

/* A new exchange carrying what the judgement @res learned; it takes over
 * @gp's reference and res->rpc_id.  NULL when out of memory (both dropped). */
static struct exchange *judged_exchange(struct client *c, struct gw_policy *gp,
					struct inspect_result *res, struct gate_req *g,
					enum ex_kind kind)
{
	struct exchange *ex = exchange_new(c, pool_of(c), gp, kind);

	if (!ex) {
		free(res->rpc_id);
		inspect_ids_free(&res->ids);
		gate_req_free(g);
		gw_policy_put(gp);
		c->close_after = true;
		return NULL;
	}
	ex->id = g->id;
	ex->lists = g->lists;
	ex->batch = g->batch;
	ex->body = g->body;
	ex->body_len = g->body_len;
	snprintf(ex->head_extra, sizeof(ex->head_extra), "%s", g->ratelimit);
	ex->cost_per_kib = g->cost_per_kib;
	ex->audit = g->audit;
	ex->n_audit = g->n_audit;
	g->audit = NULL;
	g->n_audit = 0;
	memset(&g->lists, 0, sizeof(g->lists));
	memset(&g->batch, 0, sizeof(g->batch));
	g->body = NULL;
	ex->usage = g->usage;
	memset(&g->usage, 0, sizeof(g->usage));
	ex->rpc_id = res->rpc_id;
	ex->ids = res->ids;
	ex->is_initialize = res->is_initialize;
	snprintf(ex->client_name, sizeof(ex->client_name), "%s", res->client_name);
	snprintf(ex->client_version, sizeof(ex->client_version), "%s", res->client_version);
	return ex;
}

/* The audit records name the client the session began with. */
static void audit_client(struct exchange *ex, const struct gw_policy *gp, const char *sid)
{
	struct session s;

	if (!ex->is_initialize && sessions_use(sid, gp->cfg.sessions.idle_ms, false, &s)) {
		snprintf(ex->client_name, sizeof(ex->client_name), "%s", s.client_name);
		snprintf(ex->client_version, sizeof(ex->client_version), "%s", s.client_version);
	}
}

/*
 * A request naming a session the table does not know is answered 404.  An
 * initialize that begins a session reserves its slot before it is
 * forwarded, so the backend never creates a session we could not record.
 */
static void route_mcp_post(struct client *c, struct gw_policy *gp, const struct http_msg *msg)
{
	const char *sid = http_msg_header(msg, "mcp-session-id");
	const struct gw_backend *be;
	struct inspect_result res;
	struct gate_req g = {};
	struct exchange *ex;
	bool known, reserve;

	if (!judged(c, gp, msg, &res, &g, false))
		return;
	be = session_backend(gp, sid, &g.id, false, &known);
	/* Without a session, a tool call goes where its tool's backend says. */
	if (!be && !known && g.backend_conflict) {
		inspect_ids_free(&res.ids);
		gate_audit_emit(&g, 400);
		gate_req_free(&g);
		refuse(c, gp, 400, res.rpc_id, INSPECT_INVALID_REQUEST, "a batch without a "
		       "session goes to one backend, and its tool calls name different ones: "
		       "send them apart");
		free(res.rpc_id);
		return;
	}
	if (!be && g.backend)
		be = gw_find_backend(&gp->cfg, g.backend);
	reserve = res.is_initialize && !known;
	if (sid && !known) {
		inspect_ids_free(&res.ids);
		gate_audit_emit(&g, 404);
		gate_req_free(&g);
		refuse_unknown_session(c, gp, res.rpc_id);
		return;
	}
	if (reserve && sessions_reserve(&gp->cfg.sessions)) {
		inspect_ids_free(&res.ids);
		gate_audit_emit(&g, 503);
		gate_req_free(&g);
		refuse_table_full(c, gp, res.rpc_id);
		return;
	}
	ex = judged_exchange(c, gp, &res, &g, EX_MCP_POST);
	if (!ex) {
		if (reserve)
			sessions_unreserve();
		return;
	}
	ex->session_reserved = reserve;
	if (known)
		snprintf(ex->session, sizeof(ex->session), "%s", sid);
	if (known && ex->n_audit)
		audit_client(ex, gp, sid);
	if (be)
		ex->up.be = be;
	exchange_start(ex, msg, "POST", ex->up.be->path);
}

/* GET and DELETE <mcp_path>: the server's stream, the end of a session. */
static void route_mcp_other(struct client *c, struct gw_policy *gp, const struct http_msg *msg,
			    enum ex_kind kind)
{
	const char *sid = http_msg_header(msg, "mcp-session-id");
	bool stream = kind == EX_MCP_GET, known;
	const struct gw_backend *be;
	struct identity id;
	struct exchange *ex;

	if (!identified(c, gp, msg, &id))
		return;
	be = session_backend(gp, sid, &id, stream, &known);
	if (sid && !known) {
		refuse_unknown_session(c, gp, NULL);
		return;
	}
	ex = exchange_new(c, pool_of(c), gp, kind);
	if (!ex) {
		if (known && stream)
			sessions_stream_end(sid, gp->cfg.sessions.idle_ms);
		gw_policy_put(gp);
		c->close_after = true;
		return;
	}
	ex->id = id;
	if (known)
		snprintf(ex->session, sizeof(ex->session), "%s", sid);
	ex->session_stream = known && stream;
	if (be)
		ex->up.be = be;
	exchange_start(ex, msg, stream ? "GET" : "DELETE", ex->up.be->path);
}

/* GET /sse begins a legacy session: its slot is reserved before the
 * backend is asked, and its first event fills it (rewrite_endpoint). */
static void route_legacy_sse(struct client *c, struct gw_policy *gp, const struct http_msg *msg)
{
	struct identity id;
	struct exchange *ex;

	if (!identified(c, gp, msg, &id))
		return;
	if (sessions_reserve(&gp->cfg.sessions)) {
		refuse_table_full(c, gp, NULL);
		return;
	}
	ex = exchange_new(c, pool_of(c), gp, EX_LEGACY_SSE);
	if (!ex) {
		sessions_unreserve();
		gw_policy_put(gp);
		c->close_after = true;
		return;
	}
	ex->id = id;
	ex->session_reserved = true;
	exchange_start(ex, msg, "GET", ex->up.be->sse_path);
}

/* A legacy session's list requests are answered on its /sse stream, which
 * filters them: it learns them here.  Fail closed: one that cannot be
 * recorded is not forwarded. */
static int legacy_lists_noted(const char *sid, const struct gate_lists *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int err = sessions_list_add(sid, gate_id_hash(l->ids[i]), (int)l->methods[i]);

		if (err)
			return err;
	}
	return 0;
}

static void route_legacy_post(struct client *c, struct gw_policy *gp, const struct http_msg *msg)
{
	char sid[SL_SESSION_ID_MAX];
	const struct gw_backend *be;
	struct inspect_result res;
	struct gate_req g = {};
	struct session s;
	struct exchange *ex;

	/* Judged first: who asks decides which sessions exist for it. */
	if (!judged(c, gp, msg, &res, &g, true))
		return;
	if (!sessions_query_id(msg->url, sid, sizeof(sid)) ||
	    !session_of(gp, sid, &g.id, false, &s) ||
	    !(be = gw_find_backend(&gp->cfg, s.backend))) {
		inspect_ids_free(&res.ids);
		gate_audit_emit(&g, 404);
		gate_req_free(&g);
		refuse(c, gp, 404, res.rpc_id, INSPECT_INVALID_REQUEST,
		       "unknown or missing sessionId: open /sse first");
		free(res.rpc_id);
		return;
	}
	if (legacy_lists_noted(sid, &g.lists)) {
		inspect_ids_free(&res.ids);
		gate_audit_emit(&g, 503);
		gate_req_free(&g);
		refuse(c, gp, 503, res.rpc_id, INSPECT_UNAVAILABLE, "too many list requests "
		       "awaiting their answer on this session; try again when they came");
		free(res.rpc_id);
		return;
	}
	ex = judged_exchange(c, gp, &res, &g, EX_LEGACY_POST);
	if (!ex)
		return;
	snprintf(ex->client_name, sizeof(ex->client_name), "%s", s.client_name);
	snprintf(ex->client_version, sizeof(ex->client_version), "%s", s.client_version);
	ex->up.be = be;
	snprintf(ex->session, sizeof(ex->session), "%s", sid);
	snprintf(ex->legacy_path, sizeof(ex->legacy_path), "%s", s.legacy_path);
	exchange_start(ex, msg, "POST", s.legacy_path);
}

/*
 * GET and DELETE carry no body in MCP; one there is never judged, and a
 * body on GET is how request smuggling through intermediaries that
 * disagree about it begins.  Any Transfer-Encoding, or a Content-Length
 * above 0, is refused before the backend hears of the request.
 * Content-Length: 0 announces nothing (python-requests sends it with
 * every DELETE), and is accepted.  The connection closes after the
 * refusal: a peer that sent it may disagree with us about what follows.
 */
static bool body_refused(struct client *c, struct gw_policy *gp, const struct http_msg *msg)
{
	char why[64];

	if ((msg->method != HTTP_GET && msg->method != HTTP_DELETE) ||
	    (!msg->chunked && msg->content_length <= 0))
		return false;
	snprintf(why, sizeof(why), "a request body is not allowed on %s",
		 http_method_str(msg->method));
	c->close_after = true;
	refuse(c, gp, 400, NULL, INSPECT_INVALID_REQUEST, why);
	return true;
}

/*
 * The stateless revision (2026-07-28) has no server stream to GET and no
 * session to DELETE: every exchange is one POST.  A client that says it
 * speaks that revision is told so here, whatever the backend would do
 * with the request; older revisions keep both.
 */
static bool stateless_refused(struct client *c, struct gw_policy *gp,
			      const struct http_msg *msg)
{
	const char *version = http_msg_header(msg, "mcp-protocol-version");
	char text[160];

	if (!mcp_version_stateless(version))
		return false;
	snprintf(text, sizeof(text), "method not allowed: MCP %s has no %s (no server stream, "
		 "no session); send every request as a POST", version,
		 msg->method == HTTP_GET ? "GET stream" : "DELETE");
	refuse_hdr(c, gp, 405, INSPECT_INVALID_REQUEST, text, "Allow: POST\r\n");
	return true;
}

static bool path_is(const char *url, const char *path)
{
	size_t n = strlen(path);

	return !strncmp(url, path, n) && (url[n] == '\0' || url[n] == '?');
}

/* RFC 9728 3.1: the well-known path, or it with the resource's path appended. */
static bool is_prm_path(const struct gw_config *cfg, const char *url)
{
	size_t n = strlen(GATE_PRM_PATH);

	return !strncmp(url, GATE_PRM_PATH, n) &&
	       (path_is(url + n, "") || path_is(url + n, cfg->mcp_path));
}

static void on_request(struct client *c, const struct http_msg *msg)
{
	struct gw_policy *gp = gw_policy_current();
	const struct gw_config *cfg = &gp->cfg;
	const char *why = check_origin(cfg, msg);

	if (why) {
		refuse(c, gp, 403, NULL, INSPECT_INVALID_REQUEST, why);
		return;
	}
	if (body_refused(c, gp, msg))
		return;
	if ((why = duplicated_mcp_header(msg))) {
		char text[96];

		snprintf(text, sizeof(text), "header %s sent twice", why);
		c->close_after = true;
		refuse(c, gp, 400, NULL, INSPECT_INVALID_REQUEST, text);
		return;
	}
	if (msg->method == HTTP_GET && is_prm_path(cfg, msg->url)) {
		/* RFC 9728: public, so a client without a token learns where to get one. */
		client_answer_json(c, 200, gp->prm_json, strlen(gp->prm_json));
		gw_policy_put(gp);
	} else if (path_is(msg->url, cfg->mcp_path)) {
		if (msg->method == HTTP_POST)
			route_mcp_post(c, gp, msg);
		else if ((msg->method == HTTP_GET || msg->method == HTTP_DELETE) &&
			 stateless_refused(c, gp, msg))
			return;
		else if (msg->method == HTTP_GET)
			route_mcp_other(c, gp, msg, EX_MCP_GET);
		else if (msg->method == HTTP_DELETE)
			route_mcp_other(c, gp, msg, EX_MCP_DELETE);
		else
			refuse_hdr(c, gp, 405, INSPECT_INVALID_REQUEST,
				   "method not allowed: POST, GET or DELETE",
				   "Allow: POST, GET, DELETE\r\n");
	} else if (path_is(msg->url, LEGACY_SSE_PATH) && msg->method == HTTP_GET) {
		route_legacy_sse(c, gp, msg);
	} else if (path_is(msg->url, SL_LEGACY_MESSAGE_PATH) && msg->method == HTTP_POST) {
		route_legacy_post(c, gp, msg);
	} else {
		refuse(c, gp, 404, NULL, INSPECT_INVALID_REQUEST, "no such endpoint");
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

static bool streams(const struct client *c)
{
	return exchange_streams(c->ex);
}

static const struct client_ops proxy_client_ops = {
	.on_request = on_request,
	.on_drained = on_drained,
	.on_abort = on_abort,
	.streams = streams,
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

/*
 * A banned agent's connection: an exchange running on it ends with the ban
 * as its answer (or, on a stream, as its last event); an idle one closes;
 * one in the middle of sending a request is left to finish it, and the
 * gate refuses that request with the ban (and closes).
 */
static void ban_close(struct client *c, __u64 until, __u64 now)
{
	unsigned long long retry_s;
	char msg[320], data[256];

	if (c->ex) {
		kernel_ban_message(c->kc.slot, until, now, msg, sizeof(msg), data, sizeof(data),
				   &retry_s);
		exchange_ban(c->ex, msg, data);
	} else if (!c->in_request) {
		client_drop(c);
	}
}

void proxy_enforce_bans(struct proxy *p)
{
	__u64 now = gate_now_ns(), until;
	struct client *c, *next;

	for (c = p->clients.head; c; c = next) {
		next = c->next;
		if (!c->closed && kernel_slot_banned(c->kc.slot, now, &until))
			ban_close(c, until, now);
	}
}

void proxy_close_all(struct proxy *p)
{
	client_close_all(&p->clients);
	pool_free(&p->pool);
}
