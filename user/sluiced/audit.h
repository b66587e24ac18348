/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * audit.h - the audit record of every tool call, resource read and prompt
 * get, and the JSONL sink it goes to (the policy's audit.jsonl).
 *
 * A record is filled by the gate (who, what, the decision) and, for a call
 * that went on, by the exchange when it ends (backend, status, latency,
 * bytes, redactions).  audit_emit() formats it as one JSON line and queues
 * it; a writer thread appends the lines to the file.  The request path
 * never touches the disk and never waits: past the queue's capacity a
 * record is dropped and counted, and the writer reports the loss (a log
 * line, and an "audit_loss" record in the file) once a second while it
 * grows.  SIGUSR1 reopens the file (logrotate moves it, then signals).
 */
#ifndef SL_AUDIT_H
#define SL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/redact.h"
#include "policy/verdict.h"
#include "sessions.h"	/* SL_SESSION_ID_MAX */

#define AUDIT_QUEUE 65536	/* lines waiting for the writer */
#define AUDIT_QUEUE_BYTES (64u << 20)	/* and their bytes, all together */
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

/* Starts the writer on @path (NULL: no sink; records are dropped quietly).
 * 0 or -errno (the file cannot be opened: say so at start). */
int audit_start(const char *path);
/* A reload: the policy may name another file (or none). */
int audit_set_path(const char *path);
/* SIGUSR1: reopen the file by its name. */
void audit_reopen(void);
/* Writes what is queued and stops the writer (SIGTERM). */
void audit_stop(void);
/* Queues @r as one line (formatting it here); never blocks.  Frees
 * r->arguments. */
void audit_emit(struct audit_rec *r);
/* Records lost to a full queue since the start. */
uint64_t audit_lost(void);
/* Records queued for the writer now (the admin port's gauge). */
size_t audit_queued(void);

#endif
