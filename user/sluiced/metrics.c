// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics.c - per-thread shards of counters (see metrics.h).
 *
 * A shard's slots are written by its owner only: a new slot's labels are
 * filled first and the slot published with a release store of .used, so a
 * reader that sees .used (acquire) sees whole labels.  Values are relaxed
 * atomics a single writer stores: no locked instruction on the request path,
 * and a reader never sees a torn 64-bit value.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

const double metrics_buckets_s[METRICS_N_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

#define SHARD_SLOTS	(METRICS_SHARD_SERIES * 2)	/* open addressing, half full at most */
#define MAX_SHARDS	1024	/* counting threads (workers, sreq) over a life */

struct slot {
	atomic_uint used;
	unsigned char family;
	char label[METRICS_N_LABELS][METRICS_LABEL_MAX];
	_Atomic uint64_t v[METRICS_N_VALUES];
};

struct shard {
	size_t n;		/* slots used: the owner's only */
	struct slot slot[SHARD_SLOTS];
};

static pthread_mutex_t shards_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shard *shards[MAX_SHARDS];
static atomic_size_t n_shards;
static atomic_uint_fast64_t overflow;
static _Thread_local struct shard *mine;
static _Thread_local bool no_shard;	/* out of memory or shards: count nothing */

static struct shard *my_shard(void)
{
	size_t n;

	if (mine || no_shard)
		return mine;
	pthread_mutex_lock(&shards_lock);
	n = atomic_load(&n_shards);
	if (n < MAX_SHARDS && (mine = calloc(1, sizeof(*mine)))) {
		shards[n] = mine;
		atomic_store(&n_shards, n + 1);
	}
	pthread_mutex_unlock(&shards_lock);
	no_shard = !mine;
	return mine;
}

static uint64_t hash_of(unsigned char family, const char *const label[METRICS_N_LABELS])
{
	uint64_t h = 1469598103934665603ull ^ family;

	for (int i = 0; i < METRICS_N_LABELS; i++) {
		for (const char *p = label[i] ? label[i] : ""; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;
	}
	return h;
}

static bool same(const struct slot *s, unsigned char family,
		 const char *const label[METRICS_N_LABELS])
{
	if (s->family != family)
		return false;
	for (int i = 0; i < METRICS_N_LABELS; i++)
		if (strncmp(s->label[i], label[i] ? label[i] : "", METRICS_LABEL_MAX))
			return false;
	return true;
}

static struct slot *claim(struct shard *sh, size_t i, unsigned char family,
			  const char *const label[METRICS_N_LABELS])
{
	struct slot *s = &sh->slot[i];

	s->family = family;
	for (int k = 0; k < METRICS_N_LABELS; k++)
		snprintf(s->label[k], sizeof(s->label[k]), "%s", label[k] ? label[k] : "");
	sh->n++;
	atomic_store_explicit(&s->used, 1, memory_order_release);
	return s;
}

/* The slot of a series in the owner's shard, made when new; past the cap,
 * the family's "(overflow)" series (which always finds room: the table is
 * twice the cap). */
static struct slot *find(struct shard *sh, unsigned char family,
			 const char *const label[METRICS_N_LABELS])
{
	static const char *const over[METRICS_N_LABELS] = {
		METRICS_OVERFLOW, METRICS_OVERFLOW, METRICS_OVERFLOW,
	};
	size_t i = hash_of(family, label) % SHARD_SLOTS;

	for (;; i = (i + 1) % SHARD_SLOTS) {
		struct slot *s = &sh->slot[i];

		if (!atomic_load_explicit(&s->used, memory_order_relaxed))
			break;
		if (same(s, family, label))
			return s;
	}
	if (sh->n < METRICS_SHARD_SERIES || label == over)
		return claim(sh, i, family, label);
	atomic_fetch_add_explicit(&overflow, 1, memory_order_relaxed);
	return find(sh, family, over);
}

/* The owner's add: a load and a store, both relaxed (one writer). */
static void bump(_Atomic uint64_t *v, uint64_t n)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void count(unsigned char family, const char *l0, const char *l1, const char *l2,
		  uint64_t n)
{
	const char *const label[METRICS_N_LABELS] = { l0, l1, l2 };
	struct shard *sh = my_shard();

	if (sh)
		bump(&find(sh, family, label)->v[0], n);
}

static const char *decision_name(enum usage_decision d)
{
	switch (d) {
	case USAGE_ALLOWED: return "allowed";
	case USAGE_DENIED: return "denied";
	case USAGE_LIMITED: return "limited";
	}
	return "denied";
}

void metrics_call(const struct usage_rec *r, const char *limit)
{
	const char *agent = r->agent[0] ? r->agent : METRICS_NOBODY;

	count(MF_CALLS, agent, r->tool, decision_name(r->decision), 1);
	if (r->decision != USAGE_ALLOWED)
		count(MF_REFUSALS, agent, r->reason, NULL, 1);
	if (limit && limit[0])
		count(MF_LIMITED, agent, limit, NULL, 1);
	if (r->cost > 0)
		count(MF_COST, agent, r->customer[0] ? r->customer : METRICS_NO_CUSTOMER, NULL,
		      (uint64_t)(r->cost * 1e6 + 0.5));
}

static const char *status_class(int status)
{
	static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

	return status >= 100 && status < 600 ? classes[status / 100 - 1] : "none";
}

static void observe(struct shard *sh, const char *backend, uint64_t latency_ns)
{
	const char *const label[METRICS_N_LABELS] = { backend, NULL, NULL };
	struct slot *s = find(sh, MF_LATENCY, label);
	double secs = (double)latency_ns / 1e9;
	int b = 0;

	while (b < METRICS_N_BUCKETS && secs > metrics_buckets_s[b])
		b++;
	if (b < METRICS_N_BUCKETS)
		bump(&s->v[b], 1);
	bump(&s->v[METRICS_N_BUCKETS], 1);
	bump(&s->v[METRICS_N_BUCKETS + 1], latency_ns / 1000);
}

void metrics_exchange(const char *backend, int status, uint64_t latency_ns,
		      const struct redact_counts *red, const struct redact_set *rules)
{
	struct shard *sh = my_shard();

	if (!sh)
		return;
	count(MF_ANSWERS, backend, status_class(status), NULL, 1);
	observe(sh, backend, latency_ns);
	if (!red || !red->total || !rules)
		return;
	for (size_t i = 0; i < redact_n_rules(rules) && i < REDACT_MAX_RULES; i++)
		if (red->n[i])
			count(MF_REDACTIONS, redact_rule_name(rules, i), NULL, NULL, red->n[i]);
}

/* --- reading ------------------------------------------------------------------- */

uint64_t metrics_overflow(void)
{
	return atomic_load(&overflow);
}

static int series_cmp(const void *a, const void *b)
{
	const struct metrics_series *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return (int)x->family - (int)y->family;
	for (int i = 0; i < METRICS_N_LABELS; i++)
		if ((c = strcmp(x->label[i], y->label[i])))
			return c;
	return 0;
}

/* Adds one published slot into @out (a table of @cap, indexed by hash). */
static void merge(struct metrics_series *out, size_t *idx, size_t cap, size_t *n,
		  const struct slot *s)
{
	const char *const label[METRICS_N_LABELS] = { s->label[0], s->label[1], s->label[2] };
	size_t i = hash_of(s->family, label) % cap;
	struct metrics_series *m;

	for (; idx[i]; i = (i + 1) % cap) {
		m = &out[idx[i] - 1];
		if (m->family == s->family && !strcmp(m->label[0], label[0]) &&
		    !strcmp(m->label[1], label[1]) && !strcmp(m->label[2], label[2]))
			break;
	}
	if (!idx[i]) {
		m = &out[(*n)++];
		idx[i] = *n;
		m->family = s->family;
		memcpy(m->label, s->label, sizeof(m->label));
	}
	m = &out[idx[i] - 1];
	for (int k = 0; k < METRICS_N_VALUES; k++)
		m->v[k] += atomic_load_explicit(&s->v[k], memory_order_relaxed);
}

int metrics_snapshot(struct metrics_snapshot *out)
{
	size_t n_sh = atomic_load(&n_shards), total = 0, cap, n = 0, *idx;
	struct metrics_series *series;
	bool *seen = calloc(n_sh * SHARD_SLOTS + 1, sizeof(*seen));

	/* Sized by the series in use, not by the shards' capacity: a scrape
	 * or a second's sample then allocates kilobytes, not megabytes.  The
	 * slots in use are noted first and only they are merged: a series a
	 * worker adds meanwhile waits for the next snapshot. */
	for (size_t k = 0; seen && k < n_sh; k++)
		for (size_t i = 0; i < SHARD_SLOTS; i++)
			if (atomic_load_explicit(&shards[k]->slot[i].used, memory_order_acquire)) {
				seen[k * SHARD_SLOTS + i] = true;
				total++;
			}
	cap = 2 * total + 1;
	series = seen ? calloc(total + 1, sizeof(*series)) : NULL;
	idx = seen ? calloc(cap, sizeof(*idx)) : NULL;
	if (!series || !idx) {
		free(seen);
		free(series);
		free(idx);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n_sh; k++)
		for (size_t i = 0; i < SHARD_SLOTS; i++)
			if (seen[k * SHARD_SLOTS + i])
				merge(series, idx, cap, &n, &shards[k]->slot[i]);
	free(seen);
	free(idx);
	qsort(series, n, sizeof(*series), series_cmp);
	out->s = series;
	out->n = n;
	return 0;
}

void metrics_snapshot_free(struct metrics_snapshot *s)
{
	free(s->s);
	s->s = NULL;
	s->n = 0;
}

void metrics_free(void)
{
	size_t n = atomic_load(&n_shards);

	for (size_t k = 0; k < n; k++) {
		free(shards[k]);
		shards[k] = NULL;
	}
	atomic_store(&n_shards, 0);
}

/* --- the text format -------------------------------------------------------------- */

void metrics_put_label(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "%s=\"", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			buf_printf(out, "\\%c", *p);
		else if (*p == '\n')
			buf_puts(out, "\\n");
		else
			buf_append(out, p, 1);
	}
	buf_puts(out, "\"");
}

struct family_text {
	const char *name;
	const char *type;
	const char *help;
	const char *labels[METRICS_N_LABELS];
};

static const struct family_text families[MF_MAX] = {
	[MF_CALLS] = { "sluice_calls_total", "counter",
		       "Metered calls (tools/call, resources/read, prompts/get) by agent, tool "
		       "and decision", { "agent", "tool", "decision" } },
	[MF_REFUSALS] = { "sluice_call_refusals_total", "counter",
			  "Refused calls by agent and reason", { "agent", "reason" } },
	[MF_LIMITED] = { "sluice_limited_calls_total", "counter",
			 "Calls refused by a rate limit or a budget, by agent and the "
			 "limit's policy path", { "agent", "limit" } },
	[MF_COST] = { "sluice_cost_total", "counter",
		      "Cost units charged, by agent and customer", { "agent", "customer" } },
	[MF_ANSWERS] = { "sluice_answers_total", "counter",
			 "POSTs answered, by backend and HTTP status class of the client's "
			 "answer (none: the client left)", { "backend", "class" } },
	[MF_LATENCY] = { "sluice_request_duration_seconds", "histogram",
			 "POSTs from the gateway's decision to the end of the answer, by "
			 "backend", { "backend" } },
	[MF_REDACTIONS] = { "sluice_redactions_total", "counter",
			    "Values replaced by output redaction, by pattern", { "pattern" } },
};

static void put_labels(struct buf *out, const struct family_text *f,
		       const struct metrics_series *s, const char *le)
{
	bool any = false;

	for (int i = 0; i < METRICS_N_LABELS && f->labels[i]; i++) {
		buf_puts(out, any ? "," : "{");
		metrics_put_label(out, f->labels[i], s->label[i]);
		any = true;
	}
	if (le)
		buf_printf(out, "%sle=\"%s\"", any ? "," : "{", le), any = true;
	if (any)
		buf_puts(out, "}");
}

static void put_histogram(struct buf *out, const struct family_text *f,
			  const struct metrics_series *s)
{
	uint64_t cum = 0;
	char le[32];

	for (int b = 0; b < METRICS_N_BUCKETS; b++) {
		cum += s->v[b];
		snprintf(le, sizeof(le), "%g", metrics_buckets_s[b]);
		buf_printf(out, "%s_bucket", f->name);
		put_labels(out, f, s, le);
		buf_printf(out, " %llu\n", (unsigned long long)cum);
	}
	buf_printf(out, "%s_bucket", f->name);
	put_labels(out, f, s, "+Inf");
	buf_printf(out, " %llu\n%s_sum", (unsigned long long)s->v[METRICS_N_BUCKETS], f->name);
	put_labels(out, f, s, NULL);
	buf_printf(out, " %.6f\n%s_count", (double)s->v[METRICS_N_BUCKETS + 1] / 1e6, f->name);
	put_labels(out, f, s, NULL);
	buf_printf(out, " %llu\n", (unsigned long long)s->v[METRICS_N_BUCKETS]);
}

int metrics_render(const struct metrics_snapshot *snap, struct buf *out)
{
	size_t i = 0;

	for (int fam = 0; fam < MF_MAX; fam++) {
		const struct family_text *f = &families[fam];

		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
		for (; i < snap->n && (int)snap->s[i].family == fam; i++) {
			const struct metrics_series *s = &snap->s[i];

			if (fam == MF_LATENCY) {
				put_histogram(out, f, s);
				continue;
			}
			buf_puts(out, f->name);
			put_labels(out, f, s, NULL);
			if (fam == MF_COST)
				buf_printf(out, " %.6f\n", (double)s->v[0] / 1e6);
			else
				buf_printf(out, " %llu\n", (unsigned long long)s->v[0]);
		}
	}
	buf_printf(out, "# HELP sluice_metrics_overflow_total Observations counted into an "
		   "\"(overflow)\" series: a thread's series cap was reached\n"
		   "# TYPE sluice_metrics_overflow_total counter\n"
		   "sluice_metrics_overflow_total %llu\n", (unsigned long long)metrics_overflow());
	return 0;
}
