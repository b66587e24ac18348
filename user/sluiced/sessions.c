// SPDX-License-Identifier: GPL-2.0-only
/*
 * sessions.c - the shared session table (see sessions.h): a chained hash
 * under one mutex, touched once per session event and once per request
 * that carries a session id.
 *
 * Expiry is lazy, never a periodic sweep: a lookup that meets an expired
 * entry deletes it, and only a table found full is swept whole, at most
 * once per expiry due (next_expiry).  Memory stays bounded by max_sessions
 * either way, the main thread keeps no timer for the workers' table, and
 * an attacker keeping the table full makes each refusal cost one compare,
 * not a walk of 65536 entries.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sessions.h"

#define SESSION_BUCKETS 4096

struct session_node {
	char id[SL_SESSION_ID_MAX];
	struct session s;
	unsigned int streams;		/* open streams: while > 0 it never expires */
	uint64_t idle_deadline;		/* ms; with no stream open, expired from then */
	struct session_node *next;
};

static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;
static struct session_node *session_table[SESSION_BUCKETS];
static unsigned int n_sessions, n_reserved;
/* No entry can expire before this: a lower bound on every idle_deadline of
 * an entry without streams (UINT64_MAX: none is due).  Lets a full table
 * skip sweeps that would find nothing. */
static uint64_t next_expiry = UINT64_MAX;
static uint64_t (*session_clock)(void);

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_ms(void)
{
	return session_clock ? session_clock() : monotonic_ms();
}

void sessions_set_clock(uint64_t (*clock)(void))
{
	session_clock = clock;
}

static size_t session_bucket(const char *id)
{
	size_t h = 5381;

	for (const char *p = id; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h % SESSION_BUCKETS;
}

/* MCP session ids are visible ASCII; anything else would reach a request
 * line or header of ours. */
static bool id_ok(const char *id, size_t n)
{
	if (!n || n >= SL_SESSION_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return false;
	return true;
}

static bool expired(const struct session_node *n, uint64_t now)
{
	return !n->streams && now >= n->idle_deadline;
}

/* The idle clock restarts at @now.  Called with session_lock held. */
static void restart_idle(struct session_node *n, uint64_t now, unsigned int idle_ms)
{
	n->idle_deadline = now + idle_ms;
	if (n->idle_deadline < next_expiry)
		next_expiry = n->idle_deadline;
}

static void unlink_node(struct session_node **pp)
{
	struct session_node *n = *pp;

	*pp = n->next;
	n_sessions--;
	free(n);
}

/* @id's live entry, or NULL; an expired one is deleted on the way. */
static struct session_node *session_lookup(const char *id, uint64_t now)
{
	struct session_node **pp = &session_table[session_bucket(id)];

	while (*pp && strcmp((*pp)->id, id))
		pp = &(*pp)->next;
	if (*pp && expired(*pp, now)) {
		unlink_node(pp);
		return NULL;
	}
	return *pp;
}

/* Drops every expired entry, unless none can be due yet. */
static void session_sweep(uint64_t now)
{
	uint64_t next = UINT64_MAX;

	if (now < next_expiry)
		return;
	for (size_t b = 0; b < SESSION_BUCKETS; b++) {
		struct session_node **pp = &session_table[b];

		while (*pp) {
			if (expired(*pp, now)) {
				unlink_node(pp);
				continue;
			}
			if (!(*pp)->streams && (*pp)->idle_deadline < next)
				next = (*pp)->idle_deadline;
			pp = &(*pp)->next;
		}
	}
	next_expiry = next;
}

/* Is there a free slot, after dropping what expired? */
static bool session_room(const struct session_limits *lim, uint64_t now)
{
	if (n_sessions + n_reserved < lim->max)
		return true;
	session_sweep(now);
	return n_sessions + n_reserved < lim->max;
}

int sessions_reserve(const struct session_limits *lim)
{
	int err = -ENOSPC;

	pthread_mutex_lock(&session_lock);
	if (session_room(lim, now_ms())) {
		n_reserved++;
		err = 0;
	}
	pthread_mutex_unlock(&session_lock);
	return err;
}

void sessions_unreserve(void)
{
	pthread_mutex_lock(&session_lock);
	if (n_reserved)
		n_reserved--;
	pthread_mutex_unlock(&session_lock);
}

/* A new entry for @id.  Called with session_lock held. */
static int session_insert(const char *id, const struct session *s, unsigned int flags,
			  const struct session_limits *lim, uint64_t now)
{
	struct session_node *n;
	size_t b = session_bucket(id);

	/* A reserved slot was counted when it was set aside: no room check. */
	if (!(flags & SESSION_RESERVED) && !session_room(lim, now))
		return -ENOSPC;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->s = *s;
	n->streams = flags & SESSION_STREAM ? 1 : 0;
	restart_idle(n, now, lim->idle_ms);
	n->next = session_table[b];
	session_table[b] = n;
	n_sessions++;
	return 0;
}

int sessions_put(const char *id, const struct session *s, unsigned int flags,
		 const struct session_limits *lim)
{
	struct session_node *n;
	uint64_t now;
	int err = 0;

	pthread_mutex_lock(&session_lock);
	/* Spent now: the entry below takes its place, or nothing needs it. */
	if ((flags & SESSION_RESERVED) && n_reserved)
		n_reserved--;
	if (!id_ok(id, strlen(id))) {
		pthread_mutex_unlock(&session_lock);
		return -EINVAL;
	}
	now = now_ms();
	n = session_lookup(id, now);
	if (!n) {
		err = session_insert(id, s, flags, lim, now);
	} else {
		if (!(flags & SESSION_IF_ABSENT))
			n->s = *s;
		if (flags & SESSION_STREAM)
			n->streams++;
		restart_idle(n, now, lim->idle_ms);
	}
	pthread_mutex_unlock(&session_lock);
	return err;
}

bool sessions_use(const char *id, unsigned int idle_ms, bool open_stream, struct session *out)
{
	struct session_node *n;
	uint64_t now;

	pthread_mutex_lock(&session_lock);
	now = now_ms();
	n = session_lookup(id, now);
	if (n) {
		*out = n->s;
		restart_idle(n, now, idle_ms);
		if (open_stream)
			n->streams++;
	}
	pthread_mutex_unlock(&session_lock);
	return n != NULL;
}

void sessions_stream_end(const char *id, unsigned int idle_ms)
{
	struct session_node *n;
	uint64_t now;

	pthread_mutex_lock(&session_lock);
	now = now_ms();
	n = session_lookup(id, now);
	if (n && n->streams && !--n->streams)
		restart_idle(n, now, idle_ms);
	pthread_mutex_unlock(&session_lock);
}

void sessions_del(const char *id)
{
	struct session_node **pp;

	pthread_mutex_lock(&session_lock);
	pp = &session_table[session_bucket(id)];
	while (*pp && strcmp((*pp)->id, id))
		pp = &(*pp)->next;
	if (*pp)
		unlink_node(pp);
	pthread_mutex_unlock(&session_lock);
}

int sessions_list_add(const char *id, uint64_t rid, int method)
{
	struct session_node *n;
	int err = -ENOENT;

	pthread_mutex_lock(&session_lock);
	n = session_lookup(id, now_ms());
	for (size_t i = 0; n && i < SESSION_LISTS; i++)
		if (!n->s.list_ids[i]) {
			n->s.list_ids[i] = rid;
			n->s.list_methods[i] = method;
			err = 0;
			break;
		}
	if (n && err)
		err = -ENOSPC;
	pthread_mutex_unlock(&session_lock);
	return err;
}

bool sessions_list_take(const char *id, uint64_t rid, int *method)
{
	struct session_node *n;
	bool found = false;

	pthread_mutex_lock(&session_lock);
	n = session_lookup(id, now_ms());
	for (size_t i = 0; n && i < SESSION_LISTS && !found; i++)
		if (n->s.list_ids[i] == rid) {
			*method = n->s.list_methods[i];
			n->s.list_ids[i] = 0;
			found = true;
		}
	pthread_mutex_unlock(&session_lock);
	return found;
}

void sessions_clear(void)
{
	pthread_mutex_lock(&session_lock);
	for (size_t b = 0; b < SESSION_BUCKETS; b++)
		while (session_table[b])
			unlink_node(&session_table[b]);
	n_reserved = 0;
	next_expiry = UINT64_MAX;
	pthread_mutex_unlock(&session_lock);
}

bool sessions_query_id(const char *url, char *out, size_t len)
{
	const char *q = strchr(url, '?'), *p;
	size_t n;

	for (p = q; p; p = strchr(p + 1, '&')) {
		if (strncmp(p + 1, "sessionId=", 10))
			continue;
		p += 11;
		n = strcspn(p, "&#");
		if (!id_ok(p, n) || n >= len)
			return false;
		snprintf(out, len, "%.*s", (int)n, p);
		return true;
	}
	return false;
}
