// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_control.c - the control socket (user/base/control.c): a slow client
 * never stalls the loop that serves it, a line ended by shutdown is still
 * answered, and a line too long or a client too many get an error line.
 *
 * The server runs its own event loop in a thread; the cases are clients.
 * Peer credentials must be root's, so this test runs as root (as make test
 * does).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "check.h"
#include "base/control.h"
#include "base/ev.h"

static char sock_path[108];
static struct ev_loop *loop;
static int stop_fd[2];

static void answer(void *ctx, const char *line, char *out, size_t len)
{
	(void)ctx;
	snprintf(out, len, "ok got '%s'", line);
}

static void on_stop(struct ev_loop *l, int fd, unsigned int events, void *data)
{
	(void)fd, (void)events, (void)data;
	ev_stop(l);
}

static void *serve(void *arg)
{
	(void)arg;
	ev_run(loop);
	return NULL;
}

static uint64_t now_ms(void)
{
	return ev_clock_ms();
}

static int connect_client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until EOF or @timeout_ms; returns what came (NUL-terminated). */
static ssize_t read_all(int fd, char *out, size_t len, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	size_t have = 0;

	while (have < len - 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)(end > now_ms() ? end - now_ms() : 0);
		ssize_t n;

		if (poll(&pfd, 1, left) != 1)
			return -ETIMEDOUT;
		n = read(fd, out + have, len - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	out[have] = '\0';
	return (ssize_t)have;
}

struct trickle {
	int fd;
	int sent;
	bool closed_early;	/* the server hung up on us */
	uint64_t ended_ms;
};

/* Sends one byte every 900 ms, never a newline, until the server hangs up. */
static void *trickle_bytes(void *arg)
{
	struct trickle *t = arg;

	for (t->sent = 0; t->sent < 8; t->sent++) {
		struct pollfd pfd = { .fd = t->fd, .events = POLLIN };

		if (send(t->fd, "s", 1, MSG_NOSIGNAL) < 0 || poll(&pfd, 1, 900) == 1) {
			t->closed_early = true;
			break;
		}
	}
	t->ended_ms = now_ms();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t server;
	char out[200];
	int err;

	(void)argc;
	test_init(argv[0]);
	snprintf(sock_path, sizeof(sock_path), "/tmp/sluice-test-control-%d.sock", getpid());
	loop = ev_loop_new(256);
	if (!loop || pipe(stop_fd) || ev_watch(loop, stop_fd[0], EV_READ, on_stop, NULL)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	err = control_listen(loop, sock_path, answer, NULL);
	if (err) {
		printf("FAIL: test_control: listen: %s\n", strerror(-err));
		return 1;
	}
	pthread_create(&server, NULL, serve, NULL);

	TEST_CASE("a request line is answered") {
		err = control_request(sock_path, "status", out, sizeof(out), 1000);
		CHECK(!err, "err %d", err);
		CHECK(!strcmp(out, "ok got 'status'"), "answer '%s'", out);
	}

	TEST_CASE("a trickling client is cut off while others are served") {
		struct trickle t = { .fd = connect_client() };
		pthread_t th;
		uint64_t start = now_ms(), asked, answered;

		CHECK(t.fd >= 0, "connect");
		pthread_create(&th, NULL, trickle_bytes, &t);
		usleep(300 * 1000);
		asked = now_ms();
		err = control_request(sock_path, "daemon", out, sizeof(out), 1000);
		answered = now_ms();
		CHECK(!err && !strcmp(out, "ok got 'daemon'"), "err %d answer '%s'", err, out);
		CHECK(answered - asked < 500, "answered after %llu ms",
		      (unsigned long long)(answered - asked));
		pthread_join(th, NULL);
		CHECK(t.closed_early, "the server let it trickle %d bytes", t.sent);
		CHECK(t.ended_ms - start < 3000, "cut off after %llu ms",
		      (unsigned long long)(t.ended_ms - start));
		CHECK(read_all(t.fd, out, sizeof(out), 1000) > 0 &&
		      strstr(out, "not received in time"), "got '%s'", out);
		close(t.fd);
	}

	TEST_CASE("a line ended by shutdown instead of a newline is answered") {
		int fd = connect_client();

		CHECK(fd >= 0, "connect");
		CHECK(send(fd, "reload", 6, MSG_NOSIGNAL) == 6, "send");
		shutdown(fd, SHUT_WR);
		CHECK(read_all(fd, out, sizeof(out), 1000) > 0 && !strcmp(out, "ok got 'reload'\n"),
		      "got '%s'", out);
		close(fd);
	}

	TEST_CASE("a line without its newline gets an explicit error, not silence") {
		int fd = connect_client();

		CHECK(fd >= 0, "connect");
		CHECK(send(fd, "status", 6, MSG_NOSIGNAL) == 6, "send");
		CHECK(read_all(fd, out, sizeof(out), 3000) > 0 &&
		      strstr(out, "error request not received in time"), "got '%s'", out);
		close(fd);
	}

	TEST_CASE("a client that asks nothing is closed without an answer") {
		int fd = connect_client();

		CHECK(fd >= 0, "connect");
		shutdown(fd, SHUT_WR);
		CHECK(read_all(fd, out, sizeof(out), 1000) == 0, "got '%s'", out);
		close(fd);
	}

	TEST_CASE("a line too long gets an error") {
		char longline[400];
		int fd = connect_client();

		memset(longline, 'a', sizeof(longline));
		CHECK(fd >= 0, "connect");
		CHECK(send(fd, longline, sizeof(longline), MSG_NOSIGNAL) > 0, "send");
		CHECK(read_all(fd, out, sizeof(out), 1000) > 0 && strstr(out, "too long"),
		      "got '%s'", out);
		close(fd);
	}

	TEST_CASE("clients past the limit are refused, not queued") {
		int fds[20], busy = 0;

		for (int i = 0; i < 20; i++)
			fds[i] = connect_client();
		usleep(200 * 1000);
		for (int i = 0; i < 20; i++) {
			struct pollfd pfd = { .fd = fds[i], .events = POLLIN };

			if (fds[i] >= 0 && poll(&pfd, 1, 0) == 1 &&
			    read_all(fds[i], out, sizeof(out), 200) > 0 && strstr(out, "busy"))
				busy++;
		}
		CHECK(busy == 4, "%d of 20 clients told busy (16 served at once)", busy);
		for (int i = 0; i < 20; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		usleep(100 * 1000);
		err = control_request(sock_path, "status", out, sizeof(out), 1000);
		CHECK(!err && !strcmp(out, "ok got 'status'"), "after: err %d answer '%s'", err, out);
	}

	if (write(stop_fd[1], "x", 1) != 1)
		return 1;
	pthread_join(server, NULL);
	control_close(loop, sock_path);
	ev_loop_free(loop);
	return test_finish();
}
