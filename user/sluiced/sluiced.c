// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluiced - the sluice daemon.
 *
 * The main thread owns control: the policy (checked, then installed as an
 * immutable reference-counted object), its kernel part in the pinned maps
 * when sluice is attached, the kernel's event ring buffer, SIGHUP and the
 * control socket.  Worker threads (worker.h) serve MCP traffic; a reload
 * swaps the policy under them without dropping a connection.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <bpf/libbpf.h>

#include "base/control.h"
#include "base/ev.h"
#include "base/jarena.h"
#include "base/log.h"
#include "kern/maps.h"
#include "kern/names.h"
#include "policy/policy.h"
#include "admin.h"
#include "audit.h"
#include "gate.h"
#include "gwconf.h"
#include "kernel.h"
#include "kevents.h"
#include "ledger.h"
#include "metrics.h"
#include "sampler.h"
#include "service.h"
#include "worker.h"

struct daemon {
	const char *policy_path;
	const char *pin_dir;
	const char *control_path;
	struct gw_overrides ov;
	unsigned int workers;	/* --workers; 0: the policy's, else one per core */
	struct sl_maps maps;
	bool have_maps;
	struct ring_buffer *ring;
	struct kevents *kev;	/* the ring's events, summarised into audit records */
	struct ev_loop *loop;
	int sig_fd;
	struct ev_timer ledger_timer;	/* once a second: the ledger's losses */
	bool have_ledger;
	struct ev_timer maps_timer;	/* once a second: are our maps still pinned? */
	bool maps_unloaded;	/* maps followed whose policy load failed: retried */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sluiced --policy FILE [--listen HOST:PORT] [--backend URL]\n"
		"               [--workers N] [--pin-dir DIR] [--usage-db PATH]\n"
		"               [--audit-spool PATH] [-v]\n\n"
		"  --policy FILE     the policy to enforce (checked before anything starts)\n"
		"  --listen H:P      data port instead of the policy's (default 127.0.0.1:8470)\n"
		"  --backend URL     one backend (http://host:port/path) instead of the policy's\n"
		"  --workers N       worker threads (default: the policy's, else one per core)\n"
		"  --pin-dir DIR     the kernel half's pins (sluicectl attach, or sluiced\n"
		"                    itself per the policy's kernel.interfaces)\n"
		"                    (default $SLUICE_PIN_DIR, else %s)\n"
		"  --control PATH    control socket (default $SLUICE_CONTROL, else %s)\n"
		"  --usage-db PATH   the usage ledger instead of the policy's usage.path\n"
		"                    (default $SLUICE_USAGE_DB, else usage.path, else\n"
		"                    " USAGE_DEFAULT_PATH "); its directory is made\n"
		"  --audit-spool PATH  the audit spool instead of the policy's audit.spool\n"
		"                    (default $SLUICE_AUDIT_SPOOL, else audit.spool, else\n"
		"                    " GW_AUDIT_SPOOL ")\n"
		"  -v                debug logging\n", SL_PIN_DIR, SL_CONTROL_SOCKET);
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

/*
 * Descriptors: the usual soft limit (1024) is below the default
 * max_connections, so the soft limit goes up to the hard one at start.
 * A client connection can hold two (its own and its backend's), and each
 * worker keeps up to pool_size idle connections per backend.
 */
#define NOFILE_SPARE 64		/* listeners, control, ring, log, the accept spare */

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			pr_warn("sluiced: cannot raise the descriptor limit from %llu: %s\n",
				(unsigned long long)was, strerror(errno));
		}
	}
}

static void check_nofile(const struct gw_config *cfg, unsigned int workers)
{
	struct rlimit rl;
	unsigned long long need = 2ULL * cfg->max_connections + NOFILE_SPARE;

	for (size_t i = 0; i < cfg->n_backends; i++)
		need += (unsigned long long)workers * cfg->backends[i].pool_size;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || need <= rl.rlim_cur)
		return;
	pr_warn("sluiced: max_connections %u cannot fit in the descriptor limit %llu "
		"(about %llu needed with the backends' pools); raise the hard limit "
		"(LimitNOFILE=) or lower max_connections\n", cfg->max_connections,
		(unsigned long long)rl.rlim_cur, need);
}

/* Checks the policy file and builds the daemon's view; NULL and @why when unusable. */
static struct gw_policy *load_policy(struct daemon *d, char *why, size_t len)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;
	struct gw_policy *gp;

	if (policy_load_file(d->policy_path, &pol, &errs)) {
		pol_errors_print(&errs, d->policy_path, stderr);
		snprintf(why, len, "%s: %zu error%s, first %d:%d: %.200s", d->policy_path, errs.n,
			 errs.n == 1 ? "" : "s", errs.n ? errs.v[0].line : 0,
			 errs.n ? errs.v[0].col : 0, errs.n ? errs.v[0].msg : "unreadable");
		pol_errors_free(&errs);
		return NULL;
	}
	gp = gw_policy_build(pol, &d->ov, why, len);
	if (gp && decide_open_gateway(gp->model))
		pr_warn("sluiced: %s: policy has no agents: OPEN GATEWAY, every caller may "
			"call every tool\n", d->policy_path);
	return gp;
}

static int reload_policy(struct daemon *d, char *why, size_t len);

/* SIGHUP and `sluicectl reload`: the new policy replaces the old only when it
 * checks and loads; the listeners stay (a new listen address needs a restart). */
static int reload(struct daemon *d, char *why, size_t len)
{
	int err;

	ledger_flush();		/* whatever comes of it, what was used is on disk */
	service_reloading();
	err = reload_policy(d, why, len);
	admin_reloaded(!err);
	service_ready(err ? "reload refused; the running policy stays" : "reloaded");
	return err;
}

/* A reload refused after its kernel part went into the maps: they hold a
 * policy that is not running, and the maps timer loads the running one
 * back (as into maps pinned anew). */
static void maps_hold_refused(struct daemon *d)
{
	if (!d->have_maps)
		return;
	d->maps_unloaded = true;
	sampler_kernel_loaded(false);
}

static int reload_policy(struct daemon *d, char *why, size_t len)
{
	bool was_unloaded = d->maps_unloaded;
	struct gw_policy *gp, *cur;
	int err;

	gp = load_policy(d, why, len);
	if (!gp) {
		pr_warn("sluiced: reload refused, the running policy stays: %s\n", why);
		return -EINVAL;
	}
	if (d->have_maps)
		kernel_attach(d->pin_dir, gp->pol, true);
	if (apply_kernel(d, gp->pol)) {
		snprintf(why, len, "cannot load the kernel part into the maps");
		gw_policy_put(gp);
		return -EIO;
	}
	if (kernel_policy(gp)) {
		snprintf(why, len, "cannot look the agents up in the maps");
		maps_hold_refused(d);
		gw_policy_put(gp);
		return -EIO;
	}
	cur = gw_policy_current();
	if (strcmp(cur->cfg.listen_str, gp->cfg.listen_str))
		pr_warn("sluiced: listen address change to %s needs a restart; still on %s\n",
			gp->cfg.listen_str, cur->cfg.listen_str);
	gw_policy_put(cur);
	err = audit_set_sinks(&(struct audit_sinks){ gp->cfg.audit_path[0] ? gp->cfg.audit_path :
						     NULL, gp->cfg.audit_journald });
	if (err) {
		snprintf(why, len, "cannot open the audit file %.200s: %s", gp->cfg.audit_path,
			 strerror(-err));
		pr_warn("sluiced: reload refused, the running policy stays: %s\n", why);
		maps_hold_refused(d);
		gw_policy_put(gp);
		return -EIO;
	}
	check_nofile(&gp->cfg, d->workers);
	gw_policy_install(gp);
	/* Maps pinned anew that had none of the policy get what the old maps
	 * held beside it too: the bans sluiced holds, the learned sources. */
	if (was_unloaded && d->have_maps)
		kernel_maps_renewed(gp->pol);
	d->maps_unloaded = false;
	sampler_kernel_loaded(true);
	ledger_policy(&gp->cfg);
	snprintf(why, len, "generation %lu", gp->generation);
	pr_info("sluiced: reloaded %s (%s)\n", d->policy_path, why);
	return 0;
}

static void follow_maps(struct daemon *d);

static void on_control(void *ctx, const char *line, char *out, size_t len)
{
	struct daemon *d = ctx;
	char why[400];

	follow_maps(d);	/* a request finds the maps as they are pinned now */
	if (!strcmp(line, "reload")) {
		int err = reload(d, why, sizeof(why));

		snprintf(out, len, "%s %s", err ? "error" : "ok", why);
	} else if (!strcmp(line, "status")) {
		struct gw_policy *gp = gw_policy_current();

		snprintf(out, len, "ok pid %d generation %lu listen %s workers %u", (int)getpid(),
			 gp->generation, gp->cfg.listen_str, d->workers);
		gw_policy_put(gp);
	} else if (!strncmp(line, "ban ", 4) || !strncmp(line, "unban ", 6)) {
		kernel_control(line, out, len);
	} else {
		snprintf(out, len, "error unknown command '%.64s' (reload, status, ban, unban)",
			 line);
	}
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
	char why[400];

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d, why, sizeof(why));
		} else if (si.ssi_signo == SIGUSR1) {
			audit_reopen();	/* logrotate moved the file */
		} else {
			pr_info("sluiced: signal %u, stopping\n", si.ssi_signo);
			service_stopping();
			ev_stop(loop);
		}
	}
}

static void handled_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
}

/* Blocked first thing, before any thread starts (workers, the audit
 * writer), so they all inherit the mask and only the main thread's
 * signalfd sees them: a SIGHUP delivered to another thread would kill. */
static int block_signals(void)
{
	sigset_t set;

	handled_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);	/* a peer gone mid-write is an EPIPE, not a death */
	return 0;
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	handled_signals(&set);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		return -errno;
	return ev_watch(d->loop, d->sig_fd, EV_READ, on_signal, d);
}

static int setup_ring(struct daemon *d)
{
	if (!d->have_maps)
		return 0;
	/* Once: maps pinned anew (a detach and attach) keep the summariser. */
	if (!d->kev) {
		d->kev = kevents_new(&d->maps, audit_line);
		if (!d->kev || kevents_start_timer(d->kev, d->loop))
			return -ENOMEM;
	} else {
		kevents_rebase(d->kev);
	}
	d->ring = ring_buffer__new(d->maps.events, kevents_on_event, d->kev, NULL);
	if (!d->ring)
		return -errno;
	return ev_watch(d->loop, ring_buffer__epoll_fd(d->ring), EV_READ, on_ring, d);
}

/*
 * The last detach unpins the maps and an attach after it pins new, empty
 * ones (switching native <-> generic takes both): writes to the maps we
 * hold would go nowhere.  Follow the pins, and give new maps the policy.
 */
static int follow_swap(void *arg)
{
	struct daemon *d = arg;

	return sl_maps_follow(&d->maps, d->pin_dir);
}

/*
 * The running policy into maps pinned anew (or back into maps a refused
 * reload wrote).  Until it is in, they do not enforce it (new maps: no
 * deny list, no bans): a failure is retried every second by the maps
 * timer, loudly, never left as it is.
 */
static void load_into_maps(struct daemon *d)
{
	struct gw_policy *gp = gw_policy_current();
	int err = apply_kernel(d, gp->pol);

	if (!err)
		kernel_maps_renewed(gp->pol);
	gw_policy_put(gp);
	if (err && !d->maps_unloaded)
		pr_warn("sluiced: the maps pinned at %s do not hold the running policy; trying "
			"again every second\n", d->pin_dir);
	else if (!err && d->maps_unloaded)
		pr_info("sluiced: the policy is in the maps pinned at %s\n", d->pin_dir);
	d->maps_unloaded = err != 0;
	sampler_kernel_loaded(!err);
}

static void follow_maps(struct daemon *d)
{
	int state;

	/* Checked without the lock first: only this thread changes d->maps,
	 * and the workers' tags need not wait on a check's syscalls each
	 * second.  Workers write tags through these descriptors: swapped
	 * under the kernel module's lock (a closed or reused descriptor, an
	 * unmapped config page, would be theirs otherwise). */
	if (!sl_maps_moved(&d->maps, d->pin_dir))
		return;
	state = kernel_maps_swap(follow_swap, d);

	if (state < 0 || state == SL_MAPS_KEPT)
		return;
	if (d->ring) {
		ev_unwatch(d->loop, ring_buffer__epoll_fd(d->ring));
		ring_buffer__free(d->ring);
		d->ring = NULL;
	}
	d->have_maps = state == SL_MAPS_OPENED;
	d->maps_unloaded = false;
	sampler_kernel_loaded(true);
	if (!d->have_maps) {
		pr_info("sluiced: the kernel half was detached; running without it\n");
		return;
	}
	pr_info("sluiced: new maps pinned at %s: loading the policy into them\n", d->pin_dir);
	load_into_maps(d);
	if (setup_ring(d))
		pr_warn("sluiced: cannot read kernel events from the new maps\n");
}

static void on_maps_timer(struct ev_loop *loop, void *data)
{
	struct daemon *d = data;

	follow_maps(d);
	if (d->have_maps && d->maps_unloaded)
		load_into_maps(d);
	ev_timer_arm(loop, &d->maps_timer, 1000);
}

/* The variables sluicectl reads, so that one setting serves both; set but
 * empty counts as set, as there.  The flags, parsed after, still win. */
static void env_defaults(struct daemon *d)
{
	const char *v;

	if ((v = getenv("SLUICE_PIN_DIR")))
		d->pin_dir = v;
	if ((v = getenv("SLUICE_CONTROL")))
		d->control_path = v;
	if ((v = getenv("SLUICE_USAGE_DB")))
		d->ov.usage_db = v;
	if ((v = getenv("SLUICE_AUDIT_SPOOL")))
		d->ov.audit_spool = v;
}

static int parse_args(int argc, char **argv, struct daemon *d)
{
	static const struct option longs[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "backend", required_argument, NULL, 'b' },
		{ "workers", required_argument, NULL, 'w' },
		{ "control", required_argument, NULL, 'c' },
		{ "usage-db", required_argument, NULL, 'u' },
		{ "audit-spool", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "p:d:l:b:w:c:u:a:vh", longs, NULL)) != -1) {
		switch (opt) {
		case 'p': d->policy_path = optarg; break;
		case 'd': d->pin_dir = optarg; break;
		case 'l': d->ov.listen = optarg; break;
		case 'b': d->ov.backend_url = optarg; break;
		case 'c': d->control_path = optarg; break;
		case 'u': d->ov.usage_db = optarg; break;
		case 'a': d->ov.audit_spool = optarg; break;
		case 'w':
			d->workers = (unsigned int)strtoul(optarg, NULL, 10);
			if (!d->workers || d->workers > 256)
				return -EINVAL;
			break;
		case 'v': sl_log_set_level(SL_LOG_DEBUG); break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
	}
	return d->policy_path && optind == argc ? 0 : -EINVAL;
}

static unsigned int worker_count(const struct daemon *d, const struct gw_policy *gp)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (d->workers)
		return d->workers;
	if (gp->cfg.workers)
		return gp->cfg.workers;
	return cores > 0 ? (unsigned int)cores : 1;
}

static void on_ledger_timer(struct ev_loop *loop, void *data)
{
	struct daemon *d = data;

	ledger_tick();
	ev_timer_arm(loop, &d->ledger_timer, 1000);
}

/* What was spent this UTC day and month (@by, from @day_s and @month_s)
 * into the budgets of @gp. */
static void seed_from(struct gw_policy *gp, enum usage_by by, __s64 day_s, __s64 month_s)
{
	struct usage_report day = {}, month = {};
	char why[200];

	if (!usage_read(gp->cfg.usage_path, by, month_s, false, &month, why, sizeof(why)) &&
	    !usage_read(gp->cfg.usage_path, by, day_s, false, &day, why, sizeof(why)))
		for (size_t i = 0; i < month.n; i++) {
			double today = 0;
			const char *key = month.rows[i].key;

			for (size_t k = 0; k < day.n; k++)
				if (!strcmp(day.rows[k].key, key))
					today = day.rows[k].sum.cost;
			decide_limiter_seed(gp->limiter, by == USAGE_BY_AGENT ? key : NULL,
					    by == USAGE_BY_CUSTOMER ? key : NULL, today,
					    month.rows[i].sum.cost, gate_now_ns());
		}
	usage_report_free(&day);
	usage_report_free(&month);
}

/* Budgets start from what the ledger says was spent this UTC day and month,
 * so a restart forgets nothing (a reload carries the spends itself). */
static void seed_budgets(struct gw_policy *gp)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	seed_from(gp, USAGE_BY_AGENT, now - now % 86400, timegm(&tm));
	seed_from(gp, USAGE_BY_CUSTOMER, now - now % 86400, timegm(&tm));
}

/* Opened before any worker runs: a ledger that cannot open stops the start. */
static int start_ledger(struct daemon *d, const struct gw_config *cfg)
{
	char why[400];
	int err = ledger_open(cfg, why, sizeof(why));

	if (err) {
		pr_warn("sluiced: cannot open the usage ledger %s: %s\n", cfg->usage_path, why);
		return -EINVAL;
	}
	d->have_ledger = true;
	pr_info("sluiced: usage ledger %s (%u days kept)\n", cfg->usage_path,
		cfg->usage_retention_days);
	ev_timer_init(&d->ledger_timer, on_ledger_timer, d);
	return ev_timer_arm(d->loop, &d->ledger_timer, 1000);
}

static int start(struct daemon *d)
{
	struct gw_policy *gp;
	char why[400];
	int err;

	gp = load_policy(d, why, sizeof(why));
	if (!gp) {
		pr_warn("sluiced: %s\n", why);
		return -EINVAL;
	}
	kernel_attach(d->pin_dir, gp->pol, false);
	d->have_maps = !sl_maps_open(&d->maps, d->pin_dir);
	if (!d->have_maps)
		pr_info("sluiced: no kernel half attached; running without it\n");
	err = kernel_init(&d->maps, d->have_maps);
	if (!err)
		err = apply_kernel(d, gp->pol);
	if (!err)
		err = kernel_policy(gp);
	if (err) {
		gw_policy_put(gp);
		return err;
	}
	err = audit_start(&(struct audit_sinks){ gp->cfg.audit_path[0] ? gp->cfg.audit_path : NULL,
						 gp->cfg.audit_journald, gp->cfg.audit_spool });
	if (err) {
		pr_warn("sluiced: cannot open the audit file %s: %s\n", gp->cfg.audit_path,
			strerror(-err));
		gw_policy_put(gp);
		return -EINVAL;
	}
	gw_policy_install(gp);
	d->workers = worker_count(d, gp);
	raise_nofile();
	check_nofile(&gp->cfg, d->workers);
	d->loop = ev_loop_new(1024);
	if (!d->loop)
		return -ENOMEM;
	err = setup_signals(d);
	if (!err)
		err = kernel_watch(d->loop, worker_notify_bans);
	if (!err)
		err = start_ledger(d, &gp->cfg);
	if (!err)
		seed_budgets(gp);
	if (!err)
		err = setup_ring(d);
	if (!err) {
		ev_timer_init(&d->maps_timer, on_maps_timer, d);
		err = ev_timer_arm(d->loop, &d->maps_timer, 1000);
	}
	if (!err)
		err = control_listen(d->loop, d->control_path, on_control, d);
	if (!err)
		err = admin_start(d->loop, &gp->cfg, &d->maps);
	if (!err)
		err = service_init(d->loop);
	if (err)
		return err;
	err = worker_start_all(d->workers, &gp->cfg.listen);
	if (err) {
		pr_warn("sluiced: cannot listen on %s: %s\n", gp->cfg.listen_str, strerror(-err));
		return err;
	}
	service_ready("serving");
	pr_info("sluiced: %s: listening on %s, %u workers, default backend %s\n",
		d->policy_path, gp->cfg.listen_str, d->workers,
		gp->cfg.backends[gp->cfg.default_backend].authority);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .pin_dir = SL_PIN_DIR, .control_path = SL_CONTROL_SOCKET, .sig_fd = -1 };
	int err;

	sl_log_hook_libbpf();
	jarena_install();
	env_defaults(&d);
	if (parse_args(argc, argv, &d)) {
		usage(stderr);
		return 2;
	}
	err = block_signals();
	if (!err)
		err = start(&d);
	if (!err) {
		err = ev_run(d.loop);
		worker_stop_all();
	}
	/* After the workers: every call they finished is committed (SIGTERM). */
	if (d.have_ledger)
		ledger_close();
	if (err && err != -EINVAL)
		pr_warn("sluiced: %s\n", strerror(-err));
	admin_stop();
	if (d.loop)
		control_close(d.loop, d.control_path);
	kernel_fini();
	if (d.ring)
		ring_buffer__consume(d.ring);	/* the last period's events are summarised too */
	if (d.kev) {
		kevents_stop_timer(d.kev, d.loop);
		kevents_flush(d.kev);
	}
	ring_buffer__free(d.ring);
	kevents_free(d.kev);
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	ev_loop_free(d.loop);
	if (d.have_maps)
		sl_maps_close(&d.maps);
	gw_policy_uninstall();	/* the last exchanges' records are queued by now */
	audit_stop();
	metrics_free();
	return err ? 1 : 0;
}
