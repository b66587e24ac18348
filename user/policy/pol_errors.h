/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pol_errors.h - the list of errors a policy check collects: what every
 * other part of policy/ reports into, so it depends on none of them.
 */
#ifndef SL_POL_ERRORS_H
#define SL_POL_ERRORS_H

#include <stddef.h>
#include <stdio.h>

/* One error found in a policy. */
struct pol_error {
	int line;		/* 1-based; 0 when the error has no position */
	int col;		/* 1-based, in bytes */
	char msg[256];
};

struct pol_errors {
	struct pol_error *v;
	size_t n, cap;
};

void pol_errors_free(struct pol_errors *errs);
/* Prints "FILE:LINE:COL: error: MSG" lines, one per error ("FILE: error: MSG"
 * for errors without a position). */
void pol_errors_print(const struct pol_errors *errs, const char *file, FILE *out);
/* Appends an error (line 0: no position).  0 or -ENOMEM. */
int pol_errors_add(struct pol_errors *errs, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Sorts the errors from index @from on into file order (stable); errors
 * without a position go last. */
void pol_errors_sort(struct pol_errors *errs, size_t from);

#endif
