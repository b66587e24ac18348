/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gwconf.h - the daemon's view of a checked policy: listeners, limits,
 * backends and origin rules, bundled with the policy into one immutable,
 * reference-counted object.  Reload swaps the current object atomically;
 * every request holds a reference to the one it started under, so it is
 * judged wholly under one policy and nothing drops on reload.
 */
#ifndef SL_GWCONF_H
#define SL_GWCONF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/net.h"
#include "base/usage.h"
#include "policy/escalation.h"
#include "policy/decide.h"
#include "policy/ident.h"
#include "policy/limits.h"
#include "policy/redact.h"
#include "policy/policy.h"
#include "sessions.h"

/* Where the Protected Resource Metadata is (RFC 9728 3.1), also with mcp_path appended. */
#define GW_JOURNAL_SOCKET "/run/systemd/journal/socket"	/* journald runs */
#define GW_AUDIT_SPOOL "/var/lib/sluice/audit.spool"	/* audit.spool's default */
#define GATE_PRM_PATH "/.well-known/oauth-protected-resource"

struct gw_backend {
	char name[SL_NAME_MAX];
	struct net_addr addr;
	char authority[280];	/* host:port, the Host header towards it */
	char path[256];		/* Streamable HTTP endpoint */
	char sse_path[256];	/* legacy HTTP+SSE endpoint */
	unsigned int connect_timeout_ms;
	unsigned int timeout_ms;
	unsigned int pool_size;
	unsigned int failure_threshold;	/* consecutive failures that open the breaker */
	unsigned int open_ms;		/* how long it stays open before a probe */
	unsigned int retry_after_s;	/* told to clients while unavailable */
};

/* The context headers towards the backend (policy context_headers). */
enum gw_context {
	GW_CTX_AGENT,
	GW_CTX_CUSTOMER,
	GW_CTX_PLAN,
	GW_CTX_MAX,
};

struct gw_config {
	struct net_addr listen;
	char listen_str[64];
	struct net_addr admin;
	size_t max_header_bytes;
	size_t max_body_bytes;
	unsigned int header_timeout_ms;
	unsigned int idle_timeout_ms;
	unsigned int write_timeout_ms;	/* a client's answer pending, no progress: closed */
	size_t client_buffer_bytes;	/* a client's queues: read and parse stop above it */
	unsigned int max_connections;
	unsigned int max_connections_per_source;
	unsigned int workers;
	struct session_limits sessions;	/* limits.max_sessions, limits.session_idle_ms */
	char mcp_path[256];
	char audit_path[4097];	/* audit.jsonl; "" no sink */
	bool audit_journald;	/* audit.journald, else whether journald runs */
	char audit_spool[4097];	/* audit.spool */
	char context_headers[GW_CTX_MAX][65];	/* indexed by enum gw_context */
	char usage_path[4097];		/* usage.path, or --usage-db */
	unsigned int usage_retention_days;
	unsigned int usage_queue;
	struct gw_backend *backends;
	size_t n_backends;
	size_t default_backend;
	char *own_hosts[8];	/* the listener's own Host values, with and without its port */
	size_t n_own_hosts;
	char **allowed_hosts;	/* Host values accepted besides the listener's own */
	size_t n_allowed_hosts;
	bool learn_sources;	/* kernel.learn_sources (kernel.h) */
	unsigned int learn_idle_s;	/* kernel.learn_idle_s */
	bool limited_jsonrpc;	/* limited_answer "jsonrpc": a rate-limited call is
				 * answered 200 with the JSON-RPC error, not 429 */
	char **allowed_origins;	/* Origin values accepted besides the listener's own */
	size_t n_allowed_origins;
};

/* Command-line overrides: --listen, --backend, --usage-db, --audit-spool. */
struct gw_overrides {
	const char *listen;
	const char *backend_url;
	const char *usage_db;
	const char *audit_spool;
};

struct gw_policy {
	atomic_int refs;
	unsigned long generation;
	struct policy *pol;	/* owned */
	struct gw_config cfg;
	/* Built from @pol and living exactly as long: authentication's keys and
	 * JWKS, and the compiled decision model. */
	struct ident_ctx ident;
	bool have_ident;
	struct decide_model *model;
	/* The rate limits' state, for @model; gw_policy_install() carries the
	 * previous policy's state over into it. */
	struct decide_limiter *limiter;
	/* Escalation's counters (policy/escalation.h), carried over likewise. */
	struct esc_table *esc;
	/* Per agent (pol->agents' order): its slot in kernel.c's table, filled
	 * by kernel_policy() before the policy is installed. */
	int *agent_slot;
	struct redact_set *redact;	/* the redaction rules; NULL: none */
	char *prm_json;		/* Protected Resource Metadata (RFC 9728), served as is */
};

/* Takes ownership of @pol; NULL and a message in @err when unusable. */
struct gw_policy *gw_policy_build(struct policy *pol, const struct gw_overrides *ov,
				  char *err, size_t errlen);
struct gw_policy *gw_policy_ref(struct gw_policy *p);
void gw_policy_put(struct gw_policy *p);

/* The current policy (a new reference), and the swap that reload does. */
struct gw_policy *gw_policy_current(void);
void gw_policy_install(struct gw_policy *p);
/* Drops the current policy at exit (requests must be gone). */
void gw_policy_uninstall(void);

/* Parses "http://host:port/path" into a backend's address, authority and path. */
int gw_parse_url(const char *url, struct gw_backend *b);
const struct gw_backend *gw_find_backend(const struct gw_config *cfg, const char *name);

#endif
