// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl.c - sluicectl's shared plumbing: option parsing and the one place
 * where answers and errors go out, as text or as JSON (see ctl.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/control.h"
#include "base/log.h"
#include "ctl.h"

struct ctl_state ctl = {
	.pin_dir = SL_PIN_DIR,
	.control_path = SL_CONTROL_SOCKET,
};

/* With --json: the messages of this run, and the command's answer. */
static cJSON *msgs;
static cJSON *answer;

/* "sluicectl block: why" (plain "sluicectl: why" before a command is known). */
static void print_msg(const char *msg)
{
	fprintf(stderr, "sluicectl%s%s: %s\n", ctl.cmd ? " " : "", ctl.cmd ? ctl.cmd : "", msg);
}

static void ctl_verr(const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!ctl.json) {
		print_msg(msg);
		return;
	}
	if (!msgs)
		msgs = cJSON_CreateArray();
	cJSON_AddItemToArray(msgs, cJSON_CreateString(msg));
}

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_verr(fmt, ap);
	va_end(ap);
}

int ctl_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_verr(fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The layers below warn through pr_warn: their warnings are this command's. */
static void log_sink(enum sl_log_level level, const char *msg)
{
	size_t len = strlen(msg);

	if (level != SL_LOG_WARN) {
		fputs(msg, stderr);
		return;
	}
	while (len && msg[len - 1] == '\n')
		len--;
	ctl_err("%.*s", (int)len, msg);
}

void ctl_init(void)
{
	sl_log_hook_libbpf();
	sl_log_set_sink(log_sink);
}

/* getopt's own messages name argv[0], which here is the command word. */
static int option_error(int opt, char **argv)
{
	const char *text = argv[optind - 1];

	if (opt == ':')
		return ctl_usage_err("option '%s' needs a value", text);
	if (!optopt)	/* an unknown long option */
		return ctl_usage_err("unknown option '%s'", text);
	if (!strncmp(text, "--", 2) && strchr(text, '='))
		return ctl_usage_err("option '%s' takes no value", text);
	return ctl_usage_err("unknown option '-%c'", optopt);
}

int ctl_parse_opts(int argc, char **argv, const char *extra, const struct option *longs,
		   int (*on_opt)(int opt, const char *arg))
{
	static const struct option common[] = {
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	char shortopts[32];
	int opt;

	if (!longs)
		longs = common;
	/* The leading ':' makes a missing value ':' rather than '?'. */
	snprintf(shortopts, sizeof(shortopts), ":j%s", extra ? extra : "");
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longs, NULL)) != -1) {
		if (opt == 'j')
			ctl.json = true;
		else if (opt == '?' || opt == ':')
			return option_error(opt, argv);
		else if (!on_opt || on_opt(opt, optarg))
			return -EINVAL;
	}
	return 0;
}

int ctl_operands(int argc, char **argv, int min, int max)
{
	int n = argc - optind;

	if (n < min)
		return ctl_usage_err("missing %s", min - n > 1 ? "arguments" : "argument");
	if (max >= 0 && n > max)
		return ctl_usage_err("unexpected argument '%s'", argv[optind + max]);
	return 0;
}

int ctl_plain_args(int argc, char **argv, int n)
{
	if (ctl_parse_opts(argc, argv, NULL, NULL, NULL))
		return -EINVAL;
	return ctl_operands(argc, argv, n, n);
}

void ctl_answer(cJSON *obj)
{
	cJSON_Delete(answer);
	answer = obj;
}

void ctl_print_json(cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj);

	if (text)
		puts(text);
	free(text);
	cJSON_Delete(obj);
}

/* The messages as one line: what failed, in the order it was said. */
static char *joined_msgs(void)
{
	size_t len = 1;
	cJSON *m;
	char *out;

	cJSON_ArrayForEach(m, msgs)
		len += strlen(m->valuestring) + 2;
	out = calloc(1, len);
	if (!out)
		return NULL;
	cJSON_ArrayForEach(m, msgs) {
		if (*out)
			strcat(out, "; ");
		strcat(out, m->valuestring);
	}
	return out;
}

/* {"ok":false,"error":"...","command":"..."}, keeping the answer's own fields. */
static cJSON *error_json(int rc)
{
	cJSON *o = cJSON_IsObject(answer) ? answer : cJSON_CreateObject();
	char *why = joined_msgs();

	if (o != answer)
		cJSON_Delete(answer);
	answer = NULL;
	if (cJSON_HasObjectItem(o, "ok"))
		cJSON_ReplaceItemInObject(o, "ok", cJSON_CreateFalse());
	else
		cJSON_AddBoolToObject(o, "ok", false);
	cJSON_AddStringToObject(o, "error", why && *why ? why :
				rc == EXIT_USAGE ? "wrong arguments" : "failed");
	cJSON_AddStringToObject(o, "command", ctl.cmd ? ctl.cmd : "");
	if (rc == EXIT_USAGE && ctl.cmd && ctl.args) {
		char usage[256];

		snprintf(usage, sizeof(usage), "sluicectl %s%s%s", ctl.cmd, *ctl.args ? " " : "",
			 ctl.args);
		cJSON_AddStringToObject(o, "usage", usage);
	}
	free(why);
	return o;
}

int ctl_finish(int rc)
{
	cJSON *m;

	if (!ctl.json) {
		/* ctl.args is NULL when the error line says it all. */
		if (rc == EXIT_USAGE && ctl.cmd && ctl.args)
			fprintf(stderr, "usage: sluicectl %s%s%s\n", ctl.cmd, *ctl.args ? " " : "",
				ctl.args);
		return rc;
	}
	if (rc != EXIT_OK) {
		ctl_print_json(error_json(rc));
	} else {
		/* Warnings of a command that worked stay text, on stderr. */
		cJSON_ArrayForEach(m, msgs)
			print_msg(m->valuestring);
		if (answer)
			ctl_print_json(answer);
		answer = NULL;
	}
	cJSON_Delete(msgs);
	msgs = NULL;
	fflush(stdout);
	return rc;
}

int ctl_open_maps(struct sl_maps *m)
{
	return sl_maps_open(m, ctl.pin_dir) ? EXIT_FAIL : EXIT_OK;
}

long long ctl_seconds_left(__u64 until_ns, __u64 now_ns)
{
	if (until_ns == SL_FOREVER)
		return -1;
	return until_ns > now_ns ?
	       (long long)((until_ns - now_ns + SL_NSEC_PER_SEC - 1) / SL_NSEC_PER_SEC) : 0;
}
