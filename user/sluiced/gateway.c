// SPDX-License-Identifier: GPL-2.0-only
/*
 * gateway.c - what the workers share: connection limits, the session table,
 * and the worker threads themselves.
 *
 * Shared tables are small and touched once per connection or session
 * event, so one mutex each is enough; the per-request path takes none of
 * them except the session lookup of a request that carries a session id.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "base/log.h"
#include "proxy.h"

/* --- connection limits ------------------------------------------------------- */

#define SOURCE_SLOTS 4096	/* per-source counters, open addressing */

struct source_count {
	struct net_addr addr;	/* family 0 = free */
	unsigned int n;
};

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct source_count sources[SOURCE_SLOTS];
static unsigned int total_conns;

static bool same_host(const struct net_addr *a, const struct net_addr *b)
{
	char x[64], y[64];

	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	net_addr_str(a, x, sizeof(x), false);
	net_addr_str(b, y, sizeof(y), false);
	return !strcmp(x, y);
}

static size_t source_hash(const struct net_addr *a)
{
	char s[64];
	size_t h = 5381;

	net_addr_str(a, s, sizeof(s), false);
	for (const char *p = s; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h % SOURCE_SLOTS;
}

/* The slot of @a, or a free one for it; NULL when the table is full. */
static struct source_count *source_slot(const struct net_addr *a)
{
	size_t i = source_hash(a);

	for (size_t probe = 0; probe < SOURCE_SLOTS; probe++, i = (i + 1) % SOURCE_SLOTS) {
		struct source_count *s = &sources[i];

		if (!s->addr.ss.ss_family || same_host(&s->addr, a))
			return s;
	}
	return NULL;
}

bool gw_conn_admit(const struct gw_config *cfg, const struct net_addr *peer, int *why_status)
{
	struct source_count *s;
	bool ok = false;

	pthread_mutex_lock(&conn_lock);
	s = source_slot(peer);
	if (total_conns >= cfg->max_connections || !s) {
		*why_status = 503;
	} else if (s->n >= cfg->max_connections_per_source) {
		*why_status = 429;
	} else {
		s->addr = *peer;
		s->n++;
		total_conns++;
		ok = true;
	}
	pthread_mutex_unlock(&conn_lock);
	return ok;
}

/*
 * Frees slot @i by backward-shift deletion: every later entry of the probe
 * run that could sit earlier moves up, so lookups never stop early at the
 * hole.  Without it, slots stay claimed forever and 4096 distinct sources
 * over the daemon's life would lock every new one out.
 */
static void source_free(size_t i)
{
	size_t hole = i;

	for (size_t j = (i + 1) % SOURCE_SLOTS; sources[j].addr.ss.ss_family;
	     j = (j + 1) % SOURCE_SLOTS) {
		size_t home = source_hash(&sources[j].addr);
		/* j may move to the hole unless its home lies in (hole, j]. */
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);

		if (stays)
			continue;
		sources[hole] = sources[j];
		hole = j;
	}
	memset(&sources[hole], 0, sizeof(sources[hole]));
}

void gw_conn_release(const struct net_addr *peer)
{
	struct source_count *s;

	pthread_mutex_lock(&conn_lock);
	s = source_slot(peer);
	if (s && s->n) {
		total_conns--;
		if (!--s->n)
			source_free((size_t)(s - sources));
	}
	pthread_mutex_unlock(&conn_lock);
}

/* --- sessions ------------------------------------------------------------------ */

#define SESSION_BUCKETS 1024
/* Sessions a client abandons without DELETE pile up: past this many, the
 * oldest entry of the new session's bucket is forgotten to make room. */
#define SESSION_MAX 65536

struct session_node {
	char id[SL_SESSION_ID_MAX];
	struct gw_session s;
	struct session_node *next;
};

static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;
static struct session_node *session_table[SESSION_BUCKETS];
static unsigned int n_sessions;

static size_t session_bucket(const char *id)
{
	size_t h = 5381;

	for (const char *p = id; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h % SESSION_BUCKETS;
}

static struct session_node **session_find(const char *id)
{
	struct session_node **pp = &session_table[session_bucket(id)];

	while (*pp && strcmp((*pp)->id, id))
		pp = &(*pp)->next;
	return pp;
}

/* Drops the last (oldest: new ones are appended) node of @id's bucket, or of
 * the next non-empty bucket.  Called with session_lock held. */
static void session_evict_oldest(const char *id)
{
	size_t b = session_bucket(id);

	for (size_t k = 0; k < SESSION_BUCKETS; k++) {
		struct session_node **q = &session_table[(b + k) % SESSION_BUCKETS];

		if (!*q)
			continue;
		while ((*q)->next)
			q = &(*q)->next;
		free(*q);
		*q = NULL;
		n_sessions--;
		return;
	}
}

void gw_session_put(const char *id, const struct gw_session *s)
{
	struct session_node **pp;

	if (strlen(id) >= SL_SESSION_ID_MAX)
		return;
	pthread_mutex_lock(&session_lock);
	pp = session_find(id);
	if (!*pp && n_sessions >= SESSION_MAX)
		session_evict_oldest(id);
	pp = session_find(id);
	if (!*pp && n_sessions < SESSION_MAX) {
		*pp = calloc(1, sizeof(**pp));
		if (*pp) {
			snprintf((*pp)->id, sizeof((*pp)->id), "%s", id);
			n_sessions++;
		}
	}
	if (*pp)
		(*pp)->s = *s;
	pthread_mutex_unlock(&session_lock);
}

bool gw_session_get(const char *id, struct gw_session *out)
{
	struct session_node **pp;
	bool found;

	pthread_mutex_lock(&session_lock);
	pp = session_find(id);
	found = *pp != NULL;
	if (found)
		*out = (*pp)->s;
	pthread_mutex_unlock(&session_lock);
	return found;
}

void gw_session_del(const char *id)
{
	struct session_node **pp, *n;

	pthread_mutex_lock(&session_lock);
	pp = session_find(id);
	n = *pp;
	if (n) {
		*pp = n->next;
		n_sessions--;
		free(n);
	}
	pthread_mutex_unlock(&session_lock);
}

/* --- circuit breakers ------------------------------------------------------------ */

/*
 * One breaker per backend for the whole daemon: with per-worker breakers a
 * dead backend would be hit failure_threshold times per worker, and which
 * worker a connection lands on is the kernel's choice.
 */
static pthread_mutex_t breaker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct breaker *breakers;

struct breaker *gw_breaker(const char *authority)
{
	struct breaker *b;

	pthread_mutex_lock(&breaker_lock);
	for (b = breakers; b && strcmp(b->authority, authority); b = b->next)
		;
	if (!b && (b = calloc(1, sizeof(*b)))) {
		snprintf(b->authority, sizeof(b->authority), "%s", authority);
		b->next = breakers;
		breakers = b;
	}
	pthread_mutex_unlock(&breaker_lock);
	return b;
}

bool gw_breaker_admits(struct breaker *b, unsigned int threshold, uint64_t now_ms,
		       bool *probe)
{
	bool ok = true;

	*probe = false;
	pthread_mutex_lock(&breaker_lock);
	if (b->failures >= threshold) {
		ok = now_ms >= b->open_until_ms && !b->probing;
		if (ok)
			b->probing = *probe = true;
	}
	pthread_mutex_unlock(&breaker_lock);
	return ok;
}

void gw_breaker_probe_abandoned(struct breaker *b)
{
	pthread_mutex_lock(&breaker_lock);
	b->probing = false;	/* the next request after open_ms probes again */
	pthread_mutex_unlock(&breaker_lock);
}

bool gw_breaker_is_open(struct breaker *b, unsigned int threshold)
{
	bool open;

	pthread_mutex_lock(&breaker_lock);
	open = b->failures >= threshold;
	pthread_mutex_unlock(&breaker_lock);
	return open;
}

void gw_breaker_success(struct breaker *b)
{
	pthread_mutex_lock(&breaker_lock);
	b->failures = 0;
	b->probing = false;
	pthread_mutex_unlock(&breaker_lock);
}

bool gw_breaker_failure(struct breaker *b, unsigned int threshold, unsigned int open_ms,
			uint64_t now_ms)
{
	bool opened;

	pthread_mutex_lock(&breaker_lock);
	b->probing = false;
	opened = ++b->failures == threshold;
	if (b->failures >= threshold)
		b->open_until_ms = now_ms + open_ms;
	pthread_mutex_unlock(&breaker_lock);
	return opened;
}

/* --- workers ---------------------------------------------------------------------- */

static struct worker *workers;
static unsigned int n_workers;

/* Refused connections get one short answer, then the close. */
static void refuse(int fd, int status)
{
	static const char msg429[] = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	static const char msg503[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	const char *m = status == 429 ? msg429 : msg503;

	if (write(fd, m, strlen(m)) < 0)
		pr_debug("sluiced: refused connection gone before its answer\n");
	close(fd);
}

static void on_accept(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct worker *w = data;
	struct gw_policy *gp;
	struct net_addr peer;
	int cfd, status;

	(void)loop, (void)events;
	while ((cfd = net_accept(fd, &peer)) >= 0) {
		gp = gw_policy_current();
		if (!gw_conn_admit(&gp->cfg, &peer, &status)) {
			refuse(cfd, status);
		} else {
			proxy_accept(w, cfd, &peer, &gp->cfg);
		}
		gw_policy_put(gp);
	}
}

static void on_wake(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	uint64_t v;

	(void)events, (void)data;
	if (read(fd, &v, sizeof(v)) == sizeof(v))
		ev_stop(loop);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int err = ev_run(w->loop);

	if (err)
		pr_warn("sluiced: worker %d: event loop failed: %s\n", w->id, strerror(-err));
	proxy_close_all(w);
	upstream_pool_free(w);
	return NULL;
}

static int worker_init(struct worker *w, int id, const struct net_addr *listen)
{
	w->id = id;
	w->loop = ev_loop_new(65536);
	w->listen_fd = net_listen(listen, 1024);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!w->loop || w->listen_fd < 0 || w->wake_fd < 0)
		return w->listen_fd < 0 ? w->listen_fd : -ENOMEM;
	if (ev_watch(w->loop, w->listen_fd, EV_READ, on_accept, w) ||
	    ev_watch(w->loop, w->wake_fd, EV_READ, on_wake, w))
		return -ENOMEM;
	return 0;
}

static void worker_cleanup(struct worker *w)
{
	if (w->listen_fd > 0)
		close(w->listen_fd);
	if (w->wake_fd > 0)
		close(w->wake_fd);
	ev_loop_free(w->loop);
}

int gw_workers_start(unsigned int n, const struct net_addr *listen)
{
	int err = 0;

	workers = calloc(n, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	for (unsigned int i = 0; i < n && !err; i++) {
		err = worker_init(&workers[i], (int)i, listen);
		if (!err)
			err = -pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
		if (!err)
			n_workers++;
	}
	if (err) {
		worker_cleanup(&workers[n_workers]);
		gw_workers_stop();
	}
	return err;
}

void gw_workers_stop(void)
{
	uint64_t one = 1;

	for (unsigned int i = 0; i < n_workers; i++)
		if (write(workers[i].wake_fd, &one, sizeof(one)) != sizeof(one))
			pr_warn("sluiced: cannot wake worker %u\n", i);
	for (unsigned int i = 0; i < n_workers; i++) {
		pthread_join(workers[i].thread, NULL);
		worker_cleanup(&workers[i]);
	}
	free(workers);
	workers = NULL;
	n_workers = 0;
}
