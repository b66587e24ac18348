/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mcp_err.h - how the MCP module refuses: JSON-RPC error codes, the error
 * record every check fills, the HTTP statuses it answers with, and the
 * helpers every mcp*.c file shares (exact-case member lookup, the
 * out-of-memory refusal).  The lowest module of mcp*: it includes none of
 * the others (mcp.h includes it).
 */
#ifndef SL_MCP_ERR_H
#define SL_MCP_ERR_H

#include <errno.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* JSON-RPC 2.0 error codes, and the ones MCP allocates. */
enum mcp_err_code {
	MCP_ERR_PARSE = -32700,			/* not JSON we accept */
	MCP_ERR_INVALID_REQUEST = -32600,	/* JSON, but not a JSON-RPC message */
	MCP_ERR_METHOD_NOT_FOUND = -32601,
	MCP_ERR_INVALID_PARAMS = -32602,	/* an MCP method's params are malformed */
	MCP_ERR_INTERNAL = -32603,		/* out of memory, or a parser disagreement */
	MCP_ERR_HEADER_MISMATCH = -32020,	/* MCP 2026-07-28: headers vs body */
};

/* Why a message (or a whole body) was refused: a JSON-RPC error code, the
 * HTTP status to answer with, and a message fit for the agent and the log
 * (printable ASCII; values quoted from the input are sanitised). */
struct mcp_error {
	int code;		/* enum mcp_err_code; 0: no error */
	int http_status;
	char message[200];
};

/*
 * Fills *err (message printf-style) and returns -EINVAL, for the callers'
 * convenience: `return mcp_error_set(err, MCP_ERR_..., 400, "...")`.
 */
int mcp_error_set(struct mcp_error *err, int code, int http_status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Copies @len bytes of untrusted @src into @dst for a message or a log:
 * printable ASCII is kept, '"' and '\\' and other bytes are written as
 * \" \\ \xNN, and a copy that does not fit ends in "...".  Returns dst.
 */
char *mcp_sanitize(char *dst, size_t dst_len, const char *src, size_t len);

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
