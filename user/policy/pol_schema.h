/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pol_schema.h - the sluice policy schema (documented in policies/README.md)
 * as tables for pol_check, and the cross-reference checks between sections.
 */
#ifndef SL_POL_SCHEMA_H
#define SL_POL_SCHEMA_H

#include "pol_check.h"

/* Spellings of enum pol_attach_mode and enum pol_ban_action, in enum order. */
extern const char *const pol_mode_names[];
extern const char *const pol_ban_names[];

/* Index of @name in a NULL-terminated list, or -1. */
int pol_name_index(const char *const *names, const char *name);

/*
 * Checks the whole tree: duplicate keys, every section against its table,
 * then the references between sections.  Adds defaults to @root as it goes.
 * 0, -EINVAL (errors in c->errs) or -ENOMEM.
 */
int pol_schema_check(struct pc_ctx *c, cJSON *root);

/* The rules between sections (pol_xref.c), run on a tree whose sections may
 * still hold errors: each rule skips what is not of the expected type. */
int pol_xref_check(struct pc_ctx *c, cJSON *root);

#endif
