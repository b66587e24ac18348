/* SPDX-License-Identifier: GPL-2.0-only */
/* net.h - socket helpers for the proxy (after Redis's anet). */
#ifndef SL_NET_H
#define SL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct net_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "127.0.0.1:8470", "[::1]:8470", "localhost:8470" -> address (numeric hosts
 * and "localhost" only: the gateway never resolves names at run time). */
int net_parse_hostport(const char *text, struct net_addr *out);
/* A non-blocking listener with SO_REUSEPORT, so each worker has its own. */
int net_listen(const struct net_addr *addr, int backlog);
/* Starts a non-blocking connect; 0 or -EINPROGRESS on success, -errno else. */
int net_connect(const struct net_addr *addr, int *fd_out);
/* The pending error of a connecting socket (0 when connected). */
int net_connect_result(int fd);
/*
 * Accepts one connection: its fd, or -EAGAIN when none waits, or, out of
 * descriptors, -ECONNABORTED after one waiting connection was answered 503
 * and closed (call again), or -EMFILE when not even that was possible (stop
 * accepting for a moment).  net_reserve_fd() first, in each accepting thread.
 */
int net_accept(int listen_fd, struct net_addr *peer);
int net_reserve_fd(void);
void net_addr_str(const struct net_addr *a, char *buf, size_t len, bool with_port);
int net_addr_port(const struct net_addr *a);

#endif
