// SPDX-License-Identifier: GPL-2.0-only
/*
 * pol_auth.c - the "auth" section's tables and rules (see pol_auth.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ident_jwk.h"
#include "pol_auth.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FIELDS(table) (table), ARRAY_SIZE(table)

static bool graph_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f;
}

static bool name_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

/* An absolute http(s) URL with a host; what else it may hold is the
 * caller's rule. */
static const char *http_url_why(const char *s)
{
	const char *host = !strncmp(s, "https://", 8) ? s + 8 :
			   !strncmp(s, "http://", 7) ? s + 7 : NULL;
	size_t n;

	if (!host)
		return "must start with https:// or http://";
	n = strcspn(host, "/?#");
	if (!n)
		return "missing host";
	if (memchr(host, '@', n))
		return "credentials (user@) do not belong in it";
	return NULL;
}

/* RFC 8414 2: an issuer identifier has no query or fragment. */
static const char *issuer_why(const char *s, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (strpbrk(s, "?#"))
		return "an issuer identifier has no query or fragment (RFC 8414)";
	return http_url_why(s);
}

/* RFC 8707 2: a resource URI has no fragment, and should have no query. */
static const char *resource_why(const char *s, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (strpbrk(s, "?#"))
		return "a resource URI has no query or fragment (RFC 8707)";
	return http_url_why(s);
}

static const char *alg_why(const char *s, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ident_alg_refusal(s);
}

static const char *abs_path_why(const char *s, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (s[0] != '/')
		return "must be absolute: sluiced's working directory is not the policy's";
	return s[strlen(s) - 1] == '/' ? "names a directory: name the file in it" : NULL;
}

static const struct pc_string S_RESOURCE = {
	"a resource URI (https://mcp.example.com/mcp)", 8, 2048, graph_char, resource_why
};
static const struct pc_string S_ISSUER = {
	"an issuer URL (https://auth.example.com)", 8, 2048, graph_char, issuer_why
};
static const struct pc_string S_ALG = {
	"a JWS algorithm (RS256, PS256, ES256, HS256)", 1, 32, graph_char, alg_why
};
const struct pc_string pol_abs_path = {
	"an absolute file path (/etc/sluice/jwks.json)", 1, 4096, graph_char, abs_path_why
};
static const struct pc_string S_CLAIM = {
	"a claim name (1..256 printable characters)", 1, 256, graph_char
};
static const struct pc_string S_ISSUER_NAME = {
	"an issuer name (1..63 characters of A-Za-z0-9._-)", 1, 63, name_char
};
static const struct pc_int I_LEEWAY = { 0, 300 };

static bool canon_string(const cJSON *item, char *buf, size_t len)
{
	snprintf(buf, len, "\"%s\"", item->valuestring);
	return true;
}

/* --- keys -------------------------------------------------------------------- */

/* An error at @key's member @name when it is there, else at @key. */
static int key_error(struct pc_ctx *c, const cJSON *key, const char *name, const char *msg)
{
	const cJSON *m = name ? cJSON_GetObjectItemCaseSensitive(key, name) : NULL;
	size_t mark;
	int ret;

	if (!m)
		return pc_error(c, key, "%s", msg);
	mark = pc_push_key(c, name);
	ret = pc_error(c, m, "%s", msg);
	pc_pop(c, mark);
	return ret;
}

/* Each key alone; what the issuer's algorithms say of it is issuer_finish's. */
static int check_jwk(struct pc_ctx *c, cJSON *item, const void *arg)
{
	struct ident_jwk_problem why;
	struct ident_jwk k;
	int err;

	(void)arg;
	err = ident_jwk_import(item, &k, &why);
	if (err == -ENOMEM)
		return c->fatal = -ENOMEM;
	if (err)
		return key_error(c, item, why.member, why.msg);
	ident_jwk_clear(&k);
	return 0;
}

static const struct pc_array A_ALGS = { pc_string, &S_ALG, 1, IDENT_N_ALGS, canon_string,
					"algorithm" };
static const struct pc_array A_KEYS = { check_jwk, NULL, 1, 64, NULL, "key" };
static const struct pc_array A_SERVERS = { pc_string, &S_ISSUER, 0, 16, canon_string,
					   "authorization server" };

static unsigned algs_of(const cJSON *list)
{
	const cJSON *alg;
	unsigned algs = 0;

	cJSON_ArrayForEach(alg, list)
		algs |= IDENT_ALG_BIT(ident_alg_index(alg->valuestring));
	return algs;
}

/* Every algorithm allowed must have a key that verifies it. */
static int algs_covered(struct pc_ctx *c, const cJSON *list, const struct ident_jwks *ks)
{
	const cJSON *alg;
	size_t i = 0, mark;
	int ret = 0;

	cJSON_ArrayForEach(alg, list) {
		unsigned bit = IDENT_ALG_BIT(ident_alg_index(alg->valuestring));
		bool found = false;

		for (size_t k = 0; k < ks->n; k++)
			found |= (ks->v[k].algs & bit) != 0;
		if (!found) {
			mark = pc_push_key(c, "algorithms");
			pc_push_index(c, i);
			ret = pc_error(c, alg, "no key verifies %s: add one, or drop %s",
				       alg->valuestring, alg->valuestring);
			pc_pop(c, mark);
		}
		i++;
	}
	return ret;
}

static int inline_keys(struct pc_ctx *c, const cJSON *obj, unsigned algs)
{
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(obj, "keys");
	struct ident_jwks_error e;
	struct ident_jwks *ks;
	size_t mark;
	int ret = ident_jwks_from_json(keys, algs, false, &ks, &e);

	if (ret == -ENOMEM)
		return c->fatal = -ENOMEM;
	if (!ret) {
		ret = algs_covered(c, cJSON_GetObjectItemCaseSensitive(obj, "algorithms"), ks);
		ident_jwks_put(ks);
		return ret;
	}
	mark = pc_push_key(c, "keys");
	if (e.index < 0) {
		ret = pc_error(c, keys, "%s", e.msg);
	} else {
		pc_push_index(c, (size_t)e.index);
		ret = key_error(c, cJSON_GetArrayItem(keys, e.index), e.member, e.msg);
	}
	pc_pop(c, mark);
	return ret;
}

/* The file is read now, so that a policy naming a file sluiced cannot
 * read never checks clean. */
static int file_keys(struct pc_ctx *c, const cJSON *file, unsigned algs)
{
	struct ident_jwks *ks;
	char why[256];
	size_t mark;
	int ret = ident_jwks_read(file->valuestring, algs, &ks, why, sizeof(why));

	if (ret == -ENOMEM)
		return c->fatal = -ENOMEM;
	if (!ret) {
		ident_jwks_put(ks);
		return 0;
	}
	mark = pc_push_key(c, "jwks_file");
	ret = pc_error(c, file, "%s", why);
	pc_pop(c, mark);
	return ret;
}

static int issuer_finish(struct pc_ctx *c, cJSON *obj)
{
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(obj, "keys");
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(obj, "jwks_file");
	unsigned algs = algs_of(cJSON_GetObjectItemCaseSensitive(obj, "algorithms"));
	size_t mark;
	int ret;

	if (!keys && !file)
		return pc_error(c, obj, "needs \"keys\" or \"jwks_file\": the keys its tokens "
				"are verified with");
	if (keys && file) {
		mark = pc_push_key(c, "jwks_file");
		ret = pc_error_key(c, file, "give \"keys\" or \"jwks_file\", not both");
		pc_pop(c, mark);
		return ret;
	}
	return keys ? inline_keys(c, obj, algs) : file_keys(c, file, algs);
}

/* --- tables ------------------------------------------------------------------- */

static const struct pc_field issuer_fields[] = {
	{ "issuer", pc_string, &S_ISSUER, NULL, true },
	{ "algorithms", pc_array, &A_ALGS, NULL, true },
	{ "keys", pc_array, &A_KEYS },
	{ "jwks_file", pc_string, &pol_abs_path },
	{ "leeway_s", pc_int, &I_LEEWAY, "60" },
	{ "agent_claim", pc_string, &S_CLAIM, "\"sub\"" },
	{ "plan_claim", pc_string, &S_CLAIM },
	{ "scope_claim", pc_string, &S_CLAIM, "\"scope\"" },
};
static const struct pc_object O_ISSUER = { FIELDS(issuer_fields), issuer_finish };
static const struct pc_map M_ISSUERS = { &S_ISSUER_NAME, &O_ISSUER, 1, 16, "issuer" };

/* Two entries for one issuer: which would a token's "iss" pick? */
static int jwt_finish(struct pc_ctx *c, cJSON *obj)
{
	const cJSON *issuers = cJSON_GetObjectItemCaseSensitive(obj, "issuers"), *a, *b;
	int ret = 0;

	cJSON_ArrayForEach(a, issuers) {
		const cJSON *iss = cJSON_GetObjectItemCaseSensitive(a, "issuer");

		for (b = issuers->child; b != a; b = b->next) {
			char where[32];
			size_t mark;

			if (strcmp(iss->valuestring, cJSON_GetObjectItemCaseSensitive(b, "issuer")
				   ->valuestring))
				continue;
			mark = pc_push_key(c, "issuers");
			pc_push_key(c, a->string);
			pc_push_key(c, "issuer");
			ret = pc_error(c, iss, "issuer %s is already issuers.%s (at %s)",
				       iss->valuestring, b->string, pc_where(c, b, where,
									    sizeof(where)));
			pc_pop(c, mark);
			break;
		}
	}
	return ret;
}

static const struct pc_field jwt_fields[] = {
	{ "issuers", pc_map, &M_ISSUERS, NULL, true },
};
static const struct pc_object O_JWT = { FIELDS(jwt_fields), jwt_finish };

/* The resource is what tokens must name; the authorization servers are, by
 * default, the issuers (for the Protected Resource Metadata, RFC 9728). */
static int auth_finish(struct pc_ctx *c, cJSON *obj)
{
	const cJSON *jwt = cJSON_GetObjectItemCaseSensitive(obj, "jwt"), *is;
	cJSON *servers;

	if (jwt && !cJSON_GetObjectItemCaseSensitive(obj, "resource"))
		return pc_error(c, obj, "missing required field \"resource\": with \"jwt\", "
				"tokens must name this resource in \"aud\" (RFC 8707)");
	if (cJSON_GetObjectItemCaseSensitive(obj, "authorization_servers"))
		return 0;
	servers = pc_add_default(c, obj, "authorization_servers", "[]");
	if (!servers)
		return -ENOMEM;
	cJSON_ArrayForEach(is, cJSON_GetObjectItemCaseSensitive(jwt, "issuers")) {
		const char *url = cJSON_GetObjectItemCaseSensitive(is, "issuer")->valuestring;

		if (!cJSON_AddItemToArray(servers, cJSON_CreateString(url)))
			return c->fatal = -ENOMEM;
	}
	return 0;
}

static const struct pc_field auth_fields[] = {
	{ "resource", pc_string, &S_RESOURCE },
	{ "authorization_servers", pc_array, &A_SERVERS },
	{ "jwt", pc_object, &O_JWT },
};
const struct pc_object pol_auth_object = { FIELDS(auth_fields), auth_finish };
