/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ident_jwt.h - JWT bearer tokens (RFC 7519, RFC 9068) checked the way an
 * OAuth 2.1 resource server must, as the MCP authorization specification
 * describes it: the policy's auth.jwt says which issuers are trusted, with
 * which algorithms and keys, and auth.resource is the audience a token must
 * name (RFC 8707).
 *
 * A token is accepted only when all of this holds: three base64url parts;
 * a header with an "alg" the issuer allows (never "none", never taken on
 * the token's word: the key must be of that algorithm's type) and no
 * "crit"; an "iss" that is a configured issuer; a key of that issuer,
 * chosen by "kid"; a signature that verifies; "exp" not passed and "nbf"
 * reached, give or take the issuer's leeway; an "aud" naming the resource;
 * and a claim naming an agent of the policy.  Anything else is refused with
 * an RFC 6750 invalid_token and a description.
 *
 * A kid that no key has makes the issuer's jwks_file be read again (keys
 * rotate), at most once every IDENT_JWKS_REREAD_S seconds whatever the
 * requests say; a reread that fails keeps the keys there were.
 *
 * Thread-safe: any number of threads may verify at once.
 */
#ifndef SL_IDENT_JWT_H
#define SL_IDENT_JWT_H

#include <stddef.h>
#include <time.h>

#include "ident_id.h"
#include "policy.h"

/* Longer tokens are refused unread; real ones are 1-2 KiB. */
#define IDENT_JWT_MAX_BYTES 8192
#define IDENT_JWKS_REREAD_S 30
/* Scopes kept from one token; more is refused. */
#define IDENT_MAX_SCOPES 64

struct ident_jwt;

/*
 * Builds the verifier for @pol's auth.jwt, reading each jwks_file.  *out
 * stays NULL when the policy configures no JWT.  0; -EINVAL or -errno with
 * the reason in @why; -ENOMEM.  @pol must outlive the verifier.
 */
int ident_jwt_new(const struct policy *pol, struct ident_jwt **out, char *why, size_t len);
void ident_jwt_free(struct ident_jwt *v);

/* Verifies the @len bytes at @token at Unix time @now: 0 and *id (the
 * caller ident_clear()s it), -EACCES and *why, or -ENOMEM. */
int ident_jwt_verify(struct ident_jwt *v, const char *token, size_t len, time_t now,
		     struct ident *id, struct ident_refusal *why);

/* How often issuer @name's jwks_file was read again since the verifier was
 * built (for tests and statistics); 0 for an unknown name. */
unsigned ident_jwt_rereads(struct ident_jwt *v, const char *name);

#endif
