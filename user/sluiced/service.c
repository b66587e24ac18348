// SPDX-License-Identifier: GPL-2.0-only
/*
 * service.c - readiness and watchdog notifications (see service.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "service.h"
#include "worker.h"

static struct ev_timer watchdog_timer;
static uint64_t ping_ms;	/* 0: no watchdog */
static bool withheld;		/* the last ping was withheld: warned once */

static void on_watchdog(struct ev_loop *loop, void *data)
{
	(void)data;
	if (worker_all_beating()) {
		sd_notify(0, "WATCHDOG=1");
		if (withheld)
			pr_warn("sluiced: every worker turns again; watchdog pings resume\n");
		withheld = false;
	} else if (!withheld) {
		pr_warn("sluiced: a worker's loop has not turned for %llu ms; the watchdog "
			"ping is withheld\n", (unsigned long long)ping_ms);
		withheld = true;
	}
	ev_timer_arm(loop, &watchdog_timer, ping_ms);
}

int service_init(struct ev_loop *loop)
{
	uint64_t usec = 0;
	int on = sd_watchdog_enabled(0, &usec);

	if (on < 0)
		pr_warn("sluiced: WATCHDOG_USEC unreadable (%s); no watchdog\n", strerror(-on));
	if (on <= 0 || usec < 4000)
		return 0;
	/* Pings at half the interval, as systemd advises; each worker beats
	 * four times a ping, so one late beat never withholds a ping. */
	ping_ms = usec / 2000;
	worker_set_heartbeat(ping_ms / 4 ? ping_ms / 4 : 1);
	ev_timer_init(&watchdog_timer, on_watchdog, NULL);
	pr_info("sluiced: watchdog on: a ping every %llu ms\n", (unsigned long long)ping_ms);
	return ev_timer_arm(loop, &watchdog_timer, ping_ms);
}

void service_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void service_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

void service_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
