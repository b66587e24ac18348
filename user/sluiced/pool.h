/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pool.h - one worker's connections to backends.  Per backend, keyed by
 * authority (a reload that keeps a backend keeps its connections), the
 * worker keeps the idle keep-alive connections and a handle on the
 * backend's circuit breaker, which all workers share (breaker.h).
 */
#ifndef SL_POOL_H
#define SL_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/ev.h"
#include "gwconf.h"

struct breaker;
struct upstream;

struct pool {
	struct ev_loop *loop;
	struct pool_backend *backends;
};

/* What a worker keeps per backend. */
struct pool_backend {
	char authority[280];	/* key: survives reloads that keep the backend */
	struct upconn *idle;
	unsigned int n_idle;
	struct breaker *breaker;
	struct pool_backend *next;
};

/* A connection to a backend: idle in its pool_backend, or carrying the
 * upstream side of one exchange (upstream.c runs its I/O). */
struct upconn {
	struct pool *pool;
	struct pool_backend *bs;
	struct upstream *us;		/* NULL while idle in the pool */
	int fd;
	bool connecting;
	bool reused;			/* it came from the idle list: it carried a request before */
	bool paused;
	bool in_io;			/* inside its I/O callback: closing is deferred */
	bool dead;			/* closed while in_io: its callback frees it on the way out */
	size_t written;			/* of us->request */
	struct ev_timer idle;
	struct upconn *next;
};

void pool_init(struct pool *p, struct ev_loop *loop);
/* Closes the idle connections (the exchanges must be gone). */
void pool_free(struct pool *p);
/* @be's state in this worker, created on first use; NULL when out of memory. */
struct pool_backend *pool_backend(struct pool *p, const struct gw_backend *be);
/* An idle connection to @bs, or NULL.  Idle connections with bytes or an
 * EOF waiting are closed on the way: nothing unasked reaches a request. */
struct upconn *pool_take(struct pool_backend *bs);
/* A new connection to @be, perhaps still connecting; NULL and *err when none. */
struct upconn *pool_connect(struct pool *p, struct pool_backend *bs, const struct gw_backend *be,
			    int *err);
/* Keeps @up idle for reuse; false when its backend has @max_idle already. */
bool pool_put(struct upconn *up, unsigned int max_idle);
/* Takes @up out of its backend's idle list, if it is there. */
void pool_remove(struct upconn *up);
/* Closes @up; inside its I/O callback (in_io) only marks it dead. */
void pool_close(struct upconn *up);

#endif
