// SPDX-License-Identifier: GPL-2.0-only
/*
 * redact.c - output redaction (see redact.h).
 *
 * The JSON text is scanned (proto/mcp_scan.h) for where each string value's
 * token lies and parsed by cJSON for its decoded value; both list string
 * values in document order, so the n-th string node of a pre-order walk is
 * the n-th token.  A value a rule changes gets its token replaced by the new
 * value printed by cJSON (escaped as JSON needs); nothing else is rewritten.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "base/buf.h"
#include "proto/mcp_scan.h"
#include "pol_regex.h"
#include "redact.h"

struct redact_rule {
	const char *name;		/* points into the policy */
	const char *replacement;
	size_t replacement_len;
	bool luhn;
	struct pol_regex *rx;
};

struct redact_set {
	struct redact_rule *v;
	size_t n;
};

struct redact_scratch {
	struct pol_regex_scratch *rx;
};

static const char *string_of(const cJSON *obj, const char *name, const char *def)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(item) ? item->valuestring : def;
}

void redact_set_free(struct redact_set *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		pol_regex_free(rs->v[i].rx);
	free(rs->v);
	free(rs);
}

int redact_build(const struct policy *pol, struct redact_set **out, char *why, size_t why_len)
{
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(pol->json, "redaction"), *item;
	size_t n = (size_t)cJSON_GetArraySize(rules);
	struct redact_set *rs;
	char rxwhy[200];
	int ret;

	*out = NULL;
	if (!n)
		return 0;
	if (n > REDACT_MAX_RULES)
		return -EINVAL;		/* the checker allows 256 */
	rs = calloc(1, sizeof(*rs));
	if (!rs || !(rs->v = calloc(n, sizeof(*rs->v)))) {
		free(rs);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(item, rules) {
		struct redact_rule *r = &rs->v[rs->n];

		r->name = string_of(item, "name", "");
		r->replacement = string_of(item, "replacement", "[REDACTED]");
		r->replacement_len = strlen(r->replacement);
		r->luhn = !strcmp(string_of(item, "check", ""), "luhn");
		ret = pol_regex_compile(string_of(item, "pattern", ""), &r->rx, rxwhy,
					sizeof(rxwhy));
		if (ret) {
			snprintf(why, why_len, "redaction rule \"%s\": %s", r->name,
				 ret == -EINVAL ? rxwhy : "out of memory");
			redact_set_free(rs);
			return ret;
		}
		rs->n++;
	}
	*out = rs;
	return 0;
}

size_t redact_n_rules(const struct redact_set *rs)
{
	return rs ? rs->n : 0;
}

const char *redact_rule_name(const struct redact_set *rs, size_t i)
{
	return rs && i < rs->n ? rs->v[i].name : "";
}

struct redact_scratch *redact_scratch_new(void)
{
	struct redact_scratch *s = calloc(1, sizeof(*s));

	if (s && !(s->rx = pol_regex_scratch_new())) {
		free(s);
		s = NULL;
	}
	return s;
}

void redact_scratch_free(struct redact_scratch *s)
{
	if (!s)
		return;
	pol_regex_scratch_free(s->rx);
	free(s);
}

bool redact_luhn(const char *s, size_t len)
{
	unsigned int sum = 0, n = 0;

	for (size_t i = len; i-- > 0;) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			continue;
		d = (unsigned int)(s[i] - '0');
		if (n++ % 2) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return n >= 13 && n <= 19 && sum % 10 == 0;
}

/* --- one value --------------------------------------------------------------------- */

/* Bytes of the UTF-8 character starting with @c (the text is valid UTF-8). */
static size_t char_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/*
 * Rule @r over @subj (@len bytes) into @out: 1 when anything was replaced
 * (*hits counts how many), 0 when not (@out then holds a copy), < 0 from
 * the match.
 */
static int apply_rule(const struct redact_rule *r, struct redact_scratch *s, const char *subj,
		      size_t len, struct buf *out, unsigned int *hits)
{
	size_t from = 0, st, en;
	int rc = 0;

	*hits = 0;
	while (from <= len && (rc = pol_regex_find(r->rx, subj, len, from, s->rx, &st, &en)) > 0) {
		if (en == st) {		/* an empty match replaces nothing: step over a character */
			size_t next = st < len ? st + char_len((unsigned char)subj[st]) : len + 1;

			if (buf_append(out, subj + from, (next > len ? len : next) - from))
				return -ENOMEM;
			from = next;
			continue;
		}
		if (buf_append(out, subj + from, st - from))
			return -ENOMEM;
		if (!r->luhn || redact_luhn(subj + st, en - st)) {
			if (buf_append(out, r->replacement, r->replacement_len))
				return -ENOMEM;
			(*hits)++;
		} else if (buf_append(out, subj + st, en - st)) {
			return -ENOMEM;
		}
		from = en;
	}
	if (from <= len && rc < 0)
		return rc;
	if (from < len && buf_append(out, subj + from, len - from))
		return -ENOMEM;
	return *hits > 0;
}

/* Every rule over @value (@len bytes): the new value (malloc, NUL-terminated,
 * *changed_len bytes) when any replaced something, NULL and 0 when none
 * did; < 0 on error. */
static int redact_value(const struct redact_set *rs, struct redact_scratch *s, const char *value,
			size_t len, char **changed, size_t *changed_len,
			struct redact_counts *counts)
{
	struct buf cur = {}, next = {};
	bool any = false;
	int ret = buf_append(&cur, value, len);

	*changed = NULL;
	for (size_t i = 0; i < rs->n && !ret; i++) {
		unsigned int hits;

		buf_reset(&next);
		ret = apply_rule(&rs->v[i], s, cur.data, cur.len, &next, &hits);
		if (ret == 1) {
			struct buf t = cur;

			cur = next;
			next = t;
			any = true;
			if (counts) {
				counts->n[i] += hits;
				counts->total += hits;
			}
			ret = 0;
		}
	}
	buf_free(&next);
	if (!ret && any) {
		*changed = cur.data;	/* a buf is always NUL-terminated */
		*changed_len = cur.len;
	} else
		buf_free(&cur);
	return ret;
}

/* --- the message ------------------------------------------------------------------- */

struct walk {
	const struct redact_set *rs;
	struct redact_scratch *s;
	const char *text;
	const struct mcp_scan *scan;
	size_t next;			/* the next string value's ordinal */
	size_t copied;			/* text[0..copied) is in out */
	struct buf out;
	bool changed;
	struct redact_counts *counts;
};

/* The token of value @ordinal becomes @value, JSON-escaped. */
static int replace_token(struct walk *w, size_t ordinal, const char *value)
{
	const struct mcp_span *sp = &w->scan->values[ordinal];
	cJSON *str = cJSON_CreateString(value);
	char *tok = str ? cJSON_PrintUnformatted(str) : NULL;
	int ret = -ENOMEM;

	if (tok && !buf_append(&w->out, w->text + w->copied, sp->off - w->copied) &&
	    !buf_puts(&w->out, tok)) {
		w->copied = sp->off + sp->len;
		w->changed = true;
		ret = 0;
	}
	cJSON_free(tok);
	cJSON_Delete(str);
	return ret;
}

static int walk_node(struct walk *w, const cJSON *node, bool judged)
{
	int ret = 0;

	if (cJSON_IsString(node)) {
		size_t ordinal = w->next++;
		char *value = NULL;

		if (ordinal >= w->scan->n_values)
			return -EINVAL;		/* scanner and parser disagree */
		if (!judged)
			return 0;
		if (w->scan->values[ordinal].nul) {
			/* cJSON's C string stops at the NUL: what follows it
			 * cannot be judged, so the value goes whole. */
			if (w->counts)
				w->counts->unreadable++;
			return replace_token(w, ordinal, "[REDACTED]");
		}
		size_t vlen;

		ret = redact_value(w->rs, w->s, node->valuestring, strlen(node->valuestring),
				   &value, &vlen, w->counts);
		if (!ret && value)
			ret = replace_token(w, ordinal, value);
		free(value);
		return ret;
	}
	for (const cJSON *c = node ? node->child : NULL; c && !ret; c = c->next)
		ret = walk_node(w, c, judged);
	return ret;
}

/* A message: only what the client does not match on is judged. */
static int walk_message(struct walk *w, const cJSON *msg)
{
	int ret = 0;

	if (!cJSON_IsObject(msg))
		return walk_node(w, msg, false);
	for (const cJSON *c = msg->child; c && !ret; c = c->next) {
		bool judged = !strcmp(c->string, "result") || !strcmp(c->string, "error") ||
			      !strcmp(c->string, "params");

		ret = walk_node(w, c, judged);
	}
	return ret;
}

int redact_text(const struct redact_set *rs, struct redact_scratch *s, const char *text,
		size_t len, char **out, size_t *out_len, struct redact_counts *counts)
{
	struct walk w = { .rs = rs, .s = s, .text = text, .counts = counts };
	struct mcp_scan scan;
	struct mcp_scan_error serr;
	cJSON *root = NULL;
	int ret;

	*out = NULL;
	*out_len = 0;
	if (!rs || !rs->n)
		return 0;
	ret = mcp_scan_values(text, len, &scan, &serr);
	w.scan = &scan;
	if (!ret && scan.n_values && !(root = cJSON_ParseWithLength(text, len)))
		ret = -EINVAL;
	if (!ret && root) {
		if (cJSON_IsArray(root)) {
			for (const cJSON *c = root->child; c && !ret; c = c->next)
				ret = walk_message(&w, c);
		} else {
			ret = walk_message(&w, root);
		}
	}
	if (!ret && w.changed && !buf_append(&w.out, text + w.copied, len - w.copied)) {
		*out = w.out.data;	/* NUL-terminated */
		*out_len = w.out.len;
		w.out.data = NULL;
	} else if (!ret && w.changed) {
		ret = -ENOMEM;
	}
	buf_free(&w.out);
	cJSON_Delete(root);
	mcp_scan_free(&scan);
	return ret;
}

int redact_plain(const struct redact_set *rs, struct redact_scratch *s, const char *text,
		 size_t len, char **out, size_t *out_len, struct redact_counts *counts)
{
	*out = NULL;
	*out_len = 0;
	if (!rs || !rs->n)
		return 0;
	return redact_value(rs, s, text, len, out, out_len, counts);
}
