/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * client.h - client connections: read and frame requests, write answers in
 * order, and keep the header, idle and linger deadlines.
 *
 * A connection carries one request at a time (pipelined requests wait in
 * its input buffer, answered in order).  What a request means is not the
 * connection's business: it hands each complete request to its list's
 * client_ops, whose owner answers at once into c->out, or later through
 * the exchange it hangs on c->ex.
 *
 * What one client can make the gateway hold is bounded by the policy it
 * was accepted under: limits.client_buffer_bytes for each of its queues
 * (reading stops while c->in holds more, parsing the next request while
 * c->out does, and an exchange's backend read pauses likewise), and
 * limits.write_timeout_ms for a client that does not read its answer.
 */
#ifndef SL_CLIENT_H
#define SL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/ev.h"
#include "base/net.h"
#include "gwconf.h"
#include "kernel.h"
#include "proto/http.h"

struct client;
struct exchange;

/* What the owner of a list of connections does with them. */
struct client_ops {
	/* A complete request: answer it into c->out (then client_flush), or
	 * start an exchange and hang it on c->ex. */
	void (*on_request)(struct client *c, const struct http_msg *msg);
	/* c->out drained while c->ex runs: the exchange may send more. */
	void (*on_drained)(struct client *c);
	/* The connection is torn down while c->ex runs: end the exchange. */
	void (*on_abort)(struct client *c);
	/* Is c->ex's answer a stream (an SSE stream, with no end to wait for)?
	 * Asked when the client hangs up during it. */
	bool (*streams)(const struct client *c);
};

/* One worker's client connections. */
struct client_list {
	struct ev_loop *loop;
	const struct client_ops *ops;
	struct client *head;
};

struct client {
	struct client_list *list;
	int fd;
	struct net_addr peer;
	char peer_str[64];
	struct http_reader rd;
	struct buf in, out;
	struct ev_timer timer;		/* header or idle deadline */
	struct ev_timer write_timer;	/* write deadline, while c->out holds bytes */
	uint64_t write_progress_ms;	/* the last write progress (see on_write_timer) */
	unsigned int header_timeout_ms;	/* from the policy at accept */
	unsigned int idle_timeout_ms;
	unsigned int write_timeout_ms;
	size_t buffer_bytes;		/* limits.client_buffer_bytes */
	struct exchange *ex;		/* the owner's, while a request is answered */
	bool close_after;		/* close once the queue drains */
	bool in_request;		/* request bytes seen, not yet complete */
	bool counted_source;
	bool closed;			/* torn down; freed once the current event is done */
	bool parsing;			/* inside client_parse: answers must not re-enter it */
	bool lingering;			/* answered, write side shut, draining input */
	bool peer_done;			/* EOF from the client: no more reading; answer, then close */
	struct kernel_conn kc;		/* its tag in the kernel, its agent (kernel.h) */
	struct client *prev, *next;
};

void client_list_init(struct client_list *l, struct ev_loop *loop, const struct client_ops *ops);
/* Takes over @fd, counted by admit_conn.  @cfg: the policy the connection
 * was admitted under (its limits stay). */
void client_accept(struct client_list *l, int fd, const struct net_addr *peer,
		   const struct gw_config *cfg);
/* Closes every connection (ending their exchanges); each is freed by a
 * zero-delay timer, so once the loop has stopped, ev_run_due must follow. */
void client_close_all(struct client_list *l);

/* Closes @c now, without a word (it is freed after the current event). */
void client_drop(struct client *c);
/* Writes what c->out holds; once it drained, the next request may start.
 * May close @c (it is freed only after the current event). */
void client_flush(struct client *c);
/* Is c->out over the client's buffer (limits.client_buffer_bytes)?  Then
 * no next request starts, and an exchange stops reading its backend. */
bool client_backlogged(const struct client *c);
/*
 * Queues a JSON-RPC error as the whole answer.  @retry_after_s > 0 adds
 * Retry-After.  Errors that leave the connection in doubt (framing) set
 * c->close_after first.
 */
void client_answer_error(struct client *c, int status, const char *rpc_id, int code,
			 const char *message, unsigned int retry_after_s);
/* The same with @extra, whole "Name: value\r\n" header lines (WWW-Authenticate). */
void client_answer_error_hdr(struct client *c, int status, const char *rpc_id, int code,
			     const char *message, const char *extra);
/* The same with @data_json (JSON text, or NULL) as the JSON-RPC error's data. */
void client_answer_error_data(struct client *c, int status, const char *rpc_id, int code,
			      const char *message, const char *data_json, const char *extra);
/* A JSON answer of @len bytes (Protected Resource Metadata). */
void client_answer_json(struct client *c, int status, const char *body, size_t len);
/* The same with @extra header lines (Retry-After). */
void client_answer_json_hdr(struct client *c, int status, const char *body, size_t len,
			    const char *extra);

#endif
