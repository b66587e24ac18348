// SPDX-License-Identifier: GPL-2.0-only
/*
 * exchange.c - exchanges (see exchange.h): build the backend's request,
 * relay its answer, and free the exchange once no callback runs in it.
 * The upstream side reports through upstream_ops; each callback finds
 * its exchange from the struct upstream embedded in it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "proto/inspect.h"
#include "exchange.h"
#include "metrics.h"
#include "sreq.h"

static const struct upstream_ops ex_upstream_ops;

static struct exchange *exchange_of(struct upstream *us)
{
	return (struct exchange *)((char *)us - offsetof(struct exchange, up));
}

/* --- exchanges ---------------------------------------------------------------- */

struct exchange *exchange_new(struct client *c, struct pool *pool, struct gw_policy *gp,
			      enum ex_kind kind)
{
	struct exchange *ex = calloc(1, sizeof(*ex));

	if (!ex)
		return NULL;
	ex->client = c;
	ex->gp = gp;
	ex->kind = kind;
	ex->start_ns = gate_now_ns();
	ex->id.agent = IDENTITY_NO_AGENT;	/* nobody, until the proxy says who */
	ex->loop = c->list->loop;
	ex->client_http10 = c->rd.msg.http_major == 1 && c->rd.msg.http_minor == 0;
	upstream_init(&ex->up, &ex_upstream_ops, pool, &gp->cfg,
		      &gp->cfg.backends[gp->cfg.default_backend]);
	c->ex = ex;
	return ex;
}

static void exchange_reap(struct ev_loop *loop, void *data)
{
	struct exchange *ex = data;

	(void)loop;
	upstream_free(&ex->up);
	gw_policy_put(ex->gp);
	free(ex->rpc_id);
	inspect_ids_free(&ex->ids);
	gate_lists_free(&ex->lists);
	batch_free(&ex->batch);
	free(ex->body);
	free(ex);
}

/* However an exchange ends, it gives back what it held in the session
 * table: an unused reservation, its count as an open stream, and a legacy
 * session, which lives exactly as long as its /sse stream. */
static void exchange_session_done(struct exchange *ex)
{
	if (ex->session_reserved)
		sessions_unreserve();
	ex->session_reserved = false;
	if (ex->session_stream)
		sessions_stream_end(ex->session, ex->gp->cfg.sessions.idle_ms);
	ex->session_stream = false;
	if (ex->kind == EX_LEGACY_SSE && ex->session[0])
		sessions_del(ex->session);
	ex->session[0] = '\0';
}

/*
 * Detaches the exchange now and frees it from a zero-delay timer: it ends
 * inside its own response reader's callbacks, and the parser still touches
 * its state on the way out.
 */
/* The audit records of the exchange's messages, with what became of it. */
static void audit_done(struct exchange *ex)
{
	for (size_t i = 0; i < ex->n_audit; i++) {
		struct audit_rec *r = ex->audit[i];

		if (r->action != DECIDE_DENY)
			snprintf(r->backend, sizeof(r->backend), "%s", ex->up.be->name);
		if (!r->client_name[0] && ex->client_name[0]) {
			snprintf(r->client_name, sizeof(r->client_name), "%s", ex->client_name);
			snprintf(r->client_version, sizeof(r->client_version), "%s",
				 ex->client_version);
		}
		if (!r->session[0])
			snprintf(r->session, sizeof(r->session), "%s", ex->session);
		r->status = ex->status;
		r->latency_ms = (double)(gate_now_ns() - r->start_ns) / 1e6;
		r->request_bytes = ex->request_bytes;
		r->response_bytes = ex->answer_bytes;
		r->redactions = ex->redactions;
		audit_emit(r);
		free(r);
	}
	free(ex->audit);
	ex->audit = NULL;
	ex->n_audit = 0;
}

static void exchange_free(struct exchange *ex)
{
	/* Both a client hang-up and the relay error it causes end the exchange. */
	if (ex->reaping)
		return;
	ex->reaping = true;
	/* Per KiB of what the backend answered, complete or cut short. */
	gate_charge_answer(ex->gp, &ex->id, ex->cost_per_kib, ex->answer_bytes);
	if (ex->usage.n == 1)
		ex->usage.one.cost += ex->cost_per_kib * (double)ex->answer_bytes / 1024.0;
	audit_done(ex);
	ledger_done(&ex->usage);
	if (ex->kind == EX_MCP_POST || ex->kind == EX_LEGACY_POST)	/* not the streams */
		metrics_exchange(ex->up.be->name, ex->status, gate_now_ns() - ex->start_ns,
				 &ex->redactions, ex->gp->redact);
	exchange_session_done(ex);
	/* Normally released already (again is harmless): no deadline outlives it. */
	upstream_release(&ex->up, false);
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

	upstream_release(&ex->up, upstream_reusable);
	exchange_free(ex);
	client_flush(c);
}

/* "Name: value\r\n" without a format pass. */
static void put_header(struct buf *o, const char *name, const char *value)
{
	buf_puts(o, name);
	buf_append(o, ": ", 2);
	buf_puts(o, value);
	buf_append(o, "\r\n", 2);
}

/* One of the context headers this policy sends (see put_context). */
static bool context_header(const struct exchange *ex, const char *name)
{
	for (int i = 0; i < GW_CTX_MAX; i++)
		if (!strcasecmp(name, ex->gp->cfg.context_headers[i]))
			return true;
	return false;
}

/*
 * Headers the gateway owns towards the backend: the credential stays here
 * (the backend is not its audience), and the context headers are the
 * gateway's word, never a client's: the configured names, and the default
 * X-Sluice-* ones too, which a backend may still read after a rename.  A
 * rewritten body's Mcp-Param-* headers may mirror arguments it no longer has.
 */
static bool gateway_owned(const struct exchange *ex, const char *name)
{
	/* CGI and WSGI servers (and nginx with underscores_in_headers) read
	 * X_Sluice_Agent as X-Sluice-Agent: a name with an underscore could
	 * pass for one the gateway owns, so none is forwarded (nginx's own
	 * default). */
	return strchr(name, '_') || !strcasecmp(name, "authorization") || !strcasecmp(name, "x-api-key") ||
	       !strncasecmp(name, "x-sluice-", 9) || context_header(ex, name) ||
	       (ex->body && !strncasecmp(name, "mcp-param-", 10));
}

const char *exchange_agent(const struct exchange *ex)
{
	return gate_agent_name(ex->gp, &ex->id);
}

/* Agent, customer, plan: who the gateway established the caller is, under
 * the policy's context_headers names. */
static void put_context(struct buf *r, const struct exchange *ex)
{
	const char (*names)[65] = ex->gp->cfg.context_headers;

	if (exchange_agent(ex)[0])
		put_header(r, names[GW_CTX_AGENT], exchange_agent(ex));
	if (ex->id.customer[0])
		put_header(r, names[GW_CTX_CUSTOMER], ex->id.customer);
	if (ex->id.plan[0])
		put_header(r, names[GW_CTX_PLAN], ex->id.plan);
}

static int build_request(struct exchange *ex, const struct http_msg *msg, const char *method,
			 const char *path)
{
	struct buf *r = &ex->up.request;
	struct client *c = ex->client;
	/* A judged body goes with the Content-Type it was judged as, spelt
	 * one way, so the backend cannot decode it by another charset. */
	bool judged = ex->kind == EX_MCP_POST || ex->kind == EX_LEGACY_POST;
	const char *body = ex->body ? ex->body : msg->body.data ? msg->body.data : "";
	size_t len = ex->body ? ex->body_len : msg->body.len;
	const char *version = http_msg_header(msg, "mcp-protocol-version");

	/* Kept for the gateway's own answers to the backend (sreq.h). */
	if (version && strlen(version) < sizeof(ex->proto_version))
		snprintf(ex->proto_version, sizeof(ex->proto_version), "%s", version);
	buf_printf(r, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, ex->up.be->authority);
	for (size_t i = 0; i < msg->n_headers; i++)
		/* Expect is not forwarded: the body is already here, and a 100
		 * Continue from the backend would only be noise to skip. */
		if (!http_hop_by_hop(msg->names[i]) && strcasecmp(msg->names[i], "x-forwarded-for") &&
		    strcasecmp(msg->names[i], "expect") && !gateway_owned(ex, msg->names[i]) &&
		    !(judged && inspect_header_normalised(msg->names[i])))
			put_header(r, msg->names[i], msg->values[i]);
	if (judged)
		inspect_put_normalised_headers(r);
	put_context(r, ex);
	buf_printf(r, "X-Forwarded-For: %s\r\n", c->peer_str);
	if (len || !strcmp(method, "POST"))
		buf_printf(r, "Content-Length: %zu\r\n", len);
	buf_puts(r, "\r\n");
	return buf_append(r, body, len);
}

void exchange_start(struct exchange *ex, const struct http_msg *msg, const char *method,
		    const char *path)
{
	struct client *c = ex->client;

	ex->request_bytes = msg->body.len;
	if (build_request(ex, msg, method, path) || upstream_start(&ex->up)) {
		client_answer_error(c, 500, ex->rpc_id, INSPECT_INTERNAL_ERROR, "out of memory", 0);
		exchange_free(ex);
		client_flush(c);
	}
}

/* --- the backend's answer ------------------------------------------------------------ */

/* The backend's end-to-end headers, then the gateway's own (@extra: whole
 * lines, the RateLimit fields of the call). */
static void put_passthrough_headers(struct buf *o, const struct http_msg *msg, const char *extra)
{
	for (size_t i = 0; i < msg->n_headers; i++)
		if (!http_hop_by_hop(msg->names[i]))
			put_header(o, msg->names[i], msg->values[i]);
	buf_printf(o, "%s", extra);
}

/*
 * A Streamable HTTP answer names its session: an initialize answer begins
 * one, in the slot reserved when the request was forwarded (replacing the
 * data of an id already known); another answer may only add an id the
 * table lacks, and one that names the request's own session costs nothing.
 */
static void remember_session(struct exchange *ex, const struct http_msg *msg)
{
	const char *sid = http_msg_header(msg, "mcp-session-id");
	unsigned int flags = ex->is_initialize ? 0 : SESSION_IF_ABSENT;
	struct session s = {};
	int err;

	if (!sid || msg->status / 100 != 2 || (!ex->is_initialize && !strcmp(sid, ex->session)))
		return;
	snprintf(s.backend, sizeof(s.backend), "%s", ex->up.be->name);
	snprintf(s.agent, sizeof(s.agent), "%s", exchange_agent(ex));
	snprintf(s.client_name, sizeof(s.client_name), "%s", ex->client_name);
	snprintf(s.client_version, sizeof(s.client_version), "%s", ex->client_version);
	if (ex->session_reserved)
		flags |= SESSION_RESERVED;
	ex->session_reserved = false;
	err = sessions_put(sid, &s, flags, &ex->gp->cfg.sessions);
	if (err)
		pr_warn("sluiced: backend %s named session '%.*s', not recorded: %s\n",
			s.backend, SL_SESSION_ID_MAX, sid,
			err == -ENOSPC ? "session table full" : strerror(-err));
	else if (ex->is_initialize)
		pr_debug("sluiced: session %s: client %s %s on backend %s\n", sid, s.client_name,
			 s.client_version, s.backend);
}

/* Bytes of a stream to the client: a chunk, or as they are over HTTP/1.0. */
static int put_stream(struct exchange *ex, const struct buf *wire)
{
	struct client *c = ex->client;

	return ex->client_http10 ? buf_append(&c->out, wire->data, wire->len) :
				   http_put_chunk(&c->out, wire->data, wire->len);
}

/*
 * A partly refused batch answered as a stream: the gateway's answers come
 * first, as events of their own, then the backend's events as it sends
 * them.  The gateway has its answers before the backend says a word, and
 * a client matches answers by id, not by place in the stream.
 */
static void put_gateway_events(struct exchange *ex)
{
	struct buf wire = {};

	if (!ex->batch.n_answers)
		return;
	if (batch_put_events(&ex->batch, &wire) || put_stream(ex, &wire))
		pr_warn("sluiced: out of memory: the answers to %zu refused batch requests "
			"were lost\n", ex->batch.n_answers);
	buf_free(&wire);
}

static int ex_on_head(struct upstream *us, struct http_msg *msg)
{
	struct exchange *ex = exchange_of(us);
	struct client *c = ex->client;
	const char *ctype = http_msg_header(msg, "content-type");

	ex->status = msg->status;
	if (ex->kind == EX_MCP_POST)
		remember_session(ex, msg);
	/* Ended, or the backend no longer knows it: either way it is gone. */
	if (ex->kind == EX_MCP_DELETE && (msg->status / 100 == 2 || msg->status == 404) &&
	    ex->session[0])
		sessions_del(ex->session);
	if (!ctype || strncasecmp(ctype, "text/event-stream", 17))
		return HTTP_BODY_BUFFER;
	/* The upstream side stops its answer deadline: a stream may live for hours. */
	ex->streaming = true;
	if (c) {
		http_put_status(&c->out, msg->status);
		put_passthrough_headers(&c->out, msg, ex->head_extra);
		if (ex->client_http10)
			c->close_after = true;	/* HTTP/1.0 has no chunks: EOF ends the stream */
		buf_puts(&c->out, ex->client_http10 ? "Connection: close\r\n\r\n" :
						      "Transfer-Encoding: chunked\r\n\r\n");
		ex->client_head_sent = true;
		put_gateway_events(ex);
		client_flush(c);
	}
	return HTTP_BODY_STREAM;
}

/* URLs are visible ASCII: a blank or a control byte (an LF, say) in one
 * would split the event or the request line it is copied into. */
static bool visible_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/*
 * The legacy transport's first event names the backend's message path:
 * remember it, in the slot reserved when the stream was opened, and show
 * the client the gateway's own.  The session lives as long as this stream
 * (exchange_session_done deletes it); a later endpoint event replaces it.
 */
static int rewrite_endpoint(struct exchange *ex, struct sse_event *ev)
{
	char sid[SL_SESSION_ID_MAX];
	struct session s = {};
	const char *path = ev->data.data ? ev->data.data : "";
	unsigned int flags = SESSION_STREAM;
	int err;

	if (!visible_ascii(path, ev->data.len))
		return upstream_broke(&ex->up, "a legacy endpoint event whose URL holds a "
				      "blank or a control character");
	if (!strncmp(path, "http://", 7) && strchr(path + 7, '/'))
		path = strchr(path + 7, '/');
	if (strlen(path) >= sizeof(s.legacy_path))
		return upstream_broke(&ex->up, "a legacy endpoint URL over %zu bytes",
				      sizeof(s.legacy_path) - 1);
	if (!sessions_query_id(path, sid, sizeof(sid)))
		return upstream_broke(&ex->up, "a legacy endpoint URL without a usable sessionId");
	snprintf(s.backend, sizeof(s.backend), "%s", ex->up.be->name);
	snprintf(s.agent, sizeof(s.agent), "%s", exchange_agent(ex));
	snprintf(s.legacy_path, sizeof(s.legacy_path), "%s", path);
	snprintf(ex->legacy_path, sizeof(ex->legacy_path), "%s", path);
	if (ex->session[0])
		sessions_del(ex->session);
	if (ex->session_reserved)
		flags |= SESSION_RESERVED;
	ex->session_reserved = false;
	ex->session[0] = '\0';
	err = sessions_put(sid, &s, flags, &ex->gp->cfg.sessions);
	if (err)
		return err;
	snprintf(ex->session, sizeof(ex->session), "%s", sid);
	buf_reset(&ev->data);
	return buf_printf(&ev->data, "%s?sessionId=%s", SL_LEGACY_MESSAGE_PATH, sid);
}

static bool is_post(const struct exchange *ex)
{
	return ex->kind == EX_MCP_POST || ex->kind == EX_LEGACY_POST;
}

/*
 * A POST's stream carries the server's requests and notifications, and the
 * answers to that POST's requests: an answer to anything else is another
 * client's, or a forgery.  Other streams are only checked to be JSON-RPC.
 */
static int check_event(struct exchange *ex, const struct sse_event *ev)
{
	char why[160];
	int err;

	if (!is_post(ex)) {
		err = inspect_event(ev->data.data, ev->data.len);
	} else {
		err = inspect_answer(ev->data.data, ev->data.len, &ex->ids, why, sizeof(why));
		if (err == -EPROTO)
			return upstream_broke(&ex->up, "%s", why);
		if (err == -ENOMEM)
			return err;
	}
	if (err)
		pr_warn("sluiced: backend %s sent an SSE event that is not JSON-RPC; relayed\n",
			ex->up.be->name);
	return 0;
}

/* The legacy transport answers /message POSTs on the /sse stream: the
 * list requests among them wait in the session table (route_legacy_post). */
static bool legacy_lookup(void *ctx, const char *rid, enum mcp_method *m)
{
	int method;

	if (!sessions_list_take(ctx, gate_id_hash(rid), &method))
		return false;
	*m = (enum mcp_method)method;
	return true;
}

/* An event answering a list request shows only what the agent may use. */
static int filter_event(struct exchange *ex, struct sse_event *ev)
{
	bool legacy = ex->kind == EX_LEGACY_SSE && ex->session[0];
	char *text = NULL;

	if (legacy)
		text = gate_filter_answer(ex->gp, &ex->id, legacy_lookup, ex->session,
					  ev->data.data, ev->data.len);
	else if (ex->lists.n)
		text = gate_filter_answer(ex->gp, &ex->id, gate_lists_lookup, &ex->lists,
					  ev->data.data, ev->data.len);
	if (!text)
		return 0;
	buf_reset(&ev->data);
	if (buf_append(&ev->data, text, strlen(text))) {
		free(text);
		return -ENOMEM;
	}
	free(text);
	return 0;
}

/*
 * Data that starts as JSON does but that the parser refused (a lone
 * surrogate, nesting deeper than cJSON takes) is no plain text: a client's
 * JSON.parse may read it, decoding the \u escapes a pattern over the raw
 * text would never see.
 */
static bool looks_json(const struct buf *b)
{
	size_t i = strspn(b->data, " \t\r\n");

	return i < b->len && strchr("{[\"", b->data[i]);
}

/*
 * What the backend sends reaches the agent redacted: a JSON answer whole,
 * an event's data whole (the SSE reader hands over complete events, so a
 * secret split across two reads is still seen whole), data that is not JSON
 * as plain text.  An answer that could not be judged is not relayed.
 */
static int redact_buf(struct exchange *ex, struct buf *b, bool json)
{
	char *text;
	size_t len;
	int err;

	if (!ex->gp->redact || !b->len)
		return 0;
	err = gate_redact(ex->gp, b->data, b->len, json, &text, &len, &ex->redactions);
	if (err == -EINVAL && json && !looks_json(b))	/* not JSON after all: judged as text */
		err = gate_redact(ex->gp, b->data, b->len, false, &text, &len, &ex->redactions);
	if (err) {
		pr_warn("sluiced: backend %s: an answer could not be redacted (%s); not relayed\n",
			ex->up.be->name, err == -E2BIG ? "a pattern hit its match limit, or the "
			"text is not UTF-8" : err == -EINVAL ? "it looks like JSON the gateway "
			"cannot parse" : "out of memory");
		return err;
	}
	if (!text)
		return 0;
	buf_reset(b);
	err = buf_append(b, text, len);
	free(text);
	return err;
}

/*
 * The gateway's own answer to a refused backend request, POSTed where the
 * agent's would go: the session's message path (legacy), or the MCP
 * endpoint with the agent's session and protocol version.  It speaks for
 * the agent, so it carries the agent's context headers.
 */
static void answer_backend(struct exchange *ex, const char *answer)
{
	bool legacy = ex->kind == EX_LEGACY_SSE || ex->kind == EX_LEGACY_POST;
	const char *path = legacy ? ex->legacy_path : ex->up.be->path;
	struct buf hdrs = {};

	if (!legacy && ex->session[0])
		put_header(&hdrs, "Mcp-Session-Id", ex->session);
	if (ex->proto_version[0])
		put_header(&hdrs, "MCP-Protocol-Version", ex->proto_version);
	put_context(&hdrs, ex);
	/* An open gateway's caller without a session or a version: no line. */
	if (!path[0] || sreq_post(ex->up.pool, ex->gp, ex->up.be, path,
				  hdrs.data ? hdrs.data : "", answer))
		pr_warn("sluiced: backend %s: could not answer its refused request: %s\n",
			ex->up.be->name, path[0] ? "out of memory" : "no message path known");
	buf_free(&hdrs);
}

/*
 * The backend's requests to the agent (sampling, elicitation, roots) reach
 * it only as agents.*.server_requests allows; a refused one is taken out of
 * the event (all of it, unless a batch holds more) and answered to the
 * backend.  Returns an sreq_outcome or -ENOMEM.
 */
static int judge_server_requests(struct exchange *ex, struct buf *data)
{
	struct sreq_refusals r;
	int ret = sreq_judge(ex->gp, &ex->id, data, &r);

	const char *agent = exchange_agent(ex)[0] ? exchange_agent(ex) : "(nobody)";

	if (r.n)
		pr_info("sluiced: agent %s: backend %s sent %s, refused: %s\n", agent,
			ex->up.be->name, r.method, r.message);
	if (r.unreadable)
		pr_warn("sluiced: agent %s: backend %s sent %zu SSE message(s) the gateway cannot "
			"read one way; not relayed (the agent does not take every backend "
			"request)\n", agent, ex->up.be->name, r.unreadable);
	/* A bounded number of answers an event: a backend that packs a thousand
	 * refused requests into one must not make the gateway open a thousand
	 * connections to it (their failures would open its breaker for every
	 * agent).  The rest get no answer, as a request to a gone client. */
	for (size_t i = 0; ret >= 0 && i < r.n && i < SREQ_ANSWERS_MAX; i++)
		answer_backend(ex, r.answers[i]);
	if (r.n > SREQ_ANSWERS_MAX)
		pr_warn("sluiced: backend %s sent %zu refused requests in one event; %d answered\n",
			ex->up.be->name, r.n, SREQ_ANSWERS_MAX);
	sreq_refusals_free(&r);
	return ret;
}

/* An SSE event with data: JSON-RPC (warned about if not), and no backend
 * request the agent may not have.  An sreq_outcome or an error. */
static int judge_event(struct exchange *ex, struct sse_event *ev)
{
	int err = check_event(ex, ev);

	return err ? err : judge_server_requests(ex, &ev->data);
}

/*
 * An event with empty data carries no message: a 2025-11-25 server primes
 * each stream with one (an id: and an empty data:) so that the client can
 * resume from it with Last-Event-ID.  It is relayed as it is, unjudged:
 * clients skip it, and there is nothing in it to filter or to warn about.
 */
static int ex_on_sse_event(struct upstream *us, struct sse_event *ev)
{
	struct exchange *ex = exchange_of(us);
	struct client *c = ex->client;
	struct buf wire = {};
	int err = 0;

	/* The grammar allows a NUL; JSON-RPC does not, and C strings end there. */
	if (ev->has_data && ev->data.len && memchr(ev->data.data, '\0', ev->data.len))
		return upstream_broke(us, "a NUL byte in SSE data");
	if (ex->kind == EX_LEGACY_SSE && !strcmp(ev->type, "endpoint"))
		err = rewrite_endpoint(ex, ev);
	else if (ev->has_data && !ev->comment && ev->data.len)
		err = judge_event(ex, ev);
	if (err == SREQ_DROP)
		return 0;	/* nothing left for the agent */
	if (err > 0)
		err = 0;
	if (!err && ev->has_data && !ev->comment)
		err = filter_event(ex, ev);
	/* Only the legacy stream's endpoint event is the gateway's: on another
	 * stream an event named so is the backend's data like any other. */
	if (!err && ev->has_data && !ev->comment &&
	    !(ex->kind == EX_LEGACY_SSE && !strcmp(ev->type, "endpoint")))
		err = redact_buf(ex, &ev->data, true);
	if (err)
		return err;
	if (!c)
		return -EPIPE;
	ex->answer_bytes += ev->data.len;
	err = sse_put_event(&wire, ev);
	ledger_answered(&ex->usage, wire.len);
	if (!err)
		err = put_stream(ex, &wire);
	buf_free(&wire);
	/* No flush here: upstream.c calls ex_flush once per read, however many events. */
	return err;
}

/* JSON bodies are JSON-RPC and inspected; others ("Accepted", error pages) pass. */
static bool is_json(const struct http_msg *msg)
{
	const char *ctype = http_msg_header(msg, "content-type");

	return msg->body.len && ctype && !strncasecmp(ctype, "application/json", 16);
}

/* A JSON answer must be JSON-RPC, and a POST's answer only to that POST. */
static int ex_on_check(struct upstream *us, struct http_msg *msg)
{
	struct exchange *ex = exchange_of(us);
	char why[160];
	int err;

	if (!ex->client || ex->streaming)
		return 0;
	/* A body labelled otherwise is still redacted: a client that reads
	 * JSON whatever the Content-Type says would see what it holds. */
	if (!is_json(msg))
		return redact_buf(ex, &msg->body, true);
	if (is_post(ex))
		err = inspect_answer(msg->body.data, msg->body.len, &ex->ids, why, sizeof(why));
	else
		err = inspect_response(msg->body.data, msg->body.len);
	if (err == -EPROTO)
		return upstream_broke(us, "%s", why);
	if (err == -EINVAL)
		return upstream_broke(us, "its answer is not JSON-RPC");
	/* A client reads the backend's requests out of a JSON answer too (the
	 * TypeScript SDK hands every message of it on): judged as in SSE. */
	err = err ? err : judge_server_requests(ex, &msg->body);
	if (err == SREQ_DROP)
		return upstream_broke(us, "its JSON answer holds only a request the agent may "
				      "not take");
	return err < 0 ? err : redact_buf(ex, &msg->body, true);
}

/* The backend's status and headers, with a body of the gateway's making. */
static void answer_made(struct exchange *ex, const struct http_msg *msg, int status,
			const char *body)
{
	struct client *c = ex->client;

	ex->status = status;
	size_t len = strlen(body);

	http_put_status(&c->out, status);
	for (size_t i = 0; i < msg->n_headers; i++)
		if (!http_hop_by_hop(msg->names[i]) && strcasecmp(msg->names[i], "content-type"))
			put_header(&c->out, msg->names[i], msg->values[i]);
	buf_printf(&c->out, "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
		   len, c->close_after ? "Connection: close\r\n" : "");
	buf_append(&c->out, body, len);
}

/*
 * The one answer to a partly refused batch (batch.h), from the backend's
 * complete answer @body (@len bytes, lists filtered), under *status:
 *  - JSON: the backend's answers and the gateway's merged, under the
 *    backend's status, an error status too: the client acts on it (404:
 *    initialize again; 401; 429 and 503: later), and the body still says
 *    what became of each request;
 *  - 202: only notifications went on (or, on the legacy transport, the
 *    backend answers on the /sse stream): 200 with the gateway's answers,
 *    which would otherwise have nowhere to go;
 *  - anything else (no body, an HTML error page): the backend's status,
 *    and each forwarded request gets a -32603 error saying what the
 *    backend answered, so no request goes unanswered.
 * NULL when out of memory.
 */
static char *merge_answer(struct exchange *ex, const struct http_msg *msg, const char *body,
			  size_t len, int *status)
{
	char why[224], shown[96];

	*status = msg->status;
	if (is_json(msg))
		return batch_merge(&ex->batch, body, len, 0, NULL, 0);
	if (msg->status == 202) {
		*status = 200;
		return batch_merge(&ex->batch, NULL, 0, 0, NULL, 0);
	}
	if (len)
		mcp_sanitize(shown, sizeof(shown), body, len);
	snprintf(why, sizeof(why), "the backend answered HTTP %d without a JSON-RPC answer%s%s",
		 msg->status, len ? ": " : "", len ? shown : "");
	return batch_merge(&ex->batch, NULL, 0, INSPECT_INTERNAL_ERROR, why, 0);
}

static void answer_complete(struct exchange *ex, const struct http_msg *msg)
{
	struct client *c = ex->client;
	/* A list answer shows only what the agent may use. */
	char *filtered = is_json(msg) && ex->lists.n ?
		gate_filter_answer(ex->gp, &ex->id, gate_lists_lookup, &ex->lists,
				   msg->body.data, msg->body.len) : NULL;
	const char *body = filtered ? filtered : msg->body.data ? msg->body.data : "";
	size_t len = filtered ? strlen(filtered) : msg->body.len;
	char *merged = NULL;
	int status;

	/* With no answer of the gateway's, the backend's answer is whole. */
	if (ex->batch.n_answers && !(merged = merge_answer(ex, msg, body, len, &status)))
		pr_warn("sluiced: a batch's answers could not be merged (out of memory): the "
			"answers to %zu refused requests were lost\n", ex->batch.n_answers);
	ledger_answered(&ex->usage, merged ? strlen(merged) : len);
	if (merged) {
		answer_made(ex, msg, status, merged);
	} else {
		http_put_status(&c->out, msg->status);
		put_passthrough_headers(&c->out, msg, ex->head_extra);
		buf_printf(&c->out, "Content-Length: %zu\r\n%s\r\n", len,
			   c->close_after ? "Connection: close\r\n" : "");
		buf_append(&c->out, body, len);
	}
	free(merged);
	free(filtered);
}

static void ex_on_done(struct upstream *us, struct http_msg *msg)
{
	struct exchange *ex = exchange_of(us);
	struct client *c = ex->client;
	bool reusable = msg->keep_alive;

	if (!c) {
		exchange_end(ex, false);
		return;
	}
	if (ex->streaming) {
		if (!ex->client_http10)
			http_put_chunk(&c->out, NULL, 0);
	} else {
		ex->answer_bytes += msg->body.len;
		answer_complete(ex, msg);
	}
	exchange_end(ex, reusable);
}

static void ex_flush(struct upstream *us)
{
	struct exchange *ex = exchange_of(us);

	if (ex->client)
		client_flush(ex->client);
}

static bool ex_backlogged(struct upstream *us)
{
	struct exchange *ex = exchange_of(us);

	return ex->client && client_backlogged(ex->client);
}

/* A failure's error; a partly refused batch's answers carry it for each
 * forwarded request, next to the gateway's own (batch.h). */
static void answer_error(struct exchange *ex, int status, int code, const char *message,
			 unsigned int retry_after_s)
{
	struct client *c = ex->client;

	ex->status = status;
	char *merged = ex->batch.n_answers ?
		batch_merge(&ex->batch, NULL, 0, code, message, retry_after_s) : NULL;
	char extra[64] = "";

	if (!merged) {
		client_answer_error(c, status, ex->rpc_id, code, message, retry_after_s);
		return;
	}
	if (retry_after_s)
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", retry_after_s);
	client_answer_json_hdr(c, status, merged, strlen(merged), extra);
	free(merged);
}

/*
 * The client's answer for a failure.  Retry-After only where waiting helps:
 * not when the backend may have acted on the request (CLOSED), nor when it
 * breaks the protocol (PROTOCOL) or its answer cannot pass (GATEWAY).
 */
static void answer_failure(struct exchange *ex, enum upstream_failure what, const char *why)
{
	unsigned int later = ex->up.be->retry_after_s;
	char msg[224];

	switch (what) {
	case UP_FAIL_UNAVAILABLE:
		answer_error(ex, 503, INSPECT_UNAVAILABLE,
			     "backend temporarily unavailable; try again later", later);
		break;
	case UP_FAIL_TIMEOUT:
		answer_error(ex, 504, INSPECT_TIMEOUT, "backend timed out; try again later", later);
		break;
	case UP_FAIL_CLOSED:
		answer_error(ex, 502, INSPECT_UNAVAILABLE, why, 0);
		break;
	case UP_FAIL_PROTOCOL:
		snprintf(msg, sizeof(msg), "backend broke the protocol: %s", why);
		answer_error(ex, 502, INSPECT_PROTOCOL, msg, 0);
		break;
	case UP_FAIL_GATEWAY:
		answer_error(ex, 502, INSPECT_INTERNAL_ERROR, why, 0);
		break;
	}
}

static void ex_on_failed(struct upstream *us, enum upstream_failure what, const char *why)
{
	struct exchange *ex = exchange_of(us);
	struct client *c = ex->client;

	if (!c) {
		exchange_free(ex);
		return;
	}
	if (ex->client_head_sent) {
		/* Mid-stream: the status is gone.  Close without the last chunk, so
		 * the client sees a cut stream, not a complete one. */
		c->close_after = true;
	} else {
		answer_failure(ex, what, why);
	}
	exchange_free(ex);
	client_flush(c);
}

static const struct upstream_ops ex_upstream_ops = {
	.on_head = ex_on_head,
	.on_sse_event = ex_on_sse_event,
	.on_check = ex_on_check,
	.on_done = ex_on_done,
	.on_failed = ex_on_failed,
	.flush = ex_flush,
	.backlogged = ex_backlogged,
};

void exchange_resume(struct exchange *ex)
{
	upstream_resume(&ex->up);
}

bool exchange_streams(const struct exchange *ex)
{
	return ex->kind == EX_MCP_GET || ex->kind == EX_LEGACY_SSE || ex->streaming;
}

void exchange_ban(struct exchange *ex, const char *message, const char *data_json)
{
	struct client *c = ex->client;
	struct buf wire = {};
	char *err;

	c->close_after = true;
	if (!ex->client_head_sent) {
		ex->status = 403;
		client_answer_error_data(c, 403, ex->rpc_id, DECIDE_ERR_BANNED, message, data_json,
					 NULL);
	} else if (ex->streaming || ex->kind == EX_MCP_GET || ex->kind == EX_LEGACY_SSE) {
		/* The stream's last event says why it ends; a request's id only
		 * on the stream that answers it. */
		err = inspect_error_json_data(ex->kind == EX_MCP_POST ? ex->rpc_id : NULL,
					      DECIDE_ERR_BANNED, message, data_json);
		if (err && !buf_printf(&wire, "event: message\ndata: %s\n\n", err) &&
		    !put_stream(ex, &wire) && !ex->client_http10)
			http_put_chunk(&c->out, NULL, 0);
		free(err);
		buf_free(&wire);
	}
	/* A JSON answer half sent: cut, as a backend failure mid-answer is. */
	upstream_release(&ex->up, false);
	exchange_free(ex);
	client_flush(c);
}

void exchange_abort(struct exchange *ex)
{
	ex->client = NULL;
	upstream_release(&ex->up, false);
	exchange_free(ex);
}
