// SPDX-License-Identifier: GPL-2.0-only
/*
 * worker.c - the worker threads (see worker.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "base/jarena.h"
#include "base/log.h"
#include "admit.h"
#include "proxy.h"
#include "worker.h"

struct worker {
	int id;
	pthread_t thread;
	struct ev_loop *loop;
	int listen_fd;
	int wake_fd;			/* eventfd: stop */
	int ban_fd;			/* eventfd: an agent was banned (kernel.h) */
	struct ev_timer accept_pause;	/* out of descriptors: accept again later */
	bool starved;			/* paused since the last accept: warned once */
	struct proxy proxy;
};

/* Out of descriptors with nothing to shed, accepting pauses this long: the
 * listener stays readable, and a level-triggered loop would spin on it. */
#define ACCEPT_PAUSE_MS 100

static struct worker *workers;
static unsigned int n_workers;

/* Refused connections get one short answer, then the close. */
static void refuse(int fd, int status)
{
	static const char msg429[] = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	static const char msg503[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	const char *m = status == 429 ? msg429 : msg503;

	if (write(fd, m, strlen(m)) < 0)
		pr_debug("sluiced: refused connection gone before its answer\n");
	close(fd);
}

static void on_accept(struct ev_loop *loop, int fd, unsigned int events, void *data);

static void accept_resume(struct ev_loop *loop, void *data)
{
	struct worker *w = data;

	if (ev_watch(loop, w->listen_fd, EV_READ, on_accept, w))
		pr_warn("sluiced: worker %d: cannot watch its listener again\n", w->id);
}

static void accept_pause(struct worker *w)
{
	if (!w->starved)
		pr_warn("sluiced: worker %d: out of file descriptors; accepting paused %d ms\n",
		w->id, ACCEPT_PAUSE_MS);
	ev_unwatch(w->loop, w->listen_fd);
	w->starved = true;
	ev_timer_arm(w->loop, &w->accept_pause, ACCEPT_PAUSE_MS);
}

static void on_accept(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct worker *w = data;
	struct gw_policy *gp;
	struct net_addr peer;
	int cfd, status;

	(void)loop, (void)events;
	for (;;) {
		cfd = net_accept(fd, &peer);
		if (cfd == -ECONNABORTED)
			continue;	/* shed with a 503: out of descriptors */
		if (cfd == -EMFILE)
			accept_pause(w);
		if (cfd < 0)
			return;
		w->starved = false;
		gp = gw_policy_current();
		if (!admit_conn(&gp->cfg, &peer, &status)) {
			refuse(cfd, status);
		} else {
			proxy_accept(&w->proxy, cfd, &peer, &gp->cfg);
		}
		gw_policy_put(gp);
	}
}

static void on_wake(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	uint64_t v;

	(void)events, (void)data;
	if (read(fd, &v, sizeof(v)) == sizeof(v))
		ev_stop(loop);
}

static void on_ban(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct worker *w = data;
	uint64_t v;

	(void)loop, (void)events;
	if (read(fd, &v, sizeof(v)) == sizeof(v))
		proxy_enforce_bans(&w->proxy);
}

void worker_notify_bans(void)
{
	uint64_t one = 1;

	for (unsigned int i = 0; i < n_workers; i++)
		if (write(workers[i].ban_fd, &one, sizeof(one)) != sizeof(one))
			pr_warn("sluiced: cannot tell worker %u of a ban\n", i);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int err = net_reserve_fd();

	if (err)
		pr_warn("sluiced: worker %d: no spare descriptor: %s\n", w->id, strerror(-err));
	err = ev_run(w->loop);

	if (err)
		pr_warn("sluiced: worker %d: event loop failed: %s\n", w->id, strerror(-err));
	proxy_close_all(&w->proxy);
	/* Closed clients and exchanges are freed by zero-delay timers, which
	 * the stopped loop would never run (LeakSanitizer would see them). */
	ev_run_due(w->loop);
	jarena_thread_exit();
	return NULL;
}

static int worker_init(struct worker *w, int id, const struct net_addr *listen)
{
	w->id = id;
	w->loop = ev_loop_new(65536);
	w->listen_fd = net_listen(listen, 1024);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->ban_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!w->loop || w->listen_fd < 0 || w->wake_fd < 0 || w->ban_fd < 0)
		return w->listen_fd < 0 ? w->listen_fd : -ENOMEM;
	proxy_init(&w->proxy, w->loop);
	ev_timer_init(&w->accept_pause, accept_resume, w);
	if (ev_watch(w->loop, w->listen_fd, EV_READ, on_accept, w) ||
	    ev_watch(w->loop, w->wake_fd, EV_READ, on_wake, w) ||
	    ev_watch(w->loop, w->ban_fd, EV_READ, on_ban, w))
		return -ENOMEM;
	return 0;
}

static void worker_cleanup(struct worker *w)
{
	if (w->listen_fd > 0)
		close(w->listen_fd);
	if (w->wake_fd > 0)
		close(w->wake_fd);
	if (w->ban_fd > 0)
		close(w->ban_fd);
	ev_loop_free(w->loop);
}

/* A worker's stack, whatever RLIMIT_STACK says (glibc gives threads 2 MiB
 * when it is unlimited): the SQL rule runs the PostgreSQL parser, whose
 * recursion a query of SQL_MAX_BYTES can take about 1 MiB deep (3 under
 * the sanitizers). */
#define WORKER_STACK_BYTES (8u << 20)

int worker_start_all(unsigned int n, const struct net_addr *listen)
{
	pthread_attr_t attr;
	int err = -pthread_attr_init(&attr);

	if (!err)
		err = -pthread_attr_setstacksize(&attr, WORKER_STACK_BYTES);
	workers = err ? NULL : calloc(n, sizeof(*workers));
	if (!workers) {
		pthread_attr_destroy(&attr);
		return err ? err : -ENOMEM;
	}
	for (unsigned int i = 0; i < n && !err; i++) {
		err = worker_init(&workers[i], (int)i, listen);
		if (!err)
			err = -pthread_create(&workers[i].thread, &attr, worker_main, &workers[i]);
		if (!err)
			n_workers++;
	}
	pthread_attr_destroy(&attr);
	if (err) {
		worker_cleanup(&workers[n_workers]);
		worker_stop_all();
	}
	return err;
}

void worker_stop_all(void)
{
	uint64_t one = 1;

	for (unsigned int i = 0; i < n_workers; i++)
		if (write(workers[i].wake_fd, &one, sizeof(one)) != sizeof(one))
			pr_warn("sluiced: cannot wake worker %u\n", i);
	for (unsigned int i = 0; i < n_workers; i++) {
		pthread_join(workers[i].thread, NULL);
		worker_cleanup(&workers[i]);
	}
	free(workers);
	workers = NULL;
	n_workers = 0;
}
