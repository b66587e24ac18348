/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ident.h - who a request says it comes from: the credential in its
 * headers, and the identity it proves (an API key, ident_key.h, or a JWT
 * bearer token, ident_jwt.h).
 *
 * Where a credential may be (RFC 6750 2.1, and the API-key convention):
 *   Authorization: Bearer <b64token>     an API key or a JWT
 *   X-API-Key: <key>                     an API key
 * The scheme is case-insensitive; one or more spaces follow it; the token
 * is RFC 6750's b64token and nothing else.  A value with three non-empty
 * base64url parts joined by two dots is a JWT; anything else is an API key
 * (sluice's own keys have no dots).  A request that could be read two ways
 * is refused: two Authorization or two X-API-Key headers, or both headers
 * with different values.  Credentials in the URL are never looked at.
 */
#ifndef SL_IDENT_H
#define SL_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ident_id.h"
#include "ident_jwt.h"
#include "ident_key.h"
#include "policy.h"

enum ident_cred_kind {
	IDENT_CRED_NONE,
	IDENT_CRED_API_KEY,
	IDENT_CRED_JWT,
};

/* The credential a request carries; @text points into a header value. */
struct ident_cred {
	enum ident_cred_kind kind;
	const char *text;
	size_t len;
};

/* Is this a JWT in compact form (three base64url parts, two dots)? */
bool ident_looks_like_jwt(const char *s, size_t len);

/*
 * Finds the credential among @n headers (@names compared case-insensitively,
 * @values as the HTTP reader trimmed them).  0 with *cred (kind NONE when
 * there is none), or -EACCES with an invalid_request in *why.
 */
int ident_cred_parse(const char *const *names, const char *const *values, size_t n,
		     struct ident_cred *cred, struct ident_refusal *why);

/* What identifying needs, built once per policy (ident_ctx_init). */
struct ident_ctx {
	const struct policy *pol;
	struct ident_keys *keys;
	struct ident_jwt *jwt;		/* NULL: no auth.jwt in the policy */
};

/* 0; -ENOMEM; or -EINVAL / -errno with @why when a jwks_file cannot be
 * read now (the policy check read it, but files change). */
int ident_ctx_init(struct ident_ctx *ctx, const struct policy *pol, char *why, size_t len);
void ident_ctx_free(struct ident_ctx *ctx);

/*
 * Identifies a request by its headers at Unix time @now.  0 with *id (the
 * caller ident_clear()s it); -ENOENT when the request carries no credential
 * (RFC 6750 3.1: answer without an error code); -EACCES with *why;
 * -ENOMEM.  Thread-safe.
 */
int ident_authenticate(const struct ident_ctx *ctx, const char *const *names,
		       const char *const *values, size_t n, time_t now, struct ident *id,
		       struct ident_refusal *why);

#endif
