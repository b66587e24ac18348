/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * verdict.h - what goes into a decision and what comes out of it: the
 * identity authentication established, the verdict, the JSON-RPC codes of
 * refusals (decide.h has the functions), and the helpers the decision's
 * steps fill a verdict with.
 */
#ifndef SL_VERDICT_H
#define SL_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <cjson/cJSON.h>

#include "sluice_abi.h"

/* --- identity: what authentication established ------------------------------ */

#define IDENTITY_NO_AGENT	(-1)
#define IDENTITY_MAX_SCOPES	16
#define IDENTITY_SCOPE_MAX	128	/* bytes of one scope, NUL included */

enum identity_method {
	IDM_NONE = 0,		/* nothing identified the caller */
	IDM_SOURCE,		/* its source address (agents.*.sources) */
	IDM_API_KEY,		/* an API key (agents.*.keys_sha256) */
	IDM_JWT,		/* a verified token */
};

/*
 * Filled by the caller: decide_identity_of() fills agent, plan and customer
 * from the policy; a token's claims may then replace plan and customer and
 * add scopes.  A token with more than IDENTITY_MAX_SCOPES scopes (or a longer
 * scope) keeps the ones that fit: a scope lost that way can only refuse.
 */
struct identity {
	int agent;			/* index in pol->agents (the model's order too), or
					 * IDENTITY_NO_AGENT */
	enum identity_method method;
	char plan[SL_NAME_MAX];		/* the effective plan; "" none */
	char customer[SL_NAME_MAX];	/* who usage is attributed to; "" none */
	size_t n_scopes;		/* IDM_JWT only: the token's scopes */
	char scopes[IDENTITY_MAX_SCOPES][IDENTITY_SCOPE_MAX];
};

/* --- the verdict ----------------------------------------------------------------- */

/* JSON-RPC codes of refusals; -32000..-32019 is what MCP 2026-07-28 leaves to
 * implementations (-32020..-32099 are the specification's). */
#define DECIDE_ERR_FORBIDDEN		(-32010)	/* agent, plan, server-request rule */
#define DECIDE_ERR_UNAUTHENTICATED	(-32011)	/* no agent, or a plan the policy lacks */
#define DECIDE_ERR_INSUFFICIENT_SCOPE	(-32012)	/* the token lacks tools.*.scopes */
#define DECIDE_ERR_PREMIUM		(-32013)	/* a premium argument, plan not premium */
#define DECIDE_ERR_LIMITED		(-32014)	/* a rate limit: come back later (429) */
#define DECIDE_ERR_BUDGET		(-32015)	/* a budget is spent until it resets (429) */
#define DECIDE_ERR_BANNED		(-32016)	/* the agent is banned (escalation or by
							 * hand) until a deadline (403) */
/* Unknown tools and refused arguments are MCP's own -32602 (MCP_ERR_INVALID_PARAMS). */

enum decide_action {
	DECIDE_ALLOW = 0,	/* forward as received */
	DECIDE_REWRITE,		/* forward the rewritten message (see decide_request) */
	DECIDE_DENY,		/* answer with code/message; forward nothing */
};

/* Why, for logs and counters; the message says it in words. */
enum decide_reason {
	DR_NONE = 0,
	DR_INVALID,		/* the message itself was refused by mcp_parse() */
	DR_UNATTRIBUTED,	/* agents are defined and the caller is none of them */
	DR_UNKNOWN_PLAN,	/* the identity names a plan the policy lacks */
	DR_UNKNOWN_TOOL,	/* not in tools, and unknown_tools is "refuse" */
	DR_TOOL_DENIED,		/* an agent's or plan's tools rule */
	DR_RESOURCE_DENIED,	/* ... resources rule */
	DR_PROMPT_DENIED,	/* ... prompts rule */
	DR_SERVER_REQUEST,	/* agents.*.server_requests lacks the kind */
	DR_SCOPE,		/* the token lacks a scope of tools.*.scopes */
	DR_ARGUMENT,		/* an argument rule (or unknown_arguments "refuse") */
	DR_PREMIUM,		/* a premium argument with premium_action "deny" */
	DR_INTERNAL,		/* out of memory while rewriting: refused, worth a retry */
	DR_LIMITED,		/* a rate limit (agents/plans.*.limits, tools.*.limits) */
	DR_BUDGET,		/* a "deny" budget (agents/plans/customers.*.budget) */
};

enum decide_class {
	DECIDE_CLASS_NONE = 0,	/* not a tool call */
	DECIDE_CLASS_READ,
	DECIDE_CLASS_WRITE,
};

#define DECIDE_MAX_UPSELL	8

/* One rate limit as the limits step saw it (the IETF RateLimit fields). */
struct decide_limit {
	char name[144];		/* "read-minute", "tool-run_query-day" */
	char rule[192];		/* its policy path: "plans.pro.limits.read.per_minute" */
	__u32 quota;		/* calls a window */
	__u32 window_s;		/* 1, 60, 3600 or 86400 */
	__u32 remaining;	/* calls left now (0 when refused) */
	__u32 reset_s;		/* seconds until the full quota is back */
	__u64 retry_after_ms;	/* refused: when the call would pass; else 0 */
};

struct decide_verdict {
	enum decide_action action;
	enum decide_reason reason;
	/* DECIDE_DENY: the JSON-RPC error, and the HTTP status to answer a
	 * single (not batched) request with: 200 for refusals the agent reads
	 * as a JSON-RPC error, 401 and 403 where HTTP authentication semantics
	 * apply (policies/README.md has the table). */
	int code;
	int http_status;
	char message[320];	/* printable ASCII, values from the request sanitised */
	char rule[192];		/* the policy path that decided, or "":
				 * "agents.bot.tools.deny[0]" */
	char scopes[512];	/* DR_SCOPE: every scope the tool needs, space-separated
				 * (for WWW-Authenticate: Bearer error="insufficient_scope") */
	/* tools/call, when authorized (also on later refusals) */
	int tool;		/* index of the tool in tools, or -1 (undeclared) */
	enum decide_class class;
	double cost;
	const char *backend;	/* where the call goes; NULL: the session's backend.
				 * Points into the policy. */
	/* premium arguments passed under premium_action "upsell": allowed, and
	 * to be recorded (names point into the policy) */
	size_t n_upsell;
	const char *upsell[DECIDE_MAX_UPSELL];
	size_t n_defaults;	/* arguments added from their default */
	size_t n_stripped;	/* unknown arguments removed */
	/* tools/call that reached the limits step: has_limit when a limit
	 * applies; limit is the one that refused (DR_LIMITED), else the one
	 * with the fewest calls left. */
	bool has_limit;
	struct decide_limit limit;
	/* budgets: a "report" budget overrun (the call passes), and for
	 * DR_BUDGET the seconds until the budget resets */
	bool budget_over;
	char budget_rule[192];
	__u64 budget_reset_s;
	double cost_per_kib;	/* tools.*.cost_per_kib, charged when the answer is complete */
	__u64 at_ns;		/* the clock passed in: when the decision was made */
};

/* The state of rate limits: the limits step's (limits.h), shared by every
 * thread that decides; NULL skips the step. */
struct decide_limiter;

/* agents.*.server_requests bits, in the order of pol_server_request_names. */
#define DECIDE_SR_SAMPLING	0x1u	/* sampling/createMessage */
#define DECIDE_SR_ELICITATION	0x2u	/* elicitation/create */
#define DECIDE_SR_ROOTS		0x4u	/* roots/list */

/* --- for the decision's steps ------------------------------------------------------ */

/* A fresh verdict: DECIDE_ALLOW, no tool, made at @now_ns. */
void vd_init(struct decide_verdict *v, __u64 now_ns);
/* "tool_denied", "limited": @r as the usage ledger records it. */
const char *decide_reason_name(enum decide_reason r);
/* Makes @v a DECIDE_DENY for @reason with JSON-RPC @code, HTTP @status, the
 * policy path @rule ("" for none) and a message (printf-style); returns
 * DECIDE_DENY. */
enum decide_action vd_deny(struct decide_verdict *v, enum decide_reason reason, int code,
			   int status, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Appends @key to the policy path in @buf (NUL-terminated, @len bytes) as
 * the checker writes paths: ".key", or ["key"] when it is not a plain word. */
void vd_path_push(char *buf, size_t len, const char *key);
/* A JSON value for a message: a sanitised quoted string, a number, true,
 * false, null, "an object" or "an array". */
const char *vd_describe(const cJSON *value, char *buf, size_t len);
/* @name (untrusted text from a message) quoted and sanitised for a message:
 * "\"run_query\"", cut short with "..." to fit @len (at least 8) bytes. */
const char *vd_quote(const char *name, char *buf, size_t len);

#endif
