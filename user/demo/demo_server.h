/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_server.h - the demo backend's server: workers, connections, routes
 * and the answers that take time (streams, delays, sampling).
 *
 * Data flows one way per connection: socket -> http_reader -> route ->
 * demo_mcp -> an answer written into the connection's output queue.  An
 * answer that cannot be written at once becomes a job with a timer; the
 * reader stays paused until it ends, so pipelined requests are answered in
 * order.  Anything that must reach another worker's connection (a legacy
 * stream's messages, a client's answer to a sampling request) goes through
 * that worker's mailbox.
 *
 * Ownership: a worker owns its loop, its connections and their jobs; no
 * other thread touches them.  Every entry point (I/O, timer, mail) ends
 * with demo_conn_settle(), the only place a connection is freed, so nothing
 * below it ever uses a freed connection.
 */
#ifndef SL_DEMO_SERVER_H
#define SL_DEMO_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cjson/cJSON.h>

#include "base/buf.h"
#include "demo_mcp.h"
#include "demo_session.h"
#include "base/ev.h"
#include "proto/http.h"

#define DEMO_MAX_HEADER_BYTES	(64u << 10)	/* then 431 */
#define DEMO_MAX_BODY_BYTES	(1u << 20)	/* then 413 */
#define DEMO_READ_CHUNK		(64u << 10)	/* bytes taken from a socket per read */
/* Output waiting for a slow reader: stop parsing its requests meanwhile. */
#define DEMO_OUT_HIGH		(1u << 20)
/* Input waiting behind a long answer (pipelined requests): stop reading. */
#define DEMO_IN_HIGH		(DEMO_MAX_BODY_BYTES + DEMO_MAX_HEADER_BYTES)
#define DEMO_IDLE_MS		120000	/* a keep-alive connection with nothing to do */
#define DEMO_REQUEST_MS		30000	/* a started request must be complete by then: 408 */
#define DEMO_LINGER_MS		2000	/* draining a refused request's rest before closing */
#define DEMO_SWEEP_MS		1000	/* how often the timeouts above are checked */
#define DEMO_LOG_EVENT_MS	1000	/* GET /mcp: one notifications/message per second */
#define DEMO_LOG_EVENTS_MAX	300	/* ...and the stream ends after event 300 */
#define DEMO_KEEPALIVE_MS	15000	/* legacy /sse: a comment so dead peers show */
#define DEMO_SAMPLING_MS	60000	/* sampling_demo gives up on the client then */
#define DEMO_MAX_FDS		(1 << 17)	/* per worker loop; accept refuses past it */

struct demo_config {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	unsigned int workers;
	uint32_t sse_delay_ms;	/* between the events of a POST's SSE answer */
	bool verbose;		/* one log line per request */
};

enum demo_mail_kind {
	DEMO_MAIL_MESSAGES,	/* JSON-RPC posted to /message: answer on this legacy stream */
	DEMO_MAIL_RESPONSE,	/* the client's response to this connection's sampling request */
};

struct demo_mail {
	struct demo_mail *next;
	enum demo_mail_kind kind;
	int fd;
	uint64_t serial;
	cJSON *json;		/* owned */
};

struct demo_conn;

struct demo_worker {
	const struct demo_config *cfg;
	unsigned int index;
	pthread_t thread;
	bool started;
	struct ev_loop *loop;
	int listen_fd;
	int mail_fd;		/* eventfd: mail waits, or the worker should stop */
	pthread_mutex_t mail_lock;
	struct demo_mail *mail_head, *mail_tail;
	atomic_bool stopping;
	struct demo_conn **conns;	/* by fd: mail is addressed (fd, serial) */
	struct demo_conn *conn_list;
	uint64_t next_serial;
	struct ev_timer sweep;
	char *rbuf;		/* socket reads land here first */
	char *scratch;		/* JSON is printed here before it is framed */
	size_t scratch_cap;
	struct buf event;	/* one SSE event being framed */
};

enum demo_conn_state {
	DEMO_CONN_READING,	/* parsing requests, answering at once */
	DEMO_CONN_BUSY,		/* a job answers the current request; input waits */
	DEMO_CONN_STREAM,	/* a server stream (GET /mcp, GET /sse) holds the connection */
	DEMO_CONN_LINGER,	/* refused: draining input until EOF, then closing */
};

enum demo_stream {
	DEMO_STREAM_NONE,
	DEMO_STREAM_LOG,	/* GET /mcp: notifications/message every second */
	DEMO_STREAM_LEGACY,	/* GET /sse: the legacy transport's event stream */
};

struct demo_job;

struct demo_conn {
	struct demo_worker *w;
	struct demo_conn *prev, *next;
	int fd;
	uint64_t serial;
	enum demo_conn_state state;
	enum demo_stream stream;
	bool dead;		/* free at the next settle */
	bool peer_eof;
	bool close_after;	/* close once the output is written */
	bool linger;		/* ...and drain input first (the request was refused) */
	bool in_process;	/* demo_conn_process is on the stack */
	bool have_msg;		/* the reader completed a request, not yet handled */
	bool keep_alive, http10, chunked_out;	/* of the current request/answer */
	unsigned int watching;
	uint64_t last_active_ms;
	struct http_reader rd;
	struct buf in, out;
	char sid[DEMO_SID_LEN + 1];	/* the session of the current request or stream */
	struct ev_timer tick;	/* stream events, keep-alives, the linger deadline */
	uint64_t log_next;	/* GET /mcp: the next event's number */
	struct demo_job *jobs;
};

/* demo_worker.c */
int demo_worker_init(struct demo_worker *w, const struct demo_config *cfg, unsigned int index,
		     int listen_fd);
int demo_worker_start(struct demo_worker *w);
void demo_worker_stop(struct demo_worker *w);
void demo_worker_join(struct demo_worker *w);
void demo_worker_free(struct demo_worker *w);
/* Sends @json (taken, freed on failure) to a connection of any worker. */
int demo_worker_mail(const struct demo_addr *to, enum demo_mail_kind kind, cJSON *json);
/* Prints @json compactly into the worker's scratch; NULL when out of memory. */
const char *demo_worker_print(struct demo_worker *w, const cJSON *json, size_t *len);

/* demo_conn.c */
void demo_conn_accept(struct demo_worker *w, int fd);
struct demo_conn *demo_conn_lookup(struct demo_worker *w, int fd, uint64_t serial);
void demo_conn_settle(struct demo_conn *c);
/* The current answer is complete: read and answer the next request. */
void demo_conn_answer_done(struct demo_conn *c);
void demo_conn_free(struct demo_conn *c);
void demo_conn_sweep(struct demo_worker *w);
static inline struct demo_addr demo_conn_addr(const struct demo_conn *c)
{
	return (struct demo_addr){ .worker = c->w, .fd = c->fd, .serial = c->serial };
}

/* demo_reply.c: answers and SSE framing into c->out; failures mark c dead. */
void demo_reply(struct demo_conn *c, int status, const char *content_type, const char *body,
		size_t len, const char *extra_headers);
void demo_reply_json(struct demo_conn *c, int status, const cJSON *json, const char *extra_headers);
void demo_reply_rpc_error(struct demo_conn *c, int status, const cJSON *id, int code,
			  const char *message);
void demo_sse_begin(struct demo_conn *c);
void demo_sse_event(struct demo_conn *c, const char *event, const char *id, const char *data,
		    size_t len);
void demo_sse_json(struct demo_conn *c, const char *event, const char *id, const cJSON *json);
void demo_sse_comment(struct demo_conn *c, const char *text);
void demo_sse_end(struct demo_conn *c);

/* demo_route.c */
void demo_route(struct demo_conn *c, struct http_msg *msg);
/* GET /mcp and GET /sse streams: their periodic event. */
void demo_stream_tick(struct demo_conn *c);
/* A legacy stream's mail: JSON-RPC posted to /message, answered on @c. */
void demo_route_legacy_mail(struct demo_conn *c, const cJSON *root);

/* demo_job.c */
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
