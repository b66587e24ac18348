// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcp_reply.c - what the gateway writes back and records: JSON-RPC error
 * responses (built with cJSON, never by hand, so the id and the message are
 * always escaped right) and the client's self-description (see mcp.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"
#include "mcp_err.h"

/* --- error responses ----------------------------------------------------------- */

/* Adds @item (which may be NULL: creation failed) or frees it. */
static bool add(cJSON *obj, const char *key, cJSON *item)
{
	if (item && cJSON_AddItemToObject(obj, key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

/*
 * cJSON prints numbers with 15 significant digits when that reads back
 * "close enough", so 9007199254740991 would come out as 9.00719925474099e+15:
 * an answer the client cannot match to its request.  Integral ids are written
 * as raw text instead, exact up to 2^53.
 */
static cJSON *copy_id(const cJSON *id)
{
	char text[32];

	if (cJSON_IsString(id))
		return cJSON_CreateString(id->valuestring);
	if (!cJSON_IsNumber(id))
		return cJSON_CreateNull();
	if (id->valuedouble != trunc(id->valuedouble) ||
	    fabs(id->valuedouble) > 9007199254740992.0)
		return cJSON_CreateNumber(id->valuedouble);
	snprintf(text, sizeof(text), "%.0f", id->valuedouble);
	return cJSON_CreateRaw(text);
}

char *mcp_id_json(const cJSON *id)
{
	cJSON *copy = copy_id(id);
	char *text = copy ? cJSON_PrintUnformatted(copy) : NULL;

	cJSON_Delete(copy);
	return text;
}

cJSON *mcp_error_response(const cJSON *id, int code, const char *message, const cJSON *data)
{
	cJSON *resp = cJSON_CreateObject(), *error = NULL;
	bool ok;

	if (!resp)
		return NULL;
	ok = add(resp, "jsonrpc", cJSON_CreateString("2.0")) &&
	     add(resp, "id", copy_id(id)) &&
	     (error = cJSON_AddObjectToObject(resp, "error")) != NULL &&
	     add(error, "code", cJSON_CreateNumber(code)) &&
	     add(error, "message", cJSON_CreateString(message ? message : "")) &&
	     (!data || add(error, "data", cJSON_Duplicate(data, true)));
	if (!ok) {
		cJSON_Delete(resp);
		return NULL;
	}
	return resp;
}

char *mcp_error_json(const cJSON *id, int code, const char *message, const cJSON *data)
{
	cJSON *resp = mcp_error_response(id, code, message, data);
	char *text = resp ? cJSON_PrintUnformatted(resp) : NULL;

	cJSON_Delete(resp);
	return text;
}

/* --- client info ------------------------------------------------------------------ */

/* Bytes in the UTF-8 sequence led by @c; 0 for a byte that cannot lead one. */
static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
}

/* C0, DEL and C1 controls: they would forge lines or colours in a log. */
static bool is_control(const unsigned char *s)
{
	return *s < 0x20 || *s == 0x7f || (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f);
}

/* Copies a string item into @dst, controls removed, never cutting a UTF-8
 * sequence in two. */
static void copy_clean(char *dst, size_t len, const cJSON *item)
{
	const unsigned char *s = cJSON_IsString(item) ?
				 (const unsigned char *)item->valuestring : NULL;
	size_t used = 0;

	for (; s && *s; ) {
		size_t n = utf8_len(*s);

		if (!n || strnlen((const char *)s, n) < n) {
			s++;	/* not UTF-8 (mcp_parse lets none through): drop it */
			continue;
		}
		if (!is_control(s)) {
			if (used + n >= len)
				break;
			memcpy(dst + used, s, n);
			used += n;
		}
		s += n;
	}
	dst[used] = '\0';
}

int mcp_initialize_client_info(const struct mcp_msg *m, struct mcp_client_info *out)
{
	const cJSON *info, *version, *meta;

	memset(out, 0, sizeof(*out));
	if (!m || (m->kind != MCP_REQUEST && m->kind != MCP_NOTIFICATION))
		return -ENOENT;
	if (m->info && m->info->id == MCP_M_INITIALIZE) {
		info = mcp_member(m->params, "clientInfo");
		version = mcp_member(m->params, "protocolVersion");
		out->from_initialize = true;
	} else {
		/* 2026-07-28: no handshake; every request describes its client. */
		meta = mcp_member(m->params, "_meta");
		info = mcp_member(meta, "io.modelcontextprotocol/clientInfo");
		version = mcp_member(meta, "io.modelcontextprotocol/protocolVersion");
	}
	copy_clean(out->name, sizeof(out->name), mcp_member(info, "name"));
	copy_clean(out->version, sizeof(out->version), mcp_member(info, "version"));
	copy_clean(out->protocol_version, sizeof(out->protocol_version), version);
	return out->name[0] || out->version[0] || out->protocol_version[0] ? 0 : -ENOENT;
}
