// SPDX-License-Identifier: GPL-2.0-only
/* log.c - stderr logging with a level, and libbpf's messages routed through it. */
#include <stdio.h>
#include <bpf/libbpf.h>

#include "log.h"

static enum sl_log_level log_level = SL_LOG_INFO;
static sl_log_sink log_sink;

void sl_log_set_level(enum sl_log_level level)
{
	log_level = level;
}

enum sl_log_level sl_log_get_level(void)
{
	return log_level;
}

void sl_log_set_sink(sl_log_sink fn)
{
	log_sink = fn;
}

static void sl_vlog(enum sl_log_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_level)
		return;
	if (!log_sink) {
		vfprintf(stderr, fmt, ap);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_sink(level, msg);
}

void sl_log(enum sl_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sl_vlog(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum sl_log_level ours = level == LIBBPF_WARN ? SL_LOG_WARN :
				 level == LIBBPF_INFO ? SL_LOG_INFO : SL_LOG_DEBUG;

	/* libbpf's info chatter is only useful when debugging. */
	if (ours == SL_LOG_INFO)
		ours = SL_LOG_DEBUG;
	sl_vlog(ours, fmt, ap);
	return 0;
}

void sl_log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
