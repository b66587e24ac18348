// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice-demo-backend - a small, fast MCP server for the demo and the
 * benchmarks: an analytics company's tools over Streamable HTTP (/mcp) and
 * the legacy HTTP+SSE transport (/sse, /message).
 *
 *   sluice-demo-backend [--listen 127.0.0.1:9000] [--workers N]
 *                       [--sse-delay-ms N] [-v]
 *
 * N workers, each a thread with its own event loop and its own
 * SO_REUSEPORT listener.  SIGTERM or SIGINT stops it cleanly (exit 0).
 * Port 0 picks a free port; the one bound is logged as
 * "listening on ADDR:PORT".
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "base/log.h"
#include "demo_config.h"
#include "demo_conn.h"
#include "demo_content.h"
#include "demo_session.h"
#include "demo_tools.h"
#include "demo_worker.h"

#define DEFAULT_LISTEN	"127.0.0.1:9000"
#define MAX_WORKERS	256
#define LISTEN_BACKLOG	4096	/* benchmarks open many connections at once */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sluice-demo-backend [--listen ADDR:PORT] [--workers N] "
		"[--sse-delay-ms N] [-v]\n"
		"  --listen        address to serve on (default " DEFAULT_LISTEN "; port 0: any)\n"
		"  --workers       worker threads, each with its own listener (default 1)\n"
		"  --sse-delay-ms  pause between the events of a streamed answer (default 0)\n"
		"  -v, --verbose   log every request\n");
}

/* "127.0.0.1:9000", "[::1]:9000", "localhost:9000": numeric hosts only. */
static int parse_listen(const char *text, struct demo_config *cfg)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&cfg->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&cfg->addr;
	const char *colon = strrchr(text, ':');
	char host[64], *end;
	unsigned long port;
	size_t len;

	if (!colon || colon == text)
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	len = (size_t)(colon - text);
	if (*end || end == colon + 1 || port > 65535 || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, len);
	host[len] = '\0';
	memset(&cfg->addr, 0, sizeof(cfg->addr));
	if (host[0] == '[' && host[len - 1] == ']') {
		host[len - 1] = '\0';
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		cfg->addr_len = sizeof(*v6);
		return inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	cfg->addr_len = sizeof(*v4);
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	return inet_pton(AF_INET, host, &v4->sin_addr) == 1 ? 0 : -EINVAL;
}

static int parse_uint(const char *text, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(text, &end, 10);
	return errno || !*text || *end || *text == '-' || *out > max ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct demo_config *cfg)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "sse-delay-ms", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long n;
	int opt;

	cfg->workers = 1;
	parse_listen(DEFAULT_LISTEN, cfg);
	while ((opt = getopt_long(argc, argv, "l:w:d:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (parse_listen(optarg, cfg))
				goto bad;
			break;
		case 'w':
			if (parse_uint(optarg, MAX_WORKERS, &n) || !n)
				goto bad;
			cfg->workers = (unsigned int)n;
			break;
		case 'd':
			if (parse_uint(optarg, 60000, &n))
				goto bad;
			cfg->sse_delay_ms = (uint32_t)n;
			break;
		case 'v':
			cfg->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
bad:
	pr_warn("sluice-demo-backend: bad value for --%s: '%s'\n",
		opt == 'l' ? "listen" : opt == 'w' ? "workers" : "sse-delay-ms", optarg);
	return -EINVAL;
}

static int open_listener(const struct demo_config *cfg)
{
	int one = 1, err;
	int fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&cfg->addr, cfg->addr_len) ||
	    listen(fd, LISTEN_BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * SO_REUSEPORT would also let a second server of the same user share the
 * port silently, each getting half the connections.  A bind without it
 * fails while anyone listens there, which makes "address in use" an error.
 */
static int check_port_free(const struct demo_config *cfg)
{
	int one = 1, err = 0;
	int fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* TIME_WAIT leftovers of an earlier run do not count. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&cfg->addr, cfg->addr_len))
		err = -errno;
	close(fd);
	return err;
}

static bool port_is_zero(const struct demo_config *cfg)
{
	if (cfg->addr.ss_family == AF_INET6)
		return !((const struct sockaddr_in6 *)&cfg->addr)->sin6_port;
	return !((const struct sockaddr_in *)&cfg->addr)->sin_port;
}

/* Port 0: the first listener's port becomes everyone's (SO_REUSEPORT group). */
static void adopt_bound_port(int fd, struct demo_config *cfg)
{
	struct sockaddr_storage bound;
	socklen_t len = sizeof(bound);

	if (getsockname(fd, (struct sockaddr *)&bound, &len))
		return;
	if (bound.ss_family == AF_INET)
		((struct sockaddr_in *)&cfg->addr)->sin_port = ((struct sockaddr_in *)&bound)->sin_port;
	else
		((struct sockaddr_in6 *)&cfg->addr)->sin6_port =
			((struct sockaddr_in6 *)&bound)->sin6_port;
}

static void log_listening(const struct demo_config *cfg)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *v4 = (const void *)&cfg->addr;
	const struct sockaddr_in6 *v6 = (const void *)&cfg->addr;
	bool is_v6 = cfg->addr.ss_family == AF_INET6;

	inet_ntop(cfg->addr.ss_family, is_v6 ? (const void *)&v6->sin6_addr : (const void *)&v4->sin_addr,
		  host, sizeof(host));
	pr_info("sluice-demo-backend: listening on %s%s%s:%u (%u worker%s)\n", is_v6 ? "[" : "",
		host, is_v6 ? "]" : "", ntohs(is_v6 ? v6->sin6_port : v4->sin_port),
		cfg->workers, cfg->workers == 1 ? "" : "s");
}

static void raise_fd_limit(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim))
		return;
	lim.rlim_cur = lim.rlim_max < DEMO_MAX_FDS ? lim.rlim_max : DEMO_MAX_FDS;
	setrlimit(RLIMIT_NOFILE, &lim);
}

static int setup_workers(struct demo_worker *workers, struct demo_config *cfg)
{
	int err = port_is_zero(cfg) ? 0 : check_port_free(cfg);

	if (err) {
		pr_warn("sluice-demo-backend: cannot listen: %s\n", strerror(-err));
		return err;
	}
	for (unsigned int i = 0; i < cfg->workers; i++) {
		int fd = open_listener(cfg), err;

		if (fd < 0) {
			pr_warn("sluice-demo-backend: cannot listen: %s\n", strerror(-fd));
			return fd;
		}
		if (i == 0)
			adopt_bound_port(fd, cfg);
		err = demo_worker_init(&workers[i], cfg, i, fd);
		if (err) {
			pr_warn("sluice-demo-backend: worker %u: %s\n", i, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int start_workers(struct demo_worker *workers, const struct demo_config *cfg)
{
	for (unsigned int i = 0; i < cfg->workers; i++) {
		int err = demo_worker_start(&workers[i]);

		if (err) {
			pr_warn("sluice-demo-backend: thread %u: %s\n", i, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void wait_for_signal(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigwait(&set, &sig);
	pr_info("sluice-demo-backend: %s, stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void shutdown_workers(struct demo_worker *workers, unsigned int n)
{
	/* All threads end before anything is freed: they mail one another. */
	for (unsigned int i = 0; i < n; i++)
		demo_worker_stop(&workers[i]);
	for (unsigned int i = 0; i < n; i++)
		demo_worker_join(&workers[i]);
	for (unsigned int i = 0; i < n; i++)
		demo_worker_free(&workers[i]);
}

int main(int argc, char **argv)
{
	struct demo_config cfg = { 0 };
	struct demo_worker *workers;
	sigset_t set;
	int err;

	if (parse_args(argc, argv, &cfg))
		return 2;
	if (cfg.verbose)
		sl_log_set_level(SL_LOG_DEBUG);
	signal(SIGPIPE, SIG_IGN);
	/* Only the main thread takes SIGTERM/SIGINT; workers inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	raise_fd_limit();
	/* Built before the threads start, so none of them waits on it. */
	demo_tools_list();
	demo_prompts_list();
	workers = calloc(cfg.workers, sizeof(*workers));
	if (!workers)
		return 1;
	for (unsigned int i = 0; i < cfg.workers; i++)
		workers[i].mailbox.fd = workers[i].listen_fd = -1;
	err = setup_workers(workers, &cfg);
	if (!err)
		err = start_workers(workers, &cfg);
	if (!err) {
		log_listening(&cfg);
		wait_for_signal();
	}
	shutdown_workers(workers, cfg.workers);
	free(workers);
	demo_sessions_free_all();
	demo_catalog_free();
	return err ? 1 : 0;
}
