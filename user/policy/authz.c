// SPDX-License-Identifier: GPL-2.0-only
/*
 * authz.c - who may use what (see authz.h).
 */
#include <stdio.h>
#include <string.h>

#include "proto/mcp.h"
#include "authz.h"

static const char *const space_nouns[DM_N_SPACES] = { "tool", "resource", "prompt" };
static const enum decide_reason space_reasons[DM_N_SPACES] = {
	DR_TOOL_DENIED, DR_RESOURCE_DENIED, DR_PROMPT_DENIED,
};

enum decide_action authz_caller(const struct decide_model *dm, const struct identity *id,
				struct authz_caller *c, struct decide_verdict *v)
{
	const char *plan = id->plan;
	char quoted[80];

	c->agent = NULL;
	c->plan = NULL;
	if (dm->n_agents && (id->agent < 0 || (size_t)id->agent >= dm->n_agents))
		return vd_deny(v, DR_UNATTRIBUTED, DECIDE_ERR_UNAUTHENTICATED, 401, "agents",
			       "this gateway serves the agents of its policy only, and the "
			       "request identifies none of them (send the agent's API key or "
			       "token)");
	if (dm->n_agents)
		c->agent = &dm->agents[id->agent];
	/* "" is the agent's own plan: a caller that left it out cannot drop
	 * the plan's rules that way. */
	if (!plan[0] && c->agent && c->agent->plan)
		plan = c->agent->plan;
	if (plan[0] && !(c->plan = dm_find_plan(dm, plan)))
		return vd_deny(v, DR_UNKNOWN_PLAN, DECIDE_ERR_UNAUTHENTICATED, 401, "plans",
			       "the identity names plan %s, which this gateway's policy does "
			       "not define", vd_quote(plan, quoted, sizeof(quoted)));
	return DECIDE_ALLOW;
}

/* One agent's or plan's rules over @name; @owner says whose, for the message. */
static enum decide_action rules_check(const struct dm_rules *r, enum dm_space space,
				      const char *name, const char *agent, bool of_plan,
				      struct decide_verdict *v)
{
	const char *whose = of_plan ? " (the rules of its plan)" : "";
	char quoted[120], rule[224];
	long i = globset_match(&r->deny, name);

	if (i >= 0) {
		snprintf(rule, sizeof(rule), "%s.deny[%ld]", r->path, i);
		return vd_deny(v, space_reasons[space], DECIDE_ERR_FORBIDDEN, 200, rule,
			       "%s %s is denied to agent \"%s\" by %s \"%s\"%s", space_nouns[space],
			       vd_quote(name, quoted, sizeof(quoted)), agent, rule,
			       r->deny.text[i], whose);
	}
	if (globset_match(&r->allow, name) >= 0)
		return DECIDE_ALLOW;
	snprintf(rule, sizeof(rule), "%s.allow", r->path);
	return vd_deny(v, space_reasons[space], DECIDE_ERR_FORBIDDEN, 200, rule,
		       "%s %s is not allowed for agent \"%s\": no glob of %s matches it%s",
		       space_nouns[space], vd_quote(name, quoted, sizeof(quoted)), agent, rule,
		       whose);
}

enum decide_action authz_name(const struct authz_caller *c, enum dm_space space,
			      const char *name, struct decide_verdict *v)
{
	enum decide_action act;

	if (!c->agent)
		return DECIDE_ALLOW;
	act = rules_check(&c->agent->rules[space], space, name, c->agent->name, false, v);
	if (act == DECIDE_ALLOW && c->plan)
		act = rules_check(&c->plan->rules[space], space, name, c->agent->name, true, v);
	return act;
}

enum decide_action authz_tool(const struct decide_model *dm, const struct authz_caller *c,
			      const char *name, const struct dm_tool **tool,
			      struct decide_verdict *v)
{
	char quoted[120];
	long index;
	const struct dm_tool *t = dm_find_tool(dm, name, &index);

	*tool = t;
	if (t) {
		v->tool = (int)index;
		v->class = t->class;
		v->cost = t->cost;
		v->backend = t->backend;
	} else if (dm->n_tools && dm->unknown_tools == DM_UNKNOWN_REFUSE) {
		return vd_deny(v, DR_UNKNOWN_TOOL, MCP_ERR_INVALID_PARAMS, 200, "unknown_tools",
			       "unknown tool %s: this gateway refuses tools its policy does not "
			       "list (unknown_tools is \"refuse\")",
			       vd_quote(name, quoted, sizeof(quoted)));
	} else {
		/* Undeclared and allowed: counted as unknown_tools says, or as
		 * the stricter class when there is no catalogue to speak of. */
		v->class = dm->unknown_tools == DM_UNKNOWN_READ ? DECIDE_CLASS_READ :
			   DECIDE_CLASS_WRITE;
		v->backend = dm->default_backend;
	}
	return authz_name(c, DM_TOOLS, name, v);
}

static bool has_scope(const struct identity *id, const char *scope)
{
	for (size_t i = 0; i < id->n_scopes && i < IDENTITY_MAX_SCOPES; i++)
		if (!strcmp(id->scopes[i], scope))
			return true;
	return false;
}

/* " a b c" appended to @buf; false when it did not fit. */
static bool join(char *buf, size_t len, const char *scope)
{
	size_t n = strlen(buf);
	int w = snprintf(buf + n, len - n, "%s%s", n ? " " : "", scope);

	return w >= 0 && (size_t)w < len - n;
}

enum decide_action authz_scopes(const struct dm_tool *tool, const struct identity *id,
				struct decide_verdict *v)
{
	char missing[512] = "", rule[224] = "tools";

	if (!tool || !tool->n_scopes || id->method != IDM_JWT)
		return DECIDE_ALLOW;
	v->scopes[0] = '\0';
	for (size_t i = 0; i < tool->n_scopes; i++) {
		join(v->scopes, sizeof(v->scopes), tool->scopes[i]);
		if (!has_scope(id, tool->scopes[i]))
			join(missing, sizeof(missing), tool->scopes[i]);
	}
	if (!missing[0]) {
		v->scopes[0] = '\0';	/* only a refusal lists them */
		return DECIDE_ALLOW;
	}
	vd_path_push(rule, sizeof(rule), tool->name);
	vd_path_push(rule, sizeof(rule), "scopes");
	return vd_deny(v, DR_SCOPE, DECIDE_ERR_INSUFFICIENT_SCOPE, 403, rule,
		       "tool \"%s\" needs the token scopes \"%s\"; the token lacks \"%s\" (%s)",
		       tool->name, v->scopes, missing, rule);
}
