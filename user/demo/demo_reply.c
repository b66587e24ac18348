// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_reply.c - the demo backend's answers: HTTP heads, JSON bodies and SSE
 * events, queued in the connection's output (see demo_server.h).
 *
 * Streams are chunked on HTTP/1.1 so the connection outlives them (keep-
 * alive); an HTTP/1.0 client gets a stream delimited by the close.  A
 * failed append (out of memory) marks the connection dead: a half-written
 * answer must never be followed by anything else.
 */
#include <stdio.h>
#include <string.h>

#include "demo_server.h"

static void put(struct demo_conn *c, const char *text)
{
	if (!c->dead && buf_puts(&c->out, text))
		c->dead = true;
}

static void put_len(struct demo_conn *c, const char *data, size_t len)
{
	if (!c->dead && buf_append(&c->out, data, len))
		c->dead = true;
}

static void put_status(struct demo_conn *c, int status)
{
	/* The common case without a printf. */
	if (status == 200)
		put(c, "HTTP/1.1 200 OK\r\n");
	else if (!c->dead && http_put_status(&c->out, status))
		c->dead = true;
}

static void put_number(struct demo_conn *c, size_t n)
{
	char digits[24], *p = digits + sizeof(digits);

	*--p = '\0';
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	put(c, p);
}

/* Connection handling the client can rely on, HTTP/1.0 keep-alive included. */
static void put_connection(struct demo_conn *c)
{
	if (c->close_after)
		put(c, "Connection: close\r\n");
	else if (c->http10)
		put(c, "Connection: keep-alive\r\n");
}

void demo_reply(struct demo_conn *c, int status, const char *content_type, const char *body,
		size_t len, const char *extra_headers)
{
	put_status(c, status);
	if (content_type) {
		put(c, "Content-Type: ");
		put(c, content_type);
		put(c, "\r\n");
	}
	put(c, "Content-Length: ");
	put_number(c, len);
	put(c, "\r\n");
	put_connection(c);
	if (extra_headers)
		put(c, extra_headers);
	put(c, "\r\n");
	put_len(c, body, len);
}

void demo_reply_json(struct demo_conn *c, int status, const cJSON *json, const char *extra_headers)
{
	size_t len;
	const char *text = demo_worker_print(c->w, json, &len);

	if (!text) {
		c->dead = true;
		return;
	}
	demo_reply(c, status, "application/json", text, len, extra_headers);
}

void demo_reply_rpc_error(struct demo_conn *c, int status, const cJSON *id, int code,
			  const char *message)
{
	cJSON *error = demo_rpc_error(id, code, message);

	demo_reply_json(c, status, error, NULL);
	cJSON_Delete(error);
}

/* --- SSE ------------------------------------------------------------------------------- */

void demo_sse_begin(struct demo_conn *c)
{
	c->chunked_out = !c->http10;
	if (!c->chunked_out)
		c->close_after = true;
	put_status(c, 200);
	put(c, "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n");
	put(c, c->chunked_out ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n");
	put(c, "\r\n");
}

/* One whole event per chunk: a reader that relays by chunk never splits one. */
static void put_event(struct demo_conn *c, const struct buf *event)
{
	if (c->dead)
		return;
	if (c->chunked_out ? http_put_chunk(&c->out, event->data, event->len)
			   : buf_append(&c->out, event->data, event->len))
		c->dead = true;
}

void demo_sse_event(struct demo_conn *c, const char *event, const char *id, const char *data,
		    size_t len)
{
	struct buf *e = &c->w->event;
	int err = 0;

	buf_reset(e);
	if (id)
		err |= buf_printf(e, "id: %s\n", id);
	if (event)
		err |= buf_printf(e, "event: %s\n", event);
	/* Compact JSON and our endpoint paths hold no newline: one data line. */
	err |= buf_puts(e, "data: ");
	err |= buf_append(e, data, len);
	err |= buf_puts(e, "\n\n");
	if (err)
		c->dead = true;
	put_event(c, e);
}

void demo_sse_json(struct demo_conn *c, const char *event, const char *id, const cJSON *json)
{
	size_t len;
	const char *text = demo_worker_print(c->w, json, &len);

	if (!text) {
		c->dead = true;
		return;
	}
	demo_sse_event(c, event, id, text, len);
}

void demo_sse_comment(struct demo_conn *c, const char *text)
{
	struct buf *e = &c->w->event;

	buf_reset(e);
	if (buf_printf(e, ": %s\n\n", text))
		c->dead = true;
	put_event(c, e);
}

void demo_sse_end(struct demo_conn *c)
{
	if (c->chunked_out && !c->dead && http_put_chunk(&c->out, NULL, 0))
		c->dead = true;
	c->chunked_out = false;
}
