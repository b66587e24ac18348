// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluicectl - check and load policies, attach the kernel half, and read or
 * change its state through the pinned maps (no daemon needed).
 *
 * Subcommands come from one table; each is a do_<name>().  Exit status:
 * 0 ok, 1 failed, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
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
#include <cjson/cJSON.h>

#include "kern/attach.h"
#include "base/control.h"
#include "base/log.h"
#include "kern/maps.h"
#include "kern/names.h"
#include "policy/policy.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };


static const char *pin_dir = SL_PIN_DIR;
static const char *control_path = SL_CONTROL_SOCKET;
static bool json_out;

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct cmd *find_cmd(const struct cmd *table, const char *name);
static void usage_table(FILE *out, const char *prefix, const struct cmd *table);

/* Parses the options every subcommand shares; leaves operands in argv[optind..]. */
static int parse_opts(int argc, char **argv, const char *extra, const struct option *longs,
		      int (*on_opt)(int opt, const char *arg))
{
	static const struct option common[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char shortopts[32];
	int opt;

	if (!longs)
		longs = common;

	snprintf(shortopts, sizeof(shortopts), "hj%s", extra ? extra : "");
	optind = 1;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, shortopts, longs, NULL)) != -1) {
		if (opt == 'j')
			json_out = true;
		else if (opt == 'h' || opt == '?')
			return -EINVAL;
		else if (!on_opt || on_opt(opt, optarg))
			return -EINVAL;
	}
	return 0;
}

static void print_json(cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj);

	if (text)
		puts(text);
	free(text);
	cJSON_Delete(obj);
}

static int open_maps(struct sl_maps *m)
{
	return sl_maps_open(m, pin_dir) ? EXIT_FAIL : EXIT_OK;
}

/* --- attach / detach --------------------------------------------------------- */

static enum pol_attach_mode attach_mode = POL_MODE_NATIVE;
static const char *attach_policy;

static int attach_opt(int opt, const char *arg)
{
	if (opt == 'm' && !sl_mode_parse(arg, &attach_mode))
		return 0;
	if (opt == 'p') {
		attach_policy = arg;
		return 0;
	}
	fprintf(stderr, "sluicectl attach: --mode must be native, generic or tc, not '%s'\n", arg);
	return -EINVAL;
}

static int attach_from_policy(const char *file)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;
	int rc = EXIT_OK;
	size_t n_ifaces;

	if (policy_load_file(file, &pol, &errs)) {
		pol_errors_print(&errs, file, stderr);
		pol_errors_free(&errs);
		return EXIT_FAIL;
	}
	n_ifaces = pol->kernel.n_ifaces;
	if (!n_ifaces)
		fprintf(stderr, "sluicectl attach: %s names no kernel.interfaces\n", file);
	for (size_t i = 0; i < pol->kernel.n_ifaces; i++) {
		const struct pol_iface *ifc = &pol->kernel.ifaces[i];

		if (sl_attach(pin_dir, ifc->name, ifc->mode))
			rc = EXIT_FAIL;
		else
			printf("attached %s (%s)\n", ifc->name, sl_mode_name(ifc->mode));
	}
	policy_free(pol);
	return n_ifaces ? rc : EXIT_FAIL;
}

static int do_attach(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int rc = EXIT_OK;

	attach_policy = NULL;
	if (parse_opts(argc, argv, "m:p:", longs, attach_opt))
		return EXIT_USAGE;
	if (attach_policy && optind == argc)
		return attach_from_policy(attach_policy);
	if (attach_policy || optind == argc)
		return EXIT_USAGE;
	for (int i = optind; i < argc; i++) {
		if (sl_attach(pin_dir, argv[i], attach_mode)) {
			rc = EXIT_FAIL;
			continue;
		}
		printf("attached %s (%s)\n", argv[i], sl_mode_name(attach_mode));
	}
	return rc;
}

static int do_detach(int argc, char **argv)
{
	int rc = EXIT_OK;

	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind == argc)
		return EXIT_USAGE;
	for (int i = optind; i < argc; i++) {
		if (sl_detach(pin_dir, argv[i]))
			rc = EXIT_FAIL;
		else
			printf("detached %s\n", argv[i]);
	}
	return rc;
}

/* --- policy ------------------------------------------------------------------ */

static cJSON *errors_json(const struct pol_errors *errs, const char *file)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < errs->n; i++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "file", file);
		cJSON_AddNumberToObject(e, "line", errs->v[i].line);
		cJSON_AddNumberToObject(e, "column", errs->v[i].col);
		cJSON_AddStringToObject(e, "message", errs->v[i].msg);
		cJSON_AddItemToArray(arr, e);
	}
	return arr;
}

/* Checks @file; on failure prints every error and returns NULL. */
static struct policy *check_file(const char *file)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;

	if (!policy_load_file(file, &pol, &errs))
		return pol;
	if (json_out) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "ok", false);
		cJSON_AddItemToObject(o, "errors", errors_json(&errs, file));
		print_json(o);
	} else {
		pol_errors_print(&errs, file, stderr);
		fprintf(stderr, "%s: %zu error%s\n", file, errs.n, errs.n == 1 ? "" : "s");
	}
	pol_errors_free(&errs);
	return NULL;
}

static int do_policy_check(int argc, char **argv)
{
	struct policy *pol;

	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind != argc - 1)
		return EXIT_USAGE;
	pol = check_file(argv[optind]);
	if (!pol)
		return EXIT_FAIL;
	if (json_out) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddItemToObject(o, "errors", cJSON_CreateArray());
		print_json(o);
	} else {
		printf("%s: ok (%zu agents, %zu plans, %zu deny entries, %zu protected ports)\n",
		       argv[optind], pol->n_agents, pol->n_plans, pol->kernel.n_deny,
		       pol->kernel.n_ports);
	}
	policy_free(pol);
	return EXIT_OK;
}

static void print_apply_report(const char *file, const struct sl_apply_report *r)
{
	if (json_out) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddNumberToObject(o, "generation", (double)r->generation);
		cJSON_AddNumberToObject(o, "sources_written", r->src_updated);
		cJSON_AddNumberToObject(o, "sources_removed", r->src_deleted);
		cJSON_AddNumberToObject(o, "sources_total", r->src_total);
		cJSON_AddNumberToObject(o, "agents_added", r->agents_added);
		cJSON_AddNumberToObject(o, "agents_updated", r->agents_updated);
		cJSON_AddNumberToObject(o, "agents_removed", r->agents_removed);
		print_json(o);
		return;
	}
	printf("%s: loaded as generation %llu: sources %u written, %u removed, %u in all; "
	       "agents %u added, %u updated, %u removed\n", file,
	       (unsigned long long)r->generation, r->src_updated, r->src_deleted, r->src_total,
	       r->agents_added, r->agents_updated, r->agents_removed);
}

static int do_policy_load(int argc, char **argv)
{
	struct sl_apply_report rep;
	struct policy *pol;
	struct sl_maps m;
	int err;

	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind != argc - 1)
		return EXIT_USAGE;
	/* Check first: a policy that does not check changes nothing. */
	pol = check_file(argv[optind]);
	if (!pol)
		return EXIT_FAIL;
	if (open_maps(&m)) {
		policy_free(pol);
		return EXIT_FAIL;
	}
	err = sl_maps_lock(&m);
	if (!err)
		err = sl_maps_apply_policy(&m, pol, &rep);
	sl_maps_unlock(&m);
	if (err)
		pr_warn("%s: cannot load into the maps: %s\n", argv[optind], strerror(-err));
	else
		print_apply_report(argv[optind], &rep);
	sl_maps_close(&m);
	policy_free(pol);
	return err ? EXIT_FAIL : EXIT_OK;
}

static const struct cmd policy_cmds[] = {
	{ "check", do_policy_check, "FILE [--json]", "check a policy; every error with line:column" },
	{ "load", do_policy_load, "FILE [--json]", "check, then load its kernel part into the maps" },
	{}
};

static int do_policy(int argc, char **argv)
{
	const struct cmd *c = argc > 1 ? find_cmd(policy_cmds, argv[1]) : NULL;

	if (!c) {
		usage_table(stderr, "sluicectl policy", policy_cmds);
		return EXIT_USAGE;
	}
	return c->fn(argc - 1, argv + 1);
}

/* --- block / ban -------------------------------------------------------------- */

static __u64 for_ns;	/* --for DURATION; 0 = forever */

static int for_opt(int opt, const char *arg)
{
	if (opt == 'f' && !sl_duration_parse(arg, &for_ns))
		return 0;
	fprintf(stderr, "sluicectl: --for takes a duration such as 90s, 15m, 2h, 1d or 1h30m, "
		"not '%s'\n", arg);
	return -EINVAL;
}

static int parse_for(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};

	for_ns = 0;
	if (parse_opts(argc, argv, "f:", longs, for_opt) || optind != argc - 1)
		return -EINVAL;
	return 0;
}

static __u64 deadline(void)
{
	return for_ns ? sl_now_ns() + for_ns : SL_FOREVER;
}

/* Runs @fn on the opened, locked maps. */
static int with_maps(int (*fn)(struct sl_maps *m, const void *arg), const void *arg)
{
	struct sl_maps m;
	int err;

	/* -ENODEV: already reported by sl_maps_open (nothing attached). */
	if (open_maps(&m))
		return -ENODEV;
	err = sl_maps_lock(&m);
	if (!err)
		err = fn(&m, arg);
	sl_maps_unlock(&m);
	sl_maps_close(&m);
	return err;
}

static int parse_cidr_arg(const char *text, struct sl_prefix *p)
{
	char hint[128];
	const char *why = sl_prefix_explain(text, hint, sizeof(hint));

	if (!why)
		return sl_prefix_parse(text, p, NULL);
	fprintf(stderr, "sluicectl: '%s' is not an address or CIDR prefix: %s\n", text, why);
	return -EINVAL;
}

static int block_fn(struct sl_maps *m, const void *arg)
{
	return sl_maps_block(m, arg, deadline());
}

static int unblock_fn(struct sl_maps *m, const void *arg)
{
	return sl_maps_unblock(m, arg);
}

static void print_until(const char *what, const char *name)
{
	if (for_ns)
		printf("%s %s for %llus\n", what, name, (unsigned long long)(for_ns / SL_NSEC_PER_SEC));
	else
		printf("%s %s\n", what, name);
}

static int do_block(int argc, char **argv)
{
	struct sl_prefix p;
	int err;

	if (parse_for(argc, argv) || parse_cidr_arg(argv[optind], &p))
		return EXIT_USAGE;
	err = with_maps(block_fn, &p);
	if (err && err != -ENODEV)
		pr_warn("sluicectl block %s: %s\n", argv[optind], strerror(-err));
	if (!err)
		print_until("blocked", argv[optind]);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int do_unblock(int argc, char **argv)
{
	struct sl_prefix p;
	const char *name;
	int err;

	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind != argc - 1)
		return EXIT_USAGE;
	name = argv[optind];
	if (parse_cidr_arg(name, &p))
		return EXIT_USAGE;
	err = with_maps(unblock_fn, &p);
	if (err == -ENODEV)
		;
	else if (err == -ENOENT)
		fprintf(stderr, "sluicectl unblock: %s is not blocked\n", name);
	else if (err)
		pr_warn("sluicectl unblock %s: %s\n", name, strerror(-err));
	else
		printf("unblocked %s\n", name);
	return err ? EXIT_FAIL : EXIT_OK;
}

struct ban_arg {
	const char *agent;
	__u64 until_ns;
};

static int ban_fn(struct sl_maps *m, const void *arg)
{
	const struct ban_arg *b = arg;

	return sl_maps_ban(m, b->agent, b->until_ns);
}

static int ban_common(const char *agent, __u64 until_ns, const char *what)
{
	struct ban_arg b = { agent, until_ns };
	int err = with_maps(ban_fn, &b);

	if (err == -ENODEV)
		;
	else if (err == -ENOENT)
		fprintf(stderr, "sluicectl %s: no agent '%s' in the loaded policy\n", what, agent);
	else if (err)
		pr_warn("sluicectl %s %s: %s\n", what, agent, strerror(-err));
	return err ? EXIT_FAIL : EXIT_OK;
}

static int do_ban(int argc, char **argv)
{
	if (parse_for(argc, argv))
		return EXIT_USAGE;
	if (ban_common(argv[optind], deadline(), "ban"))
		return EXIT_FAIL;
	print_until("banned", argv[optind]);
	return EXIT_OK;
}

static int do_unban(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind != argc - 1)
		return EXIT_USAGE;
	if (ban_common(argv[optind], 0, "unban"))
		return EXIT_FAIL;
	printf("unbanned %s\n", argv[optind]);
	return EXIT_OK;
}

/* --- stats ------------------------------------------------------------------- */

static const char *const agent_counter_names[] = {
	"rx_packets", "rx_bytes", "drops", "syns", "tx_packets", "tx_bytes",
};
#define N_AGENT_COUNTERS (sizeof(struct sl_agent_counters) / sizeof(__u64))
_Static_assert(sizeof(agent_counter_names) / sizeof(agent_counter_names[0]) == N_AGENT_COUNTERS,
	       "a name for each agent counter");

/* Seconds left of a deadline: -1 forever, 0 none or passed. */
static long long seconds_left(__u64 until_ns, __u64 now_ns)
{
	if (until_ns == SL_FOREVER)
		return -1;
	return until_ns > now_ns ? (long long)((until_ns - now_ns + SL_NSEC_PER_SEC - 1) / SL_NSEC_PER_SEC) : 0;
}

static cJSON *agent_json(__u32 id, const struct sl_agent *a, const __u64 *c, __u64 now)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", id);
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddStringToObject(o, "plan", a->plan);
	cJSON_AddNumberToObject(o, "banned_for_s",
				a->banned_until_ns ? (double)seconds_left(a->banned_until_ns, now) : 0);
	for (size_t i = 0; i < N_AGENT_COUNTERS; i++)
		cJSON_AddNumberToObject(o, agent_counter_names[i], (double)c[i]);
	return o;
}

static void agent_text(__u32 id, const struct sl_agent *a, const __u64 *c, __u64 now)
{
	long long ban = a->banned_until_ns ? seconds_left(a->banned_until_ns, now) : 0;

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

static int do_stats(int argc, char **argv)
{
	__u64 v[SL_STAT_MAX];
	cJSON *o = NULL, *counters = NULL, *agents = NULL;
	struct sl_maps m;
	int err = 0;

	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind != argc)
		return EXIT_USAGE;
	if (open_maps(&m))
		return EXIT_FAIL;
	/* One per-CPU u64 a slot. */
	for (__u32 s = 0; !err && s < SL_STAT_MAX; s++)
		err = sl_maps_sum_percpu(m.stats, s, &v[s], 1);
	if (json_out) {
		o = cJSON_CreateObject();
		counters = cJSON_AddObjectToObject(o, "counters");
		agents = cJSON_AddArrayToObject(o, "agents");
	}
	for (__u32 s = 0; !err && s < SL_STAT_MAX; s++) {
		if (json_out)
			cJSON_AddNumberToObject(counters, sl_stat_name(s), (double)v[s]);
		else
			printf("%-20s %llu\n", sl_stat_name(s), (unsigned long long)v[s]);
	}
	if (!err)
		err = collect_agents(&m, agents);
	if (err)
		pr_warn("sluicectl stats: %s\n", strerror(-err));
	else if (o)
		print_json(o), o = NULL;
	cJSON_Delete(o);
	sl_maps_close(&m);
	return err ? EXIT_FAIL : EXIT_OK;
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
	if (json_out)
		print_json(event_json(e, src, dst));
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
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", control_path);
	live = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return live;
}

static int events_opt(int opt, const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || v < 0 || !*arg) {
		fprintf(stderr, "sluicectl events: --%s takes a whole number, not '%s'\n",
			opt == 'n' ? "count" : "timeout", arg);
		return -EINVAL;
	}
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

static int do_events(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct ring_buffer *rb;
	struct sl_maps m;
	int err;

	if (parse_opts(argc, argv, "n:t:", longs, events_opt) || optind != argc)
		return EXIT_USAGE;
	if (daemon_holds_ring()) {
		fprintf(stderr, "sluicectl events: sluiced is reading the event ring buffer; "
			"read its audit log instead: journalctl -t sluiced -f\n");
		return EXIT_FAIL;
	}
	if (open_maps(&m))
		return EXIT_FAIL;
	rb = ring_buffer__new(m.events, handle_event, NULL, NULL);
	if (!rb) {
		pr_warn("sluicectl events: cannot open the ring buffer: %s\n", strerror(errno));
		sl_maps_close(&m);
		return EXIT_FAIL;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = poll_events(rb);
	ring_buffer__free(rb);
	sl_maps_close(&m);
	if (err)
		pr_warn("sluicectl events: %s\n", strerror(-err));
	return err ? EXIT_FAIL : EXIT_OK;
}

/* --- status / sources ---------------------------------------------------------- */

static void status_text(const struct sl_config *cfg, const struct sl_attachment *at, int n)
{
	unsigned int ports = 0;

	for (size_t w = 0; w < SL_PORT_WORDS; w++)
		ports += (unsigned int)__builtin_popcountll(cfg->ports[w]);
	printf("policy generation %llu, %s mode, %u protected ports, %u exact / %u v4 / %u v6 "
	       "source entries (exact filter %s), %u events/s per CPU\n",
	       (unsigned long long)cfg->generation,
	       cfg->flags & SL_CFG_F_MONITOR ? "monitor" : "enforce", ports,
	       cfg->n_exact_v4 + cfg->n_exact_v6, cfg->n_prefix_v4, cfg->n_prefix_v6,
	       cfg->flags & SL_CFG_F_EXACT_FILTER ? "armed" : "off", cfg->events_per_sec);
	for (int i = 0; i < n; i++)
		printf("attached: %s %s\n", at[i].ifname, at[i].hook);
}

static cJSON *status_json(const struct sl_config *cfg, const struct sl_attachment *at, int n)
{
	cJSON *o = cJSON_CreateObject(), *arr, *ports;

	cJSON_AddNumberToObject(o, "generation", (double)cfg->generation);
	cJSON_AddBoolToObject(o, "monitor", cfg->flags & SL_CFG_F_MONITOR);
	cJSON_AddBoolToObject(o, "exact_filter", cfg->flags & SL_CFG_F_EXACT_FILTER);
	cJSON_AddNumberToObject(o, "events_per_sec", cfg->events_per_sec);
	ports = cJSON_AddArrayToObject(o, "protected_ports");
	for (int p = 0; p < 65536; p++)
		if (cfg->ports[p / 64] & (1ULL << (p % 64)))
			cJSON_AddItemToArray(ports, cJSON_CreateNumber(p));
	arr = cJSON_AddArrayToObject(o, "attached");
	for (int i = 0; i < n; i++) {
		cJSON *a = cJSON_CreateObject();

		cJSON_AddStringToObject(a, "interface", at[i].ifname);
		cJSON_AddStringToObject(a, "hook", at[i].hook);
		cJSON_AddItemToArray(arr, a);
	}
	return o;
}

static int do_status(int argc, char **argv)
{
	struct sl_attachment at[64];
	struct sl_config cfg;
	struct sl_maps m;
	int n, err;

	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind != argc)
		return EXIT_USAGE;
	if (open_maps(&m))
		return EXIT_FAIL;
	err = sl_maps_read_config(&m, &cfg);
	n = sl_list_attachments(pin_dir, at, sizeof(at) / sizeof(at[0]));
	sl_maps_close(&m);
	if (err || n < 0) {
		pr_warn("sluicectl status: %s\n", strerror(-(err ? err : n)));
		return EXIT_FAIL;
	}
	if (json_out)
		print_json(status_json(&cfg, at, n));
	else
		status_text(&cfg, at, n);
	return EXIT_OK;
}

static cJSON *source_json(const struct srctab_entry *e, const char *pfx, __u64 now)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "prefix", pfx);
	cJSON_AddBoolToObject(o, "policy_deny", e->val.own & SL_SRC_POLICY_DENY);
	cJSON_AddBoolToObject(o, "blocked", e->val.own & SL_SRC_BLOCK);
	cJSON_AddNumberToObject(o, "blocked_for_s", e->val.own & SL_SRC_BLOCK ?
				(double)seconds_left(e->val.block_until_ns, now) : 0);
	cJSON_AddBoolToObject(o, "identity", e->val.own & SL_SRC_IDENT);
	cJSON_AddNumberToObject(o, "agent_id", e->val.own_agent_id);
	cJSON_AddBoolToObject(o, "denied", e->val.eff_deny_until_ns != 0);
	cJSON_AddNumberToObject(o, "effective_agent_id", e->val.eff_agent_id);
	return o;
}

static int do_sources(int argc, char **argv)
{
	struct srctab t = {};
	struct sl_maps m;
	cJSON *arr = NULL;
	__u64 now = sl_now_ns();
	int err;

	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind != argc)
		return EXIT_USAGE;
	if (open_maps(&m))
		return EXIT_FAIL;
	err = sl_maps_read_srctab(&m, &t);
	sl_maps_close(&m);
	if (err) {
		pr_warn("sluicectl sources: %s\n", strerror(-err));
		srctab_free(&t);
		return EXIT_FAIL;
	}
	/* Recompute the effective fields (the maps' own are what the kernel reads;
	 * read back, only the reasons come along) and sort. */
	srctab_compile(&t, now);
	if (json_out)
		arr = cJSON_CreateArray();
	for (size_t i = 0; i < t.n; i++) {
		const struct srctab_entry *e = &t.v[i];
		char pfx[SL_PREFIX_STRLEN];

		sl_prefix_format(&e->pfx, pfx, sizeof(pfx));
		if (arr)
			cJSON_AddItemToArray(arr, source_json(e, pfx, now));
		else
			printf("%-44s%s%s%s%s agent=%u\n", pfx,
			       e->val.own & SL_SRC_POLICY_DENY ? " deny" : "",
			       e->val.own & SL_SRC_BLOCK ? " blocked" : "",
			       e->val.own & SL_SRC_IDENT ? " ident" : "",
			       e->val.eff_deny_until_ns ? " (denied)" : "", e->val.eff_agent_id);
	}
	if (arr)
		print_json(arr);
	srctab_free(&t);
	return EXIT_OK;
}

/* --- the daemon ------------------------------------------------------------------- */

/* Sends one control request to sluiced; its "ok ..." / "error ..." answer decides. */
static int daemon_request(const char *what)
{
	char answer[512];
	int err;

	err = control_request(control_path, what, answer, sizeof(answer), 10000);
	if (err) {
		fprintf(stderr, "sluicectl %s: cannot reach sluiced at %s: %s\n", what, control_path,
			strerror(-err));
		return EXIT_FAIL;
	}
	if (strncmp(answer, "ok", 2)) {
		fprintf(stderr, "sluicectl %s: %s\n", what, answer);
		return EXIT_FAIL;
	}
	printf("%s\n", answer[2] == ' ' ? answer + 3 : answer);
	return EXIT_OK;
}

static int do_reload(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind != argc)
		return EXIT_USAGE;
	return daemon_request("reload");
}

static int do_daemon(int argc, char **argv)
{
	if (parse_opts(argc, argv, NULL, NULL, NULL) || optind != argc)
		return EXIT_USAGE;
	return daemon_request("status");
}

/* --- the table ------------------------------------------------------------------ */

static const struct cmd commands[] = {
	{ "attach", do_attach, "IFACE... [--mode native|generic|tc] | --policy FILE",
	  "load and attach; pinned, so enforcement outlives sluicectl" },
	{ "detach", do_detach, "IFACE...", "remove what attach made (the last one removes the pins)" },
	{ "policy", do_policy, "check|load FILE [--json]", "check a policy, or load it into the maps" },
	{ "block", do_block, "CIDR [--for DURATION]", "drop a source prefix at the protected ports" },
	{ "unblock", do_unblock, "CIDR", "remove a block" },
	{ "ban", do_ban, "AGENT [--for DURATION]", "drop an agent's traffic in the kernel" },
	{ "unban", do_unban, "AGENT", "lift a ban" },
	{ "stats", do_stats, "[--json]", "verdict, reason and per-agent counters" },
	{ "events", do_events, "[--json] [--count N] [--timeout S]", "follow the kernel's ring buffer" },
	{ "status", do_status, "[--json]", "attachments and the loaded configuration" },
	{ "sources", do_sources, "[--json]", "the source table: deny, blocks, identities" },
	{ "reload", do_reload, "", "make sluiced re-read its policy (a policy that fails stays out)" },
	{ "daemon", do_daemon, "", "sluiced's status: pid, policy generation, listener, workers" },
	{}
};

static const struct cmd *find_cmd(const struct cmd *table, const char *name)
{
	for (const struct cmd *c = table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void usage_table(FILE *out, const char *prefix, const struct cmd *table)
{
	fprintf(out, "usage: %s COMMAND [ARGS]\n\n", prefix);
	for (const struct cmd *c = table; c->name; c++)
		fprintf(out, "  %-8s %-50s %s\n", c->name, c->args, c->help);
}

static void usage(FILE *out)
{
	usage_table(out, "sluicectl [--pin-dir DIR] [--control SOCKET] [-v]", commands);
	fprintf(out, "\nexit status: 0 ok, 1 failed, 2 usage\n");
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int i = 1, rc;

	sl_log_hook_libbpf();
	if (getenv("SLUICE_PIN_DIR"))
		pin_dir = getenv("SLUICE_PIN_DIR");
	if (getenv("SLUICE_CONTROL"))
		control_path = getenv("SLUICE_CONTROL");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			sl_log_set_level(SL_LOG_DEBUG);
		} else if (!strcmp(argv[i], "--pin-dir") && i + 1 < argc) {
			pin_dir = argv[++i];
		} else if (!strcmp(argv[i], "--control") && i + 1 < argc) {
			control_path = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			fprintf(stderr, "sluicectl: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	c = i < argc ? find_cmd(commands, argv[i]) : NULL;
	if (!c) {
		if (i < argc)
			fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = c->fn(argc - i, argv + i);
	if (rc == EXIT_USAGE)
		fprintf(stderr, "usage: sluicectl %s %s\n", c->name, c->args);
	return rc;
}
