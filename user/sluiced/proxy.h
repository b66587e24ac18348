/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proxy.h - the MCP-aware HTTP proxy: client connections, exchanges with
 * backends, and the workers that run them.
 *
 * One worker = one thread, one event loop, one SO_REUSEPORT listener on the
 * data port.  A client connection carries one exchange at a time (pipelined
 * requests wait in the reader, answered in order).  An exchange holds a
 * reference to the policy it started under and to an upstream connection
 * taken from the worker's keep-alive pool.
 */
#ifndef SL_PROXY_H
#define SL_PROXY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/ev.h"
#include "admit.h"
#include "breaker.h"
#include "gwconf.h"
#include "proto/http.h"
#include "base/net.h"
#include "proto/sse.h"
#include "sessions.h"

/* Upstream answers larger than this are refused (502), streams excepted. */
#define SL_MAX_RESPONSE_BYTES	(16u << 20)
/* A slow reader stops the upstream read until its queue drains below this. */
#define SL_CLIENT_QUEUE_HIGH	(1u << 20)

struct worker;
struct client;
struct upconn;

enum ex_kind {
	EX_MCP_POST,		/* Streamable HTTP: POST <mcp_path> */
	EX_MCP_GET,		/* Streamable HTTP: GET <mcp_path>, the server's stream */
	EX_MCP_DELETE,		/* Streamable HTTP: DELETE <mcp_path>, end a session */
	EX_LEGACY_SSE,		/* HTTP+SSE: GET /sse */
	EX_LEGACY_POST,		/* HTTP+SSE: POST /message?sessionId= */
};

/* Per-backend state a worker keeps: its idle connections. */
struct backend_state {
	char authority[280];	/* key: survives reloads that keep the backend */
	struct upconn *idle;
	unsigned int n_idle;
	struct breaker *breaker;
	struct backend_state *next;
};

struct exchange {
	struct client *client;
	struct ev_loop *loop;
	struct gw_policy *gp;		/* the policy this request is judged under */
	const struct gw_backend *be;
	struct backend_state *bs;
	struct upconn *up;
	enum ex_kind kind;
	struct buf request;		/* bytes for the backend */
	struct http_reader rd;		/* the backend's response */
	struct sse_parser sse;
	struct ev_timer deadline;
	struct ev_timer reaper;		/* frees the exchange after the current event */
	bool reaping;			/* exchange_free ran: detached, awaiting the reaper */
	char *rpc_id;			/* the request's JSON-RPC id as JSON text, or NULL */
	char session[SL_SESSION_ID_MAX];
	char legacy_path[512];		/* EX_LEGACY_POST: the backend's message path */
	bool is_initialize;
	char client_name[64], client_version[32];
	bool streaming;			/* response relayed as SSE */
	bool client_http10;		/* no chunked framing: the stream ends with the connection */
	bool client_head_sent;
	bool response_started;		/* some response byte came: no retry */
	bool interim;			/* a 1xx came: the real response follows */
	bool probe;			/* the breaker's half-open probe */
	bool retried;
	bool client_gone;
	int status;
	uint64_t started_ms;
};

struct client {
	struct worker *w;
	int fd;
	struct net_addr peer;
	char peer_str[64];
	struct http_reader rd;
	struct buf in, out;
	struct ev_timer timer;		/* header or idle deadline */
	unsigned int header_timeout_ms;	/* from the policy at accept */
	unsigned int idle_timeout_ms;
	struct exchange *ex;
	bool close_after;		/* close once the queue drains */
	bool in_request;		/* request bytes seen, not yet complete */
	bool counted_source;
	bool closed;			/* torn down; freed once the current event is done */
	bool parsing;			/* inside client_parse: answers must not re-enter it */
	bool lingering;			/* answered, write side shut, draining input */
	bool peer_done;			/* the client shut its write side: answer, then close */
	struct client *prev, *next;
};

struct worker {
	int id;
	pthread_t thread;
	struct ev_loop *loop;
	int listen_fd;
	int wake_fd;			/* eventfd: stop */
	struct backend_state *backends;
	struct client *clients;
	unsigned int n_clients;
};

/* --- the workers (gateway.c) --- */

int gw_workers_start(unsigned int n, const struct net_addr *listen);
void gw_workers_stop(void);

/* --- the proxy (proxy.c, upstream.c) --- */

/* @cfg: the policy the connection was admitted under (its limits stay). */
void proxy_accept(struct worker *w, int fd, const struct net_addr *peer,
		  const struct gw_config *cfg);
void proxy_close_all(struct worker *w);

/* Called by upstream.c as a backend answers. */
int proxy_on_response_head(struct exchange *ex, struct http_msg *msg);
int proxy_on_sse_event(struct exchange *ex, struct sse_event *ev);
void proxy_on_response_done(struct exchange *ex, struct http_msg *msg);
/* The backend could not answer: 503 (unavailable) or 504 (timeout). */
void proxy_on_upstream_failed(struct exchange *ex, int status, const char *why);
/* Sends what the relay queued for the client (after each upstream read). */
void proxy_flush(struct exchange *ex);
/* The client's queue drained: resume a paused upstream read. */
void upstream_resume(struct exchange *ex);

int upstream_start(struct exchange *ex);
/* Ends the exchange's upstream side; a clean, complete one goes back to the pool. */
void upstream_release(struct exchange *ex, bool reusable);
void upstream_pool_free(struct worker *w);
bool upstream_queue_full(struct exchange *ex);

#endif
