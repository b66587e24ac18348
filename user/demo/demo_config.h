/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_config.h - the demo backend's command-line settings.  Types only:
 * sluice-demo-backend.c fills one in, and every layer of the server reads
 * it (the worker its address, a connection --verbose, a job --sse-delay-ms).
 */
#ifndef SL_DEMO_CONFIG_H
#define SL_DEMO_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct demo_config {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	unsigned int workers;
	uint32_t sse_delay_ms;	/* between the events of a POST's SSE answer */
	bool verbose;		/* one log line per request */
};

#endif
