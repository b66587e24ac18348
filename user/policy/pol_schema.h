/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pol_schema.h - the sluice policy schema (documented in policies/README.md)
 * as tables for pol_check: every section, field, range, spelling and
 * default.  Rules between sections are pol_xref's.
 */
#ifndef SL_POL_SCHEMA_H
#define SL_POL_SCHEMA_H

#include "pol_check.h"

/* Spellings of enum pol_attach_mode and enum pol_ban_action (policy.h), in
 * enum order. */
extern const char *const pol_mode_names[];
extern const char *const pol_ban_names[];
/* agents.*.server_requests values, in the bit order of verdict.h's DECIDE_SR_*. */
extern const char *const pol_server_request_names[];

/* Index of @name in a NULL-terminated list, or -1. */
int pol_name_index(const char *const *names, const char *name);

/*
 * Checks the whole tree against the tables: duplicate keys, then every
 * section.  Adds defaults to @root as it goes.  0, -EINVAL (errors in
 * c->errs) or -ENOMEM.
 */
int pol_schema_check(struct pc_ctx *c, cJSON *root);

/*
 * Calls @fn for every field the schema accepts, with its path:
 *   "version"                  a top-level field
 *   "kernel.deny"              a field of an object
 *   "backends.*.url"           a field of each member of a map of names
 *   "kernel.interfaces[].mode" a field of each object in an array
 * The object kinds used in several places (rate, periods, budget) are
 * reported once under the kind's name ("rate.burst", "periods.per_day"); a
 * field of such a kind ("kernel.syn_per_source") is reported, not entered.  A path
 * may come more than once when two tables share a name (event and byte
 * rates are both "rate").  Only for documentation and its test.
 */
typedef void (*pol_schema_walk_fn)(const char *path, const struct pc_field *f, void *arg);
void pol_schema_walk(pol_schema_walk_fn fn, void *arg);

#endif
