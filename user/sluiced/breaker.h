/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * breaker.h - one circuit breaker per backend for the whole daemon.
 *
 * Closed, a breaker lets every request through and counts consecutive
 * failures (transport failures, and protocol errors: upstream.c); at the backend's threshold it opens for open_ms and
 * requests are refused without touching the backend; after that one request
 * (the half-open probe) is let through, and its outcome closes or reopens it.
 */
#ifndef SL_BREAKER_H
#define SL_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

struct breaker;

/* The breaker of @authority, created closed on first use (never freed). */
struct breaker *breaker_get(const char *authority);
/* May a request go to the backend now?  Claims the half-open probe. */
bool breaker_admits(struct breaker *b, unsigned int threshold, uint64_t now_ms, bool *probe);
/* A probe that ended with neither success nor failure (its client left). */
void breaker_probe_abandoned(struct breaker *b);
bool breaker_is_open(struct breaker *b, unsigned int threshold);
void breaker_success(struct breaker *b);
/* Returns true when this failure opened the breaker. */
bool breaker_failure(struct breaker *b, unsigned int threshold, unsigned int open_ms,
		     uint64_t now_ms);

/* The admin port's view of @authority's breaker: false when it never saw a
 * request; else its consecutive failures and whether it is open now
 * (@half_open: open_ms passed, the next request probes). */
bool breaker_state(const char *authority, unsigned int threshold, uint64_t now_ms,
		   unsigned int *failures, bool *open, bool *half_open);

#endif
