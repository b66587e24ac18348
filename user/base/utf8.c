// SPDX-License-Identifier: GPL-2.0-only
/*
 * utf8.c - see utf8.h.
 */
#include <string.h>

#include "utf8.h"

void utf8_mend_cuts(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p;) {
		unsigned int need = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1;
		unsigned int have = 1;

		if (*p >= 0x80 && *p < 0xc0) {
			*p++ = '?';	/* a continuation byte without its lead */
			continue;
		}
		while (have < need && (p[have] & 0xc0) == 0x80)
			have++;
		if (have < need)
			memset(p, '?', have);
		p += have;
	}
}
