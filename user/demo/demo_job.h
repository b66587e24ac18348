/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_job.h - answers that take time: progress events, `slow`'s wait,
 * sampling's question to the client, then the final response.
 *
 * A job hangs off its connection (c->jobs) and runs on that connection's
 * worker, each stage on a timer so the loop never blocks.  A POST's job
 * owns its connection until it ends, then calls demo_conn_answer_done();
 * a legacy stream holds any number of jobs at once.
 */
#ifndef SL_DEMO_JOB_H
#define SL_DEMO_JOB_H

#include <stdint.h>
#include <cjson/cJSON.h>

struct demo_conn;

enum demo_job_out {
	DEMO_OUT_JSON,		/* one application/json answer, later */
	DEMO_OUT_SSE,		/* this POST's text/event-stream answer */
	DEMO_OUT_LEGACY,	/* `event: message` on a legacy stream */
};

struct demo_job_spec {
	enum demo_job_out out;
	cJSON *final;		/* taken: the response (or batch) sent last; NULL when sampling */
	const cJSON *id;	/* copied: the request's id */
	const cJSON *progress_token;	/* copied, or NULL: no progress events */
	const char *tool;
	unsigned int progress_steps;
	uint32_t wait_ms;
	cJSON *sampling_params;	/* taken, or NULL */
};

void demo_job_start(struct demo_conn *c, struct demo_job_spec *spec);
/* The client's response to a sampling request of one of @c's jobs. */
void demo_job_sampling_answer(struct demo_conn *c, const cJSON *response);
void demo_jobs_free(struct demo_conn *c);

#endif
