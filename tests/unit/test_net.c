// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_net.c - address parsing for listeners and backends: host:port
 * (user/net.c) and backend URLs (gw_parse_url in user/gwconf.c), plus one
 * loopback listen / connect / accept round.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include "check.h"
#include "sluiced/gwconf.h"
#include "base/net.h"

/* The address as "host:port" ("[v6]:port"), or "ERR <n>" when refused. */
static const char *parsed(const char *text)
{
	static char out[128];
	struct net_addr a;
	int err = net_parse_hostport(text, &a);

	if (err)
		snprintf(out, sizeof(out), "ERR %d", err);
	else
		net_addr_str(&a, out, sizeof(out), true);
	return out;
}

#define PARSES(text, want) \
	CHECK(!strcmp(parsed(text), want), "%s -> %s", text, parsed(text))
#define REFUSED(text) \
	CHECK(!strcmp(parsed(text), "ERR -22"), "%s -> %s", text, parsed(text))

static void test_hostport_v4(void)
{
	struct net_addr a;

	TEST_CASE("host:port: IPv4 and localhost") {
		PARSES("127.0.0.1:8470", "127.0.0.1:8470");
		PARSES("0.0.0.0:1", "0.0.0.0:1");
		PARSES("10.1.2.3:65535", "10.1.2.3:65535");
		PARSES("localhost:80", "127.0.0.1:80");
		CHECK(net_parse_hostport("192.0.2.7:443", &a) == 0, "parse");
		CHECK(a.ss.ss_family == AF_INET && a.len == sizeof(struct sockaddr_in),
		      "family %d len %u", a.ss.ss_family, a.len);
		CHECK(net_addr_port(&a) == 443, "port %d", net_addr_port(&a));
	}
}

static void test_hostport_v6(void)
{
	struct net_addr a;
	char host[64];

	TEST_CASE("host:port: bracketed IPv6") {
		PARSES("[::1]:8470", "[::1]:8470");
		PARSES("[2001:db8::1]:443", "[2001:db8::1]:443");
		PARSES("[::]:9000", "[::]:9000");
		PARSES("[::ffff:127.0.0.1]:80", "[::ffff:127.0.0.1]:80");
		CHECK(net_parse_hostport("[2001:db8::2]:8080", &a) == 0, "parse");
		CHECK(a.ss.ss_family == AF_INET6 && a.len == sizeof(struct sockaddr_in6),
		      "family %d len %u", a.ss.ss_family, a.len);
		net_addr_str(&a, host, sizeof(host), false);
		CHECK(!strcmp(host, "2001:db8::2"), "without port: %s", host);
		CHECK(net_addr_port(&a) == 8080, "port %d", net_addr_port(&a));
	}
}

static void test_hostport_bad(void)
{
	char longhost[400];

	TEST_CASE("host:port: missing or bad port, bad hosts, names, garbage") {
		REFUSED("127.0.0.1");
		REFUSED("127.0.0.1:");
		REFUSED("127.0.0.1:0");
		REFUSED("127.0.0.1:65536");
		REFUSED("127.0.0.1:99999999999999999999999");
		REFUSED("127.0.0.1:-1");
		REFUSED("127.0.0.1:abc");
		REFUSED("127.0.0.1:80x");
		REFUSED("127.0.0.1:80 ");
		REFUSED(":80");
		REFUSED("");
		REFUSED(":");
		REFUSED("[::1]");
		REFUSED("[::1]:");
		REFUSED("[::1]8470");
		REFUSED("[::1:8470");
		REFUSED("[]:80");
		REFUSED("[fe80::1%eth0]:80");
		REFUSED("example.com:80");
		REFUSED("256.0.0.1:80");
		REFUSED("1.2.3:80");
		REFUSED("127.0.0.1:80:90");
		REFUSED("garbage");
		memset(longhost, '1', sizeof(longhost));
		memcpy(longhost + 300, ":80", 4);
		REFUSED(longhost);
		longhost[0] = '[';
		memcpy(longhost + 299, "]:80", 5);
		REFUSED(longhost);
	}
}

/*
 * parse_port() uses strtol, which skips leading blanks and takes a sign;
 * and an unbracketed IPv6 address is split at its last colon, so
 * "2001:db8::1:80" (itself a valid address) becomes [2001:db8::1]:80.
 */
static void test_hostport_strict(void)
{
	TEST_CASE("host:port: no blanks or signs in ports, IPv6 only in brackets") {
		REFUSED("127.0.0.1: 80");
		REFUSED("127.0.0.1:+80");
		REFUSED("::1:8470");
		REFUSED("2001:db8::1:80");
		REFUSED("[127.0.0.1]:80");
	}
}

/* --- gw_parse_url ----------------------------------------------------------------- */

static void test_url_good(void)
{
	struct gw_backend b;
	char host[64];

	TEST_CASE("gw_parse_url: authority, path, address") {
		memset(&b, 0, sizeof(b));
		CHECK(gw_parse_url("http://127.0.0.1:9000/mcp", &b) == 0, "parse");
		CHECK(!strcmp(b.authority, "127.0.0.1:9000"), "authority %.60s", b.authority);
		CHECK(!strcmp(b.path, "/mcp"), "path %.60s", b.path);
		CHECK(net_addr_port(&b.addr) == 9000, "port %d", net_addr_port(&b.addr));
		memset(&b, 0, sizeof(b));
		CHECK(gw_parse_url("http://127.0.0.1:9000", &b) == 0 && !strcmp(b.path, "/"),
		      "no path: %.60s", b.path);
		memset(&b, 0, sizeof(b));
		CHECK(gw_parse_url("http://[::1]:8080/a/b?c=d", &b) == 0, "v6");
		CHECK(!strcmp(b.authority, "[::1]:8080") && !strcmp(b.path, "/a/b?c=d"),
		      "v6: %.60s %.60s", b.authority, b.path);
		net_addr_str(&b.addr, host, sizeof(host), true);
		CHECK(!strcmp(host, "[::1]:8080"), "v6 addr %s", host);
		memset(&b, 0, sizeof(b));
		CHECK(gw_parse_url("http://localhost:3000/", &b) == 0, "localhost");
		CHECK(!strcmp(b.authority, "localhost:3000") && !strcmp(b.path, "/"),
		      "authority keeps the name for Host: %.60s", b.authority);
		net_addr_str(&b.addr, host, sizeof(host), true);
		CHECK(!strcmp(host, "127.0.0.1:3000"), "localhost addr %s", host);
	}
}

static void test_url_bad(void)
{
	struct gw_backend b;
	char url[400];

	TEST_CASE("gw_parse_url: wrong scheme, no authority, no port, names, too long") {
		static const char *const bad[] = {
			"", "http", "http:/", "http://", "http:///mcp", "https://127.0.0.1:443/",
			"ftp://127.0.0.1:21/", "127.0.0.1:80/mcp", "http://127.0.0.1/mcp",
			"http://127.0.0.1:0/", "http://127.0.0.1:70000/",
			"http://backend.example:80/", "http://user@127.0.0.1:80/",
			"http://[::1]/mcp", "http://[::1:80/",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(&b, 0, sizeof(b));
			CHECK(gw_parse_url(bad[i], &b) == -EINVAL, "accepted '%s'", bad[i]);
		}
		memset(url, '1', sizeof(url));
		memcpy(url, "http://", 7);
		memcpy(url + 320, ":80/", 5);
		CHECK(gw_parse_url(url, &b) == -EINVAL, "300-byte authority accepted");
	}
}

/*
 * b->path is 256 bytes and filled with snprintf: a longer path (the policy
 * checker allows URLs up to 2048 bytes) is cut silently, and the gateway
 * then posts to an endpoint nobody configured.
 */
static void test_url_long_path(void)
{
	struct gw_backend b;
	char url[600];
	int ret;

	TEST_CASE("gw_parse_url: a path too long for the backend is refused, not cut") {
		memset(&b, 0, sizeof(b));
		snprintf(url, sizeof(url), "http://127.0.0.1:9000/");
		memset(url + strlen(url), 'p', 400);
		url[22 + 400] = '\0';
		ret = gw_parse_url(url, &b);
		CHECK(ret != 0 || strlen(b.path) == 401, "ret %d, path cut to %zu bytes", ret,
		      strlen(b.path));
	}
}

/* --- sockets ------------------------------------------------------------------ */

static void test_loopback_round(void)
{
	struct net_addr la = {}, peer;
	struct sockaddr_in *sin = (struct sockaddr_in *)&la.ss;
	struct pollfd pfd;
	int lfd, cfd = -1, afd = -1, err;
	char str[64];

	TEST_CASE("net_listen / net_connect / net_accept on loopback") {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		la.len = sizeof(*sin);
		lfd = net_listen(&la, 8);
		CHECK(lfd >= 0, "listen %d", lfd);
		if (lfd >= 0) {
			CHECK(getsockname(lfd, (struct sockaddr *)&la.ss, &la.len) == 0, "name");
			err = net_connect(&la, &cfd);
			CHECK(err == 0 || err == -EINPROGRESS, "connect %d", err);
			pfd = (struct pollfd){ .fd = cfd, .events = POLLOUT };
			CHECK(poll(&pfd, 1, 2000) == 1, "connect never finished");
			CHECK(net_connect_result(cfd) == 0, "connect result %d",
			      net_connect_result(cfd));
			pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
			CHECK(poll(&pfd, 1, 2000) == 1, "nothing to accept");
			afd = net_accept(lfd, &peer);
			CHECK(afd >= 0, "accept %d", afd);
			net_addr_str(&peer, str, sizeof(str), false);
			CHECK(!strcmp(str, "127.0.0.1"), "peer %s", str);
			CHECK(net_accept(lfd, &peer) == -EAGAIN, "second accept not -EAGAIN");
		}
		if (afd >= 0)
			close(afd);
		if (cfd >= 0)
			close(cfd);
		if (lfd >= 0)
			close(lfd);
	}
}

static void test_connect_refused(void)
{
	struct net_addr a;
	struct pollfd pfd;
	int fd = -1, err, lfd;
	socklen_t len;

	TEST_CASE("connect to a closed loopback port: the result is -ECONNREFUSED") {
		/* A port just released by a listener of ours: nobody listens there. */
		memset(&a, 0, sizeof(a));
		((struct sockaddr_in *)&a.ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&a.ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.len = sizeof(struct sockaddr_in);
		lfd = net_listen(&a, 1);
		len = a.len;
		CHECK(lfd >= 0 && getsockname(lfd, (struct sockaddr *)&a.ss, &len) == 0, "probe");
		if (lfd >= 0)
			close(lfd);
		err = net_connect(&a, &fd);
		if (err == -EINPROGRESS) {
			pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
			CHECK(poll(&pfd, 1, 2000) == 1, "no answer");
			err = net_connect_result(fd);
		}
		CHECK(err == -ECONNREFUSED, "err %d", err);
		if (fd >= 0)
			close(fd);
	}
}

/* Fills the descriptor table up to the soft limit; returns how many it took. */
static int fill_fds(int *fds, int max)
{
	int n = 0;

	while (n < max && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	return n;
}

static void test_accept_out_of_fds(void)
{
	struct net_addr la = {}, peer;
	struct sockaddr_in *sin = (struct sockaddr_in *)&la.ss;
	struct rlimit old, low;
	int lfd, cfd[2] = { -1, -1 }, fill[64], n_fill = 0, err;
	char answer[128] = "";
	ssize_t n;

	TEST_CASE("out of descriptors, net_accept answers 503 and drains the backlog") {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		la.len = sizeof(*sin);
		lfd = net_listen(&la, 8);
		CHECK(lfd >= 0 && !getsockname(lfd, (struct sockaddr *)&la.ss, &la.len), "listen");
		CHECK(net_reserve_fd() == 0, "reserve");
		for (int i = 0; i < 2; i++) {
			err = net_connect(&la, &cfd[i]);
			CHECK(err == 0 || err == -EINPROGRESS, "connect %d", err);
		}
		usleep(50 * 1000);
		getrlimit(RLIMIT_NOFILE, &old);
		low = old;
		low.rlim_cur = (rlim_t)(cfd[1] + 48);
		setrlimit(RLIMIT_NOFILE, &low);
		n_fill = fill_fds(fill, 64);
		CHECK(n_fill < 64, "the table never filled (%d)", n_fill);
		/* Each waiting connection is shed with a 503; then the backlog is empty. */
		CHECK(net_accept(lfd, &peer) == -ECONNABORTED, "first not shed");
		CHECK(net_accept(lfd, &peer) == -ECONNABORTED, "second not shed");
		err = net_accept(lfd, &peer);
		CHECK(err == -EMFILE || err == -EAGAIN, "empty backlog: %d", err);
		for (int i = 0; i < n_fill; i++)
			close(fill[i]);
		setrlimit(RLIMIT_NOFILE, &old);
		n = read(cfd[0], answer, sizeof(answer) - 1);
		answer[n > 0 ? n : 0] = '\0';
		CHECK(!strncmp(answer, "HTTP/1.1 503 ", 13), "client read '%s'", answer);
		CHECK(net_accept(lfd, &peer) == -EAGAIN, "after: not -EAGAIN");
		for (int i = 0; i < 2; i++)
			if (cfd[i] >= 0)
				close(cfd[i]);
		if (lfd >= 0)
			close(lfd);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	test_hostport_v4();
	test_hostport_v6();
	test_hostport_bad();
	test_hostport_strict();
	test_url_good();
	test_url_bad();
	test_url_long_path();
	test_loopback_round();
	test_connect_refused();
	test_accept_out_of_fds();
	return test_finish();
}
