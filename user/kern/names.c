// SPDX-License-Identifier: GPL-2.0-only
/* names.c - printable names of the ABI enums, and durations. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "names.h"
#include "sluice_abi.h"

static const char *const verdict_names[SL_VERDICT_MAX] = {
	[SL_VERDICT_PASS] = "pass",
	[SL_VERDICT_DROP] = "drop",
	[SL_VERDICT_RST] = "rst",
};

static const char *const reason_names[SL_REASON_MAX] = {
	[SL_REASON_ALLOWED] = "allowed",
	[SL_REASON_NOT_IP] = "not_ip",
	[SL_REASON_NOT_PROTECTED] = "not_protected",
	[SL_REASON_FRAGMENT] = "fragment",
	[SL_REASON_V6_EXT] = "v6_ext",
	[SL_REASON_MALFORMED] = "malformed",
	[SL_REASON_DENY] = "deny",
	[SL_REASON_BANNED] = "banned",
	[SL_REASON_PKT_BUDGET] = "packet_budget",
	[SL_REASON_BYTE_BUDGET] = "byte_budget",
	[SL_REASON_SYN_SOURCE] = "syn_source",
	[SL_REASON_SYN_AGENT] = "syn_agent",
};

static const char *const stat_names[SL_STAT_MAX] = {
	[SL_STAT_PASS] = "pass",
	[SL_STAT_DROP] = "drop",
	[SL_STAT_RST] = "rst",
	[SL_STAT_MONITOR] = "monitor_would_drop",
	[SL_STAT_ALLOWED] = "allowed",
	[SL_STAT_NOT_IP] = "not_ip",
	[SL_STAT_NOT_PROTECTED] = "not_protected",
	[SL_STAT_FRAGMENT] = "fragment",
	[SL_STAT_V6_EXT] = "v6_ext",
	[SL_STAT_MALFORMED] = "malformed",
	[SL_STAT_DENY] = "deny",
	[SL_STAT_BANNED] = "banned",
	[SL_STAT_PKT_BUDGET] = "packet_budget",
	[SL_STAT_BYTE_BUDGET] = "byte_budget",
	[SL_STAT_SYN_SOURCE] = "syn_source",
	[SL_STAT_SYN_AGENT] = "syn_agent",
	[SL_STAT_EVENTS_SENT] = "events_sent",
	[SL_STAT_EVENTS_SUPPRESSED] = "events_suppressed",
	[SL_STAT_EVENTS_LOST] = "events_lost",
	[SL_STAT_EGRESS_PACKETS] = "egress_packets",
	[SL_STAT_EGRESS_BYTES] = "egress_bytes",
};

const char *sl_verdict_name(__u32 verdict)
{
	return verdict < SL_VERDICT_MAX ? verdict_names[verdict] : "unknown";
}

const char *sl_reason_name(__u32 reason)
{
	return reason < SL_REASON_MAX ? reason_names[reason] : "unknown";
}

const char *sl_stat_name(__u32 stat)
{
	return stat < SL_STAT_MAX && stat_names[stat] ? stat_names[stat] : "unknown";
}

static __u64 unit_ns(char unit)
{
	switch (unit) {
	case 's': return 1000000000ULL;
	case 'm': return 60ULL * 1000000000ULL;
	case 'h': return 3600ULL * 1000000000ULL;
	case 'd': return 86400ULL * 1000000000ULL;
	default: return 0;
	}
}

int sl_duration_parse(const char *text, __u64 *ns)
{
	const char *p = text;
	__u64 total = 0;

	if (!*p)
		return -EINVAL;
	while (*p) {
		char *end;
		unsigned long long n;
		__u64 unit;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		n = strtoull(p, &end, 10);
		if (errno)
			return -ERANGE;
		/* A bare number is seconds, and only alone: "1h30" is a typo. */
		unit = *end ? unit_ns(*end) : (p == text ? unit_ns('s') : 0);
		if (!unit)
			return -EINVAL;
		if (n > (~0ULL - total) / unit)
			return -ERANGE;
		total += n * unit;
		p = *end ? end + 1 : end;
	}
	if (!total)
		return -EINVAL;
	*ns = total;
	return 0;
}
