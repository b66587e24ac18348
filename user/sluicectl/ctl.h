/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl.h - what sluicectl's command files share: the shape of the command
 * table, the global options, option parsing, and the one way a command
 * reports its answer or its errors.
 *
 * Reporting: in text mode an error goes to stderr at once as
 * "sluicectl COMMAND: why"; with --json nothing but JSON goes to stdout, and
 * the command's answer (or, on failure, {"ok":false,"error":...,"command":...})
 * is printed once by ctl_finish().  Warnings from the layers below (pr_warn)
 * are routed through the same path, so they name the command too.
 */
#ifndef SL_CTL_H
#define SL_CTL_H

#include <stdbool.h>
#include <getopt.h>
#include <linux/types.h>
#include <cjson/cJSON.h>

#include "kern/maps.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* One command of the table in sluicectl.c, with its help next to it. */
struct ctl_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* NULL for a group */
	const struct ctl_cmd *sub;		/* a group's commands (policy check|load) */
	const char *args;			/* the syntax after the name */
	const char *summary;			/* one line, for `sluicectl --help` */
	const char *help;			/* what it does */
	const char *params;			/* each argument and option, a line each */
	const char *example;			/* one or more command lines */
};

/* The global options, and the command being run. */
struct ctl_state {
	const char *pin_dir;
	const char *control_path;
	bool json;
	const char *cmd;	/* "policy check"; NULL before dispatch */
	const char *args;	/* its syntax, for the usage line */
};
extern struct ctl_state ctl;

/* Takes over pr_warn and friends (see above); called once by main(). */
void ctl_init(void);

/* Parses the options every command shares (--json) plus @extra / @longs;
 * @on_opt gets the others.  Operands are left in argv[optind..].  0, or
 * -EINVAL with the usage error already reported. */
int ctl_parse_opts(int argc, char **argv, const char *extra, const struct option *longs,
		   int (*on_opt)(int opt, const char *arg));
/* Checks that argv[optind..] holds @min to @max operands (@max -1: any). */
int ctl_operands(int argc, char **argv, int min, int max);
/* The common case: --json only, and exactly @n operands. */
int ctl_plain_args(int argc, char **argv, int n);

/* A failure (EXIT_FAIL or EXIT_USAGE follows): text at once, or kept for JSON. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for a usage error; returns -EINVAL for one-line returns. */
int ctl_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* With --json: @obj (owned from now) is the answer, printed by ctl_finish();
 * on failure its fields go into the error object. */
void ctl_answer(cJSON *obj);
/* Prints one JSON value at once (each event) and frees it. */
void ctl_print_json(cJSON *obj);
/* Ends a command with exit status @rc: prints the answer or the error. */
int ctl_finish(int rc);

int ctl_open_maps(struct sl_maps *m);
/* Seconds left of a deadline: -1 forever, 0 none or passed. */
long long ctl_seconds_left(__u64 until_ns, __u64 now_ns);

/* Checks @file, reporting every error (as JSON "errors" with --json); NULL then. */
struct policy *ctl_check_policy(const char *file);

/* The commands: cmd_attach.c, cmd_policy.c, cmd_sources.c, cmd_stats.c, cmd_daemon.c,
 * cmd_key.c, cmd_usage.c, cmd_audit.c, cmd_top.c. */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_policy_check(int argc, char **argv);
int cmd_policy_load(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_unblock(int argc, char **argv);
int cmd_ban(int argc, char **argv);
int cmd_unban(int argc, char **argv);
int cmd_sources(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_key_new(int argc, char **argv);
int cmd_usage(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif
