/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * batch.h - the answer to a JSON-RPC batch of which the gateway refused
 * some elements: the backend gets the others, the gateway answers the
 * refused requests itself, and the client gets one answer holding both,
 * in the order it sent its requests.
 *
 * gate.c fills a struct batch_answers while it judges (one slot per
 * request, refused or forwarded); exchange.c merges it with what the
 * backend answers.  Refused notifications and responses have no slot:
 * JSON-RPC answers them with nothing.
 */
#ifndef SL_BATCH_H
#define SL_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* One request of the batch, in the order the client sent it. */
struct batch_slot {
	char *rid;		/* its id, as JSON text (malloc) */
	char *answer;		/* refused: the gateway's error response (malloc);
				 * NULL: forwarded, the backend answers it */
};

struct batch_answers {
	struct batch_slot *v;
	size_t n;
	size_t n_refused;	/* elements the gateway refused, of any kind */
	size_t n_answers;	/* slots the gateway answers */
	size_t n_forwarded;	/* elements the backend gets, of any kind */
};

/* Does the client's answer need merging: a batch with a refused element? */
static inline bool batch_partial(const struct batch_answers *ba)
{
	return ba->n_refused;
}

/* Adds a request's slot: @rid its id (JSON text), @answer the gateway's
 * error response, or NULL when it is forwarded.  Both copied; 0 or -ENOMEM. */
int batch_add(struct batch_answers *ba, const char *rid, const char *answer);
void batch_free(struct batch_answers *ba);

/*
 * The client's one answer: a JSON array holding, in request order, the
 * gateway's answer to each refused request and the backend's answer to
 * each forwarded one (matched by id, first come first matched), then
 * every backend answer that matched no request (a null id, say).
 * @backend (@len bytes: a JSON-RPC response or an array of them, as the
 * backend wrote them) may be NULL: the backend answered nothing here.
 * A forwarded request left unanswered gets an error with @code and
 * @message (and data.retry_after_s when @retry_after_s) when @message is
 * not NULL, and nothing otherwise.  NULL when out of memory.
 */
char *batch_merge(const struct batch_answers *ba, const char *backend, size_t len, int code,
		  const char *message, unsigned int retry_after_s);
/* The gateway's answers as SSE events ("data: {...}\n\n"), appended to @out. */
int batch_put_events(const struct batch_answers *ba, struct buf *out);

#endif
