// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_audit.c - sluicectl audit: the audit records sluiced sent to journald
 * (SYSLOG_IDENTIFIER=sluiced), read back through the sd-journal API,
 * filtered by agent, tool, event and time, as lines or as JSON objects;
 * --follow waits for new ones (sd_journal_wait).  sluiced may be running or
 * not: this reads the journal's files.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-journal.h>

#include "kern/names.h"
#include "ctl.h"

static struct {
	const char *agent, *tool, *event;
	__s64 since_s;		/* UTC epoch seconds; 0: from the start */
	bool follow;
	long long count;	/* stop after this many records; 0: no limit */
	long long timeout_s;	/* --follow: stop after this long; 0: never */
} opt;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* "2026-12-01", "2026-12-01T09:30", "2026-12-01T09:30:05" (UTC), "@EPOCH",
 * or a duration back from now ("30m"). */
static int since_opt(const char *arg)
{
	static const char *const forms[] = { "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S",
					     "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	char *end;
	__u64 ns;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct tm tm = {};
		const char *rest = strptime(arg, forms[i], &tm);

		if (rest && !*rest) {
			opt.since_s = (__s64)timegm(&tm);
			return 0;
		}
	}
	if (arg[0] == '@') {
		opt.since_s = strtoll(arg + 1, &end, 10);
		if (end != arg + 1 && !*end && opt.since_s > 0)
			return 0;
	}
	if (!sl_duration_parse(arg, &ns) && ns / 1000000000ull < (__u64)time(NULL)) {
		opt.since_s = (__s64)time(NULL) - (__s64)(ns / 1000000000ull);
		return 0;
	}
	return ctl_usage_err("--since takes a duration back from now (30s, 10m, 1h, 2d), a UTC "
			     "time (2026-12-01, 2026-12-01T09:30, 2026-12-01T09:30:05) or "
			     "@EPOCH, not '%s'", arg);
}

static int number_opt(const char *name, const char *arg, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || *out < 0)
		return ctl_usage_err("--%s takes a whole number, not '%s'", name, arg);
	return 0;
}

static int audit_opt(int o, const char *arg)
{
	switch (o) {
	case 'f': opt.follow = true; return 0;
	case 'a': opt.agent = arg; return 0;
	case 'T': opt.tool = arg; return 0;
	case 'e': opt.event = arg; return 0;
	case 's': return since_opt(arg);
	case 'n': return number_opt("count", arg, &opt.count);
	case 't': return number_opt("timeout", arg, &opt.timeout_s);
	}
	return -EINVAL;
}

static int add_match(sd_journal *j, const char *field, const char *value)
{
	char *m = NULL;
	int err;

	if (!value)
		return 0;
	if (asprintf(&m, "%s=%s", field, value) < 0)
		return -ENOMEM;
	err = sd_journal_add_match(j, m, 0);
	free(m);
	return err;
}

/* Positions @j before the first record to show. */
static int seek(sd_journal *j)
{
	int err;

	if (opt.since_s)
		return sd_journal_seek_realtime_usec(j, (uint64_t)opt.since_s * 1000000ull);
	if (!opt.follow)
		return sd_journal_seek_head(j);
	/* Following without --since: only what comes from now on. */
	err = sd_journal_seek_tail(j);
	if (!err)
		err = sd_journal_previous(j);
	return err < 0 ? err : 0;
}

static int open_journal(sd_journal **j)
{
	int err = sd_journal_open(j, SD_JOURNAL_LOCAL_ONLY);

	if (!err)
		err = add_match(*j, "SYSLOG_IDENTIFIER", "sluiced");
	if (!err)
		err = add_match(*j, "SLUICE_AGENT", opt.agent);
	if (!err)
		err = add_match(*j, "SLUICE_TOOL", opt.tool);
	if (!err)
		err = add_match(*j, "SLUICE_EVENT", opt.event);
	if (!err)
		err = seek(*j);
	return err;
}

/* --- one record ----------------------------------------------------------------------- */

static const char *const numeric[] = {
	"latency_ms", "request_bytes", "response_bytes", "cost", "count", "status", "seq",
	"code", "events", "period_ms", "lost", "lost_total", "total", "agent_id", "ifindex",
	"redacted", "arguments_omitted_bytes", NULL
};

static bool is_numeric(const char *key)
{
	for (size_t i = 0; numeric[i]; i++)
		if (!strcmp(key, numeric[i]))
			return true;
	return false;
}

/* A SLUICE_* field as a member: numbers as numbers, the JSON ones parsed. */
static void add_member(cJSON *o, const char *field, size_t len)
{
	const char *eq = memchr(field, '=', len);
	char key[80], *value, *end;
	size_t klen;
	cJSON *parsed;
	double num;

	if (!eq || (klen = (size_t)(eq - field) - 7) >= sizeof(key))
		return;
	for (size_t i = 0; i < klen; i++)
		key[i] = (char)(field[7 + i] >= 'A' && field[7 + i] <= 'Z' ? field[7 + i] + 32 :
				field[7 + i]);
	key[klen] = '\0';
	value = strndup(eq + 1, len - (size_t)(eq + 1 - field));
	if (!value)
		return;
	num = strtod(value, &end);
	if (is_numeric(key) && *value && !*end)
		cJSON_AddNumberToObject(o, key, num);
	else if ((!strcmp(key, "arguments") || !strcmp(key, "redactions")) &&
		 (parsed = cJSON_Parse(value)))
		cJSON_AddItemToObject(o, key, parsed);
	else if (!strcmp(key, "monitor") || !strcmp(key, "budget_over"))
		cJSON_AddBoolToObject(o, key, !strcmp(value, "true"));
	else
		cJSON_AddStringToObject(o, key, value);
	free(value);
}

static cJSON *entry_json(sd_journal *j)
{
	cJSON *o = cJSON_CreateObject();
	const void *data;
	size_t len;

	if (!o)
		return NULL;
	SD_JOURNAL_FOREACH_DATA(j, data, len) {
		const char *f = data;

		if (len > 7 && !strncmp(f, "SLUICE_", 7))
			add_member(o, f, len);
		else if (len > 8 && !strncmp(f, "MESSAGE=", 8))
			cJSON_AddItemToObject(o, "message", cJSON_CreateString(
				strndupa(f + 8, len - 8)));
		else if (len > 9 && !strncmp(f, "PRIORITY=", 9))
			cJSON_AddNumberToObject(o, "priority", atoi(strndupa(f + 9, len - 9)));
	}
	return o;
}

static const char *priority_name(int p)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err", "warning",
					     "notice", "info", "debug" };

	return p >= 0 && p < 8 ? names[p] : "?";
}

static void print_entry(sd_journal *j)
{
	cJSON *o = entry_json(j), *t, *m, *p;

	if (!o)
		return;
	if (ctl.json) {
		ctl_print_json(o);
		return;
	}
	t = cJSON_GetObjectItemCaseSensitive(o, "time");
	m = cJSON_GetObjectItemCaseSensitive(o, "message");
	p = cJSON_GetObjectItemCaseSensitive(o, "priority");
	printf("%s %-7s %s\n", cJSON_IsString(t) ? t->valuestring : "-",
	       priority_name(cJSON_IsNumber(p) ? p->valueint : -1),
	       cJSON_IsString(m) ? m->valuestring : "");
	cJSON_Delete(o);
}

/* --- the loop -------------------------------------------------------------------------- */

static long long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int show(sd_journal *j)
{
	long long shown = 0, until = opt.timeout_s ? now_s() + opt.timeout_s : 0;
	int r;

	while (!stop) {
		r = sd_journal_next(j);
		if (r < 0)
			return r;
		if (r > 0) {
			print_entry(j);
			fflush(stdout);
			if (opt.count && ++shown >= opt.count)
				return 0;
			continue;
		}
		if (!opt.follow || (until && now_s() >= until))
			return 0;
		r = sd_journal_wait(j, 250000);	/* a quarter second: signals and --timeout */
		if (r < 0)
			return r;
	}
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "agent", required_argument, NULL, 'a' },
		{ "tool", required_argument, NULL, 'T' },
		{ "event", required_argument, NULL, 'e' },
		{ "since", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	sd_journal *j = NULL;
	int err;

	if (ctl_parse_opts(argc, argv, "fa:T:e:s:n:t:", longs, audit_opt) ||
	    ctl_operands(argc, argv, 0, 0))
		return EXIT_USAGE;
	err = open_journal(&j);
	if (err) {
		ctl_err("cannot read the journal: %s", strerror(-err));
		sd_journal_close(j);
		return EXIT_FAIL;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = show(j);
	sd_journal_close(j);
	if (err)
		ctl_err("reading the journal: %s", strerror(-err));
	return err ? EXIT_FAIL : EXIT_OK;
}
