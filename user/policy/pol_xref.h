/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pol_xref.h - the policy rules that span sections (names that must exist,
 * identities two agents may not share, the kernel tables' capacity).
 */
#ifndef SL_POL_XREF_H
#define SL_POL_XREF_H

#include "pol_check.h"

/*
 * Runs every rule on @root, an object whose sections may still hold errors
 * (each rule skips what is not of the expected type), so that one run
 * reports everything.  Fills in default_backend and each tool's backend.
 * 0, -EINVAL (errors in c->errs) or -ENOMEM.
 */
int pol_xref_check(struct pc_ctx *c, cJSON *root);

#endif
