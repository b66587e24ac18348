// SPDX-License-Identifier: GPL-2.0-only
/*
 * ident_key.c - API key table (see ident_key.h).
 *
 * Open addressing over the digests themselves: a SHA-256 digest is already
 * uniform, and the table is filled from the policy only, so no presented
 * key can crowd a bucket.  Lookups never insert.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ident_key.h"

struct key_slot {
	unsigned char digest[SHA256_DIGEST_LENGTH];
	int agent;		/* -1: empty */
};

struct ident_keys {
	struct key_slot *slots;
	size_t mask;		/* slots - 1, a power of two at least twice the keys */
	size_t n;
};

static size_t slot_of(const unsigned char *digest, size_t mask)
{
	uint64_t h;

	memcpy(&h, digest, sizeof(h));
	return (size_t)h & mask;
}

static int hex_nibble(char ch)
{
	return ch <= '9' ? ch - '0' : ch - 'a' + 10;
}

/* The schema has checked: 64 lowercase hex digits. */
static void digest_of_hex(const char *hex, unsigned char *out)
{
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++)
		out[i] = (unsigned char)(hex_nibble(hex[2 * i]) << 4 | hex_nibble(hex[2 * i + 1]));
}

static void insert(struct ident_keys *t, const unsigned char *digest, int agent)
{
	size_t i = slot_of(digest, t->mask);

	while (t->slots[i].agent >= 0)
		i = (i + 1) & t->mask;
	memcpy(t->slots[i].digest, digest, SHA256_DIGEST_LENGTH);
	t->slots[i].agent = agent;
	t->n++;
}

int ident_keys_new(const struct policy *pol, struct ident_keys **out)
{
	struct ident_keys *t = calloc(1, sizeof(*t));
	size_t keys = 0, size = 4;

	*out = NULL;
	for (size_t a = 0; a < pol->n_agents; a++)
		keys += pol->agents[a].n_keys;
	while (size < 2 * keys)
		size *= 2;
	if (!t || !(t->slots = calloc(size, sizeof(*t->slots)))) {
		free(t);
		return -ENOMEM;
	}
	t->mask = size - 1;
	for (size_t i = 0; i < size; i++)
		t->slots[i].agent = -1;
	for (size_t a = 0; a < pol->n_agents; a++) {
		for (size_t k = 0; k < pol->agents[a].n_keys; k++) {
			unsigned char digest[SHA256_DIGEST_LENGTH];

			digest_of_hex(pol->agents[a].key_sha256[k], digest);
			insert(t, digest, (int)a);
		}
	}
	*out = t;
	return 0;
}

void ident_keys_free(struct ident_keys *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

size_t ident_keys_count(const struct ident_keys *t)
{
	return t->n;
}

int ident_keys_find(const struct ident_keys *t, const char *key, size_t len)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)key, len, digest);
	for (i = slot_of(digest, t->mask); t->slots[i].agent >= 0; i = (i + 1) & t->mask)
		if (!CRYPTO_memcmp(t->slots[i].digest, digest, sizeof(digest)))
			return t->slots[i].agent;
	return -1;
}

void ident_key_digest_hex(const char *key, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char digest[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)key, len, digest);
	for (size_t i = 0; i < sizeof(digest); i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[64] = '\0';
}

int ident_key_generate(char key[IDENT_KEY_LEN + 1], char hex[65])
{
	unsigned char raw[IDENT_KEY_RANDOM_BYTES];
	unsigned char b64[((IDENT_KEY_RANDOM_BYTES + 2) / 3) * 4 + 1];
	size_t prefix = strlen(IDENT_KEY_PREFIX), n;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	/* Standard base64, then the URL-safe alphabet without padding. */
	EVP_EncodeBlock(b64, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	n = strcspn((char *)b64, "=");
	for (size_t i = 0; i < n; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	memcpy(key, IDENT_KEY_PREFIX, prefix);
	memcpy(key + prefix, b64, n);
	key[prefix + n] = '\0';
	OPENSSL_cleanse(b64, sizeof(b64));
	ident_key_digest_hex(key, prefix + n, hex);
	return 0;
}
