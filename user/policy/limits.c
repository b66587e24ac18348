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
#include <time.h>

#include "proto/mcp_err.h"
#include "limits.h"
#include "model.h"

#define NS_PER_S	1000000000ull
#define LIM_LOCKS	256	/* agents share locks by index; a lock is held for
				 * a few comparisons only */

struct spend {
	double day, month;
	__u32 day_no, month_no;		/* which UTC day and month they count */
};

struct decide_limiter {
	const struct decide_model *dm;	/* laid out for it; outlives the limiter */
	size_t n_agents, n_tools, stride;
	long *tool_base;		/* per tool: its first cell after the class
					 * cells, or -1 (no limits) */
	__u64 *tat;			/* n_agents * stride */
	pthread_mutex_t locks[LIM_LOCKS];
	/* Budgets: what each agent and each customer spent this UTC day and
	 * month, under one lock (a call takes it twice, briefly). */
	struct spend *agent_spend;	/* n_agents */
	struct spend *customer_spend;	/* the model's n_customers */
	pthread_mutex_t spend_lock;
	__s64 wall_offset_ns;		/* UTC = the decision's clock + this */
	__u32 cal_day_no, cal_month_no;	/* the calendar, for day cal_day_no */
	time_t cal_next_month;
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
	pthread_mutex_destroy(&lim->spend_lock);
	free(lim->agent_spend);
	free(lim->customer_spend);
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
		long oa = nidx_find(&old->dm->agent_idx, lim->dm->agents[a].name);
		pthread_mutex_t *lock;

		if (oa < 0)
			continue;
		lock = (pthread_mutex_t *)&old->locks[(size_t)oa % LIM_LOCKS];
		pthread_mutex_lock(lock);
		carry_agent(lim, a, old, (size_t)oa, old_tool);
		pthread_mutex_unlock(lock);
	}
	free(old_tool);
	/* What was spent is a fact, whatever the budgets became. */
	pthread_mutex_lock((pthread_mutex_t *)&old->spend_lock);
	for (size_t a = 0; a < lim->n_agents; a++) {
		long oa = nidx_find(&old->dm->agent_idx, lim->dm->agents[a].name);

		if (oa >= 0)
			lim->agent_spend[a] = old->agent_spend[oa];
	}
	for (size_t c = 0; c < lim->dm->n_customers; c++) {
		long oc = nidx_find(&old->dm->customer_idx, lim->dm->customers[c].name);

		if (oc >= 0)
			lim->customer_spend[c] = old->customer_spend[oc];
	}
	pthread_mutex_unlock((pthread_mutex_t *)&old->spend_lock);
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
	lim->agent_spend = calloc(na, sizeof(*lim->agent_spend));
	lim->customer_spend = calloc(dm->n_customers ? dm->n_customers : 1,
				     sizeof(*lim->customer_spend));
	return lim->tat && lim->agent_spend && lim->customer_spend ? 0 : -ENOMEM;
}

struct decide_limiter *decide_limiter_new(const struct decide_model *dm)
{
	struct decide_limiter *lim = calloc(1, sizeof(*lim));

	if (!lim)
		return NULL;
	struct timespec mono, wall;

	for (int i = 0; i < LIM_LOCKS; i++)
		pthread_mutex_init(&lim->locks[i], NULL);
	pthread_mutex_init(&lim->spend_lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	lim->wall_offset_ns = ((__s64)wall.tv_sec - mono.tv_sec) * (__s64)NS_PER_S +
			      (wall.tv_nsec - mono.tv_nsec);
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

/*
 * The class limits of @a for an identity on @plan: the ones built for its own
 * plan, or, when a token names another plan, the agent's own periods, else
 * that plan's (into @tmp).
 */
static const struct dm_periods *class_periods(const struct decide_model *dm,
					      const struct dm_agent *a, const char *plan, int c,
					      struct dm_periods *tmp)
{
	const struct dm_plan *p = plan && *plan ? dm_find_plan(dm, plan) : NULL;

	if ((a->plan && p && !strcmp(a->plan, p->name)) || (!a->plan && !p))
		return &a->class_limits[c];
	memset(tmp, 0, sizeof(*tmp));
	for (int i = 0; i < DM_N_PERIODS; i++) {
		const struct dm_periods *from = a->own_limits[c].count[i] || !p ?
						&a->own_limits[c] : &p->limits[c];

		tmp->count[i] = from->count[i];
		tmp->path[i] = from->path[i];
	}
	return tmp;
}

static size_t gather(struct decide_limiter *lim, int agent, const char *plan, int tool,
		     enum decide_class class, struct lim_one *out)
{
	const struct decide_model *dm = lim->dm;
	struct dm_periods tmp;
	const struct dm_periods *cp = class_periods(dm, &dm->agents[agent], plan,
						    class == DECIDE_CLASS_WRITE, &tmp);
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
	snprintf(l->name, sizeof(l->name), "%s%.128s-%s", o->tool ? "tool-" : "", o->scope,
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
	/* The emission interval rounded up, and the window it makes (at most
	 * count ns longer): never more than count calls a window, whatever
	 * the count (600,000,000 a second would round down to 1 ns each). */
	__u64 t = ceil_div(window, o->count);
	__u64 span = t * o->count;
	__u64 tat = *o->cell > now ? *o->cell : now;
	__u64 next = tat + t;

	*tat_out = next;
	if (next - now > span)
		return next - now - span;
	*left = (__u32)((span - (next - now)) / t);
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
				int agent, const char *plan, int tool, enum decide_class class,
				__u64 now_ns, struct decide_verdict *v)
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
	n = gather(lim, agent, plan, tool, class, one);
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

/* --- budgets ------------------------------------------------------------------------- */

void decide_limiter_set_clock(struct decide_limiter *lim, __s64 wall_offset_ns)
{
	pthread_mutex_lock(&lim->spend_lock);
	lim->wall_offset_ns = wall_offset_ns;
	lim->cal_day_no = 0;
	pthread_mutex_unlock(&lim->spend_lock);
}

/* The UTC day and month of @now_ns (the decision's clock), and when each
 * ends; only the day's number is arithmetic, the month's needs the calendar
 * (utc_month(), done under the spend lock and only when the day changed). */
struct utc {
	time_t t;
	__u32 day_no, month_no;
	time_t next_day, next_month;
};

static void utc_of(const struct decide_limiter *lim, __u64 now_ns, struct utc *u)
{
	u->t = (time_t)(((__s64)now_ns + lim->wall_offset_ns) / (__s64)NS_PER_S);
	u->day_no = (__u32)(u->t / 86400);
	u->next_day = ((time_t)u->day_no + 1) * 86400;
}

static void utc_month(struct decide_limiter *lim, struct utc *u)
{
	struct tm tm;

	if (lim->cal_day_no != u->day_no || !lim->cal_day_no) {
		gmtime_r(&u->t, &tm);
		lim->cal_month_no = (__u32)(tm.tm_year * 12 + tm.tm_mon);
		tm.tm_mday = 1;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_mon++;
		lim->cal_next_month = timegm(&tm);
		lim->cal_day_no = u->day_no;
	}
	u->month_no = lim->cal_month_no;
	u->next_month = lim->cal_next_month;
}

static void utc_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* @sp as of @u: a new day or month starts at 0. */
static void roll(struct spend *sp, const struct utc *u)
{
	if (sp->day_no != u->day_no) {
		sp->day_no = u->day_no;
		sp->day = 0;
	}
	if (sp->month_no != u->month_no) {
		sp->month_no = u->month_no;
		sp->month = 0;
	}
}

/* The budget of @b that @cost would overrun given @sp: 1 the day's, 2 the
 * month's, 0 none. */
static int overrun(const struct dm_budget *b, const struct spend *sp, double cost)
{
	if (b->has_day && sp->day + cost > b->per_day)
		return 1;
	if (b->has_month && sp->month + cost > b->per_month)
		return 2;
	return 0;
}

/* One budget's verdict; DECIDE_DENY refuses, otherwise v notes an overrun
 * that "report" lets through. */
static enum decide_action judge_budget(const struct dm_budget *b, const struct spend *sp,
				       double cost, const char *whose, const char *name,
				       const struct utc *u, struct decide_verdict *v)
{
	int which = b->path ? overrun(b, sp, cost) : 0;
	bool day = which == 1;
	char rule[192], end[24];

	if (!which)
		return DECIDE_ALLOW;
	snprintf(rule, sizeof(rule), "%s.%s", b->path, day ? "per_day" : "per_month");
	if (b->report) {
		v->budget_over = true;
		snprintf(v->budget_rule, sizeof(v->budget_rule), "%s", rule);
		return DECIDE_ALLOW;
	}
	v->budget_reset_s = (__u64)((day ? u->next_day : u->next_month) - u->t);
	utc_text(day ? u->next_day : u->next_month, end, sizeof(end));
	return vd_deny(v, DR_BUDGET, DECIDE_ERR_BUDGET, 429, rule,
		       "the %s budget of %s \"%s\" is spent: %.2f of %.2f cost units this %s "
		       "(this call costs %.2f); it resets at %s", day ? "daily" : "monthly",
		       whose, name, day ? sp->day : sp->month, day ? b->per_day : b->per_month,
		       day ? "UTC day" : "UTC month", cost, end);
}

static const struct dm_budget *agent_budget(const struct decide_model *dm,
					    const struct dm_agent *a, const char *plan)
{
	const struct dm_plan *p;

	if (a->budget.path)
		return &a->budget;
	p = plan && *plan ? dm_find_plan(dm, plan) : NULL;
	return p ? &p->budget : NULL;
}

/* Adds @cost (negative: gives it back, down to 0) to @sp, rolled to @u. */
static void spend_add(struct spend *sp, const struct utc *u, double cost)
{
	roll(sp, u);
	sp->day = sp->day + cost > 0 ? sp->day + cost : 0;
	sp->month = sp->month + cost > 0 ? sp->month + cost : 0;
}

/* The customer of @id in the model, or -1. */
static long customer_of(const struct decide_model *dm, const struct identity *id)
{
	return id->customer[0] ? nidx_find(&dm->customer_idx, id->customer) : -1;
}

/*
 * Judged and charged under one hold of the spend lock: two workers'
 * calls checked at once could otherwise both pass with the room of one.
 */
enum decide_action budget_check(struct decide_limiter *lim, const struct decide_model *dm,
				const struct identity *id, double cost, __u64 now_ns,
				struct decide_verdict *v)
{
	const struct dm_budget *ab;
	long cu;
	struct utc u;
	enum decide_action act = DECIDE_ALLOW;

	if (!lim || lim->dm != dm || id->agent < 0 || (size_t)id->agent >= lim->n_agents)
		return DECIDE_ALLOW;
	ab = agent_budget(dm, &dm->agents[id->agent], id->plan);
	cu = customer_of(dm, id);
	utc_of(lim, now_ns, &u);
	pthread_mutex_lock(&lim->spend_lock);
	utc_month(lim, &u);
	roll(&lim->agent_spend[id->agent], &u);
	if (ab)
		act = judge_budget(ab, &lim->agent_spend[id->agent], cost, "agent",
				   dm->agents[id->agent].name, &u, v);
	if (act != DECIDE_DENY && cu >= 0) {
		roll(&lim->customer_spend[cu], &u);
		act = judge_budget(&dm->customers[cu].budget, &lim->customer_spend[cu], cost,
				   "customer", dm->customers[cu].name, &u, v);
	}
	if (act != DECIDE_DENY && cost > 0) {
		spend_add(&lim->agent_spend[id->agent], &u, cost);
		if (cu >= 0)
			spend_add(&lim->customer_spend[cu], &u, cost);
	}
	pthread_mutex_unlock(&lim->spend_lock);
	return act;
}

static void charge(struct decide_limiter *lim, const struct decide_model *dm,
		   const struct identity *id, double cost, __u64 now_ns)
{
	long cu;
	struct utc u;

	if (!lim || lim->dm != dm || id->agent < 0 || (size_t)id->agent >= lim->n_agents)
		return;
	cu = customer_of(dm, id);
	utc_of(lim, now_ns, &u);
	pthread_mutex_lock(&lim->spend_lock);
	utc_month(lim, &u);
	spend_add(&lim->agent_spend[id->agent], &u, cost);
	if (cu >= 0)
		spend_add(&lim->customer_spend[cu], &u, cost);
	pthread_mutex_unlock(&lim->spend_lock);
}

void decide_charge(struct decide_limiter *lim, const struct decide_model *dm,
		   const struct identity *id, double cost, __u64 now_ns)
{
	if (cost > 0)
		charge(lim, dm, id, cost, now_ns);
}

void decide_refund(struct decide_limiter *lim, const struct decide_model *dm,
		   const struct identity *id, double cost, __u64 now_ns)
{
	if (cost > 0)
		charge(lim, dm, id, -cost, now_ns);
}

void decide_spent(struct decide_limiter *lim, const char *agent, const char *customer,
		  __u64 now_ns, double *day, double *month)
{
	long a = agent ? nidx_find(&lim->dm->agent_idx, agent) : -1;
	long cu = customer ? nidx_find(&lim->dm->customer_idx, customer) : -1;
	struct spend *sp = a >= 0 ? &lim->agent_spend[a] : cu >= 0 ? &lim->customer_spend[cu] :
			   NULL;
	struct utc u;

	*day = *month = 0;
	if (!sp)
		return;
	utc_of(lim, now_ns, &u);
	pthread_mutex_lock(&lim->spend_lock);
	utc_month(lim, &u);
	roll(sp, &u);
	*day = sp->day;
	*month = sp->month;
	pthread_mutex_unlock(&lim->spend_lock);
}

void decide_limiter_seed(struct decide_limiter *lim, const char *agent, const char *customer,
			 double day, double month, __u64 now_ns)
{
	long a = agent ? nidx_find(&lim->dm->agent_idx, agent) : -1;
	long cu = customer ? nidx_find(&lim->dm->customer_idx, customer) : -1;
	struct spend *sp = a >= 0 ? &lim->agent_spend[a] : cu >= 0 ? &lim->customer_spend[cu] :
			   NULL;
	struct utc u;

	if (!sp)
		return;
	utc_of(lim, now_ns, &u);
	pthread_mutex_lock(&lim->spend_lock);
	utc_month(lim, &u);
	roll(sp, &u);
	sp->day += day;
	sp->month += month;
	pthread_mutex_unlock(&lim->spend_lock);
}
