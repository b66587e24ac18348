// SPDX-License-Identifier: GPL-2.0-only
/*
 * prefix.c - address prefixes as policies write them: "198.18.0.0/15",
 * "2001:db8::/32", or a bare address meaning the full length.
 *
 * Parsing is strict on purpose: what ends up in the kernel's LPM tries must
 * be exactly what the operator meant, so host bits below the prefix length,
 * leading zeros, whitespace and IPv4-mapped IPv6 forms are refused rather
 * than quietly normalised.
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>

#include "prefix.h"

static __u32 family_bits(__u32 family)
{
	return family == SL_AF_INET ? 32 : 128;
}

/* Records why @text is not a prefix; always -EINVAL, for one-line returns. */
static int refuse(const char **why, const char *reason)
{
	*why = reason;
	return -EINVAL;
}

/* The mask of word @i (of 4) for a prefix of @len bits, network order. */
static __u32 word_mask(__u32 len, __u32 i)
{
	__u32 bits_before = i * 32;

	if (len >= bits_before + 32)
		return ~0U;
	if (len <= bits_before)
		return 0;
	return htonl(~0U << (32 - (len - bits_before)));
}

void sl_prefix_mask(struct sl_prefix *p)
{
	for (__u32 i = 0; i < 4; i++)
		p->addr[i] &= word_mask(p->prefixlen, i);
}

int sl_prefix_cmp(const struct sl_prefix *a, const struct sl_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen < b->prefixlen ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* True when @a and @b agree on their first @len bits. */
static bool bits_equal(const __u32 *a, const __u32 *b, __u32 len)
{
	for (__u32 i = 0; i < 4; i++) {
		__u32 m = word_mask(len, i);

		if ((a[i] & m) != (b[i] & m))
			return false;
	}
	return true;
}

/* "0".."128": decimal, no sign, no leading zero; -1 when not a length. */
static int parse_length(const char *s)
{
	int v = 0;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int parse_address(const char *s, struct sl_prefix *out, const char **why)
{
	static const __u8 v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, out->addr) != 1)
			return refuse(why, "not an IPv6 address");
		/* XDP sees such traffic as IPv4; a v6 entry for it would never match. */
		if (!memcmp(out->addr, v4_mapped, sizeof(v4_mapped)))
			return refuse(why, "IPv4-mapped IPv6 address; write the IPv4 form");
		out->family = SL_AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, s, &out->addr[0]) != 1)
		return refuse(why, "not an IPv4 address (a.b.c.d, no leading zeros)");
	out->family = SL_AF_INET;
	return 0;
}

static int parse_prefix(const char *text, struct sl_prefix *out, const char **why)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	int len;

	if (!*text)
		return refuse(why, "empty");
	if (alen >= sizeof(addr))
		return refuse(why, "too long for an address");
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (parse_address(addr, out, why))
		return -EINVAL;
	len = slash ? parse_length(slash + 1) : (int)family_bits(out->family);
	if (len < 0 || len > (int)family_bits(out->family))
		return refuse(why, out->family == SL_AF_INET ?
			"prefix length must be a number 0..32" :
			"prefix length must be a number 0..128");
	out->prefixlen = (__u32)len;
	return 0;
}

/*
 * On the host-bits error *out holds the masked prefix, so a caller can
 * suggest what was probably meant; on any other error *out is zeroed.
 */
int sl_prefix_parse(const char *text, struct sl_prefix *out, const char **why)
{
	struct sl_prefix masked;
	const char *ignored;

	if (!why)
		why = &ignored;
	memset(out, 0, sizeof(*out));
	if (parse_prefix(text, out, why)) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	masked = *out;
	sl_prefix_mask(&masked);
	if (memcmp(masked.addr, out->addr, sizeof(masked.addr))) {
		*out = masked;
		*why = "host bits set below the prefix length";
		return -EINVAL;
	}
	*why = NULL;
	return 0;
}

const char *sl_prefix_format(const struct sl_prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int af = p->family == SL_AF_INET ? AF_INET : AF_INET6;

	if (!len)
		return buf;
	if ((p->family != SL_AF_INET && p->family != SL_AF_INET6) ||
	    !inet_ntop(af, p->addr, addr, sizeof(addr))) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%s/%u", addr, p->prefixlen);
	return buf;
}

bool sl_prefix_contains(const struct sl_prefix *outer, const struct sl_prefix *inner)
{
	if (outer->family != inner->family || outer->prefixlen > inner->prefixlen)
		return false;
	if (outer->prefixlen > family_bits(outer->family))
		return false;
	return bits_equal(outer->addr, inner->addr, outer->prefixlen);
}

const char *sl_prefix_explain(const char *text, char *buf, size_t len)
{
	char fixed[SL_PREFIX_STRLEN];
	struct sl_prefix p;
	const char *why = NULL;

	if (!sl_prefix_parse(text, &p, &why))
		return NULL;
	if (!why)
		why = "not an address or CIDR prefix";
	if (!p.family)
		return why;
	/* Only the host-bits error leaves a prefix behind: offer the fix. */
	snprintf(buf, len, "%s (did you mean %s?)", why, sl_prefix_format(&p, fixed, sizeof(fixed)));
	return buf;
}
