// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_job.c - answers that take time (see demo_job.h).
 *
 * A job walks one fixed sequence, each stage on a timer so the loop never
 * blocks: progress events (--sse-delay-ms apart), then `slow`'s wait, then
 * sampling's question and the client's answer, then the final response.
 * A POST's job owns its connection until it ends (the reader stays
 * paused); a legacy stream holds any number of jobs at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_conn.h"
#include "demo_job.h"
#include "demo_mcp.h"
#include "demo_reply.h"
#include "demo_session.h"
#include "demo_tools.h"

#define DEMO_SAMPLING_MS	60000	/* sampling_demo gives up on the client then */

struct demo_job {
	struct demo_conn *conn;
	struct demo_job *next;
	struct ev_timer timer;
	enum demo_job_out out;
	cJSON *final;		/* NULL until sampling has an answer */
	cJSON *req_id;
	cJSON *progress_token;
	char tool[64];
	unsigned int progress_total, progress_sent;
	uint32_t wait_ms;
	cJSON *sampling_params;	/* the question, until asked */
	char sampling_id[DEMO_RPC_ID_MAX];	/* set while the answer is awaited */
	uint64_t stream_seq;	/* SSE event ids: "<stream>-<n>" */
	unsigned int event_no;
};

/* A timer that cannot be armed (out of memory) would stall the answer forever. */
static void job_wait(struct demo_job *j, uint32_t ms)
{
	if (ev_timer_arm(j->conn->pool->loop, &j->timer, ms))
		j->conn->out.dead = true;
}

static void job_emit(struct demo_job *j, const cJSON *msg)
{
	struct demo_conn *c = j->conn;
	char id[48];

	switch (j->out) {
	case DEMO_OUT_SSE:
		snprintf(id, sizeof(id), "%llu-%u", (unsigned long long)j->stream_seq, ++j->event_no);
		demo_sse_json(&c->out, NULL, id, msg);
		break;
	case DEMO_OUT_LEGACY:
		demo_sse_json(&c->out, "message", NULL, msg);
		break;
	case DEMO_OUT_JSON:
		demo_reply_json(&c->out, 200, msg, NULL);
		break;
	}
}

static void job_free(struct demo_job *j)
{
	ev_timer_cancel(j->conn->pool->loop, &j->timer);
	if (j->sampling_id[0])
		demo_session_take_pending(j->conn->sid, j->sampling_id, NULL);
	cJSON_Delete(j->final);
	cJSON_Delete(j->req_id);
	cJSON_Delete(j->progress_token);
	cJSON_Delete(j->sampling_params);
	free(j);
}

static void job_finish(struct demo_job *j)
{
	struct demo_conn *c = j->conn;
	enum demo_job_out out = j->out;
	struct demo_job **pp;

	for (pp = &c->jobs; *pp != j; pp = &(*pp)->next)
		;
	*pp = j->next;
	job_free(j);
	if (out == DEMO_OUT_SSE)
		demo_sse_end(&c->out);
	if (out != DEMO_OUT_LEGACY)
		demo_conn_answer_done(c);
}

static void job_answer_now(struct demo_job *j, cJSON *result)
{
	cJSON_Delete(j->final);
	j->final = demo_rpc_result(j->req_id, result);
}

/* Asks the client's model; the answer comes back as mail to this connection. */
static void job_ask(struct demo_job *j)
{
	struct demo_conn *c = j->conn;
	struct demo_addr self = demo_conn_addr(c);
	cJSON *request;

	snprintf(j->sampling_id, sizeof(j->sampling_id), "sampling-%llu",
		 (unsigned long long)demo_session_next_seq(c->sid));
	if (demo_session_add_pending(c->sid, j->sampling_id, &self)) {
		j->sampling_id[0] = '\0';
		job_answer_now(j, demo_text_result("sampling_demo: too many open questions "
						   "for this session", true));
	} else {
		request = demo_rpc_sampling_request(j->sampling_id, j->sampling_params);
		job_emit(j, request);
		cJSON_Delete(request);
		job_wait(j, DEMO_SAMPLING_MS);
	}
	cJSON_Delete(j->sampling_params);
	j->sampling_params = NULL;
}

static void job_progress(struct demo_job *j)
{
	cJSON *event = demo_rpc_progress(j->progress_token, ++j->progress_sent,
					 j->progress_total, j->tool);

	job_emit(j, event);
	cJSON_Delete(event);
}

/* Runs stages until one must wait; frees the job when the last is done. */
static void job_step(struct demo_job *j)
{
	uint32_t delay = j->conn->pool->cfg->sse_delay_ms;

	for (;;) {
		if (j->progress_sent < j->progress_total) {
			job_progress(j);
			if (delay) {
				job_wait(j, delay);
				return;
			}
		} else if (j->wait_ms) {
			job_wait(j, j->wait_ms);
			j->wait_ms = 0;
			return;
		} else if (j->sampling_params) {
			job_ask(j);
			if (j->sampling_id[0])
				return;
		} else if (j->sampling_id[0]) {
			return;		/* the client's answer, or the timeout, resumes */
		} else {
			job_emit(j, j->final);
			job_finish(j);
			return;
		}
	}
}

static void job_on_timer(struct ev_loop *loop, void *data)
{
	struct demo_job *j = data;
	struct demo_conn *c = j->conn;

	(void)loop;
	if (j->sampling_id[0]) {	/* the client never answered */
		demo_session_take_pending(c->sid, j->sampling_id, NULL);
		j->sampling_id[0] = '\0';
		job_answer_now(j, demo_sampling_result(NULL));
	}
	job_step(j);
	demo_conn_settle(c);
}

void demo_job_start(struct demo_conn *c, struct demo_job_spec *spec)
{
	struct demo_job *j = calloc(1, sizeof(*j));
	bool streamed = spec->out != DEMO_OUT_JSON;

	if (!j) {
		cJSON_Delete(spec->final);
		cJSON_Delete(spec->sampling_params);
		c->out.dead = true;
		return;
	}
	j->conn = c;
	j->out = spec->out;
	j->final = spec->final;
	j->req_id = spec->id ? cJSON_Duplicate(spec->id, true) : NULL;
	/* Progress goes only where asked for (a token) and where it can (a stream). */
	if (streamed && spec->progress_token) {
		j->progress_token = cJSON_Duplicate(spec->progress_token, true);
		j->progress_total = spec->progress_steps;
	}
	snprintf(j->tool, sizeof(j->tool), "%s", spec->tool ? spec->tool : "call");
	j->wait_ms = spec->wait_ms;
	j->sampling_params = streamed ? spec->sampling_params : NULL;
	if (!streamed)
		cJSON_Delete(spec->sampling_params);
	ev_timer_init(&j->timer, job_on_timer, j);
	j->next = c->jobs;
	c->jobs = j;
	if (spec->out != DEMO_OUT_LEGACY)
		c->state = DEMO_CONN_BUSY;
	if (spec->out == DEMO_OUT_SSE) {
		j->stream_seq = demo_session_next_seq(c->sid);
		demo_sse_begin(&c->out);
	}
	job_step(j);
}

void demo_job_sampling_answer(struct demo_conn *c, const cJSON *response)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(response, "id");
	struct demo_job *j;

	for (j = c->jobs; j && cJSON_IsString(id); j = j->next) {
		if (strcmp(j->sampling_id, id->valuestring))
			continue;
		/* Already taken from the session's pending list by whoever mailed it. */
		j->sampling_id[0] = '\0';
		ev_timer_cancel(c->pool->loop, &j->timer);
		job_answer_now(j, demo_sampling_result(response));
		job_step(j);
		return;
	}
}

void demo_jobs_free(struct demo_conn *c)
{
	while (c->jobs) {
		struct demo_job *j = c->jobs;

		c->jobs = j->next;
		job_free(j);
	}
}
