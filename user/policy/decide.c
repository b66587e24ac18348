// SPDX-License-Identifier: GPL-2.0-only
/*
 * decide.c - the verdict on one MCP message (see decide.h): the steps in
 * their order, each a module of its own (authz.c, validate.c), and the
 * filter that keeps lists to what the caller may use.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "authz.h"
#include "decide.h"
#include "limits.h"
#include "model.h"
#include "pol_schema.h"
#include "validate.h"

/* --- the model ---------------------------------------------------------------------- */

int decide_model_build(const struct policy *pol, struct decide_model **out,
		       struct pol_errors *errs)
{
	char why[200];
	int ret = dm_build(pol, out, why, sizeof(why));

	if (ret && errs && pol_errors_add(errs, 0, 0, "cannot compile the policy: %s", why))
		ret = -ENOMEM;
	return ret;
}

void decide_model_free(struct decide_model *dm)
{
	dm_free(dm);
}

bool decide_open_gateway(const struct decide_model *dm)
{
	return dm->n_agents == 0;
}

int decide_agent_index(const struct decide_model *dm, const char *name)
{
	long i = nidx_find(&dm->agent_idx, name);

	return i >= 0 ? (int)i : IDENTITY_NO_AGENT;
}

void decide_identity_of(const struct decide_model *dm, int agent, enum identity_method method,
			struct identity *id)
{
	const struct dm_agent *a = agent >= 0 && (size_t)agent < dm->n_agents ?
				   &dm->agents[agent] : NULL;

	memset(id, 0, sizeof(*id));
	id->agent = a ? agent : IDENTITY_NO_AGENT;
	id->method = method;
	if (a && a->plan)
		snprintf(id->plan, sizeof(id->plan), "%s", a->plan);
	if (a && a->customer)
		snprintf(id->customer, sizeof(id->customer), "%s", a->customer);
}

/* --- requests from the agent --------------------------------------------------------- */

/* tools/call: the catalogue and the rules, the scopes, then the arguments.
 * The limits step (rate limits, budgets, cost) comes after these, so that
 * a call refused here never counts against a quota. */
static enum decide_action decide_call(const struct decide_model *dm, const struct identity *id,
				      const struct authz_caller *c, struct mcp_msg *msg,
				      struct decide_limiter *lim, struct decide_verdict *v)
{
	const struct dm_tool *tool;
	enum decide_action act;

	if (!msg->tool)
		return vd_deny(v, DR_ARGUMENT, MCP_ERR_INVALID_PARAMS, 200, "",
			       "tools/call needs params.name");
	act = authz_tool(dm, c, msg->tool, &tool, v);
	if (act == DECIDE_ALLOW)
		act = authz_scopes(tool, id, v);
	if (act == DECIDE_ALLOW && tool && tool->args)
		act = val_check(tool->args, cJSON_GetObjectItemCaseSensitive(msg->json, "params"),
				c->plan ? c->plan->name : NULL, c->plan && c->plan->premium, v);
	if (tool)
		v->cost_per_kib = tool->cost_per_kib;
	/* Last, the budgets (which charge the call as they pass it), then the
	 * rate limits: a call refused by anything before burns no quota, and
	 * one the limits refuse gets its cost back. */
	if (act == DECIDE_DENY || budget_check(lim, dm, id, v->cost, v->at_ns, v) == DECIDE_DENY)
		return DECIDE_DENY;
	if (limits_check(lim, dm, id->agent, id->plan, v->tool, v->class, v->at_ns, v) ==
	    DECIDE_DENY) {
		decide_refund(lim, dm, id, v->cost, v->at_ns);
		return DECIDE_DENY;
	}
	return act;
}

/* completion/complete completes an argument of a prompt or a resource
 * template: only one the caller may use. */
static enum decide_action decide_completion(const struct authz_caller *c,
					    const struct mcp_msg *msg, struct decide_verdict *v)
{
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(msg->params, "ref");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(ref, "type");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(ref, "name");
	const cJSON *uri = cJSON_GetObjectItemCaseSensitive(ref, "uri");

	if (!cJSON_IsString(type))
		return DECIDE_ALLOW;	/* names nothing: the backend refuses it */
	if (!strcmp(type->valuestring, "ref/prompt") && cJSON_IsString(name))
		return authz_name(c, DM_PROMPTS, name->valuestring, v);
	if (!strcmp(type->valuestring, "ref/resource") && cJSON_IsString(uri))
		return authz_name(c, DM_RESOURCES, uri->valuestring, v);
	return DECIDE_ALLOW;
}

/*
 * A URI the globs judge must name one resource, read one way: a glob for
 * everything under files://reports/ passes files://reports/../secrets, which a backend
 * that normalises the path reads as another resource.  So a dot segment
 * (".", ".."), a backslash, or '.', '/' or '\' percent-encoded is refused.
 */
static bool uri_ambiguous(const char *uri)
{
	for (const char *p = uri; *p; p++) {
		if (*p == '\\')
			return true;
		if (*p == '%' && p[1] && p[2] &&
		    (!strncasecmp(p + 1, "2e", 2) || !strncasecmp(p + 1, "2f", 2) ||
		     !strncasecmp(p + 1, "5c", 2)))
			return true;
		if (*p == '/' && p[1] == '.' &&
		    (p[2] == '/' || !p[2] || (p[2] == '.' && (p[3] == '/' || !p[3]))))
			return true;
	}
	return false;
}

static enum decide_action named(const struct authz_caller *c, enum dm_space space,
				const char *name, const char *method, struct decide_verdict *v)
{
	if (!name)
		return vd_deny(v, DR_ARGUMENT, MCP_ERR_INVALID_PARAMS, 200, "",
			       "%s names nothing", method);
	if (space == DM_RESOURCES && uri_ambiguous(name))
		return vd_deny(v, DR_ARGUMENT, MCP_ERR_INVALID_PARAMS, 200, "",
			       "%s: a resource URI with a dot segment, a backslash or an encoded "
			       "'.', '/' or '\\' could name another resource at the backend", method);
	return authz_name(c, space, name, v);
}

enum decide_action decide_request(const struct decide_model *dm, const struct identity *id,
				  struct mcp_msg *msg, struct decide_limiter *lim, __u64 now_ns,
				  struct decide_verdict *v)
{
	struct authz_caller c;

	vd_init(v, now_ns);
	if (msg->kind == MCP_INVALID)
		return vd_deny(v, DR_INVALID, msg->err.code, msg->err.http_status, "", "%s",
			       msg->err.message);
	if (authz_caller(dm, id, &c, v) == DECIDE_DENY)
		return DECIDE_DENY;
	if (msg->kind != MCP_REQUEST && msg->kind != MCP_NOTIFICATION)
		return DECIDE_ALLOW;	/* an answer to the backend's own request */
	switch (msg->info ? msg->info->id : MCP_M_OTHER) {
	case MCP_M_TOOLS_CALL:
		return decide_call(dm, id, &c, msg, lim, v);
	case MCP_M_RESOURCES_READ:
	case MCP_M_RESOURCES_SUBSCRIBE:
		return named(&c, DM_RESOURCES, msg->uri, msg->method, v);
	case MCP_M_PROMPTS_GET:
		return named(&c, DM_PROMPTS, msg->prompt, msg->method, v);
	case MCP_M_COMPLETION_COMPLETE:
		return decide_completion(&c, msg, v);
	default:
		return DECIDE_ALLOW;
	}
}

/* --- requests from the backend ------------------------------------------------------- */

static unsigned int server_request_bit(enum mcp_method m)
{
	switch (m) {
	case MCP_M_SAMPLING_CREATE_MESSAGE: return DECIDE_SR_SAMPLING;
	case MCP_M_ELICITATION_CREATE: return DECIDE_SR_ELICITATION;
	case MCP_M_ROOTS_LIST: return DECIDE_SR_ROOTS;
	default: return 0;
	}
}

enum decide_action decide_server_request(const struct decide_model *dm,
					 const struct identity *id, const struct mcp_msg *msg,
					 struct decide_verdict *v)
{
	unsigned int bit = msg->kind == MCP_REQUEST && msg->info ?
			   server_request_bit(msg->info->id) : 0;
	struct authz_caller c;
	char rule[224] = "";
	int kind = 0;

	vd_init(v, 0);
	if (!bit || authz_caller(dm, id, &c, v) == DECIDE_DENY || !c.agent ||
	    (c.agent->server_requests & bit))
		return v->action;
	while (!(bit & (1u << kind)))
		kind++;
	snprintf(rule, sizeof(rule), "%s.server_requests", c.agent->path);
	return vd_deny(v, DR_SERVER_REQUEST, DECIDE_ERR_FORBIDDEN, 200, rule,
		       "%s requests are not allowed for agent \"%s\" (%s lacks \"%s\")",
		       msg->method, c.agent->name, rule, pol_server_request_names[kind]);
}

/* --- lists ---------------------------------------------------------------------------- */

struct list_kind {
	enum mcp_method method;
	const char *array;	/* the result's member holding the list */
	const char *key;	/* each entry's name */
	enum dm_space space;
};

static const struct list_kind list_kinds[] = {
	{ MCP_M_TOOLS_LIST, "tools", "name", DM_TOOLS },
	{ MCP_M_RESOURCES_LIST, "resources", "uri", DM_RESOURCES },
	{ MCP_M_RESOURCES_TEMPLATES_LIST, "resourceTemplates", "uriTemplate", DM_RESOURCES },
	{ MCP_M_PROMPTS_LIST, "prompts", "name", DM_PROMPTS },
};

static bool may_use(const struct decide_model *dm, const struct authz_caller *c,
		    const struct list_kind *k, const char *name, struct decide_verdict *v)
{
	const struct dm_tool *tool;

	if (k->space == DM_TOOLS)
		return authz_tool(dm, c, name, &tool, v) == DECIDE_ALLOW;
	return authz_name(c, k->space, name, v) == DECIDE_ALLOW;
}

size_t decide_filter_list(const struct decide_model *dm, const struct identity *id,
			  enum mcp_method method, cJSON *result)
{
	const struct list_kind *k = NULL;
	struct decide_verdict v;
	struct authz_caller c;
	cJSON *list, *entry, *next;
	size_t removed = 0;
	bool nobody;

	for (size_t i = 0; i < sizeof(list_kinds) / sizeof(list_kinds[0]); i++)
		if (list_kinds[i].method == method)
			k = &list_kinds[i];
	list = k ? cJSON_GetObjectItemCaseSensitive(result, k->array) : NULL;
	if (!cJSON_IsArray(list))
		return 0;
	vd_init(&v, 0);
	nobody = authz_caller(dm, id, &c, &v) == DECIDE_DENY;
	for (entry = list->child; entry; entry = next) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(entry, k->key);

		next = entry->next;
		if (!nobody && cJSON_IsString(name) && may_use(dm, &c, k, name->valuestring, &v))
			continue;
		cJSON_Delete(cJSON_DetachItemViaPointer(list, entry));
		removed++;
	}
	return removed;
}
