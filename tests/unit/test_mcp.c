// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_mcp.c - MCP / JSON-RPC inspection (user/mcp*.c).
 *
 * A table of bad bodies, each refused with an exact JSON-RPC code, HTTP
 * status and message fragment; valid messages of every kind; batches mixing
 * good and bad elements; duplicate keys and NULs at every place that names
 * something; the 2026-07-28 mirrored headers (plain and base64); clientInfo;
 * error responses read back with cJSON.  Bodies are copied into buffers of
 * exactly their length so that ASan catches any read past the end.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "check.h"
#include "proto/mcp.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A body with bytes strlen() cannot measure (NUL bytes). */
#define RAW(s) .body = s, .len = sizeof(s) - 1

static int parse(const char *body, size_t len, struct mcp_batch *b, struct mcp_error *err)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, body, len);
	ret = mcp_parse(copy, len, b, err);
	/* The tree owns copies of every string: the body may go now. */
	free(copy);
	return ret;
}

static int parse_str(const char *body, struct mcp_batch *b, struct mcp_error *err)
{
	return parse(body, strlen(body), b, err);
}

/* --- the bad-input corpus --------------------------------------------------- */

struct bad_case {
	const char *name;
	const char *body;
	size_t len;		/* 0: strlen(body) */
	int code;
	int http;
	const char *msg;	/* fragment of the message */
};

#define REQ(rest) "{\"jsonrpc\":\"2.0\",\"id\":1," rest "}"
#define CALL(params) REQ("\"method\":\"tools/call\",\"params\":" params)

static const struct bad_case bad_cases[] = {
	/* invalid JSON: -32700 with the offset */
	{ "empty body", "", 0, -32700, 400, "at byte 0: no JSON value (empty body)" },
	{ "blank body", " \r\n\t", 0, -32700, 400, "no JSON value (empty body)" },
	{ "truncated object", "{\"a\":1", 0, -32700, 400,
	  "at byte 6: unexpected end of input: expected ',' or '}'" },
	{ "trailing comma", "{\"a\":1,}", 0, -32700, 400,
	  "at byte 7: expected a string key, got '}' (no trailing commas in JSON)" },
	{ "trailing text", "{\"a\":1} x", 0, -32700, 400,
	  "at byte 8: unexpected text after the JSON value, got 'x'" },
	{ "two values", "{}{}", 0, -32700, 400, "at byte 2: unexpected text after the JSON value" },
	{ "trailing NUL byte", RAW("{}\0"), -32700, 400, "at byte 2: unexpected text after the "
	  "JSON value, got byte 0x00" },
	{ "raw control byte in string", "{\"a\":\"x\x01\"}", 0, -32700, 400,
	  "at byte 7: raw control byte 0x01 in a string" },
	{ "raw tab in string", "{\"a\":\"x\ty\"}", 0, -32700, 400, "raw control byte 0x09" },
	{ "raw newline in string", "{\"a\":\"x\ny\"}", 0, -32700, 400, "raw control byte 0x0a" },
	{ "vertical tab as blank", " \x0b{}", 0, -32700, 400,
	  "at byte 1: expected a JSON value, got byte 0x0b" },
	{ "bad hex in \\u", "{\"a\":\"\\u12G4\"}", 0, -32700, 400,
	  "at byte 6: invalid \\u escape in a string (needs 4 hex digits)" },
	{ "short \\u at end", "{\"a\":\"\\u12", 0, -32700, 400, "invalid \\u escape" },
	{ "lone low surrogate", "{\"a\":\"\\udc00\"}", 0, -32700, 400,
	  "unpaired UTF-16 surrogate \\udc00" },
	{ "high surrogate alone", "{\"a\":\"\\ud800x\"}", 0, -32700, 400,
	  "unpaired UTF-16 surrogate \\ud800" },
	{ "high then high", "{\"a\":\"\\ud800\\ud800\"}", 0, -32700, 400, "unpaired UTF-16" },
	{ "unknown escape", "{\"a\":\"\\q\"}", 0, -32700, 400,
	  "invalid escape in a string: backslash then 'q'" },
	{ "unterminated string", "{\"a\":\"abc", 0, -32700, 400, "at byte 5: unterminated string" },
	{ "leading zero", "{\"a\":01}", 0, -32700, 400, "at byte 5: malformed number '01'" },
	{ "bare dot", "{\"a\":1.}", 0, -32700, 400, "malformed number '1.'" },
	{ "lone minus", "{\"a\":-}", 0, -32700, 400, "malformed number '-'" },
	{ "plus sign", "{\"a\":+1}", 0, -32700, 400, "expected a JSON value, got '+'" },
	{ "huge number", "{\"a\":1e999}", 0, -32700, 400, "number '1e999' is out of range" },
	{ "long number", "{\"a\":1234567890123456789012345678901234567890123456789012345678901234}",
	  0, -32700, 400, "number longer than 63 characters" },
	{ "NaN", "{\"a\":NaN}", 0, -32700, 400, "expected a JSON value, got 'NaN'" },
	{ "misspelt literal", "{\"a\":tru}", 0, -32700, 400, "expected a JSON value, got 'tru'" },
	{ "literal run-on", "{\"a\":nullx}", 0, -32700, 400, "expected a JSON value, got 'nullx'" },
	{ "overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", 0, -32700, 400,
	  "at byte 6: invalid UTF-8 sequence" },
	{ "overlong 3-byte UTF-8", "{\"a\":\"\xe0\x80\xaf\"}", 0, -32700, 400,
	  "at byte 6: invalid UTF-8 sequence" },
	{ "overlong 4-byte UTF-8", "{\"a\":\"\xf0\x80\x80\xaf\"}", 0, -32700, 400,
	  "at byte 6: invalid UTF-8 sequence" },
	{ "UTF-8 surrogate", "{\"a\":\"\xed\xa0\x80\"}", 0, -32700, 400, "invalid UTF-8" },
	{ "UTF-8 above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", 0, -32700, 400, "invalid UTF-8" },
	{ "UTF-8 cut short", "{\"a\":\"\xe4\xb8\"}", 0, -32700, 400, "invalid UTF-8" },
	{ "stray continuation byte", "{\"a\":\"\x80\"}", 0, -32700, 400, "invalid UTF-8" },
	{ "byte outside strings", "{\"a\":1,\xc3\xa9:2}", 0, -32700, 400,
	  "expected a string key, got byte 0xc3" },
	{ "byte order mark", "\xef\xbb\xbf{}", 0, -32700, 400, "at byte 0: byte order mark" },
	{ "mismatched bracket", "{\"a\":1]", 0, -32700, 400,
	  "at byte 6: expected ',' or '}', got ']'" },
	{ "missing colon", "{\"a\" 1}", 0, -32700, 400, "expected ':' after the key, got '1'" },
	{ "number key", "{1:2}", 0, -32700, 400, "expected a string key or '}', got '1'" },
	{ "missing comma", "[1 2]", 0, -32700, 400, "expected ',' or ']', got '2'" },
	{ "single quotes", "{'a':1}", 0, -32700, 400, "got '''" },
	{ "close without open", "}", 0, -32700, 400, "expected a JSON value, got '}'" },
	{ "colon in array", "[1:2]", 0, -32700, 400, "expected ',' or ']', got ':'" },
	{ "empty value after colon", "{\"a\":}", 0, -32700, 400, "expected a JSON value, got '}'" },

	/* not a JSON-RPC message at all: -32600 for the whole body */
	{ "number body", "42", 0, -32600, 400, "must be an object or a batch" },
	{ "string body", "\"tools/call\"", 0, -32600, 400, "got \"tools/call\"" },
	{ "null body", "null", 0, -32600, 400, "got null" },
	{ "empty batch", "[]", 0, -32600, 400, "empty batch" },
	{ "too deep", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 0, -32600, 400,
	  "nested deeper than 64 levels (at byte 64)" },

	/* the envelope */
	{ "no jsonrpc", "{\"id\":1,\"method\":\"ping\"}", 0, -32600, 400,
	  "missing \"jsonrpc\": \"2.0\"" },
	{ "jsonrpc 1.0", "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", 0, -32600, 400,
	  "\"jsonrpc\" must be \"2.0\", got \"1.0\"" },
	{ "jsonrpc number", "{\"jsonrpc\":2.0,\"id\":1,\"method\":\"ping\"}", 0, -32600, 400,
	  "must be \"2.0\", got 2" },
	{ "JSONRPC upper case", "{\"JSONRPC\":\"2.0\",\"id\":1,\"method\":\"ping\"}", 0, -32600,
	  400, "missing \"jsonrpc\"" },
	{ "method not string", REQ("\"method\":5"), 0, -32600, 400,
	  "\"method\" must be a string, got 5" },
	{ "method null", REQ("\"method\":null"), 0, -32600, 400, "must be a string, got null" },
	{ "request id null", "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", 0, -32600,
	  400, "the id of a request must not be null" },
	{ "fractional id", "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", 0, -32600, 400,
	  "\"id\" must be a string or an integer, got 1.5" },
	{ "bool id", "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", 0, -32600, 400,
	  "got true" },
	{ "object id", "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", 0, -32600, 400,
	  "got an object" },
	{ "array id", "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", 0, -32600, 400,
	  "got an array" },
	{ "id beyond 2^53", "{\"jsonrpc\":\"2.0\",\"id\":9007199254740992,\"method\":\"ping\"}",
	  0, -32600, 400, "must be a string or an integer" },
	{ "params string", REQ("\"method\":\"ping\",\"params\":\"x\""), 0, -32600, 400,
	  "\"params\" must be an object or an array, got \"x\"" },
	{ "params number", REQ("\"method\":\"ping\",\"params\":5"), 0, -32600, 400,
	  "must be an object or an array, got 5" },
	{ "method and result", REQ("\"method\":\"ping\",\"result\":{}"), 0, -32600, 400,
	  "cannot have both \"method\" and \"result\"" },
	{ "method and error", REQ("\"method\":\"ping\",\"error\":{}"), 0, -32600, 400,
	  "cannot have both \"method\" and \"error\"" },
	/* a method a lenient backend could read as a known one */
	{ "method in other case", REQ("\"method\":\"Tools/Call\",\"params\":{\"name\":\"x\"}"),
	  0, -32600, 400, "could read it as one (tools/call)" },
	{ "notification prefix in other case", "{\"jsonrpc\":\"2.0\",\"method\":"
	  "\"Notifications/initialized\"}", 0, -32600, 400, "(notifications/)" },
	{ "method with a trailing space", REQ("\"method\":\"tools/call \""), 0, -32600, 400,
	  "a name with a space" },
	{ "method with a tab", REQ("\"method\":\"\\ttools/list\""), 0, -32600, 400,
	  "a name with a space" },
	{ "method with a long s (casefolds to tools/call)", REQ("\"method\":\"tool\\u017f/call\""),
	  0, -32600, 400, "non-ASCII" },
	{ "method with a Kelvin sign (lowercases to tasks/get)",
	  REQ("\"method\":\"tas\\u212as/get\""), 0, -32600, 400, "non-ASCII" },
	{ "result and error", REQ("\"result\":{},\"error\":{\"code\":1,\"message\":\"x\"}"), 0,
	  -32600, 400, "cannot have both \"result\" and \"error\"" },
	{ "neither", REQ("\"x\":1"), 0, -32600, 400,
	  "neither \"method\" (a request) nor \"result\" or \"error\"" },
	{ "result without id", "{\"jsonrpc\":\"2.0\",\"result\":{}}", 0, -32600, 400,
	  "a result needs the id of its request" },
	{ "result with null id", "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{}}", 0, -32600,
	  400, "a result needs the id" },
	{ "result not an object", REQ("\"result\":5"), 0, -32600, 400,
	  "\"result\" must be an object, got 5" },
	{ "error a string", REQ("\"error\":\"bad\""), 0, -32600, 400,
	  "\"error\" must be an object with an integer \"code\" and a string \"message\"" },
	{ "error code fractional", REQ("\"error\":{\"code\":1.5,\"message\":\"x\"}"), 0, -32600,
	  400, "integer \"code\"" },
	{ "error code string", REQ("\"error\":{\"code\":\"1\",\"message\":\"x\"}"), 0, -32600,
	  400, "integer \"code\"" },
	{ "error without message", REQ("\"error\":{\"code\":1}"), 0, -32600, 400,
	  "string \"message\"" },
	{ "error response bad id", "{\"jsonrpc\":\"2.0\",\"id\":false,\"error\":"
	  "{\"code\":1,\"message\":\"x\"}}", 0, -32600, 400, "must be a string or an integer" },

	/* duplicate keys, at any depth */
	{ "duplicate id", "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}", 0,
	  -32600, 400, "duplicate key \"id\"" },
	{ "duplicate method", REQ("\"method\":\"tools/list\",\"method\":\"tools/call\""), 0,
	  -32600, 400, "duplicate key \"method\"" },
	{ "duplicate in arguments", CALL("{\"name\":\"q\",\"arguments\":{\"sql\":\"a\",\"sql\":\"b\"}}"),
	  0, -32600, 400, "duplicate key \"sql\" in params.arguments" },
	{ "duplicate at depth 5", CALL("{\"name\":\"q\",\"arguments\":{\"a\":{\"b\":{\"c\":"
	  "{\"x\":1,\"x\":2}}}}}"), 0, -32600, 400, "duplicate key \"x\" in params.arguments.a.b.c" },
	{ "duplicate in array element", CALL("{\"name\":\"q\",\"arguments\":{\"l\":[{},"
	  "{\"k\":1,\"k\":1}]}}"), 0, -32600, 400, "duplicate key \"k\" in params.arguments.l[1]" },
	{ "duplicate in params", CALL("{\"name\":\"q\",\"name\":\"r\"}"), 0, -32600, 400,
	  "duplicate key \"name\" in params" },
	{ "duplicate spelt with \\u", CALL("{\"name\":\"q\",\"arguments\":{\"a\":1,\"\\u0061\":2}}"),
	  0, -32600, 400, "duplicate key \"a\" in params.arguments" },
	{ "duplicate in a big object", CALL("{\"name\":\"q\",\"arguments\":{\"k01\":1,\"k02\":1,"
	  "\"k03\":1,\"k04\":1,\"k05\":1,\"k06\":1,\"k07\":1,\"k08\":1,\"k09\":1,\"k10\":1,"
	  "\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,\"k16\":1,\"k17\":1,\"k09\":1}}"),
	  0, -32600, 400, "duplicate key \"k09\" in params.arguments" },
	{ "duplicate with odd key name", CALL("{\"name\":\"q\",\"arguments\":{\"a.b\":{\"z\":1,"
	  "\"z\":1}}}"), 0, -32600, 400, "duplicate key \"z\" in params.arguments[\"a.b\"]" },

	/* duplicates apart, not side by side: every pair is compared, in small
	 * objects (pairwise) and big ones (sorted) */
	{ "duplicate first and last of 3", CALL("{\"name\":\"run_query\",\"arguments\":{},"
	  "\"name\":\"drop_db\"}"), 0, -32600, 400, "duplicate key \"name\" in params" },
	{ "duplicate first and last of 16", CALL("{\"name\":\"q\",\"arguments\":{\"k01\":1,"
	  "\"k02\":1,\"k03\":1,\"k04\":1,\"k05\":1,\"k06\":1,\"k07\":1,\"k08\":1,\"k09\":1,"
	  "\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,\"k01\":2}}"),
	  0, -32600, 400, "duplicate key \"k01\" in params.arguments" },
	{ "duplicate first and last of 17", CALL("{\"name\":\"q\",\"arguments\":{\"k01\":1,"
	  "\"k02\":1,\"k03\":1,\"k04\":1,\"k05\":1,\"k06\":1,\"k07\":1,\"k08\":1,\"k09\":1,"
	  "\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,\"k16\":1,"
	  "\"k01\":2}}"), 0, -32600, 400, "duplicate key \"k01\" in params.arguments" },
	{ "duplicate apart, nested", CALL("{\"name\":\"q\",\"arguments\":{\"a\":{\"b\":"
	  "{\"x\":1,\"y\":2,\"z\":3,\"x\":4}}}}"), 0, -32600, 400,
	  "duplicate key \"x\" in params.arguments.a.b" },
	{ "duplicate apart at the top", "{\"jsonrpc\":\"2.0\",\"method\":\"tools/list\",\"id\":1,"
	  "\"method\":\"tools/call\"}", 0, -32600, 400, "duplicate key \"method\"" },

	/* keys one name to Go's encoding/json (ASCII case, U+017F, U+212A,
	 * U+0130, U+0131): the backend reads the last, cJSON the exact one */
	{ "Name beside name", CALL("{\"name\":\"get_pricing\",\"Name\":\"update_account\"}"), 0,
	  -32600, 400, "keys \"name\" and \"Name\" in params differ only in case" },
	{ "Method beside method", "{\"jsonrpc\":\"2.0\",\"id\":1,\"Method\":\"tools/call\","
	  "\"method\":\"ping\"}", 0, -32600, 400,
	  "keys \"Method\" and \"method\" differ only in case" },
	{ "JSONRPC beside jsonrpc", "{\"jsonrpc\":\"2.0\",\"JSONRPC\":\"1.0\",\"id\":1,"
	  "\"method\":\"ping\"}", 0, -32600, 400, "differ only in case" },
	{ "case twins apart in arguments", CALL("{\"name\":\"q\",\"arguments\":{\"sql\":\"a\","
	  "\"limit\":1,\"SQL\":\"b\"}}"), 0, -32600, 400,
	  "keys \"sql\" and \"SQL\" in params.arguments differ only in case" },
	{ "case twins in a big object", CALL("{\"name\":\"q\",\"arguments\":{\"k01\":1,"
	  "\"k02\":1,\"k03\":1,\"k04\":1,\"k05\":1,\"k06\":1,\"k07\":1,\"k08\":1,\"k09\":1,"
	  "\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,\"k16\":1,"
	  "\"K09\":2}}"), 0, -32600, 400, "\"K09\" in params.arguments differ only in case" },
	{ "long s (U+017F) beside s", CALL("{\"name\":\"q\",\"arguments\":{\"ask\":1,"
	  "\"a\u017fk\":2}}"), 0, -32600, 400,
	  "keys \"ask\" and \"a\\xc5\\xbfk\" in params.arguments differ only in case" },
	{ "Kelvin sign (U+212A) beside k", CALL("{\"name\":\"q\",\"arguments\":{\"kind\":1,"
	  "\"\xe2\x84\xaaind\":2}}"), 0, -32600, 400, "differ only in case" },
	{ "dotted I (U+0130) beside i", CALL("{\"name\":\"q\",\"arguments\":{\"id\":1,"
	  "\"\u0130D\":2}}"), 0, -32600, 400, "differ only in case" },
	{ "dotless i (U+0131) beside I", CALL("{\"name\":\"q\",\"arguments\":{\"\u0131\":1,"
	  "\"I\":2}}"), 0, -32600, 400, "differ only in case" },
	{ "non-ASCII case twins", CALL("{\"name\":\"q\",\"arguments\":{\"\u00e9t\u00e9\":1,"
	  "\"\u00c9T\u00c9\":2}}"), 0, -32600, 400, "differ only in case" },
	{ "Kelvin beside K in a big object", CALL("{\"name\":\"q\",\"arguments\":{\"k01\":1,"
	  "\"k02\":1,\"k03\":1,\"k04\":1,\"k05\":1,\"k06\":1,\"k07\":1,\"k08\":1,\"k09\":1,"
	  "\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,\"k16\":1,"
	  "\"\u212a16\":2}}"), 0, -32600, 400, "differ only in case" },

	/* a member the gateway reads, spelt some other way: the gateway does
	 * not see it, a Go backend does */
	{ "Params instead of params", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\","
	  "\"Params\":{\"cursor\":\"x\"}}", 0, -32600, 400,
	  "member \"Params\" is spelt like \"params\" but not exactly" },
	{ "dotless-i id (U+0131)", "{\"jsonrpc\":\"2.0\",\"\u0131d\":1,\"method\":\"ping\"}", 0,
	  -32600, 400, "member \"\\xc4\\xb1d\" is spelt like \"id\"" },
	{ "Kelvin in a params member", REQ("\"method\":\"tools/call\",\"params\":{\"name\":\"q\","
	  "\"\u212aind\":1,\"_meta\":{\"progre\u017fsToken\":1}}"), 0, -32600, 400,
	  "member \"progre\\xc5\\xbfsToken\" in params._meta is spelt like \"progressToken\"" },
	{ "Arguments instead of arguments", CALL("{\"name\":\"q\",\"Arguments\":{\"sql\":1}}"),
	  0, -32600, 400, "member \"Arguments\" in params is spelt like \"arguments\"" },
	{ "NAME instead of name", REQ("\"method\":\"prompts/get\",\"params\":{\"NAME\":\"p\"}"),
	  0, -32600, 400, "member \"NAME\" in params is spelt like \"name\"" },
	{ "URI instead of uri", REQ("\"method\":\"resources/read\",\"params\":{\"uri\":\"a\","
	  "\"_META\":{}}"), 0, -32600, 400, "member \"_META\" in params is spelt like \"_meta\"" },
	{ "Message in an error", REQ("\"error\":{\"code\":1,\"message\":\"x\",\"Data\":1}"), 0,
	  -32600, 400, "member \"Data\" in error is spelt like \"data\"" },
	{ "clientInfo Name", REQ("\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
	  "\"2025-06-18\",\"clientInfo\":{\"Name\":\"x\",\"version\":\"1\"}}"), 0, -32600, 400,
	  "member \"Name\" in params.clientInfo is spelt like \"name\"" },

	/* NUL (\u0000): cJSON stops reading there, the backend does not */
	{ "NUL in method", REQ("\"method\":\"tools/list\\u0000x\""), 0, -32600, 400,
	  "NUL (\\u0000) in method name" },
	{ "NUL in tool name", CALL("{\"name\":\"get\\u0000_secrets\"}"), 0, -32600, 400,
	  "NUL (\\u0000) in tool name" },
	{ "NUL then another \\u escape in a tool name", CALL("{\"name\":"
	  "\"get\\u0000_secrets\\u0021\"}"), 0, -32600, 400, "NUL (\\u0000) in tool name" },
	{ "NUL then a surrogate pair in a method", REQ("\"method\":\"tools/list\\u0000x"
	  "\\ud83d\\ude00\""), 0, -32600, 400, "NUL (\\u0000) in method name" },
	{ "NUL then \\u0041 in a key", CALL("{\"name\":\"q\",\"arguments\":{\"a\\u0000b"
	  "\\u0041\":1}}"), 0, -32600, 400, "NUL (\\u0000) in object key \"a\" in params.arguments" },
	{ "NUL then \\n in an argument", CALL("{\"name\":\"q\",\"arguments\":{\"sql\":"
	  "\"SELECT 1\\u0000; DROP\\u0020TABLE\\n\"}}"), 0, -32600, 400,
	  "NUL (\\u0000) in the string at params.arguments.sql" },
	{ "NUL in resource uri", REQ("\"method\":\"resources/read\",\"params\":"
	  "{\"uri\":\"file:///ok\\u0000/../etc/shadow\"}"), 0, -32600, 400,
	  "NUL (\\u0000) in resource uri" },
	{ "NUL in subscribe uri", REQ("\"method\":\"resources/subscribe\",\"params\":"
	  "{\"uri\":\"x\\u0000\"}"), 0, -32600, 400, "NUL (\\u0000) in resource uri" },
	{ "NUL in prompt name", REQ("\"method\":\"prompts/get\",\"params\":"
	  "{\"name\":\"p\\u0000q\"}"), 0, -32600, 400, "NUL (\\u0000) in prompt name" },
	{ "NUL in a key", CALL("{\"name\":\"q\",\"arguments\":{\"sql\\u0000x\":1}}"), 0, -32600,
	  400, "NUL (\\u0000) in object key \"sql\" in params.arguments" },
	{ "NUL in a top-level key", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\\u0000\":\"ping\"}", 0,
	  -32600, 400, "NUL (\\u0000) in object key \"method\"" },
	{ "NUL key beats duplicate", CALL("{\"name\":\"q\",\"arguments\":{\"a\\u0000b\":1,"
	  "\"a\":2}}"), 0, -32600, 400, "NUL (\\u0000) in object key \"a\"" },
	{ "NUL in an argument value", CALL("{\"name\":\"q\",\"arguments\":{\"sql\":"
	  "\"SELECT 1\\u0000; DROP TABLE users\"}}"), 0, -32600, 400,
	  "NUL (\\u0000) in the string at params.arguments.sql" },
	{ "NUL in an array value", CALL("{\"name\":\"q\",\"arguments\":{\"l\":[\"a\",\"b\","
	  "\"\\u0000\"]}}"), 0, -32600, 400, "in the string at params.arguments.l[2]" },
	{ "NUL in id", "{\"jsonrpc\":\"2.0\",\"id\":\"a\\u0000b\",\"method\":\"ping\"}", 0,
	  -32600, 400, "NUL (\\u0000) in id" },
	{ "NUL in jsonrpc", "{\"jsonrpc\":\"2.0\\u0000\",\"id\":1,\"method\":\"ping\"}", 0,
	  -32600, 400, "NUL (\\u0000) in the string at jsonrpc" },
	{ "NUL in a result", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":"
	  "\"text\",\"text\":\"ok\\u0000sk-live-123\"}]}}", 0, -32600, 400,
	  "in the string at result.content[0].text" },
	{ "NUL in params.name of tools/list", REQ("\"method\":\"tools/list\",\"params\":"
	  "{\"name\":\"\\u0000\"}"), 0, -32600, 400, "in the string at params.name" },

	/* MCP methods whose params are required: -32602 */
	{ "tools/call without params", REQ("\"method\":\"tools/call\""), 0, -32602, 400,
	  "tools/call needs \"params\" (an object)" },
	{ "tools/call params array", CALL("[\"q\"]"), 0, -32602, 400, "needs \"params\"" },
	{ "tools/call without name", CALL("{\"arguments\":{}}"), 0, -32602, 400,
	  "tools/call needs params.name (a string)" },
	{ "tools/call name number", CALL("{\"name\":5}"), 0, -32602, 400,
	  "params.name (a string), got 5" },
	{ "tools/call arguments array", CALL("{\"name\":\"q\",\"arguments\":[1]}"), 0, -32602,
	  400, "params.arguments of tools/call must be an object, got an array" },
	{ "tools/call arguments null", CALL("{\"name\":\"q\",\"arguments\":null}"), 0, -32602,
	  400, "must be an object, got null" },
	{ "tools/call notification", "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\"}", 0,
	  -32602, 400, "tools/call needs \"params\"" },
	{ "resources/read without uri", REQ("\"method\":\"resources/read\",\"params\":{}"), 0,
	  -32602, 400, "resources/read needs params.uri (a string)" },
	{ "prompts/get name object", REQ("\"method\":\"prompts/get\",\"params\":{\"name\":{}}"),
	  0, -32602, 400, "prompts/get needs params.name (a string), got an object" },
	{ "initialize without params", REQ("\"method\":\"initialize\""), 0, -32602, 400,
	  "initialize needs \"params\"" },
	{ "_meta not an object", REQ("\"method\":\"ping\",\"params\":{\"_meta\":[]}"), 0, -32602,
	  400, "params._meta must be an object, got an array" },
	{ "progressToken bool", REQ("\"method\":\"ping\",\"params\":{\"_meta\":"
	  "{\"progressToken\":true}}"), 0, -32602, 400,
	  "progressToken must be a string or a number, got true" },
};

static void test_bad_cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct mcp_batch b;
		struct mcp_error err;
		char name[128];
		int ret;

		snprintf(name, sizeof(name), "refused: %s", c->name);
		TEST_CASE(name) {
			ret = parse(c->body, c->len ? c->len : strlen(c->body), &b, &err);
			CHECK(ret == -EINVAL, "ret %d", ret);
			CHECK(err.code == c->code, "code %d, want %d (%s)", err.code, c->code,
			      err.message);
			CHECK(err.http_status == c->http, "http %d", err.http_status);
			CHECK(strstr(err.message, c->msg), "message \"%s\", want \"%s\"",
			      err.message, c->msg);
			mcp_batch_free(&b);
		}
	}
}

/* A refused single message still says which id to answer. */
static void test_refused_ids(void)
{
	struct mcp_batch b;
	struct mcp_error err;
	int ret;

	TEST_CASE("refused message keeps its id") {
		ret = parse_str("{\"jsonrpc\":\"2.0\",\"id\":\"req-7\",\"method\":5}", &b, &err);
		CHECK(ret == -EINVAL && b.n == 1, "ret %d n %zu", ret, b.n);
		CHECK(b.n == 1 && cJSON_IsString(b.msgs[0].id) &&
		      !strcmp(b.msgs[0].id->valuestring, "req-7"), "id");
		CHECK(b.n == 1 && b.msgs[0].kind == MCP_INVALID && !b.msgs[0].method, "cleared");
		mcp_batch_free(&b);
	}
	TEST_CASE("refused message with duplicate ids answers null") {
		ret = parse_str("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}", &b, &err);
		CHECK(ret == -EINVAL && b.n == 1 && !b.msgs[0].id, "ret %d", ret);
		mcp_batch_free(&b);
	}
	TEST_CASE("refused message with a bad id answers null") {
		ret = parse_str("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", &b, &err);
		CHECK(ret == -EINVAL && b.n == 1 && !b.msgs[0].id, "ret %d", ret);
		mcp_batch_free(&b);
	}
	TEST_CASE("invalid JSON has no message") {
		ret = parse_str("{\"id\":1,", &b, &err);
		CHECK(ret == -EINVAL && b.n == 0 && !b.root, "ret %d n %zu", ret, b.n);
		mcp_batch_free(&b);
	}
}

/* --- valid messages ------------------------------------------------------------ */

struct good_case {
	const char *name;
	const char *body;
	enum mcp_kind kind;
	const char *method;		/* NULL: none */
	enum mcp_method method_id;
	const char *tool, *uri, *prompt;
	const char *id;			/* the id as printed; NULL: none */
};

static const struct good_case good_cases[] = {
	{ "initialize", "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
	  "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":"
	  "\"claude-ai\",\"version\":\"0.1.0\"}}}", MCP_REQUEST, "initialize", MCP_M_INITIALIZE,
	  NULL, NULL, NULL, "0" },
	{ "initialized notification", "{\"jsonrpc\":\"2.0\",\"method\":"
	  "\"notifications/initialized\"}", MCP_NOTIFICATION, "notifications/initialized",
	  MCP_M_NOTIFICATION, NULL, NULL, NULL, NULL },
	{ "cancelled notification", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	  "\"params\":{\"requestId\":3}}", MCP_NOTIFICATION, "notifications/cancelled",
	  MCP_M_NOTIFICATION, NULL, NULL, NULL, NULL },
	{ "ping", "{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"ping\"}", MCP_REQUEST, "ping",
	  MCP_M_PING, NULL, NULL, NULL, "\"p1\"" },
	{ "tools/list with cursor", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\","
	  "\"params\":{\"cursor\":\"abc\"}}", MCP_REQUEST, "tools/list", MCP_M_TOOLS_LIST,
	  NULL, NULL, NULL, "2" },
	{ "tools/call", "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
	  "{\"name\":\"run_query\",\"arguments\":{\"sql\":\"SELECT 1\",\"limit\":10},\"_meta\":"
	  "{\"progressToken\":\"t-1\"}}}", MCP_REQUEST, "tools/call", MCP_M_TOOLS_CALL,
	  "run_query", NULL, NULL, "3" },
	{ "tools/call without arguments", "{\"jsonrpc\":\"2.0\",\"id\":-4,\"method\":"
	  "\"tools/call\",\"params\":{\"name\":\"get_pricing\"}}", MCP_REQUEST, "tools/call",
	  MCP_M_TOOLS_CALL, "get_pricing", NULL, NULL, "-4" },
	{ "resources/list", "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/list\"}",
	  MCP_REQUEST, "resources/list", MCP_M_RESOURCES_LIST, NULL, NULL, NULL, "5" },
	{ "resources/templates/list", "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":"
	  "\"resources/templates/list\",\"params\":{}}", MCP_REQUEST, "resources/templates/list",
	  MCP_M_RESOURCES_TEMPLATES_LIST, NULL, NULL, NULL, "5" },
	{ "resources/read", "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"resources/read\","
	  "\"params\":{\"uri\":\"file:///reports/q3.csv\"}}", MCP_REQUEST, "resources/read",
	  MCP_M_RESOURCES_READ, NULL, "file:///reports/q3.csv", NULL, "6" },
	{ "resources/subscribe", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
	  "\"resources/subscribe\",\"params\":{\"uri\":\"db://t\"}}", MCP_REQUEST,
	  "resources/subscribe", MCP_M_RESOURCES_SUBSCRIBE, NULL, "db://t", NULL, "7" },
	{ "prompts/list", "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"prompts/list\"}",
	  MCP_REQUEST, "prompts/list", MCP_M_PROMPTS_LIST, NULL, NULL, NULL, "8" },
	{ "prompts/get", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"prompts/get\",\"params\":"
	  "{\"name\":\"summarise\",\"arguments\":{\"style\":\"short\"}}}", MCP_REQUEST,
	  "prompts/get", MCP_M_PROMPTS_GET, NULL, NULL, "summarise", "9" },
	{ "completion/complete", "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":"
	  "\"completion/complete\",\"params\":{\"ref\":{},\"argument\":{}}}", MCP_REQUEST,
	  "completion/complete", MCP_M_COMPLETION_COMPLETE, NULL, NULL, NULL, "10" },
	{ "logging/setLevel", "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"logging/setLevel\","
	  "\"params\":{\"level\":\"info\"}}", MCP_REQUEST, "logging/setLevel",
	  MCP_M_LOGGING_SET_LEVEL, NULL, NULL, NULL, "11" },
	{ "server/discover", "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"server/discover\"}",
	  MCP_REQUEST, "server/discover", MCP_M_SERVER_DISCOVER, NULL, NULL, NULL, "12" },
	{ "sampling (server to client)", "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":"
	  "\"sampling/createMessage\",\"params\":{\"messages\":[]}}", MCP_REQUEST,
	  "sampling/createMessage", MCP_M_SAMPLING_CREATE_MESSAGE, NULL, NULL, NULL, "13" },
	{ "elicitation (server to client)", "{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":"
	  "\"elicitation/create\",\"params\":{}}", MCP_REQUEST, "elicitation/create",
	  MCP_M_ELICITATION_CREATE, NULL, NULL, NULL, "14" },
	{ "roots/list (server to client)", "{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":"
	  "\"roots/list\"}", MCP_REQUEST, "roots/list", MCP_M_ROOTS_LIST, NULL, NULL, NULL, "15" },
	{ "unknown method, array params", "{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":"
	  "\"x/custom\",\"params\":[1,2]}", MCP_REQUEST, "x/custom", MCP_M_OTHER,
	  NULL, NULL, NULL, "16" },
	{ "largest safe id", "{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,\"method\":\"ping\"}",
	  MCP_REQUEST, "ping", MCP_M_PING, NULL, NULL, NULL, "9007199254740991" },
	{ "result", "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\","
	  "\"text\":\"42\"}]}}", MCP_RESPONSE, NULL, MCP_M_OTHER, NULL, NULL, NULL, "3" },
	{ "error with null id", "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
	  "\"message\":\"Parse error\"}}", MCP_ERROR_RESPONSE, NULL, MCP_M_OTHER,
	  NULL, NULL, NULL, NULL },
	{ "error without id (2026-07-28)", "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32020,"
	  "\"message\":\"Header mismatch\",\"data\":{\"h\":1}}}", MCP_ERROR_RESPONSE, NULL,
	  MCP_M_OTHER, NULL, NULL, NULL, NULL },
	{ "error with id", "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"error\":{\"code\":-32601,"
	  "\"message\":\"Method not found\"}}", MCP_ERROR_RESPONSE, NULL, MCP_M_OTHER,
	  NULL, NULL, NULL, "\"a\"" },
	{ "keys that differ beyond case are distinct", "{\"jsonrpc\":\"2.0\",\"id\":1,"
	  "\"method\":\"tools/call\",\"params\":{\"name\":\"n\",\"names\":1,\"arguments\":"
	  "{\"e\":1,\"\u00e9\":2,\"ss\":3,\"\u00df\":4,\"i\":5,\"j\":6,\"s\":7,\"\u00c5\":8}}}",
	  MCP_REQUEST, "tools/call", MCP_M_TOOLS_CALL, "n", NULL, NULL, "1" },
	{ "camelCase members spelt exactly", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	  "\"tools/call\",\"params\":{\"name\":\"n\",\"_meta\":{\"progressToken\":1},"
	  "\"arguments\":{\"userId\":1,\"userID2\":2}}}", MCP_REQUEST, "tools/call",
	  MCP_M_TOOLS_CALL, "n", NULL, NULL, "1" },
	{ "escaped backslash before u0000 is no NUL", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	  "\"tools/call\",\"params\":{\"name\":\"a\\\\u0000\"}}", MCP_REQUEST, "tools/call",
	  MCP_M_TOOLS_CALL, "a\\u0000", NULL, NULL, "1" },
	{ "surrogate pair and raw UTF-8", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	  "\"params\":{\"name\":\"h\xc3\xa9llo \xe4\xb8\x96 \\ud83d\\ude00 \xf0\x9f\x98\x80\"}}",
	  MCP_REQUEST, "tools/call", MCP_M_TOOLS_CALL,
	  "h\xc3\xa9llo \xe4\xb8\x96 \xf0\x9f\x98\x80 \xf0\x9f\x98\x80", NULL, NULL, "1" },
	{ "blanks around", "\r\n {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} \n",
	  MCP_REQUEST, "ping", MCP_M_PING, NULL, NULL, NULL, "1" },
	{ "numbers of every spelling", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	  "\"params\":{\"name\":\"n\",\"arguments\":{\"a\":[0,-0,1.5,-2e3,3E+2,4e-2,0.0]}}}",
	  MCP_REQUEST, "tools/call", MCP_M_TOOLS_CALL, "n", NULL, NULL, "1" },
};

/* The body of the good case called @name. */
static const char *good(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(good_cases); i++)
		if (!strcmp(good_cases[i].name, name))
			return good_cases[i].body;
	abort();
}

static bool id_is(const cJSON *id, const char *want)
{
	char *text;
	bool same;

	if (!want || !id)
		return !want && !id;
	text = mcp_id_json(id);
	same = text && !strcmp(text, want);
	cJSON_free(text);
	return same;
}

static bool str_is(const char *got, const char *want)
{
	return want ? got && !strcmp(got, want) : !got;
}

static void test_good_cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(good_cases); i++) {
		const struct good_case *c = &good_cases[i];
		const struct mcp_msg *m;
		struct mcp_batch b;
		struct mcp_error err;
		char name[128];
		int ret;

		snprintf(name, sizeof(name), "valid: %s", c->name);
		TEST_CASE(name) {
			ret = parse_str(c->body, &b, &err);
			CHECK(ret == 0 && b.n == 1 && !b.is_batch, "ret %d: %s", ret, err.message);
			if (ret || b.n != 1) {
				mcp_batch_free(&b);
				continue;
			}
			m = &b.msgs[0];
			CHECK(m->kind == c->kind, "kind %d", m->kind);
			CHECK(str_is(m->method, c->method), "method %s", m->method);
			CHECK((m->info ? m->info->id : MCP_M_OTHER) == c->method_id, "method id");
			CHECK(str_is(m->tool, c->tool), "tool %s", m->tool);
			CHECK(str_is(m->uri, c->uri), "uri %s", m->uri);
			CHECK(str_is(m->prompt, c->prompt), "prompt %s", m->prompt);
			CHECK(id_is(m->id, c->id), "id");
			CHECK(m->err.code == 0, "err %d", m->err.code);
			mcp_batch_free(&b);
		}
	}
}

static void test_message_fields(void)
{
	struct mcp_batch b;
	struct mcp_error err;
	const struct mcp_msg *m;

	TEST_CASE("tools/call exposes arguments and progress token") {
		CHECK(!parse_str(good("tools/call"), &b, &err), "%s", err.message);
		m = &b.msgs[0];
		CHECK(cJSON_IsObject(m->arguments) &&
		      cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m->arguments, "limit")), "args");
		CHECK(cJSON_IsString(m->progress_token) &&
		      !strcmp(m->progress_token->valuestring, "t-1"), "progress token");
		CHECK(cJSON_IsObject(m->params) && m->json == b.root, "params/json");
		mcp_batch_free(&b);
	}
	TEST_CASE("responses expose result and error") {
		CHECK(!parse_str(good("result"), &b, &err), "%s", err.message);
		CHECK(cJSON_IsObject(b.msgs[0].result) && !b.msgs[0].error, "result");
		mcp_batch_free(&b);
		CHECK(!parse_str(good("error with id"), &b, &err), "%s", err.message);
		CHECK(cJSON_IsObject(b.msgs[0].error) && !b.msgs[0].result, "error");
		mcp_batch_free(&b);
	}
}

/* Builds {"jsonrpc":"2.0","method":"x","params":{"a":{"a":...{}}}} @levels deep. */
static char *nested_body(int levels)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":";
	size_t len = sizeof(head) + 6 * (size_t)levels + 8;
	char *s = malloc(len), *p = s;

	p += sprintf(p, "%s", head);
	for (int i = 2; i < levels; i++)
		p += sprintf(p, "{\"a\":");
	p += sprintf(p, "{}");
	for (int i = 2; i < levels; i++)
		*p++ = '}';
	sprintf(p, "}");
	return s;
}

static void test_limits(void)
{
	struct mcp_batch b;
	struct mcp_error err;
	char *body;
	int ret;

	TEST_CASE("nesting of exactly 64 levels is accepted") {
		body = nested_body(MCP_MAX_DEPTH);
		ret = parse_str(body, &b, &err);
		CHECK(ret == 0 && b.msgs[0].kind == MCP_NOTIFICATION, "ret %d: %s", ret, err.message);
		mcp_batch_free(&b);
		free(body);
	}
	TEST_CASE("nesting of 65 levels is refused") {
		body = nested_body(MCP_MAX_DEPTH + 1);
		ret = parse_str(body, &b, &err);
		CHECK(ret == -EINVAL && err.code == -32600 &&
		      strstr(err.message, "nested deeper than 64 levels"), "%d %s", ret, err.message);
		mcp_batch_free(&b);
		free(body);
	}
	for (int n = MCP_MAX_BATCH; n <= MCP_MAX_BATCH + 1; n++) {
		static const char ping[] = "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1},";
		size_t len = 2 + (size_t)n * (sizeof(ping) - 1);
		char name[64];

		body = malloc(len + 1);
		body[0] = '[';
		for (int i = 0; i < n; i++)
			memcpy(body + 1 + (size_t)i * (sizeof(ping) - 1), ping, sizeof(ping) - 1);
		body[len - 2] = ']';
		body[len - 1] = '\0';
		snprintf(name, sizeof(name), "batch of %d elements", n);
		TEST_CASE(name) {
			ret = parse(body, len - 1, &b, &err);
			if (n == MCP_MAX_BATCH)
				CHECK(ret == 0 && b.n == (size_t)n && b.msgs[n - 1].kind == MCP_REQUEST,
				      "ret %d: %s", ret, err.message);
			else
				CHECK(ret == -EINVAL && err.code == -32600 &&
				      strstr(err.message, "batch of 1025 messages (the limit is 1024)"),
				      "ret %d: %s", ret, err.message);
			mcp_batch_free(&b);
		}
		free(body);
	}
}

/* --- batches ------------------------------------------------------------------------ */

struct batch_expect {
	enum mcp_kind kind;
	int code;		/* 0 for valid elements */
	const char *msg;	/* fragment of the element's message */
	const char *id;		/* id to answer with */
};

static void check_batch(const char *name, const char *body, const struct batch_expect *want,
			size_t n)
{
	struct mcp_batch b;
	struct mcp_error err;
	int ret;

	TEST_CASE(name) {
		ret = parse_str(body, &b, &err);
		CHECK(ret == 0 && b.is_batch && b.n == n, "ret %d n %zu: %s", ret, b.n, err.message);
		for (size_t i = 0; !ret && i < n && i < b.n; i++) {
			const struct mcp_msg *m = &b.msgs[i];

			CHECK(m->kind == want[i].kind, "element %zu kind %d", i, m->kind);
			CHECK(m->err.code == want[i].code, "element %zu code %d (%s)", i, m->err.code,
			      m->err.message);
			CHECK(!want[i].msg || strstr(m->err.message, want[i].msg),
			      "element %zu message \"%s\"", i, m->err.message);
			CHECK(id_is(m->id, want[i].id), "element %zu id", i);
		}
		mcp_batch_free(&b);
	}
}

static void test_batches(void)
{
	static const struct batch_expect mixed[] = {
		{ MCP_REQUEST, 0, NULL, "1" },
		{ MCP_INVALID, -32600, "must be an object, got 1", NULL },
		{ MCP_INVALID, -32600, "neither \"method\"", NULL },
		{ MCP_NOTIFICATION, 0, NULL, NULL },
		{ MCP_INVALID, -32600, "duplicate key \"q\" in params.arguments", "5" },
		{ MCP_INVALID, -32600, "NUL (\\u0000) in tool name", "6" },
		{ MCP_INVALID, -32600, "\"method\" must be a string", "7" },
		{ MCP_RESPONSE, 0, NULL, "8" },
		{ MCP_INVALID, -32602, "tools/call needs params.name", "\"nine\"" },
	};
	static const struct batch_expect numbers[] = {
		{ MCP_INVALID, -32600, "got 1", NULL },
		{ MCP_INVALID, -32600, "got 2", NULL },
		{ MCP_INVALID, -32600, "got 3", NULL },
	};
	/* Strings inside refused elements still count: the NULs after them
	 * must land on the right strings. */
	static const struct batch_expect alignment[] = {
		{ MCP_INVALID, -32600, "got \"x\"", NULL },
		{ MCP_INVALID, -32600, "got an array", NULL },
		{ MCP_REQUEST, 0, NULL, "1" },
		{ MCP_INVALID, -32600, "NUL (\\u0000) in the string at params.arguments.b", "2" },
		{ MCP_REQUEST, 0, NULL, "3" },
		{ MCP_INVALID, -32600, "NUL (\\u0000) in method name", "4" },
	};
	struct mcp_batch b;
	struct mcp_error err;
	int ret;

	check_batch("batch mixing valid and invalid elements",
		    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"},"
		    "1,"
		    "{\"jsonrpc\":\"2.0\"},"
		    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"},"
		    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"q\","
		    "\"arguments\":{\"q\":1,\"q\":2}}},"
		    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":"
		    "{\"name\":\"a\\u0000b\"}},"
		    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":[]},"
		    "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":{}},"
		    "{\"jsonrpc\":\"2.0\",\"id\":\"nine\",\"method\":\"tools/call\",\"params\":{}}]",
		    mixed, ARRAY_SIZE(mixed));
	check_batch("batch of numbers", "[1,2,3]", numbers, ARRAY_SIZE(numbers));
	check_batch("NULs after refused elements land right",
		    "[\"x\\u0000\",[\"y\",{\"z\\u0000\":\"w\"}],"
		    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"a\","
		    "\"arguments\":{\"a\":\"fine\"}}},"
		    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"a\","
		    "\"arguments\":{\"a\":\"fine\",\"b\":\"x\\u0000y\"}}},"
		    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"},"
		    "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\\u0000\"}]",
		    alignment, ARRAY_SIZE(alignment));
	TEST_CASE("batch with invalid JSON is one parse error") {
		ret = parse_str("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},{\"id\":]", &b, &err);
		CHECK(ret == -EINVAL && err.code == -32700 && b.n == 0 &&
		      strstr(err.message, "at byte 48: expected a JSON value, got ']'"),
		      "ret %d: %s", ret, err.message);
		mcp_batch_free(&b);
	}
	TEST_CASE("batch of one is still a batch") {
		ret = parse_str("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", &b, &err);
		CHECK(ret == 0 && b.is_batch && b.n == 1 && b.msgs[0].kind == MCP_REQUEST,
		      "ret %d", ret);
		mcp_batch_free(&b);
	}
}

/* --- mirrored headers (MCP 2026-07-28) ------------------------------------------------ */

struct hdr_case {
	const char *name;
	const char *body;
	const char *hdrs[8];	/* "Name: value" pairs, NULL-terminated */
	bool bindings;		/* use the bindings of param_schema */
	unsigned int flags;
	int ret;
	const char *msg;	/* fragment of the message when refused */
};

#define TOOLS_CALL_ARGS(args) "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"," \
	"\"params\":{\"name\":\"get_weather\",\"arguments\":" args "}}"
#define WEATHER TOOLS_CALL_ARGS("{\"region\":\"us-west1\"}")
#define VERSIONED "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":" \
	"{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}"
#define EXEC TOOLS_CALL_ARGS("{\"region\":\"us-west1\",\"count\":42,\"dry\":true," \
	"\"opts\":{\"tenant\":\"Gr\xc3\xbc\xc3\x9f" "e, \xe4\xb8\x96\xe7\x95\x8c\"},\"note\":null}")

static const char param_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"region\":{\"type\":\"string\",\"x-mcp-header\":\"Region\"},"
	"\"count\":{\"type\":\"integer\",\"x-mcp-header\":\"Count\"},"
	"\"dry\":{\"type\":\"boolean\",\"x-mcp-header\":\"Dry-Run\"},"
	"\"note\":{\"type\":\"string\",\"x-mcp-header\":\"Note\"},"
	"\"opts\":{\"type\":\"object\",\"properties\":{"
	"\"tenant\":{\"type\":\"string\",\"x-mcp-header\":\"Tenant\"}}},"
	"\"query\":{\"type\":\"string\",\"default\":{\"x-mcp-header\":\"Ignored\"}}}}";

static const struct hdr_case hdr_cases[] = {
	{ "no headers", WEATHER, { NULL }, false, 0, 0, NULL },
	{ "method and name match", WEATHER, { "Mcp-Method: tools/call",
	  "Mcp-Name: get_weather", NULL }, false, 0, 0, NULL },
	{ "header names ignore case", WEATHER, { "mcp-method: tools/call",
	  "MCP-NAME: get_weather", NULL }, false, 0, 0, NULL },
	{ "method mismatch", WEATHER, { "Mcp-Method: tools/list", NULL }, false, 0, -EINVAL,
	  "Mcp-Method header \"tools/list\" does not match method \"tools/call\"" },
	{ "method values are case-sensitive", WEATHER, { "Mcp-Method: Tools/Call", NULL }, false,
	  0, -EINVAL, "does not match method" },
	{ "method is never base64", WEATHER, { "Mcp-Method: =?base64?dG9vbHMvY2FsbA==?=", NULL },
	  false, 0, -EINVAL, "does not match method" },
	{ "name mismatch", WEATHER, { "Mcp-Name: get_pricing", NULL }, false, 0, -EINVAL,
	  "Mcp-Name header \"get_pricing\" does not match params.name \"get_weather\"" },
	/* whole values compare, not a prefix: either way round */
	{ "name header a prefix of the tool", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	  "\"tools/call\",\"params\":{\"name\":\"get_weather_admin\"}}",
	  { "Mcp-Name: get_weather", NULL }, false, 0, -EINVAL,
	  "Mcp-Name header \"get_weather\" does not match params.name \"get_weather_admin\"" },
	{ "tool a prefix of the name header", WEATHER, { "Mcp-Name: get_weather_admin", NULL },
	  false, 0, -EINVAL, "\"get_weather_admin\" does not match params.name \"get_weather\"" },
	{ "name header a short prefix", WEATHER, { "Mcp-Name: get", NULL }, false, 0, -EINVAL,
	  "Mcp-Name header \"get\" does not match" },
	{ "empty name header", WEATHER, { "Mcp-Name: ", NULL }, false, 0, -EINVAL,
	  "does not match params.name" },
	{ "base64 name a prefix of the tool", WEATHER, { "Mcp-Name: =?base64?Z2V0?=", NULL },
	  false, 0, -EINVAL, "Mcp-Name header \"get\" does not match" },
	{ "base64 name longer than the tool", WEATHER,
	  { "Mcp-Name: =?base64?Z2V0X3dlYXRoZXJfYWRtaW4=?=", NULL }, false, 0, -EINVAL,
	  "\"get_weather_admin\" does not match" },
	{ "method header a prefix of the method", WEATHER, { "Mcp-Method: tools/cal", NULL },
	  false, 0, -EINVAL, "Mcp-Method header \"tools/cal\" does not match method" },
	{ "method a prefix of the method header", WEATHER, { "Mcp-Method: tools/callx", NULL },
	  false, 0, -EINVAL, "Mcp-Method header \"tools/callx\" does not match method" },
	{ "protocol version a prefix", VERSIONED, { "MCP-Protocol-Version: 2026-07", NULL },
	  false, 0, -EINVAL, "does not match params._meta protocolVersion" },
	{ "name in base64", WEATHER, { "Mcp-Name: =?base64?Z2V0X3dlYXRoZXI=?=", NULL }, false, 0,
	  0, NULL },
	{ "name in bad base64", WEATHER, { "Mcp-Name: =?base64?Z2V0X3dlYXRoZXI?=", NULL }, false,
	  0, -EINVAL, "Mcp-Name header holds invalid base64" },
	{ "name in base64 with a bad character", WEATHER, { "Mcp-Name: =?base64?Z2V0X3dl*XRoZXI=?=",
	  NULL }, false, 0, -EINVAL, "invalid base64" },
	{ "name in base64, padding inside", WEATHER, { "Mcp-Name: =?base64?Zg==Zg==?=", NULL },
	  false, 0, -EINVAL, "invalid base64" },
	{ "name mismatch after decoding", WEATHER, { "Mcp-Name: =?base64?dXMtd2VzdDE=?=", NULL },
	  false, 0, -EINVAL, "Mcp-Name header \"us-west1\" does not match params.name" },
	{ "sentinel is case-sensitive", WEATHER, { "Mcp-Name: =?BASE64?Z2V0X3dlYXRoZXI=?=", NULL },
	  false, 0, -EINVAL, "\"=?BASE64?Z2V0X3dlYXRoZXI=?=\" does not match" },
	{ "header with a non-ASCII byte", WEATHER, { "Mcp-Name: get_w\xc3\xa9" "ather", NULL },
	  false, 0, -EINVAL, "Mcp-Name header holds characters outside visible ASCII" },
	{ "header sent twice", WEATHER, { "Mcp-Name: get_weather", "mcp-name: get_weather", NULL },
	  false, 0, -EINVAL, "Mcp-Name header sent 2 times" },
	{ "name on a method without one", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
	  { "Mcp-Method: tools/list", "Mcp-Name: x", NULL }, false, 0, -EINVAL,
	  "Mcp-Name header on a tools/list message, which names nothing" },
	{ "resources/read uri", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\","
	  "\"params\":{\"uri\":\"file:///a b.txt\"}}", { "Mcp-Method: resources/read",
	  "Mcp-Name: file:///a b.txt", NULL }, false, 0, 0, NULL },
	{ "resources/read uri mismatch", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	  "\"resources/read\",\"params\":{\"uri\":\"file:///secret\"}}",
	  { "Mcp-Name: file:///public", NULL }, false, 0, -EINVAL, "does not match params.uri" },
	{ "prompts/get name", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\","
	  "\"params\":{\"name\":\"summarise\"}}", { "Mcp-Name: summarise", NULL }, false, 0, 0,
	  NULL },
	{ "method on a response", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
	  { "Mcp-Method: ping", NULL }, false, 0, -EINVAL,
	  "Mcp-Method header on a message without a method" },
	{ "required and missing method", WEATHER, { "Mcp-Name: get_weather", NULL }, false,
	  MCP_HDR_REQUIRE, -EINVAL, "Mcp-Method header missing" },
	{ "required and missing name", WEATHER, { "Mcp-Method: tools/call", NULL }, false,
	  MCP_HDR_REQUIRE, -EINVAL, "Mcp-Name header missing (tools/call names params.name)" },
	{ "required and present", WEATHER, { "Mcp-Method: tools/call", "Mcp-Name: get_weather",
	  NULL }, false, MCP_HDR_REQUIRE, 0, NULL },
	{ "required: no name for tools/list", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	  "\"tools/list\"}", { "Mcp-Method: tools/list", NULL }, false, MCP_HDR_REQUIRE, 0, NULL },
	{ "protocol version matches _meta", VERSIONED, { "MCP-Protocol-Version: 2026-07-28",
	  NULL }, false, 0, 0, NULL },
	{ "protocol version disagrees with _meta", VERSIONED,
	  { "mcp-protocol-version: 2025-06-18", NULL }, false, 0, -EINVAL,
	  "MCP-Protocol-Version header \"2025-06-18\" does not match params._meta "
	  "protocolVersion \"2026-07-28\"" },
	{ "protocol version without _meta (older revision)", WEATHER,
	  { "MCP-Protocol-Version: 2025-06-18", NULL }, false, 0, 0, NULL },
	/* the stateless revision names its version in the body and the header */
	{ "stateless revision without _meta", WEATHER, { "MCP-Protocol-Version: 2026-07-28",
	  NULL }, false, 0, -EINVAL, "MCP-Protocol-Version 2026-07-28: a request of this "
	  "revision carries its version in params._meta" },
	{ "a later revision without _meta", WEATHER, { "MCP-Protocol-Version: 2027-03-01",
	  NULL }, false, 0, -EINVAL, "carries its version in params._meta" },
	{ "_meta names the stateless revision, no header", VERSIONED, { NULL }, false, 0,
	  -EINVAL, "MCP-Protocol-Version header missing (params._meta names protocol version "
	  "2026-07-28)" },
	{ "a version that is no date names no revision", WEATHER,
	  { "MCP-Protocol-Version: zzzz-zz-zz", NULL }, false, 0, 0, NULL },
	{ "a response needs no _meta", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
	  { "MCP-Protocol-Version: 2026-07-28", NULL }, false, 0, 0, NULL },
	{ "batch without headers", "[" WEATHER "]", { NULL }, false, 0, 0, NULL },
	{ "batch with Mcp-Method", "[" WEATHER "]", { "Mcp-Method: tools/call", NULL }, false, 0,
	  -EINVAL, "Mcp-Method header on a batch body" },
	{ "batch with Mcp-Name", "[" WEATHER "]", { "Mcp-Name: get_weather", NULL }, false, 0,
	  -EINVAL, "Mcp-Name header on a batch body" },

	/* Mcp-Param-{Name}, bound by the schema's x-mcp-header annotations */
	{ "required: param headers alone are not enough", EXEC, { "Mcp-Param-Region: us-west1", "Mcp-Param-Count: 42",
	  "Mcp-Param-Dry-Run: true", "Mcp-Param-Tenant: =?base64?R3LDvMOfZSwg5LiW55WM?=", NULL },
	  true, MCP_HDR_REQUIRE, -EINVAL, "Mcp-Method header missing" },
	{ "params all match, headers not required", EXEC, { "Mcp-Param-Region: us-west1",
	  "Mcp-Param-Count: 42", "Mcp-Param-Dry-Run: true",
	  "Mcp-Param-Tenant: =?base64?R3LDvMOfZSwg5LiW55WM?=", NULL }, true, 0, 0, NULL },
	{ "params all present, required", EXEC, { "Mcp-Method: tools/call",
	  "Mcp-Name: get_weather", "Mcp-Param-Region: us-west1", "Mcp-Param-Count: 42",
	  "mcp-param-dry-run: true", "Mcp-Param-Tenant: =?base64?R3LDvMOfZSwg5LiW55WM?=", NULL },
	  true, MCP_HDR_REQUIRE, 0, NULL },
	{ "required param missing", EXEC, { "Mcp-Method: tools/call", "Mcp-Name: get_weather",
	  "Mcp-Param-Region: us-west1", "Mcp-Param-Count: 42", "Mcp-Param-Dry-Run: true", NULL },
	  true, MCP_HDR_REQUIRE, -EINVAL,
	  "Mcp-Param-Tenant header missing (arguments.opts.tenant has a value)" },
	{ "param mismatch", EXEC, { "Mcp-Param-Region: eu-west1", NULL }, true, 0, -EINVAL,
	  "Mcp-Param-Region header \"eu-west1\" does not match arguments.region \"us-west1\"" },
	{ "param header a prefix of the argument", EXEC, { "Mcp-Param-Region: us-west", NULL },
	  true, 0, -EINVAL, "\"us-west\" does not match arguments.region \"us-west1\"" },
	{ "argument a prefix of the param header", EXEC, { "Mcp-Param-Region: us-west1x", NULL },
	  true, 0, -EINVAL, "\"us-west1x\" does not match arguments.region" },
	{ "boolean header a prefix", EXEC, { "Mcp-Param-Dry-Run: tru", NULL }, true, 0, -EINVAL,
	  "does not match arguments.dry true" },
	{ "boolean header longer", EXEC, { "Mcp-Param-Dry-Run: truex", NULL }, true, 0, -EINVAL,
	  "does not match arguments.dry true" },
	{ "integer header a prefix", EXEC, { "Mcp-Param-Count: 4", NULL }, true, 0, -EINVAL,
	  "does not match arguments.count 42" },
	{ "integer compares numerically", EXEC, { "Mcp-Param-Count: 42.0", NULL }, true, 0, 0,
	  NULL },
	{ "integer with exponent", EXEC, { "Mcp-Param-Count: 4.2e1", NULL }, true, 0, 0, NULL },
	{ "integer mismatch", EXEC, { "Mcp-Param-Count: 41", NULL }, true, 0, -EINVAL,
	  "Mcp-Param-Count header \"41\" does not match arguments.count 42" },
	{ "integer not a number", EXEC, { "Mcp-Param-Count: 0x2a", NULL }, true, 0, -EINVAL,
	  "does not match arguments.count" },
	{ "boolean spelling", EXEC, { "Mcp-Param-Dry-Run: True", NULL }, true, 0, -EINVAL,
	  "does not match arguments.dry true" },
	{ "param in base64 mismatch", EXEC, { "Mcp-Param-Tenant: =?base64?dXMtd2VzdDE=?=", NULL },
	  true, 0, -EINVAL, "\"us-west1\" does not match arguments.opts.tenant" },
	{ "param in bad base64", EXEC, { "Mcp-Param-Tenant: =?base64?%%%%?=", NULL }, true, 0,
	  -EINVAL, "Mcp-Param-Tenant header holds invalid base64" },
	{ "param without a value in the body", EXEC, { "Mcp-Param-Note: x", NULL }, true, 0,
	  -EINVAL, "Mcp-Param-Note header \"x\" but arguments.note has no value" },
	{ "null argument needs no header", EXEC, { NULL }, true, 0, 0, NULL },
	{ "unbound param header is forwarded", EXEC, { "Mcp-Param-Other: anything", NULL }, true,
	  0, 0, NULL },
	{ "unknown schema: params unchecked", EXEC, { "Mcp-Param-Region: eu-west1", NULL }, false,
	  0, 0, NULL },
	{ "param header sent twice", EXEC, { "Mcp-Param-Region: us-west1",
	  "MCP-PARAM-REGION: us-west1", NULL }, true, 0, -EINVAL,
	  "Mcp-Param-Region header sent 2 times" },
	{ "param with a raw non-ASCII byte", EXEC, { "Mcp-Param-Tenant: Gr\xc3\xbc\xc3\x9f" "e",
	  NULL }, true, 0, -EINVAL, "Mcp-Param-Tenant header holds characters outside" },
};

/* Splits "Name: value" pairs into the arrays struct http_msg has. */
static size_t split_headers(const char *const *pairs, char names[][64], char values[][128],
			    const char **np, const char **vp)
{
	size_t n = 0;

	for (; pairs[n]; n++) {
		const char *colon = strchr(pairs[n], ':');

		snprintf(names[n], 64, "%.*s", (int)(colon - pairs[n]), pairs[n]);
		snprintf(values[n], 128, "%s", colon + 2);
		np[n] = names[n];
		vp[n] = values[n];
	}
	return n;
}

static void test_headers(void)
{
	cJSON *schema = cJSON_Parse(param_schema);
	struct mcp_param_bindings params;
	struct mcp_error err;

	TEST_CASE("bindings from a schema") {
		CHECK(!mcp_param_bindings_from_schema(schema, &params, &err), "%s", err.message);
		CHECK(params.n == 5, "n %zu", params.n);
		CHECK(params.n == 5 && !strcmp(params.v[4].header, "Tenant") &&
		      params.v[4].depth == 2 && !strcmp(params.v[4].path[0], "opts") &&
		      !strcmp(params.v[4].path[1], "tenant"), "nested binding");
	}
	for (size_t i = 0; i < ARRAY_SIZE(hdr_cases); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		char names[8][64], values[8][128], name[128];
		const char *np[8], *vp[8];
		size_t n = split_headers(c->hdrs, names, values, np, vp);
		struct mcp_batch b;
		int ret;

		snprintf(name, sizeof(name), "headers: %s", c->name);
		TEST_CASE(name) {
			CHECK(!parse_str(c->body, &b, &err), "parse: %s", err.message);
			ret = mcp_check_headers(&b, np, vp, n, c->bindings ? &params : NULL, c->flags,
						&err);
			CHECK(ret == c->ret, "ret %d: %s", ret, err.message);
			CHECK(!ret || (err.code == -32020 && err.http_status == 400),
			      "code %d http %d", err.code, err.http_status);
			CHECK(!c->msg || strstr(err.message, c->msg), "message \"%s\", want \"%s\"",
			      err.message, c->msg);
			mcp_batch_free(&b);
		}
	}
	mcp_param_bindings_free(&params);
	cJSON_Delete(schema);
}

struct schema_case {
	const char *name;
	const char *schema;
	int ret;
	const char *msg;
	size_t n;
};

static const struct schema_case schema_cases[] = {
	{ "no annotations", "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}",
	  0, NULL, 0 },
	{ "annotation under items", "{\"type\":\"object\",\"properties\":{\"l\":{\"type\":\"array\","
	  "\"items\":{\"type\":\"string\",\"x-mcp-header\":\"L\"}}}}", -EINVAL,
	  "x-mcp-header \"L\" is not on a property reached through \"properties\" only", 0 },
	{ "annotation under oneOf", "{\"oneOf\":[{\"type\":\"object\",\"properties\":{\"a\":"
	  "{\"type\":\"string\",\"x-mcp-header\":\"A\"}}}]}", -EINVAL, "not on a property", 0 },
	{ "annotation under $defs", "{\"$defs\":{\"a\":{\"type\":\"string\",\"x-mcp-header\":\"A\"}}}",
	  -EINVAL, "not on a property", 0 },
	{ "annotation on the root", "{\"type\":\"string\",\"x-mcp-header\":\"A\"}", -EINVAL,
	  "not on a property", 0 },
	{ "number type", "{\"properties\":{\"a\":{\"type\":\"number\",\"x-mcp-header\":\"A\"}}}",
	  -EINVAL, "whose type is not string, integer or boolean", 0 },
	{ "type list", "{\"properties\":{\"a\":{\"type\":[\"string\",\"null\"],"
	  "\"x-mcp-header\":\"A\"}}}", -EINVAL, "whose type is not", 0 },
	{ "duplicate ignoring case", "{\"properties\":{\"a\":{\"type\":\"string\",\"x-mcp-header\":"
	  "\"Region\"},\"b\":{\"type\":\"string\",\"x-mcp-header\":\"REGION\"}}}", -EINVAL,
	  "x-mcp-header \"REGION\" appears twice (ignoring case)", 0 },
	{ "not a token", "{\"properties\":{\"a\":{\"type\":\"string\",\"x-mcp-header\":"
	  "\"Re gion\"}}}", -EINVAL, "x-mcp-header \"Re gion\" is not a header name token", 0 },
	{ "empty", "{\"properties\":{\"a\":{\"type\":\"string\",\"x-mcp-header\":\"\"}}}", -EINVAL,
	  "not a header name token", 0 },
	{ "not a string", "{\"properties\":{\"a\":{\"type\":\"string\",\"x-mcp-header\":1}}}",
	  -EINVAL, "not a header name token", 0 },
	{ "data keywords are data", "{\"properties\":{\"a\":{\"type\":\"string\",\"default\":"
	  "{\"x-mcp-header\":\"A\"},\"examples\":[{\"x-mcp-header\":\"B\"}]}}}", 0, NULL, 0 },
	{ "properties named like keywords", "{\"properties\":{\"properties\":{\"type\":\"object\","
	  "\"properties\":{\"x-mcp-header\":{\"type\":\"boolean\",\"x-mcp-header\":\"X\"}}}}}",
	  0, NULL, 1 },
	{ "too deep", "{\"properties\":{\"a\":{\"properties\":{\"a\":{\"properties\":{\"a\":"
	  "{\"properties\":{\"a\":{\"properties\":{\"a\":{\"properties\":{\"a\":{\"properties\":"
	  "{\"a\":{\"properties\":{\"a\":{\"properties\":{\"a\":{\"type\":\"string\","
	  "\"x-mcp-header\":\"Deep\"}}}}}}}}}}}}}}}}}}}", -EINVAL, "(at most 8 deep)", 0 },
};

static void test_schemas(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(schema_cases); i++) {
		const struct schema_case *c = &schema_cases[i];
		struct mcp_param_bindings params;
		struct mcp_error err;
		cJSON *schema = cJSON_Parse(c->schema);
		char name[128];
		int ret;

		snprintf(name, sizeof(name), "schema: %s", c->name);
		TEST_CASE(name) {
			CHECK(schema, "test schema does not parse");
			ret = mcp_param_bindings_from_schema(schema, &params, &err);
			CHECK(ret == c->ret, "ret %d: %s", ret, err.message);
			CHECK(ret || params.n == c->n, "n %zu", params.n);
			CHECK(!ret || (err.code == -32602 && err.http_status == 502 && !params.v),
			      "code %d", err.code);
			CHECK(!c->msg || strstr(err.message, c->msg), "message \"%s\"", err.message);
			mcp_param_bindings_free(&params);
		}
		cJSON_Delete(schema);
	}
}

static void test_header_decode(void)
{
	static const struct {
		const char *in, *out;
		size_t len;
		bool bad;
	} cases[] = {
		{ "plain", "plain", 5, false },
		{ "=?base64?IHBhZGRlZCA=?=", " padded ", 8, false },
		{ "=?base64?bGluZTEKbGluZTI=?=", "line1\nline2", 11, false },
		{ "=?base64?PT9iYXNlNjQ/eD89?=", "=?base64?x?=", 12, false },
		{ "=?base64?" "?=", "", 0, false },	/* split: "??=" is a trigraph */
		{ "=?base64?AA==?=", "\0", 1, false },	/* a NUL never matches a body string */
		{ "=?base64?QQ?=", NULL, 0, true },
		{ "=?base64?Q===?=", NULL, 0, true },
		{ "=?base64? QQ==?=", NULL, 0, true },
		{ "=?base64?QQ-_?=", NULL, 0, true },
		{ "=?base64?", "=?base64?", 9, false },
		{ "=?base64?=", "=?base64?=", 10, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char name[96], *out;
		size_t len = 99;
		bool bad;

		snprintf(name, sizeof(name), "header decode: %s", cases[i].in);
		TEST_CASE(name) {
			out = mcp_header_decode(cases[i].in, &len, &bad);
			CHECK(bad == cases[i].bad, "bad %d", bad);
			CHECK(cases[i].bad ? !out : out && len == cases[i].len &&
			      !memcmp(out, cases[i].out, len) && !out[len], "out %s len %zu",
			      out ? out : "(null)", len);
			free(out);
		}
	}
}

/* --- clientInfo ----------------------------------------------------------------------- */

static void test_client_info(void)
{
	struct mcp_client_info info;
	struct mcp_batch b;
	struct mcp_error err;
	char body[1024], long_name[200] = "";

	TEST_CASE("clientInfo from initialize") {
		CHECK(!parse_str(good("initialize"), &b, &err), "%s", err.message);
		CHECK(!mcp_initialize_client_info(&b.msgs[0], &info), "found");
		CHECK(!strcmp(info.name, "claude-ai") && !strcmp(info.version, "0.1.0") &&
		      !strcmp(info.protocol_version, "2025-06-18") && info.from_initialize,
		      "%s %s %s", info.name, info.version, info.protocol_version);
		mcp_batch_free(&b);
	}
	TEST_CASE("clientInfo without control characters") {
		CHECK(!parse_str("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
				 "{\"clientInfo\":{\"name\":\"evil\\u001b[31mred\\r\\nSLUICE_AGENT=x"
				 "\\u0085\\u007f\",\"version\":\"1\\t2\"}}}", &b, &err), "%s", err.message);
		CHECK(!mcp_initialize_client_info(&b.msgs[0], &info), "found");
		CHECK(!strcmp(info.name, "evil[31mredSLUICE_AGENT=x"), "name \"%s\"", info.name);
		CHECK(!strcmp(info.version, "12") && !info.protocol_version[0], "version %s",
		      info.version);
		mcp_batch_free(&b);
	}
	TEST_CASE("clientInfo cut on a UTF-8 boundary") {
		for (int i = 0; i < 70; i++)
			strcat(long_name, "\xc3\xa9");
		snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
			 "\"params\":{\"clientInfo\":{\"name\":\"%s\"}}}", long_name);
		CHECK(!parse_str(body, &b, &err), "%s", err.message);
		CHECK(!mcp_initialize_client_info(&b.msgs[0], &info), "found");
		CHECK(strlen(info.name) == 62 && !memcmp(info.name, long_name, 62), "len %zu",
		      strlen(info.name));
		mcp_batch_free(&b);
	}
	TEST_CASE("clientInfo from 2026-07-28 _meta") {
		CHECK(!parse_str("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":"
				 "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
				 "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"gpt-agent\","
				 "\"version\":\"5.1\"}}}}", &b, &err), "%s", err.message);
		CHECK(!mcp_initialize_client_info(&b.msgs[0], &info), "found");
		CHECK(!strcmp(info.name, "gpt-agent") && !strcmp(info.version, "5.1") &&
		      !strcmp(info.protocol_version, "2026-07-28") && !info.from_initialize, "%s",
		      info.name);
		mcp_batch_free(&b);
	}
	TEST_CASE("no clientInfo") {
		CHECK(!parse_str(good("ping"), &b, &err), "%s", err.message);
		CHECK(mcp_initialize_client_info(&b.msgs[0], &info) == -ENOENT, "ping has none");
		mcp_batch_free(&b);
		CHECK(!parse_str("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
				 "{\"clientInfo\":\"claude\"}}", &b, &err), "%s", err.message);
		CHECK(mcp_initialize_client_info(&b.msgs[0], &info) == -ENOENT && !info.name[0],
		      "clientInfo not an object");
		mcp_batch_free(&b);
		CHECK(!parse_str(good("result"), &b, &err), "%s", err.message);
		CHECK(mcp_initialize_client_info(&b.msgs[0], &info) == -ENOENT, "a response");
		mcp_batch_free(&b);
	}
}

/* --- error responses -------------------------------------------------------------------- */

static void test_error_json(void)
{
	static const char message[] = "bad \"quote\" \\ and\nnewline \xe4\xb8\x96";
	cJSON *id = cJSON_CreateNumber(7), *sid = cJSON_CreateString("r\"1"), *flag = cJSON_CreateTrue();
	cJSON *data = cJSON_Parse("{\"limit\":\"per-minute\",\"retry_after_ms\":1500}");
	struct mcp_batch b;
	struct mcp_error err;
	char *text;
	cJSON *back;

	TEST_CASE("error JSON round-trips through cJSON") {
		text = mcp_error_json(id, -32600, message, data);
		back = text ? cJSON_Parse(text) : NULL;
		CHECK(back, "parses: %s", text);
		CHECK(!strcmp(cJSON_GetObjectItem(back, "jsonrpc")->valuestring, "2.0"), "jsonrpc");
		CHECK(cJSON_GetObjectItem(back, "id")->valuedouble == 7, "id");
		CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "error"), "code")->valuedouble ==
		      -32600, "code");
		CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "error"),
						  "message")->valuestring, message), "message");
		CHECK(cJSON_Compare(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "error"), "data"),
				    data, true), "data");
		cJSON_Delete(back);
		cJSON_free(text);
	}
	TEST_CASE("error JSON is a valid error response to mcp_parse") {
		text = mcp_error_json(sid, -32020, "Mcp-Name header \"a\" does not match", NULL);
		CHECK(text && !parse_str(text, &b, &err), "%s", err.message);
		CHECK(b.n == 1 && b.msgs[0].kind == MCP_ERROR_RESPONSE && id_is(b.msgs[0].id, "\"r\\\"1\""),
		      "kind");
		mcp_batch_free(&b);
		cJSON_free(text);
	}
	TEST_CASE("error JSON keeps big integer ids exact") {
		cJSON *big = cJSON_Parse("9007199254740991");

		text = mcp_error_json(big, -32600, "x", NULL);
		CHECK(text && strstr(text, "\"id\":9007199254740991,"), "%s", text);
		cJSON_free(text);
		cJSON_Delete(big);
	}
	TEST_CASE("error JSON with no usable id has a null id") {
		text = mcp_error_json(NULL, -32700, "x", NULL);
		CHECK(text && !strcmp(text, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
				      "{\"code\":-32700,\"message\":\"x\"}}"), "%s", text);
		cJSON_free(text);
		text = mcp_error_json(flag, -32600, "y", NULL);
		CHECK(text && strstr(text, "\"id\":null"), "%s", text);
		cJSON_free(text);
	}
	TEST_CASE("error for a refused body, answered with its id") {
		CHECK(parse_str("{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\"}", &b, &err) ==
		      -EINVAL, "refused");
		text = mcp_error_json(b.n ? b.msgs[0].id : NULL, err.code, err.message, NULL);
		CHECK(text && strstr(text, "\"id\":42") && strstr(text, "-32602"), "%s", text);
		cJSON_free(text);
		mcp_batch_free(&b);
	}
	cJSON_Delete(id);
	cJSON_Delete(sid);
	cJSON_Delete(flag);
	cJSON_Delete(data);
}

/* --- helpers --------------------------------------------------------------------------- */

static void test_methods(void)
{
	TEST_CASE("method table") {
		const struct mcp_method_info *info = mcp_method_lookup("tools/call");

		CHECK(info && info->id == MCP_M_TOOLS_CALL && (info->flags & MCP_MF_NAMED) &&
		      (info->flags & MCP_MF_FROM_CLIENT) && !(info->flags & MCP_MF_FROM_SERVER),
		      "tools/call");
		info = mcp_method_lookup("sampling/createMessage");
		CHECK(info && (info->flags & MCP_MF_FROM_SERVER) && !(info->flags & MCP_MF_FROM_CLIENT),
		      "sampling");
		info = mcp_method_lookup("notifications/tools/list_changed");
		CHECK(info && info->id == MCP_M_NOTIFICATION, "notifications");
		CHECK(!mcp_method_lookup("tools/call2") && !mcp_method_lookup("Tools/call") &&
		      !mcp_method_lookup(NULL), "unknown");
	}
	TEST_CASE("read-only methods") {
		CHECK(mcp_method_is_read_only("tools/list") && mcp_method_is_read_only("ping") &&
		      mcp_method_is_read_only("resources/read") &&
		      mcp_method_is_read_only("prompts/get"), "readers");
		CHECK(!mcp_method_is_read_only("tools/call") && !mcp_method_is_read_only("initialize") &&
		      !mcp_method_is_read_only("resources/subscribe") &&
		      !mcp_method_is_read_only("x/y") && !mcp_method_is_read_only(NULL), "others");
	}
	TEST_CASE("sanitize") {
		char buf[16];

		CHECK(!strcmp(mcp_sanitize(buf, sizeof(buf), "a\"b\\c\n", 6), "a\\\"b\\\\c\\x0a"),
		      "%s", buf);
		CHECK(!strcmp(mcp_sanitize(buf, sizeof(buf), "0123456789abcdefgh", 18),
			      "0123456789ab..."), "%s", buf);
		CHECK(!strcmp(mcp_sanitize(buf, sizeof(buf), "0123456789\x01\x02", 12),
			      "0123456789..."), "%s", buf);
		CHECK(!strcmp(mcp_sanitize(buf, sizeof(buf), "\0x", 2), "\\x00x"), "%s", buf);
		CHECK(!strcmp(mcp_sanitize(buf, 3, "abcdef", 6), "ab"), "%s", buf);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_bad_cases();
	test_refused_ids();
	test_good_cases();
	test_message_fields();
	test_limits();
	test_batches();
	test_headers();
	test_schemas();
	test_header_decode();
	test_client_info();
	test_error_json();
	test_methods();
	return test_finish();
}
