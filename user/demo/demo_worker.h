/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_worker.h - one thread of the demo backend: its loop, its listener,
 * its pool of connections and its mailbox.  The top of the server: it
 * wires the connections to the router and delivers mail to both.
 *
 * Ownership: a worker owns its loop, its connections and their jobs; no
 * other thread touches them.  Anything that must reach another worker's
 * connection (a legacy stream's messages, a client's answer to a sampling
 * request) goes through that worker's mailbox (demo_mail.h).
 */
#ifndef SL_DEMO_WORKER_H
#define SL_DEMO_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/ev.h"
#include "demo_config.h"
#include "demo_conn.h"
#include "demo_mail.h"

struct demo_worker {
	const struct demo_config *cfg;
	unsigned int index;
	pthread_t thread;
	bool started;
	struct ev_loop *loop;
	int listen_fd;
	struct demo_mailbox mailbox;	/* its eventfd also says: stop */
	atomic_bool stopping;
	struct demo_conn_pool pool;
	struct ev_timer sweep;
};

int demo_worker_init(struct demo_worker *w, const struct demo_config *cfg, unsigned int index,
		     int listen_fd);
int demo_worker_start(struct demo_worker *w);
void demo_worker_stop(struct demo_worker *w);
void demo_worker_join(struct demo_worker *w);
/* Once no worker runs (others mail this one): all it owned goes, connections first. */
void demo_worker_free(struct demo_worker *w);

#endif
