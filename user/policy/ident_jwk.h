/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ident_jwk.h - the keys JWT bearer tokens are verified with: JSON Web Keys
 * (RFC 7517) checked and imported with libcjose, alone or as a key set (a
 * policy's "keys", or a JWKS file), and the JWS algorithms sluice accepts.
 *
 * A key knows which algorithms it may verify (its type's, narrowed by its
 * own "alg"): whoever picks a key for a token checks the token's algorithm
 * against that, so a token can never choose how its key is used.
 */
#ifndef SL_IDENT_JWK_H
#define SL_IDENT_JWK_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <cjose/jwk.h>

/* The JWS algorithms sluice verifies, in ident_alg_names order.  EdDSA is
 * not among them: libcjose 0.6 has no OKP (Ed25519) keys. */
enum ident_alg {
	IDENT_RS256,
	IDENT_PS256,
	IDENT_ES256,
	IDENT_HS256,
	IDENT_N_ALGS
};
#define IDENT_ALG_BIT(a) (1u << (a))
#define IDENT_ALGS_ALL ((1u << IDENT_N_ALGS) - 1)

extern const char *const ident_alg_names[];	/* NULL-terminated */
/* Index of @name (exact case), or -1. */
int ident_alg_index(const char *name);
/* Why @name is not an algorithm sluice takes ("none", "EdDSA", "RS384"...),
 * or NULL when it is one. */
const char *ident_alg_refusal(const char *name);

enum ident_kty {
	IDENT_KTY_RSA,
	IDENT_KTY_EC,	/* P-256 only */
	IDENT_KTY_OCT,
};

struct ident_jwk {
	char *kid;			/* NULL: none */
	enum ident_kty kty;
	unsigned algs;			/* IDENT_ALG_BITs this key may verify */
	size_t sig_len;			/* a signature made with it has exactly this many bytes */
	cjose_jwk_t *jwk;		/* RSA and EC: what cjose_jws_verify() takes */
	unsigned char *secret;		/* oct: the HMAC key */
	size_t secret_len;
};

/* What is wrong with a JWK: the member at fault (NULL: the key as a whole). */
struct ident_jwk_problem {
	const char *member;
	char msg[192];
};

/*
 * Checks the JWK @obj (a public RSA key of at least 2048 bits, a P-256 EC
 * public key, or an oct secret of at least 32 bytes, for signatures) and
 * imports it.  0; -EINVAL with *why; -ENOTSUP with *why for a key of a kind
 * sluice does not use (another kty or curve, "use": "enc", another "alg"),
 * which a JWKS file may hold for others; -ENOMEM.
 */
int ident_jwk_import(const cJSON *obj, struct ident_jwk *out, struct ident_jwk_problem *why);
void ident_jwk_clear(struct ident_jwk *k);
/* "an RSA key", "an EC P-256 key", "an oct key (a shared secret)". */
const char *ident_jwk_kind(enum ident_kty kty);
/* The algorithms a key of @kty verifies, as text ("RS256 and PS256"). */
const char *ident_kty_algs(enum ident_kty kty);

/* A set of keys, shared by reference: a verifier swaps in a reread set
 * while requests still hold the old one. */
struct ident_jwks {
	int refs;			/* atomic */
	struct ident_jwk *v;
	size_t n;
};

/* Files larger than this are refused: a JWKS is a few KiB. */
#define IDENT_JWKS_MAX_BYTES (1u << 20)

/* What is wrong with a key set: which key (-1: the set as a whole), which
 * of its members (NULL: the key itself), and why. */
struct ident_jwks_error {
	int index;
	const char *member;
	char msg[192];
};

/*
 * Builds a set from the JSON array @keys: a policy's "keys", where every
 * key must be usable with one of @algs, or a JWKS file's (@from_file),
 * where keys of other kinds or for other algorithms are skipped: an
 * issuer's JWKS may serve others too.  Rules over the set: at least one
 * key; each key has a kid when there are several; kids unique.
 * 0; -EINVAL with *e; -ENOMEM.
 */
int ident_jwks_from_json(const cJSON *keys, unsigned algs, bool from_file,
			 struct ident_jwks **out, struct ident_jwks_error *e);
/* Reads and builds the JWKS file at @path ({"keys": [...]}); -errno when it
 * cannot be read, the reason in @why either way. */
int ident_jwks_read(const char *path, unsigned algs, struct ident_jwks **out,
		    char *why, size_t len);
struct ident_jwks *ident_jwks_get(struct ident_jwks *ks);
void ident_jwks_put(struct ident_jwks *ks);

/*
 * The key a token names: by @kid (NULL: none), and only if it may verify
 * @alg; without a kid, the one key that may verify @alg.  NULL with *why
 * otherwise.  *kid_unknown tells a kid that is not in the set (a reread
 * may find it) from a key that does not fit.
 */
const struct ident_jwk *ident_jwks_find(const struct ident_jwks *ks, const char *kid,
					enum ident_alg alg, bool *kid_unknown, const char **why);

/* --- helpers the token code shares ----------------------------------------- */

/* Strict base64url (RFC 7515 2): [A-Za-z0-9_-], no padding, no length
 * that no encoding has (n % 4 == 1).  Empty is not base64url here. */
bool ident_b64url_ok(const char *s, size_t n);
/* Decodes strict base64url into a new buffer with a NUL after it;
 * -EINVAL or -ENOMEM. */
int ident_b64url_decode(const char *s, size_t n, unsigned char **out, size_t *out_len);
/* Parses @len bytes as one JSON object with at most @max_members members,
 * no duplicate names and no NUL byte.  NULL when it is not that. */
cJSON *ident_json_object(const char *text, size_t len, size_t max_members);

#endif
