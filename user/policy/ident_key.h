/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ident_key.h - API keys: the agents' keys as the policy holds them (their
 * SHA-256 digests, agents.*.keys_sha256), in a table built once per policy
 * and looked up by the digest of the key a request presents.
 *
 * The table is read-only once built: any number of threads may look up at
 * once.  Digests are compared with CRYPTO_memcmp, so how long a lookup
 * takes says nothing about how close a wrong key came.
 */
#ifndef SL_IDENT_KEY_H
#define SL_IDENT_KEY_H

#include <stddef.h>

#include "policy.h"

/* Keys sluicectl key new makes: the prefix, then 32 random bytes in
 * base64url (43 characters): no dots, so never mistaken for a JWT. */
#define IDENT_KEY_PREFIX "sk-sluice-"
#define IDENT_KEY_RANDOM_BYTES 32
#define IDENT_KEY_LEN (sizeof(IDENT_KEY_PREFIX) - 1 + 43)
/* The longest key a request may present. */
#define IDENT_KEY_MAX 512

struct ident_keys;

/* Builds the table of every agent's key digests.  0 or -ENOMEM. */
int ident_keys_new(const struct policy *pol, struct ident_keys **out);
void ident_keys_free(struct ident_keys *t);
size_t ident_keys_count(const struct ident_keys *t);

/* The index (in pol->agents) of the agent whose key is the @len bytes at
 * @key, or -1. */
int ident_keys_find(const struct ident_keys *t, const char *key, size_t len);

/* SHA-256 of a key as the policy writes it: 64 lowercase hex digits. */
void ident_key_digest_hex(const char *key, size_t len, char hex[65]);

/* A fresh random key (IDENT_KEY_LEN characters) and its digest.  0, or
 * -EIO when the random generator fails. */
int ident_key_generate(char key[IDENT_KEY_LEN + 1], char hex[65]);

#endif
