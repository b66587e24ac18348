/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * demo_session.h - the demo backend's MCP sessions, shared by all workers.
 *
 * A client's connections land on any worker (SO_REUSEPORT), so sessions
 * live in one table behind one mutex, keyed by their id.  Callers hold no
 * pointers into it: every operation names the session by id, which keeps
 * the table free to evict and free at any time.  Connections are named by
 * (mailbox, fd, serial): their worker checks the serial before delivering,
 * so an fd reused by a newer connection never gets an older one's mail.
 */
#ifndef SL_DEMO_SESSION_H
#define SL_DEMO_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#define DEMO_SID_LEN		32	/* hex digits: 16 random bytes */
#define DEMO_SESSIONS_MAX	65536	/* then the oldest session is evicted */
#define DEMO_PENDING_MAX	16	/* unanswered server-to-client requests per session */
#define DEMO_RPC_ID_MAX		48

struct demo_mailbox;

/* One connection of one worker: mail for it goes to that worker's mailbox. */
struct demo_addr {
	struct demo_mailbox *mailbox;
	int fd;
	uint64_t serial;
};

/*
 * Makes a session with a fresh random id in @sid.  A legacy (HTTP+SSE)
 * session has @sink, the connection of its event stream, and ends with it.
 */
int demo_session_create(const struct demo_addr *sink, char sid[DEMO_SID_LEN + 1]);
bool demo_session_exists(const char *sid);
bool demo_session_delete(const char *sid);
/* The legacy session's stream; false when no such session. */
bool demo_session_sink(const char *sid, struct demo_addr *sink);
/* A number unique within the session (stream and request ids); 0: no session. */
uint64_t demo_session_next_seq(const char *sid);

/* Server-to-client requests waiting for the client's response, by JSON-RPC id. */
int demo_session_add_pending(const char *sid, const char *rpc_id, const struct demo_addr *waiter);
bool demo_session_take_pending(const char *sid, const char *rpc_id, struct demo_addr *waiter);

unsigned int demo_session_count(void);
void demo_sessions_free_all(void);

#endif
