// SPDX-License-Identifier: GPL-2.0-only
/*
 * sql_name.c - entries of a SQL argument rule's name lists (see sql_name.h).
 *
 * This reads the policy's own small name syntax, never SQL: queries are
 * read by the PostgreSQL parser only (sql_rule.c).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql_name.h"

/* What an unquoted identifier may hold, plus the globs; bytes >= 0x80 are
 * identifier characters to PostgreSQL. */
static bool bare_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '$' || ch == '*' ||
	       ch == '?' || ch >= 0x80;
}

/* Appends @ch to part @p (@n bytes so far); false when it would not fit. */
static bool part_add(char *p, size_t *n, char ch)
{
	if (*n >= SQL_PART_MAX)
		return false;
	p[(*n)++] = ch;
	p[*n] = '\0';
	return true;
}

/* A "quoted" part from @s (at the quote); returns the end, or NULL. */
static const char *quoted_part(const char *s, char *p, size_t *n, const char **why)
{
	for (s++; *s; s++) {
		if (*s == '"' && s[1] != '"')
			break;
		s += *s == '"';		/* "" is one quote */
		if (!part_add(p, n, *s)) {
			*why = "a part is longer than 63 bytes, PostgreSQL's limit for a name";
			return NULL;
		}
	}
	if (*s != '"') {
		*why = "unterminated \"quoted\" part";
		return NULL;
	}
	if (!*n) {
		*why = "empty \"\" part";
		return NULL;
	}
	return s + 1;
}

/* A bare part, folded to lowercase; returns the end, or NULL. */
static const char *bare_part(const char *s, char *p, size_t *n, const char **why)
{
	for (; *s && *s != '.'; s++) {
		if (!bare_char((unsigned char)*s)) {
			*why = "unquoted names hold only letters, digits, _, $ and the globs * ?; "
			       "quote the part (\"Name\") for anything else";
			return NULL;
		}
		if (!part_add(p, n, *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s)) {
			*why = "a part is longer than 63 bytes, PostgreSQL's limit for a name";
			return NULL;
		}
	}
	if (!*n)
		*why = "empty part (a name, or schema.name)";
	return *n ? s : NULL;
}

const char *sql_name_parse(const char *text, size_t max_parts, struct sql_name *out,
			   char *buf, size_t len)
{
	struct sql_name scratch;
	const char *s = text, *why = NULL;

	if (!out)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	for (;;) {
		size_t n = 0, i = out->n;

		if (i == max_parts || i == SQL_NAME_PARTS) {
			snprintf(buf, len, "%s", max_parts == 1 ? "expected one name, not schema.name"
				 : "at most two parts (schema.name)");
			return buf;
		}
		out->quoted[i] = *s == '"';
		s = out->quoted[i] ? quoted_part(s, out->part[i], &n, &why) :
				     bare_part(s, out->part[i], &n, &why);
		if (!s)
			return why;
		out->n++;
		if (!*s)
			return NULL;
		if (*s++ != '.')
			return "expected '.' between the parts";
	}
}

const char *sql_name_why(const char *text, char *buf, size_t len)
{
	return sql_name_parse(text, 1, NULL, buf, len);
}

const char *sql_qname_why(const char *text, char *buf, size_t len)
{
	return sql_name_parse(text, 2, NULL, buf, len);
}

/* fnmatch() fails (neither 0 nor FNM_NOMATCH) on bytes that are not
 * characters of a multibyte locale; such a name then counts as listed in a
 * deny list and as not listed in an allow list: refused either way. */
static bool part_match(const struct sql_name *e, size_t i, const char *ref, bool deny)
{
	int ret;

	if (e->quoted[i])
		return deny ? !strcasecmp(e->part[i], ref) : !strcmp(e->part[i], ref);
	ret = fnmatch(e->part[i], ref, deny ? FNM_CASEFOLD : 0);
	return ret == FNM_NOMATCH ? false : !ret || deny;
}

bool sql_name_match(const struct sql_name *e, const char *const *ref, size_t n, bool deny)
{
	if (!n || !part_match(e, e->n - 1, ref[n - 1], deny))
		return false;
	if (e->n == 1)
		return true;
	if (n == 1)
		return deny;	/* schema.name against a bare name: see sql_name.h */
	return part_match(e, 0, ref[n - 2], deny);
}
