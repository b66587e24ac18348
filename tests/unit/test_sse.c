// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_sse.c - the Server-Sent Events parser and writer (user/sse.c):
 * fields, line endings (a CRLF split across reads included), comments,
 * the event size limit, the retry bound, the callback's veto, and
 * parse -> write -> parse round trips.
 *
 * Each event the parser hands over is written into a digest string, so a
 * case compares one string against what it expects, and two ways of
 * feeding the same bytes compare digests.
 */
#include <errno.h>

#include "check.h"
#include "proto/sse.h"

struct rec {
	int calls;
	int stop_at;		/* answer non-zero on this call (1-based); 0 never */
	struct buf digest;
};

static int rec_event(void *ctx, struct sse_event *ev)
{
	struct rec *rc = ctx;

	rc->calls++;
	if (ev->comment)
		buf_puts(&rc->digest, "{comment");
	else
		buf_puts(&rc->digest, "{");
	if (ev->type[0])
		buf_printf(&rc->digest, " type=%s", ev->type);
	if (ev->has_id)
		buf_printf(&rc->digest, " id=%s", ev->id);
	if (ev->retry_ms >= 0)
		buf_printf(&rc->digest, " retry=%ld", ev->retry_ms);
	if (ev->has_data) {
		buf_printf(&rc->digest, " data(%zu)=", ev->data.len);
		buf_append(&rc->digest, ev->data.data ? ev->data.data : "", ev->data.len);
	}
	buf_puts(&rc->digest, "}");
	return rc->stop_at && rc->calls == rc->stop_at ? 7 : 0;
}

/* Feeds @len bytes in pieces of @step (0: one piece); returns sse_feed's last answer. */
static int parse(const char *data, size_t len, size_t step, size_t max, struct buf *out)
{
	struct rec rc = {};
	struct sse_parser p;
	int ret = 0;

	sse_init(&p, max, rec_event, &rc);
	if (!step)
		step = len ? len : 1;
	for (size_t off = 0; off < len && !ret; off += step)
		ret = sse_feed(&p, data + off, len - off < step ? len - off : step);
	if (ret)
		buf_printf(&rc.digest, "RET %d", ret);
	buf_append(out, rc.digest.data ? rc.digest.data : "", rc.digest.len);
	sse_free(&p);
	buf_free(&rc.digest);
	return ret;
}

/* Parses @stream in one feed and compares the digest with @want. */
static bool parses_as(const char *stream, const char *want, struct buf *got)
{
	buf_reset(got);
	parse(stream, strlen(stream), 0, 4096, got);
	return !strcmp(got->data ? got->data : "", want);
}

#define EXPECT(stream, want) \
	CHECK(parses_as(stream, want, &got), "%s -> %s", #stream, got.data ? got.data : "")

static void test_fields(void)
{
	struct buf got = {};

	TEST_CASE("fields: data, event, id, retry") {
		EXPECT("data: hello\n\n", "{ data(5)=hello}");
		EXPECT("event: update\nid: 42\nretry: 1500\ndata: x\n\n",
		       "{ type=update id=42 retry=1500 data(1)=x}");
		EXPECT("id: 7\n\n", "{ id=7}");
		EXPECT("id\n\n", "{ id=}");
		EXPECT("retry: 10\n\n", "{ retry=10}");
		EXPECT("event: only\n\n", "{ type=only}");
		EXPECT("data: a\n\ndata: b\n\n", "{ data(1)=a}{ data(1)=b}");
		EXPECT("data: no end yet\n", "");
		EXPECT("data: no end yet", "");
	}
	buf_free(&got);
}

static void test_field_values(void)
{
	struct buf got = {};

	TEST_CASE("values: one leading space removed, no colon, odd retry, NUL in id") {
		EXPECT("data:  two\n\n", "{ data(4)= two}");
		EXPECT("data:tight\n\n", "{ data(5)=tight}");
		EXPECT("data: trailing  \n\n", "{ data(10)=trailing  }");
		EXPECT("data\n\n", "{ data(0)=}");
		EXPECT("data\ndata\n\n", "{ data(1)=\n}");
		EXPECT("data:\n\n", "{ data(0)=}");
		EXPECT("data: a:b: c\n\n", "{ data(6)=a:b: c}");
		EXPECT("retry: 12a\ndata: x\n\n", "{ data(1)=x}");
		EXPECT("retry: \ndata: x\n\n", "{ data(1)=x}");
		EXPECT("retry: -5\ndata: x\n\n", "{ data(1)=x}");
		EXPECT("event:   spaced\ndata: x\n\n", "{ type=  spaced data(1)=x}");
		buf_reset(&got);
		parse("id: a\0b\ndata: x\n\n", 17, 0, 4096, &got);
		CHECK(!strcmp(got.data, "{ data(1)=x}"), "id with NUL is ignored: %s", got.data);
	}
	buf_free(&got);
}

static void test_multiline_data(void)
{
	struct buf got = {};

	TEST_CASE("data lines join with LF") {
		EXPECT("data: a\ndata: b\ndata:c\n\n", "{ data(5)=a\nb\nc}");
		EXPECT("data: a\ndata:\ndata: c\n\n", "{ data(4)=a\n\nc}");
		EXPECT("data: {\"jsonrpc\":\"2.0\",\ndata: \"id\":1}\n\n",
		       "{ data(25)={\"jsonrpc\":\"2.0\",\n\"id\":1}}");
	}
	buf_free(&got);
}

static void test_line_endings(void)
{
	struct buf got = {};

	TEST_CASE("line endings: LF, CRLF, CR and mixtures") {
		EXPECT("event: e\r\ndata: a\r\ndata: b\r\n\r\n", "{ type=e data(3)=a\nb}");
		EXPECT("event: e\rdata: a\rdata: b\r\r", "{ type=e data(3)=a\nb}");
		EXPECT("event: e\ndata: a\r\ndata: b\r\r\n", "{ type=e data(3)=a\nb}");
		EXPECT("data: a\r\n\r\ndata: b\r\r", "{ data(1)=a}{ data(1)=b}");
		EXPECT("data: a\n\r\n\n", "{ data(1)=a}");
		EXPECT("data: a\r\n\n", "{ data(1)=a}");
	}
	buf_free(&got);
}

static int feed_str(struct sse_parser *p, const char *s)
{
	return sse_feed(p, s, strlen(s));
}

static void test_crlf_split(void)
{
	struct rec rc = {};
	struct sse_parser p;
	int r1, r2, r3;

	TEST_CASE("CRLF split across feeds: the LF is not an empty line") {
		sse_init(&p, 4096, rec_event, &rc);
		r1 = feed_str(&p, "data: a\r");
		r2 = feed_str(&p, "\ndata: b\r");
		r3 = feed_str(&p, "\n\r\n");
		CHECK(!r1 && !r2 && !r3, "returns %d %d %d", r1, r2, r3);
		CHECK(rc.calls == 1, "calls %d: %s", rc.calls, rc.digest.data);
		CHECK(rc.digest.data && !strcmp(rc.digest.data, "{ data(3)=a\nb}"), "%s",
		      rc.digest.data);
		sse_free(&p);
	}
	buf_free(&rc.digest);
	memset(&rc, 0, sizeof(rc));
	TEST_CASE("CR ending one feed, next feed starting a new line") {
		sse_init(&p, 4096, rec_event, &rc);
		feed_str(&p, "data: a\r");
		feed_str(&p, "data: b\r");
		feed_str(&p, "\r");
		CHECK(rc.digest.data && !strcmp(rc.digest.data, "{ data(3)=a\nb}"), "%s",
		      rc.digest.data);
		sse_free(&p);
	}
	buf_free(&rc.digest);
}

static const char *const streams[] = {
	": welcome\r\n\r\nevent: message\r\nid: 1\r\ndata: {\"jsonrpc\":\"2.0\"}\r\n\r\n"
	"retry: 3000\r\ndata: line one\r\ndata: line two\r\n\r\n",
	"data: a\rdata: b\r\rdata: c\n\nid: 9\revent: ping\r\n\r\n: tail\n\n",
	"event: endpoint\ndata: /messages?sessionId=abc\n\n: keep-alive\n\n"
	"data\ndata:\ndata:  x\nunknown: y\n\n",
};

static void test_split_invariance(void)
{
	TEST_CASE("any piece size gives the same events (1 to 64 bytes)") {
		for (size_t k = 0; k < sizeof(streams) / sizeof(streams[0]); k++) {
			struct buf whole = {};
			size_t len = strlen(streams[k]);

			parse(streams[k], len, 0, 4096, &whole);
			CHECK(whole.len > 0, "stream %zu gave nothing", k);
			for (size_t step = 1; step <= 64; step++) {
				struct buf split = {};

				parse(streams[k], len, step, 4096, &split);
				CHECK(split.data && !strcmp(whole.data, split.data),
				      "stream %zu step %zu: %s / %s", k, step, whole.data, split.data);
				buf_free(&split);
			}
			buf_free(&whole);
		}
	}
}

static void test_comments(void)
{
	struct buf got = {};

	TEST_CASE("comments: alone they are an event; inside an event ignored") {
		EXPECT(": keep-alive\n", "{comment}");
		EXPECT(":\n", "{comment}");
		EXPECT(": a\n: b\n\n", "{comment}{comment}");
		EXPECT("data: a\n: in the middle\ndata: b\n\n", "{ data(3)=a\nb}");
		EXPECT("event: e\n: c\n\n", "{ type=e}");
		EXPECT("id: 3\n: c\ndata: x\n\n", "{ id=3 data(1)=x}");
	}
	buf_free(&got);
}

/*
 * process_line() makes a comment its own event unless data, a type or an
 * id is pending - but forgets a pending retry: the comment is dispatched
 * with the retry in it, and sse_put_event writes a comment as ":\n\n", so
 * the relayed stream loses the retry.
 */
static void test_comment_after_retry(void)
{
	struct buf got = {};

	TEST_CASE("a comment after a pending retry keeps the retry") {
		EXPECT("retry: 100\n: ping\n\n", "{ retry=100}");
		EXPECT("retry: 100\n: ping\ndata: x\n\n", "{ retry=100 data(1)=x}");
	}
	buf_free(&got);
}

static void test_unknown_fields(void)
{
	struct buf got = {};

	TEST_CASE("unknown fields and odd names are ignored") {
		EXPECT("foo: bar\ndata: x\n\n", "{ data(1)=x}");
		EXPECT("foo: bar\n\n", "");
		EXPECT("Data: x\nDATA: y\n\n", "");
		EXPECT(" data: x\n\n", "");
		EXPECT("datax: x\nevents: e\nretryy: 1\nid2: 2\n\n", "");
	}
	buf_free(&got);
}

static void test_event_limit(void)
{
	struct buf got = {};

	TEST_CASE("event over max_event_bytes: -E2BIG, at the limit passes") {
		/* The limit counts line bytes without their endings. */
		parse("data: 0123456789\n\n", 18, 0, 16, &got);
		CHECK(!strcmp(got.data, "{ data(10)=0123456789}"), "at limit: %s", got.data);
		buf_reset(&got);
		CHECK(parse("data: 0123456789a\n\n", 19, 0, 16, &got) == -E2BIG, "over: %s",
		      got.data);
		buf_reset(&got);
		CHECK(parse("data: 01234567\ndata: 89\n\n", 25, 0, 16, &got) == -E2BIG,
		      "two lines over: %s", got.data);
		buf_reset(&got);
		CHECK(parse("data: 0123456789abcdef\n\n", 24, 1, 16, &got) == -E2BIG,
		      "byte by byte: %s", got.data);
		buf_reset(&got);
		parse("data: 0123456789\n\ndata: 0123456789\n\n", 36, 0, 16, &got);
		CHECK(!strcmp(got.data, "{ data(10)=0123456789}{ data(10)=0123456789}"),
		      "limit is per event: %s", got.data);
		buf_reset(&got);
		CHECK(parse("data: 01234567890123456789", 26, 0, 16, &got) == -E2BIG,
		      "unterminated line: %s", got.data);
	}
	buf_free(&got);
}

static void test_callback_stops(void)
{
	struct rec rc = { .stop_at = 1 };
	struct sse_parser p;
	int ret;

	TEST_CASE("callback answering non-zero stops the feed with that value") {
		sse_init(&p, 4096, rec_event, &rc);
		ret = feed_str(&p, "data: a\n\ndata: b\n\n");
		CHECK(ret == 7, "ret %d", ret);
		CHECK(rc.calls == 1, "calls %d", rc.calls);
		sse_free(&p);
	}
	buf_free(&rc.digest);
}

/* Collects parsed events as their wire form. */
static int write_event(void *ctx, struct sse_event *ev)
{
	return sse_put_event(ctx, ev);
}

/* @stream -> parse -> sse_put_event -> parse: same events both times? */
static bool round_trips(const char *stream, struct buf *first, struct buf *second)
{
	struct buf wire = {};
	struct sse_parser p;
	int ret;

	buf_reset(first);
	buf_reset(second);
	parse(stream, strlen(stream), 0, 4096, first);
	sse_init(&p, 4096, write_event, &wire);
	ret = feed_str(&p, stream);
	sse_free(&p);
	parse(wire.data ? wire.data : "", wire.len, 0, 4096, second);
	buf_free(&wire);
	return !ret && first->data && second->data && !strcmp(first->data, second->data);
}

static void test_writer(void)
{
	struct sse_event ev = {};
	struct buf out = {};

	TEST_CASE("sse_put_event: wire form") {
		ev.retry_ms = -1;
		snprintf(ev.type, sizeof(ev.type), "message");
		ev.has_id = true;
		snprintf(ev.id, sizeof(ev.id), "5");
		ev.has_data = true;
		buf_puts(&ev.data, "a\nb");
		CHECK(sse_put_event(&out, &ev) == 0, "put");
		CHECK(!strcmp(out.data, "event: message\nid: 5\ndata: a\ndata: b\n\n"), "%s",
		      out.data);
		buf_reset(&out);
		buf_reset(&ev.data);
		CHECK(sse_put_event(&out, &ev) == 0 &&
		      !strcmp(out.data, "event: message\nid: 5\ndata: \n\n"), "empty data: %s",
		      out.data);
		buf_reset(&out);
		ev.comment = true;
		sse_put_event(&out, &ev);
		CHECK(!strcmp(out.data, ":\n\n"), "comment: %s", out.data);
	}
	buf_free(&ev.data);
	buf_free(&out);
}

static void test_round_trip(void)
{
	struct buf a = {}, b = {};
	static const char *const cases[] = {
		"data: hello\n\n",
		"event: update\nid: 42\nretry: 1500\ndata: x\n\n",
		"data: a\ndata: b\ndata: c\n\n",
		"data:\n\n",
		"data\ndata: b\n\n",
		"id: 1\n\nevent: e\n\nretry: 5\n\n",
		": keep-alive\n\ndata: x\r\n\r\n",
		"data:  leading blank kept\n\n",
	};

	TEST_CASE("parse -> sse_put_event -> parse gives the same events") {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			CHECK(round_trips(cases[i], &a, &b), "case %zu: %s / %s", i, a.data, b.data);
		for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
			CHECK(round_trips(streams[i], &a, &b), "stream %zu: %s / %s", i, a.data,
			      b.data);
	}
	buf_free(&a);
	buf_free(&b);
}

/*
 * put_lines() stops when the data is used up, so a trailing empty data
 * line (data "a\n", from "data: a" + "data:") is not written and the
 * relayed event's data loses its last LF.
 */
static void test_round_trip_trailing_empty_line(void)
{
	struct buf a = {}, b = {};

	TEST_CASE("round trip keeps trailing empty data lines") {
		CHECK(round_trips("data: a\ndata:\n\n", &a, &b), "%s / %s", a.data, b.data);
		CHECK(round_trips("data\ndata\n\n", &a, &b), "%s / %s", a.data, b.data);
	}
	buf_free(&a);
	buf_free(&b);
}

/*
 * put_lines() writes each line with "%.*s", which stops at a NUL byte: an
 * event whose data holds one (the grammar allows it) is cut on the way out,
 * so what the proxy relays is not what it inspected.
 */
static void test_round_trip_nul_in_data(void)
{
	static const char stream[] = "data: a\0b\ndata: c\n\n";
	struct buf wire = {}, got = {};
	struct sse_parser p;

	TEST_CASE("round trip keeps NUL bytes in data") {
		parse(stream, sizeof(stream) - 1, 0, 4096, &got);
		CHECK(got.len == strlen("{ data(5)=") + 5 + 1 &&
		      !memcmp(got.data, "{ data(5)=a\0b\nc}", got.len), "parsed %zu bytes", got.len);
		sse_init(&p, 4096, write_event, &wire);
		sse_feed(&p, stream, sizeof(stream) - 1);
		sse_free(&p);
		CHECK(wire.len == sizeof(stream) - 1 && !memcmp(wire.data, stream, wire.len),
		      "written %zu bytes: %s", wire.len, wire.data);
	}
	buf_free(&wire);
	buf_free(&got);
}

/*
 * A retry: of digits only beyond 2^31 - 1 ms used to saturate to LONG_MAX
 * and be relayed as such: no time a client can wait, refused (-ERANGE)
 * before the event is handed over.  Other odd values stay ignored (WHATWG).
 */
static int parse_str(const char *stream, size_t step, struct buf *got)
{
	buf_reset(got);
	return parse(stream, strlen(stream), step, 4096, got);
}

static void test_retry_bound(void)
{
	struct buf got = {};
	char refused[32];

	snprintf(refused, sizeof(refused), "RET %d", -ERANGE);
	TEST_CASE("retry: 2^31 - 1 ms passes, beyond is -ERANGE, the event not handed over") {
		EXPECT("retry: 2147483647\n\n", "{ retry=2147483647}");
		EXPECT("retry: 0000000000000000000000000001\n\n", "{ retry=1}");
		EXPECT("retry: 0\n\n", "{ retry=0}");
		CHECK(parse_str("retry: 2147483648\ndata: x\n\n", 0, &got) == -ERANGE &&
		      !strcmp(got.data, refused), "2^31: %s", got.data);
		CHECK(parse_str("retry: 99999999999999999999\ndata: x\n\n", 0, &got) == -ERANGE &&
		      !strcmp(got.data, refused), "20 digits: %s", got.data);
		CHECK(parse_str("retry: 99999999999999999999\ndata: x\n\n", 1, &got) == -ERANGE &&
		      !strcmp(got.data, refused), "20 digits, byte by byte: %s", got.data);
		CHECK(parse_str("data: a\n\nretry: 99999999999999999999\n\n", 0, &got) == -ERANGE &&
		      !strncmp(got.data, "{ data(1)=a}RET ", 16), "events before it pass: %s",
		      got.data);
		EXPECT("retry: 99999999999999999999x\ndata: x\n\n", "{ data(1)=x}");
	}
	buf_free(&got);
}

/* WHATWG: one leading U+FEFF at the start of the stream is ignored. */
static void test_leading_bom(void)
{
	struct buf got = {};

	TEST_CASE("a UTF-8 BOM at the start of the stream is ignored") {
		EXPECT("\xEF\xBB\xBF" "data: first\n\n", "{ data(5)=first}");
	}
	buf_free(&got);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_fields();
	test_field_values();
	test_multiline_data();
	test_line_endings();
	test_crlf_split();
	test_split_invariance();
	test_comments();
	test_comment_after_retry();
	test_unknown_fields();
	test_event_limit();
	test_callback_stops();
	test_writer();
	test_round_trip();
	test_round_trip_trailing_empty_line();
	test_round_trip_nul_in_data();
	test_leading_bom();
	test_retry_bound();
	return test_finish();
}
