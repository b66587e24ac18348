/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * service.h - what sluiced tells its service manager (systemd, Type=notify).
 *
 * READY=1 once the listeners accept and the policy (with its kernel part)
 * is in force; RELOADING=1 then READY=1 around a reload, whether or not the
 * new policy was taken (STATUS= says which); STOPPING=1 at shutdown.  With
 * WatchdogSec= set, WATCHDOG=1 every half interval, but only while every
 * worker thread's loop still turns: a worker stuck in a request withholds
 * the ping, and systemd restarts the daemon.  Without NOTIFY_SOCKET (not
 * under systemd) every call is a no-op.
 */
#ifndef SL_SERVICE_H
#define SL_SERVICE_H

#include "base/ev.h"

/* Before the workers start: reads WATCHDOG_USEC and, when the watchdog is
 * on, sets the workers' heartbeat and arms the ping on @loop. */
int service_init(struct ev_loop *loop);
void service_ready(const char *status);
void service_reloading(void);
void service_stopping(void);

#endif
