// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_http.c - libFuzzer target for the HTTP/1.1 reader (user/http.c),
 * requests and responses.  Build and run: see tests/fuzz/README.md.
 *
 * Input: byte 0 chooses the side and the reader's settings, byte 1 where
 * to cut the bytes for the second run, byte 2 the piece size of the third;
 * the rest is what a peer sends on one connection.
 *
 *   byte 0, bit 0     response (else request)
 *           bit 1     HTTP_BODY_STREAM (else HTTP_BODY_BUFFER)
 *           bits 2-3  limits: header bytes 64 / 256 / 8192 / 8192,
 *                     body bytes 0 / 16 / 65536 / 65536
 *           bit 4     http_reader_expect_no_body() first (responses)
 *
 * The same bytes are fed three times - in one piece, in two cut at byte 1,
 * and in pieces of byte 2 - answering each complete message with
 * http_reader_next() as the proxy does; the three runs must yield the same
 * messages and the same outcome.  (One exception: bytes both malformed and
 * over the header limit end in 400 or in 431 depending on where the reads
 * split, since the limit is counted on the pieces the parser hands over at
 * each read's end; both refuse, so the two compare equal.)  Besides "no
 * crash, no leak, no undefined
 * behaviour", it aborts when a property the proxy relies on fails:
 *  - feed consumes at most what it was given, and less only at a message's
 *    end; -1 comes with a known error status and a reason, and stays;
 *  - a complete message's header pointers point into its own store, at
 *    most HTTP_MAX_HEADERS of them, no CR, LF or blank edges in values, no
 *    CR, LF or blank in names, no CR, LF or space in the request target
 *    (the proxy copies headers into the request it sends upstream);
 *  - framing is what the visible headers say: chunked exactly when one
 *    "Transfer-Encoding: chunked" was sent (never with Content-Length, never
 *    in HTTP/1.0), a length exactly when Content-Length was sent;
 *  - a buffered body is within the limit and as long as Content-Length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/http.h"

#define must(cond) do { if (!(cond)) { \
	fprintf(stderr, "property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

static const struct http_limits limit_sets[4] = {
	{ 64, 0 }, { 256, 16 }, { 8192, 65536 }, { 8192, 65536 },
};

struct fz {
	enum http_kind kind;
	int mode;
	bool no_body;
	const struct http_limits *lim;
	struct buf streamed;	/* the current message's streamed body */
	struct buf digest;	/* every complete message, then the outcome */
};

static bool in_store(const struct http_msg *m, const char *p)
{
	return p >= m->store.data && p < m->store.data + m->store.len;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static void check_pointers(const struct http_msg *m)
{
	must(m->n_headers <= HTTP_MAX_HEADERS);
	must(m->store.data && in_store(m, m->url));
	for (size_t i = 0; i < m->n_headers; i++) {
		bool no_value = m->offs[2 + 2 * i] <= m->offs[1 + 2 * i];
		size_t vlen;

		must(m->names[i] && in_store(m, m->names[i]));
		must(m->values[i] && (no_value || in_store(m, m->values[i])));
		must(m->names[i][0] && !strpbrk(m->names[i], " \t\r\n"));
		vlen = strlen(m->values[i]);
		must(!strpbrk(m->values[i], "\r\n"));
		must(!vlen || (!blank(m->values[i][0]) && !blank(m->values[i][vlen - 1])));
	}
}

static void check_framing(const struct fz *f, const struct http_msg *m)
{
	size_t te = 0, cl = 0;
	const char *te_value = NULL;

	for (size_t i = 0; i < m->n_headers; i++) {
		if (!strcasecmp(m->names[i], "transfer-encoding")) {
			te++;
			te_value = m->values[i];
		} else if (!strcasecmp(m->names[i], "content-length")) {
			cl++;
		}
	}
	must(te <= 1);
	must(m->chunked == (te == 1));
	if (te) {
		must(!strcasecmp(te_value, "chunked") && !cl);
		must(m->http_major == 1 && m->http_minor >= 1);
	}
	must((m->content_length >= 0) == (cl > 0));
	if (f->mode == HTTP_BODY_BUFFER) {
		must(m->body.len <= f->lim->max_body_bytes);
		if (m->content_length >= 0 && !f->no_body)
			must((int64_t)m->body.len == m->content_length);
	} else {
		must(m->body.len == 0);
	}
}

static int fz_headers(void *ctx, struct http_msg *msg)
{
	struct fz *f = ctx;

	(void)msg;
	return f->mode;
}

static int fz_body(void *ctx, const char *data, size_t len)
{
	struct fz *f = ctx;

	must(f->mode == HTTP_BODY_STREAM && len);
	return buf_append(&f->streamed, data, len);
}

static void fz_complete(void *ctx, struct http_msg *m)
{
	struct fz *f = ctx;

	check_pointers(m);
	check_framing(f, m);
	if (f->kind == HTTP_KIND_REQUEST)
		must(m->url[0] && !strpbrk(m->url, " \r\n"));
	/* The helpers the proxy calls on every message. */
	http_msg_header(m, "mcp-session-id");
	http_header_has_token(http_msg_header(m, "connection"), "close");
	buf_printf(&f->digest, "[%d %d %s %u.%u %d %d %lld", m->method, m->status, m->url,
		   m->http_major, m->http_minor, m->keep_alive, m->chunked,
		   (long long)m->content_length);
	for (size_t i = 0; i < m->n_headers; i++)
		buf_printf(&f->digest, "<%s=%s>", m->names[i], m->values[i]);
	buf_printf(&f->digest, " %zu:", m->body.len + f->streamed.len);
	buf_append(&f->digest, m->body.data ? m->body.data : "", m->body.len);
	buf_append(&f->digest, f->streamed.data ? f->streamed.data : "", f->streamed.len);
	buf_puts(&f->digest, "]");
	buf_reset(&f->streamed);
}

static const struct http_reader_ops fz_ops = {
	.on_headers = fz_headers,
	.on_body = fz_body,
	.on_complete = fz_complete,
};

static bool known_status(int status)
{
	return status == 400 || status == 413 || status == 431 || status == 500 ||
	       status == 502;
}

/* Feeds one piece; false once the reader failed. */
static bool feed_piece(struct http_reader *r, const char *data, size_t len)
{
	while (len) {
		ssize_t n = http_reader_feed(r, data, len);

		if (n < 0) {
			must(known_status(r->error_status) && r->error);
			must(http_reader_feed(r, data, len) == -1);
			return false;
		}
		must((size_t)n <= len);
		must((size_t)n == len || r->complete);
		data += n;
		len -= (size_t)n;
		if (r->complete)
			http_reader_next(r);
	}
	return true;
}

/* Bytes [0, cut) in one piece, the rest in pieces of @step (0: one). */
static void run(struct fz *f, const char *data, size_t len, size_t cut, size_t step)
{
	struct http_reader r;
	bool ok;

	http_reader_init(&r, f->kind, f->lim, &fz_ops, f);
	if (f->no_body)
		http_reader_expect_no_body(&r);
	ok = feed_piece(&r, data, cut);
	for (size_t off = cut; ok && off < len; off += step ? step : len)
		ok = feed_piece(&r, data + off, step && len - off > step ? step : len - off);
	if (!ok && (r.error_status == 400 || r.error_status == 431))
		buf_puts(&f->digest, "ERR 400/431");
	else if (!ok)
		buf_printf(&f->digest, "ERR %d", r.error_status);
	else if (f->kind == HTTP_KIND_RESPONSE)
		buf_printf(&f->digest, "EOF %d/%d", http_reader_eof(&r), r.error_status);
	http_reader_free(&r);
	buf_free(&f->streamed);
}

static bool same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz runs[3];
	const char *bytes = (const char *)data + 3;
	size_t len, cut;

	if (size < 3)
		return 0;
	len = size - 3;
	cut = len ? data[1] % (len + 1) : 0;
	for (int i = 0; i < 3; i++) {
		memset(&runs[i], 0, sizeof(runs[i]));
		runs[i].kind = data[0] & 1 ? HTTP_KIND_RESPONSE : HTTP_KIND_REQUEST;
		runs[i].mode = data[0] & 2 ? HTTP_BODY_STREAM : HTTP_BODY_BUFFER;
		runs[i].lim = &limit_sets[(data[0] >> 2) & 3];
		runs[i].no_body = runs[i].kind == HTTP_KIND_RESPONSE && (data[0] & 16);
	}
	run(&runs[0], bytes, len, len, 0);
	run(&runs[1], bytes, len, cut, 0);
	run(&runs[2], bytes, len, 0, (size_t)(data[2] % 16) + 1);
	must(same(&runs[0].digest, &runs[1].digest));
	must(same(&runs[0].digest, &runs[2].digest));
	for (int i = 0; i < 3; i++)
		buf_free(&runs[i].digest);
	return 0;
}
