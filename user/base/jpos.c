// SPDX-License-Identifier: GPL-2.0-only
/*
 * jpos.c - cJSON trees with text positions (see jpos.h).
 *
 * cJSON 1.7 is laxer than RFC 8259 in a few places (raw control characters
 * and line breaks inside strings, leading zeros, trailing text).  A policy
 * is a security boundary, so those are refused here, before anything reads
 * the tree; it also keeps cJSON and jsmn agreeing on every token.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC		/* our own copy: nothing else links jsmn */
#define JSMN_PARENT_LINKS	/* the error explainer walks up from a token */
#include <jsmn.h>

#include "jpos.h"

/* One cJSON item and where it is written. */
struct jpos_ent {
	const cJSON *item;
	size_t key_off;		/* SIZE_MAX: an array element or the root */
	size_t val_off;
	size_t val_len;
};

struct jpos {
	const char *text;	/* after the byte order mark */
	size_t len;
	size_t *lines;		/* offset of the first byte of each line */
	size_t n_lines;
	struct jpos_ent *ent;	/* sorted by item address */
	size_t n_ent;
};

/* --- lines ----------------------------------------------------------------- */

struct jpos *jpos_new(const char *text, size_t len)
{
	struct jpos *jp = calloc(1, sizeof(*jp));
	size_t n = 1;

	if (!jp)
		return NULL;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	jp->text = text;
	jp->len = len;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	jp->lines = malloc(n * sizeof(*jp->lines));
	if (!jp->lines) {
		free(jp);
		return NULL;
	}
	jp->lines[jp->n_lines++] = 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			jp->lines[jp->n_lines++] = i + 1;
	return jp;
}

void jpos_free(struct jpos *jp)
{
	if (!jp)
		return;
	free(jp->lines);
	free(jp->ent);
	free(jp);
}

void jpos_line_col(const struct jpos *jp, size_t off, int *line, int *col)
{
	size_t lo = 0, hi = jp->n_lines;

	/* The last line starting at or before @off. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (jp->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = (int)lo + 1;
	*col = (int)(off - jp->lines[lo]) + 1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* --- errors ---------------------------------------------------------------- */

static int set_error(struct jpos_error *err, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_error(struct jpos_error *err, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	err->off = off;
	n = snprintf(err->msg, sizeof(err->msg), "invalid JSON: ");
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Bytes that can continue a bare token (number or literal). */
static bool is_bare(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '+' || ch == '.';
}

/* "'x'", "'word'" for a run of letters/digits, "end of input" or "byte 0xNN". */
static void describe_at(const struct jpos *jp, size_t off, char *buf, size_t len)
{
	size_t n = 0;
	unsigned char c = off < jp->len ? (unsigned char)jp->text[off] : 0;

	if (off >= jp->len) {
		snprintf(buf, len, "end of input");
		return;
	}
	if (c < 0x20 || c >= 0x7f) {
		snprintf(buf, len, "byte 0x%02x", c);
		return;
	}
	if (is_bare((char)c))
		while (off + n < jp->len && n < 24 && is_bare(jp->text[off + n]))
			n++;
	snprintf(buf, len, "'%.*s'", (int)(n ? n : 1), jp->text + off);
}

/* JSON forbids raw control bytes anywhere; cJSON would take them. */
static int check_control_bytes(const struct jpos *jp, struct jpos_error *err)
{
	for (size_t i = 0; i < jp->len; i++) {
		unsigned char c = (unsigned char)jp->text[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return set_error(err, i, "control byte 0x%02x (inside a string, "
					 "write it as \\u%04x)", c, c);
	}
	return 0;
}

/* --- what was expected at a syntax error ----------------------------------- */

/* What jsmn makes of the text in front of a syntax error. */
struct before {
	jsmntype_t container;	/* innermost open object/array; UNDEFINED: top level */
	bool key_open;		/* in an object: a key that has no ':' yet */
	int depth;		/* open objects and arrays */
	long string_start;	/* >= 0: the error is in the string opened here */
	long broken_string;	/* >= 0: a string here holds a raw line break */
	long bare_start;	/* >= 0: a bare token (1.2, tru) starts here and runs
				 * into the error */
	char prev;		/* last non-blank byte before the error; 0: none */
};

static bool has_line_break(const char *s, size_t len)
{
	return memchr(s, '\n', len) || memchr(s, '\r', len);
}

static void read_state(const jsmntok_t *tok, const jsmn_parser *p, struct before *b)
{
	int s = p->toksuper;

	if (s >= 0 && tok[s].type == JSMN_STRING) {
		/* After "key": the superior is the key; its parent the object. */
		b->container = JSMN_OBJECT;
		s = tok[s].parent;
	} else if (s >= 0) {
		b->container = tok[s].type;
		b->key_open = tok[s].type == JSMN_OBJECT;
	}
	for (; s >= 0; s = tok[s].parent)
		b->depth += tok[s].type == JSMN_OBJECT || tok[s].type == JSMN_ARRAY;
}

/* jsmn's tokens for the first @off bytes; @p tells where it stopped. */
static jsmntok_t *tokens_before(const struct jpos *jp, size_t off, jsmn_parser *p)
{
	jsmntok_t *tok;
	int n;

	jsmn_init(p);
	n = jsmn_parse(p, jp->text, off, NULL, 0);
	if (n < 0) {
		/* Counting stops at an open string: count up to it, plus itself. */
		size_t open_quote = p->pos;

		jsmn_init(p);
		n = jsmn_parse(p, jp->text, open_quote, NULL, 0) + 1;
		if (n < 1)
			n = 1;
	}
	tok = calloc((size_t)n + 1, sizeof(*tok));
	if (!tok)
		return NULL;
	jsmn_init(p);
	jsmn_parse(p, jp->text, off, tok, (unsigned int)n + 1);
	return tok;
}

static int scan_before(const struct jpos *jp, size_t off, struct before *b)
{
	jsmn_parser p;
	jsmntok_t *tok = tokens_before(jp, off, &p);
	const jsmntok_t *last;

	if (!tok)
		return -ENOMEM;
	memset(b, 0, sizeof(*b));
	b->string_start = b->broken_string = b->bare_start = -1;
	/* Only an unterminated string stops jsmn short of @off: cJSON took
	 * everything before, and jsmn rewinds to the string's open quote. */
	if (p.pos < off)
		b->string_start = p.pos;
	for (unsigned int i = 0; i < p.toknext && b->broken_string < 0; i++)
		if (tok[i].type == JSMN_STRING &&
		    has_line_break(jp->text + tok[i].start, (size_t)(tok[i].end - tok[i].start)))
			b->broken_string = tok[i].start - 1;
	last = p.toknext ? &tok[p.toknext - 1] : NULL;
	if (last && last->type == JSMN_PRIMITIVE && last->end == (int)off)
		b->bare_start = last->start;
	read_state(tok, &p, b);
	free(tok);
	while (off > 0 && is_blank(jp->text[off - 1]))
		off--;
	b->prev = off > 0 ? jp->text[off - 1] : 0;
	return 0;
}

static const char *expectation(const struct before *b)
{
	switch (b->prev) {
	case 0:   return "expected a JSON value";
	case '{': return "expected a string key or '}'";
	case '[': return "expected a value or ']'";
	case ':': return "expected a value";
	case ',': return b->container == JSMN_OBJECT ? "expected a string key" :
			 "expected a value";
	}
	if (b->container == JSMN_ARRAY)
		return "expected ',' or ']'";
	if (b->container == JSMN_OBJECT)
		return b->key_open ? "expected ':' after the key" : "expected ',' or '}'";
	return "expected the end of the text";
}

/* The error is inside a string: unterminated, or a bad escape. */
static int string_error(const struct jpos *jp, size_t off, long start, struct jpos_error *err)
{
	jsmn_parser p;
	int r;

	jsmn_init(&p);
	r = jsmn_parse(&p, jp->text, jp->len, NULL, 0);
	if (r == JSMN_ERROR_PART && p.pos == (unsigned long)start &&
	    has_line_break(jp->text + start, jp->len - (size_t)start))
		return set_error(err, (size_t)start, "unterminated string (missing closing "
				 "'\"' before the end of the line?)");
	if (r == JSMN_ERROR_PART && p.pos == (unsigned long)start)
		return set_error(err, (size_t)start, "unterminated string");
	if (r == JSMN_ERROR_INVAL && p.pos == (unsigned long)start)
		return set_error(err, off, "invalid escape in string "
				 "(allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
	return set_error(err, off, "invalid \\u escape in string "
			 "(bad hex digits, or an unpaired UTF-16 surrogate)");
}

/* A key (its opening quote) is due at @off, but something else is there. */
static bool key_missing_at(const struct jpos *jp, size_t off, struct before *b)
{
	char ch = jp->text[off];

	if (scan_before(jp, off, b) || b->string_start >= 0 || b->container != JSMN_OBJECT)
		return false;
	return (b->prev == '{' || b->prev == ',') && ch != '"' && !is_blank(ch);
}

/*
 * Moves @off to where the error really starts, and fills @b for it.  cJSON
 * blames one byte late when a key has no opening quote, and mid-token for
 * a malformed bare token ("1.2.3", "tru"), where the token's start reads
 * better.
 */
static int locate(const struct jpos *jp, size_t *off, struct before *b)
{
	if (*off > 0 && *off <= jp->len && key_missing_at(jp, *off - 1, b)) {
		(*off)--;
		return 0;
	}
	if (scan_before(jp, *off, b))
		return -ENOMEM;
	if (b->bare_start >= 0 && b->string_start < 0 && *off < jp->len &&
	    is_bare(jp->text[*off])) {
		*off = (size_t)b->bare_start;
		return scan_before(jp, *off, b);
	}
	return 0;
}

static int explain(const struct jpos *jp, size_t off, struct jpos_error *err)
{
	struct before b;
	char got[48];

	if (locate(jp, &off, &b))
		return -ENOMEM;
	if (b.broken_string >= 0)
		return set_error(err, (size_t)b.broken_string, "line break inside a string "
				 "(missing closing '\"'?)");
	if (b.string_start >= 0)
		return string_error(jp, off, b.string_start, err);
	if (b.depth >= CJSON_NESTING_LIMIT)
		return set_error(err, off, "nested deeper than %d levels", CJSON_NESTING_LIMIT);
	describe_at(jp, off, got, sizeof(got));
	return set_error(err, off, "%s, got %s%s", expectation(&b), got,
			 b.prev == ',' && off < jp->len &&
			 (jp->text[off] == '}' || jp->text[off] == ']') ?
			 " (no trailing commas in JSON)" : "");
}

/*
 * cJSON reports an error at the end of input on the last byte (its
 * whitespace skipper backs off the end), which reads as if that byte were
 * wrong.  Parsing a copy with two more blanks tells the two apart: a
 * truncated text then fails at or past the second blank, while a real error
 * stays inside the text, or lands on the first blank when cJSON blamed one
 * byte late (a missing key quote on the last byte).
 */
static size_t error_offset(const struct jpos *jp, size_t off)
{
	char *copy = malloc(jp->len + 2);
	const char *end = NULL;
	cJSON *again;

	if (!copy)
		return off;
	memcpy(copy, jp->text, jp->len);
	copy[jp->len] = copy[jp->len + 1] = ' ';
	again = cJSON_ParseWithLengthOpts(copy, jp->len + 2, &end, false);
	if (!again && end)
		off = (size_t)(end - copy) > jp->len ? jp->len : (size_t)(end - copy);
	cJSON_Delete(again);
	free(copy);
	return off;
}

/* --- the index ------------------------------------------------------------- */

struct walk {
	struct jpos *jp;
	const jsmntok_t *tok;
	size_t n_tok;
	bool ok;		/* cJSON and jsmn agreed on every token */
};

static bool same_kind(const cJSON *item, const jsmntok_t *t)
{
	if (cJSON_IsObject(item))
		return t->type == JSMN_OBJECT && t->size == cJSON_GetArraySize(item);
	if (cJSON_IsArray(item))
		return t->type == JSMN_ARRAY && t->size == cJSON_GetArraySize(item);
	if (cJSON_IsString(item))
		return t->type == JSMN_STRING;
	return t->type == JSMN_PRIMITIVE;
}

static void record(struct walk *w, const cJSON *item, size_t t, size_t key_t)
{
	const jsmntok_t *v = &w->tok[t];
	struct jpos_ent *e = &w->jp->ent[w->jp->n_ent++];
	size_t quote = v->type == JSMN_STRING;	/* jsmn strings start after '"' */

	e->item = item;
	e->key_off = key_t == SIZE_MAX ? SIZE_MAX : (size_t)w->tok[key_t].start - 1;
	e->val_off = (size_t)v->start - quote;
	e->val_len = (size_t)v->end - (size_t)v->start + 2 * quote;
}

/* Records @item at token @t (its key at @key_t) and returns the next token. */
static size_t walk_item(struct walk *w, const cJSON *item, size_t t, size_t key_t)
{
	const cJSON *child;

	if (!w->ok || t >= w->n_tok || !same_kind(item, &w->tok[t])) {
		w->ok = false;
		return t;
	}
	record(w, item, t, key_t);
	t++;
	cJSON_ArrayForEach(child, item) {
		bool member = cJSON_IsObject(item);

		if (member && (t >= w->n_tok || w->tok[t].type != JSMN_STRING)) {
			w->ok = false;
			return t;
		}
		t = walk_item(w, child, t + member, member ? t : SIZE_MAX);
	}
	return t;
}

static int ent_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct jpos_ent *)a)->item;
	uintptr_t y = (uintptr_t)((const struct jpos_ent *)b)->item;

	return x < y ? -1 : x > y;
}

/* RFC 8259 numbers: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?  cJSON also takes 01 and 1. */
static bool json_number(const char *s, size_t len)
{
	size_t i = s[0] == '-';
	size_t digits;

	for (digits = 0; i < len && isdigit((unsigned char)s[i]); i++)
		digits++;
	if (!digits || (digits > 1 && s[i - digits] == '0'))
		return false;
	if (i < len && s[i] == '.') {
		for (i++, digits = 0; i < len && isdigit((unsigned char)s[i]); i++)
			digits++;
		if (!digits)
			return false;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i += i + 1 < len && (s[i + 1] == '+' || s[i + 1] == '-');
		for (i++, digits = 0; i < len && isdigit((unsigned char)s[i]); i++)
			digits++;
		if (!digits)
			return false;
	}
	return i == len;
}

/*
 * A string's raw text: no raw line breaks or tabs (JSON forbids them, and a
 * line break is the mark of a missing closing quote), no \u0000 (cJSON's
 * C strings would silently end there, so a name could differ from the text).
 */
static int check_string(const struct jpos *jp, const jsmntok_t *t, struct jpos_error *err)
{
	const char *s = jp->text + t->start;
	size_t len = (size_t)(t->end - t->start), quote = (size_t)t->start - 1;

	if (has_line_break(s, len))
		return set_error(err, quote, "line break inside a string (missing closing '\"'?)");
	if (memchr(s, '\t', len))
		return set_error(err, quote, "raw tab inside a string (write it as \\t)");
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 6 <= len && !memcmp(s + i + 2, "0000", 4))
			return set_error(err, quote, "\\u0000 inside a string (NUL is not allowed)");
		i++;	/* skip the escaped character, so "\\\\u0000" is no NUL */
	}
	return 0;
}

static int check_number(const struct jpos *jp, const jsmntok_t *t, struct jpos_error *err)
{
	const char *s = jp->text + t->start;
	int len = t->end - t->start;

	if (*s != '-' && !isdigit((unsigned char)*s))
		return 0;	/* true, false, null: cJSON already checked the spelling */
	if (!json_number(s, (size_t)len))
		return set_error(err, (size_t)t->start, "malformed number '%.*s' (no leading "
				 "zeros; digits on both sides of '.')", len, s);
	if (!isfinite(strtod(s, NULL)))
		return set_error(err, (size_t)t->start, "number '%.*s' is out of range", len, s);
	return 0;
}

/* What cJSON accepted but JSON does not, found in the tokens. */
static int check_tokens(const struct jpos *jp, const jsmntok_t *tok, size_t n,
			struct jpos_error *err)
{
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		if (tok[i].type == JSMN_STRING)
			ret = check_string(jp, &tok[i], err);
		else if (tok[i].type == JSMN_PRIMITIVE)
			ret = check_number(jp, &tok[i], err);
	}
	return ret;
}

/* jsmn's tokens for the @used bytes cJSON took; -EPROTO (and where jsmn
 * stopped in *stop) if jsmn refuses what cJSON accepted. */
static int tokenize(const struct jpos *jp, size_t used, jsmntok_t **tok, size_t *n,
		    size_t *stop)
{
	jsmn_parser p;
	int count;

	jsmn_init(&p);
	count = jsmn_parse(&p, jp->text, used, NULL, 0);
	*stop = p.pos;
	if (count <= 0)
		return -EPROTO;
	*tok = calloc((size_t)count, sizeof(**tok));
	if (!*tok)
		return -ENOMEM;
	jsmn_init(&p);
	if (jsmn_parse(&p, jp->text, used, *tok, (unsigned int)count) != count)
		return -EPROTO;
	*n = (size_t)count;
	return 0;
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* The first malformed escape in the string opened at @quote, else @quote. */
static size_t bad_escape(const struct jpos *jp, size_t quote)
{
	for (size_t i = quote + 1; i + 1 < jp->len && jp->text[i] != '"'; i++) {
		char next = jp->text[i + 1];
		size_t hex = 0;

		if (jp->text[i] != '\\')
			continue;
		if (next == 'u')
			while (hex < 4 && i + 2 + hex < jp->len && is_hex(jp->text[i + 2 + hex]))
				hex++;
		if (next == 'u' ? hex < 4 : !strchr("\"\\/bfnrt", next) || !next)
			return i;
		i += next == 'u' ? 5 : 1;
	}
	return quote;
}

/*
 * cJSON takes "\uXYZW" with non-hex digits as a NUL character (its hex
 * parser yields 0); jsmn refuses it.  That is the one disagreement known;
 * anything else leaves the index empty rather than guessing.
 */
static int disagreement(const struct jpos *jp, size_t stop, struct jpos_error *err)
{
	if (stop < jp->len && jp->text[stop] == '"')
		return set_error(err, bad_escape(jp, stop), "invalid escape in string "
				 "(\\u takes 4 hex digits)");
	return 0;
}

/*
 * Builds the index over the @used bytes cJSON consumed.  If jsmn and cJSON
 * ever disagreed the index stays empty: errors then lose their positions,
 * which is better than pointing at the wrong place.
 */
static int build_index(struct jpos *jp, const cJSON *root, size_t used,
		       struct jpos_error *err)
{
	struct walk w = { .jp = jp, .ok = true };
	jsmntok_t *tok = NULL;
	size_t stop = 0;
	int ret = tokenize(jp, used, &tok, &w.n_tok, &stop);

	if (ret == -EPROTO)
		ret = disagreement(jp, stop, err);
	if (ret || !tok || !w.n_tok)
		goto out;
	ret = check_tokens(jp, tok, w.n_tok, err);
	jp->ent = calloc(w.n_tok, sizeof(*jp->ent));
	if (ret || !jp->ent) {
		ret = ret ? ret : -ENOMEM;
		goto out;
	}
	w.tok = tok;
	walk_item(&w, root, 0, SIZE_MAX);
	if (!w.ok)
		jp->n_ent = 0;
	qsort(jp->ent, jp->n_ent, sizeof(*jp->ent), ent_cmp);
out:
	free(tok);
	return ret;
}

int jpos_parse(struct jpos *jp, cJSON **root, struct jpos_error *err)
{
	const char *end = NULL;
	size_t used;
	int ret;

	*root = NULL;
	ret = check_control_bytes(jp, err);
	if (ret)
		return ret;
	*root = cJSON_ParseWithLengthOpts(jp->text, jp->len, &end, false);
	if (!*root) {
		ret = explain(jp, error_offset(jp, end ? (size_t)(end - jp->text) : 0), err);
		return ret;
	}
	used = (size_t)(end - jp->text);
	for (end = jp->text + used; end < jp->text + jp->len && is_blank(*end); end++)
		;
	ret = end < jp->text + jp->len ?
	      set_error(err, (size_t)(end - jp->text), "unexpected text after the "
			"top-level value") :
	      build_index(jp, *root, used, err);
	if (ret) {
		cJSON_Delete(*root);
		*root = NULL;
	}
	return ret;
}

/* --- lookups ---------------------------------------------------------------- */

static const struct jpos_ent *find(const struct jpos *jp, const cJSON *item)
{
	struct jpos_ent key = { .item = item };

	if (!jp->n_ent)
		return NULL;
	return bsearch(&key, jp->ent, jp->n_ent, sizeof(key), ent_cmp);
}

bool jpos_indexed(const struct jpos *jp)
{
	return jp->n_ent > 0;
}

bool jpos_value_off(const struct jpos *jp, const cJSON *item, size_t *off)
{
	const struct jpos_ent *e = find(jp, item);

	if (e)
		*off = e->val_off;
	return e != NULL;
}

bool jpos_key_off(const struct jpos *jp, const cJSON *item, size_t *off)
{
	const struct jpos_ent *e = find(jp, item);

	if (e && e->key_off != SIZE_MAX)
		*off = e->key_off;
	return e && e->key_off != SIZE_MAX;
}

const char *jpos_raw(const struct jpos *jp, const cJSON *item, size_t *len)
{
	const struct jpos_ent *e = find(jp, item);

	if (!e)
		return NULL;
	*len = e->val_len;
	return jp->text + e->val_off;
}
