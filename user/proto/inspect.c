// SPDX-License-Identifier: GPL-2.0-only
/* inspect.c - MCP inspection for the proxy (see inspect.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inspect.h"
#include "base/jarena.h"
#include "base/utf8.h"

static void refuse(struct inspect_result *res, const struct mcp_error *err)
{
	res->http_status = err->http_status ? err->http_status : 400;
	res->code = err->code;
	snprintf(res->message, sizeof(res->message), "%s", err->message);
}

/* The id as exact JSON text, in malloc'ed memory that outlives the arena. */
static char *id_copy(const cJSON *id)
{
	char *text = id ? mcp_id_json(id) : NULL;
	char *copy = text ? strdup(text) : NULL;

	cJSON_free(text);
	return copy;
}

/*
 * A batch with an invalid element (not JSON-RPC, or text two parsers could
 * read differently) is refused as a body, naming the element: it is a
 * malformed message, the kind not to pass in part.  The policy's refusals
 * of valid elements are the judge's, element by element.
 */
static int check_batch(const struct mcp_batch *b, struct inspect_result *res)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->msgs[i].kind != MCP_INVALID)
			continue;
		res->http_status = 400;
		res->code = b->msgs[i].err.code;
		snprintf(res->message, sizeof(res->message), "batch element %zu: %.200s", i,
			 b->msgs[i].err.message);
		utf8_mend_cuts(res->message);
		return -EINVAL;
	}
	return 0;
}

void inspect_ids_free(struct inspect_ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		free(ids->v[i]);
	free(ids->v);
	ids->v = NULL;
	ids->n = 0;
}

/* The ids the answer may carry: those of the requests (notifications and
 * the client's own responses are answered by none). */
static int note_ids(const struct mcp_batch *b, struct inspect_ids *ids)
{
	ids->v = calloc(b->n, sizeof(*ids->v));
	if (!ids->v)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		if (b->msgs[i].kind != MCP_REQUEST || !b->msgs[i].id)
			continue;
		ids->v[ids->n] = id_copy(b->msgs[i].id);
		if (!ids->v[ids->n]) {
			inspect_ids_free(ids);
			return -ENOMEM;
		}
		ids->n++;
	}
	return 0;
}

static void note_client(const struct mcp_batch *b, struct inspect_result *res)
{
	struct mcp_client_info info;

	if (b->is_batch || b->n != 1 || !b->msgs[0].info ||
	    b->msgs[0].info->id != MCP_M_INITIALIZE)
		return;
	res->is_initialize = true;
	if (!mcp_initialize_client_info(&b->msgs[0], &info)) {
		snprintf(res->client_name, sizeof(res->client_name), "%s", info.name);
		snprintf(res->client_version, sizeof(res->client_version), "%s", info.version);
	}
}

/* --- the envelope: Content-Type and Content-Encoding ---------------------------- */

#define JSON_TYPE "application/json"

static int refuse_envelope(struct inspect_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse_envelope(struct inspect_result *res, const char *fmt, ...)
{
	va_list ap;

	res->http_status = 415;
	res->code = INSPECT_INVALID_REQUEST;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The one value of header @name, in *value (NULL: absent); how many were sent. */
static size_t one_header(const struct http_msg *msg, const char *name, const char **value)
{
	size_t seen = 0;

	*value = NULL;
	for (size_t i = 0; i < msg->n_headers; i++)
		if (!strcasecmp(msg->names[i], name) && !seen++)
			*value = msg->values[i];
	return seen;
}

static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * "application/json", alone or with one parameter "charset=utf-8" (any
 * case, the value quoted or not, blanks only before the ';').  Parsers
 * disagree on everything past that - a second charset (Node's content-type
 * takes the last, Go's mime refuses), blanks around '=', escapes in quotes -
 * so nothing past it passes.  The value comes trimmed (http.c).
 */
static bool content_type_ok(const char *v)
{
	size_t n = strlen(JSON_TYPE);

	if (strncasecmp(v, JSON_TYPE, n))
		return false;
	v = skip_ows(v + n);
	if (!*v)
		return true;
	if (*v != ';')
		return false;
	v = skip_ows(v + 1);
	if (strncasecmp(v, "charset=", 8))
		return false;
	v += 8;
	return !strcasecmp(v, "utf-8") || !strcasecmp(v, "\"utf-8\"");
}

static int check_envelope(const struct http_msg *msg, struct inspect_result *res)
{
	char shown[96];
	const char *ctype, *cenc;
	size_t n_type = one_header(msg, "content-type", &ctype);
	size_t n_enc = one_header(msg, "content-encoding", &cenc);

	if (!n_type)
		return refuse_envelope(res, "no Content-Type: JSON-RPC bodies are "
				       JSON_TYPE);
	if (n_type > 1)
		return refuse_envelope(res, "Content-Type sent %zu times", n_type);
	if (!content_type_ok(ctype))
		return refuse_envelope(res, "Content-Type \"%s\" refused: JSON-RPC bodies are "
				       JSON_TYPE " in UTF-8 (charset=utf-8 or none)",
				       mcp_sanitize(shown, sizeof(shown), ctype, strlen(ctype)));
	if (n_enc > 1)
		return refuse_envelope(res, "Content-Encoding sent %zu times", n_enc);
	if (n_enc && strcasecmp(cenc, "identity"))
		return refuse_envelope(res, "Content-Encoding \"%s\" refused: only identity "
				       "(the body judged is the body forwarded)",
				       mcp_sanitize(shown, sizeof(shown), cenc, strlen(cenc)));
	return 0;
}

bool inspect_header_normalised(const char *name)
{
	return !strcasecmp(name, "content-type") || !strcasecmp(name, "content-encoding");
}

int inspect_put_normalised_headers(struct buf *out)
{
	return buf_puts(out, "Content-Type: " JSON_TYPE "\r\n");
}

/* --- the body ------------------------------------------------------------------------ */

int inspect_request(const struct http_msg *msg, struct inspect_result *res)
{
	return inspect_request_judge(msg, res, NULL, NULL);
}

int inspect_request_judge(const struct http_msg *msg, struct inspect_result *res,
			  inspect_judge_fn judge, void *ctx)
{
	struct mcp_batch b = {};
	struct mcp_error err = {};
	int ret;

	memset(res, 0, sizeof(*res));
	if (check_envelope(msg, res))
		return -EINVAL;
	jarena_begin();
	ret = mcp_parse(msg->body.data ? msg->body.data : "", msg->body.len, &b, &err);
	if (b.n == 1 && !b.is_batch)
		res->rpc_id = id_copy(b.msgs[0].id);
	if (ret) {
		refuse(res, &err);
	} else if (!(ret = check_batch(&b, res))) {
		ret = mcp_check_headers(&b, msg->names, msg->values, msg->n_headers, NULL, 0, &err);
		if (!ret && note_ids(&b, &res->ids))
			ret = mcp_error_set(&err, MCP_ERR_INTERNAL, 503, "out of memory");
		if (ret)
			refuse(res, &err);
		else
			note_client(&b, res);
		if (!ret && judge)
			ret = judge(ctx, &b, res) ? -EINVAL : 0;
	}
	mcp_batch_free(&b);
	jarena_end();
	return ret ? -EINVAL : 0;
}

static int check_body(const char *body, size_t len)
{
	struct mcp_batch b = {};
	struct mcp_error err = {};
	int ret;

	jarena_begin();
	ret = mcp_parse(body, len, &b, &err);
	if (!ret)
		for (size_t i = 0; i < b.n && !ret; i++)
			ret = b.msgs[i].kind == MCP_INVALID ? -EINVAL : 0;
	mcp_batch_free(&b);
	jarena_end();
	return ret ? -EINVAL : 0;
}

int inspect_response(const char *body, size_t len)
{
	return check_body(body, len);
}

int inspect_event(const char *data, size_t len)
{
	return check_body(data, len);
}

static bool ids_hold(const struct inspect_ids *ids, const char *id)
{
	for (size_t i = 0; i < ids->n; i++)
		if (!strcmp(ids->v[i], id))
			return true;
	return false;
}

/* A response to a request @ids do not hold: named in @why, -EPROTO. */
static int foreign_response(const struct mcp_batch *b, const struct inspect_ids *ids, char *why,
			    size_t why_len)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct mcp_msg *m = &b->msgs[i];
		char *id, shown[64];
		bool ours;

		if ((m->kind != MCP_RESPONSE && m->kind != MCP_ERROR_RESPONSE) || !m->id)
			continue;
		id = mcp_id_json(m->id);
		if (!id)
			return -ENOMEM;
		ours = ids_hold(ids, id);
		if (!ours)
			snprintf(why, why_len, "a response with id %s, which the request did not carry",
				 mcp_sanitize(shown, sizeof(shown), id, strlen(id)));
		cJSON_free(id);
		if (!ours)
			return -EPROTO;
	}
	return 0;
}

int inspect_answer(const char *data, size_t len, const struct inspect_ids *ids, char *why,
		   size_t why_len)
{
	struct mcp_batch b = {};
	struct mcp_error err = {};
	int ret;

	jarena_begin();
	ret = mcp_parse(data, len, &b, &err);
	for (size_t i = 0; i < b.n && !ret; i++)
		ret = b.msgs[i].kind == MCP_INVALID ? -EINVAL : 0;
	if (!ret)
		ret = foreign_response(&b, ids, why, why_len);
	mcp_batch_free(&b);
	jarena_end();
	return ret == -EPROTO || ret == -ENOMEM ? ret : ret ? -EINVAL : 0;
}

/* The id goes in as raw JSON text, so an integer id beyond 2^53 comes back
 * exactly as the agent sent it (cJSON numbers are doubles). */
static char *error_json(const char *rpc_id, int code, const char *message, cJSON *data)
{
	cJSON *resp = mcp_error_response(NULL, code, message, data);
	char *text, *copy = NULL;

	if (!resp)
		return NULL;
	if (rpc_id)
		cJSON_ReplaceItemInObjectCaseSensitive(resp, "id", cJSON_CreateRaw(rpc_id));
	text = cJSON_PrintUnformatted(resp);
	if (text)
		copy = strdup(text);
	cJSON_free(text);
	cJSON_Delete(resp);
	return copy;
}

char *inspect_error_json(const char *rpc_id, int code, const char *message,
			 unsigned int retry_after_s)
{
	cJSON *data = retry_after_s ? cJSON_CreateObject() : NULL;
	char *text;

	if (data)
		cJSON_AddNumberToObject(data, "retry_after_s", retry_after_s);
	text = error_json(rpc_id, code, message, data);
	cJSON_Delete(data);
	return text;
}

char *inspect_error_json_data(const char *rpc_id, int code, const char *message,
			      const char *data_json)
{
	cJSON *data = data_json && *data_json ? cJSON_Parse(data_json) : NULL;
	char *text;

	if (data_json && *data_json && !data)
		return NULL;
	text = error_json(rpc_id, code, message, data);
	cJSON_Delete(data);
	return text;
}
