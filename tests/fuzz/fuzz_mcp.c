// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_mcp.c - libFuzzer target for the MCP / JSON-RPC inspection module
 * (user/mcp*.c).  Build and run: see tests/fuzz/README.md.
 *
 * Besides "no crash, no leak, no undefined behaviour", it checks properties
 * that a gateway relies on, and aborts when one fails:
 *  - what the strict scan accepts, cJSON accepts, and whatever cJSON
 *    refuses, mcp_parse refuses (the scan is stricter, never laxer);
 *  - the strings the scan says hold \u0000 are exactly those an independent
 *    decoder here (nul_oracle) finds, so a scan that loses a NUL cannot
 *    vouch for itself; an accepted single message holds none;
 *  - every message's kind agrees with its fields;
 *  - cJSON's own printing of an accepted tree passes the scan again (the
 *    scan does not refuse JSON that is merely spelt differently);
 *  - headers built from the body as the specification says (base64 where
 *    needed, the protocol version of a 2026-07-28 request) always pass
 *    mcp_check_headers;
 *  - the error response for any message parses back as an error response.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "proto/mcp.h"
#include "proto/mcp_scan.h"

#define must(cond) do { if (!(cond)) { \
	fprintf(stderr, "property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

static void check_kind(const struct mcp_msg *m)
{
	switch (m->kind) {
	case MCP_REQUEST:
		must(m->method && m->id && !m->err.code);
		break;
	case MCP_NOTIFICATION:
		must(m->method && !m->id && !m->err.code);
		break;
	case MCP_RESPONSE:
		must(!m->method && m->id && cJSON_IsObject(m->result) && !m->error);
		break;
	case MCP_ERROR_RESPONSE:
		must(!m->method && cJSON_IsObject(m->error) && !m->result);
		break;
	case MCP_INVALID:
		must(m->err.code && m->err.http_status == 400 && m->err.message[0]);
		break;
	}
	if (m->info && m->info->id == MCP_M_TOOLS_CALL && m->kind != MCP_INVALID)
		must(m->tool && (!m->arguments || cJSON_IsObject(m->arguments)));
}

/* The error response for @m parses back as an error response for its id. */
static void check_error_reply(const struct mcp_msg *m)
{
	struct mcp_batch back;
	struct mcp_error err;
	char *text = mcp_error_json(m->id, MCP_ERR_INVALID_REQUEST, m->err.message, NULL);

	if (!text)
		return;
	must(!mcp_parse(text, strlen(text), &back, &err));
	must(back.n == 1 && back.msgs[0].kind == MCP_ERROR_RESPONSE);
	mcp_batch_free(&back);
	cJSON_free(text);
}

/* Visible ASCII as is, anything else as =?base64?...?= (malloc'ed). */
static char *header_value(const char *s)
{
	size_t len = strlen(s);
	bool plain = len && s[0] != ' ' && s[len - 1] != ' ' && strncmp(s, "=?base64?", 9);
	char *out;

	for (size_t i = 0; plain && i < len; i++)
		plain = s[i] > 0x20 - 1 && s[i] < 0x7f;
	if (plain)
		return strdup(s);
	out = malloc(9 + 4 * ((len + 2) / 3) + 3);
	if (!out)
		return NULL;
	memcpy(out, "=?base64?", 9);
	len = (size_t)EVP_EncodeBlock((unsigned char *)out + 9, (const unsigned char *)s, (int)len);
	memcpy(out + 9 + len, "?=", 3);
	return out;
}

static bool ascii_method(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return false;
	return true;
}

/* params._meta's protocolVersion when it names the stateless revision
 * (2026-07-28 or later): its clients send it as MCP-Protocol-Version too. */
static const char *stateless_version(const struct mcp_msg *m)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(m->params, "_meta");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta,
							  "io.modelcontextprotocol/protocolVersion");

	return cJSON_IsString(v) && mcp_version_stateless(v->valuestring) ? v->valuestring : NULL;
}

/* Mcp-Method, Mcp-Name and MCP-Protocol-Version as a conforming client
 * would send them. */
static void check_own_headers(const struct mcp_batch *b)
{
	const struct mcp_msg *m = &b->msgs[0];
	const char *names[3] = { "Mcp-Method", "Mcp-Name", "MCP-Protocol-Version" }, *values[3];
	const char *version = stateless_version(m);
	const char *name = m->tool ? m->tool : m->prompt ? m->prompt : m->uri;
	char *encoded = NULL;
	struct mcp_error err;
	size_t n = 1;

	if (b->is_batch || m->kind != MCP_REQUEST || !ascii_method(m->method))
		return;
	values[0] = m->method;
	if (name && m->info && (m->info->flags & MCP_MF_NAMED)) {
		encoded = header_value(name);
		if (!encoded)
			return;
		values[1] = encoded;
		n = 2;
	}
	if (version) {
		names[n] = names[2];
		values[n++] = version;
	}
	must(!mcp_check_headers(b, names, values, n, NULL, MCP_HDR_REQUIRE, &err));
	free(encoded);
}

/* cJSON's printing of an accepted tree is JSON the scan accepts. */
static void check_reprint(const cJSON *root)
{
	struct mcp_scan scan;
	struct mcp_scan_error serr;
	char *text = cJSON_PrintUnformatted(root);

	if (!text)
		return;
	must(!mcp_scan(text, strlen(text), &scan, &serr));
	mcp_scan_free(&scan);
	cJSON_free(text);
}

/* The strict scan never accepts what cJSON refuses.  Returns how many
 * strings hold NUL, or -1 when the scan refused the text. */
static long check_scan_vs_cjson(const char *text, size_t len)
{
	struct mcp_scan scan;
	struct mcp_scan_error serr;
	int ret = mcp_scan(text, len, &scan, &serr);
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, NULL, false);
	long n_nul = ret ? -1 : (long)scan.n_nul;

	if (!ret)
		must(root);
	cJSON_Delete(root);
	mcp_scan_free(&scan);
	return n_nul;
}

/*
 * The oracle for NULs, independent of mcp_scan: walks a text the scan has
 * accepted (so valid JSON), numbers its strings in document order, decodes
 * each escape, and notes the ordinals of strings holding U+0000.  Returns
 * how many; their ordinals in @ords (up to @cap).
 */
static size_t nul_oracle(const char *t, size_t len, size_t *ords, size_t cap)
{
	size_t ordinal = 0, found = 0;

	for (size_t i = 0; i < len; i++) {
		bool nul = false;

		if (t[i] != '"')
			continue;
		for (i++; i < len && t[i] != '"'; i++) {
			if (t[i] != '\\')
				continue;
			if (t[++i] == 'u') {
				char hex[5] = { t[i + 1], t[i + 2], t[i + 3], t[i + 4], 0 };

				nul = nul || strtoul(hex, NULL, 16) == 0;
				i += 4;
			}
		}
		if (nul && found < cap)
			ords[found] = ordinal;
		found += nul;
		ordinal++;
	}
	return found;
}

/* The scan's NUL ordinals are the oracle's. */
static void check_nul_oracle(const char *text, size_t len)
{
	struct mcp_scan scan;
	struct mcp_scan_error serr;
	size_t ords[64], n;

	if (mcp_scan(text, len, &scan, &serr)) {
		mcp_scan_free(&scan);
		return;
	}
	n = nul_oracle(text, len, ords, 64);
	must(scan.n_nul == n);
	for (size_t i = 0; i < n && i < 64; i++)
		must(scan.nul[i] == ords[i]);
	mcp_scan_free(&scan);
}

/* Any JSON as a tool's inputSchema, and any bytes as a header value. */
static void exercise_helpers(const struct mcp_batch *b, const char *text)
{
	struct mcp_param_bindings params;
	struct mcp_client_info info;
	struct mcp_error err;
	size_t len;
	bool bad;
	char *decoded = mcp_header_decode(text, &len, &bad);

	free(decoded);
	if (!mcp_param_bindings_from_schema(b->root, &params, &err))
		mcp_param_bindings_free(&params);
	for (size_t i = 0; i < b->n; i++)
		mcp_initialize_client_info(&b->msgs[i], &info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: reads past the end are caught. */
	char *text = malloc(size ? size : 1), *cstr = malloc(size + 1);
	struct mcp_batch b;
	struct mcp_error err;
	cJSON *probe;
	long n_nul;
	int ret;

	memcpy(text, data, size);
	memcpy(cstr, data, size);
	cstr[size] = '\0';
	n_nul = check_scan_vs_cjson(text, size);
	check_nul_oracle(text, size);
	ret = mcp_parse(text, size, &b, &err);
	probe = cJSON_ParseWithLengthOpts(text, size, NULL, false);
	if (!probe)
		must(ret != 0 && !b.root);
	cJSON_Delete(probe);
	must(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	must(ret == 0 || err.code);
	must(ret != 0 || (b.root && b.n >= 1));
	if (ret == 0 && !b.is_batch)
		must(b.msgs[0].kind != MCP_INVALID && n_nul == 0 &&
		     nul_oracle(text, size, NULL, 0) == 0);
	for (size_t i = 0; i < b.n; i++) {
		check_kind(&b.msgs[i]);
		if (i < 4)
			check_error_reply(&b.msgs[i]);
	}
	if (ret == 0) {
		check_reprint(b.root);
		check_own_headers(&b);
	}
	if (b.root)
		exercise_helpers(&b, cstr);
	mcp_batch_free(&b);
	free(text);
	free(cstr);
	return 0;
}
