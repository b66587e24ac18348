// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_http.c - the HTTP/1.1 reader (user/http.c): framing, limits,
 * smuggling shapes, pipelining, incremental feeding, responses, and the
 * small writers and header helpers.
 *
 * Most cases go through run(): it feeds a byte string cut at given offsets,
 * answers every complete message with http_reader_next() (as the proxy
 * does), and writes a digest of each message - and of an error, if any -
 * into a string.  Feeding the same bytes with other cuts must give the same
 * digest, which is how the "any split" cases are checked.
 */
#include <errno.h>
#include <inttypes.h>

#include "check.h"
#include "proto/http.h"

#define LIM_HEADERS	8192
#define LIM_BODY	65536

struct rec {
	int mode;		/* on_headers answer: an http_body_mode, or -status */
	int on_body_ret;	/* what on_body answers (non-zero aborts) */
	int headers_calls, complete_calls, body_calls;
	struct buf streamed;	/* streamed pieces of the current message */
	struct buf digest;	/* one entry per completed message */
};

/* Every name and value points into msg.store (or is the "" of a field sent
 * without a value): anything else is a dangling pointer we must not read. */
static bool msg_pointers_sane(const struct http_msg *m)
{
	const char *lo = m->store.data, *hi = m->store.data + m->store.len;

	if (!lo)
		return m->n_headers == 0;
	if (m->url < lo || m->url >= hi)
		return false;
	for (size_t i = 0; i < m->n_headers; i++) {
		bool no_value = m->offs[2 + 2 * i] <= m->offs[1 + 2 * i];

		if (!m->names[i] || m->names[i] < lo || m->names[i] >= hi)
			return false;
		if (!m->values[i] || (!no_value && (m->values[i] < lo || m->values[i] >= hi)))
			return false;
	}
	return true;
}

static void digest_msg(struct buf *d, const struct http_msg *m, const struct buf *streamed)
{
	if (!msg_pointers_sane(m)) {
		buf_printf(d, "[CORRUPT n_headers=%zu]", m->n_headers);
		return;
	}
	buf_printf(d, "[m=%d s=%d %s %u.%u ka=%d ch=%d cl=%" PRId64, m->method, m->status,
		   m->url, m->http_major, m->http_minor, m->keep_alive, m->chunked,
		   m->content_length);
	for (size_t i = 0; i < m->n_headers; i++)
		buf_printf(d, " <%s=%s>", m->names[i], m->values[i]);
	buf_printf(d, " body=%zu:", m->body.len + streamed->len);
	buf_append(d, m->body.data ? m->body.data : "", m->body.len);
	buf_append(d, streamed->data ? streamed->data : "", streamed->len);
	buf_puts(d, "]");
}

static int rec_headers(void *ctx, struct http_msg *msg)
{
	struct rec *rc = ctx;

	(void)msg;
	rc->headers_calls++;
	return rc->mode;
}

static int rec_body(void *ctx, const char *data, size_t len)
{
	struct rec *rc = ctx;

	rc->body_calls++;
	buf_append(&rc->streamed, data, len);
	return rc->on_body_ret;
}

static void rec_complete(void *ctx, struct http_msg *msg)
{
	struct rec *rc = ctx;

	rc->complete_calls++;
	digest_msg(&rc->digest, msg, &rc->streamed);
	buf_reset(&rc->streamed);
}

static const struct http_reader_ops rec_ops = {
	.on_headers = rec_headers,
	.on_body = rec_body,
	.on_complete = rec_complete,
};

static const struct http_limits default_lim = { LIM_HEADERS, LIM_BODY };

static void rec_free(struct rec *rc)
{
	buf_free(&rc->streamed);
	buf_free(&rc->digest);
}

/*
 * Feeds @len bytes in pieces that end at the sorted offsets @cuts, calling
 * http_reader_next() after each complete message.  0, or -1 on a reader
 * error, or -2 when the reader stopped consuming without a reason.
 */
static int drive(struct http_reader *r, const char *data, size_t len,
		 const size_t *cuts, size_t n_cuts)
{
	size_t start = 0;

	for (size_t c = 0; c <= n_cuts; c++) {
		size_t end = c < n_cuts ? cuts[c] : len;

		while (start < end) {
			ssize_t n = http_reader_feed(r, data + start, end - start);

			if (n < 0)
				return -1;
			start += (size_t)n;
			if (r->complete)
				http_reader_next(r);
			else if (start < end)
				return -2;
		}
	}
	return 0;
}

/*
 * One connection's worth of bytes through a fresh reader; the digest of
 * every message (and "ERR <status>", "EOF <ret>" or "STUCK") lands in @out.
 */
static void run(enum http_kind kind, int mode, const struct http_limits *lim,
		const char *data, size_t len, const size_t *cuts, size_t n_cuts, struct buf *out)
{
	struct rec rc = { .mode = mode };
	struct http_reader r;
	int ret;

	http_reader_init(&r, kind, lim, &rec_ops, &rc);
	ret = drive(&r, data, len, cuts, n_cuts);
	if (ret == -1)
		buf_printf(&rc.digest, "ERR %d", r.error_status);
	else if (ret == -2)
		buf_puts(&rc.digest, "STUCK");
	else if (kind == HTTP_KIND_RESPONSE)
		buf_printf(&rc.digest, "EOF %d", http_reader_eof(&r));
	buf_append(out, rc.digest.data ? rc.digest.data : "", rc.digest.len);
	http_reader_free(&r);
	rec_free(&rc);
}

static void run_whole(enum http_kind kind, const char *data, struct buf *out)
{
	run(kind, HTTP_BODY_BUFFER, &default_lim, data, strlen(data), NULL, 0, out);
}

/* A reader fed one string in one call; the test inspects r and rc itself. */
struct one {
	struct http_reader r;
	struct rec rc;
	ssize_t n;
};

static void one_feed(struct one *o, enum http_kind kind, const struct http_limits *lim,
		     int mode, const char *data)
{
	memset(o, 0, sizeof(*o));
	o->rc.mode = mode;
	http_reader_init(&o->r, kind, lim ? lim : &default_lim, &rec_ops, &o->rc);
	o->n = http_reader_feed(&o->r, data, strlen(data));
}

static void one_free(struct one *o)
{
	http_reader_free(&o->r);
	rec_free(&o->rc);
}

/* Feeds a request and returns the error status, 0 when it completed. */
static int request_status(const char *data)
{
	struct one o;
	int status;

	one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER, data);
	status = o.n < 0 ? o.r.error_status : o.r.complete ? 0 : -1;
	one_free(&o);
	return status;
}

#define VERSION_ERR "HTTP version other than HTTP/1.0 and HTTP/1.1"
#define FOLD_ERR "obs-fold (a header line starting with a blank)"
#define LF_ERR "bare LF line ending (lines end in CRLF)"
#define CHUNK_END_ERR "chunk data not followed by CRLF"
#define CHUNKED_HEAD "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"

/* The reader's error for a request fed whole: "" when it completed,
 * "STUCK" when it waits for more. */
static const char *request_error(const char *data)
{
	static char why[160];
	struct one o;

	one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER, data);
	snprintf(why, sizeof(why), "%s", o.n < 0 ? (o.r.error ? o.r.error : "?") :
		 o.r.complete ? "" : "STUCK");
	one_free(&o);
	return why;
}

/* A response's error status, 0 when it completed (at its end or at EOF). */
static int response_status(const char *data)
{
	struct one o;
	int status;

	one_feed(&o, HTTP_KIND_RESPONSE, NULL, HTTP_BODY_BUFFER, data);
	if (o.n >= 0 && !o.r.complete)
		http_reader_eof(&o.r);
	status = o.r.error_status ? o.r.error_status : o.r.complete ? 0 : -1;
	one_free(&o);
	return status;
}

/* The error status of @data fed one byte per call; 0 when every message completed. */
static int byte_by_byte_status(enum http_kind kind, const char *data)
{
	size_t len = strlen(data), cuts[512];
	struct buf d = {};
	int status = 0;

	for (size_t i = 1; i < len && i <= 512; i++)
		cuts[i - 1] = i;
	run(kind, HTTP_BODY_BUFFER, &default_lim, data, len, cuts, len - 1 < 512 ? len - 1 : 512,
	    &d);
	if (d.data && strstr(d.data, "ERR "))
		status = atoi(strstr(d.data, "ERR ") + 4);
	else if (d.data && strstr(d.data, "STUCK"))
		status = -1;
	buf_free(&d);
	return status;
}

/* --- simple requests ------------------------------------------------------------ */

static void test_simple_get(void)
{
	static const char req[] = "GET /mcp?x=1 HTTP/1.1\r\nHost: gw\r\nAccept: */*\r\n\r\n";
	struct one o;

	TEST_CASE("simple GET: method, url, version, headers, no body") {
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER, req);
		CHECK(o.n == (ssize_t)strlen(req), "consumed %zd", o.n);
		CHECK(o.r.complete && !o.r.in_message, "complete %d", o.r.complete);
		CHECK(o.rc.headers_calls == 1 && o.rc.complete_calls == 1, "calls %d %d",
		      o.rc.headers_calls, o.rc.complete_calls);
		CHECK(o.r.msg.method == HTTP_GET, "method %d", o.r.msg.method);
		CHECK(!strcmp(o.r.msg.url, "/mcp?x=1"), "url %s", o.r.msg.url);
		CHECK(o.r.msg.http_major == 1 && o.r.msg.http_minor == 1, "version");
		CHECK(o.r.msg.n_headers == 2, "n_headers %zu", o.r.msg.n_headers);
		CHECK(!strcmp(o.r.msg.names[1], "Accept") && !strcmp(o.r.msg.values[1], "*/*"),
		      "header 1 %s=%s", o.r.msg.names[1], o.r.msg.values[1]);
		CHECK(o.r.msg.keep_alive && !o.r.msg.chunked, "ka %d ch %d",
		      o.r.msg.keep_alive, o.r.msg.chunked);
		CHECK(o.r.msg.content_length == -1 && o.r.msg.body.len == 0, "cl %" PRId64,
		      o.r.msg.content_length);
		CHECK(o.r.error_status == 0, "error %d", o.r.error_status);
		CHECK(http_reader_feed(&o.r, "GET", 3) == 0, "paused reader consumed bytes");
		one_free(&o);
	}
}

static void test_simple_post(void)
{
	static const char req[] = "POST /mcp HTTP/1.1\r\nHost: gw\r\n"
				  "Content-Type: application/json\r\nContent-Length: 11\r\n\r\n"
				  "{\"a\":\"bcd\"}";
	struct one o;

	TEST_CASE("POST with Content-Length: body buffered") {
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER, req);
		CHECK(o.n == (ssize_t)strlen(req), "consumed %zd", o.n);
		CHECK(o.r.complete && o.rc.complete_calls == 1, "complete");
		CHECK(o.r.msg.method == HTTP_POST, "method %d", o.r.msg.method);
		CHECK(o.r.msg.content_length == 11, "cl %" PRId64, o.r.msg.content_length);
		CHECK(o.r.msg.body.len == 11 && !memcmp(o.r.msg.body.data, "{\"a\":\"bcd\"}", 11),
		      "body %zu", o.r.msg.body.len);
		CHECK(o.rc.body_calls == 0, "on_body called in buffer mode");
		one_free(&o);
	}
}

static void test_post_body_missing_until_fed(void)
{
	struct one o;

	TEST_CASE("POST body arriving later completes the message then") {
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER,
			 "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab");
		CHECK(o.n == (ssize_t)strlen("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab") &&
		      !o.r.complete && o.r.in_message, "n %zd complete %d", o.n, o.r.complete);
		CHECK(http_reader_feed(&o.r, "cd", 2) == 2 && o.r.complete, "second feed");
		CHECK(o.r.msg.body.len == 4 && !memcmp(o.r.msg.body.data, "abcd", 4), "body");
		one_free(&o);
	}
}

/* --- keep-alive ------------------------------------------------------------- */

static int keep_alive_of(const char *req)
{
	struct one o;
	int ka;

	one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER, req);
	ka = o.r.complete ? o.r.msg.keep_alive : -1;
	one_free(&o);
	return ka;
}

static void test_keep_alive(void)
{
	TEST_CASE("keep-alive: HTTP/1.1 default, Connection: close, HTTP/1.0") {
		CHECK(keep_alive_of("GET / HTTP/1.1\r\n\r\n") == 1, "1.1 default");
		CHECK(keep_alive_of("GET / HTTP/1.1\r\nConnection: close\r\n\r\n") == 0,
		      "1.1 close");
		CHECK(keep_alive_of("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n") == 0,
		      "1.1 Close");
		CHECK(keep_alive_of("GET / HTTP/1.0\r\n\r\n") == 0, "1.0 default");
		CHECK(keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == 1,
		      "1.0 keep-alive");
		CHECK(keep_alive_of("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n") == 1,
		      "1.1 keep-alive");
	}
}

/* --- incremental feeding ----------------------------------------------------------- */

static const char *const split_msgs[] = {
	"GET /a/b?c=d HTTP/1.1\r\nHost: example.test:8470\r\nUser-Agent: t/1\r\n"
	"X-Trim:   padded value \t \r\nX-Empty:\r\nAccept: application/json, text/event-stream\r\n\r\n",
	"POST /mcp HTTP/1.1\r\nHost: gw\r\nContent-Length: 27\r\n\r\n"
	"{\"jsonrpc\":\"2.0\",\"id\":1234}",
	"POST /mcp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	"5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n",
	"GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
	"GET /3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	"GET / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
};

static void test_byte_at_a_time(void)
{
	TEST_CASE("one byte per feed gives the same messages as one feed") {
		for (size_t k = 0; k < sizeof(split_msgs) / sizeof(split_msgs[0]); k++) {
			const char *msg = split_msgs[k];
			size_t len = strlen(msg), cuts[512];
			struct buf whole = {}, bytes = {};

			for (size_t i = 0; i + 1 < len; i++)
				cuts[i] = i + 1;
			run_whole(HTTP_KIND_REQUEST, msg, &whole);
			run(HTTP_KIND_REQUEST, HTTP_BODY_BUFFER, &default_lim, msg, len, cuts,
			    len - 1, &bytes);
			CHECK(whole.len && !strcmp(whole.data, bytes.data),
			      "msg %zu: whole %s / bytes %s", k, whole.data, bytes.data);
			buf_free(&whole);
			buf_free(&bytes);
		}
	}
}

static void test_every_split_point(void)
{
	TEST_CASE("two pieces cut at every offset give the same messages") {
		for (size_t k = 0; k < sizeof(split_msgs) / sizeof(split_msgs[0]); k++) {
			const char *msg = split_msgs[k];
			size_t len = strlen(msg);
			struct buf whole = {};

			run_whole(HTTP_KIND_REQUEST, msg, &whole);
			for (size_t cut = 0; cut <= len; cut++) {
				struct buf two = {};

				run(HTTP_KIND_REQUEST, HTTP_BODY_BUFFER, &default_lim, msg, len,
				    &cut, 1, &two);
				CHECK(!strcmp(whole.data, two.data), "msg %zu cut %zu: %s / %s",
				      k, cut, whole.data, two.data);
				buf_free(&two);
			}
			buf_free(&whole);
		}
	}
}

static uint32_t rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Sorted random cut offsets in (0, len). */
static size_t random_cuts(uint32_t *seed, size_t len, size_t *cuts, size_t max)
{
	size_t n = 0, at = 0;

	while (n < max) {
		at += 1 + rng_next(seed) % 9;
		if (at >= len)
			break;
		cuts[n++] = at;
	}
	return n;
}

static void test_random_splits(void)
{
	TEST_CASE("random cuts (300 per message) give the same messages") {
		uint32_t seed = 0x5eed1234;

		for (size_t k = 0; k < sizeof(split_msgs) / sizeof(split_msgs[0]); k++) {
			const char *msg = split_msgs[k];
			size_t len = strlen(msg), cuts[512];
			struct buf whole = {};

			run_whole(HTTP_KIND_REQUEST, msg, &whole);
			for (int round = 0; round < 300; round++) {
				size_t n = random_cuts(&seed, len, cuts, 512);
				struct buf split = {};

				run(HTTP_KIND_REQUEST, HTTP_BODY_BUFFER, &default_lim, msg, len,
				    cuts, n, &split);
				CHECK(!strcmp(whole.data, split.data), "msg %zu round %d: %s / %s",
				      k, round, whole.data, split.data);
				buf_free(&split);
			}
			buf_free(&whole);
		}
	}
}

static void test_split_digests_expected(void)
{
	struct buf d = {};

	TEST_CASE("split-test messages parse as intended (trim, chunks, pipeline, 400s)") {
		run_whole(HTTP_KIND_REQUEST, split_msgs[0], &d);
		CHECK(strstr(d.data, "<X-Trim=padded value>") && strstr(d.data, "<X-Empty=>") &&
		      strstr(d.data, "<Accept=application/json, text/event-stream>"), "%s", d.data);
		buf_reset(&d);
		run_whole(HTTP_KIND_REQUEST, split_msgs[2], &d);
		CHECK(strstr(d.data, "ch=1") && strstr(d.data, "body=16:hello 0123456789]"),
		      "%s", d.data);
		buf_reset(&d);
		run_whole(HTTP_KIND_REQUEST, split_msgs[3], &d);
		CHECK(strstr(d.data, " /1 ") && strstr(d.data, "body=3:abc]") &&
		      strstr(d.data, " /3 1.0 ka=1"), "%s", d.data);
		buf_reset(&d);
		run_whole(HTTP_KIND_REQUEST, split_msgs[4], &d);
		CHECK(!strcmp(d.data, "ERR 400"), "%s", d.data);
		buf_reset(&d);
		run_whole(HTTP_KIND_REQUEST, split_msgs[5], &d);
		CHECK(!strcmp(d.data, "ERR 400"), "%s", d.data);
	}
	buf_free(&d);
}

/* --- headers ----------------------------------------------------------------- */

static void test_header_trimming(void)
{
	struct one o;

	TEST_CASE("header values: blanks trimmed both ends, inner blanks kept, empty values") {
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER,
			 "GET / HTTP/1.1\r\nA:x\r\nB: \t two  words \t\r\nC:\r\nD: \r\nE:\t\r\n"
			 "F: last\r\n\r\n");
		CHECK(o.r.complete && o.r.msg.n_headers == 6, "n %zu err %d", o.r.msg.n_headers,
		      o.r.error_status);
		if (o.r.msg.n_headers == 6) {
			static const char *const names[] = { "A", "B", "C", "D", "E", "F" };
			static const char *const values[] = { "x", "two  words", "", "", "", "last" };

			for (int i = 0; i < 6; i++)
				CHECK(!strcmp(o.r.msg.names[i], names[i]) &&
				      !strcmp(o.r.msg.values[i], values[i]),
				      "header %d: '%s'='%s'", i, o.r.msg.names[i], o.r.msg.values[i]);
		}
		one_free(&o);
	}
}

static void test_header_lookup(void)
{
	struct one o;

	TEST_CASE("http_msg_header: case-insensitive, first wins, NULL when absent") {
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER,
			 "GET / HTTP/1.1\r\nHost: one\r\nX-Dup: first\r\nx-dup: second\r\n"
			 "MCP-Session-Id: abc\r\n\r\n");
		CHECK(o.r.complete, "complete");
		CHECK(!strcmp(http_msg_header(&o.r.msg, "host"), "one"), "host");
		CHECK(!strcmp(http_msg_header(&o.r.msg, "HOST"), "one"), "HOST");
		CHECK(!strcmp(http_msg_header(&o.r.msg, "X-DUP"), "first"), "dup");
		CHECK(!strcmp(http_msg_header(&o.r.msg, "mcp-session-id"), "abc"), "session");
		CHECK(http_msg_header(&o.r.msg, "Origin") == NULL, "absent");
		CHECK(http_msg_header(&o.r.msg, "Hos") == NULL, "prefix matched");
		one_free(&o);
	}
}

static void test_header_has_token(void)
{
	TEST_CASE("http_header_has_token: comma lists, blanks, case, no substrings") {
		CHECK(http_header_has_token("close", "close"), "single");
		CHECK(http_header_has_token("keep-alive, Upgrade", "upgrade"), "second, case");
		CHECK(http_header_has_token("  Close\t", "close"), "blanks");
		CHECK(http_header_has_token("a,,b", "b"), "empty element");
		CHECK(http_header_has_token("a , b ,c", "b"), "middle");
		CHECK(http_header_has_token("application/json, text/event-stream",
					    "text/event-stream"), "accept list");
		CHECK(!http_header_has_token("closed", "close"), "longer token");
		CHECK(!http_header_has_token("clos", "close"), "shorter token");
		CHECK(!http_header_has_token("x-close, enclose", "close"), "substrings");
		CHECK(!http_header_has_token("", "close"), "empty");
		CHECK(!http_header_has_token(NULL, "close"), "NULL");
	}
}

/* "GET / HTTP/1.1" and @n headers "X-Hnn: v". */
static void build_many_headers(struct buf *b, int n)
{
	buf_puts(b, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < n; i++)
		buf_printf(b, "X-H%02d: v\r\n", i);
	buf_puts(b, "\r\n");
}

static void test_header_count_limit(void)
{
	struct buf b = {};
	struct one o;

	TEST_CASE("64 header fields pass, 65 are refused with 431") {
		build_many_headers(&b, HTTP_MAX_HEADERS);
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER, b.data);
		CHECK(o.r.complete && o.r.msg.n_headers == HTTP_MAX_HEADERS, "64: err %d n %zu",
		      o.r.error_status, o.r.msg.n_headers);
		CHECK(o.r.complete && !strcmp(o.r.msg.names[63], "X-H63"), "last name");
		one_free(&o);
		buf_reset(&b);
		build_many_headers(&b, HTTP_MAX_HEADERS + 1);
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER, b.data);
		CHECK(o.n == -1 && o.r.error_status == 431, "65: n %zd status %d", o.n,
		      o.r.error_status);
		CHECK(o.r.error && o.rc.headers_calls == 0, "error text / on_headers called");
		one_free(&o);
	}
	buf_free(&b);
}

/* A request whose URL and header bytes (what the limit counts) total @bytes. */
static void build_sized(struct buf *b, size_t bytes)
{
	/* counted: "/" (1) + "X" (1) + the value */
	buf_puts(b, "GET / HTTP/1.1\r\nX: ");
	for (size_t i = 0; i < bytes - 2; i++)
		buf_append(b, "a", 1);
	buf_puts(b, "\r\n\r\n");
}

static void test_header_bytes_limit(void)
{
	struct http_limits lim = { 256, LIM_BODY };
	struct buf b = {};
	struct one o;

	TEST_CASE("header bytes: at the limit pass, one over is 431") {
		build_sized(&b, 256);
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_BUFFER, b.data);
		CHECK(o.r.complete && o.r.error_status == 0, "256: status %d", o.r.error_status);
		one_free(&o);
		buf_reset(&b);
		build_sized(&b, 257);
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_BUFFER, b.data);
		CHECK(o.n == -1 && o.r.error_status == 431, "257: n %zd status %d", o.n,
		      o.r.error_status);
		one_free(&o);
	}
	buf_free(&b);
}

static void test_header_bytes_limit_split(void)
{
	struct http_limits lim = { 256, LIM_BODY };
	struct buf b = {}, d = {};
	size_t cuts[1024];

	TEST_CASE("header bytes over the limit fed byte by byte: 431") {
		build_sized(&b, 300);
		for (size_t i = 0; i + 1 < b.len; i++)
			cuts[i] = i + 1;
		run(HTTP_KIND_REQUEST, HTTP_BODY_BUFFER, &lim, b.data, b.len, cuts, b.len - 1, &d);
		CHECK(!strcmp(d.data, "ERR 431"), "%s", d.data);
	}
	buf_free(&b);
	buf_free(&d);
}

/*
 * Bytes both malformed and over the header limit: one read ends in 400 (the
 * parser sees the bad byte before it hands over the URL), small reads in
 * 431 (the limit trips on the pieces handed over at each read's end).
 * Refused either way, which is what matters; found by fuzz_http.
 */
static void test_malformed_and_too_long(void)
{
	struct http_limits lim = { 32, LIM_BODY };
	struct buf b = {}, whole = {}, split = {};
	size_t cuts[16];

	TEST_CASE("malformed and over the header limit: refused with 400 or 431") {
		buf_puts(&b, "GET /");
		for (int i = 0; i < 40; i++)
			buf_puts(&b, "a");
		buf_puts(&b, "\x7f HTTP/1.1\r\n\r\n");
		for (size_t i = 0; i < 16; i++)
			cuts[i] = 10 * (i + 1);
		run(HTTP_KIND_REQUEST, HTTP_BODY_BUFFER, &lim, b.data, b.len, NULL, 0, &whole);
		run(HTTP_KIND_REQUEST, HTTP_BODY_BUFFER, &lim, b.data, b.len, cuts, 4, &split);
		CHECK(!strcmp(whole.data, "ERR 400") || !strcmp(whole.data, "ERR 431"), "whole %s",
		      whole.data);
		CHECK(!strcmp(split.data, "ERR 400") || !strcmp(split.data, "ERR 431"), "split %s",
		      split.data);
	}
	buf_free(&b);
	buf_free(&whole);
	buf_free(&split);
}

static void test_url_counts_toward_limit(void)
{
	struct http_limits lim = { 64, LIM_BODY };
	struct buf b = {};
	struct one o;

	TEST_CASE("a long request target counts toward the header limit: 431") {
		buf_puts(&b, "GET /");
		for (int i = 0; i < 100; i++)
			buf_puts(&b, "x");
		buf_puts(&b, " HTTP/1.1\r\n\r\n");
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_BUFFER, b.data);
		CHECK(o.n == -1 && o.r.error_status == 431, "n %zd status %d", o.n,
		      o.r.error_status);
		one_free(&o);
	}
	buf_free(&b);
}

static void test_parser_header_overflow(void)
{
	struct http_limits lim = { 1 << 20, LIM_BODY };
	struct buf b = {};
	struct one o;

	TEST_CASE("headers past libhttp-parser's own maximum (80 KiB) are 431 too") {
		build_sized(&b, 90 * 1024);
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_BUFFER, b.data);
		CHECK(o.n == -1 && o.r.error_status == 431, "n %zd status %d (%s)", o.n,
		      o.r.error_status, o.r.error ? o.r.error : "");
		one_free(&o);
	}
	buf_free(&b);
}

/* --- bodies and limits ------------------------------------------------------------ */

static void test_body_limit_content_length(void)
{
	struct http_limits lim = { LIM_HEADERS, 10 };
	struct one o;

	TEST_CASE("Content-Length over the body limit: 413 before any body byte") {
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_BUFFER,
			 "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
		CHECK(o.n == -1 && o.r.error_status == 413, "n %zd status %d", o.n,
		      o.r.error_status);
		CHECK(o.rc.headers_calls == 1, "on_headers %d", o.rc.headers_calls);
		one_free(&o);
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_BUFFER,
			 "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789");
		CHECK(o.r.complete && o.r.msg.body.len == 10, "at the limit: status %d",
		      o.r.error_status);
		one_free(&o);
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_BUFFER,
			 "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n");
		CHECK(o.n == -1 && o.r.error_status == 400, "CL overflow: status %d",
		      o.r.error_status);
		one_free(&o);
	}
}

static void test_body_limit_chunked(void)
{
	struct http_limits lim = { LIM_HEADERS, 10 };
	struct one o;

	TEST_CASE("chunked body growing past the limit: 413") {
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_BUFFER,
			 "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "6\r\n012345\r\n");
		CHECK(o.n > 0 && !o.r.complete && !o.r.error_status, "first chunk: n %zd", o.n);
		CHECK(http_reader_feed(&o.r, "5\r\n6789a\r\n", 10) == -1 &&
		      o.r.error_status == 413, "status %d", o.r.error_status);
		CHECK(http_reader_feed(&o.r, "0\r\n\r\n", 5) == -1, "error is sticky");
		one_free(&o);
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_BUFFER,
			 "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n");
		CHECK(o.r.complete && o.r.msg.body.len == 10, "at the limit: status %d",
		      o.r.error_status);
		one_free(&o);
	}
}

static void test_stream_mode_has_no_body_limit(void)
{
	struct http_limits lim = { LIM_HEADERS, 4 };
	struct one o;

	TEST_CASE("streamed request body: pieces to on_body, not buffered, no 413") {
		one_feed(&o, HTTP_KIND_REQUEST, &lim, HTTP_BODY_STREAM,
			 "POST / HTTP/1.1\r\nContent-Length: 8\r\n\r\nabcd");
		CHECK(o.n > 0 && !o.r.complete, "n %zd status %d", o.n, o.r.error_status);
		CHECK(http_reader_feed(&o.r, "efgh", 4) == 4 && o.r.complete, "second part");
		CHECK(o.rc.body_calls == 2 && o.r.msg.body.len == 0, "calls %d buffered %zu",
		      o.rc.body_calls, o.r.msg.body.len);
		CHECK(o.rc.digest.data && strstr(o.rc.digest.data, "body=8:abcdefgh]"), "%s",
		      o.rc.digest.data);
		one_free(&o);
	}
}

static void test_chunked_request(void)
{
	struct one o;

	TEST_CASE("chunked request: several chunks, extensions, hex sizes") {
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER,
			 "POST /mcp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "3;ext\r\nabc\r\n2;a=b;c=\"d\"\r\nde\r\n"
			 "b\r\nfghijklmnop\r\n0;last\r\n\r\n");
		CHECK(o.r.complete && o.r.msg.chunked, "complete %d status %d (%s)", o.r.complete,
		      o.r.error_status, o.r.error ? o.r.error : "");
		CHECK(o.r.msg.content_length == -1, "cl %" PRId64, o.r.msg.content_length);
		CHECK(o.r.msg.body.len == 16 && !memcmp(o.r.msg.body.data, "abcdefghijklmnop", 16),
		      "body %zu", o.r.msg.body.len);
		one_free(&o);
	}
}

static void test_chunked_trailers(void)
{
	struct one o;

	TEST_CASE("chunked request with a trailer: trailer kept out of the headers") {
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER,
			 "POST /mcp HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "3\r\nabc\r\n0\r\nX-Trailer-Field-With-A-Long-Name: "
			 "some trailer value long enough to make the store grow and move "
			 "0123456789012345678901234567890123456789012345678901234567890123\r\n\r\n");
		/* Refusing trailers (400) would do too; taking them as headers would not:
		 * they arrive after on_headers and check_framing have decided. */
		if (o.r.error_status) {
			CHECK(o.r.error_status == 400, "status %d", o.r.error_status);
		} else {
			CHECK(o.r.complete, "not complete");
			CHECK(o.r.msg.n_headers == 2, "n_headers %zu", o.r.msg.n_headers);
			CHECK(msg_pointers_sane(&o.r.msg), "header pointers NULL or dangling");
			CHECK(o.rc.digest.data && !strstr(o.rc.digest.data, "CORRUPT"), "%s",
			      o.rc.digest.data);
		}
		one_free(&o);
	}
}

/* --- pipelining ---------------------------------------------------------------- */

static void test_pipelined_pair(void)
{
	static const char two[] = "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
				  "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t first = strlen("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
	struct one o;
	ssize_t n;

	TEST_CASE("pipelined pair: stops after the first, resumes after next()") {
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER, two);
		CHECK(o.n == (ssize_t)first, "consumed %zd, want %zu", o.n, first);
		CHECK(o.rc.complete_calls == 1 && o.r.complete, "complete calls %d",
		      o.rc.complete_calls);
		CHECK(!strcmp(o.r.msg.url, "/a") && o.r.msg.body.len == 2, "first msg");
		CHECK(http_reader_feed(&o.r, two + first, strlen(two) - first) == 0,
		      "fed while paused");
		CHECK(o.rc.complete_calls == 1, "complete calls %d", o.rc.complete_calls);
		http_reader_next(&o.r);
		n = http_reader_feed(&o.r, two + first, strlen(two) - first);
		CHECK(n == (ssize_t)(strlen(two) - first), "second consumed %zd", n);
		CHECK(o.rc.complete_calls == 2 && o.r.complete, "complete calls %d",
		      o.rc.complete_calls);
		CHECK(!strcmp(o.r.msg.url, "/b") && o.r.msg.body.len == 0 &&
		      o.r.msg.n_headers == 1 && o.r.msg.method == HTTP_GET, "second msg %s",
		      o.r.msg.url);
		one_free(&o);
	}
}

static void test_pipelined_many(void)
{
	struct buf b = {};
	struct rec rc = { .mode = HTTP_BODY_BUFFER };
	struct http_reader r;
	int ret;

	TEST_CASE("ten pipelined requests, each answered in turn") {
		for (int i = 0; i < 10; i++)
			buf_printf(&b, "POST /%d HTTP/1.1\r\nContent-Length: 1\r\n\r\n%d", i, i);
		http_reader_init(&r, HTTP_KIND_REQUEST, &default_lim, &rec_ops, &rc);
		ret = drive(&r, b.data, b.len, NULL, 0);
		CHECK(ret == 0 && rc.complete_calls == 10, "ret %d calls %d", ret,
		      rc.complete_calls);
		for (int i = 0; i < 10; i++) {
			char want[32];

			snprintf(want, sizeof(want), " /%d 1.1 ", i);
			CHECK(rc.digest.data && strstr(rc.digest.data, want), "message %d", i);
		}
		http_reader_free(&r);
	}
	rec_free(&rc);
	buf_free(&b);
}

/* --- smuggling ------------------------------------------------------------------ */

static void test_smuggling_cl_te(void)
{
	TEST_CASE("smuggling: Content-Length with Transfer-Encoding is 400 (both orders)") {
		CHECK(request_status("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400, "CL,TE");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
				     "Content-Length: 5\r\n\r\n0\r\n\r\n") == 400, "TE,CL");
		CHECK(request_status("POST / HTTP/1.1\r\ncontent-length: 0\r\n"
				     "transfer-encoding: chunked\r\n\r\n0\r\n\r\n") == 400,
		      "lower case");
	}
}

static void test_smuggling_two_cl(void)
{
	TEST_CASE("smuggling: two different Content-Lengths are 400") {
		CHECK(request_status("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
				     "Content-Length: 2\r\n\r\nab") == 400, "1 then 2");
		CHECK(request_status("POST / HTTP/1.1\r\nContent-Length: 2\r\n"
				     "content-length: 0\r\n\r\nab") == 400, "2 then 0");
		CHECK(request_status("POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nab") == 400,
		      "list");
	}
}

/* Two Content-Lengths, even identical, are refused by the reader's own
 * pre-scan before libhttp-parser (which would refuse them too) or
 * on_headers sees the header block. */
static void test_smuggling_identical_cl(void)
{
	struct one o;

	TEST_CASE("two identical Content-Lengths: 400 before on_headers") {
		one_feed(&o, HTTP_KIND_REQUEST, NULL, HTTP_BODY_BUFFER,
			 "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab");
		CHECK(o.n == -1 && o.r.error_status == 400, "n %zd status %d", o.n,
		      o.r.error_status);
		CHECK(o.rc.headers_calls == 0, "on_headers was called");
		one_free(&o);
	}
}

static void test_smuggling_te_shapes(void)
{
	TEST_CASE("smuggling: Transfer-Encoding other than exactly chunked is 400") {
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n"
				     "0\r\n\r\n") == 400, "xchunked");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity"
				     "\r\n\r\n0\r\n\r\n") == 400, "chunked, identity");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: identity, chunked"
				     "\r\n\r\n0\r\n\r\n") == 400, "identity, chunked");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n")
		      == 400, "identity");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") == 400,
		      "gzip");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400,
		      "two TE headers");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
				     " , identity\r\n\r\n0\r\n\r\n") == 400, "obs-fold");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
				     "0\r\n\r\n") == 0, "plain chunked passes");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding:  Chunked \r\n\r\n"
				     "0\r\n\r\n") == 0, "case and blanks pass");
	}
}

static void test_smuggling_te_http10(void)
{
	TEST_CASE("smuggling: Transfer-Encoding in an HTTP/1.0 request is 400") {
		CHECK(request_status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
				     "0\r\n\r\n") == 400, "1.0 chunked");
	}
}

static void test_bad_request_line(void)
{
	TEST_CASE("invalid request lines and methods are 400") {
		CHECK(request_status("GET\r\n\r\n") == 400, "no target");
		CHECK(request_status("GET / HTTP/1.1 extra\r\n\r\n") == 400, "extra token");
		CHECK(request_status("FOO / HTTP/1.1\r\n\r\n") == 400, "unknown method");
		CHECK(request_status("get / HTTP/1.1\r\n\r\n") == 400, "lower-case method");
		CHECK(request_status(" GET / HTTP/1.1\r\n\r\n") == 400, "leading blank");
		CHECK(request_status("GET /a b HTTP/1.1\r\n\r\n") == 400, "space in target");
		CHECK(request_status("GET / HTTP/1.1\r\nX: a\001b\r\n\r\n") == 400,
		      "control byte in a value");
	}
}

/*
 * RFC 9112 section 5.1: no whitespace between a field name and the colon,
 * and a server MUST answer 400.  Debian's libhttp-parser is built without
 * HTTP_PARSER_STRICT, so it takes "Transfer-Encoding : chunked" and frames
 * the body as chunked, while check_framing (and the proxy's hop-by-hop
 * filter, and every http_msg_header lookup) compares "Transfer-Encoding "
 * and does not see it: the TE-in-HTTP/1.0 rule is bypassed and the header
 * is forwarded to the backend as an ordinary one.
 */
static void test_blank_in_field_name(void)
{
	struct buf d = {};

	TEST_CASE("whitespace in or after a field name is 400") {
		CHECK(request_status("POST / HTTP/1.0\r\nTransfer-Encoding : chunked\r\n\r\n"
				     "0\r\n\r\n") == 400, "TE with a blank, HTTP/1.0");
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n"
				     "0\r\n\r\n") == 400, "TE with a blank, HTTP/1.1");
		CHECK(request_status("POST / HTTP/1.1\r\nContent-Length : 2\r\n\r\nab") == 400,
		      "CL with a blank");
		CHECK(request_status("GET / HTTP/1.1\r\nOrigin : http://evil.test\r\n\r\n") == 400,
		      "Origin with a blank");
		CHECK(request_status("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n") == 400,
		      "blank inside a name");
		CHECK(request_status("POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\n\r\n"
				     "0\r\n\r\n") == 400, "blank line start after the request line");
		buf_reset(&d);
		run_whole(HTTP_KIND_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n"
			  "\r\n0\r\n\r\n", &d);
		CHECK(!strcmp(d.data, "ERR 400"), "response TE with a blank: %s", d.data);
		buf_reset(&d);
		run_whole(HTTP_KIND_RESPONSE, "HTTP/1.1 200 OK\n :\n\n", &d);
		CHECK(!strcmp(d.data, "ERR 400"), "response field named \" \": %s", d.data);
	}
	buf_free(&d);
}

/*
 * Only HTTP/1.0 and 1.1 are spoken here, but the non-strict parser takes
 * any digit (and the TE-in-1.0 rule tests minor == 0 only, so "HTTP/0.9"
 * with Transfer-Encoding would pass), and it does not check the letters:
 * "HTTX/1.1" is HTTP/1.1 to it.  The pre-scan compares the bytes.
 */
static void test_http_version(void)
{
	TEST_CASE("request versions other than HTTP/1.x are refused") {
		CHECK(request_status("POST / HTTP/0.9\r\nTransfer-Encoding: chunked\r\n\r\n"
				     "0\r\n\r\n") == 400, "0.9 with TE");
		CHECK(request_status("GET / HTTP/2.0\r\n\r\n") > 0, "2.0");
	}
	TEST_CASE("HTTP/1.2, HTTP/1.9 and HTTX/1.1 are 400 from the pre-scan") {
		CHECK(!strcmp(request_error("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), VERSION_ERR),
		      "1.2: %s", request_error("GET / HTTP/1.2\r\nHost: a\r\n\r\n"));
		CHECK(!strcmp(request_error("GET / HTTP/1.9\r\n\r\n"), VERSION_ERR), "1.9");
		CHECK(!strcmp(request_error("GET / HTTX/1.1\r\n\r\n"), VERSION_ERR), "HTTX");
		CHECK(!strcmp(request_error("GET / http/1.1\r\n\r\n"), VERSION_ERR) ||
		      request_status("GET / http/1.1\r\n\r\n") == 400, "lower case");
		CHECK(request_status("GET / HTTP/1.0\r\n\r\n") == 0, "1.0 passes");
		CHECK(request_status("GET / HTTP/1.1\r\n\r\n") == 0, "1.1 passes");
		CHECK(byte_by_byte_status(HTTP_KIND_REQUEST, "GET / HTTP/1.2\r\n\r\n") == 400,
		      "1.2 fed byte by byte");
	}
	TEST_CASE("response versions other than HTTP/1.x are 400 (the proxy answers 502)") {
		CHECK(response_status("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n") == 400,
		      "1.2");
		CHECK(response_status("HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == 400,
		      "HTTX");
		CHECK(response_status("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") == 0,
		      "1.0 passes");
	}
}

/* RFC 9112 5.2: obs-fold may be refused with 400, and must be where a
 * front proxy could read the field otherwise (libhttp-parser unfolds it,
 * and treats a folded Content-Length as blanks). */
static void test_obs_fold(void)
{
	TEST_CASE("obs-fold is 400, in any header, in requests, responses and trailers") {
		CHECK(!strcmp(request_error("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n"
					    "\r\n0\r\n\r\n"), FOLD_ERR), "TE folded: %s",
		      request_error("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n"
				    "\r\n0\r\n\r\n"));
		CHECK(!strcmp(request_error("POST / HTTP/1.1\r\nContent-Length:\r\n 2\r\n\r\nab"),
			      FOLD_ERR), "CL folded");
		CHECK(!strcmp(request_error("POST / HTTP/1.1\r\nContent-Length: 2\r\n\t\r\n\r\nab"),
			      FOLD_ERR), "CL then a blank line of a tab");
		CHECK(!strcmp(request_error("GET / HTTP/1.1\r\nX-Foo: a\r\n b\r\n\r\n"),
			      FOLD_ERR), "any header");
		CHECK(!strcmp(request_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
					    "0\r\nX-T: a\r\n b\r\n\r\n"), FOLD_ERR), "trailer");
		CHECK(response_status("HTTP/1.1 200 OK\r\nContent-Length:\r\n 2\r\n\r\nab") == 400,
		      "response");
		CHECK(byte_by_byte_status(HTTP_KIND_REQUEST, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n")
		      == 400, "fed byte by byte");
		CHECK(request_status("GET / HTTP/1.1\r\nX-Foo:  a \t b\r\n\r\n") == 0,
		      "blanks inside a value pass");
	}
}

static void test_line_endings(void)
{
	TEST_CASE("bare LF line endings are 400 (request line, headers, end)") {
		CHECK(!strcmp(request_error("GET / HTTP/1.1\nHost: x\n\n"), LF_ERR), "all LF: %s",
		      request_error("GET / HTTP/1.1\nHost: x\n\n"));
		CHECK(!strcmp(request_error("GET / HTTP/1.1\r\nHost: x\n\r\n"), LF_ERR), "header");
		CHECK(!strcmp(request_error("GET / HTTP/1.1\r\nHost: x\r\n\n"), LF_ERR), "end");
		CHECK(!strcmp(request_error("\nGET / HTTP/1.1\r\n\r\n"), LF_ERR), "leading LF");
		CHECK(request_status("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n") == 400, "bare CR");
		CHECK(request_status("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n") == 0,
		      "a leading CRLF passes");
		CHECK(response_status("HTTP/1.1 200 OK\nContent-Length: 0\n\n") == 400, "response");
		CHECK(byte_by_byte_status(HTTP_KIND_REQUEST, "GET / HTTP/1.1\r\nHost: x\n\r\n") ==
		      400, "fed byte by byte");
	}
	TEST_CASE("chunk framing: bare LF, CR without LF, a missing CRLF are 400 at once") {
		/* libhttp-parser ignores a bare LF in an extension and waits for a
		 * CR: the request hung until the header timeout. */
		CHECK(!strcmp(request_error(CHUNKED_HEAD "5;ext\nhello\r\n0\r\n\r\n"), LF_ERR),
		      "LF in an extension: %s",
		      request_error(CHUNKED_HEAD "5;ext\nhello\r\n0\r\n\r\n"));
		CHECK(!strcmp(request_error(CHUNKED_HEAD "5\nhello\r\n0\r\n\r\n"), LF_ERR),
		      "LF after the size");
		CHECK(request_status(CHUNKED_HEAD "5\rXhello\r\n0\r\n\r\n") == 400, "CR then X");
		CHECK(!strcmp(request_error(CHUNKED_HEAD "5\r\nhelloXY0\r\n\r\n"), CHUNK_END_ERR),
		      "data not followed by CRLF");
		CHECK(!strcmp(request_error(CHUNKED_HEAD "5\r\nhello\r0\r\n\r\n"), CHUNK_END_ERR),
		      "data then CR only");
		CHECK(request_status(CHUNKED_HEAD "5 \r\nhello\r\n0\r\n\r\n") == 400,
		      "blank after the size, no extension");
		CHECK(request_status(CHUNKED_HEAD "\r\nhello\r\n0\r\n\r\n") == 400, "no size");
		CHECK(request_status(CHUNKED_HEAD "5;a\001b\r\nhello\r\n0\r\n\r\n") == 400,
		      "control byte in an extension");
		CHECK(!strcmp(request_error(CHUNKED_HEAD "0\r\nX: y\n\r\n"), LF_ERR),
		      "LF in a trailer");
		CHECK(request_status(CHUNKED_HEAD "5 ;a=b\r\nhello\r\n0\r\n\r\n") == 0,
		      "blank before ';' passes");
		CHECK(byte_by_byte_status(HTTP_KIND_REQUEST, CHUNKED_HEAD "5;ext\nhello\r\n0\r\n\r\n")
		      == 400, "fed byte by byte");
		CHECK(response_status("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "5;e\nhello\r\n0\r\n\r\n") == 400, "response chunk");
	}
}

static void test_two_hosts(void)
{
	TEST_CASE("two Host headers are 400 (RFC 9112 3.2)") {
		CHECK(!strcmp(request_error("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
			      "Host sent more than once"), "same: %s",
		      request_error("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"));
		CHECK(request_status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nhost: b\r\n\r\n") ==
		      400, "different, apart");
		CHECK(request_status("GET / HTTP/1.1\r\nHost: a\r\nX-Host: b\r\nHostx: c\r\n\r\n")
		      == 0, "other names pass");
	}
}

/*
 * Which layer answers CL+TE and two Content-Lengths: the reader's pre-scan,
 * before libhttp-parser (whose 2.9.4 refuses both as "unexpected
 * content-length header", and whose later releases accept CL with TE).
 */
static void test_framing_layer(void)
{
	TEST_CASE("CL+TE and two Content-Lengths: refused by the reader's pre-scan") {
		CHECK(!strcmp(request_error("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
					    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
			      "both Content-Length and Transfer-Encoding"), "CL,TE: %s",
		      request_error("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
		CHECK(!strcmp(request_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
					    "content-length: 5\r\n\r\n0\r\n\r\n"),
			      "both Content-Length and Transfer-Encoding"), "TE,CL");
		CHECK(!strcmp(request_error("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
					    "Content-Length: 2\r\n\r\nab"),
			      "Content-Length sent more than once"), "1 then 2");
		CHECK(response_status("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: "
				      "chunked\r\n\r\n0\r\n\r\n") == 400, "response CL+TE");
	}
}

static int refuse_403(void *ctx, struct http_msg *msg)
{
	(void)ctx;
	(void)msg;
	return -403;
}

static void test_on_headers_refusal(void)
{
	static const struct http_reader_ops ops = {
		.on_headers = refuse_403, .on_body = rec_body, .on_complete = rec_complete,
	};
	struct rec rc = {};
	struct http_reader r;
	static const char req[] = "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx";

	TEST_CASE("on_headers answering -403: feed fails with 403, sticky") {
		http_reader_init(&r, HTTP_KIND_REQUEST, &default_lim, &ops, &rc);
		CHECK(http_reader_feed(&r, req, strlen(req)) == -1, "feed");
		CHECK(r.error_status == 403 && r.error, "status %d", r.error_status);
		CHECK(rc.complete_calls == 0, "completed");
		CHECK(http_reader_feed(&r, "GET", 3) == -1, "not sticky");
		http_reader_free(&r);
	}
	rec_free(&rc);
}

/* --- responses ---------------------------------------------------------------- */

static void test_response_status_line(void)
{
	struct one o;

	TEST_CASE("response: status code and headers, Content-Length body") {
		one_feed(&o, HTTP_KIND_RESPONSE, NULL, HTTP_BODY_BUFFER,
			 "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
			 "Content-Length: 9\r\n\r\nnot found");
		CHECK(o.r.complete && o.r.msg.status == 404, "status %d err %d", o.r.msg.status,
		      o.r.error_status);
		CHECK(o.r.msg.body.len == 9 && !memcmp(o.r.msg.body.data, "not found", 9), "body");
		CHECK(!strcmp(http_msg_header(&o.r.msg, "content-type"), "text/plain"), "ct");
		CHECK(o.r.msg.keep_alive, "keep-alive");
		CHECK(http_reader_eof(&o.r) == 0, "eof after a complete message");
		one_free(&o);
	}
}

static void test_response_chunked(void)
{
	struct buf d = {};

	TEST_CASE("response: chunked body, any split gives the same result") {
		static const char resp[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					   "4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n";
		size_t len = strlen(resp);

		run_whole(HTTP_KIND_RESPONSE, resp, &d);
		CHECK(strstr(d.data, "s=200") && strstr(d.data, "ch=1") &&
		      strstr(d.data, "body=9:Wikipedia]EOF 0"), "%s", d.data);
		for (size_t cut = 0; cut <= len; cut++) {
			struct buf two = {};

			run(HTTP_KIND_RESPONSE, HTTP_BODY_BUFFER, &default_lim, resp, len, &cut, 1,
			    &two);
			CHECK(!strcmp(d.data, two.data), "cut %zu: %s", cut, two.data);
			buf_free(&two);
		}
	}
	buf_free(&d);
}

static void test_response_until_close(void)
{
	struct one o;

	TEST_CASE("response delimited by close: complete at http_reader_eof") {
		one_feed(&o, HTTP_KIND_RESPONSE, NULL, HTTP_BODY_BUFFER,
			 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc");
		CHECK(o.n > 0 && !o.r.complete && o.r.in_message, "n %zd", o.n);
		CHECK(http_reader_feed(&o.r, "def", 3) == 3, "more");
		CHECK(http_reader_eof(&o.r) == 0, "eof %d (%s)", o.r.error_status,
		      o.r.error ? o.r.error : "");
		CHECK(o.r.complete && o.rc.complete_calls == 1, "complete");
		CHECK(o.r.msg.body.len == 6 && !memcmp(o.r.msg.body.data, "abcdef", 6), "body");
		CHECK(!o.r.msg.keep_alive, "keep-alive on a close-delimited body");
		one_free(&o);
	}
}

static void test_response_truncated(void)
{
	struct one o;

	TEST_CASE("response cut short: http_reader_eof fails with 502") {
		one_feed(&o, HTTP_KIND_RESPONSE, NULL, HTTP_BODY_BUFFER,
			 "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
		CHECK(http_reader_eof(&o.r) == -1 && o.r.error_status == 502, "CL: status %d",
		      o.r.error_status);
		CHECK(o.rc.complete_calls == 0, "completed");
		one_free(&o);
		one_feed(&o, HTTP_KIND_RESPONSE, NULL, HTTP_BODY_BUFFER,
			 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
		CHECK(http_reader_eof(&o.r) == -1 && o.r.error_status == 502, "chunked: %d",
		      o.r.error_status);
		one_free(&o);
		one_feed(&o, HTTP_KIND_RESPONSE, NULL, HTTP_BODY_BUFFER, "HTTP/1.1 200 O");
		CHECK(http_reader_eof(&o.r) == -1 && o.r.error_status == 502, "status line: %d",
		      o.r.error_status);
		one_free(&o);
		one_feed(&o, HTTP_KIND_RESPONSE, NULL, HTTP_BODY_BUFFER, "");
		CHECK(http_reader_eof(&o.r) == 0 && !o.r.error_status, "nothing sent: %d",
		      o.r.error_status);
		one_free(&o);
	}
}

static void test_response_streaming(void)
{
	struct one o;

	TEST_CASE("response streamed: on_body gets the decoded chunk data") {
		one_feed(&o, HTTP_KIND_RESPONSE, NULL, HTTP_BODY_STREAM,
			 "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n7\r\ndata: 1\r\n");
		CHECK(o.n > 0 && !o.r.complete && o.rc.body_calls == 1, "calls %d",
		      o.rc.body_calls);
		CHECK(o.rc.streamed.len == 7 && !memcmp(o.rc.streamed.data, "data: 1", 7),
		      "first piece");
		CHECK(http_reader_feed(&o.r, "2\r\n\n\n\r\n0\r\n\r\n", 12) == 12 && o.r.complete,
		      "rest: status %d", o.r.error_status);
		CHECK(o.rc.body_calls == 2 && o.r.msg.body.len == 0, "calls %d buffered %zu",
		      o.rc.body_calls, o.r.msg.body.len);
		CHECK(o.rc.digest.data && strstr(o.rc.digest.data, "body=9:data: 1\n\n]"), "%s",
		      o.rc.digest.data);
		one_free(&o);
	}
}

static void test_response_stream_abort(void)
{
	struct one o;

	memset(&o, 0, sizeof(o));
	TEST_CASE("on_body answering non-zero aborts with 502") {
		o.rc.mode = HTTP_BODY_STREAM;
		o.rc.on_body_ret = 1;
		http_reader_init(&o.r, HTTP_KIND_RESPONSE, &default_lim, &rec_ops, &o.rc);
		o.n = http_reader_feed(&o.r, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 41);
		CHECK(o.n == -1 && o.r.error_status == 502, "n %zd status %d", o.n,
		      o.r.error_status);
		one_free(&o);
	}
}

static void test_response_no_body_statuses(void)
{
	struct buf d = {};

	TEST_CASE("204 and 304 responses end at their headers; the next one follows") {
		run_whole(HTTP_KIND_RESPONSE, "HTTP/1.1 204 No Content\r\n\r\n"
			  "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"
			  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", &d);
		CHECK(strstr(d.data, "s=204") && strstr(d.data, "s=304") &&
		      strstr(d.data, "s=200") && strstr(d.data, "body=2:ok]EOF 0"), "%s", d.data);
	}
	buf_free(&d);
}

static void test_response_head(void)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
	struct rec rc = { .mode = HTTP_BODY_BUFFER };
	struct http_reader r;
	ssize_t n;

	TEST_CASE("response to HEAD (expect_no_body): complete at the headers") {
		http_reader_init(&r, HTTP_KIND_RESPONSE, &default_lim, &rec_ops, &rc);
		http_reader_expect_no_body(&r);
		n = http_reader_feed(&r, resp, strlen(resp));
		CHECK(n == (ssize_t)strlen(resp), "consumed %zd of %zu", n, strlen(resp));
		CHECK(r.complete && rc.complete_calls == 1, "complete calls %d",
		      rc.complete_calls);
		CHECK(r.msg.content_length == 10 && r.msg.body.len == 0, "cl %" PRId64,
		      r.msg.content_length);
		http_reader_free(&r);
	}
	rec_free(&rc);
}

/*
 * "Transfer-Encoding: chunked<HTAB>" is legal (trailing OWS).  check_framing
 * trims the value and passes it as chunked, but libhttp-parser 2.9 only
 * skips trailing spaces, takes the last coding for something else, and
 * reads a response body until close: the chunk syntax becomes the body.
 * (A request with it is refused by the parser.)  Found by fuzz_http.
 */
static void test_response_te_trailing_tab(void)
{
	struct buf d = {};

	TEST_CASE("response \"Transfer-Encoding: chunked<HTAB>\": chunked or refused") {
		run_whole(HTTP_KIND_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\t\r\n"
			  "\r\n5\r\nhello\r\n0\r\n\r\n", &d);
		CHECK(!strncmp(d.data, "ERR ", 4) ||
		      (strstr(d.data, "ch=1") && strstr(d.data, "body=5:hello]EOF 0")), "%s", d.data);
		buf_reset(&d);
		CHECK(request_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\t\r\n\r\n"
				     "0\r\n\r\n") == 400, "request");
	}
	buf_free(&d);
}

static void test_response_bad(void)
{
	TEST_CASE("bad responses: status line garbage, CL+TE, bad TE are 400") {
		struct buf d = {};

		run_whole(HTTP_KIND_RESPONSE, "HTTP/1.1 abc OK\r\n\r\n", &d);
		CHECK(!strcmp(d.data, "ERR 400"), "status: %s", d.data);
		buf_reset(&d);
		run_whole(HTTP_KIND_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", &d);
		CHECK(!strcmp(d.data, "ERR 400"), "CL+TE: %s", d.data);
		buf_reset(&d);
		run_whole(HTTP_KIND_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"
			  "abc", &d);
		CHECK(!strcmp(d.data, "ERR 400"), "gzip: %s", d.data);
		buf_free(&d);
	}
}

/* --- writers ------------------------------------------------------------------ */

static void test_put_status(void)
{
	struct buf b = {};

	TEST_CASE("http_put_status writes the status line") {
		CHECK(http_put_status(&b, 200) == 0 && !strcmp(b.data, "HTTP/1.1 200 OK\r\n"),
		      "%s", b.data);
		buf_reset(&b);
		http_put_status(&b, 413);
		CHECK(!strcmp(b.data, "HTTP/1.1 413 Content Too Large\r\n"), "%s", b.data);
		buf_reset(&b);
		http_put_status(&b, 431);
		CHECK(!strcmp(b.data, "HTTP/1.1 431 Request Header Fields Too Large\r\n"), "%s",
		      b.data);
		buf_reset(&b);
		http_put_status(&b, 503);
		CHECK(!strcmp(b.data, "HTTP/1.1 503 Service Unavailable\r\n"), "%s", b.data);
		buf_reset(&b);
		http_put_status(&b, 201);
		CHECK(!strcmp(b.data, "HTTP/1.1 201 Created\r\n"), "libhttp-parser's: %s", b.data);
		CHECK(http_reason(599) && *http_reason(599), "unknown status has a reason");
	}
	buf_free(&b);
}

static void test_put_chunk(void)
{
	struct buf b = {};
	char big[300];

	TEST_CASE("http_put_chunk: hex size, data, CRLF; 0 is the last chunk") {
		CHECK(http_put_chunk(&b, "hello", 5) == 0 && !strcmp(b.data, "5\r\nhello\r\n"),
		      "%s", b.data);
		buf_reset(&b);
		memset(big, 'z', sizeof(big));
		http_put_chunk(&b, big, sizeof(big));
		CHECK(b.len == 5 + 300 + 2 && !memcmp(b.data, "12c\r\n", 5) &&
		      !memcmp(b.data + 305, "\r\n", 2), "300 bytes: %.8s", b.data);
		buf_reset(&b);
		http_put_chunk(&b, NULL, 0);
		CHECK(!strcmp(b.data, "0\r\n\r\n"), "last %s", b.data);
	}
	buf_free(&b);
}

static void test_put_chunk_roundtrip(void)
{
	struct buf wire = {}, d = {};

	TEST_CASE("chunks written by http_put_chunk read back through the reader") {
		buf_puts(&wire, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		http_put_chunk(&wire, "first ", 6);
		http_put_chunk(&wire, "second\r\n", 8);
		http_put_chunk(&wire, "", 0);
		run(HTTP_KIND_RESPONSE, HTTP_BODY_BUFFER, &default_lim, wire.data, wire.len, NULL,
		    0, &d);
		CHECK(strstr(d.data, "body=14:first second\r\n]EOF 0"), "%s", d.data);
	}
	buf_free(&wire);
	buf_free(&d);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_simple_get();
	test_simple_post();
	test_post_body_missing_until_fed();
	test_keep_alive();
	test_byte_at_a_time();
	test_every_split_point();
	test_random_splits();
	test_split_digests_expected();
	test_header_trimming();
	test_header_lookup();
	test_header_has_token();
	test_header_count_limit();
	test_header_bytes_limit();
	test_header_bytes_limit_split();
	test_malformed_and_too_long();
	test_url_counts_toward_limit();
	test_parser_header_overflow();
	test_body_limit_content_length();
	test_body_limit_chunked();
	test_stream_mode_has_no_body_limit();
	test_chunked_request();
	test_chunked_trailers();
	test_pipelined_pair();
	test_pipelined_many();
	test_smuggling_cl_te();
	test_smuggling_two_cl();
	test_smuggling_identical_cl();
	test_smuggling_te_shapes();
	test_smuggling_te_http10();
	test_bad_request_line();
	test_blank_in_field_name();
	test_http_version();
	test_obs_fold();
	test_line_endings();
	test_two_hosts();
	test_framing_layer();
	test_on_headers_refusal();
	test_response_status_line();
	test_response_chunked();
	test_response_until_close();
	test_response_truncated();
	test_response_streaming();
	test_response_stream_abort();
	test_response_no_body_statuses();
	test_response_head();
	test_response_te_trailing_tab();
	test_response_bad();
	test_put_status();
	test_put_chunk();
	test_put_chunk_roundtrip();
	return test_finish();
}
