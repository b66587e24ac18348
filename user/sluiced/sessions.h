/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sessions.h - the session table every worker shares: which backend an MCP
 * session lives on (a session's requests may land on any worker), and what
 * its client said about itself.
 *
 * The table is bounded and never evicts a live session to make room: when
 * limits.max_sessions entries (plus the slots reserved for answers still
 * on their way) are there, a NEW session is refused.  A session expires
 * once it was unused for limits.session_idle_ms: no request named it and
 * it had no open stream.  A session with an open stream never expires.
 * Legacy (HTTP+SSE) sessions live exactly as long as their /sse stream:
 * the exchange that carries the stream deletes them when it ends.
 */
#ifndef SL_SESSIONS_H
#define SL_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

#define SL_SESSION_ID_MAX	128

#define SESSION_LISTS 16

struct session {
	char backend[SL_NAME_MAX];
	char legacy_path[512];		/* HTTP+SSE sessions: the backend's message path */
	char client_name[64], client_version[32];
	/* The agent that opened it ("" nobody): by name, which outlives a
	 * reload that reorders the agents.  Another caller gets a 404. */
	char agent[SL_NAME_MAX];
	/* HTTP+SSE: list requests POSTed to /message whose answers are still
	 * to come on the /sse stream, where they are filtered (gate.h): the
	 * FNV-1a hash of the id's JSON text (0: free) and the method. */
	uint64_t list_ids[SESSION_LISTS];
	int list_methods[SESSION_LISTS];
};

/* The policy's bounds (limits.max_sessions, limits.session_idle_ms).  Each
 * call takes those of the policy its request runs under. */
struct session_limits {
	unsigned int max;
	unsigned int idle_ms;
};

/* sessions_put() flags. */
#define SESSION_RESERVED	0x1u	/* fills a slot sessions_reserve() set aside; the
					 * reservation is spent whatever the outcome */
#define SESSION_STREAM		0x2u	/* the session has one more open stream */
#define SESSION_IF_ABSENT	0x4u	/* an existing entry keeps its data */

/* Sets a slot aside for a session an answer on its way may begin (the
 * initialize request, the legacy /sse stream).  -ENOSPC when the table is
 * full even after dropping the expired sessions. */
int sessions_reserve(const struct session_limits *lim);
/* Gives back a slot no answer used. */
void sessions_unreserve(void);
/* Adds @id, or replaces its data (an existing entry's streams are kept).
 * 0; -EINVAL for an id that is empty, of SL_SESSION_ID_MAX bytes or more,
 * or not visible ASCII; -ENOSPC when a new entry without a reservation
 * finds the table full; -ENOMEM. */
int sessions_put(const char *id, const struct session *s, unsigned int flags,
		 const struct session_limits *lim);
/*
 * A request names @id: true with its entry in @out when the session is
 * known and not expired (an expired one is deleted and reported unknown).
 * The use restarts the idle clock; @open_stream counts one more open stream
 * until sessions_stream_end().  One lookup: this is the per-request cost.
 */
bool sessions_use(const char *id, unsigned int idle_ms, bool open_stream, struct session *out);
/* A stream counted by sessions_use()/SESSION_STREAM ended, however it ended;
 * when it was the last one, the idle clock starts. */
void sessions_stream_end(const char *id, unsigned int idle_ms);
void sessions_del(const char *id);
/* A list request with id hash @rid (not 0) of @method awaits its answer on
 * @id's /sse stream.  0; -ENOENT no session; -ENOSPC SESSION_LISTS await. */
int sessions_list_add(const char *id, uint64_t rid, int method);
/* The answer with id hash @rid came: true with its method, and forgotten. */
bool sessions_list_take(const char *id, uint64_t rid, int *method);
/* Forgets every session and reservation. */
void sessions_clear(void);
/* The clock expiry reads, in milliseconds; NULL: CLOCK_MONOTONIC.  Tests
 * inject theirs before any other call. */
void sessions_set_clock(uint64_t (*now_ms)(void));
/* The session id of "/message?sessionId=..." into @out; false when absent,
 * empty, not visible ASCII or too long for @len. */
bool sessions_query_id(const char *url, char *out, size_t len);

#endif
