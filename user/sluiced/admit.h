/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * admit.h - connection admission: every accepted connection counts against
 * the policy's total and per-source limits until it closes, whichever
 * worker holds it.
 */
#ifndef SL_ADMIT_H
#define SL_ADMIT_H

#include <stdbool.h>

#include "base/net.h"
#include "gwconf.h"

/* Counts a connection from @peer; false = refuse it with *why_status (429 or 503). */
bool admit_conn(const struct gw_config *cfg, const struct net_addr *peer, int *why_status);
/* The connection counted by admit_conn closed. */
void admit_release(const struct net_addr *peer);

#endif
