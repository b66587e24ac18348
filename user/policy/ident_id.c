// SPDX-License-Identifier: GPL-2.0-only
/*
 * ident_id.c - identities and refusals (see ident_id.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ident_id.h"

void ident_clear(struct ident *id)
{
	for (size_t i = 0; i < id->n_scopes; i++)
		free(id->scopes[i]);
	free(id->scopes);
	free(id->issuer);
	free(id->subject);
	memset(id, 0, sizeof(*id));
}

bool ident_has_scope(const struct ident *id, const char *scope)
{
	for (size_t i = 0; i < id->n_scopes; i++)
		if (!strcmp(id->scopes[i], scope))
			return true;
	return false;
}

int ident_refuse(struct ident_refusal *why, const char *error, const char *description,
		 const char *detail, size_t detail_len)
{
	size_t n = 0, max = sizeof(why->detail) - 4;

	why->error = error;
	why->description = description;
	for (size_t i = 0; detail && i < detail_len && n < max; i++) {
		unsigned char ch = (unsigned char)detail[i];

		why->detail[n++] = ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\' ? '?' :
				   (char)ch;
	}
	if (detail && detail_len > max) {
		memcpy(why->detail + n, "...", 3);
		n += 3;
	}
	why->detail[n] = '\0';
	return -EACCES;
}
