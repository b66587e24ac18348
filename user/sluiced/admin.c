// SPDX-License-Identifier: GPL-2.0-only
/*
 * admin.c - the admin port (see admin.h): a small HTTP/1.1 server on the
 * main thread's loop, framing with proto/http.h, answering from
 * sampler.h, one request per connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/evp.h>

#include "base/buf.h"
#include "base/log.h"
#include "proto/http.h"
#include "admin.h"
#include "sampler.h"

/* The dashboard page, embedded at build time from user/sluiced/dashboard.html
 * (the Makefile's dashboard_html.c). */
extern const unsigned char admin_dashboard_html[];
extern const unsigned long admin_dashboard_html_len;

struct aconn {
	int fd;
	struct http_reader rd;
	struct buf out;
	struct ev_timer timer;		/* ADMIN_TIMEOUT_MS for the request, then the answer */
	bool complete;			/* a whole request is in: answer it */
	struct aconn *prev, *next;
};

static struct {
	struct ev_loop *loop;
	int fd;				/* the listener, or -1 */
	struct net_addr addr;
	char addr_str[64];
	struct ev_timer retry;		/* binding again, while it failed */
	struct ev_timer resume;		/* accepting again, after running out of descriptors */
	bool warned;			/* the bind failure was reported */
	struct aconn *conns;
	unsigned int n_conns;
	char csp[512];			/* the dashboard's Content-Security-Policy */
} adm = { .fd = -1 };

/* --- answers --------------------------------------------------------------------- */

static void answer(struct aconn *c, int status, const char *type, const char *body, size_t len,
		   const char *extra)
{
	bool head = c->rd.msg.method == HTTP_HEAD;

	http_put_status(&c->out, status);
	buf_printf(&c->out, "Content-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
		   "X-Content-Type-Options: nosniff\r\nConnection: close\r\n%s\r\n", type, len,
		   extra ? extra : "");
	if (!head)
		buf_append(&c->out, body, len);
}

static void answer_text(struct aconn *c, int status, const char *text, const char *extra)
{
	answer(c, status, "text/plain; charset=utf-8", text, strlen(text), extra);
}

static void answer_buf(struct aconn *c, int status, const char *type, struct buf *b)
{
	answer(c, status, type, buf_head(b), buf_pending(b), NULL);
}

static void serve_dashboard(struct aconn *c)
{
	char extra[700];

	snprintf(extra, sizeof(extra), "Content-Security-Policy: %s\r\nX-Frame-Options: DENY\r\n"
		 "Referrer-Policy: no-referrer\r\n", adm.csp);
	answer(c, 200, "text/html; charset=utf-8", (const char *)admin_dashboard_html,
	       admin_dashboard_html_len, extra);
}

static void serve_metrics(struct aconn *c)
{
	struct buf b = {};

	if (sampler_metrics(&b))
		answer_text(c, 500, "out of memory\n", NULL);
	else
		answer_buf(c, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
	buf_free(&b);
}

static void serve_ready(struct aconn *c)
{
	struct buf b = {};
	int status = sampler_ready(&b);

	answer_buf(c, status, "application/json", &b);
	buf_free(&b);
}

static void serve_status(struct aconn *c)
{
	char *json = sampler_status();

	if (!json) {
		answer_text(c, 500, "out of memory\n", NULL);
		return;
	}
	answer(c, 200, "application/json", json, strlen(json), NULL);
	free(json);
}

static void route(struct aconn *c)
{
	const char *url = c->rd.msg.url ? c->rd.msg.url : "";
	size_t len = strcspn(url, "?");

	if (len == 1 && url[0] == '/')
		serve_dashboard(c);
	else if (len == 8 && !strncmp(url, "/metrics", len))
		serve_metrics(c);
	else if (len == 8 && !strncmp(url, "/healthz", len))
		answer_text(c, 200, "ok\n", NULL);	/* answered: the main loop turns */
	else if (len == 7 && !strncmp(url, "/readyz", len))
		serve_ready(c);
	else if (len == 11 && !strncmp(url, "/api/status", len))
		serve_status(c);
	else
		answer_text(c, 404, "not found: / /metrics /healthz /readyz /api/status\n", NULL);
}

/* --- connections ------------------------------------------------------------------- */

static void conn_free(struct aconn *c)
{
	ev_unwatch(adm.loop, c->fd);
	ev_timer_cancel(adm.loop, &c->timer);
	close(c->fd);
	http_reader_free(&c->rd);
	buf_free(&c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		adm.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	adm.n_conns--;
	free(c);
}

static void on_write(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct aconn *c = data;

	(void)loop, (void)events;
	while (buf_pending(&c->out)) {
		ssize_t n = write(fd, buf_head(&c->out), buf_pending(&c->out));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		buf_consume(&c->out, (size_t)n);
	}
	shutdown(fd, SHUT_WR);
	conn_free(c);
}

/* The answer is queued: write it, then close (a fresh deadline to take it). */
static void respond(struct aconn *c)
{
	ev_timer_arm(adm.loop, &c->timer, ADMIN_TIMEOUT_MS);
	if (ev_watch(adm.loop, c->fd, EV_WRITE, on_write, c))
		conn_free(c);
	else
		on_write(adm.loop, c->fd, EV_WRITE, c);
}

static int on_headers(void *ctx, struct http_msg *msg)
{
	(void)ctx;
	if (msg->method != HTTP_GET && msg->method != HTTP_HEAD)
		return -405;
	if (msg->chunked || msg->content_length > 0)
		return -400;	/* GET and HEAD carry no body here */
	return HTTP_BODY_BUFFER;
}

static int on_body(void *ctx, const char *data, size_t len)
{
	(void)ctx, (void)data, (void)len;
	return -1;
}

static void on_complete(void *ctx, struct http_msg *msg)
{
	struct aconn *c = ctx;

	(void)msg;
	c->complete = true;	/* answered once the reader has returned */
}

static const struct http_reader_ops reader_ops = {
	.on_headers = on_headers,
	.on_body = on_body,
	.on_complete = on_complete,
};

static void refuse(struct aconn *c)
{
	char text[160];
	int status = c->rd.error_status ? c->rd.error_status : 400;

	if (status == 405) {
		answer_text(c, 405, "method not allowed: GET or HEAD\n", "Allow: GET, HEAD\r\n");
		return;
	}
	snprintf(text, sizeof(text), "%s\n", c->rd.error ? c->rd.error : "bad request");
	answer_text(c, status, text, NULL);
}

static void on_read(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct aconn *c = data;
	char in[4096];
	ssize_t n = read(fd, in, sizeof(in));

	(void)loop, (void)events;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);	/* gone before a whole request */
		return;
	}
	if (http_reader_feed(&c->rd, in, (size_t)n) < 0)
		refuse(c);
	else if (c->complete)
		route(c);
	else
		return;
	respond(c);
}

static void on_conn_timer(struct ev_loop *loop, void *data)
{
	struct aconn *c = data;

	(void)loop;
	if (c->complete || buf_pending(&c->out)) {
		conn_free(c);	/* the answer was not taken in time */
		return;
	}
	answer_text(c, 408, "request timeout\n", NULL);
	c->complete = true;
	respond(c);
}

static void accept_one(int fd)
{
	struct http_limits lim = { .max_header_bytes = ADMIN_MAX_HEAD, .max_body_bytes = 0 };
	struct aconn *c;

	if (adm.n_conns >= ADMIN_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		close(fd);	/* over the limit: refused at once */
		return;
	}
	c->fd = fd;
	http_reader_init(&c->rd, HTTP_KIND_REQUEST, &lim, &reader_ops, c);
	ev_timer_init(&c->timer, on_conn_timer, c);
	c->next = adm.conns;
	if (adm.conns)
		adm.conns->prev = c;
	adm.conns = c;
	adm.n_conns++;
	if (ev_watch(adm.loop, fd, EV_READ, on_read, c) ||
	    ev_timer_arm(adm.loop, &c->timer, ADMIN_TIMEOUT_MS))
		conn_free(c);
}

static void on_accept(struct ev_loop *loop, int fd, unsigned int events, void *data);

static void on_resume(struct ev_loop *loop, void *data)
{
	(void)data;
	if (adm.fd >= 0 && ev_watch(loop, adm.fd, EV_READ, on_accept, NULL))
		ev_timer_arm(loop, &adm.resume, 1000);
}

static void on_accept(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	(void)events, (void)data;
	for (int i = 0; i < 16; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			accept_one(cfd);
			continue;
		}
		/* Out of descriptors, the waiting connection stays queued and the
		 * listener readable: a level-triggered loop would spin on it.
		 * Stop looking for a second (the data port is the workers'). */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			ev_unwatch(loop, fd);
			ev_timer_arm(loop, &adm.resume, 1000);
		}
		return;
	}
}

/* --- the listener ------------------------------------------------------------------ */

/* Not SO_REUSEPORT (unlike the data port): a second daemon on the same
 * admin address must fail to bind, not share its scrapes. */
static int bind_admin(void)
{
	int one = 1, fd = socket(adm.addr.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&adm.addr.ss, adm.addr.len) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	err = ev_watch(adm.loop, fd, EV_READ, on_accept, NULL);
	if (err) {
		close(fd);
		return err;
	}
	adm.fd = fd;
	return 0;
}

static void on_retry(struct ev_loop *loop, void *data)
{
	int err;

	(void)data;
	err = bind_admin();
	if (!err) {
		pr_info("sluiced: admin port %s: listening (metrics, health, dashboard)\n",
			adm.addr_str);
		adm.warned = false;
		return;
	}
	if (!adm.warned)
		pr_warn("sluiced: admin port %s: cannot listen: %s; metrics, health checks and the "
			"dashboard are unavailable; trying again every %d s\n", adm.addr_str,
			strerror(-err), ADMIN_RETRY_MS / 1000);
	adm.warned = true;
	ev_timer_arm(loop, &adm.retry, ADMIN_RETRY_MS);
}

/* 'sha256-<base64>' of the text between @open and @close in the page, for
 * the Content-Security-Policy: only the page's own script and style run. */
static void csp_hash(const char *open, const char *close, char *out, size_t len)
{
	const char *page = (const char *)admin_dashboard_html, *a = strstr(page, open), *b;
	unsigned char md[32], b64[48];
	unsigned int md_len = 0;

	out[0] = '\0';
	if (!a || !(b = strstr(a += strlen(open), close)))
		return;
	if (!EVP_Digest(a, (size_t)(b - a), md, &md_len, EVP_sha256(), NULL))
		return;
	EVP_EncodeBlock(b64, md, (int)md_len);
	snprintf(out, len, "'sha256-%s'", b64);
}

static void make_csp(void)
{
	char script[64], style[64];

	csp_hash("<script>", "</script>", script, sizeof(script));
	csp_hash("<style>", "</style>", style, sizeof(style));
	snprintf(adm.csp, sizeof(adm.csp), "default-src 'none'; script-src %s; style-src %s; "
		 "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
		 "frame-ancestors 'none'", script[0] ? script : "'none'",
		 style[0] ? style : "'none'");
}

int admin_start(struct ev_loop *loop, const struct gw_config *cfg, struct sl_maps *maps)
{
	int err;

	adm.loop = loop;
	adm.addr = cfg->admin;
	net_addr_str(&cfg->admin, adm.addr_str, sizeof(adm.addr_str), true);
	make_csp();
	err = sampler_start(loop, maps);
	if (err)
		return err;
	ev_timer_init(&adm.retry, on_retry, NULL);
	ev_timer_init(&adm.resume, on_resume, NULL);
	on_retry(loop, NULL);
	return 0;
}

void admin_reloaded(bool ok)
{
	struct gw_policy *gp;
	char now[64];

	sampler_reloaded(ok);
	if (!ok || !adm.loop)
		return;
	gp = gw_policy_current();
	net_addr_str(&gp->cfg.admin, now, sizeof(now), true);
	gw_policy_put(gp);
	if (strcmp(now, adm.addr_str))
		pr_warn("sluiced: admin address change to %s needs a restart; still on %s\n", now,
			adm.addr_str);
}

void admin_stop(void)
{
	if (!adm.loop)
		return;
	while (adm.conns)
		conn_free(adm.conns);
	ev_timer_cancel(adm.loop, &adm.retry);
	ev_timer_cancel(adm.loop, &adm.resume);
	if (adm.fd >= 0) {
		ev_unwatch(adm.loop, adm.fd);
		close(adm.fd);
		adm.fd = -1;
	}
	sampler_stop();
	adm.loop = NULL;
}
