// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcp_scan.c - strict RFC 8259 check of a JSON text (see mcp_scan.h).
 *
 * A pushdown scanner with an explicit stack of at most MCP_MAX_DEPTH levels:
 * no recursion, so a hostile body cannot exhaust the stack, and it stops at
 * the first problem with its byte offset.  cJSON 1.7 is laxer than the RFC
 * where it matters for a gateway: it skips any byte <= 0x20 as blank, keeps
 * raw control bytes in strings, reads "\u12G4" as NUL, takes "01", "1." and
 * a byte order mark, and never looks at UTF-8.  A JavaScript backend refuses
 * or reads each of those differently, so they are refused here.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_scan.h"

/* cJSON copies a number into a 64-byte buffer and fails on longer ones. */
#define NUMBER_MAX 63

/* What may come next. */
enum want {
	WANT_VALUE,		/* top level, after ':', after ',' in an array */
	WANT_VALUE_OR_CLOSE,	/* after '[' */
	WANT_KEY,		/* after ',' in an object */
	WANT_KEY_OR_CLOSE,	/* after '{' */
	WANT_COLON,		/* after a key */
	WANT_COMMA_OR_CLOSE,	/* after a value inside a container */
	WANT_END,		/* after the top-level value: blanks only */
};

static const char *const want_text[] = {
	[WANT_VALUE] = "expected a JSON value",
	[WANT_VALUE_OR_CLOSE] = "expected a value or ']'",
	[WANT_KEY] = "expected a string key",
	[WANT_KEY_OR_CLOSE] = "expected a string key or '}'",
	[WANT_COLON] = "expected ':' after the key",
	[WANT_COMMA_OR_CLOSE] = "expected ',' or a closing bracket",
	[WANT_END] = "unexpected text after the JSON value",
};

struct scanner {
	const char *text;
	size_t len, pos;
	enum want want;
	char open[MCP_MAX_DEPTH];	/* '{' or '[' for each open level */
	unsigned int depth;
	struct mcp_scan *out;
	struct mcp_scan_error *err;
};

static int fail(struct scanner *s, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct scanner *s, size_t off, const char *fmt, ...)
{
	va_list ap;

	s->err->off = off;
	va_start(ap, fmt);
	vsnprintf(s->err->what, sizeof(s->err->what), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "'x'", "'word'" for a run of letters and digits, "byte 0xNN", "end of input". */
static void describe(const struct scanner *s, size_t off, char *buf, size_t len)
{
	unsigned char c = off < s->len ? (unsigned char)s->text[off] : 0;
	size_t n = 0;

	if (off >= s->len) {
		snprintf(buf, len, "end of input");
		return;
	}
	if (c < 0x20 || c >= 0x7f) {
		snprintf(buf, len, "byte 0x%02x", c);
		return;
	}
	while (off + n < s->len && n < 24 && is_alnum(s->text[off + n]))
		n++;
	snprintf(buf, len, "'%.*s'", (int)(n ? n : 1), s->text + off);
}

static int unexpected(struct scanner *s)
{
	char got[40];
	const char *hint = "";

	if (s->pos == 0 && s->len >= 3 && !memcmp(s->text, "\xef\xbb\xbf", 3))
		return fail(s, 0, "byte order mark (JSON text must not start with one)");
	describe(s, s->pos, got, sizeof(got));
	/* Only a ',' leaves a key due, or a value due inside an array. */
	if ((s->want == WANT_KEY || (s->want == WANT_VALUE && s->depth &&
				     s->open[s->depth - 1] == '[')) &&
	    (s->text[s->pos] == '}' || s->text[s->pos] == ']'))
		hint = " (no trailing commas in JSON)";
	if (s->want == WANT_COMMA_OR_CLOSE)
		return fail(s, s->pos, "expected ',' or '%c', got %s%s",
			    s->open[s->depth - 1] == '{' ? '}' : ']', got, hint);
	return fail(s, s->pos, "%s, got %s%s", want_text[s->want], got, hint);
}

static bool value_allowed(const struct scanner *s)
{
	return s->want == WANT_VALUE || s->want == WANT_VALUE_OR_CLOSE;
}

static void after_value(struct scanner *s)
{
	s->want = s->depth ? WANT_COMMA_OR_CLOSE : WANT_END;
}

/* --- containers and punctuation -------------------------------------------- */

static int open_container(struct scanner *s, char c)
{
	if (!value_allowed(s))
		return unexpected(s);
	if (s->depth == MCP_MAX_DEPTH) {
		s->err->too_deep = true;
		return fail(s, s->pos, "nested deeper than %d levels", MCP_MAX_DEPTH);
	}
	s->open[s->depth++] = c;
	s->want = c == '{' ? WANT_KEY_OR_CLOSE : WANT_VALUE_OR_CLOSE;
	s->pos++;
	return 0;
}

static int close_container(struct scanner *s, char c)
{
	char opener = c == '}' ? '{' : '[';
	enum want empty = c == '}' ? WANT_KEY_OR_CLOSE : WANT_VALUE_OR_CLOSE;

	if (!s->depth || s->open[s->depth - 1] != opener ||
	    (s->want != WANT_COMMA_OR_CLOSE && s->want != empty))
		return unexpected(s);
	s->depth--;
	s->pos++;
	after_value(s);
	return 0;
}

static int punctuation(struct scanner *s, char c)
{
	if (c == ',' && s->want == WANT_COMMA_OR_CLOSE)
		s->want = s->open[s->depth - 1] == '{' ? WANT_KEY : WANT_VALUE;
	else if (c == ':' && s->want == WANT_COLON)
		s->want = WANT_VALUE;
	else
		return unexpected(s);
	s->pos++;
	return 0;
}

/* --- strings ---------------------------------------------------------------- */

static int note_nul(struct scanner *s, size_t ordinal)
{
	struct mcp_scan *o = s->out;

	if (o->n_nul == o->cap_nul) {
		size_t cap = o->cap_nul ? 2 * o->cap_nul : 8;
		size_t *v = realloc(o->nul, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->nul = v;
		o->cap_nul = cap;
	}
	o->nul[o->n_nul++] = ordinal;
	return 0;
}

/* The 4 hex digits at @off as a code unit, or -1. */
static long hex4(const struct scanner *s, size_t off)
{
	long v = 0;

	if (off + 4 > s->len)
		return -1;
	for (size_t i = off; i < off + 4; i++) {
		char c = s->text[i];
		int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 :
			(c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* "\uXXXX" at s->pos, with its low surrogate when it is a high one. */
static int unicode_escape(struct scanner *s, bool *nul)
{
	size_t at = s->pos;
	long unit = hex4(s, at + 2), low;

	if (unit < 0)
		return fail(s, at, "invalid \\u escape in a string (needs 4 hex digits)");
	s->pos += 6;
	*nul |= unit == 0;
	if (unit >= 0xdc00 && unit <= 0xdfff)
		return fail(s, at, "unpaired UTF-16 surrogate \\u%04lx in a string", unit);
	if (unit < 0xd800 || unit > 0xdbff)
		return 0;
	low = s->pos + 1 < s->len && s->text[s->pos] == '\\' && s->text[s->pos + 1] == 'u' ?
	      hex4(s, s->pos + 2) : -1;
	if (low < 0xdc00 || low > 0xdfff)
		return fail(s, at, "unpaired UTF-16 surrogate \\u%04lx in a string", unit);
	s->pos += 6;
	return 0;
}

static int escape(struct scanner *s, bool *nul)
{
	char e = s->pos + 1 < s->len ? s->text[s->pos + 1] : 0;

	if (e == 'u')
		return unicode_escape(s, nul);
	if (!e || !strchr("\"\\/bfnrt", e)) {
		char got[40];

		describe(s, s->pos + 1, got, sizeof(got));
		return fail(s, s->pos, "invalid escape in a string: backslash then %s "
			    "(allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", got);
	}
	s->pos += 2;
	return 0;
}

/* One UTF-8 sequence of 2-4 bytes: shortest form, no surrogates, <= U+10FFFF. */
static int utf8_sequence(struct scanner *s)
{
	unsigned char c = (unsigned char)s->text[s->pos];
	size_t more = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 :
		      c >= 0xf0 && c <= 0xf4 ? 3 : 0;
	static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
	uint32_t cp = c & (0x3f >> more);

	for (size_t i = 1; more && i <= more; i++) {
		unsigned char b = s->pos + i < s->len ? (unsigned char)s->text[s->pos + i] : 0;

		if ((b & 0xc0) != 0x80)
			return fail(s, s->pos, "invalid UTF-8 sequence in a string");
		cp = cp << 6 | (b & 0x3f);
	}
	if (!more || cp < min[more] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail(s, s->pos, "invalid UTF-8 sequence in a string");
	s->pos += more + 1;
	return 0;
}

static int string_body(struct scanner *s, size_t quote, bool *nul)
{
	while (s->pos < s->len) {
		unsigned char c = (unsigned char)s->text[s->pos];
		int ret = 0;

		if (c == '"') {
			s->pos++;
			return 0;
		}
		if (c == '\\')
			ret = escape(s, nul);
		else if (c < 0x20)
			ret = fail(s, s->pos, "raw control byte 0x%02x in a string "
				   "(write it as \\u%04x)", c, c);
		else if (c >= 0x80)
			ret = utf8_sequence(s);
		else
			s->pos++;
		if (ret)
			return ret;
	}
	return fail(s, quote, "unterminated string");
}

static int note_value(struct scanner *s, size_t off, bool nul)
{
	struct mcp_scan *o = s->out;

	if (o->n_values == o->cap_values) {
		size_t cap = o->cap_values ? 2 * o->cap_values : 16;
		struct mcp_span *v = realloc(o->values, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->values = v;
		o->cap_values = cap;
	}
	o->values[o->n_values++] = (struct mcp_span){ off, s->pos - off, nul };
	return 0;
}

static int string_token(struct scanner *s)
{
	bool key = s->want == WANT_KEY || s->want == WANT_KEY_OR_CLOSE;
	size_t ordinal = s->out->n_strings++;
	size_t quote = s->pos;
	bool nul = false;
	int ret;

	if (!key && !value_allowed(s))
		return unexpected(s);
	ret = string_body(s, s->pos++, &nul);
	if (!ret && nul)
		ret = note_nul(s, ordinal);
	if (!ret && !key && s->out->want_values)
		ret = note_value(s, quote, nul);
	if (ret)
		return ret;
	if (key)
		s->want = WANT_COLON;
	else
		after_value(s);
	return 0;
}

/* --- numbers and literals ---------------------------------------------------- */

static size_t digits(const char *s, size_t i, size_t len)
{
	size_t start = i;

	while (i < len && is_digit(s[i]))
		i++;
	return i - start;
}

bool mcp_scan_number(const char *s, size_t len)
{
	size_t i = len && s[0] == '-', n = digits(s, i, len);

	if (!n || (n > 1 && s[i] == '0'))
		return false;
	i += n;
	if (i < len && s[i] == '.') {
		n = digits(s, ++i, len);
		if (!n)
			return false;
		i += n;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i += i + 1 < len && (s[i + 1] == '+' || s[i + 1] == '-');
		n = digits(s, ++i, len);
		if (!n)
			return false;
		i += n;
	}
	return i == len;
}

static bool number_byte(char c)
{
	return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static int number_token(struct scanner *s)
{
	size_t start = s->pos, n = 0;
	char copy[NUMBER_MAX + 1];

	if (!value_allowed(s))
		return unexpected(s);
	while (start + n < s->len && number_byte(s->text[start + n]))
		n++;
	if (!mcp_scan_number(s->text + start, n))
		return fail(s, start, "malformed number '%.*s' (no leading zeros, digits on "
			    "both sides of '.')", (int)(n > 32 ? 32 : n), s->text + start);
	if (n > NUMBER_MAX)
		return fail(s, start, "number longer than %d characters", NUMBER_MAX);
	memcpy(copy, s->text + start, n);
	copy[n] = '\0';
	if (!isfinite(strtod(copy, NULL)))
		return fail(s, start, "number '%s' is out of range", copy);
	s->pos += n;
	after_value(s);
	return 0;
}

static int literal_token(struct scanner *s)
{
	static const char *const words[] = { "true", "false", "null" };
	const char *at = s->text + s->pos;
	size_t room = s->len - s->pos;

	if (!value_allowed(s))
		return unexpected(s);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if (room >= n && !memcmp(at, words[i], n) && (room == n || !is_alnum(at[n]))) {
			s->pos += n;
			after_value(s);
			return 0;
		}
	}
	return unexpected(s);
}

/* --- the loop ---------------------------------------------------------------- */

static int token(struct scanner *s)
{
	char c = s->text[s->pos];

	switch (c) {
	case ' ': case '\t': case '\n': case '\r':
		s->pos++;
		return 0;
	case '{': case '[':
		return open_container(s, c);
	case '}': case ']':
		return close_container(s, c);
	case ',': case ':':
		return punctuation(s, c);
	case '"':
		return string_token(s);
	case 't': case 'f': case 'n':
		return literal_token(s);
	}
	if (c == '-' || is_digit(c))
		return number_token(s);
	return unexpected(s);
}

static int at_end(struct scanner *s)
{
	size_t blank = 0;

	if (s->want == WANT_END)
		return 0;
	while (blank < s->len && strchr(" \t\r\n", s->text[blank]))
		blank++;
	if (blank == s->len)
		return fail(s, s->len, "no JSON value (empty body)");
	if (s->want == WANT_COMMA_OR_CLOSE)
		return fail(s, s->len, "unexpected end of input: expected ',' or '%c'",
			    s->open[s->depth - 1] == '{' ? '}' : ']');
	return fail(s, s->len, "unexpected end of input: %s", want_text[s->want]);
}

static int scan(const char *text, size_t len, struct mcp_scan *out, struct mcp_scan_error *err,
		bool values)
{
	struct scanner s = { .text = text, .len = len, .want = WANT_VALUE, .out = out, .err = err };
	int ret = 0;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	out->want_values = values;
	while (!ret && s.pos < len)
		ret = token(&s);
	return ret ? ret : at_end(&s);
}

int mcp_scan(const char *text, size_t len, struct mcp_scan *out, struct mcp_scan_error *err)
{
	return scan(text, len, out, err, false);
}

int mcp_scan_values(const char *text, size_t len, struct mcp_scan *out,
		    struct mcp_scan_error *err)
{
	return scan(text, len, out, err, true);
}

void mcp_scan_free(struct mcp_scan *s)
{
	free(s->nul);
	free(s->values);
	memset(s, 0, sizeof(*s));
}
