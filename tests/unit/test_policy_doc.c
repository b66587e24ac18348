// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_policy_doc.c - policies/README.md documents exactly the fields the
 * policy checker accepts, with the checker's defaults.
 *
 * The schema side comes from pol_schema_walk(); the README side from its
 * field tables, in the format README's "How the field tables read" fixes:
 * a table whose header row starts with "| field |" and has a "default"
 * column; each row's first cell is the field's path in backticks; the
 * default cell is **required**, the default as JSON in backticks, or words.
 * Both directions are checked, so neither side can drift alone.
 *
 * Run from the repository root, or set SL_REPO to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy/pol_schema.h"

#define MAX_CELLS 8
#define REQUIRED "**required**"

static const char *repo = ".";

/* --- the schema side -------------------------------------------------------- */

struct schema_field {
	char path[128];
	bool required;
	const char *def;	/* the table's JSON text, or NULL */
};

struct schema {
	struct schema_field v[512];
	size_t n;
	bool overflow;
};

static void on_field(const char *path, const struct pc_field *f, void *arg)
{
	struct schema *s = arg;

	if (s->n == sizeof(s->v) / sizeof(s->v[0])) {
		s->overflow = true;
		return;
	}
	snprintf(s->v[s->n].path, sizeof(s->v[s->n].path), "%s", path);
	s->v[s->n].required = f->required;
	s->v[s->n].def = f->def;
	s->n++;
}

static const struct schema_field *schema_find(const struct schema *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].path, path))
			return &s->v[i];
	return NULL;
}

/* --- the README side ------------------------------------------------------- */

struct doc_row {
	char path[128];
	char def[256];		/* the default cell, trimmed */
	int line;
};

struct doc {
	struct doc_row v[512];
	size_t n;
	char bad[512];		/* rows that break the format, "line N" each */
};

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
}

/* Splits a table row at its unescaped '|' (GFM: "\|" stays in the cell). */
static size_t split_row(const char *line, char cells[][256])
{
	size_t n = 0, len = 0;

	for (const char *p = line + 1; *p && n < MAX_CELLS; p++) {
		if (*p == '|' && p[-1] != '\\') {
			cells[n][len] = '\0';
			trim(cells[n++]);
			len = 0;
		} else if (len < 255) {
			cells[n][len++] = *p;
		}
	}
	return n;
}

/* "`path`" and nothing else: the path, or NULL. */
static const char *code_span(char *cell)
{
	size_t n = strlen(cell);

	if (n < 3 || cell[0] != '`' || cell[n - 1] != '`' || memchr(cell + 1, '`', n - 2))
		return NULL;
	cell[n - 1] = '\0';
	return cell + 1;
}

static void note_bad(struct doc *d, int line, const char *why)
{
	size_t n = strlen(d->bad);

	if (snprintf(d->bad + n, sizeof(d->bad) - n, "%sline %d: %s", n ? "; " : "", line,
		     why) >= (int)(sizeof(d->bad) - n))
		memcpy(d->bad + sizeof(d->bad) - 4, "...", 4);
}

static void add_row(struct doc *d, char cells[][256], size_t n_cells, int def_col, int line)
{
	const char *path = code_span(cells[0]);

	if (!path) {
		note_bad(d, line, "first cell is not one `path`");
		return;
	}
	if ((size_t)def_col >= n_cells) {
		note_bad(d, line, "no default cell");
		return;
	}
	if (d->n == sizeof(d->v) / sizeof(d->v[0])) {
		note_bad(d, line, "too many rows for this test");
		return;
	}
	snprintf(d->v[d->n].path, sizeof(d->v[d->n].path), "%s", path);
	snprintf(d->v[d->n].def, sizeof(d->v[d->n].def), "%s", cells[def_col]);
	d->v[d->n].line = line;
	d->n++;
}

/* The column named "default" of a header row, or -1. */
static int default_column(char cells[][256], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cells[i], "default"))
			return (int)i;
	return -1;
}

/* Reads the field tables of @text (a NUL-terminated README). */
static void parse_doc(const char *text, struct doc *d)
{
	char cells[MAX_CELLS][256], line[2048];
	int line_no = 0, def_col = -1;
	bool header_next = true;

	d->n = 0;
	d->bad[0] = '\0';
	for (const char *p = text; *p; ) {
		size_t len = strcspn(p, "\n"), n;

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
		line_no++;
		if (line[0] != '|') {
			header_next = true;	/* the next table row is a header */
			continue;
		}
		n = split_row(line, cells);
		if (header_next) {	/* a table starts: is it a field table? */
			header_next = false;
			def_col = n && !strcmp(cells[0], "field") ? default_column(cells, n) : -1;
			if (n && !strcmp(cells[0], "field") && def_col < 0)
				note_bad(d, line_no, "field table without a default column");
		} else if (def_col >= 0 && !strspn(cells[0], "-:")) {
			add_row(d, cells, n, def_col, line_no);
		}
	}
}

static const struct doc_row *doc_find(const struct doc *d, const char *path)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].path, path))
			return &d->v[i];
	return NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = calloc(1, (size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* --- comparing ------------------------------------------------------------- */

/* Appends @item to a ", "-separated list; a full list ends in "...". */
static void list_add(char *list, size_t len, const char *item)
{
	size_t n = strlen(list);

	if (snprintf(list + n, len - n, "%s%s", n ? ", " : "", item) >= (int)(len - n))
		memcpy(list + len - 4, "...", 4);
}

/* Schema paths with no README row, as "a, b, c" (each path once). */
static void undocumented(const struct schema *s, const struct doc *d, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < s->n; i++)
		if (!doc_find(d, s->v[i].path) && schema_find(s, s->v[i].path) == &s->v[i])
			list_add(out, len, s->v[i].path);
}

/* README rows the schema does not know. */
static void unknown(const struct schema *s, const struct doc *d, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < d->n; i++)
		if (!schema_find(s, d->v[i].path))
			list_add(out, len, d->v[i].path);
}

static void duplicates(const struct doc *d, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < d->n; i++)
		if (doc_find(d, d->v[i].path) != &d->v[i])
			list_add(out, len, d->v[i].path);
}

/* Why @row's default cell disagrees with @f, or NULL. */
static const char *default_mismatch(const struct schema_field *f, const struct doc_row *row,
				    char *buf, size_t len)
{
	bool says_required = !strcmp(row->def, REQUIRED);

	if (f->required && !says_required)
		return "required in the schema, the README gives a default";
	if (!f->required && says_required)
		return "optional in the schema, the README says required";
	if (!f->def)
		return NULL;
	snprintf(buf, len, "`%s`", f->def);
	if (strstr(row->def, buf))
		return NULL;
	snprintf(buf, len, "the schema's default is `%s`, the README says %s", f->def, row->def);
	return buf;
}

/* A later walk entry with the path, requiredness and default of an earlier
 * one (event and byte rates are both "rate"): one complaint is enough. */
static bool repeats(const struct schema *s, const struct schema_field *f)
{
	const struct schema_field *first = schema_find(s, f->path);

	return first != f && first->required == f->required &&
	       (first->def == f->def || (first->def && f->def && !strcmp(first->def, f->def)));
}

static void wrong_defaults(const struct schema *s, const struct doc *d, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		const struct doc_row *row = doc_find(d, s->v[i].path);
		char buf[320], item[480];
		const char *why = row ? default_mismatch(&s->v[i], row, buf, sizeof(buf)) : NULL;

		if (!why || repeats(s, &s->v[i]))
			continue;
		snprintf(item, sizeof(item), "%s (line %d): %s", s->v[i].path, row->line, why);
		list_add(out, len, item);
	}
}

/* --- the cases ------------------------------------------------------------- */

static struct schema schema;
static struct doc doc;

static void test_readme(void)
{
	char list[400];

	TEST_CASE("README field tables follow the documented format") {
		duplicates(&doc, list, sizeof(list));
		CHECK(doc.n > 0, "no field table rows found");
		CHECK(!doc.bad[0], "%.380s", doc.bad);
		CHECK(!list[0], "documented twice: %s", list);
	}
	TEST_CASE("README documents every field the schema accepts") {
		undocumented(&schema, &doc, list, sizeof(list));
		CHECK(schema.n > 0 && !schema.overflow, "%zu schema fields", schema.n);
		CHECK(!list[0], "not in policies/README.md: %s", list);
	}
	TEST_CASE("every field README documents is in the schema") {
		unknown(&schema, &doc, list, sizeof(list));
		CHECK(!list[0], "not in the schema (pol_schema.c): %s", list);
	}
	TEST_CASE("README defaults and required marks match the schema") {
		wrong_defaults(&schema, &doc, list, sizeof(list));
		CHECK(!list[0], "%s", list);
	}
}

/* The comparison itself must notice a README row going missing. */
static void test_removed_row(const char *text)
{
	TEST_CASE("a README without its workers row fails the check") {
		const char *row = strstr(text, "\n| `workers`");
		char *copy = strdup(text), list[400];
		struct doc *cut = calloc(1, sizeof(*cut));

		CHECK(row && copy && cut, "no workers row in the README");
		if (row && copy && cut) {
			char *start = copy + (row - text) + 1, *next = strchr(start, '\n');

			memmove(start, next + 1, strlen(next + 1) + 1);
			parse_doc(copy, cut);
			undocumented(&schema, cut, list, sizeof(list));
			CHECK(!doc_find(cut, "workers") && strstr(list, "workers"),
			      "undocumented without the row: \"%.300s\"", list);
		}
		free(cut);
		free(copy);
	}
}

int main(int argc, char **argv)
{
	char path[512];
	char *text;

	(void)argc;
	test_init(argv[0]);
	if (getenv("SL_REPO"))
		repo = getenv("SL_REPO");
	snprintf(path, sizeof(path), "%s/policies/README.md", repo);
	text = slurp(path);
	pol_schema_walk(on_field, &schema);
	TEST_CASE("policies/README.md is readable") {
		CHECK(text, "cannot read %.300s", path);
	}
	if (text) {
		parse_doc(text, &doc);
		test_readme();
		test_removed_row(text);
	}
	free(text);
	return test_finish();
}
