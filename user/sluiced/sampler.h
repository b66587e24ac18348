/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sampler.h - what the admin port reports, gathered on the main thread's
 * loop: once a second it adds up the request path's counters (metrics.h),
 * the kernel's (sl_stats, sl_agent_stats) and the queues, and keeps the
 * last SAMPLER_POINTS seconds of them; every SAMPLER_PROBE_MS it tries a
 * TCP connect to each backend of the current policy.
 *
 * Readiness (/readyz): every backend's last connect probe succeeded and its
 * circuit breaker is not open, and, when the policy names kernel
 * interfaces, the kernel half is attached (its maps are open).
 */
#ifndef SL_SAMPLER_H
#define SL_SAMPLER_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/ev.h"
#include "kern/maps.h"

#define SAMPLER_POINTS		300	/* seconds of history in /api/status */
#define SAMPLER_RATE_S		5	/* calls/s is over this many seconds */
#define SAMPLER_PROBE_MS	2000	/* a connect probe per backend this often */
#define SAMPLER_MAX_AGENTS	1024	/* agent rows kept; the rest are not shown */
#define SAMPLER_TOP_TOOLS	10

/* @maps: the kernel half's, or NULL when none is attached (kept, not owned). */
int sampler_start(struct ev_loop *loop, struct sl_maps *maps);
void sampler_stop(void);
/* A reload was tried: counted by result. */
void sampler_reloaded(bool ok);
/* Whether the running policy is in the kernel half's maps (false while a
 * load into maps pinned anew keeps failing): /readyz says so. */
void sampler_kernel_loaded(bool loaded);

/* The Prometheus text of everything: request path, kernel, queues, backends. */
int sampler_metrics(struct buf *out);
/* /readyz: 200 or 503, with a JSON body saying what is not ready. */
int sampler_ready(struct buf *body);
/* /api/status as JSON text (malloc), or NULL when out of memory. */
char *sampler_status(void);

#endif
