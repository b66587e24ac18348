/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pol_auth.h - the schema of the policy's "auth" section (documented in
 * policies/README.md): the resource sluice is, the authorization servers
 * it names, and the issuers whose JWT bearer tokens it takes.  The keys are
 * checked as ident_jwt.c will use them, and a jwks_file is read, so a
 * policy that checks clean has keys that load.
 */
#ifndef SL_POL_AUTH_H
#define SL_POL_AUTH_H

#include "pol_check.h"

extern const struct pc_object pol_auth_object;

/* An absolute file path, as every policy field naming a file takes it. */
extern const struct pc_string pol_abs_path;

#endif
