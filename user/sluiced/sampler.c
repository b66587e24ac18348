// SPDX-License-Identifier: GPL-2.0-only
/*
 * sampler.c - the admin port's figures (see sampler.h).  Everything here
 * runs on the main thread's loop; nothing is shared with the workers but
 * what metrics.h, breaker.h, audit.h and ledger.h already share.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <cjson/cJSON.h>

#include "base/log.h"
#include "kern/names.h"
#include "audit.h"
#include "breaker.h"
#include "gate.h"
#include "gwconf.h"
#include "ledger.h"
#include "metrics.h"
#include "sampler.h"

#define KID_REFRESH_MS	10000	/* agent ids re-read from sl_agents this often */
#define MAX_TOOLS	512	/* distinct tools added up for "top tools" */

struct agent_row {
	char name[METRICS_LABEL_MAX];
	bool in_policy;
	__u32 kid;			/* its id in the kernel's maps; 0: none */
	uint64_t calls, refused, limited;
	double cost;			/* since the start */
	double cost_today;		/* the limiter's UTC day (seeded from the ledger) */
	bool have_today;
	uint64_t kdrops;
	uint64_t past[SAMPLER_RATE_S + 1];	/* calls, a second apart (a ring) */
	double rate;			/* calls/s over SAMPLER_RATE_S */
};

struct tool_row {
	char name[METRICS_LABEL_MAX];
	uint64_t calls, refused;
};

/* One second of history: what happened in it. */
struct point {
	int64_t t;
	uint32_t calls, refused, limited, kdrops;
};

enum { PROBE_NEVER = -1, PROBE_FAILED = 0, PROBE_OK = 1 };

struct probe {
	char name[SL_NAME_MAX];
	char authority[280];
	struct net_addr addr;
	unsigned int timeout_ms, threshold;
	int fd;				/* a connect in flight, else -1 */
	uint64_t started_ms;
	int result;			/* PROBE_* of the last finished probe */
	char why[352];			/* why it failed */
};

static struct {
	struct ev_loop *loop;
	struct sl_maps *maps;
	struct ev_timer tick;
	time_t started;
	uint64_t reloads_ok, reloads_failed;
	unsigned long generation;	/* of the policy the rows and probes follow */
	uint64_t kid_read_ms;
	unsigned int ticks;
	struct agent_row *rows;
	size_t n_rows;
	struct tool_row *tools;		/* top tools, by calls */
	size_t n_tools;
	struct point ring[SAMPLER_POINTS];
	size_t n_points, head;		/* head: where the next point goes */
	uint64_t last[4];		/* calls, refused, limited, kdrops at the last tick */
	bool have_last;
	__u64 kstats[SL_STAT_MAX];
	bool kstats_ok;
	struct probe *probes;
	size_t n_probes;
	uint64_t last_probe_ms;
	double total_cost;
} sm;

/* Set by the main thread, read by the admin port's. */
static _Atomic bool kernel_unloaded;

void sampler_kernel_loaded(bool loaded)
{
	atomic_store(&kernel_unloaded, !loaded);
}

/* The kernel half is there now: maps held (sluiced follows them, and a
 * detach closes them: then every descriptor is -1). */
static bool sampler_attached(void)
{
	return sm.maps && sm.maps->config >= 0;
}

/* --- agents ------------------------------------------------------------------------ */

static struct agent_row *row_of(const char *name, bool add)
{
	for (size_t i = 0; i < sm.n_rows; i++)
		if (!strcmp(sm.rows[i].name, name))
			return &sm.rows[i];
	if (!add || sm.n_rows >= SAMPLER_MAX_AGENTS)
		return NULL;
	snprintf(sm.rows[sm.n_rows].name, sizeof(sm.rows[0].name), "%s", name);
	return &sm.rows[sm.n_rows++];
}

/* The policy's agents have rows (in its order) from the start, then nobody. */
static void rows_follow(const struct gw_policy *gp)
{
	for (size_t i = 0; i < sm.n_rows; i++)
		sm.rows[i].in_policy = false;
	for (size_t i = 0; i < gp->pol->n_agents; i++) {
		struct agent_row *r = row_of(gp->pol->agents[i].name, true);

		if (r)
			r->in_policy = true;
	}
	row_of(METRICS_NOBODY, true);
}

static struct tool_row *tool_of(struct tool_row *t, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	if (*n >= MAX_TOOLS)
		return NULL;
	snprintf(t[*n].name, sizeof(t[0].name), "%s", name);
	return &t[(*n)++];
}

static int tool_cmp(const void *a, const void *b)
{
	const struct tool_row *x = a, *y = b;

	return x->calls != y->calls ? (x->calls < y->calls ? 1 : -1) : strcmp(x->name, y->name);
}

/* One series into the agent and tool sums; @r caches the last row found
 * (the snapshot is sorted by family, then agent). */
static void add_series(const struct metrics_series *s, struct agent_row **r,
		       struct tool_row *tools, size_t *n_tools)
{
	struct tool_row *t;

	if (s->family != MF_CALLS && s->family != MF_REFUSALS && s->family != MF_LIMITED &&
	    s->family != MF_COST)
		return;
	if (!*r || strcmp((*r)->name, s->label[0]))
		*r = row_of(s->label[0], true);
	if (s->family == MF_COST)
		sm.total_cost += (double)s->v[0] / 1e6;
	if (!*r)
		return;
	switch (s->family) {
	case MF_CALLS:
		(*r)->calls += s->v[0];
		if ((t = tool_of(tools, n_tools, s->label[1]))) {
			t->calls += s->v[0];
			t->refused += strcmp(s->label[2], "allowed") ? s->v[0] : 0;
		}
		break;
	case MF_REFUSALS: (*r)->refused += s->v[0]; break;
	case MF_LIMITED: (*r)->limited += s->v[0]; break;
	default: (*r)->cost += (double)s->v[0] / 1e6; break;
	}
}

static void sum_requests(void)
{
	struct metrics_snapshot snap;
	struct tool_row *tools = calloc(MAX_TOOLS, sizeof(*tools));
	struct agent_row *r = NULL;
	size_t n_tools = 0;

	if (!tools || metrics_snapshot(&snap)) {
		free(tools);
		return;
	}
	for (size_t i = 0; i < sm.n_rows; i++) {
		sm.rows[i].calls = sm.rows[i].refused = sm.rows[i].limited = 0;
		sm.rows[i].cost = 0;
	}
	sm.total_cost = 0;
	for (size_t i = 0; i < snap.n; i++)
		add_series(&snap.s[i], &r, tools, &n_tools);
	metrics_snapshot_free(&snap);
	qsort(tools, n_tools, sizeof(*tools), tool_cmp);
	free(sm.tools);
	sm.tools = tools;
	sm.n_tools = n_tools < SAMPLER_TOP_TOOLS ? n_tools : SAMPLER_TOP_TOOLS;
}

static void sum_today(const struct gw_policy *gp)
{
	__u64 now = gate_now_ns();
	double month;

	for (size_t i = 0; i < sm.n_rows; i++) {
		struct agent_row *r = &sm.rows[i];

		r->have_today = gp->limiter && r->in_policy;
		if (r->have_today)
			decide_spent(gp->limiter, r->name, NULL, now, &r->cost_today, &month);
	}
}

/* --- the kernel ---------------------------------------------------------------- */

/* Ids of the rows' agents, from sl_agents (written at each policy load). */
static void read_kernel_ids(void)
{
	struct sl_agent a;

	for (size_t i = 0; i < sm.n_rows; i++)
		sm.rows[i].kid = 0;
	for (__u32 id = 1; id < SL_MAX_AGENTS; id++) {
		struct agent_row *r;

		if (bpf_map_lookup_elem(sm.maps->agents, &id, &a))
			return;
		if (!(a.flags & SL_AGENT_F_ACTIVE))
			continue;
		a.name[sizeof(a.name) - 1] = '\0';
		if ((r = row_of(a.name, false)))
			r->kid = id;
	}
}

static void sample_kernel(bool ids_stale)
{
	__u64 c[sizeof(struct sl_agent_counters) / sizeof(__u64)];
	uint64_t now = ev_clock_ms();

	sm.kstats_ok = false;
	if (!sampler_attached())
		return;
	if (ids_stale || now - sm.kid_read_ms >= KID_REFRESH_MS) {
		read_kernel_ids();
		sm.kid_read_ms = now;
	}
	for (__u32 s = 0; s < SL_STAT_MAX; s++)
		if (sl_maps_sum_percpu(sm.maps->stats, s, &sm.kstats[s], 1))
			return;
	sm.kstats_ok = true;
	for (size_t i = 0; i < sm.n_rows; i++)
		if (sm.rows[i].kid &&
		    !sl_maps_sum_percpu(sm.maps->agent_stats, sm.rows[i].kid, c,
					sizeof(c) / sizeof(c[0])))
			sm.rows[i].kdrops = c[offsetof(struct sl_agent_counters, drops) /
					      sizeof(__u64)];
}

static uint64_t kernel_drops(void)
{
	return sm.kstats_ok ? sm.kstats[SL_STAT_DROP] + sm.kstats[SL_STAT_RST] : 0;
}

/* --- backends -------------------------------------------------------------------- */

static void probe_close(struct probe *p)
{
	if (p->fd < 0)
		return;
	ev_unwatch(sm.loop, p->fd);
	close(p->fd);
	p->fd = -1;
}

static void probe_end(struct probe *p, int err)
{
	probe_close(p);
	p->result = err ? PROBE_FAILED : PROBE_OK;
	if (err)
		snprintf(p->why, sizeof(p->why), "connect to %s: %s", p->authority,
			 err == -ETIMEDOUT ? "timed out" : strerror(-err));
	else
		p->why[0] = '\0';
}

static void on_probe(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	(void)loop, (void)events;
	probe_end(data, net_connect_result(fd));
}

static void probe_start(struct probe *p, uint64_t now)
{
	int err;

	if (p->fd >= 0)
		return;
	err = net_connect(&p->addr, &p->fd);
	p->started_ms = now;
	if (!err) {
		probe_end(p, 0);
	} else if (err != -EINPROGRESS) {
		p->fd = -1;
		probe_end(p, err);
	} else if ((err = ev_watch(sm.loop, p->fd, EV_WRITE, on_probe, p))) {
		probe_end(p, err);
	}
}

static void probes_free(void)
{
	for (size_t i = 0; i < sm.n_probes; i++)
		probe_close(&sm.probes[i]);
	free(sm.probes);
	sm.probes = NULL;
	sm.n_probes = 0;
}

/* A new policy: its backends, probed at once. */
static void probes_follow(const struct gw_config *cfg)
{
	probes_free();
	sm.probes = calloc(cfg->n_backends, sizeof(*sm.probes));
	if (!sm.probes)
		return;
	sm.n_probes = cfg->n_backends;
	for (size_t i = 0; i < cfg->n_backends; i++) {
		struct probe *p = &sm.probes[i];
		const struct gw_backend *b = &cfg->backends[i];

		snprintf(p->name, sizeof(p->name), "%s", b->name);
		snprintf(p->authority, sizeof(p->authority), "%s", b->authority);
		p->addr = b->addr;
		p->timeout_ms = b->connect_timeout_ms ? b->connect_timeout_ms : 1000;
		p->threshold = b->failure_threshold;
		p->fd = -1;
		p->result = PROBE_NEVER;
		snprintf(p->why, sizeof(p->why), "not probed yet");
	}
	sm.last_probe_ms = 0;
}

static void probes_tick(uint64_t now)
{
	bool due = !sm.last_probe_ms || now - sm.last_probe_ms >= SAMPLER_PROBE_MS;

	for (size_t i = 0; i < sm.n_probes; i++) {
		struct probe *p = &sm.probes[i];

		if (p->fd >= 0 && now - p->started_ms >= p->timeout_ms)
			probe_end(p, -ETIMEDOUT);
		if (due)
			probe_start(p, now);
	}
	if (due)
		sm.last_probe_ms = now;
}

static const char *breaker_word(const struct probe *p, unsigned int *failures)
{
	bool open, half;

	breaker_state(p->authority, p->threshold, ev_clock_ms(), failures, &open, &half);
	return half ? "half_open" : open ? "open" : "closed";
}

/* --- the tick ---------------------------------------------------------------------- */

static void push_point(void)
{
	uint64_t now[4] = { 0, 0, 0, kernel_drops() };
	struct point *pt = &sm.ring[sm.head];

	for (size_t i = 0; i < sm.n_rows; i++) {
		now[0] += sm.rows[i].calls;
		now[1] += sm.rows[i].refused;
		now[2] += sm.rows[i].limited;
	}
	memset(pt, 0, sizeof(*pt));
	pt->t = (int64_t)time(NULL);
	if (sm.have_last) {
		pt->calls = (uint32_t)(now[0] - sm.last[0]);
		pt->refused = (uint32_t)(now[1] - sm.last[1]);
		pt->limited = (uint32_t)(now[2] - sm.last[2]);
		pt->kdrops = now[3] >= sm.last[3] ? (uint32_t)(now[3] - sm.last[3]) : 0;
	}
	memcpy(sm.last, now, sizeof(now));
	sm.have_last = true;
	sm.head = (sm.head + 1) % SAMPLER_POINTS;
	if (sm.n_points < SAMPLER_POINTS)
		sm.n_points++;
}

static void rates(void)
{
	unsigned int span = sm.ticks < SAMPLER_RATE_S ? sm.ticks : SAMPLER_RATE_S;
	size_t at = sm.ticks % (SAMPLER_RATE_S + 1);
	size_t from = (sm.ticks - span) % (SAMPLER_RATE_S + 1);

	for (size_t i = 0; i < sm.n_rows; i++) {
		struct agent_row *r = &sm.rows[i];

		r->past[at] = r->calls;
		r->rate = span ? (double)(r->calls - r->past[from]) / span : 0;
	}
}

static void on_tick(struct ev_loop *loop, void *data)
{
	struct gw_policy *gp = gw_policy_current();
	bool new_policy = gp->generation != sm.generation;
	uint64_t now = ev_clock_ms();

	(void)data;
	if (new_policy) {
		rows_follow(gp);
		probes_follow(&gp->cfg);
		sm.generation = gp->generation;
	}
	probes_tick(now);
	sum_requests();
	sum_today(gp);
	sample_kernel(new_policy);
	push_point();
	rates();
	sm.ticks++;
	gw_policy_put(gp);
	ev_timer_arm(loop, &sm.tick, 1000);
}

int sampler_start(struct ev_loop *loop, struct sl_maps *maps)
{
	sm.loop = loop;
	sm.maps = maps;
	sm.started = time(NULL);
	sm.rows = calloc(SAMPLER_MAX_AGENTS, sizeof(*sm.rows));
	if (!sm.rows)
		return -ENOMEM;
	ev_timer_init(&sm.tick, on_tick, NULL);
	on_tick(loop, NULL);	/* the first figures and probes now, not in a second */
	return 0;
}

void sampler_stop(void)
{
	if (!sm.loop)
		return;
	ev_timer_cancel(sm.loop, &sm.tick);
	probes_free();
	free(sm.rows);
	free(sm.tools);
	memset(&sm, 0, sizeof(sm));
}

void sampler_reloaded(bool ok)
{
	if (ok)
		sm.reloads_ok++;
	else
		sm.reloads_failed++;
}

/* --- readiness ------------------------------------------------------------------ */

/* Adds to @arr (may be NULL) what is not ready; true when all is. */
static bool readiness(cJSON *arr)
{
	struct gw_policy *gp = gw_policy_current();
	bool ready = true;

	for (size_t i = 0; i < sm.n_probes; i++) {
		const struct probe *p = &sm.probes[i];
		unsigned int failures;
		const char *breaker = breaker_word(p, &failures);
		char why[400];

		if (p->result == PROBE_OK && !strcmp(breaker, "closed"))
			continue;
		ready = false;
		if (p->result != PROBE_OK)
			snprintf(why, sizeof(why), "%s", p->why);
		else
			snprintf(why, sizeof(why), "circuit breaker %s after %u failures", breaker,
				 failures);
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "backend", p->name);
			cJSON_AddStringToObject(o, "why", why);
			cJSON_AddItemToArray(arr, o);
		}
	}
	if (gp->pol->kernel.n_ifaces && !sampler_attached()) {
		ready = false;
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "kernel", "not attached");
			cJSON_AddStringToObject(o, "why", "the policy names kernel.interfaces but no "
						"kernel half is attached (sluicectl attach)");
			cJSON_AddItemToArray(arr, o);
		}
	}
	if (sampler_attached() && atomic_load(&kernel_unloaded)) {
		ready = false;
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "kernel", "no policy");
			cJSON_AddStringToObject(o, "why", "the maps do not hold the running policy: "
						"loading it into them failed (retried every "
						"second; see sluiced's log)");
			cJSON_AddItemToArray(arr, o);
		}
	}
	gw_policy_put(gp);
	return ready;
}

static int put_json(struct buf *out, cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	int err = text ? buf_puts(out, text) : -ENOMEM;

	if (!err)
		err = buf_puts(out, "\n");
	cJSON_free(text);
	cJSON_Delete(o);
	return err;
}

int sampler_ready(struct buf *body)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *not_ready = cJSON_CreateArray();
	bool ready = readiness(not_ready);

	cJSON_AddBoolToObject(o, "ready", ready);
	cJSON_AddItemToObject(o, "not_ready", not_ready);
	put_json(body, o);
	return ready ? 200 : 503;
}

/* --- /metrics ---------------------------------------------------------------------- */

static void gauge(struct buf *out, const char *name, const char *type, const char *help,
		  double value)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name,
		   value);
}

static void head(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} number */
static void labelled(struct buf *out, const char *name, const char *label, const char *value,
		     const char *label2, const char *value2, double v)
{
	buf_printf(out, "%s{", name);
	metrics_put_label(out, label, value);
	if (label2) {
		buf_puts(out, ",");
		metrics_put_label(out, label2, value2);
	}
	buf_printf(out, "} %.17g\n", v);
}

static void process_metrics(struct buf *out)
{
	struct gw_policy *gp = gw_policy_current();

	gauge(out, "sluice_up", "gauge", "1 while sluiced runs", 1);
	gauge(out, "sluice_start_time_seconds", "gauge", "When sluiced started (UTC epoch)",
	      (double)sm.started);
	gauge(out, "sluice_policy_generation", "gauge", "The running policy's generation "
	      "(1 at start, one more at each reload)", (double)gp->generation);
	head(out, "sluice_reloads_total", "counter", "Reloads tried, by result");
	labelled(out, "sluice_reloads_total", "result", "ok", NULL, NULL, (double)sm.reloads_ok);
	labelled(out, "sluice_reloads_total", "result", "refused", NULL, NULL,
		 (double)sm.reloads_failed);
	gauge(out, "sluice_ready", "gauge", "1 when /readyz answers 200", readiness(NULL));
	gauge(out, "sluice_audit_queue_depth", "gauge", "Audit records waiting for the writer",
	      (double)audit_queued());
	gauge(out, "sluice_audit_lost_total", "counter", "Audit records lost (queue full, or the "
	      "file could not be written)", (double)audit_lost());
	gauge(out, "sluice_usage_queue_depth", "gauge", "Usage records waiting for the ledger's "
	      "writer", (double)ledger_queued());
	gauge(out, "sluice_usage_lost_total", "counter", "Usage records lost (the ledger's queue "
	      "was full)", (double)ledger_lost());
	gw_policy_put(gp);
}

static void backend_metrics(struct buf *out)
{
	static const char *const states[] = { "closed", "open", "half_open" };

	head(out, "sluice_backend_up", "gauge", "1 when the last TCP connect probe of the "
	     "backend succeeded");
	for (size_t i = 0; i < sm.n_probes; i++)
		labelled(out, "sluice_backend_up", "backend", sm.probes[i].name, NULL, NULL,
			 sm.probes[i].result == PROBE_OK);
	head(out, "sluice_backend_breaker_state", "gauge", "The backend's circuit breaker: 1 for "
	     "its current state");
	for (size_t i = 0; i < sm.n_probes; i++) {
		unsigned int failures;
		const char *now = breaker_word(&sm.probes[i], &failures);

		for (size_t s = 0; s < 3; s++)
			labelled(out, "sluice_backend_breaker_state", "backend", sm.probes[i].name,
				 "state", states[s], !strcmp(now, states[s]));
	}
	head(out, "sluice_backend_failures", "gauge", "Consecutive failures the backend's "
	     "breaker counts");
	for (size_t i = 0; i < sm.n_probes; i++) {
		unsigned int failures;

		breaker_word(&sm.probes[i], &failures);
		labelled(out, "sluice_backend_failures", "backend", sm.probes[i].name, NULL, NULL,
			 failures);
	}
}

_Static_assert(SL_STAT_EVENTS_LOST == SL_STAT_EVENTS_SENT + 2, "the event slots in a row");

/* The kernel's families are always declared (dashboards and alerts find
 * them); their samples only while the kernel half is attached. */
static void kernel_metrics(struct buf *out)
{
	static const char *const events[] = { "sent", "suppressed", "lost" };
	bool on = sm.kstats_ok;

	gauge(out, "sluice_kernel_attached", "gauge", "1 when the kernel half's maps are open",
	      sampler_attached());
	head(out, "sluice_kernel_verdicts_total", "counter", "Packets judged by XDP/TC, by "
	     "verdict (monitor_would_drop: passed in monitor mode)");
	for (__u32 s = SL_STAT_PASS; on && s <= SL_STAT_MONITOR; s++)
		labelled(out, "sluice_kernel_verdicts_total", "verdict", sl_stat_name(s), NULL,
			 NULL, (double)sm.kstats[s]);
	head(out, "sluice_kernel_reasons_total", "counter", "Packets judged, by reason");
	for (__u32 r = 0; on && r < SL_REASON_MAX; r++)
		labelled(out, "sluice_kernel_reasons_total", "reason", sl_reason_name(r), NULL,
			 NULL, (double)sm.kstats[sl_reason_stat(r)]);
	head(out, "sluice_kernel_events_total", "counter", "Kernel events: sent to the ring "
	     "buffer, folded into a later one, lost (ring full)");
	for (__u32 e = 0; on && e < 3; e++)
		labelled(out, "sluice_kernel_events_total", "event", events[e], NULL, NULL,
			 (double)sm.kstats[SL_STAT_EVENTS_SENT + e]);
	head(out, "sluice_kernel_egress_packets_total", "counter", "TC egress packets of tagged "
	     "connections");
	if (on)
		buf_printf(out, "sluice_kernel_egress_packets_total %llu\n",
			   (unsigned long long)sm.kstats[SL_STAT_EGRESS_PACKETS]);
	head(out, "sluice_kernel_egress_bytes_total", "counter", "TC egress bytes of tagged "
	     "connections");
	if (on)
		buf_printf(out, "sluice_kernel_egress_bytes_total %llu\n",
			   (unsigned long long)sm.kstats[SL_STAT_EGRESS_BYTES]);
	head(out, "sluice_kernel_agent_drops_total", "counter", "Packets the kernel dropped, by "
	     "agent (sl_agent_stats)");
	for (size_t i = 0; on && i < sm.n_rows; i++)
		if (sm.rows[i].kid)
			labelled(out, "sluice_kernel_agent_drops_total", "agent", sm.rows[i].name,
				 NULL, NULL, (double)sm.rows[i].kdrops);
}

int sampler_metrics(struct buf *out)
{
	struct metrics_snapshot snap;
	int err = metrics_snapshot(&snap);

	if (err)
		return err;
	metrics_render(&snap, out);
	metrics_snapshot_free(&snap);
	process_metrics(out);
	backend_metrics(out);
	kernel_metrics(out);
	return 0;
}

/* --- /api/status ------------------------------------------------------------------- */

static cJSON *agent_json(const struct agent_row *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddBoolToObject(o, "in_policy", r->in_policy);
	cJSON_AddNumberToObject(o, "calls", (double)r->calls);
	cJSON_AddNumberToObject(o, "calls_per_s", r->rate);
	cJSON_AddNumberToObject(o, "denied", (double)(r->refused - r->limited));
	cJSON_AddNumberToObject(o, "limited", (double)r->limited);
	cJSON_AddNumberToObject(o, "cost", r->cost);
	if (r->have_today)
		cJSON_AddNumberToObject(o, "cost_today", r->cost_today);
	else
		cJSON_AddNullToObject(o, "cost_today");
	if (r->kid)
		cJSON_AddNumberToObject(o, "kernel_drops", (double)r->kdrops);
	else
		cJSON_AddNullToObject(o, "kernel_drops");
	return o;
}

static cJSON *backends_json(void)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < sm.n_probes; i++) {
		const struct probe *p = &sm.probes[i];
		cJSON *o = cJSON_CreateObject();
		unsigned int failures;

		cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddStringToObject(o, "authority", p->authority);
		cJSON_AddBoolToObject(o, "up", p->result == PROBE_OK);
		cJSON_AddStringToObject(o, "probe", p->result == PROBE_OK ? "ok" : p->why);
		cJSON_AddStringToObject(o, "breaker", breaker_word(p, &failures));
		cJSON_AddNumberToObject(o, "failures", failures);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *kernel_json(void)
{
	cJSON *o = cJSON_CreateObject(), *c;

	cJSON_AddBoolToObject(o, "attached", sampler_attached());
	if (!sm.kstats_ok)
		return o;
	c = cJSON_AddObjectToObject(o, "counters");
	for (__u32 s = 0; s < SL_STAT_MAX; s++)
		cJSON_AddNumberToObject(c, sl_stat_name(s), (double)sm.kstats[s]);
	return o;
}

/* The last points, oldest first, one array per figure. */
static cJSON *series_json(void)
{
	static const char *const names[] = { "t", "calls", "denied", "limited", "kernel_drops" };
	cJSON *o = cJSON_CreateObject(), *arr[5];

	cJSON_AddNumberToObject(o, "interval_s", 1);
	for (size_t k = 0; k < 5; k++)
		arr[k] = cJSON_AddArrayToObject(o, names[k]);
	for (size_t i = 0; i < sm.n_points; i++) {
		const struct point *p =
			&sm.ring[(sm.head + SAMPLER_POINTS - sm.n_points + i) % SAMPLER_POINTS];
		const double v[5] = { (double)p->t, p->calls, (double)p->refused - p->limited,
				      p->limited, p->kdrops };

		for (size_t k = 0; k < 5; k++)
			cJSON_AddItemToArray(arr[k], cJSON_CreateNumber(v[k]));
	}
	return o;
}

static cJSON *queues_json(uint64_t queued, uint64_t lost)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "queued", (double)queued);
	cJSON_AddNumberToObject(o, "lost", (double)lost);
	return o;
}

static void add_totals(cJSON *root)
{
	cJSON *o = cJSON_AddObjectToObject(root, "totals");
	uint64_t calls = 0, refused = 0, limited = 0;
	double rate = 0;

	for (size_t i = 0; i < sm.n_rows; i++) {
		calls += sm.rows[i].calls;
		refused += sm.rows[i].refused;
		limited += sm.rows[i].limited;
		rate += sm.rows[i].rate;
	}
	cJSON_AddNumberToObject(o, "calls", (double)calls);
	cJSON_AddNumberToObject(o, "calls_per_s", rate);
	cJSON_AddNumberToObject(o, "denied", (double)(refused - limited));
	cJSON_AddNumberToObject(o, "limited", (double)limited);
	cJSON_AddNumberToObject(o, "cost", sm.total_cost);
	cJSON_AddNumberToObject(o, "kernel_drops", (double)kernel_drops());
}

char *sampler_status(void)
{
	cJSON *root = cJSON_CreateObject(), *agents, *tools, *not_ready;
	struct gw_policy *gp = gw_policy_current();
	char *text;

	cJSON_AddNumberToObject(root, "time", (double)time(NULL));
	cJSON_AddNumberToObject(root, "uptime_s", (double)(time(NULL) - sm.started));
	cJSON_AddNumberToObject(root, "generation", (double)gp->generation);
	cJSON_AddStringToObject(root, "listen", gp->cfg.listen_str);
	gw_policy_put(gp);
	not_ready = cJSON_CreateArray();
	cJSON_AddBoolToObject(root, "ready", readiness(not_ready));
	cJSON_AddItemToObject(root, "not_ready", not_ready);
	add_totals(root);
	agents = cJSON_AddArrayToObject(root, "agents");
	for (size_t i = 0; i < sm.n_rows; i++)
		if (sm.rows[i].in_policy || sm.rows[i].calls)
			cJSON_AddItemToArray(agents, agent_json(&sm.rows[i]));
	tools = cJSON_AddArrayToObject(root, "tools");
	for (size_t i = 0; i < sm.n_tools; i++) {
		cJSON *t = cJSON_CreateObject();

		cJSON_AddStringToObject(t, "name", sm.tools[i].name);
		cJSON_AddNumberToObject(t, "calls", (double)sm.tools[i].calls);
		cJSON_AddNumberToObject(t, "refused", (double)sm.tools[i].refused);
		cJSON_AddItemToArray(tools, t);
	}
	cJSON_AddItemToObject(root, "backends", backends_json());
	cJSON_AddItemToObject(root, "kernel", kernel_json());
	cJSON_AddItemToObject(root, "audit", queues_json(audit_queued(), audit_lost()));
	cJSON_AddItemToObject(root, "usage", queues_json(ledger_queued(), ledger_lost()));
	cJSON_AddItemToObject(root, "series", series_json());
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return text;
}
