// SPDX-License-Identifier: GPL-2.0-only
/* net.c - non-blocking sockets for listeners and upstream connections. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "net.h"

/* Digits only: strtol would also take blanks and signs. */
static int parse_port(const char *s)
{
	long v;

	if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
		return -1;
	v = strtol(s, NULL, 10);
	return v > 0 && v < 65536 ? (int)v : -1;
}

int net_parse_hostport(const char *text, struct net_addr *out)
{
	char host[256];
	const char *colon;
	int port;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || end[1] != ':' || (size_t)(end - text - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(end - text - 1), text + 1);
		colon = end + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || (size_t)(colon - text) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
	}
	port = parse_port(colon + 1);
	/* IPv6 only in brackets ("::1:80" is ambiguous), and only IPv6 there. */
	if (port < 0 || (text[0] == '[') != (strchr(host, ':') != NULL))
		return -EINVAL;
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*s6);
		return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -EINVAL;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		out->len = sizeof(*s4);
		return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -EINVAL;
	}
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* Small JSON-RPC messages and SSE events must leave at once. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int net_listen(const struct net_addr *addr, int backlog)
{
	int one = 1, err;
	int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&addr->ss, addr->len) || listen(fd, backlog)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int net_connect(const struct net_addr *addr, int *fd_out)
{
	int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return -errno;
	set_nodelay(fd);
	if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len))
		err = -errno;
	if (err && err != -EINPROGRESS) {
		close(fd);
		return err;
	}
	*fd_out = fd;
	return err;
}

int net_connect_result(int fd)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return -errno;
	return -soerr;
}

/*
 * Out of descriptors, accept4 fails with EMFILE and leaves the connection in
 * the backlog: a level-triggered loop would then spin on the listener.  Each
 * thread keeps one spare descriptor; out of them, it frees the spare,
 * accepts the waiting connection, tells it 503 and closes it, and takes the
 * spare back.  The backlog drains, so the loop sleeps again.
 */
static __thread int reserve_fd = -1;

int net_reserve_fd(void)
{
	if (reserve_fd < 0)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return reserve_fd < 0 ? -errno : 0;
}

static int shed_one(int listen_fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	int fd;

	if (reserve_fd < 0)
		return -EMFILE;
	close(reserve_fd);
	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, busy, sizeof(busy) - 1) < 0) {
			/* gone already: nothing to tell */
		}
		close(fd);
	}
	reserve_fd = -1;
	net_reserve_fd();
	return fd >= 0 ? -ECONNABORTED : -EMFILE;
}

int net_accept(int listen_fd, struct net_addr *peer)
{
	int fd;

	peer->len = sizeof(peer->ss);
	fd = accept4(listen_fd, (struct sockaddr *)&peer->ss, &peer->len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE))
		return shed_one(listen_fd);
	if (fd < 0)
		return -errno;
	set_nodelay(fd);
	return fd;
}

void net_addr_str(const struct net_addr *a, char *buf, size_t len, bool with_port)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const void *src = a->ss.ss_family == AF_INET6 ?
		(const void *)&((const struct sockaddr_in6 *)&a->ss)->sin6_addr :
		(const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr;

	inet_ntop(a->ss.ss_family, src, host, sizeof(host));
	if (!with_port)
		snprintf(buf, len, "%s", host);
	else if (a->ss.ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%d", host, net_addr_port(a));
	else
		snprintf(buf, len, "%s:%d", host, net_addr_port(a));
}

int net_addr_port(const struct net_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}
