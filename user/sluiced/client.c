// SPDX-License-Identifier: GPL-2.0-only
/*
 * client.c - client connections (see client.h): the request reader, the
 * answer queue, deadlines, and the teardown that waits for the current
 * event to end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>

#include "base/log.h"
#include "proto/inspect.h"
#include "admit.h"
#include "client.h"

#define CLIENT_READ_CHUNK 65536
/* After a refusal the client may still be sending (a body over the limit):
 * closing at once would reset the connection and lose our answer, so the
 * write side is shut and input drained this long first. */
#define LINGER_MS 1000

static void client_close(struct client *c);
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

static void answer_error(struct client *c, int status, const char *rpc_id, int code,
			 const char *message, unsigned int retry_after_s, const char *extra);

void client_answer_error(struct client *c, int status, const char *rpc_id, int code,
			 const char *message, unsigned int retry_after_s)
{
	char extra[64] = "";

	if (retry_after_s)
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", retry_after_s);
	answer_error(c, status, rpc_id, code, message, retry_after_s, extra);
}

void client_answer_json(struct client *c, int status, const char *body, size_t len)
{
	queue_response(c, status, "application/json", body, len, NULL);
}

void client_answer_json_hdr(struct client *c, int status, const char *body, size_t len,
			    const char *extra)
{
	queue_response(c, status, "application/json", body, len, extra);
}

void client_answer_error_hdr(struct client *c, int status, const char *rpc_id, int code,
			     const char *message, const char *extra)
{
	answer_error(c, status, rpc_id, code, message, 0, extra);
}

void client_answer_error_data(struct client *c, int status, const char *rpc_id, int code,
			      const char *message, const char *data_json, const char *extra)
{
	char *body;

	if (!data_json || !*data_json) {
		answer_error(c, status, rpc_id, code, message, 0, extra);
		return;
	}
	body = inspect_error_json_data(rpc_id, code, message, data_json);
	if (!body) {
		answer_error(c, 503, rpc_id, MCP_ERR_INTERNAL, "out of memory", 0, NULL);
		return;
	}
	queue_response(c, status, "application/json", body, strlen(body), extra);
	free(body);
}

static void answer_error(struct client *c, int status, const char *rpc_id, int code,
			 const char *message, unsigned int retry_after_s, const char *extra)
{
	char *body = inspect_error_json(rpc_id, code, message, retry_after_s);

	if (!body) {
		c->close_after = true;
		queue_response(c, 500, "text/plain", "out of memory\n", 14, NULL);
	} else {
		queue_response(c, status, "application/json", body, strlen(body), extra);
	}
	free(body);
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
	ev_timer_cancel(c->list->loop, &c->timer);
	if (!msg->keep_alive)
		c->close_after = true;
	c->list->ops->on_request(c, msg);
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
	client_answer_error(c, 408, NULL, INSPECT_INVALID_REQUEST,
			    "request not received in time", 0);
	client_flush(c);
}

static void arm_client_timer(struct client *c)
{
	ev_timer_arm(c->list->loop, &c->timer, c->in_request ? c->header_timeout_ms :
							     c->idle_timeout_ms);
}

/*
 * The write deadline.  Progress is a write() that hands at least one byte
 * of c->out to the kernel; the deadline runs while c->out holds bytes, from
 * the moment it began to, and starts over at each progress.  A client that
 * takes no byte of its answer for write_timeout_ms is closed: it would hold
 * its queue (and an exchange paused on it) for as long as it likes.  A
 * client reading slowly makes progress each time its window opens.
 *
 * Kept lazily: progress only records the time, and the timer, when it
 * finds progress since it was armed, re-arms for what remains.
 */
static void on_write_timer(struct ev_loop *loop, void *data)
{
	struct client *c = data;
	uint64_t stalled = ev_now_ms(loop) - c->write_progress_ms;

	if (!buf_pending(&c->out))
		return;
	if (stalled < c->write_timeout_ms) {
		ev_timer_arm(loop, &c->write_timer, c->write_timeout_ms - stalled);
		return;
	}
	pr_debug("sluiced: %s read nothing of its answer in %u ms; closed\n", c->peer_str,
		 c->write_timeout_ms);
	client_close(c);
}

static void client_watch(struct client *c)
{
	unsigned int ev = EV_READ;

	if (c->closed)
		return;
	if (buf_pending(&c->out)) {
		ev |= EV_WRITE;
		if (!ev_timer_armed(&c->write_timer)) {
			c->write_progress_ms = ev_now_ms(c->list->loop);
			ev_timer_arm(c->list->loop, &c->write_timer, c->write_timeout_ms);
		}
	}
	if (c->peer_done)
		ev &= ~EV_READ;	/* EOF stays readable: watching it would spin */
	/* Input waits there only while no request can start (an exchange runs,
	 * or answers are queued): past the mark the client waits too. */
	if (buf_pending(&c->in) > c->buffer_bytes)
		ev &= ~EV_READ;
	ev_watch(c->list->loop, c->fd, ev, client_on_io, c);
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
	struct client_list *l = c->list;

	if (c->closed)
		return;
	c->closed = true;
	if (c->ex)
		l->ops->on_abort(c);
	ev_unwatch(l->loop, c->fd);
	ev_timer_cancel(l->loop, &c->write_timer);
	kernel_conn_close(&c->kc);	/* before the close: the tuple may be reused at once */
	close(c->fd);
	if (c->counted_source)
		admit_release(&c->peer);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ev_timer_cancel(l->loop, &c->timer);
	ev_timer_init(&c->timer, client_free, c);
	ev_timer_arm(l->loop, &c->timer, 0);
}

void client_drop(struct client *c)
{
	client_close(c);
}

/* Parses buffered requests while no exchange is running and the answers
 * queued before do not fill the client's buffer. */
static void client_parse(struct client *c)
{
	while (!c->closed && !c->ex && !c->close_after && !client_backlogged(c) &&
	       buf_pending(&c->in)) {
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
			client_answer_error(c, c->rd.error_status, NULL,
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
	ev_watch(c->list->loop, c->fd, EV_READ, client_on_io, c);
	ev_timer_arm(c->list->loop, &c->timer, LINGER_MS);
}

void client_flush(struct client *c)
{
	if (!c || c->closed)
		return;
	/* A client that hung up gets no stream, begun before or after (see
	 * client_hangup). */
	if (c->peer_done && c->ex && c->list->ops->streams(c)) {
		client_close(c);
		return;
	}
	while (buf_pending(&c->out)) {
		ssize_t n = write(c->fd, buf_head(&c->out), buf_pending(&c->out));

		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			client_close(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
		c->write_progress_ms = ev_now_ms(c->list->loop);
	}
	if (!buf_pending(&c->out)) {
		ev_timer_cancel(c->list->loop, &c->write_timer);
		if (c->close_after && !c->ex) {
			/* After the client's EOF nothing more comes to drain. */
			if (c->peer_done)
				client_close(c);
			else
				client_linger(c);
			return;
		}
		if (c->ex)
			c->list->ops->on_drained(c);
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

/*
 * The client's EOF.  It may have closed, or only shut its write side after
 * its request (HTTP/1.1 allows that): the socket cannot tell which until a
 * write fails.  Either way no further request comes, so reading stops and
 * nothing more is parsed; the flush that follows settles the request in
 * flight:
 * - an answer that is a stream (a GET stream, /sse, an SSE answer to a
 *   POST, even one whose head comes later) has no end to wait for: the
 *   connection closes and on_abort closes its upstream, or a client gone
 *   would hold both (and its source's connection count) for hours;
 * - any other exchange (a POST awaiting its JSON answer) goes on, so a
 *   half-closed client still gets its answer, then the close.  The backend's
 *   answer deadline (timeout_ms) bounds the wait and write_timeout_ms the
 *   delivery; a client that had really gone costs its descriptors that long;
 * - with no exchange, what is queued is delivered, then the close.
 */
static void client_hangup(struct client *c)
{
	if (c->closed)
		return;
	c->peer_done = true;
	c->close_after = true;
}

static void client_read(struct client *c)
{
	bool eof = false;

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
		if (n == 0) {
			eof = true;
			break;
		}
		if (n < 0 && errno != EAGAIN) {
			client_close(c);
			return;
		}
		if (n < 0)
			break;
		c->in.len += (size_t)n;
		/* A short read drained the socket: no EAGAIN round trip needed.
		 * Past the client's buffer, what it sends waits in the kernel. */
		if (n < CLIENT_READ_CHUNK || buf_pending(&c->in) > c->buffer_bytes)
			break;
	}
	/* What came before the EOF was sent: it is parsed first. */
	if (!c->ex)
		client_parse(c);
	if (eof)
		client_hangup(c);
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

void client_accept(struct client_list *l, int fd, const struct net_addr *peer,
		   const struct gw_config *cfg)
{
	struct client *c = calloc(1, sizeof(*c));
	struct http_limits lim = { cfg->max_header_bytes, cfg->max_body_bytes };

	if (c) {
		/* A connection keeps the limits it was accepted under. */
		c->header_timeout_ms = cfg->header_timeout_ms;
		c->idle_timeout_ms = cfg->idle_timeout_ms;
		c->write_timeout_ms = cfg->write_timeout_ms;
		c->buffer_bytes = cfg->client_buffer_bytes;
	}
	if (!c) {
		close(fd);
		admit_release(peer);
		return;
	}
	c->list = l;
	c->fd = fd;
	c->peer = *peer;
	c->counted_source = true;
	c->kc.slot = -1;
	net_addr_str(peer, c->peer_str, sizeof(c->peer_str), false);
	http_reader_init(&c->rd, HTTP_KIND_REQUEST, &lim, &req_ops, c);
	ev_timer_init(&c->timer, on_client_timer, c);
	ev_timer_init(&c->write_timer, on_write_timer, c);
	c->next = l->head;
	if (c->next)
		c->next->prev = c;
	l->head = c;
	arm_client_timer(c);
	/* A descriptor past the loop's table cannot be watched: refuse it. */
	if (ev_watch(l->loop, c->fd, EV_READ, client_on_io, c)) {
		pr_warn("sluiced: fd %d beyond the event loop's table; connection refused\n", fd);
		client_close(c);
	}
}

void client_close_all(struct client_list *l)
{
	while (l->head)
		client_close(l->head);
}

bool client_backlogged(const struct client *c)
{
	return buf_pending(&c->out) > c->buffer_bytes;
}

void client_list_init(struct client_list *l, struct ev_loop *loop, const struct client_ops *ops)
{
	l->loop = loop;
	l->ops = ops;
	l->head = NULL;
}
