/* SPDX-License-Identifier: GPL-2.0-only */
/* log.h - the one logging family for all user code (stderr, printf-checked). */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdarg.h>

enum sl_log_level {
	SL_LOG_WARN = 0,
	SL_LOG_INFO,
	SL_LOG_DEBUG,
};

/* Messages above this level are dropped; default SL_LOG_INFO. */
void sl_log_set_level(enum sl_log_level level);
enum sl_log_level sl_log_get_level(void);
/* Route libbpf's own messages through pr_*: warnings always, debug at SL_LOG_DEBUG. */
void sl_log_hook_libbpf(void);

/* Hands each message that passes the level to @fn instead of stderr (NULL:
 * stderr again), so that a CLI can say which command a lower layer's
 * warning belongs to, or put it into its JSON answer. */
typedef void (*sl_log_sink)(enum sl_log_level level, const char *msg);
void sl_log_set_sink(sl_log_sink fn);

void sl_log(enum sl_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(fmt, ...)  sl_log(SL_LOG_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  sl_log(SL_LOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) sl_log(SL_LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif
