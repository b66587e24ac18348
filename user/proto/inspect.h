/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * inspect.h - MCP inspection at the HTTP boundary: what the proxy asks of a
 * request body, a response body and an SSE event (the JSON-RPC rules live
 * in mcp.h), and the JSON-RPC error bodies the gateway answers with.
 */
#ifndef SL_INSPECT_H
#define SL_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "mcp.h"

/* Error codes the gateway itself answers with (JSON-RPC's server range). */
#define INSPECT_INVALID_REQUEST	MCP_ERR_INVALID_REQUEST
#define INSPECT_INTERNAL_ERROR	MCP_ERR_INTERNAL
#define INSPECT_UNAVAILABLE	(-32050)	/* backend down or circuit open: retry later */
#define INSPECT_TIMEOUT		(-32051)	/* backend did not answer by the deadline */
#define INSPECT_PROTOCOL	(-32052)	/* backend broke HTTP, SSE or JSON-RPC: retrying will not help */

/* The ids of a POST's requests, each as JSON text: its answer may carry no others. */
struct inspect_ids {
	char **v;
	size_t n;
};

struct inspect_result {
	int http_status;	/* when refused */
	int code;
	char message[256];	/* room for a prefix before an mcp_error message */
	bool close;		/* refuse and close the connection */
	char *rpc_id;		/* the id as JSON text ("7", "\"a\""), or NULL; caller frees */
	struct inspect_ids ids;	/* forwarded bodies: the requests' ids; inspect_ids_free */
	bool is_initialize;
	char client_name[64];
	char client_version[32];
};

/*
 * Judges a POSTed body and its headers.  0: forward; -EINVAL: refuse as res
 * says.  Before the JSON-RPC rules, the envelope: exactly one Content-Type,
 * application/json with no parameter or charset=utf-8 (case-insensitive,
 * quoted or not), and no Content-Encoding but identity; otherwise 415.  A
 * backend decodes by the charset it is told (body-parser reads UTF-7 and
 * UTF-16, and inflates gzip), and must read the bytes the gateway judged.
 */
int inspect_request(const struct http_msg *msg, struct inspect_result *res);
/*
 * inspect_request(), then, when the body passed, @judge with the parsed
 * batch (one parse per request): it runs inside the JSON arena, so what it
 * keeps of the tree it copies with malloc.  Non-zero from @judge refuses
 * the request as it filled @res (http_status, code, message).  A judge
 * that forwards part of a batch narrows res->ids to the part's requests.
 */
typedef int (*inspect_judge_fn)(void *ctx, struct mcp_batch *b, struct inspect_result *res);
int inspect_request_judge(const struct http_msg *msg, struct inspect_result *res,
			  inspect_judge_fn judge, void *ctx);
/* Request headers inspect_request judged that the proxy should not copy to
 * the backend as sent (Content-Type, Content-Encoding): it writes them with
 * inspect_put_normalised_headers() instead, so no backend sees a spelling
 * the gateway might have read differently. */
bool inspect_header_normalised(const char *name);
/* "Content-Type: application/json\r\n" (and no Content-Encoding: identity
 * is the absence of one).  0 or -ENOMEM. */
int inspect_put_normalised_headers(struct buf *out);
/* Is a backend's JSON body / SSE event data JSON-RPC?  0 yes, -EINVAL no. */
int inspect_response(const char *body, size_t len);
int inspect_event(const char *data, size_t len);
/*
 * Is a backend's answer to a POST (its JSON body, or one event of its SSE
 * stream) JSON-RPC that answers that POST only?  Requests and notifications
 * from the server pass; a response must carry one of @ids (an error may
 * carry a null id: JSON-RPC's answer to an unreadable id).  0 yes; -EINVAL
 * not JSON-RPC; -EPROTO a response the POST did not ask for, and @why
 * (@why_len bytes) names its id.
 */
int inspect_answer(const char *data, size_t len, const struct inspect_ids *ids, char *why,
		   size_t why_len);
void inspect_ids_free(struct inspect_ids *ids);
/* A JSON-RPC error response for @rpc_id (JSON text or NULL: null); malloc'ed. */
char *inspect_error_json(const char *rpc_id, int code, const char *message,
			 unsigned int retry_after_s);
/* The same with @data_json (a JSON value's text, or NULL/"": none) as the
 * error's data; NULL when out of memory or @data_json is not JSON. */
char *inspect_error_json_data(const char *rpc_id, int code, const char *message,
			      const char *data_json);

#endif
