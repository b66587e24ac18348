// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_stats.c - sluicectl stats and events: the kernel's counters, and its
 * drop events as they happen (read from the ring buffer).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/names.h"
#include "ctl.h"

/* --- stats ------------------------------------------------------------------- */

static const char *const agent_counter_names[] = {
	"rx_packets", "rx_bytes", "drops", "syns", "tx_packets", "tx_bytes",
};
#define N_AGENT_COUNTERS (sizeof(struct sl_agent_counters) / sizeof(__u64))
_Static_assert(sizeof(agent_counter_names) / sizeof(agent_counter_names[0]) == N_AGENT_COUNTERS,
	       "a name for each agent counter");

static cJSON *agent_json(__u32 id, const struct sl_agent *a, const __u64 *c, __u64 now)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", id);
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddStringToObject(o, "plan", a->plan);
	cJSON_AddNumberToObject(o, "banned_for_s", a->banned_until_ns ?
				(double)ctl_seconds_left(a->banned_until_ns, now) : 0);
	for (size_t i = 0; i < N_AGENT_COUNTERS; i++)
		cJSON_AddNumberToObject(o, agent_counter_names[i], (double)c[i]);
	return o;
}

static void agent_text(__u32 id, const struct sl_agent *a, const __u64 *c, __u64 now)
{
	long long ban = a->banned_until_ns ? ctl_seconds_left(a->banned_until_ns, now) : 0;

	printf("  %-4u %-24s %-12s", id, a->name, a->plan[0] ? a->plan : "-");
	for (size_t i = 0; i < N_AGENT_COUNTERS; i++)
		printf(" %12llu", (unsigned long long)c[i]);
	if (ban)
		printf("  banned %s", ban < 0 ? "forever" : "");
	if (ban > 0)
		printf("%llds", ban);
	printf("\n");
}

static int collect_agents(struct sl_maps *m, cJSON *arr)
{
	__u64 c[N_AGENT_COUNTERS], now = sl_now_ns();
	struct sl_agent a;

	if (!arr) {
		printf("\nagents:\n  %-4s %-24s %-12s", "id", "name", "plan");
		for (size_t i = 0; i < N_AGENT_COUNTERS; i++)
			printf(" %12s", agent_counter_names[i]);
		printf("\n");
	}
	for (__u32 id = 1; id < SL_MAX_AGENTS; id++) {
		if (bpf_map_lookup_elem(m->agents, &id, &a))
			return -errno;
		if (!(a.flags & SL_AGENT_F_ACTIVE))
			continue;
		if (sl_maps_sum_percpu(m->agent_stats, id, c, N_AGENT_COUNTERS))
			return -errno;
		if (arr)
			cJSON_AddItemToArray(arr, agent_json(id, &a, c, now));
		else
			agent_text(id, &a, c, now);
	}
	return 0;
}

/* The global counters, one per-CPU u64 a slot, as text or into @counters. */
static int collect_counters(struct sl_maps *m, cJSON *counters)
{
	__u64 v[SL_STAT_MAX];
	int err = 0;

	for (__u32 s = 0; !err && s < SL_STAT_MAX; s++)
		err = sl_maps_sum_percpu(m->stats, s, &v[s], 1);
	for (__u32 s = 0; !err && s < SL_STAT_MAX; s++) {
		if (counters)
			cJSON_AddNumberToObject(counters, sl_stat_name(s), (double)v[s]);
		else
			printf("%-20s %llu\n", sl_stat_name(s), (unsigned long long)v[s]);
	}
	return err;
}

int cmd_stats(int argc, char **argv)
{
	cJSON *o = NULL, *counters = NULL, *agents = NULL;
	struct sl_maps m;
	int err;

	if (ctl_plain_args(argc, argv, 0))
		return EXIT_USAGE;
	if (ctl_open_maps(&m))
		return EXIT_FAIL;
	if (ctl.json) {
		o = cJSON_CreateObject();
		counters = cJSON_AddObjectToObject(o, "counters");
		agents = cJSON_AddArrayToObject(o, "agents");
	}
	err = collect_counters(&m, counters);
	if (!err)
		err = collect_agents(&m, agents);
	sl_maps_close(&m);
	if (err) {
		ctl_err("%s", strerror(-err));
		cJSON_Delete(o);
		return EXIT_FAIL;
	}
	if (o)
		ctl_answer(o);
	return EXIT_OK;
}

/* --- events ------------------------------------------------------------------ */

static volatile sig_atomic_t stop_events;
static long max_events = -1;	/* --count; -1 = until interrupted */
static long events_seen;
static long timeout_s = -1;	/* --timeout */

static void on_signal(int sig)
{
	(void)sig;
	stop_events = 1;
}

static void format_addr(__u32 family, const __u32 *addr, char *buf, size_t len)
{
	inet_ntop(family == SL_AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len);
}

static cJSON *event_json(const struct sl_event *e, const char *src, const char *dst)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "ts_ns", (double)e->ts_ns);
	cJSON_AddStringToObject(o, "verdict", sl_verdict_name(e->verdict));
	cJSON_AddStringToObject(o, "reason", sl_reason_name(e->reason));
	cJSON_AddBoolToObject(o, "monitor", e->flags & SL_EV_F_MONITOR);
	cJSON_AddStringToObject(o, "hook", e->flags & SL_EV_F_TC ? "tc" : "xdp");
	cJSON_AddNumberToObject(o, "ifindex", e->ifindex);
	cJSON_AddNumberToObject(o, "agent_id", e->agent_id);
	cJSON_AddStringToObject(o, "src", src);
	cJSON_AddNumberToObject(o, "sport", ntohs(e->sport));
	cJSON_AddStringToObject(o, "dst", dst);
	cJSON_AddNumberToObject(o, "dport", ntohs(e->dport));
	cJSON_AddNumberToObject(o, "proto", e->proto);
	cJSON_AddNumberToObject(o, "len", e->pkt_len);
	cJSON_AddNumberToObject(o, "suppressed", e->suppressed);
	return o;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct sl_event *e = data;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	format_addr(e->family, e->saddr, src, sizeof(src));
	format_addr(e->family, e->daddr, dst, sizeof(dst));
	if (ctl.json)
		ctl_print_json(event_json(e, src, dst));
	else
		printf("%s%s %-13s %s:%u -> %s:%u agent=%u if=%u%s suppressed=%u\n",
		       e->flags & SL_EV_F_MONITOR ? "would-" : "", sl_verdict_name(e->verdict),
		       sl_reason_name(e->reason), src, ntohs(e->sport), dst, ntohs(e->dport),
		       e->agent_id, e->ifindex, e->flags & SL_EV_F_TC ? " tc" : "",
		       e->suppressed);
	fflush(stdout);
	events_seen++;
	return max_events >= 0 && events_seen >= max_events ? 1 : 0;
}

/* The ring buffer has one consumer position: a second reader would steal. */
static bool daemon_holds_ring(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl.control_path);
	live = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return live;
}

static int events_opt(int opt, const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || v < 0 || !*arg)
		return ctl_usage_err("--%s takes a whole number, not '%s'",
				     opt == 'n' ? "count" : "timeout", arg);
	if (opt == 'n')
		max_events = v;
	else
		timeout_s = v;
	return 0;
}

static int poll_events(struct ring_buffer *rb)
{
	time_t end = timeout_s >= 0 ? time(NULL) + timeout_s : 0;
	int err = 0;

	while (!stop_events && (max_events < 0 || events_seen < max_events)) {
		if (end && time(NULL) >= end)
			break;
		err = ring_buffer__poll(rb, 200);
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err < 0)
			break;
		err = 0;
	}
	return err;
}

int cmd_events(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	struct ring_buffer *rb;
	struct sl_maps m;
	int err;

	if (ctl_parse_opts(argc, argv, "n:t:", longs, events_opt) ||
	    ctl_operands(argc, argv, 0, 0))
		return EXIT_USAGE;
	if (daemon_holds_ring()) {
		ctl_err("sluiced is reading the event ring buffer; "
			"read its audit log instead: journalctl -t sluiced -f");
		return EXIT_FAIL;
	}
	if (ctl_open_maps(&m))
		return EXIT_FAIL;
	rb = ring_buffer__new(m.events, handle_event, NULL, NULL);
	if (!rb) {
		ctl_err("cannot open the ring buffer: %s", strerror(errno));
		sl_maps_close(&m);
		return EXIT_FAIL;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = poll_events(rb);
	ring_buffer__free(rb);
	sl_maps_close(&m);
	if (err)
		ctl_err("%s", strerror(-err));
	return err ? EXIT_FAIL : EXIT_OK;
}
