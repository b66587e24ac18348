// SPDX-License-Identifier: GPL-2.0-only
/*
 * upstream.c - the backend side of an exchange (see upstream.h): take or
 * open a connection, write the request, read the response, and fail well.
 *
 * The retry rule: a request is sent again - once, on a fresh connection -
 * only when not one byte of it was written: the first send on a reused
 * keep-alive connection failed (EPIPE, ECONNRESET), or the backend's close
 * of it was seen first.  Once any byte left, the backend may have read the
 * request and acted on it (a tools/call is no idempotent GET), so an EOF,
 * a reset or a timeout after that is answered as an error (502 "backend
 * closed the connection before answering", 504) and never retried.  Idle
 * connections the backend closed are weeded out before reuse (pool_take
 * peeks at them), which keeps the case a retry covers rare.
 *
 * Failures: a request that did not reach the backend is answered 503, one
 * without an answer in time 504, one whose connection ended after it was
 * sent 502; a backend that breaks HTTP, SSE or JSON-RPC (a status outside
 * 100..599, a 101 nobody asked for, bad SSE, an answer with another id) is
 * answered 502 naming what it did.  Transport failures before any answer
 * and protocol errors count against the breaker: a backend that answers
 * what was not asked is misconfigured or worse, and shedding its load
 * quickly is the breaker's job.  While the breaker is open requests are
 * answered 503 without touching the backend; after open_ms one request
 * probes it, and its outcome closes or reopens the breaker.
 *
 * A connection is pooled again only after a response that ended cleanly:
 * keep-alive, and not one byte after it.  That is decided before on_done,
 * which releases the connection to the pool, where a request pipelined
 * behind may take it at once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/net.h"
#include "breaker.h"
#include "pool.h"
#include "upstream.h"

#define UP_READ_CHUNK	65536

static void up_on_io(struct ev_loop *loop, int fd, unsigned int events, void *data);
static int up_write(struct upconn *up);
static void up_fail(struct upstream *us, enum upstream_failure what, const char *why,
		    bool counts);
static void up_lost(struct upstream *us, const char *before, const char *after);

/* --- the breaker -------------------------------------------------------------------- */

static void up_count_failure(struct upstream *us)
{
	const struct gw_backend *be = us->be;

	us->probe = false;
	if (breaker_failure(us->bs->breaker, be->failure_threshold, be->open_ms,
			    ev_now_ms(us->pool->loop)))
		pr_warn("sluiced: backend %s (%s) failing: circuit open for %u ms\n",
			be->name, be->authority, be->open_ms);
}

/* The backend answered as it should (a probe's success closes the breaker). */
static void up_count_success(struct upstream *us)
{
	us->probe = false;
	breaker_success(us->bs->breaker);
}

/* --- what went wrong ---------------------------------------------------------------- */

static void up_vnote(struct upstream *us, enum upstream_failure what, const char *fmt,
		     va_list ap)
{
	if (us->why[0])
		return;	/* the first cause stands: later ones are its consequences */
	us->fail = what;
	vsnprintf(us->why, sizeof(us->why), fmt, ap);
}

static void up_note(struct upstream *us, enum upstream_failure what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void up_note(struct upstream *us, enum upstream_failure what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	up_vnote(us, what, fmt, ap);
	va_end(ap);
}

int upstream_broke(struct upstream *us, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	up_vnote(us, UP_FAIL_PROTOCOL, fmt, ap);
	va_end(ap);
	return -EPROTO;
}

/* --- the response ------------------------------------------------------------------- */

static int on_resp_headers(void *ctx, struct http_msg *msg)
{
	struct upstream *us = ctx;
	int mode;

	us->response_started = true;
	/* The parser takes any three digits; HTTP has five classes.  And no
	 * request asks for an upgrade (Upgrade is hop-by-hop, never sent): what
	 * follows a 101 would be another protocol on this connection. */
	if (msg->status < 100 || msg->status > 599 || msg->status == 101) {
		if (msg->status == 101)
			upstream_broke(us, "101 Switching Protocols, and no upgrade was asked for");
		else
			upstream_broke(us, "status %d", msg->status);
		return -502;	/* the reader fails; up_fail_read reports the note */
	}
	/* 100 Continue and friends: the real response follows on this connection. */
	if (msg->status / 100 == 1) {
		us->interim = true;
		return HTTP_BODY_BUFFER;
	}
	mode = us->ops->on_head(us, msg);
	/* A stream may live for hours: the answer deadline covered its head, and
	 * its head is the sign of a healthy backend the breaker waits for. */
	if (mode == HTTP_BODY_STREAM) {
		ev_timer_cancel(us->pool->loop, &us->deadline);
		up_count_success(us);
	}
	return mode;
}

static int on_resp_body(void *ctx, const char *data, size_t len)
{
	struct upstream *us = ctx;
	int err = sse_feed(&us->sse, data, len);

	if (err == -ERANGE)
		upstream_broke(us, "an SSE retry field over %ld ms", SSE_MAX_RETRY_MS);
	else if (err == -E2BIG)
		up_note(us, UP_FAIL_GATEWAY, "an SSE event over the gateway's size limit");
	return err;
}

/* Completion is handled once the reader returns (up_feed, up_eof): only
 * then is it known whether bytes follow the response. */
static void on_resp_complete(void *ctx, struct http_msg *msg)
{
	(void)ctx, (void)msg;
}

static const struct http_reader_ops resp_ops = {
	.on_headers = on_resp_headers,
	.on_body = on_resp_body,
	.on_complete = on_resp_complete,
};

static int on_sse(void *ctx, struct sse_event *ev)
{
	struct upstream *us = ctx;

	return us->ops->on_sse_event(us, ev);
}

/*
 * The final response is complete; @clean: nothing followed it.  Whether the
 * connection may be pooled is settled here, before on_done releases it.
 */
static void up_complete(struct upstream *us, bool clean)
{
	struct http_msg *msg = &us->rd.msg;

	ev_timer_cancel(us->pool->loop, &us->deadline);
	if (us->ops->on_check(us, msg)) {
		up_note(us, UP_FAIL_GATEWAY, "the gateway could not take the answer");
		up_fail(us, us->fail, us->why, us->fail == UP_FAIL_PROTOCOL);
		return;
	}
	us->reusable = clean && msg->keep_alive;
	up_count_success(us);
	us->ops->on_done(us, msg);
}

/* The response reader failed: say what the backend did, if it did it. */
static void up_fail_read(struct upstream *us)
{
	int status = us->rd.error_status;

	if (status == 413 || status == 431)
		up_note(us, UP_FAIL_GATEWAY, "backend answer over the gateway's size limits");
	else if (status == 500 || status == 502)	/* out of memory, a relay failure */
		up_note(us, UP_FAIL_GATEWAY, "the gateway could not relay the answer");
	else
		upstream_broke(us, "%s", us->rd.error ? us->rd.error : "invalid response");
	up_fail(us, us->fail, us->why, us->fail == UP_FAIL_PROTOCOL);
}

static void on_deadline(struct ev_loop *loop, void *data)
{
	struct upstream *us = data;

	(void)loop;
	if (us->conn && us->conn->connecting)
		up_fail(us, UP_FAIL_UNAVAILABLE, "backend did not accept the connection in time",
			true);
	else
		up_fail(us, UP_FAIL_TIMEOUT, "backend did not answer in time",
			!us->response_started);
}

/* --- starting and ending ------------------------------------------------------------ */

static void up_attach(struct upstream *us, struct upconn *up)
{
	const struct gw_config *cfg = us->cfg;
	struct http_limits lim = { cfg->max_header_bytes * 4, SL_MAX_RESPONSE_BYTES };

	us->conn = up;
	us->reusable = false;
	us->why[0] = '\0';
	up->us = us;
	up->written = 0;
	http_reader_free(&us->rd);
	http_reader_init(&us->rd, HTTP_KIND_RESPONSE, &lim, &resp_ops, us);
	sse_free(&us->sse);
	sse_init(&us->sse, cfg->max_body_bytes > 65536 ? cfg->max_body_bytes : 65536, on_sse, us);
	ev_timer_arm(up->pool->loop, &us->deadline,
		     up->connecting ? us->be->connect_timeout_ms : us->be->timeout_ms);
	if (up->connecting) {
		ev_watch(up->pool->loop, up->fd, EV_WRITE, up_on_io, up);
		return;
	}
	/* A pooled connection is writable: send now, watch for writability only
	 * if the request does not fit (no epoll round trip, no epoll_ctl). */
	if (up_write(up))
		up_lost(us, "backend connection failed",
			"backend closed the connection while the request was sent");
	else if (up->written < us->request.len)
		ev_watch(up->pool->loop, up->fd, EV_READ | EV_WRITE, up_on_io, up);
}

void upstream_init(struct upstream *us, const struct upstream_ops *ops,
		   struct pool *pool, const struct gw_config *cfg,
		   const struct gw_backend *be)
{
	us->ops = ops;
	us->pool = pool;
	us->cfg = cfg;
	us->be = be;
	ev_timer_init(&us->deadline, NULL, us);
}

void upstream_free(struct upstream *us)
{
	buf_free(&us->request);
	http_reader_free(&us->rd);
	sse_free(&us->sse);
}

/* The backend gives no answer: say why in the log, then tell the owner. */
static void up_give_up(struct upstream *us, enum upstream_failure what, const char *why)
{
	const struct gw_backend *be = us->be;

	if (what == UP_FAIL_PROTOCOL)
		pr_warn("sluiced: %s %s broke the protocol: %s\n", be->name, be->authority, why);
	/* Refusals while the breaker is open would flood the log: debug only. */
	else if (us->bs && breaker_is_open(us->bs->breaker, be->failure_threshold))
		pr_debug("sluiced: %s %s: %s\n", be->name, be->authority, why);
	else
		pr_info("sluiced: %s %s: %s\n", be->name, be->authority, why);
	us->ops->on_failed(us, what, why);
}

/* Errors of this host, not of the backend (descriptors, memory, ports). */
static bool local_shortage(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -ENOBUFS || err == -ENOMEM ||
	       err == -EADDRNOTAVAIL;
}

int upstream_start(struct upstream *us)
{
	struct pool *p = us->pool;
	struct upconn *up;
	int err;

	us->released = false;
	us->bs = pool_backend(p, us->be);
	if (!us->bs)
		return -ENOMEM;
	if (!breaker_admits(us->bs->breaker, us->be->failure_threshold, ev_now_ms(p->loop),
			    &us->probe)) {
		up_give_up(us, UP_FAIL_UNAVAILABLE, "backend unavailable (circuit open)");
		return 0;
	}
	ev_timer_init(&us->deadline, on_deadline, us);
	up = us->retried ? NULL : pool_take(us->bs);
	if (!up)
		up = pool_connect(p, us->bs, us->be, &err);
	if (!up && local_shortage(err)) {
		/* Our shortage, not the backend's fault: the breaker stays closed. */
		up_fail(us, UP_FAIL_UNAVAILABLE,
			"gateway out of descriptors or memory for a backend connection", false);
		return 0;
	}
	if (!up) {
		up_fail(us, UP_FAIL_UNAVAILABLE, "backend refused the connection", true);
		return 0;
	}
	up_attach(us, up);
	return 0;
}

/* Detaches and closes (or pools) the exchange's connection. */
void upstream_release(struct upstream *us, bool reusable)
{
	struct upconn *up = us->conn;

	us->released = true;
	ev_timer_cancel(us->pool->loop, &us->deadline);
	if (us->probe) {
		us->probe = false;
		breaker_probe_abandoned(us->bs->breaker);
	}
	if (!up)
		return;
	us->conn = NULL;
	up->us = NULL;
	/* A response cut, refused or followed by stray bytes leaves it unfit. */
	if (!reusable || !us->reusable || !pool_put(up, us->be->pool_size))
		pool_close(up);
	us->reusable = false;
}

static void up_fail(struct upstream *us, enum upstream_failure what, const char *why,
		    bool counts)
{
	if (us->released) {
		/* The owner let go first (its client left): nobody to answer. */
		upstream_release(us, false);
		return;
	}
	upstream_release(us, false);
	if (counts)
		up_count_failure(us);
	up_give_up(us, what, why);
}

/*
 * The connection failed or closed before any response byte: the retry rule
 * (top of file).  @before: what happened if not a byte of the request was
 * written; @after: once some was.
 */
static void up_lost(struct upstream *us, const char *before, const char *after)
{
	struct upconn *up = us->conn;

	if (us->released || !up) {
		upstream_release(us, false);
		return;
	}
	if (up->written) {
		up_fail(us, UP_FAIL_CLOSED, after, true);
		return;
	}
	if (up->reused && !us->retried) {
		/* The backend closed a kept-alive connection as we reused it. */
		upstream_release(us, false);
		us->retried = true;
		if (upstream_start(us))
			up_give_up(us, UP_FAIL_UNAVAILABLE, "out of memory");
		return;
	}
	up_fail(us, UP_FAIL_UNAVAILABLE, before, true);
}

void upstream_resume(struct upstream *us)
{
	if (us->conn && us->conn->paused) {
		us->conn->paused = false;
		ev_watch(us->pool->loop, us->conn->fd, EV_READ, up_on_io, us->conn);
	}
}

/* --- I/O ---------------------------------------------------------------------------- */

static int up_write(struct upconn *up)
{
	struct upstream *us = up->us;

	while (up->written < us->request.len) {
		ssize_t n = send(up->fd, us->request.data + up->written,
				 us->request.len - up->written, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		up->written += (size_t)n;
	}
	ev_watch(up->pool->loop, up->fd, EV_READ, up_on_io, up);
	return 0;
}

static int up_connected(struct upconn *up)
{
	int err = net_connect_result(up->fd);

	if (err)
		return err;
	up->connecting = false;
	/* The connect deadline becomes the answer deadline. */
	ev_timer_arm(up->pool->loop, &up->us->deadline, up->us->be->timeout_ms);
	return 0;
}

/*
 * Feeds what the backend sent; false when the exchange is over or let go of
 * the connection (past a complete response the exchange may be gone, and
 * the connection pooled or carrying the next request).
 */
static bool up_feed(struct upconn *up, const char *data, size_t len)
{
	struct upstream *us = up->us;
	size_t off = 0;

	while (off < len) {
		ssize_t n;

		if (us->interim && us->rd.complete) {
			us->interim = false;
			http_reader_next(&us->rd);
		}
		n = http_reader_feed(&us->rd, data + off, len - off);
		if (up->us != us)
			return false;	/* its client left in a callback */
		if (n < 0) {
			up_fail_read(us);
			return false;
		}
		off += (size_t)n;
		if (us->rd.complete && !us->interim) {
			/* Bytes after a complete response: not HTTP/1.1 as we know it. */
			if (off < len)
				pr_warn("sluiced: backend %s sent bytes after its response; "
					"connection closed\n", us->be->name);
			up_complete(us, off == len);
			return false;
		}
	}
	return true;
}

/* The backend closed: fine after a response delimited by close, else a failure. */
static void up_eof(struct upstream *us)
{
	if (!us->rd.in_message) {
		up_lost(us, "backend closed the connection",
			"backend closed the connection before answering");
		return;
	}
	if (!http_reader_eof(&us->rd) && us->rd.complete && !us->interim)
		up_complete(us, false);
	else
		up_fail(us, UP_FAIL_CLOSED,
			"backend closed the connection in the middle of its answer", false);
}

static void up_read_error(struct upstream *us)
{
	if (us->response_started)
		up_fail(us, UP_FAIL_CLOSED,
			"backend reset the connection in the middle of its answer", false);
	else
		up_lost(us, "backend reset the connection",
			"backend closed the connection (reset) before answering");
}

static void up_read(struct upconn *up)
{
	struct upstream *us = up->us;
	char buf[UP_READ_CHUNK];

	while (up->us == us && !up->paused) {
		ssize_t n = read(up->fd, buf, sizeof(buf));

		if (n == 0) {
			up_eof(us);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN)
				up_read_error(us);
			return;
		}
		if (!up_feed(up, buf, (size_t)n))
			return;
		/* One flush per read, however many SSE events it carried. */
		us->ops->flush(us);
		if (up->us != us)
			return;	/* the flush found the client gone */
		/* A slow client: stop reading the backend until its queue drains. */
		if (us->ops->backlogged(us)) {
			up->paused = true;
			ev_watch(up->pool->loop, up->fd, 0, up_on_io, up);
			return;
		}
		/* A short read drained the socket: skip the read that says EAGAIN. */
		if ((size_t)n < sizeof(buf))
			return;
	}
}

static void up_io(struct upconn *up, unsigned int events);

/*
 * Whatever the callbacks inside do - end the exchange, pool the connection,
 * hand it to a pipelined request, close it - @up stays allocated until this
 * returns (pool_close only marks it dead while in_io), and nothing here
 * touches it after a callback could have passed it on.
 */
static void up_on_io(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct upconn *up = data;

	(void)loop, (void)fd;
	if (!up->us)
		return;
	up->in_io = true;
	up_io(up, events);
	up->in_io = false;
	if (up->dead)
		pool_close(up);
}

static void up_io(struct upconn *up, unsigned int events)
{
	struct upstream *us = up->us;
	int err = 0;

	if (up->connecting && (events & (EV_WRITE | EV_READ)))
		err = up_connected(up);
	if (!err && (events & EV_WRITE) && up->written < us->request.len)
		err = up_write(up);
	if (err) {
		up_lost(us, err == -ECONNREFUSED ? "backend refused the connection" :
						   "backend connection failed",
			"backend closed the connection while the request was sent");
		return;
	}
	if (events & EV_READ)
		up_read(up);
}
