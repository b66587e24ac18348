// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_content.c - the demo backend's resources and prompts (see demo_content.h).
 *
 * Like the tools, tables of made-up but fixed content; the list trees are
 * built once and then shared read-only by every worker thread.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "demo_content.h"

struct resource_def {
	const char *uri;
	const char *name;
	const char *description;
	const char *mime_type;
	const char *text;
};

static const struct resource_def resources[] = {
	{ "analytics://schema/events", "events table schema",
	  "Columns of the warehouse's events table.", "text/plain",
	  "events(account_id text, event text, ts timestamptz, value numeric, "
	  "properties jsonb)" },
	{ "analytics://dashboards/revenue", "revenue dashboard",
	  "The revenue dashboard's definition.", "application/json",
	  "{\"id\":\"revenue\",\"widgets\":[\"mrr\",\"arr\",\"net_revenue_retention\"]}" },
	{ "analytics://docs/pricing", "pricing page",
	  "The public price list.", "text/markdown",
	  "# Pricing\n\n- free: $0\n- pro: $499/month\n- enterprise: $12,000/month\n" },
};
#define N_RESOURCES (sizeof(resources) / sizeof(resources[0]))

struct prompt_def {
	const char *name;
	const char *description;
	const char *argument;		/* the one required argument */
	const char *argument_description;
	const char *template;		/* one %s: the argument's value */
};

static const struct prompt_def prompts[] = {
	{ "summarize_dashboard", "Summarize a dashboard for an executive.",
	  "dashboard_id", "revenue, usage or churn",
	  "Summarize the '%s' dashboard in three bullet points for an executive. "
	  "Use get_dashboard to read it first." },
	{ "explain_query", "Explain what a SQL query computes.",
	  "sql", "the query to explain",
	  "Explain in plain words what this query computes, then run it with "
	  "run_query and comment on the rows:\n\n%s" },
};
#define N_PROMPTS (sizeof(prompts) / sizeof(prompts[0]))

/* --- lists ---------------------------------------------------------------------- */

static cJSON *resources_list, *prompts_list;
static pthread_once_t content_once = PTHREAD_ONCE_INIT;

static cJSON *resource_entry(const struct resource_def *def)
{
	cJSON *entry = cJSON_CreateObject();

	cJSON_AddStringToObject(entry, "uri", def->uri);
	cJSON_AddStringToObject(entry, "name", def->name);
	cJSON_AddStringToObject(entry, "description", def->description);
	cJSON_AddStringToObject(entry, "mimeType", def->mime_type);
	return entry;
}

static cJSON *prompt_entry(const struct prompt_def *def)
{
	cJSON *entry = cJSON_CreateObject(), *argument = cJSON_CreateObject();

	cJSON_AddStringToObject(entry, "name", def->name);
	cJSON_AddStringToObject(entry, "description", def->description);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(entry, "arguments"), argument);
	cJSON_AddStringToObject(argument, "name", def->argument);
	cJSON_AddStringToObject(argument, "description", def->argument_description);
	cJSON_AddBoolToObject(argument, "required", true);
	return entry;
}

static void build_content(void)
{
	resources_list = cJSON_CreateArray();
	for (size_t i = 0; i < N_RESOURCES; i++)
		cJSON_AddItemToArray(resources_list, resource_entry(&resources[i]));
	prompts_list = cJSON_CreateArray();
	for (size_t i = 0; i < N_PROMPTS; i++)
		cJSON_AddItemToArray(prompts_list, prompt_entry(&prompts[i]));
}

const cJSON *demo_resources_list(void)
{
	pthread_once(&content_once, build_content);
	return resources_list;
}

const cJSON *demo_prompts_list(void)
{
	pthread_once(&content_once, build_content);
	return prompts_list;
}

void demo_content_free(void)
{
	cJSON_Delete(resources_list);
	cJSON_Delete(prompts_list);
	resources_list = prompts_list = NULL;
}

/* --- reading ---------------------------------------------------------------------- */

cJSON *demo_resource_read(const char *uri, struct demo_err *err)
{
	for (size_t i = 0; i < N_RESOURCES; i++) {
		cJSON *result, *item;

		if (strcmp(uri, resources[i].uri))
			continue;
		result = cJSON_CreateObject();
		item = cJSON_CreateObject();
		cJSON_AddItemToArray(cJSON_AddArrayToObject(result, "contents"), item);
		cJSON_AddStringToObject(item, "uri", resources[i].uri);
		cJSON_AddStringToObject(item, "mimeType", resources[i].mime_type);
		cJSON_AddStringToObject(item, "text", resources[i].text);
		return result;
	}
	err->code = DEMO_RPC_RESOURCE_NOT_FOUND;
	snprintf(err->message, sizeof(err->message), "resource not found: %s", uri);
	return NULL;
}

static cJSON *prompt_result(const struct prompt_def *def, const char *value)
{
	cJSON *result = cJSON_CreateObject(), *msg = cJSON_CreateObject(), *content;
	struct buf text = { 0 };

	cJSON_AddStringToObject(result, "description", def->description);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(result, "messages"), msg);
	cJSON_AddStringToObject(msg, "role", "user");
	content = cJSON_AddObjectToObject(msg, "content");
	cJSON_AddStringToObject(content, "type", "text");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	buf_printf(&text, def->template, value);	/* templates are this file's constants */
#pragma GCC diagnostic pop
	cJSON_AddStringToObject(content, "text", text.data ? text.data : "");
	buf_free(&text);
	return result;
}

cJSON *demo_prompt_get(const char *name, const cJSON *args, struct demo_err *err)
{
	for (size_t i = 0; i < N_PROMPTS; i++) {
		const cJSON *value;

		if (strcmp(name, prompts[i].name))
			continue;
		value = cJSON_GetObjectItemCaseSensitive(args, prompts[i].argument);
		if (cJSON_IsString(value) && *value->valuestring)
			return prompt_result(&prompts[i], value->valuestring);
		err->code = DEMO_RPC_INVALID_PARAMS;
		snprintf(err->message, sizeof(err->message),
			 "prompt '%s' needs the string argument '%s'", name, prompts[i].argument);
		return NULL;
	}
	err->code = DEMO_RPC_INVALID_PARAMS;
	snprintf(err->message, sizeof(err->message), "unknown prompt '%s'", name);
	return NULL;
}
