// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_redact.c - output redaction (user/policy/redact.h): what is judged
 * (string values under result, error and params), what is kept byte for
 * byte (everything else), the Luhn check, rule order, counts, and the
 * failures that must not let a text through unjudged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy/policy.h"
#include "policy/redact.h"

static const char *const policy_text =
	"{ \"version\": 1, \"backends\": { \"main\": { \"url\": \"http://127.0.0.1:9000/mcp\" } },\n"
	"  \"redaction\": [\n"
	"    { \"name\": \"card\", \"pattern\": \"\\\\b(?:\\\\d[ -]?){13,19}\\\\b\",\n"
	"      \"replacement\": \"[CARD]\", \"check\": \"luhn\" },\n"
	"    { \"name\": \"api-key\", \"pattern\": \"\\\\bsk_(?:live|test)_[A-Za-z0-9]{16,}\\\\b\" },\n"
	"    { \"name\": \"email\", \"pattern\": \"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}\",\n"
	"      \"replacement\": \"[EMAIL]\" },\n"
	"    { \"name\": \"tag\", \"pattern\": \"\\\\[EMAIL\\\\]\", \"replacement\": \"[E]\" },\n"
	"    { \"name\": \"empty\", \"pattern\": \"q*\", \"replacement\": \"Q\" } ] }\n";

static struct redact_set *rs;
static struct redact_scratch *scratch;

/* Redacts @in; the result (or @in when unchanged) in a static buffer. */
static const char *red(const char *in, int *ret, struct redact_counts *c)
{
	static char buf[4096];
	char *out;
	size_t len;

	*ret = redact_text(rs, scratch, in, strlen(in), &out, &len, c);
	snprintf(buf, sizeof(buf), "%s", out ? out : in);
	if (out && strlen(out) != len)
		snprintf(buf, sizeof(buf), "length mismatch");
	free(out);
	return buf;
}

int main(int argc __attribute__((unused)), char **argv)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;
	struct redact_counts c;
	char why[256] = "";
	const char *got;
	int ret;

	test_init(argv[0]);
	if (policy_parse(policy_text, strlen(policy_text), &pol, &errs) ||
	    redact_build(pol, &rs, why, sizeof(why)) || !(scratch = redact_scratch_new())) {
		printf("FAIL: test_redact: setup: %s %s\n", errs.n ? errs.v[0].msg : "", why);
		return 1;
	}
	pol_errors_free(&errs);

	TEST_CASE("a card number that passes Luhn is redacted, one that fails is kept") {
		memset(&c, 0, sizeof(c));
		got = red("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\","
			  "\"text\":\"paid with 4111 1111 1111 1111, order 4111 1111 1111 1112\"}]}}",
			  &ret, &c);
		CHECK(ret == 0 && !strcmp(got, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":"
			  "[{\"type\":\"text\",\"text\":\"paid with [CARD], order 4111 1111 1111 "
			  "1112\"}]}}"), "%d %s", ret, got);
		CHECK(c.n[0] == 1 && c.total == 1, "card %u total %u", c.n[0], c.total);
	}
	TEST_CASE("the rest of the message is kept byte for byte (numbers not reprinted)") {
		got = red("{ \"id\" : \"a@b.io\", \"jsonrpc\":\"2.0\", \"result\" : {\"big\": "
			  "12345678901234567890, \"f\": 1.50, \"mail\": \"x a@b.io y\", "
			  "\"a@b.io\": true } }", &ret, NULL);
		CHECK(ret == 0 && !strcmp(got, "{ \"id\" : \"a@b.io\", \"jsonrpc\":\"2.0\", "
			  "\"result\" : {\"big\": 12345678901234567890, \"f\": 1.50, \"mail\": "
			  "\"x [E] y\", \"a@b.io\": true } }"), "%s", got);
	}
	TEST_CASE("rules run in order, each over what the one before left") {
		memset(&c, 0, sizeof(c));
		got = red("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":"
			  "{\"data\":\"ops@example.com\"}}", &ret, &c);
		CHECK(strstr(got, "\"data\":\"[E]\"") && c.n[2] == 1 && c.n[3] == 1, "%s", got);
	}
	TEST_CASE("error messages and data are judged; id and method never") {
		got = red("{\"jsonrpc\":\"2.0\",\"id\":\"sk_live_abcdefghijklmnop\",\"error\":{\"code\":1,"
			  "\"message\":\"bad key sk_live_abcdefghijklmnop\"}}", &ret, NULL);
		CHECK(!strcmp(got, "{\"jsonrpc\":\"2.0\",\"id\":\"sk_live_abcdefghijklmnop\",\"error\":"
			  "{\"code\":1,\"message\":\"bad key [REDACTED]\"}}"), "%s", got);
	}
	TEST_CASE("escapes: the new value is escaped again, other characters kept") {
		got = red("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"t\":\"l1\\nmail: a@b.io \\\"w\\\" "
			  "\\u00e9\\ud83d\\ude00\"}}", &ret, NULL);
		CHECK(ret == 0 && !strcmp(got, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"t\":"
			  "\"l1\\nmail: [E] \\\"w\\\" \xc3\xa9\xf0\x9f\x98\x80\"}}"), "%s", got);
	}
	TEST_CASE("a batch: each message judged") {
		got = red("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":\"a@b.io\"}},"
			  "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"a\":\"c@d.io\"}}]", &ret, NULL);
		CHECK(!strcmp(got, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":\"[E]\"}},"
			  "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"a\":\"[E]\"}}]"), "%s", got);
	}
	TEST_CASE("a value holding \\u0000 goes whole: what follows the NUL is unjudged") {
		memset(&c, 0, sizeof(c));
		got = red("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":\"ok\\u0000a@b.io\"}}",
			  &ret, &c);
		CHECK(!strcmp(got, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":\"[REDACTED]\"}}") &&
		      c.unreadable == 1, "%s", got);
	}
	TEST_CASE("nothing to redact: no copy") {
		char *out = (char *)1;
		size_t len;

		ret = redact_text(rs, scratch, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", 36, &out,
				  &len, NULL);
		CHECK(ret == 0 && !out, "%d %p", ret, (void *)out);
	}
	TEST_CASE("an empty match replaces nothing and ends") {
		got = red("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":\"xqqx\xc3\xa9\"}}", &ret, NULL);
		CHECK(ret == 0 && strstr(got, "\"a\":\"xQx\xc3\xa9\""), "%s", got);
	}
	TEST_CASE("not JSON: -EINVAL") {
		red("{\"result\": \"a@b.io\"", &ret, NULL);
		CHECK(ret == -EINVAL, "%d", ret);
	}
	TEST_CASE("Luhn: 13..19 digits, separators skipped") {
		CHECK(redact_luhn("4111-1111-1111-1111", 19), "visa test number");
		CHECK(redact_luhn("378282246310005", 15), "amex test number");
		CHECK(!redact_luhn("4111111111111112", 16), "bad checksum");
		CHECK(!redact_luhn("0000000000", 10), "10 zeros pass the sum, not the length");
	}
	TEST_CASE("a pattern that runs into its match limit fails closed") {
		static const char *const slow =
			"{ \"version\": 1, \"backends\": { \"main\": { \"url\": "
			"\"http://127.0.0.1:9000/mcp\" } }, \"redaction\": [ { \"name\": \"slow\", "
			"\"pattern\": \"(a|aa)+$\" } ] }";
		struct policy *p2 = NULL;
		struct redact_set *r2 = NULL;
		char body[8192], *out = NULL;
		size_t len;
		int n;

		CHECK(!policy_parse(slow, strlen(slow), &p2, &errs) &&
		      !redact_build(p2, &r2, why, sizeof(why)), "setup: %s", why);
		n = snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":\"");
		memset(body + n, 'a', 4000);
		snprintf(body + n + 4000, sizeof(body) - (size_t)n - 4000, "!\"}}");
		ret = r2 ? redact_text(r2, scratch, body, strlen(body), &out, &len, NULL) : 0;
		CHECK(ret == -E2BIG && !out, "%d", ret);
		free(out);
		redact_set_free(r2);
		policy_free(p2);
		pol_errors_free(&errs);
	}
	redact_scratch_free(scratch);
	redact_set_free(rs);
	policy_free(pol);
	return test_finish();
}
