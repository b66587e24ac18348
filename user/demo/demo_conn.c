// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_conn.c - one client connection of the demo backend: reading,
 * framing, answering in order, writing, and closing (see demo_conn.h).
 *
 * The reader pauses after each complete request; the connection answers
 * it and resumes the reader only when the answer is done, so pipelined
 * requests queue in the reader's input, never overlap, and are answered
 * in order.  All output is queued in c->out and written by settle, once
 * per entry point: a burst of pipelined requests costs one write.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "base/log.h"
#include "demo_conn.h"
#include "demo_err.h"

static int on_headers(void *ctx, struct http_msg *msg)
{
	struct demo_conn *c = ctx;
	const char *expect = http_msg_header(msg, "expect");

	/* Refused before the body is sent: a client waiting on 100-continue learns at once. */
	if (msg->content_length > (int64_t)DEMO_MAX_BODY_BYTES)
		return -413;
	if (expect && !strcasecmp(expect, "100-continue") && msg->http_minor > 0 &&
	    buf_puts(&c->out.buf, "HTTP/1.1 100 Continue\r\n\r\n"))
		return -500;
	return HTTP_BODY_BUFFER;
}

static int on_body(void *ctx, const char *data, size_t len)
{
	(void)ctx; (void)data; (void)len;
	return -1;	/* bodies are buffered; never called */
}

static void on_complete(void *ctx, struct http_msg *msg)
{
	struct demo_conn *c = ctx;

	(void)msg;
	c->have_msg = true;
}

static const struct http_reader_ops reader_ops = {
	.on_headers = on_headers,
	.on_body = on_body,
	.on_complete = on_complete,
};

static const struct http_limits limits = {
	.max_header_bytes = DEMO_MAX_HEADER_BYTES,
	.max_body_bytes = DEMO_MAX_BODY_BYTES,
};

struct demo_conn *demo_conn_lookup(struct demo_conn_pool *p, int fd, uint64_t serial)
{
	struct demo_conn *c;

	if (fd < 0 || fd >= DEMO_MAX_FDS)
		return NULL;
	c = p->by_fd[fd];
	return c && c->serial == serial && !c->out.dead ? c : NULL;
}

/* --- answering ------------------------------------------------------------------- */

static void log_request(struct demo_conn *c, const struct http_msg *msg)
{
	pr_debug("demo: worker %u fd %d: %s %s (%zu body bytes)\n", c->pool->index, c->fd,
		 http_method_str((enum http_method)msg->method), msg->url, msg->body.len);
}

static void handle(struct demo_conn *c)
{
	struct http_msg *msg = &c->rd.msg;

	c->keep_alive = msg->keep_alive;
	c->out.http10 = msg->http_major == 1 && msg->http_minor == 0;
	if (!c->keep_alive)
		c->out.close_after = true;
	if (c->pool->cfg->verbose)
		log_request(c, msg);
	c->sid[0] = '\0';
	c->pool->ops->request(c, msg);
}

static const char *refusal(int status, const char *reader_says)
{
	/* The reader says "refused" for what on_headers turned down. */
	if (status == 413)
		return "request body too large (limit 1 MiB)";
	if (status == 431)
		return "request headers too large (limit 64 KiB)";
	return reader_says ? reader_says : "bad request";
}

static void refuse(struct demo_conn *c)
{
	int status = c->rd.error_status ? c->rd.error_status : 400;

	/* The rest of the stream cannot be framed: answer, drain, close. */
	c->out.close_after = true;
	c->linger = true;
	demo_reply_rpc_error(&c->out, status, NULL, DEMO_RPC_INVALID_REQUEST,
			     refusal(status, c->rd.error));
}

static void next_request(struct demo_conn *c)
{
	if (c->rd.complete)
		http_reader_next(&c->rd);
}

/* Feeds buffered input to the reader and answers what completes, in order. */
static void process(struct demo_conn *c)
{
	if (c->in_process)
		return;		/* the loop below, further up the stack, carries on */
	c->in_process = true;
	while (!c->out.dead && c->state == DEMO_CONN_READING && !c->out.close_after &&
	       buf_pending(&c->out.buf) < DEMO_OUT_HIGH) {
		ssize_t n;

		if (c->have_msg) {
			c->have_msg = false;
			handle(c);
			if (c->state == DEMO_CONN_READING)
				next_request(c);
			continue;
		}
		if (!buf_pending(&c->in))
			break;
		n = http_reader_feed(&c->rd, buf_head(&c->in), buf_pending(&c->in));
		if (n < 0) {
			refuse(c);
			break;
		}
		buf_consume(&c->in, (size_t)n);
		if (!n && !c->have_msg)
			break;	/* cannot happen with a sane reader; never spin on it */
	}
	c->in_process = false;
}

void demo_conn_answer_done(struct demo_conn *c)
{
	c->state = DEMO_CONN_READING;
	c->stream = DEMO_STREAM_NONE;
	/* Idle time counts from the end of a long answer, not from its request. */
	c->last_active_ms = ev_now_ms(c->pool->loop);
	ev_timer_cancel(c->pool->loop, &c->tick);
	next_request(c);
	process(c);
}

/* --- I/O ------------------------------------------------------------------------------ */

static void conn_read(struct demo_conn *c)
{
	ssize_t n = recv(c->fd, c->pool->rbuf, DEMO_READ_CHUNK, 0);

	if (n > 0) {
		c->last_active_ms = ev_now_ms(c->pool->loop);
		/* Lingering: the rest of a refused request is read only to be dropped. */
		if (c->state != DEMO_CONN_LINGER && buf_append(&c->in, c->pool->rbuf, (size_t)n))
			c->out.dead = true;
	} else if (n == 0) {
		c->peer_eof = true;
	} else if (errno != EAGAIN && errno != EINTR) {
		c->out.dead = true;
	}
}

static void conn_flush(struct demo_conn *c)
{
	struct buf *out = &c->out.buf;

	while (buf_pending(out)) {
		ssize_t n = send(c->fd, buf_head(out), buf_pending(out), MSG_NOSIGNAL);

		if (n > 0) {
			buf_consume(out, (size_t)n);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			if (n == 0 || errno != EAGAIN)
				c->out.dead = true;
			return;
		}
	}
}

static unsigned int wanted_events(const struct demo_conn *c)
{
	unsigned int events = buf_pending(&c->out.buf) ? EV_WRITE : 0;
	bool more;

	switch (c->state) {
	case DEMO_CONN_READING:
		/* A slow reader's output backs up: stop taking its requests meanwhile. */
		more = !c->out.close_after && buf_pending(&c->out.buf) < DEMO_OUT_HIGH;
		break;
	case DEMO_CONN_LINGER:
		more = true;
		break;
	default:
		/* Keep reading to see a hang-up, and to queue pipelined requests, up to a bound. */
		more = buf_pending(&c->in) < DEMO_IN_HIGH;
		break;
	}
	return events | (more && !c->peer_eof ? EV_READ : 0);
}

static void start_linger(struct demo_conn *c)
{
	/* Closing with unread input would send an RST that can destroy our answer
	 * before the client reads it; half-close and drain instead. */
	shutdown(c->fd, SHUT_WR);
	c->state = DEMO_CONN_LINGER;
	buf_reset(&c->in);
	if (ev_timer_arm(c->pool->loop, &c->tick, DEMO_LINGER_MS))
		c->out.dead = true;	/* no deadline: do not linger at all */
}

/* All written, and nothing more will be: close (or linger). */
static void maybe_finish(struct demo_conn *c)
{
	if (buf_pending(&c->out.buf))
		return;
	switch (c->state) {
	case DEMO_CONN_READING:
		if (c->out.close_after && c->linger && !c->peer_eof)
			start_linger(c);
		else if (c->out.close_after || (c->peer_eof && !c->have_msg))
			c->out.dead = true;
		break;
	case DEMO_CONN_STREAM:		/* a stream's client went away */
	case DEMO_CONN_LINGER:
		if (c->peer_eof)
			c->out.dead = true;
		break;
	case DEMO_CONN_BUSY:		/* finishes its answer first */
		break;
	}
}

static void on_io(struct ev_loop *loop, int fd, unsigned int events, void *data);
static void conn_free(struct demo_conn *c);

/* Requests wait in the reader only because the output backed up. */
static bool can_resume(const struct demo_conn *c)
{
	return c->state == DEMO_CONN_READING && !c->out.close_after && !c->in_process &&
	       (c->have_msg || buf_pending(&c->in)) && buf_pending(&c->out.buf) < DEMO_OUT_HIGH;
}

void demo_conn_settle(struct demo_conn *c)
{
	unsigned int events;

	/* Each round either writes, answers more, or stops: process() only
	 * returns with input left when the output is past DEMO_OUT_HIGH. */
	while (!c->out.dead) {
		if (buf_pending(&c->out.buf))
			conn_flush(c);
		if (c->out.dead || !can_resume(c))
			break;
		process(c);
	}
	if (!c->out.dead)
		maybe_finish(c);
	if (c->out.dead) {
		conn_free(c);
		return;
	}
	events = wanted_events(c);
	if (events != c->watching) {
		c->watching = events;
		if (ev_watch(c->pool->loop, c->fd, events, on_io, c))
			conn_free(c);
	}
}

static void on_io(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct demo_conn *c = data;

	(void)loop; (void)fd;
	if (events & EV_READ) {
		conn_read(c);
		if (!c->out.dead)
			process(c);
	}
	demo_conn_settle(c);
}

static void on_tick(struct ev_loop *loop, void *data)
{
	struct demo_conn *c = data;

	(void)loop;
	if (c->state == DEMO_CONN_LINGER)
		c->out.dead = true;
	else if (c->state == DEMO_CONN_STREAM)
		c->pool->ops->tick(c);
	demo_conn_settle(c);
}

/* --- life ----------------------------------------------------------------------------- */

static void conn_free(struct demo_conn *c)
{
	struct demo_conn_pool *p = c->pool;

	p->ops->closing(c);
	ev_timer_cancel(p->loop, &c->tick);
	ev_unwatch(p->loop, c->fd);
	close(c->fd);
	p->by_fd[c->fd] = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		p->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	http_reader_free(&c->rd);
	buf_free(&c->in);
	buf_free(&c->out.buf);
	free(c);
}

void demo_conn_accept(struct demo_conn_pool *p, int fd)
{
	struct demo_conn *c;
	int one = 1;

	if (fd >= DEMO_MAX_FDS || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	/* SSE events and small answers must leave now, not wait for Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->pool = p;
	c->fd = fd;
	c->serial = ++p->next_serial;
	c->last_active_ms = ev_now_ms(p->loop);
	c->out.printer = &p->printer;
	http_reader_init(&c->rd, HTTP_KIND_REQUEST, &limits, &reader_ops, c);
	ev_timer_init(&c->tick, on_tick, c);
	c->next = p->list;
	if (p->list)
		p->list->prev = c;
	p->list = c;
	p->by_fd[fd] = c;
	c->watching = EV_READ;
	if (ev_watch(p->loop, fd, EV_READ, on_io, c))
		conn_free(c);
}

int demo_conn_pool_init(struct demo_conn_pool *p)
{
	int err = demo_printer_init(&p->printer);

	p->by_fd = calloc(DEMO_MAX_FDS, sizeof(*p->by_fd));
	p->rbuf = malloc(DEMO_READ_CHUNK);
	if (!p->by_fd || !p->rbuf)
		return -ENOMEM;
	return err;
}

void demo_conn_pool_free(struct demo_conn_pool *p)
{
	while (p->list)
		conn_free(p->list);
	free(p->by_fd);
	free(p->rbuf);
	p->by_fd = NULL;
	p->rbuf = NULL;
	demo_printer_free(&p->printer);
}

/* Idle keep-alive connections close; a request stuck half-sent gets 408. */
void demo_conn_sweep(struct demo_conn_pool *p)
{
	uint64_t now = ev_now_ms(p->loop);
	struct demo_conn *c, *next;

	for (c = p->list; c; c = next) {
		uint64_t idle = now - c->last_active_ms;

		next = c->next;
		if (c->state != DEMO_CONN_READING || buf_pending(&c->out.buf) || c->have_msg)
			continue;
		if (c->rd.in_message && idle > DEMO_REQUEST_MS) {
			c->out.close_after = true;
			demo_reply_rpc_error(&c->out, 408, NULL, DEMO_RPC_INVALID_REQUEST,
					     "request not completed in time");
		} else if (!c->rd.in_message && idle > DEMO_IDLE_MS) {
			c->out.dead = true;
		} else {
			continue;
		}
		demo_conn_settle(c);
	}
}
