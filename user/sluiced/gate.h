/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gate.h - who a request comes from and what it may do: authentication
 * (policy/ident.h) turned into the decision's identity (policy/verdict.h),
 * the decision on each POSTed message (policy/decide.h), the filtering of
 * list answers, and the Protected Resource Metadata (RFC 9728) a client
 * reads to find where its token comes from.
 */
#ifndef SL_GATE_H
#define SL_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "audit.h"
#include "gwconf.h"
#include "ledger.h"
#include "proto/inspect.h"


/* The ids of a POST's list requests (tools/list...), whose answers are filtered. */
struct gate_lists {
	char **ids;			/* JSON text, as inspect_ids */
	enum mcp_method *methods;
	size_t n;
};

/* One POST being judged: what goes in, what comes out. */
struct gate_req {
	const struct gw_policy *gp;
	int auth_rc;			/* gate_identify()'s answer */
	struct ident_refusal why;	/* auth_rc == -EACCES */
	struct identity id;
	char message[448];		/* out: a refusal's message, whole */
	char extra[768];		/* out: header lines for a refusal (WWW-Authenticate,
					 * Retry-After, RateLimit) */
	char data[384];			/* out: a refusal's JSON-RPC error data (JSON), or "" */
	char ratelimit[512];		/* out: the RateLimit header lines of an allowed call */
	double cost_per_kib;		/* out: a single call's cost per KiB of answer (a
					 * batch: the highest of its calls') */
	bool backend_set;		/* out: a batch's tool calls named a backend... */
	bool backend_conflict;		/* ... and not all the same one */
	/* in: for the audit records (when the policy names a sink) */
	const char *source;		/* the client's address:port */
	const char *session;		/* the session the request names, or NULL */
	/* out: the audit records of the tools/call, resources/read and
	 * prompts/get messages judged (gate_audit_emit() or the exchange's) */
	struct audit_rec **audit;
	size_t n_audit;
	char *body;			/* out: the rewritten body (malloc), or NULL */
	size_t body_len;
	const char *backend;		/* out: the verdict's backend (one tools/call), or NULL */
	struct gate_lists lists;	/* out: forwarded list requests only */
	struct batch_answers batch;	/* out: a batch's requests, the refused ones answered */
	size_t body_bytes;		/* the POST's body, for the ledger */
	struct ledger_pending usage;	/* out: allowed calls, noted when answered */
	bool tripped;			/* out: a refusal of this request banned its agent */
	__u64 banned_until_ns;		/* ... until then */
};

/* The name of @id's agent under @gp, "" for nobody. */
const char *gate_agent_name(const struct gw_policy *gp, const struct identity *id);
/*
 * Identifies a request by its credential, or, when it carries none, by its
 * source address @peer (agents.*.sources; the longest prefix wins): 0 with
 * *id; -ENOENT (nothing identifies it) or -EACCES (a credential refused,
 * @why: a wrong credential is never excused by the address) when the
 * policy has agents.  An open gateway never refuses: such a caller is nobody.
 */
int gate_identify(const struct gw_policy *gp, const struct http_msg *msg,
		  const struct net_addr *peer, struct identity *id, struct ident_refusal *why);
/* Is @id's agent banned now?  Then @g (its gp and id set) is refused 403
 * with DECIDE_ERR_BANNED and the connection is to close (res->close). */
int gate_refuse_banned(struct gate_req *g, struct inspect_result *res, __u64 until_ns,
		       __u64 now_ns);
/* The 401 of a failed gate_identify(): message and WWW-Authenticate header line. */
void gate_unauthorized(const struct gw_policy *gp, int rc, const struct ident_refusal *why,
		       char *msg, size_t msg_len, char *extra, size_t extra_len);
/* The RateLimit-Policy and RateLimit header lines (IETF httpapi-ratelimit-
 * headers) of the limit a verdict reports, or "" when none applied. */
void gate_ratelimit_headers(const struct decide_verdict *v, char *buf, size_t len);
/*
 * An inspect_judge_fn: @ctx is a struct gate_req.  A single message is
 * refused as its verdict says.  A batch is judged element by element: the
 * refused requests get the gateway's error in g->batch, refused
 * notifications and responses are dropped, and the rest goes on, in
 * g->body when anything was refused or rewritten; res->ids then holds the
 * forwarded requests' ids only.  A batch whose elements are all refused
 * passes too, with g->batch.n_forwarded 0: the caller answers it.  Only a
 * failure of the whole request (authentication, or an element refused
 * with 401: the identity itself) refuses a batch whole.
 */
int gate_judge(void *ctx, struct mcp_batch *b, struct inspect_result *res);
void gate_req_free(struct gate_req *g);
void gate_lists_free(struct gate_lists *l);
/* The list method of the request an answer with id @rid (JSON text) answers;
 * false when it answers no list request. */
typedef bool (*gate_list_lookup)(void *ctx, const char *rid, enum mcp_method *m);
/* A gate_list_lookup over a struct gate_lists (@ctx). */
bool gate_lists_lookup(void *ctx, const char *rid, enum mcp_method *m);
/* The policy's redaction over @text (@len bytes): as redact_text() (JSON) or
 * redact_plain() (@json false), with a scratch of its own. */
int gate_redact(const struct gw_policy *gp, const char *text, size_t len, bool json, char **out,
		size_t *out_len, struct redact_counts *counts);
/* Emits @g's audit records, answered with HTTP @status, and forgets them. */
void gate_audit_emit(struct gate_req *g, int status);
/* The decision's clock (CLOCK_MONOTONIC, ns). */
__u64 gate_now_ns(void);
/* Charges @id's budgets @cost_per_kib for each KiB of an answer of @bytes. */
void gate_charge_answer(const struct gw_policy *gp, const struct identity *id,
			double cost_per_kib, size_t bytes);
/* FNV-1a of an id's JSON text, never 0 (the session table keeps hashes). */
uint64_t gate_id_hash(const char *rid);
/* Filters the list results in a JSON-RPC body (a response or a batch of
 * them) for @id: NULL when nothing changed, else the new body (malloc). */
char *gate_filter_answer(const struct gw_policy *gp, const struct identity *id,
			 gate_list_lookup lookup, void *ctx, const char *body, size_t len);

#endif
