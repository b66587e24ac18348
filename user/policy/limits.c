// SPDX-License-Identifier: GPL-2.0-only
/*
 * limits.c - rate limits with GCRA (see limits.h).
 *
 * Cells: agent a's cells start at a * stride.  The first 2 * DM_N_PERIODS
 * are its class limits (read, then write: one per period, used or not);
 * then every tool with limits has DM_N_PERIODS cells at its tool_base.
 * A cell holds the TAT in ns of CLOCK_MONOTONIC; 0 (never used) is in the
 * past, which GCRA reads as a full quota.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "limits.h"
#include "model.h"

#define NS_PER_S	1000000000ull
#define LIM_LOCKS	256	/* agents share locks by index; a lock is held for
				 * a few comparisons only */

struct decide_limiter {
	const struct decide_model *dm;	/* laid out for it; outlives the limiter */
	size_t n_agents, n_tools, stride;
	long *tool_base;		/* per tool: its first cell after the class
					 * cells, or -1 (no limits) */
	__u64 *tat;			/* n_agents * stride */
	pthread_mutex_t locks[LIM_LOCKS];
};

static size_t class_cell(int class, int period)
{
	return (size_t)(class == DECIDE_CLASS_WRITE) * DM_N_PERIODS + (size_t)period;
}

void decide_limiter_free(struct decide_limiter *lim)
{
	if (!lim)
		return;
	for (int i = 0; i < LIM_LOCKS; i++)
		pthread_mutex_destroy(&lim->locks[i]);
	free(lim->tool_base);
	free(lim->tat);
	free(lim);
}

size_t decide_limiter_bytes(const struct decide_limiter *lim)
{
	return lim ? lim->n_agents * lim->stride * sizeof(*lim->tat) : 0;
}

/* The same limit in two policies: same count for the same period (0: none). */
static bool same(__u32 a, __u32 b)
{
	return a && a == b;
}

/* Copies agent @oa's cells in @old to agent @a's in @lim where the limit is
 * the same; @old_tool maps @lim's tools to @old's (-1: none). */
static void carry_agent(struct decide_limiter *lim, size_t a, const struct decide_limiter *old,
			size_t oa, const long *old_tool)
{
	const struct dm_agent *na = &lim->dm->agents[a], *pa = &old->dm->agents[oa];
	__u64 *cell = lim->tat + a * lim->stride;
	const __u64 *ocell = old->tat + oa * old->stride;

	for (int c = 0; c < 2; c++)
		for (int p = 0; p < DM_N_PERIODS; p++)
			if (same(na->class_limits[c].count[p], pa->class_limits[c].count[p]))
				cell[c * DM_N_PERIODS + p] = ocell[c * DM_N_PERIODS + p];
	for (size_t t = 0; t < lim->n_tools; t++) {
		long ot = old_tool[t];

		if (lim->tool_base[t] < 0 || ot < 0 || old->tool_base[ot] < 0)
			continue;
		for (int p = 0; p < DM_N_PERIODS; p++)
			if (same(lim->dm->tools[t].limits.count[p],
				 old->dm->tools[ot].limits.count[p]))
				cell[lim->tool_base[t] + p] = ocell[old->tool_base[ot] + p];
	}
}

void decide_limiter_carry(struct decide_limiter *lim, const struct decide_limiter *old)
{
	long *old_tool;

	if (!lim || !old)
		return;
	old_tool = malloc((lim->n_tools ? lim->n_tools : 1) * sizeof(*old_tool));
	if (!old_tool)
		return;		/* the state starts afresh: limits err towards allowing */
	for (size_t t = 0; t < lim->n_tools; t++) {
		long i;

		old_tool[t] = dm_find_tool(old->dm, lim->dm->tools[t].name, &i) ? i : -1;
	}
	for (size_t a = 0; a < lim->n_agents; a++) {
		int oa = decide_agent_index(old->dm, lim->dm->agents[a].name);
		pthread_mutex_t *lock;

		if (oa < 0)
			continue;
		lock = (pthread_mutex_t *)&old->locks[(size_t)oa % LIM_LOCKS];
		pthread_mutex_lock(lock);
		carry_agent(lim, a, old, (size_t)oa, old_tool);
		pthread_mutex_unlock(lock);
	}
	free(old_tool);
}

static int lay_out(struct decide_limiter *lim, const struct decide_model *dm)
{
	size_t na = dm->n_agents ? dm->n_agents : 1, nt = dm->n_tools ? dm->n_tools : 1;

	lim->dm = dm;
	lim->n_agents = dm->n_agents;
	lim->n_tools = dm->n_tools;
	lim->stride = 2 * DM_N_PERIODS;
	lim->tool_base = malloc(nt * sizeof(*lim->tool_base));
	if (!lim->tool_base)
		return -ENOMEM;
	for (size_t t = 0; t < dm->n_tools; t++) {
		lim->tool_base[t] = -1;
		if (!dm->tools[t].limits.own[0])
			continue;
		lim->tool_base[t] = (long)lim->stride;
		lim->stride += DM_N_PERIODS;
	}
	lim->tat = calloc(na * lim->stride, sizeof(*lim->tat));
	return lim->tat ? 0 : -ENOMEM;
}

struct decide_limiter *decide_limiter_new(const struct decide_model *dm)
{
	struct decide_limiter *lim = calloc(1, sizeof(*lim));

	if (!lim)
		return NULL;
	for (int i = 0; i < LIM_LOCKS; i++)
		pthread_mutex_init(&lim->locks[i], NULL);
	if (lay_out(lim, dm)) {
		decide_limiter_free(lim);
		return NULL;
	}
	return lim;
}

/* --- the check ----------------------------------------------------------------------- */

/* One limit of a call: its cell, quota and window, and where it is in the policy. */
struct lim_one {
	__u64 *cell;
	__u32 count;
	int period;
	const char *path;	/* the periods object */
	const char *scope;	/* "read", "write", or the tool's name */
	bool tool;
};

static size_t gather(struct decide_limiter *lim, int agent, int tool, enum decide_class class,
		     struct lim_one *out)
{
	const struct decide_model *dm = lim->dm;
	const struct dm_periods *cp = &dm->agents[agent].class_limits[class == DECIDE_CLASS_WRITE];
	__u64 *cells = lim->tat + (size_t)agent * lim->stride;
	size_t n = 0;

	for (int p = 0; p < DM_N_PERIODS; p++)
		if (cp->count[p])
			out[n++] = (struct lim_one){ &cells[class_cell(class, p)], cp->count[p], p,
						     cp->path[p],
						     class == DECIDE_CLASS_WRITE ? "write" : "read",
						     false };
	if (tool < 0 || lim->tool_base[tool] < 0)
		return n;
	for (int p = 0; p < DM_N_PERIODS; p++) {
		const struct dm_tool *t = &dm->tools[tool];

		if (t->limits.count[p])
			out[n++] = (struct lim_one){ &cells[lim->tool_base[tool] + p],
						     t->limits.count[p], p, t->limits.path[p],
						     t->name, true };
	}
	return n;
}

static __u64 ceil_div(__u64 a, __u64 b)
{
	return a / b + (a % b != 0);
}

static void describe(struct decide_limit *l, const struct lim_one *o)
{
	snprintf(l->name, sizeof(l->name), "%s%.48s-%s", o->tool ? "tool-" : "", o->scope,
		 dm_period_names[o->period]);
	snprintf(l->rule, sizeof(l->rule), "%s.%s", o->path, dm_period_fields[o->period]);
	l->quota = o->count;
	l->window_s = dm_period_seconds[o->period];
}

/*
 * GCRA for one limit at @now: the TAT after this call in *@tat_out, and
 * either 0 (allowed; *left calls remain) or how many ns until it would be.
 */
static __u64 gcra(const struct lim_one *o, __u64 now, __u64 *tat_out, __u32 *left)
{
	__u64 window = (__u64)dm_period_seconds[o->period] * NS_PER_S;
	__u64 t = window / o->count;		/* the emission interval: >= 1 ns */
	__u64 tat = *o->cell > now ? *o->cell : now;
	__u64 next = tat + t;

	*tat_out = next;
	if (next - now > window)
		return next - now - window;
	*left = (__u32)((window - (next - now)) / t);
	return 0;
}

static enum decide_action refuse(struct decide_verdict *v, const struct dm_agent *a,
				 const struct lim_one *o, __u64 wait_ns)
{
	struct decide_limit *l = &v->limit;
	__u64 secs;

	describe(l, o);
	l->remaining = 0;
	l->retry_after_ms = ceil_div(wait_ns, 1000000);
	secs = ceil_div(wait_ns, NS_PER_S);
	l->reset_s = (__u32)secs;
	v->has_limit = true;
	return vd_deny(v, DR_LIMITED, DECIDE_ERR_LIMITED, 429, l->rule,
		       "%s%s limit %u/%s for agent \"%s\" reached; retry in %llu s",
		       o->tool ? "tool " : "", o->scope, o->count, dm_period_names[o->period],
		       a->name, (unsigned long long)secs);
}

enum decide_action limits_check(struct decide_limiter *lim, const struct decide_model *dm,
				int agent, int tool, enum decide_class class, __u64 now_ns,
				struct decide_verdict *v)
{
	struct lim_one one[3 * DM_N_PERIODS];
	__u64 next[3 * DM_N_PERIODS], worst_wait = 0;
	size_t n, worst = 0, tightest = 0;
	__u32 left[3 * DM_N_PERIODS];
	pthread_mutex_t *lock;

	v->has_limit = false;
	if (lim && lim->dm != dm)	/* a caller's mistake: fail closed */
		return vd_deny(v, DR_INTERNAL, MCP_ERR_INTERNAL, 503, "",
			       "the rate limiter belongs to another policy");
	if (!lim || agent < 0 || (size_t)agent >= lim->n_agents || class == DECIDE_CLASS_NONE ||
	    (tool >= 0 && (size_t)tool >= lim->n_tools))
		return DECIDE_ALLOW;
	n = gather(lim, agent, tool, class, one);
	if (!n)
		return DECIDE_ALLOW;
	lock = &lim->locks[(size_t)agent % LIM_LOCKS];
	pthread_mutex_lock(lock);
	for (size_t i = 0; i < n; i++) {
		__u64 wait = gcra(&one[i], now_ns, &next[i], &left[i]);

		if (wait > worst_wait) {
			worst_wait = wait;
			worst = i;
		}
	}
	if (worst_wait) {
		pthread_mutex_unlock(lock);
		return refuse(v, &lim->dm->agents[agent], &one[worst], worst_wait);
	}
	for (size_t i = 0; i < n; i++) {
		*one[i].cell = next[i];
		if (left[i] < left[tightest])
			tightest = i;
	}
	pthread_mutex_unlock(lock);
	describe(&v->limit, &one[tightest]);
	v->limit.remaining = left[tightest];
	v->limit.reset_s = (__u32)ceil_div(next[tightest] - now_ns, NS_PER_S);
	v->limit.retry_after_ms = 0;
	v->has_limit = true;
	return DECIDE_ALLOW;
}
