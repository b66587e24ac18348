// SPDX-License-Identifier: GPL-2.0-only
/* control.c - the control socket, both ends (see control.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "control.h"
#include "log.h"

static int listen_fd = -1;
static control_fn handler;
static void *handler_ctx;

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
	return 0;
}

/* Only root may steer the daemon, whatever the file mode says. */
static bool peer_is_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) && cred.uid == 0;
}

/*
 * A control client is read without blocking the loop: the main thread also
 * handles signals and reloads, so one slow client must not stall them.  A
 * client has CONTROL_DEADLINE_MS, in all, to send its line; a line ended by
 * the client's shutdown instead of a newline is still a line.
 */
#define CONTROL_DEADLINE_MS	2000
#define CONTROL_LINE_MAX	256
/* Clients served at once; more are refused rather than queued. */
#define CONTROL_CLIENTS_MAX	16

struct control_client {
	struct ev_loop *loop;
	int fd;
	size_t have;
	char line[CONTROL_LINE_MAX];
	struct ev_timer deadline;
};

static unsigned int n_clients;

static void client_answer(struct control_client *cc, const char *out)
{
	if (send(cc->fd, out, strlen(out), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		pr_debug("sluiced: control client left before its answer\n");
}

static void client_end(struct control_client *cc)
{
	ev_timer_cancel(cc->loop, &cc->deadline);
	ev_unwatch(cc->loop, cc->fd);
	close(cc->fd);
	free(cc);
	n_clients--;
}

static void client_serve(struct control_client *cc)
{
	char out[512];

	cc->line[cc->have] = '\0';
	cc->line[strcspn(cc->line, "\r\n")] = '\0';
	handler(handler_ctx, cc->line, out, sizeof(out) - 1);
	strcat(out, "\n");
	client_answer(cc, out);
	client_end(cc);
}

static void on_client_deadline(struct ev_loop *loop, void *data)
{
	struct control_client *cc = data;

	(void)loop;
	client_answer(cc, "error request not received in time\n");
	client_end(cc);
}

static void on_client_io(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct control_client *cc = data;
	ssize_t n;

	(void)loop, (void)events;
	n = read(fd, cc->line + cc->have, sizeof(cc->line) - 1 - cc->have);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && !cc->have)) {
		client_end(cc);		/* gone, or asked nothing */
		return;
	}
	cc->have += (size_t)n;
	if (n == 0 || memchr(cc->line, '\n', cc->have)) {
		client_serve(cc);
		return;
	}
	if (cc->have == sizeof(cc->line) - 1) {
		client_answer(cc, "error request line too long\n");
		client_end(cc);
	}
}

static void client_start(struct ev_loop *loop, int fd)
{
	struct control_client *cc;

	if (!peer_is_root(fd) || n_clients >= CONTROL_CLIENTS_MAX ||
	    !(cc = calloc(1, sizeof(*cc)))) {
		const char *why = peer_is_root(fd) ? "error busy\n" : "error permission denied\n";

		if (send(fd, why, strlen(why), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			pr_debug("sluiced: control client left before its answer\n");
		close(fd);
		return;
	}
	cc->loop = loop;
	cc->fd = fd;
	n_clients++;
	ev_timer_init(&cc->deadline, on_client_deadline, cc);
	if (ev_timer_arm(loop, &cc->deadline, CONTROL_DEADLINE_MS) ||
	    ev_watch(loop, fd, EV_READ, on_client_io, cc))
		client_end(cc);
}

static void on_accept(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	int cfd;

	(void)events, (void)data;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
		client_start(loop, cfd);
}

int control_listen(struct ev_loop *loop, const char *path, control_fn fn, void *ctx)
{
	struct sockaddr_un sa;
	int err = unix_addr(path, &sa);

	if (err)
		return err;
	if (!strncmp(path, SL_CONTROL_DIR "/", strlen(SL_CONTROL_DIR) + 1))
		mkdir(SL_CONTROL_DIR, 0700);
	unlink(path);	/* a stale socket of a daemon that died */
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(listen_fd, 16)) {
		err = -errno;
		close(listen_fd);
		listen_fd = -1;
		return err;
	}
	handler = fn;
	handler_ctx = ctx;
	return ev_watch(loop, listen_fd, EV_READ, on_accept, NULL);
}

void control_close(struct ev_loop *loop, const char *path)
{
	if (listen_fd < 0)
		return;
	ev_unwatch(loop, listen_fd);
	close(listen_fd);
	listen_fd = -1;
	unlink(path);
}

int control_request(const char *path, const char *line, char *out, size_t len, int timeout_ms)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	ssize_t n;
	int fd, err = unix_addr(path, &sa);

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(out, len, "%s\n", line);
	/* One send with the newline: the daemon answers as soon as it has a line. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, out, strlen(out), MSG_NOSIGNAL) < 0) {
		err = -errno;
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, timeout_ms) != 1) {
		err = -ETIMEDOUT;
		goto out;
	}
	n = read(fd, out, len - 1);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
out:
	close(fd);
	return err;
}
