/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ident_id.h - what identifying a request yields: an identity (the agent,
 * its plan, and what a token said of it), or a refusal in the words of
 * RFC 6750 (the error code and description of a WWW-Authenticate: Bearer
 * challenge).
 */
#ifndef SL_IDENT_ID_H
#define SL_IDENT_ID_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#include "sluice_abi.h"

enum ident_via {
	IDENT_VIA_API_KEY = 1,
	IDENT_VIA_JWT,
};

struct ident {
	enum ident_via via;
	size_t agent;			/* index in the policy's agents */
	char agent_name[SL_NAME_MAX];
	char plan[SL_NAME_MAX];		/* "" = no plan */
	/* JWT only (NULL, 0 otherwise): */
	char issuer_name[SL_NAME_MAX];	/* the policy's name for the issuer */
	char *issuer;			/* the token's "iss" */
	char *subject;			/* its "sub", when a string */
	char **scopes;			/* its scopes, in token order */
	size_t n_scopes;
};

/* Frees what @id holds and zeroes it; safe on a zeroed ident. */
void ident_clear(struct ident *id);
bool ident_has_scope(const struct ident *id, const char *scope);

/* RFC 6750 3.1 error codes. */
#define IDENT_INVALID_REQUEST "invalid_request"
#define IDENT_INVALID_TOKEN "invalid_token"

struct ident_refusal {
	const char *error;		/* IDENT_INVALID_REQUEST or IDENT_INVALID_TOKEN */
	/* Fixed text, never from the request: safe as a WWW-Authenticate
	 * error_description (RFC 6750 3: no '"' or '\'). */
	const char *description;
	/* For the log only: the value at fault as sent, printable ASCII with
	 * '"' and '\' replaced, cut short; "" when there is none. */
	char detail[128];
};

/* Fills @why; returns -EACCES, what a refusal returns. */
int ident_refuse(struct ident_refusal *why, const char *error, const char *description,
		 const char *detail, size_t detail_len);

#endif
