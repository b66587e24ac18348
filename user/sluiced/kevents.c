// SPDX-License-Identifier: GPL-2.0-only
/*
 * kevents.c - kernel events folded into periodic summaries (see kevents.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <cjson/cJSON.h>

#include "kern/names.h"
#include "kevents.h"

struct kev_key {
	uint32_t saddr[4];
	uint32_t agent_id;
	uint32_t ifindex;
	uint8_t family, verdict, reason, monitor;
};

struct kev_entry {
	struct kev_key key;	/* zero source and family: "other" (table full) */
	uint64_t events;	/* one packet each, from this key's source */
	uint64_t first_ns, last_ns;	/* CLOCK_MONOTONIC */
};

/* The reasons a packet is dropped (or would be, or gets an RST) for: those
 * that produce events, and whose sl_stats slot counts only such packets. */
static bool drop_reason(unsigned int r)
{
	return r == SL_REASON_MALFORMED || (r >= SL_REASON_DENY && r < SL_REASON_MAX);
}

struct kevents {
	struct kev_entry e[KEV_KEYS + 1];	/* the last one: "other" */
	size_t n;
	bool other_used;
	uint64_t period_start_ns;	/* CLOCK_MONOTONIC */
	__u64 lost_seen;		/* SL_STAT_EVENTS_LOST at the last flush */
	/* Per reason: the kernel's count at the last flush, the events seen
	 * this period, and events seen ahead of the count (the ring is read
	 * after the counter is bumped, a flush can fall between). */
	uint64_t reason_base[SL_REASON_MAX];
	uint64_t reason_sampled[SL_REASON_MAX];
	uint64_t reason_ahead[SL_REASON_MAX];
	bool have_base;
	const struct sl_maps *maps;
	void (*emit)(const char *json);
	struct ev_timer timer;
	struct ev_loop *loop;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t kev_clock_offset(void)
{
	struct timespec m1, rt, m2;
	int64_t a, b, r;

	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &m2);
	a = (int64_t)m1.tv_sec * 1000000000 + m1.tv_nsec;
	b = (int64_t)m2.tv_sec * 1000000000 + m2.tv_nsec;
	r = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec;
	return r - (a + (b - a) / 2);
}

uint64_t kev_wall_ns(uint64_t mono, int64_t offset)
{
	return (uint64_t)((int64_t)mono + offset);
}

void kev_format_time(uint64_t wall_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03uZ", (unsigned int)(wall_ns % 1000000000ull / 1000000));
}

struct kevents *kevents_new(const struct sl_maps *maps, void (*emit)(const char *json))
{
	struct kevents *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->maps = maps;
	k->emit = emit;
	k->period_start_ns = mono_ns();
	kevents_rebase(k);
	return k;
}

/* The kernel's per-reason counts (the sl_stats reason slots), or -1. */
static int read_reasons(const struct kevents *k, uint64_t out[SL_REASON_MAX])
{
	__u64 v;

	if (!k->maps)
		return -1;
	for (unsigned int r = 0; r < SL_REASON_MAX; r++) {
		if (sl_maps_sum_percpu(k->maps->stats, sl_reason_stat(r), &v, 1))
			return -1;
		out[r] = v;
	}
	return 0;
}

static void set_base(struct kevents *k, const uint64_t *counts)
{
	k->have_base = counts != NULL;
	for (unsigned int r = 0; r < SL_REASON_MAX; r++) {
		k->reason_base[r] = counts ? counts[r] : 0;
		k->reason_sampled[r] = 0;
		k->reason_ahead[r] = 0;
	}
}

void kevents_rebase(struct kevents *k)
{
	uint64_t counts[SL_REASON_MAX];

	k->lost_seen = 0;
	if (k->maps)
		sl_maps_sum_percpu(k->maps->stats, SL_STAT_EVENTS_LOST, &k->lost_seen, 1);
	set_base(k, read_reasons(k, counts) ? NULL : counts);
}

void kevents_rebase_counts(struct kevents *k, const uint64_t counts[SL_REASON_MAX])
{
	set_base(k, counts);
}

void kevents_free(struct kevents *k)
{
	free(k);
}

static struct kev_entry *find(struct kevents *k, const struct kev_key *key)
{
	for (size_t i = 0; i < k->n; i++)
		if (!memcmp(&k->e[i].key, key, sizeof(*key)))
			return &k->e[i];
	if (k->n < KEV_KEYS) {
		memset(&k->e[k->n], 0, sizeof(k->e[k->n]));
		k->e[k->n].key = *key;
		return &k->e[k->n++];
	}
	if (!k->other_used) {	/* a flood from many sources: one line for the rest */
		memset(&k->e[KEV_KEYS], 0, sizeof(k->e[KEV_KEYS]));
		k->other_used = true;
	}
	return &k->e[KEV_KEYS];
}

int kevents_on_event(void *ctx, void *data, size_t size)
{
	const struct sl_event *ev = data;
	struct kevents *k = ctx;
	struct kev_key key = {};
	struct kev_entry *e;

	if (size < sizeof(*ev))
		return 0;
	memcpy(key.saddr, ev->saddr, sizeof(key.saddr));
	key.family = ev->family;
	key.verdict = ev->verdict;
	key.reason = ev->reason;
	key.monitor = (ev->flags & SL_EV_F_MONITOR) != 0;
	key.agent_id = ev->agent_id;
	key.ifindex = ev->ifindex;
	e = find(k, &key);
	if (!e->events || ev->ts_ns < e->first_ns)
		e->first_ns = ev->ts_ns;
	if (ev->ts_ns > e->last_ns)
		e->last_ns = ev->ts_ns;
	e->events++;
	/* ev->suppressed is not added: the BPF fold is per CPU, across sources
	 * and reasons, and would put other sources' drops on this one.  What
	 * no event named is reported per reason as "unsampled" at the flush. */
	if (ev->reason < SL_REASON_MAX)
		k->reason_sampled[ev->reason]++;
	return 0;
}

static void agent_name(const struct kevents *k, uint32_t id, char *buf, size_t len)
{
	struct sl_agent a;

	buf[0] = '\0';
	if (id && k->maps && !bpf_map_lookup_elem(k->maps->agents, &id, &a))
		snprintf(buf, len, "%.*s", (int)sizeof(a.name), a.name);
}

static void add_time(cJSON *o, const char *name, uint64_t wall_ns)
{
	char at[40];

	kev_format_time(wall_ns, at, sizeof(at));
	cJSON_AddStringToObject(o, name, at);
}

static void emit_entry(struct kevents *k, const struct kev_entry *e, bool other,
		       int64_t offset, uint64_t period_ms)
{
	char src[INET6_ADDRSTRLEN] = "other", agent[SL_NAME_MAX + 1], *text;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return;
	if (!other)
		inet_ntop(e->key.family == SL_AF_INET6 ? AF_INET6 : AF_INET, e->key.saddr, src,
			  sizeof(src));
	agent_name(k, e->key.agent_id, agent, sizeof(agent));
	add_time(o, "time", kev_wall_ns(mono_ns(), offset));
	cJSON_AddStringToObject(o, "event", "kernel_drop_summary");
	cJSON_AddStringToObject(o, "source", src);
	cJSON_AddStringToObject(o, "verdict", other ? "drop" : sl_verdict_name(e->key.verdict));
	cJSON_AddStringToObject(o, "reason", other ? "(many)" : sl_reason_name(e->key.reason));
	if (e->key.monitor)
		cJSON_AddTrueToObject(o, "monitor");
	if (agent[0])
		cJSON_AddStringToObject(o, "agent", agent);
	if (e->key.agent_id)
		cJSON_AddNumberToObject(o, "agent_id", e->key.agent_id);
	cJSON_AddNumberToObject(o, "ifindex", e->key.ifindex);
	cJSON_AddNumberToObject(o, "count", (double)e->events);
	cJSON_AddNumberToObject(o, "period_ms", (double)period_ms);
	add_time(o, "first", kev_wall_ns(e->first_ns, offset));
	add_time(o, "last", kev_wall_ns(e->last_ns, offset));
	text = cJSON_PrintUnformatted(o);
	if (text)
		k->emit(text);
	cJSON_free(text);
	cJSON_Delete(o);
}

static void emit_ring_losses(struct kevents *k, int64_t offset)
{
	__u64 lost = 0;
	char line[200], at[40];

	if (!k->maps || sl_maps_sum_percpu(k->maps->stats, SL_STAT_EVENTS_LOST, &lost, 1) ||
	    lost <= k->lost_seen)
		return;
	kev_format_time(kev_wall_ns(mono_ns(), offset), at, sizeof(at));
	snprintf(line, sizeof(line), "{\"time\":\"%s\",\"event\":\"kernel_events_lost\","
		 "\"count\":%llu,\"total\":%llu}", at, (unsigned long long)(lost - k->lost_seen),
		 (unsigned long long)lost);
	k->lost_seen = lost;
	k->emit(line);
}

static void emit_unsampled(struct kevents *k, unsigned int reason, uint64_t count,
			   int64_t offset, uint64_t period_ms)
{
	char line[240], at[40];

	kev_format_time(kev_wall_ns(mono_ns(), offset), at, sizeof(at));
	snprintf(line, sizeof(line), "{\"time\":\"%s\",\"event\":\"kernel_drop_summary\","
		 "\"source\":\"unsampled\",\"reason\":\"%s\",\"count\":%llu,"
		 "\"period_ms\":%llu}", at, sl_reason_name(reason), (unsigned long long)count,
		 (unsigned long long)period_ms);
	k->emit(line);
}

/*
 * Per drop reason, what the kernel counted this period beyond the events
 * it sent: packets no source record names.  Events read ahead of the
 * counter (or counted in an earlier period) are carried, so over a run the
 * records of a reason add up to the kernel's count exactly.
 */
static void emit_unsampled_all(struct kevents *k, const uint64_t *counts, int64_t offset,
			       uint64_t period_ms)
{
	for (unsigned int r = 0; r < SL_REASON_MAX; r++) {
		uint64_t delta, seen = k->reason_sampled[r] + k->reason_ahead[r];

		k->reason_sampled[r] = 0;
		if (!drop_reason(r)) {
			k->reason_ahead[r] = 0;
			continue;
		}
		if (!counts || !k->have_base) {	/* unread: settled at the next read */
			k->reason_ahead[r] = seen;
			continue;
		}
		/* A counter that went back: the maps were replaced under us. */
		delta = counts[r] >= k->reason_base[r] ? counts[r] - k->reason_base[r] : 0;
		k->reason_base[r] = counts[r];
		k->reason_ahead[r] = seen > delta ? seen - delta : 0;
		if (delta > seen)
			emit_unsampled(k, r, delta - seen, offset, period_ms);
	}
}

void kevents_flush_counts(struct kevents *k, const uint64_t counts[SL_REASON_MAX])
{
	int64_t offset = kev_clock_offset();	/* sampled each time: clocks get stepped */
	uint64_t now = mono_ns(), period_ms = (now - k->period_start_ns) / 1000000;

	for (size_t i = 0; i < k->n; i++)
		emit_entry(k, &k->e[i], false, offset, period_ms);
	if (k->other_used)
		emit_entry(k, &k->e[KEV_KEYS], true, offset, period_ms);
	if (counts && !k->have_base)
		set_base(k, counts);	/* the counters could not be read before: from now */
	else
		emit_unsampled_all(k, counts, offset, period_ms);
	emit_ring_losses(k, offset);
	k->n = 0;
	k->other_used = false;
	k->period_start_ns = now;
}

void kevents_flush(struct kevents *k)
{
	uint64_t counts[SL_REASON_MAX];

	kevents_flush_counts(k, read_reasons(k, counts) ? NULL : counts);
}

static void on_timer(struct ev_loop *loop, void *data)
{
	struct kevents *k = data;

	kevents_flush(k);
	ev_timer_arm(loop, &k->timer, KEV_PERIOD_MS);
}

int kevents_start_timer(struct kevents *k, struct ev_loop *loop)
{
	k->loop = loop;
	ev_timer_init(&k->timer, on_timer, k);
	return ev_timer_arm(loop, &k->timer, KEV_PERIOD_MS);
}

void kevents_stop_timer(struct kevents *k, struct ev_loop *loop)
{
	if (ev_timer_armed(&k->timer))
		ev_timer_cancel(loop, &k->timer);
}
