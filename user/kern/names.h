/* SPDX-License-Identifier: GPL-2.0-only */
/* names.h - the printable names of the ABI's enums, for CLI, logs and JSON. */
#ifndef SL_NAMES_H
#define SL_NAMES_H

#include <linux/types.h>

const char *sl_verdict_name(__u32 verdict);
const char *sl_reason_name(__u32 reason);
const char *sl_stat_name(__u32 stat);

/* Parses "90", "90s", "15m", "2h", "1d", "1h30m" into nanoseconds. */
int sl_duration_parse(const char *text, __u64 *ns);

#endif
