/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * authz.h - authorization: who the caller is in the model, whether a tool
 * exists (unknown_tools), whether the caller's agent and plan rules let it
 * use a tool, resource or prompt, and whether its token has the tool's
 * scopes.
 *
 * Agent and plan rules combine as an intersection: a name must be allowed
 * by both the agent's list and its plan's, and a deny glob in either wins.
 * An agent can narrow its plan, never widen it.  The defaults (allow "*",
 * deny nothing) make a list that is not written neutral.
 */
#ifndef SL_AUTHZ_H
#define SL_AUTHZ_H

#include "model.h"

/* The caller as the model knows it. */
struct authz_caller {
	const struct dm_agent *agent;	/* NULL: open gateway (no agent rules) */
	const struct dm_plan *plan;	/* NULL: no plan */
};

/* Attribution: a policy with agents refuses an identity naming none of them
 * (fail closed), and any identity naming a plan the policy lacks. */
enum decide_action authz_caller(const struct decide_model *dm, const struct identity *id,
				struct authz_caller *c, struct decide_verdict *v);

/* The agent's and the plan's allow/deny globs over @name in @space. */
enum decide_action authz_name(const struct authz_caller *c, enum dm_space space,
			      const char *name, struct decide_verdict *v);

/* The tool catalogue, then authz_name() over tools.  Fills the verdict's
 * tool, class, cost and backend, and *tool (NULL: not declared). */
enum decide_action authz_tool(const struct decide_model *dm, const struct authz_caller *c,
			      const char *name, const struct dm_tool **tool,
			      struct decide_verdict *v);

/* tools.*.scopes, for identities established by a token. */
enum decide_action authz_scopes(const struct dm_tool *tool, const struct identity *id,
				struct decide_verdict *v);

#endif
