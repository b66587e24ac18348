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

#include "base/jarena.h"
#include "base/log.h"
#include "base/prefix.h"
#include "gate.h"

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

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
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
	char **ids;
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
	/* Printed inside the arena: copied out with malloc. */
	ids[l->n] = cJSON_PrintUnformatted(m->id);
	if (!ids[l->n] || !(ids[l->n] = strdup(ids[l->n])))
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
	return -EACCES;
}

/* A single message's refusal, as the verdict says; a missing scope adds
 * RFC 6750's insufficient_scope challenge. */
static int refuse_verdict(struct gate_req *g, const struct decide_verdict *v,
			  struct inspect_result *res, const char *prefix)
{
	char msg[448];

	if (v->reason == DR_SCOPE)
		snprintf(g->extra, sizeof(g->extra), "WWW-Authenticate: Bearer "
			 "error=\"insufficient_scope\", scope=\"%s\"\r\n", v->scopes);
	else if (v->http_status == 401)	/* RFC 9110 11.6.1: a 401 carries a challenge */
		snprintf(g->extra, sizeof(g->extra), "WWW-Authenticate: Bearer resource_metadata="
			 "\"http://%s" GATE_PRM_PATH "%s\"\r\n", g->gp->cfg.listen_str,
			 g->gp->cfg.mcp_path);
	snprintf(msg, sizeof(msg), "%s%s", prefix, v->message);
	pr_debug("sluiced: refused (%s): %s\n", v->rule, v->message);
	return refuse_with(g, res, v->http_status, v->code, msg);
}

static int keep_rewrite(struct gate_req *g, const struct mcp_batch *b)
{
	char *text = cJSON_PrintUnformatted(b->root);

	if (!text || !(g->body = strdup(text)))
		return -ENOMEM;
	g->body_len = strlen(g->body);
	return 0;
}

/*
 * Every element of a batch is judged; one refused refuses the batch whole,
 * naming the element (the backend hears nothing of it).
 */
int gate_judge(void *ctx, struct mcp_batch *b, struct inspect_result *res)
{
	struct gate_req *g = ctx;
	struct decide_verdict v;
	bool rewritten = false;
	__u64 now = now_ns();

	if (g->auth_rc) {
		char msg[sizeof(res->message)];

		gate_unauthorized(g->gp, g->auth_rc, &g->why, msg, sizeof(msg), g->extra,
				  sizeof(g->extra));
		return refuse_with(g, res, g->auth_rc == -ENOMEM ? 503 : 401,
				   g->auth_rc == -ENOMEM ? MCP_ERR_INTERNAL :
				   DECIDE_ERR_UNAUTHENTICATED, msg);
	}
	for (size_t i = 0; i < b->n; i++) {
		enum decide_action act = decide_request(g->gp->model, &g->id, &b->msgs[i], NULL,
							now, &v);
		char prefix[96] = "";

		ledger_judged(gate_agent_name(g->gp, &g->id), &g->id, &b->msgs[i], &v,
			      g->body_bytes, &g->usage);

		if (act == DECIDE_DENY) {
			if (b->is_batch)
				snprintf(prefix, sizeof(prefix), "batch element %zu refused, the "
					 "batch was not forwarded: ", i);
			return refuse_verdict(g, &v, res, prefix);
		}
		rewritten |= act == DECIDE_REWRITE;
		if (!b->is_batch && v.backend)
			g->backend = v.backend;
		if (note_list(&g->lists, &b->msgs[i]))
			return refuse_with(g, res, 503, MCP_ERR_INTERNAL, "out of memory");
	}
	if (rewritten && keep_rewrite(g, b))
		return refuse_with(g, res, 503, MCP_ERR_INTERNAL, "out of memory");
	return 0;
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
	free(g->body);
	g->body = NULL;
	gate_lists_free(&g->lists);
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
	if (removed && (text = cJSON_PrintUnformatted(root)))
		out = strdup(text);
	jarena_end();
	return out;
}
