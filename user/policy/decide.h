/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * decide.h - who may call what: the gateway's verdict on one MCP message,
 * a pure function of (compiled policy, identity, message, limiter state,
 * clock).  No sockets, no I/O: the proxy carries the verdict out, and the
 * unit tests call it directly.
 *
 * The order is fixed, and a message refused at one step never reaches the
 * next, so a call refused early never burns quota:
 *
 *   1. authentication  - done by the caller, which passes a struct identity;
 *   2. authorization   - attribution (a policy with agents refuses what no
 *                        agent sent), the tool catalogue (unknown_tools), the
 *                        agent's and its plan's allow/deny globs over tools,
 *                        resource URIs and prompt names, the token's scopes;
 *   3. validation      - argument rules (types, bounds, enum, PCRE2 patterns,
 *                        premium arguments), unknown arguments stripped or
 *                        refused, defaults added;
 *   4. limits          - rate limits, budgets and cost: the next step, which
 *                        takes the limiter state and the clock passed here.
 *
 * policies/README.md documents the fields, the combination of agent and plan
 * rules, and the JSON-RPC errors of each refusal.
 */
#ifndef SL_DECIDE_H
#define SL_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <cjson/cJSON.h>

#include "proto/mcp.h"
#include "policy.h"
#include "verdict.h"	/* struct identity, struct decide_verdict */

/* --- the compiled model -------------------------------------------------------- */

struct decide_model;

/*
 * Compiles @pol (checked by policy_parse()) for the request path: agents,
 * plans and tools in hash tables by name, allow/deny glob lists, argument
 * rules with their PCRE2 patterns (JIT).  Immutable afterwards: any number
 * of threads may decide with it at once.  It points into pol->json, so it
 * lives as long as the policy: build it right after policy_parse() and free
 * it right before policy_free().  0; -ENOMEM (one error added to @errs, which
 * may be NULL).
 */
int decide_model_build(const struct policy *pol, struct decide_model **out,
		       struct pol_errors *errs);
void decide_model_free(struct decide_model *dm);

/* A policy with no agents is an open gateway: every caller is allowed and no
 * agent or plan rule applies (tool rules and argument validation still do).
 * The daemon should say so loudly when it loads one. */
bool decide_open_gateway(const struct decide_model *dm);
/* Index of agent @name, or IDENTITY_NO_AGENT. */
int decide_agent_index(const struct decide_model *dm, const char *name);
/* Fills @id for agent @agent (IDENTITY_NO_AGENT: nobody) established by
 * @method: its plan and customer from the policy, no scopes. */
void decide_identity_of(const struct decide_model *dm, int agent, enum identity_method method,
			struct identity *id);

/*
 * Judges @msg, one message an agent sent (one element of a batch), for
 * identity @id.  Fills @v and returns its action.
 *
 * DECIDE_REWRITE changed @msg's tree in place (params.arguments: defaults
 * added, unknown arguments stripped); the caller forwards the tree printed
 * again (cJSON_PrintUnformatted() of the batch root: every number is printed
 * as the double it parsed to, which is what a JSON backend reads anyway).  A
 * rewrite never changes the method or params.name, so Mcp-Method and
 * Mcp-Name stay right; Mcp-Param-* headers mirror arguments, so the caller
 * rebuilds them from the rewritten arguments (or drops them when the tool's
 * x-mcp-header bindings are unknown).
 *
 * @lim and @now_ns are the limits step's (struct decide_limiter, verdict.h); the
 * verdict records @now_ns.
 */
enum decide_action decide_request(const struct decide_model *dm, const struct identity *id,
				  struct mcp_msg *msg, struct decide_limiter *lim, __u64 now_ns,
				  struct decide_verdict *v);

/*
 * Judges @msg, a message the backend sent toward the agent with identity
 * @id: sampling/createMessage, elicitation/create and roots/list requests
 * pass only when the agent's server_requests lists their kind (and in an
 * open gateway).  Everything else passes.  A DECIDE_DENY is answered to the
 * backend (the verdict's code and message); the agent never sees the request.
 */
enum decide_action decide_server_request(const struct decide_model *dm,
					 const struct identity *id, const struct mcp_msg *msg,
					 struct decide_verdict *v);

/*
 * Removes from @result, the result object of a tools/list, resources/list,
 * resources/templates/list or prompts/list (@method), every entry identity
 * @id may not use, in place: an agent never sees what it cannot call.  An
 * entry without its string name (uri, uriTemplate) goes too.  Tools whose
 * only obstacle is a missing token scope stay listed: a client can step up
 * its token, and the call then answers insufficient_scope.  Returns how
 * many entries were removed (0 for any other method, or a result without
 * the list).
 */
size_t decide_filter_list(const struct decide_model *dm, const struct identity *id,
			  enum mcp_method method, cJSON *result);

#endif
