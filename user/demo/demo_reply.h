/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_reply.h - the demo backend's answers: HTTP heads, JSON bodies and SSE
 * events, queued into one connection's output (struct demo_out).
 *
 * The bottom of the server: it knows a connection only by its output, so
 * the connection, the jobs and the router above it all answer through it.
 * A failed append (out of memory) marks the output dead: a half-written
 * answer must never be followed by anything else.
 */
#ifndef SL_DEMO_REPLY_H
#define SL_DEMO_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "base/buf.h"

/* One per worker, shared by its connections: JSON is printed and SSE events
 * are framed here before they are queued. */
struct demo_printer {
	char *scratch;
	size_t scratch_cap;
	struct buf event;	/* one SSE event being framed */
};

/* The answer side of one connection. */
struct demo_out {
	struct buf buf;		/* queued for the socket */
	struct demo_printer *printer;	/* the worker's */
	bool dead;		/* the connection is over: nothing more is queued, settle frees it */
	bool close_after;	/* close once the output is written (Connection: close) */
	bool http10;		/* the current request is HTTP/1.0 */
	bool chunked;		/* the current stream is chunked (HTTP/1.1) */
};

int demo_printer_init(struct demo_printer *p);
void demo_printer_free(struct demo_printer *p);
/* Prints @json compactly into the printer's scratch; NULL when out of memory. */
const char *demo_print_json(struct demo_printer *p, const cJSON *json, size_t *len);

void demo_reply(struct demo_out *o, int status, const char *content_type, const char *body,
		size_t len, const char *extra_headers);
void demo_reply_json(struct demo_out *o, int status, const cJSON *json, const char *extra_headers);
void demo_reply_rpc_error(struct demo_out *o, int status, const cJSON *id, int code,
			  const char *message);
void demo_sse_begin(struct demo_out *o);
void demo_sse_event(struct demo_out *o, const char *event, const char *id, const char *data,
		    size_t len);
void demo_sse_json(struct demo_out *o, const char *event, const char *id, const cJSON *json);
void demo_sse_comment(struct demo_out *o, const char *text);
void demo_sse_end(struct demo_out *o);

#endif
