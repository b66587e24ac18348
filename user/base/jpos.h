/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jpos.h - JSON parsed by cJSON, with the text position of every value.
 *
 * cJSON decides what is valid JSON and builds the tree; it keeps no
 * positions.  jsmn tokenises the same text with byte offsets, and the two are
 * walked in step (both keep members in document order, duplicates included)
 * to map each cJSON item to the offset of its value and of its key.  jsmn is
 * never the judge of validity: its non-strict mode accepts things cJSON
 * refuses, so it only runs over text cJSON already accepted, or over the
 * prefix in front of a syntax error to say what was expected there.
 *
 * Offsets count bytes from the start of the text after any UTF-8 byte order
 * mark, so that columns match what editors show.
 */
#ifndef SL_JPOS_H
#define SL_JPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

struct jpos;

/* A syntax error: where, and a message saying what was expected there. */
struct jpos_error {
	size_t off;
	char msg[200];
};

/* Indexes the lines of @text (@len bytes; need not be NUL-terminated).  The
 * text must outlive the jpos.  NULL when out of memory. */
struct jpos *jpos_new(const char *text, size_t len);
void jpos_free(struct jpos *jp);

/*
 * Parses the whole text as one JSON value.  0: *root is the tree (the caller
 * owns it) and positions are available.  -EINVAL: a syntax error (control
 * bytes, malformed JSON, trailing characters), described in *err.  -ENOMEM.
 */
int jpos_parse(struct jpos *jp, cJSON **root, struct jpos_error *err);

/* Offset of @item's value (a string's opening quote) or of its key's quote.
 * False for items that are not in the text (added after parsing). */
bool jpos_value_off(const struct jpos *jp, const cJSON *item, size_t *off);
bool jpos_key_off(const struct jpos *jp, const cJSON *item, size_t *off);
/* False if the index could not be built (cJSON and jsmn disagreed, which
 * should never happen): positions are then unknown, not guessed. */
bool jpos_indexed(const struct jpos *jp);
/* The value's text as written (numbers keep their spelling); NULL if unknown. */
const char *jpos_raw(const struct jpos *jp, const cJSON *item, size_t *len);

/* 1-based line and byte column of @off. */
void jpos_line_col(const struct jpos *jp, size_t off, int *line, int *col);

#endif
