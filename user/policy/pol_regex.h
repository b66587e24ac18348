/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pol_regex.h - the policy's regular expressions: PCRE2, compiled once per
 * policy load (JIT where the machine has it), matched on the request path.
 *
 * One set of options for the checker and the decision, so a pattern that
 * `policy check` accepts is exactly the pattern the gateway runs: UTF-8
 * (pattern and subject), no \C (it can split a character), unanchored
 * search unless the pattern anchors itself.  Matching runs under a match
 * limit and a heap limit, so a pattern that backtracks without end stops
 * with an error instead of holding a worker; callers refuse what could not
 * be checked.
 */
#ifndef SL_POL_REGEX_H
#define SL_POL_REGEX_H

#include <stddef.h>

struct pol_regex;		/* a compiled pattern; immutable, shared by threads */
struct pol_regex_scratch;	/* one thread's match state; not shared */

/* Compiles @pattern.  0; -EINVAL with "PCRE2: <its message> at offset N" in
 * @why (N counts bytes from the pattern's start); -ENOMEM. */
int pol_regex_compile(const char *pattern, struct pol_regex **out, char *why, size_t why_len);
void pol_regex_free(struct pol_regex *rx);

/* NULL when out of memory. */
struct pol_regex_scratch *pol_regex_scratch_new(void);
void pol_regex_scratch_free(struct pol_regex_scratch *s);

/* 1: @rx matches somewhere in @len bytes of @subject; 0: it does not;
 * -E2BIG: a limit stopped the match (or the subject is not UTF-8);
 * -ENOMEM.  The subject is checked for UTF-8 once per scratch: it must not
 * change while the same scratch matches it again. */
int pol_regex_match(const struct pol_regex *rx, const char *subject, size_t len,
		    struct pol_regex_scratch *s);

/* Where @rx first matches in @subject (@len bytes) at or after byte @from:
 * 1 with [*start, *end); 0: nowhere; -E2BIG or -ENOMEM as above.  The
 * subject is checked for UTF-8 once per scratch, as above. */
int pol_regex_find(const struct pol_regex *rx, const char *subject, size_t len, size_t from,
		   struct pol_regex_scratch *s, size_t *start, size_t *end);

#endif
