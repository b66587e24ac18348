// SPDX-License-Identifier: GPL-2.0-only
/*
 * sreq.c - the backend's requests to the agent (see sreq.h): the judgement
 * of each SSE event, and the POST that answers a refused request.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jarena.h"
#include "base/log.h"
#include "policy/decide.h"
#include "proto/mcp.h"
#include "sreq.h"
#include "upstream.h"

/* --- the judgement -------------------------------------------------------------------- */

/* Notes @m's refusal by @v: its error answer, copied out of the arena. */
static int note_refusal(struct sreq_refusals *out, const struct mcp_msg *m,
			const struct decide_verdict *v)
{
	char *text = mcp_error_json(m->id, v->code, v->message, NULL);
	char **answers;

	if (!text)
		return -ENOMEM;
	answers = realloc(out->answers, (out->n + 1) * sizeof(*answers));
	if (answers) {
		out->answers = answers;
		out->answers[out->n] = strdup(text);
	}
	cJSON_free(text);	/* a no-op inside the arena; not so for other callers */
	if (!answers || !out->answers[out->n])
		return -ENOMEM;
	if (!out->n++) {
		snprintf(out->method, sizeof(out->method), "%s", m->method);
		snprintf(out->message, sizeof(out->message), "%s", v->message);
	}
	return 0;
}

/*
 * Would the decision refuse @id any of the backend's requests?  Then what
 * the gateway cannot read one way (duplicate keys, keys in another case,
 * a NUL) is not relayed either: a client that reads it its own way could
 * find a refused request in it.  Otherwise it is the client's to judge.
 */
static bool any_refused(const struct gw_policy *gp, const struct identity *id)
{
	static const char *const methods[] = {
		"sampling/createMessage", "elicitation/create", "roots/list",
	};
	struct decide_verdict v;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct mcp_msg m = {
			.kind = MCP_REQUEST, .method = methods[i],
			.info = mcp_method_lookup(methods[i]),
		};

		if (decide_server_request(gp->model, id, &m, &v) == DECIDE_DENY)
			return true;
	}
	return false;
}

/* Judges every message of @b; refused ones (and, when @strict, unreadable
 * ones) leave the batch's tree. */
static int judge_batch(const struct gw_policy *gp, const struct identity *id, bool strict,
		       struct mcp_batch *b, struct sreq_refusals *out)
{
	struct decide_verdict v;

	for (size_t i = 0; i < b->n; i++) {
		struct mcp_msg *m = &b->msgs[i];
		int err;

		if (strict && m->kind == MCP_INVALID) {
			out->unreadable++;
			cJSON_Delete(cJSON_DetachItemViaPointer(b->root, m->json));
			continue;
		}
		if (m->kind != MCP_REQUEST ||
		    decide_server_request(gp->model, id, m, &v) != DECIDE_DENY)
			continue;
		err = note_refusal(out, m, &v);
		if (err)
			return err;
		if (b->is_batch)
			cJSON_Delete(cJSON_DetachItemViaPointer(b->root, m->json));
	}
	return 0;
}

/* The batch without its refused elements, as the event's new data. */
static int rewrite(struct mcp_batch *b, struct buf *data)
{
	char *text;
	int err;

	if (!cJSON_GetArraySize(b->root))
		return SREQ_DROP;
	text = cJSON_PrintUnformatted(b->root);
	if (!text)
		return -ENOMEM;
	buf_reset(data);
	err = buf_puts(data, text);
	cJSON_free(text);
	return err ? -ENOMEM : SREQ_REWRITTEN;
}

int sreq_judge(const struct gw_policy *gp, const struct identity *id, struct buf *data,
	       struct sreq_refusals *out)
{
	bool strict = any_refused(gp, id);
	struct mcp_batch b = {};
	struct mcp_error perr;
	int ret = SREQ_RELAY;

	memset(out, 0, sizeof(*out));
	if (!strict)
		return SREQ_RELAY;	/* no request could be refused: nothing to read */
	jarena_begin();
	/* Not JSON-RPC to the gateway (warned about already): no request the
	 * gateway can see, so none the agent may take for one if strict. */
	if (mcp_parse(data->data ? data->data : "", data->len, &b, &perr)) {
		if (strict) {
			out->unreadable++;
			ret = SREQ_DROP;
		}
	} else {
		ret = judge_batch(gp, id, strict, &b, out);
		if (!ret && (out->n || out->unreadable))
			ret = b.is_batch ? rewrite(&b, data) : SREQ_DROP;
	}
	mcp_batch_free(&b);
	jarena_end();
	return ret;
}

void sreq_refusals_free(struct sreq_refusals *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->answers[i]);
	free(r->answers);
	memset(r, 0, sizeof(*r));
}

/* --- the answer's POST ------------------------------------------------------------------ */

struct sreq_post {
	struct upstream up;
	struct gw_policy *gp;		/* up.cfg and up.be point into it */
	struct ev_timer reaper;
	bool reaping;
};

static struct sreq_post *post_of(struct upstream *us)
{
	return (struct sreq_post *)((char *)us - offsetof(struct sreq_post, up));
}

static void post_reap(struct ev_loop *loop, void *data)
{
	struct sreq_post *p = data;

	(void)loop;
	upstream_free(&p->up);
	gw_policy_put(p->gp);
	free(p);
}

/* Freed from a zero-delay timer: it ends inside its reader's callbacks. */
static void post_end(struct sreq_post *p, bool reusable)
{
	if (p->reaping)
		return;
	p->reaping = true;
	upstream_release(&p->up, reusable);
	ev_timer_init(&p->reaper, post_reap, p);
	ev_timer_arm(p->up.pool->loop, &p->reaper, 0);
}

/* The backend's answer to an answer is an acknowledgement (202): kept whole. */
static int post_on_head(struct upstream *us, struct http_msg *msg)
{
	(void)us, (void)msg;
	return HTTP_BODY_BUFFER;
}

static int post_on_sse_event(struct upstream *us, struct sse_event *ev)
{
	(void)us, (void)ev;
	return 0;
}

static int post_on_check(struct upstream *us, struct http_msg *msg)
{
	(void)us, (void)msg;
	return 0;
}

static void post_on_done(struct upstream *us, struct http_msg *msg)
{
	struct sreq_post *p = post_of(us);

	if (msg->status / 100 != 2)
		pr_info("sluiced: backend %s answered %d to the refusal of its request\n",
			us->be->name, msg->status);
	post_end(p, msg->keep_alive);
}

static void post_on_failed(struct upstream *us, enum upstream_failure what, const char *why)
{
	(void)what;
	pr_info("sluiced: backend %s: the refusal of its request was not delivered: %s\n",
		us->be->name, why);
	post_end(post_of(us), false);
}

static void post_flush(struct upstream *us)
{
	(void)us;
}

static bool post_backlogged(struct upstream *us)
{
	(void)us;
	return false;
}

static const struct upstream_ops post_ops = {
	.on_head = post_on_head,
	.on_sse_event = post_on_sse_event,
	.on_check = post_on_check,
	.on_done = post_on_done,
	.on_failed = post_on_failed,
	.flush = post_flush,
	.backlogged = post_backlogged,
};

int sreq_post(struct pool *pool, struct gw_policy *gp, const struct gw_backend *be,
	      const char *path, const char *headers, const char *body)
{
	struct sreq_post *p = calloc(1, sizeof(*p));
	struct buf *r;

	if (!p)
		return -ENOMEM;
	p->gp = gw_policy_ref(gp);
	upstream_init(&p->up, &post_ops, pool, &gp->cfg, be);
	r = &p->up.request;
	buf_printf(r, "POST %s HTTP/1.1\r\nHost: %s\r\n", path, be->authority);
	buf_puts(r, "Content-Type: application/json\r\n"
		 "Accept: application/json, text/event-stream\r\n");
	buf_puts(r, headers);
	buf_printf(r, "Content-Length: %zu\r\n\r\n", strlen(body));
	/* On failure before it started, nothing runs in it: free it here. */
	if (buf_puts(r, body) || upstream_start(&p->up)) {
		post_reap(pool->loop, p);
		return -ENOMEM;
	}
	return 0;
}
