// SPDX-License-Identifier: GPL-2.0-only
/*
 * upstream.c - the backend side of an exchange (see upstream.h): take or
 * open a connection, write the request, read the response, and fail well.
 *
 * Failure policy: a transport failure before any response byte on a pooled
 * connection is retried once on a fresh one (the backend may have closed an
 * idle connection as we reused it); every other failure answers the client
 * at once (503) and counts against the breaker.  While the breaker is open
 * requests are answered 503 without touching the backend; after open_ms one
 * request probes it, and its outcome closes or reopens the breaker.
 */
#include <errno.h>
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
static void up_fail(struct upstream *us, int status, const char *why, bool transport);

static void up_breaker_failure(struct pool_backend *bs, const struct gw_backend *be, uint64_t now)
{
	if (breaker_failure(bs->breaker, be->failure_threshold, be->open_ms, now))
		pr_warn("sluiced: backend %s (%s) failing: circuit open for %u ms\n",
			be->name, be->authority, be->open_ms);
}

/* --- the exchange's upstream side -------------------------------------------------- */

static int on_resp_headers(void *ctx, struct http_msg *msg)
{
	struct upstream *us = ctx;
	int mode;

	us->response_started = true;
	us->probe = false;
	breaker_success(us->bs->breaker);
	/* 100 Continue and friends: the real response follows on this connection. */
	if (msg->status / 100 == 1 && msg->status != 101) {
		us->interim = true;
		return HTTP_BODY_BUFFER;
	}
	mode = us->ops->on_head(us, msg);
	/* A stream may live for hours: the answer deadline covered its head. */
	if (mode == HTTP_BODY_STREAM)
		ev_timer_cancel(us->pool->loop, &us->deadline);
	return mode;
}

static int on_resp_body(void *ctx, const char *data, size_t len)
{
	struct upstream *us = ctx;

	return sse_feed(&us->sse, data, len);
}

static void on_resp_complete(void *ctx, struct http_msg *msg)
{
	struct upstream *us = ctx;

	if (us->interim)
		return;	/* up_feed resets the reader for the final response */
	ev_timer_cancel(us->pool->loop, &us->deadline);
	us->ops->on_done(us, msg);
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

static void on_deadline(struct ev_loop *loop, void *data)
{
	struct upstream *us = data;

	(void)loop;
	if (us->conn && us->conn->connecting)
		up_fail(us, 503, "backend did not accept the connection in time", true);
	else
		up_fail(us, 504, "backend did not answer in time", true);
}

static void up_attach(struct upstream *us, struct upconn *up)
{
	const struct gw_config *cfg = us->cfg;
	struct http_limits lim = { cfg->max_header_bytes * 4, SL_MAX_RESPONSE_BYTES };

	us->conn = up;
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
		up_fail(us, 503, "backend connection failed", true);
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

/* The backend gets no request: say why in the log, then tell the owner. */
static void up_give_up(struct upstream *us, int status, const char *why)
{
	/* Refusals while the breaker is open would flood the log: debug only. */
	if (us->bs && breaker_is_open(us->bs->breaker, us->be->failure_threshold))
		pr_debug("sluiced: %s %s: %s\n", us->be->name, us->be->authority, why);
	else
		pr_info("sluiced: %s %s: %s\n", us->be->name, us->be->authority, why);
	us->ops->on_failed(us, status);
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
		up_give_up(us, 503, "backend unavailable (circuit open)");
		return 0;
	}
	ev_timer_init(&us->deadline, on_deadline, us);
	up = us->retried ? NULL : pool_take(us->bs);
	if (!up)
		up = pool_connect(p, us->bs, us->be, &err);
	if (!up && local_shortage(err)) {
		/* Our shortage, not the backend's fault: the breaker stays closed. */
		up_fail(us, 503, "gateway out of descriptors or memory for a backend connection",
			false);
		return 0;
	}
	if (!up) {
		up_fail(us, 503, "backend refused the connection", true);
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
	if (!reusable || !pool_put(up, us->be->pool_size))
		pool_close(up);
}

static void up_fail(struct upstream *us, int status, const char *why, bool transport)
{
	bool was_pooled = us->conn && !us->conn->connecting && !us->response_started;

	if (us->released) {
		/* The owner let go first (its client left): nobody to answer. */
		upstream_release(us, false);
		return;
	}
	if (transport && !us->response_started && was_pooled && !us->retried && status == 503) {
		/* The backend closed a kept-alive connection as we reused it. */
		upstream_release(us, false);
		us->retried = true;
		upstream_start(us);
		return;
	}
	upstream_release(us, false);
	if (transport && !us->response_started) {
		us->probe = false;
		up_breaker_failure(us->bs, us->be, ev_now_ms(us->pool->loop));
	}
	up_give_up(us, status, why);
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

/* Feeds what the backend sent; returns false when the exchange is over. */
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
		/* Past a complete response the exchange (and us) may be gone. */
		if (n < 0) {
			up_fail(us, 502, us->rd.error ? us->rd.error : "invalid response", false);
			return false;
		}
		off += (size_t)n;
		if (off < len && !(us->interim && us->rd.complete)) {
			/* Bytes after a complete response: not HTTP/1.1 as we know it. */
			pr_warn("sluiced: a backend sent bytes after its response; connection closed\n");
			up->dead = true;
			return false;
		}
	}
	return true;
}

/* The backend closed: fine after a response delimited by close, else a failure. */
static void up_eof(struct upstream *us)
{
	if (!us->rd.in_message) {
		up_fail(us, 503, "backend closed the connection", true);
		return;
	}
	if (http_reader_eof(&us->rd))
		up_fail(us, 502, "backend closed the connection in the middle of its answer", false);
}

static void up_read(struct upconn *up)
{
	char buf[UP_READ_CHUNK];

	while (up->us && !up->paused) {
		struct upstream *us = up->us;
		ssize_t n = read(up->fd, buf, sizeof(buf));

		if (n == 0) {
			up_eof(us);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN)
				up_fail(us, us->response_started ? 502 : 503,
					"backend reset the connection", !us->response_started);
			return;
		}
		if (!up_feed(up, buf, (size_t)n))
			return;
		/* One flush per read, however many SSE events it carried. */
		if (up->us)
			up->us->ops->flush(up->us);
		/* A slow client: stop reading the backend until its queue drains. */
		if (up->us && up->us->ops->backlogged(up->us)) {
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

static void up_on_io(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct upconn *up = data;

	(void)loop, (void)fd;
	if (!up->us)
		return;
	up->in_io = true;
	up_io(up, events);
	up->in_io = false;
	if (up->dead) {
		if (up->us)
			upstream_release(up->us, false);
		pool_remove(up);
		pool_close(up);
	}
}

static void up_io(struct upconn *up, unsigned int events)
{
	int err = 0;

	if (up->connecting && (events & (EV_WRITE | EV_READ)))
		err = up_connected(up);
	if (!err && (events & EV_WRITE) && up->written < up->us->request.len)
		err = up_write(up);
	if (err) {
		up_fail(up->us, 503, err == -ECONNREFUSED ? "backend refused the connection" :
				     "backend connection failed", true);
		return;
	}
	if (events & EV_READ)
		up_read(up);
}
