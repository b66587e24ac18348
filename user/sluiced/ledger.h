/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ledger.h - the daemon's usage ledger (base/usage.h): one per process,
 * opened at start, flushed on every reload and at SIGTERM, closed at exit.
 *
 * What is metered: tools/call (tool: the tool's name), resources/read
 * (tool: "resources/read", the URI is not kept: it may carry customer data
 * and would make a row per document) and prompts/get (tool: "prompts/get").
 * A tool the catalogue refuses as unknown is "(unknown)", one it does not
 * declare (let through by unknown_tools, or refused before the lookup) is
 * "(undeclared)": such names are any text a caller makes up.  Names are kept as visible ASCII ('?' for the rest).
 * A refused one is noted when the gate refuses it; the allowed ones of a
 * POST when its exchange ends, with the bytes of the answer the client got
 * (a batch shares one body each way: its bytes go on its first metered
 * call), and with what tools.*.cost_per_kib adds for that answer (one call
 * alone).  A POST the gateway does not forward after all (an unknown
 * session) leaves its allowed calls out.
 */
#ifndef SL_LEDGER_H
#define SL_LEDGER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/usage.h"
#include "gwconf.h"
#include "proto/mcp.h"

/* A POST's allowed calls waiting for its answer: the gate adds them, the
 * exchange notes them when it ends. */
struct ledger_pending {
	size_t n;			/* calls held: one, then more[] */
	bool req_counted;		/* the POST's bytes went on a call already */
	struct usage_rec one;
	struct usage_rec *more;		/* a batch's others (malloc), n - 1 */
};

/* Opens @cfg's ledger, making its directory (0750) when missing; -errno with @why. */
int ledger_open(const struct gw_config *cfg, char *why, size_t why_len);
/* Reload: commits what is queued before it returns. */
void ledger_flush(void);
/* Reload: @cfg's usage.retention_days applies from now; a new path is
 * only warned about (the file stays open until a restart). */
void ledger_policy(const struct gw_config *cfg);
/* Once a second from the main loop: warns while records are being lost. */
void ledger_tick(void);
/* The admin port's view: records queued for the writer, and lost since start. */
size_t ledger_queued(void);
__u64 ledger_lost(void);
/* Commits everything and closes (SIGTERM, exit). */
void ledger_close(void);

/* The request path's hook: queues @r (never blocks; a no-op before open). */
void ledger_note(const struct usage_rec *r);
/* The gate judged message @m of a POST of @req_bytes from @agent (""
 * nobody) as @v says: a refusal is noted now, an allowed call held in
 * @pending for its answer.  A message that is not metered: nothing. */
void ledger_judged(const char *agent, const struct identity *id, const struct mcp_msg *m,
		   const struct decide_verdict *v, size_t req_bytes,
		   struct ledger_pending *pending);
/* @bytes more of the answer went to the client. */
static inline void ledger_answered(struct ledger_pending *p, size_t bytes)
{
	p->one.resp_bytes += bytes;
}
/* The exchange of @p ended: its calls are noted; @p is empty again. */
void ledger_done(struct ledger_pending *p);
/* Not forwarded after all: forgotten; @p is empty again. */
void ledger_drop(struct ledger_pending *p);

#endif
