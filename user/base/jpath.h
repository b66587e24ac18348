/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jpath.h - how the policy checker and the MCP inspector name a place in a
 * JSON document in their messages ("agents.bot.plan", "params[\"a b\"]").
 */
#ifndef SL_JPATH_H
#define SL_JPATH_H

#include <stdbool.h>

/* A key that can stand in a dotted path unquoted: [A-Za-z0-9_-]+. */
static inline bool jpath_plain_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '_' && *s != '-')
			return false;
	return true;
}

#endif
