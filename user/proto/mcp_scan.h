/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mcp_scan.h - strict RFC 8259 check of a JSON text, for mcp.c (internal).
 *
 * One pass over the raw text, before cJSON builds the tree: grammar, tokens
 * (strict numbers and literals, escapes, surrogate pairs), UTF-8, control
 * bytes, nesting depth.  Text that passes is text cJSON accepts and reads
 * the way any RFC 8259 parser would; the fuzz target checks the first half
 * of that claim.
 *
 * It also records which strings hold \u0000, by ordinal: strings (keys and
 * values) numbered in document order, which is the order of a pre-order walk
 * of the cJSON tree visiting each member's key before its value.  That is how
 * mcp.c finds NULs that cJSON's C strings hide.
 */
#ifndef SL_MCP_SCAN_H
#define SL_MCP_SCAN_H

/* Nesting limit of a whole body (a batch array counts as one level): deep
 * enough for any real tool arguments, shallow enough that recursion over the
 * tree is bounded. */
#ifndef MCP_MAX_DEPTH
#define MCP_MAX_DEPTH 64
#endif

#include <stdbool.h>
#include <stddef.h>

/* A string value's token in the text, quotes included. */
struct mcp_span {
	size_t off, len;
	bool nul;		/* it holds \u0000 (cJSON's C string stops there) */
};

struct mcp_scan {
	size_t n_strings;	/* keys and string values */
	size_t *nul;		/* ordinals of strings holding \u0000, ascending */
	size_t n_nul, cap_nul;
	/* mcp_scan_values() only: every string value (not keys), in document
	 * order, which is the order of a pre-order walk of the cJSON tree. */
	bool want_values;
	struct mcp_span *values;
	size_t n_values, cap_values;
};

struct mcp_scan_error {
	size_t off;		/* byte offset of the problem */
	bool too_deep;		/* nesting over MCP_MAX_DEPTH, not a syntax error */
	char what[160];
};

/* 0, -EINVAL (*err filled), or -ENOMEM.  *out is valid for mcp_scan_free()
 * whatever the return. */
int mcp_scan(const char *text, size_t len, struct mcp_scan *out, struct mcp_scan_error *err);
/* mcp_scan(), also recording where each string value is (out->values). */
int mcp_scan_values(const char *text, size_t len, struct mcp_scan *out,
		    struct mcp_scan_error *err);
void mcp_scan_free(struct mcp_scan *s);

/* Is @s (@len bytes) a number as RFC 8259 spells it (no leading zeros,
 * digits on both sides of '.', no '+' sign, no hex)? */
bool mcp_scan_number(const char *s, size_t len);

#endif
