// SPDX-License-Identifier: GPL-2.0-only
/*
 * breaker.c - circuit breakers shared by all workers (see breaker.h).
 *
 * One breaker per backend for the whole daemon: with per-worker breakers a
 * dead backend would be hit failure_threshold times per worker, and which
 * worker a connection lands on is the kernel's choice.  Breakers are looked
 * up once per backend and worker, then touched once per request: one mutex
 * is enough.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"

struct breaker {
	char authority[280];
	unsigned int failures;	/* consecutive transport failures */
	uint64_t open_until_ms;	/* open while now < this */
	bool probing;		/* half-open: one request is testing the backend */
	struct breaker *next;
};

static pthread_mutex_t breaker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct breaker *breakers;

struct breaker *breaker_get(const char *authority)
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

bool breaker_admits(struct breaker *b, unsigned int threshold, uint64_t now_ms, bool *probe)
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

void breaker_probe_abandoned(struct breaker *b)
{
	pthread_mutex_lock(&breaker_lock);
	b->probing = false;	/* the next request after open_ms probes again */
	pthread_mutex_unlock(&breaker_lock);
}

bool breaker_is_open(struct breaker *b, unsigned int threshold)
{
	bool open;

	pthread_mutex_lock(&breaker_lock);
	open = b->failures >= threshold;
	pthread_mutex_unlock(&breaker_lock);
	return open;
}

void breaker_success(struct breaker *b)
{
	pthread_mutex_lock(&breaker_lock);
	b->failures = 0;
	b->probing = false;
	pthread_mutex_unlock(&breaker_lock);
}

bool breaker_failure(struct breaker *b, unsigned int threshold, unsigned int open_ms,
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

bool breaker_state(const char *authority, unsigned int threshold, uint64_t now_ms,
		   unsigned int *failures, bool *open, bool *half_open)
{
	struct breaker *b;

	*failures = 0;
	*open = *half_open = false;
	pthread_mutex_lock(&breaker_lock);
	for (b = breakers; b && strcmp(b->authority, authority); b = b->next)
		;
	if (b) {
		*failures = b->failures;
		*open = b->failures >= threshold;
		*half_open = *open && (now_ms >= b->open_until_ms || b->probing);
	}
	pthread_mutex_unlock(&breaker_lock);
	return b != NULL;
}
