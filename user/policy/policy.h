/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy.h - a sluice policy: JSON text checked against the schema in
 * policies/README.md and turned into plain C structs.
 *
 * policy_parse() never returns a half-checked policy: it returns 0 and a
 * policy, or -EINVAL and every error found, each with the 1-based line and
 * column of the offending JSON value (or key) and what was expected.
 */
#ifndef SL_POLICY_H
#define SL_POLICY_H

#include <stddef.h>
#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

#include "sluice_abi.h"
#include "base/prefix.h"
#include "pol_errors.h"	/* struct pol_errors: what policy_parse() reports */

/* A rate: @per_sec units a second with bursts of @burst units.  per_sec 0 = off. */
struct pol_rate {
	__u64 per_sec;
	__u64 burst;
};

/* Spelled as pol_schema.c's pol_mode_names, in this order. */
enum pol_attach_mode {
	POL_MODE_NATIVE = 0,
	POL_MODE_GENERIC,
	POL_MODE_TC,
};

struct pol_iface {
	char name[IF_NAMESIZE];
	enum pol_attach_mode mode;
};

/* Kernel-enforced limits of a plan (the daemon's limits live with tools). */
struct pol_plan {
	char name[SL_NAME_MAX];
	struct pol_rate syn;		/* new connections a second, per agent */
	struct pol_rate packets;	/* packets a second, per agent */
	struct pol_rate bytes;		/* bytes a second, per agent */
};

/* Spelled as pol_schema.c's pol_ban_names, in this order. */
enum pol_ban_action {
	POL_BAN_DROP = 0,
	POL_BAN_RST,
};

struct pol_agent {
	char name[SL_NAME_MAX];
	char plan[SL_NAME_MAX];		/* "" = no plan */
	struct sl_prefix *sources;	/* identity by source address */
	size_t n_sources;
	enum pol_ban_action ban_action;
	/* API keys as SHA-256 digests (lowercase hex, 64 chars + NUL). */
	char (*key_sha256)[65];
	size_t n_keys;
};

struct pol_kernel {
	struct pol_iface *ifaces;
	size_t n_ifaces;
	__u16 *ports;			/* protected destination ports */
	size_t n_ports;
	bool monitor;
	struct sl_prefix *deny;
	size_t n_deny;
	struct pol_rate syn_per_source;	/* per v4 /32 or v6 /64; per_sec 0 = off */
	__u32 events_per_sec;		/* ring-buffer events a second, all CPUs */
};

struct policy {
	struct pol_kernel kernel;
	struct pol_plan *plans;
	size_t n_plans;
	struct pol_agent *agents;
	size_t n_agents;
	/* The checked JSON (cJSON tree) for the daemon's sections. */
	struct cJSON *json;
};

/* Checks and converts @text (@len bytes, need not be NUL-terminated).  The
 * caller prints errors with the file name.  Errors are appended to @errs
 * (may be NULL) sorted by position, at most ~100 of them.  On error *out
 * stays NULL and the return is -EINVAL (policy errors) or -ENOMEM.
 * Defaults of the schema are filled into pol->json, so the daemon's
 * sections read every field without knowing the defaults. */
int policy_parse(const char *text, size_t len, struct policy **out, struct pol_errors *errs);
/* Reads @path and parses it; a read failure is reported as one error
 * without a position and returned as -errno. */
int policy_load_file(const char *path, struct policy **out, struct pol_errors *errs);
void policy_free(struct policy *pol);

const struct pol_plan *policy_find_plan(const struct policy *pol, const char *name);

#endif
