/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mcp.h - MCP / JSON-RPC 2.0 message inspection: pure functions, no sockets.
 *
 * The gateway parses every JSON-RPC message in both directions and refuses
 * what it cannot judge.  "Cannot judge" is wider than "invalid JSON": any
 * text that two JSON implementations could read differently is refused,
 * because the gateway (cJSON) and the backend (often JavaScript) must see the
 * same message.  So on top of what cJSON refuses, mcp_parse() refuses:
 *
 *  - anything RFC 8259 forbids that cJSON takes: raw control bytes, a byte
 *    order mark, leading zeros, trailing text, invalid UTF-8, bad \u escapes
 *    and unpaired surrogates (-32700, with the byte offset);
 *  - duplicate object keys at any depth: cJSON reads the first, JavaScript
 *    the last (-32600);
 *  - two keys of one object that differ only in case, at any depth (tool
 *    arguments included), and a member the gateway reads (method, params,
 *    params.name, ...) spelt other than exactly: Go's encoding/json matches
 *    names ignoring case, Unicode folds included, and takes the last match,
 *    so {"name":"a","Name":"b"} is "b" to a Go backend (-32600; see
 *    mcp_fold.h);
 *  - \u0000 in any string, key or value: cJSON's C strings end there while
 *    the backend sees the whole string, so a deny pattern or a redaction
 *    could be bypassed by hiding text after a NUL (-32600; the message names
 *    the place: method name, tool name, resource uri, prompt name, key, or
 *    the path of the value).
 *
 * Messages are looked up with cJSON_GetObjectItemCaseSensitive() only:
 * cJSON_GetObjectItem() ignores case, so {"Method":..,"method":..} would let
 * it read a member the backend never looks at.
 */
#ifndef SL_MCP_H
#define SL_MCP_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "mcp_err.h"
#include "mcp_scan.h"

/* Elements of one batch: each is judged and answered on its own. */
#ifndef MCP_MAX_BATCH
#define MCP_MAX_BATCH 1024
#endif



enum mcp_kind {
	MCP_INVALID = 0,	/* a batch element that was refused: see mcp_msg.err */
	MCP_REQUEST,		/* method and id */
	MCP_NOTIFICATION,	/* method, no id */
	MCP_RESPONSE,		/* id and result */
	MCP_ERROR_RESPONSE,	/* error (id, null id or none) */
};

/* The methods MCP defines (revisions 2024-11-05 to 2026-07-28). */
enum mcp_method {
	MCP_M_OTHER = 0,	/* not defined by MCP: passed to the policy as is */
	MCP_M_INITIALIZE,
	MCP_M_PING,
	MCP_M_SERVER_DISCOVER,
	MCP_M_TOOLS_LIST,
	MCP_M_TOOLS_CALL,
	MCP_M_RESOURCES_LIST,
	MCP_M_RESOURCES_TEMPLATES_LIST,
	MCP_M_RESOURCES_READ,
	MCP_M_RESOURCES_SUBSCRIBE,
	MCP_M_RESOURCES_UNSUBSCRIBE,
	MCP_M_PROMPTS_LIST,
	MCP_M_PROMPTS_GET,
	MCP_M_COMPLETION_COMPLETE,
	MCP_M_LOGGING_SET_LEVEL,
	MCP_M_SUBSCRIPTIONS_LISTEN,
	MCP_M_TASKS_GET,
	MCP_M_TASKS_RESULT,
	MCP_M_TASKS_LIST,
	MCP_M_TASKS_CANCEL,
	MCP_M_SAMPLING_CREATE_MESSAGE,	/* server to client */
	MCP_M_ELICITATION_CREATE,	/* server to client */
	MCP_M_ROOTS_LIST,		/* server to client */
	MCP_M_NOTIFICATION,		/* "notifications/..." */
};

/* Method flags. */
#define MCP_MF_FROM_CLIENT	0x1u	/* a client (agent) may send it */
#define MCP_MF_FROM_SERVER	0x2u	/* a server (backend) may send it */
#define MCP_MF_READ_ONLY	0x4u	/* reads state only (lists, reads, ping) */
#define MCP_MF_NAMED		0x8u	/* has an Mcp-Name source (params.name/uri) */

struct mcp_method_info {
	const char *name;	/* "tools/call"; "notifications/" for the family */
	enum mcp_method id;
	unsigned int flags;	/* MCP_MF_* */
};

/* One JSON-RPC message.  Pointers point into the mcp_batch's tree. */
struct mcp_msg {
	enum mcp_kind kind;
	struct mcp_error err;		/* kind == MCP_INVALID: why */
	cJSON *json;			/* the message (an object, except for a
					 * refused batch element) */
	const cJSON *id;		/* string or integer; NULL: notification, or
					 * no usable id (answer with null) */
	const char *method;		/* requests and notifications */
	const struct mcp_method_info *info;	/* for method; NULL: not MCP's */
	const cJSON *params;		/* object or array, NULL when absent */
	const char *tool;		/* tools/call: params.name */
	const cJSON *arguments;		/* tools/call, prompts/get: params.arguments (object) */
	const char *uri;		/* resources/read, /subscribe, /unsubscribe: params.uri */
	const char *prompt;		/* prompts/get: params.name */
	const cJSON *progress_token;	/* params._meta.progressToken: string or integer */
	const cJSON *result;		/* MCP_RESPONSE: an object */
	const cJSON *error;		/* MCP_ERROR_RESPONSE: {code, message[, data]} */
};

struct mcp_batch {
	cJSON *root;		/* the whole tree */
	bool is_batch;		/* the body was an array */
	struct mcp_msg *msgs;
	size_t n;
};

/*
 * Parses and judges a body of @len bytes (need not be NUL-terminated).
 *
 *  0:       a single message that is valid (out->n == 1), or a batch whose
 *           elements were each judged: an element with kind MCP_INVALID
 *           carries its own error (and id when usable) so the caller can
 *           answer each element on its own;
 *  -EINVAL: the whole body is refused, *err says why.  When the body was a
 *           single JSON object, out->n == 1 and out->msgs[0].id is the id to
 *           answer with (NULL: answer with null); otherwise out->n == 0;
 *  -ENOMEM: out of memory (*err is an internal error, HTTP 503).
 *
 * Whole-body refusals: invalid JSON (-32700), nesting over MCP_MAX_DEPTH,
 * a body that is neither an object nor an array, an empty batch and a
 * batch over MCP_MAX_BATCH elements (-32600).  *out must be released with
 * mcp_batch_free() whatever the return.
 */
int mcp_parse(const char *body, size_t len, struct mcp_batch *out, struct mcp_error *err);
void mcp_batch_free(struct mcp_batch *b);

/* --- the headers MCP 2026-07-28 mirrors from the body ---------------------- */

#define MCP_PARAM_MAX_PATH 8	/* properties chain of one annotated argument */
#define MCP_PARAM_MAX_NAME 64	/* x-mcp-header value */

/* One x-mcp-header annotation: header Mcp-Param-<header> mirrors the argument
 * at arguments.<path[0]>.<path[1]>...  The path points into the schema, which
 * must outlive the binding. */
struct mcp_param_binding {
	char header[MCP_PARAM_MAX_NAME + 1];
	const char *path[MCP_PARAM_MAX_PATH];
	size_t depth;
};

struct mcp_param_bindings {
	struct mcp_param_binding *v;
	size_t n;
};

/* The stateless revision: no sessions, no GET stream, no DELETE; every
 * request names its version in params._meta. */
#define MCP_VERSION_STATELESS "2026-07-28"

/* Does @version (an MCP-Protocol-Version value, NULL: none) name the
 * stateless revision or a later one?  Only a well-formed YYYY-MM-DD date
 * does: "zzz" sorts after every date but names no revision. */
bool mcp_version_stateless(const char *version);

/* mcp_check_headers() flag: the client speaks 2026-07-28 or later, so the
 * mirrored headers are required, not only checked when present. */
#define MCP_HDR_REQUIRE 0x1u

/*
 * Checks Mcp-Method, Mcp-Name, Mcp-Param-{Name} and MCP-Protocol-Version
 * (against params._meta's "io.modelcontextprotocol/protocolVersion", when
 * the body has one; a request of the stateless revision, by either, must
 * have both) against the body: a header that is present must match,
 * after decoding its =?base64?...?= form where the specification allows one
 * (Mcp-Name, Mcp-Param-*).  @names,
 * @values and @n are the request's headers (struct http_msg's arrays fit;
 * names compare case-insensitively).  A header sent twice, or holding bytes
 * outside visible ASCII, is refused too.
 *
 * Mcp-Param-{Name} headers are bound to arguments by the tool's inputSchema
 * (x-mcp-header annotations): pass the tool's bindings from
 * mcp_param_bindings_from_schema(), or NULL when the schema is unknown; then
 * Mcp-Param-* headers are forwarded unchecked, as the specification asks of
 * intermediaries that do not recognise them.
 *
 * Absent headers are accepted (clients of older revisions send none)
 * unless @flags has MCP_HDR_REQUIRE: then Mcp-Method on every request,
 * Mcp-Name where the method has a name, and each bound Mcp-Param-* whose
 * argument has a value must be present.  A batch body may carry neither
 * Mcp-Method nor Mcp-Name (they describe one message).  Returns 0, or
 * -EINVAL with *err (-32020, HTTP 400) naming the header and both values
 * (-ENOMEM: an internal error, HTTP 503).
 */
int mcp_check_headers(const struct mcp_batch *b, const char *const *names,
		      const char *const *values, size_t n,
		      const struct mcp_param_bindings *params, unsigned int flags,
		      struct mcp_error *err);

/*
 * Collects the x-mcp-header annotations of a tool's @input_schema.  An
 * invalid annotation (not a token, a duplicate ignoring case, not on a
 * string, integer or boolean property, or not reached through "properties"
 * keys only) makes the tool definition invalid, as the specification says:
 * -EINVAL with *err (-32602, HTTP 502: the backend sent it), and the caller
 * should drop the tool from tools/list.  0 with out->n == 0 when there are
 * none.  -ENOMEM.
 */
int mcp_param_bindings_from_schema(const cJSON *input_schema, struct mcp_param_bindings *out,
				   struct mcp_error *err);
void mcp_param_bindings_free(struct mcp_param_bindings *b);

/*
 * Decodes an MCP header value: "=?base64?<standard base64>?=" (markers
 * exact and lowercase) is decoded; anything else is literal.  Returns a
 * malloc'ed copy (NUL-terminated; *out_len excludes the NUL and may count
 * NULs inside), or NULL with *bad set when the base64 is invalid (*bad
 * false: out of memory).
 */
char *mcp_header_decode(const char *value, size_t *out_len, bool *bad);

/* What a client says it is: from an initialize request (params.clientInfo,
 * params.protocolVersion) or, in revision 2026-07-28, from any request's
 * params._meta ("io.modelcontextprotocol/clientInfo" and
 * "/protocolVersion").  Bounded copies, control characters removed. */
struct mcp_client_info {
	char name[64];
	char version[32];
	char protocol_version[32];
	bool from_initialize;
};

/* 0 when the message names a client or a protocol version (missing fields
 * are ""), -ENOENT when it names neither. */
int mcp_initialize_client_info(const struct mcp_msg *m, struct mcp_client_info *out);

/*
 * A JSON-RPC error response {"jsonrpc":"2.0","id":..,"error":{"code":..,
 * "message":..[,"data":..]}} built with cJSON.  @id is copied (NULL or not
 * a string/number: "id": null); @data, when not NULL, is copied.  NULL when
 * out of memory.
 */
cJSON *mcp_error_response(const cJSON *id, int code, const char *message, const cJSON *data);
/* The same as unformatted text (malloc'ed; free with cJSON_free()). */
char *mcp_error_json(const cJSON *id, int code, const char *message, const cJSON *data);
/* An id as exact JSON text ("7", "\"a\"", "null"); malloc'ed, free with
 * cJSON_free().  Use it rather than cJSON_Print*(): cJSON prints integers
 * above 10^15 rounded to 15 digits. */
char *mcp_id_json(const cJSON *id);

/* Method table lookups.  NULL when MCP does not define @method. */
const struct mcp_method_info *mcp_method_lookup(const char *method);
/* Lists, reads, gets, ping: methods that change no state (tools/call is
 * judged by its tool's class, not here). */
bool mcp_method_is_read_only(const char *method);
/*
 * An unknown @method that a lenient backend could read as a known one: it
 * differs from one only in ASCII case (returns the known name; the
 * "notifications/" prefix counts), or it holds a space, a control character
 * or a non-ASCII byte, which no MCP method has and which Unicode case
 * folding or trimming could turn into one (returns a description).  NULL
 * for a known method and for an unknown one that is merely unknown.
 */
const char *mcp_method_lookalike(const char *method);


#endif
