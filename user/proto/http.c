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

/* What the pre-scan is reading (struct http_scan.phase).  The WAIT phases
 * follow bytes handed to the parser, whose callbacks move on from them. */
enum {
	SCAN_HEAD,		/* start line and header fields */
	SCAN_WAIT_HEAD,		/* header block handed over: on_headers_complete */
	SCAN_BODY,		/* Content-Length or close-delimited: the parser's */
	SCAN_CHUNK_LINE,	/* a chunk-size line */
	SCAN_WAIT_CHUNK,	/* size line handed over: on_chunk_header */
	SCAN_CHUNK_DATA,	/* chunk_left bytes of data */
	SCAN_CHUNK_END,		/* the CRLF after a chunk's data */
	SCAN_TRAILER,		/* trailer fields after the last chunk */
	SCAN_WAIT_END,		/* the message's last byte handed over */
};

/* Where in a chunk-size line (or in the CRLF after a chunk's data). */
enum { CHUNK_START, CHUNK_DIGITS, CHUNK_BLANK, CHUNK_EXT, CHUNK_CR };

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

/*
 * Content-Length with Transfer-Encoding, two Content-Lengths and a request's
 * two Hosts never get here: the pre-scan refuses them at the end of the
 * header block, before the parser sees it (libhttp-parser 2.9.4 would refuse
 * the first two itself, HPE_UNEXPECTED_CONTENT_LENGTH, but later releases
 * accept Content-Length with "chunked").  Nor does a version other than
 * HTTP/1.0 and 1.1: the test below would only catch the parser reading
 * another version than the pre-scan did.
 */
static int check_framing(struct http_reader *r)
{
	struct http_msg *m = &r->msg;

	if (r->parser.http_major != 1 || r->parser.http_minor > 1)
		return fail(r, 400, "only HTTP/1.0 and HTTP/1.1 are spoken here");
	for (size_t i = 0; i < m->n_headers; i++)
		if (!is_token(m->names[i]))
			return fail(r, 400, "invalid header field name");

	for (size_t i = 0; i < m->n_headers; i++) {
		if (!strcasecmp(m->names[i], "transfer-encoding")) {
			r->n_te++;
			r->bad_te |= strcasecmp(m->values[i], "chunked") != 0;
		} else if (!strcasecmp(m->names[i], "content-length")) {
			r->n_cl++;
		}
	}
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
	r->scan.phase = m->chunked ? SCAN_CHUNK_LINE : SCAN_BODY;
	r->scan.chunk = CHUNK_START;
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

/* The size line is read: the pre-scan now counts the chunk's bytes off, or
 * reads the trailer section after the last chunk. */
static int on_chunk_header(http_parser *p)
{
	struct http_reader *r = reader_of(p);

	r->scan.chunk_left = p->content_length;
	r->scan.phase = p->content_length ? SCAN_CHUNK_DATA : SCAN_TRAILER;
	r->scan.line_len = 0;
	return 0;
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
	.on_chunk_header = on_chunk_header,
};

/* --- the pre-scan ------------------------------------------------------------- */

/*
 * libhttp-parser without HTTP_PARSER_STRICT ends lines at a bare LF, takes
 * any byte after a chunk's CR as its LF and any two bytes after its data as
 * the CRLF, ignores a bare LF in a chunk extension (then waits for a CR that
 * never comes), unfolds obs-fold, and reads "HTTX/1.2" as a version.  A
 * front proxy may read each of those otherwise, so the scan reads every byte
 * of the start line, header fields, chunk framing and trailers before the
 * parser does and hands the parser only what it passed.  Bodies it leaves to
 * the parser; chunk data it counts off with the parser's own chunk size.
 */

enum { LINE_BYTE, LINE_END, LINE_CR, LINE_ERR };

/* One byte of a CRLF-ended line: a line byte, its CR, or its end. */
static int line_byte(struct http_reader *r, unsigned char c)
{
	struct http_scan *s = &r->scan;

	if (s->cr) {
		s->cr = false;
		if (c != '\n') {
			fail(r, 400, "CR without LF in the message framing");
			return LINE_ERR;
		}
		return LINE_END;
	}
	if (c == '\r') {
		s->cr = true;
		return LINE_CR;
	}
	if (c == '\n') {
		fail(r, 400, "bare LF line ending (lines end in CRLF)");
		return LINE_ERR;
	}
	return LINE_BYTE;
}

static bool name_is(const struct http_scan *s, const char *name)
{
	return s->name_len == strlen(name) && !strncasecmp(s->name, name, s->name_len);
}

/* A start-line or field-line byte that is not CR or LF. */
static int head_byte(struct http_reader *r, unsigned char c)
{
	struct http_scan *s = &r->scan;

	if (!s->start_seen) {
		if (r->kind == HTTP_KIND_REQUEST) {
			memmove(s->version, s->version + 1, sizeof(s->version) - 1);
			s->version[sizeof(s->version) - 1] = (char)c;
		} else if (s->line_len < sizeof(s->version)) {
			s->version[s->line_len] = (char)c;
		}
	} else if (!s->line_len && (c == ' ' || c == '\t')) {
		return fail(r, 400, "obs-fold (a header line starting with a blank)");
	} else if (s->in_name && c == ':') {
		s->in_name = false;
	} else if (s->in_name && s->name_len < sizeof(s->name)) {
		s->name[s->name_len++] = (char)c;
	} else if (s->in_name) {
		s->name_len = sizeof(s->name) + 1;	/* too long to be one we count */
	}
	s->line_len++;
	return 0;
}

static int start_line_end(struct http_reader *r)
{
	struct http_scan *s = &r->scan;
	bool req = r->kind == HTTP_KIND_REQUEST;
	const char *v10 = req ? " HTTP/1.0" : "HTTP/1.0 ", *v11 = req ? " HTTP/1.1" : "HTTP/1.1 ";

	if (s->line_len < sizeof(s->version) ||
	    (memcmp(s->version, v10, sizeof(s->version)) &&
	     memcmp(s->version, v11, sizeof(s->version))))
		return fail(r, 400, "HTTP version other than HTTP/1.0 and HTTP/1.1");
	s->start_seen = true;
	return 0;
}

static void field_line_end(struct http_reader *r)
{
	struct http_scan *s = &r->scan;

	if (s->phase == SCAN_HEAD) {
		s->n_host += name_is(s, "host");
		s->n_cl += name_is(s, "content-length");
		s->n_te += name_is(s, "transfer-encoding");
	}
	s->in_name = true;
	s->name_len = 0;
}

/* The header block is in: what must be refused before the parser frames it. */
static int head_end(struct http_reader *r)
{
	struct http_scan *s = &r->scan;

	if (s->n_cl && s->n_te)
		return fail(r, 400, "both Content-Length and Transfer-Encoding");
	if (s->n_cl > 1)
		return fail(r, 400, "Content-Length sent more than once");
	if (r->kind == HTTP_KIND_REQUEST && s->n_host > 1)
		return fail(r, 400, "Host sent more than once");
	return 0;
}

/* The end of a line of the head or the trailer section; true at its end. */
static int lines_line_end(struct http_reader *r, bool *done)
{
	struct http_scan *s = &r->scan;
	int ret = 0;

	if (s->line_len) {
		if (!s->start_seen)
			ret = start_line_end(r);
		else
			field_line_end(r);
	} else if (s->start_seen) {
		*done = true;	/* the empty line */
		ret = s->phase == SCAN_HEAD ? head_end(r) : 0;
		s->phase = s->phase == SCAN_HEAD ? SCAN_WAIT_HEAD : SCAN_WAIT_END;
	}
	/* Empty lines before a request line: RFC 9112 2.2 lets a server skip them. */
	s->line_len = 0;
	return ret;
}

/* Header or trailer lines; how many bytes passed (up to the empty line). */
static size_t scan_lines(struct http_reader *r, const unsigned char *d, size_t len)
{
	bool done = false;
	size_t i;

	for (i = 0; i < len && !done; i++) {
		int kind = line_byte(r, d[i]);

		if (kind == LINE_ERR || (kind == LINE_BYTE && head_byte(r, d[i])) ||
		    (kind == LINE_END && lines_line_end(r, &done)))
			return 0;
	}
	return i;
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* "HEX [BWS ';' ext]" then CRLF; the parser reads the number. */
static int chunk_line_byte(struct http_reader *r, unsigned char c)
{
	struct http_scan *s = &r->scan;
	bool blank = c == ' ' || c == '\t';

	switch (s->chunk) {
	case CHUNK_START:
	case CHUNK_DIGITS:
		if (is_hex(c)) {
			s->chunk = CHUNK_DIGITS;
			return 0;
		}
		if (s->chunk == CHUNK_DIGITS && (blank || c == ';')) {
			s->chunk = c == ';' ? CHUNK_EXT : CHUNK_BLANK;
			return 0;
		}
		return fail(r, 400, "invalid chunk size");
	case CHUNK_BLANK:
		if (blank || c == ';') {
			s->chunk = c == ';' ? CHUNK_EXT : CHUNK_BLANK;
			return 0;
		}
		return fail(r, 400, "invalid chunk size");
	default:
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(r, 400, "control byte in a chunk extension");
		return 0;
	}
}

static size_t scan_chunk_line(struct http_reader *r, const unsigned char *d, size_t len)
{
	struct http_scan *s = &r->scan;

	for (size_t i = 0; i < len; i++) {
		int kind = line_byte(r, d[i]);

		if (kind == LINE_ERR || (kind == LINE_BYTE && chunk_line_byte(r, d[i])))
			return 0;
		if (kind == LINE_CR && s->chunk != CHUNK_DIGITS && s->chunk != CHUNK_EXT) {
			fail(r, 400, "invalid chunk size");
			return 0;
		}
		if (kind == LINE_END) {
			s->phase = SCAN_WAIT_CHUNK;
			return i + 1;
		}
	}
	return len;
}

/* The CRLF after a chunk's data, exactly. */
static size_t scan_chunk_end(struct http_reader *r, const unsigned char *d, size_t len)
{
	struct http_scan *s = &r->scan;
	size_t i;

	for (i = 0; i < len && s->phase == SCAN_CHUNK_END; i++) {
		if (d[i] != (s->chunk == CHUNK_CR ? '\n' : '\r')) {
			fail(r, 400, "chunk data not followed by CRLF");
			return 0;
		}
		if (s->chunk == CHUNK_CR) {
			s->phase = SCAN_CHUNK_LINE;
			s->chunk = CHUNK_START;
		} else {
			s->chunk = CHUNK_CR;
		}
	}
	return i;
}

/* How many of the @len bytes at @data may go to the parser now; 0 on error. */
static size_t scan(struct http_reader *r, const char *data, size_t len)
{
	struct http_scan *s = &r->scan;
	const unsigned char *d = (const unsigned char *)data;
	size_t n;

	switch (s->phase) {
	case SCAN_HEAD:
	case SCAN_TRAILER:
		return scan_lines(r, d, len);
	case SCAN_CHUNK_LINE:
		return scan_chunk_line(r, d, len);
	case SCAN_CHUNK_DATA:
		n = len < s->chunk_left ? len : (size_t)s->chunk_left;
		s->chunk_left -= n;
		if (!s->chunk_left) {
			s->phase = SCAN_CHUNK_END;
			s->chunk = CHUNK_START;
		}
		return n;
	case SCAN_CHUNK_END:
		return scan_chunk_end(r, d, len);
	case SCAN_BODY:
		return len;
	default:
		/* A WAIT phase the parser did not move on from: it framed the
		 * bytes otherwise than the scan did. */
		fail(r, 400, "message framing the parser reads differently");
		return 0;
	}
}

static void scan_reset(struct http_reader *r)
{
	memset(&r->scan, 0, sizeof(r->scan));
	r->scan.phase = SCAN_HEAD;
	r->scan.in_name = true;
}

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
	scan_reset(r);
}

void http_reader_free(struct http_reader *r)
{
	buf_free(&r->msg.body);
	buf_free(&r->msg.store);
}

/* --- feeding -------------------------------------------------------------------- */

static int parser_status(enum http_errno e)
{
	return e == HPE_HEADER_OVERFLOW ? 431 : 400;
}

/* Hands @len scanned bytes to the parser; how many it took, or -1. */
static ssize_t parse(struct http_reader *r, const char *data, size_t len)
{
	size_t n = http_parser_execute(&r->parser, &parser_settings, data, len);
	enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);

	if (r->error_status)
		return -1;
	if (e == HPE_OK || e == HPE_PAUSED)
		return (ssize_t)n;
	fail(r, parser_status(e), http_errno_description(e));
	return -1;
}

ssize_t http_reader_feed(struct http_reader *r, const char *data, size_t len)
{
	size_t done = 0;

	if (r->error_status)
		return -1;
	while (done < len && !r->complete) {
		size_t n = scan(r, data + done, len - done);
		ssize_t got;

		if (r->error_status)
			return -1;
		got = parse(r, data + done, n);
		if (got < 0)
			return -1;
		done += (size_t)got;
		/* Fewer taken: paused at the end of a message. */
		if ((size_t)got < n)
			break;
	}
	return (ssize_t)done;
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
	scan_reset(r);
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

bool http_hop_by_hop(const char *name)
{
	static const char *const names[] = {
		"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
		"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
		"content-length", "host",
	};
	size_t len = strlen(name);

	/* Runs for every header of every message: compare only equal lengths. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !strcasecmp(name, names[i]))
			return true;
	return false;
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
