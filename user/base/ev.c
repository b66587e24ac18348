// SPDX-License-Identifier: GPL-2.0-only
/*
 * ev.c - the epoll event loop (see ev.h).
 *
 * Callbacks for an fd are looked up in a table indexed by fd at dispatch
 * time, so a callback that closes another fd (and its neighbour reuses the
 * number) never sees a stale registration: ev_unwatch clears the slot and
 * the dispatcher re-checks it before every call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "ev.h"

#define EV_BATCH 256	/* events taken from epoll per wait */

struct ev_file {
	ev_file_fn fn;
	void *data;
	unsigned int events;	/* EV_READ|EV_WRITE wanted now; may be 0 (paused) */
	bool registered;	/* known to epoll */
};

struct ev_loop {
	int epfd;
	int max_fds;
	struct ev_file *files;
	struct ev_timer **heap;
	int heap_len, heap_cap;
	uint64_t now_ms;
	bool stop;
};

uint64_t ev_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t ev_now_ms(struct ev_loop *loop)
{
	return loop->now_ms;
}

struct ev_loop *ev_loop_new(int max_fds)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->max_fds = max_fds;
	loop->files = calloc((size_t)max_fds, sizeof(*loop->files));
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!loop->files || loop->epfd < 0) {
		ev_loop_free(loop);
		return NULL;
	}
	loop->now_ms = ev_clock_ms();
	return loop;
}

void ev_loop_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop->files);
	free(loop->heap);
	free(loop);
}

static uint32_t to_epoll(unsigned int events)
{
	return (events & EV_READ ? EPOLLIN | EPOLLRDHUP : 0) | (events & EV_WRITE ? EPOLLOUT : 0);
}

int ev_watch(struct ev_loop *loop, int fd, unsigned int events, ev_file_fn fn, void *data)
{
	struct epoll_event ee = { .events = to_epoll(events), .data.fd = fd };
	struct ev_file *f;
	int op;

	if (fd < 0 || fd >= loop->max_fds)
		return -ERANGE;
	f = &loop->files[fd];
	if (!events) {
		/* Paused: out of epoll, or a hung-up fd would wake us forever. */
		if (f->registered && epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL))
			return -errno;
		f->registered = false;
	} else if (!f->registered || f->events != events) {
		op = f->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
		if (epoll_ctl(loop->epfd, op, fd, &ee))
			return -errno;
		f->registered = true;
	}
	f->events = events;
	f->fn = fn;
	f->data = data;
	return 0;
}

void ev_unwatch(struct ev_loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->max_fds)
		return;
	if (loop->files[fd].registered)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&loop->files[fd], 0, sizeof(loop->files[fd]));
}

/* --- timers: a binary min-heap on deadline ----------------------------------- */

static void heap_set(struct ev_loop *loop, int i, struct ev_timer *t)
{
	loop->heap[i] = t;
	t->heap_index = i;
}

static void heap_up(struct ev_loop *loop, int i)
{
	struct ev_timer *t = loop->heap[i];

	while (i > 0) {
		int parent = (i - 1) / 2;

		if (loop->heap[parent]->deadline_ms <= t->deadline_ms)
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_down(struct ev_loop *loop, int i)
{
	struct ev_timer *t = loop->heap[i];

	for (;;) {
		int child = 2 * i + 1;

		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len &&
		    loop->heap[child + 1]->deadline_ms < loop->heap[child]->deadline_ms)
			child++;
		if (loop->heap[child]->deadline_ms >= t->deadline_ms)
			break;
		heap_set(loop, i, loop->heap[child]);
		i = child;
	}
	heap_set(loop, i, t);
}

void ev_timer_init(struct ev_timer *t, ev_timer_fn fn, void *data)
{
	t->deadline_ms = 0;
	t->fn = fn;
	t->data = data;
	t->heap_index = -1;
}

void ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t)
{
	int i = t->heap_index;
	struct ev_timer *last;

	if (i < 0)
		return;
	t->heap_index = -1;
	last = loop->heap[--loop->heap_len];
	if (i == loop->heap_len)
		return;
	heap_set(loop, i, last);
	heap_up(loop, i);
	heap_down(loop, last->heap_index);
}

int ev_timer_arm(struct ev_loop *loop, struct ev_timer *t, uint64_t after_ms)
{
	ev_timer_cancel(loop, t);
	if (loop->heap_len == loop->heap_cap) {
		int cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		void *heap = realloc(loop->heap, (size_t)cap * sizeof(*loop->heap));

		if (!heap)
			return -ENOMEM;
		loop->heap = heap;
		loop->heap_cap = cap;
	}
	t->deadline_ms = loop->now_ms + after_ms;
	loop->heap[loop->heap_len] = t;
	t->heap_index = loop->heap_len++;
	heap_up(loop, t->heap_index);
	return 0;
}

static void run_timers(struct ev_loop *loop)
{
	while (loop->heap_len && loop->heap[0]->deadline_ms <= loop->now_ms) {
		struct ev_timer *t = loop->heap[0];

		ev_timer_cancel(loop, t);
		t->fn(loop, t->data);
	}
}

static int wait_timeout_ms(struct ev_loop *loop)
{
	uint64_t first;

	/* Wake at least once a second; a far timer must not overflow the int. */
	if (!loop->heap_len)
		return 1000;
	first = loop->heap[0]->deadline_ms;
	if (first <= loop->now_ms)
		return 0;
	return first - loop->now_ms < 1000 ? (int)(first - loop->now_ms) : 1000;
}

/* --- running ---------------------------------------------------------------- */

static void dispatch(struct ev_loop *loop, const struct epoll_event *ee)
{
	int fd = ee->data.fd;
	unsigned int events = 0;
	struct ev_file *f = &loop->files[fd];

	if (ee->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		events |= EV_READ;
	if (ee->events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		events |= EV_WRITE;
	/* Report only what is watched now: an earlier callback may have changed it. */
	events &= f->events;
	if (events && f->fn)
		f->fn(loop, fd, events, f->data);
}

int ev_run(struct ev_loop *loop)
{
	struct epoll_event evs[EV_BATCH];

	loop->stop = false;
	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, evs, EV_BATCH, wait_timeout_ms(loop));

		if (n < 0 && errno != EINTR)
			return -errno;
		loop->now_ms = ev_clock_ms();
		for (int i = 0; i < n; i++)
			dispatch(loop, &evs[i]);
		run_timers(loop);
	}
	return 0;
}

void ev_stop(struct ev_loop *loop)
{
	loop->stop = true;
}

void ev_run_due(struct ev_loop *loop)
{
	/* The clock is not read again: a deadline that came due meanwhile
	 * belongs to a loop that no longer runs. */
	run_timers(loop);
}
