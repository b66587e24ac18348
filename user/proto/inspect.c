// SPDX-License-Identifier: GPL-2.0-only
/* inspect.c - MCP inspection for the proxy (see inspect.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "base/jarena.h"

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
 * A batch with a refused element is refused whole, naming the element:
 * forwarding part of a batch would need the backend's answers merged with
 * ours, and a partly judged batch is the kind of message not to pass.
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

int inspect_request(const struct http_msg *msg, struct inspect_result *res)
{
	struct mcp_batch b = {};
	struct mcp_error err = {};
	int ret;

	memset(res, 0, sizeof(*res));
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
char *inspect_error_json(const char *rpc_id, int code, const char *message,
			 unsigned int retry_after_s)
{
	cJSON *data = retry_after_s ? cJSON_CreateObject() : NULL;
	cJSON *resp;
	char *text, *copy = NULL;

	if (data)
		cJSON_AddNumberToObject(data, "retry_after_s", retry_after_s);
	resp = mcp_error_response(NULL, code, message, data);
	cJSON_Delete(data);
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
