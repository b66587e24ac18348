// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_session.c - the shared session table (see demo_session.h).
 *
 * Chained hash buckets indexed by the id's first hex digits (the id is
 * random, so they are a good hash), plus a list in creation order for
 * eviction when the table is full.  One mutex guards it all: every
 * operation is a few pointer moves, far below a request's cost.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "demo_session.h"

#define BUCKETS (1u << 16)

struct pending {
	struct pending *next;
	char rpc_id[DEMO_RPC_ID_MAX];
	struct demo_addr waiter;
};

struct session {
	struct session *hnext;		/* bucket chain */
	struct session *older, *newer;	/* creation order */
	char sid[DEMO_SID_LEN + 1];
	bool legacy;
	struct demo_addr sink;
	uint64_t seq;
	struct pending *pending;
	unsigned int n_pending;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct session *buckets[BUCKETS];
static struct session *oldest, *newest;
static unsigned int n_sessions;

/* Only well-formed ids get looked up: a header is untrusted input. */
static bool sid_valid(const char *sid)
{
	size_t i;

	for (i = 0; sid && i < DEMO_SID_LEN; i++)
		if (!((sid[i] >= '0' && sid[i] <= '9') || (sid[i] >= 'a' && sid[i] <= 'f')))
			return false;
	return sid && sid[i] == '\0';
}

static unsigned int hex_value(char c)
{
	return c <= '9' ? (unsigned int)(c - '0') : (unsigned int)(c - 'a' + 10);
}

/* 16 bits from the first four digits: BUCKETS must stay 1 << 16. */
static unsigned int bucket_of(const char *sid)
{
	unsigned int b = 0;

	for (int i = 0; i < 4; i++)
		b = b << 4 | hex_value(sid[i]);
	return b;
}

/* Callers hold the lock. */
static struct session **find_slot(const char *sid)
{
	struct session **slot;

	if (!sid_valid(sid))
		return NULL;
	for (slot = &buckets[bucket_of(sid)]; *slot; slot = &(*slot)->hnext)
		if (!memcmp((*slot)->sid, sid, DEMO_SID_LEN))
			return slot;
	return NULL;
}

static struct session *find(const char *sid)
{
	struct session **slot = find_slot(sid);

	return slot ? *slot : NULL;
}

static void unlink_free(struct session **slot)
{
	struct session *s = *slot;

	*slot = s->hnext;
	if (s->older)
		s->older->newer = s->newer;
	else
		oldest = s->newer;
	if (s->newer)
		s->newer->older = s->older;
	else
		newest = s->older;
	while (s->pending) {
		struct pending *p = s->pending;

		s->pending = p->next;
		free(p);
	}
	n_sessions--;
	free(s);
}

static int random_sid(char sid[DEMO_SID_LEN + 1])
{
	unsigned char bytes[DEMO_SID_LEN / 2];

	if (RAND_bytes(bytes, sizeof(bytes)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(sid + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

static void insert(struct session *s)
{
	unsigned int b = bucket_of(s->sid);

	if (n_sessions >= DEMO_SESSIONS_MAX && oldest)
		unlink_free(find_slot(oldest->sid));
	s->hnext = buckets[b];
	buckets[b] = s;
	s->older = newest;
	if (newest)
		newest->newer = s;
	else
		oldest = s;
	newest = s;
	n_sessions++;
}

int demo_session_create(const struct demo_addr *sink, char sid[DEMO_SID_LEN + 1])
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (random_sid(s->sid)) {
		free(s);
		return -EIO;
	}
	s->legacy = sink != NULL;
	if (sink)
		s->sink = *sink;
	memcpy(sid, s->sid, DEMO_SID_LEN + 1);
	pthread_mutex_lock(&lock);
	insert(s);
	pthread_mutex_unlock(&lock);
	return 0;
}

bool demo_session_exists(const char *sid)
{
	bool found;

	pthread_mutex_lock(&lock);
	found = find(sid) != NULL;
	pthread_mutex_unlock(&lock);
	return found;
}

bool demo_session_delete(const char *sid)
{
	struct session **slot;

	pthread_mutex_lock(&lock);
	slot = find_slot(sid);
	if (slot)
		unlink_free(slot);
	pthread_mutex_unlock(&lock);
	return slot != NULL;
}

bool demo_session_sink(const char *sid, struct demo_addr *sink)
{
	struct session *s;
	bool found;

	pthread_mutex_lock(&lock);
	s = find(sid);
	found = s && s->legacy;
	if (found)
		*sink = s->sink;
	pthread_mutex_unlock(&lock);
	return found;
}

uint64_t demo_session_next_seq(const char *sid)
{
	struct session *s;
	uint64_t seq = 0;

	pthread_mutex_lock(&lock);
	s = find(sid);
	if (s)
		seq = ++s->seq;
	pthread_mutex_unlock(&lock);
	return seq;
}

int demo_session_add_pending(const char *sid, const char *rpc_id, const struct demo_addr *waiter)
{
	struct pending *p = calloc(1, sizeof(*p));
	struct session *s;
	int err = 0;

	if (!p)
		return -ENOMEM;
	snprintf(p->rpc_id, sizeof(p->rpc_id), "%s", rpc_id);
	p->waiter = *waiter;
	pthread_mutex_lock(&lock);
	s = find(sid);
	if (!s)
		err = -ENOENT;
	else if (s->n_pending >= DEMO_PENDING_MAX)
		err = -EBUSY;
	if (!err) {
		p->next = s->pending;
		s->pending = p;
		s->n_pending++;
	}
	pthread_mutex_unlock(&lock);
	if (err)
		free(p);
	return err;
}

bool demo_session_take_pending(const char *sid, const char *rpc_id, struct demo_addr *waiter)
{
	struct pending **pp, *found = NULL;
	struct session *s;

	pthread_mutex_lock(&lock);
	s = find(sid);
	for (pp = s ? &s->pending : NULL; pp && *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->rpc_id, rpc_id)) {
			found = *pp;
			*pp = found->next;
			s->n_pending--;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	if (found && waiter)
		*waiter = found->waiter;
	free(found);
	return found != NULL;
}

unsigned int demo_session_count(void)
{
	unsigned int n;

	pthread_mutex_lock(&lock);
	n = n_sessions;
	pthread_mutex_unlock(&lock);
	return n;
}

void demo_sessions_free_all(void)
{
	pthread_mutex_lock(&lock);
	while (oldest)
		unlink_free(find_slot(oldest->sid));
	pthread_mutex_unlock(&lock);
}
