// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_jwt.c - libFuzzer target for credentials: the Authorization and
 * X-API-Key headers (user/policy/ident.c), JWT bearer tokens
 * (ident_jwt.c), and JSON Web Keys as libcjose imports them (ident_jwk.c).
 *
 * Byte 0 picks what the rest is:
 *   0  a token as sent, verified against a fixed policy (RSA, EC and oct
 *      keys, one issuer allowing all four algorithms);
 *   1  a header JSON, NUL, a claims JSON: the target signs them with the
 *      policy's HS256 secret, so the claim checks behind the signature are
 *      reached too;
 *   2  header lines "Name: value", one a line, for the credential parser
 *      and ident_authenticate();
 *   3  a JSON array of keys, imported as a policy's and as a JWKS file's.
 * Properties (abort otherwise): a refusal is invalid_request or
 * invalid_token with a description and a log detail free of control
 * bytes, quotes and backslashes; an identity names an agent of the
 * policy, with the issuer the token's own; a credential the parser
 * returns lies inside a header value and is a JWT exactly when it looks
 * like one; a key set holds only keys for the algorithms asked for.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjose/base64.h>
#include <cjose/util.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "policy/ident.h"
#include "policy/ident_jwk.h"

#define NOW ((time_t)1750000000)
#define FUZZ_MAX_INPUT 16384
#define MAX_HEADERS 8

/* The policy's oct key "k" is this, base64url. */
static const char SECRET[] = "sluice-fuzz-secret-0123456789abcdef!";
static const char POLICY[] =
	"{\"version\":1,\"backends\":{\"m\":{\"url\":\"http://127.0.0.1:9000/mcp\"}},"
	"\"plans\":{\"free\":{},\"pro\":{}},"
	"\"agents\":{\"bot\":{\"keys_sha256\":[\"1f0247d311289d2506bed7b90371d7a85bc9bd7365cd"
	"049ff5a4cb3848206d2e\"],\"plan\":\"free\"},\"analyst\":{\"sources\":[\"127.0.0.3\"]}},"
	"\"auth\":{\"resource\":\"http://127.0.0.1:8470/mcp\",\"jwt\":{\"issuers\":{"
	"\"f\":{\"issuer\":\"https://f.example\",\"algorithms\":[\"RS256\",\"PS256\",\"ES256\","
	"\"HS256\"],\"plan_claim\":\"plan\",\"keys\":["
	"{\"kty\":\"RSA\",\"kid\":\"r1\",\"e\":\"AQAB\",\"n\":\"1M3oG0uaJVRsQNGsAEkB-q9rvRX2ktgiJ"
	"Vwg9u_Kj8NoxnZQv1Q-dQ_Up83-SLjjK10RwSDFFLJmqRsMaGOetcmxpxgtiGnSaOw6TWfnfjZcXoJJTXsDicTa"
	"LmHkP8cmVh78CnxhgyJiSDdUQwIsMMnZo2_ndc93Qm-yz0FhfYOhS4j5RaRFgi7KuyM_MdIly5BFrzXgtB8hCAk"
	"7y7y6GaLXWtemXqgIC3uEKQjCvBlacUyVDxkykM4ABpS43HptT7VIz8511IUVC7AjPJryQgc0ZT_5CzkcIcNoWE"
	"IFTjkQ-YT4lBB7iVbLObj_VQbEM-IajM0kCvBUcCPEKjloew\"},"
	"{\"kty\":\"EC\",\"kid\":\"e1\",\"crv\":\"P-256\","
	"\"x\":\"5zCDPb8cmt66dDTuixF-wYLWIOzvCpaunlyICrCZIUY\","
	"\"y\":\"PR_HQMHlPbKuvy-sLE2KGmvvM5YZYJ5yMEZOLm1E_4A\"},"
	"{\"kty\":\"oct\",\"kid\":\"h1\",\"k\":\"c2x1aWNlLWZ1enotc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWYh\"}"
	"]}}}}}";

static struct policy *pol;
static struct ident_ctx ctx;

static void setup(void)
{
	char why[256];

	if (pol)
		return;
	if (policy_parse(POLICY, strlen(POLICY), &pol, NULL) ||
	    ident_ctx_init(&ctx, pol, why, sizeof(why)))
		abort();	/* the fixed policy must load */
}

static bool detail_safe(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

static void check_refusal(const struct ident_refusal *why)
{
	if ((strcmp(why->error, IDENT_INVALID_TOKEN) && strcmp(why->error, IDENT_INVALID_REQUEST)) ||
	    !why->description || !*why->description || !detail_safe(why->description) ||
	    !detail_safe(why->detail))
		abort();
}

static void check_ident(const struct ident *id)
{
	if (id->agent >= pol->n_agents || strcmp(id->agent_name, pol->agents[id->agent].name))
		abort();
	if (id->via == IDENT_VIA_JWT && (!id->issuer || strcmp(id->issuer, "https://f.example")))
		abort();
	if (id->via != IDENT_VIA_JWT && (id->issuer || id->n_scopes))
		abort();
	if (id->plan[0] && !policy_find_plan(pol, id->plan))
		abort();
}

static void verify(const char *token, size_t len)
{
	struct ident_refusal why;
	struct ident id;
	int ret = ident_jwt_verify(ctx.jwt, token, len, NOW, &id, &why);

	if (ret == -EACCES)
		check_refusal(&why);
	else if (ret == 0)
		check_ident(&id);
	else
		abort();
	ident_clear(&id);
}

static char *b64(const void *data, size_t len)
{
	char *out = NULL;
	size_t n;

	if (!cjose_base64url_encode(data, len, &out, &n, NULL))
		abort();
	return out;
}

/* header NUL claims: signed here with the oct key, then verified. */
static void signed_token(const char *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	size_t hlen = nul ? (size_t)(nul - data) : size;
	char *h = b64(data, hlen), *c = b64(nul ? nul + 1 : "", nul ? size - hlen - 1 : 0);
	size_t n = strlen(h) + strlen(c) + 2, total;
	unsigned char mac[32];
	unsigned int mac_len;
	char *token = malloc(n + 64), *sig;

	snprintf(token, n, "%s.%s", h, c);
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (unsigned char *)token, n - 1, mac,
	     &mac_len);
	sig = b64(mac, mac_len);
	total = (size_t)snprintf(token + n - 1, 64, ".%s", sig) + n - 1;
	verify(token, total);
	cjose_get_dealloc()(h);
	cjose_get_dealloc()(c);
	cjose_get_dealloc()(sig);
	free(token);
}

static bool inside_a_value(const struct ident_cred *cred, char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cred->text >= values[i] && cred->text + cred->len <= values[i] + strlen(values[i]))
			return true;
	return false;
}

/* "Name: value" lines; the credential found must lie in one of the values. */
static void headers(const char *data, size_t size)
{
	char *text = strndup(data, size), *names[MAX_HEADERS], *values[MAX_HEADERS], *line, *save;
	struct ident_refusal why;
	struct ident_cred cred;
	struct ident id;
	size_t n = 0;
	int ret;

	for (line = strtok_r(text, "\n", &save); line && n < MAX_HEADERS;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		names[n] = line;
		values[n++] = colon + 1 + strspn(colon + 1, " ");
	}
	ret = ident_cred_parse((const char *const *)names, (const char *const *)values, n, &cred,
			       &why);
	if (ret == -EACCES)
		check_refusal(&why);
	else if (ret || (cred.kind != IDENT_CRED_NONE &&
			 (cred.kind == IDENT_CRED_JWT) != ident_looks_like_jwt(cred.text, cred.len)))
		abort();
	if (!ret && cred.kind != IDENT_CRED_NONE && !inside_a_value(&cred, values, n))
		abort();
	ret = ident_authenticate(&ctx, (const char *const *)names, (const char *const *)values, n,
				 NOW, &id, &why);
	if (ret == -EACCES)
		check_refusal(&why);
	else if (ret == 0)
		check_ident(&id);
	else if (ret != -ENOENT)
		abort();
	ident_clear(&id);
	free(text);
}

static void keys(const char *data, size_t size)
{
	cJSON *arr = cJSON_ParseWithLength(data, size);
	struct ident_jwks_error e;
	struct ident_jwks *ks;
	unsigned algs = IDENT_ALG_BIT(IDENT_RS256) | IDENT_ALG_BIT(IDENT_ES256);

	for (int from_file = 0; from_file < 2; from_file++) {
		int ret = ident_jwks_from_json(arr, algs, from_file, &ks, &e);

		if (ret == -EINVAL && (!e.msg[0] || e.index >= cJSON_GetArraySize(arr)))
			abort();
		if (ret && ret != -EINVAL)
			abort();
		for (size_t i = 0; !ret && i < ks->n; i++)
			if (!(ks->v[i].algs & algs) || !ks->v[i].sig_len)
				abort();
		if (!ret)
			ident_jwks_put(ks);
	}
	cJSON_Delete(arr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *rest = (const char *)data + 1;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	setup();
	switch (data[0] % 4) {
	case 0:
		verify(rest, size - 1);
		break;
	case 1:
		signed_token(rest, size - 1);
		break;
	case 2:
		headers(rest, size - 1);
		break;
	default:
		keys(rest, size - 1);
		break;
	}
	return 0;
}
