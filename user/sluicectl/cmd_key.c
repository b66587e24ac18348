// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_key.c - sluicectl key new: a fresh API key for an agent, shown once,
 * and the digest line the policy takes (it holds only key digests).
 *
 * Needs no policy, maps or daemon: the key is made from OpenSSL's random
 * generator and never written anywhere but stdout.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "policy/ident_key.h"
#include "ctl.h"

/* The schema's agent name: 1..63 characters of A-Za-z0-9._- */
static bool agent_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < SL_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static void report(const char *agent, const char *key, const char *hex)
{
	cJSON *o, *keys;

	if (!ctl.json) {
		printf("API key for agent %s (shown once: sluice keeps only its SHA-256):\n\n"
		       "  %s\n\n"
		       "Add its digest to the policy, in agents.%s:\n\n"
		       "  \"keys_sha256\": [\"%s\"]\n", agent, key, agent, hex);
		return;
	}
	o = cJSON_CreateObject();
	keys = cJSON_CreateArray();
	cJSON_AddBoolToObject(o, "ok", true);
	cJSON_AddStringToObject(o, "agent", agent);
	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddStringToObject(o, "sha256", hex);
	cJSON_AddItemToArray(keys, cJSON_CreateString(hex));
	cJSON_AddItemToObject(o, "keys_sha256", keys);
	ctl_answer(o);
}

int cmd_key_new(int argc, char **argv)
{
	char key[IDENT_KEY_LEN + 1], hex[65];
	const char *agent;

	if (ctl_plain_args(argc, argv, 1))
		return EXIT_USAGE;
	agent = argv[optind];
	if (!agent_name_ok(agent)) {
		ctl_usage_err("'%.80s' is not an agent name (1..63 characters of A-Za-z0-9._-)",
			      agent);
		return EXIT_USAGE;
	}
	if (ident_key_generate(key, hex)) {
		ctl_err("the random generator failed: no key made");
		return EXIT_FAIL;
	}
	report(agent, key, hex);
	OPENSSL_cleanse(key, sizeof(key));
	return EXIT_OK;
}
