// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_ident.c - who a request comes from: API keys (user/policy/ident_key.c),
 * the credential in the headers (ident.c), JSON Web Keys and JWKS files
 * (ident_jwk.c) and JWT bearer tokens (ident_jwt.c).
 *
 * Every key is made at run time with libcjose (RSA 2048, EC P-256, oct);
 * tokens are signed with them, or forged by hand for the attacks (alg
 * "none", an HS256 token keyed with the RSA public key, tampered parts).
 * The policy is built around the fresh public keys, and one issuer reads
 * its keys from a JWKS file in a private temporary directory, rewritten to
 * rotate the keys.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjose/base64.h>
#include <cjose/header.h>
#include <cjose/jwk.h>
#include <cjose/jws.h>
#include <cjose/util.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "check.h"
#include "policy/ident.h"
#include "policy/ident_jwk.h"
#include "policy/policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NOW ((time_t)1750000000)
#define RESOURCE "http://127.0.0.1:8470/mcp"

static const char KEY_BOT[] = "sk-sluice-bot-test-key-0001";
static const char KEY_BOT_NEXT[] = "sk-sluice-bot-test-key-0002";
static const char KEY_ANALYST[] = "sk-sluice-analyst-test-key";

static cjose_jwk_t *rsa_key, *ec_key, *oct_key, *rot_a, *rot_b;
static char tmpdir[64], jwks_path[128];
static struct policy *pol;
static struct ident_ctx ctx;

/* --- keys and files ----------------------------------------------------------- */

static cjose_jwk_t *rsa_new(const char *kid)
{
	static const uint8_t e[] = { 1, 0, 1 };
	cjose_jwk_t *k = cjose_jwk_create_RSA_random(2048, e, sizeof(e), NULL);

	if (!k || !cjose_jwk_set_kid(k, kid, strlen(kid), NULL))
		abort();
	return k;
}

/* The public JWK (oct keys: the secret, there is nothing else). */
static char *jwk_json(const cjose_jwk_t *k)
{
	char *text = cjose_jwk_to_json(k, cjose_jwk_get_kty(k, NULL) == CJOSE_JWK_KTY_OCT, NULL);

	if (!text)
		abort();
	return text;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

/* A JWKS file holding the public keys given (NULL-terminated). */
static void write_jwks(const char *path, ...)
{
	char *text = strdup("{\"keys\":["), *next;
	const cjose_jwk_t *k;
	bool first = true;
	va_list ap;

	va_start(ap, path);
	while ((k = va_arg(ap, const cjose_jwk_t *))) {
		char *j = jwk_json(k);

		next = fmt("%s%s%s", text, first ? "" : ",", j);
		free(text);
		free(j);
		text = next;
		first = false;
	}
	va_end(ap);
	next = fmt("%s]}", text);
	write_file(path, next);
	free(text);
	free(next);
}

static char *policy_text(void)
{
	char bot[65], bot2[65], analyst[65];
	char *r = jwk_json(rsa_key), *e = jwk_json(ec_key), *o = jwk_json(oct_key), *text;

	ident_key_digest_hex(KEY_BOT, strlen(KEY_BOT), bot);
	ident_key_digest_hex(KEY_BOT_NEXT, strlen(KEY_BOT_NEXT), bot2);
	ident_key_digest_hex(KEY_ANALYST, strlen(KEY_ANALYST), analyst);
	text = fmt("{\"version\": 1,\n"
		   "\"backends\": {\"main\": {\"url\": \"http://127.0.0.1:9000/mcp\"}},\n"
		   "\"plans\": {\"free\": {}, \"pro\": {}},\n"
		   "\"agents\": {\n"
		   " \"bot\": {\"keys_sha256\": [\"%s\", \"%s\"], \"plan\": \"free\"},\n"
		   " \"analyst\": {\"keys_sha256\": [\"%s\"], \"plan\": \"pro\"},\n"
		   " \"svc\": {\"sources\": [\"127.0.0.9\"]}},\n"
		   "\"auth\": {\"resource\": \"" RESOURCE "\", \"jwt\": {\"issuers\": {\n"
		   " \"rsa\": {\"issuer\": \"https://rsa.example\", \"algorithms\": [\"RS256\", "
		   "\"PS256\"], \"keys\": [%s]},\n"
		   " \"ec\": {\"issuer\": \"https://ec.example\", \"algorithms\": [\"ES256\"], "
		   "\"keys\": [%s], \"leeway_s\": 0},\n"
		   " \"hs\": {\"issuer\": \"https://hs.example\", \"algorithms\": [\"HS256\", "
		   "\"RS256\"], \"keys\": [%s, %s], \"agent_claim\": \"azp\", "
		   "\"plan_claim\": \"plan\", \"scope_claim\": \"scp\"},\n"
		   " \"rot\": {\"issuer\": \"https://rot.example\", \"algorithms\": [\"RS256\"], "
		   "\"jwks_file\": \"%s\"}}}}}\n", bot, bot2, analyst, r, e, o, r, jwks_path);
	free(r);
	free(e);
	free(o);
	return text;
}

static void setup(void)
{
	struct pol_errors errs = {};
	char why[256] = "", *text;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-ident.XXXXXX");
	if (!mkdtemp(tmpdir))
		abort();
	snprintf(jwks_path, sizeof(jwks_path), "%s/jwks.json", tmpdir);
	rsa_key = rsa_new("r1");
	rot_a = rsa_new("a");
	rot_b = rsa_new("b");
	ec_key = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, NULL);
	oct_key = cjose_jwk_create_oct_random(256, NULL);
	if (!ec_key || !oct_key || !cjose_jwk_set_kid(oct_key, "h1", 2, NULL))
		abort();
	write_jwks(jwks_path, rot_a, NULL);
	text = policy_text();
	TEST_CASE("a policy with auth.jwt (inline keys, a jwks_file) checks clean") {
		int ret = policy_parse(text, strlen(text), &pol, &errs);

		CHECK(ret == 0, "ret %d: %d:%d %s", ret, errs.n ? errs.v[0].line : 0,
		      errs.n ? errs.v[0].col : 0, errs.n ? errs.v[0].msg : "");
		ret = pol ? ident_ctx_init(&ctx, pol, why, sizeof(why)) : -1;
		CHECK(ret == 0 && ctx.jwt && ctx.keys, "ident_ctx_init %d: %s", ret, why);
	}
	free(text);
	pol_errors_free(&errs);
	if (!ctx.jwt)
		exit(test_finish() | 1);
}

static void teardown(void)
{
	ident_ctx_free(&ctx);
	policy_free(pol);
	cjose_jwk_release(rsa_key);
	cjose_jwk_release(rot_a);
	cjose_jwk_release(rot_b);
	cjose_jwk_release(ec_key);
	cjose_jwk_release(oct_key);
	unlink(jwks_path);
	rmdir(tmpdir);
}

/* --- tokens ----------------------------------------------------------------------- */

static char *b64(const void *data, size_t len)
{
	char *out = NULL, *copy;
	size_t n;

	if (!cjose_base64url_encode(data, len, &out, &n, NULL))
		abort();
	copy = strndup(out, n);
	cjose_get_dealloc()(out);
	return copy;
}

/* A token signed by libcjose with @key. */
static char *sign(const cjose_jwk_t *key, const char *alg, const char *kid, const char *claims)
{
	cjose_header_t *h = cjose_header_new(NULL);
	const char *ser = NULL;
	cjose_jws_t *jws;
	char *out;

	if (!h || !cjose_header_set(h, CJOSE_HDR_ALG, alg, NULL) ||
	    (kid && !cjose_header_set(h, CJOSE_HDR_KID, kid, NULL)))
		abort();
	jws = cjose_jws_sign(key, h, (const uint8_t *)claims, strlen(claims), NULL);
	if (!jws || !cjose_jws_export(jws, &ser, NULL))
		abort();
	out = strdup(ser);
	cjose_jws_release(jws);
	cjose_header_release(h);
	return out;
}

/* A token put together by hand: header and claims as given, HS256 over
 * them with @secret (NULL: @sig_text as the signature part). */
static char *forge(const char *header, const char *claims, const void *secret, size_t secret_len,
		   const char *sig_text)
{
	char *h = b64(header, strlen(header)), *c = b64(claims, strlen(claims));
	char *input = fmt("%s.%s", h, c), *sig, *out;
	unsigned char mac[32];
	unsigned int mac_len = 0;

	if (secret) {
		HMAC(EVP_sha256(), secret, (int)secret_len, (unsigned char *)input, strlen(input),
		     mac, &mac_len);
		sig = b64(mac, mac_len);
	} else {
		sig = strdup(sig_text);
	}
	out = fmt("%s.%s", input, sig);
	free(h);
	free(c);
	free(input);
	free(sig);
	return out;
}

/* The usual claims, valid at NOW; @extra is appended inside the object. */
static char *claims_for(const char *iss, const char *agent_claim, const char *agent,
			const char *extra)
{
	return fmt("{\"iss\":\"%s\",\"%s\":\"%s\",\"aud\":\"" RESOURCE "\",\"iat\":%lld,"
		   "\"exp\":%lld%s%s}", iss, agent_claim, agent, (long long)NOW - 10,
		   (long long)NOW + 300, extra ? "," : "", extra ? extra : "");
}

static int verify_at(const char *token, time_t now, struct ident *id, struct ident_refusal *why)
{
	return ident_jwt_verify(ctx.jwt, token, strlen(token), now, id, why);
}

/* Verifies and ident_clear()s; the case fails unless the result is @want
 * (NULL: accepted). */
static void expect_at(const char *token, time_t now, const char *want)
{
	struct ident_refusal why = {};
	struct ident id;
	int ret = verify_at(token, now, &id, &why);

	if (!want) {
		CHECK(ret == 0, "refused: %s (%s)", ret == -EACCES ? why.description : "?",
		      why.detail);
	} else {
		CHECK(ret == -EACCES, "ret %d, want refusal \"%s\"", ret, want);
		CHECK(ret != -EACCES || !strcmp(why.description, want), "\"%s\" (%s), want \"%s\"",
		      why.description, why.detail, want);
		CHECK(ret != -EACCES || !strcmp(why.error, IDENT_INVALID_TOKEN), "error %s",
		      why.error);
	}
	ident_clear(&id);
}

static void expect(const char *token, const char *want)
{
	expect_at(token, NOW, want);
}

/* --- API keys ---------------------------------------------------------------------- */

static int auth_headers(const char *const *names, const char *const *values, size_t n,
			struct ident *id, struct ident_refusal *why)
{
	return ident_authenticate(&ctx, names, values, n, NOW, id, why);
}

/* One header; the agent it identifies, or NULL; *err the return. */
static const char *agent_by(const char *name, const char *value, int *err,
			    struct ident_refusal *why)
{
	static struct ident id;
	const char *names[] = { "Host", name }, *values[] = { "127.0.0.1", value };

	ident_clear(&id);
	*err = auth_headers(names, values, 2, &id, why);
	return *err ? NULL : id.agent_name;
}

static void test_key_table(void)
{
	TEST_CASE("key table: each key finds its agent, a wrong key none") {
		int bot = ident_keys_find(ctx.keys, KEY_BOT, strlen(KEY_BOT));
		int next = ident_keys_find(ctx.keys, KEY_BOT_NEXT, strlen(KEY_BOT_NEXT));
		int analyst = ident_keys_find(ctx.keys, KEY_ANALYST, strlen(KEY_ANALYST));

		CHECK(ident_keys_count(ctx.keys) == 3, "%zu keys", ident_keys_count(ctx.keys));
		CHECK(bot >= 0 && !strcmp(pol->agents[bot].name, "bot"), "bot -> %d", bot);
		CHECK(next == bot, "rotation key -> %d", next);
		CHECK(analyst >= 0 && !strcmp(pol->agents[analyst].name, "analyst"), "-> %d",
		      analyst);
		CHECK(ident_keys_find(ctx.keys, "sk-sluice-bot-test-key-0003", 27) == -1, "wrong");
		CHECK(ident_keys_find(ctx.keys, KEY_BOT, strlen(KEY_BOT) - 1) == -1, "prefix");
		CHECK(ident_keys_find(ctx.keys, "", 0) == -1, "empty");
	}
	TEST_CASE("key new: sk-sluice- and 43 base64url characters, digest matches, fresh") {
		char k1[IDENT_KEY_LEN + 1], k2[IDENT_KEY_LEN + 1], h1[65], h2[65], check[65];

		CHECK(!ident_key_generate(k1, h1) && !ident_key_generate(k2, h2), "generate");
		CHECK(strlen(k1) == IDENT_KEY_LEN && !strncmp(k1, IDENT_KEY_PREFIX, 10), "%s", k1);
		CHECK(strspn(k1 + 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789-_") == 43, "%s", k1);
		ident_key_digest_hex(k1, strlen(k1), check);
		CHECK(!strcmp(check, h1), "%s vs %s", check, h1);
		CHECK(strcmp(k1, k2) && strcmp(h1, h2), "two keys alike: %s", k1);
		CHECK(!ident_looks_like_jwt(k1, strlen(k1)), "looks like a JWT");
	}
}

static void test_key_headers(void)
{
	static const char *const bearer[] = { "Bearer", "bearer", "BEARER", "bEaReR" };
	struct ident_refusal why;
	const char *agent;
	char value[128];
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(bearer); i++) {
		char name[96];

		snprintf(value, sizeof(value), "%s %s", bearer[i], KEY_BOT);
		snprintf(name, sizeof(name), "Authorization: %s KEY identifies the agent", bearer[i]);
		TEST_CASE(name) {
			agent = agent_by("Authorization", value, &err, &why);
			CHECK(agent && !strcmp(agent, "bot"), "%s: %d %s", value, err,
			      err ? why.description : agent);
		}
	}
	TEST_CASE("Bearer followed by several spaces (RFC 6750: 1*SP)") {
		agent = agent_by("authorization", "Bearer   sk-sluice-analyst-test-key", &err, &why);
		CHECK(agent && !strcmp(agent, "analyst"), "%d", err);
	}
	TEST_CASE("X-API-Key: KEY identifies the agent; the plan comes from the policy") {
		const char *names[] = { "x-api-key" }, *values[] = { KEY_ANALYST };
		struct ident id;

		err = auth_headers(names, values, 1, &id, &why);
		CHECK(!err && id.via == IDENT_VIA_API_KEY && !strcmp(id.agent_name, "analyst") &&
		      !strcmp(id.plan, "pro") && !id.issuer && !id.n_scopes, "%d %s", err,
		      id.agent_name);
		ident_clear(&id);
	}
	TEST_CASE("a wrong key is refused: invalid_token, unknown API key") {
		agent = agent_by("X-API-Key", "sk-sluice-nobody", &err, &why);
		CHECK(err == -EACCES && !strcmp(why.error, IDENT_INVALID_TOKEN) &&
		      !strcmp(why.description, "unknown API key"), "%d", err);
		agent = agent_by("Authorization", "Bearer sk-sluice-nobody", &err, &why);
		CHECK(err == -EACCES && !strcmp(why.description, "unknown API key"), "%d", err);
	}
	TEST_CASE("no credential: -ENOENT, nothing refused") {
		const char *names[] = { "Host", "Accept" }, *values[] = { "x", "*/*" };
		struct ident id;

		CHECK(auth_headers(names, values, 2, &id, &why) == -ENOENT, "not ENOENT");
	}
}

struct bad_headers {
	const char *name;
	const char *names[3], *values[3];
	size_t n;
	const char *description;
};

static void test_key_ambiguity(void)
{
	static const struct bad_headers cases[] = {
		{ "Authorization and X-API-Key disagreeing are refused",
		  { "Authorization", "X-API-Key" }, { "Bearer sk-sluice-bot-test-key-0001",
		  "sk-sluice-analyst-test-key" }, 2,
		  "Authorization and X-API-Key carry different credentials" },
		{ "two Authorization headers are refused, even alike",
		  { "Authorization", "authorization" }, { "Bearer sk-sluice-bot-test-key-0001",
		  "Bearer sk-sluice-bot-test-key-0001" }, 2, "more than one Authorization header" },
		{ "two X-API-Key headers are refused", { "X-API-Key", "X-Api-Key" },
		  { "sk-sluice-bot-test-key-0001", "sk-sluice-bot-test-key-0002" }, 2,
		  "more than one X-API-Key header" },
		{ "another scheme (Basic) is refused", { "Authorization" }, { "Basic Ym90OnB3" }, 1,
		  "the Authorization scheme is not Bearer" },
		{ "Bearer without a token is refused", { "Authorization" }, { "Bearer" }, 1,
		  "malformed Bearer credentials" },
		{ "Bearer and a tab is refused", { "Authorization" }, { "Bearer\tabc" }, 1,
		  "the Authorization scheme is not Bearer" },
		{ "two tokens after Bearer are refused", { "Authorization" }, { "Bearer abc def" }, 1,
		  "malformed Bearer credentials" },
		{ "'=' inside a b64token is refused", { "Authorization" }, { "Bearer ab=cd" }, 1,
		  "malformed Bearer credentials" },
		{ "a quote in a Bearer token is refused", { "Authorization" }, { "Bearer ab\"cd" }, 1,
		  "malformed Bearer credentials" },
		{ "a space inside X-API-Key is refused", { "X-API-Key" }, { "sk-sluice bot" }, 1,
		  "malformed X-API-Key" },
		{ "a JWT in X-API-Key is refused", { "X-API-Key" }, { "eyJh.eyJz.c2ln" }, 1,
		  "X-API-Key holds a JWT: send it as Authorization: Bearer" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		TEST_CASE(cases[i].name) {
			struct ident_refusal why = {};
			struct ident id;
			int err = auth_headers(cases[i].names, cases[i].values, cases[i].n, &id, &why);

			CHECK(err == -EACCES, "ret %d", err);
			CHECK(err != -EACCES || (!strcmp(why.error, IDENT_INVALID_REQUEST) &&
			      !strcmp(why.description, cases[i].description)), "%s: %s", why.error,
			      why.description);
		}
	}
	TEST_CASE("Authorization and X-API-Key with the same key: one credential") {
		const char *names[] = { "Authorization", "X-API-Key" };
		const char *values[] = { "Bearer sk-sluice-bot-test-key-0002", KEY_BOT_NEXT };
		struct ident_refusal why;
		struct ident id;

		CHECK(!auth_headers(names, values, 2, &id, &why) && !strcmp(id.agent_name, "bot"),
		      "refused");
		ident_clear(&id);
	}
	TEST_CASE("b64token: trailing '=' padding and ~+/ are taken") {
		struct ident_cred cred;
		struct ident_refusal why;
		const char *names[] = { "Authorization" }, *values[] = { "Bearer a~b+c/d==" };

		CHECK(!ident_cred_parse(names, values, 1, &cred, &why) &&
		      cred.kind == IDENT_CRED_API_KEY && cred.len == 9, "parse");
	}
}

static void test_jwt_shape(void)
{
	static const struct { const char *s; bool jwt; } cases[] = {
		{ "eyJh.eyJi.c2ln", true }, { "a.b.c", true }, { "a-_9.b.c", true },
		{ "a..c", false }, { ".b.c", false }, { "a.b.", false }, { "a.b", false },
		{ "a.b.c.d", false }, { "a+b.c.d", false }, { "a.b=.c", false },
		{ "sk-sluice-abc", false }, { "", false },
	};

	TEST_CASE("three base64url parts and two dots make a JWT, nothing else") {
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
			CHECK(ident_looks_like_jwt(cases[i].s, strlen(cases[i].s)) == cases[i].jwt,
			      "%s", cases[i].s);
	}
	TEST_CASE("Bearer JWT goes to the JWT verifier, Bearer key to the key table") {
		struct ident_refusal why;
		struct ident_cred cred;
		const char *names[] = { "Authorization" }, *jwt[] = { "Bearer eyJh.eyJi.c2ln" };

		CHECK(!ident_cred_parse(names, jwt, 1, &cred, &why) && cred.kind == IDENT_CRED_JWT &&
		      cred.len == 14, "kind %d", cred.kind);
	}
}

/* --- JWT: the good ones ------------------------------------------------------------- */

static void accept_case(const char *name, const cjose_jwk_t *key, const char *alg,
			const char *kid, const char *iss, const char *agent_claim, const char *extra,
			const char *want_agent, const char *want_plan)
{
	char *claims = claims_for(iss, agent_claim, want_agent, extra);
	char *token = sign(key, alg, kid, claims);

	TEST_CASE(name) {
		struct ident_refusal why = {};
		struct ident id;
		int ret = verify_at(token, NOW, &id, &why);

		CHECK(ret == 0, "refused: %s (%s)", why.description, why.detail);
		CHECK(ret || (id.via == IDENT_VIA_JWT && !strcmp(id.agent_name, want_agent) &&
			      !strcmp(id.plan, want_plan) && !strcmp(id.issuer, iss)),
		      "agent %s plan %s issuer %s", id.agent_name, id.plan, id.issuer);
		ident_clear(&id);
	}
	free(claims);
	free(token);
}

static void test_jwt_valid(void)
{
	accept_case("valid RS256 token: agent, plan and issuer", rsa_key, "RS256", "r1",
		    "https://rsa.example", "sub", NULL, "bot", "free");
	accept_case("valid PS256 token", rsa_key, "PS256", "r1", "https://rsa.example", "sub",
		    NULL, "analyst", "pro");
	accept_case("valid ES256 token (one key, no kid needed)", ec_key, "ES256", NULL,
		    "https://ec.example", "sub", NULL, "bot", "free");
	accept_case("valid HS256 token, agent from azp, plan from the plan claim", oct_key,
		    "HS256", "h1", "https://hs.example", "azp", "\"plan\":\"pro\"", "bot", "pro");
	TEST_CASE("scopes: a space-separated scope string, the subject kept") {
		char *c = claims_for("https://rsa.example", "sub", "bot",
				     "\"scope\":\"tools:read tools:write admin\"");
		char *t = sign(rsa_key, "RS256", "r1", c);
		struct ident_refusal why;
		struct ident id;
		int ret = verify_at(t, NOW, &id, &why);

		CHECK(!ret && id.n_scopes == 3 && !strcmp(id.scopes[0], "tools:read") &&
		      !strcmp(id.scopes[2], "admin") && ident_has_scope(&id, "tools:write") &&
		      !ident_has_scope(&id, "tools"), "ret %d, %zu scopes", ret, id.n_scopes);
		CHECK(!ret && id.subject && !strcmp(id.subject, "bot") &&
		      !strcmp(id.issuer_name, "rsa"), "subject %s", id.subject);
		ident_clear(&id);
		free(c);
		free(t);
	}
	TEST_CASE("scopes: an scp array (scope_claim \"scp\")") {
		char *c = claims_for("https://hs.example", "azp", "analyst",
				     "\"scp\":[\"mcp:tools\",\"mcp:resources\"]");
		char *t = sign(oct_key, "HS256", "h1", c);
		struct ident_refusal why;
		struct ident id;
		int ret = verify_at(t, NOW, &id, &why);

		CHECK(!ret && id.n_scopes == 2 && !strcmp(id.scopes[1], "mcp:resources") &&
		      !strcmp(id.plan, "pro"), "ret %d %s", ret, why.description);
		ident_clear(&id);
		free(c);
		free(t);
	}
	TEST_CASE("a JWT through the headers: Authorization: Bearer JWT") {
		char *c = claims_for("https://rsa.example", "sub", "analyst", NULL);
		char *t = sign(rsa_key, "RS256", "r1", c), *v = fmt("Bearer %s", t);
		const char *names[] = { "Authorization" }, *values[] = { v };
		struct ident_refusal why;
		struct ident id;

		CHECK(!auth_headers(names, values, 1, &id, &why) && id.via == IDENT_VIA_JWT &&
		      !strcmp(id.agent_name, "analyst"), "refused: %s", why.description);
		ident_clear(&id);
		free(c);
		free(t);
		free(v);
	}
}

/* --- JWT: time, audience, issuer, agent --------------------------------------------- */

static void time_case(const char *name, const char *iss, const cjose_jwk_t *key,
		      const char *alg, const char *kid, const char *times, const char *want)
{
	char *c = fmt("{\"iss\":\"%s\",\"sub\":\"bot\",\"aud\":\"" RESOURCE "\"%s%s}", iss,
		      *times ? "," : "", times);
	char *t = sign(key, alg, kid, c);

	TEST_CASE(name)
		expect(t, want);
	free(c);
	free(t);
}

static void test_jwt_claims(void)
{
	char times[128];

	snprintf(times, sizeof(times), "\"exp\":%lld", (long long)NOW - 61);
	time_case("expired 61 s ago (leeway 60): refused", "https://rsa.example", rsa_key,
		  "RS256", "r1", times, "token expired");
	snprintf(times, sizeof(times), "\"exp\":%lld", (long long)NOW - 30);
	time_case("expired 30 s ago, within the 60 s leeway: accepted", "https://rsa.example",
		  rsa_key, "RS256", "r1", times, NULL);
	time_case("expired 30 s ago with leeway 0: refused", "https://ec.example", ec_key,
		  "ES256", NULL, times, "token expired");
	snprintf(times, sizeof(times), "\"exp\":%lld,\"nbf\":%lld", (long long)NOW + 600,
		 (long long)NOW + 120);
	time_case("nbf 2 minutes ahead: not yet valid", "https://rsa.example", rsa_key, "RS256",
		  "r1", times, "token not yet valid");
	snprintf(times, sizeof(times), "\"exp\":%lld,\"nbf\":%lld", (long long)NOW + 600,
		 (long long)NOW + 45);
	time_case("nbf 45 s ahead, within the leeway: accepted", "https://rsa.example", rsa_key,
		  "RS256", "r1", times, NULL);
	time_case("no exp: refused (a token must expire)", "https://rsa.example", rsa_key,
		  "RS256", "r1", "", "token has no expiry (exp)");
	time_case("exp as a string: refused", "https://rsa.example", rsa_key, "RS256", "r1",
		  "\"exp\":\"tomorrow\"", "malformed time claim");

	struct { const char *name, *claims, *want; } cases[] = {
		{ "wrong aud: refused", "\"aud\":\"http://127.0.0.1:8470/other\"",
		  "audience does not name this resource" },
		{ "aud array without the resource: refused",
		  "\"aud\":[\"https://a.example\",\"http://127.0.0.1:8470/mcp/\"]",
		  "audience does not name this resource" },
		{ "aud array with the resource: accepted",
		  "\"aud\":[\"https://a.example\",\"" RESOURCE "\"]", NULL },
		{ "no aud: refused", "", "token has no audience" },
		{ "agent claim naming an unknown agent: refused", "\"sub\":\"mallory\"",
		  "token names an agent the policy does not know" },
		{ "agent claim not a string: refused", "\"sub\":42", "malformed agent claim" },
		{ "a scope string with two spaces in a row: refused", "\"scope\":\"a  b\"",
		  "malformed scope claim" },
		{ "an empty scope string: no scopes, accepted", "\"scope\":\"\"", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *aud = strstr(cases[i].claims, "\"aud\"") || !*cases[i].claims ? "" :
				  ",\"aud\":\"" RESOURCE "\"";
		const char *sub = strstr(cases[i].claims, "\"sub\"") ? "" : ",\"sub\":\"bot\"";
		char *c = fmt("{\"iss\":\"https://rsa.example\",\"exp\":%lld%s%s%s%s}",
			      (long long)NOW + 300, aud, sub, *cases[i].claims ? "," : "",
			      cases[i].claims);
		char *t = sign(rsa_key, "RS256", "r1", c);

		TEST_CASE(cases[i].name)
			expect(t, cases[i].want);
		free(c);
		free(t);
	}
}

static void test_jwt_issuer(void)
{
	char *c = claims_for("https://evil.example", "sub", "bot", NULL);
	char *t = sign(rsa_key, "RS256", "r1", c);
	char *c2 = claims_for("https://rsa.example", "sub", "bot", NULL);
	char *t2 = sign(ec_key, "ES256", NULL, c2);
	char *c3 = claims_for("https://hs.example", "azp", "bot", "\"plan\":\"gold\"");
	char *t3 = sign(oct_key, "HS256", "h1", c3);

	TEST_CASE("wrong iss: refused")
		expect(t, "token issuer is not trusted");
	TEST_CASE("another issuer's algorithm (ES256 for rsa): refused")
		expect(t2, "token algorithm not allowed for this issuer");
	TEST_CASE("a plan claim naming an unknown plan: refused")
		expect(t3, "token names a plan the policy does not know");
	free(c);
	free(t);
	free(c2);
	free(t2);
	free(c3);
	free(t3);
}

/* --- JWT: attacks ------------------------------------------------------------------- */

/* The RSA key's public half as PEM: what an attacker signs HS256 with.
 * libcjose hands out its key as a legacy RSA *, hence the old call. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static char *rsa_public_pem(const cjose_jwk_t *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (!bio || !PEM_write_bio_RSA_PUBKEY(bio, cjose_jwk_get_keydata(k, NULL)))
		abort();
	n = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)n);
	BIO_free(bio);
	return out;
}
#pragma GCC diagnostic pop

static void test_jwt_confusion(void)
{
	char *claims = claims_for("https://hs.example", "azp", "bot", NULL);
	char *rclaims = claims_for("https://rsa.example", "sub", "bot", NULL);
	char *pem = rsa_public_pem(rsa_key), *jwk = jwk_json(rsa_key);
	char *t1 = forge("{\"alg\":\"HS256\",\"kid\":\"r1\"}", claims, pem, strlen(pem), NULL);
	char *t2 = forge("{\"alg\":\"HS256\"}", claims, pem, strlen(pem), NULL);
	char *t3 = forge("{\"alg\":\"HS256\",\"kid\":\"r1\"}", rclaims, pem, strlen(pem), NULL);
	char *t4 = forge("{\"alg\":\"HS256\",\"kid\":\"r1\"}", claims, jwk, strlen(jwk), NULL);

	TEST_CASE("HS256 keyed with the RSA public key (PEM), kid of the RSA key: refused")
		expect(t1, "the key the token's kid names cannot verify its algorithm");
	TEST_CASE("the same without kid: only the oct key may verify HS256, and fails")
		expect(t2, "token signature does not verify");
	TEST_CASE("the same at an issuer without HS256: refused before any key")
		expect(t3, "token algorithm not allowed for this issuer");
	TEST_CASE("HS256 keyed with the RSA JWK text: refused")
		expect(t4, "the key the token's kid names cannot verify its algorithm");
	free(claims);
	free(rclaims);
	free(pem);
	free(jwk);
	free(t1);
	free(t2);
	free(t3);
	free(t4);
}

static void test_jwt_none(void)
{
	char *claims = claims_for("https://rsa.example", "sub", "bot", NULL);
	static const char *const headers[] = {
		"{\"alg\":\"none\"}", "{\"alg\":\"None\",\"kid\":\"r1\"}", "{\"alg\":\"NONE\"}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(headers); i++) {
		char *t = forge(headers[i], claims, NULL, 0, "c2lnbmF0dXJl");
		char name[96];

		snprintf(name, sizeof(name), "alg none (%.24s) with a signature part: refused",
			 headers[i] + 8);
		TEST_CASE(name)
			expect(t, "unsigned token (alg none)");
		free(t);
	}
	TEST_CASE("alg none with an empty signature part: refused") {
		char *t = forge("{\"alg\":\"none\"}", claims, NULL, 0, "");

		expect(t, "not a JWT: a part is not base64url");
		free(t);
	}
	free(claims);
}

/* Replaces part @which (0..2) of @token with @part. */
static char *with_part(const char *token, int which, const char *part)
{
	const char *d1 = strchr(token, '.'), *d2 = strchr(d1 + 1, '.');

	if (which == 1)
		return fmt("%.*s.%s%s", (int)(d1 - token), token, part, d2);
	if (which == 2)
		return fmt("%.*s.%s", (int)(d2 - token), token, part);
	return fmt("%s%s", part, d1);
}

static void tamper_case(const char *name, const char *token, int which, const char *part,
			const char *want)
{
	char *t = with_part(token, which, part);

	TEST_CASE(name)
		expect(t, want);
	free(t);
}

static void test_jwt_tampered(void)
{
	char *claims = claims_for("https://rsa.example", "sub", "bot", NULL);
	char *evil = claims_for("https://rsa.example", "sub", "analyst", NULL);
	char *evil64 = b64(evil, strlen(evil));
	char *ec = claims_for("https://ec.example", "sub", "bot", NULL);
	char *rs = sign(rsa_key, "RS256", "r1", claims), *es = sign(ec_key, "ES256", NULL, ec);
	char *hc = claims_for("https://hs.example", "azp", "bot", NULL);
	char *he = claims_for("https://hs.example", "azp", "analyst", NULL);
	char *he64 = b64(he, strlen(he)), *hs = sign(oct_key, "HS256", "h1", hc);
	char *sig = strdup(strrchr(rs, '.') + 1);

	tamper_case("RS256 with its payload swapped: refused", rs, 1, evil64,
		    "token signature does not verify");
	tamper_case("HS256 with its payload swapped: refused", hs, 1, he64,
		    "token signature does not verify");
	sig[5] = sig[5] == 'A' ? 'B' : 'A';
	tamper_case("RS256 with one signature character changed: refused", rs, 2, sig,
		    "token signature does not verify");
	sig[8] = '\0';
	tamper_case("RS256 with a short signature: refused", rs, 2, sig,
		    "token signature has the wrong length");
	tamper_case("HS256 with a 6-byte signature: refused (never read past it)", hs, 2, "AAAAAAAA",
		    "token signature has the wrong length");
	tamper_case("ES256 with a 63-byte signature: refused", es, 2,
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		    "token signature has the wrong length");
	tamper_case("a padded signature ('='): refused", rs, 2, "AA==",
		    "not a JWT: a part is not base64url");
	tamper_case("a header part of 5 characters (no base64url length): refused", rs, 0, "eyJhb",
		    "not a JWT: a part is not base64url");
	free(claims);
	free(ec);
	free(evil);
	free(evil64);
	free(rs);
	free(es);
	free(hc);
	free(he);
	free(he64);
	free(hs);
	free(sig);
}

static void header_case(const char *name, const char *header, const char *claims,
			const char *want)
{
	cjose_jwk_t *k = oct_key;
	char *t = forge(header, claims, cjose_jwk_get_keydata(k, NULL),
			cjose_jwk_get_keysize(k, NULL) / 8, NULL);

	TEST_CASE(name)
		expect(t, want);
	free(t);
}

static void test_jwt_headers(void)
{
	char *c = claims_for("https://hs.example", "azp", "bot", NULL);
	char *dup = fmt("{\"iss\":\"https://hs.example\",\"azp\":\"analyst\",\"azp\":\"bot\","
			"\"aud\":\"" RESOURCE "\",\"exp\":%lld}", (long long)NOW + 300);

	header_case("a well-signed HS256 token forged here verifies (the harness works)",
		    "{\"alg\":\"HS256\",\"kid\":\"h1\",\"typ\":\"JWT\"}", c, NULL);
	header_case("typ at+jwt (RFC 9068): accepted", "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}",
		    c, NULL);
	header_case("crit in the header: refused",
		    "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}", c,
		    "token header has crit extensions");
	header_case("typ other than JWT: refused", "{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}", c,
		    "token type is not JWT");
	header_case("no alg: refused", "{\"kid\":\"h1\"}", c, "token header has no alg");
	header_case("alg RS384 (not supported): refused", "{\"alg\":\"RS384\"}", c,
		    "token algorithm not supported");
	header_case("two alg members in the header: refused",
		    "{\"alg\":\"HS256\",\"alg\":\"RS256\"}", c, "malformed token header");
	header_case("duplicate claim names (azp twice): refused",
		    "{\"alg\":\"HS256\"}", dup, "malformed token claims");
	header_case("a header that is not JSON: refused", "{alg:HS256}", c,
		    "malformed token header");
	header_case("claims that are an array: refused", "{\"alg\":\"HS256\"}", "[1,2]",
		    "malformed token claims");
	header_case("a kid no key has (inline keys, nothing to reread): refused",
		    "{\"alg\":\"HS256\",\"kid\":\"h2\"}", c, "no key has the token's kid");
	free(c);
	free(dup);
	TEST_CASE("JWT without auth.jwt in the policy: refused") {
		const char *text = "{\"version\":1,\"backends\":{\"m\":{\"url\":\"http://127.0.0.1:1/\"}},"
				   "\"agents\":{\"bot\":{\"sources\":[\"127.0.0.2\"]}}}";
		const char *names[] = { "Authorization" }, *values[] = { "Bearer eyJh.eyJi.c2ln" };
		struct ident_refusal why;
		struct policy *p = NULL;
		struct ident_ctx x;
		struct ident id;
		char err[64];

		CHECK(!policy_parse(text, strlen(text), &p, NULL) && !ident_ctx_init(&x, p, err, 64),
		      "policy");
		CHECK(p && !x.jwt && ident_authenticate(&x, names, values, 1, NOW, &id, &why) ==
		      -EACCES && !strcmp(why.description, "this resource takes no JWT bearer tokens"),
		      "not refused");
		ident_ctx_free(&x);
		policy_free(p);
	}
}

/* --- JWKS files and rotation ---------------------------------------------------------- */

static void test_jwks_rotation(void)
{
	char *c = claims_for("https://rot.example", "sub", "bot", NULL);
	char *ta = sign(rot_a, "RS256", "a", c), *tb = sign(rot_b, "RS256", "b", c);
	char *tc = sign(rot_b, "RS256", "c", c);

	TEST_CASE("jwks_file: the key it holds verifies; no reread needed") {
		expect(ta, NULL);
		CHECK(ident_jwt_rereads(ctx.jwt, "rot") == 0, "%u", ident_jwt_rereads(ctx.jwt, "rot"));
	}
	TEST_CASE("unknown kid: the file is read again (and still lacks it)") {
		expect_at(tb, NOW, "no key has the token's kid");
		CHECK(ident_jwt_rereads(ctx.jwt, "rot") == 1, "%u", ident_jwt_rereads(ctx.jwt, "rot"));
	}
	write_jwks(jwks_path, rot_a, rot_b, NULL);
	TEST_CASE("the file rotated, 10 s later: within the back-off, no reread, refused") {
		expect_at(tb, NOW + 10, "no key has the token's kid");
		expect_at(tc, NOW + 29, "no key has the token's kid");
		CHECK(ident_jwt_rereads(ctx.jwt, "rot") == 1, "%u", ident_jwt_rereads(ctx.jwt, "rot"));
	}
	TEST_CASE("30 s later: the reread finds the new key; the old one still verifies") {
		expect_at(tb, NOW + 30, NULL);
		expect_at(ta, NOW + 31, NULL);
		CHECK(ident_jwt_rereads(ctx.jwt, "rot") == 2, "%u", ident_jwt_rereads(ctx.jwt, "rot"));
	}
	TEST_CASE("a second unknown kid right after: no reread") {
		expect_at(tc, NOW + 35, "no key has the token's kid");
		CHECK(ident_jwt_rereads(ctx.jwt, "rot") == 2, "%u", ident_jwt_rereads(ctx.jwt, "rot"));
	}
	write_file(jwks_path, "{\"keys\": [");
	TEST_CASE("a reread of a broken file keeps the keys there were") {
		expect_at(tc, NOW + 70, "no key has the token's kid");
		expect_at(tb, NOW + 71, NULL);
		CHECK(ident_jwt_rereads(ctx.jwt, "rot") == 2, "%u", ident_jwt_rereads(ctx.jwt, "rot"));
	}
	write_jwks(jwks_path, rot_a, rot_b, NULL);
	free(c);
	free(ta);
	free(tb);
	free(tc);
}

static void jwks_case(const char *name, const char *text, int want_err, size_t want_keys,
		      const char *want_msg)
{
	char path[160], why[256] = "";
	struct ident_jwks *ks = NULL;
	int err;

	snprintf(path, sizeof(path), "%s/case.json", tmpdir);
	write_file(path, text);
	TEST_CASE(name) {
		err = ident_jwks_read(path, IDENT_ALGS_ALL, &ks, why, sizeof(why));
		CHECK(err == want_err, "ret %d: %s", err, why);
		CHECK(!ks || ks->n == want_keys, "%zu keys", ks->n);
		CHECK(!want_msg || strstr(why, want_msg), "%s", why);
	}
	ident_jwks_put(ks);
	unlink(path);
}

static void test_jwks_files(void)
{
	char *a = jwk_json(rot_a), *text;
	char *priv = cjose_jwk_to_json(rot_a, true, NULL);

	text = fmt("{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"x\",\"n\":\"AQAB\","
		   "\"e\":\"AQAB\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"},"
		   "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},%s]}", a);
	jwks_case("a JWKS file: keys for encryption, EdDSA or P-384 are skipped", text, 0, 1, NULL);
	free(text);
	text = fmt("{\"keys\":[%s]}", priv);
	jwks_case("a JWKS file holding a private key is refused", text, -EINVAL, 0,
		  "keys[0].d: a private key member");
	free(text);
	text = fmt("{\"keys\":[%s,%s]}", a, a);
	jwks_case("a JWKS file with one kid twice is refused", text, -EINVAL, 0,
		  "keys[1].kid: \"a\" again (first keys[0])");
	free(text);
	jwks_case("a JWKS file that is not JSON is refused", "{\"keys\": [", -EINVAL, 0,
		  "not a JWKS");
	jwks_case("a JWKS file without usable keys is refused", "{\"keys\": []}", -EINVAL, 0,
		  "no key verifies RS256, PS256, ES256 or HS256");
	jwks_case("an EC point off the curve is refused as a bad key, not as out of memory",
		  "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
		  "\"x\":\"5zCDPb8cmt66dDTuixF-wYLWIOzvGpaunlyICrCZIUY\","
		  "\"y\":\"PR_HQMHlPbKuvy-sLE2KGmvvM5YZYJ5yMEZOLm1E_4A\"}]}", -EINVAL, 0,
		  "keys[0]: not a valid EC P-256 public key");
	jwks_case("an RSA n of 'A=' (libcjose would assert) is refused",
		  "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"A=\",\"e\":\"AQAB\"}]}", -EINVAL, 0,
		  "keys[0].n: not base64url");
	TEST_CASE("a missing JWKS file: -ENOENT, the path in the reason") {
		struct ident_jwks *ks = NULL;
		char why[256];

		CHECK(ident_jwks_read("/nonexistent/jwks.json", IDENT_ALGS_ALL, &ks, why,
				      sizeof(why)) == -ENOENT && strstr(why, "/nonexistent/jwks.json"),
		      "%s", why);
	}
	TEST_CASE("a policy whose jwks_file holds a private key fails at the jwks_file value") {
		char path[160], *pt;
		struct pol_errors errs = {};
		struct policy *p = NULL;

		snprintf(path, sizeof(path), "%s/priv.json", tmpdir);
		text = fmt("{\"keys\":[%s]}", priv);
		write_file(path, text);
		pt = fmt("{\"version\":1,\"backends\":{\"m\":{\"url\":\"http://127.0.0.1:1/\"}},\n"
			 "\"auth\":{\"resource\":\"" RESOURCE "\",\"jwt\":{\"issuers\":{\"x\":{\n"
			 "\"issuer\":\"https://x.example\",\"algorithms\":[\"RS256\"],\n"
			 "\"jwks_file\":\"%s\"}}}}}", path);
		CHECK(policy_parse(pt, strlen(pt), &p, &errs) == -EINVAL && errs.n == 1 &&
		      errs.v[0].line == 4 && errs.v[0].col == 13 &&
		      strstr(errs.v[0].msg, "auth.jwt.issuers.x.jwks_file: ") &&
		      strstr(errs.v[0].msg, "keys[0].d: a private key member"), "%zu errors: %d:%d %.150s",
		      errs.n, errs.n ? errs.v[0].line : 0, errs.n ? errs.v[0].col : 0,
		      errs.n ? errs.v[0].msg : "");
		policy_free(p);
		pol_errors_free(&errs);
		unlink(path);
		free(text);
		free(pt);
	}
	free(a);
	cjose_get_dealloc()(priv);
}

static void test_defaults(void)
{
	TEST_CASE("defaults: leeway_s 60, agent_claim sub, scope_claim scope, servers = issuers") {
		const cJSON *auth = cJSON_GetObjectItem(pol->json, "auth");
		const cJSON *rsa = cJSON_GetObjectItem(cJSON_GetObjectItem(
			cJSON_GetObjectItem(auth, "jwt"), "issuers"), "rsa");
		const cJSON *servers = cJSON_GetObjectItem(auth, "authorization_servers");

		CHECK(cJSON_GetObjectItem(rsa, "leeway_s")->valuedouble == 60, "leeway");
		CHECK(!strcmp(cJSON_GetObjectItem(rsa, "agent_claim")->valuestring, "sub"), "agent");
		CHECK(!strcmp(cJSON_GetObjectItem(rsa, "scope_claim")->valuestring, "scope"), "scope");
		CHECK(!cJSON_GetObjectItem(rsa, "plan_claim"), "plan_claim");
		CHECK(cJSON_GetArraySize(servers) == 4 &&
		      !strcmp(cJSON_GetArrayItem(servers, 0)->valuestring, "https://rsa.example"),
		      "%d servers", cJSON_GetArraySize(servers));
	}
}

/* --- threads --------------------------------------------------------------------------- */

/* Verifiers use one fixed time; the rotator's unknown kids come 31 s apart
 * on its own clock, so each makes one reread, and the count is exact. */
struct worker {
	const char *token;
	time_t now;
	int step_s;
	int runs;
	int accepted, refused;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->runs; i++) {
		struct ident_refusal why;
		struct ident id;
		int ret = verify_at(w->token, w->now + (time_t)i * w->step_s, &id, &why);

		w->accepted += ret == 0;
		w->refused += ret == -EACCES;
		ident_clear(&id);
	}
	return NULL;
}

static void test_threads(void)
{
	char *c = fmt("{\"iss\":\"https://rot.example\",\"sub\":\"bot\",\"aud\":\"" RESOURCE "\","
		      "\"exp\":%lld}", (long long)NOW + 100000);
	char *good = sign(rot_b, "RS256", "b", c), *unknown = sign(rot_b, "RS256", "zz", c);
	struct worker w[4];
	pthread_t th[4];

	TEST_CASE("3 threads verify while a 4th makes the keys be reread and swapped 20 times") {
		unsigned before = ident_jwt_rereads(ctx.jwt, "rot"), after;

		for (int i = 0; i < 4; i++) {
			w[i] = i < 3 ? (struct worker){ good, NOW + 2000, 0, 200, 0, 0 } :
				       (struct worker){ unknown, NOW + 2000, 31, 20, 0, 0 };
			CHECK(!pthread_create(&th[i], NULL, work, &w[i]), "pthread_create");
		}
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		after = ident_jwt_rereads(ctx.jwt, "rot");
		for (int i = 0; i < 3; i++)
			CHECK(w[i].accepted == 200, "verifier %d: %d accepted", i, w[i].accepted);
		CHECK(w[3].refused == 20, "rotator: %d refused", w[3].refused);
		CHECK(after - before == 20, "%u rereads", after - before);
	}
	free(c);
	free(good);
	free(unknown);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_init(argv[0]);
	setup();
	test_key_table();
	test_key_headers();
	test_key_ambiguity();
	test_jwt_shape();
	test_jwt_valid();
	test_jwt_claims();
	test_jwt_issuer();
	test_jwt_confusion();
	test_jwt_none();
	test_jwt_tampered();
	test_jwt_headers();
	test_jwks_rotation();
	test_jwks_files();
	test_defaults();
	test_threads();
	teardown();
	return test_finish();
}
