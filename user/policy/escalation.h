/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * escalation.h - when an agent that keeps being refused is banned: the
 * policy's "escalation" objects (top level, or plans.*.escalation for that
 * plan's agents) and the counters that trip them.
 *
 * Two kinds of refusal count: rate-limit answers (ESC_LIMITED: 429, or
 * -32014 under limited_answer "jsonrpc") and refusals by the policy's rules
 * (ESC_DENIED: esc_kind_of() says which).  A rule { count, within_s } trips
 * when the agent got @count refusals of its kind within @within_s seconds;
 * the caller then bans the agent for ban_s seconds.
 *
 * Counting is per agent (identity, never connection or session) across
 * every thread.  Each agent has, per kind, a window of ESC_BUCKETS counters
 * of within_s / ESC_BUCKETS each, allocated once per policy load: memory is
 * fixed whatever the traffic.  A refusal therefore counts for at least
 * 15/16 of within_s and never longer than within_s: the window errs towards
 * banning less, never more, than the rule says.  A trip empties that
 * agent's window of that kind, so one burst bans once.
 *
 * Pure: no sockets, no clock of its own (callers pass now_ns, any
 * monotonic clock; tests inject theirs).
 */
#ifndef SL_ESCALATION_H
#define SL_ESCALATION_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <cjson/cJSON.h>

#include "policy.h"
#include "verdict.h"

#define ESC_BUCKETS	16	/* steps of a window: a refusal lives 15/16..16/16 of it */
#define ESC_BAN_MAX_S	604800	/* a week: longer is a block, not a ban */

enum esc_kind {
	ESC_LIMITED = 0,	/* a rate-limit answer */
	ESC_DENIED,		/* a refusal by a rule (esc_kind_of) */
	ESC_N_KINDS,
};

struct esc_rule {
	__u32 count;		/* 0: this kind never bans */
	__u32 within_s;
};

/* One "escalation" object; ban_s 0: none applies. */
struct esc_config {
	struct esc_rule rule[ESC_N_KINDS];
	__u32 ban_s;
};

/* What tripped: the rule, and the ban it asks for. */
struct esc_trip {
	enum esc_kind kind;
	__u32 count, within_s, ban_s;
};

/* The counters of one rule (exposed for the unit tests). */
struct esc_window {
	__u64 step[ESC_BUCKETS];	/* which step of time each counter holds */
	__u32 n[ESC_BUCKETS];
};

/* Counts one refusal at @now_ns against @r; true when it trips (the window
 * is then emptied). */
bool esc_window_note(struct esc_window *w, const struct esc_rule *r, __u64 now_ns);
/* Refusals the window holds at @now_ns. */
__u32 esc_window_count(const struct esc_window *w, const struct esc_rule *r, __u64 now_ns);

/* A checked "escalation" object into @out (NULL: none, all zero). */
void esc_config_parse(const cJSON *obj, struct esc_config *out);

/* Whether a refusal for @reason counts, and as which kind. */
bool esc_kind_of(enum decide_reason reason, enum esc_kind *kind);
const char *esc_kind_name(enum esc_kind kind);	/* "limited", "denied" */

struct esc_table;

/* The counters of every agent of @pol (pol->agents' order: identity.agent),
 * each under its plan's escalation, else the top level's.  NULL when out
 * of memory. */
struct esc_table *esc_table_new(const struct policy *pol);
void esc_table_free(struct esc_table *t);
/* Takes over @old's counts for agents of the same name whose rule did not
 * change (a reload forgets nobody's hammering). */
void esc_table_carry(struct esc_table *t, const struct esc_table *old);
/* Agent @agent's escalation (all zero: none, or out of range). */
const struct esc_config *esc_config_of(const struct esc_table *t, int agent);
/* Counts one refusal of @kind by @agent at @now_ns: true when it trips a
 * rule, with @trip filled.  Thread-safe. */
bool esc_note(struct esc_table *t, int agent, enum esc_kind kind, __u64 now_ns,
	      struct esc_trip *trip);

#endif
