// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcp_param.c - x-mcp-header annotations of a tool's inputSchema, which bind
 * Mcp-Param-{Name} headers to arguments (MCP 2026-07-28; see mcp.h and the
 * specification notes at the top of mcp_hdr.c).
 *
 * The whole schema is walked, not only "properties", because an annotation
 * anywhere else (under items, oneOf, $defs, ...) makes the tool definition
 * invalid rather than being ignored: a client would then drop the tool, and
 * the gateway must not check headers against a binding the client never
 * honoured.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcp.h"
#include "mcp_err.h"


struct bind_walk {
	struct mcp_param_bindings *out;
	size_t cap;
	const char *path[MCP_PARAM_MAX_PATH];
	size_t depth;
	struct mcp_error *err;
};

static int invalid(struct bind_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int invalid(struct bind_walk *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	w->err->code = MCP_ERR_INVALID_PARAMS;
	w->err->http_status = MCP_HTTP_BAD_GATEWAY;
	n = snprintf(w->err->message, sizeof(w->err->message), "invalid tool definition: ");
	va_start(ap, fmt);
	vsnprintf(w->err->message + n, sizeof(w->err->message) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* RFC 9110 token: 1*tchar. */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

/* Only string, integer and boolean properties may be mirrored ("number" is
 * excluded by the specification: 0.1 has no single spelling). */
static bool primitive_type(const cJSON *schema)
{
	const cJSON *type = mcp_member(schema, "type");

	return cJSON_IsString(type) && (!strcmp(type->valuestring, "string") ||
					!strcmp(type->valuestring, "integer") ||
					!strcmp(type->valuestring, "boolean"));
}

static int append(struct bind_walk *w, const char *name)
{
	struct mcp_param_bindings *o = w->out;
	struct mcp_param_binding *pb;

	if (o->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 4;
		struct mcp_param_binding *v = realloc(o->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->v = v;
		w->cap = cap;
	}
	pb = &o->v[o->n++];
	memset(pb, 0, sizeof(*pb));
	snprintf(pb->header, sizeof(pb->header), "%s", name);
	memcpy(pb->path, w->path, w->depth * sizeof(w->path[0]));
	pb->depth = w->depth;
	return 0;
}

static int add_binding(struct bind_walk *w, const cJSON *schema, const cJSON *ann,
		       bool reachable)
{
	char shown[MCP_PARAM_MAX_NAME + 8];
	const char *name = cJSON_IsString(ann) ? ann->valuestring : "";

	mcp_sanitize(shown, sizeof(shown), name, strlen(name));
	if (!cJSON_IsString(ann) || !is_token(name) || strlen(name) > MCP_PARAM_MAX_NAME)
		return invalid(w, "x-mcp-header \"%s\" is not a header name token (at most %d "
			       "characters)", shown, MCP_PARAM_MAX_NAME);
	if (!reachable || !w->depth)
		return invalid(w, "x-mcp-header \"%s\" is not on a property reached through "
			       "\"properties\" only (at most %d deep)", shown, MCP_PARAM_MAX_PATH);
	if (!primitive_type(schema))
		return invalid(w, "x-mcp-header \"%s\" is on a property whose type is not "
			       "string, integer or boolean", shown);
	for (size_t i = 0; i < w->out->n; i++)
		if (!strcasecmp(w->out->v[i].header, name))
			return invalid(w, "x-mcp-header \"%s\" appears twice (ignoring case)",
				       shown);
	return append(w, name);
}

/* Keywords whose values are data, not schemas: an "x-mcp-header" in a
 * default value is just data. */
static bool data_keyword(const char *key)
{
	return !strcmp(key, "const") || !strcmp(key, "enum") || !strcmp(key, "default") ||
	       !strcmp(key, "examples") || !strcmp(key, "x-mcp-header");
}

static int walk_schema(struct bind_walk *w, const cJSON *node, bool reachable);

/* The members of a "properties" object: schemas named by property names. */
static int walk_properties(struct bind_walk *w, const cJSON *props, bool reachable)
{
	const cJSON *prop;
	int ret = 0;

	cJSON_ArrayForEach(prop, props) {
		bool deeper = reachable && w->depth < MCP_PARAM_MAX_PATH;

		if (deeper)
			w->path[w->depth++] = prop->string;
		ret = walk_schema(w, prop, deeper);
		w->depth -= deeper;
		if (ret)
			break;
	}
	return ret;
}

static int walk_schema(struct bind_walk *w, const cJSON *node, bool reachable)
{
	const cJSON *child, *ann = mcp_member(node, "x-mcp-header");
	int ret = 0;

	if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
		return 0;
	if (ann)
		ret = add_binding(w, node, ann, reachable);
	cJSON_ArrayForEach(child, node) {
		if (ret)
			break;
		if (child->string && data_keyword(child->string))
			continue;
		if (child->string && !strcmp(child->string, "properties") && cJSON_IsObject(child))
			ret = walk_properties(w, child, reachable);
		else
			ret = walk_schema(w, child, false);
	}
	return ret;
}

int mcp_param_bindings_from_schema(const cJSON *input_schema, struct mcp_param_bindings *out,
				   struct mcp_error *err)
{
	struct bind_walk w = { .out = out, .err = err };
	int ret;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	ret = walk_schema(&w, input_schema, true);
	if (ret == -ENOMEM)
		mcp_out_of_memory(err);
	if (ret)
		mcp_param_bindings_free(out);
	return ret;
}

void mcp_param_bindings_free(struct mcp_param_bindings *b)
{
	if (!b)
		return;
	free(b->v);
	memset(b, 0, sizeof(*b));
}
