/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proxy.h - the MCP-aware HTTP proxy of one worker: its client connections
 * (client.h), the exchanges they start (exchange.h), and its keep-alive
 * pool of backend connections (pool.h), all on the worker's event loop.
 */
#ifndef SL_PROXY_H
#define SL_PROXY_H

#include "base/ev.h"
#include "base/net.h"
#include "client.h"
#include "gwconf.h"
#include "pool.h"

struct proxy {
	struct client_list clients;
	struct pool pool;
};

void proxy_init(struct proxy *p, struct ev_loop *loop);
/* Takes over @fd, counted by admit_conn.  @cfg: the policy the connection
 * was admitted under (its limits stay). */
void proxy_accept(struct proxy *p, int fd, const struct net_addr *peer,
		  const struct gw_config *cfg);
/* Closes the connections of banned agents (kernel.h), each with the ban's
 * error where a request or stream is open. */
void proxy_enforce_bans(struct proxy *p);
/* Closes every client connection, then the idle backend connections. */
void proxy_close_all(struct proxy *p);

#endif
