// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcp_fold.c - Go encoding/json key folding (see mcp_fold.h).
 *
 * Runes are decoded with mbrtowc() in the C.UTF-8 locale, switched in per
 * call with uselocale() (per thread, so the daemon's workers do not race),
 * and folded with towlower_l()/towupper_l().  ASCII, nearly every key, never
 * leaves the fast path.
 */
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "mcp_fold.h"

#define FOLD_UNKNOWN 0xfffd	/* a rune without case tables, or not UTF-8 */

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The next rune of *s, folded; advances *s past it.  *s must not be at the end. */
static uint32_t next_folded(const char **s, locale_t loc)
{
	unsigned char c = (unsigned char)**s;
	mbstate_t st = {};
	locale_t old;
	wchar_t wc;
	size_t n;

	if (c < 0x80) {
		(*s)++;
		return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
	}
	if (!loc) {
		(*s)++;
		while (((unsigned char)**s & 0xc0) == 0x80)
			(*s)++;
		return FOLD_UNKNOWN;
	}
	old = uselocale(loc);
	n = mbrtowc(&wc, *s, MB_LEN_MAX, &st);
	uselocale(old);
	if (n == 0 || n > MB_LEN_MAX) {
		(*s)++;
		return FOLD_UNKNOWN;
	}
	*s += n;
	return (uint32_t)towupper_l(towlower_l((wint_t)wc, loc), loc);
}

static locale_t fold_locale(void)
{
	pthread_once(&utf8_once, utf8_init);
	return utf8_locale;
}

bool mcp_fold_equal(const char *a, const char *b)
{
	locale_t loc = NULL;

	while (*a && *b) {
		/* Both ASCII: the common case, no locale needed. */
		if (!(((unsigned char)*a | (unsigned char)*b) & 0x80)) {
			char x = *a++, y = *b++;

			if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' ||
				       (x | 0x20) > 'z'))
				return false;
			continue;
		}
		if (!loc)
			loc = fold_locale();
		if (next_folded(&a, loc) != next_folded(&b, loc))
			return false;
	}
	return !*a && !*b;
}

/* Appends the folded rune @cp at @out (room for MB_LEN_MAX bytes). */
static char *put_folded(char *out, uint32_t cp, locale_t loc)
{
	mbstate_t st = {};
	locale_t old;
	size_t n;

	if (!loc || cp == FOLD_UNKNOWN) {
		memcpy(out, "\xef\xbf\xbd", 3);	/* U+FFFD */
		return out + 3;
	}
	old = uselocale(loc);
	n = wcrtomb(out, (wchar_t)cp, &st);
	uselocale(old);
	return n > MB_LEN_MAX ? put_folded(out, FOLD_UNKNOWN, NULL) : out + n;
}

char *mcp_fold_copy(const char *s)
{
	/* A rune folds to at most MB_LEN_MAX bytes: that per input byte is room. */
	char *copy = malloc(MB_LEN_MAX * strlen(s) + 1), *out = copy;
	locale_t loc = NULL;

	if (!copy)
		return NULL;
	while (*s) {
		if (!((unsigned char)*s & 0x80)) {
			*out++ = *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
			s++;
			continue;
		}
		if (!loc)
			loc = fold_locale();
		out = put_folded(out, next_folded(&s, loc), loc);
	}
	*out = '\0';
	return copy;
}
