// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_inspect.c - what inspect_request (user/proto/inspect.c) asks of a
 * POSTed body's HTTP envelope before the JSON-RPC rules: the Content-Type
 * (application/json in UTF-8 only, HTTP 415 otherwise), Content-Encoding
 * (identity only), and the normalised headers the proxy forwards instead.
 *
 * Why: a backend decodes the body by the charset it is told.  The
 * TypeScript SDK's body-parser reads "+AG4AYQBtAGU-" in a UTF-7 body as
 * "name", so a body the gateway reads as safe_read would be
 * delete_everything to the backend.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "proto/inspect.h"

#define PING "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}"
#define UTF7_CALL "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":" \
	"{\"name\":\"safe_read\",\"+AG4AYQBtAGU-\":\"delete_everything\"}}"

/* A request message with @n "Name: value" headers and @body. */
static void make_msg(struct http_msg *m, const char *const *pairs, size_t n, char names[][64],
		     char values[][128], const char *body)
{
	memset(m, 0, sizeof(*m));
	m->method = HTTP_POST;
	m->url = "/mcp";
	m->content_length = -1;
	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(pairs[i], ':');
		const char *v = colon + 1;

		while (*v == ' ')
			v++;
		snprintf(names[i], 64, "%.*s", (int)(colon - pairs[i]), pairs[i]);
		snprintf(values[i], 128, "%s", v);
		m->names[i] = names[i];
		m->values[i] = values[i];
	}
	m->n_headers = n;
	buf_puts(&m->body, body);
}

/* inspect_request's answer for @body under the NULL-ended headers @pairs. */
static int judge(const char *body, const char *const *pairs, struct inspect_result *res)
{
	char names[8][64], values[8][128];
	struct http_msg m;
	size_t n = 0;
	int ret;

	while (pairs[n])
		n++;
	make_msg(&m, pairs, n, names, values, body);
	ret = inspect_request(&m, res);
	inspect_ids_free(&res->ids);	/* a passed body's ids: no case reads them */
	buf_free(&m.body);
	return ret;
}

struct ct_case {
	const char *name;
	const char *headers[4];
	const char *body;
	int status;		/* 0: passes */
	const char *msg;	/* fragment of the refusal */
};

static const struct ct_case ct_cases[] = {
	{ "application/json", { "Content-Type: application/json" }, PING, 0, NULL },
	{ "media type in any case", { "content-type: Application/JSON" }, PING, 0, NULL },
	{ "charset=utf-8", { "Content-Type: application/json; charset=utf-8" }, PING, 0, NULL },
	{ "charset in upper case, no blank", { "Content-Type: application/json;CHARSET=UTF-8" },
	  PING, 0, NULL },
	{ "quoted charset", { "Content-Type: application/json; charset=\"utf-8\"" }, PING, 0,
	  NULL },
	{ "blanks before the semicolon", { "Content-Type: application/json \t; charset=utf-8" },
	  PING, 0, NULL },
	{ "Content-Encoding: identity", { "Content-Type: application/json",
	  "Content-Encoding: Identity" }, PING, 0, NULL },

	{ "UTF-7 (body-parser decodes it)", { "Content-Type: application/json; charset=utf-7" },
	  UTF7_CALL, 415, "Content-Type \"application/json; charset=utf-7\"" },
	{ "UTF-7 on the method", { "Content-Type: application/json; charset=UTF-7" },
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"+AG0-ethod\":\"tools/call\"}",
	  415, "charset=UTF-7" },
	{ "UTF-16", { "Content-Type: application/json; charset=utf-16" }, PING, 415, NULL },
	{ "Latin-1", { "Content-Type: application/json; charset=iso-8859-1" }, PING, 415, NULL },
	{ "utf8 without the dash", { "Content-Type: application/json; charset=utf8" }, PING, 415,
	  NULL },
	{ "two charsets", { "Content-Type: application/json; charset=utf-8; charset=utf-7" },
	  PING, 415, NULL },
	{ "another parameter", { "Content-Type: application/json; boundary=x" }, PING, 415, NULL },
	{ "charset and another parameter", { "Content-Type: application/json; charset=utf-8; "
	  "x=y" }, PING, 415, NULL },
	{ "a parameter spelt like charset", { "Content-Type: application/json; charsex=utf-8" },
	  PING, 415, NULL },
	{ "charset of another media type", { "Content-Type: text/json; charset=utf-8" }, PING, 415,
	  NULL },
	{ "empty parameter", { "Content-Type: application/json;" }, PING, 415, NULL },
	{ "blanks around =", { "Content-Type: application/json; charset = utf-8" }, PING, 415,
	  NULL },
	{ "unterminated quote", { "Content-Type: application/json; charset=\"utf-8" }, PING, 415,
	  NULL },
	{ "escaped quote", { "Content-Type: application/json; charset=\"utf\\-8\"" }, PING, 415,
	  NULL },
	{ "charset with a tail", { "Content-Type: application/json; charset=utf-8x" }, PING, 415,
	  NULL },
	{ "media type with a tail", { "Content-Type: application/jsonx" }, PING, 415, NULL },
	{ "another media type", { "Content-Type: text/plain" }, PING, 415, NULL },
	{ "a list of media types", { "Content-Type: application/json, text/plain" }, PING, 415,
	  NULL },
	{ "no Content-Type", { NULL }, PING, 415, "no Content-Type" },
	{ "two Content-Type headers", { "Content-Type: application/json",
	  "content-type: application/json; charset=utf-7" }, PING, 415, "Content-Type sent 2 times" },
	{ "two identical Content-Type headers", { "Content-Type: application/json",
	  "Content-Type: application/json" }, PING, 415, "sent 2 times" },
	{ "gzip", { "Content-Type: application/json", "Content-Encoding: gzip" }, PING, 415,
	  "Content-Encoding \"gzip\"" },
	{ "deflate", { "Content-Type: application/json", "Content-Encoding: deflate" }, PING, 415,
	  NULL },
	{ "identity then gzip", { "Content-Type: application/json",
	  "Content-Encoding: identity, gzip" }, PING, 415, NULL },
	{ "two Content-Encoding headers", { "Content-Type: application/json",
	  "Content-Encoding: identity", "Content-Encoding: identity" }, PING, 415,
	  "Content-Encoding sent 2 times" },
	{ "empty Content-Encoding", { "Content-Type: application/json", "Content-Encoding: " },
	  PING, 415, NULL },
};

static void test_content_type(void)
{
	for (size_t i = 0; i < sizeof(ct_cases) / sizeof(ct_cases[0]); i++) {
		const struct ct_case *c = &ct_cases[i];
		struct inspect_result res;
		char name[128];
		int ret;

		snprintf(name, sizeof(name), "%s: %s", c->status ? "refused" : "passes", c->name);
		TEST_CASE(name) {
			ret = judge(c->body, c->headers, &res);
			if (!c->status) {
				CHECK(ret == 0, "ret %d: %d %s", ret, res.http_status, res.message);
			} else {
				CHECK(ret == -EINVAL, "ret %d", ret);
				CHECK(res.http_status == c->status, "status %d, want %d (%s)",
				      res.http_status, c->status, res.message);
				CHECK(res.code == INSPECT_INVALID_REQUEST, "code %d", res.code);
				CHECK(!c->msg || strstr(res.message, c->msg),
				      "message \"%s\", want \"%s\"", res.message, c->msg);
			}
			free(res.rpc_id);
		}
	}
}

/* The envelope is judged before the body: an invalid body under a bad
 * Content-Type is 415, not a JSON error. */
static void test_order(void)
{
	struct inspect_result res;
	int ret;

	TEST_CASE("a bad Content-Type is answered before the body is read") {
		ret = judge("{", (const char *[]){ "Content-Type: text/plain", NULL }, &res);
		CHECK(ret == -EINVAL && res.http_status == 415, "ret %d status %d", ret,
		      res.http_status);
		free(res.rpc_id);
	}
	TEST_CASE("a good Content-Type lets the JSON rules answer") {
		ret = judge("{", (const char *[]){ "Content-Type: application/json", NULL }, &res);
		CHECK(ret == -EINVAL && res.http_status == 400 && res.code == -32700,
		      "ret %d status %d code %d", ret, res.http_status, res.code);
		free(res.rpc_id);
	}
}

static void test_normalised(void)
{
	struct buf out = {};

	TEST_CASE("headers the proxy replaces with their normal form") {
		CHECK(inspect_header_normalised("Content-Type"), "Content-Type");
		CHECK(inspect_header_normalised("content-encoding"), "content-encoding");
		CHECK(!inspect_header_normalised("Content-Length"), "Content-Length");
		CHECK(!inspect_header_normalised("Content-Typ"), "prefix");
		CHECK(!inspect_header_normalised("Content-Types"), "longer");
		CHECK(!inspect_header_normalised("Mcp-Method"), "Mcp-Method");
	}
	TEST_CASE("the normal form: application/json, no Content-Encoding") {
		CHECK(inspect_put_normalised_headers(&out) == 0, "failed");
		CHECK(out.len && !strncmp(out.data, "Content-Type: application/json\r\n", out.len) &&
		      out.len == strlen("Content-Type: application/json\r\n"), "%.*s",
		      (int)out.len, out.data ? out.data : "");
	}
	buf_free(&out);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_content_type();
	test_order();
	test_normalised();
	return test_finish();
}
