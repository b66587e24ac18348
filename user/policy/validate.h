/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * validate.h - a tool's argument rules (tools.*.arguments), compiled once
 * per policy load, and the check that applies them to one tools/call:
 * refuse what breaks a rule, strip or refuse unknown arguments, add
 * defaults, and judge premium arguments by the caller's plan.
 */
#ifndef SL_VALIDATE_H
#define SL_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "verdict.h"

struct val_tool;

/*
 * The SQL step's judge.  A string argument may carry an "sql" rule
 * (sql_rule.h: sql_rule_compile() at load, sql_rule_check() per call);
 * val_arg_set_sql() attaches the compiled rule and this function to the
 * argument, and validation calls it after the patterns.  Returns 0 when the
 * text was judged (*ok, and @why when refused), -ENOMEM when it could not be.
 */
struct sql_rule;
typedef int (*val_sql_check_fn)(const struct sql_rule *rule, const char *text, size_t len,
				bool *ok, char *why, size_t why_len);

/* Compiles the rules of tool @name (@tool: its checked object).  A tool
 * without "arguments" gets *out == NULL: nothing to check.  0 or -ENOMEM. */
int val_tool_build(const char *name, const cJSON *tool, struct val_tool **out);
void val_tool_free(struct val_tool *vt);

/* Attaches SQL rule @rule (owned by the caller, who frees it after the tool)
 * and its judge to argument @arg of @vt, while the model is built (before
 * any thread decides with it); NULL detaches.  0, or -ENOENT when @vt has
 * no such argument. */
int val_arg_set_sql(struct val_tool *vt, const char *arg, const struct sql_rule *rule,
		    val_sql_check_fn check);

/*
 * Applies @vt to @params, the params object of a tools/call (changed in
 * place: "arguments" may be created, stripped of unknown members, given
 * defaults).  @plan: the caller's plan (NULL: none), for messages;
 * @premium: that plan is premium.  Returns the action
 * and fills @v: DECIDE_DENY with the rule broken, DECIDE_REWRITE when
 * anything changed, DECIDE_ALLOW otherwise; premium arguments passed under
 * premium_action "upsell" are listed in v->upsell either way.
 */
enum decide_action val_check(const struct val_tool *vt, cJSON *params, const char *plan,
			     bool premium, struct decide_verdict *v);

#endif
