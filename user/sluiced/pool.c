// SPDX-License-Identifier: GPL-2.0-only
/*
 * pool.c - a worker's connections to backends (see pool.h): the idle lists,
 * their timeouts, and connecting anew.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "base/net.h"
#include "breaker.h"
#include "pool.h"

/* A pooled connection idle this long is closed (backends time out too). */
#define POOL_IDLE_MS	30000

struct pool_backend *pool_backend(struct pool *p, const struct gw_backend *be)
{
	struct pool_backend *bs;

	for (bs = p->backends; bs; bs = bs->next)
		if (!strcmp(bs->authority, be->authority))
			return bs;
	bs = calloc(1, sizeof(*bs));
	if (!bs)
		return NULL;
	bs->breaker = breaker_get(be->authority);
	if (!bs->breaker) {
		free(bs);
		return NULL;
	}
	snprintf(bs->authority, sizeof(bs->authority), "%s", be->authority);
	bs->next = p->backends;
	p->backends = bs;
	return bs;
}

/*
 * A response can complete inside upstream.c's read loop, and the exchange
 * then releases the connection: freeing it there would pull it from under
 * the loop, so inside the I/O callback a close only marks it, and the
 * callback frees it on the way out.
 */
void pool_close(struct upconn *up)
{
	ev_timer_cancel(up->pool->loop, &up->idle);
	ev_unwatch(up->pool->loop, up->fd);
	if (up->in_io) {
		up->dead = true;
		up->us = NULL;
		return;
	}
	close(up->fd);
	free(up);
}

void pool_remove(struct upconn *up)
{
	struct upconn **pp = &up->bs->idle;

	while (*pp && *pp != up)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = up->next;
		up->bs->n_idle--;
	}
}

static void on_idle_timeout(struct ev_loop *loop, void *data)
{
	struct upconn *up = data;

	(void)loop;
	pool_remove(up);
	pool_close(up);
}

/* An idle pooled connection became readable: the backend closed it (or misbehaved). */
static void on_idle_io(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct upconn *up = data;

	(void)loop, (void)fd, (void)events;
	pool_remove(up);
	pool_close(up);
}

/*
 * Is an idle connection fit for a request?  Bytes waiting on it are an
 * answer nobody asked for, an EOF a backend that closed it; either would be
 * taken for the next request's answer, or fail a request that may then not
 * be retried.  on_idle_io sees them too, but only from the event loop: a
 * request pipelined behind the response that pooled the connection takes it
 * before that runs.
 */
static bool idle_fit(const struct upconn *up)
{
	char c;

	return recv(up->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

struct upconn *pool_take(struct pool_backend *bs)
{
	struct upconn *up;

	while ((up = bs->idle)) {
		bs->idle = up->next;
		bs->n_idle--;
		ev_timer_cancel(up->pool->loop, &up->idle);
		up->next = NULL;
		if (idle_fit(up)) {
			up->reused = true;
			return up;
		}
		pool_close(up);
	}
	return NULL;
}

struct upconn *pool_connect(struct pool *p, struct pool_backend *bs, const struct gw_backend *be,
			    int *err)
{
	struct upconn *up = calloc(1, sizeof(*up));
	int fd;

	if (!up) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = net_connect(&be->addr, &fd);
	if (*err && *err != -EINPROGRESS) {
		free(up);
		return NULL;
	}
	up->pool = p;
	up->bs = bs;
	up->fd = fd;
	up->connecting = *err == -EINPROGRESS;
	*err = 0;
	ev_timer_init(&up->idle, on_idle_timeout, up);
	return up;
}

bool pool_put(struct upconn *up, unsigned int max_idle)
{
	struct pool_backend *bs = up->bs;
	struct ev_loop *loop = up->pool->loop;

	if (bs->n_idle >= max_idle || up->dead)
		return false;
	up->paused = false;
	ev_watch(loop, up->fd, EV_READ, on_idle_io, up);
	ev_timer_arm(loop, &up->idle, POOL_IDLE_MS);
	up->next = bs->idle;
	bs->idle = up;
	bs->n_idle++;
	return true;
}

void pool_init(struct pool *p, struct ev_loop *loop)
{
	p->loop = loop;
	p->backends = NULL;
}

void pool_free(struct pool *p)
{
	while (p->backends) {
		struct pool_backend *bs = p->backends;
		struct upconn *up;

		while ((up = pool_take(bs)))
			pool_close(up);
		p->backends = bs->next;
		free(bs);
	}
}
