/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * control.h - the daemon's control socket (/run/sluice/sluiced.sock):
 * one request line, one answer, then close.  The socket is 0600 and every
 * peer's credentials are checked (root only), since it can reload policy.
 *
 *   reload  -> "ok generation N" | "error <why>"
 *   status  -> "ok pid P generation N workers W"
 */
#ifndef SL_CONTROL_H
#define SL_CONTROL_H

#include <stddef.h>

#include "ev.h"

#define SL_CONTROL_DIR		"/run/sluice"
#define SL_CONTROL_SOCKET	SL_CONTROL_DIR "/sluiced.sock"

/* Answers @line into @out (a line without its newline). */
typedef void (*control_fn)(void *ctx, const char *line, char *out, size_t len);

int control_listen(struct ev_loop *loop, const char *path, control_fn fn, void *ctx);
void control_close(struct ev_loop *loop, const char *path);
/* Client side (sluicectl): sends @line, reads the answer; -errno on failure. */
int control_request(const char *path, const char *line, char *out, size_t len, int timeout_ms);

#endif
