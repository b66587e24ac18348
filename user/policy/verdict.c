// SPDX-License-Identifier: GPL-2.0-only
/*
 * verdict.c - filling a verdict (see verdict.h).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/jpath.h"
#include "base/utf8.h"
#include "verdict.h"

/* Spelled as the ledger and logs write them; in enum decide_reason's order. */
static const char *const reason_names[] = {
	[DR_NONE] = "none",
	[DR_INVALID] = "invalid",
	[DR_UNATTRIBUTED] = "unattributed",
	[DR_UNKNOWN_PLAN] = "unknown_plan",
	[DR_UNKNOWN_TOOL] = "unknown_tool",
	[DR_TOOL_DENIED] = "tool_denied",
	[DR_RESOURCE_DENIED] = "resource_denied",
	[DR_PROMPT_DENIED] = "prompt_denied",
	[DR_SERVER_REQUEST] = "server_request",
	[DR_SCOPE] = "scope",
	[DR_ARGUMENT] = "argument",
	[DR_PREMIUM] = "premium",
	[DR_INTERNAL] = "internal",
	[DR_LIMITED] = "limited",
	[DR_BUDGET] = "budget",
};
_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) == DR_BUDGET + 1,
	       "a name for each reason (a new last reason: update this too)");

const char *decide_reason_name(enum decide_reason r)
{
	if ((size_t)r >= sizeof(reason_names) / sizeof(reason_names[0]) || !reason_names[r])
		return "unknown";
	return reason_names[r];
}

/* Field by field: clearing the text buffers whole would cost more than
 * many a decision. */
void vd_init(struct decide_verdict *v, __u64 now_ns)
{
	v->action = DECIDE_ALLOW;
	v->reason = DR_NONE;
	v->code = 0;
	v->http_status = 0;
	v->message[0] = '\0';
	v->rule[0] = '\0';
	v->scopes[0] = '\0';
	v->tool = -1;
	v->class = DECIDE_CLASS_NONE;
	v->has_limit = false;
	v->budget_over = false;
	v->budget_rule[0] = '\0';
	v->budget_reset_s = 0;
	v->cost_per_kib = 0;
	v->cost = 0;
	v->backend = NULL;
	v->n_upsell = 0;
	v->n_defaults = 0;
	v->n_stripped = 0;
	v->at_ns = now_ns;
}

enum decide_action vd_deny(struct decide_verdict *v, enum decide_reason reason, int code,
			   int status, const char *rule, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(v->message, sizeof(v->message), "sluice: ");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->message + n, sizeof(v->message) - n, fmt, ap);
	va_end(ap);
	utf8_mend_cuts(v->message);	/* a caller's name cut by the buffer */
	snprintf(v->rule, sizeof(v->rule), "%s", rule);
	v->action = DECIDE_DENY;
	v->reason = reason;
	v->code = code;
	v->http_status = status;
	return DECIDE_DENY;
}

/* As mcp_sanitize() writes untrusted text (printable ASCII kept, '"' and
 * '\\' escaped, other bytes as \xNN, "..." when cut), without a printf
 * per byte: refusals are on the request path too. */
const char *vd_quote(const char *name, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 1;

	buf[0] = '"';
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;
		bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';

		if (n + (plain ? 1 : c == '"' || c == '\\' ? 2 : 4) + 5 > len) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		if (plain) {
			buf[n++] = (char)c;
		} else if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else {
			memcpy(buf + n, "\\x", 2);
			buf[n + 2] = hex[c >> 4];
			buf[n + 3] = hex[c & 15];
			n += 4;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

void vd_path_push(char *buf, size_t len, const char *key)
{
	size_t n = strlen(buf);

	if (jpath_plain_word(key))
		snprintf(buf + n, len - n, "%s%s", n ? "." : "", key);
	else
		snprintf(buf + n, len - n, "[\"%s\"]", key);
}

const char *vd_describe(const cJSON *value, char *buf, size_t len)
{
	if (cJSON_IsString(value))
		return vd_quote(value->valuestring, buf, len);
	if (cJSON_IsNumber(value))
		snprintf(buf, len, "%.15g", value->valuedouble);
	else
		snprintf(buf, len, "%s", cJSON_IsTrue(value) ? "true" : cJSON_IsFalse(value) ?
			 "false" : cJSON_IsNull(value) ? "null" : cJSON_IsObject(value) ?
			 "an object" : "an array");
	return buf;
}
