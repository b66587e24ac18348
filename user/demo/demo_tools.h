/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_tools.h - the demo backend's tools: an analytics company's catalogue,
 * plus the hooks the gateway's degradation tests use (the resources and
 * prompts are demo_content.h's).
 *
 * Everything here is a pure function of its arguments (no sockets, no
 * clocks, no randomness), so the server and the unit tests get the same
 * answers.  The catalogue trees are built once and then only read, which
 * makes them safe to share between worker threads.
 */
#ifndef SL_DEMO_TOOLS_H
#define SL_DEMO_TOOLS_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "demo_err.h"

/* Progress events before the result: export_report, then any "stream": true call. */
#define DEMO_EXPORT_PROGRESS_STEPS	4
#define DEMO_STREAM_PROGRESS_STEPS	3
/* `slow` sleeps at most this long: a test hook, not a way to pin connections. */
#define DEMO_SLOW_MAX_MS		300000
/* run_query rows: a default that shows the secret-looking row, and a cap. */
#define DEMO_QUERY_DEFAULT_ROWS		5
#define DEMO_QUERY_MAX_ROWS		100
#define DEMO_ORDER_MAX_QUANTITY		10000

/* What answering one tools/call takes, beyond its result. */
struct demo_tool_out {
	cJSON *result;		/* CallToolResult; NULL when err.code or sampling is set */
	struct demo_err err;
	bool http_500;		/* the `fail` hook: the whole HTTP answer is a 500 */
	bool streams;		/* answered on an SSE stream when the client accepts one */
	unsigned int progress_steps;	/* progress events before the result, when streamed */
	uint32_t delay_ms;	/* `slow`: the result is due this much later */
	cJSON *sampling_params;	/* `sampling_demo`: ask the client this first */
};

/* tools/list's "tools" array; built on first use, shared read-only. */
const cJSON *demo_tools_list(void);
/* Frees the whole catalogue at exit, demo_content's lists included
 * (sanitizer builds count what is left). */
void demo_catalog_free(void);

/*
 * Runs tool @name with @args (an object, or NULL for none).  Returns 0 with
 * out->result (or out->sampling_params) set, or -1 with out->err set:
 * -32602 for an unknown tool or bad arguments.  Free with demo_tool_out_free.
 */
int demo_tool_call(const char *name, const cJSON *args, struct demo_tool_out *out);
void demo_tool_out_free(struct demo_tool_out *out);
/* A CallToolResult with one text item. */
cJSON *demo_text_result(const char *text, bool is_error);
/* sampling_demo's result from the client's JSON-RPC response; NULL: it timed out. */
cJSON *demo_sampling_result(const cJSON *client_response);

#endif
