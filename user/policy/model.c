// SPDX-License-Identifier: GPL-2.0-only
/*
 * model.c - a checked policy compiled for the request path (see model.h).
 *
 * The checker has vouched for every type, range and cross-reference, so
 * building trusts the tree and can fail only for want of memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "pol_schema.h"
#include "sql_rule.h"

static const char *const space_fields[DM_N_SPACES] = { "tools", "resources", "prompts" };
static const char *const unknown_names[] = { "refuse", "read", "write", NULL };

static const cJSON *member(const cJSON *obj, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static const char *string_of(const cJSON *obj, const char *name)
{
	const cJSON *item = member(obj, name);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* "section.name" as the checker writes paths; NULL: no memory. */
static char *path_of(const char *section, const char *name)
{
	char path[256] = "";

	vd_path_push(path, sizeof(path), section);
	vd_path_push(path, sizeof(path), name);
	return strdup(path);
}

/* --- rules of agents and plans ------------------------------------------------------ */

static int rules_build(struct dm_rules *r, const cJSON *owner, const char *section)
{
	for (int s = 0; s < DM_N_SPACES; s++) {
		const cJSON *obj = member(owner, space_fields[s]);
		char path[256] = "";

		vd_path_push(path, sizeof(path), section);
		vd_path_push(path, sizeof(path), owner->string);
		vd_path_push(path, sizeof(path), space_fields[s]);
		r[s].path = strdup(path);
		if (!r[s].path || globset_build(&r[s].allow, member(obj, "allow")) ||
		    globset_build(&r[s].deny, member(obj, "deny")))
			return -ENOMEM;
	}
	return 0;
}

static void rules_free(struct dm_rules *r)
{
	for (int s = 0; s < DM_N_SPACES; s++) {
		globset_free(&r[s].allow);
		globset_free(&r[s].deny);
		free(r[s].path);
	}
}

/* --- limits ------------------------------------------------------------------------ */

const char *const dm_period_fields[DM_N_PERIODS] = {
	"per_second", "per_minute", "per_hour", "per_day",
};
const char *const dm_period_names[DM_N_PERIODS] = { "second", "minute", "hour", "day" };
const __u32 dm_period_seconds[DM_N_PERIODS] = { 1, 60, 3600, 86400 };

/* Fills in @p, from @periods (a checked "periods" object, or NULL) at
 * policy path @path, each period it sets that @p lacks. */
static int periods_add(struct dm_periods *p, const cJSON *periods, const char *path)
{
	char **own = &p->own[p->own[0] != NULL];

	for (int i = 0; i < DM_N_PERIODS; i++) {
		const cJSON *n = member(periods, dm_period_fields[i]);

		if (p->count[i] || !cJSON_IsNumber(n))
			continue;
		if (!*own && !(*own = strdup(path)))
			return -ENOMEM;
		p->count[i] = (__u32)n->valuedouble;
		p->path[i] = *own;
	}
	return 0;
}

static const char *const class_fields[2] = { "read", "write" };

/* A plan's class limits alone (an identity whose token names the plan). */
static int plan_limits_build(struct dm_plan *p, const cJSON *plan)
{
	char path[256];

	for (int c = 0; c < 2; c++) {
		path[0] = 0;
		vd_path_push(path, sizeof(path), "plans");
		vd_path_push(path, sizeof(path), p->name);
		vd_path_push(path, sizeof(path), "limits");
		vd_path_push(path, sizeof(path), class_fields[c]);
		if (periods_add(&p->limits[c], member(member(plan, "limits"), class_fields[c]),
				path))
			return -ENOMEM;
	}
	return 0;
}

/* An agent's class limits: each period its own, else its plan's. */
static int class_limits_build(struct dm_agent *a, const cJSON *agent, const cJSON *plans)
{
	const cJSON *plan = a->plan ? member(plans, a->plan) : NULL;
	char path[256];

	for (int c = 0; c < 2; c++) {
		snprintf(path, sizeof(path), "%s", a->path);
		vd_path_push(path, sizeof(path), "limits");
		vd_path_push(path, sizeof(path), class_fields[c]);
		if (periods_add(&a->class_limits[c], member(member(agent, "limits"),
							    class_fields[c]), path) ||
		    periods_add(&a->own_limits[c], member(member(agent, "limits"),
							  class_fields[c]), path))
			return -ENOMEM;
		path[0] = 0;
		vd_path_push(path, sizeof(path), "plans");
		vd_path_push(path, sizeof(path), a->plan ? a->plan : "");
		vd_path_push(path, sizeof(path), "limits");
		vd_path_push(path, sizeof(path), class_fields[c]);
		if (periods_add(&a->class_limits[c], member(member(plan, "limits"),
							    class_fields[c]), path))
			return -ENOMEM;
	}
	return 0;
}

static void periods_free(struct dm_periods *p)
{
	free(p->own[0]);
	free(p->own[1]);
}

/* @budget (a checked "budget" object, or NULL) at @section.@name.budget. */
static int budget_build(struct dm_budget *b, const cJSON *budget, const char *section,
			const char *name)
{
	const cJSON *day = member(budget, "per_day"), *month = member(budget, "per_month");
	char path[256] = "";

	if (!budget)
		return 0;
	b->has_day = cJSON_IsNumber(day);
	b->per_day = b->has_day ? day->valuedouble : 0;
	b->has_month = cJSON_IsNumber(month);
	b->per_month = b->has_month ? month->valuedouble : 0;
	b->report = !strcmp(string_of(budget, "action") ? string_of(budget, "action") : "deny",
			    "report");
	vd_path_push(path, sizeof(path), section);
	vd_path_push(path, sizeof(path), name);
	vd_path_push(path, sizeof(path), "budget");
	b->path = strdup(path);
	return b->path ? 0 : -ENOMEM;
}


static int plans_build(struct decide_model *dm, const cJSON *plans)
{
	size_t n = (size_t)cJSON_GetArraySize(plans);
	const cJSON *item;

	dm->plans = calloc(n ? n : 1, sizeof(*dm->plans));
	if (!dm->plans || nidx_init(&dm->plan_idx, n))
		return -ENOMEM;
	cJSON_ArrayForEach(item, plans) {
		struct dm_plan *p = &dm->plans[dm->n_plans++];

		p->name = item->string;
		p->premium = cJSON_IsTrue(member(item, "premium"));
		if (rules_build(p->rules, item, "plans") ||
		    budget_build(&p->budget, member(item, "budget"), "plans", p->name) ||
		    plan_limits_build(p, item))
			return -ENOMEM;
		nidx_add(&dm->plan_idx, p->name, (uint32_t)(dm->n_plans - 1));
	}
	return 0;
}

static int customers_build(struct decide_model *dm, const cJSON *customers)
{
	size_t n = (size_t)cJSON_GetArraySize(customers);
	const cJSON *item;

	dm->customers = calloc(n ? n : 1, sizeof(*dm->customers));
	if (!dm->customers || nidx_init(&dm->customer_idx, n))
		return -ENOMEM;
	cJSON_ArrayForEach(item, customers) {
		struct dm_customer *cu = &dm->customers[dm->n_customers++];

		cu->name = item->string;
		if (budget_build(&cu->budget, member(item, "budget"), "customers", cu->name))
			return -ENOMEM;
		nidx_add(&dm->customer_idx, cu->name, (uint32_t)(dm->n_customers - 1));
	}
	return 0;
}

static unsigned int server_requests_of(const cJSON *agent)
{
	const cJSON *item;
	unsigned int bits = 0;

	cJSON_ArrayForEach(item, member(agent, "server_requests"))
		bits |= 1u << pol_name_index(pol_server_request_names, item->valuestring);
	return bits;
}

static int agents_build(struct decide_model *dm, const cJSON *agents, const cJSON *plans)
{
	size_t n = (size_t)cJSON_GetArraySize(agents);
	const cJSON *item;

	dm->agents = calloc(n ? n : 1, sizeof(*dm->agents));
	if (!dm->agents || nidx_init(&dm->agent_idx, n))
		return -ENOMEM;
	cJSON_ArrayForEach(item, agents) {
		struct dm_agent *a = &dm->agents[dm->n_agents++];

		a->name = item->string;
		a->path = path_of("agents", item->string);
		a->plan = string_of(item, "plan");
		a->customer = string_of(item, "customer");
		a->server_requests = server_requests_of(item);
		if (!a->path || rules_build(a->rules, item, "agents") ||
		    class_limits_build(a, item, plans) ||
		    budget_build(&a->budget, member(item, "budget"), "agents", a->name))
			return -ENOMEM;
		nidx_add(&dm->agent_idx, a->name, (uint32_t)(dm->n_agents - 1));
	}
	return 0;
}

/* --- tools ---------------------------------------------------------------------------- */

/* The SQL step of validation, in the shape validate.h asks for. */
static int sql_judge(const struct sql_rule *rule, const char *text, size_t len, bool *ok,
		     char *why, size_t why_len)
{
	struct sql_verdict v;
	int ret = sql_rule_check(rule, text, len, &v);

	if (ret)
		return ret;
	*ok = v.ok;
	if (!v.ok)
		snprintf(why, why_len, "%s", v.message);
	return 0;
}

/* Compiles the "sql" rule of each argument that has one and attaches it. */
static int tool_sql_build(struct dm_tool *t, const cJSON *item, char *why, size_t why_len)
{
	const cJSON *args = member(item, "arguments"), *arg;
	int ret;

	if (!t->args || !args)
		return 0;
	t->sql = calloc((size_t)cJSON_GetArraySize(args), sizeof(*t->sql));
	if (!t->sql)
		return -ENOMEM;
	cJSON_ArrayForEach(arg, args) {
		const cJSON *sql = member(arg, "sql");
		char reason[200];

		if (!sql)
			continue;
		ret = sql_rule_compile(sql, &t->sql[t->n_sql], reason, sizeof(reason));
		if (ret) {
			snprintf(why, why_len, "tool \"%s\" argument \"%s\": %s", t->name,
				 arg->string, ret == -ENOMEM ? "out of memory" : reason);
			return ret;
		}
		ret = val_arg_set_sql(t->args, arg->string, t->sql[t->n_sql++], sql_judge);
		if (ret)
			return ret;
	}
	return 0;
}

static int tool_build(struct dm_tool *t, const cJSON *item, char *why, size_t why_len)
{
	const cJSON *scopes = member(item, "scopes"), *scope;
	char path[256];
	int ret;

	t->name = item->string;
	t->class = !strcmp(string_of(item, "class"), "write") ? DECIDE_CLASS_WRITE :
		   DECIDE_CLASS_READ;
	t->cost = member(item, "cost")->valuedouble;
	t->cost_per_kib = member(item, "cost_per_kib")->valuedouble;
	t->backend = string_of(item, "backend");
	t->scopes = calloc((size_t)cJSON_GetArraySize(scopes) + 1, sizeof(*t->scopes));
	if (!t->scopes)
		return -ENOMEM;
	cJSON_ArrayForEach(scope, scopes)
		t->scopes[t->n_scopes++] = scope->valuestring;
	path[0] = 0;
	vd_path_push(path, sizeof(path), "tools");
	vd_path_push(path, sizeof(path), t->name);
	vd_path_push(path, sizeof(path), "limits");
	if (periods_add(&t->limits, member(item, "limits"), path))
		return -ENOMEM;
	ret = val_tool_build(t->name, item, &t->args);
	if (ret == -EINVAL)
		snprintf(why, why_len, "tool \"%s\": an argument pattern does not compile",
			 t->name);
	return ret ? ret : tool_sql_build(t, item, why, why_len);
}

static int tools_build(struct decide_model *dm, const cJSON *tools, char *why, size_t why_len)
{
	size_t n = (size_t)cJSON_GetArraySize(tools);
	const cJSON *item;
	int ret;

	dm->tools = calloc(n ? n : 1, sizeof(*dm->tools));
	if (!dm->tools || nidx_init(&dm->tool_idx, n))
		return -ENOMEM;
	cJSON_ArrayForEach(item, tools) {
		ret = tool_build(&dm->tools[dm->n_tools++], item, why, why_len);
		if (ret)
			return ret;
		nidx_add(&dm->tool_idx, item->string, (uint32_t)(dm->n_tools - 1));
	}
	return 0;
}

/* --- the model ---------------------------------------------------------------------- */

int dm_build(const struct policy *pol, struct decide_model **out, char *why, size_t why_len)
{
	const cJSON *root = pol->json;
	struct decide_model *dm = calloc(1, sizeof(*dm));
	int ret = -ENOMEM;

	*out = NULL;
	snprintf(why, why_len, "out of memory");
	if (!dm)
		return -ENOMEM;
	dm->unknown_tools = (enum dm_unknown)pol_name_index(unknown_names,
							    string_of(root, "unknown_tools"));
	dm->default_backend = string_of(root, "default_backend");
	if (plans_build(dm, member(root, "plans")) || agents_build(dm, member(root, "agents"), member(root, "plans")) ||
	    customers_build(dm, member(root, "customers")))
		goto fail;
	ret = tools_build(dm, member(root, "tools"), why, why_len);
	if (ret)
		goto fail;
	*out = dm;
	return 0;
fail:
	dm_free(dm);
	return ret;
}

void dm_free(struct decide_model *dm)
{
	if (!dm)
		return;
	for (size_t i = 0; i < dm->n_plans; i++) {
		rules_free(dm->plans[i].rules);
		free(dm->plans[i].budget.path);
		periods_free(&dm->plans[i].limits[0]);
		periods_free(&dm->plans[i].limits[1]);
	}
	for (size_t i = 0; i < dm->n_customers; i++)
		free(dm->customers[i].budget.path);
	free(dm->customers);
	nidx_free(&dm->customer_idx);
	for (size_t i = 0; i < dm->n_agents; i++) {
		rules_free(dm->agents[i].rules);
		free(dm->agents[i].path);
		free(dm->agents[i].budget.path);
		for (int c = 0; c < 2; c++) {
			periods_free(&dm->agents[i].class_limits[c]);
			periods_free(&dm->agents[i].own_limits[c]);
		}
	}
	for (size_t i = 0; i < dm->n_tools; i++) {
		free(dm->tools[i].scopes);
		periods_free(&dm->tools[i].limits);
		val_tool_free(dm->tools[i].args);
		for (size_t k = 0; k < dm->tools[i].n_sql; k++)
			sql_rule_free(dm->tools[i].sql[k]);
		free(dm->tools[i].sql);
	}
	free(dm->plans);
	free(dm->agents);
	free(dm->tools);
	nidx_free(&dm->plan_idx);
	nidx_free(&dm->agent_idx);
	nidx_free(&dm->tool_idx);
	free(dm);
}
