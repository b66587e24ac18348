/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * admin.h - the admin port (the policy's "admin", 127.0.0.1:8471 by
 * default) on the main thread's loop: GET or HEAD of
 *
 *   /             the live dashboard (one self-contained HTML page)
 *   /metrics      Prometheus text format 0.0.4
 *   /healthz      200 while the main loop turns
 *   /readyz       200 when every backend answers and the kernel half is
 *                 attached if the policy asks for it; else 503 and why (JSON)
 *   /api/status   JSON for the dashboard and `sluicectl top`
 *
 * Anything else: 405 (another method), 404 (another path), 400 (a request
 * that does not parse).  Strict limits: ADMIN_MAX_CONNS connections, a
 * request's head in ADMIN_MAX_HEAD bytes and ADMIN_TIMEOUT_MS, no body,
 * one request per connection.  The admin port never touches the data path:
 * it reads counters the workers keep (metrics.h) and shared state.
 *
 * A port that cannot be bound (another process holds it) is not fatal:
 * the gateway serves, a warning says why, and the bind is tried again
 * every ADMIN_RETRY_MS.
 */
#ifndef SL_ADMIN_H
#define SL_ADMIN_H

#include "base/ev.h"
#include "gwconf.h"
#include "kern/maps.h"

#define ADMIN_MAX_CONNS		64
#define ADMIN_MAX_HEAD		8192
#define ADMIN_TIMEOUT_MS	5000	/* to send the request, and to take the answer */
#define ADMIN_RETRY_MS		5000

/* Listens on @cfg's admin address; @maps: the kernel half's or NULL. */
int admin_start(struct ev_loop *loop, const struct gw_config *cfg, struct sl_maps *maps);
/* A reload was tried (counted in /metrics; a new admin address is warned
 * about: it needs a restart). */
void admin_reloaded(bool ok);
void admin_stop(void);

#endif
