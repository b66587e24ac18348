/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * audit.h - the audit record of every tool call, resource read and prompt
 * get, and the JSONL sink it goes to (the policy's audit.jsonl).
 *
 * A record is filled by the gate (who, what, the decision) and, for a call
 * that went on, by the exchange when it ends (backend, status, latency,
 * bytes, redactions).  audit_emit() formats it as one JSON line and copies
 * it into the spool: a ring in a file mapped MAP_SHARED (spool.h), whose
 * pages the kernel keeps when the process dies, even by SIGKILL.  One
 * writer thread takes the records from the spool to the sinks (journald
 * through journal.h, the JSONL file) and only then marks them done; the
 * next start replays what a killed daemon left.  The request path never
 * touches a sink and never waits on one: past the spool's capacity a record
 * is dropped and counted, and the writer reports the loss (a log line, an
 * "audit_loss" record at error priority) once a second while it grows.
 * SIGUSR1 reopens the file (logrotate moves it, then signals).
 */
#ifndef SL_AUDIT_H
#define SL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/redact.h"
#include "policy/verdict.h"
#include "sessions.h"	/* SL_SESSION_ID_MAX */

#define AUDIT_SPOOL_BYTES (32u << 20)	/* records waiting for the writer, all together */
#define AUDIT_ARGS_MAX 65536	/* arguments longer than this: only their hash */

struct audit_rec {
	/* who */
	char agent[64], customer[64], plan[64];
	char client_name[64], client_version[32];
	char session[SL_SESSION_ID_MAX];
	char source[64];		/* "127.0.0.1:50412" */
	/* what */
	char method[40];		/* tools/call, resources/read, prompts/get */
	char target[200];		/* the tool, the URI or the prompt */
	char *arguments;		/* the arguments as JSON, redacted (malloc), or NULL */
	char arguments_sha256[65];	/* of the arguments as the agent sent them */
	size_t arguments_omitted;	/* their size, when over AUDIT_ARGS_MAX */
	/* the decision */
	enum decide_action action;
	enum decide_reason reason;
	int code;			/* refused: the JSON-RPC error */
	char rule[192];
	double cost;
	char upsell[200];		/* premium arguments let through, space-separated */
	bool budget_over;
	/* the exchange, when it went on */
	char backend[64];
	int status;			/* HTTP status the agent got; 0: none (the client left) */
	uint64_t start_ns;		/* CLOCK_MONOTONIC when the request was judged */
	double latency_ms;
	size_t request_bytes, response_bytes;
	struct redact_counts redactions;
	const struct redact_set *rules;	/* names the redaction counts */
};

/* Where the records go (the policy's "audit" object, gwconf.h). */
struct audit_sinks {
	const char *jsonl;	/* the JSONL file; NULL: none */
	bool journald;		/* sd_journal_send, from the writer thread */
	const char *spool;	/* the crash-safe spool file; NULL: in memory only */
};

/* Starts the writer: opens (or replays) the spool, checks the JSONL file.
 * 0 or -errno (the JSONL file cannot be opened: said at start).  A spool
 * that cannot be made is a warning: the records then wait in memory. */
int audit_start(const struct audit_sinks *s);
/* A reload: the policy may name another file (or none), or turn journald
 * on or off; the spool stays (a restart moves it). */
int audit_set_sinks(const struct audit_sinks *s);
/* SIGUSR1: reopen the file by its name. */
void audit_reopen(void);
/* Writes what is queued and stops the writer (SIGTERM). */
void audit_stop(void);
/* True when some sink takes records (audit_emit() is worth calling). */
bool audit_enabled(void);
/* Queues @r as one line (formatting it here); never blocks.  Frees
 * r->arguments. */
void audit_emit(struct audit_rec *r);
/* A record of another kind than a call ("ban", "ban_lifted"): "time" and
 * "event" first, then @fields' members (@fields is taken over and freed;
 * NULL: none).  Never blocks; dropped quietly without a sink. */
void audit_emit_event(const char *event, struct cJSON *fields);
/* Queues one ready record, a JSON object's text without a newline (kernel
 * summaries, bans): the same spool, writer and sinks as audit_emit(). */
void audit_line(const char *json);
/* Records lost (a full spool, a sink that failed) since the start. */
uint64_t audit_lost(void);
/* Records queued for the writer now (the admin port's gauge). */
size_t audit_queued(void);

#endif
