// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_worker.c - one thread of the demo backend: its loop, its listener,
 * its connections and its mailbox (see demo_worker.h).
 *
 * Stopping is a flag and the mailbox's eventfd: the loop wakes, sees the
 * flag and ends.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "base/log.h"
#include "demo_job.h"
#include "demo_route.h"
#include "demo_worker.h"

#define ACCEPT_BATCH	64	/* connections taken per wake-up, then others get a turn */

/* --- mail ------------------------------------------------------------------------ */

static void deliver(struct demo_worker *w, struct demo_mail *mail)
{
	struct demo_conn *c = demo_conn_lookup(&w->pool, mail->fd, mail->serial);

	if (!c)
		return;		/* that connection is gone */
	if (mail->kind == DEMO_MAIL_MESSAGES)
		demo_route_legacy_mail(c, mail->json);
	else
		demo_job_sampling_answer(c, mail->json);
	demo_conn_settle(c);
}

static void deliver_all(struct demo_worker *w, struct demo_mail *list)
{
	while (list) {
		struct demo_mail *next = list->next;

		deliver(w, list);
		demo_mail_free(list);
		list = next;
	}
}

static void on_mail(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct demo_worker *w = data;
	uint64_t count;

	(void)events;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		pr_warn("demo: worker %u: eventfd read: %s\n", w->index, strerror(errno));
	if (atomic_load(&w->stopping)) {
		ev_stop(loop);
		return;
	}
	deliver_all(w, demo_mailbox_take(&w->mailbox));
}

/* --- listening and timers ----------------------------------------------------------- */

static void on_accept(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct demo_worker *w = data;

	(void)loop; (void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int conn_fd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (conn_fd >= 0) {
			demo_conn_accept(&w->pool, conn_fd);
			continue;
		}
		/* EMFILE and friends: leave it queued; the level-triggered loop retries. */
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			pr_warn("demo: worker %u: accept: %s\n", w->index, strerror(errno));
		return;
	}
}

static void on_sweep(struct ev_loop *loop, void *data)
{
	struct demo_worker *w = data;

	demo_conn_sweep(&w->pool);
	ev_timer_arm(loop, &w->sweep, DEMO_SWEEP_MS);
}

/* --- life ---------------------------------------------------------------------------- */

int demo_worker_init(struct demo_worker *w, const struct demo_config *cfg, unsigned int index,
		     int listen_fd)
{
	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->index = index;
	w->listen_fd = listen_fd;
	/* Whatever fails, demo_worker_free() undoes the rest. */
	if (demo_mailbox_init(&w->mailbox) || !(w->loop = ev_loop_new(DEMO_MAX_FDS)))
		return -ENOMEM;
	w->pool = (struct demo_conn_pool){
		.cfg = cfg,
		.ops = &demo_route_ops,
		.loop = w->loop,
		.mailbox = &w->mailbox,
		.index = index,
	};
	if (demo_conn_pool_init(&w->pool))
		return -ENOMEM;
	ev_timer_init(&w->sweep, on_sweep, w);
	if (ev_watch(w->loop, listen_fd, EV_READ, on_accept, w) ||
	    ev_watch(w->loop, w->mailbox.fd, EV_READ, on_mail, w) ||
	    ev_timer_arm(w->loop, &w->sweep, DEMO_SWEEP_MS))
		return -ENOMEM;
	return 0;
}

static void *worker_main(void *arg)
{
	struct demo_worker *w = arg;
	int err = ev_run(w->loop);

	if (err)
		pr_warn("demo: worker %u: event loop: %s\n", w->index, strerror(-err));
	return NULL;
}

int demo_worker_start(struct demo_worker *w)
{
	int err = pthread_create(&w->thread, NULL, worker_main, w);

	w->started = !err;
	return -err;
}

void demo_worker_stop(struct demo_worker *w)
{
	int err;

	atomic_store(&w->stopping, true);
	if (w->mailbox.fd >= 0 && (err = demo_mailbox_wake(&w->mailbox)))
		pr_warn("demo: worker %u: cannot wake: %s\n", w->index, strerror(-err));
}

void demo_worker_join(struct demo_worker *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
}

/* Once no worker runs (others mail this one): all it owned goes, connections first. */
void demo_worker_free(struct demo_worker *w)
{
	demo_conn_pool_free(&w->pool);	/* uses the loop: before it goes */
	demo_mailbox_free(&w->mailbox);
	if (w->loop)
		ev_loop_free(w->loop);
	if (w->listen_fd >= 0)
		close(w->listen_fd);
}
