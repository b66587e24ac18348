// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_attach.c - sluicectl attach, detach and status: the kernel half's
 * programs on interfaces, and what is loaded there.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kern/attach.h"
#include "ctl.h"

/* --- attach / detach --------------------------------------------------------- */

static enum pol_attach_mode attach_mode;
static const char *attach_policy;
static bool attach_list;

static int attach_opt(int opt, const char *arg)
{
	if (opt == 'p') {
		attach_policy = arg;
		return 0;
	}
	if (opt == 'l') {
		attach_list = true;
		return 0;
	}
	if (!sl_mode_parse(arg, &attach_mode))
		return 0;
	return ctl_usage_err("--mode must be native, generic or tc, not '%s'", arg);
}

/* Says that @ifname is attached: a line, or an entry of @list with --json. */
static void report_attached(cJSON *list, const char *ifname, enum pol_attach_mode mode)
{
	cJSON *o;

	if (!ctl.json) {
		printf("attached %s (%s)\n", ifname, sl_mode_name(mode));
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "interface", ifname);
	cJSON_AddStringToObject(o, "mode", sl_mode_name(mode));
	cJSON_AddItemToArray(list, o);
}

static int attach_one(cJSON *list, const char *ifname, enum pol_attach_mode mode)
{
	if (sl_attach(ctl.pin_dir, ifname, mode))
		return EXIT_FAIL;
	report_attached(list, ifname, mode);
	return EXIT_OK;
}

static int attach_from_policy(const char *file, cJSON *list)
{
	struct policy *pol = ctl_check_policy(file);
	int rc = EXIT_OK;

	if (!pol)
		return EXIT_FAIL;
	if (!pol->kernel.n_ifaces) {
		ctl_err("%s names no kernel.interfaces", file);
		rc = EXIT_FAIL;
	}
	for (size_t i = 0; i < pol->kernel.n_ifaces; i++) {
		const struct pol_iface *ifc = &pol->kernel.ifaces[i];

		if (attach_one(list, ifc->name, ifc->mode))
			rc = EXIT_FAIL;
	}
	policy_free(pol);
	return rc;
}

static int list_attachments(void);

int cmd_attach(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	cJSON *answer = NULL, *list = NULL;
	int rc = EXIT_OK;

	attach_mode = POL_MODE_NATIVE;
	attach_policy = NULL;
	attach_list = false;
	if (ctl_parse_opts(argc, argv, "m:p:l", longs, attach_opt))
		return EXIT_USAGE;
	if (attach_list) {
		if (attach_policy || optind < argc) {
			ctl_usage_err("--list takes no interfaces and no --policy");
			return EXIT_USAGE;
		}
		return list_attachments();
	}
	if (attach_policy && optind < argc) {
		ctl_usage_err("name interfaces or --policy FILE, not both");
		return EXIT_USAGE;
	}
	if (!attach_policy && ctl_operands(argc, argv, 1, -1))
		return EXIT_USAGE;
	if (ctl.json) {
		answer = cJSON_CreateObject();
		cJSON_AddBoolToObject(answer, "ok", true);
		list = cJSON_AddArrayToObject(answer, "attached");
		ctl_answer(answer);
	}
	if (attach_policy)
		return attach_from_policy(attach_policy, list);
	for (int i = optind; i < argc; i++)
		if (attach_one(list, argv[i], attach_mode))
			rc = EXIT_FAIL;
	return rc;
}

int cmd_detach(int argc, char **argv)
{
	cJSON *answer, *list = NULL;
	int rc = EXIT_OK;

	if (ctl_parse_opts(argc, argv, NULL, NULL, NULL) || ctl_operands(argc, argv, 1, -1))
		return EXIT_USAGE;
	if (ctl.json) {
		answer = cJSON_CreateObject();
		cJSON_AddBoolToObject(answer, "ok", true);
		list = cJSON_AddArrayToObject(answer, "detached");
		ctl_answer(answer);
	}
	for (int i = optind; i < argc; i++) {
		if (sl_detach(ctl.pin_dir, argv[i]))
			rc = EXIT_FAIL;
		else if (list)
			cJSON_AddItemToArray(list, cJSON_CreateString(argv[i]));
		else
			printf("detached %s\n", argv[i]);
	}
	return rc;
}

/* --- status ------------------------------------------------------------------ */

/* One attachment as a line: its name now, and what a reader needs besides. */
static void attachment_text(const struct sl_attachment *a)
{
	printf("attached: %s %s", a->ifname, a->hook);
	if (a->legacy)
		printf(" (recorded by an older sluice, namespace unknown: `sluicectl detach %s` "
		       "in its namespace)", a->ifname);
	else if (!a->here)
		printf(" (network namespace %llu, index %d)", a->netns_ino, a->ifindex);
	else if (a->gone)
		printf(" (gone: `sluicectl detach %s` removes the record)", a->attached_as);
	else if (strcmp(a->ifname, a->attached_as))
		printf(" (renamed; attached as %s)", a->attached_as);
	printf("\n");
}

static cJSON *attachments_json(const struct sl_attachment *at, int n)
{
	cJSON *arr = cJSON_CreateArray();

	for (int i = 0; i < n; i++) {
		cJSON *a = cJSON_CreateObject();

		cJSON_AddStringToObject(a, "interface", at[i].ifname);
		cJSON_AddStringToObject(a, "hook", at[i].hook);
		cJSON_AddStringToObject(a, "attached_as", at[i].attached_as);
		cJSON_AddNumberToObject(a, "ifindex", at[i].ifindex);
		cJSON_AddNumberToObject(a, "netns", (double)at[i].netns_ino);
		cJSON_AddBoolToObject(a, "here", at[i].here);
		cJSON_AddBoolToObject(a, "gone", at[i].gone);
		cJSON_AddBoolToObject(a, "legacy", at[i].legacy);
		cJSON_AddItemToArray(arr, a);
	}
	return arr;
}

static void status_text(const struct sl_config *cfg, const struct sl_attachment *at, int n)
{
	unsigned int ports = 0;

	for (size_t w = 0; w < SL_PORT_WORDS; w++)
		ports += (unsigned int)__builtin_popcountll(cfg->ports[w]);
	printf("policy generation %llu, %s mode, %u protected ports, %u exact / %u v4 / %u v6 "
	       "source entries (exact filter %s), %u events/s\n",
	       (unsigned long long)cfg->generation,
	       cfg->flags & SL_CFG_F_MONITOR ? "monitor" : "enforce", ports,
	       cfg->n_exact_v4 + cfg->n_exact_v6, cfg->n_prefix_v4, cfg->n_prefix_v6,
	       cfg->flags & SL_CFG_F_EXACT_FILTER ? "armed" : "off", cfg->events_per_sec);
	for (int i = 0; i < n; i++)
		attachment_text(&at[i]);
}

/* `sluicectl attach --list`: the records alone, no maps needed. */
static int list_attachments(void)
{
	struct sl_attachment at[64];
	int n = sl_list_attachments(ctl.pin_dir, at, sizeof(at) / sizeof(at[0]));
	cJSON *o;

	if (n < 0) {
		ctl_err("%s", strerror(-n));
		return EXIT_FAIL;
	}
	if (!ctl.json) {
		for (int i = 0; i < n; i++)
			attachment_text(&at[i]);
		return EXIT_OK;
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", true);
	cJSON_AddItemToObject(o, "attached", attachments_json(at, n));
	ctl_answer(o);
	return EXIT_OK;
}

static cJSON *status_json(const struct sl_config *cfg, const struct sl_attachment *at, int n)
{
	cJSON *o = cJSON_CreateObject(), *ports;

	cJSON_AddNumberToObject(o, "generation", (double)cfg->generation);
	cJSON_AddBoolToObject(o, "monitor", cfg->flags & SL_CFG_F_MONITOR);
	cJSON_AddBoolToObject(o, "exact_filter", cfg->flags & SL_CFG_F_EXACT_FILTER);
	cJSON_AddNumberToObject(o, "events_per_sec", cfg->events_per_sec);
	ports = cJSON_AddArrayToObject(o, "protected_ports");
	for (int p = 0; p < 65536; p++)
		if (cfg->ports[p / 64] & (1ULL << (p % 64)))
			cJSON_AddItemToArray(ports, cJSON_CreateNumber(p));
	cJSON_AddItemToObject(o, "attached", attachments_json(at, n));
	return o;
}

int cmd_status(int argc, char **argv)
{
	struct sl_attachment at[64];
	struct sl_config cfg;
	struct sl_maps m;
	int n, err;

	if (ctl_plain_args(argc, argv, 0))
		return EXIT_USAGE;
	if (ctl_open_maps(&m))
		return EXIT_FAIL;
	err = sl_maps_read_config(&m, &cfg);
	n = sl_list_attachments(ctl.pin_dir, at, sizeof(at) / sizeof(at[0]));
	sl_maps_close(&m);
	if (err || n < 0) {
		ctl_err("%s", strerror(-(err ? err : n)));
		return EXIT_FAIL;
	}
	if (ctl.json)
		ctl_answer(status_json(&cfg, at, n));
	else
		status_text(&cfg, at, n);
	return EXIT_OK;
}
