/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_content.h - the demo backend's resources and prompts: fixed tables,
 * listed and read as pure functions (no sockets, no clocks, no randomness).
 * The list trees are built once and then only read, so worker threads
 * share them.
 */
#ifndef SL_DEMO_CONTENT_H
#define SL_DEMO_CONTENT_H

#include <cjson/cJSON.h>

#include "demo_err.h"

/* resources/list's and prompts/list's arrays; built on first use, shared read-only. */
const cJSON *demo_resources_list(void);
const cJSON *demo_prompts_list(void);
/* Frees both lists at exit (sanitizer builds count what is left). */
void demo_content_free(void);

/* resources/read's result for @uri, or NULL with @err set (-32002). */
cJSON *demo_resource_read(const char *uri, struct demo_err *err);
/* prompts/get's result, or NULL with @err set (-32602). */
cJSON *demo_prompt_get(const char *name, const cJSON *args, struct demo_err *err);

#endif
