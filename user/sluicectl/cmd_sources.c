// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_sources.c - sluicectl block, unblock, ban, unban and sources: the
 * operator's hand on the kernel's source table and agent bans, written
 * straight into the pinned maps (no daemon needed); a ban or unban is also
 * sent to a running sluiced, which closes the agent's connections at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/control.h"
#include "kern/names.h"
#include "ctl.h"

static __u64 for_ns;	/* --for DURATION; 0 = forever */

static int for_opt(int opt, const char *arg)
{
	(void)opt;
	if (!sl_duration_parse(arg, &for_ns))
		return 0;
	return ctl_usage_err("--for takes a duration such as 90s, 15m, 1h30m or 2d "
			     "(a bare number is seconds), not '%s'", arg);
}

/* Options and the one operand of block and ban. */
static int parse_for(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};

	for_ns = 0;
	if (ctl_parse_opts(argc, argv, "f:", longs, for_opt))
		return -EINVAL;
	return ctl_operands(argc, argv, 1, 1);
}

static __u64 deadline(void)
{
	return for_ns ? sl_now_ns() + for_ns : SL_FOREVER;
}

/* Runs @fn on the opened, locked maps. */
static int with_maps(int (*fn)(struct sl_maps *m, const void *arg), const void *arg)
{
	struct sl_maps m;
	int err;

	/* -ENODEV: already reported by sl_maps_open (nothing attached). */
	if (ctl_open_maps(&m))
		return -ENODEV;
	err = sl_maps_lock(&m);
	if (!err)
		err = fn(&m, arg);
	sl_maps_unlock(&m);
	sl_maps_close(&m);
	return err;
}

static int parse_cidr_arg(const char *text, struct sl_prefix *p)
{
	char hint[128];
	const char *why = sl_prefix_explain(text, hint, sizeof(hint));

	if (!why)
		return sl_prefix_parse(text, p, NULL);
	return ctl_usage_err("'%s' is not an address or CIDR prefix: %s", text, why);
}

/* "blocked X for 90s", or {"ok":true,"blocked":"X","for_s":90} (-1: forever). */
static void report_done(const char *what, const char *name, bool timed)
{
	cJSON *o;

	if (!ctl.json) {
		if (timed && for_ns)
			printf("%s %s for %llus\n", what, name,
			       (unsigned long long)(for_ns / SL_NSEC_PER_SEC));
		else
			printf("%s %s\n", what, name);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", true);
	cJSON_AddStringToObject(o, what, name);
	if (timed)
		cJSON_AddNumberToObject(o, "for_s",
					for_ns ? (double)(for_ns / SL_NSEC_PER_SEC) : -1);
	ctl_answer(o);
}

/* --- block / unblock ------------------------------------------------------------ */

static int block_fn(struct sl_maps *m, const void *arg)
{
	return sl_maps_block(m, arg, deadline());
}

static int unblock_fn(struct sl_maps *m, const void *arg)
{
	return sl_maps_unblock(m, arg);
}

int cmd_block(int argc, char **argv)
{
	struct sl_prefix p;
	int err;

	if (parse_for(argc, argv) || parse_cidr_arg(argv[optind], &p))
		return EXIT_USAGE;
	err = with_maps(block_fn, &p);
	if (err && err != -ENODEV)
		ctl_err("%s: %s", argv[optind], strerror(-err));
	if (!err)
		report_done("blocked", argv[optind], true);
	return err ? EXIT_FAIL : EXIT_OK;
}

int cmd_unblock(int argc, char **argv)
{
	struct sl_prefix p;
	const char *name;
	int err;

	if (ctl_plain_args(argc, argv, 1))
		return EXIT_USAGE;
	name = argv[optind];
	if (parse_cidr_arg(name, &p))
		return EXIT_USAGE;
	err = with_maps(unblock_fn, &p);
	if (err == -ENODEV)
		;
	else if (err == -ENOENT)
		ctl_err("%s is not blocked", name);
	else if (err)
		ctl_err("%s: %s", name, strerror(-err));
	else
		report_done("unblocked", name, false);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* --- ban / unban ------------------------------------------------------------------ */

struct ban_arg {
	const char *agent;
	__u64 until_ns;
};

static int ban_fn(struct sl_maps *m, const void *arg)
{
	const struct ban_arg *b = arg;

	return sl_maps_ban(m, b->agent, b->until_ns);
}

/* Is sluice attached (its agents map pinned)?  Without it, the daemon alone
 * can hold a ban (in L7). */
static bool maps_pinned(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", ctl.pin_dir, SL_MAP_AGENTS);
	return !access(path, F_OK);
}

#define BAN_DAEMON_TIMEOUT_MS 2000

/*
 * Tells a running sluiced, so it closes the agent's connections (or lets
 * it back in) at once instead of at its next look at the maps.  A daemon
 * that is not running is no error when the maps hold the ban: it reads
 * them when it starts.
 */
static int tell_daemon(const char *agent, __u64 until_ns, bool maps_done)
{
	char line[160], answer[256];
	int err;

	if (until_ns)
		snprintf(line, sizeof(line), "ban %s %llu", agent, (unsigned long long)until_ns);
	else
		snprintf(line, sizeof(line), "unban %s", agent);
	err = control_request(ctl.control_path, line, answer, sizeof(answer),
			      BAN_DAEMON_TIMEOUT_MS);
	if (err && maps_done)
		return 0;
	if (err) {
		ctl_err("sluice is not attached (no maps under %s) and sluiced is not running "
			"(%s: %s): nothing can hold the ban", ctl.pin_dir, ctl.control_path,
			strerror(-err));
		return -ENODEV;
	}
	if (!strncmp(answer, "ok", 2))
		return 0;
	if (maps_done)	/* the daemon runs another policy: the kernel holds the ban */
		fprintf(stderr, "sluicectl: warning: sluiced: %s\n", answer);
	else
		ctl_err("sluiced: %s", strncmp(answer, "error ", 6) ? answer : answer + 6);
	return maps_done ? 0 : -EINVAL;
}

static int ban_common(const char *agent, __u64 until_ns)
{
	struct ban_arg b = { agent, until_ns };
	bool pinned = maps_pinned();
	int err = pinned ? with_maps(ban_fn, &b) : 0;

	if (err == -ENODEV)
		;
	else if (err == -ENOENT)
		ctl_err("no agent '%s' in the loaded policy", agent);
	else if (err)
		ctl_err("%s: %s", agent, strerror(-err));
	if (!err)
		err = tell_daemon(agent, until_ns, pinned);
	return err ? EXIT_FAIL : EXIT_OK;
}

int cmd_ban(int argc, char **argv)
{
	if (parse_for(argc, argv))
		return EXIT_USAGE;
	if (ban_common(argv[optind], deadline()))
		return EXIT_FAIL;
	report_done("banned", argv[optind], true);
	return EXIT_OK;
}

int cmd_unban(int argc, char **argv)
{
	if (ctl_plain_args(argc, argv, 1))
		return EXIT_USAGE;
	if (ban_common(argv[optind], 0))
		return EXIT_FAIL;
	report_done("unbanned", argv[optind], false);
	return EXIT_OK;
}

/* --- sources ---------------------------------------------------------------------- */

static cJSON *source_json(const struct srctab_entry *e, const char *pfx, __u64 now)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "prefix", pfx);
	cJSON_AddBoolToObject(o, "policy_deny", e->val.own & SL_SRC_POLICY_DENY);
	cJSON_AddBoolToObject(o, "blocked", e->val.own & SL_SRC_BLOCK);
	cJSON_AddNumberToObject(o, "blocked_for_s", e->val.own & SL_SRC_BLOCK ?
				(double)ctl_seconds_left(e->val.block_until_ns, now) : 0);
	cJSON_AddBoolToObject(o, "identity", e->val.own & SL_SRC_IDENT);
	cJSON_AddNumberToObject(o, "agent_id", e->val.own_agent_id);
	cJSON_AddBoolToObject(o, "denied", e->val.eff_deny_until_ns != 0);
	cJSON_AddNumberToObject(o, "effective_agent_id", e->val.eff_agent_id);
	return o;
}

static void source_text(const struct srctab_entry *e, const char *pfx)
{
	printf("%-44s%s%s%s%s agent=%u\n", pfx,
	       e->val.own & SL_SRC_POLICY_DENY ? " deny" : "",
	       e->val.own & SL_SRC_BLOCK ? " blocked" : "",
	       e->val.own & SL_SRC_IDENT ? " ident" : "",
	       e->val.eff_deny_until_ns ? " (denied)" : "", e->val.eff_agent_id);
}

int cmd_sources(int argc, char **argv)
{
	struct srctab t = {};
	struct sl_maps m;
	cJSON *arr = NULL;
	__u64 now = sl_now_ns();
	int err;

	if (ctl_plain_args(argc, argv, 0))
		return EXIT_USAGE;
	if (ctl_open_maps(&m))
		return EXIT_FAIL;
	err = sl_maps_read_srctab(&m, &t);
	sl_maps_close(&m);
	if (err) {
		ctl_err("%s", strerror(-err));
		srctab_free(&t);
		return EXIT_FAIL;
	}
	/* Recompute the effective fields (the maps' own are what the kernel reads;
	 * read back, only the reasons come along) and sort. */
	srctab_compile(&t, now);
	if (ctl.json)
		arr = cJSON_CreateArray();
	for (size_t i = 0; i < t.n; i++) {
		char pfx[SL_PREFIX_STRLEN];

		sl_prefix_format(&t.v[i].pfx, pfx, sizeof(pfx));
		if (arr)
			cJSON_AddItemToArray(arr, source_json(&t.v[i], pfx, now));
		else
			source_text(&t.v[i], pfx);
	}
	if (arr)
		ctl_answer(arr);
	srctab_free(&t);
	return EXIT_OK;
}
