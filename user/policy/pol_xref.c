// SPDX-License-Identifier: GPL-2.0-only
/*
 * pol_xref.c - policy rules that span sections: names that must exist,
 * identities two agents may not share, sources the deny list would make
 * unreachable, and the kernel tables' capacity.
 *
 * These run after the per-section checks even when those found errors, so
 * one run reports everything; each rule therefore skips any item that is
 * not of the type it expects (that error was reported already).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "sluice_abi.h"
#include "base/prefix.h"
#include "pol_xref.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static cJSON *object_member(const cJSON *obj, const char *name)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsObject(item) ? item : NULL;
}

static const char *string_member(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* "a, b, c" of a map's names, cut short when long. */
static const char *list_names(const cJSON *map, char *buf, size_t len)
{
	const cJSON *member;
	size_t n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(member, map) {
		if (n + strlen(member->string) + 8 >= len) {
			snprintf(buf + n, len - n, ", ...");
			break;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", member->string);
	}
	return buf;
}

/* @item (a string at @field under the current path) must name a member of @map. */
static int must_name(struct pc_ctx *c, const cJSON *item, const char *field,
		     const cJSON *map, const char *what)
{
	size_t mark;
	char names[120];
	int ret;

	if (!cJSON_IsString(item) || cJSON_GetObjectItemCaseSensitive(map, item->valuestring))
		return 0;
	mark = pc_push_key(c, field);
	if (cJSON_GetArraySize(map))
		ret = pc_error(c, item, "unknown %s \"%s\"; defined %ss: %s", what,
			       item->valuestring, what, list_names(map, names, sizeof(names)));
	else
		ret = pc_error(c, item, "unknown %s \"%s\"; no %ss are defined", what,
			       item->valuestring, what);
	pc_pop(c, mark);
	return ret;
}

/* --- names that must exist ------------------------------------------------- */

/* With one backend there is nothing to choose; with several, say which. */
static int xref_default_backend(struct pc_ctx *c, cJSON *root)
{
	cJSON *backends = object_member(root, "backends");
	cJSON *def = cJSON_GetObjectItemCaseSensitive(root, "default_backend");

	if (!backends)
		return 0;
	if (def)
		return must_name(c, def, "default_backend", backends, "backend");
	if (cJSON_GetArraySize(backends) > 1)
		return pc_error(c, root, "missing required field \"default_backend\" "
				"(needed with more than one backend)");
	if (backends->child && !cJSON_AddStringToObject(root, "default_backend",
							backends->child->string))
		return c->fatal = -ENOMEM;
	return 0;
}

/* A tool without a backend goes to default_backend (written in for the daemon). */
static int xref_tool_backends(struct pc_ctx *c, cJSON *root)
{
	cJSON *backends = object_member(root, "backends"), *tool;
	const char *def = string_member(root, "default_backend");
	int ret = 0;

	cJSON_ArrayForEach(tool, object_member(root, "tools")) {
		cJSON *backend = cJSON_GetObjectItemCaseSensitive(tool, "backend");
		size_t mark;

		if (!cJSON_IsObject(tool))
			continue;
		if (!backend && def && cJSON_GetObjectItemCaseSensitive(backends, def) &&
		    !cJSON_AddStringToObject(tool, "backend", def))
			return c->fatal = -ENOMEM;
		mark = pc_push_key(c, "tools");
		pc_push_key(c, tool->string);
		ret |= must_name(c, backend, "backend", backends, "backend");
		pc_pop(c, mark);
	}
	return ret ? -EINVAL : 0;
}

static int xref_agent_plans(struct pc_ctx *c, cJSON *root)
{
	cJSON *plans = object_member(root, "plans"), *agent;
	int ret = 0;

	cJSON_ArrayForEach(agent, object_member(root, "agents")) {
		size_t mark = pc_push_key(c, "agents");

		pc_push_key(c, agent->string);
		ret |= must_name(c, cJSON_GetObjectItemCaseSensitive(agent, "plan"), "plan",
				 plans, "plan");
		pc_pop(c, mark);
	}
	return ret ? -EINVAL : 0;
}

static bool glob_matches_a_tool(const char *glob, const cJSON *tools)
{
	const cJSON *tool;

	cJSON_ArrayForEach(tool, tools)
		if (!fnmatch(glob, tool->string, 0))
			return true;
	return false;
}

static int check_globs(struct pc_ctx *c, const cJSON *globs, const cJSON *tools)
{
	const cJSON *glob;
	size_t i = 0;
	int ret = 0;

	cJSON_ArrayForEach(glob, globs) {
		size_t mark = pc_push_index(c, i++);

		if (cJSON_IsString(glob) && !glob_matches_a_tool(glob->valuestring, tools))
			ret = pc_error(c, glob, "\"%s\" matches no tool in tools (with "
				       "unknown_tools \"refuse\" it could never apply)",
				       glob->valuestring);
		pc_pop(c, mark);
	}
	return ret;
}

/*
 * A glob that matches no declared tool is a typo when undeclared tools are
 * refused anyway, in an agent's rules as in a plan's.  With no tools
 * declared there is nothing to match against.
 */
static int xref_agent_tools(struct pc_ctx *c, cJSON *root)
{
	static const char *const sections[] = { "agents", "plans" };
	const char *unknown = string_member(root, "unknown_tools");
	cJSON *tools = object_member(root, "tools"), *owner;
	int ret = 0;

	if (!unknown || strcmp(unknown, "refuse") || !cJSON_GetArraySize(tools))
		return 0;
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		cJSON_ArrayForEach(owner, object_member(root, sections[s])) {
			cJSON *rules = object_member(owner, "tools");
			size_t mark = pc_push_key(c, sections[s]);

			pc_push_key(c, owner->string);
			pc_push_key(c, "tools");
			for (size_t k = 0; k < 2; k++) {
				const char *field = k ? "deny" : "allow";
				size_t inner = pc_push_key(c, field);
				cJSON *globs = cJSON_GetObjectItemCaseSensitive(rules, field);

				ret |= check_globs(c, globs, tools);
				pc_pop(c, inner);
			}
			pc_pop(c, mark);
		}
	}
	return ret ? -EINVAL : 0;
}

/* --- identities two agents may not share ----------------------------------- */

/* One agent's claim on an identity (a key or a source), in document order. */
struct claim {
	char key[SL_PREFIX_STRLEN + 8];	/* canonical text of the identity */
	struct sl_prefix pfx;		/* sources only */
	const cJSON *agent;
	const cJSON *item;
	size_t index;			/* the item's index in its agent's list */
	size_t order;			/* agent's position, then the item's */
};

struct claims {
	struct claim *v;
	size_t n, cap;
};

static struct claim *claim_add(struct claims *cl)
{
	if (cl->n == cl->cap) {
		size_t cap = cl->cap ? 2 * cl->cap : 64;
		struct claim *v = realloc(cl->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		cl->v = v;
		cl->cap = cap;
	}
	memset(&cl->v[cl->n], 0, sizeof(cl->v[0]));
	return &cl->v[cl->n++];
}

static int claim_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int d = strcmp(x->key, y->key);

	return d ? d : (x->order > y->order) - (x->order < y->order);
}

/* Collects every agent's @field entries that @canon accepts. */
static int collect(const cJSON *agents, const char *field, struct claims *cl,
		   bool (*canon)(const cJSON *item, struct claim *out))
{
	const cJSON *agent, *item;
	size_t order = 0;

	cJSON_ArrayForEach(agent, agents) {
		size_t index = 0;

		cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(agent, field)) {
			struct claim *cm = claim_add(cl);

			if (!cm)
				return -ENOMEM;
			cm->agent = agent;
			cm->item = item;
			cm->index = index++;
			cm->order = order++;
			if (!cJSON_IsString(item) || !canon(item, cm))
				cl->n--;
		}
	}
	return 0;
}

/* The path of a claim: agents.NAME.FIELD[i]; returns the mark to pop to. */
static size_t push_claim(struct pc_ctx *c, const struct claim *cm, const char *field)
{
	size_t mark = pc_push_key(c, "agents");

	pc_push_key(c, cm->agent->string);
	pc_push_key(c, field);
	pc_push_index(c, cm->index);
	return mark;
}

/* Reports each identity claimed by a second agent, at the later claim. */
static int report_shared(struct pc_ctx *c, struct claims *cl, const char *field,
			 const char *what)
{
	int ret = 0;

	if (cl->n < 2)
		return 0;	/* also keeps NULL away from qsort */
	qsort(cl->v, cl->n, sizeof(*cl->v), claim_cmp);
	for (size_t first = 0, i = 1; i < cl->n; i++) {
		struct claim *a = &cl->v[first], *b = &cl->v[i];
		char where[32];
		size_t mark;

		if (strcmp(a->key, b->key)) {
			first = i;
			continue;
		}
		if (a->agent == b->agent)
			continue;	/* a duplicate within one agent: reported already */
		mark = push_claim(c, b, field);
		ret = pc_error(c, b->item, "%s %s is already claimed by agent \"%s\" (at %s)",
			       what, a->key, a->agent->string,
			       pc_where(c, a->item, where, sizeof(where)));
		pc_pop(c, mark);
	}
	return ret;
}

static bool canon_key(const cJSON *item, struct claim *out)
{
	if (strlen(item->valuestring) != 64 ||
	    strspn(item->valuestring, "0123456789abcdef") != 64)
		return false;
	snprintf(out->key, sizeof(out->key), "%s", item->valuestring);
	return true;
}

/* A key names exactly one agent: otherwise who is calling is a guess. */
static int xref_agent_keys(struct pc_ctx *c, cJSON *root)
{
	struct claims cl = {};
	int ret = collect(object_member(root, "agents"), "keys_sha256", &cl, canon_key);

	if (!ret)
		ret = report_shared(c, &cl, "keys_sha256", "key");
	free(cl.v);
	return ret == -ENOMEM ? (c->fatal = -ENOMEM) : ret;
}

/* --- sources --------------------------------------------------------------- */

static bool canon_source(const cJSON *item, struct claim *out)
{
	if (sl_prefix_parse(item->valuestring, &out->pfx, NULL))
		return false;
	sl_prefix_format(&out->pfx, out->key, sizeof(out->key));
	return true;
}

static bool canon_deny(const cJSON *item, struct claim *out)
{
	return cJSON_IsString(item) && canon_source(item, out);
}

static int claim_prefix_cmp(const void *a, const void *b)
{
	return sl_prefix_cmp(&((const struct claim *)a)->pfx, &((const struct claim *)b)->pfx);
}

/* @p cut to its first @len bits. */
static struct sl_prefix truncated(const struct sl_prefix *p, __u32 len)
{
	struct sl_prefix t = *p;

	t.prefixlen = len;
	sl_prefix_mask(&t);
	return t;
}

/* The deny entry containing @p, found by one lookup per deny prefix length. */
static const struct claim *deny_containing(const struct claims *deny, const bool *lens,
					   const struct sl_prefix *p)
{
	for (__u32 len = 0; len <= p->prefixlen; len++) {
		struct claim key = { .pfx = truncated(p, len) };
		const struct claim *hit;

		if (!lens[(p->family == SL_AF_INET6) * 129 + len])
			continue;
		hit = bsearch(&key, deny->v, deny->n, sizeof(key), claim_prefix_cmp);
		if (hit)
			return hit;
	}
	return NULL;
}

/*
 * XDP checks the deny list before identities: a source inside a deny entry
 * is dropped before it is ever recognised, so the agent could not connect.
 */
static int sources_vs_deny(struct pc_ctx *c, struct claims *deny, const struct claims *src)
{
	bool lens[2 * 129] = { false };
	int ret = 0;

	if (!deny->n || !src->n)
		return 0;	/* also keeps NULL away from qsort and bsearch */
	qsort(deny->v, deny->n, sizeof(*deny->v), claim_prefix_cmp);
	for (size_t i = 0; i < deny->n; i++)
		lens[(deny->v[i].pfx.family == SL_AF_INET6) * 129 + deny->v[i].pfx.prefixlen] = true;
	for (size_t i = 0; i < src->n; i++) {
		const struct claim *hit = deny_containing(deny, lens, &src->v[i].pfx);
		char where[32];
		size_t mark;

		if (!hit)
			continue;
		mark = push_claim(c, &src->v[i], "sources");
		ret = pc_error(c, src->v[i].item, "source %s is inside kernel.deny entry %s "
			       "(at %s): the deny list is checked first, so this agent could "
			       "never connect from it", src->v[i].key, hit->key,
			       pc_where(c, hit->item, where, sizeof(where)));
		pc_pop(c, mark);
	}
	return ret;
}

/* Table sizes the kernel maps have; runtime blocks share them too. */
struct capacity {
	size_t prefixes[2];	/* shorter prefixes, per family (LPM tries) */
	size_t exact[2];	/* /32 and /128, per family (sl_exact_v4, sl_exact_v6) */
};

static int count_entry(struct pc_ctx *c, struct capacity *cap, const struct claim *cm)
{
	bool v4 = cm->pfx.family == SL_AF_INET;
	bool exact = cm->pfx.prefixlen == (v4 ? 32u : 128u);
	size_t *n = exact ? &cap->exact[!v4] : &cap->prefixes[!v4];
	size_t limit = exact ? SL_MAX_EXACT : SL_MAX_PREFIXES;

	if (++*n != limit + 1)
		return 0;
	if (exact)
		return pc_error(c, cm->item, "too many exact IPv%d addresses: the kernel's %s "
				"table holds %d (deny and agent sources together)", v4 ? 4 : 6,
				v4 ? SL_MAP_EXACT_V4 : SL_MAP_EXACT_V6, SL_MAX_EXACT);
	return pc_error(c, cm->item, "too many IPv%d prefixes: the kernel's %s trie holds "
			"%d (deny and agent sources together)", v4 ? 4 : 6,
			v4 ? SL_MAP_SRC_V4 : SL_MAP_SRC_V6, SL_MAX_PREFIXES);
}

/* Counted in document order, so the error lands on the first entry too many. */
static int check_capacity(struct pc_ctx *c, const cJSON *deny_list, const struct claims *src)
{
	struct capacity cap = {};
	const cJSON *item;
	size_t i = 0, mark = pc_push_key(c, "kernel");
	int ret = 0;

	pc_push_key(c, "deny");
	cJSON_ArrayForEach(item, deny_list) {
		struct claim cm = { .item = item };
		size_t inner = pc_push_index(c, i++);

		if (canon_deny(item, &cm))
			ret |= count_entry(c, &cap, &cm);
		pc_pop(c, inner);
	}
	pc_pop(c, mark);
	for (i = 0; i < src->n; i++) {
		mark = push_claim(c, &src->v[i], "sources");
		ret |= count_entry(c, &cap, &src->v[i]);
		pc_pop(c, mark);
	}
	return ret ? -EINVAL : 0;
}

static int collect_deny(const cJSON *deny_list, struct claims *deny)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, deny_list) {
		struct claim *cm = claim_add(deny);

		if (!cm)
			return -ENOMEM;
		cm->item = item;
		if (!canon_deny(item, cm))
			deny->n--;
	}
	return 0;
}

/*
 * Sources: not inside the deny list; one prefix, one agent (overlapping
 * prefixes are fine: the longest match wins, as the kernel does it); and
 * within what the kernel tables hold.
 */
static int xref_sources(struct pc_ctx *c, cJSON *root)
{
	const cJSON *deny_list = cJSON_GetObjectItemCaseSensitive(object_member(root, "kernel"),
								  "deny");
	struct claims deny = {}, src = {};
	int ret = collect_deny(deny_list, &deny);
	int r = 0;

	if (!ret)
		ret = collect(object_member(root, "agents"), "sources", &src, canon_source);
	if (!ret)
		r = sources_vs_deny(c, &deny, &src);
	if (!ret)
		r |= check_capacity(c, deny_list, &src);
	if (!ret)
		r |= report_shared(c, &src, "sources", "source");
	free(deny.v);
	free(src.v);
	if (ret)
		return c->fatal = -ENOMEM;
	return r ? -EINVAL : 0;
}

/* --- listeners ------------------------------------------------------------- */

struct bind_addr {
	int family;
	unsigned char addr[16];
	unsigned long port;
};

/* Parses an address:port that passed the schema. */
static bool parse_bind(const char *s, struct bind_addr *b)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	const char *h = s[0] == '[' ? s + 1 : s;
	size_t n = colon ? (size_t)(colon - h) - (s[0] == '[') : 0;

	if (!colon || n >= sizeof(host))
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	memset(b, 0, sizeof(*b));
	b->family = s[0] == '[' ? AF_INET6 : AF_INET;
	b->port = strtoul(colon + 1, NULL, 10);
	return inet_pton(b->family, host, b->addr) == 1;
}

static bool unspecified(const struct bind_addr *b)
{
	static const unsigned char zero[16];

	return !memcmp(b->addr, zero, b->family == AF_INET ? 4 : 16);
}

/* Same port on the same or a wildcard address: the second bind would fail. */
static int xref_listen_admin(struct pc_ctx *c, cJSON *root)
{
	const char *listen = string_member(root, "listen"), *admin = string_member(root, "admin");
	struct bind_addr l, a;
	size_t mark;
	int ret;

	if (!listen || !admin || !parse_bind(listen, &l) || !parse_bind(admin, &a))
		return 0;
	if (l.port != a.port || (!unspecified(&l) && !unspecified(&a) &&
				 (l.family != a.family || memcmp(l.addr, a.addr, 16))))
		return 0;
	mark = pc_push_key(c, "admin");
	ret = pc_error(c, cJSON_GetObjectItemCaseSensitive(root, "admin"),
		       "\"%s\" overlaps listen \"%s\": both would bind port %lu", admin, listen,
		       a.port);
	pc_pop(c, mark);
	return ret;
}

static bool loopback(const struct bind_addr *b)
{
	static const unsigned char v6_loop[16] = { [15] = 1 };
	static const unsigned char v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (b->family == AF_INET)
		return b->addr[0] == 127;
	return !memcmp(b->addr, v6_loop, 16) || (!memcmp(b->addr, v4_mapped, 12) && b->addr[12] == 127);
}

/* The admin port shows every agent's traffic and the backends' state: on an
 * address other than loopback only when the policy says so in so many words. */
static int xref_admin_public(struct pc_ctx *c, cJSON *root)
{
	const char *admin = string_member(root, "admin");
	const cJSON *pub = cJSON_GetObjectItemCaseSensitive(root, "admin_public");
	struct bind_addr a;
	size_t mark;
	int ret;

	if (!admin || cJSON_IsTrue(pub) || (parse_bind(admin, &a) && loopback(&a)) ||
	    !strncmp(admin, "localhost:", 10))
		return 0;
	mark = pc_push_key(c, "admin");
	ret = pc_error(c, cJSON_GetObjectItemCaseSensitive(root, "admin"),
		       "\"%s\" is not a loopback address: the admin port shows every agent's "
		       "traffic; keep it on 127.0.0.1 and reach it through an SSH tunnel or an "
		       "authenticating reverse proxy, or set \"admin_public\": true", admin);
	pc_pop(c, mark);
	return ret;
}

/* Order matters once: tool backends default to the default backend. */
static int (*const xrefs[])(struct pc_ctx *c, cJSON *root) = {
	xref_default_backend,
	xref_tool_backends,
	xref_agent_plans,
	xref_agent_tools,
	xref_agent_keys,
	xref_sources,
	xref_listen_admin,
	xref_admin_public,
};

int pol_xref_check(struct pc_ctx *c, cJSON *root)
{
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(xrefs); i++) {
		int r = xrefs[i](c, root);

		if (r == -ENOMEM || c->fatal)
			return -ENOMEM;
		ret = ret ? ret : r;
	}
	return ret;
}
