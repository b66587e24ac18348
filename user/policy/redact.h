/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * redact.h - output redaction: the policy's `redaction` rules (named PCRE2
 * patterns) applied to what the backend sends an agent, before it leaves
 * the gateway.
 *
 * The unit is one JSON-RPC message (or a batch of them): a whole JSON
 * answer, or the data of one whole SSE event; the caller never hands over
 * half an event, so a secret split across two reads of the backend is
 * still seen whole.  Only string values are judged, inside "result",
 * "error" and "params" (never "jsonrpc", "id" or "method", which the client
 * matches on).  A value that changes is written back JSON-escaped in place
 * of its token; every other byte of the message stays as the backend sent
 * it (numbers are not reprinted), so the JSON stays valid and means the
 * same.  Keys and numbers are not judged.
 *
 * Rules run in policy order, each over the value as the rules before it
 * left it.  A rule with "check": "luhn" replaces a match only when its
 * digits pass the Luhn checksum (card numbers, not any run of digits).
 */
#ifndef SL_REDACT_H
#define SL_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

#define REDACT_MAX_RULES 256

struct redact_set;		/* compiled rules; immutable, shared by threads */
struct redact_scratch;		/* one thread's match state */

/* Compiles @pol's redaction rules (checked by policy_parse()).  0 with *out
 * (NULL when the policy has none: nothing to redact); -EINVAL (@why says
 * which rule) or -ENOMEM. */
int redact_build(const struct policy *pol, struct redact_set **out, char *why, size_t why_len);
void redact_set_free(struct redact_set *rs);
size_t redact_n_rules(const struct redact_set *rs);
const char *redact_rule_name(const struct redact_set *rs, size_t i);

struct redact_scratch *redact_scratch_new(void);
void redact_scratch_free(struct redact_scratch *s);

/* Replacements made in one message, per rule (the policy's order). */
struct redact_counts {
	unsigned int n[REDACT_MAX_RULES];
	unsigned int total;
	unsigned int unreadable;	/* values holding \u0000, replaced whole */
};

/*
 * Redacts @text (@len bytes, one JSON text: a JSON-RPC message or a batch).
 * 0 and *out NULL when nothing matched (relay @text as it is); 0 with *out
 * (malloc, *out_len bytes, NUL-terminated) the redacted text; -EINVAL when
 * @text is not JSON (the caller's checks refuse it first); -E2BIG when a
 * pattern hit its match limit (the caller must not relay the text: what it
 * hides could not be checked); -ENOMEM.  @counts (may be NULL) adds up.
 */
int redact_text(const struct redact_set *rs, struct redact_scratch *s, const char *text,
		size_t len, char **out, size_t *out_len, struct redact_counts *counts);

/* The rules over @text as plain text (an SSE event whose data is not JSON):
 * results as redact_text(), never -EINVAL. */
int redact_plain(const struct redact_set *rs, struct redact_scratch *s, const char *text,
		 size_t len, char **out, size_t *out_len, struct redact_counts *counts);

/* The Luhn checksum over the digits of @s (@len bytes; other bytes are
 * skipped): true for 13..19 digits that pass. */
bool redact_luhn(const char *s, size_t len);

#endif
