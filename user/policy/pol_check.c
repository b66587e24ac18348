// SPDX-License-Identifier: GPL-2.0-only
/*
 * pol_check.c - the generic checks a policy schema is built from (see
 * pol_check.h): objects with field tables, maps of names, arrays, scalars,
 * and the error reporting they share.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jpath.h"
#include "base/nearest.h"
#include "pol_check.h"

/* Keeps the first error, but out-of-memory wins: it voids everything. */
static int keep(int ret, int r)
{
	if (r == -ENOMEM || ret == -ENOMEM)
		return -ENOMEM;
	return ret ? ret : r;
}

/* --- paths ----------------------------------------------------------------- */

static size_t path_append(struct pc_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t path_append(struct pc_ctx *c, const char *fmt, ...)
{
	size_t mark = c->path_len, room = sizeof(c->path) - mark;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + mark, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->path_len += (size_t)n < room ? (size_t)n : room - 1;
	return mark;
}

size_t pc_push_key(struct pc_ctx *c, const char *key)
{
	if (jpath_plain_word(key))
		return path_append(c, "%s%s", c->path_len ? "." : "", key);
	/* Names may hold dots ("gpt-4.1"): quote them so the path stays readable. */
	return path_append(c, "[\"%.64s%s\"]", key, strlen(key) > 64 ? "..." : "");
}

size_t pc_push_index(struct pc_ctx *c, size_t index)
{
	return path_append(c, "[%zu]", index);
}

void pc_pop(struct pc_ctx *c, size_t mark)
{
	c->path_len = mark;
	c->path[mark] = '\0';
}

/* --- errors ---------------------------------------------------------------- */

size_t pc_value_off(const struct pc_ctx *c, const cJSON *item)
{
	size_t off;

	return jpos_value_off(c->jp, item, &off) ? off : c->at;
}

static int add_error(struct pc_ctx *c, size_t off, const char *fmt, va_list ap)
{
	char msg[sizeof(((struct pol_error *)0)->msg)];
	int line, col;

	if (c->errs->n > PC_MAX_ERRORS)
		return -EINVAL;
	if (c->errs->n == PC_MAX_ERRORS) {
		if (pol_errors_add(c->errs, 0, 0, "too many errors; stopped after %d",
				   PC_MAX_ERRORS))
			c->fatal = -ENOMEM;
		return -EINVAL;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	jpos_line_col(c->jp, off, &line, &col);
	if (!jpos_indexed(c->jp))
		line = col = 0;	/* no position beats a wrong one */
	if (pol_errors_add(c->errs, line, col, "%s%s%s", c->path,
			   c->path_len ? ": " : "", msg))
		c->fatal = -ENOMEM;
	return -EINVAL;
}

int pc_error(struct pc_ctx *c, const cJSON *item, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = add_error(c, pc_value_off(c, item), fmt, ap);
	va_end(ap);
	return ret;
}

int pc_error_key(struct pc_ctx *c, const cJSON *item, const char *fmt, ...)
{
	size_t off;
	va_list ap;
	int ret;

	if (!jpos_key_off(c->jp, item, &off))
		off = pc_value_off(c, item);
	va_start(ap, fmt);
	ret = add_error(c, off, fmt, ap);
	va_end(ap);
	return ret;
}

const char *pc_where(const struct pc_ctx *c, const cJSON *item, char *buf, size_t len)
{
	size_t off;
	int line, col;

	if (!jpos_key_off(c->jp, item, &off))
		off = pc_value_off(c, item);
	jpos_line_col(c->jp, off, &line, &col);
	if (jpos_indexed(c->jp))
		snprintf(buf, len, "%d:%d", line, col);
	else
		snprintf(buf, len, "an unknown position");
	return buf;
}

/* A string as it would be written, cut at 40 bytes. */
static void quote(const char *s, char *buf, size_t len)
{
	size_t n = 0, i;

	buf[n++] = '"';
	for (i = 0; s[i] && i < 40 && n + 8 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			n += (size_t)snprintf(buf + n, len - n, "\\u%04x", ch);
		else
			buf[n++] = (char)ch;
	}
	snprintf(buf + n, len - n, "%s\"", s[i] ? "..." : "");
}

const char *pc_describe(const struct pc_ctx *c, const cJSON *item, char *buf, size_t len)
{
	const char *raw;
	size_t raw_len;

	if (cJSON_IsString(item))
		quote(item->valuestring, buf, len);
	else if (cJSON_IsNumber(item) && (raw = jpos_raw(c->jp, item, &raw_len)))
		snprintf(buf, len, "%.*s", (int)(raw_len < 40 ? raw_len : 40), raw);
	else if (cJSON_IsNumber(item))
		snprintf(buf, len, "%.15g", item->valuedouble);
	else
		snprintf(buf, len, "%s", cJSON_IsTrue(item) ? "true" : cJSON_IsFalse(item) ?
			 "false" : cJSON_IsNull(item) ? "null" : cJSON_IsObject(item) ?
			 "an object" : "an array");
	return buf;
}

static int type_error(struct pc_ctx *c, const cJSON *item, const char *expected)
{
	char got[64];

	return pc_error(c, item, "expected %s, got %s", expected,
			pc_describe(c, item, got, sizeof(got)));
}

/* --- objects --------------------------------------------------------------- */

static const struct pc_field *find_field(const struct pc_object *o, const char *name)
{
	for (size_t i = 0; i < o->n_fields; i++)
		if (!strcmp(o->fields[i].name, name))
			return &o->fields[i];
	return NULL;
}

/* The field @name was probably meant to be, if one is close enough. */
static const char *closest_field(const struct pc_object *o, const char *name)
{
	struct sl_nearest near;

	sl_nearest_init(&near, name);
	for (size_t i = 0; i < o->n_fields; i++)
		sl_nearest_offer(&near, o->fields[i].name);
	return sl_nearest_get(&near);
}

static int unknown_field(struct pc_ctx *c, const cJSON *member, const struct pc_object *o)
{
	const char *near = closest_field(o, member->string);
	char allowed[200] = "", hint[80] = "";
	size_t n = 0, mark;
	int ret;

	for (size_t i = 0; i < o->n_fields && n < sizeof(allowed); i++)
		n += (size_t)snprintf(allowed + n, sizeof(allowed) - n, "%s%s",
				      i ? ", " : "", o->fields[i].name);
	if (near)
		snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", near);
	mark = pc_push_key(c, member->string);
	ret = pc_error_key(c, member, "unknown field%s; allowed: %s", hint, allowed);
	pc_pop(c, mark);
	return ret;
}

cJSON *pc_add_default(struct pc_ctx *c, cJSON *obj, const char *name, const char *json)
{
	cJSON *value = cJSON_Parse(json);

	if (!value || !cJSON_AddItemToObject(obj, name, value)) {
		cJSON_Delete(value);
		c->fatal = -ENOMEM;
		return NULL;
	}
	return value;
}

static int check_field(struct pc_ctx *c, cJSON *obj, const struct pc_field *f)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, f->name);
	size_t mark;
	int ret;

	if (!item && f->required)
		return pc_error(c, obj, "missing required field \"%s\"", f->name);
	if (!item && f->def)
		item = pc_add_default(c, obj, f->name, f->def);
	if (!item)
		return c->fatal;
	mark = pc_push_key(c, f->name);
	ret = f->check(c, item, f->arg);
	pc_pop(c, mark);
	return ret;
}

int pc_object(struct pc_ctx *c, cJSON *item, const void *arg)
{
	const struct pc_object *o = arg;
	size_t saved_at = c->at;
	cJSON *member;
	int ret = 0;

	if (!cJSON_IsObject(item))
		return type_error(c, item, "an object");
	c->at = pc_value_off(c, item);
	cJSON_ArrayForEach(member, item)
		if (!find_field(o, member->string))
			ret = keep(ret, unknown_field(c, member, o));
	for (size_t i = 0; i < o->n_fields; i++)
		ret = keep(ret, check_field(c, item, &o->fields[i]));
	if (!ret && o->finish)
		ret = o->finish(c, item);
	c->at = saved_at;
	return keep(ret, c->fatal);
}

/* --- strings --------------------------------------------------------------- */

/* Why @text does not fit @s, or NULL. */
static const char *string_problem(const struct pc_string *s, const char *text,
				  char *buf, size_t len)
{
	size_t n = strlen(text);

	if (n && s->min_len == s->max_len && n != s->min_len) {
		snprintf(buf, len, "%zu characters, expected %zu", n, s->min_len);
		return buf;
	}
	if (n < s->min_len && n) {
		snprintf(buf, len, "%zu characters, at least %zu", n, s->min_len);
		return buf;
	}
	if (n < s->min_len)
		return "empty";
	if (n > s->max_len) {
		snprintf(buf, len, "%zu characters, at most %zu", n, s->max_len);
		return buf;
	}
	for (size_t i = 0; s->ok_char && i < n; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (s->ok_char(ch))
			continue;
		if (ch == ' ')
			snprintf(buf, len, "spaces are not allowed");
		else if (ch > 0x20 && ch < 0x7f)
			snprintf(buf, len, "'%c' is not allowed", ch);
		else
			snprintf(buf, len, "byte 0x%02x is not allowed", ch);
		return buf;
	}
	return s->why ? s->why(text, buf, len) : NULL;
}

static int string_error(struct pc_ctx *c, const cJSON *item, const struct pc_string *s,
			const char *text, bool at_key)
{
	char buf[128], got[64];
	const char *why = string_problem(s, text, buf, sizeof(buf));

	if (!why)
		return 0;
	quote(text, got, sizeof(got));
	if (at_key)
		return pc_error_key(c, item, "expected %s, got %s: %s", s->what, got, why);
	return pc_error(c, item, "expected %s, got %s: %s", s->what, got, why);
}

int pc_string(struct pc_ctx *c, cJSON *item, const void *arg)
{
	const struct pc_string *s = arg;

	if (!cJSON_IsString(item))
		return type_error(c, item, s->what);
	return string_error(c, item, s, item->valuestring, false);
}

/* --- maps and arrays ------------------------------------------------------- */

static int too_few(struct pc_ctx *c, const cJSON *item, size_t min, const char *what)
{
	if (min == 1)
		return pc_error(c, item, "expected at least one %s", what);
	return pc_error(c, item, "expected at least %zu %ss", min, what);
}

int pc_map(struct pc_ctx *c, cJSON *item, const void *arg)
{
	const struct pc_map *m = arg;
	size_t n = 0, saved_at = c->at;
	cJSON *member;
	int ret = 0;

	if (!cJSON_IsObject(item))
		return type_error(c, item, "an object");
	c->at = pc_value_off(c, item);
	cJSON_ArrayForEach(member, item) {
		size_t mark = pc_push_key(c, member->string);

		if (++n == m->max + 1)
			ret = keep(ret, pc_error_key(c, member, "too many %ss (at most %zu)",
						     m->what, m->max));
		ret = keep(ret, string_error(c, member, m->key, member->string, true));
		ret = keep(ret, pc_object(c, member, m->value));
		pc_pop(c, mark);
	}
	if (n < m->min)
		ret = keep(ret, too_few(c, item, m->min, m->what));
	c->at = saved_at;
	return ret;
}

struct canon_ent {
	char key[160];
	size_t index;
	const cJSON *item;
};

static int canon_cmp(const void *a, const void *b)
{
	const struct canon_ent *x = a, *y = b;
	int d = strcmp(x->key, y->key);

	return d ? d : (x->index > y->index) - (x->index < y->index);
}

/* Reports each element equal (in canonical form) to an earlier one. */
static int unique(struct pc_ctx *c, const cJSON *array, const struct pc_array *a,
		  const bool *ok, size_t n)
{
	struct canon_ent *v = calloc(n ? n : 1, sizeof(*v));
	size_t m = 0, i = 0, first = 0;
	const cJSON *elem;
	int ret = 0;

	if (!v)
		return c->fatal = -ENOMEM;
	cJSON_ArrayForEach(elem, array) {
		if (ok[i] && a->canon(elem, v[m].key, sizeof(v[m].key))) {
			v[m].index = i;
			v[m].item = elem;
			m++;
		}
		i++;
	}
	qsort(v, m, sizeof(*v), canon_cmp);
	for (i = 1; i < m; i++) {
		char where[32];
		size_t mark;

		if (strcmp(v[i].key, v[first].key)) {
			first = i;
			continue;
		}
		mark = pc_push_index(c, v[i].index);
		ret = pc_error(c, v[i].item, "duplicate %s %s (first at %s)", a->what, v[i].key,
			       pc_where(c, v[first].item, where, sizeof(where)));
		pc_pop(c, mark);
	}
	free(v);
	return ret;
}

int pc_array(struct pc_ctx *c, cJSON *item, const void *arg)
{
	const struct pc_array *a = arg;
	size_t n, i = 0, saved_at = c->at;
	cJSON *elem;
	bool *ok;
	int ret = 0;

	if (!cJSON_IsArray(item))
		return type_error(c, item, "an array");
	n = (size_t)cJSON_GetArraySize(item);
	ok = calloc(n ? n : 1, sizeof(*ok));
	if (!ok)
		return c->fatal = -ENOMEM;
	c->at = pc_value_off(c, item);
	cJSON_ArrayForEach(elem, item) {
		size_t mark = pc_push_index(c, i);
		int r = i == a->max ? pc_error(c, elem, "too many entries (at most %zu)", a->max) : 0;

		r = keep(r, a->elem(c, elem, a->elem_arg));
		ok[i++] = !r;
		ret = keep(ret, r);
		pc_pop(c, mark);
	}
	if (n < a->min)
		ret = keep(ret, too_few(c, item, a->min, a->what));
	if (a->canon)
		ret = keep(ret, unique(c, item, a, ok, n));
	free(ok);
	c->at = saved_at;
	return ret;
}

/* --- scalars --------------------------------------------------------------- */

static bool integral_in(const cJSON *item, long long min, long long max)
{
	double v = item->valuedouble;

	/* Compare as doubles first: casting an out-of-range double is undefined. */
	return cJSON_IsNumber(item) && v == floor(v) && v >= (double)min && v <= (double)max;
}

bool pc_get_int(const cJSON *obj, const char *name, long long *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	const long long limit = 1LL << 53;

	if (!item || !integral_in(item, -limit, limit))
		return false;
	*out = (long long)item->valuedouble;
	return true;
}

int pc_int(struct pc_ctx *c, cJSON *item, const void *arg)
{
	const struct pc_int *r = arg;
	char got[64];

	if (integral_in(item, r->min, r->max))
		return 0;
	pc_describe(c, item, got, sizeof(got));
	if (r->min == r->max)
		return pc_error(c, item, "expected %lld, got %s", r->min, got);
	return pc_error(c, item, "expected an integer%s%s %lld..%lld, got %s",
			r->what ? " " : "", r->what ? r->what : "", r->min, r->max, got);
}

int pc_number(struct pc_ctx *c, cJSON *item, const void *arg)
{
	const struct pc_number *r = arg;
	char got[64];

	if (cJSON_IsNumber(item) && item->valuedouble >= r->min && item->valuedouble <= r->max)
		return 0;
	return pc_error(c, item, "expected a number %.15g..%.15g, got %s", r->min, r->max,
			pc_describe(c, item, got, sizeof(got)));
}

int pc_enum(struct pc_ctx *c, cJSON *item, const void *arg)
{
	const char *const *names = arg;
	char list[160] = "", got[64];
	size_t n = 0;

	for (size_t i = 0; cJSON_IsString(item) && names[i]; i++)
		if (!strcmp(item->valuestring, names[i]))
			return 0;
	for (size_t i = 0; names[i] && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s\"", i ? ", " : "",
				      names[i]);
	return pc_error(c, item, "expected one of %s, got %s", list,
			pc_describe(c, item, got, sizeof(got)));
}

int pc_bool(struct pc_ctx *c, cJSON *item, const void *arg)
{
	(void)arg;
	return cJSON_IsBool(item) ? 0 : type_error(c, item, "true or false");
}

int pc_any(struct pc_ctx *c, cJSON *item, const void *arg)
{
	(void)c;
	(void)item;
	(void)arg;
	return 0;
}

/* --- duplicate keys -------------------------------------------------------- */

struct member_ref {
	const cJSON *item;
	size_t index;
};

static int member_cmp(const void *a, const void *b)
{
	const struct member_ref *x = a, *y = b;
	int d = strcmp(x->item->string, y->item->string);

	return d ? d : (x->index > y->index) - (x->index < y->index);
}

/* cJSON keeps both members of {"a":1,"a":2} and reads the first: a silent
 * override is exactly the kind of typo a policy must not hide. */
static int object_duplicates(struct pc_ctx *c, const cJSON *obj)
{
	size_t n = (size_t)cJSON_GetArraySize(obj), i = 0;
	struct member_ref *v = calloc(n ? n : 1, sizeof(*v));
	const cJSON *member;
	int ret = 0;

	if (!v)
		return c->fatal = -ENOMEM;
	cJSON_ArrayForEach(member, obj) {
		v[i].item = member;
		v[i].index = i;
		i++;
	}
	qsort(v, n, sizeof(*v), member_cmp);
	/* Sorted by (key, document order): each run's first is the original. */
	for (size_t first = 0, j = 1; j < n; j++) {
		char where[32];

		if (strcmp(v[j].item->string, v[first].item->string)) {
			first = j;
			continue;
		}
		ret = pc_error_key(c, v[j].item, "duplicate key \"%s\" (first at %s)",
				   v[j].item->string, pc_where(c, v[first].item, where,
								sizeof(where)));
	}
	free(v);
	return ret;
}

int pc_check_duplicates(struct pc_ctx *c, const cJSON *item)
{
	bool is_object = cJSON_IsObject(item);
	int ret = is_object ? object_duplicates(c, item) : 0;
	const cJSON *child;
	size_t i = 0;

	cJSON_ArrayForEach(child, item) {
		size_t mark = is_object ? pc_push_key(c, child->string) : pc_push_index(c, i);

		ret = keep(ret, pc_check_duplicates(c, child));
		pc_pop(c, mark);
		i++;
	}
	return ret;
}
