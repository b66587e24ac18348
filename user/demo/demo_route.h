/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_route.h - the demo backend's endpoints: what each request means.
 *
 * The router sits above the connections and the jobs: a connection hands
 * it each complete request through demo_route_ops, and it answers at once
 * (demo_reply.h), starts a job (demo_job.h), or turns the connection into
 * a stream.  Mail that reaches it from other workers comes in through the
 * worker (demo_route_legacy_mail).
 */
#ifndef SL_DEMO_ROUTE_H
#define SL_DEMO_ROUTE_H

#include <cjson/cJSON.h>

#include "demo_conn.h"

/* What every connection of a worker reports to. */
extern const struct demo_conn_ops demo_route_ops;

/* A legacy stream's mail: JSON-RPC posted to /message, answered on @c. */
void demo_route_legacy_mail(struct demo_conn *c, const cJSON *root);

#endif
