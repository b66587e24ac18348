// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate.c - authentication, the decision and list filtering for the proxy
 * (see gate.h).  Refusals follow policies/README.md's table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "base/buf.h"
#include "base/jarena.h"
#include "base/log.h"
#include "base/prefix.h"
#include "base/utf8.h"
#include "gate.h"
#include "kernel.h"

const char *gate_agent_name(const struct gw_policy *gp, const struct identity *id)
{
	if (id->agent < 0 || (size_t)id->agent >= gp->pol->n_agents)
		return "";
	return gp->pol->agents[id->agent].name;
}

/* --- authentication ---------------------------------------------------------------- */

/* The decision's identity of an authenticated @in: its agent's plan and
 * customer, a token's plan claim and scopes. */
static void identity_from(const struct decide_model *dm, const struct ident *in,
			  struct identity *out)
{
	decide_identity_of(dm, (int)in->agent, in->via == IDENT_VIA_JWT ? IDM_JWT : IDM_API_KEY,
			   out);
	if (in->plan[0])
		snprintf(out->plan, sizeof(out->plan), "%s", in->plan);
	for (size_t i = 0; i < in->n_scopes && out->n_scopes < IDENTITY_MAX_SCOPES; i++)
		if (strlen(in->scopes[i]) < IDENTITY_SCOPE_MAX)
			strcpy(out->scopes[out->n_scopes++], in->scopes[i]);
}

/* @peer as a full-length prefix; false for a family sources cannot name. */
static bool peer_prefix(const struct net_addr *peer, struct sl_prefix *out)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&peer->ss;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&peer->ss;

	memset(out, 0, sizeof(*out));
	if (peer->ss.ss_family == AF_INET) {
		*out = (struct sl_prefix){ .family = SL_AF_INET, .prefixlen = 32 };
		memcpy(out->addr, &v4->sin_addr, 4);
	} else if (peer->ss.ss_family == AF_INET6) {
		*out = (struct sl_prefix){ .family = SL_AF_INET6, .prefixlen = 128 };
		memcpy(out->addr, &v6->sin6_addr, 16);
	} else {
		return false;
	}
	return true;
}

/* The agent whose agents.*.sources holds @peer most narrowly, as the
 * kernel's source table decides; IDENTITY_NO_AGENT when none does. */
static int agent_by_source(const struct policy *pol, const struct net_addr *peer)
{
	struct sl_prefix me;
	int best = IDENTITY_NO_AGENT;
	__u32 best_len = 0;

	if (!peer || !peer_prefix(peer, &me))
		return best;
	for (size_t a = 0; a < pol->n_agents; a++)
		for (size_t i = 0; i < pol->agents[a].n_sources; i++) {
			const struct sl_prefix *src = &pol->agents[a].sources[i];

			if (sl_prefix_contains(src, &me) &&
			    (best == IDENTITY_NO_AGENT || src->prefixlen > best_len)) {
				best = (int)a;
				best_len = src->prefixlen;
			}
		}
	return best;
}

int gate_identify(const struct gw_policy *gp, const struct http_msg *msg,
		  const struct net_addr *peer, struct identity *id, struct ident_refusal *why)
{
	struct ident in = {};
	int rc, agent;

	decide_identity_of(gp->model, IDENTITY_NO_AGENT, IDM_NONE, id);
	rc = ident_authenticate(&gp->ident, msg->names, msg->values, msg->n_headers, time(NULL),
				&in, why);
	if (!rc)
		identity_from(gp->model, &in, id);
	ident_clear(&in);
	/* No credential at all: a source address of an agent names it. */
	if (rc == -ENOENT && (agent = agent_by_source(gp->pol, peer)) != IDENTITY_NO_AGENT) {
		decide_identity_of(gp->model, agent, IDM_SOURCE, id);
		rc = 0;
	}
	if (rc == -EACCES)
		pr_debug("sluiced: credential refused: %s (%s)\n", why->description, why->detail);
	return decide_open_gateway(gp->model) ? 0 : rc;
}

void gate_unauthorized(const struct gw_policy *gp, int rc, const struct ident_refusal *why,
		       char *msg, size_t msg_len, char *extra, size_t extra_len)
{
	int n = snprintf(extra, extra_len, "WWW-Authenticate: Bearer resource_metadata=\"http://%s"
			 GATE_PRM_PATH "%s\"", gp->cfg.listen_str, gp->cfg.mcp_path);

	if (rc == -EACCES && n > 0 && (size_t)n < extra_len)
		n += snprintf(extra + n, extra_len - (size_t)n, ", error=\"%s\", "
			      "error_description=\"%s\"", why->error, why->description);
	if (n > 0 && (size_t)n < extra_len)
		snprintf(extra + n, extra_len - (size_t)n, "\r\n");
	if (rc == -EACCES)
		snprintf(msg, msg_len, "sluice: credential refused (%s): %s", why->error,
			 why->description);
	else if (rc == -ENOENT)
		snprintf(msg, msg_len, "sluice: this gateway serves the agents of its policy "
			 "only: send the agent's API key or token");
	else
		snprintf(msg, msg_len, "sluice: out of memory while authenticating; try again");
}

/* --- the decision ------------------------------------------------------------------------ */

__u64 gate_now_ns(void)
{
	struct timespec ts;

	/* Monotonic: a wall clock stepped back must not stretch a rate limit
	 * (the limiter knows UTC from it for budgets: limits.h). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static bool is_list(enum mcp_method m)
{
	return m == MCP_M_TOOLS_LIST || m == MCP_M_RESOURCES_LIST ||
	       m == MCP_M_RESOURCES_TEMPLATES_LIST || m == MCP_M_PROMPTS_LIST;
}

/* Remembers @m's id when it is a list request, to filter its answer. */
static int note_list(struct gate_lists *l, const struct mcp_msg *m)
{
	char **ids, *text;
	enum mcp_method *ms;

	if (m->kind != MCP_REQUEST || !m->info || !is_list(m->info->id) || !m->id)
		return 0;
	ids = realloc(l->ids, (l->n + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	l->ids = ids;
	ms = realloc(l->methods, (l->n + 1) * sizeof(*ms));
	if (!ms)
		return -ENOMEM;
	l->methods = ms;
	/* Printed inside the arena (or past it, with malloc): copied out. */
	text = cJSON_PrintUnformatted(m->id);
	ids[l->n] = text ? strdup(text) : NULL;
	cJSON_free(text);
	if (!ids[l->n])
		return -ENOMEM;
	ms[l->n++] = m->info->id;
	return 0;
}

/* The whole message goes in g->message: res->message is shorter than a verdict's. */
static int refuse_with(struct gate_req *g, struct inspect_result *res, int status, int code,
		       const char *message)
{
	res->http_status = status;
	res->code = code;
	snprintf(g->message, sizeof(g->message), "%s", message);
	snprintf(res->message, sizeof(res->message), "%.255s", message);
	utf8_mend_cuts(g->message);
	utf8_mend_cuts(res->message);
	return -EACCES;
}

/* --- rate limits -------------------------------------------------------------------- */

void gate_ratelimit_headers(const struct decide_verdict *v, char *buf, size_t len)
{
	const struct decide_limit *l = &v->limit;

	buf[0] = 0;
	if (!v->has_limit)
		return;
	/* The limit's name is a tool's (checked by the policy: no '"' or '\')
	 * or a class's: a valid sf-string as it is. */
	snprintf(buf, len, "RateLimit-Policy: \"%s\";q=%u;w=%u\r\n"
		 "RateLimit: \"%s\";r=%u;t=%u\r\n", l->name, l->quota, l->window_s, l->name,
		 l->remaining, l->reset_s);
}

/* A limit's refusal: what the agent needs to come back at the right time,
 * as the error's data (JSON text in @buf, "" when out of memory). */
static void limit_data(const struct decide_verdict *v, char *buf, size_t len)
{
	const struct decide_limit *l = &v->limit;
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;

	buf[0] = 0;
	if (o && cJSON_AddStringToObject(o, "limit", l->name) &&
	    cJSON_AddStringToObject(o, "rule", l->rule) &&
	    cJSON_AddNumberToObject(o, "quota", l->quota) &&
	    cJSON_AddNumberToObject(o, "window_s", l->window_s) &&
	    cJSON_AddNumberToObject(o, "remaining", l->remaining) &&
	    cJSON_AddNumberToObject(o, "retry_after_ms", (double)l->retry_after_ms))
		text = cJSON_PrintUnformatted(o);
	if (text && strlen(text) < len)
		strcpy(buf, text);
	cJSON_free(text);
	cJSON_Delete(o);
}

/* A spent budget's refusal: which budget, and when it resets. */
static void budget_data(const struct decide_verdict *v, char *buf, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;

	buf[0] = 0;
	if (o && cJSON_AddStringToObject(o, "budget", v->rule) &&
	    cJSON_AddNumberToObject(o, "retry_after_ms", (double)v->budget_reset_s * 1000))
		text = cJSON_PrintUnformatted(o);
	if (text && strlen(text) < len)
		strcpy(buf, text);
	cJSON_free(text);
	cJSON_Delete(o);
}

/* A single message's refusal, as the verdict says; a missing scope adds
 * RFC 6750's insufficient_scope challenge, a limit Retry-After and the
 * RateLimit fields. */
static int refuse_verdict(struct gate_req *g, const struct decide_verdict *v,
			  struct inspect_result *res)
{
	if (v->reason == DR_SCOPE)
		snprintf(g->extra, sizeof(g->extra), "WWW-Authenticate: Bearer "
			 "error=\"insufficient_scope\", scope=\"%s\"\r\n", v->scopes);
	else if (v->reason == DR_LIMITED) {
		size_t n = (size_t)snprintf(g->extra, sizeof(g->extra), "Retry-After: %u\r\n",
					    v->limit.reset_s);

		if (n < sizeof(g->extra))
			gate_ratelimit_headers(v, g->extra + n, sizeof(g->extra) - n);
		limit_data(v, g->data, sizeof(g->data));
	} else if (v->reason == DR_BUDGET) {
		snprintf(g->extra, sizeof(g->extra), "Retry-After: %llu\r\n",
			 (unsigned long long)v->budget_reset_s);
		budget_data(v, g->data, sizeof(g->data));
	} else if (v->http_status == 401)	/* RFC 9110 11.6.1: a 401 carries a challenge */
		snprintf(g->extra, sizeof(g->extra), "WWW-Authenticate: Bearer resource_metadata="
			 "\"http://%s" GATE_PRM_PATH "%s\"\r\n", g->gp->cfg.listen_str,
			 g->gp->cfg.mcp_path);
	pr_debug("sluiced: refused (%s): %s\n", v->rule, v->message);
	return refuse_with(g, res, (v->reason == DR_LIMITED || v->reason == DR_BUDGET) &&
			   g->gp->cfg.limited_jsonrpc ? 200 : v->http_status, v->code, v->message);
}

/* --- escalation and bans ---------------------------------------------------------------- */

int gate_refuse_banned(struct gate_req *g, struct inspect_result *res, __u64 until_ns,
		       __u64 now_ns)
{
	unsigned long long retry_s;
	char msg[320];

	kernel_ban_message(kernel_agent_slot(g->gp, g->id.agent), until_ns, now_ns, msg,
			   sizeof(msg), g->data, sizeof(g->data), &retry_s);
	g->extra[0] = 0;
	if (retry_s)
		snprintf(g->extra, sizeof(g->extra), "Retry-After: %llu\r\n", retry_s);
	res->close = true;
	return refuse_with(g, res, 403, DECIDE_ERR_BANNED, msg);
}

/* A refusal that counts towards escalation (policy/escalation.h) is
 * counted; the one that trips bans the agent (kernel.h). */
static void escalate(struct gate_req *g, const struct decide_verdict *v, __u64 now)
{
	struct esc_trip trip;
	enum esc_kind kind;

	if (v->action != DECIDE_DENY || g->id.agent < 0 || !esc_kind_of(v->reason, &kind))
		return;
	if (!esc_note(g->gp->esc, g->id.agent, kind, now, &trip))
		return;
	kernel_trip(g->gp, g->id.agent, &trip, now);
	g->tripped = true;
	g->banned_until_ns = now + (__u64)trip.ban_s * 1000000000ull;
}

/* --- audit records ---------------------------------------------------------------------- */

static bool audited(const struct mcp_msg *m)
{
	return (m->kind == MCP_REQUEST || m->kind == MCP_NOTIFICATION) && m->info &&
	       (m->info->id == MCP_M_TOOLS_CALL || m->info->id == MCP_M_RESOURCES_READ ||
		m->info->id == MCP_M_PROMPTS_GET);
}

/* The arguments as received (before any rewrite): their SHA-256 (over their
 * compact JSON text), and the text redacted by the policy's rules. */
static void audit_arguments(struct gate_req *g, const struct mcp_msg *m, struct audit_rec *r)
{
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(m->params, "arguments");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char *text, *wrapped, *red = NULL;
	size_t len, red_len;

	if (!args || !(text = cJSON_PrintUnformatted(args)))
		return;
	len = strlen(text);
	if (EVP_Digest(text, len, md, &md_len, EVP_sha256(), NULL) && md_len == 32)
		for (unsigned int i = 0; i < md_len; i++)
			snprintf(r->arguments_sha256 + 2 * i, 3, "%02x", md[i]);
	if (len > AUDIT_ARGS_MAX) {	/* the queue holds lines, not megabytes */
		r->arguments_omitted = len;
		cJSON_free(text);
		return;
	}
	/* Redaction judges what is under "params": wrapped, then unwrapped. */
	wrapped = malloc(len + 12);
	if (wrapped) {
		snprintf(wrapped, len + 12, "{\"params\":%s}", text);
		if (gate_redact(g->gp, wrapped, strlen(wrapped), true, &red, &red_len, NULL)) {
			/* not judged: left out */
		} else if (red && red_len > 11) {
			memmove(red, red + 10, red_len - 11);
			red[red_len - 11] = '\0';
			r->arguments = red;
			red = NULL;
		} else if (!red) {	/* nothing to redact */
			r->arguments = strdup(text);
		}
	}
	/* A text the rules could not judge is left out, not shown as it is. */
	free(red);
	free(wrapped);
	cJSON_free(text);
}

/* The record of @m, judged as @v, kept on @g; nothing when the policy names
 * no sink or memory runs out (the record is then lost, not the call). */
static void audit_note(struct gate_req *g, const struct mcp_msg *m, struct audit_rec *pre,
		       const struct decide_verdict *v)
{
	struct audit_rec **list;

	if (!pre)
		return;
	list = realloc(g->audit, (g->n_audit + 1) * sizeof(*list));
	if (!list) {
		free(pre->arguments);
		free(pre);
		return;
	}
	g->audit = list;
	snprintf(pre->agent, sizeof(pre->agent), "%s", gate_agent_name(g->gp, &g->id));
	snprintf(pre->customer, sizeof(pre->customer), "%s", g->id.customer);
	snprintf(pre->plan, sizeof(pre->plan), "%s", g->id.plan);
	snprintf(pre->source, sizeof(pre->source), "%s", g->source ? g->source : "");
	snprintf(pre->session, sizeof(pre->session), "%s", g->session ? g->session : "");
	snprintf(pre->method, sizeof(pre->method), "%s", m->method);
	snprintf(pre->target, sizeof(pre->target), "%s",
		 m->tool ? m->tool : m->uri ? m->uri : m->prompt ? m->prompt : "");
	pre->action = v->action;
	pre->reason = v->reason;
	pre->code = v->code;
	snprintf(pre->rule, sizeof(pre->rule), "%s", v->rule[0] ? v->rule : v->budget_rule);
	pre->cost = v->action == DECIDE_DENY ? 0 : v->cost;
	pre->budget_over = v->budget_over;
	for (size_t i = 0; i < v->n_upsell; i++)
		snprintf(pre->upsell + strlen(pre->upsell), sizeof(pre->upsell) - strlen(pre->upsell),
			 "%s%s", i ? " " : "", v->upsell[i]);
	pre->start_ns = gate_now_ns();
	pre->request_bytes = g->body_bytes;
	pre->rules = g->gp->redact;
	g->audit[g->n_audit++] = pre;
}

/* Before the decision (which may rewrite the arguments): a record begun,
 * or NULL when @m is not audited or there is no sink. */
static struct audit_rec *audit_begin(struct gate_req *g, const struct mcp_msg *m)
{
	struct audit_rec *r;

	if (!audit_enabled() || !audited(m) || !(r = calloc(1, sizeof(*r))))
		return NULL;
	audit_arguments(g, m, r);
	return r;
}

void gate_audit_emit(struct gate_req *g, int status)
{
	struct session s;
	bool known = g->n_audit && g->session &&
		     sessions_use(g->session, g->gp->cfg.sessions.idle_ms, false, &s);

	for (size_t i = 0; i < g->n_audit; i++) {
		struct audit_rec *r = g->audit[i];

		if (known && !strcmp(s.agent, r->agent)) {	/* the session's client */
			snprintf(r->client_name, sizeof(r->client_name), "%s", s.client_name);
			snprintf(r->client_version, sizeof(r->client_version), "%s",
				 s.client_version);
		}
		r->status = status;
		r->latency_ms = (double)(gate_now_ns() - r->start_ns) / 1e6;
		audit_emit(r);
		free(r);
	}
	free(g->audit);
	g->audit = NULL;
	g->n_audit = 0;
}

static int keep_rewrite(struct gate_req *g, const struct mcp_batch *b)
{
	char *text = cJSON_PrintUnformatted(b->root);

	g->body = text ? strdup(text) : NULL;
	cJSON_free(text);	/* a no-op in the arena; a big body spilled to malloc */
	if (!g->body)
		return -ENOMEM;
	g->body_len = strlen(g->body);
	return 0;
}

static int refuse_oom(struct gate_req *g, struct inspect_result *res)
{
	return refuse_with(g, res, 503, MCP_ERR_INTERNAL, "out of memory");
}

/* A message alone: refused as its verdict says (HTTP status included), or
 * forwarded, rewritten when the verdict rewrote it. */
static int judge_one(struct gate_req *g, struct mcp_batch *b, struct inspect_result *res,
		     __u64 now)
{
	struct decide_verdict v;
	struct audit_rec *rec = audit_begin(g, &b->msgs[0]);
	enum decide_action act = decide_request(g->gp->model, &g->id, &b->msgs[0],
						g->gp->limiter, now, &v);

	escalate(g, &v, now);
	audit_note(g, &b->msgs[0], rec, &v);
	ledger_judged(gate_agent_name(g->gp, &g->id), &g->id, &b->msgs[0], &v, g->body_bytes,
		      &g->usage);
	if (act == DECIDE_DENY)
		return refuse_verdict(g, &v, res);
	g->backend = v.backend;
	g->cost_per_kib = v.cost_per_kib;
	gate_ratelimit_headers(&v, g->ratelimit, sizeof(g->ratelimit));
	if (note_list(&g->lists, &b->msgs[0]) || (act == DECIDE_REWRITE && keep_rewrite(g, b)))
		return refuse_oom(g, res);
	return 0;
}

/* A forwarded request's slot in the batch's answer (the backend fills it). */
static int add_forwarded(struct gate_req *g, const struct mcp_msg *m)
{
	char *rid;
	int err;

	if (m->kind != MCP_REQUEST || !m->id)
		return 0;
	rid = mcp_id_json(m->id);
	err = rid ? batch_add(&g->batch, rid, NULL) : -ENOMEM;
	cJSON_free(rid);
	return err;
}

/*
 * A refused batch element: a request is answered with the error a single
 * message gets (code, message; its own id), without the HTTP status, which
 * belongs to the whole answer; a notification or a response is answered
 * with nothing, as JSON-RPC says, and only the debug log tells.
 */
static int refuse_element(struct gate_req *g, const struct mcp_msg *m, size_t i,
			  const struct decide_verdict *v)
{
	char *answer = NULL, *rid, data[384] = "";
	int err;

	g->batch.n_refused++;
	if (m->kind != MCP_REQUEST || !m->id) {
		pr_debug("sluiced: batch element %zu refused (%s), dropped unanswered (a %s): %s\n",
			 i, v->rule, m->kind == MCP_NOTIFICATION ? "notification" : "response",
			 v->message);
		return 0;
	}
	pr_debug("sluiced: batch element %zu refused (%s), answered by the gateway: %s\n", i,
		 v->rule, v->message);
	rid = mcp_id_json(m->id);
	if (v->reason == DR_LIMITED)
		limit_data(v, data, sizeof(data));
	else if (v->reason == DR_BUDGET)
		budget_data(v, data, sizeof(data));
	if (rid)
		answer = inspect_error_json_data(rid, v->code, v->message, data);
	err = answer ? batch_add(&g->batch, rid, answer) : -ENOMEM;
	free(answer);
	cJSON_free(rid);
	return err;
}

/* A forwarded batch element: noted, and added to the body that goes on. */
static int forward_element(struct gate_req *g, const struct mcp_msg *m, struct buf *body)
{
	char *text;
	int err = note_list(&g->lists, m);

	if (!err)
		err = add_forwarded(g, m);
	if (err)
		return err;
	text = cJSON_PrintUnformatted(m->json);
	if (!text)
		return -ENOMEM;
	g->batch.n_forwarded++;
	if (body->len > 1 && buf_append(body, ",", 1))
		err = -ENOMEM;
	if (!err)
		err = buf_puts(body, text);
	cJSON_free(text);
	return err;
}

/* The backend's answer may carry the forwarded requests' ids only: one
 * carrying a refused request's id would answer it twice. */
static int narrow_ids(const struct batch_answers *ba, struct inspect_ids *ids)
{
	inspect_ids_free(ids);
	ids->v = calloc(ba->n ? ba->n : 1, sizeof(*ids->v));
	if (!ids->v)
		return -ENOMEM;
	for (size_t i = 0; i < ba->n; i++) {
		if (ba->v[i].answer)
			continue;
		ids->v[ids->n] = strdup(ba->v[i].rid);
		if (!ids->v[ids->n])
			return -ENOMEM;
		ids->n++;
	}
	return 0;
}

/* What goes on of a batch: the forwarded elements, as judged (rewritten
 * where the verdict rewrote), when anything was refused or rewritten. */
static int keep_batch(struct gate_req *g, struct buf *body, bool rewritten,
		      struct inspect_result *res)
{
	if (batch_partial(&g->batch) && narrow_ids(&g->batch, &res->ids))
		return -ENOMEM;
	if (!g->batch.n_forwarded || (!batch_partial(&g->batch) && !rewritten))
		return 0;
	if (buf_append(body, "]", 1))
		return -ENOMEM;
	g->body = body->data;
	g->body_len = body->len;
	memset(body, 0, sizeof(*body));
	return 0;
}

/*
 * Where a batch goes without a session: one body goes to one backend, so its
 * tool calls must agree on it (or the batch is refused, route_mcp_post());
 * its answer is charged at the highest cost_per_kib among them.
 */
static void batch_route(struct gate_req *g, const struct decide_verdict *v, const char *deflt)
{
	const char *be = v->backend ? v->backend : deflt;

	if (v->cost_per_kib > g->cost_per_kib)
		g->cost_per_kib = v->cost_per_kib;
	if (v->tool < 0 && !v->backend)
		return;		/* not a tool call: goes wherever the batch goes */
	if (!g->backend_set) {
		g->backend = strcmp(be, deflt) ? be : NULL;
		g->backend_set = true;
	} else if (strcmp(g->backend ? g->backend : deflt, be)) {
		g->backend_conflict = true;
	}
}

/*
 * Every element of a batch is judged on its own (gate.h says what comes
 * of it).  An element refused with 401 refuses the request whole: the
 * identity itself is refused (an unknown plan, say), so every element
 * would be, and the client must authenticate again.
 */
static int judge_batch(struct gate_req *g, struct mcp_batch *b, struct inspect_result *res,
		       __u64 now)
{
	const struct gw_config *cfg = &g->gp->cfg;
	const char *deflt = cfg->n_backends ? cfg->backends[cfg->default_backend].name : "";
	struct buf body = {};
	bool rewritten = false;
	int err = buf_append(&body, "[", 1);

	for (size_t i = 0; i < b->n && !err; i++) {
		struct decide_verdict v;
		struct audit_rec *rec = audit_begin(g, &b->msgs[i]);
		enum decide_action act = decide_request(g->gp->model, &g->id, &b->msgs[i],
							g->gp->limiter, now, &v);

		escalate(g, &v, now);
		audit_note(g, &b->msgs[i], rec, &v);
		ledger_judged(gate_agent_name(g->gp, &g->id), &g->id, &b->msgs[i], &v,
			      g->body_bytes, &g->usage);
		if (act == DECIDE_DENY && v.http_status == 401) {
			buf_free(&body);
			return refuse_verdict(g, &v, res);
		}
		rewritten |= act == DECIDE_REWRITE;
		err = act == DECIDE_DENY ? refuse_element(g, &b->msgs[i], i, &v) :
					   forward_element(g, &b->msgs[i], &body);
		if (act != DECIDE_DENY)
			batch_route(g, &v, deflt);
	}
	if (!err)
		err = keep_batch(g, &body, rewritten, res);
	buf_free(&body);
	return err ? refuse_oom(g, res) : 0;
}

int gate_judge(void *ctx, struct mcp_batch *b, struct inspect_result *res)
{
	struct gate_req *g = ctx;
	__u64 now = gate_now_ns(), until;
	int rc;

	if (g->auth_rc) {
		char msg[sizeof(res->message)];

		gate_unauthorized(g->gp, g->auth_rc, &g->why, msg, sizeof(msg), g->extra,
				  sizeof(g->extra));
		return refuse_with(g, res, g->auth_rc == -ENOMEM ? 503 : 401,
				   g->auth_rc == -ENOMEM ? MCP_ERR_INTERNAL :
				   DECIDE_ERR_UNAUTHENTICATED, msg);
	}
	if (g->id.agent >= 0 && kernel_banned(g->gp, g->id.agent, now, &until))
		return gate_refuse_banned(g, res, until, now);
	rc = b->is_batch ? judge_batch(g, b, res, now) : judge_one(g, b, res, now);
	/* The request that tripped a ban is answered with the ban: its agent
	 * learns at once why its connections close. */
	if (g->tripped)
		return gate_refuse_banned(g, res, g->banned_until_ns, now);
	return rc;
}

void gate_lists_free(struct gate_lists *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
	free(l->methods);
	memset(l, 0, sizeof(*l));
}

void gate_req_free(struct gate_req *g)
{
	if (g->n_audit)		/* not answered by anyone: the records still go */
		gate_audit_emit(g, 0);
	free(g->body);
	g->body = NULL;
	gate_lists_free(&g->lists);
	batch_free(&g->batch);
	ledger_drop(&g->usage);
}

/* --- list answers --------------------------------------------------------------------------- */

bool gate_lists_lookup(void *ctx, const char *rid, enum mcp_method *m)
{
	const struct gate_lists *l = ctx;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(rid, l->ids[i])) {
			*m = l->methods[i];
			return true;
		}
	return false;
}

uint64_t gate_id_hash(const char *rid)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *rid; rid++)
		h = (h ^ (unsigned char)*rid) * 0x100000001b3ull;
	return h ? h : 1;
}

/*
 * The lists a result holds, by its shape.  Ids alone cannot say which
 * request a result answers: a client may give two requests one id (a call
 * and a tools/list), and a backend may answer with a null id.  So every list
 * a result holds is filtered as that list, whatever its id says; filtering a
 * result that merely looks like one costs nothing an agent may have.
 */
static const struct {
	const char *member;
	enum mcp_method method;
} list_shapes[] = {
	{ "tools", MCP_M_TOOLS_LIST },
	{ "resourceTemplates", MCP_M_RESOURCES_TEMPLATES_LIST },
	{ "resources", MCP_M_RESOURCES_LIST },
	{ "prompts", MCP_M_PROMPTS_LIST },
};

/* Filters the lists @o's result holds; how many entries went. */
static size_t filter_one(const struct gw_policy *gp, const struct identity *id,
			 gate_list_lookup lookup, void *ctx, cJSON *o)
{
	cJSON *rid = cJSON_GetObjectItemCaseSensitive(o, "id");
	cJSON *result = cJSON_GetObjectItemCaseSensitive(o, "result");
	enum mcp_method m;
	char *text;
	size_t n = 0;

	if (!cJSON_IsObject(result))
		return 0;
	/* A pending list request this answers is used up; the shape decides. */
	if (rid && (text = cJSON_PrintUnformatted(rid))) {
		lookup(ctx, text, &m);
		cJSON_free(text);
	}
	for (size_t i = 0; i < sizeof(list_shapes) / sizeof(list_shapes[0]); i++)
		if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(result, list_shapes[i].member)))
			n += decide_filter_list(gp->model, id, list_shapes[i].method, result);
	return n;
}

char *gate_filter_answer(const struct gw_policy *gp, const struct identity *id,
			 gate_list_lookup lookup, void *ctx, const char *body, size_t len)
{
	cJSON *root, *el;
	size_t removed = 0;
	char *out = NULL, *text;

	jarena_begin();
	root = cJSON_ParseWithLength(body, len);
	if (cJSON_IsArray(root))
		cJSON_ArrayForEach(el, root)
			removed += filter_one(gp, id, lookup, ctx, el);
	else if (cJSON_IsObject(root))
		removed = filter_one(gp, id, lookup, ctx, root);
	if (removed && (text = cJSON_PrintUnformatted(root))) {
		out = strdup(text);
		cJSON_free(text);
	}
	/* Frees in the arena cost nothing; a big answer spilled to malloc. */
	cJSON_Delete(root);
	jarena_end();
	return out;
}

/* --- redaction ----------------------------------------------------------------------- */

int gate_redact(const struct gw_policy *gp, const char *text, size_t len, bool json, char **out,
		size_t *out_len, struct redact_counts *counts)
{
	struct redact_scratch *s;
	int err;

	*out = NULL;
	*out_len = 0;
	if (!gp->redact)
		return 0;
	s = redact_scratch_new();
	if (!s)
		return -ENOMEM;
	err = json ? redact_text(gp->redact, s, text, len, out, out_len, counts) :
		     redact_plain(gp->redact, s, text, len, out, out_len, counts);
	redact_scratch_free(s);
	return err;
}

void gate_charge_answer(const struct gw_policy *gp, const struct identity *id,
			double cost_per_kib, size_t bytes)
{
	if (cost_per_kib > 0 && bytes)
		decide_charge(gp->limiter, gp->model, id, cost_per_kib * (double)bytes / 1024.0,
			      gate_now_ns());
}
