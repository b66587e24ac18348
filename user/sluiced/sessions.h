/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sessions.h - the session table every worker shares: which backend an MCP
 * session lives on (a session's requests may land on any worker), and what
 * its client said about itself.
 */
#ifndef SL_SESSIONS_H
#define SL_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

#define SL_SESSION_ID_MAX	128

struct session {
	char backend[SL_NAME_MAX];
	char legacy_path[512];		/* HTTP+SSE sessions: the backend's message path */
	char client_name[64], client_version[32];
};

/* Adds or replaces @id's entry; an id of SL_SESSION_ID_MAX bytes or more is ignored. */
void sessions_put(const char *id, const struct session *s);
bool sessions_get(const char *id, struct session *out);
void sessions_del(const char *id);
/* The session id of "/message?sessionId=..." into @out; false when absent,
 * empty or too long for @len. */
bool sessions_query_id(const char *url, char *out, size_t len);

#endif
