/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_conn.h - one client connection of the demo backend, and one worker's
 * pool of them.
 *
 * Data flows one way per connection: socket -> http_reader -> the pool's
 * ops (the router) -> an answer written into the connection's output.  An
 * answer that cannot be written at once becomes a job with a timer (see
 * demo_job.h); the reader stays paused until demo_conn_answer_done(), so
 * pipelined requests are answered in order.
 *
 * This layer knows HTTP framing and socket I/O, not what a request means:
 * it reports up through struct demo_conn_ops, which the router fills in.
 * Every entry point (I/O, timer, mail) ends with demo_conn_settle(), the
 * only place a connection is freed, so nothing below it ever uses a freed
 * connection.
 */
#ifndef SL_DEMO_CONN_H
#define SL_DEMO_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/ev.h"
#include "proto/http.h"
#include "demo_config.h"
#include "demo_reply.h"
#include "demo_session.h"

#define DEMO_MAX_HEADER_BYTES	(64u << 10)	/* then 431 */
#define DEMO_MAX_BODY_BYTES	(1u << 20)	/* then 413 */
#define DEMO_READ_CHUNK		(64u << 10)	/* bytes taken from a socket per read */
/* Output waiting for a slow reader: stop parsing its requests meanwhile. */
#define DEMO_OUT_HIGH		(1u << 20)
/* Input waiting behind a long answer (pipelined requests): stop reading. */
#define DEMO_IN_HIGH		(DEMO_MAX_BODY_BYTES + DEMO_MAX_HEADER_BYTES)
#define DEMO_IDLE_MS		120000	/* a keep-alive connection with nothing to do */
#define DEMO_REQUEST_MS		30000	/* a started request must be complete by then: 408 */
#define DEMO_SWEEP_MS		1000	/* how often demo_conn_sweep() checks the two above */
#define DEMO_LINGER_MS		2000	/* draining a refused request's rest before closing */
#define DEMO_MAX_FDS		(1 << 17)	/* per worker loop; accept refuses past it */

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

struct demo_conn;
struct demo_job;
struct demo_mailbox;

/* What a connection reports upward; the router implements it. */
struct demo_conn_ops {
	/* A complete request: answer it into c->out, or hand it to a job or a
	 * stream that calls demo_conn_answer_done() when it ends. */
	void (*request)(struct demo_conn *c, struct http_msg *msg);
	/* The tick timer of a connection in DEMO_CONN_STREAM fired. */
	void (*tick)(struct demo_conn *c);
	/* @c is being freed: let go of what hangs off it (jobs, a legacy session). */
	void (*closing)(struct demo_conn *c);
};

/* One worker's connections and what they share; only that worker's thread uses it. */
struct demo_conn_pool {
	/* Borrowed from the worker; set before demo_conn_pool_init(). */
	const struct demo_config *cfg;
	const struct demo_conn_ops *ops;
	struct ev_loop *loop;
	struct demo_mailbox *mailbox;	/* where mail for these connections goes */
	unsigned int index;		/* the worker's, for logs */
	/* Owned. */
	struct demo_conn **by_fd;	/* mail is addressed (fd, serial) */
	struct demo_conn *list;
	uint64_t next_serial;
	char *rbuf;		/* socket reads land here first */
	struct demo_printer printer;	/* every connection's answers are framed here */
};

struct demo_conn {
	struct demo_conn_pool *pool;
	struct demo_conn *prev, *next;
	int fd;
	uint64_t serial;
	enum demo_conn_state state;
	bool peer_eof;
	bool linger;		/* close after the output, draining input first (refused) */
	bool in_process;	/* the request loop is on the stack */
	bool have_msg;		/* the reader completed a request, not yet handled */
	bool keep_alive;	/* of the current request */
	unsigned int watching;
	uint64_t last_active_ms;
	struct http_reader rd;
	struct buf in;
	struct demo_out out;	/* answers, and whether the connection is over */
	struct ev_timer tick;	/* stream events, keep-alives, the linger deadline */
	/* Kept here for the layers above: */
	enum demo_stream stream;
	char sid[DEMO_SID_LEN + 1];	/* the session of the current request or stream */
	uint64_t log_next;	/* GET /mcp: the next event's number */
	struct demo_job *jobs;
};

/* Allocates the pool's own parts; on failure it is still safe to free. */
int demo_conn_pool_init(struct demo_conn_pool *p);
/* Closes every connection, then frees the pool's own parts. */
void demo_conn_pool_free(struct demo_conn_pool *p);

/* Takes @fd (closed on failure) as a new connection. */
void demo_conn_accept(struct demo_conn_pool *p, int fd);
/* The live connection @fd still is, or NULL when it has gone since. */
struct demo_conn *demo_conn_lookup(struct demo_conn_pool *p, int fd, uint64_t serial);
/* Idle keep-alive connections close; a request stuck half-sent gets 408. */
void demo_conn_sweep(struct demo_conn_pool *p);
/* Writes, answers what waits, frees @c when it is over: the end of every entry point. */
void demo_conn_settle(struct demo_conn *c);
/* The current answer is complete: read and answer the next request. */
void demo_conn_answer_done(struct demo_conn *c);

static inline struct demo_addr demo_conn_addr(const struct demo_conn *c)
{
	return (struct demo_addr){ .mailbox = c->pool->mailbox, .fd = c->fd, .serial = c->serial };
}

#endif
