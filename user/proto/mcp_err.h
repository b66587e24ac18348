/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mcp_err.h - what every mcp*.c file shares (internal; see mcp.h): the HTTP
 * statuses the module answers with, exact-case member lookup, and the
 * out-of-memory refusal.  mcp_error_set() and mcp_sanitize() (declared in
 * mcp.h, as callers outside the module use them too) live in mcp_err.c.
 */
#ifndef SL_MCP_ERR_H
#define SL_MCP_ERR_H

#include <errno.h>

#include "mcp.h"

/* HTTP statuses the module answers with. */
#define MCP_HTTP_BAD_REQUEST	400	/* the agent's message is refused */
#define MCP_HTTP_INTERNAL	500	/* the checks disagreed: a bug, refused */
#define MCP_HTTP_BAD_GATEWAY	502	/* the backend's tool definition is invalid */
#define MCP_HTTP_UNAVAILABLE	503	/* out of memory: worth a retry */

/* Exact-case member lookup; NULL when @obj is not an object.  Never
 * cJSON_GetObjectItem(): it ignores case (see mcp.h). */
static inline const cJSON *mcp_member(const cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static inline int mcp_out_of_memory(struct mcp_error *err)
{
	mcp_error_set(err, MCP_ERR_INTERNAL, MCP_HTTP_UNAVAILABLE, "out of memory");
	return -ENOMEM;
}

#endif
