// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_sse.c - libFuzzer target for the Server-Sent Events parser and
 * writer (user/sse.c).  Build and run: see tests/fuzz/README.md.
 *
 * Input: byte 0 chooses max_event_bytes (16 / 256 / 4096 / 65536), byte 1
 * the piece size of the second run; the rest is a backend's event stream.
 *
 * The stream is parsed three times - in one piece, in pieces of byte 1,
 * and a byte at a time - and the three must give the same events and the
 * same final answer.  Besides "no crash, no leak, no undefined behaviour",
 * it aborts when a property the relay relies on fails:
 *  - sse_feed answers 0, -E2BIG or the callback's value, nothing else;
 *  - an event's text fields are terminated within their arrays, retry is
 *    -1 or not negative, a comment event carries nothing else;
 *  - each event written with sse_put_event and parsed again is the same
 *    event, alone (what the proxy relays is what it inspected).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sse.h"

#define must(cond) do { if (!(cond)) { \
	fprintf(stderr, "property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

#define REPARSE_MAX	(1U << 24)	/* the written form may be longer than the input */

static const size_t max_sets[4] = { 16, 256, 4096, 65536 };

static void digest_event(struct buf *d, const struct sse_event *ev)
{
	buf_printf(d, "{%d|%s|%d:%s|%ld|%d:", ev->comment, ev->type, ev->has_id, ev->id,
		   ev->retry_ms, ev->has_data);
	buf_append(d, ev->data.data ? ev->data.data : "", ev->data.len);
	buf_puts(d, "}");
}

struct reparse {
	int events;
	struct buf digest;
};

static int on_reparsed(void *ctx, struct sse_event *ev)
{
	struct reparse *rp = ctx;

	rp->events++;
	digest_event(&rp->digest, ev);
	return 0;
}

/* Written and parsed again, @ev comes back as itself. */
static void check_round_trip(const struct sse_event *ev, const struct buf *want)
{
	struct buf wire = {};
	struct reparse rp = {};
	struct sse_parser p;

	must(sse_put_event(&wire, ev) == 0);
	sse_init(&p, REPARSE_MAX, on_reparsed, &rp);
	must(sse_feed(&p, wire.data, wire.len) == 0);
	must(rp.events == 1);
	must(rp.digest.len == want->len && !memcmp(rp.digest.data, want->data, want->len));
	sse_free(&p);
	buf_free(&rp.digest);
	buf_free(&wire);
}

static int on_event(void *ctx, struct sse_event *ev)
{
	struct buf *digest = ctx, one = {};

	must(memchr(ev->type, '\0', sizeof(ev->type)));
	must(memchr(ev->id, '\0', sizeof(ev->id)));
	must(ev->has_id || !ev->id[0]);
	must(ev->retry_ms >= -1);
	must(ev->has_data || !ev->data.len);
	if (ev->comment)
		must(!ev->type[0] && !ev->has_id && ev->retry_ms < 0 && !ev->has_data);
	digest_event(&one, ev);
	check_round_trip(ev, &one);
	buf_append(digest, one.data, one.len);
	buf_free(&one);
	return 0;
}

static void run(const char *data, size_t len, size_t max, size_t step, struct buf *digest)
{
	struct sse_parser p;
	int ret = 0;

	sse_init(&p, max, on_event, digest);
	for (size_t off = 0; off < len && !ret; off += step)
		ret = sse_feed(&p, data + off, len - off < step ? len - off : step);
	must(ret == 0 || ret == -E2BIG || ret == -ERANGE);	/* sse_feed()'s three outcomes */
	buf_printf(digest, "=%d", ret);
	sse_free(&p);
}

static bool same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole = {}, pieces = {}, bytes = {};
	const char *stream = (const char *)data + 2;
	size_t len, max;

	if (size < 2)
		return 0;
	len = size - 2;
	max = max_sets[data[0] & 3];
	run(stream, len, max, len ? len : 1, &whole);
	run(stream, len, max, (size_t)data[1] + 1, &pieces);
	run(stream, len, max, 1, &bytes);
	must(same(&whole, &pieces));
	must(same(&whole, &bytes));
	buf_free(&whole);
	buf_free(&pieces);
	buf_free(&bytes);
	return 0;
}
