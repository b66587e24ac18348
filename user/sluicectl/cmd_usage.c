// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_usage.c - sluicectl usage: what the usage ledger (base/usage.h)
 * holds, summed by agent, customer or tool since a time.  Reads the SQLite
 * file directly, read-only: sluiced may be running or not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/usage.h"
#include "kern/names.h"
#include "ctl.h"

static struct {
	const char *db;
	enum usage_by by;
	__s64 since;		/* UTC epoch seconds; 0: everything kept */
	bool upsell;
} opt;

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM", UTC: the whole text, or false. */
static bool parse_date(const char *text, __s64 *out)
{
	static const char *const forms[] = { "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	struct tm tm, want;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(text, forms[i], &tm);
		if (end && !*end) {
			struct tm back;
			time_t t;

			want = tm;
			t = timegm(&tm);
			/* timegm() moves 2026-02-30 to March: a date that moved is no date */
			if (!gmtime_r(&t, &back) || back.tm_mday != want.tm_mday ||
			    back.tm_mon != want.tm_mon)
				return false;
			*out = (__s64)t;
			return true;
		}
	}
	return false;
}

/* A date, or a duration back from now (1h, 30m, 2d). */
static int since_opt(const char *arg)
{
	__u64 ns;

	if (parse_date(arg, &opt.since) && opt.since > 0)
		return 0;
	if (!sl_duration_parse(arg, &ns) && ns / 1000000000ull < (__u64)time(NULL)) {
		opt.since = (__s64)time(NULL) - (__s64)(ns / 1000000000ull);
		return 0;
	}
	return ctl_usage_err("--since takes a duration back from now (30m, 1h, 2d) or a UTC "
			     "date (2026-12-01 or 2026-12-01T09:30), not '%s'", arg);
}

static int usage_opt(int o, const char *arg)
{
	int by;

	switch (o) {
	case 'd':
		opt.db = arg;
		return 0;
	case 'b':
		by = usage_by_parse(arg);
		if (by < 0)
			return ctl_usage_err("--by takes agent, customer or tool, not '%s'", arg);
		opt.by = (enum usage_by)by;
		return 0;
	case 's':
		return since_opt(arg);
	case 'u':
		opt.upsell = true;
		return 0;
	}
	return -EINVAL;
}

static int parse_usage(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "by", required_argument, NULL, 'b' },
		{ "since", required_argument, NULL, 's' },
		{ "upsell", no_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};

	opt.db = getenv("SLUICE_USAGE_DB") ? getenv("SLUICE_USAGE_DB") : USAGE_DEFAULT_PATH;
	if (ctl_parse_opts(argc, argv, "d:b:s:u", longs, usage_opt))
		return -EINVAL;
	return ctl_operands(argc, argv, 0, 0);
}

/* --- the answer -------------------------------------------------------------------- */

static void sum_json(cJSON *o, const struct usage_sum *s)
{
	cJSON_AddNumberToObject(o, "calls", (double)s->calls);
	cJSON_AddNumberToObject(o, "denied", (double)s->denied);
	cJSON_AddNumberToObject(o, "limited", (double)s->limited);
	cJSON_AddNumberToObject(o, "cost", s->cost);
	cJSON_AddNumberToObject(o, "req_bytes", (double)s->req_bytes);
	cJSON_AddNumberToObject(o, "resp_bytes", (double)s->resp_bytes);
	cJSON_AddNumberToObject(o, "upsell", (double)s->upsell);
}

static cJSON *report_json(const struct usage_report *r)
{
	cJSON *o = cJSON_CreateObject(), *rows, *row, *reasons;

	cJSON_AddStringToObject(o, "db", opt.db);
	cJSON_AddStringToObject(o, "by", usage_by_names[opt.by]);
	cJSON_AddNumberToObject(o, "since", (double)opt.since);
	cJSON_AddBoolToObject(o, "upsell_only", opt.upsell);
	rows = cJSON_AddArrayToObject(o, "rows");
	for (size_t i = 0; i < r->n; i++) {
		row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, usage_by_names[opt.by], r->rows[i].key);
		sum_json(row, &r->rows[i].sum);
		reasons = cJSON_AddObjectToObject(row, "denied_by_reason");
		for (size_t k = 0; k < r->rows[i].n_reasons; k++)
			cJSON_AddNumberToObject(reasons, r->rows[i].reasons[k].reason,
						(double)r->rows[i].reasons[k].count);
		cJSON_AddItemToArray(rows, row);
	}
	sum_json(cJSON_AddObjectToObject(o, "total"), &r->total);
	cJSON_AddNumberToObject(o, "lost_records", (double)r->lost);
	return o;
}

static void since_text(char *buf, size_t len)
{
	time_t t = (time_t)opt.since;
	struct tm tm;

	if (!opt.since || !gmtime_r(&t, &tm))
		snprintf(buf, len, "everything kept");
	else
		strftime(buf, len, "since %Y-%m-%d %H:%M UTC", &tm);
}

static void row_text(const char *key, const struct usage_sum *s)
{
	if (opt.upsell) {
		printf("%-32s %10llu %10llu\n", key, (unsigned long long)s->upsell,
		       (unsigned long long)s->calls);
		return;
	}
	printf("%-32s %10llu %8llu %8llu %12.2f %12llu %12llu %8llu\n", key,
	       (unsigned long long)s->calls, (unsigned long long)s->denied,
	       (unsigned long long)s->limited, s->cost, (unsigned long long)s->req_bytes,
	       (unsigned long long)s->resp_bytes, (unsigned long long)s->upsell);
}

static void reasons_text(const struct usage_report *r)
{
	bool first = true;

	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->rows[i].n_reasons; k++) {
			if (first)
				printf("\ndenied and limited, by reason:\n");
			first = false;
			printf("  %-32s %-20s %llu\n",
			       r->rows[i].key[0] ? r->rows[i].key : "(none)",
			       r->rows[i].reasons[k].reason,
			       (unsigned long long)r->rows[i].reasons[k].count);
		}
}

static void report_text(const struct usage_report *r)
{
	char since[64];

	since_text(since, sizeof(since));
	printf("usage by %s, %s%s (%s)\n\n", usage_by_names[opt.by], since,
	       opt.upsell ? ", upsell events" : "", opt.db);
	if (opt.upsell)
		printf("%-32s %10s %10s\n", usage_by_names[opt.by], "upsell", "calls");
	else
		printf("%-32s %10s %8s %8s %12s %12s %12s %8s\n", usage_by_names[opt.by], "calls",
		       "denied", "limited", "cost", "req_bytes", "resp_bytes", "upsell");
	for (size_t i = 0; i < r->n; i++)
		row_text(r->rows[i].key[0] ? r->rows[i].key : "(none)", &r->rows[i].sum);
	row_text("total", &r->total);
	reasons_text(r);
	printf("\nlost records (queue full): %llu\n", (unsigned long long)r->lost);
}

int cmd_usage(int argc, char **argv)
{
	struct usage_report r;
	char why[256] = "";
	int err;

	memset(&opt, 0, sizeof(opt));
	if (parse_usage(argc, argv))
		return EXIT_USAGE;
	err = usage_read(opt.db, opt.by, opt.since, opt.upsell, &r, why, sizeof(why));
	if (err == -ENOENT) {
		ctl_err("no usage ledger at %s (sluiced makes it; --db names another)", opt.db);
		return EXIT_FAIL;
	}
	if (err) {
		ctl_err("cannot read the usage ledger %s: %s", opt.db, why);
		return EXIT_FAIL;
	}
	if (ctl.json)
		ctl_answer(report_json(&r));
	else
		report_text(&r);
	usage_report_free(&r);
	return EXIT_OK;
}
