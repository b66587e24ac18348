// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger.c - the daemon's usage ledger (see ledger.h).  The handle is set
 * once at start, before the workers run, and cleared after they stopped:
 * the request path reads it without a lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "ledger.h"
#include "metrics.h"

static struct usage_db *ledger;
static char ledger_path[sizeof(((struct gw_config *)0)->usage_path)];	/* the open one */
static __u64 lost_reported;

/* mkdir -p of @path's directory, each missing level 0750. */
static int make_parent(const char *path)
{
	char dir[sizeof(ledger_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		bool last = !*p;

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) && errno != EEXIST)
			return -errno;
		if (last)
			return 0;
		*p = '/';
	}
}

int ledger_open(const struct gw_config *cfg, char *why, size_t why_len)
{
	struct usage_opts o = {
		.path = cfg->usage_path,
		.retention_days = cfg->usage_retention_days,
		.queue = cfg->usage_queue,
	};
	int err = make_parent(cfg->usage_path);

	if (err) {
		snprintf(why, why_len, "cannot make its directory: %s", strerror(-err));
		return err;
	}
	snprintf(ledger_path, sizeof(ledger_path), "%s", cfg->usage_path);
	return usage_open(&o, &ledger, why, why_len);
}

void ledger_flush(void)
{
	if (ledger && usage_flush(ledger))
		pr_warn("sluiced: usage ledger: the commit at reload failed; kept for the next\n");
}

void ledger_policy(const struct gw_config *cfg)
{
	if (!ledger)
		return;
	if (strcmp(cfg->usage_path, ledger_path))
		pr_warn("sluiced: usage ledger change to %s needs a restart; still %s\n",
			cfg->usage_path, ledger_path);
	usage_set_retention(ledger, cfg->usage_retention_days);
}

void ledger_tick(void)
{
	__u64 lost = ledger ? usage_lost(ledger) : 0;

	if (lost == lost_reported)
		return;
	pr_warn("sluiced: usage ledger: %llu records lost since start (%llu in the last "
		"second): its queue was full (usage.queue)\n", (unsigned long long)lost,
		(unsigned long long)(lost - lost_reported));
	lost_reported = lost;
}

size_t ledger_queued(void)
{
	return ledger ? usage_queued(ledger) : 0;
}

__u64 ledger_lost(void)
{
	return ledger ? usage_lost(ledger) : 0;
}

void ledger_close(void)
{
	ledger_tick();
	usage_close(ledger);
	ledger = NULL;
}

/* Every metered call passes here once: the ledger and the metrics (@limit:
 * the rate limit or budget that refused it, else NULL). */
static void note(const struct usage_rec *r, const char *limit)
{
	usage_note(ledger, r);
	metrics_call(r, limit);
}

void ledger_note(const struct usage_rec *r)
{
	if (ledger)
		note(r, NULL);
}

/* What the ledger calls @m, or NULL when it is not metered. */
static const char *metered_name(const struct mcp_msg *m)
{
	if (m->kind != MCP_REQUEST || !m->info)
		return NULL;
	switch (m->info->id) {
	case MCP_M_TOOLS_CALL:
		return m->tool ? m->tool : "";
	case MCP_M_RESOURCES_READ:
		return "resources/read";
	case MCP_M_PROMPTS_GET:
		return "prompts/get";
	default:
		return NULL;
	}
}

/* Holds an allowed call until the exchange ends; out of memory (a batch's
 * second call on), it is noted at once rather than lost. */
static void hold(struct ledger_pending *p, const struct usage_rec *r)
{
	struct usage_rec *more;

	if (!p->n) {
		p->one = *r;
		p->n = 1;
		return;
	}
	more = realloc(p->more, p->n * sizeof(*more));
	if (!more) {
		note(r, NULL);
		return;
	}
	p->more = more;
	more[p->n++ - 1] = *r;
}

/*
 * Names from a message (or a token's claims) reach an operator's terminal
 * through sluicectl usage: anything but visible ASCII becomes '?', so an
 * escape sequence in a tool name stays text.
 */
static void copy_visible(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = src[i] > ' ' && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

void ledger_judged(const char *agent, const struct identity *id, const struct mcp_msg *m,
		   const struct decide_verdict *v, size_t req_bytes,
		   struct ledger_pending *pending)
{
	const char *name = metered_name(m);
	struct usage_rec r = {};

	if (!ledger || !name)
		return;
	/* A name the catalogue refuses is any text a caller makes up: one row
	 * for all of them, not one per name. */
	if (v->action == DECIDE_DENY && v->reason == DR_UNKNOWN_TOOL)
		name = "(unknown)";
	/* A tool the policy does not declare, let through by unknown_tools (or
	 * with no catalogue at all), is named by the caller too: one row. */
	else if (m->info && m->info->id == MCP_M_TOOLS_CALL && v->tool < 0)
		name = "(undeclared)";
	copy_visible(r.agent, sizeof(r.agent), agent);
	copy_visible(r.customer, sizeof(r.customer), id->customer);
	copy_visible(r.tool, sizeof(r.tool), name);
	r.req_bytes = pending->req_counted ? 0 : req_bytes;	/* the POST's, on its first call */
	pending->req_counted = true;
	if (v->action != DECIDE_DENY) {
		r.cost = v->cost;
		r.upsell = (__u32)v->n_upsell;
		hold(pending, &r);
		return;
	}
	r.decision = v->reason == DR_LIMITED ? USAGE_LIMITED : USAGE_DENIED;
	snprintf(r.reason, sizeof(r.reason), "%s", decide_reason_name(v->reason));
	note(&r, v->reason == DR_LIMITED ? v->limit.rule :
		 v->reason == DR_BUDGET ? v->budget_rule : NULL);
}

void ledger_drop(struct ledger_pending *p)
{
	free(p->more);
	memset(p, 0, sizeof(*p));
}

void ledger_done(struct ledger_pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		ledger_note(i ? &p->more[i - 1] : &p->one);
	ledger_drop(p);
}
