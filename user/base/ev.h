/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ev.h - a small epoll event loop, one per worker thread (after Redis's ae).
 *
 * File events are level-triggered callbacks on readable/writable; timers
 * are one-shot deadlines on CLOCK_MONOTONIC kept in a binary heap, re-armed
 * by the callback when it wants another.  Nothing here is thread-safe: each
 * loop belongs to the thread that runs it; other threads reach it through
 * an eventfd registered as a file event.
 */
#ifndef SL_EV_H
#define SL_EV_H

#include <stdbool.h>
#include <stdint.h>

#define EV_READ		(1U << 0)
#define EV_WRITE	(1U << 1)

struct ev_loop;

typedef void (*ev_file_fn)(struct ev_loop *loop, int fd, unsigned int events, void *data);
typedef void (*ev_timer_fn)(struct ev_loop *loop, void *data);

/* A timer slot owned by the caller (embedded in a connection, say). */
struct ev_timer {
	uint64_t deadline_ms;
	ev_timer_fn fn;
	void *data;
	int heap_index;		/* -1 when not armed */
};

struct ev_loop *ev_loop_new(int max_fds);
void ev_loop_free(struct ev_loop *loop);

/* Watches @fd for @events (EV_READ|EV_WRITE), replacing what it watched. */
int ev_watch(struct ev_loop *loop, int fd, unsigned int events, ev_file_fn fn, void *data);
/* Stops watching; safe to call for an fd not watched, and from a callback. */
void ev_unwatch(struct ev_loop *loop, int fd);

void ev_timer_init(struct ev_timer *t, ev_timer_fn fn, void *data);
/* Arms (or re-arms) @t to fire @after_ms from now. */
int ev_timer_arm(struct ev_loop *loop, struct ev_timer *t, uint64_t after_ms);
void ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t);
static inline bool ev_timer_armed(const struct ev_timer *t)
{
	return t->heap_index >= 0;
}

/* Milliseconds on CLOCK_MONOTONIC, cached once per loop iteration. */
uint64_t ev_now_ms(struct ev_loop *loop);
uint64_t ev_clock_ms(void);

/* Runs until ev_stop(); returns 0, or -errno when epoll itself fails. */
int ev_run(struct ev_loop *loop);
void ev_stop(struct ev_loop *loop);
/* Runs, once, the timers already due at the loop's last time (those armed
 * with 0 since, and what they arm with 0): after ev_run returned, teardown's
 * "free after the current event" would otherwise never come. */
void ev_run_due(struct ev_loop *loop);

#endif
