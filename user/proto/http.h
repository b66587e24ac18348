/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * http.h - HTTP/1.1 framing on Debian's libhttp-parser, for both sides of
 * the proxy: requests from agents, responses from backends.
 *
 * The reader is incremental and strict.  It stops after each complete
 * message (pipelined requests are answered in order: the caller handles one,
 * then calls http_reader_next() and feeds the rest).  A message that would
 * let two HTTP implementations disagree about where it ends - Content-Length
 * together with Transfer-Encoding, two Content-Lengths, any
 * Transfer-Encoding but exactly "chunked" - is refused with 400 and the
 * connection must be closed.  So is what libhttp-parser (built without
 * HTTP_PARSER_STRICT) takes but a front proxy may read otherwise: a line
 * ending in a bare LF or a CR without LF, obs-fold (a header line starting
 * with a blank), a version other than HTTP/1.0 and HTTP/1.1 ("HTTX/1.1"
 * too), a request with two Host headers, and a chunk-size line or chunk end
 * that is not exactly "HEX[;ext]CRLF" / "CRLF".  Responses get the same
 * checks (the caller answers 502).  Limits: header bytes (431), header
 * count (431), buffered body bytes (413).
 */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <http_parser.h>

#include "base/buf.h"

#define HTTP_MAX_HEADERS 64	/* more is an attack or a bug: 431 */

enum http_kind {
	HTTP_KIND_REQUEST,
	HTTP_KIND_RESPONSE,
};

/* What to do with a body, decided once the headers are in. */
enum http_body_mode {
	HTTP_BODY_BUFFER,	/* collect into msg.body, up to the body limit */
	HTTP_BODY_STREAM,	/* hand each piece to on_body as it arrives */
};

struct http_msg {
	int method;		/* enum http_method (requests) */
	int status;		/* responses */
	unsigned short http_major, http_minor;
	const char *url;	/* request target as sent (requests) */
	size_t n_headers;
	const char *names[HTTP_MAX_HEADERS];	/* as sent; compare case-insensitively */
	const char *values[HTTP_MAX_HEADERS];	/* leading/trailing blanks trimmed */
	bool keep_alive;	/* per version and Connection: the peer's wish */
	bool chunked;
	int64_t content_length;	/* -1: none */
	struct buf body;	/* HTTP_BODY_BUFFER bodies */
	struct buf store;	/* private: url and header bytes */
	size_t offs[1 + 2 * HTTP_MAX_HEADERS];	/* private: offsets into store */
};

struct http_limits {
	size_t max_header_bytes;
	size_t max_body_bytes;
};

struct http_reader_ops {
	/* Headers are in: return an http_body_mode, or a negative HTTP status to refuse. */
	int (*on_headers)(void *ctx, struct http_msg *msg);
	/* A piece of a streamed (decoded) body; non-zero aborts. */
	int (*on_body)(void *ctx, const char *data, size_t len);
	/* The message is complete; the reader now pauses until http_reader_next(). */
	void (*on_complete)(void *ctx, struct http_msg *msg);
};

/* Private: the pre-scan that runs ahead of libhttp-parser over the bytes
 * it is lenient about (line endings, obs-fold, versions, chunk framing). */
struct http_scan {
	unsigned char phase;	/* SCAN_* in http.c */
	unsigned char chunk;	/* where in a chunk-size line, or a chunk's CRLF */
	bool cr;		/* the last byte was a CR */
	bool start_seen;	/* the start line is in (or: a trailer section) */
	bool in_name;		/* still in the field name of this header line */
	size_t line_len;
	size_t name_len;
	char name[24];		/* the field name, when it is short enough to matter */
	char version[9];	/* requests: the last 9 bytes of the start line;
				 * responses: the first 9 */
	unsigned int n_host, n_cl, n_te;
	uint64_t chunk_left;
};

struct http_reader {
	http_parser parser;
	struct http_scan scan;
	enum http_kind kind;
	struct http_limits lim;
	const struct http_reader_ops *ops;
	void *ctx;
	struct http_msg msg;
	enum http_body_mode mode;
	size_t header_bytes;
	int last_cb;		/* private: 1 field, 2 value */
	unsigned int n_te, n_cl;
	bool bad_te;
	bool in_message;	/* bytes of a message seen, not complete */
	bool complete;		/* paused after a complete message */
	bool no_body;		/* the next response has no body (HEAD) */
	int error_status;	/* 400, 408, 413, 431, 502 ... when failed */
	const char *error;	/* what was wrong, for the answer and the log */
};

void http_reader_init(struct http_reader *r, enum http_kind kind, const struct http_limits *lim,
		      const struct http_reader_ops *ops, void *ctx);
void http_reader_free(struct http_reader *r);
/*
 * Feeds @len bytes.  Returns how many were consumed: fewer than @len when a
 * message completed (the rest belongs to the next one).  -1 on error, with
 * r->error_status and r->error set; the connection must not be reused.
 */
ssize_t http_reader_feed(struct http_reader *r, const char *data, size_t len);
/* The peer closed.  Completes a response delimited by close; -1 if cut short. */
int http_reader_eof(struct http_reader *r);
/* Readies the reader for the next message on the same connection. */
void http_reader_next(struct http_reader *r);
/* For a response to HEAD, or a 1xx/204/304: no body follows the headers. */
void http_reader_expect_no_body(struct http_reader *r);

/* The first header called @name (case-insensitive), or NULL. */
const char *http_msg_header(const struct http_msg *msg, const char *name);
/* Headers of one connection, never forwarded by a proxy (RFC 9110 7.6.1),
 * with the framing ones (Content-Length, Host) each hop writes for itself. */
bool http_hop_by_hop(const char *name);
/* Does a comma-separated header hold @token (case-insensitive)? */
bool http_header_has_token(const char *value, const char *token);

const char *http_reason(int status);
/* "HTTP/1.1 <status> <reason>\r\n" */
int http_put_status(struct buf *out, int status);
/* One chunk of a chunked body; len 0 writes the last chunk. */
int http_put_chunk(struct buf *out, const void *data, size_t len);

#endif
