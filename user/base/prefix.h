/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * prefix.h - address prefixes as operators write them ("198.18.0.0/15",
 * "2001:db8::/32", a bare address), shared by the policy checker and the
 * CLI so that both accept, refuse and explain exactly the same text.
 */
#ifndef SL_PREFIX_H
#define SL_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sluice_abi.h"

/* An address prefix, network byte order, host bits zero. */
struct sl_prefix {
	__u32 family;		/* SL_AF_INET / SL_AF_INET6 */
	__u32 addr[4];		/* v4 in addr[0] */
	__u32 prefixlen;	/* 0..32 or 0..128 */
};

/* Parses "198.18.0.0/15", "2001:db8::/32" or a bare address (full length).
 * Host bits set below the prefix are an error (-EINVAL): "10.0.0.1/8" is
 * almost always a typo.  Returns 0 or -EINVAL with a reason in *why (@why
 * may be NULL).  On the host-bits error only, *out holds the masked prefix
 * ("10.0.0.0/8") so that callers can suggest it; otherwise it is zeroed. */
int sl_prefix_parse(const char *text, struct sl_prefix *out, const char **why);
/* Formats as parsed ("a.b.c.d/n"); buf of at least SL_PREFIX_STRLEN. */
#define SL_PREFIX_STRLEN 64
const char *sl_prefix_format(const struct sl_prefix *p, char *buf, size_t len);
/* Clears the bits of @p below its prefix length. */
void sl_prefix_mask(struct sl_prefix *p);
/* Orders by family, then prefix length, then address. */
int sl_prefix_cmp(const struct sl_prefix *a, const struct sl_prefix *b);
/* True when @outer contains @inner (same family, shorter or equal prefix). */
bool sl_prefix_contains(const struct sl_prefix *outer, const struct sl_prefix *inner);

/* Why @text is not a prefix, for an error message: NULL when it is one.
 * A prefix with host bits set gets the masked form as a hint ("host bits
 * set (did you mean 10.0.0.0/8?)"), written into @buf. */
const char *sl_prefix_explain(const char *text, char *buf, size_t len);

#endif
