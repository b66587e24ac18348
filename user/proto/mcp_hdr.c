// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcp_hdr.c - the request headers MCP 2026-07-28 mirrors from the body
 * (see mcp.h).
 *
 * From the specification, basic/transports/streamable-http.mdx of revision
 * 2026-07-28 ("Request Metadata"; the SEP-2243 header standardisation):
 *  - Mcp-Method mirrors "method"; Mcp-Name mirrors params.name (tools/call,
 *    prompts/get) or params.uri (resources/read);
 *  - Mcp-Param-{Name} mirrors the tools/call argument whose inputSchema
 *    property carries "x-mcp-header": "{Name}"; the annotation must be a
 *    header token, unique ignoring case, on a string/integer/boolean
 *    property reached from the root through "properties" keys only, or the
 *    tool definition is invalid;
 *  - values that are not plain header text travel as
 *    "=?base64?{standard base64 of the UTF-8}?=" (markers exact, lowercase)
 *    in Mcp-Name and Mcp-Param-*, and must be decoded before comparing;
 *    invalid base64 or invalid characters are a validation failure;
 *  - integers compare numerically ("42.0" equals 42), booleans as
 *    "true"/"false";
 *  - MCP-Protocol-Version must equal params._meta's
 *    "io.modelcontextprotocol/protocolVersion" (never base64);
 *  - a header present while the argument is absent or null, or absent
 *    while it has a value, is a failure; every failure is HTTP 400 with
 *    JSON-RPC error -32020 (HeaderMismatch).
 * Why it matters here: an intermediary in front of the gateway may route or
 * rate-limit on the headers while the gateway judges the body.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>

#include "mcp.h"
#include "mcp_err.h"
#include "mcp_scan.h"

#define SENTINEL_HEAD "=?base64?"
#define SENTINEL_TAIL "?="
#define SHOWN 60		/* bytes of a value quoted in a message */

struct headers {
	const char *const *names;
	const char *const *values;
	size_t n;
};

static int mismatch(struct mcp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int mismatch(struct mcp_error *err, const char *fmt, ...)
{
	va_list ap;

	err->code = MCP_ERR_HEADER_MISMATCH;
	err->http_status = MCP_HTTP_BAD_REQUEST;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* --- values ------------------------------------------------------------------ */

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Padded standard base64 only.  Checked here because EVP_DecodeBlock skips
 * blanks and does not say how many padding bytes it decoded. */
static bool b64_valid(const char *s, size_t n, size_t *pad)
{
	*pad = n >= 2 && s[n - 1] == '=' ? 1 + (s[n - 2] == '=') : 0;
	if (n % 4 || n > INT_MAX)
		return false;
	for (size_t i = 0; i < n - *pad; i++)
		if (!b64_char(s[i]))
			return false;
	return true;
}

static char *b64_decode(const char *s, size_t n, size_t *out_len, bool *bad)
{
	unsigned char *out = malloc(n / 4 * 3 + 1);
	size_t pad;
	int got = 0;

	if (!out)
		return NULL;
	if (!b64_valid(s, n, &pad) ||
	    (n && (got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n)) < 0)) {
		free(out);
		*bad = true;
		return NULL;
	}
	*out_len = n ? (size_t)got - pad : 0;
	out[*out_len] = '\0';
	return (char *)out;
}

char *mcp_header_decode(const char *value, size_t *out_len, bool *bad)
{
	size_t len = strlen(value), head = strlen(SENTINEL_HEAD), tail = strlen(SENTINEL_TAIL);
	char *copy;

	*bad = false;
	if (len >= head + tail && !memcmp(value, SENTINEL_HEAD, head) &&
	    !memcmp(value + len - tail, SENTINEL_TAIL, tail))
		return b64_decode(value + head, len - head - tail, out_len, bad);
	copy = strdup(value);
	*out_len = len;
	return copy;
}

/* RFC 9110 field values: visible ASCII, space, tab. */
static bool field_chars_ok(const char *v)
{
	for (; *v; v++)
		if (!((unsigned char)*v >= 0x20 && (unsigned char)*v < 0x7f) && *v != '\t')
			return false;
	return true;
}

/* The one value of header @name (case-insensitive), NULL when absent.  Sent
 * twice is refused: an intermediary may read one and the backend another. */
static int find_header(const struct headers *h, const char *name, const char **value,
		       struct mcp_error *err)
{
	size_t seen = 0;

	*value = NULL;
	for (size_t i = 0; i < h->n; i++) {
		if (strcasecmp(h->names[i], name))
			continue;
		*value = h->values[i] ? h->values[i] : "";
		seen++;
	}
	if (seen > 1)
		return mismatch(err, "%s header sent %zu times", name, seen);
	if (*value && !field_chars_ok(*value))
		return mismatch(err, "%s header holds characters outside visible ASCII "
				"(use the =?base64?...?= form)", name);
	return 0;
}

/* A header that has no base64 form, compared as sent. */
static int compare_plain(const char *header, const char *value, const char *body,
			 const char *field, struct mcp_error *err)
{
	char got[SHOWN], want[SHOWN];

	if (!strcmp(value, body))
		return 0;
	return mismatch(err, "%s header \"%s\" does not match %s \"%s\"", header,
			mcp_sanitize(got, sizeof(got), value, strlen(value)), field,
			mcp_sanitize(want, sizeof(want), body, strlen(body)));
}

/* A header value as compared: decoded (malloc'ed in *text), or -EINVAL/-ENOMEM with *err. */
static int decode_header(const char *header, const char *value, char **text, size_t *len,
			 struct mcp_error *err)
{
	bool bad;

	*text = mcp_header_decode(value, len, &bad);
	if (*text)
		return 0;
	return bad ? mismatch(err, "%s header holds invalid base64", header) :
		     mcp_out_of_memory(err);
}

/* The decoded header compared with the body's string; -EINVAL with *err. */
static int compare_text(const char *header, const char *value, const char *body,
			const char *field, struct mcp_error *err)
{
	char got[SHOWN], want[SHOWN];
	size_t len;
	char *text;
	int ret = decode_header(header, value, &text, &len, err);

	if (ret)
		return ret;
	if (strlen(body) != len || memcmp(text, body, len))
		ret = mismatch(err, "%s header \"%s\" does not match %s \"%s\"", header,
			       mcp_sanitize(got, sizeof(got), text, len), field,
			       mcp_sanitize(want, sizeof(want), body, strlen(body)));
	free(text);
	return ret;
}

/* --- Mcp-Method and Mcp-Name --------------------------------------------------- */

static int check_method(const struct mcp_msg *m, const struct headers *h, unsigned int flags,
			struct mcp_error *err)
{
	const char *value;
	int ret = find_header(h, "Mcp-Method", &value, err);

	if (ret)
		return ret;
	if (!value)
		return (flags & MCP_HDR_REQUIRE) && m->kind == MCP_REQUEST ?
		       mismatch(err, "Mcp-Method header missing") : 0;
	if (!m->method)
		return mismatch(err, "Mcp-Method header on a message without a method");
	/* The specification allows the base64 form only in Mcp-Name and
	 * Mcp-Param-*: method names are plain ASCII. */
	return compare_plain("Mcp-Method", value, m->method, "method", err);
}

/* The body value Mcp-Name mirrors, and what to call it; NULL: none. */
static const char *name_source(const struct mcp_msg *m, const char **field)
{
	switch (m->info ? m->info->id : MCP_M_OTHER) {
	case MCP_M_TOOLS_CALL:
		*field = "params.name";
		return m->tool;
	case MCP_M_PROMPTS_GET:
		*field = "params.name";
		return m->prompt;
	case MCP_M_RESOURCES_READ:
		*field = "params.uri";
		return m->uri;
	default:
		return NULL;
	}
}

static int check_name(const struct mcp_msg *m, const struct headers *h, unsigned int flags,
		      struct mcp_error *err)
{
	const char *value, *field = "", *body = name_source(m, &field);
	int ret = find_header(h, "Mcp-Name", &value, err);

	if (ret)
		return ret;
	if (!value)
		return (flags & MCP_HDR_REQUIRE) && body && m->kind == MCP_REQUEST ?
		       mismatch(err, "Mcp-Name header missing (%s names %s)", m->method, field) : 0;
	if (!body)
		return mismatch(err, "Mcp-Name header on a %s message, which names nothing",
				m->method ? m->method : "response");
	return compare_text("Mcp-Name", value, body, field, err);
}

bool mcp_version_stateless(const char *version)
{
	static const char shape[] = "dddd-dd-dd";

	if (!version || strlen(version) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? version[i] < '0' || version[i] > '9' : version[i] != '-')
			return false;
	return strcmp(version, MCP_VERSION_STATELESS) >= 0;
}

/*
 * 2026-07-28: the header must equal params._meta's protocolVersion, and a
 * request of that revision carries both: the header for whoever routes on
 * it, _meta for the server, which reads the version from the body alone.
 * Older revisions send the header without the _meta field: nothing to
 * compare.
 */
static int check_version(const struct mcp_msg *m, const struct headers *h,
			 struct mcp_error *err)
{
	const cJSON *meta = mcp_member(m->params, "_meta");
	const cJSON *body = mcp_member(meta, "io.modelcontextprotocol/protocolVersion");
	const char *value;
	int ret = find_header(h, "MCP-Protocol-Version", &value, err);

	if (ret)
		return ret;
	if (m->kind == MCP_REQUEST && mcp_version_stateless(value) && !cJSON_IsString(body))
		return mismatch(err, "MCP-Protocol-Version %s: a request of this revision carries "
				"its version in params._meta \"io.modelcontextprotocol/"
				"protocolVersion\"", value);
	if (m->kind == MCP_REQUEST && !value && cJSON_IsString(body) &&
	    mcp_version_stateless(body->valuestring))
		return mismatch(err, "MCP-Protocol-Version header missing (params._meta names "
				"protocol version %s)", body->valuestring);
	if (!value || !cJSON_IsString(body))
		return 0;
	return compare_plain("MCP-Protocol-Version", value, body->valuestring,
			     "params._meta protocolVersion", err);
}

/* --- Mcp-Param-{Name} ------------------------------------------------------------ */

static const cJSON *argument_at(const struct mcp_msg *m, const struct mcp_param_binding *pb)
{
	const cJSON *v = m->arguments;

	for (size_t i = 0; i < pb->depth && v; i++)
		v = cJSON_IsObject(v) ? mcp_member(v, pb->path[i]) : NULL;
	return v;
}

static const char *path_text(const struct mcp_param_binding *pb, char *buf, size_t len)
{
	size_t used = snprintf(buf, len, "arguments");

	for (size_t i = 0; i < pb->depth && used < len; i++)
		used += snprintf(buf + used, len - used, ".%s", pb->path[i]);
	return buf;
}

/* Integers compare numerically, as the specification asks ("42.0" is 42). */
static bool number_matches(const char *text, size_t len, double want)
{
	char copy[64];

	if (len >= sizeof(copy) || !mcp_scan_number(text, len))
		return false;
	memcpy(copy, text, len);
	copy[len] = '\0';
	return strtod(copy, NULL) == want;
}

static bool value_matches(const cJSON *body, const char *text, size_t len)
{
	if (cJSON_IsString(body))
		return strlen(body->valuestring) == len && !memcmp(body->valuestring, text, len);
	if (cJSON_IsTrue(body))
		return len == 4 && !memcmp(text, "true", 4);
	if (cJSON_IsFalse(body))
		return len == 5 && !memcmp(text, "false", 5);
	if (cJSON_IsNumber(body))
		return number_matches(text, len, body->valuedouble);
	return false;	/* objects and arrays are never mirrored */
}

/* A body value for a message: strings quoted as they are, others as JSON. */
static const char *show_body(const cJSON *body, char *buf, size_t len)
{
	char *json;

	if (cJSON_IsString(body)) {
		char text[SHOWN];

		snprintf(buf, len, "\"%s\"", mcp_sanitize(text, sizeof(text), body->valuestring,
							   strlen(body->valuestring)));
		return buf;
	}
	json = cJSON_PrintUnformatted(body);
	mcp_sanitize(buf, len, json ? json : "?", json ? strlen(json) : 1);
	cJSON_free(json);
	return buf;
}

static int compare_param(const char *header, const char *value, const cJSON *body,
			 const char *field, struct mcp_error *err)
{
	char got[SHOWN], want[SHOWN + 2];
	size_t len;
	char *text;
	int ret = decode_header(header, value, &text, &len, err);

	if (ret)
		return ret;
	if (!body || cJSON_IsNull(body))
		ret = mismatch(err, "%s header \"%s\" but %s has no value", header,
			       mcp_sanitize(got, sizeof(got), text, len), field);
	else if (!value_matches(body, text, len))
		ret = mismatch(err, "%s header \"%s\" does not match %s %s", header,
			       mcp_sanitize(got, sizeof(got), text, len), field,
			       show_body(body, want, sizeof(want)));
	free(text);
	return ret;
}

static int check_param(const struct mcp_msg *m, const struct headers *h,
		       const struct mcp_param_binding *pb, unsigned int flags,
		       struct mcp_error *err)
{
	char header[sizeof("Mcp-Param-") + MCP_PARAM_MAX_NAME], field[128];
	const cJSON *body = argument_at(m, pb);
	const char *value;
	int ret;

	snprintf(header, sizeof(header), "Mcp-Param-%s", pb->header);
	path_text(pb, field, sizeof(field));
	ret = find_header(h, header, &value, err);
	if (ret)
		return ret;
	if (!value)
		return (flags & MCP_HDR_REQUIRE) && body && !cJSON_IsNull(body) ?
		       mismatch(err, "%s header missing (%s has a value)", header, field) : 0;
	return compare_param(header, value, body, field, err);
}

static int check_params(const struct mcp_msg *m, const struct headers *h,
			const struct mcp_param_bindings *params, unsigned int flags,
			struct mcp_error *err)
{
	int ret = 0;

	if (!params || !m->info || m->info->id != MCP_M_TOOLS_CALL)
		return 0;
	for (size_t i = 0; i < params->n && !ret; i++)
		ret = check_param(m, h, &params->v[i], flags, err);
	return ret;
}

/* --- the entry point --------------------------------------------------------------- */

static int check_batch(const struct headers *h, struct mcp_error *err)
{
	static const char *const single[] = { "Mcp-Method", "Mcp-Name" };
	const char *value;

	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
		int ret = find_header(h, single[i], &value, err);

		if (ret)
			return ret;
		if (value)
			return mismatch(err, "%s header on a batch body (it describes one message)",
					single[i]);
	}
	return 0;
}

int mcp_check_headers(const struct mcp_batch *b, const char *const *names,
		      const char *const *values, size_t n,
		      const struct mcp_param_bindings *params, unsigned int flags,
		      struct mcp_error *err)
{
	const struct headers h = { .names = names, .values = values, .n = n };
	const struct mcp_msg *m;
	int ret;

	memset(err, 0, sizeof(*err));
	if (b->is_batch)
		return check_batch(&h, err);
	if (b->n != 1)
		return 0;
	m = &b->msgs[0];
	ret = check_method(m, &h, flags, err);
	if (!ret)
		ret = check_name(m, &h, flags, err);
	if (!ret)
		ret = check_version(m, &h, err);
	if (!ret)
		ret = check_params(m, &h, params, flags, err);
	return ret;
}
