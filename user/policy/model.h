/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * model.h - the compiled decision model (struct decide_model of decide.h):
 * what decide_model_build() makes of a checked policy (dm_build() here), laid out for the
 * request path.  Internal to policy/: authz.c and decide.c read it.
 *
 * Names and globs point into the policy's JSON tree (pol->json), which
 * outlives the model; only indexes, glob sets and compiled argument rules
 * are the model's own.
 */
#ifndef SL_MODEL_H
#define SL_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "verdict.h"
#include "globset.h"
#include "nameidx.h"
#include "validate.h"

/* The name spaces agents and plans have allow/deny rules over. */
enum dm_space {
	DM_TOOLS = 0,	/* tools/call: params.name */
	DM_RESOURCES,	/* resources/read, /subscribe: params.uri */
	DM_PROMPTS,	/* prompts/get: params.name */
	DM_N_SPACES,
};

/* One "tools" (resources, prompts) object of an agent or a plan. */
struct dm_rules {
	struct globset allow, deny;
	char *path;		/* its policy path: "agents.bot.tools",
				 * "plans[\"a.b\"].prompts" */
};

/* Calls per second, minute, hour and day (0 = none), each with the policy
 * path of the "periods" object it comes from ("plans.pro.limits.read"; NULL
 * for none): an agent's class limits take each period from the agent's
 * object, else from its plan's.  own[] holds the paths. */
#define DM_N_PERIODS 4
struct dm_periods {
	__u32 count[DM_N_PERIODS];
	const char *path[DM_N_PERIODS];
	char *own[2];
};
extern const char *const dm_period_fields[DM_N_PERIODS];	/* "per_second"... */
extern const char *const dm_period_names[DM_N_PERIODS];		/* "second"... */
extern const __u32 dm_period_seconds[DM_N_PERIODS];

/* A budget: cost units a UTC day and/or month. */
struct dm_budget {
	bool has_day, has_month;
	double per_day, per_month;
	bool report;			/* action "report": record, never refuse */
	char *path;			/* "plans.pro.budget"; NULL: no budget */
};

struct dm_plan {
	const char *name;
	bool premium;
	struct dm_budget budget;
	struct dm_periods limits[2];	/* its class limits (read, write) alone */
	struct dm_rules rules[DM_N_SPACES];
};


struct dm_agent {
	const char *name;
	char *path;			/* "agents.<name>", as the checker writes it */
	const char *plan;		/* NULL: none */
	const char *customer;		/* NULL: none */
	unsigned int server_requests;	/* DECIDE_SR_* */
	struct dm_rules rules[DM_N_SPACES];
	/* by class (read, write): the agent's limits, else its plan's */
	struct dm_periods class_limits[2];
	struct dm_periods own_limits[2];	/* the agent's alone (another plan: a token's) */
	struct dm_budget budget;	/* its own; none: its plan's applies */
};

struct dm_customer {
	const char *name;
	struct dm_budget budget;
};

struct dm_tool {
	const char *name;
	enum decide_class class;
	double cost;
	const char *backend;
	const char **scopes;		/* tools.*.scopes */
	size_t n_scopes;
	struct val_tool *args;		/* NULL: arguments are not checked */
	struct sql_rule **sql;		/* the sql rules its arguments carry */
	size_t n_sql;
	struct dm_periods limits;	/* tools.*.limits: per agent */
	double cost_per_kib;		/* tools.*.cost_per_kib: per KiB of answer */
};

/* unknown_tools, as pol_schema.c spells it. */
enum dm_unknown {
	DM_UNKNOWN_REFUSE = 0,
	DM_UNKNOWN_READ,
	DM_UNKNOWN_WRITE,
};

struct decide_model {
	struct dm_agent *agents;	/* pol->agents' order */
	size_t n_agents;
	struct nidx agent_idx;
	struct dm_plan *plans;
	size_t n_plans;
	struct nidx plan_idx;
	struct dm_tool *tools;
	size_t n_tools;
	struct nidx tool_idx;
	struct dm_customer *customers;	/* the customers section */
	size_t n_customers;
	struct nidx customer_idx;
	enum dm_unknown unknown_tools;
	const char *default_backend;
};

/* Builds the model of @pol (checked).  0; -ENOMEM, or -EINVAL when a pattern
 * the checker passed does not compile (@why says which). */
int dm_build(const struct policy *pol, struct decide_model **out, char *why, size_t why_len);
void dm_free(struct decide_model *dm);

static inline const struct dm_tool *dm_find_tool(const struct decide_model *dm, const char *name,
						 long *index)
{
	*index = nidx_find(&dm->tool_idx, name);
	return *index >= 0 ? &dm->tools[*index] : NULL;
}

static inline const struct dm_plan *dm_find_plan(const struct decide_model *dm, const char *name)
{
	long i = nidx_find(&dm->plan_idx, name);

	return i >= 0 ? &dm->plans[i] : NULL;
}

#endif
