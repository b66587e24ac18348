// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_worker.c - one thread of the demo backend: its loop, its listener,
 * its connections and its mailbox (see demo_server.h).
 *
 * The mailbox is the only door between threads: a locked list plus an
 * eventfd that wakes the loop.  Stopping is a flag and the same eventfd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "demo_server.h"
#include "base/log.h"

#define ACCEPT_BATCH	64	/* connections taken per wake-up, then others get a turn */
#define SCRATCH_BYTES	(64u << 10)

/* --- JSON printing ------------------------------------------------------------- */

const char *demo_worker_print(struct demo_worker *w, const cJSON *json, size_t *len)
{
	char *text, *grown;

	if (!json)
		return NULL;
	/* The common case: no allocation at all. */
	if (cJSON_PrintPreallocated((cJSON *)json, w->scratch, (int)w->scratch_cap, false)) {
		*len = strlen(w->scratch);
		return w->scratch;
	}
	text = cJSON_PrintUnformatted(json);
	if (!text)
		return NULL;
	*len = strlen(text);
	grown = realloc(w->scratch, *len + 64);
	if (!grown) {
		free(text);
		return NULL;
	}
	/* Keep the bigger scratch: the next big answer prints in place. */
	w->scratch = grown;
	w->scratch_cap = *len + 64;
	memcpy(w->scratch, text, *len + 1);
	free(text);
	return w->scratch;
}

/* --- mail ------------------------------------------------------------------------ */

int demo_worker_mail(const struct demo_addr *to, enum demo_mail_kind kind, cJSON *json)
{
	struct demo_worker *w = to->worker;
	struct demo_mail *mail = calloc(1, sizeof(*mail));
	uint64_t one = 1;

	if (!mail) {
		cJSON_Delete(json);
		return -ENOMEM;
	}
	mail->kind = kind;
	mail->fd = to->fd;
	mail->serial = to->serial;
	mail->json = json;
	pthread_mutex_lock(&w->mail_lock);
	if (w->mail_tail)
		w->mail_tail->next = mail;
	else
		w->mail_head = mail;
	w->mail_tail = mail;
	pthread_mutex_unlock(&w->mail_lock);
	if (write(w->mail_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;	/* queued all the same; the next wake-up delivers it */
	return 0;
}

static void deliver(struct demo_worker *w, struct demo_mail *mail)
{
	struct demo_conn *c = demo_conn_lookup(w, mail->fd, mail->serial);

	if (!c)
		return;		/* that connection is gone */
	if (mail->kind == DEMO_MAIL_MESSAGES)
		demo_route_legacy_mail(c, mail->json);
	else
		demo_job_sampling_answer(c, mail->json);
	demo_conn_settle(c);
}

static struct demo_mail *take_mail(struct demo_worker *w)
{
	struct demo_mail *list;

	pthread_mutex_lock(&w->mail_lock);
	list = w->mail_head;
	w->mail_head = w->mail_tail = NULL;
	pthread_mutex_unlock(&w->mail_lock);
	return list;
}

static void free_mail(struct demo_mail *list, struct demo_worker *w, bool deliver_it)
{
	while (list) {
		struct demo_mail *next = list->next;

		if (deliver_it)
			deliver(w, list);
		cJSON_Delete(list->json);
		free(list);
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
	free_mail(take_mail(w), w, true);
}

/* --- listening and timers ----------------------------------------------------------- */

static void on_accept(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct demo_worker *w = data;

	(void)loop; (void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int conn_fd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (conn_fd >= 0) {
			demo_conn_accept(w, conn_fd);
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

	demo_conn_sweep(w);
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
	pthread_mutex_init(&w->mail_lock, NULL);
	w->mail_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->loop = ev_loop_new(DEMO_MAX_FDS);
	w->conns = calloc(DEMO_MAX_FDS, sizeof(*w->conns));
	w->rbuf = malloc(DEMO_READ_CHUNK);
	w->scratch = malloc(SCRATCH_BYTES);
	w->scratch_cap = SCRATCH_BYTES;
	if (w->mail_fd < 0 || !w->loop || !w->conns || !w->rbuf || !w->scratch)
		return -ENOMEM;
	ev_timer_init(&w->sweep, on_sweep, w);
	if (ev_watch(w->loop, listen_fd, EV_READ, on_accept, w) ||
	    ev_watch(w->loop, w->mail_fd, EV_READ, on_mail, w) ||
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
	uint64_t one = 1;

	atomic_store(&w->stopping, true);
	if (w->mail_fd >= 0 && write(w->mail_fd, &one, sizeof(one)) < 0)
		pr_warn("demo: worker %u: cannot wake: %s\n", w->index, strerror(errno));
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
	while (w->conn_list)
		demo_conn_free(w->conn_list);
	free_mail(take_mail(w), w, false);
	if (w->loop)
		ev_loop_free(w->loop);
	if (w->mail_fd >= 0)
		close(w->mail_fd);
	if (w->listen_fd >= 0)
		close(w->listen_fd);
	pthread_mutex_destroy(&w->mail_lock);
	free(w->conns);
	free(w->rbuf);
	free(w->scratch);
	buf_free(&w->event);
}
