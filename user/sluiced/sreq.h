/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sreq.h - the backend's requests to the agent (sampling/createMessage,
 * elicitation/create, roots/list) found in its SSE streams: judged for the
 * identity of the stream (policy/decide.h, decide_server_request, from
 * agents.*.server_requests).  A refused one never reaches the agent; the
 * backend gets the JSON-RPC error answer to it, POSTed by the gateway on
 * the agent's session, so it does not wait for an answer forever.
 */
#ifndef SL_SREQ_H
#define SL_SREQ_H

#include <stddef.h>

#include "base/buf.h"
#include "base/ev.h"
#include "gwconf.h"
#include "pool.h"

/* What judging one event refused: the error answers for the backend, and
 * the first refusal's words for the log. */
struct sreq_refusals {
	char **answers;		/* JSON-RPC error responses (malloc) */
	size_t n;
	char method[48];	/* the first refused request's method */
	char message[320];	/* and the verdict's message */
	/* Messages the gateway cannot read one way, kept from an agent that
	 * does not take every kind of backend request (no answer: no id). */
	size_t unreadable;
};

/* What becomes of the event judged. */
enum sreq_outcome {
	SREQ_RELAY,		/* relay it as it is */
	SREQ_REWRITTEN,		/* a batch lost refused requests: relay the new data */
	SREQ_DROP,		/* nothing is left for the agent */
};

/*
 * Judges the JSON-RPC message (or batch) in @data, an SSE event's data, for
 * @id under @gp: returns an sreq_outcome, with @data rewritten for
 * SREQ_REWRITTEN and *out holding the refusals (free it with
 * sreq_refusals_free whatever the outcome), or -ENOMEM.  Data that is not
 * JSON-RPC to the gateway (ambiguous JSON, not JSON at all) is relayed only
 * to an identity that takes every kind of backend request: another client
 * could read a request into it that the gateway did not see.
 */
int sreq_judge(const struct gw_policy *gp, const struct identity *id, struct buf *data,
	       struct sreq_refusals *out);
void sreq_refusals_free(struct sreq_refusals *r);

/*
 * POSTs @body (a JSON-RPC response) to @path on @be, with @headers (whole
 * "Name: value\r\n" lines: the session, the protocol version, the context
 * headers) besides Host, Content-Type, Accept and Content-Length.  Fire
 * and forget: the POST holds its own reference to @gp, its outcome is
 * logged, and it frees itself.  -ENOMEM when it could not start.
 */
int sreq_post(struct pool *pool, struct gw_policy *gp, const struct gw_backend *be,
	      const char *path, const char *headers, const char *body);

/* Refused backend requests answered per SSE event or JSON answer. */
#define SREQ_ANSWERS_MAX 16

#endif
