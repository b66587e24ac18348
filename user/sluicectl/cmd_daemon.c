// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_daemon.c - sluicectl daemon and reload: one request each on
 * sluiced's control socket (base/control.h), one answer back.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/control.h"
#include "ctl.h"

/* How long sluiced may take to answer: a reload checks a whole policy. */
#define DAEMON_TIMEOUT_MS 10000

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* An "ok" answer is "key value" pairs ("pid 12 generation 3 ..."): as JSON
 * fields, numbers as numbers.  An answer of another shape stays one string. */
static cJSON *answer_json(const char *text)
{
	cJSON *o = cJSON_CreateObject();
	char *copy = strdup(text), *save = NULL, *key = NULL, *val;

	cJSON_AddBoolToObject(o, "ok", true);
	if (copy)
		key = strtok_r(copy, " ", &save);
	for (; key; key = strtok_r(NULL, " ", &save)) {
		val = strtok_r(NULL, " ", &save);
		if (!val || cJSON_HasObjectItem(o, key))
			break;
		if (all_digits(val))
			cJSON_AddNumberToObject(o, key, strtod(val, NULL));
		else
			cJSON_AddStringToObject(o, key, val);
	}
	if (!copy || key) {
		cJSON_Delete(o);
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddStringToObject(o, "answer", text);
	}
	free(copy);
	return o;
}

/* Sends @request to sluiced; its "ok ..." / "error ..." answer decides. */
static int daemon_request(const char *request)
{
	char answer[512];
	const char *rest;
	int err;

	err = control_request(ctl.control_path, request, answer, sizeof(answer), DAEMON_TIMEOUT_MS);
	if (err) {
		ctl_err("cannot reach sluiced at %s: %s", ctl.control_path, strerror(-err));
		return EXIT_FAIL;
	}
	if (strncmp(answer, "ok", 2)) {
		ctl_err("%s", strncmp(answer, "error ", 6) ? answer : answer + 6);
		return EXIT_FAIL;
	}
	rest = answer[2] == ' ' ? answer + 3 : answer + 2;
	if (ctl.json)
		ctl_answer(answer_json(rest));
	else
		printf("%s\n", answer[2] == ' ' ? rest : answer);
	return EXIT_OK;
}

int cmd_reload(int argc, char **argv)
{
	if (ctl_plain_args(argc, argv, 0))
		return EXIT_USAGE;
	return daemon_request("reload");
}

int cmd_daemon(int argc, char **argv)
{
	if (ctl_plain_args(argc, argv, 0))
		return EXIT_USAGE;
	return daemon_request("status");
}
