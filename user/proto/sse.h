/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sse.h - Server-Sent Events, parsed incrementally so the proxy can relay a
 * stream event by event (each event inspected, rewritten if need be, and
 * flushed at once) and never buffer a whole stream.
 *
 * Follows the WHATWG event-stream grammar: lines end in CRLF, LF or CR;
 * "field: value" with one optional space after the colon; data lines join
 * with LF; a blank line ends an event; lines starting with ':' are comments
 * (relayed as keep-alives).
 */
#ifndef SL_SSE_H
#define SL_SSE_H

#include <stdbool.h>

#include "base/buf.h"

/* The largest retry: a parser hands over (2^31 - 1 ms, some 25 days). */
#define SSE_MAX_RETRY_MS	2147483647L

struct sse_event {
	char type[64];		/* "event:"; "" means "message" */
	char id[256];
	bool has_id;
	long retry_ms;		/* -1: none */
	struct buf data;	/* data lines joined by LF */
	bool has_data;
	bool comment;		/* a comment line, relayed alone */
};

/* Called for each complete event; non-zero stops the parser (error). */
typedef int (*sse_event_fn)(void *ctx, struct sse_event *ev);

struct sse_parser {
	struct buf line;
	struct sse_event ev;
	size_t max_event_bytes;
	size_t event_bytes;
	bool skip_lf;		/* last line ended in CR: a following LF belongs to it */
	unsigned int bom_seen;	/* bytes of a leading BOM matched; 3: past it */
	sse_event_fn fn;
	void *ctx;
};

void sse_init(struct sse_parser *p, size_t max_event_bytes, sse_event_fn fn, void *ctx);
void sse_free(struct sse_parser *p);
/* 0, -E2BIG for an event over the limit, -ERANGE for a retry: of digits
 * over SSE_MAX_RETRY_MS, or the callback's non-zero value. */
int sse_feed(struct sse_parser *p, const char *data, size_t len);
/* Writes @ev in wire form (ending in the blank line). */
int sse_put_event(struct buf *out, const struct sse_event *ev);

#endif
