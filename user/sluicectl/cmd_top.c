// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_top.c - sluicectl top: sluiced's agents live in the terminal, read
 * from the admin port's /api/status once a second.
 *
 * On a terminal it takes the alternate screen and raw keys (c d l $ k sort,
 * q quits) and gives both back however it ends: q, SIGINT, SIGTERM, SIGHUP
 * or an error.  With --once, or when stdout is not a terminal, it prints
 * one table and exits.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "base/buf.h"
#include "base/net.h"
#include "policy/policy.h"
#include "ctl.h"

#define TOP_DEFAULT_ADMIN	"127.0.0.1:8471"
#define TOP_MAX_ANSWER		(8u << 20)	/* /api/status bigger than this: refused */
#define TOP_TIMEOUT_MS		2000

enum top_key { SORT_CALLS, SORT_DENIED, SORT_LIMITED, SORT_COST, SORT_KDROPS };

static struct {
	const char *admin;
	const char *policy;
	bool once;
	enum top_key sort;
	struct net_addr addr;
	char addr_str[64];
} top = { .sort = SORT_CALLS };

static volatile sig_atomic_t top_stop;
static struct termios saved_tty;
static bool tty_raw;

/* --- fetching ---------------------------------------------------------------------- */

static int send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* GET @path from the admin port into @out (whole answer, headers too). */
static int http_get(const char *path, struct buf *out, char *why, size_t why_len)
{
	struct timeval tv = { TOP_TIMEOUT_MS / 1000, (TOP_TIMEOUT_MS % 1000) * 1000 };
	int fd = socket(top.addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;
	char req[256], chunk[16384];
	ssize_t n;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		 path, top.addr_str);
	if (connect(fd, (struct sockaddr *)&top.addr.ss, top.addr.len) ||
	    (err = send_all(fd, req, strlen(req)))) {
		err = err ? err : -errno;
		snprintf(why, why_len, "cannot reach the admin port %s: %s", top.addr_str,
			 strerror(-err));
		close(fd);
		return err;
	}
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0 || (n < 0 && errno == EINTR && !top_stop))
		if (n > 0 && (buf_pending(out) + (size_t)n > TOP_MAX_ANSWER ||
			      buf_append(out, chunk, (size_t)n))) {
			err = -E2BIG;
			break;
		}
	if (n < 0 && !err)
		err = -errno;
	close(fd);
	if (err)
		snprintf(why, why_len, "reading from the admin port %s: %s", top.addr_str,
			 strerror(-err));
	return err;
}

/* /api/status parsed, or NULL with @why. */
static cJSON *fetch_status(char *why, size_t why_len)
{
	struct buf b = {};
	const char *body;
	cJSON *o = NULL;
	int status = 0;

	if (http_get("/api/status", &b, why, why_len) || buf_append(&b, "", 1))
		goto out;
	if (sscanf(buf_head(&b), "HTTP/1.%*d %d", &status) != 1 || status != 200) {
		snprintf(why, why_len, "the admin port %s answered HTTP %d", top.addr_str, status);
		goto out;
	}
	body = strstr(buf_head(&b), "\r\n\r\n");
	if (!body || !(o = cJSON_Parse(body + 4)))
		snprintf(why, why_len, "the admin port %s sent no JSON status", top.addr_str);
out:
	buf_free(&b);
	return o;
}

/* --- the table --------------------------------------------------------------------- */

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;	/* -1: none (null) */
}

static const char *const sort_field[] = {
	[SORT_CALLS] = "calls_per_s", [SORT_DENIED] = "denied", [SORT_LIMITED] = "limited",
	[SORT_COST] = "cost_today", [SORT_KDROPS] = "kernel_drops",
};

static double sort_value(const cJSON *a)
{
	double v = num(a, sort_field[top.sort]);

	if (top.sort == SORT_CALLS && v == 0)
		return num(a, "calls") / 1e9;	/* idle ones by calls since start */
	if (top.sort == SORT_COST && v < 0)
		return num(a, "cost");
	return v;
}

static int agent_cmp(const void *x, const void *y)
{
	const cJSON *a = *(const cJSON *const *)x, *b = *(const cJSON *const *)y;
	double va = sort_value(a), vb = sort_value(b);

	if (va != vb)
		return va < vb ? 1 : -1;
	return strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a, "name")) ?: "",
		      cJSON_GetStringValue(cJSON_GetObjectItem(b, "name")) ?: "");
}

/* Names are the policy's, but a terminal gets visible ASCII only. */
static void visible(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src && i + 1 < len && src[i]; i++)
		dst[i] = src[i] >= ' ' && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

static void put_num(double v, int width, int digits)
{
	if (v < 0)
		printf(" %*s", width, "-");
	else
		printf(" %*.*f", width, digits, v);
}

/* @max_rows: agents shown at most (the rest are counted in a last line); 0: all. */
static void print_table(const cJSON *st, const char *eol, int max_rows)
{
	const cJSON *agents = cJSON_GetObjectItem(st, "agents"), *a;
	const cJSON *totals = cJSON_GetObjectItem(st, "totals");
	int n = cJSON_GetArraySize(agents), i = 0;
	const cJSON **rows = calloc(n ? (size_t)n : 1, sizeof(*rows));
	static const char *const marks[] = { "calls/s", "denied", "429", "cost", "kdrops" };
	char name[33];

	printf("sluice %s  generation %.0f  %s  %.1f calls/s  sorted by %s%s", top.addr_str,
	       num(st, "generation"), cJSON_IsTrue(cJSON_GetObjectItem(st, "ready")) ?
	       "ready" : "NOT READY", num(totals, "calls_per_s"), marks[top.sort], eol);
	printf("%-32s %9s %9s %9s %9s %11s %12s%s", "AGENT", "CALLS/S", "CALLS", "DENIED", "429",
	       "COST", "KDROPS", eol);
	if (!rows)
		return;
	cJSON_ArrayForEach(a, agents)
		rows[i++] = a;
	qsort(rows, (size_t)n, sizeof(*rows), agent_cmp);
	for (i = 0; i < n; i++) {
		double today;

		if (max_rows && i >= max_rows) {
			printf("... %d more agents%s", n - i, eol);
			break;
		}
		today = num(rows[i], "cost_today");
		visible(name, sizeof(name), cJSON_GetStringValue(cJSON_GetObjectItem(rows[i], "name")));
		printf("%-32s", name);
		put_num(num(rows[i], "calls_per_s"), 9, 1);
		put_num(num(rows[i], "calls"), 9, 0);
		put_num(num(rows[i], "denied"), 9, 0);
		put_num(num(rows[i], "limited"), 9, 0);
		put_num(today >= 0 ? today : num(rows[i], "cost"), 11, 2);
		put_num(num(rows[i], "kernel_drops"), 12, 0);
		printf("%s", eol);
	}
	free(rows);
}

/* --- the terminal ------------------------------------------------------------------ */

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static void screen_leave(void)
{
	if (!tty_raw)
		return;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	fputs("\033[?25h\033[?1049l", stdout);	/* cursor back, main screen back */
	fflush(stdout);
	tty_raw = false;
}

static int screen_enter(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_tty))
		return -errno;
	raw = saved_tty;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		return -errno;
	tty_raw = true;
	fputs("\033[?1049h\033[?25l", stdout);	/* alternate screen, no cursor */
	return 0;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: poll ends */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void key(char c)
{
	switch (c) {
	case 'c': top.sort = SORT_CALLS; break;
	case 'd': top.sort = SORT_DENIED; break;
	case 'l': top.sort = SORT_LIMITED; break;
	case '$': top.sort = SORT_COST; break;
	case 'k': top.sort = SORT_KDROPS; break;
	case 'q': top_stop = 1; break;
	default: break;
	}
}

static void draw(void)
{
	char why[300] = "";
	cJSON *st = fetch_status(why, sizeof(why));
	struct winsize ws = {};

	/* The table fits the screen: a longer one would scroll it. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row < 6)
		ws.ws_row = 24;
	fputs("\033[H\033[2J", stdout);
	if (st)
		print_table(st, "\033[K\r\n", ws.ws_row - 5);
	else
		printf("%s\033[K\r\n", why);
	printf("\r\nkeys: c calls/s  d denied  l 429  $ cost  k kernel drops  q quit\033[K");
	fflush(stdout);
	cJSON_Delete(st);
}

/* Redraws once a second and at each key until q or a signal. */
static int live(void)
{
	int err = screen_enter();
	uint64_t next = 0;

	if (err) {
		ctl_err("cannot set up the terminal: %s", strerror(-err));
		return EXIT_FAIL;
	}
	while (!top_stop) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		uint64_t now = (uint64_t)time(NULL) * 1000;
		char c;

		if (now >= next) {
			draw();
			next = now + 1000;
		}
		if (poll(&pfd, 1, 1000) > 0 && read(STDIN_FILENO, &c, 1) == 1) {
			key(c);
			if (!top_stop)
				draw();
		}
	}
	screen_leave();
	return EXIT_OK;
}

static int once(void)
{
	char why[300] = "";
	cJSON *st = fetch_status(why, sizeof(why));

	if (!st) {
		ctl_err("%s", why);
		return EXIT_FAIL;
	}
	if (ctl.json)
		ctl_answer(st);
	else {
		print_table(st, "\n", 0);
		cJSON_Delete(st);
	}
	return EXIT_OK;
}

/* --- options ------------------------------------------------------------------------ */

static int top_opt(int opt, const char *arg)
{
	switch (opt) {
	case 'a': top.admin = arg; return 0;
	case 'p': top.policy = arg; return 0;
	case 'o': top.once = true; return 0;
	case 's':
		for (size_t i = 0; i < sizeof(sort_field) / sizeof(sort_field[0]); i++)
			if (!strcmp(arg, (const char *[]){ "calls", "denied", "limited", "cost",
							   "kdrops" }[i])) {
				top.sort = (enum top_key)i;
				return 0;
			}
		return ctl_usage_err("--sort takes calls, denied, limited, cost or kdrops, not '%s'",
				     arg);
	}
	return -EINVAL;
}

/* --admin, else the policy's "admin", else the default. */
static int resolve_admin(void)
{
	const char *admin = top.admin;
	struct policy *pol = NULL;
	int err;

	if (!admin && top.policy) {
		if (!(pol = ctl_check_policy(top.policy)))
			return -EINVAL;
		admin = cJSON_GetStringValue(cJSON_GetObjectItem(pol->json, "admin"));
	}
	if (!admin)
		admin = TOP_DEFAULT_ADMIN;
	snprintf(top.addr_str, sizeof(top.addr_str), "%s", admin);
	err = net_parse_hostport(admin, &top.addr);
	if (pol)
		policy_free(pol);
	if (err)
		return ctl_usage_err("--admin takes HOST:PORT, not '%s'", top.addr_str);
	return 0;
}

int cmd_top(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "admin", required_argument, NULL, 'a' },
		{ "policy", required_argument, NULL, 'p' },
		{ "once", no_argument, NULL, 'o' },
		{ "sort", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};

	if (ctl_parse_opts(argc, argv, "", longs, top_opt) || ctl_operands(argc, argv, 0, 0) ||
	    resolve_admin())
		return EXIT_USAGE;
	if (top.once || ctl.json || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		return once();
	catch_signals();
	return live();
}
