// SPDX-License-Identifier: GPL-2.0-only
/*
 * pol_regex.c - PCRE2 for the policy (see pol_regex.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <pcre2.h>

#include "pol_regex.h"

#define RX_OPTIONS	(PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C)
/* Far above what a sane pattern needs on a 16 MiB argument, far below
 * what would hold a worker for long (PCRE2's defaults: 10^7 and 20 GiB). */
#define RX_MATCH_LIMIT	2000000u
#define RX_HEAP_KIB	(16u * 1024)

struct pol_regex {
	pcre2_code *code;
};

struct pol_regex_scratch {
	pcre2_match_data *md;
	/* The subject last found valid UTF-8: the next patterns over the
	 * same text skip PCRE2's check, which costs more than the match. */
	const char *valid;
	size_t valid_len;
};

/* The limits are the same for every match: one context, built once and
 * only read afterwards (pcre2_match() does not write it). */
static pcre2_match_context *limits;
static pthread_once_t limits_once = PTHREAD_ONCE_INIT;

static void limits_init(void)
{
	limits = pcre2_match_context_create(NULL);
	if (!limits)
		return;		/* PCRE2's defaults apply: still bounded */
	pcre2_set_match_limit(limits, RX_MATCH_LIMIT);
	pcre2_set_heap_limit(limits, RX_HEAP_KIB);
}

int pol_regex_compile(const char *pattern, struct pol_regex **out, char *why, size_t why_len)
{
	struct pol_regex *rx = calloc(1, sizeof(*rx));
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE offset;
	int err;

	*out = NULL;
	if (!rx)
		return -ENOMEM;
	rx->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, RX_OPTIONS, &err,
				 &offset, NULL);
	if (!rx->code) {
		free(rx);
		if (err == PCRE2_ERROR_HEAPLIMIT || err == PCRE2_ERROR_NOMEMORY)
			return -ENOMEM;
		pcre2_get_error_message(err, msg, sizeof(msg));
		snprintf(why, why_len, "PCRE2: %s at offset %zu", (const char *)msg,
			 (size_t)offset);
		return -EINVAL;
	}
	/* Without JIT (no support here, or no memory) the interpreter runs. */
	pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE);
	*out = rx;
	return 0;
}

void pol_regex_free(struct pol_regex *rx)
{
	if (!rx)
		return;
	pcre2_code_free(rx->code);
	free(rx);
}

struct pol_regex_scratch *pol_regex_scratch_new(void)
{
	struct pol_regex_scratch *s = calloc(1, sizeof(*s));

	pthread_once(&limits_once, limits_init);
	if (s && !(s->md = pcre2_match_data_create(1, NULL))) {
		free(s);
		s = NULL;
	}
	return s;
}

void pol_regex_scratch_free(struct pol_regex_scratch *s)
{
	if (!s)
		return;
	pcre2_match_data_free(s->md);
	free(s);
}

int pol_regex_match(const struct pol_regex *rx, const char *subject, size_t len,
		    struct pol_regex_scratch *s)
{
	bool checked = subject == s->valid && len == s->valid_len;
	int rc = pcre2_match(rx->code, (PCRE2_SPTR)subject, len, 0,
			     checked ? PCRE2_NO_UTF_CHECK : 0, s->md, limits);

	if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH) {
		s->valid = subject;	/* pcre2_match() checked it (or we had) */
		s->valid_len = len;
	}
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return rc == PCRE2_ERROR_NOMEMORY ? -ENOMEM : -E2BIG;
}

int pol_regex_find(const struct pol_regex *rx, const char *subject, size_t len, size_t from,
		   struct pol_regex_scratch *s, size_t *start, size_t *end)
{
	bool checked = subject == s->valid && len == s->valid_len;
	int rc = pcre2_match(rx->code, (PCRE2_SPTR)subject, len, from,
			     checked ? PCRE2_NO_UTF_CHECK : 0, s->md, limits);
	PCRE2_SIZE *ov;

	if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH) {
		s->valid = subject;
		s->valid_len = len;
	}
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return rc == PCRE2_ERROR_NOMEMORY ? -ENOMEM : -E2BIG;
	ov = pcre2_get_ovector_pointer(s->md);
	/* \K in a lookbehind can end a match before its start: read it empty. */
	*start = ov[0];
	*end = ov[1] < ov[0] ? ov[0] : ov[1];
	return 1;
}
