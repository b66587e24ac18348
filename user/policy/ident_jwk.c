// SPDX-License-Identifier: GPL-2.0-only
/*
 * ident_jwk.c - JSON Web Keys for token verification (see ident_jwk.h).
 *
 * libcjose imports RSA and EC keys; everything it would otherwise take on
 * trust is checked here first.  Its base64url decoder asserts (aborts) on
 * text such as "A=", so every base64url value is checked before cjose
 * sees it; it imports private keys as readily as public ones, and keys of
 * any size, so the members and sizes are checked too.  Oct keys never go
 * through cjose: their HMACs are computed here with OpenSSL (see
 * ident_jwt.c for why).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cjose/base64.h>
#include <cjose/util.h>
#include <openssl/crypto.h>

#include "ident_jwk.h"

#define KID_MAX 256
#define MIN_RSA_BITS 2048
#define MAX_RSA_BITS 16384
#define MIN_SECRET_BYTES 32	/* RFC 7518 3.2: at least the hash size */
#define JWKS_MAX_KEYS 256
#define JWK_MAX_MEMBERS 64

const char *const ident_alg_names[] = { "RS256", "PS256", "ES256", "HS256", NULL };

int ident_alg_index(const char *name)
{
	for (int i = 0; ident_alg_names[i]; i++)
		if (!strcmp(ident_alg_names[i], name))
			return i;
	return -1;
}

const char *ident_alg_refusal(const char *name)
{
	static const char *const others[] = {
		"RS384", "RS512", "PS384", "PS512", "ES384", "ES512", "HS384", "HS512", NULL
	};

	if (ident_alg_index(name) >= 0)
		return NULL;
	if (!strcasecmp(name, "none"))
		return "an unsigned token proves nothing: \"none\" is never accepted";
	if (!strcmp(name, "EdDSA") || !strcmp(name, "Ed25519"))
		return "EdDSA is not supported: libcjose 0.6 has no Ed25519 keys";
	for (int i = 0; others[i]; i++)
		if (!strcmp(others[i], name))
			return "not supported; sluice verifies RS256, PS256, ES256 and HS256";
	return "not a JWS algorithm sluice verifies (RS256, PS256, ES256, HS256)";
}

static unsigned kty_algs(enum ident_kty kty)
{
	switch (kty) {
	case IDENT_KTY_RSA: return IDENT_ALG_BIT(IDENT_RS256) | IDENT_ALG_BIT(IDENT_PS256);
	case IDENT_KTY_EC: return IDENT_ALG_BIT(IDENT_ES256);
	default: return IDENT_ALG_BIT(IDENT_HS256);
	}
}

const char *ident_jwk_kind(enum ident_kty kty)
{
	static const char *const kinds[] = {
		"an RSA key", "an EC P-256 key", "an oct key (a shared secret)"
	};

	return kinds[kty];
}

const char *ident_kty_algs(enum ident_kty kty)
{
	static const char *const algs[] = { "RS256 and PS256", "ES256", "HS256" };

	return algs[kty];
}

/* --- base64url and JSON ------------------------------------------------------ */

bool ident_b64url_ok(const char *s, size_t n)
{
	if (!n || n % 4 == 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

int ident_b64url_decode(const char *s, size_t n, unsigned char **out, size_t *out_len)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	cjose_err err;

	*out = NULL;
	if (!ident_b64url_ok(s, n))
		return -EINVAL;
	if (!cjose_base64url_decode(s, n, &raw, &raw_len, &err))
		return err.code == CJOSE_ERR_NO_MEMORY ? -ENOMEM : -EINVAL;
	*out = malloc(raw_len + 1);
	if (*out) {
		memcpy(*out, raw, raw_len);
		(*out)[raw_len] = '\0';
		*out_len = raw_len;
	}
	cjose_get_dealloc()(raw);
	return *out ? 0 : -ENOMEM;
}

/* RFC 7519 4: duplicate claim names must be refused (or the last taken);
 * cJSON would read the first one, libcjose's jansson the last. */
static bool has_duplicates(const cJSON *obj)
{
	for (const cJSON *a = obj->child; a; a = a->next)
		for (const cJSON *b = a->next; b; b = b->next)
			if (!strcmp(a->string, b->string))
				return true;
	return false;
}

cJSON *ident_json_object(const char *text, size_t len, size_t max_members)
{
	char *buf;
	cJSON *obj;

	if (memchr(text, '\0', len))
		return NULL;
	buf = malloc(len + 1);
	if (!buf)
		return NULL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	obj = cJSON_ParseWithOpts(buf, NULL, true);
	free(buf);
	if (cJSON_IsObject(obj) && (size_t)cJSON_GetArraySize(obj) <= max_members &&
	    !has_duplicates(obj))
		return obj;
	cJSON_Delete(obj);
	return NULL;
}

/* --- one key ------------------------------------------------------------------- */

static int problem(struct ident_jwk_problem *why, int err, const char *member,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int problem(struct ident_jwk_problem *why, int err, const char *member,
		   const char *fmt, ...)
{
	va_list ap;

	why->member = member;
	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof(why->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* A string member, NULL when absent; -EINVAL in *err when not a string. */
static const char *str_member(const cJSON *obj, const char *name, struct ident_jwk_problem *why,
			      int *err)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!m)
		return NULL;
	if (!cJSON_IsString(m)) {
		*err = problem(why, -EINVAL, name, "expected a string");
		return NULL;
	}
	return m->valuestring;
}

static int parse_kty(const char *kty, enum ident_kty *out, struct ident_jwk_problem *why)
{
	if (!strcmp(kty, "RSA"))
		*out = IDENT_KTY_RSA;
	else if (!strcmp(kty, "EC"))
		*out = IDENT_KTY_EC;
	else if (!strcmp(kty, "oct"))
		*out = IDENT_KTY_OCT;
	else if (!strcmp(kty, "OKP"))
		return problem(why, -ENOTSUP, "kty", "\"OKP\" (EdDSA) is not supported: "
			       "libcjose 0.6 has no Ed25519 keys");
	else
		return problem(why, -ENOTSUP, "kty", "expected \"RSA\", \"EC\" or \"oct\"");
	return 0;
}

/* "use", "key_ops" and "alg": what the key is for, if it says. */
static int check_purpose(const cJSON *obj, struct ident_jwk *k, struct ident_jwk_problem *why)
{
	const cJSON *ops = cJSON_GetObjectItemCaseSensitive(obj, "key_ops"), *op;
	const char *use, *alg;
	bool verify = false;
	int err = 0, a;

	use = str_member(obj, "use", why, &err);
	if (!err && use && strcmp(use, "sig"))
		return problem(why, -ENOTSUP, "use", "\"%.32s\": not a signature key", use);
	cJSON_ArrayForEach(op, ops)
		verify |= cJSON_IsString(op) && !strcmp(op->valuestring, "verify");
	if (!err && ops && (!cJSON_IsArray(ops) || !verify))
		return problem(why, -ENOTSUP, "key_ops", "does not list \"verify\"");
	alg = err ? NULL : str_member(obj, "alg", why, &err);
	if (err || !alg)
		return err;
	a = ident_alg_index(alg);
	if (a < 0)
		return problem(why, strcasecmp(alg, "none") ? -ENOTSUP : -EINVAL, "alg",
			       "\"%.32s\": %s", alg, ident_alg_refusal(alg));
	if (!(k->algs & IDENT_ALG_BIT(a)))
		return problem(why, -EINVAL, "alg", "\"%s\" does not fit %s (it verifies %s)",
			       alg, ident_jwk_kind(k->kty), ident_kty_algs(k->kty));
	k->algs = IDENT_ALG_BIT(a);
	return 0;
}

static int check_kid(const cJSON *obj, struct ident_jwk *k, struct ident_jwk_problem *why)
{
	int err = 0;
	const char *kid = str_member(obj, "kid", why, &err);
	size_t n;

	if (err || !kid)
		return err;
	n = strlen(kid);
	if (!n || n > KID_MAX)
		return problem(why, -EINVAL, "kid", "expected 1..%d bytes", KID_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)kid[i] < 0x20 || kid[i] == 0x7f)
			return problem(why, -EINVAL, "kid", "control bytes are not allowed");
	k->kid = strdup(kid);
	return k->kid ? 0 : -ENOMEM;
}

/* A base64url member that must be there; @bytes > 0: its decoded size. */
static int check_b64(const cJSON *obj, const char *name, size_t bytes,
		     struct ident_jwk_problem *why)
{
	int err = 0;
	const char *s = str_member(obj, name, why, &err);
	size_t n;

	if (err)
		return err;
	if (!s)
		return problem(why, -EINVAL, NULL, "missing \"%s\"", name);
	n = strlen(s);
	if (!ident_b64url_ok(s, n))
		return problem(why, -EINVAL, name, "not base64url (A-Za-z0-9-_, no padding)");
	if (bytes && n != (bytes * 4 + 2) / 3)
		return problem(why, -EINVAL, name, "expected %zu bytes", bytes);
	return 0;
}

static int no_private(const cJSON *obj, struct ident_jwk_problem *why)
{
	static const char *const members[] = { "d", "p", "q", "dp", "dq", "qi", "oth", NULL };

	for (int i = 0; members[i]; i++)
		if (cJSON_GetObjectItemCaseSensitive(obj, members[i]))
			return problem(why, -EINVAL, members[i], "a private key member: give "
				       "the public key only (a verifier never needs the private one)");
	return 0;
}

/* RSA and EC keys: cjose imports them from the key's JSON text. */
static int import_cjose(const cJSON *obj, struct ident_jwk *k, struct ident_jwk_problem *why)
{
	char *text = cJSON_PrintUnformatted(obj);
	cjose_err err = {};
	size_t bits;

	if (!text)
		return -ENOMEM;
	k->jwk = cjose_jwk_import(text, strlen(text), &err);
	free(text);
	/* Not -ENOMEM even when cjose says so: it reports a point off the
	 * curve as "out of memory". */
	if (!k->jwk)
		return problem(why, -EINVAL, NULL, "not a valid %s public key (libcjose: %s)",
			       k->kty == IDENT_KTY_RSA ? "RSA" : "EC P-256",
			       err.message ? err.message : "refused");
	if (k->kty == IDENT_KTY_EC) {
		k->sig_len = 64;	/* r || s, 32 bytes each (RFC 7518 3.4) */
		return 0;
	}
	bits = cjose_jwk_get_keysize(k->jwk, &err);
	if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
		return problem(why, -EINVAL, "n", "a %zu-bit modulus: expected %d..%d bits",
			       bits, MIN_RSA_BITS, MAX_RSA_BITS);
	k->sig_len = bits / 8;
	return 0;
}

static int import_oct(const cJSON *obj, struct ident_jwk *k, struct ident_jwk_problem *why)
{
	const char *s = cJSON_GetObjectItemCaseSensitive(obj, "k")->valuestring;
	int err = ident_b64url_decode(s, strlen(s), &k->secret, &k->secret_len);

	if (err)
		return err;
	if (k->secret_len < MIN_SECRET_BYTES)
		return problem(why, -EINVAL, "k", "a %zu-byte secret: HS256 needs at least %d "
			       "(RFC 7518 3.2)", k->secret_len, MIN_SECRET_BYTES);
	k->sig_len = 32;
	return 0;
}

/* The members each key type must have, checked before any import. */
static int check_material(const cJSON *obj, struct ident_jwk *k, struct ident_jwk_problem *why)
{
	int err = 0;
	const char *crv;

	switch (k->kty) {
	case IDENT_KTY_RSA:
		if ((err = no_private(obj, why)) || (err = check_b64(obj, "n", 0, why)))
			return err;
		return check_b64(obj, "e", 0, why);
	case IDENT_KTY_EC:
		crv = str_member(obj, "crv", why, &err);
		if (err)
			return err;
		if (!crv)
			return problem(why, -EINVAL, NULL, "missing \"crv\"");
		if (strcmp(crv, "P-256"))
			return problem(why, -ENOTSUP, "crv", "\"%.32s\": only P-256 (ES256) is "
				       "supported", crv);
		if ((err = no_private(obj, why)) || (err = check_b64(obj, "x", 32, why)))
			return err;
		return check_b64(obj, "y", 32, why);
	default:
		return check_b64(obj, "k", 0, why);
	}
}

int ident_jwk_import(const cJSON *obj, struct ident_jwk *k, struct ident_jwk_problem *why)
{
	const char *kty;
	int err = 0;

	memset(k, 0, sizeof(*k));
	if (!cJSON_IsObject(obj))
		return problem(why, -EINVAL, NULL, "expected a JSON Web Key (an object)");
	if (cJSON_GetArraySize(obj) > JWK_MAX_MEMBERS || has_duplicates(obj))
		return problem(why, -EINVAL, NULL, "duplicate or too many members");
	kty = str_member(obj, "kty", why, &err);
	if (!err && !kty)
		err = problem(why, -EINVAL, NULL, "missing \"kty\"");
	if (!err)
		err = parse_kty(kty, &k->kty, why);
	if (!err) {
		k->algs = kty_algs(k->kty);
		err = check_purpose(obj, k, why);
	}
	if (!err)
		err = check_material(obj, k, why);
	if (!err)
		err = check_kid(obj, k, why);
	if (!err)
		err = k->kty == IDENT_KTY_OCT ? import_oct(obj, k, why) : import_cjose(obj, k, why);
	if (err)
		ident_jwk_clear(k);
	return err;
}

void ident_jwk_clear(struct ident_jwk *k)
{
	free(k->kid);
	if (k->jwk)
		cjose_jwk_release(k->jwk);
	OPENSSL_clear_free(k->secret, k->secret_len);
	memset(k, 0, sizeof(*k));
}

/* --- key sets ----------------------------------------------------------------- */

/* "RS256 or PS256": the algorithms of @algs. */
static const char *alg_list(unsigned algs, char *buf, size_t len)
{
	size_t n = 0;
	int left = __builtin_popcount(algs);

	buf[0] = '\0';
	for (int i = 0; i < IDENT_N_ALGS && n < len; i++) {
		if (!(algs & IDENT_ALG_BIT(i)))
			continue;
		left--;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", ident_alg_names[i],
				      left > 1 ? ", " : left ? " or " : "");
	}
	return buf;
}

static int set_error(struct ident_jwks_error *e, int index, const char *member,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int set_error(struct ident_jwks_error *e, int index, const char *member,
		     const char *fmt, ...)
{
	va_list ap;

	e->index = index;
	e->member = member;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Imports key @i into the set, or skips it (file keys of other kinds). */
static int add_key(struct ident_jwks *ks, const cJSON *obj, int i, unsigned algs,
		   bool from_file, struct ident_jwks_error *e)
{
	struct ident_jwk *k = &ks->v[ks->n];
	struct ident_jwk_problem p;
	char names[64];
	int err = ident_jwk_import(obj, k, &p);

	if (err == -ENOTSUP && from_file)
		return 0;
	if (err)
		return err == -ENOMEM ? err : set_error(e, i, p.member, "%s", p.msg);
	if (!(k->algs & algs)) {
		enum ident_kty kty = k->kty;
		unsigned k_algs = k->algs;

		ident_jwk_clear(k);
		if (from_file)
			return 0;
		return set_error(e, i, NULL, "%s that verifies only %s, which \"algorithms\" "
				 "does not allow", ident_jwk_kind(kty),
				 alg_list(k_algs, names, sizeof(names)));
	}
	ks->n++;
	return 0;
}

/* Several keys need names, and names must tell them apart. */
static int check_kids(const struct ident_jwks *ks, const int *at, struct ident_jwks_error *e)
{
	for (size_t i = 0; i < ks->n && ks->n > 1; i++) {
		if (!ks->v[i].kid)
			return set_error(e, at[i], NULL, "several keys: each needs a \"kid\"");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ks->v[i].kid, ks->v[j].kid))
				return set_error(e, at[i], "kid", "\"%.64s\" again (first keys[%d])",
						 ks->v[i].kid, at[j]);
	}
	return 0;
}

int ident_jwks_from_json(const cJSON *keys, unsigned algs, bool from_file,
			 struct ident_jwks **out, struct ident_jwks_error *e)
{
	int n = cJSON_GetArraySize(keys), i = 0, err = 0, *at;
	struct ident_jwks *ks;
	const cJSON *obj;
	char names[64];

	*out = NULL;
	if (!cJSON_IsArray(keys))
		return set_error(e, -1, NULL, "expected an array of keys");
	if (n > JWKS_MAX_KEYS)
		return set_error(e, -1, NULL, "%d keys: at most %d", n, JWKS_MAX_KEYS);
	ks = calloc(1, sizeof(*ks));
	at = calloc((size_t)n + 1, sizeof(*at));
	if (!ks || !at || !(ks->v = calloc((size_t)n + 1, sizeof(*ks->v)))) {
		err = -ENOMEM;
		goto out;
	}
	ks->refs = 1;
	cJSON_ArrayForEach(obj, keys) {
		at[ks->n] = i;
		if ((err = add_key(ks, obj, i++, algs, from_file, e)))
			goto out;
	}
	if (!ks->n)
		err = set_error(e, -1, NULL, "no key verifies %s",
				alg_list(algs, names, sizeof(names)));
	if (!err)
		err = check_kids(ks, at, e);
out:
	free(at);
	if (err && ks && !ks->v)
		free(ks);
	else if (err)
		ident_jwks_put(ks);
	else
		*out = ks;
	return err;
}

static int read_file(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	else if ((unsigned long long)st.st_size > IDENT_JWKS_MAX_BYTES)
		err = -EFBIG;
	else if (!(*text = malloc((size_t)st.st_size + 1)))
		err = -ENOMEM;
	while (!err && got < (size_t)st.st_size) {
		ssize_t r = read(fd, *text + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			err = r < 0 ? -errno : -EIO;	/* shrank under us */
		else
			got += (size_t)r;
	}
	close(fd);
	*len = got;
	return err;
}

int ident_jwks_read(const char *path, unsigned algs, struct ident_jwks **out,
		    char *why, size_t len)
{
	struct ident_jwks_error e;
	char *text = NULL;
	size_t n = 0;
	cJSON *root;
	int err;

	*out = NULL;
	err = read_file(path, &text, &n);
	if (err) {
		free(text);
		snprintf(why, len, "cannot read %s: %s", path, err == -EFBIG ?
			 "larger than 1 MiB" : strerror(-err));
		return err;
	}
	root = ident_json_object(text, n, JWK_MAX_MEMBERS);
	free(text);
	if (!root) {
		snprintf(why, len, "%s: not a JWKS (a JSON object with \"keys\", no "
			 "duplicate names)", path);
		return -EINVAL;
	}
	err = ident_jwks_from_json(cJSON_GetObjectItemCaseSensitive(root, "keys"), algs, true,
				   out, &e);
	cJSON_Delete(root);
	if (err == -EINVAL && e.index >= 0)
		snprintf(why, len, "%s: keys[%d]%s%s: %s", path, e.index, e.member ? "." : "",
			 e.member ? e.member : "", e.msg);
	else if (err == -EINVAL)
		snprintf(why, len, "%s: %s", path, e.msg);
	else if (err)
		snprintf(why, len, "%s: %s", path, strerror(-err));
	return err;
}

struct ident_jwks *ident_jwks_get(struct ident_jwks *ks)
{
	__atomic_add_fetch(&ks->refs, 1, __ATOMIC_RELAXED);
	return ks;
}

void ident_jwks_put(struct ident_jwks *ks)
{
	if (!ks || __atomic_sub_fetch(&ks->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (size_t i = 0; i < ks->n; i++)
		ident_jwk_clear(&ks->v[i]);
	free(ks->v);
	free(ks);
}

const struct ident_jwk *ident_jwks_find(const struct ident_jwks *ks, const char *kid,
					enum ident_alg alg, bool *kid_unknown, const char **why)
{
	const struct ident_jwk *fit = NULL;
	size_t n_fit = 0;

	*kid_unknown = false;
	for (size_t i = 0; i < ks->n; i++) {
		const struct ident_jwk *k = &ks->v[i];

		if (kid && k->kid && !strcmp(k->kid, kid)) {
			*why = "the key the token's kid names cannot verify its algorithm";
			return k->algs & IDENT_ALG_BIT(alg) ? k : NULL;
		}
		if (!kid && (k->algs & IDENT_ALG_BIT(alg))) {
			fit = k;
			n_fit++;
		}
	}
	*kid_unknown = kid != NULL;
	if (kid)
		*why = "no key has the token's kid";
	else if (!n_fit)
		*why = "no key verifies the token's algorithm";
	else if (n_fit > 1)
		*why = "the token names no kid and several keys fit";
	return n_fit == 1 ? fit : NULL;
}
