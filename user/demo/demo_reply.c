// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_reply.c - the demo backend's answers: HTTP heads, JSON bodies and SSE
 * events, queued in the connection's output (see demo_reply.h).
 *
 * Streams are chunked on HTTP/1.1 so the connection outlives them (keep-
 * alive); an HTTP/1.0 client gets a stream delimited by the close.  A
 * failed append (out of memory) marks the connection dead: a half-written
 * answer must never be followed by anything else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_mcp.h"
#include "demo_reply.h"
#include "proto/http.h"

#define SCRATCH_BYTES	(64u << 10)

/* --- JSON printing ------------------------------------------------------------- */

int demo_printer_init(struct demo_printer *p)
{
	memset(p, 0, sizeof(*p));
	p->scratch = malloc(SCRATCH_BYTES);
	p->scratch_cap = SCRATCH_BYTES;
	return p->scratch ? 0 : -ENOMEM;
}

void demo_printer_free(struct demo_printer *p)
{
	free(p->scratch);
	p->scratch = NULL;
	p->scratch_cap = 0;
	buf_free(&p->event);
}

const char *demo_print_json(struct demo_printer *p, const cJSON *json, size_t *len)
{
	char *text, *grown;

	if (!json)
		return NULL;
	/* The common case: no allocation at all. */
	if (cJSON_PrintPreallocated((cJSON *)json, p->scratch, (int)p->scratch_cap, false)) {
		*len = strlen(p->scratch);
		return p->scratch;
	}
	text = cJSON_PrintUnformatted(json);
	if (!text)
		return NULL;
	*len = strlen(text);
	grown = realloc(p->scratch, *len + 64);
	if (!grown) {
		free(text);
		return NULL;
	}
	/* Keep the bigger scratch: the next big answer prints in place. */
	p->scratch = grown;
	p->scratch_cap = *len + 64;
	memcpy(p->scratch, text, *len + 1);
	free(text);
	return p->scratch;
}

/* --- HTTP answers ---------------------------------------------------------------- */

static void put(struct demo_out *o, const char *text)
{
	if (!o->dead && buf_puts(&o->buf, text))
		o->dead = true;
}

static void put_len(struct demo_out *o, const char *data, size_t len)
{
	if (!o->dead && buf_append(&o->buf, data, len))
		o->dead = true;
}

static void put_status(struct demo_out *o, int status)
{
	/* The common case without a printf. */
	if (status == 200)
		put(o, "HTTP/1.1 200 OK\r\n");
	else if (!o->dead && http_put_status(&o->buf, status))
		o->dead = true;
}

static void put_number(struct demo_out *o, size_t n)
{
	char digits[24], *p = digits + sizeof(digits);

	*--p = '\0';
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	put(o, p);
}

/* Connection handling the client can rely on, HTTP/1.0 keep-alive included. */
static void put_connection(struct demo_out *o)
{
	if (o->close_after)
		put(o, "Connection: close\r\n");
	else if (o->http10)
		put(o, "Connection: keep-alive\r\n");
}

void demo_reply(struct demo_out *o, int status, const char *content_type, const char *body,
		size_t len, const char *extra_headers)
{
	put_status(o, status);
	if (content_type) {
		put(o, "Content-Type: ");
		put(o, content_type);
		put(o, "\r\n");
	}
	put(o, "Content-Length: ");
	put_number(o, len);
	put(o, "\r\n");
	put_connection(o);
	if (extra_headers)
		put(o, extra_headers);
	put(o, "\r\n");
	put_len(o, body, len);
}

void demo_reply_json(struct demo_out *o, int status, const cJSON *json, const char *extra_headers)
{
	size_t len;
	const char *text = demo_print_json(o->printer, json, &len);

	if (!text) {
		o->dead = true;
		return;
	}
	demo_reply(o, status, "application/json", text, len, extra_headers);
}

void demo_reply_rpc_error(struct demo_out *o, int status, const cJSON *id, int code,
			  const char *message)
{
	cJSON *error = demo_rpc_error(id, code, message);

	demo_reply_json(o, status, error, NULL);
	cJSON_Delete(error);
}

/* --- SSE ------------------------------------------------------------------------------- */

void demo_sse_begin(struct demo_out *o)
{
	o->chunked = !o->http10;
	if (!o->chunked)
		o->close_after = true;
	put_status(o, 200);
	put(o, "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n");
	put(o, o->chunked ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n");
	put(o, "\r\n");
}

/* One whole event per chunk: a reader that relays by chunk never splits one. */
static void put_event(struct demo_out *o, const struct buf *event)
{
	if (o->dead)
		return;
	if (o->chunked ? http_put_chunk(&o->buf, event->data, event->len)
		       : buf_append(&o->buf, event->data, event->len))
		o->dead = true;
}

void demo_sse_event(struct demo_out *o, const char *event, const char *id, const char *data,
		    size_t len)
{
	struct buf *e = &o->printer->event;
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
		o->dead = true;
	put_event(o, e);
}

void demo_sse_json(struct demo_out *o, const char *event, const char *id, const cJSON *json)
{
	size_t len;
	const char *text = demo_print_json(o->printer, json, &len);

	if (!text) {
		o->dead = true;
		return;
	}
	demo_sse_event(o, event, id, text, len);
}

void demo_sse_comment(struct demo_out *o, const char *text)
{
	struct buf *e = &o->printer->event;

	buf_reset(e);
	if (buf_printf(e, ": %s\n\n", text))
		o->dead = true;
	put_event(o, e);
}

void demo_sse_end(struct demo_out *o)
{
	if (o->chunked && !o->dead && http_put_chunk(&o->buf, NULL, 0))
		o->dead = true;
	o->chunked = false;
}
