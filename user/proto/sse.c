// SPDX-License-Identifier: GPL-2.0-only
/* sse.c - incremental Server-Sent Events parsing and writing (see sse.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

static void event_reset(struct sse_event *ev)
{
	struct buf data = ev->data;

	buf_reset(&data);
	memset(ev, 0, sizeof(*ev));
	ev->data = data;
	ev->retry_ms = -1;
}

void sse_init(struct sse_parser *p, size_t max_event_bytes, sse_event_fn fn, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->max_event_bytes = max_event_bytes;
	p->fn = fn;
	p->ctx = ctx;
	event_reset(&p->ev);
}

void sse_free(struct sse_parser *p)
{
	buf_free(&p->line);
	buf_free(&p->ev.data);
}

static void copy_field(char *dst, size_t size, const char *value, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, value, len);
	dst[len] = '\0';
}

static int add_data(struct sse_event *ev, const char *value, size_t len)
{
	if (ev->has_data && buf_append(&ev->data, "\n", 1))
		return -ENOMEM;
	ev->has_data = true;
	return buf_append(&ev->data, value, len);
}

/*
 * WHATWG: a retry value of ASCII digits only sets the reconnection time, any
 * other value is ignored.  Digits beyond SSE_MAX_RETRY_MS name no time a
 * client can wait, and would overflow whatever holds them on the way (a
 * relay that saturates them sends LONG_MAX on): the stream is refused,
 * -ERANGE.
 */
static int set_retry(struct sse_event *ev, const char *value, size_t len)
{
	long ms = 0;

	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (value[i] < '0' || value[i] > '9')
			return 0;
	for (size_t i = 0; i < len; i++) {
		ms = ms * 10 + (value[i] - '0');
		if (ms > SSE_MAX_RETRY_MS)
			return -ERANGE;
	}
	ev->retry_ms = ms;
	return 0;
}

static int dispatch(struct sse_parser *p)
{
	int ret = 0;

	if (p->ev.has_data || p->ev.type[0] || p->ev.has_id || p->ev.retry_ms >= 0 || p->ev.comment)
		ret = p->fn(p->ctx, &p->ev);
	event_reset(&p->ev);
	p->event_bytes = 0;
	return ret;
}

/* One complete line (without its end). */
static int process_line(struct sse_parser *p, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *value;
	size_t name_len, value_len;

	if (!len)
		return dispatch(p);
	if (line[0] == ':') {
		/* A comment is its own event so keep-alives pass straight through. */
		if (p->ev.has_data || p->ev.type[0] || p->ev.has_id || p->ev.retry_ms >= 0)
			return 0;
		p->ev.comment = true;
		return dispatch(p);
	}
	name_len = colon ? (size_t)(colon - line) : len;
	value = colon ? colon + 1 : line + len;
	value_len = colon ? len - name_len - 1 : 0;
	if (value_len && value[0] == ' ')
		value++, value_len--;
	if (name_len == 4 && !memcmp(line, "data", 4))
		return add_data(&p->ev, value, value_len);
	if (name_len == 5 && !memcmp(line, "event", 5))
		copy_field(p->ev.type, sizeof(p->ev.type), value, value_len);
	else if (name_len == 2 && !memcmp(line, "id", 2) && !memchr(value, '\0', value_len)) {
		copy_field(p->ev.id, sizeof(p->ev.id), value, value_len);
		p->ev.has_id = true;
	} else if (name_len == 5 && !memcmp(line, "retry", 5)) {
		return set_retry(&p->ev, value, value_len);
	}
	return 0;	/* unknown fields are ignored, as the grammar says */
}

/* Length of the run of @data before the first CR or LF. */
static size_t line_run(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && data[i] != '\r' && data[i] != '\n')
		i++;
	return i;
}

/*
 * A UTF-8 byte order mark may start the stream and is not part of a field.
 * It may arrive split across reads: matched byte by byte; on a mismatch the
 * bytes taken so far were content after all and go to the line.  Returns
 * how many bytes of @data it consumed (len + 1: out of memory).
 */
static size_t skip_bom(struct sse_parser *p, const char *data, size_t len)
{
	static const char bom[] = "\xEF\xBB\xBF";
	size_t i = 0;

	while (p->bom_seen < 3 && i < len) {
		if (data[i] != bom[p->bom_seen]) {
			size_t taken = p->bom_seen;

			p->bom_seen = 3;
			if (taken && buf_append(&p->line, bom, taken))
				return len + 1;
			p->event_bytes += taken;
			return i;
		}
		p->bom_seen++;
		i++;
	}
	return i;
}

int sse_feed(struct sse_parser *p, const char *data, size_t len)
{
	size_t i = 0;

	i = skip_bom(p, data, len);
	if (i > len)
		return -ENOMEM;
	while (i < len) {
		size_t run;
		int ret;

		if (p->skip_lf && data[i] == '\n') {
			p->skip_lf = false;
			i++;
			continue;
		}
		p->skip_lf = false;
		run = line_run(data + i, len - i);
		p->event_bytes += run;
		if (p->event_bytes > p->max_event_bytes)
			return -E2BIG;
		if (run && buf_append(&p->line, data + i, run))
			return -ENOMEM;
		i += run;
		if (i == len)
			break;	/* the line goes on in the next read */
		p->skip_lf = data[i] == '\r';
		i++;
		ret = process_line(p, p->line.data ? p->line.data : "", p->line.len);
		buf_reset(&p->line);
		if (ret)
			return ret;
	}
	return 0;
}

/* One "field: line" per line of @value; an empty last line is a line too. */
static int put_lines(struct buf *out, const char *field, const char *value, size_t len)
{
	const char *end = value + len;

	for (;;) {
		const char *nl = memchr(value, '\n', (size_t)(end - value));
		size_t n = nl ? (size_t)(nl - value) : (size_t)(end - value);

		/* buf_append, not %.*s: a NUL in data must travel as it came. */
		if (buf_printf(out, "%s: ", field) || buf_append(out, value, n) ||
		    buf_append(out, "\n", 1))
			return -ENOMEM;
		if (!nl)
			return 0;
		value = nl + 1;
	}
}

int sse_put_event(struct buf *out, const struct sse_event *ev)
{
	int err = 0;

	if (ev->comment)
		return buf_puts(out, ":\n\n");
	if (ev->type[0])
		err = buf_printf(out, "event: %s\n", ev->type);
	if (!err && ev->has_id)
		err = buf_printf(out, "id: %s\n", ev->id);
	if (!err && ev->retry_ms >= 0)
		err = buf_printf(out, "retry: %ld\n", ev->retry_ms);
	if (!err && ev->has_data)
		err = put_lines(out, "data", ev->data.data ? ev->data.data : "", ev->data.len);
	return err ? err : buf_puts(out, "\n");
}
