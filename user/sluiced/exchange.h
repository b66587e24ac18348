/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * exchange.h - one client request relayed to a backend and its answer
 * relayed back: the request as the backend gets it, the answer as the
 * client gets it (JSON checked whole, SSE event by event), and what the
 * answer teaches the session table.
 *
 * An exchange holds a reference to the policy it started under, so a
 * request is judged wholly under one policy and a reload drops nothing.
 * Its backend side is the embedded struct upstream (upstream.h).
 */
#ifndef SL_EXCHANGE_H
#define SL_EXCHANGE_H

#include <stdbool.h>

#include "base/ev.h"
#include "client.h"
#include "gate.h"
#include "gwconf.h"
#include "proto/http.h"
#include "proto/inspect.h"
#include "sessions.h"
#include "upstream.h"

/* The legacy HTTP+SSE transport's message endpoint, as clients see it. */
#define SL_LEGACY_MESSAGE_PATH "/message"

enum ex_kind {
	EX_MCP_POST,		/* Streamable HTTP: POST <mcp_path> */
	EX_MCP_GET,		/* Streamable HTTP: GET <mcp_path>, the server's stream */
	EX_MCP_DELETE,		/* Streamable HTTP: DELETE <mcp_path>, end a session */
	EX_LEGACY_SSE,		/* HTTP+SSE: GET /sse */
	EX_LEGACY_POST,		/* HTTP+SSE: POST /message?sessionId= */
};

struct exchange {
	struct client *client;		/* NULL once the client left */
	struct ev_loop *loop;
	struct gw_policy *gp;		/* the policy this request is judged under */
	struct upstream up;		/* the backend side; up.be is the backend */
	enum ex_kind kind;
	struct ev_timer reaper;		/* frees the exchange after the current event */
	bool reaping;			/* exchange_free ran: detached, awaiting the reaper */
	char *rpc_id;			/* the request's JSON-RPC id as JSON text, or NULL */
	struct inspect_ids ids;		/* POSTs: the ids its answer may carry */
	/* The known session the request names; a legacy /sse stream: the
	 * session its endpoint event began. */
	char session[SL_SESSION_ID_MAX];
	bool session_reserved;		/* holds a sessions_reserve() slot for its answer */
	bool session_stream;		/* counted as an open stream of ex->session */
	bool is_initialize;
	char client_name[64], client_version[32];
	char proto_version[32];		/* the client's MCP-Protocol-Version, or "" */
	/* Legacy HTTP+SSE: the backend's message path of the session, where
	 * the gateway POSTs its answers to refused backend requests (sreq.h). */
	char legacy_path[512];
	bool streaming;			/* response relayed as SSE */
	bool client_http10;		/* no chunked framing: the stream ends with the connection */
	bool client_head_sent;
	struct identity id;		/* who sent the request (gate.h) */
	struct gate_lists lists;	/* POSTs: list requests whose answers are filtered */
	struct batch_answers batch;	/* POSTs: a batch's requests, the refused ones answered */
	char *body;			/* the decision's rewritten body (malloc), or NULL */
	char head_extra[512];		/* header lines added to the answer (RateLimit) */
	struct redact_counts redactions;	/* what redaction replaced in the answer */
	double cost_per_kib;		/* charged on the answer's bytes when it is complete */
	size_t answer_bytes;		/* what the backend answered (bodies, event data) */
	int status;			/* the HTTP status the client got (0: none yet) */
	size_t request_bytes;		/* the request body as the agent sent it */
	struct audit_rec **audit;	/* the records of its audited messages (gate.h) */
	size_t n_audit;
	size_t body_len;
	struct ledger_pending usage;	/* POSTs: its calls, noted when it ends */
	__u64 start_ns;			/* gate_now_ns() when it began (metrics.h) */
};

/* The name of @ex's agent, "" for nobody (sessions remember it). */
const char *exchange_agent(const struct exchange *ex);

/* A new exchange for @c's current request, bound for the policy's default
 * backend; it hangs on c->ex and holds @gp's reference.  NULL when out of
 * memory (the reference stays the caller's). */
struct exchange *exchange_new(struct client *c, struct pool *pool, struct gw_policy *gp,
			      enum ex_kind kind);
/* Sends "@method @path" with @msg's headers and body to ex->up.be; the
 * answer, or a failure, reaches the client. */
void exchange_start(struct exchange *ex, const struct http_msg *msg, const char *method,
		    const char *path);
/* The client's queue drained: resume the backend read. */
void exchange_resume(struct exchange *ex);
/* The agent is banned: the exchange ends with the ban's error (HTTP 403
 * when no answer began; a last SSE event on a stream) and the connection
 * closes after it. */
void exchange_ban(struct exchange *ex, const char *message, const char *data_json);
/* The client is gone: end the exchange without an answer. */
void exchange_abort(struct exchange *ex);
/* Is the answer a stream: a GET stream, /sse, or SSE relayed to a POST? */
bool exchange_streams(const struct exchange *ex);

#endif
