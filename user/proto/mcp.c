// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcp.c - JSON-RPC 2.0 / MCP messages: parse a body and judge each message
 * (see mcp.h).
 *
 * Three passes, each with one job: mcp_scan() checks the raw text (strict
 * JSON, depth, where the NULs are); cJSON builds the tree; a walk of the
 * tree finds duplicate keys and maps the NULs to places, and the judge
 * applies JSON-RPC and MCP rules to each message.  A batch is judged
 * element by element so that one bad element does not void the others: the
 * caller answers each with its own error.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jpath.h"
#include "base/utf8.h"
#include "mcp.h"
#include "mcp_err.h"
#include "mcp_fold.h"
#include "mcp_scan.h"

/* Largest integer a JavaScript number holds exactly: an id beyond it could
 * come back from the backend as a different id. */
#define MCP_SAFE_INT 9007199254740991.0
/* Objects up to this many members are checked for duplicate keys pairwise;
 * bigger ones through a sorted copy, so a hostile object costs n log n. */
#define PAIRWISE_MAX 16

/* --- refusing a message -------------------------------------------------------- */

static int refuse(struct mcp_msg *m, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Marks @m invalid (only json, id and err stay meaningful); -EINVAL. */
static int refuse(struct mcp_msg *m, int code, const char *fmt, ...)
{
	cJSON *json = m->json;
	const cJSON *id = m->id;
	va_list ap;

	memset(m, 0, sizeof(*m));
	m->json = json;
	m->id = id;
	m->kind = MCP_INVALID;
	m->err.code = code;
	m->err.http_status = MCP_HTTP_BAD_REQUEST;
	va_start(ap, fmt);
	vsnprintf(m->err.message, sizeof(m->err.message), fmt, ap);
	va_end(ap);
	utf8_mend_cuts(m->err.message);	/* "%.64s" and the buffer cut text */
	return -EINVAL;
}

/* 15 digits read well; 17 when 15 would not read back as the same number. */
static const char *show_number(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
	return buf;
}

/* A value for a message: "\"text\"" (sanitised, short), a number, or its type. */
static const char *show(const cJSON *v, char *buf, size_t len)
{
	char text[48];

	if (cJSON_IsString(v))
		snprintf(buf, len, "\"%s\"", mcp_sanitize(text, sizeof(text), v->valuestring,
							  strlen(v->valuestring)));
	else if (cJSON_IsNumber(v))
		show_number(v->valuedouble, buf, len);
	else
		snprintf(buf, len, "%s", cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? "true" : "false") :
			 cJSON_IsNull(v) ? "null" : cJSON_IsArray(v) ? "an array" : "an object");
	return buf;
}

/* String, or an integer a JavaScript peer reads back as the same integer. */
static bool id_ok(const cJSON *id)
{
	double v;

	if (cJSON_IsString(id))
		return true;
	if (!cJSON_IsNumber(id))
		return false;
	v = id->valuedouble;
	return v == trunc(v) && fabs(v) <= MCP_SAFE_INT;
}

/* --- the walk: duplicate keys and NULs ------------------------------------------ */

/* One step of the path from a message to a value. */
struct step {
	const cJSON *item;	/* an object member (->string) or an array element */
	int index;
};

struct walk {
	const size_t *nul;	/* the scan's ordinals of strings holding NUL */
	size_t n_nul, next_nul;
	size_t ordinal;		/* strings seen so far, in document order */
	bool nomem;
	/* per message */
	struct step path[MCP_MAX_DEPTH + 1];
	unsigned int depth;
	char problem[sizeof(((struct mcp_error *)0)->message)];	/* first duplicate or NUL key */
	const cJSON *nul_value;	/* first string value holding NUL */
	char nul_path[96];
};

/* Takes the next string's ordinal; true when the scan saw a NUL in it.  Both
 * sequences are in document order, so a cursor suffices. */
static bool next_string_has_nul(struct walk *w)
{
	size_t ordinal = w->ordinal++;

	if (w->next_nul < w->n_nul && w->nul[w->next_nul] == ordinal) {
		w->next_nul++;
		return true;
	}
	return false;
}

/* "params.arguments.q", "params[\"a.b\"]", "items[3]"; "(the message)" when empty. */
static const char *format_path(const struct walk *w, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < w->depth && used + 1 < len; i++) {
		const cJSON *item = w->path[i].item;
		const char *name = item->string;
		char key[40];
		int n;

		if (!name)
			n = snprintf(buf + used, len - used, "[%d]", w->path[i].index);
		else if (jpath_plain_word(name))
			n = snprintf(buf + used, len - used, "%s%s", used ? "." : "", name);
		else
			n = snprintf(buf + used, len - used, "[\"%s\"]",
				     mcp_sanitize(key, sizeof(key), name, strlen(name)));
		used += n > 0 ? (size_t)n : 0;
	}
	return buf[0] ? buf : "(the message)";
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *repeated_in_sorted(const cJSON *obj, size_t n, bool *nomem)
{
	const char **keys = malloc(n * sizeof(*keys)), *found = NULL;
	const cJSON *c;
	size_t i = 0;

	if (!keys) {
		*nomem = true;
		return NULL;
	}
	cJSON_ArrayForEach(c, obj)
		keys[i++] = c->string;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n && !found; i++)
		if (!strcmp(keys[i - 1], keys[i]))
			found = keys[i];
	free(keys);
	return found;
}

/* A key that appears twice in @obj, or NULL. */
static const char *repeated_key(const cJSON *obj, bool *nomem)
{
	const cJSON *a, *b;
	size_t n = 0;

	cJSON_ArrayForEach(a, obj)
		n++;
	if (n > PAIRWISE_MAX)
		return repeated_in_sorted(obj, n, nomem);
	for (a = obj->child; a; a = a->next)
		for (b = a->next; b; b = b->next)
			if (!strcmp(a->string, b->string))
				return a->string;
	return NULL;
}

struct folded_key {
	char *folded;
	const char *key;
};

static int folded_cmp(const void *a, const void *b)
{
	return strcmp(((const struct folded_key *)a)->folded,
		      ((const struct folded_key *)b)->folded);
}

/* Two keys of @obj (n > PAIRWISE_MAX members) that fold alike, through a
 * sorted copy of the folded keys; false when none (or out of memory). */
static bool folded_pair_sorted(const cJSON *obj, size_t n, const char **a, const char **b,
			       bool *nomem)
{
	struct folded_key *keys = calloc(n, sizeof(*keys));
	const cJSON *c;
	size_t i = 0;
	bool found = false;

	if (!keys) {
		*nomem = true;
		return false;
	}
	cJSON_ArrayForEach(c, obj) {
		keys[i].key = c->string;
		if (!(keys[i++].folded = mcp_fold_copy(c->string)))
			*nomem = true;
	}
	if (!*nomem) {
		qsort(keys, n, sizeof(*keys), folded_cmp);
		for (i = 1; i < n && !found; i++)
			found = !strcmp(keys[i - 1].folded, keys[i].folded);
		if (found) {
			*a = keys[i - 2].key;
			*b = keys[i - 1].key;
		}
	}
	for (i = 0; i < n; i++)
		free(keys[i].folded);
	free(keys);
	return found;
}

/*
 * Two keys of @obj that are one name to Go's encoding/json (see mcp_fold.h),
 * in *a and *b: the backend would take the last one, cJSON the one asked
 * for.  Exact duplicates are found before this, by repeated_key().
 */
static bool folded_pair(const cJSON *obj, const char **a, const char **b, bool *nomem)
{
	const cJSON *x, *y;
	size_t n = 0;

	cJSON_ArrayForEach(x, obj)
		n++;
	if (n > PAIRWISE_MAX)
		return folded_pair_sorted(obj, n, a, b, nomem);
	for (x = obj->child; x; x = x->next)
		for (y = x->next; y; y = y->next)
			if (mcp_fold_equal(x->string, y->string)) {
				*a = x->string;
				*b = y->string;
				return true;
			}
	return false;
}

static void note_fold_problem(struct walk *w, const char *a, const char *b)
{
	char path[96], ka[48], kb[48];

	if (w->problem[0])
		return;
	format_path(w, path, sizeof(path));
	snprintf(w->problem, sizeof(w->problem), "keys \"%s\" and \"%s\"%s%s differ only in "
		 "case: a Go backend reads them as one member",
		 mcp_sanitize(ka, sizeof(ka), a, strlen(a)),
		 mcp_sanitize(kb, sizeof(kb), b, strlen(b)), path[0] ? " in " : "", path);
}

static void note_problem(struct walk *w, const char *what, const char *key)
{
	char path[96], shown[48];

	if (w->problem[0])
		return;
	format_path(w, path, sizeof(path));
	snprintf(w->problem, sizeof(w->problem), "%s \"%s\"%s%s", what,
		 mcp_sanitize(shown, sizeof(shown), key, strlen(key)),
		 path[0] ? " in " : "", path);
}

static void walk_item(struct walk *w, const cJSON *item)
{
	const cJSON *child;
	int index = 0;

	if (cJSON_IsString(item) && next_string_has_nul(w) && !w->nul_value) {
		w->nul_value = item;
		format_path(w, w->nul_path, sizeof(w->nul_path));
	}
	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return;
	cJSON_ArrayForEach(child, item) {
		w->path[w->depth++] = (struct step){ .item = child, .index = index++ };
		/* A member's key comes before its value in the text. */
		if (cJSON_IsObject(item) && next_string_has_nul(w)) {
			w->depth--;
			note_problem(w, "NUL (\\u0000) in object key", child->string);
			w->depth++;
		}
		walk_item(w, child);
		w->depth--;
	}
	if (cJSON_IsObject(item)) {
		const char *key = repeated_key(item, &w->nomem);

		const char *a, *b;

		if (key)
			note_problem(w, "duplicate key", key);
		else if (folded_pair(item, &a, &b, &w->nomem))
			note_fold_problem(w, a, b);
	}
}

static void walk_message(struct walk *w, const cJSON *msg)
{
	w->depth = 0;
	w->problem[0] = '\0';
	w->nul_value = NULL;
	w->nul_path[0] = '\0';
	walk_item(w, msg);
}

/* --- judging one message --------------------------------------------------------- */

/* The id to answer an invalid message with: one usable "id" member, or NULL. */
static const cJSON *usable_id(const cJSON *msg, const struct walk *w)
{
	const cJSON *id = mcp_member(msg, "id"), *c;
	int seen = 0;

	cJSON_ArrayForEach(c, msg)
		seen += !strcmp(c->string, "id");
	if (!id || seen != 1 || id == w->nul_value || !id_ok(id))
		return NULL;
	return id;
}

/* Places where a NUL hides part of a name, as an operator calls them. */
static const struct nul_place {
	const char *path;
	const char *method;	/* NULL: any method */
	const char *what;
} nul_places[] = {
	{ "method", NULL, "method name" },
	{ "params.name", "tools/call", "tool name" },
	{ "params.name", "prompts/get", "prompt name" },
	{ "params.uri", NULL, "resource uri" },
	{ "id", NULL, "id" },
};

static int refuse_nul(struct mcp_msg *m, const struct walk *w)
{
	const cJSON *method = mcp_member(m->json, "method");
	const char *name = cJSON_IsString(method) ? method->valuestring : "";

	for (size_t i = 0; i < sizeof(nul_places) / sizeof(nul_places[0]); i++) {
		const struct nul_place *np = &nul_places[i];

		if (!strcmp(w->nul_path, np->path) && (!np->method || !strcmp(name, np->method)))
			return refuse(m, MCP_ERR_INVALID_REQUEST, "NUL (\\u0000) in %s", np->what);
	}
	return refuse(m, MCP_ERR_INVALID_REQUEST, "NUL (\\u0000) in the string at %s: the "
		      "backend would read on past where the gateway stops", w->nul_path);
}

static int check_version(struct mcp_msg *m)
{
	const cJSON *v = mcp_member(m->json, "jsonrpc");
	char got[64];

	if (!v)
		return refuse(m, MCP_ERR_INVALID_REQUEST, "missing \"jsonrpc\": \"2.0\"");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "2.0"))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\", got %s",
			      show(v, got, sizeof(got)));
	return 0;
}

/* Methods whose params MCP requires, and what they must hold. */
struct param_rule {
	enum mcp_method method;
	const char *key;	/* a string member of params; NULL: none */
	size_t field;		/* where it goes in struct mcp_msg */
	bool arguments;		/* params.arguments: absent or an object */
};

static const struct param_rule param_rules[] = {
	{ MCP_M_TOOLS_CALL, "name", offsetof(struct mcp_msg, tool), true },
	{ MCP_M_PROMPTS_GET, "name", offsetof(struct mcp_msg, prompt), true },
	{ MCP_M_RESOURCES_READ, "uri", offsetof(struct mcp_msg, uri), false },
	{ MCP_M_RESOURCES_SUBSCRIBE, "uri", offsetof(struct mcp_msg, uri), false },
	{ MCP_M_RESOURCES_UNSUBSCRIBE, "uri", offsetof(struct mcp_msg, uri), false },
	{ MCP_M_INITIALIZE, NULL, 0, false },
};

static const struct param_rule *param_rule(const struct mcp_msg *m)
{
	for (size_t i = 0; m->info && i < sizeof(param_rules) / sizeof(param_rules[0]); i++)
		if (param_rules[i].method == m->info->id)
			return &param_rules[i];
	return NULL;
}

static int read_method_params(struct mcp_msg *m)
{
	const struct param_rule *rule = param_rule(m);
	const cJSON *key, *args;
	char got[64];

	if (!rule)
		return 0;
	if (!cJSON_IsObject(m->params))
		return refuse(m, MCP_ERR_INVALID_PARAMS, "%s needs \"params\" (an object)",
			      m->method);
	key = rule->key ? mcp_member(m->params, rule->key) : NULL;
	if (rule->key && !cJSON_IsString(key))
		return refuse(m, MCP_ERR_INVALID_PARAMS, "%s needs params.%s (a string)%s%s",
			      m->method, rule->key, key ? ", got " : "",
			      key ? show(key, got, sizeof(got)) : "");
	if (key)
		*(const char **)((char *)m + rule->field) = key->valuestring;
	args = rule->arguments ? mcp_member(m->params, "arguments") : NULL;
	if (args && !cJSON_IsObject(args))
		return refuse(m, MCP_ERR_INVALID_PARAMS, "params.arguments of %s must be an "
			      "object, got %s", m->method, show(args, got, sizeof(got)));
	m->arguments = args;
	return 0;
}

static int read_meta(struct mcp_msg *m)
{
	const cJSON *meta = cJSON_IsObject(m->params) ? mcp_member(m->params, "_meta") : NULL;
	const cJSON *token = cJSON_IsObject(meta) ? mcp_member(meta, "progressToken") : NULL;
	char got[64];

	if (meta && !cJSON_IsObject(meta))
		return refuse(m, MCP_ERR_INVALID_PARAMS, "params._meta must be an object, got %s",
			      show(meta, got, sizeof(got)));
	if (token && !cJSON_IsString(token) && !cJSON_IsNumber(token))
		return refuse(m, MCP_ERR_INVALID_PARAMS, "params._meta.progressToken must be a "
			      "string or a number, got %s", show(token, got, sizeof(got)));
	m->progress_token = token;
	return 0;
}

static int judge_call(struct mcp_msg *m)
{
	const cJSON *j = m->json, *method = mcp_member(j, "method"), *id = mcp_member(j, "id");
	const cJSON *params = mcp_member(j, "params");
	const char *like;
	char got[64];

	if (mcp_member(j, "result") || mcp_member(j, "error"))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "a message cannot have both \"method\" "
			      "and \"%s\"", mcp_member(j, "result") ? "result" : "error");
	if (!cJSON_IsString(method))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "\"method\" must be a string, got %s",
			      show(method, got, sizeof(got)));
	if (cJSON_IsNull(id))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "the id of a request must not be null");
	if (id && !id_ok(id))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "\"id\" must be a string or an integer, "
			      "got %s", show(id, got, sizeof(got)));
	if (params && !cJSON_IsObject(params) && !cJSON_IsArray(params))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "\"params\" must be an object or an "
			      "array, got %s", show(params, got, sizeof(got)));
	/* The gateway judges known methods by name; a backend that folds case
	 * or trims would run "Tools/Call" as the tools/call nobody judged. */
	if ((like = mcp_method_lookalike(method->valuestring)))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "method \"%.64s\" is not an MCP method, "
			      "but a backend could read it as one (%s); refused",
			      method->valuestring, like);
	m->kind = id ? MCP_REQUEST : MCP_NOTIFICATION;
	m->method = method->valuestring;
	m->info = mcp_method_lookup(m->method);
	m->params = params;
	/* A notification named like a request is judged like one: a backend
	 * might act on it all the same. */
	return read_meta(m) ? -EINVAL : read_method_params(m);
}

static bool error_object_ok(const cJSON *error)
{
	const cJSON *code = mcp_member(error, "code"), *message = mcp_member(error, "message");

	return cJSON_IsObject(error) && cJSON_IsNumber(code) &&
	       code->valuedouble == trunc(code->valuedouble) &&
	       fabs(code->valuedouble) <= 2147483647.0 && cJSON_IsString(message);
}

static int judge_response(struct mcp_msg *m)
{
	const cJSON *j = m->json, *id = mcp_member(j, "id");
	const cJSON *result = mcp_member(j, "result"), *error = mcp_member(j, "error");
	char got[64];

	if (result && error)
		return refuse(m, MCP_ERR_INVALID_REQUEST, "a response cannot have both \"result\" "
			      "and \"error\"");
	if (!result && !error)
		return refuse(m, MCP_ERR_INVALID_REQUEST, "neither \"method\" (a request) nor "
			      "\"result\" or \"error\" (a response)");
	/* An error answering a request whose id could not be read has a null id
	 * (JSON-RPC) or none (MCP 2026-07-28); a result always answers an id. */
	if (result && (!id || cJSON_IsNull(id)))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "a result needs the id of its request");
	if (id && !cJSON_IsNull(id) && !id_ok(id))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "\"id\" must be a string or an integer, "
			      "got %s", show(id, got, sizeof(got)));
	if (result && !cJSON_IsObject(result))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "\"result\" must be an object, got %s",
			      show(result, got, sizeof(got)));
	if (error && !error_object_ok(error))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "\"error\" must be an object with an "
			      "integer \"code\" and a string \"message\"");
	m->kind = result ? MCP_RESPONSE : MCP_ERROR_RESPONSE;
	m->result = result;
	m->error = error;
	return 0;
}

/*
 * The members the gateway reads, level by level.  A Go backend matches
 * member names ignoring case (see mcp_fold.h), so "Method" is its "method"
 * while cJSON, asked for "method", does not see it: a member spelt like one
 * of these but not exactly is refused.  Tool arguments are not listed (any
 * name is a tool's to choose); two of their keys that fold alike are
 * refused by the walk.
 */
static const char *const message_members[] = {
	"jsonrpc", "id", "method", "params", "result", "error", NULL,
};
static const char *const params_members[] = {
	"name", "arguments", "uri", "_meta", "cursor", "clientInfo", "protocolVersion",
	"capabilities", NULL,
};
static const char *const meta_members[] = {
	"progressToken", "io.modelcontextprotocol/clientInfo",
	"io.modelcontextprotocol/protocolVersion", NULL,
};
static const char *const info_members[] = { "name", "version", NULL };
static const char *const error_members[] = { "code", "message", "data", NULL };

static int check_spelling(struct mcp_msg *m, const cJSON *obj, const char *const *known,
			  const char *where)
{
	const cJSON *c;
	char got[48];

	if (!cJSON_IsObject(obj))
		return 0;
	cJSON_ArrayForEach(c, obj)
		for (const char *const *k = known; *k; k++)
			if (strcmp(c->string, *k) && mcp_fold_equal(c->string, *k))
				return refuse(m, MCP_ERR_INVALID_REQUEST, "member \"%s\"%s is "
					      "spelt like \"%s\" but not exactly: a Go backend "
					      "reads it as \"%s\"",
					      mcp_sanitize(got, sizeof(got), c->string,
							   strlen(c->string)), where, *k, *k);
	return 0;
}

static int check_members(struct mcp_msg *m)
{
	const cJSON *params = mcp_member(m->json, "params"), *meta = mcp_member(params, "_meta");

	if (check_spelling(m, m->json, message_members, "") ||
	    check_spelling(m, params, params_members, " in params") ||
	    check_spelling(m, meta, meta_members, " in params._meta") ||
	    check_spelling(m, mcp_member(params, "clientInfo"), info_members,
			   " in params.clientInfo") ||
	    check_spelling(m, mcp_member(meta, "io.modelcontextprotocol/clientInfo"),
			   info_members, " in params._meta clientInfo") ||
	    check_spelling(m, mcp_member(m->json, "error"), error_members, " in error"))
		return -EINVAL;
	return 0;
}

static int judge(struct mcp_msg *m, const struct walk *w)
{
	char got[64];

	if (!cJSON_IsObject(m->json))
		return refuse(m, MCP_ERR_INVALID_REQUEST, "a JSON-RPC message must be an object, "
			      "got %s", show(m->json, got, sizeof(got)));
	m->id = usable_id(m->json, w);
	if (w->problem[0])
		return refuse(m, MCP_ERR_INVALID_REQUEST, "%s", w->problem);
	/* Before any other rule: the strings they read may be cut short. */
	if (w->nul_value)
		return refuse_nul(m, w);
	if (check_version(m) || check_members(m))
		return -EINVAL;
	if (mcp_member(m->json, "method"))
		return judge_call(m);
	return judge_response(m);
}

/* --- the body ---------------------------------------------------------------------- */

static int check_text(const char *body, size_t len, struct mcp_scan *scan,
		      struct mcp_error *err)
{
	struct mcp_scan_error se;
	int ret = mcp_scan(body, len, scan, &se);

	if (ret == -ENOMEM)
		return mcp_out_of_memory(err);
	if (ret && se.too_deep)
		return mcp_error_set(err, MCP_ERR_INVALID_REQUEST, MCP_HTTP_BAD_REQUEST,
				     "%s (at byte %zu)", se.what, se.off);
	if (ret)
		return mcp_error_set(err, MCP_ERR_PARSE, MCP_HTTP_BAD_REQUEST,
				     "invalid JSON at byte %zu: %s", se.off, se.what);
	return 0;
}

static int build_tree(const char *body, size_t len, struct mcp_batch *b, struct mcp_error *err)
{
	b->root = cJSON_ParseWithLengthOpts(body, len, NULL, false);
	if (b->root)
		return 0;
	/* The scan took the text, so cJSON could only have run out of memory;
	 * were it a disagreement, refusing is still the right answer. */
	return mcp_out_of_memory(err);
}

static int split(struct mcp_batch *b, struct mcp_error *err)
{
	size_t n = 1;
	char got[64];
	cJSON *c;

	b->is_batch = cJSON_IsArray(b->root);
	if (b->is_batch)
		n = (size_t)cJSON_GetArraySize(b->root);
	else if (!cJSON_IsObject(b->root))
		return mcp_error_set(err, MCP_ERR_INVALID_REQUEST, MCP_HTTP_BAD_REQUEST,
				     "a JSON-RPC message must be an object or a batch (an array "
				     "of objects), got %s", show(b->root, got, sizeof(got)));
	if (!n)
		return mcp_error_set(err, MCP_ERR_INVALID_REQUEST, MCP_HTTP_BAD_REQUEST,
				     "empty batch");
	if (n > MCP_MAX_BATCH)
		return mcp_error_set(err, MCP_ERR_INVALID_REQUEST, MCP_HTTP_BAD_REQUEST,
				     "batch of %zu messages (the limit is %d)", n, MCP_MAX_BATCH);
	b->msgs = calloc(n, sizeof(*b->msgs));
	if (!b->msgs)
		return mcp_out_of_memory(err);
	b->n = n;
	if (!b->is_batch)
		b->msgs[0].json = b->root;
	n = 0;
	if (b->is_batch)
		cJSON_ArrayForEach(c, b->root)
			b->msgs[n++].json = c;
	return 0;
}

static int judge_all(struct mcp_batch *b, const struct mcp_scan *scan, struct mcp_error *err)
{
	struct walk w = { .nul = scan->nul, .n_nul = scan->n_nul };

	for (size_t i = 0; i < b->n; i++) {
		walk_message(&w, b->msgs[i].json);
		if (w.nomem)
			return mcp_out_of_memory(err);
		judge(&b->msgs[i], &w);
	}
	/* Every string of the text, and every NUL, must have been matched to the
	 * tree; if not, the NULs were pinned on the wrong strings: refuse. */
	if (w.ordinal != scan->n_strings || w.next_nul != scan->n_nul)
		return mcp_error_set(err, MCP_ERR_INTERNAL, MCP_HTTP_INTERNAL, "internal error: "
				     "the JSON checks disagree on the strings of the body");
	if (!b->is_batch && b->msgs[0].kind == MCP_INVALID) {
		*err = b->msgs[0].err;
		return -EINVAL;
	}
	return 0;
}

int mcp_parse(const char *body, size_t len, struct mcp_batch *out, struct mcp_error *err)
{
	struct mcp_scan scan;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	ret = check_text(body, len, &scan, err);
	if (!ret)
		ret = build_tree(body, len, out, err);
	if (!ret)
		ret = split(out, err);
	if (!ret)
		ret = judge_all(out, &scan, err);
	mcp_scan_free(&scan);
	return ret;
}

void mcp_batch_free(struct mcp_batch *b)
{
	if (!b)
		return;
	cJSON_Delete(b->root);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}
