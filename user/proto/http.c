// SPDX-License-Identifier: GPL-2.0-only
/*
 * http.c - strict incremental HTTP/1.1 framing on libhttp-parser (see http.h).
 *
 * Header names and values are copied into msg.store as NUL-terminated
 * strings (the parser may hand a header over in pieces across reads) and
 * resolved into pointers once the headers are complete, when store stops
 * growing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* Which header callback ran last; CB_TRAILER once the headers are complete:
 * a chunked body's trailer fields come through the same callbacks, and are
 * counted against the header limit but never stored (the header pointers
 * are resolved by then and the store must not move under them). */
enum { CB_NONE, CB_FIELD, CB_VALUE, CB_TRAILER };

static struct http_reader *reader_of(http_parser *p)
{
	return p->data;
}

static int fail(struct http_reader *r, int status, const char *why)
{
	if (!r->error_status) {
		r->error_status = status;
		r->error = why;
	}
	return -1;
}

static void msg_reset(struct http_msg *m)
{
	struct buf body = m->body, store = m->store;

	buf_reset(&body);
	buf_reset(&store);
	memset(m, 0, sizeof(*m));
	m->body = body;
	m->store = store;
	m->content_length = -1;
}

/* --- callbacks -------------------------------------------------------------- */

static int count_header_bytes(struct http_reader *r, size_t len)
{
	r->header_bytes += len;
	if (r->header_bytes > r->lim.max_header_bytes)
		return fail(r, 431, "request headers too large");
	return 0;
}

static int on_message_begin(http_parser *p)
{
	struct http_reader *r = reader_of(p);

	msg_reset(&r->msg);
	r->header_bytes = 0;
	r->last_cb = CB_NONE;
	r->n_te = r->n_cl = 0;
	r->bad_te = false;
	r->in_message = true;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct http_reader *r = reader_of(p);

	if (count_header_bytes(r, len))
		return -1;
	return buf_append(&r->msg.store, at, len) ? fail(r, 500, "out of memory") : 0;
}

/* Starts a new header slot: a field after a value (or the URL) begins one. */
static int next_header(struct http_reader *r)
{
	struct http_msg *m = &r->msg;

	if (m->n_headers == HTTP_MAX_HEADERS)
		return fail(r, 431, "too many header fields");
	if (buf_append(&m->store, "", 1))	/* ends the URL or the last value */
		return fail(r, 500, "out of memory");
	m->offs[1 + 2 * m->n_headers] = m->store.len;
	m->n_headers++;
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_reader *r = reader_of(p);

	if (count_header_bytes(r, len))
		return -1;
	if (r->last_cb == CB_TRAILER)
		return 0;
	if (r->last_cb != CB_FIELD && next_header(r))
		return -1;
	r->last_cb = CB_FIELD;
	return buf_append(&r->msg.store, at, len) ? fail(r, 500, "out of memory") : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_reader *r = reader_of(p);
	struct http_msg *m = &r->msg;

	if (count_header_bytes(r, len))
		return -1;
	if (r->last_cb == CB_TRAILER)
		return 0;
	if (r->last_cb != CB_VALUE) {
		if (buf_append(&m->store, "", 1))
			return fail(r, 500, "out of memory");
		m->offs[2 * m->n_headers] = m->store.len;
	}
	r->last_cb = CB_VALUE;
	return buf_append(&m->store, at, len) ? fail(r, 500, "out of memory") : 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* Resolves offsets to pointers; a field with no value gets "". */
static int resolve_headers(struct http_reader *r)
{
	struct http_msg *m = &r->msg;

	if (buf_append(&m->store, "", 1))
		return fail(r, 500, "out of memory");
	m->url = m->store.data;
	for (size_t i = 0; i < m->n_headers; i++) {
		size_t name = m->offs[1 + 2 * i], value = m->offs[2 + 2 * i];

		m->names[i] = m->store.data + name;
		m->values[i] = value > name ? trim(m->store.data + value) : "";
	}
	return 0;
}

/*
 * Framing headers are where smuggling lives: a proxy and a backend that
 * disagree about a message's end let a second request hide in the first.
 * Only one unambiguous framing passes.
 */
/* RFC 9110 token characters: a field name with anything else (a blank
 * before the colon, say) is a name two parsers may read differently. */
static bool is_tchar(unsigned char c)
{
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
	case '-': case '.': case '^': case '_': case '`': case '|': case '~':
		return true;
	default:
		return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
	}
}

static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

static int check_framing(struct http_reader *r)
{
	struct http_msg *m = &r->msg;
	const char *cl = NULL;

	if (r->parser.http_major != 1)
		return fail(r, 400, "only HTTP/1.0 and HTTP/1.1 are spoken here");
	for (size_t i = 0; i < m->n_headers; i++)
		if (!is_token(m->names[i]))
			return fail(r, 400, "invalid header field name");

	for (size_t i = 0; i < m->n_headers; i++) {
		if (!strcasecmp(m->names[i], "transfer-encoding")) {
			r->n_te++;
			r->bad_te |= strcasecmp(m->values[i], "chunked") != 0;
		} else if (!strcasecmp(m->names[i], "content-length")) {
			if (cl && strcmp(cl, m->values[i]))
				return fail(r, 400, "conflicting Content-Length headers");
			cl = m->values[i];
			r->n_cl++;
		}
	}
	if (r->n_te && r->n_cl)
		return fail(r, 400, "both Content-Length and Transfer-Encoding");
	if (r->n_te > 1 || r->bad_te)
		return fail(r, 400, "Transfer-Encoding other than a single \"chunked\"");
	if (r->n_te && r->parser.http_minor == 0 && r->parser.http_major == 1)
		return fail(r, 400, "Transfer-Encoding in an HTTP/1.0 message");
	/* The parser must frame the message as we checked it ("chunked<TAB>" it
	 * does not take as chunked). */
	if (!r->n_te != !(r->parser.flags & F_CHUNKED) ||
	    !r->n_cl != !(r->parser.flags & F_CONTENTLENGTH))
		return fail(r, 400, "message framing the parser reads differently");
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct http_reader *r = reader_of(p);
	struct http_msg *m = &r->msg;
	int mode;

	if (resolve_headers(r) || check_framing(r))
		return -1;
	m->method = p->method;
	m->status = p->status_code;
	m->http_major = p->http_major;
	m->http_minor = p->http_minor;
	m->keep_alive = http_should_keep_alive(p);
	m->chunked = p->flags & F_CHUNKED;
	m->content_length = p->flags & F_CONTENTLENGTH ? (int64_t)p->content_length : -1;
	r->last_cb = CB_TRAILER;
	mode = r->ops->on_headers(r->ctx, m);
	if (mode < 0)
		return fail(r, -mode, "refused");
	r->mode = (enum http_body_mode)mode;
	if (r->mode == HTTP_BODY_BUFFER && m->content_length > (int64_t)r->lim.max_body_bytes)
		return fail(r, 413, "request body too large");
	/* 1 tells the parser no body follows (HEAD responses). */
	return r->kind == HTTP_KIND_RESPONSE && r->no_body ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct http_reader *r = reader_of(p);

	if (r->mode == HTTP_BODY_STREAM)
		return r->ops->on_body(r->ctx, at, len) ? fail(r, 502, "body relay failed") : 0;
	if (r->msg.body.len + len > r->lim.max_body_bytes)
		return fail(r, 413, "request body too large");
	return buf_append(&r->msg.body, at, len) ? fail(r, 500, "out of memory") : 0;
}

static int on_message_complete(http_parser *p)
{
	struct http_reader *r = reader_of(p);

	r->in_message = false;
	r->complete = true;
	/* Pause: the caller answers this message before parsing the next. */
	http_parser_pause(p, 1);
	r->ops->on_complete(r->ctx, &r->msg);
	return 0;
}

static const http_parser_settings parser_settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* --- the reader ------------------------------------------------------------- */

void http_reader_init(struct http_reader *r, enum http_kind kind, const struct http_limits *lim,
		      const struct http_reader_ops *ops, void *ctx)
{
	memset(r, 0, sizeof(*r));
	http_parser_init(&r->parser, kind == HTTP_KIND_REQUEST ? HTTP_REQUEST : HTTP_RESPONSE);
	r->parser.data = r;
	r->kind = kind;
	r->lim = *lim;
	r->ops = ops;
	r->ctx = ctx;
	r->msg.content_length = -1;
}

void http_reader_free(struct http_reader *r)
{
	buf_free(&r->msg.body);
	buf_free(&r->msg.store);
}

static int parser_status(enum http_errno e)
{
	return e == HPE_HEADER_OVERFLOW ? 431 : 400;
}

ssize_t http_reader_feed(struct http_reader *r, const char *data, size_t len)
{
	size_t n;
	enum http_errno e;

	if (r->error_status)
		return -1;
	if (r->complete)
		return 0;
	n = http_parser_execute(&r->parser, &parser_settings, data, len);
	e = HTTP_PARSER_ERRNO(&r->parser);
	if (e == HPE_OK || e == HPE_PAUSED)
		return (ssize_t)n;
	if (!r->error_status)
		fail(r, parser_status(e), http_errno_description(e));
	return -1;
}

int http_reader_eof(struct http_reader *r)
{
	if (r->error_status)
		return -1;
	if (!r->in_message)
		return 0;
	http_parser_execute(&r->parser, &parser_settings, NULL, 0);
	if (r->complete)
		return 0;
	return fail(r, 502, "connection closed in the middle of a message");
}

void http_reader_next(struct http_reader *r)
{
	r->complete = false;
	r->no_body = false;
	http_parser_pause(&r->parser, 0);
}

void http_reader_expect_no_body(struct http_reader *r)
{
	r->no_body = true;
}

/* --- headers and writing --------------------------------------------------------- */

const char *http_msg_header(const struct http_msg *msg, const char *name)
{
	for (size_t i = 0; i < msg->n_headers; i++)
		if (!strcasecmp(msg->names[i], name))
			return msg->values[i];
	return NULL;
}

bool http_header_has_token(const char *value, const char *token)
{
	size_t tlen = strlen(token);

	while (value && *value) {
		const char *end = strchr(value, ',');
		size_t len;

		while (*value == ' ' || *value == '\t')
			value++;
		len = end ? (size_t)(end - value) : strlen(value);
		while (len && (value[len - 1] == ' ' || value[len - 1] == '\t'))
			len--;
		if (len == tlen && !strncasecmp(value, token, tlen))
			return true;
		value = end ? end + 1 : NULL;
	}
	return false;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 421: return "Misdirected Request";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return http_status_str((enum http_status)status);
	}
}

int http_put_status(struct buf *out, int status)
{
	return buf_printf(out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
}

int http_put_chunk(struct buf *out, const void *data, size_t len)
{
	if (!len)
		return buf_puts(out, "0\r\n\r\n");
	if (buf_printf(out, "%zx\r\n", len) || buf_append(out, data, len))
		return -ENOMEM;
	return buf_puts(out, "\r\n");
}
