// SPDX-License-Identifier: GPL-2.0-only
/*
 * validate.c - argument rules of a tool, compiled and applied (see
 * validate.h).
 *
 * One call is judged in two passes: first the arguments the message holds
 * that the tool does not list (refused or stripped, per unknown_arguments),
 * then each listed argument in policy order: its value against the rules,
 * or, when absent, required or its default.  The first broken rule refuses
 * the call, so the message an agent gets is about one thing it can fix.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mcp.h"
#include "nameidx.h"
#include "pol_regex.h"
#include "validate.h"

/* In the order of pol_schema.c's arg_types. */
enum val_type { VT_STRING = 0, VT_INTEGER, VT_NUMBER, VT_BOOLEAN, VT_OBJECT, VT_ARRAY };

static const char *const type_names[] = {
	"string", "integer", "number", "boolean", "object", "array", NULL
};
static const char *const type_articles[] = {
	"a string", "an integer", "a number", "true or false", "an object", "an array",
};

struct val_arg {
	const char *name;
	char *path;			/* tools.<tool>.arguments.<name> */
	enum val_type type;
	bool required, premium, upsell;
	long long max_length;		/* -1: none */
	const cJSON *minimum, *maximum;
	const cJSON *values;		/* enum */
	const cJSON *def;
	const char *pattern_text;
	struct pol_regex *pattern;
	struct pol_regex **deny;	/* deny_patterns */
	size_t n_deny;
	const struct sql_rule *sql;	/* NULL: no SQL rule */
	val_sql_check_fn sql_check;
};

struct val_tool {
	const char *name;
	char *unknown_path;		/* tools.<tool>.unknown_arguments */
	struct val_arg *args;		/* policy order */
	size_t n;
	struct nidx idx;		/* name -> index in args */
	bool strip_unknown;
};

/* One check in progress. */
struct val_run {
	const struct val_tool *vt;
	struct decide_verdict *v;
	const char *plan;		/* the caller's plan, NULL: none */
	bool premium;
	bool changed;
	struct pol_regex_scratch *scratch;	/* made on the first pattern */
};

/* --- building ------------------------------------------------------------------ */

static const cJSON *member(const cJSON *obj, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static char *path_of(const char *tool, const char *arg, const char *field)
{
	char buf[512] = "tools";

	vd_path_push(buf, sizeof(buf), tool);
	if (arg) {
		vd_path_push(buf, sizeof(buf), "arguments");
		vd_path_push(buf, sizeof(buf), arg);
	}
	if (field)
		vd_path_push(buf, sizeof(buf), field);
	return strdup(buf);
}

static int compile(const char *text, struct pol_regex **out)
{
	char why[160];

	return pol_regex_compile(text, out, why, sizeof(why));
}

static int arg_patterns(struct val_arg *a, const cJSON *rule)
{
	const cJSON *pattern = member(rule, "pattern"), *deny = member(rule, "deny_patterns");
	const cJSON *item;
	int ret;

	if (pattern) {
		a->pattern_text = pattern->valuestring;
		ret = compile(pattern->valuestring, &a->pattern);
		if (ret)
			return ret;
	}
	a->deny = calloc((size_t)cJSON_GetArraySize(deny) + 1, sizeof(*a->deny));
	if (!a->deny)
		return -ENOMEM;
	cJSON_ArrayForEach(item, deny) {
		ret = compile(item->valuestring, &a->deny[a->n_deny]);
		if (ret)
			return ret;
		a->n_deny++;
	}
	return 0;
}

static int arg_build(const char *tool, const cJSON *rule, struct val_arg *a)
{
	const cJSON *max_length = member(rule, "max_length");
	const cJSON *action = member(rule, "premium_action");

	a->name = rule->string;
	a->path = path_of(tool, rule->string, NULL);
	if (!a->path)
		return -ENOMEM;
	for (int i = 0; type_names[i]; i++)
		if (!strcmp(type_names[i], member(rule, "type")->valuestring))
			a->type = (enum val_type)i;
	a->required = cJSON_IsTrue(member(rule, "required"));
	a->premium = cJSON_IsTrue(member(rule, "premium"));
	a->upsell = cJSON_IsString(action) && !strcmp(action->valuestring, "upsell");
	a->max_length = max_length ? (long long)max_length->valuedouble : -1;
	a->minimum = member(rule, "minimum");
	a->maximum = member(rule, "maximum");
	a->values = member(rule, "enum");
	a->def = member(rule, "default");
	return arg_patterns(a, rule);
}

int val_tool_build(const char *name, const cJSON *tool, struct val_tool **out)
{
	const cJSON *args = member(tool, "arguments"), *unknown, *rule;
	struct val_tool *vt;
	size_t n = (size_t)cJSON_GetArraySize(args);
	int ret = -ENOMEM;

	*out = NULL;
	if (!args)
		return 0;
	vt = calloc(1, sizeof(*vt));
	if (!vt)
		return -ENOMEM;
	vt->name = name;
	unknown = member(tool, "unknown_arguments");
	vt->strip_unknown = cJSON_IsString(unknown) && !strcmp(unknown->valuestring, "strip");
	vt->unknown_path = path_of(name, NULL, "unknown_arguments");
	vt->args = calloc(n ? n : 1, sizeof(*vt->args));
	if (!vt->unknown_path || !vt->args || nidx_init(&vt->idx, n))
		goto fail;
	cJSON_ArrayForEach(rule, args) {
		ret = arg_build(name, rule, &vt->args[vt->n]);
		vt->n++;	/* counted before the check: freeing needs it */
		if (ret)
			goto fail;
		nidx_add(&vt->idx, rule->string, (uint32_t)(vt->n - 1));
	}
	*out = vt;
	return 0;
fail:
	val_tool_free(vt);
	return ret;
}

void val_tool_free(struct val_tool *vt)
{
	if (!vt)
		return;
	for (size_t i = 0; i < vt->n; i++) {
		struct val_arg *a = &vt->args[i];

		free(a->path);
		pol_regex_free(a->pattern);
		for (size_t k = 0; k < a->n_deny; k++)
			pol_regex_free(a->deny[k]);
		free(a->deny);
	}
	free(vt->args);
	free(vt->unknown_path);
	nidx_free(&vt->idx);
	free(vt);
}

int val_arg_set_sql(struct val_tool *vt, const char *arg, const struct sql_rule *rule,
		    val_sql_check_fn check)
{
	long i = nidx_find(&vt->idx, arg);

	if (i < 0)
		return -ENOENT;
	vt->args[i].sql = rule;
	vt->args[i].sql_check = check;
	return 0;
}

/* --- refusals ------------------------------------------------------------------ */

static enum decide_action no_memory(struct val_run *r)
{
	return vd_deny(r->v, DR_INTERNAL, MCP_ERR_INTERNAL, 503, "",
		       "out of memory while checking the arguments; try again");
}

/* "argument "x" of tool "t": <what> (rule)", the rule being @a's path + "." + @field. */
static enum decide_action arg_refuse(struct val_run *r, const struct val_arg *a,
				     const char *field, const char *what)
{
	char rule[192];

	/* @field is a plain word, maybe with "[i]": no quoting needed */
	snprintf(rule, sizeof(rule), "%s.%s", a->path, field);
	return vd_deny(r->v, DR_ARGUMENT, MCP_ERR_INVALID_PARAMS, 200, rule,
		       "argument \"%s\" of tool \"%s\": %s (%s)", a->name, r->vt->name, what, rule);
}

/* --- one value ------------------------------------------------------------------- */

static bool has_type(enum val_type type, const cJSON *value)
{
	switch (type) {
	case VT_STRING: return cJSON_IsString(value);
	case VT_INTEGER: return cJSON_IsNumber(value) &&
				value->valuedouble == floor(value->valuedouble);
	case VT_NUMBER: return cJSON_IsNumber(value);
	case VT_BOOLEAN: return cJSON_IsBool(value);
	case VT_OBJECT: return cJSON_IsObject(value);
	default: return cJSON_IsArray(value);
	}
}

/* Type, max_length, minimum/maximum. */
static enum decide_action check_shape(struct val_run *r, const struct val_arg *a,
				      const cJSON *value)
{
	char got[80], what[200];
	long long size;

	if (!has_type(a->type, value)) {
		snprintf(what, sizeof(what), "expected %s, got %s", type_articles[a->type],
			 vd_describe(value, got, sizeof(got)));
		return arg_refuse(r, a, "type", what);
	}
	size = cJSON_IsString(value) ? (long long)strlen(value->valuestring) :
	       (long long)cJSON_GetArraySize(value);
	if (a->max_length >= 0 && size > a->max_length) {
		snprintf(what, sizeof(what), "%lld %s, over max_length %lld", size,
			 cJSON_IsString(value) ? "bytes" : "items", a->max_length);
		return arg_refuse(r, a, "max_length", what);
	}
	if (a->minimum && value->valuedouble < a->minimum->valuedouble) {
		snprintf(what, sizeof(what), "%.15g is below the minimum %.15g",
			 value->valuedouble, a->minimum->valuedouble);
		return arg_refuse(r, a, "minimum", what);
	}
	if (a->maximum && value->valuedouble > a->maximum->valuedouble) {
		snprintf(what, sizeof(what), "%.15g is above the maximum %.15g",
			 value->valuedouble, a->maximum->valuedouble);
		return arg_refuse(r, a, "maximum", what);
	}
	return DECIDE_ALLOW;
}

static enum decide_action check_enum(struct val_run *r, const struct val_arg *a,
				     const cJSON *value)
{
	char got[80], one[80], what[240];
	const cJSON *allowed;
	size_t n;

	cJSON_ArrayForEach(allowed, a->values)
		if (cJSON_Compare(allowed, value, true))
			return DECIDE_ALLOW;
	n = (size_t)snprintf(what, sizeof(what), "%s is not one of ",
			     vd_describe(value, got, sizeof(got)));
	cJSON_ArrayForEach(allowed, a->values) {
		const char *sep = allowed == a->values->child ? "" : ", ";

		vd_describe(allowed, one, sizeof(one));
		if (n + strlen(sep) + strlen(one) + 6 >= sizeof(what)) {
			snprintf(what + n, sizeof(what) - n, "%s...", sep);
			break;
		}
		n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%s", sep, one);
	}
	return arg_refuse(r, a, "enum", what);
}

/* 1 match, 0 none, < 0 could not be checked (limit, no memory). */
static int match(struct val_run *r, const struct pol_regex *rx, const cJSON *value)
{
	if (!r->scratch && !(r->scratch = pol_regex_scratch_new()))
		return -ENOMEM;
	return pol_regex_match(rx, value->valuestring, strlen(value->valuestring), r->scratch);
}

static enum decide_action unchecked(struct val_run *r, const struct val_arg *a,
				    const char *field, int err)
{
	if (err == -ENOMEM)
		return no_memory(r);
	return arg_refuse(r, a, field, "could not be checked within the pattern's match "
			  "limit; shorten it");
}

/* pattern must match; no deny_patterns may.  A refused value is not quoted
 * back, nor is a deny pattern: the path names which one. */
static enum decide_action check_patterns(struct val_run *r, const struct val_arg *a,
					 const cJSON *value)
{
	char field[40], what[200], pat[120];
	int hit;

	if (a->pattern) {
		hit = match(r, a->pattern, value);
		if (hit < 0)
			return unchecked(r, a, "pattern", hit);
		if (!hit) {
			snprintf(what, sizeof(what), "does not match the pattern %s",
				 vd_quote(a->pattern_text, pat, sizeof(pat)));
			return arg_refuse(r, a, "pattern", what);
		}
	}
	for (size_t i = 0; i < a->n_deny; i++) {
		hit = match(r, a->deny[i], value);
		if (!hit)
			continue;
		snprintf(field, sizeof(field), "deny_patterns[%zu]", i);
		if (hit < 0)
			return unchecked(r, a, field, hit);
		return arg_refuse(r, a, field, "matches a denied pattern");
	}
	return DECIDE_ALLOW;
}

/*
 * The SQL step: a string argument with an SQL rule (val_arg_set_sql()) is
 * judged by it, after the patterns, so that cheap refusals come first.
 */
static enum decide_action check_sql(struct val_run *r, const struct val_arg *a,
				    const cJSON *value)
{
	char why[200];
	bool ok = false;

	if (!a->sql)
		return DECIDE_ALLOW;
	why[0] = '\0';
	if (a->sql_check(a->sql, value->valuestring, strlen(value->valuestring), &ok, why,
			 sizeof(why)))
		return no_memory(r);
	return ok ? DECIDE_ALLOW : arg_refuse(r, a, "sql", why);
}

/* A premium argument from a caller whose plan is not premium: refused, or
 * (premium_action "upsell") allowed and recorded.  Passing the default
 * value is not using the premium feature. */
static enum decide_action check_premium(struct val_run *r, const struct val_arg *a,
					const cJSON *value)
{
	struct decide_verdict *v = r->v;
	char rule[192], plan[80];

	if (!a->premium || r->premium || (a->def && cJSON_Compare(value, a->def, true)))
		return DECIDE_ALLOW;
	if (a->upsell) {
		if (v->n_upsell < DECIDE_MAX_UPSELL)
			v->upsell[v->n_upsell++] = a->name;
		return DECIDE_ALLOW;
	}
	snprintf(rule, sizeof(rule), "%s", a->path);
	vd_path_push(rule, sizeof(rule), "premium");
	if (r->plan)
		snprintf(plan, sizeof(plan), "plan \"%s\" does not include it", r->plan);
	else
		snprintf(plan, sizeof(plan), "the caller has no plan");
	return vd_deny(v, DR_PREMIUM, DECIDE_ERR_PREMIUM, 200, rule,
		       "argument \"%s\" of tool \"%s\" is premium and %s (%s)", a->name,
		       r->vt->name, plan, rule);
}

static enum decide_action check_value(struct val_run *r, const struct val_arg *a,
				      const cJSON *value)
{
	enum decide_action act = check_shape(r, a, value);

	if (act == DECIDE_ALLOW && a->values)
		act = check_enum(r, a, value);
	if (act == DECIDE_ALLOW && a->type == VT_STRING)
		act = check_patterns(r, a, value);
	if (act == DECIDE_ALLOW && a->type == VT_STRING)
		act = check_sql(r, a, value);
	if (act == DECIDE_ALLOW)
		act = check_premium(r, a, value);
	return act;
}

/* --- absent and unknown arguments -------------------------------------------------- */

static enum decide_action check_absent(struct val_run *r, const struct val_arg *a,
				       cJSON *params, cJSON **args)
{
	cJSON *copy;

	if (a->required)
		return arg_refuse(r, a, "required", "missing, and required");
	if (!a->def)
		return DECIDE_ALLOW;
	if (!*args && !(*args = cJSON_AddObjectToObject(params, "arguments")))
		return no_memory(r);
	copy = cJSON_Duplicate(a->def, true);
	if (!copy || !cJSON_AddItemToObject(*args, a->name, copy)) {
		cJSON_Delete(copy);
		return no_memory(r);
	}
	r->v->n_defaults++;
	r->changed = true;
	return DECIDE_ALLOW;
}

/* "a, b, c" of the tool's arguments, for a refusal. */
static const char *arg_names(const struct val_tool *vt, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < vt->n; i++) {
		if (n + strlen(vt->args[i].name) + 8 >= len) {
			snprintf(buf + n, len - n, ", ...");
			break;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", vt->args[i].name);
	}
	return vt->n ? buf : "none";
}

static enum decide_action check_unknown(struct val_run *r, cJSON *args)
{
	char name[80], known[160];
	cJSON *item, *next;

	for (item = args ? args->child : NULL; item; item = next) {
		next = item->next;
		if (nidx_find(&r->vt->idx, item->string) >= 0)
			continue;
		if (!r->vt->strip_unknown)
			return vd_deny(r->v, DR_ARGUMENT, MCP_ERR_INVALID_PARAMS, 200,
				       r->vt->unknown_path, "tool \"%s\" takes no argument %s "
				       "(%s is \"refuse\"); its arguments: %s", r->vt->name,
				       vd_quote(item->string, name, sizeof(name)),
				       r->vt->unknown_path, arg_names(r->vt, known, sizeof(known)));
		cJSON_Delete(cJSON_DetachItemViaPointer(args, item));
		r->v->n_stripped++;
		r->changed = true;
	}
	return DECIDE_ALLOW;
}

enum decide_action val_check(const struct val_tool *vt, cJSON *params, const char *plan,
			     bool premium, struct decide_verdict *v)
{
	struct val_run r = { .vt = vt, .v = v, .plan = plan, .premium = premium };
	cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
	enum decide_action act = DECIDE_ALLOW;

	if (args && !cJSON_IsObject(args))	/* mcp_parse() refuses these */
		return vd_deny(v, DR_ARGUMENT, MCP_ERR_INVALID_PARAMS, 200, "",
			       "params.arguments must be an object");
	act = check_unknown(&r, args);
	for (size_t i = 0; i < vt->n && act == DECIDE_ALLOW; i++) {
		const struct val_arg *a = &vt->args[i];
		const cJSON *value = args ? cJSON_GetObjectItemCaseSensitive(args, a->name) : NULL;

		act = value ? check_value(&r, a, value) : check_absent(&r, a, params, &args);
	}
	pol_regex_scratch_free(r.scratch);
	if (act == DECIDE_ALLOW && r.changed)
		act = v->action = DECIDE_REWRITE;
	return act;
}
