// SPDX-License-Identifier: GPL-2.0-only
/*
 * admit.c - connection counting (see admit.h): a total and an open-addressed
 * table of per-source counts under one mutex, touched once per accept and
 * once per close.
 */
#include <pthread.h>
#include <string.h>

#include "admit.h"

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

bool admit_conn(const struct gw_config *cfg, const struct net_addr *peer, int *why_status)
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

void admit_release(const struct net_addr *peer)
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
