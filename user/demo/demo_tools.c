// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_tools.c - the demo backend's tools as pure functions (see demo_tools.h).
 *
 * Each tool is a row of one table: its name, description, class, JSON
 * Schema and handler.  The schemas are written as JSON text, which cJSON
 * turns into the shared tools/list tree once.  Every answer is made up but
 * deterministic, so tests can compare it and the benchmarks measure the
 * same work each time.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "demo_content.h"
#include "demo_tools.h"

typedef int (*tool_fn)(const cJSON *args, struct demo_tool_out *out);

struct tool_def {
	const char *name;
	const char *description;
	bool write;		/* changes state: annotated as not read-only */
	const char *schema;	/* inputSchema as JSON text */
	tool_fn fn;
};

/* --- argument checks: each fills out->err and returns -1 when refused ------- */

static int bad_arg(struct demo_tool_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad_arg(struct demo_tool_out *out, const char *fmt, ...)
{
	va_list ap;

	out->err.code = DEMO_RPC_INVALID_PARAMS;
	va_start(ap, fmt);
	vsnprintf(out->err.message, sizeof(out->err.message), fmt, ap);
	va_end(ap);
	return -1;
}

static const cJSON *arg(const cJSON *args, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);

	return cJSON_IsNull(v) ? NULL : v;
}

static int want_string(const cJSON *args, const char *key, bool required, const char **val,
		       struct demo_tool_out *out)
{
	const cJSON *v = arg(args, key);

	*val = NULL;
	if (!v)
		return required ? bad_arg(out, "missing required argument '%s'", key) : 0;
	if (!cJSON_IsString(v))
		return bad_arg(out, "argument '%s' must be a string", key);
	if (!*v->valuestring)
		return bad_arg(out, "argument '%s' must not be empty", key);
	*val = v->valuestring;
	return 0;
}

/* JSON has only doubles: an integer is a number with no fraction, in range. */
static int want_int(const cJSON *args, const char *key, bool required, long min, long max,
		    long *val, struct demo_tool_out *out)
{
	const cJSON *v = arg(args, key);

	if (!v)
		return required ? bad_arg(out, "missing required argument '%s'", key) : 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
		return bad_arg(out, "argument '%s' must be an integer", key);
	if (v->valuedouble < (double)min || v->valuedouble > (double)max)
		return bad_arg(out, "argument '%s' must be between %ld and %ld", key, min, max);
	*val = (long)v->valuedouble;
	return 0;
}

/* @choices is NULL-terminated; the first one is the default. */
static int want_enum(const cJSON *args, const char *key, const char *const *choices,
		     const char **val, struct demo_tool_out *out)
{
	if (want_string(args, key, false, val, out))
		return -1;
	if (!*val) {
		*val = choices[0];
		return 0;
	}
	for (size_t i = 0; choices[i]; i++)
		if (!strcmp(*val, choices[i]))
			return 0;
	return bad_arg(out, "argument '%s' must be one of the listed values", key);
}

/* --- results ------------------------------------------------------------------ */

cJSON *demo_text_result(const char *text, bool is_error)
{
	cJSON *result = cJSON_CreateObject();
	cJSON *content = cJSON_AddArrayToObject(result, "content");
	cJSON *item = cJSON_CreateObject();

	cJSON_AddItemToArray(content, item);
	cJSON_AddStringToObject(item, "type", "text");
	cJSON_AddStringToObject(item, "text", text);
	cJSON_AddBoolToObject(result, "isError", is_error);
	return result;
}

/* Takes the text built in @b; ENOMEM in buf_printf shows as a short text. */
static cJSON *text_from(struct buf *b, bool is_error)
{
	cJSON *result = demo_text_result(b->data ? b->data : "", is_error);

	buf_free(b);
	return result;
}

static int text_out(struct demo_tool_out *out, struct buf *b, bool is_error)
{
	out->result = text_from(b, is_error);
	return 0;
}

/* FNV-1a: stable made-up ids (acct_..., ord_...) from the arguments. */
static uint32_t fnv1a(const char *a, const char *b)
{
	uint32_t h = 2166136261u;

	for (const char *s = a; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (const char *s = b; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* --- read tools ------------------------------------------------------------- */

/* Row 2 carries a live-looking API key and a test card number on purpose:
 * the gateway's output redaction is demonstrated on it. */
static const char *const query_rows[] = {
	"acme-corp\tenterprise\t12000.00\t-",
	"globex\tpro\t499.00\tbilling key sk_live_DEMO51Hq8ZfakeKEY0000demo card 4111 1111 1111 1111",
	"initech\tstarter\t49.00\t-",
	"umbrella\tenterprise\t25000.00\t-",
	"hooli\tpro\t499.00\t-",
};
#define QUERY_BASE_ROWS (sizeof(query_rows) / sizeof(query_rows[0]))

static int tool_run_query(const cJSON *args, struct demo_tool_out *out)
{
	long limit = DEMO_QUERY_DEFAULT_ROWS;
	struct buf b = { 0 };
	const char *sql;

	if (want_string(args, "sql", true, &sql, out) ||
	    want_int(args, "limit", false, 1, DEMO_QUERY_MAX_ROWS, &limit, out))
		return -1;
	buf_printf(&b, "query: %s\naccount_id\tname\tplan\tmrr_usd\tnote\n", sql);
	for (long i = 0; i < limit; i++)
		buf_printf(&b, "%ld\t%s\n", i + 1, query_rows[i % QUERY_BASE_ROWS]);
	buf_printf(&b, "(%ld rows)", limit);
	return text_out(out, &b, false);
}

struct dashboard {
	const char *id;
	const char *body;
};

static const struct dashboard dashboards[] = {
	{ "revenue", "MRR $38,047; ARR $456,564; net revenue retention 112%; top plan enterprise" },
	{ "usage", "queries today 1,284,112; p95 latency 182 ms; active accounts 5" },
	{ "churn", "logo churn 1.8%/month; at-risk accounts: initech (usage down 40%)" },
};

static int tool_get_dashboard(const cJSON *args, struct demo_tool_out *out)
{
	struct buf b = { 0 };
	const char *id;

	if (want_string(args, "dashboard_id", true, &id, out))
		return -1;
	for (size_t i = 0; i < sizeof(dashboards) / sizeof(dashboards[0]); i++) {
		if (!strcmp(id, dashboards[i].id)) {
			buf_printf(&b, "dashboard %s: %s", id, dashboards[i].body);
			return text_out(out, &b, false);
		}
	}
	/* A tool-level failure, not a protocol one: the model can read it and retry. */
	buf_printf(&b, "dashboard '%s' not found; known: revenue, usage, churn", id);
	return text_out(out, &b, true);
}

static const char *const report_formats[] = { "csv", "pdf", NULL };

static int tool_export_report(const cJSON *args, struct demo_tool_out *out)
{
	struct buf b = { 0 };
	const char *id, *format;

	if (want_string(args, "report_id", true, &id, out) ||
	    want_enum(args, "format", report_formats, &format, out))
		return -1;
	out->streams = true;
	out->progress_steps = DEMO_EXPORT_PROGRESS_STEPS;
	buf_printf(&b, "report %s exported as %s: https://reports.analytics.example/%s.%s "
		   "(1204 rows)", id, format, id, format);
	return text_out(out, &b, false);
}

static const char *const plans[] = { "all", "free", "pro", "enterprise", NULL };
static const char *const plan_prices[] = {
	NULL,
	"free: $0/month, 1,000 queries, 1 dashboard",
	"pro: $499/month, 1,000,000 queries, unlimited dashboards, exports",
	"enterprise: $12,000/month, unlimited queries, SSO, audit log, 99.95% SLA",
};

static int tool_get_pricing(const cJSON *args, struct demo_tool_out *out)
{
	struct buf b = { 0 };
	const char *plan;

	if (want_enum(args, "plan", plans, &plan, out))
		return -1;
	for (size_t i = 1; plans[i]; i++)
		if (!strcmp(plan, "all") || !strcmp(plan, plans[i]))
			buf_printf(&b, "%s%s", b.len ? "\n" : "", plan_prices[i]);
	return text_out(out, &b, false);
}

static const char *const docs[] = {
	"Writing queries: SQL over the events table - https://docs.analytics.example/queries",
	"Dashboards: build, share and embed - https://docs.analytics.example/dashboards",
	"Exports: CSV and PDF reports - https://docs.analytics.example/exports",
	"Billing and plans: free, pro, enterprise - https://docs.analytics.example/billing",
	"API keys: create, rotate and revoke - https://docs.analytics.example/api-keys",
};

static int tool_search_docs(const cJSON *args, struct demo_tool_out *out)
{
	struct buf b = { 0 };
	const char *query;

	if (want_string(args, "query", true, &query, out))
		return -1;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		if (strcasestr(docs[i], query))
			buf_printf(&b, "%s%s", b.len ? "\n" : "", docs[i]);
	if (!b.len)
		buf_printf(&b, "no documents match '%s'", query);
	return text_out(out, &b, false);
}

/* --- write tools ------------------------------------------------------------ */

static int tool_update_account(const cJSON *args, struct demo_tool_out *out)
{
	const cJSON *fields = arg(args, "fields"), *field;
	struct buf b = { 0 };
	const char *id;

	if (want_string(args, "account_id", true, &id, out))
		return -1;
	if (!fields)
		return bad_arg(out, "missing required argument 'fields'");
	if (!cJSON_IsObject(fields) || !fields->child)
		return bad_arg(out, "argument 'fields' must be a non-empty object");
	buf_printf(&b, "account %s updated:", id);
	cJSON_ArrayForEach(field, fields)
		buf_printf(&b, " %s%s", field->string, field->next ? "," : "");
	return text_out(out, &b, false);
}

static int tool_create_account(const cJSON *args, struct demo_tool_out *out)
{
	struct buf b = { 0 };
	const char *name, *email, *at;

	if (want_string(args, "name", true, &name, out) ||
	    want_string(args, "email", true, &email, out))
		return -1;
	at = strchr(email, '@');
	if (!at || at == email || !strchr(at, '.'))
		return bad_arg(out, "argument 'email' must be an email address");
	buf_printf(&b, "created account acct_%08x for %s <%s>", fnv1a(name, email), name, email);
	return text_out(out, &b, false);
}

static int tool_submit_order(const cJSON *args, struct demo_tool_out *out)
{
	struct buf b = { 0 };
	const char *account, *sku;
	long quantity = 0;

	if (want_string(args, "account_id", true, &account, out) ||
	    want_string(args, "sku", true, &sku, out) ||
	    want_int(args, "quantity", true, 1, DEMO_ORDER_MAX_QUANTITY, &quantity, out))
		return -1;
	buf_printf(&b, "order ord_%08x accepted: %ld x %s for account %s",
		   fnv1a(account, sku) ^ (uint32_t)quantity, quantity, sku, account);
	return text_out(out, &b, false);
}

/* --- test hooks ------------------------------------------------------------- */

static int tool_slow(const cJSON *args, struct demo_tool_out *out)
{
	struct buf b = { 0 };
	long ms = 0;

	if (want_int(args, "ms", true, 0, DEMO_SLOW_MAX_MS, &ms, out))
		return -1;
	out->delay_ms = (uint32_t)ms;
	buf_printf(&b, "slept %ld ms", ms);
	return text_out(out, &b, false);
}

static int tool_fail(const cJSON *args, struct demo_tool_out *out)
{
	(void)args;
	out->http_500 = true;
	out->err.code = DEMO_RPC_INTERNAL_ERROR;
	snprintf(out->err.message, sizeof(out->err.message),
		 "the fail hook: this backend failed on purpose");
	return -1;
}

static int tool_sampling_demo(const cJSON *args, struct demo_tool_out *out)
{
	const char *prompt;
	cJSON *params, *msg, *content;

	if (want_string(args, "prompt", false, &prompt, out))
		return -1;
	params = cJSON_CreateObject();
	msg = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(params, "messages"), msg);
	cJSON_AddStringToObject(msg, "role", "user");
	content = cJSON_AddObjectToObject(msg, "content");
	cJSON_AddStringToObject(content, "type", "text");
	cJSON_AddStringToObject(content, "text", prompt ? prompt :
				"Summarize the revenue dashboard in one sentence.");
	cJSON_AddStringToObject(params, "systemPrompt", "You are an analytics assistant.");
	cJSON_AddNumberToObject(params, "maxTokens", 100);
	out->streams = true;
	out->sampling_params = params;
	return 0;
}

cJSON *demo_sampling_result(const cJSON *client_response)
{
	const cJSON *result, *error, *content, *text, *model;
	struct buf b = { 0 };

	if (!client_response)
		return demo_text_result("sampling_demo: the client did not answer in time", true);
	error = cJSON_GetObjectItemCaseSensitive(client_response, "error");
	if (error) {
		const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");

		buf_printf(&b, "sampling_demo: the client refused: %s",
			   cJSON_IsString(message) ? message->valuestring : "(no message)");
		return text_from(&b, true);
	}
	result = cJSON_GetObjectItemCaseSensitive(client_response, "result");
	content = cJSON_GetObjectItemCaseSensitive(result, "content");
	text = cJSON_GetObjectItemCaseSensitive(content, "text");
	model = cJSON_GetObjectItemCaseSensitive(result, "model");
	if (!cJSON_IsString(text))
		return demo_text_result("sampling_demo: the client's answer had no text", true);
	buf_printf(&b, "sampling_demo: the client's model (%s) answered: %s",
		   cJSON_IsString(model) ? model->valuestring : "unknown", text->valuestring);
	return text_from(&b, false);
}

/* --- the table ---------------------------------------------------------------- */

#define STREAM_PROP "\"stream\":{\"type\":\"boolean\",\"description\":" \
	"\"answer on an SSE stream with progress events\"}"

static const struct tool_def tools[] = {
	{ "run_query", "Run a read-only SQL query over the analytics warehouse.", false,
	  "{\"type\":\"object\",\"properties\":{"
	  "\"sql\":{\"type\":\"string\",\"description\":\"the SQL to run\"},"
	  "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100},"
	  STREAM_PROP "},\"required\":[\"sql\"]}", tool_run_query },
	{ "get_dashboard", "Read a dashboard's headline numbers.", false,
	  "{\"type\":\"object\",\"properties\":{"
	  "\"dashboard_id\":{\"type\":\"string\",\"description\":\"revenue, usage or churn\"}},"
	  "\"required\":[\"dashboard_id\"]}", tool_get_dashboard },
	{ "export_report", "Export a report; streams progress while it renders.", false,
	  "{\"type\":\"object\",\"properties\":{"
	  "\"report_id\":{\"type\":\"string\"},"
	  "\"format\":{\"type\":\"string\",\"enum\":[\"csv\",\"pdf\"],\"default\":\"csv\"}},"
	  "\"required\":[\"report_id\"]}", tool_export_report },
	{ "get_pricing", "Price list, for one plan or all.", false,
	  "{\"type\":\"object\",\"properties\":{"
	  "\"plan\":{\"type\":\"string\",\"enum\":[\"all\",\"free\",\"pro\",\"enterprise\"]}}}",
	  tool_get_pricing },
	{ "search_docs", "Search the product documentation.", false,
	  "{\"type\":\"object\",\"properties\":{"
	  "\"query\":{\"type\":\"string\"}," STREAM_PROP "},\"required\":[\"query\"]}",
	  tool_search_docs },
	{ "update_account", "Change fields of a customer account.", true,
	  "{\"type\":\"object\",\"properties\":{"
	  "\"account_id\":{\"type\":\"string\"},"
	  "\"fields\":{\"type\":\"object\",\"minProperties\":1}},"
	  "\"required\":[\"account_id\",\"fields\"]}", tool_update_account },
	{ "create_account", "Create a customer account.", true,
	  "{\"type\":\"object\",\"properties\":{"
	  "\"name\":{\"type\":\"string\"},"
	  "\"email\":{\"type\":\"string\",\"format\":\"email\"}},"
	  "\"required\":[\"name\",\"email\"]}", tool_create_account },
	{ "submit_order", "Place an order for a customer account.", true,
	  "{\"type\":\"object\",\"properties\":{"
	  "\"account_id\":{\"type\":\"string\"},"
	  "\"sku\":{\"type\":\"string\"},"
	  "\"quantity\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10000}},"
	  "\"required\":[\"account_id\",\"sku\",\"quantity\"]}", tool_submit_order },
	{ "slow", "Test hook: answers after `ms` milliseconds.", false,
	  "{\"type\":\"object\",\"properties\":{"
	  "\"ms\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":300000}},"
	  "\"required\":[\"ms\"]}", tool_slow },
	{ "fail", "Test hook: the backend answers HTTP 500.", false,
	  "{\"type\":\"object\",\"properties\":{}}", tool_fail },
	{ "sampling_demo", "Test hook: asks the client's model (sampling/createMessage) "
	  "and returns its answer.", false,
	  "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\"}}}",
	  tool_sampling_demo },
};
#define N_TOOLS (sizeof(tools) / sizeof(tools[0]))

int demo_tool_call(const char *name, const cJSON *args, struct demo_tool_out *out)
{
	const cJSON *stream;

	memset(out, 0, sizeof(*out));
	if (args && !cJSON_IsObject(args))
		return bad_arg(out, "arguments must be an object");
	stream = arg(args, "stream");
	if (stream && !cJSON_IsBool(stream))
		return bad_arg(out, "argument 'stream' must be a boolean");
	for (size_t i = 0; i < N_TOOLS; i++) {
		if (strcmp(name, tools[i].name))
			continue;
		if (tools[i].fn(args, out))
			return -1;
		if (cJSON_IsTrue(stream) && !out->streams) {
			out->streams = true;
			out->progress_steps = DEMO_STREAM_PROGRESS_STEPS;
		}
		return 0;
	}
	return bad_arg(out, "unknown tool '%s'", name);
}

void demo_tool_out_free(struct demo_tool_out *out)
{
	cJSON_Delete(out->result);
	cJSON_Delete(out->sampling_params);
	out->result = out->sampling_params = NULL;
}

/* --- tools/list ------------------------------------------------------------------ */

static cJSON *tools_list;
static pthread_once_t tools_once = PTHREAD_ONCE_INIT;

static cJSON *tool_entry(const struct tool_def *def)
{
	cJSON *tool = cJSON_CreateObject(), *notes;

	cJSON_AddStringToObject(tool, "name", def->name);
	cJSON_AddStringToObject(tool, "description", def->description);
	/* A broken schema literal is a bug here; an empty object keeps the list valid. */
	cJSON_AddItemToObject(tool, "inputSchema", cJSON_Parse(def->schema) ?: cJSON_CreateObject());
	notes = cJSON_AddObjectToObject(tool, "annotations");
	cJSON_AddBoolToObject(notes, "readOnlyHint", !def->write);
	cJSON_AddBoolToObject(notes, "destructiveHint", def->write);
	return tool;
}

static void build_tools_list(void)
{
	tools_list = cJSON_CreateArray();
	for (size_t i = 0; i < N_TOOLS; i++)
		cJSON_AddItemToArray(tools_list, tool_entry(&tools[i]));
}

const cJSON *demo_tools_list(void)
{
	pthread_once(&tools_once, build_tools_list);
	return tools_list;
}

void demo_catalog_free(void)
{
	cJSON_Delete(tools_list);
	tools_list = NULL;
	demo_content_free();
}
