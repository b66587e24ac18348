// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy.c - read a policy: parse (jpos), check (pol_schema, pol_xref), and
 * only then convert the checked JSON into the structs of policy.h.
 *
 * Conversion happens after checking so that it can trust every value and
 * never has to report anything but running out of memory: a policy either
 * checks clean and converts whole, or is refused with all its errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "base/jpos.h"
#include "pol_schema.h"
#include "pol_xref.h"
#include "policy.h"

/* Far beyond any sane policy (a full deny list is ~2 MiB), and keeps a
 * mistaken path such as a disk image from being read into memory. */
#define POL_MAX_FILE_BYTES (64u << 20)

/* --- conversion ------------------------------------------------------------ */

static const cJSON *member(const cJSON *obj, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* Unsigned integer members; the schema has checked type and range. */
static __u64 u64_of(const cJSON *obj, const char *name)
{
	const cJSON *item = member(obj, name);

	return cJSON_IsNumber(item) ? (__u64)item->valuedouble : 0;
}

static struct pol_rate rate_of(const cJSON *rate)
{
	return (struct pol_rate){ u64_of(rate, "rate"), u64_of(rate, "burst") };
}

/* Room for @n items; one at least, so that NULL always means no memory. */
static void *alloc_items(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static int prefixes_of(const cJSON *list, struct sl_prefix **out, size_t *n)
{
	const cJSON *item;

	*n = 0;
	*out = alloc_items((size_t)cJSON_GetArraySize(list), sizeof(**out));
	if (!*out)
		return -ENOMEM;
	cJSON_ArrayForEach(item, list)
		sl_prefix_parse(item->valuestring, &(*out)[(*n)++], NULL);
	return 0;
}

static int build_ifaces(const cJSON *list, struct pol_kernel *k)
{
	const cJSON *item;

	k->ifaces = alloc_items((size_t)cJSON_GetArraySize(list), sizeof(*k->ifaces));
	if (!k->ifaces)
		return -ENOMEM;
	cJSON_ArrayForEach(item, list) {
		struct pol_iface *ifc = &k->ifaces[k->n_ifaces++];

		snprintf(ifc->name, sizeof(ifc->name), "%s", member(item, "name")->valuestring);
		ifc->mode = (enum pol_attach_mode)pol_name_index(pol_mode_names,
								 member(item, "mode")->valuestring);
	}
	return 0;
}

static int build_kernel(const cJSON *kernel, struct pol_kernel *k)
{
	const cJSON *ports = member(kernel, "protected_ports"), *item;

	k->ports = alloc_items((size_t)cJSON_GetArraySize(ports), sizeof(*k->ports));
	if (!k->ports || build_ifaces(member(kernel, "interfaces"), k) ||
	    prefixes_of(member(kernel, "deny"), &k->deny, &k->n_deny))
		return -ENOMEM;
	cJSON_ArrayForEach(item, ports)
		k->ports[k->n_ports++] = (__u16)item->valuedouble;
	k->monitor = cJSON_IsTrue(member(kernel, "monitor"));
	k->syn_per_source = rate_of(member(kernel, "syn_per_source"));
	k->events_per_sec = (__u32)u64_of(kernel, "events_per_second");
	return 0;
}

static int build_plans(const cJSON *plans, struct policy *pol)
{
	const cJSON *item;

	pol->plans = alloc_items((size_t)cJSON_GetArraySize(plans), sizeof(*pol->plans));
	if (!pol->plans)
		return -ENOMEM;
	cJSON_ArrayForEach(item, plans) {
		struct pol_plan *p = &pol->plans[pol->n_plans++];
		const cJSON *kernel = member(item, "kernel");

		snprintf(p->name, sizeof(p->name), "%s", item->string);
		p->syn = rate_of(member(kernel, "syn"));
		p->packets = rate_of(member(kernel, "packets"));
		p->bytes = rate_of(member(kernel, "bytes"));
	}
	return 0;
}

static int build_agent(const cJSON *item, struct pol_agent *a)
{
	const cJSON *plan = member(item, "plan"), *keys = member(item, "keys_sha256"), *key;

	snprintf(a->name, sizeof(a->name), "%s", item->string);
	snprintf(a->plan, sizeof(a->plan), "%s", cJSON_IsString(plan) ? plan->valuestring : "");
	a->ban_action = (enum pol_ban_action)pol_name_index(pol_ban_names,
							    member(item, "ban_action")->valuestring);
	a->key_sha256 = alloc_items((size_t)cJSON_GetArraySize(keys), sizeof(*a->key_sha256));
	if (!a->key_sha256 || prefixes_of(member(item, "sources"), &a->sources, &a->n_sources))
		return -ENOMEM;
	cJSON_ArrayForEach(key, keys)
		snprintf(a->key_sha256[a->n_keys++], sizeof(*a->key_sha256), "%s", key->valuestring);
	return 0;
}

static int build_agents(const cJSON *agents, struct policy *pol)
{
	const cJSON *item;

	pol->agents = alloc_items((size_t)cJSON_GetArraySize(agents), sizeof(*pol->agents));
	if (!pol->agents)
		return -ENOMEM;
	cJSON_ArrayForEach(item, agents)
		if (build_agent(item, &pol->agents[pol->n_agents++]))
			return -ENOMEM;
	return 0;
}

/* Takes @root on success. */
static int build(cJSON *root, struct policy **out)
{
	struct policy *pol = calloc(1, sizeof(*pol));

	if (!pol)
		return -ENOMEM;
	if (build_kernel(member(root, "kernel"), &pol->kernel) ||
	    build_plans(member(root, "plans"), pol) ||
	    build_agents(member(root, "agents"), pol)) {
		policy_free(pol);
		return -ENOMEM;
	}
	pol->json = root;
	*out = pol;
	return 0;
}

/* --- parsing --------------------------------------------------------------- */

static int check(const struct jpos *jp, cJSON *root, struct pol_errors *errs)
{
	struct pc_ctx c = { .jp = jp, .errs = errs, .root = root };
	size_t before = errs->n;
	int ret;

	jpos_value_off(jp, root, &c.at);
	ret = pol_schema_check(&c, root);
	/* Sections with errors still get their cross-references checked:
	 * one run reports everything. */
	if (ret != -ENOMEM && cJSON_IsObject(root)) {
		int r = pol_xref_check(&c, root);

		ret = r == -ENOMEM ? r : ret ? ret : r;
	}
	if (ret == -ENOMEM || c.fatal)
		return -ENOMEM;
	return errs->n > before ? -EINVAL : 0;
}

static int parse(const char *text, size_t len, struct policy **out, struct pol_errors *errs)
{
	struct jpos *jp = jpos_new(text, len);
	struct jpos_error jerr;
	cJSON *root = NULL;
	int ret, line, col;

	if (!jp)
		return -ENOMEM;
	ret = jpos_parse(jp, &root, &jerr);
	if (ret == -EINVAL) {
		jpos_line_col(jp, jerr.off, &line, &col);
		if (pol_errors_add(errs, line, col, "%s", jerr.msg))
			ret = -ENOMEM;
	}
	if (!ret)
		ret = check(jp, root, errs);
	if (!ret)
		ret = build(root, out);
	if (ret)
		cJSON_Delete(root);
	jpos_free(jp);
	return ret;
}

int policy_parse(const char *text, size_t len, struct policy **out, struct pol_errors *errs)
{
	struct pol_errors scratch = {};
	struct pol_errors *e = errs ? errs : &scratch;
	size_t before = e->n;
	int ret;

	*out = NULL;
	ret = parse(text, len, out, e);
	pol_errors_sort(e, before);
	pol_errors_free(&scratch);
	return ret;
}

static int read_all(int fd, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if ((unsigned long long)st.st_size > POL_MAX_FILE_BYTES)
		return -EFBIG;
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;	/* shrank under us */
		got += (size_t)n;
	}
	(*buf)[got] = '\0';	/* not needed by the parser, but cheap insurance */
	*len = got;
	return 0;
}

int policy_load_file(const char *path, struct policy **out, struct pol_errors *errs)
{
	struct pol_errors scratch = {};
	struct pol_errors *e = errs ? errs : &scratch;
	char *text = NULL;
	size_t len = 0;
	int fd, err;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out_report;
	}
	err = read_all(fd, &text, &len);
	close(fd);
	if (err)
		goto out_report;
	err = policy_parse(text, len, out, e);
	goto out;
out_report:
	if (err == -EFBIG)
		pol_errors_add(e, 0, 0, "cannot read: larger than %u MiB", POL_MAX_FILE_BYTES >> 20);
	else
		pol_errors_add(e, 0, 0, "cannot read: %s", strerror(-err));
out:
	free(text);
	pol_errors_free(&scratch);
	return err;
}

void policy_free(struct policy *pol)
{
	if (!pol)
		return;
	for (size_t i = 0; i < pol->n_agents; i++) {
		free(pol->agents[i].sources);
		free(pol->agents[i].key_sha256);
	}
	free(pol->agents);
	free(pol->plans);
	free(pol->kernel.ifaces);
	free(pol->kernel.ports);
	free(pol->kernel.deny);
	cJSON_Delete(pol->json);
	free(pol);
}

const struct pol_plan *policy_find_plan(const struct policy *pol, const char *name)
{
	for (size_t i = 0; i < pol->n_plans; i++)
		if (!strcmp(pol->plans[i].name, name))
			return &pol->plans[i];
	return NULL;
}
