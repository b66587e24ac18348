// SPDX-License-Identifier: GPL-2.0-only
/*
 * escalation.c - the counters that turn repeated refusals into a ban (see
 * escalation.h).
 *
 * A window of rule { count, within_s } is ESC_BUCKETS counters, each for
 * one step of within_s / ESC_BUCKETS ns of the caller's clock; the counter
 * of step k sits at index k % ESC_BUCKETS and remembers k, so a counter
 * left from an older step is known stale and restarts.  The window at step
 * k sums the counters of steps k-15..k.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalation.h"

#define NS_PER_S	1000000000ull
#define ESC_LOCKS	64	/* agents share locks by index; held for a few adds */

struct esc_agent {
	struct esc_config cfg;
	struct esc_window win[ESC_N_KINDS];
};

struct esc_table {
	size_t n;
	char (*name)[SL_NAME_MAX];	/* per agent, for the carry */
	struct esc_agent *agents;
	pthread_mutex_t locks[ESC_LOCKS];
};

static __u64 step_ns(const struct esc_rule *r)
{
	__u64 ns = (__u64)r->within_s * NS_PER_S / ESC_BUCKETS;

	return ns ? ns : 1;
}

__u32 esc_window_count(const struct esc_window *w, const struct esc_rule *r, __u64 now_ns)
{
	__u64 cur = now_ns / step_ns(r);
	__u32 sum = 0;

	for (int b = 0; b < ESC_BUCKETS; b++)
		if (w->step[b] <= cur && w->step[b] + ESC_BUCKETS > cur)
			sum += w->n[b];
	return sum;
}

bool esc_window_note(struct esc_window *w, const struct esc_rule *r, __u64 now_ns)
{
	__u64 cur = now_ns / step_ns(r);
	int b = (int)(cur % ESC_BUCKETS);

	if (!r->count)
		return false;
	if (w->step[b] != cur) {
		w->step[b] = cur;
		w->n[b] = 0;
	}
	w->n[b]++;
	if (esc_window_count(w, r, now_ns) < r->count)
		return false;
	memset(w, 0, sizeof(*w));
	return true;
}

static void rule_parse(const cJSON *obj, struct esc_rule *r)
{
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(obj, "count");
	const cJSON *within = cJSON_GetObjectItemCaseSensitive(obj, "within_s");

	r->count = cJSON_IsNumber(count) ? (__u32)count->valuedouble : 0;
	r->within_s = cJSON_IsNumber(within) ? (__u32)within->valuedouble : 0;
	if (!r->within_s)
		r->count = 0;
}

void esc_config_parse(const cJSON *obj, struct esc_config *out)
{
	const cJSON *ban = cJSON_GetObjectItemCaseSensitive(obj, "ban_s");

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(obj))
		return;
	rule_parse(cJSON_GetObjectItemCaseSensitive(obj, "limited"), &out->rule[ESC_LIMITED]);
	rule_parse(cJSON_GetObjectItemCaseSensitive(obj, "denied"), &out->rule[ESC_DENIED]);
	out->ban_s = cJSON_IsNumber(ban) ? (__u32)ban->valuedouble : 0;
	if (!out->ban_s)
		memset(out, 0, sizeof(*out));
}

/*
 * Denials that count: the agent asked for what its rules refuse (a tool,
 * resource or prompt it may not use, an undeclared tool, a scope its token
 * lacks, refused arguments, a premium argument).  Not counted: a malformed
 * message (a client bug, not a probe), an unknown caller or plan (no agent
 * to ban: 401), a spent budget (the agent is told when it resets, as a
 * limit's), the gateway's own failures, and the backend's server requests
 * (the backend asked, not the agent).
 */
bool esc_kind_of(enum decide_reason reason, enum esc_kind *kind)
{
	switch (reason) {
	case DR_LIMITED:
		*kind = ESC_LIMITED;
		return true;
	case DR_UNKNOWN_TOOL:
	case DR_TOOL_DENIED:
	case DR_RESOURCE_DENIED:
	case DR_PROMPT_DENIED:
	case DR_SCOPE:
	case DR_ARGUMENT:
	case DR_PREMIUM:
		*kind = ESC_DENIED;
		return true;
	default:
		return false;
	}
}

const char *esc_kind_name(enum esc_kind kind)
{
	return kind == ESC_LIMITED ? "limited" : "denied";
}

/* The escalation of agent @name: its plan's, else the top level's. */
static void agent_config(const struct policy *pol, const struct pol_agent *a,
			 struct esc_config *out)
{
	const cJSON *plans = cJSON_GetObjectItemCaseSensitive(pol->json, "plans");
	const cJSON *plan = a->plan[0] ? cJSON_GetObjectItemCaseSensitive(plans, a->plan) : NULL;
	const cJSON *own = cJSON_GetObjectItemCaseSensitive(plan, "escalation");

	esc_config_parse(own ? own : cJSON_GetObjectItemCaseSensitive(pol->json, "escalation"),
			 out);
}

struct esc_table *esc_table_new(const struct policy *pol)
{
	struct esc_table *t = calloc(1, sizeof(*t));
	size_t n = pol->n_agents ? pol->n_agents : 1;

	if (!t)
		return NULL;
	t->n = pol->n_agents;
	t->agents = calloc(n, sizeof(*t->agents));
	t->name = calloc(n, sizeof(*t->name));
	if (!t->agents || !t->name) {
		free(t->agents);
		free(t->name);
		free(t);
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++) {
		snprintf(t->name[i], sizeof(t->name[i]), "%s", pol->agents[i].name);
		agent_config(pol, &pol->agents[i], &t->agents[i].cfg);
	}
	for (int i = 0; i < ESC_LOCKS; i++)
		pthread_mutex_init(&t->locks[i], NULL);
	return t;
}

void esc_table_free(struct esc_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < ESC_LOCKS; i++)
		pthread_mutex_destroy(&t->locks[i]);
	free(t->agents);
	free(t->name);
	free(t);
}

static bool same_rule(const struct esc_rule *a, const struct esc_rule *b)
{
	return a->count && a->count == b->count && a->within_s == b->within_s;
}

void esc_table_carry(struct esc_table *t, const struct esc_table *old)
{
	if (!t || !old)
		return;
	for (size_t i = 0; i < t->n; i++)
		for (size_t o = 0; o < old->n; o++) {
			struct esc_table *mold = (struct esc_table *)old;	/* its locks */
			pthread_mutex_t *lock = &mold->locks[o % ESC_LOCKS];

			if (strcmp(t->name[i], old->name[o]))
				continue;
			pthread_mutex_lock(lock);
			for (int k = 0; k < ESC_N_KINDS; k++)
				if (same_rule(&t->agents[i].cfg.rule[k], &old->agents[o].cfg.rule[k]))
					t->agents[i].win[k] = old->agents[o].win[k];
			pthread_mutex_unlock(lock);
			break;
		}
}

const struct esc_config *esc_config_of(const struct esc_table *t, int agent)
{
	static const struct esc_config none;

	if (!t || agent < 0 || (size_t)agent >= t->n)
		return &none;
	return &t->agents[agent].cfg;
}

bool esc_note(struct esc_table *t, int agent, enum esc_kind kind, __u64 now_ns,
	      struct esc_trip *trip)
{
	struct esc_agent *a;
	pthread_mutex_t *lock;
	bool tripped;

	if (!t || agent < 0 || (size_t)agent >= t->n || kind >= ESC_N_KINDS)
		return false;
	a = &t->agents[agent];
	if (!a->cfg.ban_s || !a->cfg.rule[kind].count)
		return false;
	lock = &t->locks[(size_t)agent % ESC_LOCKS];
	pthread_mutex_lock(lock);
	tripped = esc_window_note(&a->win[kind], &a->cfg.rule[kind], now_ns);
	pthread_mutex_unlock(lock);
	if (tripped)
		*trip = (struct esc_trip){ kind, a->cfg.rule[kind].count,
					   a->cfg.rule[kind].within_s, a->cfg.ban_s };
	return tripped;
}
