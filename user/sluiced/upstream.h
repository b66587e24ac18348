/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * upstream.h - the backend side of an exchange: a connection from the
 * worker's pool (pool.h), the request write, the response read, a retry
 * only for a request that never left (the rule: upstream.c), and the
 * circuit breaker's bookkeeping.
 *
 * The owner of an exchange (exchange.c) embeds a struct upstream, writes
 * the request into it, and hears how the backend answers through the
 * struct upstream_ops it passed in: this side never calls its owner by
 * name, so the dependency points one way.
 */
#ifndef SL_UPSTREAM_H
#define SL_UPSTREAM_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/ev.h"
#include "gwconf.h"
#include "pool.h"
#include "proto/http.h"
#include "proto/sse.h"

/* Upstream answers larger than this are refused (502), streams excepted. */
#define SL_MAX_RESPONSE_BYTES	(16u << 20)

struct upstream;

/* How the backend side of an exchange failed; the owner answers its client. */
enum upstream_failure {
	UP_FAIL_UNAVAILABLE,	/* 503: the request did not reach the backend */
	UP_FAIL_TIMEOUT,	/* 504: no answer by the deadline */
	UP_FAIL_CLOSED,		/* 502: the connection ended once (part of) the request
				 * was sent, before a complete answer: the backend may
				 * have acted on it, so it is never sent again */
	UP_FAIL_PROTOCOL,	/* 502: the backend broke HTTP, SSE or JSON-RPC */
	UP_FAIL_GATEWAY,	/* 502: the answer is over the gateway's limits, or
				 * memory ran out */
};

/* What the owner hears; every callback gets the struct upstream it embeds. */
struct upstream_ops {
	/* The final response's head: returns HTTP_BODY_BUFFER, or
	 * HTTP_BODY_STREAM to get the body as SSE events. */
	int (*on_head)(struct upstream *us, struct http_msg *msg);
	/* One event of a streamed body; non-zero fails the response
	 * (upstream_broke() says why when the backend broke the protocol). */
	int (*on_sse_event)(struct upstream *us, struct sse_event *ev);
	/* The complete response, before on_done: 0 takes it; upstream_broke()'s
	 * value refuses it, and on_failed follows instead of on_done. */
	int (*on_check)(struct upstream *us, struct http_msg *msg);
	/* The response is complete; the owner ends the upstream side with
	 * upstream_release (the connection is reused only if the response
	 * ended cleanly: keep-alive, and not one byte after it). */
	void (*on_done)(struct upstream *us, struct http_msg *msg);
	/* No (usable) answer, @why says what happened.  Already released and
	 * logged; the owner answers its client. */
	void (*on_failed)(struct upstream *us, enum upstream_failure what, const char *why);
	/* Sends what on_sse_event queued: called once per backend read. */
	void (*flush)(struct upstream *us);
	/* Is the client's queue over its high mark?  Then the backend read
	 * pauses until upstream_resume. */
	bool (*backlogged)(struct upstream *us);
};

/* The upstream side of one exchange, embedded in it. */
struct upstream {
	const struct upstream_ops *ops;
	struct pool *pool;
	const struct gw_config *cfg;	/* the policy the exchange runs under: its limits */
	const struct gw_backend *be;	/* the owner may change it before upstream_start */
	struct buf request;		/* bytes for the backend, written by the owner */
	struct pool_backend *bs;
	struct upconn *conn;
	struct http_reader rd;		/* the backend's response */
	struct sse_parser sse;
	struct ev_timer deadline;
	bool released;			/* upstream_release ran since the last start */
	bool response_started;		/* some response byte came: no retry */
	bool interim;			/* a 1xx came: the real response follows */
	bool probe;			/* the breaker's half-open probe */
	bool retried;
	bool reusable;			/* the response ended cleanly: the connection may be pooled */
	enum upstream_failure fail;	/* with why: noted where the failure was seen */
	char why[160];
};

/* @us must be zeroed (it is embedded in a calloc'ed exchange). */
void upstream_init(struct upstream *us, const struct upstream_ops *ops,
		   struct pool *pool, const struct gw_config *cfg,
		   const struct gw_backend *be);
/* Frees the request and the response reader, once nothing runs in them. */
void upstream_free(struct upstream *us);
/* Sends the request to us->be; the outcome comes through the ops, perhaps
 * before this returns.  -ENOMEM when nothing could start. */
int upstream_start(struct upstream *us);
/* Ends the upstream side; a clean, complete one goes back to the pool
 * when @reusable.  Calling it again does nothing. */
void upstream_release(struct upstream *us, bool reusable);
/* The client's queue drained: resume a paused backend read. */
void upstream_resume(struct upstream *us);
/* For the callbacks: notes that the backend broke the protocol (@fmt says
 * how; the first note stands) and returns -EPROTO to return. */
int upstream_broke(struct upstream *us, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
