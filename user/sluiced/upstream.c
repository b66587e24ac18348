// SPDX-License-Identifier: GPL-2.0-only
/*
 * upstream.c - connections to backends: a keep-alive pool and a circuit
 * breaker per backend and worker, the request write and the response read.
 *
 * Failure policy: a transport failure before any response byte on a pooled
 * connection is retried once on a fresh one (the backend may have closed an
 * idle connection as we reused it); every other failure answers the client
 * at once (503) and counts against the breaker.  While the breaker is open
 * requests are answered 503 without touching the backend; after open_ms one
 * request probes it, and its outcome closes or reopens the breaker.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "base/log.h"
#include "proxy.h"

#define UP_READ_CHUNK	65536
/* A pooled connection idle this long is closed (backends time out too). */
#define UP_IDLE_MS	30000

struct upconn {
	struct worker *w;
	struct backend_state *bs;
	struct exchange *ex;		/* NULL while idle in the pool */
	int fd;
	bool connecting;
	bool paused;
	bool in_io;			/* inside up_on_io: closing is deferred */
	bool dead;			/* closed while in_io */
	size_t written;			/* of ex->request */
	struct ev_timer idle;
	struct upconn *next;
};

static void up_on_io(struct ev_loop *loop, int fd, unsigned int events, void *data);
static int up_write(struct upconn *up);
static void up_fail(struct exchange *ex, int status, const char *why, bool transport);

/* --- backend state ------------------------------------------------------------ */

static struct backend_state *backend_state_get(struct worker *w, const struct gw_backend *be)
{
	struct backend_state *bs;

	for (bs = w->backends; bs; bs = bs->next)
		if (!strcmp(bs->authority, be->authority))
			return bs;
	bs = calloc(1, sizeof(*bs));
	if (!bs)
		return NULL;
	bs->breaker = breaker_get(be->authority);
	if (!bs->breaker) {
		free(bs);
		return NULL;
	}
	snprintf(bs->authority, sizeof(bs->authority), "%s", be->authority);
	bs->next = w->backends;
	w->backends = bs;
	return bs;
}

static void up_breaker_failure(struct backend_state *bs, const struct gw_backend *be, uint64_t now)
{
	if (breaker_failure(bs->breaker, be->failure_threshold, be->open_ms, now))
		pr_warn("sluiced: backend %s (%s) failing: circuit open for %u ms\n",
			be->name, be->authority, be->open_ms);
}

/* --- connections ----------------------------------------------------------------- */

/*
 * A response can complete inside up_read, and the proxy then releases the
 * connection: freeing it there would pull it from under the read loop, so
 * inside up_on_io a close only marks it, and up_on_io frees it on the way out.
 */
static void up_close(struct upconn *up)
{
	ev_timer_cancel(up->w->loop, &up->idle);
	ev_unwatch(up->w->loop, up->fd);
	if (up->in_io) {
		up->dead = true;
		up->ex = NULL;
		return;
	}
	close(up->fd);
	free(up);
}

static void pool_remove(struct upconn *up)
{
	struct upconn **pp = &up->bs->idle;

	while (*pp && *pp != up)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = up->next;
		up->bs->n_idle--;
	}
}

static void on_idle_timeout(struct ev_loop *loop, void *data)
{
	struct upconn *up = data;

	(void)loop;
	pool_remove(up);
	up_close(up);
}

/* An idle pooled connection became readable: the backend closed it (or misbehaved). */
static void on_idle_io(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct upconn *up = data;

	(void)loop, (void)fd, (void)events;
	pool_remove(up);
	up_close(up);
}

static struct upconn *pool_take(struct backend_state *bs)
{
	struct upconn *up = bs->idle;

	if (!up)
		return NULL;
	bs->idle = up->next;
	bs->n_idle--;
	ev_timer_cancel(up->w->loop, &up->idle);
	up->next = NULL;
	return up;
}

static struct upconn *up_connect(struct worker *w, struct backend_state *bs,
				 const struct gw_backend *be, int *err)
{
	struct upconn *up = calloc(1, sizeof(*up));
	int fd;

	if (!up) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = net_connect(&be->addr, &fd);
	if (*err && *err != -EINPROGRESS) {
		free(up);
		return NULL;
	}
	up->w = w;
	up->bs = bs;
	up->fd = fd;
	up->connecting = *err == -EINPROGRESS;
	*err = 0;
	ev_timer_init(&up->idle, on_idle_timeout, up);
	return up;
}

/* --- the exchange's upstream side -------------------------------------------------- */

static int on_resp_headers(void *ctx, struct http_msg *msg)
{
	struct exchange *ex = ctx;

	ex->response_started = true;
	ex->probe = false;
	breaker_success(ex->bs->breaker);
	/* 100 Continue and friends: the real response follows on this connection. */
	if (msg->status / 100 == 1 && msg->status != 101) {
		ex->interim = true;
		return HTTP_BODY_BUFFER;
	}
	return proxy_on_response_head(ex, msg);
}

static int on_resp_body(void *ctx, const char *data, size_t len)
{
	struct exchange *ex = ctx;

	return sse_feed(&ex->sse, data, len);
}

static void on_resp_complete(void *ctx, struct http_msg *msg)
{
	struct exchange *ex = ctx;

	if (ex->interim)
		return;	/* up_feed resets the reader for the final response */
	ev_timer_cancel(ex->loop, &ex->deadline);
	proxy_on_response_done(ex, msg);
}

static const struct http_reader_ops resp_ops = {
	.on_headers = on_resp_headers,
	.on_body = on_resp_body,
	.on_complete = on_resp_complete,
};

static int on_sse(void *ctx, struct sse_event *ev)
{
	return proxy_on_sse_event(ctx, ev);
}

static void on_deadline(struct ev_loop *loop, void *data)
{
	struct exchange *ex = data;

	(void)loop;
	if (ex->up && ex->up->connecting)
		up_fail(ex, 503, "backend did not accept the connection in time", true);
	else
		up_fail(ex, 504, "backend did not answer in time", true);
}

static void up_attach(struct exchange *ex, struct upconn *up)
{
	const struct gw_config *cfg = &ex->gp->cfg;
	struct http_limits lim = { cfg->max_header_bytes * 4, SL_MAX_RESPONSE_BYTES };

	ex->up = up;
	up->ex = ex;
	up->written = 0;
	http_reader_free(&ex->rd);
	http_reader_init(&ex->rd, HTTP_KIND_RESPONSE, &lim, &resp_ops, ex);
	sse_free(&ex->sse);
	sse_init(&ex->sse, cfg->max_body_bytes > 65536 ? cfg->max_body_bytes : 65536, on_sse, ex);
	ev_timer_arm(up->w->loop, &ex->deadline,
		     up->connecting ? ex->be->connect_timeout_ms : ex->be->timeout_ms);
	if (up->connecting) {
		ev_watch(up->w->loop, up->fd, EV_WRITE, up_on_io, up);
		return;
	}
	/* A pooled connection is writable: send now, watch for writability only
	 * if the request does not fit (no epoll round trip, no epoll_ctl). */
	if (up_write(up))
		up_fail(ex, 503, "backend connection failed", true);
	else if (up->written < ex->request.len)
		ev_watch(up->w->loop, up->fd, EV_READ | EV_WRITE, up_on_io, up);
}

int upstream_start(struct exchange *ex)
{
	struct worker *w = ex->client->w;
	struct upconn *up;
	int err;

	ex->bs = backend_state_get(w, ex->be);
	if (!ex->bs)
		return -ENOMEM;
	if (!breaker_admits(ex->bs->breaker, ex->be->failure_threshold, ev_now_ms(w->loop),
			       &ex->probe)) {
		proxy_on_upstream_failed(ex, 503, "backend unavailable (circuit open)");
		return 0;
	}
	ev_timer_init(&ex->deadline, on_deadline, ex);
	up = ex->retried ? NULL : pool_take(ex->bs);
	if (!up)
		up = up_connect(w, ex->bs, ex->be, &err);
	if (!up) {
		up_fail(ex, 503, "backend refused the connection", true);
		return 0;
	}
	up_attach(ex, up);
	return 0;
}

/* Detaches and closes (or pools) the exchange's connection. */
void upstream_release(struct exchange *ex, bool reusable)
{
	struct upconn *up = ex->up;
	struct worker *w;

	ev_timer_cancel(ex->loop, &ex->deadline);
	if (ex->probe) {
		ex->probe = false;
		breaker_probe_abandoned(ex->bs->breaker);
	}
	if (!up)
		return;
	w = up->w;
	ex->up = NULL;
	up->ex = NULL;
	if (!reusable || up->bs->n_idle >= ex->be->pool_size) {
		up_close(up);
		return;
	}
	up->paused = false;
	ev_watch(w->loop, up->fd, EV_READ, on_idle_io, up);
	ev_timer_arm(w->loop, &up->idle, UP_IDLE_MS);
	up->next = up->bs->idle;
	up->bs->idle = up;
	up->bs->n_idle++;
}

static void up_fail(struct exchange *ex, int status, const char *why, bool transport)
{
	bool was_pooled = ex->up && !ex->up->connecting && !ex->response_started;

	if (!ex->client) {
		/* The client left first: the exchange is already ending. */
		upstream_release(ex, false);
		return;
	}
	if (transport && !ex->response_started && was_pooled && !ex->retried && status == 503) {
		/* The backend closed a kept-alive connection as we reused it. */
		upstream_release(ex, false);
		ex->retried = true;
		upstream_start(ex);
		return;
	}
	upstream_release(ex, false);
	if (transport && !ex->response_started) {
		ex->probe = false;
		up_breaker_failure(ex->bs, ex->be, ev_now_ms(ex->loop));
	}
	proxy_on_upstream_failed(ex, status, why);
}

bool upstream_queue_full(struct exchange *ex)
{
	return buf_pending(&ex->client->out) > SL_CLIENT_QUEUE_HIGH;
}

void upstream_resume(struct exchange *ex)
{
	if (ex->up && ex->up->paused) {
		ex->up->paused = false;
		ev_watch(ex->loop, ex->up->fd, EV_READ, up_on_io, ex->up);
	}
}

/* --- I/O ---------------------------------------------------------------------------- */

static int up_write(struct upconn *up)
{
	struct exchange *ex = up->ex;

	while (up->written < ex->request.len) {
		ssize_t n = send(up->fd, ex->request.data + up->written,
				 ex->request.len - up->written, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		up->written += (size_t)n;
	}
	ev_watch(up->w->loop, up->fd, EV_READ, up_on_io, up);
	return 0;
}

static int up_connected(struct upconn *up)
{
	int err = net_connect_result(up->fd);

	if (err)
		return err;
	up->connecting = false;
	/* The connect deadline becomes the answer deadline. */
	ev_timer_arm(up->w->loop, &up->ex->deadline, up->ex->be->timeout_ms);
	return 0;
}

/* Feeds what the backend sent; returns false when the exchange is over. */
static bool up_feed(struct upconn *up, const char *data, size_t len)
{
	struct exchange *ex = up->ex;
	size_t off = 0;

	while (off < len) {
		ssize_t n;

		if (ex->interim && ex->rd.complete) {
			ex->interim = false;
			http_reader_next(&ex->rd);
		}
		n = http_reader_feed(&ex->rd, data + off, len - off);
		/* Past a complete response the exchange (and ex) may be gone. */
		if (n < 0) {
			up_fail(ex, 502, ex->rd.error ? ex->rd.error : "invalid response", false);
			return false;
		}
		off += (size_t)n;
		if (off < len && !(ex->interim && ex->rd.complete)) {
			/* Bytes after a complete response: not HTTP/1.1 as we know it. */
			pr_warn("sluiced: a backend sent bytes after its response; connection closed\n");
			up->dead = true;
			return false;
		}
	}
	return true;
}

/* The backend closed: fine after a response delimited by close, else a failure. */
static void up_eof(struct exchange *ex)
{
	if (!ex->rd.in_message) {
		up_fail(ex, 503, "backend closed the connection", true);
		return;
	}
	if (http_reader_eof(&ex->rd))
		up_fail(ex, 502, "backend closed the connection in the middle of its answer", false);
}

static void up_read(struct upconn *up)
{
	char buf[UP_READ_CHUNK];

	while (up->ex && !up->paused) {
		struct exchange *ex = up->ex;
		ssize_t n = read(up->fd, buf, sizeof(buf));

		if (n == 0) {
			up_eof(ex);
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN)
				up_fail(ex, ex->response_started ? 502 : 503,
					"backend reset the connection", !ex->response_started);
			return;
		}
		if (!up_feed(up, buf, (size_t)n))
			return;
		/* One flush per read, however many SSE events it carried. */
		if (up->ex)
			proxy_flush(up->ex);
		/* A slow client: stop reading the backend until its queue drains. */
		if (up->ex && upstream_queue_full(up->ex)) {
			up->paused = true;
			ev_watch(up->w->loop, up->fd, 0, up_on_io, up);
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
	if (!up->ex)
		return;
	up->in_io = true;
	up_io(up, events);
	up->in_io = false;
	if (up->dead) {
		if (up->ex)
			upstream_release(up->ex, false);
		pool_remove(up);
		up_close(up);
	}
}

static void up_io(struct upconn *up, unsigned int events)
{
	int err = 0;

	if (up->connecting && (events & (EV_WRITE | EV_READ)))
		err = up_connected(up);
	if (!err && (events & EV_WRITE) && up->written < up->ex->request.len)
		err = up_write(up);
	if (err) {
		up_fail(up->ex, 503, err == -ECONNREFUSED ? "backend refused the connection" :
				     "backend connection failed", true);
		return;
	}
	if (events & EV_READ)
		up_read(up);
}

void upstream_pool_free(struct worker *w)
{
	while (w->backends) {
		struct backend_state *bs = w->backends;
		struct upconn *up;

		while ((up = pool_take(bs)))
			up_close(up);
		w->backends = bs->next;
		free(bs);
	}
}
