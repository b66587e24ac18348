/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * limits.h - the decision's limits step: call rates per agent, by tool class
 * (tools.*.class against agents.*.limits, else plans.*.limits) and by tool
 * (tools.*.limits), several periods at once, with GCRA.
 *
 * GCRA (the generic cell rate algorithm) keeps one number per limit, the
 * theoretical arrival time (TAT): with N calls allowed per window W, each
 * call moves it T = W/N later, and a call is allowed while the new TAT stays
 * within W of now.  That admits a burst of N, then one call every T: N per W
 * over any long run, exactly, with no counters to reset; one window of W can
 * hold at most 2N-1 calls (a full burst at its start and the refill of the
 * rest), and that only after the agent has been idle for a whole W.
 *
 * The state (struct decide_limiter, verdict.h) is allocated once per policy
 * load, for every agent and every limit it has: one cell each, nothing grown
 * per request.  It is keyed by identity, never by session or connection, so
 * a new session resets nothing, and a reload carries over every limit whose
 * agent, scope, period and count did not change.  Any number of threads may
 * check at once: an agent's cells change under its lock, all of a call's
 * limits together (a call refused by one limit uses none of the others).
 */
#ifndef SL_LIMITS_H
#define SL_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "verdict.h"

struct decide_model;

/*
 * A limiter for @dm, every limit at its full quota; it keeps @dm, which
 * must outlive it.  NULL when out of memory.
 */
struct decide_limiter *decide_limiter_new(const struct decide_model *dm);
/*
 * Takes over into @lim the state of @old (the previous policy's limiter, its
 * model still alive) for every limit that is the same in both: the same
 * agent, scope (class or tool, by name), period and count.  Threads may
 * still be checking against @old: each agent's cells are read under its
 * lock.  A call that @old counts after that is not carried: do it at the
 * moment the new policy takes over.
 */
void decide_limiter_carry(struct decide_limiter *lim, const struct decide_limiter *old);
void decide_limiter_free(struct decide_limiter *lim);
/* Bytes the limiter's cells take (for the docs and the benchmark). */
size_t decide_limiter_bytes(const struct decide_limiter *lim);

/*
 * The limits step for an authorized tools/call by agent @agent (an index in
 * @dm, the limiter's model: another is refused as an internal error;
 * IDENTITY_NO_AGENT has no limits), whose identity is on plan @plan (a
 * token's plan claim may name another than the agent's: that plan's class
 * limits then apply under the agent's own periods; "" or NULL: none), of
 * tool @tool (index, or -1 for an undeclared tool, which has only its
 * class's limits) in @class, at @now_ns (CLOCK_MONOTONIC).  Allowed:
 * DECIDE_ALLOW (whatever v->action was; the caller keeps its own), the call
 * counted, and v->limit the tightest limit afterwards.  Refused: DECIDE_DENY
 * (DR_LIMITED, HTTP 429), nothing counted, v->limit the limit that refused
 * with its retry time, and the message says which limit, for whom, and when
 * to come back.
 */
enum decide_action limits_check(struct decide_limiter *lim, const struct decide_model *dm,
				int agent, const char *plan, int tool, enum decide_class class,
				__u64 now_ns, struct decide_verdict *v);

/* --- budgets ------------------------------------------------------------------------ */

/*
 * What an agent and its customer may spend: the agent's budget (its own,
 * else its identity's plan's) and its customer's (customers.*.budget), per
 * UTC day and month.  budget_check() judges a call costing @cost before it
 * is made: a "deny" budget the call would overrun refuses it (DR_BUDGET,
 * 429, the message says what was spent and when the budget resets,
 * v->budget_reset_s the seconds until then); a "report" one lets it through
 * with v->budget_over and v->budget_rule set.  A call it lets through is
 * charged @cost at once, in the same hold of the lock (two threads cannot
 * both take the last room); decide_refund() gives it back when a later
 * step refuses the call.  decide_charge() adds a cost to both spends
 * (per-KiB costs when the answer is complete).  A day or month that ended
 * starts at 0.  The spends carry over a reload; @now_ns is the decision's
 * clock.
 */
enum decide_action budget_check(struct decide_limiter *lim, const struct decide_model *dm,
				const struct identity *id, double cost, __u64 now_ns,
				struct decide_verdict *v);
void decide_charge(struct decide_limiter *lim, const struct decide_model *dm,
		   const struct identity *id, double cost, __u64 now_ns);
void decide_refund(struct decide_limiter *lim, const struct decide_model *dm,
		   const struct identity *id, double cost, __u64 now_ns);
/* This UTC day's and month's spend of @agent (or, when NULL, of @customer). */
void decide_spent(struct decide_limiter *lim, const char *agent, const char *customer,
		  __u64 now_ns, double *day, double *month);
/* Adds what @agent (or, when NULL, @customer) spent this UTC day and month
 * before the limiter existed (the usage ledger's sums, at start). */
void decide_limiter_seed(struct decide_limiter *lim, const char *agent, const char *customer,
			 double day, double month, __u64 now_ns);
/* UTC is the decision's clock plus @wall_offset_ns (set from CLOCK_REALTIME
 * minus CLOCK_MONOTONIC when the limiter is made; tests move it). */
void decide_limiter_set_clock(struct decide_limiter *lim, __s64 wall_offset_ns);

#endif
