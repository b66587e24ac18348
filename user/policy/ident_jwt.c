// SPDX-License-Identifier: GPL-2.0-only
/*
 * ident_jwt.c - the JWT bearer token verifier (see ident_jwt.h).
 *
 * libcjose verifies RS256, PS256 and ES256 signatures.  What it leaves to
 * its caller is guarded here, before it sees the token:
 *  - it takes the algorithm from the token's header: the header's "alg"
 *    is checked against the issuer's list, and the key against the alg;
 *  - asked for an HS* signature with an RSA or EC key, it computes an HMAC
 *    keyed with the bytes of the key's OpenSSL structure (an over-read)
 *    before it notices the key type: HS* never reaches it;
 *  - its HMAC compare reads as many signature bytes as the digest has
 *    before it checks the signature's length: HS256 is verified here with
 *    OpenSSL's HMAC and CRYPTO_memcmp, after a length check;
 *  - it imports a header without "alg" and then leaks the JWS: the header
 *    is parsed and checked here first;
 *  - it parses JSON with jansson, which keeps the last of two duplicate
 *    names where cJSON keeps the first: duplicates are refused, and the
 *    alg cjose read is compared with the one checked here;
 *  - its base64url decoder aborts on some malformed text: every part is
 *    checked to be strict base64url first;
 *  - it splits an ES256 signature at half its length, whatever that is:
 *    every signature must have exactly its key's length.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjose/header.h>
#include <cjose/jws.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ident_jwk.h"
#include "ident_jwt.h"

#define HEADER_MAX_MEMBERS 16
#define CLAIMS_MAX_MEMBERS 256

struct jwt_issuer {
	char name[SL_NAME_MAX];
	const char *iss;		/* these point into the policy's JSON */
	const char *agent_claim;
	const char *plan_claim;		/* NULL: the agent's plan in the policy */
	const char *scope_claim;
	const char *jwks_file;		/* NULL: keys given in the policy */
	unsigned algs;
	double leeway_s;
	pthread_mutex_t lock;		/* guards the four below */
	struct ident_jwks *keys;
	time_t last_reread;
	bool reread_once;
	unsigned rereads;
};

struct ident_jwt {
	const struct policy *pol;
	const char *resource;
	struct jwt_issuer *v;
	size_t n;
	size_t *agents_by_name;		/* indexes into pol->agents, sorted by name */
};

/* One token as it is taken apart. */
struct token {
	const char *text;
	size_t len;
	size_t dot1, dot2;		/* where the two dots are */
	cJSON *header, *claims;
	const char *alg_name;		/* in header */
	enum ident_alg alg;
	const char *kid;		/* in header; NULL: none */
	unsigned char *sig;
	size_t sig_len;
};

static const cJSON *member(const cJSON *obj, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static const char *str_of(const cJSON *obj, const char *name)
{
	const cJSON *m = member(obj, name);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

static int refuse(struct ident_refusal *why, const char *description, const char *detail)
{
	return ident_refuse(why, IDENT_INVALID_TOKEN, description, detail,
			    detail ? strlen(detail) : 0);
}

/* --- taking the token apart ---------------------------------------------------- */

static int split(struct token *t, struct ident_refusal *why)
{
	const char *d1, *d2;

	if (t->len > IDENT_JWT_MAX_BYTES)
		return refuse(why, "token too long", NULL);
	d1 = memchr(t->text, '.', t->len);
	d2 = d1 ? memchr(d1 + 1, '.', t->len - (size_t)(d1 + 1 - t->text)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', t->len - (size_t)(d2 + 1 - t->text)))
		return refuse(why, "not a JWT: expected three parts", NULL);
	t->dot1 = (size_t)(d1 - t->text);
	t->dot2 = (size_t)(d2 - t->text);
	if (!ident_b64url_ok(t->text, t->dot1) ||
	    !ident_b64url_ok(d1 + 1, t->dot2 - t->dot1 - 1) ||
	    !ident_b64url_ok(d2 + 1, t->len - t->dot2 - 1))
		return refuse(why, "not a JWT: a part is not base64url", NULL);
	return 0;
}

/* A part decoded and parsed as a JSON object; -EACCES or -ENOMEM. */
static int part_json(const char *s, size_t n, size_t max_members, cJSON **out,
		     const char *what, struct ident_refusal *why)
{
	unsigned char *raw;
	size_t raw_len;
	int err = ident_b64url_decode(s, n, &raw, &raw_len);

	if (err)
		return err == -ENOMEM ? err : refuse(why, what, NULL);
	*out = ident_json_object((const char *)raw, raw_len, max_members);
	free(raw);
	return *out ? 0 : refuse(why, what, NULL);
}

/* RFC 9068 2.1 asks for "at+jwt"; plain "JWT" is what most issuers send. */
static bool typ_ok(const char *typ)
{
	return !strcasecmp(typ, "JWT") || !strcasecmp(typ, "at+jwt") ||
	       !strcasecmp(typ, "application/at+jwt");
}

static int parse_header(struct token *t, struct ident_refusal *why)
{
	const cJSON *typ, *kid;
	int err = part_json(t->text, t->dot1, HEADER_MAX_MEMBERS, &t->header,
			    "malformed token header", why);
	int a;

	if (err)
		return err;
	t->alg_name = str_of(t->header, "alg");
	if (!t->alg_name)
		return refuse(why, "token header has no alg", NULL);
	a = ident_alg_index(t->alg_name);
	if (!strcasecmp(t->alg_name, "none"))
		return refuse(why, "unsigned token (alg none)", NULL);
	if (a < 0)
		return refuse(why, "token algorithm not supported", t->alg_name);
	t->alg = (enum ident_alg)a;
	/* RFC 7515 4.1.11: extensions this verifier does not know must fail. */
	if (member(t->header, "crit"))
		return refuse(why, "token header has crit extensions", NULL);
	typ = member(t->header, "typ");
	if (typ && (!cJSON_IsString(typ) || !typ_ok(typ->valuestring)))
		return refuse(why, "token type is not JWT", NULL);
	kid = member(t->header, "kid");
	if (kid && (!cJSON_IsString(kid) || !*kid->valuestring))
		return refuse(why, "malformed kid", NULL);
	t->kid = kid ? kid->valuestring : NULL;
	return 0;
}

static int parse_claims(struct token *t, struct ident_refusal *why)
{
	return part_json(t->text + t->dot1 + 1, t->dot2 - t->dot1 - 1, CLAIMS_MAX_MEMBERS,
			 &t->claims, "malformed token claims", why);
}

static struct jwt_issuer *find_issuer(struct ident_jwt *v, const struct token *t,
				      struct ident_refusal *why)
{
	const char *iss = str_of(t->claims, "iss");

	if (!iss) {
		refuse(why, "token has no issuer", NULL);
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i].iss, iss))
			return &v->v[i];
	refuse(why, "token issuer is not trusted", iss);
	return NULL;
}

/* --- keys ------------------------------------------------------------------------ */

static struct ident_jwks *issuer_keys(struct jwt_issuer *is)
{
	struct ident_jwks *ks;

	pthread_mutex_lock(&is->lock);
	ks = ident_jwks_get(is->keys);
	pthread_mutex_unlock(&is->lock);
	return ks;
}

/* Whether this request may read the file again: at most once a period.
 * A clock that went back by more than a period (set by hand, say) must not
 * stop rereads for as long; threads a second or two apart must not count
 * as that. */
static bool reread_due(struct jwt_issuer *is, time_t now)
{
	bool due;

	pthread_mutex_lock(&is->lock);
	due = !is->reread_once || now - is->last_reread >= IDENT_JWKS_REREAD_S ||
	      now < is->last_reread - IDENT_JWKS_REREAD_S;
	if (due) {
		is->reread_once = true;
		is->last_reread = now;
	}
	pthread_mutex_unlock(&is->lock);
	return due;
}

/* Reads the jwks_file again; true when a new set replaced the old. */
static bool reread(struct jwt_issuer *is, time_t now)
{
	struct ident_jwks *ks, *old;
	char why[256];

	if (!is->jwks_file || !reread_due(is, now))
		return false;
	/* Outside the lock: other requests go on with the old keys meanwhile. */
	if (ident_jwks_read(is->jwks_file, is->algs, &ks, why, sizeof(why)))
		return false;
	pthread_mutex_lock(&is->lock);
	old = is->keys;
	is->keys = ks;
	is->rereads++;
	pthread_mutex_unlock(&is->lock);
	ident_jwks_put(old);
	return true;
}

/* The key for @t, with a reference on its set in *ks_out. */
static const struct ident_jwk *pick_key(struct jwt_issuer *is, const struct token *t,
					time_t now, struct ident_jwks **ks_out,
					struct ident_refusal *why)
{
	struct ident_jwks *ks = issuer_keys(is);
	const struct ident_jwk *k;
	bool kid_unknown;
	const char *no;

	if (!(is->algs & IDENT_ALG_BIT(t->alg))) {
		ident_jwks_put(ks);
		refuse(why, "token algorithm not allowed for this issuer", t->alg_name);
		return NULL;
	}
	k = ident_jwks_find(ks, t->kid, t->alg, &kid_unknown, &no);
	if (!k && kid_unknown && reread(is, now)) {
		ident_jwks_put(ks);
		ks = issuer_keys(is);
		k = ident_jwks_find(ks, t->kid, t->alg, &kid_unknown, &no);
	}
	if (!k) {
		ident_jwks_put(ks);
		refuse(why, no, t->kid);
		return NULL;
	}
	*ks_out = ks;
	return k;
}

/* --- the signature -------------------------------------------------------------- */

static int check_hmac(const struct token *t, const struct ident_jwk *k,
		      struct ident_refusal *why)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (!HMAC(EVP_sha256(), k->secret, (int)k->secret_len, (const unsigned char *)t->text,
		  t->dot2, mac, &mac_len))
		return -ENOMEM;
	if (mac_len != t->sig_len || CRYPTO_memcmp(mac, t->sig, mac_len))
		return refuse(why, "token signature does not verify", NULL);
	return 0;
}

static int check_cjose(const struct token *t, const struct ident_jwk *k,
		       struct ident_refusal *why)
{
	cjose_err err = {};
	const char *alg;
	cjose_jws_t *jws = cjose_jws_import(t->text, t->len, &err);
	int ret = 0;

	/* Any failure refuses the token, whatever code cjose gives: its codes
	 * are not reliable (it calls a bad EC point "out of memory"). */
	if (!jws)
		return refuse(why, "malformed token", NULL);
	alg = cjose_header_get(cjose_jws_get_protected(jws), CJOSE_HDR_ALG, &err);
	if (!alg || strcmp(alg, t->alg_name))
		ret = refuse(why, "malformed token", "header read two ways");
	else if (!cjose_jws_verify(jws, k->jwk, &err))
		ret = refuse(why, "token signature does not verify", NULL);
	cjose_jws_release(jws);
	ERR_clear_error();	/* a failed verify leaves OpenSSL errors queued */
	return ret;
}

static int check_signature(struct token *t, const struct ident_jwk *k,
			   struct ident_refusal *why)
{
	const char *s = t->text + t->dot2 + 1;
	int err = ident_b64url_decode(s, t->len - t->dot2 - 1, &t->sig, &t->sig_len);

	if (err)
		return err == -ENOMEM ? err : refuse(why, "malformed token signature", NULL);
	if (t->sig_len != k->sig_len)
		return refuse(why, "token signature has the wrong length", NULL);
	return t->alg == IDENT_HS256 ? check_hmac(t, k, why) : check_cjose(t, k, why);
}

/* --- the claims ------------------------------------------------------------------ */

/* A NumericDate claim: absent (false), or a finite number in *out. */
static int date_claim(const cJSON *claims, const char *name, double *out, bool *present,
		      struct ident_refusal *why)
{
	const cJSON *m = member(claims, name);

	*present = m != NULL;
	if (!m)
		return 0;
	if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble))
		return refuse(why, "malformed time claim", name);
	*out = m->valuedouble;
	return 0;
}

static int check_times(const struct jwt_issuer *is, const cJSON *claims, time_t now,
		       struct ident_refusal *why)
{
	double exp = 0, nbf = 0, t = (double)now;
	bool has_exp, has_nbf;
	int err;

	if ((err = date_claim(claims, "exp", &exp, &has_exp, why)) ||
	    (err = date_claim(claims, "nbf", &nbf, &has_nbf, why)))
		return err;
	/* A token that never expires is a credential for ever: refused. */
	if (!has_exp)
		return refuse(why, "token has no expiry (exp)", NULL);
	if (t >= exp + is->leeway_s)
		return refuse(why, "token expired", NULL);
	if (has_nbf && t + is->leeway_s < nbf)
		return refuse(why, "token not yet valid", NULL);
	return 0;
}

/* RFC 7519 4.1.3 and RFC 8707: "aud", a string or an array of strings,
 * must name this resource. */
static int check_audience(const struct ident_jwt *v, const cJSON *claims,
			  struct ident_refusal *why)
{
	const cJSON *aud = member(claims, "aud"), *a;

	if (!aud)
		return refuse(why, "token has no audience", NULL);
	if (cJSON_IsString(aud))
		return strcmp(aud->valuestring, v->resource) ?
		       refuse(why, "audience does not name this resource", aud->valuestring) : 0;
	if (!cJSON_IsArray(aud))
		return refuse(why, "malformed audience", NULL);
	cJSON_ArrayForEach(a, aud) {
		if (!cJSON_IsString(a))
			return refuse(why, "malformed audience", NULL);
		if (!strcmp(a->valuestring, v->resource))
			return 0;
	}
	return refuse(why, "audience does not name this resource", NULL);
}

/* The agent whose name @name is, or -1. */
static long find_agent(const struct ident_jwt *v, const char *name)
{
	size_t lo = 0, hi = v->pol->n_agents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(name, v->pol->agents[v->agents_by_name[mid]].name);

		if (!d)
			return (long)v->agents_by_name[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int take_agent(const struct ident_jwt *v, const struct jwt_issuer *is,
		      const cJSON *claims, struct ident *id, struct ident_refusal *why)
{
	const cJSON *m = member(claims, is->agent_claim);
	const struct pol_agent *a;
	long i;

	if (!m)
		return refuse(why, "token names no agent", is->agent_claim);
	if (!cJSON_IsString(m))
		return refuse(why, "malformed agent claim", is->agent_claim);
	i = find_agent(v, m->valuestring);
	if (i < 0)
		return refuse(why, "token names an agent the policy does not know",
			      m->valuestring);
	a = &v->pol->agents[i];
	id->agent = (size_t)i;
	snprintf(id->agent_name, sizeof(id->agent_name), "%s", a->name);
	snprintf(id->plan, sizeof(id->plan), "%s", a->plan);
	return 0;
}

/* The plan claim, when configured and present, replaces the agent's plan. */
static int take_plan(const struct ident_jwt *v, const struct jwt_issuer *is,
		     const cJSON *claims, struct ident *id, struct ident_refusal *why)
{
	const cJSON *m = is->plan_claim ? member(claims, is->plan_claim) : NULL;

	if (!m)
		return 0;
	if (!cJSON_IsString(m))
		return refuse(why, "malformed plan claim", is->plan_claim);
	if (!policy_find_plan(v->pol, m->valuestring))
		return refuse(why, "token names a plan the policy does not know", m->valuestring);
	snprintf(id->plan, sizeof(id->plan), "%s", m->valuestring);
	return 0;
}

/* RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
static bool scope_token(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return n > 0;
}

static int add_scope(struct ident *id, const char *s, size_t n, struct ident_refusal *why)
{
	char **grown;

	if (!scope_token(s, n))
		return refuse(why, "malformed scope claim", NULL);
	if (id->n_scopes == IDENT_MAX_SCOPES)
		return refuse(why, "too many scopes", NULL);
	grown = realloc(id->scopes, (id->n_scopes + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	id->scopes = grown;
	id->scopes[id->n_scopes] = strndup(s, n);
	if (!id->scopes[id->n_scopes])
		return -ENOMEM;
	id->n_scopes++;
	return 0;
}

/* RFC 6749 3.3 "scope" (one string, space-separated), or an array of
 * strings ("scp", as several issuers send). */
static int take_scopes(const struct jwt_issuer *is, const cJSON *claims, struct ident *id,
		       struct ident_refusal *why)
{
	const cJSON *m = member(claims, is->scope_claim), *s;
	int err = 0;

	if (cJSON_IsString(m) && !*m->valuestring)
		return 0;	/* no scope granted */
	if (cJSON_IsString(m)) {
		for (const char *p = m->valuestring;; p++) {
			size_t n = strcspn(p, " ");

			if ((err = add_scope(id, p, n, why)) || !p[n])
				return err;
			p += n;
		}
	}
	if (m && !cJSON_IsArray(m))
		return refuse(why, "malformed scope claim", is->scope_claim);
	cJSON_ArrayForEach(s, m) {
		if (!cJSON_IsString(s))
			return refuse(why, "malformed scope claim", is->scope_claim);
		if ((err = add_scope(id, s->valuestring, strlen(s->valuestring), why)))
			return err;
	}
	return 0;
}

static int fill_ident(const struct ident_jwt *v, const struct jwt_issuer *is,
		      const cJSON *claims, struct ident *id, struct ident_refusal *why)
{
	const char *sub = str_of(claims, "sub");
	int err;

	id->via = IDENT_VIA_JWT;
	snprintf(id->issuer_name, sizeof(id->issuer_name), "%s", is->name);
	if ((err = take_agent(v, is, claims, id, why)) || (err = take_plan(v, is, claims, id, why)) ||
	    (err = take_scopes(is, claims, id, why)))
		return err;
	id->issuer = strdup(is->iss);
	id->subject = sub ? strdup(sub) : NULL;
	return !id->issuer || (sub && !id->subject) ? -ENOMEM : 0;
}

/* --- verify ------------------------------------------------------------------------ */

static int verify(struct ident_jwt *v, struct token *t, time_t now, struct ident *id,
		  struct ident_refusal *why)
{
	struct ident_jwks *ks = NULL;
	const struct ident_jwk *k;
	struct jwt_issuer *is;
	int err;

	if ((err = split(t, why)) || (err = parse_header(t, why)) || (err = parse_claims(t, why)))
		return err;
	/* The issuer is read before the signature is checked only to choose
	 * the keys; a token another issuer signed fails with them. */
	if (!(is = find_issuer(v, t, why)) || !(k = pick_key(is, t, now, &ks, why)))
		return -EACCES;
	err = check_signature(t, k, why);
	ident_jwks_put(ks);
	if (!err)
		err = check_times(is, t->claims, now, why);
	if (!err)
		err = check_audience(v, t->claims, why);
	if (!err)
		err = fill_ident(v, is, t->claims, id, why);
	return err;
}

int ident_jwt_verify(struct ident_jwt *v, const char *token, size_t len, time_t now,
		     struct ident *id, struct ident_refusal *why)
{
	struct token t = { .text = token, .len = len };
	int err;

	memset(id, 0, sizeof(*id));
	err = verify(v, &t, now, id, why);
	if (err)
		ident_clear(id);
	cJSON_Delete(t.header);
	cJSON_Delete(t.claims);
	free(t.sig);
	return err;
}

unsigned ident_jwt_rereads(struct ident_jwt *v, const char *name)
{
	unsigned n = 0;

	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->v[i].name, name))
			continue;
		pthread_mutex_lock(&v->v[i].lock);
		n = v->v[i].rereads;
		pthread_mutex_unlock(&v->v[i].lock);
	}
	return n;
}

/* --- building ---------------------------------------------------------------------- */

static int issuer_keys_load(struct jwt_issuer *is, const cJSON *conf, char *why, size_t len)
{
	struct ident_jwks_error e;
	int err;

	if (is->jwks_file)
		return ident_jwks_read(is->jwks_file, is->algs, &is->keys, why, len);
	err = ident_jwks_from_json(member(conf, "keys"), is->algs, false, &is->keys, &e);
	if (err == -EINVAL)
		snprintf(why, len, "keys[%d]: %s", e.index, e.msg);
	return err;
}

/* @conf has been checked by the schema (pol_auth.c). */
static int issuer_init(struct jwt_issuer *is, const cJSON *conf, char *why, size_t len)
{
	const cJSON *alg;
	char reason[224];
	int err;

	snprintf(is->name, sizeof(is->name), "%s", conf->string);
	is->iss = str_of(conf, "issuer");
	is->agent_claim = str_of(conf, "agent_claim");
	is->plan_claim = str_of(conf, "plan_claim");
	is->scope_claim = str_of(conf, "scope_claim");
	is->jwks_file = str_of(conf, "jwks_file");
	is->leeway_s = member(conf, "leeway_s")->valuedouble;
	cJSON_ArrayForEach(alg, member(conf, "algorithms"))
		is->algs |= IDENT_ALG_BIT(ident_alg_index(alg->valuestring));
	err = issuer_keys_load(is, conf, reason, sizeof(reason));
	if (err) {
		snprintf(why, len, "auth.jwt.issuers.%s: %s", is->name, reason);
		return err;
	}
	if (pthread_mutex_init(&is->lock, NULL)) {
		ident_jwks_put(is->keys);
		return -ENOMEM;
	}
	return 0;
}

static int agent_name_cmp(const void *a, const void *b, void *arg)
{
	const struct policy *pol = arg;

	return strcmp(pol->agents[*(const size_t *)a].name, pol->agents[*(const size_t *)b].name);
}

static int agents_index(struct ident_jwt *v)
{
	const struct policy *pol = v->pol;

	v->agents_by_name = calloc(pol->n_agents + 1, sizeof(*v->agents_by_name));
	if (!v->agents_by_name)
		return -ENOMEM;
	for (size_t i = 0; i < pol->n_agents; i++)
		v->agents_by_name[i] = i;
	/* n log n: a policy may hold 16383 agents (an insertion sort of them
	 * in reverse order is 10^8 comparisons). */
	qsort_r(v->agents_by_name, pol->n_agents, sizeof(*v->agents_by_name), agent_name_cmp,
		(void *)pol);
	return 0;
}

int ident_jwt_new(const struct policy *pol, struct ident_jwt **out, char *why, size_t len)
{
	const cJSON *auth = member(pol->json, "auth"), *conf;
	const cJSON *issuers = member(member(auth, "jwt"), "issuers");
	struct ident_jwt *v;
	int err = 0;

	*out = NULL;
	if (!issuers)
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v || !(v->v = calloc((size_t)cJSON_GetArraySize(issuers), sizeof(*v->v)))) {
		free(v);
		return -ENOMEM;
	}
	v->pol = pol;
	v->resource = str_of(auth, "resource");
	err = agents_index(v);
	cJSON_ArrayForEach(conf, issuers) {
		if (err)
			break;
		err = issuer_init(&v->v[v->n], conf, why, len);
		if (!err)
			v->n++;
	}
	if (err) {
		ident_jwt_free(v);
		return err;
	}
	*out = v;
	return 0;
}

void ident_jwt_free(struct ident_jwt *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		ident_jwks_put(v->v[i].keys);
		pthread_mutex_destroy(&v->v[i].lock);
	}
	free(v->agents_by_name);
	free(v->v);
	free(v);
}
