// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_policy.c - sluicectl policy check and policy load: a policy file's
 * errors with line:column, and its kernel part written into the maps.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static cJSON *errors_json(const struct pol_errors *errs, const char *file)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < errs->n; i++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "file", file);
		cJSON_AddNumberToObject(e, "line", errs->v[i].line);
		cJSON_AddNumberToObject(e, "column", errs->v[i].col);
		cJSON_AddStringToObject(e, "message", errs->v[i].msg);
		cJSON_AddItemToArray(arr, e);
	}
	return arr;
}

struct policy *ctl_check_policy(const char *file)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;

	if (!policy_load_file(file, &pol, &errs))
		return pol;
	if (ctl.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "ok", false);
		cJSON_AddItemToObject(o, "errors", errors_json(&errs, file));
		ctl_answer(o);
	} else {
		/* "FILE:LINE:COL: error: ..." as compilers say it, for editors. */
		pol_errors_print(&errs, file, stderr);
	}
	ctl_err("%s: %zu error%s", file, errs.n, errs.n == 1 ? "" : "s");
	pol_errors_free(&errs);
	return NULL;
}

int cmd_policy_check(int argc, char **argv)
{
	struct policy *pol;

	if (ctl_plain_args(argc, argv, 1))
		return EXIT_USAGE;
	pol = ctl_check_policy(argv[optind]);
	if (!pol)
		return EXIT_FAIL;
	/* Valid, but worth a second look before it goes live (decide.h). */
	if (!pol->n_agents)
		fprintf(stderr, "%s: warning: policy has no agents: OPEN GATEWAY, every caller "
			"may call every tool\n", argv[optind]);
	if (ctl.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddItemToObject(o, "errors", cJSON_CreateArray());
		if (!pol->n_agents)
			cJSON_AddItemToObject(o, "warnings", cJSON_CreateStringArray(
				(const char *[]){ "policy has no agents: OPEN GATEWAY" }, 1));
		ctl_answer(o);
	} else {
		printf("%s: ok (%zu agents, %zu plans, %zu deny entries, %zu protected ports)\n",
		       argv[optind], pol->n_agents, pol->n_plans, pol->kernel.n_deny,
		       pol->kernel.n_ports);
	}
	policy_free(pol);
	return EXIT_OK;
}

static void report_applied(const char *file, const struct sl_apply_report *r)
{
	if (ctl.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddNumberToObject(o, "generation", (double)r->generation);
		cJSON_AddNumberToObject(o, "sources_written", r->src_updated);
		cJSON_AddNumberToObject(o, "sources_removed", r->src_deleted);
		cJSON_AddNumberToObject(o, "sources_total", r->src_total);
		cJSON_AddNumberToObject(o, "agents_added", r->agents_added);
		cJSON_AddNumberToObject(o, "agents_updated", r->agents_updated);
		cJSON_AddNumberToObject(o, "agents_removed", r->agents_removed);
		ctl_answer(o);
		return;
	}
	printf("%s: loaded as generation %llu: sources %u written, %u removed, %u in all; "
	       "agents %u added, %u updated, %u removed\n", file,
	       (unsigned long long)r->generation, r->src_updated, r->src_deleted, r->src_total,
	       r->agents_added, r->agents_updated, r->agents_removed);
}

int cmd_policy_load(int argc, char **argv)
{
	struct sl_apply_report rep;
	struct policy *pol;
	struct sl_maps m;
	int err;

	if (ctl_plain_args(argc, argv, 1))
		return EXIT_USAGE;
	/* Check first: a policy that does not check changes nothing. */
	pol = ctl_check_policy(argv[optind]);
	if (!pol)
		return EXIT_FAIL;
	if (ctl_open_maps(&m)) {
		policy_free(pol);
		return EXIT_FAIL;
	}
	err = sl_maps_lock(&m);
	if (!err)
		err = sl_maps_apply_policy(&m, pol, &rep);
	sl_maps_unlock(&m);
	if (err)
		ctl_err("%s: cannot load into the maps: %s", argv[optind], strerror(-err));
	else
		report_applied(argv[optind], &rep);
	sl_maps_close(&m);
	policy_free(pol);
	return err ? EXIT_FAIL : EXIT_OK;
}
