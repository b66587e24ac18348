// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluiced - the sluice daemon.
 *
 * This first cut owns the kernel side of a running gateway: it checks the
 * policy, loads its kernel part into the pinned maps (when sluice is
 * attached), follows the ring buffer and logs every kernel event, and
 * reloads on SIGHUP (a policy that fails its check leaves the running one).
 * The MCP proxy joins this loop in the proxy issue.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/signalfd.h>
#include <bpf/libbpf.h>

#include "ev.h"
#include "log.h"
#include "maps.h"
#include "names.h"
#include "policy.h"

struct daemon {
	const char *policy_path;
	const char *pin_dir;
	struct policy *policy;
	struct sl_maps maps;
	bool have_maps;
	struct ring_buffer *ring;
	struct ev_loop *loop;
	int sig_fd;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sluiced --policy FILE [--pin-dir DIR] [-v]\n\n"
		"  --policy FILE   the policy to enforce (checked before anything starts)\n"
		"  --pin-dir DIR   where sluicectl attach pinned the maps (default %s)\n"
		"  -v              debug logging\n", SL_PIN_DIR);
}

/* Loads the kernel part of @pol when sluice is attached; a daemon without
 * an attached kernel half still runs (it is then L7 only). */
static int apply_kernel(struct daemon *d, const struct policy *pol)
{
	struct sl_apply_report rep;
	int err;

	if (!d->have_maps)
		return 0;
	err = sl_maps_lock(&d->maps);
	if (!err)
		err = sl_maps_apply_policy(&d->maps, pol, &rep);
	sl_maps_unlock(&d->maps);
	if (err) {
		pr_warn("sluiced: cannot load the policy into the maps: %s\n", strerror(-err));
		return err;
	}
	pr_info("sluiced: kernel policy generation %llu: %u source entries, %u agents added, "
		"%u updated, %u removed\n", (unsigned long long)rep.generation, rep.src_total,
		rep.agents_added, rep.agents_updated, rep.agents_removed);
	return 0;
}

static struct policy *check_policy(const char *path)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;

	if (!policy_load_file(path, &pol, &errs))
		return pol;
	pol_errors_print(&errs, path, stderr);
	pol_errors_free(&errs);
	return NULL;
}

/* SIGHUP: the new policy replaces the old only when it checks and loads. */
static void reload(struct daemon *d)
{
	struct policy *pol = check_policy(d->policy_path);

	if (!pol) {
		pr_warn("sluiced: reload refused: %s does not check; the running policy stays\n",
			d->policy_path);
		return;
	}
	if (apply_kernel(d, pol)) {
		policy_free(pol);
		return;
	}
	policy_free(d->policy);
	d->policy = pol;
	pr_info("sluiced: reloaded %s\n", d->policy_path);
}

static int log_event(void *ctx, void *data, size_t size)
{
	const struct sl_event *e = data;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = e->family == SL_AF_INET6 ? AF_INET6 : AF_INET;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	inet_ntop(af, e->saddr, src, sizeof(src));
	inet_ntop(af, e->daddr, dst, sizeof(dst));
	pr_info("kernel: %s%s reason=%s src=%s:%u dst=%s:%u agent=%u ifindex=%u suppressed=%u\n",
		e->flags & SL_EV_F_MONITOR ? "would-" : "", sl_verdict_name(e->verdict),
		sl_reason_name(e->reason), src, ntohs(e->sport), dst, ntohs(e->dport),
		e->agent_id, e->ifindex, e->suppressed);
	return 0;
}

static void on_ring(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct daemon *d = data;

	(void)loop, (void)fd, (void)events;
	ring_buffer__consume(d->ring);
}

static void on_signal(struct ev_loop *loop, int fd, unsigned int events, void *data)
{
	struct signalfd_siginfo si;
	struct daemon *d = data;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
		} else {
			pr_info("sluiced: signal %u, stopping\n", si.ssi_signo);
			ev_stop(loop);
		}
	}
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		return -errno;
	return ev_watch(d->loop, d->sig_fd, EV_READ, on_signal, d);
}

static int setup_ring(struct daemon *d)
{
	if (!d->have_maps)
		return 0;
	d->ring = ring_buffer__new(d->maps.events, log_event, d, NULL);
	if (!d->ring)
		return -errno;
	return ev_watch(d->loop, ring_buffer__epoll_fd(d->ring), EV_READ, on_ring, d);
}

static int parse_args(int argc, char **argv, struct daemon *d)
{
	static const struct option longs[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "p:d:vh", longs, NULL)) != -1) {
		switch (opt) {
		case 'p': d->policy_path = optarg; break;
		case 'd': d->pin_dir = optarg; break;
		case 'v': sl_log_set_level(SL_LOG_DEBUG); break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	return d->policy_path && optind == argc ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct daemon d = { .pin_dir = SL_PIN_DIR, .sig_fd = -1 };
	int err;

	sl_log_hook_libbpf();
	if (parse_args(argc, argv, &d)) {
		usage(stderr);
		return 2;
	}
	d.policy = check_policy(d.policy_path);
	if (!d.policy)
		return 1;
	d.have_maps = !sl_maps_open(&d.maps, d.pin_dir);
	if (!d.have_maps)
		pr_info("sluiced: no kernel half attached; running without it\n");
	d.loop = ev_loop_new(1024);
	err = d.loop ? 0 : -ENOMEM;
	if (!err)
		err = apply_kernel(&d, d.policy);
	if (!err)
		err = setup_signals(&d);
	if (!err)
		err = setup_ring(&d);
	if (!err) {
		pr_info("sluiced: running with %s\n", d.policy_path);
		err = ev_run(d.loop);
	}
	if (err)
		pr_warn("sluiced: %s\n", strerror(-err));
	ring_buffer__free(d.ring);
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	ev_loop_free(d.loop);
	if (d.have_maps)
		sl_maps_close(&d.maps);
	policy_free(d.policy);
	return err ? 1 : 0;
}
