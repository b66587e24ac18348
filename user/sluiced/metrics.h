/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics.h - the request path's counters, for the admin port (admin.h):
 * calls by agent, tool and decision, refusals by reason, limited calls by
 * limit, cost by agent and customer, answers by backend and status class,
 * answer latency by backend, redactions by pattern.
 *
 * Writing is cheap and takes no shared lock: each thread that counts owns
 * a shard (made on its first count) that only it writes, with plain
 * relaxed atomic stores; the admin side adds the shards up when it reads.
 * A series is found by hashing its labels in the shard's own table.
 *
 * Cardinality is bounded by the policy: every label value comes from the
 * policy (agent, customer, tool as the usage ledger names them: a name the
 * caller made up is "(unknown)" or "(undeclared)"; limit and redaction
 * rule names; backend names) or from a fixed set (decision, reason, status
 * class).  Nobody is "(nobody)", no customer "(none)".  Past
 * METRICS_SHARD_SERIES series a shard counts into one "(overflow)" series
 * of the family and counts the overflow (metrics_overflow()).
 */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/usage.h"
#include "policy/redact.h"

#define METRICS_SHARD_SERIES	4096	/* series a shard holds before "(overflow)" */
#define METRICS_LABEL_MAX	USAGE_TOOL_MAX	/* the longest label value, NUL included */
#define METRICS_NOBODY		"(nobody)"
#define METRICS_NO_CUSTOMER	"(none)"
#define METRICS_OVERFLOW	"(overflow)"

/* Latency buckets, seconds (Prometheus "le"), fixed so that series add up
 * across restarts and hosts. */
#define METRICS_N_BUCKETS	13
extern const double metrics_buckets_s[METRICS_N_BUCKETS];

enum metrics_family {
	MF_CALLS,		/* agent, tool, decision */
	MF_REFUSALS,		/* agent, reason */
	MF_LIMITED,		/* agent, limit (a rate limit's or budget's policy path) */
	MF_COST,		/* agent, customer; micro-units */
	MF_ANSWERS,		/* backend, class ("2xx" ... "none") */
	MF_LATENCY,		/* backend; a histogram */
	MF_REDACTIONS,		/* pattern */
	MF_MAX,
};

#define METRICS_N_LABELS 3
#define METRICS_N_VALUES (METRICS_N_BUCKETS + 2)	/* buckets, count, sum (µs) */

/* One series as the admin side reads it (shards added up). */
struct metrics_series {
	enum metrics_family family;
	char label[METRICS_N_LABELS][METRICS_LABEL_MAX];
	uint64_t v[METRICS_N_VALUES];	/* v[0]: the count (cost: micro-units);
					 * MF_LATENCY: per bucket, then count, sum */
};

struct metrics_snapshot {
	struct metrics_series *s;
	size_t n;
};

/* --- the request path's hooks (any thread) ------------------------------------ */

/* A metered call decided as @r says; @limit: the policy path of the rate
 * limit or budget that refused it, else NULL. */
void metrics_call(const struct usage_rec *r, const char *limit);
/* A POST's exchange ended: the backend @backend answered @status (0: none)
 * after @latency_ns; @red counts what @rules redacted in it (may be NULL). */
void metrics_exchange(const char *backend, int status, uint64_t latency_ns,
		      const struct redact_counts *red, const struct redact_set *rules);

/* --- the admin side --------------------------------------------------------------- */

/* Every shard added up, sorted by family then labels; 0 or -ENOMEM. */
int metrics_snapshot(struct metrics_snapshot *out);
void metrics_snapshot_free(struct metrics_snapshot *s);
/* Observations counted into "(overflow)" since the start. */
uint64_t metrics_overflow(void);
/* The families' Prometheus text (HELP, TYPE, series) into @out. */
int metrics_render(const struct metrics_snapshot *s, struct buf *out);
/* Escapes a label value for the text format (\\, \", \n). */
void metrics_put_label(struct buf *out, const char *name, const char *value);
/* At exit, after every counting thread stopped. */
void metrics_free(void);

#endif
