/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * worker.h - the worker threads that serve MCP traffic.
 *
 * One worker = one thread, one event loop, one SO_REUSEPORT listener on the
 * data port and one proxy (proxy.h).  Each accepted connection is counted
 * against the policy's limits (admit.h) or refused at once with 429 or 503.
 */
#ifndef SL_WORKER_H
#define SL_WORKER_H

#include "base/net.h"

/* Starts @n workers listening on @listen; on failure none is left running. */
int worker_start_all(unsigned int n, const struct net_addr *listen);
/* Wakes every worker to close the connections of banned agents. */
void worker_notify_bans(void);
/* Stops them and waits: every connection is closed on return. */
void worker_stop_all(void);

#endif
