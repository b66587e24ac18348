// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluicectl - check and load policies, attach the kernel half, and read or
 * change its state through the pinned maps (no daemon needed); `daemon` and
 * `reload` talk to sluiced.
 *
 * This file is the command table, with each command's help next to it, the
 * global options and the dispatch; the commands live in cmd_*.c and share
 * ctl.h.  Exit status: 0 ok, 1 failed, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/control.h"
#include "base/log.h"
#include "base/nearest.h"
#include "base/usage.h"
#include "ctl.h"

static int cmd_help(int argc, char **argv);

/* Arguments several commands take, worded once. */
#define P_IFACE \
	"  IFACE            a network interface by name (eth0, veth1); several may follow\n"
#define P_CIDR \
	"  CIDR             an IPv4 or IPv6 address or prefix, host bits zero:\n" \
	"                   203.0.113.0/24, 2001:db8::/32, or 198.18.0.2 for one address\n"
#define P_FOR \
	"  --for DURATION   how long; without it, until undone.  DURATION is a whole\n" \
	"                   number and a unit (s, m, h or d), several adding up:\n" \
	"                   90s, 15m, 1h30m, 2d; a bare number alone is seconds (90)\n"
#define P_AGENT \
	"  AGENT            an agent's name as the loaded policy spells it\n"
#define P_FILE \
	"  FILE             a JSON policy file (policies/example.json)\n"
#define P_JSON \
	"  --json           the answer as JSON on stdout; an error too, as\n" \
	"                   {\"ok\":false,\"error\":\"...\",\"command\":\"...\"}\n"

static const struct ctl_cmd policy_cmds[] = {
	{ "check", cmd_policy_check, NULL, "FILE [--json]",
	  "check a policy; every error with line:column",
	  "Checks FILE against the policy schema and reports every error, each as\n"
	  "FILE:LINE:COL: error: MESSAGE; loads nothing.  Fails when there is any error.",
	  P_FILE P_JSON,
	  "sluicectl policy check policies/example.json" },
	{ "load", cmd_policy_load, NULL, "FILE [--json]",
	  "check, then load its kernel part into the maps",
	  "Checks FILE as `policy check` does, then writes its kernel part (protected\n"
	  "ports, deny list, agents) into the pinned maps as a new generation, changing\n"
	  "only what differs.  A policy that fails its check changes nothing.  Needs the\n"
	  "programs attached (sluicectl attach); sluiced reads its own part (reload).",
	  P_FILE P_JSON,
	  "sluicectl policy load policies/example.json" },
	{}
};

static const struct ctl_cmd key_cmds[] = {
	{ "new", cmd_key_new, NULL, "AGENT [--json]",
	  "make an API key for an agent; prints it once",
	  "Makes a random API key for AGENT (sk-sluice- and 32 random bytes in\n"
	  "base64url) and prints it once, with the line to add to AGENT in the policy:\n"
	  "\"keys_sha256\": [\"<its SHA-256>\"].  The key is stored nowhere: the policy\n"
	  "holds only its digest.  Needs no policy, maps or daemon.",
	  "  AGENT            the agent's name in the policy (1..63 characters of\n"
	  "                   A-Za-z0-9._-)\n"
	  P_JSON,
	  "sluicectl key new claude-assistant" },
	{}
};

static const struct ctl_cmd commands[] = {
	{ "attach", cmd_attach, NULL,
	  "IFACE... [--mode native|generic|tc] [--json] | --policy FILE [--json] | --list [--json]",
	  "load and attach; pinned, so enforcement outlives sluicectl",
	  "Loads sluice's programs and attaches them to each IFACE: ingress by XDP or\n"
	  "TC, egress accounting by TC.  Maps and links are pinned under the pin\n"
	  "directory, so enforcement stays when sluicectl exits.  Attaching again\n"
	  "replaces the programs atomically; native <-> generic needs a detach first.",
	  P_IFACE
	  "  --mode MODE      native (driver XDP, the default), generic (XDP on any\n"
	  "                   interface, slower) or tc (TC ingress)\n"
	  "  --policy FILE    attach where FILE's kernel.interfaces says, in its modes\n"
	  "  --list           list what is attached, in every network namespace: an\n"
	  "                   interface is known by its namespace and index, so a\n"
	  "                   renamed one shows under its new name\n"
	  P_JSON,
	  "sluicectl attach eth0 --mode native\n"
	  "sluicectl attach --policy policies/example.json" },
	{ "detach", cmd_detach, NULL, "IFACE... [--json]",
	  "remove what attach made (the last one removes the pins)",
	  "Removes sluice's programs from each IFACE.  The last detach also removes the\n"
	  "pinned maps, and with them blocks, bans and counters.  Fails for an\n"
	  "interface sluice is not attached to.",
	  P_IFACE P_JSON,
	  "sluicectl detach eth0" },
	{ "policy", NULL, policy_cmds, "check|load FILE [--json]",
	  "check a policy, or load it into the maps",
	  "Policy files: `policy check` reports their errors, `policy load` writes their\n"
	  "kernel part into the maps.",
	  NULL,
	  "sluicectl policy check policies/example.json\n"
	  "sluicectl policy load policies/example.json" },
	{ "block", cmd_block, NULL, "CIDR [--for DURATION] [--json]",
	  "drop a source prefix at the protected ports",
	  "Drops, in the kernel, packets from CIDR to the protected ports, for DURATION\n"
	  "or until unblock.  A prefix with host bits set is refused, with the prefix\n"
	  "probably meant (10.1.2.3/8: did you mean 10.0.0.0/8?).",
	  P_CIDR P_FOR P_JSON,
	  "sluicectl block 203.0.113.0/24 --for 1h" },
	{ "unblock", cmd_unblock, NULL, "CIDR [--json]",
	  "remove a block",
	  "Removes the block on exactly CIDR (as given to block); fails when there is\n"
	  "none.  The policy's own deny entries stay.",
	  P_CIDR P_JSON,
	  "sluicectl unblock 203.0.113.0/24" },
	{ "ban", cmd_ban, NULL, "AGENT [--for DURATION] [--json]",
	  "drop an agent's traffic in the kernel",
	  "Drops AGENT's traffic (by its policy identity or tagged connections) in the\n"
	  "kernel, for DURATION or until unban.  AGENT must be in the loaded policy.\n"
	  "A running sluiced is told at once: it refuses the agent's requests and\n"
	  "closes its connections with the ban's error.  Without maps, the daemon\n"
	  "alone holds the ban.",
	  P_AGENT P_FOR P_JSON,
	  "sluicectl ban some-agent --for 15m" },
	{ "unban", cmd_unban, NULL, "AGENT [--json]",
	  "lift a ban",
	  "Lifts AGENT's ban at once, in the kernel and in a running sluiced.",
	  P_AGENT P_JSON,
	  "sluicectl unban some-agent" },
	{ "stats", cmd_stats, NULL, "[--json]",
	  "verdict, reason and per-agent counters",
	  "Prints the kernel's counters (verdicts and their reasons, events, egress),\n"
	  "summed over CPUs, then each active agent's packets, bytes, drops and SYNs.",
	  P_JSON,
	  "sluicectl stats --json" },
	{ "events", cmd_events, NULL, "[--count N] [--timeout SECONDS] [--json]",
	  "follow the kernel's ring buffer",
	  "Prints the kernel's drop events as they happen, one line (or JSON object)\n"
	  "each, until interrupted.  When sluiced runs it owns the ring buffer: read its\n"
	  "audit log instead (journalctl -t sluiced -f).",
	  "  --count N        stop after N events\n"
	  "  --timeout SECONDS  stop after SECONDS seconds (a whole number)\n"
	  P_JSON,
	  "sluicectl events --json --count 10 --timeout 30" },
	{ "status", cmd_status, NULL, "[--json]",
	  "attachments and the loaded configuration",
	  "Prints the loaded policy generation, enforce or monitor mode, protected ports,\n"
	  "source table sizes, event rate and the interfaces sluice is attached to.",
	  P_JSON,
	  "sluicectl status" },
	{ "sources", cmd_sources, NULL, "[--json]",
	  "the source table: deny, blocks, identities",
	  "Prints every source prefix the kernel knows, with why: the policy's deny\n"
	  "list, blocks, agent identities, and the effective result.",
	  P_JSON,
	  "sluicectl sources --json" },
	{ "reload", cmd_reload, NULL, "[--json]",
	  "make sluiced re-read its policy (a policy that fails stays out)",
	  "Asks sluiced, over its control socket, to re-read its policy file.  The new\n"
	  "policy replaces the old atomically; one that fails its check is refused and\n"
	  "the old one stays (exit status 1, with the reason).",
	  P_JSON,
	  "sluicectl reload" },
	{ "daemon", cmd_daemon, NULL, "[--json]",
	  "sluiced's status: pid, policy generation, listener, workers",
	  "Asks sluiced, over its control socket, for its pid, policy generation,\n"
	  "listen address and number of workers.",
	  P_JSON,
	  "sluicectl daemon\n"
	  "sluicectl --control /tmp/ctl.sock daemon --json" },
	{ "usage", cmd_usage, NULL,
	  "[--db PATH] [--by agent|customer|tool] [--since WHEN] [--upsell] [--json]",
	  "what each agent, customer or tool used (the usage ledger)",
	  "Sums the usage ledger sluiced writes: calls (tools/call, resources/read,\n"
	  "prompts/get), the denied and rate-limited ones among them (with their\n"
	  "reasons), cost, request and response bytes, and upsell events, by agent,\n"
	  "customer or tool, with the total and the records lost to a full queue.\n"
	  "Reads the file directly: sluiced may be running or not.",
	  "  --db PATH        the ledger (default $SLUICE_USAGE_DB, else\n"
	  "                   " USAGE_DEFAULT_PATH ")\n"
	  "  --by KEY         agent (the default), customer or tool\n"
	  "  --since WHEN     a duration back from now (30m, 1h, 2d) or a UTC date,\n"
	  "                   2026-12-01 or 2026-12-01T09:30; by whole minutes.\n"
	  "                   Without it: everything the ledger keeps\n"
	  "  --upsell         only the minutes with upsell events, and their counts\n"
	  P_JSON,
	  "sluicectl usage --since 1h\n"
	  "sluicectl usage --by tool --since 2026-12-01 --json" },
	{ "audit", cmd_audit, NULL,
	  "[--follow] [--agent A] [--tool T] [--event E] [--since WHEN] [--count N]\n"
	  "                  [--timeout SECONDS] [--json]",
	  "the audit records sluiced sent to journald",
	  "Reads back, through the journal, the audit records sluiced wrote there\n"
	  "(SYSLOG_IDENTIFIER=sluiced): tool calls, resource reads and prompt gets\n"
	  "with their decision, kernel drop summaries, losses.  A line per record\n"
	  "(time, priority, what happened), or with --json one JSON object per record\n"
	  "with its SLUICE_* fields in lower case (SLUICE_LATENCY_MS -> latency_ms).\n"
	  "Reads the journal's files: sluiced may be running or not.",
	  "  --follow         wait for new records (from now on, unless --since)\n"
	  "  --agent A        only agent A's records (SLUICE_AGENT=A)\n"
	  "  --tool T         only calls of tool T (SLUICE_TOOL=T)\n"
	  "  --event E        only one kind: call, kernel_drop_summary, audit_loss, ...\n"
	  "  --since WHEN     a duration back from now (30s, 10m, 1h, 2d), a UTC time\n"
	  "                   (2026-12-01, 2026-12-01T09:30[:05]) or @EPOCH\n"
	  "  --count N        stop after N records\n"
	  "  --timeout SECONDS  with --follow, stop after this long\n"
	  P_JSON,
	  "sluicectl audit --agent gpt-analyst --since 1h\n"
	  "sluicectl audit --follow --tool run_query --json" },
	{ "top", cmd_top, NULL,
	  "[--admin HOST:PORT | --policy FILE] [--sort KEY] [--once] [--json]",
	  "agents live: calls/s, denials, 429s, cost, kernel drops",
	  "Reads sluiced's /api/status from its admin port once a second and shows\n"
	  "each agent's calls per second, calls, denials, 429s, cost today and\n"
	  "kernel drops, in place on the alternate screen.  Keys sort: c calls/s,\n"
	  "d denials, l 429s, $ cost, k kernel drops; q quits (so do Ctrl-C and\n"
	  "SIGTERM; the terminal is always given back clean).  With --once, --json,\n"
	  "or when output is not a terminal: one table (or the status JSON), then exit.",
	  "  --admin HOST:PORT  the admin port (default: the policy's \"admin\", else\n"
	  "                   127.0.0.1:8471)\n"
	  "  --policy FILE    read the admin address from this policy\n"
	  "  --sort KEY       calls (default), denied, limited, cost or kdrops\n"
	  "  --once           print one table and exit\n"
	  P_JSON,
	  "sluicectl top\n"
	  "sluicectl top --admin 127.0.0.1:8471 --once --sort denied" },
	{ "key", NULL, key_cmds, "new AGENT [--json]",
	  "make an API key for an agent",
	  "API keys: `key new` makes one and prints the digest line for the policy.",
	  NULL,
	  "sluicectl key new claude-assistant" },
	{ "help", cmd_help, NULL, "[COMMAND [SUBCOMMAND]]",
	  "help on one command, or this list",
	  "Prints what COMMAND does, its arguments and an example; without one, the\n"
	  "list of commands.  `sluicectl COMMAND --help` says the same.",
	  "  COMMAND          a command of the list (sluicectl --help)\n",
	  "sluicectl help block\n"
	  "sluicectl help policy load" },
	{}
};

static const struct ctl_cmd *find_cmd(const struct ctl_cmd *table, const char *name)
{
	for (const struct ctl_cmd *c = table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* --- help ------------------------------------------------------------------------ */

static void list_commands(FILE *out, const char *group, const struct ctl_cmd *table)
{
	char name[64];

	for (const struct ctl_cmd *c = table; c->name; c++) {
		if (c->sub) {
			list_commands(out, c->name, c->sub);
			continue;
		}
		snprintf(name, sizeof(name), "%s%s%s", group, *group ? " " : "", c->name);
		fprintf(out, "  %-15s %s\n", name, c->summary);
	}
}

static void overview(FILE *out)
{
	fprintf(out, "usage: sluicectl [OPTIONS] COMMAND [ARGS] [--json]\n\n"
		"Checks and loads sluice policies, attaches the kernel half, and reads or\n"
		"changes its state through the pinned maps; daemon and reload ask sluiced.\n\n"
		"commands:\n");
	list_commands(out, "", commands);
	fprintf(out, "\noptions (before COMMAND):\n"
		"  --pin-dir DIR     where maps and links are pinned (default %s)\n"
		"  --control SOCKET  sluiced's control socket (default %s)\n"
		"  -v, --verbose     debug messages too, libbpf's included\n"
		"  -h, --help        this list\n"
		"  --json            (any command) the answer, errors too, as JSON on stdout\n"
		"\nenvironment:\n"
		"  SLUICE_PIN_DIR    the pin directory when --pin-dir is not given\n"
		"  SLUICE_CONTROL    the control socket when --control is not given\n"
		"  SLUICE_USAGE_DB   the usage ledger when usage --db is not given\n"
		"\nexit status: 0 ok, 1 failed, 2 usage error\n"
		"`sluicectl COMMAND --help` or `sluicectl help COMMAND` says more about one.\n",
		SL_PIN_DIR, SL_CONTROL_SOCKET);
}

/* Prints @text a line at a time, each indented. */
static void indented(const char *text)
{
	while (*text) {
		size_t len = strcspn(text, "\n");

		printf("  %.*s\n", (int)len, text);
		text += len + (text[len] == '\n');
	}
}

static void command_help(const char *path, const struct ctl_cmd *c)
{
	printf("usage: sluicectl %s %s\n\n%s\n", path, c->args, c->help);
	if (c->sub) {
		printf("\ncommands:\n");
		list_commands(stdout, "", c->sub);
	}
	if (c->params)
		printf("\narguments:\n%s", c->params);
	printf("\nexample:\n");
	indented(c->example);
}

/* --- dispatch -------------------------------------------------------------------- */

/* "sluicectl: unknown command 'stauts' (did you mean 'status'?)", once. */
static int unknown_cmd(const struct ctl_cmd *table, const char *word)
{
	static char asked[128];
	struct sl_nearest near;
	const char *hint;

	sl_nearest_init(&near, word);
	for (const struct ctl_cmd *c = table; c->name; c++)
		sl_nearest_offer(&near, c->name);
	hint = sl_nearest_get(&near);
	if (ctl.json) {	/* no prefix there: the JSON names what was asked */
		snprintf(asked, sizeof(asked), "%s%s%s", ctl.cmd ? ctl.cmd : "",
			 ctl.cmd ? " " : "", word);
		ctl.cmd = asked;
	}
	ctl.args = NULL;	/* the one line says it all: no usage line after */
	if (hint)
		ctl_err("unknown command '%s' (did you mean '%s'?)", word, hint);
	else
		ctl_err("unknown command '%s' (sluicectl --help lists them)", word);
	return EXIT_USAGE;
}

/* "sluicectl policy: missing command: check or load". */
static int missing_sub(const struct ctl_cmd *group)
{
	char names[128] = "";
	size_t n = 0;

	for (const struct ctl_cmd *c = group->sub; c->name && n < sizeof(names); c++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
				      c == group->sub ? "" : c[1].name ? ", " : " or ", c->name);
	ctl_usage_err("missing command: %s", names);
	return EXIT_USAGE;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* Finds argv[0] in @table (a group's words already in ctl.cmd) and runs it. */
static int dispatch(const struct ctl_cmd *table, int argc, char **argv)
{
	static char paths[2][64];	/* one a level: "policy", then "policy check" */
	const struct ctl_cmd *c = find_cmd(table, argv[0]);
	char *path = paths[table != commands];

	if (!c)
		return unknown_cmd(table, argv[0]);
	snprintf(path, sizeof(paths[0]), "%s%s%s", ctl.cmd ? ctl.cmd : "", ctl.cmd ? " " : "",
		 c->name);
	ctl.cmd = path;
	ctl.args = c->args;
	if (c->sub && argc > 1 && argv[1][0] != '-')
		return dispatch(c->sub, argc - 1, argv + 1);
	if (wants_help(argc, argv)) {
		command_help(path, c);
		return EXIT_OK;
	}
	if (c->sub)
		return missing_sub(c);
	return c->fn(argc, argv);
}

/* sluicectl help [COMMAND [SUBCOMMAND]]: the help of what the words name. */
static int cmd_help(int argc, char **argv)
{
	const struct ctl_cmd *table = commands, *c = NULL;
	char path[64] = "";

	for (int i = 1; i < argc; i++) {
		if (!table) {
			ctl_usage_err("unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
		c = find_cmd(table, argv[i]);
		if (!c)
			return unknown_cmd(table, argv[i]);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s%s",
			 *path ? " " : "", c->name);
		table = c->sub;
	}
	if (c)
		command_help(path, c);
	else
		overview(stdout);
	return EXIT_OK;
}

/* --- main ------------------------------------------------------------------------ */

/* --json anywhere: known before any error is reported, so that one is JSON too. */
static void scan_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			ctl.json = true;
}

/* The options before the command; returns the command's index, or -1 with
 * *rc set when there is nothing to run. */
static int global_opts(int argc, char **argv, int *rc)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "-v") || !strcmp(opt, "--verbose")) {
			sl_log_set_level(SL_LOG_DEBUG);
		} else if (!strcmp(opt, "--json")) {
			ctl.json = true;
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			overview(stdout);
			*rc = EXIT_OK;
			return -1;
		} else if (strcmp(opt, "--pin-dir") && strcmp(opt, "--control")) {
			ctl_err("unknown option '%s' (sluicectl --help lists them)", opt);
			*rc = EXIT_USAGE;
			return -1;
		} else if (i + 1 == argc) {
			ctl_err("option '%s' needs a value", opt);
			*rc = EXIT_USAGE;
			return -1;
		} else if (!strcmp(opt, "--pin-dir")) {
			ctl.pin_dir = argv[++i];
		} else {
			ctl.control_path = argv[++i];
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	int i, rc = EXIT_USAGE;

	ctl_init();
	if (getenv("SLUICE_PIN_DIR"))
		ctl.pin_dir = getenv("SLUICE_PIN_DIR");
	if (getenv("SLUICE_CONTROL"))
		ctl.control_path = getenv("SLUICE_CONTROL");
	scan_json(argc, argv);
	i = global_opts(argc, argv, &rc);
	if (i < 0)
		return ctl_finish(rc);
	if (i == argc) {
		if (ctl.json)
			ctl_err("missing command (sluicectl --help lists them)");
		else
			overview(stderr);
		return ctl_finish(EXIT_USAGE);
	}
	return ctl_finish(dispatch(commands, argc - i, argv + i));
}
