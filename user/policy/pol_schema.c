// SPDX-License-Identifier: GPL-2.0-only
/*
 * pol_schema.c - the sluice policy schema as tables (see policies/README.md,
 * which documents every field below; keep the two in step).
 *
 * Each object kind is a field table; values are checked by the generic
 * checks of pol_check.c with the ranges and spellings given here, and
 * cross-field rules live in the kind's finish hook.  Rules that span
 * sections (a plan an agent names, a source two agents claim) are in
 * pol_xref.c, which policy.c runs after these.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <linux/types.h>
#include <net/if.h>

#include "sluice_abi.h"
#include "base/prefix.h"
#include "proto/http.h"
#include "pol_auth.h"
#include "pol_regex.h"
#include "pol_schema.h"
#include "sql_name.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FIELDS(table) (table), ARRAY_SIZE(table)

/* --- names ----------------------------------------------------------------- */

const char *const pol_mode_names[] = { "native", "generic", "tc", NULL };
const char *const pol_ban_names[] = { "drop", "rst", NULL };
static const char *const class_names[] = { "read", "write", NULL };
static const char *const budget_actions[] = { "deny", "report", NULL };
static const char *const unknown_arg_actions[] = { "strip", "refuse", NULL };
static const char *const unknown_tool_actions[] = { "refuse", "read", "write", NULL };
static const char *const premium_actions[] = { "deny", "upsell", NULL };
static const char *const limited_answers[] = { "http", "jsonrpc", NULL };
static const char *const redaction_checks[] = { "luhn", NULL };
/* Spelled as verdict.h's DECIDE_SR_* bits, in bit order. */
const char *const pol_server_request_names[] = { "sampling", "elicitation", "roots", NULL };
static const char *const arg_types[] = {
	"string", "integer", "number", "boolean", "object", "array", NULL
};

int pol_name_index(const char *const *names, const char *name)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* --- strings --------------------------------------------------------------- */

static bool name_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

/* MCP tool names are often namespaced with '/'. */
static bool tool_char(unsigned char ch)
{
	return name_char(ch) || ch == '/';
}

static bool graph_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f;
}

/* RFC 6749 scope-token: visible ASCII except the double quote and backslash. */
static bool scope_char(unsigned char ch)
{
	return graph_char(ch) && ch != '"' && ch != '\\';
}

/* RFC 9110 5.6.2 tchar: what a header field name is made of. */
static bool token_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/*
 * A context header must reach the backend as the gateway's word alone:
 * not a header of the connection, nor one that the gateway, the MCP
 * transport or the credential owns, which the backend would read as that.
 */
static const char *context_header_why(const char *s, char *buf, size_t len)
{
	static const char *const owned[] = {
		"authorization", "x-api-key", "content-type", "content-encoding", "accept",
		"origin", "expect", "x-forwarded-for", "last-event-id", "cookie",
	};

	(void)buf;
	(void)len;
	/* CGI and WSGI read X_Sluice_Agent as X-Sluice-Agent: sluiced forwards
	 * no header with an underscore, so it could not send this one either. */
	if (strchr(s, '_'))
		return "an underscore: CGI and WSGI servers read it as '-', so sluiced "
		       "forwards no header name holding one";
	if (http_hop_by_hop(s))
		return "a hop-by-hop or framing header, which each connection sets itself";
	if (!strncasecmp(s, "mcp-", 4))
		return "an MCP transport header (Mcp-Session-Id, MCP-Protocol-Version, "
		       "Mcp-Method, Mcp-Name, Mcp-Param-*)";
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (!strcasecmp(s, owned[i]))
			return "a header the client, the credential or the gateway owns";
	return NULL;
}

/* What the kernel's dev_valid_name() refuses, besides "." and "..". */
static bool ifname_char(unsigned char ch)
{
	return graph_char(ch) && ch != '/' && ch != ':';
}

static const char *ifname_why(const char *s, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return !strcmp(s, ".") || !strcmp(s, "..") ? "not an interface name" : NULL;
}

static const char *sha256_why(const char *s, char *buf, size_t len)
{
	for (; *s; s++) {
		if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))
			continue;
		if (*s >= 'A' && *s <= 'F')
			return "uppercase hex; write the digest in lowercase";
		snprintf(buf, len, "'%c' is not a hex digit", *s);
		return buf;
	}
	return NULL;
}

static bool port_ok(const char *s)
{
	long v = 0;

	if (!*s || *s == '0' || strlen(s) > 5)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
	}
	return v <= 65535;
}

/* RFC 1123 host name: dot-separated labels of [A-Za-z0-9-], no '-' at ends. */
static bool dns_name(const char *s, size_t n)
{
	size_t label = 0;

	if (!n || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char ch = i < n ? s[i] : '.';

		if (ch == '.') {
			if (!label || s[i - 1] == '-' || s[i - label] == '-' || label > 63)
				return false;
			label = 0;
		} else if (!name_char((unsigned char)ch) || ch == '_') {
			return false;
		} else {
			label++;
		}
	}
	return true;
}

static const char *host_why(const char *h, size_t n, bool names_ok)
{
	char addr_text[INET6_ADDRSTRLEN];
	unsigned char addr[16];
	bool dotted = strspn(h, "0123456789.") >= n;

	if (h[0] == '[') {
		if (n < 3 || h[n - 1] != ']' || n - 2 >= sizeof(addr_text))
			return "bad [IPv6] address";
		memcpy(addr_text, h + 1, n - 2);
		addr_text[n - 2] = '\0';
		return inet_pton(AF_INET6, addr_text, addr) == 1 ? NULL : "bad [IPv6] address";
	}
	if (dotted) {
		if (n >= sizeof(addr_text))
			return "bad IPv4 address";
		memcpy(addr_text, h, n);
		addr_text[n] = '\0';
		return inet_pton(AF_INET, addr_text, addr) == 1 ? NULL : "bad IPv4 address";
	}
	if (!names_ok)
		return "expected a numeric address: sluiced binds before it resolves names";
	return dns_name(h, n) ? NULL : "bad host name";
}

/* "host:port"; a bracketed IPv6 host keeps its own colons. */
static const char *hostport_why(const char *s, bool names_ok, bool port_required)
{
	const char *end = s[0] == '[' ? strchr(s, ']') : s;
	const char *colon;

	if (!end)
		return "missing ']' after the IPv6 address";
	colon = strchr(end, ':');
	if (s[0] != '[' && colon && strchr(colon + 1, ':'))
		return "write an IPv6 address in brackets, as in [::1]:8470";
	if (s[0] == '[' && end[1] && end[1] != ':')
		return "expected ':' after ']'";
	if (!colon && port_required)
		return "missing \":port\"";
	if (colon && !port_ok(colon + 1))
		return "the port must be a number 1..65535";
	return host_why(s, colon ? (size_t)(colon - s) : strlen(s), names_ok);
}

static const char *listen_why(const char *s, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return hostport_why(s, false, true);
}

static const char *path_why(const char *s, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (s[0] != '/')
		return "must start with '/'";
	return strpbrk(s, "?#") ? "must not hold a query or fragment" : NULL;
}

static const char *url_why(const char *s, char *buf, size_t len)
{
	const char *auth = s + strlen("http://"), *path;
	size_t n;

	if (!strncmp(s, "https://", 8))
		return "https is not supported: sluiced speaks plain HTTP to its backends";
	if (strncmp(s, "http://", 7))
		return "must start with http://";
	path = strchr(auth, '/');
	n = path ? (size_t)(path - auth) : strlen(auth);
	if (!n)
		return "missing host";
	if (memchr(auth, '@', n))
		return "credentials (user@) do not belong in a backend URL";
	if (path && strchr(path, '#'))
		return "a #fragment means nothing to a backend";
	if (n >= len)
		return "host too long";
	memcpy(buf, auth, n);
	buf[n] = '\0';
	return hostport_why(buf, true, false);
}

/* Compiled as the gateway compiles it: what checks is what runs. */
static const char *regex_why(const char *s, char *buf, size_t len)
{
	struct pol_regex *rx;
	int ret = pol_regex_compile(s, &rx, buf, len);

	pol_regex_free(rx);
	if (ret == -ENOMEM)
		snprintf(buf, len, "out of memory compiling it");
	return ret ? buf : NULL;
}

#define NAME_RULE "1..63 characters of A-Za-z0-9._-"

static const struct pc_string S_AGENT = { "an agent name (" NAME_RULE ")", 1, 63, name_char };
static const struct pc_string S_PLAN = { "a plan name (" NAME_RULE ")", 1, 63, name_char };
static const struct pc_string S_BACKEND = { "a backend name (" NAME_RULE ")", 1, 63, name_char };
static const struct pc_string S_CUSTOMER = { "a customer name (" NAME_RULE ")", 1, 63, name_char };
static const struct pc_string S_RULE = { "a rule name (" NAME_RULE ")", 1, 63, name_char };
static const struct pc_string S_TOOL = {
	"a tool name (1..128 characters of A-Za-z0-9._/-)", 1, 128, tool_char
};
static const struct pc_string S_ARG = {
	"an argument name (1..128 characters of A-Za-z0-9._-)", 1, 128, name_char
};
static const struct pc_string S_IFNAME = {
	"an interface name (1..15 characters, no '/' or ':')", 1, IF_NAMESIZE - 1,
	ifname_char, ifname_why
};
static const struct pc_string S_SHA256 = {
	"a SHA-256 digest (64 lowercase hex digits)", 64, 64, graph_char, sha256_why
};
static const struct pc_string S_PREFIX = {
	"an address or CIDR prefix", 1, SL_PREFIX_STRLEN, graph_char, sl_prefix_explain
};
static const struct pc_string S_LISTEN = {
	"an address:port (127.0.0.1:8470, [::1]:8470)", 1, 64, graph_char, listen_why
};
static const struct pc_string S_URL = {
	"an http:// URL (http://127.0.0.1:9000/mcp)", 8, 2048, graph_char, url_why
};
/* PCRE2 syntax; a pattern that does not compile is reported with PCRE2's
 * message and the offset in the pattern. */
static const struct pc_string S_REGEX = { "a regular expression", 1, 4096, NULL, regex_why };
static const struct pc_string S_GLOB = {
	"a tool name or glob (1..128 characters; * ? [...] match)", 1, 128, graph_char
};
static const struct pc_string S_URI_GLOB = {
	"a resource URI or glob (1..1024 characters; * ? [...] match)", 1, 1024, graph_char
};
static const struct pc_string S_PROMPT_GLOB = {
	"a prompt name or glob (1..128 characters; * ? [...] match)", 1, 128, graph_char
};
static const struct pc_string S_SCOPE = {
	"an OAuth scope (1..128 visible characters, no '\"' or '\\')", 1, 128, scope_char
};
static const struct pc_string S_PATH = {
	"an absolute path (/mcp)", 1, 256, graph_char, path_why
};
static const struct pc_string S_ORIGIN = {
	"an origin (http://localhost:3000) or host[:port]", 1, 256, graph_char
};
static const struct pc_string S_CONTEXT_HEADER = {
	"a header name (1..64 characters of an RFC 9110 token)", 1, 64, token_char,
	context_header_why
};
static const struct pc_string S_REPLACEMENT = { "a replacement string (0..256 bytes)", 0, 256 };

/* --- numbers --------------------------------------------------------------- */

static const struct pc_int I_VERSION = { 1, 1 };
static const struct pc_int I_PORT = { 1, 65535, "port" };
/* Event rates: GCRA needs 1e9 / rate ns >= 1 and interval * burst < 2^64. */
static const struct pc_int I_RATE = { 1, 1000000000 };
static const struct pc_int I_BURST = { 1, 1000000000 };
/* Byte rates: burst * 1e9 must fit in 64 bits, hence the 1e10 cap. */
static const struct pc_int I_BYTE_RATE = { 1, 1000000000000LL };
static const struct pc_int I_BYTE_BURST = { 1, 10000000000LL };
static const struct pc_int I_EVENTS = { 1, 1000000 };
static const struct pc_int I_LEARN_IDLE_S = { 1, 86400 };
static const struct pc_int I_ESC_COUNT = { 1, 1000000 };
static const struct pc_int I_ESC_WITHIN_S = { 1, 86400 };
static const struct pc_int I_BAN_S = { 1, 604800 };	/* ESC_BAN_MAX_S: a week */
static const struct pc_int I_CALLS = { 1, 1000000000 };
static const struct pc_int I_HEADER_BYTES = { 1024, 1 << 20 };
static const struct pc_int I_BODY_BYTES = { 1024, 64 << 20 };
static const struct pc_int I_HEADER_MS = { 100, 600000 };
static const struct pc_int I_IDLE_MS = { 1000, 86400000 };
static const struct pc_int I_CONNS = { 1, 1000000 };
/* A client that does not read its answers is closed after this long. */
static const struct pc_int I_WRITE_MS = { 100, 600000 };
/* Per-connection input and output kept before reading stops: at least one
 * 64 KiB read, at most what the largest body limit needs. */
static const struct pc_int I_CLIENT_BUF = { 65536, 64 << 20 };
static const struct pc_int I_SESSIONS = { 1, 10000000 };
static const struct pc_int I_SESSION_IDLE_MS = { 1000, 604800000 };
static const struct pc_int I_CONNECT_MS = { 1, 60000 };
static const struct pc_int I_BACKEND_MS = { 1, 3600000 };
static const struct pc_int I_POOL = { 0, 4096 };
static const struct pc_int I_WORKERS = { 0, 256 };		/* 0: one per core */
static const struct pc_int I_FAILURES = { 1, 1000 };
static const struct pc_int I_OPEN_MS = { 10, 3600000 };
static const struct pc_int I_RETRY_S = { 1, 3600 };
static const struct pc_int I_MAX_LENGTH = { 1, 16 << 20 };
static const struct pc_int I_RETENTION_DAYS = { 1, 3650 };	/* ten years */
static const struct pc_int I_USAGE_QUEUE = { 1024, 1 << 20 };	/* records in the ring */
static const struct pc_number N_COST = { 0, 1e9 };
static const struct pc_number N_BUDGET = { 0, 1e12 };
static const struct pc_number N_BOUND = { -1e15, 1e15 };

/* --- canonical forms, for "no duplicates" ---------------------------------- */

static bool canon_number(const cJSON *item, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", item->valuedouble);
	return true;
}

static bool canon_string(const cJSON *item, char *buf, size_t len)
{
	snprintf(buf, len, "\"%s\"", item->valuestring);
	return true;
}

static bool canon_prefix(const cJSON *item, char *buf, size_t len)
{
	struct sl_prefix p;

	if (sl_prefix_parse(item->valuestring, &p, NULL))
		return false;
	sl_prefix_format(&p, buf, len);
	return true;
}

/* Objects are unique by their "name" member. */
static bool canon_name(const cJSON *item, char *buf, size_t len)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");

	return cJSON_IsString(name) && canon_string(name, buf, len);
}

/* Any JSON value, printed compactly; too long to print means no check. */
static bool canon_json(const cJSON *item, char *buf, size_t len)
{
	return cJSON_PrintPreallocated((cJSON *)item, buf, (int)len - 5, false);
}

/* --- finish hooks ---------------------------------------------------------- */

/* A burst left out is one second's worth. */
static int rate_finish(struct pc_ctx *c, cJSON *obj)
{
	char text[32];
	long long rate;

	if (cJSON_GetObjectItemCaseSensitive(obj, "burst") || !pc_get_int(obj, "rate", &rate))
		return 0;
	snprintf(text, sizeof(text), "%lld", rate);
	return pc_add_default(c, obj, "burst", text) ? 0 : -ENOMEM;
}

/* Adds @name = min(@def, @cap) when absent: a fixed default could exceed a
 * smaller cap the operator chose, and the error would name a value they
 * never wrote. */
static int capped_default(struct pc_ctx *c, cJSON *obj, const char *name, long long def,
			  long long cap)
{
	char text[32];

	if (cJSON_GetObjectItemCaseSensitive(obj, name))
		return 0;
	snprintf(text, sizeof(text), "%lld", def < cap ? def : cap);
	return pc_add_default(c, obj, name, text) ? 0 : -ENOMEM;
}

/* @small must not exceed @big (both present and valid by now). */
static int not_above(struct pc_ctx *c, cJSON *obj, const char *small, const char *big)
{
	long long s = 0, b = 0;
	size_t mark;
	int ret;

	pc_get_int(obj, small, &s);
	pc_get_int(obj, big, &b);
	if (s <= b)
		return 0;
	mark = pc_push_key(c, small);
	ret = pc_error(c, cJSON_GetObjectItemCaseSensitive(obj, small),
		       "%lld exceeds %s (%lld)", s, big, b);
	pc_pop(c, mark);
	return ret;
}

/* A per-source cap above the total cap could never be reached. */
static int http_limits_finish(struct pc_ctx *c, cJSON *obj)
{
	long long total = 0;

	pc_get_int(obj, "max_connections", &total);
	if (capped_default(c, obj, "max_connections_per_source", 64, total))
		return -ENOMEM;
	return not_above(c, obj, "max_connections_per_source", "max_connections");
}

static int backend_finish(struct pc_ctx *c, cJSON *obj)
{
	long long total = 0;

	pc_get_int(obj, "timeout_ms", &total);
	if (capped_default(c, obj, "connect_timeout_ms", 1000, total))
		return -ENOMEM;
	return not_above(c, obj, "connect_timeout_ms", "timeout_ms");
}

/* An empty period object is almost always a misspelt period name. */
static int period_finish(struct pc_ctx *c, cJSON *obj)
{
	if (cJSON_GetArraySize(obj) > 0)
		return 0;
	return pc_error(c, obj, "expected at least one of per_second, per_minute, "
			"per_hour, per_day");
}

/* A budget with no period would limit nothing. */
static int budget_finish(struct pc_ctx *c, cJSON *obj)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, "per_day") ||
	    cJSON_GetObjectItemCaseSensitive(obj, "per_month"))
		return 0;
	return pc_error(c, obj, "expected per_day, per_month or both");
}

/* An escalation with no rule would never ban. */
static int escalation_finish(struct pc_ctx *c, cJSON *obj)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, "limited") ||
	    cJSON_GetObjectItemCaseSensitive(obj, "denied"))
		return 0;
	return pc_error(c, obj, "expected limited, denied or both (with neither nothing "
			"would ever ban)");
}

static int agent_finish(struct pc_ctx *c, cJSON *obj)
{
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(obj, "keys_sha256")) ||
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(obj, "sources")))
		return 0;
	return pc_error(c, obj, "an agent needs keys_sha256 or sources: "
			"with neither it could never be identified");
}

/* Header names are case-insensitive: two members naming one header would
 * send the backend two values under it, and it would read one.  Reported
 * at the member written in the file (defaults come after the written). */
static int context_headers_finish(struct pc_ctx *c, cJSON *obj)
{
	const cJSON *item, *prev;
	int ret = 0;

	cJSON_ArrayForEach(item, obj) {
		for (prev = obj->child; prev != item; prev = prev->next) {
			size_t off, mark;
			bool written = jpos_value_off(c->jp, item, &off);
			const cJSON *at = written ? item : prev, *other = written ? prev : item;

			if (strcasecmp(prev->valuestring, item->valuestring))
				continue;
			mark = pc_push_key(c, at->string);
			ret = pc_error(c, at, "\"%s\" is also %scontext_headers.%s (header names "
				       "ignore case)", at->valuestring, written ? "" : "the default of ",
				       other->string);
			pc_pop(c, mark);
			break;
		}
	}
	return ret;
}

/* unknown_arguments only means something next to an arguments table. */
static int tool_finish(struct pc_ctx *c, cJSON *obj)
{
	cJSON *action = cJSON_GetObjectItemCaseSensitive(obj, "unknown_arguments");
	bool has_args = cJSON_GetObjectItemCaseSensitive(obj, "arguments") != NULL;
	size_t mark;
	int ret;

	if (has_args && !action)
		return pc_add_default(c, obj, "unknown_arguments", "\"refuse\"") ? 0 : -ENOMEM;
	if (has_args || !action)
		return 0;
	mark = pc_push_key(c, "unknown_arguments");
	ret = pc_error(c, action, "applies only to a tool with \"arguments\"");
	pc_pop(c, mark);
	return ret;
}

/* --- argument rules -------------------------------------------------------- */

static const char *type_article(const char *type)
{
	static const char *const articles[] = {
		"a string", "an integer", "a number", "true or false", "an object", "an array",
	};
	int i = pol_name_index(arg_types, type);

	return i >= 0 ? articles[i] : type;
}

static bool has_type(const char *type, const cJSON *value)
{
	switch (pol_name_index(arg_types, type)) {
	case 0: return cJSON_IsString(value);
	case 1: return cJSON_IsNumber(value) && value->valuedouble == floor(value->valuedouble);
	case 2: return cJSON_IsNumber(value);
	case 3: return cJSON_IsBool(value);
	case 4: return cJSON_IsObject(value);
	default: return cJSON_IsArray(value);
	}
}

/* Why @value (an enum value or the default) breaks argument @rule, or NULL. */
static const char *value_misfit(const char *type, const cJSON *rule, const cJSON *value,
				char *buf, size_t len)
{
	const cJSON *min = cJSON_GetObjectItemCaseSensitive(rule, "minimum");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(rule, "maximum");
	long long max_len;

	if (!has_type(type, value)) {
		snprintf(buf, len, "expected %s (the argument's type)", type_article(type));
		return buf;
	}
	if (pc_get_int(rule, "max_length", &max_len) &&
	    (cJSON_IsString(value) ? (long long)strlen(value->valuestring) :
	     (long long)cJSON_GetArraySize(value)) > max_len) {
		snprintf(buf, len, "longer than max_length %lld", max_len);
		return buf;
	}
	if ((min && value->valuedouble < min->valuedouble) ||
	    (max && value->valuedouble > max->valuedouble)) {
		snprintf(buf, len, "outside minimum..maximum");
		return buf;
	}
	return NULL;
}

/* Checks @value at the current path against the argument's own rules. */
static int check_value(struct pc_ctx *c, const char *type, const cJSON *rule,
		       const cJSON *value)
{
	char why[80], got[64];

	if (!value_misfit(type, rule, value, why, sizeof(why)))
		return 0;
	return pc_error(c, value, "%s: %s", pc_describe(c, value, got, sizeof(got)), why);
}

/* Rules that apply only to some argument types. */
static int rule_applies(struct pc_ctx *c, const cJSON *rule, const char *field,
			const char *type, const char *const *types)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(rule, field);
	size_t mark;
	int ret;

	if (!item || pol_name_index(types, type) >= 0)
		return 0;
	mark = pc_push_key(c, field);
	ret = pc_error_key(c, item, "applies only to %s%s%s arguments, not %s", types[0],
			   types[1] ? " and " : "", types[1] ? types[1] : "", type);
	pc_pop(c, mark);
	return ret;
}

/* The match of @pattern (compiled here) against @text: 1, 0, or < 0. */
static int default_match(const char *pattern, const char *text,
			 struct pol_regex_scratch *scratch)
{
	struct pol_regex *rx;
	char why[160];
	int ret = pol_regex_compile(pattern, &rx, why, sizeof(why));

	if (!ret)
		ret = pol_regex_match(rx, text, strlen(text), scratch);
	pol_regex_free(rx);
	return ret;
}

/* Why string @def breaks the rule's pattern or deny_patterns, or NULL: the
 * gateway adds the default after checking, so it must pass them itself. */
static const char *default_misfit(const cJSON *rule, const char *def, char *buf, size_t len)
{
	const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(rule, "pattern"), *deny;
	struct pol_regex_scratch *scratch = pol_regex_scratch_new();
	size_t i = 0;

	buf[0] = '\0';
	if (!scratch)
		return "out of memory checking it against the patterns";
	if (pattern && default_match(pattern->valuestring, def, scratch) != 1)
		snprintf(buf, len, "does not match pattern");
	cJSON_ArrayForEach(deny, cJSON_GetObjectItemCaseSensitive(rule, "deny_patterns")) {
		if (!buf[0] && default_match(deny->valuestring, def, scratch) != 0)
			snprintf(buf, len, "matches deny_patterns[%zu]", i);
		i++;
	}
	pol_regex_scratch_free(scratch);
	return buf[0] ? buf : NULL;
}

/* The enum values and the default must themselves pass the rules. */
static int arg_values(struct pc_ctx *c, const cJSON *rule, const char *type)
{
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(rule, "default");
	const cJSON *values = cJSON_GetObjectItemCaseSensitive(rule, "enum");
	const cJSON *value;
	bool listed = false;
	size_t i = 0, mark;
	int ret = 0;

	cJSON_ArrayForEach(value, values) {
		mark = pc_push_key(c, "enum");
		pc_push_index(c, i++);
		ret |= check_value(c, type, rule, value);
		pc_pop(c, mark);
		listed |= def && cJSON_Compare(value, def, true);
	}
	if (!def)
		return ret ? -EINVAL : 0;
	mark = pc_push_key(c, "default");
	ret |= check_value(c, type, rule, def);
	if (values && !listed)
		ret |= pc_error(c, def, "not one of the enum values");
	if (!ret && cJSON_IsString(def)) {
		char why[120], got[64];

		if (default_misfit(rule, def->valuestring, why, sizeof(why)))
			ret |= pc_error(c, def, "%s: %s", pc_describe(c, def, got, sizeof(got)), why);
	}
	pc_pop(c, mark);
	return ret ? -EINVAL : 0;
}

/* premium_action says what happens to a premium argument: "deny" unless
 * given, and meaningless on an argument that is not premium. */
static int premium_action_finish(struct pc_ctx *c, cJSON *rule)
{
	cJSON *action = cJSON_GetObjectItemCaseSensitive(rule, "premium_action");
	bool premium = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rule, "premium"));
	size_t mark;
	int ret;

	if (premium && !action)
		return pc_add_default(c, rule, "premium_action", "\"deny\"") ? 0 : -ENOMEM;
	if (premium || !action)
		return 0;
	mark = pc_push_key(c, "premium_action");
	ret = pc_error(c, action, "applies only to an argument with \"premium\": true");
	pc_pop(c, mark);
	return ret;
}

static int arg_finish(struct pc_ctx *c, cJSON *rule)
{
	static const char *const text_types[] = { "string", NULL };
	static const char *const sized_types[] = { "string", "array", NULL };
	static const char *const number_types[] = { "integer", "number", NULL };
	const char *type = cJSON_GetObjectItemCaseSensitive(rule, "type")->valuestring;
	const cJSON *min = cJSON_GetObjectItemCaseSensitive(rule, "minimum");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(rule, "maximum");
	int ret = 0;

	ret |= rule_applies(c, rule, "max_length", type, sized_types);
	ret |= rule_applies(c, rule, "pattern", type, text_types);
	ret |= rule_applies(c, rule, "deny_patterns", type, text_types);
	ret |= rule_applies(c, rule, "sql", type, text_types);
	ret |= rule_applies(c, rule, "minimum", type, number_types);
	ret |= rule_applies(c, rule, "maximum", type, number_types);
	if (min && max && min->valuedouble > max->valuedouble)
		ret |= pc_error(c, min, "minimum %.15g is above maximum %.15g",
				min->valuedouble, max->valuedouble);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rule, "required")) &&
	    cJSON_GetObjectItemCaseSensitive(rule, "default"))
		ret |= pc_error(c, cJSON_GetObjectItemCaseSensitive(rule, "default"),
				"a required argument cannot have a default "
				"(it would never be used)");
	ret |= premium_action_finish(c, rule);
	if (ret)
		return -EINVAL;
	return arg_values(c, rule, type);
}

/* --- tables ---------------------------------------------------------------- */

static const struct pc_field rate_fields[] = {
	{ "rate", pc_int, &I_RATE, NULL, true },
	{ "burst", pc_int, &I_BURST },
};
static const struct pc_object O_RATE = { FIELDS(rate_fields), rate_finish };

static const struct pc_field byte_rate_fields[] = {
	{ "rate", pc_int, &I_BYTE_RATE, NULL, true },
	{ "burst", pc_int, &I_BYTE_BURST },
};
static const struct pc_object O_BYTE_RATE = { FIELDS(byte_rate_fields), rate_finish };

static const struct pc_field period_fields[] = {
	{ "per_second", pc_int, &I_CALLS },
	{ "per_minute", pc_int, &I_CALLS },
	{ "per_hour", pc_int, &I_CALLS },
	{ "per_day", pc_int, &I_CALLS },
};
static const struct pc_object O_PERIODS = { FIELDS(period_fields), period_finish };

static const struct pc_field class_limit_fields[] = {
	{ "read", pc_object, &O_PERIODS },
	{ "write", pc_object, &O_PERIODS },
};
static const struct pc_object O_CLASS_LIMITS = { FIELDS(class_limit_fields) };

static const struct pc_field budget_fields[] = {
	{ "per_day", pc_number, &N_BUDGET },
	{ "per_month", pc_number, &N_BUDGET },
	{ "action", pc_enum, budget_actions, "\"deny\"" },
};
static const struct pc_object O_BUDGET = { FIELDS(budget_fields), budget_finish };

/* escalation: refusals that turn into a ban (policy/escalation.h) */
static const struct pc_field esc_rule_fields[] = {
	{ "count", pc_int, &I_ESC_COUNT, NULL, true },
	{ "within_s", pc_int, &I_ESC_WITHIN_S, NULL, true },
};
static const struct pc_object O_ESC_RULE = { FIELDS(esc_rule_fields) };
static const struct pc_field escalation_fields[] = {
	{ "limited", pc_object, &O_ESC_RULE },
	{ "denied", pc_object, &O_ESC_RULE },
	{ "ban_s", pc_int, &I_BAN_S, NULL, true },
};
static const struct pc_object O_ESCALATION = { FIELDS(escalation_fields), escalation_finish };

/* limits: the daemon's HTTP limits. */
static const struct pc_field http_limit_fields[] = {
	{ "max_header_bytes", pc_int, &I_HEADER_BYTES, "16384" },
	{ "max_body_bytes", pc_int, &I_BODY_BYTES, "1048576" },
	{ "header_timeout_ms", pc_int, &I_HEADER_MS, "10000" },
	{ "idle_timeout_ms", pc_int, &I_IDLE_MS, "60000" },
	{ "max_connections", pc_int, &I_CONNS, "4096" },
	{ "max_connections_per_source", pc_int, &I_CONNS },	/* min(64, max_connections) */
	{ "write_timeout_ms", pc_int, &I_WRITE_MS, "10000" },
	{ "client_buffer_bytes", pc_int, &I_CLIENT_BUF, "1048576" },
	{ "max_sessions", pc_int, &I_SESSIONS, "65536" },
	{ "session_idle_ms", pc_int, &I_SESSION_IDLE_MS, "3600000" },
};
static const struct pc_object O_HTTP_LIMITS = { FIELDS(http_limit_fields), http_limits_finish };

/* backends */
static const struct pc_field backend_fields[] = {
	{ "url", pc_string, &S_URL, NULL, true },
	{ "connect_timeout_ms", pc_int, &I_CONNECT_MS },	/* min(1000, timeout_ms) */
	{ "timeout_ms", pc_int, &I_BACKEND_MS, "30000" },
	{ "pool_size", pc_int, &I_POOL, "64" },
	{ "sse_path", pc_string, &S_PATH, "\"/sse\"" },
	{ "failure_threshold", pc_int, &I_FAILURES, "5" },
	{ "open_ms", pc_int, &I_OPEN_MS, "5000" },
	{ "retry_after_s", pc_int, &I_RETRY_S, "1" },
};
static const struct pc_object O_BACKEND = { FIELDS(backend_fields), backend_finish };
static const struct pc_map M_BACKENDS = { &S_BACKEND, &O_BACKEND, 1, 256, "backend" };

/* kernel */
static const struct pc_field iface_fields[] = {
	{ "name", pc_string, &S_IFNAME, NULL, true },
	{ "mode", pc_enum, pol_mode_names, "\"native\"" },
};
static const struct pc_object O_IFACE = { FIELDS(iface_fields) };
static const struct pc_array A_IFACES = { pc_object, &O_IFACE, 0, 64, canon_name, "interface" };
static const struct pc_array A_PORTS = { pc_int, &I_PORT, 0, 65535, canon_number, "port" };
/* Capacity is checked across deny and agent sources in pol_xref.c. */
static const struct pc_array A_DENY = {
	pc_string, &S_PREFIX, 0, SL_MAX_EXACT + 2 * SL_MAX_PREFIXES, canon_prefix, "prefix"
};

static const struct pc_field kernel_fields[] = {
	{ "interfaces", pc_array, &A_IFACES, "[]" },
	{ "protected_ports", pc_array, &A_PORTS, "[]" },
	{ "monitor", pc_bool, NULL, "false" },
	{ "deny", pc_array, &A_DENY, "[]" },
	{ "syn_per_source", pc_object, &O_RATE },
	{ "events_per_second", pc_int, &I_EVENTS, "1000" },
	{ "learn_sources", pc_bool, NULL, "false" },
	{ "learn_idle_s", pc_int, &I_LEARN_IDLE_S, "600" },
};
static const struct pc_object O_KERNEL = { FIELDS(kernel_fields) };

/* allow/deny rules of agents and plans, over tool names, resource URIs and
 * prompt names */
static const struct pc_array A_GLOBS = { pc_string, &S_GLOB, 0, 1024, canon_string, "glob" };
static const struct pc_field agent_tool_fields[] = {
	{ "allow", pc_array, &A_GLOBS, "[\"*\"]" },
	{ "deny", pc_array, &A_GLOBS, "[]" },
};
static const struct pc_object O_AGENT_TOOLS = { FIELDS(agent_tool_fields) };
static const struct pc_array A_URI_GLOBS = {
	pc_string, &S_URI_GLOB, 0, 1024, canon_string, "glob"
};
static const struct pc_field resource_rule_fields[] = {
	{ "allow", pc_array, &A_URI_GLOBS, "[\"*\"]" },
	{ "deny", pc_array, &A_URI_GLOBS, "[]" },
};
static const struct pc_object O_RESOURCE_RULES = { FIELDS(resource_rule_fields) };
static const struct pc_array A_PROMPT_GLOBS = {
	pc_string, &S_PROMPT_GLOB, 0, 1024, canon_string, "glob"
};
static const struct pc_field prompt_rule_fields[] = {
	{ "allow", pc_array, &A_PROMPT_GLOBS, "[\"*\"]" },
	{ "deny", pc_array, &A_PROMPT_GLOBS, "[]" },
};
static const struct pc_object O_PROMPT_RULES = { FIELDS(prompt_rule_fields) };

/* plans */
static const struct pc_field plan_kernel_fields[] = {
	{ "syn", pc_object, &O_RATE },
	{ "packets", pc_object, &O_RATE },
	{ "bytes", pc_object, &O_BYTE_RATE },
};
static const struct pc_object O_PLAN_KERNEL = { FIELDS(plan_kernel_fields) };

static const struct pc_field plan_fields[] = {
	{ "kernel", pc_object, &O_PLAN_KERNEL, "{}" },
	{ "limits", pc_object, &O_CLASS_LIMITS, "{}" },
	{ "budget", pc_object, &O_BUDGET },
	{ "escalation", pc_object, &O_ESCALATION },
	{ "premium", pc_bool, NULL, "false" },
	{ "tools", pc_object, &O_AGENT_TOOLS, "{}" },
	{ "resources", pc_object, &O_RESOURCE_RULES, "{}" },
	{ "prompts", pc_object, &O_PROMPT_RULES, "{}" },
};
static const struct pc_object O_PLAN = { FIELDS(plan_fields) };
static const struct pc_map M_PLANS = { &S_PLAN, &O_PLAN, 0, 1024, "plan" };

/* agents */
static const struct pc_array A_SERVER_REQUESTS = {
	pc_enum, pol_server_request_names, 0, 3, canon_string, "server request"
};
static const struct pc_array A_KEYS = { pc_string, &S_SHA256, 0, 64, canon_string, "key" };
static const struct pc_array A_SOURCES = { pc_string, &S_PREFIX, 0, 1024, canon_prefix, "source" };

static const struct pc_field agent_fields[] = {
	{ "keys_sha256", pc_array, &A_KEYS, "[]" },
	{ "plan", pc_string, &S_PLAN },
	{ "customer", pc_string, &S_CUSTOMER },
	{ "sources", pc_array, &A_SOURCES, "[]" },
	{ "ban_action", pc_enum, pol_ban_names, "\"drop\"" },
	{ "tools", pc_object, &O_AGENT_TOOLS, "{}" },
	{ "limits", pc_object, &O_CLASS_LIMITS },
	{ "budget", pc_object, &O_BUDGET },
	{ "resources", pc_object, &O_RESOURCE_RULES, "{}" },
	{ "prompts", pc_object, &O_PROMPT_RULES, "{}" },
	{ "server_requests", pc_array, &A_SERVER_REQUESTS, "[]" },
};
static const struct pc_object O_AGENT = { FIELDS(agent_fields), agent_finish };
static const struct pc_map M_AGENTS = { &S_AGENT, &O_AGENT, 0, SL_MAX_AGENTS - 1, "agent" };

/* tools */
static const struct pc_array A_ENUM = { pc_any, NULL, 1, 256, canon_json, "enum value" };
static const struct pc_array A_REGEXES = { pc_string, &S_REGEX, 0, 256, canon_string, "pattern" };
/* sql: a string argument holding one SELECT; sql_rule.c reads it, sql_name.c
 * the names (schema.name, "Quoted", globs). */
static const struct pc_string S_SQL_NAME = {
	"a SQL name or glob (password, \"Secret\", api_*)", 1, 256, NULL, sql_name_why
};
static const struct pc_string S_SQL_QNAME = {
	"a SQL name or glob, schema-qualified or not (pg_sleep*, public.orders)", 1, 256, NULL,
	sql_qname_why
};
static const struct pc_array A_SQL_NAMES = {
	pc_string, &S_SQL_NAME, 0, 1024, canon_string, "name"
};
static const struct pc_array A_SQL_QNAMES = {
	pc_string, &S_SQL_QNAME, 0, 1024, canon_string, "name"
};
static const struct pc_field sql_fields[] = {
	{ "comments", pc_bool, NULL, "false" },
	{ "deny_functions", pc_array, &A_SQL_QNAMES, "[]" },
	{ "allow_functions", pc_array, &A_SQL_QNAMES },
	{ "deny_relations", pc_array, &A_SQL_QNAMES, "[]" },
	{ "allow_relations", pc_array, &A_SQL_QNAMES },
	{ "deny_schemas", pc_array, &A_SQL_NAMES, "[]" },
	{ "deny_columns", pc_array, &A_SQL_NAMES, "[]" },
	{ "deny_types", pc_array, &A_SQL_QNAMES, "[]" },
};
static const struct pc_object O_SQL = { FIELDS(sql_fields) };

static const struct pc_field arg_fields[] = {
	{ "type", pc_enum, arg_types, NULL, true },
	{ "required", pc_bool, NULL, "false" },
	{ "max_length", pc_int, &I_MAX_LENGTH },
	{ "minimum", pc_number, &N_BOUND },
	{ "maximum", pc_number, &N_BOUND },
	{ "enum", pc_array, &A_ENUM },
	{ "pattern", pc_string, &S_REGEX },
	{ "deny_patterns", pc_array, &A_REGEXES },
	{ "sql", pc_object, &O_SQL },
	{ "premium", pc_bool, NULL, "false" },
	{ "default", pc_any, NULL },
	{ "premium_action", pc_enum, premium_actions },	/* "deny" when premium */
};
static const struct pc_object O_ARG = { FIELDS(arg_fields), arg_finish };
static const struct pc_array A_SCOPES = { pc_string, &S_SCOPE, 0, 32, canon_string, "scope" };
static const struct pc_map M_ARGS = { &S_ARG, &O_ARG, 0, 256, "argument" };

static const struct pc_field tool_fields[] = {
	{ "class", pc_enum, class_names, NULL, true },
	{ "cost", pc_number, &N_COST, "0" },
	{ "cost_per_kib", pc_number, &N_COST, "0" },
	{ "backend", pc_string, &S_BACKEND },
	{ "limits", pc_object, &O_PERIODS },
	{ "arguments", pc_map, &M_ARGS },
	{ "unknown_arguments", pc_enum, unknown_arg_actions },
	{ "scopes", pc_array, &A_SCOPES, "[]" },
};
static const struct pc_object O_TOOL = { FIELDS(tool_fields), tool_finish };
static const struct pc_map M_TOOLS = { &S_TOOL, &O_TOOL, 0, 4096, "tool" };

/* redaction */
static const struct pc_field redaction_fields[] = {
	{ "name", pc_string, &S_RULE, NULL, true },
	{ "pattern", pc_string, &S_REGEX, NULL, true },
	{ "replacement", pc_string, &S_REPLACEMENT, "\"[REDACTED]\"" },
	{ "check", pc_enum, redaction_checks },
};
static const struct pc_object O_REDACTION = { FIELDS(redaction_fields) };
static const struct pc_array A_REDACTION = { pc_object, &O_REDACTION, 0, 256, canon_name, "rule" };

/* context_headers: who the gateway says the caller is, towards the backend */
static const struct pc_field context_header_fields[] = {
	{ "agent", pc_string, &S_CONTEXT_HEADER, "\"X-Sluice-Agent\"" },
	{ "customer", pc_string, &S_CONTEXT_HEADER, "\"X-Sluice-Customer\"" },
	{ "plan", pc_string, &S_CONTEXT_HEADER, "\"X-Sluice-Plan\"" },
};
static const struct pc_object O_CONTEXT_HEADERS = {
	FIELDS(context_header_fields), context_headers_finish
};

static const struct pc_array A_HOSTS = { pc_string, &S_ORIGIN, 0, 256, canon_string, "entry" };

/* audit: where the records of calls go.  journald has no default here: absent
 * means "when the journal's socket exists at start" (gwconf.c). */
static const struct pc_field audit_fields[] = {
	{ "jsonl", pc_string, &pol_abs_path },
	{ "journald", pc_bool },
	{ "spool", pc_string, &pol_abs_path, "\"/var/lib/sluice/audit.spool\"" },
};
static const struct pc_object O_AUDIT = { FIELDS(audit_fields) };

/* customers: what is spent on behalf of each (agents.*.customer) */
static const struct pc_field customer_fields[] = {
	{ "budget", pc_object, &O_BUDGET },
};
static const struct pc_object O_CUSTOMER = { FIELDS(customer_fields) };
static const struct pc_map M_CUSTOMERS = { &S_CUSTOMER, &O_CUSTOMER, 0, 65536, "customer" };

/* usage: the ledger (base/usage.h has the defaults). */
static const struct pc_field usage_fields[] = {
	{ "path", pc_string, &pol_abs_path, "\"/var/lib/sluice/usage.db\"" },
	{ "retention_days", pc_int, &I_RETENTION_DAYS, "90" },
	{ "queue", pc_int, &I_USAGE_QUEUE, "16384" },
};
static const struct pc_object O_USAGE = { FIELDS(usage_fields) };

static const struct pc_field root_fields[] = {
	{ "version", pc_int, &I_VERSION, NULL, true },
	{ "listen", pc_string, &S_LISTEN, "\"127.0.0.1:8470\"" },
	{ "admin", pc_string, &S_LISTEN, "\"127.0.0.1:8471\"" },
	{ "admin_public", pc_bool, NULL, "false" },
	{ "limits", pc_object, &O_HTTP_LIMITS, "{}" },
	{ "backends", pc_map, &M_BACKENDS, NULL, true },
	{ "default_backend", pc_string, &S_BACKEND },
	{ "workers", pc_int, &I_WORKERS, "0" },
	{ "mcp_path", pc_string, &S_PATH, "\"/mcp\"" },
	{ "allowed_hosts", pc_array, &A_HOSTS, "[]" },
	{ "allowed_origins", pc_array, &A_HOSTS, "[]" },
	{ "unknown_tools", pc_enum, unknown_tool_actions, "\"refuse\"" },
	{ "limited_answer", pc_enum, limited_answers, "\"http\"" },
	{ "escalation", pc_object, &O_ESCALATION },
	{ "context_headers", pc_object, &O_CONTEXT_HEADERS, "{}" },
	{ "kernel", pc_object, &O_KERNEL, "{}" },
	{ "plans", pc_map, &M_PLANS, "{}" },
	{ "agents", pc_map, &M_AGENTS, "{}" },
	{ "customers", pc_map, &M_CUSTOMERS, "{}" },
	{ "audit", pc_object, &O_AUDIT, "{}" },
	{ "tools", pc_map, &M_TOOLS, "{}" },
	{ "redaction", pc_array, &A_REDACTION, "[]" },
	{ "auth", pc_object, &pol_auth_object, "{}" },
	{ "usage", pc_object, &O_USAGE, "{}" },
};
/* No finish: the cross-references run even when a section has errors. */
static const struct pc_object O_ROOT = { FIELDS(root_fields) };

int pol_schema_check(struct pc_ctx *c, cJSON *root)
{
	int ret = pc_check_duplicates(c, root);
	int r;

	if (ret == -ENOMEM)
		return ret;
	r = pc_object(c, root, &O_ROOT);
	if (r == -ENOMEM)
		return r;
	return ret ? ret : r;
}

/* --- the walk, for the documentation ---------------------------------------- */

/* Object kinds used in several places: documented once, under their name. */
static const struct {
	const char *name;
	const struct pc_object *obj;
} shared_kinds[] = {
	{ "rate", &O_RATE },
	{ "rate", &O_BYTE_RATE },	/* the same fields, wider ranges */
	{ "periods", &O_PERIODS },
	{ "budget", &O_BUDGET },
	{ "escalation", &O_ESCALATION },
};

static bool is_shared(const struct pc_object *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(shared_kinds); i++)
		if (shared_kinds[i].obj == o)
			return true;
	return false;
}

/* The object @f's value holds, and the path step into it ("", ".*" for a
 * map's members, "[]" for an array's elements); NULL for anything else. */
static const struct pc_object *inner_object(const struct pc_field *f, const char **step)
{
	const struct pc_array *a = f->arg;

	*step = "";
	if (f->check == pc_object)
		return f->arg;
	if (f->check == pc_map) {
		*step = ".*";
		return ((const struct pc_map *)f->arg)->value;
	}
	if (f->check == pc_array && a->elem == pc_object) {
		*step = "[]";
		return a->elem_arg;
	}
	return NULL;
}

static void walk_object(const struct pc_object *o, const char *prefix, pol_schema_walk_fn fn,
			void *arg)
{
	for (size_t i = 0; i < o->n_fields; i++) {
		const struct pc_field *f = &o->fields[i];
		const struct pc_object *inner;
		const char *step;
		char path[256];
		int n;

		n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", f->name);
		fn(path, f, arg);
		inner = inner_object(f, &step);
		if (!inner || is_shared(inner) || (size_t)n >= sizeof(path))
			continue;
		snprintf(path + n, sizeof(path) - (size_t)n, "%s", step);
		walk_object(inner, path, fn, arg);
	}
}

void pol_schema_walk(pol_schema_walk_fn fn, void *arg)
{
	walk_object(&O_ROOT, "", fn, arg);
	for (size_t i = 0; i < ARRAY_SIZE(shared_kinds); i++)
		walk_object(shared_kinds[i].obj, shared_kinds[i].name, fn, arg);
}
