// SPDX-License-Identifier: GPL-2.0-only
/*
 * pol_errors.c - the error list of a policy check (see pol_errors.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pol_errors.h"

int pol_errors_add(struct pol_errors *errs, int line, int col, const char *fmt, ...)
{
	struct pol_error *e;
	va_list ap;

	if (errs->n == errs->cap) {
		size_t cap = errs->cap ? 2 * errs->cap : 16;
		struct pol_error *v = realloc(errs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		errs->v = v;
		errs->cap = cap;
	}
	e = &errs->v[errs->n++];
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return 0;
}

void pol_errors_free(struct pol_errors *errs)
{
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}

void pol_errors_print(const struct pol_errors *errs, const char *file, FILE *out)
{
	if (!file)
		file = "<policy>";
	for (size_t i = 0; i < errs->n; i++) {
		const struct pol_error *e = &errs->v[i];

		if (e->line)
			fprintf(out, "%s:%d:%d: error: %s\n", file, e->line, e->col, e->msg);
		else
			fprintf(out, "%s: error: %s\n", file, e->msg);
	}
}

/* Errors without a position (notes such as "too many errors") sort last. */
static bool error_before(const struct pol_error *a, const struct pol_error *b)
{
	long la = a->line ? a->line : __INT_MAX__, lb = b->line ? b->line : __INT_MAX__;

	return la < lb || (la == lb && a->col < b->col);
}

/* Checks run section by section; readers want the file's order.  Insertion
 * sort: stable, and the checker caps the list (PC_MAX_ERRORS, pol_check.h). */
void pol_errors_sort(struct pol_errors *errs, size_t from)
{
	for (size_t i = from + 1; i < errs->n; i++) {
		struct pol_error e = errs->v[i];
		size_t j = i;

		for (; j > from && error_before(&e, &errs->v[j - 1]); j--)
			errs->v[j] = errs->v[j - 1];
		errs->v[j] = e;
	}
}
