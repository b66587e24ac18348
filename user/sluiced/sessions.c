// SPDX-License-Identifier: GPL-2.0-only
/*
 * sessions.c - the shared session table (see sessions.h): a chained hash
 * under one mutex, touched once per session event and once per request
 * that carries a session id.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessions.h"

#define SESSION_BUCKETS 1024
/* Sessions a client abandons without DELETE pile up: past this many, the
 * oldest entry of the new session's bucket is forgotten to make room. */
#define SESSION_MAX 65536

struct session_node {
	char id[SL_SESSION_ID_MAX];
	struct session s;
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

void sessions_put(const char *id, const struct session *s)
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

bool sessions_get(const char *id, struct session *out)
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

void sessions_del(const char *id)
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

bool sessions_query_id(const char *url, char *out, size_t len)
{
	const char *q = strchr(url, '?'), *p;
	size_t n;

	for (p = q; p; p = strchr(p + 1, '&')) {
		if (strncmp(p + 1, "sessionId=", 10))
			continue;
		p += 11;
		n = strcspn(p, "&#");
		if (!n || n >= len)
			return false;
		snprintf(out, len, "%.*s", (int)n, p);
		return true;
	}
	return false;
}
