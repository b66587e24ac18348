// SPDX-License-Identifier: GPL-2.0-only
/*
 * ident.c - a request's credential and the identity it proves (see ident.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ident.h"

static bool b64url_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

bool ident_looks_like_jwt(const char *s, size_t len)
{
	size_t dots = 0, part = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (!part || ++dots > 2)
				return false;
			part = 0;
		} else if (b64url_char((unsigned char)s[i])) {
			part++;
		} else {
			return false;
		}
	}
	return dots == 2 && part > 0;
}

static bool b64token_char(unsigned char ch)
{
	return b64url_char(ch) || ch == '.' || ch == '~' || ch == '+' || ch == '/';
}

/* RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
 * "+" / "/" ) *"=" */
static bool b64token(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && b64token_char((unsigned char)s[i]))
		i++;
	if (!i)
		return false;
	while (i < len && s[i] == '=')
		i++;
	return i == len;
}

/* An API key in X-API-Key: visible ASCII only, no spaces. */
static bool key_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return len > 0;
}

static int bad_request(struct ident_refusal *why, const char *description)
{
	return ident_refuse(why, IDENT_INVALID_REQUEST, description, NULL, 0);
}

/* "Bearer" 1*SP b64token, the scheme in any case. */
static int parse_bearer(const char *v, struct ident_cred *cred, struct ident_refusal *why)
{
	size_t scheme = strcspn(v, " "), sp;

	if (scheme != 6 || strncasecmp(v, "Bearer", 6))
		return bad_request(why, "the Authorization scheme is not Bearer");
	sp = strspn(v + scheme, " ");
	cred->text = v + scheme + sp;
	cred->len = strlen(cred->text);
	if (!sp || cred->len > IDENT_JWT_MAX_BYTES || !b64token(cred->text, cred->len))
		return bad_request(why, "malformed Bearer credentials");
	cred->kind = ident_looks_like_jwt(cred->text, cred->len) ? IDENT_CRED_JWT :
		     IDENT_CRED_API_KEY;
	return 0;
}

/* The one header called @name, or NULL; -EACCES in *err for two of them. */
static const char *only_header(const char *const *names, const char *const *values, size_t n,
			       const char *name, int *err, struct ident_refusal *why)
{
	const char *found = NULL;

	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(names[i], name))
			continue;
		if (found) {
			*err = bad_request(why, !strcasecmp(name, "Authorization") ?
					   "more than one Authorization header" :
					   "more than one X-API-Key header");
			return NULL;
		}
		found = values[i];
	}
	return found;
}

int ident_cred_parse(const char *const *names, const char *const *values, size_t n,
		     struct ident_cred *cred, struct ident_refusal *why)
{
	const char *auth, *key;
	int err = 0;

	memset(cred, 0, sizeof(*cred));
	auth = only_header(names, values, n, "Authorization", &err, why);
	key = err ? NULL : only_header(names, values, n, "X-API-Key", &err, why);
	if (err)
		return err;
	if (auth && (err = parse_bearer(auth, cred, why)))
		return err;
	if (!key)
		return 0;
	if (auth && strcmp(key, cred->text))
		return bad_request(why, "Authorization and X-API-Key carry different credentials");
	if (strlen(key) > IDENT_KEY_MAX || !key_text(key, strlen(key)))
		return bad_request(why, "malformed X-API-Key");
	if (ident_looks_like_jwt(key, strlen(key)))
		return bad_request(why, "X-API-Key holds a JWT: send it as Authorization: Bearer");
	cred->kind = IDENT_CRED_API_KEY;
	cred->text = key;
	cred->len = strlen(key);
	return 0;
}

int ident_ctx_init(struct ident_ctx *ctx, const struct policy *pol, char *why, size_t len)
{
	int err;

	memset(ctx, 0, sizeof(*ctx));
	ctx->pol = pol;
	err = ident_keys_new(pol, &ctx->keys);
	if (!err)
		err = ident_jwt_new(pol, &ctx->jwt, why, len);
	if (err)
		ident_ctx_free(ctx);
	return err;
}

void ident_ctx_free(struct ident_ctx *ctx)
{
	ident_keys_free(ctx->keys);
	ident_jwt_free(ctx->jwt);
	memset(ctx, 0, sizeof(*ctx));
}

static int by_key(const struct ident_ctx *ctx, const struct ident_cred *cred, struct ident *id,
		  struct ident_refusal *why)
{
	int agent = cred->len > IDENT_KEY_MAX ? -1 :
		    ident_keys_find(ctx->keys, cred->text, cred->len);
	const struct pol_agent *a;

	if (agent < 0)
		return ident_refuse(why, IDENT_INVALID_TOKEN, "unknown API key", NULL, 0);
	a = &ctx->pol->agents[agent];
	id->via = IDENT_VIA_API_KEY;
	id->agent = (size_t)agent;
	snprintf(id->agent_name, sizeof(id->agent_name), "%s", a->name);
	snprintf(id->plan, sizeof(id->plan), "%s", a->plan);
	return 0;
}

int ident_authenticate(const struct ident_ctx *ctx, const char *const *names,
		       const char *const *values, size_t n, time_t now, struct ident *id,
		       struct ident_refusal *why)
{
	struct ident_cred cred;
	int err;

	memset(id, 0, sizeof(*id));
	err = ident_cred_parse(names, values, n, &cred, why);
	if (err)
		return err;
	switch (cred.kind) {
	case IDENT_CRED_NONE:
		return -ENOENT;
	case IDENT_CRED_API_KEY:
		return by_key(ctx, &cred, id, why);
	default:
		if (!ctx->jwt)
			return ident_refuse(why, IDENT_INVALID_TOKEN,
					    "this resource takes no JWT bearer tokens", NULL, 0);
		return ident_jwt_verify(ctx->jwt, cred.text, cred.len, now, id, why);
	}
}
