// SPDX-License-Identifier: GPL-2.0-only
/* control.c - the control socket, both ends (see control.h). */
#include <errno.h>
#include <poll.h>
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

/* Reads one line (up to a second): a control client sends it at once. */
static bool read_line(int fd, char *line, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t have = 0;

	while (have < len - 1 && !memchr(line, '\n', have)) {
		ssize_t n;

		if (poll(&pfd, 1, 1000) != 1)
			return false;
		n = read(fd, line + have, len - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	line[have] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return have > 0;
}

static void serve(int fd)
{
	char line[256], out[512];

	if (!peer_is_root(fd)) {
		snprintf(out, sizeof(out), "error permission denied\n");
	} else if (!read_line(fd, line, sizeof(line))) {
		return;
	} else {
		handler(handler_ctx, line, out, sizeof(out) - 1);
		strcat(out, "\n");
	}
	if (send(fd, out, strlen(out), MSG_NOSIGNAL) < 0)
		pr_debug("sluiced: control client left before its answer\n");
}

static void on_accept(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	int cfd;

	(void)loop, (void)events, (void)data;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		serve(cfd);
		close(cfd);
	}
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
